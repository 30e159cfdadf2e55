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
 * are found in one pass in memory order (pending_prepare_all) instead of
 * by following each chain's links.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pending.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

typedef struct {
    gsize prev;     /* offset + 1 of the chain's segment before this one; 0: first */
    guint32 len;    /* bytes after this header */
    guint32 slot;   /* its chain's number: pending.chains */
} segment;

struct pending {
    guint8 *arena;
    gsize capacity;
    gsize used;
    gsize top_segment;      /* offset + 1 of the segment ending at used; 0: none */
    GPtrArray *chains;      /* pending_chain * by slot; NULL once written */
    GArray *prepared_iov;   /* struct iovec: every chain's segments, chain after chain */
    GArray *prepared_at;    /* guint: where each slot's vectors start in prepared_iov */
    gboolean prepared;      /* prepared_iov holds the arena as it is */
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
    p->chains = g_ptr_array_new();
    p->prepared_iov = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    p->prepared_at = g_array_new(FALSE, FALSE, sizeof(guint));
    p->iov = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    return p;
}

void
pending_free(pending *p)
{
    if (p == NULL)
        return;
    g_free(p->arena);
    g_ptr_array_free(p->chains, TRUE);
    g_array_free(p->prepared_iov, TRUE);
    g_array_free(p->prepared_at, TRUE);
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

    p->prepared = FALSE;
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
    if (chain->last == 0) {
        chain->slot = p->chains->len;
        g_ptr_array_add(p->chains, chain);
    }
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

/* writev() of every vector, resuming after short writes. */
static gboolean
write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t done = writev(fd, iov, n);

        if (done < 0) {
            if (errno == EINTR)
                continue;
            return FALSE;
        }
        if (done == 0) {
            errno = ENOSPC;
            return FALSE;
        }
        while (n > 0 && (gsize)done >= iov->iov_len) {
            done -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (guint8 *)iov->iov_base + done;
            iov->iov_len -= (gsize)done;
        }
    }
    return TRUE;
}

void
pending_prepare_all(pending *p)
{
    guint *at, total = 0;
    struct iovec *iov;

    g_array_set_size(p->prepared_at, p->chains->len);
    at = (guint *)(void *)p->prepared_at->data;
    for (guint slot = 0; slot < p->chains->len; slot++) {
        const pending_chain *chain = g_ptr_array_index(p->chains, slot);

        at[slot] = total;
        if (chain != NULL)
            total += chain->segments;
    }
    g_array_set_size(p->prepared_iov, total);
    iov = (struct iovec *)(void *)p->prepared_iov->data;
    /* Segments lie one after the other from the arena's start, each at an
     * aligned offset; at[] counts each slot's vectors as they are found. */
    for (gsize off = 0; off < p->used;) {
        segment *seg = segment_at(p, off + 1);

        if (g_ptr_array_index(p->chains, seg->slot) != NULL) {    /* else written already */
            iov[at[seg->slot]].iov_base = (guint8 *)seg + sizeof(segment);
            iov[at[seg->slot]].iov_len = seg->len;
            at[seg->slot]++;
        }
        off = aligned(off + sizeof(segment) + seg->len);
    }
    p->prepared = TRUE;     /* at[slot] is now where the slot's vectors end */
}

/* The chain's segments in order: from pending_prepare_all(), else found
 * from the last back to the first. */
static struct iovec *
chain_vectors(pending *p, const pending_chain *chain)
{
    struct iovec *iov;
    gsize at = chain->last;

    if (p->prepared)
        return &g_array_index(p->prepared_iov, struct iovec,
                              g_array_index(p->prepared_at, guint, chain->slot) - chain->segments);
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
        ok = write_all(fd, iov + done, (int)MIN(batch, n - done));
    return ok;
}

/* The chain leaves the arena: its slot is given back, and later appends of
 * its file start a new segment. */
static void
forget_chain(pending *p, pending_chain *chain)
{
    if (chain->last == p->top_segment)
        p->top_segment = 0;
    g_ptr_array_index(p->chains, chain->slot) = NULL;
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

struct iovec *
pending_take_chain(pending *p, pending_chain *chain, guint *n)
{
    struct iovec *iov;

    *n = chain->segments;
    if (pending_chain_is_empty(chain))
        return NULL;
    if (!p->prepared)
        pending_prepare_all(p);
    iov = chain_vectors(p, chain);
    forget_chain(p, chain);
    return iov;
}

void
pending_reset(pending *p)
{
    p->used = 0;
    p->top_segment = 0;
    p->prepared = FALSE;
    g_ptr_array_set_size(p->chains, 0);
}
