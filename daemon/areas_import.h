/* areas_import.h - `consultd areas import FILE.csv...` (blocking; CLI only).
 *
 * All files load in one transaction (COPY into temporary tables, then merge):
 * areas are upserted (name, Welsh name, level), parent links, old codes
 * (area_aliases) and successions (area_successions) added, and the ancestor
 * closure rebuilt, so a failed file or statement changes nothing, and
 * importing the same files again changes no row. The closure also holds
 * derived containment: an area all of whose children lie within another area
 * lies within it (county in region). Prints on out, per file, a summary line
 * and a line for each kind of thing passed over (see ons_csv.h), then the
 * register's totals. Returns 0, or -1 with the reason in err. */
#ifndef CONSULTD_AREAS_IMPORT_H
#define CONSULTD_AREAS_IMPORT_H

#include <stddef.h>
#include <stdio.h>

int areas_import(const char *url, char *const *files, int nfiles, FILE *out, char *err, size_t errlen);

#endif
