/* shard_writer.c
 * Writes the shards of the partitioner's second pass (shard_writer.h).
 *
 * The frames of a capture alternate between shards, and each shard's
 * worker reads its pipe at its own pace. With blocking writes, a worker
 * that is slower for a moment (a burst of new streams to open) would stop
 * the whole pass at its full pipe, and the other workers, their pipes run
 * dry, would wait too: on this machine that cost -j 2 about 15% of its
 * wall time. So each shard's bytes go out in chunks through a
 * non-blocking descriptor; a chunk its pipe cannot take yet waits in a
 * queue, and the pass goes on for the other shards. Only when a shard
 * holds more than its share of SHARD_WRITER_HELD does the pass wait, and
 * then for any pipe that can take more, so the others keep being fed from
 * their queues. Files (flowsplit partition) take every write at once.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "shard_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK               (256u << 10)
#define MAP_BUFFER          (64u << 10)
/* What all shards together may hold for their pipes; each shard's share is
 * this over the number of shards, between 1 and 16 MB. */
#define SHARD_WRITER_HELD   (256u << 20)

typedef struct {
    int fd, map_fd;
    GByteArray *cur;        /* filling */
    GQueue queue;           /* GByteArray *: full chunks waiting for the pipe */
    gsize head_done;        /* bytes of the queue's head already written */
    gsize held;             /* bytes in the queue, less head_done */
    guint8 *map;
    gsize map_used;
} shard;

struct shard_writer {
    guint n;
    shard *s;
    gsize cap;              /* a shard's share of SHARD_WRITER_HELD */
};

static gboolean
failed(guint k, const char *what, int err, char **error)
{
    *error = g_strdup_printf("flowsplit: cannot write shard %u%s: %s", k, what, g_strerror(err));
    return FALSE;
}

shard_writer *
shard_writer_new(guint n, const int *capture_fds, const int *map_fds)
{
    shard_writer *w = g_new0(shard_writer, 1);

    w->n = n;
    w->s = g_new0(shard, n);
    w->cap = CLAMP(SHARD_WRITER_HELD / MAX(n, 1), 1u << 20, 16u << 20);
    for (guint k = 0; k < n; k++) {
        shard *s = &w->s[k];
        struct stat st;

        s->fd = capture_fds[k];
        s->map_fd = map_fds[k];
        s->cur = g_byte_array_sized_new(CHUNK);
        g_queue_init(&s->queue);
        s->map = g_malloc(MAP_BUFFER);
        if (fstat(s->fd, &st) == 0 && S_ISFIFO(st.st_mode))
            fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    }
    return w;
}

/* Shard k's queue, written as far as its descriptor takes it now. */
static gboolean
drain(shard_writer *w, guint k, char **error)
{
    shard *s = &w->s[k];
    GByteArray *head;

    while ((head = g_queue_peek_head(&s->queue)) != NULL) {
        ssize_t done = write(s->fd, head->data + s->head_done, head->len - s->head_done);

        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return TRUE;
        if (done < 0)
            return failed(k, "", errno, error);
        s->head_done += (gsize)done;
        s->held -= (gsize)done;
        if (s->head_done == head->len) {
            g_byte_array_unref(g_queue_pop_head(&s->queue));
            s->head_done = 0;
        }
    }
    return TRUE;
}

static gboolean
drain_all(shard_writer *w, char **error)
{
    for (guint k = 0; k < w->n; k++) {
        if (w->s[k].held > 0 && !drain(w, k, error))
            return FALSE;
    }
    return TRUE;
}

/* Waits until some pipe with a queue can take more, then writes to all
 * that can. */
static gboolean
wait_some(shard_writer *w, char **error)
{
    struct pollfd *fds = g_new(struct pollfd, w->n);
    nfds_t n = 0;
    int got;

    for (guint k = 0; k < w->n; k++) {
        if (w->s[k].held > 0) {
            fds[n].fd = w->s[k].fd;
            fds[n].events = POLLOUT;
            n++;
        }
    }
    /* A closed pipe reports POLLERR, and the write then says EPIPE. */
    do
        got = poll(fds, n, -1);
    while (got < 0 && errno == EINTR);
    g_free(fds);
    if (got < 0) {
        *error = g_strdup_printf("flowsplit: cannot wait for the workers' pipes: %s", g_strerror(errno));
        return FALSE;
    }
    return drain_all(w, error);
}

/* Shard k's filling chunk onto its queue, and as much written as the
 * pipes take; waits while k holds more than its share. */
static gboolean
ship(shard_writer *w, guint k, char **error)
{
    shard *s = &w->s[k];

    if (s->cur->len == 0)
        return TRUE;
    g_queue_push_tail(&s->queue, s->cur);
    s->held += s->cur->len;
    s->cur = g_byte_array_sized_new(CHUNK);
    if (!drain_all(w, error))
        return FALSE;
    while (s->held > w->cap) {
        if (!wait_some(w, error))
            return FALSE;
    }
    return TRUE;
}

gboolean
shard_writer_put(shard_writer *w, guint k, const guint8 *b, gsize n, char **error)
{
    shard *s = &w->s[k];

    if (s->cur->len > 0 && s->cur->len + n > CHUNK && !ship(w, k, error))
        return FALSE;
    g_byte_array_append(s->cur, b, (guint)n);
    return TRUE;
}

/* Writes all of a buffer to a file, through interrupted and short writes. */
static int
write_file(int fd, const guint8 *b, gsize n)
{
    while (n > 0) {
        ssize_t done = write(fd, b, n);

        if (done < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        b += done;
        n -= (gsize)done;
    }
    return 0;
}

gboolean
shard_writer_put_frame(shard_writer *w, guint k, const guint8 *raw, gsize raw_len, guint64 frame_number,
                       char **error)
{
    shard *s = &w->s[k];
    guint64 le = GUINT64_TO_LE(frame_number);
    int err;

    if (!shard_writer_put(w, k, raw, raw_len, error))
        return FALSE;
    if (s->map_used + sizeof le > MAP_BUFFER) {
        if ((err = write_file(s->map_fd, s->map, s->map_used)) != 0)
            return failed(k, "'s frame map", err, error);
        s->map_used = 0;
    }
    memcpy(s->map + s->map_used, &le, sizeof le);
    s->map_used += sizeof le;
    return TRUE;
}

gboolean
shard_writer_finish(shard_writer *w, char **error)
{
    gboolean waiting = TRUE;
    int err;

    for (guint k = 0; k < w->n; k++) {
        shard *s = &w->s[k];

        if (s->cur->len > 0) {
            g_queue_push_tail(&s->queue, s->cur);
            s->held += s->cur->len;
            s->cur = g_byte_array_sized_new(CHUNK);
        }
        if (s->map_used > 0 && (err = write_file(s->map_fd, s->map, s->map_used)) != 0)
            return failed(k, "'s frame map", err, error);
        s->map_used = 0;
    }
    if (!drain_all(w, error))
        return FALSE;
    while (waiting) {
        waiting = FALSE;
        for (guint k = 0; k < w->n; k++)
            waiting = waiting || w->s[k].held > 0;
        if (waiting && !wait_some(w, error))
            return FALSE;
    }
    return TRUE;
}

void
shard_writer_free(shard_writer *w)
{
    if (w == NULL)
        return;
    for (guint k = 0; k < w->n; k++) {
        shard *s = &w->s[k];
        GByteArray *chunk;

        while ((chunk = g_queue_pop_head(&s->queue)) != NULL)
            g_byte_array_unref(chunk);
        g_byte_array_unref(s->cur);
        g_free(s->map);
    }
    g_free(w->s);
    g_free(w);
}
