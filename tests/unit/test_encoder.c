/* test_encoder.c
 * Unit tests of the record encoder (plugin/record_encoder.h): pcap file
 * headers and records, and pcapng section, interface, decryption secrets
 * and enhanced packet blocks, written to a temporary file and read back
 * with wiretap (wtap_open_offline, wtap_read). Wiretap's reading is the
 * measure: time stamps at each resolution, captured and original lengths,
 * frame bytes, interface numbers and names, packet comments, flags, queue,
 * drop count and packet id, the section comment and the secrets must come
 * back as given, with no read error. pcap files and pcapng enhanced packet
 * blocks (options included) must also be byte for byte what wtap_dump
 * writes for the same frames, and a packet option the encoder does not
 * write must make it decline (size 0). Time stamps of broken captures
 * (negative, nanoseconds out of range, seconds past 32 bits) must come out
 * as wtap_dump writes them too.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib/gstdio.h>
#include <wiretap/wtap.h>
#include <wiretap/wtap_opttypes.h>
#include <wiretap/secrets-types.h>

#include "record_encoder.h"
#include "ws_compat.h"
#include "unit_support.h"

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101

/* One test frame and the options its packet block carries. */
typedef struct {
    time_t secs;
    int nsecs;
    guint32 caplen;
    guint32 len;
    guint32 iface;
    const char *comments[3];    /* NULL-terminated */
    gboolean has_flags;
    guint32 flags;
    gboolean has_queue;
    guint32 queue;
    gboolean has_dropcount;
    guint64 dropcount;
    gboolean has_packetid;
    guint64 packetid;
} sample;

static const sample samples[] = {
    { 1700000000, 123456789, 60, 60, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 },
    { 1700000001, 999999999, 1514, 1514, 1, { "one comment", NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 },
    { 1700000002, 0, 1, 9000, 0, { NULL }, TRUE, 0x00000001, FALSE, 0, FALSE, 0, FALSE, 0 },
    { 0, 1, 0, 0, 1, { "empty frame", "second comment \xc3\xa9\xe2\x9c\x93", NULL }, TRUE, 0x80000002u, TRUE, 7,
      FALSE, 0, FALSE, 0 },
    { 2147483000, 500000000, 3, 3, 0, { "abc", NULL }, FALSE, 0, FALSE, 0, TRUE, G_GUINT64_CONSTANT(1) << 40, TRUE,
      G_GUINT64_CONSTANT(0x0123456789ABCDEF) },
    { 1700000003, 1000, 63, 1500, 1, { "x", NULL }, TRUE, 2, TRUE, 0xFFFFFFFFu, TRUE, 0, TRUE, 1 },
};

static guint8 *
sample_bytes(guint index, guint32 caplen)
{
    guint8 *data = g_malloc(caplen + 1);

    for (guint32 i = 0; i < caplen; i++)
        data[i] = (guint8)(index * 31 + i * 7 + 1);
    return data;
}

static wtap_block_t
sample_block(const sample *s)
{
    wtap_block_t b = wtap_block_create(WTAP_BLOCK_PACKET);

    for (guint i = 0; s->comments[i] != NULL; i++)
        g_assert_cmpint(wtap_block_add_string_option(b, OPT_COMMENT, s->comments[i], strlen(s->comments[i])), ==,
                        WTAP_OPTTYPE_SUCCESS);
    if (s->has_flags)
        g_assert_cmpint(wtap_block_add_uint32_option(b, OPT_PKT_FLAGS, s->flags), ==, WTAP_OPTTYPE_SUCCESS);
    if (s->has_queue)
        g_assert_cmpint(wtap_block_add_uint32_option(b, OPT_PKT_QUEUE, s->queue), ==, WTAP_OPTTYPE_SUCCESS);
    if (s->has_dropcount)
        g_assert_cmpint(wtap_block_add_uint64_option(b, OPT_PKT_DROPCOUNT, s->dropcount), ==,
                        WTAP_OPTTYPE_SUCCESS);
    if (s->has_packetid)
        g_assert_cmpint(wtap_block_add_uint64_option(b, OPT_PKT_PACKETID, s->packetid), ==,
                        WTAP_OPTTYPE_SUCCESS);
    return b;
}

static void
sample_rec(wtap_rec *rec, const sample *s, wtap_block_t block)
{
    memset(rec, 0, sizeof *rec);
    rec->rec_type = REC_TYPE_PACKET;
    rec->presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN | WTAP_HAS_INTERFACE_ID;
    rec->tsprec = WTAP_TSPREC_NSEC;
    rec->ts.secs = s->secs;
    rec->ts.nsecs = s->nsecs;
    rec->rec_header.packet_header.caplen = s->caplen;
    rec->rec_header.packet_header.len = s->len;
    rec->rec_header.packet_header.pkt_encap = WTAP_ENCAP_ETHERNET;
    rec->rec_header.packet_header.interface_id = s->iface;
    rec->block = block;
}

/* Nanoseconds as a clock with `digits` decimal digits keeps them. */
static int
truncated_nsecs(int nsecs, guint digits)
{
    int unit = 1;

    for (guint i = digits; i < 9; i++)
        unit *= 10;
    return nsecs / unit * unit;
}

static void
assert_frame_data(const unit_frame *f, guint index, const sample *s)
{
    guint8 *want = sample_bytes(index, s->caplen);

    g_assert_cmpuint(f->caplen, ==, s->caplen);
    g_assert_cmpuint(f->len, ==, s->len);
    if (s->caplen > 0)
        g_assert_cmpmem(f->data, f->caplen, want, s->caplen);
    g_free(want);
}

/* ---- pcap ---- */

static void
test_linktypes(void)
{
    guint8 hdr[PCAP_FILE_HEADER_LEN];

    g_assert_cmpint(encoder_linktype(WTAP_ENCAP_ETHERNET), ==, LINKTYPE_ETHERNET);
    g_assert_cmpint(encoder_linktype(WTAP_ENCAP_RAW_IP), ==, LINKTYPE_RAW);
    g_assert_cmpint(encoder_linktype(WTAP_ENCAP_SLL), ==, 113);
    /* Asked twice: the cached answer is the same. */
    g_assert_cmpint(encoder_linktype(WTAP_ENCAP_ETHERNET), ==, LINKTYPE_ETHERNET);
    /* Encapsulations pcap cannot hold. */
    g_assert_cmpint(encoder_linktype(WTAP_ENCAP_PER_PACKET), ==, -1);
    g_assert_cmpint(encoder_linktype(WTAP_ENCAP_UNKNOWN), ==, -1);
    g_assert_false(encoder_pcap_file_header(WTAP_ENCAP_PER_PACKET, FALSE, hdr));
}

static void
test_pcap_file_header(void)
{
    guint8 hdr[PCAP_FILE_HEADER_LEN];
    guint32 magic, linktype;
    guint16 major, minor;

    g_assert_true(encoder_pcap_file_header(WTAP_ENCAP_ETHERNET, FALSE, hdr));
    memcpy(&magic, hdr, 4);
    memcpy(&major, hdr + 4, 2);
    memcpy(&minor, hdr + 6, 2);
    memcpy(&linktype, hdr + 20, 4);
    g_assert_cmphex(magic, ==, 0xA1B2C3D4u);
    g_assert_cmpuint(major, ==, 2);
    g_assert_cmpuint(minor, ==, 4);
    g_assert_cmpuint(linktype & 0xFFFF, ==, LINKTYPE_ETHERNET);
    g_assert_true(encoder_pcap_file_header(WTAP_ENCAP_ETHERNET, TRUE, hdr));
    memcpy(&magic, hdr, 4);
    g_assert_cmphex(magic, ==, 0xA1B23C4Du);
}

/* Header and records of every sample in set, as the encoder writes them. */
static GByteArray *
encode_pcap(gboolean nsec, const sample *set, guint n)
{
    GByteArray *out = g_byte_array_new();
    guint8 hdr[PCAP_FILE_HEADER_LEN];

    g_assert_true(encoder_pcap_file_header(WTAP_ENCAP_ETHERNET, nsec, hdr));
    g_byte_array_append(out, hdr, sizeof hdr);
    for (guint i = 0; i < n; i++) {
        guint8 *data = sample_bytes(i, set[i].caplen);
        guint before = out->len;
        wtap_rec rec;
        gsize size;

        sample_rec(&rec, &set[i], NULL);
        size = encoder_pcap_record_size(&rec);
        g_assert_cmpuint(size, ==, PCAP_RECORD_HEADER_LEN + set[i].caplen);
        g_byte_array_set_size(out, before + (guint)size);
        encoder_pcap_record(out->data + before, &rec, data, nsec);
        g_free(data);
    }
    return out;
}

/* The same frames written by wiretap itself. */
static guint8 *
wiretap_pcap(const char *dir, gboolean nsec, const sample *set, guint n, gsize *len)
{
    char *path = g_build_filename(dir, "wiretap.pcap", NULL);
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    char *err_info = NULL;
    wtap_dumper *d;
    guint8 *bytes;
    int err = 0;

    params.encap = WTAP_ENCAP_ETHERNET;
    params.tsprec = nsec ? WTAP_TSPREC_NSEC : WTAP_TSPREC_USEC;
    d = wtap_dump_open(path, nsec ? wtap_pcap_nsec_file_type_subtype() : wtap_pcap_file_type_subtype(),
                       WTAP_UNCOMPRESSED, &params, &err, &err_info);
    g_assert_nonnull(d);
    for (guint i = 0; i < n; i++) {
        guint8 *data = sample_bytes(i, set[i].caplen);
        wtap_rec rec;

        sample_rec(&rec, &set[i], NULL);
        if (!fs_wtap_dump(d, &rec, data, &err, &err_info))
            g_error("wiretap refused sample %u: error %d (%s)", i, err, err_info ? err_info : "no detail");
        g_free(data);
    }
    g_assert_true(wtap_dump_close(d, NULL, &err, &err_info));
    g_free(err_info);
    bytes = unit_read_file(path, len);
    g_free(path);
    return bytes;
}

static void
check_pcap(gboolean nsec)
{
    char *dir = unit_temp_dir();
    GByteArray *bytes = encode_pcap(nsec, samples, G_N_ELEMENTS(samples));
    char *path = unit_write_file(dir, "encoder.pcap", bytes->data, bytes->len);
    unit_capture *c;
    guint8 *theirs;
    gsize their_len;
    int err;

    c = unit_capture_read(path, &err);
    g_assert_nonnull(c);
    g_assert_cmpint(err, ==, 0);
    g_assert_cmpint(c->read_err, ==, 0);
    g_assert_cmpint(c->file_type_subtype, ==,
                    nsec ? wtap_pcap_nsec_file_type_subtype() : wtap_pcap_file_type_subtype());
    g_assert_cmpint(c->encap, ==, WTAP_ENCAP_ETHERNET);
    g_assert_cmpuint(c->frames->len, ==, G_N_ELEMENTS(samples));
    for (guint i = 0; i < c->frames->len; i++) {
        const unit_frame *f = &g_array_index(c->frames, unit_frame, i);

        g_assert_cmpint(f->ts.secs, ==, samples[i].secs);
        g_assert_cmpint(f->ts.nsecs, ==, truncated_nsecs(samples[i].nsecs, nsec ? 9 : 6));
        assert_frame_data(f, i, &samples[i]);
    }
    unit_capture_free(c);

    /* Byte for byte what tshark -w would have written. */
    theirs = wiretap_pcap(dir, nsec, samples, G_N_ELEMENTS(samples), &their_len);
    g_assert_cmpmem(bytes->data, bytes->len, theirs, their_len);
    g_free(theirs);

    g_byte_array_free(bytes, TRUE);
    g_free(path);
    unit_temp_dir_remove(dir);
}

static void
test_pcap_usec(void)
{
    check_pcap(FALSE);
}

static void
test_pcap_nsec(void)
{
    check_pcap(TRUE);
}

/* ---- pcapng ---- */

static const guint8 secret_bytes[] = "CLIENT_RANDOM 00112233 44556677\n";    /* 33 bytes: padded */

static GArray *
section_headers(void)
{
    GArray *shb_hdrs = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    wtap_block_t shb = wtap_block_create(WTAP_BLOCK_SECTION);
    static const char comment[] = "section comment \xe2\x9c\x93";
    static const char appl[] = "flowsplit unit test";

    g_assert_cmpint(wtap_block_add_string_option(shb, OPT_COMMENT, comment, strlen(comment)), ==,
                    WTAP_OPTTYPE_SUCCESS);
    g_assert_cmpint(wtap_block_add_string_option(shb, OPT_SHB_USERAPPL, appl, strlen(appl)), ==,
                    WTAP_OPTTYPE_SUCCESS);
    g_array_append_val(shb_hdrs, shb);
    return shb_hdrs;
}

static guint32
u32_at(const guint8 *p)
{
    guint32 v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* Every block's leading and trailing lengths agree and add up to len. */
static void
assert_blocks_well_formed(const guint8 *p, gsize len)
{
    gsize off = 0;

    while (off < len) {
        guint32 total;

        g_assert_cmpuint(len - off, >=, 12);
        total = u32_at(p + off + 4);
        g_assert_cmpuint(total % 4, ==, 0);
        g_assert_cmpuint(total, >=, 12);
        g_assert_cmpuint(off + total, <=, len);
        g_assert_cmpuint(u32_at(p + off + total - 4), ==, total);
        off += total;
    }
    g_assert_cmpuint(off, ==, len);
}

static void
append_secrets(GByteArray *out)
{
    wtap_block_t dsb = wtap_block_create(WTAP_BLOCK_DECRYPTION_SECRETS);
    wtapng_dsb_mandatory_t *m = (wtapng_dsb_mandatory_t *)wtap_block_get_mandatory_data(dsb);

    m->secrets_type = SECRETS_TYPE_TLS;
    m->secrets_len = sizeof secret_bytes;
    m->secrets_data = g_memdup2(secret_bytes, sizeof secret_bytes);
    encoder_pcapng_secrets(out, dsb);
    wtap_block_unref(dsb);
}

/* A section header, two interfaces (Ethernet, microseconds, named; raw IP,
 * nanoseconds, unnamed), secrets, then every sample with its options. */
static GByteArray *
encode_pcapng(void)
{
    static const guint8 digits[2] = { 6, 9 };
    const encoder_iface ifaces[2] = {
        { LINKTYPE_ETHERNET, digits[0], "eth0" },
        { LINKTYPE_RAW, digits[1], NULL },
    };
    GByteArray *out = g_byte_array_new();
    GArray *shb_hdrs = section_headers();

    encoder_pcapng_section(out, shb_hdrs);
    g_assert_cmpuint(out->len, >, 28);
    g_assert_cmphex(u32_at(out->data), ==, 0x0A0D0D0Au);
    g_assert_cmphex(u32_at(out->data + 8), ==, 0x1A2B3C4Du);
    wtap_block_array_free(shb_hdrs);
    encoder_pcapng_iface(out, &ifaces[0]);
    encoder_pcapng_iface(out, &ifaces[1]);
    append_secrets(out);
    for (guint i = 0; i < G_N_ELEMENTS(samples); i++) {
        const sample *s = &samples[i];
        wtap_block_t block = sample_block(s);
        guint8 *data = sample_bytes(i, s->caplen);
        guint before = out->len;
        wtap_rec rec;
        gsize size;

        sample_rec(&rec, s, block);
        size = encoder_pcapng_packet_size(&rec, block);
        g_assert_cmpuint(size, >=, 32 + s->caplen);
        g_assert_cmpuint(size % 4, ==, 0);
        g_byte_array_set_size(out, before + (guint)size);
        memset(out->data + before, 0xEE, size);    /* every byte must be written */
        encoder_pcapng_packet(out->data + before, size, &rec, data, block, s->iface, digits[s->iface]);
        /* Frame padding is zeros. */
        for (gsize pad = s->caplen; pad % 4 != 0; pad++)
            g_assert_cmpuint(out->data[before + 28 + pad], ==, 0);
        g_free(data);
        wtap_block_unref(block);
    }
    return out;
}

static void
assert_options(const unit_frame *f, const sample *s)
{
    guint n = 0;

    while (s->comments[n] != NULL) {
        g_assert_cmpstr(f->comments[n], ==, s->comments[n]);
        n++;
    }
    g_assert_null(f->comments[n]);
    g_assert_cmpint(f->has_flags, ==, s->has_flags);
    if (s->has_flags)
        g_assert_cmphex(f->flags, ==, s->flags);
    g_assert_cmpint(f->has_queue, ==, s->has_queue);
    if (s->has_queue)
        g_assert_cmpuint(f->queue, ==, s->queue);
    g_assert_cmpint(f->has_dropcount, ==, s->has_dropcount);
    if (s->has_dropcount)
        g_assert_cmpuint(f->dropcount, ==, s->dropcount);
    g_assert_cmpint(f->has_packetid, ==, s->has_packetid);
    if (s->has_packetid)
        g_assert_cmphex(f->packetid, ==, s->packetid);
}

static void
test_pcapng_roundtrip(void)
{
    char *dir = unit_temp_dir();
    GByteArray *bytes = encode_pcapng();
    char *path = unit_write_file(dir, "encoder.pcapng", bytes->data, bytes->len);
    unit_capture *c;
    int err;

    assert_blocks_well_formed(bytes->data, bytes->len);
    c = unit_capture_read(path, &err);
    g_assert_nonnull(c);
    g_assert_cmpint(c->read_err, ==, 0);
    g_assert_null(c->read_err_info);
    g_assert_cmpint(c->file_type_subtype, ==, wtap_pcapng_file_type_subtype());
    g_assert_cmpstr(c->shb_comment, ==, "section comment \xe2\x9c\x93");

    g_assert_cmpuint(c->if_names->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(c->if_names, 0), ==, "eth0");
    g_assert_cmpstr(g_ptr_array_index(c->if_names, 1), ==, "");
    g_assert_cmpuint(g_array_index(c->if_tsresol, guint64, 0), ==, 1000000);
    g_assert_cmpuint(g_array_index(c->if_tsresol, guint64, 1), ==, 1000000000);
    g_assert_cmpint(g_array_index(c->if_encap, int, 0), ==, WTAP_ENCAP_ETHERNET);
    g_assert_cmpint(g_array_index(c->if_encap, int, 1), ==, WTAP_ENCAP_RAW_IP);

    g_assert_cmpuint(c->n_secrets, ==, 1);
    g_assert_cmpmem(c->secrets->data, c->secrets->len, secret_bytes, sizeof secret_bytes);

    g_assert_cmpuint(c->frames->len, ==, G_N_ELEMENTS(samples));
    for (guint i = 0; i < c->frames->len; i++) {
        const unit_frame *f = &g_array_index(c->frames, unit_frame, i);
        const sample *s = &samples[i];

        g_assert_true(f->has_interface_id);
        g_assert_cmpuint(f->interface_id, ==, s->iface);
        g_assert_cmpint(f->ts.secs, ==, s->secs);
        g_assert_cmpint(f->ts.nsecs, ==, truncated_nsecs(s->nsecs, s->iface == 0 ? 6 : 9));
        assert_frame_data(f, i, s);
        assert_options(f, s);
    }
    unit_capture_free(c);
    g_byte_array_free(bytes, TRUE);
    g_free(path);
    unit_temp_dir_remove(dir);
}

/* The enhanced packet blocks of a pcapng file, each as bytes. */
static GPtrArray *
packet_blocks(const guint8 *p, gsize len)
{
    GPtrArray *blocks = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

    assert_blocks_well_formed(p, len);
    for (gsize off = 0; off < len; off += u32_at(p + off + 4)) {
        if (u32_at(p + off) == 6)
            g_ptr_array_add(blocks, g_bytes_new(p + off, u32_at(p + off + 4)));
    }
    return blocks;
}

/* Every sample of set, with its options, on one nanosecond interface: the
 * encoder's enhanced packet blocks must be wiretap's, byte for byte. */
static void
check_pcapng_matches_wiretap(const sample *set, guint n)
{
    char *dir = unit_temp_dir();
    char *path = g_build_filename(dir, "wiretap.pcapng", NULL);
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    GPtrArray *theirs;
    char *err_info = NULL;
    wtap_dumper *d;
    guint8 *bytes;
    gsize len;
    int err = 0;

    params.encap = WTAP_ENCAP_ETHERNET;
    params.tsprec = WTAP_TSPREC_NSEC;
    d = wtap_dump_open(path, wtap_pcapng_file_type_subtype(), WTAP_UNCOMPRESSED, &params, &err, &err_info);
    g_assert_nonnull(d);
    for (guint i = 0; i < n; i++) {
        sample s = set[i];
        wtap_block_t block;
        guint8 *data;
        wtap_rec rec;

        s.iface = 0;
        block = sample_block(&s);
        data = sample_bytes(i, s.caplen);
        sample_rec(&rec, &s, block);
        g_assert_true(fs_wtap_dump(d, &rec, data, &err, &err_info));
        wtap_block_unref(block);
        g_free(data);
    }
    g_assert_true(wtap_dump_close(d, NULL, &err, &err_info));
    g_free(err_info);
    bytes = unit_read_file(path, &len);
    theirs = packet_blocks(bytes, len);
    g_assert_cmpuint(theirs->len, ==, n);

    for (guint i = 0; i < n; i++) {
        sample s = set[i];
        wtap_block_t block = sample_block(&s);
        guint8 *data = sample_bytes(i, s.caplen);
        gsize their_len, size;
        const guint8 *their = g_bytes_get_data(g_ptr_array_index(theirs, i), &their_len);
        guint8 *ours;
        wtap_rec rec;

        s.iface = 0;
        sample_rec(&rec, &s, block);
        size = encoder_pcapng_packet_size(&rec, block);
        ours = g_malloc(size);
        encoder_pcapng_packet(ours, size, &rec, data, block, 0, 9);
        g_assert_cmpmem(ours, size, their, their_len);
        g_free(ours);
        g_free(data);
        wtap_block_unref(block);
    }
    g_ptr_array_unref(theirs);
    g_free(bytes);
    g_unlink(path);
    g_free(path);
    unit_temp_dir_remove(dir);
}

static void
test_pcapng_packets_match_wiretap(void)
{
    check_pcapng_matches_wiretap(samples, G_N_ELEMENTS(samples));
}

/* Time stamps of broken captures: before 1970, negative or too many
 * nanoseconds, seconds past 32 bits and past what 64-bit nanoseconds hold.
 * Whatever they become, the encoder must write what tshark -w writes,
 * where it writes them: 4.4 and later refuse some (seconds past 2038 in
 * pcap among them; see wiretap_writes_time). */
static const sample broken_times[] = {
    { -1, 500000000, 4, 4, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 },
    { 10, -1500, 4, 4, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 },
    { 10, 1500000000, 4, 4, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 },
    { (time_t)4102444800, 500000000, 4, 4, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 },     /* past 2038 */
    { (time_t)5000000000, 1, 4, 4, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 },
    { (time_t)20000000000, 999999999, 4, 4, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 },
};

/* Does this Wireshark's wiretap write the sample's time stamp in pcap (both
 * resolutions) and pcapng? 4.0 writes them all; 4.4 and later refuse some
 * (WTAP_ERR_TIME_STAMP_NOT_SUPPORTED), as their tshark -w does. */
static gboolean
wiretap_writes_time(const char *dir, const sample *s)
{
    int types[] = { wtap_pcap_file_type_subtype(), wtap_pcap_nsec_file_type_subtype(),
                    wtap_pcapng_file_type_subtype() };
    char *path = g_build_filename(dir, "probe", NULL);
    gboolean ok = TRUE;

    for (guint t = 0; t < G_N_ELEMENTS(types) && ok; t++) {
        wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
        guint8 *data = sample_bytes(0, s->caplen);
        char *err_info = NULL;
        wtap_dumper *d;
        wtap_rec rec;
        int err = 0;

        params.encap = WTAP_ENCAP_ETHERNET;
        params.tsprec = WTAP_TSPREC_NSEC;
        d = wtap_dump_open(path, types[t], WTAP_UNCOMPRESSED, &params, &err, &err_info);
        g_assert_nonnull(d);
        sample_rec(&rec, s, NULL);
        ok = fs_wtap_dump(d, &rec, data, &err, &err_info);
        wtap_dump_close(d, NULL, &err, &err_info);
        g_free(err_info);
        g_free(data);
    }
    g_unlink(path);
    g_free(path);
    return ok;
}

static void
test_broken_times_match_wiretap(void)
{
    char *dir = unit_temp_dir();
    sample written[G_N_ELEMENTS(broken_times)];
    guint n = 0;

    for (guint i = 0; i < G_N_ELEMENTS(broken_times); i++) {
        if (wiretap_writes_time(dir, &broken_times[i]))
            written[n++] = broken_times[i];
        else
            g_test_message("wiretap refuses time stamp %d: not compared", (int)i);
    }
    for (int nsec = 0; nsec <= 1; nsec++) {
        GByteArray *ours = encode_pcap(nsec, written, n);
        gsize their_len;
        guint8 *theirs = wiretap_pcap(dir, nsec, written, n, &their_len);

        g_assert_cmpmem(ours->data, ours->len, theirs, their_len);
        g_free(theirs);
        g_byte_array_free(ours, TRUE);
    }
    check_pcapng_matches_wiretap(written, n);
    unit_temp_dir_remove(dir);
}

/* One interface per resolution from seconds to nanoseconds, one frame on
 * each, at a time with all nine digits set. */
static void
test_pcapng_time_resolutions(void)
{
    GByteArray *out = g_byte_array_new();
    GArray *shb_hdrs = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    wtap_block_t shb = wtap_block_create(WTAP_BLOCK_SECTION);
    char *dir = unit_temp_dir();
    const sample s = { 1234567890, 987654321, 20, 20, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 };
    guint8 *data = sample_bytes(0, s.caplen);
    unit_capture *c;
    char *path;
    int err;

    g_array_append_val(shb_hdrs, shb);
    encoder_pcapng_section(out, shb_hdrs);
    wtap_block_array_free(shb_hdrs);
    g_assert_cmpuint(out->len, >, 0);
    for (guint8 d = 0; d <= 9; d++) {
        const encoder_iface iface = { LINKTYPE_ETHERNET, d, NULL };
        encoder_pcapng_iface(out, &iface);
    }
    for (guint8 d = 0; d <= 9; d++) {
        guint before = out->len;
        wtap_rec rec;
        gsize size;

        sample_rec(&rec, &s, NULL);
        size = encoder_pcapng_packet_size(&rec, NULL);
        g_assert_cmpuint(size, ==, 32 + 20);    /* no options: no end-of-options either */
        g_byte_array_set_size(out, before + (guint)size);
        encoder_pcapng_packet(out->data + before, size, &rec, data, NULL, d, d);
    }
    path = unit_write_file(dir, "resolutions.pcapng", out->data, out->len);
    c = unit_capture_read(path, &err);
    g_assert_nonnull(c);
    g_assert_cmpint(c->read_err, ==, 0);
    g_assert_cmpuint(c->frames->len, ==, 10);
    for (guint d = 0; d <= 9; d++) {
        const unit_frame *f = &g_array_index(c->frames, unit_frame, d);
        guint64 units = 1;

        for (guint i = 0; i < d; i++)
            units *= 10;
        g_assert_cmpuint(g_array_index(c->if_tsresol, guint64, d), ==, units);
        g_assert_cmpuint(f->interface_id, ==, d);
        g_assert_cmpint(f->ts.secs, ==, s.secs);
        g_assert_cmpint(f->ts.nsecs, ==, truncated_nsecs(s.nsecs, d));
    }
    unit_capture_free(c);
    g_free(path);
    g_free(data);
    g_byte_array_free(out, TRUE);
    unit_temp_dir_remove(dir);
}

/* Options the encoder does not write leave the frame to wiretap. */
static void
test_pcapng_declines_unknown_options(void)
{
    const sample s = { 1, 0, 10, 10, 0, { NULL }, FALSE, 0, FALSE, 0, FALSE, 0, FALSE, 0 };
    wtap_block_t block = wtap_block_create(WTAP_BLOCK_PACKET);
    packet_verdict_opt_t verdict;
    char *long_comment;
    wtap_rec rec;

    sample_rec(&rec, &s, block);
    g_assert_cmpuint(encoder_pcapng_packet_size(&rec, block), ==, 32 + 12);   /* an empty block: no options */

    verdict.type = packet_verdict_linux_ebpf_tc;
    verdict.data.verdict_linux_ebpf_tc = 2;
    g_assert_cmpint(wtap_block_add_packet_verdict_option(block, OPT_PKT_VERDICT, &verdict), ==,
                    WTAP_OPTTYPE_SUCCESS);
    g_assert_cmpuint(encoder_pcapng_packet_size(&rec, block), ==, 0);
    wtap_block_unref(block);

    /* A comment longer than an option can hold. */
    block = wtap_block_create(WTAP_BLOCK_PACKET);
    long_comment = g_strnfill(70000, 'c');
    g_assert_cmpint(wtap_block_add_string_option(block, OPT_COMMENT, long_comment, 70000), ==,
                    WTAP_OPTTYPE_SUCCESS);
    sample_rec(&rec, &s, block);
    g_assert_cmpuint(encoder_pcapng_packet_size(&rec, block), ==, 0);
    wtap_block_unref(block);
    g_free(long_comment);
}

int
main(int argc, char **argv)
{
    unit_init(&argc, &argv);
    unit_wiretap_init();
    g_test_add_func("/encoder/linktypes", test_linktypes);
    g_test_add_func("/encoder/pcap/file-header", test_pcap_file_header);
    g_test_add_func("/encoder/pcap/usec", test_pcap_usec);
    g_test_add_func("/encoder/pcap/nsec", test_pcap_nsec);
    g_test_add_func("/encoder/pcapng/roundtrip", test_pcapng_roundtrip);
    g_test_add_func("/encoder/pcapng/packets-match-wiretap", test_pcapng_packets_match_wiretap);
    g_test_add_func("/encoder/pcapng/time-resolutions", test_pcapng_time_resolutions);
    g_test_add_func("/encoder/broken-times-match-wiretap", test_broken_times_match_wiretap);
    g_test_add_func("/encoder/pcapng/declines-unknown-options", test_pcapng_declines_unknown_options);
    return g_test_run();
}
