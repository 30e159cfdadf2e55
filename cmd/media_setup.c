/* media_setup.c
 * Finds the text signatures of a session description or media setup in a
 * transport payload (see media_setup.h for why they matter).
 *
 * Wireshark's SDP dissector runs under SIP, MGCP, MEGACO (text), SAP and
 * RTSP bodies, and SIP's heuristics find SIP on any port, so every payload
 * is searched, not those of well-known ports only. Several independent
 * signatures are searched because one SIP message over TCP may be cut
 * across segments and each segment is seen alone:
 *   - an SDP media line, "m=" at a line start (after spaces or tabs at
 *     most, as MEGACO indents them) and then audio, video, application,
 *     image, text or message;
 *   - an SDP connection line, "c=IN IP4 " or "c=IN IP6 ";
 *   - the content type "application/sdp" (any case), which SIP headers
 *     carry before the body, so a first IP fragment shows it too;
 *   - RTSP's "Transport:" header (any case) at a line start, with "port="
 *     after it (client_port=, server_port=, port=): RTSP sets up RTP
 *     conversations from it without any SDP.
 *
 * Binary signalling is known by its ports instead (media_setup_by_port):
 * H.225 (TCP 1720), whose h245Address and tunnelled H.245 open media
 * channels; Skinny (TCP 2000); RPC portmap (UDP 111), whose GETPORT reply
 * opens the returned port to any peer; every ONC-RPC call over UDP (the
 * reply's conversation is keyed on the caller's address and the server's
 * port only), found by its header; CoAP (UDP 5683) and DOF (UDP 3567,
 * 5567), which create such conversations for every message. A false
 * alarm only costs the capture its parallel split.
 *
 * Not caught, so such a capture can still be split wrongly:
 *   - binary setups on other ports: H.245 on its own connection when the
 *     H.225 that announced it is not in the capture, Skinny moved off
 *     2000, binary MEGACO, mobile signalling over SCTP (RANAP, BSSMAP,
 *     NBAP);
 *   - a signature cut across TCP segments or IP fragments, when no other
 *     signature is whole in one of them;
 *   - bodies Wireshark decodes and this search does not: TLS decrypted
 *     with keys from the capture, compressed (gzip, SigComp), masked
 *     (WebSocket) or base64-encoded ones.
 *
 * The search is a memchr for each anchor byte ('=', ':', '/') and a few
 * byte compares at each hit, so a payload costs a few passes at memchr's
 * speed whatever it holds.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE     /* memmem */
#include "media_setup.h"

#include <string.h>

typedef const guint8 *bytes;

#define SDP_REASON "a session description (SDP) that sets up media conversations Wireshark shares between peers"
#define RTSP_REASON "an RTSP Transport header that sets up media conversations Wireshark shares between peers"
#define SHARED_BY " that sets up conversations Wireshark shares between peers"

/* p[0..left) begins with the n bytes of s. */
static gboolean
begins(bytes p, gsize left, const char *s, gsize n)
{
    return left >= n && memcmp(p, s, n) == 0;
}

/* p[0..n) is `lower` in any case (lower is in lower case). */
static gboolean
caseless_is(bytes p, const char *lower, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (g_ascii_tolower(p[i]) != lower[i])
            return FALSE;
    return TRUE;
}

/* Only spaces or tabs between the start of p's line and p[at]. */
static gboolean
at_line_start(bytes p, gsize at)
{
    while (at > 0 && (p[at - 1] == ' ' || p[at - 1] == '\t'))
        at--;
    return at == 0 || p[at - 1] == '\n' || p[at - 1] == '\r';
}

static gboolean
media_type(bytes p, gsize left)
{
    static const char *const types[] = { "audio", "video", "application", "image", "text", "message" };

    for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
        if (begins(p, left, types[i], strlen(types[i])))
            return TRUE;
    return FALSE;
}

/* p[at] is an '=': the start of an SDP media or connection line? */
static gboolean
sdp_line(bytes p, gsize len, gsize at)
{
    bytes rest = p + at + 1;
    gsize left = len - at - 1;

    if (at == 0)
        return FALSE;
    if (p[at - 1] == 'c')
        return begins(rest, left, "IN IP4 ", 7) || begins(rest, left, "IN IP6 ", 7);
    return p[at - 1] == 'm' && at_line_start(p, at - 1) && media_type(rest, left);
}

/* p[at] is a ':': RTSP's Transport header, with a port after it? */
static gboolean
rtsp_transport(bytes p, gsize len, gsize at)
{
    static const char name[] = "transport";
    const gsize n = sizeof name - 1;

    if (at < n || !caseless_is(p + at - n, name, n) || !at_line_start(p, at - n))
        return FALSE;
    return memmem(p + at + 1, len - at - 1, "port=", 5) != NULL;
}

/* p[at] is a '/': the middle of "application/sdp"? */
static gboolean
sdp_content_type(bytes p, gsize len, gsize at)
{
    static const char type[] = "application";
    const gsize n = sizeof type - 1;

    return at >= n && len - at - 1 >= 3 && caseless_is(p + at - n, type, n) && caseless_is(p + at + 1, "sdp", 3);
}

typedef gboolean (*signature)(bytes p, gsize len, gsize at);

/* Whether `sig` holds at some occurrence of `anchor` in p[0..len). */
static gboolean
any_at(bytes p, gsize len, guint8 anchor, signature sig)
{
    bytes hit;

    for (bytes q = p; (hit = memchr(q, anchor, len - (gsize)(q - p))) != NULL; q = hit + 1)
        if (sig(p, len, (gsize)(hit - p)))
            return TRUE;
    return FALSE;
}

const char *
media_setup_find(const guint8 *p, gsize len)
{
    if (len == 0)
        return NULL;
    if (any_at(p, len, '=', sdp_line) || any_at(p, len, '/', sdp_content_type))
        return SDP_REASON;
    if (any_at(p, len, ':', rtsp_transport))
        return RTSP_REASON;
    return NULL;
}

/* An ONC-RPC call's header: xid, message type 0 (call), RPC version 2,
 * then program, version and procedure. */
static gboolean
rpc_call(bytes p, gsize len)
{
    static const guint8 call_v2[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };

    return len >= 24 && memcmp(p + 4, call_v2, sizeof call_v2) == 0;
}

const char *
media_setup_by_port(gboolean tcp, guint sport, guint dport, const guint8 *p, gsize len)
{
    /* TCP tries the lower port's dissector first, so a client that
     * happens to use 1720 or 2000 towards a web server is not signalling. */
    if (tcp && MIN(sport, dport) == 1720)
        return "H.225 signalling (TCP port 1720)" SHARED_BY;
    if (tcp && MIN(sport, dport) == 2000)
        return "Skinny signalling (TCP port 2000)" SHARED_BY;
    if (tcp)
        return NULL;
    if (sport == 111 || dport == 111)
        return "RPC portmap (UDP port 111)" SHARED_BY;
    if (sport == 5683 || dport == 5683)
        return "CoAP (UDP port 5683)" SHARED_BY;
    if (sport == 3567 || dport == 3567 || sport == 5567 || dport == 5567)
        return "DOF (UDP port 3567 or 5567)" SHARED_BY;
    if (rpc_call(p, len))
        return "an ONC-RPC call over UDP" SHARED_BY;
    return NULL;
}
