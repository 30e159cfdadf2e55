/* intake_tree.c
 * The streams of a frame its taps could not tell, read from a second
 * dissection with a tree (frame_redissect.c): every stream field
 * (tcp.stream, udp.stream, dccp.stream), each TCP layer's header for its
 * flags, an IPv6 fragment header, the TLS fields of a ClientHello (its JA4
 * from Wireshark's field, or from its bytes where the running Wireshark has
 * none: tls_ja4.c) and the JA3S of a ServerHello. A
 * transport layer with no tap call has the frame's own addresses for its
 * direction.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "intake_int.h"

#include "frame_block.h"
#include "frame_redissect.h"
#include "tls_ja4.h"
#include "ws_compat.h"

static const char *const intake_fields[HF_COUNT] = {
    "tcp", "ipv6.fraghdr.offset", "ipv6.fraghdr.more", "tls.handshake.type",
    "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str", "tls.handshake.ja3",
    "tls.handshake.ja3s"
};

#define TLS_CLIENT_HELLO 1
#define TLS_SERVER_HELLO 2

/* Which transport a ClientHello in the frame belongs to: the first of these
 * the frame has a stream of. */
static const fs_transport tls_owner_order[FS_TRANSPORT_COUNT] = {
    FS_TRANSPORT_TCP, FS_TRANSPORT_UDP, FS_TRANSPORT_DCCP
};

gboolean
intake_tree_find_fields(split_session *s, char **error)
{
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
    /* Wireshark 4.2+ computes JA4 itself; 4.0 has no such field. */
    s->hf_ja4 = proto_registrar_get_id_byname("tls.handshake.ja4");
    if (s->hf_ja4 >= 0)
        s->hf_prime[s->n_prime++] = s->hf_ja4;
    s->proto_ipv6_fraghdr = proto_get_id_by_filter_name("ipv6.fraghdr");
    s->proto_tls = proto_get_id_by_filter_name("tls");
    if (s->proto_ipv6_fraghdr < 0 || s->proto_tls < 0) {
        *error = g_strdup("flowsplit: this Wireshark has no ipv6.fraghdr or tls protocol");
        return FALSE;
    }
    return TRUE;
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

/* The TCP flags the tcp tap gave for each TCP layer of the frame. */
static void
add_tapped_tcp_flags(split_session *s, packet_info *pinfo)
{
    if (s->layers_frame != pinfo->num)
        return;
    for (guint i = 0; i < s->frame_layers->len; i++) {
        const transport_layer *l = &g_array_index(s->frame_layers, transport_layer, i);
        if (l->st->transport == FS_TRANSPORT_TCP)
            intake_stream_add_flags(s, l->st, l->from_a, l->flags);
    }
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
        flow_stream *st = flow_stream_lookup(s, t, index);
        gboolean from_a;
        int flags;

        /* A header with a bad length gets a stream but no tap call. */
        if (st == NULL)
            st = flow_stream_create(s, t, index, &pinfo->src, (guint16)pinfo->srcport, &pinfo->dst,
                                    (guint16)pinfo->destport, 0);
        from_a = intake_frame_from_a(s, pinfo, st);
        intake_frame_add_stream(s, pinfo, st, from_a);
        if (tree_flags && (flags = tcp_layer_flags(g_ptr_array_index(layers, i))) >= 0)
            intake_stream_add_flags(s, st, from_a, (guint16)flags);
    }
    if (tcp && !tree_flags)
        add_tapped_tcp_flags(s, pinfo);
}

/* The frame's streams of every transport split, in collect order. */
static void
collect_streams(split_session *s, packet_info *pinfo, epan_dissect_t *edt)
{
    g_array_set_size(s->frame_streams, 0);
    for (int i = 0; i < FS_TRANSPORT_COUNT; i++) {
        if (intake_transport_split(s, intake_collect_order[i]))
            collect_transport(s, pinfo, edt, intake_collect_order[i]);
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
        flow_stream *st = flow_stream_by_id(s, g_array_index(s->frame_streams, guint32, i - 1));
        if (st->transport == owner)
            return st;
    }
    return NULL;
}

/* The first handshake message of the given type in the frame: its type
 * field, which starts the message. NULL when none. */
static field_info *
first_handshake(split_session *s, epan_dissect_t *edt, guint32 type)
{
    GPtrArray *types = proto_get_finfo_ptr_array(edt->tree, s->hf[HF_TLS_TYPE]);

    for (guint i = 0; types != NULL && i < types->len; i++) {
        field_info *fi = g_ptr_array_index(types, i);
        if (fvalue_get_uinteger(fs_field_value(fi)) == type)
            return fi;
    }
    return NULL;
}

/* The first value of a string field in the frame, or NULL. */
static const char *
first_string(epan_dissect_t *edt, int hf)
{
    GPtrArray *fields = proto_get_finfo_ptr_array(edt->tree, hf);

    if (fields == NULL || fields->len == 0)
        return NULL;
    return fvalue_get_string(fs_field_value(g_ptr_array_index(fields, 0)));
}

/* The JA4 of the ClientHello whose type field is hello: Wireshark's own
 * field where it has one, else computed from the message's bytes, with
 * the transport character Wireshark takes from the frame's layers. */
static char *
client_hello_ja4(split_session *s, epan_dissect_t *edt, field_info *hello)
{
    wmem_list_t *frame_layers = edt->pi.layers;
    char transport = '\0';
    gint avail;

    if (s->hf_ja4 >= 0) {
        const char *ja4 = first_string(edt, s->hf_ja4);
        return ja4 != NULL ? g_strdup(ja4) : NULL;
    }
    if (hello->ds_tvb == NULL || (avail = tvb_captured_length_remaining(hello->ds_tvb, hello->start)) <= 0)
        return NULL;
    if (proto_is_frame_protocol(frame_layers, "tcp"))
        transport = 't';
    else if (proto_is_frame_protocol(frame_layers, "quic"))
        transport = 'q';
    return tls_ja4_client_hello(tvb_get_ptr(hello->ds_tvb, hello->start, avail), (gsize)avail, transport);
}

/* The first ClientHello of a stream: its SNI, ALPN list, JA3 and JA4. */
static void
set_client_hello(split_session *s, epan_dissect_t *edt, flow_stream *st, field_info *hello)
{
    GPtrArray *sni = field_strings(s, edt, HF_TLS_SNI);
    GPtrArray *alpn = field_strings(s, edt, HF_TLS_ALPN);
    char *ja4 = client_hello_ja4(s, edt, hello);

    stream_facts_set_tls(&st->facts, sni->len ? g_ptr_array_index(sni, 0) : NULL,
                         (const char *const *)alpn->pdata, alpn->len, first_string(edt, s->hf[HF_TLS_JA3]), ja4);
    g_free(ja4);
    g_ptr_array_free(sni, TRUE);
    g_ptr_array_free(alpn, TRUE);
}

/* The stream's first ClientHello and first ServerHello (its JA3S), from
 * the frame's first of each. */
static void
collect_hellos(split_session *s, epan_dissect_t *edt)
{
    field_info *client = first_handshake(s, edt, TLS_CLIENT_HELLO);
    field_info *server = first_handshake(s, edt, TLS_SERVER_HELLO);
    flow_stream *st;

    if ((client == NULL && server == NULL) || (st = tls_stream(s, edt)) == NULL)
        return;
    if (client != NULL && !st->facts.tls_seen)
        set_client_hello(s, edt, st, client);
    if (server != NULL && !st->facts.tls_server_seen)
        stream_facts_set_server_hello(&st->facts, first_string(edt, s->hf[HF_TLS_JA3S]));
}

/* A frame with a TLS layer: its hellos, then every stream of it that still
 * waits for one counts the frame against its wait (stream_index.h). */
static void
collect_tls(split_session *s, epan_dissect_t *edt)
{
    if (s->frame_streams->len == 0 || !proto_is_frame_protocol(edt->pi.layers, "tls"))
        return;
    collect_hellos(s, edt);
    for (guint i = 0; i < s->frame_streams->len; i++) {
        flow_stream *st = flow_stream_by_id(s, g_array_index(s->frame_streams, guint32, i));

        stream_facts_tls_frame_read(&st->facts);
    }
}

/* The frame dissected again and read: its streams into frame_streams, with
 * the index its ClientHello. FALSE when the frame goes nowhere: no stream
 * and no IPv6 fragment. */
gboolean
intake_tree_collect(split_session *s, packet_info *pinfo, epan_dissect_t *edt)
{
    epan_dissect_t *redo = frame_redissect(pinfo, edt, frame_block_of(pinfo), s->hf_prime, s->n_prime);
    gboolean keep;

    s->frames_redissected++;
    collect_streams(s, pinfo, redo);
    keep = s->frame_streams->len > 0 || has_ipv6_fragment(s, redo);
    if (keep && s->opts.index)
        collect_tls(s, redo);
    epan_dissect_free(redo);
    return keep;
}
