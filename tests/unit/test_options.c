/* test_options.c
 * Unit tests of option parsing (plugin/options.h): the defaults with no
 * option, every key with valid values, options split over several -X or
 * sharing one with commas (and a comma inside out= kept), and invalid
 * strings, whose one-line error must name the option (key) at fault and
 * the value given, and leave no option half set. Also the deep copy, the
 * transport names, the -X command line as epan keeps it, and the default
 * max_open under a lowered open-file limit.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <sys/resource.h>

#include <glib.h>
#include <epan/ex-opt.h>

#include "options.h"
#include "unit_support.h"

static gboolean
parse1(flowsplit_options *opts, const char *item, char **error)
{
    const char *items[1] = { item };

    *error = NULL;
    return options_parse_strings(opts, items, 1, error);
}

static void
test_defaults(void)
{
    flowsplit_options o;
    char *error = NULL;

    g_assert_true(options_parse_strings(&o, NULL, 0, &error));
    g_assert_null(error);
    g_assert_false(o.given);
    g_assert_null(o.out_dir);
    g_assert_cmpint(o.format, ==, FS_FORMAT_PCAPNG);
    g_assert_cmpuint(o.max_open, ==, 0);
    g_assert_cmpuint(o.buffer_mb, ==, 32);
    g_assert_false(o.replace);
    g_assert_true(o.index);
    g_assert_true(o.files);
    g_assert_cmpuint(o.idle, ==, 60);
    g_assert_null(o.streams);
    g_assert_null(o.select);
    g_assert_cmpuint(o.transports, ==, FS_TRANSPORT_BIT(FS_TRANSPORT_TCP));
    g_assert_false(o.shard);
    g_assert_cmpint(o.group, ==, FS_GROUP_STREAM);
    options_clear(&o);
}

static void
test_every_key(void)
{
    flowsplit_options o;
    char *error;

    g_assert_true(parse1(&o, "out=/tmp/x,format=pcap,max_open=7,buffer_mb=0,replace=yes,index=no,files=yes,"
                             "idle=0,streams=0-9,20-,select=tcp.port == 80,proto=udp,dccp", &error));
    g_assert_null(error);
    g_assert_true(o.given);
    g_assert_cmpstr(o.out_dir, ==, "/tmp/x");
    g_assert_cmpint(o.format, ==, FS_FORMAT_PCAP);
    g_assert_cmpuint(o.max_open, ==, 7);
    g_assert_cmpuint(o.buffer_mb, ==, 0);
    g_assert_true(o.replace);
    g_assert_false(o.index);
    g_assert_true(o.files);
    g_assert_cmpuint(o.idle, ==, 0);
    g_assert_cmpstr(o.streams, ==, "0-9,20-");      /* a comma with no KEY= after it stays */
    g_assert_cmpstr(o.select, ==, "tcp.port == 80");
    g_assert_cmpuint(o.transports, ==, FS_TRANSPORT_BIT(FS_TRANSPORT_UDP) | FS_TRANSPORT_BIT(FS_TRANSPORT_DCCP));
    g_assert_false(o.shard);
    options_clear(&o);
    g_assert_null(o.out_dir);
    g_assert_true(parse1(&o, "out=/tmp/x,shard=yes", &error));
    g_assert_true(o.shard);
    options_clear(&o);
}

static void
test_values(void)
{
    static const char *const yes[] = { "yes", "YES", "true", "True", "1" };
    static const char *const no[] = { "no", "No", "false", "FALSE", "0" };
    flowsplit_options o;
    char *error, *item;

    for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
        item = g_strdup_printf("out=d,replace=%s,index=%s", yes[i], no[i]);
        g_assert_true(parse1(&o, item, &error));
        g_assert_true(o.replace);
        g_assert_false(o.index);
        options_clear(&o);
        g_free(item);
    }
    /* Bounds of the numbers. */
    g_assert_true(parse1(&o, "out=d,max_open=1,buffer_mb=65536,idle=86400", &error));
    g_assert_cmpuint(o.max_open, ==, 1);
    g_assert_cmpuint(o.buffer_mb, ==, 65536);
    g_assert_cmpuint(o.idle, ==, 86400);
    options_clear(&o);
    g_assert_true(parse1(&o, "out=d,max_open=1000000", &error));
    g_assert_cmpuint(o.max_open, ==, 1000000);
    options_clear(&o);
    /* Transports. */
    g_assert_true(parse1(&o, "out=d,proto=all", &error));
    g_assert_cmpuint(o.transports, ==, 7);
    options_clear(&o);
    g_assert_true(parse1(&o, "proto=tcp,out=d", &error));
    g_assert_cmpuint(o.transports, ==, FS_TRANSPORT_BIT(FS_TRANSPORT_TCP));
    options_clear(&o);
    /* A later value wins. */
    g_assert_true(parse1(&o, "out=a,out=b,format=pcap,format=pcapng", &error));
    g_assert_cmpstr(o.out_dir, ==, "b");
    g_assert_cmpint(o.format, ==, FS_FORMAT_PCAPNG);
    options_clear(&o);
    /* Groups; streams= and files=no go with any. */
    for (int g = 0; g < FS_GROUP_COUNT; g++) {
        item = g_strdup_printf("out=d,group=%s,streams=1-3,files=no", options_group_name((fs_group)g));
        g_assert_true(parse1(&o, item, &error));
        g_assert_cmpint(o.group, ==, g);
        options_clear(&o);
        g_free(item);
    }
    g_assert_cmpstr(options_group_name(FS_GROUP_CONVERSATION), ==, "conversation");
    g_assert_cmpstr(options_group_name(FS_GROUP_COUNT), ==, "unknown");
    /* select= and shard=yes go with group=stream. */
    g_assert_true(parse1(&o, "out=d,group=stream,select=tcp,shard=yes", &error));
    options_clear(&o);
    /* index=no alone, files=no alone. */
    g_assert_true(parse1(&o, "out=d,index=no", &error));
    options_clear(&o);
    g_assert_true(parse1(&o, "out=d,files=no", &error));
    options_clear(&o);
}

static void
test_commas_and_items(void)
{
    const char *items[] = { "out=/data/a,b", "format=pcap", "streams=1,2,3", "select=ip.addr == 10.0.0.1" };
    flowsplit_options o, copy;
    char *error = NULL;

    g_assert_true(options_parse_strings(&o, items, G_N_ELEMENTS(items), &error));
    g_assert_cmpstr(o.out_dir, ==, "/data/a,b");
    g_assert_cmpint(o.format, ==, FS_FORMAT_PCAP);
    g_assert_cmpstr(o.streams, ==, "1,2,3");
    /* A comma with no KEY= after it is part of the value. */
    g_assert_true(parse1(&copy, "out=d,nonsense", &error));
    g_assert_cmpstr(copy.out_dir, ==, "d,nonsense");
    options_clear(&copy);
    /* A value keeps its '=' signs. */
    g_assert_true(parse1(&copy, "out=x=y", &error));
    g_assert_cmpstr(copy.out_dir, ==, "x=y");
    options_clear(&copy);

    options_copy(&copy, &o);
    g_assert_true(copy.out_dir != o.out_dir);
    g_assert_true(copy.streams != o.streams);
    g_assert_true(copy.select != o.select);
    g_assert_cmpstr(copy.out_dir, ==, o.out_dir);
    g_assert_cmpstr(copy.select, ==, o.select);
    options_clear(&o);
    g_assert_cmpstr(copy.out_dir, ==, "/data/a,b");    /* still its own */
    options_clear(&copy);
}

/* An invalid option string and the words its error must hold. */
typedef struct {
    const char *item;
    const char *names[4];   /* NULL-terminated */
} bad_case;

static const bad_case bad_cases[] = {
    { "out=d,colour=blue", { "\"colour\"", "valid keys", NULL } },
    { "out=d,format=pcapngx", { "format", "\"pcapngx\"", "pcapng, pcap" } },
    { "out=d,format=", { "format", NULL } },
    { "out=d,max_open=0", { "max_open", "\"0\"", "1 to 1000000" } },
    { "out=d,max_open=1000001", { "max_open", "\"1000001\"", NULL } },
    { "out=d,max_open=-1", { "max_open", "\"-1\"", NULL } },
    { "out=d,max_open=+5", { "max_open", "\"+5\"", NULL } },
    { "out=d,max_open= 5", { "max_open", NULL } },
    { "out=d,max_open=5x", { "max_open", "\"5x\"", NULL } },
    { "out=d,max_open=", { "max_open", NULL } },
    { "out=d,max_open=99999999999999999999999", { "max_open", NULL } },
    { "out=d,buffer_mb=65537", { "buffer_mb", "\"65537\"", NULL } },
    { "out=d,buffer_mb=lots", { "buffer_mb", "\"lots\"", NULL } },
    { "out=d,idle=86401", { "idle", "\"86401\"", NULL } },
    { "out=d,replace=maybe", { "replace", "\"maybe\"", "yes, no" } },
    { "out=d,index=", { "index", NULL } },
    { "out=d,files=2", { "files", "\"2\"", NULL } },
    { "out=d,streams=5-3", { "streams", "\"5-3\"", NULL } },
    { "out=d,streams=abc", { "streams", "\"abc\"", NULL } },
    { "out=d,streams=", { "streams", NULL } },
    { "out=d,proto=icmp", { "proto", "\"icmp\"", "tcp, udp, dccp, all" } },
    { "out=d,proto=", { "proto", NULL } },
    { "out=d,select=", { "select", NULL } },
    { "out=", { "out", NULL } },
    { "nonsense,out=d", { "\"nonsense\"", "KEY=VALUE", NULL } },
    { "=d", { "\"=d\"", "KEY=VALUE", NULL } },
    { "format=pcap", { "out=DIR", NULL } },
    { "out=d,index=no,files=no", { "index=no", "files=no", NULL } },
    { "out=d,shard=perhaps", { "shard", "\"perhaps\"", "yes, no" } },
    { "out=d,shard=yes,streams=1-3", { "streams=", "flowsplit merge", NULL } },
    { "out=d,streams=1-3,shard=yes", { "streams=", "flowsplit merge", NULL } },
    { "out=d,group=hosts", { "group", "\"hosts\"", "stream, conversation, host, server" } },
    { "out=d,group=", { "group", "\"\"", NULL } },
    { "out=d,group=host,select=tcp", { "select=", "group=host", "streams=" } },
    { "out=d,select=tcp,group=conversation", { "select=", "group=conversation", NULL } },
    { "out=d,group=server,shard=yes", { "shard=yes", "group=server", NULL } },
};

static void
test_invalid(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        const bad_case *b = &bad_cases[i];
        flowsplit_options o;
        char *error = NULL;

        memset(&o, 0xAB, sizeof o);
        if (g_test_verbose())
            g_test_message("%s", b->item);
        g_assert_false(parse1(&o, b->item, &error));
        g_assert_nonnull(error);
        g_assert_true(g_str_has_prefix(error, "flowsplit: "));
        g_assert_null(strchr(error, '\n'));             /* one line */
        for (guint k = 0; b->names[k] != NULL; k++) {
            if (strstr(error, b->names[k]) == NULL)
                g_error("error for \"%s\" does not name %s: %s", b->item, b->names[k], error);
        }
        /* Nothing half set is left to free. */
        g_assert_null(o.out_dir);
        g_assert_null(o.streams);
        g_assert_null(o.select);
        g_free(error);
    }
}

static void
test_transport_names(void)
{
    g_assert_cmpstr(options_transport_name(FS_TRANSPORT_TCP), ==, "tcp");
    g_assert_cmpstr(options_transport_name(FS_TRANSPORT_UDP), ==, "udp");
    g_assert_cmpstr(options_transport_name(FS_TRANSPORT_DCCP), ==, "dccp");
    g_assert_cmpstr(options_transport_name(FS_TRANSPORT_COUNT), ==, "unknown");
    g_assert_cmpstr(options_transport_stream_field(FS_TRANSPORT_TCP), ==, "tcp.stream");
    g_assert_cmpstr(options_transport_stream_field(FS_TRANSPORT_UDP), ==, "udp.stream");
    g_assert_cmpstr(options_transport_stream_field(FS_TRANSPORT_DCCP), ==, "dccp.stream");
    g_assert_cmpstr(options_transport_stream_field(FS_TRANSPORT_COUNT), ==, "unknown");
}

/* -X options as tshark stores them; another plugin's are not ours. */
static void
test_command_line(void)
{
    flowsplit_options o;
    char *error = NULL;

    g_assert_true(ex_opt_add("flowsplit:out=/tmp/cl,format=pcap"));
    g_assert_true(ex_opt_add("otherplugin:colour=blue"));
    g_assert_true(ex_opt_add("flowsplit:max_open=3"));
    g_assert_true(options_parse_command_line(&o, &error));
    g_assert_null(error);
    g_assert_true(o.given);
    g_assert_cmpstr(o.out_dir, ==, "/tmp/cl");
    g_assert_cmpint(o.format, ==, FS_FORMAT_PCAP);
    g_assert_cmpuint(o.max_open, ==, 3);
    options_clear(&o);

    g_assert_true(ex_opt_add("flowsplit:bogus=1"));
    g_assert_false(options_parse_command_line(&o, &error));
    g_assert_nonnull(strstr(error, "\"bogus\""));
    g_free(error);
}

static void
test_default_max_open(void)
{
    struct rlimit saved, rl;

    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &saved), ==, 0);
    rl = saved;
    rl.rlim_cur = 100 < saved.rlim_max ? 100 : saved.rlim_max;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);
    if (rl.rlim_cur == 100)
        g_assert_cmpuint(options_default_max_open(), ==, 100 - 32);
    rl.rlim_cur = 20 < saved.rlim_max ? 20 : saved.rlim_max;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);
    g_assert_cmpuint(options_default_max_open(), ==, 4);
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &saved), ==, 0);
    g_assert_cmpuint(options_default_max_open(), >=, 4);
    g_assert_cmpuint(options_default_max_open(), <=, 1000000);
}

int
main(int argc, char **argv)
{
    unit_init(&argc, &argv);
    g_test_add_func("/options/defaults", test_defaults);
    g_test_add_func("/options/every-key", test_every_key);
    g_test_add_func("/options/values", test_values);
    g_test_add_func("/options/commas-and-items", test_commas_and_items);
    g_test_add_func("/options/invalid", test_invalid);
    g_test_add_func("/options/transport-names", test_transport_names);
    g_test_add_func("/options/command-line", test_command_line);
    g_test_add_func("/options/default-max-open", test_default_max_open);
    return g_test_run();
}
