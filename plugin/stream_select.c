/* stream_select.c
 * Which TCP streams a display filter selects: every tcp.stream of every
 * frame that matches it, the same streams as
 * `tshark -Y FILTER -T fields -e tcp.stream` prints. A listener on the
 * `frame` tap whose filter is "(FILTER) && tcp.stream", so that the tree
 * holds the stream fields of the frames that pass.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "stream_select.h"

#include <epan/epan_dissect.h>
#include <epan/tap.h>

#include "ws_compat.h"

struct stream_select {
    int hf_tcp_stream;
    GHashTable *streams;
};

static tap_packet_status
stream_select_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt, const void *data _U_,
                     tap_flags_t flags _U_)
{
    stream_select *sel = tapdata;
    GPtrArray *fields = proto_get_finfo_ptr_array(edt->tree, sel->hf_tcp_stream);

    for (guint i = 0; fields != NULL && i < fields->len; i++) {
        guint32 stream = fvalue_get_uinteger(fs_field_value(g_ptr_array_index(fields, i)));
        g_hash_table_add(sel->streams, GUINT_TO_POINTER(stream));
    }
    return TAP_PACKET_DONT_REDRAW;
}

stream_select *
stream_select_new(const char *filter, char **error)
{
    stream_select *sel = g_new0(stream_select, 1);
    char *listener_filter = g_strdup_printf("(%s) && tcp.stream", filter);
    GString *err;

    sel->hf_tcp_stream = proto_registrar_get_id_byname("tcp.stream");
    sel->streams = g_hash_table_new(g_direct_hash, g_direct_equal);
    err = register_tap_listener("frame", sel, listener_filter, TL_REQUIRES_PROTO_TREE, NULL, stream_select_packet,
                                NULL, NULL);
    g_free(listener_filter);
    if (err != NULL) {
        *error = g_strdup_printf("flowsplit: the display filter \"%s\" is not valid: %s", filter, err->str);
        g_string_free(err, TRUE);
        g_hash_table_unref(sel->streams);
        g_free(sel);
        return NULL;
    }
    return sel;
}

GHashTable *
stream_select_streams(const stream_select *sel)
{
    return sel->streams;
}

void
stream_select_free(stream_select *sel)
{
    remove_tap_listener(sel);
    g_hash_table_unref(sel->streams);
    g_free(sel);
}
