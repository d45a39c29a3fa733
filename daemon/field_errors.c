/* field_errors.c - the "errors" list of a problem. */
#include "field_errors.h"

#include <stdarg.h>
#include <stdio.h>

void errors_add(json_t *errors, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "message", msg));
}
