/* api_consultations.c - GET (one, list) and DELETE /v1/consultations.
 * POST and PATCH, which run the overlap check, are in consultation_write.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "http_reply.h"
#include "list_query.h"
#include "server.h"
#include "store_consultations.h"

static void not_found(request *rq)
{
    reply_problem(rq, 404, "not-found", "Not found", "No consultation with this id.", NULL, NULL);
}

/* ---- GET one -------------------------------------------------------------- */

static void on_get(PGresult *res, void *arg)
{
    api_reply_versioned(arg, res, 404, "not-found", "Not found",
                        "No consultation with this id.");
}

void api_consultation_get(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    const char *p[] = { rq->path_param };
    db_query(rq->conn, SQL_CONSULTATION_GET, 1, p, on_get, rq);
}

/* ---- DELETE: cancel ------------------------------------------------------- */

typedef struct dstate {
    char version[24];
} dstate;

static void on_cancelled(PGresult *res, void *arg)
{
    api_reply_versioned(arg, res, 412, "precondition-failed", "Precondition failed",
                        "The consultation changed while this request ran; read it again and retry.");
}

static void on_delete_loaded(PGresult *res, void *arg)
{
    request *rq = arg;
    dstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        not_found(rq);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 2), rq->org_id) != 0 && rq->role != ROLE_ADMIN) {
        reply_problem(rq, 403, "forbidden", "Forbidden",
                      "Only the organisation that posted this consultation (or an admin) may change it.", NULL, NULL);
        return;
    }
    long current = atol(PQgetvalue(res, 0, 0));
    if (atol(st->version) != 0 && atol(st->version) != current) {
        api_set_etag(rq, PQgetvalue(res, 0, 0));
        reply_problem(rq, 412, "precondition-failed", "Precondition failed",
                      "The consultation has changed since you read it; read it again and retry.", NULL, NULL);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 3), "cancelled") == 0) {
        api_set_etag(rq, PQgetvalue(res, 0, 0));
        reply_json_text(rq, 200, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
        return;
    }
    snprintf(st->version, sizeof st->version, "%ld", current);
    const char *p[] = { rq->path_param, st->version };
    db_query(rq->conn, SQL_CONSULTATION_CANCEL, 2, p, on_cancelled, rq);
}

void api_consultation_delete(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    long want = api_read_if_match(rq, "consultation");
    if (want < 0)
        return;
    dstate *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    rq->state = st;
    rq->state_free = free;
    snprintf(st->version, sizeof st->version, "%ld", want);
    const char *p[] = { rq->path_param };
    db_query(rq->conn, SQL_CONSULTATION_GET, 1, p, on_delete_loaded, rq);
}

/* ---- GET list ------------------------------------------------------------- */

typedef struct lstate {
    list_query q;
} lstate;

static void lstate_free(void *p)
{
    lstate *st = p;
    list_query_free(&st->q);
    free(st);
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

static void on_list(PGresult *res, void *arg)
{
    request *rq = arg;
    lstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    api_reply_page(rq, res, st->q.limit);
}

void api_consultation_list(request *rq)
{
    if (!rq->srv->vocab) {
        reply_unavailable(rq);
        return;
    }
    lstate *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    rq->state = st;
    rq->state_free = lstate_free;
    json_t *errors = json_array();
    if (list_query_build(&rq->query, rq->srv->vocab, &st->q, errors) < 0) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    db_query(rq->conn, st->q.sql, st->q.nparams, st->q.params, on_list, rq);
}
