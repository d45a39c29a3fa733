/* feed_query.c - feed and public filters, and their SQL. */
#include "feed_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "area_input.h"
#include "consultation.h"
#include "db.h"
#include "field_errors.h"
#include "ids.h"
#include "ons_csv.h"

static const char *const statuses[] = { "planned", "in_field", "closed", "cancelled", NULL };

static bool is_status(const char *s)
{
    for (const char *const *p = statuses; *p; p++)
        if (strcmp(*p, s) == 0)
            return true;
    return false;
}

/* A filter list: a string or an array of 1..FEED_FILTER_MAX non-empty strings. */
static json_t *string_list(const json_t *val, const char *field, json_t *errors)
{
    if (json_is_string(val)) {
        json_t *a = json_array();
        json_array_append(a, (json_t *)val);
        return a;
    }
    if (!json_is_array(val) || json_array_size(val) > FEED_FILTER_MAX) {
        errors_add(errors, field, "must be a list of at most %d strings", FEED_FILTER_MAX);
        return NULL;
    }
    size_t i;
    const json_t *e;
    json_array_foreach(val, i, e) {
        if (!json_is_string(e) || json_string_length(e) == 0) {
            errors_add(errors, field, "must be a list of at most %d strings", FEED_FILTER_MAX);
            return NULL;
        }
    }
    return json_deep_copy(val);
}

static void add_unique(json_t *arr, const char *s)
{
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e)
        if (strcmp(json_string_value(e), s) == 0)
            return;
    json_array_append_new(arr, json_string(s));
}

static void parse_terms(const json_t *list, const vocab *v, vocab_kind kind, const char *field, json_t *out,
                        json_t *errors)
{
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) {
        const char *text = json_string_value(e);
        char name[96];
        snprintf(name, sizeof name, "%s[%zu]", field, i);
        if (utf8_length(text) > TERM_TEXT_MAX) {
            errors_add(errors, name, "must be 1 to %d characters", TERM_TEXT_MAX);
            continue;
        }
        const vocab_term *t = v ? vocab_resolve(v, kind, text) : NULL;
        add_unique(out, t ? t->code : text);
    }
}

int feed_filters_parse(const json_t *in, const vocab *v, const area_register *areas, json_t **out,
                       json_t *errors, json_t *warnings)
{
    *out = NULL;
    size_t before = json_array_size(errors);
    json_t *f = json_pack("{s:[], s:[], s:[], s:n, s:[]}", "areas", "topics", "communities", "organisation",
                          "status");
    if (!f) {
        errors_add(errors, "filters", "out of memory");
        return -1;
    }
    if (in && !json_is_null(in) && !json_is_object(in)) {
        errors_add(errors, "filters", "must be an object");
        json_decref(f);
        return -1;
    }
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)in, key, val) {
        char field[48];
        snprintf(field, sizeof field, "filters.%.30s", key);
        if (json_is_null(val))
            continue;
        if (strcmp(key, "organisation") == 0) {
            if (!json_is_string(val) || !uuid_valid(json_string_value(val)))
                errors_add(errors, field, "must be an organisation id (a UUID)");
            else
                json_object_set(f, key, (json_t *)val);
            continue;
        }
        bool is_area = strcmp(key, "areas") == 0, is_status_key = strcmp(key, "status") == 0;
        bool is_term = strcmp(key, "topics") == 0 || strcmp(key, "communities") == 0;
        if (!is_area && !is_status_key && !is_term) {
            errors_add(errors, field, "unknown filter (areas, topics, communities, organisation, status)");
            continue;
        }
        json_t *list = string_list(val, field, errors);
        if (!list)
            continue;
        json_t *dest = json_object_get(f, key);
        size_t i;
        const json_t *e;
        if (is_area) {
            json_array_foreach(list, i, e) {
                char name[96];
                snprintf(name, sizeof name, "%s[%zu]", field, i);
                area_code code;
                if (!area_input_resolve(areas, json_string_value(e), name, code, errors, warnings))
                    continue;
                add_unique(dest, code);
                if (areas && warnings && !areas_find(areas, code)) {
                    char msg[256];
                    snprintf(msg, sizeof msg, "%.96s: %.9s is not in the area register: the feed shows what is written"
                             " against that code", name, code);
                    json_array_append_new(warnings, json_string(msg));
                }
            }
        } else if (is_status_key) {
            json_array_foreach(list, i, e) {
                if (is_status(json_string_value(e)))
                    add_unique(dest, json_string_value(e));
                else
                    errors_add(errors, field, "must be planned, in_field, closed or cancelled (or a list of them)");
            }
        } else {
            parse_terms(list, v, key[0] == 't' ? VOCAB_TOPICS : VOCAB_COMMUNITIES, field, dest, errors);
        }
        json_decref(list);
    }
    if (json_array_size(errors) != before) {
        json_decref(f);
        return -1;
    }
    *out = f;
    return 0;
}

int feed_body_parse(const json_t *body, const vocab *v, const area_register *areas, const char **label,
                    json_t **filters, json_t *errors, json_t *warnings)
{
    *label = NULL;
    *filters = NULL;
    size_t before = json_array_size(errors);
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)body, key, val) {
        if (strcmp(key, "label") != 0 && strcmp(key, "filters") != 0)
            errors_add(errors, key, "unknown field (label, filters)");
    }
    const json_t *l = json_object_get(body, "label");
    if (!json_is_string(l)) {
        errors_add(errors, "label", l ? "must be a string" : "is required");
    } else {
        const char *s = json_string_value(l);
        bool control = false;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
            control = control || *p < 0x20 || *p == 0x7f;
        size_t n = utf8_length(s);
        if (n < 1 || n > FEED_LABEL_MAX || control || json_string_length(l) != strlen(s))
            errors_add(errors, "label", "must be 1 to %d characters, without control characters", FEED_LABEL_MAX);
        else
            *label = s;
    }
    json_t *f = NULL;
    feed_filters_parse(json_object_get(body, "filters"), v, areas, &f, errors, warnings);
    if (json_array_size(errors) != before) {
        json_decref(f);
        *label = NULL;
        return -1;
    }
    *filters = f;
    return 0;
}

static const char *const public_params[] = { "area", "topic", "community", "organisation", "status",
                                             "from", "to", "q", "id", NULL };

int public_filters_from_query(const struct evkeyvalq *query, const vocab *v, json_t **out, json_t *errors)
{
    *out = NULL;
    size_t before = json_array_size(errors);
    json_t *f = json_pack("{s:[], s:[], s:[], s:n, s:[]}", "areas", "topics", "communities", "organisation",
                          "status");
    if (!f) {
        errors_add(errors, "query", "out of memory");
        return -1;
    }
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, query, next) {
        const char *k = kv->key, *val = kv->value;
        const char *const *p;
        for (p = public_params; *p && strcmp(*p, k) != 0; p++)
            ;
        if (!*p) {
            errors_add(errors, k, "unknown query parameter");
            continue;
        }
        int seen = 0, before_this = 0;
        const struct evkeyval *other;
        TAILQ_FOREACH(other, query, next) {
            if (other == kv)
                before_this = seen;
            seen += strcmp(other->key, k) == 0;
        }
        if (seen > 1) {
            if (before_this == 0) /* named once, at its first occurrence */
                errors_add(errors, k, "may be given once");
            continue;
        }
        long days;
        if (strcmp(k, "area") == 0) {
            if (!ons_code_valid(val))
                errors_add(errors, k, "must be an ONS GSS code like E09000007, or an area's name");
            else
                add_unique(json_object_get(f, "areas"), val);
        } else if (strcmp(k, "topic") == 0 || strcmp(k, "community") == 0) {
            if (!*val || utf8_length(val) > TERM_TEXT_MAX) {
                errors_add(errors, k, "must be 1 to %d characters", TERM_TEXT_MAX);
                continue;
            }
            vocab_kind kind = k[0] == 't' ? VOCAB_TOPICS : VOCAB_COMMUNITIES;
            const vocab_term *t = v ? vocab_resolve(v, kind, val) : NULL;
            add_unique(json_object_get(f, kind == VOCAB_TOPICS ? "topics" : "communities"), t ? t->code : val);
        } else if (strcmp(k, "organisation") == 0) {
            if (!uuid_valid(val))
                errors_add(errors, k, "must be an organisation id (a UUID)");
            else
                json_object_set_new(f, k, json_string(val));
        } else if (strcmp(k, "id") == 0) {
            if (!uuid_valid(val))
                errors_add(errors, k, "must be a consultation id (a UUID)");
            else
                json_object_set_new(f, k, json_string(val));
        } else if (strcmp(k, "status") == 0) {
            if (!is_status(val))
                errors_add(errors, k, "must be one of planned, in_field, closed, cancelled");
            else
                add_unique(json_object_get(f, "status"), val);
        } else if (strcmp(k, "from") == 0 || strcmp(k, "to") == 0) {
            if (date_parse_field(val, &days, k, "must be a date as YYYY-MM-DD", errors))
                json_object_set_new(f, k, json_string(val));
        } else { /* q */
            if (!*val || utf8_length(val) > 200)
                errors_add(errors, k, "must be 1 to 200 characters");
            else
                json_object_set_new(f, k, json_string(val));
        }
    }
    if (json_array_size(errors) != before) {
        json_decref(f);
        return -1;
    }
    *out = f;
    return 0;
}

/* ---- SQL ------------------------------------------------------------------------ */

/* A JSON array of strings as a PostgreSQL text[] literal (malloc'd). */
static char *pg_array(const json_t *arr)
{
    strlist l = { NULL, json_array_size(arr) };
    l.items = calloc(l.n ? l.n : 1, sizeof *l.items);
    if (!l.items)
        return NULL;
    for (size_t i = 0; i < l.n; i++)
        l.items[i] = (char *)json_string_value(json_array_get(arr, i));
    char *lit = strlist_to_pg(&l);
    free(l.items);
    return lit;
}

/* Adds an owned parameter; its number ($n), or -1 when value is NULL. */
static int param(list_query *q, char *value)
{
    if (!value || q->nparams >= LIST_MAX_PARAMS)
        return -1;
    q->params[q->nparams] = value;
    q->owned[q->nparams] = value;
    return ++q->nparams;
}

/* The expanded codes of a term list: each term and its descendants. */
static json_t *expand_terms(const json_t *terms, const vocab *v, vocab_kind kind)
{
    json_t *codes = json_array();
    size_t i;
    const json_t *e;
    json_array_foreach(terms, i, e) {
        const char *s = json_string_value(e);
        if (v && vocab_by_code(v, kind, s))
            vocab_expand(v, kind, s, codes);
        else
            json_array_append_new(codes, json_string(s));
    }
    return codes;
}

#define SQL_MAX 4096

static const char select_calendar[] = "SELECT c.id, c.version, c.updated_at, g.name";
/* the document, then its code lists for public_doc_names (separated by
 * PUBLIC_DOC_SEP, the unit separator) */
static const char select_json[] = "SELECT c.id, public_consultation_doc(c, g)::text,"
                                  " array_to_string(c.areas, E'\\x1f'), array_to_string(c.topics, E'\\x1f'),"
                                  " array_to_string(c.communities, E'\\x1f'), array_to_string(c.methods, E'\\x1f')";
static const char select_csv[] =
    "SELECT c.id, g.id, g.name, c.title, c.summary, array_to_string(c.topics, ';'),"
    " array_to_string(c.communities, ';'), array_to_string(c.areas, ';'), c.fieldwork_start::text,"
    " c.fieldwork_end::text, array_to_string(c.methods, ';'), c.engagement_level, c.expected_participants::text,"
    " c.status, c.version::text, rfc3339(c.created_at), rfc3339(c.updated_at)";

int feed_query_build(const json_t *filters, const vocab *v, const area_register *areas, feed_select sel,
                     bool public_only, list_query *q)
{
    memset(q, 0, sizeof *q);
    char sql[SQL_MAX];
    size_t o = 0;
#define PUT(...) o += (size_t)snprintf(sql + (o < SQL_MAX ? o : 0), o < SQL_MAX ? SQL_MAX - o : 0, __VA_ARGS__)
    PUT("%s FROM consultations c JOIN organisations g ON g.id = c.organisation_id WHERE true",
        sel == FEED_SELECT_CALENDAR ? select_calendar : sel == FEED_SELECT_JSON ? select_json : select_csv);
    if (public_only)
        PUT(" AND c.visibility = 'public'");
    if (sel == FEED_SELECT_CALENDAR)
        PUT(" AND c.fieldwork_end >= current_date - " DB_STR(CALENDAR_PAST_DAYS)
            " AND c.fieldwork_start <= current_date + " DB_STR(CALENDAR_AHEAD_DAYS));

    const json_t *area_codes = json_object_get(filters, "areas");
    if (json_array_size(area_codes) > 0) {
        const char *list[FEED_FILTER_MAX];
        size_t n = 0;
        for (; n < json_array_size(area_codes) && n < FEED_FILTER_MAX; n++)
            list[n] = json_string_value(json_array_get(area_codes, n));
        char cond[LIST_AREA_SQL_MAX];
        if (list_area_condition(q, areas, list, n, cond, sizeof cond) < 0)
            goto oom;
        PUT(" AND %s", cond);
    }
    for (int k = 0; k < 2; k++) {
        const char *name = k == 0 ? "topics" : "communities";
        const json_t *terms = json_object_get(filters, name);
        if (json_array_size(terms) == 0)
            continue;
        json_t *codes = expand_terms(terms, v, k == 0 ? VOCAB_TOPICS : VOCAB_COMMUNITIES);
        int n = param(q, codes ? pg_array(codes) : NULL);
        json_decref(codes);
        if (n < 0)
            goto oom;
        PUT(" AND c.%s && $%d::text[]", name, n);
    }
    const char *org = json_string_value(json_object_get(filters, "organisation"));
    if (org) {
        int n = param(q, strdup(org));
        if (n < 0)
            goto oom;
        PUT(" AND c.organisation_id = $%d::uuid", n);
    }
    const char *id = json_string_value(json_object_get(filters, "id"));
    if (id) {
        int n = param(q, strdup(id));
        if (n < 0)
            goto oom;
        PUT(" AND c.id = $%d::uuid", n);
    }
    const json_t *status = json_object_get(filters, "status");
    if (json_array_size(status) > 0) {
        int n = param(q, pg_array(status));
        if (n < 0)
            goto oom;
        PUT(" AND c.status = ANY($%d::text[])", n);
    }
    const char *from = json_string_value(json_object_get(filters, "from"));
    const char *to = json_string_value(json_object_get(filters, "to"));
    const char *text = json_string_value(json_object_get(filters, "q"));
    if (from) {
        int n = param(q, strdup(from));
        if (n < 0)
            goto oom;
        PUT(" AND c.fieldwork_end >= $%d::date", n);
    }
    if (to) {
        int n = param(q, strdup(to));
        if (n < 0)
            goto oom;
        PUT(" AND c.fieldwork_start <= $%d::date", n);
    }
    if (text) {
        int n = param(q, strdup(text));
        if (n < 0)
            goto oom;
        PUT(" AND to_tsvector('english', c.title || ' ' || c.summary) @@ websearch_to_tsquery('english', $%d)", n);
    }
    q->limit = sel == FEED_SELECT_CALENDAR ? CALENDAR_MAX_EVENTS : OPEN_DATA_MAX_ROWS;
    PUT(" ORDER BY c.fieldwork_start, c.id LIMIT %d", q->limit + 1);
#undef PUT
    if (o >= SQL_MAX)
        goto oom;
    q->sql = strdup(sql);
    if (!q->sql)
        goto oom;
    return 0;
oom:
    list_query_free(q);
    return -1;
}
