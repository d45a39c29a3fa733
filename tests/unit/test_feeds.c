/* Unit tests: feed tokens, feed and public filters into SQL, ETags and
 * If-None-Match, the open data CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/queue.h>
#include <cmocka.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/sha.h>

#include "areas.h"
#include "etag.h"
#include "feed_query.h"
#include "feed_token.h"
#include "fmt_opendata.h"

static vocab *v;

static int setup(void **state)
{
    (void)state;
    v = vocab_new();
    vocab_add(v, VOCAB_TOPICS, "housing", "Housing", NULL, NULL, 0);
    vocab_add(v, VOCAB_TOPICS, "social-housing", "Social housing", "housing", NULL, 0);
    vocab_add(v, VOCAB_COMMUNITIES, "carers", "Unpaid carers", NULL, NULL, 0);
    return vocab_finish(v);
}

static int teardown(void **state)
{
    (void)state;
    vocab_free(v);
    return 0;
}

static void tokens_are_random_hex_and_only_hashed(void **state)
{
    (void)state;
    char a[FEED_TOKEN_CHARS + 1], b[FEED_TOKEN_CHARS + 1];
    unsigned char ha[FEED_TOKEN_HASH_LEN], hb[FEED_TOKEN_HASH_LEN], again[FEED_TOKEN_HASH_LEN];
    assert_int_equal(feed_token_new(a, ha), 0);
    assert_int_equal(feed_token_new(b, hb), 0);
    assert_int_equal(strlen(a), 64); /* 256 bits */
    assert_string_not_equal(a, b);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    unsigned char sha[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)a, 64, sha);
    assert_memory_equal(ha, sha, 32);
    assert_int_equal(feed_token_hash(a, 64, again), 0);
    assert_memory_equal(again, ha, 32);
    assert_int_equal(feed_token_hash(a, 63, again), -1);
    a[5] = 'G';
    assert_int_equal(feed_token_hash(a, 64, again), -1);
    char hex[67];
    feed_token_hash_hex(ha, hex);
    assert_int_equal(strncmp(hex, "\\x", 2), 0);
    assert_int_equal(strlen(hex), 66);
}

static void etags_and_if_none_match(void **state)
{
    (void)state;
    char e1[ETAG_LEN], e2[ETAG_LEN];
    etag_of("abc", 3, e1);
    etag_of("abd", 3, e2);
    assert_int_equal(strlen(e1), 34);
    assert_string_not_equal(e1, e2);
    assert_true(etag_none_match_hit(e1, e1));
    char list[100];
    snprintf(list, sizeof list, "\"x\", W/%s", e1);
    assert_true(etag_none_match_hit(list, e1));
    assert_true(etag_none_match_hit("*", e1));
    assert_false(etag_none_match_hit(NULL, e1));
    assert_false(etag_none_match_hit(e2, e1));
    assert_false(etag_none_match_hit("\"x\", \"y\"", e1));
    char prefix[40];
    snprintf(prefix, sizeof prefix, "%.20s\"", e1); /* a prefix of the tag is not the tag */
    assert_false(etag_none_match_hit(prefix, e1));
}

static void feed_filters_are_validated_and_normalised(void **state)
{
    (void)state;
    json_t *errors = json_array(), *out = NULL;
    json_t *in = json_pack("{s:[s,s], s:s, s:[s], s:s, s:s}", "areas", "e09000007", "E09000007", "topics",
                           "Social housing", "communities", "Unpaid carers", "status", "planned", "organisation",
                           "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b");
    assert_int_equal(feed_filters_parse(in, v, NULL, &out, errors, NULL), 0);
    assert_int_equal(json_array_size(json_object_get(out, "areas")), 1); /* upper-cased, once */
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "areas"), 0)), "E09000007");
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "topics"), 0)), "social-housing");
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "communities"), 0)), "carers");
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "status"), 0)), "planned");
    json_decref(out);
    json_decref(in);
    in = json_pack("{s:[s], s:s, s:i, s:s, s:[]}", "areas", "not an area", "status", "open", "topics", 3,
                   "organisation", "acme", "colour");
    assert_int_equal(feed_filters_parse(in, v, NULL, &out, errors, NULL), -1);
    assert_null(out);
    const char *want[] = { "filters.areas[0]", "filters.status", "filters.topics", "filters.organisation",
                           "filters.colour" };
    for (size_t i = 0; i < 5; i++) {
        bool found = false;
        for (size_t k = 0; k < json_array_size(errors); k++)
            found = found || strcmp(json_string_value(json_object_get(json_array_get(errors, k), "field")),
                                    want[i]) == 0;
        if (!found)
            fail_msg("no error for %s", want[i]);
    }
    json_decref(in);
    json_decref(errors);
    /* no filters at all is a feed of everything */
    errors = json_array();
    assert_int_equal(feed_filters_parse(NULL, v, NULL, &out, errors, NULL), 0);
    json_decref(out);
    json_decref(errors);
}

/* Areas as people write them: a name resolves with a warning, a code the
 * register does not hold is kept with a warning, a known code warns of
 * nothing, and a name nobody has is an error. */
static void feed_areas_are_resolved_and_warned(void **state)
{
    (void)state;
    area_register *r = areas_new();
    const char *in_region[] = { "E12000007" };
    assert_int_equal(areas_add(r, "E12000007", "London", "region", NULL, 0), 0);
    assert_int_equal(areas_add(r, "E09000007", "Camden", "district", in_region, 1), 0);
    assert_int_equal(areas_finish(r), 0);
    json_t *in = json_pack("{s:[s,s,s]}", "areas", "E09000007", "camden", "E09999999");
    json_t *errors = json_array(), *warnings = json_array(), *out = NULL;
    assert_int_equal(feed_filters_parse(in, v, r, &out, errors, warnings), 0);
    const json_t *areas = json_object_get(out, "areas");
    assert_int_equal(json_array_size(areas), 2); /* Camden once, the unknown code kept */
    assert_string_equal(json_string_value(json_array_get(areas, 1)), "E09999999");
    assert_int_equal(json_array_size(warnings), 2);
    assert_non_null(strstr(json_string_value(json_array_get(warnings, 0)), "E09000007"));
    assert_non_null(strstr(json_string_value(json_array_get(warnings, 1)), "filters.areas[2]: E09999999 is not in"));
    json_decref(out);
    json_decref(in);
    json_decref(warnings);
    warnings = json_array();
    in = json_pack("{s:[s]}", "areas", "Nowhere Town");
    assert_int_equal(feed_filters_parse(in, v, r, &out, errors, warnings), -1);
    assert_null(out);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "filters.areas[0]");
    json_decref(in);
    json_decref(errors);
    json_decref(warnings);
    areas_free(r);
}

static void feed_body_needs_a_label(void **state)
{
    (void)state;
    json_t *errors = json_array(), *filters;
    const char *label;
    json_t *body = json_pack("{s:s}", "label", "");
    assert_int_equal(feed_body_parse(body, v, NULL, &label, &filters, errors, NULL), -1);
    json_decref(body);
    body = json_pack("{s:s, s:i}", "label", "Mine", "extra", 1);
    assert_int_equal(feed_body_parse(body, v, NULL, &label, &filters, errors, NULL), -1);
    json_decref(body);
    assert_int_equal(json_array_size(errors), 2);
    body = json_pack("{s:s}", "label", "Line\nbreak");
    assert_int_equal(feed_body_parse(body, v, NULL, &label, &filters, errors, NULL), -1);
    json_decref(body);
    body = json_pack("{s:s, s:{}}", "label", "Camden plans", "filters");
    assert_int_equal(feed_body_parse(body, v, NULL, &label, &filters, errors, NULL), 0);
    assert_string_equal(label, "Camden plans");
    json_decref(filters);
    json_decref(body);
    json_decref(errors);
}

static void build(const char *qs, feed_select sel, bool public_only, list_query *q, json_t **errors)
{
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    assert_int_equal(evhttp_parse_query_str(qs, &kv), 0);
    *errors = json_array();
    json_t *f = NULL;
    if (public_filters_from_query(&kv, v, &f, *errors) == 0)
        assert_int_equal(feed_query_build(f, v, NULL, sel, public_only, q), 0);
    else
        memset(q, 0, sizeof *q);
    json_decref(f);
    evhttp_clear_headers(&kv);
}

static void public_queries_always_keep_the_boundary(void **state)
{
    (void)state;
    static const char *const queries[] = { "", "area=E09000007", "topic=housing&status=planned",
                                           "organisation=0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
                                           "q=visibility%3D%27partners%27", "from=2027-01-01&to=2027-12-31" };
    for (feed_select sel = FEED_SELECT_CALENDAR; sel <= FEED_SELECT_CSV; sel++)
        for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
            list_query q;
            json_t *errors;
            build(queries[i], sel, true, &q, &errors);
            assert_int_equal(json_array_size(errors), 0);
            assert_non_null(strstr(q.sql, " AND c.visibility = 'public'"));
            assert_null(strstr(q.sql, "partners")); /* values travel as parameters only */
            list_query_free(&q);
            json_decref(errors);
        }
    list_query q;
    json_t *errors;
    build("", FEED_SELECT_CALENDAR, false, &q, &errors);
    assert_null(strstr(q.sql, "visibility")); /* a feed shows both */
    assert_non_null(strstr(q.sql, "current_date - 90"));
    assert_non_null(strstr(q.sql, "current_date + 730"));
    assert_int_equal(q.limit, CALENDAR_MAX_EVENTS);
    list_query_free(&q);
    json_decref(errors);
}

static void terms_expand_and_bad_parameters_are_named(void **state)
{
    (void)state;
    list_query q;
    json_t *errors;
    build("topic=Housing&community=carers", FEED_SELECT_JSON, true, &q, &errors);
    assert_int_equal(q.nparams, 2);
    assert_string_equal(q.params[0], "{\"housing\",\"social-housing\"}");
    assert_string_equal(q.params[1], "{\"carers\"}");
    assert_null(strstr(q.sql, "current_date")); /* open data is not windowed */
    list_query_free(&q);
    json_decref(errors);
    build("status=open&from=yesterday&colour=red&q=&area=Camden&area=E09000007", FEED_SELECT_CSV, true, &q, &errors);
    assert_null(q.sql);
    const char *want[] = { "status", "from", "colour", "q", "area" };
    for (size_t i = 0; i < 5; i++) {
        bool found = false;
        for (size_t k = 0; k < json_array_size(errors); k++)
            found = found || strcmp(json_string_value(json_object_get(json_array_get(errors, k), "field")),
                                    want[i]) == 0;
        if (!found)
            fail_msg("no error for %s", want[i]);
    }
    assert_int_equal(json_array_size(errors), 5); /* the repeated area is named once */
    json_decref(errors);
}

static void csv_fields_are_quoted_and_defused(void **state)
{
    (void)state;
    outbuf out = { 0 };
    const char *fields[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "=SUM(A1)", "-1", "@x", NULL, "+44" };
    opendata_csv_record(&out, fields, 9);
    assert_string_equal(out.s, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"'=SUM(A1)\",\"'-1\",\"'@x\",,"
                               "\"'+44\"\r\n");
    outbuf_free(&out);
    assert_string_equal(opendata_csv_columns[0], "id");
    assert_string_equal(opendata_csv_columns[OPENDATA_CSV_NCOLS - 1], "updated_at");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens_are_random_hex_and_only_hashed),
        cmocka_unit_test(etags_and_if_none_match),
        cmocka_unit_test(feed_filters_are_validated_and_normalised),
        cmocka_unit_test(feed_body_needs_a_label),
        cmocka_unit_test(feed_areas_are_resolved_and_warned),
        cmocka_unit_test(public_queries_always_keep_the_boundary),
        cmocka_unit_test(terms_expand_and_bad_parameters_are_named),
        cmocka_unit_test(csv_fields_are_quoted_and_defused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
