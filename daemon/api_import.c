/* api_import.c - consultations as CSV over HTTP: POST /v1/consultations/import,
 * GET /v1/consultations/import/template.csv and GET /v1/consultations.csv.
 * The import itself is import_run.c; the CSV form is import_csv.c. */
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http_reply.h"
#include "import_csv.h"
#include "import_run.h"
#include "list_query.h"
#include "server.h"

#define EXPORT_PAGE 200            /* rows per query (the list's largest page) */
#define EXPORT_MAX_ROWS 200000     /* a larger export is refused: filter it */

/* ---- POST /v1/consultations/import -------------------------------------------------- */

static void on_imported(void *arg, import_outcome *o)
{
    request *rq = arg;
    if (o->status == 200) {
        reply_json_text(rq, 200, o->text, o->len);
        return;
    }
    if (o->status == 503) {
        reply_header(rq, "Retry-After", "1");
        reply_problem(rq, 503, "unavailable", "Service unavailable", o->detail, o->errors, NULL);
        return;
    }
    reply_problem(rq, o->status, "import-refused", "File refused", o->detail, o->errors, NULL);
}

void api_consultation_import(request *rq)
{
    if (!rq->srv->vocab || !rq->srv->areas) {
        reply_unavailable(rq);
        return;
    }
    const char *dry = evhttp_find_header(&rq->query, "dry_run");
    bool unknown = false;
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, &rq->query, next)
        unknown |= strcmp(kv->key, "dry_run") != 0;
    if (unknown || (dry && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0)) {
        json_t *errors = json_array();
        errors_add(errors, unknown ? "query" : "dry_run", unknown ? "only dry_run is accepted" : "must be true or false");
        reply_problem(rq, 400, "bad-query", "Bad query string", "The query string is not right for an import.",
                      errors, NULL);
        return;
    }
    import_caller who = { .role = rq->role };
    memcpy(who.org_id, rq->org_id, UUID_STR_LEN);
    memcpy(who.key_id, rq->key_id, UUID_STR_LEN);
    snprintf(who.request_id, sizeof who.request_id, "%s", rq->request_id);
    /* Each row takes a connection of its own: this one is not needed. */
    db_release(rq->conn);
    rq->conn = NULL;
    import_start(rq->srv, &who, rq->raw_body ? rq->raw_body : "", rq->raw_len, dry && strcmp(dry, "true") == 0,
                 on_imported, rq);
}

/* ---- GET /v1/consultations/import/template.csv ---------------------------------------- */

void api_import_template(request *rq)
{
    const char *head = import_header_line(false), *example = import_example_line();
    size_t a = strlen(head), b = strlen(example);
    char *body = malloc(a + b + 1);
    if (!body) {
        reply_unavailable(rq);
        return;
    }
    memcpy(body, head, a);
    memcpy(body + a, example, b + 1);
    reply_header(rq, "Content-Disposition", "attachment; filename=\"consultations-template.csv\"");
    reply_text(rq, 200, "text/csv; charset=utf-8", body, a + b);
    free(body);
}

/* ---- GET /v1/consultations.csv ---------------------------------------------------------- */

typedef struct export_state {
    struct evkeyvalq filters;     /* the request's query without limit and cursor */
    struct evkeyvalq page;        /* filters, limit and cursor of the page in flight (q points into it) */
    list_query q;
    struct evbuffer *out;
    long rows;
} export_state;

static void export_state_free(void *p)
{
    export_state *st = p;
    evhttp_clear_headers(&st->filters);
    evhttp_clear_headers(&st->page);
    list_query_free(&st->q);
    if (st->out)
        evbuffer_free(st->out);
    free(st);
}

static void export_page(request *rq, const char *cursor);

static void send_export(request *rq)
{
    export_state *st = rq->state;
    size_t n = evbuffer_get_length(st->out);
    const char *body = (const char *)evbuffer_pullup(st->out, -1);
    if (!body) {
        reply_unavailable(rq);
        return;
    }
    reply_header(rq, "Content-Disposition", "attachment; filename=\"consultations.csv\"");
    reply_text(rq, 200, "text/csv; charset=utf-8", body, n);
}

static void on_export_page(PGresult *res, void *arg)
{
    request *rq = arg;
    export_state *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    int rows = PQntuples(res);
    int shown = rows > EXPORT_PAGE ? EXPORT_PAGE : rows;
    for (int i = 0; i < shown; i++) {
        json_t *doc = json_loadb(PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1), 0, NULL);
        size_t len;
        char *line = doc ? import_render_row(doc, &len) : NULL;
        json_decref(doc);
        if (!line || evbuffer_add(st->out, line, len) != 0) {
            free(line);
            reply_unavailable(rq);
            return;
        }
        free(line);
    }
    st->rows += shown;
    if (rows <= shown) {
        send_export(rq);
        return;
    }
    if (st->rows >= EXPORT_MAX_ROWS) {
        char detail[160];
        snprintf(detail, sizeof detail, "More than %d consultations match; narrow the export with the list's filters.",
                 EXPORT_MAX_ROWS);
        reply_problem(rq, 422, "export-too-large", "Export too large", detail, NULL, NULL);
        return;
    }
    char cursor[48];
    list_cursor_encode(PQgetvalue(res, shown - 1, 0), cursor, sizeof cursor);
    export_page(rq, cursor);
}

static void export_page(request *rq, const char *cursor)
{
    export_state *st = rq->state;
    list_query_free(&st->q);
    memset(&st->q, 0, sizeof st->q);
    evhttp_clear_headers(&st->page);
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, &st->filters, next)
        evhttp_add_header(&st->page, kv->key, kv->value);
    evhttp_add_header(&st->page, "limit", DB_STR(EXPORT_PAGE));
    if (cursor)
        evhttp_add_header(&st->page, "cursor", cursor);
    json_t *errors = json_array();
    int built = list_query_build(&st->page, rq->srv->vocab, rq->srv->areas, &st->q, errors);
    if (built < 0) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    db_query_dynamic(rq->conn, st->q.sql, st->q.nparams, st->q.params, on_export_page, rq);
}

void api_consultation_export(request *rq)
{
    if (!rq->srv->vocab) {
        reply_unavailable(rq);
        return;
    }
    export_state *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    TAILQ_INIT(&st->filters);
    TAILQ_INIT(&st->page);
    rq->state = st;
    rq->state_free = export_state_free;
    st->out = evbuffer_new();
    if (!st->out) {
        reply_unavailable(rq);
        return;
    }
    struct evkeyval *kv;
    TAILQ_FOREACH(kv, &rq->query, next) {
        if (strcmp(kv->key, "limit") != 0 && strcmp(kv->key, "cursor") != 0)
            evhttp_add_header(&st->filters, kv->key, kv->value);
    }
    const char *head = import_header_line(true);
    evbuffer_add(st->out, head, strlen(head));
    export_page(rq, NULL);
}
