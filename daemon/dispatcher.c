/* dispatcher.c - claims due deliveries and sends them (see dispatcher.h). */
#include "dispatcher.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_format.h"
#include "delivery_policy.h"
#include "fatigue_watch.h"
#include "http_client.h"
#include "log.h"
#include "store_alerts.h"
#include "webhook_sign.h"

#define DEPTH_EVERY_MS 1000

typedef struct job job;

struct dispatcher {
    server *srv;
    db_pool *db;                     /* its own connections: alerts never hold up API requests */
    db_pool *listener;
    fatigue_watch *fatigue;
    http_client *http;
    struct event *poll;
    bool cycling, again;
    db_conn *conn;                   /* held for the claim round trip */
    job *jobs;                       /* every delivery being sent or recorded (owned) */
    int asked;                       /* deliveries asked for in that claim */
    int sending, recording;
    unsigned long results[4];        /* by delivery_outcome */
    long depth;
    double oldest_s;
    struct timespec depth_at;
};

struct job {
    dispatcher *d;
    char id[37], event_id[37], subscription_id[37];
    int attempt;
    http_result result;
    char error[512];
    delivery_decision decision;
    db_conn *conn;                   /* held while the attempt is recorded */
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

static void on_recorded(PGresult *res, void *arg)
{
    job *j = arg;
    dispatcher *d = j->d;
    db_release(j->conn);
    if (!db_ok(res))
        log_warn("alerts: could not record delivery %s (it is sent again when its lease runs out): %s", j->id,
                 res ? PQresultErrorMessage(res) : "connection lost");
    job_free(j);
    d->recording--;
    dispatcher_wake(d);
}

static void on_record_conn(db_conn *conn, void *arg)
{
    job *j = arg;
    if (!conn) {
        on_recorded(NULL, j); /* releasing NULL is a no-op */
        return;
    }
    static const char *const status_of[] = { "delivered", "pending", "failed", "failed" };
    char delay[32], duration[32], code[16];
    snprintf(delay, sizeof delay, "%.3f", j->decision.delay_s);
    snprintf(duration, sizeof duration, "%ld", j->result.duration_ms);
    snprintf(code, sizeof code, "%d", j->result.status);
    const char *reason = j->decision.outcome == DELIVERY_DISABLED ? "the receiver answered 410 Gone" : NULL;
    const char *p[] = { j->id, status_of[j->decision.outcome], delay, duration,
                        j->result.status ? code : NULL, j->error[0] ? j->error : NULL,
                        delivery_outcome_name(j->decision.outcome), reason };
    j->conn = conn;
    db_query(conn, SQL_ALERTS_RECORD, 8, p, on_recorded, j);
}

static void record(job *j)
{
    dispatcher *d = j->d;
    d->sending--;
    d->recording++;
    db_acquire(d->db, on_record_conn, j);
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
    alert_context ctx = { cfg->server_public_url, area_name, d->srv };
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
    long events = atol(PQgetvalue(res[0], 0, 0));
    int claimed = n > 1 ? PQntuples(res[1]) : 0;
    for (int r = 0; r < claimed; r++)
        send_one(d, res[1], r);
    if (n > 2) {
        d->depth = atol(PQgetvalue(res[2], 0, 0));
        d->oldest_s = atof(PQgetvalue(res[2], 0, 1));
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
    db_call calls[3];
    int n = 0;
    calls[n++] = (db_call){ SQL_ALERTS_FANOUT, 0, NULL, "alerts_fanout" };
    if (free_slots > 0 && !d->srv->stopping)
        calls[n++] = (db_call){ SQL_ALERTS_CLAIM, 2, claim_p, "alerts_claim" };
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long since = (now.tv_sec - d->depth_at.tv_sec) * 1000 + (now.tv_nsec - d->depth_at.tv_nsec) / 1000000;
    if (n == 2 && since >= DEPTH_EVERY_MS) {
        d->depth_at = now;
        calls[n++] = (db_call){ SQL_ALERTS_DEPTH, 0, NULL, "alerts_depth" };
    }
    d->asked = n > 1 ? free_slots : 0;
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
    dispatcher_wake(d);
}

dispatcher *dispatcher_new(server *srv)
{
    dispatcher *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->srv = srv;
    d->http = http_client_new(srv->base);
    const config *cfg = srv->cfg;
    d->db = db_pool_new(srv->base, cfg->database_url, ALERTS_DB_CONNECTIONS, ALERTS_DB_MAX_WAITING,
                        cfg->database_statement_timeout_ms, cfg->database_connect_timeout_s);
    d->poll = event_new(srv->base, -1, EV_PERSIST, on_poll, d);
    d->fatigue = fatigue_watch_new(srv, d->db);
    d->listener = db_listener_new(srv->base, cfg->database_url, "consultd_alerts", cfg->database_connect_timeout_s,
                                  on_notify, d);
    struct timeval every = { ALERTS_POLL_MS / 1000, (ALERTS_POLL_MS % 1000) * 1000 };
    if (!d->http || !d->db || !d->fatigue || !d->poll || !d->listener || event_add(d->poll, &every) != 0) {
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
    while (d->jobs)
        job_free(d->jobs);
    free(d);
}

int dispatcher_busy(const dispatcher *d)
{
    return d ? d->sending + d->recording + (fatigue_watch_busy(d->fatigue) ? 1 : 0) : 0;
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
}
