/* server.h - the server context: the one place for the daemon's mutable state
 * (event loop, HTTP listener, database pool, vocabularies, metrics). */
#ifndef CONSULTD_SERVER_H
#define CONSULTD_SERVER_H

#include <event2/event.h>
#include <event2/http.h>
#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "ids.h"
#include "metrics.h"
#include "notify.h"
#include "vocab.h"
#include "areas.h"

typedef struct server server;
typedef struct dispatcher dispatcher;

struct server {
    struct event_base *base;
    config *cfg;
    struct evhttp *http;
    struct http_guard *guard;     /* strict framing in front of evhttp (owned); see http_guard.h */
    struct evhttp_bound_socket *listener;
    struct evhttp *admin_http;    /* server.admin_listen's: operations routes only (NULL when not set) */
    struct evhttp_bound_socket *admin_listener;
    db_pool *db;
    struct db_batch *consultation_reads; /* GET of one consultation, gathered per loop turn (owned); see db_batch.h */
    vocab *vocab;                 /* NULL until loaded from the database */
    area_register *areas;         /* NULL until loaded from the database */
    unsigned long overlaps_detected;
    struct auth_cache *auth_cache; /* owned; see auth.h */
    struct ratelimit *ratelimit;   /* per-key token buckets (owned); see ratelimit.h */
    dispatcher *alerts;            /* the alert dispatcher (owned) */
    struct sweep *sweep;           /* the housekeeping pass under way, if any (owned) */
    struct body_cache *calendars;  /* rendered calendars by ETag (owned); see body_cache.h */
    struct body_cache *calendar_events; /* rendered calendar events by event key (owned) */
    struct textsim_weights *text_weights; /* word weights of text similarity (owned); NULL until loaded */
    struct text_weights_worker *text_weights_worker; /* keeps text_weights current (owned) */
    int schema_version;           /* applied migrations seen, 0 until checked */
    metrics metrics;
    struct event *ev_term, *ev_int, *ev_hup, *ev_catalog, *ev_drain, *ev_housekeeping;
    bool catalog_loading;
    bool catalog_due;             /* the register changed (NOTIFY consultd_areas): reload now */
    void *catalog_load;           /* the load under way (catalog.c owns it), or NULL */
    struct recheck *recheck;      /* re-checks consultations after a register change (owned) */
    struct timespec catalog_checked;  /* CLOCK_MONOTONIC of the last complete check */
    bool stopping;
    notifier notify;              /* systemd's NOTIFY_SOCKET, when run under it */
    struct event *ev_watchdog;    /* WATCHDOG=1 at half of WATCHDOG_USEC */
    int status_shown;             /* the STATUS= last sent: -1 none, 0 waiting, 1 serving */
    struct event *ev_accept_retry;/* re-enables accepting after EMFILE */
    struct request *requests;     /* accepted and not yet answered (a list through request.prev/next) */
    int unsent;                   /* answers queued but not yet written to their sockets */
    uuid7_source request_ids;     /* random bytes for request ids; see ids.h */
};

/* Runs the daemon until SIGTERM/SIGINT. Returns the process exit status. */
int server_run(config *cfg);

/* true when the database is reachable and migrated and vocabularies loaded. */
bool server_ready(const server *srv);

#endif
