/* run_shards.c
 * flowsplit -j N on one machine. The workers are started first (tshark
 * takes about a second to load its dissectors, which overlaps the
 * partitioner's first pass), each reading its shard from a pipe, so the
 * capture is never copied to disk; the partitioner's second pass feeds the
 * pipes; when every worker has finished, the merge moves their files into
 * the output folder. The workers' folders and the frame maps live in a
 * hidden folder inside the output folder (the merge renames, never
 * copies), which is removed at the end whatever happened: a failed or
 * interrupted run leaves the output folder as it found it.
 *
 * A worker's stderr goes to a file of its own (a pipe read only at the end
 * could fill and stop it); only a failing worker's is shown.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE     /* pipe2, F_SETPIPE_SZ, nftw */
#include "run_shards.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "merge.h"
#include "outdir.h"
#include "partition.h"

#define PARTS_TEMPLATE ".flowsplit-parts-XXXXXX"
/* A shard pipe this large lets the partitioner run ahead of a worker that
 * is busy with a burst of its frames. */
#define WORKER_PIPE_BYTES (1 << 20)
#define HUGE_PAGES "glibc.malloc.hugetlb=1"

typedef struct {
    pid_t pid;
    int in_fd;          /* the write end of its stdin pipe; -1 once closed */
    char *dir;          /* its out= */
    char *map;          /* its frame map */
    char *err;          /* its stderr */
    int status;         /* from waitpid */
} worker;

static volatile sig_atomic_t stop_signal;
static worker *running;     /* for the signal handler */
static guint n_running;

/* SIGINT, SIGTERM, SIGHUP: every worker is stopped too (a terminal's ^C
 * reaches them anyway; a kill of this process alone would not). */
static void
on_stop_signal(int sig)
{
    stop_signal = sig;
    for (guint k = 0; k < n_running; k++) {
        if (running[k].pid > 0)
            kill(running[k].pid, SIGTERM);
    }
}

static void
catch_stop_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;     /* no SA_RESTART: a blocked wait returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);           /* a worker that stopped: EPIPE, an error with its cause */
}

/* The first entry of the parts that could not be removed, and why. */
static char *remove_failed;

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT && remove_failed == NULL)
        remove_failed = g_strdup_printf("\"%s\": %s", path, g_strerror(errno));
    return 0;
}

void
remove_parts_folder(const char *path)
{
    /* FTW_PHYS: a symlink is removed, never followed. */
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (remove_failed != NULL) {
        /* The split itself stands (or failed for its own reason): a warning. */
        fprintf(stderr, "flowsplit: warning: cannot remove %s; remove \"%s\" by hand\n", remove_failed, path);
        g_clear_pointer(&remove_failed, g_free);
    }
}

/* Asks glibc to back tshark's heap with transparent huge pages (the
 * glibc.malloc.hugetlb tunable of glibc 2.35 and later; older ones ignore
 * it, and so does a kernel with them off). Dissection walks hundreds of MB
 * of conversation and reassembly tables at random, and on 4 KB pages much
 * of its time goes to TLB misses: on the benchmark capture one tshark took
 * 10% less time with it, and -j 2 a fifth less CPU (docs/speed.md), the
 * two workers slowing each other less. Nothing written changes. The
 * environment is the workers' (and the single tshark's) from here on; a
 * hugetlb setting the user made is kept. */
static void
ask_for_huge_pages(void)
{
    const char *tunables = g_getenv("GLIBC_TUNABLES");
    char *asked;

    if (tunables != NULL && strstr(tunables, "glibc.malloc.hugetlb=") != NULL)
        return;
    asked = tunables != NULL && *tunables != '\0' ? g_strconcat(tunables, ":" HUGE_PAGES, NULL) : g_strdup(HUGE_PAGES);
    g_setenv("GLIBC_TUNABLES", asked, TRUE);
    g_free(asked);
}

int
run_single_tshark(const tshark_args *a, const char *why)
{
    GPtrArray *argv = tshark_args_single(a);

    ask_for_huge_pages();
    if (why != NULL)
        fprintf(stderr, "%s\n", why);
    fflush(stderr);
    signal(SIGPIPE, SIG_DFL);
    execvp("tshark", (char **)argv->pdata);
    fprintf(stderr, "flowsplit: cannot run tshark: %s; install tshark or put it on PATH\n", g_strerror(errno));
    g_ptr_array_free(argv, TRUE);
    return 2;
}

/* Starts worker k on the read end of a new pipe. */
static gboolean
start_worker(const tshark_args *a, worker *w, guint n, char **error)
{
    int pipe_fds[2];
    GPtrArray *argv;

    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        *error = g_strdup_printf("flowsplit: cannot make a pipe for a worker: %s", g_strerror(errno));
        return FALSE;
    }
    fcntl(pipe_fds[1], F_SETPIPE_SZ, WORKER_PIPE_BYTES);   /* a bigger pipe is only faster */
    argv = tshark_args_worker(a, "-", w->dir, n);
    w->pid = fork();
    if (w->pid == 0) {
        int err_fd = open(w->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        prctl(PR_SET_PDEATHSIG, SIGTERM);   /* never outlive this process */
        signal(SIGPIPE, SIG_DFL);
        dup2(pipe_fds[0], STDIN_FILENO);
        if (err_fd >= 0)
            dup2(err_fd, STDERR_FILENO);
        execvp("tshark", (char **)argv->pdata);
        fprintf(stderr, "flowsplit: cannot run tshark: %s; install tshark or put it on PATH\n", g_strerror(errno));
        _exit(2);
    }
    g_ptr_array_free(argv, TRUE);
    close(pipe_fds[0]);
    if (w->pid < 0) {
        close(pipe_fds[1]);
        *error = g_strdup_printf("flowsplit: cannot start a worker: %s", g_strerror(errno));
        return FALSE;
    }
    w->in_fd = pipe_fds[1];
    return TRUE;
}

static void
close_inputs(worker *workers, guint n)
{
    for (guint k = 0; k < n; k++) {
        if (workers[k].in_fd >= 0)
            close(workers[k].in_fd);
        workers[k].in_fd = -1;
    }
}

static void
wait_workers(worker *workers, guint n)
{
    for (guint k = 0; k < n; k++) {
        while (workers[k].pid > 0 && waitpid(workers[k].pid, &workers[k].status, 0) < 0 && errno == EINTR)
            ;
        workers[k].pid = 0;
    }
}

static void
stop_workers(worker *workers, guint n)
{
    for (guint k = 0; k < n; k++) {
        if (workers[k].pid > 0)
            kill(workers[k].pid, SIGTERM);
    }
    close_inputs(workers, n);
    wait_workers(workers, n);
}

/* What a failed worker said, less its summary line; and the exit status
 * the whole run takes from it (1: options it refused, else 2). */
static int
report_failed_worker(const worker *w)
{
    char *text = NULL;
    int status = WIFEXITED(w->status) ? WEXITSTATUS(w->status) : 2;

    if (g_file_get_contents(w->err, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l != NULL; l++) {
            if (**l != '\0' && !(g_str_has_prefix(*l, "flowsplit: ") && strstr(*l, " frames written to ")))
                fprintf(stderr, "%s\n", *l);
        }
        g_strfreev(lines);
        g_free(text);
    }
    if (!WIFEXITED(w->status))
        fprintf(stderr, "flowsplit: a tshark worker was stopped by signal %d\n", WTERMSIG(w->status));
    return status == 1 ? 1 : 2;
}

static const worker *
first_failed(const worker *workers, guint n)
{
    for (guint k = 0; k < n; k++) {
        if (!WIFEXITED(workers[k].status) || WEXITSTATUS(workers[k].status) != 0)
            return &workers[k];
    }
    return NULL;
}

static void
print_summary(const tshark_args *a, const merge_counts *c, guint n)
{
    char *tail = g_strdup_printf(", on %u tshark processes", n);

    merge_print_summary(c, a->opts.out_dir, tail);
    g_free(tail);
}

typedef struct {
    const tshark_args *a;
    guint n;
    char *parts;
    worker *workers;
    gboolean created_out;
} shard_run;

static void
run_clear(shard_run *r)
{
    for (guint k = 0; k < r->n; k++) {
        g_free(r->workers[k].dir);
        g_free(r->workers[k].map);
        g_free(r->workers[k].err);
    }
    g_free(r->workers);
    running = NULL;
    n_running = 0;
    if (r->parts != NULL)
        remove_parts_folder(r->parts);
    /* A folder this run made and left empty goes too: a failed run leaves
     * the disk as it was. */
    if (r->created_out)
        rmdir(r->a->opts.out_dir);
    g_free(r->parts);
}

/* The output folder checked as the plugin would, and the hidden folder of
 * the parts made inside it. */
static gboolean
prepare_folders(shard_run *r, char **error)
{
    int dir_fd = outdir_open(r->a->opts.out_dir, &r->created_out, error);
    gboolean ok = dir_fd >= 0 && outdir_clear(dir_fd, r->a->opts.out_dir, r->a->opts.replace, FALSE, error);

    if (dir_fd >= 0)
        close(dir_fd);
    if (!ok)
        return FALSE;
    r->parts = g_build_filename(r->a->opts.out_dir, PARTS_TEMPLATE, NULL);
    if (g_mkdtemp(r->parts) == NULL) {
        *error = g_strdup_printf("flowsplit: cannot make a folder in \"%s\": %s; choose another out=DIR",
                                 r->a->opts.out_dir, g_strerror(errno));
        g_clear_pointer(&r->parts, g_free);
        return FALSE;
    }
    r->workers = g_new0(worker, r->n);
    for (guint k = 0; k < r->n; k++) {
        r->workers[k].in_fd = -1;
        r->workers[k].dir = g_strdup_printf("%s/out-%u", r->parts, k);
        r->workers[k].map = g_strdup_printf("%s/shard-%u.frames", r->parts, k);
        r->workers[k].err = g_strdup_printf("%s/stderr-%u", r->parts, k);
    }
    return TRUE;
}

/* The partitioner's second pass into the workers' pipes. */
static gboolean
feed_workers(shard_run *r, partition_plan *plan, char **error)
{
    int *in_fds = g_new(int, r->n), *map_fds = g_new(int, r->n);
    gboolean ok = TRUE;

    for (guint k = 0; k < r->n; k++) {
        in_fds[k] = r->workers[k].in_fd;
        map_fds[k] = open(r->workers[k].map, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (map_fds[k] < 0 && ok) {
            *error = g_strdup_printf("flowsplit: cannot create \"%s\": %s", r->workers[k].map, g_strerror(errno));
            ok = FALSE;
        }
    }
    ok = ok && partition_plan_write(plan, in_fds, map_fds, error);
    for (guint k = 0; k < r->n; k++) {
        if (map_fds[k] >= 0 && close(map_fds[k]) != 0 && ok) {
            *error = g_strdup_printf("flowsplit: cannot write \"%s\": %s", r->workers[k].map, g_strerror(errno));
            ok = FALSE;
        }
    }
    g_free(in_fds);
    g_free(map_fds);
    close_inputs(r->workers, r->n);
    return ok;
}

/* After the workers: the first failure, a stop by a signal, or the merge. */
static int
finish(shard_run *r, gboolean fed, char *feed_error)
{
    const worker *bad = first_failed(r->workers, r->n);
    const char **dirs, **maps;
    merge_counts counts;
    merge_result result;
    char *error = NULL;
    int status;

    if (stop_signal) {
        fprintf(stderr, "flowsplit: stopped by signal %d; nothing was moved into %s\n", (int)stop_signal,
                r->a->opts.out_dir);
        g_free(feed_error);
        return 2;
    }
    if (bad != NULL) {
        g_free(feed_error);     /* a closed pipe: the worker's own message says why */
        return report_failed_worker(bad);
    }
    if (!fed) {
        fprintf(stderr, "%s\n", feed_error);
        g_free(feed_error);
        return 2;
    }
    dirs = g_new(const char *, r->n);
    maps = g_new(const char *, r->n);
    for (guint k = 0; k < r->n; k++) {
        dirs[k] = r->workers[k].dir;
        maps[k] = r->workers[k].map;
    }
    result = merge_shards(r->n, dirs, maps, &r->a->opts, &counts, &error);
    g_free(dirs);
    g_free(maps);
    if (result == MERGE_OK) {
        r->created_out = FALSE;
        print_summary(r->a, &counts, r->n);
        status = 0;
    } else if (result == MERGE_UNSAFE) {
        status = -1;    /* the caller runs one tshark */
        fprintf(stderr, "%s; splitting on one tshark\n", error);
    } else {
        fprintf(stderr, "%s\n", error);
        status = 2;
    }
    g_free(error);
    return status;
}

int
run_shards(tshark_args *a, guint n)
{
    shard_run r = { .a = a, .n = n };
    partition_plan *plan;
    partition_refusal why;
    char *error = NULL;
    gboolean fed;
    int status;

    if ((error = tshark_args_single_reason(a)) != NULL) {
        status = run_single_tshark(a, error);
        g_free(error);
        return status;
    }
    if (!prepare_folders(&r, &error)) {
        fprintf(stderr, "%s\n", error);
        g_free(error);
        run_clear(&r);
        return 1;
    }
    catch_stop_signals();
    ask_for_huge_pages();
    running = r.workers;
    n_running = n;
    for (guint k = 0; k < n; k++) {
        if (!start_worker(a, &r.workers[k], n, &error)) {
            stop_workers(r.workers, n);
            fprintf(stderr, "%s\n", error);
            g_free(error);
            run_clear(&r);
            return 2;
        }
    }
    plan = partition_plan_make(a->input, n, a->max_frames, &why, &error);
    if (plan == NULL || stop_signal) {
        stop_workers(r.workers, n);
        run_clear(&r);
        if (stop_signal) {
            fprintf(stderr, "flowsplit: stopped by signal %d before anything was written\n", (int)stop_signal);
            return 2;
        }
        /* tshark says what is wrong with a file it cannot read in its own
         * words; a capture that cannot be partitioned is split whole. */
        status = run_single_tshark(a, why == PARTITION_UNSAFE ? error : NULL);
        g_free(error);
        return status;
    }
    fed = feed_workers(&r, plan, &error);
    partition_plan_free(plan);
    wait_workers(r.workers, n);
    status = finish(&r, fed, error);
    run_clear(&r);
    if (status == -1)
        return run_single_tshark(a, NULL);
    return status;
}
