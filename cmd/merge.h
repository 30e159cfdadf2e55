/* merge.h
 * The shards' splits made into the one split a single tshark writes: each
 * shard's streams get their global numbers (Wireshark numbers a stream at
 * the first frame of it it dissects, in capture order, so the global
 * number is the stream's rank by its first frame in the input), the files
 * are renamed into the output folder, and streams.csv is written with
 * global stream and frame numbers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_MERGE_H
#define FLOWSPLIT_MERGE_H

#include <glib.h>

#include "../plugin/options.h"

/* The name of the list each shard's split writes with shard=yes: a row for
 * every stream it saw (selected or not), see docs/design.md. */
#define MERGE_SHARD_LIST "shard-streams.csv"
/* And beside it, how many stream indexes of each transport the shard's
 * dissection handed out (transport,streams rows). */
#define MERGE_SHARD_COUNTS "shard-counts.csv"

typedef enum {
    MERGE_OK,
    MERGE_FAILED,       /* a file could not be read or written: *error */
    MERGE_UNSAFE        /* the shards disagree with one tshark (a conversation in two shards, a stream
                         * number no frame carries): split on one tshark; nothing was moved */
} merge_result;

typedef struct {
    guint64 streams;    /* streams in the merged split (rows of streams.csv) */
    guint64 frames;     /* frames written to their files, as the plugin's summary counts them */
    guint64 files;
    guint64 bytes;      /* captured bytes of the frames written, as the plugin's summary counts them */
} merge_counts;

/* The summary line of a merged split, as the plugin begins its own:
 * "flowsplit: S streams, F frames written to K files in DIR (X MB)", then
 * `tail` (", on N tshark processes") and a newline, to stderr. */
void merge_print_summary(const merge_counts *counts, const char *out_dir, const char *tail);

/* Merges n shards: shard_dirs[k] is shard k's output folder (its out=) and
 * map_paths[k] its frame map (partition.h). opts are the user's options:
 * out_dir (the final folder, which exists and the caller has checked),
 * streams= (global numbers), index, replace. */
merge_result merge_shards(guint n, const char *const *shard_dirs, const char *const *map_paths,
                          const flowsplit_options *opts, merge_counts *counts, char **error);

#endif /* FLOWSPLIT_MERGE_H */
