/* catalog.c - loading vocabularies and the schema version. */
#include "catalog.h"

#include <stdlib.h>
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

typedef struct load {
    server *srv;
    db_conn *conn;
} load;

static void load_done(load *l)
{
    if (l->conn)
        db_release(l->conn);
    l->srv->catalog_loading = false;
    free(l);
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
    load_done(l);
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
    if (version < migrate_latest_version() || srv->vocab) {
        load_done(l);
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
    if (srv->catalog_loading || (srv->vocab && srv->schema_version >= migrate_latest_version()))
        return;
    if (!db_pool_up(srv->db))
        return;
    load *l = calloc(1, sizeof *l);
    if (!l)
        return;
    l->srv = srv;
    srv->catalog_loading = true;
    db_acquire(srv->db, on_conn, l);
}
