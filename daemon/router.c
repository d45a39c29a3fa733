/* router.c - route table, request set-up, body checks, dispatch. */
#include "router.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "auth.h"
#include "http_guard.h"
#include "http_reply.h"
#include "server.h"

static const route routes[] = {
    { "GET", "/", api_root, ROLE_NONE, BODY_NONE, "/" },
    { "GET", "/console", api_root, ROLE_NONE, BODY_NONE, "/" },
    { "GET", "/console/{*}", api_console, ROLE_NONE, BODY_NONE, "/console" },
    { "GET", "/v1/me", api_me, ROLE_PARTNER, BODY_NONE, "/v1/me" },
    { "GET", "/healthz", api_healthz, ROLE_NONE, BODY_NONE, "/healthz" },
    { "GET", "/readyz", api_readyz, ROLE_NONE, BODY_NONE, "/readyz" },
    { "GET", "/metrics", api_metrics, ROLE_NONE, BODY_NONE, "/metrics" },
    { "GET", "/openapi.json", api_openapi, ROLE_NONE, BODY_NONE, "/openapi.json" },
    { "POST", "/v1/consultations", api_consultation_create, ROLE_PARTNER, BODY_JSON, "/v1/consultations" },
    { "GET", "/v1/consultations", api_consultation_list, ROLE_PARTNER, BODY_NONE, "/v1/consultations" },
    { "POST", "/v1/consultations/import", api_consultation_import, ROLE_PARTNER, BODY_CSV,
      "/v1/consultations/import" },
    { "GET", "/v1/consultations/import/template.csv", api_import_template, ROLE_PARTNER, BODY_NONE,
      "/v1/consultations/import/template.csv" },
    { "GET", "/v1/consultations.csv", api_consultation_export, ROLE_PARTNER, BODY_NONE, "/v1/consultations.csv" },
    { "GET", "/v1/consultations/{id}", api_consultation_get, ROLE_PARTNER, BODY_NONE, "/v1/consultations/{id}" },
    { "PATCH", "/v1/consultations/{id}", api_consultation_patch, ROLE_PARTNER, BODY_PATCH, "/v1/consultations/{id}" },
    { "DELETE", "/v1/consultations/{id}", api_consultation_delete, ROLE_PARTNER, BODY_NONE, "/v1/consultations/{id}" },
    { "GET", "/v1/consultations/{id}/overlaps", api_consultation_overlaps, ROLE_PARTNER, BODY_NONE,
      "/v1/consultations/{id}/overlaps" },
    { "GET", "/v1/consultations/{id}/preflight", api_preflight, ROLE_PARTNER, BODY_NONE,
      "/v1/consultations/{id}/preflight" },
    { "POST", "/v1/consultations/{id}/outreach", api_outreach, ROLE_PARTNER, BODY_OPTIONAL,
      "/v1/consultations/{id}/outreach" },
    { "GET", "/v1/overlaps", api_overlap_list, ROLE_PARTNER, BODY_NONE, "/v1/overlaps" },
    { "GET", "/v1/overlaps/{id}", api_overlap_get, ROLE_PARTNER, BODY_NONE, "/v1/overlaps/{id}" },
    { "PATCH", "/v1/overlaps/{id}", api_overlap_patch, ROLE_PARTNER, BODY_PATCH, "/v1/overlaps/{id}" },
    { "GET", "/v1/fatigue", api_fatigue, ROLE_PARTNER, BODY_NONE, "/v1/fatigue" },
    { "GET", "/v1/vocabularies/{name}", api_vocabulary, ROLE_PARTNER, BODY_NONE, "/v1/vocabularies/{name}" },
    { "GET", "/v1/areas", api_area_search, ROLE_PARTNER, BODY_NONE, "/v1/areas" },
    { "GET", "/v1/areas/{code}", api_area, ROLE_PARTNER, BODY_NONE, "/v1/areas/{code}" },
    { "POST", "/v1/subscriptions", api_subscription_create, ROLE_COORDINATOR, BODY_JSON, "/v1/subscriptions" },
    { "GET", "/v1/subscriptions", api_subscription_list, ROLE_COORDINATOR, BODY_NONE, "/v1/subscriptions" },
    { "GET", "/v1/subscriptions/{id}", api_subscription_get, ROLE_COORDINATOR, BODY_NONE, "/v1/subscriptions/{id}" },
    { "PATCH", "/v1/subscriptions/{id}", api_subscription_patch, ROLE_COORDINATOR, BODY_PATCH,
      "/v1/subscriptions/{id}" },
    { "DELETE", "/v1/subscriptions/{id}", api_subscription_delete, ROLE_COORDINATOR, BODY_NONE,
      "/v1/subscriptions/{id}" },
    { "GET", "/v1/subscriptions/{id}/deliveries", api_subscription_deliveries, ROLE_COORDINATOR, BODY_NONE,
      "/v1/subscriptions/{id}/deliveries" },
    { "POST", "/v1/subscriptions/{id}/test", api_subscription_test, ROLE_COORDINATOR, BODY_OPTIONAL,
      "/v1/subscriptions/{id}/test" },
    { "POST", "/v1/feeds", api_feed_create, ROLE_PARTNER, BODY_JSON, "/v1/feeds" },
    { "GET", "/v1/feeds", api_feed_list, ROLE_PARTNER, BODY_NONE, "/v1/feeds" },
    { "DELETE", "/v1/feeds/{id}", api_feed_delete, ROLE_PARTNER, BODY_NONE, "/v1/feeds/{id}" },
    /* {token} is "<token>.ics": the handler checks the suffix */
    { "GET", "/feeds/{token}", api_feed_calendar, ROLE_NONE, BODY_NONE, "/feeds/{token}.ics" },
    { "GET", "/public/consultations.ics", api_public_calendar, ROLE_NONE, BODY_NONE, "/public/consultations.ics" },
    { "GET", "/public/consultations.json", api_public_json, ROLE_NONE, BODY_NONE, "/public/consultations.json" },
    { "GET", "/public/consultations.csv", api_public_csv, ROLE_NONE, BODY_NONE, "/public/consultations.csv" },
    { "GET", "/public/areas", api_public_area_search, ROLE_NONE, BODY_NONE, "/public/areas" },
    { "GET", "/public/datapackage.json", api_public_static, ROLE_NONE, BODY_NONE, "/public/datapackage.json" },
    { "GET", "/public/", api_public_static, ROLE_NONE, BODY_NONE, "/public/" },
    { "GET", "/public/app.js", api_public_static, ROLE_NONE, BODY_NONE, "/public/app.js" },
    { "GET", "/public/style.css", api_public_static, ROLE_NONE, BODY_NONE, "/public/style.css" },
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* Routes whose handler answers from single-statement reads (db_read) and so
 * holds no pool connection: authenticated with auth_begin_read. */
static bool reads_alone(const route *r)
{
    return r->handler == api_consultation_get || r->handler == api_consultation_overlaps ||
           r->handler == api_overlap_get || r->handler == api_me;
}

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "OTHER";
}

/* Matches path against pattern; copies a {param} segment into param. A final
 * {*} matches the rest of the path, slashes and nothing included. */
static bool match(const char *pattern, const char *path, char *param, size_t plen)
{
    const char *p = pattern, *s = path;
    while (*p) {
        if (strcmp(p, "{*}") == 0) {
            size_t n = strlen(s);
            if (n >= plen)
                return false;
            memcpy(param, s, n + 1);
            return true;
        }
        if (!*s)
            break;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *end = strchr(s, '/');
            size_t n = end ? (size_t)(end - s) : strlen(s);
            if (n == 0 || n >= plen)
                return false;
            memcpy(param, s, n);
            param[n] = '\0';
            p = close + 1;
            s += n;
        } else if (*p++ != *s++) {
            return false;
        }
    }
    return *p == '\0' && *s == '\0';
}

static void set_request_id(request *rq)
{
    const char *given = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "X-Request-Id");
    if (given && strlen(given) > 0 && strlen(given) < sizeof rq->request_id) {
        bool ok = true;
        for (const char *c = given; *c && ok; c++)
            ok = isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.';
        if (ok) {
            snprintf(rq->request_id, sizeof rq->request_id, "%s", given);
            return;
        }
    }
    if (uuid7_next(&rq->srv->request_ids, rq->request_id) < 0)
        snprintf(rq->request_id, sizeof rq->request_id, "unknown");
}

/* The media type of Content-Type, lower-cased, without parameters. */
static void media_type(const char *ct, char *out, size_t len, bool *bad_charset)
{
    size_t i = 0;
    *bad_charset = false;
    for (; ct && ct[i] && ct[i] != ';' && i + 1 < len; i++)
        out[i] = (char)tolower((unsigned char)ct[i]);
    while (i > 0 && out[i - 1] == ' ')
        i--;
    out[i] = '\0';
    const char *cs = ct ? strcasestr(ct, "charset=") : NULL;
    if (cs) {
        cs += 8;
        if (*cs == '"')
            cs++;
        if (strncasecmp(cs, "utf-8", 5) != 0 && strncasecmp(cs, "utf8", 4) != 0)
            *bad_charset = true;
    }
}

/* Checks type and size and parses a JSON body. Replies itself and returns -1
 * on failure. */
static int read_body(request *rq)
{
    const route *r = rq->route;
    struct evbuffer *in = evhttp_request_get_input_buffer(rq->req);
    size_t len = evbuffer_get_length(in);
    size_t max = (size_t)(r->body == BODY_CSV ? rq->srv->cfg->server_max_import_bytes
                                              : rq->srv->cfg->server_max_body_bytes);
    if (len > max) {
        char detail[96];
        snprintf(detail, sizeof detail, "The body is %zu bytes; the limit is %zu.", len, max);
        reply_problem(rq, 413, "too-large", "Payload too large", detail, NULL, NULL);
        return -1;
    }
    if (r->body == BODY_OPTIONAL && len == 0)
        return 0;
    char mt[64];
    bool bad_charset;
    media_type(evhttp_find_header(evhttp_request_get_input_headers(rq->req), "Content-Type"), mt, sizeof mt,
               &bad_charset);
    bool type_ok = r->body == BODY_CSV ? strcmp(mt, "text/csv") == 0
                   : strcmp(mt, "application/json") == 0 ||
                         (r->body == BODY_PATCH && strcmp(mt, "application/merge-patch+json") == 0);
    if (!type_ok || bad_charset) {
        const char *want = r->body == BODY_CSV ? "Send text/csv."
                           : r->body == BODY_PATCH ? "Send application/merge-patch+json or application/json (UTF-8)."
                                                   : "Send application/json (UTF-8).";
        reply_problem(rq, 415, "unsupported-media-type", "Unsupported media type", want, NULL, NULL);
        return -1;
    }
    rq->raw_body = (const char *)evbuffer_pullup(in, -1);
    rq->raw_len = len;
    if (r->body == BODY_CSV)
        return 0;
    json_error_t jerr;
    rq->body = json_loadb(rq->raw_body ? rq->raw_body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!rq->body) {
        char detail[300];
        snprintf(detail, sizeof detail, "The body is not valid JSON (line %d, column %d): %s", jerr.line,
                 jerr.column, jerr.text);
        reply_problem(rq, 400, "malformed-json", "Malformed JSON", detail, NULL, NULL);
        return -1;
    }
    if (!json_is_object(rq->body)) {
        reply_problem(rq, 400, "malformed-json", "Malformed JSON", "The body must be a JSON object.", NULL, NULL);
        return -1;
    }
    return 0;
}

/* The operations routes: all that server.admin_listen answers. */
static bool is_ops_route(const route *r)
{
    return r->handler == api_healthz || r->handler == api_readyz || r->handler == api_metrics;
}

/* Whether route r answers method: its own, and HEAD wherever it answers GET
 * (RFC 9110 section 9.3.2; http_reply.c sends the header fields without the
 * content). */
static bool answers(const route *r, const char *method)
{
    return strcmp(r->method, method) == 0 || (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

static void dispatch(struct evhttp_request *req, server *srv, bool ops_only)
{
    request *rq = calloc(1, sizeof *rq);
    if (!rq) {
        evhttp_send_reply(req, 503, "Service Unavailable", NULL);
        return;
    }
    rq->srv = srv;
    rq->req = req;
    rq->next = srv->requests;
    if (rq->next)
        rq->next->prev = rq;
    srv->requests = rq;
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    TAILQ_INIT(&rq->query);
    rq->method = method_name(evhttp_request_get_command(req));
    set_request_id(rq);

    hf_reason refused;
    if (srv->guard && http_guard_refused(srv->guard, req, &refused)) {
        /* The framing guard refused the request (http_guard.h): answer for it
         * and close the connection, which the guard no longer reads. */
        static const route refused_route = { "", "", NULL, ROLE_NONE, BODY_NONE, "refused" };
        const hf_problem *p = hf_reason_problem(refused);
        rq->route = &refused_route;
        rq->method = "OTHER";
        reply_header(rq, "Connection", "close");
        if (p->status == 501)
            reply_header(rq, "Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        reply_problem(rq, p->status, p->slug, p->title, p->detail, NULL, NULL);
        return;
    }

    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    if (!path || !*path) {
        reply_problem(rq, 400, "bad-request", "Bad request", "The request target is malformed.", NULL, NULL);
        return;
    }
    if (query && evhttp_parse_query_str(query, &rq->query) < 0) {
        reply_problem(rq, 400, "bad-query", "Bad query string", "The query string is malformed.", NULL, NULL);
        return;
    }

    char allow[64] = "";
    bool path_known = false;
    for (size_t i = 0; i < NROUTES; i++) {
        char param[sizeof rq->path_param];
        if ((ops_only && !is_ops_route(&routes[i])) || !match(routes[i].pattern, path, param, sizeof param))
            continue;
        path_known = true;
        if (!answers(&routes[i], rq->method)) {
            if (!strstr(allow, routes[i].method)) {
                size_t n = strlen(allow);
                bool get = strcmp(routes[i].method, "GET") == 0;
                snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "", get ? "GET, HEAD" : routes[i].method);
            }
            continue;
        }
        rq->route = &routes[i];
        memcpy(rq->path_param, param, sizeof param);
        break;
    }
    if (!rq->route) {
        if (path_known) {
            reply_header(rq, "Allow", allow);
            reply_problem(rq, 405, "method-not-allowed", "Method not allowed", NULL, NULL, NULL);
        } else {
            reply_problem(rq, 404, "not-found", "Not found", "No such resource.", NULL, NULL);
        }
        return;
    }
    if (rq->route->body != BODY_NONE && read_body(rq) < 0)
        return;
    if (rq->route->min_role == ROLE_NONE)
        rq->route->handler(rq);
    else if (reads_alone(rq->route))
        auth_begin_read(rq, rq->route->handler);
    else
        auth_begin(rq, rq->route->handler);
}

void router_dispatch(struct evhttp_request *req, void *arg)
{
    dispatch(req, arg, false);
}

void router_dispatch_ops(struct evhttp_request *req, void *arg)
{
    dispatch(req, arg, true);
}
