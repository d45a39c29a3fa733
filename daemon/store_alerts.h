/* store_alerts.h - SQL for subscriptions, alert events and deliveries. */
#ifndef CONSULTD_STORE_ALERTS_H
#define CONSULTD_STORE_ALERTS_H

#define ALERTS_FANOUT_BATCH 200

/* Fans new events out to the active subscriptions whose filters they pass,
 * freezing each body: a delivery, or a digest_items row for a digest
 * subscription. Returns (events taken, deliveries made). */
extern const char SQL_ALERTS_FANOUT[];
/* $1 how many, $2 lease seconds. Leases due deliveries; returns (id, event_id,
 * attempts, payload, subscription id, url, email, format, secret). */
extern const char SQL_ALERTS_CLAIM[];
/* $1 a JSON array of finished attempts {id (delivery), status (its new
 * status), delay (seconds to the next attempt), duration_ms, code (HTTP status
 * or null), error (or null), outcome}: updates each delivery and adds its
 * attempt. Returns (deliveries updated). */
extern const char SQL_ALERTS_RECORD[];
/* $1 a JSON array {subscription, reason}: disables each and cancels its
 * pending deliveries (run after SQL_ALERTS_RECORD, in its transaction). */
extern const char SQL_ALERTS_DISABLE[];
/* (pending deliveries, age in seconds of the oldest, writes waiting for
 * their fatigue check, age in seconds of the oldest) */
extern const char SQL_ALERTS_DEPTH[];

#endif
