/* store_idempotency.c - SQL for the Idempotency-Key answers' expiry. */
#include "store_idempotency.h"

#include "db.h"
#include "job_housekeeping.h"

const char SQL_IDEMPOTENCY_PURGE[] =
    "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys"
    " WHERE created_at < now() - interval '24 hours' LIMIT " DB_STR(HOUSEKEEPING_BATCH) "))";
