/* Unit tests: the rendered-body cache keeps bodies by key, within its two
 * bounds, dropping the least recently used first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "body_cache.h"

static void keeps_and_replaces_by_key(void **state)
{
    (void)state;
    body_cache *c = body_cache_new(64, 100);
    size_t len = 0;
    unsigned flags = 9;
    assert_null(body_cache_get(c, "\"a\"", &len, &flags));
    assert_int_equal(body_cache_put(c, "\"a\"", "hello", 5, 1), 0);
    const char *b = body_cache_get(c, "\"a\"", &len, &flags);
    assert_non_null(b);
    assert_int_equal(len, 5);
    assert_int_equal(flags, 1);
    assert_memory_equal(b, "hello", 5);
    assert_int_equal(body_cache_put(c, "\"a\"", "bye", 3, 0), 0); /* the same key: replaced */
    b = body_cache_get(c, "\"a\"", &len, &flags);
    assert_int_equal(len, 3);
    assert_int_equal(flags, 0);
    assert_memory_equal(b, "bye", 3);
    assert_int_equal(body_cache_bytes(c), 3);
    body_cache_free(c);
}

static void least_recently_used_goes_first(void **state)
{
    (void)state;
    body_cache *c = body_cache_new(64, 30);
    char ten[10];
    memset(ten, 'x', sizeof ten);
    assert_int_equal(body_cache_put(c, "a", ten, 10, 0), 0);
    assert_int_equal(body_cache_put(c, "b", ten, 10, 0), 0);
    assert_int_equal(body_cache_put(c, "c", ten, 10, 0), 0);
    assert_non_null(body_cache_get(c, "a", NULL, NULL)); /* a used: b is now the oldest */
    assert_int_equal(body_cache_put(c, "d", ten, 10, 0), 0);
    assert_null(body_cache_get(c, "b", NULL, NULL));
    assert_non_null(body_cache_get(c, "a", NULL, NULL));
    assert_non_null(body_cache_get(c, "c", NULL, NULL));
    assert_non_null(body_cache_get(c, "d", NULL, NULL));
    assert_int_equal(body_cache_bytes(c), 30);
    /* a body of 25 needs three of them gone */
    char big[25];
    memset(big, 'y', sizeof big);
    assert_int_equal(body_cache_put(c, "e", big, 25, 0), 0);
    assert_int_equal(body_cache_bytes(c), 25);
    assert_null(body_cache_get(c, "a", NULL, NULL));
    body_cache_free(c);
}

static void bounded_in_entries_and_refuses_what_cannot_fit(void **state)
{
    (void)state;
    body_cache *c = body_cache_new(CALENDAR_CACHE_ENTRIES, 1 << 20);
    char key[16];
    for (int i = 0; i < CALENDAR_CACHE_ENTRIES + 5; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(body_cache_put(c, key, "z", 1, 0), 0);
    }
    assert_int_equal(body_cache_bytes(c), CALENDAR_CACHE_ENTRIES);
    assert_null(body_cache_get(c, "k0", NULL, NULL));   /* the first five went */
    assert_null(body_cache_get(c, "k4", NULL, NULL));
    assert_non_null(body_cache_get(c, "k5", NULL, NULL));
    body_cache_free(c);

    c = body_cache_new(64, 4);
    assert_int_equal(body_cache_put(c, "a", "12345", 5, 0), 1); /* larger than the whole cache */
    assert_int_equal(body_cache_put(c, "a", "", 0, 0), 1);      /* nothing to keep */
    char longkey[BODY_CACHE_KEY_MAX + 1];
    memset(longkey, 'k', BODY_CACHE_KEY_MAX);
    longkey[BODY_CACHE_KEY_MAX] = '\0';
    assert_int_equal(body_cache_put(c, longkey, "1", 1, 0), 1);
    assert_int_equal(body_cache_bytes(c), 0);
    body_cache_free(c);
    assert_int_equal(body_cache_put(NULL, "a", "1", 1, 0), 1);
    assert_null(body_cache_get(NULL, "a", NULL, NULL));
    body_cache_free(NULL);
}

/* Many entries, against a reference model of a least-recently-used cache
 * (an array in recency order): every get and put agrees with the model, in
 * a table small enough that buckets hold chains. */
#define MODEL_MAX 40
static void agrees_with_a_model_under_churn(void **state)
{
    (void)state;
    body_cache *c = body_cache_new(MODEL_MAX, 1000);
    char model[MODEL_MAX][16];     /* model[0] the most recent */
    size_t mlen[MODEL_MAX], n = 0, bytes = 0;
    unsigned seed = 12345;
    for (int step = 0; step < 20000; step++) {
        seed = seed * 1103515245u + 12345u;
        char key[16];
        snprintf(key, sizeof key, "k%u", (seed >> 8) % 97);
        size_t at = n;
        for (size_t i = 0; i < n; i++)
            if (strcmp(model[i], key) == 0)
                at = i;
        if ((seed >> 20) % 3 == 0) { /* get */
            size_t len = 0;
            const char *b = body_cache_get(c, key, &len, NULL);
            if (at == n) {
                assert_null(b);
                continue;
            }
            assert_non_null(b);
            assert_int_equal(len, mlen[at]);
            assert_int_equal(b[0], key[1]);
            char k[16];
            size_t l = mlen[at];
            memcpy(k, model[at], sizeof k);
            memmove(&model[1], &model[0], at * sizeof model[0]);
            memmove(&mlen[1], &mlen[0], at * sizeof mlen[0]);
            memcpy(model[0], k, sizeof k);
            mlen[0] = l;
        } else { /* put: 1 to 60 bytes */
            size_t len = 1 + (seed >> 4) % 60;
            char body[64];
            memset(body, key[1], sizeof body);
            assert_int_equal(body_cache_put(c, key, body, len, 0), 0);
            if (at < n) { /* replaced */
                bytes -= mlen[at];
                memmove(&model[at], &model[at + 1], (n - at - 1) * sizeof model[0]);
                memmove(&mlen[at], &mlen[at + 1], (n - at - 1) * sizeof mlen[0]);
                n--;
            }
            while (n && (n >= MODEL_MAX || bytes + len > 1000)) /* the oldest go */
                bytes -= mlen[--n];
            memmove(&model[1], &model[0], n * sizeof model[0]);
            memmove(&mlen[1], &mlen[0], n * sizeof mlen[0]);
            snprintf(model[0], sizeof model[0], "%s", key);
            mlen[0] = len;
            n++;
            bytes += len;
        }
        assert_int_equal(body_cache_entries(c), n);
        assert_int_equal(body_cache_bytes(c), bytes);
    }
    for (size_t i = 0; i < n; i++)
        assert_non_null(body_cache_get(c, model[i], NULL, NULL));
    body_cache_free(c);
}

/* Copied into another cache: every body with its flags, the source
 * unchanged, the copies in the source's recency order (its least recently
 * used go first from the destination too), within the destination's bounds. */
static void copies_into_another_cache_in_recency_order(void **state)
{
    (void)state;
    body_cache *from = body_cache_new(8, 100), *to = body_cache_new(3, 100);
    assert_int_equal(body_cache_put(from, "a", "aa", 2, 1), 0);
    assert_int_equal(body_cache_put(from, "b", "bbb", 3, 2), 0);
    assert_int_equal(body_cache_put(from, "c", "c", 1, 0), 0);
    assert_non_null(body_cache_get(from, "a", NULL, NULL)); /* from's order, oldest first: b, c, a */
    assert_int_equal(body_cache_put(to, "z", "zz", 2, 0), 0);
    assert_int_equal(body_cache_put(to, "b", "old", 3, 7), 0);
    assert_int_equal(body_cache_copy_into(from, to), 0);
    assert_int_equal(body_cache_entries(from), 3);
    assert_int_equal(body_cache_bytes(from), 6);
    assert_int_equal(body_cache_entries(to), 3); /* z went: the oldest when the third came */
    assert_null(body_cache_get(to, "z", NULL, NULL));
    size_t len;
    unsigned flags;
    const char *b = body_cache_get(to, "b", &len, &flags);
    assert_non_null(b);
    assert_int_equal(len, 3);
    assert_int_equal(flags, 2);
    assert_memory_equal(b, "bbb", 3); /* replaced */
    /* one more: c is the oldest left (b was just used, a came last) */
    assert_int_equal(body_cache_put(to, "d", "d", 1, 0), 0);
    assert_null(body_cache_get(to, "c", NULL, NULL));
    b = body_cache_get(to, "a", &len, &flags);
    assert_non_null(b);
    assert_int_equal(flags, 1);
    assert_memory_equal(b, "aa", 2);
    assert_int_equal(body_cache_copy_into(NULL, to), 0);
    assert_int_equal(body_cache_copy_into(to, to), 0);
    assert_int_equal(body_cache_entries(to), 3);
    assert_int_equal(body_cache_copy_into(from, NULL), 0); /* a NULL cache keeps nothing */
    body_cache_free(from);
    body_cache_free(to);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_and_replaces_by_key),
        cmocka_unit_test(least_recently_used_goes_first),
        cmocka_unit_test(bounded_in_entries_and_refuses_what_cannot_fit),
        cmocka_unit_test(agrees_with_a_model_under_churn),
        cmocka_unit_test(copies_into_another_cache_in_recency_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
