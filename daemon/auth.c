/* auth.c - bearer tokens checked against api_keys. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_reply.h"
#include "ratelimit.h"
#include "router.h"
#include "server.h"
#include "store_keys.h"
#include "token.h"

typedef struct auth_state {
    void (*next)(request *rq);
    unsigned char hash[TOKEN_HASH_LEN];
} auth_state;

role role_parse(const char *s)
{
    if (strcmp(s, "partner") == 0)
        return ROLE_PARTNER;
    if (strcmp(s, "coordinator") == 0)
        return ROLE_COORDINATOR;
    if (strcmp(s, "admin") == 0)
        return ROLE_ADMIN;
    return ROLE_NONE;
}

const char *role_name(role r)
{
    static const char *names[] = { "none", "partner", "coordinator", "admin" };
    return names[r];
}

static void reject(request *rq, const char *detail)
{
    reply_header(rq, "WWW-Authenticate", "Bearer realm=\"consultd\", error=\"invalid_token\"");
    reply_problem(rq, 401, "unauthorized", "Unauthorized", detail, NULL, NULL);
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static auth_cache_entry *cache_slot(server *srv, const char *key_id)
{
    unsigned h = 2166136261u;
    for (const char *p = key_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &srv->auth_cache->slots[h % AUTH_CACHE_SLOTS];
}

static time_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

int auth_rate_limit(request *rq, const char *bucket, const char *scope, const char *detail)
{
    server *srv = rq->srv;
    const config *cfg = srv->cfg;
    if (cfg->limits_key_burst == 0 || !srv->ratelimit)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ratelimit_result rl = ratelimit_take(srv->ratelimit, bucket, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9,
                                         (double)cfg->limits_key_rate, cfg->limits_key_burst);
    char policy[96], state[96], retry[24];
    snprintf(policy, sizeof policy, "\"%s\";q=%ld;w=%ld", scope, rl.limit, rl.window_s);
    snprintf(state, sizeof state, "\"%s\";r=%ld;t=%ld", scope, rl.remaining,
             rl.allowed ? rl.reset_s : rl.retry_after_s);
    reply_header(rq, "RateLimit-Policy", policy);
    reply_header(rq, "RateLimit", state);
    if (rl.allowed)
        return 0;
    srv->metrics.rate_limited++;
    snprintf(retry, sizeof retry, "%ld", rl.retry_after_s);
    reply_header(rq, "Retry-After", retry);
    reply_problem(rq, 429, "rate-limited", "Too many requests", detail, NULL, NULL);
    return -1;
}

/* The key's token bucket (limits.key_rate, limits.key_burst; burst 0: off).
 * Returns -1 when the request was refused 429. */
static int rate_limit(request *rq)
{
    return auth_rate_limit(rq, rq->key_id, "per-key",
                           "This API key has used its request allowance (limits.key_rate a second, bursts of "
                           "limits.key_burst); retry after the Retry-After seconds.");
}

/* After authentication: the rate limit, the role check, then the handler. */
static void authorised(request *rq, void (*next)(request *rq))
{
    if (rate_limit(rq) < 0)
        return;
    if (rq->role < rq->route->min_role) {
        reply_problem(rq, 403, "forbidden", "Forbidden", "This API key's role may not use this operation.",
                      NULL, NULL);
        return;
    }
    next(rq);
}

static void on_key(PGresult *res, void *arg)
{
    request *rq = arg;
    auth_state *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    unsigned char stored[TOKEN_HASH_LEN] = { 0 };
    bool found = PQntuples(res) == 1;
    if (found) {
        const char *hex = PQgetvalue(res, 0, 0); /* bytea text form: \x + 64 hex digits */
        if (strlen(hex) != 2 + 2 * TOKEN_HASH_LEN)
            found = false;
        for (int i = 0; found && i < TOKEN_HASH_LEN; i++) {
            int hi = hex_nibble(hex[2 + 2 * i]), lo = hex_nibble(hex[3 + 2 * i]);
            if (hi < 0 || lo < 0)
                found = false;
            else
                stored[i] = (unsigned char)(hi << 4 | lo);
        }
    }
    /* Compare even when no row was found, so timing says nothing about ids. */
    bool match = token_hash_equal(stored, st->hash) && found;
    if (!match) {
        reject(rq, "The API key is unknown, revoked or wrong.");
        return;
    }
    rq->role = role_parse(PQgetvalue(res, 0, 1));
    snprintf(rq->org_id, sizeof rq->org_id, "%s", PQgetvalue(res, 0, 2));
    int ttl = rq->srv->cfg->server_auth_cache_s;
    if (ttl > 0) {
        auth_cache_entry *e = cache_slot(rq->srv, rq->key_id);
        memcpy(e->key_id, rq->key_id, sizeof e->key_id);
        memcpy(e->hash, stored, sizeof e->hash);
        e->role = rq->role;
        memcpy(e->org_id, rq->org_id, sizeof e->org_id);
        e->until = now_s() + ttl;
    }
    void (*next)(request *) = st->next;
    rq->state_free(rq->state);
    rq->state = NULL;
    rq->state_free = NULL;
    authorised(rq, next);
}

/* A verified key from the cache: take a connection for the handler. */
static void on_conn_cached(db_conn *conn, void *arg)
{
    request *rq = arg;
    auth_state *st = rq->state;
    if (!conn) {
        reply_unavailable(rq);
        return;
    }
    rq->conn = conn;
    void (*next)(request *) = st->next;
    rq->state_free(rq->state);
    rq->state = NULL;
    rq->state_free = NULL;
    authorised(rq, next);
}

static void on_conn(db_conn *conn, void *arg)
{
    request *rq = arg;
    if (!conn) {
        reply_unavailable(rq);
        return;
    }
    rq->conn = conn;
    const char *p[] = { rq->key_id };
    db_query(conn, SQL_KEY_GET, 1, p, on_key, rq);
}

/* The key is checked; hand over to the handler without a connection. */
static void authorised_alone(request *rq)
{
    auth_state *st = rq->state;
    void (*next)(request *) = st->next;
    rq->state_free(rq->state);
    rq->state = NULL;
    rq->state_free = NULL;
    authorised(rq, next);
}

static void begin(request *rq, void (*next)(request *rq), bool hold)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        reply_problem(rq, 401, "unauthorized", "Unauthorized",
                      "Send an API key as \"Authorization: Bearer <token>\".", NULL, NULL);
        return;
    }
    const char *token = h + 7;
    while (*token == ' ')
        token++;
    auth_state *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    if (token_parse(token, rq->key_id, st->hash) < 0) {
        free(st);
        reject(rq, "The API key is malformed.");
        return;
    }
    st->next = next;
    rq->state = st;
    rq->state_free = free;
    auth_cache_entry *e = cache_slot(rq->srv, rq->key_id);
    if (rq->srv->cfg->server_auth_cache_s > 0 && strcmp(e->key_id, rq->key_id) == 0 && e->until > now_s() &&
        token_hash_equal(e->hash, st->hash)) {
        rq->role = e->role;
        memcpy(rq->org_id, e->org_id, sizeof rq->org_id);
        if (hold)
            db_acquire(rq->srv->db, on_conn_cached, rq);
        else
            authorised_alone(rq);
        return;
    }
    if (hold) {
        db_acquire(rq->srv->db, on_conn, rq);
        return;
    }
    const char *p[] = { rq->key_id };
    db_read(rq->srv->db, SQL_KEY_GET, 1, p, on_key, rq);
}

void auth_begin(request *rq, void (*next)(request *rq))
{
    begin(rq, next, true);
}

void auth_begin_read(request *rq, void (*next)(request *rq))
{
    begin(rq, next, false);
}
