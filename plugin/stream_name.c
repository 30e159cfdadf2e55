/* stream_name.c
 * Builds a stream's file name from its index, addresses and ports only:
 * nothing from a packet's payload reaches a path. The result is safe on
 * Linux, macOS and Windows: no '/', '\\', ':' or other reserved character,
 * never "." or "..", at most about 100 bytes; and never ';', which the
 * index uses to join the two files of a group=host stream. The names of
 * group files (group=) are built here too, from the same pieces.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "stream_name.h"

#include <epan/address_types.h>
#include <epan/to_str.h>

/* The address as text, only [A-Za-z0-9._] of it. */
static void
append_address(GString *name, const address *addr)
{
    char *text = (addr != NULL && addr->type != AT_NONE) ? address_to_str(NULL, addr) : NULL;

    if (text == NULL || *text == '\0') {
        g_string_append(name, "unknown");
    } else {
        for (const char *c = text; *c != '\0'; c++)
            g_string_append_c(name, (g_ascii_isalnum(*c) || *c == '.') ? *c : '_');
    }
    wmem_free(NULL, text);
}

static void
append_endpoint(GString *name, const address *addr, guint16 port)
{
    append_address(name, addr);
    g_string_append_printf(name, ".%u", port);
}

char *
stream_file_name(const char *transport, guint32 stream, const address *client, guint16 client_port,
                 const address *server, guint16 server_port)
{
    GString *name = g_string_sized_new(64);

    g_string_printf(name, "%s-%06u_", transport, stream);
    append_endpoint(name, client, client_port);
    g_string_append_c(name, '-');
    append_endpoint(name, server, server_port);
    return g_string_free(name, FALSE);
}

char *
stream_name_conversation(const address *a, const address *b)
{
    GString *name = g_string_new("conv-");

    append_address(name, a);
    g_string_append_c(name, '-');
    append_address(name, b);
    return g_string_free(name, FALSE);
}

char *
stream_name_host(const address *addr)
{
    GString *name = g_string_new("host-");

    append_address(name, addr);
    return g_string_free(name, FALSE);
}

char *
stream_name_server(const address *addr, guint16 port)
{
    GString *name = g_string_new("server-");

    append_endpoint(name, addr, port);
    return g_string_free(name, FALSE);
}
