/* ws_compat.h
 * The few places where the Wireshark API differs between 4.0 and 4.6,
 * each behind one inline helper. FS_HAVE_* come from CMake feature probes
 * (cmake/FlowsplitProbes.cmake); everything else keys on the version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_WS_COMPAT_H
#define FLOWSPLIT_WS_COMPAT_H

#include <wireshark.h>
#include <epan/epan.h>
#include <epan/packet_info.h>
#include <epan/proto.h>
#include <wiretap/wtap.h>

#define FS_WS_VER (WIRESHARK_VERSION_MAJOR * 100 + WIRESHARK_VERSION_MINOR)

/* field_info.value: an embedded fvalue_t up to 4.2, a pointer from 4.4. */
static inline fvalue_t *
fs_field_value(field_info *fi)
{
#if FS_WS_VER >= 404
    return fi->value;
#else
    return &fi->value;
#endif
}

/* Name of a capture interface, or NULL when the file does not name it. */
static inline const char *
fs_interface_name(const epan_t *epan, guint32 interface_id, guint section)
{
    const char *name;
#ifdef FS_HAVE_IFNAME_SECTION
    name = epan_get_interface_name(epan, interface_id, section);
#else
    (void)section;
    name = epan_get_interface_name(epan, interface_id);
#endif
    if (name == NULL || strcmp(name, "unknown") == 0)
        return NULL;
    return name;
}

/* Calls fn for every frame number the current frame was reassembled from:
 * a GSList up to 4.2, a GHashTable of frame numbers from 4.4. */
typedef void (*fs_frame_num_fn)(guint32 num, void *user_data);

static inline void
fs_foreach_dependent_frame(const packet_info *pinfo, fs_frame_num_fn fn, void *user_data)
{
#ifdef FS_HAVE_DEPENDENT_FRAMES_HASH
    GHashTableIter iter;
    gpointer key;

    if (pinfo->dependent_frames == NULL)
        return;
    g_hash_table_iter_init(&iter, pinfo->dependent_frames);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        fn(GPOINTER_TO_UINT(key), user_data);
#else
    for (GSList *l = pinfo->dependent_frames; l != NULL; l = l->next)
        fn(GPOINTER_TO_UINT(l->data), user_data);
#endif
}

/* wtap_dump: the frame bytes are an argument up to 4.4 and live in the
 * record's own buffer from 4.6. */
static inline gboolean
fs_wtap_dump(wtap_dumper *wdh, wtap_rec *rec, const guint8 *data, int *err, gchar **err_info)
{
#ifdef FS_HAVE_WTAP_REC_DATA
    gboolean ok;
    ws_buffer_init(&rec->data, rec->rec_header.packet_header.caplen);
    ws_buffer_append(&rec->data, data, rec->rec_header.packet_header.caplen);
    ok = wtap_dump(wdh, rec, err, err_info);
    ws_buffer_free(&rec->data);
    return ok;
#else
    return wtap_dump(wdh, rec, data, err, err_info);
#endif
}

#endif /* FLOWSPLIT_WS_COMPAT_H */
