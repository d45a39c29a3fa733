/* job_housekeeping.h - periodic clean-up on the event loop: Idempotency-Key
 * answers older than 24 hours are deleted, shortly after start-up and then
 * every HOUSEKEEPING_INTERVAL_S seconds, in batches so no statement runs long. */
#ifndef CONSULTD_JOB_HOUSEKEEPING_H
#define CONSULTD_JOB_HOUSEKEEPING_H

#include "server.h"

#define HOUSEKEEPING_INTERVAL_S 3600
#define HOUSEKEEPING_BATCH 5000

/* Starts the timer; returns -1 when it cannot be created. */
int housekeeping_start(server *srv);
/* Cancels the timer and frees a pass cut off by shutdown (its connection
 * goes with the pool). Safe when housekeeping_start failed or never ran. */
void housekeeping_stop(server *srv);

#endif
