/* writer_cache.c
 * Owns the stream files: creating them, writing frames through wiretap,
 * and keeping at most max_open of them open with an LRU of writers.
 *
 * wiretap cannot append to a file, so a file evicted from the cache is
 * continued this way when its stream has more frames:
 *  - pcapng: the file is reopened with O_APPEND and wiretap starts a new
 *    section in it (a Section Header Block and the stream's interfaces,
 *    in the same order, so interface numbers stay the same). A pcapng file
 *    may hold many sections; tshark, capinfos and tcpdump read them all.
 *  - pcap: wiretap writes the new frames into NAME.part, and when that is
 *    closed its records (all but the 24-byte file header, which equals the
 *    main file's) are appended to the main file and NAME.part is removed.
 *    Every record is thus encoded by wiretap itself, link-type pseudo-
 *    headers included.
 * Either way every file is a valid capture after every close.
 *
 * When all max_open files are open, a frame of a closed stream does not
 * evict a file at once: it waits in memory with the stream's other waiting
 * frames, and they are written together, in one open, once the stream has
 * WRITER_WAIT_PER_FILE bytes waiting, when all streams together have more
 * than the budget (buffer_mb; the stream that has waited longest goes first),
 * or at the end. With thousands of streams open at once and a few dozen
 * descriptors, this turns an eviction and a reopen per frame into one per
 * batch of frames.
 *
 * format=pcap holds one link type, one time resolution and no comments per
 * file. When a stream brings a frame that pcap cannot hold exactly (another
 * link type, a finer time stamp, a packet comment), its file is rewritten
 * as pcapng (NAME.pcapng replaces NAME.pcap) and continues as pcapng, so
 * no frame and no comment is lost; the summary counts such files.
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
#include <wiretap/wtap_opttypes.h>
#include <epan/epan.h>

#include "file_repair.h"
#include "frame_copy.h"
#include "ws_compat.h"

#define PCAP_FILE_HEADER_LEN 24
#define WRITER_WAIT_PER_FILE (64u * 1024)

/* One interface of a stream file: an IDB in pcapng output. */
typedef struct {
    guint section;
    guint32 if_id;
    int encap;
    int tsprec;
    const char *name;   /* interned, or NULL */
} file_iface;

struct stream_file {
    char *name;             /* file name inside the output folder */
    wtap_dumper *dumper;    /* NULL while closed */
    GList lru;              /* link in writer_cache.lru while open */
    GArray *ifaces;         /* file_iface, in IDB order */
    fs_format format;       /* may turn from pcap to pcapng */
    gboolean created;       /* exists on disk */
    gboolean part;          /* pcap: dumper writes NAME.part */
    gboolean ended;         /* stream closed by FIN/RST: evict first */
    guint64 open_seq;       /* when it was last opened, for closing order */
    GQueue waiting;         /* frame_copy: frames waiting for the file to open */
    gsize waiting_bytes;
    GList waiting_link;     /* link in writer_cache.waiting_files */
};

struct writer_cache {
    int dir_fd;
    char *dir_path;
    fs_format format;
    guint max_open;
    GQueue lru;             /* open files, most recently used first */
    GPtrArray *files;       /* every stream_file, for freeing */
    GArray *shb_hdrs;       /* one Section Header Block for every pcapng file */
    char *error;
    gboolean repaired;
    guint64 opens;          /* files opened so far, numbering open_seq */
    GQueue waiting_files;   /* stream files with waiting frames, longest waiting first */
    gsize waiting_total;
    gsize waiting_budget;
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

writer_cache *
writer_cache_new(int dir_fd, const char *dir_path, fs_format format, guint max_open, gsize buffer_bytes)
{
    writer_cache *wc = g_new0(writer_cache, 1);
    wtap_block_t shb = wtap_block_create(WTAP_BLOCK_SECTION);

    wc->dir_fd = dir_fd;
    wc->dir_path = g_strdup(dir_path);
    wc->format = format;
    wc->max_open = max_open > 0 ? max_open : 1;
    wc->waiting_budget = buffer_bytes;
    g_queue_init(&wc->lru);
    g_queue_init(&wc->waiting_files);
    wc->files = g_ptr_array_new();
    wtap_block_add_string_option_format(shb, OPT_SHB_USERAPPL, "flowsplit %s (Wireshark %s)",
                                        FLOWSPLIT_VERSION, epan_get_version());
    wc->shb_hdrs = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    g_array_append_val(wc->shb_hdrs, shb);
    return wc;
}

stream_file *
writer_cache_add(writer_cache *wc, char *base_name)
{
    stream_file *sf = g_new0(stream_file, 1);

    sf->format = wc->format;
    sf->name = g_strconcat(base_name, sf->format == FS_FORMAT_PCAP ? ".pcap" : ".pcapng", NULL);
    g_free(base_name);
    sf->lru.data = sf;
    sf->waiting_link.data = sf;
    g_queue_init(&sf->waiting);
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
    params.shb_hdrs = wc->shb_hdrs;
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

/* pcap reopen: moves NAME.part's records to the end of NAME. */
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
    if (unlinkat(wc->dir_fd, part, 0) != 0)
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

static gboolean
close_file(writer_cache *wc, stream_file *sf, const char *why)
{
    int err = 0;
    char *err_info = NULL;
    gboolean ok;

    if (sf->dumper == NULL)
        return TRUE;
    g_queue_unlink(&wc->lru, &sf->lru);
    wc->stats.open_now--;
    ok = wtap_dump_close(sf->dumper, NULL, &err, &err_info);
    sf->dumper = NULL;
    if (!ok)
        return set_wtap_error(wc, "write", sf->part ? part_name(sf) : sf->name, err, err_info);
    if (sf->part) {
        sf->part = FALSE;
        if (!append_part(wc, sf))
            return FALSE;
    }
    ws_debug("%s %s", why, sf->name);
    return TRUE;
}

static gboolean
evict_one(writer_cache *wc)
{
    GList *tail = g_queue_peek_tail_link(&wc->lru);

    if (tail == NULL)
        return FALSE;
    return close_file(wc, (stream_file *)tail->data, "evicted");
}

/* openat() that makes room in the cache when the process is out of
 * descriptors: evict the least recently used file and try again. */
static int
open_in_dir(writer_cache *wc, const char *name, int flags)
{
    for (;;) {
        int fd = openat(wc->dir_fd, name, flags | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);

        if (fd >= 0 || (errno != EMFILE && errno != ENFILE) || wc->lru.length == 0)
            return fd;
        ws_debug("out of descriptors with %u files open", wc->stats.open_now);
        if (!evict_one(wc))
            return -1;
    }
}

static gboolean
open_file(writer_cache *wc, stream_file *sf)
{
    gboolean reopen = sf->created;
    gboolean part = reopen && sf->format == FS_FORMAT_PCAP;
    char *target = part ? part_name(sf) : g_strdup(sf->name);
    int flags = (reopen && !part) ? O_APPEND : (O_CREAT | O_EXCL | O_APPEND);
    int err = 0;
    char *err_info = NULL;
    int fd;

    while (wc->stats.open_now >= wc->max_open) {
        if (!evict_one(wc)) {
            g_free(target);
            return FALSE;
        }
    }
    fd = open_in_dir(wc, target, flags);
    if (fd < 0) {
        const char *hint = (errno == EEXIST) ? "; a file of that name is in the way" : "";
        set_error(wc, g_strdup_printf("flowsplit: cannot %s \"%s/%s\": %s%s", reopen ? "reopen" : "create",
                                      wc->dir_path, target, g_strerror(errno), hint));
        g_free(target);
        return FALSE;
    }
    sf->dumper = dumper_fdopen(wc, sf, fd, &err, &err_info);
    if (sf->dumper == NULL) {
        close(fd);
        set_wtap_error(wc, "write", target, err, err_info);
        g_free(target);
        return FALSE;
    }
    g_free(target);
    sf->part = part;
    if (reopen)
        wc->stats.reopens++;
    else
        wc->stats.files++;
    sf->created = TRUE;
    sf->open_seq = ++wc->opens;
    g_queue_push_head_link(&wc->lru, &sf->lru);
    if (++wc->stats.open_now > wc->stats.open_most)
        wc->stats.open_most = wc->stats.open_now;
    ws_debug("%s %s", reopen ? "reopened" : "opened", sf->name);
    return TRUE;
}

static int
find_iface(const stream_file *sf, const frame_record *fr)
{
    const wtap_packet_header *ph = &fr->rec->rec_header.packet_header;
    guint32 if_id = (fr->rec->presence_flags & WTAP_HAS_INTERFACE_ID) ? ph->interface_id : 0;

    for (guint i = 0; i < sf->ifaces->len; i++) {
        const file_iface *fi = &g_array_index(sf->ifaces, file_iface, i);
        if (fi->section == fr->rec->section_number && fi->if_id == if_id && fi->encap == ph->pkt_encap)
            return (int)i;
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
    fi.name = fr->if_name ? g_intern_string(fr->if_name) : NULL;
    return fi;
}

/* Can this stream's pcap file hold the frame exactly? */
static gboolean
pcap_can_hold(const stream_file *sf, const frame_record *fr)
{
    file_iface want = iface_of(fr);
    const file_iface *have;

    if (fr->block != NULL && wtap_block_count_option(fr->block, OPT_COMMENT) > 0)
        return FALSE;
    if (!wtap_dump_can_write_encap(wtap_pcap_file_type_subtype(), want.encap))
        return FALSE;
    if (sf->ifaces->len == 0)
        return TRUE;
    have = &g_array_index(sf->ifaces, file_iface, 0);
    return have->encap == want.encap && (have->tsprec == WTAP_TSPREC_NSEC || want.tsprec <= have->tsprec);
}

/* Copies every record of the pcap file into NAME.pcapng and leaves the
 * pcapng file open as the stream's writer. */
static gboolean
convert_to_pcapng(writer_cache *wc, stream_file *sf)
{
    char *old_name = sf->name;
    char *old_path = g_build_filename(wc->dir_path, old_name, NULL);
    char *base = g_strndup(old_name, strlen(old_name) - strlen(".pcap"));
    wtap *wth = NULL;
    wtap_rec rec;
    Buffer buf;
    int err = 0;
    char *err_info = NULL;
    gint64 offset;
    gboolean ok = FALSE;

    if (sf->created && !close_file(wc, sf, "closed to convert"))
        goto out_free;
    sf->name = g_strconcat(base, ".pcapng", NULL);
    sf->format = FS_FORMAT_PCAPNG;
    if (!sf->created) {
        ok = TRUE;
        goto out_free;
    }
    sf->created = FALSE;
    wth = wtap_open_offline(old_path, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
    if (wth == NULL) {
        set_wtap_error(wc, "read back", old_name, err, err_info);
        goto out_free;
    }
    if (!open_file(wc, sf))
        goto out_close;
    wtap_rec_init(&rec);
    ws_buffer_init(&buf, 1514);
    while (wtap_read(wth, &rec, &buf, &err, &err_info, &offset)) {
        wtap_rec out = rec;

        out.presence_flags |= WTAP_HAS_INTERFACE_ID;
        out.rec_header.packet_header.interface_id = 0;
        out.block = NULL;
        if (!fs_wtap_dump(sf->dumper, &out, ws_buffer_start_ptr(&buf), &err, &err_info)) {
            set_wtap_error(wc, "write", sf->name, err, err_info);
            goto out_rec;
        }
    }
    if (err != 0) {
        set_wtap_error(wc, "read back", old_name, err, err_info);
        goto out_rec;
    }
    if (unlinkat(wc->dir_fd, old_name, 0) != 0) {
        set_error(wc, g_strdup_printf("flowsplit: cannot remove \"%s\": %s", old_path, g_strerror(errno)));
        goto out_rec;
    }
    wc->stats.converted++;
    ws_debug("converted %s to %s", old_name, sf->name);
    ok = TRUE;
out_rec:
    wtap_rec_cleanup(&rec);
    ws_buffer_free(&buf);
out_close:
    wtap_close(wth);
out_free:
    g_free(base);
    g_free(old_path);
    g_free(old_name);
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
    if (sf->dumper == NULL || sf->format == FS_FORMAT_PCAP)
        return idx;
    idb = iface_block(&fi);
    if (!wtap_dump_add_idb(sf->dumper, idb, &err, &err_info)) {
        wtap_block_unref(idb);
        set_wtap_error(wc, "write", sf->name, err, err_info);
        return -1;
    }
    wtap_block_unref(idb);
    return idx;
}

/* An open file was used: it goes to the most recently used end of the LRU,
 * or, when its stream has ended, to the end that is evicted first. */
static void
lru_touch(writer_cache *wc, stream_file *sf)
{
    g_queue_unlink(&wc->lru, &sf->lru);
    if (sf->ended)
        g_queue_push_tail_link(&wc->lru, &sf->lru);
    else
        g_queue_push_head_link(&wc->lru, &sf->lru);
}

static gboolean
write_now(writer_cache *wc, stream_file *sf, const frame_record *fr)
{
    wtap_rec out;
    int idx, err = 0;
    char *err_info = NULL;

    if (sf->format == FS_FORMAT_PCAP && !pcap_can_hold(sf, fr) && !convert_to_pcapng(wc, sf))
        return FALSE;
    idx = stream_iface(wc, sf, fr);
    if (idx < 0)
        return FALSE;
    if (sf->dumper == NULL && !open_file(wc, sf))
        return FALSE;
    lru_touch(wc, sf);

    out = *fr->rec;
    out.rec_header.packet_header.interface_id = (guint32)idx;
    if (sf->format == FS_FORMAT_PCAPNG) {
        out.presence_flags |= WTAP_HAS_INTERFACE_ID;
        out.block = fr->block;
    } else {
        out.block = NULL;
    }
    if (!fs_wtap_dump(sf->dumper, &out, fr->data, &err, &err_info))
        return set_wtap_error(wc, "write", sf->part ? part_name(sf) : sf->name, err, err_info);
    wc->stats.frames++;
    wc->stats.bytes += fr->rec->rec_header.packet_header.caplen;
    return TRUE;
}

/* Writes the stream's waiting frames, opening its file (and evicting). */
static gboolean
flush_waiting(writer_cache *wc, stream_file *sf)
{
    frame_copy *fc;
    gboolean ok = TRUE;
    guint n = sf->waiting.length;

    g_queue_unlink(&wc->waiting_files, &sf->waiting_link);
    while ((fc = g_queue_pop_head(&sf->waiting)) != NULL) {
        gsize size = frame_copy_size(fc);

        sf->waiting_bytes -= size;
        wc->waiting_total -= size;
        ok = ok && write_now(wc, sf, &fc->fr);
        frame_copy_free(fc);
    }
    ws_noisy("wrote %u waiting frames to %s", n, sf->name);
    return ok;
}

static gboolean
wait_frame(writer_cache *wc, stream_file *sf, const frame_record *fr)
{
    frame_copy *fc = frame_copy_new(fr);
    gsize size = frame_copy_size(fc);

    if (sf->waiting.length == 0)
        g_queue_push_tail_link(&wc->waiting_files, &sf->waiting_link);
    g_queue_push_tail(&sf->waiting, fc);
    sf->waiting_bytes += size;
    wc->waiting_total += size;
    if (sf->waiting_bytes >= WRITER_WAIT_PER_FILE && !flush_waiting(wc, sf))
        return FALSE;
    while (wc->waiting_total > wc->waiting_budget) {
        if (!flush_waiting(wc, (stream_file *)g_queue_peek_head(&wc->waiting_files)))
            return FALSE;
    }
    return TRUE;
}

gboolean
writer_cache_write(writer_cache *wc, stream_file *sf, const frame_record *fr)
{
    if (wc->error != NULL)
        return FALSE;
    /* A closed file while every descriptor is taken: wait (see the top). */
    if (sf->dumper == NULL && wc->waiting_budget > 0
        && (sf->waiting.length > 0 || wc->stats.open_now >= wc->max_open))
        return wait_frame(wc, sf, fr);
    return write_now(wc, sf, fr);
}

void
writer_cache_stream_ended(writer_cache *wc, stream_file *sf)
{
    sf->ended = TRUE;
    if (sf->dumper != NULL)
        lru_touch(wc, sf);
}

/* After a failed write, stdio may have left any file short of a record
 * or empty: cut each back to its last complete record (pcap .part files
 * too, appended to their file when there is room), remove the empty. */
static void
repair_after_failure(writer_cache *wc)
{
    for (guint i = 0; i < wc->files->len; i++) {
        stream_file *sf = g_ptr_array_index(wc->files, i);
        repair_result r;

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

    while (wc->waiting_files.length > 0 && wc->error == NULL)
        flush_waiting(wc, (stream_file *)g_queue_peek_head(&wc->waiting_files));
    open_files = g_ptr_array_sized_new(wc->lru.length);

    /* glibc keeps every open FILE in one list, newest first, and fclose()
     * walks it to find its own: closing newest-opened first makes each
     * close find its FILE at the head, instead of a walk over all of them. */
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
        g_queue_clear_full(&sf->waiting, (GDestroyNotify)frame_copy_free);
        g_array_free(sf->ifaces, TRUE);
        g_free(sf->name);
        g_free(sf);
    }
    g_ptr_array_free(wc->files, TRUE);
    wtap_block_unref(g_array_index(wc->shb_hdrs, wtap_block_t, 0));
    g_array_free(wc->shb_hdrs, TRUE);
    g_free(wc->dir_path);
    g_free(wc->error);
    g_free(wc);
}
