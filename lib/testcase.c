/*
 * testcase.c - rule tests: an application, a date, what-ifs, and the
 * figures someone computed by hand from the law.
 *
 * A failing test says what was expected, what came out, and the trace of
 * the benefits concerned, so that a policy officer who changed a
 * threshold sees exactly which cases moved and why.
 */
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xml.h"

#define TNS "urn:kryterium:tests:1"
#define ANS "urn:kryterium:application:1"

typedef struct {
    const char *id, *source, *detail;
    int passed;
} kr_test_entry;

struct kr_test_report {
    kr_pool pool;
    kr_test_entry *t;
    int n;
};

typedef struct {
    char *s;
    size_t len, cap;
} dbuf;

static void db_add(dbuf *b, const char *fmt, ...) KR_PRINTF(2, 3);

static void db_add(dbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Exact decimal or fraction "n/d" into q; -1 if neither. */
static int parse_rat(mpq_ptr q, const char *s)
{
    const char *sl = strchr(s, '/');
    mpq_t d;
    int ok;
    if (!sl) {
        return kr_dec_parse(q, s, strlen(s), NULL) < 0 ? -1 : 0;
    }
    mpq_init(d);
    ok = kr_dec_parse(q, s, (size_t)(sl - s), NULL) == 0 &&
         kr_dec_parse(d, sl + 1, strlen(sl + 1), NULL) == 0 &&
         mpq_sgn(d) != 0;
    if (ok) {
        mpq_div(q, q, d);
    }
    mpq_clear(d);
    return ok ? 0 : -1;
}

/* Equal as rationals when both are numbers, else as text. */
static int same(const char *want, const char *got)
{
    mpq_t a, b;
    int r;
    if (!want || !got) {
        return want == got;
    }
    mpq_init(a);
    mpq_init(b);
    if (parse_rat(a, want) == 0 && parse_rat(b, got) == 0) {
        r = mpq_equal(a, b);
    } else {
        r = strcmp(want, got) == 0;
    }
    mpq_clear(a);
    mpq_clear(b);
    return r;
}

static int bool_attr(const char *v, int *out)
{
    if (strcmp(v, "true") == 0) {
        *out = 1;
    } else if (strcmp(v, "false") == 0) {
        *out = 0;
    } else {
        return -1;
    }
    return 0;
}

static int find_benefit(const kr_result *res, const char *id)
{
    size_t i;
    for (i = 0; i < kr_result_benefit_count(res); i++) {
        if (strcmp(kr_result_benefit_id(res, i), id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Check one <expect>; appends to d and returns 0 pass, 1 fail, <0 bad
 * test file. */
static int check_expect(kr_result *res, const xmlNode *x, const char *file,
                        dbuf *d, unsigned char *concerned, kr_error *err)
{
    const char *bid = kr_xml__attr(x, "benefit");
    const char *vname = kr_xml__attr(x, "value");
    const char *v;
    int fail = 0, bi, want;
    unsigned long line = kr_xml__line(x);

    if (kr_xml__attr(x, "error") && !bid) {
        db_add(d, "  line %lu: expected an evaluation error containing "
               "\"%s\", but the evaluation succeeded\n", line,
               kr_xml__attr(x, "error"));
        return 1;
    }
    if (vname) {
        const char *got = NULL;
        kr_error e = KR_ERROR_INIT;
        char *want_text = kr_xml__text(x);
        if (!want_text) {
            return kr__err(err, KR_ENOMEM, "out of memory");
        }
        if (kr_result_value(&got, res, vname, &e) < 0) {
            db_add(d, "  line %lu: value %s: expected %s, got an error: "
                   "%s\n", line, vname, want_text, e.msg);
            fail = 1;
        } else if (!same(want_text, got)) {
            db_add(d, "  line %lu: value %s: expected %s, got %s\n", line,
                   vname, want_text, got);
            fail = 1;
        }
        free(want_text);
        return fail;
    }
    if (!bid) {
        return kr__err_at(err, KR_EINVALID, file, line, "<expect> needs "
                          "benefit=, value= or error=");
    }
    if ((bi = find_benefit(res, bid)) < 0) {
        return kr__err_at(err, KR_EINVALID, file, line, "<expect benefit="
                          "\"%s\">: no such benefit in the rules", bid);
    }
    {
        const char *berr = kr_result_benefit_error(res, (size_t)bi);
        const char *want_err = kr_xml__attr(x, "error");
        if (want_err) {
            if (!berr || !strstr(berr, want_err)) {
                db_add(d, "  line %lu: %s: expected the error \"%s\", got "
                       "%s\n", line, bid, want_err,
                       berr ? berr : "no error");
                return 1;
            }
            return 0;
        }
        if (berr) {
            db_add(d, "  line %lu: %s could not be decided: %s\n", line,
                   bid, berr);
            return 1;
        }
    }
    if ((v = kr_xml__attr(x, "condition"))) {
        size_t j, n = kr_result_condition_count(res, (size_t)bi);
        const char *m = kr_xml__attr(x, "met");
        for (j = 0; j < n; j++) {
            if (strcmp(kr_result_condition_id(res, (size_t)bi, j), v) == 0) {
                break;
            }
        }
        if (j == n) {
            return kr__err_at(err, KR_EINVALID, file, line, "benefit %s "
                              "has no condition '%s'", bid, v);
        }
        if (!m || bool_attr(m, &want) < 0) {
            return kr__err_at(err, KR_EINVALID, file, line, "<expect "
                              "condition=...> needs met=\"true|false\"");
        }
        if (kr_result_condition_met(res, (size_t)bi, j) != want) {
            db_add(d, "  line %lu: %s/%s: expected %s, got %s\n", line, bid,
                   v, want ? "met" : "not met", want ? "not met" : "met");
            concerned[bi] = 1;
            return 1;
        }
        return 0;
    }
    if ((v = kr_xml__attr(x, "granted"))) {
        int got = kr_result_benefit_granted(res, (size_t)bi);
        if (bool_attr(v, &want) < 0) {
            return kr__err_at(err, KR_EINVALID, file, line, "granted=\"%s\":"
                              " use true or false", v);
        }
        if (got != want) {
            db_add(d, "  line %lu: %s: expected %s, got %s\n", line, bid,
                   want ? "granted" : "not granted",
                   got ? "granted" : "not granted");
            fail = 1;
        }
    }
    {
        static const char *const attrs[] = { "amount", "range-min",
                                             "range-max" };
        int k;
        for (k = 0; k < 3; k++) {
            const char *got;
            if (!(v = kr_xml__attr(x, attrs[k]))) {
                continue;
            }
            got = k == 0 ? kr_result_benefit_amount(res, (size_t)bi)
                  : k == 1 ? kr_result_benefit_range_min(res, (size_t)bi)
                           : kr_result_benefit_range_max(res, (size_t)bi);
            if (!same(v, got)) {
                db_add(d, "  line %lu: %s: %s expected %s, got %s\n", line,
                       bid, attrs[k], v, got ? got : "(none)");
                fail = 1;
            }
        }
    }
    if (fail) {
        concerned[bi] = 1;
    }
    return fail;
}

/* The same application evaluated another way (walking the formula trees
 * instead of running their compiled code, or compiled without a trace):
 * every benefit must come out the same, down to the trace.  A difference
 * is an engine fault, reported as this test's failure. */
static void cross_check(const kr_rules *rules, const kr_app *app,
                        const kr_eval_opts *base, const kr_result *want,
                        const kr_error *want_err, unsigned flags,
                        const char *how, dbuf *d)
{
    kr_eval_opts o = *base;
    kr_result *got = NULL;
    kr_error e = KR_ERROR_INIT;
    size_t i, j;
    int rc;

    o.flags = flags;
    rc = kr_eval(&got, rules, app, &o, &e);
    if ((rc < 0) != (want == NULL) ||
        (rc < 0 && strcmp(e.msg, want_err->msg) != 0)) {
        db_add(d, "  engine fault: %s evaluation %s: %s\n", how,
               rc < 0 ? "failed" : "succeeded",
               rc < 0 ? e.msg : "where the compiled one failed");
        kr_result_free(got);
        return;
    }
    for (i = 0; want && i < kr_result_benefit_count(want); i++) {
        const char *what = NULL;
        const char *(*const text[4])(const kr_result *, size_t) = {
            kr_result_benefit_error, kr_result_benefit_amount,
            kr_result_benefit_range_min, kr_result_benefit_range_max
        };
        static const char *const names[4] = { "error", "amount", "range",
                                              "range" };
        for (j = 0; j < 4 && !what; j++) {
            const char *x = text[j](want, i), *y = text[j](got, i);
            if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0)) {
                what = names[j];
            }
        }
        if (!what && kr_result_benefit_granted(want, i) !=
                     kr_result_benefit_granted(got, i)) {
            what = "granted";
        }
        for (j = 0; !what && j < kr_result_condition_count(want, i); j++) {
            if (kr_result_condition_met(want, i, j) !=
                kr_result_condition_met(got, i, j)) {
                what = kr_result_condition_id(want, i, j);
            }
        }
        if (!what && (flags & KR_EVAL_TRACE) &&
            !kr_result_benefit_error(want, i)) {
            char *x = NULL, *y = NULL;
            if (kr_result_explain(&x, want, i, "en", NULL) == KR_OK &&
                kr_result_explain(&y, got, i, "en", NULL) == KR_OK &&
                strcmp(x, y) != 0) {
                what = "the trace";
            }
            kr_free(x);
            kr_free(y);
        }
        if (what) {
            db_add(d, "  engine fault: %s evaluation differs on %s (%s)\n",
                   how, kr_result_benefit_id(want, i), what);
        }
    }
    kr_result_free(got);
}

static int run_test(kr_test_report *rep, const kr_rules *rules,
                    const xmlNode *t, const char *file, kr_error *err)
{
    kr_test_entry *te = &rep->t[rep->n];
    const xmlNode *x, *app_node = NULL;
    const char **set = NULL;
    int nset = 0, rc = KR_OK, bad = 0;
    kr_app *app = NULL;
    kr_result *res = NULL;
    kr_eval_opts opts = KR_EVAL_OPTS_INIT;
    kr_error e = KR_ERROR_INIT;
    dbuf d = { NULL, 0, 0 };
    unsigned char *concerned = NULL;
    const char *want_error = NULL;
    size_t i;

    te->id = kr_pool__strdup(&rep->pool, kr_xml__attr(t, "id")
                                         ? kr_xml__attr(t, "id") : "?");
    te->source = kr_pool__strdup(&rep->pool, kr_xml__attr(t, "source")
                                             ? kr_xml__attr(t, "source")
                                             : "");
    if (!kr_xml__attr(t, "id") || !kr_xml__attr(t, "source")) {
        return kr__err_at(err, KR_EINVALID, file, kr_xml__line(t),
                          "<test> needs id= and source= (where the "
                          "expected figures come from)");
    }
    for (x = kr_xml__first_el(t); x; x = kr_xml__next_el(x)) {
        nset += kr_xml__is(x, TNS, "set");
        if (kr_xml__is(x, ANS, "application")) {
            app_node = x;
        }
        if (kr_xml__is(x, TNS, "expect") && kr_xml__attr(x, "error") &&
            !kr_xml__attr(x, "benefit")) {
            want_error = kr_xml__attr(x, "error");
        }
    }
    if (!app_node) {
        return kr__err_at(err, KR_EINVALID, file, kr_xml__line(t),
                          "test %s has no <application>", te->id);
    }
    set = calloc((size_t)nset + 1, sizeof(*set));
    concerned = calloc((size_t)rules->nbenefits + 1, 1);
    if (!set || !concerned) {
        rc = kr__err(err, KR_ENOMEM, "out of memory");
        goto done;
    }
    nset = 0;
    for (x = kr_xml__first_el(t); x; x = kr_xml__next_el(x)) {
        if (kr_xml__is(x, TNS, "set")) {
            char *v = kr_xml__text(x);
            const char *n = kr_xml__attr(x, "name");
            char *s;
            if (!v || !n) {
                free(v);
                rc = kr__err_at(err, KR_EINVALID, file, kr_xml__line(x),
                                "<set> needs name= and a value");
                goto done;
            }
            s = kr_pool__alloc(&rep->pool, strlen(n) + strlen(v) + 2);
            if (s) {
                sprintf(s, "%s=%s", n, v);
            }
            free(v);
            set[nset++] = s;
        } else if (!kr_xml__is(x, TNS, "expect") &&
                   !kr_xml__is(x, ANS, "application")) {
            rc = kr__err_at(err, KR_EINVALID, file, kr_xml__line(x),
                            "<%s> is not allowed in <test>",
                            (const char *)x->name);
            goto done;
        }
    }
    if (kr_app__from_node(&app, rules, (xmlNode *)app_node, file, &e) < 0) {
        db_add(&d, "  application: %s:%lu: %s\n", e.file, e.line, e.msg);
        bad = 1;
        goto record;
    }
    opts.date = kr_xml__attr(t, "date");
    opts.set = set;
    opts.nset = (size_t)nset;
    opts.flags = KR_EVAL_TRACE;
    rc = kr_eval(&res, rules, app, &opts, &e);
    {
        size_t before = d.len;
        cross_check(rules, app, &opts, res, &e, KR_EVAL_TRACE | KR_EVAL_WALK,
                    "a tree-walking", &d);
        cross_check(rules, app, &opts, res, &e, 0, "an untraced", &d);
        bad |= d.len != before;
    }
    if (rc < 0) {
        rc = KR_OK;
        if (want_error && strstr(e.msg, want_error)) {
            goto record;
        }
        db_add(&d, "  evaluation failed: %s:%lu: %s\n", e.file, e.line,
               e.msg);
        bad = 1;
        goto record;
    }
    for (x = kr_xml__first_el(t); x; x = kr_xml__next_el(x)) {
        int r;
        if (!kr_xml__is(x, TNS, "expect")) {
            continue;
        }
        if ((r = check_expect(res, x, file, &d, concerned, err)) < 0) {
            rc = r;
            goto done;
        }
        bad |= r;
    }
    if (bad) {
        for (i = 0; i < kr_result_benefit_count(res); i++) {
            char *ex = NULL;
            int ri;
            for (ri = 0; ri < rules->nbenefits; ri++) {
                if (strcmp(rules->benefits[ri].id,
                           kr_result_benefit_id(res, i)) == 0) {
                    break;
                }
            }
            if (!concerned[ri]) {
                continue;
            }
            if (kr_result_explain(&ex, res, i, "pl", NULL) == KR_OK) {
                char *line = ex, *nl;
                db_add(&d, "  trace of %s:\n", kr_result_benefit_id(res, i));
                while (line && *line) {
                    nl = strchr(line, '\n');
                    db_add(&d, "    %.*s\n", nl ? (int)(nl - line)
                                                : (int)strlen(line), line);
                    line = nl ? nl + 1 : NULL;
                }
            }
            free(ex);
        }
    }
record:
    te->passed = !bad;
    te->detail = kr_pool__strdup(&rep->pool, d.s ? d.s : "");
    rep->n++;
done:
    free(d.s);
    free(set);
    free(concerned);
    kr_result_free(res);
    kr_app_free(app);
    return rc;
}

static int load_named_rules(kr_rules **out, const char *path,
                            const char *list, kr_error *err)
{
    char *pcopy = strdup(path), *dir, *l = strdup(list), *tok, *save = NULL;
    kr_rules *r = NULL;
    int rc;

    *out = NULL;
    if (!pcopy || !l) {
        free(pcopy);
        free(l);
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    dir = dirname(pcopy);
    if ((rc = kr_rules_new(&r, err)) < 0) {
        goto done;
    }
    for (tok = strtok_r(l, " \t\n", &save); tok;
         tok = strtok_r(NULL, " \t\n", &save)) {
        char *full = malloc(strlen(dir) + strlen(tok) + 2);
        if (!full) {
            rc = kr__err(err, KR_ENOMEM, "out of memory");
            goto done;
        }
        if (tok[0] == '/') {
            strcpy(full, tok);
        } else {
            sprintf(full, "%s/%s", dir, tok);
        }
        rc = kr_rules_add_path(r, full, err);
        free(full);
        if (rc < 0) {
            goto done;
        }
    }
    if ((rc = kr_rules_compile(r, err)) < 0) {
        goto done;
    }
    *out = r;
    r = NULL;
done:
    kr_rules_free(r);
    free(pcopy);
    free(l);
    return rc;
}

int kr_tests_run_file(kr_test_report **out, const char *path,
                      const kr_rules *rules, kr_error *err)
{
    char *buf = NULL;
    size_t len;
    xmlDocPtr doc = NULL;
    xmlNode *root, *t;
    kr_rules *own = NULL;
    kr_test_report *rep = NULL;
    int rc, n = 0;

    *out = NULL;
    if ((rc = kr_xml__slurp(&buf, &len, path, KR_XML_MAX_BYTES, err)) < 0 ||
        (rc = kr_xml__parse(&doc, path, buf, len, err)) < 0) {
        goto done;
    }
    root = xmlDocGetRootElement(doc);
    if (!kr_xml__is(root, TNS, "tests")) {
        rc = kr__err_at(err, KR_ENOTFOUND, path, 0, "not a rule test file "
                        "(root element <tests xmlns=\"" TNS "\">)");
        goto done;
    }
    if (!rules) {
        const char *list = kr_xml__attr(root, "rules");
        if (!list) {
            rc = kr__err_at(err, KR_EINVALID, path, kr_xml__line(root),
                            "<tests> needs rules=\"...\" (the rule files "
                            "to test, relative to this file)");
            goto done;
        }
        if ((rc = load_named_rules(&own, path, list, err)) < 0) {
            goto done;
        }
        rules = own;
    }
    for (t = kr_xml__first_el(root); t; t = kr_xml__next_el(t)) {
        if (!kr_xml__is(t, TNS, "test")) {
            rc = kr__err_at(err, KR_EINVALID, path, kr_xml__line(t),
                            "<%s> is not allowed in <tests>",
                            (const char *)t->name);
            goto done;
        }
        n++;
    }
    if (!(rep = calloc(1, sizeof(*rep)))) {
        rc = kr__err(err, KR_ENOMEM, "out of memory");
        goto done;
    }
    kr_pool__init(&rep->pool);
    if (!(rep->t = kr_pool__alloc(&rep->pool, sizeof(*rep->t) *
                                  (size_t)(n + 1)))) {
        rc = kr__err(err, KR_ENOMEM, "out of memory");
        goto done;
    }
    for (t = kr_xml__first_el(root); t; t = kr_xml__next_el(t)) {
        if ((rc = run_test(rep, rules, t, path, err)) < 0) {
            goto done;
        }
    }
    *out = rep;
    rep = NULL;
    rc = KR_OK;
done:
    kr_test_report_free(rep);
    kr_rules_free(own);
    xmlFreeDoc(doc);
    free(buf);
    return rc;
}

void kr_test_report_free(kr_test_report *rep)
{
    if (!rep) {
        return;
    }
    kr_pool__free(&rep->pool);
    free(rep);
}

size_t kr_test_report_count(const kr_test_report *rep)
{
    return (size_t)rep->n;
}

const char *kr_test_report_id(const kr_test_report *rep, size_t i)
{
    return i < (size_t)rep->n ? rep->t[i].id : NULL;
}

const char *kr_test_report_source(const kr_test_report *rep, size_t i)
{
    return i < (size_t)rep->n ? rep->t[i].source : NULL;
}

int kr_test_report_passed(const kr_test_report *rep, size_t i)
{
    return i < (size_t)rep->n && rep->t[i].passed;
}

const char *kr_test_report_detail(const kr_test_report *rep, size_t i)
{
    return i < (size_t)rep->n ? rep->t[i].detail : NULL;
}
