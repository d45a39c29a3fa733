/* api_feeds.c - /v1/feeds: an organisation's calendar feeds.
 *
 * Any role may create a feed; each organisation sees and revokes only its
 * own (another's is 404, as if it did not exist). The feed's address holds a
 * secret token shown once, in the 201 answer; only its hash is stored. The
 * calendar itself is served by api_public.c at /feeds/<token>.ics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "feed_query.h"
#include "feed_token.h"
#include "http_reply.h"
#include "list_query.h"
#include "server.h"
#include "store_feeds.h"

typedef struct cstate {
    char id[UUID_STR_LEN];
    char token[FEED_TOKEN_CHARS + 1];
    json_t *warnings;   /* about the filters' areas (feed_filters_parse), for the 201 answer */
} cstate;

static void cstate_free(void *p)
{
    cstate *st = p;
    memset(st->token, 0, sizeof st->token);
    json_decref(st->warnings);
    free(st);
}

static void on_created(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    char base[512], url[768];
    config_public_url(rq->srv->cfg, base, sizeof base);
    snprintf(url, sizeof url, "%s/feeds/%s.ics", base, st->token);
    if (!doc || json_object_set_new(doc, "url", json_string(url)) != 0 ||
        json_object_set(doc, "warnings", st->warnings) != 0) {
        json_decref(doc);
        reply_unavailable(rq);
        return;
    }
    char location[64];
    snprintf(location, sizeof location, "/v1/feeds/%s", st->id);
    reply_header(rq, "Location", location);
    reply_json(rq, 201, doc);
}

void api_feed_create(request *rq)
{
    server *srv = rq->srv;
    if (!srv->vocab || !srv->areas) {
        reply_unavailable(rq);
        return;
    }
    const char *label;
    json_t *filters;
    json_t *errors = json_array(), *warnings = json_array();
    if (feed_body_parse(rq->body, srv->vocab, srv->areas, &label, &filters, errors, warnings) < 0) {
        json_decref(warnings);
        reply_problem(rq, 422, "invalid-feed", "Invalid feed", "One or more fields are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    cstate *st = calloc(1, sizeof *st);
    if (st)
        st->warnings = warnings;
    else
        json_decref(warnings);
    unsigned char hash[FEED_TOKEN_HASH_LEN];
    char *ftext = json_dumps(filters, JSON_COMPACT);
    json_decref(filters);
    if (!st || !ftext || uuid7_new(st->id) < 0 || feed_token_new(st->token, hash) < 0) {
        free(st);
        free(ftext);
        reply_unavailable(rq);
        return;
    }
    rq->state = st;
    rq->state_free = cstate_free;
    char hash_hex[2 * FEED_TOKEN_HASH_LEN + 3];
    feed_token_hash_hex(hash, hash_hex);
    const char *p[] = { st->id, rq->org_id, label, ftext, hash_hex };
    db_query(rq->conn, SQL_FEED_INSERT, 5, p, on_created, rq);
    free(ftext);
}

/* ---- GET list ------------------------------------------------------------------- */

typedef struct lstate {
    int limit;
    char limit_text[16];
} lstate;

static void on_list(PGresult *res, void *arg)
{
    request *rq = arg;
    lstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    api_reply_page(rq, res, st->limit);
}

void api_feed_list(request *rq)
{
    json_t *errors = json_array();
    const char *cursor = NULL;
    int limit = LIST_DEFAULT_LIMIT;
    const struct evkeyval *kv;
    TAILQ_FOREACH(kv, &rq->query, next) {
        if (strcmp(kv->key, "limit") == 0) {
            char *end;
            long n = strtol(kv->value, &end, 10);
            if (!*kv->value || *end || n < 1)
                errors_add(errors, "limit", "must be a whole number from 1 (larger than %d is read as %d)",
                           LIST_MAX_LIMIT, LIST_MAX_LIMIT);
            else
                limit = n > LIST_MAX_LIMIT ? LIST_MAX_LIMIT : (int)n;
        } else if (strcmp(kv->key, "cursor") == 0) {
            if (strncmp(kv->value, "c1.", 3) != 0 || !uuid_valid(kv->value + 3))
                errors_add(errors, "cursor", "is not a cursor this server issued");
            else
                cursor = kv->value + 3;
        } else {
            errors_add(errors, kv->key, "unknown query parameter");
        }
    }
    if (json_array_size(errors) > 0) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    lstate *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    rq->state = st;
    rq->state_free = free;
    st->limit = limit;
    snprintf(st->limit_text, sizeof st->limit_text, "%d", limit + 1);
    const char *p[] = { rq->org_id, cursor, st->limit_text };
    db_query(rq->conn, SQL_FEED_LIST, 3, p, on_list, rq);
}

/* ---- DELETE: revoke ------------------------------------------------------------- */

static void on_revoked(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        reply_problem(rq, 404, "not-found", "Not found", "No feed with this id.", NULL, NULL);
        return;
    }
    reply_text(rq, 204, "application/json; charset=utf-8", "", 0);
}

void api_feed_delete(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        reply_problem(rq, 404, "not-found", "Not found", "No feed with this id.", NULL, NULL);
        return;
    }
    const char *p[] = { rq->path_param, rq->org_id };
    db_query(rq->conn, SQL_FEED_REVOKE, 2, p, on_revoked, rq);
}
