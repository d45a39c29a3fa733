/* api_consultations_write.c - POST and PATCH /v1/consultations: the write and its
 * overlap check in one transaction.
 *
 *   BEGIN
 *   [Idempotency-Key: try its advisory lock (409 if held), look up a replay]
 *   SQL_LOCK_BUCKETS                exclusive own (area, month), shared ancestors
 *   INSERT/UPDATE ... + keys + candidates   one statement, snapshot after the locks
 *   -- score every candidate in C (overlap.c) --
 *   upsert overlaps (PATCH: resolve the ones that no longer hold)
 *   [store the response under the Idempotency-Key]
 *   COMMIT, reply                   (?dry_run=true: ROLLBACK, reply 200 with
 *                                    what would be stored, ids of new rows null)
 *
 * Two writes that could overlap conflict on a lock, so whichever commits
 * second sees the first: each pair is found once, never zero times. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_common.h"
#include "job_dispatch.h"
#include "consultation.h"
#include "http_reply.h"
#include "overlap.h"
#include "overlap_plan.h"
#include "router.h"
#include "server.h"
#include "store_consultations.h"
#include "store_idempotency.h"

#define IDEMPOTENCY_KEY_MAX 200

typedef struct wstate {
    consultation c;
    consultation_params params;
    json_t *warnings;
    bool update;
    bool dry_run;                 /* ?dry_run=true: the same transaction, rolled back */
    char id[UUID_STR_LEN];
    char owner[UUID_STR_LEN];
    char version[24];
    bool was_inferred;            /* PATCH: the stored terms were inferred */
    /* the overlap check */
    overlap_side side;
    overlap_plan plan;            /* scope, keys, probe keys, locks, window */
    char generation[24];          /* of the area register the plan was made with */
    char *rows;                   /* the scored pairs, as the JSON the upsert takes */
    json_t *overlaps;             /* the overlaps this write found, as returned */
    long events;                  /* alert events it wrote */
    char *doc;
    /* Idempotency-Key */
    char idem_key[IDEMPOTENCY_KEY_MAX + 1];
    char req_hash[2 + 2 * SHA256_DIGEST_LENGTH + 1];
    char location[96];
    char *response;
} wstate;

static void wstate_free(void *p)
{
    wstate *st = p;
    consultation_free(&st->c);
    consultation_params_free(&st->params);
    json_decref(st->warnings);
    overlap_side_clear(&st->side);
    overlap_plan_clear(&st->plan);
    free(st->rows);
    json_decref(st->overlaps);
    free(st->doc);
    free(st->response);
    free(st);
}

static wstate *wstate_new(request *rq)
{
    wstate *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->warnings = json_array();
    rq->state = st;
    rq->state_free = wstate_free;
    return st;
}

/* Answers a write whose check could not be prepared: 422 naming "areas" when
 * their scope is wider than the engine checks (rc OVERLAP_SCOPE_TOO_WIDE),
 * else 503 (out of memory). */
static void reply_check_refused(request *rq, int rc)
{
    if (rc == OVERLAP_SCOPE_TOO_WIDE)
        api_reply_areas_too_wide(rq);
    else
        reply_unavailable(rq);
}

/* Builds the engine's view of the consultation being written, its keys and
 * its locks, and warns about areas the register does not know. Returns 0,
 * OVERLAP_SCOPE_TOO_WIDE (reply_check_refused answers 422), or -2 when out
 * of memory. */
static int prepare_check(request *rq, wstate *st)
{
    const area_register *reg = rq->srv->areas;
    json_t *scope_json;
    int src = overlap_plan_scope(reg, (const char *const *)st->c.areas.items, st->c.areas.n, &scope_json);
    if (src < 0)
        return src;
    for (size_t i = 0; i < st->c.areas.n; i++) {
        if (!areas_find(reg, st->c.areas.items[i])) {
            char msg[96];
            snprintf(msg, sizeof msg, "areas: %s is not in the area register", st->c.areas.items[i]);
            json_array_append_new(st->warnings, json_string(msg));
        }
    }
    int rc = overlap_side_of(&st->side, st->id, st->owner, &st->c, scope_json);
    if (rc < 0 || overlap_plan_build(&st->plan, &st->side, rq->srv->cfg->overlap_window_days) < 0)
        return -2;
    snprintf(st->generation, sizeof st->generation, "%lld", reg ? reg->generation : 0LL);
    st->params.values[16] = st->plan.scope;
    st->params.values[17] = st->plan.keys;
    st->params.values[18] = st->plan.probe;
    st->params.values[19] = st->plan.from;
    st->params.values[20] = st->plan.to;
    st->params.values[21] = st->generation;
    st->params.values[23] = st->version; /* [22]: the visibility */
    return 0;
}

/* ---- the reply ------------------------------------------------------------------ */

/* A dry run's answer: the document as it would be stored, the id of a new
 * consultation and of every overlap null (nothing was kept). */
static void send_dry_run(request *rq)
{
    wstate *st = rq->state;
    json_t *doc = json_loads(st->response, 0, NULL);
    if (!doc) {
        reply_unavailable(rq);
        return;
    }
    if (!st->update)
        json_object_set_new(doc, "id", json_null());
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(doc, "overlaps"), i, o)
        json_object_set_new(o, "id", json_null());
    reply_json(rq, 200, doc);
}

/* Only ever called once the write has committed (or, for a dry run, rolled back). */
static void send_response(request *rq)
{
    wstate *st = rq->state;
    if (st->dry_run) {
        send_dry_run(rq);
        return;
    }
    if (st->events > 0)
        dispatcher_events_written(rq->srv->alerts);
    if (!st->update)
        reply_header(rq, "Location", st->location);
    api_set_etag(rq, st->version);
    reply_json_text(rq, st->update ? 200 : 201, st->response, strlen(st->response));
}

static void on_committed(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    send_response(rq);
}

/* Replies for the first failure of a pipeline; true when there was one. */
static bool reply_if_pipeline_failed(request *rq, PGresult *const *res, int n)
{
    bool lost;
    const PGresult *bad = db_pipeline_failure(res, n, &lost);
    if (lost) {
        reply_unavailable(rq);
        return true;
    }
    if (bad) {
        reply_db_error(rq, bad);
        return true;
    }
    return false;
}

static void on_saved_and_committed(PGresult *const *res, int n, void *arg)
{
    request *rq = arg;
    if (reply_if_pipeline_failed(rq, res, n))
        return;
    send_response(rq);
}

static void finish_write(request *rq)
{
    wstate *st = rq->state;
    st->response = consultation_response_text(st->doc, st->warnings, st->overlaps);
    if (!st->response) {
        reply_unavailable(rq);
        return;
    }
    if (!st->idem_key[0]) {
        db_query(rq->conn, st->dry_run ? "ROLLBACK" : "COMMIT", 0, NULL, on_committed, rq);
        return;
    }
    const char *p[] = { rq->org_id, st->idem_key, st->req_hash, "201", st->location, st->response };
    db_call calls[] = { { SQL_IDEMPOTENCY_SAVE, 6, p, NULL }, { "COMMIT", 0, NULL, NULL } };
    db_pipeline(rq->conn, calls, 2, on_saved_and_committed, rq);
}

/* ---- overlaps ---------------------------------------------------------------------- */

static void take_overlaps(request *rq, const PGresult *res)
{
    wstate *st = rq->state;
    st->overlaps = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    rq->srv->overlaps_detected += (unsigned long)atol(PQgetvalue(res, 0, 1));
    st->events = atol(PQgetvalue(res, 0, 2));
}

static void on_overlaps(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    take_overlaps(rq, res);
    finish_write(rq);
}

static void on_overlaps_committed(PGresult *const *res, int n, void *arg)
{
    request *rq = arg;
    wstate *st = rq->state;
    if (reply_if_pipeline_failed(rq, res, n))
        return;
    take_overlaps(rq, res[0]);
    st->response = consultation_response_text(st->doc, st->warnings, st->overlaps);
    if (!st->response) {
        reply_unavailable(rq);
        return;
    }
    send_response(rq);
}

/* Scores every candidate; writes the overlaps found (and, for an update,
 * resolves the ones that no longer hold). */
static void score_candidates(request *rq, const char *candidates_text)
{
    wstate *st = rq->state;
    json_t *candidates = json_loads(candidates_text, 0, NULL);
    json_t *rows = candidates ? overlap_plan_score(&st->side, candidates, rq->srv->vocab, rq->srv->areas,
                                                   rq->srv->text_weights, rq->srv->cfg->overlap_window_days)
                              : NULL;
    json_decref(candidates);
    if (!rows) {
        reply_unavailable(rq);
        return;
    }
    if (json_array_size(rows) == 0 && !st->update) {
        json_decref(rows);
        finish_write(rq);
        return;
    }
    char *text = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);
    if (!text) {
        reply_unavailable(rq);
        return;
    }
    st->rows = text;
    const char *p[] = { st->rows, st->id, st->update ? "true" : "false" };
    if (st->idem_key[0]) { /* the stored replay must hold the overlaps: commit after it */
        db_query(rq->conn, SQL_OVERLAPS_UPSERT, 3, p, on_overlaps, rq);
        return;
    }
    db_call calls[] = { { SQL_OVERLAPS_UPSERT, 3, p, "overlaps_upsert" },
                        { st->dry_run ? "ROLLBACK" : "COMMIT", 0, NULL, NULL } };
    db_pipeline(rq->conn, calls, 2, on_overlaps_committed, rq);
}

/* ---- external_ref conflicts (409 with existing_id) ----------------------------- */

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

static void on_rolled_back(PGresult *res, void *arg)
{
    request *rq = arg;
    wstate *st = rq->state;
    if (reply_if_db_error(rq, res))
        return;
    const char *p[] = { st->owner, st->c.external_ref };
    db_query(rq->conn, SQL_CONSULTATION_BY_REF, 2, p, on_existing_ref, rq);
}

/* The write's own result: the new row with its candidates, or why not. */
static void handle_written(request *rq, const PGresult *res)
{
    wstate *st = rq->state;
    if (PQntuples(res) == 0) {
        if (!st->update) { /* ON CONFLICT DO NOTHING: the external_ref is taken */
            db_query(rq->conn, "ROLLBACK", 0, NULL, on_rolled_back, rq);
            return;
        }
        reply_problem(rq, 412, "precondition-failed", "Precondition failed",
                      "The consultation changed while this request ran; read it again and retry.", NULL, NULL);
        return;
    }
    snprintf(st->version, sizeof st->version, "%s", PQgetvalue(res, 0, 0));
    st->doc = strdup(PQgetvalue(res, 0, 1));
    if (!st->doc) {
        reply_unavailable(rq);
        return;
    }
    score_candidates(rq, PQgetvalue(res, 0, 2));
}

static void on_write_round(PGresult *const *res, int n, void *arg)
{
    request *rq = arg;
    wstate *st = rq->state;
    bool lost;
    const PGresult *bad = db_pipeline_failure(res, n, &lost);
    if (!lost && bad == res[n - 1] && strcmp(db_sqlstate(bad), "23505") == 0 && st->c.external_ref) {
        db_query(rq->conn, "ROLLBACK", 0, NULL, on_rolled_back, rq);
        return;
    }
    if (reply_if_pipeline_failed(rq, res, n))
        return;
    handle_written(rq, res[n - 1]);
}

/* Sends [BEGIN,] the locks and the write in one round trip. */
static void send_write(request *rq, bool begin)
{
    wstate *st = rq->state;
    const char *lp[] = { st->plan.locks, st->plan.modes };
    db_call calls[4];
    int n = 0;
    if (begin)
        calls[n++] = (db_call){ "BEGIN", 0, NULL, NULL };
    if (begin && rq->flush_later && !st->dry_run)
        calls[n++] = (db_call){ "SET LOCAL synchronous_commit = off", 0, NULL, NULL };
    calls[n++] = (db_call){ SQL_LOCK_BUCKETS, 2, lp, "lock_buckets" };
    if (st->update)
        calls[n++] = (db_call){ SQL_CONSULTATION_UPDATE_CHECKED, 24, st->params.values, "consultation_update" };
    else
        calls[n++] = (db_call){ SQL_CONSULTATION_INSERT_CHECKED, 23, st->params.values, "consultation_insert" };
    db_pipeline(rq->conn, calls, n, on_write_round, rq);
}

/* ---- Idempotency-Key ----------------------------------------------------------------- */

/* [BEGIN, try the key's lock, look up a stored answer] in one round trip. */
static void on_idem_round(PGresult *const *res, int n, void *arg)
{
    request *rq = arg;
    wstate *st = rq->state;
    if (reply_if_pipeline_failed(rq, res, n))
        return;
    if (strcmp(PQgetvalue(res[1], 0, 0), "t") != 0) {
        reply_problem(rq, 409, "idempotency-in-progress", "Request in progress",
                      "A request with this Idempotency-Key is still being processed; retry shortly.", NULL, NULL);
        return;
    }
    const PGresult *found = res[2];
    if (PQntuples(found) == 0) {
        send_write(rq, false);
        return;
    }
    if (strcmp(PQgetvalue(found, 0, 0), st->req_hash) != 0) {
        json_t *errors = json_array();
        errors_add(errors, "Idempotency-Key", "was already used with a different request body");
        reply_problem(rq, 422, "idempotency-key-reused", "Idempotency-Key reused",
                      "This Idempotency-Key was used for a different request in the last 24 hours.", errors, NULL);
        return;
    }
    /* A replay: the original answer, as it was. */
    const char *body = PQgetvalue(found, 0, 3);
    json_t *doc = json_loads(body, 0, NULL);
    json_t *version = json_object_get(doc, "version");
    if (json_is_integer(version)) {
        char v[24];
        snprintf(v, sizeof v, "%lld", (long long)json_integer_value(version));
        api_set_etag(rq, v);
    }
    json_decref(doc);
    if (!PQgetisnull(found, 0, 2))
        reply_header(rq, "Location", PQgetvalue(found, 0, 2));
    reply_header(rq, "Idempotent-Replayed", "true");
    reply_json_text(rq, atoi(PQgetvalue(found, 0, 1)), body, strlen(body));
}

static void start_write(request *rq)
{
    wstate *st = rq->state;
    if (!st->idem_key[0]) {
        send_write(rq, true);
        return;
    }
    const char *p[] = { rq->org_id, st->idem_key };
    db_call calls[] = {
        { "BEGIN", 0, NULL, NULL },
        { SQL_IDEMPOTENCY_LOCK, 2, p, NULL },
        { SQL_IDEMPOTENCY_LOOKUP, 2, p, NULL },
    };
    db_pipeline(rq->conn, calls, 3, on_idem_round, rq);
}

/* Reads Idempotency-Key; -1 (after replying) when malformed. */
static int read_idempotency_key(request *rq, wstate *st)
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
                  EVP_DigestUpdate(ctx, rq->method, strlen(rq->method)) && EVP_DigestUpdate(ctx, " ", 1) &&
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

/* Reads ?dry_run=true|false; -1 (after replying 400) when malformed. */
static int read_dry_run(request *rq, wstate *st)
{
    const char *v = evhttp_find_header(&rq->query, "dry_run");
    if (!v || strcmp(v, "false") == 0)
        return 0;
    if (strcmp(v, "true") == 0) {
        st->dry_run = true;
        return 0;
    }
    json_t *errors = json_array();
    errors_add(errors, "dry_run", "must be true or false");
    reply_problem(rq, 400, "bad-query", "Bad query string", "dry_run must be true or false.", errors, NULL);
    return -1;
}

static bool catalog_ready(request *rq)
{
    if (rq->srv->vocab && rq->srv->areas)
        return true;
    reply_unavailable(rq);
    return false;
}

/* ---- POST ------------------------------------------------------------------------- */

void api_consultation_create(request *rq)
{
    if (!catalog_ready(rq))
        return;
    wstate *st = wstate_new(rq);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    if (read_dry_run(rq, st) < 0)
        return;
    /* A dry run stores nothing, so it neither replays nor records an Idempotency-Key. */
    if (!st->dry_run && read_idempotency_key(rq, st) < 0)
        return;
    json_t *errors = json_array();
    if (consultation_parse(rq->body, rq->srv->vocab, rq->srv->areas, &st->c, errors, st->warnings) < 0) {
        reply_problem(rq, 422, "validation", "Invalid consultation", "One or more fields are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    snprintf(st->owner, sizeof st->owner, "%s", rq->org_id);
    int prc = 0;
    if (uuid7_new(st->id) < 0 || consultation_params_fill(&st->params, &st->c, st->id, rq->org_id) < 0 ||
        (prc = prepare_check(rq, st)) < 0) {
        reply_check_refused(rq, prc);
        return;
    }
    snprintf(st->location, sizeof st->location, "/v1/consultations/%s", st->id);
    start_write(rq);
}

/* ---- PATCH ------------------------------------------------------------------------ */

static void on_patch_loaded(PGresult *res, void *arg)
{
    request *rq = arg;
    wstate *st = rq->state;
    if (api_check_change(rq, res, atol(st->version), st->owner, st->version) < 0)
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
    bool inferred = json_is_true(json_object_get(stored, "inferred"));
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(stored, tmp, key, val) {
        if (consultation_server_field(key) || json_is_null(val))
            json_object_del(stored, key);
    }
    /* Inferred terms are re-inferred from the new text unless the patch sets terms. */
    if (inferred && !json_object_get(rq->body, "topics") && !json_object_get(rq->body, "communities")) {
        json_object_del(stored, "topics");
        json_object_del(stored, "communities");
    }
    json_t *merged = json_merge_patch(stored, rq->body);
    json_decref(stored);
    json_t *errors = json_array();
    int rc = consultation_parse(merged, rq->srv->vocab, rq->srv->areas, &st->c, errors, st->warnings);
    json_decref(merged);
    if (rc < 0) {
        reply_problem(rq, 422, "validation", "Invalid consultation", "One or more fields are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    int prc = 0;
    if (consultation_params_fill(&st->params, &st->c, st->id, st->owner) < 0 ||
        (prc = prepare_check(rq, st)) < 0) {
        reply_check_refused(rq, prc);
        return;
    }
    start_write(rq);
}

void api_consultation_patch(request *rq)
{
    if (!uuid_valid(rq->path_param)) {
        reply_problem(rq, 404, "not-found", "Not found", "No consultation with this id.", NULL, NULL);
        return;
    }
    if (!catalog_ready(rq))
        return;
    long want = api_read_if_match(rq, "consultation");
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
        reply_problem(rq, 422, "validation", "Invalid consultation", "One or more fields are invalid.", errors, NULL);
        return;
    }
    json_decref(errors);
    wstate *st = wstate_new(rq);
    if (!st) {
        reply_unavailable(rq);
        return;
    }
    st->update = true;
    if (read_dry_run(rq, st) < 0)
        return;
    snprintf(st->id, sizeof st->id, "%.36s", rq->path_param);
    for (char *p = st->id; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
    snprintf(st->version, sizeof st->version, "%ld", want);
    const char *p[] = { st->id };
    db_query(rq->conn, SQL_CONSULTATION_GET, 1, p, on_patch_loaded, rq);
}
