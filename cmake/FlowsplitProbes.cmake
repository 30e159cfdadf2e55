# SPDX-License-Identifier: GPL-2.0-or-later
#
# Feature probes for the parts of the Wireshark API that changed between
# 4.0 and 4.6. Each probe compiles a line against the installed headers, so
# a version we have not seen (4.2) gets the right answer without guessing.
# The results reach plugin/ws_compat.h as FS_HAVE_* definitions.
include(CheckCSourceCompiles)

set(CMAKE_REQUIRED_INCLUDES "")
foreach(_fs_target epan wiretap wsutil)
  get_target_property(_fs_inc ${_fs_target} INTERFACE_INCLUDE_DIRECTORIES)
  if(_fs_inc)
    list(APPEND CMAKE_REQUIRED_INCLUDES ${_fs_inc})
  endif()
endforeach()
set(CMAKE_REQUIRED_FLAGS "-Werror=incompatible-pointer-types -Werror=implicit-function-declaration")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# A baseline that every supported version compiles: when it fails, the
# probes below would fail for the wrong reason (headers not found).
check_c_source_compiles("
#include <wireshark.h>
#include <epan/epan.h>
#include <wiretap/wtap.h>
int f(void) { return WIRESHARK_VERSION_MAJOR + wtap_pcapng_file_type_subtype(); }
" FS_PROBE_BASELINE)
if(NOT FS_PROBE_BASELINE)
  message(FATAL_ERROR "flowsplit: cannot compile against the Wireshark headers; see CMakeFiles/CMakeError.log")
endif()

check_c_source_compiles("
#include <wireshark.h>
#include <epan/epan.h>
const char *f(const epan_t *s) { return epan_get_interface_name(s, 0, 0); }
" FS_HAVE_IFNAME_SECTION)

check_c_source_compiles("
#include <wireshark.h>
#include <wiretap/wtap.h>
int f(wtap_dumper *d, const wtap_rec *r, int *e, char **i) { return wtap_dump(d, r, e, i); }
" FS_HAVE_WTAP_REC_DATA)

check_c_source_compiles("
#include <wireshark.h>
#include <epan/packet_info.h>
GHashTable *f(packet_info *p) { return p->dependent_frames; }
" FS_HAVE_DEPENDENT_FRAMES_HASH)

# 4.4 moved that table into the frame's frame_data.
check_c_source_compiles("
#include <wireshark.h>
#include <epan/packet_info.h>
#include <epan/frame_data.h>
GHashTable *f(packet_info *p) { return p->fd->dependent_frames; }
" FS_HAVE_FD_DEPENDENT_FRAMES)

# Callbacks that return a truth value: gboolean up to 4.2, C's bool from 4.4.
check_c_source_compiles("
#include <wireshark.h>
#include <wiretap/wtap_opttypes.h>
static bool cb(wtap_block_t b, unsigned id, wtap_opttype_e t, wtap_optval_t *v, void *u)
{ (void)b; (void)id; (void)t; (void)v; (void)u; return true; }
void f(wtap_block_t b) { wtap_block_foreach_option(b, cb, NULL); }
" FS_HAVE_BOOL_CALLBACKS)

# plugin_describe(), read by the plugin loader from 4.2 on.
check_c_source_compiles("
#include <wireshark.h>
#include <wsutil/plugins.h>
unsigned long f(void) { return WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER; }
" FS_HAVE_PLUGIN_DESCRIBE)

# The capture file tshark or Wireshark reads (its section header and its
# decryption secrets, which stream files carry too): cfile.h declares the
# packet provider that holds it.
check_c_source_compiles("
#include <wireshark.h>
#include <cfile.h>
wtap *f(struct packet_provider_data *p) { return p->wth; }
" FS_HAVE_PROVIDER_WTH)

# Name Resolution Blocks a dumper writes before its next packet (4.2 on):
# tshark -w carries the input's NRBs into the files it writes from then on.
check_c_source_compiles("
#include <wireshark.h>
#include <wiretap/wtap.h>
const GArray *f(wtap_dump_params *p) { return p->nrbs_growing; }
" FS_HAVE_DUMP_NRBS_GROWING)

# 4.6 stopped exporting the DCCP stream counter (TCP's and UDP's stay).
check_c_source_compiles("
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/dissectors/packet-dccp.h>
unsigned f(void) { return get_dccp_stream_count(); }
" FS_HAVE_DCCP_STREAM_COUNT)

# The text window's button callback: gboolean on 4.0, C's bool on 4.4 (gcc
# 14 refuses the mismatched function pointer); probed on its own, since the
# funnel need not have changed with the wiretap callbacks above.
check_c_source_compiles("
#include <wireshark.h>
#include <epan/funnel.h>
static bool cb(funnel_text_window_t *w, void *d) { (void)w; (void)d; return true; }
void f(funnel_bt_t *b) { b->func = cb; }
" FS_HAVE_FUNNEL_BOOL_BUTTON)

# Entries in the packet list's context menu (4.2 on).
check_c_source_compiles("
#include <wireshark.h>
#include <epan/funnel.h>
static void cb(void *d, GPtrArray *f) { (void)d; (void)f; }
void f(void) { funnel_register_packet_menu(\"x\", \"tcp.stream\", cb, NULL, false); }
" FS_HAVE_FUNNEL_PACKET_MENU)

set(FLOWSPLIT_PROBE_DEFINITIONS "")
foreach(_p FS_HAVE_IFNAME_SECTION FS_HAVE_WTAP_REC_DATA FS_HAVE_DEPENDENT_FRAMES_HASH FS_HAVE_FD_DEPENDENT_FRAMES
           FS_HAVE_BOOL_CALLBACKS
           FS_HAVE_PLUGIN_DESCRIBE FS_HAVE_PROVIDER_WTH FS_HAVE_DUMP_NRBS_GROWING
           FS_HAVE_DCCP_STREAM_COUNT FS_HAVE_FUNNEL_BOOL_BUTTON FS_HAVE_FUNNEL_PACKET_MENU)
  if(${_p})
    list(APPEND FLOWSPLIT_PROBE_DEFINITIONS ${_p}=1)
  endif()
endforeach()
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_TRY_COMPILE_TARGET_TYPE)
