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
/* Random bytes for ids made often (a request id per request), drawn from the
 * CSPRNG a batch at a time: one RAND_bytes call costs about 1 us whether it
 * draws 10 bytes or 1,000 (measured), more than the rest of a request id. A
 * zeroed source is empty and valid; its owner keeps it (one per server, on
 * the event loop: not shared between threads). Each byte is used once. */
#define UUID7_BATCH 64
typedef struct uuid7_source {
    unsigned char bytes[10 * UUID7_BATCH];
    int left;                     /* ids' worth of bytes not yet used, at the end of bytes */
} uuid7_source;

/* A new UUIDv7 like uuid7_new, its random bytes taken from src, which is
 * refilled from the CSPRNG when empty; -1 if randomness failed. */
int uuid7_next(uuid7_source *src, char out[UUID_STR_LEN]);

/* true for a lower- or upper-case hyphenated UUID. */
bool uuid_valid(const char *s);

#endif
