/* test_tls_ja4.c
 * Unit tests of the JA4 of a ClientHello's bytes (plugin/tls_ja4.h): the
 * first part read off hand-made hellos (version, SNI, counts, ALPN), GREASE
 * values that change nothing, counts that stop at 99, empty lists, and the
 * messages Wireshark gives no JA4 for (cut short, not a ClientHello). That each value equals Wireshark 4.6's own field is
 * tests/test_ja4.py's to show, on real captures.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "tls_ja4.h"
#include "unit_support.h"

/* A ClientHello built piece by piece. */
typedef struct {
    GByteArray *exts;
    GArray *ciphers;
    guint16 version;
} hello;

static void
put16(GByteArray *b, guint v)
{
    guint8 x[2] = { (guint8)(v >> 8), (guint8)v };
    g_byte_array_append(b, x, 2);
}

static void
add_ext(hello *h, guint16 type, const guint8 *data, guint len)
{
    put16(h->exts, type);
    put16(h->exts, len);
    g_byte_array_append(h->exts, data, len);
}

static void
add_alpn(hello *h, const char *name)
{
    guint8 data[64];
    guint n = (guint)strlen(name);

    data[0] = 0;
    data[1] = (guint8)(n + 1);
    data[2] = (guint8)n;
    memcpy(data + 3, name, n);
    add_ext(h, 16, data, n + 3);
}

static hello
hello_new(guint16 version)
{
    hello h = { g_byte_array_new(), g_array_new(FALSE, FALSE, sizeof(guint16)), version };
    return h;
}

/* The message (with extensions unless no_exts), its JA4 over TCP. */
static char *
hello_ja4(hello *h, gboolean no_exts, gsize cut)
{
    GByteArray *m = g_byte_array_new();
    guint8 zero[33] = { 0 };
    char *ja4;

    g_byte_array_append(m, (const guint8 *)"\x01\0\0\0", 4);
    put16(m, h->version);
    g_byte_array_append(m, zero, 33);                  /* random, empty session id */
    put16(m, h->ciphers->len * 2);
    for (guint i = 0; i < h->ciphers->len; i++)
        put16(m, g_array_index(h->ciphers, guint16, i));
    g_byte_array_append(m, (const guint8 *)"\x01\x00", 2);
    if (!no_exts) {
        put16(m, h->exts->len);
        g_byte_array_append(m, h->exts->data, h->exts->len);
    }
    m->data[1] = (guint8)((m->len - 4) >> 16);
    m->data[2] = (guint8)((m->len - 4) >> 8);
    m->data[3] = (guint8)(m->len - 4);
    ja4 = tls_ja4_client_hello(m->data, m->len - cut, 't');
    g_byte_array_free(m, TRUE);
    return ja4;
}

static void
hello_free(hello *h)
{
    g_byte_array_free(h->exts, TRUE);
    g_array_free(h->ciphers, TRUE);
}

static void
add_ciphers(hello *h, guint n, guint16 first)
{
    for (guint i = 0; i < n; i++) {
        guint16 c = (guint16)(first + i);
        g_array_append_val(h->ciphers, c);
    }
}

static void
test_first_part(void)
{
    static const guint8 sni[] = { 0, 7, 0, 0, 4, 'a', '.', 'b', 'c' }, versions[] = { 4, 0x03, 0x04, 0x03, 0x03 };
    hello h = hello_new(0x0303);
    char *ja4;

    add_ciphers(&h, 3, 0x1301);
    add_ext(&h, 0, sni, sizeof sni);
    add_ext(&h, 43, versions, sizeof versions);
    add_alpn(&h, "h2");
    ja4 = hello_ja4(&h, FALSE, 0);
    g_assert_true(g_str_has_prefix(ja4, "t13d0303h2_"));
    g_assert_cmpuint(strlen(ja4), ==, 10 + 1 + 12 + 1 + 12);
    g_free(ja4);
    hello_free(&h);

    h = hello_new(0x0301);
    add_ciphers(&h, 2, 0x002f);
    add_alpn(&h, "-h2");
    ja4 = hello_ja4(&h, FALSE, 0);
    g_assert_true(g_str_has_prefix(ja4, "t10i02012" "2_"));     /* '-' 0x2d, '2' 0x32 */
    g_free(ja4);
    hello_free(&h);
}

/* GREASE ciphers, extensions and versions change nothing. */
static void
test_grease(void)
{
    static const guint8 v13[] = { 2, 0x03, 0x04 }, v13g[] = { 4, 0x3a, 0x3a, 0x03, 0x04 };
    hello plain = hello_new(0x0303), greased = hello_new(0x0303);
    char *a, *b;

    add_ciphers(&plain, 4, 0xc02b);
    add_ciphers(&greased, 1, 0x0a0a);
    add_ciphers(&greased, 4, 0xc02b);
    add_ciphers(&greased, 1, 0xfafa);
    add_ext(&plain, 43, v13, sizeof v13);
    add_ext(&greased, 0x2a2a, NULL, 0);
    add_ext(&greased, 43, v13g, sizeof v13g);
    a = hello_ja4(&plain, FALSE, 0);
    b = hello_ja4(&greased, FALSE, 0);
    g_assert_cmpstr(a, ==, b);
    g_assert_true(g_str_has_prefix(a, "t13i040100_"));
    g_free(a);
    g_free(b);
    hello_free(&plain);
    hello_free(&greased);
}

static void
test_counts_and_empty_lists(void)
{
    hello h = hello_new(0x0303);
    char *ja4;

    add_ciphers(&h, 120, 0x0100);
    for (guint i = 0; i < 110; i++)
        add_ext(&h, (guint16)(0x2000 + i), NULL, 0);
    ja4 = hello_ja4(&h, FALSE, 0);
    g_assert_true(g_str_has_prefix(ja4, "t12i999900_"));
    g_free(ja4);
    hello_free(&h);

    h = hello_new(0x0303);
    add_ciphers(&h, 1, 0x1a1a);                        /* GREASE only: none counted */
    ja4 = hello_ja4(&h, TRUE, 0);
    g_assert_cmpstr(ja4, ==, "t12i000000_000000000000_000000000000");
    g_free(ja4);
    hello_free(&h);
}

static void
test_no_ja4(void)
{
    hello h = hello_new(0x0303);
    char *ja4;

    ja4 = hello_ja4(&h, FALSE, 0);                     /* no cipher suite: below the minimum, read on */
    g_assert_cmpstr(ja4, ==, "t12i000000_000000000000_000000000000");
    g_free(ja4);
    add_ciphers(&h, 2, 0x1301);
    ja4 = hello_ja4(&h, FALSE, 1);                     /* one byte short of its length */
    g_assert_null(ja4);
    g_assert_null(tls_ja4_client_hello((const guint8 *)"\x02\0\0\0", 4, 't'));
    g_assert_null(tls_ja4_client_hello((const guint8 *)"\x01\0\0", 3, 't'));
    hello_free(&h);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tls-ja4/first-part", test_first_part);
    g_test_add_func("/tls-ja4/grease", test_grease);
    g_test_add_func("/tls-ja4/counts-and-empty-lists", test_counts_and_empty_lists);
    g_test_add_func("/tls-ja4/no-ja4", test_no_ja4);
    return g_test_run();
}
