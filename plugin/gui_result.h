/* gui_result.h
 * The window a GUI export ends in: its text, the first rows of the index
 * it wrote, and buttons that lead on.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_GUI_RESULT_H
#define FLOWSPLIT_GUI_RESULT_H

#include <glib.h>

typedef struct gui_result gui_result;

/* What a button does when clicked; its data lives as long as the window. */
typedef void (*gui_result_action)(void *data);

gui_result *gui_result_new(void);

/* Appends text to the window's text. */
void gui_result_text(gui_result *r, const char *text);

/* Appends the first rows of folder/streams.csv (stream, transport, ends,
 * frames, bytes, SNI), and a button that opens each of the first few
 * rows' files in Wireshark; nothing when the folder has no index. */
void gui_result_index(gui_result *r, const char *folder);

/* A button that opens the folder in the desktop's file manager. */
void gui_result_folder_button(gui_result *r, const char *folder);

/* A button labelled label (shown as given). data_free
 * (may be NULL) is called on data when the window closes. */
void gui_result_button(gui_result *r, const char *label, gui_result_action action, void *data,
                       GDestroyNotify data_free);

/* Shows the window (the title every export's result has) and frees r. */
void gui_result_show(gui_result *r);

#endif /* FLOWSPLIT_GUI_RESULT_H */
