/* run_shards.h
 * `flowsplit -j N`: the partition, N tshark workers fed through pipes, and
 * the merge, on this machine; one tshark instead when the capture cannot
 * be partitioned safely.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_RUN_SHARDS_H
#define FLOWSPLIT_RUN_SHARDS_H

#include <glib.h>

#include "tshark_args.h"

/* Splits a->input into a->opts.out_dir on n workers; returns the exit
 * status (0, 1 bad options or folder, 2 the split failed) or does not
 * return (it runs the single tshark in its place). */
int run_shards(tshark_args *a, guint n);

/* Runs the single tshark in place of this process (the fallback), after
 * saying why in one line; returns only when tshark cannot be started. */
int run_single_tshark(const tshark_args *a, const char *why);

/* Removes a folder flowsplit made for itself and everything in it; never
 * follows a symlink. */
void remove_parts_folder(const char *path);

#endif /* FLOWSPLIT_RUN_SHARDS_H */
