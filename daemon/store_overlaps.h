/* store_overlaps.h - SQL for overlaps, a consultation's overlaps, preflight,
 * the outreach gate and fatigue (api_overlaps.c). The list's query is built
 * by list_query.h. */
#ifndef CONSULTD_STORE_OVERLAPS_H
#define CONSULTD_STORE_OVERLAPS_H

/* The most consultations a fatigue query returns (its LIMIT); a result this
 * long is reported as truncated. */
#define FATIGUE_MAX_ROWS 20000

/* $1 consultation id. Returns one row: (count of consultations with that id,
 * JSON array text of its overlaps as seen from it, best score first). */
extern const char SQL_OVERLAPS_OF_CONSULTATION[];
/* $1 overlap id. Returns (version, overlap JSON with its two "sides" as
 * consultation summaries), or no row. */
extern const char SQL_OVERLAP_GET[];
/* $1 overlap id. Returns (version, organisation of side a, organisation of
 * side b, status), or no row. */
extern const char SQL_OVERLAP_LOAD[];
/* $1 overlap id, $2 new status (or null to keep it), $3 whether the note is
 * set ("true"/"false"), $4 the note (or null to clear it), $5 the expected
 * version, $6 the status before: updates the overlap when its version is $5
 * and queues an overlap.updated event when the status changes. Returns
 * (version, overlap JSON with its sides as GET shows them, whether an event was queued), or no row on a
 * version mismatch. */
extern const char SQL_OVERLAP_PATCH[];
/* $1 consultation id. Returns (overlap side JSON, JSON array text of its open
 * overlaps as seen from it, status), or no row. */
extern const char SQL_PREFLIGHT_LOAD[];
/* $1 the consultation's areas (text[]), $2 its area scope (text[]), $3 and
 * $4 the first and last day (date) of the window. Returns (overlap side JSON)
 * of the consultations not cancelled reaching those areas in the window, at
 * most FATIGUE_MAX_ROWS. */
extern const char SQL_PREFLIGHT_FATIGUE_ROWS[];
/* $1 consultation id, $2 the override reason (or null): moves a planned
 * consultation into fieldwork. Returns (version, consultation JSON), or no
 * row when it is not planned. */
extern const char SQL_OUTREACH_MARK[];
/* $1 area code, $2 the area's scope (text[]), $3 and $4 the first and last
 * day (date) of the window. Returns (overlap side JSON) of the consultations
 * not cancelled reaching that area in the window, at most FATIGUE_MAX_ROWS. */
extern const char SQL_FATIGUE_AREA_ROWS[];

#endif
