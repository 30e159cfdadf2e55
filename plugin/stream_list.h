/* stream_list.h
 * The streams=LIST option: stream numbers and ranges, "0-99,150,200-".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_STREAM_LIST_H
#define FLOWSPLIT_STREAM_LIST_H

#include <glib.h>

typedef struct stream_list stream_list;

/* NULL with a one-line message in *error (g_free it) when text is not a
 * comma-separated list of N, N-M or N- items. */
stream_list *stream_list_parse(const char *text, char **error);

gboolean stream_list_contains(const stream_list *list, guint32 stream);

void stream_list_free(stream_list *list);

#endif /* FLOWSPLIT_STREAM_LIST_H */
