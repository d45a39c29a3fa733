/* job_dispatch.c - claims due deliveries and sends them (see job_dispatch.h). */
#include "job_dispatch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt_alert.h"
#include "delivery_policy.h"
#include "job_digest.h"
#include "job_fatigue.h"
#include "http_client.h"
#include "log.h"
#include "store_alerts.h"
#include "webhook_sign.h"

#define DEPTH_EVERY_MS 1000
#define RECORD_BATCH 500                 /* finished attempts recorded in one statement */

typedef struct job job;

struct dispatcher {
    server *srv;
    db_pool *db;                     /* its own connections: alerts never hold up API requests */
    db_pool *listener;
    fatigue_watch *fatigue;
    digest_worker *digests;
    http_client *http;
    struct event *poll;
    bool cycling, again;
    db_conn *conn;                   /* held for the claim round trip */
    job *jobs;                       /* every delivery being sent or recorded (owned) */
    job *finished, **finished_tail;  /* sent, waiting to be recorded (a queue through job.queued) */
    job *batch;                      /* being recorded now (through job.queued) */
    db_conn *record_conn;            /* held while the batch is recorded */
    bool record_busy;
    db_conn *notify_conn;            /* held while NOTIFY is sent */
    bool notifying, notify_again;
    int asked;                       /* deliveries asked for in that claim */
    char public_base[512];           /* server.public_url (or http://server.listen), for console_url */
    int sending, recording;
    unsigned long results[4];        /* by delivery_outcome */
    long depth;
    double oldest_s;
    long fatigue_depth;              /* the fatigue queue, read with the outbox's depth */
    double fatigue_oldest_s;
    struct timespec depth_at;
};

struct job {
    dispatcher *d;
    char id[37], event_id[37], subscription_id[37];
    int attempt;
    http_result result;
    char error[512];
    delivery_decision decision;
    job *queued;                     /* next in the finished queue or the batch */
    job *prev, *next;
};

static void job_free(job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        j->d->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    free(j);
}

static void record(job *j);

static const char *area_name(void *ctx, const char *code)
{
    const server *srv = ctx;
    const area_info *a = srv->areas ? areas_find(srv->areas, code) : NULL;
    return a ? a->name : NULL;
}

static void record_start(dispatcher *d);

static void on_recorded(PGresult *const *res, int n, void *arg)
{
    dispatcher *d = arg;
    db_release(d->record_conn);
    d->record_conn = NULL;
    bool lost = false;
    const PGresult *bad = res ? db_pipeline_failure(res, n, &lost) : NULL;
    int count = 0;
    for (job *j = d->batch; j; j = j->queued)
        count++;
    if (!res || bad || lost)
        log_warn("alerts: could not record %d delivery attempts (they are sent again when their leases run out): %s",
                 count, bad ? PQresultErrorMessage(bad) : "connection lost");
    while (d->batch) {
        job *j = d->batch;
        d->batch = j->queued;
        job_free(j);
    }
    d->recording -= count;
    d->record_busy = false;
    if (d->finished)
        record_start(d);
    dispatcher_wake(d);
}

/* One record of the batch for SQL_ALERTS_RECORD (and SQL_ALERTS_DISABLE). */
static int batch_add(json_t *records, json_t *disable, const job *j)
{
    static const char *const status_of[] = { "delivered", "pending", "failed", "failed" };
    json_t *r = json_pack("{s:s, s:s, s:f, s:I, s:o, s:o, s:s}", "id", j->id, "status",
                          status_of[j->decision.outcome], "delay", j->decision.delay_s, "duration_ms",
                          (json_int_t)j->result.duration_ms, "code",
                          j->result.status ? json_integer(j->result.status) : json_null(), "error",
                          j->error[0] ? json_string(j->error) : json_null(), "outcome",
                          delivery_outcome_name(j->decision.outcome));
    if (json_array_append_new(records, r) != 0)
        return -1;
    if (j->decision.outcome == DELIVERY_DISABLED &&
        json_array_append_new(disable, json_pack("{s:s, s:s}", "subscription", j->subscription_id, "reason",
                                                 "the receiver answered 410 Gone")) != 0)
        return -1;
    return 0;
}

static void on_record_conn(db_conn *conn, void *arg)
{
    dispatcher *d = arg;
    /* take up to RECORD_BATCH finished attempts */
    int taken = 0;
    job **tail = &d->batch;
    while (d->finished && taken < RECORD_BATCH) {
        job *j = d->finished;
        d->finished = j->queued;
        j->queued = NULL;
        *tail = j;
        tail = &j->queued;
        taken++;
    }
    if (!d->finished)
        d->finished_tail = &d->finished;
    d->record_conn = conn;
    if (!conn) {
        on_recorded(NULL, 0, d);
        return;
    }
    json_t *records = json_array(), *disable = json_array();
    bool ok = records && disable;
    for (job *j = d->batch; ok && j; j = j->queued)
        ok = batch_add(records, disable, j) == 0;
    char *p1 = ok ? json_dumps(records, JSON_COMPACT) : NULL;
    char *p2 = ok ? json_dumps(disable, JSON_COMPACT) : NULL;
    json_decref(records);
    json_decref(disable);
    if (!p1 || !p2) {
        free(p1);
        free(p2);
        log_warn("alerts: out of memory recording delivery attempts");
        on_recorded(NULL, 0, d);
        return;
    }
    const char *rp[] = { p1 }, *dp[] = { p2 };
    const db_call calls[] = {
        { "BEGIN", 0, NULL, NULL },
        { SQL_ALERTS_RECORD, 1, rp, "alerts_record" },
        { SQL_ALERTS_DISABLE, 1, dp, "alerts_disable" },
        { "COMMIT", 0, NULL, NULL },
    };
    db_pipeline(conn, calls, 4, on_recorded, d);
    free(p1);
    free(p2);
}

static void record_start(dispatcher *d)
{
    d->record_busy = true;
    db_acquire(d->db, on_record_conn, d);
}

/* The attempt is over: queue it to be recorded with others that finish meanwhile. */
static void record(job *j)
{
    dispatcher *d = j->d;
    d->sending--;
    d->recording++;
    j->queued = NULL;
    *d->finished_tail = j;
    d->finished_tail = &j->queued;
    if (!d->record_busy)
        record_start(d);
}

static void on_sent(const http_result *r, void *arg)
{
    job *j = arg;
    dispatcher *d = j->d;
    j->result = *r;
    j->result.error = NULL;
    if (r->error && r->error != j->error)
        snprintf(j->error, sizeof j->error, "%s", r->error);
    int steps[RETRY_SCHEDULE_MAX];
    int n = retry_schedule_parse(d->srv->cfg->alerts_retry_schedule, steps, RETRY_SCHEDULE_MAX);
    int status = r->error ? (r->status >= 300 && r->status < 400 ? r->status : 0) : r->status;
    if (r->status == 250 && !r->error)
        status = 200; /* mail accepted */
    j->decision = delivery_decide(status, j->attempt, steps, n, r->retry_after_s,
                                  (double)arc4random_uniform(1000000) / 1e6);
    d->results[j->decision.outcome]++;
    if (j->decision.outcome == DELIVERY_DELIVERED)
        log_debug("alerts: delivery %s (event %s) delivered in %ld ms", j->id, j->event_id, r->duration_ms);
    else if (j->decision.outcome == DELIVERY_RETRY)
        log_warn("alerts: delivery %s (event %s) to subscription %s, attempt %d: %s (status %d); retrying in %.0f s",
                 j->id, j->event_id, j->subscription_id, j->attempt, j->error[0] ? j->error : "not 2xx",
                 r->status, j->decision.delay_s);
    else
        log_warn("alerts: delivery %s (event %s) to subscription %s, attempt %d: %s (status %d); %s", j->id,
                 j->event_id, j->subscription_id, j->attempt, j->error[0] ? j->error : "not 2xx", r->status,
                 j->decision.outcome == DELIVERY_DISABLED ? "the subscription is disabled"
                                                          : "no attempts left: the delivery has failed");
    record(j);
}

/* Sends one leased delivery: row r of a claim result. */
static void send_one(dispatcher *d, const PGresult *res, int r)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return; /* the lease runs out and the delivery is claimed again */
    j->d = d;
    j->next = d->jobs;
    if (j->next)
        j->next->prev = j;
    d->jobs = j;
    snprintf(j->id, sizeof j->id, "%s", PQgetvalue(res, r, 0));
    snprintf(j->event_id, sizeof j->event_id, "%s", PQgetvalue(res, r, 1));
    j->attempt = atoi(PQgetvalue(res, r, 2));
    snprintf(j->subscription_id, sizeof j->subscription_id, "%s", PQgetvalue(res, r, 4));
    const char *payload = PQgetvalue(res, r, 3);
    const char *url = PQgetvalue(res, r, 5), *email = PQgetvalue(res, r, 6);
    const char *format = PQgetvalue(res, r, 7), *secret = PQgetvalue(res, r, 8);
    const config *cfg = d->srv->cfg;
    alert_context ctx = { cfg->server_public_url, area_name, d->srv, d->srv->areas };
    d->sending++;
    int started = -1;
    json_t *event = NULL;
    char *body = NULL;
    event = json_loads(payload, 0, NULL);
    if (!event)
        snprintf(j->error, sizeof j->error, "stored event body is not JSON");
    if (*email && event) {
        if (!*cfg->smtp_url) {
            snprintf(j->error, sizeof j->error, "smtp.url is not set: e-mail alerts cannot be sent");
        } else {
            char message_id[128];
            snprintf(message_id, sizeof message_id, "%s.%s@consultd", j->event_id, j->subscription_id);
            body = alert_email_message(event, &ctx, *cfg->smtp_from ? cfg->smtp_from : "consultd@localhost", email,
                                       time(NULL), message_id);
            if (!body)
                snprintf(j->error, sizeof j->error, "could not render the e-mail (out of memory)");
            else
                started = http_client_mail(d->http, cfg->smtp_url,
                                           *cfg->smtp_from ? cfg->smtp_from : "consultd@localhost", email, body,
                                           on_sent, j);
        }
    } else if (*url && event) {
        /* the same bytes on every attempt: keys keep their order, compact */
        body = strcmp(format, "slack") == 0 ? alert_slack_body(event, &ctx) : json_dumps(event, JSON_COMPACT);
        const char *send = body;
        long long ts = (long long)time(NULL);
        char h_id[64], h_ts[48], h_sig[WEBHOOK_SIGNATURE_MAX + 32], sig[WEBHOOK_SIGNATURE_MAX];
        if (!send)
            snprintf(j->error, sizeof j->error, "could not render the %s body (out of memory)", format);
        else if (webhook_sign(secret, j->event_id, ts, send, strlen(send), sig, sizeof sig) != 0)
            snprintf(j->error, sizeof j->error, "the subscription's secret is not whsec_ + base64: cannot sign");
        else {
            snprintf(h_id, sizeof h_id, "webhook-id: %s", j->event_id);
            snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", ts);
            snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
            const char *headers[] = { "Content-Type: application/json", h_id, h_ts, h_sig, "Expect:", NULL };
            started = http_client_post(d->http, url, headers, send, on_sent, j);
        }
    }
    json_decref(event);
    free(body);
    if (started < 0) {
        http_result none = { 0, -1, j->error[0] ? j->error : "could not start the transfer (out of memory)", 0 };
        on_sent(&none, j);
    }
}

static void cycle_done(dispatcher *d)
{
    d->cycling = false;
    if (d->again) {
        d->again = false;
        dispatcher_wake(d);
    }
}

static void on_claimed(PGresult *const *res, int n, void *arg)
{
    dispatcher *d = arg;
    db_release(d->conn);
    d->conn = NULL;
    bool lost;
    const PGresult *bad = db_pipeline_failure(res, n, &lost);
    if (bad || lost) {
        log_warn("alerts: could not claim deliveries: %s", lost ? "connection lost" : PQresultErrorMessage(bad));
        cycle_done(d);
        return;
    }
    /* res: BEGIN, fan-out, [claim, [depth]], COMMIT */
    long events = atol(PQgetvalue(res[1], 0, 0));
    int claimed = n > 3 ? PQntuples(res[2]) : 0;
    for (int r = 0; r < claimed; r++)
        send_one(d, res[2], r);
    if (n > 4) {
        d->depth = atol(PQgetvalue(res[3], 0, 0));
        d->oldest_s = atof(PQgetvalue(res[3], 0, 1));
        d->fatigue_depth = atol(PQgetvalue(res[3], 0, 2));
        d->fatigue_oldest_s = atof(PQgetvalue(res[3], 0, 3));
    }
    /* a full batch means there may be more */
    if (events >= ALERTS_FANOUT_BATCH || (d->asked > 0 && claimed == d->asked))
        d->again = true;
    cycle_done(d);
}

static void on_cycle_conn(db_conn *conn, void *arg)
{
    dispatcher *d = arg;
    if (!conn) {
        cycle_done(d);
        return;
    }
    const config *cfg = d->srv->cfg;
    char room[16], lease[16];
    int free_slots = cfg->alerts_max_in_flight - d->sending;
    snprintf(room, sizeof room, "%d", free_slots > 0 ? free_slots : 0);
    snprintf(lease, sizeof lease, "%d", cfg->alerts_timeout_s + ALERTS_LEASE_MARGIN_S);
    const char *claim_p[] = { room, lease };
    /* One transaction, one commit: new events become deliveries and the due
     * ones (these among them) are leased before any is sent. */
    db_call calls[5];
    int n = 0;
    calls[n++] = (db_call){ "BEGIN", 0, NULL, NULL };
    config_public_url(cfg, d->public_base, sizeof d->public_base);
    const char *fan_p[] = { d->public_base };
    calls[n++] = (db_call){ SQL_ALERTS_FANOUT, 1, fan_p, "alerts_fanout" };
    bool claim = free_slots > 0 && !d->srv->stopping;
    if (claim)
        calls[n++] = (db_call){ SQL_ALERTS_CLAIM, 2, claim_p, "alerts_claim" };
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long since = (now.tv_sec - d->depth_at.tv_sec) * 1000 + (now.tv_nsec - d->depth_at.tv_nsec) / 1000000;
    if (claim && since >= DEPTH_EVERY_MS) {
        d->depth_at = now;
        calls[n++] = (db_call){ SQL_ALERTS_DEPTH, 0, NULL, "alerts_depth" };
    }
    calls[n++] = (db_call){ "COMMIT", 0, NULL, NULL };
    d->asked = claim ? free_slots : 0;
    d->conn = conn;
    db_pipeline(conn, calls, n, on_claimed, d);
}

void dispatcher_wake(dispatcher *d)
{
    if (d->cycling) {
        d->again = true;
        return;
    }
    if (d->srv->stopping || !d->srv->areas)
        return;
    d->cycling = true;
    http_client_configure(d->http, d->srv->cfg->alerts_timeout_s, d->srv->cfg->alerts_allow_private_targets);
    db_acquire(d->db, on_cycle_conn, d);
}

static void send_notify(dispatcher *d);

static void on_notified(PGresult *res, void *arg)
{
    dispatcher *d = arg;
    db_release(d->notify_conn);
    d->notify_conn = NULL;
    d->notifying = false;
    if (!db_ok(res)) /* the others find the events on their next poll */
        log_debug("alerts: NOTIFY failed: %s", res ? PQresultErrorMessage(res) : "connection lost");
    if (d->notify_again) {
        d->notify_again = false;
        send_notify(d);
    }
}

static void on_notify_conn(db_conn *conn, void *arg)
{
    dispatcher *d = arg;
    if (!conn) {
        on_notified(NULL, d);
        return;
    }
    d->notify_conn = conn;
    db_query(conn, "NOTIFY consultd_alerts", 0, NULL, on_notified, d);
}

static void send_notify(dispatcher *d)
{
    if (d->notifying) {
        d->notify_again = true;
        return;
    }
    d->notifying = true;
    db_acquire(d->db, on_notify_conn, d);
}

void dispatcher_events_written(dispatcher *d)
{
    if (!d || d->srv->stopping)
        return;
    dispatcher_wake(d);
    send_notify(d);
}

static void on_notify(bool notified, void *arg)
{
    dispatcher *d = arg;
    if (!notified)
        log_info("alerts: listening for new events");
    dispatcher_wake(d);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    dispatcher *d = arg;
    fatigue_watch_run(d->fatigue);
    digest_worker_run(d->digests);
    dispatcher_wake(d);
}

dispatcher *dispatcher_new(server *srv)
{
    dispatcher *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->srv = srv;
    d->finished_tail = &d->finished;
    d->http = http_client_new(srv->base);
    const config *cfg = srv->cfg;
    d->db = db_pool_new(srv->base, cfg->database_url, ALERTS_DB_CONNECTIONS, ALERTS_DB_MAX_WAITING,
                        cfg->database_statement_timeout_ms, cfg->database_connect_timeout_s);
    d->poll = event_new(srv->base, -1, EV_PERSIST, on_poll, d);
    d->fatigue = fatigue_watch_new(srv, d->db);
    d->digests = digest_worker_new(srv, d->db);
    d->listener = db_listener_new(srv->base, cfg->database_url, "consultd_alerts", cfg->database_connect_timeout_s,
                                  on_notify, d);
    struct timeval every = { ALERTS_POLL_MS / 1000, (ALERTS_POLL_MS % 1000) * 1000 };
    if (!d->http || !d->db || !d->fatigue || !d->digests || !d->poll || !d->listener || event_add(d->poll, &every) != 0) {
        dispatcher_free(d);
        return NULL;
    }
    return d;
}

void dispatcher_free(dispatcher *d)
{
    if (!d)
        return;
    if (d->poll)
        event_free(d->poll);
    db_pool_free(d->listener);
    http_client_free(d->http); /* aborts the transfers without calling back */
    db_pool_free(d->db);
    fatigue_watch_free(d->fatigue);
    digest_worker_free(d->digests);
    while (d->jobs)
        job_free(d->jobs);
    free(d);
}

int dispatcher_busy(const dispatcher *d)
{
    return d ? d->sending + d->recording + (fatigue_watch_busy(d->fatigue) ? 1 : 0) +
                   (digest_worker_busy(d->digests) ? 1 : 0)
             : 0;
}

void dispatcher_metrics(const dispatcher *d, char **buf, size_t *len, size_t *cap)
{
    metrics_appendf(buf, len, cap,
                    "# HELP consultd_outbox_depth Alert deliveries waiting to be sent (as of the last poll).\n"
                    "# TYPE consultd_outbox_depth gauge\nconsultd_outbox_depth %ld\n"
                    "# HELP consultd_outbox_oldest_age_seconds Age of the oldest delivery waiting.\n"
                    "# TYPE consultd_outbox_oldest_age_seconds gauge\nconsultd_outbox_oldest_age_seconds %.3f\n"
                    "# HELP consultd_deliveries_total Alert delivery attempts by result.\n"
                    "# TYPE consultd_deliveries_total counter\n",
                    d ? d->depth : 0, d ? d->oldest_s : 0.0);
    for (int o = DELIVERY_DELIVERED; o <= DELIVERY_DISABLED; o++)
        metrics_appendf(buf, len, cap, "consultd_deliveries_total{result=\"%s\"} %lu\n",
                        delivery_outcome_name((delivery_outcome)o), d ? d->results[o] : 0UL);
    metrics_appendf(buf, len, cap,
                    "# HELP consultd_deliveries_in_flight Alert deliveries being sent or recorded.\n"
                    "# TYPE consultd_deliveries_in_flight gauge\nconsultd_deliveries_in_flight %d\n",
                    dispatcher_busy(d));
    digest_worker_metrics(d ? d->digests : NULL, buf, len, cap);
    fatigue_watch_metrics(d ? d->fatigue : NULL, d ? d->fatigue_depth : 0, d ? d->fatigue_oldest_s : 0.0, buf, len,
                          cap);
}
