/* store_subscriptions.c - SQL for /v1/subscriptions. */
#include "store_subscriptions.h"

#include "db.h"
#include "fmt_digest.h"

#define SUB_VISIBLE "SELECT s.id FROM subscriptions s WHERE s.id = $1 AND s.status <> 'deleted'" \
                    " AND ($2::uuid IS NULL OR s.organisation_id = $2::uuid)"

/* A JSON array parameter as a text[]. */
#define TEXTS(n) "ARRAY(SELECT json_array_elements_text($" #n "::json))"

const char SQL_SUBSCRIPTION_INSERT[] =
    "INSERT INTO subscriptions AS s (id, organisation_id, url, email, format, events, areas,"
    " area_ancestors, topics, match_topics, communities, match_communities, min_level, secret,"
    " delivery, digest_time, digest_day, digest_last_end, digest_next_at)"
    " VALUES ($1, $2, $3, $4, $5, " TEXTS(6) ", " TEXTS(7) ", " TEXTS(8) ", " TEXTS(9) ", "
    TEXTS(10) ", " TEXTS(11) ", " TEXTS(12) ", $13, $14, $15, $16, $17,"
    " to_timestamp($18::float8), to_timestamp($19::float8)) RETURNING subscription_json(s)::text";

const char SQL_SUBSCRIPTION_VISIBLE[] = SUB_VISIBLE;

const char SQL_SUBSCRIPTION_GET[] =
    "SELECT s.version, subscription_json(s)::text FROM subscriptions s WHERE s.id IN (" SUB_VISIBLE ")";

const char SQL_SUBSCRIPTION_DELETE[] =
    "WITH s AS (UPDATE subscriptions SET status = 'deleted', updated_at = now()"
    "  WHERE id IN (" SUB_VISIBLE ") RETURNING id),"
    " c AS (UPDATE deliveries d SET status = 'cancelled' FROM s"
    "  WHERE d.subscription_id = s.id AND d.status = 'pending'),"
    " i AS (DELETE FROM digest_items i USING s WHERE i.subscription_id = s.id)"
    " SELECT id FROM s";

const char SQL_SUBSCRIPTION_ATTEMPTS[] =
    "SELECT a.id, json_build_object('id', a.id, 'delivery_id', a.delivery_id, 'event_id', d.event_id,"
    " 'event_type', e.type, 'attempt', a.attempt, 'attempted_at', rfc3339(a.attempted_at),"
    " 'duration_ms', a.duration_ms, 'status_code', a.status_code, 'error', a.error,"
    " 'outcome', a.outcome, 'next_attempt_at', rfc3339(a.next_attempt_at),"
    " 'delivery_status', d.status)::text"
    " FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
    " JOIN alert_events e ON e.id = d.event_id"
    " WHERE a.subscription_id = $1 AND ($2::bigint IS NULL OR a.id < $2::bigint)"
    " ORDER BY a.id DESC LIMIT $3::int + 1";

const char SQL_SUBSCRIPTION_PING[] =
    "WITH s AS (SELECT id, status, coalesce(disabled_reason, '') AS reason FROM subscriptions"
    "  WHERE id IN (" SUB_VISIBLE ")),"
    " e AS (INSERT INTO alert_events (type, subscription_id, data)"
    "  SELECT 'ping', s.id, json_build_object('subscription_id', s.id,"
    "   'message', 'A test alert: this subscription receives alerts.') FROM s WHERE s.status = 'active'"
    "  RETURNING id)"
    " SELECT coalesce((SELECT id::text FROM e), ''), s.status, s.reason FROM s";

const char SQL_SUBSCRIPTION_LOCK[] =
    "SELECT s.version, subscription_json(s)::text, s.delivery, coalesce(s.digest_time, '08:00'),"
    " coalesce(s.digest_day, 'monday'), coalesce(floor(extract(epoch FROM s.digest_last_end))::bigint, 0),"
    " floor(extract(epoch FROM now()))::bigint,"
    " ceil(extract(epoch FROM greatest(now(), (SELECT max(w.window_end) FROM digest_windows w"
    "  WHERE w.subscription_id = s.id))))::bigint, s.status, coalesce(s.disabled_reason, '')"
    " FROM subscriptions s WHERE s.id = $1 AND s.status <> 'deleted'"
    " AND ($2::uuid IS NULL OR s.organisation_id = $2::uuid) FOR NO KEY UPDATE OF s";

const char SQL_SUBSCRIPTION_FLUSH_TAKE[] =
    "WITH a AS (DELETE FROM digest_items WHERE subscription_id = $1 RETURNING event_id, created_at, payload)"
    " SELECT count(*) OVER (), payload FROM a ORDER BY created_at, event_id LIMIT " DB_STR(DIGEST_MAX_EVENTS);

const char SQL_SUBSCRIPTION_UPDATE[] =
    "UPDATE subscriptions s SET format = $2, events = " TEXTS(3) ", areas = " TEXTS(4) ","
    " area_ancestors = " TEXTS(5) ", topics = " TEXTS(6) ", match_topics = " TEXTS(7) ","
    " communities = " TEXTS(8) ", match_communities = " TEXTS(9) ", min_level = $10, delivery = $11,"
    " digest_time = $12, digest_day = $13, digest_last_end = to_timestamp($14::float8),"
    " digest_next_at = to_timestamp($15::float8), version = s.version + 1, updated_at = now()"
    " WHERE s.id = $1 RETURNING s.version, subscription_json(s)::text";
