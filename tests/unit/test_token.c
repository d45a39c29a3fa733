/* Unit tests: API key tokens and UUIDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ids.h"
#include "token.h"

static void token_round_trip(void **state)
{
    (void)state;
    char id[UUID_STR_LEN], token[TOKEN_MAX_LEN], back[UUID_STR_LEN];
    unsigned char h1[TOKEN_HASH_LEN], h2[TOKEN_HASH_LEN];
    assert_int_equal(uuid7_new(id), 0);
    assert_int_equal(token_new(id, token, h1), 0);
    assert_int_equal(strncmp(token, "cdk_", 4), 0);
    assert_int_equal(strlen(token), 4 + 32 + 1 + 43);
    assert_int_equal(token_parse(token, back, h2), 0);
    assert_string_equal(back, id);
    assert_true(token_hash_equal(h1, h2));
    /* one changed character in the secret changes the hash */
    token[50] = token[50] == 'A' ? 'B' : 'A';
    assert_int_equal(token_parse(token, back, h2), 0);
    assert_false(token_hash_equal(h1, h2));
    /* two tokens for the same id differ */
    char other[TOKEN_MAX_LEN];
    assert_int_equal(token_new(id, other, h2), 0);
    assert_string_not_equal(other, token);
}

static void malformed_tokens_rejected(void **state)
{
    (void)state;
    char id[UUID_STR_LEN];
    unsigned char h[TOKEN_HASH_LEN];
    assert_int_equal(token_parse("", id, h), -1);
    assert_int_equal(token_parse("cdk_short", id, h), -1);
    assert_int_equal(token_parse("xyz_01a20257a4187ff391b2bcfe381f2f64_y6l62oTX61-dpWcHZpychmZETyyPVkmgtB1CcQVxfVE", id, h), -1);
    assert_int_equal(token_parse("cdk_01A20257a4187ff391b2bcfe381f2f64_y6l62oTX61-dpWcHZpychmZETyyPVkmgtB1CcQVxfVE", id, h), -1);
    assert_int_equal(token_parse("cdk_01a20257a4187ff391b2bcfe381f2f64_y6l62oTX61+dpWcHZpychmZETyyPVkmgtB1CcQVxfVE", id, h), -1);
    assert_int_equal(token_parse("cdk_01a20257a4187ff391b2bcfe381f2f64_y6l62oTX61-dpWcHZpychmZETyyPVkmgtB1CcQVxfVE", id, h), 0);
    assert_string_equal(id, "01a20257-a418-7ff3-91b2-bcfe381f2f64");
}

static void uuid7_layout_and_order(void **state)
{
    (void)state;
    unsigned char r[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    char a[UUID_STR_LEN], b[UUID_STR_LEN];
    uuid7_format(0x0123456789abULL, r, a);
    assert_string_equal(a, "01234567-89ab-7fff-bfff-ffffffffffff");
    uuid7_format(0x0123456789acULL, (unsigned char[10]){ 0 }, b);
    assert_true(strcmp(a, b) < 0); /* later time sorts later */
    assert_true(uuid_valid(a));
    assert_true(uuid_valid("01234567-89AB-7FFF-BFFF-FFFFFFFFFFFF"));
    assert_false(uuid_valid("01234567-89ab-7fff-bfff-fffffffffff"));
    assert_false(uuid_valid("0123456789ab-7fff-bfff-ffffffffffff-"));
    assert_false(uuid_valid("01234567-89ab-7fff-bfff-fffffffffffg"));
    assert_false(uuid_valid("not-a-uuid"));
}

/* The hand-written formatting agrees with printf's for every byte value in
 * every position. */
static void uuid7_format_matches_printf(void **state)
{
    (void)state;
    for (int v = 0; v < 256; v++) {
        unsigned char r[10];
        for (int i = 0; i < 10; i++)
            r[i] = (unsigned char)(v + 37 * i);
        uint64_t ms = 0x010101010101ULL * (uint64_t)v & 0xffffffffffffULL;
        char got[UUID_STR_LEN], want[UUID_STR_LEN];
        uuid7_format(ms, r, got);
        unsigned char b[16];
        for (int i = 0; i < 6; i++)
            b[i] = (unsigned char)(ms >> (40 - 8 * i));
        memcpy(b + 6, r, 10);
        b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
        b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
        snprintf(want, sizeof want, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        assert_string_equal(got, want);
        assert_true(uuid_valid(got));
    }
}

/* A batch source: every id valid and distinct, past refills too, and its
 * bytes erased once used. */
static void uuid7_next_from_a_batch(void **state)
{
    (void)state;
    uuid7_source src;
    memset(&src, 0, sizeof src);
    enum { N = 3 * UUID7_BATCH + 1 };
    static char ids[N][UUID_STR_LEN];
    for (int i = 0; i < N; i++) {
        assert_int_equal(uuid7_next(&src, ids[i]), 0);
        assert_true(uuid_valid(ids[i]));
        assert_int_equal(ids[i][14], '7');
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
    }
    assert_int_equal(src.left, UUID7_BATCH - 1);
    int unused = 0;
    for (int i = 0; i < (int)sizeof src.bytes; i++) {
        if (i < 10)
            assert_int_equal(src.bytes[i], 0); /* the one id of this batch made so far: its bytes erased */
        else
            unused |= src.bytes[i];
    }
    assert_true(unused != 0); /* the rest still to use */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_round_trip),
        cmocka_unit_test(malformed_tokens_rejected),
        cmocka_unit_test(uuid7_layout_and_order),
        cmocka_unit_test(uuid7_format_matches_printf),
        cmocka_unit_test(uuid7_next_from_a_batch),
    };
    return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
