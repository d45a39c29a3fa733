/* job_recheck.h - checks stored consultations again after the area register
 * changed (API.md section 7; DESIGN.md section 6).
 *
 * An import queues every consultation whose scope the change affects in
 * recheck_pending, bumps the register's generation and sends NOTIFY
 * consultd_areas (cli_areas_propagate.h); a write made with a stale register
 * queues itself. Every instance listens on consultd_areas (a connection of its
 * own, re-LISTENed after each reconnect) and polls every RECHECK_POLL_MS as a
 * fallback. A notification marks the catalog due (catalog.h), so the register
 * is reloaded at once, and wakes the worker.
 *
 * The worker drains the queue one consultation per transaction, with the same
 * code, locks and transaction shape as a write (overlap_plan.h): it claims the
 * oldest row queued under a generation no newer than its own register
 * (FOR UPDATE SKIP LOCKED, so instances share the queue and never check the
 * same row at once), takes the write's advisory locks, rewrites the
 * consultation's area scope and blocking keys, scores the candidates, records
 * new overlaps with their alert events and resolves those that no longer hold
 * (SQL_OVERLAPS_UPSERT, as a PATCH does), deletes the queue row and commits.
 * A crash before COMMIT leaves the row queued; the work is idempotent. A
 * consultation edited between the claim and the write is left queued and
 * checked again. It does not bump the consultation's version: the owner
 * changed nothing. A consultation whose areas now reach more than
 * OVERLAP_SCOPE_MAX areas is never checked against a cut scope: it stays
 * queued, deferred RECHECK_DEFER_S seconds behind the rest of the queue
 * (SQL_RECHECK_DEFER), with a warning naming it, and is tried again then (the
 * register or the consultation may have changed); it is not counted as
 * re-checked. */
#ifndef CONSULTD_JOB_RECHECK_H
#define CONSULTD_JOB_RECHECK_H

#include "server.h"

#define RECHECK_POLL_MS 1000
#define RECHECK_DB_CONNECTIONS 2      /* the worker's, and the queue depth gauge's */

typedef struct recheck recheck;

/* NULL when out of memory. Starts listening and polling at once. */
recheck *recheck_new(server *srv);
void recheck_free(recheck *w);

/* Starts draining unless a run is under way (then runs again after it). */
void recheck_run(recheck *w);

/* true while a re-check transaction is open: a graceful stop waits for it. */
bool recheck_busy(const recheck *w);

/* Appends consultd_recheck_queue_depth and consultd_rechecks_total. */
void recheck_metrics(const recheck *w, char **buf, size_t *len, size_t *cap);

#endif
