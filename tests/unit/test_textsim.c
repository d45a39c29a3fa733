/* Unit tests: word weights by document frequency and the IDF-weighted cosine
 * (textsim.c), and how the overlap engine uses them with summaries. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "overlap.h"
#include "textsim.h"

static void count(textsim_weights *w, const char *text)
{
    textsim_words d;
    assert_int_equal(textsim_words_of(text, &d), 0);
    assert_int_equal(textsim_weights_count(w, &d), 0);
    textsim_words_free(&d);
}

/* A register of 10 titles: "review" is in 8 of them, "library" in 2,
 * "mobile" in none. */
static textsim_weights *register_of_ten(void)
{
    textsim_weights *w = textsim_weights_new(7);
    assert_non_null(w);
    count(w, "Library opening hours review");
    count(w, "Mobile library stops");
    for (int i = 0; i < 7; i++) {
        char t[64];
        snprintf(t, sizeof t, "Review of parking zone %d", i + 1);
        count(w, t);
    }
    count(w, "Annual budget");
    return w;
}

static void words_are_stemmed_sorted_and_distinct(void **state)
{
    (void)state;
    textsim_words d;
    assert_int_equal(textsim_words_of("Reviews of the Library, library REVIEW: taxes and churches", &d), 0);
    assert_int_equal(d.n, 4);
    assert_string_equal(d.words[0], "church");
    assert_string_equal(d.words[1], "library");
    assert_string_equal(d.words[2], "review");
    assert_string_equal(d.words[3], "tax");
    textsim_words e, u;
    assert_int_equal(textsim_words_of("parking review", &e), 0);
    assert_int_equal(textsim_words_union(&d, &e, &u), 0);
    assert_int_equal(u.n, 5);
    assert_string_equal(u.words[2], "parking");
    textsim_words_free(&u);
    textsim_words_free(&e);
    textsim_words_free(&d);
    assert_int_equal(textsim_words_of("", &d), 0);
    assert_int_equal(d.n, 0);
    assert_null(d.words);
    textsim_words_free(&d);
    /* a long text keeps at most TEXTSIM_MAX_WORDS words */
    size_t len = (TEXTSIM_MAX_WORDS + 100) * 8;
    char *big = malloc(len + 1);
    assert_non_null(big);
    size_t k = 0;
    for (int i = 0; i < TEXTSIM_MAX_WORDS + 100; i++)
        k += (size_t)snprintf(big + k, len + 1 - k, "w%05dx ", i);
    assert_int_equal(textsim_words_of(big, &d), 0);
    assert_int_equal(d.n, TEXTSIM_MAX_WORDS);
    textsim_words_free(&d);
    free(big);
}

static void weights_count_documents_not_occurrences(void **state)
{
    (void)state;
    textsim_weights *w = register_of_ten();
    assert_int_equal(textsim_weights_documents(w), 10);
    assert_int_equal(textsim_weights_generation(w), 7);
    assert_int_equal(textsim_weights_df(w, "review"), 8);
    assert_int_equal(textsim_weights_df(w, "library"), 2);
    assert_int_equal(textsim_weights_df(w, "mobile"), 1);
    assert_int_equal(textsim_weights_df(w, "unknown"), 0);
    assert_int_equal(textsim_weights_df(w, "of"), 0); /* a stop word is never counted */
    /* idf = ln((1 + N) / (1 + df)) + 1 */
    assert_true(fabs(textsim_weight(w, "review") - (log(11.0 / 9.0) + 1)) < 1e-12);
    assert_true(fabs(textsim_weight(w, "library") - (log(11.0 / 3.0) + 1)) < 1e-12);
    assert_true(fabs(textsim_weight(w, "unknown") - (log(11.0) + 1)) < 1e-12);
    /* every distinct counted word is walked once */
    size_t pos = 0, n = 0;
    long df, total = 0;
    for (const char *word; (word = textsim_weights_next(w, &pos, &df)) != NULL; n++) {
        assert_int_equal(df, textsim_weights_df(w, word));
        total += df;
    }
    assert_int_equal(n, textsim_weights_size(w));
    assert_int_equal(total, 4 + 3 + 7 * 4 + 2); /* words per title, summed */
    textsim_weights_free(w);
}

static void stored_counts_load_like_counted_ones(void **state)
{
    (void)state;
    textsim_weights *counted = register_of_ten(), *loaded = textsim_weights_new(8);
    assert_non_null(loaded);
    size_t pos = 0;
    long df;
    for (const char *word; (word = textsim_weights_next(counted, &pos, &df)) != NULL;)
        assert_int_equal(textsim_weights_set(loaded, word, df), 0);
    textsim_weights_set_documents(loaded, textsim_weights_documents(counted));
    const char *a = "Library opening hours review", *b = "Mobile library review";
    assert_true(fabs(textsim(a, b, counted) - textsim(a, b, loaded)) < 1e-12);
    /* a stored word longer than a word can be is cut as words are */
    char longw[80];
    memset(longw, 'z', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    assert_int_equal(textsim_weights_set(loaded, longw, 3), 0);
    textsim_words d;
    assert_int_equal(textsim_words_of(longw, &d), 0);
    assert_int_equal(textsim_weights_df(loaded, d.words[0]), 3);
    textsim_words_free(&d);
    assert_int_equal(textsim_weights_set(loaded, "", 3), 0); /* ignored */
    /* more than the hash's first size: it grows and keeps every word */
    for (int i = 0; i < 500; i++) {
        char word[16];
        snprintf(word, sizeof word, "word%d", i);
        assert_int_equal(textsim_weights_set(loaded, word, i + 1), 0);
    }
    assert_int_equal(textsim_weights_df(loaded, "word0"), 1);
    assert_int_equal(textsim_weights_df(loaded, "word499"), 500);
    assert_int_equal(textsim_weights_df(loaded, "library"), 2);
    textsim_weights_free(counted);
    textsim_weights_free(loaded);
}

static void no_documents_means_uniform_weights(void **state)
{
    (void)state;
    textsim_weights *empty = textsim_weights_new(0);
    assert_non_null(empty);
    assert_true(textsim_weight(NULL, "anything") == 1.0);
    assert_true(textsim_weight(empty, "anything") == 1.0);
    /* uniform: |A∩B| / sqrt(|A| |B|) */
    double s = textsim("Library opening hours", "Library hours review", empty);
    assert_true(fabs(s - 2.0 / 3.0) < 1e-12);
    assert_true(fabs(textsim("w x y z", "x y", NULL) - 2.0 / sqrt(8.0)) < 1e-12);
    textsim_weights_free(empty);
}

static void a_common_shared_word_counts_less_than_a_rare_one(void **state)
{
    (void)state;
    textsim_weights *w = register_of_ten();
    /* the same shape of pair: one shared word of two each */
    double common = textsim("Review of grants", "Allotment review", w);
    double rare = textsim("Library grants", "Allotment library", w);
    double uniform = textsim("Review of grants", "Allotment review", NULL);
    assert_true(fabs(uniform - 0.5) < 1e-12);
    assert_true(common < uniform);
    assert_true(rare > common);
    /* the exact value: review shared, grant and allotment unseen */
    double r = log(11.0 / 9.0) + 1, u = log(11.0) + 1;
    assert_true(fabs(common - r * r / (r * r + u * u)) < 1e-12);
    assert_true(textsim("Review", "Review", w) > 0.999);
    assert_true(textsim("", "Review", w) == 0.0);
    assert_true(textsim("Review", "", w) == 0.0);
    textsim_weights_free(w);
}

/* A side with an optional summary. */
static void side(overlap_side *s, const char *id, const char *title, const char *summary)
{
    json_t *doc = json_pack("{s:s, s:s, s:s, s:[s], s:[s], s:[], s:[], s:s, s:s, s:s}", "id", id, "organisation",
                            "o", "title", title, "areas", "E09000007", "scope", "E09000007", "topics",
                            "communities", "start", "2027-03-01", "end", "2027-03-31", "engagement_level",
                            "consult");
    if (summary)
        json_object_set_new(doc, "summary", json_string(summary));
    assert_int_equal(overlap_side_init(s, doc), 0);
    json_decref(doc);
}

static void summaries_count_only_when_both_sides_have_one(void **state)
{
    (void)state;
    overlap_side a, b, c, d;
    side(&a, "a", "Have your say", "Opening hours of the central library and its mobile library stops");
    side(&b, "b", "Spring survey", "Mobile library stops and the central library opening hours");
    side(&c, "c", "Spring survey", NULL);
    side(&d, "d", "Have your say", "");
    textsim_weights *w = textsim_weights_new(1);
    assert_non_null(w);
    for (int i = 0; i < TEXTSIM_SUMMARY_MIN_DOCUMENTS - 1; i++)
        count(w, "Quarterly newsletter");
    double titles = textsim("Have your say", "Spring survey", w);
    assert_true(titles == 0.0);
    /* weights over too few documents to tell boilerplate from subject: titles only */
    assert_true(overlap_text_similarity(&a, &b, NULL) == titles);
    assert_true(overlap_text_similarity(&a, &b, w) == titles);
    count(w, "Quarterly newsletter");
    assert_true(overlap_text_similarity(&a, &b, w) > TEXTSIM_THRESHOLD); /* through the summaries */
    assert_true(overlap_text_similarity(&a, &c, w) == titles);          /* c has none */
    assert_true(overlap_text_similarity(&b, &d, w) == 0.0);             /* d's is empty */
    assert_true(overlap_text_similarity(&a, &d, w) > 0.999);            /* the same title still counts */
    overlap_result r;
    overlap_evaluate(&a, &b, NULL, NULL, w, 28, &r);
    assert_true(r.overlaps);
    overlap_result_clear(&r);
    overlap_evaluate(&a, &c, NULL, NULL, w, 28, &r);
    assert_false(r.overlaps);
    overlap_side *all[] = { &a, &b, &c, &d };
    for (int i = 0; i < 4; i++)
        overlap_side_clear(all[i]);
    textsim_weights_free(w);
}

static void weights_change_the_verdict(void **state)
{
    (void)state;
    textsim_weights *w = register_of_ten();
    overlap_side a, b, c;
    side(&a, "a", "Review of grants", NULL);
    side(&b, "b", "Allotment review", NULL);
    side(&c, "c", "Allotment grants", NULL);
    overlap_result r;
    overlap_evaluate(&a, &b, NULL, NULL, NULL, 28, &r); /* uniform: one word of two each, 0.5 */
    assert_true(r.overlaps);
    overlap_result_clear(&r);
    overlap_evaluate(&a, &b, NULL, NULL, w, 28, &r); /* "review" is in most of the register */
    assert_false(r.overlaps);
    overlap_evaluate(&a, &c, NULL, NULL, w, 28, &r); /* "grant" is in none */
    assert_true(r.overlaps);
    overlap_result_clear(&r);
    overlap_side_clear(&a);
    overlap_side_clear(&b);
    overlap_side_clear(&c);
    textsim_weights_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_are_stemmed_sorted_and_distinct),
        cmocka_unit_test(weights_count_documents_not_occurrences),
        cmocka_unit_test(stored_counts_load_like_counted_ones),
        cmocka_unit_test(no_documents_means_uniform_weights),
        cmocka_unit_test(a_common_shared_word_counts_less_than_a_rare_one),
        cmocka_unit_test(summaries_count_only_when_both_sides_have_one),
        cmocka_unit_test(weights_change_the_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
