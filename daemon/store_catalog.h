/* store_catalog.h - SQL for what the daemon keeps in memory (catalog.h):
 * the schema version, the vocabularies and the area register; and one
 * area's record as GET /v1/areas/{code} shows it (api_meta.c). Only
 * SQL_CATALOG_AREA takes a parameter. */
#ifndef CONSULTD_STORE_CATALOG_H
#define CONSULTD_STORE_CATALOG_H

/* Returns (the newest applied schema version, or null); fails before the
 * first migration, when schema_migrations is missing. */
extern const char SQL_CATALOG_SCHEMA_VERSION[];
/* Returns (vocabulary, code, label, parent, synonyms as a JSON array), in
 * each vocabulary's order: the rows catalog_vocab_from_result reads. */
extern const char SQL_CATALOG_VOCAB[];
/* Returns (generation) of the area register, one row. */
extern const char SQL_CATALOG_AREA_GENERATION[];
/* Returns (code, name, name_cy, level, then the direct parents, ancestors,
 * reach (area_reach) and successors as JSON arrays of codes), every area:
 * the rows catalog_areas_from_result reads. */
extern const char SQL_CATALOG_AREAS[];
/* Returns (alias, code), every alias. */
extern const char SQL_CATALOG_ALIASES[];
/* $1 an area code. Returns (code, name, level, parents as a JSON array of
 * {code, name, level}, children count, ancestors, name_cy (or null),
 * successors, predecessors, old codes (aliases); each list a JSON array of
 * codes sorted by code unless said otherwise), or no row. */
extern const char SQL_CATALOG_AREA[];

#endif
