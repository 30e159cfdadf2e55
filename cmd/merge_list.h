/* merge_list.h
 * One shard as the merge reads it: its list (shard-streams.csv, which the
 * plugin writes with shard=yes) and its frame map. Inside the merge only
 * (merge.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_MERGE_LIST_H
#define FLOWSPLIT_MERGE_LIST_H

#include <glib.h>

#include "merge.h"

/* The columns the merge reads or rewrites, found by name in the header;
 * every other column is copied as it is. */
enum { COL_STREAM, COL_FILE, COL_FIRST, COL_LAST, COL_PROTO, COL_ADDR_A, COL_PORT_A, COL_ADDR_B, COL_PORT_B,
       COL_SELECTED, COL_WRITTEN, COL_WRITTEN_BYTES, COL_COUNT };

/* One stream of a shard. */
typedef struct {
    const char *fields;     /* the row's fields, each NUL-terminated, one after the other */
    guint32 at[COL_COUNT];  /* where each named column's field starts in fields */
    guint shard;
    guint32 local;          /* the shard's stream number */
    guint64 first, last;    /* input frame numbers (the frame map's) */
    guint64 written;
    guint64 written_bytes;
    gboolean selected;
    /* Set by the merge: */
    guint32 global;         /* the whole capture's stream number */
    gboolean kept;          /* in the merged split */
    char *new_name;         /* kept with a file: its name in the output folder */
} shard_row;

typedef struct {
    guint index;            /* the shard's number, from 0 */
    const char *dir;        /* given */
    const char *map_path;   /* given */
    int dir_fd;
    char *text;             /* the list, each field NUL-terminated */
    char *header;           /* the header line as read (without CRLF) */
    const char *header_fields;  /* and its fields, in text */
    guint n_columns;
    int col[COL_COUNT];     /* each column's position */
    GMappedFile *map;
    guint64 map_frames;
    GArray *rows[FS_TRANSPORT_COUNT];   /* shard_row, in the list's order */
    GHashTable *regular;    /* the names of the folder's regular files (no links), read in one pass */
    gint64 counts[FS_TRANSPORT_COUNT];  /* stream indexes the shard's dissection handed out; -1 unknown */
} merge_shard;

/* Starts sh for shard number k of dir and map_path; nothing read yet. */
void merge_shard_init(merge_shard *sh, guint k, const char *dir, const char *map_path);

/* Opens the shard's folder and frame map and reads its list, frame
 * numbers mapped to the input's, and its counts (MERGE_SHARD_COUNTS). MERGE_FAILED with a one-line *error
 * naming the file and the cause. */
merge_result merge_shard_read(merge_shard *sh, char **error);

/* Is name a regular file of the shard's folder (not a link, not missing)? */
gboolean merge_shard_has_file(const merge_shard *sh, const char *name);

/* Field i of a row's (or the header's) fields. */
const char *merge_field_at(const char *fields, int i);

/* A row's field of named column c (COL_...). */
static inline const char *
merge_row_field(const shard_row *r, int c)
{
    return r->fields + r->at[c];
}

void merge_shard_clear(merge_shard *sh);

#endif /* FLOWSPLIT_MERGE_LIST_H */
