/* store_catalog.c - SQL for the schema version, vocabularies and area register. */
#include "store_catalog.h"

const char SQL_CATALOG_SCHEMA_VERSION[] = "SELECT max(version) FROM schema_migrations";

const char SQL_CATALOG_VOCAB[] =
    "SELECT vocabulary, code, label, parent, array_to_json(synonyms)::text FROM vocab_terms "
    "ORDER BY vocabulary, position";

const char SQL_CATALOG_AREA_GENERATION[] = "SELECT generation FROM area_register_state";

/* Every area with its direct parents, ancestors and reach (area_reach). */
const char SQL_CATALOG_AREAS[] =
    "SELECT a.code, a.name, a.name_cy, a.level,"
    " coalesce((SELECT json_agg(p.parent) FROM area_parents p WHERE p.code = a.code), '[]')::text,"
    " coalesce((SELECT json_agg(x.ancestor) FROM area_ancestors x WHERE x.code = a.code), '[]')::text,"
    " coalesce((SELECT array_to_json(r.reach) FROM area_reach r WHERE r.code = a.code), '[]')::text,"
    " coalesce((SELECT json_agg(s.successor ORDER BY s.successor) FROM area_successions s"
    "  WHERE s.code = a.code), '[]')::text"
    " FROM areas a";

const char SQL_CATALOG_ALIASES[] = "SELECT alias, code FROM area_aliases";
