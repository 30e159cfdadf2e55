/* stream_list.c
 * Parses and answers the streams=LIST option: a comma-separated list of
 * stream numbers (N), ranges (N-M) and open ranges (N-, every stream from
 * N on). Asked once per stream, when it is first seen, never per frame.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "stream_list.h"

#include <errno.h>
#include <string.h>

typedef struct {
    guint32 first;
    guint32 last;
} stream_range;

struct stream_list {
    GArray *ranges;     /* stream_range */
};

/* A stream number at *p, which moves past it. */
static gboolean
parse_number(const char **p, guint32 *out)
{
    char *end;
    guint64 n;

    if (!g_ascii_isdigit(**p))
        return FALSE;
    errno = 0;
    n = g_ascii_strtoull(*p, &end, 10);
    if (errno != 0 || n > G_MAXUINT32)
        return FALSE;
    *out = (guint32)n;
    *p = end;
    return TRUE;
}

static gboolean
parse_item(const char *item, stream_range *r)
{
    const char *p = item;

    if (!parse_number(&p, &r->first))
        return FALSE;
    r->last = r->first;
    if (*p == '-') {
        p++;
        if (*p == '\0')
            r->last = G_MAXUINT32;
        else if (!parse_number(&p, &r->last) || r->last < r->first)
            return FALSE;
    }
    return *p == '\0';
}

stream_list *
stream_list_parse(const char *text, char **error)
{
    stream_list *list = g_new0(stream_list, 1);
    char **items = g_strsplit(text, ",", -1);

    list->ranges = g_array_new(FALSE, FALSE, sizeof(stream_range));
    if (items[0] == NULL) {
        *error = g_strdup("flowsplit: streams needs a list of streams, e.g. streams=0-99,150,200-");
        g_strfreev(items);
        stream_list_free(list);
        return NULL;
    }
    for (guint i = 0; items[i] != NULL; i++) {
        stream_range r;

        if (!parse_item(items[i], &r)) {
            *error = g_strdup_printf("flowsplit: bad value \"%s\" for streams: \"%s\" is not N, N-M or N- "
                                     "(e.g. streams=0-99,150,200-)", text, items[i]);
            g_strfreev(items);
            stream_list_free(list);
            return NULL;
        }
        g_array_append_val(list->ranges, r);
    }
    g_strfreev(items);
    return list;
}

gboolean
stream_list_contains(const stream_list *list, guint32 stream)
{
    for (guint i = 0; i < list->ranges->len; i++) {
        const stream_range *r = &g_array_index(list->ranges, stream_range, i);
        if (stream >= r->first && stream <= r->last)
            return TRUE;
    }
    return FALSE;
}

void
stream_list_free(stream_list *list)
{
    if (list == NULL)
        return;
    g_array_free(list->ranges, TRUE);
    g_free(list);
}
