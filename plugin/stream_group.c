/* stream_group.c
 * group=conversation|host|server: which group file a stream belongs to,
 * and the table of those files by name. A stream's group is fixed at its
 * first frame, when its file is needed; the file itself is the writer
 * cache's, shared by every stream of the group, so descriptors stay
 * bounded by max_open as with one file per stream. The intake writes a
 * frame once to each distinct file of its streams (intake.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "stream_group.h"

#include <string.h>

#include <epan/dissectors/packet-tcp.h>

#include "stream_name.h"

struct stream_groups {
    fs_group group;
    writer_cache *wc;
    GHashTable *files;      /* base name (owned) -> stream_file (the cache's) */
};

stream_groups *
stream_groups_new(fs_group group, writer_cache *wc)
{
    stream_groups *g = g_new0(stream_groups, 1);

    g->group = group;
    g->wc = wc;
    g->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return g;
}

void
stream_groups_free(stream_groups *g)
{
    if (g == NULL)
        return;
    g_hash_table_destroy(g->files);
    g_free(g);
}

/* The group file called name (taken), made at its first stream. */
static stream_file *
group_file(stream_groups *g, char *name)
{
    stream_file *sf = g_hash_table_lookup(g->files, name);

    if (sf != NULL) {
        g_free(name);
        return sf;
    }
    sf = writer_cache_add(g->wc, g_strdup(name));
    g_hash_table_insert(g->files, name, sf);
    return sf;
}

void
stream_groups_files(stream_groups *g, const address *src, guint16 sport, const address *dst, guint16 dport,
                    guint16 tcp_flags, stream_file *files[2])
{
    /* The server: the receiver of a SYN, the sender of a SYN/ACK; for a
     * first frame that is neither, and for UDP and DCCP, B of the index
     * (the side that did not send the first frame). Both come to: the
     * sender when the first frame is a SYN/ACK, else the receiver. */
    gboolean syn_ack = (tcp_flags & TH_SYN) && (tcp_flags & TH_ACK);
    char *name, *other;

    files[1] = NULL;
    switch (g->group) {
    case FS_GROUP_CONVERSATION:
        /* The smaller address first (type, length, bytes: for IP, the
         * numeric order), so that both directions give one name. */
        name = cmp_address(src, dst) <= 0 ? stream_name_conversation(src, dst) : stream_name_conversation(dst, src);
        files[0] = group_file(g, name);
        break;
    case FS_GROUP_HOST:
        name = stream_name_host(src);
        other = stream_name_host(dst);
        /* A stream whose two ends share an address (or its text) has one
         * file: its frames are that host's once. */
        if (strcmp(name, other) == 0)
            g_clear_pointer(&other, g_free);
        files[0] = group_file(g, name);
        files[1] = other != NULL ? group_file(g, other) : NULL;
        break;
    default:
        files[0] = group_file(g, syn_ack ? stream_name_server(src, sport) : stream_name_server(dst, dport));
        break;
    }
}
