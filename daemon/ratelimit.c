/* ratelimit.c - token buckets in an open-addressed table (see ratelimit.h). */
#include "ratelimit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64 /* a key id (UUID), or "client:" and an address (IPv6: at most 45), and a terminator */

typedef struct bucket {
    char key[KEY_MAX];     /* "" : empty slot */
    double tokens;
    double at;             /* when tokens was computed */
} bucket;

struct ratelimit {
    bucket *slots;
    size_t cap;            /* a power of two, twice max_keys */
    size_t used, max_keys;
    unsigned long overflowed;
};

/* ceil() of a non-negative value, without libm. */
static long up(double x)
{
    long n = (long)x;
    return (double)n < x ? n + 1 : n;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

ratelimit *ratelimit_new(size_t max_keys)
{
    ratelimit *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->max_keys = max_keys ? max_keys : 1;
    r->cap = 2;
    while (r->cap < 2 * r->max_keys)
        r->cap <<= 1;
    r->slots = calloc(r->cap, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return NULL;
    }
    return r;
}

void ratelimit_free(ratelimit *r)
{
    if (!r)
        return;
    free(r->slots);
    free(r);
}

static double refilled(const bucket *b, double now, double rate, double size)
{
    double t = b->tokens + (now - b->at) * rate;
    return t > size ? size : t;
}

/* Drops the buckets that have refilled (no different from absent) and
 * re-inserts the rest, as linear probing needs. */
static void sweep(ratelimit *r, double now, double rate, double size)
{
    bucket *old = r->slots;
    bucket *fresh = calloc(r->cap, sizeof *fresh);
    if (!fresh)
        return;
    r->slots = fresh;
    r->used = 0;
    for (size_t i = 0; i < r->cap; i++) {
        if (!old[i].key[0] || refilled(&old[i], now, rate, size) >= size)
            continue;
        size_t j = (size_t)hash(old[i].key) & (r->cap - 1);
        while (fresh[j].key[0])
            j = (j + 1) & (r->cap - 1);
        fresh[j] = old[i];
        r->used++;
    }
    free(old);
}

static bucket *find(ratelimit *r, const char *key, bool *created)
{
    size_t i = (size_t)hash(key) & (r->cap - 1);
    while (r->slots[i].key[0]) {
        if (strcmp(r->slots[i].key, key) == 0) {
            *created = false;
            return &r->slots[i];
        }
        i = (i + 1) & (r->cap - 1);
    }
    if (r->used >= r->max_keys)
        return NULL;
    *created = true;
    r->used++;
    return &r->slots[i];
}

ratelimit_result ratelimit_take(ratelimit *r, const char *key, double now, double rate, long burst)
{
    double size = burst < 1 ? 1.0 : (double)burst;
    if (rate <= 0)
        rate = 1e-9;
    ratelimit_result out = { true, 0, 0, 0, (long)size, up(size / rate) };
    if (strlen(key) >= KEY_MAX) {
        out.remaining = (long)size;
        return out;
    }
    bool created = false;
    bucket *b = find(r, key, &created);
    if (!b) {
        sweep(r, now, rate, size);
        b = find(r, key, &created);
    }
    if (!b) { /* every tracked key is busy: let it through rather than refuse */
        r->overflowed++;
        out.remaining = 0;
        return out;
    }
    if (created) {
        strcpy(b->key, key);
        b->tokens = size;
        b->at = now;
    }
    double tokens = refilled(b, now, rate, size);
    b->at = now;
    if (tokens >= 1.0) {
        tokens -= 1.0;
        out.allowed = true;
    } else {
        out.allowed = false;
        double wait = (1.0 - tokens) / rate;
        out.retry_after_s = up(wait);
        if (out.retry_after_s < 1)
            out.retry_after_s = 1;
    }
    b->tokens = tokens;
    out.remaining = (long)tokens;
    out.reset_s = up((size - tokens) / rate);
    return out;
}

size_t ratelimit_keys(const ratelimit *r)
{
    return r->used;
}

unsigned long ratelimit_overflowed(const ratelimit *r)
{
    return r->overflowed;
}
