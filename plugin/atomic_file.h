/* atomic_file.h
 * A file of the output folder written whole or not at all: into a
 * temporary name, synced, renamed over the final one. streams.csv, the
 * shard lists (stream_index.c) and the flowsplit command's merged
 * streams.csv (cmd/merge.c) are written so.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_ATOMIC_FILE_H
#define FLOWSPLIT_ATOMIC_FILE_H

#include <glib.h>

/* Writes the file's contents into the open descriptor; FALSE with errno. */
typedef gboolean (*atomic_file_fill_fn)(int fd, void *user_data);

/* dir_fd/name (dir_path for messages) through dir_fd/temp: a temporary
 * file left by a killed run is removed first, never followed if a link.
 * FALSE with a one-line *error ("flowsplit: cannot write \"DIR/NAME\":
 * cause"), and no file under either name. */
gboolean atomic_file_write(int dir_fd, const char *dir_path, const char *name, const char *temp,
                           atomic_file_fill_fn fill, void *user_data, char **error);

#endif /* FLOWSPLIT_ATOMIC_FILE_H */
