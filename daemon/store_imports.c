/* store_imports.c - SQL of the import's lookups and flush. */
#include "store_imports.h"

const char SQL_IMPORT_BY_REF[] =
    "SELECT c.version, consultation_doc(c, g)::text, c.organisation_id, c.status FROM consultations c"
    " JOIN organisations g ON g.id = c.organisation_id WHERE c.organisation_id = $1 AND c.external_ref = $2";

const char SQL_IMPORT_BATCH_LOOKUP[] =
    "SELECT c.* FROM unnest($2::text[]) r(ref), LATERAL (SELECT c.version, consultation_doc(c, g)::text,"
    " c.organisation_id, c.status, c.id, c.external_ref FROM consultations c"
    " JOIN organisations g ON g.id = c.organisation_id WHERE c.organisation_id = $1"
    " AND c.external_ref = r.ref AND c.external_ref IS NOT NULL LIMIT 1) c"
    " UNION ALL SELECT c.* FROM unnest($3::uuid[]) i(id), LATERAL (SELECT c.version, consultation_doc(c, g)::text,"
    " c.organisation_id, c.status, c.id, c.external_ref FROM consultations c"
    " JOIN organisations g ON g.id = c.organisation_id WHERE c.id = i.id LIMIT 1) c";

const char SQL_IMPORT_FLUSH[] = "SELECT txid_current()";
