/* area_input.h - an area as a person writes it, resolved for one request
 * field (pure). API.md section 7.
 *
 * Used wherever the API takes an area: a consultation's areas, the list,
 * overlap and fatigue filters (area=), and subscription filters. */
#ifndef CONSULTD_AREA_INPUT_H
#define CONSULTD_AREA_INPUT_H

#include <jansson.h>
#include <stdbool.h>

#include "areas.h"

/* Resolves text for field ("areas[0]", "area", ...) against r (NULL: GSS
 * codes only). On success writes the upper-cased GSS code to code and returns
 * true; when the text was a name or an old code, or the code is retired (has
 * successors), appends a warning to warnings (if not NULL), e.g.
 * `areas: "Camden" is E09000007, Camden (district)`. On failure appends one
 * entry to errors and returns false: {"field", "message"} for text that is
 * neither a code nor a known name, plus "candidates": [{"code", "name",
 * "level", "parent"}] when several areas have the name. Unknown but
 * well-formed codes resolve (the caller may warn). */
bool area_input_resolve(const area_register *r, const char *text, const char *field, area_code code,
                        json_t *errors, json_t *warnings);

#endif
