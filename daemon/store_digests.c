/* store_digests.c - SQL for closing digest windows (job_digest.c). */
#include "store_digests.h"

#include "db.h"
#include "fmt_digest.h"

/* Locks one due digest subscription; returns (id, delivery, digest_time,
 * digest_day, digest_last_end and now as whole epoch seconds, rounded down). */
const char SQL_DIGEST_CLAIM[] =
    "SELECT id, delivery, digest_time, coalesce(digest_day, 'monday'),"
    " floor(extract(epoch FROM digest_last_end))::bigint, floor(extract(epoch FROM now()))::bigint"
    " FROM subscriptions WHERE status = 'active' AND delivery <> 'immediate' AND digest_next_at <= now()"
    " ORDER BY digest_next_at LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED";

/* (windows due and not closed, events held for a digest) */
const char SQL_DIGEST_GAUGES[] =
    "SELECT (SELECT count(*) FROM subscriptions WHERE status = 'active' AND delivery <> 'immediate'"
    "   AND digest_next_at <= now()),"
    " (SELECT count(*) FROM digest_items i JOIN subscriptions s ON s.id = i.subscription_id"
    "   WHERE s.status = 'active')";

/* $1 subscription, $2 window end (epoch seconds): takes (deletes) the held
 * events older than the end, those of earlier windows committed too late for
 * them included; returns (events taken, body) for the first DIGEST_MAX_EVENTS
 * of them, oldest first. */
const char SQL_DIGEST_TAKE[] =
    "WITH a AS (DELETE FROM digest_items WHERE subscription_id = $1 AND created_at < to_timestamp($2::bigint)"
    "  RETURNING event_id, created_at, payload)"
    " SELECT count(*) OVER (), payload FROM a ORDER BY created_at, event_id LIMIT " DB_STR(DIGEST_MAX_EVENTS);

/* $1 subscription, $2 window end, $3 next scheduled time (epoch seconds), $4
 * digest event id (NULL: empty window), $5 its body, $6 events in the window. */
const char SQL_DIGEST_CLOSE[] =
    "WITH e AS (INSERT INTO alert_events (id, type, subscription_id, fanned_out)"
    "  SELECT $4::uuid, 'digest', $1::uuid, true WHERE $4::uuid IS NOT NULL RETURNING id),"
    " d AS (INSERT INTO deliveries (event_id, subscription_id, payload) SELECT id, $1::uuid, $5 FROM e),"
    " w AS (INSERT INTO digest_windows (subscription_id, window_start, window_end, events, event_id)"
    "  SELECT id, digest_last_end, to_timestamp($2::bigint), $6::int, $4::uuid FROM subscriptions WHERE id = $1)"
    " UPDATE subscriptions SET digest_last_end = to_timestamp($2::bigint), digest_next_at = to_timestamp($3::bigint)"
    " WHERE id = $1";

/* $1 subscription, $2 its next scheduled time: digest_next_at was early
 * (no scheduled time has passed since the window opened). */
const char SQL_DIGEST_RESCHEDULE[] =
    "UPDATE subscriptions SET digest_next_at = to_timestamp($2::bigint) WHERE id = $1";

const char SQL_DIGEST_STRAYS[] =
    "WITH gone AS (DELETE FROM digest_items i USING subscriptions s"
    "  WHERE s.id = i.subscription_id AND (s.status <> 'active' OR s.delivery = 'immediate')"
    "  RETURNING i.event_id, i.subscription_id, i.payload, s.status),"
    " sent AS (INSERT INTO deliveries (event_id, subscription_id, payload)"
    "  SELECT event_id, subscription_id, payload FROM gone WHERE status = 'active'"
    "  ON CONFLICT (event_id, subscription_id) DO NOTHING RETURNING 1)"
    " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM sent)";
