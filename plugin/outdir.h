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

/* outdir_prepare's two steps, for the flowsplit command, which checks the
 * folder before its workers start and empties it only when their split is
 * merged. outdir_open: creates (*created) or checks the folder, returns its
 * descriptor or -1. outdir_clear: refuses a folder holding a split unless
 * replace; with remove too, removes that split's files. */
int outdir_open(const char *path, gboolean *created, char **error);
gboolean outdir_clear(int dir_fd, const char *path, gboolean replace, gboolean remove, char **error);

/* The name of a file of an earlier split in path (g_free it), or NULL when
 * the folder holds none, is missing or cannot be read; for the GUI, which
 * asks before it replaces a split. */
char *outdir_earlier_split(const char *path);

/* TRUE for the names flowsplit writes: tcp-NNNNNN..., udp-, dccp-, the
 * group files (conv-, host-, server-, ending .pcapng or .pcap), streams.csv,
 * shard-streams.csv (and the lists' temporary files). */
gboolean outdir_is_output_name(const char *name);

#endif /* FLOWSPLIT_OUTDIR_H */
