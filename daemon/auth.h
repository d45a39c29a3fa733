/* auth.h - bearer-key authentication and roles.
 *
 * auth_begin takes a database connection for the request, looks the key up
 * by the id inside the token, compares the secret's hash in constant time,
 * checks the route's role, and calls next with rq->conn held. Failures reply
 * 401 (with WWW-Authenticate), 403 or 503 themselves. */
#ifndef CONSULTD_AUTH_H
#define CONSULTD_AUTH_H

#include "request.h"

void auth_begin(request *rq, void (*next)(request *rq));

/* Parses "partner" / "coordinator" / "admin"; ROLE_NONE otherwise. */
role role_parse(const char *s);
const char *role_name(role r);

#endif
