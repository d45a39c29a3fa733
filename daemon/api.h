/* api.h - the request handlers, one file per resource (api_*.c). Each is
 * called by the router with the body checked and, for /v1, the caller
 * authenticated (rq->conn held, except for the handlers router.c lists in
 * reads_alone: they send their one statement with db_read and find rq->conn
 * NULL); each ends in exactly one reply. */
#ifndef CONSULTD_API_H
#define CONSULTD_API_H

#include "request.h"

/* api_meta.c */
void api_healthz(request *rq);
void api_readyz(request *rq);
void api_metrics(request *rq);
void api_openapi(request *rq);
void api_vocabulary(request *rq);
void api_area(request *rq);
void api_area_search(request *rq);
void api_me(request *rq);
void api_root(request *rq);
void api_console(request *rq);
/* Content-Security-Policy and the other headers of every console and public page. */
void api_security_headers(request *rq);

/* api_consultations.c */
void api_consultation_create(request *rq);
void api_consultation_list(request *rq);
void api_consultation_get(request *rq);
void api_consultation_patch(request *rq);
void api_consultation_delete(request *rq);

/* api_import.c */
void api_consultation_import(request *rq);
void api_import_template(request *rq);
void api_consultation_export(request *rq);

/* api_overlaps.c */
void api_consultation_overlaps(request *rq);
void api_preflight(request *rq);
void api_outreach(request *rq);
void api_overlap_list(request *rq);
void api_overlap_get(request *rq);
void api_overlap_patch(request *rq);
void api_fatigue(request *rq);

/* api_subscriptions.c */
void api_subscription_create(request *rq);
void api_subscription_list(request *rq);
void api_subscription_get(request *rq);
void api_subscription_delete(request *rq);
void api_subscription_deliveries(request *rq);
void api_subscription_test(request *rq);
/* api_subscriptions_patch.c */
void api_subscription_patch(request *rq);

/* api_feeds.c */
void api_feed_create(request *rq);
void api_feed_list(request *rq);
void api_feed_delete(request *rq);

/* api_public.c: no authentication */
void api_feed_calendar(request *rq);
void api_public_calendar(request *rq);
void api_public_json(request *rq);
void api_public_csv(request *rq);
void api_public_static(request *rq);
/* api_areas.c: GET /public/areas?q= (the search of GET /v1/areas, at most 20 areas, rate-limited per client) */
void api_public_area_search(request *rq);
#endif
