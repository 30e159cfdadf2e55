/* gui_packet_menu.h
 * "Export this TCP stream" (and UDP, DCCP) in the packet list's context
 * menu, on Wireshark 4.2 and later.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_GUI_PACKET_MENU_H
#define FLOWSPLIT_GUI_PACKET_MENU_H

/* Registers the entries; nothing on a Wireshark without packet menus. */
void gui_packet_menu_register(void);

#endif /* FLOWSPLIT_GUI_PACKET_MENU_H */
