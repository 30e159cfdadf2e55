/* unit_support.c
 * Shared by the unit test programs: temporary folders, starting wiretap and
 * epan once, and reading a capture back with wiretap into plain structs the
 * tests compare, so that every check of a written file is wiretap's reading
 * of it, not the tests' own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "unit_support.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

#include <glib/gstdio.h>
#include <epan/epan.h>
#include <wsutil/privileges.h>
#include <wsutil/wslog.h>
#include <wiretap/wtap_opttypes.h>

#include "ws_compat.h"

void
unit_init(int *argc, char ***argv)
{
    g_test_init(argc, argv, NULL);
    ws_log_set_level(LOG_LEVEL_WARNING);
}

void
unit_wiretap_init(void)
{
    static gboolean done;

    if (!done) {
        wtap_init(FALSE);
        done = TRUE;
    }
}

void
unit_epan_init(void)
{
    static gboolean done;

    if (!done) {
        init_process_policies();    /* epan asks whether it runs with privileges */
        unit_wiretap_init();
        g_assert_true(epan_init(NULL, NULL, FALSE));
        done = TRUE;
    }
}

char *
unit_temp_dir(void)
{
    GError *error = NULL;
    char *dir = g_dir_make_tmp("flowsplit-unit-XXXXXX", &error);

    g_assert_no_error(error);
    return dir;
}

void
unit_temp_dir_remove(char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;

    if (d != NULL) {
        while ((name = g_dir_read_name(d)) != NULL) {
            char *path = g_build_filename(dir, name, NULL);
            g_assert_cmpint(g_unlink(path), ==, 0);
            g_free(path);
        }
        g_dir_close(d);
    }
    g_assert_cmpint(g_rmdir(dir), ==, 0);
    g_free(dir);
}

/* A new file each time (unlink, create, write, close): g_file_set_contents()
 * syncs, and ext4 flushes a file truncated to 0 and rewritten when it is
 * closed (auto_da_alloc), either of which made the cut-at-every-length tests
 * many times slower. */
char *
unit_write_file(const char *dir, const char *name, const void *data, gsize len)
{
    char *path = g_build_filename(dir, name, NULL);
    int fd;

    if (g_unlink(path) != 0)
        g_assert_cmpint(errno, ==, ENOENT);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, data, len), ==, (gssize)len);
    g_assert_cmpint(close(fd), ==, 0);
    return path;
}

guint8 *
unit_read_file(const char *path, gsize *len)
{
    GError *error = NULL;
    char *data = NULL;

    g_file_get_contents(path, &data, len, &error);
    g_assert_no_error(error);
    return (guint8 *)data;
}

/* wiretap hands decryption secrets to a callback without user data. */
static unit_capture *secrets_capture;

static void
on_secrets(guint32 secrets_type _U_, const void *secrets, guint size)
{
    g_byte_array_append(secrets_capture->secrets, secrets, size);
    secrets_capture->n_secrets++;
}

static void
copy_options(unit_frame *f, wtap_block_t block)
{
    guint n = 0;
    char *s;

    if (block == NULL)
        return;
    while (n < G_N_ELEMENTS(f->comments) - 1
           && wtap_block_get_nth_string_option_value(block, OPT_COMMENT, n, &s) == WTAP_OPTTYPE_SUCCESS)
        f->comments[n++] = g_strdup(s);
    f->has_flags = wtap_block_get_uint32_option_value(block, OPT_PKT_FLAGS, &f->flags) == WTAP_OPTTYPE_SUCCESS;
    f->has_queue = wtap_block_get_uint32_option_value(block, OPT_PKT_QUEUE, &f->queue) == WTAP_OPTTYPE_SUCCESS;
    f->has_dropcount = wtap_block_get_uint64_option_value(block, OPT_PKT_DROPCOUNT, &f->dropcount)
                       == WTAP_OPTTYPE_SUCCESS;
    f->has_packetid = wtap_block_get_uint64_option_value(block, OPT_PKT_PACKETID, &f->packetid)
                      == WTAP_OPTTYPE_SUCCESS;
}

static void
read_interfaces(unit_capture *c, wtap *wth)
{
    wtapng_iface_descriptions_t *idb = wtap_file_get_idb_info(wth);

    for (guint i = 0; i < idb->interface_data->len; i++) {
        wtap_block_t b = g_array_index(idb->interface_data, wtap_block_t, i);
        const wtapng_if_descr_mandatory_t *m = wtap_block_get_mandatory_data(b);
        char *name = NULL;
        int encap = m->wtap_encap;

        if (wtap_block_get_string_option_value(b, OPT_IDB_NAME, &name) != WTAP_OPTTYPE_SUCCESS)
            name = NULL;
        g_ptr_array_add(c->if_names, g_strdup(name ? name : ""));
        g_array_append_val(c->if_tsresol, m->time_units_per_second);
        g_array_append_val(c->if_encap, encap);
    }
    g_free(idb);
}

unit_capture *
unit_capture_read(const char *path, int *err)
{
    unit_capture *c;
    char *err_info = NULL;
    fs_read_record r;
    wtap_block_t shb;
    gint64 offset;
    wtap *wth;
    char *s;

    unit_wiretap_init();
    *err = 0;
    wth = wtap_open_offline(path, WTAP_TYPE_AUTO, err, &err_info, FALSE);
    g_free(err_info);
    err_info = NULL;
    if (wth == NULL)
        return NULL;
    c = g_new0(unit_capture, 1);
    c->file_type_subtype = wtap_file_type_subtype(wth);
    c->encap = wtap_file_encap(wth);
    c->frames = g_array_new(FALSE, TRUE, sizeof(unit_frame));
    c->if_names = g_ptr_array_new_with_free_func(g_free);
    c->if_tsresol = g_array_new(FALSE, FALSE, sizeof(guint64));
    c->if_encap = g_array_new(FALSE, FALSE, sizeof(int));
    c->secrets = g_byte_array_new();
    shb = wtap_file_get_shb(wth, 0);
    if (shb != NULL && wtap_block_get_nth_string_option_value(shb, OPT_COMMENT, 0, &s) == WTAP_OPTTYPE_SUCCESS)
        c->shb_comment = g_strdup(s);
    secrets_capture = c;
    wtap_set_cb_new_secrets(wth, on_secrets);

    fs_read_record_init(&r);
    while (fs_wtap_read(wth, &r, &c->read_err, &err_info, &offset)) {
        const wtap_packet_header *ph = &r.rec.rec_header.packet_header;
        unit_frame f;

        memset(&f, 0, sizeof f);
        g_assert_cmpuint(r.rec.rec_type, ==, REC_TYPE_PACKET);
        f.ts = r.rec.ts;
        f.caplen = ph->caplen;
        f.len = ph->len;
        f.data = g_memdup2(fs_read_record_data(&r), ph->caplen);
        f.has_interface_id = (r.rec.presence_flags & WTAP_HAS_INTERFACE_ID) != 0;
        f.interface_id = ph->interface_id;
        copy_options(&f, r.rec.block);
        g_array_append_val(c->frames, f);
        wtap_rec_reset(&r.rec);
    }
    c->read_err_info = err_info;
    fs_read_record_cleanup(&r);
    read_interfaces(c, wth);
    wtap_close(wth);
    secrets_capture = NULL;
    return c;
}

void
unit_capture_free(unit_capture *c)
{
    if (c == NULL)
        return;
    for (guint i = 0; i < c->frames->len; i++) {
        unit_frame *f = &g_array_index(c->frames, unit_frame, i);
        g_free(f->data);
        for (guint j = 0; f->comments[j] != NULL; j++)
            g_free(f->comments[j]);
    }
    g_array_free(c->frames, TRUE);
    g_ptr_array_free(c->if_names, TRUE);
    g_array_free(c->if_tsresol, TRUE);
    g_array_free(c->if_encap, TRUE);
    g_byte_array_free(c->secrets, TRUE);
    g_free(c->read_err_info);
    g_free(c->shb_comment);
    g_free(c);
}
