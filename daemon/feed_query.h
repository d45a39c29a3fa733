/* feed_query.h - the filters of calendar feeds and of the public routes, and
 * the SQL that selects their consultations (pure: no I/O).
 *
 * Filters travel as one normalised JSON object, the form a feed stores:
 *   {"areas": [GSS codes], "topics": [codes or free tags],
 *    "communities": [codes or free tags], "organisation": uuid | null,
 *    "status": [statuses]}
 * plus, from a public query string only, "from", "to" (YYYY-MM-DD) and "q".
 * Within a list any entry matches (areas in, inside or containing one, by
 * list_area_condition, the definition the list filters of GET
 * /v1/consultations use; terms with their descendants in the vocabulary);
 * different keys must all match.
 * Values only ever travel as query parameters, never in the SQL text. */
#ifndef CONSULTD_FEED_QUERY_H
#define CONSULTD_FEED_QUERY_H

#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>

#include "areas.h"
#include "list_query.h"
#include "vocab.h"

#define FEED_FILTER_MAX 50        /* entries per list */
#define FEED_LABEL_MAX 200
#define CALENDAR_MAX_EVENTS 10000 /* a feed's events, at most (the earliest first) */
#define CALENDAR_PAST_DAYS 90     /* a feed reaches back this far ... */
#define CALENDAR_AHEAD_DAYS 730   /* ... and this far ahead (two years) */
#define OPEN_DATA_MAX_ROWS 100000 /* rows of /public/consultations.{csv,json}, at most */

/* Validates a POST /v1/feeds "filters" object (NULL or absent: no filter)
 * into *out (a new normalised object, caller owns). Areas resolve as people
 * write them (area_input.h, against areas; NULL: GSS codes only); topics and
 * communities through v to codes, or are kept as free tags; organisation is a
 * UUID; status a status or a list of them. Errors name "filters.<key>[i]".
 * warnings (NULL: none wanted) receives one string per area resolved from a
 * name or an old code, retired, or not in the register (kept: the feed
 * shows what is written against it). Returns 0, or -1 with entries appended
 * to errors (*out NULL). */
int feed_filters_parse(const json_t *in, const vocab *v, const area_register *areas, json_t **out,
                       json_t *errors, json_t *warnings);

/* A POST /v1/feeds body: {"label": 1..FEED_LABEL_MAX characters without
 * control characters (required), "filters": as feed_filters_parse}; any
 * other member is an error. On success *label points into body (borrowed)
 * and *filters is new (caller owns). Returns 0, or -1 with errors appended;
 * warnings as feed_filters_parse. */
int feed_body_parse(const json_t *body, const vocab *v, const area_register *areas, const char **label,
                    json_t **filters, json_t *errors, json_t *warnings);

/* The public routes' query string (area, topic, community, organisation,
 * status, from, to, q, id: one consultation; each at most once; area already resolved to a GSS code
 * by the caller) as a normalised filters object in *out (caller owns).
 * Returns 0, or -1 with entries appended to errors, named by parameter. */
int public_filters_from_query(const struct evkeyvalq *query, const vocab *v, json_t **out, json_t *errors);

typedef enum {
    FEED_SELECT_CALENDAR,     /* the keys of a calendar's events (calendar_keys.h): id, version,
                                 updated_at and organisation name, as text; fieldwork within the
                                 calendar window, by start (the rows: SQL_CALENDAR_EVENTS) */
    FEED_SELECT_JSON,         /* id, public_consultation_doc JSON */
    FEED_SELECT_CSV,          /* id, organisation id, organisation, title, summary, topics, communities,
                                 areas, fieldwork_start, fieldwork_end, methods, engagement_level,
                                 expected_participants, status, version, created_at, updated_at
                                 (lists ';'-joined) */
} feed_select;

/* Builds the statement for filters (normalised, as above; areas, when not
 * NULL, says what contains each area: list_area_condition) into out: at most
 * CALENDAR_MAX_EVENTS + 1 or OPEN_DATA_MAX_ROWS + 1 rows (one more than
 * shown says the answer was cut), only public consultations when
 * public_only. Free out with list_query_free. Returns 0, or -1 when out of
 * memory. */
int feed_query_build(const json_t *filters, const vocab *v, const area_register *areas, feed_select sel,
                     bool public_only, list_query *out);

#endif
