/* api_overlaps.c - overlaps (list, one, resolve), a consultation's overlaps,
 * preflight, the outreach gate and fatigue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "job_dispatch.h"
#include "consultation.h"
#include "fatigue.h"
#include "http_reply.h"
#include "list_query.h"
#include "overlap_plan.h"
#include "ons_csv.h"
#include "server.h"
#include "store_overlaps.h"

#define NOTE_MAX 2000
#define OVERRIDE_MAX 2000

static void overlap_not_found(request *rq)
{
    reply_problem(rq, 404, "not-found", "Not found", "No overlap with this id.", NULL, NULL);
}

static void consultation_not_found(request *rq)
{
    reply_problem(rq, 404, "not-found", "Not found", "No consultation with this id.", NULL, NULL);
}

/* ---- GET /v1/consultations/{id}/overlaps ------------------------------------ */

static void on_consultation_overlaps(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    if (strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
        consultation_not_found(rq);
        return;
    }
    size_t n = (size_t)PQgetlength(res, 0, 1);
    char *out = malloc(n + 48);
    if (!out) {
        reply_unavailable(rq);
        return;
    }
    int len = snprintf(out, n + 48, "{\"items\":%s,\"next_cursor\":null}", PQgetvalue(res, 0, 1));
    reply_json_text(rq, 200, out, (size_t)len);
    free(out);
}

void api_consultation_overlaps(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        consultation_not_found(rq);
        return;
    }
    const char *p[] = { rq->path_param };
    db_read(rq->srv->db, SQL_OVERLAPS_OF_CONSULTATION, 1, p, on_consultation_overlaps, rq); /* no connection held: see router.c */
}

/* ---- GET /v1/overlaps and /v1/overlaps/{id} ---------------------------------- */

void api_overlap_list(request *rq)
{
    api_list(rq, overlap_query_build);
}

static void on_overlap(PGresult *res, void *arg)
{
    api_reply_versioned(arg, res, 404, "not-found", "Not found",
                        "No overlap with this id.");
}

void api_overlap_get(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        overlap_not_found(rq);
        return;
    }
    const char *p[] = { rq->path_param };
    db_read(rq->srv->db, SQL_OVERLAP_GET, 1, p, on_overlap, rq); /* holds no connection: see router.c */
}

/* ---- PATCH /v1/overlaps/{id} --------------------------------------------------- */

typedef struct pstate {
    char version[24];
    const char *status;           /* points into rq->body */
    const char *note;
    bool set_note;
} pstate;

static void on_overlap_patched(PGresult *res, void *arg)
{
    request *rq = arg;
    if (db_ok(res) && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 2), "t") == 0)
        dispatcher_events_written(rq->srv->alerts); /* committed: the statement is the transaction */
    api_reply_versioned(arg, res, 412, "precondition-failed", "Precondition failed",
                        "The overlap changed while this request ran; read it again and retry.");
}

static void on_overlap_loaded(PGresult *res, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        overlap_not_found(rq);
        return;
    }
    bool party = strcmp(PQgetvalue(res, 0, 1), rq->org_id) == 0 || strcmp(PQgetvalue(res, 0, 2), rq->org_id) == 0;
    if (rq->role < ROLE_COORDINATOR && !party) {
        reply_problem(rq, 403, "forbidden", "Forbidden",
                      "Only a coordinator or an organisation with a consultation in this overlap may change it.",
                      NULL, NULL);
        return;
    }
    long current = atol(PQgetvalue(res, 0, 0));
    if (atol(st->version) != 0 && atol(st->version) != current) {
        api_set_etag(rq, PQgetvalue(res, 0, 0));
        reply_problem(rq, 412, "precondition-failed", "Precondition failed",
                      "The overlap has changed since you read it; read it again and retry.", NULL, NULL);
        return;
    }
    if (st->status && strcmp(PQgetvalue(res, 0, 3), "resolved") == 0) {
        reply_problem(rq, 409, "resolved", "Conflict",
                      "The server resolved this overlap (a side was cancelled or no longer overlaps).", NULL, NULL);
        return;
    }
    snprintf(st->version, sizeof st->version, "%ld", current);
    const char *p[] = { rq->path_param, st->status, st->set_note ? "true" : "false", st->note, st->version,
                        PQgetvalue(res, 0, 3) };
    db_query(rq->conn,
             SQL_OVERLAP_PATCH,
             6, p, on_overlap_patched, rq);
}

void api_overlap_patch(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        overlap_not_found(rq);
        return;
    }
    long want = api_read_if_match(rq, "overlap");
    if (want < 0)
        return;
    pstate *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    rq->state = st;
    rq->state_free = free;
    snprintf(st->version, sizeof st->version, "%ld", want);
    json_t *errors = json_array();
    const char *key;
    json_t *val;
    json_object_foreach(rq->body, key, val) {
        if (strcmp(key, "status") == 0) {
            static const char *const allowed[] = { "open", "acknowledged", "coordinated", "dismissed", NULL };
            const char *s = json_string_value(val);
            const char *const *a = allowed;
            while (s && *a && strcmp(*a, s) != 0)
                a++;
            if (!s || !*a)
                errors_add(errors, "status", "must be one of open, acknowledged, coordinated, dismissed");
            else
                st->status = s;
        } else if (strcmp(key, "note") == 0) {
            st->set_note = true;
            if (json_is_null(val))
                st->note = NULL;
            else if (!json_is_string(val))
                errors_add(errors, "note", "must be a string or null");
            else if (utf8_length(json_string_value(val)) > NOTE_MAX)
                errors_add(errors, "note", "must be at most %d characters", NOTE_MAX);
            else
                st->note = json_string_value(val);
        } else {
            errors_add(errors, key, "unknown field (an overlap takes status and note)");
        }
    }
    if (json_array_size(errors) == 0 && !st->status && !st->set_note)
        errors_add(errors, "status", "send status, note or both");
    if (json_array_size(errors) > 0) {
        reply_problem(rq, 422, "validation", "Invalid overlap change", "One or more fields are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    const char *p[] = { rq->path_param };
    db_query(rq->conn,
             SQL_OVERLAP_LOAD,
             1, p, on_overlap_loaded, rq);
}

/* ---- preflight and the outreach gate ------------------------------------------- */

typedef struct fstate {
    bool outreach;
    const char *override_reason;  /* points into rq->body */
    json_t *side_doc;
    overlap_side side;
    json_t *open_overlaps;
    char status[16];
    char owner[UUID_STR_LEN];
    char *areas_lit, *scope_lit;
    char from[11], to[11];
    /* GET /v1/fatigue */
    fatigue_query q;
    const char *scope[AREAS_REACH_MAX + 1];
    char community[101];
    bool has_community;
} fstate;

static void fstate_free(void *p)
{
    fstate *st = p;
    overlap_side_clear(&st->side);
    json_decref(st->side_doc);
    json_decref(st->open_overlaps);
    free(st->areas_lit);
    free(st->scope_lit);
    free(st);
}

static fstate *fstate_new(request *rq)
{
    fstate *st = calloc(1, sizeof *st);
    if (st) {
        rq->state = st;
        rq->state_free = fstate_free;
    }
    return st;
}

/* Rows (overlap_side_json) into sides; returns how many were usable. */
static size_t load_rows(PGresult *res, overlap_side **out)
{
    int n = PQntuples(res);
    *out = calloc((size_t)(n ? n : 1), sizeof **out);
    size_t k = 0;
    for (int i = 0; *out && i < n; i++) {
        json_t *doc = json_loads(PQgetvalue(res, i, 0), 0, NULL);
        if (doc && overlap_side_init(&(*out)[k], doc) == 0)
            k++;
        json_decref(doc);
    }
    return k;
}

static void free_rows(overlap_side *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        overlap_side_clear(&rows[i]);
    free(rows);
}

static void on_outreach_done(PGresult *res, void *arg)
{
    api_reply_versioned(arg, res, 409, "not-planned", "Conflict",
                        "The consultation is no longer planned.");
}

static void on_preflight_fatigue(PGresult *res, void *arg)
{
    request *rq = arg;
    fstate *st = rq->state;
    server *srv = rq->srv;
    if (reply_if_db_error(rq, res))
        return;
    overlap_side *rows;
    size_t n = load_rows(res, &rows);
    json_t *exceeded = json_array();
    int first = overlap_month(st->side.start), last = overlap_month(st->side.end);
    size_t i;
    json_t *area_json;
    json_array_foreach(st->side.areas, i, area_json) {
        const char *code = json_string_value(area_json);
        const char *scope[AREAS_REACH_MAX + 1];
        size_t ns = areas_scope_one(srv->areas, code, scope);
        size_t j;
        json_t *c;
        json_array_foreach(st->side.communities, j, c) {
            fatigue_query q = { code, scope, ns, json_string_value(c), first, last - first + 1,
                                srv->cfg->fatigue_window_days, srv->cfg->fatigue_max_asks, true };
            fatigue_buckets(rows, n, &q, srv->vocab, exceeded);
        }
    }
    free_rows(rows, n);
    bool clear = json_array_size(st->open_overlaps) == 0 && json_array_size(exceeded) == 0;
    if (!st->outreach) {
        reply_json(rq, 200, json_pack("{s:b, s:O, s:o}", "clear", clear, "overlaps", st->open_overlaps, "fatigue",
                                      exceeded));
        return;
    }
    if (strcmp(st->status, "planned") != 0) {
        json_decref(exceeded);
        reply_problem(rq, 409, "not-planned", "Conflict",
                      "Outreach can be marked only for a planned consultation.", NULL, NULL);
        return;
    }
    if (!clear && !st->override_reason) {
        reply_problem(rq, 409, "not-clear", "Overlaps or fatigue block outreach",
                      "Resolve the open overlaps (or acknowledge them), or send override_reason to proceed.", NULL,
                      json_pack("{s:O, s:o}", "overlaps", st->open_overlaps, "fatigue", exceeded));
        return;
    }
    json_decref(exceeded);
    const char *p[] = { rq->path_param, st->override_reason };
    db_query(rq->conn,
             SQL_OUTREACH_MARK,
             2, p, on_outreach_done, rq);
}

static void on_preflight_loaded(PGresult *res, void *arg)
{
    request *rq = arg;
    fstate *st = rq->state;
    server *srv = rq->srv;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        consultation_not_found(rq);
        return;
    }
    st->side_doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    st->open_overlaps = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
    snprintf(st->status, sizeof st->status, "%s", PQgetvalue(res, 0, 2));
    if (!st->side_doc || !st->open_overlaps || overlap_side_init(&st->side, st->side_doc) < 0) {
        reply_unavailable(rq);
        return;
    }
    snprintf(st->owner, sizeof st->owner, "%s", st->side.org);
    if (st->outreach && strcmp(st->owner, rq->org_id) != 0 && rq->role != ROLE_ADMIN) {
        reply_problem(rq, 403, "forbidden", "Forbidden",
                      "Only the organisation that posted this consultation may mark its outreach sent.", NULL, NULL);
        return;
    }
    /* Rows that can reach its areas in the fatigue windows of its months. */
    strlist areas = { NULL, 0 }, scope = { NULL, 0 };
    /* Every area counts: a stored consultation has at most AREAS_MAX. */
    const char *a[AREAS_MAX], *s[OVERLAP_SCOPE_MAX];
    size_t na = 0;
    size_t i;
    json_t *e;
    json_array_foreach(st->side.areas, i, e) {
        if (na == AREAS_MAX) {
            api_reply_areas_too_wide(rq);
            return;
        }
        a[na++] = json_string_value(e);
    }
    long ns = areas_scope(srv->areas, a, na, s, OVERLAP_SCOPE_MAX);
    if (ns < 0) { /* its write fitted, but the register has grown since: never check a truncated scope */
        api_reply_areas_too_wide(rq);
        return;
    }
    areas.items = (char **)a;
    areas.n = na;
    scope.items = (char **)s;
    scope.n = (size_t)ns;
    st->areas_lit = strlist_to_pg(&areas);
    st->scope_lit = strlist_to_pg(&scope);
    overlap_iso_date(st->side.start - srv->cfg->fatigue_window_days, st->from);
    overlap_iso_date(st->side.end + 31, st->to);
    if (!st->areas_lit || !st->scope_lit) {
        reply_unavailable(rq);
        return;
    }
    const char *p[] = { st->areas_lit, st->scope_lit, st->from, st->to };
    db_query(rq->conn,
             SQL_PREFLIGHT_FATIGUE_ROWS,
             4, p, on_preflight_fatigue, rq);
}

static void preflight_begin(request *rq, bool outreach)
{
    if (!uuid_valid(rq->path_param)) {
        consultation_not_found(rq);
        return;
    }
    if (!rq->srv->vocab || !rq->srv->areas) {
        reply_unavailable(rq);
        return;
    }
    fstate *st = fstate_new(rq);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    st->outreach = outreach;
    if (outreach && rq->body) {
        json_t *errors = json_array();
        const char *key;
        json_t *val;
        json_object_foreach(rq->body, key, val) {
            if (strcmp(key, "override_reason") != 0)
                errors_add(errors, key, "unknown field (outreach takes override_reason)");
            else if (!json_is_string(val))
                errors_add(errors, key, "must be a string");
            else if (!*json_string_value(val))
                errors_add(errors, key, "must not be empty: give the reason to go ahead anyway");
            else if (utf8_length(json_string_value(val)) > OVERRIDE_MAX)
                errors_add(errors, key, "must be at most %d characters", OVERRIDE_MAX);
            else
                st->override_reason = json_string_value(val);
        }
        if (json_array_size(errors)) {
            reply_problem(rq, 422, "validation", "Invalid request", "One or more fields are invalid.", errors, NULL);
            return;
        }
        json_decref(errors);
    }
    const char *p[] = { rq->path_param };
    db_query(rq->conn,
             SQL_PREFLIGHT_LOAD,
             1, p, on_preflight_loaded, rq);
}

void api_preflight(request *rq)
{
    preflight_begin(rq, false);
}

void api_outreach(request *rq)
{
    preflight_begin(rq, true);
}

/* ---- GET /v1/fatigue ------------------------------------------------------------ */

static void on_fatigue_rows(PGresult *res, void *arg)
{
    request *rq = arg;
    fstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    overlap_side *rows;
    size_t n = load_rows(res, &rows);
    json_t *items = json_array();
    fatigue_buckets(rows, n, &st->q, rq->srv->vocab, items);
    free_rows(rows, n);
    reply_json(rq, 200, json_pack("{s:s, s:i, s:i, s:b, s:o}", "area", st->q.area, "max_asks", st->q.max_asks,
                                  "window_days", st->q.window_days, "truncated", PQntuples(res) >= FATIGUE_MAX_ROWS,
                                  "items", items));
}

void api_fatigue(request *rq)
{
    server *srv = rq->srv;
    if (!srv->vocab || !srv->areas) {
        reply_unavailable(rq);
        return;
    }
    fstate *st = fstate_new(rq);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    json_t *errors = json_array();
    if (api_resolve_area_param(rq, errors) < 0) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    const char *code = NULL, *community = NULL, *from = NULL, *to = NULL;
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, &rq->query, next) {
        if (strcmp(kv->key, "area") == 0)
            code = kv->value;
        else if (strcmp(kv->key, "community") == 0)
            community = kv->value;
        else if (strcmp(kv->key, "from") == 0)
            from = kv->value;
        else if (strcmp(kv->key, "to") == 0)
            to = kv->value;
        else
            errors_add(errors, kv->key, "unknown query parameter");
    }
    long dfrom = 0, dto = 0;
    if (!code || !ons_code_valid(code))
        errors_add(errors, "area", "is required: an ONS GSS code like E09000007");
    if (from)
        date_parse_field(from, &dfrom, "from", "must be a date as YYYY-MM-DD", errors);
    if (to)
        date_parse_field(to, &dto, "to", "must be a date as YYYY-MM-DD", errors);
    if (community) {
        const vocab_term *t = vocab_resolve(srv->vocab, VOCAB_COMMUNITIES, community);
        if (!t)
            errors_add(errors, "community", "is not in the communities vocabulary");
        else
            snprintf(st->community, sizeof st->community, "%s", t->code);
    }
    if (json_array_size(errors) == 0) {
        if (!from)
            dfrom = (long)(time(NULL) / 86400);
        if (!to)
            dto = dfrom + 365;
        int m0 = overlap_month(dfrom), m1 = overlap_month(dto);
        if (m1 < m0)
            errors_add(errors, "to", "must not be before from");
        else if (m1 - m0 + 1 > FATIGUE_MAX_MONTHS)
            errors_add(errors, "to", "the range may span at most %d months", FATIGUE_MAX_MONTHS);
        st->q.first_month = m0;
        st->q.months = m1 - m0 + 1;
    }
    if (json_array_size(errors)) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    st->q.area = code;
    st->q.nscope = areas_scope_one(srv->areas, code, st->scope);
    st->q.area_scope = st->scope;
    st->q.community = community ? st->community : NULL;
    st->q.window_days = srv->cfg->fatigue_window_days;
    st->q.max_asks = srv->cfg->fatigue_max_asks;
    strlist scope = { (char **)st->scope, st->q.nscope };
    st->scope_lit = strlist_to_pg(&scope);
    overlap_iso_date(dfrom - st->q.window_days - 31, st->from);
    overlap_iso_date(dto + 31, st->to);
    if (!st->scope_lit) {
        reply_unavailable(rq);
        return;
    }
    const char *p[] = { code, st->scope_lit, st->from, st->to };
    db_query(rq->conn,
             SQL_FATIGUE_AREA_ROWS,
             4, p, on_fatigue_rows, rq);
}
