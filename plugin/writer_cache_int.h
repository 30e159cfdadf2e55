/* writer_cache_int.h
 * The writer cache's private structs and the calls its rooms make of each
 * other; nothing outside these rooms includes it (the rest of flowsplit
 * sees writer_cache.h only). The rooms, and what each owns:
 *
 *   writer_cache.c    the public API: adding streams, routing each frame
 *                     to flowsplit's encoder or to wiretap, ticks, flushes,
 *                     closing everything, the repair after a failure, stats
 *   open_files.c      which files are open: the LRU, max_open, opening,
 *                     evicting and closing; the one owner of the count of
 *                     open files (stats.open_now)
 *   flush_batch.c     writing a full arena in a batch on write_behind.c's
 *                     thread, and closing the files of ended streams then
 *   arena_writer.c    flowsplit's own writing: headers, secrets, interfaces
 *                     and records encoded into the arena, a file's waiting
 *                     bytes written at once
 *   wiretap_writer.c  wiretap's writing: dumpers, a reopen as a new section
 *                     (pcapng) or as NAME.part appended on close (pcap)
 *   pcap_convert.c    a pcap file rewritten as pcapng when its stream
 *                     brings what pcap cannot hold, and undoing that
 *   file_ifaces.c     the interfaces of each file (its IDBs)
 *
 * Errors stick: the first one is kept in writer_cache.error, and every
 * call that fails sets it (wc_set_error) and returns FALSE.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_WRITER_CACHE_INT_H
#define FLOWSPLIT_WRITER_CACHE_INT_H

#include <fcntl.h>

#include "writer_cache.h"
#include "pending.h"
#include "record_encoder.h"
#include "write_behind.h"

/* Every stream file is opened with these, and O_APPEND, and O_CREAT|O_EXCL
 * the first time. */
#define STREAM_FILE_OPEN_FLAGS (O_WRONLY | O_NOFOLLOW | O_CLOEXEC)

/* Frames larger than this go through wiretap, which refuses them as it
 * does in tshark -w. */
#define WRITER_MAX_FRAME WTAP_MAX_PACKET_SIZE_STANDARD

/* Digits of a nanosecond time stamp, the finest wiretap has. */
#define NSEC_DIGITS 9

/* One interface of a stream file: an IDB in pcapng output. */
typedef struct {
    guint section;
    guint32 if_id;
    int encap;
    int tsprec;
    int linktype;       /* encoder_linktype(encap) */
    gboolean encodable; /* a link type flowsplit's encoder writes (no pseudo-header) */
    const char *name;   /* interned, or NULL */
} file_iface;

/* What every frame touches comes first, with a copy of the interface of
 * the file's last frame: with 10,000 files taking frames in turn a frame's
 * file is rarely in the cache, and each pointer followed from it (to the
 * interface array, then its data) would be one more miss (perf,
 * 2026-12-02). */
struct stream_file {
    pending_chain chain;    /* bytes waiting in the arena */
    file_iface hot_iface;   /* a copy of ifaces[hot_idx] */
    int hot_idx;            /* the last frame's interface; -1 before the first */
    fs_format format;       /* may turn from pcap to pcapng */
    guint8 header_queued;   /* flowsplit's writing: file header written or waiting */
    guint8 via_wiretap;     /* frames go through wiretap from now on */
    guint8 dirty;           /* in writer_cache.dirty */
    guint8 ended;           /* stream closed by FIN/RST: close first */
    guint8 in_flight;       /* open, its bytes in the batch being written: out of the LRU */
    gint64 last_frame_at;   /* writer_cache.clock at its last frame */
    guint64 frames;         /* frames written to it */
    guint64 bytes;          /* their bytes */
    int fd;                 /* flowsplit's own writing: -1 while closed */
    guint secrets_written;  /* pcapng: the input's decryption secrets written to it so far */
    guint names_written;    /* pcapng: and its Name Resolution Blocks */
    /* The rest: */
    char *name;             /* file name inside the output folder */
    wtap_dumper *dumper;    /* wiretap's writing: NULL while closed */
    GList lru;              /* link in writer_cache.lru while open */
    GArray *ifaces;         /* file_iface, in IDB order */
    guint64 open_seq;       /* when it was last opened, for closing order */
    gint64 ended_at;        /* writer_cache.clock when its stream ended */
    guint ended_flush;      /* writer_cache.flushes when its stream ended */
    guint8 created;         /* exists on disk */
    guint8 part;            /* wiretap pcap: NAME.part exists, its records not yet in NAME */
    guint8 converted;       /* a pcap file rewritten as pcapng */
    char *converting_from;  /* the pcap file being rewritten as pcapng: kept until the copy is whole */
};

struct writer_cache {
    int dir_fd;
    char *dir_path;
    fs_format format;
    GPtrArray *files;       /* every stream_file, for freeing */
    const capture_meta *meta;   /* the input's section header, secrets and names */
    char *error;
    gboolean repaired;
    gint64 clock;           /* monotonic time of the last writer_cache_tick(), or of creation */
    gint64 waiting_since;   /* the tick that first found bytes waiting, or 0 */
    gboolean dumped;        /* wiretap has written frames since the last flush_everything() */
    writer_cache_stats stats;   /* open_now and open_most: open_files.c's alone */
    /* open_files.c: */
    guint max_open;
    GQueue lru;             /* open files, most recently used first */
    guint64 opens;          /* files opened so far, numbering open_seq */
    /* arena_writer.c fills these, flush_batch.c empties them: */
    pending *pending;       /* the write-behind arena that frames go into */
    GPtrArray *dirty;       /* files with a chain in the arena */
    GByteArray *direct;     /* bytes written at once, bypassing the arena */
    /* flush_batch.c: */
    pending *spare;         /* the other arena: written by wb, or idle */
    write_behind *wb;       /* the batch that writes a full arena */
    pending *batch_arena;   /* the arena of the batch run last */
    guint flushes;          /* full arenas written so far */
    GPtrArray *lingering;   /* ended streams' files written, not closed, by the last flush */
};

/* writer_cache.c: the first error sticks; these always return FALSE. */
gboolean wc_set_error(writer_cache *wc, char *message);
gboolean wc_set_wtap_error(writer_cache *wc, const char *what, const char *name, int err, char *err_info);
gboolean wc_set_errno_error(writer_cache *wc, const char *what, const char *name);
/* One record into the file as interface idx, by whichever writer has it. */
gboolean wc_write_record(writer_cache *wc, stream_file *sf, const wtap_rec *rec, const guint8 *data,
                         wtap_block_t block, int idx);

/* open_files.c */
int open_files_flags(gboolean existing);
gboolean open_files_fd(writer_cache *wc, stream_file *sf);
int open_files_target(writer_cache *wc, stream_file *sf, const char *target, gboolean existing);
void open_files_count(writer_cache *wc, stream_file *sf);
void open_files_touch(writer_cache *wc, stream_file *sf);
gboolean open_files_reserve(writer_cache *wc, const stream_file *sf);
gboolean open_files_close(writer_cache *wc, stream_file *sf, const char *why);
void open_files_join_batch(writer_cache *wc, stream_file *sf);
void open_files_back_from_batch(writer_cache *wc, stream_file *sf, int fd);
void open_files_closed_by_batch(writer_cache *wc, stream_file *sf);
void open_files_not_opened(writer_cache *wc, stream_file *sf, gboolean was_create);
void open_files_hold_to_now(writer_cache *wc);

/* flush_batch.c */
void batch_init(writer_cache *wc, gsize buffer_bytes);
void batch_free(writer_cache *wc);
gboolean batch_finish(writer_cache *wc);
gboolean batch_run_now(writer_cache *wc);
gboolean batch_has_jobs(const writer_cache *wc);
gboolean batch_flush_all(writer_cache *wc, gboolean in_background);

/* arena_writer.c */
gboolean arena_write_chain(writer_cache *wc, stream_file *sf);
gsize arena_record_size(const stream_file *sf, const wtap_rec *rec, wtap_block_t block, int idx);
gboolean arena_write_record(writer_cache *wc, stream_file *sf, const wtap_rec *rec, const guint8 *data,
                            wtap_block_t block, int idx, gsize size);
gboolean arena_queue_iface(writer_cache *wc, stream_file *sf, const file_iface *fi);

/* wiretap_writer.c */
gboolean wiretap_switch_to(writer_cache *wc, stream_file *sf);
gboolean wiretap_write_record(writer_cache *wc, stream_file *sf, const wtap_rec *rec, const guint8 *data,
                              wtap_block_t block, int idx);
gboolean wiretap_add_iface(writer_cache *wc, stream_file *sf, const file_iface *fi);
gboolean wiretap_close(writer_cache *wc, stream_file *sf);
gboolean wiretap_flush(writer_cache *wc);
void wiretap_repair_part(writer_cache *wc, stream_file *sf);

/* pcap_convert.c */
gboolean pcap_can_hold(const writer_cache *wc, const stream_file *sf, const frame_record *fr);
gboolean pcap_convert_to_pcapng(writer_cache *wc, stream_file *sf);
void pcap_undo_conversion(writer_cache *wc, stream_file *sf);

/* file_ifaces.c */
int file_ifaces_find(stream_file *sf, const frame_record *fr);
const file_iface *file_ifaces_add(stream_file *sf, const frame_record *fr, int *idx);
void file_ifaces_encoder(const file_iface *fi, encoder_iface *ei);
wtap_block_t file_ifaces_block(const file_iface *fi);
GArray *file_ifaces_blocks(const stream_file *sf);
void file_ifaces_free_blocks(GArray *blocks);

/* Digits of the time resolution an interface's time stamps carry. */
static inline guint8
file_iface_tsresol_digits(int tsprec)
{
    switch (tsprec) {
    case WTAP_TSPREC_SEC:
    case WTAP_TSPREC_DSEC:
    case WTAP_TSPREC_CSEC:
    case WTAP_TSPREC_MSEC:
    case WTAP_TSPREC_USEC:
    case WTAP_TSPREC_NSEC:
        return (guint8)tsprec;
    default:
        return NSEC_DIGITS;
    }
}

/* Interface idx of the file: the last frame's is kept in the file itself. */
static inline const file_iface *
file_iface_at(const stream_file *sf, int idx)
{
    return idx == sf->hot_idx ? &sf->hot_iface : &g_array_index(sf->ifaces, file_iface, idx);
}

#endif /* FLOWSPLIT_WRITER_CACHE_INT_H */
