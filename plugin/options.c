/* options.c
 * Parses -X flowsplit:KEY=VALUE. Options may repeat (-X flowsplit:a=1
 * -X flowsplit:b=2) or share one -X, separated by commas. A comma starts
 * a new option only when a KEY= follows it, so out=/data/a,b keeps its
 * comma; a value that itself contains ",KEY=" needs its own -X.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "stream_list.h"

#define OPTIONS_VALID_KEYS "out, format, max_open, buffer_mb, replace, index, files, idle, streams, select, proto, shard, community_id_seed, group"
#define OPTIONS_DEFAULT_BUFFER_MB 32
#define OPTIONS_DEFAULT_IDLE 60
#define OPTIONS_MAX_IDLE 86400

static const char *const transport_names[FS_TRANSPORT_COUNT] = { "tcp", "udp", "dccp" };
static const char *const group_names[FS_GROUP_COUNT] = { "stream", "conversation", "host", "server" };
static const char *const transport_stream_fields[FS_TRANSPORT_COUNT] = { "tcp.stream", "udp.stream", "dccp.stream" };

/* Descriptors tshark itself may need besides ours: the input, its
 * temporary files, libraries, name resolution, plus room for -w. */
#define OPTIONS_FD_HEADROOM 32

static gboolean
parse_yes_no(const char *key, const char *value, gboolean *out, char **error)
{
    if (g_ascii_strcasecmp(value, "yes") == 0 || g_ascii_strcasecmp(value, "true") == 0
        || strcmp(value, "1") == 0) {
        *out = TRUE;
        return TRUE;
    }
    if (g_ascii_strcasecmp(value, "no") == 0 || g_ascii_strcasecmp(value, "false") == 0
        || strcmp(value, "0") == 0) {
        *out = FALSE;
        return TRUE;
    }
    *error = g_strdup_printf("flowsplit: bad value \"%s\" for %s; valid values: yes, no", value, key);
    return FALSE;
}

static gboolean
parse_count(const char *key, const char *value, guint min, guint max, guint *out, char **error)
{
    char *end;
    guint64 n;

    errno = 0;
    n = g_ascii_strtoull(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || n < min || n > max || !g_ascii_isdigit(value[0])) {
        *error = g_strdup_printf("flowsplit: bad value \"%s\" for %s; valid values: a whole number from %u to %u",
                                 value, key, min, max);
        return FALSE;
    }
    *out = (guint)n;
    return TRUE;
}

/* proto=: a comma-separated list of transports, or "all". */
static gboolean
parse_transports(const char *value, guint *out, char **error)
{
    char **names = g_strsplit(value, ",", -1);
    guint bits = 0;
    gboolean ok = names[0] != NULL;

    for (guint i = 0; ok && names[i] != NULL; i++) {
        guint bit = 0;

        if (strcmp(names[i], "all") == 0)
            bit = FS_TRANSPORT_BIT(FS_TRANSPORT_COUNT) - 1;
        for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
            if (strcmp(names[i], transport_names[t]) == 0)
                bit = FS_TRANSPORT_BIT(t);
        }
        ok = bit != 0;
        bits |= bit;
    }
    g_strfreev(names);
    if (!ok) {
        *error = g_strdup_printf("flowsplit: bad value \"%s\" for proto; valid values: tcp, udp, dccp, all, "
                                 "or a list such as proto=tcp,udp", value);
        return FALSE;
    }
    *out = bits;
    return TRUE;
}

/* A value kept as text (out=, streams=, select=); empty_error when it
 * may not be empty, else NULL. */
static gboolean
parse_text(const char *value, char **out, const char *empty_error, char **error)
{
    if (*value == '\0' && empty_error != NULL) {
        *error = g_strdup(empty_error);
        return FALSE;
    }
    g_free(*out);
    *out = g_strdup(value);
    return TRUE;
}

/* format=pcapng|pcap */
static gboolean
parse_format(const char *value, fs_format *out, char **error)
{
    if (strcmp(value, "pcapng") == 0)
        *out = FS_FORMAT_PCAPNG;
    else if (strcmp(value, "pcap") == 0)
        *out = FS_FORMAT_PCAP;
    else {
        *error = g_strdup_printf("flowsplit: bad value \"%s\" for format; valid values: pcapng, pcap", value);
        return FALSE;
    }
    return TRUE;
}

/* group=stream|conversation|host|server */
static gboolean
parse_group(const char *value, fs_group *out, char **error)
{
    for (int g = 0; g < FS_GROUP_COUNT; g++) {
        if (strcmp(value, group_names[g]) == 0) {
            *out = (fs_group)g;
            return TRUE;
        }
    }
    *error = g_strdup_printf("flowsplit: bad value \"%s\" for group; valid values: stream, conversation, host, server",
                             value);
    return FALSE;
}

/* streams=LIST, checked now and kept as text (stream_list.h). */
static gboolean
parse_streams(flowsplit_options *opts, const char *value, char **error)
{
    stream_list *list = stream_list_parse(value, error);

    if (list == NULL)
        return FALSE;
    stream_list_free(list);
    return parse_text(value, &opts->streams, NULL, error);
}

static gboolean
parse_one(flowsplit_options *opts, const char *key, const char *value, char **error)
{
    if (strcmp(key, "out") == 0)
        return parse_text(value, &opts->out_dir, "flowsplit: out needs a folder, e.g. -X flowsplit:out=streams",
                          error);
    if (strcmp(key, "format") == 0)
        return parse_format(value, &opts->format, error);
    if (strcmp(key, "max_open") == 0)
        return parse_count(key, value, 1, 1000000, &opts->max_open, error);
    if (strcmp(key, "buffer_mb") == 0)
        return parse_count(key, value, 0, 65536, &opts->buffer_mb, error);
    if (strcmp(key, "replace") == 0)
        return parse_yes_no(key, value, &opts->replace, error);
    if (strcmp(key, "index") == 0)
        return parse_yes_no(key, value, &opts->index, error);
    if (strcmp(key, "files") == 0)
        return parse_yes_no(key, value, &opts->files, error);
    if (strcmp(key, "idle") == 0)
        return parse_count(key, value, 0, OPTIONS_MAX_IDLE, &opts->idle, error);
    if (strcmp(key, "streams") == 0)
        return parse_streams(opts, value, error);
    if (strcmp(key, "proto") == 0)
        return parse_transports(value, &opts->transports, error);
    if (strcmp(key, "shard") == 0)
        return parse_yes_no(key, value, &opts->shard, error);
    if (strcmp(key, "community_id_seed") == 0)
        return parse_count(key, value, 0, G_MAXUINT16, &opts->community_id_seed, error);
    if (strcmp(key, "group") == 0)
        return parse_group(value, &opts->group, error);
    /* select=: the filter is compiled when the split starts (display
     * filters do not work yet while options are read). */
    if (strcmp(key, "select") == 0)
        return parse_text(value, &opts->select,
                          "flowsplit: select needs a display filter, e.g. -X 'flowsplit:select=http.host == \"x\"'",
                          error);
    *error = g_strdup_printf("flowsplit: unknown option \"%s\"; valid keys: " OPTIONS_VALID_KEYS
                             " (e.g. -X flowsplit:out=DIR)", key);
    return FALSE;
}

/* Where the option that starts at s ends: at a comma followed by KEY=. */
static const char *
option_end(const char *s)
{
    for (const char *p = strchr(s, ','); p != NULL; p = strchr(p + 1, ',')) {
        const char *k = p + 1;
        while (g_ascii_isalnum(*k) || *k == '_')
            k++;
        if (k > p + 1 && *k == '=')
            return p;
    }
    return s + strlen(s);
}

static gboolean
parse_item(flowsplit_options *opts, const char *item, char **error)
{
    const char *s = item;

    while (*s != '\0') {
        const char *end = option_end(s);
        char *opt = g_strndup(s, end - s);
        char *eq = strchr(opt, '=');
        gboolean ok;

        if (eq == NULL || eq == opt) {
            *error = g_strdup_printf("flowsplit: \"%s\" is not KEY=VALUE; valid keys: " OPTIONS_VALID_KEYS
                                     " (e.g. -X flowsplit:out=DIR)", opt);
            g_free(opt);
            return FALSE;
        }
        *eq = '\0';
        ok = parse_one(opts, opt, eq + 1, error);
        g_free(opt);
        if (!ok)
            return FALSE;
        s = (*end == ',') ? end + 1 : end;
    }
    return TRUE;
}

/* The options a group other than stream cannot take. select=: a stream is
 * known to match only once one of its frames does, possibly its last, and
 * a stream that never matched is taken out at the end by removing its
 * file; a group's file holds other streams' frames too, so it cannot lose
 * that stream's frames once written. shard=yes: a shard holds some of the
 * capture's conversations, and a host's or server's streams may be in
 * several (the flowsplit command runs one tshark for a group instead). */
static gboolean
check_group(const flowsplit_options *opts, char **error)
{
    if (opts->group == FS_GROUP_STREAM)
        return TRUE;
    if (opts->select != NULL) {
        *error = g_strdup_printf("flowsplit: select= works with group=stream only: a group=%s file cannot take "
                                 "back the frames of a stream that never matched; use streams= to choose streams",
                                 group_names[opts->group]);
        return FALSE;
    }
    if (opts->shard) {
        *error = g_strdup_printf("flowsplit: shard=yes works with group=stream only: a group=%s file may take "
                                 "streams of several shards; split with one tshark", group_names[opts->group]);
        return FALSE;
    }
    return TRUE;
}

gboolean
options_parse_strings(flowsplit_options *opts, const char *const *items, guint n_items, char **error)
{
    memset(opts, 0, sizeof *opts);
    opts->format = FS_FORMAT_PCAPNG;
    opts->index = TRUE;
    opts->files = TRUE;
    opts->buffer_mb = OPTIONS_DEFAULT_BUFFER_MB;
    opts->idle = OPTIONS_DEFAULT_IDLE;
    opts->transports = FS_TRANSPORT_BIT(FS_TRANSPORT_TCP);
    for (guint i = 0; i < n_items; i++) {
        opts->given = TRUE;
        if (!parse_item(opts, items[i], error)) {
            options_clear(opts);
            return FALSE;
        }
    }
    if (opts->given && !opts->index && !opts->files) {
        *error = g_strdup("flowsplit: index=no and files=no leave nothing to write; drop one of them");
        options_clear(opts);
        return FALSE;
    }
    /* A shard's stream numbers are not the whole capture's: the merge
     * applies streams= once it has numbered them (cmd/merge.c). */
    if (opts->shard && opts->streams != NULL) {
        *error = g_strdup("flowsplit: streams= counts the whole capture's streams; give it to flowsplit merge, "
                          "not to a shard's split");
        options_clear(opts);
        return FALSE;
    }
    if (!check_group(opts, error)) {
        options_clear(opts);
        return FALSE;
    }
    if (opts->given && opts->out_dir == NULL) {
        *error = g_strdup("flowsplit: no output folder; add -X flowsplit:out=DIR");
        options_clear(opts);
        return FALSE;
    }
    return TRUE;
}

void
options_copy(flowsplit_options *dst, const flowsplit_options *src)
{
    *dst = *src;
    dst->out_dir = g_strdup(src->out_dir);
    dst->streams = g_strdup(src->streams);
    dst->select = g_strdup(src->select);
}

void
options_clear(flowsplit_options *opts)
{
    g_free(opts->out_dir);
    g_free(opts->streams);
    g_free(opts->select);
    memset(opts, 0, sizeof *opts);
}

const char *
options_transport_name(fs_transport t)
{
    return t < FS_TRANSPORT_COUNT ? transport_names[t] : "unknown";
}

const char *
options_group_name(fs_group g)
{
    return g < FS_GROUP_COUNT ? group_names[g] : "unknown";
}

const char *
options_transport_stream_field(fs_transport t)
{
    return t < FS_TRANSPORT_COUNT ? transport_stream_fields[t] : "unknown";
}

guint
options_default_max_open(void)
{
    struct rlimit rl;
    rlim_t soft;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 1024;
    soft = rl.rlim_cur;
    if (soft > 1000000)
        soft = 1000000;
    if (soft <= OPTIONS_FD_HEADROOM + 4)
        return 4;
    return (guint)(soft - OPTIONS_FD_HEADROOM);
}
