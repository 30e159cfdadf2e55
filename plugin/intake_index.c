/* intake_index.c
 * The rows of the index (streams.csv) from the stream table: written when
 * the split ends, and again every few seconds while a live capture runs.
 * With select=, the streams no frame of which matched are taken out first.
 * A shard's split (shard=yes) writes the shard list instead, when it ends:
 * every stream, those taken out too, for the flowsplit command's merge.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "intake_int.h"

#include <epan/dissectors/packet-tcp.h>
#include <epan/dissectors/packet-udp.h>

#include "ws_compat.h"

/* A live capture's streams.csv is rewritten this often while frames come in, so
 * that the files of a capture that is killed are listed in an index no
 * older than this. */
#define INTAKE_INDEX_EVERY_USEC (2 * G_USEC_PER_SEC)

/* Row `position` of the index: the TCP streams by index, then the UDP
 * ones, then the DCCP ones (fs_transport's order). */
static flow_stream *
stream_at(const split_session *s, guint32 position)
{
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        if (position < s->n_slots[t])
            return flow_stream_lookup(s, t, position);
        position -= s->n_slots[t];
    }
    return NULL;
}

/* The file column: the stream's file, or its group's; a group=host
 * stream's two files joined by ';', which no file name holds
 * (stream_name.h). Valid until the next row. */
static const char *
row_file_name(split_session *s, const flow_stream *st)
{
    if (st->file == NULL || !st->selected)
        return NULL;
    if (st->file2 == NULL)
        return stream_file_name_of(st->file);
    g_string_assign(s->row_files, stream_file_name_of(st->file));
    g_string_append_c(s->row_files, ';');
    g_string_append(s->row_files, stream_file_name_of(st->file2));
    return s->row_files->str;
}

/* The IP protocol number Community ID hashes for the transport, and
 * whether its ports go in (the spec hashes ports for TCP, UDP and SCTP
 * only: a DCCP flow is its addresses and protocol). */
static guint8
community_id_proto(fs_transport t, gboolean *with_ports)
{
    *with_ports = t != FS_TRANSPORT_DCCP;
    switch (t) {
    case FS_TRANSPORT_TCP:
        return 6;
    case FS_TRANSPORT_UDP:
        return 17;
    default:
        return 33;
    }
}

static void
fill_row(split_session *s, const flow_stream *st, stream_index_row *row)
{
    gboolean with_ports;
    guint8 ip_proto = community_id_proto(st->transport, &with_ports);

    row->transport = options_transport_name(st->transport);
    row->stream = st->index;
    row->facts = &st->facts;
    row->file_name = row_file_name(s, st);
    row->selected = st->selected;
    row->written = st->file != NULL && st->selected ? stream_file_frames(st->file) : 0;
    row->written_bytes = st->file != NULL && st->selected ? stream_file_bytes(st->file) : 0;
    community_id_v1((guint16)s->opts.community_id_seed, ip_proto, with_ports, &st->facts.addr_a, st->facts.port_a,
                    &st->facts.addr_b, st->facts.port_b, row->community_id);
}

static gboolean
index_row(guint32 position, stream_index_row *row, void *user_data)
{
    flow_stream *st = stream_at(user_data, position);

    if (st == NULL || !st->selected)
        return FALSE;
    fill_row(user_data, st, row);
    return TRUE;
}

/* The shard list's row: every stream, selected or not. */
static gboolean
shard_row(guint32 position, stream_index_row *row, void *user_data)
{
    flow_stream *st = stream_at(user_data, position);

    if (st == NULL)
        return FALSE;
    fill_row(user_data, st, row);
    return TRUE;
}

static guint32
index_positions(const split_session *s)
{
    guint32 n = 0;

    for (int t = 0; t < FS_TRANSPORT_COUNT; t++)
        n += s->n_slots[t];
    return n;
}

/* Wireshark's count of transport t's stream indexes; -1 unknown. */
static gint64
dissection_stream_count(fs_transport t)
{
    switch (t) {
    case FS_TRANSPORT_TCP:
        return get_tcp_stream_count();
    case FS_TRANSPORT_UDP:
        return get_udp_stream_count();
    default:
        return fs_dccp_stream_count();
    }
}

/* The counts' row `position`: transport number position, when split and
 * counted. */
static gboolean
count_row(guint32 position, stream_index_row *row, void *user_data)
{
    const split_session *s = user_data;
    gint64 count;

    if (!(s->opts.transports & FS_TRANSPORT_BIT(position)) || (count = dissection_stream_count(position)) < 0)
        return FALSE;
    memset(row, 0, sizeof *row);
    row->transport = options_transport_name(position);
    row->stream = (guint32)count;
    return TRUE;
}

gboolean
intake_index_write(split_session *s)
{
    if (s->opts.shard)
        return stream_index_write_kind(s->dir_fd, s->opts.out_dir, STREAM_INDEX_COUNTS, FS_TRANSPORT_COUNT,
                                       count_row, s, &s->index_error)
            && stream_index_write_kind(s->dir_fd, s->opts.out_dir, STREAM_INDEX_SHARD, index_positions(s),
                                       shard_row, s, &s->index_error);
    return stream_index_write(s->dir_fd, s->opts.out_dir, index_positions(s), index_row, s, &s->index_error);
}

/* select=: the streams none of whose frames matched leave no file and no
 * row. Their files were written like the others (a stream's match may come
 * with its last frame) and are removed now. */
void
intake_drop_unmatched(split_session *s)
{
    int t = 0;
    guint32 index = 0;
    flow_stream *st;

    while ((st = flow_stream_next(s, &t, &index)) != NULL) {
        if (!st->selected || stream_select_matched(s->select, st->transport, st->index))
            continue;
        st->selected = FALSE;
        s->n_streams--;
        if (st->file != NULL && !writer_cache_remove(s->wc, st->file))
            return;
    }
}

/* Live capture: streams.csv anew, every INTAKE_INDEX_EVERY_USEC while
 * frames come in (not a shard's list: its selected column is known at the
 * end only). Every frame it counts is written to its file first, so
 * the files hold at least what it lists; not while a frame is held behind
 * an IP fragment (counted, not yet written): the next tick tries again. */
gboolean
intake_index_rewrite(split_session *s, gint64 now)
{
    if (!s->opts.index || s->opts.shard || s->frames_seen == s->index_frames
        || now - s->index_at < INTAKE_INDEX_EVERY_USEC)
        return TRUE;
    if (s->fq != NULL && frame_queue_holds(s->fq))
        return TRUE;
    if (!writer_cache_flush(s->wc))
        return FALSE;
    if (!intake_index_write(s))
        return FALSE;
    s->index_at = now;
    s->index_frames = s->frames_seen;
    return TRUE;
}
