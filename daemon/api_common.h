/* api_common.h - small pieces the resource handlers share. */
#ifndef CONSULTD_API_COMMON_H
#define CONSULTD_API_COMMON_H

#include "list_query.h"
#include "request.h"

/* ETag: "<version>" */
void api_set_etag(request *rq, const char *version);

/* Parses If-Match: the version it names, 0 for "*", -1 when absent (after
 * replying 428), -2 when malformed (after replying 400). what names the
 * resource in the 428 message. */
long api_read_if_match(request *rq, const char *what);

/* Replies for a statement returning (version, JSON document): database
 * errors as usual; no row: the problem given; else 200 with its ETag. */
void api_reply_versioned(request *rq, const PGresult *res, int status, const char *slug, const char *title,
                         const char *detail);
/* The same for row of a result holding several (db_batch.h): row -1 is no
 * row (the problem given); database errors as usual. */
void api_reply_versioned_row(request *rq, const PGresult *res, int row, int status, const char *slug,
                             const char *title, const char *detail);

/* Checks a row from SQL_CONSULTATION_GET (version, doc, organisation, status)
 * before a change: 404 when absent, 403 unless the caller's organisation owns
 * it (or the caller is an admin), 412 when want_version (0: any) is stale.
 * Replies and returns -1 on failure; else copies the owner and the current
 * version and returns 0. */
int api_check_change(request *rq, const PGresult *res, long want_version, char owner[UUID_STR_LEN],
                     char version[24]);

/* A list endpoint: builds the query with build (errors: 400), runs it, and
 * replies a page. */
typedef int (*api_list_builder)(const struct evkeyvalq *query, const vocab *v, const area_register *areas,
                                list_query *q, json_t *errors);
/* Runs a list: resolves its area= parameters (api_resolve_area_param), builds
 * the query, answers 400 naming every bad parameter, or the page. */
void api_list(request *rq, api_list_builder build);
/* Rewrites every area= query parameter as the GSS code it names (a code in
 * any case, a name, "Name (Parent)", an old code: API.md section 7). Returns
 * 0, or -1 with an entry in errors (with candidates when ambiguous). */
int api_resolve_area_param(request *rq, json_t *errors);
/* The same for a list whose rows are limited to a scope the builder is given
 * (e.g. the caller's organisation, or NULL for all). */
typedef int (*api_scoped_builder)(const struct evkeyvalq *query, const char *scope, list_query *q, json_t *errors);
void api_list_scoped(request *rq, api_scoped_builder build, const char *scope);

/* Replies 200 with {"items": [...], "next_cursor"}: column 0 of each row is
 * its id (for the cursor), column 1 its JSON; one row beyond limit means more. */
void api_reply_page(request *rq, PGresult *res, int limit);

/* Replies 422 naming "areas": the areas reach more than OVERLAP_SCOPE_MAX
 * areas in all, more than the overlap engine checks at once (it never checks
 * a truncated scope, which would miss overlaps). */
void api_reply_areas_too_wide(request *rq);

#endif
