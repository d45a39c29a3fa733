/* Unit tests: consultation validation, vocabulary resolution, dates, e-mail,
 * merge patch, PostgreSQL array literals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "consultation.h"
#include "vocab.h"

static vocab *small_vocab(void)
{
    vocab *v = vocab_new();
    const char *s1[] = { "social care", "care and support" };
    const char *s2[] = { "support for carers" };
    const char *s3[] = { "elderly", "pensioners" };
    const char *s4[] = { "questionnaire" };
    assert_int_equal(vocab_add(v, VOCAB_TOPICS, "adult-social-care", "Adult social care", NULL, s1, 2), 0);
    assert_int_equal(vocab_add(v, VOCAB_TOPICS, "carers-support", "Carers support", "adult-social-care", s2, 1), 0);
    assert_int_equal(vocab_add(v, VOCAB_TOPICS, "childrens-services", "Children's services", NULL, NULL, 0), 0);
    assert_int_equal(vocab_add(v, VOCAB_COMMUNITIES, "older-people", "Older people", NULL, s3, 2), 0);
    assert_int_equal(vocab_add(v, VOCAB_METHODS, "survey", "Survey", NULL, s4, 1), 0);
    assert_int_equal(vocab_finish(v), 0);
    return v;
}

static int setup(void **state)
{
    *state = small_vocab();
    return 0;
}

static int teardown(void **state)
{
    vocab_free(*state);
    return 0;
}

/* Parses a JSON text; returns 0/-1 and leaves errors/warnings for inspection. */
static int parse(vocab *v, const char *text, consultation *c, json_t **errors, json_t **warnings)
{
    json_error_t jerr;
    json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(obj);
    *errors = json_array();
    *warnings = json_array();
    int rc = consultation_parse(obj, v, NULL, c, *errors, *warnings);
    json_decref(obj);
    return rc;
}

static bool has_error(json_t *errors, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return true;
    }
    return false;
}

static const char *valid_body =
    "{\"title\": \"Adult social care charging policy\", \"summary\": \"We want to hear\","
    " \"topics\": [\"adult-social-care\", \"Carers' Support\", \"Bus lanes\"],"
    " \"communities\": [\"ELDERLY\", \"older-people\"], \"areas\": [\"E09000007\"],"
    " \"fieldwork\": {\"start\": \"2027-03-01\", \"end\": \"2027-04-15\"}, \"methods\": [\"Questionnaire\"],"
    " \"engagement_level\": \"involve\", \"expected_participants\": 400,"
    " \"contact\": {\"name\": \"Engagement team\", \"email\": \"engage@example.org\"}, \"external_ref\": \"CAM-1\"}";

static void valid_body_resolves_terms(void **state)
{
    consultation c;
    json_t *errors, *warnings;
    assert_int_equal(parse(*state, valid_body, &c, &errors, &warnings), 0);
    assert_int_equal(json_array_size(errors), 0);
    assert_int_equal(c.topics.n, 3);
    assert_string_equal(c.topics.items[0], "adult-social-care");
    assert_string_equal(c.topics.items[1], "carers-support");
    assert_string_equal(c.topics.items[2], "Bus lanes"); /* free tag */
    assert_int_equal(c.communities.n, 1);                /* both entries name one term */
    assert_string_equal(c.communities.items[0], "older-people");
    assert_string_equal(c.methods.items[0], "survey");
    assert_string_equal(c.engagement_level, "involve");
    assert_int_equal(c.expected_participants, 400);
    assert_int_equal(json_array_size(warnings), 1);
    assert_non_null(strstr(json_string_value(json_array_get(warnings, 0)), "Bus lanes"));
    consultation_free(&c);
    json_decref(errors);
    json_decref(warnings);
}

static void every_bad_field_is_reported(void **state)
{
    consultation c;
    json_t *errors, *warnings;
    const char *bad =
        "{\"title\": \"\", \"summary\": 5, \"topics\": \"x\", \"communities\": [1],"
        " \"areas\": [\"Camden\", \"E0900000\", \"E09000007\"], \"fieldwork\": {\"start\": \"2027-02-30\","
        " \"end\": \"2027-01-01\", \"middle\": 1}, \"methods\": [\"telepathy\"], \"engagement_level\": \"shout\","
        " \"expected_participants\": -1, \"contact\": {\"email\": \"not-an-email\", \"phone\": \"1\"},"
        " \"id\": \"x\", \"status\": \"planned\", \"colour\": \"red\"}";
    assert_int_equal(parse(*state, bad, &c, &errors, &warnings), -1);
    const char *fields[] = { "title", "summary", "topics", "communities[0]", "areas[0]", "areas[1]",
                             "fieldwork.start", "fieldwork.middle", "methods[0]", "engagement_level",
                             "expected_participants", "contact.email", "contact.phone", "id", "status", "colour" };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (!has_error(errors, fields[i]))
            fail_msg("no error for %s", fields[i]);
    }
    assert_false(has_error(errors, "areas[2]"));
    json_decref(errors);
    json_decref(warnings);
}

static void required_fields_and_dates(void **state)
{
    consultation c;
    json_t *errors, *warnings;
    assert_int_equal(parse(*state, "{}", &c, &errors, &warnings), -1);
    assert_true(has_error(errors, "title"));
    assert_true(has_error(errors, "areas"));
    assert_true(has_error(errors, "fieldwork"));
    json_decref(errors);
    json_decref(warnings);

    assert_int_equal(parse(*state,
                           "{\"title\":\"t\",\"areas\":[\"E09000007\"],"
                           "\"fieldwork\":{\"start\":\"2027-03-02\",\"end\":\"2027-03-01\"}}",
                           &c, &errors, &warnings), -1);
    assert_true(has_error(errors, "fieldwork.end"));
    json_decref(errors);
    json_decref(warnings);

    assert_int_equal(parse(*state,
                           "{\"title\":\"t\",\"areas\":[\"E09000007\"],"
                           "\"fieldwork\":{\"start\":\"2027-01-01\",\"end\":\"2029-01-02\"}}",
                           &c, &errors, &warnings), -1);
    assert_true(has_error(errors, "fieldwork.end"));
    json_decref(errors);
    json_decref(warnings);

    assert_int_equal(parse(*state,
                           "{\"title\":\"t\",\"areas\":[\"E09000007\"],"
                           "\"fieldwork\":{\"start\":\"2027-01-01\",\"end\":\"2029-01-01\"}}",
                           &c, &errors, &warnings), 0);
    consultation_free(&c);
    json_decref(errors);
    json_decref(warnings);
}

static void length_limits_count_characters(void **state)
{
    consultation c;
    json_t *errors, *warnings;
    /* 300 two-byte characters is within the limit; 301 is not. */
    char title[301 * 2 + 1] = "";
    for (int i = 0; i < 300; i++)
        strcat(title, "\xc3\xa9");
    char body[1024];
    snprintf(body, sizeof body,
             "{\"title\":\"%s\",\"areas\":[\"E09000007\"],\"fieldwork\":{\"start\":\"2027-01-01\",\"end\":\"2027-01-01\"}}",
             title);
    assert_int_equal(parse(*state, body, &c, &errors, &warnings), 0);
    consultation_free(&c);
    json_decref(errors);
    json_decref(warnings);
    strcat(title, "\xc3\xa9");
    snprintf(body, sizeof body,
             "{\"title\":\"%s\",\"areas\":[\"E09000007\"],\"fieldwork\":{\"start\":\"2027-01-01\",\"end\":\"2027-01-01\"}}",
             title);
    assert_int_equal(parse(*state, body, &c, &errors, &warnings), -1);
    assert_true(has_error(errors, "title"));
    json_decref(errors);
    json_decref(warnings);
}

static void dates(void **state)
{
    (void)state;
    long d;
    assert_true(date_parse("1970-01-01", &d));
    assert_int_equal(d, 0);
    assert_true(date_parse("2000-03-01", &d));
    assert_int_equal(d, 11017);
    assert_true(date_parse("2028-02-29", &d));
    assert_false(date_parse("2027-02-29", &d));
    assert_false(date_parse("1900-02-29", &d));
    assert_false(date_parse("2027-13-01", &d));
    assert_false(date_parse("2027-1-01", &d));
    assert_false(date_parse("2027-01-01T00:00:00Z", &d));
    assert_false(date_parse("27-01-2027", &d));
    char why[80];
    assert_false(date_parse_why("2027-02-31", &d, why, sizeof why));
    assert_string_equal(why, "February 2027 has 28 days");
    assert_false(date_parse_why("1899-12-31", &d, why, sizeof why));
    assert_string_equal(why, "the year must be between 1900 and 9999");
    assert_false(date_parse_why("2027-1-01", &d, why, sizeof why));
    assert_string_equal(why, "");
}

/* The API says a day does not exist, not that its form is wrong. */
static void a_missing_day_is_named(void **state)
{
    consultation c;
    json_t *errors, *warnings;
    assert_int_equal(parse(*state,
                           "{\"title\":\"t\",\"areas\":[\"E09000007\"],"
                           "\"fieldwork\":{\"start\":\"2027-02-31\",\"end\":\"2027-3-01\"}}",
                           &c, &errors, &warnings), -1);
    assert_int_equal(json_array_size(errors), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "fieldwork.start");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "message")),
                        "2027-02-31 is not a real date: February 2027 has 28 days");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errors, 1), "message")),
                           "must be a real calendar date as YYYY-MM-DD"));
    json_decref(errors);
    json_decref(warnings);
}

static void emails(void **state)
{
    (void)state;
    assert_true(email_valid("engage@example.org"));
    assert_true(email_valid("first.last+tag@sub.example.co.uk"));
    assert_false(email_valid("no-at-sign.example.org"));
    assert_false(email_valid("two@@example.org"));
    assert_false(email_valid("a@localhost"));
    assert_false(email_valid("a b@example.org"));
    assert_false(email_valid("a@-example.org"));
    assert_false(email_valid("a@example..org"));
    assert_false(email_valid("@example.org"));
}

static void normalise_and_resolve(void **state)
{
    char out[64];
    vocab_normalise("  Carers'  SUPPORT!! ", out, sizeof out);
    assert_string_equal(out, "carers support");
    vocab_normalise("adult-social-care", out, sizeof out);
    assert_string_equal(out, "adult social care");
    assert_string_equal(vocab_resolve(*state, VOCAB_TOPICS, "Social-Care")->code, "adult-social-care");
    assert_string_equal(vocab_resolve(*state, VOCAB_TOPICS, "childrens services")->code, "childrens-services");
    assert_null(vocab_resolve(*state, VOCAB_TOPICS, "elderly")); /* a community, not a topic */
    /* by code: exact codes only, of the kind asked */
    assert_string_equal(vocab_by_code(*state, VOCAB_TOPICS, "carers-support")->parent, "adult-social-care");
    assert_string_equal(vocab_by_code(*state, VOCAB_TOPICS, "adult-social-care")->code, "adult-social-care");
    assert_null(vocab_by_code(*state, VOCAB_TOPICS, "Social-Care"));
    assert_null(vocab_by_code(*state, VOCAB_TOPICS, "adult social care"));
    assert_null(vocab_by_code(*state, VOCAB_TOPICS, "older-people"));
    assert_null(vocab_by_code(*state, VOCAB_TOPICS, NULL));
    json_t *codes = json_array();
    vocab_expand(*state, VOCAB_TOPICS, "adult-social-care", codes);
    assert_int_equal(json_array_size(codes), 2);
    assert_string_equal(json_string_value(json_array_get(codes, 1)), "carers-support");
    json_decref(codes);
    json_t *doc = vocab_to_json(*state, VOCAB_TOPICS);
    json_t *items = json_object_get(doc, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "parent")), "adult-social-care");
    json_decref(doc);
}

static void int64_array_literals(void **state)
{
    (void)state;
    const int64_t v[] = { 0, 7, -7, 1234567890123LL, INT64_MAX, INT64_MIN };
    char *t = int64s_to_pg(v, 6);
    assert_string_equal(t, "{0,7,-7,1234567890123,9223372036854775807,-9223372036854775808}");
    free(t);
    t = int64s_to_pg(v, 0);
    assert_string_equal(t, "{}");
    free(t);
}

static void response_text_adds_warnings_and_overlaps(void **state)
{
    (void)state;
    json_t *w = json_pack("[s]", "areas: X is not in the area register");
    json_t *o = json_pack("[{s:s}]", "id", "o1");
    char *t = consultation_response_text("{\"id\":\"c1\",\"title\":\"A \\\"}\\\" title\"}\n", w, o);
    assert_non_null(t);
    json_t *doc = json_loads(t, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "title")), "A \"}\" title");
    assert_true(json_equal(json_object_get(doc, "warnings"), w));
    assert_true(json_equal(json_object_get(doc, "overlaps"), o));
    assert_int_equal(json_object_size(doc), 4);
    json_decref(doc);
    free(t);
    t = consultation_response_text("{ }", w, NULL); /* an empty object, no overlaps */
    doc = json_loads(t, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "overlaps")), 0);
    assert_int_equal(json_object_size(doc), 2);
    json_decref(doc);
    free(t);
    assert_null(consultation_response_text("[1]", w, o));
    assert_null(consultation_response_text("", w, o));
    json_decref(w);
    json_decref(o);
}

static void merge_patch_rfc7396(void **state)
{
    (void)state;
    json_t *target = json_loads("{\"a\":\"b\",\"c\":{\"d\":\"e\",\"f\":\"g\"},\"l\":[1,2]}", 0, NULL);
    json_t *patch = json_loads("{\"a\":\"z\",\"c\":{\"f\":null},\"l\":[3],\"n\":{\"x\":null,\"y\":1}}", 0, NULL);
    json_t *out = json_merge_patch(target, patch);
    json_t *want = json_loads("{\"a\":\"z\",\"c\":{\"d\":\"e\"},\"l\":[3],\"n\":{\"y\":1}}", 0, NULL);
    assert_true(json_equal(out, want));
    json_decref(target);
    json_decref(patch);
    json_decref(out);
    json_decref(want);
}

static void pg_array_literal_escapes(void **state)
{
    (void)state;
    char *items[] = { "plain", "with \"quote\"", "back\\slash", "a,b" };
    strlist l = { items, 4 };
    char *lit = strlist_to_pg(&l);
    assert_string_equal(lit, "{\"plain\",\"with \\\"quote\\\"\",\"back\\\\slash\",\"a,b\"}");
    free(lit);
    strlist empty = { NULL, 0 };
    lit = strlist_to_pg(&empty);
    assert_string_equal(lit, "{}");
    free(lit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_body_resolves_terms),
        cmocka_unit_test(every_bad_field_is_reported),
        cmocka_unit_test(required_fields_and_dates),
        cmocka_unit_test(length_limits_count_characters),
        cmocka_unit_test(dates),
        cmocka_unit_test(a_missing_day_is_named),
        cmocka_unit_test(emails),
        cmocka_unit_test(normalise_and_resolve),
        cmocka_unit_test(int64_array_literals),
        cmocka_unit_test(response_text_adds_warnings_and_overlaps),
        cmocka_unit_test(merge_patch_rfc7396),
        cmocka_unit_test(pg_array_literal_escapes),
    };
    return cmocka_run_group_tests_name("consultation", tests, setup, teardown);
}
