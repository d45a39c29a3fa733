/* etag.c - body hashes as ETags, and If-None-Match matching. */
#include "etag.h"

#include <openssl/sha.h>
#include <string.h>

void etag_of(const void *body, size_t len, char out[ETAG_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(body, len, md);
    out[0] = '"';
    for (int i = 0; i < 16; i++) {
        out[1 + 2 * i] = hex[md[i] >> 4];
        out[2 + 2 * i] = hex[md[i] & 15];
    }
    out[33] = '"';
    out[34] = '\0';
}

bool etag_none_match_hit(const char *header, const char *etag)
{
    if (!header || !etag)
        return false;
    size_t elen = strlen(etag);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *end = p;
        if (*p == '"') {
            const char *close = strchr(p + 1, '"');
            end = close ? close + 1 : p + strlen(p);
        } else {
            while (*end && *end != ',')
                end++;
        }
        if ((size_t)(end - p) == elen && strncmp(p, etag, elen) == 0)
            return true;
        p = end;
        while (*p && *p != ',')
            p++;
    }
    return false;
}
