/* ids.h - UUIDs: server-generated UUIDv7 (time-ordered, so lists sorted by id
 * are sorted by creation) and validation of client-supplied ones. */
#ifndef CONSULTD_IDS_H
#define CONSULTD_IDS_H

#include <stdbool.h>
#include <stdint.h>

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* Formats a UUIDv7 from a Unix time in milliseconds and 10 random bytes (pure). */
void uuid7_format(uint64_t unix_ms, const unsigned char rand10[10], char out[UUID_STR_LEN]);
/* A new UUIDv7 from the clock and the system CSPRNG; -1 if randomness failed. */
int uuid7_new(char out[UUID_STR_LEN]);
/* true for a lower- or upper-case hyphenated UUID. */
bool uuid_valid(const char *s);

#endif
