/* outdir.h
 * The output folder: created, checked, emptied of an earlier split.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_OUTDIR_H
#define FLOWSPLIT_OUTDIR_H

#include <glib.h>

/* Creates path (and its parents) when missing, refuses a folder that holds
 * an earlier split unless replace is set (then removes that split's files),
 * and returns an open descriptor of the folder for openat(). On failure
 * returns -1 and a one-line message in *error (g_free it). */
int outdir_prepare(const char *path, gboolean replace, char **error);

/* TRUE for the names flowsplit writes: tcp-NNNNNN..., udp-, dccp-, streams.csv,
 * shard-streams.csv (and the lists' temporary files). */
gboolean outdir_is_output_name(const char *name);

#endif /* FLOWSPLIT_OUTDIR_H */
