/* SPDX-License-Identifier: GPL-2.0-or-later */
/* faultinject.c
 * An LD_PRELOAD library for tests/test_faults.py, in the manner of SQLite's
 * I/O error tests: it counts the calls tshark makes on files inside one
 * folder (the split's output folder) and makes the Nth of them fail, so
 * that a sweep over N fails every open, write and close of a split once,
 * wherever it happens: on tshark's thread, on the write-behind thread, in
 * wiretap's stdio, in the repair after a failure.
 *
 * Environment (read once, at load):
 *   FLOWSPLIT_FAULT_DIR      the folder; nothing outside it is counted or
 *                            failed (tshark reading its input, /proc, ...)
 *   FLOWSPLIT_FAULT_AT=N     the Nth counted call (from 1) fails
 *   FLOWSPLIT_FAULT_ERRNO    with this errno: ENOSPC, EIO or EDQUOT (never
 *                            EMFILE/ENFILE, which flowsplit recovers from)
 *   FLOWSPLIT_FAULT_COUNT=F  count only, never fail; write the number of
 *                            counted calls to F at exit
 *   FLOWSPLIT_FAULT_LOG=F    one line per counted call: its number, the
 *                            call (a close of a descriptor opened read-only
 *                            is "close-read-only"), the file's name inside
 *                            the folder, and "FAILED" for the one made to
 *                            fail
 *   FLOWSPLIT_FAULT_DEEP=1   the folders under the folder count too (the
 *                            flowsplit command's workers write in folders
 *                            it makes inside the output folder)
 *   FLOWSPLIT_FAULT_PROGRAM  the program it acts in (default tshark): the
 *                            preload reaches setpriv, bash and any helper
 *                            tshark starts, which pass everything through
 *
 * Counted: open, open64, openat, openat64 and fopen of a path inside the
 * folder, or relative to a descriptor of the folder (flowsplit creates its
 * files with openat(dir_fd, name, O_CREAT|O_EXCL|O_NOFOLLOW ...)); on a
 * descriptor opened so (a table says which): write, writev, pwrite,
 * ftruncate, fsync, fdatasync, close; unlink, unlinkat, rename, renameat of
 * a name in the folder (renameat2 and linkat too, for the flowsplit
 * command's merge); and, on a FILE whose descriptor is in the folder,
 * the stdio calls wiretap writes with (fwrite, fputc, putc, fflush,
 * fclose): glibc's stdio writes with its own internal write(), which no
 * preload can see.
 *
 * A failed call does what the kernel or glibc would: an open, write,
 * truncate or unlink does nothing; a close still frees the descriptor (as
 * Linux does); a failed stdio call drops what the FILE had buffered and
 * sets its error flag, as glibc does when its write fails. Thread-safe:
 * the counter is atomic and the descriptor table is set before a
 * descriptor is handed out and cleared before it is closed.
 *
 * Built by tests/CMakeLists.txt as faultinject.so in the build tree; never
 * installed.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#undef putc

#define FD_SLOTS 65536
#define NAME_LEN 160

typedef struct {
    int in_dir;             /* a file inside the folder (atomic) */
    int read_only;          /* opened O_RDONLY: a failed close loses nothing */
    char name[NAME_LEN];    /* its name inside the folder */
} fd_slot;

static fd_slot fd_table[FD_SLOTS];

static int active;                  /* FLOWSPLIT_FAULT_DIR set, in the right program */
static int deep;                    /* FLOWSPLIT_FAULT_DEEP: folders under it too */
static int counting_only;
static unsigned long fail_at;       /* 0: never */
static int fail_errno = ENOSPC;
static unsigned long calls;         /* atomic */
static char dir_path[PATH_MAX];     /* as given, without trailing slashes */
static char dir_real[PATH_MAX];     /* realpath() of it, when it existed at load */
static char count_path[PATH_MAX];
static int log_fd = -1;
static int dir_known;               /* dir_dev and dir_ino are set (atomic) */
static dev_t dir_dev;
static ino_t dir_ino;

/* The next definition of a function, past this library (libc's, or
 * libasan's interceptor's target when libasan is preloaded first). */
static void *
next_symbol(void **slot, const char *name)
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

    if (p == NULL) {
        p = dlsym(RTLD_NEXT, name);
        if (p == NULL)
            abort();
        __atomic_store_n(slot, p, __ATOMIC_RELEASE);
    }
    return p;
}

#define REAL(type, fn) ((type)next_symbol(&real_##fn, #fn))

static void *real_open, *real_open64, *real_openat, *real_openat64, *real_fopen, *real_fopen64;
static void *real_write, *real_writev, *real_pwrite, *real_pwrite64, *real_ftruncate, *real_ftruncate64;
static void *real_fsync, *real_fdatasync, *real_close;
static void *real_unlink, *real_unlinkat, *real_rename, *real_renameat, *real_renameat2, *real_linkat;
static void *real_fwrite, *real_fputc, *real_putc, *real_fflush, *real_fclose;

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*fd_fn)(int);
typedef int (*path_fn)(const char *);
typedef int (*unlinkat_fn)(int, const char *, int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned int);
typedef int (*linkat_fn)(int, const char *, int, const char *, int);
typedef size_t (*fwrite_fn)(const void *, size_t, size_t, FILE *);
typedef int (*fputc_fn)(int, FILE *);
typedef int (*file_fn)(FILE *);

/* ---- configuration ---- */

static int
errno_named(const char *name)
{
    if (name == NULL || strcmp(name, "ENOSPC") == 0)
        return ENOSPC;
    if (strcmp(name, "EIO") == 0)
        return EIO;
    if (strcmp(name, "EDQUOT") == 0)
        return EDQUOT;
    return 0;
}

static void
refuse(const char *why)
{
    fprintf(stderr, "faultinject: %s\n", why);
    abort();
}

__attribute__((constructor)) static void
faultinject_init(void)
{
    const char *dir = getenv("FLOWSPLIT_FAULT_DIR");
    const char *program = getenv("FLOWSPLIT_FAULT_PROGRAM");
    const char *at = getenv("FLOWSPLIT_FAULT_AT");
    const char *count = getenv("FLOWSPLIT_FAULT_COUNT");
    const char *log = getenv("FLOWSPLIT_FAULT_LOG");
    size_t len;

    if (dir == NULL || dir[0] != '/')
        return;
    if (strcmp(program_invocation_short_name, program != NULL ? program : "tshark") != 0)
        return;
    len = strlen(dir);
    if (len >= sizeof dir_path)
        refuse("FLOWSPLIT_FAULT_DIR is too long");
    memcpy(dir_path, dir, len + 1);
    while (len > 1 && dir_path[len - 1] == '/')
        dir_path[--len] = '\0';
    if (realpath(dir_path, dir_real) == NULL)
        dir_real[0] = '\0';
    deep = getenv("FLOWSPLIT_FAULT_DEEP") != NULL;
    fail_errno = errno_named(getenv("FLOWSPLIT_FAULT_ERRNO"));
    if (fail_errno == 0)
        refuse("FLOWSPLIT_FAULT_ERRNO must be ENOSPC, EIO or EDQUOT");
    if (count != NULL) {
        if (strlen(count) >= sizeof count_path)
            refuse("FLOWSPLIT_FAULT_COUNT is too long");
        strcpy(count_path, count);
        counting_only = 1;
    } else if (at != NULL) {
        char *end;
        fail_at = strtoul(at, &end, 10);
        if (*end != '\0' || fail_at == 0)
            refuse("FLOWSPLIT_FAULT_AT must be a number from 1");
    }
    if (log != NULL) {
        log_fd = REAL(open_fn, open)(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
        if (log_fd < 0)
            refuse("cannot create FLOWSPLIT_FAULT_LOG");
    }
    active = 1;
}

__attribute__((destructor)) static void
faultinject_fini(void)
{
    char line[32];
    int fd, n;

    if (!active || !counting_only)
        return;
    fd = REAL(open_fn, open)(count_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return;
    n = snprintf(line, sizeof line, "%lu\n", __atomic_load_n(&calls, __ATOMIC_SEQ_CST));
    if (REAL(write_fn, write)(fd, line, (size_t)n) != n)
        fprintf(stderr, "faultinject: cannot write FLOWSPLIT_FAULT_COUNT\n");    /* the test sees no count */
    REAL(fd_fn, close)(fd);
}

/* ---- what is inside the folder ---- */

/* The name of path inside the folder, or NULL when it is not inside. */
static const char *
inside(const char *path, const char *folder)
{
    size_t len = strlen(folder);

    if (len == 0 || strncmp(path, folder, len) != 0 || path[len] != '/' || path[len + 1] == '\0')
        return NULL;
    return path + len + 1;
}

static const char *
path_inside(const char *path)
{
    const char *name;
    char cwd[PATH_MAX], joined[2 * PATH_MAX + 2];

    if (!active || path == NULL)
        return NULL;
    if (path[0] != '/') {
        if (getcwd(cwd, sizeof cwd) == NULL)
            return NULL;
        snprintf(joined, sizeof joined, "%s/%s", cwd, path);
        name = inside(joined, dir_path);
        if (name == NULL)
            name = inside(joined, dir_real);
        if (name == NULL)
            return NULL;
        return strlen(name) <= strlen(path) ? path + strlen(path) - strlen(name) : path;
    }
    name = inside(path, dir_path);
    return name != NULL ? name : inside(path, dir_real);
}

/* Deep: is fd a descriptor of a folder under the folder? */
static int
is_subfolder_fd(int fd)
{
    char link[64], target[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return inside(target, dir_path) != NULL || inside(target, dir_real) != NULL;
}

/* Is fd a descriptor of the folder itself (or, deep, of one under it)? */
static int
is_folder_fd(int fd)
{
    struct stat st;

    if (deep && is_subfolder_fd(fd))
        return 1;

    if (!__atomic_load_n(&dir_known, __ATOMIC_ACQUIRE)) {
        /* flowsplit may have created the folder after the load */
        if (stat(dir_path, &st) != 0)
            return 0;
        dir_dev = st.st_dev;
        dir_ino = st.st_ino;
        __atomic_store_n(&dir_known, 1, __ATOMIC_RELEASE);
    }
    return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == dir_dev && st.st_ino == dir_ino;
}

static const char *
at_inside(int dir_fd, const char *path)
{
    if (!active || path == NULL)
        return NULL;
    if (path[0] == '/' || dir_fd == AT_FDCWD)
        return path_inside(path);
    return is_folder_fd(dir_fd) ? path : NULL;
}

/* The name of the file fd is open on, or NULL when it is not inside. */
static const char *
fd_inside(int fd)
{
    if (!active || fd < 0 || fd >= FD_SLOTS || !__atomic_load_n(&fd_table[fd].in_dir, __ATOMIC_ACQUIRE))
        return NULL;
    return fd_table[fd].name;
}

static const char *
file_inside(FILE *f)
{
    return (f == NULL || !active) ? NULL : fd_inside(fileno(f));
}

static void
track(int fd, const char *name, int read_only)
{
    if (fd < 0)
        return;
    if (fd >= FD_SLOTS)
        refuse("a descriptor beyond the table: raise FD_SLOTS");
    snprintf(fd_table[fd].name, NAME_LEN, "%s", name);
    fd_table[fd].read_only = read_only;
    __atomic_store_n(&fd_table[fd].in_dir, 1, __ATOMIC_RELEASE);
}

static void
untrack(int fd)
{
    if (fd >= 0 && fd < FD_SLOTS)
        __atomic_store_n(&fd_table[fd].in_dir, 0, __ATOMIC_RELEASE);
}

/* ---- counting and failing ---- */

static void
log_call(unsigned long n, const char *call, const char *name, int failed)
{
    char line[64 + NAME_LEN];
    int len;

    if (log_fd < 0)
        return;
    len = snprintf(line, sizeof line, "%lu\t%s\t%s%s\n", n, call, name, failed ? "\tFAILED" : "");
    if (len > (int)sizeof line - 1)
        len = (int)sizeof line - 1;
    if (REAL(write_fn, write)(log_fd, line, (size_t)len) != len)
        log_fd = -1;
}

/* Counts a call on name (inside the folder): is it the one to fail? */
static int
should_fail(const char *call, const char *name)
{
    unsigned long n = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    int fail = !counting_only && n == fail_at;

    log_call(n, call, name, fail);
    return fail;
}

static int
fail_int(void)
{
    errno = fail_errno;
    return -1;
}

/* What glibc does when a FILE's write fails: the buffered bytes are
 * dropped and the error flag set. */
static void
fail_file(FILE *f)
{
    __fpurge(f);
    f->_flags |= _IO_ERR_SEEN;
    errno = fail_errno;
}

/* ---- opens ---- */

static mode_t
open_mode(int flags, va_list ap)
{
    return ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? (mode_t)va_arg(ap, int) : 0;
}

static int
opened(int fd, const char *name, int flags)
{
    track(fd, name, (flags & O_ACCMODE) == O_RDONLY);
    return fd;
}

#define OPEN_BODY(fn, call)                                                            \
    {                                                                                  \
        va_list ap;                                                                    \
        mode_t mode;                                                                   \
        const char *name = path_inside(path);                                          \
                                                                                       \
        va_start(ap, flags);                                                           \
        mode = open_mode(flags, ap);                                                   \
        va_end(ap);                                                                    \
        if (name == NULL)                                                              \
            return REAL(open_fn, fn)(path, flags, mode);                               \
        if (should_fail(call, name))                                                   \
            return fail_int();                                                         \
        return opened(REAL(open_fn, fn)(path, flags, mode), name, flags);              \
    }

int open(const char *path, int flags, ...) OPEN_BODY(open, "open")
int open64(const char *path, int flags, ...) OPEN_BODY(open64, "open64")

#define OPENAT_BODY(fn, call)                                                          \
    {                                                                                  \
        va_list ap;                                                                    \
        mode_t mode;                                                                   \
        const char *name = at_inside(dir_fd, path);                                    \
                                                                                       \
        va_start(ap, flags);                                                           \
        mode = open_mode(flags, ap);                                                   \
        va_end(ap);                                                                    \
        if (name == NULL)                                                              \
            return REAL(openat_fn, fn)(dir_fd, path, flags, mode);                     \
        if (should_fail(call, name))                                                   \
            return fail_int();                                                         \
        return opened(REAL(openat_fn, fn)(dir_fd, path, flags, mode), name, flags);    \
    }

int openat(int dir_fd, const char *path, int flags, ...) OPENAT_BODY(openat, "openat")
int openat64(int dir_fd, const char *path, int flags, ...) OPENAT_BODY(openat64, "openat64")

static FILE *
fopen_common(void **slot, const char *fn, const char *path, const char *mode)
{
    const char *name = path_inside(path);
    FILE *f;

    if (name == NULL)
        return ((fopen_fn)next_symbol(slot, fn))(path, mode);
    if (should_fail(fn, name)) {
        errno = fail_errno;
        return NULL;
    }
    f = ((fopen_fn)next_symbol(slot, fn))(path, mode);
    if (f != NULL)
        track(fileno(f), name, mode[0] == 'r' && strchr(mode, '+') == NULL);
    return f;
}

FILE *
fopen(const char *path, const char *mode)
{
    return fopen_common(&real_fopen, "fopen", path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
    return fopen_common(&real_fopen64, "fopen64", path, mode);
}

/* ---- descriptors ---- */

ssize_t
write(int fd, const void *buf, size_t len)
{
    const char *name = fd_inside(fd);

    if (name != NULL && should_fail("write", name))
        return fail_int();
    return REAL(write_fn, write)(fd, buf, len);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
    const char *name = fd_inside(fd);

    if (name != NULL && should_fail("writev", name))
        return fail_int();
    return REAL(writev_fn, writev)(fd, iov, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
    const char *name = fd_inside(fd);

    if (name != NULL && should_fail("pwrite", name))
        return fail_int();
    return REAL(pwrite_fn, pwrite)(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    const char *name = fd_inside(fd);

    if (name != NULL && should_fail("pwrite64", name))
        return fail_int();
    return REAL(pwrite_fn, pwrite64)(fd, buf, len, off);
}

int
ftruncate(int fd, off_t len)
{
    const char *name = fd_inside(fd);

    if (name != NULL && should_fail("ftruncate", name))
        return fail_int();
    return REAL(ftruncate_fn, ftruncate)(fd, len);
}

int
ftruncate64(int fd, off_t len)
{
    const char *name = fd_inside(fd);

    if (name != NULL && should_fail("ftruncate64", name))
        return fail_int();
    return REAL(ftruncate_fn, ftruncate64)(fd, len);
}

int
fsync(int fd)
{
    const char *name = fd_inside(fd);

    if (name != NULL && should_fail("fsync", name))
        return fail_int();
    return REAL(fd_fn, fsync)(fd);
}

int
fdatasync(int fd)
{
    const char *name = fd_inside(fd);

    if (name != NULL && should_fail("fdatasync", name))
        return fail_int();
    return REAL(fd_fn, fdatasync)(fd);
}

/* Linux frees the descriptor even when close() fails. */
int
close(int fd)
{
    const char *name = fd_inside(fd);
    int fail, ret;

    if (name == NULL)
        return REAL(fd_fn, close)(fd);
    fail = should_fail(fd_table[fd].read_only ? "close-read-only" : "close", name);
    untrack(fd);
    ret = REAL(fd_fn, close)(fd);
    return fail ? fail_int() : ret;
}

/* ---- names ---- */

int
unlink(const char *path)
{
    const char *name = path_inside(path);

    if (name != NULL && should_fail("unlink", name))
        return fail_int();
    return REAL(path_fn, unlink)(path);
}

int
unlinkat(int dir_fd, const char *path, int flags)
{
    const char *name = at_inside(dir_fd, path);

    if (name != NULL && should_fail("unlinkat", name))
        return fail_int();
    return REAL(unlinkat_fn, unlinkat)(dir_fd, path, flags);
}

int
rename(const char *from, const char *to)
{
    const char *name = path_inside(from);

    if (name == NULL)
        name = path_inside(to);
    if (name != NULL && should_fail("rename", name))
        return fail_int();
    return REAL(rename_fn, rename)(from, to);
}

int
renameat(int from_dir, const char *from, int to_dir, const char *to)
{
    const char *name = at_inside(from_dir, from);

    if (name == NULL)
        name = at_inside(to_dir, to);
    if (name != NULL && should_fail("renameat", name))
        return fail_int();
    return REAL(renameat_fn, renameat)(from_dir, from, to_dir, to);
}

/* The flowsplit command's merge moves files with these. */
int
renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned int flags)
{
    const char *name = at_inside(from_dir, from);

    if (name == NULL)
        name = at_inside(to_dir, to);
    if (name != NULL && should_fail("renameat2", name))
        return fail_int();
    return REAL(renameat2_fn, renameat2)(from_dir, from, to_dir, to, flags);
}

int
linkat(int from_dir, const char *from, int to_dir, const char *to, int flags)
{
    const char *name = at_inside(from_dir, from);

    if (name == NULL)
        name = at_inside(to_dir, to);
    if (name != NULL && should_fail("linkat", name))
        return fail_int();
    return REAL(linkat_fn, linkat)(from_dir, from, to_dir, to, flags);
}

/* ---- stdio (wiretap's writing) ---- */

size_t
fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
    const char *name = file_inside(f);

    if (name != NULL && should_fail("fwrite", name)) {
        fail_file(f);
        return 0;
    }
    return REAL(fwrite_fn, fwrite)(buf, size, n, f);
}

int
fputc(int c, FILE *f)
{
    const char *name = file_inside(f);

    if (name != NULL && should_fail("fputc", name)) {
        fail_file(f);
        return EOF;
    }
    return REAL(fputc_fn, fputc)(c, f);
}

int
putc(int c, FILE *f)
{
    const char *name = file_inside(f);

    if (name != NULL && should_fail("putc", name)) {
        fail_file(f);
        return EOF;
    }
    return REAL(fputc_fn, putc)(c, f);
}

int
fflush(FILE *f)
{
    const char *name = file_inside(f);

    if (name != NULL && should_fail("fflush", name)) {
        fail_file(f);
        return EOF;
    }
    return REAL(file_fn, fflush)(f);
}

/* fclose() closes the descriptor whatever happens, as close() does. */
int
fclose(FILE *f)
{
    const char *name = file_inside(f);
    int fail, ret;

    if (name == NULL)
        return REAL(file_fn, fclose)(f);
    fail = should_fail("fclose", name);
    untrack(fileno(f));
    if (fail)
        fail_file(f);
    ret = REAL(file_fn, fclose)(f);
    if (fail) {
        errno = fail_errno;
        return EOF;
    }
    return ret;
}
