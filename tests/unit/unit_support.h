/* unit_support.h
 * What the unit test programs share: temporary folders, starting wiretap
 * and epan, and reading a capture file back with wiretap.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_UNIT_SUPPORT_H
#define FLOWSPLIT_UNIT_SUPPORT_H

#include <glib.h>
#include <wiretap/wtap.h>

/* g_test_init(), and Wireshark's log quiet below warnings (its debug
 * messages would bury the test output). Every test program starts here. */
void unit_init(int *argc, char ***argv);

/* wiretap's file types and block types, once per process. */
void unit_wiretap_init(void);

/* epan too (the address types behind address_to_str()), without plugins. */
void unit_epan_init(void);

/* A new empty folder; unit_temp_dir_remove() deletes it and its files. */
char *unit_temp_dir(void);
void unit_temp_dir_remove(char *dir);

/* One frame as wiretap read it back, its options copied out. */
typedef struct {
    nstime_t ts;
    guint32 caplen;
    guint32 len;
    guint8 *data;           /* caplen bytes */
    guint32 interface_id;
    gboolean has_interface_id;
    char *comments[4];      /* NULL-terminated; at most 3 kept */
    gboolean has_flags;
    guint32 flags;
    gboolean has_queue;
    guint32 queue;
    gboolean has_dropcount;
    guint64 dropcount;
    gboolean has_packetid;
    guint64 packetid;
} unit_frame;

/* A whole capture as wiretap read it. */
typedef struct {
    int file_type_subtype;
    int encap;
    GArray *frames;         /* unit_frame */
    int read_err;           /* wtap_read()'s error at the end: 0 at a clean end of file */
    char *read_err_info;
    char *shb_comment;      /* first comment of the first section header, or NULL */
    GPtrArray *if_names;    /* char *, one per interface ("" when unnamed) */
    GArray *if_tsresol;     /* guint64 time units per second, one per interface */
    GArray *if_encap;       /* int (WTAP_ENCAP_), one per interface */
    GByteArray *secrets;    /* the bytes of every decryption secret, in order */
    guint n_secrets;
} unit_capture;

/* Opens path with wiretap (any file type) and reads every record. NULL
 * when wiretap cannot open it at all; *err then says why. */
unit_capture *unit_capture_read(const char *path, int *err);
void unit_capture_free(unit_capture *c);

/* Writes bytes to dir/name, replacing any file there; the full path. */
char *unit_write_file(const char *dir, const char *name, const void *data, gsize len);

/* The bytes of a file (g_free them). */
guint8 *unit_read_file(const char *path, gsize *len);

#endif /* FLOWSPLIT_UNIT_SUPPORT_H */
