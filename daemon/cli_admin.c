/* cli_admin.c - org add, key add, key revoke. */
#include "cli_admin.h"

#include <stdio.h>
#include <string.h>

#include "cli_pg.h"

static const char *org_kinds[] = { "council", "nhs", "police", "housing", "vcse", "other", NULL };
static const char *roles[] = { "partner", "coordinator", "admin", NULL };

static int one_of(const char *v, const char **list)
{
    for (; *list; list++)
        if (strcmp(v, *list) == 0)
            return 1;
    return 0;
}

int admin_org_add(const char *url, const char *name, const char *kind, char id[UUID_STR_LEN],
                  char *err, size_t errlen)
{
    size_t len = strlen(name);
    if (len < 1 || len > 200) {
        snprintf(err, errlen, "--name: must be 1 to 200 characters");
        return -1;
    }
    if (!one_of(kind, org_kinds)) {
        snprintf(err, errlen, "--kind: must be one of council, nhs, police, housing, vcse, other");
        return -1;
    }
    if (uuid7_new(id) < 0) {
        snprintf(err, errlen, "random source failed");
        return -1;
    }
    PGconn *c = pgu_connect(url, "consultd org add", err, errlen);
    if (!c)
        return -1;
    const char *p[] = { id, name, kind };
    int rc = pgu_run(c, "INSERT INTO organisations (id, name, kind) VALUES ($1, $2, $3)", 3, p, err, errlen);
    PQfinish(c);
    return rc;
}

int admin_key_add(const char *url, const char *org_id, const char *role, const char *label,
                  char token[TOKEN_MAX_LEN], char *err, size_t errlen)
{
    if (!uuid_valid(org_id)) {
        snprintf(err, errlen, "--org: \"%s\" is not an organisation id (a UUID)", org_id);
        return -1;
    }
    if (!one_of(role, roles)) {
        snprintf(err, errlen, "--role: must be one of partner, coordinator, admin");
        return -1;
    }
    char key_id[UUID_STR_LEN];
    unsigned char hash[TOKEN_HASH_LEN];
    if (uuid7_new(key_id) < 0 || token_new(key_id, token, hash) < 0) {
        snprintf(err, errlen, "random source failed");
        return -1;
    }
    char hex[2 + 2 * TOKEN_HASH_LEN + 1] = "\\x";
    for (int i = 0; i < TOKEN_HASH_LEN; i++)
        snprintf(hex + 2 + 2 * i, 3, "%02x", hash[i]);

    PGconn *c = pgu_connect(url, "consultd key add", err, errlen);
    if (!c)
        return -1;
    const char *p[] = { key_id, org_id, role, label, hex };
    PGresult *r = pgu_exec(c,
        "INSERT INTO api_keys (id, organisation_id, role, label, secret_hash) "
        "SELECT $1, o.id, $3, $4, $5::bytea FROM organisations o WHERE o.id = $2 RETURNING id",
        5, p, err, errlen);
    int rc = -1;
    if (r) {
        if (PQntuples(r) == 1)
            rc = 0;
        else
            snprintf(err, errlen, "no organisation with id %s (create one with \"org add\")", org_id);
        PQclear(r);
    }
    PQfinish(c);
    if (rc < 0)
        memset(token, 0, TOKEN_MAX_LEN);
    return rc;
}

int admin_key_revoke(const char *url, const char *key_id, char *err, size_t errlen)
{
    if (!uuid_valid(key_id)) {
        snprintf(err, errlen, "KEY_ID: \"%s\" is not a key id (a UUID)", key_id);
        return -1;
    }
    PGconn *c = pgu_connect(url, "consultd key revoke", err, errlen);
    if (!c)
        return -1;
    const char *p[] = { key_id };
    PGresult *r = pgu_exec(c,
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id",
        1, p, err, errlen);
    int rc = -1;
    if (r) {
        if (PQntuples(r) == 1)
            rc = 0;
        else
            snprintf(err, errlen, "no key with id %s", key_id);
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}
