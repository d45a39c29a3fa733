/* cli_migrate.h - applies the embedded schema/NNN_*.sql files in order.
 *
 * Each file runs in its own transaction and is recorded in schema_migrations
 * with a checksum; the whole run holds a session advisory lock, so several
 * instances racing to migrate apply each file exactly once. */
#ifndef CONSULTD_CLI_MIGRATE_H
#define CONSULTD_CLI_MIGRATE_H

#include <stddef.h>

/* Applies what is missing. Returns how many files it applied, or -1 with the
 * reason in err (also when an applied file's checksum no longer matches). */
int migrate_run(const char *url, char *err, size_t errlen);

#endif
