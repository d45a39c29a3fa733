/* overlap.c - overlap rule, scoring, blocking keys, locks (the sentence is explain.c). */
#include "overlap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil_date.h"
#include "consultation.h"
#include "explain.h"

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

/* The IAP2 level's index (0 inform .. 4 empower); consult when unknown. */
static int engagement_index(const char *level)
{
    for (int i = 0; level && i < 5; i++)
        if (strcmp(level, levels[i]) == 0)
            return i;
    return 1;
}

/* The words of the title, and of title and summary when there is a summary. */
static int side_words(overlap_side *s, const char *summary)
{
    if (textsim_words_of(s->title, &s->words) < 0)
        return -1;
    if (!summary || !summary[0])
        return 0;
    textsim_words sw;
    int rc = textsim_words_of(summary, &sw);
    if (rc == 0)
        rc = textsim_words_union(&s->words, &sw, &s->text_words);
    textsim_words_free(&sw);
    if (rc < 0) {
        textsim_words_free(&s->words);
        return -1;
    }
    return 0;
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
    if (!s->id || !s->org || !s->title || !start || !end || !json_is_array(s->areas) ||
        !json_is_array(s->scope) || !json_is_array(s->topics) || !json_is_array(s->communities) ||
        !date_parse(start, &s->start) || !date_parse(end, &s->end) ||
        side_words(s, json_string_value(json_object_get(doc, "summary"))) < 0) {
        memset(s, 0, sizeof *s); /* nothing held: clearing it is harmless */
        return -1;
    }
    s->engagement = engagement_index(json_string_value(json_object_get(doc, "engagement_level")));
    /* the side's arrays are its own references, whichever way it was made */
    json_incref(s->areas);
    json_incref(s->scope);
    json_incref(s->topics);
    json_incref(s->communities);
    s->doc = json_incref(doc);
    return 0;
}

static json_t *strlist_array(const strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        if (json_array_append_new(a, json_string(l->items[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int overlap_side_of(overlap_side *s, const char *id, const char *org, const consultation *c, json_t *scope)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    s->org = org;
    s->title = c->title;
    s->scope = scope;
    s->areas = strlist_array(&c->areas);
    s->topics = strlist_array(&c->topics);
    s->communities = strlist_array(&c->communities);
    s->engagement = engagement_index(c->engagement_level);
    if (!s->scope || !s->areas || !s->topics || !s->communities || !date_parse(c->start, &s->start) ||
        !date_parse(c->end, &s->end) || side_words(s, c->summary) < 0) {
        overlap_side_clear(s);
        return -1;
    }
    return 0;
}

void overlap_side_clear(overlap_side *s)
{
    json_decref(s->areas);
    json_decref(s->scope);
    json_decref(s->topics);
    json_decref(s->communities);
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

/* How an entry reads: its vocabulary label, or the free tag as written. */
static const char *label_of(const vocab *v, vocab_kind kind, const char *code)
{
    const vocab_term *t = term(v, kind, code);
    return t ? t->label : code;
}

/* The best match between two lists; shared codes go to out (unique), and the
 * entries of each side that met the other to sides[0] and sides[1], each
 * once, in the side's order (when memory runs out, they stay empty). */
static double shared_terms(const vocab *v, vocab_kind kind, const json_t *a, const json_t *b, json_t *out,
                           explain_terms sides[2])
{
    double best = 0.0;
    size_t i, j, na = json_array_size(a), nb = json_array_size(b);
    const json_t *x, *y;
    /* for each entry, 1 + the index of an entry of the other side it met, or 0 */
    size_t *met = calloc(na + nb + 1, sizeof *met);
    json_array_foreach(a, i, x) {
        json_array_foreach(b, j, y) {
            const char *common = NULL;
            double m = term_match(v, kind, json_string_value(x), json_string_value(y), &common);
            if (m > 0) {
                if (!has_string(out, common))
                    json_array_append_new(out, json_string(common));
                if (m > best)
                    best = m;
                if (met) {
                    met[i] = j + 1;
                    met[na + j] = i + 1;
                }
            }
        }
    }
    for (i = 0; met && i < na; i++)
        if (met[i]) {
            const char *ca = json_string_value(json_array_get(a, i));
            explain_terms_add(&sides[0], ca, label_of(v, kind, ca));
        }
    for (j = 0; met && j < nb; j++)
        if (met[na + j]) {
            const char *cb = json_string_value(json_array_get(b, j));
            const char *ca = json_string_value(json_array_get(a, met[na + j] - 1));
            /* a free tag met by its normalised spelling takes the key of a's */
            bool tag = !term(v, kind, ca) && !term(v, kind, cb);
            explain_terms_add(&sides[1], tag ? ca : cb, label_of(v, kind, cb));
        }
    free(met);
    if (kind == VOCAB_COMMUNITIES && best < 0.3 && json_array_size(a) && json_array_size(b) &&
        (has_string(a, "general-public") || has_string(b, "general-public"))) {
        json_array_append_new(out, json_string("general-public"));
        best = 0.3;
        /* one side asks everyone; the other's communities are all met through it */
        int gp = has_string(a, "general-public") ? 0 : 1;
        const json_t *rest = gp == 0 ? b : a;
        sides[gp] = (explain_terms){ .n = 0 };
        explain_terms_add(&sides[gp], "general-public", label_of(v, kind, "general-public"));
        sides[gp].everyone = true;
        json_array_foreach(rest, i, x)
            explain_terms_add(&sides[1 - gp], json_string_value(x), label_of(v, kind, json_string_value(x)));
    }
    return best;
}

/* ---- areas and dates -------------------------------------------------------- */

/* Does area outer contain area inner, or are they one place? The register
 * knows what inner reaches: its ancestors, the areas it is one place with
 * through successions (API.md section 7), and theirs. Without it, inner's
 * side's scope (its areas and all they reach) is the best answer there is:
 * outer is in that scope but is none of its areas. */
static bool contains(const area_register *reg, const overlap_side *inner_side, const char *outer, const char *inner)
{
    const area_info *in = reg ? areas_find(reg, inner) : NULL;
    if (in) {
        for (size_t i = 0; i < in->nreach; i++)
            if (strcmp(in->reach[i], outer) == 0)
                return true;
        return false;
    }
    return has_string(inner_side->scope, outer) && !has_string(inner_side->areas, outer);
}

/* 1.0 same area (or one place through a succession: each reaches the
 * other), 0.8 containment, 0 none; the specific shared areas (each pair's
 * smaller area, once) go to out, every one of them. */
static double shared_areas(const overlap_side *a, const overlap_side *b, const area_register *reg, json_t *out)
{
    double best = 0.0;
    size_t i, j;
    const json_t *x, *y;
    json_array_foreach(a->areas, i, x) {
        json_array_foreach(b->areas, j, y) {
            const char *ca = json_string_value(x), *cb = json_string_value(y);
            const char *specific = NULL;
            double m = 0.0;
            bool a_holds_b = strcmp(ca, cb) != 0 && has_string(b->scope, ca) && contains(reg, b, ca, cb);
            bool b_holds_a = strcmp(ca, cb) != 0 && has_string(a->scope, cb) && contains(reg, a, cb, ca);
            if (strcmp(ca, cb) == 0 || (a_holds_b && b_holds_a)) {
                specific = ca;
                m = 1.0;
            } else if (a_holds_b) {
                specific = cb;
                m = 0.8;
            } else if (b_holds_a) {
                specific = ca;
                m = 0.8;
            }
            if (specific && !has_string(out, specific))
                json_array_append_new(out, json_string(specific));
            if (m > best)
                best = m;
        }
    }
    return best;
}

static const char *const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
                                           "August", "September", "October", "November", "December" };

int overlap_month(long days)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    return y * 12 + m - 1;
}

void overlap_iso_date(long days, char out[11])
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
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
    civil_from_days(days, &y, &m, &d);
    snprintf(out, len, "%d %s %d", d, month_names[m - 1], y);
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
    double area_f = shared_areas(a, b, reg, areas);
    if (area_f == 0.0) {
        json_decref(areas);
        return;
    }
    json_t *topics = json_array(), *communities = json_array();
    explain_input ex = { .reg = reg, .start = { a->start, b->start }, .end = { a->end, b->end } };
    double topic = shared_terms(v, VOCAB_TOPICS, a->topics, b->topics, topics, ex.topics);
    double community = shared_terms(v, VOCAB_COMMUNITIES, a->communities, b->communities, communities,
                                    ex.communities);
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
    /* the sentence, from the areas that become reasons.areas */
    size_t nareas = json_array_size(areas);
    const char **codes = calloc(nareas ? nareas : 1, sizeof *codes);
    if (codes) {
        for (size_t i = 0; i < nareas; i++)
            codes[i] = json_string_value(json_array_get(areas, i));
        ex.areas = codes;
        ex.nareas = nareas;
    }
    ex.text_similarity = text;
    ex.titles_similar = similar;
    ex.same_organisation = out->same_organisation;
    explain_sentence(&ex, out->explanation, sizeof out->explanation);
    free(codes);
    double text2 = (double)(long)(text * 100 + 0.5) / 100;
    out->reasons = json_pack("{s:o, s:o, s:o, s:I, s:I, s:f, s:[s,s], s:b}", "topics", topics, "communities",
                             communities, "areas", areas, "fieldwork_gap_days", (json_int_t)gap,
                             "fieldwork_overlap_days", (json_int_t)overlap_days, "text_similarity", text2,
                             "engagement_levels", levels[a->engagement], levels[b->engagement],
                             "same_organisation", out->same_organisation);
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
