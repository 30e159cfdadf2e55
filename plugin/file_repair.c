/* file_repair.c
 * After a write fails (disk full, quota), a writev() or wiretap's stdio may
 * have written part of a record, or nothing at all. This walks a pcap or
 * pcapng file by its record and block headers and cuts it after the last
 * complete one, so every file a failed split leaves behind still opens in
 * tshark, capinfos and tcpdump, with every frame that reached the disk.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "file_repair.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_format.h"

/* What is read of a pcapng block before its body: its type and length,
 * and a Section Header Block's byte-order magic. */
#define PCAPNG_PEEK_LEN (PCAPNG_SHB_BOM_OFFSET + 4)

static guint32
read_u32(const guint8 *p, gboolean swapped)
{
    guint32 v;

    memcpy(&v, p, sizeof v);
    return swapped ? GUINT32_SWAP_LE_BE(v) : v;
}

/* The end of the last complete pcap record. */
static off_t
pcap_good_end(int fd, off_t size, gboolean swapped)
{
    off_t off = PCAP_FILE_HEADER_LEN;
    guint8 hdr[PCAP_RECORD_HEADER_LEN];

    while (off + PCAP_RECORD_HEADER_LEN <= size) {
        guint32 caplen;

        if (pread(fd, hdr, sizeof hdr, off) != (ssize_t)sizeof hdr)
            break;
        caplen = read_u32(hdr + PCAP_RECORD_CAPLEN_OFFSET, swapped);
        if (off + PCAP_RECORD_HEADER_LEN + (off_t)caplen > size)
            break;
        off += PCAP_RECORD_HEADER_LEN + caplen;
    }
    return off;
}

/* The end of the last complete pcapng block (0 when the first section
 * header itself is incomplete). */
static off_t
pcapng_good_end(int fd, off_t size)
{
    off_t off = 0;
    gboolean swapped = FALSE;
    guint8 hdr[PCAPNG_PEEK_LEN], trailer[PCAPNG_BLOCK_TRAILER_LEN];

    while (off + PCAPNG_PEEK_LEN <= size) {
        guint32 len;

        if (pread(fd, hdr, sizeof hdr, off) != (ssize_t)sizeof hdr)
            break;
        if (read_u32(hdr, FALSE) == PCAPNG_SHB_TYPE) {
            guint32 bom = read_u32(hdr + PCAPNG_SHB_BOM_OFFSET, FALSE);
            if (bom != PCAPNG_BYTE_ORDER_MAGIC && bom != GUINT32_SWAP_LE_BE(PCAPNG_BYTE_ORDER_MAGIC))
                break;
            swapped = bom != PCAPNG_BYTE_ORDER_MAGIC;
        }
        len = read_u32(hdr + PCAPNG_BLOCK_LEN_OFFSET, swapped);
        if (len < PCAPNG_BLOCK_MIN_LEN || len % PCAPNG_BLOCK_ALIGN != 0 || off + (off_t)len > size)
            break;
        if (pread(fd, trailer, sizeof trailer, off + len - PCAPNG_BLOCK_TRAILER_LEN) != (ssize_t)sizeof trailer
            || read_u32(trailer, swapped) != len)
            break;
        off += len;
    }
    return off;
}

repair_result
file_repair(int dir_fd, const char *name)
{
    int fd = openat(dir_fd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    guint8 magic[4];
    struct stat st;
    off_t good;
    guint32 m;

    if (fd < 0)
        return REPAIR_FAILED;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return REPAIR_FAILED;
    }
    if (pread(fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic) {
        good = 0;
    } else {
        m = read_u32(magic, FALSE);
        if (m == PCAPNG_SHB_TYPE)
            good = pcapng_good_end(fd, st.st_size);
        else if (m == PCAP_MAGIC_USEC || m == PCAP_MAGIC_NSEC)
            good = st.st_size >= PCAP_FILE_HEADER_LEN ? pcap_good_end(fd, st.st_size, FALSE) : 0;
        else if (m == GUINT32_SWAP_LE_BE(PCAP_MAGIC_USEC) || m == GUINT32_SWAP_LE_BE(PCAP_MAGIC_NSEC))
            good = st.st_size >= PCAP_FILE_HEADER_LEN ? pcap_good_end(fd, st.st_size, TRUE) : 0;
        else
            good = 0;
    }
    if (good == 0) {
        close(fd);
        return unlinkat(dir_fd, name, 0) == 0 ? REPAIR_REMOVED : REPAIR_FAILED;
    }
    if (good == st.st_size) {
        close(fd);
        return REPAIR_INTACT;
    }
    if (ftruncate(fd, good) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return REPAIR_FAILED;
    }
    close(fd);
    return REPAIR_TRUNCATED;
}
