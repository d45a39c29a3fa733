/* areas.h - the area register in memory (pure: filled by the caller).
 *
 * Loaded from the database (areas and area_ancestors) at start-up and again
 * when an import changes it. Answers: is a code known, what is its name, what
 * contains it. */
#ifndef CONSULTD_AREAS_H
#define CONSULTD_AREAS_H

#include <stdbool.h>
#include <stddef.h>

/* How many areas of one level an area contains (areas_finish counts them). */
typedef struct area_count {
    char level[32];
    size_t n;
} area_count;

typedef struct area_info {
    char code[10];
    char *name;
    char *level;
    char (*ancestors)[10];   /* every containing area */
    size_t nancestors;
    area_count *within;      /* per level, the areas that name this one an ancestor */
    size_t nwithin;
} area_info;

typedef struct area_register {
    area_info *items;             /* sorted by code after areas_finish */
    size_t n, cap;
    char stamp[64];          /* what the database said when loaded (change detection) */
} area_register;

area_register *areas_new(void);
void areas_free(area_register *r);
/* Adds an area; ancestors is a NULL-terminated list or NULL. 0 or -1. */
int areas_add(area_register *r, const char *code, const char *name, const char *level,
              const char *const *ancestors, size_t nancestors);
/* Sorts the register and counts, for each area, the areas inside it per
 * level (area_info.within). Returns 0, or -1 when memory runs out (lookups
 * still work; counts may be missing, so areas_within answers 0). */
int areas_finish(area_register *r);

const area_info *areas_find(const area_register *r, const char *code);

/* How many areas of level lie inside the area code (every ward of a district
 * when level is "ward"); level NULL counts every level. 0 when the code is
 * unknown or holds none. */
size_t areas_within(const area_register *r, const char *code, const char *level);

/* Writes codes ∪ their ancestors (sorted, unique) into out (capacity cap);
 * returns how many were written. Unknown codes contribute only themselves. */
size_t areas_scope(const area_register *r, const char *const *codes, size_t n, const char **out, size_t cap);

#endif
