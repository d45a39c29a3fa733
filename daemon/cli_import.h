/* cli_import.h - consultd [-c FILE] import --org ID [--dry-run] FILE.csv */
#ifndef CONSULTD_CLI_IMPORT_H
#define CONSULTD_CLI_IMPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* Imports FILE.csv for organisation org_id (as its partner) through the same
 * code path as POST /v1/consultations/import, on an event loop of its own
 * (blocks until done). Prints the summary and each failed row (or the
 * reasons a file was refused) to out. Returns the exit status: 0 when no row
 * failed; 1 when a row failed (err: how many), the file was refused or could
 * not be read, or the database failed (err says which); 2 for a bad --org. */
int cli_import(config *cfg, const char *org_id, bool dry_run, const char *path, FILE *out, char *err,
               size_t errlen);

#endif
