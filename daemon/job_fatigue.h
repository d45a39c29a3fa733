/* job_fatigue.h - raises fatigue.exceeded alert events.
 *
 * Every write that changes who a consultation asks, where or when queues it in
 * fatigue_pending, in the write's transaction (an insert in its own statement,
 * an edit through a trigger). The watch claims the oldest queued rows, FATIGUE_WATCH_CLAIM at a time, with FOR UPDATE SKIP LOCKED
 * (so instances share the queue), reads in one statement every row that may
 * count with them, found by blocking key, and counts, as GET /v1/fatigue does
 * (fatigue.c), every (area, community, month) bucket each consultation adds to, and in the claiming transaction records the
 * buckets over fatigue.max_asks in fatigue_alerted (once each, ever), writes a
 * fatigue.exceeded event for each newly recorded one, and deletes the queue
 * rows. A crash mid-check leaves the rows queued for the next run. */
#ifndef CONSULTD_JOB_FATIGUE_H
#define CONSULTD_JOB_FATIGUE_H

#include "server.h"

#define FATIGUE_WATCH_BATCH 5000    /* consultations checked per run (one run a second at most) */
#define FATIGUE_WATCH_CLAIM 50      /* checked in one transaction: one read, one commit */
#define FATIGUE_WATCH_MAX_ROWS 100000 /* rows read for one transaction's checks */

typedef struct fatigue_watch fatigue_watch;

/* A watch that claims its connections from db (borrowed: the dispatcher's
 * pool, which outlives it); NULL when out of memory. It runs only when
 * fatigue_watch_run is called (the dispatcher does, on each wake-up). */
fatigue_watch *fatigue_watch_new(server *srv, db_pool *db);
void fatigue_watch_free(fatigue_watch *w);

/* Starts a run unless one is under way. */
void fatigue_watch_run(fatigue_watch *w);

/* true while a run holds a connection. */
bool fatigue_watch_busy(const fatigue_watch *w);

/* Appends the watch's gauges and counters to *buf (metrics_appendf): the
 * queue's depth and its oldest row's age in seconds (read by the
 * dispatcher's depth query, SQL_ALERTS_DEPTH, and passed in), the
 * consultations this instance checked and the events it raised. w may be
 * NULL (zeros). */
void fatigue_watch_metrics(const fatigue_watch *w, long depth, double oldest_s, char **buf, size_t *len,
                           size_t *cap);

#endif
