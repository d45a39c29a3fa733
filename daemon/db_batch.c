/* db_batch.c - one-row reads gathered into one statement (see db_batch.h). */
#include "db_batch.h"

#include <stdlib.h>
#include <string.h>

typedef struct asker {
    db_batch_cb cb;
    void *arg;
    int row;                        /* its row in the result, -1 none */
} asker;

/* One statement's keys and callers, gathering and then in flight, in one
 * allocation: the askers, then the keys' text. */
typedef struct batch_call {
    struct batch_call *prev, *next; /* the batch's statements in flight */
    db_batch *owner;
    int n;
    asker *askers;
    char *literal;                  /* key,key,... */
    size_t len;
} batch_call;

struct db_batch {
    db_pool *pool;
    const char *sql;
    int max_keys;
    int in_flight_max;              /* statements carrying fewer than max_keys at once */
    int in_flight_n;
    int max_pending;                /* ids asked for and not yet answered, at most */
    int pending;
    size_t literal_cap;
    struct event *flush;            /* end of the loop turn: send what gathered */
    batch_call *gathering;          /* keys asked for in this turn, or NULL */
    batch_call *in_flight;
    db_batch_stats stats;
};

static batch_call *call_new(db_batch *b)
{
    size_t askers = (size_t)b->max_keys * sizeof(asker);
    batch_call *c = malloc(sizeof *c + askers + b->literal_cap);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->owner = b;
    c->askers = (asker *)(c + 1);
    c->literal = (char *)c->askers + askers;
    c->literal[0] = '\0';
    return c;
}

static void unlink_call(batch_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->owner->in_flight = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void send_gathered(db_batch *b);

static void on_result(PGresult *res, void *arg)
{
    batch_call *c = arg;
    db_batch *b = c->owner;
    unlink_call(c);
    b->in_flight_n--;
    b->pending -= c->n;
    if (db_ok(res) && PQnfields(res) > 0) {
        int last = PQnfields(res) - 1;
        for (int r = 0; r < PQntuples(res); r++) {
            long pos = strtol(PQgetvalue(res, r, last), NULL, 10);
            if (pos >= 1 && pos <= c->n)
                c->askers[pos - 1].row = r;
        }
    }
    for (int i = 0; i < c->n; i++)
        c->askers[i].cb(res, c->askers[i].row, c->askers[i].arg);
    free(c);
    if (b->gathering && b->in_flight_n < b->in_flight_max)
        send_gathered(b); /* what gathered while the statements were full */
}

/* Sends what gathered (b->gathering, not empty) as one statement. */
static void send_gathered(db_batch *b)
{
    batch_call *c = b->gathering;
    b->gathering = NULL;
    b->in_flight_n++;
    b->stats.statements++;
    b->stats.keys += (unsigned long)c->n;
    c->next = b->in_flight;
    if (c->next)
        c->next->prev = c;
    b->in_flight = c;
    const char *p[] = { c->literal };
    db_read(b->pool, b->sql, 1, p, on_result, c); /* may call back at once */
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    db_batch *b = arg;
    if (b->gathering && b->in_flight_n < b->in_flight_max)
        send_gathered(b); /* else sent when a statement in flight is answered */
}

db_batch *db_batch_new(struct event_base *base, db_pool *pool, const char *sql, int max_keys, int in_flight_max,
                       int max_pending)
{
    if (max_keys < 1 || max_keys > 1024 || in_flight_max < 1 || max_pending < 1)
        return NULL;
    db_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->pool = pool;
    b->sql = sql;
    b->max_keys = max_keys;
    b->in_flight_max = in_flight_max;
    b->max_pending = max_pending;
    b->literal_cap = (size_t)max_keys * DB_BATCH_KEY_MAX; /* each key and its ',' or the '\0' */
    b->flush = event_new(base, -1, 0, on_flush, b);
    if (!b->flush) {
        free(b);
        return NULL;
    }
    return b;
}

void db_batch_free(db_batch *b)
{
    if (!b)
        return;
    event_free(b->flush);
    free(b->gathering);
    while (b->in_flight) {
        batch_call *c = b->in_flight;
        b->in_flight = c->next;
        free(c);
    }
    free(b);
}

void db_batch_get(db_batch *b, const char *key, db_batch_cb cb, void *arg)
{
    size_t klen = strlen(key);
    if (klen == 0 || klen >= DB_BATCH_KEY_MAX || strchr(key, ',') || b->pending >= b->max_pending) {
        cb(NULL, -1, arg);
        return;
    }
    if (!b->gathering) {
        b->gathering = call_new(b);
        if (!b->gathering) {
            cb(NULL, -1, arg);
            return;
        }
        event_active(b->flush, EV_TIMEOUT, 0); /* after the callbacks already due in this turn */
    }
    batch_call *c = b->gathering;
    if (c->n > 0)
        c->literal[c->len++] = ',';
    memcpy(c->literal + c->len, key, klen + 1);
    c->len += klen;
    c->askers[c->n++] = (asker){ cb, arg, -1 };
    b->pending++;
    if (c->n == b->max_keys)
        send_gathered(b);
}

db_batch_stats db_batch_stats_get(const db_batch *b)
{
    db_batch_stats st = b->stats;
    st.in_flight = b->in_flight_n;
    st.gathering = b->gathering ? b->gathering->n : 0;
    return st;
}
