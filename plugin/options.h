/* options.h
 * The -X flowsplit:KEY=VALUE options.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_OPTIONS_H
#define FLOWSPLIT_OPTIONS_H

#include <glib.h>

typedef enum {
    FS_FORMAT_PCAPNG,
    FS_FORMAT_PCAP
} fs_format;

/* The transports whose streams a split writes (proto=), in the order the
 * index lists them. */
typedef enum {
    FS_TRANSPORT_TCP,
    FS_TRANSPORT_UDP,
    FS_TRANSPORT_DCCP,
    FS_TRANSPORT_COUNT
} fs_transport;

#define FS_TRANSPORT_BIT(t) (1u << (t))

/* What one output file holds (group=); see docs/design.md, "Groups". */
typedef enum {
    FS_GROUP_STREAM,        /* one stream (the default) */
    FS_GROUP_CONVERSATION,  /* every stream between two addresses */
    FS_GROUP_HOST,          /* every stream an address is an end of */
    FS_GROUP_SERVER,        /* every stream to one server address and port */
    FS_GROUP_COUNT
} fs_group;

typedef struct {
    gboolean given;     /* at least one -X flowsplit: option */
    char *out_dir;      /* out=DIR; NULL when not given */
    fs_format format;   /* format=pcapng|pcap */
    guint max_open;     /* max_open=N; 0 means "derive from RLIMIT_NOFILE" */
    guint buffer_mb;    /* buffer_mb=N: the write-behind buffer, in MB */
    gboolean replace;   /* replace=yes|no */
    gboolean index;     /* index=yes|no: write DIR/streams.csv */
    gboolean files;     /* files=yes|no: write the stream files */
    guint idle;         /* idle=SECONDS: live capture closes a file this long without frames; 0 never */
    char *streams;      /* streams=LIST: only these streams (stream_list.h); NULL: all */
    char *select;       /* select=FILTER: only streams with a frame that matches; NULL: all */
    guint transports;   /* proto=tcp,udp,dccp|all: FS_TRANSPORT_BIT()s; default TCP */
    gboolean shard;     /* shard=yes|no: for the flowsplit command's workers, see docs/design.md; default no */
    guint community_id_seed;    /* community_id_seed=N (0-65535): the seed of the index's community_id; default 0 */
    fs_group group;     /* group=stream|conversation|host|server */
} flowsplit_options;

/* "tcp", "udp", "dccp": the transport's name in proto=, file names and the
 * index, which is also the name of its tap and the prefix of its stream
 * field ("tcp.stream"). */
const char *options_transport_name(fs_transport t);

/* "tcp.stream", "udp.stream", "dccp.stream": the transport's stream field. */
const char *options_transport_stream_field(fs_transport t);

/* "stream", "conversation", "host", "server": the value of group=. */
const char *options_group_name(fs_group g);

/* Reads every "-X flowsplit:..." option tshark or Wireshark was given.
 * Returns FALSE with a one-line message in *error (g_free it). */
gboolean options_parse_command_line(flowsplit_options *opts, char **error);

/* The same for a list of "KEY=VALUE[,KEY=VALUE...]" strings. */
gboolean options_parse_strings(flowsplit_options *opts, const char *const *items, guint n_items,
                               char **error);

/* A deep copy: dst owns its strings. */
void options_copy(flowsplit_options *dst, const flowsplit_options *src);

void options_clear(flowsplit_options *opts);

/* The most output files to keep open when max_open is not given: the
 * process's open-file limit less headroom for tshark's own files. */
guint options_default_max_open(void);

#endif /* FLOWSPLIT_OPTIONS_H */
