/* gui_result.c
 * The window a GUI export ends in (a funnel text window): what happened,
 * the first rows of the index the split wrote, and buttons that lead on:
 * open the export folder in the desktop's file manager, open one of the
 * listed streams' files in Wireshark, and whatever the caller adds (such
 * as "Replace it" after a refusal).
 *
 * The rows are read back from DIR/streams.csv as written, so the window
 * shows exactly what the user got. The text goes in as plain text
 * (append_text): set_text would take text that looks like HTML for HTML.
 * Wireshark shows a button's label as given ('&' marks no shortcut).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "gui_result.h"

#include <stdio.h>
#include <string.h>

#include <epan/funnel.h>

#include "ws_compat.h"

#define RESULT_TITLE "Export streams: result"
#define INDEX_NAME "streams.csv"
#define ROWS_SHOWN 12           /* rows of the index in the window */
#define STREAMS_OPENED 3        /* rows with an "Open ... stream" button */

typedef struct {
    char *label;
    gui_result_action action;
    void *data;
    GDestroyNotify data_free;
} result_button;

struct gui_result {
    GString *text;
    GPtrArray *buttons;     /* result_button *, in the order shown */
};

/* The columns the window shows, by their header names. */
enum { COL_STREAM, COL_FILE, COL_PROTO, COL_ADDR_A, COL_PORT_A, COL_ADDR_B, COL_PORT_B, COL_FRAMES_AB,
       COL_FRAMES_BA, COL_BYTES_AB, COL_BYTES_BA, COL_SNI, COL_COUNT };

static const char *const column_names[COL_COUNT] = {
    "stream", "file", "proto", "addr_a", "port_a", "addr_b", "port_b", "frames_ab", "frames_ba", "bytes_ab",
    "bytes_ba", "tls_sni"
};

static void
button_free(void *p)
{
    result_button *b = p;

    if (b->data_free != NULL)
        b->data_free(b->data);
    g_free(b->label);
    g_free(b);
}

gui_result *
gui_result_new(void)
{
    gui_result *r = g_new0(gui_result, 1);

    r->text = g_string_new(NULL);
    r->buttons = g_ptr_array_new();
    return r;
}

void
gui_result_text(gui_result *r, const char *text)
{
    g_string_append(r->text, text);
}

void
gui_result_button(gui_result *r, const char *label, gui_result_action action, void *data, GDestroyNotify data_free)
{
    result_button *b = g_new0(result_button, 1);

    b->label = g_strdup(label);
    b->action = action;
    b->data = data;
    b->data_free = data_free;
    g_ptr_array_add(r->buttons, b);
}

static void
open_folder(void *data)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();

    if (ops != NULL && ops->browser_open_data_file != NULL)
        ops->browser_open_data_file((const char *)data);
}

void
gui_result_folder_button(gui_result *r, const char *folder)
{
    gui_result_button(r, "Open the folder", open_folder, g_strdup(folder), g_free);
}

/* Opens the file in this Wireshark, in place of the capture shown (which
 * asks first when that capture has unsaved changes). */
static void
open_stream_file(void *data)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    char *error = NULL;

    if (ops != NULL && ops->open_file != NULL)
        ops->open_file(ops->ops_id, (const char *)data, NULL, &error);
    g_free(error);
}

/* One line of the index: its fields, RFC 4180 quoting undone. */
static GPtrArray *
csv_fields(const char *line)
{
    GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
    GString *field = g_string_new(NULL);
    gboolean quoted = FALSE;

    for (const char *c = line; *c != '\0' && *c != '\n' && *c != '\r'; c++) {
        if (quoted && *c == '"' && c[1] == '"') {
            g_string_append_c(field, '"');
            c++;
        } else if (*c == '"') {
            quoted = !quoted;
        } else if (*c == ',' && !quoted) {
            g_ptr_array_add(fields, g_string_free(field, FALSE));
            field = g_string_new(NULL);
        } else {
            g_string_append_c(field, *c);
        }
    }
    g_ptr_array_add(fields, g_string_free(field, FALSE));
    return fields;
}

/* Where each shown column is in the index's header; FALSE when one is
 * missing (not an index this version wrote). */
static gboolean
find_columns(const char *header, guint positions[COL_COUNT])
{
    GPtrArray *names = csv_fields(header);
    gboolean found_all = TRUE;

    for (int c = 0; c < COL_COUNT; c++) {
        guint i;

        for (i = 0; i < names->len && strcmp(g_ptr_array_index(names, i), column_names[c]) != 0; i++)
            ;
        positions[c] = i;
        found_all = found_all && i < names->len;
    }
    g_ptr_array_free(names, TRUE);
    return found_all;
}

static const char *
column(GPtrArray *fields, const guint positions[COL_COUNT], int c)
{
    return positions[c] < fields->len ? g_ptr_array_index(fields, positions[c]) : "";
}

/* An end as people write it: 10.0.0.1:80, [2001:db8::1]:80, or the
 * address alone when the transport has no ports in the index. */
static char *
end_text(const char *addr, const char *port)
{
    if (port[0] == '\0')
        return g_strdup(addr);
    if (strchr(addr, ':') != NULL)
        return g_strdup_printf("[%s]:%s", addr, port);
    return g_strdup_printf("%s:%s", addr, port);
}

static guint64
sum(const char *a, const char *b)
{
    return g_ascii_strtoull(a, NULL, 10) + g_ascii_strtoull(b, NULL, 10);
}

/* The cells of one shown row: stream, transport, A, B, frames, bytes, SNI. */
enum { CELL_STREAM, CELL_PROTO, CELL_A, CELL_B, CELL_FRAMES, CELL_BYTES, CELL_SNI, CELL_COUNT };

static const char *const cell_titles[CELL_COUNT] = { "stream", "proto", "end A", "end B", "frames", "bytes", "SNI" };

static char **
row_cells(GPtrArray *fields, const guint positions[COL_COUNT])
{
    char **cells = g_new0(char *, CELL_COUNT + 1);

    cells[CELL_STREAM] = g_strdup(column(fields, positions, COL_STREAM));
    cells[CELL_PROTO] = g_strdup(column(fields, positions, COL_PROTO));
    cells[CELL_A] = end_text(column(fields, positions, COL_ADDR_A), column(fields, positions, COL_PORT_A));
    cells[CELL_B] = end_text(column(fields, positions, COL_ADDR_B), column(fields, positions, COL_PORT_B));
    cells[CELL_FRAMES] = g_strdup_printf("%" G_GUINT64_FORMAT, sum(column(fields, positions, COL_FRAMES_AB),
                                                                   column(fields, positions, COL_FRAMES_BA)));
    cells[CELL_BYTES] = g_strdup_printf("%" G_GUINT64_FORMAT, sum(column(fields, positions, COL_BYTES_AB),
                                                                  column(fields, positions, COL_BYTES_BA)));
    cells[CELL_SNI] = g_strdup(column(fields, positions, COL_SNI));
    return cells;
}

/* The rows as a table in the window's fixed-width font: numbers to the
 * right, text to the left, two spaces between columns. */
static void
append_table(GString *text, GPtrArray *rows)
{
    int width[CELL_COUNT];

    for (int c = 0; c < CELL_COUNT; c++) {
        width[c] = (int)strlen(cell_titles[c]);
        for (guint i = 0; i < rows->len; i++)
            width[c] = MAX(width[c], (int)g_utf8_strlen(((char **)g_ptr_array_index(rows, i))[c], -1));
    }
    for (int c = 0; c < CELL_COUNT; c++) {
        gboolean number = c == CELL_STREAM || c == CELL_FRAMES || c == CELL_BYTES;

        g_string_append_printf(text, number ? "%*s  " : "%-*s  ", width[c], cell_titles[c]);
    }
    g_string_append_c(text, '\n');
    for (guint i = 0; i < rows->len; i++) {
        char **cells = g_ptr_array_index(rows, i);

        for (int c = 0; c < CELL_COUNT; c++) {
            gboolean number = c == CELL_STREAM || c == CELL_FRAMES || c == CELL_BYTES;

            g_string_append_printf(text, number ? "%*s  " : "%-*s  ", width[c], cells[c]);
        }
        g_string_append_c(text, '\n');
    }
}

/* A stream file's button: "Open tcp stream 5". */
static void
add_open_button(gui_result *r, const char *folder, GPtrArray *fields, const guint positions[COL_COUNT])
{
    const char *file = column(fields, positions, COL_FILE);
    char *label;

    if (file[0] == '\0' || strchr(file, '/') != NULL || strchr(file, ';') != NULL)
        return;
    label = g_strdup_printf("Open %s stream %s", column(fields, positions, COL_PROTO),
                            column(fields, positions, COL_STREAM));
    gui_result_button(r, label, open_stream_file, g_build_filename(folder, file, NULL), g_free);
    g_free(label);
}

void
gui_result_index(gui_result *r, const char *folder)
{
    char *path = g_build_filename(folder, INDEX_NAME, NULL);
    FILE *f = fopen(path, "r");
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    guint positions[COL_COUNT];
    char line[8192];
    guint total = 0;

    g_free(path);
    if (f == NULL)
        return;
    if (fgets(line, sizeof line, f) == NULL || !find_columns(line, positions)) {
        fclose(f);
        g_ptr_array_free(rows, TRUE);
        return;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        GPtrArray *fields;

        if (strchr(line, '\n') == NULL && !feof(f))
            break;      /* a row longer than any this version writes */
        total++;
        if (rows->len >= ROWS_SHOWN)
            continue;
        fields = csv_fields(line);
        g_ptr_array_add(rows, row_cells(fields, positions));
        if (rows->len <= STREAMS_OPENED)
            add_open_button(r, folder, fields, positions);
        g_ptr_array_free(fields, TRUE);
    }
    fclose(f);
    if (rows->len > 0) {
        g_string_append_c(r->text, '\n');
        append_table(r->text, rows);
        if (total > rows->len)
            g_string_append_printf(r->text, "... and %u more in %s\n", total - rows->len, INDEX_NAME);
    }
    g_ptr_array_free(rows, TRUE);
}

static fs_button_bool
button_clicked(funnel_text_window_t *tw _U_, void *data)
{
    result_button *b = data;

    b->action(b->data);
    return TRUE;
}

void
gui_result_show(gui_result *r)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    funnel_text_window_t *tw = ops->new_text_window(ops->ops_id, RESULT_TITLE);

    ops->append_text(tw, r->text->str);
    for (guint i = 0; i < r->buttons->len; i++) {
        result_button *b = g_ptr_array_index(r->buttons, i);
        funnel_bt_t *bt = g_new0(funnel_bt_t, 1);

        /* Wireshark frees both when the window closes. */
        bt->tw = tw;
        bt->func = button_clicked;
        bt->data = b;
        bt->free_fcn = g_free;
        bt->free_data_fcn = button_free;
        ops->add_button(tw, bt, b->label);
    }
    g_ptr_array_free(r->buttons, TRUE);
    g_string_free(r->text, TRUE);
    g_free(r);
}
