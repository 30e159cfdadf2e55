/* test_stream_list.c
 * Unit tests of the streams=LIST option (plugin/stream_list.h): numbers,
 * closed and open ranges, their edges (0, the largest stream number), and
 * lists that are not N, N-M or N- items, whose error must quote the list
 * and the bad item.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include "stream_list.h"
#include "unit_support.h"

static stream_list *
parse_ok(const char *text)
{
    char *error = NULL;
    stream_list *l = stream_list_parse(text, &error);

    if (l == NULL)
        g_error("\"%s\" refused: %s", text, error);
    g_assert_null(error);
    return l;
}

static void
test_contains(void)
{
    stream_list *l = parse_ok("0-99,150,200-");

    g_assert_true(stream_list_contains(l, 0));
    g_assert_true(stream_list_contains(l, 42));
    g_assert_true(stream_list_contains(l, 99));
    g_assert_false(stream_list_contains(l, 100));
    g_assert_false(stream_list_contains(l, 149));
    g_assert_true(stream_list_contains(l, 150));
    g_assert_false(stream_list_contains(l, 151));
    g_assert_false(stream_list_contains(l, 199));
    g_assert_true(stream_list_contains(l, 200));
    g_assert_true(stream_list_contains(l, G_MAXUINT32));
    stream_list_free(l);
}

static void
test_edges(void)
{
    stream_list *l;

    l = parse_ok("7");
    g_assert_true(stream_list_contains(l, 7));
    g_assert_false(stream_list_contains(l, 6));
    g_assert_false(stream_list_contains(l, 8));
    stream_list_free(l);

    l = parse_ok("4294967295");
    g_assert_true(stream_list_contains(l, G_MAXUINT32));
    g_assert_false(stream_list_contains(l, 0));
    stream_list_free(l);

    l = parse_ok("0-");
    g_assert_true(stream_list_contains(l, 0));
    g_assert_true(stream_list_contains(l, G_MAXUINT32));
    stream_list_free(l);

    l = parse_ok("5-5,3-4,3");     /* a one-stream range, overlaps, any order */
    g_assert_true(stream_list_contains(l, 3));
    g_assert_true(stream_list_contains(l, 4));
    g_assert_true(stream_list_contains(l, 5));
    g_assert_false(stream_list_contains(l, 6));
    g_assert_false(stream_list_contains(l, 2));
    stream_list_free(l);

    l = parse_ok("007");            /* leading zeros are still decimal */
    g_assert_true(stream_list_contains(l, 7));
    stream_list_free(l);

    stream_list_free(NULL);
}

/* A bad list and the item its error must quote (NULL: only the list). */
typedef struct {
    const char *text;
    const char *item;
} bad_list;

static const bad_list bad_lists[] = {
    { "5-3", "5-3" },
    { "a", "a" },
    { "1,b,3", "b" },
    { "-5", "-5" },
    { " 1", " 1" },
    { "1 ", "1 " },
    { "1--2", "1--2" },
    { "1-2-3", "1-2-3" },
    { "1,", "" },
    { ",1", "" },
    { "1,,2", "" },
    { "4294967296", "4294967296" },
    { "0-4294967296", "0-4294967296" },
    { "+1", "+1" },
    { "0x10", "0x10" },
    { "1.5", "1.5" },
    { "", NULL },
};

static void
test_invalid(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(bad_lists); i++) {
        const bad_list *b = &bad_lists[i];
        char *error = NULL;
        stream_list *l = stream_list_parse(b->text, &error);

        if (l != NULL)
            g_error("\"%s\" was taken", b->text);
        g_assert_nonnull(error);
        g_assert_true(g_str_has_prefix(error, "flowsplit: "));
        g_assert_nonnull(strstr(error, "streams"));
        if (b->item != NULL) {
            char *quoted_list = g_strdup_printf("\"%s\"", b->text);
            char *quoted_item = g_strdup_printf("\"%s\"", b->item);

            g_assert_nonnull(strstr(error, quoted_list));
            g_assert_nonnull(strstr(error, quoted_item));
            g_free(quoted_list);
            g_free(quoted_item);
        }
        g_free(error);
    }
}

int
main(int argc, char **argv)
{
    unit_init(&argc, &argv);
    g_test_add_func("/stream-list/contains", test_contains);
    g_test_add_func("/stream-list/edges", test_edges);
    g_test_add_func("/stream-list/invalid", test_invalid);
    return g_test_run();
}
