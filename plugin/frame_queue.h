/* frame_queue.h
 * Holds frames back while an earlier IP fragment's stream is unknown.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FRAME_QUEUE_H
#define FLOWSPLIT_FRAME_QUEUE_H

#include <glib.h>

#include "writer_cache.h"

typedef struct frame_queue frame_queue;

/* Called for each frame leaving the queue, in capture order, with the
 * streams it belongs to (never none). FALSE stops the split. */
typedef gboolean (*frame_queue_write_fn)(const frame_record *fr, const guint32 *streams, guint n_streams,
                                         void *user_data);

frame_queue *frame_queue_new(frame_queue_write_fn write, void *user_data);

/* A frame of the given streams: written now when nothing is held, else
 * queued behind the held fragments. */
gboolean frame_queue_push(frame_queue *fq, const frame_record *fr, const guint32 *streams, guint n_streams);

/* An IP fragment whose datagram is not complete yet: held until a later
 * frame claims it, or given up after FRAME_QUEUE_HOLD_FRAMES frames. */
gboolean frame_queue_hold_fragment(frame_queue *fq, const frame_record *fr);

/* Takes back the last frame held with frame_queue_hold_fragment() when it
 * is num: it turned out to carry a TCP stream itself. */
void frame_queue_unhold_last(frame_queue *fq, guint32 num);

/* Frame num (a held fragment) is part of a frame of these streams. n may
 * be 0: the datagram it belongs to carries no TCP. */
void frame_queue_claim(frame_queue *fq, guint32 num, const guint32 *streams, guint n_streams);

/* Writes out whatever can leave, giving up fragments held too long. */
gboolean frame_queue_flush(frame_queue *fq, guint32 current_num);

/* Live capture: gives up the fragments held for max_hold or longer (a
 * monotonic clock, microseconds) and writes the frames behind them. */
gboolean frame_queue_expire(frame_queue *fq, gint64 now, gint64 max_hold);

/* End of input: every fragment still held is given up. */
gboolean frame_queue_finish(frame_queue *fq);

/* Does it hold any frame (a fragment, or a frame waiting behind one)? */
gboolean frame_queue_holds(const frame_queue *fq);

guint64 frame_queue_fragments_dropped(const frame_queue *fq);

void frame_queue_free(frame_queue *fq);

#endif /* FLOWSPLIT_FRAME_QUEUE_H */
