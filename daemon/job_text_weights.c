/* job_text_weights.c - recomputes and loads the word weights of text similarity. */
#include "job_text_weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "store_text_weights.h"
#include "textsim.h"

#define WEIGHTS_DB_MAX_WAITING 4

struct text_weights_worker {
    server *srv;
    db_pool *db;                  /* one connection, this worker's own */
    struct event *timer;
    db_conn *conn;                /* held while a check runs */
    bool running;
    textsim_weights *counting;    /* a recomputation under way (owned) */
    char last_id[UUID_STR_LEN];   /* the last consultation counted ("" before the first) */
    char refresh[16];             /* overlap.text_weights_refresh_s as a query parameter */
};

static void schedule(text_weights_worker *w, int seconds)
{
    struct timeval tv = { seconds, 0 };
    evtimer_add(w->timer, &tv);
}

static int check_interval(const text_weights_worker *w)
{
    int r = w->srv->cfg->overlap_text_weights_refresh_s;
    return r < TEXT_WEIGHTS_CHECK_S ? r : TEXT_WEIGHTS_CHECK_S;
}

/* Ends a check: the connection goes back (rolling back anything open). */
static void finish(text_weights_worker *w, const char *why)
{
    if (why)
        log_warn("text weights: %s; trying again at the next check", why);
    if (w->conn)
        db_release(w->conn);
    w->conn = NULL;
    textsim_weights_free(w->counting);
    w->counting = NULL;
    w->running = false;
    schedule(w, check_interval(w));
}

/* Makes table the one every overlap check uses. */
static void install(text_weights_worker *w, textsim_weights *table, const char *how)
{
    textsim_weights_free(w->srv->text_weights);
    w->srv->text_weights = table;
    log_info("text weights: generation %lld %s (%ld documents, %zu words)", textsim_weights_generation(table), how,
             textsim_weights_documents(table), textsim_weights_size(table));
}

static bool failed(text_weights_worker *w, PGresult *const *res, int n)
{
    bool lost;
    const PGresult *bad = db_pipeline_failure(res, n, &lost);
    if (bad || lost)
        finish(w, lost ? "connection lost" : PQresultErrorMessage(bad));
    return bad || lost;
}

/* ---- loading ------------------------------------------------------------------ */

static void on_loaded(PGresult *const *res, int n, void *arg)
{
    text_weights_worker *w = arg;
    if (failed(w, res, n))
        return;
    if (PQntuples(res[1]) != 1) {
        finish(w, NULL);
        return;
    }
    textsim_weights *t = textsim_weights_new(atoll(PQgetvalue(res[1], 0, 0)));
    if (!t) {
        finish(w, "out of memory");
        return;
    }
    textsim_weights_set_documents(t, atol(PQgetvalue(res[1], 0, 1)));
    int rows = PQntuples(res[2]);
    for (int i = 0; i < rows; i++) {
        if (textsim_weights_set(t, PQgetvalue(res[2], i, 0), atol(PQgetvalue(res[2], i, 1))) < 0) {
            textsim_weights_free(t);
            finish(w, "out of memory");
            return;
        }
    }
    install(w, t, "loaded");
    finish(w, NULL);
}

static void load(text_weights_worker *w)
{
    static const db_call calls[] = {
        { SQL_TEXT_WEIGHTS_SNAPSHOT, 0, NULL, NULL },
        { SQL_TEXT_WEIGHTS_GET, 0, NULL, NULL },
        { SQL_TEXT_WEIGHTS_WORDS, 0, NULL, NULL },
        { "COMMIT", 0, NULL, NULL },
    };
    db_pipeline(w->conn, calls, 4, on_loaded, w);
}

/* ---- recomputing ---------------------------------------------------------------- */

static void on_written(PGresult *const *res, int n, void *arg)
{
    text_weights_worker *w = arg;
    if (failed(w, res, n))
        return;
    textsim_weights *t = textsim_weights_new(atoll(PQgetvalue(res[2], 0, 0)));
    if (!t) {
        finish(w, "out of memory");
        return;
    }
    /* the counted table under the generation it was stored as */
    size_t pos = 0;
    long df;
    for (const char *word; (word = textsim_weights_next(w->counting, &pos, &df)) != NULL;) {
        if (textsim_weights_set(t, word, df) < 0) {
            textsim_weights_free(t);
            finish(w, "out of memory");
            return;
        }
    }
    textsim_weights_set_documents(t, textsim_weights_documents(w->counting));
    install(w, t, "computed");
    finish(w, NULL);
}

/* Appends s to a growing buffer; -1 when out of memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t nc = (*cap ? *cap * 2 : 4096) + n;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return 0;
}

/* Every document counted: replace the stored table in the same transaction. */
static void write_counts(text_weights_worker *w)
{
    char *words = NULL, *dfs = NULL;
    size_t wl = 0, wc = 0, dl = 0, dc = 0, pos = 0;
    long df;
    int rc = append(&words, &wl, &wc, "{") | append(&dfs, &dl, &dc, "{");
    bool first = true;
    for (const char *word; rc == 0 && (word = textsim_weights_next(w->counting, &pos, &df)) != NULL;) {
        char num[24];
        snprintf(num, sizeof num, "%s%ld", first ? "" : ",", df);
        /* words are runs of [a-z0-9]: nothing in them needs quoting in an array literal */
        rc = append(&words, &wl, &wc, first ? "" : ",") | append(&words, &wl, &wc, word) |
             append(&dfs, &dl, &dc, num);
        first = false;
    }
    rc |= append(&words, &wl, &wc, "}") | append(&dfs, &dl, &dc, "}");
    char documents[24], nwords[24];
    snprintf(documents, sizeof documents, "%ld", textsim_weights_documents(w->counting));
    snprintf(nwords, sizeof nwords, "%zu", textsim_weights_size(w->counting));
    if (rc != 0) {
        free(words);
        free(dfs);
        finish(w, "out of memory");
        return;
    }
    const char *p[] = { words, dfs };
    const char *q[] = { documents, nwords };
    const db_call calls[] = {
        { SQL_TEXT_WEIGHTS_CLEAR_WORDS, 0, NULL, NULL },
        { SQL_TEXT_WEIGHTS_ADD_WORDS, 2, p, NULL },
        { SQL_TEXT_WEIGHTS_PUT, 2, q, NULL },
        { "COMMIT", 0, NULL, NULL },
    };
    db_pipeline(w->conn, calls, 4, on_written, w);
    free(words);
    free(dfs);
}

static void read_batch(text_weights_worker *w);

static void on_batch(PGresult *res, void *arg)
{
    text_weights_worker *w = arg;
    if (!db_ok(res)) {
        finish(w, res ? PQresultErrorMessage(res) : "connection lost");
        return;
    }
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        textsim_words title, summary, doc;
        if (textsim_words_of(PQgetvalue(res, i, 1), &title) < 0) {
            finish(w, "out of memory");
            return;
        }
        int rc = textsim_words_of(PQgetvalue(res, i, 2), &summary);
        if (rc == 0) {
            rc = textsim_words_union(&title, &summary, &doc);
            textsim_words_free(&summary);
        }
        textsim_words_free(&title);
        if (rc == 0) {
            rc = textsim_weights_count(w->counting, &doc);
            textsim_words_free(&doc);
        }
        if (rc < 0) {
            finish(w, "out of memory");
            return;
        }
    }
    if (rows > 0)
        snprintf(w->last_id, sizeof w->last_id, "%s", PQgetvalue(res, rows - 1, 0));
    if (rows == TEXT_WEIGHTS_BATCH && !w->srv->stopping)
        read_batch(w);
    else if (w->srv->stopping)
        finish(w, NULL);
    else
        write_counts(w);
}

/* The next TEXT_WEIGHTS_BATCH consultations by primary key. */
static void read_batch(text_weights_worker *w)
{
    const char *p[] = { w->last_id[0] ? w->last_id : NULL };
    db_query(w->conn, SQL_TEXT_WEIGHTS_BATCH, 1, p, on_batch, w);
}

static void on_locked(PGresult *const *res, int n, void *arg)
{
    text_weights_worker *w = arg;
    if (failed(w, res, n))
        return;
    bool locked = strcmp(PQgetvalue(res[1], 0, 0), "t") == 0;
    bool due = strcmp(PQgetvalue(res[2], 0, 0), "t") == 0;
    if (!locked || !due) { /* another instance is at it, or has just done it */
        finish(w, NULL);
        return;
    }
    w->counting = textsim_weights_new(0);
    if (!w->counting) {
        finish(w, "out of memory");
        return;
    }
    w->last_id[0] = '\0';
    read_batch(w);
}

static void recompute(text_weights_worker *w)
{
    const char *p[] = { DB_STR(TEXT_WEIGHTS_LOCK) };
    const char *q[] = { w->refresh };
    const db_call calls[] = {
        { "BEGIN", 0, NULL, NULL },
        { SQL_TEXT_WEIGHTS_TRY_LOCK, 1, p, NULL },
        /* a statement of its own, so its snapshot follows the lock */
        { SQL_TEXT_WEIGHTS_DUE, 1, q, NULL },
    };
    db_pipeline(w->conn, calls, 3, on_locked, w);
}

/* ---- the check ---------------------------------------------------------------------- */

static void on_checked(PGresult *res, void *arg)
{
    text_weights_worker *w = arg;
    if (!db_ok(res)) {
        finish(w, res ? PQresultErrorMessage(res) : "connection lost");
        return;
    }
    if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
        recompute(w);
        return;
    }
    long long stored = atoll(PQgetvalue(res, 0, 0));
    if (!w->srv->text_weights || textsim_weights_generation(w->srv->text_weights) != stored) {
        load(w);
        return;
    }
    finish(w, NULL);
}

static void on_conn(db_conn *conn, void *arg)
{
    text_weights_worker *w = arg;
    if (!conn) { /* the database is away: the next check tries again */
        w->running = false;
        schedule(w, check_interval(w));
        return;
    }
    w->conn = conn;
    snprintf(w->refresh, sizeof w->refresh, "%d", w->srv->cfg->overlap_text_weights_refresh_s);
    const char *p[] = { w->refresh };
    db_query(conn, SQL_TEXT_WEIGHTS_CHECK, 1, p, on_checked, w);
}

static void run(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    text_weights_worker *w = arg;
    if (w->running || w->srv->stopping)
        return;
    if (!server_ready(w->srv)) { /* not migrated yet, or the database is away */
        schedule(w, 1);
        return;
    }
    w->running = true;
    db_acquire(w->db, on_conn, w);
}

text_weights_worker *text_weights_start(server *srv)
{
    text_weights_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->srv = srv;
    const config *cfg = srv->cfg;
    w->db = db_pool_new(srv->base, cfg->database_url, 1, WEIGHTS_DB_MAX_WAITING, cfg->database_statement_timeout_ms,
                        cfg->database_connect_timeout_s);
    w->timer = evtimer_new(srv->base, run, w);
    if (!w->db || !w->timer) {
        text_weights_stop(w);
        return NULL;
    }
    struct timeval soon = { 0, 100000 };
    evtimer_add(w->timer, &soon);
    return w;
}

void text_weights_stop(text_weights_worker *w)
{
    if (!w)
        return;
    if (w->timer)
        event_free(w->timer);
    db_pool_free(w->db); /* calls nothing back; an open transaction dies with its connection */
    textsim_weights_free(w->counting);
    free(w);
}
