/* overlap_plan.h - what one overlap check sends and scores, shared by a write
 * (api_consultations_write.c) and a re-check (job_recheck.c), so both run the same
 * check with the same locks (pure: no I/O, the SQL lives in
 * store_consultations.c; overlap_plan_score draws fresh UUIDv7 ids).
 *
 * A plan holds, as PostgreSQL literals: the consultation's area scope (its
 * areas and their reach in the area register), its blocking keys, the keys to
 * probe for candidates, its advisory locks and their modes (overlap.h), and
 * the first and last day a candidate's fieldwork may reach. */
#ifndef CONSULTD_OVERLAP_PLAN_H
#define CONSULTD_OVERLAP_PLAN_H

#include <jansson.h>

#include "areas.h"
#include "overlap.h"
#include "vocab.h"

typedef struct overlap_plan {
    char *scope, *keys, *probe, *locks, *modes;   /* owned text[], bigint[], boolean[] literals */
    char from[11], to[11];                        /* YYYY-MM-DD */
} overlap_plan;

/* The area scope of areas (n codes, borrowed) under reg (NULL: codes only):
 * the codes and everything they reach (areas_scope), sorted and unique. On 0,
 * *out is a new JSON array of strings the caller owns. Errors, *out NULL:
 * OVERLAP_SCOPE_TOO_WIDE when the scope would exceed OVERLAP_SCOPE_MAX codes
 * (the caller refuses the write, 422 naming "areas": a truncated scope would
 * miss overlaps, so it is never checked against one); -2 when out of memory. */
#define OVERLAP_SCOPE_MAX 4096
#define OVERLAP_SCOPE_TOO_WIDE (-1)
int overlap_plan_scope(const area_register *reg, const char *const *areas, size_t n, json_t **out);

/* Fills p for side (whose scope must be set) with window_days of slack.
 * Returns 0, or -1 when out of memory (p is then cleared). */
int overlap_plan_build(overlap_plan *p, const overlap_side *side, int window_days);
void overlap_plan_clear(overlap_plan *p);

/* Scores every candidate (a JSON array of overlap_side_json objects) against
 * self and returns the pairs that overlap as a new JSON array of
 * {id, a, b, score, level, reasons, explanation, same} (a < b; fresh UUIDv7
 * ids), the input of SQL_OVERLAPS_UPSERT; NULL when out of memory. v, areas
 * and weights are the catalog's (overlap_evaluate). Candidates
 * that cannot be read are skipped. */
json_t *overlap_plan_score(const overlap_side *self, const json_t *candidates, const vocab *v,
                           const area_register *areas, const textsim_weights *weights, int window_days);

#endif
