/* ids.c - UUID generation and validation. */
#include "ids.h"

#include <openssl/rand.h>
#include <stdio.h>
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
    snprintf(out, UUID_STR_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
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
