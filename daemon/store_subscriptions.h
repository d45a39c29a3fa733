/* store_subscriptions.h - SQL for /v1/subscriptions (api_subscriptions.c). */
#ifndef CONSULTD_STORE_SUBSCRIPTIONS_H
#define CONSULTD_STORE_SUBSCRIPTIONS_H

/* $1 id, $2 organisation, $3 url, $4 email, $5 format, $6..$12 JSON arrays of
 * text (events, areas, area_ancestors, topics, match_topics, communities,
 * match_communities), $13 min_level, $14 secret, $15 delivery, $16 digest_time,
 * $17 digest_day, $18 and $19 the first digest window's opening and closing
 * time (Unix seconds, or null for immediate delivery). Returns
 * (subscription_json). */
extern const char SQL_SUBSCRIPTION_INSERT[];
/* $1 id, $2 the caller's organisation (null: any, for admins). Returns (id)
 * of the subscription when it is not deleted and the caller may see it. */
extern const char SQL_SUBSCRIPTION_VISIBLE[];
/* $1 id, $2 as SQL_SUBSCRIPTION_VISIBLE. Returns (version, subscription_json),
 * or no row. */
extern const char SQL_SUBSCRIPTION_GET[];
/* $1 id, $2 as SQL_SUBSCRIPTION_VISIBLE: marks it deleted, cancels its
 * pending deliveries and deletes the events it held for its next digest
 * (digest_items), in one statement. Returns (id), or no row. */
extern const char SQL_SUBSCRIPTION_DELETE[];
/* $1 subscription id, $2 cursor (an attempt id, or null for the newest),
 * $3 page size. Returns (attempt id, attempt as JSON text), newest first, up
 * to $3 + 1 rows (one more tells there is a next page). */
extern const char SQL_SUBSCRIPTION_ATTEMPTS[];
/* $1 id, $2 as SQL_SUBSCRIPTION_VISIBLE: queues a ping event when it is active.
 * Returns (event id or '' when not active, status, disabled reason or ''),
 * or no row. */
extern const char SQL_SUBSCRIPTION_PING[];

/* In a transaction, before a PATCH. $1 id, $2 as SQL_SUBSCRIPTION_VISIBLE:
 * locks the row (FOR NO KEY UPDATE, waiting: a digest window being closed
 * by job_digest.c, which locks it the same way, is committed first and seen
 * here; job_digest skips the row while the PATCH holds it). Returns (version,
 * subscription_json, delivery, digest_time ('08:00' when unset), digest_day
 * ('monday' when unset), digest_last_end (0 when unset), now, and the time
 * a new first window may open: now or the latest end of this subscription's
 * closed windows, whichever is later; times as whole epoch seconds; status,
 * disabled reason or ''), or no row. */
extern const char SQL_SUBSCRIPTION_LOCK[];
/* $1 subscription: takes (deletes) every event it holds for a digest, of
 * any time (it is about to become immediate); returns (events taken, body)
 * for the first DIGEST_MAX_EVENTS of them, oldest first, as SQL_DIGEST_TAKE. */
extern const char SQL_SUBSCRIPTION_FLUSH_TAKE[];
/* $1 id, $2 format, $3..$9 JSON arrays of text as SQL_SUBSCRIPTION_INSERT's
 * $6..$12, $10 min_level, $11 delivery, $12 digest_time, $13 digest_day, $14
 * digest_last_end and $15 digest_next_at (epoch seconds, or null): the new
 * settings, version + 1. Returns (version, subscription_json). */
extern const char SQL_SUBSCRIPTION_UPDATE[];

#endif
