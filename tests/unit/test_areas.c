/* Unit tests: the in-memory area register: scope, names, search, area input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "area_input.h"
#include "areas.h"
#include "overlap_plan.h"
#include "public_doc.h"
#include "vocab.h"

/* A small register: England > East Midlands > Lincolnshire > Lincoln > Abbey,
 * Birchwood; an Abbey in Barking and Dagenham; Mendip replaced by Somerset;
 * Hartlepool with its old code 00EB; Anglesey with its Welsh name. */
static area_register *fixture(void)
{
    area_register *r = areas_new();
    assert_non_null(r);
    const char *abbey_up[] = { "E07000138", "E10000019", "E12000004" };
    const char *lincoln_up[] = { "E10000019", "E12000004" };
    const char *county_up[] = { "E12000004" };
    const char *bd_abbey_up[] = { "E09000002" };
    const char *mendip_reach[] = { "E06000066", "E12000009" };
    const char *somerset_reach[] = { "E07000187", "E12000009" };
    const char *mendip_next[] = { "E06000066" };
    area_row rows[] = {
        { "E05010784", "Abbey", NULL, "ward", abbey_up, 1, abbey_up, 3, abbey_up, 3, NULL, 0 },
        { "E05010785", "Birchwood", NULL, "ward", abbey_up, 1, abbey_up, 3, abbey_up, 3, NULL, 0 },
        { "E07000138", "Lincoln", NULL, "district", lincoln_up, 1, lincoln_up, 2, lincoln_up, 2, NULL, 0 },
        { "E10000019", "Lincolnshire", NULL, "county", county_up, 1, county_up, 1, county_up, 1, NULL, 0 },
        { "E12000004", "East Midlands", NULL, "region", NULL, 0, NULL, 0, NULL, 0, NULL, 0 },
        { "E05000026", "Abbey", NULL, "ward", bd_abbey_up, 1, bd_abbey_up, 1, bd_abbey_up, 1, NULL, 0 },
        { "E09000002", "Barking and Dagenham", NULL, "district", NULL, 0, NULL, 0, NULL, 0, NULL, 0 },
        { "E07000187", "Mendip", NULL, "district", NULL, 0, NULL, 0, mendip_reach, 2, mendip_next, 1 },
        { "E06000066", "Somerset", NULL, "district", NULL, 0, NULL, 0, somerset_reach, 2, NULL, 0 },
        { "E12000009", "South West", NULL, "region", NULL, 0, NULL, 0, NULL, 0, NULL, 0 },
        { "E06000001", "Hartlepool", NULL, "district", NULL, 0, NULL, 0, NULL, 0, NULL, 0 },
        { "W06000001", "Isle of Anglesey", "Ynys Môn", "district", NULL, 0, NULL, 0, NULL, 0, NULL, 0 },
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        assert_int_equal(areas_add_row(r, &rows[i]), 0);
    assert_int_equal(areas_add_alias(r, "00eb", "E06000001"), 0);
    assert_int_equal(areas_add_alias(r, "99ZZ", "E99999999"), 0); /* its code is unknown: dropped */
    assert_int_equal(areas_finish(r), 0);
    return r;
}

static void scope_is_areas_and_reach_sorted_unique(void **state)
{
    (void)state;
    area_register *r = fixture();
    const char *codes[] = { "E05010785", "E05010784", "E99000001" };
    const char *out[16];
    long n = areas_scope(r, codes, 3, out, 16);
    assert_int_equal(n, 6);
    const char *want[] = { "E05010784", "E05010785", "E07000138", "E10000019", "E12000004", "E99000001" };
    for (long i = 0; i < n; i++)
        assert_string_equal(out[i], want[i]);
    /* a scope that does not fit is an error, never a silent truncation */
    assert_int_equal(areas_scope(r, codes, 3, out, 4), -1);
    /* a retired code reaches its successor, and the successor the retired code */
    const char *one[AREAS_REACH_MAX + 1];
    assert_int_equal(areas_scope_one(r, "E07000187", one), 3);
    assert_string_equal(one[0], "E06000066");
    assert_int_equal(areas_scope_one(r, "E06000066", one), 3);
    assert_string_equal(one[1], "E07000187");
    /* without a register, codes stand alone */
    assert_int_equal(areas_scope(NULL, codes, 1, out, 16), 1);
    areas_free(r);
}

static void add_refuses_bad_rows(void **state)
{
    (void)state;
    area_register *r = areas_new();
    area_row bad = { "E0501", "Short", NULL, "ward", NULL, 0, NULL, 0, NULL, 0, NULL, 0 };
    assert_int_equal(areas_add_row(r, &bad), AREAS_BAD_CODE);
    const char *oops[] = { "E10" };
    area_row bad_parent = { "E05010784", "Abbey", NULL, "ward", oops, 1, NULL, 0, NULL, 0, NULL, 0 };
    assert_int_equal(areas_add_row(r, &bad_parent), AREAS_BAD_CODE);
    area_row too_far = { "E05010784", "Abbey", NULL, "ward", NULL, 0, NULL, 0, oops, AREAS_REACH_MAX + 1, NULL, 0 };
    assert_int_equal(areas_add_row(r, &too_far), AREAS_REACH_TOO_WIDE); /* told apart from a bad code */
    assert_int_equal(areas_add(r, "E0501", "Short", "ward", NULL, 0), AREAS_BAD_CODE);
    assert_int_equal(areas_add_alias(r, "", "E05010784"), AREAS_BAD_CODE);
    assert_int_equal(r->n, 0);
    /* nothing was added by the refusals: the register is still usable */
    assert_int_equal(areas_add(r, "E05010784", "Abbey", "ward", (const char *[]){ "E07000138" }, 1), AREAS_OK);
    assert_int_equal(areas_finish(r), 0);
    assert_non_null(areas_find(r, "E05010784"));
    areas_free(r);
}

/* The engine's scope: exactly OVERLAP_SCOPE_MAX codes are checked; one more is
 * an error the caller answers (422 naming "areas"), never a truncated scope. */
static void plan_scope_refuses_more_than_it_checks(void **state)
{
    (void)state;
    enum { N = OVERLAP_SCOPE_MAX + 1 };
    static char codes[N][10];
    static const char *list[N];
    for (int i = 0; i < N; i++) {
        snprintf(codes[i], sizeof codes[i], "E99%06u", (unsigned)i % 1000000u);
        list[i] = codes[i];
    }
    json_t *out = (json_t *)1;
    assert_int_equal(overlap_plan_scope(NULL, list, N, &out), OVERLAP_SCOPE_TOO_WIDE);
    assert_null(out);
    assert_int_equal(overlap_plan_scope(NULL, list, N - 1, &out), 0);
    assert_int_equal(json_array_size(out), OVERLAP_SCOPE_MAX);
    assert_string_equal(json_string_value(json_array_get(out, 0)), "E99000000");
    json_decref(out);
    /* the reach counts: one known code that reaches two more, within a cap of 3 */
    area_register *r = fixture();
    const char *one[] = { "E05010784" };
    const char *scope[4];
    assert_int_equal(areas_scope(r, one, 1, scope, 3), -1); /* it reaches 3: 4 in all */
    assert_int_equal(areas_scope(r, one, 1, scope, 4), 4);
    areas_free(r);
}

static void resolve_codes_names_parents_aliases(void **state)
{
    (void)state;
    area_register *r = fixture();
    area_match m;
    assert_int_equal(areas_resolve(r, "  e05010784 ", &m), AREA_CODE);
    assert_string_equal(m.code, "E05010784");
    assert_non_null(m.area);
    assert_int_equal(areas_resolve(r, "E05999999", &m), AREA_CODE); /* well-formed, unknown */
    assert_null(m.area);
    assert_int_equal(areas_resolve(r, "lincolnshire", &m), AREA_NAME);
    assert_string_equal(m.code, "E10000019");
    assert_int_equal(areas_resolve(r, "BIRCHWOOD!", &m), AREA_NAME); /* case and punctuation */
    assert_string_equal(m.code, "E05010785");
    assert_int_equal(areas_resolve(r, "Ynys Môn", &m), AREA_NAME); /* Welsh */
    assert_string_equal(m.code, "W06000001");
    assert_int_equal(areas_resolve(r, "00EB", &m), AREA_ALIAS);
    assert_string_equal(m.code, "E06000001");
    assert_int_equal(areas_resolve(r, "99zz", &m), AREA_BAD);
    assert_int_equal(areas_resolve(r, "Abbey", &m), AREA_AMBIGUOUS);
    assert_int_equal(m.ncandidates, 2);
    assert_int_equal(areas_resolve(r, "Abbey (Lincoln)", &m), AREA_NAME);
    assert_string_equal(m.code, "E05010784");
    assert_int_equal(areas_resolve(r, "abbey (east midlands)", &m), AREA_NAME); /* any containing area */
    assert_string_equal(m.code, "E05010784");
    assert_int_equal(areas_resolve(r, "Abbey (Barking and Dagenham)", &m), AREA_NAME);
    assert_string_equal(m.code, "E05000026");
    assert_int_equal(areas_resolve(r, "Abbey (Somerset)", &m), AREA_BAD);
    assert_int_equal(areas_resolve(r, "Narnia", &m), AREA_BAD);
    assert_int_equal(areas_resolve(r, "", &m), AREA_BAD);
    assert_int_equal(areas_resolve(r, NULL, &m), AREA_BAD);
    assert_int_equal(areas_resolve(NULL, "Lincoln", &m), AREA_BAD);
    assert_int_equal(areas_resolve(NULL, "e07000138", &m), AREA_CODE);
    areas_free(r);
}

static void search_ranks_exact_then_prefix_then_inside(void **state)
{
    (void)state;
    area_register *r = fixture();
    const area_info *out[20];
    size_t n = areas_search(r, "lincoln", NULL, NULL, NULL, out, 20);
    assert_int_equal(n, 2);
    assert_string_equal(out[0]->code, "E07000138"); /* exact */
    assert_string_equal(out[1]->code, "E10000019"); /* prefix */
    n = areas_search(r, "E0501078", NULL, NULL, NULL, out, 20);
    assert_int_equal(n, 2); /* Abbey and Birchwood */
    n = areas_search(r, "e05", NULL, NULL, NULL, out, 2);
    assert_int_equal(n, 2); /* capped */
    n = areas_search(r, "abbey", "ward", "E07000138", NULL, out, 20);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->code, "E05010784");
    n = areas_search(r, "", NULL, "E07000138", NULL, out, 20);
    assert_int_equal(n, 2); /* the two wards of Lincoln, not Lincoln itself */
    n = areas_search(r, "dagenham", NULL, NULL, NULL, out, 20);
    assert_int_equal(n, 1); /* a word inside the name */
    n = areas_search(r, "môn", NULL, NULL, NULL, out, 20);
    assert_int_equal(n, 1);
    assert_int_equal(areas_search(r, "zzz", NULL, NULL, NULL, out, 20), 0);
    n = areas_search(r, "", NULL, NULL, "E10000019", out, 20);
    assert_int_equal(n, 1); /* Lincolnshire's direct children: Lincoln, not its wards */
    assert_string_equal(out[0]->code, "E07000138");
    /* "Name (Parent)", also while the parent is being typed */
    n = areas_search(r, "Abbey (Lincoln)", NULL, NULL, NULL, out, 20);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->code, "E05010784");
    n = areas_search(r, "abbey (barking", NULL, NULL, NULL, out, 20);
    assert_int_equal(n, 1);
    assert_string_equal(out[0]->code, "E05000026");
    n = areas_search(r, "Abbey (", NULL, NULL, NULL, out, 20);
    assert_int_equal(n, 2);
    assert_int_equal(areas_search(r, "Abbey (Somerset)", NULL, NULL, NULL, out, 20), 0);
    areas_free(r);
}

static void search_puts_larger_areas_first_among_equal_names(void **state)
{
    (void)state;
    area_register *r = areas_new();
    const char *lincs[] = { "E10000019" }, *breck[] = { "E07000143", "E10000020" };
    assert_int_equal(areas_add(r, "E10000019", "Lincolnshire", "county", NULL, 0), AREAS_OK);
    assert_int_equal(areas_add(r, "E10000020", "Norfolk", "county", NULL, 0), AREAS_OK);
    assert_int_equal(areas_add(r, "E07000143", "Breckland", "district", (const char *const[]){ "E10000020" }, 1),
                     AREAS_OK);
    assert_int_equal(areas_add(r, "E05000001", "Lincoln", "ward", breck, 2), AREAS_OK);
    assert_int_equal(areas_add(r, "E07000138", "Lincoln", "district", lincs, 1), AREAS_OK);
    assert_int_equal(areas_finish(r), 0);
    const area_info *out[5];
    assert_int_equal(areas_search(r, "Lincoln", NULL, NULL, NULL, out, 5), 3);
    assert_string_equal(out[0]->code, "E07000138"); /* the district, though the ward's code sorts first */
    assert_string_equal(out[1]->code, "E05000001");
    assert_string_equal(out[2]->code, "E10000019"); /* a prefix */
    areas_free(r);
}

/* The members public_doc_names appends, closed into an object and parsed. */
static json_t *names_doc(const char *areas, const char *topics, const char *communities, const char *methods,
                         const area_register *r, const vocab *v)
{
    outbuf out = { 0 };
    outbuf_adds(&out, "{\"id\":1");
    public_doc_names(&out, areas, topics, communities, methods, r, v);
    outbuf_add(&out, "}", 1);
    assert_false(out.failed);
    json_error_t err;
    json_t *doc = json_loadb(out.s, out.len, 0, &err);
    if (!doc)
        fail_msg("not JSON: %s: %s", err.text, out.s);
    outbuf_free(&out);
    return doc;
}

static void public_doc_names_areas_and_labels_terms(void **state)
{
    (void)state;
    area_register *r = fixture();
    vocab *v = vocab_new();
    assert_int_equal(vocab_add(v, VOCAB_TOPICS, "housing-repairs", "Housing repairs", NULL, NULL, 0), 0);
    assert_int_equal(vocab_add(v, VOCAB_COMMUNITIES, "young-people", "Young \"people\"\\", NULL, NULL, 0), 0);
    assert_int_equal(vocab_finish(v), 0);
    json_t *doc = names_doc("E05010784\x1f" "E05999999", "housing-repairs\x1f" "free tag, \"quoted\"\t",
                            "young-people", "", r, v);
    assert_int_equal(json_integer_value(json_object_get(doc, "id")), 1);
    json_t *p0 = json_array_get(json_object_get(doc, "places"), 0), *p1 = json_array_get(json_object_get(doc, "places"), 1);
    assert_int_equal(json_array_size(json_object_get(doc, "places")), 2);
    assert_string_equal(json_string_value(json_object_get(p0, "code")), "E05010784");
    assert_string_equal(json_string_value(json_object_get(p0, "name")), "Abbey");
    assert_string_equal(json_string_value(json_object_get(p0, "level")), "ward");
    assert_string_equal(json_string_value(json_object_get(p0, "parent")), "Lincoln");
    assert_string_equal(json_string_value(json_object_get(p1, "name")), "E05999999"); /* unknown: the code */
    assert_true(json_is_null(json_object_get(p1, "level")));
    assert_true(json_is_null(json_object_get(p1, "parent")));
    json_t *tl = json_object_get(doc, "topic_labels");
    assert_int_equal(json_array_size(tl), 2);
    assert_string_equal(json_string_value(json_array_get(tl, 0)), "Housing repairs");
    assert_string_equal(json_string_value(json_array_get(tl, 1)), "free tag, \"quoted\"\t"); /* escaped, as it is */
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "community_labels"), 0)),
                        "Young \"people\"\\");
    assert_int_equal(json_array_size(json_object_get(doc, "method_labels")), 0);
    json_decref(doc);
    /* neither register nor vocabulary, lists missing: codes as they are, empty lists */
    doc = names_doc("E05010784", NULL, NULL, NULL, NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "places"), 0), "name")),
                        "E05010784");
    assert_int_equal(json_array_size(json_object_get(doc, "topic_labels")), 0);
    json_decref(doc);
    /* a free tag that is not UTF-8 cannot be a JSON string: the document fails */
    outbuf bad = { 0 };
    public_doc_names(&bad, "", "bad \xff tag", NULL, NULL, NULL, NULL);
    assert_true(bad.failed);
    outbuf_free(&bad);
    vocab_free(v);
    areas_free(r);
}

static void input_warns_and_lists_candidates(void **state)
{
    (void)state;
    area_register *r = fixture();
    json_t *errors = json_array(), *warnings = json_array();
    area_code code;
    assert_true(area_input_resolve(r, "Lincoln", "areas[0]", code, errors, warnings));
    assert_string_equal(code, "E07000138");
    assert_string_equal(json_string_value(json_array_get(warnings, 0)),
                        "areas: \"Lincoln\" is E07000138, Lincoln (district)");
    assert_true(area_input_resolve(r, "E07000187", "areas[1]", code, errors, warnings));
    assert_non_null(strstr(json_string_value(json_array_get(warnings, 1)),
                           "E07000187 (Mendip) was replaced by E06000066 (Somerset)"));
    assert_false(area_input_resolve(r, "Abbey", "areas[2]", code, errors, warnings));
    json_t *e = json_array_get(errors, 0);
    assert_string_equal(json_string_value(json_object_get(e, "field")), "areas[2]");
    json_t *cands = json_object_get(e, "candidates");
    assert_int_equal(json_array_size(cands), 2);
    json_t *parent = json_object_get(json_array_get(cands, 0), "parent");
    assert_non_null(json_string_value(json_object_get(parent, "name")));
    assert_false(area_input_resolve(r, "Narnia", "area", code, errors, NULL));
    assert_int_equal(json_array_size(errors), 2);
    assert_int_equal(json_array_size(warnings), 2);
    json_decref(errors);
    json_decref(warnings);
    areas_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scope_is_areas_and_reach_sorted_unique),
        cmocka_unit_test(add_refuses_bad_rows),
        cmocka_unit_test(plan_scope_refuses_more_than_it_checks),
        cmocka_unit_test(resolve_codes_names_parents_aliases),
        cmocka_unit_test(search_ranks_exact_then_prefix_then_inside),
        cmocka_unit_test(search_puts_larger_areas_first_among_equal_names),
        cmocka_unit_test(public_doc_names_areas_and_labels_terms),
        cmocka_unit_test(input_warns_and_lists_candidates),
    };
    return cmocka_run_group_tests_name("areas", tests, NULL, NULL);
}
