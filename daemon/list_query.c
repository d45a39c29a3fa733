/* list_query.c - the consultation list filters. */
#include "list_query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consultation.h"
#include "field_errors.h"
#include "ids.h"
#include "ons_csv.h"

static const char *const known_params[] = {
    "area", "topic", "community", "organisation", "status", "from", "to", "q", "visibility", "limit", "cursor", NULL
};
static const char *const statuses[] = { "planned", "in_field", "closed", "cancelled", NULL };

static bool one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

typedef struct sqlbuf {
    char *s;
    size_t len, cap;
} sqlbuf;

static void put(sqlbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sqlbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->s && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns)
            return;
        b->s = ns;
        b->cap = cap;
    }
}

/* Adds a parameter; returns its number ($n). */
static int param(list_query *q, const char *value, char *owned)
{
    q->params[q->nparams] = value;
    q->owned[q->nparams] = owned;
    return ++q->nparams;
}

/* limit and cursor, the same for every list; true when k was one of them. */
static bool paging_param(list_query *q, sqlbuf *b, const char *alias, const char *k, const char *val, json_t *errors)
{
    if (strcmp(k, "limit") == 0) {
        char *end;
        long n = strtol(val, &end, 10);
        if (!*val || *end || n < 1)
            errors_add(errors, k, "must be a whole number from 1 (larger than %d is read as %d)", LIST_MAX_LIMIT,
                       LIST_MAX_LIMIT);
        else
            q->limit = n > LIST_MAX_LIMIT ? LIST_MAX_LIMIT : (int)n;
        return true;
    }
    if (strcmp(k, "cursor") == 0) {
        if (strncmp(val, "c1.", 3) != 0 || !uuid_valid(val + 3))
            errors_add(errors, k, "is not a cursor this server issued");
        else
            put(b, " AND %s.id > $%d::uuid", alias, param(q, val + 3, NULL));
        return true;
    }
    return false;
}

/* Unknown and repeated parameters are errors; true when kv may be used. */
static bool acceptable(const struct evkeyvalq *query, const struct evkeyval *kv, const char *const *known,
                       json_t *errors)
{
    int seen = 0;
    const struct evkeyval *other;
    TAILQ_FOREACH(other, query, next)
        seen += strcmp(other->key, kv->key) == 0;
    if (!one_of(kv->key, known)) {
        errors_add(errors, kv->key, "unknown query parameter");
        return false;
    }
    if (seen > 1) {
        errors_add(errors, kv->key, "may be given once");
        return false;
    }
    return true;
}

/* Ends every list query the same way: stable order by id, one row beyond the page. */
static int finish_query(list_query *q, sqlbuf *b, const char *alias, json_t *errors, size_t before)
{
    put(b, " ORDER BY %s.id LIMIT %d", alias, q->limit + 1);
    q->sql = b->s;
    if (!q->sql && json_array_size(errors) == before)
        errors_add(errors, "query", "out of memory");
    return json_array_size(errors) == before ? 0 : -1;
}

/* A vocabulary filter: the term and its descendants, or the literal free tag. */
static char *term_filter(const vocab *v, vocab_kind kind, const char *text)
{
    const vocab_term *t = vocab_resolve(v, kind, text);
    json_t *codes = json_array();
    if (t)
        vocab_expand(v, kind, t->code, codes);
    else
        json_array_append_new(codes, json_string(text));
    strlist l = { NULL, json_array_size(codes) };
    l.items = calloc(l.n ? l.n : 1, sizeof *l.items);
    char *lit = NULL;
    if (l.items) {
        for (size_t i = 0; i < l.n; i++)
            l.items[i] = (char *)json_string_value(json_array_get(codes, i));
        lit = strlist_to_pg(&l);
        free(l.items);
    }
    json_decref(codes);
    return lit;
}

void list_cursor_encode(const char *id, char *out, size_t len)
{
    snprintf(out, len, "c1.%s", id);
}

int list_area_condition(list_query *q, const area_register *areas, const char *const *codes, size_t n,
                        char *out, size_t size)
{
    if (n == 0 || q->nparams > LIST_MAX_PARAMS - 2)
        return -1;
    /* GSS codes: nothing to quote. The register (when given) says what
     * contains each; a code it does not hold is itself alone. */
    size_t cap = 3, acap = 3;
    for (size_t i = 0; i < n; i++) {
        const area_info *a = areas ? areas_find(areas, codes[i]) : NULL;
        cap += strlen(codes[i]) + 1;
        acap += (strlen(codes[i]) + 1) + (a ? a->nancestors * 10 : 0);
    }
    char *scope = malloc(cap), *anc = areas ? malloc(acap) : NULL;
    if (!scope || (areas && !anc)) {
        free(scope);
        free(anc);
        return -1;
    }
    char *p = scope, *r = anc;
    for (size_t i = 0; i < n; i++) {
        p += sprintf(p, "%c%s", i ? ',' : '{', codes[i]);
        if (!anc)
            continue;
        r += sprintf(r, "%c%s", i ? ',' : '{', codes[i]);
        const area_info *a = areas_find(areas, codes[i]);
        for (size_t k = 0; a && k < a->nancestors; k++)
            r += sprintf(r, ",%s", a->ancestors[k]);
    }
    strcpy(p, "}");
    if (anc)
        strcpy(r, "}");
    int ns = param(q, scope, scope);
    int len;
    if (anc)
        len = snprintf(out, size, "(c.area_scope && $%d::text[] OR c.areas && $%d::text[])", ns,
                       param(q, anc, anc));
    else
        len = snprintf(out, size, "(c.area_scope && $%d::text[] OR c.areas && ARRAY(SELECT unnest($%d::text[])"
                                  " UNION SELECT ancestor FROM area_ancestors WHERE code = ANY($%d::text[])))",
                       ns, ns, ns);
    return len < 0 || (size_t)len >= size ? -1 : 0;
}

/* An area= filter's condition, appended to b; -1 when out of memory. */
static int put_area_match(list_query *q, sqlbuf *b, const area_register *areas, const char *code)
{
    char cond[LIST_AREA_SQL_MAX];
    if (list_area_condition(q, areas, &code, 1, cond, sizeof cond) < 0)
        return -1;
    put(b, "%s", cond);
    return 0;
}

int list_query_build(const struct evkeyvalq *query, const vocab *v, const area_register *areas, list_query *q,
                     json_t *errors)
{
    memset(q, 0, sizeof *q);
    q->limit = LIST_DEFAULT_LIMIT;
    sqlbuf b = { 0 };
    size_t before = json_array_size(errors);
    put(&b, "SELECT c.id, consultation_doc(c, g)::text FROM consultations c JOIN organisations g"
            " ON g.id = c.organisation_id WHERE true");

    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, query, next) {
        const char *k = kv->key, *val = kv->value;
        if (!acceptable(query, kv, known_params, errors))
            continue;
        if (q->nparams >= LIST_MAX_PARAMS - 1)
            break;
        if (strcmp(k, "area") == 0) {
            if (!ons_code_valid(val)) {
                errors_add(errors, k, "must be an ONS GSS code like E09000007");
                continue;
            }
            put(&b, " AND ");
            if (put_area_match(q, &b, areas, val) < 0)
                errors_add(errors, k, "out of memory");
        } else if (strcmp(k, "topic") == 0 || strcmp(k, "community") == 0) {
            bool topic = k[0] == 't';
            if (!*val || strlen(val) > TERM_TEXT_MAX) {
                errors_add(errors, k, "must be 1 to %d characters", TERM_TEXT_MAX);
                continue;
            }
            char *lit = term_filter(v, topic ? VOCAB_TOPICS : VOCAB_COMMUNITIES, val);
            if (!lit)
                continue;
            int n = param(q, lit, lit);
            put(&b, " AND c.%s && $%d::text[]", topic ? "topics" : "communities", n);
        } else if (strcmp(k, "organisation") == 0) {
            if (!uuid_valid(val)) {
                errors_add(errors, k, "must be an organisation id (a UUID)");
                continue;
            }
            put(&b, " AND c.organisation_id = $%d", param(q, val, NULL));
        } else if (strcmp(k, "status") == 0) {
            if (!one_of(val, statuses)) {
                errors_add(errors, k, "must be one of planned, in_field, closed, cancelled");
                continue;
            }
            put(&b, " AND c.status = $%d", param(q, val, NULL));
        } else if (strcmp(k, "visibility") == 0) {
            if (strcmp(val, "partners") != 0 && strcmp(val, "public") != 0) {
                errors_add(errors, k, "must be partners or public");
                continue;
            }
            put(&b, " AND c.visibility = $%d", param(q, val, NULL));
        } else if (strcmp(k, "from") == 0 || strcmp(k, "to") == 0) {
            long days;
            if (!date_parse_field(val, &days, k, "must be a date as YYYY-MM-DD", errors))
                continue;
            if (k[0] == 'f')
                put(&b, " AND c.fieldwork_end >= $%d::date", param(q, val, NULL));
            else
                put(&b, " AND c.fieldwork_start <= $%d::date", param(q, val, NULL));
        } else if (strcmp(k, "q") == 0) {
            if (!*val || utf8_length(val) > 200) {
                errors_add(errors, k, "must be 1 to 200 characters");
                continue;
            }
            put(&b, " AND to_tsvector('english', c.title || ' ' || c.summary) @@ websearch_to_tsquery('english', $%d)",
                param(q, val, NULL));
        } else {
            paging_param(q, &b, "c", k, val, errors);
        }
    }
    return finish_query(q, &b, "c", errors, before);
}

void list_query_free(list_query *q)
{
    for (int i = 0; i < q->nparams; i++)
        free(q->owned[i]);
    free(q->sql);
    memset(q, 0, sizeof *q);
}

/* An area holding at most this many areas (a ward, a district: Birmingham,
 * the largest, has 69 wards) has its overlaps found from its consultations;
 * a larger one (a county, a region) by testing the overlaps in order. */
#define OVERLAP_AREA_SMALL 100

static const char *const overlap_params[] = {
    "status", "area", "organisation", "level", "min_score", "from", "to", "limit", "cursor", NULL
};
static const char *const overlap_statuses[] = { "open", "acknowledged", "coordinated", "dismissed", "resolved", NULL };
static const char *const overlap_levels[] = { "low", "medium", "high", NULL };

/* An overlap with both consultations summarised (title, organisation, fieldwork, status) as "sides", in
 * the order of "consultations": what a list of overlaps shows without a request per row.
 * Each side by a subquery of this statement (planned once with it, the
 * summary inlined), not by consultation_summary(id), whose own subquery the
 * SQL-function executor ran apart for every row. Not joined either: this
 * text is planned on every request, and a five-way join took twice as long
 * to plan as these (measured). */
#define OVERLAP_SIDE(col) \
    "(SELECT consultation_summary_doc(c, g) FROM consultations c JOIN organisations g" \
    " ON g.id = c.organisation_id WHERE c.id = o." col ")"
#define OVERLAP_WITH_SIDES \
    "(overlap_json(o)::jsonb || jsonb_build_object('sides', jsonb_build_array(" \
    OVERLAP_SIDE("consultation_a") ", " OVERLAP_SIDE("consultation_b") ")))::text"

#define EITHER_SIDE "EXISTS (SELECT 1 FROM consultations c WHERE c.id IN (o.consultation_a, o.consultation_b) AND "

int overlap_query_build(const struct evkeyvalq *query, const vocab *v, const area_register *areas, list_query *q,
                        json_t *errors)
{
    (void)v; /* overlap filters name no vocabulary terms */
    memset(q, 0, sizeof *q);
    q->limit = LIST_DEFAULT_LIMIT;
    sqlbuf b = { 0 };
    size_t before = json_array_size(errors);
    put(&b, "SELECT o.id, " OVERLAP_WITH_SIDES " FROM overlap_pairs o WHERE true");
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, query, next) {
        const char *k = kv->key, *val = kv->value;
        if (!acceptable(query, kv, overlap_params, errors))
            continue;
        if (q->nparams >= LIST_MAX_PARAMS - 1)
            break;
        if (strcmp(k, "status") == 0 || strcmp(k, "level") == 0) {
            bool st = k[0] == 's';
            if (!one_of(val, st ? overlap_statuses : overlap_levels)) {
                errors_add(errors, k, st ? "must be one of open, acknowledged, coordinated, dismissed, resolved"
                                         : "must be one of low, medium, high");
                continue;
            }
            put(&b, " AND o.%s = $%d", k, param(q, val, NULL));
        } else if (strcmp(k, "area") == 0) {
            if (!ons_code_valid(val)) {
                errors_add(errors, k, "must be an ONS GSS code like E09000007");
                continue;
            }
            char cond[LIST_AREA_SQL_MAX];
            if (list_area_condition(q, areas, &val, 1, cond, sizeof cond) < 0) {
                errors_add(errors, k, "out of memory");
                continue;
            }
            if (areas && areas_within(areas, val, NULL) <= OVERLAP_AREA_SMALL) {
                /* a small area: its consultations first (a few hundred, by the GIN
                 * indexes), then their overlaps by either side's index */
                put(&b, " AND (o.consultation_a = ANY(ARRAY(SELECT c.id FROM consultations c WHERE %s))"
                        " OR o.consultation_b = ANY(ARRAY(SELECT c.id FROM consultations c WHERE %s)))", cond, cond);
            } else {
                /* a large one holds too many consultations to look up: the
                 * overlaps are read in order and each tested */
                put(&b, " AND " EITHER_SIDE "%s)", cond);
            }
        } else if (strcmp(k, "organisation") == 0) {
            if (!uuid_valid(val)) {
                errors_add(errors, k, "must be an organisation id (a UUID)");
                continue;
            }
            put(&b, " AND " EITHER_SIDE "c.organisation_id = $%d)", param(q, val, NULL));
        } else if (strcmp(k, "min_score") == 0) {
            char *end;
            double d = strtod(val, &end);
            if (!*val || *end || d < 0 || d > 1) {
                errors_add(errors, k, "must be a number from 0 to 1");
                continue;
            }
            put(&b, " AND o.score >= $%d::numeric", param(q, val, NULL));
        } else if (strcmp(k, "from") == 0 || strcmp(k, "to") == 0) {
            long days;
            if (!date_parse_field(val, &days, k, "must be a date as YYYY-MM-DD", errors))
                continue;
            put(&b, " AND " EITHER_SIDE "c.fieldwork_%s $%d::date)", k[0] == 'f' ? "end >=" : "start <=",
                param(q, val, NULL));
        } else {
            paging_param(q, &b, "o", k, val, errors);
        }
    }
    return finish_query(q, &b, "o", errors, before);
}

static const char *const subscription_params[] = { "limit", "cursor", NULL };

int subscription_query_build(const struct evkeyvalq *query, const char *org, list_query *q, json_t *errors)
{
    memset(q, 0, sizeof *q);
    q->limit = LIST_DEFAULT_LIMIT;
    sqlbuf b = { 0 };
    size_t before = json_array_size(errors);
    put(&b, "SELECT s.id, subscription_json(s)::text FROM subscriptions s WHERE s.status <> 'deleted'");
    if (org)
        put(&b, " AND s.organisation_id = $%d::uuid", param(q, org, NULL));
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, query, next)
        if (acceptable(query, kv, subscription_params, errors))
            paging_param(q, &b, "s", kv->key, kv->value, errors);
    return finish_query(q, &b, "s", errors, before);
}
