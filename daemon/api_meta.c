/* api_meta.c - health, readiness, metrics, OpenAPI, vocabularies, areas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/resource.h>

#include "api.h"
#include "body_cache.h"
#include "db_batch.h"
#include "catalog.h"
#include "job_dispatch.h"
#include "job_recheck.h"
#include "embedded.h"
#include "http_reply.h"
#include "ons_csv.h"
#include "server.h"
#include "store_catalog.h"

void api_healthz(request *rq)
{
    reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}

void api_readyz(request *rq)
{
    server *srv = rq->srv;
    catalog_refresh(srv);
    bool db = db_pool_up(srv->db);
    bool migrated = srv->schema_version >= catalog_schema_latest();
    bool ready = server_ready(srv);
    json_t *body = json_pack("{s:s, s:s, s:i, s:i, s:b}", "status", ready ? "ready" : "not ready",
                             "database", db ? "up" : "down", "schema_version", srv->schema_version,
                             "schema_wanted", catalog_schema_latest(), "vocabularies", srv->vocab != NULL);
    if (!ready) {
        reply_header(rq, "Retry-After", "1");
        json_object_set_new(body, "detail",
                            json_string(!db ? "database unreachable"
                                        : !migrated ? "schema not migrated: run consultd migrate"
                                                    : "loading vocabularies"));
    }
    reply_json(rq, ready ? 200 : 503, body);
}

/* Resident set size in bytes from /proc/self/statm, 0 if unknown. */
static long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n > 2 ? n - 3 : 0; /* ".", ".." and the directory's own fd */
}

static long max_fds(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : -1;
}

void api_metrics(request *rq)
{
    server *srv = rq->srv;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    metrics_render_http(&srv->metrics, &buf, &len, &cap);
    dispatcher_metrics(srv->alerts, &buf, &len, &cap);
    recheck_metrics(srv->recheck, &buf, &len, &cap);
    db_pool_stats st;
    db_pool_get_stats(srv->db, &st);
    metrics_appendf(&buf, &len, &cap,
                    "# HELP consultd_db_pool_connections Database pool connections by state.\n"
                    "# TYPE consultd_db_pool_connections gauge\n"
                    "consultd_db_pool_connections{state=\"configured\"} %d\n"
                    "consultd_db_pool_connections{state=\"connected\"} %d\n"
                    "consultd_db_pool_connections{state=\"busy\"} %d\n"
                    "consultd_db_pool_connections{state=\"waiting\"} %d\n"
                    "# HELP consultd_db_reads_in_flight Single-statement reads sent on pool connections, not yet answered.\n"
                    "# TYPE consultd_db_reads_in_flight gauge\n"
                    "consultd_db_reads_in_flight %d\n"
                    "# HELP consultd_db_errors_total Lost database connections and timed-out queries.\n"
                    "# TYPE consultd_db_errors_total counter\n"
                    "consultd_db_errors_total %lu\n"
                    "# HELP consultd_db_plan_refreshes_total Pool connections that prepared their statements again.\n"
                    "# TYPE consultd_db_plan_refreshes_total counter\n"
                    "consultd_db_plan_refreshes_total %lu\n"
                    "# HELP consultd_up Whether the daemon is ready (database up, schema current).\n"
                    "# TYPE consultd_up gauge\n"
                    "consultd_up %d\n"
                    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                    "# TYPE process_resident_memory_bytes gauge\n"
                    "process_resident_memory_bytes %ld\n"
                    "# HELP process_open_fds Number of open file descriptors.\n"
                    "# TYPE process_open_fds gauge\n"
                    "process_open_fds %d\n"
                    "# HELP process_max_fds Maximum number of open file descriptors.\n"
                    "# TYPE process_max_fds gauge\n"
                    "process_max_fds %ld\n"
                    "# HELP consultd_accept_errors_total Failed accept() calls (out of descriptors: accepting pauses).\n"
                    "# TYPE consultd_accept_errors_total counter\n"
                    "consultd_accept_errors_total %lu\n"
                    "# HELP consultd_rate_limited_requests_total Requests refused 429 by the per-key rate limit.\n"
                    "# TYPE consultd_rate_limited_requests_total counter\n"
                    "consultd_rate_limited_requests_total %lu\n"
                    "# HELP consultd_overlaps_detected_total Overlaps recorded by this instance's writes.\n"
                    "# TYPE consultd_overlaps_detected_total counter\n"
                    "consultd_overlaps_detected_total %lu\n"
                    "# HELP consultd_calendar_events_rendered_total Calendar events rendered from their rows"
                    " (the others were put together from kept ones).\n"
                    "# TYPE consultd_calendar_events_rendered_total counter\n"
                    "consultd_calendar_events_rendered_total %lu\n"
                    "# HELP consultd_calendar_cache_entries Rendered calendars and calendar events kept.\n"
                    "# TYPE consultd_calendar_cache_entries gauge\n"
                    "consultd_calendar_cache_entries{cache=\"calendars\"} %zu\n"
                    "consultd_calendar_cache_entries{cache=\"events\"} %zu\n"
                    "# HELP consultd_calendar_cache_bytes Bytes of rendered calendars and calendar events kept.\n"
                    "# TYPE consultd_calendar_cache_bytes gauge\n"
                    "consultd_calendar_cache_bytes{cache=\"calendars\"} %zu\n"
                    "consultd_calendar_cache_bytes{cache=\"events\"} %zu\n",
                    st.size, st.connected, st.busy, st.waiting, st.reads, st.errors, st.plan_refreshes, server_ready(srv) ? 1 : 0,
                    resident_bytes(), open_fds(), max_fds(), srv->metrics.accept_errors, srv->metrics.rate_limited,
                    srv->overlaps_detected, srv->metrics.calendar_events_rendered,
                    body_cache_entries(srv->calendars), body_cache_entries(srv->calendar_events),
                    body_cache_bytes(srv->calendars), body_cache_bytes(srv->calendar_events));
    db_batch_stats bs = db_batch_stats_get(srv->consultation_reads);
    metrics_appendf(&buf, &len, &cap,
                    "# HELP consultd_db_batch_statements_total Statements that read consultations asked for"
                    " one by one in the same loop turn, by id.\n"
                    "# TYPE consultd_db_batch_statements_total counter\n"
                    "consultd_db_batch_statements_total{read=\"consultation\"} %lu\n"
                    "# HELP consultd_db_batch_keys_total Ids those statements carried (keys / statements: ids a statement).\n"
                    "# TYPE consultd_db_batch_keys_total counter\n"
                    "consultd_db_batch_keys_total{read=\"consultation\"} %lu\n"
                    "# HELP consultd_db_batch_in_flight Those statements sent and not yet answered.\n"
                    "# TYPE consultd_db_batch_in_flight gauge\n"
                    "consultd_db_batch_in_flight{read=\"consultation\"} %d\n"
                    "# HELP consultd_db_batch_gathering Ids asked for and not yet sent (they wait for a statement"
                    " in flight to be answered).\n"
                    "# TYPE consultd_db_batch_gathering gauge\n"
                    "consultd_db_batch_gathering{read=\"consultation\"} %d\n",
                    bs.statements, bs.keys, bs.in_flight, bs.gathering);
    reply_header(rq, "Cache-Control", "no-cache");
    reply_text(rq, 200, "text/plain; version=0.0.4; charset=utf-8", buf ? buf : "", len);
    free(buf);
}

void api_openapi(request *rq)
{
    reply_header(rq, "Cache-Control", "public, max-age=300");
    reply_text(rq, 200, "application/json; charset=utf-8", embedded_openapi.data, embedded_openapi.len);
}

void api_vocabulary(request *rq)
{
    int kind = vocab_kind_parse(rq->path_param);
    if (kind < 0) {
        reply_problem(rq, 404, "not-found", "Not found",
                      "The vocabularies are topics, communities and methods.", NULL, NULL);
        return;
    }
    if (!rq->srv->vocab) {
        reply_unavailable(rq);
        return;
    }
    reply_json(rq, 200, vocab_to_json(rq->srv->vocab, (vocab_kind)kind));
}

/* A text column holding a JSON array, or an empty array. */
static json_t *json_list(PGresult *res, int col)
{
    json_t *v = json_loads(PQgetvalue(res, 0, col), 0, NULL);
    return v ? v : json_array();
}

static void on_area(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        reply_problem(rq, 404, "not-found", "Not found", "No area with this code in the area register.", NULL, NULL);
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I}", "code", PQgetvalue(res, 0, 0), "name",
                             PQgetvalue(res, 0, 1), "level", PQgetvalue(res, 0, 2), "parents", json_list(res, 3),
                             "ancestors", json_list(res, 5), "children_count",
                             (json_int_t)atoll(PQgetvalue(res, 0, 4)));
    if (body) {
        json_object_set_new(body, "name_cy",
                            PQgetisnull(res, 0, 6) ? json_null() : json_string(PQgetvalue(res, 0, 6)));
        json_object_set_new(body, "successors", json_list(res, 7));
        json_object_set_new(body, "predecessors", json_list(res, 8));
        json_object_set_new(body, "old_codes", json_list(res, 9));
    }
    reply_json(rq, 200, body);
}

void api_area(request *rq)
{
    if (!ons_code_valid(rq->path_param)) {
        reply_problem(rq, 404, "not-found", "Not found", "Area codes are ONS GSS codes like E09000007.", NULL, NULL);
        return;
    }
    const char *p[] = { rq->path_param };
    db_query(rq->conn, SQL_CATALOG_AREA, 1, p, on_area, rq);
}
