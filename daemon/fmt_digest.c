/* fmt_digest.c - digest bodies and their plain-text rendering (see fmt_digest.h). */
#include "fmt_digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const month_names[] = { "January", "February", "March",     "April",   "May",      "June",
                                           "July",    "August",   "September", "October", "November", "December" };
static const char *const day_titles[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                          "Sunday" };
static const char *const levels[] = { "high", "medium", "low" };

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* An event's overlap level ("high", "medium", "low"), or NULL for events
 * that are not about an overlap. */
static const char *event_level(const json_t *e)
{
    if (strncmp(str(e, "type"), "overlap.", 8) != 0)
        return NULL;
    const char *l = str(json_object_get(json_object_get(e, "data"), "overlap"), "level");
    for (int i = 0; i < 3; i++)
        if (strcmp(l, levels[i]) == 0)
            return levels[i];
    return NULL;
}

json_t *digest_body(const digest_window *w, const json_t *events, size_t total)
{
    if (!json_is_array(events))
        return NULL;
    size_t n = json_array_size(events);
    if (total < n)
        total = n;
    json_int_t count[3] = { 0, 0, 0 };
    size_t i;
    const json_t *e;
    json_array_foreach(events, i, e) {
        const char *l = event_level(e);
        for (int k = 0; l && k < 3; k++)
            if (l == levels[k])
                count[k]++;
    }
    char ts[32], start[32], end[32];
    digest_rfc3339(w->now, ts, sizeof ts);
    digest_rfc3339(w->start, start, sizeof start);
    digest_rfc3339(w->end, end, sizeof end);
    char *console = NULL;
    if (asprintf(&console, "%s/console/#/overlaps", w->public_base ? w->public_base : "") < 0)
        return NULL;
    json_t *body = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}, s:I, s:{s:I, s:I, s:I}, s:O, s:I, s:s}}", "type",
                             "digest", "timestamp", ts, "data", "delivery", digest_delivery_name(w->delivery),
                             "window", "start", start, "end", end, "count", (json_int_t)total, "levels", "high",
                             count[0], "medium", count[1], "low", count[2], "events", events, "omitted",
                             (json_int_t)(total - n), "console_url", console);
    free(console);
    return body;
}

void digest_london_text(time_t t, char *buf, size_t size)
{
    int y, m, d, minute, wd;
    london_from_utc(t, &y, &m, &d, &minute, &wd);
    snprintf(buf, size, "%s %d %s %d, %02d:%02d", day_titles[wd], d, month_names[m - 1], y, minute / 60,
             minute % 60);
}

/* Closes the stream (which sets *buf) and hands over its text (NULL on failure). */
static char *finish(FILE *f, char **buf)
{
    if (fclose(f) != 0) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

static time_t parse_rfc3339(const char *s)
{
    struct tm tm = { 0 };
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return 0;
    return timegm(&tm);
}

char *digest_subject(const json_t *digest)
{
    const json_t *data = json_object_get(digest, "data");
    const json_t *win = json_object_get(data, "window");
    json_int_t n = json_integer_value(json_object_get(data, "count"));
    json_int_t high = json_integer_value(json_object_get(json_object_get(data, "levels"), "high"));
    time_t start = parse_rfc3339(str(win, "start")), end = parse_rfc3339(str(win, "end"));
    int y1, m1, d1, y2, m2, d2, min, wd;
    london_from_utc(start, &y1, &m1, &d1, &min, &wd);
    london_from_utc(end, &y2, &m2, &d2, &min, &wd);
    char *out = NULL;
    char highs[32] = "";
    if (high > 0)
        snprintf(highs, sizeof highs, " (%lld high)", (long long)high);
    char span[96];
    if (y1 == y2 && m1 == m2 && d1 == d2)
        snprintf(span, sizeof span, "%d %s %d", d2, month_names[m2 - 1], y2);
    else if (y1 == y2)
        snprintf(span, sizeof span, "%d %s to %d %s %d", d1, month_names[m1 - 1], d2, month_names[m2 - 1], y2);
    else
        snprintf(span, sizeof span, "%d %s %d to %d %s %d", d1, month_names[m1 - 1], y1, d2, month_names[m2 - 1],
                 y2);
    if (asprintf(&out, "consultd %s digest: %lld alert%s%s, %s", str(data, "delivery"), (long long)n,
                 n == 1 ? "" : "s", highs, span) < 0)
        return NULL;
    return out;
}

/* Text with control characters (line breaks included) written as spaces. */
static void put_flat(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

/* One event: "- <subject>", its explanation (overlaps), and its console link. */
static void put_event(FILE *f, const json_t *e, const alert_context *c)
{
    const json_t *data = json_object_get(e, "data");
    char *subject = alert_subject(e, c);
    fputs("- ", f);
    put_flat(f, subject ? subject : str(e, "type"));
    free(subject);
    fputc('\n', f);
    const json_t *o = json_object_get(data, "overlap");
    if (o) {
        fprintf(f, "  Score %.2f, status %s.\n  ", json_number_value(json_object_get(o, "score")), str(o, "status"));
        put_flat(f, str(o, "explanation"));
        fputc('\n', f);
    }
    if (*str(data, "console_url")) {
        fputs("  ", f);
        put_flat(f, str(data, "console_url"));
        fputc('\n', f);
    }
}

static void put_section(FILE *f, const char *title, const json_t *events, const char *level, bool others,
                        const alert_context *c)
{
    size_t n = 0, i;
    const json_t *e;
    json_array_foreach(events, i, e) {
        const char *l = event_level(e);
        if (others ? l == NULL : (l && strcmp(l, level) == 0))
            n++;
    }
    if (n == 0)
        return;
    char head[96];
    int width = snprintf(head, sizeof head, "%s (%zu)", title, n);
    fprintf(f, "\n%s\n", head);
    for (int k = 0; k < width; k++)
        fputc('=', f);
    fputc('\n', f);
    json_array_foreach(events, i, e) {
        const char *l = event_level(e);
        if (others ? l == NULL : (l && strcmp(l, level) == 0)) {
            fputc('\n', f);
            put_event(f, e, c);
        }
    }
}

char *digest_text(const json_t *digest, const alert_context *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const json_t *data = json_object_get(digest, "data");
    const json_t *win = json_object_get(data, "window");
    const json_t *events = json_object_get(data, "events");
    json_int_t n = json_integer_value(json_object_get(data, "count"));
    char from[80], to[80];
    digest_london_text(parse_rfc3339(str(win, "start")), from, sizeof from);
    digest_london_text(parse_rfc3339(str(win, "end")), to, sizeof to);
    fprintf(f, "Your %s digest from consultd: %lld alert%s from %s to %s (UK time).\n", str(data, "delivery"),
            (long long)n, n == 1 ? "" : "s", from, to);
    put_section(f, "High-level overlaps", events, "high", false, c);
    put_section(f, "Medium-level overlaps", events, "medium", false, c);
    put_section(f, "Low-level overlaps", events, "low", false, c);
    put_section(f, "Other alerts", events, NULL, true, c);
    json_int_t omitted = json_integer_value(json_object_get(data, "omitted"));
    if (omitted > 0)
        fprintf(f, "\n%lld more alert%s in this window %s not listed here.\n", (long long)omitted,
                omitted == 1 ? "" : "s", omitted == 1 ? "is" : "are");
    if (*str(data, "console_url")) {
        fputs("\nEvery overlap in the console: ", f);
        put_flat(f, str(data, "console_url"));
        fputc('\n', f);
    }
    return finish(f, &buf);
}
