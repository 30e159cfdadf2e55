/* writer_cache.h
 * One capture file per stream, with at most max_open of them open.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_WRITER_CACHE_H
#define FLOWSPLIT_WRITER_CACHE_H

#include <glib.h>
#include <wiretap/wtap.h>

#include "capture_meta.h"

#include "options.h"

#include "frame_record.h"

typedef struct stream_file stream_file;
typedef struct writer_cache writer_cache;

typedef struct {
    guint64 files;          /* files created */
    guint64 frames;         /* frames written */
    guint64 bytes;          /* frame bytes written */
    guint64 reopens;        /* opens of a file evicted earlier */
    guint64 converted;      /* pcap files turned into pcapng (format=pcap) */
    guint64 removed;        /* after a failure: files removed, no complete header */
    guint open_now;
    guint open_most;
} writer_cache_stats;

/* buffer_bytes: the write-behind arena, where frames wait to be written
 * a file at a time (0: every frame is written at once). meta: what pcapng
 * files carry besides frames; it must outlive the cache. */
writer_cache *writer_cache_new(int dir_fd, const char *dir_path, fs_format format, guint max_open,
                               gsize buffer_bytes, const capture_meta *meta);

/* A new stream file named base_name plus the format's extension; nothing
 * is created on disk before its first frame. Takes base_name. */
stream_file *writer_cache_add(writer_cache *wc, char *base_name);

/* Writes one frame to sf, opening, reopening or evicting as needed.
 * FALSE when the split failed: see writer_cache_error(). */
gboolean writer_cache_write(writer_cache *wc, stream_file *sf, const frame_record *fr);

/* A hint that a frame for sf follows soon: its state is fetched into the
 * cache. Does nothing where the compiler has no prefetch. */
void writer_cache_prefetch(const stream_file *sf);

/* The stream has ended (TCP: FIN both ways or RST): evict its file first. */
void writer_cache_stream_ended(writer_cache *wc, stream_file *sf);

/* The time has come to now (a monotonic clock, in microseconds): every
 * file whose stream ended at least linger ago, or that has had no frame
 * for idle (0: never), gets its waiting bytes and is closed. A later frame
 * of its stream reopens it and is appended. When bytes have waited since a
 * tick max_wait ago or more (0: no limit), everything waiting is written.
 * Frames are stamped with the time of the last tick (or of the cache's
 * creation), so a cache that never ticks never closes a file for time.
 * FALSE when the split failed. */
gboolean writer_cache_tick(writer_cache *wc, gint64 now, gint64 linger, gint64 idle, gint64 max_wait);

/* Writes every waiting byte to its file, open files stay open. FALSE when
 * the split failed. */
gboolean writer_cache_flush(writer_cache *wc);

/* Closes every open file. FALSE when the split failed; then every file
 * left is cut back to its last complete record, and empty ones removed. */
gboolean writer_cache_close_all(writer_cache *wc);

/* Removes the stream's file and takes its frames out of the counts. Call
 * it after writer_cache_close_all(). FALSE when the split failed. */
gboolean writer_cache_remove(writer_cache *wc, stream_file *sf);

/* The first error, one line naming the file and the cause; or NULL. */
const char *writer_cache_error(const writer_cache *wc);

void writer_cache_get_stats(const writer_cache *wc, writer_cache_stats *stats);
guint writer_cache_max_open(const writer_cache *wc);
/* Files written as pcap (not turned into pcapng). */
guint64 writer_cache_pcap_files(const writer_cache *wc);
const char *stream_file_name_of(const stream_file *sf);
/* The frame records written to the stream's file so far, and their
 * captured bytes (what the summary line's MB counts). */
guint64 stream_file_frames(const stream_file *sf);
guint64 stream_file_bytes(const stream_file *sf);

/* Closes everything and frees the cache and its stream files. */
void writer_cache_free(writer_cache *wc);

#endif /* FLOWSPLIT_WRITER_CACHE_H */
