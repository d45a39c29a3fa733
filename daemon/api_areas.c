/* api_areas.c - GET /v1/areas?q=: area search for autocomplete, served from
 * the in-memory register (API.md section 7). */
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "area_input.h"
#include "field_errors.h"
#include "http_reply.h"
#include "server.h"

#define AREA_SEARCH_DEFAULT 20
#define AREA_SEARCH_MAX 100
#define AREA_SEARCH_TEXT_MAX 200

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

void api_area_search(request *rq)
{
    const area_register *r = rq->srv->areas;
    if (!r) {
        reply_unavailable(rq);
        return;
    }
    json_t *errors = json_array();
    const char *q = NULL, *level = NULL, *within_text = NULL, *parent_text = NULL;
    long limit = AREA_SEARCH_DEFAULT;
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
                errors_add(errors, "limit", "must be a whole number from 1 to %d", AREA_SEARCH_MAX);
            else if (limit > AREA_SEARCH_MAX)
                limit = AREA_SEARCH_MAX; /* clamped, as lists are */
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
