/* tls_ja4.c
 * JA4 of a ClientHello's raw bytes: FoxIO's TLS client fingerprint (the
 * client part only, BSD-3-Clause; JA4S and the other JA4+ parts are not
 * computed here), for Wireshark 4.0, which has no tls.handshake.ja4 field.
 * It gives what Wireshark 4.6's TLS dissector puts in that field for the
 * same message (tests/test_ja4.py compares the two on every capture):
 *
 *   a_b_c   a: transport ('t' TCP, 'q' QUIC), version (the highest
 *              non-GREASE supported_versions entry, else the hello's own
 *              version: "13", "12", "11", "10", "s3", "s2", "s1", else
 *              "00"), 'd' with a server_name extension else 'i', the number
 *              of non-GREASE cipher suites and of non-GREASE extensions
 *              (two digits, 99 at most), and the first and last character
 *              of the first ALPN value ("00" without one; the hex digits
 *              of its first byte's high half and last byte's low half
 *              when either is not alphanumeric);
 *           b: the first 12 hex digits of the SHA-256 of the non-GREASE
 *              cipher suites, sorted, as 4-digit hex joined by ','
 *              (twelve zeros when there is none);
 *           c: the same of the non-GREASE extensions but server_name and
 *              ALPN, sorted, then '_' and the signature algorithms in
 *              their order (without GREASE) when there are any.
 *
 * Where a vector does not fit in what holds it the dissector stops where it
 * is, and so does this: a cipher suite or compression list past the
 * message's end gives no JA4 at all; an extension past the extensions' end
 * ends them there (those before it count); a list past its extension's end
 * leaves that extension's part out. A length out of the vector's bounds
 * (no cipher suite) is only noted by the dissector and read on. A read past
 * the captured bytes (where the dissector throws) gives no JA4.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "tls_ja4.h"

#include <string.h>

#define HELLO_CLIENT 1
#define EXT_SERVER_NAME 0x0000
#define EXT_SIGNATURE_ALGORITHMS 0x000d
#define EXT_ALPN 0x0010
#define EXT_SUPPORTED_VERSIONS 0x002b
#define JA4_HASH_DIGITS 12
#define JA4_MAX_COUNT 99

/* The message's bytes; cut is set by a read past them. */
typedef struct {
    const guint8 *msg;
    gsize avail;
    gboolean cut;
} hello_bytes;

/* What JA4 takes from the message. */
typedef struct {
    guint16 version;        /* the hello's own (legacy) version */
    guint16 max_version;    /* the highest non-GREASE supported_versions entry; 0: none */
    gboolean sni;
    GArray *ciphers;        /* guint16, non-GREASE, in message order */
    GArray *extensions;     /* guint16, non-GREASE, without server_name and ALPN */
    guint n_extensions;     /* non-GREASE extensions */
    GArray *sigalgs;        /* guint16, in order */
    char alpn[3];           /* "" until the first ALPN value */
} ja4_parts;

/* RFC 8701's reserved values: 0x0a0a, 0x1a1a, ... 0xfafa. */
static gboolean
is_grease(guint16 v)
{
    return (v & 0x0f0f) == 0x0a0a && (v & 0xff) == (v >> 8);
}

static guint32
get_uint(hello_bytes *b, gsize off, guint size)
{
    guint32 v = 0;

    if (off + size > b->avail) {
        b->cut = TRUE;
        return 0;
    }
    for (guint i = 0; i < size; i++)
        v = (v << 8) | b->msg[off + i];
    return v;
}

/* A vector's length of size bytes at off. FALSE (the dissector's
 * ssl_add_vector failing) when the length or the vector does not fit
 * before end. A length out of the vector's bounds is only an expert note
 * there, so it is not checked here. */
static gboolean
read_vector(hello_bytes *b, gsize off, gsize end, guint size, guint32 *len)
{
    if (off + size > end)
        return FALSE;
    *len = get_uint(b, off, size);
    return !b->cut && off + size + *len <= end;
}

static void
add_sorted(GArray *list, guint16 v)
{
    guint i = 0;

    while (i < list->len && g_array_index(list, guint16, i) <= v)
        i++;
    g_array_insert_val(list, i, v);
}

static void
ext_supported_versions(hello_bytes *b, gsize off, gsize end, ja4_parts *p)
{
    guint32 len;

    if (!read_vector(b, off, end, 1, &len))
        return;
    for (gsize v = off + 1; v + 2 <= off + 1 + len; v += 2) {
        guint16 version = (guint16)get_uint(b, v, 2);
        if (!is_grease(version) && version > p->max_version)
            p->max_version = version;
    }
}

static void
ext_signature_algorithms(hello_bytes *b, gsize off, gsize end, ja4_parts *p)
{
    guint32 len;

    if (!read_vector(b, off, end, 2, &len))
        return;
    for (gsize v = off + 2; v + 2 <= off + 2 + len; v += 2) {
        guint16 alg = (guint16)get_uint(b, v, 2);
        if (!is_grease(alg))
            g_array_append_val(p->sigalgs, alg);
    }
}

static gboolean
is_alnum(guint8 c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The first ALPN value's two characters. */
static void
ext_alpn(hello_bytes *b, gsize off, gsize end, ja4_parts *p)
{
    guint32 list_len, name_len;
    gsize list_end;

    if (!read_vector(b, off, end, 2, &list_len))
        return;
    off += 2;
    list_end = off + list_len;
    if (p->alpn[0] != '\0' || !read_vector(b, off, list_end, 1, &name_len))
        return;
    {
        /* With an empty name these are the byte after it and its length. */
        guint8 first = (guint8)get_uint(b, off + 1, 1), last = (guint8)get_uint(b, off + name_len, 1);

        if (is_alnum(first) && is_alnum(last))
            g_snprintf(p->alpn, sizeof p->alpn, "%c%c", first, last);
        else
            g_snprintf(p->alpn, sizeof p->alpn, "%x%x", first >> 4, last & 0x0f);
    }
}

/* One extension's data, [off, end). */
static void
read_extension(hello_bytes *b, guint16 type, gsize off, gsize end, ja4_parts *p)
{
    switch (type) {
    case EXT_SERVER_NAME:
        p->sni = TRUE;
        break;
    case EXT_SIGNATURE_ALGORITHMS:
        ext_signature_algorithms(b, off, end, p);
        break;
    case EXT_ALPN:
        ext_alpn(b, off, end, p);
        break;
    case EXT_SUPPORTED_VERSIONS:
        ext_supported_versions(b, off, end, p);
        break;
    default:
        break;
    }
}

/* The extensions vector at off, within the message's end. */
static void
read_extensions(hello_bytes *b, gsize off, gsize end, ja4_parts *p)
{
    guint32 len;

    if (!read_vector(b, off, end, 2, &len))
        return;
    off += 2;
    end = off + len;
    while (end - off >= 4 && !b->cut) {
        guint16 type = (guint16)get_uint(b, off, 2);
        guint32 ext_len;

        if (!is_grease(type)) {
            p->n_extensions++;
            if (type != EXT_SERVER_NAME && type != EXT_ALPN)
                add_sorted(p->extensions, type);
        }
        if (!read_vector(b, off + 2, end, 2, &ext_len))
            return;
        read_extension(b, type, off + 4, off + 4 + ext_len, p);
        off += 4 + ext_len;
    }
}

/* The hello's fields up to the extensions. FALSE where the dissector stops
 * before it computes JA4. */
static gboolean
read_hello(hello_bytes *b, gsize end, ja4_parts *p)
{
    gsize off = 4;
    guint32 len;

    p->version = (guint16)get_uint(b, off, 2);
    off += 2 + 32;                                  /* version, random */
    off += 1 + get_uint(b, off, 1);                 /* session id */
    if (b->cut || off > b->avail || !read_vector(b, off, end, 2, &len))
        return FALSE;
    off += 2;
    for (gsize c = off; c + 2 <= off + len; c += 2) {
        guint16 suite = (guint16)get_uint(b, c, 2);
        if (!is_grease(suite))
            add_sorted(p->ciphers, suite);
    }
    off += len;
    if (!read_vector(b, off, end, 1, &len))
        return FALSE;
    off += 1 + len;
    if (off < end)
        read_extensions(b, off, end, p);
    return !b->cut;
}

static const char *
version_name(guint16 version)
{
    switch (version) {
    case 0x0100: return "s1";
    case 0x0002: return "s2";
    case 0x0300: return "s3";
    case 0x0301: return "10";
    case 0x0302: return "11";
    case 0x0303: return "12";
    case 0x0304: return "13";
    default: return "00";
    }
}

/* values as 4-digit hex joined by ',', appended to out. */
static void
append_hex_list(GString *out, const GArray *values)
{
    for (guint i = 0; i < values->len; i++)
        g_string_append_printf(out, i ? ",%04x" : "%04x", g_array_index(values, guint16, i));
}

/* The first 12 hex digits of text's SHA-256, appended to out; twelve
 * zeros for an empty list. */
static void
append_hash12(GString *out, const char *text)
{
    char *hash;

    if (*text == '\0') {
        g_string_append(out, "000000000000");
        return;
    }
    hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    g_string_append_len(out, hash, JA4_HASH_DIGITS);
    g_free(hash);
}

static char *
format_ja4(const ja4_parts *p, char transport)
{
    GString *out = g_string_new(NULL);
    GString *list = g_string_new(NULL);

    if (transport != '\0')
        g_string_append_c(out, transport);
    g_string_append_printf(out, "%s%c%02u%02u%s_", version_name(p->max_version ? p->max_version : p->version),
                           p->sni ? 'd' : 'i', MIN(p->ciphers->len, JA4_MAX_COUNT),
                           MIN(p->n_extensions, JA4_MAX_COUNT), p->alpn[0] != '\0' ? p->alpn : "00");
    append_hex_list(list, p->ciphers);
    append_hash12(out, list->str);
    g_string_append_c(out, '_');
    g_string_truncate(list, 0);
    append_hex_list(list, p->extensions);
    if (p->sigalgs->len > 0) {
        g_string_append_c(list, '_');
        append_hex_list(list, p->sigalgs);
    }
    append_hash12(out, list->str);
    g_string_free(list, TRUE);
    return g_string_free(out, FALSE);
}

char *
tls_ja4_client_hello(const guint8 *msg, gsize len, char transport)
{
    hello_bytes b = { msg, len, FALSE };
    ja4_parts p;
    gsize end;
    char *ja4 = NULL;

    if (len < 4 || msg[0] != HELLO_CLIENT)
        return NULL;
    end = 4 + get_uint(&b, 1, 3);
    if (end > len)
        return NULL;
    memset(&p, 0, sizeof p);
    p.ciphers = g_array_new(FALSE, FALSE, sizeof(guint16));
    p.extensions = g_array_new(FALSE, FALSE, sizeof(guint16));
    p.sigalgs = g_array_new(FALSE, FALSE, sizeof(guint16));
    if (read_hello(&b, end, &p))
        ja4 = format_ja4(&p, transport);
    g_array_free(p.ciphers, TRUE);
    g_array_free(p.extensions, TRUE);
    g_array_free(p.sigalgs, TRUE);
    return ja4;
}
