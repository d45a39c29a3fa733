/* cli_pg.c - blocking libpq helpers for command-line tools. */
#include "cli_pg.h"

#include <stdio.h>
#include <string.h>

static void copy_message(const char *msg, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", msg);
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
}

PGconn *pgu_connect(const char *url, const char *application, char *err, size_t errlen)
{
    const char *kw[] = { "dbname", "application_name", "connect_timeout", NULL };
    const char *val[] = { url, application, "10", NULL };
    PGconn *c = PQconnectdbParams(kw, val, 1);
    if (!c) {
        snprintf(err, errlen, "database: out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[512];
        copy_message(PQerrorMessage(c), msg, sizeof msg);
        snprintf(err, errlen, "database: cannot connect: %s", msg);
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    return c;
}

PGresult *pgu_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
                   char *err, size_t errlen)
{
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    char msg[512];
    copy_message(r ? PQresultErrorMessage(r) : PQerrorMessage(c), msg, sizeof msg);
    snprintf(err, errlen, "database: %s", msg);
    PQclear(r);
    return NULL;
}

int pgu_run(PGconn *c, const char *sql, int nparams, const char *const *params, char *err, size_t errlen)
{
    PGresult *r = pgu_exec(c, sql, nparams, params, err, errlen);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}
