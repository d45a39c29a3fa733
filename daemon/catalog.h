/* catalog.h - what the daemon reads from the database and keeps in memory:
 * the applied schema version, the vocabularies and the area register.
 * Retried until complete, so the daemon may start before PostgreSQL does;
 * then the area register is re-read whenever an import has changed it: at
 * once when the import's NOTIFY consultd_areas sets server.catalog_due (the
 * re-check worker listens), and every CATALOG_RECHECK_S seconds as a fallback.
 * A register's generation (area_register_state) tells whether it is current. */
#ifndef CONSULTD_CATALOG_H
#define CONSULTD_CATALOG_H

#include <libpq-fe.h>

#include "server.h"

#define CATALOG_RECHECK_S 10

/* Starts a load if none is running and the catalog is incomplete, marked due
 * (srv->catalog_due, cleared here) or due its periodic check. */
void catalog_refresh(server *srv);

/* The schema version this binary needs: the number of its newest embedded
 * schema/NNN_*.sql file (the NNN). A served instance is ready only once the
 * database's schema_migrations holds it (consultd migrate applies them). */
int catalog_schema_latest(void);

/* Frees a load still under way when the daemon stops, after db_pool_free
 * (which never calls its callbacks back). */
void catalog_abandon(server *srv);

/* Builds a vocabulary from rows (vocabulary, code, label, parent,
 * synonyms-as-JSON-array). NULL on malformed rows or out of memory. */
vocab *catalog_vocab_from_result(const PGresult *res);

/* Builds the area register from rows (code, name, name_cy, level, then the
 * parents, ancestors, reach and successors as JSON arrays of codes) and alias rows (alias,
 * code; may be NULL). Returns a finished register the caller owns, or NULL on
 * malformed rows or out of memory. */
area_register *catalog_areas_from_result(const PGresult *res, const PGresult *aliases);

#endif
