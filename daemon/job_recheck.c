/* job_recheck.c - the re-check worker: recheck_pending, drained on the event loop. */
#include "job_recheck.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "job_dispatch.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "overlap_plan.h"
#include "store_consultations.h"

struct recheck {
    server *srv;
    db_pool *db;
    db_pool *listener;
    struct event *poll;
    bool running, again;
    db_conn *conn;                /* held while draining */
    /* the consultation being checked */
    char id[UUID_STR_LEN];
    char version[24];
    char generation[24];
    overlap_side side;
    overlap_plan plan;
    char *rows;
    bool chained;                 /* the last pipeline also began the next claim */
    bool deferred;                /* the item was deferred, not checked */
    /* the gauge */
    bool depth_busy;
    db_conn *depth_conn;          /* held while the depth is read */
    long depth;
    unsigned long checked;        /* re-checks committed by this instance */
};

static void claim(recheck *w);
static void on_claimed(PGresult *const *res, int n, void *arg);
static void on_done(PGresult *const *res, int n, void *arg);

#define CLAIM_CALLS(p) \
    { "BEGIN", 0, NULL, NULL }, { SQL_RECHECK_CLAIM, 1, p, "recheck_claim" }

/* Sends calls (n of them, ending in COMMIT) and, in the same round trip unless
 * the daemon is stopping, BEGIN and the next claim (calls has room for two more). */
static void commit_and_claim(recheck *w, db_call *calls, int n)
{
    w->chained = !w->srv->stopping && w->srv->areas;
    const char *p[] = { w->generation };
    if (w->chained) {
        snprintf(w->generation, sizeof w->generation, "%lld", w->srv->areas->generation);
        db_call more[] = { CLAIM_CALLS(p) };
        calls[n++] = more[0];
        calls[n++] = more[1];
    }
    db_pipeline(w->conn, calls, n, on_done, w);
}

static void clear_item(recheck *w)
{
    w->deferred = false;
    overlap_side_clear(&w->side);
    overlap_plan_clear(&w->plan);
    free(w->rows);
    w->rows = NULL;
}

static void finish(recheck *w, const char *why)
{
    if (why)
        log_warn("re-check: stopped: %s (the queue is kept; retrying on the next poll)", why);
    if (w->conn)
        db_release(w->conn); /* rolls back anything left open */
    w->conn = NULL;
    clear_item(w);
    w->running = false;
    if (w->again && !why) {
        w->again = false;
        recheck_run(w);
    }
}

/* true (after finishing) when a pipeline failed. */
static bool failed(recheck *w, PGresult *const *res, int n)
{
    bool lost;
    const PGresult *bad = db_pipeline_failure(res, n, &lost);
    if (!lost && !bad)
        return false;
    char why[300];
    snprintf(why, sizeof why, "%s", lost ? "database connection lost" : PQresultErrorMessage(bad));
    why[strcspn(why, "\n")] = '\0';
    finish(w, why);
    return true;
}

static void next(recheck *w)
{
    clear_item(w);
    if (w->srv->stopping || !w->srv->areas) {
        finish(w, NULL);
        return;
    }
    claim(w);
}

static void on_done(PGresult *const *res, int n, void *arg)
{
    recheck *w = arg;
    int own = w->chained ? n - 2 : n; /* this item's results; then the next claim's */
    if (failed(w, res, own))
        return;
    if (own == 3) { /* the overlaps were written */
        w->srv->overlaps_detected += (unsigned long)atol(PQgetvalue(res[0], 0, 1));
        if (atol(PQgetvalue(res[0], 0, 2)) > 0)
            dispatcher_events_written(w->srv->alerts);
    }
    if (!w->deferred)
        w->checked++;
    if (!w->chained) {
        next(w);
        return;
    }
    clear_item(w);
    on_claimed(res + own, 2, w);
}

static void on_changed_meanwhile(PGresult *res, void *arg)
{
    recheck *w = arg;
    if (!db_ok(res)) {
        finish(w, "ROLLBACK failed");
        return;
    }
    next(w); /* still queued: claimed again with its new version */
}

static void on_applied(PGresult *const *res, int n, void *arg)
{
    recheck *w = arg;
    if (failed(w, res, n))
        return;
    const PGresult *applied = res[n - 1];
    if (PQntuples(applied) == 0) {
        db_query(w->conn, "ROLLBACK", 0, NULL, on_changed_meanwhile, w);
        return;
    }
    server *srv = w->srv;
    json_t *candidates = json_loads(PQgetvalue(applied, 0, 0), 0, NULL);
    json_t *rows = candidates ? overlap_plan_score(&w->side, candidates, srv->vocab, srv->areas,
                                                   srv->text_weights, srv->cfg->overlap_window_days)
                              : NULL;
    json_decref(candidates);
    w->rows = rows ? json_dumps(rows, JSON_COMPACT) : NULL;
    json_decref(rows);
    if (!w->rows) {
        finish(w, "out of memory");
        return;
    }
    const char *up[] = { w->rows, w->id, "true" };
    const char *dq[] = { w->id };
    db_call calls[5] = {
        { SQL_OVERLAPS_UPSERT, 3, up, "overlaps_upsert" },
        { SQL_RECHECK_DEQUEUE, 1, dq, "recheck_dequeue" },
        { "COMMIT", 0, NULL, NULL },
    };
    commit_and_claim(w, calls, 3);
}

/* Builds the consultation's view with a fresh scope, then locks and rewrites. */
static void check(recheck *w, const char *side_json)
{
    server *srv = w->srv;
    json_t *doc = json_loads(side_json, 0, NULL);
    json_t *areas = json_object_get(doc, "areas");
    size_t n = json_array_size(areas);
    const char **codes = calloc(n + 1, sizeof *codes);
    for (size_t i = 0; codes && i < n; i++)
        codes[i] = json_string_value(json_array_get(areas, i));
    json_t *scope = NULL;
    int src = codes ? overlap_plan_scope(srv->areas, codes, n, &scope) : -2;
    free(codes);
    if (src == OVERLAP_SCOPE_TOO_WIDE) {
        /* Never checked against a truncated scope: the item stays queued,
         * deferred behind the rest, and is tried again later (the register or
         * the consultation may have changed by then). */
        json_decref(doc);
        log_warn("re-check: consultation %s: its areas now reach more than " DB_STR(OVERLAP_SCOPE_MAX)
                 " areas; deferred " DB_STR(RECHECK_DEFER_S) " s (the rest of the queue goes on)", w->id);
        const char *dp[] = { w->id };
        w->deferred = true;
        db_call calls[4] = { { SQL_RECHECK_DEFER, 1, dp, "recheck_defer" }, { "COMMIT", 0, NULL, NULL } };
        commit_and_claim(w, calls, 2);
        return;
    }
    int rc = doc && scope ? json_object_set_new(doc, "scope", scope) : (json_decref(scope), -1);
    if (rc == 0)
        rc = overlap_side_init(&w->side, doc);
    json_decref(doc);
    if (rc < 0 || overlap_plan_build(&w->plan, &w->side, srv->cfg->overlap_window_days) < 0) {
        finish(w, "cannot read a queued consultation, or out of memory");
        return;
    }
    const char *lp[] = { w->plan.locks, w->plan.modes };
    const char *ap[] = { w->id, w->version, w->plan.scope, w->plan.keys, w->plan.probe, w->plan.from, w->plan.to };
    db_call calls[] = {
        { SQL_LOCK_BUCKETS, 2, lp, "lock_buckets" },
        { SQL_RECHECK_APPLY, 7, ap, "recheck_apply" },
    };
    db_pipeline(w->conn, calls, 2, on_applied, w);
}

static void on_claimed(PGresult *const *res, int n, void *arg)
{
    recheck *w = arg;
    if (failed(w, res, n))
        return;
    const PGresult *c = res[n - 1];
    if (PQntuples(c) == 0) { /* nothing queued that this register may check */
        finish(w, NULL);
        return;
    }
    snprintf(w->id, sizeof w->id, "%s", PQgetvalue(c, 0, 0));
    snprintf(w->version, sizeof w->version, "%s", PQgetvalue(c, 0, 1));
    if (strcmp(PQgetvalue(c, 0, 2), "cancelled") == 0) { /* no keys, no live overlaps: nothing to check */
        const char *dq[] = { w->id };
        db_call calls[4] = { { SQL_RECHECK_DEQUEUE, 1, dq, "recheck_dequeue" }, { "COMMIT", 0, NULL, NULL } };
        commit_and_claim(w, calls, 2);
        return;
    }
    check(w, PQgetvalue(c, 0, 3));
}

static void claim(recheck *w)
{
    snprintf(w->generation, sizeof w->generation, "%lld", w->srv->areas->generation);
    const char *p[] = { w->generation };
    db_call calls[] = { CLAIM_CALLS(p) };
    db_pipeline(w->conn, calls, 2, on_claimed, w);
}

static void on_conn(db_conn *conn, void *arg)
{
    recheck *w = arg;
    if (!conn) {
        w->running = false;
        return;
    }
    w->conn = conn;
    next(w);
}

void recheck_run(recheck *w)
{
    if (!w)
        return;
    if (w->running) {
        w->again = true;
        return;
    }
    if (w->srv->stopping || !w->srv->areas || !w->srv->vocab)
        return;
    w->running = true;
    db_acquire(w->db, on_conn, w);
}

/* ---- the queue depth gauge ------------------------------------------------------ */

static void on_depth(PGresult *res, void *arg)
{
    recheck *w = arg;
    if (db_ok(res) && PQntuples(res) == 1)
        w->depth = atol(PQgetvalue(res, 0, 0));
    db_conn *conn = w->depth_conn;
    w->depth_conn = NULL;
    db_release(conn);
    w->depth_busy = false;
}

/* The gauge's connection is kept in w (nothing allocated per poll), so a
 * daemon stopping with the query in flight leaves nothing behind: the pool
 * is freed with its connections. */
static void on_depth_conn(db_conn *conn, void *arg)
{
    recheck *w = arg;
    if (!conn) {
        w->depth_busy = false;
        return;
    }
    w->depth_conn = conn;
    db_query(conn, SQL_RECHECK_DEPTH, 0, NULL, on_depth, w);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    recheck *w = arg;
    if (!w->depth_busy && !w->srv->stopping && db_pool_up(w->db)) {
        w->depth_busy = true;
        db_acquire(w->db, on_depth_conn, w);
    }
    recheck_run(w);
}

static void on_notify(bool notified, void *arg)
{
    recheck *w = arg;
    if (notified) { /* the register changed: reload it now, then check */
        w->srv->catalog_due = true;
        catalog_refresh(w->srv);
    } else {
        log_info("re-check: listening for area register changes");
    }
    recheck_run(w);
}

recheck *recheck_new(server *srv)
{
    recheck *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->srv = srv;
    const config *cfg = srv->cfg;
    w->db = db_pool_new(srv->base, cfg->database_url, RECHECK_DB_CONNECTIONS, 4, cfg->database_statement_timeout_ms,
                        cfg->database_connect_timeout_s);
    w->listener = db_listener_new(srv->base, cfg->database_url, "consultd_areas", cfg->database_connect_timeout_s,
                                  on_notify, w);
    w->poll = event_new(srv->base, -1, EV_PERSIST, on_poll, w);
    struct timeval every = { RECHECK_POLL_MS / 1000, (RECHECK_POLL_MS % 1000) * 1000 };
    if (!w->db || !w->listener || !w->poll || event_add(w->poll, &every) != 0) {
        recheck_free(w);
        return NULL;
    }
    return w;
}

void recheck_free(recheck *w)
{
    if (!w)
        return;
    if (w->poll)
        event_free(w->poll);
    db_pool_free(w->listener);
    db_pool_free(w->db);
    clear_item(w);
    free(w);
}

bool recheck_busy(const recheck *w)
{
    return w && w->conn;
}

void recheck_metrics(const recheck *w, char **buf, size_t *len, size_t *cap)
{
    metrics_appendf(buf, len, cap,
                    "# HELP consultd_recheck_queue_depth Consultations waiting to be checked again after an area "
                    "register change (as of the last poll).\n"
                    "# TYPE consultd_recheck_queue_depth gauge\nconsultd_recheck_queue_depth %ld\n"
                    "# HELP consultd_rechecks_total Consultations checked again by this instance.\n"
                    "# TYPE consultd_rechecks_total counter\nconsultd_rechecks_total %lu\n"
                    "# HELP consultd_area_register_generation The area register generation this instance holds.\n"
                    "# TYPE consultd_area_register_generation gauge\nconsultd_area_register_generation %lld\n",
                    w ? w->depth : 0L, w ? w->checked : 0UL,
                    w && w->srv->areas ? w->srv->areas->generation : 0LL);
}
