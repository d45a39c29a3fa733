/* digest_schedule.c - digest windows in Europe/London time (see digest_schedule.h). */
#include "digest_schedule.h"

#include <stdio.h>
#include <string.h>

#include "civil_date.h"

static const char *const day_names[] = { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                         "sunday" };

int digest_delivery_parse(const char *s, digest_delivery *out)
{
    static const char *const names[] = { "immediate", "daily", "weekly" };
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (digest_delivery)i;
            return 0;
        }
    return -1;
}

const char *digest_delivery_name(digest_delivery d)
{
    return d == DIGEST_DAILY ? "daily" : d == DIGEST_WEEKLY ? "weekly" : "immediate";
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

int digest_time_parse(const char *s, int *out)
{
    if (!s || strlen(s) != 5 || !digit(s[0]) || !digit(s[1]) || s[2] != ':' || !digit(s[3]) || !digit(s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    *out = h * 60 + m;
    return 0;
}

int digest_day_parse(const char *s, int *out)
{
    for (int i = 0; s && i < 7; i++)
        if (strcmp(s, day_names[i]) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

const char *digest_day_name(int weekday)
{
    return weekday >= 0 && weekday < 7 ? day_names[weekday] : "monday";
}


/* 0 monday .. 6 sunday (1970-01-01 was a Thursday). */
static int weekday_of(long days)
{
    long w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static long floor_div(long long a, long b)
{
    return (long)(a >= 0 ? a / b : -((-a + b - 1) / b));
}

/* The day (since the epoch) of the last Sunday of month m in year y. */
static long last_sunday(int y, int m)
{
    long last = civil_days(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
    return last - (weekday_of(last) + 1) % 7;
}

int london_offset(time_t t)
{
    int y, m, d;
    civil_from_days(floor_div((long long)t, 86400), &y, &m, &d);
    long long start = (long long)last_sunday(y, 3) * 86400 + 3600;
    long long end = (long long)last_sunday(y, 10) * 86400 + 3600;
    return (long long)t >= start && (long long)t < end ? 3600 : 0;
}

time_t london_to_utc(int y, int m, int d, int minute)
{
    long long local = (long long)civil_days(y, m, d) * 86400 + (long long)minute * 60;
    time_t bst = (time_t)(local - 3600);
    if (london_offset(bst) == 3600)
        return bst;  /* summer time, or the first of a repeated hour */
    return (time_t)local; /* GMT, or a skipped hour read as GMT */
}

void london_from_utc(time_t t, int *y, int *m, int *d, int *minute, int *weekday)
{
    long long local = (long long)t + london_offset(t);
    long days = floor_div(local, 86400);
    civil_from_days(days, y, m, d);
    *minute = (int)((local - (long long)days * 86400) / 60);
    *weekday = weekday_of(days);
}

/* The scheduled time on the London date `days` (since the epoch), or 0 when
 * that date is not a delivery day. */
static time_t on_day(const digest_schedule *s, long days)
{
    if (s->delivery == DIGEST_WEEKLY && weekday_of(days) != s->weekday)
        return 0;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    return london_to_utc(y, m, d, s->minute);
}

static long london_day(time_t t)
{
    return floor_div((long long)t + london_offset(t), 86400);
}

time_t digest_next_after(const digest_schedule *s, time_t t)
{
    if (s->delivery == DIGEST_IMMEDIATE)
        return 0;
    /* a scheduled time on the day before t's London date can still lie after t
     * only by the hour of a clock change; one on day + 8 always does */
    for (long day = london_day(t) - 1; day <= london_day(t) + 8; day++) {
        time_t at = on_day(s, day);
        if (at && at > t)
            return at;
    }
    return 0; /* not reached */
}

time_t digest_last_at_or_before(const digest_schedule *s, time_t now)
{
    if (s->delivery == DIGEST_IMMEDIATE)
        return 0;
    for (long day = london_day(now) + 1; day >= london_day(now) - 8; day--) {
        time_t at = on_day(s, day);
        if (at && at <= now)
            return at;
    }
    return 0; /* not reached */
}

time_t digest_window_end(const digest_schedule *s, time_t last_end, time_t now)
{
    time_t end = digest_last_at_or_before(s, now);
    return end > last_end ? end : 0;
}

void digest_rfc3339(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
