/* frame_redissect.h
 * The current frame dissected once more, with a protocol tree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FRAME_REDISSECT_H
#define FLOWSPLIT_FRAME_REDISSECT_H

#include <epan/epan_dissect.h>
#include <wiretap/wtap.h>

/* Dissects the frame a tap callback is handed (pinfo, edt) again, with a
 * tree in which the n_fields fields are primed, and returns that
 * dissection (free it with epan_dissect_free). Only from a tap callback:
 * the frame is dissected and marked visited by then, so this is the
 * dissection Wireshark gives a frame it shows again (tshark -2's second
 * pass), and no tap sees it. block: the frame's packet block, or NULL. */
epan_dissect_t *frame_redissect(packet_info *pinfo, epan_dissect_t *edt, wtap_block_t block, const int *fields,
                                guint n_fields);

#endif /* FLOWSPLIT_FRAME_REDISSECT_H */
