/* atomic_file.c
 * Writing a file whole or not at all (atomic_file.h): a reader, a crash or
 * a full disk never meets a partial file under its name.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

gboolean
atomic_file_write(int dir_fd, const char *dir_path, const char *name, const char *temp, atomic_file_fill_fn fill,
                  void *user_data, char **error)
{
    const char *what = "create";
    gboolean ok;
    int fd;

    /* A temporary file left by a split that was killed goes first; never
     * followed if it is a link (O_NOFOLLOW, O_EXCL). */
    if (unlinkat(dir_fd, temp, 0) != 0 && errno != ENOENT) {
        *error = g_strdup_printf("flowsplit: cannot remove \"%s/%s\": %s", dir_path, temp, g_strerror(errno));
        return FALSE;
    }
    fd = openat(dir_fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    ok = fd >= 0;
    if (ok) {
        what = "write";
        ok = fill(fd, user_data) && fsync(fd) == 0;
        if (close(fd) != 0)
            ok = FALSE;
    }
    if (ok) {
        what = "rename";
        ok = renameat(dir_fd, temp, dir_fd, name) == 0;
    }
    if (!ok) {
        int err = errno;

        if (fd >= 0)
            unlinkat(dir_fd, temp, 0);      /* never a partial file under any name */
        *error = g_strdup_printf("flowsplit: cannot %s \"%s/%s\": %s", what, dir_path, name, g_strerror(err));
    }
    return ok;
}
