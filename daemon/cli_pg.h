/* cli_pg.h - blocking libpq helpers for the command-line tools (migrate, org,
 * key, areas). The daemon's event loop never uses these: it has db.c. */
#ifndef CONSULTD_CLI_PG_H
#define CONSULTD_CLI_PG_H

#include <libpq-fe.h>
#include <stddef.h>

/* Connects; NULL with the reason in err. */
PGconn *pgu_connect(const char *url, const char *application, char *err, size_t errlen);

/* Runs one statement with text parameters. Returns the result when its status
 * is COMMAND_OK or TUPLES_OK (caller PQclear()s it), else NULL with the server's
 * message in err. */
PGresult *pgu_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
                   char *err, size_t errlen);

/* pgu_exec for statements whose rows are not needed: 0 or -1. */
int pgu_run(PGconn *c, const char *sql, int nparams, const char *const *params, char *err, size_t errlen);

#endif
