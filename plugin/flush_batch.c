/* flush_batch.c
 * Writing a full arena in one batch while frames go on into the other,
 * and closing the files of ended streams as it goes. The only caller of
 * write_behind.c: the batch's jobs are put together and read back here.
 *
 * There are two arenas, of half buffer_mb each. When the one frames go
 * into is full (arena_writer.c), every file with bytes waiting joins a
 * batch: opened if needed and given its bytes with one writev(), on
 * write_behind.c's thread, while frames go into the other arena. Files of
 * ended streams are closed by the batch once written, and those of
 * streams ended too recently are kept open for one more flush
 * ("lingering"): the last ACK of a connection often comes a little after
 * its FIN.
 *
 * The batch's thread owns its files' descriptors until batch_finish(), so
 * any other I/O first finishes the batch. batch_finish() is called before:
 * closing a file (open_files_close), evicting one (open_files.c), writing
 * a file's waiting bytes at once (arena_write_chain), flushing (here, and
 * writer_cache.c's flush, tick and close-all), and running a batch now
 * (batch_run_now). It returns at once when no batch has run.
 *
 * When the batch ran out of descriptors opening a file, that job and those
 * after it are resumed on tshark's thread (resume_job), where files can
 * be closed to make room; that is the one way batch_finish() comes back
 * into itself:
 *   batch_finish -> resume_job -> open_files_fd or open_files_close
 *     -> (evict_one) -> batch_finish
 * The inner call finds no batch running (the outer one has waited for it
 * and holds its jobs) and returns at once, except that evict_one may run
 * the batch being put together at that time (batch_run_now, when every
 * open file is in it) and finish that one: a complete, separate batch
 * with jobs of its own, which leaves the outer call's jobs alone.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "writer_cache_int.h"

#include <errno.h>
#include <string.h>

#include <wsutil/wslog.h>

void
batch_init(writer_cache *wc, gsize buffer_bytes)
{
    /* Half the buffer each: one fills while the other is written. */
    wc->pending = pending_new(buffer_bytes - buffer_bytes / 2);
    wc->spare = pending_new(buffer_bytes / 2);
    wc->wb = write_behind_new();
    wc->dirty = g_ptr_array_new();
    wc->lingering = g_ptr_array_new();
}

void
batch_free(writer_cache *wc)
{
    write_behind_free(wc->wb);
    pending_free(wc->pending);
    pending_free(wc->spare);
    g_ptr_array_free(wc->dirty, TRUE);
    g_ptr_array_free(wc->lingering, TRUE);
}

gboolean
batch_has_jobs(const writer_cache *wc)
{
    return write_behind_n_jobs(wc->wb) > 0;
}

/* A job the batch could not open for want of descriptors, done here, where
 * files can be closed to make room. */
static gboolean
resume_job(writer_cache *wc, pending *arena, const write_job *job)
{
    stream_file *sf = job->owner;

    if (!open_files_fd(wc, sf))
        return FALSE;
    if (job->has_bytes) {
        guint n;
        struct iovec *iov = pending_gathered(arena, job->chain, &n);

        if (!pending_write_vectors(sf->fd, iov, n))
            return wc_set_errno_error(wc, "write", sf->name);
    }
    if (job->close_after)
        return open_files_close(wc, sf, "closed, stream ended");
    return TRUE;
}

/* Job i's file after the batch: closed, not opened, or open on its fd. */
static void
job_done(writer_cache *wc, const write_job *job, gboolean ran)
{
    stream_file *sf = job->owner;

    if (job->closed) {
        open_files_closed_by_batch(wc, sf);
        if (ran)
            ws_debug("closed, stream ended %s", sf->name);
    } else if (job->open_name != NULL && !job->opened) {
        open_files_not_opened(wc, sf, (job->open_flags & O_CREAT) != 0);
    } else {
        open_files_back_from_batch(wc, sf, job->fd);
    }
}

/* The job that failed: TRUE when it failed to open for want of
 * descriptors, and it and the jobs after it are to be resumed here. Else
 * the error is set. */
static gboolean
job_failed(writer_cache *wc, const write_job *job, int err)
{
    const stream_file *sf = job->owner;
    gboolean not_opened = job->open_name != NULL && !job->opened;

    if (not_opened && (err == EMFILE || err == ENFILE))
        return TRUE;
    errno = err;
    if (not_opened)
        wc_set_errno_error(wc, sf->created ? "reopen" : "create", sf->name);
    else
        wc_set_errno_error(wc, "write", sf->name);
    return FALSE;
}

/* The batch that wrote a full arena is done (waiting for it if it runs):
 * its files go back into the LRU, or are closed when their stream ended.
 * When it ran out of descriptors opening a file, that job and those after
 * it are done here (see the top for how that comes back here). No other
 * I/O may touch their descriptors before this. FALSE when it or an earlier
 * write failed. */
gboolean
batch_finish(writer_cache *wc)
{
    GArray *jobs;
    guint done, resume_from;
    int err;

    if (!write_behind_has_run(wc->wb))
        return wc->error == NULL;
    jobs = write_behind_wait(wc->wb, &done, &err);
    resume_from = jobs->len;
    for (guint i = 0; i < jobs->len; i++)
        job_done(wc, &g_array_index(jobs, write_job, i), i < done);
    if (done < jobs->len && job_failed(wc, &g_array_index(jobs, write_job, done), err)) {
        resume_from = done;
        open_files_hold_to_now(wc);
    }
    for (guint i = resume_from; i < jobs->len && wc->error == NULL; i++)
        resume_job(wc, wc->batch_arena, &g_array_index(jobs, write_job, i));
    g_array_free(jobs, TRUE);
    return wc->error == NULL;
}

/* The batch being put together runs here and now, to free a descriptor. */
gboolean
batch_run_now(writer_cache *wc)
{
    wc->batch_arena = wc->pending;
    write_behind_run(wc->wb, wc->batch_arena, FALSE);
    return batch_finish(wc);
}

/* Has the file's stream been ended since before the last flush? Until
 * then its file stays open: the last ACK of a connection often comes a
 * little after its FIN, and a file closed at once would be reopened for
 * it (7,213 times instead of 3,280 on the benchmark capture, with the
 * halved arenas' more frequent flushes). */
static gboolean
ended_long_enough(const writer_cache *wc, const stream_file *sf)
{
    return sf->ended && sf->ended_flush + 1 < wc->flushes;
}

/* The file joins the batch that writes the arena: job says what it does
 * with the file's bytes; the batch closes it too when its stream has ended
 * long enough. It leaves the LRU until the batch is done. */
static void
queue_job(writer_cache *wc, stream_file *sf, write_job *job)
{
    job->fd = sf->fd;
    job->close_after = ended_long_enough(wc, sf);
    job->owner = sf;
    if (sf->ended && !job->close_after)
        g_ptr_array_add(wc->lingering, sf);
    open_files_join_batch(wc, sf);
    write_behind_add(wc->wb, job);
}

/* A closed file is opened by the batch, off this thread: its descriptor is
 * counted now, within max_open, and the file counted as created. */
static gboolean
open_in_batch(writer_cache *wc, stream_file *sf, write_job *job)
{
    if (!open_files_reserve(wc, sf))
        return FALSE;
    job->open_name = sf->name;
    job->dir_fd = wc->dir_fd;
    job->open_flags = open_files_flags(sf->created);
    open_files_count(wc, sf);
    return TRUE;
}

/* chain: the number pending_take_chain() gave the file's bytes, or
 * G_MAXUINT when it has none waiting. */
static gboolean
queue_chain(writer_cache *wc, stream_file *sf, guint chain)
{
    write_job job;

    if (chain == G_MAXUINT) {
        if (sf->ended && sf->fd >= 0)
            return open_files_close(wc, sf, "closed, stream ended");
        return TRUE;
    }
    memset(&job, 0, sizeof job);
    if (sf->fd < 0 && !open_in_batch(wc, sf, &job))
        return FALSE;
    job.has_bytes = TRUE;
    job.chain = chain;
    queue_job(wc, sf, &job);
    return TRUE;
}

/* The files the last flush left open for their stream's last frames are
 * closed now, with nothing to write when no frame came. */
static void
queue_lingering(writer_cache *wc, GPtrArray *lingering)
{
    for (guint i = 0; i < lingering->len; i++) {
        stream_file *sf = g_ptr_array_index(lingering, i);
        write_job job;

        if (sf->fd < 0 || sf->in_flight)
            continue;
        memset(&job, 0, sizeof job);
        queue_job(wc, sf, &job);
    }
}

/* Takes every dirty file's chain out of the full arena, into chains (one
 * number each, G_MAXUINT for none). Every chain is taken before any is
 * queued, so that one pass over the arena finds them all, even when the
 * batch runs in parts to free descriptors (evict_one): under ulimit -n 64
 * that is every few files, and a pass for each part took the split from
 * 15 s to 69 s. When the split has failed (!ok), the chains are dropped
 * with the arena. */
static GArray *
take_chains(writer_cache *wc, pending *full, gboolean ok)
{
    GArray *chains = g_array_sized_new(FALSE, FALSE, sizeof(guint), wc->dirty->len);

    for (guint i = 0; i < wc->dirty->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->dirty, i);
        guint chain = G_MAXUINT;

        /* Each file's state lies anywhere in memory: ask for the one
         * after the next while this one is read. */
        if (i + 2 < wc->dirty->len)
            writer_cache_prefetch(g_ptr_array_index(wc->dirty, i + 2));
        sf->dirty = FALSE;
        if (!ok)
            memset(&sf->chain, 0, sizeof sf->chain);
        else if (!pending_chain_is_empty(&sf->chain))
            chain = pending_take_chain(full, &sf->chain);
        g_array_append_val(chains, chain);
    }
    return chains;
}

/* Writes every file's waiting bytes and empties the arena; files of ended
 * streams are closed once written. The opens, writes and closes run on
 * write_behind's thread when in_background, while frames go on into the
 * other arena, until batch_finish(). */
gboolean
batch_flush_all(writer_cache *wc, gboolean in_background)
{
    gboolean ok = batch_finish(wc);
    pending *full = wc->pending;
    GPtrArray *lingering = wc->lingering;
    GArray *chains;

    wc->flushes++;
    wc->lingering = g_ptr_array_new();
    chains = take_chains(wc, full, ok);
    for (guint i = 0; i < wc->dirty->len && ok; i++) {
        if (i + 2 < wc->dirty->len)
            writer_cache_prefetch(g_ptr_array_index(wc->dirty, i + 2));
        ok = queue_chain(wc, g_ptr_array_index(wc->dirty, i), g_array_index(chains, guint, i));
    }
    g_array_free(chains, TRUE);
    g_ptr_array_set_size(wc->dirty, 0);
    if (ok)
        queue_lingering(wc, lingering);
    g_ptr_array_free(lingering, TRUE);
    /* The spare's batch was finished above: it takes the frames now. */
    wc->pending = wc->spare;
    wc->spare = full;
    pending_reset(wc->pending);
    wc->batch_arena = full;
    write_behind_run(wc->wb, full, in_background);
    if (!in_background && !batch_finish(wc))
        ok = FALSE;
    return ok;
}
