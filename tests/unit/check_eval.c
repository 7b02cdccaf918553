/*
 * check_eval.c - evaluation through the public API (lib/eval.c,
 * lib/result.c, lib/household.c and the rule loader they depend on).
 *
 * Every rule file is written here, small enough to compute the expected
 * figures by hand; the comments next to the expectations show the sums.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "kryterium.h"
#include "testutil.h"

/* ---------------------------------------------------------------- */
/* Fixtures                                                         */

/*
 * Inputs, parameters and a scale shared by most tests.  The parameter
 * kryt has a gap from 2025-07-01 to 2025-07-31.
 */
#define BASE_DECLS                                                         \
    "<input id=\"x\" entity=\"household\" type=\"decimal\" "               \
    "default=\"0\"/>\n"                                                    \
    "<input id=\"m\" entity=\"household\" type=\"money\" "                 \
    "default=\"0\"/>\n"                                                    \
    "<input id=\"n\" entity=\"household\" type=\"integer\" "               \
    "default=\"0\"/>\n"                                                    \
    "<input id=\"ur\" entity=\"person\" type=\"date\"/>\n"                 \
    "<input id=\"dochod\" entity=\"person\" type=\"money\" "               \
    "default=\"0\"/>\n"                                                    \
    "<input id=\"niepelnosprawny\" entity=\"person\" type=\"boolean\" "    \
    "default=\"false\"/>\n"                                                \
    "<input id=\"kwota\" entity=\"income\" type=\"money\" min=\"0\"/>\n"   \
    "<input id=\"zrodlo\" entity=\"income\" type=\"enum\">\n"              \
    "  <option value=\"praca\"/><option value=\"alimenty\"/>\n"            \
    "  <option value=\"zasilek\"/>\n"                                      \
    "</input>\n"                                                           \
    "<parameter id=\"kryt\" type=\"money\" unit=\"zł\" "                   \
    "ref=\"ups art. 8 ust. 1\">\n"                                         \
    "  <label lang=\"pl\">Kryterium dochodowe</label>\n"                   \
    "  <value from=\"2022-01-01\" until=\"2024-12-31\" "                   \
    "source=\"Dz.U. 2021 poz. 1296\">776.00</value>\n"                     \
    "  <value from=\"2025-01-01\" until=\"2025-06-30\" "                   \
    "source=\"Dz.U. 2024 poz. 1044\">1010.00</value>\n"                    \
    "  <value from=\"2025-08-01\" "                                        \
    "source=\"Dz.U. 2025 poz. 9\">1100.00</value>\n"                       \
    "</parameter>\n"                                                       \
    "<parameter id=\"maks\" type=\"money\">\n"                             \
    "  <value from=\"2000-01-01\" source=\"s\">719.00</value>\n"           \
    "</parameter>\n"                                                       \
    "<parameter id=\"mini\" type=\"money\">\n"                             \
    "  <value from=\"2000-01-01\" source=\"s\">30.00</value>\n"            \
    "</parameter>\n"                                                       \
    "<scale id=\"odpl\" type=\"decimal\" ref=\"uchwała\">\n"               \
    "  <period from=\"2020-01-01\" source=\"Uchwała Nr 1\">\n"             \
    "    <bracket upto=\"100%\">0</bracket>\n"                             \
    "    <bracket above=\"100%\" upto=\"130%\">5%</bracket>\n"             \
    "    <bracket above=\"130%\">100%</bracket>\n"                         \
    "  </period>\n"                                                        \
    "</scale>\n"                                                           \
    "<value id=\"dochod_osoby\" entity=\"person\" type=\"money\">\n"       \
    "  <formula>sum(income: kwota)</formula>\n"                            \
    "</value>\n"

/*
 * The household on 2025-03-10: p4 turns 18 that very day, p5 the day
 * after; p1 and p2 have three income items between them.
 */
static const char APP[] =
    "<application xmlns=\"" TU_ANS "\" id=\"T/1\" date=\"2025-03-10\">\n"
    " <household><x>0.125</x></household>\n"
    " <person id=\"p1\" role=\"applicant\">\n"
    "  <ur>1980-03-10</ur><dochod>1000.00</dochod>\n"
    "  <income zrodlo=\"praca\" kwota=\"2500.00\"/>\n"
    "  <income zrodlo=\"alimenty\" kwota=\"500.00\"/>\n"
    " </person>\n"
    " <person id=\"p2\" role=\"spouse\" ur=\"1982-07-01\" dochod=\"500\">\n"
    "  <income zrodlo=\"praca\" kwota=\"1200.00\"/>\n"
    " </person>\n"
    " <person id=\"p3\" role=\"child\" ur=\"2010-05-20\">\n"
    "  <niepelnosprawny>true</niepelnosprawny>\n"
    " </person>\n"
    " <person id=\"p4\" role=\"child\" ur=\"2007-03-10\"/>\n"
    " <person id=\"p5\" role=\"child\" ur=\"2007-03-11\"/>\n"
    "</application>\n";

/* One person, no spouse, p2's birth date missing is another app. */
static const char APP_ALONE[] =
    "<application xmlns=\"" TU_ANS "\" id=\"T/2\" date=\"2025-03-10\">\n"
    " <person id=\"a\" role=\"applicant\" ur=\"1950-01-01\"/>\n"
    "</application>\n";

static const char APP_NO_UR[] =
    "<application xmlns=\"" TU_ANS "\" id=\"T/3\" date=\"2025-03-10\">\n"
    " <person id=\"p1\" role=\"applicant\" ur=\"1980-01-01\"/>\n"
    " <person id=\"p2\" role=\"spouse\"/>\n"
    "</application>\n";

/* XML-escape a formula into buf. */
static void xml_escape(char *buf, size_t n, const char *s)
{
    size_t l = 0;

    for (; *s; s++) {
        const char *r = *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
                        : *s == '&' ? "&amp;" : NULL;
        size_t k = r ? strlen(r) : 1;
        ck_assert_msg(l + k < n, "formula too long");
        if (r) {
            memcpy(buf + l, r, k);
        } else {
            buf[l] = *s;
        }
        l += k;
    }
    buf[l] = '\0';
}

/* BASE_DECLS plus `extra` plus a value v of type `type`. */
static char *rules_with_v(const char *type, const char *formula,
                          const char *extra)
{
    char esc[2048];
    size_t n;
    char *s;

    xml_escape(esc, sizeof(esc), formula);
    n = strlen(BASE_DECLS) + strlen(extra) + strlen(esc) + 256;
    s = malloc(n);
    ck_assert_ptr_nonnull(s);
    snprintf(s, n, "%s%s%s<value id=\"v\" type=\"%s\">\n"
             "  <formula>%s</formula>\n</value>\n%s", TU_RULES_OPEN("t"),
             BASE_DECLS, extra, type, esc, TU_RULES_CLOSE);
    return s;
}

/*
 * Value v = formula (declared type), on app (NULL: APP), at date (NULL:
 * the application's), with at most one --set.  Returns the code.
 */
static int fval(char *buf, size_t n, const char *type, const char *formula,
                const char *app, const char *date, const char *set,
                kr_error *err)
{
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    char *rules = rules_with_v(type, formula, "");
    int rc;

    opts.date = date;
    if (set) {
        opts.set = &set;
        opts.nset = 1;
    }
    rc = tu_eval_value(buf, n, rules, app ? app : APP, &opts, "v", err);
    free(rules);
    return rc;
}

static void expect_v(const char *type, const char *formula,
                     const char *date, const char *set, const char *want)
{
    char got[256];
    kr_error err;
    int rc = fval(got, sizeof(got), type, formula, NULL, date, set, &err);

    ck_assert_msg(rc == KR_OK, "%s [%s] on %s set %s: rc %d: %s:%lu: %s",
                  type, formula, date ? date : "-", set ? set : "-", rc,
                  err.file, err.line, err.msg);
    ck_assert_msg(strcmp(got, want) == 0,
                  "%s [%s] on %s set %s = %s, want %s", type, formula,
                  date ? date : "-", set ? set : "-", got, want);
}

static void expect_v_err(const char *type, const char *formula,
                         const char *app, const char *date, const char *set,
                         kr_code code, const char *phrase)
{
    char got[256];
    kr_error err;
    int rc = fval(got, sizeof(got), type, formula, app, date, set, &err);

    ck_assert_msg(rc == (int)code && err.code == code,
                  "[%s] on %s: rc %d (value %s), want %d; %s", formula,
                  date ? date : "-", rc, got, code, err.msg);
    TU_ASSERT_HAS(err.msg, phrase);
}

/* ---------------------------------------------------------------- */
/* Arithmetic                                                       */

START_TEST(test_exact_thirds)
{
    expect_v("decimal", "1/3 + 1/3 + 1/3", NULL, NULL, "1");
    expect_v("boolean", "1/3 + 1/3 + 1/3 = 1", NULL, NULL, "true");
    /* 0.1 + 0.2 is 0.3 exactly, unlike in binary floating point */
    expect_v("boolean", "0.1 + 0.2 = 0.3", NULL, NULL, "true");
    expect_v("decimal", "2000 / 3", NULL, NULL, "2000/3");
    expect_v("decimal", "-2000 / 3", NULL, NULL, "-2000/3");
    expect_v("decimal", "2000 / 3 * 3", NULL, NULL, "2000");
    /* money keeps two decimals when terminating, else a fraction */
    expect_v("money", "m / 3", NULL, "m=2000", "2000/3");
    expect_v("money", "m / 4", NULL, "m=2000", "500.00");
    expect_v("money", "m / 8", NULL, "m=1", "0.125");
    expect_v("decimal", "x * 8", NULL, NULL, "1");
    expect_v("decimal", "130% * 100", NULL, NULL, "130");
    /* a very long exact fraction: (1/3)^10 */
    expect_v("decimal", "1/3 * 1/3 * 1/3 * 1/3 * 1/3 * 1/3 * 1/3 * 1/3 "
             "* 1/3 * 1/3", NULL, NULL, "1/59049");
}
END_TEST

START_TEST(test_round_modes)
{
    /* 2000 / 3 = 666.666... */
    expect_v("money", "round(m / 3, 0.01, \"half-up\")", NULL, "m=2000",
             "666.67");
    expect_v("money", "round(m / 3, 1, \"down\")", NULL, "m=2000",
             "666.00");
    /* ties: 0.125 */
    expect_v("decimal", "round(x, 0.01, \"half-up\")", NULL, "x=0.125",
             "0.13");
    expect_v("decimal", "round(x, 0.01, \"half-even\")", NULL, "x=0.125",
             "0.12");
    expect_v("decimal", "round(x, 0.01, \"half-even\")", NULL, "x=0.135",
             "0.14");
    expect_v("decimal", "round(x, 0.01, \"half-up\")", NULL, "x=-0.125",
             "-0.13");
    expect_v("decimal", "round(x, 0.01, \"half-even\")", NULL, "x=-0.125",
             "-0.12");
    /* directed modes on a negative: -1.234 */
    expect_v("decimal", "round(x, 0.01, \"floor\")", NULL, "x=-1.234",
             "-1.24");
    expect_v("decimal", "round(x, 0.01, \"ceiling\")", NULL, "x=-1.234",
             "-1.23");
    expect_v("decimal", "round(x, 0.01, \"down\")", NULL, "x=-1.234",
             "-1.23");
    expect_v("decimal", "round(x, 0.01, \"up\")", NULL, "x=-1.234",
             "-1.24");
    /* and on a positive: 1.234 */
    expect_v("decimal", "round(x, 0.01, \"floor\")", NULL, "x=1.234",
             "1.23");
    expect_v("decimal", "round(x, 0.01, \"ceiling\")", NULL, "x=1.234",
             "1.24");
    expect_v("decimal", "round(x, 0.01, \"down\")", NULL, "x=1.234",
             "1.23");
    expect_v("decimal", "round(x, 0.01, \"up\")", NULL, "x=1.234",
             "1.24");
    /* whole złoty upward, 10 groszy */
    expect_v("decimal", "round(x, 1, \"ceiling\")", NULL, "x=10.01",
             "11");
    expect_v("decimal", "round(x, 0.1, \"half-up\")", NULL, "x=0.25",
             "0.3");
    /* a value already on the step is unchanged in every mode */
    expect_v("decimal", "round(x, 0.01, \"up\")", NULL, "x=-1.23",
             "-1.23");
}
END_TEST

START_TEST(test_division_by_zero)
{
    expect_v_err("decimal", "x / n", NULL, NULL, NULL, KR_EDIVZERO,
                 "division by zero");
    expect_v_err("decimal", "1 / (x - x)", NULL, NULL, NULL, KR_EDIVZERO,
                 "division by zero");
    /* laziness: the branch not taken is not evaluated */
    expect_v("decimal", "if n = 0 then 0 else x / n", NULL, NULL, "0");
    expect_v("boolean", "n = 0 or x / n > 1", NULL, NULL, "true");
    expect_v("boolean", "n != 0 and x / n > 1", NULL, NULL, "false");
}
END_TEST

START_TEST(test_division_by_zero_position)
{
    char got[64];
    kr_error err;
    char *rules = rules_with_v("decimal", "1 +\n  x / n", "");
    int rc = tu_eval_value(got, sizeof(got), rules, APP, NULL, "v", &err);

    /* the <value> element is the last but one line of the file; the
     * formula's second line is the line after <formula> */
    ck_assert_int_eq(rc, KR_EDIVZERO);
    ck_assert_str_eq(err.file, "rules.xml");
    ck_assert_uint_eq(err.line, tu_line_of(rules, "x / n"));
    ck_assert_uint_eq(err.column, 5);
    free(rules);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Parameters and periods                                           */

START_TEST(test_parameter_periods)
{
    expect_v("money", "kryt", "2022-01-01", NULL, "776.00");
    expect_v("money", "kryt", "2024-12-31", NULL, "776.00");
    expect_v("money", "kryt", "2025-01-01", NULL, "1010.00");
    expect_v("money", "kryt", "2025-06-30", NULL, "1010.00");
    expect_v("money", "kryt", "2025-08-01", NULL, "1100.00");
    expect_v("money", "kryt", "2099-12-31", NULL, "1100.00");
    /* the application's date when no date is given */
    expect_v("money", "kryt", NULL, NULL, "1010.00");
    /* at(): a parameter on another date */
    expect_v("money", "at(kryt, date(\"2023-05-01\"))", NULL, NULL,
             "776.00");
    expect_v("money", "at(kryt, add_months(today, 5))", NULL, NULL,
             "1100.00");
}
END_TEST

START_TEST(test_parameter_gap)
{
    char got[64];
    kr_error err;
    int rc;

    /* in the gap, before the first value: an error, never zero */
    expect_v_err("money", "kryt", NULL, "2025-07-01", NULL, KR_EEVAL,
                 "parameter 'kryt' has no value in force on 2025-07-01");
    expect_v_err("money", "kryt", NULL, "2025-07-31", NULL, KR_EEVAL,
                 "no value in force");
    expect_v_err("money", "kryt", NULL, "2021-12-31", NULL, KR_EEVAL,
                 "a missing value is never taken as zero");
    expect_v_err("money", "kryt + 0", NULL, "2025-07-15", NULL, KR_EEVAL,
                 "no value in force");
    expect_v_err("money", "at(kryt, date(\"2025-07-02\"))", NULL, NULL,
                 NULL, KR_EEVAL, "no value in force on 2025-07-02");
    /* the error names the parameter's file and line */
    rc = fval(got, sizeof(got), "money", "kryt", NULL, "2025-07-15", NULL,
              &err);
    ck_assert_int_eq(rc, KR_EEVAL);
    ck_assert_str_eq(err.file, "rules.xml");
    ck_assert_uint_eq(err.line, tu_line_of(TU_RULES_OPEN("t") BASE_DECLS,
                                           "<parameter id=\"kryt\""));
    /* lazy: a parameter not in force is fine where it is not used */
    expect_v("money", "if n = 0 then 5 else kryt", "2025-07-15", NULL,
             "5.00");
    /* --set gives a value even in the gap */
    expect_v("money", "kryt", "2025-07-15", "kryt=999.99", "999.99");
}
END_TEST

/* One result recycled over applications of different dates (what a
 * batch worker does): parameter values found for one date must not leak
 * into the next evaluation, nor values computed under a what-if. */
/* Value v of these rules on APP must read `want` compiled, walked and
 * traced alike. */
static void expect_three_ways(const char *rules_xml, const char *want)
{
    kr_eval_opts walk = KR_EVAL_OPTS_INIT, trace = KR_EVAL_OPTS_INIT;
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_error err;

    walk.flags = KR_EVAL_WALK;
    trace.flags = KR_EVAL_TRACE;
    TU_ASSERT_OK(tu_rules(&r, "rules.xml", rules_xml, &err), err);
    TU_ASSERT_OK(tu_app(&a, r, "app.xml", APP, &err), err);
    TU_EXPECT_VALUE(r, a, NULL, "v", want);
    TU_EXPECT_VALUE(r, a, &walk, "v", want);
    TU_EXPECT_VALUE(r, a, &trace, "v", want);
    kr_app_free(a);
    kr_rules_free(r);
}

/* A chain of 60 values, each the one before plus 1: deeper than the
 * compiled code's inline calls go (48), so the last ones are computed
 * through eval_value(); the result must not depend on the way. */
START_TEST(test_deep_value_chain)
{
    char extra[8192], *xml;
    size_t n = 0;
    int i;

    n += (size_t)snprintf(extra + n, sizeof(extra) - n,
                          "<value id=\"c1\" type=\"integer\">"
                          "<formula>1</formula></value>\n");
    for (i = 2; i <= 60; i++) {
        n += (size_t)snprintf(extra + n, sizeof(extra) - n,
                              "<value id=\"c%d\" type=\"integer\">"
                              "<formula>c%d + 1</formula></value>\n", i,
                              i - 1);
    }
    xml = rules_with_v("integer", "c60 * 2", extra);
    expect_three_ways(xml, "120");
    free(xml);
}
END_TEST

/* 1 + (1 + (1 + ...)) forty deep needs more operand stack than compiled
 * code is given (32 levels): it is walked as a tree, with the same
 * result whichever way it is asked for. */
START_TEST(test_deep_formula)
{
    char f[512], *xml;
    size_t n = 0;
    int i;

    for (i = 0; i < 39; i++) {
        n += (size_t)snprintf(f + n, sizeof(f) - n, "1 + (");
    }
    n += (size_t)snprintf(f + n, sizeof(f) - n, "1");
    for (i = 0; i < 39; i++) {
        n += (size_t)snprintf(f + n, sizeof(f) - n, ")");
    }
    xml = rules_with_v("integer", f, "");
    expect_three_ways(xml, "40");
    free(xml);
}
END_TEST

START_TEST(test_reuse_across_dates)
{
    static const struct {
        const char *date, *set, *want;
        int rc;
    } steps[] = {
        { "2024-12-31", NULL, "776.00", KR_OK },
        { "2024-12-31", NULL, "776.00", KR_OK },
        { "2025-01-01", NULL, "1010.00", KR_OK },
        { "2025-01-01", "kryt=5", "5.00", KR_OK },
        { "2025-01-01", NULL, "1010.00", KR_OK },
        { "2025-07-15", NULL, "", KR_EEVAL },   /* the gap */
        { "2025-08-01", NULL, "1100.00", KR_OK },
        { "2022-01-01", NULL, "776.00", KR_OK },
    };
    char *xml = rules_with_v("money", "kryt + 0", "");
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_result *res = NULL;
    kr_error err;
    size_t i;

    TU_ASSERT_OK(tu_rules(&r, "rules.xml", xml, &err), err);
    TU_ASSERT_OK(tu_app(&a, r, "app.xml", APP, &err), err);
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        kr_eval_opts opts = KR_EVAL_OPTS_INIT;
        const char *v = NULL;
        int rc;
        opts.date = steps[i].date;
        if (steps[i].set) {
            opts.set = &steps[i].set;
            opts.nset = 1;
        }
        TU_ASSERT_OK(kr_eval_reuse(&res, r, a, &opts, &err), err);
        rc = kr_result_value(&v, res, "v", &err);
        ck_assert_msg(rc == steps[i].rc, "step %zu: rc %d (%s)", i, rc,
                      err.msg);
        if (rc == KR_OK) {
            ck_assert_str_eq(v, steps[i].want);
        }
    }
    kr_result_free(res);
    kr_app_free(a);
    kr_rules_free(r);
    free(xml);
}
END_TEST

START_TEST(test_scale_brackets)
{
    /* above < x <= upto: an edge belongs to the lower bracket */
    expect_v("decimal", "odpl(x)", NULL, "x=-5", "0");
    expect_v("decimal", "odpl(x)", NULL, "x=1", "0");
    expect_v("decimal", "odpl(x)", NULL, "x=1.0000001", "0.05");
    expect_v("decimal", "odpl(x)", NULL, "x=1.3", "0.05");
    expect_v("decimal", "odpl(x)", NULL, "x=1.30000001", "1");
    expect_v("decimal", "odpl(x)", NULL, "x=1000", "1");
    expect_v("decimal", "odpl(m / kryt)", NULL, "m=1010", "0");
    expect_v("decimal", "odpl(m / kryt)", NULL, "m=1313", "0.05");
    expect_v("decimal", "odpl(m / kryt)", NULL, "m=1313.01", "1");
    /* exact fractions at the edge: 13/10 exactly is still 5% */
    expect_v("decimal", "odpl(13 / 10)", NULL, NULL, "0.05");
    expect_v("decimal", "odpl(130% + 1/1000000000000)", NULL, NULL, "1");
    /* no period in force */
    expect_v_err("decimal", "odpl(x)", NULL, "2019-12-31", NULL, KR_EEVAL,
                 "scale 'odpl' has no period in force on 2019-12-31");
}
END_TEST

START_TEST(test_scale_no_bracket)
{
    static const char extra[] =
        "<scale id=\"tab\" type=\"money\">\n"
        "  <period from=\"2020-01-01\" source=\"s\">\n"
        "    <bracket above=\"0\" upto=\"10\">1.00</bracket>\n"
        "    <bracket above=\"10\">2.00</bracket>\n"
        "  </period>\n"
        "</scale>\n";
    char *rules = rules_with_v("money", "tab(x)", extra);
    const char *set = "x=0";
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    char got[64];
    kr_error err;
    int rc;

    opts.set = &set;
    opts.nset = 1;
    rc = tu_eval_value(got, sizeof(got), rules, APP, &opts, "v", &err);
    TU_ASSERT_ERR(rc, err, KR_EEVAL, "scale 'tab': no bracket holds 0");
    set = "x=10";
    rc = tu_eval_value(got, sizeof(got), rules, APP, &opts, "v", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "1.00");
    set = "x=10.01";
    rc = tu_eval_value(got, sizeof(got), rules, APP, &opts, "v", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "2.00");
    free(rules);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Cases                                                            */

static const char CASES[] =
    "<value id=\"first\" type=\"integer\">\n"
    "  <cases match=\"first\">\n"
    "    <case when=\"n &gt; 0\">1</case>\n"
    "    <case when=\"n &gt; 5\">2</case>\n"
    "    <otherwise>3</otherwise>\n"
    "  </cases>\n"
    "</value>\n"
    "<value id=\"uniq\" type=\"integer\">\n"
    "  <cases match=\"unique\">\n"
    "    <case when=\"n &gt; 0\" ref=\"A\">10</case>\n"
    "    <case when=\"n &gt; 5\" ref=\"B\">20</case>\n"
    "  </cases>\n"
    "</value>\n"
    "<value id=\"lazy\" type=\"decimal\">\n"
    "  <cases>\n"
    "    <case when=\"n = 0\">0</case>\n"
    "    <case when=\"x / n &gt; 1\">1</case>\n"
    "    <otherwise>kryt / m</otherwise>\n"
    "  </cases>\n"
    "</value>\n";

static int cases_value(char *got, size_t n, const char *name,
                       const char *set, kr_error *err)
{
    char *rules = rules_with_v("integer", "first", CASES);
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    int rc;

    opts.set = &set;
    opts.nset = 1;
    rc = tu_rules(&r, "cases.xml", rules, err);
    TU_ASSERT_OK(rc, *err);
    rc = tu_app(&a, r, "app.xml", APP, err);
    TU_ASSERT_OK(rc, *err);
    rc = tu_value(got, n, r, a, &opts, name, err);
    kr_app_free(a);
    kr_rules_free(r);
    free(rules);
    return rc;
}

START_TEST(test_cases_first_unique)
{
    char got[64];
    kr_error err;
    char *rules = rules_with_v("integer", "first", CASES);
    unsigned long la = tu_line_of(rules, "ref=\"A\"");
    unsigned long lb = tu_line_of(rules, "ref=\"B\"");
    char want[128];
    int rc;

    free(rules);
    rc = cases_value(got, sizeof(got), "first", "n=7", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "1");
    rc = cases_value(got, sizeof(got), "first", "n=3", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "1");
    rc = cases_value(got, sizeof(got), "first", "n=-1", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "3");
    /* the result is also what v (= first) says */
    rc = cases_value(got, sizeof(got), "v", "n=-1", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "3");

    rc = cases_value(got, sizeof(got), "uniq", "n=3", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "10");
    /* n = 7: both cases hold, an error naming both lines */
    rc = cases_value(got, sizeof(got), "uniq", "n=7", &err);
    TU_ASSERT_ERR(rc, err, KR_EEVAL, "match=\"unique\"");
    snprintf(want, sizeof(want), "cases at lines %lu and %lu both apply",
             la, lb);
    TU_ASSERT_HAS(err.msg, want);
    ck_assert_str_eq(err.file, "cases.xml");
    ck_assert_uint_eq(err.line, lb);
    /* no case and no otherwise */
    rc = cases_value(got, sizeof(got), "uniq", "n=0", &err);
    TU_ASSERT_ERR(rc, err, KR_EEVAL, "value 'uniq': no case applies");
}
END_TEST

START_TEST(test_cases_lazy)
{
    char got[64];
    kr_error err;
    int rc;

    /* n = 0: the second when (x / n) is never evaluated */
    rc = cases_value(got, sizeof(got), "lazy", "n=0", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "0");
    /* n = 1, x = 0.125: neither; otherwise kryt / m with m = 0 */
    rc = cases_value(got, sizeof(got), "lazy", "n=1", &err);
    TU_ASSERT_ERR(rc, err, KR_EDIVZERO, "division by zero");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Dates and ages                                                   */

START_TEST(test_age)
{
    /* art. 112 KC: the year is completed at the start of the birthday */
    expect_v("integer", "age(date(\"2000-03-10\"))", "2025-03-10", NULL,
             "25");
    expect_v("integer", "age(date(\"2000-03-10\"))", "2025-03-09", NULL,
             "24");
    expect_v("integer", "age(date(\"2000-03-10\"), date(\"2001-03-10\"))",
             NULL, NULL, "1");
    expect_v("integer", "age(date(\"2000-03-10\"), date(\"2000-03-10\"))",
             NULL, NULL, "0");
    /* born 29 February: in a common year, on 28 February */
    expect_v("integer", "age(date(\"2004-02-29\"))", "2025-02-28", NULL,
             "21");
    expect_v("integer", "age(date(\"2004-02-29\"))", "2025-02-27", NULL,
             "20");
    expect_v("integer", "age(date(\"2004-02-29\"))", "2025-03-01", NULL,
             "21");
    expect_v("integer", "age(date(\"2004-02-29\"))", "2024-02-29", NULL,
             "20");
    expect_v("integer", "age(date(\"2004-02-29\"))", "2024-02-28", NULL,
             "19");
    expect_v_err("integer", "age(date(\"2026-01-01\"))", NULL, NULL, NULL,
                 KR_EEVAL, "age(): birth date 2026-01-01 is after "
                 "2025-03-10");
}
END_TEST

START_TEST(test_person_age_birthday)
{
    static const char extra[] =
        "<value id=\"wiek\" entity=\"person\" type=\"integer\">\n"
        "  <formula>age(ur)</formula>\n"
        "</value>\n";
    char *rules = rules_with_v("integer", "count(person where wiek < 18)",
                               extra);
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    char got[64];
    kr_error err;
    int rc;

    rc = tu_rules(&r, "rules.xml", rules, &err);
    TU_ASSERT_OK(rc, err);
    rc = tu_app(&a, r, "app.xml", APP, &err);
    TU_ASSERT_OK(rc, err);
    /* 2025-03-10: p4 is 18 today, p5 17, p3 14 */
    TU_EXPECT_VALUE(r, a, NULL, "p4.wiek", "18");
    TU_EXPECT_VALUE(r, a, NULL, "p5.wiek", "17");
    TU_EXPECT_VALUE(r, a, NULL, "v", "2");
    /* the day before: p4 is still 17 */
    opts.date = "2025-03-09";
    TU_EXPECT_VALUE(r, a, &opts, "p4.wiek", "17");
    TU_EXPECT_VALUE(r, a, &opts, "v", "3");
    /* a person value needs a person */
    rc = tu_value(got, sizeof(got), r, a, NULL, "wiek", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "is per person");
    rc = tu_value(got, sizeof(got), r, a, NULL, "p9.wiek", &err);
    TU_ASSERT_ERR(rc, err, KR_ENOTFOUND, "no person with that id");
    rc = tu_value(got, sizeof(got), r, a, NULL, "nic", &err);
    ck_assert_int_eq(rc, KR_ENOTFOUND);
    kr_app_free(a);
    kr_rules_free(r);
    free(rules);
}
END_TEST

START_TEST(test_months)
{
    expect_v("date", "add_months(date(\"2024-01-31\"), 1)", NULL, NULL,
             "2024-02-29");
    expect_v("date", "add_months(date(\"2025-01-31\"), 1)", NULL, NULL,
             "2025-02-28");
    expect_v("date", "add_months(date(\"2024-03-31\"), -1)", NULL, NULL,
             "2024-02-29");
    expect_v("date", "add_months(date(\"2024-11-15\"), 14)", NULL, NULL,
             "2026-01-15");
    expect_v("date", "add_months(date(\"2024-01-15\"), -13)", NULL, NULL,
             "2022-12-15");
    expect_v("date", "add_months(today, n)", NULL, "n=2", "2025-05-10");
    expect_v_err("date", "add_months(today, x)", NULL, NULL, NULL,
                 KR_EEVAL, "add_months() needs a whole number of months");
    expect_v("integer", "months_between(date(\"2024-01-31\"), "
             "date(\"2024-02-29\"))", NULL, NULL, "1");
    expect_v("integer", "months_between(date(\"2024-01-15\"), "
             "date(\"2024-02-14\"))", NULL, NULL, "0");
    expect_v("integer", "months_between(date(\"2024-01-15\"), "
             "date(\"2025-01-15\"))", NULL, NULL, "12");
    expect_v("integer", "months_between(date(\"2024-03-01\"), "
             "date(\"2024-01-01\"))", NULL, NULL, "-2");
    expect_v("integer", "days_between(date(\"2024-02-28\"), "
             "date(\"2024-03-01\"))", NULL, NULL, "2");
    expect_v("integer", "days_in_month(date(\"2100-02-01\"))", NULL, NULL,
             "28");
    expect_v("integer", "year(today) * 10000 + month(today) * 100 + "
             "day(today)", NULL, NULL, "20250310");
    expect_v("date", "date(year(today), 2, 29)", "2028-06-01", NULL,
             "2028-02-29");
    expect_v_err("date", "date(year(today), 2, 29)", NULL, NULL, NULL,
                 KR_EEVAL, "date(2025, 2, 29) is not a calendar date");
    expect_v("boolean", "application_date = today", NULL, NULL, "true");
    expect_v("boolean", "application_date = today", "2025-01-01", NULL,
             "false");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Aggregations and roles                                           */

START_TEST(test_aggregations)
{
    expect_v("integer", "count(person)", NULL, NULL, "5");
    expect_v("integer", "count(person where age(ur) < 18)", NULL, NULL,
             "2");
    expect_v("integer", "count(person where age(ur) < 18)", "2025-03-09",
             NULL, "3");
    expect_v("integer", "count(person where role = \"child\")", NULL,
             NULL, "3");
    expect_v("integer", "count(income)", NULL, NULL, "3");
    /* 2500 + 500 + 1200 */
    expect_v("money", "sum(income: kwota)", NULL, NULL, "4200.00");
    /* without alimony: 2500 + 1200 */
    expect_v("money", "sum(income: kwota where zrodlo != \"alimenty\")",
             NULL, NULL, "3700.00");
    expect_v("money", "sum(income: kwota where zrodlo in (\"praca\", "
             "\"zasilek\"))", NULL, NULL, "3700.00");
    /* per-person values sum that person's items only: 3000 + 1200 */
    expect_v("money", "sum(person: dochod_osoby)", NULL, NULL, "4200.00");
    expect_v("money", "max(person: dochod_osoby)", NULL, NULL, "3000.00");
    /* min/max over persons; p3, p4 and p5 have the default 0 */
    expect_v("money", "min(person: dochod)", NULL, NULL, "0.00");
    expect_v("money", "max(person: dochod)", NULL, NULL, "1000.00");
    expect_v("money", "min(person: dochod where role != \"child\")", NULL,
             NULL, "500.00");
    expect_v("date", "min(person: ur)", NULL, NULL, "1980-03-10");
    expect_v("date", "max(person: ur)", NULL, NULL, "2010-05-20");
    expect_v("integer", "max(person: age(ur))", NULL, NULL, "45");
    expect_v_err("money", "min(person: dochod where role = \"other\")",
                 NULL, NULL, NULL, KR_EEVAL, "min() over no person");
    expect_v("boolean", "any(person: niepelnosprawny)", NULL, NULL,
             "true");
    expect_v("boolean", "all(person: niepelnosprawny)", NULL, NULL,
             "false");
    expect_v("boolean", "all(person: age(ur) >= 0)", NULL, NULL, "true");
    expect_v("boolean", "any(income: kwota > 2500)", NULL, NULL, "false");
    /* the average income per person as an exact fraction: 4200 / 5 */
    expect_v("money", "sum(income: kwota) / count(person)", NULL, NULL,
             "840.00");
    expect_v("money", "sum(income: kwota) / 9", NULL, NULL, "1400/3");
}
END_TEST

START_TEST(test_roles)
{
    expect_v("money", "applicant.dochod", NULL, NULL, "1000.00");
    expect_v("money", "spouse.dochod", NULL, NULL, "500.00");
    expect_v("money", "applicant.dochod_osoby", NULL, NULL, "3000.00");
    expect_v("money", "applicant.dochod + spouse.dochod", NULL, NULL,
             "1500.00");
    expect_v_err("money", "child.dochod", NULL, NULL, NULL, KR_EEVAL,
                 "child.dochod: more than one person has role \"child\"");
    expect_v_err("money", "relative.dochod", NULL, NULL, NULL, KR_EEVAL,
                 "relative.dochod: no person has role \"relative\"");
    expect_v_err("money", "spouse.dochod", APP_ALONE, NULL, NULL,
                 KR_EEVAL, "spouse.dochod: no person has role \"spouse\"");
    {
        char got[64];
        kr_error err;
        int rc = fval(got, sizeof(got), "date", "applicant.ur", APP_ALONE,
                      NULL, NULL, &err);
        TU_ASSERT_OK(rc, err);
        ck_assert_str_eq(got, "1950-01-01");
    }
}
END_TEST

START_TEST(test_missing_input)
{
    char got[64];
    kr_error err;
    int rc;

    /* p2 has no birth date and the input has no default */
    expect_v_err("integer", "count(person where age(ur) < 18)", APP_NO_UR,
                 NULL, NULL, KR_EEVAL, "input 'ur' is needed for person "
                 "p2 but the application does not give it");
    /* an input with a default is fine */
    expect_v("money", "sum(person: dochod)", NULL, NULL, "1500.00");
    rc = fval(got, sizeof(got), "date", "spouse.ur", APP_NO_UR, NULL, NULL,
              &err);
    TU_ASSERT_ERR(rc, err, KR_EEVAL, "rules give no default");
    TU_ASSERT_HAS(err.msg, "'ur'");
    TU_ASSERT_HAS(err.msg, "person p2");
    ck_assert_str_eq(err.file, "app.xml");
    /* applicant's is given */
    rc = fval(got, sizeof(got), "date", "applicant.ur", APP_NO_UR, NULL,
              NULL, &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "1980-01-01");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Benefits                                                         */

#define BENEFITS                                                           \
    "<benefit id=\"b_raise\" ref=\"ups art. 37\">\n"                       \
    "  <name lang=\"pl\">Zasiłek A</name>\n"                               \
    "  <name lang=\"en\">Allowance A</name>\n"                             \
    "  <condition id=\"dochod\" ref=\"ups art. 8\">\n"                     \
    "    <label lang=\"pl\">Dochód poniżej kryterium</label>\n"            \
    "    <formula>m &lt; kryt</formula>\n"                                 \
    "    <reason lang=\"pl\" met=\"Dochód {m} jest niższy od kryterium "   \
    "{kryt} na dzień {today}.\" unmet=\"Dochód {m} nie jest niższy od "    \
    "kryterium {kryt}.\"/>\n"                                              \
    "    <reason lang=\"en\" met=\"Income {m} is below {kryt} on "         \
    "{today}.\" unmet=\"Income {m} is not below {kryt}.\"/>\n"             \
    "  </condition>\n"                                                     \
    "  <condition id=\"wnioskodawca\">\n"                                  \
    "    <formula>applicant.dochod &gt;= 0</formula>\n"                    \
    "    <reason lang=\"pl\" met=\"Dochód wnioskodawcy "                   \
    "{applicant.dochod}, niepełnosprawność: "                              \
    "{applicant.niepelnosprawny}, osób: {count(person)}, x = {x}.\"/>\n"   \
    "  </condition>\n"                                                     \
    "  <amount ref=\"ups art. 37 ust. 2\" round=\"0.01\" "                 \
    "rounding=\"half-up\" maximum=\"maks\" minimum=\"mini\" "              \
    "below-minimum=\"raise\">\n"                                           \
    "    <formula>(kryt - m) / 3</formula>\n"                              \
    "  </amount>\n"                                                        \
    "</benefit>\n"                                                         \
    "<benefit id=\"b_nothing\">\n"                                         \
    "  <name lang=\"pl\">Zasiłek B</name>\n"                               \
    "  <amount round=\"0.01\" rounding=\"half-up\" minimum=\"mini\" "      \
    "below-minimum=\"nothing\">\n"                                         \
    "    <formula>(kryt - m) / 3</formula>\n"                              \
    "  </amount>\n"                                                        \
    "</benefit>\n"                                                         \
    "<benefit id=\"b_plain\">\n"                                           \
    "  <name lang=\"pl\">Zasiłek C</name>\n"                               \
    "  <amount round=\"0.01\" rounding=\"half-even\">\n"                   \
    "    <component id=\"czesc_a\"><formula>m / 8</formula></component>\n" \
    "    <component id=\"czesc_b\"><formula>0</formula></component>\n"     \
    "  </amount>\n"                                                        \
    "</benefit>\n"                                                         \
    "<benefit id=\"b_range\">\n"                                           \
    "  <name lang=\"pl\">Zasiłek D</name>\n"                               \
    "  <amount round=\"0.01\" rounding=\"half-up\" maximum=\"maks\">\n"    \
    "    <formula>m</formula>\n"                                           \
    "  </amount>\n"                                                        \
    "  <range lower=\"m * 50%\" upper=\"m\"/>\n"                           \
    "</benefit>\n"                                                         \
    "<benefit id=\"b_decide\">\n"                                          \
    "  <name lang=\"pl\">Zasiłek E</name>\n"                               \
    "  <condition id=\"zawsze\"><formula>x &gt;= 0</formula></condition>\n" \
    "</benefit>\n"

static const char BEN_RULES[] =
    TU_RULES_OPEN("t") BASE_DECLS BENEFITS TU_RULES_CLOSE;

typedef struct {
    kr_rules *rules;
    kr_app *app;
    kr_result *res;
} bfx;

/* Evaluate BEN_RULES on APP with one --set (NULL: none) and a date. */
static void bfx_eval(bfx *f, const char *set, const char *date,
                     unsigned flags)
{
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    kr_error err;
    int rc;

    rc = tu_rules(&f->rules, "ben.xml", BEN_RULES, &err);
    TU_ASSERT_OK(rc, err);
    rc = tu_app(&f->app, f->rules, "app.xml", APP, &err);
    TU_ASSERT_OK(rc, err);
    if (set) {
        opts.set = &set;
        opts.nset = 1;
    }
    opts.date = date;
    opts.flags = flags;
    rc = kr_eval(&f->res, f->rules, f->app, &opts, &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_uint_eq(kr_result_benefit_count(f->res), 5);
}

static void bfx_free(bfx *f)
{
    kr_result_free(f->res);
    kr_app_free(f->app);
    kr_rules_free(f->rules);
}

static size_t bidx(const bfx *f, const char *id)
{
    size_t i;

    for (i = 0; i < kr_result_benefit_count(f->res); i++) {
        if (strcmp(kr_result_benefit_id(f->res, i), id) == 0) {
            return i;
        }
    }
    ck_abort_msg("no benefit %s", id);
    return 0;
}

/* Amount and grant of a benefit. */
static void expect_amount(const bfx *f, const char *id, int granted,
                          const char *amount)
{
    size_t i = bidx(f, id);
    const char *a = kr_result_benefit_amount(f->res, i);

    ck_assert_msg(kr_result_benefit_error(f->res, i) == NULL, "%s: %s", id,
                  kr_result_benefit_error(f->res, i));
    ck_assert_msg(kr_result_benefit_granted(f->res, i) == granted,
                  "%s: granted %d, want %d", id,
                  kr_result_benefit_granted(f->res, i), granted);
    if (!amount) {
        ck_assert_msg(a == NULL, "%s: amount %s, want none", id, a);
    } else {
        ck_assert_msg(a && strcmp(a, amount) == 0, "%s: amount %s, want %s",
                      id, a ? a : "(null)", amount);
    }
}

START_TEST(test_benefit_amount_round)
{
    bfx f;

    /* (1010 - 600) / 3 = 136.666... -> 136.67 */
    bfx_eval(&f, "m=600", NULL, 0);
    expect_amount(&f, "b_raise", 1, "136.67");
    ck_assert_str_eq(kr_result_benefit_note(f.res, bidx(&f, "b_raise"),
                                            "pl"), "");
    expect_amount(&f, "b_nothing", 1, "136.67");
    ck_assert_str_eq(kr_result_benefit_ref(f.res, bidx(&f, "b_raise")),
                     "ups art. 37");
    ck_assert_str_eq(kr_result_benefit_ref(f.res, bidx(&f, "b_nothing")),
                     "");
    ck_assert_str_eq(kr_result_benefit_name(f.res, 0, "en"), "Allowance A");
    ck_assert_str_eq(kr_result_benefit_name(f.res, 1, "en"), "Zasiłek B");
    /* 600 / 8 = 75 */
    expect_amount(&f, "b_plain", 1, "75.00");
    /* no amount: eligibility only */
    expect_amount(&f, "b_decide", 1, NULL);
    bfx_free(&f);

    /* half-even on a tie: 1 / 8 = 0.125 -> 0.12; 1.08 / 8 = 0.135 ->
     * 0.14 */
    bfx_eval(&f, "m=1", NULL, 0);
    expect_amount(&f, "b_plain", 1, "0.12");
    bfx_free(&f);
    bfx_eval(&f, "m=1.08", NULL, 0);
    expect_amount(&f, "b_plain", 1, "0.14");
    bfx_free(&f);
}
END_TEST

START_TEST(test_benefit_maximum)
{
    bfx f;
    size_t i;

    /* m = -2000: (1010 + 2000) / 3 = 1003.33 > 719: capped */
    bfx_eval(&f, "m=-2000", NULL, 0);
    i = bidx(&f, "b_raise");
    expect_amount(&f, "b_raise", 1, "719.00");
    ck_assert_str_eq(kr_result_benefit_note(f.res, i, "pl"),
                     "Obliczona kwota 1 003,33 zł przekracza kwotę "
                     "maksymalną 719,00 zł; przyznaje się kwotę "
                     "maksymalną.");
    ck_assert_str_eq(kr_result_benefit_note(f.res, i, "en"),
                     "The computed amount PLN 1,003.33 exceeds the maximum "
                     "PLN 719.00; the maximum is granted.");
    /* no maximum on b_nothing */
    expect_amount(&f, "b_nothing", 1, "1003.33");
    bfx_free(&f);

    /* exactly the maximum: (1010 + 1147) / 3 = 719, no note */
    bfx_eval(&f, "m=-1147", NULL, 0);
    i = bidx(&f, "b_raise");
    expect_amount(&f, "b_raise", 1, "719.00");
    ck_assert_str_eq(kr_result_benefit_note(f.res, i, "pl"), "");
    bfx_free(&f);
}
END_TEST

START_TEST(test_benefit_minimum)
{
    bfx f;
    size_t i;

    /* m = 990: 20 / 3 = 6.67 < 30 */
    bfx_eval(&f, "m=990", NULL, 0);
    i = bidx(&f, "b_raise");
    expect_amount(&f, "b_raise", 1, "30.00");
    ck_assert_str_eq(kr_result_benefit_note(f.res, i, "pl"),
                     "Obliczona kwota 6,67 zł jest niższa od kwoty "
                     "minimalnej 30,00 zł; przyznaje się kwotę minimalną.");
    i = bidx(&f, "b_nothing");
    expect_amount(&f, "b_nothing", 0, "0.00");
    ck_assert_str_eq(kr_result_benefit_note(f.res, i, "pl"),
                     "Obliczona kwota 6,67 zł jest niższa od kwoty "
                     "minimalnej 30,00 zł; świadczenie nie jest "
                     "wypłacane.");
    ck_assert_str_eq(kr_result_benefit_note(f.res, i, "en"),
                     "The computed amount PLN 6.67 is below the minimum "
                     "PLN 30.00; nothing is paid.");
    bfx_free(&f);

    /* exactly the minimum: (1010 - 920) / 3 = 30.00, paid as is */
    bfx_eval(&f, "m=920", NULL, 0);
    expect_amount(&f, "b_nothing", 1, "30.00");
    ck_assert_str_eq(kr_result_benefit_note(f.res, bidx(&f, "b_nothing"),
                                            "pl"), "");
    bfx_free(&f);

    /* zero is not paid: m = 0 gives 0 / 8 */
    bfx_eval(&f, "m=0", NULL, 0);
    expect_amount(&f, "b_plain", 0, "0.00");
    ck_assert_str_eq(kr_result_benefit_note(f.res, bidx(&f, "b_plain"),
                                            "pl"),
                     "Obliczona kwota 0,00 zł nie jest dodatnia; "
                     "świadczenie nie jest wypłacane.");
    bfx_free(&f);
}
END_TEST

START_TEST(test_benefit_conditions)
{
    bfx f;
    size_t i;

    /* m = 1010 is not below 1010: the condition fails */
    bfx_eval(&f, "m=1010", NULL, 0);
    i = bidx(&f, "b_raise");
    expect_amount(&f, "b_raise", 0, "0.00");
    ck_assert_uint_eq(kr_result_condition_count(f.res, i), 2);
    ck_assert_str_eq(kr_result_condition_id(f.res, i, 0), "dochod");
    ck_assert_int_eq(kr_result_condition_met(f.res, i, 0), 0);
    ck_assert_int_eq(kr_result_condition_met(f.res, i, 1), 1);
    ck_assert_str_eq(kr_result_condition_ref(f.res, i, 0), "ups art. 8");
    ck_assert_str_eq(kr_result_condition_ref(f.res, i, 1), "");
    ck_assert_str_eq(kr_result_condition_label(f.res, i, 0, "en"),
                     "Dochód poniżej kryterium");
    ck_assert_str_eq(kr_result_condition_reason(f.res, i, 0, "pl"),
                     "Dochód 1 010,00 zł nie jest niższy od kryterium "
                     "1 010,00 zł.");
    ck_assert_str_eq(kr_result_condition_reason(f.res, i, 0, "en"),
                     "Income PLN 1,010.00 is not below PLN 1,010.00.");
    /* no unmet text given for the second condition: "" */
    ck_assert_str_eq(kr_result_condition_reason(f.res, i, 1, "pl"),
                     "Dochód wnioskodawcy 1 000,00 zł, "
                     "niepełnosprawność: nie, osób: 5, x = 0,125.");
    bfx_free(&f);
}
END_TEST

START_TEST(test_benefit_reasons)
{
    bfx f;
    size_t i;

    bfx_eval(&f, "m=600", NULL, 0);
    i = bidx(&f, "b_raise");
    ck_assert_int_eq(kr_result_condition_met(f.res, i, 0), 1);
    /* "r." before the sentence's full stop is not doubled */
    ck_assert_str_eq(kr_result_condition_reason(f.res, i, 0, "pl"),
                     "Dochód 600,00 zł jest niższy od kryterium "
                     "1 010,00 zł na dzień 10.03.2025 r.");
    ck_assert_str_eq(kr_result_condition_reason(f.res, i, 0, "en"),
                     "Income PLN 600.00 is below PLN 1,010.00 on "
                     "2025-03-10.");
    /* no English reason: the Polish one */
    ck_assert_str_eq(kr_result_condition_reason(f.res, i, 1, "en"),
                     "Dochód wnioskodawcy PLN 1,000.00, "
                     "niepełnosprawność: no, osób: 5, x = 0.125.");
    bfx_free(&f);

    /* another date: the other criterion, the other date */
    bfx_eval(&f, "m=600", "2024-06-03", 0);
    i = bidx(&f, "b_raise");
    ck_assert_str_eq(kr_result_condition_reason(f.res, i, 0, "pl"),
                     "Dochód 600,00 zł jest niższy od kryterium "
                     "776,00 zł na dzień 03.06.2024 r.");
    /* (776 - 600) / 3 = 58.666... */
    expect_amount(&f, "b_raise", 1, "58.67");
    bfx_free(&f);
}
END_TEST

START_TEST(test_benefit_range)
{
    bfx f;
    size_t i;

    /* m = 1000.01: lower 500.005 -> 500.01; upper capped at 719 */
    bfx_eval(&f, "m=1000.01", NULL, 0);
    i = bidx(&f, "b_range");
    expect_amount(&f, "b_range", 1, "719.00");
    ck_assert_str_eq(kr_result_benefit_range_min(f.res, i), "500.01");
    ck_assert_str_eq(kr_result_benefit_range_max(f.res, i), "719.00");
    /* benefits without <range> have none */
    ck_assert_ptr_null(kr_result_benefit_range_min(f.res,
                                                   bidx(&f, "b_raise")));
    bfx_free(&f);

    bfx_eval(&f, "m=100", NULL, 0);
    i = bidx(&f, "b_range");
    expect_amount(&f, "b_range", 1, "100.00");
    ck_assert_str_eq(kr_result_benefit_range_min(f.res, i), "50.00");
    ck_assert_str_eq(kr_result_benefit_range_max(f.res, i), "100.00");
    bfx_free(&f);

    /* not granted (amount 0): no range */
    bfx_eval(&f, "m=0", NULL, 0);
    i = bidx(&f, "b_range");
    expect_amount(&f, "b_range", 0, "0.00");
    ck_assert_ptr_null(kr_result_benefit_range_min(f.res, i));
    ck_assert_ptr_null(kr_result_benefit_range_max(f.res, i));
    bfx_free(&f);
}
END_TEST

START_TEST(test_benefit_error)
{
    bfx f;
    size_t i;
    kr_error first = KR_ERROR_INIT;
    const char *e;

    /* 2025-07-15 is in kryt's gap: the benefits that use it cannot be
     * decided, the others can */
    bfx_eval(&f, "m=600", "2025-07-15", 0);
    ck_assert_str_eq(kr_result_date(f.res), "2025-07-15");
    i = bidx(&f, "b_raise");
    e = kr_result_benefit_error(f.res, i);
    ck_assert_ptr_nonnull(e);
    TU_ASSERT_HAS(e, "ben.xml:");
    TU_ASSERT_HAS(e, "parameter 'kryt' has no value in force on "
                  "2025-07-15");
    ck_assert_int_eq(kr_result_benefit_granted(f.res, i), 0);
    ck_assert_ptr_null(kr_result_benefit_amount(f.res, i));
    ck_assert_uint_eq(kr_result_condition_count(f.res, i), 0);
    ck_assert_ptr_nonnull(kr_result_benefit_error(f.res,
                                                  bidx(&f, "b_nothing")));
    expect_amount(&f, "b_plain", 1, "75.00");
    ck_assert_uint_eq(kr_result_error_count(f.res, &first), 2);
    ck_assert_int_eq(first.code, KR_EEVAL);
    ck_assert_str_eq(first.file, "ben.xml");
    bfx_free(&f);
}
END_TEST

START_TEST(test_benefit_selection)
{
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_result *res = NULL;
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    const char *want[] = { "b_plain", "b_raise" };
    const char *bad[] = { "b_nope" };
    kr_error err;
    int rc;

    rc = tu_rules(&r, "ben.xml", BEN_RULES, &err);
    TU_ASSERT_OK(rc, err);
    rc = tu_app(&a, r, "app.xml", APP, &err);
    TU_ASSERT_OK(rc, err);
    opts.benefits = want;
    opts.nbenefits = 2;
    rc = kr_eval(&res, r, a, &opts, &err);
    TU_ASSERT_OK(rc, err);
    /* in rule order, not in the order asked */
    ck_assert_uint_eq(kr_result_benefit_count(res), 2);
    ck_assert_str_eq(kr_result_benefit_id(res, 0), "b_raise");
    ck_assert_str_eq(kr_result_benefit_id(res, 1), "b_plain");
    kr_result_free(res);
    opts.benefits = bad;
    opts.nbenefits = 1;
    kr_error_clear(&err);
    rc = kr_eval(&res, r, a, &opts, &err);
    TU_ASSERT_ERR(rc, err, KR_ENOTFOUND, "no benefit 'b_nope'");
    ck_assert_ptr_null(res);
    kr_app_free(a);
    kr_rules_free(r);
}
END_TEST

/* ---------------------------------------------------------------- */
/* What-if overrides                                                */

static int set_value(char *got, size_t n, const char *const *set,
                     size_t nset, const char *name, kr_error *err)
{
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    int rc;

    rc = tu_rules(&r, "ben.xml", BEN_RULES, err);
    TU_ASSERT_OK(rc, *err);
    rc = tu_app(&a, r, "app.xml", APP, err);
    TU_ASSERT_OK(rc, *err);
    opts.set = set;
    opts.nset = nset;
    rc = tu_value(got, n, r, a, &opts, name, err);
    kr_app_free(a);
    kr_rules_free(r);
    return rc;
}

START_TEST(test_set_overrides)
{
    const char *set[3];
    char got[64];
    kr_error err;
    int rc;

    /* a parameter */
    set[0] = "kryt=1234.56";
    rc = set_value(got, sizeof(got), set, 1, "kryt", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "1234.56");
    /* a household input (the application says 0.125) */
    set[0] = "x=7";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "7");
    /* a person's input, seen through a role and a value */
    set[0] = "p1.dochod=10";
    set[1] = "p2.dochod=5.5";
    rc = set_value(got, sizeof(got), set, 2, "p1.dochod", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "10.00");
    rc = set_value(got, sizeof(got), set, 2, "p2.dochod", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "5.50");
    /* only p1's changed */
    set[1] = "kryt=1";
    rc = set_value(got, sizeof(got), set, 2, "p2.dochod", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "500.00");
    /* a boolean */
    set[0] = "p4.niepelnosprawny=true";
    rc = set_value(got, sizeof(got), set, 1, "p4.niepelnosprawny", &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(got, "true");
}
END_TEST

START_TEST(test_set_errors)
{
    const char *set[1];
    char got[64];
    kr_error err;
    int rc;

    set[0] = "nieznany=1";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_ENOTFOUND, "'nieznany' is not an input or a "
                  "parameter");
    set[0] = "p9.dochod=1";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_ENOTFOUND, "no person with id 'p9'");
    set[0] = "dochod_osoby=1";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    ck_assert_int_eq(rc, KR_ENOTFOUND);
    set[0] = "x=abc";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "'abc' is not");
    set[0] = "n=1.5";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "not a whole number");
    set[0] = "dochod=1";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "write PERSON_ID.dochod=VALUE");
    set[0] = "p1.kryt=1";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "a parameter is not per person");
    set[0] = "x";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "write NAME=VALUE");
    set[0] = "kwota=1";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "income items cannot be changed");
    set[0] = "p1.zrodlo=praca";
    rc = set_value(got, sizeof(got), set, 1, "x", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "income items cannot be changed");
}
END_TEST

START_TEST(test_set_changes_benefit)
{
    bfx f;

    /* m = 0: (1010 - 0) / 3 = 336.67 by the rules ... */
    bfx_eval(&f, NULL, NULL, 0);
    expect_amount(&f, "b_raise", 1, "336.67");
    bfx_free(&f);
    /* ... and (500 - 0) / 3 = 166.67 with the criterion lowered */
    bfx_eval(&f, "kryt=500", NULL, 0);
    expect_amount(&f, "b_raise", 1, "166.67");
    bfx_free(&f);
    /* the income raised to the criterion: not granted */
    bfx_eval(&f, "m=1010", NULL, 0);
    expect_amount(&f, "b_raise", 0, "0.00");
    bfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Explain                                                          */

START_TEST(test_explain)
{
    bfx f;
    char *text = NULL;
    kr_error err = KR_ERROR_INIT;
    int rc;

    bfx_eval(&f, "m=600", NULL, KR_EVAL_TRACE);
    rc = kr_result_explain(&text, f.res, bidx(&f, "b_raise"), "pl", &err);
    TU_ASSERT_OK(rc, err);
    TU_ASSERT_HAS(text, "warunek dochod: spełniony (ups art. 8)");
    TU_ASSERT_HAS(text, "kryt = 1 010,00 zł [od 01.01.2025 do 30.06.2025; "
                  "Dz.U. 2024 poz. 1044] — Kryterium dochodowe "
                  "(ups art. 8 ust. 1)");
    TU_ASSERT_HAS(text, "m = 600,00 zł (--set)");
    TU_ASSERT_HAS(text, "kwota = 136,67 zł (ups art. 37 ust. 2)");
    TU_ASSERT_HAS(text, "zaokrąglenie do 0.01, half-up");
    TU_ASSERT_HAS(text, "dochod[p1] = 1 000,00 zł (wniosek)");
    kr_free(text);
    text = NULL;
    rc = kr_result_explain(&text, f.res, bidx(&f, "b_raise"), "en", &err);
    TU_ASSERT_OK(rc, err);
    TU_ASSERT_HAS(text, "condition dochod: met");
    TU_ASSERT_HAS(text, "kryt = PLN 1,010.00 [from 2025-01-01 to "
                  "2025-06-30; Dz.U. 2024 poz. 1044]");
    kr_free(text);
    text = NULL;
    /* an open-ended period */
    bfx_free(&f);
    bfx_eval(&f, "m=600", "2026-01-01", KR_EVAL_TRACE);
    rc = kr_result_explain(&text, f.res, bidx(&f, "b_raise"), "pl", &err);
    TU_ASSERT_OK(rc, err);
    TU_ASSERT_HAS(text, "kryt = 1 100,00 zł [od 01.08.2025; Dz.U. 2025 "
                  "poz. 9]");
    kr_free(text);
    text = NULL;
    /* out of range and without trace */
    rc = kr_result_explain(&text, f.res, 99, "pl", &err);
    ck_assert_int_eq(rc, KR_ENOTFOUND);
    bfx_free(&f);
    bfx_eval(&f, "m=600", NULL, 0);
    kr_error_clear(&err);
    rc = kr_result_explain(&text, f.res, 0, "pl", &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "KR_EVAL_TRACE");
    ck_assert_ptr_null(text);
    bfx_free(&f);
}
END_TEST

START_TEST(test_format_money)
{
    char *s = NULL;
    kr_error err = KR_ERROR_INIT;

    ck_assert_int_eq(kr_format_money(&s, "1010.00", "pl", &err), KR_OK);
    ck_assert_str_eq(s, "1 010,00 zł");
    kr_free(s);
    ck_assert_int_eq(kr_format_money(&s, "1234567.891", "en", &err), KR_OK);
    ck_assert_str_eq(s, "PLN 1,234,567.89");
    kr_free(s);
    ck_assert_int_eq(kr_format_money(&s, "2000/3", "pl", &err), KR_OK);
    ck_assert_str_eq(s, "666,67 zł");
    kr_free(s);
    ck_assert_int_eq(kr_format_money(&s, "-5", "pl", &err), KR_OK);
    ck_assert_str_eq(s, "-5,00 zł");
    kr_free(s);
    ck_assert_int_eq(kr_format_money(&s, "12,50", "pl", &err), KR_EPARSE);
    ck_assert_ptr_null(s);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Composition of rule files                                        */

static const char BASE_FILE[] =
    TU_RULES_OPEN("base")
    "<parameter id=\"procent\" type=\"decimal\" overridable=\"true\">\n"
    "  <value from=\"2020-01-01\" source=\"ustawa\">50%</value>\n"
    "</parameter>\n"
    "<parameter id=\"stala\" type=\"money\">\n"
    "  <value from=\"2020-01-01\" source=\"ustawa\">100.00</value>\n"
    "</parameter>\n"
    "<value id=\"kwota_gminy\" type=\"money\">\n"
    "  <formula>stala * procent</formula>\n"
    "</value>\n"
    TU_RULES_CLOSE;

static const char LOCAL_OVERRIDE[] =
    TU_RULES_OPEN("gmina")
    "<override parameter=\"procent\" ref=\"Uchwała Nr X/1/2025\">\n"
    "  <value from=\"2020-01-01\" until=\"2024-12-31\" "
    "source=\"Uchwała Nr I/1/2020\">60%</value>\n"
    "  <value from=\"2025-01-01\" source=\"Uchwała Nr X/1/2025\">70%"
    "</value>\n"
    "</override>\n"
    TU_RULES_CLOSE;

static const char LOCAL_REDEFINE[] =
    TU_RULES_OPEN("gmina")
    "<parameter id=\"procent\" type=\"decimal\">\n"
    "  <value from=\"2020-01-01\" source=\"uchwała\">70%</value>\n"
    "</parameter>\n"
    TU_RULES_CLOSE;

static const char LOCAL_NOT_OVERRIDABLE[] =
    TU_RULES_OPEN("gmina")
    "<override parameter=\"stala\">\n"
    "  <value from=\"2020-01-01\" source=\"uchwała\">200.00</value>\n"
    "</override>\n"
    TU_RULES_CLOSE;

static const char MINIMAL_APP[] =
    "<application xmlns=\"" TU_ANS "\" date=\"2025-03-10\">\n"
    " <person id=\"p1\" role=\"applicant\"/>\n"
    "</application>\n";

START_TEST(test_compose_override)
{
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    kr_error err;
    int rc;

    /* alone: 100 * 50% */
    rc = tu_rules(&r, "base.xml", BASE_FILE, &err);
    TU_ASSERT_OK(rc, err);
    rc = tu_app(&a, r, "app.xml", MINIMAL_APP, &err);
    TU_ASSERT_OK(rc, err);
    TU_EXPECT_VALUE(r, a, NULL, "kwota_gminy", "50.00");
    kr_app_free(a);
    kr_rules_free(r);

    /* with the municipal file: 70% in 2025, 60% before */
    rc = tu_rules2(&r, "base.xml", BASE_FILE, "gmina.xml", LOCAL_OVERRIDE,
                   &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_uint_eq(kr_rules_pack_count(r), 2);
    ck_assert_str_eq(kr_rules_pack_id(r, 1), "gmina");
    ck_assert_str_eq(kr_rules_pack_file(r, 1), "gmina.xml");
    rc = tu_app(&a, r, "app.xml", MINIMAL_APP, &err);
    TU_ASSERT_OK(rc, err);
    TU_EXPECT_VALUE(r, a, NULL, "kwota_gminy", "70.00");
    TU_EXPECT_VALUE(r, a, NULL, "procent", "0.7");
    opts.date = "2024-12-31";
    TU_EXPECT_VALUE(r, a, &opts, "kwota_gminy", "60.00");
    kr_app_free(a);
    kr_rules_free(r);
}
END_TEST

START_TEST(test_compose_errors)
{
    kr_rules *r = NULL;
    kr_error err;
    int rc;

    /* a second definition without <override> names both files */
    rc = tu_rules2(&r, "base.xml", BASE_FILE, "gmina.xml", LOCAL_REDEFINE,
                   &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "'procent' is already defined as "
                  "a parameter in base.xml:2");
    TU_ASSERT_HAS(err.msg, "<override>");
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err.file, "gmina.xml");
    ck_assert_uint_eq(err.line, 2);

    /* overriding a parameter that is not overridable */
    rc = tu_rules2(&r, "base.xml", BASE_FILE, "gmina.xml",
                   LOCAL_NOT_OVERRIDABLE, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "parameter 'stala' (base.xml:5) is "
                  "not marked overridable=\"true\"");
    ck_assert_str_eq(err.file, "gmina.xml");
    ck_assert_uint_eq(err.line, 2);

    /* an override of a parameter no earlier file defines */
    rc = tu_rules(&r, "gmina.xml", LOCAL_OVERRIDE, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "<override parameter=\"procent\">: "
                  "no such parameter");

    /* the same pack twice */
    rc = tu_rules2(&r, "base.xml", BASE_FILE, "copy.xml", BASE_FILE, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "rule pack 'base' is already "
                  "loaded from base.xml");
    ck_assert_str_eq(err.file, "copy.xml");
}
END_TEST

START_TEST(test_compose_explain_override)
{
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_result *res = NULL;
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    static const char ben[] =
        TU_RULES_OPEN("ben")
        "<benefit id=\"dodatek\">\n"
        "  <name lang=\"pl\">Dodatek</name>\n"
        "  <amount><formula>kwota_gminy</formula></amount>\n"
        "</benefit>\n"
        TU_RULES_CLOSE;
    const char *names[3] = { "base.xml", "gmina.xml", "ben.xml" };
    const char *bufs[3];
    char *text = NULL;
    kr_error err;
    int rc;

    bufs[0] = BASE_FILE;
    bufs[1] = LOCAL_OVERRIDE;
    bufs[2] = ben;
    rc = tu_rules_n(&r, 3, names, bufs, &err);
    TU_ASSERT_OK(rc, err);
    rc = tu_app(&a, r, "app.xml", MINIMAL_APP, &err);
    TU_ASSERT_OK(rc, err);
    opts.flags = KR_EVAL_TRACE;
    rc = kr_eval(&res, r, a, &opts, &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(kr_result_benefit_amount(res, 0), "70.00");
    rc = kr_result_explain(&text, res, 0, "pl", &err);
    TU_ASSERT_OK(rc, err);
    TU_ASSERT_HAS(text, "procent = 0,7 [od 01.01.2025; Uchwała Nr "
                  "X/1/2025] (zmiana lokalna: gmina.xml)");
    kr_free(text);
    kr_result_free(res);
    kr_app_free(a);
    kr_rules_free(r);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Threads                                                          */

#define NTHREADS 4
#define NITER 200
#define NVARIANT 4

static const char *const variant_set[NVARIANT] = {
    "m=600", "m=990", "m=-2000", "kryt=500"
};
static const char *const variant_date[NVARIANT] = {
    NULL, "2024-06-03", "2025-07-15", "2026-01-01"
};

/* Everything a result says, as one string (malloc'd). */
static char *summarize(const kr_rules *r, const kr_app *a, int variant)
{
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    kr_result *res = NULL;
    kr_error err = KR_ERROR_INIT;
    static const char *const values[] = {
        "kryt", "p1.dochod_osoby", "p2.dochod_osoby", "x", "m"
    };
    char *out = malloc(16384);
    size_t l = 0, i, j;
    const char *v;

    if (!out) {
        return NULL;
    }
    out[0] = '\0';
    opts.set = &variant_set[variant];
    opts.nset = 1;
    opts.date = variant_date[variant];
    opts.flags = KR_EVAL_TRACE;
    if (kr_eval(&res, r, a, &opts, &err) != KR_OK) {
        snprintf(out, 16384, "eval failed: %s", err.msg);
        return out;
    }
    for (i = 0; i < kr_result_benefit_count(res); i++) {
        const char *e = kr_result_benefit_error(res, i);
        char *text = NULL;
        l += (size_t)snprintf(out + l, 16384 - l, "%s g=%d a=%s lo=%s "
                              "hi=%s e=%s n=%s\n",
                              kr_result_benefit_id(res, i),
                              kr_result_benefit_granted(res, i),
                              kr_result_benefit_amount(res, i) ?
                              kr_result_benefit_amount(res, i) : "-",
                              kr_result_benefit_range_min(res, i) ?
                              kr_result_benefit_range_min(res, i) : "-",
                              kr_result_benefit_range_max(res, i) ?
                              kr_result_benefit_range_max(res, i) : "-",
                              e ? e : "-",
                              kr_result_benefit_note(res, i, "pl"));
        for (j = 0; j < kr_result_condition_count(res, i); j++) {
            l += (size_t)snprintf(out + l, 16384 - l, " %d %s\n",
                                  kr_result_condition_met(res, i, j),
                                  kr_result_condition_reason(res, i, j,
                                                             "pl"));
        }
        if (kr_result_explain(&text, res, i, "en", NULL) == KR_OK) {
            l += (size_t)snprintf(out + l, 16384 - l, "%s", text);
            kr_free(text);
        }
    }
    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        int rc = kr_result_value(&v, res, values[i], NULL);
        l += (size_t)snprintf(out + l, 16384 - l, "%s=%s\n", values[i],
                              rc == KR_OK ? v : "(error)");
    }
    kr_result_free(res);
    return out;
}

typedef struct {
    const kr_rules *rules;
    char *const *expected;
    int mismatches;
    int failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    kr_app *a = NULL;
    kr_error err = KR_ERROR_INIT;
    int i;

    /* an application belongs to one thread: each parses its own */
    if (kr_app_parse_memory(&a, w->rules, "app.xml", APP, strlen(APP),
                            &err) != KR_OK) {
        w->failures++;
        return NULL;
    }
    for (i = 0; i < NITER; i++) {
        int variant = i % NVARIANT;
        char *s = summarize(w->rules, a, variant);
        if (!s) {
            w->failures++;
        } else if (strcmp(s, w->expected[variant]) != 0) {
            w->mismatches++;
        }
        free(s);
    }
    kr_app_free(a);
    return NULL;
}

START_TEST(test_threads)
{
    kr_rules *r = NULL;
    kr_app *a = NULL;
    char *expected[NVARIANT];
    pthread_t th[NTHREADS];
    worker_arg args[NTHREADS];
    kr_error err;
    int i, rc;

    rc = tu_rules(&r, "ben.xml", BEN_RULES, &err);
    TU_ASSERT_OK(rc, err);
    rc = tu_app(&a, r, "app.xml", APP, &err);
    TU_ASSERT_OK(rc, err);
    for (i = 0; i < NVARIANT; i++) {
        expected[i] = summarize(r, a, i);
        ck_assert_ptr_nonnull(expected[i]);
    }
    kr_app_free(a);
    /* the baselines differ from each other, so a mix-up would show */
    ck_assert_str_ne(expected[0], expected[1]);
    ck_assert_str_ne(expected[2], expected[3]);
    TU_ASSERT_HAS(expected[0], "b_raise g=1 a=136.67");
    TU_ASSERT_HAS(expected[2], "no value in force on 2025-07-15");
    for (i = 0; i < NTHREADS; i++) {
        args[i].rules = r;
        args[i].expected = expected;
        args[i].mismatches = 0;
        args[i].failures = 0;
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (i = 0; i < NTHREADS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    }
    for (i = 0; i < NVARIANT; i++) {
        free(expected[i]);
    }
    kr_rules_free(r);
    for (i = 0; i < NTHREADS; i++) {
        ck_assert_msg(args[i].failures == 0 && args[i].mismatches == 0,
                      "thread %d: %d failures, %d of %d results differ", i,
                      args[i].failures, args[i].mismatches, NITER);
    }
}
END_TEST

/* ---------------------------------------------------------------- */

static Suite *eval_suite(void)
{
    Suite *s = suite_create("eval");
    TCase *tc;

    tc = tcase_create("arith");
    tcase_add_test(tc, test_exact_thirds);
    tcase_add_test(tc, test_round_modes);
    tcase_add_test(tc, test_division_by_zero);
    tcase_add_test(tc, test_division_by_zero_position);
    suite_add_tcase(s, tc);

    tc = tcase_create("periods");
    tcase_add_test(tc, test_parameter_periods);
    tcase_add_test(tc, test_parameter_gap);
    tcase_add_test(tc, test_reuse_across_dates);
    tcase_add_test(tc, test_deep_value_chain);
    tcase_add_test(tc, test_deep_formula);
    tcase_add_test(tc, test_scale_brackets);
    tcase_add_test(tc, test_scale_no_bracket);
    tcase_add_test(tc, test_cases_first_unique);
    tcase_add_test(tc, test_cases_lazy);
    suite_add_tcase(s, tc);

    tc = tcase_create("dates");
    tcase_add_test(tc, test_age);
    tcase_add_test(tc, test_person_age_birthday);
    tcase_add_test(tc, test_months);
    suite_add_tcase(s, tc);

    tc = tcase_create("household");
    tcase_add_test(tc, test_aggregations);
    tcase_add_test(tc, test_roles);
    tcase_add_test(tc, test_missing_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("benefits");
    tcase_add_test(tc, test_benefit_amount_round);
    tcase_add_test(tc, test_benefit_maximum);
    tcase_add_test(tc, test_benefit_minimum);
    tcase_add_test(tc, test_benefit_conditions);
    tcase_add_test(tc, test_benefit_reasons);
    tcase_add_test(tc, test_benefit_range);
    tcase_add_test(tc, test_benefit_error);
    tcase_add_test(tc, test_benefit_selection);
    tcase_add_test(tc, test_explain);
    tcase_add_test(tc, test_format_money);
    suite_add_tcase(s, tc);

    tc = tcase_create("set");
    tcase_add_test(tc, test_set_overrides);
    tcase_add_test(tc, test_set_errors);
    tcase_add_test(tc, test_set_changes_benefit);
    suite_add_tcase(s, tc);

    tc = tcase_create("compose");
    tcase_add_test(tc, test_compose_override);
    tcase_add_test(tc, test_compose_errors);
    tcase_add_test(tc, test_compose_explain_override);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(eval_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
