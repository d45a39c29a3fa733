/* areas_import.h - `consultd areas import FILE.csv...` (blocking; CLI only).
 *
 * All files load in one transaction: areas are upserted (name and level),
 * parent links added, and the ancestor closure rebuilt, so a failed file
 * changes nothing. The closure also holds derived containment: an area all of
 * whose children lie within another area lies within it (county in region). Prints one summary line per file on out. */
#ifndef CONSULTD_AREAS_IMPORT_H
#define CONSULTD_AREAS_IMPORT_H

#include <stddef.h>
#include <stdio.h>

int areas_import(const char *url, char *const *files, int nfiles, FILE *out, char *err, size_t errlen);

#endif
