/* api_common.c - ETag and If-Match handling. */
#include "api_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_reply.h"

void api_set_etag(request *rq, const char *version)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%.24s\"", version);
    reply_header(rq, "ETag", etag);
}

long api_read_if_match(request *rq, const char *what)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(rq->req), "If-Match");
    if (!h) {
        char detail[160];
        snprintf(detail, sizeof detail, "Send If-Match with the ETag from your last read of this %s.", what);
        reply_problem(rq, 428, "precondition-required", "Precondition required", detail, NULL, NULL);
        return -1;
    }
    while (*h == ' ')
        h++;
    if (strcmp(h, "*") == 0)
        return 0;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    char *end = NULL;
    long v = *h == '"' ? strtol(h + 1, &end, 10) : -1;
    if (v < 1 || !end || *end != '"' || end[1] != '\0') {
        reply_problem(rq, 400, "bad-header", "Bad header", "If-Match must be an ETag such as \"3\".", NULL, NULL);
        return -2;
    }
    return v;
}

void api_reply_versioned(request *rq, const PGresult *res, int status, const char *slug, const char *title,
                         const char *detail)
{
    if (reply_if_db_error(rq, res))
        return;
    if (PQntuples(res) == 0) {
        reply_problem(rq, status, slug, title, detail, NULL, NULL);
        return;
    }
    api_set_etag(rq, PQgetvalue(res, 0, 0));
    reply_json_text(rq, 200, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
}
