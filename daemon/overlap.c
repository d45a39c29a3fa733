/* overlap.c - overlap rule, scoring, explanation, blocking keys, locks. */
#include "overlap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consultation.h"

static const char *const levels[] = { "inform", "consult", "involve", "collaborate", "empower" };

static bool has_string(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

int overlap_side_init(overlap_side *s, json_t *doc)
{
    memset(s, 0, sizeof *s);
    const char *start = json_string_value(json_object_get(doc, "start"));
    const char *end = json_string_value(json_object_get(doc, "end"));
    s->id = json_string_value(json_object_get(doc, "id"));
    s->org = json_string_value(json_object_get(doc, "organisation"));
    s->title = json_string_value(json_object_get(doc, "title"));
    s->areas = json_object_get(doc, "areas");
    s->scope = json_object_get(doc, "scope");
    s->topics = json_object_get(doc, "topics");
    s->communities = json_object_get(doc, "communities");
    const char *lvl = json_string_value(json_object_get(doc, "engagement_level"));
    if (!s->id || !s->org || !s->title || !start || !end || !json_is_array(s->areas) ||
        !json_is_array(s->scope) || !json_is_array(s->topics) || !json_is_array(s->communities) ||
        !date_parse(start, &s->start) || !date_parse(end, &s->end))
        return -1;
    s->engagement = 1;
    for (int i = 0; lvl && i < 5; i++)
        if (strcmp(lvl, levels[i]) == 0)
            s->engagement = i;
    const char *summary = json_string_value(json_object_get(doc, "summary"));
    if (textsim_words_of(s->title, &s->words) < 0)
        return -1;
    if (summary && summary[0]) {
        textsim_words sw;
        int rc = textsim_words_of(summary, &sw);
        if (rc == 0)
            rc = textsim_words_union(&s->words, &sw, &s->text_words);
        textsim_words_free(&sw);
        if (rc < 0) {
            textsim_words_free(&s->words);
            return -1;
        }
    }
    s->doc = json_incref(doc);
    return 0;
}

void overlap_side_clear(overlap_side *s)
{
    json_decref(s->doc);
    textsim_words_free(&s->words);
    textsim_words_free(&s->text_words);
    memset(s, 0, sizeof *s);
}

double overlap_text_similarity(const overlap_side *a, const overlap_side *b, const textsim_weights *weights)
{
    double text = textsim_similarity(&a->words, &b->words, weights);
    if (a->text_words.n && b->text_words.n && textsim_weights_documents(weights) >= TEXTSIM_SUMMARY_MIN_DOCUMENTS) {
        double both = textsim_similarity(&a->text_words, &b->text_words, weights);
        if (both > text)
            text = both;
    }
    return text;
}

/* ---- terms ---------------------------------------------------------------- */

static const vocab_term *term(const vocab *v, vocab_kind kind, const char *code)
{
    if (!v)
        return NULL;
    return vocab_by_code(v, kind, code);
}

/* How strongly two entries match, and the code that names the common ground. */
static double term_match(const vocab *v, vocab_kind kind, const char *a, const char *b, const char **common)
{
    if (strcmp(a, b) == 0) {
        *common = a;
        return term(v, kind, a) ? 1.0 : 0.6; /* a free tag matched exactly */
    }
    const vocab_term *ta = term(v, kind, a), *tb = term(v, kind, b);
    if (ta && tb) {
        if (ta->parent && strcmp(ta->parent, b) == 0) {
            *common = b;
            return 0.7;
        }
        if (tb->parent && strcmp(tb->parent, a) == 0) {
            *common = a;
            return 0.7;
        }
        return 0.0;
    }
    if (!ta && !tb) {
        char na[256], nb[256];
        vocab_normalise(a, na, sizeof na);
        vocab_normalise(b, nb, sizeof nb);
        if (na[0] && strcmp(na, nb) == 0) {
            *common = a;
            return 0.6;
        }
    }
    return 0.0;
}

/* The best match between two lists; shared codes go to out (unique). */
static double shared_terms(const vocab *v, vocab_kind kind, const json_t *a, const json_t *b, json_t *out)
{
    double best = 0.0;
    size_t i, j;
    const json_t *x, *y;
    json_array_foreach(a, i, x) {
        json_array_foreach(b, j, y) {
            const char *common = NULL;
            double m = term_match(v, kind, json_string_value(x), json_string_value(y), &common);
            if (m > 0) {
                if (!has_string(out, common))
                    json_array_append_new(out, json_string(common));
                if (m > best)
                    best = m;
            }
        }
    }
    if (kind == VOCAB_COMMUNITIES && best < 0.3 && json_array_size(a) && json_array_size(b) &&
        (has_string(a, "general-public") || has_string(b, "general-public"))) {
        json_array_append_new(out, json_string("general-public"));
        best = 0.3;
    }
    return best;
}

/* ---- areas and dates -------------------------------------------------------- */

/* 1.0 same area, 0.8 containment, 0 none; the specific shared areas go to out. */
static double shared_areas(const overlap_side *a, const overlap_side *b, json_t *out)
{
    double best = 0.0;
    size_t i, j;
    const json_t *x, *y;
    json_array_foreach(a->areas, i, x) {
        json_array_foreach(b->areas, j, y) {
            const char *ca = json_string_value(x), *cb = json_string_value(y);
            const char *specific = NULL;
            double m = 0.0;
            if (strcmp(ca, cb) == 0) {
                specific = ca;
                m = 1.0;
            } else if (has_string(b->scope, ca)) { /* a's area contains b's */
                specific = cb;
                m = 0.8;
            } else if (has_string(a->scope, cb)) {
                specific = ca;
                m = 0.8;
            }
            if (specific && json_array_size(out) < 20 && !has_string(out, specific))
                json_array_append_new(out, json_string(specific));
            if (m > best)
                best = m;
        }
    }
    return best;
}

static void civil(long days, int *y, int *m, int *d)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static const char *const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
                                           "August", "September", "October", "November", "December" };

int overlap_month(long days)
{
    int y, m, d;
    civil(days, &y, &m, &d);
    return y * 12 + m - 1;
}

void overlap_iso_date(long days, char out[11])
{
    int y, m, d;
    civil(days, &y, &m, &d);
    unsigned yy = y < 0 ? 0u : y > 9999 ? 9999u : (unsigned)y, mm = (unsigned)m % 100u, dd = (unsigned)d % 100u;
    out[0] = (char)('0' + yy / 1000);
    out[1] = (char)('0' + yy / 100 % 10);
    out[2] = (char)('0' + yy / 10 % 10);
    out[3] = (char)('0' + yy % 10);
    out[4] = '-';
    out[5] = (char)('0' + mm / 10);
    out[6] = (char)('0' + mm % 10);
    out[7] = '-';
    out[8] = (char)('0' + dd / 10);
    out[9] = (char)('0' + dd % 10);
    out[10] = '\0';
}

void overlap_format_date(long days, char *out, size_t len)
{
    int y, m, d;
    civil(days, &y, &m, &d);
    snprintf(out, len, "%d %s %d", d, month_names[m - 1], y);
}

/* "1 and 21 March 2027", "28 February and 3 March 2027", "30 December 2026 and 2 January 2027" */
static void format_range(long from, long to, char *out, size_t len)
{
    int y1, m1, d1, y2, m2, d2;
    civil(from, &y1, &m1, &d1);
    civil(to, &y2, &m2, &d2);
    if (from == to)
        snprintf(out, len, "on %d %s %d", d1, month_names[m1 - 1], y1);
    else if (y1 == y2 && m1 == m2)
        snprintf(out, len, "between %d and %d %s %d", d1, d2, month_names[m2 - 1], y2);
    else if (y1 == y2)
        snprintf(out, len, "between %d %s and %d %s %d", d1, month_names[m1 - 1], d2, month_names[m2 - 1], y2);
    else
        snprintf(out, len, "between %d %s %d and %d %s %d", d1, month_names[m1 - 1], y1, d2, month_names[m2 - 1],
                 y2);
}

/* ---- explanation -------------------------------------------------------------- */

/* A label as it reads mid-sentence: "Unpaid carers" -> "unpaid carers", "GP services" stays. */
static void label_of(const vocab *v, vocab_kind kind, const char *code, char *out, size_t len)
{
    const vocab_term *t = term(v, kind, code);
    snprintf(out, len, "%s", t ? t->label : code);
    if (t && isupper((unsigned char)out[0]) && out[1] && islower((unsigned char)out[1]))
        out[0] = (char)tolower((unsigned char)out[0]);
}

static void join_labels(const vocab *v, vocab_kind kind, const json_t *codes, char *out, size_t len)
{
    out[0] = '\0';
    size_t n = json_array_size(codes) > 3 ? 3 : json_array_size(codes);
    for (size_t i = 0; i < n; i++) {
        char l[160];
        label_of(v, kind, json_string_value(json_array_get(codes, i)), l, sizeof l);
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", i == 0 ? "" : (i + 1 == n ? " and " : ", "), l);
    }
}

static void explain(const overlap_side *a, const overlap_side *b, const vocab *v, const area_register *reg,
                    const json_t *topics, const json_t *communities, const json_t *areas, long ov_from,
                    long ov_to, long gap, double text, bool same_org, char *out, size_t len)
{
    char who[400] = "people", what[400], place[200], when[200];
    if (json_array_size(communities) == 1 && strcmp(json_string_value(json_array_get(communities, 0)),
                                                    "general-public") == 0)
        snprintf(who, sizeof who, "the general public");
    else if (json_array_size(communities))
        join_labels(v, VOCAB_COMMUNITIES, communities, who, sizeof who);
    if (json_array_size(topics)) {
        char t[380];
        join_labels(v, VOCAB_TOPICS, topics, t, sizeof t);
        snprintf(what, sizeof what, "about %s", t);
    } else {
        snprintf(what, sizeof what, "about the same subject (titles %d%% alike)", (int)(text * 100 + 0.5));
    }
    const char *code = json_string_value(json_array_get(areas, 0));
    const area_info *ar = code ? areas_find(reg, code) : NULL;
    snprintf(place, sizeof place, "%s", ar ? ar->name : (code ? code : "the same area"));
    if (gap == 0) {
        format_range(ov_from, ov_to, when, sizeof when);
    } else {
        char end_d[40], start_d[40];
        const overlap_side *first = a->end <= b->end ? a : b, *second = first == a ? b : a;
        overlap_format_date(first->end, end_d, sizeof end_d);
        overlap_format_date(second->start, start_d, sizeof start_d);
        snprintf(when, sizeof when, "%ld days apart (one ends %s, the other starts %s)", gap, end_d, start_d);
    }
    /* Each part is bounded so the sentence always fits (600 bytes). */
    int n = snprintf(out, len, "%sBoth ask %.150s in %.100s ", same_org ? "Same organisation: " : "", who, place);
    if (n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, "%.150s %.120s.", what, when);
    (void)a;
    (void)b;
}

/* ---- the rule --------------------------------------------------------------- */

void overlap_evaluate(const overlap_side *a, const overlap_side *b, const vocab *v, const area_register *reg,
                      const textsim_weights *weights, int window_days, overlap_result *out)
{
    memset(out, 0, sizeof *out);
    long from = a->start > b->start ? a->start : b->start;
    long to = a->end < b->end ? a->end : b->end;
    long gap = from > to ? from - to : 0;
    long overlap_days = to >= from ? to - from + 1 : 0;
    if (gap > window_days)
        return;
    json_t *areas = json_array();
    double area_f = shared_areas(a, b, areas);
    if (area_f == 0.0) {
        json_decref(areas);
        return;
    }
    json_t *topics = json_array(), *communities = json_array();
    double topic = shared_terms(v, VOCAB_TOPICS, a->topics, b->topics, topics);
    double community = shared_terms(v, VOCAB_COMMUNITIES, a->communities, b->communities, communities);
    double text = overlap_text_similarity(a, b, weights);
    bool similar = text >= TEXTSIM_THRESHOLD - 1e-12;
    if (topic == 0.0 && community == 0.0 && !similar) {
        json_decref(areas);
        json_decref(topics);
        json_decref(communities);
        return;
    }
    double subject = 0.45 * topic + 0.35 * community + 0.20 * text;
    if (similar && text > subject)
        subject = text;
    double engagement = 1.0 - abs(a->engagement - b->engagement) / 4.0;
    double time_f = overlap_days > 0 || window_days == 0 ? 1.0 : 1.0 - 0.5 * (double)gap / window_days;
    double score = area_f * time_f * (0.85 * subject + 0.15 * engagement);
    score = (double)(long)(score * 100 + 0.5) / 100;
    if (score > 1.0)
        score = 1.0;

    out->overlaps = true;
    out->score = score;
    out->level = score >= OVERLAP_HIGH ? "high" : score >= OVERLAP_MEDIUM ? "medium" : "low";
    out->same_organisation = strcmp(a->org, b->org) == 0;
    double text2 = (double)(long)(text * 100 + 0.5) / 100;
    out->reasons = json_pack("{s:o, s:o, s:o, s:I, s:I, s:f, s:[s,s], s:b}", "topics", topics, "communities",
                             communities, "areas", areas, "fieldwork_gap_days", (json_int_t)gap,
                             "fieldwork_overlap_days", (json_int_t)overlap_days, "text_similarity", text2,
                             "engagement_levels", levels[a->engagement], levels[b->engagement],
                             "same_organisation", out->same_organisation);
    explain(a, b, v, reg, topics, communities, areas, from, to, gap, text, out->same_organisation,
            out->explanation, sizeof out->explanation);
}

void overlap_result_clear(overlap_result *r)
{
    json_decref(r->reasons);
    memset(r, 0, sizeof *r);
}

/* ---- keys and locks ------------------------------------------------------------ */

static int64_t hash_key(char kind, const char *code, int month)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 */
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%c|%s|%d", kind, code, month);
    for (int i = 0; i < n; i++) {
        h ^= (unsigned char)buf[i];
        h *= 1099511628211ULL;
    }
    return (int64_t)h;
}

typedef struct keybuf {
    int64_t *k;
    bool *x;
    size_t n, cap;
} keybuf;

static int put(keybuf *b, int64_t k, bool exclusive)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        int64_t *nk = realloc(b->k, cap * sizeof *nk);
        if (!nk)
            return -1;
        b->k = nk;
        bool *nx = realloc(b->x, cap * sizeof *nx);
        if (!nx)
            return -1;
        b->x = nx;
        b->cap = cap;
    }
    b->k[b->n] = k;
    b->x[b->n] = exclusive;
    b->n++;
    return 0;
}

/* Adds (kind, code, month) for every code in arr (or, with skip, every code
 * in arr that is not in skip) and every month of [from, to]. */
static int put_range(keybuf *b, char kind, const json_t *arr, const json_t *skip, long from, long to, bool excl)
{
    int m0 = overlap_month(from), m1 = overlap_month(to);
    size_t i;
    const json_t *c;
    json_array_foreach(arr, i, c) {
        const char *code = json_string_value(c);
        if (!code || (skip && has_string(skip, code)))
            continue;
        for (int m = m0; m <= m1; m++)
            if (put(b, hash_key(kind, code, m), excl) < 0)
                return -1;
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

size_t overlap_keys_unique(int64_t *keys, size_t n)
{
    if (n > 1)
        qsort(keys, n, sizeof *keys, cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || keys[u - 1] != keys[i])
            keys[u++] = keys[i];
    return u;
}

static int64_t *finish_keys(keybuf *b, int rc, size_t *n)
{
    free(b->x);
    if (rc < 0) {
        free(b->k);
        *n = 0;
        return NULL;
    }
    *n = overlap_keys_unique(b->k, b->n);
    return b->k ? b->k : calloc(1, sizeof(int64_t));
}

int64_t *overlap_keys(const overlap_side *s, size_t *n)
{
    keybuf b = { 0 };
    int rc = put_range(&b, 'O', s->areas, NULL, s->start, s->end, false);
    if (rc == 0)
        rc = put_range(&b, 'U', s->scope, s->areas, s->start, s->end, false);
    return finish_keys(&b, rc, n);
}

int64_t *overlap_reach_keys(const json_t *areas, const json_t *scope, long from, long to, size_t *n)
{
    keybuf b = { 0 };
    int rc = put_range(&b, 'O', scope, NULL, from, to, false);
    if (rc == 0)
        rc = put_range(&b, 'U', areas, NULL, from, to, false);
    return finish_keys(&b, rc, n);
}

int64_t *overlap_probe_keys(const overlap_side *s, int window_days, size_t *n)
{
    return overlap_reach_keys(s->areas, s->scope, s->start - window_days, s->end + window_days, n);
}

typedef struct lockpair {
    int64_t k;
    bool x;
} lockpair;

static int cmp_lock(const void *a, const void *b)
{
    const lockpair *x = a, *y = b;
    if (x->k != y->k)
        return x->k < y->k ? -1 : 1;
    return (int)y->x - (int)x->x; /* exclusive first, so it wins the de-duplication */
}

int64_t *overlap_locks(const overlap_side *s, int window_days, bool **exclusive, size_t *n)
{
    keybuf b = { 0 };
    *exclusive = NULL;
    *n = 0;
    int rc = put_range(&b, 'L', s->areas, NULL, s->start, s->end + window_days, true);
    if (rc == 0)
        rc = put_range(&b, 'L', s->scope, s->areas, s->start, s->end + window_days, false);
    lockpair *p = rc == 0 ? malloc((b.n ? b.n : 1) * sizeof *p) : NULL;
    if (!p) {
        free(b.k);
        free(b.x);
        return NULL;
    }
    for (size_t i = 0; i < b.n; i++)
        p[i] = (lockpair){ b.k[i], b.x[i] };
    if (b.n)
        qsort(p, b.n, sizeof *p, cmp_lock);
    size_t u = 0;
    for (size_t i = 0; i < b.n; i++)
        if (u == 0 || p[u - 1].k != p[i].k)
            p[u++] = p[i];
    for (size_t i = 0; i < u; i++) {
        b.k[i] = p[i].k;
        b.x[i] = p[i].x;
    }
    free(p);
    *exclusive = b.x;
    *n = u;
    return b.k ? b.k : calloc(1, sizeof(int64_t));
}
