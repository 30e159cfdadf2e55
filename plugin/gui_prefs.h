/* gui_prefs.h
 * The flowsplit preferences (Edit > Preferences > Protocols > flowsplit):
 * where and how the GUI exports, and the last answers given.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_GUI_PREFS_H
#define FLOWSPLIT_GUI_PREFS_H

#include "options.h"

/* Registers the preferences; call it while protocols register. */
void gui_prefs_register(int proto_flowsplit);

/* The export folder; ~/flowsplit while none is set. g_free it. */
char *gui_prefs_folder(void);

fs_format gui_prefs_format(void);

/* The transports to export, as proto= takes them ("tcp", "tcp,udp", "all"). */
const char *gui_prefs_transports(void);

/* Keeps the answers, in memory and in the profile's preferences file, so
 * the next export starts from them. */
void gui_prefs_remember(const char *folder, fs_format format, const char *transports);

#endif /* FLOWSPLIT_GUI_PREFS_H */
