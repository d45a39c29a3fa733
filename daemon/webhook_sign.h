/* webhook_sign.h - Standard Webhooks 1.0 signing secrets and signatures (pure).
 *
 * A secret is "whsec_" followed by the base64 of the key bytes. The signature
 * of a message is "v1," + base64(HMAC-SHA256(key, id "." timestamp "." body)). */
#ifndef CONSULTD_WEBHOOK_SIGN_H
#define CONSULTD_WEBHOOK_SIGN_H

#include <stddef.h>

#define WEBHOOK_SECRET_BYTES 32
#define WEBHOOK_SECRET_MAX 128      /* room for any secret this daemon makes */
#define WEBHOOK_SIGNATURE_MAX 64    /* "v1," + 44 base64 characters + NUL */

/* A new random secret written to out (at least WEBHOOK_SECRET_MAX bytes).
 * Returns 0, or -1 when the system has no randomness to give. */
int webhook_secret_new(char *out, size_t outlen);

/* Writes the signature of (id, timestamp, body) under secret into out (at
 * least WEBHOOK_SIGNATURE_MAX bytes). Returns 0, or -1 when the secret is not
 * "whsec_" + base64 (the prefix may be left out) or memory runs out. */
int webhook_sign(const char *secret, const char *id, long long timestamp, const char *body, size_t bodylen,
                 char *out, size_t outlen);

#endif
