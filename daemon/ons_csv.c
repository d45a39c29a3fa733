/* ons_csv.c - ONS lookup CSV parsing on libcsv. */
#include "ons_csv.h"

#include <csv.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 64

typedef struct level_col {
    char prefix[12];
    char year[3];
    int num;              /* 1, 2 ... for numbered parents (LEP17CD1), else 0 */
    int cd, nm, nmw;
    int old[2], nold;     /* CDO, CDH columns */
    int rank;
    bool tree;            /* nests with the other administrative levels */
    bool superseded;      /* a newer vintage of the same prefix is in the file */
    char cd_name[24];     /* the code column's name as written */
} level_col;

typedef struct parse_state {
    const ons_sink *sink;
    ons_stats *stats;
    char *fields[MAX_FIELDS];
    int nfields;
    bool too_many;
    bool header_done;
    int ncols;
    level_col levels[ONS_MAX_LEVELS];
    int nlevels;
    int failed;            /* 0 ok, 1 sink failed, 2 header bad, 3 out of memory */
    char *err;
    size_t errlen;
} parse_state;

/* ONS geography prefixes. rank orders levels finest first; tree marks the
 * administrative hierarchy (output area < LSOA < MSOA < ward < district <
 * county < region < country), whose levels nest in one another. The others
 * are built from small units and cut across districts (a constituency may
 * hold parts of two districts). */
static const struct { const char *prefix, *name; int rank; bool tree; } known[] = {
    { "OA", "output-area", 1, true }, { "LSOA", "lsoa", 2, true }, { "MSOA", "msoa", 3, true },
    { "WD", "ward", 4, true }, { "LAD", "district", 5, true }, { "LTLA", "district", 5, true },
    { "UA", "district", 5, true }, { "CTY", "county", 6, true }, { "UTLA", "county", 6, true },
    { "CTYUA", "county", 6, true }, { "CAUTH", "combined-authority", 7, false },
    { "PFA", "police-force-area", 7, false }, { "CCG", "ccg", 6, false }, { "SICBL", "sub-icb", 6, false },
    { "ICB", "icb", 7, false }, { "PCON", "constituency", 6, false }, { "RGN", "region", 8, true },
    { "GOR", "region", 8, true }, { "CTRY", "country", 9, true }, { "WPC", "constituency", 6, false },
    { "NAWER", "senedd-region", 7, false }, { "SENER", "senedd-region", 7, false },
};
#define NKNOWN (sizeof known / sizeof known[0])

const char *ons_level_name(const char *prefix)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (strcmp(known[i].prefix, prefix) == 0)
            return known[i].name;
    return NULL;
}

bool ons_code_valid(const char *code)
{
    if (!code || strlen(code) != 9 || !strchr("EWSNK", code[0]))
        return false;
    for (int i = 1; i < 9; i++)
        if (!isdigit((unsigned char)code[i]))
            return false;
    return true;
}

bool ons_code_pseudo(const char *code)
{
    return code && isalpha((unsigned char)code[0]) && strcmp(code + 1, "99999999") == 0;
}

/* ---- text ---------------------------------------------------------------- */

/* Windows-1252 bytes 0x80-0x9F as code points (0: undefined, read as Latin-1). */
static const unsigned short cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
    0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0, 0x017E, 0x0178,
};

/* Decodes one UTF-8 sequence at s (NUL-terminated): its length, 0 if invalid. */
static int utf8_next(const unsigned char *s, unsigned *cp)
{
    unsigned c = s[0], min;
    int n;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, *cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, *cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, *cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

/* 1 if s is valid UTF-8 with at least one multi-byte character, 0 if valid
 * ASCII, -1 if not valid UTF-8. */
static int utf8_check(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int multi = 0;
    while (*p) {
        unsigned cp;
        int n = utf8_next(p, &cp);
        if (n == 0)
            return -1;
        multi |= n > 1;
        p += n;
    }
    return multi;
}

/* The single byte code point cp came from when UTF-8 was read as
 * Windows-1252 or Latin-1, -1 if none. */
static int byte_of(unsigned cp)
{
    if (cp <= 0xFF)
        return (int)cp;
    for (int i = 0; i < 32; i++)
        if (cp1252[i] == cp)
            return 0x80 + i;
    return -1;
}

static void trim(char *s)
{
    size_t n = strlen(s), a = 0;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
}

/* One round of repair: 1 repaired, 0 not double-encoded, 3 looks
 * double-encoded but does not decode, -1 out of memory. */
static int repair_once(char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    bool mappable = true, high = false, suspect = false;
    unsigned prev = 0;
    while (*p) {
        unsigned cp;
        int n = utf8_next(p, &cp);
        int b = byte_of(cp);
        if (b < 0)
            mappable = false;
        else if (b >= 0x80)
            high = true;
        /* a UTF-8 lead byte (as Ã, Â, Å, â) before a continuation byte */
        if ((prev == 0xC2 || prev == 0xC3 || prev == 0xC5 || prev == 0xE2) && b >= 0x80 && b <= 0xBF)
            suspect = true;
        prev = cp;
        p += n;
    }
    if (!mappable || !high)
        return suspect ? 3 : 0;
    size_t len = strlen(s);
    char *out = malloc(len + 1);
    if (!out)
        return -1;
    size_t k = 0;
    for (p = (const unsigned char *)s; *p;) {
        unsigned cp;
        p += utf8_next(p, &cp);
        out[k++] = (char)byte_of(cp);
    }
    out[k] = '\0';
    int rc = utf8_check(out) == 1 ? 1 : suspect ? 3 : 0;
    if (rc == 1)
        memcpy(s, out, k + 1);
    free(out);
    return rc;
}

int ons_text_repair(char *s)
{
    trim(s);
    if (utf8_check(s) < 0)
        return 2;
    int rc = 0;
    for (int round = 0; round < 3; round++) {
        int r = repair_once(s);
        if (r == 1) {
            rc = 1;
            continue;
        }
        if (r == 3 && rc == 0)
            rc = 3;
        break;
    }
    return rc;
}

char *ons_text_recode(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned cp = *p;
        if (cp >= 0x80 && cp <= 0x9F && cp1252[cp - 0x80])
            cp = cp1252[cp - 0x80];
        if (cp < 0x80) {
            *o++ = (char)cp;
        } else if (cp < 0x800) {
            *o++ = (char)(0xC0 | (cp >> 6));
            *o++ = (char)(0x80 | (cp & 0x3F));
        } else {
            *o++ = (char)(0xE0 | (cp >> 12));
            *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *o++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    *o = '\0';
    return out;
}

/* ---- header -------------------------------------------------------------- */

enum { K_CD, K_NM, K_NMW, K_CDO, K_CDH };

/* Splits "LAD19CD" into prefix "LAD", year "19", kind K_CD, num 0; "LEP17CD2"
 * has num 2; "NUTS315CD" has prefix "NUTS3". 0 on success, -1 if the name is
 * not an ONS column name. */
static int split_column(const char *name, char prefix[12], char year[3], int *kind, int *num)
{
    size_t n = strlen(name);
    if (n < 5 || n > 20)
        return -1;
    char up[21];
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    *num = 0;
    if (isdigit((unsigned char)up[n - 1]) && isalpha((unsigned char)up[n - 2])) {
        *num = up[n - 1] - '0';
        up[--n] = '\0';
    }
    static const struct { const char *s; int kind; } kinds[] = {
        { "NMW", K_NMW }, { "CDO", K_CDO }, { "CDH", K_CDH }, { "CD", K_CD }, { "NM", K_NM },
    };
    size_t klen = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds && !klen; i++) {
        size_t l = strlen(kinds[i].s);
        if (n > l + 2 && strcmp(up + n - l, kinds[i].s) == 0) {
            klen = l;
            *kind = kinds[i].kind;
        }
    }
    if (!klen)
        return -1;
    n -= klen;
    if (!isdigit((unsigned char)up[n - 1]) || !isdigit((unsigned char)up[n - 2]))
        return -1;
    size_t plen = n - 2;
    if (plen == 0 || plen > 10 || !isalpha((unsigned char)up[0]))
        return -1;
    for (size_t i = 0; i < plen; i++)
        if (!isalnum((unsigned char)up[i]))
            return -1;
    memcpy(prefix, up, plen);
    prefix[plen] = '\0';
    memcpy(year, up + plen, 2);
    year[2] = '\0';
    return 0;
}

static void append_name(char *list, size_t cap, const char *name)
{
    size_t len = strlen(list);
    if (len + 5 >= cap)
        return;
    int n = snprintf(list + len, cap - len, "%s%s", len ? ", " : "", name[0] ? name : "(unnamed)");
    if (n < 0 || (size_t)n >= cap - len)
        snprintf(list + (cap > 5 ? cap - 5 : 0), 5, "...");
}

static void skip_column(parse_state *st, const char *name)
{
    st->stats->skipped_columns++;
    append_name(st->stats->skipped_column_names, sizeof st->stats->skipped_column_names, name);
}

static int find_level(parse_state *st, const char *prefix, const char *year, int num)
{
    for (int j = 0; j < st->nlevels; j++)
        if (strcmp(st->levels[j].prefix, prefix) == 0 && strcmp(st->levels[j].year, year) == 0 &&
            st->levels[j].num == num)
            return j;
    if (st->nlevels == ONS_MAX_LEVELS)
        return -1;
    level_col *l = &st->levels[st->nlevels];
    memset(l, 0, sizeof *l);
    snprintf(l->prefix, sizeof l->prefix, "%s", prefix);
    memcpy(l->year, year, 3);
    l->num = num;
    l->cd = l->nm = l->nmw = -1;
    l->rank = 7;
    for (size_t i = 0; i < NKNOWN; i++)
        if (strcmp(known[i].prefix, prefix) == 0) {
            l->rank = known[i].rank;
            l->tree = known[i].tree;
        }
    return st->nlevels++;
}

/* Gives column i to its level; false if it is not a level column or a
 * second column of the same kind. */
static bool claim_column(parse_state *st, int i)
{
    char prefix[12], year[3];
    int kind = K_CD, num = 0;
    if (split_column(st->fields[i], prefix, year, &kind, &num) < 0)
        return false;
    int j = find_level(st, prefix, year, num);
    if (j < 0)
        return false;
    level_col *l = &st->levels[j];
    int *slot = kind == K_CD ? &l->cd : kind == K_NM ? &l->nm : kind == K_NMW ? &l->nmw : NULL;
    if (slot) {
        if (*slot >= 0)
            return false;
        *slot = i;
        if (kind == K_CD)
            snprintf(l->cd_name, sizeof l->cd_name, "%s", st->fields[i]);
    } else {
        if (l->nold == 2)
            return false;
        l->old[l->nold++] = i;
    }
    return true;
}

/* A level without a code column: its names and old codes are skipped. */
static void report_levelless(parse_state *st, const level_col *l)
{
    if (l->nm >= 0)
        skip_column(st, st->fields[l->nm]);
    if (l->nmw >= 0)
        skip_column(st, st->fields[l->nmw]);
    for (int o = 0; o < l->nold; o++)
        skip_column(st, st->fields[l->old[o]]);
}

static int header(parse_state *st)
{
    /* A UTF-8 byte order mark before the first column name is not part of it. */
    if (st->nfields > 0 && strncmp(st->fields[0], "\xEF\xBB\xBF", 3) == 0)
        memmove(st->fields[0], st->fields[0] + 3, strlen(st->fields[0]) - 2);
    st->ncols = st->nfields;
    for (int i = 0; i < st->nfields; i++) {
        trim(st->fields[i]);
        if (!claim_column(st, i))
            skip_column(st, st->fields[i]);
    }
    /* Keep only levels that have a code column; order finest first (stable). */
    int k = 0;
    for (int j = 0; j < st->nlevels; j++) {
        if (st->levels[j].cd >= 0)
            st->levels[k++] = st->levels[j];
        else
            report_levelless(st, &st->levels[j]);
    }
    st->nlevels = k;
    for (int a = 1; a < st->nlevels; a++)
        for (int b = a; b > 0 && st->levels[b - 1].rank > st->levels[b].rank; b--) {
            level_col t = st->levels[b];
            st->levels[b] = st->levels[b - 1];
            st->levels[b - 1] = t;
        }
    if (st->nlevels == 0) {
        snprintf(st->err, st->errlen, "header has no area code columns (expected names like WD19CD, LAD19CD)");
        return -1;
    }
    /* Two vintages of one geography: the older is succeeded by the newer. */
    ons_stats *S = st->stats;
    for (int a = 0; a < st->nlevels; a++)
        for (int b = 0; b < st->nlevels; b++) {
            level_col *la = &st->levels[a], *lb = &st->levels[b];
            if (strcmp(la->prefix, lb->prefix) == 0 && la->num == lb->num && atoi(la->year) < atoi(lb->year)) {
                la->superseded = true;
                S->succession = true;
            }
        }
    S->levels = st->nlevels;
    for (int j = 0; j < st->nlevels; j++) {
        const level_col *l = &st->levels[j];
        const char *name = ons_level_name(l->prefix);
        char lower[12];
        size_t i;
        for (i = 0; l->prefix[i]; i++)
            lower[i] = (char)tolower((unsigned char)l->prefix[i]);
        lower[i] = '\0';
        snprintf(S->level_names[j], sizeof S->level_names[j], "%s", name ? name : lower);
        if (S->succession && !S->succession_from[0] && l->superseded)
            for (int b = 0; b < st->nlevels; b++)
                if (!st->levels[b].superseded && strcmp(st->levels[b].prefix, l->prefix) == 0) {
                    snprintf(S->succession_from, sizeof S->succession_from, "%s%s", l->prefix, l->year);
                    snprintf(S->succession_to, sizeof S->succession_to, "%s%s", l->prefix, st->levels[b].year);
                }
    }
    return 0;
}

/* ---- rows ---------------------------------------------------------------- */

enum { C_OK, C_EMPTY, C_PSEUDO, C_BAD };

static void skip_row(ons_stats *S)
{
    S->skipped++;
    if (!S->first_skipped)
        S->first_skipped = S->rows;
}

/* Trims and repairs the name in column i; -1 if out of memory. */
static int fix_name(parse_state *st, int i)
{
    ons_stats *S = st->stats;
    char *f = st->fields[i];
    char before[64];
    snprintf(before, sizeof before, "%s", f);
    int r = ons_text_repair(f);
    if (r == 1) {
        if (!S->repaired++) {
            snprintf(S->repaired_from, sizeof S->repaired_from, "%s", before);
            snprintf(S->repaired_to, sizeof S->repaired_to, "%s", f);
        }
    } else if (r == 2) {
        char *u = ons_text_recode(f);
        if (!u)
            return -1;
        free(f);
        st->fields[i] = u;
        S->recoded++;
    } else if (r == 3) {
        if (!S->suspect++)
            snprintf(S->suspect_example, sizeof S->suspect_example, "%s", f);
    }
    return 0;
}

/* An old-style code: letters and digits, and not a GSS code (which would
 * shadow the area that code names). */
static bool alias_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 16 || ons_code_valid(s))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]))
            return false;
    return true;
}

/* Emits the area for level j's code (once per row: later columns holding the
 * same code are the same area) and its old codes. */
static int emit_area(parse_state *st, int j, char **codes, const int *cls)
{
    const ons_sink *sink = st->sink;
    for (int k = 0; k < j; k++)
        if (cls[k] == C_OK && strcmp(codes[k], codes[j]) == 0)
            return 0;
    /* The level: the finest column holding the code, the newest vintage
     * before an older one, and a country standing in for a region (Wales in
     * RGN23CD) is a country. */
    int best = -1;
    const char *name = NULL, *name_cy = NULL;
    for (int k = j; k < st->nlevels; k++) {
        if (cls[k] != C_OK || strcmp(codes[k], codes[j]) != 0)
            continue;
        const level_col *l = &st->levels[k];
        if (best < 0 || (st->levels[best].superseded && !l->superseded) ||
            strcmp(st->stats->level_names[k], "country") == 0)
            best = k;
    }
    const level_col *b = &st->levels[best];
    if (b->nm >= 0 && st->fields[b->nm][0])
        name = st->fields[b->nm];
    if (b->nmw >= 0 && st->fields[b->nmw][0])
        name_cy = st->fields[b->nmw];
    for (int k = j; k < st->nlevels; k++) {
        if (cls[k] != C_OK || strcmp(codes[k], codes[j]) != 0)
            continue;
        const level_col *l = &st->levels[k];
        if (!name && l->nm >= 0 && st->fields[l->nm][0])
            name = st->fields[l->nm];
        if (!name_cy && l->nmw >= 0 && st->fields[l->nmw][0])
            name_cy = st->fields[l->nmw];
    }
    if (sink->area(sink->arg, codes[j], name ? name : codes[j], name_cy, st->stats->level_names[best]) < 0)
        return -1;
    for (int k = j; k < st->nlevels; k++) {
        if (cls[k] != C_OK || strcmp(codes[k], codes[j]) != 0)
            continue;
        for (int o = 0; o < st->levels[k].nold; o++) {
            char *a = st->fields[st->levels[k].old[o]];
            trim(a);
            for (char *p = a; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            if (!a[0] || strcmp(a, codes[j]) == 0)
                continue;
            if (!alias_ok(a)) {
                st->stats->bad_aliases++;
                continue;
            }
            st->stats->aliases++;
            if (sink->alias && sink->alias(sink->arg, a, codes[j]) < 0)
                return -1;
        }
    }
    return 0;
}

typedef struct row_links {
    const char *child[ONS_MAX_LEVELS * ONS_MAX_LEVELS], *parent[ONS_MAX_LEVELS * ONS_MAX_LEVELS];
    int n;
} row_links;

/* Links child to parent once per row; an area is never its own parent. */
static int link(parse_state *st, row_links *rl, const char *child, const char *parent)
{
    if (strcmp(child, parent) == 0) {
        if (!st->stats->self_links++)
            snprintf(st->stats->self_link_example, sizeof st->stats->self_link_example, "%s", child);
        return 0;
    }
    for (int i = 0; i < rl->n; i++)
        if (strcmp(rl->child[i], child) == 0 && strcmp(rl->parent[i], parent) == 0)
            return 0;
    rl->child[rl->n] = child;
    rl->parent[rl->n++] = parent;
    return st->sink->link(st->sink->arg, child, parent);
}

static int row(parse_state *st)
{
    ons_stats *S = st->stats;
    if (st->nfields == 1 && st->fields[0][0] == '\0')
        return 0; /* a blank line */
    S->rows++;
    if (st->nfields < st->ncols || st->too_many) {
        S->short_rows++;
        skip_row(S);
        return 0;
    }
    char *codes[ONS_MAX_LEVELS];
    int cls[ONS_MAX_LEVELS];
    int child = -1;
    for (int j = 0; j < st->nlevels; j++) {
        const level_col *l = &st->levels[j];
        char *c = codes[j] = st->fields[l->cd];
        trim(c);
        for (char *p = c; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        if (child < 0 && !l->superseded)
            child = j;
        cls[j] = !c[0] ? C_EMPTY : ons_code_pseudo(c) ? C_PSEUDO : ons_code_valid(c) ? C_OK : C_BAD;
        if (cls[j] == C_PSEUDO && j != child)
            S->pseudo_codes++;
        if (cls[j] == C_BAD) {
            if (!S->non_gss++)
                snprintf(S->non_gss_example, sizeof S->non_gss_example, "%s", c);
            if (!strstr(S->non_gss_columns, l->cd_name))
                append_name(S->non_gss_columns, sizeof S->non_gss_columns, l->cd_name);
        }
        if ((l->nm >= 0 && fix_name(st, l->nm) < 0) || (l->nmw >= 0 && fix_name(st, l->nmw) < 0)) {
            st->failed = 3;
            return -1;
        }
    }
    for (int j = 0; j < st->nlevels; j++)
        if (cls[j] == C_OK && emit_area(st, j, codes, cls) < 0)
            return -1;
    if (cls[child] != C_OK) {
        if (cls[child] == C_EMPTY)
            S->empty_child++;
        else if (cls[child] == C_PSEUDO)
            S->pseudo_child++;
        skip_row(S);
        return 0;
    }
    /* Succession: each older vintage's code to the newest one's. */
    for (int j = 0; j < st->nlevels; j++) {
        if (!st->levels[j].superseded || cls[j] != C_OK)
            continue;
        for (int k = 0; k < st->nlevels; k++) {
            const level_col *n = &st->levels[k];
            if (n->superseded || cls[k] != C_OK || strcmp(n->prefix, st->levels[j].prefix) != 0 ||
                n->num != st->levels[j].num)
                continue;
            if (strcmp(codes[j], codes[k]) == 0) {
                S->unchanged++;
            } else {
                S->successions++;
                if (st->sink->succession && st->sink->succession(st->sink->arg, codes[j], codes[k]) < 0)
                    return -1;
            }
        }
    }
    row_links rl = { .n = 0 };
    for (int j = 0; j < st->nlevels; j++)
        if (j != child && cls[j] == C_OK && !st->levels[j].superseded &&
            st->levels[j].rank > st->levels[child].rank && link(st, &rl, codes[child], codes[j]) < 0)
            return -1;
    for (int a = 0; a < st->nlevels; a++)
        for (int b = 0; b < st->nlevels; b++) {
            const level_col *la = &st->levels[a], *lb = &st->levels[b];
            if (a != child && la->tree && lb->tree && !la->superseded && !lb->superseded && cls[a] == C_OK &&
                cls[b] == C_OK && lb->rank > la->rank && link(st, &rl, codes[a], codes[b]) < 0)
                return -1;
        }
    return 0;
}

/* ---- driver -------------------------------------------------------------- */

static void on_field(void *data, size_t len, void *arg)
{
    parse_state *st = arg;
    if (st->failed)
        return;
    if (st->nfields == MAX_FIELDS) {
        st->too_many = true;
        return;
    }
    char *f = malloc(len + 1);
    if (!f) {
        st->failed = 3;
        return;
    }
    memcpy(f, data, len);
    f[len] = '\0';
    st->fields[st->nfields++] = f;
}

static void clear_fields(parse_state *st)
{
    for (int i = 0; i < st->nfields; i++)
        free(st->fields[i]);
    st->nfields = 0;
    st->too_many = false;
}

static void on_record(int c, void *arg)
{
    (void)c;
    parse_state *st = arg;
    if (!st->failed) {
        if (!st->header_done) {
            st->header_done = true;
            if (header(st) < 0)
                st->failed = 2;
        } else if (row(st) < 0 && !st->failed) {
            st->failed = 1;
        }
    }
    clear_fields(st);
}

int ons_csv_parse(const char *buf, size_t len, const ons_sink *sink, ons_stats *stats,
                  char *err, size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    parse_state st = { .sink = sink, .stats = stats, .err = err, .errlen = errlen };
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t done = csv_parse(&p, buf, len, on_field, on_record, &st);
    int rc = 0;
    if (done != len || csv_fini(&p, on_field, on_record, &st) != 0) {
        snprintf(err, errlen, "malformed CSV near data row %ld: %s", stats->rows + 1,
                 csv_strerror(csv_error(&p)));
        rc = -1;
    }
    clear_fields(&st);
    csv_free(&p);
    if (rc == 0 && st.failed) {
        if (st.failed == 1)
            snprintf(err, errlen, "import stopped at data row %ld", stats->rows);
        else if (st.failed == 3)
            snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0 && !st.header_done) {
        snprintf(err, errlen, "empty file");
        rc = -1;
    }
    return rc;
}
