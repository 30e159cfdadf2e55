/* merge.c
 * The shards' splits made into the one split a single tshark writes
 * (merge.h). Each shard's list is read (merge_list.c), its frame numbers
 * turned into the input's. Before anything is moved the lists are checked
 * against what the global numbering rests on: in each shard a transport's
 * stream numbers are 0..n-1 with none missing, in the order of their first
 * frames, and no conversation (transport and both endpoints) is in two
 * shards; a failed check is MERGE_UNSAFE and leaves everything as it was.
 * Then a transport's global numbers are its streams' ranks by input first
 * frame, streams= picks among them, the kept streams' files are renamed
 * into the output folder under their global names (never over a name,
 * never through a link; a copy when the shards are on another file
 * system), and streams.csv is written with global stream and frame
 * numbers as the plugin writes it: temporary file, synced, renamed. A
 * merge that fails after moving files moves them back, so that the output
 * folder holds nothing of a half-merged split.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include "merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "merge_list.h"
#include "outdir.h"
#include "stream_index.h"
#include "stream_list.h"
#include "write_all.h"

/* A copied file is written under this suffix and renamed when whole. */
#define MERGE_COPY_SUFFIX ".merge-tmp"

typedef struct {
    guint n;
    merge_shard *shards;
    GPtrArray *order[FS_TRANSPORT_COUNT];   /* shard_row *, by global number */
    const flowsplit_options *opts;
    int out_fd;
    GPtrArray *moved;       /* shard_row *: files moved into the output folder so far */
    char *error;
} merger;

static merge_result
fail(merger *m, merge_result r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static merge_result
fail(merger *m, merge_result r, const char *fmt, ...)
{
    va_list ap;

    if (m->error == NULL) {
        va_start(ap, fmt);
        m->error = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return r;
}

/* Every shard's list; all with the same columns. */
static merge_result
read_shards(merger *m)
{
    for (guint k = 0; k < m->n; k++) {
        merge_result r = merge_shard_read(&m->shards[k], &m->error);

        if (r != MERGE_OK)
            return r;
        if (strcmp(m->shards[k].header, m->shards[0].header) != 0)
            return fail(m, MERGE_FAILED, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" has other columns than \"%s/"
                        MERGE_SHARD_LIST "\"; split every shard with the same plugin", m->shards[k].dir,
                        m->shards[0].dir);
    }
    return MERGE_OK;
}

/* ---- The checks, before anything is moved ---- */

/* In each shard a transport's numbers are 0..n-1, ordered by first frame:
 * a number that no frame carries would shift every global number after
 * it. */
static merge_result
check_numbers(merger *m, guint k, fs_transport t)
{
    GArray *rows = m->shards[k].rows[t];

    for (guint i = 0; i < rows->len; i++) {
        const shard_row *r = &g_array_index(rows, shard_row, i);

        if (r->local > i)
            return fail(m, MERGE_UNSAFE, "flowsplit: %s stream %u of shard %u has no frame",
                        options_transport_name(t), i, k);
        if (r->local < i)
            return fail(m, MERGE_FAILED, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" lists %s stream %u twice or out "
                        "of order", m->shards[k].dir, options_transport_name(t), r->local);
        if (i > 0 && r->first < g_array_index(rows, shard_row, i - 1).first)
            return fail(m, MERGE_UNSAFE, "flowsplit: %s stream %u of shard %u starts before stream %u",
                        options_transport_name(t), i, k, i - 1);
    }
    /* Numbers after the last listed one, which no frame carries either
     * (a dissector that took a number for a conversation of its own). */
    if (m->shards[k].counts[t] > (gint64)rows->len)
        return fail(m, MERGE_UNSAFE, "flowsplit: %s stream %u of shard %u has no frame", options_transport_name(t),
                    rows->len, k);
    if (m->shards[k].counts[t] >= 0 && m->shards[k].counts[t] < (gint64)rows->len)
        return fail(m, MERGE_FAILED, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" lists more %s streams than \"%s/"
                    MERGE_SHARD_COUNTS "\" counts", m->shards[k].dir, options_transport_name(t), m->shards[k].dir);
    return MERGE_OK;
}

/* transport, then both endpoints in a fixed order: one key per
 * conversation (no address or port holds a '|'). */
static char *
conversation_key(fs_transport t, const shard_row *r)
{
    const char *addr_a = merge_row_field(r, COL_ADDR_A), *port_a = merge_row_field(r, COL_PORT_A);
    const char *addr_b = merge_row_field(r, COL_ADDR_B), *port_b = merge_row_field(r, COL_PORT_B);
    int order = strcmp(addr_a, addr_b);
    char transport[2] = { (char)('0' + t), '\0' };

    if (order == 0)
        order = strcmp(port_a, port_b);
    if (order <= 0)
        return g_strconcat(transport, "|", addr_a, "|", port_a, "|", addr_b, "|", port_b, NULL);
    return g_strconcat(transport, "|", addr_b, "|", port_b, "|", addr_a, "|", port_a, NULL);
}

/* seen: conversation key -> its shard + 1. */
static merge_result
note_conversation(merger *m, GHashTable *seen, fs_transport t, const shard_row *r)
{
    char *key = conversation_key(t, r);
    guint other = GPOINTER_TO_UINT(g_hash_table_lookup(seen, key));

    if (other != 0 && other - 1 != r->shard) {
        g_free(key);
        return fail(m, MERGE_UNSAFE, "flowsplit: the %s conversation %s port %s - %s port %s is in shards %u and %u",
                    options_transport_name(t), merge_row_field(r, COL_ADDR_A), merge_row_field(r, COL_PORT_A),
                    merge_row_field(r, COL_ADDR_B), merge_row_field(r, COL_PORT_B), other - 1, r->shard);
    }
    g_hash_table_replace(seen, key, GUINT_TO_POINTER(r->shard + 1));
    return MERGE_OK;
}

/* No conversation in two shards: one tshark would have given its frames
 * one stream (or numbered them as one conversation's). */
static merge_result
check_conversations(merger *m)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    merge_result r = MERGE_OK;

    for (guint k = 0; k < m->n && r == MERGE_OK; k++) {
        for (int t = 0; t < FS_TRANSPORT_COUNT && r == MERGE_OK; t++) {
            GArray *rows = m->shards[k].rows[t];

            for (guint i = 0; i < rows->len && r == MERGE_OK; i++)
                r = note_conversation(m, seen, t, &g_array_index(rows, shard_row, i));
        }
    }
    g_hash_table_destroy(seen);
    return r;
}

/* ---- Global numbers, the streams kept, their names ---- */

static gint
by_first_frame(gconstpointer a, gconstpointer b)
{
    const shard_row *x = *(const shard_row *const *)a;
    const shard_row *y = *(const shard_row *const *)b;

    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    if (x->shard != y->shard)
        return x->shard < y->shard ? -1 : 1;
    return x->local < y->local ? -1 : (x->local > y->local);
}

/* The plugin's name (stream_name.c) with the global number: "tcp-" and at
 * least six digits replaced, the rest kept. NULL when old is not such a
 * name. */
static char *
global_name(fs_transport t, guint32 global, const char *old)
{
    const char *prefix = options_transport_name(t);
    size_t len = strlen(prefix);
    const char *p;

    if (strncmp(old, prefix, len) != 0 || old[len] != '-' || strchr(old, '/') != NULL)
        return NULL;
    for (p = old + len + 1; g_ascii_isdigit(*p); p++)
        ;
    if (p - (old + len + 1) < 6 || *p != '_')
        return NULL;
    return g_strdup_printf("%s-%06u%s", prefix, global, p);
}

static merge_result
number_streams(merger *m, const stream_list *list)
{
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        GPtrArray *order = m->order[t] = g_ptr_array_new();

        for (guint k = 0; k < m->n; k++) {
            GArray *rows = m->shards[k].rows[t];
            for (guint i = 0; i < rows->len; i++)
                g_ptr_array_add(order, &g_array_index(rows, shard_row, i));
        }
        g_ptr_array_sort(order, by_first_frame);
        for (guint g = 0; g < order->len; g++) {
            shard_row *r = g_ptr_array_index(order, g);
            const char *file = merge_row_field(r, COL_FILE);

            r->global = g;
            r->kept = r->selected && (list == NULL || stream_list_contains(list, g));
            if (!r->kept || *file == '\0')
                continue;
            r->new_name = global_name(t, g, file);
            if (r->new_name == NULL)
                return fail(m, MERGE_FAILED, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" names the file \"%s\", which "
                            "is not a %s stream's", m->shards[r->shard].dir, file, options_transport_name(t));
        }
    }
    return MERGE_OK;
}

/* ---- The output folder: the earlier split out, the files in ---- */

/* replace=yes: the earlier split's files go, as the plugin's outdir.c
 * removes them, now that the new one is sure to come. */
static merge_result
remove_earlier_split(merger *m)
{
    const char *out = m->opts->out_dir;
    int fd = dup(m->out_fd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    merge_result r = MERGE_OK;
    struct dirent *de;

    if (dir == NULL) {
        if (fd >= 0)
            close(fd);
        g_ptr_array_free(names, TRUE);
        return fail(m, MERGE_FAILED, "flowsplit: cannot read output folder \"%s\": %s", out, g_strerror(errno));
    }
    while ((de = readdir(dir)) != NULL) {
        if (outdir_is_output_name(de->d_name))
            g_ptr_array_add(names, g_strdup(de->d_name));
    }
    closedir(dir);
    for (guint i = 0; i < names->len && r == MERGE_OK; i++) {
        const char *name = g_ptr_array_index(names, i);
        if (unlinkat(m->out_fd, name, 0) != 0 && errno != ENOENT)
            r = fail(m, MERGE_FAILED, "flowsplit: cannot remove \"%s/%s\" of an earlier split: %s", out, name,
                     g_strerror(errno));
    }
    g_ptr_array_free(names, TRUE);
    return r;
}

/* The names in the output folder now (after an earlier split's removal):
 * one pass over the folder, where a look-up per kept file would cost tens
 * of thousands of calls for a folder that is nearly always empty. */
static GHashTable *
names_in_output(merger *m)
{
    int fd = dup(m->out_fd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    GHashTable *names;
    struct dirent *de;

    if (dir == NULL) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    rewinddir(dir);
    while ((de = readdir(dir)) != NULL)
        g_hash_table_add(names, g_strdup(de->d_name));
    closedir(dir);
    return names;
}

/* No kept file's name is taken in the output folder: found now, before
 * the first rename, rather than halfway through. */
static merge_result
check_names_free(merger *m)
{
    GHashTable *names = names_in_output(m);
    merge_result r = MERGE_OK;

    if (names == NULL)
        return fail(m, MERGE_FAILED, "flowsplit: cannot read output folder \"%s\": %s", m->opts->out_dir,
                    g_strerror(errno));
    for (int t = 0; t < FS_TRANSPORT_COUNT && r == MERGE_OK && g_hash_table_size(names) > 2; t++) {
        for (guint g = 0; g < m->order[t]->len && r == MERGE_OK; g++) {
            const shard_row *row = g_ptr_array_index(m->order[t], g);

            if (row->new_name != NULL && g_hash_table_contains(names, row->new_name))
                r = fail(m, MERGE_FAILED, "flowsplit: \"%s/%s\" already exists; add -X flowsplit:replace=yes "
                         "or choose another out=DIR", m->opts->out_dir, row->new_name);
        }
    }
    g_hash_table_destroy(names);
    return r;
}

/* rename() that never replaces: renameat2's RENAME_NOREPLACE, or where the
 * file system has none, a hard link and the old name removed. */
static int
rename_noreplace(int from_fd, const char *from, int to_fd, const char *to)
{
    if (renameat2(from_fd, from, to_fd, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat(from_fd, from, to_fd, to, 0) != 0)
        return -1;
    return unlinkat(from_fd, from, 0);
}

/* Another file system: a copy under MERGE_COPY_SUFFIX, synced, renamed
 * to its name; then the shard's file goes. FALSE with errno. */
static gboolean
copy_across(int from_fd, const char *from, int to_fd, const char *to)
{
    char *temp = g_strconcat(to, MERGE_COPY_SUFFIX, NULL);
    int src = openat(from_fd, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int dst = -1;
    gboolean ok = src >= 0;
    char buf[1 << 16];
    ssize_t got;
    int err;

    if (ok && unlinkat(to_fd, temp, 0) != 0 && errno != ENOENT)
        ok = FALSE;
    if (ok) {
        dst = openat(to_fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        ok = dst >= 0;
    }
    while (ok && (got = read(src, buf, sizeof buf)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        ok = got > 0 && write_all(dst, buf, (gsize)got);
    }
    ok = ok && fsync(dst) == 0;
    err = errno;
    if (dst >= 0 && close(dst) != 0 && ok) {
        ok = FALSE;
        err = errno;
    }
    if (ok && rename_noreplace(to_fd, temp, to_fd, to) != 0) {
        ok = FALSE;
        err = errno;
    }
    if (!ok && dst >= 0)
        unlinkat(to_fd, temp, 0);   /* never a partial file under any name */
    if (src >= 0)
        close(src);
    if (ok)
        unlinkat(from_fd, from, 0);
    g_free(temp);
    errno = err;
    return ok;
}

/* One kept stream's file into the output folder; its size added to the
 * counts. A stream with no frame written has no file: nothing to move. */
static merge_result
move_file(merger *m, const shard_row *r, merge_counts *counts)
{
    const merge_shard *sh = &m->shards[r->shard];
    const char *file = merge_row_field(r, COL_FILE);
    struct stat st;

    /* The shard's folder as read before any move: a missing file is one of
     * no frame, anything else there but a regular file a change since its
     * split (a link is never moved, let alone followed). */
    if (!merge_shard_has_file(sh, file)) {
        if (r->written == 0)
            return MERGE_OK;
        if (fstatat(sh->dir_fd, file, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return fail(m, MERGE_FAILED, "flowsplit: cannot read \"%s/%s\": %s", sh->dir, file, g_strerror(errno));
        return fail(m, MERGE_FAILED, "flowsplit: \"%s/%s\" is not a regular file; the shard folder was changed "
                    "after its split", sh->dir, file);
    }
    if (rename_noreplace(sh->dir_fd, file, m->out_fd, r->new_name) != 0
        && (errno != EXDEV || !copy_across(sh->dir_fd, file, m->out_fd, r->new_name)))
        return fail(m, MERGE_FAILED, "flowsplit: cannot move \"%s/%s\" to \"%s/%s\": %s", sh->dir, file,
                    m->opts->out_dir, r->new_name, g_strerror(errno));
    g_ptr_array_add(m->moved, (gpointer)r);
    counts->files++;
    return MERGE_OK;
}

/* A merge that failed after moving files: each goes back to its shard
 * folder (so a parts folder can be merged again), or where it cannot, is
 * removed, so that no half of the merged split stays under the final
 * names. */
static void
undo_moves(merger *m)
{
    for (guint i = m->moved->len; i > 0; i--) {
        const shard_row *r = g_ptr_array_index(m->moved, i - 1);
        const merge_shard *sh = &m->shards[r->shard];
        const char *file = merge_row_field(r, COL_FILE);

        if (rename_noreplace(m->out_fd, r->new_name, sh->dir_fd, file) != 0)
            unlinkat(m->out_fd, r->new_name, 0);
    }
    g_ptr_array_set_size(m->moved, 0);
}

static merge_result
move_files(merger *m, merge_counts *counts)
{
    merge_result r = MERGE_OK;

    for (int t = 0; t < FS_TRANSPORT_COUNT && r == MERGE_OK; t++) {
        for (guint g = 0; g < m->order[t]->len && r == MERGE_OK; g++) {
            const shard_row *row = g_ptr_array_index(m->order[t], g);

            if (!row->kept)
                continue;
            counts->streams++;
            counts->frames += row->written;
            counts->bytes += row->written_bytes;
            if (row->new_name != NULL)
                r = move_file(m, row, counts);
        }
    }
    return r;
}

/* ---- streams.csv ---- */

/* Row r as the plugin writes it for one tshark: the shard's row with the
 * global stream number, file name and input frame numbers, without the
 * shard list's own columns. The header (r NULL) likewise. */
static void
format_row(GString *out, const merge_shard *sh, const char *fields, const shard_row *r)
{
    gboolean first = TRUE;

    for (guint i = 0; i < sh->n_columns; i++, fields += strlen(fields) + 1) {
        int c = (int)i;

        if (c == sh->col[COL_SELECTED] || c == sh->col[COL_WRITTEN] || c == sh->col[COL_WRITTEN_BYTES])
            continue;
        if (!first)
            g_string_append_c(out, ',');
        first = FALSE;
        if (r == NULL)
            g_string_append(out, fields);
        else if (c == sh->col[COL_STREAM])
            g_string_append_printf(out, "%u", r->global);
        else if (c == sh->col[COL_FILE])
            g_string_append(out, r->new_name != NULL ? r->new_name : "");
        else if (c == sh->col[COL_FIRST])
            g_string_append_printf(out, "%" G_GUINT64_FORMAT, r->first);
        else if (c == sh->col[COL_LAST])
            g_string_append_printf(out, "%" G_GUINT64_FORMAT, r->last);
        else
            g_string_append(out, fields);
    }
    g_string_append(out, "\r\n");
}

static gboolean
write_index_rows(merger *m, int fd)
{
    GString *buf = g_string_sized_new(1 << 16);
    gboolean ok = TRUE;

    format_row(buf, &m->shards[0], m->shards[0].header_fields, NULL);
    for (int t = 0; t < FS_TRANSPORT_COUNT && ok; t++) {
        for (guint g = 0; g < m->order[t]->len && ok; g++) {
            const shard_row *r = g_ptr_array_index(m->order[t], g);

            if (!r->kept)
                continue;
            format_row(buf, &m->shards[r->shard], r->fields, r);
            if (buf->len >= (1 << 16)) {
                ok = write_all(fd, buf->str, buf->len);
                g_string_truncate(buf, 0);
            }
        }
    }
    ok = ok && write_all(fd, buf->str, buf->len);
    g_string_free(buf, TRUE);
    return ok;
}

/* As the plugin writes it (stream_index.c): STREAM_INDEX_TEMP, synced,
 * renamed over STREAM_INDEX_NAME; no temporary file left on failure. */
static gboolean
fill_index(int fd, void *user_data)
{
    return write_index_rows(user_data, fd);
}

static merge_result
write_index(merger *m)
{
    char *error = NULL;

    if (atomic_file_write(m->out_fd, m->opts->out_dir, STREAM_INDEX_NAME, STREAM_INDEX_TEMP, fill_index, m, &error))
        return MERGE_OK;
    fail(m, MERGE_FAILED, "%s", error);
    g_free(error);
    return MERGE_FAILED;
}

/* ---- The whole ---- */

static merge_result
merge_run(merger *m, merge_counts *counts)
{
    stream_list *list = NULL;
    merge_result r = MERGE_OK;

    r = read_shards(m);
    for (guint k = 0; k < m->n && r == MERGE_OK; k++) {
        for (int t = 0; t < FS_TRANSPORT_COUNT && r == MERGE_OK; t++)
            r = check_numbers(m, k, t);
    }
    if (r == MERGE_OK)
        r = check_conversations(m);
    if (r == MERGE_OK && m->opts->streams != NULL && (list = stream_list_parse(m->opts->streams, &m->error)) == NULL)
        r = MERGE_FAILED;
    if (r == MERGE_OK)
        r = number_streams(m, list);
    stream_list_free(list);
    if (r != MERGE_OK)
        return r;
    m->out_fd = open(m->opts->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->out_fd < 0)
        return fail(m, MERGE_FAILED, "flowsplit: cannot open output folder \"%s\": %s", m->opts->out_dir,
                    g_strerror(errno));
    if (m->opts->replace)
        r = remove_earlier_split(m);
    if (r == MERGE_OK)
        r = check_names_free(m);
    if (r == MERGE_OK)
        r = move_files(m, counts);
    if (r == MERGE_OK && m->opts->index)
        r = write_index(m);
    if (r != MERGE_OK)
        undo_moves(m);
    return r;
}

static void
merger_clear(merger *m)
{
    for (guint k = 0; k < m->n; k++)
        merge_shard_clear(&m->shards[k]);
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        if (m->order[t] != NULL)
            g_ptr_array_free(m->order[t], TRUE);
    }
    if (m->out_fd >= 0)
        close(m->out_fd);
    g_ptr_array_free(m->moved, TRUE);
    g_free(m->shards);
}

void
merge_print_summary(const merge_counts *c, const char *out_dir, const char *tail)
{
    fprintf(stderr, "flowsplit: %" G_GUINT64_FORMAT " streams, %" G_GUINT64_FORMAT " frames written to %"
            G_GUINT64_FORMAT " files in %s (%.1f MB)%s\n", c->streams, c->frames, c->files, out_dir,
            (double)c->bytes / 1e6, tail);
}

merge_result
merge_shards(guint n, const char *const *shard_dirs, const char *const *map_paths, const flowsplit_options *opts,
             merge_counts *counts, char **error)
{
    merger m = { .n = n, .opts = opts, .out_fd = -1, .moved = g_ptr_array_new() };
    merge_result r;

    memset(counts, 0, sizeof *counts);
    if (n == 0) {
        *error = g_strdup("flowsplit: no shard to merge");
        return MERGE_FAILED;
    }
    m.shards = g_new0(merge_shard, n);
    for (guint k = 0; k < n; k++)
        merge_shard_init(&m.shards[k], k, shard_dirs[k], map_paths[k]);
    r = merge_run(&m, counts);
    merger_clear(&m);
    if (r != MERGE_OK)
        *error = m.error;
    else
        g_free(m.error);
    return r;
}
