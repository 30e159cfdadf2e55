/* community_id.h
 * The Community ID (v1) of a stream: the flow hash Zeek, Suricata, Arkime
 * and Wireshark's communityid postdissector put on a flow, so that a row
 * of streams.csv joins their logs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_COMMUNITY_ID_H
#define FLOWSPLIT_COMMUNITY_ID_H

#include <glib.h>
#include <epan/address.h>

/* "1:" and the base64 of a SHA-1 digest (28 characters), and the NUL. */
#define COMMUNITY_ID_TEXT_LEN 31

/* The Community ID of the flow between (a, port_a) and (b, port_b) over IP
 * protocol ip_proto, with seed, into text. with_ports: the protocol's ports
 * are hashed (TCP, UDP, SCTP); without them only the addresses and the
 * protocol are, as the spec does for every other protocol (DCCP among
 * them). FALSE, and text empty, when the addresses are not both IPv4 or
 * both IPv6: the spec defines no other. */
gboolean community_id_v1(guint16 seed, guint8 ip_proto, gboolean with_ports, const address *a, guint16 port_a,
                         const address *b, guint16 port_b, char text[COMMUNITY_ID_TEXT_LEN]);

#endif /* FLOWSPLIT_COMMUNITY_ID_H */
