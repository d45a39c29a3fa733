/* import_csv.h - consultations as spreadsheets hold them: the CSV columns,
 * whole-file checks, a row -> request-body mapping and CSV rendering (pure:
 * no I/O, no database).
 *
 * The file format is RFC 4180 (fields separated by commas, quoted with ",
 * "" for a quote inside a quoted field, line breaks inside quoted fields,
 * CRLF or LF record ends), UTF-8 with an optional byte-order mark. The header
 * row names the columns in any order and case; each data row becomes the JSON
 * body a POST or a merge PATCH of /v1/consultations would take, so the import
 * validates and resolves exactly as the API does. */
#ifndef CONSULTD_IMPORT_CSV_H
#define CONSULTD_IMPORT_CSV_H

#include <csv.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ids.h"

/* The columns: the import's own, then the export's extras (id, organisation,
 * status, version), which an import reads back (id, organisation, version)
 * or ignores (status). */
typedef enum {
    COL_EXTERNAL_REF,
    COL_TITLE,
    COL_SUMMARY,
    COL_TOPICS,
    COL_COMMUNITIES,
    COL_AREAS,
    COL_FIELDWORK_START,
    COL_FIELDWORK_END,
    COL_METHODS,
    COL_ENGAGEMENT_LEVEL,
    COL_EXPECTED_PARTICIPANTS,
    COL_CONTACT_NAME,
    COL_CONTACT_EMAIL,
    COL_VISIBILITY,
    COL_IMPORT_COUNT,           /* the template's columns end here */
    COL_ID = COL_IMPORT_COUNT,
    COL_ORGANISATION,
    COL_STATUS,
    COL_VERSION,
    COL_COUNT
} import_col;

/* The canonical name of each column (lower case, as the template writes it). */
extern const char *const import_column_names[COL_COUNT];

#define IMPORT_MAX_COLUMNS 64

typedef struct import_header {
    int cell_of[COL_COUNT];     /* the cell index of each column, -1 when absent */
    size_t ncells;              /* cells in the header row */
} import_header;

/* Length of a UTF-8 byte-order mark at the start of buf (3 or 0). */
size_t import_bom_len(const char *buf, size_t len);

/* Checks that buf is UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF) with no NUL byte. Returns true when it is; else
 * false with *line (1-based, counting LF) and *byte (1-based within that
 * line) naming the first offending byte. */
bool import_utf8_check(const char *buf, size_t len, size_t *line, size_t *byte);

/* Reads the header row (cells as libcsv gave them, n of them) into h.
 * Column names are compared without regard to case or surrounding spaces;
 * "fieldwork.start" and "fieldwork.end" are accepted for the underscore forms.
 * Returns 0, or -1 with one {"field": <the name as written>, "message"} per
 * unknown or repeated column and one for a missing external_ref appended to
 * errors. A header that is one cell holding ';' or a tab is reported as a
 * file separated by semicolons or tabs (*separator set to ';' or '\t';
 * otherwise it is left 0). */
int import_header_read(char *const *cells, size_t n, import_header *h, json_t *errors, char *separator);

/* A date cell: YYYY-MM-DD, or the UK's day-first DD/MM/YYYY (day and month
 * may be one digit), a real calendar date. Writes YYYY-MM-DD to out (11
 * bytes); false when neither form or no such day. */
bool import_date(const char *s, char out[11]);
/* import_date, and on failure why (len bytes) says why when the cell has one
 * of the two forms but names no real day ("February 2027 has 28 days", as
 * date_parse_why says it); why is "" when the form itself is wrong. */
bool import_date_why(const char *s, char out[11], char *why, size_t len);

/* Formula neutralising (OWASP "CSV injection"): a cell starting with =, +, -,
 * @, tab or carriage return (or with apostrophes before one of those) is
 * written with a leading apostrophe, and the import removes exactly that
 * apostrophe. */
bool csv_cell_needs_guard(const char *s);
/* s without the apostrophe the export added (s itself when there is none). */
const char *csv_cell_unguard(const char *s);

/* One data row mapped to a request body. */
typedef struct import_row {
    json_t *body;               /* owned: every column present in the file; an empty cell is null */
    const char *external_ref;   /* in body; NULL when the cell is empty */
    char id[UUID_STR_LEN];      /* the id column, "" when absent or empty */
    char organisation[UUID_STR_LEN]; /* the organisation column, "" when absent or empty */
    long version;               /* the version column, 0 when absent or empty */
} import_row;

/* Maps the cells of one data row (n of them, at most h->ncells read; fewer
 * are empty) to out. Lists split on ';' (entries trimmed, empty ones
 * dropped); dates become YYYY-MM-DD; expected_participants a whole number
 * (thousands separators allowed); engagement_level lower-cased; the export's
 * apostrophe is removed from every cell. Returns 0, or -1 with an error per
 * bad cell appended to errors ({"field": canonical column name, "message"}),
 * out->body still set (free with import_row_clear either way). */
int import_row_map(const import_header *h, char *const *cells, size_t n, import_row *out, json_t *errors);
void import_row_clear(import_row *r);

/* A copy of v with every null member of every object removed (a POST body
 * from a row: an empty cell is then the same as an absent column). */
json_t *import_drop_nulls(const json_t *v);

/* The column an API error's field belongs to: "fieldwork.start" ->
 * "fieldwork_start", "contact.email" -> "contact_email"; other fields
 * ("areas[2]", "title") as they are. Writes to out (len bytes). */
void import_field_name(const char *api_field, char *out, size_t len);

/* ---- rendering ---------------------------------------------------------- */

/* Bytes csv_cell_write may write for s: at most 2 * strlen(s) + 3. */
size_t csv_cell_max(const char *s);
/* Writes s as one RFC 4180 field at out (csv_cell_max(s) bytes available),
 * quoted when it holds a comma, quote, CR, LF or leading/trailing space, and
 * guarded with an apostrophe when csv_cell_needs_guard(s). Returns the end. */
char *csv_cell_write(char *out, const char *s);

/* The header line of the template (export false) or of the export (true),
 * CRLF-terminated; a static string. */
const char *import_header_line(bool export_columns);
/* The template's example row, CRLF-terminated; a static string. */
const char *import_example_line(void);

/* One consultation document (as GET /v1/consultations/{id} returns it) as an
 * export line in import_header_line(true)'s columns, CRLF-terminated.
 * malloc'd (*len set); NULL when out of memory. */
char *import_render_row(const json_t *doc, size_t *len);

/* ---- records from libcsv -------------------------------------------------- */

/* Collects libcsv's fields into records: feed csv_parse/csv_fini with
 * csv_records_field and csv_records_end and a csv_records as data. Each
 * complete record is handed to on_record (cells NUL-terminated, borrowed
 * until it returns); a non-zero return or an allocation failure sets failed
 * and ignores what follows. */
typedef struct csv_records {
    char **cells;
    size_t n, cap;
    bool failed;
    bool too_many;              /* a record had more than IMPORT_MAX_COLUMNS cells */
    int (*on_record)(void *arg, char *const *cells, size_t n);
    void *arg;
} csv_records;

void csv_records_field(void *s, size_t len, void *data);
void csv_records_end(int c, void *data);
void csv_records_clear(csv_records *r);

#endif
