/* write_all.c
 * The one place that loops on writev(): a write may take fewer bytes than
 * asked (a full disk, a signal), so every writer of raw bytes (stream
 * files, NAME.part appends, streams.csv) goes through here and resumes
 * where the system stopped. A single buffer is one vector.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "write_all.h"

#include <errno.h>
#include <sys/uio.h>

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

gboolean
write_all(int fd, const void *buf, gsize len)
{
    struct iovec iov = { (void *)buf, len };

    return len == 0 || write_all_vectors(fd, &iov, 1);
}
