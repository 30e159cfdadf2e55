/* arena_writer.c
 * flowsplit's own writing of a stream file: its header, the input's
 * decryption secrets and names, new interfaces and frame records, encoded by
 * record_encoder.c into the write-behind arena (pending.c), each file's
 * bytes a chain in it, to be written a file at a time (flush_batch.c).
 *
 * A record of half the arena or more that does not fit in its free room
 * is written at once, after the file's waiting bytes, without emptying the
 * arena for it (buffer_mb=0 writes every frame at once). Nothing here
 * depends on how many files exist or are open.
 *
 * pcapng files begin with the input's section header and carry its
 * decryption secrets and name resolution, each before the first frame
 * written after it was read (capture_meta.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "writer_cache_int.h"

#include <string.h>

#include "capture_meta.h"
#include "write_all.h"

/* Writes the file's waiting bytes from the arena, now. */
gboolean
arena_write_chain(writer_cache *wc, stream_file *sf)
{
    if (!batch_finish(wc))
        return FALSE;
    if (pending_chain_is_empty(&sf->chain))
        return TRUE;
    if (!open_files_fd(wc, sf))
        return FALSE;
    if (!pending_write_chain(wc->pending, &sf->chain, sf->fd))
        return wc_set_errno_error(wc, "write", sf->name);
    return TRUE;
}

/* Room for len bytes that go after the file's other bytes: in the arena,
 * or, for a frame larger than the arena, in a buffer room_end() writes at
 * once. NULL when the split failed. */
static guint8 *
room_begin(writer_cache *wc, stream_file *sf, gsize len)
{
    guint8 *p = pending_append(wc->pending, &sf->chain, len);

    if (p == NULL && len < pending_capacity(wc->pending) / 2) {
        if (!batch_flush_all(wc, TRUE))
            return NULL;
        p = pending_append(wc->pending, &sf->chain, len);
    }
    if (p != NULL) {
        if (!sf->dirty) {
            sf->dirty = TRUE;
            g_ptr_array_add(wc->dirty, sf);
        }
        return p;
    }
    g_byte_array_set_size(wc->direct, (guint)len);
    return wc->direct->data;
}

/* Done with the room room_begin() gave: bytes in the direct buffer are
 * written now, after the file's waiting ones. */
static gboolean
room_end(writer_cache *wc, stream_file *sf, const guint8 *room)
{
    if (room != wc->direct->data)
        return TRUE;    /* in the arena */
    if (!arena_write_chain(wc, sf) || !open_files_fd(wc, sf))
        return FALSE;
    if (!write_all(sf->fd, wc->direct->data, wc->direct->len))
        return wc_set_errno_error(wc, "write", sf->name);
    return TRUE;
}

static gboolean
queue_bytes(writer_cache *wc, stream_file *sf, const guint8 *bytes, gsize len)
{
    guint8 *p = room_begin(wc, sf, len);

    if (p == NULL)
        return FALSE;
    memcpy(p, bytes, len);
    return room_end(wc, sf, p);
}

/* The file header (pcap) or the section header and the interfaces known
 * so far (pcapng). */
static gboolean
queue_header(writer_cache *wc, stream_file *sf)
{
    const file_iface *first = &g_array_index(sf->ifaces, file_iface, 0);
    GByteArray *hdr = g_byte_array_new();
    gboolean ok;

    if (sf->format == FS_FORMAT_PCAP) {
        g_byte_array_set_size(hdr, PCAP_FILE_HEADER_LEN);
        if (!encoder_pcap_file_header(first->encap, first->tsprec == WTAP_TSPREC_NSEC, hdr->data)) {
            g_byte_array_free(hdr, TRUE);
            return wc_set_error(wc, g_strdup_printf("flowsplit: cannot write \"%s/%s\": wiretap cannot "
                                                    "write this link type to pcap", wc->dir_path, sf->name));
        }
    } else {
        const GByteArray *shb = capture_meta_shb_bytes(wc->meta);
        g_byte_array_append(hdr, shb->data, shb->len);
        for (guint i = 0; i < sf->ifaces->len; i++) {
            encoder_iface ei;
            file_ifaces_encoder(&g_array_index(sf->ifaces, file_iface, i), &ei);
            encoder_pcapng_iface(hdr, &ei);
        }
    }
    sf->header_queued = TRUE;
    ok = queue_bytes(wc, sf, hdr->data, hdr->len);
    g_byte_array_free(hdr, TRUE);
    return ok;
}

/* pcapng: the input's decryption secrets, then its name resolution, read
 * since the file's last frame, before the frame, where tshark -w writes
 * them (in that order, as Wireshark 4.4 and 4.6 do). */
static gboolean
queue_new_secrets(writer_cache *wc, stream_file *sf)
{
    const GArray *secrets = capture_meta_secrets(wc->meta);
    guint names = capture_meta_name_blocks(wc->meta)->len, len;
    GByteArray *blocks;
    gboolean ok;

    if (G_LIKELY(sf->secrets_written == secrets->len && sf->names_written == names))
        return TRUE;
    blocks = g_byte_array_new();
    for (; sf->secrets_written < secrets->len; sf->secrets_written++)
        encoder_pcapng_secrets(blocks, g_array_index(secrets, wtap_block_t, sf->secrets_written));
    if (sf->names_written < names) {
        const guint8 *nrbs = capture_meta_names(wc->meta, sf->names_written, &len);
        g_byte_array_append(blocks, nrbs, len);
        sf->names_written = names;
    }
    ok = queue_bytes(wc, sf, blocks->data, blocks->len);
    g_byte_array_free(blocks, TRUE);
    return ok;
}

/* pcapng: a new interface of the file, unless the header that will list it
 * is still to come. */
gboolean
arena_queue_iface(writer_cache *wc, stream_file *sf, const file_iface *fi)
{
    GByteArray *bytes;
    encoder_iface ei;
    gboolean ok;

    if (!sf->header_queued)
        return TRUE;
    bytes = g_byte_array_new();
    file_ifaces_encoder(fi, &ei);
    encoder_pcapng_iface(bytes, &ei);
    ok = queue_bytes(wc, sf, bytes->data, bytes->len);
    g_byte_array_free(bytes, TRUE);
    return ok;
}

/* Bytes of the frame's record as flowsplit encodes it, or 0 when wiretap
 * must write it: link types with a pseudo-header, packet options other
 * than comments, flags, drop count, packet id and queue, oversized
 * frames. */
gsize
arena_record_size(const stream_file *sf, const wtap_rec *rec, wtap_block_t block, int idx)
{
    const file_iface *fi = file_iface_at(sf, idx);

    if (!fi->encodable || rec->rec_header.packet_header.caplen > WRITER_MAX_FRAME)
        return 0;
    if (sf->format == FS_FORMAT_PCAP)
        return encoder_pcap_record_size(rec);
    return encoder_pcapng_packet_size(rec, block);
}

/* One record of size bytes (arena_record_size()) into the file, as its
 * interface idx, after the header and secrets it still lacks. */
gboolean
arena_write_record(writer_cache *wc, stream_file *sf, const wtap_rec *rec, const guint8 *data,
                   wtap_block_t block, int idx, gsize size)
{
    const file_iface *fi = file_iface_at(sf, idx);
    guint8 *p;

    if (!sf->header_queued && !queue_header(wc, sf))
        return FALSE;
    if (sf->format == FS_FORMAT_PCAPNG && !queue_new_secrets(wc, sf))
        return FALSE;
    p = room_begin(wc, sf, size);
    if (p == NULL)
        return FALSE;
    if (sf->format == FS_FORMAT_PCAP)
        encoder_pcap_record(p, rec, data, fi->tsprec == WTAP_TSPREC_NSEC);
    else
        encoder_pcapng_packet(p, size, rec, data, block, (guint32)idx, file_iface_tsresol_digits(fi->tsprec));
    return room_end(wc, sf, p);
}
