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
    int cd, nm, rank;
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

static const struct { const char *prefix, *name; int rank; } known[] = {
    { "OA", "output-area", 1 }, { "LSOA", "lsoa", 2 }, { "MSOA", "msoa", 3 },
    { "WD", "ward", 4 }, { "LAD", "district", 5 }, { "LTLA", "district", 5 }, { "UA", "district", 5 },
    { "CTY", "county", 6 }, { "UTLA", "county", 6 }, { "CAUTH", "combined-authority", 7 },
    { "PFA", "police-force-area", 7 }, { "CCG", "ccg", 6 }, { "SICBL", "sub-icb", 6 },
    { "ICB", "icb", 7 }, { "PCON", "constituency", 6 }, { "RGN", "region", 8 }, { "CTRY", "country", 9 },
};
#define NKNOWN (sizeof known / sizeof known[0])

const char *ons_level_name(const char *prefix)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (strcmp(known[i].prefix, prefix) == 0)
            return known[i].name;
    return NULL;
}

static int level_rank(const char *prefix)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (strcmp(known[i].prefix, prefix) == 0)
            return known[i].rank;
    return 7;
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

/* Splits "LAD19CD" into prefix "LAD", year "19", kind "CD"; 0 on success. */
static int split_column(const char *name, char prefix[12], char year[3], char kind[3])
{
    size_t n = strlen(name);
    if (n < 5 || n > 15)
        return -1;
    char up[16];
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)name[i]);
    if (!isdigit((unsigned char)up[n - 4]) || !isdigit((unsigned char)up[n - 3]))
        return -1;
    if (strcmp(up + n - 2, "CD") != 0 && strcmp(up + n - 2, "NM") != 0)
        return -1;
    size_t plen = n - 4;
    for (size_t i = 0; i < plen; i++)
        if (!isalpha((unsigned char)up[i]))
            return -1;
    memcpy(prefix, up, plen);
    prefix[plen] = '\0';
    memcpy(year, up + n - 4, 2);
    year[2] = '\0';
    memcpy(kind, up + n - 2, 3);
    return 0;
}

static int header(parse_state *st)
{
    /* A UTF-8 byte order mark before the first column name is not part of it. */
    if (st->nfields > 0 && strncmp(st->fields[0], "\xEF\xBB\xBF", 3) == 0)
        memmove(st->fields[0], st->fields[0] + 3, strlen(st->fields[0]) - 2);
    st->ncols = st->nfields;
    for (int i = 0; i < st->nfields; i++) {
        char prefix[12], year[3], kind[3];
        if (split_column(st->fields[i], prefix, year, kind) < 0)
            continue;
        int j;
        for (j = 0; j < st->nlevels; j++)
            if (strcmp(st->levels[j].prefix, prefix) == 0 && strcmp(st->levels[j].year, year) == 0)
                break;
        if (j == st->nlevels) {
            if (st->nlevels == ONS_MAX_LEVELS)
                continue;
            level_col *l = &st->levels[st->nlevels++];
            memset(l, 0, sizeof *l);
            snprintf(l->prefix, sizeof l->prefix, "%s", prefix);
            memcpy(l->year, year, 3);
            l->cd = l->nm = -1;
            l->rank = level_rank(prefix);
        }
        if (kind[0] == 'C')
            st->levels[j].cd = i;
        else
            st->levels[j].nm = i;
    }
    /* Keep only levels that have a code column; order finest first (stable). */
    int k = 0;
    for (int j = 0; j < st->nlevels; j++)
        if (st->levels[j].cd >= 0)
            st->levels[k++] = st->levels[j];
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
    st->stats->levels = st->nlevels;
    for (int j = 0; j < st->nlevels; j++) {
        const char *name = ons_level_name(st->levels[j].prefix);
        char lower[12];
        size_t i;
        for (i = 0; st->levels[j].prefix[i]; i++)
            lower[i] = (char)tolower((unsigned char)st->levels[j].prefix[i]);
        lower[i] = '\0';
        snprintf(st->stats->level_names[j], sizeof st->stats->level_names[j], "%s", name ? name : lower);
    }
    return 0;
}

static void skip(parse_state *st)
{
    st->stats->skipped++;
    if (!st->stats->first_skipped)
        st->stats->first_skipped = st->stats->rows;
}

static int row(parse_state *st)
{
    st->stats->rows++;
    if (st->nfields == 1 && st->fields[0][0] == '\0')
        return 0; /* a blank line */
    if (st->nfields < st->ncols || st->too_many) {
        skip(st);
        return 0;
    }
    const char *codes[ONS_MAX_LEVELS];
    for (int j = 0; j < st->nlevels; j++) {
        const level_col *l = &st->levels[j];
        const char *code = st->fields[l->cd];
        const char *name = l->nm >= 0 && st->fields[l->nm][0] ? st->fields[l->nm] : code;
        if (!ons_code_valid(code)) {
            codes[j] = NULL;
            skip(st);
            continue;
        }
        codes[j] = code;
        if (st->sink->area(st->sink->arg, code, name, st->stats->level_names[j]) < 0)
            return -1;
    }
    for (int a = 0; a < st->nlevels; a++)
        for (int b = a + 1; b < st->nlevels; b++)
            if (codes[a] && codes[b] && st->levels[b].rank > st->levels[a].rank &&
                strcmp(codes[a], codes[b]) != 0 &&
                st->sink->link(st->sink->arg, codes[a], codes[b]) < 0)
                return -1;
    return 0;
}

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
        } else if (row(st) < 0) {
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
