/* store_feeds.c - SQL for /v1/feeds. */
#include "store_feeds.h"

const char SQL_FEED_INSERT[] =
    "INSERT INTO calendar_feeds AS f (id, organisation_id, label, filters, token_hash)"
    " VALUES ($1, $2, $3, $4::jsonb, $5::bytea) RETURNING calendar_feed_json(f)::text";

const char SQL_FEED_LIST[] =
    "SELECT f.id, calendar_feed_json(f)::text FROM calendar_feeds f WHERE f.organisation_id = $1"
    " AND f.revoked_at IS NULL AND ($2::uuid IS NULL OR f.id > $2::uuid) ORDER BY f.id LIMIT $3::integer";

const char SQL_FEED_REVOKE[] =
    "UPDATE calendar_feeds SET revoked_at = now() WHERE id = $1 AND organisation_id = $2"
    " AND revoked_at IS NULL RETURNING id";

const char SQL_FEED_BY_TOKEN[] =
    "SELECT label, filters::text FROM calendar_feeds WHERE token_hash = $1::bytea"
    " AND revoked_at IS NULL";

const char SQL_CALENDAR_EVENTS[] =
    "SELECT c.id, c.version, c.updated_at, g.name, c.status, c.title, c.summary, array_to_string(c.areas, ','),"
    " array_to_string(c.topics, E'\\x1f'), c.fieldwork_start::text, c.fieldwork_end::text, rfc3339(c.created_at),"
    " rfc3339(c.updated_at) FROM consultations c JOIN organisations g ON g.id = c.organisation_id"
    " WHERE c.id = ANY($1::uuid[])";
