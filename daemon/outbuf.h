/* outbuf.h - a growable byte buffer for the text renderers (pure).
 *
 * s is malloc'd and NUL-terminated once anything was added; failed is set
 * when an allocation fails, after which appends do nothing, so a renderer
 * checks once at the end. The buffer owns s; outbuf_free releases it. */
#ifndef CONSULTD_OUTBUF_H
#define CONSULTD_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct outbuf {
    char *s;
    size_t len, cap;
    bool failed;
} outbuf;

void outbuf_add(outbuf *b, const char *s, size_t n);
void outbuf_adds(outbuf *b, const char *s);
void outbuf_free(outbuf *b);

#endif
