/* overlap.h - the overlap engine's pure core: blocking keys, the lock set,
 * the overlap rule, its score and its explanation (worded by explain.h). No I/O.
 *
 * Rule: two consultations overlap when their areas intersect (the same area,
 * or one contains the other through the area register; sibling areas do
 * not), their fieldwork windows are at most window_days apart, and they share
 * a topic or a community (a term matches itself, its parent and its children;
 * general-public matches every community at low weight) or their texts are
 * similar (overlap_text_similarity).
 *
 * Score (0..1), documented in the README:
 *   subject = max(0.45 topic + 0.35 community + 0.20 text, text)
 *   score   = area x time x (0.85 subject + 0.15 engagement)
 * topic/community: 1 same term, 0.7 parent or child, 0.6 same free tag,
 * 0.3 general-public; text: text similarity; engagement: 1 - |levels apart|/4;
 * area: 1 same area, 0.8 containment; time: 1 when the windows overlap, else
 * 1 - 0.5 gap/window_days. Level: high >= 0.70, medium >= 0.45, else low. */
#ifndef CONSULTD_OVERLAP_H
#define CONSULTD_OVERLAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "areas.h"
#include "textsim.h"
#include "vocab.h"

#define OVERLAP_HIGH 0.70
#define OVERLAP_MEDIUM 0.45

/* One consultation as the engine sees it. Built from a JSON object with
 * id, organisation, title, areas, scope, topics,
 * communities, start, end (YYYY-MM-DD), engagement_level, and optionally
 * summary. The side keeps a reference to the object; the strings live in it. */
typedef struct overlap_side {
    json_t *doc;                  /* the stored document it was read from (overlap_side_init), or NULL */
    const char *id, *org, *title;
    json_t *areas, *scope, *topics, *communities;
    long start, end;              /* days since 1970-01-01 */
    int engagement;               /* 0 inform .. 4 empower */
    textsim_words words;          /* of the title */
    textsim_words text_words;     /* of the title and summary; empty without a summary */
} overlap_side;

/* The side of a stored consultation, read from its document (the shape of
 * SQL overlap_side_json): keeps a reference to doc, whose strings it
 * borrows. Returns 0, or -1 when the object lacks a field, has a bad date,
 * or memory runs out (s then holds nothing). A side that was initialised
 * must be cleared. */
int overlap_side_init(overlap_side *s, json_t *doc);

struct consultation;
/* The side of a consultation being written, straight from its validated
 * struct (consultation_parse): id and org (UUIDs) and c's strings are
 * borrowed and must outlive s; scope (a JSON array of GSS codes: the areas
 * and their reach, overlap_plan_scope) is taken over, also on failure.
 * Returns 0, or -1 when a date is bad or memory runs out. */
int overlap_side_of(overlap_side *s, const char *id, const char *org, const struct consultation *c, json_t *scope);

/* Frees what a side holds (either way it was made). */
void overlap_side_clear(overlap_side *s);

/* The text similarity of two consultations, 0..1 (textsim.h, with weights,
 * which may be NULL: every word weighs 1): of their titles, or, when both
 * have a summary and the weights count at least TEXTSIM_SUMMARY_MIN_DOCUMENTS
 * documents, of title and summary together if that is higher. They are
 * similar at TEXTSIM_THRESHOLD or more. */
double overlap_text_similarity(const overlap_side *a, const overlap_side *b, const textsim_weights *weights);

typedef struct overlap_result {
    bool overlaps;
    double score;
    const char *level;            /* "low" | "medium" | "high" */
    bool same_organisation;
    json_t *reasons;              /* owned; NULL when not overlapping */
    char explanation[2048];       /* explain.h */
} overlap_result;

/* Evaluates a pair. v and areas give labels and names for the explanation
 * (either may be NULL: codes are used); weights weigh the words of the text
 * similarity (NULL: every word weighs 1); the sentence is explain.h's.
 * reasons.areas lists every specific area both sides cover. */
void overlap_evaluate(const overlap_side *a, const overlap_side *b, const vocab *v, const area_register *areas,
                      const textsim_weights *weights, int window_days, overlap_result *out);
void overlap_result_clear(overlap_result *r);

/* Blocking keys. A consultation stores overlap_keys; a check probes
 * overlap_probe_keys: any stored consultation whose areas and window could
 * overlap shares a key with the probe (no false negatives; false positives
 * are removed by overlap_evaluate). Each returns a malloc'd array (or NULL
 * when out of memory) and its length. */
int64_t *overlap_keys(const overlap_side *s, size_t *n);
int64_t *overlap_probe_keys(const overlap_side *s, int window_days, size_t *n);
/* The keys under which every stored consultation that reaches one of areas
 * is found, when its fieldwork has a day in the months of [from, to]: it
 * targets one of the areas or an area inside one, or an area that contains
 * one (scope: the areas and all their ancestors). overlap_probe_keys is this
 * with a consultation's own areas and scope, around its fieldwork. */
int64_t *overlap_reach_keys(const json_t *areas, const json_t *scope, long from, long to, size_t *n);
/* Sorts keys and drops repeats in place; returns how many are left. */
size_t overlap_keys_unique(int64_t *keys, size_t n);

/* The advisory locks a write takes, sorted by key: exclusive on its own
 * (area, month) buckets, shared on its ancestors' buckets, months from start
 * to end + window_days. Any two writes that could overlap conflict on at
 * least one lock, so the later one sees the earlier (no write skew), while
 * writes in sibling areas never wait for each other. */
int64_t *overlap_locks(const overlap_side *s, int window_days, bool **exclusive, size_t *n);

/* Month number (year * 12 + month - 1) of a day count. */
int overlap_month(long days);
/* "2027-03-01" */
void overlap_iso_date(long days, char out[11]);
/* "1 March 2027" */
void overlap_format_date(long days, char *out, size_t len);

#endif
