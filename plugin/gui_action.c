/* gui_action.c
 * Wireshark's Tools > Export streams: asks where, in which format, which
 * transports and which streams, proposing the preferences' values and
 * "displayed" when a display filter is applied; checks the answers (one
 * line naming the valid values for a wrong one); exports (gui_export.c).
 *
 * The funnel dialog offers text fields only (no picker, no list), so each
 * question names its valid values and starts filled with the one to keep;
 * the folder can also be chosen with Browse in the preferences, which the
 * dialog starts from.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "gui_action.h"

#include <string.h>

#include <epan/funnel.h>
#include <epan/stat_groups.h>

#include "gui_export.h"
#include "gui_packet_menu.h"
#include "gui_prefs.h"
#include "gui_result.h"
#include "options.h"
#include "ws_compat.h"

enum { FIELD_FOLDER, FIELD_FORMAT, FIELD_TRANSPORTS, FIELD_STREAMS, FIELD_REPLACE, FIELD_COUNT };

#define EXPORT_TITLE "Export streams"
#define STREAMS_ALL "all"
#define STREAMS_DISPLAYED "displayed"

static void
show_refusal(const char *reason)
{
    gui_result *r = gui_result_new();
    char *text = g_strdup_printf("Nothing was exported: %s\n\nChoose Tools > " EXPORT_TITLE " again.\n", reason);

    gui_result_text(r, text);
    gui_result_show(r);
    g_free(text);
}

/* An answer as the option parser takes it: trimmed, lower case. */
static char *
answer(const char *typed)
{
    return g_strstrip(g_ascii_strdown(typed, -1));
}

/* The folder as typed, with a leading ~/ taken as the home folder. */
static char *
folder_path(const char *typed)
{
    char *folder = g_strstrip(g_strdup(typed));

    if (g_str_has_prefix(folder, "~/")) {
        char *home = g_build_filename(g_get_home_dir(), folder + 2, NULL);
        g_free(folder);
        return home;
    }
    return folder;
}

/* The answers as -X flowsplit: options, checked by the same parser. */
static gboolean
parse_answers(char **input, flowsplit_options *opts, gboolean *displayed, char **error)
{
    char *folder = folder_path(input[FIELD_FOLDER]);
    char *format = answer(input[FIELD_FORMAT]);
    char *transports = answer(input[FIELD_TRANSPORTS]);
    char *streams = answer(input[FIELD_STREAMS]);
    char *replace = answer(input[FIELD_REPLACE]);
    char *items[4];
    gboolean ok = TRUE;

    items[0] = g_strconcat("out=", folder, NULL);
    items[1] = g_strconcat("format=", format, NULL);
    items[2] = g_strconcat("proto=", transports, NULL);
    items[3] = g_strconcat("replace=", replace, NULL);
    if (folder[0] == '\0') {
        *error = g_strdup("no folder given; type one, or choose it with Browse in Edit > Preferences > "
                          "Protocols > flowsplit");
        ok = FALSE;
    } else if (strcmp(streams, STREAMS_ALL) != 0 && strcmp(streams, STREAMS_DISPLAYED) != 0) {
        *error = g_strdup_printf("bad value \"%s\" for streams; valid values: " STREAMS_ALL ", " STREAMS_DISPLAYED,
                                 streams);
        ok = FALSE;
    } else if (!options_parse_strings(opts, (const char *const *)items, G_N_ELEMENTS(items), error)) {
        ok = FALSE;
    }
    *displayed = ok && strcmp(streams, STREAMS_DISPLAYED) == 0;
    if (ok)
        gui_prefs_remember(opts->out_dir, opts->format, transports);
    for (guint i = 0; i < G_N_ELEMENTS(items); i++)
        g_free(items[i]);
    g_free(folder);
    g_free(format);
    g_free(transports);
    g_free(streams);
    g_free(replace);
    return ok;
}

static void
export_dialog_done(char **input, void *data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    flowsplit_options opts;
    gboolean displayed = FALSE;
    char *error = NULL;

    if (g_strv_length(input) < FIELD_COUNT) {
        show_refusal("the dialog gave fewer answers than it asks for");
    } else if (!parse_answers(input, &opts, &displayed, &error)) {
        /* The parser's messages start with "flowsplit: ", the window's name. */
        show_refusal(g_str_has_prefix(error, "flowsplit: ") ? error + strlen("flowsplit: ") : error);
        g_free(error);
    } else {
        const char *filter = ops->get_filter(ops->ops_id);

        /* Displayed streams are select= with the display filter; an empty
         * filter selects them all. */
        if (displayed && filter != NULL && filter[0] != '\0')
            opts.select = g_strdup(filter);
        gui_export_run(&opts);
        options_clear(&opts);
    }
    g_strfreev(input);
}

static gboolean
filter_applied(const funnel_ops_t *ops)
{
    const char *filter = ops->get_filter(ops->ops_id);
    char *trimmed = g_strstrip(g_strdup(filter != NULL ? filter : ""));
    gboolean applied = trimmed[0] != '\0';

    g_free(trimmed);
    return applied;
}

static void
export_streams(gpointer data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    const char *names[FIELD_COUNT + 1] = {
        "Folder",
        "Format (pcapng or pcap)",
        "Transports (tcp, udp, dccp, all, or a list such as tcp,udp)",
        "Streams (all, or displayed: streams with a frame the display filter shows)",
        "Replace an earlier split in that folder (no or yes)",
        NULL
    };
    const char *values[FIELD_COUNT + 1] = { NULL };
    char *folder;

    if (ops == NULL || ops->new_dialog == NULL || ops->retap_packets == NULL)
        return;
    folder = gui_prefs_folder();
    values[FIELD_FOLDER] = folder;
    values[FIELD_FORMAT] = gui_prefs_format() == FS_FORMAT_PCAP ? "pcap" : "pcapng";
    values[FIELD_TRANSPORTS] = gui_prefs_transports();
    values[FIELD_STREAMS] = filter_applied(ops) ? STREAMS_DISPLAYED : STREAMS_ALL;
    values[FIELD_REPLACE] = "no";
    ops->new_dialog(ops->ops_id, EXPORT_TITLE, names, values, export_dialog_done, NULL, NULL);
    g_free(folder);
}

void
gui_action_register(int proto_flowsplit)
{
    gui_prefs_register(proto_flowsplit);
    funnel_register_menu(EXPORT_TITLE, REGISTER_TOOLS_GROUP_UNSORTED, export_streams, NULL, NULL, FALSE);
    gui_packet_menu_register();
}
