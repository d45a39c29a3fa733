/* areas.h - the area register in memory (pure: filled by the caller).
 *
 * Loaded from the database (areas, area_parents, area_ancestors, area_reach,
 * area_aliases) at start-up and again whenever an import changes it. Answers:
 * is a code known, what is its name, what contains it, what does a
 * consultation in it reach, which area does a name written by a person mean
 * (API.md section 7), and which areas match a search.
 *
 * Life cycle: areas_new, then areas_add_row / areas_add_alias for every row, then
 * areas_finish once; only then may the look-ups be called. The register owns
 * every string in it; pointers it returns live as long as the register (until
 * areas_free). The daemon swaps in a new register when the database's
 * generation changes and frees the old one, so callers on the event loop must
 * not keep its pointers past the current callback. */
#ifndef CONSULTD_AREAS_H
#define CONSULTD_AREAS_H

#include <stdbool.h>
#include <stddef.h>

typedef char area_code[10];       /* a GSS code: 9 characters and a NUL */

/* How many areas of one level an area contains (areas_finish counts them). */
typedef struct area_count {
    char level[32];
    size_t n;
} area_count;

typedef struct area_info {
    area_code code;
    char *name;
    char *name_cy;                /* Welsh name, or NULL */
    char *level;                  /* "ward", "district", ... (ons_level_name) */
    char *key, *key_cy;           /* normalised names (vocab_normalise), for matching */
    area_code *parents;           /* direct parents */
    size_t nparents;
    area_code *ancestors;         /* every containing area */
    size_t nancestors;
    area_code *reach;             /* area_reach: ancestors, successions and theirs, sorted */
    size_t nreach;
    area_code *successors;        /* the codes that replaced this one (area_successions) */
    size_t nsuccessors;
    area_count *within;           /* per level, the areas that name this one an ancestor */
    size_t nwithin;
} area_info;

/* One row as the loader reads it; the lists are copied. */
typedef struct area_row {
    const char *code, *name, *name_cy, *level;
    const char *const *parents;
    size_t nparents;
    const char *const *ancestors;
    size_t nancestors;
    const char *const *reach;
    size_t nreach;
    const char *const *successors;
    size_t nsuccessors;
} area_row;

typedef struct area_alias {
    char *alias;                  /* upper-cased old code, e.g. "00EB" */
    size_t area;                  /* index into items (after areas_finish) */
    area_code code;
} area_alias;

typedef struct area_name_key {
    const char *key;              /* points into an area_info */
    size_t area;
} area_name_key;

typedef struct area_register {
    area_info *items;             /* sorted by code after areas_finish */
    size_t n, cap;
    area_alias *aliases;          /* sorted by alias after areas_finish */
    size_t naliases, capaliases;
    area_name_key *names;         /* every English and Welsh key, sorted; built by areas_finish */
    size_t nnames;
    size_t *by_name;              /* indexes into items, by name then code; built by areas_finish */
    long long generation;         /* area_register_state.generation when loaded */
} area_register;

/* NULL when out of memory. */
area_register *areas_new(void);
void areas_free(area_register *r);

/* No area reaches more than this many others (areas_add_row refuses the
 * row), so the scope of one code always fits in AREAS_REACH_MAX + 1. */
#define AREAS_REACH_MAX 255

/* What areas_add_row, areas_add and areas_add_alias return. On any error
 * nothing is added and the register is as it was (still usable). */
enum {
    AREAS_OK = 0,
    AREAS_BAD_CODE = -1,        /* a code (the row's, one in its lists, an alias's) is not 9 characters,
                                 * or an alias is empty */
    AREAS_NO_MEMORY = -2,
    AREAS_REACH_TOO_WIDE = -3,  /* the row reaches more than AREAS_REACH_MAX areas */
};

/* Adds one area, copying every string and list of row (the caller keeps
 * row). Returns AREAS_OK or an error above. Before areas_finish only. */
int areas_add_row(area_register *r, const area_row *row);
/* areas_add_row for an area known only by its ancestors (tests, fixtures):
 * ancestors is an array of nancestors codes (a count, not NULL-terminated;
 * NULL when nancestors is 0); its reach is its ancestors, its parent the
 * first of them. The same returns as areas_add_row. */
int areas_add(area_register *r, const char *code, const char *name, const char *level,
              const char *const *ancestors, size_t nancestors);
/* Adds an old code (alias, upper-cased on the way in) for a code; AREAS_OK,
 * AREAS_BAD_CODE or AREAS_NO_MEMORY. */
int areas_add_alias(area_register *r, const char *alias, const char *code);
/* Sorts and indexes what was added, and counts, for each area, the areas
 * inside it per level (area_info.within). Returns 0, or -2 when out of
 * memory (free the register then). Aliases whose code is not in the register
 * are dropped. */
int areas_finish(area_register *r);

/* The area with exactly this code (9 characters, case-sensitive), or NULL.
 * Only after areas_finish (a binary search over the sorted items). The
 * pointer is the register's: valid until areas_free(r), so on the event loop
 * only within the current callback (the catalog swaps registers). */
const area_info *areas_find(const area_register *r, const char *code);

/* How many areas of level lie inside the area code (every ward of a district
 * when level is "ward"); level NULL counts every level. 0 when the code is
 * unknown or holds none. Needs areas_finish. */
size_t areas_within(const area_register *r, const char *code, const char *level);

/* Writes codes (n of them) ∪ their reach, sorted by strcmp and unique, into
 * out (room for cap pointers). The pointers are borrowed: into codes and into
 * the register, so they live as long as both. Unknown codes contribute only
 * themselves. Returns how many were written, or -1 when more than cap would
 * be (nothing usable is in out then): the engine never works with a
 * truncated scope, which would miss overlaps, so every caller refuses the
 * request instead (overlap_plan_scope: 422 naming "areas"). r may be NULL
 * (codes only). Needs areas_finish. */
long areas_scope(const area_register *r, const char *const *codes, size_t n, const char **out, size_t cap);

/* areas_scope of one code, which always fits (AREAS_REACH_MAX): returns how
 * many were written (at least 1). Pointers borrowed as for areas_scope. */
size_t areas_scope_one(const area_register *r, const char *code, const char *out[AREAS_REACH_MAX + 1]);

/* How a text written by a person resolves (API.md section 7). */
typedef enum area_match_kind {
    AREA_BAD = 0,          /* neither a code nor a known name */
    AREA_CODE,             /* a GSS code (any case), known or not: code holds it upper-cased */
    AREA_ALIAS,            /* an old code: area is the area */
    AREA_NAME,             /* an English or Welsh name, or "Name (Parent)": area is the area */
    AREA_AMBIGUOUS,        /* several areas have the name: candidates, ncandidates */
} area_match_kind;

#define AREA_CANDIDATES_MAX 20

typedef struct area_match {
    area_match_kind kind;
    area_code code;                               /* AREA_CODE, ALIAS, NAME */
    const area_info *area;                        /* ALIAS, NAME; CODE when known */
    const area_info *candidates[AREA_CANDIDATES_MAX];
    size_t ncandidates;                           /* AMBIGUOUS: how many (capped) */
} area_match;

/* Resolves text: surrounding spaces ignored; a GSS code in any case; an old
 * code; a name compared without regard to case or punctuation (English or
 * Welsh); or "Name (Parent)", where Parent names any containing area. r may
 * be NULL (codes only). Returns out->kind. */
area_match_kind areas_resolve(const area_register *r, const char *text, area_match *out);

/* Search for autocomplete (GET /v1/areas?q=): areas whose code starts with q
 * (any case) or whose name or Welsh name contains it (normalised); level, if
 * not NULL, keeps that level; within, if not NULL, keeps the areas inside it
 * (it among their ancestors or reach); parent, if not NULL, keeps its direct
 * children. An empty q matches every area the filters keep. When q as a
 * whole matches nothing and has the form "Name (Parent)" (the closing
 * bracket may be missing while it is typed), the areas whose name matches
 * Name and that lie within an area whose name starts with Parent (API.md
 * section 7). Order: exact code or name matches, larger areas first (fewer
 * containing areas: a district before a ward of the same name), then
 * prefixes, then the rest, by name, then code. Writes at most cap pointers to
 * out; returns how many (0 also when out of memory). */
size_t areas_search(const area_register *r, const char *q, const char *level, const char *within,
                    const char *parent, const area_info **out, size_t cap);

#endif
