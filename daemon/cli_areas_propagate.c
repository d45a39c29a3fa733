/* cli_areas_propagate.c - area_reach, the re-check queue and NOTIFY after an import. */
#include "cli_areas_propagate.h"

#include <stdlib.h>

#include "db.h"
#include "cli_pg.h"

static const char *const steps[] = {
    "CREATE TEMP TABLE import_old_reach ON COMMIT DROP AS SELECT code, reach FROM area_reach",
    "DELETE FROM area_reach",
    /* The closure of "lies within" and "is one place with" (succession, both ways). */
    "INSERT INTO area_reach (code, reach) "
    "WITH RECURSIVE e(a, b) AS ("
    "  SELECT code, ancestor FROM area_ancestors"
    "  UNION SELECT code, successor FROM area_successions"
    "  UNION SELECT successor, code FROM area_successions),"
    " r(code, x) AS (SELECT a, b FROM e UNION SELECT r.code, e.b FROM r JOIN e ON e.a = r.x) "
    "SELECT a.code, coalesce(g.reach, '{}') FROM areas a LEFT JOIN ("
    "  SELECT code, array_agg(DISTINCT x COLLATE \"C\" ORDER BY x COLLATE \"C\") AS reach FROM r"
    "  WHERE x <> code GROUP BY code) g ON g.code = a.code",
    "CREATE TEMP TABLE import_changed ON COMMIT DROP AS "
    "SELECT coalesce(n.code, o.code) AS code FROM area_reach n FULL JOIN import_old_reach o ON o.code = n.code "
    "WHERE n.reach IS DISTINCT FROM o.reach",
    /* From here to COMMIT no write can run: keep it short. */
    "SELECT pg_advisory_xact_lock(" DB_STR(AREAS_REGISTER_LOCK) ")",
};

int areas_propagate(PGconn *c, long *queued, long long *generation, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (pgu_run(c, steps[i], 0, NULL, err, errlen) < 0)
            return -1;
    PGresult *r = pgu_exec(c,
                           "UPDATE area_register_state SET generation = generation + 1, changed_at = now()"
                           " RETURNING generation",
                           0, NULL, err, errlen);
    if (!r)
        return -1;
    *generation = atoll(PQgetvalue(r, 0, 0));
    const char *p[] = { PQgetvalue(r, 0, 0) };
    PGresult *q = pgu_exec(c,
                           "WITH q AS (INSERT INTO recheck_pending (consultation_id, generation)"
                           " SELECT c.id, $1::bigint FROM consultations c"
                           " WHERE c.areas && (SELECT coalesce(array_agg(code), '{}') FROM import_changed)"
                           " AND c.status <> 'cancelled'"
                           " ON CONFLICT (consultation_id) DO UPDATE SET generation = excluded.generation"
                           " RETURNING 1) SELECT count(*) FROM q",
                           1, p, err, errlen);
    PQclear(r);
    if (!q)
        return -1;
    *queued = atol(PQgetvalue(q, 0, 0));
    PQclear(q);
    return pgu_run(c, "NOTIFY consultd_areas", 0, NULL, err, errlen);
}
