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
/* $1 id, $2 as SQL_SUBSCRIPTION_VISIBLE. Returns (subscription_json), or no row. */
extern const char SQL_SUBSCRIPTION_GET[];
/* $1 id, $2 as SQL_SUBSCRIPTION_VISIBLE: marks it deleted and cancels its
 * pending deliveries. Returns (id), or no row. */
extern const char SQL_SUBSCRIPTION_DELETE[];
/* $1 subscription id, $2 cursor (an attempt id, or null for the newest),
 * $3 page size. Returns (attempt id, attempt as JSON text), newest first, up
 * to $3 + 1 rows (one more tells there is a next page). */
extern const char SQL_SUBSCRIPTION_ATTEMPTS[];
/* $1 id, $2 as SQL_SUBSCRIPTION_VISIBLE: queues a ping event when it is active.
 * Returns (event id or '' when not active, status, disabled reason or ''),
 * or no row. */
extern const char SQL_SUBSCRIPTION_PING[];

#endif
