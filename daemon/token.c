/* token.c - API key token format, hashing and comparison. */
#include "token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#define SECRET_BYTES 32
#define SECRET_CHARS 43 /* base64url of 32 bytes without padding */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < n) out[o++] = b64url[(v >> 6) & 63];
        if (i + 2 < n) out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
}

int token_new(const char *key_id, char token[TOKEN_MAX_LEN], unsigned char hash[TOKEN_HASH_LEN])
{
    unsigned char secret[SECRET_BYTES];
    if (RAND_bytes(secret, sizeof secret) != 1)
        return -1;
    char hexid[33];
    size_t h = 0;
    for (const char *p = key_id; *p && h < 32; p++)
        if (*p != '-')
            hexid[h++] = *p;
    hexid[h] = '\0';
    char enc[SECRET_CHARS + 1];
    b64url_encode(secret, sizeof secret, enc);
    snprintf(token, TOKEN_MAX_LEN, "cdk_%s_%s", hexid, enc);
    SHA256((const unsigned char *)enc, SECRET_CHARS, hash);
    OPENSSL_cleanse(secret, sizeof secret);
    return 0;
}

int token_parse(const char *token, char key_id[UUID_STR_LEN], unsigned char hash[TOKEN_HASH_LEN])
{
    if (strlen(token) != 4 + 32 + 1 + SECRET_CHARS || strncmp(token, "cdk_", 4) != 0 || token[36] != '_')
        return -1;
    const char *hex = token + 4;
    for (int i = 0; i < 32; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return -1;
    const char *secret = token + 37;
    for (int i = 0; i < SECRET_CHARS; i++)
        if (!strchr(b64url, secret[i]) || secret[i] == '\0')
            return -1;
    snprintf(key_id, UUID_STR_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    SHA256((const unsigned char *)secret, SECRET_CHARS, hash);
    return 0;
}

bool token_hash_equal(const unsigned char a[TOKEN_HASH_LEN], const unsigned char b[TOKEN_HASH_LEN])
{
    return CRYPTO_memcmp(a, b, TOKEN_HASH_LEN) == 0;
}
