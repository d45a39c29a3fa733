/* job_digest.h - closes due digest windows and queues their digests.
 *
 * Runs on the event loop with the alert dispatcher's connections, started by
 * the dispatcher's poll (every ALERTS_POLL_MS: a window's end is known in
 * advance, so NOTIFY, which wakes the dispatcher for new events, is not needed).
 * Each close is one transaction of three round trips, none around I/O other
 * than PostgreSQL's:
 *   1. lock one active digest subscription whose digest_next_at has passed
 *      (FOR NO KEY UPDATE SKIP LOCKED: instances share the work, and fan-out's
 *      key-share locks on the row are not blocked), with the database's clock;
 *   2. compute the window's end in C (digest_schedule.h: the latest
 *      scheduled time that has passed) and take (delete) the subscription's
 *      held events (digest_items) older than it;
 *   3. build the digest body (fmt_digest.h) and, in one statement, write it
 *      as a 'digest' alert event with its delivery (sent by the dispatcher,
 *      with retries, at least once, always under the same webhook-id), record
 *      the window in digest_windows, and move digest_last_end to the window's
 *      end and digest_next_at to the next scheduled time; then COMMIT.
 * An empty window writes no event but still moves on. A crash anywhere before
 * the commit rolls everything back, and the window is closed again later by
 * whichever instance gets there first; the database's clock decides, so
 * instances never disagree about what is due.
 *
 * Every DIGEST_STRAYS_EVERY_S a run first sweeps stray held events: those of
 * a subscription that no longer holds any. An event being fanned out while
 * its subscription is changed to immediate delivery or deleted (the PATCH or
 * DELETE takes what is held when it commits; a fan-out that read the
 * subscription before that commits its item just after) becomes a delivery
 * sent at once, or, for a deleted or disabled subscription, is dropped. One
 * statement, on its own (committed whatever the claim finds). */
#ifndef CONSULTD_JOB_DIGEST_H
#define CONSULTD_JOB_DIGEST_H

#include "server.h"

#define DIGEST_WORKER_BATCH 100   /* windows closed per run at most (one run a second) */
#define DIGEST_STRAYS_EVERY_S 5   /* how often stray held events are swept (above) */

typedef struct digest_worker digest_worker;

/* db is the dispatcher's pool (borrowed). NULL when memory runs out. */
digest_worker *digest_worker_new(server *srv, db_pool *db);
void digest_worker_free(digest_worker *w);

/* Starts a run unless one is under way, the daemon is stopping or the area
 * register (for the e-mail's place names) is not loaded yet. */
void digest_worker_run(digest_worker *w);

/* true while a run holds a connection (a graceful stop waits for it). */
bool digest_worker_busy(const digest_worker *w);

/* Appends the digest metrics in exposition format. w may be NULL. */
void digest_worker_metrics(const digest_worker *w, char **buf, size_t *len, size_t *cap);

#endif
