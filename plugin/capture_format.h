/* capture_format.h
 * The numbers of the pcap and pcapng file formats that flowsplit writes
 * (record_encoder.c) and reads back (file_repair.c, wiretap_writer.c):
 * header lengths, field offsets, magic numbers, block types, option codes.
 * Every multi-byte field is in the writer's byte order, as wiretap writes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_CAPTURE_FORMAT_H
#define FLOWSPLIT_CAPTURE_FORMAT_H

/* pcap: a file header, then records of a header and the frame's bytes. */
#define PCAP_FILE_HEADER_LEN 24
#define PCAP_RECORD_HEADER_LEN 16
#define PCAP_HEADER_LINKTYPE_OFFSET 20  /* the link type in the file header */
#define PCAP_LINKTYPE_MASK 0xFFFFu      /* the link type's bits; the upper ones carry FCS details */
#define PCAP_RECORD_CAPLEN_OFFSET 8     /* the captured length in a record header */
#define PCAP_MAGIC_USEC 0xA1B2C3D4u     /* microsecond time stamps */
#define PCAP_MAGIC_NSEC 0xA1B23C4Du     /* nanosecond time stamps */

/* pcapng: blocks of a type, a total length, a body, the total length again. */
#define PCAPNG_BLOCK_HEADER_LEN 8
#define PCAPNG_BLOCK_LEN_OFFSET 4       /* the total length, after the type */
#define PCAPNG_BLOCK_TRAILER_LEN 4
#define PCAPNG_BLOCK_MIN_LEN (PCAPNG_BLOCK_HEADER_LEN + PCAPNG_BLOCK_TRAILER_LEN)
#define PCAPNG_BLOCK_ALIGN 4            /* block lengths and option values are padded to it */
#define PCAPNG_SHB_TYPE 0x0A0D0D0Au     /* Section Header Block: the same in either byte order */
#define PCAPNG_IDB_TYPE 0x00000001u     /* Interface Description Block */
#define PCAPNG_EPB_TYPE 0x00000006u     /* Enhanced Packet Block */
#define PCAPNG_DSB_TYPE 0x0000000Au     /* Decryption Secrets Block */
#define PCAPNG_NRB_TYPE 0x00000004u     /* Name Resolution Block */
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define PCAPNG_SHB_BOM_OFFSET 8         /* the byte-order magic in a Section Header Block */

/* Fixed parts of block bodies. */
#define PCAPNG_IDB_FIXED_LEN 8          /* link type, reserved, snap length */
#define PCAPNG_DSB_FIXED_LEN 8          /* secrets type, secrets length */
#define PCAPNG_EPB_FIXED_LEN 32         /* block header, fields and trailing length */

/* Options: a code, a length, the value padded to PCAPNG_BLOCK_ALIGN. */
#define PCAPNG_OPT_HEADER_LEN 4
#define PCAPNG_OPT_ENDOFOPT 0
#define PCAPNG_OPT_IF_NAME 2
#define PCAPNG_OPT_IF_TSRESOL 9

#endif /* FLOWSPLIT_CAPTURE_FORMAT_H */
