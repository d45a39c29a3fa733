/* webhook_sign.c - Standard Webhooks 1.0 signing with OpenSSL. */
#include "webhook_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int webhook_secret_new(char *out, size_t outlen)
{
    unsigned char key[WEBHOOK_SECRET_BYTES];
    if (outlen < WEBHOOK_SECRET_MAX || RAND_bytes(key, sizeof key) != 1)
        return -1;
    memcpy(out, "whsec_", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, key, sizeof key);
    return 0;
}

/* The key bytes of a secret into key (capacity cap); their number, or -1. */
static int secret_key(const char *secret, unsigned char *key, size_t cap)
{
    if (strncmp(secret, "whsec_", 6) == 0)
        secret += 6;
    size_t len = strlen(secret);
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap)
        return -1;
    int n = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)len);
    if (n < 0)
        return -1;
    /* EVP_DecodeBlock counts the bytes the padding stands for */
    for (const char *e = secret + len; e > secret && e[-1] == '='; e--)
        n--;
    return n;
}

int webhook_sign(const char *secret, const char *id, long long timestamp, const char *body, size_t bodylen,
                 char *out, size_t outlen)
{
    unsigned char key[WEBHOOK_SECRET_MAX];
    int keylen = secret_key(secret, key, sizeof key);
    if (keylen <= 0 || outlen < WEBHOOK_SIGNATURE_MAX)
        return -1;
    char head[160];
    int hl = snprintf(head, sizeof head, "%s.%lld.", id, timestamp);
    if (hl < 0 || (size_t)hl >= sizeof head)
        return -1;
    unsigned char *msg = malloc((size_t)hl + bodylen);
    if (!msg)
        return -1;
    memcpy(msg, head, (size_t)hl);
    memcpy(msg + hl, body, bodylen);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    unsigned char *ok = HMAC(EVP_sha256(), key, keylen, msg, (size_t)hl + bodylen, mac, &maclen);
    free(msg);
    OPENSSL_cleanse(key, sizeof key);
    if (!ok)
        return -1;
    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen);
    return 0;
}
