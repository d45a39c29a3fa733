/* Unit tests: webhook signing, the address guard, the retry policy, the
 * readable renderings of events and subscription checking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "fmt_alert.h"
#include "areas.h"
#include "delivery_policy.h"
#include "net_guard.h"
#include "subscription.h"
#include "vocab.h"
#include "webhook_sign.h"

/* ---- signing ------------------------------------------------------------------------- */

static void signature_matches_the_published_test_vector(void **state)
{
    (void)state;
    /* Standard Webhooks 1.0 specification test vector */
    const char *body = "{\"test\": 2432232314}";
    char sig[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                  1614265330, body, strlen(body), sig, sizeof sig), 0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* the prefix is optional; any change to id, time or body changes the signature */
    char other[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                  body, strlen(body), other, sizeof other), 0);
    assert_string_equal(other, sig);
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                  1614265331, body, strlen(body), other, sizeof other), 0);
    assert_string_not_equal(other, sig);
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                  1614265330, body, strlen(body) - 1, other, sizeof other), 0);
    assert_string_not_equal(other, sig);
}

static void secrets_are_random_and_usable(void **state)
{
    (void)state;
    char a[WEBHOOK_SECRET_MAX], b[WEBHOOK_SECRET_MAX], sig[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_secret_new(a, sizeof a), 0);
    assert_int_equal(webhook_secret_new(b, sizeof b), 0);
    assert_int_equal(strncmp(a, "whsec_", 6), 0);
    assert_int_equal(strlen(a), 6 + 44); /* 32 bytes */
    assert_string_not_equal(a, b);
    assert_int_equal(webhook_sign(a, "id", 1, "{}", 2, sig, sizeof sig), 0);
}

static void bad_secrets_refused(void **state)
{
    (void)state;
    char sig[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_sign("whsec_", "id", 1, "{}", 2, sig, sizeof sig), -1);
    assert_int_equal(webhook_sign("whsec_abc", "id", 1, "{}", 2, sig, sizeof sig), -1);
    assert_int_equal(webhook_sign("whsec_!!!!", "id", 1, "{}", 2, sig, sizeof sig), -1);
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id", 1, "{}", 2, sig, 10), -1);
}

/* ---- the address guard ------------------------------------------------------------------ */

static bool public4(const char *text)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    assert_int_equal(inet_pton(AF_INET, text, &a.sin_addr), 1);
    return net_addr_public((struct sockaddr *)&a);
}

static bool public6(const char *text)
{
    struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
    assert_int_equal(inet_pton(AF_INET6, text, &a.sin6_addr), 1);
    return net_addr_public((struct sockaddr *)&a);
}

static void private_addresses_refused(void **state)
{
    (void)state;
    const char *refused4[] = { "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                               "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1",
                               "255.255.255.255", "198.18.0.1", "192.0.2.10" };
    for (size_t i = 0; i < sizeof refused4 / sizeof refused4[0]; i++)
        assert_false(public4(refused4[i]));
    const char *allowed4[] = { "8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1", "100.128.0.1",
                               "81.2.69.160" };
    for (size_t i = 0; i < sizeof allowed4 / sizeof allowed4[0]; i++)
        assert_true(public4(allowed4[i]));
    const char *refused6[] = { "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
                               "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2001:db8::1" };
    for (size_t i = 0; i < sizeof refused6 / sizeof refused6[0]; i++)
        assert_false(public6(refused6[i]));
    assert_true(public6("2a00:1450:4009:81f::200e"));
    assert_true(public6("::ffff:8.8.8.8"));
    struct sockaddr un = { .sa_family = AF_UNIX };
    assert_false(net_addr_public(&un));
}

static void literal_hosts_checked(void **state)
{
    (void)state;
    assert_true(net_literal_private("127.0.0.1"));
    assert_true(net_literal_private("[::1]"));
    assert_true(net_literal_private("169.254.169.254"));
    assert_false(net_literal_private("8.8.8.8"));
    assert_false(net_literal_private("example.org")); /* names are checked when connecting */
}

/* ---- retry policy --------------------------------------------------------------------- */

static void retry_policy(void **state)
{
    (void)state;
    int steps[RETRY_SCHEDULE_MAX];
    int n = retry_schedule_parse("30, 60,300", steps, RETRY_SCHEDULE_MAX);
    assert_int_equal(n, 3);
    assert_int_equal(steps[2], 300);
    int scratch[RETRY_SCHEDULE_MAX];
    assert_int_equal(retry_schedule_parse("", scratch, RETRY_SCHEDULE_MAX), -1);
    assert_int_equal(retry_schedule_parse("30,,60", scratch, RETRY_SCHEDULE_MAX), -1);
    assert_int_equal(retry_schedule_parse("0", scratch, RETRY_SCHEDULE_MAX), -1);
    assert_int_equal(retry_schedule_parse("1,2,3", scratch, 2), -1);

    assert_int_equal(delivery_decide(200, 1, steps, n, -1, 0.5).outcome, DELIVERY_DELIVERED);
    assert_int_equal(delivery_decide(204, 4, steps, n, -1, 0.5).outcome, DELIVERY_DELIVERED);
    assert_int_equal(delivery_decide(410, 1, steps, n, -1, 0.5).outcome, DELIVERY_DISABLED);
    delivery_decision d = delivery_decide(500, 1, steps, n, -1, 0.5);
    assert_int_equal(d.outcome, DELIVERY_RETRY);
    assert_true(fabs(d.delay_s - 30.0) < 1e-9);
    /* jitter stays within +-20% of the step */
    assert_true(fabs(delivery_decide(0, 2, steps, n, -1, 0.0).delay_s - 48.0) < 1e-9);
    assert_true(delivery_decide(0, 2, steps, n, -1, 0.999).delay_s < 72.0);
    assert_true(fabs(delivery_decide(302, 3, steps, n, -1, 0.5).delay_s - 300.0) < 1e-9); /* redirects are failures */
    assert_int_equal(delivery_decide(503, 4, steps, n, -1, 0.5).outcome, DELIVERY_FAILED); /* no steps left */
    /* Retry-After replaces the step, within bounds */
    assert_true(delivery_decide(503, 1, steps, n, 7, 0.5).delay_s == 7.0);
    assert_true(delivery_decide(429, 1, steps, n, 0, 0.5).delay_s == RETRY_AFTER_MIN_S);
    assert_true(delivery_decide(429, 1, steps, n, 999999, 0.5).delay_s == RETRY_AFTER_MAX_S);
}

static void retry_after_values(void **state)
{
    (void)state;
    assert_int_equal(retry_after_parse("120", 0), 120);
    assert_int_equal(retry_after_parse(" 5\r\n", 0), 5);
    assert_int_equal(retry_after_parse("soon", 0), -1);
    assert_int_equal(retry_after_parse("12abc", 0), -1);
    assert_int_equal(retry_after_parse(NULL, 0), -1);
    /* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 */
    assert_int_equal(retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 90), 90);
    assert_int_equal(retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 90), 0);
}

/* ---- renderings ------------------------------------------------------------------------ */

static const char *names(void *ctx, const char *code)
{
    (void)ctx;
    return strcmp(code, "E09000007") == 0 ? "Camden" : NULL;
}

static json_t *overlap_event(const char *title_a)
{
    json_t *e = json_pack(
        "{s:s, s:s, s:{s:{s:s, s:f, s:s, s:b, s:s, s:s, s:{s:[s], s:[s], s:[s], s:i, s:i}},"
        " s:[{s:s, s:s, s:{s:s}, s:{s:s, s:s}}, {s:s, s:s, s:{s:s}, s:{s:s, s:s}}]}}",
        "type", "overlap.detected", "timestamp", "2027-01-10T09:00:00Z", "data", "overlap", "id", "ov-1", "score",
        0.82, "level", "high", "same_organisation", 0, "status", "open", "explanation",
        "Both ask carers in Camden about adult social care between 1 and 21 March 2027.", "reasons", "topics",
        "adult-social-care", "communities", "carers", "areas", "E09000007", "fieldwork_gap_days", 0,
        "fieldwork_overlap_days", 21, "consultations", "id", "c-a", "title", title_a, "organisation", "name",
        "Camden Council", "fieldwork", "start", "2027-03-01", "end", "2027-04-15", "id", "c-b", "title",
        "Discharge support", "organisation", "name", "NHS North Central London", "fieldwork", "start", "2027-02-01",
        "end", "2027-03-21");
    assert_non_null(e);
    return e;
}

static void renderings_name_everything(void **state)
{
    (void)state;
    alert_context ctx = { "https://consultd.example.org", names, NULL, NULL };
    json_t *e = overlap_event("Care charging");
    char *subject = alert_subject(e, &ctx);
    assert_string_equal(subject, "Overlap: Care charging / Discharge support in Camden");
    char *text = alert_text(e, &ctx);
    const char *wanted[] = { "Camden Council", "NHS North Central London", "adult-social-care", "carers",
                             "Camden (E09000007)", "2027-03-01 to 2027-04-15",
                             "https://consultd.example.org/v1/consultations/c-a",
                             "https://consultd.example.org/v1/overlaps/ov-1", "between 1 and 21 March 2027" };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        assert_non_null(strstr(text, wanted[i]));
    char *slack = alert_slack_body(e, &ctx);
    json_t *msg = json_loads(slack, 0, NULL);
    assert_non_null(msg);
    assert_non_null(strstr(json_string_value(json_object_get(msg, "text")), "Discharge support"));
    assert_int_equal(json_array_size(json_object_get(msg, "blocks")), 2);
    char *mail = alert_email_message(e, &ctx, "alerts@example.org", "coord@example.org", 0, "m1@consultd");
    assert_non_null(strstr(mail, "\r\nSubject: Overlap: Care charging / Discharge support in Camden\r\n"));
    assert_non_null(strstr(mail, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
    assert_non_null(strstr(mail, "\r\n\r\nhigh overlap (score 0.82)"));
    assert_null(strstr(mail + 1, "\n\n")); /* every line end is CRLF */
    free(subject);
    free(text);
    free(slack);
    free(mail);
    json_decref(msg);
    json_decref(e);
}

static void headers_cannot_be_injected(void **state)
{
    (void)state;
    alert_context ctx = { "", NULL, NULL, NULL };
    json_t *e = overlap_event("Evil\r\nBcc: victim@example.org");
    char *mail = alert_email_message(e, &ctx, "a@example.org", "b@example.org", 0, "m@x");
    assert_null(strstr(mail, "\r\nBcc:"));
    assert_non_null(strstr(mail, "Subject: Overlap: Evil  Bcc: victim@example.org / "));
    free(mail);
    json_decref(e);
    e = overlap_event("Ymgynghoriad ar ofal – Camden");
    mail = alert_email_message(e, &ctx, "a@example.org", "b@example.org", 0, "m@x");
    assert_non_null(strstr(mail, "Subject: =?UTF-8?B?"));
    free(mail);
    json_decref(e);
}

/* The subject names the shared areas as the explanation does, never only the first. */
static void subject_summarises_every_shared_area(void **state)
{
    (void)state;
    area_register *r = areas_new();
    const char *anc[] = { "E09000007", "E12000007" };
    assert_int_equal(areas_add(r, "E09000007", "Camden", "district", (const char *[]){ "E12000007" }, 1), 0);
    assert_int_equal(areas_add(r, "E12000007", "London", "region", NULL, 0), 0);
    const char *wards[] = { "E05000128", "E05000129", "E05000130", "E05000131" };
    const char *names_[] = { "Belsize", "Bloomsbury", "Camden Town", "Fortune Green" };
    for (int i = 0; i < 4; i++)
        assert_int_equal(areas_add(r, wards[i], names_[i], "ward", anc, 2), 0);
    assert_int_equal(areas_add(r, "E05000132", "Frognal", "ward", anc, 2), 0);
    assert_int_equal(areas_finish(r), 0);
    alert_context ctx = { "", names, NULL, r };
    json_t *e = overlap_event("Care charging");
    json_t *areas = json_object_get(json_object_get(json_object_get(json_object_get(e, "data"), "overlap"),
                                                    "reasons"), "areas");
    json_array_clear(areas);
    json_array_append_new(areas, json_string("E05000128"));
    json_array_append_new(areas, json_string("E05000129"));
    char *subject = alert_subject(e, &ctx);
    assert_string_equal(subject, "Overlap: Care charging / Discharge support in Belsize and Bloomsbury");
    free(subject);
    for (int i = 2; i < 4; i++)
        json_array_append_new(areas, json_string(wards[i]));
    subject = alert_subject(e, &ctx);
    assert_string_equal(subject, "Overlap: Care charging / Discharge support in 4 wards of Camden");
    free(subject);
    json_array_append_new(areas, json_string("E05000132"));
    subject = alert_subject(e, &ctx);
    assert_string_equal(subject, "Overlap: Care charging / Discharge support across Camden");
    free(subject);
    ctx.areas = NULL; /* no register yet: the first by name, the rest counted */
    subject = alert_subject(e, &ctx);
    assert_string_equal(subject, "Overlap: Care charging / Discharge support in E05000128 and 4 more areas");
    free(subject);
    json_decref(e);
    areas_free(r);
}

/* ---- subscription checks --------------------------------------------------------------- */

static vocab *test_vocab(void)
{
    vocab *v = vocab_new();
    assert_int_equal(vocab_add(v, VOCAB_TOPICS, "social-care", "Social care", NULL, NULL, 0), 0);
    assert_int_equal(vocab_add(v, VOCAB_TOPICS, "adult-social-care", "Adult social care", "social-care", NULL, 0), 0);
    assert_int_equal(vocab_add(v, VOCAB_TOPICS, "housing", "Housing", NULL, NULL, 0), 0);
    assert_int_equal(vocab_add(v, VOCAB_COMMUNITIES, "carers", "Carers", NULL, NULL, 0), 0);
    assert_int_equal(vocab_finish(v), 0);
    return v;
}

static area_register *test_areas(void)
{
    area_register *r = areas_new();
    const char *anc[] = { "E09000007", "E12000007", NULL };
    assert_int_equal(areas_add(r, "E09000007", "Camden", "district", (const char *[]){ "E12000007", NULL }, 1), 0);
    assert_int_equal(areas_add(r, "E05000128", "Belsize", "ward", anc, 2), 0);
    assert_int_equal(areas_add(r, "E12000007", "London", "region", NULL, 0), 0);
    areas_finish(r);
    return r;
}

static json_t *parse_ok(const char *text, const vocab *v, const area_register *r, subscription_input *in)
{
    json_t *body = json_loads(text, 0, NULL);
    json_t *errors = json_array();
    int rc = subscription_parse(body, v, r, false, in, errors);
    if (rc != 0)
        fail_msg("%s", json_dumps(errors, 0));
    json_decref(errors);
    return body;
}

static bool has(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *x;
    json_array_foreach(arr, i, x)
        if (strcmp(json_string_value(x), s) == 0)
            return true;
    return false;
}

static void subscriptions_widen_their_filters(void **state)
{
    (void)state;
    vocab *v = test_vocab();
    area_register *r = test_areas();
    subscription_input in;
    json_t *body = parse_ok("{\"url\": \"https://hooks.example.org/x\", \"format\": \"slack\","
                            " \"filters\": {\"areas\": [\"E05000128\"], \"topics\": [\"Adult social care\"],"
                            " \"communities\": [\"carers\"], \"min_level\": \"medium\"}}", v, r, &in);
    assert_string_equal(in.url, "https://hooks.example.org/x");
    assert_string_equal(in.format, "slack");
    assert_string_equal(in.min_level, "medium");
    assert_int_equal(json_array_size(in.events), 3); /* every event but ping by default */
    assert_true(has(in.areas, "E05000128"));
    assert_true(has(in.area_ancestors, "E09000007") && has(in.area_ancestors, "E12000007"));
    assert_true(has(in.topics, "adult-social-care"));
    assert_true(has(in.match_topics, "social-care")); /* the parent */
    assert_false(has(in.match_topics, "housing"));
    subscription_input_free(&in);
    json_decref(body);
    /* a parent term matches its children */
    body = parse_ok("{\"email\": \"coord@example.org\", \"events\": [\"overlap.detected\"],"
                    " \"filters\": {\"topics\": [\"social-care\"]}}", v, r, &in);
    assert_true(has(in.match_topics, "adult-social-care"));
    assert_string_equal(in.email, "coord@example.org");
    subscription_input_free(&in);
    json_decref(body);
    areas_free(r);
    vocab_free(v);
}

static void bad_subscriptions_name_every_field(void **state)
{
    (void)state;
    vocab *v = test_vocab();
    area_register *r = test_areas();
    struct { const char *body; const char *fields; } cases[] = {
        { "{}", "url" },
        { "{\"url\": \"https://a.example.org\", \"email\": \"a@example.org\"}", "url" },
        { "{\"url\": \"ftp://a.example.org/x\"}", "url" },
        { "{\"url\": \"not a url\"}", "url" },
        { "{\"url\": \"http://127.0.0.1:9/x\"}", "url" },
        { "{\"url\": \"http://[::1]/x\"}", "url" },
        { "{\"url\": \"http://localhost/x\"}", "url" },
        { "{\"email\": \"no-at-sign\"}", "email" },
        { "{\"email\": \"a@b.org\\r\\nBcc: c@d.org\"}", "email" },
        { "{\"email\": \"a@example.org\", \"format\": \"slack\"}", "format" },
        { "{\"url\": \"https://a.example.org\", \"format\": \"xml\", \"events\": [\"overlap.gone\"],"
          " \"filters\": {\"areas\": [\"E99999999\"], \"topics\": [\"no such topic\"], \"colour\": 1,"
          " \"min_level\": \"severe\"}, \"extra\": true}",
          "extra format events[0] filters.colour filters.areas[0] filters.topics[0] filters.min_level" },
        { "{\"url\": \"https://a.example.org\", \"events\": []}", "events" },
        { "{\"url\": \"https://a.example.org\", \"filters\": {\"areas\": \"E09000007\"}}", "filters.areas" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *body = json_loads(cases[i].body, 0, NULL);
        assert_non_null(body);
        json_t *errors = json_array();
        subscription_input in;
        assert_int_equal(subscription_parse(body, v, r, false, &in, errors), -1);
        char got[512] = "";
        size_t k;
        json_t *e;
        json_array_foreach(errors, k, e) {
            strcat(got, k ? " " : "");
            strncat(got, json_string_value(json_object_get(e, "field")), 100);
        }
        if (strcmp(got, cases[i].fields) != 0)
            fail_msg("case %zu: fields \"%s\", want \"%s\"", i, got, cases[i].fields);
        subscription_input_free(&in);
        json_decref(errors);
        json_decref(body);
    }
    /* private targets are accepted where the operator allows them */
    json_t *body = json_loads("{\"url\": \"http://127.0.0.1:9/x\"}", 0, NULL);
    json_t *errors = json_array();
    subscription_input in;
    assert_int_equal(subscription_parse(body, v, r, true, &in, errors), 0);
    subscription_input_free(&in);
    json_decref(errors);
    json_decref(body);
    areas_free(r);
    vocab_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signature_matches_the_published_test_vector),
        cmocka_unit_test(secrets_are_random_and_usable),
        cmocka_unit_test(bad_secrets_refused),
        cmocka_unit_test(private_addresses_refused),
        cmocka_unit_test(literal_hosts_checked),
        cmocka_unit_test(retry_policy),
        cmocka_unit_test(retry_after_values),
        cmocka_unit_test(renderings_name_everything),
        cmocka_unit_test(headers_cannot_be_injected),
        cmocka_unit_test(subject_summarises_every_shared_area),
        cmocka_unit_test(subscriptions_widen_their_filters),
        cmocka_unit_test(bad_subscriptions_name_every_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
