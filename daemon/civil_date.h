/* civil_date.h - proleptic Gregorian dates as day counts and back (pure:
 * no I/O, no time zone).
 *
 * A day count is the number of days since 1970-01-01 (negative before it),
 * the unit of every date the engine compares (fieldwork, windows, months).
 * The two conversions are Howard Hinnant's days_from_civil and
 * civil_from_days ("chrono-Compatible Low-Level Date Algorithms", public
 * domain), exact for every date of year 0 to 9999 and beyond. */
#ifndef CONSULTD_CIVIL_DATE_H
#define CONSULTD_CIVIL_DATE_H

#include <stdbool.h>
#include <stddef.h>

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31). The date
 * is not checked: 31 April is read as 1 May (date_parse checks first). */
long civil_days(int y, int m, int d);

/* Days in month m (1..12) of year y, Gregorian leap years (a year divisible
 * by 4, except centuries not divisible by 400); 0 when m is not a month. */
int civil_month_days(int y, int m);

/* Whether year y, month m, day d names a day that exists. When it does not
 * and why is not NULL, writes the reason in plain words to why (len bytes,
 * always terminated), naming the month's length when the day is past it:
 * "February 2027 has 28 days", "there is no month 13", "there is no day 0".
 * The one place the register decides that a date exists (date_parse, the
 * import's DD/MM/YYYY cells). */
bool civil_date_exists(int y, int m, int d, char *why, size_t len);

/* The date of day count days: year, month 1..12, day 1..31. */
void civil_from_days(long days, int *y, int *m, int *d);

#endif
