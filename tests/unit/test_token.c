/* Unit tests: API key tokens and UUIDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_round_trip),
        cmocka_unit_test(malformed_tokens_rejected),
        cmocka_unit_test(uuid7_layout_and_order),
    };
    return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
