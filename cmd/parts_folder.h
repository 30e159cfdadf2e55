/* parts_folder.h
 * `flowsplit partition` and `flowsplit merge`: the -j split's steps on
 * their own, through a folder of parts, so that a scheduler (GNU parallel,
 * a Slurm array, a Kubernetes Job) runs the shards' splits anywhere that
 * folder is mounted.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_PARTS_FOLDER_H
#define FLOWSPLIT_PARTS_FOLDER_H

#include <glib.h>

#include "tshark_args.h"

/* Writes PARTS/shard-K.pcap[ng], PARTS/shard-K.frames, PARTS/jobs (one
 * shell command per shard, each splitting its shard into PARTS/out-K) and
 * PARTS/plan (what the merge needs). Returns the exit status. */
int parts_partition(tshark_args *a, guint n, const char *parts);

/* Merges PARTS/out-K into the plan's output folder, then removes PARTS.
 * Returns the exit status. */
int parts_merge(const char *parts);

#endif /* FLOWSPLIT_PARTS_FOLDER_H */
