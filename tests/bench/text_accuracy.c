/* Text-similarity accuracy: the published regulations.gov docket pairs, and
 * the overlap rule on the European Commission's consultations.
 *
 *   make bench-text
 *
 * 1. Docket pairs (gzip, tab-separated label, id_a, id_b, title_a, title_b; a
 *    title may contain a raw newline, so a record runs until it has five
 *    fields). Word weights (document frequencies) are counted over the titles
 *    of the big regulations.gov file of rules and proposed rules (column
 *    `title`), as the daemon counts them over its register. For each method:
 *    AUC, recall at 5 % false positives, and precision and recall at the
 *    method's threshold; then what counting and scoring cost.
 * 2. European Commission consultations (CSV as published): each is posted as
 *    the API would take it (consultation_parse with the shipped vocabularies
 *    read from schema/002_vocabularies.sql), its policy areas (`topic`,
 *    comma-separated; "Economy, finance and the euro" is one name) as topics,
 *    all in one county, fieldwork from its consultation dates (the three
 *    published without a name are named by their address); weights are
 *    counted over the EC titles. Every pair is scored with the real
 *    overlap_evaluate (28-day window); reported: pairs whose windows are
 *    within 28 days, pairs flagged, and pairs flagged for their text alone,
 *    under the previous rule (word Jaccard >= 0.27) and the current one; and
 *    whether every pair sharing a policy area within 28 days is found.
 * 3. A threshold sweep of both: docket precision, recall and F1, and the EC
 *    share flagged for text alone (the README's table).
 *
 * Files are read as published, never changed. */
#include <csv.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "consultation.h"
#include "overlap.h"
#include "textsim.h"

#define JACCARD_BEFORE 0.27 /* the previous rule: unweighted word Jaccard */
#define COUNTY "E10000016"

/* ---- reading ------------------------------------------------------------------- */

static char *read_gz(const char *path, size_t *len_out)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 22, len = 0;
    char *buf = malloc(cap);
    int n;
    while (buf && (n = gzread(f, buf + len, (unsigned)(cap - len - 1))) > 0) {
        len += (size_t)n;
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
    }
    gzclose(f);
    if (buf) {
        buf[len] = '\0';
        *len_out = len;
    }
    return buf;
}

/* CSV records through libcsv: each record's fields, NUL-terminated. */
#define MAX_FIELDS 32
typedef void (*record_fn)(char **fields, int n, void *arg);
typedef struct csv_state {
    char *field[MAX_FIELDS];
    int n;
    long records;
    record_fn fn;
    void *arg;
} csv_state;

static void on_csv_field(void *s, size_t len, void *arg)
{
    csv_state *st = arg;
    if (st->n < MAX_FIELDS) {
        char *f = malloc(len + 1);
        if (f) {
            memcpy(f, s, len);
            f[len] = '\0';
        }
        st->field[st->n++] = f;
    }
}

static void on_csv_record(int c, void *arg)
{
    (void)c;
    csv_state *st = arg;
    if (st->records++ > 0) /* the header */
        st->fn(st->field, st->n, st->arg);
    for (int i = 0; i < st->n; i++)
        free(st->field[i]);
    st->n = 0;
}

static int read_csv(const char *buf, size_t len, record_fn fn, void *arg)
{
    struct csv_parser p;
    csv_state st = { .fn = fn, .arg = arg };
    if (csv_init(&p, 0) != 0)
        return -1;
    int rc = csv_parse(&p, buf, len, on_csv_field, on_csv_record, &st) == len &&
                     csv_fini(&p, on_csv_field, on_csv_record, &st) == 0
                 ? 0
                 : -1;
    for (int i = 0; i < st.n; i++)
        free(st.field[i]);
    csv_free(&p);
    return rc;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- ranking figures --------------------------------------------------------------- */

typedef struct scored {
    double s;
    int label;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* AUC (ties count half) and the recall at the largest threshold cut whose
 * false-positive rate stays within fpr_max. */
static void ranking(const double *score, const int *label, int n, double fpr_max, double *auc, double *recall,
                    double *at)
{
    scored *v = malloc((size_t)n * sizeof *v);
    if (!v)
        exit(1);
    int pos = 0, neg = 0;
    for (int i = 0; i < n; i++) {
        v[i] = (scored){ score[i], label[i] };
        pos += label[i];
    }
    neg = n - pos;
    qsort(v, (size_t)n, sizeof *v, by_score_desc);
    double area = 0.0;
    int tp = 0, fp = 0;
    *recall = 0.0;
    *at = 1.0;
    for (int i = 0; i < n;) {
        int j = i, dtp = 0, dfp = 0;
        while (j < n && v[j].s == v[i].s) {
            dtp += v[j].label;
            dfp += !v[j].label;
            j++;
        }
        area += (double)dfp * (tp + dtp / 2.0); /* positives ranked above each negative */
        tp += dtp;
        fp += dfp;
        if ((double)fp / neg <= fpr_max) {
            *recall = (double)tp / pos;
            *at = v[i].s;
        }
        i = j;
    }
    *auc = area / ((double)pos * neg);
    free(v);
}

static void at_threshold(const double *score, const int *label, int n, double th, double *precision,
                         double *recall)
{
    int tp = 0, fp = 0, fn = 0;
    for (int i = 0; i < n; i++) {
        int yes = score[i] >= th - 1e-12;
        tp += yes && label[i];
        fp += yes && !label[i];
        fn += !yes && label[i];
    }
    *precision = tp + fp ? (double)tp / (tp + fp) : 0.0;
    *recall = tp + fn ? (double)tp / (tp + fn) : 0.0;
}

/* Unweighted word Jaccard: the previous rule. */
static double jaccard(const textsim_words *a, const textsim_words *b)
{
    size_t i = 0, j = 0, inter = 0;
    while (i < a->n && j < b->n) {
        int c = strcmp(a->words[i], b->words[j]);
        inter += c == 0;
        i += c <= 0;
        j += c >= 0;
    }
    size_t uni = a->n + b->n - inter;
    return uni ? (double)inter / (double)uni : 0.0;
}

/* ---- 1. docket pairs ------------------------------------------------------------------ */

enum { MAXP = 20000 };

typedef struct pairs {
    int n;
    int label[MAXP];
    textsim_words a[MAXP], b[MAXP];
} pairs;

static int load_pairs(const char *path, pairs *P)
{
    size_t len;
    char *buf = read_gz(path, &len);
    if (!buf)
        return -1;
    char *rec = buf;
    int tabs = 0;
    for (char *p = buf; *p && P->n < MAXP; p++) {
        if (*p == '\t')
            tabs++;
        if (*p == '\n' && tabs >= 4) {
            *p = '\0';
            char *field[5];
            field[0] = rec;
            for (int i = 1; i < 5; i++) {
                field[i] = strchr(field[i - 1], '\t');
                *field[i]++ = '\0';
            }
            P->label[P->n] = field[0][0] == '1';
            if (textsim_words_of(field[3], &P->a[P->n]) < 0 || textsim_words_of(field[4], &P->b[P->n]) < 0)
                exit(1);
            P->n++;
            rec = p + 1;
            tabs = 0;
        }
    }
    free(buf);
    return 0;
}

typedef struct title_counter {
    textsim_weights *w;
    int title_col;
} title_counter;

static void count_title(char **f, int n, void *arg)
{
    title_counter *tc = arg;
    if (n <= tc->title_col || !f[tc->title_col])
        return;
    textsim_words doc;
    if (textsim_words_of(f[tc->title_col], &doc) < 0 || textsim_weights_count(tc->w, &doc) < 0)
        exit(1);
    textsim_words_free(&doc);
}

static void report_method(const char *name, const double *score, const int *label, int n, double th)
{
    double auc, r5, at, p, r;
    ranking(score, label, n, 0.05, &auc, &r5, &at);
    at_threshold(score, label, n, th, &p, &r);
    printf("  %-44s AUC %.3f  recall@5%%FP %.3f (threshold %.3f)  at %.2f: precision %.3f recall %.3f\n", name, auc,
           r5, at, th, p, r);
}

static double *docket_score;
static int docket_label[MAXP], docket_n;

static int dockets(const char *pairs_path, const char *big_path)
{
    pairs *P = calloc(1, sizeof *P);
    if (!P || load_pairs(pairs_path, P) < 0)
        return -1;
    size_t len;
    char *big = read_gz(big_path, &len);
    textsim_weights *wbig = textsim_weights_new(0), *wown = textsim_weights_new(0);
    title_counter tc = { wbig, 5 };
    double t0 = now_ms();
    if (!big || !wbig || !wown || read_csv(big, len, count_title, &tc) < 0)
        return -1;
    textsim_weights_set_documents(wbig, textsim_weights_documents(wbig)); /* idf computed once, as loaded */
    double counted_ms = now_ms() - t0;
    free(big);
    for (int i = 0; i < P->n; i++)
        if (textsim_weights_count(wown, &P->a[i]) < 0 || textsim_weights_count(wown, &P->b[i]) < 0)
            return -1;
    int pos = 0;
    for (int i = 0; i < P->n; i++)
        pos += P->label[i];
    printf("docket pairs: %d (%d same docket, %d not); weights over %ld titles of %s (%zu words)\n", P->n, pos,
           P->n - pos, textsim_weights_documents(wbig), big_path, textsim_weights_size(wbig));
    double *s = malloc((size_t)P->n * sizeof *s);
    if (!s)
        return -1;
    for (int i = 0; i < P->n; i++)
        s[i] = jaccard(&P->a[i], &P->b[i]);
    report_method("word Jaccard (before)", s, P->label, P->n, JACCARD_BEFORE);
    for (int i = 0; i < P->n; i++)
        s[i] = textsim_similarity(&P->a[i], &P->b[i], NULL);
    report_method("cosine, uniform weights (empty register)", s, P->label, P->n, TEXTSIM_THRESHOLD);
    for (int i = 0; i < P->n; i++)
        s[i] = textsim_similarity(&P->a[i], &P->b[i], wown);
    report_method("IDF cosine, IDF over the pairs' own titles", s, P->label, P->n, TEXTSIM_THRESHOLD);
    t0 = now_ms();
    for (int i = 0; i < P->n; i++)
        s[i] = textsim_similarity(&P->a[i], &P->b[i], wbig);
    double scored_ms = now_ms() - t0;
    report_method("IDF cosine, IDF over the big file (daemon)", s, P->label, P->n, TEXTSIM_THRESHOLD);
    printf("  cost: parsing and counting the %ld titles %.0f ms; scoring the %d pairs %.1f ms (%.2f us a pair)\n",
           textsim_weights_documents(wbig), counted_ms, P->n, scored_ms, 1e3 * scored_ms / P->n);
    docket_score = s; /* for the joint threshold sweep */
    docket_n = P->n;
    memcpy(docket_label, P->label, sizeof docket_label);
    for (int i = 0; i < P->n; i++) {
        textsim_words_free(&P->a[i]);
        textsim_words_free(&P->b[i]);
    }
    free(P);
    textsim_weights_free(wbig);
    textsim_weights_free(wown);
    return 0;
}

/* ---- 2. European Commission consultations ------------------------------------------------ */

/* The shipped vocabularies, read from the migration that seeds them: one row
 * a line, ('kind', position, 'code', 'parent' | NULL, 'label', '{"synonym",...}'). */
static char *sql_string(const char **p)
{
    while (**p == ' ' || **p == ',')
        (*p)++;
    if (strncmp(*p, "NULL", 4) == 0) {
        *p += 4;
        return NULL;
    }
    if (**p != '\'')
        return NULL;
    (*p)++;
    char *out = malloc(strlen(*p) + 1), *o = out;
    while (out && **p) {
        if (**p == '\'' && (*p)[1] == '\'') {
            *o++ = '\'';
            *p += 2;
        } else if (**p == '\'') {
            (*p)++;
            break;
        } else {
            *o++ = *(*p)++;
        }
    }
    if (o)
        *o = '\0';
    return out;
}

static vocab *load_vocab(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return NULL;
    }
    vocab *v = vocab_new();
    char line[4096];
    while (v && fgets(line, sizeof line, f)) {
        if (line[0] != '(' || line[1] != '\'')
            continue;
        const char *p = line + 1;
        char *kind = sql_string(&p);
        while (*p == ',' || *p == ' ' || (*p >= '0' && *p <= '9'))
            p++;
        char *code = sql_string(&p), *parent = sql_string(&p), *label = sql_string(&p), *syn = sql_string(&p);
        const char *syns[64];
        size_t ns = 0;
        for (char *s = syn ? strchr(syn, '"') : NULL; s && ns < 64; s = strchr(s, '"')) {
            char *e = strchr(s + 1, '"');
            if (!e)
                break;
            *e = '\0';
            syns[ns++] = s + 1;
            s = e + 1;
        }
        int k = kind ? vocab_kind_parse(kind) : -1;
        if (k >= 0 && code && label)
            vocab_add(v, (vocab_kind)k, code, label, parent, syns, ns);
        free(kind);
        free(code);
        free(parent);
        free(label);
        free(syn);
    }
    fclose(f);
    if (v)
        vocab_finish(v);
    return v;
}

static const char *const months[] = { "January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December" };

/* "24 July 2025" -> "2025-07-24"; false when not of that shape. */
static bool ec_date(const char *s, char out[11])
{
    int d, y;
    char m[16];
    if (sscanf(s, "%d %15s %d", &d, m, &y) != 3 || d < 1 || d > 31 || y < 1000 || y > 9999)
        return false;
    for (int i = 0; i < 12; i++)
        if (strcmp(m, months[i]) == 0) {
            snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)i + 1u, (unsigned)d % 100u);
            return true;
        }
    return false;
}

typedef struct ec_row {
    char *title;
    json_t *names;    /* the policy areas as published */
    json_t *doc;      /* the engine's view */
    overlap_side side;
} ec_row;

typedef struct ec_set {
    ec_row rows[2000];
    int n, refused;
    const vocab *v;
    const area_register *reg;
} ec_set;

/* "Customs, Single market" -> ["Customs", "Single market"]; a part that starts
 * lower-case continues the name before it ("Economy, finance and the euro"). */
static json_t *policy_areas(const char *field)
{
    json_t *out = json_array();
    char *copy = strdup(field);
    char *save = NULL;
    for (char *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        while (*part == ' ')
            part++;
        if (!*part)
            continue;
        size_t n = json_array_size(out);
        if (n && part[0] >= 'a' && part[0] <= 'z') {
            char joined[512];
            snprintf(joined, sizeof joined, "%s, %s", json_string_value(json_array_get(out, n - 1)), part);
            json_array_set_new(out, n - 1, json_string(joined));
        } else {
            json_array_append_new(out, json_string(part));
        }
    }
    free(copy);
    return out;
}

/* A consultation published without a name is named by its address:
 * ".../initiatives/13454-Erasmus%2B-2021-27-interim-evaluation" ->
 * "Erasmus+ 2021 27 interim evaluation". */
static void name_from_url(const char *url, char *out, size_t len)
{
    const char *p = strrchr(url, '/');
    p = p ? p + 1 : url;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == '-')
        p++;
    size_t k = 0;
    for (; *p && k + 1 < len; p++) {
        unsigned hi, lo;
        if (*p == '%' && sscanf(p + 1, "%1x%1x", &hi, &lo) == 2) {
            out[k++] = (char)(hi * 16 + lo);
            p += 2;
        } else {
            out[k++] = *p == '-' ? ' ' : *p;
        }
    }
    out[k] = '\0';
}

static void ec_record(char **f, int n, void *arg)
{
    ec_set *S = arg;
    char start[11], end[11];
    if (n < 8 || S->n >= 2000 || !ec_date(f[6], start) || !ec_date(f[7], end)) {
        S->refused++;
        return;
    }
    char title[512];
    if (f[1][0])
        snprintf(title, sizeof title, "%s", f[1]);
    else
        name_from_url(f[2], title, sizeof title);
    json_t *names = policy_areas(f[4]);
    json_t *body = json_pack("{s:s, s:O, s:[s], s:{s:s, s:s}}", "title", title, "topics", names, "areas", COUNTY,
                             "fieldwork", "start", start, "end", end);
    json_t *errors = json_array(), *warnings = json_array();
    consultation c;
    if (!body || consultation_parse(body, S->v, &c, errors, warnings) < 0) {
        S->refused++;
        char *e = json_dumps(errors, JSON_COMPACT);
        fprintf(stderr, "  refused: %s %s: %s\n", f[0], f[1], e ? e : "");
        free(e);
        json_decref(names);
        json_decref(body);
        json_decref(errors);
        json_decref(warnings);
        return;
    }
    ec_row *r = &S->rows[S->n];
    char id[16];
    snprintf(id, sizeof id, "ec-%d", S->n);
    const char *code = COUNTY, *scope[8];
    size_t ns = areas_scope(S->reg, &code, 1, scope, 8);
    json_t *sc = json_array(), *topics = json_array(), *communities = json_array();
    for (size_t i = 0; i < ns; i++)
        json_array_append_new(sc, json_string(scope[i]));
    for (size_t i = 0; i < c.topics.n; i++)
        json_array_append_new(topics, json_string(c.topics.items[i]));
    for (size_t i = 0; i < c.communities.n; i++)
        json_array_append_new(communities, json_string(c.communities.items[i]));
    r->doc = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:o, s:o, s:o, s:s, s:s, s:s}", "id", id, "organisation",
                       "european-commission", "title", c.title, "summary", c.summary, "areas", COUNTY, "scope", sc,
                       "topics", topics, "communities", communities, "start", c.start, "end", c.end,
                       "engagement_level", c.engagement_level);
    r->title = strdup(c.title);
    r->names = names;
    if (!r->doc || overlap_side_init(&r->side, r->doc) < 0)
        exit(1);
    S->n++;
    consultation_free(&c);
    json_decref(body);
    json_decref(errors);
    json_decref(warnings);
}

static bool share_name(const json_t *a, const json_t *b)
{
    size_t i, j;
    const json_t *x, *y;
    json_array_foreach(a, i, x) json_array_foreach(b, j, y) if (json_equal(x, y)) return true;
    return false;
}

static int european_commission(const char *path, const char *vocab_path)
{
    vocab *v = load_vocab(vocab_path);
    area_register *reg = areas_new();
    ec_set *S = calloc(1, sizeof *S);
    if (!v || !reg || !S)
        return -1;
    areas_add(reg, COUNTY, "Kent", "county", NULL, 0);
    areas_finish(reg);
    S->v = v;
    S->reg = reg;
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    char *buf = malloc(1 << 22);
    size_t len = buf ? fread(buf, 1, (1 << 22) - 1, f) : 0;
    fclose(f);
    if (!buf || read_csv(buf, len, ec_record, S) < 0)
        return -1;
    free(buf);
    textsim_weights *w = textsim_weights_new(0);
    for (int i = 0; w && i < S->n; i++)
        if (textsim_weights_count(w, &S->rows[i].side.words) < 0)
            return -1;
    if (!w)
        return -1;
    textsim_weights_set_documents(w, textsim_weights_documents(w));

    enum { MAX_FREE = 400000 };
    double *free_text = malloc(MAX_FREE * sizeof *free_text);
    long nfree = 0;
    if (!free_text)
        return -1;
    long near = 0, sharing = 0, sharing_found = 0, terms = 0, text_only = 0, before_text_only = 0;
    for (int i = 0; i < S->n; i++) {
        for (int j = i + 1; j < S->n; j++) {
            const overlap_side *a = &S->rows[i].side, *b = &S->rows[j].side;
            long from = a->start > b->start ? a->start : b->start, to = a->end < b->end ? a->end : b->end;
            if (from - to > 28)
                continue;
            near++;
            overlap_result r;
            overlap_evaluate(a, b, v, reg, w, 28, &r);
            bool by_terms = r.overlaps && (json_array_size(json_object_get(r.reasons, "topics")) ||
                                          json_array_size(json_object_get(r.reasons, "communities")));
            terms += by_terms;
            text_only += r.overlaps && !by_terms;
            if (!by_terms && jaccard(&a->words, &b->words) >= JACCARD_BEFORE - 1e-12)
                before_text_only++;
            if (!by_terms && nfree < MAX_FREE)
                free_text[nfree++] = overlap_text_similarity(a, b, w);
            if (share_name(S->rows[i].names, S->rows[j].names)) {
                sharing++;
                sharing_found += r.overlaps;
            }
            overlap_result_clear(&r);
        }
    }
    printf("European Commission consultations: %d posted (%d refused), all in one county; weights over their %ld "
           "titles (%zu words)\n",
           S->n, S->refused, textsim_weights_documents(w), textsim_weights_size(w));
    printf("  pairs with fieldwork within 28 days: %ld; sharing a policy area: %ld, found: %ld%s\n", near, sharing,
           sharing_found, sharing == sharing_found ? " (all)" : " (SOME MISSED)");
    printf("  before (word Jaccard >= %.2f): flagged %ld, for their text alone %ld (%.1f %%)\n", JACCARD_BEFORE,
           terms + before_text_only, before_text_only, 100.0 * before_text_only / (terms + before_text_only));
    printf("  now (IDF cosine >= %.2f):      flagged %ld, for their text alone %ld (%.1f %%)\n", TEXTSIM_THRESHOLD,
           terms + text_only, text_only, 100.0 * text_only / (terms + text_only));
    printf("  threshold sweep: docket precision and recall (IDF over the big file), EC share flagged for text alone\n"
           "  threshold  precision  recall  F1     EC text alone\n");
    static const int sweep[] = { 30, 35, 40, 42, 44, 45, 46, 48, 50, 55, 60, 70 };
    for (size_t q = 0; q < sizeof sweep / sizeof sweep[0]; q++) {
        double th = sweep[q] / 100.0, p, r;
        at_threshold(docket_score, docket_label, docket_n, th, &p, &r);
        long k = 0;
        for (long i = 0; i < nfree; i++)
            k += free_text[i] >= th - 1e-12;
        printf("  %.2f%s      %.3f      %.3f   %.3f  %ld (%.1f %%)\n", th,
               fabs(th - TEXTSIM_THRESHOLD) < 1e-9 ? "*" : " ", p, r, 2 * p * r / (p + r), k,
               100.0 * k / (terms + k));
    }
    free(free_text);
    for (int i = 0; i < S->n; i++) {
        overlap_side_clear(&S->rows[i].side);
        json_decref(S->rows[i].doc);
        json_decref(S->rows[i].names);
        free(S->rows[i].title);
    }
    free(S);
    textsim_weights_free(w);
    vocab_free(v);
    areas_free(reg);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr,
                "usage: %s regulations_gov_docket_pairs_10k.tsv.gz regulations_gov_rules_proposed_rules.csv.gz\n"
                "       ec_have_your_say_consultations_2016_2026.csv schema/002_vocabularies.sql\n",
                argv[0]);
        return 2;
    }
    if (dockets(argv[1], argv[2]) < 0)
        return 1;
    int rc = european_commission(argv[3], argv[4]) < 0 ? 1 : 0;
    free(docket_score);
    return rc;
}
