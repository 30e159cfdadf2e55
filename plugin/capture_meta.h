/* capture_meta.h
 * What the input capture holds besides packets that every stream file
 * carries too: its section header (hardware, OS, application, comments),
 * its decryption secrets and (Wireshark 4.2 on) its name resolution.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_CAPTURE_META_H
#define FLOWSPLIT_CAPTURE_META_H

#include <glib.h>
#include <wiretap/wtap.h>

typedef struct capture_meta capture_meta;

/* Until the input is known: a section header naming flowsplit, no secrets. */
capture_meta *capture_meta_new(void);

/* Follows the capture file being read (NULL: nothing known): its first
 * section header, once, and any decryption secrets read since the last
 * call. Cheap enough for every frame. */
void capture_meta_follow(capture_meta *m, wtap *wth);

/* The section header as wiretap's dumpers take it (one block). */
GArray *capture_meta_shb_hdrs(const capture_meta *m);

/* The same Section Header Block, encoded as wiretap writes it. */
const GByteArray *capture_meta_shb_bytes(const capture_meta *m);

/* The decryption secrets read so far (wtap_block_t, DSBs), in file order;
 * it only grows, so a pcapng dumper takes it as its dsbs_growing. */
const GArray *capture_meta_secrets(const capture_meta *m);

/* The Name Resolution Blocks read so far (wtap_block_t), in file order; it
 * only grows, so a pcapng dumper takes it as its nrbs_growing. Always
 * empty where wiretap does not carry an input's NRBs (4.0). */
const GArray *capture_meta_name_blocks(const capture_meta *m);

/* The bytes wiretap writes for the NRBs from the from-th on (to the last
 * read so far), *len of them. */
const guint8 *capture_meta_names(const capture_meta *m, guint from, guint *len);

void capture_meta_free(capture_meta *m);

#endif /* FLOWSPLIT_CAPTURE_META_H */
