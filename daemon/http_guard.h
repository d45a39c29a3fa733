/* http_guard.h - the connection guard: strict request framing in front of evhttp.
 *
 * evhttp (libevent 2.1) parses requests leniently and answers some errors
 * itself, in HTML, before any callback of ours runs; it also merges or drops
 * header lines, so the router cannot see every ambiguity. The guard sits
 * between the socket and evhttp: evhttp_set_bevcb gives each accepted
 * connection a filtering bufferevent whose input filter reads every request
 * head (and every chunked body) with http_framing.h before passing the
 * request's bytes on unchanged. Requests on one connection are followed one
 * after another (Content-Length bodies are counted, chunked bodies read to
 * their end), so pipelined and keep-alive requests are checked too.
 *
 * A request the guard refuses never reaches evhttp. In its place the guard
 * passes a small stand-in request carrying a per-process secret and the
 * reason; the router answers it (http_guard_refused) with problem+json and
 * Connection: close, in order after the answers to the requests before it,
 * and the guard discards everything else the client sends on that
 * connection. */
#ifndef CONSULTD_HTTP_GUARD_H
#define CONSULTD_HTTP_GUARD_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_framing.h"

typedef struct http_guard http_guard;

/* A guard with these limits (copied) and a fresh random secret. Returns NULL
 * when out of memory or when no random bytes can be had. Free with
 * http_guard_free after the evhttp it serves. */
http_guard *http_guard_new(const hf_limits *lim);
void http_guard_free(http_guard *g);

/* The evhttp_set_bevcb callback (arg: the http_guard). Returns a new
 * filtering bufferevent with no socket yet (evhttp sets it); evhttp owns it.
 * NULL when out of memory: evhttp then uses a plain bufferevent, so the
 * connection is served unguarded; this is counted in http_guard_failures. */
struct bufferevent *http_guard_bev(struct event_base *base, void *arg);

/* Connections the guard could not be put in front of (out of memory). */
unsigned long http_guard_failures(const http_guard *g);

/* true when req is the guard's stand-in for a refused request; *reason then
 * says why. A client cannot forge one without the process's secret. */
bool http_guard_refused(const http_guard *g, struct evhttp_request *req, hf_reason *reason);

#endif
