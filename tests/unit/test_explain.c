/* Unit tests: the overlap explanation (explain.h) through the overlap engine,
 * on the real area register built from the published ONS lookups in
 * ../shared/data/ons (ONS_DATA_DIR overrides): the coordinator cases in
 * Lincoln, then a generated set of random pairs of real wards, districts,
 * counties and regions, each sentence checked against an independent
 * reading of the lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_files.h"

#include "explain.h"
#include "ons_csv.h"
#include "overlap.h"

#define LINCOLN "E07000138"
#define LINCOLNSHIRE "E10000019"
#define ABBEY "E05010784"
#define BIRCHWOOD "E05010785"

/* ---- the lookups, read by the test itself --------------------------------------- */

typedef struct rec {
    char code[10], level[24];
    char *name;
    char anc[8][10];   /* every ancestor, from the links (transitively) */
    int nanc;
} rec;

typedef struct link {
    char child[10], parent[10];
} link;

typedef struct geo {
    rec *r;
    size_t n, cap;
    link *l;
    size_t nl, capl;
} geo;

static geo G;
static area_register *reg;
static vocab *v;

static int on_area(void *arg, const char *code, const char *name, const char *name_cy, const char *level)
{
    (void)name_cy;
    geo *g = arg;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 4096;
        g->r = realloc(g->r, g->cap * sizeof *g->r);
    }
    rec *r = &g->r[g->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->code, sizeof r->code, "%s", code);
    snprintf(r->level, sizeof r->level, "%s", level);
    r->name = strdup(name);
    return 0;
}

static int on_link(void *arg, const char *child, const char *parent)
{
    geo *g = arg;
    if (g->nl == g->capl) {
        g->capl = g->capl ? g->capl * 2 : 4096;
        g->l = realloc(g->l, g->capl * sizeof *g->l);
    }
    snprintf(g->l[g->nl].child, 10, "%s", child);
    snprintf(g->l[g->nl].parent, 10, "%s", parent);
    g->nl++;
    return 0;
}

static int cmp_rec(const void *a, const void *b)
{
    return strcmp(((const rec *)a)->code, ((const rec *)b)->code);
}

static rec *rec_of(const char *code)
{
    rec probe;
    snprintf(probe.code, sizeof probe.code, "%s", code);
    return bsearch(&probe, G.r, G.n, sizeof *G.r, cmp_rec);
}

static bool rec_has_anc(const rec *r, const char *code)
{
    for (int i = 0; r && i < r->nanc; i++)
        if (strcmp(r->anc[i], code) == 0)
            return true;
    return false;
}

static char *slurp(const char *path, size_t *len)
{
    return test_slurp(path, len);
}

static int cmp_link(const void *a, const void *b)
{
    return strcmp(((const link *)a)->child, ((const link *)b)->child);
}

/* Adds the parents of code (links sorted by child) to r's ancestors. */
static void add_parents(rec *r, const char *code)
{
    link probe;
    snprintf(probe.child, 10, "%s", code);
    link *at = bsearch(&probe, G.l, G.nl, sizeof *G.l, cmp_link);
    while (at && at > G.l && strcmp(at[-1].child, code) == 0)
        at--;
    for (; at && at < G.l + G.nl && strcmp(at->child, code) == 0; at++)
        if (!rec_has_anc(r, at->parent) && r->nanc < 8)
            snprintf(r->anc[r->nanc++], 10, "%s", at->parent);
}

static void term_add(vocab_kind k, const char *code, const char *label, const char *parent)
{
    assert_int_equal(vocab_add(v, k, code, label, parent, NULL, 0), 0);
}

static int setup(void **state)
{
    (void)state;
    const char *dir = getenv("ONS_DATA_DIR");
    if (!dir)
        dir = "../shared/data/ons";
    const char *files[] = { "ward19_lad19_uk.csv", "lad20_cty20_en.csv", "lad18_rgn18_en.csv" };
    for (size_t i = 0; i < 3; i++) {
        char path[512], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        size_t len = 0;
        char *data = slurp(path, &len);
        if (!data) {
            fprintf(stderr, "cannot read %s (set ONS_DATA_DIR)\n", path);
            return -1;
        }
        ons_sink sink = { on_area, on_link, NULL, NULL, &G };
        ons_stats st;
        int rc = ons_csv_parse(data, len, &sink, &st, err, sizeof err);
        free(data);
        if (rc < 0)
            return -1;
    }
    /* one record per code (the first name read), links sorted by child */
    qsort(G.r, G.n, sizeof *G.r, cmp_rec);
    size_t u = 0;
    for (size_t i = 0; i < G.n; i++) {
        if (u && strcmp(G.r[u - 1].code, G.r[i].code) == 0) {
            free(G.r[i].name);
            continue;
        }
        G.r[u++] = G.r[i];
    }
    G.n = u;
    qsort(G.l, G.nl, sizeof *G.l, cmp_link);
    reg = areas_new();
    for (size_t i = 0; i < G.n; i++) {
        rec *r = &G.r[i];
        add_parents(r, r->code);
        /* and the parents of those (a district's county and region) */
        for (int j = 0; j < r->nanc; j++)
            add_parents(r, r->anc[j]);
        const char *anc[8];
        for (int j = 0; j < r->nanc; j++)
            anc[j] = r->anc[j];
        if (areas_add(reg, r->code, r->name, r->level, anc, (size_t)r->nanc) < 0)
            return -1;
    }
    if (areas_finish(reg) < 0)
        return -1;

    v = vocab_new();
    term_add(VOCAB_TOPICS, "adult-social-care", "Adult social care", NULL);
    term_add(VOCAB_TOPICS, "home-care", "Home care", "adult-social-care");
    term_add(VOCAB_TOPICS, "care-homes", "Care homes", "adult-social-care");
    term_add(VOCAB_TOPICS, "culture-leisure", "Culture and leisure", NULL);
    term_add(VOCAB_TOPICS, "libraries", "Libraries", "culture-leisure");
    term_add(VOCAB_TOPICS, "community-safety", "Community safety", NULL);
    term_add(VOCAB_TOPICS, "antisocial-behaviour", "Antisocial behaviour", "community-safety");
    term_add(VOCAB_TOPICS, "parking", "Parking", NULL);
    term_add(VOCAB_TOPICS, "housing", "Housing", NULL);
    term_add(VOCAB_COMMUNITIES, "age", "Age groups", NULL);
    term_add(VOCAB_COMMUNITIES, "young-people", "Young people", "age");
    term_add(VOCAB_COMMUNITIES, "older-people", "Older people", "age");
    term_add(VOCAB_COMMUNITIES, "carers", "Unpaid carers", NULL);
    term_add(VOCAB_COMMUNITIES, "young-carers", "Young carers", "carers");
    term_add(VOCAB_COMMUNITIES, "students", "Students", NULL);
    term_add(VOCAB_COMMUNITIES, "general-public", "General public", NULL);
    vocab_finish(v);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < G.n; i++)
        free(G.r[i].name);
    free(G.r);
    free(G.l);
    areas_free(reg);
    vocab_free(v);
    return 0;
}

/* ---- sides ----------------------------------------------------------------------- */

static json_t *strings(const char *const *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(s[i]));
    return a;
}

/* A consultation in areas, its scope from the register. */
static void make_side(overlap_side *s, const char *id, const char *org, const char *title, const char *const *areas,
                      size_t nareas, const char *const *topics, size_t ntopics, const char *const *comms,
                      size_t ncomms, const char *start, const char *end)
{
    const char *scope[512];
    size_t n = areas_scope(reg, areas, nareas, scope, 512);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s}", "id", id, "organisation", org,
                            "title", title, "areas", strings(areas, nareas), "scope", strings(scope, n), "topics",
                            strings(topics, ntopics), "communities", strings(comms, ncomms), "start", start, "end",
                            end, "engagement_level", "consult");
    assert_int_equal(overlap_side_init(s, doc), 0);
    json_decref(doc);
}

/* The wards of a district, from the test's own reading of the lookups. */
static size_t wards_of(const char *district, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < G.n && n < cap; i++)
        if (strcmp(G.r[i].level, "ward") == 0 && rec_has_anc(&G.r[i], district))
            out[n++] = G.r[i].code;
    return n;
}

static void evaluate(const overlap_side *a, const overlap_side *b, overlap_result *r)
{
    overlap_evaluate(a, b, v, reg, NULL, 28, r);
    assert_true(r->overlaps);
}

/* ---- the coordinator's cases ------------------------------------------------------ */

static void county_plan_and_two_wards(void **state)
{
    (void)state;
    const char *county[] = { LINCOLNSHIRE }, *wards[] = { ABBEY, BIRCHWOOD };
    const char *topics[] = { "adult-social-care", "libraries" }, *carers[] = { "carers" };
    overlap_side a, b;
    make_side(&a, "a", "county", "Carers strategy", county, 1, topics, 2, carers, 1, "2027-09-15", "2027-10-30");
    make_side(&b, "b", "city", "Carers in Abbey and Birchwood", wards, 2, topics, 2, carers, 1, "2027-10-01",
              "2027-11-20");
    overlap_result r;
    evaluate(&a, &b, &r);
    assert_string_equal(r.explanation, "Both ask unpaid carers in Abbey and Birchwood about adult social care and "
                                       "libraries between 1 and 30 October 2027.");
    assert_int_equal(json_array_size(json_object_get(r.reasons, "areas")), 2);
    overlap_result_clear(&r);
    overlap_side_clear(&a);
    overlap_side_clear(&b);
}

static void young_people_in_five_wards_and_everyone_in_eleven(void **state)
{
    (void)state;
    const char *all[16];
    assert_int_equal(wards_of(LINCOLN, all, 16), 11);
    const char *safety[] = { "community-safety" }, *young[] = { "young-people" }, *gp[] = { "general-public" };
    overlap_side a, b;
    make_side(&a, "a", "youth", "Young people feeling safe", all, 5, safety, 1, young, 1, "2027-03-01", "2027-03-20");
    make_side(&b, "b", "city", "Community safety plan", all, 11, safety, 1, gp, 1, "2027-02-15", "2027-04-30");
    overlap_result r;
    evaluate(&a, &b, &r);
    assert_string_equal(r.explanation, "One asks young people and the other, through the general public, everyone "
                                       "in 5 wards of Lincoln about community safety between 1 and 20 March 2027.");
    overlap_result_clear(&r);
    evaluate(&b, &a, &r); /* whichever side was written first */
    assert_string_equal(r.explanation, "One asks young people and the other, through the general public, everyone "
                                       "in 5 wards of Lincoln about community safety between 1 and 20 March 2027.");
    overlap_result_clear(&r);
    overlap_side_clear(&a);
    overlap_side_clear(&b);
}

static void district_plan_and_ward_lists(void **state)
{
    (void)state;
    const char *all[16], *district[] = { LINCOLN };
    assert_int_equal(wards_of(LINCOLN, all, 16), 11);
    const char *housing[] = { "housing" }, *older[] = { "older-people" };
    overlap_side a, b, c, d;
    make_side(&a, "a", "city", "Housing strategy", district, 1, housing, 1, older, 1, "2027-12-20", "2028-01-31");
    make_side(&b, "b", "trust", "Older people's housing, every ward", all, 11, housing, 1, older, 1, "2027-11-01",
              "2028-01-10");
    make_side(&c, "c", "trust", "Older people's housing, four wards", all + 3, 4, housing, 1, older, 1, "2027-11-01",
              "2028-01-10");
    make_side(&d, "d", "trust", "Older people's housing, three wards", all + 1, 3, housing, 1, older, 1,
              "2028-01-01", "2028-01-01");
    overlap_result r;
    evaluate(&a, &b, &r);
    assert_string_equal(r.explanation, "Both ask older people across Lincoln about housing between 20 December 2027 "
                                       "and 10 January 2028.");
    assert_int_equal(json_array_size(json_object_get(r.reasons, "areas")), 11);
    overlap_result_clear(&r);
    evaluate(&a, &c, &r);
    assert_string_equal(r.explanation, "Both ask older people in 4 wards of Lincoln about housing between "
                                       "20 December 2027 and 10 January 2028.");
    overlap_result_clear(&r);
    evaluate(&a, &d, &r);
    char want[300];
    snprintf(want, sizeof want, "Both ask older people in %s, %s and %s about housing on 1 January 2028.",
             rec_of(all[1])->name, rec_of(all[2])->name, rec_of(all[3])->name);
    assert_string_equal(r.explanation, want);
    overlap_result_clear(&r);
    overlap_side *s[] = { &a, &b, &c, &d };
    for (int i = 0; i < 4; i++)
        overlap_side_clear(s[i]);
}

/* More than twenty shared areas are all listed and counted; terms met
 * through the hierarchy are named per side; a gap of one day. */
static void many_wards_hierarchy_and_gaps(void **state)
{
    (void)state;
    /* every ward of Lincolnshire's districts but Lincoln's */
    const char *wards[200];
    size_t n = 0;
    const char *districts[] = { "E07000136", "E07000137", "E07000139" };
    for (int i = 0; i < 3; i++)
        n += wards_of(districts[i], wards + n, 200 - n);
    assert_true(n > 20);
    const char *county[] = { LINCOLNSHIRE };
    const char *home[] = { "home-care", "libraries", "parking", "housing" },
               *asc[] = { "adult-social-care", "libraries", "parking", "housing" };
    const char *yc[] = { "young-carers" }, *carers[] = { "carers" };
    overlap_side a, b;
    make_side(&a, "a", "county", "Care at home", county, 1, home, 4, yc, 1, "2027-01-01", "2027-01-31");
    make_side(&b, "b", "trust", "Adult care review", wards, n, asc, 4, carers, 1, "2027-02-01", "2027-02-28");
    overlap_result r;
    evaluate(&a, &b, &r);
    assert_int_equal(json_array_size(json_object_get(r.reasons, "areas")), n);
    char want[400];
    snprintf(want, sizeof want, "One asks young carers about home care, libraries, parking and 1 more and the other "
                                "unpaid carers about adult social care, libraries, parking and 1 more, in %zu wards "
                                "of Lincolnshire, 1 day apart (one ends 31 January 2027, the other starts "
                                "1 February 2027).", n);
    assert_string_equal(r.explanation, want);
    overlap_result_clear(&r);
    overlap_side_clear(&a);
    overlap_side_clear(&b);
    /* twenty free tags in common, met by several entries each: counted once */
    char tags[20][16];
    const char *ta[20], *tb[21];
    for (int i = 0; i < 20; i++) {
        snprintf(tags[i], sizeof tags[i], "tag %d", i);
        ta[i] = tb[i] = tags[i];
    }
    tb[20] = "Tag 0";
    make_side(&a, "a", "x", "Tags", county, 1, ta, 20, NULL, 0, "2027-01-01", "2027-01-31");
    make_side(&b, "b", "y", "More tags", wards, 2, tb, 21, NULL, 0, "2027-01-01", "2027-01-31");
    evaluate(&a, &b, &r);
    assert_non_null(strstr(r.explanation, " about tag 0, tag 1, tag 2 and 17 more between"));
    overlap_result_clear(&r);
    overlap_side_clear(&a);
    overlap_side_clear(&b);
}

static void place_words(void **state)
{
    (void)state;
    char out[200];
    const char *one[] = { ABBEY }, *two[] = { ABBEY, BIRCHWOOD }, *unknown[] = { "E05999999", ABBEY };
    explain_place(reg, one, 1, out, sizeof out);
    assert_string_equal(out, "in Abbey");
    explain_place(reg, two, 2, out, sizeof out);
    assert_string_equal(out, "in Abbey and Birchwood");
    explain_place(NULL, two, 2, out, sizeof out);
    assert_string_equal(out, "in E05010784 and E05010785");
    explain_place(reg, unknown, 2, out, sizeof out);
    assert_string_equal(out, "in E05999999 and Abbey");
    /* Lincolnshire's seven districts fill it */
    const char *districts[8];
    size_t n = 0;
    for (size_t i = 0; i < G.n; i++)
        if (strcmp(G.r[i].level, "district") == 0 && rec_has_anc(&G.r[i], LINCOLNSHIRE))
            districts[n++] = G.r[i].code;
    assert_int_equal(n, 7);
    explain_place(reg, districts, n, out, sizeof out);
    assert_string_equal(out, "across Lincolnshire");
    explain_place(reg, districts, 5, out, sizeof out);
    assert_string_equal(out, "in 5 districts of Lincolnshire");
    /* a ward and a district: counted as areas */
    const char *mixed[] = { ABBEY, BIRCHWOOD, "E07000139", "E07000140" };
    explain_place(reg, mixed, 4, out, sizeof out);
    assert_string_equal(out, "in 4 areas of Lincolnshire");
    /* the output is cut, but the length needed is told */
    assert_int_equal(explain_place(reg, two, 2, out, 5), strlen("in Abbey and Birchwood"));
    assert_string_equal(out, "in A");
    assert_string_equal(explain_level_plural("county"), "counties");
    assert_string_equal(explain_level_plural(NULL), "areas");
}

/* The builder on its own: dates, titles, the same organisation, long labels. */
static void sentence_parts(void **state)
{
    (void)state;
    const char *abbey[] = { ABBEY };
    explain_input in = { .areas = abbey, .nareas = 1, .reg = reg };
    long d2027 = 20819; /* 2027-01-01 */
    char out[2048];
    in.start[0] = d2027 - 5, in.end[0] = d2027 + 1, in.start[1] = d2027 - 2, in.end[1] = d2027 + 30;
    in.titles_similar = true, in.text_similarity = 0.804;
    explain_sentence(&in, out, sizeof out);
    assert_string_equal(out, "Both ask people in Abbey about the same subject (titles 80% alike) between "
                             "30 December 2026 and 2 January 2027.");
    in.titles_similar = false;
    explain_terms_add(&in.communities[0], "students", "Students");
    explain_terms_add(&in.communities[1], "students", "Students");
    in.start[0] = d2027 + 58, in.end[0] = d2027 + 70, in.start[1] = d2027 + 30, in.end[1] = d2027 + 61;
    in.same_organisation = true;
    explain_sentence(&in, out, sizeof out);
    assert_string_equal(out, "Same organisation: Both ask students in Abbey between 28 February and 3 March 2027.");
    in.same_organisation = false;
    in.start[1] = d2027 + 70, in.end[1] = d2027 + 90;
    explain_sentence(&in, out, sizeof out);
    assert_string_equal(out, "Both ask students in Abbey on 12 March 2027.");
    /* a long free tag with accents is cut whole characters at a time, and the sentence still ends */
    char tag[300] = "";
    for (int i = 0; i < 60; i++)
        strcat(tag, "é");
    explain_terms_add(&in.topics[0], tag, tag);
    explain_terms_add(&in.topics[1], tag, tag);
    size_t need = explain_sentence(&in, out, sizeof out);
    assert_true(need < sizeof out);
    assert_int_equal(out[need - 1], '.');
    const char *about = strstr(out, "about ") + 6;
    size_t cut = (size_t)(strstr(about, " on ") - about);
    assert_int_equal(cut, 80);   /* 40 two-byte characters */
    /* repeats are kept once; past EXPLAIN_MAX_TERMS terms are counted */
    explain_terms t = { .n = 0 };
    char keys[EXPLAIN_MAX_TERMS + 4][16];
    for (int i = 0; i < EXPLAIN_MAX_TERMS + 4; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        explain_terms_add(&t, keys[i], keys[i]);
        if (i < EXPLAIN_MAX_TERMS)
            explain_terms_add(&t, keys[i], keys[i]);
    }
    assert_int_equal(t.n, EXPLAIN_MAX_TERMS + 4);
    assert_string_equal(t.items[EXPLAIN_MAX_TERMS - 1].key, keys[EXPLAIN_MAX_TERMS - 1]);
    /* the sentence cut short says how long it needed */
    in.topics[0] = in.topics[1] = (explain_terms){ .n = 0 };
    need = explain_sentence(&in, out, 10);
    assert_int_equal(need, strlen("Both ask students in Abbey on 12 March 2027."));
    assert_string_equal(out, "Both ask ");
}

/* ---- the generated set ------------------------------------------------------------ */

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;

static unsigned next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (unsigned)(rng % n) : 0;
}

static const char *const topic_pool[] = { "adult-social-care", "home-care", "care-homes", "culture-leisure",
                                          "libraries", "community-safety", "antisocial-behaviour", "parking",
                                          "housing", "allotments", "bus routes" };
static const char *const community_pool[] = { "young-people", "older-people", "carers", "young-carers",
                                              "students", "general-public", "age" };

/* How a code or free tag reads in the sentence (as explain.c renders it). */
static void rendered(vocab_kind k, const char *code, char *out, size_t len)
{
    if (strcmp(code, "general-public") == 0) {
        snprintf(out, len, "the general public");
        return;
    }
    const vocab_term *t = vocab_by_code(v, k, code);
    snprintf(out, len, "%s", t ? t->label : code);
    if (out[0] >= 'A' && out[0] <= 'Z' && out[1] >= 'a' && out[1] <= 'z')
        out[0] = (char)(out[0] - 'A' + 'a');
}

static bool asks(const json_t *list, const char *code)
{
    size_t i;
    const json_t *x;
    json_array_foreach(list, i, x)
        if (strcmp(json_string_value(x), code) == 0)
            return true;
    return false;
}

/* The pool entries named in text[0..len) (whole phrases). */
static size_t named_in(vocab_kind k, const char *const *pool, size_t npool, const char *text, size_t len,
                       const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < npool; i++) {
        char label[80];
        rendered(k, pool[i], label, sizeof label);
        size_t l = strlen(label);
        for (const char *p = text; p + l <= text + len; p++) {
            if (strncmp(p, label, l) != 0)
                continue;
            char before = p == text ? ' ' : p[-1], after = p + l == text + len ? ' ' : p[l];
            if ((before == ' ' || before == ',') && (after == ' ' || after == ',' || after == '.')) {
                out[n++] = pool[i];
                break;
            }
        }
    }
    return n;
}

/* Every named entry is asked by the side (both sides when side is NULL... see callers). */
static void check_attribution(vocab_kind k, const char *const *pool, size_t npool, const char *text, size_t len,
                              const json_t *side_list, const char *what)
{
    const char *named[16];
    size_t n = named_in(k, pool, npool, text, len, named);
    for (size_t i = 0; i < n; i++)
        if (!asks(side_list, named[i]))
            fail_msg("%s: \"%.*s\" names %s, which that side does not ask", what, (int)len, text, named[i]);
}

typedef struct tally {
    int pairs, named, counted, across, one_area, per_side_who, per_side_what, both_who, gaps;
} tally;

/* The place phrases that are true of the shared set S (codes), by the test's own reading. */
static bool place_is_true(const char *place, size_t len, const char *const *S, size_t n)
{
    char buf[400];
    if (n == 1) {
        snprintf(buf, sizeof buf, "in %s", rec_of(S[0])->name);
        return strlen(buf) == len && strncmp(buf, place, len) == 0;
    }
    if (len > 3 && strncmp(place, "in ", 3) == 0 && place[3] >= '0' && place[3] <= '9') {
        char *end;
        unsigned long count = strtoul(place + 3, &end, 10);
        if (count != n)
            fail_msg("the sentence counts %lu areas, reasons.areas has %zu", count, n);
        /* "of X": X contains every one */
        const char *of = memmem(place, len, " of ", 4);
        if (!of)
            return true;
        size_t xl = len - (size_t)(of + 4 - place);
        for (int i = 0; i < rec_of(S[0])->nanc; i++) {
            const rec *x = rec_of(rec_of(S[0])->anc[i]);
            if (!x || strlen(x->name) != xl || strncmp(x->name, of + 4, xl) != 0)
                continue;
            bool all = true;
            for (size_t j = 0; j < n; j++)
                all = all && rec_has_anc(rec_of(S[j]), x->code);
            if (all)
                return true;
        }
        return false;
    }
    if (strncmp(place, "across ", 7) == 0) {
        /* X contains every one, and every area of their level in X is one of them */
        for (int i = 0; i < rec_of(S[0])->nanc; i++) {
            const rec *x = rec_of(rec_of(S[0])->anc[i]);
            if (!x || strlen(x->name) != len - 7 || strncmp(x->name, place + 7, len - 7) != 0)
                continue;
            size_t inside = 0;
            for (size_t j = 0; j < G.n; j++)
                if (strcmp(G.r[j].level, rec_of(S[0])->level) == 0 && rec_has_anc(&G.r[j], x->code))
                    inside++;
            bool all = inside == n;
            for (size_t j = 0; j < n; j++)
                all = all && rec_has_anc(rec_of(S[j]), x->code) &&
                      strcmp(rec_of(S[j])->level, rec_of(S[0])->level) == 0;
            if (all)
                return true;
        }
        return false;
    }
    /* names: exactly the shared areas' names, in order */
    size_t at = snprintf(buf, sizeof buf, "in ");
    for (size_t i = 0; i < n; i++)
        at += snprintf(buf + at, sizeof buf - at, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
                       rec_of(S[i])->name);
    return strlen(buf) == len && strncmp(buf, place, len) == 0;
}

/* Where " <digits> day" or ", <digits> day" (a gap) or " on <digit>" starts after p, or NULL. */
static const char *date_start(const char *p)
{
    for (; *p; p++) {
        const char *q = p + (p[0] == ',' ? 1 : 0);
        if (q[0] != ' ')
            continue;
        if (strncmp(q, " on ", 4) == 0 && q[4] >= '0' && q[4] <= '9')
            return p;
        if (strncmp(q, " between ", 9) == 0)
            return p;
        const char *d = q + 1;
        while (*d >= '0' && *d <= '9')
            d++;
        if (d > q + 1 && strncmp(d, " day", 4) == 0)
            return p;
    }
    return NULL;
}

/* Finds the place phrase: the first " in " / " across " (after the who),
 * up to " about ", ", one about " or the date phrase. */
static const char *find_place(const char *s, size_t *len)
{
    const char *starts[] = { " in ", " across ", ", in ", ", across " };
    const char *best = NULL;
    for (size_t i = 0; i < 4; i++) {
        const char *p = strstr(s, starts[i]);
        if (p && (!best || p < best))
            best = p;
    }
    if (!best)
        return NULL;
    best += best[0] == ',' ? 2 : 1;
    const char *end = date_start(best);
    const char *ends[] = { " about ", ", one about " };
    for (size_t i = 0; i < 2; i++) {
        const char *p = strstr(best, ends[i]);
        if (p && (!end || p < end))
            end = p;
    }
    *len = end ? (size_t)(end - best) : strlen(best);
    return best;
}

/* Does every entry named in the segment belong to the side (and "everyone" to
 * a side that asks the general public)? */
static bool fits(vocab_kind k, const char *text, size_t len, const overlap_side *side)
{
    bool comm = k == VOCAB_COMMUNITIES;
    const char *const *pool = comm ? community_pool : topic_pool;
    size_t npool = comm ? sizeof community_pool / sizeof community_pool[0] : sizeof topic_pool / sizeof topic_pool[0];
    const json_t *list = comm ? side->communities : side->topics;
    const char *named[16];
    size_t n = named_in(k, pool, npool, text, len, named);
    if (comm && memmem(text, len, "everyone", 8) && !asks(list, "general-public"))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!asks(list, named[i]))
            return false;
    return true;
}

static void check_sentence(const overlap_side *a, const overlap_side *b, const overlap_result *r, tally *t)
{
    const char *s = r->explanation;
    if (strncmp(s, "Same organisation: ", 19) == 0)
        s += 19;
    /* the shared areas, by the test's own reading: the same, or the smaller of two that contain */
    const char *S[600];
    size_t n = 0;
    size_t i, j;
    const json_t *x, *y;
    json_array_foreach(a->areas, i, x) {
        json_array_foreach(b->areas, j, y) {
            const char *ca = json_string_value(x), *cb = json_string_value(y), *sp = NULL;
            if (strcmp(ca, cb) == 0 || rec_has_anc(rec_of(ca), cb))
                sp = ca;
            else if (rec_has_anc(rec_of(cb), ca))
                sp = cb;
            bool dup = false;
            for (size_t k = 0; sp && k < n; k++)
                dup = dup || strcmp(S[k], sp) == 0;
            if (sp && !dup)
                S[n++] = sp;
        }
    }
    const json_t *ra = json_object_get(r->reasons, "areas");
    assert_int_equal(json_array_size(ra), n);
    for (size_t k = 0; k < n; k++)
        assert_string_equal(json_string_value(json_array_get(ra, k)), S[k]);

    size_t plen = 0;
    const char *place = find_place(s, &plen);
    if (!place)
        fail_msg("no place in \"%s\"", s);
    if (!place_is_true(place, plen, S, n))
        fail_msg("\"%.*s\" is not true of the shared areas (%zu) in \"%s\"", (int)plen, place, n, s);
    if (n == 1)
        t->one_area++;
    else if (place[0] == 'a')
        t->across++;
    else if (place[3] >= '0' && place[3] <= '9')
        t->counted++;
    else
        t->named++;
    if (strstr(s, "apart (one ends"))
        t->gaps++;

    const size_t nt = sizeof topic_pool / sizeof topic_pool[0], nc = sizeof community_pool / sizeof community_pool[0];
    if (strncmp(s, "Both ask", 8) == 0) {
        t->both_who++;
        const char *who = s + 8;
        size_t wl = (size_t)(place - who);
        check_attribution(VOCAB_COMMUNITIES, community_pool, nc, who, wl, a->communities, "both ask (first side)");
        check_attribution(VOCAB_COMMUNITIES, community_pool, nc, who, wl, b->communities, "both ask (second side)");
        if (memmem(who, wl, "everyone", 8))
            fail_msg("\"Both ask\" everyone through one side's general public: %s", s);
        const char *rest = place + plen;
        const char *one = strstr(rest, ", one about ");
        if (one) {
            t->per_side_what++;
            const char *other = strstr(one, " and the other about ");
            assert_non_null(other);
            const char *stop = strstr(other + 21, ", ");
            assert_non_null(stop);
            const char *t1 = one + 12, *t2 = other + 21;
            size_t l1 = (size_t)(other - t1), l2 = (size_t)(stop - t2);
            if (!((fits(VOCAB_TOPICS, t1, l1, a) && fits(VOCAB_TOPICS, t2, l2, b)) ||
                  (fits(VOCAB_TOPICS, t1, l1, b) && fits(VOCAB_TOPICS, t2, l2, a))))
                fail_msg("topics not each of one side: %s", s);
        } else if (strncmp(rest, " about ", 7) == 0 && strncmp(rest, " about the same subject", 23) != 0) {
            const char *stop = strstr(rest, " between ");
            if (!stop)
                stop = strstr(rest, " on ");
            if (!stop)
                stop = rest + strlen(rest);
            check_attribution(VOCAB_TOPICS, topic_pool, nt, rest, (size_t)(stop - rest), a->topics, "about (first)");
            check_attribution(VOCAB_TOPICS, topic_pool, nt, rest, (size_t)(stop - rest), b->topics, "about (second)");
        }
        return;
    }
    /* "One asks W1 [about T1] and the other W2 [about T2]" */
    if (strncmp(s, "One asks", 8) != 0)
        fail_msg("neither both nor one: %s", s);
    t->per_side_who++;
    const char *w1 = s + 8, *other = strstr(s, " and the other");
    assert_non_null(other);
    const char *w2 = other + 14;
    const char *a1 = memmem(w1, (size_t)(other - w1), " about ", 7);
    const char *end2 = place - (place[-2] == ',' ? 2 : 1);
    const char *a2 = memmem(w2, (size_t)(end2 - w2), " about ", 7);
    size_t l1 = (size_t)((a1 ? a1 : other) - w1), l2 = (size_t)((a2 ? a2 : end2) - w2);
    const char *t1 = a1 ? a1 : other, *t2 = a2 ? a2 : end2;
    size_t lt1 = (size_t)(other - t1), lt2 = (size_t)(end2 - t2);
    bool ab = fits(VOCAB_COMMUNITIES, w1, l1, a) && fits(VOCAB_COMMUNITIES, w2, l2, b) &&
              fits(VOCAB_TOPICS, t1, lt1, a) && fits(VOCAB_TOPICS, t2, lt2, b);
    bool ba = fits(VOCAB_COMMUNITIES, w1, l1, b) && fits(VOCAB_COMMUNITIES, w2, l2, a) &&
              fits(VOCAB_TOPICS, t1, lt1, b) && fits(VOCAB_TOPICS, t2, lt2, a);
    if (!ab && !ba)
        fail_msg("communities or topics not each of one side: %s", s);
    if (memmem(w1, l1, "everyone", 8))
        fail_msg("the side that asks everyone comes second: %s", s);
    if (a1) {
        t->per_side_what++;
    } else {
        const char *rest = place + plen;
        if (strncmp(rest, " about ", 7) == 0 && strncmp(rest, " about the same subject", 23) != 0) {
            const char *stop = strstr(rest, " between ");
            if (!stop)
                stop = strstr(rest, " on ");
            if (!stop)
                stop = rest + strlen(rest);
            check_attribution(VOCAB_TOPICS, topic_pool, nt, rest, (size_t)(stop - rest), a->topics, "about (1)");
            check_attribution(VOCAB_TOPICS, topic_pool, nt, rest, (size_t)(stop - rest), b->topics, "about (2)");
        }
    }
}

/* A random set of real areas around district d. */
static size_t random_areas(const rec *d, const char **out)
{
    const char *wards[200];
    size_t nw = wards_of(d->code, wards, 200);
    switch (next(6)) {
    case 0: /* the district's county or region */
        if (d->nanc) {
            out[0] = d->anc[next((unsigned)d->nanc)];
            return 1;
        }
        /* fall through */
    case 1:
        out[0] = d->code;
        return 1;
    case 2: /* every ward */
        memcpy(out, wards, nw * sizeof *out);
        return nw;
    default: { /* some wards, maybe with a sibling district */
        size_t k = 1 + next(nw < 8 ? (unsigned)nw : 8), n = 0;
        size_t from = next((unsigned)(nw - k + 1));
        for (size_t i = 0; i < k; i++)
            out[n++] = wards[from + i];
        if (next(3) == 0) {
            for (size_t i = 0; i < G.n; i++) {
                const rec *o = &G.r[i];
                if (strcmp(o->level, "district") == 0 && o != d && d->nanc && rec_has_anc(o, d->anc[0])) {
                    out[n++] = o->code;
                    break;
                }
            }
        }
        return n;
    }
    }
}

static void random_terms(const char *const *pool, size_t npool, size_t max, const char **out, size_t *n)
{
    *n = 0;
    size_t want = next((unsigned)max + 1);
    for (size_t i = 0; i < want; i++) {
        const char *c = pool[next((unsigned)npool)];
        bool dup = false;
        for (size_t k = 0; k < *n; k++)
            dup = dup || strcmp(out[k], c) == 0;
        if (!dup)
            out[(*n)++] = c;
    }
}

static void generated_pairs_tell_the_truth(void **state)
{
    (void)state;
    /* districts with wards in the lookup, the anchors */
    const rec **districts = malloc(G.n * sizeof *districts);
    size_t nd = 0;
    for (size_t i = 0; i < G.n; i++) {
        const char *w[1];
        if (strcmp(G.r[i].level, "district") == 0 && G.r[i].code[0] == 'E' && wards_of(G.r[i].code, w, 1))
            districts[nd++] = &G.r[i];
        if (nd == 400)
            break;
    }
    assert_true(nd > 100);
    tally t = { 0 };
    for (int iter = 0; iter < 20000 && t.pairs < 1500; iter++) {
        const rec *d = districts[next((unsigned)nd)];
        const char *areas[2][210], *topics[2][4], *comms[2][3];
        size_t na[2], nt[2], nc[2];
        overlap_side side[2];
        for (int k = 0; k < 2; k++) {
            na[k] = random_areas(d, areas[k]);
            random_terms(topic_pool, sizeof topic_pool / sizeof topic_pool[0], 3, topics[k], &nt[k]);
            random_terms(community_pool, sizeof community_pool / sizeof community_pool[0], 2, comms[k], &nc[k]);
            long start = 20820 + next(60), len = 1 + next(45); /* 2027 */
            char s[11], e[11];
            overlap_iso_date(start, s);
            overlap_iso_date(start + len, e);
            make_side(&side[k], k ? "b" : "a", next(10) ? (k ? "org-b" : "org-a") : "org", "Consultation",
                      areas[k], na[k], topics[k], nt[k], comms[k], nc[k], s, e);
        }
        overlap_result r;
        overlap_evaluate(&side[0], &side[1], v, reg, NULL, 28, &r);
        if (r.overlaps) {
            t.pairs++;
            check_sentence(&side[0], &side[1], &r, &t);
        }
        overlap_result_clear(&r);
        overlap_side_clear(&side[0]);
        overlap_side_clear(&side[1]);
    }
    free(districts);
    print_message("generated: %d pairs (%d one area, %d named, %d counted, %d across; %d both ask, %d per-side "
                  "communities, %d per-side topics, %d with a gap)\n",
                  t.pairs, t.one_area, t.named, t.counted, t.across, t.both_who, t.per_side_who, t.per_side_what,
                  t.gaps);
    assert_true(t.pairs >= 1000);
    /* every kind of sentence was met often enough to count */
    assert_true(t.named >= 20 && t.counted >= 20 && t.across >= 20 && t.one_area >= 20);
    assert_true(t.per_side_who >= 20 && t.per_side_what >= 20 && t.both_who >= 20 && t.gaps >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(county_plan_and_two_wards),
        cmocka_unit_test(young_people_in_five_wards_and_everyone_in_eleven),
        cmocka_unit_test(district_plan_and_ward_lists),
        cmocka_unit_test(many_wards_hierarchy_and_gaps),
        cmocka_unit_test(place_words),
        cmocka_unit_test(sentence_parts),
        cmocka_unit_test(generated_pairs_tell_the_truth),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
