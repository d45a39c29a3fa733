/* api_areas.c - GET /v1/areas?q= (partners) and GET /public/areas?q= (anyone:
 * the residents' page): area search for autocomplete, served from the
 * in-memory register (API.md section 7). One search for both; the public one
 * answers fewer areas at a time and is rate-limited per client address, as
 * it needs no key. The register is public reference data (ONS). */
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "area_input.h"
#include "auth.h"
#include "field_errors.h"
#include "http_reply.h"
#include "server.h"

#define AREA_SEARCH_DEFAULT 20
#define AREA_SEARCH_MAX 100
#define AREA_SEARCH_TEXT_MAX 200
#define PUBLIC_AREA_SEARCH_DEFAULT 10
#define PUBLIC_AREA_SEARCH_MAX 20

static json_t *area_item(const area_register *r, const area_info *a)
{
    json_t *parents = json_array();
    for (size_t i = 0; i < a->nparents; i++) {
        const area_info *p = areas_find(r, a->parents[i]);
        if (p)
            json_array_append_new(parents,
                                  json_pack("{s:s, s:s, s:s}", "code", p->code, "name", p->name, "level", p->level));
    }
    return json_pack("{s:s, s:s, s:s?, s:s, s:o}", "code", a->code, "name", a->name, "name_cy", a->name_cy, "level",
                     a->level, "parents", parents);
}

/* The search for both routes: limit defaults to def, clamped to max. */
static void area_search(request *rq, long def, long max)
{
    const area_register *r = rq->srv->areas;
    if (!r) {
        reply_unavailable(rq);
        return;
    }
    json_t *errors = json_array();
    const char *q = NULL, *level = NULL, *within_text = NULL, *parent_text = NULL;
    long limit = def;
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, &rq->query, next) {
        if (strcmp(kv->key, "q") == 0) {
            q = kv->value;
            if (strlen(q) > AREA_SEARCH_TEXT_MAX)
                errors_add(errors, "q", "must be at most %d characters", AREA_SEARCH_TEXT_MAX);
        } else if (strcmp(kv->key, "level") == 0) {
            level = kv->value;
        } else if (strcmp(kv->key, "within") == 0) {
            within_text = kv->value;
        } else if (strcmp(kv->key, "parent") == 0) {
            parent_text = kv->value;
        } else if (strcmp(kv->key, "limit") == 0) {
            char *end;
            limit = strtol(kv->value, &end, 10);
            if (!*kv->value || *end || limit < 1)
                errors_add(errors, "limit", "must be a whole number from 1 to %ld", max);
            else if (limit > max)
                limit = max; /* clamped, as lists are */
        } else {
            errors_add(errors, kv->key, "unknown query parameter (q, level, within, parent, limit)");
        }
    }
    area_code within;
    if (within_text && area_input_resolve(r, within_text, "within", within, errors, NULL) && !areas_find(r, within))
        errors_add(errors, "within", "\"%s\" is not in the area register", within);
    area_code parent;
    if (parent_text && area_input_resolve(r, parent_text, "parent", parent, errors, NULL) && !areas_find(r, parent))
        errors_add(errors, "parent", "\"%s\" is not in the area register", parent);
    if ((!q || !*q) && !within_text && !parent_text)
        errors_add(errors, "q", "is required (or within, or parent): the text to search area names and codes for");
    if (json_array_size(errors)) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    const area_info *hits[AREA_SEARCH_MAX];
    size_t n = areas_search(r, q ? q : "", level, within_text ? within : NULL, parent_text ? parent : NULL, hits,
                            (size_t)limit);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, area_item(r, hits[i]));
    reply_json(rq, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void api_area_search(request *rq)
{
    area_search(rq, AREA_SEARCH_DEFAULT, AREA_SEARCH_MAX);
}

/* The public search's token bucket, one per client address (limits.key_rate
 * and limits.key_burst, as for a key; key_burst 0: off). Returns -1 when the
 * request was refused 429. */
static int public_rate_limit(request *rq)
{
    char *addr = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *conn = evhttp_request_get_connection(rq->req);
    if (conn)
        evhttp_connection_get_peer(conn, &addr, &port);
    char key[64];
    snprintf(key, sizeof key, "client:%s", addr ? addr : "");
    return auth_rate_limit(rq, key, "per-client",
                           "This address has searched too often; retry after the Retry-After seconds.");
}

void api_public_area_search(request *rq)
{
    api_security_headers(rq); /* errors included */
    if (public_rate_limit(rq) < 0)
        return;
    area_search(rq, PUBLIC_AREA_SEARCH_DEFAULT, PUBLIC_AREA_SEARCH_MAX);
}
