/* request.h - one HTTP request in flight, from the router to its one reply.
 *
 * The request owns everything it points to that is not the server's: the
 * parsed body, the held database connection, the handler's state. The reply
 * functions (http_reply.h) send exactly one response and then free it all,
 * so every handler path ends in exactly one reply_* call. */
#ifndef CONSULTD_REQUEST_H
#define CONSULTD_REQUEST_H

#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "db.h"
#include "ids.h"

typedef struct server server;
typedef struct route route;

typedef enum { ROLE_NONE = 0, ROLE_PARTNER, ROLE_COORDINATOR, ROLE_ADMIN } role;

typedef struct request {
    server *srv;
    struct evhttp_request *req;
    const route *route;
    const char *method;
    char path_param[80];          /* the {id} or {code} segment, when the route has one */
    char request_id[72];
    struct timespec start;

    role role;                    /* ROLE_NONE until authenticated */
    char org_id[UUID_STR_LEN];
    char key_id[UUID_STR_LEN];

    db_conn *conn;                /* held between db_acquire and the reply */
    json_t *body;                 /* parsed JSON body, for routes that take one */
    const char *raw_body;         /* the body bytes (valid until the reply) */
    size_t raw_len;
    struct evkeyvalq query;       /* decoded query string */

    /* An internal request (an import row run through the POST or PATCH
     * handler): rq->req is a detached evhttp_request that only carries headers,
     * and the one reply is handed to sink (body bytes borrowed for the call)
     * instead of a client; then the request is freed as usual. */
    void (*sink)(void *arg, int status, const char *body, size_t len);
    void *sink_arg;
    /* An import row's write commits without waiting for its WAL to reach
     * disk (SET LOCAL synchronous_commit = off): the import makes one
     * synchronous commit after its last row, before it answers, which flushes
     * them all, so no acknowledged row can be lost. */
    bool flush_later;

    void *state;                  /* the handler's own, freed by state_free */
    void (*state_free)(void *state);
    struct request *prev, *next;  /* the server's list of requests in flight */
} request;

#endif
