/*
 * expr.c - the formula language: lexer and recursive-descent parser.
 *
 * Grammar (lowest precedence first):
 *   expr    := 'if' expr 'then' expr 'else' expr | or
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | cmp
 *   cmp     := add (('='|'!='|'<'|'<='|'>'|'>=') add | 'in' '(' list ')')?
 *   add     := mul (('+'|'-') mul)*
 *   mul     := unary (('*'|'/') unary)*
 *   unary   := '-' unary | primary
 *   primary := NUMBER | STRING | 'true' | 'false' | '(' expr ')'
 *            | NAME ('.' NAME)?              (role.name)
 *            | NAME '(' args ')'            (function, scale, aggregate)
 * Comparisons do not chain (a < b < c is a syntax error, not a surprise).
 * Names are resolved and types checked later, in rules_check.c; the
 * parser only builds the tree and reports syntax errors with a position.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef enum {
    T_END, T_NUM, T_STR, T_NAME, T_LP, T_RP, T_COMMA, T_COLON, T_DOT,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE
} tok_kind;

typedef struct {
    const char *text;
    size_t pos;            /* current position */
    tok_kind kind;         /* current token */
    size_t tstart, tlen;   /* current token extent */
    kr_pool *pool;
    const kr_src *src;
    kr_error *err;
    int depth;
    int nodes;
} parser;

#define MAX_DEPTH 100
/* Nodes per formula.  A chain "1 + 1 + ... + 1" is parsed by a loop but
 * makes a tree as deep as it is long, which the checker and the
 * evaluator walk recursively: the cap bounds their stack depth. */
#define MAX_NODES 10000

int kr_expr__err(kr_error *err, kr_code code, const kr_src *src,
                 unsigned pos, const char *fmt, ...)
{
    char msg[KR_ERROR_MSG_SIZE];
    va_list ap;
    unsigned long line = src ? src->line : 0, col = pos + 1;
    const char *t = src ? src->text : NULL;
    unsigned i;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (t) {
        /* formulas may span lines: report the line of the error and the
         * column within that line */
        unsigned ls = 0;
        for (i = 0; i < pos && t[i]; i++) {
            if (t[i] == '\n') {
                line++;
                ls = i + 1;
            }
        }
        col = pos - ls + 1;
    }
    kr__err_at(err, code, src ? src->file : NULL, line, "%s", msg);
    if (err && err->column == 0 && err->code == code) {
        err->column = col;
    }
    return code;
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int lex(parser *p)
{
    const char *t = p->text;
    size_t i = p->pos;

    while (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r') {
        i++;
    }
    p->tstart = i;
    if (!t[i]) {
        p->kind = T_END;
        p->tlen = 0;
        p->pos = i;
        return 0;
    }
    if (is_digit(t[i])) {
        size_t s = i;
        while (is_digit(t[i])) {
            i++;
        }
        if (t[i] == '.' && is_digit(t[i + 1])) {
            i++;
            while (is_digit(t[i])) {
                i++;
            }
        }
        if (t[i] == '%') {
            i++;
        }
        p->kind = T_NUM;
        p->tlen = i - s;
        p->pos = i;
        return 0;
    }
    if (is_alpha(t[i])) {
        size_t s = i;
        while (is_alpha(t[i]) || is_digit(t[i])) {
            i++;
        }
        p->kind = T_NAME;
        p->tlen = i - s;
        p->pos = i;
        return 0;
    }
    if (t[i] == '"' || t[i] == '\'') {
        char q = t[i];
        size_t s = ++i;
        while (t[i] && t[i] != q) {
            i++;
        }
        if (!t[i]) {
            return kr_expr__err(p->err, KR_EPARSE, p->src,
                                (unsigned)p->tstart,
                                "unterminated text literal");
        }
        p->kind = T_STR;
        p->tstart = s;
        p->tlen = i - s;
        p->pos = i + 1;
        return 0;
    }
    p->tlen = 1;
    switch (t[i]) {
    case '(': p->kind = T_LP; break;
    case ')': p->kind = T_RP; break;
    case ',': p->kind = T_COMMA; break;
    case ':': p->kind = T_COLON; break;
    case '.': p->kind = T_DOT; break;
    case '+': p->kind = T_PLUS; break;
    case '-': p->kind = T_MINUS; break;
    case '*': p->kind = T_STAR; break;
    case '/': p->kind = T_SLASH; break;
    case '=':
        p->kind = T_EQ;
        if (t[i + 1] == '=') {
            p->tlen = 2;
        }
        break;
    case '!':
        if (t[i + 1] != '=') {
            goto bad;
        }
        p->kind = T_NE;
        p->tlen = 2;
        break;
    case '<':
        p->kind = T_LT;
        if (t[i + 1] == '=') {
            p->kind = T_LE;
            p->tlen = 2;
        } else if (t[i + 1] == '>') {
            p->kind = T_NE;
            p->tlen = 2;
        }
        break;
    case '>':
        p->kind = T_GT;
        if (t[i + 1] == '=') {
            p->kind = T_GE;
            p->tlen = 2;
        }
        break;
    default:
        goto bad;
    }
    p->pos = i + p->tlen;
    return 0;
bad:
    if ((unsigned char)t[i] >= 0x80) {
        return kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)i,
                            "unexpected character (names are ASCII: "
                            "a-z, 0-9 and _)");
    }
    return kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)i,
                        "unexpected character '%c'", t[i]);
}

static int is_kw(const parser *p, const char *kw)
{
    return p->kind == T_NAME && strlen(kw) == p->tlen &&
           memcmp(p->text + p->tstart, kw, p->tlen) == 0;
}

static const char *tok_desc(const parser *p, char *buf, size_t n)
{
    if (p->kind == T_END) {
        return "the end of the formula";
    }
    snprintf(buf, n, "'%.*s'", (int)(p->tlen > 40 ? 40 : p->tlen),
             p->text + p->tstart);
    return buf;
}

static int expect(parser *p, tok_kind k, const char *what)
{
    char b[64];
    if (p->kind != k) {
        return kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)p->tstart,
                            "expected %s but found %s", what,
                            tok_desc(p, b, sizeof(b)));
    }
    return lex(p);
}

static kr_expr *node(parser *p, int kind, size_t pos)
{
    kr_expr *e;
    if (++p->nodes > MAX_NODES) {
        kr_expr__err(p->err, KR_ELIMIT, p->src, (unsigned)pos,
                     "formula has more than %d terms and operators",
                     MAX_NODES);
        return NULL;
    }
    e = kr_pool__alloc(p->pool, sizeof(*e));
    if (!e) {
        kr__err(p->err, KR_ENOMEM, "out of memory");
        return NULL;
    }
    e->kind = kind;
    e->pos = (unsigned)pos;
    return e;
}

static int set_args(parser *p, kr_expr *e, kr_expr **a, int n)
{
    e->args = kr_pool__alloc(p->pool, sizeof(*a) * (size_t)(n ? n : 1));
    if (!e->args) {
        return kr__err(p->err, KR_ENOMEM, "out of memory");
    }
    memcpy(e->args, a, sizeof(*a) * (size_t)n);
    e->nargs = n;
    return 0;
}

static kr_expr *bin(parser *p, int kind, size_t pos, kr_expr *l, kr_expr *r)
{
    kr_expr *a[2] = { l, r };
    kr_expr *e = node(p, kind, pos);
    if (!e || set_args(p, e, a, 2) < 0) {
        return NULL;
    }
    return e;
}

static kr_expr *parse_expr(parser *p);

#define MAX_ARGS 32

static kr_expr *parse_add(parser *p);

/* item (',' item)* into a[*n..max): arguments of a call, the list after
 * 'in'.  The error counts what the user wrote (max less what precedes). */
static int parse_list(parser *p, kr_expr **a, int *n, int max,
                      kr_expr *(*item)(parser *), const char *what)
{
    int before = *n;
    for (;;) {
        if (*n == max) {
            kr_expr__err(p->err, KR_ELIMIT, p->src, (unsigned)p->tstart,
                         "more than %d %s", max - before, what);
            return -1;
        }
        if (!(a[(*n)++] = item(p))) {
            return -1;
        }
        if (p->kind != T_COMMA) {
            return 0;
        }
        if (lex(p) < 0) {
            return -1;
        }
    }
}

static const struct {
    const char *name;
    int func, min, max;
} funcs[] = {
    { "min", F_MIN, 1, MAX_ARGS },
    { "max", F_MAX, 1, MAX_ARGS },
    { "abs", F_ABS, 1, 1 },
    { "round", F_ROUND, 3, 3 },
    { "age", F_AGE, 1, 2 },
    { "add_months", F_ADD_MONTHS, 2, 2 },
    { "months_between", F_MONTHS_BETWEEN, 2, 2 },
    { "year", F_YEAR, 1, 1 },
    { "month", F_MONTH, 1, 1 },
    { "day", F_DAY, 1, 1 },
    { "days_between", F_DAYS_BETWEEN, 2, 2 },
    { "days_in_month", F_DAYS_IN_MONTH, 1, 1 },
};

static const struct {
    const char *name;
    int agg;
} aggs[] = {
    { "sum", A_SUM }, { "count", A_COUNT }, { "any", A_ANY },
    { "all", A_ALL }, { "min", A_MIN }, { "max", A_MAX },
};

static int entity_kw(const parser *p)
{
    if (is_kw(p, "person")) {
        return KR_ENT_PERSON;
    }
    if (is_kw(p, "income")) {
        return KR_ENT_INCOME;
    }
    return -1;
}

/* sum(person: expr where cond), count(person where cond) ... */
static kr_expr *parse_agg(parser *p, int agg, size_t pos)
{
    kr_expr *e = node(p, E_AGG, pos);
    kr_expr *body = NULL;
    char b[64];

    if (!e) {
        return NULL;
    }
    e->op = agg;
    e->ent = entity_kw(p);
    if (lex(p) < 0) {
        return NULL;
    }
    if (agg != A_COUNT) {
        if (expect(p, T_COLON, "':' after the entity (e.g. "
                               "sum(person: dochod))") < 0) {
            return NULL;
        }
        if (!(body = parse_expr(p))) {
            return NULL;
        }
    }
    if (is_kw(p, "where")) {
        if (lex(p) < 0 || !(e->where = parse_expr(p))) {
            return NULL;
        }
    }
    if (p->kind != T_RP) {
        kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)p->tstart,
                     "expected ')' or 'where' but found %s",
                     tok_desc(p, b, sizeof(b)));
        return NULL;
    }
    if (lex(p) < 0) {
        return NULL;
    }
    if (body && set_args(p, e, &body, 1) < 0) {
        return NULL;
    }
    return e;
}

static kr_expr *parse_call(parser *p, const char *name, size_t pos)
{
    kr_expr *a[MAX_ARGS];
    int n = 0;
    size_t i;
    kr_expr *e;

    /* aggregate when the first argument is an entity keyword */
    if (entity_kw(p) >= 0) {
        size_t save_pos = p->pos;
        tok_kind save_kind = p->kind;
        size_t save_ts = p->tstart, save_tl = p->tlen;
        const char *t = p->text + p->pos;
        while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r') {
            t++;
        }
        if (*t == ':' || *t == ')' || strncmp(t, "where", 5) == 0) {
            for (i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++) {
                if (strcmp(aggs[i].name, name) == 0) {
                    return parse_agg(p, aggs[i].agg, pos);
                }
            }
            kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                         "'%s' cannot aggregate; use sum, count, any, "
                         "all, min or max", name);
            return NULL;
        }
        p->pos = save_pos;
        p->kind = save_kind;
        p->tstart = save_ts;
        p->tlen = save_tl;
    }
    if (p->kind != T_RP &&
        parse_list(p, a, &n, MAX_ARGS, parse_expr, "arguments") < 0) {
        return NULL;
    }
    if (expect(p, T_RP, "',' or ')'") < 0) {
        return NULL;
    }
    for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
        if (strcmp(funcs[i].name, name) == 0) {
            if (n < funcs[i].min || n > funcs[i].max) {
                char more[24] = "";
                if (funcs[i].max == MAX_ARGS) {
                    snprintf(more, sizeof(more), " or more");
                } else if (funcs[i].max > funcs[i].min) {
                    snprintf(more, sizeof(more), " or %d", funcs[i].max);
                }
                kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                             "%s() takes %d%s argument%s, not %d", name,
                             funcs[i].min, more,
                             funcs[i].min == 1 &&
                             funcs[i].max == 1 ? "" : "s", n);
                return NULL;
            }
            if (!(e = node(p, E_CALL, pos)) || set_args(p, e, a, n) < 0) {
                return NULL;
            }
            e->op = funcs[i].func;
            return e;
        }
    }
    if (strcmp(name, "date") == 0 && n == 3) {
        /* date(year, month, day) from computed numbers */
        if (!(e = node(p, E_CALL, pos)) || set_args(p, e, a, n) < 0) {
            return NULL;
        }
        e->op = F_MAKE_DATE;
        return e;
    }
    if (strcmp(name, "date") == 0) {
        if (n != 1 || a[0]->kind != E_STR ||
            kr_date_parse(&a[0]->lit.d, a[0]->lit.s, strlen(a[0]->lit.s))
            < 0) {
            kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                         "date() takes one text \"YYYY-MM-DD\" with a "
                         "real calendar date, or (year, month, day)");
            return NULL;
        }
        if (!(e = node(p, E_DATE, pos))) {
            return NULL;
        }
        e->lit.kind = V_DATE;
        e->lit.d = a[0]->lit.d;
        return e;
    }
    if (strcmp(name, "at") == 0) {
        if (n != 2 || a[0]->kind != E_REF) {
            kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                         "at() takes a parameter name and a date: "
                         "at(parameter, date)");
            return NULL;
        }
        if (!(e = node(p, E_AT, pos)) || set_args(p, e, &a[1], 1) < 0) {
            return NULL;
        }
        e->name = a[0]->name;
        return e;
    }
    /* anything else must be a scale; the checker says if it is not */
    if (n != 1) {
        kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                     "unknown function '%s'", name);
        return NULL;
    }
    if (!(e = node(p, E_SCALE, pos)) || set_args(p, e, a, 1) < 0) {
        return NULL;
    }
    e->name = name;
    return e;
}

static kr_expr *parse_primary(parser *p)
{
    kr_expr *e;
    size_t pos = p->tstart;
    char b[64];

    switch (p->kind) {
    case T_NUM:
        if (!(e = node(p, E_NUM, pos))) {
            return NULL;
        }
        e->lit.kind = V_NUM;
        if (!(e->lit.q = kr_pool__mpq(p->pool))) {
            kr__err(p->err, KR_ENOMEM, "out of memory");
            return NULL;
        }
        if (kr_dec_parse(e->lit.q, p->text + p->tstart, p->tlen, NULL) < 0) {
            kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                         "bad number '%.*s'", (int)p->tlen,
                         p->text + p->tstart);
            return NULL;
        }
        return lex(p) < 0 ? NULL : e;
    case T_STR:
        if (!(e = node(p, E_STR, pos))) {
            return NULL;
        }
        e->lit.kind = V_STR;
        e->lit.s = kr_pool__strndup(p->pool, p->text + p->tstart, p->tlen);
        if (!e->lit.s) {
            kr__err(p->err, KR_ENOMEM, "out of memory");
            return NULL;
        }
        return lex(p) < 0 ? NULL : e;
    case T_LP:
        if (lex(p) < 0 || !(e = parse_expr(p))) {
            return NULL;
        }
        return expect(p, T_RP, "')'") < 0 ? NULL : e;
    case T_NAME: {
        const char *kws[] = { "if", "then", "else", "and", "or", "not",
                              "in", "where" };
        size_t i;
        char *name;
        for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
            if (is_kw(p, kws[i])) {
                kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                             "expected a value but found '%s'", kws[i]);
                return NULL;
            }
        }
        if (is_kw(p, "true") || is_kw(p, "false")) {
            if (!(e = node(p, E_BOOL, pos))) {
                return NULL;
            }
            e->lit.kind = V_BOOL;
            e->lit.b = is_kw(p, "true");
            return lex(p) < 0 ? NULL : e;
        }
        name = kr_pool__strndup(p->pool, p->text + p->tstart, p->tlen);
        if (!name) {
            kr__err(p->err, KR_ENOMEM, "out of memory");
            return NULL;
        }
        if (lex(p) < 0) {
            return NULL;
        }
        if (p->kind == T_LP) {
            if (lex(p) < 0) {
                return NULL;
            }
            return parse_call(p, name, pos);
        }
        if (p->kind == T_DOT) {
            int r;
            for (r = 0; r < KR_NROLE; r++) {
                if (strcmp(name, kr_role_names[r]) == 0) {
                    break;
                }
            }
            if (r == KR_NROLE) {
                kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                             "'%s.' is not a role (applicant, spouse, "
                             "child, relative, other)", name);
                return NULL;
            }
            if (lex(p) < 0) {
                return NULL;
            }
            if (p->kind != T_NAME) {
                kr_expr__err(p->err, KR_EPARSE, p->src,
                             (unsigned)p->tstart,
                             "expected a name after '%s.' but found %s",
                             name, tok_desc(p, b, sizeof(b)));
                return NULL;
            }
            if (!(e = node(p, E_ROLE, pos))) {
                return NULL;
            }
            e->op = r;
            e->name = kr_pool__strndup(p->pool, p->text + p->tstart,
                                       p->tlen);
            if (!e->name) {
                kr__err(p->err, KR_ENOMEM, "out of memory");
                return NULL;
            }
            return lex(p) < 0 ? NULL : e;
        }
        if (strcmp(name, "today") == 0) {
            return node(p, E_TODAY, pos);
        }
        if (strcmp(name, "application_date") == 0) {
            return node(p, E_APPDATE, pos);
        }
        if (strcmp(name, "role") == 0) {
            return node(p, E_PROLE, pos);
        }
        if (!(e = node(p, E_REF, pos))) {
            return NULL;
        }
        e->name = name;
        return e;
    }
    default:
        kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)pos,
                     "expected a value but found %s",
                     tok_desc(p, b, sizeof(b)));
        return NULL;
    }
}

/* One level deeper: parentheses, calls, 'if', and the prefix operators
 * '-' and 'not' all recurse, so all of them count against MAX_DEPTH. */
static int deeper(parser *p)
{
    if (++p->depth > MAX_DEPTH) {
        kr_expr__err(p->err, KR_ELIMIT, p->src, (unsigned)p->tstart,
                     "formula nested deeper than %d levels", MAX_DEPTH);
        return -1;
    }
    return 0;
}

static kr_expr *parse_unary(parser *p)
{
    if (p->kind == T_MINUS) {
        size_t pos = p->tstart;
        kr_expr *a, *e;
        if (deeper(p) < 0 || lex(p) < 0 || !(a = parse_unary(p))) {
            return NULL;
        }
        p->depth--;
        if (!(e = node(p, E_NEG, pos)) || set_args(p, e, &a, 1) < 0) {
            return NULL;
        }
        return e;
    }
    return parse_primary(p);
}

static kr_expr *parse_mul(parser *p)
{
    kr_expr *l = parse_unary(p), *r;
    while (l && (p->kind == T_STAR || p->kind == T_SLASH)) {
        int k = p->kind == T_STAR ? E_MUL : E_DIV;
        size_t pos = p->tstart;
        if (lex(p) < 0 || !(r = parse_unary(p))) {
            return NULL;
        }
        l = bin(p, k, pos, l, r);
    }
    return l;
}

static kr_expr *parse_add(parser *p)
{
    kr_expr *l = parse_mul(p), *r;
    while (l && (p->kind == T_PLUS || p->kind == T_MINUS)) {
        int k = p->kind == T_PLUS ? E_ADD : E_SUB;
        size_t pos = p->tstart;
        if (lex(p) < 0 || !(r = parse_mul(p))) {
            return NULL;
        }
        l = bin(p, k, pos, l, r);
    }
    return l;
}

static kr_expr *parse_cmp(parser *p)
{
    kr_expr *l = parse_add(p), *r;
    int k;
    size_t pos;

    if (!l) {
        return NULL;
    }
    pos = p->tstart;
    if (is_kw(p, "in")) {
        kr_expr *a[MAX_ARGS + 1];
        kr_expr *e;
        int n = 1;
        a[0] = l;
        if (lex(p) < 0 || expect(p, T_LP, "'(' after 'in'") < 0) {
            return NULL;
        }
        if (parse_list(p, a, &n, MAX_ARGS + 1, parse_add,
                       "items after 'in'") < 0) {
            return NULL;
        }
        if (expect(p, T_RP, "',' or ')'") < 0) {
            return NULL;
        }
        if (!(e = node(p, E_IN, pos)) || set_args(p, e, a, n) < 0) {
            return NULL;
        }
        return e;
    }
    switch (p->kind) {
    case T_EQ: k = E_EQ; break;
    case T_NE: k = E_NE; break;
    case T_LT: k = E_LT; break;
    case T_LE: k = E_LE; break;
    case T_GT: k = E_GT; break;
    case T_GE: k = E_GE; break;
    default: return l;
    }
    if (lex(p) < 0 || !(r = parse_add(p))) {
        return NULL;
    }
    if (p->kind >= T_EQ && p->kind <= T_GE) {
        kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)p->tstart,
                     "comparisons do not chain; write "
                     "'a < b and b < c'");
        return NULL;
    }
    return bin(p, k, pos, l, r);
}

static kr_expr *parse_not(parser *p)
{
    if (is_kw(p, "not")) {
        size_t pos = p->tstart;
        kr_expr *a, *e;
        if (deeper(p) < 0 || lex(p) < 0 || !(a = parse_not(p))) {
            return NULL;
        }
        p->depth--;
        if (!(e = node(p, E_NOT, pos)) || set_args(p, e, &a, 1) < 0) {
            return NULL;
        }
        return e;
    }
    return parse_cmp(p);
}

static kr_expr *parse_and(parser *p)
{
    kr_expr *l = parse_not(p), *r;
    while (l && is_kw(p, "and")) {
        size_t pos = p->tstart;
        if (lex(p) < 0 || !(r = parse_not(p))) {
            return NULL;
        }
        l = bin(p, E_AND, pos, l, r);
    }
    return l;
}

static kr_expr *parse_or(parser *p)
{
    kr_expr *l = parse_and(p), *r;
    while (l && is_kw(p, "or")) {
        size_t pos = p->tstart;
        if (lex(p) < 0 || !(r = parse_and(p))) {
            return NULL;
        }
        l = bin(p, E_OR, pos, l, r);
    }
    return l;
}

static kr_expr *parse_expr(parser *p)
{
    kr_expr *e;
    if (deeper(p) < 0) {
        return NULL;
    }
    if (is_kw(p, "if")) {
        kr_expr *a[3];
        size_t pos = p->tstart;
        if (lex(p) < 0 || !(a[0] = parse_expr(p))) {
            return NULL;
        }
        if (!is_kw(p, "then")) {
            char b[64];
            kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)p->tstart,
                         "expected 'then' but found %s",
                         tok_desc(p, b, sizeof(b)));
            return NULL;
        }
        if (lex(p) < 0 || !(a[1] = parse_expr(p))) {
            return NULL;
        }
        if (!is_kw(p, "else")) {
            char b[64];
            kr_expr__err(p->err, KR_EPARSE, p->src, (unsigned)p->tstart,
                         "expected 'else' but found %s (every 'if' "
                         "needs an 'else')", tok_desc(p, b, sizeof(b)));
            return NULL;
        }
        if (lex(p) < 0 || !(a[2] = parse_expr(p))) {
            return NULL;
        }
        if (!(e = node(p, E_IF, pos)) || set_args(p, e, a, 3) < 0) {
            return NULL;
        }
    } else {
        e = parse_or(p);
    }
    p->depth--;
    return e;
}

int kr_expr__parse(kr_expr **out, kr_pool *pool, const char *text,
                   const kr_src *src, kr_error *err)
{
    parser p;
    kr_expr *e;
    char b[64];

    *out = NULL;
    memset(&p, 0, sizeof(p));
    p.text = text;
    p.pool = pool;
    p.src = src;
    p.err = err;
    if (lex(&p) < 0) {
        return err ? err->code : KR_EPARSE;
    }
    if (p.kind == T_END) {
        return kr_expr__err(err, KR_EPARSE, src, 0, "empty formula");
    }
    if (!(e = parse_expr(&p))) {
        return err && err->code ? err->code : KR_EPARSE;
    }
    if (p.kind != T_END) {
        return kr_expr__err(err, KR_EPARSE, src, (unsigned)p.tstart,
                            "unexpected %s after a complete formula "
                            "(missing operator?)",
                            tok_desc(&p, b, sizeof(b)));
    }
    *out = e;
    return KR_OK;
}
