/* http_reply.h - the one reply each request gets: JSON, problem+json, text.
 *
 * Each function takes ownership of the json_t passed, sends the response,
 * records metrics and the access log line, releases the database connection
 * and frees the request. The request must not be touched afterwards. */
#ifndef CONSULTD_HTTP_REPLY_H
#define CONSULTD_HTTP_REPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "field_errors.h"
#include "request.h"

/* Adds a response header before the reply (Location, ETag, Allow, ...). */
void reply_header(request *rq, const char *name, const char *value);

/* Sends body (owned from here on, freed after; NULL: an empty body, e.g.
 * when the caller's json_pack ran out of memory) as compact JSON. */
void reply_json(request *rq, int status, json_t *body);
/* Sends a body that is already serialised JSON (len bytes, copied). */
void reply_json_text(request *rq, int status, const char *json, size_t len);
/* Sends len bytes of body (copied; the caller keeps it) as content_type. */
void reply_text(request *rq, int status, const char *content_type, const char *body, size_t len);
/* As reply_text, but takes body (malloc'd, len bytes) instead of copying
 * it: it is freed once sent, or at once when it cannot be sent. For large
 * bodies (a calendar of thousands of events). */
void reply_text_owned(request *rq, int status, const char *content_type, char *body, size_t len);

/* RFC 9457: type urn:consultd:problem:<slug>. errors, if given, is an array of
 * {"field", "message"}; extra members (e.g. existing_id) may be added by
 * passing them in ext (an object, merged at the top level). */
void reply_problem(request *rq, int status, const char *slug, const char *title, const char *detail,
                   json_t *errors, json_t *ext);

/* 503 with Retry-After: the database is unavailable or too busy. */
void reply_unavailable(request *rq);
/* 503 for a transient database failure (lost connection, timeout, shutdown),
 * else 500 for a database error that is not the client's doing (logged). */
void reply_db_error(request *rq, const PGresult *res);
/* When res is not a success, replies as reply_db_error and returns true. */
bool reply_if_db_error(request *rq, const PGresult *res);

/* Frees the request without replying (server shutdown only). */
void request_free(request *rq);

#endif
