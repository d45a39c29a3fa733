/* vocab.h - the controlled vocabularies in memory (pure: filled by the caller).
 *
 * Entries resolve to codes through the code, the label or any synonym,
 * compared after normalisation: ASCII letters lower-cased, every run of
 * punctuation or white space a single space, ends trimmed
 * ("Carers' Support" == "carers support" == "carers-support"). */
#ifndef CONSULTD_VOCAB_H
#define CONSULTD_VOCAB_H

#include <jansson.h>
#include <stddef.h>

typedef enum { VOCAB_TOPICS = 0, VOCAB_COMMUNITIES, VOCAB_METHODS, VOCAB_COUNT } vocab_kind;

typedef struct vocab_term {
    char *code, *label, *parent;      /* parent NULL at the top level */
    char **synonyms;
    size_t nsynonyms;
} vocab_term;

typedef struct vocab_key {
    char *key;                        /* normalised text */
    size_t term;                      /* index into terms */
} vocab_key;

typedef struct vocab_list {
    vocab_term *terms;
    size_t nterms, capterms;
    vocab_key *index;                 /* sorted by key after vocab_finish */
    size_t nindex, capindex;
    const vocab_term **by_code;       /* nterms, sorted by code after vocab_finish */
} vocab_list;

typedef struct vocab {
    vocab_list lists[VOCAB_COUNT];
} vocab;

/* The vocabulary for a URL name ("topics", ...); -1 when unknown. */
int vocab_kind_parse(const char *name);
/* The URL name of a kind (a static string). */
const char *vocab_kind_name(vocab_kind kind);

/* An empty vocabulary (NULL when out of memory), filled by vocab_add, then
 * vocab_finish; the caller frees it with vocab_free (NULL: nothing). */
vocab *vocab_new(void);
void vocab_free(vocab *v);
/* Adds a term (strings copied). Returns 0 or -1 (out of memory). */
int vocab_add(vocab *v, vocab_kind kind, const char *code, const char *label, const char *parent,
              const char *const *synonyms, size_t nsynonyms);
/* Builds the lookup indexes; call once after the last vocab_add, before any
 * look-up. Returns 0, or -1 when out of memory (free the vocabulary then). */
int vocab_finish(vocab *v);

/* Normalises text into out (at most outlen bytes with the NUL). */
void vocab_normalise(const char *text, char *out, size_t outlen);
/* The term an entry names, or NULL. Returned terms are the vocabulary's:
 * valid until vocab_free (on the event loop, within the current callback:
 * the catalog may swap vocabularies). */
const vocab_term *vocab_resolve(const vocab *v, vocab_kind kind, const char *text);
/* The term with exactly this code, or NULL (no normalisation: for codes the
 * daemon stored itself, on the hot paths of scoring and counting). */
const vocab_term *vocab_by_code(const vocab *v, vocab_kind kind, const char *code);
/* The code and the codes of all its descendants, appended to out (an array). */
void vocab_expand(const vocab *v, vocab_kind kind, const char *code, json_t *out);

/* Infers topics and communities from free text: the longest vocabulary
 * label or synonym (up to six words) at each word, left to right, so "public
 * health" is a topic and not the general public. Codes are appended to the
 * arrays (unique). Returns how many were found. */
size_t vocab_infer(const vocab *v, const char *text, json_t *topics, json_t *communities);

/* {"items": [{"code","label","parent","synonyms"}]}: a new reference the
 * caller owns. */
json_t *vocab_to_json(const vocab *v, vocab_kind kind);

#endif
