/* fmt_opendata.h - the open data CSV (pure: no I/O).
 *
 * RFC 4180: comma-separated, CRLF line ends, a field quoted when it holds a
 * comma, a double quote, CR or LF (quotes doubled). Lists inside a field are
 * joined with ';'. A field that would start with =, +, -, @, tab or CR is
 * written with a leading ' so a spreadsheet shows it as text instead of
 * running it as a formula (as GET /v1/consultations.csv does). The columns
 * are the resource "consultations-csv" of /public/datapackage.json. */
#ifndef CONSULTD_FMT_OPENDATA_H
#define CONSULTD_FMT_OPENDATA_H

#include <stddef.h>

#include "outbuf.h"

#define OPENDATA_CSV_NCOLS 17
extern const char *const opendata_csv_columns[OPENDATA_CSV_NCOLS];

/* Appends one field (NULL: empty), escaped as above, without separator. */
void opendata_csv_field(outbuf *out, const char *value);

/* Appends one record of n fields and its CRLF. */
void opendata_csv_record(outbuf *out, const char *const *fields, size_t n);

#endif
