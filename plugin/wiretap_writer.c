/* wiretap_writer.c
 * wiretap's writing of a stream file, for the frames flowsplit's encoder
 * does not cover (arena_record_size() says which). A file switched to
 * wiretap stays with it. wiretap cannot append to a file, so such a file
 * evicted and reopened is continued like this:
 *  - pcapng: wiretap starts a new section in it (a Section Header Block and
 *    the stream's interfaces in the same order, so interface numbers stay
 *    the same). tshark, capinfos and tcpdump read every section. A new
 *    section repeats the input's section header and every decryption
 *    secret read so far.
 *  - pcap: wiretap writes the new frames into NAME.part, and when that is
 *    closed its records (all but the file header, which equals the main
 *    file's) are appended to the main file and NAME.part is removed.
 * Either way every file is a valid capture after every close.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "writer_cache_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <wsutil/wslog.h>

#include "capture_format.h"
#include "capture_meta.h"
#include "file_repair.h"
#include "write_all.h"
#include "ws_compat.h"

/* The buffer NAME.part's records are copied through. */
#define PART_COPY_LEN 65536

static wtap_dumper *
pcap_dumper_fdopen(const stream_file *sf, int fd, int *err, char **err_info)
{
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    const file_iface *first = &g_array_index(sf->ifaces, file_iface, 0);
    int type = (first->tsprec == WTAP_TSPREC_NSEC) ? wtap_pcap_nsec_file_type_subtype()
                                                    : wtap_pcap_file_type_subtype();

    params.encap = first->encap;
    params.tsprec = first->tsprec;
    return wtap_dump_fdopen(fd, type, WTAP_UNCOMPRESSED, &params, err, err_info);
}

/* The file's header as wiretap writes it, for a new file or a reopen. */
static wtap_dumper *
dumper_fdopen(writer_cache *wc, stream_file *sf, int fd, int *err, char **err_info)
{
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    wtapng_iface_descriptions_t idb_inf;
    wtap_dumper *d;

    if (sf->format == FS_FORMAT_PCAP)
        return pcap_dumper_fdopen(sf, fd, err, err_info);
    idb_inf.interface_data = file_ifaces_blocks(sf);
    params.encap = WTAP_ENCAP_PER_PACKET;
    params.tsprec = WTAP_TSPREC_NSEC;
    /* A new section: the input's header and, before the next frame, every
     * secret and name block read so far, as in a file of its own. */
    params.shb_hdrs = capture_meta_shb_hdrs(wc->meta);
    params.dsbs_growing = capture_meta_secrets(wc->meta);
    fs_dump_params_set_names(&params, capture_meta_name_blocks(wc->meta));
    params.idb_inf = &idb_inf;
    d = wtap_dump_fdopen(fd, wtap_pcapng_file_type_subtype(), WTAP_UNCOMPRESSED, &params, err, err_info);
    file_ifaces_free_blocks(idb_inf.interface_data);   /* the dumper keeps copies */
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

    wc_set_wtap_error(wc, "write", name, err, err_info);
    g_free(name);
    return FALSE;
}

/* NAME.part still starts with the file header NAME starts with. */
static gboolean
same_file_header(writer_cache *wc, const stream_file *sf, int src, int dst)
{
    guint8 head_main[PCAP_FILE_HEADER_LEN], head_part[PCAP_FILE_HEADER_LEN];

    if (pread(src, head_part, sizeof head_part, 0) == sizeof head_part
        && pread(dst, head_main, sizeof head_main, 0) == sizeof head_main
        && memcmp(head_part, head_main, sizeof head_main) == 0)
        return TRUE;
    return wc_set_error(wc, g_strdup_printf("flowsplit: \"%s/%s\" no longer has the header flowsplit wrote; "
                                            "was it changed during the split?", wc->dir_path, sf->name));
}

/* Copies src's records (all but its file header) to the end of dst. FALSE
 * with errno set. */
static gboolean
copy_records(int src, int dst)
{
    guint8 buf[PART_COPY_LEN];
    ssize_t n;

    if (lseek(src, PCAP_FILE_HEADER_LEN, SEEK_SET) < 0)
        return FALSE;
    while ((n = read(src, buf, sizeof buf)) > 0) {
        if (!write_all(dst, buf, (gsize)n))
            return FALSE;
    }
    return n == 0;
}

/* pcap reopen: moves NAME.part's records to the end of NAME. The part is
 * removed first and read through its descriptor: whatever fails after
 * that, no part is left over and no record is appended twice (the repair
 * cuts NAME back to its last complete record). */
static gboolean
append_part(writer_cache *wc, stream_file *sf)
{
    char *part = part_name(sf);
    int src = openat(wc->dir_fd, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int dst = openat(wc->dir_fd, sf->name, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    gboolean ok = FALSE;

    if (src < 0 || dst < 0) {
        wc_set_error(wc, g_strdup_printf("flowsplit: cannot open \"%s/%s\" to append: %s",
                                         wc->dir_path, src < 0 ? part : sf->name, g_strerror(errno)));
    } else if (!same_file_header(wc, sf, src, dst)) {
        /* the error is set */
    } else if (unlinkat(wc->dir_fd, part, 0) != 0) {
        wc_set_error(wc, g_strdup_printf("flowsplit: cannot remove \"%s/%s\": %s", wc->dir_path, part,
                                         g_strerror(errno)));
    } else {
        sf->part = FALSE;
        ok = copy_records(src, dst) || wc_set_errno_error(wc, "append to", sf->name);
    }
    if (src >= 0)
        close(src);
    if (dst >= 0 && close(dst) != 0 && ok)
        ok = wc_set_errno_error(wc, "append to", sf->name);
    g_free(part);
    return ok;
}

/* wiretap's writing: a new file, a new section, or a pcap .part file. */
static gboolean
dumper_open(writer_cache *wc, stream_file *sf)
{
    gboolean part = sf->created && sf->format == FS_FORMAT_PCAP;
    char *target;
    int err = 0;
    char *err_info = NULL;
    int fd;

    if (sf->dumper != NULL) {
        open_files_touch(wc, sf);
        return TRUE;
    }
    target = part ? part_name(sf) : g_strdup(sf->name);
    fd = open_files_target(wc, sf, target, sf->created && !part);
    g_free(target);
    if (fd < 0)
        return FALSE;
    sf->dumper = dumper_fdopen(wc, sf, fd, &err, &err_info);
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
    open_files_count(wc, sf);
    return TRUE;
}

/* From now on wiretap writes this file: what is waiting is written first. */
gboolean
wiretap_switch_to(writer_cache *wc, stream_file *sf)
{
    if (!arena_write_chain(wc, sf) || !open_files_close(wc, sf, "closed for wiretap"))
        return FALSE;
    sf->via_wiretap = TRUE;
    ws_debug("%s: wiretap writes its frames", sf->name);
    return TRUE;
}

/* One record into the file, as its interface idx. */
gboolean
wiretap_write_record(writer_cache *wc, stream_file *sf, const wtap_rec *rec, const guint8 *data,
                     wtap_block_t block, int idx)
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

/* pcapng: a new interface of the file, unless the next section will list
 * it. */
gboolean
wiretap_add_iface(writer_cache *wc, stream_file *sf, const file_iface *fi)
{
    wtap_block_t idb;
    int err = 0;
    char *err_info = NULL;
    gboolean ok;

    if (sf->dumper == NULL)
        return TRUE;
    idb = file_ifaces_block(fi);
    ok = wtap_dump_add_idb(sf->dumper, idb, &err, &err_info);
    wtap_block_unref(idb);
    return ok || wc_set_wtap_error(wc, "write", sf->name, err, err_info);
}

/* Closes the file's dumper (open_files_close() has taken it out of the
 * open files), then appends NAME.part to NAME. */
gboolean
wiretap_close(writer_cache *wc, stream_file *sf)
{
    int err = 0;
    char *err_info = NULL;
    gboolean ok = wtap_dump_close(sf->dumper, NULL, &err, &err_info);

    sf->dumper = NULL;
    if (!ok)
        return set_dumper_error(wc, sf, err, err_info);
    return !sf->part || append_part(wc, sf);
}

/* Writes out wiretap's stdio buffers of every open file. */
gboolean
wiretap_flush(writer_cache *wc)
{
    for (GList *l = wc->lru.head; l != NULL; l = l->next) {
        stream_file *sf = l->data;
        int err = 0;

        if (sf->dumper != NULL && !wtap_dump_flush(sf->dumper, &err))
            return set_dumper_error(wc, sf, err, NULL);
    }
    return TRUE;
}

/* After a failure: NAME.part, cut back to its last complete record, is
 * appended to NAME when there is room. */
void
wiretap_repair_part(writer_cache *wc, stream_file *sf)
{
    char *part;

    if (!sf->part)
        return;
    part = part_name(sf);
    if (file_repair(wc->dir_fd, part) == REPAIR_REMOVED || append_part(wc, sf))
        sf->part = FALSE;
    else
        file_repair(wc->dir_fd, sf->name);     /* an append cut short */
    g_free(part);
}
