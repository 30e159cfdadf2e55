/* gui_export.h
 * One export of the capture open in Wireshark, from any GUI entry.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef FLOWSPLIT_GUI_EXPORT_H
#define FLOWSPLIT_GUI_EXPORT_H

#include "options.h"

/* Splits the open capture with opts (out_dir set) and shows the result
 * window; returns when the split is written and every listener removed.
 * A folder that holds a split is left alone unless opts->replace: the
 * window then offers to replace it. */
void gui_export_run(const flowsplit_options *opts);

#endif /* FLOWSPLIT_GUI_EXPORT_H */
