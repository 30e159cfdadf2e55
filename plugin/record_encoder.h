/* record_encoder.h
 * The bytes of pcap and pcapng files as flowsplit writes them itself:
 * file headers, interface blocks and packet records.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_RECORD_ENCODER_H
#define FLOWSPLIT_RECORD_ENCODER_H

#include <glib.h>
#include <wiretap/wtap.h>

#include "capture_format.h"     /* PCAP_FILE_HEADER_LEN, PCAP_RECORD_HEADER_LEN */

/* One interface of a pcapng file (an Interface Description Block). */
typedef struct {
    int linktype;           /* pcap LINKTYPE_ value */
    guint8 tsresol_digits;  /* decimal digits of the time stamps: 0..9 */
    const char *name;       /* if_name, or NULL */
} encoder_iface;

/* The pcap LINKTYPE_ wiretap writes for a wiretap encapsulation, or -1
 * when wiretap cannot write it to pcap. Asked of wiretap once per value. */
int encoder_linktype(int encap);

/* The 24-byte pcap file header wiretap would write for this link type and
 * time resolution (nsec: nanoseconds, else microseconds). FALSE when
 * wiretap cannot write such a file. */
gboolean encoder_pcap_file_header(int encap, gboolean nsec, guint8 out[PCAP_FILE_HEADER_LEN]);

/* A pcap record: 16-byte header, then the frame bytes. */
gsize encoder_pcap_record_size(const wtap_rec *rec);
void encoder_pcap_record(guint8 *out, const wtap_rec *rec, const guint8 *data, gboolean nsec);

/* The Section Header Block wiretap writes for shb_hdrs (its first block),
 * appended to out; nothing when wiretap cannot write it. */
void encoder_pcapng_section(GByteArray *out, GArray *shb_hdrs);

/* The Name Resolution Block(s) wiretap writes for nrb (a
 * WTAP_BLOCK_NAME_RESOLUTION read from the input), appended to out;
 * nothing when wiretap cannot write it (Wireshark 4.0, whose dumpers take
 * no input NRB). */
void encoder_pcapng_names(GByteArray *out, wtap_block_t nrb);

/* A Decryption Secrets Block (dsb: a WTAP_BLOCK_DECRYPTION_SECRETS),
 * appended to out. */
void encoder_pcapng_secrets(GByteArray *out, wtap_block_t dsb);

/* An Interface Description Block, appended to out. */
void encoder_pcapng_iface(GByteArray *out, const encoder_iface *iface);

/* An Enhanced Packet Block. The size is 0 when the packet block carries
 * an option this encoder does not write (the caller then lets wiretap
 * write the frame). */
gsize encoder_pcapng_packet_size(const wtap_rec *rec, wtap_block_t block);
void encoder_pcapng_packet(guint8 *out, gsize size, const wtap_rec *rec, const guint8 *data,
                           wtap_block_t block, guint32 iface_id, guint8 tsresol_digits);

#endif /* FLOWSPLIT_RECORD_ENCODER_H */
