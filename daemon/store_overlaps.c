/* store_overlaps.c - SQL for overlaps, preflight, outreach and fatigue. */
#include "store_overlaps.h"

#include "db.h"

/* An overlap seen from consultation me (overlap_json_for in the schema), built
 * from the other side joined in by OVERLAPS_OF_ME: inlined, where
 * overlap_json_for's subquery was planned on every call. */
#define OVERLAP_FOR_ME "overlap_doc_for(o, consultation_summary_doc(x, xg))"
#define OVERLAPS_OF_ME(me) \
    " FROM overlap_pairs o JOIN consultations x ON x.id = CASE WHEN o.consultation_a = " me \
    " THEN o.consultation_b ELSE o.consultation_a END JOIN organisations xg ON xg.id = x.organisation_id" \
    " WHERE (o.consultation_a = " me " OR o.consultation_b = " me ")"

const char SQL_OVERLAPS_OF_CONSULTATION[] =
    "SELECT (SELECT count(*) FROM consultations WHERE id = $1),"
    " coalesce((SELECT json_agg(" OVERLAP_FOR_ME " ORDER BY o.score DESC, o.id)" OVERLAPS_OF_ME("$1")
    "), '[]')::text";

/* An overlap (a row of overlap_pairs, r) as GET /v1/overlaps/{id} shows it:
 * with both consultations summarised as "sides", joined by SIDES_JOIN on the
 * row's two consultation ids. */
#define OVERLAP_DOC(r) \
    "(overlap_json(" r ")::jsonb || jsonb_build_object('sides', jsonb_build_array(" \
    "consultation_summary_doc(ca, ga), consultation_summary_doc(cb, gb))))::text"
#define SIDES_JOIN(a, b) \
    " JOIN consultations ca ON ca.id = " a " JOIN organisations ga ON ga.id = ca.organisation_id" \
    " JOIN consultations cb ON cb.id = " b " JOIN organisations gb ON gb.id = cb.organisation_id"

const char SQL_OVERLAP_GET[] =
    "SELECT o.version, " OVERLAP_DOC("o") " FROM overlap_pairs o"
    SIDES_JOIN("o.consultation_a", "o.consultation_b") " WHERE o.id = $1";

const char SQL_OVERLAP_PATCH[] =
    "WITH u AS (UPDATE overlap_pairs o SET status = coalesce($2, o.status),"
    " note = CASE WHEN $3::boolean THEN $4 ELSE o.note END,"
    " version = o.version + 1, updated_at = now()"
    " WHERE o.id = $1 AND o.version = $5 RETURNING o.version, o AS r, o.id, o.consultation_a, o.consultation_b),"
    " ev AS (INSERT INTO alert_events (type, overlap_id) SELECT 'overlap.updated', u.id FROM u"
    "  WHERE $2::text IS NOT NULL AND $2 <> $6 RETURNING 1)"
    /* the overlap as GET shows it, sides included, so a client redraws from the reply */
    " SELECT u.version, " OVERLAP_DOC("u.r") ", EXISTS (SELECT 1 FROM ev)"
    " FROM u" SIDES_JOIN("u.consultation_a", "u.consultation_b");

const char SQL_OVERLAP_LOAD[] =
    "SELECT o.version, a.organisation_id, b.organisation_id, o.status FROM overlap_pairs o"
    " JOIN consultations a ON a.id = o.consultation_a JOIN consultations b ON b.id = o.consultation_b"
    " WHERE o.id = $1";

const char SQL_OUTREACH_MARK[] =
    "UPDATE consultations c SET status = 'in_field', outreach_at = now(), outreach_override_reason = $2,"
    " version = c.version + 1, updated_at = now() WHERE c.id = $1 AND c.status = 'planned'"
    " RETURNING c.version, (SELECT consultation_doc(c, g) FROM organisations g"
    " WHERE g.id = c.organisation_id)::text";

const char SQL_PREFLIGHT_FATIGUE_ROWS[] =
    "SELECT overlap_side_json(c)::text FROM consultations c WHERE c.status <> 'cancelled'"
    " AND (c.area_scope && $1::text[] OR c.areas && $2::text[])"
    " AND c.fieldwork_end >= $3::date AND c.fieldwork_start <= $4::date LIMIT " DB_STR(FATIGUE_MAX_ROWS);

const char SQL_PREFLIGHT_LOAD[] =
    "SELECT overlap_side_json(c)::text,"
    " coalesce((SELECT json_agg(" OVERLAP_FOR_ME " ORDER BY o.score DESC, o.id)" OVERLAPS_OF_ME("c.id")
    " AND o.status = 'open'), '[]')::text,"
    " c.status FROM consultations c WHERE c.id = $1";

const char SQL_FATIGUE_AREA_ROWS[] =
    "SELECT overlap_side_json(c)::text FROM consultations c WHERE c.status <> 'cancelled'"
    " AND (c.area_scope @> ARRAY[$1::text] OR c.areas && $2::text[])"
    " AND c.fieldwork_end >= $3::date AND c.fieldwork_start <= $4::date LIMIT " DB_STR(FATIGUE_MAX_ROWS);
