/* file_ifaces.c
 * The interfaces of each stream file: the input's interfaces its frames
 * came on, numbered in the order they first appear in the file, which is
 * the order of its Interface Description Blocks (pcapng). The interface of
 * the file's last frame is kept in the file itself (hot_iface), where the
 * next frame, usually on the same one, finds it without a cache miss.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "writer_cache_int.h"

#include <string.h>

#include <wiretap/pcap-encap.h>
#include <wiretap/wtap_opttypes.h>

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
int
file_ifaces_find(stream_file *sf, const frame_record *fr)
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
    fi.tsprec = (fr->rec->tsprec == WTAP_TSPREC_NSEC || file_iface_tsresol_digits(fr->rec->tsprec) == NSEC_DIGITS)
                    ? WTAP_TSPREC_NSEC : fr->rec->tsprec;
    fi.linktype = encoder_linktype(fi.encap);
    fi.encodable = fi.linktype >= 0 && !wtap_encap_requires_phdr(fi.encap);
    fi.name = fr->if_name ? g_intern_string(fr->if_name) : NULL;
    return fi;
}

/* The frame's interface, new to the file: added as its last, *idx. */
const file_iface *
file_ifaces_add(stream_file *sf, const frame_record *fr, int *idx)
{
    file_iface fi = iface_of(fr);

    g_array_append_val(sf->ifaces, fi);
    *idx = (int)sf->ifaces->len - 1;
    set_hot_iface(sf, *idx);
    return &sf->hot_iface;
}

/* The interface as flowsplit's encoder takes it. */
void
file_ifaces_encoder(const file_iface *fi, encoder_iface *ei)
{
    ei->linktype = fi->linktype;
    ei->tsresol_digits = file_iface_tsresol_digits(fi->tsprec);
    ei->name = fi->name;
}

/* The interface as wiretap's dumpers take it: an IDB (wtap_block_unref
 * it). */
wtap_block_t
file_ifaces_block(const file_iface *fi)
{
    wtap_block_t idb = wtap_block_create(WTAP_BLOCK_IF_ID_AND_INFO);
    wtapng_if_descr_mandatory_t *m = (wtapng_if_descr_mandatory_t *)wtap_block_get_mandatory_data(idb);
    guint8 digits = file_iface_tsresol_digits(fi->tsprec);
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

/* Every interface of the file, as IDBs in its order (for a new section). */
GArray *
file_ifaces_blocks(const stream_file *sf)
{
    GArray *blocks = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));

    for (guint i = 0; i < sf->ifaces->len; i++) {
        wtap_block_t idb = file_ifaces_block(&g_array_index(sf->ifaces, file_iface, i));
        g_array_append_val(blocks, idb);
    }
    return blocks;
}

void
file_ifaces_free_blocks(GArray *blocks)
{
    for (guint i = 0; i < blocks->len; i++)
        wtap_block_unref(g_array_index(blocks, wtap_block_t, i));
    g_array_free(blocks, TRUE);
}
