/* write_behind.c
 * Runs a batch of opens, writes and closes on a second thread, so that
 * writing a full arena (flush_batch.c) overlaps the dissection of the
 * frames that fill the next one. Splitting costs the kernel about a second
 * per 200 MB and 50,000 files on tmpfs, in writev() and in openat()
 * creating the files, and finding each file's bytes in the arena
 * (pending_gather) another tenth; on the thread, that time comes off the
 * wall time of tshark, which dissects on one core.
 *
 * The thread touches only the jobs, the names they point to and the arena,
 * never the caller's state: the caller keeps all three as they are until
 * write_behind_wait(), and does no other I/O on the jobs' descriptors
 * before it. Thread start and join order the two threads' memory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "write_behind.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

struct write_behind {
    GArray *jobs;       /* write_job */
    pending *arena;     /* the batch's chains are in it, or NULL */
    GThread *thread;    /* running the batch, or NULL */
    gboolean has_run;   /* run, not yet waited for */
    guint done;         /* jobs done by the run */
    int err;            /* errno of jobs[done] when it failed */
};

/* Asks the processor for the job's bytes, so that they are in the cache
 * when the kernel copies them, during the write of the job before it. A
 * file's bytes are a few hundred bytes here and there in the arena, where
 * the hardware prefetcher cannot guess them: without this the copy waits
 * on memory for each (perf: the kernel's copy took 2.3 times as long). The
 * bound keeps a long job from flooding the cache it is meant to help. */
static void
prefetch_job(write_behind *wb, const write_job *job)
{
#if defined(__GNUC__)
    struct iovec *iov;
    guint n, lines = 0;

    if (!job->has_bytes)
        return;
    iov = pending_gathered(wb->arena, job->chain, &n);
    for (guint i = 0; i < n && lines < 64; i++) {
        for (gsize off = 0; off < iov[i].iov_len && lines < 64; off += 64, lines++)
            __builtin_prefetch((const guint8 *)iov[i].iov_base + off, 0);
    }
#else
    (void)wb;
    (void)job;
#endif
}

/* FALSE with errno set when the job failed. */
static gboolean
run_job(write_behind *wb, write_job *job)
{
    if (job->open_name != NULL) {
        job->fd = openat(job->dir_fd, job->open_name, job->open_flags, 0666);
        if (job->fd < 0)
            return FALSE;
        job->opened = TRUE;
    }
    if (job->has_bytes) {
        guint n;
        struct iovec *iov = pending_gathered(wb->arena, job->chain, &n);

        if (!pending_write_vectors(job->fd, iov, n))
            return FALSE;
    }
    if (job->close_after) {
        /* Linux frees the descriptor even when close() fails: it is
         * closed either way, and must not be closed again. */
        job->closed = TRUE;
        if (close(job->fd) != 0)
            return FALSE;
    }
    return TRUE;
}

static void
run_jobs(write_behind *wb)
{
    wb->done = 0;
    wb->err = 0;
    if (wb->arena != NULL)
        pending_gather(wb->arena);
    for (guint i = 0; i < wb->jobs->len; i++) {
        if (i + 1 < wb->jobs->len)
            prefetch_job(wb, &g_array_index(wb->jobs, write_job, i + 1));
        if (!run_job(wb, &g_array_index(wb->jobs, write_job, i))) {
            wb->err = errno;
            return;
        }
        wb->done++;
    }
}

static gpointer
thread_main(gpointer data)
{
    run_jobs(data);
    return NULL;
}

static GArray *
new_jobs(void)
{
    return g_array_new(FALSE, FALSE, sizeof(write_job));
}

write_behind *
write_behind_new(void)
{
    write_behind *wb = g_new0(write_behind, 1);

    wb->jobs = new_jobs();
    return wb;
}

void
write_behind_free(write_behind *wb)
{
    guint done;
    int err;

    if (wb == NULL)
        return;
    if (wb->has_run)
        g_array_free(write_behind_wait(wb, &done, &err), TRUE);
    g_array_free(wb->jobs, TRUE);
    g_free(wb);
}

void
write_behind_add(write_behind *wb, const write_job *job)
{
    g_array_append_val(wb->jobs, *job);
}

guint
write_behind_n_jobs(const write_behind *wb)
{
    return wb->jobs->len;
}

void
write_behind_run(write_behind *wb, pending *arena, gboolean in_background)
{
    wb->has_run = TRUE;
    wb->arena = arena;
    if (in_background && wb->jobs->len > 0)
        wb->thread = g_thread_try_new("flowsplit-write", thread_main, wb, NULL);
    if (wb->thread == NULL)
        run_jobs(wb);
}

gboolean
write_behind_has_run(const write_behind *wb)
{
    return wb->has_run;
}

GArray *
write_behind_wait(write_behind *wb, guint *done, int *err)
{
    GArray *jobs = wb->jobs;

    *done = 0;
    *err = 0;
    if (!wb->has_run)
        return NULL;
    if (wb->thread != NULL) {
        g_thread_join(wb->thread);
        wb->thread = NULL;
    }
    wb->has_run = FALSE;
    wb->jobs = new_jobs();
    *done = wb->done;
    *err = wb->err;
    return jobs;
}
