/* http_reply.c - JSON and problem+json responses, and the end of a request. */
#include "http_reply.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "router.h"
#include "server.h"

void request_free(request *rq)
{
    if (rq->conn)
        db_release(rq->conn);
    if (rq->state && rq->state_free)
        rq->state_free(rq->state);
    json_decref(rq->body);
    evhttp_clear_headers(&rq->query);
    if (rq->sink && rq->req)
        evhttp_request_free(rq->req);
    if (rq->prev)
        rq->prev->next = rq->next;
    else
        rq->srv->requests = rq->next;
    if (rq->next)
        rq->next->prev = rq->prev;
    free(rq);
}

void reply_header(request *rq, const char *name, const char *value)
{
    evhttp_add_header(evhttp_request_get_output_headers(rq->req), name, value);
}

/* The reply has been written to the socket: only now may a stopping daemon exit. */
static void on_reply_sent(struct evhttp_request *req, void *arg)
{
    (void)req;
    server *srv = arg;
    srv->unsent--;
}

static void finish(request *rq, int status, const char *content_type, struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);
    evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "X-Request-Id", rq->request_id);
    if (!evhttp_find_header(h, "Cache-Control"))
        evhttp_add_header(h, "Cache-Control", "no-store");
    if (rq->sink) {
        size_t n = body ? evbuffer_get_length(body) : 0;
        const char *bytes = n ? (const char *)evbuffer_pullup(body, -1) : "";
        rq->sink(rq->sink_arg, status, bytes, n);
        request_free(rq);
        return;
    }
    /* HEAD: the header fields GET would have, Content-Length included, and no
     * content (RFC 9110 sections 9.3.2 and 8.6). */
    if (strcmp(rq->method, "HEAD") == 0) {
        if (status != 204 && status != 304) {
            char len[24];
            snprintf(len, sizeof len, "%zu", body ? evbuffer_get_length(body) : 0);
            evhttp_add_header(h, "Content-Length", len);
        }
        body = NULL;
    }
    /* A request whose client has gone has no connection and is freed unsent. */
    if (evhttp_request_get_connection(rq->req)) {
        rq->srv->unsent++;
        evhttp_request_set_on_complete_cb(rq->req, on_reply_sent, rq->srv);
    }
    evhttp_send_reply(rq->req, status, NULL, body);

    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - rq->start.tv_sec) + (double)(now.tv_nsec - rq->start.tv_nsec) / 1e9;
    const char *route_name = rq->route ? rq->route->name : "unmatched";
    metrics_http(&rq->srv->metrics, rq->method, route_name, status, secs);
    log_access(rq->request_id, rq->method, route_name, status, secs * 1000.0,
               rq->role != ROLE_NONE ? rq->org_id : NULL);
    request_free(rq);
}

void reply_text(request *rq, int status, const char *content_type, const char *body, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add(b, body, len);
    finish(rq, status, content_type, b);
    if (b)
        evbuffer_free(b);
}

static void free_body(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

void reply_text_owned(request *rq, int status, const char *content_type, char *body, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (!b || evbuffer_add_reference(b, body, len, free_body, NULL) < 0) {
        free(body);
        if (b)
            evbuffer_free(b);
        reply_unavailable(rq);
        return;
    }
    finish(rq, status, content_type, b);
    evbuffer_free(b);
}

void reply_json_text(request *rq, int status, const char *json, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (b) {
        evbuffer_add(b, json, len);
        evbuffer_add(b, "\n", 1);
    }
    finish(rq, status, "application/json; charset=utf-8", b);
    if (b)
        evbuffer_free(b);
}

static int dump_cb(const char *buf, size_t size, void *data)
{
    return evbuffer_add(data, buf, size);
}

static void reply_json_typed(request *rq, int status, json_t *body, const char *type)
{
    struct evbuffer *b = evbuffer_new();
    if (b && body) {
        json_dump_callback(body, dump_cb, b, JSON_COMPACT);
        evbuffer_add(b, "\n", 1);
    }
    json_decref(body);
    finish(rq, status, type, b);
    if (b)
        evbuffer_free(b);
}

void reply_json(request *rq, int status, json_t *body)
{
    reply_json_typed(rq, status, body, "application/json; charset=utf-8");
}

void reply_problem(request *rq, int status, const char *slug, const char *title, const char *detail,
                   json_t *errors, json_t *ext)
{
    char type[96];
    snprintf(type, sizeof type, "urn:consultd:problem:%s", slug);
    json_t *p = json_pack("{s:s, s:s, s:i}", "type", type, "title", title, "status", status);
    if (p && detail)
        json_object_set_new(p, "detail", json_string(detail));
    if (p && errors)
        json_object_set(p, "errors", errors);
    if (p && ext)
        json_object_update(p, ext);
    json_decref(errors);
    json_decref(ext);
    if (status == 401 && !evhttp_find_header(evhttp_request_get_output_headers(rq->req), "WWW-Authenticate"))
        reply_header(rq, "WWW-Authenticate", "Bearer realm=\"consultd\"");
    reply_json_typed(rq, status, p, "application/problem+json; charset=utf-8");
}

void reply_unavailable(request *rq)
{
    reply_header(rq, "Retry-After", "1");
    reply_problem(rq, 503, "unavailable", "Service unavailable",
                  "The database is unavailable or busy; retry shortly.", NULL, NULL);
}

void reply_db_error(request *rq, const PGresult *res)
{
    const char *state = db_sqlstate(res);
    /* Lost connections, timeouts, shutdowns and serialisation failures are
     * transient: the client should retry. */
    if (!res || strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 ||
        strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strncmp(state, "53", 2) == 0) {
        reply_unavailable(rq);
        return;
    }
    log_error("request %s: database error %s: %s", rq->request_id, state, PQresultErrorMessage(res));
    reply_problem(rq, 500, "internal", "Internal error", "The request failed; it has been logged.", NULL, NULL);
}

bool reply_if_db_error(request *rq, const PGresult *res)
{
    if (db_ok(res))
        return false;
    reply_db_error(rq, res);
    return true;
}
