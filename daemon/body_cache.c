/* body_cache.c - rendered bodies kept by their ETag (see body_cache.h). */
#include "body_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char key[BODY_CACHE_KEY_MAX];
    char *body;                   /* owned; NULL: the slot is free */
    size_t len;
    unsigned flags;
    uint64_t used;                /* the tick of its last put or hit */
} entry;

struct body_cache {
    entry e[BODY_CACHE_ENTRIES];
    size_t bytes, max_bytes;
    uint64_t tick;
};

body_cache *body_cache_new(size_t max_bytes)
{
    body_cache *c = calloc(1, sizeof *c);
    if (c)
        c->max_bytes = max_bytes;
    return c;
}

static void drop(body_cache *c, entry *e)
{
    c->bytes -= e->len;
    free(e->body);
    memset(e, 0, sizeof *e);
}

void body_cache_free(body_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < BODY_CACHE_ENTRIES; i++)
        free(c->e[i].body);
    free(c);
}

static entry *find(body_cache *c, const char *key)
{
    for (size_t i = 0; i < BODY_CACHE_ENTRIES; i++)
        if (c->e[i].body && strcmp(c->e[i].key, key) == 0)
            return &c->e[i];
    return NULL;
}

const char *body_cache_get(body_cache *c, const char *key, size_t *len, unsigned *flags)
{
    entry *e = c && key ? find(c, key) : NULL;
    if (!e)
        return NULL;
    e->used = ++c->tick;
    if (len)
        *len = e->len;
    if (flags)
        *flags = e->flags;
    return e->body;
}

/* The least recently used entry, or NULL when none is held. */
static entry *oldest(body_cache *c)
{
    entry *o = NULL;
    for (size_t i = 0; i < BODY_CACHE_ENTRIES; i++)
        if (c->e[i].body && (!o || c->e[i].used < o->used))
            o = &c->e[i];
    return o;
}

int body_cache_put(body_cache *c, const char *key, const char *body, size_t len, unsigned flags)
{
    if (!c || !key || strlen(key) >= BODY_CACHE_KEY_MAX || len > c->max_bytes || !len)
        return 1;
    entry *e = find(c, key);
    if (e)
        drop(c, e);
    for (;;) {
        entry *free_slot = NULL;
        for (size_t i = 0; i < BODY_CACHE_ENTRIES && !free_slot; i++)
            if (!c->e[i].body)
                free_slot = &c->e[i];
        if (free_slot && c->bytes + len <= c->max_bytes) {
            e = free_slot;
            break;
        }
        drop(c, oldest(c)); /* something is held: either no slot is free or the bytes are over */
    }
    e->body = malloc(len);
    if (!e->body)
        return -1;
    memcpy(e->body, body, len);
    strcpy(e->key, key);
    e->len = len;
    e->flags = flags;
    e->used = ++c->tick;
    c->bytes += len;
    return 0;
}

size_t body_cache_bytes(const body_cache *c)
{
    return c ? c->bytes : 0;
}
