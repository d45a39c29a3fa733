/* store_consultations.c - SQL for consultations. */
#include "store_consultations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* Every live consultation under one of the probe keys whose fieldwork reaches
 * [from, to], as a JSON array of overlap_side_json. */
#define CANDIDATES(self, probe, from, to) \
    "(SELECT coalesce(json_agg(overlap_side_json(o)), '[]') FROM consultations o" \
    " WHERE o.id IN (SELECT consultation_id FROM consultation_keys WHERE key = ANY(" probe "::bigint[]))" \
    " AND o.id <> " self " AND o.status <> 'cancelled'" \
    " AND o.fieldwork_end >= " from "::date AND o.fieldwork_start <= " to "::date)::text"

/* A write made with an older area register than the database holds ($22, the
 * generation its daemon loaded) is queued for a re-check (cli_areas_propagate.h). */
#define QUEUE_IF_STALE(cte) \
    " stale AS (INSERT INTO recheck_pending (consultation_id, generation)" \
    "  SELECT " cte ".id, s.generation FROM " cte ", area_register_state s WHERE s.generation > $22::bigint" \
    "  ON CONFLICT (consultation_id) DO UPDATE SET generation = excluded.generation),"

/* Takes a write's advisory locks in the order given (sorted by the caller): exclusive
 * on its own (area, month) buckets ($2 true), shared on its ancestors'. The volatile
 * calls are evaluated after the sort, so in that order. */
const char SQL_LOCK_BUCKETS[] =
    "SELECT count(*) FROM (SELECT CASE WHEN u.e THEN pg_advisory_xact_lock(u.k) ELSE pg_advisory_xact_lock_shared(u.k) END"
    " FROM (SELECT " DB_STR(AREAS_REGISTER_LOCK) "::bigint, false, 0::bigint"
    "  UNION ALL SELECT * FROM unnest($1::bigint[], $2::boolean[]) WITH ORDINALITY) AS u(k, e, n) ORDER BY u.n) s";

const char SQL_CONSULTATION_INSERT_CHECKED[] =
    "WITH ins AS ("
    " INSERT INTO consultations AS c (id, organisation_id, external_ref, title, summary, topics, communities,"
    " inferred, areas, fieldwork_start, fieldwork_end, methods, engagement_level, expected_participants,"
    " contact_name, contact_email, area_scope, visibility)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $23)"
    " ON CONFLICT (organisation_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING"
    " RETURNING c.id, c.version, c AS r),"
    " k AS (INSERT INTO consultation_keys (key, consultation_id) SELECT x, ins.id FROM ins, unnest($18::bigint[]) x),"
    " q AS (INSERT INTO fatigue_pending (consultation_id) SELECT id FROM ins)," /* checked for fatigue.exceeded */
    QUEUE_IF_STALE("ins")
    " z AS (SELECT 1)"
    " SELECT ins.version, consultation_doc(ins.r, g)::text, " CANDIDATES("ins.id", "$19", "$20", "$21")
    " FROM ins JOIN organisations g ON g.id = $2";

const char SQL_CONSULTATION_UPDATE_CHECKED[] =
    "WITH upd AS ("
    " UPDATE consultations AS c SET external_ref = $3, title = $4, summary = $5, topics = $6, communities = $7,"
    " inferred = $8, areas = $9, fieldwork_start = $10, fieldwork_end = $11, methods = $12,"
    " engagement_level = $13, expected_participants = $14, contact_name = $15, contact_email = $16,"
    " area_scope = $17, visibility = $23, version = c.version + 1, updated_at = now()"
    " WHERE c.id = $1 AND c.organisation_id = $2 AND c.version = $24"
    " RETURNING c.id, c.version, c AS r),"
    " del AS (DELETE FROM consultation_keys k USING upd WHERE k.consultation_id = upd.id"
    "  AND k.key <> ALL($18::bigint[])),"
    " ins AS (INSERT INTO consultation_keys (key, consultation_id) SELECT x, upd.id FROM upd, unnest($18::bigint[]) x"
    "  ON CONFLICT DO NOTHING),"
    QUEUE_IF_STALE("upd")
    " z AS (SELECT 1)"
    " SELECT upd.version, consultation_doc(upd.r, g)::text, " CANDIDATES("upd.id", "$19", "$20", "$21")
    " FROM upd JOIN organisations g ON g.id = $2";

const char SQL_OVERLAPS_UPSERT[] =
    "WITH x AS (SELECT * FROM json_to_recordset($1::json) AS x(id uuid, a uuid, b uuid, score numeric,"
    "  level text, reasons jsonb, explanation text, same boolean)),"
    " prev AS (SELECT p.id FROM overlap_pairs p JOIN x ON p.consultation_a = x.a AND p.consultation_b = x.b"
    "  WHERE p.status = 'resolved'),"
    " up AS (INSERT INTO overlap_pairs AS o (id, consultation_a, consultation_b, score, level, reasons, explanation,"
    "  same_organisation) SELECT id, a, b, score, level, reasons, explanation, same FROM x"
    "  ON CONFLICT (consultation_a, consultation_b) DO UPDATE SET score = excluded.score, level = excluded.level,"
    "  reasons = excluded.reasons, explanation = excluded.explanation,"
    "  same_organisation = excluded.same_organisation,"
    "  status = CASE WHEN o.status = 'resolved' THEN 'open' ELSE o.status END,"
    "  version = o.version + 1, updated_at = now()"
    "  RETURNING o.score, o AS r, (o.xmax = 0) AS fresh),"
    " gone AS (UPDATE overlap_pairs AS g SET status = 'resolved', version = g.version + 1, updated_at = now()"
    "  WHERE $3::boolean AND (g.consultation_a = $2::uuid OR g.consultation_b = $2::uuid)"
    "  AND g.status IN ('open', 'acknowledged')"
    "  AND NOT EXISTS (SELECT 1 FROM x WHERE x.a = g.consultation_a AND x.b = g.consultation_b) RETURNING g.id),"
    /* the alert outbox, in the same transaction: new pairs, and status changes */
    " ev AS (INSERT INTO alert_events (type, overlap_id)"
    "  SELECT CASE WHEN up.fresh THEN 'overlap.detected' ELSE 'overlap.updated' END, (up.r).id FROM up"
    "   WHERE up.fresh OR (up.r).id IN (SELECT id FROM prev)"
    "  UNION ALL SELECT 'overlap.updated', id FROM gone RETURNING 1)"
    " SELECT coalesce(json_agg(overlap_doc_for(up.r, consultation_summary_doc(c, g)) ORDER BY up.score DESC), '[]')::text,"
    "  count(*) FILTER (WHERE up.fresh), (SELECT count(*) FROM ev)"
    " FROM up JOIN consultations c ON c.id = CASE WHEN (up.r).consultation_a = $2::uuid"
    "  THEN (up.r).consultation_b ELSE (up.r).consultation_a END"
    " JOIN organisations g ON g.id = c.organisation_id";

const char SQL_CONSULTATION_CANCEL[] =
    "WITH c AS (UPDATE consultations AS c SET status = 'cancelled', version = c.version + 1, updated_at = now()"
    " FROM organisations g WHERE c.id = $1 AND c.version = $2 AND g.id = c.organisation_id"
    " RETURNING c.id, c.version, consultation_doc(c, g)::text AS doc),"
    " r AS (UPDATE overlap_pairs AS o SET status = 'resolved', version = o.version + 1, updated_at = now() FROM c"
    "  WHERE (o.consultation_a = c.id OR o.consultation_b = c.id) AND o.status IN ('open', 'acknowledged')"
    "  RETURNING o.id),"
    " ev AS (INSERT INTO alert_events (type, overlap_id) SELECT 'overlap.updated', id FROM r RETURNING 1),"
    " k AS (DELETE FROM consultation_keys k USING c WHERE k.consultation_id = c.id)"
    " SELECT version, doc, '[]', (SELECT count(*) FROM ev) FROM c";

const char SQL_RECHECK_CLAIM[] =
    "SELECT c.id, c.version, c.status, overlap_side_json(c)::text FROM recheck_pending q"
    " JOIN consultations c ON c.id = q.consultation_id WHERE q.generation <= $1::bigint AND q.queued_at <= now()"
    " ORDER BY q.queued_at LIMIT 1 FOR UPDATE OF q SKIP LOCKED";

const char SQL_RECHECK_DEQUEUE[] = "DELETE FROM recheck_pending WHERE consultation_id = $1";

const char SQL_RECHECK_DEFER[] =
    "UPDATE recheck_pending SET queued_at = now() + interval '" DB_STR(RECHECK_DEFER_S) " seconds'"
    " WHERE consultation_id = $1";

const char SQL_RECHECK_APPLY[] =
    "WITH upd AS (UPDATE consultations AS c SET area_scope = $3 WHERE c.id = $1 AND c.version = $2"
    " RETURNING c.id),"
    " del AS (DELETE FROM consultation_keys k USING upd WHERE k.consultation_id = upd.id"
    "  AND k.key <> ALL($4::bigint[])),"
    " ins AS (INSERT INTO consultation_keys (key, consultation_id) SELECT x, upd.id FROM upd, unnest($4::bigint[]) x"
    "  ON CONFLICT DO NOTHING)"
    " SELECT " CANDIDATES("upd.id", "$5", "$6", "$7") " FROM upd";

/* consultation_doc with its organisation joined (not consultation_json, whose
 * subquery PostgreSQL cannot inline: it planned that subquery on every call). */
const char SQL_CONSULTATION_GET[] =
    "SELECT c.version, consultation_doc(c, g)::text, c.organisation_id, c.status FROM consultations c"
    " JOIN organisations g ON g.id = c.organisation_id WHERE c.id = $1";

/* Each id looked up by key in a LATERAL subquery PostgreSQL cannot flatten
 * (LIMIT): it takes string_to_table for a thousand rows whatever $1 holds, and
 * as a plain join hash-joined a scan of the whole table on registers of up to
 * some tens of thousands of rows (12 ms a statement at 11,000, measured with
 * EXPLAIN ANALYZE, against 0.04 ms by key). */
const char SQL_CONSULTATION_GET_MANY[] =
    "SELECT r.version, r.doc, r.organisation_id, r.status, k.i"
    " FROM string_to_table($1, ',') WITH ORDINALITY AS k(id, i),"
    " LATERAL (SELECT c.version, consultation_doc(c, g)::text AS doc, c.organisation_id, c.status"
    " FROM consultations c JOIN organisations g ON g.id = c.organisation_id WHERE c.id = k.id::uuid LIMIT 1) r";

const char SQL_CONSULTATION_BY_REF[] =
    "SELECT id FROM consultations WHERE organisation_id = $1 AND external_ref = $2";

int consultation_params_fill(consultation_params *p, const consultation *c, const char *id, const char *org_id)
{
    memset(p, 0, sizeof *p);
    p->owned[0] = strlist_to_pg(&c->topics);
    p->owned[1] = strlist_to_pg(&c->communities);
    p->owned[2] = strlist_to_pg(&c->areas);
    p->owned[3] = strlist_to_pg(&c->methods);
    for (int i = 0; i < 4; i++)
        if (!p->owned[i])
            return -1;
    if (c->has_participants)
        snprintf(p->participants, sizeof p->participants, "%lld", c->expected_participants);
    const char **v = p->values;
    v[0] = id;
    v[1] = org_id;
    v[2] = c->external_ref;
    v[3] = c->title;
    v[4] = c->summary;
    v[5] = p->owned[0];
    v[6] = p->owned[1];
    v[7] = c->inferred ? "true" : "false";
    v[8] = p->owned[2];
    v[9] = c->start;
    v[10] = c->end;
    v[11] = p->owned[3];
    v[12] = c->engagement_level;
    v[13] = c->has_participants ? p->participants : NULL;
    v[14] = c->contact_name;
    v[15] = c->contact_email;
    v[22] = c->visibility ? c->visibility : "partners";
    return 0;
}

void consultation_params_free(consultation_params *p)
{
    for (int i = 0; i < 4; i++)
        free(p->owned[i]);
    memset(p, 0, sizeof *p);
}

const char SQL_RECHECK_DEPTH[] = "SELECT count(*) FROM recheck_pending";
