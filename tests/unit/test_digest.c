/* Unit tests: digest windows in Europe/London time, the digest body and its
 * plain-text rendering, and the digest settings of a subscription. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "fmt_alert.h"
#include "fmt_digest.h"
#include "digest_schedule.h"
#include "subscription.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
    return timegm(&tm);
}

/* ---- settings ---------------------------------------------------------------------- */

static void settings_parse_strictly(void **state)
{
    (void)state;
    int m = -1;
    assert_int_equal(digest_time_parse("08:00", &m), 0);
    assert_int_equal(m, 480);
    assert_int_equal(digest_time_parse("00:00", &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(digest_time_parse("23:59", &m), 0);
    assert_int_equal(m, 1439);
    const char *bad[] = { "24:00", "8:00", "08:60", "08-00", "08:00 ", "0800", "", "ab:cd", "08:0", NULL };
    for (int i = 0; bad[i]; i++)
        assert_int_equal(digest_time_parse(bad[i], &m), -1);
    assert_int_equal(digest_time_parse(NULL, &m), -1);
    int d = -1;
    assert_int_equal(digest_day_parse("monday", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(digest_day_parse("sunday", &d), 0);
    assert_int_equal(d, 6);
    assert_int_equal(digest_day_parse("funday", &d), -1);
    assert_string_equal(digest_day_name(4), "friday");
    digest_delivery del;
    assert_int_equal(digest_delivery_parse("weekly", &del), 0);
    assert_int_equal(del, DIGEST_WEEKLY);
    assert_int_equal(digest_delivery_parse("hourly", &del), -1);
    assert_string_equal(digest_delivery_name(DIGEST_DAILY), "daily");
}

/* ---- Europe/London ----------------------------------------------------------------- */

static void london_rule_agrees_with_the_tz_database(void **state)
{
    (void)state;
    /* the tests may use the TZ database; the daemon never does */
    setenv("TZ", "Europe/London", 1);
    tzset();
    for (time_t t = utc(2000, 1, 1, 0, 0); t < utc(2038, 1, 1, 0, 0); t += 3600 * 7 + 60 * 13) {
        struct tm tm;
        localtime_r(&t, &tm);
        if (london_offset(t) != tm.tm_gmtoff)
            fail_msg("offset at %lld: %d, tz database %ld", (long long)t, london_offset(t), tm.tm_gmtoff);
    }
    /* every change, to the second */
    for (int y = 2000; y < 2038; y++)
        for (int mo = 3; mo <= 10; mo += 7)
            for (int d = 25; d <= 31; d++) {
                for (int s = -2; s <= 2; s++) {
                    time_t t = utc(y, mo, d, 1, 0) + s;
                    struct tm tm;
                    localtime_r(&t, &tm);
                    assert_int_equal(london_offset(t), tm.tm_gmtoff);
                }
            }
    unsetenv("TZ");
    tzset();
}

static void london_wall_clock_to_utc(void **state)
{
    (void)state;
    /* 2027: BST from 28 March 01:00 UTC to 31 October 01:00 UTC */
    assert_int_equal(london_to_utc(2027, 1, 15, 8 * 60), utc(2027, 1, 15, 8, 0));
    assert_int_equal(london_to_utc(2027, 7, 15, 8 * 60), utc(2027, 7, 15, 7, 0));
    /* the skipped hour: 01:30 does not exist on 28 March; read as GMT (02:30 BST) */
    assert_int_equal(london_to_utc(2027, 3, 28, 90), utc(2027, 3, 28, 1, 30));
    assert_int_equal(london_to_utc(2027, 3, 28, 60 + 59), utc(2027, 3, 28, 1, 59));
    assert_int_equal(london_to_utc(2027, 3, 28, 120), utc(2027, 3, 28, 1, 0));
    assert_int_equal(london_to_utc(2027, 3, 28, 59), utc(2027, 3, 28, 0, 59));
    /* the repeated hour: 01:30 on 31 October happens twice; the first (BST) */
    assert_int_equal(london_to_utc(2027, 10, 31, 90), utc(2027, 10, 31, 0, 30));
    assert_int_equal(london_to_utc(2027, 10, 31, 120), utc(2027, 10, 31, 2, 0));
    int y, m, d, minute, wd;
    london_from_utc(utc(2027, 7, 15, 23, 30), &y, &m, &d, &minute, &wd);
    assert_int_equal(y * 10000 + m * 100 + d, 20270716);
    assert_int_equal(minute, 30);
    assert_int_equal(wd, 4); /* Friday */
    london_from_utc(utc(2026, 12, 31, 23, 59), &y, &m, &d, &minute, &wd);
    assert_int_equal(y * 10000 + m * 100 + d, 20261231);
    assert_int_equal(minute, 23 * 60 + 59);
}

/* ---- windows ----------------------------------------------------------------------- */

static void daily_windows_keep_the_wall_clock_across_changes(void **state)
{
    (void)state;
    digest_schedule s = { DIGEST_DAILY, 8 * 60, 0 };
    /* 08:00 GMT on the Saturday, 08:00 BST (07:00 UTC) on the Sunday of the change */
    assert_int_equal(digest_next_after(&s, utc(2027, 3, 27, 7, 0)), utc(2027, 3, 27, 8, 0));
    assert_int_equal(digest_next_after(&s, utc(2027, 3, 27, 8, 0)), utc(2027, 3, 28, 7, 0));
    assert_int_equal(digest_next_after(&s, utc(2027, 10, 30, 7, 0)), utc(2027, 10, 31, 8, 0));
    /* strictly after */
    assert_int_equal(digest_next_after(&s, utc(2027, 3, 28, 7, 0)), utc(2027, 3, 29, 7, 0));
    /* a year of windows: each starts where the last ended, every one at 08:00 London */
    time_t end = utc(2027, 1, 1, 12, 0);
    for (int i = 0; i < 800; i++) {
        time_t next = digest_next_after(&s, end);
        assert_true(next > end);
        assert_true(next - end <= 25 * 3600 || i == 0);
        assert_true(next - end >= 23 * 3600 || i == 0);
        int y, m, d, minute, wd;
        london_from_utc(next, &y, &m, &d, &minute, &wd);
        assert_int_equal(minute, 480);
        end = next;
    }
}

static void digest_time_in_the_skipped_hour(void **state)
{
    (void)state;
    digest_schedule s = { DIGEST_DAILY, 90, 0 }; /* 01:30 */
    assert_int_equal(digest_next_after(&s, utc(2027, 3, 27, 2, 0)), utc(2027, 3, 28, 1, 30));
    assert_int_equal(digest_next_after(&s, utc(2027, 3, 28, 1, 30)), utc(2027, 3, 29, 0, 30));
    /* the repeated hour: once, at the first 01:30 */
    assert_int_equal(digest_next_after(&s, utc(2027, 10, 30, 2, 0)), utc(2027, 10, 31, 0, 30));
    assert_int_equal(digest_next_after(&s, utc(2027, 10, 31, 0, 30)), utc(2027, 11, 1, 1, 30));
}

static void weekly_windows(void **state)
{
    (void)state;
    digest_schedule s = { DIGEST_WEEKLY, 8 * 60, 0 }; /* Mondays 08:00 */
    /* Tuesday 1 December 2026 -> Monday 7 December */
    assert_int_equal(digest_next_after(&s, utc(2026, 12, 1, 2, 0)), utc(2026, 12, 7, 8, 0));
    assert_int_equal(digest_next_after(&s, utc(2026, 12, 7, 7, 59)), utc(2026, 12, 7, 8, 0));
    assert_int_equal(digest_next_after(&s, utc(2026, 12, 7, 8, 0)), utc(2026, 12, 14, 8, 0));
    s.weekday = 6; /* Sunday 23:30 in summer */
    s.minute = 23 * 60 + 30;
    assert_int_equal(digest_next_after(&s, utc(2027, 7, 11, 22, 29)), utc(2027, 7, 11, 22, 30));
    assert_int_equal(digest_next_after(&s, utc(2027, 7, 11, 22, 30)), utc(2027, 7, 18, 22, 30));
    assert_int_equal(digest_last_at_or_before(&s, utc(2027, 7, 18, 22, 29)), utc(2027, 7, 11, 22, 30));
    digest_schedule now = { DIGEST_IMMEDIATE, 0, 0 };
    assert_int_equal(digest_next_after(&now, utc(2027, 1, 1, 0, 0)), 0);
}

static void window_end_is_the_latest_time_passed(void **state)
{
    (void)state;
    digest_schedule s = { DIGEST_DAILY, 8 * 60, 0 };
    time_t opened = utc(2026, 12, 1, 2, 11);
    /* still open before 08:00 */
    assert_int_equal(digest_window_end(&s, opened, utc(2026, 12, 1, 7, 59)), 0);
    assert_int_equal(digest_window_end(&s, opened, utc(2026, 12, 1, 8, 0)), utc(2026, 12, 1, 8, 0));
    /* down for three mornings: one window to the last of them */
    assert_int_equal(digest_window_end(&s, opened, utc(2026, 12, 4, 9, 0)), utc(2026, 12, 4, 8, 0));
    /* closed at 08:00: nothing more until tomorrow */
    assert_int_equal(digest_window_end(&s, utc(2026, 12, 4, 8, 0), utc(2026, 12, 4, 9, 0)), 0);
    /* a long outage */
    assert_int_equal(digest_window_end(&s, opened, utc(2027, 6, 1, 6, 30)), utc(2027, 5, 31, 7, 0));
}

/* ---- the body and the e-mail --------------------------------------------------------- */

static json_t *overlap_event(const char *type, const char *id, const char *level, const char *expl)
{
    return json_pack("{s:s, s:s, s:{s:{s:s, s:f, s:s, s:s, s:s, s:{s:[s]}}, s:[{s:s}, {s:s}], s:s+}}", "type",
                     type, "timestamp", "2026-12-01T10:00:00Z", "data", "overlap", "id", id, "score", 0.5, "level",
                     level, "status", "open", "explanation", expl, "reasons", "areas", "E09000007",
                     "consultations", "title", "Carers survey", "title", "Care\nhomes", "console_url",
                     "https://c.example/console/#/overlaps/", id);
}

static const char *area_name(void *ctx, const char *code)
{
    (void)ctx;
    return strcmp(code, "E09000007") == 0 ? "Camden" : NULL;
}

static void body_lists_and_counts_the_window(void **state)
{
    (void)state;
    json_t *events = json_pack("[o, o, o, {s:s, s:s, s:{s:s, s:s}}]",
                               overlap_event("overlap.detected", "o1", "low", "Low one."),
                               overlap_event("overlap.detected", "o2", "high", "High one."),
                               overlap_event("overlap.updated", "o3", "high", "High two."), "type",
                               "fatigue.exceeded", "timestamp", "2026-12-01T11:00:00Z", "data", "area", "E09000007",
                               "community", "carers");
    digest_window w = { DIGEST_WEEKLY, utc(2026, 11, 30, 8, 0), utc(2026, 12, 7, 8, 0), utc(2026, 12, 7, 8, 0),
                        "https://c.example" };
    json_t *b = digest_body(&w, events, 6);
    assert_non_null(b);
    char *s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(strstr(s, "\"type\":\"digest\""));
    json_t *data = json_object_get(b, "data");
    assert_string_equal(json_string_value(json_object_get(data, "delivery")), "weekly");
    assert_string_equal(json_string_value(json_object_get(json_object_get(data, "window"), "start")),
                        "2026-11-30T08:00:00Z");
    assert_string_equal(json_string_value(json_object_get(json_object_get(data, "window"), "end")),
                        "2026-12-07T08:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(data, "count")), 6);
    assert_int_equal(json_integer_value(json_object_get(data, "omitted")), 2);
    json_t *lv = json_object_get(data, "levels");
    assert_int_equal(json_integer_value(json_object_get(lv, "high")), 2);
    assert_int_equal(json_integer_value(json_object_get(lv, "medium")), 0);
    assert_int_equal(json_integer_value(json_object_get(lv, "low")), 1);
    assert_ptr_equal(json_object_get(data, "events"), events); /* listed as they are */
    assert_string_equal(json_string_value(json_object_get(data, "console_url")), "https://c.example/console/#/overlaps");

    alert_context c = { "https://c.example", area_name, NULL, NULL };
    char *subject = alert_subject(b, &c);
    assert_string_equal(subject, "consultd weekly digest: 6 alerts (2 high), 30 November to 7 December 2026");
    char *text = alert_text(b, &c);
    const char *head = strstr(text, "Your weekly digest from consultd: 6 alerts from Monday 30 November 2026, 08:00"
                                     " to Monday 7 December 2026, 08:00 (UK time).");
    assert_ptr_equal(head, text);
    const char *high = strstr(text, "High-level overlaps (2)\n=======================\n");
    const char *low = strstr(text, "Low-level overlaps (1)\n");
    const char *other = strstr(text, "Other alerts (1)\n");
    assert_non_null(high);
    assert_non_null(low);
    assert_non_null(other);
    assert_null(strstr(text, "Medium-level"));
    assert_true(high < low && low < other);
    /* each overlap: its subject line (no raw line break from a title), explanation and link */
    const char *o2 = strstr(text, "- Overlap: Carers survey / Care homes in Camden\n  Score 0.50, status open.\n"
                                  "  High one.\n  https://c.example/console/#/overlaps/o2\n");
    assert_non_null(o2);
    assert_true(o2 > high && o2 < low);
    const char *o3 = strstr(text, "- Overlap updated: Carers survey / Care homes in Camden");
    assert_true(o3 > o2 && o3 < low);
    const char *o1 = strstr(text, "  Low one.\n  https://c.example/console/#/overlaps/o1\n");
    assert_true(o1 > low && o1 < other);
    assert_non_null(strstr(text, "- Consultation fatigue: carers in Camden"));
    assert_non_null(strstr(text, "\n2 more alerts in this window are not listed here.\n"));
    assert_non_null(strstr(text, "Every overlap in the console: https://c.example/console/#/overlaps\n"));
    /* as e-mail: one message, CRLF, the subject in the header */
    char *mail = alert_email_message(b, &c, "a@example.org", "b@example.org", utc(2026, 12, 7, 8, 0), "id@x");
    assert_non_null(strstr(mail, "\r\nSubject: consultd weekly digest: 6 alerts (2 high), 30 November to 7 December"
                                 " 2026\r\n"));
    assert_non_null(strstr(mail, "\r\n\r\nYour weekly digest"));
    /* as Slack: one post */
    char *slack = alert_slack_body(b, &c);
    json_t *sl = json_loads(slack, 0, NULL);
    assert_non_null(strstr(json_string_value(json_object_get(sl, "text")), "High-level overlaps (2)"));
    json_decref(sl);
    free(slack);
    free(mail);
    free(text);
    free(subject);
    free(s);
    json_decref(b);
    json_decref(events);
}

static void body_of_one_event_on_one_day(void **state)
{
    (void)state;
    json_t *events = json_pack("[o]", overlap_event("overlap.detected", "o1", "medium", "M."));
    digest_window w = { DIGEST_DAILY, utc(2026, 12, 1, 2, 11), utc(2026, 12, 1, 8, 0), utc(2026, 12, 1, 8, 0), "" };
    json_t *b = digest_body(&w, events, 0); /* total below the list: the list counts */
    json_t *data = json_object_get(b, "data");
    assert_int_equal(json_integer_value(json_object_get(data, "count")), 1);
    assert_int_equal(json_integer_value(json_object_get(data, "omitted")), 0);
    char *subject = digest_subject(b);
    assert_string_equal(subject, "consultd daily digest: 1 alert, 1 December 2026");
    alert_context c = { "", NULL, NULL, NULL };
    char *text = digest_text(b, &c);
    assert_non_null(strstr(text, "1 alert from Tuesday 1 December 2026, 02:11 to Tuesday 1 December 2026, 08:00"));
    assert_non_null(strstr(text, "Medium-level overlaps (1)"));
    assert_null(strstr(text, "not listed"));
    assert_null(digest_body(&w, data, 0)); /* not an array */
    free(text);
    free(subject);
    json_decref(b);
    json_decref(events);
}

static void a_long_digest_fits_slack(void **state)
{
    (void)state;
    json_t *events = json_array();
    char expl[200];
    for (int i = 0; i < 200; i++) {
        snprintf(expl, sizeof expl, "Both ask carers in Camden about housing, number %d (caf\xc3\xa9).", i);
        json_array_append_new(events, overlap_event("overlap.detected", "o", i % 2 ? "high" : "low", expl));
    }
    digest_window w = { DIGEST_DAILY, utc(2026, 12, 1, 8, 0), utc(2026, 12, 2, 8, 0), utc(2026, 12, 2, 8, 0), "" };
    json_t *b = digest_body(&w, events, 200);
    alert_context c = { "", area_name, NULL, NULL };
    char *full = alert_text(b, &c);
    assert_true(strlen(full) > 3000);
    char *slack = alert_slack_body(b, &c);
    json_t *msg = json_loads(slack, 0, NULL); /* jansson refuses invalid UTF-8: the cut kept characters whole */
    assert_non_null(msg);
    const char *header = json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(msg,
                                           "blocks"), 0), "text"), "text"));
    const char *section = json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(msg,
                                            "blocks"), 1), "text"), "text"));
    assert_true(strlen(header) <= 150);
    assert_true(strlen(section) <= 3000);
    assert_string_equal(section + strlen(section) - 3, "...");
    assert_int_equal(strncmp(section, full, strlen(section) - 3), 0);
    /* the notification text keeps the whole digest */
    assert_non_null(strstr(json_string_value(json_object_get(msg, "text")), "number 199"));
    json_decref(msg);
    free(slack);
    free(full);
    json_decref(b);
    json_decref(events);
}

/* ---- subscription settings ---------------------------------------------------------- */

static void check_fields(const char *json, int rc, const char *const *fields)
{
    json_t *body = json_loads(json, 0, NULL);
    assert_non_null(body);
    json_t *errors = json_array();
    subscription_input in;
    assert_int_equal(subscription_parse(body, NULL, NULL, false, &in, errors), rc);
    size_t n = 0;
    for (; fields[n]; n++) {
        bool found = false;
        size_t i;
        json_t *e;
        json_array_foreach(errors, i, e)
            found = found || strcmp(json_string_value(json_object_get(e, "field")), fields[n]) == 0;
        if (!found)
            fail_msg("%s: no error for %s", json, fields[n]);
    }
    assert_int_equal(json_array_size(errors), n);
    subscription_input_free(&in);
    json_decref(errors);
    json_decref(body);
}

static void subscription_digest_settings(void **state)
{
    (void)state;
    const char *none[] = { NULL };
    check_fields("{\"url\": \"https://h.example/x\"}", 0, none);
    check_fields("{\"url\": \"https://h.example/x\", \"delivery\": \"daily\", \"digest_time\": \"06:30\"}", 0, none);
    check_fields("{\"url\": \"https://h.example/x\", \"delivery\": \"weekly\", \"digest_day\": \"Friday\"}", 0, none);
    check_fields("{\"url\": \"https://h.example/x\", \"delivery\": \"monthly\"}", -1, (const char *[]){ "delivery", NULL });
    /* a bad delivery is the one error; the time and day are checked for their form only */
    check_fields("{\"url\": \"https://h.example/x\", \"delivery\": \"fortnightly\", \"digest_time\": \"09:15\","
                 " \"digest_day\": \"friday\"}",
                 -1, (const char *[]){ "delivery", NULL });
    check_fields("{\"url\": \"https://h.example/x\", \"delivery\": 7, \"digest_time\": \"9\"}", -1,
                 (const char *[]){ "delivery", "digest_time", NULL });
    check_fields("{\"url\": \"https://h.example/x\", \"digest_time\": \"08:00\"}", -1,
                 (const char *[]){ "digest_time", NULL });
    check_fields("{\"url\": \"https://h.example/x\", \"delivery\": \"daily\", \"digest_day\": \"monday\"}", -1,
                 (const char *[]){ "digest_day", NULL });
    check_fields("{\"url\": \"https://h.example/x\", \"delivery\": \"weekly\", \"digest_time\": \"25:00\","
                 " \"digest_day\": \"someday\"}",
                 -1, (const char *[]){ "digest_time", "digest_day", NULL });
    check_fields("{\"url\": \"https://h.example/x\", \"delivery\": \"weekly\", \"digest_time\": [],"
                 " \"digest_day\": 3}",
                 -1, (const char *[]){ "digest_time", "digest_day", NULL });

    json_t *body = json_loads("{\"email\": \"a@b.example\", \"delivery\": \"weekly\", \"digest_time\": \"17:45\","
                              " \"digest_day\": \"SUNDAY\"}", 0, NULL);
    json_t *errors = json_array();
    subscription_input in;
    assert_int_equal(subscription_parse(body, NULL, NULL, false, &in, errors), 0);
    assert_int_equal(in.schedule.delivery, DIGEST_WEEKLY);
    assert_int_equal(in.schedule.minute, 17 * 60 + 45);
    assert_int_equal(in.schedule.weekday, 6);
    assert_string_equal(in.digest_time, "17:45");
    subscription_input_free(&in);
    json_decref(body);
    body = json_loads("{\"email\": \"a@b.example\", \"delivery\": \"daily\"}", 0, NULL);
    assert_int_equal(subscription_parse(body, NULL, NULL, false, &in, errors), 0);
    assert_string_equal(in.digest_time, "08:00");
    assert_int_equal(in.schedule.minute, 480);
    subscription_input_free(&in);
    json_decref(body);
    json_decref(errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(settings_parse_strictly),
        cmocka_unit_test(london_rule_agrees_with_the_tz_database),
        cmocka_unit_test(london_wall_clock_to_utc),
        cmocka_unit_test(daily_windows_keep_the_wall_clock_across_changes),
        cmocka_unit_test(digest_time_in_the_skipped_hour),
        cmocka_unit_test(weekly_windows),
        cmocka_unit_test(window_end_is_the_latest_time_passed),
        cmocka_unit_test(body_lists_and_counts_the_window),
        cmocka_unit_test(body_of_one_event_on_one_day),
        cmocka_unit_test(a_long_digest_fits_slack),
        cmocka_unit_test(subscription_digest_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
