/* stream_select.h
 * The streams that have at least one frame matching a display filter.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_STREAM_SELECT_H
#define FLOWSPLIT_STREAM_SELECT_H

#include <glib.h>

#include "options.h"

typedef struct stream_select stream_select;

/* Starts listening for frames that match filter, for the streams of the
 * transports in `transports` (FS_TRANSPORT_BIT()s). NULL with a one-line
 * message in *error (g_free it) when the filter does not compile. */
stream_select *stream_select_new(const char *filter, guint transports, char **error);

/* Did a frame of stream `stream` of transport t match so far? */
gboolean stream_select_matched(const stream_select *sel, fs_transport t, guint32 stream);

/* Stops listening (remove_tap_listener: never while tshark frees its
 * listeners at exit) and frees sel. */
void stream_select_free(stream_select *sel);

#endif /* FLOWSPLIT_STREAM_SELECT_H */
