/* router.h - the method + path table behind evhttp's generic callback. */
#ifndef CONSULTD_ROUTER_H
#define CONSULTD_ROUTER_H

#include <event2/http.h>

#include "request.h"

/* BODY_OPTIONAL: a JSON object, or no body at all (rq->body stays NULL). */
typedef enum { BODY_NONE, BODY_JSON, BODY_PATCH, BODY_CSV, BODY_OPTIONAL } body_kind;

typedef void (*handler_fn)(request *rq);

struct route {
    const char *method;
    const char *pattern;   /* "/v1/consultations/{id}": {x} matches one segment */
    handler_fn handler;
    role min_role;         /* ROLE_NONE: no authentication */
    body_kind body;
    const char *name;      /* the route label in metrics and logs */
};

/* evhttp generic callback; arg is the server. */
void router_dispatch(struct evhttp_request *req, void *arg);
/* The same for server.admin_listen: GET /healthz, /readyz and /metrics as on
 * the main address; any other path is 404 problem+json, as an unknown one. */
void router_dispatch_ops(struct evhttp_request *req, void *arg);

#endif
