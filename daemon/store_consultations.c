/* store_consultations.c - SQL for consultations. */
#include "store_consultations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN_AREAS \
    "(SELECT coalesce(json_agg(a ORDER BY a), '[]') FROM unnest(c.areas) a" \
    " WHERE NOT EXISTS (SELECT 1 FROM areas WHERE code = a))::text"

const char SQL_CONSULTATION_INSERT[] =
    "INSERT INTO consultations AS c (id, organisation_id, external_ref, title, summary, topics, communities,"
    " inferred, areas, fieldwork_start, fieldwork_end, methods, engagement_level, expected_participants,"
    " contact_name, contact_email)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    " ON CONFLICT (organisation_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING"
    " RETURNING c.version, consultation_json(c)::text, " UNKNOWN_AREAS;

const char SQL_CONSULTATION_UPDATE[] =
    "UPDATE consultations AS c SET external_ref = $3, title = $4, summary = $5, topics = $6, communities = $7,"
    " inferred = $8, areas = $9, fieldwork_start = $10, fieldwork_end = $11, methods = $12,"
    " engagement_level = $13, expected_participants = $14, contact_name = $15, contact_email = $16,"
    " version = c.version + 1, updated_at = now()"
    " WHERE c.id = $1 AND c.organisation_id = $2 AND c.version = $17"
    " RETURNING c.version, consultation_json(c)::text, " UNKNOWN_AREAS;

const char SQL_CONSULTATION_CANCEL[] =
    "UPDATE consultations AS c SET status = 'cancelled', version = c.version + 1, updated_at = now()"
    " WHERE c.id = $1 AND c.version = $2"
    " RETURNING c.version, consultation_json(c)::text, '[]'";

const char SQL_CONSULTATION_GET[] =
    "SELECT c.version, consultation_json(c)::text, c.organisation_id, c.status FROM consultations c WHERE c.id = $1";

const char SQL_CONSULTATION_BY_REF[] =
    "SELECT id FROM consultations WHERE organisation_id = $1 AND external_ref = $2";

int consultation_params_fill(consultation_params *p, const consultation *c, const char *id, const char *org_id)
{
    memset(p, 0, sizeof *p);
    p->owned[0] = strlist_to_pg(&c->topics);
    p->owned[1] = strlist_to_pg(&c->communities);
    p->owned[2] = strlist_to_pg(&c->areas);
    p->owned[3] = strlist_to_pg(&c->methods);
    for (int i = 0; i < 4; i++)
        if (!p->owned[i])
            return -1;
    if (c->has_participants)
        snprintf(p->participants, sizeof p->participants, "%lld", c->expected_participants);
    const char **v = p->values;
    v[0] = id;
    v[1] = org_id;
    v[2] = c->external_ref;
    v[3] = c->title;
    v[4] = c->summary;
    v[5] = p->owned[0];
    v[6] = p->owned[1];
    v[7] = c->inferred ? "true" : "false";
    v[8] = p->owned[2];
    v[9] = c->start;
    v[10] = c->end;
    v[11] = p->owned[3];
    v[12] = c->engagement_level;
    v[13] = c->has_participants ? p->participants : NULL;
    v[14] = c->contact_name;
    v[15] = c->contact_email;
    return 0;
}

void consultation_params_free(consultation_params *p)
{
    for (int i = 0; i < 4; i++)
        free(p->owned[i]);
    memset(p, 0, sizeof *p);
}
