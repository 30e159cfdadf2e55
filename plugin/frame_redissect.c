/* frame_redissect.c
 * Dissects a frame a second time, with a protocol tree, from inside a tap
 * callback. The intake does without a tree for most frames (see
 * intake_decide.c) and asks for one only for the few frames its taps
 * cannot answer for.
 *
 * epan_dissect_run() cannot be called here: a tap callback runs inside the
 * frame's packet scope, which it would enter a second time and then free
 * under the remaining listeners. So this sets up the packet_info as
 * packet.c's dissect_record() does for a REC_TYPE_PACKET record and calls
 * the frame dissector itself. What it allocates in the packet scope goes
 * when the frame's scope ends; the rest with epan_dissect_free().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "frame_redissect.h"

#include <epan/exceptions.h>
#include <epan/packet.h>
#include <wsutil/wslog.h>

/* The frame dissector, looked up at the first call and kept: the same
 * for every frame (not per-frame state), and a tap callback has nowhere
 * else to keep it. */
static dissector_handle_t frame_handle;

epan_dissect_t *
frame_redissect(packet_info *pinfo, epan_dissect_t *edt, wtap_block_t block, const int *fields, guint n_fields)
{
    epan_dissect_t *redo;
    packet_info *pi;
    frame_data_t frame_dissector_data;

    if (frame_handle == NULL)
        frame_handle = find_dissector("frame");
    redo = epan_dissect_new(pinfo->epan, TRUE, FALSE);
    for (guint i = 0; i < n_fields; i++)
        epan_dissect_prime_with_hfid(redo, fields[i]);

    pi = &redo->pi;
    pi->epan = pinfo->epan;
    pi->current_proto = "<Missing Protocol Name>";
    pi->cinfo = NULL;
    pi->presence_flags = pinfo->presence_flags & PINFO_HAS_TS;
    pi->num = pinfo->num;
    pi->abs_ts = pinfo->abs_ts;
    pi->rel_ts = pinfo->rel_ts;
    pi->pseudo_header = pinfo->pseudo_header;
    pi->fd = pinfo->fd;
    pi->rec = pinfo->rec;
    pi->noreassembly_reason = "";
    pi->ptype = PT_NONE;
    pi->p2p_dir = P2P_DIR_UNKNOWN;
    pi->link_dir = LINK_DIR_UNKNOWN;
    pi->src_win_scale = -1;
    pi->dst_win_scale = -1;
    pi->layers = wmem_list_new(pi->pool);

    memset(&frame_dissector_data, 0, sizeof frame_dissector_data);
    frame_dissector_data.pkt_block = block;
    frame_dissector_data.color_edt = redo;

    TRY {
        add_new_data_source(pi, edt->tvb, "Frame");
        call_dissector_with_data(frame_handle, edt->tvb, pi, redo->tree, &frame_dissector_data);
    }
    CATCH_ALL {
        /* dissect_record() marks these malformed; the fields before it stand. */
        ws_debug("frame %u: %s in its second dissection", pinfo->num, GET_MESSAGE ? GET_MESSAGE : "an exception");
    }
    ENDTRY;
    return redo;
}
