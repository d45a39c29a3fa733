/* api_consultations.c - POST/GET/PATCH/DELETE /v1/consultations. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "consultation.h"
#include "http_reply.h"
#include "list_query.h"
#include "router.h"
#include "server.h"
#include "store_consultations.h"

#define IDEMPOTENCY_KEY_MAX 200

typedef struct cstate {
    consultation c;
    consultation_params params;
    json_t *warnings;
    char id[UUID_STR_LEN];
    char owner[UUID_STR_LEN];
    char version[24];
    /* Idempotency-Key handling */
    char idem_key[IDEMPOTENCY_KEY_MAX + 1];
    char req_hash[2 + 2 * SHA256_DIGEST_LENGTH + 1];
    char status_text[8];
    char location[96];
    char *response;
    int status;
} cstate;

static void cstate_free(void *p)
{
    cstate *st = p;
    consultation_free(&st->c);
    consultation_params_free(&st->params);
    json_decref(st->warnings);
    free(st->response);
    free(st);
}

static cstate *cstate_new(request *rq)
{
    cstate *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->warnings = json_array();
    rq->state = st;
    rq->state_free = cstate_free;
    return st;
}

static void not_found(request *rq)
{
    reply_problem(rq, 404, "not-found", "Not found", "No consultation with this id.", NULL, NULL);
}

static void set_etag(request *rq, const char *version)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%s\"", version);
    reply_header(rq, "ETag", etag);
}

/* The stored document plus this write's warnings and overlaps, serialised. */
static char *response_doc(const char *doc, const char *unknown_areas, json_t *warnings)
{
    json_t *obj = json_loads(doc, 0, NULL);
    json_t *unknown = json_loads(unknown_areas, 0, NULL);
    if (!obj) {
        json_decref(unknown);
        return NULL;
    }
    json_t *w = json_deep_copy(warnings);
    size_t i;
    json_t *a;
    json_array_foreach(unknown, i, a) {
        char msg[128];
        snprintf(msg, sizeof msg, "areas: %s is not in the area register", json_string_value(a));
        json_array_append_new(w, json_string(msg));
    }
    json_decref(unknown);
    json_object_set_new(obj, "warnings", w);
    json_object_set_new(obj, "overlaps", json_array());
    char *out = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return out;
}

static void reply_validation(request *rq, json_t *errors)
{
    reply_problem(rq, 422, "validation", "Invalid consultation", "One or more fields are invalid.", errors, NULL);
}

/* ---- external_ref conflicts (409 with existing_id) ------------------------ */

static void on_existing_ref(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    json_t *ext = json_object();
    if (PQntuples(res) == 1)
        json_object_set_new(ext, "existing_id", json_string(PQgetvalue(res, 0, 0)));
    json_t *errors = json_array();
    errors_add(errors, "external_ref", "already used by another consultation of this organisation");
    reply_problem(rq, 409, "conflict", "Conflict", "external_ref is already used by this organisation.", errors, ext);
}

static void find_existing_ref(request *rq)
{
    cstate *st = rq->state;
    /* The transaction (if any) failed or is to be discarded: look up afresh. */
    const char *p[] = { st->owner, st->c.external_ref };
    db_query(rq->conn, SQL_CONSULTATION_BY_REF, 2, p, on_existing_ref, rq);
}

static void on_rolled_back(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    find_existing_ref(rq);
}

/* ---- POST ----------------------------------------------------------------- */

static void on_committed(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    reply_header(rq, "Location", st->location);
    set_etag(rq, st->version);
    reply_json_text(rq, st->status, st->response, strlen(st->response));
}

static void on_idem_saved(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    db_query(rq->conn, "COMMIT", 0, NULL, on_committed, rq);
}

static void on_created(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        if (st->idem_key[0])
            db_query(rq->conn, "ROLLBACK", 0, NULL, on_rolled_back, rq);
        else
            find_existing_ref(rq);
        return;
    }
    snprintf(st->version, sizeof st->version, "%s", PQgetvalue(res, 0, 0));
    st->response = response_doc(PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), st->warnings);
    if (!st->response) {
        reply_unavailable(rq);
        return;
    }
    st->status = 201;
    snprintf(st->location, sizeof st->location, "/v1/consultations/%s", st->id);
    if (!st->idem_key[0]) {
        reply_header(rq, "Location", st->location);
        set_etag(rq, st->version);
        reply_json_text(rq, 201, st->response, strlen(st->response));
        return;
    }
    const char *p[] = { rq->org_id, st->idem_key, st->req_hash, "201", st->location, st->response };
    db_query(rq->conn,
             "INSERT INTO idempotency_keys (organisation_id, key, request_hash, status, location, body)"
             " VALUES ($1, $2, $3::bytea, $4, $5, $6) ON CONFLICT (organisation_id, key) DO UPDATE"
             " SET request_hash = excluded.request_hash, status = excluded.status, location = excluded.location,"
             " body = excluded.body, created_at = now()",
             6, p, on_idem_saved, rq);
}

static void insert_consultation(request *rq)
{
    cstate *st = rq->state;
    db_query(rq->conn, SQL_CONSULTATION_INSERT, CONSULTATION_NPARAMS, st->params.values, on_created, rq);
}

static void on_idem_lookup(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        insert_consultation(rq);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), st->req_hash) != 0) {
        json_t *errors = json_array();
        errors_add(errors, "Idempotency-Key", "was already used with a different request body");
        reply_problem(rq, 422, "idempotency-key-reused", "Idempotency-Key reused",
                      "This Idempotency-Key was used for a different request in the last 24 hours.", errors, NULL);
        return;
    }
    /* A replay: the original answer, as it was. */
    const char *body = PQgetvalue(res, 0, 3);
    json_t *doc = json_loads(body, 0, NULL);
    json_t *version = json_object_get(doc, "version");
    if (json_is_integer(version)) {
        char v[16];
        snprintf(v, sizeof v, "%lld", (long long)json_integer_value(version));
        set_etag(rq, v);
    }
    json_decref(doc);
    if (!PQgetisnull(res, 0, 2))
        reply_header(rq, "Location", PQgetvalue(res, 0, 2));
    reply_header(rq, "Idempotent-Replayed", "true");
    reply_json_text(rq, atoi(PQgetvalue(res, 0, 1)), body, strlen(body));
}

static void on_idem_lock(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        reply_problem(rq, 409, "idempotency-in-progress", "Request in progress",
                      "A request with this Idempotency-Key is still being processed; retry shortly.", NULL, NULL);
        return;
    }
    const char *p[] = { rq->org_id, st->idem_key };
    db_query(rq->conn,
             "SELECT request_hash::text, status, location, body FROM idempotency_keys"
             " WHERE organisation_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'",
             2, p, on_idem_lookup, rq);
}

static void on_begin(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    const char *p[] = { rq->org_id, st->idem_key };
    db_query(rq->conn, "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 7406))", 2, p,
             on_idem_lock, rq);
}

/* Reads Idempotency-Key; -1 (after replying 400) when malformed. */
static int read_idempotency_key(request *rq, cstate *st)
{
    const char *k = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "Idempotency-Key");
    if (!k)
        return 0;
    size_t n = strlen(k);
    bool ok = n >= 1 && n <= IDEMPOTENCY_KEY_MAX;
    for (const char *c = k; ok && *c; c++)
        ok = (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f;
    if (!ok) {
        json_t *errors = json_array();
        errors_add(errors, "Idempotency-Key", "must be 1 to %d visible ASCII characters", IDEMPOTENCY_KEY_MAX);
        reply_problem(rq, 400, "bad-header", "Bad header", "The Idempotency-Key header is malformed.", errors, NULL);
        return -1;
    }
    snprintf(st->idem_key, sizeof st->idem_key, "%s", k);
    /* The hash covers the operation and the exact body bytes. */
    unsigned char d[SHA256_DIGEST_LENGTH];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok_hash = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
                  EVP_DigestUpdate(ctx, rq->method, strlen(rq->method)) &&
                  EVP_DigestUpdate(ctx, " ", 1) &&
                  EVP_DigestUpdate(ctx, rq->route->pattern, strlen(rq->route->pattern)) &&
                  EVP_DigestUpdate(ctx, "\n", 1) &&
                  EVP_DigestUpdate(ctx, rq->raw_body ? rq->raw_body : "", rq->raw_len) &&
                  EVP_DigestFinal_ex(ctx, d, NULL);
    EVP_MD_CTX_free(ctx);
    if (!ok_hash) {
        reply_unavailable(rq);
        return -1;
    }
    memcpy(st->req_hash, "\\x", 2);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(st->req_hash + 2 + 2 * i, 3, "%02x", d[i]);
    return 0;
}

void api_consultation_create(request *rq)
{
    if (!rq->srv->vocab) {
        reply_unavailable(rq);
        return;
    }
    cstate *st = cstate_new(rq);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    if (read_idempotency_key(rq, st) < 0)
        return;
    json_t *errors = json_array();
    if (consultation_parse(rq->body, rq->srv->vocab, &st->c, errors, st->warnings) < 0) {
        reply_validation(rq, errors);
        return;
    }
    json_decref(errors);
    snprintf(st->owner, sizeof st->owner, "%s", rq->org_id);
    if (uuid7_new(st->id) < 0 || consultation_params_fill(&st->params, &st->c, st->id, rq->org_id) < 0) {
        reply_unavailable(rq);
        return;
    }
    if (st->idem_key[0])
        db_query(rq->conn, "BEGIN", 0, NULL, on_begin, rq);
    else
        insert_consultation(rq);
}

/* ---- GET one -------------------------------------------------------------- */

static void on_get(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        not_found(rq);
        return;
    }
    set_etag(rq, PQgetvalue(res, 0, 0));
    reply_json_text(rq, 200, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
}

void api_consultation_get(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    const char *p[] = { rq->path_param };
    db_query(rq->conn, SQL_CONSULTATION_GET, 1, p, on_get, rq);
}

/* ---- PATCH and DELETE: load, check owner and version, write ---------------- */

/* Parses If-Match: the version it names, 0 for "*", -1 when absent (after
 * replying 428), -2 when malformed (after replying 400). */
static long read_if_match(request *rq)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "If-Match");
    if (!h) {
        reply_problem(rq, 428, "precondition-required", "Precondition required",
                      "Send If-Match with the ETag from your last read of this consultation.", NULL, NULL);
        return -1;
    }
    while (*h == ' ')
        h++;
    if (strcmp(h, "*") == 0)
        return 0;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    char *end;
    long v = *h == '"' ? strtol(h + 1, &end, 10) : -1;
    if (v < 1 || *end != '"' || end[1] != '\0') {
        reply_problem(rq, 400, "bad-header", "Bad header", "If-Match must be an ETag such as \"3\".", NULL, NULL);
        return -2;
    }
    return v;
}

/* Shared checks on the loaded row; replies and returns -1 when they fail. */
static int check_loaded(request *rq, PGresult *res, long want_version)
{
    cstate *st = rq->state;
    if (!db_ok(res)) {
        reply_db_error(rq, res);
        return -1;
    }
    if (PQntuples(res) == 0) {
        not_found(rq);
        return -1;
    }
    snprintf(st->owner, sizeof st->owner, "%s", PQgetvalue(res, 0, 2));
    if (strcmp(st->owner, rq->org_id) != 0 && rq->role != ROLE_ADMIN) {
        reply_problem(rq, 403, "forbidden", "Forbidden",
                      "Only the organisation that posted this consultation (or an admin) may change it.", NULL, NULL);
        return -1;
    }
    long current = atol(PQgetvalue(res, 0, 0));
    if (want_version != 0 && want_version != current) {
        set_etag(rq, PQgetvalue(res, 0, 0));
        reply_problem(rq, 412, "precondition-failed", "Precondition failed",
                      "The consultation has changed since you read it; read it again and retry.", NULL, NULL);
        return -1;
    }
    snprintf(st->version, sizeof st->version, "%ld", current);
    return 0;
}

static void on_written(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (!db_ok(res)) {
        if (strcmp(db_sqlstate(res), "23505") == 0 && st->c.external_ref) {
            find_existing_ref(rq);
            return;
        }
        reply_db_error(rq, res);
        return;
    }
    if (PQntuples(res) == 0) {
        reply_problem(rq, 412, "precondition-failed", "Precondition failed",
                      "The consultation changed while this request ran; read it again and retry.", NULL, NULL);
        return;
    }
    set_etag(rq, PQgetvalue(res, 0, 0));
    char *doc = response_doc(PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), st->warnings);
    if (!doc) {
        reply_unavailable(rq);
        return;
    }
    reply_json_text(rq, 200, doc, strlen(doc));
    free(doc);
}

static void on_patch_loaded(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (check_loaded(rq, res, atol(st->version)) < 0)
        return;
    if (strcmp(PQgetvalue(res, 0, 3), "cancelled") == 0) {
        reply_problem(rq, 409, "cancelled", "Conflict", "A cancelled consultation cannot be edited.", NULL, NULL);
        return;
    }
    json_t *stored = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
    if (!stored) {
        reply_unavailable(rq);
        return;
    }
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(stored, tmp, key, val) {
        if (consultation_server_field(key) || json_is_null(val))
            json_object_del(stored, key);
    }
    json_t *merged = json_merge_patch(stored, rq->body);
    json_decref(stored);
    json_t *errors = json_array();
    int rc = consultation_parse(merged, rq->srv->vocab, &st->c, errors, st->warnings);
    json_decref(merged);
    if (rc < 0) {
        reply_validation(rq, errors);
        return;
    }
    json_decref(errors);
    if (consultation_params_fill(&st->params, &st->c, rq->path_param, st->owner) < 0) {
        reply_unavailable(rq);
        return;
    }
    st->params.values[CONSULTATION_NPARAMS] = st->version;
    db_query(rq->conn, SQL_CONSULTATION_UPDATE, CONSULTATION_NPARAMS + 1, st->params.values, on_written, rq);
}

void api_consultation_patch(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    if (!rq->srv->vocab) {
        reply_unavailable(rq);
        return;
    }
    long want = read_if_match(rq);
    if (want < 0)
        return;
    /* Server-owned fields in the patch are refused by name, before anything is read. */
    json_t *errors = json_array();
    const char *key;
    json_t *val;
    json_object_foreach(rq->body, key, val) {
        if (consultation_server_field(key))
            errors_add(errors, key, "is set by the server and cannot be changed");
    }
    if (json_array_size(errors) > 0) {
        reply_validation(rq, errors);
        return;
    }
    json_decref(errors);
    cstate *st = cstate_new(rq);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    snprintf(st->version, sizeof st->version, "%ld", want);
    const char *p[] = { rq->path_param };
    db_query(rq->conn, SQL_CONSULTATION_GET, 1, p, on_patch_loaded, rq);
}

static void on_delete_loaded(PGresult *res, void *arg)
{
    request *rq = arg;
    cstate *st = rq->state;
    if (check_loaded(rq, res, atol(st->version)) < 0)
        return;
    if (strcmp(PQgetvalue(res, 0, 3), "cancelled") == 0) {
        set_etag(rq, PQgetvalue(res, 0, 0));
        reply_json_text(rq, 200, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
        return;
    }
    const char *p[] = { rq->path_param, st->version };
    db_query(rq->conn, SQL_CONSULTATION_CANCEL, 2, p, on_written, rq);
}

void api_consultation_delete(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        not_found(rq);
        return;
    }
    long want = read_if_match(rq);
    if (want < 0)
        return;
    cstate *st = cstate_new(rq);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    snprintf(st->version, sizeof st->version, "%ld", want);
    const char *p[] = { rq->path_param };
    db_query(rq->conn, SQL_CONSULTATION_GET, 1, p, on_delete_loaded, rq);
}

/* ---- GET list ------------------------------------------------------------- */

typedef struct lstate {
    list_query q;
} lstate;

static void lstate_free(void *p)
{
    lstate *st = p;
    list_query_free(&st->q);
    free(st);
}

static void on_list(PGresult *res, void *arg)
{
    request *rq = arg;
    lstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    int rows = PQntuples(res);
    int shown = rows > st->q.limit ? st->q.limit : rows;
    size_t cap = 64;
    for (int i = 0; i < shown; i++)
        cap += (size_t)PQgetlength(res, i, 1) + 1;
    char *out = malloc(cap + 64);
    if (!out) {
        reply_unavailable(rq);
        return;
    }
    size_t o = 0;
    memcpy(out, "{\"items\":[", 10);
    o = 10;
    for (int i = 0; i < shown; i++) {
        if (i)
            out[o++] = ',';
        size_t n = (size_t)PQgetlength(res, i, 1);
        memcpy(out + o, PQgetvalue(res, i, 1), n);
        o += n;
    }
    if (rows > shown) {
        char cursor[48];
        list_cursor_encode(PQgetvalue(res, shown - 1, 0), cursor, sizeof cursor);
        o += (size_t)snprintf(out + o, cap + 64 - o, "],\"next_cursor\":\"%s\"}", cursor);
    } else {
        o += (size_t)snprintf(out + o, cap + 64 - o, "],\"next_cursor\":null}");
    }
    reply_json_text(rq, 200, out, o);
    free(out);
}

void api_consultation_list(request *rq)
{
    if (!rq->srv->vocab) {
        reply_unavailable(rq);
        return;
    }
    lstate *st = calloc(1, sizeof *st);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    rq->state = st;
    rq->state_free = lstate_free;
    json_t *errors = json_array();
    if (list_query_build(&rq->query, rq->srv->vocab, &st->q, errors) < 0) {
        reply_problem(rq, 400, "bad-query", "Bad query", "One or more query parameters are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    db_query(rq->conn, st->q.sql, st->q.nparams, st->q.params, on_list, rq);
}
