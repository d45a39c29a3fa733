/* job_housekeeping.c - expiry of stored Idempotency-Key answers. */
#include "job_housekeeping.h"

#include <stdlib.h>

#include "log.h"
#include "store_idempotency.h"

static void run(evutil_socket_t fd, short what, void *arg);

struct sweep {
    server *srv;
    db_conn *conn;
    long deleted;
};
typedef struct sweep sweep;

static void schedule(server *srv, int seconds)
{
    struct timeval tv = { seconds, 0 };
    evtimer_add(srv->ev_housekeeping, &tv);
}

static void done(sweep *s)
{
    s->srv->sweep = NULL;
    if (s->conn)
        db_release(s->conn);
    if (s->deleted > 0)
        log_info("housekeeping: deleted %ld expired Idempotency-Key answers", s->deleted);
    schedule(s->srv, HOUSEKEEPING_INTERVAL_S);
    free(s);
}

static void on_deleted(PGresult *res, void *arg)
{
    sweep *s = arg;
    if (!db_ok(res)) {
        log_warn("housekeeping: purge failed: %s", res ? PQresultErrorMessage(res) : "connection lost");
        done(s);
        return;
    }
    long n = atol(PQcmdTuples(res));
    s->deleted += n;
    if (n < HOUSEKEEPING_BATCH) {
        done(s);
        return;
    }
    db_query(s->conn, SQL_IDEMPOTENCY_PURGE, 0, NULL, on_deleted, s);
}

static void on_conn(db_conn *conn, void *arg)
{
    sweep *s = arg;
    if (!conn) { /* the database is away: try again soon */
        s->srv->sweep = NULL;
        schedule(s->srv, 10);
        free(s);
        return;
    }
    s->conn = conn;
    db_query(conn, SQL_IDEMPOTENCY_PURGE, 0, NULL, on_deleted, s);
}

static void run(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    server *srv = arg;
    sweep *s = calloc(1, sizeof *s);
    if (!s) {
        schedule(srv, 60);
        return;
    }
    s->srv = srv;
    srv->sweep = s;
    db_acquire(srv->db, on_conn, s);
}

int housekeeping_start(server *srv)
{
    srv->ev_housekeeping = evtimer_new(srv->base, run, srv);
    if (!srv->ev_housekeeping)
        return -1;
    schedule(srv, 2);
    return 0;
}

void housekeeping_stop(server *srv)
{
    /* A pass cut off by shutdown: its connection goes with the pool. */
    free(srv->sweep);
    srv->sweep = NULL;
    if (srv->ev_housekeeping)
        event_free(srv->ev_housekeeping);
    srv->ev_housekeeping = NULL;
}
