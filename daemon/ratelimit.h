/* ratelimit.h - a token bucket per API key (pure: the caller passes the time).
 *
 * Each key's bucket holds up to `burst` tokens (at least 1) and refills at
 * `rate` tokens a second; a request takes one. Buckets live in a fixed-size
 * table: a full bucket is the same as no bucket, so when the table is full the
 * full ones are dropped; if none is full the request is let through (and
 * counted in .overflowed) rather than refused for want of memory. */
#ifndef CONSULTD_RATELIMIT_H
#define CONSULTD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ratelimit ratelimit;

typedef struct ratelimit_result {
    bool allowed;
    long remaining;       /* whole tokens left after this request */
    long retry_after_s;   /* when refused: seconds until a token is there (>= 1) */
    long reset_s;         /* seconds until the bucket is full again */
    long limit;           /* the bucket's size */
    long window_s;        /* seconds to fill an empty bucket */
} ratelimit_result;

/* A table for at most max_keys buckets (0 counts as 1); NULL when out of
 * memory. The caller owns it and frees it with ratelimit_free (NULL: nothing). */
ratelimit *ratelimit_new(size_t max_keys);
void ratelimit_free(ratelimit *r);

/* Takes a token from key's bucket (key copied; at most 63 bytes, a key id
 * or "client:" and a client's address: a longer one is never limited) at time now (seconds, monotonic), with rate
 * (tokens a second; <= 0 is treated as nearly 0) and burst (< 1 counts as 1). */
ratelimit_result ratelimit_take(ratelimit *r, const char *key, double now, double rate, long burst);

/* How many buckets the table holds now (a gauge). */
size_t ratelimit_keys(const ratelimit *r);
/* How many requests were let through because the table was full (a counter). */
unsigned long ratelimit_overflowed(const ratelimit *r);

#endif
