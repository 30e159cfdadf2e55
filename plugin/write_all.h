/* write_all.h
 * Writing every byte of a buffer to a descriptor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_WRITE_ALL_H
#define FLOWSPLIT_WRITE_ALL_H

#include <glib.h>
#include <sys/uio.h>

/* writev() of n vectors (at most IOV_MAX), as many calls as the system
 * needs, resuming after short writes and EINTR; iov is consumed. FALSE
 * with errno set when a write failed (ENOSPC when the system wrote nothing
 * and said no more). */
gboolean write_all_vectors(int fd, struct iovec *iov, int n);

/* The same for one buffer of len bytes. */
gboolean write_all(int fd, const void *buf, gsize len);

#endif /* FLOWSPLIT_WRITE_ALL_H */
