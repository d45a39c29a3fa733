/* public_doc.h - the names a resident reads, added to a public consultation's
 * JSON document (pure: no I/O).
 *
 * /public/consultations.json carries codes (areas, topics, communities,
 * methods), as the rest of the API does; a person needs the areas' names and
 * the vocabularies' labels. */
#ifndef CONSULTD_PUBLIC_DOC_H
#define CONSULTD_PUBLIC_DOC_H

#include <jansson.h>

#include "areas.h"
#include "vocab.h"

/* Adds to doc (an object with the arrays "areas", "topics", "communities"
 * and "methods" of codes; a missing or non-array one is skipped):
 *   "places": per area, in order, {"code", "name", "level", "parent"}, name
 *     and level from the register (a code it does not know: name the code,
 *     level null), parent the first parent's name or null;
 *   "topic_labels", "community_labels", "method_labels": per code, in order,
 *     the vocabulary's label (a code it does not know: the code).
 * areas and v may be NULL (every code unknown). Returns 0, or -1 when out of
 * memory (doc may then hold some of the fields). doc stays the caller's. */
int public_doc_add_names(json_t *doc, const area_register *areas, const vocab *v);

#endif
