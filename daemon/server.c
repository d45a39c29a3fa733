/* server.c - event loop, HTTP listeners and their limits, signals, graceful stop. */
#include "server.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/listener.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "body_cache.h"
#include "catalog.h"
#include "db_batch.h"
#include "job_dispatch.h"
#include "job_recheck.h"
#include "job_housekeeping.h"
#include "job_text_weights.h"
#include "textsim.h"
#include "http_guard.h"
#include "http_listen.h"
#include "http_reply.h"
#include "log.h"
#include "ratelimit.h"
#include "router.h"
#include "store_consultations.h"

#define DRAIN_DEADLINE_S 10
#define HTTP_MAX_HEADER_FIELDS 100 /* field lines in a request head */
/* Ids read in one statement by GET /v1/consultations/{id} (db_batch.h), at
 * most: it bounds a statement's text and how long one answer waits for the
 * rows of the others. Under load 8 to 9 gather (tests/bench/speed.sh). */
#define CONSULTATION_READ_KEYS 64
#define RATELIMIT_MAX_KEYS 20000 /* keys tracked at once (a 3.5 MB table, touched as used) */

bool server_ready(const server *srv)
{
    return db_pool_up(srv->db) && srv->vocab && srv->areas && srv->schema_version >= catalog_schema_latest();
}

/* STATUS= for systemctl status, sent when readiness changes. */
static void show_status(server *srv)
{
    int ready = server_ready(srv) ? 1 : 0;
    if (ready == srv->status_shown || srv->stopping)
        return;
    srv->status_shown = ready;
    char msg[300];
    snprintf(msg, sizeof msg, "STATUS=%s on %s\n",
             ready ? "serving" : "waiting for the database (answering 503)", srv->cfg->server_listen);
    notify_send(&srv->notify, msg);
}

static void on_catalog_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    catalog_refresh(arg);
    show_status(arg);
}

/* From the event loop: if the loop hangs, the pings stop and systemd restarts us. */
static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    server *srv = arg;
    notify_send(&srv->notify, "WATCHDOG=1\n");
}

static int requests_in_flight(const server *srv)
{
    int n = 0;
    for (const struct request *rq = srv->requests; rq; rq = rq->next)
        n++;
    return n;
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    server *srv = arg;
    static const struct timeval tick = { 0, 50000 };
    if (!srv->requests && srv->unsent <= 0 && dispatcher_busy(srv->alerts) == 0 && !recheck_busy(srv->recheck)) {
        log_info("stopped: all requests answered and alert deliveries recorded");
        event_base_loopexit(srv->base, NULL);
        return;
    }
    evtimer_add(srv->ev_drain, &tick);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    server *srv = arg;
    if (srv->stopping) {
        log_warn("second %s: exiting now with %d requests unanswered", sig == SIGINT ? "SIGINT" : "SIGTERM",
                 requests_in_flight(srv));
        event_base_loopbreak(srv->base);
        return;
    }
    srv->stopping = true;
    notify_send(&srv->notify, "STOPPING=1\nSTATUS=stopping: finishing requests and deliveries\n");
    log_info("%s: no longer accepting connections; finishing %d requests and %d alert deliveries (at most %d s)",
             sig == SIGINT ? "SIGINT" : "SIGTERM", requests_in_flight(srv), dispatcher_busy(srv->alerts), DRAIN_DEADLINE_S);
    if (srv->listener) {
        evhttp_del_accept_socket(srv->http, srv->listener);
        srv->listener = NULL;
    }
    if (srv->admin_listener) {
        evhttp_del_accept_socket(srv->admin_http, srv->admin_listener);
        srv->admin_listener = NULL;
    }
    struct timeval deadline = { DRAIN_DEADLINE_S, 0 };
    event_base_loopexit(srv->base, &deadline);
    on_drain(-1, 0, srv);
}

/* A reload that cannot be applied: logs why, frees what was loaded (fresh)
 * and tells systemd the daemon runs on as before. */
static void refuse_reload(server *srv, config *fresh, const char *why)
{
    log_error("reload refused, keeping the running configuration: %s", why);
    config_free(fresh);
    notify_send(&srv->notify, "READY=1\nSTATUS=reload refused: see the log; running on the old configuration\n");
    srv->status_shown = -1;
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    server *srv = arg;
    config fresh;
    char err[512], msg[128];
    extern char **environ;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (notify_reloading_message(msg, sizeof msg, (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u) == 0)
        notify_send(&srv->notify, msg);
    if (config_load(&fresh, srv->cfg->path, srv->cfg->path != NULL, environ, err, sizeof err) < 0) {
        refuse_reload(srv, &fresh, err);
        return;
    }
    char changed[512];
    if (config_restart_only_changes(srv->cfg, &fresh, changed, sizeof changed) > 0)
        log_warn("reload: %s changed but take effect only after a restart", changed);
    /* Keep the running values of keys that cannot change without a restart. */
    if (config_keep_restart_only(&fresh, srv->cfg) < 0) {
        refuse_reload(srv, &fresh, "out of memory");
        return;
    }
    config_free(srv->cfg);
    *srv->cfg = fresh;
    log_setup((log_level)log_level_parse(srv->cfg->log_level), strcmp(srv->cfg->log_format, "json") == 0);
    log_info("reload: configuration applied");
    notify_send(&srv->notify, "READY=1\n");
    srv->status_shown = -1;
    show_status(srv);
}

#define ACCEPT_PAUSE_MS 500

/* libevent hands the accept error callback the evhttp, not our context, and
 * offers no way back from one to the other: this is that way back. It is set
 * while the listener exists and read only by on_accept_error. */
static server *accepting_server;

/* The pause is over: accept again on both addresses. One timer serves both
 * listeners, so this enables the one that was not paused too; that changes
 * nothing (its event is already added). After a stop signal the listeners
 * are gone (NULL) and stay so. */
static void on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    server *srv = arg;
    if (srv->listener && !srv->stopping)
        evconnlistener_enable(evhttp_bound_socket_get_listener(srv->listener));
    if (srv->admin_listener && !srv->stopping)
        evconnlistener_enable(evhttp_bound_socket_get_listener(srv->admin_listener));
}

/* accept() failed. Out of descriptors (or memory), the listening socket stays
 * readable: accepting again at once would spin the CPU. Stop accepting for a
 * moment; connections wait in the kernel's backlog meanwhile. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)arg; /* the evhttp */
    int err = EVUTIL_SOCKET_ERROR();
    server *srv = accepting_server;
    if (!srv)
        return;
    srv->metrics.accept_errors++;
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
        log_warn("accept: %s", strerror(err));
        return;
    }
    evconnlistener_disable(l);
    if (srv->metrics.accept_errors == 1 || srv->metrics.accept_errors % 100 == 0)
        log_warn("accept: %s (%lu times so far): not accepting for %d ms; raise LimitNOFILE or lower the load",
                 strerror(err), srv->metrics.accept_errors, ACCEPT_PAUSE_MS);
    struct timeval pause = { 0, ACCEPT_PAUSE_MS * 1000 };
    if (!srv->ev_accept_retry)
        srv->ev_accept_retry = evtimer_new(srv->base, on_accept_retry, srv);
    if (!srv->ev_accept_retry || evtimer_add(srv->ev_accept_retry, &pause) != 0)
        evconnlistener_enable(l); /* cannot pause: better busy than deaf */
}

/* An evhttp on the loop with the server's limits behind the framing guard
 * (srv->guard, made first), handing every request to dispatch. The same for
 * server.listen and server.admin_listen: only dispatch differs. NULL (logged)
 * when out of memory; the caller owns the result. */
static struct evhttp *new_http(server *srv, int max_body, void (*dispatch)(struct evhttp_request *, void *))
{
    const config *c = srv->cfg;
    struct evhttp *http = evhttp_new(srv->base);
    if (!http) {
        log_error("cannot set up an HTTP server (out of memory)");
        return NULL;
    }
    evhttp_set_bevcb(http, http_guard_bev, srv->guard);
    evhttp_set_max_body_size(http, (ev_ssize_t)max_body);
    evhttp_set_max_headers_size(http, (ev_ssize_t)c->server_max_header_bytes);
    evhttp_set_timeout(http, c->server_timeout_s);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
                                         EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
    evhttp_set_default_content_type(http, "application/json; charset=utf-8");
    evhttp_set_gencb(http, dispatch, srv);
    return http;
}

/* Listens on address for http (http_listen.h; in_use is its advice when the
 * address is taken) and pauses accepting there when descriptors run out
 * (on_accept_error). Returns the bound socket, owned by http, or NULL with
 * the reason logged under the configuration key's name. */
static struct evhttp_bound_socket *bind_address(server *srv, struct evhttp *http, const char *key,
                                                const char *address, bool reuse_port, const char *in_use)
{
    char err[512];
    struct evhttp_bound_socket *bound = http_listen(http, srv->base, address, reuse_port, in_use, err, sizeof err);
    if (!bound) {
        log_error("%s: %s", key, err);
        return NULL;
    }
    accepting_server = srv;
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bound), on_accept_error);
    return bound;
}

static int setup_http(server *srv)
{
    const config *c = srv->cfg;
    int max_body = c->server_max_body_bytes > c->server_max_import_bytes ? c->server_max_body_bytes
                                                                         : c->server_max_import_bytes;
    /* Every request passes the framing guard before evhttp parses it, with
     * the same limits, so evhttp's own (HTML) refusals are never reached. A
     * body up to 1 MiB over its route's limit is read whole and answered by
     * the router (problem+json 413, the connection kept), so a client still
     * sending it reads the answer; a larger one is refused at its head and
     * the connection closed. */
    max_body += 1 << 20;
    hf_limits lim = { (size_t)c->server_max_header_bytes, HTTP_MAX_HEADER_FIELDS, (uint64_t)max_body };
    srv->guard = http_guard_new(&lim);
    if (!srv->guard) {
        log_error("cannot set up the HTTP framing guard (out of memory or no random bytes)");
        return -1;
    }
    srv->http = new_http(srv, max_body, router_dispatch);
    if (!srv->http)
        return -1;

    srv->listener = bind_address(srv, srv->http, "server.listen", c->server_listen, c->server_reuse_port,
                                 "another process has it; consultd processes share a port only when each sets "
                                 "server.reuse_port = true");
    if (!srv->listener)
        return -1;
    if (!*c->server_admin_listen)
        return 0;
    /* The operations address: the three operations routes only. */
    srv->admin_http = new_http(srv, max_body, router_dispatch_ops);
    if (!srv->admin_http)
        return -1;
    srv->admin_listener = bind_address(srv, srv->admin_http, "server.admin_listen", c->server_admin_listen, false,
                                       "server.listen or another process has it; each process needs an "
                                       "operations address of its own, never shared");
    if (!srv->admin_listener)
        return -1;
    return 0;
}

int server_run(config *cfg)
{
    server srv;
    memset(&srv, 0, sizeof srv);
    srv.cfg = cfg;
    srv.status_shown = -1;
    int status = 1;
    signal(SIGPIPE, SIG_IGN);
    extern char **environ;
    char nerr[256];
    if (notify_open(&srv.notify, environ, nerr, sizeof nerr) < 0)
        log_warn("systemd notify: %s; going on without it", nerr);

    srv.base = event_base_new();
    if (!srv.base) {
        log_error("cannot create the event loop");
        return 1;
    }
    srv.auth_cache = calloc(1, sizeof *srv.auth_cache);
    srv.ratelimit = ratelimit_new(RATELIMIT_MAX_KEYS);
    srv.calendars = body_cache_new(CALENDAR_CACHE_ENTRIES, CALENDAR_CACHE_BYTES);
    srv.calendar_events = body_cache_new(EVENT_CACHE_ENTRIES, EVENT_CACHE_BYTES);
    if (!srv.auth_cache || !srv.ratelimit || !srv.calendars || !srv.calendar_events)
        goto out;
    srv.db = db_pool_new(srv.base, cfg->database_url, cfg->database_pool_size, cfg->database_max_waiting,
                         cfg->database_statement_timeout_ms, cfg->database_connect_timeout_s);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("cannot initialise libcurl");
        goto out;
    }
    if (srv.db) {
        db_pool_set_plan_refresh(srv.db, cfg->database_plan_refresh_runs);
        srv.consultation_reads = db_batch_new(srv.base, srv.db, SQL_CONSULTATION_GET_MANY, CONSULTATION_READ_KEYS,
                                              cfg->database_pool_size, /* a statement a connection */
                                              cfg->database_max_waiting);
    }
    if (!srv.db || !srv.consultation_reads) {
        log_error("cannot start the database pool (out of memory)");
        goto out;
    }
    if (setup_http(&srv) < 0)
        goto out;
    srv.alerts = dispatcher_new(&srv);
    if (!srv.alerts) {
        log_error("cannot start the alert dispatcher (out of memory)");
        goto out;
    }
    srv.recheck = recheck_new(&srv);
    if (!srv.recheck) {
        log_error("cannot start the re-check worker (out of memory)");
        goto out;
    }
    srv.text_weights_worker = text_weights_start(&srv);
    if (!srv.text_weights_worker) {
        log_error("cannot start the text weights worker (out of memory)");
        goto out;
    }

    srv.ev_term = evsignal_new(srv.base, SIGTERM, on_stop_signal, &srv);
    srv.ev_int = evsignal_new(srv.base, SIGINT, on_stop_signal, &srv);
    srv.ev_hup = evsignal_new(srv.base, SIGHUP, on_hup, &srv);
    srv.ev_catalog = event_new(srv.base, -1, EV_PERSIST, on_catalog_timer, &srv);
    srv.ev_drain = evtimer_new(srv.base, on_drain, &srv);
    if (!srv.ev_term || !srv.ev_int || !srv.ev_hup || !srv.ev_catalog || !srv.ev_drain ||
        housekeeping_start(&srv) < 0)
        goto out;
    struct timeval tick = { 0, 100000 }; /* catalog_refresh is a no-op once loaded */
    evsignal_add(srv.ev_term, NULL);
    evsignal_add(srv.ev_int, NULL);
    evsignal_add(srv.ev_hup, NULL);
    event_add(srv.ev_catalog, &tick);

    if (srv.notify.watchdog_usec) {
        uint64_t half = srv.notify.watchdog_usec / 2;
        struct timeval every = { (time_t)(half / 1000000u), (suseconds_t)(half % 1000000u) };
        srv.ev_watchdog = event_new(srv.base, -1, EV_PERSIST, on_watchdog, &srv);
        if (!srv.ev_watchdog || event_add(srv.ev_watchdog, &every) != 0)
            goto out;
    }

    /* The addresses as bound: port 0 becomes the port the kernel chose, a name its address. */
    char on[64], ops_on[64] = "";
    if (http_listen_bound(srv.listener, on, sizeof on) < 0)
        snprintf(on, sizeof on, "%s", cfg->server_listen);
    if (srv.admin_listener && http_listen_bound(srv.admin_listener, ops_on, sizeof ops_on) < 0)
        snprintf(ops_on, sizeof ops_on, "%s", cfg->server_admin_listen);
    log_info("consultd %s listening on %s%s%s%s", CONSULTD_VERSION, on,
             cfg->server_reuse_port ? " (shared: server.reuse_port)" : "", *ops_on ? ", operations routes on " : "",
             ops_on);
    /* Ready once it listens: until the database answers, requests get 503 and
     * /readyz says why (STATUS= shows it too). */
    notify_send(&srv.notify, "READY=1\n");
    show_status(&srv);
    event_base_dispatch(srv.base);
    status = 0;
out:
    /* Teardown is short and must finish: a late signal should not cut it off. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    if (srv.ev_term) event_free(srv.ev_term);
    if (srv.ev_int) event_free(srv.ev_int);
    if (srv.ev_hup) event_free(srv.ev_hup);
    if (srv.ev_catalog) event_free(srv.ev_catalog);
    if (srv.ev_drain) event_free(srv.ev_drain);
    if (srv.ev_watchdog) event_free(srv.ev_watchdog);
    if (srv.ev_accept_retry) event_free(srv.ev_accept_retry);
    housekeeping_stop(&srv);
    recheck_free(srv.recheck);
    text_weights_stop(srv.text_weights_worker);
    textsim_weights_free(srv.text_weights);
    dispatcher_free(srv.alerts);
    /* Requests abandoned by a second stop signal: their callbacks will never run. */
    while (srv.requests)
        request_free(srv.requests);
    if (srv.http)
        evhttp_free(srv.http);
    if (srv.admin_http)
        evhttp_free(srv.admin_http);
    http_guard_free(srv.guard);
    accepting_server = NULL;
    db_pool_free(srv.db);
    db_batch_free(srv.consultation_reads); /* after the pool: nothing it sent calls back now */
    catalog_abandon(&srv);
    vocab_free(srv.vocab);
    areas_free(srv.areas);
    free(srv.auth_cache);
    ratelimit_free(srv.ratelimit);
    body_cache_free(srv.calendars);
    body_cache_free(srv.calendar_events);
    metrics_free(&srv.metrics);
    event_base_free(srv.base);
    curl_global_cleanup();
    notify_close(&srv.notify);
    return status;
}
