/* civil_date.c - proleptic Gregorian dates as day counts and back (see civil_date.h). */
#include "civil_date.h"

#include <stdio.h>

static const char *const month_names[12] = { "January", "February", "March", "April", "May", "June", "July",
                                              "August", "September", "October", "November", "December" };

int civil_month_days(int y, int m)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12)
        return 0;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mdays[m - 1] + (m == 2 && leap);
}

bool civil_date_exists(int y, int m, int d, char *why, size_t len)
{
    int n = civil_month_days(y, m);
    if (n > 0 && d >= 1 && d <= n)
        return true;
    if (why && len > 0) {
        if (n == 0)
            snprintf(why, len, "there is no month %d", m);
        else if (d < 1)
            snprintf(why, len, "there is no day %d", d);
        else
            snprintf(why, len, "%s %d has %d days", month_names[m - 1], y, n);
    }
    return false;
}

long civil_days(int y, int m, int d)
{
    long yy = y - (m <= 2);
    long era = (yy >= 0 ? yy : yy - 399) / 400;
    long yoe = yy - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(long days, int *y, int *m, int *d)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}
