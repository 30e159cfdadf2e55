/* frame_record.h
 * One input frame as the queue, the copies and the writer carry it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FRAME_RECORD_H
#define FLOWSPLIT_FRAME_RECORD_H

#include <glib.h>
#include <wiretap/wtap.h>

/* One input frame as the writer needs it. */
typedef struct {
    guint32 num;            /* frame number in the input */
    const wtap_rec *rec;    /* header as read: time, lengths, link type, interface */
    const guint8 *data;     /* rec's caplen bytes */
    wtap_block_t block;     /* packet block (comments, flags), or NULL */
    const char *if_name;    /* capture interface name, or NULL */
} frame_record;

#endif /* FLOWSPLIT_FRAME_RECORD_H */
