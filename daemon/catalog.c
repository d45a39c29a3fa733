/* catalog.c - loading vocabularies and the schema version. */
#include "catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "log.h"
#include "migrate.h"

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

area_register *catalog_areas_from_result(const PGresult *res)
{
    area_register *r = areas_new();
    if (!r)
        return NULL;
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *anc = json_loads(PQgetvalue(res, i, 3), 0, NULL);
        size_t n = json_is_array(anc) ? json_array_size(anc) : 0;
        const char **list = calloc(n + 1, sizeof *list);
        int rc = list ? 0 : -1;
        for (size_t j = 0; list && j < n; j++)
            if (!(list[j] = json_string_value(json_array_get(anc, j))))
                rc = -1;
        if (rc == 0)
            rc = areas_add(r, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), list, n);
        free(list);
        json_decref(anc);
        if (rc < 0) {
            areas_free(r);
            return NULL;
        }
    }
    if (areas_finish(r) < 0) {
        areas_free(r);
        return NULL;
    }
    return r;
}

typedef struct load {
    server *srv;
    db_conn *conn;
    char stamp[64];
} load;

static void load_done(load *l)
{
    if (l->conn)
        db_release(l->conn);
    l->srv->catalog_loading = false;
    clock_gettime(CLOCK_MONOTONIC, &l->srv->catalog_checked);
    free(l);
}

static void on_areas(PGresult *res, void *arg)
{
    load *l = arg;
    if (db_ok(res)) {
        area_register *r = catalog_areas_from_result(res);
        if (r) {
            snprintf(r->stamp, sizeof r->stamp, "%s", l->stamp);
            areas_free(l->srv->areas);
            l->srv->areas = r;
            log_info("catalog: area register loaded (%zu areas)", r->n);
        } else {
            log_error("catalog: area rows are malformed");
        }
    }
    load_done(l);
}

static void on_area_stamp(PGresult *res, void *arg)
{
    load *l = arg;
    if (!db_ok(res) || PQntuples(res) != 1) {
        load_done(l);
        return;
    }
    snprintf(l->stamp, sizeof l->stamp, "%s", PQgetvalue(res, 0, 0));
    if (l->srv->areas && strcmp(l->srv->areas->stamp, l->stamp) == 0) {
        load_done(l);
        return;
    }
    db_query(l->conn,
             "SELECT a.code, a.name, a.level, coalesce((SELECT json_agg(x.ancestor) FROM area_ancestors x"
             " WHERE x.code = a.code), '[]')::text FROM areas a",
             0, NULL, on_areas, l);
}

static void check_areas(load *l)
{
    db_query(l->conn,
             "SELECT (SELECT count(*) FROM areas) || '/' || coalesce((SELECT max(updated_at) FROM areas)::text, '-')"
             " || '/' || (SELECT count(*) FROM area_ancestors)",
             0, NULL, on_area_stamp, l);
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
        if (version < migrate_latest_version())
            log_warn("catalog: schema is at version %d, this binary needs %d: run \"consultd migrate\"", version,
                     migrate_latest_version());
        srv->schema_version = version;
    }
    if (version < migrate_latest_version()) {
        load_done(l);
        return;
    }
    if (srv->vocab) {
        check_areas(l);
        return;
    }
    db_query(l->conn,
             "SELECT vocabulary, code, label, parent, array_to_json(synonyms)::text FROM vocab_terms "
             "ORDER BY vocabulary, position", 0, NULL, on_vocab, l);
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
    db_query(conn, "SELECT max(version) FROM schema_migrations", 0, NULL, on_version, l);
}

void catalog_refresh(server *srv)
{
    if (srv->catalog_loading || !db_pool_up(srv->db))
        return;
    if (srv->vocab && srv->areas && srv->schema_version >= migrate_latest_version()) {
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
    db_acquire(srv->db, on_conn, l);
}
