/*
 * check_expr.c - unit tests for the formula parser (lib/expr.c).
 *
 * Trees are printed as S-expressions and compared with strings written by
 * hand, so a precedence mistake shows as a different bracketing.  Syntax
 * errors are checked for their code, their exact message, and the line
 * and column they point at.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "internal.h"
#include "testutil.h"

/* ---------------------------------------------------------------- */
/* Printing a tree                                                  */

typedef struct {
    char buf[4096];
    size_t len;
} out_buf;

static void put(out_buf *o, const char *s)
{
    size_t l = strlen(s);

    ck_assert_msg(o->len + l < sizeof(o->buf), "tree text too long");
    memcpy(o->buf + o->len, s, l + 1);
    o->len += l;
}

static const char *const func_names[] = {
    "min", "max", "abs", "round", "age", "add_months", "months_between",
    "year", "month", "day", "days_between", "days_in_month", "date"
};

static const char *const agg_names[] = {
    "sum", "count", "any", "all", "min", "max"
};

static const char *op_name(int kind)
{
    switch (kind) {
    case E_ADD: return "+";
    case E_SUB: return "-";
    case E_MUL: return "*";
    case E_DIV: return "/";
    case E_EQ: return "=";
    case E_NE: return "!=";
    case E_LT: return "<";
    case E_LE: return "<=";
    case E_GT: return ">";
    case E_GE: return ">=";
    case E_AND: return "and";
    case E_OR: return "or";
    case E_IN: return "in";
    case E_IF: return "if";
    case E_NEG: return "neg";
    case E_NOT: return "not";
    default: return NULL;
    }
}

static void print_expr(out_buf *o, const kr_expr *e)
{
    char tmp[64];
    int i;

    ck_assert_ptr_nonnull(e);
    switch (e->kind) {
    case E_NUM: {
        char *s = kr_dec_to_string(e->lit.q, 0);
        ck_assert_ptr_nonnull(s);
        put(o, s);
        free(s);
        return;
    }
    case E_STR:
        put(o, "\"");
        put(o, e->lit.s);
        put(o, "\"");
        return;
    case E_BOOL:
        put(o, e->lit.b ? "true" : "false");
        return;
    case E_DATE:
        kr_date_format(tmp, e->lit.d);
        put(o, "#");
        put(o, tmp);
        return;
    case E_REF:
        put(o, e->name);
        return;
    case E_ROLE:
        put(o, kr_role_names[e->op]);
        put(o, ".");
        put(o, e->name);
        return;
    case E_TODAY:
        put(o, "today");
        return;
    case E_APPDATE:
        put(o, "application_date");
        return;
    case E_PROLE:
        put(o, "role");
        return;
    case E_CALL:
        put(o, "(");
        put(o, func_names[e->op]);
        break;
    case E_SCALE:
        put(o, "(scale ");
        put(o, e->name);
        break;
    case E_AT:
        put(o, "(at ");
        put(o, e->name);
        break;
    case E_AGG:
        put(o, "(");
        put(o, agg_names[e->op]);
        put(o, e->ent == KR_ENT_PERSON ? " person"
               : e->ent == KR_ENT_INCOME ? " income" : " ?");
        break;
    default:
        ck_assert_ptr_nonnull(op_name(e->kind));
        put(o, "(");
        put(o, op_name(e->kind));
        break;
    }
    for (i = 0; i < e->nargs; i++) {
        put(o, " ");
        print_expr(o, e->args[i]);
    }
    if (e->kind == E_AGG && e->where) {
        put(o, " where ");
        print_expr(o, e->where);
    }
    put(o, ")");
}

/* ---------------------------------------------------------------- */
/* Helpers                                                          */

static int parse(kr_pool *pool, kr_expr **e, const char *text,
                 unsigned long line, kr_error *err)
{
    kr_src src;

    src.file = "f.xml";
    src.line = line;
    src.text = text;
    kr_error_clear(err);
    return kr_expr__parse(e, pool, text, &src, err);
}

/* text parses and prints as want. */
static void expect_tree(const char *text, const char *want)
{
    kr_pool pool;
    kr_expr *e = NULL;
    kr_error err;
    out_buf o;
    int rc;

    kr_pool__init(&pool);
    rc = parse(&pool, &e, text, 10, &err);
    if (rc != KR_OK) {
        kr_pool__free(&pool);
        ck_abort_msg("parse [%s]: rc %d: %s (col %lu)", text, rc, err.msg,
                     err.column);
    }
    o.len = 0;
    o.buf[0] = '\0';
    print_expr(&o, e);
    kr_pool__free(&pool);
    ck_assert_msg(strcmp(o.buf, want) == 0, "parse [%s] = %s, want %s",
                  text, o.buf, want);
}

/*
 * text fails with code, the exact message msg, at line/column.  The
 * formula's element is at line 10 unless the formula spans lines.
 */
static void expect_error(const char *text, kr_code code,
                         unsigned long line, unsigned long col,
                         const char *msg)
{
    kr_pool pool;
    kr_expr *e = (kr_expr *)&pool; /* must be reset to NULL */
    kr_error err;
    int rc;

    kr_pool__init(&pool);
    rc = parse(&pool, &e, text, 10, &err);
    kr_pool__free(&pool);
    ck_assert_msg(rc == (int)code && err.code == code,
                  "parse [%s]: rc %d code %d, want %d (%s)", text, rc,
                  err.code, code, err.msg);
    ck_assert_msg(e == NULL, "parse [%s]: *out not NULL on error", text);
    ck_assert_str_eq(err.file, "f.xml");
    ck_assert_msg(strcmp(err.msg, msg) == 0,
                  "parse [%s]: message\n  [%s]\nwant\n  [%s]", text, err.msg,
                  msg);
    ck_assert_msg(err.line == line && err.column == col,
                  "parse [%s]: at %lu:%lu, want %lu:%lu (%s)", text,
                  err.line, err.column, line, col, err.msg);
}

/* ---------------------------------------------------------------- */
/* Precedence and shape                                             */

START_TEST(test_arith_precedence)
{
    expect_tree("1 + 2 * 3", "(+ 1 (* 2 3))");
    expect_tree("1 * 2 + 3", "(+ (* 1 2) 3)");
    expect_tree("(1 + 2) * 3", "(* (+ 1 2) 3)");
    expect_tree("1 - 2 - 3", "(- (- 1 2) 3)");
    expect_tree("8 / 4 / 2", "(/ (/ 8 4) 2)");
    expect_tree("1 - 2 + 3", "(+ (- 1 2) 3)");
    expect_tree("a / b * c", "(* (/ a b) c)");
    expect_tree("1+2*3-4/5", "(- (+ 1 (* 2 3)) (/ 4 5))");
}
END_TEST

START_TEST(test_unary_minus)
{
    expect_tree("-1", "(neg 1)");
    expect_tree("-a * b", "(* (neg a) b)");
    expect_tree("a * -b", "(* a (neg b))");
    expect_tree("- - a", "(neg (neg a))");
    expect_tree("a - -b", "(- a (neg b))");
    expect_tree("-(a + b)", "(neg (+ a b))");
    expect_tree("1 -2", "(- 1 2)");
}
END_TEST

START_TEST(test_logic_precedence)
{
    expect_tree("not a and b or c", "(or (and (not a) b) c)");
    expect_tree("a or b and c", "(or a (and b c))");
    expect_tree("not not a", "(not (not a))");
    expect_tree("not a = b", "(not (= a b))");
    expect_tree("a < b and c >= d or not e",
                "(or (and (< a b) (>= c d)) (not e))");
    expect_tree("a + 1 > b * 2", "(> (+ a 1) (* b 2))");
    expect_tree("a = b", "(= a b)");
    expect_tree("a == b", "(= a b)");
    expect_tree("a != b", "(!= a b)");
    expect_tree("a <> b", "(!= a b)");
    expect_tree("a <= b", "(<= a b)");
    expect_tree("a > b", "(> a b)");
    expect_tree("a or b or c", "(or (or a b) c)");
}
END_TEST

START_TEST(test_if_then_else)
{
    expect_tree("if a then 1 else 2", "(if a 1 2)");
    expect_tree("if a then if b then 1 else 2 else 3",
                "(if a (if b 1 2) 3)");
    expect_tree("if a then 1 else if b then 2 else 3",
                "(if a 1 (if b 2 3))");
    /* else takes the whole rest: "else 2 + 3" is "else (2 + 3)" */
    expect_tree("if a then 1 else 2 + 3", "(if a 1 (+ 2 3))");
    expect_tree("1 + (if a > 0 then a else 0)",
                "(+ 1 (if (> a 0) a 0))");
    expect_tree("if x = 1 or y then \"a\" else 'b'",
                "(if (or (= x 1) y) \"a\" \"b\")");
}
END_TEST

START_TEST(test_literals)
{
    expect_tree("130%", "1.3");
    expect_tree("5%", "0.05");
    expect_tree("701.00", "701");
    expect_tree("0.125", "0.125");
    expect_tree("true", "true");
    expect_tree("false", "false");
    expect_tree("'wynagrodzenie'", "\"wynagrodzenie\"");
    expect_tree("\"it's\"", "\"it's\"");
    expect_tree("date(\"2024-02-29\")", "#2024-02-29");
    expect_tree("date('2025-01-01')", "#2025-01-01");
    expect_tree("date(y, m, 1)", "(date y m 1)");
    expect_tree("today", "today");
    expect_tree("application_date", "application_date");
    expect_tree("role = \"child\"", "(= role \"child\")");
    expect_tree("x in (\"a\", \"b\", 'c')", "(in x \"a\" \"b\" \"c\")");
    expect_tree("x in (1 + 1, 3)", "(in x (+ 1 1) 3)");
    expect_tree("not x in (1)", "(not (in x 1))");
    expect_tree("  \n\t a \r\n", "a");
}
END_TEST

START_TEST(test_functions)
{
    expect_tree("min(a, b, 3)", "(min a b 3)");
    expect_tree("max(a)", "(max a)");
    expect_tree("abs(a - b)", "(abs (- a b))");
    expect_tree("round(x, 0.01, \"half-up\")", "(round x 0.01 \"half-up\")");
    expect_tree("age(data_urodzenia)", "(age data_urodzenia)");
    expect_tree("age(b, date(\"2025-01-01\"))", "(age b #2025-01-01)");
    expect_tree("add_months(d, -3)", "(add_months d (neg 3))");
    expect_tree("months_between(a, b)", "(months_between a b)");
    expect_tree("days_between(a, b)", "(days_between a b)");
    expect_tree("days_in_month(d)", "(days_in_month d)");
    expect_tree("year(d) + month(d) + day(d)",
                "(+ (+ (year d) (month d)) (day d))");
    expect_tree("at(kryterium, date(\"2024-01-01\"))",
                "(at kryterium #2024-01-01)");
    expect_tree("odplatnosc(dochod / kryterium)",
                "(scale odplatnosc (/ dochod kryterium))");
}
END_TEST

START_TEST(test_aggregations)
{
    expect_tree("sum(person: x where y)", "(sum person x where y)");
    expect_tree("sum(person: x)", "(sum person x)");
    expect_tree("count(person)", "(count person)");
    expect_tree("count( person )", "(count person)");
    expect_tree("count(person where age(data_urodzenia) < 18)",
                "(count person where (< (age data_urodzenia) 18))");
    expect_tree("count(person where role = \"child\")",
                "(count person where (= role \"child\"))");
    expect_tree("sum(income: kwota where zrodlo != \"alimenty\")",
                "(sum income kwota where (!= zrodlo \"alimenty\"))");
    expect_tree("any(person: niepelnosprawny)",
                "(any person niepelnosprawny)");
    expect_tree("all(income: kwota > 0)", "(all income (> kwota 0))");
    expect_tree("min(person: dochod)", "(min person dochod)");
    expect_tree("max(person:dochod where role=\"child\")",
                "(max person dochod where (= role \"child\"))");
    expect_tree("1 + sum(person: a * 2) / count(person)",
                "(+ 1 (/ (sum person (* a 2)) (count person)))");
    /* nested: a person's incomes inside a person aggregation */
    expect_tree("sum(person: sum(income: kwota))",
                "(sum person (sum income kwota))");
    /* an entity keyword not followed by ':' ')' 'where' is a name */
    expect_tree("min(personal, 2)", "(min personal 2)");
}
END_TEST

START_TEST(test_roles)
{
    expect_tree("applicant.dochod_osoby", "applicant.dochod_osoby");
    expect_tree("spouse.x + child.y", "(+ spouse.x child.y)");
    expect_tree("relative.a or other.b", "(or relative.a other.b)");
    expect_tree("applicant . x", "applicant.x");
}
END_TEST

START_TEST(test_positions)
{
    kr_pool pool;
    kr_expr *e = NULL;
    kr_error err;

    kr_pool__init(&pool);
    ck_assert_int_eq(parse(&pool, &e, "ab + cd * 2", 1, &err), KR_OK);
    ck_assert_int_eq(e->kind, E_ADD);
    ck_assert_uint_eq(e->pos, 3);                 /* the '+' */
    ck_assert_uint_eq(e->args[0]->pos, 0);
    ck_assert_uint_eq(e->args[1]->pos, 8);        /* the '*' */
    ck_assert_uint_eq(e->args[1]->args[0]->pos, 5);
    ck_assert_uint_eq(e->args[1]->args[1]->pos, 10);
    kr_pool__free(&pool);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Syntax errors                                                    */

START_TEST(test_err_empty)
{
    expect_error("", KR_EPARSE, 10, 1, "empty formula");
    expect_error("   \n  ", KR_EPARSE, 10, 1, "empty formula");
}
END_TEST

START_TEST(test_err_chained_comparison)
{
    expect_error("a < b < c", KR_EPARSE, 10, 7,
                 "comparisons do not chain; write 'a < b and b < c'");
    expect_error("1 = 1 = 1", KR_EPARSE, 10, 7,
                 "comparisons do not chain; write 'a < b and b < c'");
    expect_error("a <= b >= c", KR_EPARSE, 10, 8,
                 "comparisons do not chain; write 'a < b and b < c'");
    /* with and between them it is fine */
    expect_tree("a < b and b < c", "(and (< a b) (< b c))");
}
END_TEST

START_TEST(test_err_unterminated_string)
{
    expect_error("x = \"abc", KR_EPARSE, 10, 5, "unterminated text literal");
    expect_error("x = 'abc\"", KR_EPARSE, 10, 5,
                 "unterminated text literal");
    expect_error("'", KR_EPARSE, 10, 1, "unterminated text literal");
}
END_TEST

START_TEST(test_err_characters)
{
    /* "dochód": the byte 'ó' starts at offset 4 */
    expect_error("dochód + 1", KR_EPARSE, 10, 5,
                 "unexpected character (names are ASCII: a-z, 0-9 and _)");
    expect_error("1 # 2", KR_EPARSE, 10, 3, "unexpected character '#'");
    expect_error("a ! b", KR_EPARSE, 10, 3, "unexpected character '!'");
    expect_error("a & b", KR_EPARSE, 10, 3, "unexpected character '&'");
    expect_error("a ^ 2", KR_EPARSE, 10, 3, "unexpected character '^'");
    expect_error("x; y", KR_EPARSE, 10, 2, "unexpected character ';'");
}
END_TEST

START_TEST(test_err_tokens)
{
    expect_error("(1 + 2", KR_EPARSE, 10, 7,
                 "expected ')' but found the end of the formula");
    expect_error("1 + 2)", KR_EPARSE, 10, 6,
                 "unexpected ')' after a complete formula (missing "
                 "operator?)");
    expect_error("a b", KR_EPARSE, 10, 3,
                 "unexpected 'b' after a complete formula (missing "
                 "operator?)");
    expect_error("1.", KR_EPARSE, 10, 2,
                 "unexpected '.' after a complete formula (missing "
                 "operator?)");
    expect_error("1 +", KR_EPARSE, 10, 4,
                 "expected a value but found the end of the formula");
    expect_error("* 2", KR_EPARSE, 10, 1, "expected a value but found '*'");
    expect_error("1 + )", KR_EPARSE, 10, 5,
                 "expected a value but found ')'");
    expect_error("1 + then", KR_EPARSE, 10, 5,
                 "expected a value but found 'then'");
    expect_error("a and or b", KR_EPARSE, 10, 7,
                 "expected a value but found 'or'");
    expect_error("x in 1", KR_EPARSE, 10, 6,
                 "expected '(' after 'in' but found '1'");
    expect_error("x in (1, 2", KR_EPARSE, 10, 11,
                 "expected ',' or ')' but found the end of the formula");
    expect_error("min(1 2)", KR_EPARSE, 10, 7,
                 "expected ',' or ')' but found '2'");
}
END_TEST

START_TEST(test_err_if)
{
    expect_error("if a 1 else 2", KR_EPARSE, 10, 6,
                 "expected 'then' but found '1'");
    expect_error("if a then 1", KR_EPARSE, 10, 12,
                 "expected 'else' but found the end of the formula (every "
                 "'if' needs an 'else')");
    expect_error("if a then 1 then 2", KR_EPARSE, 10, 13,
                 "expected 'else' but found 'then' (every 'if' needs an "
                 "'else')");
}
END_TEST

START_TEST(test_err_calls)
{
    expect_error("round(x, 0.01)", KR_EPARSE, 10, 1,
                 "round() takes 3 arguments, not 2");
    expect_error("abs(1, 2)", KR_EPARSE, 10, 1,
                 "abs() takes 1 argument, not 2");
    expect_error("abs()", KR_EPARSE, 10, 1,
                 "abs() takes 1 argument, not 0");
    expect_error("add_months(d)", KR_EPARSE, 10, 1,
                 "add_months() takes 2 arguments, not 1");
    expect_error("min()", KR_EPARSE, 10, 1,
                 "min() takes 1 or more arguments, not 0");
    expect_error("age(a, b, c)", KR_EPARSE, 10, 1,
                 "age() takes 1 or 2 arguments, not 3");
    expect_error("1 + foo(1, 2)", KR_EPARSE, 10, 5,
                 "unknown function 'foo'");
    expect_error("foo()", KR_EPARSE, 10, 1, "unknown function 'foo'");
    expect_error("at(1, d)", KR_EPARSE, 10, 1,
                 "at() takes a parameter name and a date: "
                 "at(parameter, date)");
    expect_error("at(p)", KR_EPARSE, 10, 1,
                 "at() takes a parameter name and a date: "
                 "at(parameter, date)");
}
END_TEST

START_TEST(test_err_date)
{
    static const char msg[] = "date() takes one text \"YYYY-MM-DD\" with a "
                              "real calendar date, or (year, month, day)";
    expect_error("date(\"2024-02-30\")", KR_EPARSE, 10, 1, msg);
    expect_error("date(\"2023-02-29\")", KR_EPARSE, 10, 1, msg);
    expect_error("x < date(\"2024-13-01\")", KR_EPARSE, 10, 5, msg);
    expect_error("date(\"1.1.2024\")", KR_EPARSE, 10, 1, msg);
    expect_error("date(20240101)", KR_EPARSE, 10, 1, msg);
    expect_error("date(\"2024-01-01\", 1)", KR_EPARSE, 10, 1, msg);
    /* a leap day is a real date */
    expect_tree("date(\"2000-02-29\")", "#2000-02-29");
}
END_TEST

START_TEST(test_err_aggregation)
{
    expect_error("sum(person)", KR_EPARSE, 10, 11,
                 "expected ':' after the entity (e.g. sum(person: dochod)) "
                 "but found ')'");
    expect_error("count(person: x)", KR_EPARSE, 10, 13,
                 "expected ')' or 'where' but found ':'");
    expect_error("sum(person: x y)", KR_EPARSE, 10, 15,
                 "expected ')' or 'where' but found 'y'");
    expect_error("count(person where)", KR_EPARSE, 10, 19,
                 "expected a value but found ')'");
    expect_error("abs(person: x)", KR_EPARSE, 10, 1,
                 "'abs' cannot aggregate; use sum, count, any, all, min "
                 "or max");
    expect_error("sum(person: x", KR_EPARSE, 10, 14,
                 "expected ')' or 'where' but found the end of the "
                 "formula");
}
END_TEST

START_TEST(test_err_roles)
{
    expect_error("wnioskodawca.x", KR_EPARSE, 10, 1,
                 "'wnioskodawca.' is not a role (applicant, spouse, child, "
                 "relative, other)");
    expect_error("1 + applicant.", KR_EPARSE, 10, 15,
                 "expected a name after 'applicant.' but found the end of "
                 "the formula");
    expect_error("applicant.1", KR_EPARSE, 10, 11,
                 "expected a name after 'applicant.' but found '1'");
}
END_TEST

START_TEST(test_err_lines)
{
    /* the error's line is the element's line plus the newlines before
     * it; the column counts from the start of that line */
    expect_error("a +\n  b +\n    #", KR_EPARSE, 12, 5,
                 "unexpected character '#'");
    expect_error("a\n\n)", KR_EPARSE, 12, 1,
                 "unexpected ')' after a complete formula (missing "
                 "operator?)");
    expect_error("if a\nthen 1", KR_EPARSE, 11, 7,
                 "expected 'else' but found the end of the formula (every "
                 "'if' needs an 'else')");
    expect_error("x = 1\r\n + 'abc", KR_EPARSE, 11, 4,
                 "unterminated text literal");
    /* kr_expr__err itself, as the checker uses it */
    {
        kr_error err = KR_ERROR_INIT;
        kr_src src = { "g.xml", 7, "aa\nbbb ccc" };
        ck_assert_int_eq(kr_expr__err(&err, KR_EINVALID, &src, 7,
                                      "bad %s", "ccc"), KR_EINVALID);
        ck_assert_str_eq(err.file, "g.xml");
        ck_assert_uint_eq(err.line, 8);
        ck_assert_uint_eq(err.column, 5);
        ck_assert_str_eq(err.msg, "bad ccc");
        /* the first error wins */
        ck_assert_int_eq(kr_expr__err(&err, KR_EPARSE, &src, 0, "later"),
                         KR_EPARSE);
        ck_assert_int_eq(err.code, KR_EINVALID);
        ck_assert_str_eq(err.msg, "bad ccc");
        ck_assert_uint_eq(err.column, 5);
    }
}
END_TEST

/* ---------------------------------------------------------------- */
/* Limits                                                           */

static char *nested(int depth, const char *open, const char *core,
                    const char *close)
{
    size_t lo = strlen(open), lc = strlen(close), l = strlen(core);
    char *s = malloc((size_t)depth * (lo + lc) + l + 1);
    char *p = s;
    int i;

    ck_assert_ptr_nonnull(s);
    for (i = 0; i < depth; i++) {
        memcpy(p, open, lo);
        p += lo;
    }
    memcpy(p, core, l);
    p += l;
    for (i = 0; i < depth; i++) {
        memcpy(p, close, lc);
        p += lc;
    }
    *p = '\0';
    return s;
}

static int parse_code(const char *text, kr_error *err)
{
    kr_pool pool;
    kr_expr *e = NULL;
    int rc;

    kr_pool__init(&pool);
    rc = parse(&pool, &e, text, 1, err);
    kr_pool__free(&pool);
    return rc;
}

START_TEST(test_depth_limit)
{
    kr_error err;
    char *s;
    int rc;

    /* 99 parentheses: 100 levels with the formula itself, allowed */
    s = nested(99, "(", "1", ")");
    rc = parse_code(s, &err);
    free(s);
    TU_ASSERT_OK(rc, err);

    /* 101 parentheses: refused as a limit, at the 101st '(' */
    s = nested(101, "(", "1", ")");
    rc = parse_code(s, &err);
    free(s);
    ck_assert_int_eq(rc, KR_ELIMIT);
    ck_assert_int_eq(err.code, KR_ELIMIT);
    ck_assert_str_eq(err.msg, "formula nested deeper than 100 levels");
    ck_assert_uint_eq(err.line, 1);
    ck_assert_uint_eq(err.column, 101);

    /* far deeper input fails the same way, without exhausting the stack */
    s = nested(100000, "(", "1", ")");
    rc = parse_code(s, &err);
    free(s);
    ck_assert_int_eq(rc, KR_ELIMIT);

    /* function calls nest too */
    s = nested(200, "abs(", "1", ")");
    rc = parse_code(s, &err);
    free(s);
    ck_assert_int_eq(rc, KR_ELIMIT);

    s = nested(200, "if a then ", "1", " else 0");
    rc = parse_code(s, &err);
    free(s);
    ck_assert_int_eq(rc, KR_ELIMIT);
}
END_TEST

START_TEST(test_depth_limit_unary)
{
    kr_error err;
    char *s;
    int rc;

    /* prefix operators nest as deeply as parentheses do */
    s = nested(100000, "-", "1", "");
    rc = parse_code(s, &err);
    free(s);
    ck_assert_int_eq(rc, KR_ELIMIT);
    ck_assert_str_eq(err.msg, "formula nested deeper than 100 levels");

    s = nested(100000, "not ", "a", "");
    rc = parse_code(s, &err);
    free(s);
    ck_assert_int_eq(rc, KR_ELIMIT);

    s = nested(50, "-", "1", "");
    rc = parse_code(s, &err);
    free(s);
    TU_ASSERT_OK(rc, err);
}
END_TEST

/* "1+1+...+1" with n pluses. */
static char *chain(int n)
{
    char *s = malloc(2 * (size_t)n + 2);
    int i;

    ck_assert_ptr_nonnull(s);
    s[0] = '1';
    for (i = 0; i < n; i++) {
        s[1 + 2 * i] = '+';
        s[2 + 2 * i] = '1';
    }
    s[1 + 2 * n] = '\0';
    return s;
}

START_TEST(test_node_limit)
{
    kr_error err;
    char *s;
    int rc;

    /* a long chain is parsed by a loop but makes a tree as deep as it is
     * long: 4999 pluses are 9999 nodes, allowed */
    s = chain(4999);
    rc = parse_code(s, &err);
    free(s);
    TU_ASSERT_OK(rc, err);
    /* 5000 pluses are 10001 nodes: the last '+' is refused */
    s = chain(5000);
    rc = parse_code(s, &err);
    free(s);
    ck_assert_int_eq(rc, KR_ELIMIT);
    ck_assert_str_eq(err.msg, "formula has more than 10000 terms and "
                     "operators");
    ck_assert_uint_eq(err.column, 2 * 5000);
    /* a million: refused the same way, no stack exhausted later */
    s = chain(1000000);
    rc = parse_code(s, &err);
    free(s);
    ck_assert_int_eq(rc, KR_ELIMIT);
}
END_TEST

START_TEST(test_argument_limits)
{
    char text[512];
    size_t l = 0;
    kr_error err;
    int i, rc;

    /* 32 arguments are allowed, 33 are not */
    l = (size_t)snprintf(text, sizeof(text), "min(1");
    for (i = 1; i < 32; i++) {
        l += (size_t)snprintf(text + l, sizeof(text) - l, ", 1");
    }
    snprintf(text + l, sizeof(text) - l, ")");
    rc = parse_code(text, &err);
    TU_ASSERT_OK(rc, err);
    snprintf(text + l, sizeof(text) - l, ", 1)");
    rc = parse_code(text, &err);
    ck_assert_int_eq(rc, KR_ELIMIT);
    ck_assert_str_eq(err.msg, "more than 32 arguments");
    ck_assert_uint_eq(err.column, l + 3);

    l = (size_t)snprintf(text, sizeof(text), "x in (1");
    for (i = 1; i < 33; i++) {
        l += (size_t)snprintf(text + l, sizeof(text) - l, ", 1");
    }
    snprintf(text + l, sizeof(text) - l, ")");
    rc = parse_code(text, &err);
    ck_assert_int_eq(rc, KR_ELIMIT);
    ck_assert_str_eq(err.msg, "more than 32 items after 'in'");
}
END_TEST

START_TEST(test_number_too_long)
{
    char text[260];
    kr_error err;
    int rc;

    memset(text, '9', 201);
    text[201] = '\0';
    rc = parse_code(text, &err);
    ck_assert_int_eq(rc, KR_EPARSE);
    ck_assert_msg(strncmp(err.msg, "bad number '999", 15) == 0, "%s",
                  err.msg);
    text[200] = '\0';
    rc = parse_code(text, &err);
    TU_ASSERT_OK(rc, err);
}
END_TEST

static Suite *expr_suite(void)
{
    Suite *s = suite_create("expr");
    TCase *tc;

    tc = tcase_create("parse");
    tcase_add_test(tc, test_arith_precedence);
    tcase_add_test(tc, test_unary_minus);
    tcase_add_test(tc, test_logic_precedence);
    tcase_add_test(tc, test_if_then_else);
    tcase_add_test(tc, test_literals);
    tcase_add_test(tc, test_functions);
    tcase_add_test(tc, test_aggregations);
    tcase_add_test(tc, test_roles);
    tcase_add_test(tc, test_positions);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_err_empty);
    tcase_add_test(tc, test_err_chained_comparison);
    tcase_add_test(tc, test_err_unterminated_string);
    tcase_add_test(tc, test_err_characters);
    tcase_add_test(tc, test_err_tokens);
    tcase_add_test(tc, test_err_if);
    tcase_add_test(tc, test_err_calls);
    tcase_add_test(tc, test_err_date);
    tcase_add_test(tc, test_err_aggregation);
    tcase_add_test(tc, test_err_roles);
    tcase_add_test(tc, test_err_lines);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_depth_limit_unary);
    tcase_add_test(tc, test_node_limit);
    tcase_add_test(tc, test_argument_limits);
    tcase_add_test(tc, test_number_too_long);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(expr_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
