/* gui_action.h
 * Wireshark's Tools > Export streams, and the flowsplit preferences.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_GUI_ACTION_H
#define FLOWSPLIT_GUI_ACTION_H

/* Registers the menu item and the preferences; call it while protocols
 * register (Wireshark collects menu items once, at start-up). */
void gui_action_register(int proto_flowsplit);

#endif /* FLOWSPLIT_GUI_ACTION_H */
