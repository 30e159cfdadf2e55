/* pending.h
 * Bytes waiting to be written, for many files, in one arena.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_PENDING_H
#define FLOWSPLIT_PENDING_H

#include <glib.h>
#include <sys/uio.h>

typedef struct pending pending;

/* One file's waiting bytes: a chain of segments in the arena, each linked
 * to the one before it. */
typedef struct {
    gsize last;     /* offset + 1 of the last segment; 0 when empty */
    guint segments;
    guint slot;     /* the chain's number in the arena, while not empty */
} pending_chain;

static inline gboolean
pending_chain_is_empty(const pending_chain *chain)
{
    return chain->last == 0;
}

pending *pending_new(gsize capacity);
void pending_free(pending *p);

/* Room for len bytes after the chain's other bytes, or NULL when the arena
 * has no such room (write every chain, then pending_reset). */
guint8 *pending_append(pending *p, pending_chain *chain, gsize len);

/* Writes the chain's bytes to fd in order, with as few writev() calls as
 * the system allows, and empties the chain. FALSE with errno set when a
 * write failed; the file then ends where the failed write left it. */
gboolean pending_write_chain(pending *p, pending_chain *chain, int fd);

/* Takes the chain with bytes out of the arena, to be written later: its
 * bytes stay where they are, for pending_gather() to find, and the chain
 * is emptied. Returns the chain's number, counting from 0 after a reset. */
guint pending_take_chain(pending *p, pending_chain *chain);

/* Finds the bytes of the chains taken since the last gather, in one pass
 * over the arena in memory order, so that writing a chain does not follow
 * its links back through the arena (a cache miss for each segment). Does
 * nothing when no chain was taken since: take every chain first, and one
 * pass finds them all. It touches only the arena's own memory, so it may
 * run on another thread while the arena is left alone. */
void pending_gather(pending *p);

/* After pending_gather(): taken chain number i's bytes as *n vectors into
 * the arena, valid until the next gather or reset. */
struct iovec *pending_gathered(pending *p, guint i, guint *n);

/* writev() of n vectors to fd, as many calls as the system needs, resuming
 * after short writes. FALSE with errno set when a write failed. */
gboolean pending_write_vectors(int fd, struct iovec *iov, guint n);

/* Forgets every segment: every chain must have been written. */
void pending_reset(pending *p);

gsize pending_capacity(const pending *p);

#endif /* FLOWSPLIT_PENDING_H */
