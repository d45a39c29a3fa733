/* subscription_patch.h - PATCH /v1/subscriptions/{id}: what a JSON Merge Patch
 * (RFC 7396) of a stored subscription asks for, and how its digest windows
 * carry on (pure: no I/O).
 *
 * A patch may change events, filters (areas, topics, communities,
 * min_level), format, delivery, digest_time and digest_day. The target (url
 * or email) and the signing secret are fixed for the life of a subscription:
 * a patch may repeat the stored url or email unchanged, anything else naming
 * them is 422 (create a new subscription for another target). Fields the
 * server owns (id, organisation, status, version, ...) are 422 as in a
 * consultation's PATCH. The merged result is checked by subscription_parse,
 * exactly as a creation body is.
 *
 * A digest setting that the new delivery does not use is dropped from the
 * stored side (daily -> immediate drops digest_time, weekly -> daily drops
 * digest_day) unless the patch itself sets it, which subscription_parse then
 * refuses as at creation. null resets a field to its default (RFC 7396:
 * removes it), e.g. "delivery": null is immediate. */
#ifndef CONSULTD_SUBSCRIPTION_PATCH_H
#define CONSULTD_SUBSCRIPTION_PATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "digest_schedule.h"

/* The creation body a patch stands for. stored: the subscription as GET
 * answers it (subscription_json: url, email, format, events, filters,
 * delivery, digest_time, digest_day, ...), borrowed; patch: the request body,
 * borrowed. Every member the patch may not set is added to errors
 * ({"field", "message"}, see field_errors.h) and left out. Returns a new
 * object the caller owns, made of the rest, to be checked with
 * subscription_parse (so one 422 names every bad field); NULL when patch is
 * not an object (an error added) or memory runs out (errors unchanged). */
json_t *subscription_patch_body(const json_t *stored, const json_t *patch, json_t *errors);

/* How the digest columns of a subscription change with its delivery
 * (schema/012_digests.sql keeps their invariants):
 *   - to immediate: both columns NULL (last_end = next_at = 0); from a digest,
 *     flush is set: the open window [old_last_end, flush_end) is closed now,
 *     its held events sent as one final digest (job_digest.h's path), where
 *     flush_end = max(now, old_last_end + 1) (a window is never empty in time);
 *   - immediate to a digest: the first window opens at open_from (now, or
 *     later if a window of this subscription closed later than now) and is due
 *     at the first scheduled time after it, as at creation;
 *   - a digest to a digest (time, day or daily/weekly changed): the open
 *     window keeps its start old_last_end and is due at the new schedule's
 *     first time after that start (digest_next_after), so no window is
 *     skipped or repeated: one already due is closed by the next run.
 * Times are Unix seconds; 0 stands for SQL NULL. */
typedef struct subscription_reschedule {
    bool flush;
    time_t flush_end;
    time_t last_end, next_at;
} subscription_reschedule;

void subscription_reschedule_for(const digest_schedule *old, time_t old_last_end, const digest_schedule *now_sched,
                                 time_t now, time_t open_from, subscription_reschedule *out);

#endif
