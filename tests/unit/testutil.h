/*
 * testutil.h - helpers shared by the unit tests that go through the
 * public API: rule sets and applications from strings, evaluation of a
 * named value, fixture paths, line numbers of markers in fixtures.
 *
 * Everything is static inline so that a test that uses only part of it
 * compiles without unused-function warnings.  The helpers never abort:
 * they return the kr_code and fill a kr_error for the test to assert on.
 */
#ifndef KR_TESTUTIL_H
#define KR_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "kryterium.h"

/* Namespaces and a rule file header for fixtures written inline. */
#define TU_RNS "urn:kryterium:rules:1"
#define TU_ANS "urn:kryterium:application:1"
#define TU_RULES_OPEN(id) \
    "<rules xmlns=\"" TU_RNS "\" id=\"" id "\" version=\"1\">\n"
#define TU_RULES_CLOSE "</rules>\n"

/*
 * Assert rc == KR_OK, showing the error in full when it is not, so that
 * a failure in setup says why instead of only "-5 != 0".
 */
#define TU_ASSERT_OK(rc, err)                                              \
    ck_assert_msg((rc) == KR_OK, "rc %d (%s), err %d %s:%lu:%lu: %s",      \
                  (int)(rc), kr_code_name(rc), (int)(err).code,            \
                  (err).file, (err).line, (err).column, (err).msg)

/* Assert that an error has the given code and that its message holds a
 * phrase. */
#define TU_ASSERT_ERR(rc, err, want_code, phrase)                          \
    do {                                                                   \
        ck_assert_msg((rc) == (want_code) && (err).code == (want_code),    \
                      "rc %d, err.code %d, want %d (%s); msg: %s",         \
                      (int)(rc), (int)(err).code, (int)(want_code),        \
                      kr_code_name(want_code), (err).msg);                 \
        ck_assert_msg(strstr((err).msg, (phrase)) != NULL,                 \
                      "message lacks \"%s\": %s", (phrase), (err).msg);    \
    } while (0)

/* Assert a message holds a phrase. */
#define TU_ASSERT_HAS(text, phrase)                                        \
    do {                                                                   \
        const char *tu_t_ = (text);                                        \
        ck_assert_msg(tu_t_ != NULL && strstr(tu_t_, (phrase)) != NULL,    \
                      "\"%s\" not found in: %s", (phrase),                 \
                      tu_t_ ? tu_t_ : "(null)");                           \
    } while (0)

/*
 * A rule set from one or more in-memory files: new, add each, compile.
 * names and bufs have n entries.  On failure *out is NULL and the rule set
 * is freed.
 */
static inline int tu_rules_n(kr_rules **out, size_t n,
                             const char *const *names,
                             const char *const *bufs, kr_error *err)
{
    kr_rules *r = NULL;
    size_t i;
    int rc;

    *out = NULL;
    kr_error_clear(err);
    if ((rc = kr_rules_new(&r, err)) != KR_OK) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        rc = kr_rules_add_memory(r, names[i], bufs[i], strlen(bufs[i]),
                                 err);
        if (rc != KR_OK) {
            kr_rules_free(r);
            return rc;
        }
    }
    if ((rc = kr_rules_compile(r, err)) != KR_OK) {
        kr_rules_free(r);
        return rc;
    }
    *out = r;
    return KR_OK;
}

/* One in-memory rule file. */
static inline int tu_rules(kr_rules **out, const char *name,
                           const char *xml, kr_error *err)
{
    return tu_rules_n(out, 1, &name, &xml, err);
}

/* Two in-memory rule files, loaded in order. */
static inline int tu_rules2(kr_rules **out, const char *name1,
                            const char *xml1, const char *name2,
                            const char *xml2, kr_error *err)
{
    const char *names[2];
    const char *bufs[2];

    names[0] = name1;
    names[1] = name2;
    bufs[0] = xml1;
    bufs[1] = xml2;
    return tu_rules_n(out, 2, names, bufs, err);
}

/* An application from a string. */
static inline int tu_app(kr_app **out, const kr_rules *rules,
                         const char *name, const char *xml, kr_error *err)
{
    kr_error_clear(err);
    return kr_app_parse_memory(out, rules, name, xml, strlen(xml), err);
}

/*
 * Evaluate and fetch one named value as text into buf (n bytes).  opts
 * may be NULL.  Returns the code of kr_eval, else of kr_result_value.
 */
static inline int tu_value(char *buf, size_t n, const kr_rules *rules,
                           const kr_app *app, const kr_eval_opts *opts,
                           const char *name, kr_error *err)
{
    kr_result *res = NULL;
    const char *v = NULL;
    int rc;

    buf[0] = '\0';
    kr_error_clear(err);
    if ((rc = kr_eval(&res, rules, app, opts, err)) != KR_OK) {
        return rc;
    }
    rc = kr_result_value(&v, res, name, err);
    if (rc == KR_OK) {
        snprintf(buf, n, "%s", v);
    }
    kr_result_free(res);
    return rc;
}

/* Value `name` (tu_value) must evaluate and read `want`; a macro so that
 * a failure names the test's line. */
#define TU_EXPECT_VALUE(rules, app, opts, name, want)                       \
    do {                                                                    \
        char tu_got_[256];                                                  \
        kr_error tu_err_;                                                   \
        int tu_rc_ = tu_value(tu_got_, sizeof(tu_got_), rules, app, opts,   \
                              name, &tu_err_);                              \
        TU_ASSERT_OK(tu_rc_, tu_err_);                                      \
        ck_assert_str_eq(tu_got_, want);                                    \
    } while (0)

/*
 * Rules and application both from strings, then one value: the common
 * shape of an evaluation test.  Setup failures are test failures.
 */
static inline int tu_eval_value(char *buf, size_t n, const char *rules_xml,
                                const char *app_xml,
                                const kr_eval_opts *opts, const char *name,
                                kr_error *err)
{
    kr_rules *r = NULL;
    kr_app *a = NULL;
    int rc;

    rc = tu_rules(&r, "rules.xml", rules_xml, err);
    TU_ASSERT_OK(rc, *err);
    rc = tu_app(&a, r, "app.xml", app_xml, err);
    TU_ASSERT_OK(rc, *err);
    rc = tu_value(buf, n, r, a, opts, name, err);
    kr_app_free(a);
    kr_rules_free(r);
    return rc;
}

/*
 * 1-based line of the first occurrence of marker in text (0 when absent):
 * fixtures put a unique marker on the line an error must name.
 */
static inline unsigned long tu_line_of(const char *text,
                                       const char *marker)
{
    const char *hit = strstr(text, marker);
    unsigned long line = 1;
    const char *p;

    if (!hit) {
        return 0;
    }
    for (p = text; p < hit; p++) {
        line += *p == '\n';
    }
    return line;
}

/* Path of a fixture under $KR_DATA (tests/data when unset). */
static inline const char *tu_data(char *buf, size_t n, const char *rel)
{
    const char *base = getenv("KR_DATA");

    if (!base || !*base) {
        base = "tests/data";
    }
    snprintf(buf, n, "%s/%s", base, rel);
    return buf;
}

#endif
