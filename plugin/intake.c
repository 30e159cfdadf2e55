/* intake.c
 * Decides which frames go to which stream, exactly as Wireshark numbers
 * streams, and hands them to the writer cache.
 *
 * Membership is what `tshark -2 -Y "tcp.stream eq N" -w` writes: every
 * frame whose dissection carries tcp.stream == N (any TCP layer of it),
 * plus the frames it was reassembled from (IP fragments, which wait in
 * frame_queue until a frame claims them; an unfiltered `ip` tap tells
 * IPv4 ones).
 *
 * Unfiltered listeners on the `tcp` tap (error packets included, so TCP
 * quoted in ICMP too) give each TCP layer's stream, flags and endpoints:
 * those of the IP layer that carries it, the inner one in a tunnel. They
 * fire before the `frame` tap for the same frame, whose listener then
 * decides where the frame goes. No listener has a filter, so tshark builds
 * no protocol tree, which would cost a fifth of the dissection.
 *
 * The taps cannot answer for every frame: the `tcp` tap never fires for a
 * TCP header with a bad length, or one cut short after its stream was
 * found (both return or throw first), nor tells an IPv6 fragment, nor
 * carries TLS fields. A frame whose layers (pinfo->layers) have a TCP
 * layer without a tap call, an IPv6 fragment header, or, with the index, a
 * TLS layer on a stream still waiting for its ClientHello, is dissected
 * again with a tree (frame_redissect.c) and read from it: every tcp.stream
 * value, each TCP layer's header for its flags, the TLS fields. A TCP
 * layer with no tap call has the frame's own addresses for its direction.
 * Such frames are rare (none in most captures; the TLS frames of streams
 * whose ClientHello was not captured are the most of them).
 *
 * With proto=udp (dccp) the same holds for udp.stream (dccp.stream), with
 * a listener on the `udp` (`dccp`) tap for the endpoints. Streams are kept per transport, each
 * numbered as Wireshark numbers it; inside the split a stream's id
 * (stream_id(): its index and transport in one number) is what the frame
 * queue and the writer carry.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "intake.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <epan/epan_dissect.h>
#include <epan/tap.h>
#include <epan/dissectors/packet-ip.h>
#include <epan/dissectors/packet-dccp.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/dissectors/packet-udp.h>
#include <wsutil/wslog.h>

#include "frame_queue.h"
#include "capture_meta.h"
#include "frame_redissect.h"
#include "outdir.h"
#include "stream_index.h"
#include "stream_list.h"
#include "stream_name.h"
#include "stream_select.h"
#include "writer_cache.h"
#include "ws_compat.h"

/* How long the file of an ended stream stays open for the frames that
 * follow its end (the last ACK) before intake_tick() closes it. */
#define INTAKE_LINGER_USEC (G_USEC_PER_SEC / 2)

/* Each transport's streams are kept in blocks of this many, by stream
 * index: a tap's stream is found from its index with arithmetic and one
 * pointer of a short array (perf, 2026-12-03: an array of a pointer per
 * stream cost a cache miss a frame, about 0.1 s of the benchmark), and a
 * block costs one allocation. Wireshark numbers each transport's streams
 * from 0 as they appear, so blocks fill in order. */
#define INTAKE_STREAMS_PER_BLOCK 1024

/* In a live capture, an IP fragment whose datagram has not completed after
 * this long is given up, and the frames waiting behind it go on. */
#define INTAKE_FRAGMENT_HOLD_USEC (2 * G_USEC_PER_SEC)

/* In a live capture, frames found waiting in the write-behind buffer by a
 * tick (every 250 ms) are written out once they have waited this long:
 * none stays in memory much more than three quarters of a second, so a
 * crash or SIGKILL loses little. */
#define INTAKE_MAX_WAIT_USEC (G_USEC_PER_SEC / 2)

/* ... and streams.csv is rewritten this often while frames come in, so
 * that the files of a capture that is killed are listed in an index no
 * older than this. */
#define INTAKE_INDEX_EVERY_USEC (2 * G_USEC_PER_SEC)

/* ws_ip4.ip_off: more fragments, and the fragment offset. */
#define INTAKE_IP_MF 0x2000
#define INTAKE_IP_OFFSET 0x1FFF

/* What the split knows of one stream; the facts' hot part follows the
 * rest in the same cache lines (stream_index.h). */
typedef struct {
    stream_file *file;      /* NULL with files=no, or when not selected */
    fs_transport transport;
    guint32 index;          /* tcp.stream or udp.stream */
    gboolean created;       /* a stream Wireshark gave this index; else an empty slot */
    gboolean selected;      /* written and indexed */
    stream_facts facts;
} flow_stream;

/* One TCP or UDP layer of the current frame, as its tap saw it. */
typedef struct {
    flow_stream *st;        /* its stream (and so its transport and index) */
    gboolean from_a;
    guint16 flags;          /* TCP flags; 0 for the others */
} transport_layer;

enum { HF_TCP, HF_IPV6_FRAG_OFFSET, HF_IPV6_FRAG_MORE, HF_TLS_TYPE, HF_TLS_SNI, HF_TLS_ALPN, HF_TLS_JA3, HF_COUNT };
static const char *const intake_fields[HF_COUNT] = {
    "tcp", "ipv6.fraghdr.offset", "ipv6.fraghdr.more", "tls.handshake.type",
    "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str", "tls.handshake.ja3"
};

/* The order the frame's streams are collected in: the transports that ride
 * on others first, so that in the usual tunnels (TCP in VXLAN, in GRE over
 * UDP) the frame's last stream is the innermost. */
static const fs_transport collect_order[FS_TRANSPORT_COUNT] = {
    FS_TRANSPORT_UDP, FS_TRANSPORT_DCCP, FS_TRANSPORT_TCP
};

/* Which transport a ClientHello in the frame belongs to: the first of these
 * the frame has a stream of. */
static const fs_transport tls_owner_order[FS_TRANSPORT_COUNT] = {
    FS_TRANSPORT_TCP, FS_TRANSPORT_UDP, FS_TRANSPORT_DCCP
};

struct split_session {
    flowsplit_options opts;
    int dir_fd;
    writer_cache *wc;
    capture_meta *meta;     /* the input's section header and secrets, for wc */
    frame_queue *fq;
    GPtrArray *blocks[FS_TRANSPORT_COUNT];  /* flow_stream blocks by tcp.stream (udp.stream, ...) / INTAKE_STREAMS_PER_BLOCK; NULL: none yet */
    guint32 n_slots[FS_TRANSPORT_COUNT];    /* the highest stream index seen + 1 */
    stream_list *list;      /* streams=LIST; NULL: all */
    stream_select *select;  /* select=FILTER: which streams have a matching frame; NULL: all */
    guint n_streams;        /* selected streams seen */
    GArray *frame_streams;  /* scratch: the current frame's streams (ids) */
    GArray *frame_layers;   /* transport_layer of the current frame, from the tcp and udp taps */
    guint32 layers_frame;   /* the frame frame_layers belongs to */
    int hf[HF_COUNT];
    int hf_stream[FS_TRANSPORT_COUNT];      /* tcp.stream, udp.stream, dccp.stream */
    int proto_transport[FS_TRANSPORT_COUNT];    /* tcp, udp, dccp */
    int proto_ipv6_fraghdr;
    int proto_tls;
    int hf_prime[HF_COUNT + FS_TRANSPORT_COUNT];    /* what a second dissection primes */
    guint n_prime;
    guint64 frames_redissected;
    int tap_key[FS_TRANSPORT_COUNT];    /* address of tap_key[t]: the key of transport t's tap listener */
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
    gboolean progress_tty;  /* stderr is a terminal: show progress (asked once, not per frame) */
    gboolean progress_shown;
    gint64 progress_at;
    guint64 frames_seen;    /* frames of the input read so far */
    guint64 index_frames;   /* live capture: frames_seen when streams.csv was last written */
    gint64 index_at;        /* ... and when */
    intake_done_fn done;
    void *done_data;
};

/* The packet block of the frame being dissected, kept by the postdissector.
 * Wireshark drops the record's block (rec->block) when the frame's
 * dissection ends, before the taps run, so a second dissection from a tap
 * (frame_redissect) sees none: the postdissector leaves the block alone
 * while that runs, or the frame would lose its comments. */
static wtap_block_t current_block;
static guint32 current_block_num;
static gboolean redissecting;

int
intake_postdissector(tvbuff_t *tvb _U_, packet_info *pinfo, proto_tree *tree _U_, void *data _U_)
{
    wtap_block_t block = NULL;

    if (redissecting)
        return 0;
    if (pinfo->fd->has_modified_block)
        block = epan_get_modified_block(pinfo->epan, pinfo->fd);
    else if (pinfo->rec != NULL)
        block = pinfo->rec->block;
    if (current_block != NULL)
        wtap_block_unref(current_block);
    current_block = block ? wtap_block_ref(block) : NULL;
    current_block_num = pinfo->num;
    return 0;
}

split_session *
intake_session_new(const flowsplit_options *opts, char **error)
{
    split_session *s;
    stream_list *list = NULL;
    stream_select *select = NULL;
    int dir_fd;

    /* Every option is checked before the folder is touched. */
    if (opts->streams != NULL && (list = stream_list_parse(opts->streams, error)) == NULL)
        return NULL;
    if (opts->select != NULL && (select = stream_select_new(opts->select, opts->transports, error)) == NULL) {
        stream_list_free(list);
        return NULL;
    }
    dir_fd = outdir_prepare(opts->out_dir, opts->replace, error);
    if (dir_fd < 0) {
        stream_list_free(list);
        if (select != NULL)
            stream_select_free(select);
        return NULL;
    }
    s = g_new0(split_session, 1);
    /* isatty() is a system call; asked per frame it cost about 0.2 s a
     * million frames (bench/run, perf, 2026-12-02). */
    s->progress_tty = isatty(STDERR_FILENO);
    options_copy(&s->opts, opts);
    s->list = list;
    s->select = select;
    s->dir_fd = dir_fd;
    s->meta = capture_meta_new();
    s->wc = writer_cache_new(dir_fd, opts->out_dir, opts->format,
                             opts->max_open > 0 ? opts->max_open : options_default_max_open(),
                             (gsize)opts->buffer_mb * 1024 * 1024, s->meta);
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++)
        s->blocks[t] = g_ptr_array_new_with_free_func(g_free);
    s->frame_streams = g_array_new(FALSE, FALSE, sizeof(guint32));
    s->frame_layers = g_array_new(FALSE, FALSE, sizeof(transport_layer));
    s->ip_completing_deps = g_array_new(FALSE, FALSE, sizeof(guint32));
    return s;
}

/* The slot of transport t's stream index, or NULL when its block was
 * never needed. */
static flow_stream *
stream_slot(const split_session *s, fs_transport t, guint32 index)
{
    guint32 b = index / INTAKE_STREAMS_PER_BLOCK;
    flow_stream *block = b < s->blocks[t]->len ? g_ptr_array_index(s->blocks[t], b) : NULL;

    return block != NULL ? &block[index % INTAKE_STREAMS_PER_BLOCK] : NULL;
}

static flow_stream *
stream_lookup(const split_session *s, fs_transport t, guint32 index)
{
    flow_stream *st = stream_slot(s, t, index);

    return st != NULL && st->created ? st : NULL;
}

/* What frame_streams and the frame queue hold for a stream: its index and
 * transport in one number. A capture would need over 1.4 billion streams
 * of a transport to overflow it, and 280 GB for their state. */
static guint32
stream_id(fs_transport t, guint32 index)
{
    return index * FS_TRANSPORT_COUNT + (guint32)t;
}

static flow_stream *
stream_by_id(const split_session *s, guint32 id)
{
    return stream_slot(s, (fs_transport)(id % FS_TRANSPORT_COUNT), id / FS_TRANSPORT_COUNT);
}

/* Every stream, transport after transport, in index order: start with
 * *t and *index at 0; NULL after the last. */
static flow_stream *
stream_next(const split_session *s, int *t, guint32 *index)
{
    for (; *t < FS_TRANSPORT_COUNT; (*t)++, *index = 0) {
        while (*index < s->n_slots[*t]) {
            flow_stream *st = stream_lookup(s, (fs_transport)*t, (*index)++);

            if (st != NULL)
                return st;
        }
    }
    return NULL;
}

/* A stream's first frame fixes its name: the client first when a SYN/ACK
 * tells who it is, else the sender of that frame. */
static flow_stream *
stream_create(split_session *s, fs_transport t, guint32 index, const address *src, guint16 sport,
              const address *dst, guint16 dport, guint16 tcp_flags)
{
    flow_stream *st;
    gboolean syn_ack = (tcp_flags & TH_SYN) && (tcp_flags & TH_ACK);
    const char *prefix = options_transport_name(t);
    guint32 b = index / INTAKE_STREAMS_PER_BLOCK;

    if (b >= s->blocks[t]->len)
        g_ptr_array_set_size(s->blocks[t], b + 1);
    if (g_ptr_array_index(s->blocks[t], b) == NULL)
        g_ptr_array_index(s->blocks[t], b) = g_new0(flow_stream, INTAKE_STREAMS_PER_BLOCK);
    st = stream_slot(s, t, index);
    stream_facts_init(&st->facts, src, sport, dst, dport);
    st->transport = t;
    st->index = index;
    st->created = TRUE;
    st->selected = s->list == NULL || stream_list_contains(s->list, index);
    if (s->opts.files && st->selected) {
        char *name = syn_ack ? stream_file_name(prefix, index, dst, dport, src, sport)
                             : stream_file_name(prefix, index, src, sport, dst, dport);
        st->file = writer_cache_add(s->wc, name);
    }
    if (index >= s->n_slots[t])
        s->n_slots[t] = index + 1;
    if (st->selected)
        s->n_streams++;
    return st;
}

static gboolean
transport_split(const split_session *s, fs_transport t)
{
    return (s->opts.transports & FS_TRANSPORT_BIT(t)) != 0;
}

/* What a TCP or UDP layer of the frame says: its stream, and from which
 * end it comes. */
static void
add_layer(split_session *s, packet_info *pinfo, fs_transport t, guint32 index, const address *src, guint16 sport,
          const address *dst, guint16 dport, guint16 tcp_flags)
{
    flow_stream *st;
    transport_layer layer;

    if (!transport_split(s, t))
        return;
    st = stream_lookup(s, t, index);
    if (st == NULL)
        st = stream_create(s, t, index, src, sport, dst, dport, tcp_flags);
    /* The frame tap writes into this file soon: fetching its state into
     * the cache now overlaps the miss with the work in between. */
    if (st->file != NULL)
        writer_cache_prefetch(st->file);
    if (s->layers_frame != pinfo->num) {
        g_array_set_size(s->frame_layers, 0);
        s->layers_frame = pinfo->num;
    }
    layer.st = st;
    layer.from_a = stream_facts_from_a(&st->facts, src, sport);
    layer.flags = tcp_flags;
    g_array_append_val(s->frame_layers, layer);
}

static split_session *
session_of_tap_key(void *tapdata, fs_transport t)
{
    return (split_session *)((char *)tapdata - offsetof(split_session, tap_key) - t * sizeof(int));
}

/* tcp tap: what each TCP layer of the frame says. */
static tap_packet_status
intake_tcp_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                  tap_flags_t flags _U_)
{
    split_session *s = session_of_tap_key(tapdata, FS_TRANSPORT_TCP);
    const struct tcpheader *th = data;

    add_layer(s, pinfo, FS_TRANSPORT_TCP, th->th_stream, &th->ip_src, th->th_sport, &th->ip_dst, th->th_dport,
              th->th_flags);
    return TAP_PACKET_DONT_REDRAW;
}

/* udp tap: the same for each UDP layer. */
static tap_packet_status
intake_udp_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                  tap_flags_t flags _U_)
{
    split_session *s = session_of_tap_key(tapdata, FS_TRANSPORT_UDP);
    const e_udphdr *uh = data;

    add_layer(s, pinfo, FS_TRANSPORT_UDP, uh->uh_stream, &uh->ip_src, uh->uh_sport, &uh->ip_dst, uh->uh_dport, 0);
    return TAP_PACKET_DONT_REDRAW;
}

/* dccp tap: the same for each DCCP layer. */
static tap_packet_status
intake_dccp_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                   tap_flags_t flags _U_)
{
    split_session *s = session_of_tap_key(tapdata, FS_TRANSPORT_DCCP);
    const e_dccphdr *dh = data;

    add_layer(s, pinfo, FS_TRANSPORT_DCCP, dh->stream, &dh->ip_src, dh->sport, &dh->ip_dst, dh->dport, 0);
    return TAP_PACKET_DONT_REDRAW;
}

static const tap_packet_cb transport_taps[FS_TRANSPORT_COUNT] = {
    intake_tcp_packet, intake_udp_packet, intake_dccp_packet
};

/* The frame as the writer needs it, valid while the frame is dissected. */
static void
frame_record_of(frame_record *fr, packet_info *pinfo, epan_dissect_t *edt)
{
    fr->num = pinfo->num;
    fr->rec = pinfo->rec;
    /* The record's bytes as wiretap read them, all caplen of them: the
     * frame's tvb may be shorter when caplen exceeds the frame length (a
     * broken capture), and asking it for caplen bytes would throw outside
     * any dissector. Length -1 never throws; the buffer behind it holds
     * the whole record, which is what tshark -w writes too. */
    fr->data = tvb_get_ptr(edt->tvb, 0, -1);
    fr->block = (current_block_num == pinfo->num) ? current_block : NULL;
    fr->if_name = (pinfo->rec->presence_flags & WTAP_HAS_INTERFACE_ID)
                      ? fs_interface_name(pinfo->epan, pinfo->rec->rec_header.packet_header.interface_id,
                                          pinfo->rec->section_number)
                      : NULL;
}

static void
add_dependent(guint32 num, void *user_data)
{
    g_array_append_val((GArray *)user_data, num);
}

/* An IPv4 fragment that completed a datagram and was not seen by the frame
 * tap carries no TCP: the fragments it was built from belong to no stream. */
static void
settle_completing_fragment(split_session *s, guint32 current)
{
    if (s->ip_completing_frame == 0 || s->ip_completing_frame == current)
        return;
    for (guint i = 0; i < s->ip_completing_deps->len; i++)
        frame_queue_claim(s->fq, g_array_index(s->ip_completing_deps, guint32, i), NULL, 0);
    s->ip_completing_frame = 0;
}

/* ip tap: runs for every IPv4 header (ICMP quotes, error packets, aside),
 * after the whole frame is dissected and before the frame tap. An IPv4
 * fragment is held here, whatever it carries; when the frame tap then sees
 * the same frame with a TCP stream, it takes it back. */
static tap_packet_status
intake_ip_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt, const void *data, tap_flags_t flags _U_)
{
    split_session *s = (split_session *)((char *)tapdata - offsetof(split_session, ip_key));
    const ws_ip4 *iph = WS_IP4_PTR(data);
    frame_record fr;

    settle_completing_fragment(s, pinfo->num);
    if (s->failed || !s->opts.files || iph == NULL || !(iph->ip_off & (INTAKE_IP_MF | INTAKE_IP_OFFSET))
        || s->ip_held_frame == pinfo->num || s->ip_completing_frame == pinfo->num
        || pinfo->rec == NULL || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return TAP_PACKET_DONT_REDRAW;
    if (fs_has_dependent_frames(pinfo)) {
        s->ip_completing_frame = pinfo->num;
        g_array_set_size(s->ip_completing_deps, 0);
        fs_foreach_dependent_frame(pinfo, add_dependent, s->ip_completing_deps);
        return TAP_PACKET_DONT_REDRAW;
    }
    frame_record_of(&fr, pinfo, edt);
    frame_queue_hold_fragment(s->fq, &fr);
    s->ip_held_frame = pinfo->num;
    return TAP_PACKET_DONT_REDRAW;
}

/* An IPv6 fragment header that is not an atomic fragment. */
static gboolean
has_ipv6_fragment(split_session *s, epan_dissect_t *edt)
{
    GPtrArray *offsets = proto_get_finfo_ptr_array(edt->tree, s->hf[HF_IPV6_FRAG_OFFSET]);
    GPtrArray *more = proto_get_finfo_ptr_array(edt->tree, s->hf[HF_IPV6_FRAG_MORE]);

    for (guint i = 0; offsets != NULL && i < offsets->len; i++) {
        if (fvalue_get_uinteger(fs_field_value(g_ptr_array_index(offsets, i))) != 0)
            return TRUE;
    }
    for (guint i = 0; more != NULL && i < more->len; i++) {
        if (fvalue_get_uinteger64(fs_field_value(g_ptr_array_index(more, i))) != 0)    /* FT_BOOLEAN */
            return TRUE;
    }
    return FALSE;
}

/* The flags of a TCP layer, from its header: byte 13 of the data its
 * protocol item covers. -1 when the header is cut short. */
static int
tcp_layer_flags(field_info *fi)
{
    if (fi->ds_tvb == NULL || fi->length < 14 || tvb_captured_length_remaining(fi->ds_tvb, fi->start) < 14)
        return -1;
    return *tvb_get_ptr(fi->ds_tvb, fi->start + 13, 1);   /* one name in 4.0 and 4.6 */
}

static gboolean
write_frame(const frame_record *fr, const guint32 *streams, guint n_streams, void *user_data)
{
    split_session *s = user_data;

    for (guint i = 0; i < n_streams; i++) {
        flow_stream *st = stream_by_id(s, streams[i]);
        if (st->file != NULL && !writer_cache_write(s->wc, st->file, fr))
            return FALSE;
    }
    return TRUE;
}

/* The direction of stream's frame: from its TCP or UDP layer as the tap
 * saw it, else (a bad header length) from the frame's own addresses. */
static gboolean
frame_from_a(split_session *s, packet_info *pinfo, const flow_stream *st)
{
    if (s->layers_frame == pinfo->num) {
        for (guint i = 0; i < s->frame_layers->len; i++) {
            const transport_layer *l = &g_array_index(s->frame_layers, transport_layer, i);
            if (l->st == st)
                return l->from_a;
        }
    }
    return stream_facts_from_a(&st->facts, &pinfo->src, (guint16)pinfo->srcport);
}

static void
stream_add_flags(split_session *s, flow_stream *st, gboolean from_a, guint16 flags)
{
    if (stream_facts_add_flags(&st->facts, from_a, flags) && st->file != NULL) {
        ws_debug("tcp stream %u ended", st->index);
        writer_cache_stream_ended(s->wc, st->file);
    }
}

/* Adds st to the frame's streams once, counting the frame for it once. */
static void
frame_add_stream(split_session *s, packet_info *pinfo, flow_stream *st, gboolean from_a)
{
    guint32 id = stream_id(st->transport, st->index);

    for (guint i = 0; i < s->frame_streams->len; i++) {
        if (g_array_index(s->frame_streams, guint32, i) == id)
            return;
    }
    g_array_append_val(s->frame_streams, id);
    stream_facts_add_frame(&st->facts, from_a, pinfo->num, pinfo->fd->pkt_len, &pinfo->abs_ts);
}

/* The distinct streams of transport t in the frame, in tree order; each
 * stream counts the frame once. The TCP flags come from the tree too (each
 * TCP layer's header, where every layer has its stream; a short segment
 * throws before the tcp tap but after its stream), else from the tcp tap. */
static void
collect_transport(split_session *s, packet_info *pinfo, epan_dissect_t *edt, fs_transport t)
{
    gboolean tcp = t == FS_TRANSPORT_TCP;
    GPtrArray *fields = proto_get_finfo_ptr_array(edt->tree, s->hf_stream[t]);
    GPtrArray *layers = tcp ? proto_get_finfo_ptr_array(edt->tree, s->hf[HF_TCP]) : NULL;
    gboolean tree_flags = fields != NULL && layers != NULL && layers->len == fields->len;

    for (guint i = 0; fields != NULL && i < fields->len; i++) {
        guint32 index = fvalue_get_uinteger(fs_field_value(g_ptr_array_index(fields, i)));
        flow_stream *st = stream_lookup(s, t, index);
        gboolean from_a;
        int flags;

        /* A header with a bad length gets a stream but no tap call. */
        if (st == NULL)
            st = stream_create(s, t, index, &pinfo->src, (guint16)pinfo->srcport, &pinfo->dst,
                               (guint16)pinfo->destport, 0);
        from_a = frame_from_a(s, pinfo, st);
        frame_add_stream(s, pinfo, st, from_a);
        if (tree_flags && (flags = tcp_layer_flags(g_ptr_array_index(layers, i))) >= 0)
            stream_add_flags(s, st, from_a, (guint16)flags);
    }
    if (tcp && !tree_flags && s->layers_frame == pinfo->num) {
        for (guint i = 0; i < s->frame_layers->len; i++) {
            const transport_layer *l = &g_array_index(s->frame_layers, transport_layer, i);
            if (l->st->transport == FS_TRANSPORT_TCP)
                stream_add_flags(s, l->st, l->from_a, l->flags);
        }
    }
}

/* The frame's streams of every transport split, in collect_order. */
static void
collect_streams(split_session *s, packet_info *pinfo, epan_dissect_t *edt)
{
    g_array_set_size(s->frame_streams, 0);
    for (int i = 0; i < FS_TRANSPORT_COUNT; i++) {
        if (transport_split(s, collect_order[i]))
            collect_transport(s, pinfo, edt, collect_order[i]);
    }
}

/* The string values of field hf in the frame, in tree order. */
static GPtrArray *
field_strings(split_session *s, epan_dissect_t *edt, int hf)
{
    GPtrArray *fields = proto_get_finfo_ptr_array(edt->tree, s->hf[hf]);
    GPtrArray *values = g_ptr_array_new();

    for (guint i = 0; fields != NULL && i < fields->len; i++) {
        const char *v = fvalue_get_string(fs_field_value(g_ptr_array_index(fields, i)));
        if (v != NULL)
            g_ptr_array_add(values, (gpointer)v);
    }
    return values;
}

/* The stream a ClientHello in the frame belongs to: the innermost TCP
 * stream when the frame has one (the last TCP stream: TLS in TCP, also
 * tunnelled in UDP), else the innermost UDP stream (QUIC carries its
 * ClientHello in TLS's fields), else DCCP's. NULL when that transport is
 * not split. The second dissection primes the stream fields of every
 * transport, so the owner does not depend on proto=. */
static flow_stream *
tls_stream(split_session *s, epan_dissect_t *edt)
{
    fs_transport owner = FS_TRANSPORT_COUNT;

    for (int i = 0; i < FS_TRANSPORT_COUNT && owner == FS_TRANSPORT_COUNT; i++) {
        GPtrArray *fields = proto_get_finfo_ptr_array(edt->tree, s->hf_stream[tls_owner_order[i]]);
        if (fields != NULL && fields->len > 0)
            owner = tls_owner_order[i];
    }

    for (guint i = s->frame_streams->len; i > 0; i--) {
        flow_stream *st = stream_by_id(s, g_array_index(s->frame_streams, guint32, i - 1));
        if (st->transport == owner)
            return st;
    }
    return NULL;
}

/* The first ClientHello of a stream: its SNI, ALPN list and JA3. */
static void
collect_tls(split_session *s, epan_dissect_t *edt)
{
    GPtrArray *types = proto_get_finfo_ptr_array(edt->tree, s->hf[HF_TLS_TYPE]);
    gboolean client_hello = FALSE;
    flow_stream *st;
    GPtrArray *sni, *alpn, *ja3;

    for (guint i = 0; types != NULL && i < types->len && !client_hello; i++)
        client_hello = fvalue_get_uinteger(fs_field_value(g_ptr_array_index(types, i))) == 1;
    if (!client_hello || s->frame_streams->len == 0)
        return;
    st = tls_stream(s, edt);
    if (st == NULL || st->facts.tls_seen)
        return;
    sni = field_strings(s, edt, HF_TLS_SNI);
    alpn = field_strings(s, edt, HF_TLS_ALPN);
    ja3 = field_strings(s, edt, HF_TLS_JA3);
    stream_facts_set_tls(&st->facts, sni->len ? g_ptr_array_index(sni, 0) : NULL,
                         (const char *const *)alpn->pdata, alpn->len, ja3->len ? g_ptr_array_index(ja3, 0) : NULL);
    g_ptr_array_free(sni, TRUE);
    g_ptr_array_free(alpn, TRUE);
    g_ptr_array_free(ja3, TRUE);
}

typedef struct {
    split_session *s;
    guint32 self;
    gboolean any;
} claim_ctx;

static void
claim_dependent(guint32 num, void *user_data)
{
    claim_ctx *c = user_data;

    if (num == c->self)
        return;
    c->any = TRUE;
    frame_queue_claim(c->s->fq, num, (const guint32 *)(void *)c->s->frame_streams->data, c->s->frame_streams->len);
}

static void
show_progress(split_session *s, gboolean last)
{
    writer_cache_stats st;
    gint64 now;

    if (!s->progress_tty)
        return;
    now = g_get_monotonic_time();
    if (!last && now - s->progress_at < G_USEC_PER_SEC)
        return;
    if (s->progress_at == 0 && !last) {     /* first call: start the clock */
        s->progress_at = now;
        return;
    }
    s->progress_at = now;
    if (last) {
        if (s->progress_shown)
            fputs("\r\033[K", stderr);
        return;
    }
    writer_cache_get_stats(s->wc, &st);
    fprintf(stderr, "\rflowsplit: %" G_GUINT64_FORMAT " frames read, %u streams, %.1f MB written\033[K",
            s->frames_seen, s->n_streams, st.bytes / 1e6);
    s->progress_shown = TRUE;
}

/* Whether the taps told all of the frame: a call for every layer of each
 * transport split (a header cut short, one with a bad length, or a quote
 * too short for its stream has a layer and no call), no IPv6 fragment
 * header (the tree tells an atomic one from a fragment), and with the
 * index no TLS layer on a stream still waiting for its ClientHello (a
 * ClientHello's fields are in a TLS layer; which stream owns it is
 * tls_stream's to say, from the tree). */
static gboolean
taps_cover_frame(split_session *s, packet_info *pinfo)
{
    guint layers[FS_TRANSPORT_COUNT] = { 0 }, tapped[FS_TRANSPORT_COUNT] = { 0 };
    gboolean tls = FALSE;

    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f != NULL; f = wmem_list_frame_next(f)) {
        int proto = GPOINTER_TO_INT(wmem_list_frame_data(f));

        if (proto == s->proto_ipv6_fraghdr)
            return FALSE;
        if (proto == s->proto_tls)
            tls = TRUE;
        for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
            if (proto == s->proto_transport[t])
                layers[t]++;
        }
    }
    if (s->layers_frame == pinfo->num) {
        for (guint i = 0; i < s->frame_layers->len; i++) {
            const transport_layer *l = &g_array_index(s->frame_layers, transport_layer, i);

            tapped[l->st->transport]++;
            if (tls && s->opts.index && !l->st->facts.tls_seen)
                return FALSE;
        }
    }
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        if (transport_split(s, t) && layers[t] != tapped[t])
            return FALSE;
    }
    return TRUE;
}

/* The frame's streams as its taps gave them, in collect_order; each stream
 * counts the frame once, in the direction of its first layer. */
static void
collect_tapped(split_session *s, packet_info *pinfo)
{
    g_array_set_size(s->frame_streams, 0);
    if (s->layers_frame != pinfo->num)
        return;
    for (int i = 0; i < FS_TRANSPORT_COUNT; i++) {
        for (guint j = 0; j < s->frame_layers->len; j++) {
            const transport_layer *l = &g_array_index(s->frame_layers, transport_layer, j);
            flow_stream *st;

            if (l->st->transport != collect_order[i])
                continue;
            st = l->st;
            frame_add_stream(s, pinfo, st, l->from_a);
            if (l->st->transport == FS_TRANSPORT_TCP)
                stream_add_flags(s, st, l->from_a, l->flags);
        }
    }
}

/* The frame's streams, into frame_streams, and with the index its
 * ClientHello. FALSE when the frame goes nowhere: no stream and no IPv6
 * fragment. */
static gboolean
collect_frame(split_session *s, packet_info *pinfo, epan_dissect_t *edt)
{
    epan_dissect_t *redo;
    gboolean keep;

    if (taps_cover_frame(s, pinfo)) {
        collect_tapped(s, pinfo);
        return s->frame_streams->len > 0;
    }
    redissecting = TRUE;
    redo = frame_redissect(pinfo, edt, current_block_num == pinfo->num ? current_block : NULL, s->hf_prime,
                           s->n_prime);
    redissecting = FALSE;
    s->frames_redissected++;
    collect_streams(s, pinfo, redo);
    keep = s->frame_streams->len > 0 || has_ipv6_fragment(s, redo);
    if (keep && s->opts.index)
        collect_tls(s, redo);
    epan_dissect_free(redo);
    return keep;
}

/* frame tap: every frame. */
static tap_packet_status
intake_frame_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt, const void *data _U_,
                    tap_flags_t flags _U_)
{
    split_session *s = tapdata;
    frame_record fr;
    claim_ctx claim = { s, pinfo->num, FALSE };
    gboolean ok;

    if (s->finished) {
        /* A listener left registered after its split: never write again. */
        if (!s->late_frame_logged)
            ws_warning("flowsplit: frame %u reached a split that has ended; ignored", pinfo->num);
        s->late_frame_logged = TRUE;
        return TAP_PACKET_DONT_REDRAW;
    }
    if (s->failed || pinfo->rec == NULL || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return TAP_PACKET_DONT_REDRAW;
    s->frames_seen = pinfo->num;    /* frames read so far */
    capture_meta_follow(s->meta, fs_capture_wtap(pinfo->epan));
    show_progress(s, FALSE);
    settle_completing_fragment(s, pinfo->num);
    if (!collect_frame(s, pinfo, edt))
        return TAP_PACKET_DONT_REDRAW;      /* TCP without a stream (cut short), or an atomic IPv6 fragment */
    if (!s->opts.files)
        return TAP_PACKET_DONT_REDRAW;
    if (s->frame_streams->len > 0) {
        /* An IPv4 fragment the ip tap held carries TCP itself. */
        frame_queue_unhold_last(s->fq, pinfo->num);
        if (s->ip_completing_frame == pinfo->num)
            s->ip_completing_frame = 0;
    }
    frame_record_of(&fr, pinfo, edt);

    fs_foreach_dependent_frame(pinfo, claim_dependent, &claim);
    if (s->frame_streams->len > 0)
        ok = frame_queue_push(s->fq, &fr, (const guint32 *)(void *)s->frame_streams->data, s->frame_streams->len);
    else if (!claim.any)
        ok = frame_queue_hold_fragment(s->fq, &fr);
    else
        ok = TRUE;      /* completes a datagram that carries no TCP */
    ok = ok && frame_queue_flush(s->fq, pinfo->num);
    if (!ok) {
        s->failed = TRUE;
        return TAP_PACKET_FAILED;
    }
    return TAP_PACKET_DONT_REDRAW;
}

static void
intake_reset(void *tapdata _U_)
{
    /* tshark calls reset after the last frame, before finish: nothing to do. */
}

static void
intake_frame_finish(void *tapdata)
{
    split_session *s = tapdata;

    intake_finish(s);
    if (s->done != NULL)
        s->done(s, s->done_data);
}

static void
remove_transport_taps(split_session *s)
{
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        if (s->tap_registered[t])
            remove_tap_listener(&s->tap_key[t]);
        s->tap_registered[t] = FALSE;
    }
}

/* The tap of each transport split, unfiltered, error packets included (a
 * header quoted in ICMP). */
static gboolean
register_transport_taps(split_session *s, char **error)
{
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        GString *err;

        if (!transport_split(s, t))
            continue;
        err = register_tap_listener(options_transport_name(t), &s->tap_key[t], NULL,
                                    TL_REQUIRES_NOTHING | TL_REQUIRES_ERROR_PACKETS, NULL, transport_taps[t], NULL,
                                    NULL);
        if (err != NULL) {
            *error = g_strdup_printf("flowsplit: cannot listen to %s: %s", options_transport_name(t), err->str);
            g_string_free(err, TRUE);
            remove_transport_taps(s);
            return FALSE;
        }
        s->tap_registered[t] = TRUE;
    }
    return TRUE;
}

gboolean
intake_register(split_session *s, char **error)
{
    GString *err;

    for (int i = 0; i < HF_COUNT; i++) {
        s->hf[i] = proto_registrar_get_id_byname(intake_fields[i]);
        if (s->hf[i] < 0) {
            *error = g_strdup_printf("flowsplit: this Wireshark has no %s field", intake_fields[i]);
            return FALSE;
        }
        s->hf_prime[s->n_prime++] = s->hf[i];
    }
    /* Every transport's stream field is primed, split or not: the owner of
     * a ClientHello depends on them (tls_stream). */
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        const char *field = options_transport_stream_field(t);

        s->hf_stream[t] = proto_registrar_get_id_byname(field);
        s->proto_transport[t] = proto_get_id_by_filter_name(options_transport_name(t));
        if (s->hf_stream[t] < 0 || s->proto_transport[t] < 0) {
            *error = g_strdup_printf("flowsplit: this Wireshark has no %s field", field);
            return FALSE;
        }
        s->hf_prime[s->n_prime++] = s->hf_stream[t];
    }
    s->proto_ipv6_fraghdr = proto_get_id_by_filter_name("ipv6.fraghdr");
    s->proto_tls = proto_get_id_by_filter_name("tls");
    if (s->proto_ipv6_fraghdr < 0 || s->proto_tls < 0) {
        *error = g_strdup("flowsplit: this Wireshark has no ipv6.fraghdr or tls protocol");
        return FALSE;
    }
    s->fq = frame_queue_new(write_frame, s);
    if (!register_transport_taps(s, error))
        return FALSE;
    err = register_tap_listener("ip", &s->ip_key, NULL, TL_REQUIRES_NOTHING, NULL, intake_ip_packet, NULL, NULL);
    if (err != NULL) {
        *error = g_strdup_printf("flowsplit: cannot listen to IP: %s", err->str);
        g_string_free(err, TRUE);
        remove_transport_taps(s);
        return FALSE;
    }
    /* No filter and no tree: see the top. */
    err = register_tap_listener("frame", s, NULL, TL_REQUIRES_NOTHING, intake_reset, intake_frame_packet, NULL,
                                intake_frame_finish);
    if (err != NULL) {
        *error = g_strdup_printf("flowsplit: cannot listen to frames: %s", err->str);
        g_string_free(err, TRUE);
        remove_transport_taps(s);
        remove_tap_listener(&s->ip_key);
        return FALSE;
    }
    s->registered = TRUE;
    return TRUE;
}

/* Row `position` of the index: the TCP streams by index, then the UDP ones. */
static gboolean
index_row(guint32 position, stream_index_row *row, void *user_data)
{
    split_session *s = user_data;
    flow_stream *st = NULL;

    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        if (position < s->n_slots[t]) {
            st = stream_lookup(s, t, position);
            break;
        }
        position -= s->n_slots[t];
    }
    if (st == NULL || !st->selected)
        return FALSE;
    row->transport = options_transport_name(st->transport);
    row->stream = st->index;
    row->facts = &st->facts;
    row->file_name = st->file ? stream_file_name_of(st->file) : NULL;
    return TRUE;
}

static guint32
index_positions(const split_session *s)
{
    guint32 n = 0;

    for (int t = 0; t < FS_TRANSPORT_COUNT; t++)
        n += s->n_slots[t];
    return n;
}

/* select=: the streams none of whose frames matched leave no file and no
 * row. Their files were written like the others (a stream's match may come
 * with its last frame) and are removed now. */
static void
drop_unmatched(split_session *s)
{
    int t = 0;
    guint32 index = 0;
    flow_stream *st;

    while ((st = stream_next(s, &t, &index)) != NULL) {
        if (!st->selected || stream_select_matched(s->select, st->transport, st->index))
            continue;
        st->selected = FALSE;
        s->n_streams--;
        if (st->file != NULL && !writer_cache_remove(s->wc, st->file))
            return;
    }
}

gboolean
intake_finish(split_session *s)
{
    if (s->finished)
        return !s->failed && writer_cache_error(s->wc) == NULL;
    s->finished = TRUE;
    ws_info("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " frames dissected again, with a tree",
            s->frames_redissected, s->frames_seen);
    if (s->fq != NULL) {
        settle_completing_fragment(s, 0);
        if (!frame_queue_finish(s->fq))
            s->failed = TRUE;
    }
    if (!writer_cache_close_all(s->wc))
        s->failed = TRUE;
    if (!s->failed && s->select != NULL)
        drop_unmatched(s);
    if (writer_cache_error(s->wc) != NULL)
        s->failed = TRUE;
    if (!s->failed && s->opts.index) {
        if (!stream_index_write(s->dir_fd, s->opts.out_dir, index_positions(s), index_row, s, &s->index_error))
            s->failed = TRUE;
    }
    show_progress(s, TRUE);
    if (current_block != NULL) {
        wtap_block_unref(current_block);
        current_block = NULL;
    }
    return !s->failed;
}

/* Live capture: streams.csv anew, every INTAKE_INDEX_EVERY_USEC while
 * frames come in. Every frame it counts is written to its file first, so
 * the files hold at least what it lists; not while a frame is held behind
 * an IP fragment (counted, not yet written): the next tick tries again. */
static gboolean
rewrite_index(split_session *s, gint64 now)
{
    if (!s->opts.index || s->frames_seen == s->index_frames || now - s->index_at < INTAKE_INDEX_EVERY_USEC)
        return TRUE;
    if (s->fq != NULL && frame_queue_holds(s->fq))
        return TRUE;
    if (!writer_cache_flush(s->wc))
        return FALSE;
    if (!stream_index_write(s->dir_fd, s->opts.out_dir, index_positions(s), index_row, s, &s->index_error))
        return FALSE;
    s->index_at = now;
    s->index_frames = s->frames_seen;
    return TRUE;
}

gboolean
intake_tick(split_session *s)
{
    gint64 now = g_get_monotonic_time();

    if (s->finished || s->failed)
        return !s->failed;
    if (s->fq != NULL && !frame_queue_expire(s->fq, now, INTAKE_FRAGMENT_HOLD_USEC))
        s->failed = TRUE;
    else if (!writer_cache_tick(s->wc, now, INTAKE_LINGER_USEC, (gint64)s->opts.idle * G_USEC_PER_SEC,
                                INTAKE_MAX_WAIT_USEC))
        s->failed = TRUE;
    else if (!rewrite_index(s, now))
        s->failed = TRUE;
    return !s->failed;
}

void
intake_set_done_callback(split_session *s, intake_done_fn done, void *user_data)
{
    s->done = done;
    s->done_data = user_data;
}

const char *
intake_error(const split_session *s)
{
    return s->index_error ? s->index_error : writer_cache_error(s->wc);
}

char *
intake_summary(const split_session *s)
{
    writer_cache_stats st;
    GString *line = g_string_new(NULL);
    guint64 dropped = s->fq ? frame_queue_fragments_dropped(s->fq) : 0;

    writer_cache_get_stats(s->wc, &st);
    if (s->failed) {
        g_string_printf(line, "flowsplit: split incomplete: %u streams, %" G_GUINT64_FORMAT " frames read; "
                        "the %" G_GUINT64_FORMAT " files in %s hold their frames up to the last complete one",
                        s->n_streams, s->frames_seen, st.files, s->opts.out_dir);
        if (st.removed > 0)
            g_string_append_printf(line, " (%" G_GUINT64_FORMAT " empty files removed)", st.removed);
        return g_string_free(line, FALSE);
    }
    g_string_printf(line, "flowsplit: %u streams, %" G_GUINT64_FORMAT " frames written to %" G_GUINT64_FORMAT
                    " files in %s (%.1f MB), %" G_GUINT64_FORMAT " reopens after eviction, at most %u files open (max_open=%u)",
                    s->n_streams, st.frames, st.files, s->opts.out_dir, st.bytes / 1e6, st.reopens,
                    st.open_most, writer_cache_max_open(s->wc));
    if (st.converted > 0)
        g_string_append_printf(line, ", %" G_GUINT64_FORMAT " files written as pcapng (pcap could not hold their frames)",
                               st.converted);
    if (dropped > 0)
        g_string_append_printf(line, ", %" G_GUINT64_FORMAT " IP fragment%s of no complete datagram skipped", dropped,
                               dropped == 1 ? "" : "s");
    if (capture_meta_secrets(s->meta)->len > 0 && writer_cache_pcap_files(s->wc) > 0)
        g_string_append(line, "; the capture's decryption secrets are not in the pcap files (pcap cannot hold them; "
                              "format=pcapng keeps them)");
    return g_string_free(line, FALSE);
}

void
intake_session_free(split_session *s)
{
    int t = 0;
    guint32 index = 0;
    flow_stream *st;

    if (s == NULL)
        return;
    if (s->registered) {
        remove_transport_taps(s);
        remove_tap_listener(&s->ip_key);
        remove_tap_listener(s);
    }
    intake_finish(s);
    if (s->select != NULL)
        stream_select_free(s->select);
    stream_list_free(s->list);
    writer_cache_free(s->wc);
    capture_meta_free(s->meta);
    frame_queue_free(s->fq);
    while ((st = stream_next(s, &t, &index)) != NULL)
        stream_facts_clear(&st->facts);
    for (t = 0; t < FS_TRANSPORT_COUNT; t++)
        g_ptr_array_free(s->blocks[t], TRUE);
    g_array_free(s->frame_streams, TRUE);
    g_array_free(s->frame_layers, TRUE);
    g_array_free(s->ip_completing_deps, TRUE);
    g_free(s->index_error);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    options_clear(&s->opts);
    g_free(s);
}
