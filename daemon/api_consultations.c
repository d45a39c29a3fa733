/* api_consultations.c - GET (one, list) and DELETE /v1/consultations.
 * POST and PATCH, which run the overlap check, are in api_consultations_write.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "db_batch.h"
#include "job_dispatch.h"
#include "http_reply.h"
#include "list_query.h"
#include "server.h"
#include "store_consultations.h"

static void not_found(request *rq)
{
    reply_problem(rq, 404, "not-found", "Not found", "No consultation with this id.", NULL, NULL);
}

/* ---- GET one -------------------------------------------------------------- */

static void on_get(const PGresult *res, int row, void *arg)
{
    api_reply_versioned_row(arg, res, row, 404, "not-found", "Not found", "No consultation with this id.");
}

void api_consultation_get(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    /* holds no connection (router.c); read with the other ids asked for in this turn of the loop */
    db_batch_get(rq->srv->consultation_reads, rq->path_param, on_get, rq);
}

/* ---- DELETE: cancel ------------------------------------------------------- */

typedef struct dstate {
    char version[24];
} dstate;

static void on_cancelled(PGresult *res, void *arg)
{
    request *rq = arg;
    if (db_ok(res) && PQntuples(res) == 1 && atol(PQgetvalue(res, 0, 3)) > 0)
        dispatcher_events_written(rq->srv->alerts); /* committed: the statement is the transaction */
    api_reply_versioned(arg, res, 412, "precondition-failed", "Precondition failed",
                        "The consultation changed while this request ran; read it again and retry.");
}

static void on_delete_loaded(PGresult *res, void *arg)
{
    request *rq = arg;
    dstate *st = rq->state;
    char owner[UUID_STR_LEN];
    if (api_check_change(rq, res, atol(st->version), owner, st->version) < 0)
        return;
    if (strcmp(PQgetvalue(res, 0, 3), "cancelled") == 0) { /* cancelling twice changes nothing */
        api_set_etag(rq, PQgetvalue(res, 0, 0));
        reply_json_text(rq, 200, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
        return;
    }
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

void api_consultation_list(request *rq)
{
    if (!rq->srv->vocab) {
        reply_unavailable(rq);
        return;
    }
    api_list(rq, list_query_build);
}
