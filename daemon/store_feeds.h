/* store_feeds.h - SQL for /v1/feeds, an organisation's calendar feeds
 * (api_feeds.c), and the calendar's token lookup (api_public.c). The
 * calendar's own query is built by feed_query.h. */
#ifndef CONSULTD_STORE_FEEDS_H
#define CONSULTD_STORE_FEEDS_H

/* $1 id, $2 organisation, $3 label, $4 filters (JSON object text), $5 the
 * token's hash (bytea hex, "\x..."). Returns (calendar_feed_json). */
extern const char SQL_FEED_INSERT[];
/* $1 organisation, $2 cursor (the last id of the previous page, or null),
 * $3 rows wanted (page size + 1). Returns (id, calendar_feed_json) of its
 * feeds not revoked, by id. */
extern const char SQL_FEED_LIST[];
/* $1 id, $2 organisation: revokes the feed when it is the organisation's and
 * not revoked yet. Returns (id), or no row. */
extern const char SQL_FEED_REVOKE[];
/* $1 the token's hash (bytea hex, "\x..."). Returns (label, filters as JSON
 * object text) of the feed not revoked with that token, or no row. Run by
 * the calendar itself (api_public.c). */
extern const char SQL_FEED_BY_TOKEN[];
/* $1 consultation ids (a uuid[] literal). Returns, for those that exist, in
 * no particular order: their keys as FEED_SELECT_CALENDAR selects them (id,
 * version, updated_at, organisation name), then status, title, summary, area
 * codes (','-joined), topics ('\x1f'-joined), fieldwork start and end
 * (YYYY-MM-DD), created_at and updated_at (RFC 3339, UTC): what fmt_ical.h
 * renders. The calendar's events not rendered before (api_public.c). */
extern const char SQL_CALENDAR_EVENTS[];

#endif
