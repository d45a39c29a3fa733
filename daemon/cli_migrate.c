/* cli_migrate.c - schema migrations from the embedded schema files. */
#include "cli_migrate.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "log.h"
#include "cli_pg.h"

#define MIGRATE_LOCK "7406201501" /* pg_advisory_lock key for migrations */

static int file_version(const embedded_file *f)
{
    return atoi(f->name);
}

static void checksum(const embedded_file *f, char hex[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)f->data, f->len, d);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Applies one file unless it is already recorded; 1 applied, 0 present, -1 error. */
static int apply_one(PGconn *c, const embedded_file *f, char *err, size_t errlen)
{
    char version[16], sum[65];
    snprintf(version, sizeof version, "%d", file_version(f));
    checksum(f, sum);
    const char *p1[] = { version };
    PGresult *r = pgu_exec(c, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, p1, err, errlen);
    if (!r)
        return -1;
    if (PQntuples(r) == 1) {
        int same = strcmp(PQgetvalue(r, 0, 0), sum) == 0;
        PQclear(r);
        if (!same) {
            snprintf(err, errlen, "migration %s was changed after it was applied (checksum differs)", f->name);
            return -1;
        }
        return 0;
    }
    PQclear(r);

    if (pgu_run(c, "BEGIN", 0, NULL, err, errlen) < 0)
        return -1;
    /* The file may hold several statements: the simple-query protocol runs them all. */
    PGresult *ddl = PQexec(c, f->data);
    if (PQresultStatus(ddl) != PGRES_COMMAND_OK && PQresultStatus(ddl) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "migration %s failed: %s", f->name, PQresultErrorMessage(ddl));
        PQclear(ddl);
        PGresult *rb = PQexec(c, "ROLLBACK");
        PQclear(rb);
        return -1;
    }
    PQclear(ddl);
    const char *p3[] = { version, f->name, sum };
    if (pgu_run(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3, p3,
                err, errlen) < 0 ||
        pgu_run(c, "COMMIT", 0, NULL, err, errlen) < 0) {
        PGresult *rb = PQexec(c, "ROLLBACK");
        PQclear(rb);
        return -1;
    }
    log_info("migrate: applied %s", f->name);
    return 1;
}

int migrate_run(const char *url, char *err, size_t errlen)
{
    PGconn *c = pgu_connect(url, "consultd migrate", err, errlen);
    if (!c)
        return -1;
    int applied = 0;
    if (pgu_run(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", 0, NULL, err, errlen) < 0 ||
        pgu_run(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL, err, errlen) < 0) {
        applied = -1;
    }
    for (size_t i = 0; applied >= 0 && i < embedded_schema_count; i++) {
        int rc = apply_one(c, &embedded_schema[i], err, errlen);
        applied = rc < 0 ? -1 : applied + rc;
    }
    /* Closing the session releases the advisory lock in every case. */
    PQfinish(c);
    return applied;
}
