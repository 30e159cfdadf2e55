/* flowsplit_main.c
 * The flowsplit command: one capture split on several cores (-j N), or on
 * several machines through a folder of parts (partition, then a tshark per
 * shard anywhere, then merge), with the same result as one
 * `tshark -r IN -X flowsplit:out=DIR` (docs/parallel.md).
 *
 *   flowsplit -j N [tshark options] -r IN -X flowsplit:out=DIR[,...]
 *   flowsplit partition -j N [--parts PARTS] [tshark options] -r IN -X flowsplit:out=DIR[,...]
 *   flowsplit merge PARTS
 *   flowsplit merge --out DIR --shard SHARDDIR:MAPFILE ... [-X flowsplit:OPTIONS ...]
 *
 * The last form merges shards split by other means (each `tshark -r SHARD
 * -X flowsplit:out=SHARDDIR,shard=yes,...`, MAPFILE the frame map
 * `flowsplit partition` wrote for it); the tests use it on shards made by
 * hand.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "merge.h"
#include "parts_folder.h"
#include "run_shards.h"
#include "tshark_args.h"

#define MAX_SHARDS 1024

static const char usage[] =
    "usage: flowsplit -j N [tshark options] -r IN -X flowsplit:out=DIR[,...]\n"
    "       flowsplit partition -j N [--parts PARTS] [tshark options] -r IN -X flowsplit:out=DIR[,...]\n"
    "       flowsplit merge PARTS\n"
    "       flowsplit merge --out DIR --shard SHARDDIR:MAPFILE ... [-X flowsplit:OPTIONS ...]\n"
    "Splits IN into one file per stream in DIR on N tshark processes, with the same files and\n"
    "streams.csv as `tshark -r IN -X flowsplit:out=DIR,...`; see docs/parallel.md.\n";

/* -j N (or -jN) at argv[*i]: the number of shards, 0 when absent or bad. */
static gboolean
take_jobs(int argc, char **argv, int *i, guint *n)
{
    const char *v;
    char *end;
    guint64 value;

    if (strncmp(argv[*i], "-j", 2) != 0)
        return FALSE;
    v = argv[*i][2] != '\0' ? argv[*i] + 2 : (*i + 1 < argc ? argv[++*i] : "");
    value = g_ascii_strtoull(v, &end, 10);
    *n = (*v != '\0' && *end == '\0' && value >= 1 && value <= MAX_SHARDS) ? (guint)value : 0;
    return TRUE;
}

/* The arguments that are not flowsplit's own (-j, --parts): tshark's. */
static int
split_arguments(int argc, char **argv, guint *n, const char **parts, GPtrArray *rest)
{
    *n = 0;
    for (int i = 0; i < argc; i++) {
        if (take_jobs(argc, argv, &i, n)) {
            if (*n == 0) {
                fprintf(stderr, "flowsplit: -j takes a number of processes from 1 to %d\n", MAX_SHARDS);
                return 1;
            }
        } else if (parts != NULL && strcmp(argv[i], "--parts") == 0 && i + 1 < argc) {
            *parts = argv[++i];
        } else {
            g_ptr_array_add(rest, argv[i]);
        }
    }
    if (*n == 0) {
        fprintf(stderr, "flowsplit: no -j N: give the number of tshark processes\n%s", usage);
        return 1;
    }
    return 0;
}

static int
split_command(int argc, char **argv, gboolean partition_only)
{
    GPtrArray *rest = g_ptr_array_new();
    const char *parts = NULL;
    tshark_args a;
    char *error = NULL;
    guint n;
    int status = split_arguments(argc, argv, &n, partition_only ? &parts : NULL, rest);

    if (status != 0) {
        g_ptr_array_free(rest, TRUE);
        return status;
    }
    if (!tshark_args_parse(&a, (int)rest->len, (char **)rest->pdata, &error)) {
        fprintf(stderr, "%s\n", error);
        status = 1;
    } else if (partition_only) {
        char *default_parts = g_strdup_printf("%s.parts", a.opts.out_dir);
        status = parts_partition(&a, n, parts != NULL ? parts : default_parts);
        g_free(default_parts);
    } else {
        status = run_shards(&a, n);
    }
    tshark_args_clear(&a);
    g_free(error);
    g_ptr_array_free(rest, TRUE);
    return status;
}

/* SHARDDIR:MAPFILE, split at the last colon. */
static gboolean
add_shard(GPtrArray *dirs, GPtrArray *maps, const char *arg)
{
    const char *colon = strrchr(arg, ':');

    if (colon == NULL || colon == arg || colon[1] == '\0')
        return FALSE;
    g_ptr_array_add(dirs, g_strndup(arg, (gsize)(colon - arg)));
    g_ptr_array_add(maps, g_strdup(colon + 1));
    return TRUE;
}

/* The merge's options: --out, --shard, -X flowsplit:... items. */
static gboolean
hand_merge_arguments(int argc, char **argv, GPtrArray *dirs, GPtrArray *maps, GPtrArray *items)
{
    const char *out = NULL;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--shard") == 0 && i + 1 < argc) {
            if (!add_shard(dirs, maps, argv[++i]))
                return FALSE;
        } else if (strcmp(argv[i], "-X") == 0 && i + 1 < argc && g_str_has_prefix(argv[i + 1], "flowsplit:"))
            g_ptr_array_add(items, g_strdup(argv[++i] + strlen("flowsplit:")));
        else
            return FALSE;
    }
    if (out == NULL)
        return FALSE;
    g_ptr_array_add(items, g_strconcat("out=", out, NULL));
    return TRUE;
}

/* flowsplit merge --out DIR --shard SHARDDIR:MAPFILE ...: exit 0 merged,
 * 1 bad usage, 2 failed, 3 unsafe (nothing moved). */
static int
hand_merge(int argc, char **argv)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *maps = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
    flowsplit_options opts;
    merge_counts counts;
    char *error = NULL;
    int status = 1;

    if (!hand_merge_arguments(argc, argv, dirs, maps, items))
        fputs(usage, stderr);
    else if (!options_parse_strings(&opts, (const char *const *)items->pdata, items->len, &error))
        fprintf(stderr, "%s\n", error);
    else {
        merge_result r = merge_shards(dirs->len, (const char *const *)dirs->pdata,
                                      (const char *const *)maps->pdata, &opts, &counts, &error);

        if (r == MERGE_OK)
            merge_print_summary(&counts, opts.out_dir, "");
        else
            fprintf(stderr, "%s\n", error);
        status = r == MERGE_OK ? 0 : r == MERGE_UNSAFE ? 3 : 2;
        options_clear(&opts);
    }
    g_free(error);
    g_ptr_array_free(dirs, TRUE);
    g_ptr_array_free(maps, TRUE);
    g_ptr_array_free(items, TRUE);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("flowsplit " FLOWSPLIT_VERSION "\n");
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "partition") == 0)
        return split_command(argc - 2, argv + 2, TRUE);
    if (argc >= 2 && strcmp(argv[1], "merge") == 0) {
        if (argc >= 3 && argv[2][0] == '-')
            return hand_merge(argc - 2, argv + 2);
        if (argc != 3) {
            fprintf(stderr, "flowsplit: merge takes one parts folder\n%s", usage);
            return 1;
        }
        return parts_merge(argv[2]);
    }
    return split_command(argc - 1, argv + 1, FALSE);
}
