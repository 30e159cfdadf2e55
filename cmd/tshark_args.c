/* tshark_args.c
 * The tshark command line flowsplit stands for. tshark's options fall in
 * three kinds here: the input (-r, -c), which the partitioner reads;
 * dissection options (-o, -d, -n, --disable-protocol, ...), which every
 * worker gets, so that each dissects its shard as the single tshark would;
 * and options whose meaning is a single process's (-w writes one file, -i
 * captures, -Y/-2 change what tshark prints, -z prints statistics of the
 * whole capture): those are refused, since the split would honour them
 * only in part.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tshark_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FLOWSPLIT_PREFIX "flowsplit:"

/* tshark's options a worker takes as they are. has_value: the option is
 * followed by a value (as the next argument, or after '=' for long ones). */
typedef struct {
    const char *name;
    gboolean has_value;
} passed_option;

static const passed_option passed_options[] = {
    { "-o", TRUE }, { "-d", TRUE }, { "-N", TRUE }, { "-K", TRUE }, { "-C", TRUE }, { "-H", TRUE },
    { "-t", TRUE }, { "-u", TRUE }, { "-n", FALSE }, { "-q", FALSE }, { "-Q", FALSE },
    { "--disable-protocol", TRUE }, { "--enable-protocol", TRUE }, { "--enable-heuristic", TRUE },
    { "--disable-heuristic", TRUE }, { "--only-protocols", TRUE }, { "--log-level", TRUE },
    { "--log-fatal", TRUE }, { "--log-domains", TRUE }, { "--log-debug", TRUE }, { "--log-noisy", TRUE },
    { "--log-file", TRUE },
};

#define PASSED_LIST "-r, -c, -q, -Q, -n, -N, -o, -d, -K, -C, -H, -t, -u, -X, --disable-/--enable-protocol, " \
                    "--disable-/--enable-heuristic, --only-protocols and --log-*"

static const passed_option *
find_passed(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(passed_options); i++) {
        const char *name = passed_options[i].name;
        size_t len = strlen(name);

        if (strcmp(arg, name) == 0)
            return &passed_options[i];
        if (strncmp(arg, name, len) == 0 && passed_options[i].has_value) {
            /* --long=value, or a short option glued to its value (-oname:value) */
            if (name[1] == '-' && arg[len] == '=') {
                *inline_value = arg + len + 1;
                return &passed_options[i];
            }
            if (name[1] != '-') {
                *inline_value = arg + len;
                return &passed_options[i];
            }
        }
    }
    return NULL;
}

static gboolean
parse_count(const char *text, guint64 *out)
{
    char *end;
    guint64 v;

    errno = 0;
    v = g_ascii_strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v == 0)
        return FALSE;
    *out = v;
    return TRUE;
}

/* The value of option argv[*i] (inline or the next argument), or NULL. */
static const char *
take_value(int argc, char **argv, int *i, const char *inline_value)
{
    if (inline_value != NULL && *inline_value != '\0')
        return inline_value;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static gboolean
parse_one(tshark_args *a, int argc, char **argv, int *i, char **error)
{
    const char *arg = argv[*i];
    const char *inline_value;
    const passed_option *p;
    const char *v;

    if (strncmp(arg, "-r", 2) == 0 || strncmp(arg, "-c", 2) == 0 || strncmp(arg, "-X", 2) == 0) {
        char opt = arg[1];

        if ((v = take_value(argc, argv, i, arg + 2)) == NULL) {
            *error = g_strdup_printf("flowsplit: %s needs a value", arg);
            return FALSE;
        }
        if (opt == 'r') {
            g_free(a->input);
            a->input = g_strdup(v);
        } else if (opt == 'c') {
            if (!parse_count(v, &a->max_frames)) {
                *error = g_strdup_printf("flowsplit: -c takes a number of frames, not \"%s\"", v);
                return FALSE;
            }
        } else if (g_str_has_prefix(v, FLOWSPLIT_PREFIX)) {
            g_ptr_array_add(a->items, g_strdup(v + strlen(FLOWSPLIT_PREFIX)));
        } else {
            g_ptr_array_add(a->passed, g_strdup("-X"));
            g_ptr_array_add(a->passed, g_strdup(v));
        }
        return TRUE;
    }
    if ((p = find_passed(arg, &inline_value)) != NULL) {
        g_ptr_array_add(a->passed, g_strdup(arg));
        if (p->has_value && inline_value == NULL) {
            if (*i + 1 >= argc) {
                *error = g_strdup_printf("flowsplit: %s needs a value", arg);
                return FALSE;
            }
            g_ptr_array_add(a->passed, g_strdup(argv[++*i]));
        }
        return TRUE;
    }
    *error = g_strdup_printf("flowsplit: tshark's %s cannot be honoured by a split on several processes; "
                             "flowsplit -j takes %s (run tshark itself for the others)", arg, PASSED_LIST);
    return FALSE;
}

gboolean
tshark_args_parse(tshark_args *a, int argc, char **argv, char **error)
{
    memset(a, 0, sizeof *a);
    a->passed = g_ptr_array_new_with_free_func(g_free);
    a->items = g_ptr_array_new_with_free_func(g_free);
    a->original = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < argc; i++)
        g_ptr_array_add(a->original, g_strdup(argv[i]));
    for (int i = 0; i < argc; i++) {
        if (!parse_one(a, argc, argv, &i, error))
            return FALSE;
    }
    if (a->input == NULL) {
        *error = g_strdup("flowsplit: no capture to split; give it with -r FILE");
        return FALSE;
    }
    if (a->items->len == 0) {
        *error = g_strdup("flowsplit: no output folder; add -X flowsplit:out=DIR");
        return FALSE;
    }
    if (!options_parse_strings(&a->opts, (const char *const *)a->items->pdata, a->items->len, error))
        return FALSE;
    if (a->opts.shard) {
        *error = g_strdup("flowsplit: shard=yes is for the workers flowsplit starts itself; leave it out");
        return FALSE;
    }
    return TRUE;
}

void
tshark_args_clear(tshark_args *a)
{
    g_free(a->input);
    if (a->passed != NULL)
        g_ptr_array_free(a->passed, TRUE);
    if (a->items != NULL)
        g_ptr_array_free(a->items, TRUE);
    if (a->original != NULL)
        g_ptr_array_free(a->original, TRUE);
    options_clear(&a->opts);
    memset(a, 0, sizeof *a);
}

/* proto= of the user's transports, "tcp,udp". */
static char *
transports_text(guint transports)
{
    GString *s = g_string_new(NULL);

    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        if (transports & FS_TRANSPORT_BIT(t))
            g_string_append_printf(s, "%s%s", s->len ? "," : "", options_transport_name(t));
    }
    return g_string_free(s, FALSE);
}

GPtrArray *
tshark_args_worker(const tshark_args *a, const char *capture, const char *shard_dir, guint n)
{
    const flowsplit_options *o = &a->opts;
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    guint max_open = o->max_open ? o->max_open : options_default_max_open();
    guint buffer_mb = o->buffer_mb ? MAX(1, o->buffer_mb / n) : 0;
    char *protos = transports_text(o->transports);

    g_ptr_array_add(argv, g_strdup("tshark"));
    g_ptr_array_add(argv, g_strdup("-r"));
    g_ptr_array_add(argv, g_strdup(capture));
    g_ptr_array_add(argv, g_strdup("-q"));
    for (guint i = 0; i < a->passed->len; i++)
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(a->passed, i)));
    /* out= in an -X of its own: a folder name may hold ",KEY=". */
    g_ptr_array_add(argv, g_strdup("-X"));
    g_ptr_array_add(argv, g_strdup_printf("flowsplit:out=%s", shard_dir));
    g_ptr_array_add(argv, g_strdup("-X"));
    g_ptr_array_add(argv, g_strdup_printf("flowsplit:shard=yes,format=%s,max_open=%u,buffer_mb=%u,index=%s,"
                                          "files=%s,proto=%s",
                                          o->format == FS_FORMAT_PCAP ? "pcap" : "pcapng", MAX(1, max_open / n),
                                          buffer_mb, o->index ? "yes" : "no", o->files ? "yes" : "no", protos));
    if (o->select != NULL) {
        g_ptr_array_add(argv, g_strdup("-X"));
        g_ptr_array_add(argv, g_strdup_printf("flowsplit:select=%s", o->select));
    }
    g_ptr_array_add(argv, NULL);
    g_free(protos);
    return argv;
}

/* Fields whose value depends on frames outside a frame's own group: its
 * place in the whole capture, or a number counted over all of it. A
 * select= on one of them matches differently in a shard. */
static const char *const whole_capture_fields[] = {
    "frame.number", "frame.time_relative", "frame.time_delta", "frame.time_delta_displayed",
    "frame.ref_time", "frame.time_reference", "frame.offset_shift", "sctp.assoc_index",
    "quic.connection.number", "tcp.stream", "udp.stream", "dccp.stream", "mptcp.stream",
};

static gboolean
is_whole_capture_field(const char *token)
{
    for (size_t i = 0; i < G_N_ELEMENTS(whole_capture_fields); i++) {
        if (strcmp(token, whole_capture_fields[i]) == 0)
            return TRUE;
    }
    /* any other stream index Wireshark counts over the capture */
    return g_str_has_suffix(token, ".stream") || g_str_has_suffix(token, ".stream_index");
}

/* The first field select= names whose value depends on the whole capture
 * (frame.number, frame.time_relative, tcp.stream, ...), which a shard
 * cannot give as the single tshark does; NULL when none. g_free it. */
static char *
tshark_args_whole_capture_field(const tshark_args *a)
{
    const char *p = a->opts.select;

    while (p != NULL && *p != '\0') {
        size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

        if (len > 0) {
            char *token = g_strndup(p, len);

            if (is_whole_capture_field(token))
                return token;
            g_free(token);
            p += len;
        } else {
            p++;
        }
    }
    return NULL;
}

char *
tshark_args_single_reason(const tshark_args *a)
{
    char *field;
    char *why;

    if (a->opts.group != FS_GROUP_STREAM)
        return g_strdup_printf("flowsplit: group=%s puts streams of several shards in one file; "
                               "splitting on one tshark", options_group_name(a->opts.group));
    if ((field = tshark_args_whole_capture_field(a)) == NULL)
        return NULL;
    why = g_strdup_printf("flowsplit: select= uses %s, whose value in a shard is not the whole capture's; "
                          "splitting on one tshark", field);
    g_free(field);
    return why;
}

GPtrArray *
tshark_args_single(const tshark_args *a)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(argv, g_strdup("tshark"));
    for (guint i = 0; i < a->original->len; i++)
        g_ptr_array_add(argv, g_strdup(g_ptr_array_index(a->original, i)));
    g_ptr_array_add(argv, NULL);
    return argv;
}
