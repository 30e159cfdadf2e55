/* gui_action.c
 * Wireshark's Tools > Export streams: asks where, in which format and
 * which streams; re-reads the open capture through a split session (the
 * same intake tshark's -X flowsplit:out=DIR uses) while Wireshark shows
 * its progress; shows the result in a window. The flowsplit preferences
 * (Edit > Preferences > Protocols > flowsplit) hold the folder, with a
 * Browse button, and the last answers.
 *
 * The funnel dialog has text fields only, so the folder is typed there or
 * chosen in the preferences; both fill the same value. Every listener is
 * removed before the action returns: later statistics and retaps write
 * nothing.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "gui_action.h"

#include <string.h>

#include <epan/funnel.h>
#include <epan/prefs.h>
#include <epan/stat_groups.h>
#include <wsutil/wslog.h>

#include "intake.h"
#include "options.h"

enum { EXPORT_ALL, EXPORT_DISPLAYED };
enum { FIELD_FOLDER, FIELD_FORMAT, FIELD_STREAMS, FIELD_REPLACE, FIELD_COUNT };

#define EXPORT_TITLE "Export streams"
#define RESULT_TITLE "Export streams: result"

static const enum_val_t format_values[] = {
    { "pcapng", "pcapng", FS_FORMAT_PCAPNG },
    { "pcap", "pcap", FS_FORMAT_PCAP },
    { NULL, NULL, -1 }
};

static const enum_val_t replace_values[] = {
    { "no", "no", 0 },
    { "yes", "yes", 1 },
    { NULL, NULL, -1 }
};

static const enum_val_t streams_values[] = {
    { "all", "all streams", EXPORT_ALL },
    { "displayed", "streams with a frame that matches the display filter", EXPORT_DISPLAYED },
    { NULL, NULL, -1 }
};

/* The preferences; the dialog starts from them and stores its answers in
 * them. Static: Wireshark's preference table points at them for as long
 * as the plugin is loaded. */
static const char *pref_folder = "";
static gint pref_format = FS_FORMAT_PCAPNG;
static gint pref_streams = EXPORT_ALL;

static void
show_result(const char *text)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    funnel_text_window_t *tw = ops->new_text_window(ops->ops_id, RESULT_TITLE);

    ops->set_text(tw, text);
}

static const char *
enum_name(const enum_val_t *values, gint value)
{
    for (const enum_val_t *v = values; v->name != NULL; v++) {
        if (v->value == value)
            return v->name;
    }
    return values[0].name;
}

static gboolean
enum_value(const enum_val_t *values, const char *name, gint *value)
{
    char *word = g_strstrip(g_ascii_strdown(name, -1));
    gboolean found = FALSE;

    for (const enum_val_t *v = values; v->name != NULL && !found; v++) {
        if (strcmp(word, v->name) == 0) {
            *value = v->value;
            found = TRUE;
        }
    }
    g_free(word);
    return found;
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

/* Keeps the answers as the preferences, in memory and in the profile's
 * preferences file, so the next export starts from them. */
static void
remember_answers(const char *folder, gint format, gint streams)
{
    char *pref;
    char *errmsg = NULL;
    char *pf_path = NULL;
    int err;

    pref = g_strdup_printf("flowsplit.export_folder:%s", folder);
    prefs_set_pref(pref, &errmsg);
    g_free(pref);
    g_free(errmsg);
    pref_format = format;
    pref_streams = streams;
    err = write_prefs(&pf_path);
    if (err != 0)
        ws_warning("cannot save the flowsplit preferences to \"%s\": %s", pf_path, g_strerror(err));
    g_free(pf_path);
}

/* Splits the open capture into opts->out_dir; the text for the result
 * window. Displayed streams are select= with the display filter (an empty
 * filter selects all): one retap, the same code as tshark's split. */
static char *
run_export(const funnel_ops_t *ops, const flowsplit_options *opts, gint streams)
{
    flowsplit_options run_opts;
    const char *filter = ops->get_filter(ops->ops_id);
    split_session *s;
    char *error = NULL;
    char *summary, *text;
    gboolean ok;

    options_copy(&run_opts, opts);
    if (streams == EXPORT_DISPLAYED && filter != NULL && filter[0] != '\0')
        run_opts.select = g_strdup(filter);
    s = intake_session_new(&run_opts, &error);
    if (s == NULL || !intake_register(s, &error)) {
        if (s == NULL && run_opts.select != NULL && g_str_has_prefix(error, "flowsplit: the display filter"))
            text = g_strdup_printf("Nothing was exported.\n\n%s\n", error);
        else
            text = g_strdup_printf("Nothing was exported.\n\n%s\n\nIn the dialog: choose another folder, or answer "
                                   "yes to \"Replace an earlier split\".\n", error);
        g_free(error);
        intake_session_free(s);
        options_clear(&run_opts);
        return text;
    }
    options_clear(&run_opts);
    ops->retap_packets(ops->ops_id);
    ok = intake_finish(s);
    summary = intake_summary(s);
    if (ok)
        text = g_strdup_printf("Exported to %s\n\n%s\n", opts->out_dir, summary);
    else
        text = g_strdup_printf("The export is incomplete.\n\n%s\n%s\n", intake_error(s), summary);
    g_free(summary);
    intake_session_free(s);
    return text;
}

static void
export_dialog_done(char **input, void *data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    flowsplit_options opts;
    gint format = pref_format, streams = pref_streams, replace = 0;
    char *error = NULL;
    char *text;

    if (g_strv_length(input) < FIELD_COUNT || input[FIELD_FOLDER][0] == '\0') {
        show_result("Nothing was exported: no folder given. Choose Tools > " EXPORT_TITLE " again and type one.\n");
        g_strfreev(input);
        return;
    }
    if (!enum_value(format_values, input[FIELD_FORMAT], &format)
        || !enum_value(streams_values, input[FIELD_STREAMS], &streams)
        || !enum_value(replace_values, input[FIELD_REPLACE], &replace)) {
        show_result("Nothing was exported: format is pcapng or pcap, streams is all or displayed, "
                    "replace is no or yes.\n");
        g_strfreev(input);
        return;
    }
    options_parse_strings(&opts, NULL, 0, &error);
    opts.out_dir = folder_path(input[FIELD_FOLDER]);
    opts.format = (fs_format)format;
    opts.replace = replace;
    remember_answers(opts.out_dir, format, streams);
    text = run_export(ops, &opts, streams);
    show_result(text);
    g_free(text);
    options_clear(&opts);
    g_strfreev(input);
}

static void
export_streams(gpointer data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    const char *names[FIELD_COUNT + 1] = {
        "Folder",
        "Format (pcapng or pcap)",
        "Streams (all, or displayed: streams with a frame the display filter shows)",
        "Replace an earlier split in that folder (no or yes)",
        NULL
    };
    const char *values[FIELD_COUNT + 1] = { NULL };
    char *default_folder = NULL;

    if (ops == NULL || ops->new_dialog == NULL || ops->retap_packets == NULL)
        return;
    if (pref_folder == NULL || pref_folder[0] == '\0')
        default_folder = g_build_filename(g_get_home_dir(), "flowsplit", NULL);
    values[FIELD_FOLDER] = default_folder ? default_folder : pref_folder;
    values[FIELD_FORMAT] = enum_name(format_values, pref_format);
    values[FIELD_STREAMS] = enum_name(streams_values, pref_streams);
    values[FIELD_REPLACE] = "no";
    ops->new_dialog(ops->ops_id, EXPORT_TITLE, names, values, export_dialog_done, NULL, NULL);
    g_free(default_folder);
}

void
gui_action_register(int proto_flowsplit)
{
    module_t *module = prefs_register_protocol(proto_flowsplit, NULL);

    prefs_register_directory_preference(module, "export_folder", "Export folder",
                                        "Where Tools > Export streams writes one capture file per TCP stream "
                                        "and streams.csv",
                                        &pref_folder);
    prefs_register_enum_preference(module, "export_format", "Export format",
                                   "The format of the files Tools > Export streams writes", &pref_format,
                                   format_values, FALSE);
    prefs_register_enum_preference(module, "export_streams", "Streams to export",
                                   "All streams, or every frame of the streams that have a frame matching the "
                                   "display filter",
                                   &pref_streams, streams_values, FALSE);
    funnel_register_menu(EXPORT_TITLE, REGISTER_TOOLS_GROUP_UNSORTED, export_streams, NULL, NULL, FALSE);
}
