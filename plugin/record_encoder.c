/* record_encoder.c
 * Encodes the pcap and pcapng files flowsplit writes: pcap file headers
 * and records, pcapng Section Header, Interface Description, Decryption
 * Secrets and Enhanced Packet Blocks, in the host's byte order as wiretap
 * writes them.
 *
 * Writing the bytes here, into memory the writer cache owns, is what lets
 * thousands of files be written without a stdio buffer and a FILE each
 * (see arena_writer.c). Wiretap stays the authority on everything that is
 * not plain bytes: the link type number of a wiretap encapsulation and the
 * pcap file header are asked of wiretap itself (a header written through a
 * pipe, once per encapsulation), so is the section header (once per
 * split), and frames that need a pseudo-header or carry packet options not
 * handled here are left to wiretap by the caller.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "record_encoder.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <wiretap/wtap_opttypes.h>

#include "ws_compat.h"

static GHashTable *pcap_headers;     /* (encap << 1 | nsec) -> 24 bytes, or NULL if refused */

static gsize
padded4(gsize len)
{
    return (len + PCAPNG_BLOCK_ALIGN - 1) & ~(gsize)(PCAPNG_BLOCK_ALIGN - 1);
}

static guint8 *
put_u16(guint8 *p, guint16 v)
{
    memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

static guint8 *
put_u32(guint8 *p, guint32 v)
{
    memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

/* An option: code, length, value, zero padding to 4 bytes. */
static guint8 *
put_option(guint8 *p, guint16 code, const void *value, gsize len)
{
    gsize pad = padded4(len) - len;

    p = put_u16(p, code);
    p = put_u16(p, (guint16)len);
    if (len > 0)        /* an empty option may come with no value at all */
        memcpy(p, value, len);
    p += len;
    memset(p, 0, pad);
    return p + pad;
}

/* The pcap file header wiretap writes, read back from a pipe. */
static guint8 *
pcap_header_from_wiretap(int encap, gboolean nsec)
{
    int type = nsec ? wtap_pcap_nsec_file_type_subtype() : wtap_pcap_file_type_subtype();
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    guint8 *header = NULL;
    wtap_dumper *d;
    char *err_info = NULL;
    int err = 0, fds[2];

    if (!wtap_dump_can_write_encap(type, encap) || pipe(fds) != 0)
        return NULL;
    params.encap = encap;
    params.tsprec = nsec ? WTAP_TSPREC_NSEC : WTAP_TSPREC_USEC;
    d = wtap_dump_fdopen(fds[1], type, WTAP_UNCOMPRESSED, &params, &err, &err_info);
    if (d == NULL) {
        close(fds[1]);
    } else if (wtap_dump_close(d, NULL, &err, &err_info)) {
        header = g_malloc(PCAP_FILE_HEADER_LEN);
        if (read(fds[0], header, PCAP_FILE_HEADER_LEN) != PCAP_FILE_HEADER_LEN) {
            g_free(header);
            header = NULL;
        }
    }
    g_free(err_info);
    close(fds[0]);
    return header;
}

static const guint8 *
pcap_header(int encap, gboolean nsec)
{
    /* Unsigned: WTAP_ENCAP_PER_PACKET and the like are negative. */
    gpointer key = GUINT_TO_POINTER(((guint)encap << 1) | (nsec ? 1u : 0u));
    gpointer value;

    if (pcap_headers == NULL)
        pcap_headers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    if (!g_hash_table_lookup_extended(pcap_headers, key, NULL, &value)) {
        value = pcap_header_from_wiretap(encap, nsec);
        g_hash_table_insert(pcap_headers, key, value);
    }
    return value;
}

int
encoder_linktype(int encap)
{
    const guint8 *header = pcap_header(encap, FALSE);
    guint32 linktype;

    if (header == NULL)
        return -1;
    memcpy(&linktype, header + PCAP_HEADER_LINKTYPE_OFFSET, sizeof linktype);
    return (int)(linktype & PCAP_LINKTYPE_MASK);
}

gboolean
encoder_pcap_file_header(int encap, gboolean nsec, guint8 out[PCAP_FILE_HEADER_LEN])
{
    const guint8 *header = pcap_header(encap, nsec);

    if (header == NULL)
        return FALSE;
    memcpy(out, header, PCAP_FILE_HEADER_LEN);
    return TRUE;
}

gsize
encoder_pcap_record_size(const wtap_rec *rec)
{
    return PCAP_RECORD_HEADER_LEN + rec->rec_header.packet_header.caplen;
}

void
encoder_pcap_record(guint8 *out, const wtap_rec *rec, const guint8 *data, gboolean nsec)
{
    const wtap_packet_header *ph = &rec->rec_header.packet_header;
    guint8 *p = out;

    p = put_u32(p, (guint32)rec->ts.secs);
    /* Divided as a signed number, as wiretap does: a broken capture's
     * nanoseconds may be negative. */
    p = put_u32(p, nsec ? (guint32)rec->ts.nsecs : (guint32)(rec->ts.nsecs / 1000));
    p = put_u32(p, ph->caplen);
    p = put_u32(p, ph->len);
    memcpy(p, data, ph->caplen);
}

static void
append_block(GByteArray *out, guint32 type, const guint8 *body, gsize body_len)
{
    guint8 head[PCAPNG_BLOCK_HEADER_LEN], tail[PCAPNG_BLOCK_TRAILER_LEN];
    guint32 total = (guint32)(sizeof head + body_len + sizeof tail);

    put_u32(put_u32(head, type), total);
    put_u32(tail, total);
    g_byte_array_append(out, head, sizeof head);
    g_byte_array_append(out, body, (guint)body_len);
    g_byte_array_append(out, tail, sizeof tail);
}

/* Blocks only wiretap encodes (a section header's options, the records of
 * a Name Resolution Block) are asked of wiretap itself: a pcapng dumper
 * writes into an unnamed temporary file, not a pipe, which a long comment
 * could fill before anyone reads it; the blocks wanted are then copied out
 * of that file. */
static wtap_dumper *
scratch_dumper(FILE *tmp, wtap_dump_params *params)
{
    wtap_dumper *d = NULL;
    char *err_info = NULL;
    int err = 0, fd = dup(fileno(tmp));

    if (fd < 0)
        return NULL;
    params->encap = WTAP_ENCAP_ETHERNET;   /* any: wiretap refuses none at all */
    params->tsprec = WTAP_TSPREC_NSEC;
    d = wtap_dump_fdopen(fd, wtap_pcapng_file_type_subtype(), WTAP_UNCOMPRESSED, params, &err, &err_info);
    if (d == NULL)
        close(fd);
    g_free(err_info);
    return d;
}

/* Closes d and appends every block of that type it wrote to out (the
 * first only if first_only); nothing when any of it fails. */
static void
copy_scratch_blocks(wtap_dumper *d, FILE *tmp, guint32 type, gboolean first_only, GByteArray *out)
{
    char *err_info = NULL;
    guint32 head[2];
    guint kept = out->len;
    int err = 0;

    if (!wtap_dump_close(d, NULL, &err, &err_info) || fseek(tmp, 0, SEEK_SET) != 0) {
        g_free(err_info);
        return;
    }
    while (fread(head, sizeof head, 1, tmp) == 1 && head[1] >= PCAPNG_BLOCK_MIN_LEN) {
        if (head[0] != type) {
            if (fseek(tmp, (long)head[1] - (long)sizeof head, SEEK_CUR) != 0)
                break;
            continue;
        }
        g_byte_array_set_size(out, kept + head[1]);
        memcpy(out->data + kept, head, sizeof head);
        if (fread(out->data + kept + sizeof head, head[1] - sizeof head, 1, tmp) != 1) {
            g_byte_array_set_size(out, kept);
            break;
        }
        kept = out->len;
        if (first_only)
            break;
    }
}

/* The Section Header Block wiretap writes for shb_hdrs (the interface
 * wiretap adds for the encapsulation it is given follows, and is left
 * out). Nothing when that fails. */
void
encoder_pcapng_section(GByteArray *out, GArray *shb_hdrs)
{
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    FILE *tmp = tmpfile();
    wtap_dumper *d;

    if (tmp == NULL)
        return;
    params.shb_hdrs = shb_hdrs;
    d = scratch_dumper(tmp, &params);
    if (d != NULL)
        copy_scratch_blocks(d, tmp, PCAPNG_SHB_TYPE, TRUE, out);
    fclose(tmp);
}

/* The Name Resolution Block(s) wiretap writes for nrb (as tshark -w
 * writes an input's NRB: its own encoding, one name per record). A dumper
 * writes its growing NRBs before its next packet, so one empty Ethernet
 * frame is written after them, and left out. */
void
encoder_pcapng_names(GByteArray *out, wtap_block_t nrb)
{
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    GArray *one = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    static const guint8 frame[14];
    FILE *tmp = tmpfile();
    wtap_dumper *d = NULL;
    char *err_info = NULL;
    int err = 0;
    wtap_rec rec;

    g_array_append_val(one, nrb);
    fs_dump_params_set_names(&params, one);
    if (tmp != NULL)
        d = scratch_dumper(tmp, &params);
    if (d != NULL) {
        memset(&rec, 0, sizeof rec);
        rec.rec_type = REC_TYPE_PACKET;
        rec.presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN;
        rec.rec_header.packet_header.caplen = sizeof frame;
        rec.rec_header.packet_header.len = sizeof frame;
        rec.rec_header.packet_header.pkt_encap = WTAP_ENCAP_ETHERNET;
        if (fs_wtap_dump(d, &rec, frame, &err, &err_info)) {
            copy_scratch_blocks(d, tmp, PCAPNG_NRB_TYPE, FALSE, out);
        } else {
            g_free(err_info);   /* the close may fill it again */
            err_info = NULL;
            wtap_dump_close(d, NULL, &err, &err_info);
        }
    }
    g_free(err_info);
    g_array_free(one, TRUE);
    if (tmp != NULL)
        fclose(tmp);
}

/* A Decryption Secrets Block, as wiretap writes one: no options. */
void
encoder_pcapng_secrets(GByteArray *out, wtap_block_t dsb)
{
    const wtapng_dsb_mandatory_t *m = (const wtapng_dsb_mandatory_t *)wtap_block_get_mandatory_data(dsb);
    gsize len = PCAPNG_DSB_FIXED_LEN + padded4(m->secrets_len);
    guint8 *body = g_malloc0(len);

    put_u32(put_u32(body, m->secrets_type), m->secrets_len);
    if (m->secrets_len > 0)
        memcpy(body + PCAPNG_DSB_FIXED_LEN, m->secrets_data, m->secrets_len);
    append_block(out, PCAPNG_DSB_TYPE, body, len);
    g_free(body);
}

void
encoder_pcapng_iface(GByteArray *out, const encoder_iface *iface)
{
    gsize name_len = iface->name ? strlen(iface->name) : 0;
    /* The fixed part, then if_name, if_tsresol (one byte) and the end. */
    guint8 *body = g_malloc0(PCAPNG_IDB_FIXED_LEN + PCAPNG_OPT_HEADER_LEN + padded4(name_len)
                             + PCAPNG_OPT_HEADER_LEN + padded4(1) + PCAPNG_OPT_HEADER_LEN);
    guint8 *p = body;

    p = put_u16(p, (guint16)iface->linktype);
    p = put_u16(p, 0);
    p = put_u32(p, 0);  /* snap length: none, as flowsplit's IDBs always said */
    if (iface->name != NULL)
        p = put_option(p, PCAPNG_OPT_IF_NAME, iface->name, name_len);
    p = put_option(p, PCAPNG_OPT_IF_TSRESOL, &iface->tsresol_digits, 1);
    p = put_option(p, PCAPNG_OPT_ENDOFOPT, NULL, 0);
    append_block(out, PCAPNG_IDB_TYPE, body, (gsize)(p - body));
    g_free(body);
}

/* Packet options: sized in a first pass, written in a second. */
typedef struct {
    gsize size;         /* encoded options, end-of-options excluded */
    gboolean unknown;   /* an option not written here */
    guint8 *out;        /* second pass: where the next option goes */
} option_walk;

static gboolean
option_value(guint option_id, wtap_opttype_e type, const wtap_optval_t *v, const void **value, gsize *len)
{
    switch (option_id) {
    case OPT_COMMENT:
        if (type != WTAP_OPTTYPE_STRING || v->stringval == NULL)
            return FALSE;
        *value = v->stringval;
        *len = strlen(v->stringval);
        return *len <= G_MAXUINT16;
    case OPT_PKT_FLAGS:
    case OPT_PKT_QUEUE:
        if (type != WTAP_OPTTYPE_UINT32)
            return FALSE;
        *value = &v->uint32val;
        *len = sizeof v->uint32val;
        return TRUE;
    case OPT_PKT_DROPCOUNT:
    case OPT_PKT_PACKETID:
        if (type != WTAP_OPTTYPE_UINT64)
            return FALSE;
        *value = &v->uint64val;
        *len = sizeof v->uint64val;
        return TRUE;
    default:
        return FALSE;
    }
}

/* Sizes the option (first pass, walk->out NULL) or writes it (second). */
static fs_callback_bool
walk_option(wtap_block_t block _U_, guint option_id, wtap_opttype_e type, wtap_optval_t *v, void *user_data)
{
    option_walk *walk = user_data;
    const void *value;
    gsize len;

    if (!option_value(option_id, type, v, &value, &len)) {
        walk->unknown = TRUE;
        return walk->out != NULL;   /* sizing stops at the first unknown one */
    }
    if (walk->out != NULL)
        walk->out = put_option(walk->out, (guint16)option_id, value, len);
    else
        walk->size += PCAPNG_OPT_HEADER_LEN + padded4(len);
    return TRUE;
}

gsize
encoder_pcapng_packet_size(const wtap_rec *rec, wtap_block_t block)
{
    option_walk walk = { 0, FALSE, NULL };
    gsize size = PCAPNG_EPB_FIXED_LEN + padded4(rec->rec_header.packet_header.caplen);

    if (block != NULL)
        wtap_block_foreach_option(block, walk_option, &walk);
    if (walk.unknown)
        return 0;
    if (walk.size > 0)
        size += walk.size + PCAPNG_OPT_HEADER_LEN;
    return size;
}

void
encoder_pcapng_packet(guint8 *out, gsize size, const wtap_rec *rec, const guint8 *data, wtap_block_t block,
                      guint32 iface_id, guint8 tsresol_digits)
{
    const wtap_packet_header *ph = &rec->rec_header.packet_header;
    guint64 units = 1, ts;
    gsize pad = padded4(ph->caplen) - ph->caplen;
    guint8 *p = out;

    for (guint8 i = 0; i < tsresol_digits; i++)
        units *= 10;
    /* wiretap's arithmetic to the bit, overflow included: a broken capture's
     * time stamps (negative, or nanoseconds past a second) come out as
     * tshark -w writes them. */
    ts = (guint64)rec->ts.secs * units + ((guint64)rec->ts.nsecs * units) / 1000000000;
    p = put_u32(p, PCAPNG_EPB_TYPE);
    p = put_u32(p, (guint32)size);
    p = put_u32(p, iface_id);
    p = put_u32(p, (guint32)(ts >> 32));
    p = put_u32(p, (guint32)ts);
    p = put_u32(p, ph->caplen);
    p = put_u32(p, ph->len);
    memcpy(p, data, ph->caplen);
    p += ph->caplen;
    memset(p, 0, pad);
    p += pad;
    if (size > PCAPNG_EPB_FIXED_LEN + padded4(ph->caplen)) {
        option_walk walk = { 0, FALSE, p };
        wtap_block_foreach_option(block, walk_option, &walk);
        p = put_option(walk.out, PCAPNG_OPT_ENDOFOPT, NULL, 0);
    }
    put_u32(p, (guint32)size);
}
