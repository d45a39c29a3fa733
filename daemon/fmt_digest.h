/* fmt_digest.h - alert digests: the body one window's events make, and
 * how people read it (pure: no I/O).
 *
 * The body, sent to webhooks as it is (and signed like any event):
 *   {"type": "digest", "timestamp": RFC 3339,
 *    "data": {"delivery": "daily" | "weekly",
 *             "window": {"start": RFC 3339, "end": RFC 3339},
 *             "count": events in the window,
 *             "levels": {"high": n, "medium": n, "low": n}   (overlap events by level),
 *             "events": [event bodies, oldest first, exactly as immediate delivery sends them],
 *             "omitted": events in the window beyond DIGEST_MAX_EVENTS, not listed,
 *             "console_url": the console's overlaps page}}
 * The e-mail (and the Slack text) lists the events grouped by level (high,
 * medium, low), then fatigue and other events, each with its one-line
 * subject, the overlap's explanation sentence and its console_url. */
#ifndef CONSULTD_FMT_DIGEST_H
#define CONSULTD_FMT_DIGEST_H

#include <jansson.h>
#include <time.h>

#include "fmt_alert.h"
#include "digest_schedule.h"

#define DIGEST_MAX_EVENTS 1000   /* events listed in one digest; the rest are counted in "omitted" */

typedef struct digest_window {
    digest_delivery delivery;   /* daily or weekly */
    time_t start, end;          /* the window [start, end) */
    time_t now;                 /* the body's timestamp */
    const char *public_base;    /* server.public_url without a trailing slash, for console_url */
} digest_window;

/* The digest body for window w. events: the window's event bodies (JSON
 * objects), oldest first, borrowed (each is referenced, not copied); total:
 * the number of events in the window (at least json_array_size(events); the
 * difference is reported as "omitted"). Returns a new reference, or NULL
 * when memory runs out or events is not an array. */
json_t *digest_body(const digest_window *w, const json_t *events, size_t total);

/* "consultd daily digest: 5 alerts (2 high), 30 November to 1 December 2026".
 * malloc'd (caller frees); NULL when memory runs out. */
char *digest_subject(const json_t *digest);

/* The plain-text body (LF line ends): a heading line with the window in
 * London time, then a section per level and one for other events, each
 * event as its alert_subject line, its explanation and its console link.
 * Text from consultations has its control characters written as spaces.
 * malloc'd (caller frees); NULL when memory runs out. */
char *digest_text(const json_t *digest, const alert_context *c);

/* "Tuesday 1 December 2026, 08:00" (London time) into buf. */
void digest_london_text(time_t t, char *buf, size_t size);

#endif
