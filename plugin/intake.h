/* intake.h
 * A split session: the tap listeners that feed frames to stream files.
 * Its parts (intake*.c) share intake_int.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_INTAKE_H
#define FLOWSPLIT_INTAKE_H

#include <glib.h>

#include "options.h"

typedef struct split_session split_session;

/* Prepares the output folder and the writers. NULL with a one-line
 * message in *error (g_free it) when the folder cannot be used. */
split_session *intake_session_new(const flowsplit_options *opts, char **error);

/* Registers the listeners (needs display filters: call it from the tap
 * registration hook or later, never from proto handoff). */
gboolean intake_register(split_session *s, char **error);

/* Ends the split: writes what is held, closes every file. FALSE when the
 * split failed; intake_error() says why. Safe to call twice. */
gboolean intake_finish(split_session *s);

/* Live capture: time has passed. The file of a stream that ended (FIN both
 * ways, or RST) half a second ago or more, and a file without frames for
 * the idle= option's seconds, is written out and closed; a later frame of
 * its stream is appended. An IP fragment held for two seconds without its
 * datagram completing is given up. FALSE when the split has failed. */
gboolean intake_tick(split_session *s);

/* Called by Wireshark's tap machinery when a listener is removed or at
 * exit, after the last frame. */
typedef void (*intake_done_fn)(split_session *s, void *user_data);
void intake_set_done_callback(split_session *s, intake_done_fn done, void *user_data);

const char *intake_error(const split_session *s);

/* After a re-read in Wireshark: the first frame of the capture the split
 * was not handed (the re-read was stopped), or 0 when it saw them all or
 * cannot tell (tshark). */
guint32 intake_unread_frame(const split_session *s);

/* One line: streams, frames, files, bytes, reopens, most files open. */
char *intake_summary(const split_session *s);

void intake_session_free(split_session *s);

#endif /* FLOWSPLIT_INTAKE_H */
