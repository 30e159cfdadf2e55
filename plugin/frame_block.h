/* frame_block.h
 * The packet block (comments, flags) of the frame being dissected, kept
 * for the taps.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FRAME_BLOCK_H
#define FLOWSPLIT_FRAME_BLOCK_H

#include <epan/packet.h>
#include <wiretap/wtap.h>

/* Registers the postdissector that keeps each frame's block, under
 * protocol proto. Call it once, from the protocol's handoff. */
void frame_block_register(int proto);

/* The packet block of the frame pinfo is dissecting, or NULL. Valid until
 * the frame's dissection is reset (after its taps); take a reference to
 * keep it longer. */
wtap_block_t frame_block_of(packet_info *pinfo);

#endif /* FLOWSPLIT_FRAME_BLOCK_H */
