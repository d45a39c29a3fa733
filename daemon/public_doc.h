/* public_doc.h - the names a resident reads, added to a public consultation's
 * JSON document (pure: no I/O).
 *
 * /public/consultations.json carries codes (areas, topics, communities,
 * methods), as the rest of the API does; a person needs the areas' names and
 * the vocabularies' labels. They are written as text after the document the
 * database built, without parsing it again: the open data has up to 100,000
 * rows. */
#ifndef CONSULTD_PUBLIC_DOC_H
#define CONSULTD_PUBLIC_DOC_H

#include "areas.h"
#include "outbuf.h"
#include "vocab.h"

/* The separator of the code lists given to public_doc_names (the unit
 * separator: no code contains it, as codes and tags have no control
 * characters). */
#define PUBLIC_DOC_SEP '\x1f'

/* Appends to out the JSON object members (each after a comma, so they follow
 * the document's last member):
 *   "places": per area code, in order, {"code", "name", "level", "parent"},
 *     name and level from the register (a code it does not know: name the
 *     code, level null), parent the first known parent's name or null;
 *   "topic_labels", "community_labels", "method_labels": per code, in order,
 *     the vocabulary's label (a code it does not know, a free tag: as it is).
 * Each list is its codes separated by PUBLIC_DOC_SEP; "" or NULL for none.
 * areas and v may be NULL (every code unknown). Strings are escaped by
 * jansson (RFC 8259 section 7). Errors: out of memory, or a code or name that
 * is not UTF-8, sets out->failed. */
void public_doc_names(outbuf *out, const char *areas, const char *topics, const char *communities,
                      const char *methods, const area_register *r, const vocab *v);

#endif
