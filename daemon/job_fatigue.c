/* job_fatigue.c - fatigue.exceeded events from new consultations. */
#include "job_fatigue.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consultation.h"
#include "job_dispatch.h"
#include "fatigue.h"
#include "log.h"
#include "metrics.h"
#include "overlap.h"
#include "store_fatigue.h"

#define WATCH_MAX_MONTHS 24

/* One claimed consultation. */
typedef struct watch_item {
    json_t *doc;              /* overlap_side_json; NULL: cancelled or unreadable, only dequeued */
    overlap_side side;
} watch_item;

struct fatigue_watch {
    server *srv;
    db_pool *db;
    bool running;
    int done;                 /* consultations checked in this run */
    db_conn *conn;
    json_t *claimed;          /* this transaction's queue rows: [{queued, id}] */
    watch_item *items;        /* claimed, read */
    size_t nitems;
    json_t *exceeded;         /* buckets the claimed consultations pushed over the limit */
    unsigned long checked;    /* consultations checked, committed (for /metrics) */
    unsigned long raised;     /* fatigue.exceeded events written */
};

static void next_consultation(fatigue_watch *w);
static void on_conn(db_conn *conn, void *arg);

/* Drops what the current claim holds: its items, queue rows and buckets. */
static void clear_claim(fatigue_watch *w)
{
    for (size_t i = 0; i < w->nitems; i++) {
        overlap_side_clear(&w->items[i].side);
        json_decref(w->items[i].doc);
    }
    free(w->items);
    w->items = NULL;
    w->nitems = 0;
    json_decref(w->exceeded);
    w->exceeded = NULL;
    json_decref(w->claimed);
    w->claimed = NULL;
}

static void finish(fatigue_watch *w, const char *why)
{
    if (why)
        log_warn("alerts: fatigue watch stopped: %s", why);
    db_release(w->conn); /* rolls back anything left open */
    w->conn = NULL;
    clear_claim(w);
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
    w->checked += checked;
    w->raised += raised > 0 ? (unsigned long)raised : 0;
    if (raised > 0) {
        dispatcher_events_written(w->srv->alerts);
        log_info("alerts: %zu consultations checked for fatigue: %ld (area, community, month) buckets over the limit",
                 checked, raised);
    }
    w->done += (int)checked;
    if (checked == FATIGUE_WATCH_CLAIM && w->done < FATIGUE_WATCH_BATCH && !w->srv->stopping) {
        /* more queued: let the dispatcher have the connection between claims */
        db_release(w->conn);
        w->conn = NULL;
        db_acquire(w->db, on_conn, w);
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
        { SQL_FATIGUE_RECORD, 2, p, "fatigue_record" },
        { "COMMIT", 0, NULL, NULL },
    };
    db_pipeline(w->conn, calls, 2, on_recorded, w);
    free(buckets);
    free(ids);
}

/* The months whose buckets item adds to: from its start to window_days after its end. */
static void item_months(const watch_item *it, const config *cfg, int *first, int *last)
{
    *first = overlap_month(it->side.start);
    *last = overlap_month(it->side.end + cfg->fatigue_window_days);
    if (*last - *first + 1 > WATCH_MAX_MONTHS)
        *last = *first + WATCH_MAX_MONTHS - 1;
}

/* The days any row counting in those buckets has fieldwork in: the first
 * bucket's window starts no earlier than window_days before the fieldwork
 * starts, the last one ends with the month that holds end + window_days. */
static void item_days(const watch_item *it, const config *cfg, long *from, long *to)
{
    *from = it->side.start - cfg->fatigue_window_days;
    *to = it->side.end + cfg->fatigue_window_days + 31;
}

/* Counts the buckets of one claimed consultation in one of its areas, from
 * the rows read for the whole claim; appends the exceeded ones it asks. */
static void count_item_area(fatigue_watch *w, size_t n, const char *area, const overlap_side *rows, size_t nrows,
                            overlap_side *subset)
{
    const server *srv = w->srv;
    const config *cfg = srv->cfg;
    const watch_item *it = &w->items[n];
    long from, to;
    item_days(it, cfg, &from, &to);
    const char *scope[AREAS_REACH_MAX + 1];
    size_t ns = areas_scope_one(srv->areas, area, scope);
    size_t k = 0;
    for (size_t r = 0; r < nrows; r++) /* shallow copies: the rows own their strings */
        if (rows[r].end >= from && rows[r].start <= to && fatigue_reaches(&rows[r], area, scope, ns))
            subset[k++] = rows[r];
    int first, last;
    item_months(it, cfg, &first, &last);
    fatigue_query q = { area, scope, ns, NULL, first, last - first + 1, cfg->fatigue_window_days,
                        cfg->fatigue_max_asks, true };
    json_t *found = json_array();
    fatigue_buckets(subset, k, &q, srv->vocab, found);
    json_t *id = json_object_get(json_array_get(w->claimed, n), "id");
    size_t i;
    json_t *b;
    json_array_foreach(found, i, b) { /* only the buckets this consultation counts in */
        if (!fatigue_asks(it->side.communities, json_string_value(json_object_get(b, "community")), srv->vocab))
            continue;
        json_object_set(b, "consultation", id);
        json_object_set_new(b, "n", json_integer((json_int_t)n));
        json_array_append(w->exceeded, b);
    }
    json_decref(found);
}

static void on_rows(PGresult *const *res, int n, void *arg)
{
    fatigue_watch *w = arg;
    if (stopped_by_failure(w, res, n))
        return;
    int nrows = PQntuples(res[0]);
    if (nrows == FATIGUE_WATCH_MAX_ROWS)
        log_warn("alerts: fatigue check read its limit of %d consultations; counts may be low", nrows);
    overlap_side *rows = calloc((size_t)nrows + 1, sizeof *rows);
    overlap_side *subset = calloc((size_t)nrows + 1, sizeof *subset);
    if (!rows || !subset) {
        free(rows);
        free(subset);
        finish(w, "out of memory");
        return;
    }
    size_t k = 0;
    for (int i = 0; i < nrows; i++) {
        json_t *doc = json_loads(PQgetvalue(res[0], i, 0), 0, NULL);
        if (doc && overlap_side_init(&rows[k], doc) == 0)
            k++;
        json_decref(doc);
    }
    for (size_t c = 0; c < w->nitems; c++) {
        if (!w->items[c].doc)
            continue;
        size_t i;
        json_t *area;
        json_array_foreach(w->items[c].side.areas, i, area)
            count_item_area(w, c, json_string_value(area), rows, k, subset);
    }
    for (size_t r = 0; r < k; r++)
        overlap_side_clear(&rows[r]);
    free(rows);
    free(subset);
    record(w);
}

/* Adds the keys under which the rows that may count in item's buckets are
 * stored (overlap_reach_keys), so the read costs what the areas' own traffic
 * costs, not what the size of the register would. */
static int add_item_keys(const fatigue_watch *w, const watch_item *it, int64_t **keys, size_t *nkeys)
{
    long from, to;
    item_days(it, w->srv->cfg, &from, &to);
    json_t *scope = json_array();
    size_t i;
    json_t *area;
    json_array_foreach(it->side.areas, i, area) {
        const char *code = json_string_value(area);
        const char *sc[AREAS_REACH_MAX + 1];
        size_t ns = areas_scope_one(w->srv->areas, code, sc);
        for (size_t j = 0; j < ns; j++)
            json_array_append_new(scope, json_string(sc[j]));
    }
    size_t n = 0;
    int64_t *mine = scope ? overlap_reach_keys(it->side.areas, scope, from, to, &n) : NULL;
    json_decref(scope);
    int64_t *all = mine ? realloc(*keys, (*nkeys + n + 1) * sizeof *all) : NULL;
    if (!all) {
        free(mine);
        return -1;
    }
    memcpy(all + *nkeys, mine, n * sizeof *all);
    free(mine);
    *keys = all;
    *nkeys += n;
    return 0;
}

/* The communities a row must ask to count for any claimed consultation, as a
 * text[] literal; NULL with *any set when every row counts. */
static char *rows_filter(const fatigue_watch *w, bool *any)
{
    json_t *related = json_array();
    *any = false;
    for (size_t i = 0; related && i < w->nitems && !*any; i++)
        if (w->items[i].doc && !fatigue_row_communities(w->items[i].side.communities, w->srv->vocab, related))
            *any = true;
    char *lit = NULL;
    if (related && !*any) {
        size_t count = json_array_size(related);
        char **codes = calloc(count + 1, sizeof *codes);
        for (size_t i = 0; codes && i < count; i++)
            codes[i] = (char *)json_string_value(json_array_get(related, i));
        strlist l = { codes, count };
        lit = codes ? strlist_to_pg(&l) : NULL;
        free(codes);
    }
    json_decref(related);
    return lit;
}

/* One read for the whole claim: every row that may count in a bucket one of
 * the claimed consultations adds to. */
static void read_rows(fatigue_watch *w)
{
    int64_t *keys = NULL;
    size_t nkeys = 0;
    long from = 0, to = 0;
    bool any_item = false;
    for (size_t i = 0; i < w->nitems; i++) {
        const watch_item *it = &w->items[i];
        if (!it->doc)
            continue;
        long f, t;
        item_days(it, w->srv->cfg, &f, &t);
        from = any_item && from < f ? from : f;
        to = any_item && to > t ? to : t;
        any_item = true;
        if (add_item_keys(w, it, &keys, &nkeys) < 0) {
            free(keys);
            finish(w, "out of memory");
            return;
        }
    }
    if (!any_item) { /* only cancelled or unreadable rows: dequeue them */
        free(keys);
        record(w);
        return;
    }
    /* The claimed consultations share their ancestors' keys: send each once. */
    size_t u = overlap_keys_unique(keys, nkeys);
    bool any;
    char *filter = rows_filter(w, &any);
    char *keys_lit = int64s_to_pg(keys, u);
    free(keys);
    if (!keys_lit || (!filter && !any)) {
        free(keys_lit);
        free(filter);
        finish(w, "out of memory");
        return;
    }
    char from_s[11], to_s[11];
    overlap_iso_date(from, from_s);
    overlap_iso_date(to, to_s);
    const char *p[] = { keys_lit, from_s, to_s, filter };
    const db_call call = {
        SQL_FATIGUE_ROWS, 4, p, "fatigue_rows"
    };
    db_pipeline(w->conn, &call, 1, on_rows, w);
    free(keys_lit);
    free(filter);
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
    clear_claim(w);
    w->claimed = json_array();
    w->exceeded = json_array();
    w->items = calloc((size_t)rows, sizeof *w->items);
    for (int r = 0; w->claimed && r < rows; r++)
        json_array_append_new(w->claimed, json_pack("{s:s, s:s}", "queued", PQgetvalue(res[1], r, 0), "id",
                                                    PQgetvalue(res[1], r, 1)));
    if (!w->claimed || !w->exceeded || !w->items || json_array_size(w->claimed) != (size_t)rows) {
        finish(w, "out of memory");
        return;
    }
    w->nitems = (size_t)rows;
    for (int r = 0; r < rows; r++) {
        watch_item *it = &w->items[r];
        if (strcmp(PQgetvalue(res[1], r, 3), "cancelled") == 0)
            continue; /* asks no one: it is only dequeued */
        it->doc = json_loads(PQgetvalue(res[1], r, 2), 0, NULL);
        if (!it->doc || overlap_side_init(&it->side, it->doc) != 0) {
            /* never let one unreadable row hold up the queue: dequeue it unchecked */
            log_warn("alerts: fatigue check of consultation %s skipped: its stored document cannot be read",
                     PQgetvalue(res[1], r, 1));
            json_decref(it->doc);
            it->doc = NULL;
        }
    }
    read_rows(w);
}

/* [BEGIN, claim the oldest queued checks with their consultations] in one round trip. */
static void next_consultation(fatigue_watch *w)
{
    static const db_call calls[] = {
        { "BEGIN", 0, NULL, NULL },
        { SQL_FATIGUE_CLAIM, 0, NULL, "fatigue_claim" },
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
    clear_claim(w);
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

void fatigue_watch_metrics(const fatigue_watch *w, long depth, double oldest_s, char **buf, size_t *len, size_t *cap)
{
    metrics_appendf(buf, len, cap,
                    "# HELP consultd_fatigue_queue_depth Writes waiting for their fatigue check (as of the last poll).\n"
                    "# TYPE consultd_fatigue_queue_depth gauge\nconsultd_fatigue_queue_depth %ld\n"
                    "# HELP consultd_fatigue_queue_oldest_age_seconds Age of the oldest write waiting for its check.\n"
                    "# TYPE consultd_fatigue_queue_oldest_age_seconds gauge\n"
                    "consultd_fatigue_queue_oldest_age_seconds %.3f\n"
                    "# HELP consultd_fatigue_checks_total Consultations checked for fatigue by this instance.\n"
                    "# TYPE consultd_fatigue_checks_total counter\nconsultd_fatigue_checks_total %lu\n"
                    "# HELP consultd_fatigue_exceeded_total fatigue.exceeded events written by this instance.\n"
                    "# TYPE consultd_fatigue_exceeded_total counter\nconsultd_fatigue_exceeded_total %lu\n",
                    depth, oldest_s, w ? w->checked : 0UL, w ? w->raised : 0UL);
}
