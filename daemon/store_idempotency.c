/* store_idempotency.c - SQL for the Idempotency-Key answers and their expiry. */
#include "store_idempotency.h"

#include "db.h"
#include "job_housekeeping.h"

const char SQL_IDEMPOTENCY_PURGE[] =
    "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys"
    " WHERE created_at < now() - interval '24 hours' LIMIT " DB_STR(HOUSEKEEPING_BATCH) "))";

const char SQL_IDEMPOTENCY_LOCK[] = "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 7406))";

const char SQL_IDEMPOTENCY_LOOKUP[] =
    "SELECT request_hash::text, status, location, body FROM idempotency_keys"
    " WHERE organisation_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'";

const char SQL_IDEMPOTENCY_SAVE[] =
    "INSERT INTO idempotency_keys (organisation_id, key, request_hash, status, location, body)"
    " VALUES ($1, $2, $3::bytea, $4, $5, $6) ON CONFLICT (organisation_id, key) DO UPDATE"
    " SET request_hash = excluded.request_hash, status = excluded.status, location = excluded.location,"
    " body = excluded.body, created_at = now()";
