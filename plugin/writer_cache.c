/* writer_cache.c
 * Owns the stream files: creating them, getting each frame's bytes into
 * its stream's file, and keeping at most max_open files open.
 *
 * Frames are encoded by flowsplit itself (record_encoder.c) into a
 * write-behind arena (pending.c), each file's bytes a chain in it. There
 * are two, of half buffer_mb each. When one is full, every file with bytes
 * waiting is opened if needed and gets them with one writev(), on
 * write_behind.c's thread, while frames go into the other; any other I/O
 * first waits for that batch (batch_finish), so each file's bytes still go
 * out in order. The least recently written file is closed when max_open
 * are open; files with bytes in the batch are out of the LRU until then,
 * and a file the batch opens counts as open from when it joins it. When
 * the process runs out of descriptors before max_open, the rest of that
 * batch is done on tshark's thread, closing files to make room, and
 * max_open comes down to what the process held. Nothing in the per-frame
 * path depends on how many files exist or are open, and a reopened file
 * simply continues (O_APPEND): its bytes are the same as if it had stayed
 * open.
 * A record of half the arena or more that does not fit in its free room
 * is written at once, without emptying the arena for it (buffer_mb=0
 * writes every frame at once).
 *
 * Wiretap writes a stream's frames instead when flowsplit's encoder does
 * not cover them: link types with a pseudo-header, packet options other
 * than comments, flags, drop count, packet id and queue, oversized frames.
 * A file switched to wiretap stays with it. wiretap cannot append to a
 * file, so such a file evicted and reopened is continued like this:
 *  - pcapng: wiretap starts a new section in it (a Section Header Block and
 *    the stream's interfaces in the same order, so interface numbers stay
 *    the same). tshark, capinfos and tcpdump read every section.
 *  - pcap: wiretap writes the new frames into NAME.part, and when that is
 *    closed its records (all but the 24-byte file header, which equals the
 *    main file's) are appended to the main file and NAME.part is removed.
 * Either way every file is a valid capture after every close.
 *
 * format=pcap holds one link type, one time resolution and no packet
 * options per file. When a stream brings a frame that pcap cannot hold
 * exactly (another link type, a finer time stamp, a comment or any other
 * packet option), its file is rewritten as pcapng (NAME.pcapng replaces
 * NAME.pcap) and continues as pcapng, so no frame and no option is lost;
 * the summary counts such files.
 *
 * pcapng files begin with the input's section header and carry its
 * decryption secrets, each before the first frame written after it was
 * read (capture_meta.c); a new section repeats them all.
 *
 * Files are created with openat(O_CREAT|O_EXCL|O_NOFOLLOW) relative to the
 * output folder: an existing file or a planted symlink is an error, never
 * overwritten or followed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "writer_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <wsutil/wslog.h>
#include <wiretap/pcap-encap.h>
#include <wiretap/wtap_opttypes.h>
#include <epan/epan.h>

#include "capture_meta.h"
#include "file_repair.h"
#include "pending.h"
#include "record_encoder.h"
#include "write_behind.h"
#include "ws_compat.h"

/* Every stream file is opened with these, and O_APPEND, and O_CREAT|O_EXCL
 * the first time. */
#define STREAM_FILE_OPEN_FLAGS (O_WRONLY | O_NOFOLLOW | O_CLOEXEC)

/* Frames larger than this go through wiretap, which refuses them as it
 * does in tshark -w. */
#define WRITER_MAX_FRAME WTAP_MAX_PACKET_SIZE_STANDARD

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
    guint max_open;
    GQueue lru;             /* open files, most recently used first */
    GPtrArray *files;       /* every stream_file, for freeing */
    const capture_meta *meta;   /* the input's section header and secrets */
    pending *pending;       /* the write-behind arena that frames go into */
    pending *spare;         /* the other one: written by wb, or idle */
    write_behind *wb;       /* the batch that writes a full arena */
    pending *batch_arena;   /* the arena of the batch run last */
    GPtrArray *dirty;       /* files with a chain in the arena */
    guint flushes;          /* full arenas written so far */
    GPtrArray *lingering;   /* ended streams' files written, not closed, by the last flush */
    GByteArray *direct;     /* bytes written at once, bypassing the arena */
    char *error;
    gboolean repaired;
    guint64 opens;          /* files opened so far, numbering open_seq */
    gint64 clock;           /* monotonic time of the last writer_cache_tick(), or of creation */
    gint64 waiting_since;   /* the tick that first found bytes waiting, or 0 */
    gboolean dumped;        /* wiretap has written frames since the last flush_everything() */
    writer_cache_stats stats;
};

static gboolean
set_error(writer_cache *wc, char *message)
{
    if (wc->error == NULL)
        wc->error = message;
    else
        g_free(message);
    return FALSE;
}

static gboolean
set_wtap_error(writer_cache *wc, const char *what, const char *name, int err, char *err_info)
{
    char *msg = g_strdup_printf("flowsplit: cannot %s \"%s/%s\": %s%s%s", what, wc->dir_path, name,
                                wtap_strerror(err), err_info ? " - " : "", err_info ? err_info : "");
    g_free(err_info);
    return set_error(wc, msg);
}

static gboolean
set_errno_error(writer_cache *wc, const char *what, const char *name)
{
    const char *hint = (errno == EEXIST) ? "; a file of that name is in the way" : "";

    return set_error(wc, g_strdup_printf("flowsplit: cannot %s \"%s/%s\": %s%s", what, wc->dir_path, name,
                                         g_strerror(errno), hint));
}

writer_cache *
writer_cache_new(int dir_fd, const char *dir_path, fs_format format, guint max_open, gsize buffer_bytes,
                 const capture_meta *meta)
{
    writer_cache *wc = g_new0(writer_cache, 1);

    wc->dir_fd = dir_fd;
    wc->dir_path = g_strdup(dir_path);
    wc->format = format;
    wc->max_open = max_open > 0 ? max_open : 1;
    wc->clock = g_get_monotonic_time();
    g_queue_init(&wc->lru);
    wc->files = g_ptr_array_new();
    wc->meta = meta;
    /* Half the buffer each: one fills while the other is written. */
    wc->pending = pending_new(buffer_bytes - buffer_bytes / 2);
    wc->spare = pending_new(buffer_bytes / 2);
    wc->wb = write_behind_new();
    wc->dirty = g_ptr_array_new();
    wc->lingering = g_ptr_array_new();
    wc->direct = g_byte_array_new();
    return wc;
}

stream_file *
writer_cache_add(writer_cache *wc, char *base_name)
{
    stream_file *sf = g_new0(stream_file, 1);

    sf->format = wc->format;
    sf->name = g_strconcat(base_name, sf->format == FS_FORMAT_PCAP ? ".pcap" : ".pcapng", NULL);
    g_free(base_name);
    sf->fd = -1;
    sf->hot_idx = -1;
    sf->lru.data = sf;
    sf->ifaces = g_array_new(FALSE, FALSE, sizeof(file_iface));
    g_ptr_array_add(wc->files, sf);
    return sf;
}

const char *
stream_file_name_of(const stream_file *sf)
{
    return sf->name;
}

/* Digits of the time resolution an interface's time stamps carry. */
static guint8
tsresol_digits(int tsprec)
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
        return 9;
    }
}

static wtap_block_t
iface_block(const file_iface *fi)
{
    wtap_block_t idb = wtap_block_create(WTAP_BLOCK_IF_ID_AND_INFO);
    wtapng_if_descr_mandatory_t *m = (wtapng_if_descr_mandatory_t *)wtap_block_get_mandatory_data(idb);
    guint8 digits = tsresol_digits(fi->tsprec);
    guint64 units = 1;

    for (guint8 i = 0; i < digits; i++)
        units *= 10;
    m->wtap_encap = fi->encap;
    m->time_units_per_second = units;
    m->tsprecision = digits;
    m->snap_len = 0;    /* one value for every IDB: libpcap refuses differing ones */
    wtap_block_add_uint8_option(idb, OPT_IDB_TSRESOL, digits);
    if (fi->name != NULL)
        wtap_block_add_string_option(idb, OPT_IDB_NAME, fi->name, strlen(fi->name));
    return idb;
}

static void
free_iface_blocks(GArray *blocks)
{
    for (guint i = 0; i < blocks->len; i++)
        wtap_block_unref(g_array_index(blocks, wtap_block_t, i));
    g_array_free(blocks, TRUE);
}

/* The file's header as wiretap writes it, for a new file or a reopen. */
static wtap_dumper *
dumper_fdopen(writer_cache *wc, stream_file *sf, int fd, int *err, char **err_info)
{
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    wtapng_iface_descriptions_t idb_inf;
    const file_iface *first = &g_array_index(sf->ifaces, file_iface, 0);
    wtap_dumper *d;
    int type;

    if (sf->format == FS_FORMAT_PCAP) {
        params.encap = first->encap;
        params.tsprec = first->tsprec;
        type = (first->tsprec == WTAP_TSPREC_NSEC) ? wtap_pcap_nsec_file_type_subtype()
                                                    : wtap_pcap_file_type_subtype();
        return wtap_dump_fdopen(fd, type, WTAP_UNCOMPRESSED, &params, err, err_info);
    }
    idb_inf.interface_data = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    for (guint i = 0; i < sf->ifaces->len; i++) {
        wtap_block_t idb = iface_block(&g_array_index(sf->ifaces, file_iface, i));
        g_array_append_val(idb_inf.interface_data, idb);
    }
    params.encap = WTAP_ENCAP_PER_PACKET;
    params.tsprec = WTAP_TSPREC_NSEC;
    /* A new section: the input's header and, before the next frame, every
     * secret and name block read so far, as in a file of its own. */
    params.shb_hdrs = capture_meta_shb_hdrs(wc->meta);
    params.dsbs_growing = capture_meta_secrets(wc->meta);
    fs_dump_params_set_names(&params, capture_meta_name_blocks(wc->meta));
    params.idb_inf = &idb_inf;
    d = wtap_dump_fdopen(fd, wtap_pcapng_file_type_subtype(), WTAP_UNCOMPRESSED, &params, err, err_info);
    free_iface_blocks(idb_inf.interface_data);   /* the dumper keeps copies */
    return d;
}

static char *
part_name(const stream_file *sf)
{
    return g_strconcat(sf->name, ".part", NULL);
}

/* wiretap failed to write the file (NAME.part when it writes one). */
static gboolean
set_dumper_error(writer_cache *wc, const stream_file *sf, int err, char *err_info)
{
    char *name = sf->part ? part_name(sf) : g_strdup(sf->name);

    set_wtap_error(wc, "write", name, err, err_info);
    g_free(name);
    return FALSE;
}

/* pcap reopen: moves NAME.part's records to the end of NAME. The part is
 * removed first and read through its descriptor: whatever fails after
 * that, no part is left over and no record is appended twice (the repair
 * cuts NAME back to its last complete record). */
static gboolean
append_part(writer_cache *wc, stream_file *sf)
{
    char *part = part_name(sf);
    guint8 head_main[PCAP_FILE_HEADER_LEN], head_part[PCAP_FILE_HEADER_LEN];
    guint8 buf[65536];
    int src = openat(wc->dir_fd, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int dst = openat(wc->dir_fd, sf->name, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    gboolean ok = FALSE;
    ssize_t n;

    if (src < 0 || dst < 0) {
        set_error(wc, g_strdup_printf("flowsplit: cannot open \"%s/%s\" to append: %s",
                                      wc->dir_path, src < 0 ? part : sf->name, g_strerror(errno)));
        goto out;
    }
    if (pread(src, head_part, sizeof head_part, 0) != sizeof head_part
        || pread(dst, head_main, sizeof head_main, 0) != sizeof head_main
        || memcmp(head_part, head_main, sizeof head_main) != 0) {
        set_error(wc, g_strdup_printf("flowsplit: \"%s/%s\" no longer has the header flowsplit wrote; "
                                      "was it changed during the split?", wc->dir_path, sf->name));
        goto out;
    }
    if (unlinkat(wc->dir_fd, part, 0) != 0) {
        set_error(wc, g_strdup_printf("flowsplit: cannot remove \"%s/%s\": %s", wc->dir_path, part,
                                      g_strerror(errno)));
        goto out;
    }
    sf->part = FALSE;
    if (lseek(src, PCAP_FILE_HEADER_LEN, SEEK_SET) < 0)
        goto io_error;
    while ((n = read(src, buf, sizeof buf)) > 0) {
        if (write(dst, buf, (size_t)n) != n) {
            if (errno == 0)
                errno = ENOSPC;
            goto io_error;
        }
    }
    if (n < 0)
        goto io_error;
    ok = TRUE;
    goto out;
io_error:
    set_error(wc, g_strdup_printf("flowsplit: cannot append to \"%s/%s\": %s", wc->dir_path, sf->name,
                                  g_strerror(errno)));
out:
    if (src >= 0)
        close(src);
    if (dst >= 0 && close(dst) != 0 && ok) {
        ok = set_error(wc, g_strdup_printf("flowsplit: cannot append to \"%s/%s\": %s", wc->dir_path,
                                           sf->name, g_strerror(errno)));
    }
    g_free(part);
    return ok;
}

/* An open file was used: it goes to the most recently used end of the LRU,
 * or, when its stream has ended, to the end that is closed first. */
static void
lru_link(writer_cache *wc, stream_file *sf)
{
    if (sf->ended)
        g_queue_push_tail_link(&wc->lru, &sf->lru);
    else
        g_queue_push_head_link(&wc->lru, &sf->lru);
}

static void
lru_touch(writer_cache *wc, stream_file *sf)
{
    if (sf->in_flight)
        return;     /* linked again when its batch is done */
    g_queue_unlink(&wc->lru, &sf->lru);
    lru_link(wc, sf);
}

/* The batch did not open this file: what count_open() counted for it is
 * taken back, so that it is opened (or created) again when it is next
 * written, and a file in the way is never taken for its own. */
static void
uncount_open(writer_cache *wc, stream_file *sf, const write_job *job)
{
    wc->stats.open_now--;
    if (job->open_flags & O_CREAT) {
        wc->stats.files--;
        sf->created = FALSE;
    } else {
        wc->stats.reopens--;
    }
}

static gboolean fd_open(writer_cache *wc, stream_file *sf);
static gboolean close_file(writer_cache *wc, stream_file *sf, const char *why);

/* A job the batch could not open for want of descriptors, done here, where
 * files can be closed to make room. */
static gboolean
resume_job(writer_cache *wc, pending *arena, const write_job *job)
{
    stream_file *sf = job->owner;

    if (!fd_open(wc, sf))
        return FALSE;
    if (job->has_bytes) {
        guint n;
        struct iovec *iov = pending_gathered(arena, job->chain, &n);

        if (!pending_write_vectors(sf->fd, iov, n))
            return set_errno_error(wc, "write", sf->name);
    }
    if (job->close_after)
        return close_file(wc, sf, "closed, stream ended");
    return TRUE;
}

/* The batch that wrote a full arena is done (waiting for it if it runs):
 * its files go back into the LRU, or are closed when their stream ended.
 * When it ran out of descriptors opening a file, that job and those after
 * it are done here. No other I/O may touch their descriptors before this.
 * FALSE when it or an earlier write failed. */
static gboolean
batch_finish(writer_cache *wc)
{
    GArray *jobs = write_behind_jobs(wc->wb);
    GArray *resume = NULL;
    guint done;
    int err;

    if (!write_behind_has_run(wc->wb))
        return wc->error == NULL;
    done = write_behind_wait(wc->wb, &err);
    for (guint i = 0; i < jobs->len; i++) {
        const write_job *job = &g_array_index(jobs, write_job, i);
        stream_file *sf = job->owner;
        gboolean not_opened = job->open_name != NULL && !job->opened;

        sf->in_flight = FALSE;
        if (job->closed) {
            wc->stats.open_now--;
            sf->fd = -1;
            if (i < done)
                ws_debug("closed, stream ended %s", sf->name);
        } else if (not_opened) {
            uncount_open(wc, sf, job);
        } else {
            sf->fd = job->fd;
            lru_link(wc, sf);
        }
        if (i != done)
            continue;
        if (not_opened && (err == EMFILE || err == ENFILE)) {
            resume = g_array_new(FALSE, FALSE, sizeof(write_job));
            g_array_append_vals(resume, job, jobs->len - i);
            continue;
        }
        errno = err;
        if (not_opened)
            set_errno_error(wc, sf->created ? "reopen" : "create", sf->name);
        else
            set_errno_error(wc, "write", sf->name);
    }
    g_array_set_size(jobs, 0);
    if (resume != NULL) {
        /* The process holds no more: keep to what it held. */
        wc->max_open = MAX(wc->stats.open_now, 1);
        wc->stats.open_most = MIN(wc->stats.open_most, wc->max_open);
        ws_info("out of descriptors with %u files open: max_open=%u from now on", wc->stats.open_now,
                wc->max_open);
    }
    for (guint i = 0; resume != NULL && i < resume->len && wc->error == NULL; i++)
        resume_job(wc, wc->batch_arena, &g_array_index(resume, write_job, i));
    if (resume != NULL)
        g_array_free(resume, TRUE);
    return wc->error == NULL;
}

/* The batch being put together runs here and now, to free a descriptor. */
static gboolean
batch_run_now(writer_cache *wc)
{
    wc->batch_arena = wc->pending;
    write_behind_run(wc->wb, wc->batch_arena, FALSE);
    return batch_finish(wc);
}

static void
lru_add(writer_cache *wc, stream_file *sf)
{
    sf->open_seq = ++wc->opens;
    g_queue_push_head_link(&wc->lru, &sf->lru);
    if (++wc->stats.open_now > wc->stats.open_most)
        wc->stats.open_most = wc->stats.open_now;
}

/* Closes the file's descriptor or wiretap writer; bytes still waiting in
 * the arena stay there. */
static gboolean
close_file(writer_cache *wc, stream_file *sf, const char *why)
{
    int err = 0;
    char *err_info = NULL;
    gboolean ok;

    batch_finish(wc);
    if (sf->fd >= 0) {
        g_queue_unlink(&wc->lru, &sf->lru);
        wc->stats.open_now--;
        ok = close(sf->fd) == 0;
        sf->fd = -1;
        if (!ok)
            return set_errno_error(wc, "write", sf->name);
        ws_debug("%s %s", why, sf->name);
        return TRUE;
    }
    if (sf->dumper == NULL)
        return TRUE;
    g_queue_unlink(&wc->lru, &sf->lru);
    wc->stats.open_now--;
    ok = wtap_dump_close(sf->dumper, NULL, &err, &err_info);
    sf->dumper = NULL;
    if (!ok)
        return set_dumper_error(wc, sf, err, err_info);
    if (sf->part && !append_part(wc, sf))
        return FALSE;
    ws_debug("%s %s", why, sf->name);
    return TRUE;
}

/* Frees a descriptor. Files with bytes in the batch being put together
 * are out of the LRU: when they are all that is open, the batch runs
 * first, and its closes of ended streams' files may be enough. */
static gboolean
evict_one(writer_cache *wc)
{
    guint open_before = wc->stats.open_now;
    GList *tail;

    batch_finish(wc);
    if (wc->lru.length == 0 && write_behind_jobs(wc->wb)->len > 0)
        batch_run_now(wc);
    if (wc->stats.open_now < open_before)
        return TRUE;
    tail = g_queue_peek_tail_link(&wc->lru);
    if (tail == NULL)
        return FALSE;
    return close_file(wc, (stream_file *)tail->data, "evicted");
}

/* openat() within the cache's bounds; when the process is out of
 * descriptors, the least recently used file is closed and it tries again. */
static int
open_in_dir(writer_cache *wc, const char *name, int flags)
{
    while (wc->stats.open_now >= wc->max_open) {
        if (!evict_one(wc))
            return -1;
    }
    for (;;) {
        int fd = openat(wc->dir_fd, name, flags | STREAM_FILE_OPEN_FLAGS, 0666);

        if (fd >= 0 || (errno != EMFILE && errno != ENFILE)
            || (wc->lru.length == 0 && write_behind_jobs(wc->wb)->len == 0))
            return fd;
        ws_debug("out of descriptors with %u files open", wc->stats.open_now);
        if (!evict_one(wc))
            return -1;
    }
}

static void
count_open(writer_cache *wc, stream_file *sf)
{
    ws_debug("%s %s", sf->created ? "reopened" : "opened", sf->name);
    if (sf->created)
        wc->stats.reopens++;
    else
        wc->stats.files++;
    sf->created = TRUE;
    lru_add(wc, sf);
}

/* Opens target for appending: an existing file, or one created here (never
 * one in the way). -1 with the error set when it cannot be opened. */
static int
open_target(writer_cache *wc, stream_file *sf, const char *target, gboolean existing)
{
    int fd = open_in_dir(wc, target, existing ? O_APPEND : (O_CREAT | O_EXCL | O_APPEND));

    if (fd < 0 && wc->error == NULL)
        set_errno_error(wc, sf->created ? "reopen" : "create", target);
    return fd;
}

/* flowsplit's own writing: the file's descriptor, opened or reopened. */
static gboolean
fd_open(writer_cache *wc, stream_file *sf)
{
    if (sf->fd >= 0) {
        lru_touch(wc, sf);
        return TRUE;
    }
    sf->fd = open_target(wc, sf, sf->name, sf->created);
    if (sf->fd < 0)
        return FALSE;
    count_open(wc, sf);
    return TRUE;
}

/* wiretap's writing: a new file, a new section, or a pcap .part file. */
static gboolean
dumper_open(writer_cache *wc, stream_file *sf)
{
    gboolean part = sf->created && sf->format == FS_FORMAT_PCAP;
    char *target = part ? part_name(sf) : g_strdup(sf->name);
    int err = 0;
    char *err_info = NULL;
    int fd;

    if (sf->dumper != NULL) {
        g_free(target);
        lru_touch(wc, sf);
        return TRUE;
    }
    fd = open_target(wc, sf, target, sf->created && !part);
    if (fd < 0) {
        g_free(target);
        return FALSE;
    }
    sf->dumper = dumper_fdopen(wc, sf, fd, &err, &err_info);
    g_free(target);
    sf->part = part;
    if (sf->dumper == NULL) {
        /* wiretap has closed fd: it does when it cannot write the header
         * (it keeps it only for a link type it cannot write, which it is
         * never given), and closing it again could close a descriptor the
         * write-behind thread has just opened. The file exists, maybe
         * without a complete header: the repair cuts or removes it. */
        if (!sf->created) {
            sf->created = TRUE;
            wc->stats.files++;
        }
        return set_dumper_error(wc, sf, err, err_info);
    }
    count_open(wc, sf);
    return TRUE;
}

/* Writes the file's waiting bytes from the arena. */
static gboolean
write_chain(writer_cache *wc, stream_file *sf)
{
    if (!batch_finish(wc))
        return FALSE;
    if (pending_chain_is_empty(&sf->chain))
        return TRUE;
    if (!fd_open(wc, sf))
        return FALSE;
    if (!pending_write_chain(wc->pending, &sf->chain, sf->fd))
        return set_errno_error(wc, "write", sf->name);
    return TRUE;
}

/* Has the file's stream been ended since before the last flush? Until
 * then its file stays open: the last ACK of a connection often comes a
 * little after its FIN, and a file closed at once would be reopened for
 * it (7,213 times instead of 3,280 on the benchmark capture, with the
 * halved arenas' more frequent flushes). */
static gboolean
ended_long_enough(const writer_cache *wc, const stream_file *sf)
{
    return sf->ended && sf->ended_flush + 1 < wc->flushes;
}

/* The file joins the batch that writes the arena: job says what it does
 * with the file's bytes; the batch closes it too when its stream has ended
 * long enough. It leaves the LRU until the batch is done. */
static void
queue_job(writer_cache *wc, stream_file *sf, write_job *job)
{
    job->fd = sf->fd;
    job->close_after = ended_long_enough(wc, sf);
    job->owner = sf;
    if (sf->ended && !job->close_after)
        g_ptr_array_add(wc->lingering, sf);
    sf->in_flight = TRUE;
    g_queue_unlink(&wc->lru, &sf->lru);
    g_array_append_val(write_behind_jobs(wc->wb), *job);
}

/* A closed file is opened by the batch, off this thread: its descriptor is
 * counted now, within max_open, and the file counted as created. */
static gboolean
open_in_batch(writer_cache *wc, stream_file *sf, write_job *job)
{
    while (wc->stats.open_now >= wc->max_open) {
        if (!evict_one(wc))
            return set_error(wc, g_strdup_printf("flowsplit: cannot open \"%s/%s\": no file could be "
                                                 "closed to stay within max_open=%u", wc->dir_path, sf->name,
                                                 wc->max_open));
    }
    job->open_name = sf->name;
    job->dir_fd = wc->dir_fd;
    job->open_flags = (sf->created ? O_APPEND : (O_CREAT | O_EXCL | O_APPEND)) | STREAM_FILE_OPEN_FLAGS;
    count_open(wc, sf);
    return TRUE;
}

/* chain: the number pending_take_chain() gave the file's bytes, or
 * G_MAXUINT when it has none waiting. */
static gboolean
queue_chain(writer_cache *wc, stream_file *sf, guint chain)
{
    write_job job;

    if (chain == G_MAXUINT) {
        if (sf->ended && sf->fd >= 0)
            return close_file(wc, sf, "closed, stream ended");
        return TRUE;
    }
    memset(&job, 0, sizeof job);
    if (sf->fd < 0 && !open_in_batch(wc, sf, &job))
        return FALSE;
    job.has_bytes = TRUE;
    job.chain = chain;
    queue_job(wc, sf, &job);
    return TRUE;
}

/* The files the last flush left open for their stream's last frames are
 * closed now, with nothing to write when no frame came. */
static void
queue_lingering(writer_cache *wc, GPtrArray *lingering)
{
    for (guint i = 0; i < lingering->len; i++) {
        stream_file *sf = g_ptr_array_index(lingering, i);

        write_job job;

        if (sf->fd < 0 || sf->in_flight)
            continue;
        memset(&job, 0, sizeof job);
        queue_job(wc, sf, &job);
    }
}

/* Writes every file's waiting bytes and empties the arena; files of ended
 * streams are closed once written. The opens, writes and closes run on
 * write_behind's thread when in_background, while frames go on into the
 * other arena, until batch_finish(). */
static gboolean
flush_all(writer_cache *wc, gboolean in_background)
{
    gboolean ok = batch_finish(wc);
    pending *full = wc->pending;
    GPtrArray *lingering = wc->lingering;
    GArray *chains = g_array_sized_new(FALSE, FALSE, sizeof(guint), wc->dirty->len);

    wc->flushes++;
    wc->lingering = g_ptr_array_new();
    /* Every chain is taken before any is queued, so that one pass over the
     * arena finds them all, even when the batch runs in parts to free
     * descriptors (evict_one): under ulimit -n 64 that is every few files,
     * and a pass for each part took the split from 15 s to 69 s. */
    for (guint i = 0; i < wc->dirty->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->dirty, i);
        guint chain = G_MAXUINT;

        /* Each file's state lies anywhere in memory: ask for the one
         * after the next while this one is read. */
        if (i + 2 < wc->dirty->len)
            writer_cache_prefetch(g_ptr_array_index(wc->dirty, i + 2));
        sf->dirty = FALSE;
        if (!ok)
            memset(&sf->chain, 0, sizeof sf->chain);   /* the split failed: dropped with the arena */
        else if (!pending_chain_is_empty(&sf->chain))
            chain = pending_take_chain(full, &sf->chain);
        g_array_append_val(chains, chain);
    }
    for (guint i = 0; i < wc->dirty->len && ok; i++) {
        if (i + 2 < wc->dirty->len)
            writer_cache_prefetch(g_ptr_array_index(wc->dirty, i + 2));
        ok = queue_chain(wc, g_ptr_array_index(wc->dirty, i), g_array_index(chains, guint, i));
    }
    g_array_free(chains, TRUE);
    g_ptr_array_set_size(wc->dirty, 0);
    if (ok)
        queue_lingering(wc, lingering);
    g_ptr_array_free(lingering, TRUE);
    /* The spare's batch was finished above: it takes the frames now. */
    wc->pending = wc->spare;
    wc->spare = full;
    pending_reset(wc->pending);
    wc->batch_arena = full;
    write_behind_run(wc->wb, full, in_background);
    if (!in_background && !batch_finish(wc))
        ok = FALSE;
    return ok;
}

/* Room for len bytes that go after the file's other bytes: in the arena,
 * or, for a frame larger than the arena, in a buffer room_end() writes at
 * once. NULL when the split failed. */
static guint8 *
room_begin(writer_cache *wc, stream_file *sf, gsize len)
{
    guint8 *p = pending_append(wc->pending, &sf->chain, len);

    if (p == NULL && len < pending_capacity(wc->pending) / 2) {
        if (!flush_all(wc, TRUE))
            return NULL;
        p = pending_append(wc->pending, &sf->chain, len);
    }
    if (p != NULL) {
        if (!sf->dirty) {
            sf->dirty = TRUE;
            g_ptr_array_add(wc->dirty, sf);
        }
        return p;
    }
    g_byte_array_set_size(wc->direct, (guint)len);
    return wc->direct->data;
}

/* Done with the room room_begin() gave: bytes in the direct buffer are
 * written now, after the file's waiting ones. */
static gboolean
room_end(writer_cache *wc, stream_file *sf, const guint8 *room)
{
    const guint8 *p = wc->direct->data;
    gsize left = wc->direct->len;

    if (room != wc->direct->data)
        return TRUE;    /* in the arena */
    if (!write_chain(wc, sf) || !fd_open(wc, sf))
        return FALSE;
    while (left > 0) {
        ssize_t n = write(sf->fd, p, left);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return set_errno_error(wc, "write", sf->name);
        }
        p += n;
        left -= (gsize)n;
    }
    return TRUE;
}

static gboolean
queue_bytes(writer_cache *wc, stream_file *sf, const guint8 *bytes, gsize len)
{
    guint8 *p = room_begin(wc, sf, len);

    if (p == NULL)
        return FALSE;
    memcpy(p, bytes, len);
    return room_end(wc, sf, p);
}

static void
encoder_iface_of(const file_iface *fi, encoder_iface *ei)
{
    ei->linktype = fi->linktype;
    ei->tsresol_digits = tsresol_digits(fi->tsprec);
    ei->name = fi->name;
}

/* flowsplit's own writing: the file header (pcap) or the section header
 * and the interfaces known so far (pcapng). */
static gboolean
queue_header(writer_cache *wc, stream_file *sf)
{
    const file_iface *first = &g_array_index(sf->ifaces, file_iface, 0);
    GByteArray *hdr = g_byte_array_new();
    gboolean ok;

    if (sf->format == FS_FORMAT_PCAP) {
        g_byte_array_set_size(hdr, PCAP_FILE_HEADER_LEN);
        if (!encoder_pcap_file_header(first->encap, first->tsprec == WTAP_TSPREC_NSEC, hdr->data)) {
            g_byte_array_free(hdr, TRUE);
            return set_error(wc, g_strdup_printf("flowsplit: cannot write \"%s/%s\": wiretap cannot "
                                                 "write this link type to pcap", wc->dir_path, sf->name));
        }
    } else {
        const GByteArray *shb = capture_meta_shb_bytes(wc->meta);
        g_byte_array_append(hdr, shb->data, shb->len);
        for (guint i = 0; i < sf->ifaces->len; i++) {
            encoder_iface ei;
            encoder_iface_of(&g_array_index(sf->ifaces, file_iface, i), &ei);
            encoder_pcapng_iface(hdr, &ei);
        }
    }
    sf->header_queued = TRUE;
    ok = queue_bytes(wc, sf, hdr->data, hdr->len);
    g_byte_array_free(hdr, TRUE);
    return ok;
}
/* pcapng: the input's decryption secrets, then its name resolution, read
 * since the file's last frame, before the frame, where tshark -w writes
 * them (in that order, as Wireshark 4.4 and 4.6 do). */
static gboolean
queue_new_secrets(writer_cache *wc, stream_file *sf)
{
    const GArray *secrets = capture_meta_secrets(wc->meta);
    guint names = capture_meta_name_blocks(wc->meta)->len, len;
    GByteArray *blocks;
    gboolean ok;

    if (G_LIKELY(sf->secrets_written == secrets->len && sf->names_written == names))
        return TRUE;
    blocks = g_byte_array_new();
    for (; sf->secrets_written < secrets->len; sf->secrets_written++)
        encoder_pcapng_secrets(blocks, g_array_index(secrets, wtap_block_t, sf->secrets_written));
    if (sf->names_written < names) {
        const guint8 *nrbs = capture_meta_names(wc->meta, sf->names_written, &len);
        g_byte_array_append(blocks, nrbs, len);
        sf->names_written = names;
    }
    ok = queue_bytes(wc, sf, blocks->data, blocks->len);
    g_byte_array_free(blocks, TRUE);
    return ok;
}

/* Interface idx of the file. */
static const file_iface *
iface_at(const stream_file *sf, int idx)
{
    return idx == sf->hot_idx ? &sf->hot_iface : &g_array_index(sf->ifaces, file_iface, idx);
}

static void
set_hot_iface(stream_file *sf, int idx)
{
    sf->hot_iface = g_array_index(sf->ifaces, file_iface, idx);
    sf->hot_idx = idx;
}

static gboolean
iface_is(const file_iface *fi, const frame_record *fr, guint32 if_id)
{
    return fi->section == fr->rec->section_number && fi->if_id == if_id
           && fi->encap == fr->rec->rec_header.packet_header.pkt_encap;
}

/* The file's interface index of the frame's interface, -1 when new. The
 * last frame's is the usual answer and is asked first. */
static int
find_iface(stream_file *sf, const frame_record *fr)
{
    guint32 if_id = (fr->rec->presence_flags & WTAP_HAS_INTERFACE_ID)
                        ? fr->rec->rec_header.packet_header.interface_id : 0;

    if (sf->hot_idx >= 0 && iface_is(&sf->hot_iface, fr, if_id))
        return sf->hot_idx;
    for (guint i = 0; i < sf->ifaces->len; i++) {
        if (iface_is(&g_array_index(sf->ifaces, file_iface, i), fr, if_id)) {
            set_hot_iface(sf, (int)i);
            return (int)i;
        }
    }
    return -1;
}

static file_iface
iface_of(const frame_record *fr)
{
    const wtap_packet_header *ph = &fr->rec->rec_header.packet_header;
    file_iface fi;

    fi.section = fr->rec->section_number;
    fi.if_id = (fr->rec->presence_flags & WTAP_HAS_INTERFACE_ID) ? ph->interface_id : 0;
    fi.encap = ph->pkt_encap;
    fi.tsprec = (fr->rec->tsprec == WTAP_TSPREC_NSEC || tsresol_digits(fr->rec->tsprec) == 9)
                    ? WTAP_TSPREC_NSEC : fr->rec->tsprec;
    fi.linktype = encoder_linktype(fi.encap);
    fi.encodable = fi.linktype >= 0 && !wtap_encap_requires_phdr(fi.encap);
    fi.name = fr->if_name ? g_intern_string(fr->if_name) : NULL;
    return fi;
}

static fs_callback_bool
note_option(wtap_block_t block _U_, guint option_id _U_, wtap_opttype_e type _U_, wtap_optval_t *v _U_,
            void *user_data)
{
    *(gboolean *)user_data = TRUE;
    return FALSE;   /* one is enough */
}

/* Does the packet block carry any option (comment, flags, hash, ...)? A
 * pcap record holds none. */
static gboolean
block_has_options(wtap_block_t block)
{
    gboolean any = FALSE;

    wtap_block_foreach_option(block, note_option, &any);
    return any;
}

/* Can this stream's pcap file hold the frame exactly? */
static gboolean
pcap_can_hold(const writer_cache *wc, const stream_file *sf, const frame_record *fr)
{
    const wtap_packet_header *ph = &fr->rec->rec_header.packet_header;
    const file_iface *have;
    int tsprec;

    if (fr->block != NULL && block_has_options(fr->block))
        return FALSE;
    if (capture_meta_secrets(wc->meta)->len > 0)
        return FALSE;   /* nor the capture's decryption secrets */
    if (sf->ifaces->len == 0)
        return wtap_dump_can_write_encap(wtap_pcap_file_type_subtype(), ph->pkt_encap);
    have = iface_at(sf, 0);
    if (have->encap != ph->pkt_encap)
        return FALSE;
    tsprec = fr->rec->tsprec;
    return have->tsprec == WTAP_TSPREC_NSEC || (tsresol_digits(tsprec) != 9 && tsprec <= have->tsprec);
}

/* Bytes of the frame's record as flowsplit encodes it, or 0 when wiretap
 * must write it (see the top). */
static gsize
record_size(const stream_file *sf, const wtap_rec *rec, wtap_block_t block, int idx)
{
    const file_iface *fi = iface_at(sf, idx);

    if (!fi->encodable || rec->rec_header.packet_header.caplen > WRITER_MAX_FRAME)
        return 0;
    if (sf->format == FS_FORMAT_PCAP)
        return encoder_pcap_record_size(rec);
    return encoder_pcapng_packet_size(rec, block);
}

/* From now on wiretap writes this file: what is waiting is written first. */
static gboolean
switch_to_wiretap(writer_cache *wc, stream_file *sf)
{
    if (!write_chain(wc, sf) || !close_file(wc, sf, "closed for wiretap"))
        return FALSE;
    sf->via_wiretap = TRUE;
    ws_debug("%s: wiretap writes its frames", sf->name);
    return TRUE;
}

static gboolean
dump_record(writer_cache *wc, stream_file *sf, const wtap_rec *rec, const guint8 *data, wtap_block_t block,
            int idx)
{
    wtap_rec out;
    int err = 0;
    char *err_info = NULL;

    if (!dumper_open(wc, sf))
        return FALSE;
    out = *rec;
    out.rec_header.packet_header.interface_id = (guint32)idx;
    if (sf->format == FS_FORMAT_PCAPNG) {
        out.presence_flags |= WTAP_HAS_INTERFACE_ID;
        out.block = block;
    } else {
        out.block = NULL;
    }
    if (!fs_wtap_dump(sf->dumper, &out, data, &err, &err_info))
        return set_dumper_error(wc, sf, err, err_info);
    wc->dumped = TRUE;
    return TRUE;
}

/* One record into the file, as interface idx of the file. */
static gboolean
write_record(writer_cache *wc, stream_file *sf, const wtap_rec *rec, const guint8 *data, wtap_block_t block,
             int idx)
{
    const file_iface *fi = iface_at(sf, idx);
    gsize size = sf->via_wiretap ? 0 : record_size(sf, rec, block, idx);
    guint8 *p;

    if (size == 0) {
        if (!sf->via_wiretap && !switch_to_wiretap(wc, sf))
            return FALSE;
        if (!dump_record(wc, sf, rec, data, block, idx))
            return FALSE;
    } else {
        if (!sf->header_queued && !queue_header(wc, sf))
            return FALSE;
        if (sf->format == FS_FORMAT_PCAPNG && !queue_new_secrets(wc, sf))
            return FALSE;
        p = room_begin(wc, sf, size);
        if (p == NULL)
            return FALSE;
        if (sf->format == FS_FORMAT_PCAP)
            encoder_pcap_record(p, rec, data, fi->tsprec == WTAP_TSPREC_NSEC);
        else
            encoder_pcapng_packet(p, size, rec, data, block, (guint32)idx, tsresol_digits(fi->tsprec));
        if (!room_end(wc, sf, p))
            return FALSE;
    }
    return TRUE;
}

/* Copies every record of the pcap file into NAME.pcapng, which then
 * continues as the stream's file. Until the copy is whole and the pcap
 * file removed, sf->converting_from names the pcap file: should anything
 * fail before, the repair keeps it and removes the pcapng file
 * (undo_conversion), so a stream never has two files. */
static gboolean
convert_to_pcapng(writer_cache *wc, stream_file *sf)
{
    gboolean had_bytes = sf->header_queued || sf->created;
    char *base, *old_path;
    wtap *wth;
    fs_read_record rr;
    int err = 0;
    char *err_info = NULL;
    gint64 offset;
    gboolean ok = FALSE;

    if (!write_chain(wc, sf) || !close_file(wc, sf, "closed to convert"))
        return FALSE;
    sf->converting_from = sf->name;
    base = g_strndup(sf->name, strlen(sf->name) - strlen(".pcap"));
    sf->name = g_strconcat(base, ".pcapng", NULL);
    g_free(base);
    sf->format = FS_FORMAT_PCAPNG;
    sf->created = FALSE;
    sf->header_queued = FALSE;
    sf->via_wiretap = FALSE;
    if (!had_bytes) {
        g_clear_pointer(&sf->converting_from, g_free);    /* nothing was written: no pcap file */
        return TRUE;
    }
    old_path = g_build_filename(wc->dir_path, sf->converting_from, NULL);
    wth = wtap_open_offline(old_path, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
    if (wth == NULL) {
        set_wtap_error(wc, "read back", sf->converting_from, err, err_info);
        g_free(old_path);
        return FALSE;
    }
    fs_read_record_init(&rr);
    while (fs_wtap_read(wth, &rr, &err, &err_info, &offset)) {
        gboolean written = write_record(wc, sf, &rr.rec, fs_read_record_data(&rr), NULL, 0);

        wtap_rec_reset(&rr.rec);    /* each read gives the record a packet block of its own */
        if (!written)
            goto out;
    }
    if (err != 0) {
        set_wtap_error(wc, "read back", sf->converting_from, err, err_info);
        goto out;
    }
    if (!write_chain(wc, sf))
        goto out;
    if (unlinkat(wc->dir_fd, sf->converting_from, 0) != 0) {
        set_error(wc, g_strdup_printf("flowsplit: cannot remove \"%s\": %s", old_path, g_strerror(errno)));
        goto out;
    }
    ws_debug("converted %s to %s", sf->converting_from, sf->name);
    g_clear_pointer(&sf->converting_from, g_free);
    wc->stats.files--;      /* the same stream's file, counted once */
    wc->stats.converted++;
    sf->converted = TRUE;
    ok = TRUE;
out:
    fs_read_record_cleanup(&rr);
    wtap_close(wth);
    g_free(old_path);
    return ok;
}

/* The IDB index of the frame's interface in sf, adding it when new. */
static int
stream_iface(writer_cache *wc, stream_file *sf, const frame_record *fr)
{
    int idx = find_iface(sf, fr);
    file_iface fi;
    wtap_block_t idb;
    int err = 0;
    char *err_info = NULL;

    if (idx >= 0)
        return idx;
    fi = iface_of(fr);
    g_array_append_val(sf->ifaces, fi);
    idx = (int)sf->ifaces->len - 1;
    set_hot_iface(sf, idx);
    if (sf->format == FS_FORMAT_PCAP)
        return idx;
    if (!sf->via_wiretap) {
        GByteArray *bytes;
        encoder_iface ei;
        gboolean ok;

        if (!sf->header_queued)
            return idx;     /* the header will list it */
        bytes = g_byte_array_new();
        encoder_iface_of(&fi, &ei);
        encoder_pcapng_iface(bytes, &ei);
        ok = queue_bytes(wc, sf, bytes->data, bytes->len);
        g_byte_array_free(bytes, TRUE);
        return ok ? idx : -1;
    }
    if (sf->dumper == NULL)
        return idx;         /* the next section will list it */
    idb = iface_block(&fi);
    if (!wtap_dump_add_idb(sf->dumper, idb, &err, &err_info)) {
        wtap_block_unref(idb);
        set_wtap_error(wc, "write", sf->name, err, err_info);
        return -1;
    }
    wtap_block_unref(idb);
    return idx;
}

gboolean
writer_cache_write(writer_cache *wc, stream_file *sf, const frame_record *fr)
{
    int idx;

    if (wc->error != NULL)
        return FALSE;
    if (sf->format == FS_FORMAT_PCAP && !pcap_can_hold(wc, sf, fr) && !convert_to_pcapng(wc, sf))
        return FALSE;
    idx = stream_iface(wc, sf, fr);
    if (idx < 0 || !write_record(wc, sf, fr->rec, fr->data, fr->block, idx))
        return FALSE;
    sf->last_frame_at = wc->clock;
    sf->frames++;
    sf->bytes += fr->rec->rec_header.packet_header.caplen;
    wc->stats.frames++;
    wc->stats.bytes += fr->rec->rec_header.packet_header.caplen;
    return TRUE;
}

void
writer_cache_prefetch(const stream_file *sf)
{
#if defined(__GNUC__)
    /* What a frame touches spans two cache lines (struct stream_file). */
    __builtin_prefetch(sf, 1);
    __builtin_prefetch((const char *)sf + 64, 1);
#else
    (void)sf;
#endif
}

void
writer_cache_stream_ended(writer_cache *wc, stream_file *sf)
{
    if (!sf->ended) {
        sf->ended_at = wc->clock;
        sf->ended_flush = wc->flushes;
    }
    sf->ended = TRUE;
    if (sf->fd >= 0 || sf->dumper != NULL)
        lru_touch(wc, sf);
}

/* Is the file due to be written out and closed at the clock's time? */
static gboolean
tick_due(const writer_cache *wc, const stream_file *sf, gint64 linger, gint64 idle)
{
    if (pending_chain_is_empty(&sf->chain) && sf->fd < 0 && sf->dumper == NULL)
        return FALSE;   /* nothing waiting, nothing open */
    if (sf->ended && wc->clock - sf->ended_at >= linger)
        return TRUE;
    return idle > 0 && wc->clock - sf->last_frame_at >= idle;
}

/* Writes everything waiting: the arena, and wiretap's stdio buffers. */
static gboolean
flush_everything(writer_cache *wc)
{
    if (!batch_finish(wc) || !flush_all(wc, FALSE))
        return FALSE;
    for (GList *l = wc->lru.head; l != NULL; l = l->next) {
        stream_file *sf = l->data;
        int err = 0;

        if (sf->dumper != NULL && !wtap_dump_flush(sf->dumper, &err)) {
            char *name = sf->part ? part_name(sf) : g_strdup(sf->name);

            set_wtap_error(wc, "write", name, err, NULL);
            g_free(name);
            return FALSE;
        }
    }
    wc->waiting_since = 0;
    wc->dumped = FALSE;
    return TRUE;
}

gboolean
writer_cache_flush(writer_cache *wc)
{
    return wc->error == NULL && flush_everything(wc);
}

/* Live capture: frames have waited in the arena since a tick at least
 * max_wait ago (no frame is stamped with a time: the first tick that finds
 * the arena in use starts the clock). */
static gboolean
waited_too_long(writer_cache *wc, gint64 max_wait)
{
    if (wc->dirty->len == 0 && !wc->dumped) {
        wc->waiting_since = 0;      /* written out by a full arena meanwhile */
        return FALSE;
    }
    if (wc->waiting_since == 0) {
        wc->waiting_since = wc->clock;
        return FALSE;
    }
    return wc->clock - wc->waiting_since >= max_wait;
}

gboolean
writer_cache_tick(writer_cache *wc, gint64 now, gint64 linger, gint64 idle, gint64 max_wait)
{
    GPtrArray *due;
    gboolean ok = TRUE;

    wc->clock = now;
    if (!batch_finish(wc))
        return FALSE;
    if (max_wait > 0 && waited_too_long(wc, max_wait) && !flush_everything(wc))
        return FALSE;
    /* Only files with bytes waiting or a descriptor open have anything to
     * write or close: the dirty ones that are closed, and the open ones
     * (the LRU, at most max_open). */
    due = g_ptr_array_new();
    for (guint i = 0; i < wc->dirty->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->dirty, i);
        if (sf->fd < 0 && sf->dumper == NULL && tick_due(wc, sf, linger, idle))
            g_ptr_array_add(due, sf);
    }
    for (GList *l = wc->lru.head; l != NULL; l = l->next) {
        stream_file *sf = l->data;
        if (tick_due(wc, sf, linger, idle))
            g_ptr_array_add(due, sf);
    }
    for (guint i = 0; i < due->len && ok; i++) {
        stream_file *sf = g_ptr_array_index(due, i);
        if (!write_chain(wc, sf) || !close_file(wc, sf, sf->ended ? "closed, stream ended" : "closed, idle"))
            ok = FALSE;
    }
    g_ptr_array_free(due, TRUE);
    return ok;
}

gboolean
writer_cache_remove(writer_cache *wc, stream_file *sf)
{
    if (!sf->created)
        return TRUE;
    if (!close_file(wc, sf, "closed"))
        return FALSE;
    if (unlinkat(wc->dir_fd, sf->name, 0) != 0)
        return set_errno_error(wc, "remove", sf->name);
    ws_debug("removed %s", sf->name);
    sf->created = FALSE;
    wc->stats.files--;
    wc->stats.frames -= sf->frames;
    wc->stats.bytes -= sf->bytes;
    if (sf->converted)
        wc->stats.converted--;
    return TRUE;
}

/* A conversion to pcapng that failed before it was whole: the pcap file
 * stays the stream's file, and the pcapng file begun from it goes. */
static void
undo_conversion(writer_cache *wc, stream_file *sf)
{
    if (sf->created && unlinkat(wc->dir_fd, sf->name, 0) == 0)
        wc->stats.files--;
    g_free(sf->name);
    sf->name = sf->converting_from;
    sf->converting_from = NULL;
    sf->format = FS_FORMAT_PCAP;
    sf->created = TRUE;
}

/* After a failed write, a file may be short of a record or empty: cut each
 * back to its last complete record (pcap .part files too, appended to their
 * file when there is room), remove the empty. */
static void
repair_after_failure(writer_cache *wc)
{
    for (guint i = 0; i < wc->files->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->files, i);
        repair_result r;

        if (sf->converting_from != NULL)
            undo_conversion(wc, sf);
        if (!sf->created)
            continue;
        r = file_repair(wc->dir_fd, sf->name);
        if (r == REPAIR_REMOVED) {
            sf->created = FALSE;
            wc->stats.files--;
            wc->stats.removed++;
            continue;
        }
        if (sf->part) {
            char *part = part_name(sf);
            if (file_repair(wc->dir_fd, part) == REPAIR_REMOVED || append_part(wc, sf))
                sf->part = FALSE;
            else
                file_repair(wc->dir_fd, sf->name);     /* an append cut short */
            g_free(part);
        }
    }
}

static gint
newest_open_first(gconstpointer a, gconstpointer b)
{
    guint64 sa = (*(stream_file *const *)a)->open_seq, sb = (*(stream_file *const *)b)->open_seq;

    return sa < sb ? 1 : (sa > sb ? -1 : 0);
}

gboolean
writer_cache_close_all(writer_cache *wc)
{
    gboolean ok = TRUE;
    GPtrArray *open_files;

    if (batch_finish(wc))
        flush_all(wc, FALSE);
    open_files = g_ptr_array_sized_new(wc->lru.length);

    /* glibc keeps every open FILE (wiretap's writers) in one list, newest
     * first, and fclose() walks it to find its own: closing newest-opened
     * first makes each close find its FILE at the head. */
    for (GList *l = wc->lru.head; l != NULL; l = l->next)
        g_ptr_array_add(open_files, l->data);
    g_ptr_array_sort(open_files, newest_open_first);
    for (guint i = 0; i < open_files->len; i++) {
        if (!close_file(wc, g_ptr_array_index(open_files, i), "closed"))
            ok = FALSE;
    }
    g_ptr_array_free(open_files, TRUE);
    if (wc->error != NULL && !wc->repaired) {
        wc->repaired = TRUE;
        repair_after_failure(wc);
    }
    return ok && wc->error == NULL;
}

const char *
writer_cache_error(const writer_cache *wc)
{
    return wc->error;
}

void
writer_cache_get_stats(const writer_cache *wc, writer_cache_stats *stats)
{
    *stats = wc->stats;
}

guint64
writer_cache_pcap_files(const writer_cache *wc)
{
    guint64 n = 0;

    for (guint i = 0; i < wc->files->len; i++) {
        const stream_file *sf = g_ptr_array_index(wc->files, i);
        n += sf->format == FS_FORMAT_PCAP && (sf->created || sf->header_queued);
    }
    return n;
}

guint
writer_cache_max_open(const writer_cache *wc)
{
    return wc->max_open;
}

void
writer_cache_free(writer_cache *wc)
{
    if (wc == NULL)
        return;
    writer_cache_close_all(wc);
    for (guint i = 0; i < wc->files->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->files, i);
        g_array_free(sf->ifaces, TRUE);
        g_free(sf->name);
        g_free(sf->converting_from);
        g_free(sf);
    }
    g_ptr_array_free(wc->files, TRUE);
    write_behind_free(wc->wb);
    pending_free(wc->pending);
    pending_free(wc->spare);
    g_ptr_array_free(wc->dirty, TRUE);
    g_ptr_array_free(wc->lingering, TRUE);
    g_byte_array_free(wc->direct, TRUE);
    g_free(wc->dir_path);
    g_free(wc->error);
    g_free(wc);
}
