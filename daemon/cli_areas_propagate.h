/* cli_areas_propagate.h - after an import changed the area register: rebuild what
 * each area reaches, queue the consultations it affects, tell the daemons
 * (blocking; CLI only, inside the import's transaction).
 *
 * DESIGN.md section 6 and API.md section 7: derived data follows its sources.
 * area_reach is rebuilt from area_ancestors and area_successions; every area
 * whose reach differs from before (or that is new, or gone) is "changed"; each
 * live consultation with a changed area is queued in recheck_pending under the
 * register's new generation, and NOTIFY consultd_areas is sent (delivered at
 * COMMIT). The generation is bumped under an exclusive advisory lock
 * (AREAS_REGISTER_LOCK) that every write takes shared, so a write either
 * finishes before the queue is read (and is queued by it) or starts after the
 * commit (and, if its daemon has not reloaded yet, queues itself). */
#ifndef CONSULTD_CLI_AREAS_PROPAGATE_H
#define CONSULTD_CLI_AREAS_PROPAGATE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "store_consultations.h" /* AREAS_REGISTER_LOCK */

/* Runs the steps on c, which must be inside the import's transaction. On
 * success returns 0 and sets *queued (consultations queued) and *generation
 * (the new one). On failure returns -1 with a message in err; the caller
 * rolls back. */
int areas_propagate(PGconn *c, long *queued, long long *generation, char *err, size_t errlen);

#endif
