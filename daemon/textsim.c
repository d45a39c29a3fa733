/* textsim.c - stemmed word sets, their document frequencies and the
 * IDF-weighted cosine similarity (see textsim.h). */
#include "textsim.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const stop_words[] = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "its", "no",
    "not", "of", "on", "or", "our", "that", "the", "their", "this", "to", "under", "with", "your", NULL
};

static int is_stop(const char *w, size_t len)
{
    if (len > 5) /* the longest stop words have five letters */
        return 0;
    for (const char *const *s = stop_words; *s; s++)
        if (strcmp(*s, w) == 0)
            return 1;
    return 0;
}

/* policies -> policy, taxes -> tax, classes -> class, churches -> church,
 * sizes -> size, rules -> rule; "class" and "bus" stay. */
static void stem(char *w)
{
    size_t n = strlen(w);
    if (n > 4 && strcmp(w + n - 3, "ies") == 0) {
        strcpy(w + n - 3, "y");
    } else if (n > 4 && strcmp(w + n - 2, "es") == 0 &&
               (w[n - 3] == 'x' || strcmp(w + n - 4, "sses") == 0 || strcmp(w + n - 4, "ches") == 0 ||
                strcmp(w + n - 4, "shes") == 0)) {
        w[n - 2] = '\0';
    } else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u') {
        w[n - 1] = '\0';
    }
}

static int cmp_word(const void *a, const void *b)
{
    return strcmp(a, b);
}

void textsim_words_free(textsim_words *w)
{
    free(w->words);
    w->words = NULL;
    w->n = 0;
}

/* Room for one more word; -1 when out of memory. */
static int reserve(textsim_words *out, size_t *cap)
{
    if (out->n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    char(*nw)[TEXTSIM_WORD_LEN] = realloc(out->words, nc * sizeof *nw);
    if (!nw)
        return -1;
    out->words = nw;
    *cap = nc;
    return 0;
}

static uint64_t hash_word(const char *w);

/* The words seen so far, by hash: slot values are word index + 1, 0 free. */
#define SEEN_SLOTS (2 * TEXTSIM_MAX_WORDS)

int textsim_words_of(const char *text, textsim_words *out)
{
    out->words = NULL;
    out->n = 0;
    size_t cap = 0;
    uint16_t seen[SEEN_SLOTS];
    memset(seen, 0, sizeof seen);
    char w[TEXTSIM_WORD_LEN];
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)text;; p++) {
        unsigned char c = *p;
        if (c == '\'')
            continue;
        unsigned char lc = (unsigned char)(c | 0x20);
        if ((c >= '0' && c <= '9') || (lc >= 'a' && lc <= 'z')) {
            if (len + 1 < sizeof w)
                w[len++] = (char)(c <= '9' ? c : lc);
            continue;
        }
        if (len > 0 && out->n < TEXTSIM_MAX_WORDS) {
            w[len] = '\0';
            if (!is_stop(w, len)) {
                stem(w);
                size_t i = (size_t)hash_word(w) & (SEEN_SLOTS - 1);
                while (seen[i] && strcmp(out->words[seen[i] - 1], w) != 0)
                    i = (i + 1) & (SEEN_SLOTS - 1);
                if (!seen[i]) { /* a new word */
                    if (reserve(out, &cap) < 0) {
                        textsim_words_free(out);
                        return -1;
                    }
                    memcpy(out->words[out->n], w, strlen(w) + 1);
                    seen[i] = (uint16_t)++out->n;
                }
            }
        }
        len = 0;
        if (!c)
            break;
    }
    if (out->n > 1)
        qsort(out->words, out->n, TEXTSIM_WORD_LEN, cmp_word);
    return 0;
}

int textsim_words_union(const textsim_words *a, const textsim_words *b, textsim_words *out)
{
    out->words = NULL;
    out->n = 0;
    size_t cap = 0, i = 0, j = 0;
    while ((i < a->n || j < b->n) && out->n < TEXTSIM_MAX_WORDS) { /* a merge of two sorted sets */
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->words[i], b->words[j]);
        const char *w = c <= 0 ? a->words[i] : b->words[j];
        if (reserve(out, &cap) < 0) {
            textsim_words_free(out);
            return -1;
        }
        memcpy(out->words[out->n++], w, TEXTSIM_WORD_LEN);
        i += c <= 0;
        j += c >= 0;
    }
    return 0;
}

/* ---- document frequencies --------------------------------------------------- */

/* Open addressing, linear probing, at most half full. */
typedef struct df_slot {
    char word[TEXTSIM_WORD_LEN]; /* "" when free */
    long df;
    double idf;                  /* valid while the table is fresh */
} df_slot;

struct textsim_weights {
    long long generation;
    long documents;
    bool fresh;                  /* every slot's idf computed for the current counts */
    double unseen_idf;           /* idf of a word with df 0, while fresh */
    df_slot *slots;
    size_t cap, used;
};

static uint64_t hash_word(const char *w)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

static df_slot *find_slot(df_slot *slots, size_t cap, const char *word)
{
    size_t i = (size_t)hash_word(word) & (cap - 1);
    while (slots[i].word[0] && strcmp(slots[i].word, word) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(textsim_weights *w)
{
    size_t cap = w->cap * 2;
    df_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < w->cap; i++)
        if (w->slots[i].word[0])
            *find_slot(slots, cap, w->slots[i].word) = w->slots[i];
    free(w->slots);
    w->slots = slots;
    w->cap = cap;
    return 0;
}

/* The slot of word, inserted with df 0 when new; NULL when out of memory. */
static df_slot *slot_for(textsim_weights *w, const char *word)
{
    char key[TEXTSIM_WORD_LEN];
    size_t len = strnlen(word, TEXTSIM_WORD_LEN - 1);
    memcpy(key, word, len);
    key[len] = '\0';
    if (!key[0])
        return NULL;
    df_slot *s = find_slot(w->slots, w->cap, key);
    if (s->word[0])
        return s;
    if ((w->used + 1) * 2 > w->cap) {
        if (grow(w) < 0)
            return NULL;
        s = find_slot(w->slots, w->cap, key);
    }
    memcpy(s->word, key, len + 1);
    s->df = 0;
    w->used++;
    return s;
}

textsim_weights *textsim_weights_new(long long generation)
{
    textsim_weights *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->generation = generation;
    w->cap = 64;
    w->slots = calloc(w->cap, sizeof *w->slots);
    if (!w->slots) {
        free(w);
        return NULL;
    }
    return w;
}

void textsim_weights_free(textsim_weights *w)
{
    if (!w)
        return;
    free(w->slots);
    free(w);
}

int textsim_weights_count(textsim_weights *w, const textsim_words *doc)
{
    for (size_t i = 0; i < doc->n; i++) {
        df_slot *s = slot_for(w, doc->words[i]);
        if (!s)
            return -1;
        s->df++;
    }
    w->documents++;
    w->fresh = false;
    return 0;
}

static double idf(long documents, long df)
{
    if (df > documents)
        df = documents;
    return log((1.0 + (double)documents) / (1.0 + (double)df)) + 1.0;
}

void textsim_weights_set_documents(textsim_weights *w, long documents)
{
    w->documents = documents > 0 ? documents : 0;
    for (size_t i = 0; i < w->cap; i++)
        if (w->slots[i].word[0])
            w->slots[i].idf = idf(w->documents, w->slots[i].df);
    w->unseen_idf = idf(w->documents, 0);
    w->fresh = true;
}

int textsim_weights_set(textsim_weights *w, const char *word, long df)
{
    if (!word[0])
        return 0;
    df_slot *s = slot_for(w, word);
    if (!s)
        return -1;
    s->df = df > 0 ? df : 0;
    w->fresh = false;
    return 0;
}

long textsim_weights_documents(const textsim_weights *w)
{
    return w ? w->documents : 0;
}

long long textsim_weights_generation(const textsim_weights *w)
{
    return w ? w->generation : 0;
}

size_t textsim_weights_size(const textsim_weights *w)
{
    return w ? w->used : 0;
}

const char *textsim_weights_next(const textsim_weights *w, size_t *pos, long *df)
{
    for (; w && *pos < w->cap; (*pos)++) {
        if (w->slots[*pos].word[0]) {
            *df = w->slots[*pos].df;
            return w->slots[(*pos)++].word;
        }
    }
    return NULL;
}

long textsim_weights_df(const textsim_weights *w, const char *word)
{
    if (!w || !word[0] || strlen(word) >= TEXTSIM_WORD_LEN)
        return 0;
    const df_slot *s = find_slot(w->slots, w->cap, word);
    return s->word[0] ? s->df : 0;
}

double textsim_weight(const textsim_weights *w, const char *word)
{
    if (!w || w->documents <= 0)
        return 1.0;
    if (!w->fresh)
        return idf(w->documents, textsim_weights_df(w, word));
    if (!word[0] || strlen(word) >= TEXTSIM_WORD_LEN)
        return w->unseen_idf;
    const df_slot *s = find_slot(w->slots, w->cap, word);
    return s->word[0] ? s->idf : w->unseen_idf;
}

/* ---- similarity ------------------------------------------------------------- */

double textsim_similarity(const textsim_words *a, const textsim_words *b, const textsim_weights *w)
{
    if (!a->n || !b->n)
        return 0.0;
    double shared = 0.0, na = 0.0, nb = 0.0;
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->words[i], b->words[j]);
        double x = textsim_weight(w, c <= 0 ? a->words[i] : b->words[j]);
        x *= x;
        if (c == 0) {
            shared += x;
            na += x;
            nb += x;
            i++;
            j++;
        } else if (c < 0) {
            na += x;
            i++;
        } else {
            nb += x;
            j++;
        }
    }
    double s = shared / sqrt(na * nb);
    return s > 1.0 ? 1.0 : s;
}

double textsim(const char *a, const char *b, const textsim_weights *w)
{
    textsim_words wa, wb;
    if (textsim_words_of(a, &wa) < 0)
        return 0.0;
    if (textsim_words_of(b, &wb) < 0) {
        textsim_words_free(&wa);
        return 0.0;
    }
    double s = textsim_similarity(&wa, &wb, w);
    textsim_words_free(&wa);
    textsim_words_free(&wb);
    return s;
}
