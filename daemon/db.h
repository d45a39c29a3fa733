/* db.h - a small pool of asynchronous PostgreSQL connections on the event loop.
 *
 * Nothing here blocks: connections are made with PQconnectStartParams /
 * PQconnectPoll, statements sent in libpq pipeline mode, non-blocking, and
 * each socket is watched by a libevent event.
 *
 * Every statement is a named prepared statement: prepared on its first use on
 * each connection, in the same round trip as that use, and again after a
 * reconnect (a new session has none). Its name is the caller's (db_call.name)
 * or "q" and a 64-bit FNV-1a hash of its text, so each SQL text is parsed and
 * planned once per connection, not once per request. A statement whose Prepare
 * failed (or was skipped after an earlier failure) is prepared again on its
 * next use. Past DB_MAX_PREPARED statements a connection runs the rest unnamed.
 *
 * A prepared statement may run a generic plan (one for any parameter values)
 * after five runs: right for the fixed statements, whose plans do not depend
 * on the values, and what makes them cheap (planning a read of one
 * consultation costs more than running it). A text built per request from
 * filters (the lists) is sent unnamed instead (db_query_dynamic, DB_UNNAMED):
 * a generic plan for "status = $1 ORDER BY id LIMIT n" walks every row for a
 * rare status (29 ms against 0.7 ms at 14,000 overlaps, measured), and the
 * texts vary too much to be worth a slot on every connection.
 *
 * A generic plan is made from the tables as they were when it was made, and
 * kept: one made while the register was empty scans tables that have since
 * grown (an organisation's first import of 10,000 rows, measured: the write's
 * insert 1.0 ms a row against 0.63 ms planned afresh). So after
 * database.plan_refresh_runs (DB_PLAN_REFRESH_RUNS) runs of its prepared statements a connection, when
 * released, forgets them (DEALLOCATE ALL) and prepares each again on its next
 * use, against the tables as they are then.
 *
 * Use: db_acquire() hands a connection to the callback (or NULL when the
 * database is unavailable or too many requests wait: answer 503). The holder
 * sends queries one after another with db_query() and gives the connection
 * back with db_release(), which rolls back any transaction left open.
 * Callbacks may run before db_acquire()/db_query() return, so call them last.
 *
 * A connection that fails, or whose query outlives statement_timeout by more
 * than a grace period, is closed (never cancelled: PQcancel blocks) and its
 * callback gets NULL. Lost connections are re-made with capped exponential
 * back-off (50 ms doubling to 500 ms), so service returns within a second of
 * the database accepting connections again. */
#ifndef CONSULTD_DB_H
#define CONSULTD_DB_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdbool.h>

typedef struct db_pool db_pool;
typedef struct db_conn db_conn;

/* res is NULL when the connection was lost or timed out; it is freed after the
 * callback returns. */
typedef void (*db_result_cb)(PGresult *res, void *arg);
typedef void (*db_acquire_cb)(db_conn *conn, void *arg);

typedef struct db_pool_stats {
    int size, connected, busy, waiting; /* waiting: db_acquire and db_read calls queued for a connection */
    int reads;                  /* db_read statements in flight on connections */
    unsigned long errors;       /* lost connections and timed-out queries */
    unsigned long plan_refreshes; /* connections that prepared their statements again (DB_PLAN_REFRESH_RUNS) */
} db_pool_stats;

/* A pool of size connections to url (copied) on base, all starting to
 * connect at once; at most max_waiting db_acquire calls queue for a busy
 * pool. statement_timeout_ms bounds each query (ms), connect_timeout_s each
 * connection attempt (s). NULL when out of memory. The caller owns the pool
 * and frees it with db_pool_free, which closes every connection at once (no
 * callback runs afterwards, queued ones included). */
db_pool *db_pool_new(struct event_base *base, const char *url, int size, int max_waiting,
                     int statement_timeout_ms, int connect_timeout_s);
void db_pool_free(db_pool *pool);

/* Calls cb(conn, arg) with an idle connection, now or when one is released
 * (FIFO); cb(NULL, arg) at once when none is connected, max_waiting are
 * already queued, or memory runs out. The connection is the holder's until
 * db_release. */
void db_acquire(db_pool *pool, db_acquire_cb cb, void *arg);
/* Sends sql with nparams text params (NULL entries are SQL NULL) on a held
 * conn; sql and params are copied before it returns. sql is a fixed text (a
 * constant): prepared as described above. cb gets the result, or NULL when
 * the connection was lost (even lost earlier while held: a session is never
 * continued on a new connection) or the query timed out. */
void db_query(db_conn *conn, const char *sql, int nparams, const char *const *params,
              db_result_cb cb, void *arg);
/* The same for a text built for this request (filters): sent unnamed, so it
 * is planned for its parameter values. */
void db_query_dynamic(db_conn *conn, const char *sql, int nparams, const char *const *params,
                      db_result_cb cb, void *arg);
/* Gives conn back (NULL: nothing), rolling back a transaction left open;
 * conn must not be used afterwards. */
void db_release(db_conn *conn);

/* Reads without holding a connection: db_read sends one statement, outside
 * any transaction, on a pool connection that is free or already carrying
 * other such reads, up to DB_READ_DEPTH at once on one connection (libpq
 * pipeline mode, a sync point after each: one failing, a timeout in the
 * server included, ends that read alone). The per-query round trip (a send,
 * a receive and a wake-up on each side) is then shared by the reads in
 * flight. Results come back in the order sent, each to its own callback.
 *
 * Fairness and bounds: a free connection is taken first, else the reading
 * one with the fewest in flight; while db_acquire or db_read calls wait,
 * new reads queue behind them (first come, first served), and the queue is
 * bounded by the pool's max_waiting. A reading connection takes no more reads
 * once due for its plan refresh, so that it drains and refreshes. A read
 * queued behind a slow one waits for it: each is bounded by statement_timeout
 * from when the one before it ends (plus the grace period on the daemon's
 * side, past which the connection is closed).
 *
 * Use it only for a statement that needs no session: no transaction, no
 * SET, no temporary table, nothing the next statement relies on. */
#define DB_READ_DEPTH 8

/* Runs sql (a fixed text, prepared as above) with nparams text params (NULL
 * entries are SQL NULL; sql and params are copied before it returns) and calls
 * cb(res, arg) with its result: an error result when the statement failed,
 * NULL when no connection is up, too many calls wait, memory ran out, or the
 * connection was lost or the statement outlived statement_timeout (answer
 * 503). The result is freed after cb returns. cb may run before db_read
 * returns, so call it last. */
void db_read(db_pool *pool, const char *sql, int nparams, const char *const *params, db_result_cb cb, void *arg);

/* Pipelining: several statements sent at once and answered in one round trip
 * (libpq pipeline mode). If one fails, the later ones come back
 * PGRES_PIPELINE_ABORTED; a transaction they were in is rolled back on release.
 * The callback gets one result per call (NULL for all when the connection was
 * lost); they are freed after it returns. */
#define DB_PIPELINE_MAX 8
#define DB_UNNAMED ""

typedef struct db_call {
    const char *sql;
    int nparams;
    const char *const *params;
    const char *name;   /* NULL: named after the SQL text's hash; DB_UNNAMED: not prepared;
                           else a static string, one per SQL text (see the top of this file) */
} db_call;

typedef void (*db_pipeline_cb)(PGresult *const *res, int n, void *arg);

/* A numeric macro constant as SQL text, so a statement and the C that reads
 * its rows share one number: "LIMIT " DB_STR(BATCH). */
#define DB_STR_(x) #x
#define DB_STR(x) DB_STR_(x)

void db_pipeline(db_conn *conn, const db_call *calls, int n, db_pipeline_cb cb, void *arg);

/* The first result of a pipeline that is not a success (NULL when all are),
 * or NULL with *lost set when the connection was lost. */
const PGresult *db_pipeline_failure(PGresult *const *res, int n, bool *lost);

/* A listener: a pool of one connection that is never handed out. After each
 * (re)connect it runs LISTEN channel, then calls cb with notified = false
 * (notifications sent while it was away are lost: look for work now); each
 * notification on the channel calls cb with notified = true. */
typedef void (*db_notify_cb)(bool notified, void *arg);
db_pool *db_listener_new(struct event_base *base, const char *url, const char *channel, int connect_timeout_s,
                         db_notify_cb cb, void *arg);

/* true when at least one connection is up (readiness). */
bool db_pool_up(const db_pool *pool);
/* Fills out with the pool's counts now (for /metrics). */
void db_pool_get_stats(const db_pool *pool, db_pool_stats *out);

/* The default of database.plan_refresh_runs (config.h). */
#define DB_PLAN_REFRESH_RUNS 1000
/* After how many runs of its prepared statements a connection of pool
 * prepares them again (see above); runs <= 0 restores the default. */
void db_pool_set_plan_refresh(db_pool *pool, int runs);

/* SQLSTATE of an error result ("" when none). */
const char *db_sqlstate(const PGresult *res);
/* true when res is a successful COMMAND_OK or TUPLES_OK result. */
bool db_ok(const PGresult *res);

#endif
