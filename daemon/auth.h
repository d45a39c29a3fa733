/* auth.h - bearer-key authentication and roles.
 *
 * auth_begin takes a database connection for the request, looks the key up
 * by the id inside the token, compares the secret's hash in constant time,
 * checks the route's role, and calls next with rq->conn held. Failures reply
 * 401 (with WWW-Authenticate), 403 or 503 themselves. */
#ifndef CONSULTD_AUTH_H
#define CONSULTD_AUTH_H

#include <time.h>

#include "request.h"

void auth_begin(request *rq, void (*next)(request *rq));
/* The same for a handler that holds no connection (its statements go through
 * db_read): next is called with rq->conn NULL, and an uncached key is looked
 * up with db_read. */
void auth_begin_read(request *rq, void (*next)(request *rq));

/* Takes one request from the token bucket named bucket (limits.key_rate a
 * second, bursts of limits.key_burst; burst 0 turns limits off) and sets the
 * RateLimit-Policy and RateLimit header fields under scope ("per-key",
 * "per-client"; draft-ietf-httpapi-ratelimit-headers). Returns 0 when the
 * request may go on, or -1 after replying 429 with Retry-After and a problem
 * whose detail is detail (the request is then finished). */
int auth_rate_limit(request *rq, const char *bucket, const char *scope, const char *detail);

/* Keys verified in the last server.auth_cache_s seconds are trusted without a
 * lookup (the secret's hash is still compared, in constant time). A revoked
 * key therefore stops working within that many seconds. Direct-mapped by key
 * id: bounded memory, no eviction policy to get wrong. */
#define AUTH_CACHE_SLOTS 1024

typedef struct auth_cache_entry {
    char key_id[UUID_STR_LEN];
    unsigned char hash[32];
    role role;
    char org_id[UUID_STR_LEN];
    time_t until;                 /* CLOCK_MONOTONIC seconds */
} auth_cache_entry;

typedef struct auth_cache {
    auth_cache_entry slots[AUTH_CACHE_SLOTS];
} auth_cache;

/* Parses "partner" / "coordinator" / "admin"; ROLE_NONE otherwise. */
role role_parse(const char *s);
/* The name role_parse reads (a static string). */
const char *role_name(role r);

#endif
