/* areas.c - the in-memory area register: look-ups, scope, names, search. */
#include "areas.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vocab.h"

#define NAME_KEY_MAX 256

area_register *areas_new(void)
{
    return calloc(1, sizeof(area_register));
}

static void info_clear(area_info *a)
{
    free(a->name);
    free(a->name_cy);
    free(a->level);
    free(a->key);
    free(a->key_cy);
    free(a->parents);
    free(a->ancestors);
    free(a->reach);
    free(a->successors);
    free(a->within);
}

void areas_free(area_register *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        info_clear(&r->items[i]);
    for (size_t i = 0; i < r->naliases; i++)
        free(r->aliases[i].alias);
    free(r->items);
    free(r->aliases);
    free(r->names);
    free(r->by_name);
    free(r);
}

/* Copies a list of codes; 0, -1 (a code of the wrong length), -2 (memory). */
static int copy_codes(const char *const *list, size_t n, area_code **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!list[i] || strlen(list[i]) != 9)
            return -1;
    if (!(*out = calloc(n, sizeof **out)))
        return -2;
    for (size_t i = 0; i < n; i++)
        memcpy((*out)[i], list[i], 10);
    *nout = n;
    return 0;
}

static char *name_key(const char *name)
{
    if (!name || !*name)
        return NULL;
    char k[NAME_KEY_MAX];
    vocab_normalise(name, k, sizeof k);
    return k[0] ? strdup(k) : NULL;
}

int areas_add_row(area_register *r, const area_row *row)
{
    if (!row->code || strlen(row->code) != 9)
        return AREAS_BAD_CODE;
    if (row->nreach > AREAS_REACH_MAX)
        return AREAS_REACH_TOO_WIDE;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        area_info *n = realloc(r->items, cap * sizeof *n);
        if (!n)
            return -2;
        r->items = n;
        r->cap = cap;
    }
    area_info a;
    memset(&a, 0, sizeof a);
    memcpy(a.code, row->code, 10);
    int rc = copy_codes(row->parents, row->nparents, &a.parents, &a.nparents);
    if (rc == 0)
        rc = copy_codes(row->ancestors, row->nancestors, &a.ancestors, &a.nancestors);
    if (rc == 0)
        rc = copy_codes(row->reach, row->nreach, &a.reach, &a.nreach);
    if (rc == 0)
        rc = copy_codes(row->successors, row->nsuccessors, &a.successors, &a.nsuccessors);
    if (rc == 0) {
        a.name = strdup(row->name ? row->name : "");
        a.level = strdup(row->level ? row->level : "");
        a.name_cy = row->name_cy && *row->name_cy ? strdup(row->name_cy) : NULL;
        a.key = name_key(row->name);
        a.key_cy = name_key(row->name_cy);
        if (!a.name || !a.level || (row->name_cy && *row->name_cy && !a.name_cy))
            rc = -2;
    }
    if (rc < 0) {
        info_clear(&a);
        return rc;
    }
    r->items[r->n++] = a;
    return 0;
}

int areas_add(area_register *r, const char *code, const char *name, const char *level,
              const char *const *ancestors, size_t nancestors)
{
    area_row row = { code, name, NULL, level, ancestors, nancestors ? 1 : 0, ancestors, nancestors,
                     ancestors, nancestors, NULL, 0 };
    return areas_add_row(r, &row);
}

int areas_add_alias(area_register *r, const char *alias, const char *code)
{
    if (!alias || !*alias || !code || strlen(code) != 9)
        return -1;
    if (r->naliases == r->capaliases) {
        size_t cap = r->capaliases ? r->capaliases * 2 : 256;
        area_alias *n = realloc(r->aliases, cap * sizeof *n);
        if (!n)
            return -2;
        r->aliases = n;
        r->capaliases = cap;
    }
    char *a = strdup(alias);
    if (!a)
        return -2;
    for (char *p = a; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    area_alias *e = &r->aliases[r->naliases++];
    e->alias = a;
    e->area = 0;
    memcpy(e->code, code, 10);
    return 0;
}

static int cmp_area(const void *x, const void *y)
{
    return strcmp(((const area_info *)x)->code, ((const area_info *)y)->code);
}

static int cmp_alias(const void *x, const void *y)
{
    return strcmp(((const area_alias *)x)->alias, ((const area_alias *)y)->alias);
}

static int cmp_name_key(const void *x, const void *y)
{
    const area_name_key *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->area > b->area) - (a->area < b->area);
}

static int cmp_by_name(const void *x, const void *y, void *arg)
{
    const area_info *items = arg, *a = &items[*(const size_t *)x], *b = &items[*(const size_t *)y];
    int c = strcasecmp(a->name, b->name);
    return c ? c : strcmp(a->code, b->code);
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
        return -2;
    a->within = w;
    snprintf(w[a->nwithin].level, sizeof w[a->nwithin].level, "%s", level);
    w[a->nwithin++].n = 1;
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
                return -2;
        }
    size_t k = 0;
    for (size_t i = 0; i < r->naliases; i++) {
        const area_info *a = areas_find(r, r->aliases[i].code);
        if (!a) {
            free(r->aliases[i].alias);
            continue;
        }
        r->aliases[i].area = (size_t)(a - r->items);
        r->aliases[k++] = r->aliases[i];
    }
    r->naliases = k;
    if (k)
        qsort(r->aliases, k, sizeof *r->aliases, cmp_alias);
    free(r->names);
    r->names = r->n ? calloc(2 * r->n, sizeof *r->names) : NULL;
    if (r->n && !r->names)
        return -2;
    r->nnames = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].key)
            r->names[r->nnames++] = (area_name_key){ r->items[i].key, i };
        if (r->items[i].key_cy && (!r->items[i].key || strcmp(r->items[i].key, r->items[i].key_cy) != 0))
            r->names[r->nnames++] = (area_name_key){ r->items[i].key_cy, i };
    }
    if (r->nnames)
        qsort(r->names, r->nnames, sizeof *r->names, cmp_name_key);
    free(r->by_name);
    r->by_name = r->n ? malloc(r->n * sizeof *r->by_name) : NULL;
    if (r->n && !r->by_name)
        return -2;
    for (size_t i = 0; i < r->n; i++)
        r->by_name[i] = i;
    if (r->n)
        qsort_r(r->by_name, r->n, sizeof *r->by_name, cmp_by_name, r->items);
    return 0;
}

const area_info *areas_find(const area_register *r, const char *code)
{
    if (!r || !r->n || !code || strlen(code) != 9)
        return NULL;
    area_info probe;
    memcpy(probe.code, code, 10);
    return bsearch(&probe, r->items, r->n, sizeof *r->items, cmp_area);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

long areas_scope(const area_register *r, const char *const *codes, size_t n, const char **out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == cap)
            return -1;
        out[k++] = codes[i];
        const area_info *a = areas_find(r, codes[i]);
        for (size_t j = 0; a && j < a->nreach; j++) {
            if (k == cap)
                return -1;
            out[k++] = a->reach[j];
        }
    }
    if (k)
        qsort(out, k, sizeof *out, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(out[u - 1], out[i]) != 0)
            out[u++] = out[i];
    return (long)u;
}

size_t areas_scope_one(const area_register *r, const char *code, const char *out[AREAS_REACH_MAX + 1])
{
    long n = areas_scope(r, &code, 1, out, AREAS_REACH_MAX + 1);
    return n > 0 ? (size_t)n : 0; /* cannot fail: areas_add bounds every reach */
}

/* ---- names as people write them ---------------------------------------------- */

static bool code_shaped(const char *s, size_t len)
{
    if (len != 9 || !strchr("EWSNKewsnk", s[0]))
        return false;
    for (size_t i = 1; i < 9; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* The index range [*lo, *hi) of names whose key equals key. */
static void names_equal(const area_register *r, const char *key, size_t *lo, size_t *hi)
{
    size_t a = 0, b = r->nnames;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (strcmp(r->names[m].key, key) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < r->nnames && strcmp(r->names[a].key, key) == 0)
        a++;
    *hi = a;
}

/* Whether a lies within an area (one of its parents or ancestors) whose name
 * or Welsh name (normalised) is key, or, when prefix, starts with key: "Abbey
 * (Linc" finds Lincoln's Abbey while the parent is still being typed. */
static bool has_container_named(const area_register *r, const area_info *a, const char *key, bool prefix)
{
    size_t n = strlen(key);
    for (size_t pass = 0; pass < 2; pass++) {
        const area_code *list = pass ? a->ancestors : a->parents;
        size_t m = pass ? a->nancestors : a->nparents;
        for (size_t i = 0; i < m; i++) {
            const area_info *p = areas_find(r, list[i]);
            const char *names[2] = { p ? p->key : NULL, p ? p->key_cy : NULL };
            for (int k = 0; k < 2; k++)
                if (names[k] && (prefix ? strncmp(names[k], key, n) == 0 : strcmp(names[k], key) == 0))
                    return true;
        }
    }
    return false;
}

static void add_candidate(area_match *m, const area_info *a)
{
    for (size_t i = 0; i < m->ncandidates; i++)
        if (m->candidates[i] == a)
            return;
    if (m->ncandidates < AREA_CANDIDATES_MAX)
        m->candidates[m->ncandidates++] = a;
}

/* Candidates whose name is key (and, when parent_key, lie within an area so named). */
static void match_name(const area_register *r, const char *key, const char *parent_key, area_match *m)
{
    size_t lo, hi;
    names_equal(r, key, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const area_info *a = &r->items[r->names[i].area];
        if (!parent_key || has_container_named(r, a, parent_key, false))
            add_candidate(m, a);
    }
}

area_match_kind areas_resolve(const area_register *r, const char *text, area_match *out)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return AREA_BAD;
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (code_shaped(text, len)) {
        for (size_t i = 0; i < 9; i++)
            out->code[i] = (char)toupper((unsigned char)text[i]);
        out->code[9] = '\0';
        out->area = areas_find(r, out->code);
        return out->kind = AREA_CODE;
    }
    if (!r || len == 0 || len >= NAME_KEY_MAX)
        return out->kind = AREA_BAD;
    char buf[NAME_KEY_MAX];
    memcpy(buf, text, len);
    buf[len] = '\0';
    /* an old code, exactly as ONS writes it (any case) */
    if (r->naliases && len < 16) {
        char up[16];
        for (size_t i = 0; i <= len; i++)
            up[i] = (char)toupper((unsigned char)buf[i]);
        area_alias probe = { up, 0, { 0 } };
        const area_alias *al = bsearch(&probe, r->aliases, r->naliases, sizeof *r->aliases, cmp_alias);
        if (al) {
            out->area = &r->items[al->area];
            memcpy(out->code, out->area->code, 10);
            return out->kind = AREA_ALIAS;
        }
    }
    char key[NAME_KEY_MAX];
    vocab_normalise(buf, key, sizeof key);
    if (key[0])
        match_name(r, key, NULL, out);
    /* "Castle (Burnley)": a name, then a containing area's name in brackets */
    if (out->ncandidates == 0 && len > 2 && buf[len - 1] == ')') {
        char *open = strrchr(buf, '(');
        if (open && open > buf) {
            buf[len - 1] = '\0';
            char parent_key[NAME_KEY_MAX];
            vocab_normalise(open + 1, parent_key, sizeof parent_key);
            *open = '\0';
            vocab_normalise(buf, key, sizeof key);
            if (key[0] && parent_key[0])
                match_name(r, key, parent_key, out);
        }
    }
    if (out->ncandidates == 1) {
        out->area = out->candidates[0];
        memcpy(out->code, out->area->code, 10);
        out->ncandidates = 0;
        out->candidates[0] = NULL;
        return out->kind = AREA_NAME;
    }
    return out->kind = out->ncandidates > 1 ? AREA_AMBIGUOUS : AREA_BAD;
}

/* ---- search ------------------------------------------------------------------- */

/* 0 exact, 1 prefix (of the key or one of its words), 2 inside, -1 none. */
static int key_rank(const char *key, const char *q)
{
    if (!key || !*q)
        return -1;
    const char *p = strstr(key, q);
    if (!p)
        return -1;
    if (p == key)
        return strcmp(key, q) == 0 ? 0 : 1;
    for (; p; p = strstr(p + 1, q))
        if (p[-1] == ' ')
            return 1;
    return 2;
}

static bool is_within(const area_info *a, const char *within)
{
    if (strcmp(a->code, within) == 0)
        return false;
    for (size_t i = 0; i < a->nancestors; i++)
        if (strcmp(a->ancestors[i], within) == 0)
            return true;
    for (size_t i = 0; i < a->nreach; i++)
        if (strcmp(a->reach[i], within) == 0)
            return true;
    return false;
}

static bool is_child(const area_info *a, const char *parent)
{
    for (size_t i = 0; i < a->nparents; i++)
        if (strcmp(a->parents[i], parent) == 0)
            return true;
    return false;
}

/* Larger areas first among equal names: a district before a ward of the
 * same name (fewer containing areas means a larger area), then by code. */
static int cmp_size(const void *x, const void *y)
{
    const area_info *a = *(const area_info *const *)x, *b = *(const area_info *const *)y;
    if (a->nancestors != b->nancestors)
        return a->nancestors < b->nancestors ? -1 : 1;
    return strcmp(a->code, b->code);
}

/* One search: key (normalised name text) and code (upper-cased code prefix,
 * "" when q is not code-shaped); pkey, when not NULL, keeps the areas within
 * an area whose name starts with it. */
static size_t search_scan(const area_register *r, const char *key, const char *code, const char *pkey,
                          const char *level, const char *within, const char *parent, const area_info **out,
                          size_t cap)
{
    size_t qlen = strlen(code);
    bool code_like = qlen > 0;
    /* One pass in name order, each match into its rank's bucket (capped):
     * the buckets are already in the order the answer wants. */
    const area_info **bucket[3];
    size_t nb[3] = { 0, 0, 0 };
    bucket[0] = malloc(3 * cap * sizeof **bucket);
    if (!bucket[0])
        return 0;
    bucket[1] = bucket[0] + cap;
    bucket[2] = bucket[1] + cap;
    for (size_t i = 0; i < r->n && nb[0] < cap; i++) {
        const area_info *a = &r->items[r->by_name[i]];
        if (level && *level && strcasecmp(a->level, level) != 0)
            continue;
        if (within && *within && !is_within(a, within))
            continue;
        if (parent && *parent && !is_child(a, parent))
            continue;
        int rank = -1;
        if (code_like && strncmp(a->code, code, qlen) == 0)
            rank = qlen == 9 ? 0 : 1;
        int rk = key_rank(a->key, key), rc = key_rank(a->key_cy, key);
        if (rk >= 0 && (rank < 0 || rk < rank))
            rank = rk;
        if (rc >= 0 && (rank < 0 || rc < rank))
            rank = rc;
        if (!key[0] && !code_like)
            rank = 2; /* no text: every area that passes the filters */
        if (rank >= 0 && pkey && !has_container_named(r, a, pkey, true))
            rank = -1;
        if (rank >= 0 && nb[rank] < cap)
            bucket[rank][nb[rank]++] = a;
    }
    qsort(bucket[0], nb[0], sizeof *bucket[0], cmp_size);
    size_t k = 0;
    for (int b = 0; b < 3; b++)
        for (size_t i = 0; i < nb[b] && k < cap; i++)
            out[k++] = bucket[b][i];
    free(bucket[0]);
    return k;
}

size_t areas_search(const area_register *r, const char *q, const char *level, const char *within,
                    const char *parent, const area_info **out, size_t cap)
{
    if (!r || !r->n || !cap)
        return 0;
    char key[NAME_KEY_MAX];
    vocab_normalise(q ? q : "", key, sizeof key);
    char code[10] = { 0 };
    size_t qlen = q ? strlen(q) : 0;
    while (qlen && isspace((unsigned char)q[qlen - 1]))
        qlen--;
    const char *qs = q ? q : "";
    while (isspace((unsigned char)*qs)) {
        qs++;
        qlen--;
    }
    bool code_like = qlen > 0 && qlen <= 9 && strchr("EWSNKewsnk", qs[0]);
    for (size_t i = 1; code_like && i < qlen; i++)
        code_like = isdigit((unsigned char)qs[i]);
    for (size_t i = 0; code_like && i < qlen; i++)
        code[i] = (char)toupper((unsigned char)qs[i]);
    size_t k = search_scan(r, key, code, NULL, level, within, parent, out, cap);
    /* "Abbey (Lincoln)", or "Abbey (Linc" as it is typed: the name before
     * the bracket, within an area whose name starts with the text inside it
     * (API.md section 7's "Name (Parent)"), when the text as a whole matches
     * no name. */
    const char *open = k == 0 && qlen < NAME_KEY_MAX ? memchr(qs, '(', qlen) : NULL;
    if (open && open > qs) {
        char name[NAME_KEY_MAX], inside[NAME_KEY_MAX], nkey[NAME_KEY_MAX], pkey[NAME_KEY_MAX];
        size_t nlen = (size_t)(open - qs), ilen = qlen - nlen - 1;
        memcpy(name, qs, nlen);
        name[nlen] = '\0';
        memcpy(inside, open + 1, ilen);
        inside[ilen] = '\0';
        char *close = strchr(inside, ')');
        if (close)
            *close = '\0';
        vocab_normalise(name, nkey, sizeof nkey);
        vocab_normalise(inside, pkey, sizeof pkey);
        if (nkey[0])
            k = search_scan(r, nkey, "", pkey[0] ? pkey : NULL, level, within, parent, out, cap);
    }
    return k;
}
