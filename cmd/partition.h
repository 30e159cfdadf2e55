/* partition.h
 * Splitting one capture into N shard captures so that no Wireshark
 * conversation is cut: every frame's IP address pairs (each IP layer's,
 * and the one an ICMP error quotes) are keys, frames that share a key are
 * joined (union-find over a first pass), and each joined group goes whole
 * to one shard. The second pass copies each frame's block, byte for byte,
 * to its shard, with the section headers, interfaces and every other
 * non-frame block copied to every shard at the same place.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_PARTITION_H
#define FLOWSPLIT_PARTITION_H

#include <glib.h>

typedef struct partition_plan partition_plan;

/* What partition_plan_make() says when it returns NULL. */
typedef enum {
    PARTITION_FAILED,       /* the input cannot be read (error names the file and the cause) */
    PARTITION_UNSAFE        /* the capture cannot be partitioned safely: split it on one tshark (error says why) */
} partition_refusal;

/* The first pass: reads `input` (pcap or pcapng, uncompressed or gzip) and
 * assigns every frame to one of n_shards shards. max_frames: stop after
 * this many frames (tshark's -c), 0 for all. NULL with a one-line *error
 * (g_free it) and *why. */
partition_plan *partition_plan_make(const char *input, guint n_shards, guint64 max_frames, partition_refusal *why,
                                    char **error);

/* "pcap" or "pcapng": the shard captures' format (the input's). */
const char *partition_plan_format(const partition_plan *p);

/* The frames of the input (up to max_frames), and of those, how many go to
 * a shard (frames with no IP layer go to none: they carry no stream). */
guint64 partition_plan_frames(const partition_plan *p);
guint64 partition_plan_frames_sharded(const partition_plan *p);

/* The second pass: writes shard k's capture to capture_fds[k] (a pipe or a
 * file) and its frame map to map_fds[k]: one little-endian 64-bit number
 * per frame of the shard, the frame's number in the input (from 1). FALSE
 * with a one-line *error; a closed pipe (a worker that stopped) is such an
 * error. The fds stay open (the caller closes them). */
gboolean partition_plan_write(partition_plan *p, const int *capture_fds, const int *map_fds, char **error);

void partition_plan_free(partition_plan *p);

#endif /* FLOWSPLIT_PARTITION_H */
