/* calendar_keys.c - cache keys of calendars and their events (see
 * calendar_keys.h). */
#include "calendar_keys.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "outbuf.h"

/* FNV-1a 64 over s and its terminating NUL (so "ab","c" and "a","bc" differ). */
static uint64_t mix(uint64_t h, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    do
        h = (h ^ *p) * 1099511628211ULL;
    while (*p++);
    return h;
}

/* Appends at most max bytes of s (NULL: nothing); returns the end. */
static char *put_str(char *p, const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max) : 0;
    memcpy(p, s ? s : "", n);
    return p + n;
}

void calendar_event_key(const calendar_event_ref *e, const calendar_context *ctx,
                        char out[CALENDAR_EVENT_KEY_LEN])
{
    uint64_t h = 14695981039346656037ULL;
    h = mix(h, e->updated);
    h = mix(h, e->organisation);
    for (int i = 0; i < 8; i++) /* the generation, byte by byte */
        h = (h ^ (unsigned char)((unsigned long long)ctx->generation >> (8 * i))) * 1099511628211ULL;
    h = mix(h, ctx->console_url);
    h = mix(h, ctx->public_page);
    char *p = put_str(out, e->id, 36);
    *p++ = ':';
    p = put_str(p, e->version, 20);
    *p++ = ':';
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, h >>= 4)
        p[i] = hex[h & 15];
    p[16] = '\0';
}

int calendar_etag(const char (*keys)[CALENDAR_EVENT_KEY_LEN], size_t n, bool truncated, const list_query *q,
                  const char *name, const calendar_context *ctx, char out[ETAG_LEN])
{
    outbuf b = { 0 };
    char line[96];
    snprintf(line, sizeof line, "%s\n%zu %d\n%lld\n", CONSULTD_VERSION, n, truncated, ctx->generation);
    outbuf_adds(&b, line);
    outbuf_adds(&b, ctx->console_url ? ctx->console_url : "");
    outbuf_add(&b, "\n", 1);
    outbuf_adds(&b, ctx->public_page ? ctx->public_page : "");
    outbuf_add(&b, "\n", 1);
    outbuf_adds(&b, name ? name : "");
    outbuf_add(&b, "\n", 1);
    outbuf_adds(&b, q->sql ? q->sql : "");
    for (int i = 0; i < q->nparams; i++) {
        outbuf_add(&b, "\n", 1);
        outbuf_adds(&b, q->params[i] ? q->params[i] : "");
    }
    for (size_t i = 0; i < n; i++) {
        outbuf_add(&b, "\n", 1);
        outbuf_adds(&b, keys[i]);
    }
    if (b.failed) {
        outbuf_free(&b);
        return -1;
    }
    etag_of(b.s, b.len, out);
    outbuf_free(&b);
    return 0;
}
