/* writer_cache.c
 * Owns the stream files: creating them, getting each frame's bytes into
 * its stream's file, and keeping at most max_open files open. This room is
 * the public API (writer_cache.h): it routes each frame to flowsplit's own
 * encoder (arena_writer.c) or to wiretap (wiretap_writer.c), keeps time
 * (ticks close idle and ended streams' files), flushes, closes everything
 * at the end and, after a failure, repairs what is left. The other rooms
 * are listed in writer_cache_int.h.
 *
 * Frames are encoded by flowsplit itself (record_encoder.c) into a
 * write-behind arena (pending.c), each file's bytes a chain in it. When
 * it is full, every file with bytes waiting gets them in one batch on a
 * second thread while frames go into a second arena (flush_batch.c); any
 * other I/O first waits for that batch, so each file's bytes still go out
 * in order. The least recently written file is closed when max_open are
 * open (open_files.c). Nothing in the per-frame path depends on how many
 * files exist or are open.
 *
 * Wiretap writes a stream's frames instead when flowsplit's encoder does
 * not cover them (see arena_record_size()); a file switched to wiretap
 * stays with it. format=pcap files whose stream brings what pcap cannot
 * hold become pcapng (pcap_convert.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "writer_cache_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <wsutil/wslog.h>

#include "file_repair.h"

gboolean
wc_set_error(writer_cache *wc, char *message)
{
    if (wc->error == NULL)
        wc->error = message;
    else
        g_free(message);
    return FALSE;
}

gboolean
wc_set_wtap_error(writer_cache *wc, const char *what, const char *name, int err, char *err_info)
{
    char *msg = g_strdup_printf("flowsplit: cannot %s \"%s/%s\": %s%s%s", what, wc->dir_path, name,
                                wtap_strerror(err), err_info ? " - " : "", err_info ? err_info : "");
    g_free(err_info);
    return wc_set_error(wc, msg);
}

gboolean
wc_set_errno_error(writer_cache *wc, const char *what, const char *name)
{
    const char *hint = (errno == EEXIST) ? "; a file of that name is in the way" : "";

    return wc_set_error(wc, g_strdup_printf("flowsplit: cannot %s \"%s/%s\": %s%s", what, wc->dir_path, name,
                                            g_strerror(errno), hint));
}

writer_cache *
writer_cache_new(int dir_fd, const char *dir_path, fs_format format, guint max_open, gsize buffer_bytes,
                 const capture_meta *meta)
{
    writer_cache *wc = g_new0(writer_cache, 1);

    wc->dir_fd = dir_fd;
    wc->dir_path = g_strdup(dir_path);
    wc->format = format;
    wc->max_open = max_open > 0 ? max_open : 1;
    wc->clock = g_get_monotonic_time();
    g_queue_init(&wc->lru);
    wc->files = g_ptr_array_new();
    wc->meta = meta;
    batch_init(wc, buffer_bytes);
    wc->direct = g_byte_array_new();
    return wc;
}

stream_file *
writer_cache_add(writer_cache *wc, char *base_name)
{
    stream_file *sf = g_new0(stream_file, 1);

    sf->format = wc->format;
    sf->name = g_strconcat(base_name, sf->format == FS_FORMAT_PCAP ? ".pcap" : ".pcapng", NULL);
    g_free(base_name);
    sf->fd = -1;
    sf->hot_idx = -1;
    sf->lru.data = sf;
    sf->ifaces = g_array_new(FALSE, FALSE, sizeof(file_iface));
    g_ptr_array_add(wc->files, sf);
    return sf;
}

const char *
stream_file_name_of(const stream_file *sf)
{
    return sf->name;
}

guint64
stream_file_frames(const stream_file *sf)
{
    return sf->frames;
}

guint64
stream_file_bytes(const stream_file *sf)
{
    return sf->bytes;
}

/* One record into the file, as interface idx of the file: encoded by
 * flowsplit, or by wiretap from the first record the encoder does not
 * cover on. */
gboolean
wc_write_record(writer_cache *wc, stream_file *sf, const wtap_rec *rec, const guint8 *data, wtap_block_t block,
                int idx)
{
    gsize size = sf->via_wiretap ? 0 : arena_record_size(sf, rec, block, idx);

    if (size > 0)
        return arena_write_record(wc, sf, rec, data, block, idx, size);
    if (!sf->via_wiretap && !wiretap_switch_to(wc, sf))
        return FALSE;
    return wiretap_write_record(wc, sf, rec, data, block, idx);
}

/* The IDB index of the frame's interface in sf, adding it when new; -1
 * when the split failed. */
static int
stream_iface(writer_cache *wc, stream_file *sf, const frame_record *fr)
{
    int idx = file_ifaces_find(sf, fr);
    const file_iface *fi;
    gboolean ok;

    if (idx >= 0)
        return idx;
    fi = file_ifaces_add(sf, fr, &idx);
    if (sf->format == FS_FORMAT_PCAP)
        return idx;
    ok = sf->via_wiretap ? wiretap_add_iface(wc, sf, fi) : arena_queue_iface(wc, sf, fi);
    return ok ? idx : -1;
}

gboolean
writer_cache_write(writer_cache *wc, stream_file *sf, const frame_record *fr)
{
    int idx;

    if (wc->error != NULL)
        return FALSE;
    if (sf->format == FS_FORMAT_PCAP && !pcap_can_hold(wc, sf, fr) && !pcap_convert_to_pcapng(wc, sf))
        return FALSE;
    idx = stream_iface(wc, sf, fr);
    if (idx < 0 || !wc_write_record(wc, sf, fr->rec, fr->data, fr->block, idx))
        return FALSE;
    sf->last_frame_at = wc->clock;
    sf->frames++;
    sf->bytes += fr->rec->rec_header.packet_header.caplen;
    wc->stats.frames++;
    wc->stats.bytes += fr->rec->rec_header.packet_header.caplen;
    return TRUE;
}

void
writer_cache_prefetch(const stream_file *sf)
{
#if defined(__GNUC__)
    /* What a frame touches spans two cache lines (struct stream_file). */
    __builtin_prefetch(sf, 1);
    __builtin_prefetch((const char *)sf + 64, 1);
#else
    (void)sf;
#endif
}

void
writer_cache_stream_ended(writer_cache *wc, stream_file *sf)
{
    if (!sf->ended) {
        sf->ended_at = wc->clock;
        sf->ended_flush = wc->flushes;
    }
    sf->ended = TRUE;
    if (sf->fd >= 0 || sf->dumper != NULL)
        open_files_touch(wc, sf);
}

/* Is the file due to be written out and closed at the clock's time? */
static gboolean
tick_due(const writer_cache *wc, const stream_file *sf, gint64 linger, gint64 idle)
{
    if (pending_chain_is_empty(&sf->chain) && sf->fd < 0 && sf->dumper == NULL)
        return FALSE;   /* nothing waiting, nothing open */
    if (sf->ended && wc->clock - sf->ended_at >= linger)
        return TRUE;
    return idle > 0 && wc->clock - sf->last_frame_at >= idle;
}

/* Writes everything waiting: the arena, and wiretap's stdio buffers. */
static gboolean
flush_everything(writer_cache *wc)
{
    if (!batch_finish(wc) || !batch_flush_all(wc, FALSE) || !wiretap_flush(wc))
        return FALSE;
    wc->waiting_since = 0;
    wc->dumped = FALSE;
    return TRUE;
}

gboolean
writer_cache_flush(writer_cache *wc)
{
    return wc->error == NULL && flush_everything(wc);
}

/* Live capture: frames have waited in the arena since a tick at least
 * max_wait ago (no frame is stamped with a time: the first tick that finds
 * the arena in use starts the clock). */
static gboolean
waited_too_long(writer_cache *wc, gint64 max_wait)
{
    if (wc->dirty->len == 0 && !wc->dumped) {
        wc->waiting_since = 0;      /* written out by a full arena meanwhile */
        return FALSE;
    }
    if (wc->waiting_since == 0) {
        wc->waiting_since = wc->clock;
        return FALSE;
    }
    return wc->clock - wc->waiting_since >= max_wait;
}

gboolean
writer_cache_tick(writer_cache *wc, gint64 now, gint64 linger, gint64 idle, gint64 max_wait)
{
    GPtrArray *due;
    gboolean ok = TRUE;

    wc->clock = now;
    if (!batch_finish(wc))
        return FALSE;
    if (max_wait > 0 && waited_too_long(wc, max_wait) && !flush_everything(wc))
        return FALSE;
    /* Only files with bytes waiting or a descriptor open have anything to
     * write or close: the dirty ones that are closed, and the open ones
     * (the LRU, at most max_open). */
    due = g_ptr_array_new();
    for (guint i = 0; i < wc->dirty->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->dirty, i);
        if (sf->fd < 0 && sf->dumper == NULL && tick_due(wc, sf, linger, idle))
            g_ptr_array_add(due, sf);
    }
    for (GList *l = wc->lru.head; l != NULL; l = l->next) {
        stream_file *sf = l->data;
        if (tick_due(wc, sf, linger, idle))
            g_ptr_array_add(due, sf);
    }
    for (guint i = 0; i < due->len && ok; i++) {
        stream_file *sf = g_ptr_array_index(due, i);
        const char *why = sf->ended ? "closed, stream ended" : "closed, idle";

        if (!arena_write_chain(wc, sf) || !open_files_close(wc, sf, why))
            ok = FALSE;
    }
    g_ptr_array_free(due, TRUE);
    return ok;
}

gboolean
writer_cache_remove(writer_cache *wc, stream_file *sf)
{
    if (!sf->created)
        return TRUE;
    if (!open_files_close(wc, sf, "closed"))
        return FALSE;
    if (unlinkat(wc->dir_fd, sf->name, 0) != 0)
        return wc_set_errno_error(wc, "remove", sf->name);
    ws_debug("removed %s", sf->name);
    sf->created = FALSE;
    wc->stats.files--;
    wc->stats.frames -= sf->frames;
    wc->stats.bytes -= sf->bytes;
    if (sf->converted)
        wc->stats.converted--;
    return TRUE;
}

/* After a failed write, a file may be short of a record or empty: cut each
 * back to its last complete record (pcap .part files too, appended to their
 * file when there is room), remove the empty. */
static void
repair_after_failure(writer_cache *wc)
{
    for (guint i = 0; i < wc->files->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->files, i);
        repair_result r;

        if (sf->converting_from != NULL)
            pcap_undo_conversion(wc, sf);
        if (!sf->created)
            continue;
        r = file_repair(wc->dir_fd, sf->name);
        if (r == REPAIR_REMOVED) {
            sf->created = FALSE;
            wc->stats.files--;
            wc->stats.removed++;
            continue;
        }
        wiretap_repair_part(wc, sf);
    }
}

static gint
newest_open_first(gconstpointer a, gconstpointer b)
{
    guint64 sa = (*(stream_file *const *)a)->open_seq, sb = (*(stream_file *const *)b)->open_seq;

    return sa < sb ? 1 : (sa > sb ? -1 : 0);
}

gboolean
writer_cache_close_all(writer_cache *wc)
{
    gboolean ok = TRUE;
    GPtrArray *open_files;

    if (batch_finish(wc))
        batch_flush_all(wc, FALSE);
    open_files = g_ptr_array_sized_new(wc->lru.length);

    /* glibc keeps every open FILE (wiretap's writers) in one list, newest
     * first, and fclose() walks it to find its own: closing newest-opened
     * first makes each close find its FILE at the head. */
    for (GList *l = wc->lru.head; l != NULL; l = l->next)
        g_ptr_array_add(open_files, l->data);
    g_ptr_array_sort(open_files, newest_open_first);
    for (guint i = 0; i < open_files->len; i++) {
        if (!open_files_close(wc, g_ptr_array_index(open_files, i), "closed"))
            ok = FALSE;
    }
    g_ptr_array_free(open_files, TRUE);
    if (wc->error != NULL && !wc->repaired) {
        wc->repaired = TRUE;
        repair_after_failure(wc);
    }
    return ok && wc->error == NULL;
}

const char *
writer_cache_error(const writer_cache *wc)
{
    return wc->error;
}

void
writer_cache_get_stats(const writer_cache *wc, writer_cache_stats *stats)
{
    *stats = wc->stats;
}

guint64
writer_cache_pcap_files(const writer_cache *wc)
{
    guint64 n = 0;

    for (guint i = 0; i < wc->files->len; i++) {
        const stream_file *sf = g_ptr_array_index(wc->files, i);
        n += sf->format == FS_FORMAT_PCAP && (sf->created || sf->header_queued);
    }
    return n;
}

guint
writer_cache_max_open(const writer_cache *wc)
{
    return wc->max_open;
}

void
writer_cache_free(writer_cache *wc)
{
    if (wc == NULL)
        return;
    writer_cache_close_all(wc);
    for (guint i = 0; i < wc->files->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->files, i);
        g_array_free(sf->ifaces, TRUE);
        g_free(sf->name);
        g_free(sf->converting_from);
        g_free(sf);
    }
    g_ptr_array_free(wc->files, TRUE);
    batch_free(wc);
    g_byte_array_free(wc->direct, TRUE);
    g_free(wc->dir_path);
    g_free(wc->error);
    g_free(wc);
}
