/* frame_keys_walk.h
 * Internal to frame_keys.c and frame_keys_ip.c: the state of one frame's
 * walk and the steps each file offers the other. frame_keys.c owns the
 * link layers and encapsulations below IP and the refusals; frame_keys_ip.c
 * owns IP and what it carries (transports, tunnels, ICMP errors).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_FRAME_KEYS_WALK_H
#define FLOWSPLIT_FRAME_KEYS_WALK_H

#include "frame_keys.h"

typedef struct {
    frame_keys *out;
    guint64 frame;
    char **error;
    int depth;
    /* The bytes being walked end where a first IP fragment ends, not where
     * the capture cut the frame: a header that runs past that end is in
     * the reassembled packet, which Wireshark reads and we do not. */
    gboolean in_first_fragment;
} walk;

typedef const guint8 *bytes;

static inline guint
get16(bytes p)
{
    return (guint)p[0] << 8 | p[1];
}

/* FALSE, with the one-line message that the frame holds `what`, which the
 * partitioner does not read (frame_keys.c). */
gboolean fk_refuse(walk *w, const char *what);
/* The same with a number put in by fmt (one %u or %X). */
gboolean fk_refuse_number(walk *w, const char *fmt, guint value);

/* A payload by ethertype (frame_keys.c): tunnels reach Ethernet and IP
 * through it. */
gboolean fk_ethertype(walk *w, guint type, bytes p, guint32 len);

/* An IP layer (frame_keys_ip.c): by version nibble, or of one version. */
gboolean fk_ip_any(walk *w, bytes p, guint32 len);
gboolean fk_ipv4(walk *w, bytes p, guint32 len);
gboolean fk_ipv6(walk *w, bytes p, guint32 len);

#endif /* FLOWSPLIT_FRAME_KEYS_WALK_H */
