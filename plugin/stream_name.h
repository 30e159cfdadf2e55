/* stream_name.h
 * File names of stream files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_STREAM_NAME_H
#define FLOWSPLIT_STREAM_NAME_H

#include <glib.h>
#include <epan/address.h>

/* "tcp-000042_10.0.0.1.51234-93.184.216.34.443" (no extension): the
 * transport ("tcp", "udp", "dccp": a fixed name, never packet data), the
 * stream index zero-padded to six digits, then client and server as
 * address.port.
 * Only [A-Za-z0-9.] survive from an address; anything else (the ':' of
 * IPv6) becomes '_'. g_free the result. */
char *stream_file_name(const char *transport, guint32 stream, const address *client, guint16 client_port,
                       const address *server, guint16 server_port);

/* The names of group files (group=, no extension), from the same pieces
 * as a stream's, so with the same characters: "conv-A-B" (the caller
 * orders A and B), "host-A", "server-A.PORT". g_free the result. */
char *stream_name_conversation(const address *a, const address *b);
char *stream_name_host(const address *addr);
char *stream_name_server(const address *addr, guint16 port);

#endif /* FLOWSPLIT_STREAM_NAME_H */
