/* store_keys.c - SQL for API keys and their organisations. */
#include "store_keys.h"

const char SQL_KEY_GET[] =
    "SELECT secret_hash, role, organisation_id FROM api_keys WHERE id = $1 AND revoked_at IS NULL";

const char SQL_KEY_ORGANISATION[] = "SELECT id, name, kind FROM organisations WHERE id = $1";
