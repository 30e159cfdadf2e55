/* options_cli.c
 * The -X flowsplit: options of tshark's own command line (epan's ex-opt
 * table), read with options.c's parser. Apart from options.c so that the
 * flowsplit command, which reads its arguments itself, does not link
 * libwireshark: loading it costs every run of the command a seventh of a
 * second.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "options.h"

#include <epan/ex-opt.h>

gboolean
options_parse_command_line(flowsplit_options *opts, char **error)
{
    int n = ex_opt_count("flowsplit");
    const char **items = g_new0(const char *, n > 0 ? n : 1);
    gboolean ok;

    for (int i = 0; i < n; i++)
        items[i] = ex_opt_get_nth("flowsplit", i);
    ok = options_parse_strings(opts, items, (guint)n, error);
    g_free(items);
    return ok;
}
