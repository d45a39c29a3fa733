/* cli_import.c - consultd import: the HTTP import's own code path (import_run.c)
 * on an event loop of the command's own, with a small database pool and the
 * catalog loaded as the daemon loads it. */
#include "cli_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "import_run.h"
#include "cli_pg.h"
#include "server.h"

#define CLI_POOL 3                 /* two rows in flight and the catalog */
#define CLI_READY_WAIT_S 15        /* for the database and the catalog */

typedef struct cli_run {
    server srv;
    import_caller who;
    bool dry_run;
    const char *buf;
    size_t len;
    FILE *out;
    int status;
    bool started;
    int ticks;
    struct event *tick;
    char *err;
    size_t errlen;
} cli_run;

static void print_errors(FILE *out, json_t *errors)
{
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        const char *f = json_string_value(json_object_get(e, "field"));
        fprintf(out, "%s%s%s%s", i ? "; " : "", f && *f ? f : "", f && *f ? ": " : "",
                json_string_value(json_object_get(e, "message")));
    }
}

static void on_done(void *arg, import_outcome *o)
{
    cli_run *r = arg;
    event_base_loopexit(r->srv.base, NULL);
    if (o->status != 200) {
        snprintf(r->err, r->errlen, "%s", o->detail ? o->detail : "the file was refused");
        fprintf(r->out, "refused: %s\n", o->detail ? o->detail : "");
        size_t i;
        json_t *e;
        json_array_foreach(o->errors, i, e) {
            fprintf(r->out, "  %s: %s\n", json_string_value(json_object_get(e, "field")),
                    json_string_value(json_object_get(e, "message")));
        }
        json_decref(o->errors);
        r->status = 1;
        return;
    }
    fprintf(r->out, "%s%ld rows: %ld %s, %ld %s, %ld unchanged, %ld failed\n", o->dry_run ? "dry run: " : "",
            o->rows, o->created, o->dry_run ? "would be created" : "created", o->updated,
            o->dry_run ? "would be updated" : "updated", o->unchanged, o->failed);
    json_t *doc = json_loadb(o->text, o->len, 0, NULL);
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(doc, "rows"), i, row) {
        if (strcmp(json_string_value(json_object_get(row, "status")), "failed") != 0)
            continue;
        const char *ref = json_string_value(json_object_get(row, "external_ref"));
        fprintf(r->out, "row %lld%s%s%s failed: ", (long long)json_integer_value(json_object_get(row, "row")),
                ref ? " (" : "", ref ? ref : "", ref ? ")" : "");
        print_errors(r->out, json_object_get(row, "errors"));
        fputc('\n', r->out);
    }
    json_decref(doc);
    r->status = o->failed > 0 ? 1 : 0;
    if (o->failed > 0)
        snprintf(r->err, r->errlen, "%ld of %ld rows failed", o->failed, o->rows);
}

/* Waits for the catalog (vocabularies, area register), then starts the import. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    cli_run *r = arg;
    if (r->started)
        return;
    if (r->srv.vocab && r->srv.areas && r->srv.schema_version >= catalog_schema_latest()) {
        r->started = true;
        event_del(r->tick);
        import_start(&r->srv, &r->who, r->buf, r->len, r->dry_run, on_done, r);
        return;
    }
    if (++r->ticks > CLI_READY_WAIT_S * 20) {
        snprintf(r->err, r->errlen, "the database did not answer, or is not migrated (run consultd migrate)");
        r->status = 1;
        event_base_loopexit(r->srv.base, NULL);
        return;
    }
    catalog_refresh(&r->srv);
}

static char *read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open it", path);
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    bool failed = !buf || ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read it", path);
        return NULL;
    }
    if (n > max) {
        free(buf);
        snprintf(err, errlen, "%s: larger than server.max_import_bytes (%zu bytes)", path, max);
        return NULL;
    }
    *len = n;
    return buf;
}

int cli_import(config *cfg, const char *org_id, bool dry_run, const char *path, FILE *out, char *err,
               size_t errlen)
{
    if (!uuid_valid(org_id)) {
        snprintf(err, errlen, "--org: \"%s\" is not an organisation id (a UUID)", org_id);
        return 2;
    }
    PGconn *c = pgu_connect(cfg->database_url, "consultd import", err, errlen);
    if (!c)
        return 1;
    const char *p[] = { org_id };
    PGresult *res = pgu_exec(c, "SELECT 1 FROM organisations WHERE id = $1", 1, p, err, errlen);
    int found = res ? PQntuples(res) : -1;
    PQclear(res);
    PQfinish(c);
    if (found <= 0) {
        if (found == 0)
            snprintf(err, errlen, "--org: no organisation has the id %s", org_id);
        return found == 0 ? 2 : 1;
    }
    cli_run *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    char *buf = read_file(path, (size_t)cfg->server_max_import_bytes, &r->len, err, errlen);
    if (!buf) {
        free(r);
        return 1;
    }
    r->buf = buf;
    r->out = out;
    r->err = err;
    r->errlen = errlen;
    r->dry_run = dry_run;
    r->status = 1;
    r->who.role = ROLE_PARTNER;
    snprintf(r->who.org_id, sizeof r->who.org_id, "%s", org_id);
    snprintf(r->who.request_id, sizeof r->who.request_id, "cli-import");
    r->srv.cfg = cfg;
    r->srv.base = event_base_new();
    r->srv.db = r->srv.base ? db_pool_new(r->srv.base, cfg->database_url, CLI_POOL, 64,
                                          cfg->database_statement_timeout_ms, cfg->database_connect_timeout_s)
                            : NULL;
    r->tick = r->srv.base ? event_new(r->srv.base, -1, EV_PERSIST, on_tick, r) : NULL;
    struct timeval every = { 0, 50000 };
    if (!r->srv.db || !r->tick || event_add(r->tick, &every) != 0) {
        snprintf(err, errlen, "cannot set up the event loop or the database pool");
    } else {
        err[0] = '\0';
        event_base_dispatch(r->srv.base);
    }
    int status = r->status;
    if (r->tick)
        event_free(r->tick);
    db_pool_free(r->srv.db);
    vocab_free(r->srv.vocab);
    areas_free(r->srv.areas);
    metrics_free(&r->srv.metrics);
    if (r->srv.base)
        event_base_free(r->srv.base);
    free(buf);
    free(r);
    return status;
}
