/* etag.h - strong entity tags over a response body, and If-None-Match
 * (RFC 9110 sections 8.8.3 and 13.1.2). Pure: no I/O. */
#ifndef CONSULTD_ETAG_H
#define CONSULTD_ETAG_H

#include <stdbool.h>
#include <stddef.h>

#define ETAG_LEN 35 /* '"' + 32 hex digits + '"' + NUL */

/* The quoted ETag of a body: the first 128 bits of its SHA-256 in hex. */
void etag_of(const void *body, size_t len, char out[ETAG_LEN]);

/* true when an If-None-Match header value (NULL: absent) names etag: "*",
 * or a comma-separated list with the same opaque tag, weak (W/) or strong
 * (the weak comparison RFC 9110 prescribes for If-None-Match). */
bool etag_none_match_hit(const char *header, const char *etag);

#endif
