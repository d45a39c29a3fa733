/* store_fatigue.c - SQL for the fatigue queue. */
#include "store_fatigue.h"

#include "db.h"
#include "job_fatigue.h"

const char SQL_FATIGUE_CLAIM[] =
    "WITH q AS (SELECT id, consultation_id FROM fatigue_pending ORDER BY id"
    "  LIMIT " DB_STR(FATIGUE_WATCH_CLAIM) " FOR UPDATE SKIP LOCKED)"
    " SELECT q.id, c.id, overlap_side_json(c)::text, c.status"
    " FROM q JOIN consultations c ON c.id = q.consultation_id ORDER BY q.id";

/* What counting needs: no title, no topics. Ids first, then each row by its
 * key: joined, the planner merges whole indexes at a million rows. */
const char SQL_FATIGUE_ROWS[] =
    "SELECT json_build_object('id', c.id, 'organisation', c.organisation_id, 'title', '', 'areas', c.areas,"
    " 'scope', c.area_scope, 'topics', '[]'::json, 'communities', c.communities, 'start', c.fieldwork_start,"
    " 'end', c.fieldwork_end)::text FROM consultations c"
    " WHERE c.id = ANY(ARRAY(SELECT DISTINCT consultation_id FROM consultation_keys WHERE key = ANY($1::bigint[])))"
    " AND c.status <> 'cancelled' AND c.fieldwork_end >= $2::date AND c.fieldwork_start <= $3::date"
    " AND ($4::text[] IS NULL OR c.communities && $4::text[]) LIMIT " DB_STR(FATIGUE_WATCH_MAX_ROWS);

const char SQL_FATIGUE_RECORD[] =
    "WITH b AS (SELECT DISTINCT ON (area, community, month) * FROM json_to_recordset($1::json)"
    "  AS b(area text, community text, month text, count integer, max_asks integer, window_days integer,"
    "  consultation uuid, n integer) ORDER BY area, community, month, n),"
    " n AS (INSERT INTO fatigue_alerted (area, community, month)"
    "  SELECT area, community, (month || '-01')::date FROM b ON CONFLICT DO NOTHING"
    "  RETURNING area, community, to_char(month, 'YYYY-MM') AS month),"
    " e AS (INSERT INTO alert_events (type, data, area, community)"
    "  SELECT 'fatigue.exceeded', json_build_object('area', b.area,"
    "   'area_name', (SELECT name FROM areas WHERE code = b.area), 'community', b.community,"
    "   'month', b.month, 'count', b.count, 'max_asks', b.max_asks, 'window_days', b.window_days,"
    "   'consultation', b.consultation), b.area, b.community"
    "  FROM b JOIN n USING (area, community, month) RETURNING 1),"
    " d AS (DELETE FROM fatigue_pending WHERE id IN (SELECT json_array_elements_text($2::json)::bigint))"
    " SELECT count(*) FROM e";
