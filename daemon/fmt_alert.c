/* fmt_alert.c - Slack and e-mail renderings of alert events. */
#include "fmt_alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fmt_digest.h"
#include "explain.h"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Text with control characters (line breaks included) written as spaces. */
static void put_flat(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

static const char *str_or_empty(const json_t *v)
{
    return json_string_value(v) ? json_string_value(v) : "";
}

static const char *area_label(const alert_context *c, const char *code)
{
    const char *name = c->area_name ? c->area_name(c->ctx, code) : NULL;
    return name ? name : code;
}

static void put_list(FILE *f, const json_t *arr)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) {
        fputs(i ? ", " : "", f);
        put_flat(f, json_string_value(v) ? json_string_value(v) : "");
    }
}

static void put_areas(FILE *f, const json_t *arr, const alert_context *c)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) {
        const char *code = json_string_value(v) ? json_string_value(v) : "";
        fputs(i ? ", " : "", f);
        put_flat(f, area_label(c, code));
        if (strcmp(area_label(c, code), code) != 0)
            fprintf(f, " (%s)", code);
    }
}

/* Closes the stream (which sets *buf) and hands over its text (NULL on failure). */
static char *finish(FILE *f, char **buf, int failed)
{
    if (fclose(f) != 0 || failed) {
        free(*buf);
        return NULL;
    }
    return *buf;
}

char *alert_subject(const json_t *event, const alert_context *c)
{
    if (strcmp(str(event, "type"), "digest") == 0)
        return digest_subject(event);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const char *type = str(event, "type");
    const json_t *data = json_object_get(event, "data");
    if (strncmp(type, "overlap.", 8) == 0) {
        const json_t *cs = json_object_get(data, "consultations");
        const json_t *areas = json_object_get(json_object_get(json_object_get(data, "overlap"), "reasons"), "areas");
        fputs(strcmp(type, "overlap.updated") == 0 ? "Overlap updated: " : "Overlap: ", f);
        put_flat(f, str(json_array_get(cs, 0), "title"));
        fputs(" / ", f);
        put_flat(f, str(json_array_get(cs, 1), "title"));
        size_t n = json_array_size(areas);
        if (n == 1 || (n > 1 && !c->areas)) {
            fputs(" in ", f);
            put_flat(f, area_label(c, json_string_value(json_array_get(areas, 0))));
            if (n > 1)
                fprintf(f, " and %zu more areas", n - 1);
        } else if (n > 1) {
            /* the same words as the explanation */
            const char **codes = calloc(n, sizeof *codes);
            char place[400];
            for (size_t i = 0; codes && i < n; i++)
                codes[i] = str_or_empty(json_array_get(areas, i));
            if (codes)
                explain_place(c->areas, codes, n, place, sizeof place);
            else
                snprintf(place, sizeof place, "in %zu areas", n);
            fputc(' ', f);
            put_flat(f, place);
            free(codes);
        }
    } else if (strcmp(type, "fatigue.exceeded") == 0) {
        fputs("Consultation fatigue: ", f);
        put_flat(f, str(data, "community"));
        fputs(" in ", f);
        put_flat(f, area_label(c, str(data, "area")));
        fprintf(f, " asked %lld times (limit %lld)", json_integer_value(json_object_get(data, "count")),
                json_integer_value(json_object_get(data, "max_asks")));
    } else {
        fputs("consultd test alert", f);
    }
    return finish(f, &buf, 0);
}

static void put_consultation(FILE *f, int n, const json_t *k, const alert_context *c)
{
    const json_t *fw = json_object_get(k, "fieldwork");
    fprintf(f, "%d. \"", n);
    put_flat(f, str(k, "title"));
    fputs("\" by ", f);
    put_flat(f, str(json_object_get(k, "organisation"), "name"));
    fprintf(f, ", fieldwork %s to %s\n   %s/v1/consultations/%s\n", str(fw, "start"), str(fw, "end"), c->link_base,
            str(k, "id"));
}

char *alert_text(const json_t *event, const alert_context *c)
{
    if (strcmp(str(event, "type"), "digest") == 0)
        return digest_text(event, c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const char *type = str(event, "type");
    const json_t *data = json_object_get(event, "data");
    if (strncmp(type, "overlap.", 8) == 0) {
        const json_t *o = json_object_get(data, "overlap");
        const json_t *r = json_object_get(o, "reasons");
        const json_t *cs = json_object_get(data, "consultations");
        fprintf(f, "%s overlap (score %.2f), status %s.\n", str(o, "level"),
                json_number_value(json_object_get(o, "score")), str(o, "status"));
        put_flat(f, str(o, "explanation"));
        fputs("\n\n", f);
        put_consultation(f, 1, json_array_get(cs, 0), c);
        put_consultation(f, 2, json_array_get(cs, 1), c);
        /* common ground, not what each side asks: general-public here may meet young people there */
        fputs("\nTopics matched: ", f);
        put_list(f, json_object_get(r, "topics"));
        fputs("\nCommunities matched: ", f);
        put_list(f, json_object_get(r, "communities"));
        fputs("\nPlace: ", f);
        put_areas(f, json_object_get(r, "areas"), c);
        fprintf(f, "\nDates: %lld days apart, %lld days of fieldwork in common\n",
                json_integer_value(json_object_get(r, "fieldwork_gap_days")),
                json_integer_value(json_object_get(r, "fieldwork_overlap_days")));
        if (json_is_true(json_object_get(o, "same_organisation")))
            fputs("Both are run by the same organisation.\n", f);
        fprintf(f, "\nThe overlap: %s/v1/overlaps/%s\n", c->link_base, str(o, "id"));
        if (json_string_value(json_object_get(data, "console_url")))
            fprintf(f, "In the console: %s\n", str(data, "console_url"));
    } else if (strcmp(type, "fatigue.exceeded") == 0) {
        fputs("The community \"", f);
        put_flat(f, str(data, "community"));
        fputs("\" in ", f);
        put_flat(f, area_label(c, str(data, "area")));
        fprintf(f, " (%s) is asked by %lld consultations in the %lld days around %s; the limit is %lld.\n",
                str(data, "area"), json_integer_value(json_object_get(data, "count")),
                json_integer_value(json_object_get(data, "window_days")), str(data, "month"),
                json_integer_value(json_object_get(data, "max_asks")));
        fprintf(f, "\nSee %s/v1/fatigue?area=%s\n", c->link_base, str(data, "area"));
        if (json_string_value(json_object_get(data, "console_url")))
            fprintf(f, "In the console: %s\n", str(data, "console_url"));
    } else {
        fputs("This is a test alert from consultd: this subscription receives alerts.\n", f);
    }
    return finish(f, &buf, 0);
}

/* Cuts s (in place) to at most max bytes, on a UTF-8 character boundary,
 * ending it with "..." when it was longer. */
static void cut_utf8(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return;
    n = max - 3;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(s + n, "...", 4);
}

/* Slack's limits: a header block's text, a section block's, a message's */
#define SLACK_HEADER_MAX 150
#define SLACK_SECTION_MAX 3000
#define SLACK_TEXT_MAX 39000

char *alert_slack_body(const json_t *event, const alert_context *c)
{
    char *subject = alert_subject(event, c);
    char *text = alert_text(event, c);
    char *section = text ? strdup(text) : NULL;
    char *out = NULL;
    if (subject && text && section) {
        /* Slack refuses a post whose blocks are too long (a long title, a long
         * digest): the section shows the beginning, "text" (the notification
         * and fallback) keeps all it can */
        cut_utf8(subject, SLACK_HEADER_MAX);
        cut_utf8(section, SLACK_SECTION_MAX);
        cut_utf8(text, SLACK_TEXT_MAX);
        char *both = NULL;
        if (asprintf(&both, "*%s*\n%s", subject, text) >= 0) {
            json_t *msg = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}, {s:s, s:{s:s, s:s}}]}", "text", both, "blocks",
                                    "type", "header", "text", "type", "plain_text", "text", subject,
                                    "type", "section", "text", "type", "mrkdwn", "text", section);
            if (msg)
                out = json_dumps(msg, JSON_COMPACT);
            json_decref(msg);
            free(both);
        }
    }
    free(subject);
    free(text);
    free(section);
    return out;
}

static int ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* Text with every "\n" written as "\r\n" (the body of a mail message). */
static void put_crlf(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            fputc('\r', f);
        fputc(*s, f);
    }
}

char *alert_email_message(const json_t *event, const alert_context *c, const char *from, const char *to,
                          time_t now, const char *message_id)
{
    char *subject = alert_subject(event, c);
    char *text = alert_text(event, c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = (subject && text) ? open_memstream(&buf, &len) : NULL;
    if (!f) {
        free(subject);
        free(text);
        return NULL;
    }
    char date[64];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    fprintf(f, "Date: %s\r\nFrom: ", date);
    put_flat(f, from);
    fputs("\r\nTo: ", f);
    put_flat(f, to);
    fputs("\r\nSubject: ", f);
    int failed = 0;
    if (ascii(subject)) {
        put_flat(f, subject);
    } else {
        size_t n = strlen(subject);
        unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
        if (b64) {
            EVP_EncodeBlock(b64, (const unsigned char *)subject, (int)n);
            fprintf(f, "=?UTF-8?B?%s?=", (char *)b64);
            free(b64);
        } else {
            failed = 1;
        }
    }
    fprintf(f, "\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
               "Auto-Submitted: auto-generated\r\n\r\n",
            message_id);
    put_crlf(f, text);
    free(subject);
    free(text);
    return finish(f, &buf, failed);
}
