/* fmt_ical.c - the RFC 5545 renderer (see fmt_ical.h for the rules). */
#include "fmt_ical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil_date.h"
#include "consultation.h"

#define FOLD_OCTETS 75

/* A UTF-8 continuation byte (10xxxxxx) never starts a character. */
static bool continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Appends value s[0..n) to a line whose first col octets (the name and its
 * ':') are written already, folding into physical lines of at most 75
 * octets: the first holds 75 octets, each continuation a space and 74 more.
 * A cut that would fall inside a UTF-8 sequence moves back to its first
 * byte. Ends the line with CRLF. */
static void fold_value(outbuf *b, size_t col, const char *s, size_t n)
{
    size_t pos = 0, room = col < FOLD_OCTETS ? FOLD_OCTETS - col : 0;
    while (n - pos > room) {
        size_t cut = pos + room;
        while (cut > pos && continuation((unsigned char)s[cut]))
            cut--;
        if (cut == pos && room > 0 && pos + room <= n) /* not UTF-8: cannot happen for valid input */
            cut = pos + room;
        outbuf_add(b, s + pos, cut - pos);
        outbuf_add(b, "\r\n ", 3);
        pos = cut;
        room = FOLD_OCTETS - 1;
    }
    outbuf_add(b, s + pos, n - pos);
    outbuf_add(b, "\r\n", 2);
}

void ical_line(outbuf *out, const char *name, const char *value)
{
    size_t nlen = strlen(name);
    outbuf_add(out, name, nlen);
    outbuf_add(out, ":", 1);
    fold_value(out, nlen + 1, value ? value : "", strlen(value ? value : ""));
}

/* Bytes a TEXT value takes as they are: not \\ ; , nor a control character
 * other than tab (UTF-8 bytes >= 0x80 pass through whole). */
static bool plain(unsigned char c)
{
    return c != '\\' && c != ';' && c != ',' && (c >= 0x20 || c == '\t') && c != 0x7f;
}

void ical_escape_text(outbuf *out, const char *text)
{
    const char *p = text ? text : "";
    while (*p) {
        const char *run = p;
        while (*p && plain((unsigned char)*p))
            p++;
        if (p > run)
            outbuf_add(out, run, (size_t)(p - run));
        if (!*p)
            break;
        switch (*p) {
        case '\\': outbuf_add(out, "\\\\", 2); break;
        case ';': outbuf_add(out, "\\;", 2); break;
        case ',': outbuf_add(out, "\\,", 2); break;
        case '\r': /* CR LF, CR and LF are all one line break */
            if (p[1] == '\n')
                p++;
            outbuf_add(out, "\\n", 2);
            break;
        case '\n': outbuf_add(out, "\\n", 2); break;
        default: break; /* CONTROL characters are not allowed in TEXT */
        }
        p++;
    }
}

bool ical_date_plus(const char *s, long days, char out[9])
{
    long z;
    if (!s || !date_parse(s, &z))
        return false;
    int y, m, d;
    civil_from_days(z + days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return false;
    snprintf(out, 9, "%04d%02d%02d", y, m, d);
    return true;
}

/* "2027-03-01T09:00:00Z" as "20270301T090000Z"; false unless that shape. */
static bool stamp(const char *ts, char out[17])
{
    if (!ts || strlen(ts) != 20 || ts[4] != '-' || ts[7] != '-' || ts[10] != 'T' || ts[13] != ':' ||
        ts[16] != ':' || ts[19] != 'Z')
        return false;
    snprintf(out, 17, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17);
    return true;
}

static const char *ical_status(const char *status)
{
    if (status && strcmp(status, "planned") == 0)
        return "TENTATIVE";
    if (status && strcmp(status, "cancelled") == 0)
        return "CANCELLED";
    return "CONFIRMED"; /* in_field, closed: it is (or was) happening */
}

/* A TEXT property: text escaped into scratch (emptied first), then folded. */
static void text_line(outbuf *out, outbuf *scratch, const char *name, const char *text)
{
    scratch->len = 0;
    ical_escape_text(scratch, text);
    if (scratch->failed)
        out->failed = true;
    else
        ical_line(out, name, scratch->len ? scratch->s : "");
}

/* scratch holds one composed value at a time, escaped holds its escaping:
 * two buffers reused across every line, so a calendar of thousands of events
 * allocates only as its longest line grows. */
static int render_event(outbuf *out, outbuf *scratch, outbuf *escaped, const ical_calendar *cal,
                        const ical_event *e)
{
    char start[9], end[9], dtstamp[17], created[17], num[24];
    if (!ical_date_plus(e->start, 0, start) || !ical_date_plus(e->end, 1, end) || !stamp(e->updated, dtstamp))
        return -1;
    bool has_created = stamp(e->created, created);

    ical_line(out, "BEGIN", "VEVENT");
    char uid[96];
    snprintf(uid, sizeof uid, "consultation-%.40s@consultd", e->id ? e->id : "");
    ical_line(out, "UID", uid);
    ical_line(out, "DTSTAMP", dtstamp);
    ical_line(out, "DTSTART;VALUE=DATE", start);
    ical_line(out, "DTEND;VALUE=DATE", end);
    snprintf(num, sizeof num, "%ld", e->version);
    ical_line(out, "SEQUENCE", num);
    ical_line(out, "STATUS", ical_status(e->status));
    ical_line(out, "TRANSP", "TRANSPARENT");
    text_line(out, escaped, "SUMMARY", e->title);

    scratch->len = 0;
    outbuf_adds(scratch, e->summary ? e->summary : "");
    if (e->organisation && *e->organisation) {
        if (scratch->len)
            outbuf_adds(scratch, "\n\n");
        outbuf_adds(scratch, "Organisation: ");
        outbuf_adds(scratch, e->organisation);
    }
    if (cal->public_page && *cal->public_page) {
        if (scratch->len)
            outbuf_adds(scratch, "\n\n");
        outbuf_adds(scratch, "Details: ");
        outbuf_adds(scratch, cal->public_page);
        outbuf_adds(scratch, e->id ? e->id : "");
    }
    if (scratch->failed)
        out->failed = true;
    else if (scratch->len)
        text_line(out, escaped, "DESCRIPTION", scratch->s);

    if (e->location && *e->location)
        text_line(out, escaped, "LOCATION", e->location);
    if (e->categories && *e->categories) {
        /* a list of TEXT: each entry escaped, the separating commas kept */
        escaped->len = 0;
        const char *p = e->categories;
        while (*p) {
            const char *sep = strchr(p, '\x1f');
            size_t n = sep ? (size_t)(sep - p) : strlen(p);
            scratch->len = 0;
            outbuf_add(scratch, p, n);
            if (escaped->len)
                outbuf_add(escaped, ",", 1);
            if (!scratch->failed)
                ical_escape_text(escaped, scratch->s);
            p += n + (sep != NULL);
        }
        if (scratch->failed || escaped->failed)
            out->failed = true;
        else if (escaped->len)
            ical_line(out, "CATEGORIES", escaped->s);
    }
    if (cal->console_url && *cal->console_url) {
        scratch->len = 0;
        outbuf_adds(scratch, cal->console_url);
        outbuf_adds(scratch, "/#/consultations/");
        outbuf_adds(scratch, e->id ? e->id : "");
        if (scratch->failed)
            out->failed = true;
        else
            ical_line(out, "URL", scratch->s);
    }
    if (has_created)
        ical_line(out, "CREATED", created);
    ical_line(out, "LAST-MODIFIED", dtstamp);
    ical_line(out, "END", "VEVENT");
    return 0;
}

void ical_render_head(outbuf *out, const ical_calendar *cal)
{
    outbuf escaped = { 0 };
    ical_line(out, "BEGIN", "VCALENDAR");
    ical_line(out, "VERSION", "2.0");
    ical_line(out, "PRODID", cal->prodid && *cal->prodid ? cal->prodid : "-//consultd//consultd//EN");
    ical_line(out, "CALSCALE", "GREGORIAN");
    ical_line(out, "METHOD", "PUBLISH");
    if (cal->name && *cal->name) {
        text_line(out, &escaped, "NAME", cal->name);          /* RFC 7986 section 5.1 */
        text_line(out, &escaped, "X-WR-CALNAME", cal->name);  /* what Outlook and Google read */
    }
    ical_line(out, "REFRESH-INTERVAL;VALUE=DURATION", "PT1H"); /* RFC 7986 section 5.7 */
    ical_line(out, "X-PUBLISHED-TTL", "PT1H");
    outbuf_free(&escaped);
}

int ical_render_events(outbuf *out, const ical_calendar *cal, const ical_event *events, size_t n, size_t *ends)
{
    outbuf scratch = { 0 }, escaped = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = render_event(out, &scratch, &escaped, cal, &events[i]);
        if (ends)
            ends[i] = out->len;
    }
    outbuf_free(&scratch);
    outbuf_free(&escaped);
    return rc < 0 || out->failed ? -1 : 0;
}

void ical_render_tail(outbuf *out)
{
    ical_line(out, "END", "VCALENDAR");
}

int ical_render(outbuf *out, const ical_calendar *cal, const ical_event *events, size_t n)
{
    ical_render_head(out, cal);
    int rc = ical_render_events(out, cal, events, n, NULL);
    ical_render_tail(out);
    return rc < 0 || out->failed ? -1 : 0;
}
