/* token.h - API key tokens.
 *
 * A token is "cdk_" + the key id as 32 hex digits + "_" + 43 base64url
 * characters of 32 random bytes (256 bits). Only SHA-256 of the secret part
 * is stored; the key id finds the row, and the hashes are compared in
 * constant time. */
#ifndef CONSULTD_TOKEN_H
#define CONSULTD_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "ids.h"

#define TOKEN_MAX_LEN 96
#define TOKEN_HASH_LEN 32

/* Makes a token for key_id; writes it and the hash of its secret. -1 if the
 * random source failed. */
int token_new(const char *key_id, char token[TOKEN_MAX_LEN], unsigned char hash[TOKEN_HASH_LEN]);

/* Splits a presented token: the key id (UUID form) and the hash of its secret.
 * Returns -1 for anything not token-shaped. */
int token_parse(const char *token, char key_id[UUID_STR_LEN], unsigned char hash[TOKEN_HASH_LEN]);

/* Constant-time equality of two hashes. */
bool token_hash_equal(const unsigned char a[TOKEN_HASH_LEN], const unsigned char b[TOKEN_HASH_LEN]);

#endif
