/* explain.h - an overlap's explanation: one plain-English sentence a
 * coordinator reads aloud to both organisations (pure: no I/O).
 *
 * Every statement in the sentence holds for both consultations, or says it
 * is about one of them ("one ... and the other ..."):
 * - who: "Both ask unpaid carers" when both sides met on the same terms;
 *   otherwise each side's own terms, "One asks young people and the other,
 *   through the general public, everyone" (a side that asks the general
 *   public reaches every community, so it is named second).
 * - where: the shared areas (reasons.areas) summarised by explain_place.
 * - what: "about adult social care and libraries" when both sides' topics
 *   are the same; "one about home care and the other about adult social care"
 *   when they met through the hierarchy; "about the same subject (titles 80%
 *   alike)" when only the titles matched; nothing when neither did.
 * - when: "between 1 and 20 March 2027", "on 1 March 2027", "between
 *   30 December 2026 and 2 January 2027" (a range that crosses a month or a
 *   year names it in full), or "20 days apart (one ends 31 March 2027, the
 *   other starts 20 April 2027)".
 * At most three terms or areas are named; more are counted ("and 2 more"). */
#ifndef CONSULTD_EXPLAIN_H
#define CONSULTD_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "areas.h"

#define EXPLAIN_MAX_TERMS 64 /* past this, sides cannot be compared: each is named apart */

typedef struct explain_term {
    const char *key;   /* identity on both sides: a vocabulary code, or the free tag it matched */
    const char *label; /* as written in the vocabulary ("Unpaid carers") or the free tag */
} explain_term;

/* One side's entries of one vocabulary that met the other side, in its
 * order, without repeats (keys compared). The strings are borrowed. */
typedef struct explain_terms {
    explain_term items[EXPLAIN_MAX_TERMS];
    size_t n;          /* may exceed EXPLAIN_MAX_TERMS: the rest are counted, not named */
    bool everyone;     /* communities: met only through this side's general-public */
} explain_terms;

typedef struct explain_input {
    explain_terms topics[2], communities[2]; /* [0] the first consultation, [1] the second */
    const char *const *areas;                /* the shared areas, as reasons.areas lists them */
    size_t nareas;
    const area_register *reg;                /* names, levels and containment; NULL: codes are named */
    long start[2], end[2];                   /* fieldwork, days since 1970-01-01 */
    double text_similarity;                  /* 0..1 */
    bool titles_similar;                     /* the titles alone make them overlap */
    bool same_organisation;                  /* prefixes "Same organisation: " */
} explain_input;

/* Adds a term to a side's list unless its key is among the first
 * EXPLAIN_MAX_TERMS; past them it is only counted, so the caller adds each
 * entry once. */
void explain_terms_add(explain_terms *t, const char *key, const char *label);

/* Writes the sentence (NUL-terminated, ends with a full stop) into out.
 * Returns the length it needed, as snprintf does: a result >= len means the
 * sentence was cut (2048 bytes always suffice: each part is bounded; a
 * name or label is cut, at a UTF-8 boundary, past 60 to 100 bytes). */
size_t explain_sentence(const explain_input *in, char *out, size_t len);

/* Where, for a list of distinct area codes that both sides cover in full
 * (the specific areas of reasons.areas), written into out as snprintf does:
 * - "in Abbey", "in Lincoln": one area, by name;
 * - "across Lincoln": two or more that are every area of their level in an
 *   area (all eleven wards of Lincoln);
 * - "in Abbey and Birchwood", "in Abbey, Birchwood and Castle": two or three
 *   with distinct names;
 * - "in 5 wards of Lincoln": more, or names that repeat, counted within the
 *   smallest area that contains them all (the one with fewest areas inside,
 *   per the register); "in 12 wards" when none does; "areas" when their
 *   levels differ.
 * Unknown codes are named by their code. Returns the length needed. */
size_t explain_place(const area_register *reg, const char *const *codes, size_t n, char *out, size_t len);

/* "wards" for "ward", "counties" for "county", ...; "areas" for NULL or an
 * unknown level. */
const char *explain_level_plural(const char *level);

#endif
