/* textsim.h - text similarity of two titles (pure).
 *
 * Word-set Jaccard: words are runs of ASCII letters and digits, lower-cased,
 * apostrophes dropped ("Employer's" == "employers"), common function words
 * removed, and a light plural stem applied (policies -> policy, taxes -> tax,
 * rules -> rule). Measured on the published regulations.gov docket pairs:
 * see tests/bench/text_accuracy.c and the README. */
#ifndef CONSULTD_TEXTSIM_H
#define CONSULTD_TEXTSIM_H

#include <stddef.h>

/* Titles whose similarity reaches this are "similar" for the overlap rule. */
#define TEXTSIM_THRESHOLD 0.27

#define TEXTSIM_MAX_WORDS 64
#define TEXTSIM_WORD_LEN 32

typedef struct textsim_words {
    char words[TEXTSIM_MAX_WORDS][TEXTSIM_WORD_LEN];
    size_t n;                   /* distinct, sorted */
} textsim_words;

/* Splits, normalises, stems, removes stop words, de-duplicates and sorts. */
void textsim_words_of(const char *text, textsim_words *out);
/* Jaccard similarity of two word sets, 0..1 (0 when both are empty). */
double textsim_jaccard(const textsim_words *a, const textsim_words *b);
/* Both steps for two strings. */
double textsim(const char *a, const char *b);

#endif
