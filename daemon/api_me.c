/* api_me.c - GET /v1/me: whom the key belongs to, so a client (the console)
 * can say so and show only what the role may do. */
#include "api.h"
#include "auth.h"
#include "http_reply.h"
#include "server.h"
#include "store_keys.h"

static void on_org(PGresult *res, void *arg)
{
    request *rq = arg;
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) != 1) {
        reply_problem(rq, 401, "unauthorized", "Unauthorized", "The key's organisation no longer exists.", NULL, NULL);
        return;
    }
    reply_json(rq, 200, json_pack("{s:{s:s, s:s, s:s}, s:s, s:s}", "organisation", "id", PQgetvalue(res, 0, 0),
                                  "name", PQgetvalue(res, 0, 1), "kind", PQgetvalue(res, 0, 2), "role",
                                  role_name(rq->role), "key_id", rq->key_id));
}

void api_me(request *rq)
{
    const char *p[] = { rq->org_id };
    db_read(rq->srv->db, SQL_KEY_ORGANISATION, 1, p, on_org, rq); /* holds no connection: see router.c */
}
