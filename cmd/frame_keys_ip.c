/* frame_keys_ip.c
 * The IP half of the frame keys' walk (see frame_keys.c): IPv4 and IPv6
 * headers, whose address pairs are the keys, and what they carry that
 * holds more IP layers or changes what the streams are, mirroring
 * Wireshark 4.0's dissectors (ip, ipv6, gre, udp tunnels, icmp, icmpv6).
 * TCP, UDP and SCTP payloads are searched for media setups (media_setup.h),
 * whose conversations join streams across address pairs: such a frame is
 * refused.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "frame_keys_walk.h"
#include "media_setup.h"

#include <string.h>

/* Tunnels in tunnels deeper than this are not worth a split. */
#define MAX_DEPTH 8

/* Data that ends before a header does: no key, unless the end is a first
 * fragment's (see walk.in_first_fragment). */
static gboolean
short_data(walk *w)
{
    if (w->in_first_fragment)
        return fk_refuse(w, "a tunnel or ICMP header cut by IP fragmentation");
    return TRUE;
}

static gboolean
add_key(walk *w, guint32 family, bytes x, bytes y, gsize addr_len)
{
    frame_key *k;

    if (w->out->n == FRAME_KEYS_MAX)
        return fk_refuse(w, "more nested IP layers than the partitioner follows");
    k = &w->out->keys[w->out->n++];
    memset(k, 0, sizeof *k);
    k->family = family;
    if (memcmp(x, y, addr_len) > 0) {
        bytes t = x;

        x = y;
        y = t;
    }
    memcpy(k->a, x, addr_len);
    memcpy(k->b, y, addr_len);
    return TRUE;
}

/* --- payloads ------------------------------------------------------------ */

/* A transport payload: a media setup in it is refused (media_setup.h). */
static gboolean
payload(walk *w, bytes p, guint32 len)
{
    const char *what = media_setup_find(p, len);

    return what == NULL ? TRUE : fk_refuse(w, what);
}

/* A later IP fragment has no transport header, but Wireshark reads its
 * bytes as the rest of the payload, so a TCP, UDP or SCTP one is searched
 * as one. */
static gboolean
later_fragment(walk *w, guint proto, bytes p, guint32 len)
{
    return proto == 6 || proto == 17 || proto == 132 ? payload(w, p, len) : TRUE;
}

/* TCP: a header too short or cut leaves no payload to search. */
static gboolean
tcp(walk *w, bytes p, guint32 len)
{
    const char *what;
    guint32 hlen;

    if (len < 20)
        return TRUE;
    hlen = (guint32)(p[12] >> 4) * 4;
    if (hlen < 20 || hlen > len)
        return TRUE;
    if ((what = media_setup_by_port(TRUE, get16(p), get16(p + 2), p + hlen, len - hlen)) != NULL)
        return fk_refuse(w, what);
    return payload(w, p + hlen, len - hlen);
}

/* SCTP: the chunks after the common header are searched whole. */
static gboolean
sctp(walk *w, bytes p, guint32 len)
{
    return len <= 12 ? TRUE : payload(w, p + 12, len - 12);
}

/* --- ICMP errors and UDP tunnels ----------------------------------------- */

/* An ICMP error quotes the packet it is about; Wireshark dissects the
 * quoted transport header in that packet's conversation. */
static gboolean
icmp(walk *w, bytes p, guint32 len, gboolean v6)
{
    guint type;

    if (len < 8)
        return len == 0 ? TRUE : short_data(w);
    type = p[0];
    if (v6 ? (type >= 1 && type <= 4) : (type == 3 || type == 4 || type == 5 || type == 11 || type == 12))
        return v6 ? fk_ipv6(w, p + 8, len - 8) : fk_ip_any(w, p + 8, len - 8);
    return TRUE;
}

/* GTP-U: a G-PDU (message 255) carries a user's IP packet after the
 * header and its chain of extension headers. */
static gboolean
gtp_u(walk *w, bytes p, guint32 len)
{
    guint32 off = 8;
    guint next;

    if (len < 8 || (p[0] >> 5) != 1 || !(p[0] & 0x10) || p[1] != 0xFF)
        return TRUE;
    if (p[0] & 0x07) {
        if (len < 12)
            return short_data(w);
        off = 12;
        for (next = p[11]; next != 0;) {
            guint32 elen;

            if (off >= len)
                return short_data(w);
            elen = (guint32)p[off] * 4;
            if (elen == 0 || elen > len - off)
                return short_data(w);
            next = p[off + elen - 1];
            off += elen;
        }
    }
    if (off == len)
        return TRUE;
    if ((p[off] >> 4) == 4 || (p[off] >> 4) == 6)
        return fk_ip_any(w, p + off, len - off);
    return fk_refuse(w, "a GTP-U payload that is not IP");
}

/* Teredo: an optional authentication and origin indication, then IPv6. */
static gboolean
teredo(walk *w, bytes p, guint32 len)
{
    guint32 off = 0;

    if (len >= 4 && p[0] == 0 && p[1] == 1) {
        guint32 skip = 4 + (guint32)p[2] + p[3] + 9;

        if (skip > len)
            return TRUE;
        off = skip;
    }
    if (len - off >= 8 && p[off] == 0 && p[off + 1] == 0)
        off += 8;
    if (len - off >= 1 && (p[off] >> 4) == 6)
        return fk_ipv6(w, p + off, len - off);
    return TRUE;
}

static gboolean
udp_payload(walk *w, guint port, bytes p, guint32 len)
{
    switch (port) {
    case 4789:                          /* VXLAN: 8 bytes, then Ethernet */
        return len < 8 ? short_data(w) : fk_ethertype(w, 0x6558, p + 8, len - 8);
    case 6081:                          /* Geneve: 8 bytes and options, then by protocol type */
        if (len < 8 || (guint32)8 + (p[0] & 0x3F) * 4 > len)
            return short_data(w);
        return fk_ethertype(w, get16(p + 2), p + 8 + (p[0] & 0x3F) * 4, len - 8 - (p[0] & 0x3F) * 4);
    case 2152:
        return gtp_u(w, p, len);
    case 3544:
        return teredo(w, p, len);
    default:
        return TRUE;
    }
}

static gboolean
is_tunnel_port(guint port)
{
    return port == 4789 || port == 6081 || port == 2152 || port == 3544;
}

/* Wireshark tries the lower port's dissector first, then the higher's;
 * Teredo also has a heuristic on any port, so a payload that reads as a
 * whole IPv6 packet is taken as one too (an extra key at worst). */
static gboolean
udp(walk *w, bytes p, guint32 len)
{
    const char *what;
    guint sport, dport, ulen, lo, hi;

    if (len < 8)
        return len < 4 ? TRUE : short_data(w);
    sport = get16(p);
    dport = get16(p + 2);
    ulen = get16(p + 4);
    if (ulen >= 8 && ulen < len)
        len = ulen;
    p += 8;
    len -= 8;
    lo = MIN(sport, dport);
    hi = MAX(sport, dport);
    if (is_tunnel_port(lo))
        return udp_payload(w, lo, p, len);
    if (is_tunnel_port(hi))
        return udp_payload(w, hi, p, len);
    if (len >= 40 && (p[0] >> 4) == 6 && get16(p + 4) + 40u == len)
        return fk_ipv6(w, p, len);
    if ((what = media_setup_by_port(FALSE, sport, dport, p, len)) != NULL)
        return fk_refuse(w, what);
    return payload(w, p, len);
}

/* GRE: IP, IPv6 and transparent Ethernet bridging are followed; for other
 * payloads (ERSPAN, PPTP's PPP, WCCP, ...) the outer pair stands for the
 * tunnel, which carries its inner conversations between the same two
 * endpoints. */
static gboolean
gre(walk *w, bytes p, guint32 len)
{
    guint flags, proto;
    guint32 off = 4;

    if (len < 4)
        return short_data(w);
    flags = get16(p);
    proto = get16(p + 2);
    if ((flags & 0x7) != 0 || (flags & 0x4000))     /* enhanced GRE (PPTP) or source routes */
        return TRUE;
    if (flags & 0x8000)
        off += 4;                                   /* checksum and offset */
    if (flags & 0x2000)
        off += 4;                                   /* key */
    if (flags & 0x1000)
        off += 4;                                   /* sequence number */
    if (off > len)
        return short_data(w);
    if (proto == 0x0800 || proto == 0x86DD || proto == 0x6558)
        return fk_ethertype(w, proto, p + off, len - off);
    return TRUE;
}

/* What an IP layer carries, by protocol number. */
static gboolean
transport(walk *w, guint proto, bytes p, guint32 len)
{
    switch (proto) {
    case 1:
        return icmp(w, p, len, FALSE);
    case 58:
        return icmp(w, p, len, TRUE);
    case 4:                             /* IP in IP */
        return fk_ip_any(w, p, len);
    case 41:                            /* IPv6 in IP */
        return fk_ipv6(w, p, len);
    case 47:
        return gre(w, p, len);
    case 17:
        return udp(w, p, len);
    case 6:
        return tcp(w, p, len);
    case 132:
        return sctp(w, p, len);
    default:
        return TRUE;
    }
}

/* --- IP ------------------------------------------------------------------ */

static gboolean
nested(walk *w)
{
    if (++w->depth > MAX_DEPTH)
        return fk_refuse(w, "more nested IP layers than the partitioner follows");
    return TRUE;
}

/* IPv4 options: loose or strict source routes make Wireshark take the
 * route's last hop as the destination, a pair the header does not show. */
static gboolean
source_routed(bytes opt, guint32 len)
{
    guint32 i = 0;

    while (i < len) {
        guint t = opt[i];

        if (t == 0)
            break;
        if (t == 1) {
            i++;
            continue;
        }
        if (t == 0x83 || t == 0x89)
            return TRUE;
        if (i + 1 >= len || opt[i + 1] < 2)
            break;
        i += opt[i + 1];
    }
    return FALSE;
}

gboolean
fk_ipv4(walk *w, bytes p, guint32 len)
{
    guint32 hlen, tot, end;
    guint frag;

    if (len < 20)
        return short_data(w);
    if (!nested(w) || !add_key(w, 4, p + 12, p + 16, 4))
        return FALSE;
    hlen = (guint32)(p[0] & 0x0F) * 4;
    tot = get16(p + 2);
    if (hlen < 20)
        return TRUE;                    /* bogus header: Wireshark stops here */
    end = tot >= hlen && tot <= len ? tot : len;
    if (hlen > end)
        return short_data(w);
    if (hlen > 20 && source_routed(p + 20, hlen - 20))
        return fk_refuse(w, "an IPv4 source route option");
    frag = get16(p + 6);
    if ((frag & 0x1FFF) != 0)           /* a later fragment: its pair is the first's */
        return later_fragment(w, p[9], p + hlen, end - hlen);
    if (frag & 0x2000)
        w->in_first_fragment = end == tot;
    return transport(w, p[9], p + hlen, end - hlen);
}

gboolean
fk_ipv6(walk *w, bytes p, guint32 len)
{
    guint32 end, off = 40;
    guint next;

    if (len < 40)
        return short_data(w);
    if ((p[0] >> 4) != 6)
        return fk_refuse(w, "an IPv6 header whose version is not 6");
    if (!nested(w) || !add_key(w, 6, p + 8, p + 24, 16))
        return FALSE;
    end = get16(p + 4) != 0 && get16(p + 4) + 40u <= len ? get16(p + 4) + 40u : len;
    next = p[6];
    for (;;) {
        guint32 elen;

        switch (next) {
        case 0:                         /* hop-by-hop options */
        case 60:                        /* destination options */
            if (off + 8 > end)
                return short_data(w);
            elen = ((guint32)p[off + 1] + 1) * 8;
            break;
        case 43:                        /* routing: Wireshark may use the final destination */
            if (off + 8 > end)
                return short_data(w);
            if (p[off + 3] != 0)
                return fk_refuse(w, "an IPv6 routing header with segments left");
            elen = ((guint32)p[off + 1] + 1) * 8;
            break;
        case 44:                        /* fragment */
            if (off + 8 > end)
                return short_data(w);
            if ((get16(p + off + 2) & 0xFFF8) != 0)
                return later_fragment(w, p[off], p + off + 8, end - off - 8);
            if (get16(p + off + 2) & 1)
                w->in_first_fragment = end == get16(p + 4) + 40u;
            elen = 8;
            break;
        case 51:                        /* authentication header */
            if (off + 8 > end)
                return short_data(w);
            elen = ((guint32)p[off + 1] + 2) * 4;
            break;
        default:
            return transport(w, next, p + off, end - off);
        }
        if (elen > end - off)
            return short_data(w);
        next = p[off];
        off += elen;
    }
}

/* Wireshark's "ip" dissector: by the version nibble. A bogus version
 * stops the dissection, so nothing above it has a stream. */
gboolean
fk_ip_any(walk *w, bytes p, guint32 len)
{
    if (len < 1)
        return short_data(w);
    if ((p[0] >> 4) == 4)
        return fk_ipv4(w, p, len);
    if ((p[0] >> 4) == 6)
        return fk_ipv6(w, p, len);
    return TRUE;
}
