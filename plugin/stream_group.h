/* stream_group.h
 * group=: the file (or, for a host, two files) a stream's frames go to
 * when one file holds several streams.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_STREAM_GROUP_H
#define FLOWSPLIT_STREAM_GROUP_H

#include <glib.h>
#include <epan/address.h>

#include "options.h"
#include "writer_cache.h"

typedef struct stream_groups stream_groups;

/* The group files of one split: group is not FS_GROUP_STREAM; wc must
 * outlive the table. */
stream_groups *stream_groups_new(fs_group group, writer_cache *wc);

/* The files of a new stream, from its first frame (sent by src:sport to
 * dst:dport, with those TCP flags; 0 for UDP and DCCP): files[0], and
 * files[1] for group=host when its two ends are different addresses, else
 * NULL. A group's file is made at its first stream and shared by the
 * later ones. */
void stream_groups_files(stream_groups *g, const address *src, guint16 sport, const address *dst, guint16 dport,
                         guint16 tcp_flags, stream_file *files[2]);

void stream_groups_free(stream_groups *g);

#endif /* FLOWSPLIT_STREAM_GROUP_H */
