/* capture_reader.h
 * Reading a pcap or pcapng capture (plain or gzip) record by record, raw:
 * each record or block comes with its exact bytes, so that it can be copied
 * unchanged, and for a frame with its link type and captured data. Whatever
 * the reader does not understand exactly as wiretap would makes it stop
 * with CAPTURE_UNSAFE: then one tshark reads the capture instead, and its
 * own error handling is the answer.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_CAPTURE_READER_H
#define FLOWSPLIT_CAPTURE_READER_H

#include <glib.h>

typedef struct capture_reader capture_reader;

typedef enum {
    CAPTURE_FORMAT_PCAP,
    CAPTURE_FORMAT_PCAPNG
} capture_format;

typedef enum {
    CAPTURE_RECORD,         /* *rec is filled */
    CAPTURE_END,            /* clean end of the capture */
    CAPTURE_UNSAFE,         /* something wiretap might read otherwise: *error says what */
    CAPTURE_FAILED          /* the file cannot be read: *error names it and the cause */
} capture_status;

typedef struct {
    gboolean is_frame;      /* a frame (pcap record, pcapng EPB/SPB/PB); else the pcap file
                             * header (the first record) or a pcapng non-frame block */
    const guint8 *raw;      /* the record's or block's exact bytes */
    gsize raw_len;
    guint64 frame_number;   /* frames: from 1, as tshark numbers them */
    guint link_type;        /* frames: LINKTYPE_ value of the frame's interface */
    const guint8 *data;     /* frames: the captured packet data (after any pseudo-header) */
    guint32 data_len;
} capture_record;

/* NULL with *error ("flowsplit: cannot read \"PATH\": cause") if the file
 * cannot be opened. The format is known after the first record. */
capture_reader *capture_reader_open(const char *path, char **error);

/* The next record; its pointers stay valid until the next call. */
capture_status capture_reader_next(capture_reader *r, capture_record *rec, char **error);

/* After the first capture_reader_next(): the format. */
capture_format capture_reader_format(const capture_reader *r);

void capture_reader_close(capture_reader *r);

#endif /* FLOWSPLIT_CAPTURE_READER_H */
