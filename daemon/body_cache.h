/* body_cache.h - rendered bodies kept by a key that names their bytes (pure:
 * no I/O).
 *
 * Two of them serve the calendars (api_public.c):
 *   - whole calendars by their ETag, a hash of everything their bytes are
 *     made from, so two requests with the same ETag get the same bytes and
 *     the second need not read the rows or render them (subscribed calendar
 *     clients poll the same addresses all day; a public calendar has many
 *     subscribers);
 *   - each consultation's VEVENT by its id, version and what else its bytes
 *     depend on (the organisation's name, the area names' generation, the
 *     console's address), so a calendar whose rows changed, or a new feed
 *     over rows already shown, renders only the events not seen before.
 *
 * Bounded twice: at most max_entries entries and max_bytes bytes of bodies
 * in all; the least recently used go first, and a body larger than
 * max_bytes is not kept. A look-up is one hash probe (chained buckets). Single-threaded (the event loop's). */
#ifndef CONSULTD_BODY_CACHE_H
#define CONSULTD_BODY_CACHE_H

#include <stdbool.h>
#include <stddef.h>

/* The daemon's whole calendars: a 5,000-event calendar is about 4 MB, so
 * four of the largest, or many small ones. */
#define CALENDAR_CACHE_ENTRIES 64
#define CALENDAR_CACHE_BYTES (16u << 20)
/* The daemon's rendered events: about 0.8 kB each, so some 20,000 (twice
 * the largest calendar, CALENDAR_MAX_EVENTS), at most 16 MiB. */
#define EVENT_CACHE_ENTRIES 32768
#define EVENT_CACHE_BYTES (16u << 20)
#define BODY_CACHE_KEY_MAX 96

typedef struct body_cache body_cache;

/* A cache of at most max_entries bodies (at least 1) and max_bytes bytes;
 * max_bytes 0 keeps nothing. NULL when out of memory. Free with
 * body_cache_free. */
body_cache *body_cache_new(size_t max_entries, size_t max_bytes);
void body_cache_free(body_cache *c);

/* The body kept under key (its length in *len and the flags it was put with
 * in *flags, either may be NULL), or NULL. The pointer is borrowed: valid
 * until the next body_cache_put or body_cache_free. A hit makes the entry
 * the most recently used. */
const char *body_cache_get(body_cache *c, const char *key, size_t *len, unsigned *flags);

/* Keeps a copy of body (len bytes) under key (at most BODY_CACHE_KEY_MAX - 1
 * characters), replacing what key held, with flags the caller defines (e.g.
 * "the list was truncated"). Evicts the least recently used entries until it
 * fits. Returns 0 when kept, 1 when not kept (too large, empty, key too
 * long, c NULL), -1 when out of memory (the key is then not held). */
int body_cache_put(body_cache *c, const char *key, const char *body, size_t len, unsigned flags);

/* Puts a copy of every body held by from into to (body_cache_put, with its
 * flags), the least recently used first, so that to's recency follows
 * from's; from is unchanged (NULL, or the same cache as to: nothing done).
 * Returns 0, or -1 when out of memory (the bodies copied before stay). */
int body_cache_copy_into(const body_cache *from, body_cache *to);

/* Bytes of bodies held, and entries held (for /metrics and tests). */
size_t body_cache_bytes(const body_cache *c);
size_t body_cache_entries(const body_cache *c);

#endif
