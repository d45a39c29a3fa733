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

#endif
