/* store_keys.h - SQL for who is calling: API keys (auth.c) and the
 * organisation a key belongs to (api_me.c). */
#ifndef CONSULTD_STORE_KEYS_H
#define CONSULTD_STORE_KEYS_H

/* $1 key id. Returns (secret_hash as bytea text "\x" + hex, role,
 * organisation_id) of the key when it is not revoked, or no row. */
extern const char SQL_KEY_GET[];
/* $1 organisation id. Returns (id, name, kind), or no row. */
extern const char SQL_KEY_ORGANISATION[];

#endif
