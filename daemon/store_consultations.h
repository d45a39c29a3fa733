/* store_consultations.h - the SQL for consultations, and the parameter
 * vector a validated consultation is written with. */
#ifndef CONSULTD_STORE_CONSULTATIONS_H
#define CONSULTD_STORE_CONSULTATIONS_H

#include "consultation.h"

/* Parameters $1..$16 of SQL_INSERT / SQL_UPDATE ($1 id, $2 organisation). */
#define CONSULTATION_NPARAMS 16

typedef struct consultation_params {
    const char *values[CONSULTATION_NPARAMS + 1]; /* +1: the version for UPDATE */
    char *owned[4];                               /* the text[] literals */
    char participants[24];
} consultation_params;

/* Fills p from c. Returns -1 when out of memory. Free with consultation_params_free. */
int consultation_params_fill(consultation_params *p, const consultation *c, const char *id, const char *org_id);
void consultation_params_free(consultation_params *p);

/* Every statement that returns a consultation returns (version, doc, unknown_areas). */
extern const char SQL_CONSULTATION_INSERT[];
extern const char SQL_CONSULTATION_UPDATE[];   /* $17: expected version */
extern const char SQL_CONSULTATION_CANCEL[];   /* $1 id, $2 expected version */
extern const char SQL_CONSULTATION_GET[];      /* $1 id: version, doc, organisation_id, status */
extern const char SQL_CONSULTATION_BY_REF[];   /* $1 organisation, $2 external_ref: id */

#endif
