/* job_digest.c - digest windows closed in PostgreSQL (see job_digest.h). */
#include "job_digest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt_digest.h"
#include "digest_schedule.h"
#include "job_dispatch.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "store_digests.h"

#define GAUGES_EVERY_S 1

struct digest_worker {
    server *srv;
    db_pool *db;                 /* the dispatcher's (borrowed) */
    db_conn *conn;               /* held for a run */
    bool running;
    int done;                    /* windows closed in this run */
    /* the window being closed */
    char sub[40];
    digest_schedule sched;
    time_t start, end, next, now;
    char public_base[512];
    long events;                 /* in the window */
    /* metrics */
    unsigned long sent, empty;
    long due, held;
    time_t gauges_at, strays_at;
};

static void claim(digest_worker *w);
static void on_claimed(PGresult *const *res, int n, void *arg);

static void finish(digest_worker *w, const char *why)
{
    if (why)
        log_warn("alerts: digest run stopped (the window is closed on a later run): %s", why);
    db_release(w->conn); /* rolls back anything left open */
    w->conn = NULL;
    w->running = false;
}

static bool failed(digest_worker *w, PGresult *const *res, int n)
{
    bool lost;
    const PGresult *bad = db_pipeline_failure(res, n, &lost);
    if (bad || lost)
        finish(w, lost ? "connection lost" : PQresultErrorMessage(bad));
    return bad || lost;
}

static void on_closed(PGresult *const *res, int n, void *arg)
{
    digest_worker *w = arg;
    if (failed(w, res, n))
        return;
    char from[32], to[32];
    digest_rfc3339(w->start, from, sizeof from);
    digest_rfc3339(w->end, to, sizeof to);
    if (w->events > 0) {
        w->sent++;
        dispatcher_wake(w->srv->alerts); /* send it now */
        log_info("alerts: digest for subscription %s queued: %ld events from %s to %s", w->sub, w->events, from, to);
    } else {
        w->empty++;
        log_debug("alerts: digest window of subscription %s from %s to %s was empty", w->sub, from, to);
    }
    w->done++;
    if (w->done < DIGEST_WORKER_BATCH && !w->srv->stopping)
        claim(w);
    else
        finish(w, NULL);
}

static void on_rescheduled(PGresult *const *res, int n, void *arg)
{
    digest_worker *w = arg;
    if (!failed(w, res, n))
        finish(w, NULL);
}

static void close_window(digest_worker *w, const char *event_id, const char *body)
{
    char end[24], next[24], count[24];
    snprintf(end, sizeof end, "%lld", (long long)w->end);
    snprintf(next, sizeof next, "%lld", (long long)w->next);
    snprintf(count, sizeof count, "%ld", w->events);
    const char *p[] = { w->sub, end, next, event_id, body, count };
    const db_call calls[] = {
        { SQL_DIGEST_CLOSE, 6, p, "digest_close" },
        { "COMMIT", 0, NULL, NULL },
    };
    db_pipeline(w->conn, calls, 2, on_closed, w);
}

static void on_taken(PGresult *const *res, int n, void *arg)
{
    digest_worker *w = arg;
    if (failed(w, res, n))
        return;
    const PGresult *r = res[0];
    int rows = PQntuples(r);
    w->events = rows > 0 ? atol(PQgetvalue(r, 0, 0)) : 0;
    if (rows == 0) {
        close_window(w, NULL, NULL);
        return;
    }
    json_t *events = json_array();
    for (int i = 0; events && i < rows; i++) {
        json_t *e = json_loads(PQgetvalue(r, i, 1), 0, NULL);
        if (!e || json_array_append_new(events, e) != 0) {
            log_warn("alerts: a held event of subscription %s is not JSON; it is left out of the digest", w->sub);
            w->events--;
        }
    }
    config_public_url(w->srv->cfg, w->public_base, sizeof w->public_base);
    digest_window win = { w->sched.delivery, w->start, w->end, w->now, w->public_base };
    json_t *body = events ? digest_body(&win, events, (size_t)w->events) : NULL;
    json_decref(events);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    char id[UUID_STR_LEN];
    if (!text || uuid7_new(id) < 0) {
        free(text);
        finish(w, "out of memory building the digest");
        return;
    }
    close_window(w, id, text);
    free(text);
}

static void on_claimed(PGresult *const *res, int n, void *arg)
{
    digest_worker *w = arg;
    if (failed(w, res, n))
        return;
    if (n > 2) { /* BEGIN, claim, gauges */
        w->due = atol(PQgetvalue(res[2], 0, 0));
        w->held = atol(PQgetvalue(res[2], 0, 1));
    }
    const PGresult *r = res[1];
    if (PQntuples(r) == 0) {
        finish(w, NULL);
        return;
    }
    snprintf(w->sub, sizeof w->sub, "%s", PQgetvalue(r, 0, 0));
    int minute = 0, weekday = 0;
    digest_delivery delivery = DIGEST_DAILY;
    if (digest_delivery_parse(PQgetvalue(r, 0, 1), &delivery) < 0 || delivery == DIGEST_IMMEDIATE ||
        digest_time_parse(PQgetvalue(r, 0, 2), &minute) < 0 || digest_day_parse(PQgetvalue(r, 0, 3), &weekday) < 0) {
        finish(w, "a subscription's stored digest settings are unreadable");
        return;
    }
    w->sched = (digest_schedule){ delivery, minute, weekday };
    w->start = (time_t)atoll(PQgetvalue(r, 0, 4));
    w->now = (time_t)atoll(PQgetvalue(r, 0, 5));
    w->end = digest_window_end(&w->sched, w->start, w->now);
    if (w->end == 0) {
        /* no scheduled time since the window opened: it was marked due too early */
        char next[24];
        snprintf(next, sizeof next, "%lld", (long long)digest_next_after(&w->sched, w->start));
        const char *p[] = { w->sub, next };
        const db_call calls[] = {
            { SQL_DIGEST_RESCHEDULE, 2, p, "digest_reschedule" },
            { "COMMIT", 0, NULL, NULL },
        };
        db_pipeline(w->conn, calls, 2, on_rescheduled, w);
        return;
    }
    w->next = digest_next_after(&w->sched, w->end);
    char end[24];
    snprintf(end, sizeof end, "%lld", (long long)w->end);
    const char *p[] = { w->sub, end };
    const db_call calls[] = { { SQL_DIGEST_TAKE, 2, p, "digest_take" } };
    db_pipeline(w->conn, calls, 1, on_taken, w);
}

/* BEGIN and the claim (and, once a second, the gauges) in one round trip. */
static void begin_claim(digest_worker *w)
{
    db_call calls[3];
    int n = 0;
    calls[n++] = (db_call){ "BEGIN", 0, NULL, NULL };
    calls[n++] = (db_call){ SQL_DIGEST_CLAIM, 0, NULL, "digest_claim" };
    time_t now = time(NULL);
    if (now - w->gauges_at >= GAUGES_EVERY_S) {
        w->gauges_at = now;
        calls[n++] = (db_call){ SQL_DIGEST_GAUGES, 0, NULL, "digest_gauges" };
    }
    db_pipeline(w->conn, calls, n, on_claimed, w);
}

static void on_strays(PGresult *const *res, int n, void *arg)
{
    digest_worker *w = arg;
    if (failed(w, res, n))
        return;
    long taken = atol(PQgetvalue(res[0], 0, 0)), sent = atol(PQgetvalue(res[0], 0, 1));
    if (taken > 0)
        log_info("alerts: %ld held events of subscriptions no longer holding any: %ld sent at once, %ld dropped "
                 "(subscription deleted or disabled, or already delivered)",
                 taken, sent, taken - sent);
    if (sent > 0)
        dispatcher_wake(w->srv->alerts);
    begin_claim(w);
}

static void on_conn(db_conn *conn, void *arg)
{
    digest_worker *w = arg;
    if (!conn) {
        finish(w, NULL);
        return;
    }
    w->conn = conn;
    time_t now = time(NULL);
    if (now - w->strays_at >= DIGEST_STRAYS_EVERY_S) { /* on its own, before the claim's transaction */
        w->strays_at = now;
        const db_call calls[] = { { SQL_DIGEST_STRAYS, 0, NULL, "digest_strays" } };
        db_pipeline(conn, calls, 1, on_strays, w);
        return;
    }
    begin_claim(w);
}

/* The next window: on a fresh connection, so the dispatcher gets one between. */
static void claim(digest_worker *w)
{
    db_release(w->conn);
    w->conn = NULL;
    db_acquire(w->db, on_conn, w);
}

void digest_worker_run(digest_worker *w)
{
    if (!w || w->running || !w->srv->areas || w->srv->stopping)
        return;
    w->running = true;
    w->done = 0;
    db_acquire(w->db, on_conn, w);
}

bool digest_worker_busy(const digest_worker *w)
{
    return w && w->running;
}

digest_worker *digest_worker_new(server *srv, db_pool *db)
{
    digest_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->srv = srv;
    w->db = db;
    return w;
}

void digest_worker_free(digest_worker *w)
{
    free(w); /* the pool, freed first, released any connection held */
}

void digest_worker_metrics(const digest_worker *w, char **buf, size_t *len, size_t *cap)
{
    metrics_appendf(buf, len, cap,
                    "# HELP consultd_digests_sent_total Digest windows this instance closed with a digest queued.\n"
                    "# TYPE consultd_digests_sent_total counter\nconsultd_digests_sent_total %lu\n"
                    "# HELP consultd_digest_windows_empty_total Digest windows this instance closed with no events.\n"
                    "# TYPE consultd_digest_windows_empty_total counter\nconsultd_digest_windows_empty_total %lu\n"
                    "# HELP consultd_digest_windows_due Digest windows whose time has passed, not yet closed.\n"
                    "# TYPE consultd_digest_windows_due gauge\nconsultd_digest_windows_due %ld\n"
                    "# HELP consultd_digest_events_held Events held for the next digest of their subscriptions.\n"
                    "# TYPE consultd_digest_events_held gauge\nconsultd_digest_events_held %ld\n",
                    w ? w->sent : 0UL, w ? w->empty : 0UL, w ? w->due : 0L, w ? w->held : 0L);
}
