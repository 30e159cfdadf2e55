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
#include <epan/frame_data.h>
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

/* What a callback Wireshark calls returns for yes or no: gboolean up to
 * 4.2, C's bool from 4.4 (gcc 14 refuses a mismatched function pointer). */
#ifdef FS_HAVE_BOOL_CALLBACKS
typedef bool fs_callback_bool;
#else
typedef gboolean fs_callback_bool;
#endif

/* What a button of a funnel text window returns (Wireshark ignores it):
 * gboolean on 4.0, bool from 4.4 (FS_HAVE_FUNNEL_BOOL_BUTTON). */
#ifdef FS_HAVE_FUNNEL_BOOL_BUTTON
typedef bool fs_button_bool;
#else
typedef gboolean fs_button_bool;
#endif

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

/* The frame numbers the current frame was reassembled from: a GSList in
 * packet_info up to 4.2, a GHashTable there, then in frame_data from 4.4. */
#if defined(FS_HAVE_FD_DEPENDENT_FRAMES)
#define FS_DEPENDENT_FRAMES(pinfo) ((pinfo)->fd->dependent_frames)
#else
#define FS_DEPENDENT_FRAMES(pinfo) ((pinfo)->dependent_frames)
#endif

static inline gboolean
fs_has_dependent_frames(const packet_info *pinfo)
{
    return FS_DEPENDENT_FRAMES(pinfo) != NULL;
}

typedef void (*fs_frame_num_fn)(guint32 num, void *user_data);

/* Calls fn for every frame number the current frame was reassembled from. */
static inline void
fs_foreach_dependent_frame(const packet_info *pinfo, fs_frame_num_fn fn, void *user_data)
{
#if defined(FS_HAVE_FD_DEPENDENT_FRAMES) || defined(FS_HAVE_DEPENDENT_FRAMES_HASH)
    GHashTableIter iter;
    gpointer key;

    if (FS_DEPENDENT_FRAMES(pinfo) == NULL)
        return;
    g_hash_table_iter_init(&iter, FS_DEPENDENT_FRAMES(pinfo));
    while (g_hash_table_iter_next(&iter, &key, NULL))
        fn(GPOINTER_TO_UINT(key), user_data);
#else
    for (GSList *l = FS_DEPENDENT_FRAMES(pinfo); l != NULL; l = l->next)
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

/* A record read back with wtap_read(): 4.6 keeps its bytes in the record's
 * own buffer, earlier versions in a Buffer beside it. */
typedef struct {
    wtap_rec rec;
#ifndef FS_HAVE_WTAP_REC_DATA
    Buffer buf;
#endif
} fs_read_record;

static inline void
fs_read_record_init(fs_read_record *r)
{
#ifdef FS_HAVE_WTAP_REC_DATA
    wtap_rec_init(&r->rec, 1514);
#else
    wtap_rec_init(&r->rec);
    ws_buffer_init(&r->buf, 1514);
#endif
}

static inline gboolean
fs_wtap_read(wtap *wth, fs_read_record *r, int *err, gchar **err_info, gint64 *offset)
{
#ifdef FS_HAVE_WTAP_REC_DATA
    return wtap_read(wth, &r->rec, err, err_info, offset);
#else
    return wtap_read(wth, &r->rec, &r->buf, err, err_info, offset);
#endif
}

static inline const guint8 *
fs_read_record_data(fs_read_record *r)
{
#ifdef FS_HAVE_WTAP_REC_DATA
    return ws_buffer_start_ptr(&r->rec.data);
#else
    return ws_buffer_start_ptr(&r->buf);
#endif
}

static inline void
fs_read_record_cleanup(fs_read_record *r)
{
    wtap_rec_cleanup(&r->rec);
#ifndef FS_HAVE_WTAP_REC_DATA
    ws_buffer_free(&r->buf);
#endif
}

/* The wiretap session of the capture file a dissection reads (tshark's or
 * Wireshark's), or NULL. epan offers no accessor for it, but every epan
 * session starts with the packet provider it was made with (struct
 * epan_session in epan.c, the same from 3.x to 4.6), and cfile.h, which
 * Wireshark installs, declares that provider. Without cfile.h the split
 * does without the file's section header and secrets. */
#ifdef FS_HAVE_PROVIDER_WTH
#include <cfile.h>
#endif

static inline wtap *
fs_capture_wtap(const epan_t *epan)
{
#ifdef FS_HAVE_PROVIDER_WTH
    const struct packet_provider_data *prov;

    if (epan == NULL)
        return NULL;
    prov = *(struct packet_provider_data *const *)(const void *)epan;
    return prov != NULL ? prov->wth : NULL;
#else
    (void)epan;
    return NULL;
#endif
}

/* The number of the first frame after num that the capture file holds
 * and a dissection of it reaches (not ignored), or 0 when there is none or
 * the reader keeps no list of frames: Wireshark keeps one (its provider's
 * frame sequence, the same from 3.x to 4.6), tshark's one pass does not. */
static inline guint32
fs_capture_frame_after(const epan_t *epan, guint32 num)
{
#ifdef FS_HAVE_PROVIDER_WTH
    const struct packet_provider_data *prov;
    frame_data *fd;

    if (epan == NULL)
        return 0;
    prov = *(struct packet_provider_data *const *)(const void *)epan;
    if (prov == NULL || prov->frames == NULL)
        return 0;
    while ((fd = frame_data_sequence_find(prov->frames, ++num)) != NULL) {
        if (!fd->ignored)
            return num;
    }
    return 0;
#else
    (void)epan;
    (void)num;
    return 0;
#endif
}

/* The input's Name Resolution Blocks as wiretap keeps them while it reads
 * (a growing array), and the same array given to a dumper, which writes
 * the ones it has not written yet before its next packet. Wireshark 4.0
 * has neither (its tshark -w writes no input NRB): NULL, and nothing set. */
static inline const GArray *
fs_dump_params_names(const wtap_dump_params *params)
{
#ifdef FS_HAVE_DUMP_NRBS_GROWING
    return params->nrbs_growing;
#else
    (void)params;
    return NULL;
#endif
}

static inline void
fs_dump_params_set_names(wtap_dump_params *params, const GArray *nrbs)
{
#ifdef FS_HAVE_DUMP_NRBS_GROWING
    params->nrbs_growing = nrbs;
#else
    (void)params;
    (void)nrbs;
#endif
}

/* How many DCCP stream indexes the dissection has handed out, or -1 where
 * the counter is not exported (4.6; TCP's and UDP's are on every version). */
#ifdef FS_HAVE_DCCP_STREAM_COUNT
#include <epan/dissectors/packet-dccp.h>
#endif

static inline gint64
fs_dccp_stream_count(void)
{
#ifdef FS_HAVE_DCCP_STREAM_COUNT
    return get_dccp_stream_count();
#else
    return -1;
#endif
}

#endif /* FLOWSPLIT_WS_COMPAT_H */
