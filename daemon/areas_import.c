/* areas_import.c - load ONS lookups into areas, area_parents, area_ancestors. */
#include "areas_import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "areas_propagate.h"
#include "ons_csv.h"
#include "pgutil.h"

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

/* Appends one COPY text-format field: backslash, tab and newlines escaped. */
static int copy_field(buf *b, const char *s, char end)
{
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
    buf areas, links;
} sink_state;

static int on_area(void *arg, const char *code, const char *name, const char *level)
{
    sink_state *s = arg;
    return copy_field(&s->areas, code, '\t') | copy_field(&s->areas, name, '\t') |
           copy_field(&s->areas, level, '\n');
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
    "CREATE TEMP TABLE import_areas (code text, name text, level text) ON COMMIT DROP",
    "CREATE TEMP TABLE import_links (code text, parent text) ON COMMIT DROP",
};

static const char *const merge_sql[] = {
    "INSERT INTO areas (code, name, level) "
    "SELECT DISTINCT ON (code) code, name, level FROM import_areas ORDER BY code "
    "ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, updated_at = now() "
    "WHERE (areas.name, areas.level) IS DISTINCT FROM (excluded.name, excluded.level)",
    "INSERT INTO area_parents (code, parent) SELECT DISTINCT code, parent FROM import_links "
    "ON CONFLICT DO NOTHING",
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

int areas_import(const char *url, char *const *files, int nfiles, FILE *out, char *err, size_t errlen)
{
    sink_state s = { { 0 }, { 0 } };
    ons_sink sink = { on_area, on_link, &s };
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
        fprintf(out, "%s: %ld rows, levels:", files[i], st.rows);
        for (int j = 0; j < st.levels; j++)
            fprintf(out, " %s", st.level_names[j]);
        if (st.skipped)
            fprintf(out, "; %ld codes or rows passed over (not GSS codes or short rows; first at data row %ld)",
                    st.skipped, st.first_skipped);
        fputc('\n', out);
    }

    c = pgu_connect(url, "consultd areas import", err, errlen);
    if (!c || pgu_run(c, "BEGIN", 0, NULL, err, errlen) < 0)
        goto done;
    for (size_t i = 0; i < sizeof load_sql / sizeof *load_sql; i++)
        if (pgu_run(c, load_sql[i], 0, NULL, err, errlen) < 0)
            goto done;
    if (copy_in(c, "COPY import_areas FROM STDIN", &s.areas, err, errlen) < 0 ||
        copy_in(c, "COPY import_links FROM STDIN", &s.links, err, errlen) < 0)
        goto done;
    for (size_t i = 0; i < sizeof merge_sql / sizeof *merge_sql; i++)
        if (pgu_run(c, merge_sql[i], 0, NULL, err, errlen) < 0)
            goto done;
    long queued;
    long long generation;
    if (areas_propagate(c, &queued, &generation, err, errlen) < 0)
        goto done;
    PGresult *r = pgu_exec(c, "SELECT (SELECT count(*) FROM areas), (SELECT count(*) FROM area_parents)",
                           0, NULL, err, errlen);
    if (!r)
        goto done;
    fprintf(out, "register: %s areas, %s parent links, generation %lld\n", PQgetvalue(r, 0, 0),
            PQgetvalue(r, 0, 1), generation);
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
    return rc;
}
