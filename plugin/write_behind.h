/* write_behind.h
 * One batch of file writes at a time, run on a second thread while the
 * caller goes on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_WRITE_BEHIND_H
#define FLOWSPLIT_WRITE_BEHIND_H

#include <glib.h>
#include <sys/uio.h>

/* Write these vectors to fd, then close fd if close_after. */
typedef struct {
    struct iovec *iov;
    guint n_iov;
    int fd;
    gboolean close_after;
    gboolean closed;        /* set by the run: close() was called, whatever it said */
    void *owner;            /* the caller's, not used here */
} write_job;

typedef struct write_behind write_behind;

write_behind *write_behind_new(void);

/* Waits for a batch still running, then frees. */
void write_behind_free(write_behind *wb);

/* The batch being put together, to append write_jobs to while no batch has
 * run; its vectors must stay as they are until write_behind_wait(). */
GArray *write_behind_jobs(write_behind *wb);

/* Runs the batch: on a second thread (here, if none can be started), or
 * here and now when in_background is FALSE. */
void write_behind_run(write_behind *wb, gboolean in_background);

/* TRUE from write_behind_run() until write_behind_wait(). */
gboolean write_behind_has_run(const write_behind *wb);

/* Waits for the batch to be done and says how far it got: the number of
 * jobs done; when that is less than all of them, *err is the errno of the
 * job that failed, and the jobs after it were not run. The jobs stay in
 * write_behind_jobs() for the caller to read, then clear. */
guint write_behind_wait(write_behind *wb, int *err);

#endif /* FLOWSPLIT_WRITE_BEHIND_H */
