/* api_subscriptions_patch.c - PATCH /v1/subscriptions/{id}: a coordinator
 * changes a subscription's events, filters, format or delivery in place (its
 * target and signing secret stay), as a JSON Merge Patch under If-Match.
 *
 * One transaction on the request's connection:
 *   BEGIN, lock the row (SQL_SUBSCRIPTION_LOCK: waits for a digest window
 *          being closed at this moment, and keeps job_digest off it after)
 *   check If-Match against its version, merge and check the body
 *          (subscription_patch_body, then subscription_parse as at creation)
 *   [digest -> immediate: take every held event, build the final digest
 *          with digest_body and close the window with SQL_DIGEST_CLOSE, as
 *          job_digest.c does]
 *   UPDATE (version + 1), COMMIT, reply 200 with the subscription and ETag.
 * A disabled subscription (its receiver answered 410) is 409, as for its
 * test ping: nothing more is sent to it, so there is nothing to change.
 * Any failure replies, and the release of the connection rolls back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "fmt_digest.h"
#include "http_reply.h"
#include "job_dispatch.h"
#include "server.h"
#include "store_digests.h"
#include "store_subscriptions.h"
#include "subscription.h"
#include "subscription_patch.h"

typedef struct pstate {
    long want;                   /* If-Match version, 0 for "*" */
    subscription_input in;       /* the checked new settings; borrows from merged */
    json_t *merged;              /* the creation body the patch stands for */
    digest_schedule old;
    subscription_reschedule rs;
    time_t old_last_end, now;
    long held;                   /* events in the final digest */
    bool digest_queued;
} pstate;

static void pstate_free(void *p)
{
    pstate *st = p;
    subscription_input_free(&st->in);
    json_decref(st->merged);
    free(st);
}

static bool pipeline_failed(request *rq, PGresult *const *res, int n)
{
    bool lost;
    const PGresult *bad = db_pipeline_failure(res, n, &lost);
    if (lost)
        reply_unavailable(rq);
    else if (bad)
        reply_db_error(rq, bad);
    return lost || bad;
}

static void on_updated(PGresult *const *res, int n, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (pipeline_failed(rq, res, n))
        return;
    const PGresult *r = res[n - 2]; /* the UPDATE, before COMMIT */
    if (st->digest_queued)
        dispatcher_wake(rq->srv->alerts);
    api_set_etag(rq, PQgetvalue(r, 0, 0));
    reply_json_text(rq, 200, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
}

static char *dump(const json_t *a)
{
    return json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void epoch(char *buf, size_t size, time_t t)
{
    snprintf(buf, size, "%lld", (long long)t);
}

/* The UPDATE and COMMIT, after close (the final digest's SQL_DIGEST_CLOSE) if given. */
static void send_update(request *rq, const db_call *close)
{
    pstate *st = rq->state;
    subscription_input *in = &st->in;
    char *arr[7] = { dump(in->events), dump(in->areas), dump(in->area_ancestors), dump(in->topics),
                     dump(in->match_topics), dump(in->communities), dump(in->match_communities) };
    bool ok = true;
    for (int i = 0; i < 7; i++)
        ok = ok && arr[i];
    bool digest = in->schedule.delivery != DIGEST_IMMEDIATE;
    char last_end[24], next_at[24];
    epoch(last_end, sizeof last_end, st->rs.last_end);
    epoch(next_at, sizeof next_at, st->rs.next_at);
    const char *p[] = { rq->path_param, in->format, arr[0], arr[1], arr[2], arr[3], arr[4], arr[5], arr[6],
                        in->min_level, digest_delivery_name(in->schedule.delivery),
                        digest ? in->digest_time : NULL,
                        in->schedule.delivery == DIGEST_WEEKLY ? digest_day_name(in->schedule.weekday) : NULL,
                        digest ? last_end : NULL, digest ? next_at : NULL };
    db_call calls[3];
    int n = 0;
    if (close)
        calls[n++] = *close;
    calls[n++] = (db_call){ SQL_SUBSCRIPTION_UPDATE, 15, p, NULL };
    calls[n++] = (db_call){ "COMMIT", 0, NULL, NULL };
    if (ok)
        db_pipeline(rq->conn, calls, n, on_updated, rq);
    for (int i = 0; i < 7; i++)
        free(arr[i]);
    if (!ok)
        reply_unavailable(rq);
}

/* The held events taken: the final digest of the open window, closed as
 * job_digest.c closes one (an empty window is recorded with no event). */
static void on_taken(PGresult *const *res, int n, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (pipeline_failed(rq, res, n))
        return;
    const PGresult *r = res[0];
    int rows = PQntuples(r);
    st->held = rows > 0 ? atol(PQgetvalue(r, 0, 0)) : 0;
    char *text = NULL;
    char id[UUID_STR_LEN] = "";
    if (rows > 0) {
        json_t *events = json_array();
        long total = st->held;
        for (int i = 0; events && i < rows; i++) {
            json_t *e = json_loads(PQgetvalue(r, i, 1), 0, NULL);
            if (!e || json_array_append_new(events, e) != 0)
                total--; /* not JSON: left out, as job_digest.c does */
        }
        char base[512];
        config_public_url(rq->srv->cfg, base, sizeof base);
        digest_window win = { st->old.delivery, st->old_last_end, st->rs.flush_end, st->now, base };
        json_t *body = events ? digest_body(&win, events, (size_t)(total > 0 ? total : 0)) : NULL;
        json_decref(events);
        text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        st->held = total;
        if (!text || uuid7_new(id) < 0) {
            free(text);
            reply_unavailable(rq);
            return;
        }
        st->digest_queued = true;
    }
    char end[24], count[24];
    epoch(end, sizeof end, st->rs.flush_end);
    snprintf(count, sizeof count, "%ld", st->held);
    /* the window's next time is moot: the UPDATE after it makes the subscription immediate */
    const char *p[] = { rq->path_param, end, end, text ? id : NULL, text, count };
    db_call close = { SQL_DIGEST_CLOSE, 6, p, NULL };
    send_update(rq, &close);
    free(text);
}

static void on_locked(PGresult *const *res, int n, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (pipeline_failed(rq, res, n))
        return;
    const PGresult *r = res[1];
    if (PQntuples(r) == 0) {
        reply_problem(rq, 404, "not-found", "Not found", "No subscription with this id.", NULL, NULL);
        return;
    }
    if (st->want != 0 && st->want != atol(PQgetvalue(r, 0, 0))) {
        api_set_etag(rq, PQgetvalue(r, 0, 0));
        reply_problem(rq, 412, "precondition-failed", "Precondition failed",
                      "The subscription has changed since you read it; read it again and retry.", NULL, NULL);
        return;
    }
    if (strcmp(PQgetvalue(r, 0, 8), "active") != 0) {
        /* as POST .../test: a receiver that answered 410 gets nothing more */
        reply_problem(rq, 409, "subscription-disabled", "Subscription disabled",
                      "This subscription is disabled; create a new one.", NULL,
                      json_pack("{s:s}", "disabled_reason", PQgetvalue(r, 0, 9)));
        return;
    }
    json_t *stored = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    json_t *errors = json_array();
    if (!stored || !errors) {
        json_decref(stored);
        json_decref(errors);
        reply_unavailable(rq);
        return;
    }
    st->merged = subscription_patch_body(stored, rq->body, errors);
    json_decref(stored);
    server *srv = rq->srv;
    /* the target is not changed (subscription_patch_body): it was checked at
     * creation, and the dispatcher checks the address it connects to */
    int parsed = st->merged ? subscription_parse(st->merged, srv->vocab, srv->areas, true, &st->in, errors) : -1;
    if (json_array_size(errors) > 0) {
        reply_problem(rq, 422, "invalid-subscription", "Invalid subscription", "One or more fields are invalid.",
                      errors, NULL);
        return;
    }
    json_decref(errors);
    if (parsed < 0) { /* out of memory */
        reply_unavailable(rq);
        return;
    }
    int minute = 0, weekday = 0;
    digest_delivery delivery = DIGEST_IMMEDIATE;
    if (digest_delivery_parse(PQgetvalue(r, 0, 2), &delivery) < 0 ||
        digest_time_parse(PQgetvalue(r, 0, 3), &minute) < 0 || digest_day_parse(PQgetvalue(r, 0, 4), &weekday) < 0) {
        reply_unavailable(rq); /* the CHECK constraints of schema/012 make this unreachable */
        return;
    }
    st->old = (digest_schedule){ delivery, minute, weekday };
    st->old_last_end = (time_t)atoll(PQgetvalue(r, 0, 5));
    st->now = (time_t)atoll(PQgetvalue(r, 0, 6));
    subscription_reschedule_for(&st->old, st->old_last_end, &st->in.schedule, st->now,
                                (time_t)atoll(PQgetvalue(r, 0, 7)), &st->rs);
    if (!st->rs.flush) {
        send_update(rq, NULL);
        return;
    }
    const char *p[] = { rq->path_param };
    const db_call calls[] = { { SQL_SUBSCRIPTION_FLUSH_TAKE, 1, p, NULL } };
    db_pipeline(rq->conn, calls, 1, on_taken, rq);
}

void api_subscription_patch(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        reply_problem(rq, 404, "not-found", "Not found", "No subscription with this id.", NULL, NULL);
        return;
    }
    long want = api_read_if_match(rq, "subscription");
    if (want < 0)
        return;
    if (!rq->srv->vocab || !rq->srv->areas) {
        reply_unavailable(rq);
        return;
    }
    pstate *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    st->want = want;
    rq->state = st;
    rq->state_free = pstate_free;
    const char *p[] = { rq->path_param, rq->role == ROLE_ADMIN ? NULL : rq->org_id };
    const db_call calls[] = { { "BEGIN", 0, NULL, NULL }, { SQL_SUBSCRIPTION_LOCK, 2, p, NULL } };
    db_pipeline(rq->conn, calls, 2, on_locked, rq);
}
