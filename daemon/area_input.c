/* area_input.c - areas as people write them, for request fields. */
#include "area_input.h"

#include <stdio.h>
#include <string.h>

#include "field_errors.h"

/* The first parent's name, or NULL. */
static const area_info *first_parent(const area_register *r, const area_info *a)
{
    for (size_t i = 0; i < a->nparents; i++) {
        const area_info *p = areas_find(r, a->parents[i]);
        if (p)
            return p;
    }
    return NULL;
}

static json_t *candidate_json(const area_register *r, const area_info *a)
{
    const area_info *p = first_parent(r, a);
    return json_pack("{s:s, s:s, s:s, s:o}", "code", a->code, "name", a->name, "level", a->level, "parent",
                     p ? json_pack("{s:s, s:s, s:s}", "code", p->code, "name", p->name, "level", p->level)
                       : json_null());
}

static void warn(json_t *warnings, const char *msg)
{
    if (warnings)
        json_array_append_new(warnings, json_string(msg));
}

bool area_input_resolve(const area_register *r, const char *text, const char *field, area_code code,
                        json_t *errors, json_t *warnings)
{
    area_match m;
    switch (areas_resolve(r, text, &m)) {
    case AREA_CODE:
    case AREA_ALIAS:
    case AREA_NAME:
        memcpy(code, m.code, 10);
        break;
    case AREA_AMBIGUOUS: {
        json_t *cands = json_array();
        for (size_t i = 0; i < m.ncandidates; i++)
            json_array_append_new(cands, candidate_json(r, m.candidates[i]));
        char msg[400];
        snprintf(msg, sizeof msg,
                 "\"%.80s\" is the name of %zu%s areas: write one's code, or its name with its parent's in "
                 "brackets, e.g. \"%.80s (%.80s)\"",
                 text, m.ncandidates, m.ncandidates == AREA_CANDIDATES_MAX ? " or more" : "", m.candidates[0]->name,
                 first_parent(r, m.candidates[0]) ? first_parent(r, m.candidates[0])->name : "parent");
        json_array_append_new(errors, json_pack("{s:s, s:s, s:o}", "field", field, "message", msg, "candidates",
                                                cands));
        return false;
    }
    case AREA_BAD:
    default:
        errors_add(errors, field,
                   "\"%.60s\" is neither an ONS GSS code like E09000007 nor the name of an area in the register "
                   "(search with GET /v1/areas?q=)",
                   text ? text : "");
        return false;
    }
    const area_info *a = m.area;
    char what[40], msg[512];
    snprintf(what, sizeof what, "%.39s", field);
    char *bracket = strchr(what, '[');
    if (bracket)
        *bracket = '\0';
    if (m.kind == AREA_NAME || m.kind == AREA_ALIAS) {
        snprintf(msg, sizeof msg, "%s: \"%.80s\" is %s, %.120s (%.40s)", what, text, a->code, a->name, a->level);
        warn(warnings, msg);
    }
    if (a && a->nsuccessors) {
        const area_info *s = areas_find(r, a->successors[0]);
        snprintf(msg, sizeof msg,
                 "%s: %s (%.120s) was replaced by %s (%.120s); kept as written, and treated as the same place "
                 "for overlaps and fatigue",
                 what, a->code, a->name, a->successors[0], s ? s->name : "unnamed");
        warn(warnings, msg);
    }
    return true;
}
