/* digest_schedule.h - when alert digests close (pure: no I/O, no global
 * state, no TZ environment).
 *
 * A digest subscription delivers "daily" or "weekly" at digest_time
 * ("HH:MM", Europe/London wall-clock time) and, for weekly, on digest_day
 * ("monday".."sunday"). Windows follow each other: each starts where the
 * last one ended, and ends at the latest scheduled time that has passed
 * (so a daemon down over several scheduled times sends one digest for the
 * whole span when it returns).
 *
 * Europe/London is computed by the UK's rule (the Summer Time Order 2002,
 * in line with EU Directive 2000/84/EC): British Summer Time (UTC+1) from
 * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
 * October; GMT (UTC+0) otherwise. A wall-clock time that does not exist (in
 * the hour skipped in March) is read as GMT, i.e. one hour later on the
 * clock; one that occurs twice (the hour repeated in October) is its first
 * occurrence (BST). The rule holds from 1996 on (the unit tests compare it
 * with the TZ database from 2000 to 2037); a change of UK law would need a
 * change here. Times are seconds since the Unix epoch (UTC). */
#ifndef CONSULTD_DIGEST_SCHEDULE_H
#define CONSULTD_DIGEST_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef enum { DIGEST_IMMEDIATE, DIGEST_DAILY, DIGEST_WEEKLY } digest_delivery;

typedef struct digest_schedule {
    digest_delivery delivery;
    int minute;       /* of the London day: 0..1439 */
    int weekday;      /* weekly only: 0 monday .. 6 sunday */
} digest_schedule;

#define DIGEST_DEFAULT_TIME "08:00"
#define DIGEST_DEFAULT_DAY "monday"

/* "immediate" | "daily" | "weekly" to *out; -1 (out untouched) otherwise. */
int digest_delivery_parse(const char *s, digest_delivery *out);
const char *digest_delivery_name(digest_delivery d);

/* Strict "HH:MM" (two digits each, 00:00..23:59) to minutes since midnight
 * in *out; -1 otherwise (NULL included). */
int digest_time_parse(const char *s, int *out);

/* "monday".."sunday" (lower case, as the API writes them) to 0..6; -1 otherwise. */
int digest_day_parse(const char *s, int *out);
const char *digest_day_name(int weekday);

/* UTC offset of Europe/London at t, in seconds: 3600 in BST, else 0. */
int london_offset(time_t t);

/* The UTC instant of London wall-clock time minute (0..1439) on the civil
 * date y-m-d (resolved as described above). */
time_t london_to_utc(int y, int m, int d, int minute);

/* London civil date and minute of the day at t. weekday: 0 monday .. 6 sunday. */
void london_from_utc(time_t t, int *y, int *m, int *d, int *minute, int *weekday);

/* The first scheduled time strictly after t; 0 for immediate delivery. */
time_t digest_next_after(const digest_schedule *s, time_t t);

/* The latest scheduled time at or before now; 0 for immediate delivery. */
time_t digest_last_at_or_before(const digest_schedule *s, time_t now);

/* The end of the window that starts at last_end when the clock reads now:
 * the latest scheduled time in (last_end, now], or 0 when none has passed
 * yet (the window is still open) or for immediate delivery. */
time_t digest_window_end(const digest_schedule *s, time_t last_end, time_t now);

/* "2027-03-01T09:00:00Z" into buf (at least 21 bytes). */
void digest_rfc3339(time_t t, char *buf, size_t size);

#endif
