/* test_stream_index.c
 * Unit tests of the index (plugin/stream_index.h): CSV escaping of
 * payload-derived text (separators, quotes, control characters, a leading
 * formula character and bytes that are not UTF-8 become \xNN, the rest of
 * UTF-8 stays), on fixed cases and on random byte strings; the facts a
 * stream gathers (directions, counts, SYN, FIN and RST closes, the first
 * ClientHello only); and streams.csv as written: an RFC 4180 file read back
 * with a strict parser, every row with every column, a file name holding a
 * comma and a quote quoted, hostile TLS names escaped, negative times,
 * replaced whole on a second write, no temporary file left, a stale or
 * symlinked temporary file removed without being followed, and an error
 * that names the file when the folder is gone.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <epan/address.h>

#include "stream_index.h"
#include "unit_support.h"

#define N_COLUMNS 23

typedef struct {
    const char *raw;
    const char *escaped;
} escape_case;

static const escape_case escape_cases[] = {
    { "", "" },
    { "example.com", "example.com" },
    { "a,b", "a\\x2Cb" },
    { "a;b", "a\\x3Bb" },
    { "a\"b", "a\\x22b" },
    { "a\\b", "a\\x5Cb" },
    { "=1+2", "\\x3D1+2" },
    { "+1", "\\x2B1" },
    { "-1", "\\x2D1" },
    { "@SUM(A1)", "\\x40SUM(A1)" },
    { "a=b-c+d@e", "a=b-c+d@e" },           /* only a leading one is a formula */
    { "\r\n\t\x01", "\\x0D\\x0A\\x09\\x01" },
    { "del\x7f", "del\\x7F" },
    { "\xff", "\\xFF" },
    { "a\xc3", "a\\xC3" },                  /* UTF-8 cut short */
    { "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93", "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93" },
    { "\xc2\x85", "\\x85" },                /* C1 control U+0085 */
    { "\xc2\x9f", "\\x9F" },
    { "\xc2\xa0", "\xc2\xa0" },             /* U+00A0 is text */
    { "\xe2\x80\xae", "\xe2\x80\xae" },     /* kept: the index is UTF-8 */
    { "h2", "h2" },
};

static void
test_escape_cases(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(escape_cases); i++) {
        char *e = stream_index_escape(escape_cases[i].raw);

        g_assert_cmpstr(e, ==, escape_cases[i].escaped);
        g_free(e);
    }
}

/* Whatever the bytes, the escaped text is UTF-8 with no separator, quote,
 * line break or control character, and does not start a formula. */
static void
assert_escaped_safe(const char *e)
{
    g_assert_true(g_utf8_validate(e, -1, NULL));
    g_assert_null(strpbrk(e, ",;\"\r\n"));
    g_assert_true(strchr("=+-@", e[0]) == NULL || e[0] == '\0');
    for (const char *p = e; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        g_assert_false(c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0));
    }
}

static void
test_escape_random(void)
{
    GRand *rand = g_rand_new_with_seed(20261203);

    for (guint n = 0; n < 5000; n++) {
        guint len = (guint)g_rand_int_range(rand, 0, 24);
        char raw[32];
        char *e;

        for (guint i = 0; i < len; i++) {
            /* Mostly the interesting bytes, some of anything. */
            static const char pick[] = ",;\"\\=+-@\r\n\x01\x7f\xc2\x85\xc3\xa9\xe2\x80\xae\xff" "aZ0.";
            raw[i] = g_rand_boolean(rand) ? pick[g_rand_int_range(rand, 0, sizeof pick - 1)]
                                          : (char)g_rand_int_range(rand, 1, 256);
        }
        raw[len] = '\0';
        e = stream_index_escape(raw);
        assert_escaped_safe(e);
        g_free(e);
    }
    g_rand_free(rand);
}

static const guint8 ip_a[4] = { 10, 0, 0, 1 }, ip_b[4] = { 10, 0, 0, 2 };

static void
ipv4_facts(stream_facts *f)
{
    address a, b;

    set_address(&a, AT_IPv4, 4, ip_a);
    set_address(&b, AT_IPv4, 4, ip_b);
    stream_facts_init(f, &a, 51234, &b, 443);
}

static void
test_facts_frames(void)
{
    stream_facts f;
    address a, b;
    nstime_t t1 = { 100, 5 }, t2 = { 103, 7 };

    ipv4_facts(&f);
    set_address(&a, AT_IPv4, 4, ip_a);
    set_address(&b, AT_IPv4, 4, ip_b);
    g_assert_true(stream_facts_from_a(&f, &a, 51234));
    g_assert_false(stream_facts_from_a(&f, &b, 443));
    g_assert_false(stream_facts_from_a(&f, &a, 443));
    stream_facts_add_frame(&f, TRUE, 10, 60, &t1);
    stream_facts_add_frame(&f, FALSE, 11, 1514, &t1);
    stream_facts_add_frame(&f, FALSE, 15, 40, &t2);
    g_assert_cmpuint(f.first_frame, ==, 10);
    g_assert_cmpuint(f.last_frame, ==, 15);
    g_assert_cmpuint(f.frames_ab, ==, 1);
    g_assert_cmpuint(f.bytes_ab, ==, 60);
    g_assert_cmpuint(f.frames_ba, ==, 2);
    g_assert_cmpuint(f.bytes_ba, ==, 1554);
    g_assert_cmpint(f.start.secs, ==, 100);
    g_assert_cmpint(f.last.secs, ==, 103);
    stream_facts_clear(&f);
}

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

static void
test_facts_flags(void)
{
    stream_facts f;

    ipv4_facts(&f);
    g_assert_false(stream_facts_add_flags(&f, FALSE, SYN | ACK));
    g_assert_false(f.syn);                          /* SYN+ACK is not the opening SYN */
    g_assert_false(stream_facts_add_flags(&f, TRUE, SYN));
    g_assert_true(f.syn);
    g_assert_false(stream_facts_add_flags(&f, TRUE, FIN | ACK));
    g_assert_false(stream_facts_add_flags(&f, TRUE, FIN | ACK));   /* the same side again */
    g_assert_cmpint(f.close, ==, STREAM_CLOSE_NONE);
    g_assert_true(stream_facts_add_flags(&f, FALSE, FIN | ACK));
    g_assert_cmpint(f.close, ==, STREAM_CLOSE_FIN);
    g_assert_false(stream_facts_add_flags(&f, FALSE, RST));        /* already closed */
    g_assert_cmpint(f.close, ==, STREAM_CLOSE_FIN);
    stream_facts_clear(&f);

    ipv4_facts(&f);
    g_assert_false(stream_facts_add_flags(&f, TRUE, FIN | ACK));
    g_assert_true(stream_facts_add_flags(&f, FALSE, RST | ACK));
    g_assert_cmpint(f.close, ==, STREAM_CLOSE_RST);
    stream_facts_clear(&f);
}

/* A stream waits for its hellos STREAM_TLS_PATIENCE TLS frames each: the
 * ClientHello's wait, then, from the ClientHello on, the ServerHello's;
 * a ServerHello ends the waits. */
static void
test_facts_tls_patience(void)
{
    stream_facts f;

    ipv4_facts(&f);
    for (int i = 0; i < STREAM_TLS_PATIENCE - 1; i++) {
        stream_facts_tls_frame_read(&f);
        g_assert_true(stream_facts_waits_for_hello(&f));
    }
    stream_facts_set_tls(&f, "late.example", NULL, 0, NULL, NULL);
    stream_facts_tls_frame_read(&f);
    g_assert_true(stream_facts_waits_for_hello(&f));
    for (int i = 1; i < STREAM_TLS_PATIENCE; i++)
        stream_facts_tls_frame_read(&f);
    g_assert_false(stream_facts_waits_for_hello(&f));
    g_assert_cmpstr(f.tls_sni, ==, "late.example");
    g_assert_null(f.ja3s);
    stream_facts_clear(&f);

    /* No ClientHello: both waits end together. */
    ipv4_facts(&f);
    for (int i = 0; i < STREAM_TLS_PATIENCE; i++)
        stream_facts_tls_frame_read(&f);
    g_assert_false(stream_facts_waits_for_hello(&f));
    stream_facts_set_tls(&f, "too-late.example", NULL, 0, NULL, NULL);
    g_assert_null(f.tls_sni);
    stream_facts_clear(&f);

    ipv4_facts(&f);
    stream_facts_set_tls(&f, NULL, NULL, 0, NULL, NULL);
    stream_facts_set_server_hello(&f, "abc");
    g_assert_false(stream_facts_waits_for_hello(&f));
    stream_facts_clear(&f);
}

static void
test_facts_tls(void)
{
    const char *alpn[] = { "h2", "http/1.1", "x;y" };
    const char *other[] = { "spdy/3" };
    stream_facts f;

    ipv4_facts(&f);
    stream_facts_set_tls(&f, "=evil,\"sni\"\r\n", alpn, G_N_ELEMENTS(alpn), "771,4865-4866,0", NULL);
    g_assert_cmpstr(f.tls_sni, ==, "\\x3Devil\\x2C\\x22sni\\x22\\x0D\\x0A");
    g_assert_cmpstr(f.tls_alpn, ==, "h2;http/1.1;x\\x3By");
    g_assert_cmpstr(f.ja3, ==, "771\\x2C4865-4866\\x2C0");
    /* Only the first ClientHello counts. */
    stream_facts_set_tls(&f, "second.example", other, 1, NULL, NULL);
    g_assert_cmpstr(f.tls_sni, ==, "\\x3Devil\\x2C\\x22sni\\x22\\x0D\\x0A");
    stream_facts_clear(&f);

    ipv4_facts(&f);
    stream_facts_set_tls(&f, NULL, NULL, 0, NULL, NULL);
    g_assert_null(f.tls_sni);
    g_assert_null(f.tls_alpn);
    g_assert_null(f.ja3);
    stream_facts_clear(&f);
}

/* ---- streams.csv ---- */

/* A strict RFC 4180 reader: rows of fields, CRLF line ends. NULL when the
 * text is not such a file. */
static GPtrArray *
csv_parse(const char *text)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    const char *p = text;

    while (*p != '\0') {
        GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);

        g_ptr_array_add(rows, fields);
        for (;;) {
            GString *field = g_string_new(NULL);

            if (*p == '"') {
                for (p++;; p++) {
                    if (*p == '\0') {
                        g_string_free(field, TRUE);
                        g_ptr_array_unref(rows);
                        return NULL;
                    }
                    if (*p == '"' && p[1] == '"')
                        p++;
                    else if (*p == '"')
                        break;
                    g_string_append_c(field, *p);
                }
                p++;
            } else {
                while (*p != ',' && *p != '\r' && *p != '\n' && *p != '"' && *p != '\0')
                    g_string_append_c(field, *p++);
            }
            g_ptr_array_add(fields, g_string_free(field, FALSE));
            if (*p == ',') {
                p++;
                continue;
            }
            if (p[0] == '\r' && p[1] == '\n') {
                p += 2;
                break;
            }
            g_ptr_array_unref(rows);     /* a bare CR, LF, quote, or no line end */
            return NULL;
        }
    }
    return rows;
}

static const char *
cell(GPtrArray *rows, guint row, guint column)
{
    GPtrArray *fields = g_ptr_array_index(rows, row);
    return g_ptr_array_index(fields, column);
}

/* The rows the index test writes, by position; position 1 holds none. */
typedef struct {
    stream_facts facts[4];
} index_rows;

static gboolean
row_at(guint32 position, stream_index_row *row, void *user_data)
{
    index_rows *rows = user_data;

    switch (position) {
    case 0:
        row->transport = "tcp";
        row->stream = 0;
        row->file_name = "tcp-000000_10.0.0.1.51234-10.0.0.2.443.pcapng";
        break;
    case 2:
        row->transport = "udp";
        row->stream = 5;
        row->file_name = NULL;          /* files=no */
        break;
    case 3:
        row->transport = "tcp";
        row->stream = 9;
        row->file_name = "we,ird \"name\"";
        break;
    default:
        return FALSE;
    }
    g_strlcpy(row->community_id, position == 0 ? "1:x+y/z=" : "", sizeof row->community_id);
    row->facts = &rows->facts[position];
    return TRUE;
}

static void
make_rows(index_rows *rows)
{
    static const guint8 v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    static const guint8 v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
    const char *alpn[] = { "h2", "http/1.1" };
    nstime_t t0 = { 1700000000, 123456789 }, t1 = { 1700000002, 623456789 };
    nstime_t neg0 = { -2, 250000000 }, neg1 = { -1, 0 };
    address a, b;

    memset(rows, 0, sizeof *rows);
    ipv4_facts(&rows->facts[0]);
    stream_facts_add_frame(&rows->facts[0], TRUE, 1, 74, &t0);
    stream_facts_add_frame(&rows->facts[0], FALSE, 2, 66, &t1);
    stream_facts_add_flags(&rows->facts[0], TRUE, SYN);
    stream_facts_add_flags(&rows->facts[0], TRUE, FIN);
    stream_facts_add_flags(&rows->facts[0], FALSE, FIN);
    stream_facts_set_tls(&rows->facts[0], "=cmd|' /C calc'!A0,\"x\"", alpn, 2, "deadbeef",
                         "t13d1516h2_8daaf6152771_e5627efa2ab1");
    stream_facts_set_server_hello(&rows->facts[0], "-ja3s,");

    set_address(&a, AT_IPv6, 16, v6a);
    set_address(&b, AT_IPv6, 16, v6b);
    stream_facts_init(&rows->facts[2], &a, 5353, &b, 53);
    stream_facts_add_frame(&rows->facts[2], TRUE, 7, 100, &neg0);
    stream_facts_add_frame(&rows->facts[2], TRUE, 8, 100, &neg1);

    ipv4_facts(&rows->facts[3]);
    stream_facts_add_frame(&rows->facts[3], FALSE, 3, 60, &t0);
    stream_facts_add_flags(&rows->facts[3], FALSE, RST);
}

static void
clear_rows(index_rows *rows)
{
    stream_facts_clear(&rows->facts[0]);
    stream_facts_clear(&rows->facts[2]);
    stream_facts_clear(&rows->facts[3]);
}

static GPtrArray *
read_index(const char *dir)
{
    char *path = g_build_filename(dir, STREAM_INDEX_NAME, NULL);
    gsize len;
    char *text = (char *)unit_read_file(path, &len);
    GPtrArray *rows;

    g_assert_cmpuint(strlen(text), ==, len);
    g_assert_true(g_utf8_validate(text, (gssize)len, NULL));
    rows = csv_parse(text);
    g_assert_nonnull(rows);
    for (guint i = 0; i < rows->len; i++)
        g_assert_cmpuint(((GPtrArray *)g_ptr_array_index(rows, i))->len, ==, N_COLUMNS);
    g_free(text);
    g_free(path);
    return rows;
}

static void
test_index_write(void)
{
    static const char *const header[N_COLUMNS] = {
        "stream", "file", "addr_a", "port_a", "addr_b", "port_b", "frames_ab", "bytes_ab", "frames_ba",
        "bytes_ba", "first_frame", "last_frame", "start", "duration", "syn", "close", "tls_sni", "tls_alpn",
        "ja3", "proto", "community_id", "ja4", "ja3s"
    };
    static const char *const row0[N_COLUMNS] = {
        "0", "tcp-000000_10.0.0.1.51234-10.0.0.2.443.pcapng", "10.0.0.1", "51234", "10.0.0.2", "443", "1", "74",
        "1", "66", "1", "2", "1700000000.123456789", "2.500000000", "1", "fin",
        "\\x3Dcmd|' /C calc'!A0\\x2C\\x22x\\x22", "h2;http/1.1", "deadbeef", "tcp", "1:x+y/z=",
        "t13d1516h2_8daaf6152771_e5627efa2ab1", "\\x2Dja3s\\x2C"
    };
    static const char *const row1[N_COLUMNS] = {
        "5", "", "2001:db8::1", "5353", "2001:db8::2", "53", "2", "200", "0", "0", "7", "8", "-1.750000000",
        "0.750000000", "0", "none", "", "", "", "udp", "", "", ""
    };
    static const char *const row2[N_COLUMNS] = {
        "9", "we,ird \"name\"", "10.0.0.1", "51234", "10.0.0.2", "443", "0", "0", "1", "60", "3", "3",
        "1700000000.123456789", "0.000000000", "0", "rst", "", "", "", "tcp", "", "", ""
    };
    const char *const *want[] = { header, row0, row1, row2 };
    char *dir = unit_temp_dir();
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *outside = unit_temp_dir();
    char *victim = unit_write_file(outside, "victim", "keep", 4);
    char *tmp_link = g_build_filename(dir, STREAM_INDEX_TEMP, NULL);
    char *error = NULL;
    GPtrArray *rows;
    index_rows facts;

    /* A temporary file a killed split left, as a symlink: removed, never
     * followed. */
    g_assert_cmpint(symlink(victim, tmp_link), ==, 0);
    make_rows(&facts);
    g_assert_true(stream_index_write(dir_fd, dir, 5, row_at, &facts, &error));
    g_assert_null(error);
    g_assert_false(g_file_test(tmp_link, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
    {
        gsize len;
        guint8 *kept = unit_read_file(victim, &len);
        g_assert_cmpmem(kept, len, "keep", 4);
        g_free(kept);
    }

    rows = read_index(dir);
    g_assert_cmpuint(rows->len, ==, G_N_ELEMENTS(want));
    for (guint r = 0; r < rows->len; r++)
        for (guint c = 0; c < N_COLUMNS; c++)
            g_assert_cmpstr(cell(rows, r, c), ==, want[r][c]);
    g_ptr_array_unref(rows);

    /* Written again with fewer rows: replaced whole. */
    g_assert_true(stream_index_write(dir_fd, dir, 1, row_at, &facts, &error));
    rows = read_index(dir);
    g_assert_cmpuint(rows->len, ==, 2);
    g_assert_cmpstr(cell(rows, 1, 0), ==, "0");
    g_ptr_array_unref(rows);
    g_assert_false(g_file_test(tmp_link, G_FILE_TEST_EXISTS));

    clear_rows(&facts);
    close(dir_fd);
    g_free(tmp_link);
    g_free(victim);
    unit_temp_dir_remove(outside);
    unit_temp_dir_remove(dir);
}

/* The folder is gone: FALSE, an error naming the index, nothing left. */
static void
test_index_error(void)
{
    char *dir = unit_temp_dir();
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *error = NULL, *want;
    index_rows facts;

    g_assert_cmpint(g_rmdir(dir), ==, 0);
    make_rows(&facts);
    g_assert_false(stream_index_write(dir_fd, dir, 4, row_at, &facts, &error));
    g_assert_nonnull(error);
    want = g_strdup_printf("\"%s/" STREAM_INDEX_NAME "\"", dir);
    g_assert_nonnull(strstr(error, want));
    g_assert_true(g_str_has_prefix(error, "flowsplit: cannot "));
    g_assert_null(strchr(error, '\n'));
    g_free(want);
    g_free(error);
    clear_rows(&facts);
    close(dir_fd);
    g_free(dir);
}

int
main(int argc, char **argv)
{
    unit_init(&argc, &argv);
    unit_epan_init();       /* the address types behind address_to_str() */
    g_test_add_func("/stream-index/escape/cases", test_escape_cases);
    g_test_add_func("/stream-index/escape/random", test_escape_random);
    g_test_add_func("/stream-index/facts/frames", test_facts_frames);
    g_test_add_func("/stream-index/facts/flags", test_facts_flags);
    g_test_add_func("/stream-index/facts/tls", test_facts_tls);
    g_test_add_func("/stream-index/facts/tls-patience", test_facts_tls_patience);
    g_test_add_func("/stream-index/csv/write", test_index_write);
    g_test_add_func("/stream-index/csv/error", test_index_error);
    return g_test_run();
}
