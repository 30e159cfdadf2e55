/* stream_select.c
 * Which streams a display filter selects: every tcp.stream (and with
 * proto=udp, dccp every udp.stream, dccp.stream) of every frame that
 * matches it, the same streams as `tshark -Y FILTER -T fields -e
 * tcp.stream -e udp.stream -e dccp.stream` prints. A listener on the
 * `frame` tap whose filter is "(FILTER) && (tcp.stream || udp.stream ||
 * dccp.stream)" (the stream fields of the transports split), so that the
 * tree holds the stream fields of the frames that pass.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "stream_select.h"

#include <epan/epan_dissect.h>
#include <epan/tap.h>

#include "ws_compat.h"

struct stream_select {
    int hf_stream[FS_TRANSPORT_COUNT];      /* -1: transport not split */
    GHashTable *streams[FS_TRANSPORT_COUNT];
};

static tap_packet_status
stream_select_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt, const void *data _U_,
                     tap_flags_t flags _U_)
{
    stream_select *sel = tapdata;

    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        GPtrArray *fields = sel->hf_stream[t] >= 0 ? proto_get_finfo_ptr_array(edt->tree, sel->hf_stream[t]) : NULL;

        for (guint i = 0; fields != NULL && i < fields->len; i++) {
            guint32 stream = fvalue_get_uinteger(fs_field_value(g_ptr_array_index(fields, i)));
            g_hash_table_add(sel->streams[t], GUINT_TO_POINTER(stream));
        }
    }
    return TAP_PACKET_DONT_REDRAW;
}

static void
stream_select_clear(stream_select *sel)
{
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++)
        g_hash_table_unref(sel->streams[t]);
    g_free(sel);
}

stream_select *
stream_select_new(const char *filter, guint transports, char **error)
{
    stream_select *sel = g_new0(stream_select, 1);
    GString *listener_filter = g_string_new(NULL);
    GString *err;

    const char *separator = "";

    g_string_printf(listener_filter, "(%s) && (", filter);
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        const char *field = options_transport_stream_field(t);

        sel->streams[t] = g_hash_table_new(g_direct_hash, g_direct_equal);
        sel->hf_stream[t] = -1;
        if (transports & FS_TRANSPORT_BIT(t)) {
            sel->hf_stream[t] = proto_registrar_get_id_byname(field);
            g_string_append_printf(listener_filter, "%s%s", separator, field);
            separator = " || ";
        }
    }
    g_string_append_c(listener_filter, ')');
    err = register_tap_listener("frame", sel, listener_filter->str, TL_REQUIRES_PROTO_TREE, NULL,
                                stream_select_packet, NULL, NULL);
    g_string_free(listener_filter, TRUE);
    if (err != NULL) {
        *error = g_strdup_printf("flowsplit: the display filter \"%s\" is not valid: %s", filter, err->str);
        g_string_free(err, TRUE);
        stream_select_clear(sel);
        return NULL;
    }
    return sel;
}

gboolean
stream_select_matched(const stream_select *sel, fs_transport t, guint32 stream)
{
    return g_hash_table_contains(sel->streams[t], GUINT_TO_POINTER(stream));
}

void
stream_select_free(stream_select *sel)
{
    remove_tap_listener(sel);
    stream_select_clear(sel);
}
