/* body_cache.h - rendered bodies kept by their ETag (pure: no I/O).
 *
 * A calendar's ETag is a hash of everything its bytes are made from
 * (api_public.c, on_fingerprint), so two requests with the same ETag get the
 * same bytes: the second need not read the rows or render them. Subscribed
 * calendar clients poll the same addresses all day, and a public calendar
 * has many subscribers, so most full answers repeat a recent one.
 *
 * Bounded twice: at most BODY_CACHE_ENTRIES bodies and max_bytes bytes in
 * all; the least recently used go first, and a body larger than max_bytes
 * is not kept. Single-threaded (the event loop's). */
#ifndef CONSULTD_BODY_CACHE_H
#define CONSULTD_BODY_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#define BODY_CACHE_ENTRIES 64
/* The daemon's cache of rendered calendars: a 5,000-event calendar is about
 * 4 MB, so four of the largest, or many small ones. */
#define CALENDAR_CACHE_BYTES (16u << 20)
#define BODY_CACHE_KEY_MAX 64

typedef struct body_cache body_cache;

/* NULL when out of memory. max_bytes 0 keeps nothing. Free with body_cache_free. */
body_cache *body_cache_new(size_t max_bytes);
void body_cache_free(body_cache *c);

/* The body kept under key (its length in *len and the flags it was put with
 * in *flags, either may be NULL), or NULL. The pointer is borrowed: valid
 * until the next body_cache_put or body_cache_free. A hit makes the entry
 * the most recently used. */
const char *body_cache_get(body_cache *c, const char *key, size_t *len, unsigned *flags);

/* Keeps a copy of body (len bytes) under key (at most BODY_CACHE_KEY_MAX - 1
 * characters), replacing what key held, with flags the caller defines (e.g.
 * "the list was truncated"). Evicts the least recently used entries until it
 * fits. Returns 0 when kept, 1 when not kept (too large, key too long, c
 * NULL), -1 when out of memory (the cache is unchanged but for evictions). */
int body_cache_put(body_cache *c, const char *key, const char *body, size_t len, unsigned flags);

/* Bytes held (for /metrics and tests). */
size_t body_cache_bytes(const body_cache *c);

#endif
