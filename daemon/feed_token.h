/* feed_token.h - the secret in a calendar feed's address.
 *
 * A feed token is 64 lower-case hex digits of 32 random bytes (256 bits,
 * OpenSSL RAND_bytes). Only its SHA-256 is stored; a presented token is
 * looked up by that hash, so the token itself is never kept. */
#ifndef CONSULTD_FEED_TOKEN_H
#define CONSULTD_FEED_TOKEN_H

#include <stddef.h>

#define FEED_TOKEN_CHARS 64
#define FEED_TOKEN_HASH_LEN 32

/* Makes a token (NUL-terminated) and its hash. -1 if the random source failed. */
int feed_token_new(char token[FEED_TOKEN_CHARS + 1], unsigned char hash[FEED_TOKEN_HASH_LEN]);

/* The hash of a presented token given as len bytes (no NUL needed); -1 for
 * anything not token-shaped (wrong length, not lower-case hex). */
int feed_token_hash(const char *token, size_t len, unsigned char hash[FEED_TOKEN_HASH_LEN]);

/* hash as PostgreSQL bytea hex input ("\x" + 64 hex digits + NUL). */
void feed_token_hash_hex(const unsigned char hash[FEED_TOKEN_HASH_LEN], char out[2 * FEED_TOKEN_HASH_LEN + 3]);

#endif
