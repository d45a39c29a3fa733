/* api_common.c - ETag and If-Match handling. */
#include "api_common.h"

#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "area_input.h"
#include "field_errors.h"
#include "http_reply.h"
#include "overlap_plan.h"
#include "server.h"

void api_set_etag(request *rq, const char *version)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%.24s\"", version);
    reply_header(rq, "ETag", etag);
}

long api_read_if_match(request *rq, const char *what)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "If-Match");
    if (!h) {
        char detail[160];
        snprintf(detail, sizeof detail, "Send If-Match with the ETag from your last read of this %s.", what);
        reply_problem(rq, 428, "precondition-required", "Precondition required", detail, NULL, NULL);
        return -1;
    }
    while (*h == ' ')
        h++;
    if (strcmp(h, "*") == 0)
        return 0;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    char *end = NULL;
    long v = *h == '"' ? strtol(h + 1, &end, 10) : -1;
    if (v < 1 || !end || *end != '"' || end[1] != '\0') {
        reply_problem(rq, 400, "bad-header", "Bad header", "If-Match must be an ETag such as \"3\".", NULL, NULL);
        return -2;
    }
    return v;
}

void api_reply_versioned(request *rq, const PGresult *res, int status, const char *slug, const char *title,
                         const char *detail)
{
    int row = db_ok(res) && PQntuples(res) > 0 ? 0 : -1;
    api_reply_versioned_row(rq, res, row, status, slug, title, detail);
}

void api_reply_versioned_row(request *rq, const PGresult *res, int row, int status, const char *slug,
                             const char *title, const char *detail)
{
    if (reply_if_db_error(rq, res))
        return;
    if (row < 0) {
        reply_problem(rq, status, slug, title, detail, NULL, NULL);
        return;
    }
    api_set_etag(rq, PQgetvalue(res, row, 0));
    reply_json_text(rq, 200, PQgetvalue(res, row, 1), (size_t)PQgetlength(res, row, 1));
}

int api_check_change(request *rq, const PGresult *res, long want_version, char owner[UUID_STR_LEN],
                     char version[24])
{
    if (reply_if_db_error(rq, res))
        return -1;
    if (PQntuples(res) == 0) {
        reply_problem(rq, 404, "not-found", "Not found", "No consultation with this id.", NULL, NULL);
        return -1;
    }
    snprintf(owner, UUID_STR_LEN, "%s", PQgetvalue(res, 0, 2));
    if (strcmp(owner, rq->org_id) != 0 && rq->role != ROLE_ADMIN) {
        reply_problem(rq, 403, "forbidden", "Forbidden",
                      "Only the organisation that posted this consultation (or an admin) may change it.", NULL, NULL);
        return -1;
    }
    long current = atol(PQgetvalue(res, 0, 0));
    if (want_version != 0 && want_version != current) {
        api_set_etag(rq, PQgetvalue(res, 0, 0));
        reply_problem(rq, 412, "precondition-failed", "Precondition failed",
                      "The consultation has changed since you read it; read it again and retry.", NULL, NULL);
        return -1;
    }
    snprintf(version, 24, "%ld", current);
    return 0;
}

/* {"items": [rows' column 1...], "next_cursor": ...}: rows are JSON already. */
void api_reply_page(request *rq, PGresult *res, int limit)
{
    int rows = PQntuples(res);
    int shown = rows > limit ? limit : rows;
    size_t cap = 96;
    for (int i = 0; i < shown; i++)
        cap += (size_t)PQgetlength(res, i, 1) + 1;
    char *out = malloc(cap);
    if (!out) {
        reply_unavailable(rq);
        return;
    }
    size_t o = 10;
    memcpy(out, "{\"items\":[", 10);
    for (int i = 0; i < shown; i++) {
        if (i)
            out[o++] = ',';
        size_t n = (size_t)PQgetlength(res, i, 1);
        memcpy(out + o, PQgetvalue(res, i, 1), n);
        o += n;
    }
    if (rows > shown) {
        char cursor[48];
        list_cursor_encode(PQgetvalue(res, shown - 1, 0), cursor, sizeof cursor);
        o += (size_t)snprintf(out + o, cap - o, "],\"next_cursor\":\"%s\"}", cursor);
    } else {
        o += (size_t)snprintf(out + o, cap - o, "],\"next_cursor\":null}");
    }
    reply_json_text(rq, 200, out, o);
    free(out);
}

typedef struct list_state {
    list_query q;
} list_state;

static void list_state_free(void *p)
{
    list_state *st = p;
    list_query_free(&st->q);
    free(st);
}

static void on_list(PGresult *res, void *arg)
{
    request *rq = arg;
    list_state *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    api_reply_page(rq, res, st->q.limit);
}

/* Sets up the list state; NULL after replying 503. */
static list_state *list_begin(request *rq)
{
    list_state *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return NULL;
    }
    rq->state = st;
    rq->state_free = list_state_free;
    return st;
}

/* Runs a built list query, or replies 400 with the errors of a failed build. */
static void list_run(request *rq, list_state *st, int built, json_t *errors)
{
    if (built < 0) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    db_query_dynamic(rq->conn, st->q.sql, st->q.nparams, st->q.params, on_list, rq);
}

int api_resolve_area_param(request *rq, json_t *errors)
{
    struct evkeyval *kv;
    int rc = 0;
    TAILQ_FOREACH(kv, &rq->query, next) {
        if (strcmp(kv->key, "area") != 0)
            continue;
        area_code code;
        if (!area_input_resolve(rq->srv->areas, kv->value, "area", code, errors, NULL)) {
            rc = -1;
            continue;
        }
        char *v = strdup(code);
        if (!v)
            return -1;
        free(kv->value);
        kv->value = v;
    }
    return rc;
}

void api_list(request *rq, api_list_builder build)
{
    list_state *st = list_begin(rq);
    if (!st)
        return;
    json_t *errors = json_array();
    bool bad_area = api_resolve_area_param(rq, errors) < 0;
    size_t resolved = json_array_size(errors);
    int built = build(&rq->query, rq->srv->vocab, rq->srv->areas, &st->q, errors);
    /* every bad parameter is named once: the resolver has said why the area is bad */
    for (size_t i = json_array_size(errors); bad_area && i-- > resolved;) {
        const char *f = json_string_value(json_object_get(json_array_get(errors, i), "field"));
        if (f && strcmp(f, "area") == 0)
            json_array_remove(errors, i);
    }
    list_run(rq, st, bad_area ? -1 : built, errors);
}

void api_list_scoped(request *rq, api_scoped_builder build, const char *scope)
{
    list_state *st = list_begin(rq);
    if (!st)
        return;
    json_t *errors = json_array();
    list_run(rq, st, build(&rq->query, scope, &st->q, errors), errors);
}

void api_reply_areas_too_wide(request *rq)
{
    json_t *errors = json_array();
    errors_add(errors, "areas", "reach more than %d areas in all, with what they contain and what contains them;"
               " split the consultation or name fewer, larger areas", OVERLAP_SCOPE_MAX);
    reply_problem(rq, 422, "validation", "Too many areas",
                  "The areas reach more areas than one overlap check covers.", errors, NULL);
}
