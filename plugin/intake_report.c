/* intake_report.c
 * What a split says of itself: a progress line on a terminal while frames
 * come in, and the one-line summary at the end.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "intake_int.h"

#include <stdio.h>

void
intake_show_progress(split_session *s, gboolean last)
{
    writer_cache_stats st;
    gint64 now;

    if (!s->progress_tty)
        return;
    now = g_get_monotonic_time();
    if (!last && now - s->progress_at < G_USEC_PER_SEC)
        return;
    if (s->progress_at == 0 && !last) {     /* first call: start the clock */
        s->progress_at = now;
        return;
    }
    s->progress_at = now;
    if (last) {
        if (s->progress_shown)
            fputs("\r\033[K", stderr);
        return;
    }
    writer_cache_get_stats(s->wc, &st);
    fprintf(stderr, "\rflowsplit: %" G_GUINT64_FORMAT " frames read, %u streams, %.1f MB written\033[K",
            s->frames_seen, s->n_streams, st.bytes / 1e6);
    s->progress_shown = TRUE;
}

/* A split that failed: how far it got, and what its files hold. */
static char *
failed_summary(const split_session *s, const writer_cache_stats *st)
{
    GString *line = g_string_new(NULL);

    g_string_printf(line, "flowsplit: split incomplete: %u streams, %" G_GUINT64_FORMAT " frames read; "
                    "the %" G_GUINT64_FORMAT " files in %s hold their frames up to the last complete one",
                    s->n_streams, s->frames_seen, st->files, s->opts.out_dir);
    if (st->removed > 0)
        g_string_append_printf(line, " (%" G_GUINT64_FORMAT " empty files removed)", st->removed);
    return g_string_free(line, FALSE);
}

char *
intake_summary(const split_session *s)
{
    writer_cache_stats st;
    GString *line;
    guint64 dropped = s->fq ? frame_queue_fragments_dropped(s->fq) : 0;

    writer_cache_get_stats(s->wc, &st);
    if (s->failed)
        return failed_summary(s, &st);
    line = g_string_new(NULL);
    g_string_printf(line, "flowsplit: %u streams, %" G_GUINT64_FORMAT " frames written to %" G_GUINT64_FORMAT
                    " files in %s (%.1f MB), %" G_GUINT64_FORMAT " reopens after eviction, at most %u files open (max_open=%u)",
                    s->n_streams, st.frames, st.files, s->opts.out_dir, st.bytes / 1e6, st.reopens,
                    st.open_most, writer_cache_max_open(s->wc));
    if (st.converted > 0)
        g_string_append_printf(line, ", %" G_GUINT64_FORMAT " files written as pcapng (pcap could not hold their frames)",
                               st.converted);
    if (dropped > 0)
        g_string_append_printf(line, ", %" G_GUINT64_FORMAT " IP fragment%s of no complete datagram skipped", dropped,
                               dropped == 1 ? "" : "s");
    if (capture_meta_secrets(s->meta)->len > 0 && writer_cache_pcap_files(s->wc) > 0)
        g_string_append(line, "; the capture's decryption secrets are not in the pcap files (pcap cannot hold them; "
                              "format=pcapng keeps them)");
    return g_string_free(line, FALSE);
}
