/* store_idempotency.h - SQL for the stored Idempotency-Key answers of
 * consultation writes (api_consultations_write.c) and their expiry
 * (job_housekeeping.h). */
#ifndef CONSULTD_STORE_IDEMPOTENCY_H
#define CONSULTD_STORE_IDEMPOTENCY_H

/* In each of these three, $1 organisation, $2 the key. */
/* Takes the transaction's advisory lock on (organisation, key), so that two
 * requests with one key run one after the other. Returns (true when taken). */
extern const char SQL_IDEMPOTENCY_LOCK[];
/* Returns (request hash as bytea text, status, location, body) of the answer
 * stored in the last 24 hours, or no row. */
extern const char SQL_IDEMPOTENCY_LOOKUP[];
/* $3 request hash (bytea hex, "\x..."), $4 status, $5 location, $6 body:
 * stores the answer, replacing an older one for the key. No rows. */
extern const char SQL_IDEMPOTENCY_SAVE[];

/* No parameters. Deletes up to HOUSEKEEPING_BATCH answers older than 24
 * hours; the command tag's row count tells how many (fewer than the batch:
 * none left). */
extern const char SQL_IDEMPOTENCY_PURGE[];

#endif
