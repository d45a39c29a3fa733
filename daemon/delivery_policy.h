/* delivery_policy.h - what happens after an alert delivery attempt (pure).
 *
 * 2xx: delivered. 410 Gone: the receiver asks us to stop, the subscription is
 * disabled at once. Anything else (another status, no answer, a redirect,
 * which is never followed): retried after the next alerts.retry_schedule
 * step, varied by +-20% jitter so a receiver coming back is not hit by every
 * retry at the same instant; a Retry-After the receiver sent replaces the
 * step, bounded to [1 s, 6 h]. After the last step the delivery has failed. */
#ifndef CONSULTD_DELIVERY_POLICY_H
#define CONSULTD_DELIVERY_POLICY_H

#include <stddef.h>
#include <time.h>

#define RETRY_SCHEDULE_MAX 32
#define RETRY_AFTER_MIN_S 1
#define RETRY_AFTER_MAX_S 21600

typedef enum { DELIVERY_DELIVERED, DELIVERY_RETRY, DELIVERY_FAILED, DELIVERY_DISABLED } delivery_outcome;

typedef struct delivery_decision {
    delivery_outcome outcome;
    double delay_s;             /* DELIVERY_RETRY: seconds until the next attempt */
} delivery_decision;

/* Parses "30,60,300" into steps (at most RETRY_SCHEDULE_MAX); returns how many,
 * or -1 when the text is not such a list. */
int retry_schedule_parse(const char *text, int *steps, int cap);

/* The decision after attempt number `attempt` (1 for the first) answered
 * status (0: no HTTP answer). retry_after_s < 0: none given. jitter in [0, 1). */
delivery_decision delivery_decide(int status, int attempt, const int *steps, int nsteps, long retry_after_s,
                                  double jitter);

/* A Retry-After value (delta-seconds or an HTTP-date) as seconds from now;
 * -1 when absent or unreadable. */
long retry_after_parse(const char *value, time_t now);

/* The outcome's name as stored and shown (a static string). */
const char *delivery_outcome_name(delivery_outcome o);

#endif
