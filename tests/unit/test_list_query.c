/* Unit tests: list filters become parameterised SQL; bad values are 400s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <cmocka.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "list_query.h"

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

static int build_with(const char *qs, const area_register *areas, list_query *q, json_t **errors)
{
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    assert_int_equal(evhttp_parse_query_str(qs, &kv), 0);
    *errors = json_array();
    int rc = list_query_build(&kv, v, areas, q, *errors);
    /* params point into kv: copy what the test inspects before freeing */
    static char p0[256], p1[256];
    snprintf(p0, sizeof p0, "%s", q->nparams ? q->params[0] : "");
    snprintf(p1, sizeof p1, "%s", q->nparams > 1 ? q->params[1] : "");
    evhttp_clear_headers(&kv);
    q->params[0] = q->nparams ? p0 : NULL;
    q->params[1] = q->nparams > 1 ? p1 : NULL;
    return rc;
}

static int build(const char *qs, list_query *q, json_t **errors)
{
    return build_with(qs, NULL, q, errors);
}

static void filters_are_parameters(void **state)
{
    (void)state;
    list_query q;
    json_t *errors;
    assert_int_equal(build("topic=Housing&status=planned&from=2027-01-01&to=2027-12-31&q=care&limit=500", &q, &errors), 0);
    assert_int_equal(q.nparams, 5);
    assert_string_equal(q.params[0], "{\"housing\",\"social-housing\"}"); /* the term and its children */
    assert_int_equal(q.limit, 200);                                       /* clamped */
    assert_non_null(strstr(q.sql, "c.topics && $1::text[]"));
    assert_non_null(strstr(q.sql, "LIMIT 201"));
    assert_null(strstr(q.sql, "planned"));                                 /* values never in the SQL */
    list_query_free(&q);
    json_decref(errors);
}

static void area_filter_uses_containment_both_ways(void **state)
{
    (void)state;
    list_query q;
    json_t *errors;
    assert_int_equal(build("area=E10000014", &q, &errors), 0);
    assert_non_null(strstr(q.sql, "c.area_scope && $1::text[]"));   /* in it or inside it */
    assert_non_null(strstr(q.sql, "WHERE code = ANY($1::text[])")); /* or containing it */
    assert_string_equal(q.params[0], "{E10000014}");
    list_query_free(&q);
    json_decref(errors);
}

/* With the register, area= is sent as two small literal arrays: the code,
 * matched against area_scope (what is in it), and the code with what
 * contains it, matched against areas (what contains it); never a sibling. */
static void area_filter_expanded_from_the_register(void **state)
{
    (void)state;
    area_register *r = areas_new();
    const char *county[] = { "E12000004" };
    const char *district[] = { "E10000019", "E12000004" };
    assert_int_equal(areas_add(r, "E12000004", "East Midlands", "region", NULL, 0), 0);
    assert_int_equal(areas_add(r, "E10000019", "Lincolnshire", "county", county, 1), 0);
    assert_int_equal(areas_add(r, "E07000138", "Lincoln", "district", district, 2), 0);
    assert_int_equal(areas_add(r, "E07000139", "North Kesteven", "district", district, 2), 0);
    assert_int_equal(areas_finish(r), 0);
    list_query q;
    json_t *errors;
    assert_int_equal(build_with("area=E07000138", r, &q, &errors), 0);
    assert_non_null(strstr(q.sql, "(c.area_scope && $1::text[] OR c.areas && $2::text[])"));
    assert_null(strstr(q.sql, "area_ancestors"));
    assert_int_equal(q.nparams, 2);
    assert_string_equal(q.params[0], "{E07000138}");
    assert_string_equal(q.params[1], "{E07000138,E10000019,E12000004}");
    list_query_free(&q);
    json_decref(errors);
    /* a code the register does not hold is itself alone */
    assert_int_equal(build_with("area=E05999999", r, &q, &errors), 0);
    assert_string_equal(q.params[1], "{E05999999}");
    list_query_free(&q);
    json_decref(errors);

    /* several codes (a feed's areas): each code, and each with what contains it */
    list_query m = { 0 };
    m.nparams = 1; /* after a parameter already there */
    m.params[0] = "x";
    const char *codes[] = { "E07000138", "E07000139", "E05999999" };
    char cond[LIST_AREA_SQL_MAX];
    assert_int_equal(list_area_condition(&m, r, codes, 3, cond, sizeof cond), 0);
    assert_string_equal(cond, "(c.area_scope && $2::text[] OR c.areas && $3::text[])");
    assert_string_equal(m.params[1], "{E07000138,E07000139,E05999999}");
    assert_string_equal(m.params[2],
                        "{E07000138,E10000019,E12000004,E07000139,E10000019,E12000004,E05999999}");
    assert_int_equal(list_area_condition(&m, r, codes, 0, cond, sizeof cond), -1); /* nothing to match */
    assert_int_equal(list_area_condition(&m, r, codes, 1, cond, 20), -1);          /* too small */
    list_query_free(&m);
    /* no room for two more parameters */
    list_query full = { 0 };
    full.nparams = LIST_MAX_PARAMS - 1;
    assert_int_equal(list_area_condition(&full, r, codes, 1, cond, sizeof cond), -1);
    areas_free(r);
}

/* Overlaps in a small area are found from its consultations; in a large one
 * (more than 100 areas inside) each overlap is tested. */
static void overlap_area_filter_by_size(void **state)
{
    (void)state;
    area_register *r = areas_new();
    const char *region[] = { "E12000004" };
    const char *county[] = { "E10000019", "E12000004" };
    assert_int_equal(areas_add(r, "E12000004", "East Midlands", "region", NULL, 0), 0);
    assert_int_equal(areas_add(r, "E10000019", "Lincolnshire", "county", region, 1), 0);
    char code[16];
    for (int i = 0; i < 120; i++) {
        snprintf(code, sizeof code, "E05%06d", i);
        assert_int_equal(areas_add(r, code, code, "ward", county, 2), 0);
    }
    assert_int_equal(areas_finish(r), 0);
    const char *cases[][2] = { { "area=E05000007", "o.consultation_a = ANY(ARRAY(SELECT c.id" },
                               { "area=E10000019", "EXISTS (SELECT 1 FROM consultations c WHERE c.id IN" } };
    for (size_t i = 0; i < 2; i++) {
        struct evkeyvalq kv;
        TAILQ_INIT(&kv);
        assert_int_equal(evhttp_parse_query_str(cases[i][0], &kv), 0);
        json_t *errors = json_array();
        list_query q;
        assert_int_equal(overlap_query_build(&kv, v, r, &q, errors), 0);
        assert_non_null(strstr(q.sql, cases[i][1]));
        assert_non_null(strstr(q.sql, "(c.area_scope && $1::text[] OR c.areas && $2::text[])"));
        list_query_free(&q);
        json_decref(errors);
        evhttp_clear_headers(&kv);
    }
    areas_free(r);
}

static void bad_values_and_unknown_params(void **state)
{
    (void)state;
    list_query q;
    json_t *errors;
    assert_int_equal(build("area=Camden&from=2027-02-30&limit=0&cursor=abc&organisation=x&status=open&colour=red",
                           &q, &errors), -1);
    assert_int_equal(json_array_size(errors), 7);
    bool named = false; /* a day that does not exist is named as such, not as a wrong form */
    for (size_t i = 0; i < json_array_size(errors); i++)
        named |= strcmp(json_string_value(json_object_get(json_array_get(errors, i), "message")),
                        "2027-02-30 is not a real date: February 2027 has 28 days") == 0;
    assert_true(named);
    list_query_free(&q);
    json_decref(errors);
    assert_int_equal(build("limit=10&limit=20", &q, &errors), -1);
    list_query_free(&q);
    json_decref(errors);
}

static void cursor_round_trip(void **state)
{
    (void)state;
    char cursor[64];
    list_cursor_encode("01a20257-ad26-7a7f-bc6a-d4d48df44399", cursor, sizeof cursor);
    char qs[128];
    snprintf(qs, sizeof qs, "cursor=%s", cursor);
    list_query q;
    json_t *errors;
    assert_int_equal(build(qs, &q, &errors), 0);
    assert_string_equal(q.params[0], "01a20257-ad26-7a7f-bc6a-d4d48df44399");
    assert_non_null(strstr(q.sql, "c.id > $1::uuid"));
    list_query_free(&q);
    json_decref(errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filters_are_parameters),
        cmocka_unit_test(area_filter_uses_containment_both_ways),
        cmocka_unit_test(area_filter_expanded_from_the_register),
        cmocka_unit_test(overlap_area_filter_by_size),
        cmocka_unit_test(bad_values_and_unknown_params),
        cmocka_unit_test(cursor_round_trip),
    };
    return cmocka_run_group_tests_name("list_query", tests, setup, teardown);
}
