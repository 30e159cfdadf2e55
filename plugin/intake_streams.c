/* intake_streams.c
 * The stream table: what the split knows of each stream, found from its
 * transport and the index Wireshark gave it (tcp.stream, udp.stream,
 * dccp.stream). A stream is created at its first frame, which names its
 * file.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "intake_int.h"

#include <epan/dissectors/packet-tcp.h>

#include "stream_name.h"

/* Each transport's streams are kept in blocks of this many, by stream
 * index: a tap's stream is found from its index with arithmetic and one
 * pointer of a short array (perf, 2026-12-03: an array of a pointer per
 * stream cost a cache miss a frame, about 0.1 s of the benchmark), and a
 * block costs one allocation. Wireshark numbers each transport's streams
 * from 0 as they appear, so blocks fill in order. */
#define INTAKE_STREAMS_PER_BLOCK 1024

void
flow_streams_init(split_session *s)
{
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++)
        s->blocks[t] = g_ptr_array_new_with_free_func(g_free);
}

void
flow_streams_clear(split_session *s)
{
    int t = 0;
    guint32 index = 0;
    flow_stream *st;

    while ((st = flow_stream_next(s, &t, &index)) != NULL)
        stream_facts_clear(&st->facts);
    for (t = 0; t < FS_TRANSPORT_COUNT; t++)
        g_ptr_array_free(s->blocks[t], TRUE);
}

/* The slot of transport t's stream index, or NULL when its block was
 * never needed. */
static flow_stream *
stream_slot(const split_session *s, fs_transport t, guint32 index)
{
    guint32 b = index / INTAKE_STREAMS_PER_BLOCK;
    flow_stream *block = b < s->blocks[t]->len ? g_ptr_array_index(s->blocks[t], b) : NULL;

    return block != NULL ? &block[index % INTAKE_STREAMS_PER_BLOCK] : NULL;
}

flow_stream *
flow_stream_lookup(const split_session *s, fs_transport t, guint32 index)
{
    flow_stream *st = stream_slot(s, t, index);

    return st != NULL && st->created ? st : NULL;
}

/* What frame_streams and the frame queue hold for a stream: its index and
 * transport in one number. A capture would need over 1.4 billion streams
 * of a transport to overflow it, and 280 GB for their state. */
guint32
flow_stream_id(fs_transport t, guint32 index)
{
    return index * FS_TRANSPORT_COUNT + (guint32)t;
}

flow_stream *
flow_stream_by_id(const split_session *s, guint32 id)
{
    return stream_slot(s, (fs_transport)(id % FS_TRANSPORT_COUNT), id / FS_TRANSPORT_COUNT);
}

/* Every stream, transport after transport, in index order: start with
 * *t and *index at 0; NULL after the last. */
flow_stream *
flow_stream_next(const split_session *s, int *t, guint32 *index)
{
    for (; *t < FS_TRANSPORT_COUNT; (*t)++, *index = 0) {
        while (*index < s->n_slots[*t]) {
            flow_stream *st = flow_stream_lookup(s, (fs_transport)*t, (*index)++);

            if (st != NULL)
                return st;
        }
    }
    return NULL;
}

/* A stream's first frame fixes its name: the client first when a SYN/ACK
 * tells who it is, else the sender of that frame. With group=, it fixes
 * the stream's group file(s) instead (stream_group.c). */
flow_stream *
flow_stream_create(split_session *s, fs_transport t, guint32 index, const address *src, guint16 sport,
                   const address *dst, guint16 dport, guint16 tcp_flags)
{
    flow_stream *st;
    gboolean syn_ack = (tcp_flags & TH_SYN) && (tcp_flags & TH_ACK);
    const char *prefix = options_transport_name(t);
    guint32 b = index / INTAKE_STREAMS_PER_BLOCK;

    if (b >= s->blocks[t]->len)
        g_ptr_array_set_size(s->blocks[t], b + 1);
    if (g_ptr_array_index(s->blocks[t], b) == NULL)
        g_ptr_array_index(s->blocks[t], b) = g_new0(flow_stream, INTAKE_STREAMS_PER_BLOCK);
    st = stream_slot(s, t, index);
    stream_facts_init(&st->facts, src, sport, dst, dport);
    st->transport = t;
    st->index = index;
    st->created = TRUE;
    st->selected = s->list == NULL || stream_list_contains(s->list, index);
    if (s->opts.files && st->selected && s->groups != NULL) {
        stream_file *files[2];

        stream_groups_files(s->groups, src, sport, dst, dport, tcp_flags, files);
        st->file = files[0];
        st->file2 = files[1];
    } else if (s->opts.files && st->selected) {
        char *name = syn_ack ? stream_file_name(prefix, index, dst, dport, src, sport)
                             : stream_file_name(prefix, index, src, sport, dst, dport);
        st->file = writer_cache_add(s->wc, name);
    }
    if (index >= s->n_slots[t])
        s->n_slots[t] = index + 1;
    if (st->selected)
        s->n_streams++;
    return st;
}
