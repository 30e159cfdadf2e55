/* capture_meta.c
 * The input's section header, decryption secrets and name resolution,
 * kept for the stream files. tshark -w copies them into a file it writes
 * from a capture (the header's options as they are, adding its own
 * application name only where the input names none; every Decryption
 * Secrets Block, then from Wireshark 4.2 on every Name Resolution Block,
 * before the packets that follow it), and a stream file is such a file:
 * without the secrets a stream of a capture shared with its TLS keys no
 * longer decrypts.
 *
 * tshark closes its wiretap session before the split ends, and the arrays
 * of secrets and names with it, so each secret is kept here by reference as
 * soon as it has been read, and each name block as the bytes wiretap
 * writes for it (encoded here, on tshark's thread, while it is valid).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "capture_meta.h"

#include <string.h>

#include <epan/epan.h>

#include "record_encoder.h"
#include "ws_compat.h"

struct capture_meta {
    GArray *shb_hdrs;           /* one wtap_block_t */
    GByteArray *shb_bytes;
    GArray *secrets;            /* wtap_block_t, referenced */
    GArray *name_blocks;        /* wtap_block_t, referenced: the NRBs as read */
    GByteArray *names;          /* the same, as wiretap writes them, one after another */
    GArray *name_ends;          /* guint: where each NRB's blocks end in names */
    wtap *source;               /* the session followed, or NULL before the first frame */
    const GArray *source_secrets;   /* its growing arrays: valid while it reads */
    const GArray *source_names;
};

static void
set_section(capture_meta *m, wtap_block_t shb)
{
    char *appl = NULL;

    if (wtap_block_get_string_option_value(shb, OPT_SHB_USERAPPL, &appl) != WTAP_OPTTYPE_SUCCESS) {
        char *own = g_strdup_printf("flowsplit %s (Wireshark %s)", FLOWSPLIT_VERSION, epan_get_version());
        wtap_block_add_string_option(shb, OPT_SHB_USERAPPL, own, strlen(own));
        g_free(own);
    }
    if (m->shb_hdrs->len > 0)
        wtap_block_unref(g_array_index(m->shb_hdrs, wtap_block_t, 0));
    g_array_set_size(m->shb_hdrs, 0);
    g_array_append_val(m->shb_hdrs, shb);
    g_byte_array_set_size(m->shb_bytes, 0);
    encoder_pcapng_section(m->shb_bytes, m->shb_hdrs);
}

capture_meta *
capture_meta_new(void)
{
    capture_meta *m = g_new0(capture_meta, 1);

    m->shb_hdrs = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    m->shb_bytes = g_byte_array_new();
    m->secrets = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    m->name_blocks = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    m->names = g_byte_array_new();
    m->name_ends = g_array_new(FALSE, FALSE, sizeof(guint));
    set_section(m, wtap_block_create(WTAP_BLOCK_SECTION));
    return m;
}

/* The first section header of the capture, and its growing secrets. */
static void
take_source(capture_meta *m, wtap *wth)
{
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;

    m->source = wth;
    wtap_dump_params_init_no_idbs(&params, wth);
    if (params.shb_hdrs != NULL && params.shb_hdrs->len > 0)
        set_section(m, wtap_block_ref(g_array_index(params.shb_hdrs, wtap_block_t, 0)));
    m->source_secrets = params.dsbs_growing;
    m->source_names = fs_dump_params_names(&params);
    /* The caller's to free, says wtap.h; only the struct, whose array is
     * the session's own interfaces (wtap_file_get_idb_info() copies none). */
    g_free(params.idb_inf);
    params.idb_inf = NULL;
    wtap_dump_params_cleanup(&params);
}

void
capture_meta_follow(capture_meta *m, wtap *wth)
{
    if (wth == NULL)
        return;
    if (m->source == NULL)
        take_source(m, wth);
    else if (wth != m->source)
        return;     /* another file (a new live capture file): keep what the first said */
    while (m->source_secrets != NULL && m->secrets->len < m->source_secrets->len) {
        wtap_block_t dsb = wtap_block_ref(g_array_index(m->source_secrets, wtap_block_t, m->secrets->len));
        g_array_append_val(m->secrets, dsb);
    }
    while (m->source_names != NULL && m->name_blocks->len < m->source_names->len) {
        wtap_block_t nrb = wtap_block_ref(g_array_index(m->source_names, wtap_block_t, m->name_blocks->len));
        g_array_append_val(m->name_blocks, nrb);
        encoder_pcapng_names(m->names, nrb);
        g_array_append_val(m->name_ends, m->names->len);
    }
}

GArray *
capture_meta_shb_hdrs(const capture_meta *m)
{
    return m->shb_hdrs;
}

const GByteArray *
capture_meta_shb_bytes(const capture_meta *m)
{
    return m->shb_bytes;
}

const GArray *
capture_meta_secrets(const capture_meta *m)
{
    return m->secrets;
}

const GArray *
capture_meta_name_blocks(const capture_meta *m)
{
    return m->name_blocks;
}

const guint8 *
capture_meta_names(const capture_meta *m, guint from, guint *len)
{
    guint start = from == 0 ? 0 : g_array_index(m->name_ends, guint, from - 1);

    *len = m->names->len - start;
    return m->names->data + start;
}

static void
unref_all(GArray *blocks)
{
    for (guint i = 0; i < blocks->len; i++)
        wtap_block_unref(g_array_index(blocks, wtap_block_t, i));
    g_array_free(blocks, TRUE);
}

void
capture_meta_free(capture_meta *m)
{
    if (m == NULL)
        return;
    unref_all(m->secrets);
    unref_all(m->name_blocks);
    g_byte_array_free(m->names, TRUE);
    g_array_free(m->name_ends, TRUE);
    wtap_block_unref(g_array_index(m->shb_hdrs, wtap_block_t, 0));
    g_array_free(m->shb_hdrs, TRUE);
    g_byte_array_free(m->shb_bytes, TRUE);
    g_free(m);
}
