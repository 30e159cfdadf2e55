/* write_behind.h
 * One batch of file writes at a time, run on a second thread while the
 * caller goes on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_WRITE_BEHIND_H
#define FLOWSPLIT_WRITE_BEHIND_H

#include <glib.h>

#include "pending.h"

/* One file's part of a batch: open it (when open_name is set), write its
 * chain of the batch's arena (when has_bytes), then close it (when
 * close_after). */
typedef struct {
    const char *open_name;  /* opened relative to dir_fd with open_flags (mode 0666), or NULL */
    int dir_fd;
    int open_flags;
    int fd;                 /* the descriptor: the caller's, or the open's */
    gboolean has_bytes;
    guint chain;            /* pending_take_chain()'s number of its chain */
    gboolean close_after;
    gboolean opened;        /* set by the run: open_name was opened, into fd */
    gboolean closed;        /* set by the run: close() was called, whatever it said */
    void *owner;            /* the caller's, not used here */
} write_job;

typedef struct write_behind write_behind;

write_behind *write_behind_new(void);

/* Waits for a batch still running, then frees. */
void write_behind_free(write_behind *wb);

/* Adds a job to the batch being put together. None may be added from
 * write_behind_run() until write_behind_wait(); its name and the arena
 * must stay as they are until then. */
void write_behind_add(write_behind *wb, const write_job *job);

/* Jobs in the batch: being put together, or run and not yet waited for. */
guint write_behind_n_jobs(const write_behind *wb);

/* Runs the batch, whose chains were taken from arena (NULL: none): on a
 * second thread (here, if none can be started), or here and now when
 * in_background is FALSE. The run gathers the arena first. */
void write_behind_run(write_behind *wb, pending *arena, gboolean in_background);

/* TRUE from write_behind_run() until write_behind_wait(). */
gboolean write_behind_has_run(const write_behind *wb);

/* Waits for the batch to be done and hands its jobs back to the caller
 * (g_array_free them); the next batch starts with none. *done is how far
 * it got: the number of jobs done; when that is less than all of them,
 * *err is the errno of the job that failed (its open, when it has
 * open_name and not opened), and the jobs after it were not run. The arena
 * stays gathered, for pending_gathered() of the jobs not done. NULL (and
 * *done 0) when no batch has run. */
GArray *write_behind_wait(write_behind *wb, guint *done, int *err);

#endif /* FLOWSPLIT_WRITE_BEHIND_H */
