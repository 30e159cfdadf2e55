/* pending.c
 * The write-behind arena: bytes for many files, each file's bytes a chain
 * of segments, written with one writev() per file when the arena is full.
 *
 * Encoding every frame into one contiguous arena costs the same whatever
 * the number of files, where a buffer per open file (stdio's) spreads the
 * same bytes over thousands of half-empty buffers. A segment is a small
 * header (the next segment's offset and the segment's length) and its
 * bytes; a file's consecutive appends with no other file's in between grow
 * its last segment instead of starting a new one.
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
    gsize next;     /* offset + 1 of the next segment of the chain; 0: last */
    gsize len;      /* bytes after this header */
} segment;

struct pending {
    guint8 *arena;
    gsize capacity;
    gsize used;
    gsize top_segment;      /* offset + 1 of the segment ending at used; 0: none */
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
    return p;
}

void
pending_free(pending *p)
{
    if (p == NULL)
        return;
    g_free(p->arena);
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
    if (chain->last != 0 && chain->last == p->top_segment) {
        seg = segment_at(p, chain->last);
        if (len > p->capacity - p->used)
            return NULL;
        start = p->used;
        seg->len += len;
        p->used += len;
        chain->bytes += len;
        return p->arena + start;
    }
    start = aligned(p->used);
    if (start > p->capacity || sizeof(segment) + len > p->capacity - start)
        return NULL;
    seg = (segment *)(void *)(p->arena + start);
    seg->next = 0;
    seg->len = len;
    if (chain->last != 0)
        segment_at(p, chain->last)->next = start + 1;
    else
        chain->first = start + 1;
    chain->last = start + 1;
    chain->bytes += len;
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

gboolean
pending_write_chain(pending *p, pending_chain *chain, int fd)
{
    struct iovec iov[IOV_MAX > 1024 ? 1024 : IOV_MAX];
    int n = 0;
    gsize at = chain->first;
    gboolean ok = TRUE;

    while (at != 0 && ok) {
        segment *seg = segment_at(p, at);

        iov[n].iov_base = (guint8 *)seg + sizeof(segment);
        iov[n].iov_len = seg->len;
        n++;
        at = seg->next;
        if (n == (int)G_N_ELEMENTS(iov) || at == 0) {
            ok = write_all(fd, iov, n);
            n = 0;
        }
    }
    if (chain->last == p->top_segment)
        p->top_segment = 0;     /* later appends of this file start a segment */
    memset(chain, 0, sizeof *chain);
    return ok;
}

void
pending_reset(pending *p)
{
    p->used = 0;
    p->top_segment = 0;
}
