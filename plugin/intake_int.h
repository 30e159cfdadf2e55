/* intake_int.h
 * Inside the intake: the session and the stream table its files share.
 * Private to intake*.c (the wiretap wtap-int.h pattern); everything else
 * uses intake.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_INTAKE_INT_H
#define FLOWSPLIT_INTAKE_INT_H

#include <glib.h>
#include <epan/epan_dissect.h>
#include <epan/packet.h>

#include "capture_meta.h"
#include "frame_queue.h"
#include "intake.h"
#include "options.h"
#include "stream_index.h"
#include "stream_list.h"
#include "stream_group.h"
#include "stream_select.h"
#include "writer_cache.h"

/* What the split knows of one stream; the facts' hot part follows the
 * rest in the same cache lines (stream_index.h). */
typedef struct {
    stream_file *file;      /* NULL with files=no, or when not selected; with group=, the group's */
    stream_file *file2;     /* group=host: the other end's file; NULL when the ends share an address, and else */
    fs_transport transport;
    guint32 index;          /* tcp.stream, udp.stream or dccp.stream */
    gboolean created;       /* a stream Wireshark gave this index; else an empty slot */
    gboolean selected;      /* written and indexed */
    stream_facts facts;
} flow_stream;

/* One TCP, UDP or DCCP layer of the current frame, as its tap saw it. */
typedef struct {
    flow_stream *st;        /* its stream (and so its transport and index) */
    gboolean from_a;
    guint16 flags;          /* TCP flags; 0 for the others */
} transport_layer;

/* The fields a second dissection reads (intake_tree.c). */
enum {
    HF_TCP, HF_IPV6_FRAG_OFFSET, HF_IPV6_FRAG_MORE, HF_TLS_TYPE, HF_TLS_SNI, HF_TLS_ALPN, HF_TLS_JA3, HF_TLS_JA3S,
    HF_COUNT
};

struct split_session {
    flowsplit_options opts;
    int dir_fd;
    writer_cache *wc;
    capture_meta *meta;     /* the input's section header and secrets, for wc */
    frame_queue *fq;
    /* The stream table (intake_streams.c). */
    GPtrArray *blocks[FS_TRANSPORT_COUNT];  /* flow_stream blocks by stream index / INTAKE_STREAMS_PER_BLOCK; NULL: none yet */
    guint32 n_slots[FS_TRANSPORT_COUNT];    /* the highest stream index seen + 1 */
    stream_list *list;      /* streams=LIST; NULL: all */
    stream_select *select;  /* select=FILTER: which streams have a matching frame; NULL: all */
    guint n_streams;        /* selected streams seen */
    stream_groups *groups;  /* group= other than stream: the group files; NULL with one file per stream */
    GString *row_files;     /* the index's file column of a group=host row: its two names joined by ';' */
    /* The current frame (intake_decide.c). */
    GArray *frame_streams;  /* the current frame's streams (flow_stream_id()s) */
    GArray *frame_layers;   /* transport_layer of the current frame, from the transport taps */
    guint32 layers_frame;   /* the frame frame_layers belongs to */
    /* A second dissection (intake_tree.c). */
    int hf[HF_COUNT];
    int hf_stream[FS_TRANSPORT_COUNT];      /* tcp.stream, udp.stream, dccp.stream */
    int hf_ja4;             /* tls.handshake.ja4 (4.2+); -1: computed (tls_ja4.c) */
    int proto_transport[FS_TRANSPORT_COUNT];    /* tcp, udp, dccp */
    int proto_ipv6_fraghdr;
    int proto_tls;
    int hf_prime[HF_COUNT + FS_TRANSPORT_COUNT + 1];    /* what a second dissection primes */
    guint n_prime;
    guint64 frames_redissected;
    /* The listeners (intake_taps.c). */
    int tap_key[FS_TRANSPORT_COUNT];    /* address of tap_key[t]: the key of transport t's tap listener; holds t */
    gboolean tap_registered[FS_TRANSPORT_COUNT];
    int ip_key;             /* and of this the ip listener's */
    guint32 ip_held_frame;  /* the last frame the ip tap held as a fragment */
    guint32 ip_completing_frame;  /* an IPv4 fragment that completes a datagram: */
    GArray *ip_completing_deps;   /* the frames it depends on (guint32) */
    char *index_error;
    gboolean registered;
    gboolean failed;
    gboolean finished;
    gboolean late_frame_logged;
    /* Progress (intake_report.c) and the live index (intake_index.c). */
    gboolean progress_tty;  /* stderr is a terminal: show progress (asked once, not per frame) */
    gboolean progress_shown;
    gint64 progress_at;
    guint64 frames_seen;    /* frames of the input read so far */
    guint32 last_frame;     /* the number of the last frame handed to the frame tap, of any record type */
    const epan_t *epan;     /* the dissection session that frame came from (for intake_unread_frame) */
    guint64 index_frames;   /* live capture: frames_seen when streams.csv was last written */
    gint64 index_at;        /* ... and when */
    intake_done_fn done;
    void *done_data;
};

/* With the index, a stream still waiting for its first ClientHello or
 * ServerHello has its frames with a TLS layer read from a second
 * dissection (intake_tree.c). */
static inline gboolean
intake_waits_for_hello(const split_session *s, const flow_stream *st)
{
    return s->opts.index && stream_facts_waits_for_hello(&st->facts);
}

static inline gboolean
intake_transport_split(const split_session *s, fs_transport t)
{
    return (s->opts.transports & FS_TRANSPORT_BIT(t)) != 0;
}

/* intake_streams.c: the stream table. */
void flow_streams_init(split_session *s);
void flow_streams_clear(split_session *s);
flow_stream *flow_stream_lookup(const split_session *s, fs_transport t, guint32 index);
flow_stream *flow_stream_create(split_session *s, fs_transport t, guint32 index, const address *src, guint16 sport,
                                const address *dst, guint16 dport, guint16 tcp_flags);
guint32 flow_stream_id(fs_transport t, guint32 index);
flow_stream *flow_stream_by_id(const split_session *s, guint32 id);
flow_stream *flow_stream_next(const split_session *s, int *t, guint32 *index);

/* intake_taps.c: the listeners. */
void intake_settle_fragments(split_session *s, guint32 current);
void intake_unregister(split_session *s);

/* intake_decide.c: which streams the current frame belongs to. */
extern const fs_transport intake_collect_order[FS_TRANSPORT_COUNT];
gboolean intake_collect_frame(split_session *s, packet_info *pinfo, epan_dissect_t *edt);
gboolean intake_frame_from_a(split_session *s, packet_info *pinfo, const flow_stream *st);
void intake_frame_add_stream(split_session *s, packet_info *pinfo, flow_stream *st, gboolean from_a);
void intake_stream_add_flags(split_session *s, flow_stream *st, gboolean from_a, guint16 flags);

/* intake_tree.c: the same, read from a second dissection with a tree. */
gboolean intake_tree_find_fields(split_session *s, char **error);
gboolean intake_tree_collect(split_session *s, packet_info *pinfo, epan_dissect_t *edt);

/* intake.c: a frame handed on to the queue and the writer. */
gboolean intake_pass_frame(split_session *s, packet_info *pinfo, const frame_record *fr);

/* intake_index.c: streams.csv. */
gboolean intake_index_write(split_session *s);
gboolean intake_index_rewrite(split_session *s, gint64 now);
void intake_drop_unmatched(split_session *s);

/* intake_report.c: progress on a terminal. */
void intake_show_progress(split_session *s, gboolean last);

#endif /* FLOWSPLIT_INTAKE_INT_H */
