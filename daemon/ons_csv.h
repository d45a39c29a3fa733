/* ons_csv.h - reads ONS geography lookup CSVs as published (pure: no I/O).
 *
 * Column names follow the ONS convention PREFIX + two-digit vintage + kind,
 * in any case and order: XXyyCD (GSS code), XXyyNM (name), XXyyNMW (Welsh
 * name), XXyyCDO / XXyyCDH (old-style codes: aliases of the row's code), and
 * a trailing digit for numbered parents (LEP17CD1, LEP17CD2: an area with two
 * parents). The prefix may hold digits (NUTS315CD is NUTS3, 2015). Any other
 * column (FID, ObjectId, coordinates, empty or unnamed columns) is skipped and
 * reported by name in the stats.
 *
 * Each row names one area per level. The row's child is its finest level
 * (ward before district before county ...); the child is linked to every
 * coarser level in the row, and the administrative levels (output area, LSOA,
 * MSOA, ward, district, county, region, country) to each coarser one of them.
 * Other geographies (constituencies, LEPs, police force areas, ...) are built
 * from their smallest units and do not nest with districts, so they are
 * linked from the child only; containment they do share is derived by the
 * importer from children.
 *
 * A lookup holding two vintages of one geography (LAD22CD ... LAD23CD) is
 * succession, not containment: the older code was replaced by the newer
 * (ONS "code changes" lookups; rows with equal codes are unchanged areas).
 *
 * Codes are trimmed and upper-cased; codes that are not GSS codes (NUTS
 * "UKC11", Northern Ireland's "95P"), ONS pseudo codes (E99999999: "not
 * applicable") and empty codes are passed over and counted. A code standing
 * as its own parent (a unitary authority is its own county) is one area, not
 * a link. Names are trimmed; a name double-encoded as UTF-8 ("Ynys MÃ´n",
 * UTF-8 read as Windows-1252 and saved again) is repaired, and a name that is
 * not UTF-8 at all is read as Windows-1252 (what spreadsheets save). */
#ifndef CONSULTD_ONS_CSV_H
#define CONSULTD_ONS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#define ONS_MAX_LEVELS 12

typedef struct ons_sink {
    /* Each returns 0 to go on, -1 to stop the parse (out of memory, ...).
     * Strings are valid UTF-8, borrowed for the call only. name is never
     * empty (the code stands in for a missing name); name_cy is NULL when the
     * row has no Welsh name. Codes are GSS codes (ons_code_valid). */
    int (*area)(void *arg, const char *code, const char *name, const char *name_cy, const char *level);
    int (*link)(void *arg, const char *child, const char *parent);
    /* alias: an old-style code (upper-cased, ASCII letters and digits) of code. */
    int (*alias)(void *arg, const char *alias, const char *code);
    /* succession: code was replaced by successor (never equal). */
    int (*succession)(void *arg, const char *code, const char *successor);
    void *arg;
} ons_sink;

typedef struct ons_stats {
    long rows;            /* data rows read (blank lines not counted) */
    long skipped;         /* rows that link nothing: short rows, child code empty, pseudo or not GSS */
    long first_skipped;   /* 1-based data row of the first of those, 0 if none */
    long short_rows;      /* rows with fewer fields than the header, or more than 64 */
    long empty_child;     /* rows whose child code is empty (their other areas are still read) */
    long pseudo_child;    /* rows whose child is an ONS pseudo code (X99999999) */
    long pseudo_codes;    /* pseudo codes in the other columns */
    long non_gss;         /* non-empty codes that are not GSS codes, whatever the column */
    char non_gss_example[24];
    char non_gss_columns[200]; /* their columns, comma-separated as written */
    long self_links;      /* links from an area to itself, dropped */
    char self_link_example[16];
    long aliases;         /* old codes read */
    long bad_aliases;     /* old-code values passed over (not letters and digits) */
    long repaired;        /* names repaired from double-encoded UTF-8 */
    char repaired_from[64], repaired_to[64];
    long recoded;         /* names that were not UTF-8, read as Windows-1252 */
    long suspect;         /* names that look double-encoded but could not be repaired, kept as written */
    char suspect_example[64];
    bool succession;      /* the file pairs two vintages of one geography */
    char succession_from[16], succession_to[16]; /* their prefixes with vintage: "LAD22", "LAD23" */
    long successions;     /* rows where the code changed */
    long unchanged;       /* rows where both vintages have the same code */
    int levels;           /* levels (code columns) found in the header, finest first */
    char level_names[ONS_MAX_LEVELS][24];
    int skipped_columns;  /* columns neither codes, names, Welsh names nor old codes */
    char skipped_column_names[400]; /* comma-separated; an empty name is written "(unnamed)" */
} ons_stats;

/* The level name for a column prefix ("WD" -> "ward", "LAD" -> "district"),
 * NULL for a prefix this table does not know (the caller lower-cases it). */
const char *ons_level_name(const char *prefix);

/* true for an ONS GSS code: one of E W S N K, then eight digits. */
bool ons_code_valid(const char *code);

/* true for an ONS pseudo code: a letter, then eight nines ("E99999999",
 * "L99999999"): ONS writes these where a level does not apply. */
bool ons_code_pseudo(const char *code);

/* Repairs s in place: trims ASCII spaces, decodes UTF-8 that was read as
 * Windows-1252 (or Latin-1) and encoded again ("MÃ´n" -> "Môn", up to three
 * times over). Returns 1 if repaired, 0 if left as it was (trimming aside),
 * 2 if s is not valid UTF-8 (left as is; see ons_text_recode), 3 if it looks
 * double-encoded but does not decode (left as is). Never grows s. */
int ons_text_repair(char *s);

/* A malloc'd UTF-8 copy of s read as Windows-1252, NULL if out of memory. */
char *ons_text_recode(const char *s);

/* Parses the whole file in buf. Returns 0, or -1 with a message in err
 * (no code columns in the header, malformed quoting, a sink failure). */
int ons_csv_parse(const char *buf, size_t len, const ons_sink *sink, ons_stats *stats,
                  char *err, size_t errlen);

#endif
