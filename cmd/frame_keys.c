/* frame_keys.c
 * Finds, in one frame's bytes, every IP layer Wireshark's default
 * dissection would find, and makes each one's address pair a key. TCP,
 * UDP and DCCP streams are conversations between two addresses, so frames
 * of one stream always share the pair of the IP layer that carries it;
 * joining frames by pairs never cuts a stream.
 *
 * Extra keys only join more frames (a coarser but still exact split), so
 * where in doubt the walk takes a layer as IP. A missing key could cut a
 * stream, so the walk never guesses the other way: a link type, ethertype
 * or encapsulation it does not know makes the frame unsafe, and the
 * capture then goes to one tshark. A frame cut short before an IP header's
 * addresses simply has no key for that layer: Wireshark cannot dissect
 * the transport above it either.
 *
 * This file owns the walk's entry, its refusals and everything below IP,
 * mirroring Wireshark 4.0's dissectors (null, raw, sll, ppp, chdlc, eth,
 * vlan, mpls, pppoe, llc, macsec); IP and what it carries are in
 * frame_keys_ip.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "frame_keys.h"
#include "frame_keys_walk.h"

#include <string.h>

gboolean
fk_refuse(walk *w, const char *what)
{
    *w->error = g_strdup_printf("flowsplit: frame %" G_GUINT64_FORMAT " has %s, which the partitioner does not read; "
                                "splitting on one tshark", w->frame, what);
    return FALSE;
}

gboolean
fk_refuse_number(walk *w, const char *fmt, guint value)
{
    char what[128];

    g_snprintf(what, sizeof what, fmt, value);
    return fk_refuse(w, what);
}

/* --- link layers and ethertypes ----------------------------------------- */

/* Ethertypes whose Wireshark dissectors never hand anything to IP, so a
 * frame of one carries no TCP, UDP or DCCP stream: each is a link-layer
 * control protocol, or a non-IP network layer. */
static const guint16 non_ip_ethertypes[] = {
    0x0806,     /* ARP: address resolution, no payload */
    0x8035,     /* RARP: likewise */
    0x0842,     /* Wake-on-LAN: a magic packet */
    0x22EA,     /* MSRP (stream reservation): bridge control */
    0x22F0,     /* AVTP (audio/video transport): media, no IP */
    0x6002,     /* DEC MOP remote console */
    0x6004,     /* DEC LAT: terminal traffic, no IP */
    0x809B,     /* AppleTalk DDP: its own network layer */
    0x80F3,     /* AppleTalk ARP */
    0x8137,     /* IPX: its own network layer */
    0x8138,     /* IPX (alternative) */
    0x8808,     /* Ethernet flow control (PAUSE) */
    0x8809,     /* slow protocols: LACP, marker, link OAM */
    0x8863,     /* PPPoE discovery: tags only (sessions are 0x8864) */
    0x886F,     /* Microsoft NLB heartbeat */
    0x888E,     /* EAPOL: authentication */
    0x8892,     /* PROFINET real-time: industrial I/O */
    0x8899,     /* Realtek RRCP: switch control */
    0x88A4,     /* EtherCAT: industrial I/O */
    0x88B8,     /* IEC 61850 GOOSE */
    0x88B9,     /* IEC 61850 GSE management */
    0x88BA,     /* IEC 61850 sampled values */
    0x88C7,     /* 802.11i pre-authentication (EAPOL) */
    0x88CC,     /* LLDP: neighbour discovery TLVs */
    0x88E1,     /* HomePlug AV: powerline management */
    0x88E3,     /* MRP (media redundancy): ring control */
    0x88F5,     /* MVRP: VLAN registration */
    0x88F6,     /* MMRP: multicast registration */
    0x88F7,     /* PTP: clock synchronisation */
    0x8902,     /* CFM (802.1ag OAM): connectivity checks */
    0x893A,     /* IEEE 1905.1: home network control */
    0x8912,     /* HomePlug (mediaxtream) */
    0x9000,     /* loopback (configuration test protocol): test data */
};

static gboolean
known_non_ip(guint type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(non_ip_ethertypes); i++)
        if (non_ip_ethertypes[i] == type)
            return TRUE;
    return FALSE;
}

static gboolean ppp(walk *w, bytes p, guint32 len);

/* 802.2 LLC (and SNAP) after an 802.3 length field. */
static gboolean
llc(walk *w, bytes p, guint32 len)
{
    guint dsap, ssap;
    guint32 hlen;

    if (len < 3)
        return TRUE;
    dsap = p[0];
    ssap = p[1];
    hlen = (p[2] & 3) == 3 ? 3 : 4;     /* U frames have a 1-byte control field */
    if (dsap == 0xAA && ssap == 0xAA && hlen == 3) {
        guint32 oui;
        guint pid;

        if (len < 8)
            return TRUE;
        oui = (guint32)p[3] << 16 | (guint32)p[4] << 8 | p[5];
        pid = get16(p + 6);
        if (oui == 0 || oui == 0xF8)    /* encapsulated Ethernet: pid is an ethertype */
            return fk_ethertype(w, pid, p + 8, len - 8);
        /* Cisco's CDP, VTP, DTP, PAgP, PVST+ and UDLD: switch control. */
        if (oui == 0x0C && (pid == 0x2000 || pid == 0x2003 || pid == 0x2004 || pid == 0x0104 ||
                            pid == 0x010B || pid == 0x0111))
            return TRUE;
        return fk_refuse_number(w, "a SNAP header of organisation 0x%06X", oui);
    }
    switch (dsap) {
    case 0x06:                          /* IP */
        return len < hlen ? TRUE : fk_ip_any(w, p + hlen, len - hlen);
    case 0x42:                          /* spanning tree: bridge control */
    case 0xE0:                          /* IPX: its own network layer */
    case 0xF0:                          /* NetBIOS (NetBEUI): no IP */
    case 0xFE:                          /* OSI (IS-IS, ES-IS, CLNP): no IP */
        return TRUE;
    default:
        return fk_refuse_number(w, "an 802.2 LLC header for service access point 0x%02X", dsap);
    }
}

/* An 802.3 frame: Novell's raw IPX (0xFFFF) or LLC. */
static gboolean
ieee802_3(walk *w, bytes p, guint32 len)
{
    if (len >= 2 && p[0] == 0xFF && p[1] == 0xFF)
        return TRUE;
    return llc(w, p, len);
}

static gboolean
ethernet(walk *w, bytes p, guint32 len)
{
    guint type;

    if (len < 14)
        return TRUE;
    type = get16(p + 12);
    /* Cisco ISL frames (to 01:00:0C:00:00:xx or 0C:00:0C:00:00:xx) carry
     * a whole second frame that Wireshark reads. */
    if (type <= 1500 && (p[0] == 0x01 || p[0] == 0x0C) && p[1] == 0x00 && p[2] == 0x0C && p[3] == 0 && p[4] == 0)
        return fk_refuse(w, "a Cisco ISL frame");
    return fk_ethertype(w, type, p + 14, len - 14);
}

static gboolean
mpls(walk *w, bytes p, guint32 len)
{
    guint32 off = 0;

    for (;;) {
        guint32 entry, label;

        if (off + 4 > len)
            return TRUE;
        entry = (guint32)p[off] << 24 | (guint32)p[off + 1] << 16 | (guint32)p[off + 2] << 8 | p[off + 3];
        label = entry >> 12;
        off += 4;
        if (entry & 0x100) {
            if (label == 13)
                return fk_refuse(w, "an MPLS generic associated channel");
            break;
        }
    }
    if (off == len)
        return TRUE;
    if ((p[off] >> 4) == 4)
        return fk_ipv4(w, p + off, len - off);
    if ((p[off] >> 4) == 6)
        return fk_ipv6(w, p + off, len - off);
    return fk_refuse_number(w, "an MPLS payload with first nibble %u (not IP)", p[off] >> 4);
}

/* MACsec: encrypted payloads stay opaque; an integrity-only one is read
 * by newer Wireshark versions as an ethertype and payload. */
static gboolean
macsec(walk *w, bytes p, guint32 len)
{
    guint32 tag;

    if (len < 1 || (p[0] & 0x80))
        return TRUE;
    if (p[0] & 0x08)
        return TRUE;
    tag = (p[0] & 0x20) ? 14 : 6;
    if (len < tag + 2)
        return TRUE;
    return fk_ethertype(w, get16(p + tag), p + tag + 2, len - tag - 2);
}

gboolean
fk_ethertype(walk *w, guint type, bytes p, guint32 len)
{
    switch (type) {
    case 0x0800:
        return fk_ip_any(w, p, len);
    case 0x86DD:
        return fk_ipv6(w, p, len);
    case 0x6558:                        /* transparent Ethernet bridging (GRE, VXLAN, Geneve) */
        return ethernet(w, p, len);
    case 0x8100:                        /* 802.1Q */
    case 0x88A8:                        /* 802.1ad */
    case 0x9100:                        /* QinQ */
        if (len < 4)
            return TRUE;
        return fk_ethertype(w, get16(p + 2), p + 4, len - 4);
    case 0x8847:
    case 0x8848:
        return mpls(w, p, len);
    case 0x8864:                        /* PPPoE session: 6 bytes, then PPP */
        return len < 6 ? TRUE : ppp(w, p + 6, len - 6);
    case 0x88E5:
        return macsec(w, p, len);
    default:
        if (type <= 1500)
            return ieee802_3(w, p, len);
        if (known_non_ip(type))
            return TRUE;
        return fk_refuse_number(w, "ethertype 0x%04X", type);
    }
}

/* PPP by protocol number (1 byte when its low bit is set: compressed). */
static gboolean
ppp(walk *w, bytes p, guint32 len)
{
    guint proto, plen = 2;

    if (len < 1)
        return TRUE;
    if (p[0] & 1) {
        proto = p[0];
        plen = 1;
    } else if (len < 2) {
        return TRUE;
    } else {
        proto = get16(p);
    }
    p += plen;
    len -= plen;
    switch (proto) {
    case 0x0021:
        return fk_ip_any(w, p, len);
    case 0x0057:
        return fk_ipv6(w, p, len);
    case 0x0281:
    case 0x0283:
        return mpls(w, p, len);
    case 0x002B:                        /* IPX */
        return TRUE;
    default:
        /* 0x8000 and up are network and link control protocols
         * (IPCP, LCP, PAP, CHAP, CCP, ...): negotiation, no IP. */
        if (proto >= 0x8000)
            return TRUE;
        return fk_refuse_number(w, "PPP protocol 0x%04X", proto);
    }
}

/* Cisco HDLC: address, control, then an ethertype-like protocol. */
static gboolean
chdlc(walk *w, bytes p, guint32 len)
{
    guint proto;

    if (len < 4)
        return TRUE;
    proto = get16(p + 2);
    if (proto == 0x8035 || proto == 0x2000)     /* SLARP, CDP: line control */
        return TRUE;
    if (proto == 0x0800 || proto == 0x86DD || proto == 0x8847 || proto == 0x8848)
        return fk_ethertype(w, proto, p + 4, len - 4);
    return fk_refuse_number(w, "Cisco HDLC protocol 0x%04X", proto);
}

/* Wireshark's "ppp_hdlc": Cisco HDLC by its address byte, else PPP with
 * or without the FF 03 address and control bytes. */
static gboolean
ppp_hdlc(walk *w, bytes p, guint32 len)
{
    if (len < 1)
        return TRUE;
    if (p[0] == 0x0F || p[0] == 0x8F)
        return chdlc(w, p, len);
    if (p[0] == 0xFF)
        return len < 2 ? TRUE : ppp(w, p + 2, len - 2);
    return ppp(w, p, len);
}

/* BSD loopback address families (the values in capture files). */
static gboolean
address_family(walk *w, guint32 af, bytes p, guint32 len)
{
    if (af == 2)
        return fk_ip_any(w, p, len);
    if (af == 24 || af == 28 || af == 30)
        return fk_ipv6(w, p, len);
    return fk_refuse_number(w, "loopback address family %u", af);
}

/* DLT_NULL: a host-order family, or an IRIX 16-bit one, or a Linux
 * ethertype; the same byte-order guesses as Wireshark's. */
static gboolean
null_link(walk *w, bytes p, guint32 len)
{
    guint32 h;

    if (len >= 2 && p[0] == 0xFF && p[1] == 0x03)
        return ppp_hdlc(w, p, len);
    if (len < 4)
        return TRUE;
    h = (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
    if ((h & 0xFFFF0000u) != 0) {
        if ((h & 0xFF000000u) == 0 && (h & 0x00FF0000u) < 0x00060000u)
            h >>= 16;
        else
            h = GUINT32_SWAP_LE_BE(h);
    } else if ((h & 0xFFu) == 0 && (h & 0xFF00u) < 0x0600u) {
        h = GUINT16_SWAP_LE_BE(h & 0xFFFF);
    }
    if (h > 1500)
        return fk_ethertype(w, h, p + 4, len - 4);
    return address_family(w, h, p + 4, len - 4);
}

/* Raw IP, with the Linux PPP and ISDN quirks Wireshark checks first. */
static gboolean
raw_ip(walk *w, bytes p, guint32 len)
{
    static const guint8 zeroes[10];

    if (len >= 2 && p[0] == 0xFF && p[1] == 0x03)
        return ppp_hdlc(w, p, len);
    if (len < 8)
        return TRUE;
    if (p[6] == 0xFF && p[7] == 0x03)
        return ppp_hdlc(w, p + 6, len - 6);
    if (len >= 10 && memcmp(p, zeroes, 10) == 0)
        return fk_ip_any(w, p + 10, len - 10);
    return fk_ip_any(w, p, len);
}

/* Linux cooked headers: the protocol is an ethertype, or below 1536 one of
 * Linux's own values; GRE and netlink devices use it otherwise. */
static gboolean
linux_cooked(walk *w, guint hatype, guint proto, bytes p, guint32 len)
{
    if (hatype == 778)                  /* ARPHRD_IPGRE: a GRE protocol type */
        return proto == 0x0800 || proto == 0x86DD || proto == 0x6558 ? fk_ethertype(w, proto, p, len)
                                                                      : fk_refuse_number(w, "a GRE device's protocol 0x%04X", proto);
    if (hatype == 824)                  /* ARPHRD_NETLINK: netfilter queues can hold IP */
        return fk_refuse(w, "a Linux netlink frame");
    if (proto > 1536)
        return fk_ethertype(w, proto, p, len);
    switch (proto) {
    case 1:                             /* Novell raw 802.3: IPX */
        return TRUE;
    case 3:                             /* Ethernet frame */
        return ethernet(w, p, len);
    case 4:                             /* 802.2 LLC */
        return llc(w, p, len);
    case 7:                             /* PPP in HDLC-like framing */
        return ppp_hdlc(w, p, len);
    case 0x000C:                        /* CAN */
    case 0x000D:                        /* CAN FD */
        return TRUE;
    default:
        return fk_refuse_number(w, "Linux cooked protocol %u", proto);
    }
}

static const struct {
    guint link_type;
    const char *name;
} link_names[] = {
    { 6, "Token Ring" }, { 10, "FDDI" }, { 105, "IEEE 802.11" }, { 119, "802.11 Prism" },
    { 127, "802.11 radiotap" }, { 163, "802.11 AVS" }, { 192, "PPI" }, { 195, "IEEE 802.15.4" },
    { 220, "USB Linux mmapped" }, { 189, "USB Linux" }, { 201, "Bluetooth H4" }, { 249, "USBPcap" },
    { 253, "Linux netlink" }, { 239, "Netfilter log" }, { 117, "OpenBSD pflog" }, { 197, "ERF" },
    { 143, "DOCSIS" }, { 123, "SunATM" }, { 140, "MTP2" }, { 104, "Cisco HDLC" }, { 8, "SLIP" },
};

static gboolean
unknown_link(walk *w, guint link_type)
{
    const char *name = "unknown";
    char what[128];

    for (gsize i = 0; i < G_N_ELEMENTS(link_names); i++)
        if (link_names[i].link_type == link_type)
            name = link_names[i].name;
    g_snprintf(what, sizeof what, "link type %u (%s)", link_type, name);
    return fk_refuse(w, what);
}

gboolean
frame_keys_get(guint link_type, const guint8 *data, guint32 len, guint64 frame_number, frame_keys *out,
               char **error)
{
    walk w = { out, frame_number, error, 0, FALSE };

    out->n = 0;
    switch (link_type) {
    case 1:                             /* Ethernet */
        return ethernet(&w, data, len);
    case 0:                             /* BSD loopback, host byte order */
        return null_link(&w, data, len);
    case 108:                           /* OpenBSD loopback, network byte order */
        return len < 4 ? TRUE : address_family(&w, (guint32)get16(data) << 16 | get16(data + 2), data + 4, len - 4);
    case 101:                           /* raw IP */
    case 12:                            /* raw IP on OpenBSD and others */
    case 14:                            /* raw IP on BSD/OS */
        return raw_ip(&w, data, len);
    case 228:
        return fk_ip_any(&w, data, len);
    case 229:
        return fk_ipv6(&w, data, len);
    case 113:                           /* Linux cooked v1: hatype at 2, protocol at 14 */
        return len < 16 ? TRUE : linux_cooked(&w, get16(data + 2), get16(data + 14), data + 16, len - 16);
    case 276:                           /* Linux cooked v2: protocol at 0, hatype at 8 */
        return len < 20 ? TRUE : linux_cooked(&w, get16(data + 8), get16(data), data + 20, len - 20);
    case 9:                             /* PPP */
    case 50:                            /* PPP in HDLC-like framing */
    case 204:                           /* PPP with direction (the byte is gone already) */
        return ppp_hdlc(&w, data, len);
    case 104:
        return chdlc(&w, data, len);
    default:
        return unknown_link(&w, link_type);
    }
}
