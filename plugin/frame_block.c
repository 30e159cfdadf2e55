/* frame_block.c
 * Keeps each frame's packet block for the taps. Wireshark drops the
 * record's block (rec->block) before the taps run, so a postdissector
 * takes a reference to it and leaves it in the frame's own data
 * (p_add_proto_data, in the packet's pool); the taps read it from there,
 * and the reference goes when the pool is freed after the frame. Per frame
 * and per dissection: a second dissection of the frame from a tap
 * (frame_redissect) has a packet_info, and so data, of its own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "frame_block.h"

#include <epan/proto_data.h>
#include <wsutil/wmem/wmem_user_cb.h>

#include "ws_compat.h"

/* The protocol the block is filed under. Set once at registration, before
 * any frame: the postdissector and the taps get no pointer of ours that
 * could carry it (Wireshark hands them packet_info only). */
static int block_proto = -1;

static fs_callback_bool     /* gboolean on 4.0, bool from 4.2 on */
unref_block(wmem_allocator_t *allocator _U_, wmem_cb_event_t event _U_, void *user_data)
{
    wtap_block_unref(user_data);
    return FALSE;   /* once: the pool is freed */
}

static int
keep_block(tvbuff_t *tvb _U_, packet_info *pinfo, proto_tree *tree _U_, void *data _U_)
{
    wtap_block_t block = NULL;

    if (pinfo->fd->has_modified_block)
        block = epan_get_modified_block(pinfo->epan, pinfo->fd);
    else if (pinfo->rec != NULL)
        block = pinfo->rec->block;
    if (block == NULL)
        return 0;
    block = wtap_block_ref(block);
    p_add_proto_data(pinfo->pool, pinfo, block_proto, 0, block);
    wmem_register_callback(pinfo->pool, unref_block, block);
    return 0;
}

void
frame_block_register(int proto)
{
    block_proto = proto;
    register_postdissector(create_dissector_handle(keep_block, proto));
}

wtap_block_t
frame_block_of(packet_info *pinfo)
{
    return p_get_proto_data(pinfo->pool, pinfo, block_proto, 0);
}
