/*
 * date.h - calendar dates as day numbers (internal).
 *
 * A date is an int32 count of days since 1970-01-01 in the proleptic
 * Gregorian calendar (no time zone, no time of day: the law counts whole
 * days).  Range accepted by the parser: years 1800..9999.
 */
#ifndef KR_DATE_H
#define KR_DATE_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t kr_date;

/* Strict "YYYY-MM-DD" (exactly 10 chars in len); validates the day of
 * month including leap years.  Returns 0 or -1. */
int kr_date_parse(kr_date *out, const char *s, size_t len);

/* Writes "YYYY-MM-DD" + NUL into buf (at least 11 bytes). */
void kr_date_format(char buf[11], kr_date d);

/* Writes "DD.MM.YYYY" + NUL (Polish administrative form), buf >= 11. */
void kr_date_format_pl(char buf[11], kr_date d);

kr_date kr_date_from_ymd(int y, int m, int d);           /* d must be valid */
void kr_date_to_ymd(kr_date d, int *y, int *m, int *day);
int kr_date_days_in_month(int y, int m);

/*
 * Age in completed years on `on`, as art. 112 of the Polish Civil Code
 * counts it: the year is completed at the start of the anniversary day;
 * for a person born on 29 February the anniversary in a common year is
 * the last day of February (art. 112 with art. 110-111 KC).  Negative when
 * on < birth (callers treat that as an input error).
 */
int kr_date_age(kr_date birth, kr_date on);
/* The same with `on` given as year, month, day (an evaluation computes
 * many ages on one date). */
int kr_date_age_ymd(kr_date birth, int oy, int om, int od);

/* d plus n months (n may be negative); the day is clamped to the length
 * of the target month (2024-01-31 + 1 month = 2024-02-29). */
kr_date kr_date_add_months(kr_date d, int n);

/* Whole months from a to b: the largest n with add_months(a, n) <= b
 * (negative when b < a, symmetric definition). */
int kr_date_months_between(kr_date a, kr_date b);

#endif
