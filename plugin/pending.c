/* pending.c
 * The write-behind arena: bytes for many files, each file's bytes a chain
 * of segments, written with one writev() per file when the arena is full.
 *
 * Encoding every frame into one contiguous arena costs the same whatever
 * the number of files, where a buffer per open file (stdio's) spreads the
 * same bytes over thousands of half-empty buffers. A segment is a small
 * header (the offset of the file's segment before it, and the segment's
 * length) and its bytes; a file's consecutive appends with no other file's
 * in between grow its last segment instead of starting a new one. The link
 * points back so that a new segment is written at the top of the arena
 * only: linking forward would write into the file's previous segment,
 * anywhere in the arena, a cache miss per frame. Each segment also carries
 * its chain's number, so that when the whole arena is written its segments
 * are found in one pass in memory order (pending_gather) instead of by
 * following each chain's links. A chain is written either at once, from
 * its links (pending_write_chain), or in a batch: taken out of the arena
 * first (pending_take_chain), then gathered with the others, possibly on
 * write_behind.c's thread.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pending.h"

#include <limits.h>
#include <string.h>
#include <sys/uio.h>

#include "write_all.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

typedef struct {
    guint first;    /* where its vectors start in gathered_iov */
    guint n;        /* how many */
} gathered_chain;

typedef struct {
    gsize prev;     /* offset + 1 of the chain's segment before this one; 0: first */
    guint32 len;    /* bytes after this header */
    guint32 slot;   /* its chain's number: pending_chain.slot */
} segment;

struct pending {
    guint8 *arena;
    gsize capacity;
    gsize used;
    gsize top_segment;      /* offset + 1 of the segment ending at used; 0: none */
    guint slots;            /* chains given a slot since the reset */
    GArray *taken;          /* pending_chain: taken since the reset, by number */
    guint n_gathered;       /* of them, found by pending_gather */
    GArray *slot_at;        /* guint by slot: the next vector of a chain being gathered; G_MAXUINT: none */
    GArray *gathered;       /* gathered_chain: where the taken chains' vectors are, by number */
    GArray *gathered_iov;   /* struct iovec: their segments, chain after chain */
    GArray *iov;            /* struct iovec: a chain's segments, found from its links */
};

static gsize
aligned(gsize n)
{
    return (n + sizeof(gsize) - 1) & ~(sizeof(gsize) - 1);
}

static segment *
segment_at(const pending *p, gsize offset_plus_1)
{
    return (segment *)(void *)(p->arena + offset_plus_1 - 1);
}

pending *
pending_new(gsize capacity)
{
    pending *p = g_new0(pending, 1);

    p->capacity = capacity;
    p->arena = capacity > 0 ? g_malloc(capacity) : NULL;
    p->taken = g_array_new(FALSE, FALSE, sizeof(pending_chain));
    p->slot_at = g_array_new(FALSE, FALSE, sizeof(guint));
    p->gathered = g_array_new(FALSE, FALSE, sizeof(gathered_chain));
    p->gathered_iov = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    p->iov = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    return p;
}

void
pending_free(pending *p)
{
    if (p == NULL)
        return;
    g_free(p->arena);
    g_array_free(p->taken, TRUE);
    g_array_free(p->slot_at, TRUE);
    g_array_free(p->gathered, TRUE);
    g_array_free(p->gathered_iov, TRUE);
    g_array_free(p->iov, TRUE);
    g_free(p);
}

gsize
pending_capacity(const pending *p)
{
    return p->capacity;
}

guint8 *
pending_append(pending *p, pending_chain *chain, gsize len)
{
    segment *seg;
    gsize start;

    /* The chain's last segment is the arena's newest: grow it. */
    if (chain->last != 0 && chain->last == p->top_segment
        && len <= G_MAXUINT32 - segment_at(p, chain->last)->len) {
        seg = segment_at(p, chain->last);
        if (len > p->capacity - p->used)
            return NULL;
        start = p->used;
        seg->len += len;
        p->used += len;
        return p->arena + start;
    }
    start = aligned(p->used);
    if (start > p->capacity || sizeof(segment) + len > p->capacity - start || len > G_MAXUINT32)
        return NULL;
    if (chain->last == 0)
        chain->slot = p->slots++;
    seg = (segment *)(void *)(p->arena + start);
    seg->prev = chain->last;
    seg->len = (guint32)len;
    seg->slot = chain->slot;
    chain->last = start + 1;
    chain->segments++;
    p->top_segment = start + 1;
    p->used = start + sizeof(segment) + len;
    return p->arena + start + sizeof(segment);
}

void
pending_gather(pending *p)
{
    guint *slot_at, total = p->gathered_iov->len;
    gathered_chain *gathered;
    struct iovec *iov;

    if (p->n_gathered == p->taken->len)
        return;
    g_array_set_size(p->slot_at, p->slots);
    slot_at = (guint *)(void *)p->slot_at->data;
    for (guint slot = 0; slot < p->slots; slot++)
        slot_at[slot] = G_MAXUINT;
    g_array_set_size(p->gathered, p->taken->len);
    gathered = (gathered_chain *)(void *)p->gathered->data;
    for (guint i = p->n_gathered; i < p->taken->len; i++) {
        const pending_chain *chain = &g_array_index(p->taken, pending_chain, i);

        gathered[i].first = total;
        gathered[i].n = chain->segments;
        slot_at[chain->slot] = total;
        total += chain->segments;
    }
    p->n_gathered = p->taken->len;
    g_array_set_size(p->gathered_iov, total);
    iov = (struct iovec *)(void *)p->gathered_iov->data;
    /* Segments lie one after the other from the arena's start, each at an
     * aligned offset; those of chains not being gathered (written at once,
     * gathered before, not taken) are passed over. */
    for (gsize off = 0; off < p->used;) {
        segment *seg = segment_at(p, off + 1);
        guint at = slot_at[seg->slot];

        if (at != G_MAXUINT) {
            iov[at].iov_base = (guint8 *)seg + sizeof(segment);
            iov[at].iov_len = seg->len;
            slot_at[seg->slot] = at + 1;
        }
        off = aligned(off + sizeof(segment) + seg->len);
    }
}

struct iovec *
pending_gathered(pending *p, guint i, guint *n)
{
    const gathered_chain *gc = &g_array_index(p->gathered, gathered_chain, i);

    *n = gc->n;
    return &g_array_index(p->gathered_iov, struct iovec, gc->first);
}

/* The chain's segments in order, found from the last back to the first. */
static struct iovec *
chain_vectors(pending *p, const pending_chain *chain)
{
    struct iovec *iov;
    gsize at = chain->last;

    g_array_set_size(p->iov, chain->segments);
    iov = (struct iovec *)(void *)p->iov->data;
    for (guint i = chain->segments; i > 0 && at != 0; i--) {
        segment *seg = segment_at(p, at);

        iov[i - 1].iov_base = (guint8 *)seg + sizeof(segment);
        iov[i - 1].iov_len = seg->len;
        at = seg->prev;
    }
    return iov;
}

gboolean
pending_write_vectors(int fd, struct iovec *iov, guint n)
{
    const guint batch = IOV_MAX > 1024 ? 1024 : IOV_MAX;
    gboolean ok = TRUE;

    for (guint done = 0; done < n && ok; done += batch)
        ok = write_all_vectors(fd, iov + done, (int)MIN(batch, n - done));
    return ok;
}

/* The chain leaves the arena: later appends of its file start a new
 * segment, with a new slot. */
static void
forget_chain(pending *p, pending_chain *chain)
{
    if (chain->last == p->top_segment)
        p->top_segment = 0;
    memset(chain, 0, sizeof *chain);
}

gboolean
pending_write_chain(pending *p, pending_chain *chain, int fd)
{
    gboolean ok;

    if (pending_chain_is_empty(chain))
        return TRUE;    /* no slot of its own to give back */
    ok = pending_write_vectors(fd, chain_vectors(p, chain), chain->segments);
    forget_chain(p, chain);
    return ok;
}

guint
pending_take_chain(pending *p, pending_chain *chain)
{
    g_array_append_val(p->taken, *chain);
    forget_chain(p, chain);
    return p->taken->len - 1;
}

void
pending_reset(pending *p)
{
    p->used = 0;
    p->top_segment = 0;
    p->slots = 0;
    p->n_gathered = 0;
    g_array_set_size(p->taken, 0);
    g_array_set_size(p->gathered, 0);
    g_array_set_size(p->gathered_iov, 0);
}
