/* areas.c - in-memory area register. */
#include "areas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

area_register *areas_new(void)
{
    return calloc(1, sizeof(area_register));
}

void areas_free(area_register *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].name);
        free(r->items[i].level);
        free(r->items[i].ancestors);
        free(r->items[i].within);
    }
    free(r->items);
    free(r);
}

int areas_add(area_register *r, const char *code, const char *name, const char *level,
              const char *const *ancestors, size_t nancestors)
{
    if (strlen(code) != 9)
        return -1;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        area_info *n = realloc(r->items, cap * sizeof *n);
        if (!n)
            return -1;
        r->items = n;
        r->cap = cap;
    }
    area_info *a = &r->items[r->n];
    memset(a, 0, sizeof *a);
    memcpy(a->code, code, 10);
    a->name = strdup(name);
    a->level = strdup(level);
    a->ancestors = nancestors ? calloc(nancestors, sizeof *a->ancestors) : NULL;
    r->n++;
    if (!a->name || !a->level || (nancestors && !a->ancestors))
        return -1;
    for (size_t i = 0; i < nancestors; i++) {
        if (strlen(ancestors[i]) != 9)
            return -1;
        memcpy(a->ancestors[i], ancestors[i], 10);
    }
    a->nancestors = nancestors;
    return 0;
}

static int cmp_area(const void *x, const void *y)
{
    return strcmp(((const area_info *)x)->code, ((const area_info *)y)->code);
}

/* One more area of level inside a. */
static int count_within(area_info *a, const char *level)
{
    for (size_t i = 0; i < a->nwithin; i++)
        if (strcmp(a->within[i].level, level) == 0) {
            a->within[i].n++;
            return 0;
        }
    area_count *w = realloc(a->within, (a->nwithin + 1) * sizeof *w);
    if (!w)
        return -1;
    a->within = w;
    snprintf(w[a->nwithin].level, sizeof w[a->nwithin].level, "%s", level);
    w[a->nwithin++].n = 1;
    return 0;
}

int areas_finish(area_register *r)
{
    if (r->n)
        qsort(r->items, r->n, sizeof *r->items, cmp_area);
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].within);
        r->items[i].within = NULL;
        r->items[i].nwithin = 0;
    }
    for (size_t i = 0; i < r->n; i++)
        for (size_t j = 0; j < r->items[i].nancestors; j++) {
            area_info *a = (area_info *)areas_find(r, r->items[i].ancestors[j]);
            if (a && a != &r->items[i] && count_within(a, r->items[i].level) < 0)
                return -1;
        }
    return 0;
}

size_t areas_within(const area_register *r, const char *code, const char *level)
{
    const area_info *a = code ? areas_find(r, code) : NULL;
    size_t n = 0;
    for (size_t i = 0; a && i < a->nwithin; i++)
        if (!level || strcmp(a->within[i].level, level) == 0)
            n += a->within[i].n;
    return n;
}

const area_info *areas_find(const area_register *r, const char *code)
{
    if (!r || !r->n || strlen(code) != 9)
        return NULL;
    area_info probe;
    memcpy(probe.code, code, 10);
    return bsearch(&probe, r->items, r->n, sizeof *r->items, cmp_area);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

size_t areas_scope(const area_register *r, const char *const *codes, size_t n, const char **out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        out[k++] = codes[i];
        const area_info *a = areas_find(r, codes[i]);
        for (size_t j = 0; a && j < a->nancestors && k < cap; j++)
            out[k++] = a->ancestors[j];
    }
    if (k)
        qsort(out, k, sizeof *out, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(out[u - 1], out[i]) != 0)
            out[u++] = out[i];
    return u;
}
