/* calendar_keys.h - what a calendar's bytes, and each of its events' bytes,
 * are made from, as cache keys (pure: no I/O).
 *
 * A calendar (api_public.c) is read in two steps: first the keys of its
 * events (feed_query.h, FEED_SELECT_CALENDAR: id, version, updated_at and
 * the organisation's name, in calendar order), then the rows of only those
 * events not rendered before (store_feeds.h, SQL_CALENDAR_EVENTS). Every
 * edit of a consultation raises its version and updated_at (API.md section
 * 1), so the keys name the rows' content without reading it:
 *   - an event's bytes (fmt_ical.h) depend on its row, its organisation's
 *     name, the area names (the register's generation) and the console's
 *     address: calendar_event_key;
 *   - a calendar's bytes on its events' keys in order, whether the list was
 *     cut, and the statement, its parameters, the calendar's name, the
 *     renderer's version, the generation and the address:
 *     calendar_etag. A client holding that ETag is answered 304 without a
 *     row being read. */
#ifndef CONSULTD_CALENDAR_KEYS_H
#define CONSULTD_CALENDAR_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "etag.h"
#include "list_query.h"

/* "<uuid>:<version>:<16 hex digits>": at most 36 + 1 + 20 + 1 + 16 + NUL. */
#define CALENDAR_EVENT_KEY_LEN 80

/* One event's key columns, borrowed from a result row. */
typedef struct calendar_event_ref {
    const char *id;           /* the consultation's UUID */
    const char *version;      /* its version, as text */
    const char *updated;      /* its updated_at, as the server prints it */
    const char *organisation; /* its organisation's name */
} calendar_event_ref;

/* What every event of a calendar shares in its bytes. */
typedef struct calendar_context {
    long long generation;    /* the area register's (area names) */
    const char *console_url; /* the events' URL prefix */
    const char *public_page; /* the residents' page the events' descriptions name (NULL: none; fmt_ical.h) */
} calendar_context;

/* Writes the event's key into out (NUL-terminated): the id (at most 36
 * characters), the version (at most 20) and a 64-bit FNV-1a hash of the
 * rest and of ctx, in hex. NULL strings are read as "". */
void calendar_event_key(const calendar_event_ref *e, const calendar_context *ctx,
                        char out[CALENDAR_EVENT_KEY_LEN]);

/* The calendar's strong ETag (etag.h: the first 128 bits of a SHA-256 in
 * hex, quoted) over its n events' keys in order (calendar_event_key, with
 * the same ctx), truncated (more rows than shown), the statement q (its SQL
 * and parameters), name and ctx, and the daemon's version. Returns 0, or -1
 * when out of memory. */
int calendar_etag(const char (*keys)[CALENDAR_EVENT_KEY_LEN], size_t n, bool truncated, const list_query *q,
                  const char *name, const calendar_context *ctx, char out[ETAG_LEN]);

#endif
