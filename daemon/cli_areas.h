/* cli_areas.h - `consultd areas import FILE.csv...` (blocking; CLI only).
 *
 * All files load in one transaction (COPY into temporary tables, then merge):
 * areas are upserted (name, Welsh name, level), parent links, old codes
 * (area_aliases) and successions (area_successions) added, and the ancestor
 * closure rebuilt, so a failed file or statement changes nothing, and
 * importing the same files again changes no row. The closure also holds
 * derived containment: an area all of whose children lie within another area
 * lies within it (county in region). The new register's reach, re-check
 * queue and NOTIFY consultd_areas follow in the same transaction
 * (cli_areas_propagate.h), so running daemons reload and re-check at COMMIT. */
#ifndef CONSULTD_CLI_AREAS_H
#define CONSULTD_CLI_AREAS_H

#include <stddef.h>
#include <stdio.h>

/* Imports files (nfiles paths of ONS lookup CSVs) into the database at url.
 * Every file is read whole into memory and parsed before the database is
 * touched; the summary of each (a line, then one per kind of thing passed
 * over: ons_csv.h) is printed on out as it is parsed, then the register's
 * totals and the number of consultations queued for a re-check. Returns 0
 * once committed; -1 with a one-line reason in err (errlen bytes, NUL
 * terminated) when a file cannot be read or parsed (naming it), the
 * database cannot be reached, or a statement fails: nothing is committed
 * then, though summaries of the files parsed so far may be on out already.
 * Blocking (libpq's synchronous calls): never call it from the event loop. */
int areas_import(const char *url, char *const *files, int nfiles, FILE *out, char *err, size_t errlen);

#endif
