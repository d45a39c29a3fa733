/* Unit tests: the RFC 5545 renderer, checked by a small linter that also
 * finds the faults of real calendars (../shared/data/cases c16-c18), so a
 * clean result on our output means something. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_files.h"

#include "fmt_ical.h"

/* ---- the linter ----------------------------------------------------------------- */

enum {
    F_BARE_LF = 1 << 0,        /* a line ended by LF alone (section 3.1: CRLF) */
    F_LONG_LINE = 1 << 1,      /* more than 75 octets */
    F_FOLD_IN_UTF8 = 1 << 2,   /* a continuation line starting inside a UTF-8 sequence */
    F_BAD_UTF8 = 1 << 3,       /* a physical line that is not UTF-8 on its own */
    F_DTEND_NOT_AFTER = 1 << 4,/* all-day DTEND not after DTSTART (DTEND is exclusive) */
    F_DTSTAMP_NOT_UTC = 1 << 5,/* DTSTAMP not YYYYMMDDTHHMMSSZ */
    F_TZID_UNDEFINED = 1 << 6, /* a TZID parameter with no VTIMEZONE of that id */
    F_UNESCAPED_COMMA = 1 << 7,/* a comma in a SUMMARY not escaped (TEXT, section 3.3.11) */
    F_NO_UID = 1 << 8,         /* a VEVENT without UID */
};

static bool utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > n)
            return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/* Unfolded content lines of text, as an array of malloc'd strings. */
static size_t unfold(const char *text, size_t len, char ***out)
{
    size_t n = 0, cap = 64;
    char **lines = malloc(cap * sizeof *lines);
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        size_t l = e - i;
        if (l && text[i + l - 1] == '\r')
            l--;
        if (l && (text[i] == ' ' || text[i] == '\t') && n) {
            size_t old = strlen(lines[n - 1]);
            lines[n - 1] = realloc(lines[n - 1], old + l);
            memcpy(lines[n - 1] + old, text + i + 1, l - 1);
            lines[n - 1][old + l - 1] = '\0';
        } else if (l) {
            if (n == cap)
                lines = realloc(lines, (cap *= 2) * sizeof *lines);
            lines[n++] = strndup(text + i, l);
        }
        i = e + 1;
    }
    *out = lines;
    return n;
}

static const char *value_of(const char *line)
{
    /* the first ':' outside a quoted parameter value */
    bool q = false;
    for (const char *p = line; *p; p++) {
        if (*p == '"')
            q = !q;
        else if (*p == ':' && !q)
            return p + 1;
    }
    return "";
}

static int lint(const char *text, size_t len)
{
    int faults = 0;
    /* physical lines */
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        if (e < len && (e == i || text[e - 1] != '\r'))
            faults |= F_BARE_LF;
        size_t l = e - i;
        if (l && text[i + l - 1] == '\r')
            l--;
        if (l > 75)
            faults |= F_LONG_LINE;
        if (l > 1 && text[i] == ' ' && ((unsigned char)text[i + 1] & 0xC0) == 0x80)
            faults |= F_FOLD_IN_UTF8;
        if (!utf8_ok((const unsigned char *)text + i, l))
            faults |= F_BAD_UTF8;
        i = e + 1;
    }
    char **lines;
    size_t n = unfold(text, len, &lines);
    char tzids[16][80];
    size_t ntz = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(lines[i], "TZID:", 5) == 0 && ntz < 16)
            snprintf(tzids[ntz++], sizeof tzids[0], "%s", lines[i] + 5);
    char start[16] = "", end[16] = "";
    bool in_event = false, uid = false;
    for (size_t i = 0; i < n; i++) {
        const char *l = lines[i];
        if (strcmp(l, "BEGIN:VEVENT") == 0) {
            in_event = true;
            uid = false;
            start[0] = end[0] = '\0';
        } else if (strcmp(l, "END:VEVENT") == 0) {
            in_event = false;
            if (!uid)
                faults |= F_NO_UID;
            if (start[0] && end[0] && strcmp(end, start) <= 0)
                faults |= F_DTEND_NOT_AFTER;
        } else if (in_event) {
            const char *v = value_of(l);
            if (strncmp(l, "UID", 3) == 0 && (l[3] == ':' || l[3] == ';'))
                uid = true;
            if (strncmp(l, "DTSTART;VALUE=DATE:", 19) == 0)
                snprintf(start, sizeof start, "%s", v);
            if (strncmp(l, "DTEND;VALUE=DATE:", 17) == 0)
                snprintf(end, sizeof end, "%s", v);
            if (strncmp(l, "DTSTAMP", 7) == 0) {
                bool ok = strlen(v) == 16 && v[8] == 'T' && v[15] == 'Z';
                for (int k = 0; ok && k < 15; k++)
                    ok = k == 8 || (v[k] >= '0' && v[k] <= '9');
                if (!ok)
                    faults |= F_DTSTAMP_NOT_UTC;
            }
            if (strncmp(l, "SUMMARY", 7) == 0)
                for (const char *p = v; *p; p++) {
                    if (*p == '\\' && p[1])
                        p++;
                    else if (*p == ',')
                        faults |= F_UNESCAPED_COMMA;
                }
            const char *tz = strstr(l, ";TZID=");
            if (tz && tz < v) {
                char id[80];
                tz += 6;
                if (*tz == '"')
                    tz++;
                size_t k = 0;
                while (tz[k] && tz[k] != '"' && tz[k] != ':' && tz[k] != ';' && k + 1 < sizeof id) {
                    id[k] = tz[k];
                    k++;
                }
                id[k] = '\0';
                bool defined = false;
                for (size_t t = 0; t < ntz; t++)
                    defined = defined || strcmp(tzids[t], id) == 0;
                if (!defined)
                    faults |= F_TZID_UNDEFINED;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    return faults;
}

static char *slurp(const char *name, size_t *len)
{
    const char *dir = getenv("CASES_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "../shared/data/cases", name);
    return test_slurp(path, len);
}

static int lint_case(const char *name)
{
    size_t len;
    char *text = slurp(name, &len);
    if (!text)
        fail_msg("cannot read %s (set CASES_DIR)", name);
    int faults = lint(text, len);
    free(text);
    return faults;
}

/* ---- the published faults are found ----------------------------------------------- */

static void linter_finds_the_published_faults(void **state)
{
    (void)state;
    int c16 = lint_case("c16_govuk_calendars_allday_dtend.ics");
    assert_true(c16 & F_DTEND_NOT_AFTER); /* an all-day DTEND equal to DTSTART: a zero-length day */
    assert_true(c16 & F_NO_UID);
    assert_true(c16 & F_DTSTAMP_NOT_UTC); /* 20121017T0100Z: no seconds */
    int c17 = lint_case("c17_ics_tzid_without_vtimezone_and_outlook_windows_tzid.ics");
    assert_true(c17 & F_TZID_UNDEFINED);  /* Europe/Vienna named, never defined */
    assert_true(c17 & F_DTSTAMP_NOT_UTC); /* floating DTSTAMP */
    int c18 = lint_case("c18_ics_unescaped_commas_and_fold_inside_utf8.ics");
    assert_true(c18 & F_UNESCAPED_COMMA);
    assert_true(c18 & F_LONG_LINE);
    assert_true(c18 & F_FOLD_IN_UTF8);    /* "G\xc5" CRLF " \xb5yl": a fold inside ŵ */
    assert_true(c18 & F_BAD_UTF8);
}

/* ---- our output does not have them ----------------------------------------------- */

static const char welsh[] = "Ymgynghoriad ar Gynllun Datblygu Lleol – sesiwn galw heibio Gŵyl Banc, "
                            "Caerdydd; ŵŷ ŵŷ ŵŷ ŵŷ ŵŷ ŵŷ ŵŷ ŵŷ 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀";

static void render(const ical_event *ev, size_t n, outbuf *out)
{
    memset(out, 0, sizeof *out);
    ical_calendar cal = { "Camden, Kent; and \"more\"", "https://c.example/console", "-//consultd//test//EN", NULL };
    assert_int_equal(ical_render(out, &cal, ev, n), 0);
    assert_false(out->failed);
}

static ical_event sample(const char *title, const char *start, const char *end)
{
    return (ical_event){ "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", 3, "planned", title,
                         "Line one, with commas; semicolons \\ backslash\r\nLine two\nLine three\rfour\x01",
                         "Camden Council", "Camden, Belsize", "housing\x1fparks", start, end,
                         "2027-01-02T03:04:05Z", "2027-02-03T04:05:06Z" };
}

static void our_output_has_none_of_them(void **state)
{
    (void)state;
    ical_event ev[3] = { sample(welsh, "2027-03-01", "2027-03-01"), sample("Leap", "2028-02-28", "2028-02-29"),
                         sample("Year end", "2027-12-31", "2027-12-31") };
    outbuf out;
    render(ev, 3, &out);
    assert_int_equal(lint(out.s, out.len), 0);
    /* the long title was folded, at exactly 75 octets where no character straddles the cut */
    size_t longest = 0;
    for (const char *p = out.s; *p;) {
        const char *e = strstr(p, "\r\n");
        if ((size_t)(e - p) > longest)
            longest = (size_t)(e - p);
        p = e + 2;
    }
    assert_true(longest <= 75 && longest >= 72);
    char *flat = malloc(out.len + 1); /* unfolded: each CRLF + space removed */
    size_t f = 0;
    for (size_t i = 0; i < out.len; i++) {
        if (out.s[i] == '\r' && out.s[i + 1] == '\n' && out.s[i + 2] == ' ')
            i += 2;
        else
            flat[f++] = out.s[i];
    }
    flat[f] = '\0';
    assert_non_null(strstr(flat, "DTSTART;VALUE=DATE:20270301\r\nDTEND;VALUE=DATE:20270302\r\n"));
    assert_non_null(strstr(flat, "DTSTART;VALUE=DATE:20280228\r\nDTEND;VALUE=DATE:20280301\r\n"));
    assert_non_null(strstr(flat, "DTEND;VALUE=DATE:20280101\r\n"));
    assert_non_null(strstr(flat, "UID:consultation-0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b@consultd\r\n"));
    assert_non_null(strstr(flat, "SEQUENCE:3\r\n"));
    assert_non_null(strstr(flat, "STATUS:TENTATIVE\r\n"));
    assert_non_null(strstr(flat, "TRANSP:TRANSPARENT\r\n"));
    assert_non_null(strstr(flat, "DTSTAMP:20270203T040506Z\r\n"));
    assert_non_null(strstr(flat, "CREATED:20270102T030405Z\r\n"));
    assert_non_null(strstr(flat, "CATEGORIES:housing,parks\r\n"));
    assert_non_null(strstr(flat, "URL:https://c.example/console/#/consultations/0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b\r\n"));
    assert_non_null(strstr(flat, "X-WR-CALNAME:Camden\\, Kent\\; and \"more\"\r\n"));
    assert_non_null(strstr(flat, "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
    assert_non_null(strstr(flat, "DESCRIPTION:Line one\\, with commas\\; semicolons \\\\ backslash\\nLine two\\n"
                                  "Line three\\nfour\\n\\nOrganisation: Camden Council\r\n"));
    assert_null(strstr(flat, "TZID"));
    assert_int_equal(strncmp(flat, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:", 37), 0);
    assert_int_equal(strcmp(flat + f - 15, "END:VCALENDAR\r\n"), 0);
    assert_non_null(strstr(flat, strstr(welsh, "ŵŷ ŵŷ"))); /* the multi-byte tail, whole after unfolding */
    assert_non_null(strstr(flat, "Gŵyl Banc\\, Caerdydd\\; ŵŷ"));
    free(flat);
    outbuf_free(&out);
}

static void statuses_map_to_rfc5545(void **state)
{
    (void)state;
    static const char *const ours[] = { "planned", "in_field", "closed", "cancelled" };
    static const char *const theirs[] = { "TENTATIVE", "CONFIRMED", "CONFIRMED", "CANCELLED" };
    for (int i = 0; i < 4; i++) {
        ical_event ev = sample("x", "2027-01-01", "2027-01-02");
        ev.status = ours[i];
        outbuf out;
        render(&ev, 1, &out);
        char want[32];
        snprintf(want, sizeof want, "\r\nSTATUS:%s\r\n", theirs[i]);
        assert_non_null(strstr(out.s, want));
        outbuf_free(&out);
    }
}

/* Every cut position: a line of n ASCII bytes then multi-byte characters of
 * each width folds without splitting one, and unfolds to the original. */
static void folding_never_splits_a_character(void **state)
{
    (void)state;
    static const char *const chars[] = { "é", "–", "😀" };
    for (int w = 0; w < 3; w++)
        for (int lead = 0; lead < 8; lead++) {
            char value[600] = "";
            for (int i = 0; i < lead; i++)
                strcat(value, "a");
            for (int i = 0; i < 100; i++)
                strcat(value, chars[w]);
            outbuf out = { 0 };
            ical_line(&out, "SUMMARY", value);
            assert_false(out.failed);
            assert_int_equal(lint(out.s, out.len) & ~F_NO_UID, 0);
            /* unfold: drop each CRLF + space */
            char un[800];
            size_t u = 0;
            for (size_t i = 0; i < out.len; i++) {
                if (out.s[i] == '\r' && out.s[i + 1] == '\n' && out.s[i + 2] == ' ') {
                    i += 2;
                    continue;
                }
                un[u++] = out.s[i];
            }
            un[u] = '\0';
            char want[700];
            snprintf(want, sizeof want, "SUMMARY:%s\r\n", value);
            assert_string_equal(un, want);
            outbuf_free(&out);
        }
}

static void short_lines_are_not_folded(void **state)
{
    (void)state;
    outbuf out = { 0 };
    char v[80];
    memset(v, 'x', 67);
    v[67] = '\0';
    ical_line(&out, "SUMMARY", v); /* 8 + 67 = 75 octets: fits */
    assert_int_equal(out.len, 77);
    outbuf_free(&out);
    v[67] = 'x';
    v[68] = '\0';
    ical_line(&out, "SUMMARY", v); /* 76: folded after 75, one byte continues */
    assert_int_equal(out.len, 75 + 3 + 1 + 2);
    assert_memory_equal(out.s + 75, "\r\n x\r\n", 6);
    outbuf_free(&out);
}

static void empty_calendar_is_valid(void **state)
{
    (void)state;
    outbuf out;
    render(NULL, 0, &out);
    assert_int_equal(lint(out.s, out.len), 0);
    assert_non_null(strstr(out.s, "PRODID:-//consultd//test//EN\r\n"));
    assert_null(strstr(out.s, "VEVENT"));
    outbuf_free(&out);
}

static void bad_dates_are_refused(void **state)
{
    (void)state;
    ical_event ev = sample("x", "2027-02-30", "2027-03-01");
    outbuf out = { 0 };
    ical_calendar cal = { "x", NULL, NULL, NULL };
    assert_int_equal(ical_render(&out, &cal, &ev, 1), -1);
    outbuf_free(&out);
    char d[9];
    assert_true(ical_date_plus("2024-12-31", 1, d));
    assert_string_equal(d, "20250101");
    assert_true(ical_date_plus("2100-02-28", 1, d));
    assert_string_equal(d, "21000301"); /* 2100 is not a leap year */
    assert_false(ical_date_plus("31/12/2024", 1, d));
}

/* A calendar with public_page names the residents' page in each event's
 * description; its URL stays the console's (API.md section 9). */
static void public_page_is_named_in_the_description(void **state)
{
    (void)state;
    ical_event ev = sample("x", "2027-03-01", "2027-03-05");
    outbuf out = { 0 };
    ical_calendar cal = { "Public", "https://c.example/console", NULL, "https://c.example/public/?consultation=" };
    assert_int_equal(ical_render(&out, &cal, &ev, 1), 0);
    char *flat = malloc(out.len + 1); /* unfolded: each CRLF + space removed */
    assert_non_null(flat);
    size_t f = 0;
    for (size_t i = 0; i < out.len; i++) {
        if (i + 2 < out.len && out.s[i] == '\r' && out.s[i + 1] == '\n' && out.s[i + 2] == ' ')
            i += 2;
        else
            flat[f++] = out.s[i];
    }
    flat[f] = '\0';
    assert_non_null(strstr(flat, "\\n\\nDetails: https://c.example/public/?consultation=0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b\r\n"));
    assert_non_null(strstr(flat, "URL:https://c.example/console/#/consultations/0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b\r\n"));
    /* a feed's calendar (no public_page) names no residents' page */
    outbuf_free(&out);
    cal.public_page = NULL;
    assert_int_equal(ical_render(&out, &cal, &ev, 1), 0);
    assert_null(strstr(out.s, "Details:"));
    free(flat);
    outbuf_free(&out);
}

/* The parts put together are the calendar rendered whole, and each event's
 * bytes, as ends[] marks them, are one VEVENT that does not depend on the
 * calendar's name or on its neighbours. */
static void parts_put_together_are_the_whole(void **state)
{
    (void)state;
    ical_event ev[3] = { sample(welsh, "2027-03-01", "2027-03-05"), sample("Two", "2027-04-01", "2027-04-01"),
                         sample("Three, with; escapes", "2027-05-01", "2027-06-30") };
    ev[1].id = "0190a1b2-c3d4-7e5f-8a6b-000000000002";
    outbuf whole;
    render(ev, 3, &whole);

    ical_calendar cal = { "Camden, Kent; and \"more\"", "https://c.example/console", "-//consultd//test//EN", NULL };
    outbuf parts = { 0 };
    size_t ends[3];
    ical_render_head(&parts, &cal);
    size_t head = parts.len;
    assert_int_equal(ical_render_events(&parts, &cal, ev, 3, ends), 0);
    ical_render_tail(&parts);
    assert_int_equal(parts.len, whole.len);
    assert_memory_equal(parts.s, whole.s, whole.len);
    for (size_t i = 0; i < 3; i++) {
        size_t from = i ? ends[i - 1] : head;
        assert_true(ends[i] > from);
        assert_memory_equal(parts.s + from, "BEGIN:VEVENT\r\n", 14);
        assert_memory_equal(parts.s + ends[i] - 12, "END:VEVENT\r\n", 12);
    }

    /* the second event alone, in a calendar of another name: the same bytes */
    ical_calendar other = { "Another name", "https://c.example/console", NULL, NULL };
    outbuf alone = { 0 };
    assert_int_equal(ical_render_events(&alone, &other, &ev[1], 1, NULL), 0);
    assert_int_equal(alone.len, ends[1] - ends[0]);
    assert_memory_equal(alone.s, parts.s + ends[0], alone.len);

    /* a bad date stops at that event, after the ones before it */
    ev[1].start = "2027-13-01";
    outbuf bad = { 0 };
    size_t bad_ends[3] = { 0 };
    assert_int_equal(ical_render_events(&bad, &cal, ev, 3, bad_ends), -1);
    assert_int_equal(bad_ends[0], ends[0] - head);
    outbuf_free(&bad);
    outbuf_free(&alone);
    outbuf_free(&parts);
    outbuf_free(&whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linter_finds_the_published_faults),
        cmocka_unit_test(our_output_has_none_of_them),
        cmocka_unit_test(statuses_map_to_rfc5545),
        cmocka_unit_test(public_page_is_named_in_the_description),
        cmocka_unit_test(folding_never_splits_a_character),
        cmocka_unit_test(short_lines_are_not_folded),
        cmocka_unit_test(empty_calendar_is_valid),
        cmocka_unit_test(bad_dates_are_refused),
        cmocka_unit_test(parts_put_together_are_the_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
