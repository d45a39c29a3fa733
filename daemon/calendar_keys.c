/* calendar_keys.c - cache keys of calendars and their events (see
 * calendar_keys.h). */
#include "calendar_keys.h"

#include <stdint.h>
#include <stdio.h>

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

void calendar_event_key(const calendar_event_ref *e, const calendar_context *ctx,
                        char out[CALENDAR_EVENT_KEY_LEN])
{
    char gen[24];
    snprintf(gen, sizeof gen, "%lld", ctx->generation);
    uint64_t h = 14695981039346656037ULL;
    h = mix(h, e->updated);
    h = mix(h, e->organisation);
    h = mix(h, gen);
    h = mix(h, ctx->console_url);
    snprintf(out, CALENDAR_EVENT_KEY_LEN, "%.36s:%.20s:%016llx", e->id ? e->id : "",
             e->version ? e->version : "", (unsigned long long)h);
}

int calendar_etag(const calendar_event_ref *events, size_t n, bool truncated, const list_query *q,
                  const char *name, const calendar_context *ctx, char out[ETAG_LEN])
{
    outbuf b = { 0 };
    char line[96];
    snprintf(line, sizeof line, "%s\n%zu %d\n%lld\n", CONSULTD_VERSION, n, truncated, ctx->generation);
    outbuf_adds(&b, line);
    outbuf_adds(&b, ctx->console_url ? ctx->console_url : "");
    outbuf_add(&b, "\n", 1);
    outbuf_adds(&b, name ? name : "");
    outbuf_add(&b, "\n", 1);
    outbuf_adds(&b, q->sql ? q->sql : "");
    for (int i = 0; i < q->nparams; i++) {
        outbuf_add(&b, "\n", 1);
        outbuf_adds(&b, q->params[i] ? q->params[i] : "");
    }
    for (size_t i = 0; i < n; i++) {
        char key[CALENDAR_EVENT_KEY_LEN];
        calendar_event_key(&events[i], ctx, key);
        outbuf_add(&b, "\n", 1);
        outbuf_adds(&b, key);
    }
    if (b.failed) {
        outbuf_free(&b);
        return -1;
    }
    etag_of(b.s, b.len, out);
    outbuf_free(&b);
    return 0;
}
