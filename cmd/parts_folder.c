/* parts_folder.c
 * The -j split's steps through a folder of parts. The plan file is lines
 * of KEY=VALUE: n (the shards), single (1 when the capture could not be
 * partitioned and the one job splits it whole), item (a -X flowsplit:
 * option as given) and arg (tshark's arguments as given, for the single
 * tshark the merge falls back to). The jobs file has one command line per
 * shard, quoted for a POSIX shell, with absolute paths, so that it runs
 * from any folder on any machine that mounts PARTS at the same path.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "parts_folder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merge.h"
#include "outdir.h"
#include "partition.h"
#include "run_shards.h"

static gboolean
write_text(const char *path, const char *text, char **error)
{
    GError *gerr = NULL;

    if (!g_file_set_contents(path, text, -1, &gerr)) {
        *error = g_strdup_printf("flowsplit: cannot write \"%s\": %s", path, gerr->message);
        g_error_free(gerr);
        return FALSE;
    }
    return TRUE;
}

/* argv as one line of a POSIX shell. */
static void
append_command(GString *s, GPtrArray *argv)
{
    for (guint i = 0; i < argv->len && g_ptr_array_index(argv, i) != NULL; i++) {
        char *q = g_shell_quote(g_ptr_array_index(argv, i));
        g_string_append_printf(s, "%s%s", i ? " " : "", q);
        g_free(q);
    }
    g_string_append_c(s, '\n');
}

static gboolean
write_plan(const tshark_args *a, guint n, gboolean single, const char *parts, char **error)
{
    GString *s = g_string_new(NULL);
    char *path = g_build_filename(parts, "plan", NULL);
    gboolean ok;

    g_string_append_printf(s, "n=%u\nsingle=%d\n", n, single ? 1 : 0);
    for (guint i = 0; i < a->items->len; i++)
        g_string_append_printf(s, "item=%s\n", (char *)g_ptr_array_index(a->items, i));
    for (guint i = 0; i < a->original->len; i++)
        g_string_append_printf(s, "arg=%s\n", (char *)g_ptr_array_index(a->original, i));
    ok = write_text(path, s->str, error);
    g_string_free(s, TRUE);
    g_free(path);
    return ok;
}

/* The shard captures and maps, written by the partitioner's second pass. */
static gboolean
write_shards(partition_plan *plan, guint n, const char *parts, char **error)
{
    int *cap_fds = g_new(int, n), *map_fds = g_new(int, n);
    gboolean ok = TRUE;

    for (guint k = 0; k < n; k++) {
        char *cap = g_strdup_printf("%s/shard-%u.%s", parts, k, partition_plan_format(plan));
        char *map = g_strdup_printf("%s/shard-%u.frames", parts, k);

        cap_fds[k] = open(cap, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        map_fds[k] = open(map, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if ((cap_fds[k] < 0 || map_fds[k] < 0) && ok) {
            *error = g_strdup_printf("flowsplit: cannot create \"%s\": %s", cap_fds[k] < 0 ? cap : map,
                                     g_strerror(errno));
            ok = FALSE;
        }
        g_free(cap);
        g_free(map);
    }
    ok = ok && partition_plan_write(plan, cap_fds, map_fds, error);
    for (guint k = 0; k < n; k++) {
        if (cap_fds[k] >= 0 && (fsync(cap_fds[k]) != 0 || close(cap_fds[k]) != 0) && ok) {
            *error = g_strdup_printf("flowsplit: cannot write shard %u in \"%s\": %s", k, parts, g_strerror(errno));
            ok = FALSE;
        }
        if (map_fds[k] >= 0 && close(map_fds[k]) != 0 && ok) {
            *error = g_strdup_printf("flowsplit: cannot write shard %u's map in \"%s\": %s", k, parts,
                                     g_strerror(errno));
            ok = FALSE;
        }
    }
    g_free(cap_fds);
    g_free(map_fds);
    return ok;
}

static gboolean
write_jobs(const tshark_args *a, partition_plan *plan, guint n, const char *parts, char **error)
{
    GString *s = g_string_new(NULL);
    char *path = g_build_filename(parts, "jobs", NULL);
    gboolean ok;

    for (guint k = 0; plan != NULL && k < n; k++) {
        char *cap = g_strdup_printf("%s/shard-%u.%s", parts, k, partition_plan_format(plan));
        char *dir = g_strdup_printf("%s/out-%u", parts, k);
        GPtrArray *argv = tshark_args_worker(a, cap, dir, n);

        append_command(s, argv);
        g_ptr_array_free(argv, TRUE);
        g_free(cap);
        g_free(dir);
    }
    if (plan == NULL) {
        GPtrArray *argv = tshark_args_single(a);
        append_command(s, argv);
        g_ptr_array_free(argv, TRUE);
    }
    ok = write_text(path, s->str, error);
    g_string_free(s, TRUE);
    g_free(path);
    return ok;
}

static gboolean
check_out_folder(const tshark_args *a, char **error)
{
    gboolean created;
    int fd = outdir_open(a->opts.out_dir, &created, error);
    gboolean ok = fd >= 0 && outdir_clear(fd, a->opts.out_dir, a->opts.replace, FALSE, error);

    if (fd >= 0)
        close(fd);
    return ok;
}

int
parts_partition(tshark_args *a, guint n, const char *parts_arg)
{
    char *parts = g_canonicalize_filename(parts_arg, NULL);
    partition_plan *plan = NULL;
    partition_refusal why;
    char *error = NULL, *why_one;
    int status = 0;

    for (guint i = 0; i < a->original->len; i++) {
        if (strchr(g_ptr_array_index(a->original, i), '\n') != NULL) {
            error = g_strdup("flowsplit: an argument holds a line break, which the plan file cannot keep");
            status = 1;
        }
    }
    if (status == 0 && !check_out_folder(a, &error))
        status = 1;
    if (status == 0 && mkdir(parts, 0755) != 0) {
        error = g_strdup_printf("flowsplit: cannot make the parts folder \"%s\": %s; give --parts a new folder",
                                parts, g_strerror(errno));
        status = 1;
    }
    if (status == 0 && (why_one = tshark_args_single_reason(a)) != NULL) {
        /* one job: the single tshark */
        fprintf(stderr, "%s\n", why_one);
        g_free(why_one);
    } else if (status == 0) {
        plan = partition_plan_make(a->input, n, a->max_frames, &why, &error);
        if (plan == NULL && why == PARTITION_FAILED)
            status = 2;
        else if (plan == NULL)
            fprintf(stderr, "%s\n", error);     /* one job: the single tshark */
    }
    if (status == 0 && plan != NULL && !write_shards(plan, n, parts, &error))
        status = 2;
    if (status == 0 && (!write_jobs(a, plan, n, parts, &error) || !write_plan(a, n, plan == NULL, parts, &error)))
        status = 2;
    if (status != 0)
        fprintf(stderr, "%s\n", error);
    if (status == 2)
        remove_parts_folder(parts);
    if (plan != NULL)
        partition_plan_free(plan);
    g_free(error);
    g_free(parts);
    return status;
}

/* The plan's lines back into tshark arguments, and n. */
static gboolean
read_plan(const char *parts, tshark_args *a, guint *n, gboolean *single, char **error)
{
    char *path = g_build_filename(parts, "plan", NULL), *text = NULL;
    GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = g_file_get_contents(path, &text, NULL, NULL);

    *n = 0;
    *single = FALSE;
    if (!ok) {
        *error = g_strdup_printf("flowsplit: \"%s\" is not a parts folder (no plan); run flowsplit partition first",
                                 parts);
    } else {
        char **lines = g_strsplit(text, "\n", -1);

        for (char **l = lines; *l != NULL; l++) {
            if (g_str_has_prefix(*l, "n="))
                *n = (guint)g_ascii_strtoull(*l + 2, NULL, 10);
            else if (g_str_has_prefix(*l, "single="))
                *single = strcmp(*l + 7, "1") == 0;
            else if (g_str_has_prefix(*l, "arg="))
                g_ptr_array_add(args, g_strdup(*l + 4));
        }
        g_strfreev(lines);
        ok = tshark_args_parse(a, (int)args->len, (char **)args->pdata, error);
        if (ok && *n == 0) {
            *error = g_strdup_printf("flowsplit: the plan in \"%s\" names no shards", parts);
            ok = FALSE;
        }
    }
    g_ptr_array_free(args, TRUE);
    g_free(text);
    g_free(path);
    return ok;
}

int
parts_merge(const char *parts_arg)
{
    char *parts = g_canonicalize_filename(parts_arg, NULL), *error = NULL;
    tshark_args a = { 0 };
    guint n;
    gboolean single;
    int status = 0;
    merge_counts counts;

    if (!read_plan(parts, &a, &n, &single, &error)) {
        fprintf(stderr, "%s\n", error);
        status = 1;
    } else if (single) {
        fprintf(stderr, "flowsplit: the capture was split whole by the one job; nothing to merge\n");
        remove_parts_folder(parts);
    } else {
        GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free), *maps = g_ptr_array_new_with_free_func(g_free);
        merge_result r;

        for (guint k = 0; k < n; k++) {
            g_ptr_array_add(dirs, g_strdup_printf("%s/out-%u", parts, k));
            g_ptr_array_add(maps, g_strdup_printf("%s/shard-%u.frames", parts, k));
        }
        if (!check_out_folder(&a, &error)) {
            r = MERGE_FAILED;
        } else {
            r = merge_shards(n, (const char *const *)dirs->pdata, (const char *const *)maps->pdata, &a.opts,
                             &counts, &error);
        }
        if (r == MERGE_OK) {
            char *tail = g_strdup_printf(", on %u shards", n);

            merge_print_summary(&counts, a.opts.out_dir, tail);
            g_free(tail);
            remove_parts_folder(parts);
        } else if (r == MERGE_UNSAFE) {
            char *why = g_strdup_printf("%s; splitting on one tshark", error);
            remove_parts_folder(parts);
            status = run_single_tshark(&a, why);
            g_free(why);
        } else {
            fprintf(stderr, "%s\n", error);
            status = 2;
        }
        g_ptr_array_free(dirs, TRUE);
        g_ptr_array_free(maps, TRUE);
    }
    tshark_args_clear(&a);
    g_free(error);
    g_free(parts);
    return status;
}
