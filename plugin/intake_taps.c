/* intake_taps.c
 * The split's tap listeners, and what each tells of a frame.
 *
 * Unfiltered listeners on the `tcp`, `udp` and `dccp` taps (error packets
 * included, so a header quoted in ICMP too) give each transport layer's
 * stream, flags and endpoints: those of the IP layer that carries it, the
 * inner one in a tunnel. They fire before the `frame` tap for the same
 * frame, whose listener then decides where the frame goes
 * (intake_decide.c) and hands it on (intake_pass_frame). An unfiltered
 * `ip` tap holds IPv4 fragments until a frame claims them. No listener has
 * a filter, so tshark builds no protocol tree, which would cost a fifth of
 * the dissection.
 *
 * Wireshark gives a listener one pointer of ours: the frame listener gets
 * the session, each other listener the address of its key inside it, from
 * which the session is found (a transport's key holds its transport).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "intake_int.h"

#include <epan/tap.h>
#include <epan/dissectors/packet-ip.h>
#include <epan/dissectors/packet-dccp.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/dissectors/packet-udp.h>
#include <wsutil/wslog.h>

#include "frame_block.h"
#include "ws_compat.h"

/* ws_ip4.ip_off: more fragments, and the fragment offset. */
#define INTAKE_IP_MF 0x2000
#define INTAKE_IP_OFFSET 0x1FFF

/* What a transport tap says of one layer. */
typedef struct {
    guint32 stream;
    const address *src, *dst;
    guint16 sport, dport;
    guint16 tcp_flags;      /* 0 for the others */
} tapped_layer;

static void
tcp_layer(const void *data, tapped_layer *l)
{
    const struct tcpheader *th = data;

    *l = (tapped_layer){ th->th_stream, &th->ip_src, &th->ip_dst, th->th_sport, th->th_dport, th->th_flags };
}

static void
udp_layer(const void *data, tapped_layer *l)
{
    const e_udphdr *uh = data;

    *l = (tapped_layer){ uh->uh_stream, &uh->ip_src, &uh->ip_dst, uh->uh_sport, uh->uh_dport, 0 };
}

static void
dccp_layer(const void *data, tapped_layer *l)
{
    const e_dccphdr *dh = data;

    *l = (tapped_layer){ dh->stream, &dh->ip_src, &dh->ip_dst, dh->sport, dh->dport, 0 };
}

/* How each transport's tap data is read, by fs_transport. */
static void (*const layer_readers[FS_TRANSPORT_COUNT])(const void *data, tapped_layer *l) = {
    tcp_layer, udp_layer, dccp_layer
};

/* What a transport layer of the frame says: its stream, and from which
 * end it comes. */
static void
add_layer(split_session *s, packet_info *pinfo, fs_transport t, const tapped_layer *tl)
{
    flow_stream *st;
    transport_layer layer;

    if (!intake_transport_split(s, t))
        return;
    st = flow_stream_lookup(s, t, tl->stream);
    if (st == NULL)
        st = flow_stream_create(s, t, tl->stream, tl->src, tl->sport, tl->dst, tl->dport, tl->tcp_flags);
    /* The frame tap writes into this file soon: fetching its state into
     * the cache now overlaps the miss with the work in between. */
    if (st->file != NULL)
        writer_cache_prefetch(st->file);
    if (s->layers_frame != pinfo->num) {
        g_array_set_size(s->frame_layers, 0);
        s->layers_frame = pinfo->num;
    }
    layer.st = st;
    layer.from_a = stream_facts_from_a(&st->facts, tl->src, tl->sport);
    layer.flags = tl->tcp_flags;
    g_array_append_val(s->frame_layers, layer);
}

/* tcp, udp and dccp taps: what each layer of the transport in the frame
 * says. tapdata is &s->tap_key[t], which holds t. */
static tap_packet_status
intake_transport_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_, const void *data,
                        tap_flags_t flags _U_)
{
    fs_transport t = (fs_transport)*(const int *)tapdata;
    split_session *s = (split_session *)((char *)tapdata - offsetof(split_session, tap_key) - t * sizeof(int));
    tapped_layer tl;

    layer_readers[t](data, &tl);
    add_layer(s, pinfo, t, &tl);
    return TAP_PACKET_DONT_REDRAW;
}

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
    fr->block = frame_block_of(pinfo);
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
 * tap carries no stream: the fragments it was built from belong to none. */
void
intake_settle_fragments(split_session *s, guint32 current)
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
 * the same frame with a stream, it takes it back. */
static tap_packet_status
intake_ip_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt, const void *data, tap_flags_t flags _U_)
{
    split_session *s = (split_session *)((char *)tapdata - offsetof(split_session, ip_key));
    const ws_ip4 *iph = WS_IP4_PTR(data);
    frame_record fr;

    intake_settle_fragments(s, pinfo->num);
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

/* A frame that reached a split that has ended, from a listener left
 * registered after it: never written. */
static void
ignore_late_frame(split_session *s, guint32 num)
{
    if (!s->late_frame_logged)
        ws_warning("flowsplit: frame %u reached a split that has ended; ignored", num);
    s->late_frame_logged = TRUE;
}

/* frame tap: every frame, after the other taps have told of it. */
static tap_packet_status
intake_frame_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt, const void *data _U_,
                    tap_flags_t flags _U_)
{
    split_session *s = tapdata;
    frame_record fr;

    if (s->finished) {
        ignore_late_frame(s, pinfo->num);
        return TAP_PACKET_DONT_REDRAW;
    }
    s->last_frame = pinfo->num;
    s->epan = pinfo->epan;
    if (s->failed || pinfo->rec == NULL || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return TAP_PACKET_DONT_REDRAW;
    s->frames_seen = pinfo->num;    /* frames read so far */
    capture_meta_follow(s->meta, fs_capture_wtap(pinfo->epan));
    intake_show_progress(s, FALSE);
    intake_settle_fragments(s, pinfo->num);
    if (!intake_collect_frame(s, pinfo, edt))
        return TAP_PACKET_DONT_REDRAW;      /* a transport layer without a stream (cut short), or an atomic IPv6 fragment */
    if (!s->opts.files)
        return TAP_PACKET_DONT_REDRAW;
    if (s->frame_streams->len > 0) {
        /* An IPv4 fragment the ip tap held carries a stream itself. */
        frame_queue_unhold_last(s->fq, pinfo->num);
        if (s->ip_completing_frame == pinfo->num)
            s->ip_completing_frame = 0;
    }
    frame_record_of(&fr, pinfo, edt);
    if (!intake_pass_frame(s, pinfo, &fr)) {
        s->failed = TRUE;
        return TAP_PACKET_FAILED;
    }
    return TAP_PACKET_DONT_REDRAW;
}

/* After the last frame (tshark: at exit). */
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

        if (!intake_transport_split(s, t))
            continue;
        s->tap_key[t] = t;
        err = register_tap_listener(options_transport_name(t), &s->tap_key[t], NULL,
                                    TL_REQUIRES_NOTHING | TL_REQUIRES_ERROR_PACKETS, NULL, intake_transport_packet,
                                    NULL, NULL);
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

/* One more listener, unfiltered; on failure every listener registered
 * before it is removed. */
static gboolean
register_listener(split_session *s, const char *tap, void *key, tap_packet_cb packet, tap_finish_cb finish,
                  const char *what, char **error)
{
    GString *err = register_tap_listener(tap, key, NULL, TL_REQUIRES_NOTHING, NULL, packet, NULL, finish);

    if (err == NULL)
        return TRUE;
    *error = g_strdup_printf("flowsplit: cannot listen to %s: %s", what, err->str);
    g_string_free(err, TRUE);
    remove_transport_taps(s);
    if (key != &s->ip_key)
        remove_tap_listener(&s->ip_key);
    return FALSE;
}

gboolean
intake_register(split_session *s, char **error)
{
    if (!intake_tree_find_fields(s, error))
        return FALSE;
    s->fq = frame_queue_new();
    if (!register_transport_taps(s, error))
        return FALSE;
    if (!register_listener(s, "ip", &s->ip_key, intake_ip_packet, NULL, "IP", error))
        return FALSE;
    /* No filter and no tree: see the top. tshark's reset call after the
     * last frame has nothing to do, so there is no reset callback. */
    if (!register_listener(s, "frame", s, intake_frame_packet, intake_frame_finish, "frames", error))
        return FALSE;
    s->registered = TRUE;
    return TRUE;
}

void
intake_unregister(split_session *s)
{
    if (!s->registered)
        return;
    remove_transport_taps(s);
    remove_tap_listener(&s->ip_key);
    remove_tap_listener(s);
}
