/* import_run.c - a CSV import as a state machine on the event loop (see import_run.h).
 *
 *   check    UTF-8, a slice per turn of the loop
 *   batch    parse slices until a batch of rows is read (the header first)
 *   lookup   every row's stored consultation in one query (a row repeated in
 *            the batch looks itself up when its turn comes)
 *   rows     up to IMPORT_PARALLEL rows in flight, in file order; a row whose
 *            external_ref or id is in flight waits for it; an unchanged row
 *            is decided in C and needs no connection
 *   flush    the batch's results, in order, to the answer; next batch
 *   done     the answer to the caller */
#include "import_run.h"

#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "consultation.h"
#include "field_errors.h"
#include "import_csv.h"
#include "log.h"
#include "server.h"
#include "store_consultations.h"
#include "store_imports.h"

#define IMPORT_BATCH 64               /* rows read ahead */
#define IMPORT_SLICE 4096             /* bytes parsed at a time */
#define IMPORT_CHECK_SLICE (1 << 20)  /* bytes checked for UTF-8 per turn of the loop */
#define IMPORT_PARALLEL 2             /* rows in flight (connections held) */

typedef struct row_task {
    struct import_job *job;
    long row;                     /* as a spreadsheet numbers it: the header is row 1 */
    import_row r;
    json_t *errors;               /* [{"field", "message"}] */
    json_t *warnings, *overlaps;
    const char *status;           /* static; NULL until done */
    char id[UUID_STR_LEN];        /* the consultation's, once known */
    bool started, done;
    bool updating;                /* the row went to the PATCH handler */
    bool checking;                /* cells were refused: the rest is checked by a dry run, so the row
                                     reports every invalid field, and then fails */
    bool prefetched;              /* the batch's lookup answered for it (stored_doc NULL: nothing stored) */
    long stored_version;
    char *stored_doc, *stored_owner, *stored_status;
    json_t *child_body;           /* waiting for a connection */
    long child_if_match;
    bool child_patch;
    int attempts;
    db_conn *conn;
} row_task;

typedef struct import_job {
    server *srv;
    import_caller who;
    bool dry_run;
    const char *buf;
    size_t len, pos, checked;
    struct csv_parser p;
    csv_records rec;
    bool eof, refused, oom;
    char separator;
    import_header h;
    bool have_header;
    long records;
    row_task *batch;
    size_t nbatch, cap, next, inflight, ndone;
    long rows, created, updated, unchanged, failed;
    struct evbuffer *out;
    struct event *ev;
    json_t *refusal;              /* errors of a refused file */
    db_conn *flush_conn;          /* the closing synchronous commit's */
    db_conn *lookup_conn;         /* the batch lookup's */
    char *lookup_lit[2];          /* its text[] and uuid[] parameters */
    bool looked_up;               /* the current batch's lookup has answered */
    bool flush_failed;
    char detail[300];
    import_done_fn done;
    void *done_arg;
} import_job;

static void progress(import_job *j);

static void kick(import_job *j)
{
    event_active(j->ev, EV_TIMEOUT, 0);
}

/* ---- the end ---------------------------------------------------------------------- */

static void task_clear(row_task *t)
{
    import_row_clear(&t->r);
    json_decref(t->errors);
    json_decref(t->warnings);
    json_decref(t->overlaps);
    json_decref(t->child_body);
    free(t->stored_doc);
    free(t->stored_owner);
    free(t->stored_status);
    if (t->conn)
        db_release(t->conn);
    memset(t, 0, sizeof *t);
}

static void job_free(import_job *j)
{
    for (size_t i = 0; i < j->nbatch; i++)
        task_clear(&j->batch[i]);
    free(j->batch);
    csv_free(&j->p);
    csv_records_clear(&j->rec);
    if (j->out)
        evbuffer_free(j->out);
    if (j->ev)
        event_free(j->ev);
    json_decref(j->refusal);
    free(j->lookup_lit[0]);
    free(j->lookup_lit[1]);
    free(j);
}

static void refuse_with(import_job *j, int status, const char *detail)
{
    char text[sizeof j->detail + 200]; /* detail may be j->detail, freed below */
    snprintf(text, sizeof text, "%s", detail);
    import_outcome o = { .status = status, .detail = text, .errors = j->refusal };
    j->refusal = NULL;
    import_done_fn done = j->done;
    void *arg = j->done_arg;
    job_free(j);
    done(arg, &o);
}

static void refuse(import_job *j, const char *detail)
{
    refuse_with(j, 422, detail);
}

static void answer(import_job *j);

static void on_flushed(PGresult *const *res, int n, void *arg)
{
    import_job *j = arg;
    bool lost;
    if (db_pipeline_failure(res, n, &lost) || lost) {
        errors_add(j->refusal, "file", "the database failed before the imported rows were safely on disk");
        j->flush_failed = true;
    }
    db_release(j->flush_conn);
    j->flush_conn = NULL;
    answer(j);
}

static void on_flush_conn(db_conn *conn, void *arg)
{
    import_job *j = arg;
    if (!conn) {
        errors_add(j->refusal, "file", "the database failed before the imported rows were safely on disk");
        j->flush_failed = true;
        answer(j);
        return;
    }
    j->flush_conn = conn;
    /* A transaction with an xid commits synchronously: its WAL flush covers
     * every commit written before it, the rows' included. */
    static const db_call calls[] = {
        { "BEGIN", 0, NULL, NULL }, { SQL_IMPORT_FLUSH, 0, NULL, NULL }, { "COMMIT", 0, NULL, NULL } };
    db_pipeline(conn, calls, 3, on_flushed, j);
}

/* The rows are written (their commits perhaps not yet on disk): flush, then answer. */
static void finish(import_job *j)
{
    if (j->dry_run || j->created + j->updated == 0) {
        answer(j);
        return;
    }
    db_acquire(j->srv->db, on_flush_conn, j);
}

static void answer(import_job *j)
{
    if (j->flush_failed) {
        refuse_with(j, 503, "The rows were written but the database failed before confirming them; import the "
                            "file again (rows already stored come back unchanged).");
        return;
    }
    char head[320];
    if (j->dry_run)
        snprintf(head, sizeof head,
                 "{\"dry_run\":true,\"summary\":{\"rows\":%ld,\"would_create\":%ld,\"would_update\":%ld,"
                 "\"unchanged\":%ld,\"failed\":%ld},\"rows\":[",
                 j->rows, j->created, j->updated, j->unchanged, j->failed);
    else
        snprintf(head, sizeof head,
                 "{\"dry_run\":false,\"summary\":{\"rows\":%ld,\"created\":%ld,\"updated\":%ld,"
                 "\"unchanged\":%ld,\"failed\":%ld},\"rows\":[",
                 j->rows, j->created, j->updated, j->unchanged, j->failed);
    evbuffer_prepend(j->out, head, strlen(head));
    evbuffer_add(j->out, "]}", 2);
    size_t n = evbuffer_get_length(j->out);
    import_outcome o = { .status = 200, .dry_run = j->dry_run, .rows = j->rows, .created = j->created,
                         .updated = j->updated, .unchanged = j->unchanged, .failed = j->failed };
    o.text = (const char *)evbuffer_pullup(j->out, -1);
    o.len = o.text ? n : 0;
    if (!o.text) {
        o.text = "{}";
        o.len = 2;
    }
    import_done_fn done = j->done;
    void *arg = j->done_arg;
    done(arg, &o);
    job_free(j);
}

/* ---- a row's result ------------------------------------------------------------------ */

static void task_done(row_task *t, const char *status)
{
    import_job *j = t->job;
    t->status = status;
    t->done = true;
    if (t->conn) {
        db_release(t->conn);
        t->conn = NULL;
    }
    if (t->started)
        j->inflight--;
    j->ndone++;
    kick(j);
}

static void task_fail(row_task *t, const char *field, const char *message)
{
    errors_add(t->errors, field, "%s", message);
    task_done(t, "failed");
}

/* Appends a row's result to the answer. */
static void write_result(import_job *j, row_task *t)
{
    j->rows++;
    if (strcmp(t->status, "failed") == 0)
        j->failed++;
    else if (strcmp(t->status, "unchanged") == 0)
        j->unchanged++;
    else if (strcmp(t->status, "created") == 0 || strcmp(t->status, "would_create") == 0)
        j->created++;
    else
        j->updated++;
    json_t *o = json_pack("{s:i, s:O?, s:s, s:s?, s:O, s:o, s:o}", "row", (json_int_t)t->row, "external_ref",
                          json_object_get(t->r.body, "external_ref"), "status", t->status, "id",
                          t->id[0] ? t->id : NULL, "errors", t->errors, "warnings",
                          t->warnings ? json_incref(t->warnings) : json_array(), "overlaps",
                          t->overlaps ? json_incref(t->overlaps) : json_array());
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text) {
        j->oom = true;
        return;
    }
    if (j->rows > 1)
        evbuffer_add(j->out, ",", 1);
    evbuffer_add(j->out, text, strlen(text));
    free(text);
}

/* ---- the internal request ------------------------------------------------------------- */

static void on_child_reply(void *arg, int status, const char *body, size_t len);
static void start_task(row_task *t);

static void noop_request_cb(struct evhttp_request *req, void *arg)
{
    (void)req;
    (void)arg;
}

/* Runs body (owned) through the POST (patch_id NULL) or PATCH handler on the
 * task's connection. */
static void run_child(row_task *t, json_t *body, const char *patch_id, long if_match)
{
    import_job *j = t->job;
    request *c = calloc(1, sizeof *c);
    struct evhttp_request *req = c ? evhttp_request_new(noop_request_cb, NULL) : NULL;
    if (!req) {
        free(c);
        json_decref(body);
        task_fail(t, "", "out of memory; import this row again");
        return;
    }
    c->srv = j->srv;
    c->req = req;
    c->method = patch_id ? "PATCH" : "POST";
    snprintf(c->request_id, sizeof c->request_id, "%.50s.r%ld", j->who.request_id, t->row);
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    c->role = j->who.role;
    memcpy(c->org_id, j->who.org_id, UUID_STR_LEN);
    memcpy(c->key_id, j->who.key_id, UUID_STR_LEN);
    c->conn = t->conn;
    t->conn = NULL;
    c->body = body;
    TAILQ_INIT(&c->query);
    if (j->dry_run || t->checking)
        evhttp_add_header(&c->query, "dry_run", "true");
    c->sink = on_child_reply;
    c->sink_arg = t;
    c->flush_later = true;
    c->next = j->srv->requests;
    if (c->next)
        c->next->prev = c;
    j->srv->requests = c;
    if (patch_id) {
        snprintf(c->path_param, sizeof c->path_param, "%s", patch_id);
        char etag[32];
        snprintf(etag, sizeof etag, "\"%ld\"", if_match);
        evhttp_add_header(evhttp_request_get_input_headers(req), "If-Match", etag);
        api_consultation_patch(c);
    } else {
        api_consultation_create(c);
    }
}

/* true when one of the first n errors names field. */
static bool reported(const json_t *errors, size_t n, const char *field)
{
    for (size_t k = 0; k < n; k++) {
        const char *f = json_string_value(json_object_get(json_array_get(errors, k), "field"));
        if (f && field[0] && strcmp(f, field) == 0)
            return true;
    }
    return false;
}

static void on_child_reply(void *arg, int status, const char *body, size_t len)
{
    row_task *t = arg;
    import_job *j = t->job;
    json_t *doc = json_loadb(body, len, 0, NULL);
    if ((status == 200 || status == 201) && t->checking) {
        /* the rest of the row is right: its cells' errors alone fail it */
        t->warnings = json_incref(json_object_get(doc, "warnings"));
        json_decref(doc);
        task_done(t, "failed");
        return;
    }
    if (status == 200 || status == 201) {
        const char *id = json_string_value(json_object_get(doc, "id"));
        if (id)
            snprintf(t->id, sizeof t->id, "%s", id);
        t->warnings = json_incref(json_object_get(doc, "warnings"));
        t->overlaps = json_incref(json_object_get(doc, "overlaps"));
        bool created = status == 201 || (j->dry_run && !id);
        json_decref(doc);
        task_done(t, created ? (j->dry_run ? "would_create" : "created") : (j->dry_run ? "would_update" : "updated"));
        return;
    }
    const char *existing = json_string_value(json_object_get(doc, "existing_id"));
    if (status == 409 && existing && t->attempts == 0 && !t->updating) {
        /* Created meanwhile (another import of the same reference): match it again. */
        t->attempts++;
        json_decref(doc);
        j->inflight--;
        t->started = false;
        start_task(t);
        return;
    }
    json_t *errs = json_object_get(doc, "errors");
    size_t i;
    json_t *e;
    size_t cell_errors = json_array_size(t->errors);
    json_array_foreach(errs, i, e) {
        char field[128];
        const char *f = json_string_value(json_object_get(e, "field"));
        import_field_name(f ? f : "", field, sizeof field);
        if (reported(t->errors, cell_errors, field))
            continue; /* a refused cell is left out of the body: "is required" says it again */
        json_t *copy = json_deep_copy(e);
        json_object_set_new(copy, "field", json_string(field));
        json_array_append_new(t->errors, copy);
    }
    if (json_array_size(errs) == 0) {
        const char *detail = json_string_value(json_object_get(doc, "detail"));
        const char *title = json_string_value(json_object_get(doc, "title"));
        char msg[400];
        snprintf(msg, sizeof msg, "%s (HTTP %d)", detail ? detail : title ? title : "refused", status);
        errors_add(t->errors, status == 412 ? "version" : "", "%s", msg);
    }
    json_decref(doc);
    task_done(t, "failed");
}

/* ---- matching a row against what is stored ------------------------------------------- */

static bool same_params(const consultation_params *a, const consultation_params *b)
{
    for (int i = 2; i < CONSULTATION_NPARAMS; i++) {
        const char *x = a->values[i], *y = b->values[i];
        if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
            return false;
    }
    return true;
}

/* The stored document as a request body: server-owned and null members dropped. */
static json_t *stored_body(const json_t *doc)
{
    json_t *b = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)doc, k, v) {
        if (!consultation_server_field(k) && !json_is_null(v))
            json_object_set(b, k, v);
    }
    return b;
}

/* true when patch, merged onto the stored body, would be stored exactly as it is. */
static bool unchanged(import_job *j, const json_t *base, const json_t *patch, const char *id)
{
    consultation a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    json_t *merged = json_merge_patch(base, patch);
    json_t *e1 = json_array(), *e2 = json_array(), *w = json_array();
    bool same = false;
    /* each parsed side is freed whatever the other gives (a failed parse frees its own) */
    bool ok_a = merged && consultation_parse(base, j->srv->vocab, j->srv->areas, &a, e1, w) == 0;
    bool ok_b = ok_a && consultation_parse(merged, j->srv->vocab, j->srv->areas, &b, e2, w) == 0;
    if (ok_b && a.inferred == b.inferred) {
        consultation_params pa, pb;
        memset(&pa, 0, sizeof pa);
        memset(&pb, 0, sizeof pb);
        if (consultation_params_fill(&pa, &a, id, j->who.org_id) == 0 &&
            consultation_params_fill(&pb, &b, id, j->who.org_id) == 0)
            same = same_params(&pa, &pb);
        consultation_params_free(&pa);
        consultation_params_free(&pb);
    }
    if (ok_a)
        consultation_free(&a);
    if (ok_b)
        consultation_free(&b);
    json_decref(merged);
    json_decref(e1);
    json_decref(e2);
    json_decref(w);
    return same;
}

/* What a lookup found for a row: nothing (found false), or the stored row. */
typedef struct stored_row {
    bool found;
    long version;
    const char *doc, *owner, *status;
} stored_row;

static void on_child_conn(db_conn *conn, void *arg);

/* Sends the row's body to the handler, on its connection (acquired first when it has none). */
static void to_handler(row_task *t, json_t *body, const char *patch_id, long if_match)
{
    if (t->conn) {
        run_child(t, body, patch_id, if_match);
        return;
    }
    t->child_body = body;
    t->child_if_match = if_match;
    t->child_patch = patch_id != NULL;
    db_acquire(t->job->srv->db, on_child_conn, t);
}

static void on_child_conn(db_conn *conn, void *arg)
{
    row_task *t = arg;
    json_t *body = t->child_body;
    t->child_body = NULL;
    if (!conn) {
        json_decref(body);
        task_fail(t, "", "the database was unavailable or busy; import this row again");
        return;
    }
    t->conn = conn;
    run_child(t, body, t->child_patch ? t->id : NULL, t->child_if_match);
}

/* Decides a row from what is stored: create, update, unchanged or failed. */
static void decide(row_task *t, const stored_row *s)
{
    import_job *j = t->job;
    if (!s->found) {
        if (t->r.id[0]) {
            task_fail(t, "id", "no consultation has this id");
            return;
        }
        to_handler(t, import_drop_nulls(t->r.body), NULL, 0);
        return;
    }
    if (strcmp(s->owner, j->who.org_id) != 0 && j->who.role != ROLE_ADMIN) {
        task_fail(t, "id", "this consultation belongs to another organisation; only its owner may change it");
        return;
    }
    json_t *doc = json_loads(s->doc, 0, NULL);
    const char *id = json_string_value(json_object_get(doc, "id"));
    if (!doc || !id) {
        json_decref(doc);
        task_fail(t, "", "the stored consultation could not be read; import this row again");
        return;
    }
    snprintf(t->id, sizeof t->id, "%s", id);
    json_t *base = stored_body(doc);
    json_t *patch = json_deep_copy(t->r.body);
    /* Inferred terms written back as they were exported stay inferred (as a
     * PATCH that does not set them). */
    if (json_is_true(json_object_get(doc, "inferred"))) {
        const char *keys[] = { "topics", "communities" };
        for (int k = 0; k < 2; k++) {
            json_t *given = json_object_get(patch, keys[k]);
            json_t *had = json_object_get(doc, keys[k]);
            if (given && (json_equal(given, had) || (json_is_null(given) && json_array_size(had) == 0)))
                json_object_del(patch, keys[k]);
        }
    }
    json_decref(doc);
    bool same = unchanged(j, base, patch, t->id);
    json_decref(base);
    if (same || (strcmp(s->status, "cancelled") == 0 && json_object_size(patch) == 0)) {
        json_decref(patch);
        task_done(t, t->checking ? "failed" : "unchanged");
        return;
    }
    t->updating = true;
    to_handler(t, patch, t->id, t->r.version ? t->r.version : s->version);
}

/* ---- one row's own lookup (a row repeated in its batch, or a create that raced) ---- */

static void on_lookup_round(PGresult *const *res, int n, void *arg)
{
    (void)n;
    row_task *t = arg;
    if (!db_ok(res[0])) {
        task_fail(t, "", "the database was unavailable; import this row again");
        return;
    }
    stored_row s = { .found = PQntuples(res[0]) > 0 };
    if (s.found) {
        s.version = atol(PQgetvalue(res[0], 0, 0));
        s.doc = PQgetvalue(res[0], 0, 1);
        s.owner = PQgetvalue(res[0], 0, 2);
        s.status = PQgetvalue(res[0], 0, 3);
    }
    decide(t, &s);
}

static void on_task_conn(db_conn *conn, void *arg)
{
    row_task *t = arg;
    import_job *j = t->job;
    if (!conn) {
        task_fail(t, "", "the database was unavailable or busy; import this row again");
        return;
    }
    t->conn = conn;
    /* prepared: one parse and plan per connection, not per row */
    const char *by_id[] = { t->r.id };
    const char *by_ref[] = { j->who.org_id, t->r.external_ref };
    db_call call = t->r.id[0] ? (db_call){ SQL_CONSULTATION_GET, 1, by_id, "import_by_id" }
                              : (db_call){ SQL_IMPORT_BY_REF, 2, by_ref, "import_by_ref" };
    db_pipeline(conn, &call, 1, on_lookup_round, t);
}

static void start_task(row_task *t)
{
    import_job *j = t->job;
    t->started = true;
    j->inflight++;
    /* Refused cells do not stop the row's other checks: it goes on as a dry
     * run (whatever the file's) and fails with every error found. */
    if (json_array_size(t->errors) > 0)
        t->checking = true;
    if (!t->r.external_ref && !t->r.id[0]) {
        task_fail(t, "external_ref", "is required (each row is matched on it)");
        return;
    }
    if (t->r.organisation[0] && strcmp(t->r.organisation, j->who.org_id) != 0 && j->who.role != ROLE_ADMIN) {
        task_fail(t, "organisation",
                  "this row is another organisation's consultation (from an export of the register); only its "
                  "owner may import it");
        return;
    }
    if (t->prefetched && t->attempts == 0) {
        stored_row s = { .found = t->stored_doc != NULL, .version = t->stored_version, .doc = t->stored_doc,
                         .owner = t->stored_owner, .status = t->stored_status };
        decide(t, &s);
        return;
    }
    db_acquire(j->srv->db, on_task_conn, t);
}

/* ---- the batch's lookup: every row's stored consultation in one query ------------------ */

/* true when an earlier row of the batch names the same consultation: its
 * lookup must wait for that row to be written. */
static bool repeated_in_batch(const import_job *j, size_t k, const PGresult *res)
{
    const row_task *t = &j->batch[k];
    for (size_t i = 0; i < k; i++) {
        const row_task *o = &j->batch[i];
        if ((t->r.external_ref && o->r.external_ref && strcmp(t->r.external_ref, o->r.external_ref) == 0) ||
            (t->r.id[0] && strcmp(t->r.id, o->r.id) == 0))
            return true;
        /* an earlier row found by id may be renaming the reference this row is matched on */
        if (!t->r.id[0] && o->r.id[0] && t->r.external_ref)
            for (int r = 0; r < PQntuples(res); r++)
                if (strcmp(PQgetvalue(res, r, 4), o->r.id) == 0 &&
                    strcmp(PQgetvalue(res, r, 5), t->r.external_ref) == 0)
                    return true;
    }
    return false;
}

static void on_batch_lookup(PGresult *res, void *arg)
{
    import_job *j = arg;
    db_release(j->lookup_conn);
    j->lookup_conn = NULL;
    if (db_ok(res)) {
        for (size_t k = 0; k < j->nbatch; k++) {
            row_task *t = &j->batch[k];
            if (repeated_in_batch(j, k, res))
                continue;
            t->prefetched = true;
            for (int i = 0; i < PQntuples(res); i++) {
                bool match = t->r.id[0] ? strcmp(PQgetvalue(res, i, 4), t->r.id) == 0
                                        : t->r.external_ref && !PQgetisnull(res, i, 5) &&
                                              strcmp(PQgetvalue(res, i, 2), j->who.org_id) == 0 &&
                                              strcmp(PQgetvalue(res, i, 5), t->r.external_ref) == 0;
                if (!match)
                    continue;
                t->stored_version = atol(PQgetvalue(res, i, 0));
                t->stored_doc = strdup(PQgetvalue(res, i, 1));
                t->stored_owner = strdup(PQgetvalue(res, i, 2));
                t->stored_status = strdup(PQgetvalue(res, i, 3));
                if (!t->stored_doc || !t->stored_owner || !t->stored_status)
                    t->prefetched = false; /* looked up again on its own */
                break;
            }
        }
    }
    /* On failure every row looks itself up. */
    j->looked_up = true;
    kick(j);
}

static void on_batch_lookup_round(PGresult *const *res, int n, void *arg)
{
    (void)n;
    on_batch_lookup(res[0], arg);
}

static void on_lookup_conn(db_conn *conn, void *arg)
{
    import_job *j = arg;
    if (!conn) {
        j->looked_up = true;
        kick(j);
        return;
    }
    j->lookup_conn = conn;
    strlist refs = { calloc(j->nbatch + 1, sizeof(char *)), 0 }, ids = { calloc(j->nbatch + 1, sizeof(char *)), 0 };
    if (refs.items && ids.items) {
        for (size_t k = 0; k < j->nbatch; k++) {
            const row_task *t = &j->batch[k];
            if (t->r.id[0])
                ids.items[ids.n++] = (char *)t->r.id;
            else if (t->r.external_ref)
                refs.items[refs.n++] = (char *)t->r.external_ref;
        }
    }
    free(j->lookup_lit[0]);
    free(j->lookup_lit[1]);
    j->lookup_lit[0] = refs.items ? strlist_to_pg(&refs) : NULL;
    j->lookup_lit[1] = ids.items ? strlist_to_pg(&ids) : NULL;
    free(refs.items);
    free(ids.items);
    if (!j->lookup_lit[0] || !j->lookup_lit[1]) {
        db_release(conn);
        j->lookup_conn = NULL;
        j->looked_up = true;
        kick(j);
        return;
    }
    db_call call = { SQL_IMPORT_BATCH_LOOKUP, 3, (const char *[]){ j->who.org_id, j->lookup_lit[0], j->lookup_lit[1] },
                     "import_batch_lookup" };
    db_pipeline(conn, &call, 1, on_batch_lookup_round, j);
}

/* ---- reading the file --------------------------------------------------------------- */

static int on_record(void *arg, char *const *cells, size_t n)
{
    import_job *j = arg;
    j->records++;
    if (!j->have_header) {
        j->have_header = true;
        if (j->rec.too_many) {
            errors_add(j->refusal, "header", "has more than %d columns", IMPORT_MAX_COLUMNS);
            j->refused = true;
            return -1;
        }
        if (import_header_read(cells, n, &j->h, j->refusal, &j->separator) < 0) {
            j->refused = true;
            return -1;
        }
        return 0;
    }
    /* A spreadsheet's empty row (",,,,"): not a consultation, not an error. */
    bool empty = true;
    for (size_t i = 0; i < n && empty; i++)
        empty = strspn(cells[i], " \t") == strlen(cells[i]);
    if (empty)
        return 0;
    if (j->nbatch == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : IMPORT_BATCH;
        row_task *b = realloc(j->batch, cap * sizeof *b);
        if (!b)
            return -1;
        j->batch = b;
        j->cap = cap;
    }
    row_task *t = &j->batch[j->nbatch++];
    memset(t, 0, sizeof *t);
    t->job = j;
    t->row = j->records;
    t->errors = json_array();
    import_row_map(&j->h, cells, n, &t->r, t->errors);
    bool extra = j->rec.too_many;
    for (size_t i = j->h.ncells; i < n && !extra; i++)
        extra = cells[i][0] != '\0';
    if (extra)
        errors_add(t->errors, "", "the row has more cells than the header has columns");
    return 0;
}

/* Parses until a batch of rows is read or the file ends. */
static void read_batch(import_job *j)
{
    while (j->nbatch < IMPORT_BATCH && !j->eof && !j->rec.failed) {
        size_t n = j->len - j->pos < IMPORT_SLICE ? j->len - j->pos : IMPORT_SLICE;
        if (n > 0 && csv_parse(&j->p, j->buf + j->pos, n, csv_records_field, csv_records_end, &j->rec) != n)
            j->rec.failed = true;
        j->pos += n;
        if (j->pos == j->len) {
            csv_fini(&j->p, csv_records_field, csv_records_end, &j->rec);
            j->eof = true;
        }
    }
}

/* ---- the loop ------------------------------------------------------------------------ */

static bool conflicts(const import_job *j, const row_task *t)
{
    for (size_t i = 0; i < j->nbatch; i++) {
        const row_task *o = &j->batch[i];
        if (o == t || !o->started || o->done)
            continue;
        if ((t->r.external_ref && o->r.external_ref && strcmp(t->r.external_ref, o->r.external_ref) == 0) ||
            (t->r.id[0] && (strcmp(t->r.id, o->r.id) == 0 || strcmp(t->r.id, o->id) == 0)))
            return true;
    }
    return false;
}

static void progress(import_job *j)
{
    /* 1. The whole file is UTF-8, a slice per turn. */
    if (j->checked < j->len) {
        size_t end = j->checked + IMPORT_CHECK_SLICE < j->len ? j->checked + IMPORT_CHECK_SLICE : j->len;
        while (end < j->len && ((unsigned char)j->buf[end] & 0xC0) == 0x80)
            end++;
        size_t line, byte;
        if (!import_utf8_check(j->buf + j->checked, end - j->checked, &line, &byte)) {
            import_utf8_check(j->buf, j->len, &line, &byte); /* the position in the whole file */
            char msg[200];
            snprintf(msg, sizeof msg,
                     "line %zu, byte %zu is not UTF-8; in a spreadsheet, save the file as \"CSV UTF-8 (comma "
                     "delimited)\"", line, byte);
            errors_add(j->refusal, "file", "%s", msg);
            snprintf(j->detail, sizeof j->detail, "The file is not UTF-8 (%s).", msg);
            refuse(j, j->detail);
            return;
        }
        j->checked = end;
        kick(j);
        return;
    }
    /* 2. The batch done: its results, in file order, then the next batch. */
    if (j->ndone == j->nbatch) {
        for (size_t i = 0; i < j->nbatch; i++) {
            write_result(j, &j->batch[i]);
            task_clear(&j->batch[i]);
        }
        j->nbatch = j->next = j->ndone = 0;
        bool first = j->records == 0;
        read_batch(j);
        if (j->refused) {
            const char *d = j->separator ? "The file is not comma-separated." : "The header row is not right.";
            snprintf(j->detail, sizeof j->detail, "%s Nothing was imported.", d);
            refuse(j, j->detail);
            return;
        }
        if (j->rec.failed || j->oom) {
            if (j->rows == 0 && j->nbatch == 0) {
                errors_add(j->refusal, "file", "could not be read (out of memory)");
                refuse(j, "The file could not be read. Nothing was imported.");
                return;
            }
            log_error("import %s: out of memory after %ld rows", j->who.request_id, j->rows);
        }
        if (first && j->nbatch == 0) {
            errors_add(j->refusal, "file", j->have_header ? "has a header and no rows" : "is empty");
            refuse(j, j->have_header ? "The file has a header row and no rows to import."
                                     : "The file is empty.");
            return;
        }
        if (j->nbatch == 0) {
            finish(j);
            return;
        }
        j->looked_up = false;
        db_acquire(j->srv->db, on_lookup_conn, j);
        return;
    }
    if (!j->looked_up)
        return; /* kicked again once the batch's lookup answers */
    /* 3. Rows in flight, in order. */
    while (j->inflight < IMPORT_PARALLEL && j->next < j->nbatch) {
        row_task *t = &j->batch[j->next];
        if (conflicts(j, t))
            break;
        j->next++;
        start_task(t); /* may finish at once (kicks again) */
    }
}

static void on_progress(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    progress(arg);
}

void import_start(server *srv, const import_caller *who, const char *buf, size_t len, bool dry_run,
                  import_done_fn done, void *arg)
{
    import_job *j = calloc(1, sizeof *j);
    if (!j || csv_init(&j->p, 0) != 0) {
        free(j);
        import_outcome o = { .status = 422, .detail = "Out of memory: nothing was imported.", .errors = json_array() };
        done(arg, &o);
        return;
    }
    j->srv = srv;
    j->who = *who;
    j->dry_run = dry_run;
    size_t bom = import_bom_len(buf, len);
    j->buf = buf + bom;
    j->len = len - bom;
    j->done = done;
    j->done_arg = arg;
    j->rec.on_record = on_record;
    j->rec.arg = j;
    j->out = evbuffer_new();
    j->refusal = json_array();
    j->ev = event_new(srv->base, -1, 0, on_progress, j);
    if (!j->out || !j->refusal || !j->ev) {
        errors_add(j->refusal, "file", "out of memory");
        refuse(j, "Out of memory: nothing was imported.");
        return;
    }
    size_t blank = 0;
    while (blank < j->len && strchr(" \t\r\n", j->buf[blank]))
        blank++;
    if (blank == j->len) {
        errors_add(j->refusal, "file", "is empty");
        refuse(j, "The file is empty.");
        return;
    }
    kick(j);
}
