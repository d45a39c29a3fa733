/* feed_token.c - calendar feed tokens. */
#include "feed_token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

static const char hex[] = "0123456789abcdef";

int feed_token_new(char token[FEED_TOKEN_CHARS + 1], unsigned char hash[FEED_TOKEN_HASH_LEN])
{
    unsigned char secret[FEED_TOKEN_CHARS / 2];
    if (RAND_bytes(secret, sizeof secret) != 1)
        return -1;
    for (size_t i = 0; i < sizeof secret; i++) {
        token[2 * i] = hex[secret[i] >> 4];
        token[2 * i + 1] = hex[secret[i] & 15];
    }
    token[FEED_TOKEN_CHARS] = '\0';
    OPENSSL_cleanse(secret, sizeof secret);
    SHA256((const unsigned char *)token, FEED_TOKEN_CHARS, hash);
    return 0;
}

int feed_token_hash(const char *token, size_t len, unsigned char hash[FEED_TOKEN_HASH_LEN])
{
    if (len != FEED_TOKEN_CHARS)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
            return -1;
    SHA256((const unsigned char *)token, len, hash);
    return 0;
}

void feed_token_hash_hex(const unsigned char hash[FEED_TOKEN_HASH_LEN], char out[2 * FEED_TOKEN_HASH_LEN + 3])
{
    out[0] = '\\';
    out[1] = 'x';
    for (int i = 0; i < FEED_TOKEN_HASH_LEN; i++) {
        out[2 + 2 * i] = hex[hash[i] >> 4];
        out[3 + 2 * i] = hex[hash[i] & 15];
    }
    out[2 + 2 * FEED_TOKEN_HASH_LEN] = '\0';
}
