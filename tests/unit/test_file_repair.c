/* test_file_repair.c
 * Unit tests of file repair (plugin/file_repair.h). pcap (both byte
 * orders, micro- and nanosecond) and pcapng (both byte orders) files made
 * by the record encoder, or by hand for the other byte order, are cut at
 * every length from 0 bytes to whole, as a failed write leaves them, and
 * repaired. Each repaired file must end on the last whole record before
 * the cut (removed when not even the file header is whole, untouched when
 * the cut fell on a record boundary), must read in wiretap with no error,
 * and must hold exactly the frames wiretap could read from the cut file
 * before the repair, with their bytes. Half-written tails (a record header
 * that promises more than follows, zero fill, a block whose trailing
 * length disagrees) are cut too; a symlink is never followed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <wiretap/wtap.h>
#include <wiretap/wtap_opttypes.h>

#include "file_repair.h"
#include "record_encoder.h"
#include "unit_support.h"

/* Frame lengths of the test captures: empty, odd, unpadded and padded. */
static const guint32 frame_lens[] = { 0, 1, 5, 60, 97 };

/* A capture in memory and where each of its records or blocks ends. */
typedef struct {
    GByteArray *bytes;
    GArray *ends;           /* gsize: the end of every complete unit, file header first */
    guint header_units;     /* how many of those ends come before the first frame */
} capture;

static capture *
capture_new(void)
{
    capture *c = g_new0(capture, 1);

    c->bytes = g_byte_array_new();
    c->ends = g_array_new(FALSE, FALSE, sizeof(gsize));
    return c;
}

static void
capture_mark(capture *c)
{
    gsize end = c->bytes->len;
    g_array_append_val(c->ends, end);
}

static void
capture_free(capture *c)
{
    g_byte_array_free(c->bytes, TRUE);
    g_array_free(c->ends, TRUE);
    g_free(c);
}

static guint8 *
frame_bytes(guint index, guint32 len)
{
    guint8 *data = g_malloc(len + 1);

    for (guint32 i = 0; i < len; i++)
        data[i] = (guint8)(0x40 + index * 17 + i);
    return data;
}

static void
frame_rec(wtap_rec *rec, guint index)
{
    memset(rec, 0, sizeof *rec);
    rec->rec_type = REC_TYPE_PACKET;
    rec->presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN;
    rec->ts.secs = 1700000000 + index;
    rec->ts.nsecs = 123456000;
    rec->rec_header.packet_header.caplen = frame_lens[index];
    rec->rec_header.packet_header.len = frame_lens[index] + 3;
    rec->rec_header.packet_header.pkt_encap = WTAP_ENCAP_ETHERNET;
}

static capture *
encoder_pcap(gboolean nsec)
{
    capture *c = capture_new();
    guint8 hdr[PCAP_FILE_HEADER_LEN];

    g_assert_true(encoder_pcap_file_header(WTAP_ENCAP_ETHERNET, nsec, hdr));
    g_byte_array_append(c->bytes, hdr, sizeof hdr);
    capture_mark(c);
    c->header_units = 1;
    for (guint i = 0; i < G_N_ELEMENTS(frame_lens); i++) {
        guint8 *data = frame_bytes(i, frame_lens[i]);
        guint before = c->bytes->len;
        wtap_rec rec;

        frame_rec(&rec, i);
        g_byte_array_set_size(c->bytes, before + (guint)encoder_pcap_record_size(&rec));
        encoder_pcap_record(c->bytes->data + before, &rec, data, nsec);
        capture_mark(c);
        g_free(data);
    }
    return c;
}

static capture *
encoder_pcapng(void)
{
    capture *c = capture_new();
    GArray *shb_hdrs = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    wtap_block_t shb = wtap_block_create(WTAP_BLOCK_SECTION);
    const encoder_iface iface = { 1, 9, "eth0" };

    g_array_append_val(shb_hdrs, shb);
    encoder_pcapng_section(c->bytes, shb_hdrs);
    wtap_block_array_free(shb_hdrs);
    g_assert_cmpuint(c->bytes->len, >, 0);
    capture_mark(c);
    encoder_pcapng_iface(c->bytes, &iface);
    capture_mark(c);
    c->header_units = 2;
    for (guint i = 0; i < G_N_ELEMENTS(frame_lens); i++) {
        wtap_block_t block = wtap_block_create(WTAP_BLOCK_PACKET);
        guint8 *data = frame_bytes(i, frame_lens[i]);
        guint before = c->bytes->len;
        wtap_rec rec;
        gsize size;

        if (i % 2 == 1)
            g_assert_cmpint(wtap_block_add_string_option(block, OPT_COMMENT, "cut me", 6), ==,
                            WTAP_OPTTYPE_SUCCESS);
        frame_rec(&rec, i);
        rec.block = block;
        size = encoder_pcapng_packet_size(&rec, block);
        g_assert_cmpuint(size, >, 0);
        g_byte_array_set_size(c->bytes, before + (guint)size);
        encoder_pcapng_packet(c->bytes->data + before, size, &rec, data, block, 0, 9);
        capture_mark(c);
        wtap_block_unref(block);
        g_free(data);
    }
    return c;
}

static void
put_be32(GByteArray *b, guint32 v)
{
    guint32 be = GUINT32_TO_BE(v);
    g_byte_array_append(b, (const guint8 *)&be, 4);
}

static void
put_be16(GByteArray *b, guint16 v)
{
    guint16 be = GUINT16_TO_BE(v);
    g_byte_array_append(b, (const guint8 *)&be, 2);
}

/* A big-endian pcap file, as a big-endian machine writes it. */
static capture *
big_endian_pcap(void)
{
    capture *c = capture_new();

    put_be32(c->bytes, 0xA1B2C3D4u);
    put_be16(c->bytes, 2);
    put_be16(c->bytes, 4);
    put_be32(c->bytes, 0);
    put_be32(c->bytes, 0);
    put_be32(c->bytes, 262144);
    put_be32(c->bytes, 1);
    capture_mark(c);
    c->header_units = 1;
    for (guint i = 0; i < G_N_ELEMENTS(frame_lens); i++) {
        guint8 *data = frame_bytes(i, frame_lens[i]);

        put_be32(c->bytes, 1700000000 + i);
        put_be32(c->bytes, 123456);
        put_be32(c->bytes, frame_lens[i]);
        put_be32(c->bytes, frame_lens[i] + 3);
        g_byte_array_append(c->bytes, data, frame_lens[i]);
        capture_mark(c);
        g_free(data);
    }
    return c;
}

/* A big-endian pcapng file: section header, interface, enhanced packets. */
static capture *
big_endian_pcapng(void)
{
    static const guint8 zeros[4];
    capture *c = capture_new();

    put_be32(c->bytes, 0x0A0D0D0Au);
    put_be32(c->bytes, 28);
    put_be32(c->bytes, 0x1A2B3C4Du);
    put_be16(c->bytes, 1);
    put_be16(c->bytes, 0);
    put_be32(c->bytes, 0xFFFFFFFFu);
    put_be32(c->bytes, 0xFFFFFFFFu);
    put_be32(c->bytes, 28);
    capture_mark(c);
    put_be32(c->bytes, 1);
    put_be32(c->bytes, 20);
    put_be16(c->bytes, 1);
    put_be16(c->bytes, 0);
    put_be32(c->bytes, 0);
    put_be32(c->bytes, 20);
    capture_mark(c);
    c->header_units = 2;
    for (guint i = 0; i < G_N_ELEMENTS(frame_lens); i++) {
        guint8 *data = frame_bytes(i, frame_lens[i]);
        guint32 padded = (frame_lens[i] + 3) & ~3u;
        guint64 ts = (guint64)(1700000000 + i) * 1000000 + 123456;

        put_be32(c->bytes, 6);
        put_be32(c->bytes, 32 + padded);
        put_be32(c->bytes, 0);
        put_be32(c->bytes, (guint32)(ts >> 32));
        put_be32(c->bytes, (guint32)ts);
        put_be32(c->bytes, frame_lens[i]);
        put_be32(c->bytes, frame_lens[i] + 3);
        g_byte_array_append(c->bytes, data, frame_lens[i]);
        g_byte_array_append(c->bytes, zeros, padded - frame_lens[i]);
        put_be32(c->bytes, 32 + padded);
        capture_mark(c);
        g_free(data);
    }
    return c;
}

/* The end of the last whole unit within len bytes, and how many frames
 * lie before it; 0 when not even the file header (the pcap file header,
 * the pcapng section header) is whole. */
static gsize
good_end(const capture *c, gsize len, guint *frames)
{
    gsize good = 0;

    *frames = 0;
    for (guint i = 0; i < c->ends->len; i++) {
        gsize end = g_array_index(c->ends, gsize, i);

        if (end > len)
            break;
        if (i >= c->header_units)
            (*frames)++;
        good = end;
    }
    return good;
}

static gsize
file_size(const char *path)
{
    struct stat st;

    g_assert_cmpint(g_stat(path, &st), ==, 0);
    return (gsize)st.st_size;
}

static gboolean
is_pcap_or_pcapng(int file_type_subtype)
{
    return file_type_subtype == wtap_pcap_file_type_subtype()
           || file_type_subtype == wtap_pcap_nsec_file_type_subtype()
           || file_type_subtype == wtap_pcapng_file_type_subtype();
}

/* Frames wiretap reads from path before its first error, or -1 when it
 * cannot open the file as pcap or pcapng (a byte or two of a file may look
 * like some other format to wiretap's heuristics: one byte 0xD4 is "MP4"). */
static int
wiretap_frames(const char *path, int *read_err)
{
    unit_capture *c;
    int err, n;

    c = unit_capture_read(path, &err);
    if (c == NULL)
        return -1;
    if (!is_pcap_or_pcapng(c->file_type_subtype)) {
        unit_capture_free(c);
        return -1;
    }
    n = (int)c->frames->len;
    *read_err = c->read_err;
    unit_capture_free(c);
    return n;
}

/* The same frames, with the same bytes, as the whole file. */
static void
assert_same_frames(const char *path, const unit_capture *whole, guint n)
{
    unit_capture *c;
    int err;

    c = unit_capture_read(path, &err);
    g_assert_nonnull(c);
    g_assert_true(is_pcap_or_pcapng(c->file_type_subtype));
    g_assert_cmpint(c->read_err, ==, 0);
    g_assert_cmpuint(c->frames->len, ==, n);
    for (guint i = 0; i < n; i++) {
        const unit_frame *a = &g_array_index(c->frames, unit_frame, i);
        const unit_frame *b = &g_array_index(whole->frames, unit_frame, i);

        g_assert_cmpint(a->ts.secs, ==, b->ts.secs);
        g_assert_cmpint(a->ts.nsecs, ==, b->ts.nsecs);
        g_assert_cmpuint(a->len, ==, b->len);
        g_assert_cmpmem(a->data, a->caplen, b->data, b->caplen);
    }
    unit_capture_free(c);
}

/* Cuts the capture at every length and repairs each cut. */
static void
check_every_cut(capture *cap, const char *ext)
{
    char *dir = unit_temp_dir();
    char *name = g_strdup_printf("cut.%s", ext);
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *path;
    unit_capture *whole;
    int err;

    g_assert_cmpint(dir_fd, >=, 0);
    path = unit_write_file(dir, name, cap->bytes->data, cap->bytes->len);
    whole = unit_capture_read(path, &err);
    g_assert_nonnull(whole);
    g_assert_cmpint(whole->read_err, ==, 0);
    g_assert_cmpuint(whole->frames->len, ==, G_N_ELEMENTS(frame_lens));

    for (gsize len = 0; len <= cap->bytes->len; len++) {
        guint frames;
        gsize good = good_end(cap, len, &frames);
        int read_err = 0, before;
        repair_result r;

        g_free(unit_write_file(dir, name, cap->bytes->data, len));
        before = wiretap_frames(path, &read_err);
        r = file_repair(dir_fd, name);
        if (good == 0) {
            g_assert_cmpint(r, ==, REPAIR_REMOVED);
            g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
            g_assert_cmpint(before, <=, 0);     /* nothing wiretap could have read */
            continue;
        }
        g_assert_cmpint(r, ==, good == len ? REPAIR_INTACT : REPAIR_TRUNCATED);
        g_assert_cmpuint(file_size(path), ==, good);
        /* wiretap read as many frames before its error as the repair kept
         * (or refused the cut file outright: its pcap reader looks at the
         * first records to tell pcap variants apart). */
        if (before != -1)
            g_assert_cmpint(before, ==, (int)frames);
        if (good == len)
            g_assert_cmpint(read_err, ==, 0);
        assert_same_frames(path, whole, frames);
    }
    unit_capture_free(whole);
    g_unlink(path);
    close(dir_fd);
    g_free(path);
    g_free(name);
    unit_temp_dir_remove(dir);
}

static void
test_cut_pcap_usec(void)
{
    capture *c = encoder_pcap(FALSE);
    check_every_cut(c, "pcap");
    capture_free(c);
}

static void
test_cut_pcap_nsec(void)
{
    capture *c = encoder_pcap(TRUE);
    check_every_cut(c, "pcap");
    capture_free(c);
}

static void
test_cut_pcap_big_endian(void)
{
    capture *c = big_endian_pcap();
    check_every_cut(c, "pcap");
    capture_free(c);
}

static void
test_cut_pcapng(void)
{
    capture *c = encoder_pcapng();
    check_every_cut(c, "pcapng");
    capture_free(c);
}

static void
test_cut_pcapng_big_endian(void)
{
    capture *c = big_endian_pcapng();
    check_every_cut(c, "pcapng");
    capture_free(c);
}

/* The whole capture, then a tail; the repair must cut the tail off and
 * leave every frame. */
static void
check_tail(capture *cap, const char *ext, const void *tail, gsize tail_len)
{
    char *dir = unit_temp_dir();
    char *name = g_strdup_printf("tail.%s", ext);
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    GByteArray *bytes = g_byte_array_new();
    unit_capture *c;
    char *path;
    int err;

    g_byte_array_append(bytes, cap->bytes->data, cap->bytes->len);
    g_byte_array_append(bytes, tail, (guint)tail_len);
    path = unit_write_file(dir, name, bytes->data, bytes->len);
    g_assert_cmpint(file_repair(dir_fd, name), ==, REPAIR_TRUNCATED);
    g_assert_cmpuint(file_size(path), ==, cap->bytes->len);
    c = unit_capture_read(path, &err);
    g_assert_nonnull(c);
    g_assert_cmpint(c->read_err, ==, 0);
    g_assert_cmpuint(c->frames->len, ==, G_N_ELEMENTS(frame_lens));
    unit_capture_free(c);
    g_unlink(path);
    close(dir_fd);
    g_byte_array_free(bytes, TRUE);
    g_free(path);
    g_free(name);
    unit_temp_dir_remove(dir);
}

static void
test_half_written_pcap(void)
{
    capture *c = encoder_pcap(FALSE);
    /* A record header whose frame never arrived, and one with a length no
     * file holds. */
    guint32 short_rec[6] = { 1700000009, 0, 60, 60, 0x01020304, 0 };
    guint32 huge_rec[4] = { 1700000009, 0, 0xFFFFFFF0u, 0xFFFFFFF0u };

    check_tail(c, "pcap", short_rec, sizeof short_rec);
    check_tail(c, "pcap", huge_rec, sizeof huge_rec);
    check_tail(c, "pcap", short_rec, 7);
    capture_free(c);
}

static void
test_half_written_pcapng(void)
{
    capture *c = encoder_pcapng();
    static const guint8 zeros[64];
    /* An EPB whose trailing length was never written (zero fill where it
     * should be), one with a length that is not a multiple of 4, and one
     * whose length runs past the end. */
    guint32 no_trailer[8] = { 6, 32, 0, 0, 0, 0, 0, 0 };
    guint32 odd_len[8] = { 6, 30, 0, 0, 0, 0, 0, 30 };
    guint32 too_long[8] = { 6, 64, 0, 0, 0, 32, 32, 0 };

    check_tail(c, "pcapng", zeros, sizeof zeros);
    check_tail(c, "pcapng", no_trailer, sizeof no_trailer);
    check_tail(c, "pcapng", odd_len, sizeof odd_len);
    check_tail(c, "pcapng", too_long, sizeof too_long);
    capture_free(c);
}

/* A symlink in the folder is neither followed nor cut; its target stays. */
static void
test_symlink_not_followed(void)
{
    char *dir = unit_temp_dir();
    char *outside = unit_temp_dir();
    capture *c = encoder_pcap(FALSE);
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *target = unit_write_file(outside, "target.pcap", c->bytes->data, c->bytes->len - 5);
    char *link = g_build_filename(dir, "link.pcap", NULL);

    g_assert_cmpint(symlink(target, link), ==, 0);
    errno = 0;
    g_assert_cmpint(file_repair(dir_fd, "link.pcap"), ==, REPAIR_FAILED);
    g_assert_cmpint(errno, ==, ELOOP);
    g_assert_cmpuint(file_size(target), ==, c->bytes->len - 5);
    g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));

    errno = 0;
    g_assert_cmpint(file_repair(dir_fd, "missing.pcap"), ==, REPAIR_FAILED);
    g_assert_cmpint(errno, ==, ENOENT);

    close(dir_fd);
    g_free(link);
    g_free(target);
    capture_free(c);
    unit_temp_dir_remove(outside);
    unit_temp_dir_remove(dir);
}

int
main(int argc, char **argv)
{
    unit_init(&argc, &argv);
    unit_wiretap_init();
    g_test_add_func("/file-repair/cut/pcap-usec", test_cut_pcap_usec);
    g_test_add_func("/file-repair/cut/pcap-nsec", test_cut_pcap_nsec);
    g_test_add_func("/file-repair/cut/pcap-big-endian", test_cut_pcap_big_endian);
    g_test_add_func("/file-repair/cut/pcapng", test_cut_pcapng);
    g_test_add_func("/file-repair/cut/pcapng-big-endian", test_cut_pcapng_big_endian);
    g_test_add_func("/file-repair/half-written/pcap", test_half_written_pcap);
    g_test_add_func("/file-repair/half-written/pcapng", test_half_written_pcapng);
    g_test_add_func("/file-repair/symlink-not-followed", test_symlink_not_followed);
    return g_test_run();
}
