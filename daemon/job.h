/* job.h - the promise every background worker on the event loop keeps,
 * written once. No code: each worker's header (job_recheck.h, job_dispatch.h,
 * job_fatigue.h, job_housekeeping.h, job_text_weights.h; job_*.h once renamed, see
 * README.md) gives its own functions and points here.
 *
 * A worker
 *  1. runs on the daemon's event loop and never blocks it: libpq only
 *     asynchronously (db.h), HTTP only through http_client.h;
 *  2. has database connections of its own, so it never holds up an API
 *     request and an API burst never starves it;
 *  3. claims work with FOR UPDATE SKIP LOCKED (or, for work that is one
 *     computation over everything, a transaction-level advisory lock taken
 *     with pg_try_advisory_xact_lock), so several instances share a queue and
 *     no item is done twice at once;
 *  4. wakes on NOTIFY (a LISTEN connection of its own, re-LISTENed after each
 *     reconnect) and also polls on a timer, so a lost notification only
 *     delays work;
 *  5. is crash-safe: work is claimed and finished in one transaction, or
 *     leased with a lease committed first; after kill -9 it stays queued (or
 *     its lease runs out) and another run does it, at least once and with the
 *     same effect;
 *  6. stops on SIGTERM: server.c stops it after the listener drains; its
 *     *_busy() call says whether work is in flight, and its *_free()/_stop()
 *     cancels timers and callbacks and frees everything it owns;
 *  7. reports gauges in /metrics (queue depth, oldest item's age, work in
 *     flight) and counters of work done, through its *_metrics() call.
 *
 * Where a worker does not yet keep a point, its header says so. Today:
 * fatigue_watch runs inside the dispatcher's wake-ups (its NOTIFY and poll),
 * its queue's gauges read with the outbox's; housekeeping is a timer that deletes expired
 * rows in batches (no queue to claim, no NOTIFY, no gauge); text_weights
 * claims by advisory lock, polls without NOTIFY, and has no gauge. */
#ifndef CONSULTD_JOB_H
#define CONSULTD_JOB_H
#endif
