/* api_subscriptions.c - /v1/subscriptions: coordinators' alert subscriptions.
 *
 * Coordinators see and manage their own organisation's subscriptions; admins
 * every one. Anyone else's subscription is 404, as if it did not exist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_common.h"
#include "job_dispatch.h"
#include "http_reply.h"
#include "list_query.h"
#include "server.h"
#include "store_subscriptions.h"
#include "subscription.h"
#include "webhook_sign.h"

/* The caller's scope: NULL (all) for admins, else their organisation. */
static const char *scope(const request *rq)
{
    return rq->role == ROLE_ADMIN ? NULL : rq->org_id;
}

static void not_found(request *rq)
{
    reply_problem(rq, 404, "not-found", "Not found", "No subscription with this id.", NULL, NULL);
}

/* ---- POST ------------------------------------------------------------------ */

typedef struct cstate {
    char id[UUID_STR_LEN];
    char secret[WEBHOOK_SECRET_MAX];
    bool mail_unset; /* an e-mail subscription while smtp.url is empty */
} cstate;

/* The warning of an e-mail subscription made while the server has no mail
 * server (smtp.url empty): it is stored and its alerts wait, retried, until
 * the operator sets smtp.url and reloads. */
#define MAIL_UNSET_WARNING \
    "E-mail is not set up on this server yet (smtp.url is not set): alerts to this address wait and are retried " \
    "until the operator configures a mail server."

static void cstate_free(void *p)
{
    cstate *st = p;
    memset(st->secret, 0, sizeof st->secret);
    free(st);
}

static void on_created(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    json_t *warnings = json_array(); /* set_new takes it, also on failure */
    if (warnings && st->mail_unset)
        json_array_append_new(warnings, json_string(MAIL_UNSET_WARNING));
    if (!doc || json_object_set_new(doc, "warnings", warnings) != 0 ||
        json_object_set_new(doc, "secret", json_string(st->secret)) != 0) {
        if (!doc)
            json_decref(warnings);
        json_decref(doc);
        reply_unavailable(rq);
        return;
    }
    char location[64], version[24];
    snprintf(location, sizeof location, "/v1/subscriptions/%s", st->id);
    snprintf(version, sizeof version, "%lld", json_integer_value(json_object_get(doc, "version")));
    api_set_etag(rq, version);
    reply_header(rq, "Location", location);
    reply_json(rq, 201, doc);
}

static char *dump(const json_t *a)
{
    return json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
}

void api_subscription_create(request *rq)
{
    server *srv = rq->srv;
    if (!srv->vocab || !srv->areas) {
        reply_unavailable(rq);
        return;
    }
    subscription_input in;
    json_t *errors = json_array();
    if (subscription_parse(rq->body, srv->vocab, srv->areas, srv->cfg->alerts_allow_private_targets, &in, errors) <
        0) {
        subscription_input_free(&in);
        reply_problem(rq, 422, "invalid-subscription", "Invalid subscription",
                      "One or more fields are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    cstate *st = calloc(1, sizeof *st);
    if (!st || uuid7_new(st->id) < 0 || webhook_secret_new(st->secret, sizeof st->secret) < 0) {
        free(st);
        subscription_input_free(&in);
        reply_unavailable(rq);
        return;
    }
    st->mail_unset = in.email && !*srv->cfg->smtp_url;
    rq->state = st;
    rq->state_free = cstate_free;
    char *arr[7] = { dump(in.events), dump(in.areas), dump(in.area_ancestors), dump(in.topics),
                     dump(in.match_topics), dump(in.communities), dump(in.match_communities) };
    bool ok = true;
    for (int i = 0; i < 7; i++)
        ok = ok && arr[i];
    /* a digest's first window opens now and closes at the first scheduled time */
    bool digest = in.schedule.delivery != DIGEST_IMMEDIATE;
    time_t now = time(NULL);
    char opened[24] = "", closes[24] = "";
    if (digest) {
        snprintf(opened, sizeof opened, "%lld", (long long)now);
        snprintf(closes, sizeof closes, "%lld", (long long)digest_next_after(&in.schedule, now));
    }
    const char *p[] = { st->id, rq->org_id, in.url, in.email, in.format, arr[0], arr[1], arr[2], arr[3], arr[4],
                        arr[5], arr[6], in.min_level, st->secret, digest_delivery_name(in.schedule.delivery),
                        digest ? in.digest_time : NULL,
                        in.schedule.delivery == DIGEST_WEEKLY ? digest_day_name(in.schedule.weekday) : NULL,
                        digest ? opened : NULL, digest ? closes : NULL };
    if (ok)
        db_query(rq->conn, SQL_SUBSCRIPTION_INSERT, 19, p, on_created, rq);
    for (int i = 0; i < 7; i++)
        free(arr[i]);
    subscription_input_free(&in);
    if (!ok)
        reply_unavailable(rq);
}

/* ---- GET list, GET one, DELETE -------------------------------------------------- */

void api_subscription_list(request *rq)
{
    api_list_scoped(rq, subscription_query_build, scope(rq));
}

static void on_get(PGresult *res, void *arg)
{
    api_reply_versioned(arg, res, 404, "not-found", "Not found", "No subscription with this id.");
}

void api_subscription_get(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    const char *p[] = { rq->path_param, scope(rq) };
    db_query(rq->conn, SQL_SUBSCRIPTION_GET, 2, p, on_get, rq);
}

static void on_deleted(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        not_found(rq);
        return;
    }
    reply_text(rq, 204, "application/json; charset=utf-8", "", 0);
}

void api_subscription_delete(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    const char *p[] = { rq->path_param, scope(rq) };
    db_query(rq->conn, SQL_SUBSCRIPTION_DELETE, 2, p, on_deleted, rq);
}

/* ---- GET deliveries ------------------------------------------------------------------ */

typedef struct dstate {
    char limit[16], before[24];
    int n;
} dstate;

static void on_attempts(PGresult *res, void *arg)
{
    request *rq = arg;
    dstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    int rows = PQntuples(res);
    int shown = rows > st->n ? st->n : rows;
    json_t *items = json_array();
    for (int i = 0; i < shown; i++)
        json_array_append_new(items, json_loads(PQgetvalue(res, i, 1), 0, NULL));
    json_t *next = json_null();
    if (rows > shown) {
        char cursor[40];
        snprintf(cursor, sizeof cursor, "d1.%s", PQgetvalue(res, shown - 1, 0));
        next = json_string(cursor);
    }
    reply_json(rq, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

static void on_visible(PGresult *res, void *arg)
{
    request *rq = arg;
    dstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        not_found(rq);
        return;
    }
    const char *p[] = { rq->path_param, st->before[0] ? st->before : NULL, st->limit };
    db_query(rq->conn, SQL_SUBSCRIPTION_ATTEMPTS, 3, p, on_attempts, rq);
}

void api_subscription_deliveries(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    dstate *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    rq->state = st;
    rq->state_free = free;
    st->n = LIST_DEFAULT_LIMIT;
    json_t *errors = json_array();
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, &rq->query, next) {
        char *end;
        if (strcmp(kv->key, "limit") == 0) {
            long n = strtol(kv->value, &end, 10);
            if (!*kv->value || *end || n < 1)
                errors_add(errors, "limit", "must be a whole number from 1 (larger than %d is read as %d)",
                           LIST_MAX_LIMIT, LIST_MAX_LIMIT);
            else
                st->n = n > LIST_MAX_LIMIT ? LIST_MAX_LIMIT : (int)n;
        } else if (strcmp(kv->key, "cursor") == 0) {
            long long id = strncmp(kv->value, "d1.", 3) == 0 ? strtoll(kv->value + 3, &end, 10) : 0;
            if (id <= 0 || *end)
                errors_add(errors, "cursor", "is not a cursor this server issued");
            else
                snprintf(st->before, sizeof st->before, "%lld", id);
        } else {
            errors_add(errors, kv->key, "unknown query parameter");
        }
    }
    if (json_array_size(errors) > 0) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    snprintf(st->limit, sizeof st->limit, "%d", st->n);
    const char *p[] = { rq->path_param, scope(rq) };
    db_query(rq->conn, SQL_SUBSCRIPTION_VISIBLE, 2, p, on_visible, rq);
}

/* ---- POST test: a ping ------------------------------------------------------------------ */

static void on_ping(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        not_found(rq);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "active") != 0) {
        reply_problem(rq, 409, "subscription-disabled", "Subscription disabled",
                      "This subscription is disabled; create a new one.", NULL,
                      json_pack("{s:s}", "disabled_reason", PQgetvalue(res, 0, 2)));
        return;
    }
    dispatcher_events_written(rq->srv->alerts);
    reply_json(rq, 202, json_pack("{s:s, s:s}", "event_id", PQgetvalue(res, 0, 0), "type", "ping"));
}

void api_subscription_test(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    const char *p[] = { rq->path_param, scope(rq) };
    db_query(rq->conn, SQL_SUBSCRIPTION_PING, 2, p, on_ping, rq);
}
