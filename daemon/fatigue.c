/* fatigue.c - per (area, community, month) counts against the limit. */
#include "fatigue.h"

#include <stdio.h>
#include <string.h>

#include "civil_date.h"

static const char *parent_of(const vocab *v, const char *code)
{
    const vocab_term *t = v ? vocab_by_code(v, VOCAB_COMMUNITIES, code) : NULL;
    return t ? t->parent : NULL;
}

bool fatigue_asks(const json_t *communities, const char *c, const vocab *v)
{
    const char *pc = parent_of(v, c);
    size_t i;
    const json_t *e;
    json_array_foreach(communities, i, e) {
        const char *x = json_string_value(e);
        if (!x)
            continue;
        if (strcmp(x, c) == 0 || strcmp(x, "general-public") == 0)
            return true;
        const char *px = parent_of(v, x);
        if ((px && strcmp(px, c) == 0) || (pc && strcmp(pc, x) == 0))
            return true;
    }
    return false;
}

static bool in_list(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e) {
        if (strcmp(json_string_value(e), s) == 0)
            return true;
    }
    return false;
}

bool fatigue_reaches(const overlap_side *r, const char *area, const char *const *area_scope, size_t nscope)
{
    if (in_list(r->scope, area))
        return true;
    for (size_t i = 0; i < nscope; i++)
        if (in_list(r->areas, area_scope[i]))
            return true;
    return false;
}

static bool reaches(const overlap_side *r, const fatigue_query *q)
{
    return fatigue_reaches(r, q->area, q->area_scope, q->nscope);
}

/* Days since 1970-01-01 of the first day of month m (overlap_month numbering). */
static long month_start(int m)
{
    return civil_days(m / 12, m % 12 + 1, 1);
}

static void count_for(const overlap_side *rows, size_t n, const fatigue_query *q, const vocab *v,
                      const char *community, json_t *out)
{
    int months = q->months < FATIGUE_MAX_MONTHS ? q->months : FATIGUE_MAX_MONTHS;
    long first[FATIGUE_MAX_MONTHS], last[FATIGUE_MAX_MONTHS]; /* each month's window */
    json_int_t count[FATIGUE_MAX_MONTHS] = { 0 };
    for (int k = 0; k < months; k++) {
        last[k] = month_start(q->first_month + k + 1) - 1;
        first[k] = last[k] - q->window_days + 1;
    }
    /* whether a row counts for the community is decided once, not once a month */
    for (size_t i = 0; i < n; i++) {
        if (!reaches(&rows[i], q) || !fatigue_asks(rows[i].communities, community, v))
            continue;
        for (int k = 0; k < months; k++)
            if (rows[i].start <= last[k] && rows[i].end >= first[k])
                count[k]++;
    }
    for (int k = 0; k < months; k++) {
        bool exceeded = count[k] > q->max_asks;
        if (q->only_exceeded && !exceeded)
            continue;
        int m = q->first_month + k;
        char month[16];
        snprintf(month, sizeof month, "%04d-%02d", m / 12, m % 12 + 1);
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:I, s:i, s:i, s:b}", "area", q->area, "community",
                                             community, "month", month, "count", count[k], "max_asks", q->max_asks,
                                             "window_days", q->window_days, "exceeded", exceeded));
    }
}

void fatigue_buckets(const overlap_side *rows, size_t nrows, const fatigue_query *q, const vocab *v, json_t *out)
{
    if (q->community) {
        count_for(rows, nrows, q, v, q->community, out);
        return;
    }
    json_t *seen = json_array();
    for (size_t i = 0; i < nrows; i++) {
        size_t j;
        const json_t *c;
        json_array_foreach(rows[i].communities, j, c) {
            const char *code = json_string_value(c);
            if (code && !in_list(seen, code) && reaches(&rows[i], q)) {
                json_array_append_new(seen, json_string(code));
                count_for(rows, nrows, q, v, code, out);
            }
        }
    }
    json_decref(seen);
}

/* code, its parent and its descendants, onto out (unique). */
static void add_family(const vocab *v, const char *code, json_t *out)
{
    json_t *fam = json_array();
    if (!fam)
        return;
    vocab_expand(v, VOCAB_COMMUNITIES, code, fam);
    const char *p = parent_of(v, code);
    if (p)
        json_array_append_new(fam, json_string(p));
    size_t i;
    json_t *e;
    json_array_foreach(fam, i, e)
        if (!in_list(out, json_string_value(e)))
            json_array_append(out, e);
    json_decref(fam);
}

bool fatigue_row_communities(const json_t *communities, const vocab *v, json_t *out)
{
    json_t *buckets = json_array();
    if (!buckets || !v)
        goto any;
    size_t i;
    const json_t *c;
    json_array_foreach(communities, i, c) {
        const char *code = json_string_value(c);
        if (!code || strcmp(code, "general-public") == 0)
            goto any; /* it asks everyone: every bucket in the area counts */
        add_family(v, code, buckets);
    }
    json_t *b;
    json_array_foreach(buckets, i, b)
        add_family(v, json_string_value(b), out);
    if (!in_list(out, "general-public"))
        json_array_append_new(out, json_string("general-public"));
    json_decref(buckets);
    return true;
any:
    json_decref(buckets);
    return false;
}
