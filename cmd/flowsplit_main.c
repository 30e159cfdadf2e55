/* flowsplit_main.c
 * The flowsplit command's entry point. For now only the merge step, for
 * testing it on shards made by hand:
 *
 *   flowsplit merge --out DIR [--shard SHARDDIR:MAPFILE ...] [-X flowsplit:OPTIONS ...]
 *
 * merges the shards' splits (each `tshark -r SHARD -X
 * flowsplit:out=SHARDDIR,shard=yes,...`, MAPFILE its frame map) into DIR,
 * with the user's -X flowsplit: options (streams=, index=, replace=, ...).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "../cmd/merge.h"
#include "options.h"

static const char usage[] =
    "usage: flowsplit merge --out DIR [--shard SHARDDIR:MAPFILE ...] [-X flowsplit:OPTIONS ...]\n";

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

static int
merge_main(int argc, char **argv)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *maps = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
    const char *out = NULL;
    flowsplit_options opts;
    merge_counts counts;
    merge_result r;
    char *error = NULL;
    int status = 1;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--shard") == 0 && i + 1 < argc) {
            if (!add_shard(dirs, maps, argv[++i]))
                goto bad_usage;
        } else if (strcmp(argv[i], "-X") == 0 && i + 1 < argc && g_str_has_prefix(argv[i + 1], "flowsplit:")) {
            g_ptr_array_add(items, g_strdup(argv[++i] + strlen("flowsplit:")));
        } else {
            goto bad_usage;
        }
    }
    if (out == NULL)
        goto bad_usage;
    /* out= from --out: the options' own check wants one. */
    g_ptr_array_add(items, g_strconcat("out=", out, NULL));
    if (!options_parse_strings(&opts, (const char *const *)items->pdata, items->len, &error)) {
        fprintf(stderr, "%s\n", error);
        g_free(error);
        goto done;
    }
    r = merge_shards(dirs->len, (const char *const *)dirs->pdata, (const char *const *)maps->pdata, &opts, &counts,
                     &error);
    if (r == MERGE_OK) {
        fprintf(stderr, "flowsplit: %" G_GUINT64_FORMAT " streams, %" G_GUINT64_FORMAT " frames written to %"
                G_GUINT64_FORMAT " files in %s (%" G_GUINT64_FORMAT " bytes)\n", counts.streams, counts.frames,
                counts.files, opts.out_dir, counts.bytes);
        status = 0;
    } else {
        fprintf(stderr, "%s\n", error);
        g_free(error);
        status = r == MERGE_UNSAFE ? 3 : 2;
    }
    options_clear(&opts);
    goto done;
bad_usage:
    fputs(usage, stderr);
done:
    g_ptr_array_free(dirs, TRUE);
    g_ptr_array_free(maps, TRUE);
    g_ptr_array_free(items, TRUE);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "merge") == 0)
        return merge_main(argc, argv);
    fputs(usage, stderr);
    return 1;
}
