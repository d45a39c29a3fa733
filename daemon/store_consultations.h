/* store_consultations.h - the SQL for consultations, and the parameter
 * vector a validated consultation is written with. */
#ifndef CONSULTD_STORE_CONSULTATIONS_H
#define CONSULTD_STORE_CONSULTATIONS_H

#include "consultation.h"

/* The advisory lock between area register changes (exclusive, taken by the
 * import's areas_propagate) and consultation writes (shared, SQL_LOCK_BUCKETS). */
#define AREAS_REGISTER_LOCK 7406201507

/* Parameters $1..$16 of the writes ($1 id, $2 organisation); the checked
 * writes add $17 area scope, $18 stored keys, $19 probe keys, $20 and $21
 * the first and last day a candidate's fieldwork may reach (the blocking keys
 * are whole months), $22 the area register generation the scope and keys were
 * computed with (a stale one queues the row for a re-check), $23 the
 * visibility (filled with $1..$16), and for an update $24 the expected
 * version. */
#define CONSULTATION_NPARAMS 16
#define CONSULTATION_MAX_PARAMS 24

typedef struct consultation_params {
    const char *values[CONSULTATION_MAX_PARAMS];
    char *owned[4];                               /* the text[] literals */
    char participants[24];
    char window[2][11];                           /* $20, $21 */
} consultation_params;

/* Fills p from c. Returns -1 when out of memory. Free with consultation_params_free. */
int consultation_params_fill(consultation_params *p, const consultation *c, const char *id, const char *org_id);
void consultation_params_free(consultation_params *p);

/* A write's locks: the area register's (AREAS_REGISTER_LOCK, shared) first,
 * then its buckets: $1 keys (sorted), $2 exclusive flags. */
extern const char SQL_LOCK_BUCKETS[];

/* The checked writes return (version, doc, candidates as a JSON array of
 * overlap_side_json). They run after SQL_LOCK_BUCKETS in the same transaction, so
 * their snapshot includes every overlapping write that committed first. */
extern const char SQL_CONSULTATION_INSERT_CHECKED[];
extern const char SQL_CONSULTATION_UPDATE_CHECKED[];
/* $1 overlaps (JSON array of {id,a,b,score,level,reasons,explanation,same}),
 * $2 the consultation written, $3 resolve its live overlaps not in $1.
 * Returns (overlaps as seen from $2, how many were new). */
extern const char SQL_OVERLAPS_UPSERT[];
/* The re-check queue (job_recheck.h). Claim: $1 the register generation this
 * daemon holds; returns (id, version, status, overlap_side_json) of the oldest
 * row queued under it or earlier and due (not deferred), locked (SKIP
 * LOCKED), or no row. Dequeue: $1 id. Defer: $1 id; the row is claimed again
 * after RECHECK_DEFER_S seconds, behind every row due before then (a
 * consultation whose areas now reach more than the engine checks stays
 * queued without holding up the rest). Apply, after SQL_LOCK_BUCKETS: $1 id, $2 the version read at the
 * claim, $3 the fresh area scope, $4 its keys, $5 probe keys, $6 and $7 the
 * candidates' window; rewrites scope and keys and returns the candidates as
 * the checked writes do, or no row when the consultation changed meanwhile. */
extern const char SQL_RECHECK_CLAIM[];
extern const char SQL_RECHECK_DEQUEUE[];
#define RECHECK_DEFER_S 3600
extern const char SQL_RECHECK_DEFER[];
extern const char SQL_RECHECK_APPLY[];
/* $1 id, $2 expected version: cancels, resolves its open overlaps, drops its keys.
 * Returns (version, doc). */
extern const char SQL_CONSULTATION_CANCEL[];
extern const char SQL_CONSULTATION_GET[];      /* $1 id: version, doc, organisation_id, status */
/* $1 ids joined by commas (db_batch.h): the columns of SQL_CONSULTATION_GET for
 * each id found, then the id's 1-based position in $1. */
extern const char SQL_CONSULTATION_GET_MANY[];
extern const char SQL_CONSULTATION_BY_REF[];   /* $1 organisation, $2 external_ref: id */

/* No parameters. Returns (rows in the re-check queue), for its gauge. */
extern const char SQL_RECHECK_DEPTH[];

#endif
