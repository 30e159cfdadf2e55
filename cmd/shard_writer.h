/* shard_writer.h
 * The partitioner's second pass writing its shards: each shard's capture
 * bytes to its descriptor (a worker's pipe, or a file), its frame map to
 * another. A pipe whose worker is momentarily slower never holds up the
 * others: what it cannot take yet waits in memory, up to a bound.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_SHARD_WRITER_H
#define FLOWSPLIT_SHARD_WRITER_H

#include <glib.h>

typedef struct shard_writer shard_writer;

/* n shards: capture_fds[k] and map_fds[k] (kept open; the caller closes
 * them). A pipe among capture_fds is made non-blocking. */
shard_writer *shard_writer_new(guint n, const int *capture_fds, const int *map_fds);

/* Bytes of shard k's capture (a record or block as it is). FALSE with a
 * one-line *error ("cannot write shard K: cause"); a worker that stopped
 * (a closed pipe) is such an error. */
gboolean shard_writer_put(shard_writer *w, guint k, const guint8 *b, gsize n, char **error);

/* A frame's record for shard k and its input frame number for the map. */
gboolean shard_writer_put_frame(shard_writer *w, guint k, const guint8 *raw, gsize raw_len, guint64 frame_number,
                                char **error);

/* Everything still held, written (waiting for the pipes as long as they
 * need). */
gboolean shard_writer_finish(shard_writer *w, char **error);

void shard_writer_free(shard_writer *w);

#endif /* FLOWSPLIT_SHARD_WRITER_H */
