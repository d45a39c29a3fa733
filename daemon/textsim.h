/* textsim.h - text similarity of two consultations (pure, no I/O).
 *
 * Words are runs of ASCII letters and digits, lower-cased, apostrophes
 * dropped ("Employer's" == "employers"), common function words removed, and a
 * light plural stem applied (policies -> policy, taxes -> tax, rules -> rule);
 * each text is the set of its distinct words.
 *
 * Words are weighted by how rare they are in the register: the inverse
 * document frequency idf(w) = ln((1 + N) / (1 + df(w))) + 1, where N is the
 * number of stored documents (a title with its summary) and df(w) the number
 * that contain w (the smoothed form of Salton and Buckley, "Term-weighting
 * approaches in automatic text retrieval", 1988, as scikit-learn's
 * TfidfTransformer computes it). With no documents (an empty register, or no
 * weight table) every word weighs 1.
 *
 * The similarity of two word sets A and B is the IDF-weighted cosine of their
 * binary word vectors:
 *     sum over A∩B of idf(w)^2 / sqrt(sum over A of idf(w)^2 * sum over B of idf(w)^2)
 * 0..1, 0 when either set is empty. Measured on the published regulations.gov
 * docket pairs and the European Commission's consultations: see
 * tests/bench/text_accuracy.c and the README. */
#ifndef CONSULTD_TEXTSIM_H
#define CONSULTD_TEXTSIM_H

#include <stddef.h>

/* Texts whose similarity reaches this are "similar" for the overlap rule. */
#define TEXTSIM_THRESHOLD 0.45

/* Summaries count only with weights over at least this many documents: a
 * summary is long, and boilerplate shared by many ("We want to hear your
 * views...") would outweigh the subject unless its words are known to be
 * common. */
#define TEXTSIM_SUMMARY_MIN_DOCUMENTS 100

#define TEXTSIM_MAX_WORDS 1024  /* distinct words kept per text (a 5,000-character summary has fewer) */
#define TEXTSIM_WORD_LEN 32     /* longer words are cut to 31 bytes */

typedef struct textsim_words {
    char (*words)[TEXTSIM_WORD_LEN]; /* n distinct words, sorted (strcmp); malloc'd, NULL when n is 0 */
    size_t n;
} textsim_words;

/* Splits text (NUL-terminated UTF-8; non-ASCII bytes separate words),
 * normalises, stems, removes stop words, de-duplicates and sorts into out,
 * which the caller releases with textsim_words_free. Returns 0, or -1 when out
 * of memory (out is then empty). */
int textsim_words_of(const char *text, textsim_words *out);
/* The union of two word sets into out (released with textsim_words_free);
 * 0, or -1 when out of memory (out empty). */
int textsim_words_union(const textsim_words *a, const textsim_words *b, textsim_words *out);
void textsim_words_free(textsim_words *w);

/* Document frequencies of words over a register of documents: what the
 * weights are computed from. Built either by counting documents
 * (textsim_weights_count) or from stored counts (textsim_weights_set). */
typedef struct textsim_weights textsim_weights;

/* An empty table (0 documents: every word weighs 1); NULL when out of memory.
 * generation is the caller's stamp of the stored table it mirrors. */
textsim_weights *textsim_weights_new(long long generation);
void textsim_weights_free(textsim_weights *w);
/* Counts one document: N + 1, and df + 1 for each of its (distinct) words.
 * 0, or -1 when out of memory (the table is then unchanged in N and may
 * have counted some of the words). */
int textsim_weights_count(textsim_weights *w, const textsim_words *doc);
/* Sets the number of documents N (a stored table's count; >= 0) and computes
 * every word's idf once, so scoring looks them up (call it after the last
 * textsim_weights_set; counting or setting later computes them per lookup). */
void textsim_weights_set_documents(textsim_weights *w, long documents);
/* Sets df of one word (as stored; words longer than TEXTSIM_WORD_LEN - 1
 * are cut as textsim_words_of cuts them). 0, or -1 when out of memory. */
int textsim_weights_set(textsim_weights *w, const char *word, long df);

long textsim_weights_documents(const textsim_weights *w);
long long textsim_weights_generation(const textsim_weights *w);
/* How many distinct words have a count. */
size_t textsim_weights_size(const textsim_weights *w);
/* Walks the words with a count, in no particular order: start with *pos = 0;
 * each call returns the next word (living in the table) and its df, NULL
 * after the last. */
const char *textsim_weights_next(const textsim_weights *w, size_t *pos, long *df);
/* df of a word (0 when never seen). */
long textsim_weights_df(const textsim_weights *w, const char *word);
/* idf(word) as above; 1 when w is NULL or counts no document. */
double textsim_weight(const textsim_weights *w, const char *word);

/* IDF-weighted cosine similarity of two word sets, 0..1 (0 when either is
 * empty). w may be NULL (every word weighs 1). */
double textsim_similarity(const textsim_words *a, const textsim_words *b, const textsim_weights *w);
/* Both steps for two strings (0 when out of memory). */
double textsim(const char *a, const char *b, const textsim_weights *w);

#endif
