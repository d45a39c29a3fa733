/* fatigue_watch.c - fatigue.exceeded events from new consultations. */
#include "fatigue_watch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consultation.h"
#include "dispatcher.h"
#include "fatigue.h"
#include "log.h"
#include "overlap.h"

#define WATCH_MAX_MONTHS 24

struct fatigue_watch {
    server *srv;
    db_pool *db;
    bool running;
    int done;                 /* consultations read in this run */
    db_conn *conn;
    json_t *claimed;          /* this transaction's queue rows: [{queued, id, doc, status}] */
    size_t current;           /* index into claimed */
    json_t *doc;              /* the consultation being checked (overlap_side_json) */
    overlap_side side;
    size_t next_area;         /* index into side.areas */
    json_t *exceeded;         /* buckets the claimed consultations pushed over the limit */
    char *rows_filter;        /* communities rows must ask to count (a text[] literal), or NULL: any */
};

static void next_consultation(fatigue_watch *w);
static void next_area(fatigue_watch *w);
static void check_current(fatigue_watch *w);

static void finish(fatigue_watch *w, const char *why)
{
    if (why)
        log_warn("alerts: fatigue watch stopped: %s", why);
    db_release(w->conn); /* rolls back anything left open */
    w->conn = NULL;
    overlap_side_clear(&w->side);
    json_decref(w->doc);
    w->doc = NULL;
    json_decref(w->exceeded);
    w->exceeded = NULL;
    json_decref(w->claimed);
    w->claimed = NULL;
    free(w->rows_filter);
    w->rows_filter = NULL;
    w->running = false;
}

/* Ends the run if a pipeline failed; true when it did. */
static bool stopped_by_failure(fatigue_watch *w, PGresult *const *res, int n)
{
    bool lost;
    const PGresult *bad = db_pipeline_failure(res, n, &lost);
    if (bad || lost)
        finish(w, lost ? "connection lost" : PQresultErrorMessage(bad));
    return bad || lost;
}

static void on_recorded(PGresult *const *res, int n, void *arg)
{
    fatigue_watch *w = arg;
    if (stopped_by_failure(w, res, n))
        return;
    long raised = atol(PQgetvalue(res[0], 0, 0));
    size_t checked = json_array_size(w->claimed);
    if (raised > 0) {
        dispatcher_events_written(w->srv->alerts);
        log_info("alerts: %zu consultations checked for fatigue: %ld (area, community, month) buckets over the limit",
                 checked, raised);
    }
    w->done += (int)checked;
    if (checked == FATIGUE_WATCH_CLAIM && w->done < FATIGUE_WATCH_BATCH) {
        next_consultation(w);
        return;
    }
    finish(w, NULL);
}

/* Every claimed consultation counted: record the newly exceeded buckets with
 * their events, dequeue the rows and commit, in one round trip. */
static void record(fatigue_watch *w)
{
    json_t *queued = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(w->claimed, i, c)
        json_array_append(queued, json_object_get(c, "queued"));
    char *buckets = json_dumps(w->exceeded, JSON_COMPACT);
    char *ids = queued ? json_dumps(queued, JSON_COMPACT) : NULL;
    json_decref(queued);
    if (!buckets || !ids) {
        free(buckets);
        free(ids);
        finish(w, "out of memory");
        return;
    }
    const char *p[] = { buckets, ids };
    const db_call calls[] = {
        { "WITH b AS (SELECT DISTINCT ON (area, community, month) * FROM json_to_recordset($1::json)"
          "  AS b(area text, community text, month text, count integer, max_asks integer, window_days integer,"
          "  consultation uuid, n integer) ORDER BY area, community, month, n),"
          " n AS (INSERT INTO fatigue_alerted (area, community, month)"
          "  SELECT area, community, (month || '-01')::date FROM b ON CONFLICT DO NOTHING"
          "  RETURNING area, community, to_char(month, 'YYYY-MM') AS month),"
          " e AS (INSERT INTO alert_events (type, data, area, community)"
          "  SELECT 'fatigue.exceeded', json_build_object('area', b.area,"
          "   'area_name', (SELECT name FROM areas WHERE code = b.area), 'community', b.community,"
          "   'month', b.month, 'count', b.count, 'max_asks', b.max_asks, 'window_days', b.window_days,"
          "   'consultation', b.consultation), b.area, b.community"
          "  FROM b JOIN n USING (area, community, month) RETURNING 1),"
          " d AS (DELETE FROM fatigue_pending WHERE id IN (SELECT json_array_elements_text($2::json)::bigint))"
          " SELECT count(*) FROM e",
          2, p, "fatigue_record" },
        { "COMMIT", 0, NULL, NULL },
    };
    db_pipeline(w->conn, calls, 2, on_recorded, w);
    free(buckets);
    free(ids);
}

static void on_area_rows(PGresult *res, void *arg)
{
    fatigue_watch *w = arg;
    if (!db_ok(res)) {
        finish(w, res ? PQresultErrorMessage(res) : "connection lost");
        return;
    }
    server *srv = w->srv;
    const config *cfg = srv->cfg;
    const char *area = json_string_value(json_array_get(w->side.areas, w->next_area));
    int n = PQntuples(res);
    overlap_side *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    size_t k = 0;
    for (int i = 0; rows && i < n; i++) {
        json_t *doc = json_loads(PQgetvalue(res, i, 0), 0, NULL);
        if (doc && overlap_side_init(&rows[k], doc) == 0)
            k++;
        json_decref(doc);
    }
    const char *scope[64];
    size_t ns = areas_scope(srv->areas, &area, 1, scope, 64);
    int first = overlap_month(w->side.start);
    int last = overlap_month(w->side.end + cfg->fatigue_window_days);
    if (last - first + 1 > WATCH_MAX_MONTHS)
        last = first + WATCH_MAX_MONTHS - 1;
    fatigue_query q = { area, scope, ns, NULL, first, last - first + 1, cfg->fatigue_window_days,
                        cfg->fatigue_max_asks, true };
    json_t *found = json_array();
    if (rows)
        fatigue_buckets(rows, k, &q, srv->vocab, found);
    size_t i;
    json_t *b;
    json_t *cur = json_array_get(w->claimed, w->current);
    json_array_foreach(found, i, b) { /* only the buckets this consultation counts in */
        if (!fatigue_asks(w->side.communities, json_string_value(json_object_get(b, "community")), srv->vocab))
            continue;
        json_object_set(b, "consultation", json_object_get(cur, "id"));
        json_object_set_new(b, "n", json_integer((json_int_t)w->current));
        json_array_append(w->exceeded, b);
    }
    json_decref(found);
    for (size_t r = 0; r < k; r++)
        overlap_side_clear(&rows[r]);
    free(rows);
    w->next_area++;
    next_area(w);
}

static void next_area(fatigue_watch *w)
{
    server *srv = w->srv;
    if (w->next_area >= json_array_size(w->side.areas) || !srv->areas || !srv->vocab) {
        w->current++;
        check_current(w);
        return;
    }
    const char *area = json_string_value(json_array_get(w->side.areas, w->next_area));
    const char *scope[64];
    size_t ns = areas_scope(srv->areas, &area, 1, scope, 64);
    strlist l = { (char **)scope, ns };
    char *scope_lit = strlist_to_pg(&l);
    char from[11], to[11];
    overlap_iso_date(w->side.start - srv->cfg->fatigue_window_days - 31, from);
    overlap_iso_date(w->side.end + srv->cfg->fatigue_window_days + 31, to);
    if (!scope_lit) {
        finish(w, "out of memory");
        return;
    }
    const char *p[] = { area, scope_lit, from, to, w->rows_filter };
    db_query(w->conn,
             "SELECT overlap_side_json(c)::text FROM consultations c WHERE c.status <> 'cancelled'"
             " AND (c.area_scope @> ARRAY[$1::text] OR c.areas && $2::text[])"
             " AND c.fieldwork_end >= $3::date AND c.fieldwork_start <= $4::date"
             " AND ($5::text[] IS NULL OR c.communities && $5::text[]) LIMIT 20000",
             5, p, on_area_rows, w);
    free(scope_lit);
}

/* Starts on claimed[current], or records the lot when none is left. */
static void check_current(fatigue_watch *w)
{
    overlap_side_clear(&w->side);
    json_decref(w->doc);
    w->doc = NULL;
    free(w->rows_filter);
    w->rows_filter = NULL;
    json_t *c = json_array_get(w->claimed, w->current);
    if (!c) {
        record(w);
        return;
    }
    w->next_area = 0;
    if (strcmp(json_string_value(json_object_get(c, "status")), "cancelled") == 0) {
        w->current++; /* asks no one: it is only dequeued */
        check_current(w);
        return;
    }
    w->doc = json_loads(json_string_value(json_object_get(c, "doc")), 0, NULL);
    if (!w->doc || overlap_side_init(&w->side, w->doc) != 0) {
        /* never let one unreadable row hold up the queue: dequeue it unchecked */
        log_warn("alerts: fatigue check of consultation %s skipped: its stored document cannot be read",
                 json_string_value(json_object_get(c, "id")));
        w->current++;
        check_current(w);
        return;
    }
    json_t *related = json_array();
    if (related && fatigue_row_communities(w->side.communities, w->srv->vocab, related)) {
        size_t count = json_array_size(related);
        char **codes = calloc(count ? count : 1, sizeof *codes);
        for (size_t i = 0; codes && i < count; i++)
            codes[i] = (char *)json_string_value(json_array_get(related, i));
        strlist l = { codes, count };
        w->rows_filter = codes ? strlist_to_pg(&l) : NULL;
        free(codes);
        if (!w->rows_filter) {
            json_decref(related);
            finish(w, "out of memory");
            return;
        }
    }
    json_decref(related);
    next_area(w);
}

static void on_next(PGresult *const *res, int n, void *arg)
{
    fatigue_watch *w = arg;
    if (stopped_by_failure(w, res, n))
        return;
    int rows = PQntuples(res[1]);
    if (rows == 0) { /* nothing queued, or other instances hold the rest */
        finish(w, NULL);
        return;
    }
    json_decref(w->claimed);
    w->claimed = json_array();
    json_decref(w->exceeded);
    w->exceeded = json_array();
    for (int r = 0; w->claimed && r < rows; r++)
        json_array_append_new(w->claimed, json_pack("{s:s, s:s, s:s, s:s}", "queued", PQgetvalue(res[1], r, 0),
                                                    "id", PQgetvalue(res[1], r, 1), "doc", PQgetvalue(res[1], r, 2),
                                                    "status", PQgetvalue(res[1], r, 3)));
    if (!w->claimed || !w->exceeded || json_array_size(w->claimed) != (size_t)rows) {
        finish(w, "out of memory");
        return;
    }
    w->current = 0;
    check_current(w);
}

/* [BEGIN, claim the oldest queued checks with their consultations] in one round trip. */
static void next_consultation(fatigue_watch *w)
{
    static const db_call calls[] = {
        { "BEGIN", 0, NULL, NULL },
        { "WITH q AS (SELECT id, consultation_id FROM fatigue_pending ORDER BY id"
          "  LIMIT " FATIGUE_WATCH_CLAIM_STR " FOR UPDATE SKIP LOCKED)"
          " SELECT q.id, c.id, overlap_side_json(c)::text, c.status"
          " FROM q JOIN consultations c ON c.id = q.consultation_id ORDER BY q.id",
          0, NULL, "fatigue_claim" },
    };
    db_pipeline(w->conn, calls, 2, on_next, w);
}

static void on_conn(db_conn *conn, void *arg)
{
    fatigue_watch *w = arg;
    if (!conn) {
        w->running = false;
        return;
    }
    w->conn = conn;
    next_consultation(w);
}

fatigue_watch *fatigue_watch_new(server *srv, db_pool *db)
{
    fatigue_watch *w = calloc(1, sizeof *w);
    if (w) {
        w->srv = srv;
        w->db = db;
    }
    return w;
}

void fatigue_watch_free(fatigue_watch *w)
{
    if (!w)
        return;
    overlap_side_clear(&w->side);
    json_decref(w->doc);
    json_decref(w->exceeded);
    json_decref(w->claimed);
    free(w->rows_filter);
    free(w);
}

void fatigue_watch_run(fatigue_watch *w)
{
    if (w->running || !w->srv->areas || !w->srv->vocab || w->srv->stopping)
        return;
    w->running = true;
    w->done = 0;
    db_acquire(w->db, on_conn, w);
}

bool fatigue_watch_busy(const fatigue_watch *w)
{
    return w && w->running;
}
