/* partition.c
 * Splits a capture into shards that no conversation crosses: the first
 * pass joins frames that share an IP address pair (frame_keys.h) into
 * groups with a union-find over the pairs, and deals whole groups out to
 * the shards, biggest first; the second pass copies each record byte for
 * byte to its group's shard.
 *
 * The plan keeps memory per key (address pair), not per frame: the second
 * pass re-derives each frame's first key and looks up its shard. That is
 * a second parse of a few headers and one hash lookup per frame, a small
 * cost next to copying the frame, and it keeps a capture of any length
 * within the memory of its distinct pairs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "partition.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "capture_reader.h"
#include "frame_keys.h"
#include "shard_writer.h"

/* --- the key table: open addressing over the distinct pairs -------------- */

typedef struct {
    frame_key *keys;        /* by index, in first-seen order */
    guint32 *parent;        /* union-find; a root is its group's first-seen key */
    guint64 *frames;        /* frames whose first key this is */
    guint32 n, alloc;
    guint32 *slots;         /* index + 1, 0 for empty */
    guint32 mask;
} key_table;

static guint64
key_hash(const frame_key *k)
{
    guint64 w[5], h = k->family * 0x9E3779B97F4A7C15ull;

    memcpy(w, k->a, 32);
    w[4] = 0;
    for (int i = 0; i < 4; i++) {
        h ^= w[i];
        h *= 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    return h;
}

static void
table_init(key_table *t)
{
    memset(t, 0, sizeof *t);
    t->mask = (1u << 16) - 1;
    t->slots = g_new0(guint32, t->mask + 1);
}

static void
table_clear(key_table *t)
{
    g_free(t->keys);
    g_free(t->parent);
    g_free(t->frames);
    g_free(t->slots);
}

static void
table_grow(key_table *t)
{
    guint32 mask = t->mask * 2 + 1;
    guint32 *slots = g_new0(guint32, mask + 1);

    for (guint32 i = 0; i < t->n; i++) {
        guint32 s = (guint32)key_hash(&t->keys[i]) & mask;

        while (slots[s] != 0)
            s = (s + 1) & mask;
        slots[s] = i + 1;
    }
    g_free(t->slots);
    t->slots = slots;
    t->mask = mask;
}

/* The key's index; a new key gets the next one when `add`, else
 * G_MAXUINT32 for a key not in the table. */
static guint32
table_find(key_table *t, const frame_key *k, gboolean add)
{
    guint32 s = (guint32)key_hash(k) & t->mask;

    for (; t->slots[s] != 0; s = (s + 1) & t->mask)
        if (memcmp(&t->keys[t->slots[s] - 1], k, sizeof *k) == 0)
            return t->slots[s] - 1;
    if (!add)
        return G_MAXUINT32;
    if (t->n == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 4096;
        t->keys = g_renew(frame_key, t->keys, t->alloc);
        t->parent = g_renew(guint32, t->parent, t->alloc);
        t->frames = g_renew(guint64, t->frames, t->alloc);
    }
    t->keys[t->n] = *k;
    t->parent[t->n] = t->n;
    t->frames[t->n] = 0;
    t->slots[s] = ++t->n;
    if ((guint64)t->n * 2 > t->mask)
        table_grow(t);
    return t->n - 1;
}

static guint32
find_root(key_table *t, guint32 i)
{
    while (t->parent[i] != i) {
        t->parent[i] = t->parent[t->parent[i]];
        i = t->parent[i];
    }
    return i;
}

/* The lower index stays the root, so a group's id is its first-seen key
 * whatever the order of the joins. */
static void
join(key_table *t, guint32 x, guint32 y)
{
    x = find_root(t, x);
    y = find_root(t, y);
    if (x < y)
        t->parent[y] = x;
    else if (y < x)
        t->parent[x] = y;
}

/* --- the plan ------------------------------------------------------------- */

struct partition_plan {
    char *input;
    guint n_shards;
    guint64 max_frames;
    capture_format format;
    guint64 frames, frames_sharded;
    key_table table;
    guint32 *key_shard;     /* by key index */
};

static partition_plan *
refuse(partition_plan *p, capture_status st, partition_refusal *why)
{
    *why = st == CAPTURE_FAILED ? PARTITION_FAILED : PARTITION_UNSAFE;
    partition_plan_free(p);
    return NULL;
}

/* The first pass: every frame's keys joined, frames counted by first key. */
static capture_status
first_pass(partition_plan *p, char **error)
{
    capture_reader *r = capture_reader_open(p->input, error);
    capture_record rec;
    capture_status st;
    frame_keys fk;

    if (r == NULL)
        return CAPTURE_FAILED;
    while ((p->max_frames == 0 || p->frames < p->max_frames) &&
           (st = capture_reader_next(r, &rec, error)) == CAPTURE_RECORD) {
        guint32 first;

        if (!rec.is_frame)
            continue;
        p->frames++;
        if (!frame_keys_get(rec.link_type, rec.data, rec.data_len, rec.frame_number, &fk, error)) {
            st = CAPTURE_UNSAFE;
            break;
        }
        if (fk.n == 0)
            continue;
        p->frames_sharded++;
        first = table_find(&p->table, &fk.keys[0], TRUE);
        p->table.frames[first]++;
        for (guint i = 1; i < fk.n; i++)
            join(&p->table, first, table_find(&p->table, &fk.keys[i], TRUE));
    }
    if (p->max_frames != 0 && p->frames == p->max_frames)
        st = CAPTURE_END;
    if (st == CAPTURE_END)
        p->format = capture_reader_format(r);
    capture_reader_close(r);
    return st;
}

typedef struct {
    guint32 root;
    guint64 frames;
} group;

static gint
bigger_group_first(gconstpointer a, gconstpointer b)
{
    const group *x = a, *y = b;

    if (x->frames != y->frames)
        return x->frames > y->frames ? -1 : 1;
    return x->root < y->root ? -1 : x->root > y->root;
}

/* Deals the groups out: the biggest first, each to the shard with the
 * fewest frames so far (the lowest-numbered of equals), which keeps the
 * shards within one group's size of each other. */
static void
assign_shards(partition_plan *p)
{
    key_table *t = &p->table;
    guint64 *group_frames = g_new0(guint64, t->n ? t->n : 1);
    guint64 *load = g_new0(guint64, p->n_shards);
    GArray *groups = g_array_new(FALSE, FALSE, sizeof(group));

    for (guint32 i = 0; i < t->n; i++)
        group_frames[find_root(t, i)] += t->frames[i];
    for (guint32 i = 0; i < t->n; i++)
        if (t->parent[i] == i) {
            group g = { i, group_frames[i] };

            g_array_append_val(groups, g);
        }
    g_array_sort(groups, bigger_group_first);
    p->key_shard = g_new(guint32, t->n ? t->n : 1);
    for (guint i = 0; i < groups->len; i++) {
        const group *g = &g_array_index(groups, group, i);
        guint best = 0;

        for (guint k = 1; k < p->n_shards; k++)
            if (load[k] < load[best])
                best = k;
        load[best] += g->frames;
        p->key_shard[g->root] = best;
    }
    for (guint32 i = 0; i < t->n; i++)
        p->key_shard[i] = p->key_shard[find_root(t, i)];
    g_array_free(groups, TRUE);
    g_free(load);
    g_free(group_frames);
}

partition_plan *
partition_plan_make(const char *input, guint n_shards, guint64 max_frames, partition_refusal *why, char **error)
{
    partition_plan *p = g_new0(partition_plan, 1);
    capture_status st;

    p->input = g_strdup(input);
    p->n_shards = MAX(n_shards, 1);
    p->max_frames = max_frames;
    table_init(&p->table);
    st = first_pass(p, error);
    if (st != CAPTURE_END)
        return refuse(p, st, why);
    assign_shards(p);
    return p;
}

const char *
partition_plan_format(const partition_plan *p)
{
    return p->format == CAPTURE_FORMAT_PCAP ? "pcap" : "pcapng";
}

guint64
partition_plan_frames(const partition_plan *p)
{
    return p->frames;
}

guint64
partition_plan_frames_sharded(const partition_plan *p)
{
    return p->frames_sharded;
}

void
partition_plan_free(partition_plan *p)
{
    if (p == NULL)
        return;
    table_clear(&p->table);
    g_free(p->key_shard);
    g_free(p->input);
    g_free(p);
}

/* --- the second pass: every record to its shard (shard_writer.h) --------- */

static gboolean
changed(const partition_plan *p, guint64 frame, char **error)
{
    *error = g_strdup_printf("flowsplit: \"%s\" changed while it was split (frame %" G_GUINT64_FORMAT
                             " differs from the first reading); split a capture that is not being written",
                             p->input, frame);
    return FALSE;
}

/* Which shard a frame goes to; -1 for none (no key), -2 if the frame is
 * not what the first pass saw. */
static int
frame_shard(const partition_plan *p, const capture_record *rec)
{
    frame_keys fk;
    char *error = NULL;
    guint32 i;

    if (!frame_keys_get(rec->link_type, rec->data, rec->data_len, rec->frame_number, &fk, &error)) {
        g_free(error);
        return -2;
    }
    if (fk.n == 0)
        return -1;
    i = table_find((key_table *)&p->table, &fk.keys[0], FALSE);
    return i == G_MAXUINT32 ? -2 : (int)p->key_shard[i];
}

static gboolean
copy_records(partition_plan *p, capture_reader *r, shard_writer *out, char **error)
{
    capture_record rec;
    capture_status st;
    guint64 frames = 0;

    while ((p->max_frames == 0 || frames < p->max_frames) &&
           (st = capture_reader_next(r, &rec, error)) == CAPTURE_RECORD) {
        int k;

        if (!rec.is_frame) {
            for (guint j = 0; j < p->n_shards; j++)
                if (!shard_writer_put(out, j, rec.raw, rec.raw_len, error))
                    return FALSE;
            continue;
        }
        frames++;
        if (frames > p->frames || (k = frame_shard(p, &rec)) == -2)
            return changed(p, frames, error);
        if (k >= 0 && !shard_writer_put_frame(out, (guint)k, rec.raw, rec.raw_len, rec.frame_number, error))
            return FALSE;
    }
    if (p->max_frames != 0 && frames == p->max_frames)
        st = CAPTURE_END;
    if (st != CAPTURE_END) {
        if (st == CAPTURE_UNSAFE) {
            g_free(*error);
            return changed(p, frames + 1, error);
        }
        return FALSE;
    }
    if (frames != p->frames)
        return changed(p, frames + 1, error);
    return TRUE;
}

gboolean
partition_plan_write(partition_plan *p, const int *capture_fds, const int *map_fds, char **error)
{
    capture_reader *r = capture_reader_open(p->input, error);
    shard_writer *out;
    gboolean ok;

    if (r == NULL)
        return FALSE;
    out = shard_writer_new(p->n_shards, capture_fds, map_fds);
    ok = copy_records(p, r, out, error) && shard_writer_finish(out, error);
    shard_writer_free(out);
    capture_reader_close(r);
    return ok;
}
