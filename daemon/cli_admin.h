/* cli_admin.h - the organisation and key commands (blocking; run from the CLI). */
#ifndef CONSULTD_CLI_ADMIN_H
#define CONSULTD_CLI_ADMIN_H

#include <stddef.h>

#include "ids.h"
#include "token.h"

/* Returns 0 and the new organisation's id, or -1 with a message in err. */
int admin_org_add(const char *url, const char *name, const char *kind, char id[UUID_STR_LEN],
                  char *err, size_t errlen);
/* Returns 0 and the new token (to be shown once), or -1. */
int admin_key_add(const char *url, const char *org_id, const char *role, const char *label,
                  char token[TOKEN_MAX_LEN], char *err, size_t errlen);
/* Returns 0 (also when already revoked), or -1 (unknown key, database error). */
int admin_key_revoke(const char *url, const char *key_id, char *err, size_t errlen);

#endif
