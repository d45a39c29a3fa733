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

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31). The date
 * is not checked: 31 April is read as 1 May (date_parse checks first). */
long civil_days(int y, int m, int d);

/* The date of day count days: year, month 1..12, day 1..31. */
void civil_from_days(long days, int *y, int *m, int *d);

#endif
