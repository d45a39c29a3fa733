/* vocab.c - vocabulary terms, normalised lookup, hierarchy. */
#include "vocab.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_names[VOCAB_COUNT] = { "topics", "communities", "methods" };

int vocab_kind_parse(const char *name)
{
    for (int i = 0; i < VOCAB_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0)
            return i;
    return -1;
}

const char *vocab_kind_name(vocab_kind kind)
{
    return kind_names[kind];
}

vocab *vocab_new(void)
{
    return calloc(1, sizeof(vocab));
}

static void list_free(vocab_list *l)
{
    for (size_t i = 0; i < l->nterms; i++) {
        vocab_term *t = &l->terms[i];
        free(t->code);
        free(t->label);
        free(t->parent);
        for (size_t s = 0; s < t->nsynonyms; s++)
            free(t->synonyms[s]);
        free(t->synonyms);
    }
    for (size_t i = 0; i < l->nindex; i++)
        free(l->index[i].key);
    free(l->terms);
    free(l->index);
    free(l->by_code);
}

void vocab_free(vocab *v)
{
    if (!v)
        return;
    for (int i = 0; i < VOCAB_COUNT; i++)
        list_free(&v->lists[i]);
    free(v);
}

void vocab_normalise(const char *text, char *out, size_t outlen)
{
    size_t o = 0;
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 1 < outlen; p++) {
        unsigned char c = *p;
        if (c >= 0x80 || isalnum(c)) {
            if (pending_space && o > 0 && o + 2 < outlen)
                out[o++] = ' ';
            pending_space = 0;
            out[o++] = (char)tolower(c);
        } else if (c == '\'') {
            /* apostrophes join: "children's" == "childrens" */
        } else {
            pending_space = 1;
        }
    }
    out[o] = '\0';
}

static int add_key(vocab_list *l, const char *text, size_t term)
{
    char norm[256];
    vocab_normalise(text, norm, sizeof norm);
    if (!norm[0])
        return 0;
    if (l->nindex == l->capindex) {
        size_t cap = l->capindex ? l->capindex * 2 : 64;
        vocab_key *n = realloc(l->index, cap * sizeof *n);
        if (!n)
            return -1;
        l->index = n;
        l->capindex = cap;
    }
    char *k = strdup(norm);
    if (!k)
        return -1;
    l->index[l->nindex].key = k;
    l->index[l->nindex].term = term;
    l->nindex++;
    return 0;
}

int vocab_add(vocab *v, vocab_kind kind, const char *code, const char *label, const char *parent,
              const char *const *synonyms, size_t nsynonyms)
{
    vocab_list *l = &v->lists[kind];
    if (l->nterms == l->capterms) {
        size_t cap = l->capterms ? l->capterms * 2 : 64;
        vocab_term *n = realloc(l->terms, cap * sizeof *n);
        if (!n)
            return -1;
        l->terms = n;
        l->capterms = cap;
    }
    vocab_term *t = &l->terms[l->nterms];
    memset(t, 0, sizeof *t);
    t->code = strdup(code);
    t->label = strdup(label);
    t->parent = parent ? strdup(parent) : NULL;
    t->synonyms = nsynonyms ? calloc(nsynonyms, sizeof(char *)) : NULL;
    l->nterms++; /* counted now so vocab_free releases a partial term */
    if (!t->code || !t->label || (parent && !t->parent) || (nsynonyms && !t->synonyms))
        return -1;
    for (size_t i = 0; i < nsynonyms; i++) {
        if (!(t->synonyms[i] = strdup(synonyms[i])))
            return -1;
        t->nsynonyms++;
    }
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(((const vocab_key *)a)->key, ((const vocab_key *)b)->key);
}

static int code_cmp(const void *a, const void *b)
{
    return strcmp((*(const vocab_term *const *)a)->code, (*(const vocab_term *const *)b)->code);
}

int vocab_finish(vocab *v)
{
    for (int k = 0; k < VOCAB_COUNT; k++) {
        vocab_list *l = &v->lists[k];
        /* Codes first, then labels, then synonyms: on a clash between two
         * terms the stronger kind of name wins (qsort is not stable, so the
         * clash is settled by keeping the first entry in priority order). */
        for (size_t i = 0; i < l->nterms; i++)
            if (add_key(l, l->terms[i].code, i) < 0 || add_key(l, l->terms[i].label, i) < 0)
                return -1;
        for (size_t i = 0; i < l->nterms; i++)
            for (size_t s = 0; s < l->terms[i].nsynonyms; s++)
                if (add_key(l, l->terms[i].synonyms[s], i) < 0)
                    return -1;
        /* Drop later duplicates of a key before sorting. */
        size_t out = 0;
        for (size_t i = 0; i < l->nindex; i++) {
            int dup = 0;
            for (size_t j = 0; j < out && !dup; j++)
                dup = strcmp(l->index[j].key, l->index[i].key) == 0;
            if (dup)
                free(l->index[i].key);
            else
                l->index[out++] = l->index[i];
        }
        l->nindex = out;
        if (l->nindex > 0)
            qsort(l->index, l->nindex, sizeof *l->index, key_cmp);
        free(l->by_code);
        l->by_code = malloc((l->nterms + 1) * sizeof *l->by_code);
        if (!l->by_code)
            return -1;
        for (size_t i = 0; i < l->nterms; i++)
            l->by_code[i] = &l->terms[i];
        if (l->nterms > 0)
            qsort(l->by_code, l->nterms, sizeof *l->by_code, code_cmp);
    }
    return 0;
}

const vocab_term *vocab_by_code(const vocab *v, vocab_kind kind, const char *code)
{
    const vocab_list *l = &v->lists[kind];
    if (!l->by_code || !code)
        return NULL;
    vocab_term probe = { .code = (char *)code };
    const vocab_term *p = &probe;
    const vocab_term *const *hit = bsearch(&p, l->by_code, l->nterms, sizeof *l->by_code, code_cmp);
    return hit ? *hit : NULL;
}

const vocab_term *vocab_resolve(const vocab *v, vocab_kind kind, const char *text)
{
    const vocab_list *l = &v->lists[kind];
    if (l->nindex == 0)
        return NULL;
    char norm[256];
    vocab_normalise(text, norm, sizeof norm);
    vocab_key probe = { norm, 0 };
    const vocab_key *hit = bsearch(&probe, l->index, l->nindex, sizeof *l->index, key_cmp);
    return hit ? &l->terms[hit->term] : NULL;
}

void vocab_expand(const vocab *v, vocab_kind kind, const char *code, json_t *out)
{
    json_array_append_new(out, json_string(code));
    const vocab_list *l = &v->lists[kind];
    for (size_t i = 0; i < l->nterms; i++)
        if (l->terms[i].parent && strcmp(l->terms[i].parent, code) == 0)
            vocab_expand(v, kind, l->terms[i].code, out);
}

json_t *vocab_to_json(const vocab *v, vocab_kind kind)
{
    const vocab_list *l = &v->lists[kind];
    json_t *items = json_array();
    for (size_t i = 0; i < l->nterms; i++) {
        const vocab_term *t = &l->terms[i];
        json_t *syn = json_array();
        for (size_t s = 0; s < t->nsynonyms; s++)
            json_array_append_new(syn, json_string(t->synonyms[s]));
        json_array_append_new(items, json_pack("{s:s, s:s, s:s?, s:o}", "code", t->code, "label", t->label,
                                               "parent", t->parent, "synonyms", syn));
    }
    return json_pack("{s:o}", "items", items);
}

static void append_unique(json_t *arr, const char *code)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (strcmp(json_string_value(v), code) == 0)
            return;
    }
    json_array_append_new(arr, json_string(code));
}

#define INFER_MAX_PHRASE 6
#define INFER_MAX_WORDS 1200

size_t vocab_infer(const vocab *v, const char *text, json_t *topics, json_t *communities)
{
    size_t len = strlen(text);
    char *norm = malloc(len + 1);
    const char **words = malloc(INFER_MAX_WORDS * sizeof *words);
    size_t found = 0;
    if (!norm || !words)
        goto out;
    vocab_normalise(text, norm, len + 1);
    size_t n = 0;
    for (char *p = strtok(norm, " "); p && n < INFER_MAX_WORDS; p = strtok(NULL, " "))
        words[n++] = p;
    for (size_t i = 0; i < n;) {
        size_t step = 1;
        for (size_t k = (n - i < INFER_MAX_PHRASE ? n - i : INFER_MAX_PHRASE); k >= 1; k--) {
            char phrase[256] = "";
            for (size_t j = 0; j < k; j++) {
                size_t used = strlen(phrase);
                snprintf(phrase + used, sizeof phrase - used, "%s%s", j ? " " : "", words[i + j]);
            }
            const vocab_term *t = vocab_resolve(v, VOCAB_TOPICS, phrase);
            const vocab_term *c = vocab_resolve(v, VOCAB_COMMUNITIES, phrase);
            if (t || c) {
                if (t)
                    append_unique(topics, t->code);
                if (c)
                    append_unique(communities, c->code);
                found += (t != NULL) + (c != NULL);
                step = k;
                break;
            }
        }
        i += step;
    }
out:
    free(norm);
    free(words);
    return found;
}
