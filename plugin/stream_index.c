/* stream_index.c
 * The index of a split, DIR/streams.csv: one row per stream, the TCP
 * streams by stream index, then the UDP ones, then the DCCP ones (proto=),
 * counted as Wireshark's Conversations count them: frames and frame bytes
 * (frame.len) per direction, A being the source of the stream's first
 * frame. Every frame carrying tcp.stream counts, also those the tcp tap
 * never sees (a bad TCP header length, TCP quoted in an ICMP error), so the
 * counts equal the sums of `tshark -T fields -e tcp.stream -e frame.len`
 * per stream and direction; the same for udp.stream and dccp.stream. IP
 * fragments that only ride along in the stream's file carry no stream
 * field and do not count. The column proto says which transport the row
 * is; it and the columns after it (community_id, ja4, ja3s) were added at
 * the end so that readers of the older columns by position go on working.
 * UDP and DCCP rows have syn 0 and close "none": the syn and close columns
 * read TCP's flags.
 *
 * The TLS columns come from Wireshark's own TLS fields of the stream's first
 * ClientHello (ja3s: of its first ServerHello). ja4 is Wireshark's
 * tls.handshake.ja4 where the running Wireshark has it (4.2+), else
 * computed from the ClientHello's bytes as 4.6 computes it (tls_ja4.c).
 * They are payload, so they are escaped before they reach the file:
 * control characters, the separators '\\', '"', ',' and ';' (which joins
 * ALPN values), and a leading '=', '+', '-' or '@' (which a spreadsheet
 * would run as a formula) become \xNN; bytes that are not UTF-8 too. No
 * valid server name, ALPN id, JA3 or JA4 holds any of them.
 *
 * community_id, after proto for the same reason, is the Community ID v1 of
 * the stream's two ends and transport (community_id.c), computed as the row
 * is written, not per frame.
 *
 * The index is written whole to a temporary file, synced and renamed over
 * streams.csv: a reader, a crash or a full disk never meets a partial
 * index under its name, and a live capture can rewrite it as it goes.
 *
 * A shard's split (shard=yes) writes shard-streams.csv the same way
 * instead: the same columns and three more at the end, selected, written
 * (the frame records in the stream's file) and written_bytes (their
 * captured bytes), a row for every stream.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "stream_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <epan/to_str.h>

#include "atomic_file.h"
#include "write_all.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

#define INDEX_COLUMNS \
    "stream,file,addr_a,port_a,addr_b,port_b,frames_ab,bytes_ab,frames_ba,bytes_ba," \
    "first_frame,last_frame,start,duration,syn,close,tls_sni,tls_alpn,ja3,proto,community_id,ja4,ja3s"

static const char index_header[] = INDEX_COLUMNS "\r\n";
static const char shard_header[] = INDEX_COLUMNS ",selected,written,written_bytes\r\n";
static const char counts_header[] = "transport,streams\r\n";

/* A copy of src whose bytes are in store (16 bytes) when they fit, else
 * allocated; free_address() frees only the latter. The facts must not move
 * in memory while they hold such a copy. */
static void
copy_address_inline(address *to, guint8 *store, const address *src)
{
    if (src->len <= 0 || src->len > 16) {
        copy_address(to, src);
        return;
    }
    memcpy(store, src->data, (size_t)src->len);
    set_address(to, src->type, src->len, store);
}

void
stream_facts_init(stream_facts *f, const address *src, guint16 sport, const address *dst, guint16 dport)
{
    memset(f, 0, sizeof *f);
    copy_address_inline(&f->addr_a, f->addr_a_bytes, src);
    copy_address_inline(&f->addr_b, f->addr_b_bytes, dst);
    f->port_a = sport;
    f->port_b = dport;
}

void
stream_facts_clear(stream_facts *f)
{
    free_address(&f->addr_a);
    free_address(&f->addr_b);
    g_free(f->tls_sni);
    g_free(f->tls_alpn);
    g_free(f->ja3);
    g_free(f->ja4);
    g_free(f->ja3s);
}

gboolean
stream_facts_from_a(const stream_facts *f, const address *src, guint16 sport)
{
    return sport == f->port_a && addresses_equal(src, &f->addr_a);
}

void
stream_facts_add_frame(stream_facts *f, gboolean from_a, guint32 num, guint32 frame_len, const nstime_t *ts)
{
    if (f->frames_ab + f->frames_ba == 0) {
        f->first_frame = num;
        f->start = *ts;
    }
    f->last_frame = num;
    f->last = *ts;
    if (from_a) {
        f->frames_ab++;
        f->bytes_ab += frame_len;
    } else {
        f->frames_ba++;
        f->bytes_ba += frame_len;
    }
}

gboolean
stream_facts_add_flags(stream_facts *f, gboolean from_a, guint16 tcp_flags)
{
    if ((tcp_flags & TCP_FLAG_SYN) && !(tcp_flags & TCP_FLAG_ACK))
        f->syn = 1;
    if (f->close != STREAM_CLOSE_NONE)
        return FALSE;
    if (tcp_flags & TCP_FLAG_RST) {
        f->close = STREAM_CLOSE_RST;
        return TRUE;
    }
    if (tcp_flags & TCP_FLAG_FIN) {
        f->fin_from |= from_a ? 1 : 2;
        if (f->fin_from == 3) {
            f->close = STREAM_CLOSE_FIN;
            return TRUE;
        }
    }
    return FALSE;
}

char *
stream_index_escape(const char *raw)
{
    GString *out = g_string_sized_new(strlen(raw));
    const char *p = raw;

    while (*p != '\0') {
        const char *end;
        gunichar c;

        if (!g_utf8_validate(p, -1, &end) && end == p) {
            g_string_append_printf(out, "\\x%02X", (guint8)*p);
            p++;
            continue;
        }
        c = g_utf8_get_char(p);
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\\' || c == '"' || c == ',' || c == ';'
            || (p == raw && (c == '=' || c == '+' || c == '-' || c == '@'))) {
            if (c < 0x100)
                g_string_append_printf(out, "\\x%02X", c);
            else
                g_string_append_printf(out, "\\u%04X", c);
        } else {
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
        }
        p = g_utf8_next_char(p);
    }
    return g_string_free(out, FALSE);
}

void
stream_facts_set_tls(stream_facts *f, const char *sni, const char *const *alpn, guint n_alpn, const char *ja3,
                     const char *ja4)
{
    GString *joined;

    if (f->tls_seen)
        return;
    f->tls_seen = 1;
    f->tls_misses = 0;      /* the ServerHello's wait starts now */
    f->tls_sni = sni ? stream_index_escape(sni) : NULL;
    f->ja3 = ja3 ? stream_index_escape(ja3) : NULL;
    f->ja4 = ja4 ? stream_index_escape(ja4) : NULL;
    if (n_alpn == 0)
        return;
    joined = g_string_new(NULL);
    for (guint i = 0; i < n_alpn; i++) {
        char *e = stream_index_escape(alpn[i]);
        if (i > 0)
            g_string_append_c(joined, ';');
        g_string_append(joined, e);
        g_free(e);
    }
    f->tls_alpn = g_string_free(joined, FALSE);
}

void
stream_facts_set_server_hello(stream_facts *f, const char *ja3s)
{
    if (f->tls_server_seen)
        return;
    f->tls_server_seen = 1;
    f->ja3s = ja3s ? stream_index_escape(ja3s) : NULL;
}

gboolean
stream_facts_waits_for_hello(const stream_facts *f)
{
    return !f->tls_seen || !f->tls_server_seen;
}

void
stream_facts_tls_frame_read(stream_facts *f)
{
    if (!stream_facts_waits_for_hello(f) || ++f->tls_misses < STREAM_TLS_PATIENCE)
        return;
    /* Both waits end: with no ClientHello after so many frames, the
     * ServerHello cannot be the stream's either. */
    f->tls_seen = 1;
    f->tls_server_seen = 1;
}

/* An RFC 4180 field: quoted when it holds a separator or a quote. The
 * escaped TLS texts never do; file names and addresses never do either. */
static void
put_field(GString *line, const char *value, gboolean last)
{
    if (value != NULL && strpbrk(value, ",\"\r\n") != NULL) {
        g_string_append_c(line, '"');
        for (const char *c = value; *c != '\0'; c++) {
            if (*c == '"')
                g_string_append_c(line, '"');
            g_string_append_c(line, *c);
        }
        g_string_append_c(line, '"');
    } else if (value != NULL) {
        g_string_append(line, value);
    }
    g_string_append(line, last ? "\r\n" : ",");
}

static void
put_address(GString *line, const address *addr)
{
    char *text = address_to_str(NULL, addr);
    put_field(line, text, FALSE);
    wmem_free(NULL, text);
}

/* Seconds with nine digits, exact (no floating point). */
static void
put_time(GString *line, const nstime_t *t)
{
    if (t->secs < 0 && t->nsecs > 0)
        g_string_append_printf(line, "-%" G_GINT64_FORMAT ".%09d,", -(gint64)t->secs - 1, 1000000000 - t->nsecs);
    else
        g_string_append_printf(line, "%" G_GINT64_FORMAT ".%09d,", (gint64)t->secs, t->nsecs);
}

static const char *
close_name(guint8 close)
{
    switch (close) {
    case STREAM_CLOSE_FIN:
        return "fin";
    case STREAM_CLOSE_RST:
        return "rst";
    default:
        return "none";
    }
}

static void
format_row(GString *line, const stream_index_row *row, stream_index_kind kind)
{
    const stream_facts *f = row->facts;
    nstime_t duration;

    g_string_append_printf(line, "%u,", row->stream);
    put_field(line, row->file_name, FALSE);
    put_address(line, &f->addr_a);
    g_string_append_printf(line, "%u,", f->port_a);
    put_address(line, &f->addr_b);
    g_string_append_printf(line, "%u,%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%"
                           G_GUINT64_FORMAT ",%u,%u,", f->port_b, f->frames_ab, f->bytes_ab, f->frames_ba,
                           f->bytes_ba, f->first_frame, f->last_frame);
    put_time(line, &f->start);
    nstime_delta(&duration, &f->last, &f->start);
    put_time(line, &duration);
    g_string_append_printf(line, "%d,%s,", f->syn ? 1 : 0, close_name(f->close));
    put_field(line, f->tls_sni, FALSE);
    put_field(line, f->tls_alpn, FALSE);
    put_field(line, f->ja3, FALSE);
    put_field(line, row->transport, FALSE);
    put_field(line, row->community_id, FALSE);
    put_field(line, f->ja4, FALSE);
    put_field(line, f->ja3s, kind == STREAM_INDEX_PLAIN);
    if (kind == STREAM_INDEX_SHARD)
        g_string_append_printf(line, "%d,%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "\r\n", row->selected ? 1 : 0,
                               row->written, row->written_bytes);
}

/* The rows, into the open file fd. FALSE with errno set. */
static gboolean
write_rows(int fd, stream_index_kind kind, guint32 n_positions, stream_index_row_fn row_at, void *user_data)
{
    GString *buf = g_string_sized_new(1 << 16);
    stream_index_row row;
    gboolean ok = TRUE;

    g_string_append(buf, kind == STREAM_INDEX_SHARD ? shard_header
                         : kind == STREAM_INDEX_COUNTS ? counts_header : index_header);
    for (guint32 position = 0; ok && position < n_positions; position++) {
        if (!row_at(position, &row, user_data))
            continue;
        if (kind == STREAM_INDEX_COUNTS)
            g_string_append_printf(buf, "%s,%u\r\n", row.transport, row.stream);
        else
            format_row(buf, &row, kind);
        if (buf->len >= (1 << 16)) {
            ok = write_all(fd, buf->str, buf->len);
            g_string_truncate(buf, 0);
        }
    }
    ok = ok && write_all(fd, buf->str, buf->len);
    g_string_free(buf, TRUE);
    return ok;
}

gboolean
stream_index_write(int dir_fd, const char *dir_path, guint32 n_positions, stream_index_row_fn row_at,
                   void *user_data, char **error)
{
    return stream_index_write_kind(dir_fd, dir_path, STREAM_INDEX_PLAIN, n_positions, row_at, user_data, error);
}

/* write_rows' arguments, for atomic_file_write's fill. */
typedef struct {
    stream_index_kind kind;
    guint32 n_positions;
    stream_index_row_fn row_at;
    void *user_data;
} rows_job;

static gboolean
fill_rows(int fd, void *user_data)
{
    const rows_job *job = user_data;

    return write_rows(fd, job->kind, job->n_positions, job->row_at, job->user_data);
}

gboolean
stream_index_write_kind(int dir_fd, const char *dir_path, stream_index_kind kind, guint32 n_positions,
                        stream_index_row_fn row_at, void *user_data, char **error)
{
    const char *name = kind == STREAM_INDEX_SHARD ? STREAM_INDEX_SHARD_NAME
                       : kind == STREAM_INDEX_COUNTS ? STREAM_INDEX_COUNTS_NAME : STREAM_INDEX_NAME;
    const char *temp = kind == STREAM_INDEX_SHARD ? STREAM_INDEX_SHARD_TEMP
                       : kind == STREAM_INDEX_COUNTS ? STREAM_INDEX_COUNTS_TEMP : STREAM_INDEX_TEMP;
    rows_job job = { kind, n_positions, row_at, user_data };

    return atomic_file_write(dir_fd, dir_path, name, temp, fill_rows, &job, error);
}
