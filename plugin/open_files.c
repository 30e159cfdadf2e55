/* open_files.c
 * Which stream files are open: at most max_open of them, the least
 * recently written closed first, and the count of open files
 * (stats.open_now), which changes here and nowhere else.
 *
 * A file is open when it has a descriptor (flowsplit's writing) or a
 * wiretap dumper. Open files are in the LRU, most recently used first;
 * files of ended streams go to the end that is closed first. Files with
 * bytes in the batch being put together (flush_batch.c) are out of the
 * LRU until it is done ("in flight"): their descriptors are the batch's.
 * A file the batch opens counts as open from when it joins the batch.
 *
 * When the process runs out of descriptors before max_open, a file is
 * evicted and the open tried again; a batch that ran out of them has
 * max_open come down to what the process held (open_files_hold_to_now).
 * A reopened file simply continues (O_APPEND): its bytes are the same as
 * if it had stayed open.
 *
 * Closing and evicting finish the batch first (batch_finish), so that no
 * I/O here touches a descriptor the batch's thread is using; see
 * flush_batch.c for how that call can come back here.
 *
 * Files are created with openat(O_CREAT|O_EXCL|O_NOFOLLOW) relative to the
 * output folder: an existing file or a planted symlink is an error, never
 * overwritten or followed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "writer_cache_int.h"

#include <errno.h>
#include <unistd.h>

#include <wsutil/wslog.h>

/* The one place the count of open files changes. */
static void
count_change(writer_cache *wc, int delta)
{
    wc->stats.open_now = (guint)((int)wc->stats.open_now + delta);
    if (wc->stats.open_now > wc->stats.open_most)
        wc->stats.open_most = wc->stats.open_now;
}

/* An open file was used: it goes to the most recently used end of the LRU,
 * or, when its stream has ended, to the end that is closed first. */
static void
lru_link(writer_cache *wc, stream_file *sf)
{
    if (sf->ended)
        g_queue_push_tail_link(&wc->lru, &sf->lru);
    else
        g_queue_push_head_link(&wc->lru, &sf->lru);
}

void
open_files_touch(writer_cache *wc, stream_file *sf)
{
    if (sf->in_flight)
        return;     /* linked again when its batch is done */
    g_queue_unlink(&wc->lru, &sf->lru);
    lru_link(wc, sf);
}

/* The file was opened (or will be, by the batch): it is counted, as a new
 * file or a reopen, and joins the LRU. */
void
open_files_count(writer_cache *wc, stream_file *sf)
{
    ws_debug("%s %s", sf->created ? "reopened" : "opened", sf->name);
    if (sf->created)
        wc->stats.reopens++;
    else
        wc->stats.files++;
    sf->created = TRUE;
    sf->open_seq = ++wc->opens;
    g_queue_push_head_link(&wc->lru, &sf->lru);
    count_change(wc, +1);
}

void
open_files_join_batch(writer_cache *wc, stream_file *sf)
{
    sf->in_flight = TRUE;
    g_queue_unlink(&wc->lru, &sf->lru);
}

/* The batch wrote the file and left it open, on fd. */
void
open_files_back_from_batch(writer_cache *wc, stream_file *sf, int fd)
{
    sf->in_flight = FALSE;
    sf->fd = fd;
    lru_link(wc, sf);
}

/* The batch closed the file (Linux frees a descriptor even when close()
 * fails). */
void
open_files_closed_by_batch(writer_cache *wc, stream_file *sf)
{
    sf->in_flight = FALSE;
    sf->fd = -1;
    count_change(wc, -1);
}

/* The batch did not open this file: what open_files_count() counted for it
 * is taken back, so that it is opened (or created) again when it is next
 * written, and a file in the way is never taken for its own. */
void
open_files_not_opened(writer_cache *wc, stream_file *sf, gboolean was_create)
{
    sf->in_flight = FALSE;
    count_change(wc, -1);
    if (was_create) {
        wc->stats.files--;
        sf->created = FALSE;
    } else {
        wc->stats.reopens--;
    }
}

/* The process holds no more descriptors: keep to what it held. */
void
open_files_hold_to_now(writer_cache *wc)
{
    wc->max_open = MAX(wc->stats.open_now, 1);
    wc->stats.open_most = MIN(wc->stats.open_most, wc->max_open);
    ws_info("out of descriptors with %u files open: max_open=%u from now on", wc->stats.open_now,
            wc->max_open);
}

/* Closes the file's descriptor or wiretap writer; bytes still waiting in
 * the arena stay there. The batch is finished first: the file may be in
 * it, and so may descriptors a close here could otherwise race. */
gboolean
open_files_close(writer_cache *wc, stream_file *sf, const char *why)
{
    gboolean ok;

    batch_finish(wc);
    if (sf->fd < 0 && sf->dumper == NULL)
        return TRUE;
    g_queue_unlink(&wc->lru, &sf->lru);
    count_change(wc, -1);
    if (sf->fd >= 0) {
        ok = close(sf->fd) == 0;
        sf->fd = -1;
        if (!ok)
            return wc_set_errno_error(wc, "write", sf->name);
    } else if (!wiretap_close(wc, sf)) {
        return FALSE;
    }
    ws_debug("%s %s", why, sf->name);
    return TRUE;
}

/* Frees a descriptor. Files with bytes in the batch being put together
 * are out of the LRU: when they are all that is open, the batch runs
 * first, and its closes of ended streams' files may be enough. */
static gboolean
evict_one(writer_cache *wc)
{
    guint open_before = wc->stats.open_now;
    GList *tail;

    batch_finish(wc);
    if (wc->lru.length == 0 && batch_has_jobs(wc))
        batch_run_now(wc);
    if (wc->stats.open_now < open_before)
        return TRUE;
    tail = g_queue_peek_tail_link(&wc->lru);
    if (tail == NULL)
        return FALSE;
    return open_files_close(wc, (stream_file *)tail->data, "evicted");
}

/* Room for one more open file within max_open, evicting as needed, before
 * the batch opens sf. */
gboolean
open_files_reserve(writer_cache *wc, const stream_file *sf)
{
    while (wc->stats.open_now >= wc->max_open) {
        if (!evict_one(wc))
            return wc_set_error(wc, g_strdup_printf("flowsplit: cannot open \"%s/%s\": no file could be "
                                                    "closed to stay within max_open=%u", wc->dir_path,
                                                    sf->name, wc->max_open));
    }
    return TRUE;
}

/* The flags a stream file is opened with: for appending to an existing
 * file, or creating one (never one in the way). */
int
open_files_flags(gboolean existing)
{
    return (existing ? O_APPEND : (O_CREAT | O_EXCL | O_APPEND)) | STREAM_FILE_OPEN_FLAGS;
}

/* openat() within the cache's bounds; when the process is out of
 * descriptors, the least recently used file is closed and it tries again. */
static int
open_in_dir(writer_cache *wc, const char *name, int flags)
{
    while (wc->stats.open_now >= wc->max_open) {
        if (!evict_one(wc))
            return -1;
    }
    for (;;) {
        int fd = openat(wc->dir_fd, name, flags, 0666);

        if (fd >= 0 || (errno != EMFILE && errno != ENFILE)
            || (wc->lru.length == 0 && !batch_has_jobs(wc)))
            return fd;
        ws_debug("out of descriptors with %u files open", wc->stats.open_now);
        if (!evict_one(wc))
            return -1;
    }
}

/* Opens target for appending: an existing file, or one created here (never
 * one in the way). -1 with the error set when it cannot be opened. */
int
open_files_target(writer_cache *wc, stream_file *sf, const char *target, gboolean existing)
{
    int fd = open_in_dir(wc, target, open_files_flags(existing));

    if (fd < 0 && wc->error == NULL)
        wc_set_errno_error(wc, sf->created ? "reopen" : "create", target);
    return fd;
}

/* flowsplit's own writing: the file's descriptor, opened or reopened. */
gboolean
open_files_fd(writer_cache *wc, stream_file *sf)
{
    if (sf->fd >= 0) {
        open_files_touch(wc, sf);
        return TRUE;
    }
    sf->fd = open_files_target(wc, sf, sf->name, sf->created);
    if (sf->fd < 0)
        return FALSE;
    open_files_count(wc, sf);
    return TRUE;
}
