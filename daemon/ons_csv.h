/* ons_csv.h - reads ONS geography lookup CSVs as published (pure: no I/O).
 *
 * Any header with XXyyCD / XXyyNM column pairs is understood (WD19CD,
 * LAD20NM, CTY20CD, RGN18CD, ICB23CD, ...) in any order, with other columns
 * (FID, ...) ignored. Each row names one area per level; every level is
 * linked to each coarser level in the same row (ward -> district -> county
 * -> region), so a row "links a child code to its parent codes". */
#ifndef CONSULTD_ONS_CSV_H
#define CONSULTD_ONS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#define ONS_MAX_LEVELS 8

typedef struct ons_sink {
    /* Each returns 0 to go on, -1 to stop the parse (out of memory, ...). */
    int (*area)(void *arg, const char *code, const char *name, const char *level);
    int (*link)(void *arg, const char *child, const char *parent);
    void *arg;
} ons_sink;

typedef struct ons_stats {
    long rows;            /* data rows read */
    long skipped;         /* codes or rows passed over (not code-shaped, short rows) */
    long first_skipped;   /* 1-based data row of the first one passed over, 0 if none */
    int levels;           /* levels found in the header */
    char level_names[ONS_MAX_LEVELS][24];
} ons_stats;

/* The level name for a column prefix ("WD" -> "ward", "LAD" -> "district"). */
const char *ons_level_name(const char *prefix);

/* true for an ONS GSS code: one of E W S N K, then eight digits. */
bool ons_code_valid(const char *code);

/* Parses the whole file in buf. Returns 0, or -1 with a message in err
 * (no code columns in the header, malformed quoting, a sink failure). */
int ons_csv_parse(const char *buf, size_t len, const ons_sink *sink, ons_stats *stats,
                  char *err, size_t errlen);

#endif
