/* explain.c - the overlap explanation sentence (see explain.h). */
#include "explain.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "civil_date.h"
#include "overlap.h"

/* ---- a bounded string ------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, need; /* capacity, and what has been asked for so far */
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = b->need < b->len ? vsnprintf(b->p + b->need, b->len - b->need, fmt, ap) : vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->need += (size_t)n;
}

/* At most max bytes of s, never cutting a UTF-8 sequence. */
static void put_str(sbuf *b, const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    put(b, "%.*s", (int)n, s);
}

/* ---- areas ------------------------------------------------------------------ */

const char *explain_level_plural(const char *level)
{
    static const char *const names[][2] = {
        { "ward", "wards" },         { "district", "districts" },  { "county", "counties" },
        { "region", "regions" },     { "country", "countries" },   { "combined-authority", "combined authorities" },
        { "icb", "integrated care boards" }, { "constituency", "constituencies" },
    };
    for (size_t i = 0; level && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(level, names[i][0]) == 0)
            return names[i][1];
    return "areas";
}

static const char *name_of(const area_register *reg, const char *code)
{
    const area_info *a = reg ? areas_find(reg, code) : NULL;
    return a && a->name && *a->name ? a->name : code;
}

static bool contains(const area_info *a, const char *ancestor)
{
    for (size_t i = 0; a && i < a->nancestors; i++)
        if (strcmp(a->ancestors[i], ancestor) == 0)
            return true;
    return false;
}

/* The smallest area that contains every code (fewest areas inside), or NULL. */
static const area_info *smallest_container(const area_register *reg, const char *const *codes, size_t n)
{
    const area_info *first = reg && n ? areas_find(reg, codes[0]) : NULL;
    const area_info *best = NULL;
    size_t best_size = 0;
    for (size_t i = 0; first && i < first->nancestors; i++) {
        const area_info *x = areas_find(reg, first->ancestors[i]);
        if (!x)
            continue;
        bool all = true;
        for (size_t j = 1; all && j < n; j++)
            all = contains(areas_find(reg, codes[j]), x->code);
        size_t size = areas_within(reg, x->code, NULL);
        if (all && (!best || size < best_size)) {
            best = x;
            best_size = size;
        }
    }
    return best;
}

size_t explain_place(const area_register *reg, const char *const *codes, size_t n, char *out, size_t len)
{
    sbuf b = { out, len, 0 };
    if (len)
        out[0] = '\0';
    if (n == 0) {
        put(&b, "in the same area");
        return b.need;
    }
    /* one level for all, when the register knows every code */
    const char *level = NULL;
    bool known = reg != NULL, names_distinct = true;
    for (size_t i = 0; i < n; i++) {
        const area_info *a = reg ? areas_find(reg, codes[i]) : NULL;
        if (!a) {
            known = false;
            break;
        }
        if (i == 0)
            level = a->level;
        else if (level && strcmp(level, a->level) != 0)
            level = NULL;
        for (size_t j = 0; n <= 3 && j < i; j++) /* names are only listed for up to three */
            if (strcmp(name_of(reg, codes[j]), a->name) == 0)
                names_distinct = false;
    }
    if (!known)
        level = NULL;
    const area_info *x = known ? smallest_container(reg, codes, n) : NULL;
    if (n == 1) {
        put(&b, "in ");
        put_str(&b, name_of(reg, codes[0]), 100);
    } else if (x && level && areas_within(reg, x->code, level) == n) {
        put(&b, "across ");
        put_str(&b, x->name, 100);
    } else if (n <= 3 && names_distinct) {
        put(&b, "in ");
        for (size_t i = 0; i < n; i++) {
            put(&b, "%s", i == 0 ? "" : i + 1 == n ? " and " : ", ");
            put_str(&b, name_of(reg, codes[i]), 60);
        }
    } else {
        put(&b, "in %zu %s", n, explain_level_plural(level));
        if (x) {
            put(&b, " of ");
            put_str(&b, x->name, 100);
        }
    }
    return b.need;
}

/* ---- terms ------------------------------------------------------------------ */

void explain_terms_add(explain_terms *t, const char *key, const char *label)
{
    for (size_t i = 0; i < t->n && i < EXPLAIN_MAX_TERMS; i++)
        if (strcmp(t->items[i].key, key) == 0)
            return;
    if (t->n < EXPLAIN_MAX_TERMS)
        t->items[t->n] = (explain_term){ key, label ? label : key };
    t->n++;
}

static bool has_key(const explain_terms *t, const char *key)
{
    for (size_t i = 0; i < t->n && i < EXPLAIN_MAX_TERMS; i++)
        if (strcmp(t->items[i].key, key) == 0)
            return true;
    return false;
}

/* Both sides met on the same terms. */
static bool same_terms(const explain_terms *a, const explain_terms *b)
{
    if (a->n != b->n || a->everyone != b->everyone || a->n > EXPLAIN_MAX_TERMS)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!has_key(b, a->items[i].key))
            return false;
    return true;
}

/* A label as it reads mid-sentence: "Unpaid carers" -> "unpaid carers",
 * "GP services" stays; general-public reads "the general public". */
static void put_label(sbuf *b, const explain_term *t)
{
    if (strcmp(t->key, "general-public") == 0) {
        put(b, "the general public");
        return;
    }
    const char *l = t->label;
    if (isupper((unsigned char)l[0]) && l[1] && islower((unsigned char)l[1])) {
        put(b, "%c", tolower((unsigned char)l[0]));
        put_str(b, l + 1, 79);
    } else {
        put_str(b, l, 80);
    }
}

/* "a", "a and b", "a, b and c", "a, b, c and 2 more" */
static void put_terms(sbuf *b, const explain_terms *t)
{
    size_t named = t->n > 3 ? 3 : t->n;
    for (size_t i = 0; i < named; i++) {
        put(b, "%s", i == 0 ? "" : (i + 1 == named && named == t->n) ? " and " : ", ");
        put_label(b, &t->items[i]);
    }
    if (t->n > named)
        put(b, " and %zu more", t->n - named);
}

/* Who one side asks: its terms, or everyone through the general public. */
static void put_who(sbuf *b, const explain_terms *t)
{
    if (t->everyone)
        put(b, ", through the general public, everyone");
    else if (t->n) {
        put(b, " ");
        put_terms(b, t);
    } else
        put(b, " people");
}

/* ---- dates ------------------------------------------------------------------ */

static const char *const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
                                           "August", "September", "October", "November", "December" };

static void put_date(sbuf *b, long days)
{
    char d[48];
    overlap_format_date(days, d, sizeof d);
    put(b, "%s", d);
}

static void put_when(sbuf *b, const explain_input *in)
{
    long from = in->start[0] > in->start[1] ? in->start[0] : in->start[1];
    long to = in->end[0] < in->end[1] ? in->end[0] : in->end[1];
    if (from > to) {
        int first = in->end[0] <= in->end[1] ? 0 : 1;
        long gap = from - to;
        put(b, "%ld day%s apart (one ends ", gap, gap == 1 ? "" : "s");
        put_date(b, in->end[first]);
        put(b, ", the other starts ");
        put_date(b, in->start[1 - first]);
        put(b, ")");
        return;
    }
    int y1, m1, d1, y2, m2, d2;
    civil_from_days(from, &y1, &m1, &d1);
    civil_from_days(to, &y2, &m2, &d2);
    if (from == to) {
        put(b, "on ");
        put_date(b, from);
    } else if (y1 == y2 && m1 == m2) {
        put(b, "between %d and %d %s %d", d1, d2, month_names[m2 - 1], y2);
    } else if (y1 == y2) {
        put(b, "between %d %s and %d %s %d", d1, month_names[m1 - 1], d2, month_names[m2 - 1], y2);
    } else {
        put(b, "between ");
        put_date(b, from);
        put(b, " and ");
        put_date(b, to);
    }
}

/* ---- the sentence ------------------------------------------------------------ */

static void put_about(sbuf *b, const explain_terms *t)
{
    put(b, "about ");
    put_terms(b, t);
}

size_t explain_sentence(const explain_input *in, char *out, size_t len)
{
    sbuf b = { out, len, 0 };
    if (len)
        out[0] = '\0';
    char place[400];
    explain_place(in->reg, in->areas, in->nareas, place, sizeof place);

    /* the side that asks everyone through the general public goes second */
    int p = in->communities[0].everyone ? 1 : 0, q = 1 - p;
    const explain_terms *who_p = &in->communities[p], *who_q = &in->communities[q];
    const explain_terms *what_p = &in->topics[p], *what_q = &in->topics[q];
    bool who_same = same_terms(who_p, who_q);
    bool no_topics = what_p->n == 0 && what_q->n == 0;
    bool what_same = no_topics || same_terms(what_p, what_q);
    char subject[64] = "";
    if (no_topics && in->titles_similar)
        snprintf(subject, sizeof subject, " about the same subject (titles %d%% alike)",
                 (int)(in->text_similarity * 100 + 0.5));

    if (in->same_organisation)
        put(&b, "Same organisation: ");
    if (who_same && what_same) {
        put(&b, "Both ask");
        put_who(&b, who_p);
        put(&b, " %s", place);
        if (!no_topics) {
            put(&b, " ");
            put_about(&b, what_p);
        }
        put(&b, "%s ", subject);
    } else if (what_same) {
        put(&b, "One asks");
        put_who(&b, who_p);
        put(&b, " and the other");
        put_who(&b, who_q);
        put(&b, " %s", place);
        if (!no_topics) {
            put(&b, " ");
            put_about(&b, what_p);
        }
        put(&b, "%s ", subject);
    } else if (who_same) {
        put(&b, "Both ask");
        put_who(&b, who_p);
        put(&b, " %s, one ", place);
        put_about(&b, what_p);
        put(&b, " and the other ");
        put_about(&b, what_q);
        put(&b, ", ");
    } else {
        put(&b, "One asks");
        put_who(&b, who_p);
        put(&b, " ");
        put_about(&b, what_p);
        put(&b, " and the other");
        put_who(&b, who_q);
        put(&b, " ");
        put_about(&b, what_q);
        put(&b, ", %s, ", place);
    }
    put_when(&b, in);
    put(&b, ".");
    return b.need;
}
