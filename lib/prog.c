/*
 * prog.c - formulas compiled to a flat list of instructions.
 *
 * The tree of a formula is what the checker types and what traces and
 * messages point into; walking it costs a call per node, which for the
 * family-benefit rules was most of the evaluation.  Here each root
 * formula (a value, a case, a condition, an amount) becomes postfix code
 * over an operand stack that eval.c runs in one loop.  Operands are
 * views: a name or a literal is pushed as a pointer to where it is
 * stored, and that push rides on the instruction that uses it; only
 * computed results use the scratch value of their stack level.
 * Aggregates are loops in the same code.  Evaluation order,
 * short-circuits and errors are those of the tree.
 */
#include <string.h>

#include "internal.h"

typedef struct {
    kr_pool *pool;
    kr_ins *ins;
    int n, cap;
    int label;              /* a jump lands here: no fusing across it */
    int sp, depth, nq;      /* current and greatest stack height */
    int loops, maxloops;    /* aggregates open, most at once */
    int too_deep;
    const kr_src **srcs;    /* a value's cases: where each range of
                               instructions comes from */
    int *src_at;
    int nsrc;
    kr_error *err;
} cc;

static void cc_init(cc *c, kr_pool *pool, kr_error *err);
static int cc_finish(cc *c, kr_prog **out, const kr_src *src);

static int oom(cc *c)
{
    return kr__err(c->err, KR_ENOMEM, "out of memory");
}

static int emit_new(cc *c, int op, const void *p)
{
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 32;
        kr_ins *ni = kr_pool__alloc_raw(c->pool, sizeof(*ni) * (size_t)cap);
        if (!ni) {
            return oom(c);
        }
        if (c->n) {
            memcpy(ni, c->ins, sizeof(*ni) * (size_t)c->n);
        }
        c->ins = ni;  /* the old array stays in the pool until it is freed */
        c->cap = cap;
    }
    memset(&c->ins[c->n], 0, sizeof(c->ins[c->n]));
    c->ins[c->n].op = (unsigned char)op;
    c->ins[c->n].p = p;
    return c->n++;
}

/* An instruction; it takes over the bare push just before it, if any and
 * no jump lands between the two. */
static int emit(cc *c, int op, const void *p)
{
    if (c->n && c->label != c->n && c->ins[c->n - 1].op == OP_NOP) {
        c->ins[c->n - 1].op = (unsigned char)op;
        c->ins[c->n - 1].p = p;
        return c->n - 1;
    }
    return emit_new(c, op, p);
}

/* Where the next instruction goes, as a jump target. */
static int here(cc *c)
{
    c->label = c->n;
    return c->n;
}

/* The stack grows by one; `rational`: the new top is computed into its
 * level's scratch value and may be a number. */
static void grow(cc *c, int rational)
{
    c->sp++;
    if (c->sp > c->depth) {
        c->depth = c->sp;
    }
    if (c->sp >= KR_PROG_DEPTH) {
        c->too_deep = 1;
    }
    if (rational && c->sp > c->nq) {
        c->nq = c->sp;
    }
}

/* The top is replaced by a number computed at its level. */
static void at_top(cc *c)
{
    if (c->sp > c->nq) {
        c->nq = c->sp;
    }
}

static int push_imm(cc *c, int km, int ent, const void *k)
{
    int i = emit_new(c, OP_NOP, NULL);
    if (i < 0) {
        return -1;
    }
    c->ins[i].km = (unsigned char)km;
    c->ins[i].ent = (unsigned char)ent;
    c->ins[i].k = k;
    grow(c, 0);
    return i;
}

static int gen(cc *c, kr_expr *e, const kr_src *src);

/* sum/count/any/all/min/max as a loop over the items:
 *
 *        AGG_INIT  -> end       start; no items: finish
 *   body: [where]  JF -> next
 *        [item]    AGG_ACC
 *   next: AGG_NEXT -> body      more items: again; else finish
 *   end:
 */
static int gen_agg(cc *c, kr_expr *e, const kr_src *src)
{
    int init, body, jf = -1, next, i;

    grow(c, 1);
    if ((init = emit(c, OP_AGG_INIT, e)) < 0) {
        return -1;
    }
    if (++c->loops > c->maxloops) {
        c->maxloops = c->loops;
    }
    body = here(c);
    if (e->where) {
        if (gen(c, e->where, src) < 0 || (jf = emit(c, OP_JF, e)) < 0) {
            return -1;
        }
        c->sp--;
    }
    if (e->op != A_COUNT) {
        if (gen(c, e->args[0], src) < 0) {
            return -1;
        }
        c->sp--;
    }
    if (emit(c, OP_AGG_ACC, e) < 0) {
        return -1;
    }
    next = here(c);
    if ((i = emit(c, OP_AGG_NEXT, e)) < 0) {
        return -1;
    }
    c->ins[i].arg = body;
    if (jf >= 0) {
        c->ins[jf].arg = next;
    }
    c->ins[init].arg = here(c);
    c->loops--;
    return 0;
}

static int gen(cc *c, kr_expr *e, const kr_src *src)
{
    int i, j;

    switch (e->kind) {
    case E_NUM:
    case E_STR:
    case E_BOOL:
    case E_DATE:
        return push_imm(c, KM_LIT, 0, &e->lit);
    case E_REF: {
        const kr_sym *s = e->sym;
        return push_imm(c, s->kind == SYM_VALUE ? KM_VAL
                           : s->kind == SYM_INPUT ? KM_INPUT : KM_PARAM,
                        s->entity, s);
    }
    case E_ROLE:
    case E_TODAY:
    case E_APPDATE:
    case E_PROLE:
        grow(c, 0);
        return emit(c, e->kind == E_ROLE ? OP_ROLE
                       : e->kind == E_TODAY ? OP_TODAY
                       : e->kind == E_APPDATE ? OP_APPDATE : OP_PROLE, e);
    case E_AGG:
        if (c->loops == KR_PROG_LOOPS) {
            c->too_deep = 1;  /* nested beyond the loop stack: the tree */
        }
        return gen_agg(c, e, src);
    case E_NEG:
    case E_NOT:
        if (gen(c, e->args[0], src) < 0) {
            return -1;
        }
        if (e->kind == E_NEG) {
            at_top(c);
        }
        return emit(c, e->kind == E_NEG ? OP_NEG : OP_NOT, e);
    case E_ADD: case E_SUB: case E_MUL: case E_DIV:
    case E_EQ: case E_NE: case E_LT: case E_LE: case E_GT: case E_GE:
        if (gen(c, e->args[0], src) < 0 || gen(c, e->args[1], src) < 0) {
            return -1;
        }
        c->sp--;
        if (e->kind <= E_DIV) {
            at_top(c);
        }
        return emit(c, OP_ADD + (e->kind - E_ADD), e);
    case E_IN: {
        /* a in (b1, b2...): the bi in order until one equals a */
        int *jumps = kr_pool__alloc_raw(c->pool, sizeof(int) *
                                        (size_t)e->nargs);
        if (!jumps) {
            return oom(c);
        }
        if (gen(c, e->args[0], src) < 0) {
            return -1;
        }
        for (i = 1; i < e->nargs; i++) {
            if (gen(c, e->args[i], src) < 0 ||
                (jumps[i] = emit(c, OP_IN, e)) < 0) {
                return -1;
            }
            c->sp--;
        }
        if (emit(c, OP_FALSE, e) < 0) {
            return -1;
        }
        j = here(c);
        for (i = 1; i < e->nargs; i++) {
            c->ins[jumps[i]].arg = j;
        }
        return 0;
    }
    case E_AND:
    case E_OR: {
        int *jumps = kr_pool__alloc_raw(c->pool, sizeof(int) *
                                        (size_t)e->nargs);
        if (!jumps) {
            return oom(c);
        }
        for (i = 0; i < e->nargs; i++) {
            if (gen(c, e->args[i], src) < 0) {
                return -1;
            }
            if (i + 1 < e->nargs) {
                if ((jumps[i] = emit(c, e->kind == E_AND ? OP_ANDJ : OP_ORJ,
                                     e)) < 0) {
                    return -1;
                }
                c->sp--;
            }
        }
        j = here(c);
        for (i = 0; i + 1 < e->nargs; i++) {
            c->ins[jumps[i]].arg = j;
        }
        return 0;
    }
    case E_IF:
        if (gen(c, e->args[0], src) < 0 || (i = emit(c, OP_JF, e)) < 0) {
            return -1;
        }
        c->sp--;
        if (gen(c, e->args[1], src) < 0 || (j = emit(c, OP_JMP, e)) < 0) {
            return -1;
        }
        c->sp--;
        c->ins[i].arg = here(c);
        if (gen(c, e->args[2], src) < 0) {
            return -1;
        }
        c->ins[j].arg = here(c);
        return 0;
    case E_CALL:
        switch (e->op) {
        case F_MIN:
        case F_MAX:
            if (gen(c, e->args[0], src) < 0) {
                return -1;
            }
            for (i = 1; i < e->nargs; i++) {
                if (gen(c, e->args[i], src) < 0) {
                    return -1;
                }
                c->sp--;
                at_top(c);  /* a computed winner is copied down */
                if (emit(c, e->op == F_MIN ? OP_MIN : OP_MAX, e) < 0) {
                    return -1;
                }
            }
            return 0;
        case F_ABS:
        case F_ROUND:
            if (gen(c, e->args[0], src) < 0) {
                return -1;
            }
            at_top(c);
            return emit(c, e->op == F_ABS ? OP_ABS : OP_ROUND, e);
        case F_AGE:
        case F_ADD_MONTHS:
        case F_MONTHS_BETWEEN:
        case F_DAYS_BETWEEN:
        case F_YEAR:
        case F_MONTH:
        case F_DAY:
        case F_DAYS_IN_MONTH:
            /* all operands first (one or two), as the tree evaluates
             * them */
            for (i = 0; i < e->nargs; i++) {
                if (gen(c, e->args[i], src) < 0) {
                    return -1;
                }
            }
            c->sp -= e->nargs - 1;
            at_top(c);
            return emit(c, OP_FN, e);
        default:
            break;
        }
        break;
    default:
        break;
    }
    /* date arithmetic, scales, at(): walked as a tree, operands and all;
     * rare enough not to matter */
    grow(c, 1);
    return emit(c, OP_TREE, e);
}

/* A root that is more than a name or a literal gets code; those two are
 * read in place by the evaluator without any. */
static int compile_root(kr_pool *pool, kr_expr *e, const kr_src *src,
                        kr_error *err)
{
    cc c;
    if (!e || e->prog || e->kind <= E_REF) {
        return 0;
    }
    cc_init(&c, pool, err);
    if (gen(&c, e, src) < 0 || emit(&c, OP_END, NULL) < 0) {
        return -1;
    }
    return cc_finish(&c, &e->prog, src);
}

static void cc_init(cc *c, kr_pool *pool, kr_error *err)
{
    memset(c, 0, sizeof(*c));
    c->pool = pool;
    c->err = err;
    c->label = -1;
    c->sp = -1;
    c->depth = -1;
}

static int cc_finish(cc *c, kr_prog **out, const kr_src *src)
{
    kr_prog *p;
    if (c->too_deep) {
        return 0;  /* the tree will do */
    }
    if (!(p = kr_pool__alloc(c->pool, sizeof(*p)))) {
        return oom(c);
    }
    p->ins = c->ins;
    p->n = c->n;
    p->depth = c->depth + 1;
    p->nq = c->nq + 1;
    p->loops = c->maxloops;
    p->src = src;
    p->case_src = c->srcs;
    p->case_at = c->src_at;
    p->ncase_src = c->nsrc;
    *out = p;
    return 0;
}

/* From instruction c->n on, messages point into src. */
static void mark_src(cc *c, const kr_src *src)
{
    c->src_at[c->nsrc] = c->n;
    c->srcs[c->nsrc++] = src;
}

const kr_src *kr_prog__src(const kr_prog *p, const kr_ins *in)
{
    int i, at = (int)(in - p->ins);
    for (i = p->ncase_src - 1; i >= 0; i--) {
        if (at >= p->case_at[i]) {
            return p->case_src[i];
        }
    }
    return p->src;
}

/* A value as one program: its formula, or its cases tried in order
 *
 *        [when1]   JF -> next      (each formula's instructions are
 *        [expr1]   END              marked with its text, for messages)
 *   next: ...
 *        NOCASE                    (no <otherwise>)
 *
 * match="unique" cases, which must all be tried, stay with the tree. */
static int compile_value(kr_pool *pool, kr_sym *s, kr_error *err)
{
    cc c;
    int i, jf, open = 1;

    cc_init(&c, pool, err);
    if (s->formula) {
        if (gen(&c, s->formula, &s->src) < 0 ||
            emit(&c, OP_END, NULL) < 0) {
            return -1;
        }
        return cc_finish(&c, &s->prog, &s->src);
    }
    if (s->unique) {
        return 0;
    }
    c.srcs = kr_pool__alloc_raw(pool, sizeof(*c.srcs) *
                                (size_t)(2 * s->ncases));
    c.src_at = kr_pool__alloc_raw(pool, sizeof(*c.src_at) *
                                  (size_t)(2 * s->ncases));
    if (!c.srcs || !c.src_at) {
        return oom(&c);
    }
    for (i = 0; i < s->ncases && open; i++) {
        kr_case *k = &s->cases[i];
        jf = -1;
        if (k->when) {
            /* a new instruction: the case's first must not be fused
             * into the last of the case before */
            here(&c);
            mark_src(&c, &k->when_src);
            if (gen(&c, k->when, &k->when_src) < 0 ||
                (jf = emit(&c, OP_JF, k->when)) < 0) {
                return -1;
            }
            c.sp--;
        }
        here(&c);
        mark_src(&c, &k->src);
        if (gen(&c, k->expr, &k->src) < 0 || emit(&c, OP_END, NULL) < 0) {
            return -1;
        }
        c.sp--;
        if (jf >= 0) {
            c.ins[jf].arg = here(&c);
        } else {
            open = 0;  /* <otherwise>: what follows is never reached */
        }
    }
    if (open && emit_new(&c, OP_NOCASE, s) < 0) {
        return -1;
    }
    return cc_finish(&c, &s->prog, &s->src);
}

int kr_prog__compile_rules(kr_rules *r, kr_error *err)
{
    int i, j;
    kr_pool *pool = &r->pool;

    for (i = 0; i < r->nsyms; i++) {
        kr_sym *s = r->syms[i];
        if (s->kind != SYM_VALUE) {
            continue;
        }
        if (compile_value(pool, s, err) < 0) {
            return -1;
        }
        /* a value without a program of its own (unique cases, or too
         * deep) is walked by eval_value(): its cases may still have one */
        for (j = 0; !s->prog && j < s->ncases; j++) {
            kr_case *k = &s->cases[j];
            if (compile_root(pool, k->when, &k->when_src, err) < 0 ||
                compile_root(pool, k->expr, &k->src, err) < 0) {
                return -1;
            }
        }
    }
    for (i = 0; i < r->nbenefits; i++) {
        kr_benefit *b = &r->benefits[i];
        for (j = 0; j < b->nconds; j++) {
            if (compile_root(pool, b->conds[j].formula, &b->conds[j].src,
                             err) < 0) {
                return -1;
            }
        }
        for (j = 0; j < b->ncomps; j++) {
            if (compile_root(pool, b->comps[j].formula, &b->comps[j].src,
                             err) < 0) {
                return -1;
            }
        }
        if (compile_root(pool, b->amount, &b->amount_src, err) < 0 ||
            compile_root(pool, b->minimum, &b->minimum_src, err) < 0 ||
            compile_root(pool, b->maximum, &b->maximum_src, err) < 0 ||
            compile_root(pool, b->range_lo, &b->range_lo_src, err) < 0 ||
            compile_root(pool, b->range_hi, &b->range_hi_src, err) < 0) {
            return -1;
        }
    }
    return 0;
}
