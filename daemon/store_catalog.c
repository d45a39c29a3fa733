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

const char SQL_CATALOG_AREA[] =
    "SELECT a.code, a.name, a.level,"
    " coalesce((SELECT json_agg(json_build_object('code', p.code, 'name', p.name, 'level', p.level)"
    "           ORDER BY p.code) FROM area_parents ap JOIN areas p ON p.code = ap.parent"
    "           WHERE ap.code = a.code), '[]')::text,"
    " (SELECT count(*) FROM area_parents c WHERE c.parent = a.code),"
    " coalesce((SELECT json_agg(x.ancestor ORDER BY x.ancestor) FROM area_ancestors x"
    "           WHERE x.code = a.code), '[]')::text,"
    " a.name_cy,"
    " coalesce((SELECT json_agg(s.successor ORDER BY s.successor) FROM area_successions s"
    "           WHERE s.code = a.code), '[]')::text,"
    " coalesce((SELECT json_agg(s.code ORDER BY s.code) FROM area_successions s"
    "           WHERE s.successor = a.code), '[]')::text,"
    " coalesce((SELECT json_agg(o.alias ORDER BY o.alias) FROM area_aliases o"
    "           WHERE o.code = a.code), '[]')::text"
    " FROM areas a WHERE a.code = $1";
