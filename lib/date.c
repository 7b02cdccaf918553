/*
 * date.c - proleptic Gregorian day numbers.
 *
 * The conversions are Howard Hinnant's days_from_civil / civil_from_days
 * ("chrono-Compatible Low-Level Date Algorithms"): branch-light, exact for
 * every year, and free of the time zone and locale baggage of mktime.
 * Intermediate values are 64-bit so that no int32 day number can overflow.
 */
#include <stdint.h>
#include <string.h>

#include "date.h"

#define YEAR_MIN 1800
#define YEAR_MAX 9999

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month64(int64_t y, int m)
{
    static const int len[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (m < 1 || m > 12) {
        return 0;
    }
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* 0 for a month outside 1..12, so that callers cannot index past it. */
int kr_date_days_in_month(int y, int m)
{
    return days_in_month64(y, m);
}

kr_date kr_date_from_ymd(int y, int m, int d)
{
    return (kr_date)days_from_civil(y, m, d);
}

void kr_date_to_ymd(kr_date d, int *y, int *m, int *day)
{
    int64_t yy;

    civil_from_days(d, &yy, m, day);
    *y = (int)yy;
}

/* s[i] as 0..9 when it is a digit, else a value above 9 */
static unsigned digit_at(const char *s, int i)
{
    return (unsigned)(unsigned char)s[i] - '0';
}

/* A batch parses a date or two per person: the fixed positions are read
 * straight, and the day number is computed here rather than through the
 * exported functions (calls through the PLT). */
int kr_date_parse(kr_date *out, const char *s, size_t len)
{
    unsigned y0, y1, y2, y3, m0, m1, d0, d1;
    int y, m, d;

    if (!s || len != 10 || s[4] != '-' || s[7] != '-') {
        return -1;
    }
    y0 = digit_at(s, 0);
    y1 = digit_at(s, 1);
    y2 = digit_at(s, 2);
    y3 = digit_at(s, 3);
    m0 = digit_at(s, 5);
    m1 = digit_at(s, 6);
    d0 = digit_at(s, 8);
    d1 = digit_at(s, 9);
    if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) | (m1 > 9) |
        (d0 > 9) | (d1 > 9)) {
        return -1;
    }
    y = (int)(y0 * 1000 + y1 * 100 + y2 * 10 + y3);
    m = (int)(m0 * 10 + m1);
    d = (int)(d0 * 10 + d1);
    if (y < YEAR_MIN || y > YEAR_MAX || m < 1 || m > 12 || d < 1
        || d > days_in_month64(y, m)) {
        return -1;
    }
    *out = (kr_date)days_from_civil(y, m, d);
    return 0;
}

/*
 * Fixed-width digits of v into p.  Written by hand rather than with
 * snprintf so that the 10-character form can never be truncated into
 * something that looks like another date.
 */
static void put_digits(char *p, int v, int width)
{
    while (width-- > 0) {
        p[width] = (char)('0' + v % 10);
        v /= 10;
    }
}

/*
 * A year outside 0..9999 (reachable by arithmetic, never by the parser)
 * has no 4-digit form: it is written "????" rather than a wrong year.
 */
static void put_year(char *p, int y)
{
    if (y < 0 || y > 9999) {
        memcpy(p, "????", 4);
    } else {
        put_digits(p, y, 4);
    }
}

void kr_date_format(char buf[11], kr_date d)
{
    int y, m, day;

    kr_date_to_ymd(d, &y, &m, &day);
    put_year(buf, y);
    buf[4] = '-';
    put_digits(buf + 5, m, 2);
    buf[7] = '-';
    put_digits(buf + 8, day, 2);
    buf[10] = '\0';
}

void kr_date_format_pl(char buf[11], kr_date d)
{
    int y, m, day;

    kr_date_to_ymd(d, &y, &m, &day);
    put_digits(buf, day, 2);
    buf[2] = '.';
    put_digits(buf + 3, m, 2);
    buf[5] = '.';
    put_year(buf + 6, y);
    buf[10] = '\0';
}

/*
 * Completed years: on minus birth in years, less one if this year's
 * anniversary has not begun.  The anniversary of 29 February in a common
 * year is the last day of February (art. 112 KC), which is exactly the day
 * clamped to the month's length.  The same formula gives the largest n
 * whose anniversary is <= on, so it is negative whenever on < birth.
 */
int kr_date_age(kr_date birth, kr_date on)
{
    int oy, om, od;
    kr_date_to_ymd(on, &oy, &om, &od);
    return kr_date_age_ymd(birth, oy, om, od);
}

int kr_date_age_ymd(kr_date birth, int oy, int om, int od)
{
    int by, bm, bd;
    int ann;
    int years;

    kr_date_to_ymd(birth, &by, &bm, &bd);
    years = oy - by;
    ann = kr_date_days_in_month(oy, bm);
    if (bd < ann) {
        ann = bd;
    }
    if (om < bm || (om == bm && od < ann)) {
        years--;
    }
    return years;
}

kr_date kr_date_add_months(kr_date d, int n)
{
    int y, m, day, dim;
    int64_t total, ny;
    int nm;

    kr_date_to_ymd(d, &y, &m, &day);
    total = (int64_t)y * 12 + (m - 1) + n;
    /* Floor division: the month index may be negative for early years. */
    ny = total >= 0 ? total / 12 : -((-total + 11) / 12);
    nm = (int)(total - ny * 12) + 1;
    dim = days_in_month64(ny, nm);
    if (day > dim) {
        day = dim;
    }
    return (kr_date)days_from_civil(ny, nm, day);
}

/*
 * add_months(a, n) lies in the n-th month after a's.  With n the month
 * difference it lands in b's month, so n + 1 is already past b and the
 * answer is n, or n - 1 when the clamped day is still after b's day.
 */
int kr_date_months_between(kr_date a, kr_date b)
{
    int ay, am, ad, by, bm, bd;
    int n;

    kr_date_to_ymd(a, &ay, &am, &ad);
    kr_date_to_ymd(b, &by, &bm, &bd);
    n = (by - ay) * 12 + (bm - am);
    if (kr_date_add_months(a, n) > b) {
        n--;
    }
    return n;
}
