/* subscription.h - POST /v1/subscriptions bodies into a checked subscription
 * (pure: no I/O; the vocabularies and area register are passed in).
 *
 * {"url": "https://..." | "email": "...", "format": "standard" | "slack",
 *  "events": [...], "filters": {"areas", "topics", "communities", "min_level"},
 *  "delivery": "immediate" | "daily" | "weekly", "digest_time": "HH:MM",
 *  "digest_day": "monday".."sunday"}
 * digest_time (default 08:00, Europe/London) is refused (422) unless delivery
 * is daily or weekly, digest_day (default monday) unless it is weekly: a
 * setting that would do nothing is an error, not silently dropped.
 * Filters name known areas and vocabulary terms (codes, labels or synonyms);
 * what they match is widened as the overlap rules widen it: an area also
 * matches consultations covering the areas that contain it, a term also its
 * parent and children. */
#ifndef CONSULTD_SUBSCRIPTION_H
#define CONSULTD_SUBSCRIPTION_H

#include <jansson.h>
#include <stdbool.h>

#include "areas.h"
#include "digest_schedule.h"
#include "vocab.h"

#define SUBSCRIPTION_URL_MAX 2048
#define SUBSCRIPTION_EMAIL_MAX 254
#define SUBSCRIPTION_FILTER_MAX 200

typedef struct subscription_input {
    const char *url, *email;      /* exactly one; borrowed from the body */
    const char *format, *min_level;
    digest_schedule schedule;     /* delivery, and for digests the time (and day) */
    char digest_time[6];          /* "HH:MM"; "" for immediate delivery */
    /* JSON arrays of strings (owned) */
    json_t *events, *areas, *area_ancestors, *topics, *match_topics, *communities, *match_communities;
} subscription_input;

/* Returns 0, or -1 with every problem added to errors (field, message).
 * Free out with subscription_input_free either way. */
int subscription_parse(const json_t *body, const vocab *v, const area_register *areas, bool allow_private,
                       subscription_input *out, json_t *errors);
void subscription_input_free(subscription_input *s);

/* The event types a subscription may ask for. */
extern const char *const subscription_event_types[];

#endif
