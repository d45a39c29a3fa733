/* fatigue.h - how often one community in one area is asked (pure).
 *
 * A bucket is (area, community, month). Its count is the consultations that
 * reach the area (they are in it, or contain it) and ask the community (the
 * term itself, its parent or its children, or general-public, which asks
 * everyone), with fieldwork inside the window of window_days that ends on the
 * last day of the month. A bucket whose count is above max_asks is exceeded. */
#ifndef CONSULTD_FATIGUE_H
#define CONSULTD_FATIGUE_H

#include <jansson.h>
#include <stdbool.h>

#include "overlap.h"

#define FATIGUE_MAX_MONTHS 36      /* months one query counts; more are not counted */

typedef struct fatigue_query {
    const char *area;             /* the area asked about */
    const char *const *area_scope;/* the area and its ancestors */
    size_t nscope;
    const char *community;        /* NULL: every community the rows ask */
    int first_month;              /* overlap_month() numbering */
    int months;                   /* at most FATIGUE_MAX_MONTHS */
    int window_days;
    int max_asks;
    bool only_exceeded;
} fatigue_query;

/* Appends bucket objects {area, community, month, count, max_asks,
 * window_days, exceeded} to out. rows are the consultations that may reach
 * the area (the caller's pre-filter may be wider). */
void fatigue_buckets(const overlap_side *rows, size_t nrows, const fatigue_query *q, const vocab *v, json_t *out);

/* Whether the row reaches the area: it is in the area (the area is in its
 * scope) or contains it (one of its areas is in area_scope, the area and its
 * ancestors). */
bool fatigue_reaches(const overlap_side *r, const char *area, const char *const *area_scope, size_t nscope);

/* Whether a consultation with these communities asks community c. */
bool fatigue_asks(const json_t *communities, const char *c, const vocab *v);

/* The communities a consultation's rows must ask (one of) to count in any
 * bucket a consultation with these communities adds to: each bucket it asks
 * (its communities, their parents and children) with that bucket's own
 * family, and general-public. Appended to out; false (out untouched) when it
 * asks general-public, so every row counts. A pre-filter for the caller. */
bool fatigue_row_communities(const json_t *communities, const vocab *v, json_t *out);

#endif
