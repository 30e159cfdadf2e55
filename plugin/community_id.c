/* community_id.c
 * The Community ID flow hash, version 1, of a stream's two ends (Corelight's
 * community-id-spec): SHA-1 over the seed, the two addresses and ports in a
 * canonical order, the IP protocol number and one byte of padding, written
 * as "1:" and the digest in base64.
 *
 * The order makes the hash the same whichever end sent first: the end with
 * the smaller address (bytes compared in network order) comes first, and
 * with equal addresses the one with the smaller port. Every multi-byte
 * value goes in network byte order.
 *
 * A stream here is TCP, UDP or DCCP; ICMP, whose "ports" are its type and
 * code, is no stream of ours, so the spec's ICMP rules have no place here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "community_id.h"

#include <string.h>

#define COMMUNITY_ID_PREFIX "1:"

/* The address's bytes and their length, when IPv4 or IPv6; else 0. */
static gsize
ip_bytes(const address *addr, const guint8 **bytes)
{
    if ((addr->type == AT_IPv4 && addr->len == 4) || (addr->type == AT_IPv6 && addr->len == 16)) {
        *bytes = addr->data;
        return (gsize)addr->len;
    }
    return 0;
}

static void
put_be16(GChecksum *sha1, guint16 value)
{
    guint8 be[2] = { (guint8)(value >> 8), (guint8)value };

    g_checksum_update(sha1, be, sizeof be);
}

gboolean
community_id_v1(guint16 seed, guint8 ip_proto, gboolean with_ports, const address *a, guint16 port_a,
                const address *b, guint16 port_b, char text[COMMUNITY_ID_TEXT_LEN])
{
    const guint8 *first = NULL, *second = NULL;
    gsize len = ip_bytes(a, &first), len_b = ip_bytes(b, &second);
    guint16 port_first = port_a, port_second = port_b;
    guint8 tail[2] = { ip_proto, 0 };
    guint8 digest[20];
    gsize digest_len = sizeof digest;
    int order;
    GChecksum *sha1;
    gchar *b64;

    text[0] = '\0';
    if (len == 0 || len != len_b)
        return FALSE;
    order = memcmp(first, second, len);
    if (order > 0 || (order == 0 && (!with_ports || port_a >= port_b))) {
        const guint8 *swap = first;
        first = second;
        second = swap;
        port_first = port_b;
        port_second = port_a;
    }
    sha1 = g_checksum_new(G_CHECKSUM_SHA1);
    put_be16(sha1, seed);
    g_checksum_update(sha1, first, len);
    g_checksum_update(sha1, second, len);
    g_checksum_update(sha1, tail, sizeof tail);
    if (with_ports) {
        put_be16(sha1, port_first);
        put_be16(sha1, port_second);
    }
    g_checksum_get_digest(sha1, digest, &digest_len);
    g_checksum_free(sha1);
    b64 = g_base64_encode(digest, digest_len);
    g_snprintf(text, COMMUNITY_ID_TEXT_LEN, COMMUNITY_ID_PREFIX "%s", b64);
    g_free(b64);
    return TRUE;
}
