/* db.c - asynchronous libpq connection pool driven by libevent. */
#include "db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 500
#define QUERY_GRACE_MS 2000
/* Statements prepared per connection; beyond this they run unnamed. Each
 * costs the server a cached plan (kilobytes) per connection. */
#define DB_MAX_PREPARED 128

typedef enum { C_DOWN, C_CONNECTING, C_READY, C_QUERY } conn_state;

/* A db_read queued on a connection: its results, up to its sync point. */
typedef struct read_slot {
    db_result_cb cb;
    void *arg;
    uint64_t prepare;       /* the statement its Prepare prepared (0: none) */
    int seen;               /* results received so far */
    PGresult *res;          /* the one to hand over: the first error, else the statement's */
} read_slot;

struct db_conn {
    db_pool *pool;
    PGconn *pg;
    struct event *io;
    struct event *timer;    /* connect timeout, query timeout, or reconnect delay */
    conn_state state;
    bool held;              /* handed to a caller and not yet released */
    bool rolling_back;      /* an internal ROLLBACK before returning to the pool */
    bool deallocating;      /* an internal DEALLOCATE ALL before returning to the pool */
    int runs;               /* prepared statements run since they were last prepared */
    bool lost_while_held;   /* the holder's session is gone: its queries fail */
    bool listening;         /* an internal LISTEN is running (listener pools) */
    int backoff_ms;
    db_result_cb cb;
    void *arg;
    PGresult *last;
    /* pipeline mode: pl_map turns each result position into a call index, or
     * -(call + 1) for the Prepare that precedes that call's first use */
    bool pipeline;
    int pl_n, pl_done, pl_slots;
    int pl_map[2 * DB_PIPELINE_MAX];
    PGresult *pl_res[DB_PIPELINE_MAX];
    uint64_t pl_prepare[DB_PIPELINE_MAX]; /* the statement each call prepared (0: none) */
    db_pipeline_cb pl_cb;
    void *one_arg;          /* db_query: its callback is cb, its argument this */
    uint64_t prepared[DB_MAX_PREPARED]; /* hashes of the statement names prepared on this connection */
    int nprepared;
    /* reading (db_read): unheld, in pipeline mode, rd_n reads in flight from rd_head */
    bool reading;
    int rd_head, rd_n;
    read_slot rd[DB_READ_DEPTH];
};

/* A db_read waiting for a connection, with its own copy of the text and params. */
typedef struct pending_read {
    db_result_cb cb;
    void *arg;
    const char *sql;
    int nparams;
    const char **params;
} pending_read;

typedef struct waiter {
    db_acquire_cb cb;
    void *arg;
    pending_read *read;     /* a db_read (cb unused), or NULL: a db_acquire */
    struct waiter *next;
} waiter;

struct db_pool {
    struct event_base *base;
    char *url;
    char options[64];
    char connect_timeout[16];
    int size, max_waiting, statement_timeout_ms, connect_timeout_s;
    db_conn *conns;
    waiter *head, *tail;
    int nwaiting;
    unsigned long errors;
    unsigned long plan_refreshes;   /* DEALLOCATE ALLs after plan_refresh_runs runs */
    int plan_refresh_runs;
    bool was_up;            /* for logging transitions only */
    char *listen_sql;       /* a listener: LISTEN after each connect (db_listener_new) */
    db_notify_cb notify_cb;
    void *notify_arg;
};

static void conn_connect(db_conn *c);
static void send_query(db_conn *c, const char *sql, int n, const char *const *params);
static void on_io(evutil_socket_t fd, short what, void *arg);
static void forget_prepared(db_conn *c, uint64_t h);
static void conn_became_ready(db_conn *c);
static void pipeline_fail(db_conn *c);
static void conn_lost(db_conn *c, const char *why);
static void watch(db_conn *c, short what);
static void reads_fail(db_conn *c);
static void reads_read(db_conn *c);
static void reads_take_waiting(db_conn *c);
static void read_send(db_conn *c, const char *sql, int nparams, const char *const *params, db_result_cb cb,
                      void *arg);

/* Watches the connection's socket for what. Watching it already is the
 * common case (every query and every result asks for EV_READ): then nothing is
 * changed, which spares the two epoll_ctl calls a delete and re-add cost. */
static void watch(db_conn *c, short what)
{
    int fd = PQsocket(c->pg);
    if (fd >= 0 && event_pending(c->io, EV_READ | EV_WRITE, NULL) && event_get_fd(c->io) == fd &&
        event_get_events(c->io) == (what | EV_PERSIST))
        return;
    event_del(c->io);
    if (fd < 0)
        return;
    event_assign(c->io, c->pool->base, fd, what | EV_PERSIST, on_io, c);
    event_add(c->io, NULL);
}

/* Sends what libpq holds for the server and watches the socket: for reading,
 * and for writing too while some is left to send. A failed flush loses the
 * connection (conn_lost). */
static void flush_and_watch(db_conn *c)
{
    int f = PQflush(c->pg);
    if (f < 0)
        conn_lost(c, PQerrorMessage(c->pg));
    else
        watch(c, f ? (EV_READ | EV_WRITE) : EV_READ);
}

static void arm_timer(db_conn *c, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add(c->timer, &tv);
}

static int count_connected(const db_pool *p)
{
    int n = 0;
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].state == C_READY || p->conns[i].state == C_QUERY)
            n++;
    return n;
}

static void fail_waiters(db_pool *p)
{
    while (p->head) {
        waiter *w = p->head;
        p->head = w->next;
        if (!p->head)
            p->tail = NULL;
        p->nwaiting--;
        db_acquire_cb cb = w->cb;
        void *arg = w->arg;
        pending_read *r = w->read;
        free(w);
        if (r) {
            db_result_cb rcb = r->cb;
            void *rarg = r->arg;
            free(r);
            rcb(NULL, rarg);
        } else {
            cb(NULL, arg);
        }
    }
}

/* Hands the pipeline's caller a row of NULL results: the connection is gone. */
static void pipeline_fail(db_conn *c)
{
    for (int i = 0; i < c->pl_n; i++) {
        if (c->pl_res[i])
            PQclear(c->pl_res[i]);
        c->pl_res[i] = NULL;
    }
    c->pipeline = false;
    db_pipeline_cb cb = c->pl_cb;
    void *arg = c->arg;
    int n = c->pl_n;
    c->pl_cb = NULL;
    if (cb) {
        PGresult *none[DB_PIPELINE_MAX] = { 0 };
        cb(none, n, arg);
    }
}

/* Closes the connection and schedules a new attempt. The caller holding it (if
 * any) keeps holding it until db_release. Any query in flight fails. */
static void conn_lost(db_conn *c, const char *why)
{
    db_pool *p = c->pool;
    conn_state was = c->state;
    event_del(c->io);
    evtimer_del(c->timer);
    if (c->pg) {
        if (was == C_READY || was == C_QUERY)
            log_warn("database: connection lost: %s", why);
        else
            log_debug("database: connect failed: %s", why);
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->state = C_DOWN;
    c->nprepared = 0;
    c->runs = 0;
    c->deallocating = false;
    if (c->held)
        c->lost_while_held = true;
    if (was == C_READY || was == C_QUERY)
        p->errors++;
    if (c->last) {
        PQclear(c->last);
        c->last = NULL;
    }
    c->rolling_back = false;
    c->listening = false;
    arm_timer(c, c->backoff_ms);
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;

    if (p->was_up && count_connected(p) == 0) {
        p->was_up = false;
        log_error("database: unavailable (no connection); answering 503 until it returns");
    }
    if (was == C_QUERY && c->reading) {
        reads_fail(c);
    } else if (was == C_QUERY && c->pipeline) {
        pipeline_fail(c);
    } else if (was == C_QUERY && c->cb) {
        db_result_cb cb = c->cb;
        void *arg = c->arg;
        c->cb = NULL;
        cb(NULL, arg);
    }
    if (count_connected(p) == 0)
        fail_waiters(p);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    db_conn *c = arg;
    switch (c->state) {
    case C_DOWN:
        conn_connect(c);
        break;
    case C_CONNECTING:
        conn_lost(c, "connect timed out");
        break;
    case C_QUERY:
        conn_lost(c, "query outlived statement_timeout");
        break;
    case C_READY:
        break;
    }
}

static void conn_connect(db_conn *c)
{
    db_pool *p = c->pool;
    const char *kw[] = { "dbname", "application_name", "options", "connect_timeout", NULL };
    const char *val[] = { p->url, "consultd", p->options, p->connect_timeout, NULL };
    c->pg = PQconnectStartParams(kw, val, 1);
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
        char why[256];
        snprintf(why, sizeof why, "%s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
        c->state = C_CONNECTING;
        conn_lost(c, why);
        return;
    }
    c->state = C_CONNECTING;
    arm_timer(c, p->connect_timeout_s * 1000);
    watch(c, EV_WRITE); /* libpq: behave as if PGRES_POLLING_WRITING first */
}

static void connect_step(db_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        watch(c, EV_READ);
        break;
    case PGRES_POLLING_WRITING:
        watch(c, EV_WRITE);
        break;
    case PGRES_POLLING_OK:
        evtimer_del(c->timer);
        if (PQsetnonblocking(c->pg, 1) != 0) {
            conn_lost(c, "cannot set non-blocking mode");
            return;
        }
        c->backoff_ms = BACKOFF_MIN_MS;
        c->state = C_READY;
        if (!c->pool->was_up) {
            c->pool->was_up = true;
            log_info("database: connected");
        }
        watch(c, EV_READ);
        if (c->pool->listen_sql) {
            c->listening = true;
            send_query(c, c->pool->listen_sql, 0, NULL);
            break;
        }
        conn_became_ready(c);
        break;
    default: {
        char why[256];
        snprintf(why, sizeof why, "%s", PQerrorMessage(c->pg));
        for (char *e = why + strlen(why); e > why && (e[-1] == '\n'); e--)
            e[-1] = '\0';
        conn_lost(c, why);
    }
    }
}

static void query_done(db_conn *c)
{
    evtimer_del(c->timer);
    watch(c, EV_READ);
    PGresult *res = c->last;
    c->last = NULL;
    c->state = C_READY;
    if (c->rolling_back) {
        c->rolling_back = false;
        PQclear(res);
        conn_became_ready(c);
        return;
    }
    if (c->deallocating) {
        /* the statements are prepared again, against the tables as they are now,
         * on their next use; should DEALLOCATE fail, they are simply kept */
        c->deallocating = false;
        if (db_ok(res)) {
            c->nprepared = 0;
            c->pool->plan_refreshes++;
        }
        c->runs = 0;
        PQclear(res);
        conn_became_ready(c);
        return;
    }
    if (c->listening) {
        c->listening = false;
        bool ok = db_ok(res);
        char why[256];
        snprintf(why, sizeof why, "LISTEN failed: %s", res ? PQresultErrorMessage(res) : "no result");
        PQclear(res);
        if (!ok) {
            conn_lost(c, why);
            return;
        }
        c->pool->notify_cb(false, c->pool->notify_arg);
        return;
    }
    db_result_cb cb = c->cb;
    void *arg = c->arg;
    c->cb = NULL;
    cb(res, arg);
    PQclear(res);
}

static void pipeline_done(db_conn *c)
{
    evtimer_del(c->timer);
    if (PQexitPipelineMode(c->pg) != 1) {
        conn_lost(c, "could not leave pipeline mode");
        return;
    }
    watch(c, EV_READ);
    c->state = C_READY;
    c->pipeline = false;
    PGresult *res[DB_PIPELINE_MAX];
    int n = c->pl_n;
    memcpy(res, c->pl_res, sizeof res);
    memset(c->pl_res, 0, sizeof c->pl_res);
    db_pipeline_cb cb = c->pl_cb;
    void *arg = c->arg;
    c->pl_cb = NULL;
    cb(res, n, arg);
    for (int i = 0; i < n; i++)
        if (res[i])
            PQclear(res[i]);
}

/* 64-bit FNV-1a: names a statement by its text, or keys a name. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h ? h : 1;
}

static bool is_prepared(const db_conn *c, uint64_t h)
{
    for (int k = 0; k < c->nprepared; k++)
        if (c->prepared[k] == h)
            return true;
    return false;
}

static void forget_prepared(db_conn *c, uint64_t h)
{
    for (int k = 0; k < c->nprepared; k++)
        if (c->prepared[k] == h) {
            c->prepared[k] = c->prepared[--c->nprepared];
            return;
        }
}

/* Each call's results end with a NULL; the sync point ends the pipeline. */
static void pipeline_read(db_conn *c)
{
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            if (c->pl_done >= c->pl_slots)
                break; /* waiting for the sync point */
            c->pl_done++;
            continue;
        }
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            pipeline_done(c);
            return;
        }
        int slot = c->pl_done < c->pl_slots ? c->pl_map[c->pl_done] : DB_PIPELINE_MAX;
        int call = slot < 0 ? -slot - 1 : slot;
        bool keep = call < c->pl_n && (slot >= 0 || !db_ok(r)); /* a Prepare's result matters only if it failed */
        if (slot < 0 && call < c->pl_n && !db_ok(r))
            forget_prepared(c, c->pl_prepare[call]); /* failed or skipped: not there */
        if (keep && c->pl_res[call] && !db_ok(c->pl_res[call]))
            keep = false; /* the first error of a call is the one to report */
        if (keep) {
            if (c->pl_res[call])
                PQclear(c->pl_res[call]);
            c->pl_res[call] = r;
        } else {
            PQclear(r);
        }
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        conn_lost(c, "server closed the connection");
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    db_conn *c = arg;
    if (c->state == C_CONNECTING) {
        connect_step(c);
        return;
    }
    if (what & EV_WRITE) {
        int f = PQflush(c->pg);
        if (f < 0) {
            conn_lost(c, PQerrorMessage(c->pg));
            return;
        }
        if (f == 0)
            watch(c, EV_READ);
    }
    if (!(what & EV_READ))
        return;
    if (!PQconsumeInput(c->pg)) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    for (PGnotify *n; (n = PQnotifies(c->pg));) {
        PQfreemem(n);
        if (c->pool->notify_cb)
            c->pool->notify_cb(true, c->pool->notify_arg);
        if (!c->pg)
            return;
    }
    if (c->state != C_QUERY) {
        if (PQstatus(c->pg) == CONNECTION_BAD)
            conn_lost(c, "server closed the connection");
        return;
    }
    if (c->reading) {
        reads_read(c);
        return;
    }
    if (c->pipeline) {
        pipeline_read(c);
        return;
    }
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            query_done(c);
            return;
        }
        if (c->last)
            PQclear(c->last);
        c->last = r;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        conn_lost(c, "server closed the connection");
}

static void send_query(db_conn *c, const char *sql, int n, const char *const *params)
{
    if (!PQsendQueryParams(c->pg, sql, n, NULL, params, NULL, NULL, 0)) {
        c->state = C_QUERY;
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    c->state = C_QUERY;
    arm_timer(c, c->pool->statement_timeout_ms + QUERY_GRACE_MS);
    flush_and_watch(c);
}

/* A ready, unheld connection: give it to the first waiter (reads at the head
 * of the queue all go to it, up to DB_READ_DEPTH). */
static void conn_became_ready(db_conn *c)
{
    db_pool *p = c->pool;
    if (c->held || c->state != C_READY || !p->head)
        return;
    if (p->head->read) {
        reads_take_waiting(c);
        return;
    }
    waiter *w = p->head;
    p->head = w->next;
    if (!p->head)
        p->tail = NULL;
    p->nwaiting--;
    c->held = true;
    db_acquire_cb cb = w->cb;
    void *arg = w->arg;
    free(w);
    cb(c, arg);
}

/* A pool whose connections are not yet started. */
static db_pool *db_pool_new_idle(struct event_base *base, const char *url, int size, int max_waiting,
                                 int statement_timeout_ms, int connect_timeout_s)
{
    db_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = base;
    p->url = strdup(url);
    p->size = size;
    p->plan_refresh_runs = DB_PLAN_REFRESH_RUNS;
    p->max_waiting = max_waiting;
    p->statement_timeout_ms = statement_timeout_ms;
    p->connect_timeout_s = connect_timeout_s;
    snprintf(p->options, sizeof p->options, "-c statement_timeout=%d", statement_timeout_ms);
    snprintf(p->connect_timeout, sizeof p->connect_timeout, "%d", connect_timeout_s);
    p->conns = calloc((size_t)size, sizeof *p->conns);
    if (!p->url || !p->conns) {
        free(p->url);
        free(p->conns);
        free(p);
        return NULL;
    }
    for (int i = 0; i < size; i++) {
        db_conn *c = &p->conns[i];
        c->pool = p;
        c->backoff_ms = BACKOFF_MIN_MS;
        c->io = event_new(base, -1, 0, on_io, c);
        c->timer = evtimer_new(base, on_timer, c);
        if (!c->io || !c->timer) {
            db_pool_free(p);
            return NULL;
        }
    }
    return p;
}

db_pool *db_pool_new(struct event_base *base, const char *url, int size, int max_waiting,
                     int statement_timeout_ms, int connect_timeout_s)
{
    db_pool *p = db_pool_new_idle(base, url, size, max_waiting, statement_timeout_ms, connect_timeout_s);
    for (int i = 0; p && i < size; i++)
        conn_connect(&p->conns[i]);
    return p;
}

db_pool *db_listener_new(struct event_base *base, const char *url, const char *channel, int connect_timeout_s,
                         db_notify_cb cb, void *arg)
{
    char *sql = NULL;
    if (asprintf(&sql, "LISTEN \"%s\"", channel) < 0)
        return NULL;
    db_pool *p = db_pool_new_idle(base, url, 1, 0, 10000, connect_timeout_s);
    if (!p) {
        free(sql);
        return NULL;
    }
    p->listen_sql = sql;
    p->notify_cb = cb;
    p->notify_arg = arg;
    conn_connect(&p->conns[0]);
    return p;
}

void db_pool_free(db_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->size; i++) {
        db_conn *c = &p->conns[i];
        if (c->io)
            event_free(c->io);
        if (c->timer)
            event_free(c->timer);
        if (c->last)
            PQclear(c->last);
        for (int k = 0; k < c->rd_n; k++)
            PQclear(c->rd[(c->rd_head + k) % DB_READ_DEPTH].res);
        for (int k = 0; k < DB_PIPELINE_MAX; k++)
            PQclear(c->pl_res[k]); /* a pipeline cut off mid-way: the results it had so far */
        if (c->pg)
            PQfinish(c->pg);
    }
    while (p->head) {
        waiter *w = p->head;
        p->head = w->next;
        free(w->read);
        free(w);
    }
    free(p->conns);
    free(p->url);
    free(p->listen_sql);
    free(p);
}

/* Puts w last in the pool's queue of waiters (first come, first served). */
static void waiter_enqueue(db_pool *p, waiter *w)
{
    w->next = NULL;
    if (p->tail)
        p->tail->next = w;
    else
        p->head = w;
    p->tail = w;
    p->nwaiting++;
}

void db_acquire(db_pool *p, db_acquire_cb cb, void *arg)
{
    for (int i = 0; i < p->size; i++) {
        db_conn *c = &p->conns[i];
        if (c->state == C_READY && !c->held) {
            c->held = true;
            cb(c, arg);
            return;
        }
    }
    if (count_connected(p) == 0 || p->nwaiting >= p->max_waiting) {
        cb(NULL, arg);
        return;
    }
    waiter *w = malloc(sizeof *w);
    if (!w) {
        cb(NULL, arg);
        return;
    }
    w->cb = cb;
    w->arg = arg;
    w->read = NULL;
    waiter_enqueue(p, w);
}

/* db_query's statement came back as a pipeline of one. */
static void one_done(PGresult *const *res, int n, void *arg)
{
    (void)n;
    db_conn *c = arg;
    db_result_cb cb = c->cb;
    void *a = c->one_arg;
    c->cb = NULL;
    c->one_arg = NULL;
    if (cb)
        cb(res[0], a);
}

static void query_named(db_conn *c, const char *name, const char *sql, int nparams, const char *const *params,
                        db_result_cb cb, void *arg)
{
    if (c->state != C_READY || c->lost_while_held) {
        c->cb = NULL;
        cb(NULL, arg); /* lost while held: never continue a session on a new connection */
        return;
    }
    c->cb = cb;
    c->one_arg = arg;
    db_call call = { sql, nparams, params, name };
    db_pipeline(c, &call, 1, one_done, c);
}

void db_query(db_conn *c, const char *sql, int nparams, const char *const *params, db_result_cb cb, void *arg)
{
    query_named(c, NULL, sql, nparams, params, cb, arg);
}

void db_query_dynamic(db_conn *c, const char *sql, int nparams, const char *const *params, db_result_cb cb,
                      void *arg)
{
    query_named(c, DB_UNNAMED, sql, nparams, params, cb, arg);
}

/* Queues one statement on a connection in pipeline mode. Every statement is
 * prepared, on first use on this connection, in the same round trip: named by
 * the caller or after a hash of its text; DB_UNNAMED ones are planned for
 * their parameters on every run. *prepare gets the hash of the statement a
 * Prepare was queued for (0: none). Returns the messages queued (2: a Prepare
 * and its Execute, 1: the statement), -1 when libpq failed (the connection is
 * then to be dropped). */
static int send_call(db_conn *c, const db_call *call, uint64_t *prepare)
{
    *prepare = 0;
    const char *name = call->name;
    if (name && !*name)
        return PQsendQueryParams(c->pg, call->sql, call->nparams, NULL, call->params, NULL, NULL, 0) ? 1 : -1;
    char auto_name[20];
    if (!name) {
        snprintf(auto_name, sizeof auto_name, "q%016llx", (unsigned long long)fnv1a(call->sql));
        name = auto_name;
    }
    uint64_t h = fnv1a(name);
    bool ready = is_prepared(c, h);
    int sent = 1;
    if (!ready && c->nprepared < DB_MAX_PREPARED) {
        if (!PQsendPrepare(c->pg, name, call->sql, call->nparams, NULL))
            return -1;
        c->prepared[c->nprepared++] = h;
        *prepare = h;
        sent = 2;
        ready = true;
    }
    c->runs += ready;
    int ok = ready ? PQsendQueryPrepared(c->pg, name, call->nparams, call->params, NULL, NULL, 0)
                   : PQsendQueryParams(c->pg, call->sql, call->nparams, NULL, call->params, NULL, NULL, 0);
    return ok ? sent : -1;
}

void db_pipeline(db_conn *c, const db_call *calls, int n, db_pipeline_cb cb, void *arg)
{
    c->arg = arg;
    c->pl_cb = cb;
    c->pl_n = n;
    c->pl_done = 0;
    c->pipeline = true;
    if (n < 1 || n > DB_PIPELINE_MAX || c->state != C_READY || c->lost_while_held) {
        pipeline_fail(c);
        return;
    }
    if (PQenterPipelineMode(c->pg) != 1) {
        c->state = C_QUERY;
        conn_lost(c, "could not enter pipeline mode");
        return;
    }
    c->state = C_QUERY;
    c->pl_slots = 0;
    for (int i = 0; i < n; i++) {
        int sent = send_call(c, &calls[i], &c->pl_prepare[i]);
        if (sent < 0) {
            conn_lost(c, PQerrorMessage(c->pg));
            return;
        }
        if (sent == 2)
            c->pl_map[c->pl_slots++] = -(i + 1);
        c->pl_map[c->pl_slots++] = i;
    }
    if (PQpipelineSync(c->pg) != 1) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    arm_timer(c, c->pool->statement_timeout_ms + QUERY_GRACE_MS);
    flush_and_watch(c);
}

const PGresult *db_pipeline_failure(PGresult *const *res, int n, bool *lost)
{
    *lost = false;
    for (int i = 0; i < n; i++) {
        if (!res[i]) {
            *lost = true;
            return NULL;
        }
        if (!db_ok(res[i]))
            return res[i];
    }
    return NULL;
}

/* A ready connection past plan_refresh_runs forgets its statements (true:
 * DEALLOCATE ALL sent; it becomes ready when that is done). */
static bool refresh_plans(db_conn *c)
{
    if (c->runs < c->pool->plan_refresh_runs)
        return false;
    c->deallocating = true;
    send_query(c, "DEALLOCATE ALL", 0, NULL);
    return true;
}

void db_release(db_conn *c)
{
    if (!c)
        return;
    c->held = false;
    c->lost_while_held = false;
    c->cb = NULL;
    if (c->state != C_READY)
        return; /* lost: reconnecting, or (never) mid-query */
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
        c->rolling_back = true;
        send_query(c, "ROLLBACK", 0, NULL);
        return;
    }
    if (refresh_plans(c))
        return;
    conn_became_ready(c);
}

/* ---- db_read: single-statement reads, several in flight on one connection ---- */

/* Room for one more read on c: a free connection, or one reading with fewer
 * than DB_READ_DEPTH in flight and not yet due for a plan refresh (it must
 * drain for that). */
static bool read_room(const db_conn *c)
{
    if (c->held)
        return false;
    if (c->state == C_READY)
        return true;
    return c->state == C_QUERY && c->reading && c->rd_n < DB_READ_DEPTH && c->runs < c->pool->plan_refresh_runs;
}

/* Queues a read on c (read_room(c) holds): [Prepare,] Execute, Sync. Its own
 * sync point means a failure ends this read alone. On a libpq failure the
 * connection is dropped and every read on it (this one included) gets NULL. */
static void read_send(db_conn *c, const char *sql, int nparams, const char *const *params, db_result_cb cb,
                      void *arg)
{
    if (!c->reading) {
        if (PQenterPipelineMode(c->pg) != 1) {
            conn_lost(c, "could not enter pipeline mode");
            cb(NULL, arg);
            return;
        }
        c->reading = true;
        c->state = C_QUERY;
        c->rd_head = 0;
        c->rd_n = 0;
    }
    read_slot *s = &c->rd[(c->rd_head + c->rd_n) % DB_READ_DEPTH];
    memset(s, 0, sizeof *s);
    s->cb = cb;
    s->arg = arg;
    if (++c->rd_n == 1)
        arm_timer(c, c->pool->statement_timeout_ms + QUERY_GRACE_MS); /* the head read's bound */
    db_call call = { sql, nparams, params, NULL };
    if (send_call(c, &call, &s->prepare) < 0 || PQpipelineSync(c->pg) != 1) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    flush_and_watch(c);
}

/* The connection is gone: every read on it gets NULL, in order. Callbacks may
 * queue new reads (on other connections: this one is down). */
static void reads_fail(db_conn *c)
{
    read_slot gone[DB_READ_DEPTH];
    int n = c->rd_n;
    for (int k = 0; k < n; k++)
        gone[k] = c->rd[(c->rd_head + k) % DB_READ_DEPTH];
    c->rd_n = 0;
    c->reading = false;
    for (int k = 0; k < n; k++) {
        if (gone[k].res)
            PQclear(gone[k].res);
        gone[k].cb(NULL, gone[k].arg);
    }
}

/* No read left in flight: leave pipeline mode and serve waiters. */
static void reads_drained(db_conn *c)
{
    evtimer_del(c->timer);
    c->reading = false;
    if (PQexitPipelineMode(c->pg) != 1) {
        conn_lost(c, "could not leave pipeline mode");
        return;
    }
    c->state = C_READY;
    watch(c, EV_READ);
    if (refresh_plans(c))
        return;
    conn_became_ready(c);
}

/* The head read reached its sync point: hand its result over. */
static void read_done(db_conn *c)
{
    read_slot s = c->rd[c->rd_head];
    c->rd_head = (c->rd_head + 1) % DB_READ_DEPTH;
    c->rd_n--;
    if (c->rd_n > 0)
        arm_timer(c, c->pool->statement_timeout_ms + QUERY_GRACE_MS); /* the next one's bound */
    else
        evtimer_del(c->timer);
    s.cb(s.res, s.arg);
    if (s.res)
        PQclear(s.res);
    if (c->reading && c->rd_n == 0)
        reads_drained(c);
    else if (c->reading)
        reads_take_waiting(c);
}

/* Results in order: each read's ([Prepare,] statement) then its sync point. */
static void reads_read(db_conn *c)
{
    bool after_null = false;
    while (c->reading && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            if (after_null)
                break; /* nothing more queued */
            after_null = true;
            continue;
        }
        after_null = false;
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            if (c->rd_n > 0)
                read_done(c);
            continue;
        }
        if (c->rd_n == 0) {
            PQclear(r); /* never: every result belongs to a read */
            continue;
        }
        read_slot *s = &c->rd[c->rd_head];
        bool of_prepare = s->prepare && s->seen++ == 0;
        if (of_prepare && !db_ok(r))
            forget_prepared(c, s->prepare); /* failed: not there */
        if ((of_prepare && db_ok(r)) || (s->res && !db_ok(s->res))) {
            PQclear(r); /* a Prepare that worked, or after the first error */
            continue;
        }
        if (s->res)
            PQclear(s->res);
        s->res = r;
    }
    if (c->reading && PQstatus(c->pg) == CONNECTION_BAD)
        conn_lost(c, "server closed the connection");
}

/* Moves the reads at the head of the pool's queue onto c while it has room
 * (an acquire at the head stops it: first come, first served). */
static void reads_take_waiting(db_conn *c)
{
    db_pool *p = c->pool;
    while (p->head && p->head->read && read_room(c)) {
        waiter *w = p->head;
        p->head = w->next;
        if (!p->head)
            p->tail = NULL;
        p->nwaiting--;
        pending_read *r = w->read;
        free(w);
        read_send(c, r->sql, r->nparams, r->params, r->cb, r->arg);
        free(r);
    }
}

/* A copy of a read for the queue, in one allocation (freed with free). */
static pending_read *pending_copy(const char *sql, int nparams, const char *const *params, db_result_cb cb,
                                  void *arg)
{
    size_t len = sizeof(pending_read) + (size_t)nparams * sizeof(char *) + strlen(sql) + 1;
    for (int i = 0; i < nparams; i++)
        len += params[i] ? strlen(params[i]) + 1 : 0;
    pending_read *r = malloc(len);
    if (!r)
        return NULL;
    r->cb = cb;
    r->arg = arg;
    r->nparams = nparams;
    r->params = (const char **)(r + 1);
    char *text = (char *)(r->params + nparams);
    r->sql = text;
    text = stpcpy(text, sql) + 1;
    for (int i = 0; i < nparams; i++) {
        r->params[i] = params[i] ? text : NULL;
        if (params[i])
            text = stpcpy(text, params[i]) + 1;
    }
    return r;
}

void db_read(db_pool *p, const char *sql, int nparams, const char *const *params, db_result_cb cb, void *arg)
{
    /* a free connection first (one more backend at work), then the reading one
     * with the fewest in flight; none while others wait (first come, first served) */
    db_conn *best = NULL;
    for (int i = 0; !p->head && i < p->size; i++) {
        db_conn *c = &p->conns[i];
        if (!read_room(c))
            continue;
        if (c->state == C_READY) {
            best = c;
            break;
        }
        if (!best || c->rd_n < best->rd_n)
            best = c;
    }
    if (best) {
        read_send(best, sql, nparams, params, cb, arg);
        return;
    }
    waiter *w = NULL;
    if (count_connected(p) == 0 || p->nwaiting >= p->max_waiting || !(w = calloc(1, sizeof *w)) ||
        !(w->read = pending_copy(sql, nparams, params, cb, arg))) {
        free(w);
        cb(NULL, arg);
        return;
    }
    waiter_enqueue(p, w);
}

void db_pool_set_plan_refresh(db_pool *p, int runs)
{
    p->plan_refresh_runs = runs > 0 ? runs : DB_PLAN_REFRESH_RUNS;
}

bool db_pool_up(const db_pool *p)
{
    return count_connected(p) > 0;
}

void db_pool_get_stats(const db_pool *p, db_pool_stats *out)
{
    memset(out, 0, sizeof *out);
    out->size = p->size;
    for (int i = 0; i < p->size; i++) {
        const db_conn *c = &p->conns[i];
        if (c->state == C_READY || c->state == C_QUERY)
            out->connected++;
        if (c->held || c->state == C_QUERY)
            out->busy++;
        out->reads += c->rd_n;
    }
    out->waiting = p->nwaiting;
    out->errors = p->errors;
    out->plan_refreshes = p->plan_refreshes;
}

const char *db_sqlstate(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

bool db_ok(const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}
