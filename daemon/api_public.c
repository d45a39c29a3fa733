/* api_public.c - what is published without authentication: calendar feeds
 * (/feeds/<token>.ics), and under /public/ the public consultations as a
 * calendar, CSV and JSON, their Data Package, and the residents' page.
 *
 * The boundary: every /public/ statement is built with public_only (only
 * visibility = 'public'), whatever the query says; a feed shows what its
 * filters select, of any visibility, to whoever holds its secret address.
 * Neither ever carries a contact e-mail address. Every answer carries an
 * ETag and honours If-None-Match with 304: a hash of the body, or for a
 * calendar a hash of what its body is made from (calendar_keys.h).
 *
 * A calendar is read in two steps: the keys of its events (on_keys), from
 * which its ETag follows, so the common 304 reads no rows; then, unless the
 * whole calendar was sent recently (server.calendars, by ETag), the rows of
 * only the events not rendered before (server.calendar_events, by event
 * key), and the calendar is put together from kept and new events. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "body_cache.h"
#include "calendar_keys.h"
#include "embedded.h"
#include "etag.h"
#include "feed_query.h"
#include "feed_token.h"
#include "fmt_ical.h"
#include "fmt_opendata.h"
#include "http_reply.h"
#include "log.h"
#include "public_doc.h"
#include "server.h"
#include "store_feeds.h"

/* 200 with body and its ETag (the body's hash), or 304 when the client
 * holds it already. (A calendar's ETag names what its bytes are made from
 * instead: calendar_headers.) */
static void reply_tagged(request *rq, const char *ctype, const char *cache, const char *body, size_t len)
{
    char etag[ETAG_LEN];
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
/* Reads of a calendar's keys (a row edited between its key and its row
 * being read starts the calendar again), at most; and reads of rows for
 * one reading of the keys (a kept event may be dropped from the cache by
 * other answers while the rows are read), at most. */
#define CALENDAR_ATTEMPTS 3
#define CALENDAR_FETCHES 4

typedef struct pstate {
    feed_select sel;
    bool public_only;
    json_t *filters;
    char *name;          /* the calendar's name */
    const char *cache;   /* Cache-Control */
    list_query q;
    unsigned char hash[FEED_TOKEN_HASH_LEN];
    /* a calendar being put together */
    char etag[ETAG_LEN];
    char console[600];   /* the events' URL prefix: the console's */
    char public_page[600]; /* the public calendar's: the residents' page its descriptions name ("" for a feed) */
    int attempts;        /* reads of the keys */
    int fetches;         /* reads of rows since the keys were read */
    size_t shown;        /* events in the calendar */
    bool truncated;      /* more rows than shown */
    char (*keys)[CALENDAR_EVENT_KEY_LEN]; /* each event's key, in calendar order (owned) */
    body_cache *fresh;   /* the events rendered for this answer (owned) */
    size_t *wanted;      /* the events whose rows are being read (indexes into keys; owned) */
    size_t nwanted;
    bool *rendered;      /* per event: rendered for this answer (owned) */
} pstate;

static void pstate_free(void *p)
{
    pstate *st = p;
    json_decref(st->filters);
    free(st->name);
    list_query_free(&st->q);
    free(st->keys);
    free(st->wanted);
    free(st->rendered);
    body_cache_free(st->fresh);
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

/* The headers of every calendar answer (200 or 304): its ETag (from its
 * keys, on_keys), Cache-Control, and whether the list was cut. */
static void calendar_headers(request *rq, bool truncated)
{
    pstate *st = rq->state;
    if (truncated)
        reply_header(rq, "X-Consultd-Truncated", "true");
    reply_header(rq, "ETag", st->etag);
    reply_header(rq, "Cache-Control", st->cache);
}

static void read_keys(request *rq);

/* An event's bytes, rendered for this answer or kept from before; NULL when
 * neither. Borrowed until the next body_cache_put on either cache. */
static const char *event_bytes(request *rq, const char *key, size_t *len)
{
    pstate *st = rq->state;
    const char *b = body_cache_get(rq->srv->calendar_events, key, len, NULL); /* the same key, the same bytes */
    return b ? b : body_cache_get(st->fresh, key, len, NULL);
}

/* Puts the calendar together and answers it, when every event's bytes are
 * at hand; otherwise reads the rows of those that are not. */
static void assemble(request *rq);

/* The rows of the events not at hand, rendered and kept for this answer
 * under their own keys (their columns as read now). A row edited since its
 * key was read has another key, and one gone has none: the calendar starts
 * again from its keys. */
static void on_events(PGresult *res, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    size_t n = (size_t)PQntuples(res);
    ical_event *ev = calloc(n ? n : 1, sizeof *ev);
    size_t *at = calloc(n ? n : 1, sizeof *at), *ends = calloc(n ? n : 1, sizeof *ends);
    /* LOCATION: the areas' names from the register in memory (codes it does
     * not know as they are), NUL-separated in one buffer, pointed to after. */
    outbuf names = { 0 }, out = { 0 };
    for (size_t i = 0; at && i < n; i++) {
        at[i] = names.len;
        const char *p = PQgetvalue(res, (int)i, 7);
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
    int rc = -1;
    if (ev && at && ends && !names.failed) {
        for (size_t i = 0; i < n; i++) {
            int r = (int)i;
            ev[i] = (ical_event){ PQgetvalue(res, r, 0), atol(PQgetvalue(res, r, 1)), PQgetvalue(res, r, 4),
                                  PQgetvalue(res, r, 5), PQgetvalue(res, r, 6), PQgetvalue(res, r, 3),
                                  names.s + at[i], PQgetvalue(res, r, 8), PQgetvalue(res, r, 9),
                                  PQgetvalue(res, r, 10), PQgetvalue(res, r, 11), PQgetvalue(res, r, 12) };
        }
        ical_calendar cal = { st->name, st->console, NULL, st->public_page };
        rc = ical_render_events(&out, &cal, ev, n, ends);
        rq->srv->metrics.calendar_events_rendered += n;
    }
    calendar_context ctx = { rq->srv->areas ? rq->srv->areas->generation : 0, st->console, st->public_page };
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int r = (int)i;
        calendar_event_ref ref = { PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
                                   PQgetvalue(res, r, 3) };
        char key[CALENDAR_EVENT_KEY_LEN];
        calendar_event_key(&ref, &ctx, key);
        size_t from = i ? ends[i - 1] : 0;
        if (body_cache_put(st->fresh, key, out.s + from, ends[i] - from, 0) < 0)
            rc = -1;
    }
    free(ev);
    free(at);
    free(ends);
    outbuf_free(&names);
    outbuf_free(&out);
    if (rc < 0) {
        reply_unavailable(rq);
        return;
    }
    for (size_t w = 0; w < st->nwanted; w++) {
        if (!body_cache_get(st->fresh, st->keys[st->wanted[w]], NULL, NULL)) {
            read_keys(rq); /* edited meanwhile: read the calendar again (on_keys keeps what was rendered) */
            return;
        }
        st->rendered[st->wanted[w]] = true;
    }
    assemble(rq);
}

static void assemble(request *rq)
{
    pstate *st = rq->state;
    /* Each event's bytes, where they are at hand (borrowed: no put into
     * either cache until they are copied out), and the ids of the others as
     * a uuid[] literal. */
    const char **part = calloc(st->shown ? st->shown : 1, sizeof *part);
    size_t *plen = calloc(st->shown ? st->shown : 1, sizeof *plen);
    outbuf missing = { 0 };
    size_t total = 0;
    st->nwanted = 0;
    for (size_t i = 0; part && plen && i < st->shown; i++) {
        part[i] = event_bytes(rq, st->keys[i], &plen[i]);
        total += part[i] ? plen[i] : 0;
        if (part[i])
            continue;
        st->wanted[st->nwanted++] = i;
        outbuf_add(&missing, missing.len ? "," : "{", 1);
        outbuf_add(&missing, st->keys[i], strcspn(st->keys[i], ":"));
    }
    if (!part || !plen) {
        free(part);
        free(plen);
        outbuf_free(&missing);
        reply_unavailable(rq);
        return;
    }
    if (st->nwanted) {
        free(part);
        free(plen);
        outbuf_add(&missing, "}", 1);
        if (++st->fetches > CALENDAR_FETCHES) {
            log_warn("calendar: its events were dropped from the cache under %d reads in a row; answered 503",
                     CALENDAR_FETCHES);
            outbuf_free(&missing);
            reply_unavailable(rq);
            return;
        }
        if (missing.failed || (!st->fresh && !(st->fresh = body_cache_new(st->shown, (size_t)-1)))) {
            outbuf_free(&missing);
            reply_unavailable(rq);
            return;
        }
        const char *p[] = { missing.s };
        db_query(rq->conn, SQL_CALENDAR_EVENTS, 1, p, on_events, rq);
        outbuf_free(&missing);
        return;
    }
    outbuf_free(&missing);
    outbuf head = { 0 }, tail = { 0 };
    ical_calendar cal = { st->name, st->console, "-//consultd//consultd " CONSULTD_VERSION "//EN", st->public_page };
    ical_render_head(&head, &cal);
    ical_render_tail(&tail);
    size_t len = head.len + total + tail.len;
    char *body = head.failed || tail.failed ? NULL : malloc(len);
    if (body) {
        char *p = body;
        memcpy(p, head.s, head.len);
        p += head.len;
        for (size_t i = 0; i < st->shown; i++) {
            memcpy(p, part[i], plen[i]);
            p += plen[i];
        }
        memcpy(p, tail.s, tail.len);
    }
    free(part);
    free(plen);
    outbuf_free(&head);
    outbuf_free(&tail);
    if (!body) {
        reply_unavailable(rq);
        return;
    }
    /* Kept for later answers: the calendar by its ETag, the events rendered
     * for it by their keys (only now, so that keeping them cannot drop an
     * event this calendar still needed). A failure only means a later answer
     * renders again. */
    (void)body_cache_put(rq->srv->calendars, st->etag, body, len, st->truncated ? CALENDAR_TRUNCATED : 0);
    for (size_t i = 0; st->fresh && i < st->shown; i++) {
        size_t n;
        const char *b = st->rendered[i] ? body_cache_get(st->fresh, st->keys[i], &n, NULL) : NULL;
        if (b)
            (void)body_cache_put(rq->srv->calendar_events, st->keys[i], b, n, 0);
    }
    calendar_headers(rq, st->truncated);
    reply_text_owned(rq, 200, "text/calendar; charset=utf-8", body, len); /* If-None-Match missed in on_keys */
}

/* The keys of the calendar's events, in order: its ETag, then 304, the
 * whole calendar kept, or the calendar put together (assemble). */
static void on_keys(PGresult *res, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    int rows = PQntuples(res);
    st->shown = (size_t)(rows > st->q.limit ? st->q.limit : rows);
    st->truncated = rows > st->q.limit;
    free(st->keys);
    free(st->wanted);
    free(st->rendered);
    body_cache *before = st->fresh; /* rendered under an earlier reading of the keys */
    st->fresh = NULL;
    st->fetches = 0;
    st->keys = calloc(st->shown ? st->shown : 1, sizeof *st->keys);
    st->wanted = calloc(st->shown ? st->shown : 1, sizeof *st->wanted);
    st->rendered = calloc(st->shown ? st->shown : 1, sizeof *st->rendered);
    if (!st->keys || !st->wanted || !st->rendered) {
        body_cache_free(before);
        reply_unavailable(rq);
        return;
    }
    calendar_context ctx = { rq->srv->areas ? rq->srv->areas->generation : 0, st->console, st->public_page };
    for (size_t i = 0; i < st->shown; i++) {
        int r = (int)i;
        calendar_event_ref ref = { PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
                                   PQgetvalue(res, r, 3) };
        calendar_event_key(&ref, &ctx, st->keys[i]);
    }
    /* Read again because rows were edited: what was rendered is right under
     * its own key (most rows as they still are, the edited ones as they now
     * are), so it stays at hand and only the rows edited since are read.
     * Reading every row again, a large calendar whose rows are being edited
     * (an import) would meet another edit at every try. Room for every event
     * of this reading besides, so none is dropped. */
    if (before) {
        st->fresh = body_cache_new(st->shown + body_cache_entries(before), (size_t)-1);
        if (body_cache_copy_into(before, st->fresh) < 0) { /* only a loss of what was rendered */
            body_cache_free(st->fresh);
            st->fresh = NULL;
        }
        body_cache_free(before);
        for (size_t i = 0; st->fresh && i < st->shown; i++)
            st->rendered[i] = body_cache_get(st->fresh, st->keys[i], NULL, NULL) != NULL;
    }
    if (calendar_etag((const char (*)[CALENDAR_EVENT_KEY_LEN])st->keys, st->shown, st->truncated, &st->q, st->name,
                      &ctx, st->etag) < 0) {
        reply_unavailable(rq);
        return;
    }
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "If-None-Match");
    if (etag_none_match_hit(inm, st->etag)) {
        calendar_headers(rq, false);
        reply_text(rq, 304, "text/calendar; charset=utf-8", "", 0);
        return;
    }
    size_t len;
    unsigned flags;
    const char *kept = body_cache_get(rq->srv->calendars, st->etag, &len, &flags);
    if (kept) {
        calendar_headers(rq, flags & CALENDAR_TRUNCATED);
        reply_text(rq, 200, "text/calendar; charset=utf-8", kept, len);
        return;
    }
    assemble(rq);
}

static void read_keys(request *rq)
{
    pstate *st = rq->state;
    if (++st->attempts > CALENDAR_ATTEMPTS) {
        log_warn("calendar: its rows changed under %d reads in a row; answered 503", CALENDAR_ATTEMPTS);
        reply_unavailable(rq);
        return;
    }
    db_query_dynamic(rq->conn, st->q.sql, st->q.nparams, st->q.params, on_keys, rq);
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
        /* the document without its closing brace, then the areas' names and
         * the terms' labels (public_doc.h), then the brace */
        const char *doc = PQgetvalue(res, i, 1);
        size_t len = (size_t)PQgetlength(res, i, 1);
        while (len && doc[len - 1] != '}')
            len--;
        if (!len) {
            out.failed = true;
            break;
        }
        outbuf_add(&out, doc, len - 1);
        public_doc_names(&out, PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
                         PQgetvalue(res, i, 5), rq->srv->areas, rq->srv->vocab);
        outbuf_add(&out, "}", 1);
    }
    outbuf_add(&out, "]\n", 2);
    if (out.failed) {
        outbuf_free(&out);
        reply_unavailable(rq);
        return;
    }
    if (rows > n)
        reply_header(rq, "X-Consultd-Truncated", "true");
    reply_tagged(rq, "application/json; charset=utf-8", st->cache, out.s, out.len);
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
    reply_tagged(rq, "text/csv; charset=utf-8; header=present", st->cache, out.s, out.len);
    outbuf_free(&out);
}

static void on_rows(PGresult *res, void *arg)
{
    request *rq = arg;
    pstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (st->sel == FEED_SELECT_JSON)
        reply_json_rows(rq, res);
    else
        reply_csv_rows(rq, res);
}

static void run_query(request *rq)
{
    pstate *st = rq->state;
    if (feed_query_build(st->filters, rq->srv->vocab, rq->srv->areas, st->sel, st->public_only, &st->q) < 0) {
        reply_unavailable(rq);
        return;
    }
    if (st->sel != FEED_SELECT_CALENDAR) {
        db_query_dynamic(rq->conn, st->q.sql, st->q.nparams, st->q.params, on_rows, rq);
        return;
    }
    char base[512];
    config_public_url(rq->srv->cfg, base, sizeof base);
    /* Every event's URL is its page in the console (API.md section 9); the
     * public calendar's descriptions also name the residents' page showing
     * that one consultation, which needs no key. */
    snprintf(st->console, sizeof st->console, "%s/console", base);
    if (st->public_only)
        snprintf(st->public_page, sizeof st->public_page, "%s/public/?consultation=", base);
    read_keys(rq);
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
                reply_tagged(rq, statics[i].ctype, "public, no-cache", embedded_console[f].data,
                             embedded_console[f].len);
                return;
            }
    }
    reply_problem(rq, 404, "not-found", "Not found", "No such resource.", NULL, NULL);
}
