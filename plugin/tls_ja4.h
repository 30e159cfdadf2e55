/* tls_ja4.h
 * The JA4 fingerprint of a ClientHello's raw bytes, for the Wireshark
 * versions that have no tls.handshake.ja4 field (4.0).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_TLS_JA4_H
#define FLOWSPLIT_TLS_JA4_H

#include <glib.h>

/* The JA4 of one ClientHello handshake message: msg starts at its type byte
 * (1) and holds len bytes (the message and maybe more after it).
 * transport: 't' (TCP), 'q' (QUIC), or '\0' when the frame has neither
 * (Wireshark then writes no transport character). NULL where Wireshark 4.6
 * gives no tls.handshake.ja4: not a ClientHello, a message cut short, or a
 * cipher suite or compression list whose length is out of bounds. g_free
 * the result. */
char *tls_ja4_client_hello(const guint8 *msg, gsize len, char transport);

#endif /* FLOWSPLIT_TLS_JA4_H */
