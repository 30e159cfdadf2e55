/* intake.c
 * A split session, and the hand-off of each frame to the queue and the
 * writer.
 *
 * A frame comes in through the taps (intake_taps.c), which find or create
 * its streams in the stream table (intake_streams.c); the frame listener
 * decides which streams the frame belongs to (intake_decide.c, from a
 * second dissection where the taps cannot tell: intake_tree.c) and hands
 * it here. Here it is written to its streams' files at once, or, while an
 * earlier IP fragment's stream is unknown, copied into the frame queue,
 * from which the frames it releases are taken back and written in capture
 * order. The queue carries stream ids (flow_stream_id()) and never calls
 * back: only this file turns an id into a file and calls the writer. The
 * index (intake_index.c) and the summary (intake_report.c) read the stream
 * table when the split ends.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "intake_int.h"

#include <unistd.h>

#include <wsutil/wslog.h>

#include "outdir.h"
#include "ws_compat.h"

/* How long the file of an ended stream stays open for the frames that
 * follow its end (the last ACK) before intake_tick() closes it. */
#define INTAKE_LINGER_USEC (G_USEC_PER_SEC / 2)

/* In a live capture, an IP fragment whose datagram has not completed after
 * this long is given up, and the frames waiting behind it go on. */
#define INTAKE_FRAGMENT_HOLD_USEC (2 * G_USEC_PER_SEC)

/* In a live capture, frames found waiting in the write-behind buffer by a
 * tick (every 250 ms) are written out once they have waited this long:
 * none stays in memory much more than three quarters of a second, so a
 * crash or SIGKILL loses little. */
#define INTAKE_MAX_WAIT_USEC (G_USEC_PER_SEC / 2)

/* The options that need no folder: streams= and select=. Every option is
 * checked before the folder is touched. */
static gboolean
parse_selection(const flowsplit_options *opts, stream_list **list, stream_select **select, char **error)
{
    *list = NULL;
    *select = NULL;
    if (opts->streams != NULL && (*list = stream_list_parse(opts->streams, error)) == NULL)
        return FALSE;
    if (opts->select != NULL && (*select = stream_select_new(opts->select, opts->transports, error)) == NULL) {
        stream_list_free(*list);
        return FALSE;
    }
    return TRUE;
}

split_session *
intake_session_new(const flowsplit_options *opts, char **error)
{
    split_session *s;
    stream_list *list;
    stream_select *select;
    int dir_fd;

    if (!parse_selection(opts, &list, &select, error))
        return NULL;
    dir_fd = outdir_prepare(opts->out_dir, opts->replace, error);
    if (dir_fd < 0) {
        stream_list_free(list);
        if (select != NULL)
            stream_select_free(select);
        return NULL;
    }
    s = g_new0(split_session, 1);
    /* isatty() is a system call; asked per frame it cost about 0.2 s a
     * million frames (bench/run, perf, 2026-12-02). */
    s->progress_tty = isatty(STDERR_FILENO);
    options_copy(&s->opts, opts);
    s->list = list;
    s->select = select;
    s->dir_fd = dir_fd;
    s->meta = capture_meta_new();
    s->wc = writer_cache_new(dir_fd, opts->out_dir, opts->format,
                             opts->max_open > 0 ? opts->max_open : options_default_max_open(),
                             (gsize)opts->buffer_mb * 1024 * 1024, s->meta);
    if (opts->group != FS_GROUP_STREAM)
        s->groups = stream_groups_new(opts->group, s->wc);
    s->row_files = g_string_new(NULL);
    flow_streams_init(s);
    s->frame_streams = g_array_new(FALSE, FALSE, sizeof(guint32));
    s->frame_layers = g_array_new(FALSE, FALSE, sizeof(transport_layer));
    s->ip_completing_deps = g_array_new(FALSE, FALSE, sizeof(guint32));
    return s;
}

/* With group=: is sf a file of one of the frame's first n streams, which
 * the frame has been written to already? A frame has one or two streams
 * (a few more in tunnels), so a scan of them is all it takes. */
static gboolean
written_before(const split_session *s, const guint32 *streams, guint n, const stream_file *sf)
{
    for (guint j = 0; j < n; j++) {
        const flow_stream *st = flow_stream_by_id(s, streams[j]);

        if (st->file == sf || st->file2 == sf)
            return TRUE;
    }
    return FALSE;
}

/* Writes one frame to the files of its streams (ids): to each file once,
 * when streams of one group share it (a frame in two streams of a group
 * appears once in the group's file). */
static gboolean
write_frame(split_session *s, const frame_record *fr, const guint32 *streams, guint n_streams)
{
    for (guint i = 0; i < n_streams; i++) {
        flow_stream *st = flow_stream_by_id(s, streams[i]);

        if (st->file == NULL)
            continue;
        if (s->groups == NULL) {
            if (!writer_cache_write(s->wc, st->file, fr))
                return FALSE;
            continue;
        }
        if (!written_before(s, streams, i, st->file) && !writer_cache_write(s->wc, st->file, fr))
            return FALSE;
        if (st->file2 != NULL && !written_before(s, streams, i, st->file2)
            && !writer_cache_write(s->wc, st->file2, fr))
            return FALSE;
    }
    return TRUE;
}

/* Writes the frames the queue has released, in capture order. */
static gboolean
write_released(split_session *s)
{
    const frame_record *fr;
    const guint32 *streams;
    guint n_streams;

    while ((fr = frame_queue_take(s->fq, &streams, &n_streams)) != NULL) {
        if (!write_frame(s, fr, streams, n_streams))
            return FALSE;
    }
    return TRUE;
}

typedef struct {
    split_session *s;
    guint32 self;
    gboolean any;
} claim_ctx;

static void
claim_dependent(guint32 num, void *user_data)
{
    claim_ctx *c = user_data;

    if (num == c->self)
        return;
    c->any = TRUE;
    frame_queue_claim(c->s->fq, num, (const guint32 *)(void *)c->s->frame_streams->data, c->s->frame_streams->len);
}

/* The frame, whose streams are in frame_streams: the fragments it was
 * built from take its streams; it is written at once when nothing is held,
 * else queued; a frame of no stream that completes no datagram is held as
 * an IP fragment (an IPv6 one: the ip tap holds IPv4's). Then whatever the
 * queue releases is written. FALSE when the split failed. */
gboolean
intake_pass_frame(split_session *s, packet_info *pinfo, const frame_record *fr)
{
    const guint32 *streams = (const guint32 *)(void *)s->frame_streams->data;
    guint n_streams = s->frame_streams->len;
    claim_ctx claim = { s, pinfo->num, FALSE };

    fs_foreach_dependent_frame(pinfo, claim_dependent, &claim);
    if (n_streams > 0 && !frame_queue_holds(s->fq)) {
        if (!write_frame(s, fr, streams, n_streams))
            return FALSE;
    } else if (n_streams > 0) {
        frame_queue_push(s->fq, fr, streams, n_streams);
    } else if (!claim.any) {
        frame_queue_hold_fragment(s->fq, fr);
    }   /* else it completes a datagram that carries no stream */
    frame_queue_release(s->fq, pinfo->num);
    return write_released(s);
}

gboolean
intake_finish(split_session *s)
{
    if (s->finished)
        return !s->failed && writer_cache_error(s->wc) == NULL;
    s->finished = TRUE;
    ws_info("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " frames dissected again, with a tree",
            s->frames_redissected, s->frames_seen);
    if (s->fq != NULL) {
        intake_settle_fragments(s, 0);
        frame_queue_release_all(s->fq);
        if (!write_released(s))
            s->failed = TRUE;
    }
    if (!writer_cache_close_all(s->wc))
        s->failed = TRUE;
    if (!s->failed && s->select != NULL)
        intake_drop_unmatched(s);
    if (writer_cache_error(s->wc) != NULL)
        s->failed = TRUE;
    if (!s->failed && (s->opts.index || s->opts.shard) && !intake_index_write(s))
        s->failed = TRUE;
    intake_show_progress(s, TRUE);
    return !s->failed;
}

gboolean
intake_tick(split_session *s)
{
    gint64 now = g_get_monotonic_time();

    if (s->finished || s->failed)
        return !s->failed;
    if (s->fq != NULL)
        frame_queue_expire(s->fq, now, INTAKE_FRAGMENT_HOLD_USEC);
    if (s->fq != NULL && !write_released(s))
        s->failed = TRUE;
    else if (!writer_cache_tick(s->wc, now, INTAKE_LINGER_USEC, (gint64)s->opts.idle * G_USEC_PER_SEC,
                                INTAKE_MAX_WAIT_USEC))
        s->failed = TRUE;
    else if (!intake_index_rewrite(s, now))
        s->failed = TRUE;
    return !s->failed;
}

void
intake_set_done_callback(split_session *s, intake_done_fn done, void *user_data)
{
    s->done = done;
    s->done_data = user_data;
}

const char *
intake_error(const split_session *s)
{
    return s->index_error ? s->index_error : writer_cache_error(s->wc);
}

guint32
intake_unread_frame(const split_session *s)
{
    return fs_capture_frame_after(s->epan, s->last_frame);
}

void
intake_session_free(split_session *s)
{
    if (s == NULL)
        return;
    intake_unregister(s);
    intake_finish(s);
    if (s->select != NULL)
        stream_select_free(s->select);
    stream_list_free(s->list);
    writer_cache_free(s->wc);
    capture_meta_free(s->meta);
    frame_queue_free(s->fq);
    stream_groups_free(s->groups);
    g_string_free(s->row_files, TRUE);
    flow_streams_clear(s);
    g_array_free(s->frame_streams, TRUE);
    g_array_free(s->frame_layers, TRUE);
    g_array_free(s->ip_completing_deps, TRUE);
    g_free(s->index_error);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    options_clear(&s->opts);
    g_free(s);
}
