/* job_dispatch.h - the alert dispatcher: outbox to webhooks, Slack and e-mail.
 *
 * Runs on the daemon's event loop, with database connections of its own (so
 * alerts never hold up API requests). The instance that commits an event wakes
 * its own dispatcher at once and, after the commit, sends NOTIFY
 * consultd_alerts (coalesced: one in flight at a time) so that the others wake
 * too; each listens on a connection of its own (re-LISTENed after every
 * reconnect) and also polls every second. Woken, it
 * takes one round trip to fan new events out and lease
 * due deliveries (FOR UPDATE SKIP LOCKED; the lease is committed before any
 * HTTP call, so several instances never send the same delivery in normal
 * operation), sends them through http_client, and records each attempt. A
 * daemon killed mid-delivery leaves a lease that runs out, and the delivery is
 * sent again (at least once; same webhook-id). Its poll also runs the
 * fatigue watch and the digest worker (job_digest.h). */
#ifndef CONSULTD_JOB_DISPATCH_H
#define CONSULTD_JOB_DISPATCH_H

#include "server.h"

#define ALERTS_POLL_MS 1000
#define ALERTS_DB_CONNECTIONS 2       /* besides the listener; apart from the API's pool */
#define ALERTS_DB_MAX_WAITING 8       /* the claim cycle, recorder, notifier, fatigue watch and digest worker ask one each */
#define ALERTS_LEASE_MARGIN_S 5   /* a lease outlives the longest attempt (alerts.timeout_s) by this */

/* Starts the dispatcher on srv's loop: its own pool and listener (connecting
 * at once), its poll timer and its fatigue watch. NULL when any of them cannot
 * be made (nothing is left running). The server owns it; dispatcher_free
 * (NULL: nothing) aborts transfers in flight without their callbacks. */
dispatcher *dispatcher_new(server *srv);
void dispatcher_free(dispatcher *d);

/* Look for work now (new events committed, or room for more deliveries). */
void dispatcher_wake(dispatcher *d);

/* This instance committed alert events: deliver now, and NOTIFY the other
 * instances (outside the writing transaction: a NOTIFY in it would serialise
 * every such commit on PostgreSQL's notify queue lock). NULL: nothing. */
void dispatcher_events_written(dispatcher *d);

/* Deliveries sent or being recorded: a graceful stop waits for these. */
int dispatcher_busy(const dispatcher *d);

/* Appends the alert metrics in exposition format. */
void dispatcher_metrics(const dispatcher *d, char **buf, size_t *len, size_t *cap);

#endif
