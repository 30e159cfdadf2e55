/* media_setup.h
 * Signs, in a TCP, UDP or SCTP payload, of a session description or media
 * setup: Wireshark 4.0 answers one by creating conversations whose second
 * address and port are wildcards, so that media from any peer to the
 * announced address and port shares one stream, across address pairs. The
 * partitioner keys frames by address pair, so a capture with one must go
 * to one tshark.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_MEDIA_SETUP_H
#define FLOWSPLIT_MEDIA_SETUP_H

#include <glib.h>

/* What p[0..len) sets up, as words for "frame N has ..." (e.g. "a session
 * description (SDP) that ..."), or NULL when no signature is in it. */
const char *media_setup_find(const guint8 *p, gsize len);

/* The same for what a transport's ports or a UDP payload's binary header
 * say: signalling Wireshark answers with such conversations (H.225/H.245,
 * Skinny, RPC portmap, ONC-RPC calls over UDP, CoAP, DOF). tcp: TCP, else
 * UDP. NULL when none. */
const char *media_setup_by_port(gboolean tcp, guint sport, guint dport, const guint8 *p, gsize len);

#endif /* FLOWSPLIT_MEDIA_SETUP_H */
