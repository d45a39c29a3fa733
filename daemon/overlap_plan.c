/* overlap_plan.c - one overlap check's literals and scoring. */
#include "overlap_plan.h"

#include <stdlib.h>
#include <string.h>

#include "consultation.h"
#include "ids.h"

int overlap_plan_scope(const area_register *reg, const char *const *areas, size_t n, json_t **out)
{
    *out = NULL;
    const char **scope = malloc(OVERLAP_SCOPE_MAX * sizeof *scope);
    if (!scope)
        return -2;
    long ns = areas_scope(reg, areas, n, scope, OVERLAP_SCOPE_MAX);
    json_t *arr = ns >= 0 ? json_array() : NULL;
    for (long i = 0; arr && i < ns; i++)
        if (json_array_append_new(arr, json_string(scope[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    free(scope);
    if (ns < 0)
        return OVERLAP_SCOPE_TOO_WIDE;
    if (!arr)
        return -2;
    *out = arr;
    return 0;
}

static char *bool_array(const bool *v, size_t n)
{
    char *out = malloc(n * 2 + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            out[o++] = ',';
        out[o++] = v[i] ? 't' : 'f';
    }
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

static char *json_strings_to_pg(const json_t *arr)
{
    size_t n = json_array_size(arr);
    char **items = calloc(n + 1, sizeof *items);
    if (!items)
        return NULL;
    for (size_t i = 0; i < n; i++)
        items[i] = (char *)json_string_value(json_array_get(arr, i));
    strlist l = { items, n };
    char *out = strlist_to_pg(&l);
    free(items);
    return out;
}

void overlap_plan_clear(overlap_plan *p)
{
    free(p->scope);
    free(p->keys);
    free(p->probe);
    free(p->locks);
    free(p->modes);
    memset(p, 0, sizeof *p);
}

int overlap_plan_build(overlap_plan *p, const overlap_side *side, int window_days)
{
    memset(p, 0, sizeof *p);
    size_t nk, np, nl;
    bool *excl = NULL;
    int64_t *keys = overlap_keys(side, &nk);
    int64_t *probe = overlap_probe_keys(side, window_days, &np);
    int64_t *locks = overlap_locks(side, window_days, &excl, &nl);
    p->scope = json_strings_to_pg(side->scope);
    if (keys && probe && locks && excl) {
        p->keys = int64s_to_pg(keys, nk);
        p->probe = int64s_to_pg(probe, np);
        p->locks = int64s_to_pg(locks, nl);
        p->modes = bool_array(excl, nl);
    }
    free(keys);
    free(probe);
    free(locks);
    free(excl);
    if (!p->scope || !p->keys || !p->probe || !p->locks || !p->modes) {
        overlap_plan_clear(p);
        return -1;
    }
    overlap_iso_date(side->start - window_days, p->from);
    overlap_iso_date(side->end + window_days, p->to);
    return 0;
}

json_t *overlap_plan_score(const overlap_side *self, const json_t *candidates, const vocab *v,
                           const area_register *areas, const textsim_weights *weights, int window_days)
{
    json_t *rows = json_array();
    size_t i;
    json_t *cand;
    json_array_foreach(candidates, i, cand) {
        overlap_side other;
        if (!rows || overlap_side_init(&other, cand) < 0)
            continue;
        overlap_result r;
        overlap_evaluate(self, &other, v, areas, weights, window_days, &r);
        if (r.overlaps) {
            char oid[UUID_STR_LEN];
            bool first = strcmp(self->id, other.id) < 0;
            json_t *row = uuid7_new(oid) == 0
                              ? json_pack("{s:s, s:s, s:s, s:f, s:s, s:O, s:s, s:b}", "id", oid, "a",
                                          first ? self->id : other.id, "b", first ? other.id : self->id, "score",
                                          r.score, "level", r.level, "reasons", r.reasons, "explanation",
                                          r.explanation, "same", r.same_organisation)
                              : NULL;
            if (!row || json_array_append_new(rows, row) < 0) {
                json_decref(rows);
                rows = NULL;
            }
        }
        overlap_result_clear(&r);
        overlap_side_clear(&other);
    }
    return rows;
}
