/* stream_select.h
 * The TCP streams that have at least one frame matching a display filter.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_STREAM_SELECT_H
#define FLOWSPLIT_STREAM_SELECT_H

#include <glib.h>

typedef struct stream_select stream_select;

/* Starts listening for frames that match filter. NULL with a one-line
 * message in *error (g_free it) when the filter does not compile. */
stream_select *stream_select_new(const char *filter, char **error);

/* The tcp.stream values of every frame that matched so far
 * (GUINT_TO_POINTER keys), owned by sel. */
GHashTable *stream_select_streams(const stream_select *sel);

/* Stops listening (remove_tap_listener: never while tshark frees its
 * listeners at exit) and frees sel. */
void stream_select_free(stream_select *sel);

#endif /* FLOWSPLIT_STREAM_SELECT_H */
