/* Unit tests: a calendar's and an event's cache keys change with everything
 * their bytes are made from, and with nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "calendar_keys.h"

static const calendar_event_ref base_event = { "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", "3",
                                               "2027-02-03 04:05:06.123456+00", "Camden Council" };
static const calendar_context base_ctx = { 7, "https://c.example/console", NULL };

static void key_of(const calendar_event_ref *e, const calendar_context *ctx, char out[CALENDAR_EVENT_KEY_LEN])
{
    calendar_event_key(e, ctx, out);
}

static void event_key_follows_its_bytes(void **state)
{
    (void)state;
    char k0[CALENDAR_EVENT_KEY_LEN], k[CALENDAR_EVENT_KEY_LEN];
    key_of(&base_event, &base_ctx, k0);
    assert_int_equal(strncmp(k0, "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b:3:", 39), 0);
    assert_int_equal(strlen(k0), 39 + 16);
    key_of(&base_event, &base_ctx, k);
    assert_string_equal(k, k0); /* the same input, the same key */
    /* an id or version longer than a UUID or a number is cut, not overrun */
    calendar_event_ref longer = base_event;
    longer.id = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2bXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
    longer.version = "123456789012345678901234567890";
    key_of(&longer, &base_ctx, k);
    assert_int_equal(strlen(k), 36 + 1 + 20 + 1 + 16);

    calendar_event_ref e = base_event;
    e.version = "4";
    key_of(&e, &base_ctx, k);
    assert_string_not_equal(k, k0);
    e = base_event;
    e.updated = "2027-02-03 04:05:06.123457+00";
    key_of(&e, &base_ctx, k);
    assert_string_not_equal(k, k0);
    e = base_event;
    e.organisation = "Camden Council (renamed)";
    key_of(&e, &base_ctx, k);
    assert_string_not_equal(k, k0);
    e = base_event;
    e.id = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c";
    key_of(&e, &base_ctx, k);
    assert_string_not_equal(k, k0);
    calendar_context ctx = base_ctx;
    ctx.generation = 8;
    key_of(&base_event, &ctx, k);
    assert_string_not_equal(k, k0);
    ctx = base_ctx;
    ctx.console_url = "https://other.example/console";
    key_of(&base_event, &ctx, k);
    assert_string_not_equal(k, k0);
    ctx = base_ctx; /* the public calendar's events name the residents' page: not a feed's event */
    ctx.public_page = "https://c.example/public/?consultation=";
    key_of(&base_event, &ctx, k);
    assert_string_not_equal(k, k0);
    /* fields are separated: moving a character from one to the next is another key */
    calendar_event_ref a = base_event, b = base_event;
    a.updated = "x";
    a.organisation = "yz";
    b.updated = "xy";
    b.organisation = "z";
    char ka[CALENDAR_EVENT_KEY_LEN], kb[CALENDAR_EVENT_KEY_LEN];
    key_of(&a, &base_ctx, ka);
    key_of(&b, &base_ctx, kb);
    assert_string_not_equal(ka, kb);
    /* NULLs are empty strings */
    calendar_event_ref nul = { NULL, NULL, NULL, NULL }, empty = { "", "", "", "" };
    key_of(&nul, &base_ctx, ka);
    key_of(&empty, &base_ctx, kb);
    assert_string_equal(ka, kb);
}

static void calendar_etag_follows_its_bytes(void **state)
{
    (void)state;
    calendar_event_ref refs[2] = { base_event, base_event };
    refs[1].id = "0190a1b2-c3d4-7e5f-8a6b-000000000002";
    char ev[2][CALENDAR_EVENT_KEY_LEN];
    key_of(&refs[0], &base_ctx, ev[0]);
    key_of(&refs[1], &base_ctx, ev[1]);
    char *params[1] = { "{E09000007}" };
    list_query q = { 0 };
    q.sql = "SELECT ...";
    q.nparams = 1;
    q.params[0] = params[0];
    char t0[ETAG_LEN], t[ETAG_LEN];
    assert_int_equal(calendar_etag(ev, 2, false, &q, "Camden", &base_ctx, t0), 0);
    assert_int_equal(strlen(t0), 34);
    assert_int_equal(t0[0], '"');
    assert_int_equal(calendar_etag(ev, 2, false, &q, "Camden", &base_ctx, t), 0);
    assert_string_equal(t, t0);

    char swapped[2][CALENDAR_EVENT_KEY_LEN];
    memcpy(swapped[0], ev[1], sizeof ev[1]);
    memcpy(swapped[1], ev[0], sizeof ev[0]);
    assert_int_equal(calendar_etag(swapped, 2, false, &q, "Camden", &base_ctx, t), 0);
    assert_string_not_equal(t, t0); /* the order is in the bytes */
    assert_int_equal(calendar_etag(ev, 1, false, &q, "Camden", &base_ctx, t), 0);
    assert_string_not_equal(t, t0);
    assert_int_equal(calendar_etag(ev, 2, true, &q, "Camden", &base_ctx, t), 0);
    assert_string_not_equal(t, t0);
    assert_int_equal(calendar_etag(ev, 2, false, &q, "Camden 2", &base_ctx, t), 0);
    assert_string_not_equal(t, t0);
    q.params[0] = "{E09000008}";
    assert_int_equal(calendar_etag(ev, 2, false, &q, "Camden", &base_ctx, t), 0);
    assert_string_not_equal(t, t0);
    q.params[0] = params[0];
    calendar_event_ref e = refs[1];
    e.version = "4";
    char edited[2][CALENDAR_EVENT_KEY_LEN];
    memcpy(edited[0], ev[0], sizeof ev[0]);
    key_of(&e, &base_ctx, edited[1]);
    assert_int_equal(calendar_etag(edited, 2, false, &q, "Camden", &base_ctx, t), 0);
    assert_string_not_equal(t, t0);
    calendar_context ctx = base_ctx;
    ctx.generation = 8;
    assert_int_equal(calendar_etag(ev, 2, false, &q, "Camden", &ctx, t), 0); /* the same keys, another context */
    assert_string_not_equal(t, t0);
    /* an empty calendar has a tag too */
    assert_int_equal(calendar_etag(NULL, 0, false, &q, "Camden", &base_ctx, t), 0);
    assert_string_not_equal(t, t0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_key_follows_its_bytes),
        cmocka_unit_test(calendar_etag_follows_its_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
