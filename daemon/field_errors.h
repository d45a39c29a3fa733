/* field_errors.h - building the "errors" list of a problem (pure). */
#ifndef CONSULTD_FIELD_ERRORS_H
#define CONSULTD_FIELD_ERRORS_H

#include <jansson.h>

/* Appends {"field": field, "message": printf(...)} to the errors array (the
 * message cut at 511 bytes). errors may be NULL and memory may run out: the
 * entry is then dropped, and the caller's problem still goes out (fewer
 * entries, never a crash). */
void errors_add(json_t *errors, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
