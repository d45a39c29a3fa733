/* delivery_policy.c - retry, give up or disable after a delivery attempt. */
#include "delivery_policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int retry_schedule_parse(const char *text, int *steps, int cap)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 604800 || n >= cap)
            return -1;
        steps[n++] = (int)v;
        while (*end == ' ')
            end++;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        while (*end == ' ')
            end++;
        p = end;
    }
    return n > 0 ? n : -1;
}

delivery_decision delivery_decide(int status, int attempt, const int *steps, int nsteps, long retry_after_s,
                                  double jitter)
{
    delivery_decision d = { DELIVERY_FAILED, 0 };
    if (status >= 200 && status < 300) {
        d.outcome = DELIVERY_DELIVERED;
        return d;
    }
    if (status == 410) {
        d.outcome = DELIVERY_DISABLED;
        return d;
    }
    if (attempt < 1 || attempt > nsteps)
        return d;
    d.outcome = DELIVERY_RETRY;
    if (retry_after_s >= 0) {
        long ra = retry_after_s < RETRY_AFTER_MIN_S ? RETRY_AFTER_MIN_S : retry_after_s;
        d.delay_s = (double)(ra > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : ra);
    } else {
        d.delay_s = steps[attempt - 1] * (0.8 + 0.4 * jitter);
    }
    return d;
}

long retry_after_parse(const char *value, time_t now)
{
    if (!value)
        return -1;
    while (*value == ' ')
        value++;
    if (isdigit((unsigned char)*value)) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        while (*end == ' ' || *end == '\r' || *end == '\n')
            end++;
        return errno || *end ? -1 : v;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end)
        return -1;
    time_t at = timegm(&tm);
    return at > now ? (long)(at - now) : 0;
}

const char *delivery_outcome_name(delivery_outcome o)
{
    switch (o) {
    case DELIVERY_DELIVERED: return "delivered";
    case DELIVERY_RETRY: return "retry";
    case DELIVERY_FAILED: return "failed";
    case DELIVERY_DISABLED: return "disabled";
    }
    return "failed";
}
