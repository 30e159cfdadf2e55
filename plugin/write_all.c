/* write_all.c
 * The one place that loops on write() and writev(): a write may take fewer
 * bytes than asked (a full disk, a signal), so every writer of raw bytes
 * (stream files, NAME.part appends, streams.csv) goes through here and
 * resumes where the system stopped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "write_all.h"

#include <errno.h>
#include <unistd.h>

gboolean
write_all(int fd, const void *buf, gsize len)
{
    const guint8 *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

gboolean
write_all_vectors(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t done = writev(fd, iov, n);

        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0) {
            if (done == 0)
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
