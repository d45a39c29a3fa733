/* textsim.c - stemmed word-set Jaccard similarity. */
#include "textsim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const stop_words[] = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "its", "no",
    "not", "of", "on", "or", "our", "that", "the", "their", "this", "to", "under", "with", "your", NULL
};

static int is_stop(const char *w)
{
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

void textsim_words_of(const char *text, textsim_words *out)
{
    out->n = 0;
    char w[TEXTSIM_WORD_LEN];
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)text;; p++) {
        unsigned char c = *p;
        if (c == '\'')
            continue;
        if (c < 0x80 && isalnum(c)) {
            if (len + 1 < sizeof w)
                w[len++] = (char)tolower(c);
            continue;
        }
        if (len > 0) {
            w[len] = '\0';
            if (!is_stop(w)) {
                stem(w);
                if (out->n < TEXTSIM_MAX_WORDS)
                    memcpy(out->words[out->n++], w, len + 1);
            }
            len = 0;
        }
        if (!c)
            break;
    }
    qsort(out->words, out->n, TEXTSIM_WORD_LEN, cmp_word);
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++)
        if (k == 0 || strcmp(out->words[k - 1], out->words[i]) != 0)
            memmove(out->words[k++], out->words[i], TEXTSIM_WORD_LEN);
    out->n = k;
}

double textsim_jaccard(const textsim_words *a, const textsim_words *b)
{
    size_t i = 0, j = 0, inter = 0;
    while (i < a->n && j < b->n) {
        int c = strcmp(a->words[i], b->words[j]);
        if (c == 0) {
            inter++;
            i++;
            j++;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    size_t uni = a->n + b->n - inter;
    return uni ? (double)inter / (double)uni : 0.0;
}

double textsim(const char *a, const char *b)
{
    textsim_words wa, wb;
    textsim_words_of(a, &wa);
    textsim_words_of(b, &wb);
    return textsim_jaccard(&wa, &wb);
}
