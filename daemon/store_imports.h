/* store_imports.h - SQL of the import's own lookups and its closing flush
 * (import_run.c). Its writes are the consultation writes of
 * store_consultations.h. */
#ifndef CONSULTD_STORE_IMPORTS_H
#define CONSULTD_STORE_IMPORTS_H

/* $1 organisation, $2 external_ref. Returns (version, consultation JSON,
 * organisation, status) of the organisation's consultation with that
 * reference, or no row. */
extern const char SQL_IMPORT_BY_REF[];
/* $1 organisation, $2 the batch's references (text[]), $3 the batch's ids
 * (uuid[]). Returns (version, consultation JSON, organisation, status, id,
 * external_ref) for each stored consultation found: the organisation's by
 * reference, then any by id. One unique-index probe per row, whatever the
 * statistics say (LIMIT 1 keeps each probe a subquery of its own: as a join,
 * or as "external_ref = ANY", stale statistics after a large import made it
 * scan every row of the organisation, 4-70 ms a batch, measured). */
extern const char SQL_IMPORT_BATCH_LOOKUP[];
/* No parameters; run between BEGIN and COMMIT. Gives the transaction an xid,
 * so that its commit is flushed synchronously, covering every commit written
 * before it. Returns (the xid). */
extern const char SQL_IMPORT_FLUSH[];

#endif
