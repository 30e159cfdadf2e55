/* stream_index.h
 * What the index (streams.csv) says of each stream, and writing it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_STREAM_INDEX_H
#define FLOWSPLIT_STREAM_INDEX_H

#include <glib.h>
#include <epan/address.h>
#include <wsutil/nstime.h>

#include "community_id.h"

typedef enum {
    STREAM_CLOSE_NONE,
    STREAM_CLOSE_FIN,       /* FIN seen both ways before any RST */
    STREAM_CLOSE_RST        /* RST seen before FIN both ways */
} stream_close;

/* Facts of one stream, gathered frame by frame. What every frame touches
 * comes first, A's address inside it: with 10,000 streams open at once a
 * frame's stream is rarely in the cache, and each pointer followed from it
 * would be one more miss (perf, 2026-12-02). */
typedef struct {
    address addr_a;         /* source of the stream's first frame; data in addr_a_bytes when it fits */
    guint16 port_a;
    guint16 port_b;
    guint8 fin_from;        /* bit 0: FIN from A, bit 1: FIN from B */
    guint8 syn : 1;         /* the opening SYN (SYN without ACK) was captured */
    guint8 tls_seen : 1;    /* the first ClientHello has been read, or given up */
    guint8 tls_server_seen : 1;     /* the first ServerHello has been read, or given up */
    guint8 close;           /* stream_close */
    guint8 tls_misses;      /* TLS frames read since the last hello without the one awaited */
    guint32 first_frame;
    guint32 last_frame;
    guint64 frames_ab, frames_ba;
    guint64 bytes_ab, bytes_ba;
    nstime_t start;
    nstime_t last;
    guint8 addr_a_bytes[16];    /* an IPv4 or IPv6 address */
    /* Read when the split ends: */
    address addr_b;
    guint8 addr_b_bytes[16];
    char *tls_sni;          /* from the first ClientHello, already escaped; NULL when none */
    char *tls_alpn;
    char *ja3;
    char *ja4;              /* JA4 of the first ClientHello (Wireshark's field, or tls_ja4.c on 4.0) */
    char *ja3s;             /* from the first ServerHello */
} stream_facts;

void stream_facts_init(stream_facts *f, const address *src, guint16 sport, const address *dst, guint16 dport);
void stream_facts_clear(stream_facts *f);

/* Is (addr, port) the stream's A side? */
gboolean stream_facts_from_a(const stream_facts *f, const address *src, guint16 sport);

/* One frame of the stream (a frame counts once per stream). */
void stream_facts_add_frame(stream_facts *f, gboolean from_a, guint32 num, guint32 frame_len, const nstime_t *ts);

/* The TCP flags of one TCP layer of the stream. Returns TRUE when this
 * frame ended the stream (FIN both ways, or RST). */
gboolean stream_facts_add_flags(stream_facts *f, gboolean from_a, guint16 tcp_flags);

/* The fields of the stream's first ClientHello (raw, from the dissector).
 * alpn: the protocols in order. Later calls are ignored. */
void stream_facts_set_tls(stream_facts *f, const char *sni, const char *const *alpn, guint n_alpn, const char *ja3,
                          const char *ja4);

/* The JA3S of the stream's first ServerHello (raw, NULL when the dissector
 * gave none). Later calls are ignored. */
void stream_facts_set_server_hello(stream_facts *f, const char *ja3s);

/* The hellos are read from a second dissection of the stream's TLS frames
 * while it waits for them (intake_tree.c). A stream whose hello never
 * comes (captured after its handshake, or one way only) would have every
 * TLS frame dissected twice; so a wait ends after this many of its TLS
 * frames without the hello awaited. A ClientHello split over segments
 * takes two or three (its first segments carry a TLS layer that waits for
 * the rest); the ServerHello is the next TLS frame but for a client's
 * segments sent before it. Every capture the tests have gives the same
 * hellos as Wireshark's first ones (test_index.py); with a wait without
 * bound a capture of one direction had every TLS frame dissected twice. */
#define STREAM_TLS_PATIENCE 4

/* Does the stream still wait for its ClientHello or ServerHello? */
gboolean stream_facts_waits_for_hello(const stream_facts *f);

/* A TLS frame of the stream was read again and its hellos set: counts it
 * against the wait, and ends the wait after STREAM_TLS_PATIENCE of them. */
void stream_facts_tls_frame_read(stream_facts *f);

/* A payload-derived text made safe for the index: control characters,
 * '\\', '"', ',', ';', a leading '=', '+', '-' or '@', and bytes that are not
 * UTF-8 become \xNN. g_free it. */
char *stream_index_escape(const char *raw);

/* One row of the index. */
typedef struct {
    const char *transport;      /* "tcp", "udp", "dccp" */
    guint32 stream;             /* the transport's stream index (tcp.stream, udp.stream, dccp.stream) */
    const stream_facts *facts;
    const char *file_name;      /* NULL with files=no */
    char community_id[COMMUNITY_ID_TEXT_LEN];   /* the stream's Community ID; "" when it has none */
    /* Read only for the shard list (STREAM_INDEX_SHARD): */
    gboolean selected;          /* the stream is in the split (its file, its row of streams.csv) */
    guint64 written;            /* frame records written to its file; 0 with none */
    guint64 written_bytes;      /* and their captured bytes */
} stream_index_row;

/* Where stream_index_write finds row number `position`. FALSE when that
 * position holds no row (a stream that is not written). */
typedef gboolean (*stream_index_row_fn)(guint32 position, stream_index_row *row, void *user_data);

/* The index's name in the output folder, and the temporary file it is
 * written to first. */
#define STREAM_INDEX_NAME "streams.csv"
#define STREAM_INDEX_TEMP "streams.csv.tmp"

/* With shard=yes the split writes, instead of streams.csv, the shard list:
 * the same columns plus selected and written, a row for every stream the
 * split saw, for the flowsplit command's merge (cmd/merge.h names it
 * MERGE_SHARD_LIST). */
#define STREAM_INDEX_SHARD_NAME "shard-streams.csv"
#define STREAM_INDEX_SHARD_TEMP "shard-streams.csv.tmp"

/* And beside it the shard's counts: a row (transport,streams) for each
 * split transport whose counter Wireshark exports, the number of stream
 * indexes the dissection handed out, seen by the split or not (the merge
 * finds there a stream the shard numbered but never showed). */
#define STREAM_INDEX_COUNTS_NAME "shard-counts.csv"
#define STREAM_INDEX_COUNTS_TEMP "shard-counts.csv.tmp"

typedef enum {
    STREAM_INDEX_PLAIN,     /* streams.csv */
    STREAM_INDEX_SHARD,     /* shard-streams.csv */
    STREAM_INDEX_COUNTS     /* shard-counts.csv: a row's transport and stream (the count) only */
} stream_index_kind;

/* Writes DIR/streams.csv (RFC 4180, UTF-8, header row), one row for each
 * position from 0 to n_positions - 1 that holds one, atomically: written
 * to STREAM_INDEX_TEMP, synced, renamed over any earlier index. FALSE with
 * a one-line message in *error, and no temporary file left. */
gboolean stream_index_write(int dir_fd, const char *dir_path, guint32 n_positions, stream_index_row_fn row,
                            void *user_data, char **error);

/* The same for either list: kind's name, temporary file and columns. */
gboolean stream_index_write_kind(int dir_fd, const char *dir_path, stream_index_kind kind, guint32 n_positions,
                                 stream_index_row_fn row, void *user_data, char **error);

#endif /* FLOWSPLIT_STREAM_INDEX_H */
