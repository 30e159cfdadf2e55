/* gui_export.c
 * One export of the capture open in Wireshark, for Tools > Export streams
 * and the packet menu alike: a split session over a retap (the same intake
 * tshark's -X flowsplit:out=DIR uses; Wireshark shows the retap's progress
 * in its status bar), every listener removed before it returns, and the
 * result window (gui_result.c).
 *
 * Wireshark's stop button (beside the progress bar) ends the re-read
 * early without saying so; the frames the split was not handed tell, and
 * the window then calls the export incomplete.
 *
 * A folder that holds an earlier split is not touched unless the answer
 * was to replace it; the window then says so and offers "Replace it",
 * which runs the same export again with replace=yes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "gui_export.h"

#include <epan/funnel.h>

#include "gui_result.h"
#include "intake.h"
#include "outdir.h"

static void
options_free(void *data)
{
    options_clear(data);
    g_free(data);
}

static void
replace_and_export(void *data)
{
    flowsplit_options *opts = data;

    opts->replace = TRUE;
    gui_export_run(opts);
}

static void
show_refused(const flowsplit_options *opts, const char *earlier)
{
    gui_result *r = gui_result_new();
    flowsplit_options *again = g_new0(flowsplit_options, 1);
    char *text = g_strdup_printf("Nothing was exported: %s already holds a split (%s).\n\n"
                                 "Choose Replace it to remove that split and write this one, "
                                 "or export again to another folder.\n", opts->out_dir, earlier);

    gui_result_text(r, text);
    options_copy(again, opts);
    gui_result_button(r, "Replace it", replace_and_export, again, options_free);
    gui_result_folder_button(r, opts->out_dir);
    gui_result_show(r);
    g_free(text);
}

/* The split itself: the result window's text, or NULL with the reason in
 * *refusal when nothing could start. */
static char *
split_open_capture(const flowsplit_options *opts, char **refusal)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    split_session *s = intake_session_new(opts, refusal);
    char *summary, *text;
    guint32 unread;
    gboolean ok;

    if (s == NULL)
        return NULL;
    if (!intake_register(s, refusal)) {
        intake_session_free(s);
        return NULL;
    }
    ops->retap_packets(ops->ops_id);
    ok = intake_finish(s);
    summary = intake_summary(s);
    unread = intake_unread_frame(s);
    if (ok && unread != 0)
        text = g_strdup_printf("The export is incomplete: it was stopped before frame %u. The files in %s hold "
                               "their streams' frames up to there; export again for all of them.\n\n%s\n",
                               unread, opts->out_dir, summary);
    else if (ok)
        text = g_strdup_printf("Exported to %s\n\n%s\n", opts->out_dir, summary);
    else
        text = g_strdup_printf("The export is incomplete.\n\n%s\n%s\n", intake_error(s), summary);
    g_free(summary);
    intake_session_free(s);
    return text;
}

void
gui_export_run(const flowsplit_options *opts)
{
    char *earlier = opts->replace ? NULL : outdir_earlier_split(opts->out_dir);
    char *refusal = NULL;
    char *text;
    gui_result *r;

    if (earlier != NULL) {
        show_refused(opts, earlier);
        g_free(earlier);
        return;
    }
    text = split_open_capture(opts, &refusal);
    r = gui_result_new();
    if (text == NULL) {
        text = g_strdup_printf("Nothing was exported.\n\n%s\n", refusal);
        g_free(refusal);
        gui_result_text(r, text);
    } else {
        gui_result_text(r, text);
        gui_result_index(r, opts->out_dir);
        gui_result_folder_button(r, opts->out_dir);
    }
    gui_result_show(r);
    g_free(text);
}
