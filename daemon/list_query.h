/* list_query.h - GET /v1/consultations filters into SQL (pure: no I/O).
 *
 * Every filter becomes a parameterised condition; values never enter the SQL
 * text. Bad values and unknown parameters are reported in errors. */
#ifndef CONSULTD_LIST_QUERY_H
#define CONSULTD_LIST_QUERY_H

#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "areas.h"
#include "vocab.h"

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 200
#define LIST_MAX_PARAMS 16

typedef struct list_query {
    char *sql;                          /* malloc'd */
    const char *params[LIST_MAX_PARAMS];
    char *owned[LIST_MAX_PARAMS];       /* params this struct allocated */
    int nparams;
    int limit;
} list_query;

/* The condition "consultation c is in one of the areas codes[0..n), inside
 * one, or contains one": one definition for every area filter (the lists,
 * the overlaps, calendar feeds and the public routes). Written into out as
 * "(c.area_scope && $a::text[] OR c.areas && $b::text[])": $a the codes
 * (c's area_scope holds c's areas and everything they reach, so a code in it
 * means c is in or inside that area, or in one that became it); $b the codes
 * and every area containing one, from the register (NULL: the database lists
 * the ancestors instead), matched against c's own areas (c contains it). Two
 * small literal arrays the planner can estimate, each with its GIN index.
 * codes are GSS codes (nothing to quote). The parameters are added to q (and
 * owned by it). Returns 0, or -1 when n is 0, q has no room for two more
 * parameters, out is too small (q may then hold the two parameters: free it
 * either way), or out of memory. */
#define LIST_AREA_SQL_MAX 256
int list_area_condition(list_query *q, const area_register *areas, const char *const *codes, size_t n,
                        char *out, size_t size);

/* GET /v1/consultations (and its CSV export): filters to SQL. areas, when
 * not NULL, says which areas contain an area= code: the filter is sent as
 * two small literal arrays (the code, matched against area_scope; the code
 * and its ancestors, against areas) that the planner can estimate, so it
 * reads an area's rows by their GIN indexes instead of walking the whole
 * table in id order; NULL: the database lists the ancestors. Returns 0, or -1 when errors were added. Free
 * with list_query_free either way. */
int list_query_build(const struct evkeyvalq *query, const vocab *v, const area_register *areas, list_query *out,
                     json_t *errors);
void list_query_free(list_query *q);

/* GET /v1/overlaps: status, area, organisation, level, min_score, from, to,
 * limit, cursor. Selects (id, overlap JSON). */
int overlap_query_build(const struct evkeyvalq *query, const vocab *v, const area_register *areas, list_query *out,
                        json_t *errors);

/* GET /v1/subscriptions: limit, cursor; only org's subscriptions unless org is
 * NULL (admins). Selects (id, subscription JSON). */
int subscription_query_build(const struct evkeyvalq *query, const char *org, list_query *out, json_t *errors);

/* The opaque cursor after the row with this id. */
void list_cursor_encode(const char *id, char *out, size_t len);

#endif
