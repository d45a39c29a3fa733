/* Unit tests: a subscription's merge patch (what may change, what stays, the
 * digest settings a new delivery drops) and how its digest windows carry on
 * across a change of delivery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "digest_schedule.h"
#include "subscription.h"
#include "subscription_patch.h"

static const char STORED_HOOK[] =
    "{\"id\": \"0190a000-0000-7000-8000-000000000001\", \"organisation\": \"0190a000-0000-7000-8000-000000000002\","
    " \"url\": \"https://hooks.example.org/a\", \"email\": null, \"format\": \"standard\","
    " \"events\": [\"overlap.detected\"], \"filters\": {\"areas\": [], \"topics\": [\"housing\"],"
    " \"communities\": [], \"min_level\": \"medium\"}, \"delivery\": \"weekly\", \"digest_time\": \"07:30\","
    " \"digest_day\": \"friday\", \"next_digest_at\": \"2027-03-05T07:30:00Z\", \"status\": \"active\","
    " \"disabled_reason\": null, \"version\": 3, \"created_at\": \"2027-03-01T09:00:00Z\","
    " \"updated_at\": \"2027-03-01T09:00:00Z\"}";

static time_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
    return timegm(&tm);
}

/* Applies patch (JSON text) to STORED_HOOK; returns the merged body (owned)
 * or NULL; *errors gets the error list (owned). */
static json_t *apply(const char *patch, json_t **errors)
{
    json_t *stored = json_loads(STORED_HOOK, 0, NULL), *p = json_loads(patch, 0, NULL);
    assert_non_null(stored);
    assert_non_null(p);
    *errors = json_array();
    json_t *m = subscription_patch_body(stored, p, *errors);
    json_decref(stored);
    json_decref(p);
    return m;
}

static bool names(const json_t *errors, const char *field)
{
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e)
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return true;
    return false;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void patch_merges_into_the_creation_fields(void **state)
{
    (void)state;
    json_t *errors;
    json_t *m = apply("{\"filters\": {\"min_level\": \"high\", \"topics\": null},"
                      " \"digest_time\": \"06:00\"}", &errors);
    assert_non_null(m);
    assert_int_equal(json_array_size(errors), 0);
    assert_string_equal(str(m, "url"), "https://hooks.example.org/a");
    assert_null(json_object_get(m, "email"));
    assert_string_equal(str(m, "delivery"), "weekly");
    assert_string_equal(str(m, "digest_time"), "06:00");
    assert_string_equal(str(m, "digest_day"), "friday");
    const json_t *f = json_object_get(m, "filters");
    assert_string_equal(str(f, "min_level"), "high");
    assert_null(json_object_get(f, "topics")); /* null removes (RFC 7396 section 2) */
    /* server-owned members of the stored form never reach the parser */
    assert_null(json_object_get(m, "id"));
    assert_null(json_object_get(m, "version"));
    assert_null(json_object_get(m, "next_digest_at"));
    /* and the result is a creation body: the parser takes it (no vocabulary
     * or register is needed for what is left) */
    subscription_input in;
    json_t *perr = json_array();
    assert_int_equal(subscription_parse(m, NULL, NULL, true, &in, perr), 0);
    assert_int_equal(in.schedule.delivery, DIGEST_WEEKLY);
    assert_int_equal(in.schedule.minute, 360);
    assert_int_equal(in.schedule.weekday, 4);
    assert_string_equal(in.min_level, "high");
    subscription_input_free(&in);
    json_decref(perr);
    json_decref(m);
    json_decref(errors);
}

static void a_new_delivery_drops_the_settings_it_does_not_use(void **state)
{
    (void)state;
    json_t *errors;
    json_t *m = apply("{\"delivery\": \"daily\"}", &errors);
    assert_string_equal(str(m, "digest_time"), "07:30"); /* a digest keeps its time */
    assert_null(json_object_get(m, "digest_day"));
    json_decref(m);
    json_decref(errors);
    m = apply("{\"delivery\": \"immediate\"}", &errors);
    assert_null(json_object_get(m, "digest_time"));
    assert_null(json_object_get(m, "digest_day"));
    json_decref(m);
    json_decref(errors);
    m = apply("{\"delivery\": null}", &errors); /* back to the default: immediate */
    assert_null(json_object_get(m, "delivery"));
    assert_null(json_object_get(m, "digest_time"));
    json_decref(m);
    json_decref(errors);
    /* a setting the patch itself gives is kept, for the parser to refuse */
    m = apply("{\"delivery\": \"immediate\", \"digest_time\": \"09:00\"}", &errors);
    assert_string_equal(str(m, "digest_time"), "09:00");
    subscription_input in;
    json_t *perr = json_array();
    assert_int_equal(subscription_parse(m, NULL, NULL, true, &in, perr), -1);
    assert_true(names(perr, "digest_time"));
    subscription_input_free(&in);
    json_decref(perr);
    json_decref(m);
    json_decref(errors);
}

static void target_secret_and_server_fields_are_refused_by_name(void **state)
{
    (void)state;
    json_t *errors;
    json_t *m = apply("{\"url\": \"https://hooks.example.org/a\"}", &errors); /* unchanged: fine */
    assert_non_null(m);
    assert_int_equal(json_array_size(errors), 0);
    json_decref(m);
    json_decref(errors);
    m = apply("{\"url\": \"https://other.example.org/\", \"email\": \"a@example.org\", \"secret\": \"whsec_x\","
              " \"version\": 4, \"status\": \"disabled\", \"colour\": \"red\", \"format\": \"slack\"}",
              &errors);
    const char *refused[] = { "url", "email", "secret", "version", "status", "colour" };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_true(names(errors, refused[i]));
    assert_int_equal(json_array_size(errors), 6);
    /* the rest is still merged, so the parser can name its own bad fields too */
    assert_non_null(m);
    assert_string_equal(str(m, "format"), "slack");
    assert_string_equal(str(m, "url"), "https://hooks.example.org/a");
    assert_null(json_object_get(m, "email"));
    json_decref(m);
    json_decref(errors);
    /* not an object */
    json_t *stored = json_loads(STORED_HOOK, 0, NULL), *arr = json_array();
    errors = json_array();
    assert_null(subscription_patch_body(stored, arr, errors));
    assert_int_equal(json_array_size(errors), 1);
    json_decref(stored);
    json_decref(arr);
    json_decref(errors);
}

static void windows_carry_on_across_a_change(void **state)
{
    (void)state;
    digest_schedule imm = { DIGEST_IMMEDIATE, 0, 0 };
    digest_schedule daily8 = { DIGEST_DAILY, 8 * 60, 0 };
    digest_schedule daily18 = { DIGEST_DAILY, 18 * 60, 0 };
    digest_schedule fri730 = { DIGEST_WEEKLY, 7 * 60 + 30, 4 };
    time_t start = utc(2027, 3, 1, 8, 0);    /* Monday 08:00 GMT: the open window's start */
    time_t now = utc(2027, 3, 1, 12, 34);
    subscription_reschedule rs;

    /* immediate -> daily: opens now, as at creation */
    subscription_reschedule_for(&imm, 0, &daily8, now, now, &rs);
    assert_false(rs.flush);
    assert_int_equal(rs.last_end, now);
    assert_int_equal(rs.next_at, utc(2027, 3, 2, 8, 0));
    /* ... or after the last window this subscription closed, if that is later */
    subscription_reschedule_for(&imm, 0, &daily8, now, now + 1, &rs);
    assert_int_equal(rs.last_end, now + 1);

    /* daily -> daily at another time: the window keeps its start */
    subscription_reschedule_for(&daily8, start, &daily18, now, now, &rs);
    assert_false(rs.flush);
    assert_int_equal(rs.last_end, start);
    assert_int_equal(rs.next_at, utc(2027, 3, 1, 18, 0));
    /* daily -> weekly on Friday */
    subscription_reschedule_for(&daily8, start, &fri730, now, now, &rs);
    assert_int_equal(rs.last_end, start);
    assert_int_equal(rs.next_at, utc(2027, 3, 5, 7, 30));
    /* a new time already passed since the window opened: due at once, not skipped */
    time_t late = utc(2027, 3, 2, 20, 0);
    subscription_reschedule_for(&daily18, start, &daily8, late, late, &rs);
    assert_int_equal(rs.last_end, start);
    assert_int_equal(rs.next_at, utc(2027, 3, 2, 8, 0));
    assert_true(rs.next_at <= late);
    assert_int_equal(digest_window_end(&daily8, rs.last_end, late), utc(2027, 3, 2, 8, 0));

    /* daily -> immediate: the open window is closed now, and the columns go */
    subscription_reschedule_for(&daily8, start, &imm, now, now, &rs);
    assert_true(rs.flush);
    assert_int_equal(rs.flush_end, now);
    assert_int_equal(rs.last_end, 0);
    assert_int_equal(rs.next_at, 0);
    /* within the second the window opened: it still ends after it starts */
    subscription_reschedule_for(&daily8, now, &imm, now, now, &rs);
    assert_int_equal(rs.flush_end, now + 1);
    /* immediate stays immediate */
    subscription_reschedule_for(&imm, 0, &imm, now, now, &rs);
    assert_false(rs.flush);
    assert_int_equal(rs.last_end, 0);
    assert_int_equal(rs.next_at, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(patch_merges_into_the_creation_fields),
        cmocka_unit_test(a_new_delivery_drops_the_settings_it_does_not_use),
        cmocka_unit_test(target_secret_and_server_fields_are_refused_by_name),
        cmocka_unit_test(windows_carry_on_across_a_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
