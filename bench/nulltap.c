/* nulltap.c
 * The benchmark's floor: a tap on `tcp` that does nothing. With it tshark
 * runs the same dissection a split needs (a bare `tshark -q` skips
 * dissection entirely, so it is no floor). Enabled by -X nulltap:on; built
 * as a plugin of its own that only bench/run loads.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_BUILD_DLL
#define WS_LOG_DOMAIN "nulltap"

#include <wireshark.h>

#include <epan/ex-opt.h>
#include <epan/packet.h>
#include <epan/tap.h>

WS_DLL_PUBLIC_DEF const char plugin_version[] = "0.0.1";
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

static int nulltap_key;

static tap_packet_status
nulltap_packet(void *tapdata _U_, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data _U_,
               tap_flags_t flags _U_)
{
    return TAP_PACKET_DONT_REDRAW;
}

static void
nulltap_register(void)
{
    GString *err;

    if (ex_opt_count("nulltap") == 0)
        return;
    err = register_tap_listener("tcp", &nulltap_key, NULL, TL_REQUIRES_NOTHING, NULL, nulltap_packet, NULL, NULL);
    if (err != NULL) {
        ws_warning("%s", err->str);
        g_string_free(err, TRUE);
    }
}

void
plugin_register(void)
{
    static tap_plugin plug;

    plug.register_tap_listener = nulltap_register;
    tap_register_plugin(&plug);
}
