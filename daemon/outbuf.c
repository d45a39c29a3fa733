/* outbuf.c - the renderers' byte buffer. */
#include "outbuf.h"

#include <stdlib.h>
#include <string.h>

void outbuf_add(outbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->failed = true;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void outbuf_adds(outbuf *b, const char *s)
{
    outbuf_add(b, s, strlen(s));
}

void outbuf_free(outbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}
