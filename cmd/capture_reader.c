/* capture_reader.c
 * Reads a pcap or pcapng capture, plain or gzip, as raw records: the
 * partitioner copies records byte for byte, so it must see them exactly as
 * they are in the file, and it must number frames exactly as tshark does.
 * Anything this reader is not sure wiretap would read the same way stops
 * it with CAPTURE_UNSAFE, naming the frame and what: one tshark is then
 * the safe answer, and its own error messages stay exact.
 *
 * The file is read through zlib's gzread(), which passes a plain file
 * through untouched, in large chunks into one buffer; records are handed
 * out as pointers into that buffer, so a record is never copied on the
 * way in.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "capture_reader.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

/* Reading in big chunks keeps the read() calls few; gzread() reads
 * straight into our buffer when the request is at least its own buffer. */
#define READ_CHUNK      (4u << 20)
#define GZ_BUFFER       (1u << 20)

/* wiretap refuses a frame bigger than this for every link type the
 * partitioner reads (wtap_max_snaplen_for_encap()). */
#define MAX_CAPLEN      262144u

/* pcapng blocks beyond this are refused by wiretap (or at least treated
 * differently across versions); a capture holding one goes to one tshark. */
#define MAX_BLOCK_LEN   (16u << 20)

#define PCAP_HEADER_LEN 24
#define PCAP_RECORD_HEADER_LEN 16

#define PCAPNG_SHB      0x0A0D0D0Au
#define PCAPNG_IDB      1u
#define PCAPNG_PB       2u      /* obsolete packet block */
#define PCAPNG_SPB      3u
#define PCAPNG_NRB      4u
#define PCAPNG_ISB      5u
#define PCAPNG_EPB      6u
#define PCAPNG_DSB      0x0Au
#define PCAPNG_BOM      0x1A2B3C4Du

/* LINKTYPE_PPP_WITH_DIR: wiretap takes its first byte (the direction) as
 * a pseudo-header, and the dissectors see the packet after it. */
#define LINKTYPE_PPP_WITH_DIR 204

typedef struct {
    guint link_type;
    guint32 snaplen;
} interface_info;

struct capture_reader {
    char *path;
    gzFile gz;
    guint8 *buf;
    gsize cap, pos, end;
    gboolean eof;
    gboolean started;
    capture_format format;
    /* pcap */
    gboolean swapped;
    gboolean usec_heuristics;   /* standard magic: wiretap guesses the variant */
    guint32 snaplen;
    guint link_type;
    /* pcapng: the current section's interfaces */
    GArray *interfaces;
    guint64 frames;
};

static guint32
get32(const capture_reader *r, const guint8 *p)
{
    guint32 v;

    memcpy(&v, p, 4);
    return r->swapped ? GUINT32_SWAP_LE_BE(v) : v;
}

static guint16
get16(const capture_reader *r, const guint8 *p)
{
    guint16 v;

    memcpy(&v, p, 2);
    return r->swapped ? GUINT16_SWAP_LE_BE(v) : v;
}

capture_reader *
capture_reader_open(const char *path, char **error)
{
    capture_reader *r;
    gzFile gz = gzopen(path, "rb");

    if (gz == NULL) {
        *error = g_strdup_printf("flowsplit: cannot read \"%s\": %s", path,
                                 errno ? g_strerror(errno) : "out of memory");
        return NULL;
    }
    gzbuffer(gz, GZ_BUFFER);
    r = g_new0(capture_reader, 1);
    r->path = g_strdup(path);
    r->gz = gz;
    r->cap = READ_CHUNK * 2;
    r->buf = g_malloc(r->cap);
    r->interfaces = g_array_new(FALSE, FALSE, sizeof(interface_info));
    return r;
}

void
capture_reader_close(capture_reader *r)
{
    if (r == NULL)
        return;
    gzclose(r->gz);
    g_array_free(r->interfaces, TRUE);
    g_free(r->buf);
    g_free(r->path);
    g_free(r);
}

capture_format
capture_reader_format(const capture_reader *r)
{
    return r->format;
}

/* A read error from zlib: an I/O error is a failure to read the file; a
 * damaged gzip stream is something tshark reports in its own words. */
static capture_status
read_error(capture_reader *r, char **error)
{
    int zerr;
    const char *msg = gzerror(r->gz, &zerr);

    if (zerr == Z_ERRNO) {
        *error = g_strdup_printf("flowsplit: cannot read \"%s\": %s", r->path, g_strerror(errno));
        return CAPTURE_FAILED;
    }
    *error = g_strdup_printf("flowsplit: \"%s\" is not a sound gzip stream after frame %" G_GUINT64_FORMAT
                             " (%s); splitting on one tshark", r->path, r->frames, msg);
    return CAPTURE_UNSAFE;
}

/* Makes at least n bytes available at r->buf + r->pos, reading more if
 * needed. CAPTURE_END when the file ends first (with fewer bytes). */
static capture_status
fill(capture_reader *r, gsize n, char **error)
{
    if (r->end - r->pos >= n)
        return CAPTURE_RECORD;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    if (n + READ_CHUNK > r->cap) {
        r->cap = n + READ_CHUNK;
        r->buf = g_realloc(r->buf, r->cap);
    }
    while (r->end < n && !r->eof) {
        gsize room = r->cap - r->end;
        int got = gzread(r->gz, r->buf + r->end, (unsigned)MIN(room, (gsize)G_MAXINT / 2));

        if (got < 0)
            return read_error(r, error);
        if (got == 0) {
            int zerr;

            gzerror(r->gz, &zerr);
            if (zerr != Z_OK)
                return read_error(r, error);
            r->eof = TRUE;
        }
        r->end += (gsize)got;
    }
    return r->end - r->pos >= n ? CAPTURE_RECORD : CAPTURE_END;
}

static capture_status
unsafe(capture_reader *r, char **error, const char *what)
{
    *error = g_strdup_printf("flowsplit: after frame %" G_GUINT64_FORMAT " of \"%s\", %s; splitting on one tshark",
                             r->frames, r->path, what);
    return CAPTURE_UNSAFE;
}

/* The end of the file inside a record or block: wiretap reports a cut-off
 * file, which one tshark reports best. */
static capture_status
truncated(capture_reader *r, char **error, capture_status st)
{
    if (st != CAPTURE_END)
        return st;
    return unsafe(r, error, "the file ends in the middle of a record");
}

/* --- pcap ---------------------------------------------------------------- */

static capture_status
pcap_open(capture_reader *r, guint32 magic, char **error)
{
    const guint8 *h;
    capture_status st = fill(r, PCAP_HEADER_LEN, error);
    guint32 network;

    if (st != CAPTURE_RECORD)
        return truncated(r, error, st);
    h = r->buf + r->pos;
    r->swapped = magic == 0xD4C3B2A1u || magic == 0x4D3CB2A1u;
    /* Only the standard microsecond magic makes wiretap guess among the
     * old variants (ss990417, Nokia) by looking at the first records, and
     * it does not guess on a pipe: every record must then look standard
     * (see pcap_next), so that a shard read from a pipe or from a file is
     * read as the whole capture was. */
    r->usec_heuristics = magic == 0xA1B2C3D4u || magic == 0xD4C3B2A1u;
    if (get16(r, h + 4) != 2 || get16(r, h + 6) != 4)
        return unsafe(r, error, "the pcap file header is not version 2.4");
    r->snaplen = get32(r, h + 16);
    network = get32(r, h + 20);
    /* The upper bits hold an FCS length and reserved bits: rare, and they
     * change what wiretap hands the dissectors. */
    if (network > 0xFFFFu)
        return unsafe(r, error, "the pcap link type field has FCS or reserved bits set");
    r->link_type = network;
    r->format = CAPTURE_FORMAT_PCAP;
    return CAPTURE_RECORD;
}

/* The pcap file header, handed out as the first (non-frame) record: every
 * shard begins with it, as every shard has every pcapng non-frame block. */
static capture_status
pcap_file_header(capture_reader *r, capture_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->raw = r->buf + r->pos;
    rec->raw_len = PCAP_HEADER_LEN;
    r->pos += PCAP_HEADER_LEN;
    return CAPTURE_RECORD;
}

static capture_status
pcap_next(capture_reader *r, capture_record *rec, char **error)
{
    const guint8 *h;
    guint32 usec, caplen, origlen;
    capture_status st = fill(r, PCAP_RECORD_HEADER_LEN, error);

    if (st == CAPTURE_END && r->end == r->pos)
        return CAPTURE_END;
    if (st != CAPTURE_RECORD)
        return truncated(r, error, st);
    h = r->buf + r->pos;
    usec = get32(r, h + 4);
    caplen = get32(r, h + 8);
    origlen = get32(r, h + 12);
    if (caplen > MAX_CAPLEN)
        return unsafe(r, error, "a record is bigger than wiretap reads (caplen over 262144)");
    /* What libpcap_try_record() counts against the standard variant. */
    if (r->usec_heuristics &&
        (usec >= 1000000u || caplen > r->snaplen || caplen > origlen || origlen > 128u * 1024 * 1024))
        return unsafe(r, error, "a record header looks non-standard (wiretap may guess another pcap variant)");
    st = fill(r, PCAP_RECORD_HEADER_LEN + (gsize)caplen, error);
    if (st != CAPTURE_RECORD)
        return truncated(r, error, st);
    h = r->buf + r->pos;
    rec->is_frame = TRUE;
    rec->raw = h;
    rec->raw_len = PCAP_RECORD_HEADER_LEN + (gsize)caplen;
    rec->link_type = r->link_type;
    rec->data = h + PCAP_RECORD_HEADER_LEN;
    rec->data_len = caplen;
    r->pos += rec->raw_len;
    return CAPTURE_RECORD;
}

/* --- pcapng -------------------------------------------------------------- */

/* Options from `p` to `end`: each must fit, as wiretap checks them. */
static gboolean
options_fit(const capture_reader *r, const guint8 *p, const guint8 *end)
{
    while (end - p >= 4) {
        guint16 code = get16(r, p), len = get16(r, p + 2);
        gsize padded = ((gsize)len + 3) & ~(gsize)3;

        p += 4;
        if (code == 0)
            return TRUE;
        if ((gsize)(end - p) < padded)
            return FALSE;
        p += padded;
    }
    return p == end;
}

static capture_status
shb(capture_reader *r, const guint8 *b, guint32 len, char **error)
{
    if (len < 28)
        return unsafe(r, error, "a pcapng section header block is too short");
    if (get16(r, b + 12) != 1 || get16(r, b + 14) != 0)
        return unsafe(r, error, "a pcapng section is not version 1.0");
    if (!options_fit(r, b + 24, b + len - 4))
        return unsafe(r, error, "a pcapng section header's options do not fit in it");
    g_array_set_size(r->interfaces, 0);
    return CAPTURE_RECORD;
}

static capture_status
idb(capture_reader *r, const guint8 *b, guint32 len, char **error)
{
    interface_info ii;

    if (len < 20)
        return unsafe(r, error, "a pcapng interface description block is too short");
    if (!options_fit(r, b + 16, b + len - 4))
        return unsafe(r, error, "a pcapng interface description's options do not fit in it");
    ii.link_type = get16(r, b + 8);
    ii.snaplen = get32(r, b + 12);
    g_array_append_val(r->interfaces, ii);
    return CAPTURE_RECORD;
}

static const interface_info *
interface(const capture_reader *r, guint32 id)
{
    return id < r->interfaces->len ? &g_array_index(r->interfaces, interface_info, id) : NULL;
}

/* The frame blocks: where the packet data is and on which interface. */
static capture_status
frame_block(capture_reader *r, guint32 type, const guint8 *b, guint32 len, capture_record *rec, char **error)
{
    const interface_info *ii;
    guint32 id, caplen, origlen;
    gsize fixed, padded;

    if (type == PCAPNG_SPB) {
        if (len < 16)
            return unsafe(r, error, "a pcapng simple packet block is too short");
        if ((ii = interface(r, 0)) == NULL)
            return unsafe(r, error, "a simple packet block comes before any interface description");
        origlen = get32(r, b + 8);
        caplen = MIN(origlen, len - 16);
        if (ii->snaplen != 0 && caplen > ii->snaplen)
            caplen = ii->snaplen;
        fixed = 12;
    } else {
        fixed = 28;
        if (len < 32)
            return unsafe(r, error, "a pcapng packet block is too short");
        id = type == PCAPNG_EPB ? get32(r, b + 8) : get16(r, b + 8);
        caplen = get32(r, b + 20);
        origlen = get32(r, b + 24);
        padded = ((gsize)caplen + 3) & ~(gsize)3;
        if ((ii = interface(r, id)) == NULL)
            return unsafe(r, error, "a packet block names an interface with no description in its section");
        if (caplen > len - 32 || padded > len - 32)
            return unsafe(r, error, "a packet block's captured length runs past the block");
        if (caplen > origlen)
            return unsafe(r, error, "a packet block's captured length is larger than its packet length");
        if (!options_fit(r, b + fixed + padded, b + len - 4))
            return unsafe(r, error, "a packet block's options do not fit in it");
    }
    if (caplen > MAX_CAPLEN)
        return unsafe(r, error, "a packet is bigger than wiretap reads (over 262144 bytes)");
    rec->is_frame = TRUE;
    rec->link_type = ii->link_type;
    rec->data = b + fixed;
    rec->data_len = caplen;
    return CAPTURE_RECORD;
}

static capture_status
pcapng_next(capture_reader *r, capture_record *rec, char **error)
{
    const guint8 *b;
    guint32 type, len;
    capture_status st = fill(r, 12, error);
    char what[96];

    if (st == CAPTURE_END && r->end == r->pos)
        return CAPTURE_END;
    if (st != CAPTURE_RECORD)
        return truncated(r, error, st);
    b = r->buf + r->pos;
    memcpy(&type, b, 4);            /* the SHB type reads the same in both orders */
    if (type == PCAPNG_SHB) {
        guint32 bom;

        memcpy(&bom, b + 8, 4);
        if (bom == PCAPNG_BOM)
            r->swapped = FALSE;
        else if (bom == GUINT32_SWAP_LE_BE(PCAPNG_BOM))
            r->swapped = TRUE;
        else
            return unsafe(r, error, "a pcapng section header has no byte-order magic");
    } else {
        type = get32(r, b);
    }
    len = get32(r, b + 4);
    if (len < 12 || len % 4 != 0 || len > MAX_BLOCK_LEN)
        return unsafe(r, error, "a pcapng block has a bad length");
    st = fill(r, len, error);
    if (st != CAPTURE_RECORD)
        return truncated(r, error, st);
    b = r->buf + r->pos;
    if (get32(r, b + len - 4) != len)
        return unsafe(r, error, "a pcapng block's trailing length differs from its leading one");
    memset(rec, 0, sizeof *rec);
    switch (type) {
    case PCAPNG_SHB:
        st = shb(r, b, len, error);
        break;
    case PCAPNG_IDB:
        st = idb(r, b, len, error);
        break;
    case PCAPNG_EPB:
    case PCAPNG_SPB:
    case PCAPNG_PB:
        st = frame_block(r, type, b, len, rec, error);
        break;
    case PCAPNG_NRB:
    case PCAPNG_ISB:
    case PCAPNG_DSB:
        st = CAPTURE_RECORD;
        break;
    default:
        /* Systemd journal exports, custom blocks and unknown ones: tshark
         * versions differ on whether they are frames, so numbering them
         * is not ours to guess. */
        g_snprintf(what, sizeof what, "a pcapng block of type 0x%X (not a packet, interface, statistics, "
                   "name or secrets block)", type);
        return unsafe(r, error, what);
    }
    if (st != CAPTURE_RECORD)
        return st;
    rec->raw = b;
    rec->raw_len = len;
    r->pos += len;
    return CAPTURE_RECORD;
}

/* --- both ---------------------------------------------------------------- */

static capture_status
start(capture_reader *r, char **error)
{
    guint32 magic;
    capture_status st = fill(r, 4, error);

    if (st == CAPTURE_FAILED)
        return st;
    if (st == CAPTURE_END)
        return unsafe(r, error, "the file is too short to be a capture");
    memcpy(&magic, r->buf + r->pos, 4);
    switch (magic) {
    case 0xA1B2C3D4u: case 0xD4C3B2A1u:     /* microseconds */
    case 0xA1B23C4Du: case 0x4D3CB2A1u:     /* nanoseconds */
        return pcap_open(r, magic, error);
    case PCAPNG_SHB:
        r->format = CAPTURE_FORMAT_PCAPNG;
        return CAPTURE_RECORD;
    default:
        /* A pcap variant (modified, Ixia, ...) or another of the many
         * formats wiretap reads. */
        return unsafe(r, error, "the file is neither standard pcap nor pcapng");
    }
}

capture_status
capture_reader_next(capture_reader *r, capture_record *rec, char **error)
{
    capture_status st;

    if (!r->started) {
        r->started = TRUE;
        if ((st = start(r, error)) != CAPTURE_RECORD)
            return st;
        if (r->format == CAPTURE_FORMAT_PCAP)
            return pcap_file_header(r, rec);
    }
    st = r->format == CAPTURE_FORMAT_PCAP ? pcap_next(r, rec, error) : pcapng_next(r, rec, error);
    if (st != CAPTURE_RECORD || !rec->is_frame)
        return st;
    rec->frame_number = ++r->frames;
    if (rec->link_type == LINKTYPE_PPP_WITH_DIR) {
        if (rec->data_len < 1)
            return unsafe(r, error, "a PPP frame is too short for its direction byte");
        rec->data++;
        rec->data_len--;
    }
    return CAPTURE_RECORD;
}
