/* test_pending.c
 * Unit tests of the write-behind arena (plugin/pending.h): bytes appended
 * to many chains, interleaved, come out of each chain in order and
 * complete, whether a chain is written at once (pending_write_chain) or
 * taken, gathered and written as vectors; consecutive appends to one chain
 * grow one segment; a full arena refuses an append and takes it again
 * after a reset; chains of thousands of segments (more than one writev()
 * can take) are written whole; a failed write says so with errno.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "pending.h"
#include "unit_support.h"

/* A chain and the bytes it should hold. */
typedef struct {
    pending_chain chain;
    GByteArray *want;
} tracked;

static guint8 next_byte;

static gboolean
append(pending *p, tracked *t, gsize len)
{
    guint8 *at = pending_append(p, &t->chain, len);

    if (at == NULL)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        at[i] = next_byte++;
        g_byte_array_append(t->want, &at[i], 1);
    }
    return TRUE;
}

static void
tracked_init(tracked *t, guint n)
{
    for (guint i = 0; i < n; i++) {
        memset(&t[i].chain, 0, sizeof t[i].chain);
        t[i].want = g_byte_array_new();
    }
}

static void
tracked_clear(tracked *t, guint n)
{
    for (guint i = 0; i < n; i++)
        g_byte_array_free(t[i].want, TRUE);
}

/* A file in dir to write a chain to, and its bytes afterwards. */
static int
open_out(const char *dir, guint i)
{
    char *name = g_strdup_printf("%s/chain-%u", dir, i);
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    g_assert_cmpint(fd, >=, 0);
    g_free(name);
    return fd;
}

static void
assert_file(const char *dir, guint i, const GByteArray *want)
{
    char *name = g_strdup_printf("%s/chain-%u", dir, i);
    gsize len;
    guint8 *got = unit_read_file(name, &len);

    g_assert_cmpmem(got, len, want->data, want->len);
    g_free(got);
    g_free(name);
}

static void
test_segments(void)
{
    pending *p = pending_new(4096);
    tracked t[2];

    tracked_init(t, 2);
    g_assert_cmpuint(pending_capacity(p), ==, 4096);
    g_assert_true(pending_chain_is_empty(&t[0].chain));
    g_assert_true(append(p, &t[0], 10));
    g_assert_true(append(p, &t[0], 7));
    g_assert_cmpuint(t[0].chain.segments, ==, 1);      /* grown, not a new segment */
    g_assert_true(append(p, &t[1], 3));
    g_assert_true(append(p, &t[0], 5));
    g_assert_cmpuint(t[0].chain.segments, ==, 2);
    g_assert_cmpuint(t[1].chain.segments, ==, 1);
    g_assert_true(append(p, &t[0], 0));                 /* nothing, still fine */
    g_assert_false(pending_chain_is_empty(&t[0].chain));
    pending_free(p);
    tracked_clear(t, 2);
}

static void
test_interleaved_write_chain(void)
{
    enum { N = 5 };
    char *dir = unit_temp_dir();
    pending *p = pending_new(1 << 20);
    tracked t[N];

    tracked_init(t, N);
    for (guint round = 0; round < 300; round++) {
        guint c = (round * 7 + round / 3) % N;
        g_assert_true(append(p, &t[c], 1 + (round * 13) % 97));
        if (round % 5 == 0)     /* back to back: the same segment grows */
            g_assert_true(append(p, &t[c], 4));
    }
    for (guint i = 0; i < N; i++) {
        int fd = open_out(dir, i);

        g_assert_true(pending_write_chain(p, &t[i].chain, fd));
        g_assert_true(pending_chain_is_empty(&t[i].chain));
        g_assert_cmpint(close(fd), ==, 0);
        assert_file(dir, i, t[i].want);
    }
    /* An empty chain writes nothing and succeeds. */
    g_assert_true(pending_write_chain(p, &t[0].chain, -1));
    pending_free(p);
    tracked_clear(t, N);
    unit_temp_dir_remove(dir);
}

static void
test_full_arena(void)
{
    char *dir = unit_temp_dir();
    pending *p = pending_new(1024);
    pending *none = pending_new(0);
    tracked t[2];
    guint accepted = 0;
    int fd;

    tracked_init(t, 2);
    g_assert_null(pending_append(none, &t[0].chain, 1));
    g_assert_true(pending_chain_is_empty(&t[0].chain));
    pending_free(none);

    g_assert_null(pending_append(p, &t[0].chain, 1025));
    g_assert_true(pending_chain_is_empty(&t[0].chain));
    while (append(p, &t[accepted % 2], 50))
        accepted++;
    g_assert_cmpuint(accepted, >, 5);
    g_assert_cmpuint(t[0].want->len + t[1].want->len, <=, 1024);
    for (guint i = 0; i < 2; i++) {
        fd = open_out(dir, i);
        g_assert_true(pending_write_chain(p, &t[i].chain, fd));
        close(fd);
        assert_file(dir, i, t[i].want);
        g_byte_array_set_size(t[i].want, 0);
    }
    /* After a reset the whole arena is free again. */
    pending_reset(p);
    g_assert_true(append(p, &t[0], 900));
    fd = open_out(dir, 0);
    g_assert_true(pending_write_chain(p, &t[0].chain, fd));
    close(fd);
    assert_file(dir, 0, t[0].want);
    pending_free(p);
    tracked_clear(t, 2);
    unit_temp_dir_remove(dir);
}

/* The vectors of gathered chain number i, joined. */
static GByteArray *
gathered_bytes(pending *p, guint i)
{
    GByteArray *b = g_byte_array_new();
    struct iovec *iov;
    guint n;

    iov = pending_gathered(p, i, &n);
    for (guint k = 0; k < n; k++)
        g_byte_array_append(b, iov[k].iov_base, (guint)iov[k].iov_len);
    return b;
}

static void
assert_gathered(pending *p, guint i, const GByteArray *want)
{
    GByteArray *got = gathered_bytes(p, i);

    g_assert_cmpmem(got->data, got->len, want->data, want->len);
    g_byte_array_free(got, TRUE);
}

static void
test_take_and_gather(void)
{
    enum { N = 4 };
    char *dir = unit_temp_dir();
    pending *p = pending_new(1 << 16);
    tracked t[N], again[1];
    GByteArray *written_at_once;
    int fd;

    tracked_init(t, N);
    tracked_init(again, 1);
    for (guint round = 0; round < 120; round++)
        g_assert_true(append(p, &t[(round * 3) % N], 1 + round % 11));
    /* Chain 3 is written at once: gathering passes over its segments. */
    fd = open_out(dir, 3);
    g_assert_true(pending_write_chain(p, &t[3].chain, fd));
    close(fd);
    assert_file(dir, 3, t[3].want);
    written_at_once = t[3].want;

    g_assert_cmpuint(pending_take_chain(p, &t[0].chain), ==, 0);
    g_assert_cmpuint(pending_take_chain(p, &t[1].chain), ==, 1);
    g_assert_true(pending_chain_is_empty(&t[0].chain));
    pending_gather(p);
    pending_gather(p);      /* nothing taken since: changes nothing */
    assert_gathered(p, 0, t[0].want);
    assert_gathered(p, 1, t[1].want);

    /* Chain 0 again after it was taken: a new chain, with only new bytes. */
    again[0].chain = t[0].chain;
    g_assert_true(append(p, &again[0], 33));
    g_assert_cmpuint(pending_take_chain(p, &t[2].chain), ==, 2);
    g_assert_cmpuint(pending_take_chain(p, &again[0].chain), ==, 3);
    pending_gather(p);
    assert_gathered(p, 0, t[0].want);
    assert_gathered(p, 1, t[1].want);
    assert_gathered(p, 2, t[2].want);
    assert_gathered(p, 3, again[0].want);

    for (guint i = 0; i < 3; i++) {
        struct iovec *iov;
        guint n;

        fd = open_out(dir, i);
        iov = pending_gathered(p, i, &n);
        g_assert_true(pending_write_vectors(fd, iov, n));
        close(fd);
        assert_file(dir, i, t[i].want);
    }
    g_assert_true(written_at_once == t[3].want);
    pending_reset(p);
    pending_free(p);
    tracked_clear(t, N);
    tracked_clear(again, 1);
    unit_temp_dir_remove(dir);
}

/* Two chains, alternating, 3000 segments each: more vectors than one
 * writev() takes (IOV_MAX is 1024 on Linux). */
static void
test_many_segments(void)
{
    char *dir = unit_temp_dir();
    pending *p = pending_new(1 << 20);
    tracked t[2];
    struct iovec *iov;
    guint n;
    int fd;

    tracked_init(t, 2);
    for (guint i = 0; i < 6000; i++)
        g_assert_true(append(p, &t[i % 2], 3));
    g_assert_cmpuint(t[0].chain.segments, ==, 3000);
    fd = open_out(dir, 0);
    g_assert_true(pending_write_chain(p, &t[0].chain, fd));
    close(fd);
    assert_file(dir, 0, t[0].want);

    g_assert_cmpuint(pending_take_chain(p, &t[1].chain), ==, 0);
    pending_gather(p);
    iov = pending_gathered(p, 0, &n);
    g_assert_cmpuint(n, ==, 3000);
    fd = open_out(dir, 1);
    g_assert_true(pending_write_vectors(fd, iov, n));
    close(fd);
    assert_file(dir, 1, t[1].want);
    pending_free(p);
    tracked_clear(t, 2);
    unit_temp_dir_remove(dir);
}

static void
test_write_errors(void)
{
    pending *p = pending_new(4096);
    tracked t[1];
    int full = open("/dev/full", O_WRONLY | O_CLOEXEC);

    tracked_init(t, 1);
    g_assert_true(append(p, &t[0], 100));
    errno = 0;
    g_assert_false(pending_write_chain(p, &t[0].chain, -1));
    g_assert_cmpint(errno, ==, EBADF);
    g_assert_true(pending_chain_is_empty(&t[0].chain));     /* emptied all the same */

    if (full >= 0) {
        g_assert_true(append(p, &t[0], 100));
        errno = 0;
        g_assert_false(pending_write_chain(p, &t[0].chain, full));
        g_assert_cmpint(errno, ==, ENOSPC);
        close(full);
    }
    pending_free(p);
    tracked_clear(t, 1);
}

int
main(int argc, char **argv)
{
    unit_init(&argc, &argv);
    g_test_add_func("/pending/segments", test_segments);
    g_test_add_func("/pending/interleaved-write-chain", test_interleaved_write_chain);
    g_test_add_func("/pending/full-arena", test_full_arena);
    g_test_add_func("/pending/take-and-gather", test_take_and_gather);
    g_test_add_func("/pending/many-segments", test_many_segments);
    g_test_add_func("/pending/write-errors", test_write_errors);
    return g_test_run();
}
