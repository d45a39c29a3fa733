/* Unit tests: the overlap engine's pure core (keys, locks, rule, score,
 * explanation), text similarity, inference and fatigue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "consultation.h"
#include "fatigue.h"
#include "overlap.h"
#include "textsim.h"

static vocab *v;
static area_register *reg;

/* Camden (district) in London; two Camden wards; Kent, a county. */
static int setup(void **state)
{
    (void)state;
    v = vocab_new();
    vocab_add(v, VOCAB_TOPICS, "adult-social-care", "Adult social care", NULL, NULL, 0);
    vocab_add(v, VOCAB_TOPICS, "carers-support", "Carers support", "adult-social-care", NULL, 0);
    vocab_add(v, VOCAB_TOPICS, "care-homes", "Care homes", "adult-social-care", NULL, 0);
    vocab_add(v, VOCAB_TOPICS, "libraries", "Libraries", NULL, NULL, 0);
    const char *ph[] = { "public health" };
    vocab_add(v, VOCAB_TOPICS, "public-health", "Public health", NULL, ph, 1);
    const char *sm[] = { "smoking" };
    vocab_add(v, VOCAB_TOPICS, "substance-misuse", "Smoking, alcohol and drugs", "public-health", sm, 1);
    vocab_add(v, VOCAB_COMMUNITIES, "carers", "Unpaid carers", NULL, NULL, 0);
    vocab_add(v, VOCAB_COMMUNITIES, "young-carers", "Young carers", "carers", NULL, 0);
    const char *gp[] = { "public", "residents" };
    vocab_add(v, VOCAB_COMMUNITIES, "general-public", "General public", NULL, gp, 2);
    vocab_add(v, VOCAB_COMMUNITIES, "students", "Students", NULL, NULL, 0);
    vocab_add(v, VOCAB_COMMUNITIES, "older-people", "Older people", NULL, NULL, 0);
    vocab_finish(v);
    reg = areas_new();
    const char *london[] = { "E12000007" };
    const char *ward_anc[] = { "E09000007", "E12000007" };
    areas_add(reg, "E12000007", "London", "region", NULL, 0);
    areas_add(reg, "E09000007", "Camden", "district", london, 1);
    areas_add(reg, "E05000128", "Belsize", "ward", ward_anc, 2);
    areas_add(reg, "E05000129", "Bloomsbury", "ward", ward_anc, 2);
    areas_add(reg, "E10000016", "Kent", "county", NULL, 0);
    areas_finish(reg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vocab_free(v);
    areas_free(reg);
    return 0;
}

/* A side in one area (scope from the register). */
static void side(overlap_side *s, const char *id, const char *org, const char *title, const char *code,
                 const char *topic, const char *community, const char *start, const char *end, const char *level)
{
    const char *scope[16];
    size_t n = areas_scope(reg, &code, 1, scope, 16);
    json_t *sc = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(sc, json_string(scope[i]));
    json_t *doc = json_pack("{s:s, s:s, s:s, s:[s], s:o, s:[], s:[], s:s, s:s, s:s}", "id", id, "organisation", org,
                            "title", title, "areas", code, "scope", sc, "topics", "communities", "start", start,
                            "end", end, "engagement_level", level);
    if (topic)
        json_array_append_new(json_object_get(doc, "topics"), json_string(topic));
    if (community)
        json_array_append_new(json_object_get(doc, "communities"), json_string(community));
    assert_int_equal(overlap_side_init(s, doc), 0);
    json_decref(doc);
}

static bool share_key(int64_t *a, size_t na, int64_t *b, size_t nb)
{
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (a[i] == b[j])
                return true;
    return false;
}

/* Would the stored side s be a candidate when probe p is written? */
static bool candidate(const overlap_side *s, const overlap_side *p, int window)
{
    size_t ns, np;
    int64_t *ks = overlap_keys(s, &ns), *kp = overlap_probe_keys(p, window, &np);
    bool r = share_key(ks, ns, kp, np);
    free(ks);
    free(kp);
    return r;
}

/* Do the two writes' lock sets conflict (a common key, exclusive on one side)? */
static bool locks_conflict(const overlap_side *a, const overlap_side *b, int window)
{
    bool *xa, *xb;
    size_t na, nb;
    int64_t *la = overlap_locks(a, window, &xa, &na), *lb = overlap_locks(b, window, &xb, &nb);
    bool r = false;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (la[i] == lb[j] && (xa[i] || xb[j]))
                r = true;
    for (size_t i = 1; i < na; i++)
        assert_true(la[i - 1] < la[i]); /* sorted and unique: a global lock order */
    free(la);
    free(lb);
    free(xa);
    free(xb);
    return r;
}

static void keys_find_containment_both_ways_never_siblings(void **state)
{
    (void)state;
    overlap_side ward, sibling, district, kent;
    side(&ward, "a", "o1", "x", "E05000128", NULL, NULL, "2027-03-01", "2027-03-31", "consult");
    side(&sibling, "b", "o1", "x", "E05000129", NULL, NULL, "2027-03-01", "2027-03-31", "consult");
    side(&district, "c", "o1", "x", "E09000007", NULL, NULL, "2027-03-10", "2027-03-12", "consult");
    side(&kent, "d", "o1", "x", "E10000016", NULL, NULL, "2027-03-01", "2027-03-31", "consult");
    assert_true(candidate(&ward, &district, 28));   /* stored ward, district written */
    assert_true(candidate(&district, &ward, 28));   /* stored district, ward written */
    assert_false(candidate(&ward, &sibling, 28));
    assert_false(candidate(&sibling, &ward, 28));
    assert_false(candidate(&kent, &ward, 28));
    assert_true(locks_conflict(&ward, &district, 28));
    assert_true(locks_conflict(&ward, &ward, 28));
    assert_false(locks_conflict(&ward, &sibling, 28)); /* they only share the district's lock, both shared */
    assert_false(locks_conflict(&ward, &kent, 28));
    overlap_side *all[] = { &ward, &sibling, &district, &kent };
    for (int i = 0; i < 4; i++)
        overlap_side_clear(all[i]);
}

static void keys_respect_the_window(void **state)
{
    (void)state;
    overlap_side a, b28, b29, far;
    side(&a, "a", "o", "x", "E05000128", NULL, NULL, "2027-01-01", "2027-01-31", "consult");
    side(&b28, "b", "o", "x", "E05000128", NULL, NULL, "2027-02-28", "2027-03-05", "consult");
    side(&b29, "c", "o", "x", "E05000128", NULL, NULL, "2027-03-01", "2027-03-05", "consult");
    side(&far, "d", "o", "x", "E05000128", NULL, NULL, "2027-06-01", "2027-06-05", "consult");
    assert_true(candidate(&a, &b28, 28));
    assert_true(candidate(&b28, &a, 28));
    assert_true(locks_conflict(&a, &b28, 28));
    assert_true(locks_conflict(&b28, &b29, 28));
    assert_false(locks_conflict(&a, &b29, 28)); /* months apart: they cannot overlap, so never wait */
    assert_false(candidate(&a, &far, 28));
    assert_false(locks_conflict(&a, &far, 28));
    overlap_result r;
    overlap_evaluate(&a, &b29, v, reg, NULL, 28, &r);
    assert_false(r.overlaps); /* 29 days: the rule itself says no */
    overlap_side *all[] = { &a, &b28, &b29, &far };
    for (int i = 0; i < 4; i++)
        overlap_side_clear(all[i]);
}

static void score_and_explanation(void **state)
{
    (void)state;
    overlap_side a, b;
    side(&a, "a", "camden", "Adult social care charging policy", "E09000007", "adult-social-care", "carers",
         "2027-03-01", "2027-04-15", "consult");
    side(&b, "b", "nhs", "Hospital discharge and carers", "E09000007", "adult-social-care", "carers", "2027-02-01",
         "2027-03-21", "consult");
    overlap_result r;
    overlap_evaluate(&a, &b, v, reg, NULL, 28, &r);
    assert_true(r.overlaps);
    /* subject = 0.45 + 0.35 + 0.2 * text; text = |{and? no: stop}|: computed by textsim */
    double text = textsim(a.title, b.title, NULL);
    double want = 1.0 * 1.0 * (0.85 * (0.45 + 0.35 + 0.20 * text) + 0.15);
    assert_true(r.score > want - 0.006 && r.score < want + 0.006);
    assert_string_equal(r.level, "high");
    assert_false(r.same_organisation);
    assert_string_equal(r.explanation,
                        "Both ask unpaid carers in Camden about adult social care between 1 and 21 March 2027.");
    assert_int_equal(json_integer_value(json_object_get(r.reasons, "fieldwork_overlap_days")), 21);
    overlap_result_clear(&r);
    overlap_side_clear(&a);
    overlap_side_clear(&b);
}

/* A side made from the validated struct of a write is the side its stored
 * document makes: the same fields, words, level and evaluation. */
static void side_of_a_write_equals_side_of_its_document(void **state)
{
    (void)state;
    char *areas[] = { "E09000007" }, *topics[] = { "adult-social-care" }, *communities[] = { "carers" };
    consultation c = { 0 };
    c.title = "Adult social care charging policy";
    c.summary = "Charges for care at home";
    c.areas = (strlist){ areas, 1 };
    c.topics = (strlist){ topics, 1 };
    c.communities = (strlist){ communities, 1 };
    snprintf(c.start, sizeof c.start, "2027-03-01");
    snprintf(c.end, sizeof c.end, "2027-04-15");
    c.engagement_level = "involve";
    overlap_side w, d, other;
    assert_int_equal(overlap_side_of(&w, "a", "camden", &c, json_pack("[s, s]", "E09000007", "E12000007")), 0);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s, s], s:[s], s:[s], s:s, s:s, s:s}", "id", "a",
                            "organisation", "camden", "title", c.title, "summary", c.summary, "areas", "E09000007",
                            "scope", "E09000007", "E12000007", "topics", "adult-social-care", "communities", "carers",
                            "start", "2027-03-01", "end", "2027-04-15", "engagement_level", "involve");
    assert_int_equal(overlap_side_init(&d, doc), 0);
    json_decref(doc);
    assert_string_equal(w.id, d.id);
    assert_string_equal(w.org, d.org);
    assert_int_equal(w.start, d.start);
    assert_int_equal(w.end, d.end);
    assert_int_equal(w.engagement, 2);
    assert_int_equal(w.engagement, d.engagement);
    assert_true(json_equal(w.areas, d.areas) && json_equal(w.scope, d.scope));
    assert_true(json_equal(w.topics, d.topics) && json_equal(w.communities, d.communities));
    assert_int_equal(w.words.n, d.words.n);
    assert_true(w.text_words.n > w.words.n);
    assert_int_equal(w.text_words.n, d.text_words.n);
    side(&other, "b", "nhs", "Hospital discharge and carers", "E09000007", "adult-social-care", "carers",
         "2027-02-01", "2027-03-21", "consult");
    overlap_result rw, rd;
    overlap_evaluate(&w, &other, v, reg, NULL, 28, &rw);
    overlap_evaluate(&d, &other, v, reg, NULL, 28, &rd);
    assert_true(rw.overlaps);
    assert_true(rw.score == rd.score);
    assert_string_equal(rw.explanation, rd.explanation);
    overlap_result_clear(&rw);
    overlap_result_clear(&rd);
    /* a bad date is refused, and the scope is released with the rest */
    snprintf(c.end, sizeof c.end, "2027-02-30");
    overlap_side bad;
    assert_int_equal(overlap_side_of(&bad, "a", "camden", &c, json_pack("[s]", "E09000007")), -1);
    overlap_side_clear(&bad);
    overlap_side_clear(&w);
    overlap_side_clear(&d);
    overlap_side_clear(&other);
}

static void hierarchy_general_public_text_and_nothing(void **state)
{
    (void)state;
    overlap_side a, b, c, d, e, f, g;
    side(&a, "a", "o1", "Carer breaks", "E05000128", "carers-support", "students", "2027-03-01", "2027-03-31", "inform");
    side(&b, "b", "o2", "Care charging", "E09000007", "adult-social-care", "older-people", "2027-04-20", "2027-05-01",
         "empower");
    side(&c, "c", "o2", "Residential places", "E05000128", "care-homes", "older-people", "2027-03-01", "2027-03-31",
         "consult");
    side(&d, "d", "o3", "Library hours", "E05000128", "libraries", "general-public", "2027-03-01", "2027-03-31",
         "consult");
    side(&e, "e", "o3", "Zebra crossing on Mill Lane", "E05000128", NULL, NULL, "2027-03-01", "2027-03-31", "consult");
    side(&f, "f", "o4", "Proposed zebra crossing, Mill Lane", "E05000128", NULL, NULL, "2027-03-01", "2027-03-31",
         "consult");
    side(&g, "g", "o4", "Young carers club", "E05000128", NULL, "young-carers", "2027-03-01", "2027-03-31", "consult");
    overlap_result r;
    overlap_evaluate(&a, &b, v, reg, NULL, 28, &r); /* child topic vs parent, ward in district, 20 days apart */
    assert_true(r.overlaps);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r.reasons, "topics"), 0)), "adult-social-care");
    double want = 0.8 * (1 - 0.5 * 20 / 28.0) * (0.85 * (0.45 * 0.7 + 0.2 * textsim("Carer breaks", "Care charging", NULL)) + 0.15 * 0);
    assert_true(r.score > want - 0.006 && r.score < want + 0.006);
    assert_string_equal(r.explanation, "Both ask people in Belsize, one about carers support and the other about adult "
                                       "social care, 20 days apart (one ends 31 March 2027, the other starts 20 April "
                                       "2027).");
    overlap_result_clear(&r);
    overlap_evaluate(&a, &c, v, reg, NULL, 28, &r); /* sibling topics, different communities, unlike titles */
    assert_false(r.overlaps);
    overlap_evaluate(&c, &d, v, reg, NULL, 28, &r); /* general-public */
    assert_true(r.overlaps);
    assert_string_equal(r.level, "low");
    /* one asks older people; the other reaches them only as part of everyone */
    assert_string_equal(r.explanation, "One asks older people and the other, through the general public, everyone in "
                                       "Belsize between 1 and 31 March 2027.");
    overlap_result_clear(&r);
    overlap_evaluate(&e, &f, v, reg, NULL, 28, &r); /* same subject, no codes */
    assert_true(r.overlaps);
    assert_string_equal(r.level, "high");
    assert_non_null(strstr(r.explanation, "alike"));
    overlap_result_clear(&r);
    overlap_evaluate(&a, &g, v, reg, NULL, 28, &r); /* no shared terms at all */
    assert_false(r.overlaps);
    overlap_evaluate(&g, &g, v, reg, NULL, 28, &r);
    assert_true(r.same_organisation);
    assert_non_null(strstr(r.explanation, "Same organisation: "));
    overlap_result_clear(&r);
    overlap_side *all[] = { &a, &b, &c, &d, &e, &f, &g };
    for (int i = 0; i < 7; i++)
        overlap_side_clear(all[i]);
}

static void text_similarity(void **state)
{
    (void)state;
    assert_true(textsim("Employer's Annual Federal Tax Return and Modifications to Deposit Rules",
                        "Employers Annual Federal Tax Return and Modifications to the Deposit Rules", NULL) > 0.999);
    assert_true(textsim("Policies on taxes", "policy tax", NULL) > 0.999);
    assert_true(textsim("Class sizes", "class size", NULL) > 0.999);
    assert_true(textsim("Classes, churches and taxes", "class church tax", NULL) > 0.999);
    assert_true(textsim("Bus routes", "bus route", NULL) > 0.999); /* "bus" is not a plural */
    assert_true(textsim("Cost-of-Living Adjustments and Identity Verification", "Additional Withdrawal Options", NULL) < 0.01);
    assert_true(textsim("", "", NULL) == 0.0);
    double s = textsim("Library opening hours", "Library hours review", NULL);
    assert_true(s > 0.666 && s < 0.667); /* cosine: 2 shared of 3 and 3 words, 2 / sqrt(3 * 3) */
}

static void inference(void **state)
{
    (void)state;
    json_t *t = json_array(), *c = json_array();
    assert_int_equal(vocab_infer(v, "Public health: stop smoking support for residents and young carers", t, c), 4);
    assert_string_equal(json_string_value(json_array_get(t, 0)), "public-health");
    assert_string_equal(json_string_value(json_array_get(t, 1)), "substance-misuse");
    assert_string_equal(json_string_value(json_array_get(c, 0)), "general-public");
    assert_string_equal(json_string_value(json_array_get(c, 1)), "young-carers");
    json_decref(t);
    json_decref(c);
    t = json_array();
    c = json_array();
    assert_int_equal(vocab_infer(v, "Nothing to see here", t, c), 0);
    json_decref(t);
    json_decref(c);
}

static void fatigue_counting(void **state)
{
    (void)state;
    overlap_side rows[4];
    side(&rows[0], "a", "o", "x", "E05000128", NULL, "carers", "2027-03-01", "2027-03-10", "consult");
    side(&rows[1], "b", "o", "x", "E09000007", NULL, "young-carers", "2027-01-01", "2027-01-10", "consult");
    side(&rows[2], "c", "o", "x", "E05000129", NULL, "carers", "2027-03-01", "2027-03-10", "consult"); /* sibling */
    side(&rows[3], "d", "o", "x", "E05000128", NULL, "general-public", "2027-05-20", "2027-06-10", "consult");
    const char *ward = "E05000128";
    const char *scope[8];
    size_t ns = areas_scope(reg, &ward, 1, scope, 8);
    fatigue_query q = { ward, scope, ns, "carers", 0, 6, 90, 1, false };
    long d;
    date_parse("2027-01-01", &d);
    q.first_month = overlap_month(d);
    json_t *out = json_array();
    fatigue_buckets(rows, 4, &q, v, out);
    assert_int_equal(json_array_size(out), 6);
    /* Jan..Jun, 90-day windows ending on each month's last day: Camden's young
     * carers (1-10 Jan) count until March, Belsize carers (1-10 Mar) until May,
     * general-public (20 May - 10 Jun) from May; the sibling ward never. */
    json_int_t want[6] = { 1, 1, 2, 1, 2, 1 };
    for (size_t i = 0; i < 6; i++) {
        json_t *b = json_array_get(out, i);
        assert_int_equal(json_integer_value(json_object_get(b, "count")), want[i]);
        assert_int_equal(json_is_true(json_object_get(b, "exceeded")), want[i] > 1);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "month")), "2027-01");
    json_decref(out);
    for (int i = 0; i < 4; i++)
        overlap_side_clear(&rows[i]);
}

static bool in_array(const json_t *a, const char *s)
{
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e) if (strcmp(json_string_value(e), s) == 0) return true;
    return false;
}

/* The fatigue watch reads only rows asking one of fatigue_row_communities():
 * the buckets a consultation adds to must count the same with that filter. */
static void fatigue_row_filter_keeps_every_row_that_counts(void **state)
{
    (void)state;
    json_t *f = json_array();
    json_t *s = json_pack("[s]", "young-carers");
    assert_true(fatigue_row_communities(s, v, f));
    assert_true(in_array(f, "young-carers") && in_array(f, "carers") && in_array(f, "general-public"));
    assert_false(in_array(f, "students") || in_array(f, "older-people"));
    json_t *gp = json_pack("[s, s]", "students", "general-public");
    json_t *g = json_array();
    assert_false(fatigue_row_communities(gp, v, g));
    assert_int_equal(json_array_size(g), 0);

    overlap_side rows[5];
    side(&rows[0], "a", "o", "x", "E05000128", NULL, "carers", "2027-03-01", "2027-03-10", "consult");
    side(&rows[1], "b", "o", "x", "E09000007", NULL, "young-carers", "2027-01-01", "2027-01-10", "consult");
    side(&rows[2], "c", "o", "x", "E05000128", NULL, "students", "2027-03-01", "2027-03-10", "consult");
    side(&rows[3], "d", "o", "x", "E05000128", NULL, "general-public", "2027-02-20", "2027-03-10", "consult");
    side(&rows[4], "e", "o", "x", "E05000128", NULL, "older-people", "2027-03-01", "2027-03-10", "consult");
    overlap_side kept[5];
    size_t nk = 0;
    for (size_t i = 0; i < 5; i++) {
        size_t j;
        const json_t *c;
        bool any = false;
        json_array_foreach(rows[i].communities, j, c) any = any || in_array(f, json_string_value(c));
        if (any)
            kept[nk++] = rows[i];
    }
    assert_int_equal(nk, 3); /* students and older-people are left out */
    const char *ward = "E05000128";
    const char *scope[8];
    size_t ns = areas_scope(reg, &ward, 1, scope, 8);
    long d;
    date_parse("2027-01-01", &d);
    fatigue_query q = { ward, scope, ns, NULL, overlap_month(d), 4, 90, 1, false };
    json_t *all = json_array(), *some = json_array();
    fatigue_buckets(rows, 5, &q, v, all);
    fatigue_buckets(kept, nk, &q, v, some);
    size_t i, checked = 0;
    json_t *b;
    json_array_foreach(all, i, b) {
        const char *community = json_string_value(json_object_get(b, "community"));
        if (!fatigue_asks(s, community, v))
            continue; /* not a bucket young-carers adds to */
        bool found = false;
        size_t k;
        json_t *o;
        json_array_foreach(some, k, o) {
            if (strcmp(json_string_value(json_object_get(o, "community")), community) == 0 &&
                json_equal(json_object_get(o, "month"), json_object_get(b, "month"))) {
                assert_int_equal(json_integer_value(json_object_get(o, "count")),
                                 json_integer_value(json_object_get(b, "count")));
                found = true;
            }
        }
        assert_true(found);
        checked++;
    }
    assert_true(checked >= 8); /* carers and young-carers, four months each */
    json_decref(all);
    json_decref(some);
    for (int r = 0; r < 5; r++)
        overlap_side_clear(&rows[r]);
    json_decref(f);
    json_decref(s);
    json_decref(gp);
    json_decref(g);
}

static void dates_format(void **state)
{
    (void)state;
    long d;
    date_parse("2028-02-29", &d);
    char iso[11], text[40];
    overlap_iso_date(d, iso);
    assert_string_equal(iso, "2028-02-29");
    overlap_format_date(d, text, sizeof text);
    assert_string_equal(text, "29 February 2028");
    assert_int_equal(overlap_month(d), 2028 * 12 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_find_containment_both_ways_never_siblings),
        cmocka_unit_test(keys_respect_the_window),
        cmocka_unit_test(score_and_explanation),
        cmocka_unit_test(side_of_a_write_equals_side_of_its_document),
        cmocka_unit_test(hierarchy_general_public_text_and_nothing),
        cmocka_unit_test(text_similarity),
        cmocka_unit_test(inference),
        cmocka_unit_test(fatigue_counting),
        cmocka_unit_test(fatigue_row_filter_keeps_every_row_that_counts),
        cmocka_unit_test(dates_format),
    };
    return cmocka_run_group_tests_name("overlap", tests, setup, teardown);
}
