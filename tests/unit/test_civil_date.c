/* Unit tests: day counts and proleptic Gregorian dates, both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include "civil_date.h"

static void known_days(void **state)
{
    (void)state;
    assert_int_equal(civil_days(1970, 1, 1), 0);
    assert_int_equal(civil_days(1969, 12, 31), -1);
    assert_int_equal(civil_days(2000, 3, 1), 11017);
    assert_int_equal(civil_days(2024, 2, 29) + 1, civil_days(2024, 3, 1));  /* a leap day */
    assert_int_equal(civil_days(2023, 2, 28) + 1, civil_days(2023, 3, 1));  /* none */
    assert_int_equal(civil_days(1900, 2, 28) + 1, civil_days(1900, 3, 1));  /* a century is not leap */
    assert_int_equal(civil_days(2000, 2, 28) + 2, civil_days(2000, 3, 1));  /* unless it is a 400th */
    int y, m, d;
    civil_from_days(-1, &y, &m, &d);
    assert_int_equal(y, 1969);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
}

/* Every day from 1600 to 2400 goes there and back, one after another. */
static void round_trip(void **state)
{
    (void)state;
    long first = civil_days(1600, 1, 1), last = civil_days(2400, 12, 31);
    int py = 1599, pm = 12, pd = 31;
    for (long z = first; z <= last; z++) {
        int y, m, d;
        civil_from_days(z, &y, &m, &d);
        assert_int_equal(civil_days(y, m, d), z);
        /* the next day of the previous one */
        if (d != 1)
            assert_true(y == py && m == pm && d == pd + 1);
        else
            assert_true((m == 1 && y == py + 1 && pm == 12) || (m == pm + 1 && y == py));
        py = y;
        pm = m;
        pd = d;
    }
}

/* A day that does not exist says why, in words a person can act on. */
static void missing_days_say_why(void **state)
{
    (void)state;
    char why[80];
    assert_int_equal(civil_month_days(2027, 2), 28);
    assert_int_equal(civil_month_days(2028, 2), 29);
    assert_int_equal(civil_month_days(2100, 2), 28);
    assert_int_equal(civil_month_days(2000, 2), 29);
    assert_int_equal(civil_month_days(2027, 13), 0);
    assert_true(civil_date_exists(2028, 2, 29, why, sizeof why));
    assert_false(civil_date_exists(2027, 2, 31, why, sizeof why));
    assert_string_equal(why, "February 2027 has 28 days");
    assert_false(civil_date_exists(2027, 4, 31, why, sizeof why));
    assert_string_equal(why, "April 2027 has 30 days");
    assert_false(civil_date_exists(2027, 13, 1, why, sizeof why));
    assert_string_equal(why, "there is no month 13");
    assert_false(civil_date_exists(2027, 0, 1, why, sizeof why));
    assert_string_equal(why, "there is no month 0");
    assert_false(civil_date_exists(2027, 1, 0, why, sizeof why));
    assert_string_equal(why, "there is no day 0");
    assert_false(civil_date_exists(2027, 2, 30, NULL, 0));
    char small[8];
    assert_false(civil_date_exists(2027, 2, 31, small, sizeof small));
    assert_string_equal(small, "Februar"); /* cut, always terminated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_days),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(missing_days_say_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
