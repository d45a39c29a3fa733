/* consultation.h - a consultation as the API accepts it: validation and
 * normalisation of a request body into a C struct (pure: no I/O).
 *
 * Every invalid field is reported, not just the first. Topic, community and
 * method entries are resolved through the vocabularies; topic and community
 * entries that match nothing are kept as free tags with a warning. */
#ifndef CONSULTD_CONSULTATION_H
#define CONSULTD_CONSULTATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "areas.h"
#include "vocab.h"

#define TITLE_MAX 300
#define SUMMARY_MAX 5000
#define AREAS_MAX 500
#define TERMS_MAX 50
#define TERM_TEXT_MAX 100
#define EXTERNAL_REF_MAX 100
#define CONTACT_NAME_MAX 200
#define EMAIL_MAX 254
#define PARTICIPANTS_MAX 100000000
#define FIELDWORK_MAX_DAYS 731 /* two years, leap day included */

typedef struct strlist {
    char **items;
    size_t n;
} strlist;

typedef struct consultation {
    char *title;
    char *summary;                /* "" when absent */
    strlist topics, communities, areas, methods;
    bool inferred;
    char start[11], end[11];      /* YYYY-MM-DD */
    const char *engagement_level; /* static string */
    long long expected_participants;
    bool has_participants;
    char *contact_name, *contact_email;
    char *external_ref;
    const char *visibility;       /* static string: "partners" (default) or "public" */
} consultation;

/* Frees what c holds (not c itself). */
void consultation_free(consultation *c);

/* Validates obj (a request body, or a stored one with a merge patch applied)
 * into out. Topics, communities and methods resolve against v; areas against
 * the register (codes in any case, names, "Name (Parent)", old codes: API.md
 * section 7; NULL: GSS codes only), and are stored as unique upper-case codes.
 * Appends {"field","message"} objects (areas may add "candidates") to errors
 * and strings to warnings. Returns 0 when valid, -1 when errors were added
 * (out is then freed). */
#define AREA_TEXT_MAX 200
int consultation_parse(const json_t *obj, const vocab *v, const area_register *areas, consultation *out,
                       json_t *errors, json_t *warnings);

/* The fields a client may not send: set by the server. */
bool consultation_server_field(const char *name);

/* Days since 1970-01-01 for a valid YYYY-MM-DD calendar date (years 1900 to
 * 9999); false otherwise. */
bool date_parse(const char *s, long *days);
/* date_parse, and on failure why (len bytes) says what is wrong when the
 * text has the form YYYY-MM-DD: the day does not exist ("February 2027 has 28
 * days", from civil_date_exists) or the year is out of range; why is "" when
 * the form itself is wrong. */
bool date_parse_why(const char *s, long *days, char *why, size_t len);
/* date_parse for a request's field; on failure appends one {"field",
 * "message"} to errors: "<s> is not a real date: <why>" when s has the
 * form but names no day, else form_message (the field's own words for the
 * form it takes). */
bool date_parse_field(const char *s, long *days, const char *field, const char *form_message, json_t *errors);
/* true for an address of the form local@domain.tld, within length limits. */
bool email_valid(const char *s);
/* Characters (UTF-8 code points) in a valid UTF-8 string. */
size_t utf8_length(const char *s);

/* PostgreSQL text[] literal for a list ("{\"a\",\"b\"}"); malloc'd (the
 * caller frees it), NULL when out of memory. */
char *strlist_to_pg(const strlist *l);
/* A write's answer: doc (the stored consultation, a JSON object as text)
 * with "warnings" and "overlaps" (NULL: []) added as its last members. The
 * members are spliced in before the closing brace, not the document parsed
 * and printed again. malloc'd; NULL when doc is not an object or out of memory. */
char *consultation_response_text(const char *doc, json_t *warnings, json_t *overlaps);

/* PostgreSQL bigint[] literal ("{1,-2}"); malloc'd (the caller frees it),
 * NULL when out of memory. */
char *int64s_to_pg(const int64_t *v, size_t n);

/* RFC 7396 JSON Merge Patch (section 2's MergePatch): returns the patched
 * copy of target, a new reference the caller owns; target and patch are left
 * as they were. NULL when out of memory (never a copy patched in part). */
json_t *json_merge_patch(const json_t *target, const json_t *patch);

#endif
