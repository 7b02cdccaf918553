/*
 * check_decimal.c - unit tests for lib/decimal.c.
 *
 * Expected values are written as literals and compared exactly; the
 * rounding sweep checks the library against a second, independently
 * written formulation of each mode (mpz_cdiv/tdiv instead of fdiv_qr).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gmp.h>

#include "decimal.h"
#include "error.h"

/*
 * Set q from test text: a strict decimal or "a/b" with both sides strict
 * decimals.  Goes through kr_dec_parse so that tests never rely on
 * mpq_set_str's looser grammar.
 */
static void q_from(mpq_ptr q, const char *s)
{
    const char *slash = strchr(s, '/');
    kr_error err = KR_ERROR_INIT;

    if (!slash) {
        ck_assert_msg(kr_dec_parse(q, s, strlen(s), &err) == KR_OK,
                      "test literal %s: %s", s, err.msg);
        return;
    } else {
        mpq_t d;

        mpq_init(d);
        ck_assert_int_eq(kr_dec_parse(q, s, (size_t)(slash - s), &err),
                         KR_OK);
        ck_assert_int_eq(kr_dec_parse(d, slash + 1, strlen(slash + 1), &err),
                         KR_OK);
        ck_assert_int_eq(kr_dec_div(q, q, d, &err), KR_OK);
        mpq_clear(d);
    }
}

/* to_string as a stack copy, so assertions need no free on their path. */
static void q_text(char *buf, size_t n, mpq_srcptr q)
{
    char *s = kr_dec_to_string(q, 0);

    ck_assert_ptr_nonnull(s);
    strncpy(buf, s, n - 1);
    buf[n - 1] = '\0';
    free(s);
}

static void expect_round(const char *x, const char *step, kr_round_mode mode,
                         const char *want)
{
    mpq_t qx, qs, qw, out;
    kr_error err = KR_ERROR_INIT;
    char got[512], exp[512];
    int equal;

    mpq_init(qx);
    mpq_init(qs);
    mpq_init(qw);
    mpq_init(out);
    q_from(qx, x);
    q_from(qs, step);
    q_from(qw, want);
    ck_assert_int_eq(kr_dec_round(out, qx, qs, mode, &err), KR_OK);
    ck_assert_int_eq(err.code, KR_OK);
    equal = mpq_equal(out, qw);
    q_text(got, sizeof(got), out);
    q_text(exp, sizeof(exp), qw);
    mpq_clear(qx);
    mpq_clear(qs);
    mpq_clear(qw);
    mpq_clear(out);
    ck_assert_msg(equal, "round(%s, %s, %s) = %s, want %s", x, step,
                  kr_dec_round_mode_name(mode), got, exp);
}

/* Rounding of x at step under all six modes, in enum order. */
static void expect_modes(const char *x, const char *step, const char *hu,
                         const char *he, const char *down, const char *up,
                         const char *floor_, const char *ceil_)
{
    expect_round(x, step, KR_ROUND_HALF_UP, hu);
    expect_round(x, step, KR_ROUND_HALF_EVEN, he);
    expect_round(x, step, KR_ROUND_DOWN, down);
    expect_round(x, step, KR_ROUND_UP, up);
    expect_round(x, step, KR_ROUND_FLOOR, floor_);
    expect_round(x, step, KR_ROUND_CEILING, ceil_);
}

static void expect_str(const char *x, unsigned mind, const char *want)
{
    mpq_t q;
    char *s;

    mpq_init(q);
    q_from(q, x);
    s = kr_dec_to_string(q, mind);
    mpq_clear(q);
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(strcmp(s, want) == 0, "to_string(%s, %u) = %s, want %s",
                  x, mind, s, want);
    free(s);
}

static void expect_fixed(const char *x, unsigned dec, kr_round_mode mode,
                         const char *want)
{
    mpq_t q;
    char *s;

    mpq_init(q);
    q_from(q, x);
    s = kr_dec_to_fixed(q, dec, mode);
    mpq_clear(q);
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(strcmp(s, want) == 0, "to_fixed(%s, %u, %s) = %s, want %s",
                  x, dec, kr_dec_round_mode_name(mode), s, want);
    free(s);
}

static void expect_group(const char *fixed, const char *lang,
                         const char *want)
{
    char *s = kr_dec_group(fixed, lang);

    if (!want) {
        ck_assert_msg(s == NULL, "group(%s, %s) = %s, want NULL", fixed,
                      lang, s);
        return;
    }
    ck_assert_msg(s != NULL, "group(%s, %s) = NULL", fixed, lang);
    ck_assert_msg(strcmp(s, want) == 0, "group(%s, %s) = [%s], want [%s]",
                  fixed, lang, s, want);
    free(s);
}

/* ---------------------------------------------------------------- */
/* Parsing                                                          */

static void expect_parse(const char *s, const char *num, const char *den)
{
    mpq_t q;
    kr_error err = KR_ERROR_INIT;
    int rc;
    int ok;

    mpq_init(q);
    rc = kr_dec_parse(q, s, strlen(s), &err);
    ok = rc == KR_OK && mpz_cmp_si(mpq_numref(q), strtol(num, NULL, 10)) == 0
         && mpz_cmp_si(mpq_denref(q), strtol(den, NULL, 10)) == 0;
    mpq_clear(q);
    ck_assert_msg(ok, "parse(%s) rc=%d (%s), want %s/%s", s, rc, err.msg,
                  num, den);
}

START_TEST(test_parse_valid)
{
    expect_parse("0", "0", "1");
    expect_parse("-0", "0", "1");
    expect_parse("-0.000", "0", "1");
    expect_parse("701.00", "701", "1");
    expect_parse("0.5", "1", "2");
    expect_parse("-0.5", "-1", "2");
    expect_parse("007", "7", "1");
    expect_parse("1234567.89", "123456789", "100");
    expect_parse("130%", "13", "10");
    expect_parse("5%", "1", "20");
    expect_parse("100%", "1", "1");
    expect_parse("-1.5%", "-3", "200");
    expect_parse("0.125", "1", "8");
    expect_parse("0%", "0", "1");
}
END_TEST

/* Around the limits of the machine-integer path (18 digits, 10^19):
 * the result must be the same canonical fraction as GMP's. */
static void expect_parse_big(const char *s, const char *want)
{
    mpq_t q, w;
    int rc, ok;

    mpq_init(q);
    mpq_init(w);
    mpq_set_str(w, want, 10);
    mpq_canonicalize(w);
    rc = kr_dec_parse(q, s, strlen(s), NULL);
    ok = rc == KR_OK && mpz_cmp(mpq_numref(q), mpq_numref(w)) == 0 &&
         mpz_cmp(mpq_denref(q), mpq_denref(w)) == 0;
    mpq_clear(q);
    mpq_clear(w);
    ck_assert_msg(ok, "parse(%s) rc=%d, want %s", s, rc, want);
}

START_TEST(test_parse_limits)
{
    expect_parse_big("999999999999999999", "999999999999999999/1");
    expect_parse_big("-999999999999999999", "-999999999999999999/1");
    expect_parse_big("9999999999999999999", "9999999999999999999/1");
    expect_parse_big("99999999999999999999", "99999999999999999999/1");
    expect_parse_big("0.00000000000000001", "1/100000000000000000");
    expect_parse_big("0.00000000000000001%",
                     "1/10000000000000000000");
    expect_parse_big("0.000000000000000001%",
                     "1/100000000000000000000");
    expect_parse_big("1.00000000000000000%", "1/100");
    expect_parse_big("-12.50000000000000%", "-1/8");
    expect_parse_big("0.00000000000000000%", "0/1");
    expect_parse_big("4096.000000000000", "4096/1");
    expect_parse_big("0.0000000000000625", "1/16000000000000");
}
END_TEST

START_TEST(test_parse_not_terminated)
{
    const char buf[] = { '1', '2', '3', '4', '5' };
    mpq_t q;

    mpq_init(q);
    ck_assert_int_eq(kr_dec_parse(q, buf, 3, NULL), KR_OK);
    ck_assert_int_eq(mpz_cmp_ui(mpq_numref(q), 123), 0);
    ck_assert_int_eq(kr_dec_parse(q, "12.5xyz", 4, NULL), KR_OK);
    ck_assert_int_eq(mpz_cmp_ui(mpq_numref(q), 25), 0);
    ck_assert_int_eq(mpz_cmp_ui(mpq_denref(q), 2), 0);
    /* An embedded NUL inside len is a character like any other. */
    ck_assert_int_eq(kr_dec_parse(q, "1\0", 2, NULL), KR_EPARSE);
    ck_assert_int_eq(kr_dec_parse(q, NULL, 0, NULL), KR_EPARSE);
    ck_assert_int_eq(kr_dec_parse(q, NULL, 5, NULL), KR_EPARSE);
    mpq_clear(q);
}
END_TEST

static const char *const bad_numbers[] = {
    "", "-", "1.", ".5", "+1", " 1", "1 ", "\t1", "1\n", "1e3", "1E3",
    "0x10", "1,5", "1.5.5", "--1", "%", "-%", "1%%", "%1", "1.%", "1%5",
    "-.5", "1/2", "NaN", "inf", "-inf", "1_000", "1 000", "\xd9\xa1",
    "\xef\xbc\x91", "1.5-", "- 1", "0b1", "1..5", ".", "-1.", "1.-5"
};

START_TEST(test_parse_invalid)
{
    size_t i;

    for (i = 0; i < sizeof(bad_numbers) / sizeof(bad_numbers[0]); i++) {
        const char *s = bad_numbers[i];
        kr_error err = KR_ERROR_INIT;
        mpq_t q;
        int rc;
        int untouched;

        mpq_init(q);
        mpq_set_ui(q, 42, 1);
        rc = kr_dec_parse(q, s, strlen(s), &err);
        untouched = mpz_cmp_ui(mpq_numref(q), 42) == 0;
        mpq_clear(q);
        ck_assert_msg(rc == KR_EPARSE, "parse(\"%s\") = %d, want EPARSE", s,
                      rc);
        ck_assert_int_eq(err.code, KR_EPARSE);
        ck_assert_msg(untouched, "parse(\"%s\") changed q on error", s);
        ck_assert_msg(strstr(err.msg, "invalid number") != NULL, "%s",
                      err.msg);
    }
}
END_TEST

START_TEST(test_parse_message)
{
    kr_error err = KR_ERROR_INIT;
    char longtext[1001];
    mpq_t q;

    mpq_init(q);
    ck_assert_int_eq(kr_dec_parse(q, "1,5", 3, &err), KR_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "\"1,5\""));

    /* Long garbage is quoted, but cut. */
    memset(longtext, 'x', 1000);
    longtext[1000] = '\0';
    kr_error_clear(&err);
    ck_assert_int_eq(kr_dec_parse(q, longtext, 1000, &err), KR_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "\"xxxx"));
    ck_assert_ptr_nonnull(strstr(err.msg, "...\""));
    ck_assert_uint_lt(strlen(err.msg), 200);

    /* Control characters do not reach the message. */
    kr_error_clear(&err);
    ck_assert_int_eq(kr_dec_parse(q, "1\n2", 3, &err), KR_EPARSE);
    ck_assert_ptr_null(strchr(err.msg, '\n'));

    /* The first error wins. */
    ck_assert_int_eq(kr_dec_parse(q, "abc", 3, &err), KR_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "\"1?2\""));

    /* err may be NULL. */
    ck_assert_int_eq(kr_dec_parse(q, "abc", 3, NULL), KR_EPARSE);
    mpq_clear(q);
}
END_TEST

START_TEST(test_parse_limit)
{
    char buf[KR_DEC_MAX_DIGITS + 8];
    kr_error err = KR_ERROR_INIT;
    mpq_t q;

    mpq_init(q);
    memset(buf, '9', KR_DEC_MAX_DIGITS);
    buf[KR_DEC_MAX_DIGITS] = '\0';
    ck_assert_int_eq(kr_dec_parse(q, buf, KR_DEC_MAX_DIGITS, &err), KR_OK);
    {
        mpz_t p;

        /* 200 nines: 10^200 - 1 */
        mpz_init(p);
        mpz_ui_pow_ui(p, 10, KR_DEC_MAX_DIGITS);
        mpz_sub_ui(p, p, 1);
        ck_assert_int_eq(mpz_cmp(p, mpq_numref(q)), 0);
        mpz_clear(p);
    }

    /* 200 digits with a dot and a percent sign are still 200 digits. */
    buf[100] = '.';
    buf[KR_DEC_MAX_DIGITS] = '9';
    buf[KR_DEC_MAX_DIGITS + 1] = '%';
    buf[KR_DEC_MAX_DIGITS + 2] = '\0';
    ck_assert_int_eq(kr_dec_parse(q, buf, strlen(buf), &err), KR_OK);

    memset(buf, '1', KR_DEC_MAX_DIGITS + 1);
    buf[KR_DEC_MAX_DIGITS + 1] = '\0';
    ck_assert_int_eq(kr_dec_parse(q, buf, strlen(buf), &err), KR_ELIMIT);
    ck_assert_int_eq(err.code, KR_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.msg, "\"1111"));

    /* Leading zeros count: the bound is on the text. */
    kr_error_clear(&err);
    buf[0] = '-';
    memset(buf + 1, '0', KR_DEC_MAX_DIGITS + 1);
    buf[KR_DEC_MAX_DIGITS + 2] = '\0';
    ck_assert_int_eq(kr_dec_parse(q, buf, strlen(buf), &err), KR_ELIMIT);
    mpq_clear(q);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Rounding modes                                                   */

START_TEST(test_mode_names)
{
    static const char *const names[] = {
        "half-up", "half-even", "down", "up", "floor", "ceiling"
    };
    kr_round_mode m;
    size_t i;

    for (i = 0; i < 6; i++) {
        m = (kr_round_mode)99;
        ck_assert_int_eq(kr_dec_round_mode_parse(&m, names[i],
                                                 strlen(names[i])), 0);
        ck_assert_int_eq((int)m, (int)i);
        ck_assert_str_eq(kr_dec_round_mode_name(m), names[i]);
    }
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "half_up", 7), 0);
    ck_assert_int_eq(m, KR_ROUND_HALF_UP);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "half_even", 9), 0);
    ck_assert_int_eq(m, KR_ROUND_HALF_EVEN);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "half-upper", 7), 0);
    ck_assert_int_eq(m, KR_ROUND_HALF_UP);

    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "", 0), -1);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, NULL, 0), -1);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "half", 4), -1);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "half-upx", 8), -1);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "HALF-UP", 7), -1);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "half up", 7), -1);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "ceil", 4), -1);
    ck_assert_int_eq(kr_dec_round_mode_parse(&m, "up\0", 3), -1);
    ck_assert_str_eq(kr_dec_round_mode_name((kr_round_mode)6), "unknown");
    ck_assert_str_eq(kr_dec_round_mode_name((kr_round_mode)-1), "unknown");
}
END_TEST

START_TEST(test_round_grosz)
{
    /*                  x         step    h-up     h-even   down     up
                                          floor    ceiling */
    expect_modes("0.125", "0.01", "0.13", "0.12", "0.12", "0.13",
                 "0.12", "0.13");
    expect_modes("-0.125", "0.01", "-0.13", "-0.12", "-0.12", "-0.13",
                 "-0.13", "-0.12");
    expect_modes("0.135", "0.01", "0.14", "0.14", "0.13", "0.14",
                 "0.13", "0.14");
    expect_modes("-0.135", "0.01", "-0.14", "-0.14", "-0.13", "-0.14",
                 "-0.14", "-0.13");
    expect_modes("0.126", "0.01", "0.13", "0.13", "0.12", "0.13",
                 "0.12", "0.13");
    expect_modes("0.124", "0.01", "0.12", "0.12", "0.12", "0.13",
                 "0.12", "0.13");
    expect_modes("-0.126", "0.01", "-0.13", "-0.13", "-0.12", "-0.13",
                 "-0.13", "-0.12");
    expect_modes("1/3", "0.01", "0.33", "0.33", "0.33", "0.34",
                 "0.33", "0.34");
    expect_modes("-1/3", "0.01", "-0.33", "-0.33", "-0.33", "-0.34",
                 "-0.34", "-0.33");
    expect_modes("2/3", "0.01", "0.67", "0.67", "0.66", "0.67",
                 "0.66", "0.67");
    expect_modes("-2/3", "0.01", "-0.67", "-0.67", "-0.66", "-0.67",
                 "-0.67", "-0.66");
    expect_modes("2000/3", "0.01", "666.67", "666.67", "666.66", "666.67",
                 "666.66", "666.67");
    expect_modes("-2000/3", "0.01", "-666.67", "-666.67", "-666.66",
                 "-666.67", "-666.67", "-666.66");
    expect_modes("-0.001", "0.01", "0", "0", "0", "-0.01", "-0.01", "0");
    expect_modes("0.005", "0.01", "0.01", "0", "0", "0.01", "0", "0.01");
    expect_modes("-0.005", "0.01", "-0.01", "0", "0", "-0.01", "-0.01",
                 "0");
    /* Already on the grid: every mode leaves it alone. */
    expect_modes("1.00", "0.01", "1", "1", "1", "1", "1", "1");
    expect_modes("-713.45", "0.01", "-713.45", "-713.45", "-713.45",
                 "-713.45", "-713.45", "-713.45");
    expect_modes("0", "0.01", "0", "0", "0", "0", "0", "0");
}
END_TEST

START_TEST(test_round_zloty)
{
    expect_modes("2.5", "1", "3", "2", "2", "3", "2", "3");
    expect_modes("-2.5", "1", "-3", "-2", "-2", "-3", "-3", "-2");
    expect_modes("3.5", "1", "4", "4", "3", "4", "3", "4");
    expect_modes("-3.5", "1", "-4", "-4", "-3", "-4", "-4", "-3");
    expect_modes("0.5", "1", "1", "0", "0", "1", "0", "1");
    expect_modes("-0.5", "1", "-1", "0", "0", "-1", "-1", "0");
    expect_modes("1/3", "1", "0", "0", "0", "1", "0", "1");
    expect_modes("-1/3", "1", "0", "0", "0", "-1", "-1", "0");
    expect_modes("2/3", "1", "1", "1", "0", "1", "0", "1");
    expect_modes("-2/3", "1", "-1", "-1", "0", "-1", "-1", "0");
    expect_modes("2000/3", "1", "667", "667", "666", "667", "666", "667");
    expect_modes("-2000/3", "1", "-667", "-667", "-666", "-667", "-667",
                 "-666");
    expect_modes("713.00", "1", "713", "713", "713", "713", "713", "713");
    expect_modes("1010.99", "1", "1011", "1011", "1010", "1011", "1010",
                 "1011");
}
END_TEST

START_TEST(test_round_ten_groszy)
{
    expect_modes("0.25", "0.10", "0.3", "0.2", "0.2", "0.3", "0.2", "0.3");
    expect_modes("-0.25", "0.10", "-0.3", "-0.2", "-0.2", "-0.3", "-0.3",
                 "-0.2");
    expect_modes("0.35", "0.10", "0.4", "0.4", "0.3", "0.4", "0.3", "0.4");
    expect_modes("-0.35", "0.10", "-0.4", "-0.4", "-0.3", "-0.4", "-0.4",
                 "-0.3");
    expect_modes("0.125", "0.10", "0.1", "0.1", "0.1", "0.2", "0.1", "0.2");
    expect_modes("0.135", "0.10", "0.1", "0.1", "0.1", "0.2", "0.1", "0.2");
    expect_modes("1/3", "0.10", "0.3", "0.3", "0.3", "0.4", "0.3", "0.4");
    expect_modes("-2/3", "0.10", "-0.7", "-0.7", "-0.6", "-0.7", "-0.7",
                 "-0.6");
    expect_modes("2000/3", "0.10", "666.7", "666.7", "666.6", "666.7",
                 "666.6", "666.7");
    expect_modes("1234.56", "0.10", "1234.6", "1234.6", "1234.5", "1234.6",
                 "1234.5", "1234.6");
}
END_TEST

START_TEST(test_round_other_steps)
{
    /* 0.125 / 0.05 = 2.5: a tie on a step that is not a power of ten. */
    expect_modes("0.125", "0.05", "0.15", "0.1", "0.1", "0.15", "0.1",
                 "0.15");
    expect_modes("-0.125", "0.05", "-0.15", "-0.1", "-0.1", "-0.15",
                 "-0.15", "-0.1");
    /* 0.5 / (1/3) = 1.5; the result is a multiple of the step. */
    expect_modes("0.5", "1/3", "2/3", "2/3", "1/3", "2/3", "1/3", "2/3");
    expect_modes("1234", "100", "1200", "1200", "1200", "1300", "1200",
                 "1300");
    expect_modes("1250", "100", "1300", "1200", "1200", "1300", "1200",
                 "1300");
    expect_modes("1350", "100", "1400", "1400", "1300", "1400", "1300",
                 "1400");
    expect_modes("-1250", "100", "-1300", "-1200", "-1200", "-1300",
                 "-1300", "-1200");
}
END_TEST

START_TEST(test_round_huge)
{
    char x[256], xn[256], big[256], bigup[256], nbig[256], nbigup[256];
    char x15[256], big2[256];
    char *zeros = x + 1;

    /* 10^150 + 0.005 and friends; 154 digits, inside the parse limit. */
    x[0] = '1';
    memset(zeros, '0', 150);
    x[151] = '\0';
    strcpy(big, x);
    strcpy(bigup, x);
    strcat(bigup, ".01");
    strcpy(big2, x);
    strcat(big2, ".02");
    strcpy(x15, x);
    strcat(x15, ".015");
    strcat(x, ".005");
    strcpy(xn, "-");
    strcat(xn, x);
    strcpy(nbig, "-");
    strcat(nbig, big);
    strcpy(nbigup, "-");
    strcat(nbigup, bigup);

    expect_modes(x, "0.01", bigup, big, big, bigup, big, bigup);
    expect_modes(xn, "0.01", nbigup, nbig, nbig, nbigup, nbigup, nbig);
    expect_round(x15, "0.01", KR_ROUND_HALF_EVEN, big2);
    expect_round(x15, "0.01", KR_ROUND_HALF_UP, big2);
    expect_round(x, "1", KR_ROUND_CEILING, "1" "0000000000" "0000000000"
                 "0000000000" "0000000000" "0000000000" "0000000000"
                 "0000000000" "0000000000" "0000000000" "0000000000"
                 "0000000000" "0000000000" "0000000000" "0000000000"
                 "0000000001");
}
END_TEST

START_TEST(test_round_alias_and_errors)
{
    mpq_t x, step, out;
    kr_error err = KR_ERROR_INIT;

    mpq_init(x);
    mpq_init(step);
    mpq_init(out);

    /* out aliases x. */
    q_from(x, "2000/3");
    q_from(step, "0.01");
    ck_assert_int_eq(kr_dec_round(x, x, step, KR_ROUND_HALF_UP, &err),
                     KR_OK);
    q_from(out, "666.67");
    ck_assert(mpq_equal(x, out));

    /* out aliases step. */
    q_from(x, "2.5");
    q_from(step, "1");
    ck_assert_int_eq(kr_dec_round(step, x, step, KR_ROUND_HALF_EVEN, &err),
                     KR_OK);
    ck_assert_int_eq(mpz_cmp_ui(mpq_numref(step), 2), 0);
    ck_assert_int_eq(mpz_cmp_ui(mpq_denref(step), 1), 0);

    /* Bad steps are refused before GMP divides; out is left alone. */
    mpq_set_ui(out, 7, 1);
    mpq_set_ui(step, 0, 1);
    ck_assert_int_eq(kr_dec_round(out, x, step, KR_ROUND_HALF_UP, &err),
                     KR_EDIVZERO);
    ck_assert_int_eq(err.code, KR_EDIVZERO);
    ck_assert_int_eq(mpz_cmp_ui(mpq_numref(out), 7), 0);

    kr_error_clear(&err);
    q_from(step, "-0.01");
    ck_assert_int_eq(kr_dec_round(out, x, step, KR_ROUND_HALF_UP, &err),
                     KR_EINVALID);
    ck_assert_int_eq(err.code, KR_EINVALID);
    ck_assert_int_eq(mpz_cmp_ui(mpq_numref(out), 7), 0);
    ck_assert_int_eq(kr_dec_round(out, x, step, KR_ROUND_HALF_UP, NULL),
                     KR_EINVALID);

    kr_error_clear(&err);
    q_from(step, "0.01");
    ck_assert_int_eq(kr_dec_round(out, x, step, (kr_round_mode)6, &err),
                     KR_EINVALID);
    ck_assert_int_eq(kr_dec_round(out, x, step, (kr_round_mode)-1, NULL),
                     KR_EINVALID);
    ck_assert_int_eq(mpz_cmp_ui(mpq_numref(out), 7), 0);

    mpq_clear(x);
    mpq_clear(step);
    mpq_clear(out);
}
END_TEST

/*
 * Reference rounding of n/d (d > 0) written differently from the
 * library: direct GMP quotients for the directed modes, floor(v + 1/2)
 * style for the half modes.
 */
static void ref_round(mpz_ptr r, mpz_srcptr n, mpz_srcptr d,
                      kr_round_mode mode)
{
    mpz_t t, d2, rem;

    mpz_init(t);
    mpz_init(d2);
    mpz_init(rem);
    mpz_mul_2exp(d2, d, 1);
    switch (mode) {
    case KR_ROUND_FLOOR:
        mpz_fdiv_q(r, n, d);
        break;
    case KR_ROUND_CEILING:
        mpz_cdiv_q(r, n, d);
        break;
    case KR_ROUND_DOWN:
        mpz_tdiv_q(r, n, d);
        break;
    case KR_ROUND_UP:
        mpz_tdiv_qr(r, rem, n, d);
        if (mpz_sgn(rem) > 0) {
            mpz_add_ui(r, r, 1);
        } else if (mpz_sgn(rem) < 0) {
            mpz_sub_ui(r, r, 1);
        }
        break;
    case KR_ROUND_HALF_UP:
        /* sign(n) * floor((2|n| + d) / 2d) */
        mpz_abs(t, n);
        mpz_mul_2exp(t, t, 1);
        mpz_add(t, t, d);
        mpz_fdiv_q(r, t, d2);
        if (mpz_sgn(n) < 0) {
            mpz_neg(r, r);
        }
        break;
    case KR_ROUND_HALF_EVEN:
    default:
        /* floor(v + 1/2), then back off by one on an odd tie */
        mpz_mul_2exp(t, n, 1);
        mpz_add(t, t, d);
        mpz_fdiv_qr(r, rem, t, d2);
        if (mpz_sgn(rem) == 0 && mpz_odd_p(r)) {
            mpz_sub_ui(r, r, 1);
        }
        break;
    }
    mpz_clear(t);
    mpz_clear(d2);
    mpz_clear(rem);
}

START_TEST(test_round_sweep)
{
    static const char *const steps[] = { "1", "0.01", "0.10", "0.05", "1/3",
                                         "2.5" };
    static const long dens[] = { 1, 2, 3, 4, 5, 7, 8, 10, 40, 200, 1000 };
    mpq_t x, step, out, want;
    mpz_t n, d, k;
    size_t si, di;
    long num;
    int mode;

    mpq_init(x);
    mpq_init(step);
    mpq_init(out);
    mpq_init(want);
    mpz_init(n);
    mpz_init(d);
    mpz_init(k);
    for (si = 0; si < sizeof(steps) / sizeof(steps[0]); si++) {
        q_from(step, steps[si]);
        for (di = 0; di < sizeof(dens) / sizeof(dens[0]); di++) {
            for (num = -250; num <= 250; num++) {
                mpq_set_si(x, num, (unsigned long)dens[di]);
                mpq_canonicalize(x);
                mpz_mul(n, mpq_numref(x), mpq_denref(step));
                mpz_mul(d, mpq_denref(x), mpq_numref(step));
                for (mode = 0; mode < 6; mode++) {
                    int rc = kr_dec_round(out, x, step, (kr_round_mode)mode,
                                          NULL);

                    ref_round(k, n, d, (kr_round_mode)mode);
                    mpq_set_z(want, k);
                    mpq_mul(want, want, step);
                    /* Plain if: ck_assert costs a pipe write per call. */
                    if (rc != KR_OK || !mpq_equal(out, want)) {
                        ck_abort_msg("sweep %ld/%ld step %s mode %d", num,
                                     dens[di], steps[si], mode);
                    }
                }
            }
        }
    }
    mpz_clear(k);
    mpz_clear(d);
    mpz_clear(n);
    mpq_clear(want);
    mpq_clear(out);
    mpq_clear(step);
    mpq_clear(x);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Division, size, termination                                      */

START_TEST(test_div)
{
    mpq_t a, b, out;
    kr_error err = KR_ERROR_INIT;
    char buf[64];

    mpq_init(a);
    mpq_init(b);
    mpq_init(out);
    q_from(a, "2000");
    q_from(b, "3");
    ck_assert_int_eq(kr_dec_div(out, a, b, &err), KR_OK);
    q_text(buf, sizeof(buf), out);
    ck_assert_str_eq(buf, "2000/3");

    /* out aliases a, then b, then both. */
    ck_assert_int_eq(kr_dec_div(a, a, b, &err), KR_OK);
    ck_assert(mpq_equal(a, out));
    q_from(a, "-2000");
    ck_assert_int_eq(kr_dec_div(b, a, b, &err), KR_OK);
    q_text(buf, sizeof(buf), b);
    ck_assert_str_eq(buf, "-2000/3");
    ck_assert_int_eq(kr_dec_div(b, b, b, &err), KR_OK);
    q_text(buf, sizeof(buf), b);
    ck_assert_str_eq(buf, "1");

    /* Yearly income by 12 months is exact. */
    q_from(a, "12345.67");
    q_from(b, "12");
    ck_assert_int_eq(kr_dec_div(out, a, b, &err), KR_OK);
    q_text(buf, sizeof(buf), out);
    ck_assert_str_eq(buf, "1234567/1200");

    mpq_set_ui(out, 5, 1);
    mpq_set_ui(b, 0, 1);
    ck_assert_int_eq(kr_dec_div(out, a, b, &err), KR_EDIVZERO);
    ck_assert_int_eq(err.code, KR_EDIVZERO);
    ck_assert_int_eq(mpz_cmp_ui(mpq_numref(out), 5), 0);
    ck_assert_int_eq(kr_dec_div(out, a, b, NULL), KR_EDIVZERO);
    ck_assert_int_eq(kr_dec_div(a, a, a, NULL), KR_OK);
    mpq_set_ui(a, 0, 1);
    ck_assert_int_eq(kr_dec_div(a, a, a, NULL), KR_EDIVZERO);

    mpq_clear(a);
    mpq_clear(b);
    mpq_clear(out);
}
END_TEST

START_TEST(test_check_size)
{
    mpq_t q;
    kr_error err = KR_ERROR_INIT;

    mpq_init(q);
    ck_assert_int_eq(kr_dec_check_size(q, &err), KR_OK);
    q_from(q, "2000/3");
    ck_assert_int_eq(kr_dec_check_size(q, &err), KR_OK);

    /* numerator 2^4094 (4095 bits) + denominator 1 (1 bit) = 4096 */
    mpq_set_ui(q, 1, 1);
    mpz_mul_2exp(mpq_numref(q), mpq_numref(q), KR_DEC_MAX_BITS - 2);
    ck_assert_int_eq(kr_dec_check_size(q, &err), KR_OK);
    mpz_mul_2exp(mpq_numref(q), mpq_numref(q), 1);
    ck_assert_int_eq(kr_dec_check_size(q, &err), KR_ELIMIT);
    ck_assert_int_eq(err.code, KR_ELIMIT);
    ck_assert_int_eq(kr_dec_check_size(q, NULL), KR_ELIMIT);

    /* The denominator counts as well. */
    mpq_set_ui(q, 3, 1);
    mpz_mul_2exp(mpq_denref(q), mpq_denref(q), KR_DEC_MAX_BITS);
    ck_assert_int_eq(kr_dec_check_size(q, NULL), KR_ELIMIT);
    mpq_clear(q);
}
END_TEST

START_TEST(test_is_terminating)
{
    static const struct {
        const char *x;
        int want;
    } cases[] = {
        { "0", 1 }, { "5", 1 }, { "-5", 1 }, { "1/8", 1 }, { "7/20", 1 },
        { "1/1024", 1 }, { "1/625000", 1 }, { "-3/200", 1 },
        { "1/3", 0 }, { "1/6", 0 }, { "3/7", 0 }, { "-2000/3", 0 },
        { "1/30", 0 }, { "12345.67/12", 0 }, { "12345.60/12", 1 }
    };
    size_t i;
    mpq_t q;

    mpq_init(q);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        q_from(q, cases[i].x);
        ck_assert_msg(kr_dec_is_terminating(q) == cases[i].want, "%s",
                      cases[i].x);
    }
    mpq_clear(q);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Text                                                             */

START_TEST(test_to_string)
{
    expect_str("1/8", 2, "0.125");
    expect_str("713", 2, "713.00");
    expect_str("713", 0, "713");
    expect_str("0", 0, "0");
    expect_str("0", 2, "0.00");
    expect_str("-0", 0, "0");
    expect_str("-0.00", 2, "0.00");
    expect_str("-1/8", 0, "-0.125");
    expect_str("1/2", 0, "0.5");
    expect_str("1/2", 3, "0.500");
    expect_str("2000/3", 2, "2000/3");
    expect_str("-2000/3", 0, "-2000/3");
    expect_str("1/3", 5, "1/3");
    expect_str("1234567.5", 2, "1234567.50");
    expect_str("1/1024", 0, "0.0009765625");
    expect_str("-7/20", 3, "-0.350");
    expect_str("1/625000", 0, "0.0000016");
    expect_str("100", 0, "100");
    expect_str("-12", 0, "-12");
    expect_str("0.05", 0, "0.05");
    expect_str("130%", 2, "1.30");
    expect_str("12345.60/12", 2, "1028.80");
    expect_str("-1010.10", 1, "-1010.1");
    expect_str("5", 20, "5.00000000000000000000");
}
END_TEST

START_TEST(test_to_string_big)
{
    char text[256];
    char *s;
    mpq_t q;

    /* A 200-digit decimal prints back exactly. */
    memset(text, '7', 201);
    text[0] = '-';
    text[150] = '.';
    text[201] = '\0';
    mpq_init(q);
    q_from(q, text);
    s = kr_dec_to_string(q, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, text);
    free(s);

    /* Padding is text only: a huge min_decimals costs no GMP memory. */
    q_from(q, "1.5");
    s = kr_dec_to_string(q, 100000);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(strlen(s), 2 + 100000);
    ck_assert_int_eq(s[100001], '0');
    ck_assert_int_eq(s[2], '5');
    free(s);
    mpq_clear(q);
}
END_TEST

START_TEST(test_to_string_roundtrip)
{
    static const char *const values[] = {
        "0", "1", "-1", "0.5", "-0.125", "713.00", "1010.01", "0.0001",
        "-99999999999999999999.99999999999999999999", "130%", "1/1024"
    };
    size_t i;
    mpq_t q, back;

    mpq_init(q);
    mpq_init(back);
    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char *s;

        q_from(q, values[i]);
        s = kr_dec_to_string(q, 2);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(kr_dec_parse(back, s, strlen(s), NULL), KR_OK);
        free(s);
        ck_assert_msg(mpq_equal(q, back), "%s", values[i]);
    }
    mpq_clear(back);
    mpq_clear(q);
}
END_TEST

START_TEST(test_to_fixed)
{
    mpq_t q;

    expect_fixed("2000/3", 2, KR_ROUND_HALF_UP, "666.67");
    expect_fixed("-2000/3", 2, KR_ROUND_HALF_UP, "-666.67");
    expect_fixed("2000/3", 2, KR_ROUND_DOWN, "666.66");
    expect_fixed("2000/3", 0, KR_ROUND_HALF_UP, "667");
    expect_fixed("-0.001", 2, KR_ROUND_HALF_UP, "0.00");
    expect_fixed("-0.004", 0, KR_ROUND_DOWN, "0");
    expect_fixed("-0.004", 2, KR_ROUND_FLOOR, "-0.01");
    expect_fixed("1/8", 2, KR_ROUND_HALF_EVEN, "0.12");
    expect_fixed("1/8", 2, KR_ROUND_HALF_UP, "0.13");
    expect_fixed("-1/8", 2, KR_ROUND_HALF_UP, "-0.13");
    expect_fixed("0.135", 2, KR_ROUND_HALF_EVEN, "0.14");
    expect_fixed("713", 2, KR_ROUND_HALF_UP, "713.00");
    expect_fixed("0", 2, KR_ROUND_HALF_UP, "0.00");
    expect_fixed("0.5", 0, KR_ROUND_HALF_EVEN, "0");
    expect_fixed("1.5", 0, KR_ROUND_HALF_EVEN, "2");
    expect_fixed("2.5", 0, KR_ROUND_HALF_UP, "3");
    expect_fixed("1234.5678", 3, KR_ROUND_FLOOR, "1234.567");
    expect_fixed("-1234.5678", 3, KR_ROUND_FLOOR, "-1234.568");
    expect_fixed("-1234.5678", 3, KR_ROUND_CEILING, "-1234.567");
    expect_fixed("0.05", 1, KR_ROUND_HALF_UP, "0.1");
    expect_fixed("0.04", 1, KR_ROUND_UP, "0.1");
    expect_fixed("1/3", 10, KR_ROUND_HALF_UP, "0.3333333333");
    expect_fixed("0.999", 2, KR_ROUND_HALF_UP, "1.00");
    expect_fixed("9.995", 2, KR_ROUND_HALF_UP, "10.00");
    expect_fixed("0.0001", 6, KR_ROUND_HALF_UP, "0.000100");

    mpq_init(q);
    q_from(q, "1/3");
    ck_assert_ptr_null(kr_dec_to_fixed(q, 2, (kr_round_mode)6));
    ck_assert_ptr_null(kr_dec_to_fixed(q, 10001, KR_ROUND_HALF_UP));
    mpq_clear(q);
}
END_TEST

START_TEST(test_group)
{
    expect_group("1234567.50", "pl", "1 234 567,50");
    expect_group("1234567.50", "en", "1,234,567.50");
    expect_group("1010.00", "pl", "1 010,00");
    expect_group("1010.00", "en", "1,010.00");
    expect_group("-1010.5", "en", "-1,010.5");
    expect_group("-1010.5", "pl", "-1 010,5");
    expect_group("999.99", "pl", "999,99");
    expect_group("0.00", "pl", "0,00");
    expect_group("-0.00", "pl", "0,00");
    expect_group("-0", "en", "0");
    expect_group("1000", "en", "1,000");
    expect_group("100", "en", "100");
    expect_group("5", "pl", "5");
    expect_group("123456", "pl", "123 456");
    expect_group("-1234567.891", "en", "-1,234,567.891");
    expect_group("12345678901234567890", "en",
                 "12,345,678,901,234,567,890");

    expect_group("", "pl", NULL);
    expect_group("-", "pl", NULL);
    expect_group("1.", "pl", NULL);
    expect_group(".5", "pl", NULL);
    expect_group("1,5", "pl", NULL);
    expect_group("2000/3", "pl", NULL);
    expect_group("1e3", "en", NULL);
    expect_group(" 1", "en", NULL);
    expect_group("1 ", "en", NULL);
    expect_group("+1", "en", NULL);
    expect_group("12%", "en", NULL);
    expect_group("1.2.3", "en", NULL);
    expect_group("--1", "en", NULL);
    expect_group("1.00", "de", NULL);
    expect_group("1.00", "", NULL);
    ck_assert_ptr_null(kr_dec_group(NULL, "pl"));
    ck_assert_ptr_null(kr_dec_group("1.00", NULL));
}
END_TEST


/* The machine-word fast path of add/sub/mul/cmp against plain GMP, over
 * amounts, fractions and values at the edge of a long (where the fast
 * path must hand over to GMP): every result must be the same rational. */
START_TEST(test_fast_path_equals_gmp)
{
    static const char *const vals[] = {
        "0", "1", "-1", "0.01", "-0.01", "659.34", "1010.00", "823",
        "130%", "0.5", "1069.90", "-2500.75", "9223372036854775807",
        "-9223372036854775807", "4611686018427387904", "3037000499",
        "3037000500", "0.000000001", "92233720368547758.07",
        "12345678901234567890123", "-0.333"
    };
    const size_t n = sizeof(vals) / sizeof(vals[0]);
    mpq_t a, b, f, g, third;
    size_t i, j;
    int k;

    mpq_init(a);
    mpq_init(b);
    mpq_init(f);
    mpq_init(g);
    mpq_init(third);
    mpq_set_ui(third, 1, 3);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            for (k = 0; k < 2; k++) {
                ck_assert_int_eq(kr_dec_parse(a, vals[i], strlen(vals[i]),
                                              NULL), KR_OK);
                ck_assert_int_eq(kr_dec_parse(b, vals[j], strlen(vals[j]),
                                              NULL), KR_OK);
                if (k) {
                    /* non-decimal denominators too */
                    mpq_mul(a, a, third);
                }
                kr_dec_add(f, a, b);
                mpq_add(g, a, b);
                ck_assert_msg(mpq_equal(f, g), "add %s %s", vals[i],
                              vals[j]);
                kr_dec_sub(f, a, b);
                mpq_sub(g, a, b);
                ck_assert_msg(mpq_equal(f, g), "sub %s %s", vals[i],
                              vals[j]);
                kr_dec_mul(f, a, b);
                mpq_mul(g, a, b);
                ck_assert_msg(mpq_equal(f, g), "mul %s %s", vals[i],
                              vals[j]);
                ck_assert_int_eq(kr_dec_cmp(a, b) > 0, mpq_cmp(a, b) > 0);
                ck_assert_int_eq(kr_dec_cmp(a, b) < 0, mpq_cmp(a, b) < 0);
                if (mpq_sgn(b) != 0) {
                    ck_assert_int_eq(kr_dec_div(f, a, b, NULL), KR_OK);
                    mpq_div(g, a, b);
                    ck_assert_msg(mpq_equal(f, g), "div %s %s", vals[i],
                                  vals[j]);
                }
                kr_dec_set(f, a);
                ck_assert(mpq_equal(f, a));
                /* aliasing: out is an operand */
                mpq_set(f, a);
                kr_dec_add(f, f, b);
                mpq_add(g, a, b);
                ck_assert(mpq_equal(f, g));
            }
        }
    }
    mpq_clear(a);
    mpq_clear(b);
    mpq_clear(f);
    mpq_clear(g);
    mpq_clear(third);
}
END_TEST

/* The same over pseudo-random operands with mixed denominators (equal,
 * coprime, sharing factors), where the fast path takes each of its
 * branches; a fixed seed keeps the test repeatable. */
START_TEST(test_fast_path_random)
{
    static const long dens[] = { 1, 2, 3, 4, 5, 6, 12, 25, 100, 7, 360,
                                 1000000007L, 4611686018427387903L };
    const size_t nd = sizeof(dens) / sizeof(dens[0]);
    unsigned long long x = 88172645463325252ULL;
    mpq_t a, b, f, g;
    long i, v[4];
    int k;

    mpq_init(a);
    mpq_init(b);
    mpq_init(f);
    mpq_init(g);
    for (i = 0; i < 200000; i++) {
        for (k = 0; k < 4; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v[k] = (long)(x >> (k & 1 ? 1 : 1 + x % 62));
        }
        mpq_set_si(a, x & 1 ? -v[0] : v[0],
                   (unsigned long)dens[(unsigned long)v[1] % nd]);
        mpq_set_si(b, x >> 1 & 1 ? -v[2] : v[2],
                   (unsigned long)dens[(unsigned long)v[3] % nd]);
        mpq_canonicalize(a);
        mpq_canonicalize(b);
        kr_dec_add(f, a, b);
        mpq_add(g, a, b);
        if (!mpq_equal(f, g)) {
            ck_abort_msg("add, iteration %ld", i);
        }
        kr_dec_sub(f, a, b);
        mpq_sub(g, a, b);
        if (!mpq_equal(f, g)) {
            ck_abort_msg("sub, iteration %ld", i);
        }
        kr_dec_mul(f, a, b);
        mpq_mul(g, a, b);
        if (!mpq_equal(f, g)) {
            ck_abort_msg("mul, iteration %ld", i);
        }
        if (mpq_sgn(b) != 0) {
            kr_dec_div(f, a, b, NULL);
            mpq_div(g, a, b);
            if (!mpq_equal(f, g)) {
                ck_abort_msg("div, iteration %ld", i);
            }
        }
        if ((kr_dec_cmp(a, b) > 0) != (mpq_cmp(a, b) > 0) ||
            (kr_dec_cmp(a, b) < 0) != (mpq_cmp(a, b) < 0)) {
            ck_abort_msg("cmp, iteration %ld", i);
        }
        kr_dec_set_si(f, v[0]);
        mpq_set_si(g, v[0], 1);
        if (!mpq_equal(f, g)) {
            ck_abort_msg("set_si, iteration %ld", i);
        }
    }
    mpq_clear(a);
    mpq_clear(b);
    mpq_clear(f);
    mpq_clear(g);
}
END_TEST

static Suite *decimal_suite(void)
{
    Suite *s = suite_create("decimal");
    TCase *tc;

    tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_valid);
    tcase_add_test(tc, test_parse_limits);
    tcase_add_test(tc, test_parse_not_terminated);
    tcase_add_test(tc, test_parse_invalid);
    tcase_add_test(tc, test_parse_message);
    tcase_add_test(tc, test_parse_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("round");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mode_names);
    tcase_add_test(tc, test_round_grosz);
    tcase_add_test(tc, test_round_zloty);
    tcase_add_test(tc, test_round_ten_groszy);
    tcase_add_test(tc, test_round_other_steps);
    tcase_add_test(tc, test_round_huge);
    tcase_add_test(tc, test_round_alias_and_errors);
    tcase_add_test(tc, test_round_sweep);
    suite_add_tcase(s, tc);

    tc = tcase_create("arith");
    tcase_add_test(tc, test_div);
    tcase_add_test(tc, test_check_size);
    tcase_add_test(tc, test_is_terminating);
    tcase_add_test(tc, test_fast_path_equals_gmp);
    tcase_add_test(tc, test_fast_path_random);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_test(tc, test_to_string);
    tcase_add_test(tc, test_to_string_big);
    tcase_add_test(tc, test_to_string_roundtrip);
    tcase_add_test(tc, test_to_fixed);
    tcase_add_test(tc, test_group);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(decimal_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
