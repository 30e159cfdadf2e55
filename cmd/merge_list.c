/* merge_list.c
 * Reading one shard for the merge: its list, shard-streams.csv (a row for
 * every stream its split saw, the columns of streams.csv plus selected and
 * written; no field holds a comma or a quote, the plugin escapes them), and
 * its frame map (a little-endian 64-bit input frame number per frame of
 * the shard, mapped, not read). Columns are found by name; each row's
 * fields stay in the list's text, cut at the commas, for the merge to copy.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "merge_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const col_names[COL_COUNT] = {
    "stream", "file", "first_frame", "last_frame", "proto", "addr_a", "port_a", "addr_b", "port_b",
    "selected", "written", "written_bytes"
};

static merge_result
list_fail(char **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static merge_result
list_fail(char **error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    *error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return MERGE_FAILED;
}

void
merge_shard_init(merge_shard *sh, guint k, const char *dir, const char *map_path)
{
    memset(sh, 0, sizeof *sh);
    sh->index = k;
    sh->dir = dir;
    sh->map_path = map_path;
    sh->dir_fd = -1;
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        sh->rows[t] = g_array_new(FALSE, TRUE, sizeof(shard_row));
        sh->counts[t] = -1;
    }
}

/* The whole file `name` in dir_fd, never through a link. NULL with errno. */
static char *
read_whole(int dir_fd, const char *name, gsize *len)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    GByteArray *buf;
    guint8 chunk[65536];
    ssize_t got;

    if (fd < 0)
        return NULL;
    buf = g_byte_array_new();
    while ((got = read(fd, chunk, sizeof chunk)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int err = errno;
            close(fd);
            g_byte_array_free(buf, TRUE);
            errno = err;
            return NULL;
        }
        g_byte_array_append(buf, chunk, (guint)got);
    }
    close(fd);
    *len = buf->len;
    g_byte_array_append(buf, (const guint8 *)"", 1);
    return (char *)g_byte_array_free(buf, FALSE);
}

/* Splits line into its fields in place (commas become NULs); their count. */
static guint
split_fields(char *line, guint32 *starts, guint max)
{
    guint n = 1;

    if (max > 0)
        starts[0] = 0;
    for (char *c = line; *c != '\0'; c++) {
        if (*c == ',') {
            *c = '\0';
            if (n < max)
                starts[n] = (guint32)(c + 1 - line);
            n++;
        }
    }
    return n;
}

const char *
merge_field_at(const char *fields, int i)
{
    for (; i > 0; i--)
        fields += strlen(fields) + 1;
    return fields;
}

static gboolean
parse_number(const char *text, guint64 max, guint64 *out)
{
    char *end;

    if (!g_ascii_isdigit(text[0]))
        return FALSE;
    errno = 0;
    *out = g_ascii_strtoull(text, &end, 10);
    return errno == 0 && *end == '\0' && *out <= max;
}

static gboolean
map_frame(const merge_shard *sh, guint64 local, guint64 *input)
{
    guint64 le;

    if (local == 0 || local > sh->map_frames)
        return FALSE;
    memcpy(&le, g_mapped_file_get_contents(sh->map) + (local - 1) * 8, 8);
    *input = GUINT64_FROM_LE(le);
    return TRUE;
}

static merge_result
read_header(merge_shard *sh, char *line, char **error)
{
    sh->header = g_strdup(line);
    sh->header_fields = line;
    sh->n_columns = split_fields(line, NULL, 0);
    for (int c = 0; c < COL_COUNT; c++) {
        sh->col[c] = -1;
        for (guint i = 0; i < sh->n_columns; i++) {
            if (strcmp(merge_field_at(line, (int)i), col_names[c]) == 0)
                sh->col[c] = (int)i;
        }
        if (sh->col[c] < 0)
            return list_fail(error, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" has no %s column; "
                        "was the shard split with shard=yes by this flowsplit's plugin?", sh->dir, col_names[c]);
    }
    return MERGE_OK;
}

static gboolean
transport_of(const char *name, fs_transport *t)
{
    for (int i = 0; i < FS_TRANSPORT_COUNT; i++) {
        if (strcmp(name, options_transport_name(i)) == 0) {
            *t = i;
            return TRUE;
        }
    }
    return FALSE;
}

/* One row; line is its text, split into fields in one pass (a look-up
 * of each column by walking the fields before it cost the merge of 50,000
 * streams a tenth of its time). */
static merge_result
read_row(merge_shard *sh, char *line, guint line_no, guint32 *starts, char **error)
{
    shard_row row = { .fields = line, .shard = sh->index };
    guint64 stream, first, last, selected;
    fs_transport t;

    if (strchr(line, '"') != NULL || split_fields(line, starts, sh->n_columns) != sh->n_columns)
        return list_fail(error, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" line %u is not a row of %u fields",
                    sh->dir, line_no, sh->n_columns);
    for (int c = 0; c < COL_COUNT; c++)
        row.at[c] = starts[sh->col[c]];
    if (!transport_of(merge_row_field(&row, COL_PROTO), &t)
        || !parse_number(merge_row_field(&row, COL_STREAM), G_MAXUINT32, &stream)
        || !parse_number(merge_row_field(&row, COL_FIRST), G_MAXUINT64, &first)
        || !parse_number(merge_row_field(&row, COL_LAST), G_MAXUINT64, &last)
        || !parse_number(merge_row_field(&row, COL_SELECTED), 1, &selected)
        || !parse_number(merge_row_field(&row, COL_WRITTEN), G_MAXUINT64, &row.written)
        || !parse_number(merge_row_field(&row, COL_WRITTEN_BYTES), G_MAXUINT64, &row.written_bytes))
        return list_fail(error, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" line %u: a bad proto, stream, "
                    "frame, selected or written value", sh->dir, line_no);
    if (!map_frame(sh, first, &row.first) || !map_frame(sh, last, &row.last))
        return list_fail(error, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" line %u: frame %" G_GUINT64_FORMAT
                    " is not in the frame map \"%s\" (%" G_GUINT64_FORMAT " frames); is it this shard's map?",
                    sh->dir, line_no, row.first == 0 ? first : last, sh->map_path, sh->map_frames);
    row.local = (guint32)stream;
    row.selected = selected == 1;
    g_array_append_val(sh->rows[t], row);
    return MERGE_OK;
}

static merge_result
open_map(merge_shard *sh, char **error)
{
    GError *gerr = NULL;
    gsize len;

    sh->map = g_mapped_file_new(sh->map_path, FALSE, &gerr);
    if (sh->map == NULL) {
        merge_result r = list_fail(error, "flowsplit: cannot read frame map \"%s\": %s", sh->map_path,
                              gerr->message);
        g_error_free(gerr);
        return r;
    }
    len = g_mapped_file_get_length(sh->map);
    if (len % 8 != 0)
        return list_fail(error, "flowsplit: frame map \"%s\" is %" G_GSIZE_FORMAT " bytes, not a whole "
                    "number of 8-byte frame numbers; it was cut short", sh->map_path, len);
    sh->map_frames = len / 8;
    return MERGE_OK;
}

/* MERGE_SHARD_COUNTS: "transport,streams" then a row per counted
 * transport. */
static merge_result
read_counts(merge_shard *sh, char **error)
{
    gsize len = 0;
    char *text = read_whole(sh->dir_fd, MERGE_SHARD_COUNTS, &len);
    char **lines;
    merge_result r = MERGE_OK;

    if (text == NULL)
        return list_fail(error, "flowsplit: cannot read \"%s/" MERGE_SHARD_COUNTS "\": %s; split every shard with "
                         "this version of the plugin", sh->dir, g_strerror(errno));
    lines = g_strsplit(text, "\r\n", -1);
    if (strlen(text) != len || g_strv_length(lines) < 2 || strcmp(lines[0], "transport,streams") != 0
        || lines[g_strv_length(lines) - 1][0] != '\0')
        r = list_fail(error, "flowsplit: \"%s/" MERGE_SHARD_COUNTS "\" is not a shard's counts", sh->dir);
    for (guint i = 1; r == MERGE_OK && lines[i + 1] != NULL; i++) {
        char *comma = strchr(lines[i], ',');
        fs_transport t;
        guint64 count;

        if (comma != NULL)
            *comma = '\0';
        if (comma == NULL || !transport_of(lines[i], &t) || !parse_number(comma + 1, G_MAXUINT32, &count))
            r = list_fail(error, "flowsplit: line %u of \"%s/" MERGE_SHARD_COUNTS "\" is not transport,streams",
                          i + 1, sh->dir);
        else
            sh->counts[t] = (gint64)count;
    }
    g_strfreev(lines);
    g_free(text);
    return r;
}

/* The folder's regular files, from one pass over it (the type readdir
 * gives; a look at the file only where the file system gives none): a
 * look-up per file would cost a call per stream. */
static merge_result
read_folder(merge_shard *sh, char **error)
{
    int fd = dup(sh->dir_fd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    struct stat st;

    if (dir == NULL) {
        if (fd >= 0)
            close(fd);
        return list_fail(error, "flowsplit: cannot read shard folder \"%s\": %s", sh->dir, g_strerror(errno));
    }
    sh->regular = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    while ((de = readdir(dir)) != NULL) {
        if (de->d_type == DT_REG
            || (de->d_type == DT_UNKNOWN && fstatat(sh->dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
                && S_ISREG(st.st_mode)))
            g_hash_table_add(sh->regular, g_strdup(de->d_name));
    }
    closedir(dir);
    return MERGE_OK;
}

gboolean
merge_shard_has_file(const merge_shard *sh, const char *name)
{
    return g_hash_table_contains(sh->regular, name);
}

merge_result
merge_shard_read(merge_shard *sh, char **error)
{
    merge_result r;
    gsize len = 0;
    char *line;
    guint line_no = 1;
    guint32 *starts = NULL;     /* where each field of the row being read starts */

    sh->dir_fd = open(sh->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sh->dir_fd < 0 && errno == ENOENT)
        return list_fail(error, "flowsplit: shard folder \"%s\" is missing: its tshark wrote no split; does that "
                         "tshark load the flowsplit plugin (tshark -G plugins)?", sh->dir);
    if (sh->dir_fd < 0)
        return list_fail(error, "flowsplit: cannot open shard folder \"%s\": %s", sh->dir, g_strerror(errno));
    if ((r = open_map(sh, error)) != MERGE_OK || (r = read_counts(sh, error)) != MERGE_OK
        || (r = read_folder(sh, error)) != MERGE_OK)
        return r;
    sh->text = read_whole(sh->dir_fd, MERGE_SHARD_LIST, &len);
    if (sh->text == NULL)
        return list_fail(error, "flowsplit: cannot read \"%s/" MERGE_SHARD_LIST "\": %s; did the shard's "
                    "split run with shard=yes and finish?", sh->dir, g_strerror(errno));
    if (len < 2 || sh->text[len - 2] != '\r' || sh->text[len - 1] != '\n' || strlen(sh->text) != len)
        return list_fail(error, "flowsplit: \"%s/" MERGE_SHARD_LIST "\" does not end with a whole line",
                    sh->dir);
    sh->text[len - 2] = '\0';
    line = sh->text;
    while (line != NULL && r == MERGE_OK) {
        char *next = strstr(line, "\r\n");

        if (next != NULL) {
            *next = '\0';
            next += 2;
        }
        if (line_no == 1) {
            r = read_header(sh, line, error);
            starts = g_new(guint32, sh->n_columns);
        } else {
            r = read_row(sh, line, line_no, starts, error);
        }
        line = next;
        line_no++;
    }
    g_free(starts);
    return r;
}

void
merge_shard_clear(merge_shard *sh)
{
    for (int t = 0; t < FS_TRANSPORT_COUNT; t++) {
        for (guint i = 0; sh->rows[t] != NULL && i < sh->rows[t]->len; i++)
            g_free(g_array_index(sh->rows[t], shard_row, i).new_name);
        if (sh->rows[t] != NULL)
            g_array_free(sh->rows[t], TRUE);
    }
    if (sh->map != NULL)
        g_mapped_file_unref(sh->map);
    if (sh->regular != NULL)
        g_hash_table_destroy(sh->regular);
    if (sh->dir_fd >= 0)
        close(sh->dir_fd);
    g_free(sh->text);
    g_free(sh->header);
    memset(sh, 0, sizeof *sh);
    sh->dir_fd = -1;
}
