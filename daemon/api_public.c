/* api_public.c - what is published without authentication: calendar feeds
 * (/feeds/<token>.ics), and under /public/ the public consultations as a
 * calendar, CSV and JSON, their Data Package, and the residents' page.
 *
 * The boundary: every /public/ statement is built with public_only (only
 * visibility = 'public'), whatever the query says; a feed shows what its
 * filters select, of any visibility, to whoever holds its secret address.
 * Neither ever carries a contact e-mail address. Every answer carries an
 * ETag and honours If-None-Match with 304: a hash of the body, or for a
 * calendar a hash of what its body is made from (on_fingerprint), so that
 * the common 304 costs one aggregate query instead of a render; and since
 * that ETag names the bytes, the rendered calendars recently sent are kept
 * by it (server.calendars, CALENDAR_CACHE_BYTES), so a full answer that
 * repeats one costs the same query and no rows. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "body_cache.h"
#include "embedded.h"
#include "etag.h"
#include "feed_query.h"
#include "feed_token.h"
#include "fmt_ical.h"
#include "fmt_opendata.h"
#include "http_reply.h"
#include "server.h"
#include "store_feeds.h"

/* 200 with body and its ETag (given, or the body's hash when NULL), or 304
 * when the client holds it already. */
static void reply_tagged(request *rq, const char *ctype, const char *cache, const char *given, const char *body,
                         size_t len)
{
    char etag[ETAG_LEN];
    if (given)
        snprintf(etag, sizeof etag, "%s", given);
    else
        etag_of(body, len, etag);
    reply_header(rq, "ETag", etag);
    reply_header(rq, "Cache-Control", cache);
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "If-None-Match");
    if (etag_none_match_hit(inm, etag)) {
        reply_text(rq, 304, ctype, "", 0);
        return;
    }
    reply_text(rq, 200, ctype, body, len);
}

/* ---- the query, then the rows --------------------------------------------------- */

/* body_cache flags of a kept calendar */
#define CALENDAR_TRUNCATED 1u

typedef struct pstate {
    feed_select sel;
    bool public_only;
    json_t *filters;
    char *name;          /* the calendar's name */
    const char *cache;   /* Cache-Control */
    list_query q;
    list_query fq;       /* a calendar's fingerprint (FEED_SELECT_FINGERPRINT) */
    char etag[ETAG_LEN]; /* a calendar's, from its fingerprint; "" otherwise */
    unsigned char hash[FEED_TOKEN_HASH_LEN];
} pstate;

static void pstate_free(void *p)
{
    pstate *st = p;
    json_decref(st->filters);
    free(st->name);
    list_query_free(&st->q);
    list_query_free(&st->fq);
    free(st);
}

static pstate *pstate_new(request *rq, feed_select sel)
{
    pstate *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return NULL;
    }
    st->sel = sel;
    st->public_only = true;
    st->cache = "public, no-cache";
    rq->state = st;
    rq->state_free = pstate_free;
    return st;
}

static void reply_calendar(request *rq, PGresult *res)
{
    pstate *st = rq->state;
    int rows = PQntuples(res);
    size_t n = (size_t)(rows > st->q.limit ? st->q.limit : rows);
    ical_event *ev = calloc(n ? n : 1, sizeof *ev);
    if (!ev) {
        reply_unavailable(rq);
        return;
    }
    /* LOCATION: the areas' names from the register in memory (codes it does
     * not know as they are), NUL-separated in one buffer, pointed to after. */
    outbuf names = { 0 };
    size_t *at = calloc(n ? n : 1, sizeof *at);
    for (size_t i = 0; at && i < n; i++) {
        at[i] = names.len;
        const char *p = PQgetvalue(res, (int)i, 6);
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            area_code code;
            snprintf(code, sizeof code, "%.*s", (int)(len < 9 ? len : 9), p);
            const area_info *a = rq->srv->areas ? areas_find(rq->srv->areas, code) : NULL;
            if (names.len > at[i])
                outbuf_add(&names, ", ", 2);
            if (a)
                outbuf_adds(&names, a->name);
            else
                outbuf_add(&names, p, len);
            p += len + (comma != NULL);
        }
        outbuf_add(&names, "", 1);
    }
    if (!at || names.failed) {
        free(at);
        free(ev);
        outbuf_free(&names);
        reply_unavailable(rq);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int r = (int)i;
        ev[i] = (ical_event){ PQgetvalue(res, r, 0), atol(PQgetvalue(res, r, 1)), PQgetvalue(res, r, 2),
                              PQgetvalue(res, r, 3), PQgetvalue(res, r, 4), PQgetvalue(res, r, 5),
                              names.s + at[i], PQgetvalue(res, r, 7), PQgetvalue(res, r, 8),
                              PQgetvalue(res, r, 9), PQgetvalue(res, r, 10), PQgetvalue(res, r, 11) };
    }
    free(at);
    char base[512], console[600];
    config_public_url(rq->srv->cfg, base, sizeof base);
    snprintf(console, sizeof console, "%s/console", base);
    ical_calendar cal = { st->name, console, "-//consultd//consultd " CONSULTD_VERSION "//EN" };
    outbuf out = { 0 };
    int rc = ical_render(&out, &cal, ev, n);
    free(ev);
    outbuf_free(&names);
    if (rc < 0) {
        outbuf_free(&out);
        reply_unavailable(rq);
        return;
    }
    if (rows > (int)n)
        reply_header(rq, "X-Consultd-Truncated", "true");
    /* kept for the next request with this ETag; a failure only means the next one renders again */
    (void)body_cache_put(rq->srv->calendars, st->etag, out.s, out.len, rows > (int)n ? CALENDAR_TRUNCATED : 0);
    reply_tagged(rq, "text/calendar; charset=utf-8", st->cache, st->etag, out.s, out.len);
    outbuf_free(&out);
}

static void reply_json_rows(request *rq, PGresult *res)
{
    pstate *st = rq->state;
    int rows = PQntuples(res);
    int n = rows > st->q.limit ? st->q.limit : rows;
    outbuf out = { 0 };
    outbuf_add(&out, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i)
            outbuf_add(&out, ",\n", 2);
        outbuf_add(&out, PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));
    }
    outbuf_add(&out, "]\n", 2);
    if (out.failed) {
        outbuf_free(&out);
        reply_unavailable(rq);
        return;
    }
    if (rows > n)
        reply_header(rq, "X-Consultd-Truncated", "true");
    reply_tagged(rq, "application/json; charset=utf-8", st->cache, NULL, out.s, out.len);
    outbuf_free(&out);
}

static void reply_csv_rows(request *rq, PGresult *res)
{
    pstate *st = rq->state;
    int rows = PQntuples(res);
    int n = rows > st->q.limit ? st->q.limit : rows;
    outbuf out = { 0 };
    opendata_csv_record(&out, opendata_csv_columns, OPENDATA_CSV_NCOLS);
    const char *fields[OPENDATA_CSV_NCOLS];
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < OPENDATA_CSV_NCOLS; c++)
            fields[c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
        opendata_csv_record(&out, fields, OPENDATA_CSV_NCOLS);
    }
    if (out.failed) {
        outbuf_free(&out);
        reply_unavailable(rq);
        return;
    }
    if (rows > n)
        reply_header(rq, "X-Consultd-Truncated", "true");
    reply_header(rq, "Content-Disposition", "inline; filename=\"consultations.csv\"");
    reply_tagged(rq, "text/csv; charset=utf-8; header=present", st->cache, NULL, out.s, out.len);
    outbuf_free(&out);
}

static void on_rows(PGresult *res, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (st->sel == FEED_SELECT_CALENDAR)
        reply_calendar(rq, res);
    else if (st->sel == FEED_SELECT_JSON)
        reply_json_rows(rq, res);
    else
        reply_csv_rows(rq, res);
}

/* A calendar's ETag is a hash of everything its bytes are made from: the
 * fingerprint of its rows (feed_query.h), the statement and its parameters
 * (the filters, with vocabulary expansions), the name, the console address,
 * this version's renderer and the area register's generation (the area
 * names). So a client holding the current calendar is answered 304 without
 * the rows being read or rendered. */
static void on_fingerprint(PGresult *res, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    char base[512];
    config_public_url(rq->srv->cfg, base, sizeof base);
    outbuf key = { 0 };
    for (int c = 0; c < PQnfields(res) && PQntuples(res) == 1; c++) {
        outbuf_adds(&key, PQgetvalue(res, 0, c));
        outbuf_add(&key, "\n", 1);
    }
    outbuf_adds(&key, st->q.sql);
    for (int i = 0; i < st->q.nparams; i++) {
        outbuf_add(&key, "\n", 1);
        outbuf_adds(&key, st->q.params[i] ? st->q.params[i] : "");
    }
    char gen[32];
    snprintf(gen, sizeof gen, "\n%lld\n", rq->srv->areas ? rq->srv->areas->generation : 0LL);
    outbuf_adds(&key, gen);
    outbuf_adds(&key, st->name ? st->name : "");
    outbuf_adds(&key, "\n" CONSULTD_VERSION "\n");
    outbuf_adds(&key, base);
    if (key.failed) {
        outbuf_free(&key);
        reply_unavailable(rq);
        return;
    }
    etag_of(key.s, key.len, st->etag);
    outbuf_free(&key);
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "If-None-Match");
    if (etag_none_match_hit(inm, st->etag)) {
        reply_header(rq, "ETag", st->etag);
        reply_header(rq, "Cache-Control", st->cache);
        reply_text(rq, 304, "text/calendar; charset=utf-8", "", 0);
        return;
    }
    size_t len;
    unsigned flags;
    const char *kept = body_cache_get(rq->srv->calendars, st->etag, &len, &flags);
    if (kept) {
        if (flags & CALENDAR_TRUNCATED)
            reply_header(rq, "X-Consultd-Truncated", "true");
        reply_tagged(rq, "text/calendar; charset=utf-8", st->cache, st->etag, kept, len);
        return;
    }
    db_query_dynamic(rq->conn, st->q.sql, st->q.nparams, st->q.params, on_rows, rq);
}

static void run_query(request *rq)
{
    pstate *st = rq->state;
    if (feed_query_build(st->filters, rq->srv->vocab, st->sel, st->public_only, &st->q) < 0) {
        reply_unavailable(rq);
        return;
    }
    if (st->sel != FEED_SELECT_CALENDAR) {
        db_query_dynamic(rq->conn, st->q.sql, st->q.nparams, st->q.params, on_rows, rq);
        return;
    }
    if (feed_query_build(st->filters, rq->srv->vocab, FEED_SELECT_FINGERPRINT, st->public_only, &st->fq) < 0) {
        reply_unavailable(rq);
        return;
    }
    db_query_dynamic(rq->conn, st->fq.sql, st->fq.nparams, st->fq.params, on_fingerprint, rq);
}

static void on_conn(db_conn *conn, void *arg)
{
    request *rq = arg;
    if (!conn) {
        reply_unavailable(rq);
        return;
    }
    rq->conn = conn;
    run_query(rq);
}

/* ---- /public/consultations.{ics,json,csv} --------------------------------------- */

static void public_list(request *rq, feed_select sel)
{
    api_security_headers(rq); /* errors included */
    if (!rq->srv->vocab || !rq->srv->areas) {
        reply_unavailable(rq);
        return;
    }
    pstate *st = pstate_new(rq, sel);
    if (!st)
        return;
    json_t *errors = json_array();
    if (api_resolve_area_param(rq, errors) < 0 ||
        public_filters_from_query(&rq->query, rq->srv->vocab, &st->filters, errors) < 0) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    st->name = strdup("Public consultations");
    db_acquire(rq->srv->db, on_conn, rq);
}

void api_public_calendar(request *rq)
{
    public_list(rq, FEED_SELECT_CALENDAR);
}

void api_public_json(request *rq)
{
    public_list(rq, FEED_SELECT_JSON);
}

void api_public_csv(request *rq)
{
    public_list(rq, FEED_SELECT_CSV);
}

/* ---- /feeds/<token>.ics ------------------------------------------------------------ */

static void feed_not_found(request *rq)
{
    reply_problem(rq, 404, "not-found", "Not found", "No such calendar feed.", NULL, NULL);
}

static void on_feed(PGresult *res, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        feed_not_found(rq);
        return;
    }
    st->name = strdup(PQgetvalue(res, 0, 0));
    st->filters = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
    if (!st->name || !st->filters) {
        reply_unavailable(rq);
        return;
    }
    run_query(rq);
}

static void on_feed_conn(db_conn *conn, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (!conn) {
        reply_unavailable(rq);
        return;
    }
    rq->conn = conn;
    char hex[2 * FEED_TOKEN_HASH_LEN + 3];
    feed_token_hash_hex(st->hash, hex);
    const char *p[] = { hex };
    db_query(conn, SQL_FEED_BY_TOKEN, 1, p, on_feed, rq);
}

void api_feed_calendar(request *rq)
{
    reply_header(rq, "X-Content-Type-Options", "nosniff");
    reply_header(rq, "Referrer-Policy", "no-referrer");
    /* Unknown, malformed and revoked tokens all answer the same 404. */
    size_t len = strlen(rq->path_param);
    unsigned char hash[FEED_TOKEN_HASH_LEN];
    if (len < 4 || strcmp(rq->path_param + len - 4, ".ics") != 0 || feed_token_hash(rq->path_param, len - 4, hash) < 0) {
        feed_not_found(rq);
        return;
    }
    if (!rq->srv->vocab) {
        reply_unavailable(rq);
        return;
    }
    pstate *st = pstate_new(rq, FEED_SELECT_CALENDAR);
    if (!st)
        return;
    st->public_only = false;
    st->cache = "private, no-cache";
    memcpy(st->hash, hash, sizeof hash);
    db_acquire(rq->srv->db, on_feed_conn, rq);
}

/* ---- static files: the page, its script and style, the Data Package -------------- */

static const struct { const char *path, *file, *ctype; } statics[] = {
    { "/public/", "public/index.html", "text/html; charset=utf-8" },
    { "/public/app.js", "public/app.js", "text/javascript; charset=utf-8" },
    { "/public/style.css", "public/style.css", "text/css; charset=utf-8" },
    { "/public/datapackage.json", "public/datapackage.json", "application/json; charset=utf-8" },
};

void api_public_static(request *rq)
{
    api_security_headers(rq); /* errors included */
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(rq->req));
    for (size_t i = 0; i < sizeof statics / sizeof statics[0]; i++) {
        if (strcmp(path, statics[i].path) != 0)
            continue;
        for (size_t f = 0; f < embedded_console_count; f++) /* embedded beside the console */
            if (strcmp(embedded_console[f].name, statics[i].file) == 0) {
                reply_tagged(rq, statics[i].ctype, "public, no-cache", NULL, embedded_console[f].data,
                             embedded_console[f].len);
                return;
            }
    }
    reply_problem(rq, 404, "not-found", "Not found", "No such resource.", NULL, NULL);
}
