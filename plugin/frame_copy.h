/* frame_copy.h
 * A frame kept beyond its dissection.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FRAME_COPY_H
#define FLOWSPLIT_FRAME_COPY_H

#include "frame_record.h"

typedef struct {
    frame_record fr;    /* points at the copies below */
    wtap_rec rec;
    guint8 *data;
} frame_copy;

/* Copies the header, the bytes and a reference to the packet block. */
frame_copy *frame_copy_new(const frame_record *fr);
void frame_copy_free(frame_copy *fc);

/* Bytes of memory the copy holds (for budgets). */
gsize frame_copy_size(const frame_copy *fc);

#endif /* FLOWSPLIT_FRAME_COPY_H */
