/* ids.c - UUID generation and validation. */
#include "ids.h"

#include <openssl/rand.h>
#include <string.h>
#include <time.h>

void uuid7_format(uint64_t unix_ms, const unsigned char rand10[10], char out[UUID_STR_LEN])
{
    unsigned char b[16];
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(unix_ms >> (40 - 8 * i));
    memcpy(b + 6, rand10, 10);
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* RFC 9562 variant */
    /* by hand, not snprintf: every request names itself with one of these,
     * and sixteen %02x conversions cost more than the rest of the id */
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 0x0f];
    }
    *o = '\0';
}

int uuid7_new(char out[UUID_STR_LEN])
{
    unsigned char r[10];
    if (RAND_bytes(r, sizeof r) != 1)
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uuid7_format((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u, r, out);
    return 0;
}

int uuid7_next(uuid7_source *src, char out[UUID_STR_LEN])
{
    if (src->left <= 0) {
        if (RAND_bytes(src->bytes, sizeof src->bytes) != 1)
            return -1;
        src->left = UUID7_BATCH;
    }
    src->left--;
    unsigned char *r = src->bytes + 10 * (UUID7_BATCH - 1 - src->left);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uuid7_format((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u, r, out);
    memset(r, 0, 10); /* used: not kept around */
    return 0;
}

bool uuid_valid(const char *s)
{
    static const int dash[] = { 8, 13, 18, 23 };
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash[d]) {
            if (s[i] != '-')
                return false;
            d++;
            continue;
        }
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}
