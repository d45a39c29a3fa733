/* store_idempotency.h - SQL for the stored Idempotency-Key answers'
 * expiry (job_housekeeping.h). The answers themselves are written with the
 * consultation writes. */
#ifndef CONSULTD_STORE_IDEMPOTENCY_H
#define CONSULTD_STORE_IDEMPOTENCY_H

/* No parameters. Deletes up to HOUSEKEEPING_BATCH answers older than 24
 * hours; the command tag's row count tells how many (fewer than the batch:
 * none left). */
extern const char SQL_IDEMPOTENCY_PURGE[];

#endif
