/* catalog.c - loading vocabularies and the schema version. */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "log.h"
#include "embedded.h"
#include "store_catalog.h"

vocab *catalog_vocab_from_result(const PGresult *res)
{
    vocab *v = vocab_new();
    if (!v)
        return NULL;
    for (int i = 0; i < PQntuples(res); i++) {
        int kind = vocab_kind_parse(PQgetvalue(res, i, 0));
        json_t *syn = json_loads(PQgetvalue(res, i, 4), 0, NULL);
        size_t n = json_is_array(syn) ? json_array_size(syn) : 0;
        const char **list = calloc(n + 1, sizeof *list);
        for (size_t s = 0; list && s < n; s++)
            list[s] = json_string_value(json_array_get(syn, s));
        int rc = kind < 0 || !list ? -1
                 : vocab_add(v, (vocab_kind)kind, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                             PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3), list, n);
        for (size_t s = 0; list && s < n; s++)
            rc = list[s] ? rc : -1;
        free(list);
        json_decref(syn);
        if (rc < 0) {
            vocab_free(v);
            return NULL;
        }
    }
    if (vocab_finish(v) < 0) {
        vocab_free(v);
        return NULL;
    }
    return v;
}

/* Reads a JSON array of codes from a result cell into list (borrowed from
 * the json_t, which the caller frees). -1 when malformed or out of memory. */
static int codes_from_json(json_t *arr, const char ***list, size_t *n)
{
    *n = json_is_array(arr) ? json_array_size(arr) : 0;
    *list = calloc(*n + 1, sizeof **list);
    if (!*list || !json_is_array(arr))
        return -1;
    for (size_t j = 0; j < *n; j++)
        if (!((*list)[j] = json_string_value(json_array_get(arr, j))))
            return -1;
    return 0;
}

area_register *catalog_areas_from_result(const PGresult *res, const PGresult *aliases)
{
    area_register *r = areas_new();
    if (!r)
        return NULL;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        json_t *lists[4];
        const char **codes[4] = { NULL, NULL, NULL, NULL };
        size_t counts[4];
        for (int k = 0; k < 4; k++) {
            lists[k] = json_loads(PQgetvalue(res, i, 4 + k), 0, NULL);
            if (codes_from_json(lists[k], &codes[k], &counts[k]) < 0)
                rc = -1;
        }
        if (rc == 0) {
            area_row row = { PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                             PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                             codes[0], counts[0], codes[1], counts[1], codes[2], counts[2], codes[3], counts[3] };
            rc = areas_add_row(r, &row);
            if (rc == AREAS_BAD_CODE || rc == AREAS_REACH_TOO_WIDE)
                log_error("catalog: area %s refused: %s", row.code,
                          rc == AREAS_BAD_CODE ? "a code in it is not 9 characters"
                                               : "it reaches more than " DB_STR(AREAS_REACH_MAX) " areas");
        }
        for (int k = 0; k < 4; k++) {
            free(codes[k]);
            json_decref(lists[k]);
        }
    }
    for (int i = 0; rc == 0 && aliases && i < PQntuples(aliases); i++)
        rc = areas_add_alias(r, PQgetvalue(aliases, i, 0), PQgetvalue(aliases, i, 1));
    if (rc < 0 || areas_finish(r) < 0) {
        areas_free(r);
        return NULL;
    }
    return r;
}

typedef struct load {
    server *srv;
    db_conn *conn;
    long long generation;
    PGresult *areas;          /* the area rows, kept until the aliases arrive */
} load;

static void load_done(load *l)
{
    if (l->conn)
        db_release(l->conn);
    PQclear(l->areas);
    l->srv->catalog_load = NULL;
    l->srv->catalog_loading = false;
    clock_gettime(CLOCK_MONOTONIC, &l->srv->catalog_checked);
    free(l);
}

static void on_aliases(PGresult *res, void *arg)
{
    load *l = arg;
    if (db_ok(res)) {
        area_register *r = catalog_areas_from_result(l->areas, res);
        if (r) {
            r->generation = l->generation;
            areas_free(l->srv->areas);
            l->srv->areas = r;
            log_info("catalog: area register loaded (%zu areas, %zu old codes, generation %lld)", r->n,
                     r->naliases, r->generation);
        } else {
            log_error("catalog: the area register was not loaded (malformed rows, or out of memory)");
        }
    }
    load_done(l);
}

static void on_areas(PGresult *res, void *arg)
{
    load *l = arg;
    if (!db_ok(res)) {
        load_done(l);
        return;
    }
    /* res is freed when this callback returns: keep a copy for on_aliases */
    l->areas = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!l->areas) {
        load_done(l);
        return;
    }
    db_query(l->conn, SQL_CATALOG_ALIASES, 0, NULL, on_aliases, l);
}

static void on_area_generation(PGresult *res, void *arg)
{
    load *l = arg;
    if (!db_ok(res) || PQntuples(res) != 1) {
        load_done(l);
        return;
    }
    l->generation = atoll(PQgetvalue(res, 0, 0));
    if (l->srv->areas && l->srv->areas->generation == l->generation) {
        load_done(l);
        return;
    }
    db_query(l->conn, SQL_CATALOG_AREAS, 0, NULL, on_areas, l);
}

static void check_areas(load *l)
{
    db_query(l->conn, SQL_CATALOG_AREA_GENERATION, 0, NULL, on_area_generation, l);
}

static void on_vocab(PGresult *res, void *arg)
{
    load *l = arg;
    if (db_ok(res)) {
        vocab *v = catalog_vocab_from_result(res);
        if (v) {
            vocab_free(l->srv->vocab);
            l->srv->vocab = v;
            log_info("catalog: vocabularies loaded (%zu topics, %zu communities, %zu methods)",
                     v->lists[VOCAB_TOPICS].nterms, v->lists[VOCAB_COMMUNITIES].nterms,
                     v->lists[VOCAB_METHODS].nterms);
        } else {
            log_error("catalog: vocabulary rows are malformed");
        }
    }
    check_areas(l);
}

static void on_version(PGresult *res, void *arg)
{
    load *l = arg;
    server *srv = l->srv;
    int version = db_ok(res) && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    if (version != srv->schema_version) {
        if (version < catalog_schema_latest())
            log_warn("catalog: schema is at version %d, this binary needs %d: run \"consultd migrate\"", version,
                     catalog_schema_latest());
        srv->schema_version = version;
    }
    if (version < catalog_schema_latest()) {
        load_done(l);
        return;
    }
    if (srv->vocab) {
        check_areas(l);
        return;
    }
    db_query(l->conn, SQL_CATALOG_VOCAB, 0, NULL, on_vocab, l);
}

static void on_conn(db_conn *conn, void *arg)
{
    load *l = arg;
    if (!conn) {
        load_done(l);
        return;
    }
    l->conn = conn;
    /* Before the first migration the table is missing: the error reads as version 0. */
    db_query(conn, SQL_CATALOG_SCHEMA_VERSION, 0, NULL, on_version, l);
}

int catalog_schema_latest(void)
{
    int v = 0;
    for (size_t i = 0; i < embedded_schema_count; i++)
        if (atoi(embedded_schema[i].name) > v)
            v = atoi(embedded_schema[i].name);
    return v;
}

void catalog_refresh(server *srv)
{
    if (srv->catalog_loading || !db_pool_up(srv->db))
        return;
    if (srv->catalog_due) {
        srv->catalog_due = false;
    } else if (srv->vocab && srv->areas && srv->schema_version >= catalog_schema_latest()) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - srv->catalog_checked.tv_sec < CATALOG_RECHECK_S)
            return;
    }
    load *l = calloc(1, sizeof *l);
    if (!l)
        return;
    l->srv = srv;
    srv->catalog_loading = true;
    srv->catalog_load = l;
    db_acquire(srv->db, on_conn, l);
}

void catalog_abandon(server *srv)
{
    load *l = srv->catalog_load;
    if (!l)
        return;
    PQclear(l->areas);
    free(l);
    srv->catalog_load = NULL;
    srv->catalog_loading = false;
}
