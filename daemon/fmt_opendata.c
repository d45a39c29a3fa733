/* fmt_opendata.c - the open data CSV writer. */
#include "fmt_opendata.h"

#include <string.h>

const char *const opendata_csv_columns[OPENDATA_CSV_NCOLS] = {
    "id", "organisation_id", "organisation", "title", "summary", "topics", "communities", "areas",
    "fieldwork_start", "fieldwork_end", "methods", "engagement_level", "expected_participants", "status",
    "version", "created_at", "updated_at",
};

void opendata_csv_field(outbuf *out, const char *value)
{
    const char *v = value ? value : "";
    bool formula = strchr("=+-@\t\r", v[0]) != NULL && v[0] != '\0';
    bool quote = formula || strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        outbuf_add(out, "\"", 1);
    if (formula)
        outbuf_add(out, "'", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            outbuf_add(out, "\"\"", 2);
        else
            outbuf_add(out, p, 1);
    }
    if (quote)
        outbuf_add(out, "\"", 1);
}

void opendata_csv_record(outbuf *out, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            outbuf_add(out, ",", 1);
        opendata_csv_field(out, fields[i]);
    }
    outbuf_add(out, "\r\n", 2);
}
