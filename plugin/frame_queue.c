/* frame_queue.c
 * Keeps stream files in capture order when IP fragments are involved.
 *
 * A TCP segment (a UDP or DCCP datagram) carried in IP fragments is
 * dissected, and gets its tcp.stream (udp.stream, dccp.stream), only in
 * the frame that completes the datagram; the earlier fragments belong to
 * the stream too (tshark -2 writes them as frames the segment depends
 * on), but nothing says so when they are read. So an IP fragment is held
 * here, and every frame read after it waits behind it, until the frame
 * that completes its datagram names it among its dependent frames; then
 * all of them leave in capture order.
 *
 * Leaving is one way: the queue releases frames and the intake takes them
 * (frame_queue_take) and writes them; the queue never calls out.
 *
 * A fragment nobody claims (a datagram that never completes, or one that
 * carries no stream that is split) is given up after
 * FRAME_QUEUE_HOLD_FRAMES later frames or FRAME_QUEUE_HOLD_BYTES held
 * bytes, so memory stays bounded; in a live capture also after a time
 * (frame_queue_expire), so that a fragment lost on the wire does not hold
 * every later frame back while traffic is slow. Without fragments the
 * queue holds nothing, and the intake writes each frame at once, with no
 * copy.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "frame_queue.h"

#include "frame_copy.h"

#include <string.h>

#define FRAME_QUEUE_HOLD_FRAMES 10000
#define FRAME_QUEUE_HOLD_BYTES (16u * 1024 * 1024)

typedef struct {
    frame_copy *copy;
    GArray *streams;        /* guint32 */
    gboolean pending;       /* a fragment nobody has claimed yet */
    gint64 held_at;         /* monotonic time it was held (fragments only) */
} held_frame;

struct frame_queue {
    GQueue frames;          /* held_frame, capture order */
    GHashTable *fragments;  /* frame number -> held_frame, pending only */
    gsize held_bytes;       /* of frames (not of released) */
    GQueue released;        /* held_frame that may leave, capture order */
    held_frame *taken;      /* the frame frame_queue_take() handed out last */
    guint64 dropped;
};

frame_queue *
frame_queue_new(void)
{
    frame_queue *fq = g_new0(frame_queue, 1);

    g_queue_init(&fq->frames);
    g_queue_init(&fq->released);
    fq->fragments = g_hash_table_new(g_direct_hash, g_direct_equal);
    return fq;
}

static held_frame *
held_frame_new(const frame_record *fr, const guint32 *streams, guint n_streams)
{
    held_frame *hf = g_new0(held_frame, 1);

    hf->copy = frame_copy_new(fr);
    hf->streams = g_array_sized_new(FALSE, FALSE, sizeof(guint32), n_streams);
    g_array_append_vals(hf->streams, streams, n_streams);
    return hf;
}

static void
held_frame_free(held_frame *hf)
{
    frame_copy_free(hf->copy);
    g_array_free(hf->streams, TRUE);
    g_free(hf);
}

static guint32
held_num(const held_frame *hf)
{
    return hf->copy->fr.num;
}

static void
enqueue(frame_queue *fq, held_frame *hf)
{
    g_queue_push_tail(&fq->frames, hf);
    fq->held_bytes += frame_copy_size(hf->copy);
}

void
frame_queue_push(frame_queue *fq, const frame_record *fr, const guint32 *streams, guint n_streams)
{
    if (n_streams > 0)
        enqueue(fq, held_frame_new(fr, streams, n_streams));
}

void
frame_queue_hold_fragment(frame_queue *fq, const frame_record *fr)
{
    held_frame *hf = held_frame_new(fr, NULL, 0);

    hf->pending = TRUE;
    hf->held_at = g_get_monotonic_time();
    enqueue(fq, hf);
    g_hash_table_insert(fq->fragments, GUINT_TO_POINTER(fr->num), hf);
}

void
frame_queue_unhold_last(frame_queue *fq, guint32 num)
{
    held_frame *hf = g_queue_peek_tail(&fq->frames);

    if (hf == NULL || !hf->pending || held_num(hf) != num)
        return;
    g_queue_pop_tail(&fq->frames);
    fq->held_bytes -= frame_copy_size(hf->copy);
    g_hash_table_remove(fq->fragments, GUINT_TO_POINTER(num));
    held_frame_free(hf);
}

void
frame_queue_claim(frame_queue *fq, guint32 num, const guint32 *streams, guint n_streams)
{
    held_frame *hf = g_hash_table_lookup(fq->fragments, GUINT_TO_POINTER(num));

    if (hf == NULL)
        return;
    for (guint i = 0; i < n_streams; i++) {
        gboolean seen = FALSE;
        for (guint j = 0; j < hf->streams->len && !seen; j++)
            seen = g_array_index(hf->streams, guint32, j) == streams[i];
        if (!seen)
            g_array_append_val(hf->streams, streams[i]);
    }
    hf->pending = FALSE;
    g_hash_table_remove(fq->fragments, GUINT_TO_POINTER(num));
}

/* Pops the head: released when it has streams, given up when it is a
 * fragment still pending, else (a fragment of no stream) dropped. */
static void
pop_head(frame_queue *fq)
{
    held_frame *hf = g_queue_pop_head(&fq->frames);

    fq->held_bytes -= frame_copy_size(hf->copy);
    if (hf->pending) {
        g_hash_table_remove(fq->fragments, GUINT_TO_POINTER(held_num(hf)));
        fq->dropped++;
    } else if (hf->streams->len > 0) {
        g_queue_push_tail(&fq->released, hf);
        return;
    }
    held_frame_free(hf);
}

void
frame_queue_release(frame_queue *fq, guint32 current_num)
{
    held_frame *head;

    while ((head = g_queue_peek_head(&fq->frames)) != NULL) {
        if (head->pending && current_num - held_num(head) < FRAME_QUEUE_HOLD_FRAMES
            && fq->held_bytes < FRAME_QUEUE_HOLD_BYTES)
            break;
        pop_head(fq);
    }
}

void
frame_queue_expire(frame_queue *fq, gint64 now, gint64 max_hold)
{
    held_frame *head;

    while ((head = g_queue_peek_head(&fq->frames)) != NULL) {
        if (head->pending && now - head->held_at < max_hold)
            break;
        pop_head(fq);
    }
}

void
frame_queue_release_all(frame_queue *fq)
{
    while (fq->frames.length > 0)
        pop_head(fq);
}

const frame_record *
frame_queue_take(frame_queue *fq, const guint32 **streams, guint *n_streams)
{
    if (fq->taken != NULL)
        held_frame_free(fq->taken);
    fq->taken = g_queue_pop_head(&fq->released);
    if (fq->taken == NULL)
        return NULL;
    *streams = (const guint32 *)(void *)fq->taken->streams->data;
    *n_streams = fq->taken->streams->len;
    return &fq->taken->copy->fr;
}

gboolean
frame_queue_holds(const frame_queue *fq)
{
    return fq->frames.length > 0 || fq->released.length > 0;
}

guint64
frame_queue_fragments_dropped(const frame_queue *fq)
{
    return fq->dropped;
}

void
frame_queue_free(frame_queue *fq)
{
    if (fq == NULL)
        return;
    g_queue_clear_full(&fq->frames, (GDestroyNotify)held_frame_free);
    g_queue_clear_full(&fq->released, (GDestroyNotify)held_frame_free);
    if (fq->taken != NULL)
        held_frame_free(fq->taken);
    g_hash_table_destroy(fq->fragments);
    g_free(fq);
}
