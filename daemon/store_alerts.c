/* store_alerts.c - SQL for the alert outbox. */
#include "store_alerts.h"

#include "db.h"

/* Fans a batch of new events out to the subscriptions they match: a
 * delivery each, or, for a digest subscription, an item held for its next
 * digest (job_digest.h). Matching
 * needs only the events' areas and terms; the bodies (the whole overlap and
 * both consultations, joined once in v) are built once per event that some
 * subscription wants. $1: the address users reach the service at
 * (server.public_url), for the body's console_url. */
const char SQL_ALERTS_FANOUT[] =
    "WITH e AS (SELECT * FROM alert_events WHERE NOT fanned_out ORDER BY created_at"
    "  LIMIT " DB_STR(ALERTS_FANOUT_BATCH) " FOR UPDATE SKIP LOCKED),"
    " done AS (UPDATE alert_events x SET fanned_out = true FROM e WHERE x.id = e.id),"
    " v AS MATERIALIZED (SELECT e.id, e.type, e.subscription_id, e.data, e.created_at, o, ca, cb, o.level,"
    "   coalesce(ca.area_scope || cb.area_scope,"
    "            ARRAY(SELECT ancestor FROM area_ancestors WHERE code = e.area) || e.area) AS scope,"
    "   coalesce(ca.areas || cb.areas, ARRAY[e.area]) AS areas,"
    "   coalesce(ca.topics || cb.topics, '{}') AS topics,"
    "   coalesce(ca.communities || cb.communities, ARRAY[e.community]) AS communities"
    "  FROM e LEFT JOIN overlap_pairs o ON o.id = e.overlap_id"
    "  LEFT JOIN consultations ca ON ca.id = o.consultation_a"
    "  LEFT JOIN consultations cb ON cb.id = o.consultation_b),"
    /* at_once: not held for a digest (immediate delivery; a ping; a high
     * overlap.detected involving the subscriber's own organisation) */
    " m AS MATERIALIZED (SELECT v.id AS event_id, s.id AS subscription_id, v.created_at,"
    "   s.delivery = 'immediate' OR v.subscription_id IS NOT NULL OR (v.type = 'overlap.detected'"
    "   AND v.level = 'high' AND s.organisation_id IN ((v.ca).organisation_id, (v.cb).organisation_id)) IS TRUE"
    "   AS at_once"
    "  FROM v JOIN subscriptions s"
    "   ON s.status = 'active' AND (v.subscription_id = s.id OR (v.subscription_id IS NULL"
    "   AND v.type = ANY(s.events) AND subscription_matches(s, v.level, v.scope, v.areas, v.topics, v.communities)))),"
    " p AS MATERIALIZED (SELECT v.id,"
    "   json_build_object('type', v.type, 'timestamp', rfc3339(v.created_at), 'data',"
    "     CASE WHEN (v.o).id IS NOT NULL THEN json_build_object('overlap', overlap_json(v.o),"
    "       'consultations', json_build_array(consultation_json(v.ca), consultation_json(v.cb)),"
    "       'console_url', $1::text || '/console/#/overlaps/' || (v.o).id)"
    "     WHEN v.type = 'fatigue.exceeded' THEN (v.data::jsonb || jsonb_build_object('console_url',"
    "       $1::text || '/console/#/fatigue?area=' || (v.data->>'area')"
    "       || coalesce('&community=' || (v.data->>'community'), '')))::json"
    "     ELSE v.data END)::text AS payload"
    "  FROM v WHERE v.id IN (SELECT event_id FROM m)),"
    " ins AS (INSERT INTO deliveries (event_id, subscription_id, payload)"
    "  SELECT m.event_id, m.subscription_id, p.payload FROM m JOIN p ON p.id = m.event_id WHERE m.at_once"
    "  ON CONFLICT (event_id, subscription_id) DO NOTHING RETURNING 1),"
    " held AS (INSERT INTO digest_items (subscription_id, event_id, created_at, payload)"
    "  SELECT m.subscription_id, m.event_id, m.created_at, p.payload FROM m JOIN p ON p.id = m.event_id"
    "  WHERE NOT m.at_once ON CONFLICT DO NOTHING)"
    " SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM ins)";

const char SQL_ALERTS_CLAIM[] =
    "UPDATE deliveries d SET lease_until = now() + make_interval(secs => $2::int), attempts = d.attempts + 1"
    " FROM subscriptions s"
    " WHERE d.id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()"
    "   AND (lease_until IS NULL OR lease_until < now()) ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " AND s.id = d.subscription_id"
    " RETURNING d.id, d.event_id, d.attempts, d.payload, s.id, coalesce(s.url, ''), coalesce(s.email, ''),"
    "  s.format, s.secret";

const char SQL_ALERTS_RECORD[] =
    "WITH r AS (SELECT * FROM json_to_recordset($1::json) AS r(id uuid, status text, delay float8,"
    "   duration_ms int, code int, error text, outcome text)),"
    " d AS (UPDATE deliveries y SET status = r.status, lease_until = NULL,"
    "   next_attempt_at = CASE WHEN r.status = 'pending' THEN now() + make_interval(secs => r.delay)"
    "                     ELSE y.next_attempt_at END,"
    "   delivered_at = CASE WHEN r.status = 'delivered' THEN now() END"
    "  FROM r WHERE y.id = r.id RETURNING y.id, y.subscription_id, y.attempts, y.next_attempt_at, y.status),"
    " a AS (INSERT INTO delivery_attempts (delivery_id, subscription_id, attempt, duration_ms, status_code, error,"
    "   outcome, next_attempt_at)"
    "  SELECT d.id, d.subscription_id, d.attempts, r.duration_ms, r.code, r.error, r.outcome,"
    "   CASE WHEN d.status = 'pending' THEN d.next_attempt_at END FROM d JOIN r USING (id))"
    " SELECT count(*) FROM d";

const char SQL_ALERTS_DISABLE[] =
    "WITH g AS (UPDATE subscriptions s SET status = 'disabled', disabled_reason = r.reason, updated_at = now()"
    "  FROM json_to_recordset($1::json) AS r(subscription uuid, reason text)"
    "  WHERE s.id = r.subscription AND s.status = 'active' RETURNING s.id)"
    " UPDATE deliveries y SET status = 'cancelled' FROM g WHERE y.subscription_id = g.id AND y.status = 'pending'";

const char SQL_ALERTS_DEPTH[] =
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8,"
    " (SELECT count(*) FROM fatigue_pending),"
    " (SELECT coalesce(extract(epoch FROM now() - min(queued_at)), 0)::float8 FROM fatigue_pending)"
    " FROM deliveries WHERE status = 'pending'";
