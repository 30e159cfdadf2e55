/* gui_prefs.c
 * The flowsplit preferences (Edit > Preferences > Protocols > flowsplit):
 * the export folder (with Wireshark's Browse button, the one folder picker
 * a plugin can offer), the format and the transports. Tools > Export
 * streams starts from them and stores its answers in them; the packet
 * menu exports with them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_LOG_DOMAIN "flowsplit"

#include "gui_prefs.h"

#include <epan/prefs.h>
#include <wsutil/wslog.h>

static const enum_val_t format_values[] = {
    { "pcapng", "pcapng", FS_FORMAT_PCAPNG },
    { "pcap", "pcap", FS_FORMAT_PCAP },
    { NULL, NULL, -1 }
};

/* Static: Wireshark's preference table points at them for as long as the
 * plugin is loaded. */
static const char *pref_folder = "";
static gint pref_format = FS_FORMAT_PCAPNG;
static const char *pref_transports = "tcp";

void
gui_prefs_register(int proto_flowsplit)
{
    module_t *module = prefs_register_protocol(proto_flowsplit, NULL);

    prefs_register_directory_preference(module, "export_folder", "Export folder",
                                        "Where Tools > Export streams and the packet menu's Export this stream "
                                        "write one capture file per stream and streams.csv",
                                        &pref_folder);
    prefs_register_enum_preference(module, "export_format", "Export format",
                                   "The format of the files the GUI exports", &pref_format, format_values, FALSE);
    prefs_register_string_preference(module, "export_proto", "Transports to export",
                                      "The transports whose streams Tools > Export streams exports: tcp, udp, dccp, "
                                      "all, or a list such as tcp,udp",
                                      &pref_transports);
    /* Earlier versions remembered the answer "all" or "displayed"; the
     * dialog now
     * proposes "displayed" whenever a display filter is applied. */
    prefs_register_obsolete_preference(module, "export_streams");
}

char *
gui_prefs_folder(void)
{
    if (pref_folder == NULL || pref_folder[0] == '\0')
        return g_build_filename(g_get_home_dir(), "flowsplit", NULL);
    return g_strdup(pref_folder);
}

fs_format
gui_prefs_format(void)
{
    return pref_format == FS_FORMAT_PCAP ? FS_FORMAT_PCAP : FS_FORMAT_PCAPNG;
}

const char *
gui_prefs_transports(void)
{
    return pref_transports != NULL && pref_transports[0] != '\0' ? pref_transports : "tcp";
}

static void
set_pref(const char *name, const char *value)
{
    char *pref = g_strdup_printf("flowsplit.%s:%s", name, value);
    char *errmsg = NULL;

    prefs_set_pref(pref, &errmsg);
    g_free(pref);
    g_free(errmsg);
}

void
gui_prefs_remember(const char *folder, fs_format format, const char *transports)
{
    char *pf_path = NULL;
    int err;

    set_pref("export_folder", folder);
    set_pref("export_proto", transports);
    pref_format = format;
    err = write_prefs(&pf_path);
    if (err != 0)
        ws_warning("cannot save the flowsplit preferences to \"%s\": %s", pf_path, g_strerror(err));
    g_free(pf_path);
}
