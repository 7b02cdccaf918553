/*
 * rules_check.c - resolve names, infer and check types and units, refuse
 * cycles, compile reason templates, number the memo slots.
 *
 * Everything that can be known before an application arrives is checked
 * here, so that an evaluation can only fail for reasons of the case (no
 * parameter in force on that date, a missing input), never for a typo in
 * a rule file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ERRC(e) ((e) && (e)->code ? (e)->code : KR_EINVALID)

typedef struct {
    kr_rules *r;
    kr_error *err;
    const kr_sym *stack[64];
    int depth;
} ck;

static const char *const st_names[] = { "a number", "money", "a number",
                                        "true/false", "a date", "text" };
static const char *const ent_names[] = { "household", "person", "income" };

static int decl_stype(int type)
{
    switch (type) {
    case KR_TY_MONEY: return ST_MONEY;
    case KR_TY_DECIMAL:
    case KR_TY_INTEGER: return ST_NUM;
    case KR_TY_BOOLEAN: return ST_BOOL;
    case KR_TY_DATE: return ST_DATE;
    default: return ST_STR;
    }
}

static int is_numeric(int st)
{
    return st == ST_NUM || st == ST_MONEY || st == ST_LIT;
}

/* The unit of a + b: money with money, numbers with numbers, a literal
 * with either.  -1 on a unit error. */
static int add_unit(int a, int b)
{
    if (a == ST_LIT) {
        return b;
    }
    if (b == ST_LIT || a == b) {
        return a;
    }
    return -1;
}

static int check_sym(ck *c, kr_sym *s);
static int check(ck *c, kr_expr *e, int ent, const kr_src *src);

static int terr(ck *c, const kr_src *src, const kr_expr *e, const char *fmt,
                ...) KR_PRINTF(4, 5);

static int terr(ck *c, const kr_src *src, const kr_expr *e, const char *fmt,
                ...)
{
    char msg[KR_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return kr_expr__err(c->err, KR_EINVALID, src, e ? e->pos : 0, "%s",
                        msg);
}

static int check_enum_literal(ck *c, const kr_src *src, const kr_expr *a,
                              const kr_expr *lit)
{
    int i;
    if (lit->kind != E_STR) {
        return 0;
    }
    if (a->kind == E_PROLE) {
        for (i = 0; i < KR_NROLE; i++) {
            if (strcmp(kr_role_names[i], lit->lit.s) == 0) {
                return 0;
            }
        }
        return terr(c, src, lit, "\"%s\" is not a role (applicant, spouse, "
                    "child, relative, other)", lit->lit.s);
    }
    if ((a->kind == E_REF || a->kind == E_ROLE) && a->sym &&
        a->sym->type == KR_TY_ENUM) {
        for (i = 0; i < a->sym->nopts; i++) {
            if (strcmp(a->sym->opts[i].value, lit->lit.s) == 0) {
                return 0;
            }
        }
        return terr(c, src, lit, "\"%s\" is not an option of '%s' "
                    "(%s:%lu)", lit->lit.s, a->sym->id, a->sym->file,
                    a->sym->line);
    }
    return 0;
}

/*
 * "a and b and c" parses as ((a and b) and c); evaluated as one node
 * with three operands it costs one dispatch instead of two, and chains
 * of conditions are most of what rules say.  The order of the operands,
 * and so the short-circuit, stays as written.  Operands are already
 * checked (and flattened) when this runs.
 */
static int flatten(ck *c, kr_expr *e)
{
    kr_expr **a;
    int n = 0, i, j;
    for (i = 0; i < e->nargs; i++) {
        n += e->args[i]->kind == e->kind ? e->args[i]->nargs : 1;
    }
    if (n == e->nargs) {
        return 0;
    }
    if (!(a = kr_pool__alloc(&c->r->pool, sizeof(*a) * (size_t)n))) {
        return kr__err(c->err, KR_ENOMEM, "out of memory");
    }
    for (i = 0, n = 0; i < e->nargs; i++) {
        const kr_expr *x = e->args[i];
        if (x->kind == e->kind) {
            for (j = 0; j < x->nargs; j++) {
                a[n++] = x->args[j];
            }
        } else {
            a[n++] = e->args[i];
        }
    }
    e->args = a;
    e->nargs = n;
    return 0;
}

static int check_args(ck *c, kr_expr *e, int ent, const kr_src *src)
{
    int i;
    for (i = 0; i < e->nargs; i++) {
        if (check(c, e->args[i], ent, src) < 0) {
            return -1;
        }
    }
    return 0;
}

static int want(ck *c, const kr_src *src, const kr_expr *e, int st,
                const char *what)
{
    if (st == ST_NUM ? !is_numeric(e->stype) : e->stype != st) {
        return terr(c, src, e, "%s must be %s, not %s", what, st_names[st],
                    st_names[e->stype]);
    }
    return 0;
}

static kr_sym *lookup(ck *c, const kr_src *src, const kr_expr *e)
{
    kr_sym *s = kr_rules__find(c->r, e->name);
    if (!s) {
        terr(c, src, e, "unknown name '%s' (not an input, parameter, "
             "scale or value of the loaded rule files)", e->name);
    }
    return s;
}

static int check_call(ck *c, kr_expr *e, int ent, const kr_src *src)
{
    int i;
    if (e->op == F_ROUND) {
        kr_expr *m = e->args[2];
        const char *mode = m->kind == E_STR ? m->lit.s
                           : m->kind == E_REF ? m->name : NULL;
        if (check(c, e->args[0], ent, src) < 0 ||
            want(c, src, e->args[0], ST_NUM, "round()'s value") < 0) {
            return -1;
        }
        if (e->args[1]->kind != E_NUM || mpq_sgn(e->args[1]->lit.q) <= 0) {
            return terr(c, src, e->args[1], "round()'s step must be a "
                        "positive number written out, e.g. 0.01");
        }
        e->args[1]->stype = ST_LIT;
        if (!mode || kr_dec_round_mode_parse(&e->mode, mode,
                                             strlen(mode)) < 0) {
            return terr(c, src, m, "round()'s mode must be \"half-up\", "
                        "\"half-even\", \"down\", \"up\", \"floor\" or "
                        "\"ceiling\"");
        }
        e->stype = e->args[0]->stype;
        return 0;
    }
    if (check_args(c, e, ent, src) < 0) {
        return -1;
    }
    switch (e->op) {
    case F_MIN:
    case F_MAX:
        e->stype = e->args[0]->stype;
        for (i = 1; i < e->nargs; i++) {
            int u = e->stype == ST_DATE || e->args[i]->stype == ST_DATE
                    ? (e->stype == e->args[i]->stype ? ST_DATE : -1)
                    : add_unit(e->stype, e->args[i]->stype);
            if (u < 0 || (!is_numeric(u) && u != ST_DATE)) {
                return terr(c, src, e->args[i], "%s() mixes %s and %s",
                            e->op == F_MIN ? "min" : "max",
                            st_names[e->stype], st_names[e->args[i]->stype]);
            }
            e->stype = u;
        }
        if (!is_numeric(e->stype) && e->stype != ST_DATE) {
            return terr(c, src, e, "min()/max() take numbers or dates");
        }
        return 0;
    case F_ABS:
        if (want(c, src, e->args[0], ST_NUM, "abs()'s value") < 0) {
            return -1;
        }
        e->stype = e->args[0]->stype;
        return 0;
    case F_AGE:
        for (i = 0; i < e->nargs; i++) {
            if (want(c, src, e->args[i], ST_DATE, "age()'s argument") < 0) {
                return -1;
            }
        }
        e->stype = ST_NUM;
        return 0;
    case F_ADD_MONTHS:
        if (want(c, src, e->args[0], ST_DATE, "add_months()'s date") < 0 ||
            want(c, src, e->args[1], ST_NUM, "add_months()'s count") < 0) {
            return -1;
        }
        if (e->args[1]->stype == ST_MONEY) {
            return terr(c, src, e->args[1], "a number of months cannot "
                        "be money");
        }
        e->stype = ST_DATE;
        return 0;
    case F_MONTHS_BETWEEN:
    case F_DAYS_BETWEEN: {
        const char *what = e->op == F_MONTHS_BETWEEN
                           ? "months_between()'s dates"
                           : "days_between()'s dates";
        if (want(c, src, e->args[0], ST_DATE, what) < 0 ||
            want(c, src, e->args[1], ST_DATE, what) < 0) {
            return -1;
        }
        e->stype = ST_NUM;
        return 0;
    }
    case F_MAKE_DATE:
        for (i = 0; i < 3; i++) {
            if (want(c, src, e->args[i], ST_NUM, "date()'s year, month "
                     "and day") < 0) {
                return -1;
            }
            if (e->args[i]->stype == ST_MONEY) {
                return terr(c, src, e->args[i], "a year, month or day "
                            "cannot be money");
            }
        }
        e->stype = ST_DATE;
        return 0;
    default: /* year, month, day, days_in_month */
        if (want(c, src, e->args[0], ST_DATE, "the argument") < 0) {
            return -1;
        }
        e->stype = ST_NUM;
        return 0;
    }
}

static int check(ck *c, kr_expr *e, int ent, const kr_src *src)
{
    kr_sym *s;
    int u, i;

    switch (e->kind) {
    case E_NUM: e->stype = ST_LIT; return 0;
    case E_STR: e->stype = ST_STR; return 0;
    case E_BOOL: e->stype = ST_BOOL; return 0;
    case E_DATE:
    case E_TODAY:
    case E_APPDATE: e->stype = ST_DATE; return 0;
    case E_PROLE:
        if (ent == KR_ENT_HOUSEHOLD) {
            return terr(c, src, e, "'role' is a person's; use it inside "
                        "count(person where role = \"child\")");
        }
        e->stype = ST_STR;
        return 0;
    case E_REF:
        if (!(s = lookup(c, src, e))) {
            return -1;
        }
        if (s->kind == SYM_SCALE) {
            return terr(c, src, e, "'%s' is a scale: call it with a value, "
                        "%s(x)", s->id, s->id);
        }
        if (s->entity > ent) {
            return terr(c, src, e, "'%s' is given per %s; here (per %s) "
                        "use an aggregation such as sum(%s: %s) or a role "
                        "such as applicant.%s", s->id, ent_names[s->entity],
                        ent_names[ent], ent_names[s->entity], s->id, s->id);
        }
        if (check_sym(c, s) < 0) {
            return -1;
        }
        e->sym = s;
        e->stype = s->stype;
        return 0;
    case E_ROLE:
        if (!(s = lookup(c, src, e))) {
            return -1;
        }
        if (s->kind == SYM_SCALE) {
            return terr(c, src, e, "'%s' is a scale", s->id);
        }
        if (s->entity == KR_ENT_INCOME) {
            return terr(c, src, e, "'%s' is per income item; use "
                        "%s.<a person value> that sums it", s->id,
                        kr_role_names[e->op]);
        }
        if (check_sym(c, s) < 0) {
            return -1;
        }
        e->sym = s;
        e->stype = s->stype;
        return 0;
    case E_NEG:
        if (check_args(c, e, ent, src) < 0 ||
            want(c, src, e->args[0], ST_NUM, "'-' applies to a number; "
                 "its operand") < 0) {
            return -1;
        }
        e->stype = e->args[0]->stype;
        return 0;
    case E_NOT:
        if (check_args(c, e, ent, src) < 0 ||
            want(c, src, e->args[0], ST_BOOL, "the operand of 'not'") < 0) {
            return -1;
        }
        e->stype = ST_BOOL;
        return 0;
    case E_AND:
    case E_OR:
        if (check_args(c, e, ent, src) < 0 ||
            want(c, src, e->args[0], ST_BOOL, "each side of and/or") < 0 ||
            want(c, src, e->args[1], ST_BOOL, "each side of and/or") < 0) {
            return -1;
        }
        e->stype = ST_BOOL;
        return flatten(c, e);
    case E_ADD:
    case E_SUB: {
        int a, b;
        if (check_args(c, e, ent, src) < 0) {
            return -1;
        }
        a = e->args[0]->stype;
        b = e->args[1]->stype;
        if (a == ST_DATE || b == ST_DATE) {
            return terr(c, src, e, "cannot add or subtract with a date "
                        "(%s %c %s); use add_months() or months_between()",
                        st_names[a], e->kind == E_ADD ? '+' : '-',
                        st_names[b]);
        }
        if (!is_numeric(a) || !is_numeric(b) || (u = add_unit(a, b)) < 0) {
            return terr(c, src, e, "cannot %s %s and %s",
                        e->kind == E_ADD ? "add" : "subtract", st_names[a],
                        st_names[b]);
        }
        e->stype = u;
        return 0;
    }
    case E_MUL:
    case E_DIV: {
        int a, b;
        if (check_args(c, e, ent, src) < 0) {
            return -1;
        }
        a = e->args[0]->stype;
        b = e->args[1]->stype;
        if (!is_numeric(a) || !is_numeric(b)) {
            return terr(c, src, e, "cannot %s %s by %s",
                        e->kind == E_MUL ? "multiply" : "divide",
                        st_names[a], st_names[b]);
        }
        if (e->kind == E_MUL) {
            if (a == ST_MONEY && b == ST_MONEY) {
                return terr(c, src, e, "money times money has no meaning; "
                            "one side should be a number or a percentage");
            }
            e->stype = a == ST_MONEY || b == ST_MONEY ? ST_MONEY
                       : (a == ST_LIT && b == ST_LIT ? ST_LIT : ST_NUM);
        } else {
            if (b == ST_MONEY) {
                if (a != ST_MONEY) {
                    return terr(c, src, e, "dividing %s by money has no "
                                "meaning", st_names[a]);
                }
                e->stype = ST_NUM;
            } else {
                e->stype = a == ST_LIT && b != ST_LIT ? ST_NUM : a;
            }
        }
        return 0;
    }
    case E_EQ:
    case E_NE:
    case E_LT:
    case E_LE:
    case E_GT:
    case E_GE: {
        int a, b;
        if (check_args(c, e, ent, src) < 0) {
            return -1;
        }
        a = e->args[0]->stype;
        b = e->args[1]->stype;
        if (is_numeric(a) && is_numeric(b)) {
            if (add_unit(a, b) < 0) {
                return terr(c, src, e, "cannot compare %s with %s",
                            st_names[a], st_names[b]);
            }
        } else if (a != b) {
            return terr(c, src, e, "cannot compare %s with %s",
                        st_names[a], st_names[b]);
        } else if ((a == ST_BOOL || a == ST_STR) &&
                   e->kind != E_EQ && e->kind != E_NE) {
            return terr(c, src, e, "%s can only be compared with = or !=",
                        st_names[a]);
        }
        if (check_enum_literal(c, src, e->args[0], e->args[1]) < 0 ||
            check_enum_literal(c, src, e->args[1], e->args[0]) < 0) {
            return -1;
        }
        e->stype = ST_BOOL;
        return 0;
    }
    case E_IN:
        if (check_args(c, e, ent, src) < 0) {
            return -1;
        }
        for (i = 1; i < e->nargs; i++) {
            int a = e->args[0]->stype, b = e->args[i]->stype;
            if (is_numeric(a) ? !is_numeric(b) || add_unit(a, b) < 0
                              : a != b) {
                return terr(c, src, e->args[i], "cannot compare %s with %s",
                            st_names[a], st_names[b]);
            }
            if (check_enum_literal(c, src, e->args[0], e->args[i]) < 0) {
                return -1;
            }
        }
        e->stype = ST_BOOL;
        return 0;
    case E_IF: {
        int a, b;
        if (check_args(c, e, ent, src) < 0 ||
            want(c, src, e->args[0], ST_BOOL, "the condition after "
                 "'if'") < 0) {
            return -1;
        }
        a = e->args[1]->stype;
        b = e->args[2]->stype;
        if (is_numeric(a) && is_numeric(b)) {
            if ((u = add_unit(a, b)) < 0) {
                return terr(c, src, e, "'then' gives %s but 'else' gives "
                            "%s", st_names[a], st_names[b]);
            }
        } else if (a != b) {
            return terr(c, src, e, "'then' gives %s but 'else' gives %s",
                        st_names[a], st_names[b]);
        } else {
            u = a;
        }
        e->stype = u;
        return 0;
    }
    case E_CALL:
        return check_call(c, e, ent, src);
    case E_SCALE:
        s = kr_rules__find(c->r, e->name);
        if (!s || s->kind != SYM_SCALE) {
            return terr(c, src, e, "unknown function or scale '%s'",
                        e->name);
        }
        if (check_args(c, e, ent, src) < 0 ||
            want(c, src, e->args[0], ST_NUM, "a scale's argument") < 0) {
            return -1;
        }
        e->sym = s;
        e->stype = s->stype;
        return 0;
    case E_AT:
        s = kr_rules__find(c->r, e->name);
        if (!s || s->kind != SYM_PARAM) {
            return terr(c, src, e, "at() needs a parameter; '%s' is not "
                        "one", e->name);
        }
        if (check_args(c, e, ent, src) < 0 ||
            want(c, src, e->args[0], ST_DATE, "at()'s date") < 0) {
            return -1;
        }
        e->sym = s;
        e->stype = s->stype;
        return 0;
    case E_AGG: {
        int inner = e->ent;
        if (inner == KR_ENT_INCOME && ent == KR_ENT_INCOME) {
            return terr(c, src, e, "cannot aggregate over income inside "
                        "an income item");
        }
        if (e->where) {
            if (check(c, e->where, inner, src) < 0 ||
                want(c, src, e->where, ST_BOOL, "the filter after "
                     "'where'") < 0) {
                return -1;
            }
        }
        if (e->op == A_COUNT) {
            e->stype = ST_NUM;
            return 0;
        }
        if (check(c, e->args[0], inner, src) < 0) {
            return -1;
        }
        if (e->op == A_ANY || e->op == A_ALL) {
            if (want(c, src, e->args[0], ST_BOOL, "the body of any()/"
                     "all()") < 0) {
                return -1;
            }
            e->stype = ST_BOOL;
            return 0;
        }
        if (e->op == A_SUM && want(c, src, e->args[0], ST_NUM,
                                   "what sum() adds") < 0) {
            return -1;
        }
        if (!is_numeric(e->args[0]->stype) &&
            e->args[0]->stype != ST_DATE) {
            return terr(c, src, e, "min()/max() over persons take numbers "
                        "or dates");
        }
        e->stype = e->args[0]->stype == ST_LIT ? ST_NUM : e->args[0]->stype;
        return 0;
    }
    default:
        return terr(c, src, e, "internal: unknown formula node");
    }
}

/* Does the inferred type fit the declared one? */
static int fits(int decl, int st)
{
    return decl == st || (st == ST_LIT && (decl == ST_NUM ||
                                           decl == ST_MONEY));
}

static int check_sym(ck *c, kr_sym *s)
{
    int i;
    if (s->check_state == 2) {
        return 0;
    }
    s->stype = decl_stype(s->type);
    if (s->kind != SYM_VALUE) {
        s->check_state = 2;
        return 0;
    }
    if (s->check_state == 1) {
        char chain[KR_ERROR_MSG_SIZE] = "";
        size_t l = 0;
        int start = 0;
        for (i = 0; i < c->depth; i++) {
            if (c->stack[i] == s) {
                start = i;
                break;
            }
        }
        for (i = start; i < c->depth && l < sizeof(chain) - 80; i++) {
            l += (size_t)snprintf(chain + l, sizeof(chain) - l, "%s -> ",
                                  c->stack[i]->id);
        }
        snprintf(chain + l, sizeof(chain) - l, "%s", s->id);
        return kr__err_at(c->err, KR_EINVALID, s->file, s->line,
                          "cycle: '%s' depends on itself (%s)", s->id,
                          chain);
    }
    if (c->depth == (int)(sizeof(c->stack) / sizeof(c->stack[0]))) {
        return kr__err_at(c->err, KR_ELIMIT, s->file, s->line,
                          "values depend on each other more than %d deep",
                          c->depth);
    }
    s->check_state = 1;
    c->stack[c->depth++] = s;
    if (s->formula) {
        if (check(c, s->formula, s->entity, &s->src) < 0) {
            return -1;
        }
        if (!fits(s->stype, s->formula->stype)) {
            return kr_expr__err(c->err, KR_EINVALID, &s->src, 0,
                                "value '%s' is declared %s but its formula "
                                "gives %s", s->id, st_names[s->stype],
                                st_names[s->formula->stype]);
        }
    }
    for (i = 0; i < s->ncases; i++) {
        kr_case *k = &s->cases[i];
        if (k->when) {
            if (check(c, k->when, s->entity, &k->when_src) < 0) {
                return -1;
            }
            if (k->when->stype != ST_BOOL) {
                return kr_expr__err(c->err, KR_EINVALID, &k->when_src, 0,
                                    "a case's when= must be true/false");
            }
        }
        if (check(c, k->expr, s->entity, &k->src) < 0) {
            return -1;
        }
        if (!fits(s->stype, k->expr->stype)) {
            return kr_expr__err(c->err, KR_EINVALID, &k->src, 0,
                                "value '%s' is declared %s but this case "
                                "gives %s", s->id, st_names[s->stype],
                                st_names[k->expr->stype]);
        }
    }
    c->depth--;
    s->check_state = 2;
    return 0;
}

static int check_money(ck *c, kr_expr *e, const kr_src *src,
                       const char *what)
{
    if (!e) {
        return 0;
    }
    if (check(c, e, KR_ENT_HOUSEHOLD, src) < 0) {
        return -1;
    }
    if (e->stype != ST_MONEY && e->stype != ST_LIT) {
        return kr_expr__err(c->err, KR_EINVALID, src, 0, "%s must be money, "
                            "not %s", what, st_names[e->stype]);
    }
    return 0;
}

static int compile_template(ck *c, kr_template *t, const kr_src *at)
{
    const char *s = t->text, *p;
    int n = 0, i = 0;
    if (!s) {
        return 0;
    }
    for (p = s; *p; p++) {
        n += *p == '{';
    }
    if (!n) {
        return 0;
    }
    t->holes = kr_pool__alloc(&c->r->pool, sizeof(*t->holes) * (size_t)n);
    t->hole_start = kr_pool__alloc(&c->r->pool, sizeof(unsigned) * (size_t)n);
    t->hole_end = kr_pool__alloc(&c->r->pool, sizeof(unsigned) * (size_t)n);
    if (!t->holes || !t->hole_start || !t->hole_end) {
        return kr__err(c->err, KR_ENOMEM, "out of memory");
    }
    for (p = s; *p; p++) {
        const char *q;
        char *text;
        kr_src src;
        if (*p == '}') {
            return kr__err_at(c->err, KR_EINVALID, at->file, at->line,
                              "reason \"%.80s\": '}' without '{'", s);
        }
        if (*p != '{') {
            continue;
        }
        if (!(q = strchr(p + 1, '}'))) {
            return kr__err_at(c->err, KR_EINVALID, at->file, at->line,
                              "reason \"%.80s\": '{' without '}'", s);
        }
        if (!(text = kr_pool__strndup(&c->r->pool, p + 1,
                                      (size_t)(q - p - 1)))) {
            return kr__err(c->err, KR_ENOMEM, "out of memory");
        }
        src.file = at->file;
        src.line = at->line;
        src.text = text;
        if (kr_expr__parse(&t->holes[i], &c->r->pool, text, &src,
                           c->err) < 0 ||
            check(c, t->holes[i], KR_ENT_HOUSEHOLD, &src) < 0) {
            return -1;
        }
        t->hole_start[i] = (unsigned)(p - s);
        t->hole_end[i] = (unsigned)(q - s + 1);
        i++;
        p = q;
    }
    t->nholes = i;
    return 0;
}

int kr_rules__check(kr_rules *r, kr_error *err)
{
    ck c;
    int i, j, l;

    memset(&c, 0, sizeof(c));
    c.r = r;
    c.err = err;
    r->inputs = kr_pool__alloc(&r->pool, sizeof(kr_sym *) *
                               (size_t)(r->nsyms + 1));
    if (!r->inputs) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    for (i = 0; i < r->nsyms; i++) {
        kr_sym *s = r->syms[i];
        if (s->kind == SYM_INPUT) {
            r->inputs[r->ninputs_all++] = s;
            s->index = r->ninputs[s->entity]++;
        } else if (s->kind == SYM_VALUE) {
            s->index = r->nvalues[s->entity]++;
        } else if (s->kind == SYM_PARAM) {
            s->index = r->nparams++;
        }
    }
    for (i = 0; i < r->nsyms; i++) {
        if (check_sym(&c, r->syms[i]) < 0) {
            return ERRC(err);
        }
    }
    for (i = 0; i < r->nbenefits; i++) {
        kr_benefit *b = &r->benefits[i];
        for (j = 0; j < b->nconds; j++) {
            kr_cond *k = &b->conds[j];
            if (check(&c, k->formula, KR_ENT_HOUSEHOLD, &k->src) < 0) {
                return ERRC(err);
            }
            if (k->formula->stype != ST_BOOL) {
                return kr_expr__err(err, KR_EINVALID, &k->src, 0,
                                    "condition '%s' must be true/false, not "
                                    "%s", k->id,
                                    st_names[k->formula->stype]);
            }
            for (l = 0; l < 2; l++) {
                if (compile_template(&c, &k->met[l], &k->src) < 0 ||
                    compile_template(&c, &k->unmet[l], &k->src) < 0) {
                    return ERRC(err);
                }
            }
        }
        if (check_money(&c, b->amount, &b->amount_src, "an amount") < 0 ||
            check_money(&c, b->minimum, &b->minimum_src, "minimum=") < 0 ||
            check_money(&c, b->maximum, &b->maximum_src, "maximum=") < 0 ||
            check_money(&c, b->range_lo, &b->range_lo_src, "lower=") < 0 ||
            check_money(&c, b->range_hi, &b->range_hi_src, "upper=") < 0) {
            return ERRC(err);
        }
        for (j = 0; j < b->ncomps; j++) {
            if (check_money(&c, b->comps[j].formula, &b->comps[j].src,
                            "a component") < 0) {
                return ERRC(err);
            }
        }
    }
    return KR_OK;
}
