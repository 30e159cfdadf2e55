/* frame_copy.c
 * Copies of frames that must outlive their dissection: IP fragments held
 * until their stream is known (frame_queue.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "frame_copy.h"

frame_copy *
frame_copy_new(const frame_record *fr)
{
    frame_copy *fc = g_new(frame_copy, 1);

    fc->rec = *fr->rec;
    fc->rec.block = NULL;
    fc->data = g_memdup2(fr->data, fr->rec->rec_header.packet_header.caplen);
    fc->fr.num = fr->num;
    fc->fr.rec = &fc->rec;
    fc->fr.data = fc->data;
    fc->fr.block = fr->block ? wtap_block_ref(fr->block) : NULL;
    fc->fr.if_name = fr->if_name ? g_intern_string(fr->if_name) : NULL;
    return fc;
}

void
frame_copy_free(frame_copy *fc)
{
    if (fc == NULL)
        return;
    if (fc->fr.block != NULL)
        wtap_block_unref(fc->fr.block);
    g_free(fc->data);
    g_free(fc);
}

gsize
frame_copy_size(const frame_copy *fc)
{
    return sizeof *fc + fc->rec.rec_header.packet_header.caplen;
}
