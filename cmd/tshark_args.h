/* tshark_args.h
 * The tshark command line `flowsplit -j N` (and `flowsplit partition`)
 * stands for: which arguments it keeps for itself (-r, -c, the
 * -X flowsplit: options), which it hands to every worker (tshark's own
 * dissection options), which it refuses, and the command lines of the
 * workers and of the single tshark it falls back to.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_TSHARK_ARGS_H
#define FLOWSPLIT_TSHARK_ARGS_H

#include <glib.h>

#include "options.h"

typedef struct {
    char *input;            /* -r FILE */
    guint64 max_frames;     /* -c N; 0: all */
    GPtrArray *passed;      /* tshark's own options, for every worker (char *) */
    GPtrArray *items;       /* the text after each "-X flowsplit:" (char *) */
    GPtrArray *original;    /* every argument as given, for the single tshark (char *) */
    flowsplit_options opts; /* the items, parsed by the plugin's own parser */
} tshark_args;

/* Reads argv (tshark's arguments, without -j). FALSE with a one-line
 * *error: an option a split on several processes cannot honour (-w, -i,
 * -Y, ...), no -r, or a -X flowsplit: option the plugin would refuse (its
 * own message). */
gboolean tshark_args_parse(tshark_args *a, int argc, char **argv, char **error);

void tshark_args_clear(tshark_args *a);

/* The argv (NULL-terminated; g_ptr_array_free(.., TRUE)) of worker `k` of
 * n: `tshark -r CAPTURE -q <passed> -X flowsplit:out=SHARD_DIR,shard=yes,...`
 * with the user's options but streams= (which the merge applies to the
 * whole capture's numbers) and max_open shared out among the n workers. */
GPtrArray *tshark_args_worker(const tshark_args *a, const char *capture, const char *shard_dir, guint n);

/* Why the split must run on one tshark whatever the capture, as one line
 * ending "; splitting on one tshark": a select= on a whole-capture field,
 * or a group= other than stream (a host's or a server's streams may fall
 * in several shards, and a shard splits by stream only). NULL when the
 * split may run on several. g_free it. */
char *tshark_args_single_reason(const tshark_args *a);

/* The argv of the one tshark that does the whole split: the arguments as
 * given. */
GPtrArray *tshark_args_single(const tshark_args *a);

#endif /* FLOWSPLIT_TSHARK_ARGS_H */
