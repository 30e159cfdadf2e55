/* frame_keys.h
 * A frame's partition keys: the unordered address pair of every IPv4 or
 * IPv6 layer Wireshark would find in it by default (tunnels included), and
 * of the packet an ICMP or ICMPv6 error quotes. Two frames of one TCP, UDP
 * or DCCP stream always share a key; a frame with no key carries no stream.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FRAME_KEYS_H
#define FLOWSPLIT_FRAME_KEYS_H

#include <glib.h>

/* A deeper nesting than this (tunnels in tunnels) makes the frame unsafe. */
#define FRAME_KEYS_MAX 8

/* An address pair, lower address first; IPv4 addresses fill the first 4
 * bytes of a and b, and the rest is zero. */
typedef struct {
    guint32 family;         /* 4 or 6 */
    guint8 a[16];
    guint8 b[16];
} frame_key;

typedef struct {
    guint n;
    frame_key keys[FRAME_KEYS_MAX];
} frame_keys;

/* The keys of frame `frame_number` (for the message) of link type
 * `link_type` (a LINKTYPE_ value) whose captured data is data[0..len).
 * FALSE with a one-line *error when the frame holds something the
 * partitioner does not read (the capture must then go to one tshark). */
gboolean frame_keys_get(guint link_type, const guint8 *data, guint32 len, guint64 frame_number,
                        frame_keys *out, char **error);

#endif /* FLOWSPLIT_FRAME_KEYS_H */
