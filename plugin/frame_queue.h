/* frame_queue.h
 * Holds frames back while an earlier IP fragment's stream is unknown.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FRAME_QUEUE_H
#define FLOWSPLIT_FRAME_QUEUE_H

#include <glib.h>

#include "frame_record.h"

typedef struct frame_queue frame_queue;

/* Streams are the caller's ids (one guint32 each); the queue only carries
 * them. It never writes: frames it releases are taken back with
 * frame_queue_take() and written by the caller. */
frame_queue *frame_queue_new(void);

/* Does it hold any frame (a fragment, a frame waiting behind one, or a
 * released frame not taken yet)? When it holds none, a frame of known
 * streams is written at once, without a copy, and never pushed. */
gboolean frame_queue_holds(const frame_queue *fq);

/* A frame of the given streams, copied and queued behind the held
 * fragments. n_streams 0: nothing is queued. */
void frame_queue_push(frame_queue *fq, const frame_record *fr, const guint32 *streams, guint n_streams);

/* An IP fragment whose datagram is not complete yet: held until a later
 * frame claims it, or given up after FRAME_QUEUE_HOLD_FRAMES frames. */
void frame_queue_hold_fragment(frame_queue *fq, const frame_record *fr);

/* Takes back the last frame held with frame_queue_hold_fragment() when it
 * is num: it turned out to carry a stream itself. */
void frame_queue_unhold_last(frame_queue *fq, guint32 num);

/* Frame num (a held fragment) is part of a frame of these streams. n may
 * be 0: the datagram it belongs to carries no stream that is split. */
void frame_queue_claim(frame_queue *fq, guint32 num, const guint32 *streams, guint n_streams);

/* Releases whatever can leave now that frame current_num has been read,
 * giving up fragments held too long. */
void frame_queue_release(frame_queue *fq, guint32 current_num);

/* Live capture: gives up the fragments held for max_hold or longer (a
 * monotonic clock, microseconds) and releases the frames behind them. */
void frame_queue_expire(frame_queue *fq, gint64 now, gint64 max_hold);

/* End of input: every fragment still held is given up, every other frame
 * released. */
void frame_queue_release_all(frame_queue *fq);

/* The next released frame, in capture order, and its streams (never
 * none); NULL when no frame is released. What it returns stays valid until
 * the next call. */
const frame_record *frame_queue_take(frame_queue *fq, const guint32 **streams, guint *n_streams);

guint64 frame_queue_fragments_dropped(const frame_queue *fq);

void frame_queue_free(frame_queue *fq);

#endif /* FLOWSPLIT_FRAME_QUEUE_H */
