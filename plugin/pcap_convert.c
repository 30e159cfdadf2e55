/* pcap_convert.c
 * format=pcap holds one link type, one time resolution and no packet
 * options per file. When a stream brings a frame that pcap cannot hold
 * exactly (another link type, a finer time stamp, a comment or any other
 * packet option, or the capture has decryption secrets), its file is
 * rewritten as pcapng (NAME.pcapng replaces NAME.pcap) and continues as
 * pcapng, so no frame and no option is lost; the summary counts such
 * files. Should the split fail before the copy is whole, the pcap file
 * stays the stream's file (pcap_undo_conversion).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "writer_cache_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <wsutil/wslog.h>
#include <wiretap/wtap_opttypes.h>

#include "capture_meta.h"
#include "ws_compat.h"

static fs_callback_bool
note_option(wtap_block_t block _U_, guint option_id _U_, wtap_opttype_e type _U_, wtap_optval_t *v _U_,
            void *user_data)
{
    *(gboolean *)user_data = TRUE;
    return FALSE;   /* one is enough */
}

/* Does the packet block carry any option (comment, flags, hash, ...)? A
 * pcap record holds none. */
static gboolean
block_has_options(wtap_block_t block)
{
    gboolean any = FALSE;

    wtap_block_foreach_option(block, note_option, &any);
    return any;
}

/* Can this stream's pcap file hold the frame exactly? */
gboolean
pcap_can_hold(const writer_cache *wc, const stream_file *sf, const frame_record *fr)
{
    const wtap_packet_header *ph = &fr->rec->rec_header.packet_header;
    const file_iface *have;
    int tsprec;

    if (fr->block != NULL && block_has_options(fr->block))
        return FALSE;
    if (capture_meta_secrets(wc->meta)->len > 0)
        return FALSE;   /* nor the capture's decryption secrets */
    if (sf->ifaces->len == 0)
        return wtap_dump_can_write_encap(wtap_pcap_file_type_subtype(), ph->pkt_encap);
    have = file_iface_at(sf, 0);
    if (have->encap != ph->pkt_encap)
        return FALSE;
    tsprec = fr->rec->tsprec;
    return have->tsprec == WTAP_TSPREC_NSEC
           || (file_iface_tsresol_digits(tsprec) != NSEC_DIGITS && tsprec <= have->tsprec);
}

/* The stream's file becomes NAME.pcapng, not yet created, written by
 * flowsplit; sf->converting_from keeps the pcap file's name. */
static void
rename_to_pcapng(stream_file *sf)
{
    char *base = g_strndup(sf->name, strlen(sf->name) - strlen(".pcap"));

    sf->converting_from = sf->name;
    sf->name = g_strconcat(base, ".pcapng", NULL);
    g_free(base);
    sf->format = FS_FORMAT_PCAPNG;
    sf->created = FALSE;
    sf->header_queued = FALSE;
    sf->via_wiretap = FALSE;
}

/* Every record of the pcap file being read, written to the stream's file. */
static gboolean
copy_records(writer_cache *wc, stream_file *sf, wtap *wth)
{
    fs_read_record rr;
    int err = 0;
    char *err_info = NULL;
    gint64 offset;
    gboolean ok = TRUE;

    fs_read_record_init(&rr);
    while (ok && fs_wtap_read(wth, &rr, &err, &err_info, &offset)) {
        ok = wc_write_record(wc, sf, &rr.rec, fs_read_record_data(&rr), NULL, 0);
        wtap_rec_reset(&rr.rec);    /* each read gives the record a packet block of its own */
    }
    if (ok && err != 0)
        ok = wc_set_wtap_error(wc, "read back", sf->converting_from, err, err_info);
    fs_read_record_cleanup(&rr);
    return ok;
}

/* The copy is whole: the pcap file goes, and the pcapng file counts as the
 * stream's file. */
static gboolean
remove_pcap(writer_cache *wc, stream_file *sf, const char *old_path)
{
    if (unlinkat(wc->dir_fd, sf->converting_from, 0) != 0)
        return wc_set_error(wc, g_strdup_printf("flowsplit: cannot remove \"%s\": %s", old_path,
                                                g_strerror(errno)));
    ws_debug("converted %s to %s", sf->converting_from, sf->name);
    g_clear_pointer(&sf->converting_from, g_free);
    wc->stats.files--;      /* the same stream's file, counted once */
    wc->stats.converted++;
    sf->converted = TRUE;
    return TRUE;
}

/* Copies every record of the pcap file into NAME.pcapng, which then
 * continues as the stream's file. Until the copy is whole and the pcap
 * file removed, sf->converting_from names the pcap file: should anything
 * fail before, the repair keeps it and removes the pcapng file
 * (pcap_undo_conversion), so a stream never has two files. */
gboolean
pcap_convert_to_pcapng(writer_cache *wc, stream_file *sf)
{
    gboolean had_bytes = sf->header_queued || sf->created;
    char *old_path;
    wtap *wth;
    int err = 0;
    char *err_info = NULL;
    gboolean ok;

    if (!arena_write_chain(wc, sf) || !open_files_close(wc, sf, "closed to convert"))
        return FALSE;
    rename_to_pcapng(sf);
    if (!had_bytes) {
        g_clear_pointer(&sf->converting_from, g_free);    /* nothing was written: no pcap file */
        return TRUE;
    }
    old_path = g_build_filename(wc->dir_path, sf->converting_from, NULL);
    wth = wtap_open_offline(old_path, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
    if (wth == NULL) {
        ok = wc_set_wtap_error(wc, "read back", sf->converting_from, err, err_info);
    } else {
        /* Read to the end, the pcap file is removed before it is closed. */
        ok = copy_records(wc, sf, wth) && arena_write_chain(wc, sf) && remove_pcap(wc, sf, old_path);
        wtap_close(wth);
    }
    g_free(old_path);
    return ok;
}

/* A conversion to pcapng that failed before it was whole: the pcap file
 * stays the stream's file, and the pcapng file begun from it goes. */
void
pcap_undo_conversion(writer_cache *wc, stream_file *sf)
{
    if (sf->created && unlinkat(wc->dir_fd, sf->name, 0) == 0)
        wc->stats.files--;
    g_free(sf->name);
    sf->name = sf->converting_from;
    sf->converting_from = NULL;
    sf->format = FS_FORMAT_PCAP;
    sf->created = TRUE;
}
