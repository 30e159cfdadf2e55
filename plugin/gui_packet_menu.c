/* gui_packet_menu.c
 * Right-click a packet > "Export this TCP stream" (and "... UDP stream",
 * "... DCCP stream", each shown only when the packet has that transport's
 * stream field): exports the stream the packet belongs to, with its row of
 * streams.csv, in one re-read, as streams=N with proto= of that transport
 * (the same code as tshark's split). A packet that carries several streams
 * of the transport (TCP in a tunnel, an ICMP error quoting a connection)
 * exports all of them, as streams=N,M.
 *
 * The export goes to a folder of its own inside the export folder, named
 * after what it holds (tcp-stream-5, tcp-streams-3_7), so exports of
 * different streams sit side by side; exporting the same stream again
 * asks before replacing it (gui_export.c). Format and folder come from
 * the preferences.
 *
 * Wireshark 4.2 added packet menus (FS_HAVE_FUNNEL_PACKET_MENU); on 4.0
 * this file registers nothing. Wireshark g_free()s an entry's callback
 * data when it drops its menus, so each transport has a callback of its
 * own and no data.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "gui_packet_menu.h"

#include <string.h>

#include <epan/funnel.h>

#include "gui_export.h"
#include "gui_prefs.h"
#include "options.h"
#include "ws_compat.h"

#ifdef FS_HAVE_FUNNEL_PACKET_MENU

static gint
compare_streams(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

    return x < y ? -1 : x > y;
}

/* The transport's stream numbers among the packet's fields, ascending,
 * each once. */
static GArray *
packet_streams(GPtrArray *finfos, fs_transport t)
{
    const char *field = options_transport_stream_field(t);
    GArray *streams = g_array_new(FALSE, FALSE, sizeof(guint32));

    for (guint i = 0; finfos != NULL && i < finfos->len; i++) {
        field_info *fi = g_ptr_array_index(finfos, i);
        guint32 n;
        guint j;

        if (fi == NULL || fi->hfinfo == NULL || strcmp(fi->hfinfo->abbrev, field) != 0)
            continue;
        n = fvalue_get_uinteger(fs_field_value(fi));
        for (j = 0; j < streams->len && g_array_index(streams, guint32, j) != n; j++)
            ;
        if (j == streams->len)
            g_array_append_val(streams, n);
    }
    g_array_sort(streams, compare_streams);
    return streams;
}

/* "5" or "3,7" for streams=; with sep "_", part of the folder's name. */
static char *
stream_list_text(GArray *streams, const char *sep)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < streams->len; i++)
        g_string_append_printf(text, "%s%u", i > 0 ? sep : "", g_array_index(streams, guint32, i));
    return g_string_free(text, FALSE);
}

static void
export_packet_streams(GPtrArray *finfos, fs_transport t)
{
    GArray *streams = packet_streams(finfos, t);
    flowsplit_options opts;
    char *error = NULL;
    char *list, *name, *root, *folder;
    char *items[3];

    if (streams->len == 0) {
        g_array_free(streams, TRUE);
        return;
    }
    list = stream_list_text(streams, ",");
    name = stream_list_text(streams, "_");
    root = gui_prefs_folder();
    folder = g_strdup_printf("%s%c%s-stream%s-%s", root, G_DIR_SEPARATOR, options_transport_name(t),
                             streams->len > 1 ? "s" : "", name);
    items[0] = g_strconcat("out=", folder, NULL);
    items[1] = g_strconcat("proto=", options_transport_name(t), NULL);
    items[2] = g_strconcat("streams=", list, NULL);
    if (options_parse_strings(&opts, (const char *const *)items, G_N_ELEMENTS(items), &error)) {
        opts.format = gui_prefs_format();
        gui_export_run(&opts);
        options_clear(&opts);
    } else {
        ws_warning("%s", error);
        g_free(error);
    }
    for (guint i = 0; i < G_N_ELEMENTS(items); i++)
        g_free(items[i]);
    g_free(folder);
    g_free(root);
    g_free(name);
    g_free(list);
    g_array_free(streams, TRUE);
}

static void
export_tcp(void *data _U_, GPtrArray *finfos)
{
    export_packet_streams(finfos, FS_TRANSPORT_TCP);
}

static void
export_udp(void *data _U_, GPtrArray *finfos)
{
    export_packet_streams(finfos, FS_TRANSPORT_UDP);
}

static void
export_dccp(void *data _U_, GPtrArray *finfos)
{
    export_packet_streams(finfos, FS_TRANSPORT_DCCP);
}

void
gui_packet_menu_register(void)
{
    funnel_register_packet_menu("Export this TCP stream", "tcp.stream", export_tcp, NULL, FALSE);
    funnel_register_packet_menu("Export this UDP stream", "udp.stream", export_udp, NULL, FALSE);
    funnel_register_packet_menu("Export this DCCP stream", "dccp.stream", export_dccp, NULL, FALSE);
}

#else

void
gui_packet_menu_register(void)
{
}

#endif
