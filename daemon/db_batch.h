/* db_batch.h - reads of one row by key, gathered over a turn of the event
 * loop and sent as one statement (db_read) for all the keys asked for.
 *
 * Why: PostgreSQL spends most of a one-row read on the statement around it
 * (bind, snapshot, executor start, the protocol), not on the row. Reading
 * eight rows in one statement costs it about a third of eight statements
 * (pgbench at a million stored, the read's own text: 0.024 against 0.068 ms
 * a row). Under load many clients ask for rows in the same
 * turn of the loop; at rest a key is alone in its statement and waits for
 * nothing but the end of the turn it was asked in.
 *
 * The statement (a fixed text, prepared as db.h describes) takes $1, the keys
 * joined by commas, and returns at most one row per key; its last column is
 * the key's 1-based position in $1 (string_to_table($1, ',') WITH
 * ORDINALITY), so a key asked for twice gets its row twice and no key text is
 * compared here. Not an array parameter: PostgreSQL plans a prepared
 * statement afresh for its values while that looks cheaper than its generic
 * plan, and it counts the elements of an array value (a plan a statement,
 * 0.67 ms, when few keys gather), but not the parts of a text. */
#ifndef CONSULTD_DB_BATCH_H
#define CONSULTD_DB_BATCH_H

#include <event2/event.h>
#include <libpq-fe.h>

#include "db.h"

/* Longest key, terminator included (a UUID needs 37). A key holds no comma. */
#define DB_BATCH_KEY_MAX 64

typedef struct db_batch db_batch;

/* One caller's answer: res is the batch's result (NULL when no connection
 * was up, too many waited, memory ran out, the connection was lost or the
 * statement timed out: answer 503; an error result when the statement
 * failed), row the index of this key's row in it, or -1 when res has none
 * for it (not found, or res is NULL or an error). res is freed after the
 * last caller of the batch returns: copy what is kept. */
typedef void (*db_batch_cb)(const PGresult *res, int row, void *arg);

typedef struct db_batch_stats {
    unsigned long statements; /* statements sent */
    unsigned long keys;       /* keys they carried */
    int in_flight;            /* statements sent and not yet answered */
    int gathering;            /* keys asked for and not yet sent */
} db_batch_stats;

/* A batch reader of sql (a constant that outlives it; see above) on pool,
 * sending at most max_keys (1..1024) keys a statement and, while
 * in_flight_max (>= 1) of its statements are unanswered, holding the keys
 * asked for until one is answered (a full statement's worth goes at once):
 * when PostgreSQL is the bound, keys wait for it in one statement rather than
 * in many. At most max_pending (>= 1) ids wait for their rows at once,
 * gathering or in flight: the bound database.max_waiting puts on the reads
 * that wait for a connection, counted by id, since one statement carries many.
 * NULL when out of memory or an argument is out of range. Owned by the caller; freed with
 * db_batch_free after db_pool_free (so that no statement it sent can still
 * call back). */
db_batch *db_batch_new(struct event_base *base, db_pool *pool, const char *sql, int max_keys, int in_flight_max,
                       int max_pending);

/* Frees b and every statement of it still in flight or gathering, without
 * calling their callbacks (as db_pool_free: at shutdown, when the requests
 * that asked are freed by their owner). NULL is a no-op. */
void db_batch_free(db_batch *b);

/* Asks for key's row: cb(res, row, arg) runs once, when the statement that
 * carries it is answered. That statement is sent at the end of the current
 * turn of the loop (or when max_keys have gathered, or when one in flight is
 * answered, as above), or at once with res NULL when key is empty, longer than
 * DB_BATCH_KEY_MAX - 1 bytes or holds a comma, when max_pending ids already
 * wait, or when memory runs out. key is copied; the caller checks its form (a key
 * the statement cannot cast fails the whole batch's statement). */
void db_batch_get(db_batch *b, const char *key, db_batch_cb cb, void *arg);

/* Statements sent and keys carried since b was made, and now in flight and
 * gathering (for /metrics). */
db_batch_stats db_batch_stats_get(const db_batch *b);

#endif
