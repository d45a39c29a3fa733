/* store_alerts.h - SQL for subscriptions, alert events and deliveries. */
#ifndef CONSULTD_STORE_ALERTS_H
#define CONSULTD_STORE_ALERTS_H

#define ALERTS_FANOUT_BATCH 200

/* Fans new events out to the active subscriptions whose filters they pass,
 * freezing each body. Returns (events taken, deliveries made). */
extern const char SQL_ALERTS_FANOUT[];
/* $1 how many, $2 lease seconds. Leases due deliveries; returns (id, event_id,
 * attempts, payload, subscription id, url, email, format, secret). */
extern const char SQL_ALERTS_CLAIM[];
/* $1 delivery, $2 new status, $3 seconds to the next attempt, $4 duration ms,
 * $5 HTTP status, $6 error, $7 outcome, $8 reason to disable the subscription. */
extern const char SQL_ALERTS_RECORD[];
/* (pending deliveries, age in seconds of the oldest) */
extern const char SQL_ALERTS_DEPTH[];

#endif
