/* catalog.h - what the daemon reads from the database at start-up and keeps:
 * the vocabularies and the applied schema version. Retried every second
 * until it succeeds, so the daemon may start before PostgreSQL does. */
#ifndef CONSULTD_CATALOG_H
#define CONSULTD_CATALOG_H

#include <libpq-fe.h>

#include "server.h"

/* Starts a load if none is running and the catalog is not complete. */
void catalog_refresh(server *srv);

/* Builds a vocabulary from rows (vocabulary, code, label, parent,
 * synonyms-as-JSON-array). NULL on malformed rows or out of memory. */
vocab *catalog_vocab_from_result(const PGresult *res);

#endif
