/* intake_decide.c
 * Which streams the current frame belongs to, exactly as Wireshark numbers
 * streams: every frame whose dissection carries tcp.stream == N (any TCP
 * layer of it) belongs to stream N, as `tshark -2 -Y "tcp.stream eq N" -w`
 * writes it; udp.stream and dccp.stream the same with proto=.
 *
 * Most frames are told by their taps alone (intake_taps.c). The taps
 * cannot answer for every frame: the `tcp` tap never fires for a TCP
 * header with a bad length, or one cut short after its stream was found
 * (both return or throw first), nor tells an IPv6 fragment, nor carries
 * TLS fields. A frame whose layers (pinfo->layers) have a transport layer
 * without a tap call, an IPv6 fragment header, or, with the index, a TLS
 * layer on a stream still waiting for its ClientHello or ServerHello, is
 * dissected again with a tree and read from it (intake_tree.c). Such frames are rare (none
 * in most captures; the TLS frames of streams whose ClientHello or
 * ServerHello was not captured are the most of them).
 *
 * Each stream the frame belongs to counts it once, in s->frame_streams.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "intake_int.h"

#include <wsutil/wslog.h>

/* The order the frame's streams are collected in: the transports that ride
 * on others first, so that in the usual tunnels (TCP in VXLAN, in GRE over
 * UDP) the frame's last stream is the innermost. */
const fs_transport intake_collect_order[FS_TRANSPORT_COUNT] = {
    FS_TRANSPORT_UDP, FS_TRANSPORT_DCCP, FS_TRANSPORT_TCP
};

/* The direction of stream's frame: from its transport layer as the tap
 * saw it, else (a bad header length) from the frame's own addresses. */
gboolean
intake_frame_from_a(split_session *s, packet_info *pinfo, const flow_stream *st)
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

/* A TCP stream that has ended hints the writer cache to evict its file
 * first; not with group=, where the file is its group's, which other
 * streams may still write to (evicting it would only cost reopens). */
void
intake_stream_add_flags(split_session *s, flow_stream *st, gboolean from_a, guint16 flags)
{
    if (stream_facts_add_flags(&st->facts, from_a, flags) && st->file != NULL && s->groups == NULL) {
        ws_debug("tcp stream %u ended", st->index);
        writer_cache_stream_ended(s->wc, st->file);
    }
}

/* Adds st to the frame's streams once, counting the frame for it once. */
void
intake_frame_add_stream(split_session *s, packet_info *pinfo, flow_stream *st, gboolean from_a)
{
    guint32 id = flow_stream_id(st->transport, st->index);

    for (guint i = 0; i < s->frame_streams->len; i++) {
        if (g_array_index(s->frame_streams, guint32, i) == id)
            return;
    }
    g_array_append_val(s->frame_streams, id);
    stream_facts_add_frame(&st->facts, from_a, pinfo->num, pinfo->fd->pkt_len, &pinfo->abs_ts);
}

/* The layers of each transport in the frame (pinfo->layers), and whether
 * it has an IPv6 fragment header or a TLS layer. */
static void
count_layers(const split_session *s, packet_info *pinfo, guint layers[FS_TRANSPORT_COUNT], gboolean *ipv6_frag,
             gboolean *tls)
{
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f != NULL; f = wmem_list_frame_next(f)) {
        int proto = GPOINTER_TO_INT(wmem_list_frame_data(f));

        if (proto == s->proto_ipv6_fraghdr)
            *ipv6_frag = TRUE;
        if (proto == s->proto_tls)
            *tls = TRUE;
        for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
            if (proto == s->proto_transport[t])
                layers[t]++;
        }
    }
}

/* Whether the taps told all of the frame: a call for every layer of each
 * transport split (a header cut short, one with a bad length, or a quote
 * too short for its stream has a layer and no call), no IPv6 fragment
 * header (the tree tells an atomic one from a fragment), and with the
 * index no TLS layer on a stream still waiting for its ClientHello or
 * ServerHello (their fields are in a TLS layer; which stream owns it is
 * intake_tree.c's to say, from the tree). Once a stream has both, its TLS
 * frames are told by the taps again. */
static gboolean
taps_cover_frame(split_session *s, packet_info *pinfo)
{
    guint layers[FS_TRANSPORT_COUNT] = { 0 }, tapped[FS_TRANSPORT_COUNT] = { 0 };
    gboolean ipv6_frag = FALSE, tls = FALSE;

    count_layers(s, pinfo, layers, &ipv6_frag, &tls);
    if (ipv6_frag)
        return FALSE;
    if (s->layers_frame == pinfo->num) {
        for (guint i = 0; i < s->frame_layers->len; i++) {
            const transport_layer *l = &g_array_index(s->frame_layers, transport_layer, i);

            tapped[l->st->transport]++;
            if (tls && intake_waits_for_hello(s, l->st))
                return FALSE;
        }
    }
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        if (intake_transport_split(s, t) && layers[t] != tapped[t])
            return FALSE;
    }
    return TRUE;
}

/* The frame's streams as its taps gave them, in collect order; each stream
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

            if (l->st->transport != intake_collect_order[i])
                continue;
            intake_frame_add_stream(s, pinfo, l->st, l->from_a);
            if (l->st->transport == FS_TRANSPORT_TCP)
                intake_stream_add_flags(s, l->st, l->from_a, l->flags);
        }
    }
}

/* The frame's streams, into frame_streams, and with the index its
 * ClientHello. FALSE when the frame goes nowhere: no stream and no IPv6
 * fragment. */
gboolean
intake_collect_frame(split_session *s, packet_info *pinfo, epan_dissect_t *edt)
{
    if (taps_cover_frame(s, pinfo)) {
        collect_tapped(s, pinfo);
        return s->frame_streams->len > 0;
    }
    return intake_tree_collect(s, pinfo, edt);
}
