/* body_cache.c - rendered bodies kept by key (see body_cache.h). */
#include "body_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One kept body: key and body in one allocation after the header. */
typedef struct entry {
    struct entry *chain;         /* the next in its bucket */
    struct entry *newer, *older; /* the recency list */
    uint64_t hash;
    size_t len;
    unsigned flags;
    char *body;                  /* points into this allocation, after key */
    char key[];
} entry;

struct body_cache {
    entry **buckets;
    size_t nbuckets;             /* a power of two */
    entry *newest, *oldest;
    size_t entries, max_entries, bytes, max_bytes;
};

/* A hash of the key read eight bytes at a time (multiply and fold, as
 * MurmurHash3's finaliser does): keys are tens of bytes, looked up thousands
 * of times per calendar, so a byte-at-a-time hash would be most of the
 * look-up's cost. */
static uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ len, w;
    for (; len >= 8; key += 8, len -= 8) {
        memcpy(&w, key, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, key, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

body_cache *body_cache_new(size_t max_entries, size_t max_bytes)
{
    body_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->max_entries = max_entries ? max_entries : 1;
    c->max_bytes = max_bytes;
    c->nbuckets = 16;
    while (c->nbuckets < c->max_entries && c->nbuckets < ((size_t)1 << 20))
        c->nbuckets <<= 1;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    return c;
}

void body_cache_free(body_cache *c)
{
    if (!c)
        return;
    for (entry *e = c->newest, *next; e; e = next) {
        next = e->older;
        free(e);
    }
    free(c->buckets);
    free(c);
}

static entry **slot_of(body_cache *c, const char *key, uint64_t h)
{
    entry **s = &c->buckets[h & (c->nbuckets - 1)];
    while (*s && ((*s)->hash != h || strcmp((*s)->key, key) != 0))
        s = &(*s)->chain;
    return s;
}

static void unlink_recency(body_cache *c, entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void push_newest(body_cache *c, entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    c->newest = e;
    if (!c->oldest)
        c->oldest = e;
}

/* Removes e (found at *s in its bucket) and frees it. */
static void drop(body_cache *c, entry **s, entry *e)
{
    *s = e->chain;
    unlink_recency(c, e);
    c->bytes -= e->len;
    c->entries--;
    free(e);
}

const char *body_cache_get(body_cache *c, const char *key, size_t *len, unsigned *flags)
{
    if (!c || !key)
        return NULL;
    entry *e = *slot_of(c, key, key_hash(key, strlen(key)));
    if (!e)
        return NULL;
    unlink_recency(c, e);
    push_newest(c, e);
    if (len)
        *len = e->len;
    if (flags)
        *flags = e->flags;
    return e->body;
}

int body_cache_put(body_cache *c, const char *key, const char *body, size_t len, unsigned flags)
{
    if (!c || !key || !len || len > c->max_bytes)
        return 1;
    size_t klen = strlen(key);
    if (klen >= BODY_CACHE_KEY_MAX)
        return 1;
    uint64_t h = key_hash(key, klen);
    entry **s = slot_of(c, key, h);
    if (*s)
        drop(c, s, *s);
    while (c->oldest && (c->entries >= c->max_entries || c->bytes + len > c->max_bytes)) {
        entry *o = c->oldest;
        drop(c, slot_of(c, o->key, o->hash), o);
    }
    entry *e = malloc(sizeof *e + klen + 1 + len);
    if (!e)
        return -1;
    *e = (entry){ .hash = h, .len = len, .flags = flags };
    memcpy(e->key, key, klen + 1);
    e->body = e->key + klen + 1;
    memcpy(e->body, body, len);
    s = &c->buckets[h & (c->nbuckets - 1)];
    e->chain = *s;
    *s = e;
    push_newest(c, e);
    c->bytes += len;
    c->entries++;
    return 0;
}

int body_cache_copy_into(const body_cache *from, body_cache *to)
{
    if (!from || from == to)
        return 0;
    for (const entry *e = from->oldest; e; e = e->newer)
        if (body_cache_put(to, e->key, e->body, e->len, e->flags) < 0)
            return -1;
    return 0;
}

size_t body_cache_bytes(const body_cache *c)
{
    return c ? c->bytes : 0;
}

size_t body_cache_entries(const body_cache *c)
{
    return c ? c->entries : 0;
}
