/*
 * check_date.c - unit tests for lib/date.c.
 *
 * Day numbers of known dates come from an independent source (Python's
 * datetime); the sweeps walk the calendar with a plain y/m/d counter so
 * that the Hinnant conversions are checked against simple counting.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "date.h"

/*
 * ck_assert records a mark point on every call (a write to a pipe when
 * tests fork), which dominates loops over millions of days; the sweeps
 * test with a plain if and abort only on failure.
 */
#define CHECK(cond, ...)                     \
    do {                                     \
        if (!(cond)) {                       \
            ck_abort_msg(__VA_ARGS__);       \
        }                                    \
    } while (0)

static kr_date D(const char *s)
{
    kr_date d = 0;

    ck_assert_msg(kr_date_parse(&d, s, strlen(s)) == 0, "test date %s", s);
    return d;
}

static void expect_fmt(kr_date d, const char *iso, const char *pl)
{
    char buf[11];

    kr_date_format(buf, d);
    ck_assert_str_eq(buf, iso);
    kr_date_format_pl(buf, d);
    ck_assert_str_eq(buf, pl);
}

static int is_leap_ref(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int floor_div12(int n)
{
    return n >= 0 ? n / 12 : -((-n + 11) / 12);
}

/* ---------------------------------------------------------------- */

START_TEST(test_known_days)
{
    ck_assert_int_eq(D("1970-01-01"), 0);
    ck_assert_int_eq(D("1969-12-31"), -1);
    ck_assert_int_eq(D("2000-01-01"), 10957);
    ck_assert_int_eq(D("2000-02-29"), 11016);
    ck_assert_int_eq(D("1900-03-01"), -25508);
    ck_assert_int_eq(D("1800-01-01"), -62091);
    ck_assert_int_eq(D("9999-12-31"), 2932896);
    ck_assert_int_eq(D("2025-03-10"), 20157);
    ck_assert_int_eq(kr_date_from_ymd(2025, 3, 10), 20157);
}
END_TEST

START_TEST(test_parse_invalid)
{
    static const char *const bad[] = {
        "1900-02-29", "2023-02-29", "2100-02-29", "1799-12-31",
        "10000-01-01", "0000-01-01", "2025-13-01", "2025-00-10",
        "2025-01-00", "2025-04-31", "2025-06-31", "2025-01-32",
        "2025-1-01", "2025-01-1", "2025/01/01", "10.03.2025",
        " 2025-01-01", "2025-01-01 ", "2025-01-0a", "+025-01-01",
        "-025-01-01", "2025-01-01T00", "2025--1-01", "2025-0-101",
        "20250101", "", "2025-01-01\n", "2025-\xef\xbc\x91-01"
    };
    size_t i;
    kr_date d;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d = 12345;
        ck_assert_msg(kr_date_parse(&d, bad[i], strlen(bad[i])) == -1,
                      "parsed \"%s\"", bad[i]);
        ck_assert_int_eq(d, 12345);
    }
    ck_assert_int_eq(kr_date_parse(&d, NULL, 0), -1);
    ck_assert_int_eq(kr_date_parse(&d, NULL, 10), -1);
    /* len is what counts, not the NUL. */
    ck_assert_int_eq(kr_date_parse(&d, "2025-03-10", 9), -1);
    ck_assert_int_eq(kr_date_parse(&d, "2025-03-10xyz", 10), 0);
    ck_assert_int_eq(d, 20157);
    ck_assert_int_eq(kr_date_parse(&d, "2025-03-1\0", 10), -1);
}
END_TEST

START_TEST(test_leap_years)
{
    ck_assert_int_eq(kr_date_days_in_month(2024, 2), 29);
    ck_assert_int_eq(kr_date_days_in_month(2023, 2), 28);
    ck_assert_int_eq(kr_date_days_in_month(1900, 2), 28);
    ck_assert_int_eq(kr_date_days_in_month(2000, 2), 29);
    ck_assert_int_eq(kr_date_days_in_month(2100, 2), 28);
    ck_assert_int_eq(kr_date_days_in_month(2400, 2), 29);
    ck_assert_int_eq(kr_date_days_in_month(2025, 1), 31);
    ck_assert_int_eq(kr_date_days_in_month(2025, 4), 30);
    ck_assert_int_eq(kr_date_days_in_month(2025, 12), 31);
    ck_assert_int_eq(kr_date_days_in_month(2025, 0), 0);
    ck_assert_int_eq(kr_date_days_in_month(2025, 13), 0);
    ck_assert_int_eq(D("2000-03-01") - D("2000-02-28"), 2);
    ck_assert_int_eq(D("1900-03-01") - D("1900-02-28"), 1);
    ck_assert_int_eq(D("2025-01-01") - D("2024-01-01"), 366);
    ck_assert_int_eq(D("2026-01-01") - D("2025-01-01"), 365);
}
END_TEST

START_TEST(test_format)
{
    char buf[11];

    expect_fmt(D("2025-03-10"), "2025-03-10", "10.03.2025");
    expect_fmt(0, "1970-01-01", "01.01.1970");
    expect_fmt(-1, "1969-12-31", "31.12.1969");
    expect_fmt(D("1800-01-01"), "1800-01-01", "01.01.1800");
    expect_fmt(D("9999-12-31"), "9999-12-31", "31.12.9999");
    expect_fmt(D("2024-02-29"), "2024-02-29", "29.02.2024");
    expect_fmt(kr_date_from_ymd(1, 1, 1), "0001-01-01", "01.01.0001");
    /* Past the 4-digit years the year is marked, not mangled. */
    /* "???" "?-": split so that "??-" is not read as a trigraph. */
    expect_fmt(kr_date_from_ymd(10000, 1, 1), "???" "?-01-01",
               "01.01.????");
    expect_fmt(kr_date_from_ymd(-1, 12, 31), "???" "?-12-31", "31.12.????");
    kr_date_format(buf, INT32_MAX);
    ck_assert_uint_eq(strlen(buf), 10);
    kr_date_format_pl(buf, INT32_MIN);
    ck_assert_uint_eq(strlen(buf), 10);
}
END_TEST

/*
 * Every day from 1800-01-01 to 9999-12-31, counted with y/m/d loops: the
 * day number goes up by one each day, and ymd, format and parse agree.
 */
START_TEST(test_roundtrip_all_days)
{
    kr_date expect = D("1800-01-01");
    char buf[11], pl[11], want[11];
    kr_date scratch;
    int y, m, d;

    for (y = 1800; y <= 9999; y++) {
        for (m = 1; m <= 12; m++) {
            int dim = m == 2 ? (is_leap_ref(y) ? 29 : 28)
                             : (m == 4 || m == 6 || m == 9 || m == 11)
                             ? 30 : 31;

            CHECK(kr_date_days_in_month(y, m) == dim, "dim %d-%d", y, m);
            for (d = 1; d <= dim; d++) {
                kr_date got = kr_date_from_ymd(y, m, d);
                kr_date back = -1;
                int yy, mm, dd;

                CHECK(got == expect, "from_ymd %d-%d-%d", y, m, d);
                kr_date_to_ymd(got, &yy, &mm, &dd);
                CHECK(yy == y && mm == m && dd == d, "to_ymd %d", got);
                kr_date_format(buf, got);
                CHECK(kr_date_parse(&back, buf, 10) == 0 && back == got,
                      "parse(format(%d)) %s", got, buf);
                /* Spot-check the text itself once a month. */
                if (d == 1 && y % 7 == 0) {
                    want[0] = (char)('0' + y / 1000);
                    want[1] = (char)('0' + y / 100 % 10);
                    want[2] = (char)('0' + y / 10 % 10);
                    want[3] = (char)('0' + y % 10);
                    memcpy(want + 4, "-00-01", 7);
                    want[5] = (char)('0' + m / 10);
                    want[6] = (char)('0' + m % 10);
                    ck_assert_str_eq(buf, want);
                    kr_date_format_pl(pl, got);
                    ck_assert(memcmp(pl, "01.", 3) == 0);
                    ck_assert(memcmp(pl + 3, want + 5, 2) == 0);
                    ck_assert(memcmp(pl + 6, want, 4) == 0);
                }
                expect++;
            }
            /* The day after the last one of the month does not parse. */
            buf[8] = (char)('0' + (dim + 1) / 10);
            buf[9] = (char)('0' + (dim + 1) % 10);
            CHECK(kr_date_parse(&scratch, buf, 10) == -1, "parsed %s", buf);
        }
    }
    ck_assert_int_eq(expect - 1, D("9999-12-31"));
}
END_TEST

/* ---------------------------------------------------------------- */
/* Age (art. 112 KC)                                                */

static void expect_age(const char *birth, const char *on, int want)
{
    int got = kr_date_age(D(birth), D(on));

    ck_assert_msg(got == want, "age(%s, %s) = %d, want %d", birth, on, got,
                  want);
}

START_TEST(test_age)
{
    expect_age("2007-03-10", "2025-03-09", 17);
    expect_age("2007-03-10", "2025-03-10", 18);
    expect_age("2007-03-10", "2025-03-11", 18);
    expect_age("2007-03-10", "2007-03-10", 0);

    /* Born 29 February: in a common year the anniversary is 28 Feb. */
    expect_age("2008-02-29", "2026-02-27", 17);
    expect_age("2008-02-29", "2026-02-28", 18);
    expect_age("2008-02-29", "2026-03-01", 18);
    expect_age("2008-02-29", "2028-02-28", 19);
    expect_age("2008-02-29", "2028-02-29", 20);
    expect_age("2008-02-29", "2009-02-27", 0);
    expect_age("2008-02-29", "2009-02-28", 1);
    /* 2100 is a common year although divisible by 4. */
    expect_age("2096-02-29", "2100-02-27", 3);
    expect_age("2096-02-29", "2100-02-28", 4);
    expect_age("2096-02-29", "2104-02-28", 7);
    expect_age("2096-02-29", "2104-02-29", 8);

    /* Born 28 February or 1 March: no clamping involved. */
    expect_age("2008-02-28", "2026-02-27", 17);
    expect_age("2008-02-28", "2026-02-28", 18);
    expect_age("2008-03-01", "2026-02-28", 17);
    expect_age("2008-03-01", "2026-03-01", 18);
    expect_age("2008-03-01", "2028-02-29", 19);

    expect_age("2007-12-31", "2025-12-30", 17);
    expect_age("2007-12-31", "2025-12-31", 18);
    expect_age("2008-01-01", "2025-12-31", 17);
    expect_age("1800-01-01", "9999-12-31", 8199);
    expect_age("1955-06-15", "2025-06-14", 69);
    expect_age("1955-06-15", "2025-06-15", 70);

    /* Before birth: negative, which callers report as an input error. */
    expect_age("2000-01-01", "1999-12-31", -1);
    expect_age("2008-02-29", "2008-02-28", -1);
    expect_age("2008-02-29", "2007-03-01", -1);
    expect_age("2008-02-29", "2007-02-27", -2);
}
END_TEST

/*
 * Age is the largest n with add_months(birth, 12 n) <= on, which is the
 * same thing as floor(months_between / 12); and it is negative exactly
 * when on < birth.
 */
START_TEST(test_age_properties)
{
    static const char *const births[] = {
        "2000-02-29", "2004-02-29", "2008-02-28", "2008-03-01",
        "1999-12-31", "2001-01-01", "2010-07-15", "1896-02-29"
    };
    size_t i;

    for (i = 0; i < sizeof(births) / sizeof(births[0]); i++) {
        kr_date b = D(births[i]);
        kr_date on;

        for (on = b - 800; on <= b + 365 * 10; on++) {
            int age = kr_date_age(b, on);
            int mb = kr_date_months_between(b, on);
            int y, m, d;

            kr_date_to_ymd(on, &y, &m, &d);
            CHECK(kr_date_age_ymd(b, y, m, d) == age, "age_ymd on day %d",
                  on);
            CHECK(age == floor_div12(mb), "age %d months %d", age, mb);
            CHECK((age < 0) == (on < b), "sign of age %d", age);
            CHECK(kr_date_add_months(b, 12 * age) <= on
                  && kr_date_add_months(b, 12 * (age + 1)) > on,
                  "age %d of %s on day %d", age, births[i], on);
        }
    }
}
END_TEST

/* ---------------------------------------------------------------- */
/* Months                                                           */

static void expect_add(const char *d, int n, const char *want)
{
    char buf[11];

    kr_date_format(buf, kr_date_add_months(D(d), n));
    ck_assert_msg(strcmp(buf, want) == 0, "%s %+d months = %s, want %s", d,
                  n, buf, want);
}

START_TEST(test_add_months)
{
    expect_add("2024-01-31", 1, "2024-02-29");
    expect_add("2023-01-31", 1, "2023-02-28");
    expect_add("2024-03-31", -1, "2024-02-29");
    expect_add("2025-03-31", -1, "2025-02-28");
    expect_add("2024-01-31", 2, "2024-03-31");
    expect_add("2024-01-31", 3, "2024-04-30");
    expect_add("2024-01-31", 12, "2025-01-31");
    expect_add("2024-02-29", 12, "2025-02-28");
    expect_add("2024-02-29", -24, "2022-02-28");
    expect_add("2024-02-29", 48, "2028-02-29");
    expect_add("2025-03-10", -24, "2023-03-10");
    expect_add("2025-03-10", 0, "2025-03-10");
    expect_add("2025-12-15", 1, "2026-01-15");
    expect_add("2025-01-15", -1, "2024-12-15");
    expect_add("2025-01-15", -13, "2023-12-15");
    expect_add("2025-01-15", -12, "2024-01-15");
    expect_add("2025-01-15", -11, "2024-02-15");
    expect_add("2025-05-31", 1, "2025-06-30");
    expect_add("1800-01-31", 1, "1800-02-28");
    expect_add("1900-01-31", 1, "1900-02-28");
    expect_add("2000-01-31", 1, "2000-02-29");
    expect_add("1800-03-15", -3, "1799-12-15");
    /* Arithmetic may leave the 4-digit years; format marks it. */
    expect_add("9999-12-31", 1, "???" "?-01-31");
    expect_add("9999-12-31", -120000, "???" "?-12-31");
    expect_add("9999-12-31", -119988, "0000-12-31");
}
END_TEST

static void expect_between(const char *a, const char *b, int want)
{
    int got = kr_date_months_between(D(a), D(b));

    ck_assert_msg(got == want, "months_between(%s, %s) = %d, want %d", a, b,
                  got, want);
}

START_TEST(test_months_between)
{
    expect_between("2025-01-15", "2025-03-15", 2);
    expect_between("2025-01-15", "2025-03-14", 1);
    expect_between("2025-01-15", "2025-01-15", 0);
    expect_between("2025-01-15", "2025-02-14", 0);
    expect_between("2024-01-31", "2024-02-29", 1);
    expect_between("2024-01-31", "2024-02-28", 0);
    expect_between("2023-01-31", "2023-02-28", 1);
    expect_between("2024-01-30", "2024-02-29", 1);
    expect_between("2024-02-29", "2025-02-28", 12);
    expect_between("2024-02-29", "2025-02-27", 11);
    expect_between("2007-03-10", "2025-03-10", 216);
    expect_between("2007-03-10", "2025-03-09", 215);

    /* b before a: still the largest n with add_months(a, n) <= b. */
    expect_between("2025-03-15", "2025-01-15", -2);
    expect_between("2025-03-15", "2025-01-16", -2);
    expect_between("2025-03-15", "2025-01-14", -3);
    expect_between("2025-01-15", "2025-01-10", -1);
    expect_between("2025-01-15", "2025-01-14", -1);
    expect_between("2024-03-31", "2024-02-29", -1);
    expect_between("2024-03-31", "2024-02-28", -2);
    expect_between("2025-03-10", "2007-03-10", -216);
    expect_between("2025-03-10", "2007-03-11", -216);
    expect_between("2025-03-10", "2007-03-09", -217);
}
END_TEST

START_TEST(test_months_between_properties)
{
    static const char *const starts[] = {
        "2024-01-31", "2024-02-29", "2023-03-31", "2025-03-10",
        "1899-12-31", "2000-02-29", "2025-01-01"
    };
    size_t i;

    for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        kr_date a = D(starts[i]);
        kr_date b;

        for (b = a - 1200; b <= a + 1200; b++) {
            int n = kr_date_months_between(a, b);

            CHECK(kr_date_add_months(a, n) <= b
                  && kr_date_add_months(a, n + 1) > b,
                  "months_between(%s, day %d) = %d", starts[i], b, n);
            CHECK((n < 0) == (b < a), "sign %d", n);
        }
    }
}
END_TEST

static Suite *date_suite(void)
{
    Suite *s = suite_create("date");
    TCase *tc;

    tc = tcase_create("calendar");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_known_days);
    tcase_add_test(tc, test_parse_invalid);
    tcase_add_test(tc, test_leap_years);
    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_roundtrip_all_days);
    suite_add_tcase(s, tc);

    tc = tcase_create("age");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_age);
    tcase_add_test(tc, test_age_properties);
    suite_add_tcase(s, tc);

    tc = tcase_create("months");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_add_months);
    tcase_add_test(tc, test_months_between);
    tcase_add_test(tc, test_months_between_properties);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(date_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
