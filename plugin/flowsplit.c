/* flowsplit.c
 * The plugin: registration with Wireshark, and the tshark side of a split
 * (-X flowsplit:out=DIR): start it before the first frame, report it and
 * set the exit status after the last.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_BUILD_DLL
#define WS_LOG_DOMAIN "flowsplit"

#include <wireshark.h>

#include <stdio.h>
#include <stdlib.h>

#include <epan/funnel.h>
#include <epan/packet.h>
#include <epan/tap.h>
#include <wsutil/wslog.h>

#include "frame_block.h"
#include "gui_action.h"
#include "intake.h"
#include "options.h"
#include "ws_compat.h"

#ifdef FS_HAVE_PLUGIN_DESCRIBE
#include <wsutil/plugins.h>
#endif

/* Exit status of tshark when the options or the output folder are bad,
 * and when the split could not be completed. */
#define FLOWSPLIT_EXIT_USAGE 1
#define FLOWSPLIT_EXIT_FAILED 2

/* How often a live capture's files are looked at for ended and idle
 * streams (intake_tick). */
#define FLOWSPLIT_TICK_MS 250

WS_DLL_PUBLIC_DEF const char plugin_version[] = FLOWSPLIT_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

#ifdef FS_HAVE_PLUGIN_DESCRIBE
/* What tshark -G plugins says the plugin is (read from 4.2 on): a
 * protocol with a postdissector, and tap listeners. */
WS_DLL_PUBLIC uint32_t plugin_describe(void);

uint32_t
plugin_describe(void)
{
    return WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER;
}
#endif

/* Globals, because Wireshark's registration hooks (protocol register and
 * handoff, the tap plugin's register call) take no pointer of ours: the
 * tshark split is one per process, its options read from the command line
 * once. The timer and the done callback share that state. */
static int proto_flowsplit = -1;
static flowsplit_options cli_options;
static split_session *cli_session;
static gboolean cli_done;
static gboolean cli_error_shown;

static gboolean
running_in_gui(void)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();

    return ops != NULL && ops->retap_packets != NULL;
}

static void
proto_register_flowsplit(void)
{
    char *error = NULL;

    proto_flowsplit = proto_register_protocol("flowsplit: one capture file per TCP, UDP or DCCP stream", "flowsplit", "flowsplit");
    gui_action_register(proto_flowsplit);
    if (!options_parse_command_line(&cli_options, &error)) {
        fprintf(stderr, "%s\n", error);
        g_free(error);
        exit(FLOWSPLIT_EXIT_USAGE);
    }
}

static void
proto_reg_handoff_flowsplit(void)
{
    frame_block_register(proto_flowsplit);
}

/* After the last frame (the frame listener's finish, at tshark's exit). */
static void
cli_split_done(split_session *s, void *user_data _U_)
{
    char *summary = intake_summary(s);
    const char *error = intake_error(s);

    cli_done = TRUE;
    if (error != NULL && !cli_error_shown)
        fprintf(stderr, "%s\n", error);
    fprintf(stderr, "%s\n", summary);
    g_free(summary);
    if (error != NULL) {
        fflush(NULL);
        exit(FLOWSPLIT_EXIT_FAILED);
    }
}

/* A timer on GLib's main loop, which tshark runs only while it captures
 * (tshark -i): there it closes the files of ended and idle streams as time
 * passes, and says at once when the split has failed (the capture goes on;
 * the exit status says so at the end). Reading a file (-r) never runs the
 * main loop, so a split of a file never depends on the clock. */
static gboolean
cli_tick(gpointer user_data _U_)
{
    const char *error;

    if (cli_done)
        return G_SOURCE_REMOVE;
    if (intake_tick(cli_session) || cli_error_shown)
        return G_SOURCE_CONTINUE;
    error = intake_error(cli_session);
    if (error != NULL) {
        fprintf(stderr, "%s\n", error);
        cli_error_shown = TRUE;
    }
    return G_SOURCE_CONTINUE;
}

/* Runs after epan_init, when display filters work: a listener with a
 * filter must not be registered earlier. */
static void
register_cli_split(void)
{
    char *error = NULL;

    if (!cli_options.given)
        return;
    if (running_in_gui()) {
        ws_warning("-X flowsplit: is for tshark; in Wireshark use Tools > Export streams");
        return;
    }
    cli_session = intake_session_new(&cli_options, &error);
    if (cli_session == NULL || !intake_register(cli_session, &error)) {
        fprintf(stderr, "%s\n", error);
        g_free(error);
        exit(FLOWSPLIT_EXIT_USAGE);
    }
    intake_set_done_callback(cli_session, cli_split_done, NULL);
    g_timeout_add(FLOWSPLIT_TICK_MS, cli_tick, NULL);
}

void
plugin_register(void)
{
    static proto_plugin plug_proto;
    static tap_plugin plug_tap;

    plug_proto.register_protoinfo = proto_register_flowsplit;
    plug_proto.register_handoff = proto_reg_handoff_flowsplit;
    proto_register_plugin(&plug_proto);

    plug_tap.register_tap_listener = register_cli_split;
    tap_register_plugin(&plug_tap);
}
