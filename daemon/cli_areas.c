/* cli_areas.c - load ONS lookups into areas, area_parents, area_ancestors,
 * area_aliases and area_successions. */
#include "cli_areas.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_areas_propagate.h"
#include "ons_csv.h"
#include "cli_pg.h"

#define MAX_FILE_BYTES (256u << 20)

typedef struct buf {
    char *data;
    size_t len, cap;
} buf;

static int buf_put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Appends one COPY text-format field: backslash, tab and newlines escaped;
 * NULL is written \N. */
static int copy_field(buf *b, const char *s, char end)
{
    if (!s)
        return buf_put(b, "\\N", 2) | buf_put(b, &end, 1);
    for (const char *p = s; *p; p++) {
        const char *esc = NULL;
        switch (*p) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        }
        if (esc ? buf_put(b, esc, 2) : buf_put(b, p, 1))
            return -1;
    }
    return buf_put(b, &end, 1);
}

typedef struct sink_state {
    buf areas, links, aliases, successions;
} sink_state;

static int on_area(void *arg, const char *code, const char *name, const char *name_cy, const char *level)
{
    sink_state *s = arg;
    return copy_field(&s->areas, code, '\t') | copy_field(&s->areas, name, '\t') |
           copy_field(&s->areas, name_cy, '\t') | copy_field(&s->areas, level, '\n');
}

static int on_alias(void *arg, const char *alias, const char *code)
{
    sink_state *s = arg;
    return copy_field(&s->aliases, alias, '\t') | copy_field(&s->aliases, code, '\n');
}

static int on_succession(void *arg, const char *code, const char *successor)
{
    sink_state *s = arg;
    return copy_field(&s->successions, code, '\t') | copy_field(&s->successions, successor, '\n');
}

static int on_link(void *arg, const char *child, const char *parent)
{
    sink_state *s = arg;
    return copy_field(&s->links, child, '\t') | copy_field(&s->links, parent, '\n');
}

static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf b = { 0 };
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > MAX_FILE_BYTES || buf_put(&b, chunk, n) < 0) {
            snprintf(err, errlen, "%s: larger than 256 MiB or out of memory", path);
            free(b.data);
            fclose(f);
            return NULL;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data ? b.data : calloc(1, 1);
}

static int copy_in(PGconn *c, const char *sql, const buf *b, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        snprintf(err, errlen, "database: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    PQclear(r);
    if ((b->len && PQputCopyData(c, b->data, (int)b->len) != 1) || PQputCopyEnd(c, NULL) != 1) {
        snprintf(err, errlen, "database: %s", PQerrorMessage(c));
        return -1;
    }
    r = PQgetResult(c);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errlen, "database: %s", PQresultErrorMessage(r));
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    return ok ? 0 : -1;
}

static const char *const load_sql[] = {
    "SELECT pg_advisory_xact_lock(7406201502)",
    "CREATE TEMP TABLE import_areas (seq bigint GENERATED ALWAYS AS IDENTITY, code text, name text,"
    " name_cy text, level text) ON COMMIT DROP",
    "CREATE TEMP TABLE import_links (code text, parent text) ON COMMIT DROP",
    "CREATE TEMP TABLE import_aliases (seq bigint GENERATED ALWAYS AS IDENTITY, alias text, code text)"
    " ON COMMIT DROP",
    "CREATE TEMP TABLE import_successions (code text, successor text) ON COMMIT DROP",
};

static const char *const merge_sql[] = {
    /* The last file (and row) naming an area gives its name and level; its
     * Welsh name is the last one given, and a file without Welsh names keeps
     * the one the register has. */
    "INSERT INTO areas (code, name, name_cy, level) "
    "SELECT code, (array_agg(name ORDER BY seq DESC))[1],"
    " (array_agg(name_cy ORDER BY seq DESC) FILTER (WHERE name_cy IS NOT NULL))[1],"
    " (array_agg(level ORDER BY seq DESC))[1] "
    "FROM import_areas GROUP BY code "
    "ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,"
    " name_cy = coalesce(excluded.name_cy, areas.name_cy), updated_at = now() "
    "WHERE (areas.name, areas.level, areas.name_cy) IS DISTINCT FROM"
    " (excluded.name, excluded.level, coalesce(excluded.name_cy, areas.name_cy))",
    "INSERT INTO area_parents (code, parent) SELECT DISTINCT code, parent FROM import_links "
    "ON CONFLICT DO NOTHING",
    /* An old code names one area: the last file to give it wins. */
    "INSERT INTO area_aliases (alias, code) "
    "SELECT DISTINCT ON (alias) alias, code FROM import_aliases ORDER BY alias, seq DESC "
    "ON CONFLICT (alias) DO UPDATE SET code = excluded.code WHERE area_aliases.code <> excluded.code",
    "INSERT INTO area_successions (code, successor) "
    "SELECT DISTINCT code, successor FROM import_successions ON CONFLICT DO NOTHING",
    "DELETE FROM area_ancestors",
    "INSERT INTO area_ancestors (code, ancestor) "
    "WITH RECURSIVE up(code, ancestor) AS ("
    "  SELECT code, parent FROM area_parents"
    "  UNION SELECT up.code, p.parent FROM up JOIN area_parents p ON p.code = up.ancestor"
    "  WHERE p.parent <> up.code) "
    "SELECT code, ancestor FROM up",
    /* The lookups never say county-in-region: an area whose every child lies
     * within P lies within P too (Kent's twelve districts are all in the South
     * East, so Kent is). Then one more step of transitivity for what that adds. */
    "INSERT INTO area_ancestors (code, ancestor) "
    "SELECT p.parent, a.ancestor FROM area_parents p JOIN area_ancestors a ON a.code = p.code "
    "WHERE a.ancestor <> p.parent "
    "GROUP BY p.parent, a.ancestor "
    "HAVING count(DISTINCT p.code) = (SELECT count(*) FROM area_parents c WHERE c.parent = p.parent) "
    "ON CONFLICT DO NOTHING",
    "INSERT INTO area_ancestors (code, ancestor) "
    "SELECT x.code, y.ancestor FROM area_ancestors x JOIN area_ancestors y ON y.code = x.ancestor "
    "WHERE y.ancestor <> x.code ON CONFLICT DO NOTHING",
    "INSERT INTO area_ancestors (code, ancestor) "
    "SELECT d.code, x.ancestor FROM area_ancestors d JOIN area_ancestors x ON x.code = d.ancestor "
    "WHERE x.ancestor <> d.code ON CONFLICT DO NOTHING",
};

/* Prints what the parser read from one file and everything it passed over,
 * with the reason, so that an operator can tell a good file from a wrong one. */
static void print_summary(FILE *out, const char *file, const ons_stats *st)
{
    fprintf(out, "%s: %ld rows, levels:", file, st->rows);
    for (int j = 0; j < st->levels; j++)
        if (j == 0 || strcmp(st->level_names[j], st->level_names[j - 1]) != 0)
            fprintf(out, " %s", st->level_names[j]);
    fputc('\n', out);
    if (st->succession)
        fprintf(out, "  succession %s -> %s: %ld codes replaced, %ld unchanged\n", st->succession_from,
                st->succession_to, st->successions, st->unchanged);
    if (st->aliases)
        fprintf(out, "  old codes (aliases): %ld\n", st->aliases);
    if (st->skipped_columns)
        fprintf(out, "  columns skipped (neither codes, names, Welsh names nor old codes): %s\n",
                st->skipped_column_names);
    if (st->skipped)
        fprintf(out, "  rows without a usable child code, linking nothing: %ld (first at data row %ld)\n", st->skipped, st->first_skipped);
    if (st->empty_child)
        fprintf(out, "  rows with an empty child code: %ld (their other areas are kept)\n", st->empty_child);
    if (st->pseudo_child)
        fprintf(out, "  rows whose child is an ONS pseudo code (X99999999, not an area): %ld\n", st->pseudo_child);
    if (st->short_rows)
        fprintf(out, "  rows with fewer fields than the header (passed over): %ld\n", st->short_rows);
    if (st->pseudo_codes)
        fprintf(out, "  ONS pseudo codes (X99999999) in parent columns passed over: %ld\n", st->pseudo_codes);
    if (st->non_gss)
        fprintf(out, "  codes that are not GSS codes passed over: %ld in %s (e.g. \"%s\")\n", st->non_gss,
                st->non_gss_columns, st->non_gss_example);
    if (st->bad_aliases)
        fprintf(out, "  old-code values passed over (not letters and digits, or a GSS code): %ld\n",
                st->bad_aliases);
    if (st->self_links)
        fprintf(out, "  self-parent links dropped (an area given as its own parent, e.g. %s): %ld\n",
                st->self_link_example, st->self_links);
    if (st->repaired)
        fprintf(out, "  names repaired from double-encoded UTF-8: %ld (e.g. \"%s\" -> \"%s\")\n", st->repaired,
                st->repaired_from, st->repaired_to);
    if (st->recoded)
        fprintf(out, "  names not in UTF-8, read as Windows-1252: %ld\n", st->recoded);
    if (st->suspect)
        fprintf(out, "  warning: names that look double-encoded but do not decode, kept as written: %ld"
                     " (e.g. \"%s\")\n", st->suspect, st->suspect_example);
}

int areas_import(const char *url, char *const *files, int nfiles, FILE *out, char *err, size_t errlen)
{
    sink_state s = { { 0 }, { 0 }, { 0 }, { 0 } };
    ons_sink sink = { on_area, on_link, on_alias, on_succession, &s };
    int rc = -1;
    PGconn *c = NULL;

    for (int i = 0; i < nfiles; i++) {
        size_t len;
        char *data = slurp(files[i], &len, err, errlen);
        if (!data)
            goto done;
        ons_stats st;
        char perr[300];
        int prc = ons_csv_parse(data, len, &sink, &st, perr, sizeof perr);
        free(data);
        if (prc < 0) {
            snprintf(err, errlen, "%s: %s", files[i], perr);
            goto done;
        }
        print_summary(out, files[i], &st);
    }

    c = pgu_connect(url, "consultd areas import", err, errlen);
    if (!c || pgu_run(c, "BEGIN", 0, NULL, err, errlen) < 0)
        goto done;
    for (size_t i = 0; i < sizeof load_sql / sizeof *load_sql; i++)
        if (pgu_run(c, load_sql[i], 0, NULL, err, errlen) < 0)
            goto done;
    if (copy_in(c, "COPY import_areas (code, name, name_cy, level) FROM STDIN", &s.areas, err, errlen) < 0 ||
        copy_in(c, "COPY import_links FROM STDIN", &s.links, err, errlen) < 0 ||
        copy_in(c, "COPY import_aliases (alias, code) FROM STDIN", &s.aliases, err, errlen) < 0 ||
        copy_in(c, "COPY import_successions FROM STDIN", &s.successions, err, errlen) < 0)
        goto done;
    for (size_t i = 0; i < sizeof merge_sql / sizeof *merge_sql; i++)
        if (pgu_run(c, merge_sql[i], 0, NULL, err, errlen) < 0)
            goto done;
    long queued;
    long long generation;
    if (areas_propagate(c, &queued, &generation, err, errlen) < 0)
        goto done;
    PGresult *r = pgu_exec(c, "SELECT (SELECT count(*) FROM areas), (SELECT count(*) FROM area_parents),"
                              " (SELECT count(*) FROM area_aliases), (SELECT count(*) FROM area_successions)",
                           0, NULL, err, errlen);
    if (!r)
        goto done;
    fprintf(out, "register: %s areas, %s parent links, %s old codes, %s successions, generation %lld\n",
            PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), generation);
    fprintf(out, "re-check: %ld consultations queued\n", queued);
    PQclear(r);
    if (pgu_run(c, "COMMIT", 0, NULL, err, errlen) < 0)
        goto done;
    rc = 0;
done:
    if (c)
        PQfinish(c); /* an open transaction is rolled back */
    free(s.areas.data);
    free(s.links.data);
    free(s.aliases.data);
    free(s.successions.data);
    return rc;
}
