/* store_digests.h - SQL for closing digest windows (job_digest.h). Each is
 * run as a prepared statement under the name job_digest.c gives it. */
#ifndef CONSULTD_STORE_DIGESTS_H
#define CONSULTD_STORE_DIGESTS_H

/* No parameters. Locks one due digest subscription (FOR NO KEY UPDATE SKIP
 * LOCKED); returns (id, delivery, digest_time, digest_day (monday when
 * unset), digest_last_end and now as whole epoch seconds, rounded down), or
 * no row. */
extern const char SQL_DIGEST_CLAIM[];
/* No parameters. Returns (windows due and not closed, events held for a
 * digest of an active subscription). */
extern const char SQL_DIGEST_GAUGES[];
/* $1 subscription, $2 window end (epoch seconds): takes (deletes) the held
 * events older than the end, those of earlier windows committed too late for
 * them included; returns (events taken, body) for the first DIGEST_MAX_EVENTS
 * (fmt_digest.h) of them, oldest first. */
extern const char SQL_DIGEST_TAKE[];
/* $1 subscription, $2 window end, $3 next scheduled time (epoch seconds), $4
 * digest event id (NULL: empty window), $5 its body, $6 events in the window:
 * queues the digest's delivery, records the window and moves the schedule on.
 * Returns no rows. */
extern const char SQL_DIGEST_CLOSE[];
/* $1 subscription, $2 its next scheduled time (epoch seconds): digest_next_at
 * was early (no scheduled time has passed since the window opened). */
extern const char SQL_DIGEST_RESCHEDULE[];
/* No parameters. Held events of a subscription that no longer holds any
 * (job_digest.h): an active immediate one's become deliveries (as fan-out
 * would have made them), a deleted or disabled one's are deleted. Returns
 * (events taken, deliveries made). */
extern const char SQL_DIGEST_STRAYS[];

#endif
