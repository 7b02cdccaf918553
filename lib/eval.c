/*
 * eval.c - lazy, memoized, exact evaluation of a rule set on one
 * application.
 *
 * All mutable state lives in the kr_result (memo slots, trace frames,
 * what-if overrides, its pool), none in the rules or in globals, so any
 * number of threads may evaluate over one compiled kr_rules at once.
 * Each named value is computed at most once per entity instance; while it
 * is computed, a trace frame collects every name it reads, which is what
 * kr_result_explain() walks later.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The dispatcher ev() runs for every node of every formula: the cases
 * that need a stack frame are kept out of it (NOINLINE), and the reads
 * that are a few loads are copied into their callers (ALWAYS_INLINE). */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NOINLINE
#define ALWAYS_INLINE inline
#endif

typedef struct {
    int person;  /* -1 outside a person */
    int income;  /* -1 outside an income item */
} scope;

struct kr_frame {
    kr_frame *up;
    kr_dep *deps;
    int n, cap;
    int failed;
};

static int ev(kr_result *res, const kr_expr *e, scope sc, const kr_src *src,
              kr_val *out, kr_error *err);
static int ev_op(kr_result *res, const kr_expr *e, scope sc,
                 const kr_src *src, kr_val *out, kr_error *err);
static ALWAYS_INLINE int ev_view(kr_result *res, const kr_expr *e, scope sc,
                                 const kr_src *src, kr_val *out,
                                 const kr_val **view, kr_error *err);

static int run(kr_result *res, const kr_prog *prog, scope sc,
               kr_val *out, const kr_val **view, kr_error *err);

static int oom(kr_error *err)
{
    return kr__err(err, KR_ENOMEM, "out of memory");
}

static ALWAYS_INLINE void copy_val(kr_val *dst, const kr_val *src)
{
    dst->kind = src->kind;
    dst->b = src->b;
    dst->d = src->d;
    dst->s = src->s;
    if (src->kind == V_NUM) {
        kr_dec_set(dst->q, src->q);
    }
}

/* Scratch rationals: a stack reused through the whole evaluation, so that
 * an operator's temporary costs no allocation (mpq_init allocates). */
static NOINLINE mpq_ptr tmp_grow(kr_result *res)
{
    mpq_ptr q;
    if (res->tmp_n == res->tmp_cap) {
        int cap = res->tmp_cap ? res->tmp_cap * 2 : 16;
        mpq_ptr *n = realloc(res->tmp, sizeof(*n) * (size_t)cap);
        if (!n) {
            return NULL;
        }
        res->tmp = n;
        res->tmp_cap = cap;
    }
    if (!(q = malloc(sizeof(mpq_t)))) {
        return NULL;
    }
    mpq_init(q);
    res->tmp[res->tmp_n++] = q;
    return res->tmp[res->tmp_top++];
}

static inline mpq_ptr tmp_get(kr_result *res)
{
    if (res->tmp_top < res->tmp_n) {
        return res->tmp[res->tmp_top++];
    }
    return tmp_grow(res);
}

static void tmp_put(kr_result *res, mpq_ptr q)
{
    (void)q; /* LIFO: q is always the top */
    res->tmp_top--;
}

/* The memo slot of value s for instance inst (it may hold an earlier
 * evaluation's value: see gen). */
static ALWAYS_INLINE kr_slot *slot_of(const kr_result *res, const kr_sym *s,
                                      int inst)
{
    return &res->slots[s->entity][(size_t)inst *
                                  (size_t)res->rules->nvalues[s->entity] +
                                  (size_t)s->index];
}

/* A slot about to be computed: stamped for this evaluation, with storage
 * for a number; then state 1 (computing). */
static ALWAYS_INLINE int slot_begin(kr_result *res, kr_slot *slot,
                                    kr_error *err)
{
    if (slot->gen != res->gen) {
        slot->gen = res->gen;
        slot->deps = NULL;
        slot->ndeps = 0;
    }
    if (!slot->v.q) {
        if (!(slot->v.q = malloc(sizeof(mpq_t)))) {
            return oom(err);
        }
        mpq_init(slot->v.q);
    }
    slot->state = 1;
    return KR_OK;
}

/* Run prog with its result in out. */
static int run_into(kr_result *res, const kr_prog *prog, scope sc,
                    kr_val *out, kr_error *err)
{
    const kr_val *v;
    int rc = run(res, prog, sc, out, &v, err);
    if (rc == KR_OK && v != out) {
        copy_val(out, v);
    }
    return rc;
}

/* A formula root: run its code when it has some, else walk the tree
 * (a single name or literal is read in place either way). */
static ALWAYS_INLINE int root_view(kr_result *res, const kr_expr *e,
                                   scope sc, const kr_src *src, kr_val *out,
                                   const kr_val **view, kr_error *err)
{
    if (e->prog && !res->walk) {
        return run(res, e->prog, sc, out, view, err);
    }
    return ev_view(res, e, sc, src, out, view, err);
}

/* The same, with the result in out. */
static int root_eval(kr_result *res, const kr_expr *e, scope sc,
                     const kr_src *src, kr_val *out, kr_error *err)
{
    if (!e->prog || res->walk) {
        return ev(res, e, sc, src, out, err);
    }
    return run_into(res, e->prog, sc, out, err);
}

/* ------------------------------------------------------------------ */
/* Trace frames                                                        */

static NOINLINE void record_dep(kr_result *res, const kr_sym *s, int inst)
{
    kr_frame *f = res->frame;
    int i;
    for (i = 0; i < f->n; i++) {
        if (f->deps[i].sym == s && f->deps[i].inst == inst) {
            return;
        }
    }
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 8;
        kr_dep *nd = realloc(f->deps, sizeof(*nd) * (size_t)cap);
        if (!nd) {
            f->failed = 1; /* trace incomplete; reported at pop */
            return;
        }
        f->deps = nd;
        f->cap = cap;
    }
    f->deps[f->n].sym = s;
    f->deps[f->n].inst = inst;
    f->n++;
}

/* Note that the innermost value being computed read (s, inst). */
static inline void record(kr_result *res, const kr_sym *s, int inst)
{
    if (res->frame) {
        record_dep(res, s, inst);
    }
}

static inline void push(kr_result *res, kr_frame *f)
{
    if (!res->trace) {
        return; /* pop() does nothing either */
    }
    memset(f, 0, sizeof(*f));
    f->up = res->frame;
    res->frame = f;
}

/* Pop the frame, moving its dependencies into the pool. */
static NOINLINE int pop_frame(kr_result *res, kr_frame *f, kr_dep **deps,
                              int *ndeps, kr_error *err)
{
    res->frame = f->up;
    if (f->failed) {
        free(f->deps);
        return oom(err);
    }
    if (deps && f->n) {
        *deps = kr_pool__alloc(&res->pool, sizeof(kr_dep) * (size_t)f->n);
        if (!*deps) {
            free(f->deps);
            return oom(err);
        }
        memcpy(*deps, f->deps, sizeof(kr_dep) * (size_t)f->n);
        *ndeps = f->n;
    }
    free(f->deps);
    return 0;
}

static inline int pop(kr_result *res, kr_frame *f, kr_dep **deps,
                      int *ndeps, kr_error *err)
{
    return res->trace ? pop_frame(res, f, deps, ndeps, err) : 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static int find_period(const kr_sym *s, kr_date d)
{
    int lo = 0, hi = s->nperiods - 1;
    /* periods are sorted and disjoint (checked at load) */
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (d < s->periods[mid].from) {
            hi = mid - 1;
        } else if (d > s->periods[mid].until) {
            lo = mid + 1;
        } else {
            return mid;
        }
    }
    return -1;
}

static int find_speriod(const kr_sym *s, kr_date d)
{
    int i;
    for (i = 0; i < s->nsperiods; i++) {
        if (d >= s->speriods[i].from && d <= s->speriods[i].until) {
            return i;
        }
    }
    return -1;
}

static const kr_val *override_of(const kr_result *res, const kr_sym *s,
                                 int inst)
{
    int i;
    for (i = 0; i < res->nov; i++) {
        if (res->ov_sym[i] == s &&
            (res->ov_inst[i] == -1 || res->ov_inst[i] == inst)) {
            return &res->ov_val[i];
        }
    }
    return NULL;
}

enum { FAIL_NONE = 0, FAIL_INPUT, FAIL_PERIOD };

static void note_fail(kr_result *res, int kind, const kr_sym *s, int inst,
                      kr_date d)
{
    if (res->fail_kind == FAIL_NONE) {
        res->fail_kind = kind;
        res->fail_sym = s;
        res->fail_inst = inst;
        res->fail_date = d;
    }
}

static int no_period_err(const kr_sym *s, kr_date d, kr_error *err)
{
    char a[11], b[11], c[11];
    kr_date_format(a, d);
    kr_date_format(b, s->periods[0].from);
    if (s->periods[s->nperiods - 1].until == INT32_MAX) {
        snprintf(c, sizeof(c), "...");
    } else {
        kr_date_format(c, s->periods[s->nperiods - 1].until);
    }
    return kr__err_at(err, KR_EEVAL, s->file, s->line,
                      "parameter '%s' has no value in force on %s (the "
                      "rule file gives values from %s to %s); a missing "
                      "value is never taken as zero", s->id, a, b, c);
}

static const char *inst_name(const kr_result *res, int ent, int inst,
                             char *buf, size_t n)
{
    if (ent == KR_ENT_PERSON) {
        snprintf(buf, n, " for person %s", res->app->persons[inst].id);
    } else if (ent == KR_ENT_INCOME) {
        const kr_income *in = &res->app->incomes[inst];
        snprintf(buf, n, " for income item %d of person %s",
                 inst - res->app->persons[in->person].first_income + 1,
                 res->app->persons[in->person].id);
    } else {
        buf[0] = '\0';
    }
    return buf;
}

static NOINLINE int no_case_err(kr_result *res, const kr_sym *s, int inst,
                                kr_error *err)
{
    char w[80];
    return kr__err_at(err, KR_EEVAL, s->file, s->line, "value '%s': no "
                      "case applies%s and there is no <otherwise>", s->id,
                      inst_name(res, s->entity, inst, w, sizeof(w)));
}

static int eval_value(kr_result *res, const kr_sym *s, int inst,
                      kr_slot *slot, kr_error *err)
{
    scope sc = { -1, -1 };
    kr_frame f;
    int rc = KR_OK, i, hit = -1;

    if (s->entity == KR_ENT_PERSON) {
        sc.person = inst;
    } else if (s->entity == KR_ENT_INCOME) {
        sc.income = inst;
        sc.person = res->app->incomes[inst].person;
    }
    if ((rc = slot_begin(res, slot, err)) < 0) {
        return rc;
    }
    push(res, &f);
    if (s->prog && !res->walk) {
        rc = run_into(res, s->prog, sc, &slot->v, err);
    } else if (s->formula) {
        rc = root_eval(res, s->formula, sc, &s->src, &slot->v, err);
    } else {
        mpq_ptr tq = tmp_get(res);
        kr_val t;
        if (!tq) {
            rc = oom(err);
        }
        kr_val__init(&t, tq);
        for (i = 0; i < s->ncases && rc == KR_OK; i++) {
            const kr_case *k = &s->cases[i];
            if (k->when) {
                const kr_val *w;
                rc = root_view(res, k->when, sc, &k->when_src, &t, &w, err);
                if (rc < 0 || !w->b) {
                    continue;
                }
            }
            if (hit >= 0) {
                rc = kr__err_at(err, KR_EEVAL, s->file, k->src.line,
                                "value '%s': cases at lines %lu and %lu "
                                "both apply, but match=\"unique\" needs "
                                "exactly one", s->id,
                                s->cases[hit].src.line, k->src.line);
                break;
            }
            hit = i;
            if (k->expr->kind <= E_REF) {
                /* a literal or a name, the usual result of a case: read
                 * and copied without a dispatch */
                const kr_val *v;
                if ((rc = ev_view(res, k->expr, sc, &k->src, NULL, &v,
                                  err)) == KR_OK) {
                    copy_val(&slot->v, v);
                }
            } else {
                rc = root_eval(res, k->expr, sc, &k->src, &slot->v, err);
            }
            if (!s->unique) {
                break;
            }
        }
        if (tq) {
            tmp_put(res, tq);
        }
        if (rc == KR_OK && hit < 0) {
            rc = no_case_err(res, s, inst, err);
        }
    }
    if (pop(res, &f, &slot->deps, &slot->ndeps, err) < 0 && rc == KR_OK) {
        rc = KR_ENOMEM;
    }
    if (rc < 0) {
        slot->state = 0;
        return rc;
    }
    slot->state = 2;
    return KR_OK;
}

/* The stored value of a name, evaluated if need be, without copying it:
 * *view stays valid for the whole evaluation (slots, application values
 * and parameter values do not move). */
static NOINLINE int sym_view_slow(kr_result *res, const kr_sym *s, int inst,
                                  const kr_val **view, kr_error *err)
{
    const kr_val *v;
    int p;

    switch (s->kind) {
    case SYM_INPUT: {
        const kr_app *a = res->app;
        size_t k = (size_t)inst * (size_t)a->ninputs[s->entity] +
                   (size_t)s->index;
        if ((v = override_of(res, s, inst))) {
            *view = v;
        } else if (a->set[s->entity][k]) {
            *view = &a->vals[s->entity][k];
        } else if (s->has_default) {
            *view = &s->defval;
        } else {
            char w[80];
            note_fail(res, FAIL_INPUT, s, inst, 0);
            return kr__err_at(err, KR_EEVAL, a->file, 0,
                              "input '%s' is needed%s but the application "
                              "does not give it and the rules give no "
                              "default", s->id,
                              inst_name(res, s->entity, inst, w, sizeof(w)));
        }
        record(res, s, inst);
        return KR_OK;
    }
    case SYM_PARAM:
        if ((v = override_of(res, s, -1))) {
            *view = v;
            record(res, s, -1);
            return KR_OK;
        }
        if ((p = find_period(s, res->date)) < 0) {
            note_fail(res, FAIL_PERIOD, s, 0, res->date);
            return no_period_err(s, res->date, err);
        }
        *view = &s->periods[p].v;
        if (res->pview) {
            res->pview[s->index] = *view;
        }
        record(res, s, p);
        return KR_OK;
    case SYM_VALUE: {
        kr_slot *slot = slot_of(res, s, inst);
        /* a slot stamped by an earlier evaluation of this result is not
         * computed in this one */
        int rc, state = slot->gen == res->gen ? slot->state : 0;
        if (state == 1) {
            return kr__err_at(err, KR_EEVAL, s->file, s->line,
                              "value '%s' depends on itself", s->id);
        }
        if (state == 0 && (rc = eval_value(res, s, inst, slot, err)) < 0) {
            return rc;
        }
        *view = &slot->v;
        record(res, s, inst);
        return KR_OK;
    }
    default:
        return kr__err(err, KR_ERROR, "internal: bad symbol kind");
    }
}

/* The reads that take a few loads, with no trace and no what-if: a value
 * computed, an input given or defaulted, a parameter looked up on this
 * date.  NULL: go the long way (sym_view_slow).  The compiled code calls
 * these directly, knowing the symbol's kind. */
static ALWAYS_INLINE const kr_val *value_stored(const kr_result *res,
                                                const kr_sym *s, int inst)
{
    const kr_slot *slot = slot_of(res, s, inst);
    return slot->gen == res->gen && slot->state == 2 ? &slot->v : NULL;
}

static ALWAYS_INLINE const kr_val *input_stored(const kr_result *res,
                                                const kr_sym *s, int inst)
{
    const kr_app *a = res->app;
    size_t e = (size_t)s->entity;
    size_t k = (size_t)inst * (size_t)a->ninputs[e] + (size_t)s->index;
    if (a->set[e][k]) {
        return &a->vals[e][k];
    }
    return s->has_default ? &s->defval : NULL;
}

static ALWAYS_INLINE const kr_val *param_stored(const kr_result *res,
                                                const kr_sym *s)
{
    return res->pview ? res->pview[s->index] : NULL;
}

/* Most reads are of a value already computed or an input the
 * application gives, with no trace and no what-if: those take a few
 * loads; everything else goes the long way. */
static ALWAYS_INLINE int sym_view(kr_result *res, const kr_sym *s, int inst,
                                  const kr_val **view, kr_error *err)
{
    if (!res->nov && !res->frame) {
        const kr_val *v = s->kind == SYM_VALUE ? value_stored(res, s, inst)
                          : s->kind == SYM_INPUT ? input_stored(res, s, inst)
                          : s->kind == SYM_PARAM ? param_stored(res, s)
                          : NULL;
        if (v) {
            *view = v;
            return KR_OK;
        }
    }
    return sym_view_slow(res, s, inst, view, err);
}

int kr_eval__sym(kr_result *res, const kr_sym *s, int inst, kr_val *out,
                 kr_error *err)
{
    const kr_val *v = NULL;
    int rc = sym_view(res, s, inst, &v, err);
    if (rc == KR_OK) {
        copy_val(out, v);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Formulas                                                            */

static int ref_inst(const kr_sym *s, scope sc)
{
    switch (s->entity) {
    case KR_ENT_PERSON: return sc.person;
    case KR_ENT_INCOME: return sc.income;
    default: return 0;
    }
}

static ALWAYS_INLINE int compare(const kr_val *a, const kr_val *b)
{
    switch (a->kind) {
    case V_NUM: return kr_dec_cmp(a->q, b->q);
    case V_DATE: return a->d < b->d ? -1 : a->d > b->d;
    case V_BOOL: return a->b - b->b;
    case V_STR:
        /* options and roles mostly differ in their first byte; strcmp
         * orders bytes as unsigned char too */
        if (a->s == b->s) {
            return 0;
        }
        if (a->s[0] != b->s[0]) {
            return (unsigned char)a->s[0] < (unsigned char)b->s[0] ? -1 : 1;
        }
        return strcmp(a->s, b->s);
    default: return 0;
    }
}

/* An aggregate's items in the scope of person `person` (-1: the
 * household), and its starting value in acc. */
static ALWAYS_INLINE void agg_start(const kr_app *a, const kr_expr *e,
                                   int person, int *first, int *last,
                                   kr_val *acc)
{
    *first = 0;
    if (e->ent == KR_ENT_PERSON) {
        *last = a->npersons;
    } else if (person >= 0) {
        *first = a->persons[person].first_income;
        *last = *first + a->persons[person].nincome;
    } else {
        *last = a->nincomes;
    }
    acc->kind = V_NUM;
    kr_dec_set_si(acc->q, 0);
    if (e->op == A_ANY || e->op == A_ALL) {
        acc->kind = V_BOOL;
        acc->b = e->op == A_ALL;
    }
}

/* One item's value v into the aggregate (not count); `seen`: an earlier
 * item got through. */
static ALWAYS_INLINE void agg_add(const kr_expr *e, kr_val *acc,
                                  const kr_val *v, int seen)
{
    switch (e->op) {
    case A_SUM:
        kr_dec_add(acc->q, acc->q, v->q);
        break;
    case A_ANY:
        acc->b = acc->b || v->b;
        break;
    case A_ALL:
        acc->b = acc->b && v->b;
        break;
    default: /* min, max */
        if (!seen || (e->op == A_MIN ? compare(v, acc) < 0
                                     : compare(v, acc) > 0)) {
            copy_val(acc, v);
        }
    }
}

static NOINLINE int ev_agg(kr_result *res, const kr_expr *e, scope sc,
                           const kr_src *src, kr_val *out, kr_error *err)
{
    const kr_app *a = res->app;
    int first, last, k, rc = KR_OK, seen = 0;
    mpq_ptr tq;
    kr_val t;
    const kr_val *v;

    if (!(tq = tmp_get(res))) {
        return oom(err);
    }
    kr_val__init(&t, tq);
    agg_start(a, e, sc.person, &first, &last, out);
    for (k = first; k < last && rc == KR_OK; k++) {
        scope in = sc;
        if (e->ent == KR_ENT_PERSON) {
            in.person = k;
            in.income = -1;
        } else {
            in.income = k;
            in.person = a->incomes[k].person;
        }
        if (e->where) {
            if ((rc = root_view(res, e->where, in, src, &t, &v, err)) < 0) {
                break;
            }
            if (!v->b) {
                continue;
            }
        }
        if (e->op == A_COUNT) {
            mpz_add_ui(mpq_numref(out->q), mpq_numref(out->q), 1);
            continue;
        }
        if ((rc = root_view(res, e->args[0], in, src, &t, &v, err)) < 0) {
            break;
        }
        agg_add(e, out, v, seen);
        seen = 1;
    }
    tmp_put(res, tq);
    if (rc == KR_OK && !seen && (e->op == A_MIN || e->op == A_MAX)) {
        rc = kr_expr__err(err, KR_EEVAL, src, e->pos, "%s() over no %s: "
                          "no item matches", e->op == A_MIN ? "min" : "max",
                          e->ent == KR_ENT_PERSON ? "person" : "income");
    }
    return rc < 0 ? rc : kr_dec_check_size(out->q, err);
}

static NOINLINE int age_err(const kr_expr *e, const kr_src *src,
                            kr_date birth, kr_date on, kr_error *err)
{
    char b1[11], b2[11];
    kr_date_format(b1, birth);
    kr_date_format(b2, on);
    return kr_expr__err(err, KR_EEVAL, src, e->pos, "age(): birth date %s "
                        "is after %s", b1, b2);
}

/* The date functions of one or two operands, on values already computed
 * (the tree's ev_call and the compiled OP_FN share it); out may be a. */
static NOINLINE int apply_fn(kr_result *res, const kr_expr *e,
                             const kr_val *a, const kr_val *b,
                             const kr_src *src, kr_val *out, kr_error *err)
{
    kr_date x = a->d;
    long v;
    int y, m, d;

    switch (e->op) {
    case F_AGE: {
        kr_date on = b ? b->d : res->date;
        if (on < x) {
            return age_err(e, src, x, on, err);
        }
        v = on == res->date ? kr_date_age_ymd(x, res->date_y, res->date_m,
                                              res->date_d)
                            : kr_date_age(x, on);
        break;
    }
    case F_ADD_MONTHS:
        if (mpz_cmp_ui(mpq_denref(b->q), 1) != 0 ||
            !mpz_fits_slong_p(mpq_numref(b->q)) ||
            mpz_cmpabs_ui(mpq_numref(b->q), 12000) > 0) {
            return kr_expr__err(err, KR_EEVAL, src, e->pos, "add_months() "
                                "needs a whole number of months");
        }
        out->kind = V_DATE;
        out->d = kr_date_add_months(x, (int)mpz_get_si(mpq_numref(b->q)));
        return KR_OK;
    case F_MONTHS_BETWEEN:
        v = kr_date_months_between(x, b->d);
        break;
    case F_DAYS_BETWEEN:
        v = (long)b->d - (long)x;
        break;
    default: /* year, month, day, days_in_month */
        kr_date_to_ymd(x, &y, &m, &d);
        v = e->op == F_YEAR ? y : e->op == F_MONTH ? m : e->op == F_DAY ? d
            : kr_date_days_in_month(y, m);
        break;
    }
    out->kind = V_NUM;
    kr_dec_set_si(out->q, v);
    return KR_OK;
}

static NOINLINE int ev_call(kr_result *res, const kr_expr *e, scope sc,
                            const kr_src *src, kr_val *out, kr_error *err)
{
    mpq_ptr tq;
    kr_val t;
    int rc, i;

    if (!(tq = tmp_get(res))) {
        return oom(err);
    }
    kr_val__init(&t, tq);
    if ((rc = ev(res, e->args[0], sc, src, out, err)) < 0) {
        goto done;
    }
    switch (e->op) {
    case F_MIN:
    case F_MAX:
        for (i = 1; i < e->nargs; i++) {
            if ((rc = ev(res, e->args[i], sc, src, &t, err)) < 0) {
                goto done;
            }
            if (e->op == F_MIN ? compare(&t, out) < 0
                               : compare(&t, out) > 0) {
                copy_val(out, &t);
            }
        }
        break;
    case F_ABS:
        mpq_abs(out->q, out->q);
        break;
    case F_ROUND:
        rc = kr_dec_round(out->q, out->q, e->args[1]->lit.q, e->mode, err);
        break;
    case F_AGE:
    case F_ADD_MONTHS:
    case F_MONTHS_BETWEEN:
    case F_DAYS_BETWEEN:
        if (e->nargs == 2 &&
            (rc = ev(res, e->args[1], sc, src, &t, err)) < 0) {
            goto done;
        }
        rc = apply_fn(res, e, out, e->nargs == 2 ? &t : NULL, src, out,
                      err);
        break;
    case F_MAKE_DATE: {
        long ymd[3];
        for (i = 0; i < 3; i++) {
            if (i && (rc = ev(res, e->args[i], sc, src, &t, err)) < 0) {
                goto done;
            }
            mpq_srcptr q = i ? t.q : out->q;
            if (mpz_cmp_ui(mpq_denref(q), 1) != 0 ||
                !mpz_fits_slong_p(mpq_numref(q))) {
                rc = kr_expr__err(err, KR_EEVAL, src, e->pos, "date(): "
                                  "year, month and day must be whole "
                                  "numbers");
                goto done;
            }
            ymd[i] = mpz_get_si(mpq_numref(q));
        }
        if (ymd[0] < 1800 || ymd[0] > 9999 || ymd[1] < 1 || ymd[1] > 12 ||
            ymd[2] < 1 ||
            ymd[2] > kr_date_days_in_month((int)ymd[0], (int)ymd[1])) {
            rc = kr_expr__err(err, KR_EEVAL, src, e->pos, "date(%ld, %ld, "
                              "%ld) is not a calendar date", ymd[0], ymd[1],
                              ymd[2]);
            goto done;
        }
        out->kind = V_DATE;
        out->d = kr_date_from_ymd((int)ymd[0], (int)ymd[1], (int)ymd[2]);
        break;
    }
    default:
        rc = apply_fn(res, e, out, NULL, src, out, err);
        break;
    }
done:
    tmp_put(res, tq);
    return rc;
}

static NOINLINE int ev_scale(kr_result *res, const kr_expr *e, scope sc,
                             const kr_src *src, kr_val *out, kr_error *err)
{
    const kr_sym *s = e->sym;
    const kr_scale_period *p;
    int pi, i, rc;

    if ((rc = ev(res, e->args[0], sc, src, out, err)) < 0) {
        return rc;
    }
    if ((pi = find_speriod(s, res->date)) < 0) {
        char a[11];
        kr_date_format(a, res->date);
        return kr__err_at(err, KR_EEVAL, s->file, s->line, "scale '%s' has "
                          "no period in force on %s", s->id, a);
    }
    p = &s->speriods[pi];
    for (i = 0; i < p->nbr; i++) {
        const kr_bracket *b = &p->br[i];
        if ((!b->has_above || kr_dec_cmp(out->q, b->above) > 0) &&
            (!b->has_upto || kr_dec_cmp(out->q, b->upto) <= 0)) {
            copy_val(out, &b->v);
            record(res, s, pi);
            return KR_OK;
        }
    }
    {
        char *x = kr_dec_to_string(out->q, 0);
        rc = kr__err_at(err, KR_EEVAL, s->file, p->line, "scale '%s': no "
                        "bracket holds %s", s->id, x ? x : "?");
        free(x);
    }
    return rc;
}

static NOINLINE int ev_at(kr_result *res, const kr_expr *e, scope sc,
                          const kr_src *src, kr_val *out, kr_error *err)
{
    const kr_val *v;
    int rc, p;
    if ((rc = ev(res, e->args[0], sc, src, out, err)) < 0) {
        return rc;
    }
    if ((v = override_of(res, e->sym, -1))) {
        copy_val(out, v);
        record(res, e->sym, -1);
        return KR_OK;
    }
    if ((p = find_period(e->sym, out->d)) < 0) {
        note_fail(res, FAIL_PERIOD, e->sym, 0, out->d);
        return no_period_err(e->sym, out->d, err);
    }
    copy_val(out, &e->sym->periods[p].v);
    record(res, e->sym, p);
    return KR_OK;
}

/* An operand without a copy: literals and names are read where they are
 * stored; anything else is computed into out. */
static ALWAYS_INLINE int ev_view(kr_result *res, const kr_expr *e, scope sc,
                                 const kr_src *src, kr_val *out,
                                 const kr_val **view, kr_error *err)
{
    int rc;
    switch (e->kind) {
    case E_NUM:
    case E_STR:
    case E_BOOL:
    case E_DATE:
        *view = &e->lit;
        return KR_OK;
    case E_REF:
        return sym_view(res, e->sym, ref_inst(e->sym, sc), view, err);
    default:
        rc = ev(res, e, sc, src, out, err);
        *view = out;
        return rc;
    }
}

/* The node kinds that need more than a few loads each have a function of
 * their own, so that ev() itself is a jump table whose every branch is a
 * tail call: it then saves no registers and sets up no frame, which is
 * most of the cost of dispatching one node. */
static NOINLINE int ev_copy(kr_val *out, const kr_val *v)
{
    copy_val(out, v);
    return KR_OK;
}

/* applicant.name and the like, read in place. */
static NOINLINE int role_view(kr_result *res, const kr_expr *e,
                              const kr_src *src, const kr_val **view,
                              kr_error *err)
{
    scope sc;
    int p = res->app->role_person[e->op];
    if (p < 0) {
        return kr_expr__err(err, KR_EEVAL, src, e->pos, "%s.%s: %s "
                            "person has role \"%s\"", kr_role_names[e->op],
                            e->name, p == -1 ? "no" : "more than one",
                            kr_role_names[e->op]);
    }
    sc.person = p;
    sc.income = -1;
    return sym_view(res, e->sym, ref_inst(e->sym, sc), view, err);
}

static NOINLINE int ev_role(kr_result *res, const kr_expr *e,
                            const kr_src *src, kr_val *out, kr_error *err)
{
    const kr_val *v;
    int rc = role_view(res, e, src, &v, err);
    if (rc == KR_OK) {
        copy_val(out, v);
    }
    return rc;
}

/* if, not, and, or: operands read in place */
static NOINLINE int ev_logic(kr_result *res, const kr_expr *e, scope sc,
                             const kr_src *src, kr_val *out, kr_error *err)
{
    const kr_val *v;
    int rc;

    if ((rc = ev_view(res, e->args[0], sc, src, out, &v, err)) < 0) {
        return rc;
    }
    switch (e->kind) {
    case E_IF:
        return ev(res, e->args[v->b ? 1 : 2], sc, src, out, err);
    case E_NOT:
        out->kind = V_BOOL;
        out->b = !v->b;
        return KR_OK;
    default: { /* and, or: n operands (rules_check.c flattens chains) */
        int i, stop = e->kind == E_OR;
        for (i = 1; i < e->nargs && v->b != stop; i++) {
            if ((rc = ev_view(res, e->args[i], sc, src, out, &v, err)) < 0) {
                return rc;
            }
        }
        out->kind = V_BOOL;
        out->b = v->b;
        return KR_OK;
    }
    }
}

static NOINLINE int ev_neg(kr_result *res, const kr_expr *e, scope sc,
                           const kr_src *src, kr_val *out, kr_error *err)
{
    int rc;
    if ((rc = ev(res, e->args[0], sc, src, out, err)) < 0) {
        return rc;
    }
    mpq_neg(out->q, out->q);
    return KR_OK;
}

static int ev(kr_result *res, const kr_expr *e, scope sc, const kr_src *src,
              kr_val *out, kr_error *err)
{
    switch (e->kind) {
    case E_NUM:
    case E_STR:
    case E_BOOL:
    case E_DATE:
        return ev_copy(out, &e->lit);
    case E_TODAY:
        out->kind = V_DATE;
        out->d = res->date;
        return KR_OK;
    case E_APPDATE:
        out->kind = V_DATE;
        out->d = res->app->date;
        return KR_OK;
    case E_PROLE:
        out->kind = V_STR;
        out->s = kr_role_names[res->app->persons[sc.person].role];
        return KR_OK;
    case E_REF:
        return kr_eval__sym(res, e->sym, ref_inst(e->sym, sc), out, err);
    case E_ROLE:
        return ev_role(res, e, src, out, err);
    case E_SCALE:
        return ev_scale(res, e, sc, src, out, err);
    case E_AT:
        return ev_at(res, e, sc, src, out, err);
    case E_AGG:
        return ev_agg(res, e, sc, src, out, err);
    case E_CALL:
        return ev_call(res, e, sc, src, out, err);
    case E_IF:
    case E_NOT:
    case E_AND:
    case E_OR:
        return ev_logic(res, e, sc, src, out, err);
    case E_NEG:
        return ev_neg(res, e, sc, src, out, err);
    default:
        return ev_op(res, e, sc, src, out, err);
    }
}

/* out = a (op) b for the binary operators; out may be a's storage. */
static int apply_op(const kr_expr *e, const kr_val *a, const kr_val *b,
                    const kr_src *src, kr_val *out, kr_error *err)
{
    int c;

    switch (e->kind) {
    case E_ADD:
        kr_dec_add(out->q, a->q, b->q);
        break;
    case E_SUB:
        kr_dec_sub(out->q, a->q, b->q);
        break;
    case E_MUL:
        kr_dec_mul(out->q, a->q, b->q);
        break;
    case E_DIV:
        if (mpq_sgn(b->q) == 0) {
            return kr_expr__err(err, KR_EDIVZERO, src, e->pos,
                                "division by zero");
        }
        kr_dec_div(out->q, a->q, b->q, NULL);
        break;
    default: /* comparisons */
        c = compare(a, b);
        out->kind = V_BOOL;
        switch (e->kind) {
        case E_EQ: out->b = c == 0; break;
        case E_NE: out->b = c != 0; break;
        case E_LT: out->b = c < 0; break;
        case E_LE: out->b = c <= 0; break;
        case E_GT: out->b = c > 0; break;
        default: out->b = c >= 0; break;
        }
        return KR_OK;
    }
    out->kind = V_NUM;
    return kr_dec_check_size(out->q, err);
}

/* Binary and n-ary operators with a second operand: both read in place
 * where they can (no copy of a stored value). */
static NOINLINE int ev_op(kr_result *res, const kr_expr *e, scope sc,
                          const kr_src *src, kr_val *out, kr_error *err)
{
    mpq_ptr tq = NULL;
    kr_val t;
    const kr_val *a, *b;
    int rc = KR_OK, i;

    if ((rc = ev_view(res, e->args[0], sc, src, out, &a, err)) < 0) {
        return rc;
    }
    if (e->kind == E_IN) {
        int found = 0;
        for (i = 1; i < e->nargs && !found && rc == KR_OK; i++) {
            kr_val *o = NULL;
            if (e->args[i]->kind > E_REF) {
                /* computed: needs scratch storage */
                if (!tq && !(tq = tmp_get(res))) {
                    return oom(err);
                }
                kr_val__init(&t, tq);
                o = &t;
            }
            if ((rc = ev_view(res, e->args[i], sc, src, o, &b, err)) ==
                KR_OK) {
                found = compare(a, b) == 0;
            }
        }
        out->kind = V_BOOL;
        out->b = found;
    } else if (e->args[1]->kind <= E_REF) {
        /* a literal or a name: read in place */
        if ((rc = ev_view(res, e->args[1], sc, src, NULL, &b, err)) ==
            KR_OK) {
            rc = apply_op(e, a, b, src, out, err);
        }
    } else {
        if (!(tq = tmp_get(res))) {
            return oom(err);
        }
        kr_val__init(&t, tq);
        if ((rc = ev_view(res, e->args[1], sc, src, &t, &b, err)) ==
            KR_OK) {
            rc = apply_op(e, a, b, src, out, err);
        }
    }
    if (tq) {
        tmp_put(res, tq);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Compiled formulas (prog.c)                                          */

static NOINLINE int agg_none(const kr_expr *e, const kr_src *src,
                             kr_error *err)
{
    return kr_expr__err(err, KR_EEVAL, src, e->pos, "%s() over no %s: "
                        "no item matches", e->op == A_MIN ? "min" : "max",
                        e->ent == KR_ENT_PERSON ? "person" : "income");
}

typedef struct {
    int k, last;             /* the item, the end */
    int person, income;      /* the scope outside the aggregate */
    int seen;                /* an item got through the filter */
} vm_loop;

/* Enter item k of aggregate e: the scope is that person or income. */
static inline void vm_enter(const kr_result *res, const kr_expr *e, int k,
                            int *inst)
{
    if (e->ent == KR_ENT_PERSON) {
        inst[KR_ENT_PERSON] = k;
        inst[KR_ENT_INCOME] = -1;
    } else {
        inst[KR_ENT_INCOME] = k;
        inst[KR_ENT_PERSON] = res->app->incomes[k].person;
    }
}

/* A value computed inline: where its caller resumes. */
typedef struct {
    const kr_ins *ret;       /* the instruction that asked, to finish */
    const kr_prog *prog;     /* the caller's code */
    kr_slot *slot;           /* what the callee computes */
    mpq_ptr q;               /* the scratch its base level lends it */
    int person, income;      /* the caller's scope */
} vm_call;

/* -DKR_VM_SWITCH builds the portable dispatch on GCC too (to test it) */
#if defined(__GNUC__) && !defined(KR_VM_SWITCH)
#define VM_THREADED 1
#else
#define VM_THREADED 0
#endif
#define VM_STACK 128         /* levels, all inline calls together */
#define VM_LOOPS 32
#define VM_CALLS 48

/* Run a formula's code: *view is its result, either out (level 0 of the
 * stack, computed there) or a stored value read in place.  Each level of
 * the stack holds a view; a result computed at a level goes into that
 * level's scratch value, so a view never points above its own level.
 * A named value not computed yet is run on the same stack, above its
 * caller (with no trace and no what-if; otherwise through eval_value()).
 * The order of evaluation, the short-circuits and the messages are the
 * tree's (ev() and friends), which this replaces node for node. */
static NOINLINE int run(kr_result *res, const kr_prog *prog, scope sc,
                        kr_val *out, const kr_val **view, kr_error *err)
{
#if VM_THREADED
    /* GCC's labels as values: each instruction jumps straight to the
     * next one's handler, with no bounds check and one branch site per
     * handler (which the processor predicts far better than one) */
    static void *const km_tab[] = {
        [KM_NONE] = &&K_KM_NONE, [KM_LIT] = &&K_KM_LIT,
        [KM_VAL] = &&K_KM_VAL, [KM_INPUT] = &&K_KM_INPUT,
        [KM_PARAM] = &&K_KM_PARAM
    };
    static void *const op_tab[] = {
        [OP_END] = &&L_OP_END, [OP_NOP] = &&L_OP_NOP,
        [OP_ROLE] = &&L_OP_ROLE, [OP_TODAY] = &&L_OP_TODAY,
        [OP_APPDATE] = &&L_OP_APPDATE, [OP_PROLE] = &&L_OP_PROLE,
        [OP_TREE] = &&L_OP_TREE,
        [OP_AGG_INIT] = &&L_OP_AGG_INIT, [OP_AGG_ACC] = &&L_OP_AGG_ACC,
        [OP_AGG_NEXT] = &&L_OP_AGG_NEXT, [OP_NEG] = &&L_OP_NEG,
        [OP_ABS] = &&L_OP_ABS, [OP_NOT] = &&L_OP_NOT,
        [OP_ROUND] = &&L_OP_ROUND,
        [OP_FN] = &&L_OP_FN,
        [OP_ADD] = &&L_OP_ADD, [OP_SUB] = &&L_OP_SUB,
        [OP_MUL] = &&L_OP_MUL, [OP_DIV] = &&L_OP_DIV,
        [OP_EQ] = &&L_OP_EQ, [OP_NE] = &&L_OP_NE, [OP_LT] = &&L_OP_LT,
        [OP_LE] = &&L_OP_LE, [OP_GT] = &&L_OP_GT, [OP_GE] = &&L_OP_GE,
        [OP_MIN] = &&L_OP_MIN, [OP_MAX] = &&L_OP_MAX,
        [OP_IN] = &&L_OP_IN, [OP_FALSE] = &&L_OP_FALSE,
        [OP_NOCASE] = &&L_OP_NOCASE,
        [OP_ANDJ] = &&L_OP_ANDJ, [OP_ORJ] = &&L_OP_ORJ,
        [OP_JF] = &&L_OP_JF, [OP_JMP] = &&L_OP_JMP
    };
#define KTARGET(k) case k: K_##k
#define TARGET(op) case op: L_##op
#define DISPATCH() do { in = ip++; goto *km_tab[in->km]; } while (0)
#define DO_OP() goto *op_tab[in->op]
#else
#define KTARGET(k) case k
#define TARGET(op) case op
#define DISPATCH() goto dispatch
#define DO_OP() goto do_op
#endif
/* where the formula being run was written (cases have one each) */
#define SRC() (prog->ncase_src ? kr_prog__src(prog, in) : prog->src)
    const kr_val *vs[VM_STACK];
    kr_val tv[VM_STACK];
    vm_loop lp[VM_LOOPS], *lt = lp - 1;
    vm_call fr[VM_CALLS];
    const kr_ins *ip = prog->ins, *in;
    int inst[KR_NENT];
    const int fast = !res->nov && !res->frame;
    const int calls = fast && !res->trace;
    int top = res->tmp_top, sp = -1, nf = 0, qn, rc = KR_OK, c;
    const kr_val *a, *b;

    inst[KR_ENT_HOUSEHOLD] = 0;
    inst[KR_ENT_PERSON] = sc.person;
    inst[KR_ENT_INCOME] = sc.income;
    tv[0] = *out;
    for (qn = 1; qn < prog->nq; qn++) {
        if (!(tv[qn].q = tmp_get(res))) {
            rc = oom(err);
            goto done;
        }
    }
#if !VM_THREADED
dispatch:
#endif
    in = ip++;
    /* the immediate operand first, then the operation */
    switch (in->km) {
    KTARGET(KM_NONE):
        DO_OP();
    KTARGET(KM_LIT):
        vs[++sp] = in->k;
        DO_OP();
    KTARGET(KM_VAL): {
        const kr_sym *s = in->k;
        const kr_prog *callee;
        int k = inst[in->ent], base;
        kr_slot *slot = slot_of(res, s, k);
        if (fast && slot->gen == res->gen && slot->state == 2) {
            vs[++sp] = &slot->v;
            DO_OP();
        }
        base = sp + 1;
        if (!calls || !(callee = s->prog) ||
            (slot->gen == res->gen && slot->state != 0) ||
            base + callee->depth > VM_STACK ||
            (lt - lp) + 1 + callee->loops > VM_LOOPS || nf == VM_CALLS) {
            if ((rc = sym_view_slow(res, s, k, &vs[sp + 1], err)) < 0) {
                goto done;
            }
            sp++;
            DO_OP();
        }
        /* run the value's code here, above the caller's stack */
        if ((rc = slot_begin(res, slot, err)) < 0) {
            goto done;
        }
        for (; qn < base + callee->nq; qn++) {
            if (!(tv[qn].q = tmp_get(res))) {
                rc = oom(err);
                goto done;
            }
        }
        fr[nf].ret = in;
        fr[nf].prog = prog;
        fr[nf].slot = slot;
        fr[nf].q = tv[base].q;
        fr[nf].person = inst[KR_ENT_PERSON];
        fr[nf].income = inst[KR_ENT_INCOME];
        nf++;
        /* the callee's result is computed straight into the slot */
        tv[base].q = slot->v.q;
        if (s->entity == KR_ENT_HOUSEHOLD) {
            inst[KR_ENT_PERSON] = -1;
            inst[KR_ENT_INCOME] = -1;
        } else if (s->entity == KR_ENT_PERSON) {
            inst[KR_ENT_PERSON] = k;
            inst[KR_ENT_INCOME] = -1;
        } else {
            inst[KR_ENT_INCOME] = k;
            inst[KR_ENT_PERSON] = res->app->incomes[k].person;
        }
        prog = callee;
        ip = callee->ins;
        DISPATCH();
    }
    KTARGET(KM_INPUT):
    KTARGET(KM_PARAM): {
        const kr_sym *s = in->k;
        const kr_val *v = !fast ? NULL
                          : in->km == KM_INPUT
                          ? input_stored(res, s, inst[in->ent])
                          : param_stored(res, s);
        if (!v && (rc = sym_view_slow(res, s, inst[in->ent], &v,
                                      err)) < 0) {
            goto done;
        }
        vs[++sp] = v;
        DO_OP();
    }
    default:
        break;
    }
#if !VM_THREADED
do_op:
#endif
    switch (in->op) {
    TARGET(OP_END): {
        vm_call *f;
        kr_slot *slot;
        if (!nf) {
            goto done;
        }
        /* a value computed inline: store it, back to the caller */
        f = &fr[--nf];
        slot = f->slot;
        b = vs[sp];
        if (b == &tv[sp]) {
            slot->v.kind = b->kind;  /* the number is there already */
            slot->v.b = b->b;
            slot->v.d = b->d;
            slot->v.s = b->s;
        } else {
            copy_val(&slot->v, b);
        }
        tv[sp].q = f->q;
        slot->state = 2;
        vs[sp] = &slot->v;
        prog = f->prog;
        inst[KR_ENT_PERSON] = f->person;
        inst[KR_ENT_INCOME] = f->income;
        in = f->ret;
        ip = in + 1;
        DO_OP();  /* what the caller's instruction does with it */
    }
    TARGET(OP_NOP):
        DISPATCH();
    TARGET(OP_ROLE):
        if ((rc = role_view(res, in->p, SRC(), &vs[sp + 1], err)) < 0) {
            goto done;
        }
        sp++;
        DISPATCH();
    TARGET(OP_TODAY):
        sp++;
        tv[sp].kind = V_DATE;
        tv[sp].d = res->date;
        vs[sp] = &tv[sp];
        DISPATCH();
    TARGET(OP_APPDATE):
        sp++;
        tv[sp].kind = V_DATE;
        tv[sp].d = res->app->date;
        vs[sp] = &tv[sp];
        DISPATCH();
    TARGET(OP_PROLE):
        sp++;
        tv[sp].kind = V_STR;
        tv[sp].s = kr_role_names[res->app->persons
                                 [inst[KR_ENT_PERSON]].role];
        vs[sp] = &tv[sp];
        DISPATCH();
    TARGET(OP_TREE): {
        scope here = { inst[KR_ENT_PERSON], inst[KR_ENT_INCOME] };
        sp++;
        if ((rc = ev(res, in->p, here, SRC(), &tv[sp], err)) < 0) {
            goto done;
        }
        vs[sp] = &tv[sp];
        DISPATCH();
    }
    TARGET(OP_AGG_INIT): {
        const kr_expr *e = in->p;
        int first, last;
        sp++;
        vs[sp] = &tv[sp];
        agg_start(res->app, e, inst[KR_ENT_PERSON], &first, &last, &tv[sp]);
        if (first >= last) {
            if (e->op == A_MIN || e->op == A_MAX) {
                rc = agg_none(e, SRC(), err);
                goto done;
            }
            ip = prog->ins + in->arg;
            DISPATCH();
        }
        lt++;
        lt->k = first;
        lt->last = last;
        lt->person = inst[KR_ENT_PERSON];
        lt->income = inst[KR_ENT_INCOME];
        lt->seen = 0;
        vm_enter(res, e, first, inst);
        DISPATCH();
    }
    TARGET(OP_AGG_ACC): {
        const kr_expr *e = in->p;
        if (e->op == A_COUNT) {
            mpz_add_ui(mpq_numref(tv[sp].q), mpq_numref(tv[sp].q), 1);
            DISPATCH();
        }
        b = vs[sp--];
        agg_add(e, &tv[sp], b, lt->seen);
        lt->seen = 1;
        DISPATCH();
    }
    TARGET(OP_AGG_NEXT): {
        const kr_expr *e = in->p;
        if (++lt->k < lt->last) {
            vm_enter(res, e, lt->k, inst);
            ip = prog->ins + in->arg;
            DISPATCH();
        }
        inst[KR_ENT_PERSON] = lt->person;
        inst[KR_ENT_INCOME] = lt->income;
        lt--;
        if (!lt[1].seen && (e->op == A_MIN || e->op == A_MAX)) {
            rc = agg_none(e, SRC(), err);
            goto done;
        }
        if ((rc = kr_dec_check_size(tv[sp].q, err)) < 0) {
            goto done;
        }
        DISPATCH();
    }
    TARGET(OP_NEG):
        mpq_neg(tv[sp].q, vs[sp]->q);
        tv[sp].kind = V_NUM;
        vs[sp] = &tv[sp];
        DISPATCH();
    TARGET(OP_ABS):
        mpq_abs(tv[sp].q, vs[sp]->q);
        tv[sp].kind = V_NUM;
        vs[sp] = &tv[sp];
        DISPATCH();
    TARGET(OP_NOT):
        c = !vs[sp]->b;
        tv[sp].kind = V_BOOL;
        tv[sp].b = c;
        vs[sp] = &tv[sp];
        DISPATCH();
    TARGET(OP_ROUND): {
        const kr_expr *e = in->p;
        if ((rc = kr_dec_round(tv[sp].q, vs[sp]->q, e->args[1]->lit.q,
                               e->mode, err)) < 0) {
            goto done;
        }
        tv[sp].kind = V_NUM;
        vs[sp] = &tv[sp];
        DISPATCH();
    }
    TARGET(OP_FN): {
        const kr_expr *e = in->p;
        b = NULL;
        if (e->nargs == 2) {
            b = vs[sp--];
        }
        if ((rc = apply_fn(res, e, vs[sp], b, SRC(), &tv[sp], err)) < 0) {
            goto done;
        }
        vs[sp] = &tv[sp];
        DISPATCH();
    }
    TARGET(OP_ADD):
        b = vs[sp--];
        a = vs[sp];
        kr_dec_add(tv[sp].q, a->q, b->q);
        goto arith;
    TARGET(OP_SUB):
        b = vs[sp--];
        a = vs[sp];
        kr_dec_sub(tv[sp].q, a->q, b->q);
        goto arith;
    TARGET(OP_MUL):
        b = vs[sp--];
        a = vs[sp];
        kr_dec_mul(tv[sp].q, a->q, b->q);
        goto arith;
    TARGET(OP_DIV):
        b = vs[sp--];
        a = vs[sp];
        if (mpq_sgn(b->q) == 0) {
            rc = kr_expr__err(err, KR_EDIVZERO, SRC(),
                              ((const kr_expr *)in->p)->pos,
                              "division by zero");
            goto done;
        }
        kr_dec_div(tv[sp].q, a->q, b->q, NULL);
    arith:
        tv[sp].kind = V_NUM;
        vs[sp] = &tv[sp];
        if ((rc = kr_dec_check_size(tv[sp].q, err)) < 0) {
            goto done;
        }
        DISPATCH();
    TARGET(OP_EQ):
        b = vs[sp--];
        c = compare(vs[sp], b) == 0;
        goto boolean;
    TARGET(OP_NE):
        b = vs[sp--];
        c = compare(vs[sp], b) != 0;
        goto boolean;
    TARGET(OP_LT):
        b = vs[sp--];
        c = compare(vs[sp], b) < 0;
        goto boolean;
    TARGET(OP_LE):
        b = vs[sp--];
        c = compare(vs[sp], b) <= 0;
        goto boolean;
    TARGET(OP_GT):
        b = vs[sp--];
        c = compare(vs[sp], b) > 0;
        goto boolean;
    TARGET(OP_GE):
        b = vs[sp--];
        c = compare(vs[sp], b) >= 0;
    boolean:
        tv[sp].kind = V_BOOL;
        tv[sp].b = c;
        vs[sp] = &tv[sp];
        DISPATCH();
    TARGET(OP_MIN):
        b = vs[sp--];
        if (compare(b, vs[sp]) < 0) {
            goto pick;
        }
        DISPATCH();
    TARGET(OP_MAX):
        b = vs[sp--];
        if (compare(b, vs[sp]) > 0) {
            goto pick;
        }
        DISPATCH();
    pick:
        if (b == &tv[sp + 1]) {
            /* computed a level up: that level is reused next */
            copy_val(&tv[sp], b);
            vs[sp] = &tv[sp];
        } else {
            vs[sp] = b;
        }
        DISPATCH();
    TARGET(OP_IN):
        b = vs[sp--];
        if (compare(vs[sp], b) == 0) {
            tv[sp].kind = V_BOOL;
            tv[sp].b = 1;
            vs[sp] = &tv[sp];
            ip = prog->ins + in->arg;
        }
        DISPATCH();
    TARGET(OP_FALSE):
        tv[sp].kind = V_BOOL;
        tv[sp].b = 0;
        vs[sp] = &tv[sp];
        DISPATCH();
    TARGET(OP_NOCASE): {
        const kr_sym *s = in->p;
        rc = no_case_err(res, s, inst[s->entity], err);
        goto done;
    }
    TARGET(OP_ANDJ):
        if (!vs[sp]->b) {
            ip = prog->ins + in->arg;
        } else {
            sp--;
        }
        DISPATCH();
    TARGET(OP_ORJ):
        if (vs[sp]->b) {
            ip = prog->ins + in->arg;
        } else {
            sp--;
        }
        DISPATCH();
    TARGET(OP_JF):
        if (!vs[sp--]->b) {
            ip = prog->ins + in->arg;
        }
        DISPATCH();
    TARGET(OP_JMP):
        ip = prog->ins + in->arg;
        DISPATCH();
    default:
        break;
    }
    rc = kr__err(err, KR_ERROR, "internal: bad instruction");
done:
    res->tmp_top = top;
    while (nf > 0) {
        fr[--nf].slot->state = 0;  /* failed: not computed */
    }
    if (rc == KR_OK) {
        if (vs[0] == &tv[0]) {
            *out = tv[0];
            *view = out;
        } else {
            *view = vs[0];
        }
    }
    return rc;
#undef KTARGET
#undef TARGET
#undef DISPATCH
#undef DO_OP
#undef SRC
}

kr_slot *kr_eval__slot(const kr_result *res, const kr_sym *s, int inst)
{
    kr_slot *slot = slot_of(res, s, inst);
    return slot->gen == res->gen ? slot : NULL;
}

int kr_eval__expr(kr_result *res, const kr_expr *e, const kr_src *src,
                  kr_val *out, kr_error *err)
{
    scope sc = { -1, -1 };
    return ev(res, e, sc, src, out, err);
}

/* ------------------------------------------------------------------ */
/* Benefits                                                            */

/* The exact decimal text of q with `dec` decimals when q has at most
 * that many and is small (an amount of money: the batch's hot path);
 * 0 when the general printer must do it. */
static int small_fixed(char *buf, size_t n, mpq_srcptr q, unsigned dec)
{
    long num, den, scale = 1, v, ip, fp;
    unsigned i;
    char tmp[48];
    int len = 0, neg;

    if (dec > 9 || !mpz_fits_slong_p(mpq_numref(q)) ||
        !mpz_fits_slong_p(mpq_denref(q))) {
        return 0;
    }
    for (i = 0; i < dec; i++) {
        scale *= 10;
    }
    num = mpz_get_si(mpq_numref(q));
    den = mpz_get_si(mpq_denref(q));
    if (scale % den != 0 || num > LONG_MAX / (scale / den) ||
        num < -(LONG_MAX / (scale / den))) {
        return 0;
    }
    v = num * (scale / den);
    neg = v < 0;
    if (neg) {
        v = -v;
    }
    ip = v / scale;
    fp = v % scale;
    for (i = 0; i < dec; i++) {
        tmp[len++] = (char)('0' + fp % 10);
        fp /= 10;
    }
    if (dec) {
        tmp[len++] = '.';
    }
    do {
        tmp[len++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (neg) {
        tmp[len++] = '-';
    }
    if ((size_t)len + 1 > n) {
        return 0;
    }
    for (i = 0; i < (unsigned)len; i++) {
        buf[i] = tmp[len - 1 - (int)i];
    }
    buf[len] = '\0';
    return 1;
}

static char *money_text(kr_result *res, mpq_srcptr q, const kr_benefit *b)
{
    unsigned dec = b->round_step ? b->round_decimals : 2;
    char fast[48];
    char *s;
    if (small_fixed(fast, sizeof(fast), q, dec < 2 ? 2 : dec)) {
        return kr_pool__strdup(&res->pool, fast);
    }
    s = kr_dec_to_string(q, dec < 2 ? 2 : dec);
    char *r = s ? kr_pool__strdup(&res->pool, s) : NULL;
    free(s);
    return r;
}

enum { NOTE_CAPPED, NOTE_RAISED, NOTE_BELOW_MIN, NOTE_NOT_POSITIVE };

static void note_text(char *buf, size_t n, int kind, int lang,
                      const char *x, const char *y)
{
    /* the engine's own wording; the figures come from the rules */
    switch (kind * 2 + lang) {
    case NOTE_CAPPED * 2:
        snprintf(buf, n, "Obliczona kwota %s zł przekracza kwotę "
                 "maksymalną %s zł; przyznaje się kwotę maksymalną.", x, y);
        break;
    case NOTE_CAPPED * 2 + 1:
        snprintf(buf, n, "The computed amount PLN %s exceeds the maximum "
                 "PLN %s; the maximum is granted.", x, y);
        break;
    case NOTE_RAISED * 2:
        snprintf(buf, n, "Obliczona kwota %s zł jest niższa od kwoty "
                 "minimalnej %s zł; przyznaje się kwotę minimalną.", x, y);
        break;
    case NOTE_RAISED * 2 + 1:
        snprintf(buf, n, "The computed amount PLN %s is below the minimum "
                 "PLN %s; the minimum is granted.", x, y);
        break;
    case NOTE_BELOW_MIN * 2:
        snprintf(buf, n, "Obliczona kwota %s zł jest niższa od kwoty "
                 "minimalnej %s zł; świadczenie nie jest wypłacane.", x, y);
        break;
    case NOTE_BELOW_MIN * 2 + 1:
        snprintf(buf, n, "The computed amount PLN %s is below the minimum "
                 "PLN %s; nothing is paid.", x, y);
        break;
    case NOTE_NOT_POSITIVE * 2:
        snprintf(buf, n, "Obliczona kwota %s zł nie jest dodatnia; "
                 "świadczenie nie jest wypłacane.", x);
        break;
    default:
        snprintf(buf, n, "The computed amount PLN %s is not positive; "
                 "nothing is paid.", x);
        break;
    }
}

static int note(kr_result *res, kr_bres *br, int kind, mpq_srcptr a,
                mpq_srcptr b2, kr_error *err)
{
    char *x = kr_dec_to_fixed(a, 2, KR_ROUND_HALF_UP);
    char *y = kr_dec_to_fixed(b2, 2, KR_ROUND_HALF_UP);
    char *gx = NULL, *gy = NULL;
    char buf[400];
    int l, rc = KR_OK;
    for (l = 0; l < 2; l++) {
        free(gx);
        free(gy);
        gx = x ? kr_dec_group(x, l ? "en" : "pl") : NULL;
        gy = y ? kr_dec_group(y, l ? "en" : "pl") : NULL;
        if (!gx || !gy) {
            rc = oom(err);
            break;
        }
        note_text(buf, sizeof(buf), kind, l, gx, gy);
        if (!(br->note[l] = kr_pool__strdup(&res->pool, buf))) {
            rc = oom(err);
            break;
        }
    }
    free(x);
    free(y);
    free(gx);
    free(gy);
    return rc;
}

/* Round, cap and floor one amount as <amount> says.  *paid = 0 when the
 * result is below a "nothing" minimum or not positive. */
static int finish_amount(kr_result *res, const kr_benefit *b, mpq_ptr q,
                         int *paid, kr_bres *br, kr_error *err)
{
    scope sc = { -1, -1 };
    mpq_ptr lim;
    kr_val t;
    int rc = KR_OK;

    *paid = 1;
    if (!(lim = tmp_get(res))) {
        return oom(err);
    }
    kr_val__init(&t, lim);
    if (b->round_step &&
        (rc = kr_dec_round(q, q, b->round_step, b->rounding, err)) < 0) {
        goto done;
    }
    if (b->maximum) {
        if ((rc = root_eval(res, b->maximum, sc, &b->maximum_src, &t,
                            err)) < 0) {
            goto done;
        }
        if (kr_dec_cmp(q, lim) > 0) {
            if (br && (rc = note(res, br, NOTE_CAPPED, q, lim, err)) < 0) {
                goto done;
            }
            kr_dec_set(q, lim);
        }
    }
    if (b->minimum) {
        if ((rc = root_eval(res, b->minimum, sc, &b->minimum_src, &t,
                            err)) < 0) {
            goto done;
        }
        if (kr_dec_cmp(q, lim) < 0) {
            if (b->raise_to_minimum) {
                if (br && (rc = note(res, br, NOTE_RAISED, q, lim, err)) < 0) {
                    goto done;
                }
                kr_dec_set(q, lim);
            } else {
                if (br && (rc = note(res, br, NOTE_BELOW_MIN, q, lim, err)) < 0) {
                    goto done;
                }
                *paid = 0;
            }
        }
    }
    if (*paid && mpq_sgn(q) <= 0) {
        kr_dec_set_si(lim, 0);
        if (br && (rc = note(res, br, NOTE_NOT_POSITIVE, q, lim, err)) < 0) {
            goto done;
        }
        *paid = 0;
    }
done:
    tmp_put(res, lim);
    return rc;
}

static int eval_benefit(kr_result *res, int bi, kr_bres *br, kr_error *err)
{
    const kr_benefit *b = &res->rules->benefits[bi];
    scope sc = { -1, -1 };
    kr_frame f;
    mpq_ptr aq, tq;
    kr_val a, t;
    int j, rc = KR_OK, paid;

    if (!(aq = tmp_get(res))) {
        return oom(err);
    }
    if (!(tq = tmp_get(res))) {
        tmp_put(res, aq);
        return oom(err);
    }
    kr_val__init(&a, aq);
    kr_val__init(&t, tq);
    br->granted = 1;
    {
        /* the per-condition arrays in one allocation: pointers first,
         * then ints, so that each is aligned */
        size_t n = (size_t)b->nconds + 1;
        char *m = kr_pool__alloc(&res->pool, n * (3 * sizeof(void *) +
                                                  2 * sizeof(int)));
        if (!m) {
            rc = oom(err);
            goto done;
        }
        br->cdeps = (kr_dep **)(void *)m;
        br->reason[0] = (const char **)(void *)(m + n * sizeof(void *));
        br->reason[1] = (const char **)(void *)(m + 2 * n * sizeof(void *));
        br->met = (int *)(void *)(m + 3 * n * sizeof(void *));
        br->ncdeps = br->met + n;
        br->note[0] = br->note[1] = "";
    }
    for (j = 0; j < b->nconds; j++) {
        push(res, &f);
        rc = root_eval(res, b->conds[j].formula, sc, &b->conds[j].src, &t,
                       err);
        if (pop(res, &f, &br->cdeps[j], &br->ncdeps[j], err) < 0 &&
            rc == KR_OK) {
            rc = KR_ENOMEM;
        }
        if (rc < 0) {
            goto done;
        }
        br->met[j] = t.b;
        br->granted = br->granted && t.b;
    }
    if (!b->has_amount) {
        goto range;
    }
    kr_dec_set_si(aq, 0);
    if (br->granted) {
        push(res, &f);
        if (b->amount) {
            rc = root_eval(res, b->amount, sc, &b->amount_src, &a, err);
        } else {
            for (j = 0; j < b->ncomps && rc == KR_OK; j++) {
                rc = root_eval(res, b->comps[j].formula, sc,
                               &b->comps[j].src, &t, err);
                kr_dec_add(aq, aq, tq);
            }
        }
        if (rc == KR_OK) {
            rc = finish_amount(res, b, aq, &paid, br, err);
        }
        if (pop(res, &f, &br->deps, &br->ndeps, err) < 0 && rc == KR_OK) {
            rc = KR_ENOMEM;
        }
        if (rc < 0) {
            goto done;
        }
        if (!paid) {
            br->granted = 0;
            kr_dec_set_si(aq, 0);
        }
    }
    if (!(br->amount = money_text(res, aq, b))) {
        rc = oom(err);
        goto done;
    }
range:
    if (b->range_lo && br->granted) {
        const kr_expr *ex[2] = { b->range_lo, b->range_hi };
        const kr_src *sx[2] = { &b->range_lo_src, &b->range_hi_src };
        const char **outs[2] = { &br->range_lo, &br->range_hi };
        for (j = 0; j < 2; j++) {
            push(res, &f);
            rc = root_eval(res, ex[j], sc, sx[j], &t, err);
            if (rc == KR_OK) {
                rc = finish_amount(res, b, tq, &paid, NULL, err);
            }
            if (pop(res, &f, NULL, NULL, err) < 0 && rc == KR_OK) {
                rc = KR_ENOMEM;
            }
            if (rc < 0) {
                goto done;
            }
            if (!paid) {
                kr_dec_set_si(tq, 0);
            }
            if (!(*outs[j] = money_text(res, tq, b))) {
                rc = oom(err);
                goto done;
            }
        }
    }
done:
    tmp_put(res, tq);
    tmp_put(res, aq);
    return rc;
}

/* Why a benefit cannot be decided, for the clerk and the citizen: the
 * input or parameter by its label, in Polish and English; NULL when the
 * failure is of another kind (the technical message says it all). */
static const char *fail_text(kr_result *res, int lang)
{
    const kr_sym *s = res->fail_sym;
    const char *label;
    char who[96] = "", when[32], buf[600];

    if (res->fail_kind == FAIL_NONE || !s) {
        return NULL;
    }
    label = s->label[lang] ? s->label[lang]
            : s->label[KR_LANG_PL] ? s->label[KR_LANG_PL] : s->id;
    if (res->fail_kind == FAIL_INPUT) {
        if (s->entity == KR_ENT_PERSON) {
            snprintf(who, sizeof(who), lang == KR_LANG_PL ? " osoby %s"
                     : " of person %s", res->app->persons[res->fail_inst].id);
        } else if (s->entity == KR_ENT_INCOME) {
            const kr_income *in = &res->app->incomes[res->fail_inst];
            snprintf(who, sizeof(who), lang == KR_LANG_PL
                     ? " (osoba %s, dochód %d)" : " (person %s, income %d)",
                     res->app->persons[in->person].id,
                     res->fail_inst -
                     res->app->persons[in->person].first_income + 1);
        }
        snprintf(buf, sizeof(buf), lang == KR_LANG_PL
                 ? "Wniosek nie zawiera danej „%s” (%s)%s, potrzebnej do "
                   "rozstrzygnięcia; należy ją uzupełnić."
                 : "The application does not give “%s” (%s)%s, which the "
                   "decision needs; it must be completed.",
                 label, s->id, who);
    } else {
        if (lang == KR_LANG_PL) {
            kr_date_format_pl(when, res->fail_date);
            snprintf(buf, sizeof(buf), "Przepisy wczytane do programu nie "
                     "podają wartości „%s” (%s) obowiązującej w dniu %s r.; "
                     "należy uzupełnić plik przepisów albo sprawdzić datę.",
                     label, s->id, when);
        } else {
            kr_date_format(when, res->fail_date);
            snprintf(buf, sizeof(buf), "The loaded rules give no value of "
                     "“%s” (%s) in force on %s; the rule file must be "
                     "completed or the date checked.", label, s->id, when);
        }
    }
    return kr_pool__strdup(&res->pool, buf);
}

static int add_override(kr_result *res, const char *spec, kr_error *err)
{
    const char *eq = strchr(spec, '=');
    const char *dot;
    char name[128];
    const kr_sym *s;
    int inst = -1, i, rc;
    kr_error e = KR_ERROR_INIT;
    kr_val *v;

    if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(name)) {
        return kr__err(err, KR_EINVALID, "--set \"%.80s\": write NAME=VALUE",
                       spec);
    }
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = '\0';
    if ((dot = strchr(name, '.'))) {
        char *nm = (char *)dot;
        *nm = '\0';
        for (i = 0; i < res->app->npersons; i++) {
            if (strcmp(res->app->persons[i].id, name) == 0) {
                break;
            }
        }
        if (i == res->app->npersons) {
            return kr__err(err, KR_ENOTFOUND, "--set %s: no person with id "
                           "'%s' in the application", spec, name);
        }
        inst = i;
        memmove(name, nm + 1, strlen(nm + 1) + 1);
    }
    s = kr_rules__find(res->rules, name);
    if (!s || (s->kind != SYM_INPUT && s->kind != SYM_PARAM)) {
        return kr__err(err, KR_ENOTFOUND, "--set %.80s: '%s' is not an input "
                       "or a parameter of the loaded rules", spec, name);
    }
    if (s->kind == SYM_PARAM && inst >= 0) {
        return kr__err(err, KR_EINVALID, "--set %.80s: a parameter is not "
                       "per person", spec);
    }
    if (s->kind == SYM_INPUT) {
        if (s->entity == KR_ENT_INCOME) {
            return kr__err(err, KR_EINVALID, "--set %.80s: income items "
                           "cannot be changed with --set; edit the "
                           "application", spec);
        }
        if (s->entity == KR_ENT_PERSON && inst < 0) {
            return kr__err(err, KR_EINVALID, "--set %.80s: '%s' is given "
                           "per person; write PERSON_ID.%s=VALUE", spec,
                           name, name);
        }
        if (s->entity == KR_ENT_HOUSEHOLD) {
            inst = 0;
        }
    }
    i = res->nov++;
    res->ov_sym[i] = s;
    res->ov_inst[i] = inst;
    v = &res->ov_val[i];
    if (!(v->q = kr_pool__mpq(&res->pool))) {
        return oom(err);
    }
    if ((rc = kr_value__parse(v, &res->pool, s->type, s, eq + 1, &e)) < 0) {
        return kr__err(err, KR_EINVALID, "--set %.80s: %s", spec, e.msg);
    }
    return KR_OK;
}

void kr_result_free(kr_result *res)
{
    int i, e;
    if (!res) {
        return;
    }
    for (i = 0; i < res->tmp_n; i++) {
        mpq_clear(res->tmp[i]);
        free(res->tmp[i]);
    }
    free(res->tmp);
    free(res->pview);
    for (e = 0; e < KR_NENT; e++) {
        size_t k;
        for (k = 0; k < res->slotcap[e]; k++) {
            if (res->slots[e][k].v.q) {
                mpq_clear(res->slots[e][k].v.q);
                free(res->slots[e][k].v.q);
            }
        }
        free(res->slots[e]);
    }
    kr_pool__free(&res->pool);
    free(res);
}

int kr_eval(kr_result **out, const kr_rules *rules, const kr_app *app,
            const kr_eval_opts *opts, kr_error *err)
{
    *out = NULL;
    return kr_eval_reuse(out, rules, app, opts, err);
}

int kr_eval_reuse(kr_result **out, const kr_rules *rules, const kr_app *app,
                  const kr_eval_opts *opts, kr_error *err)
{
    kr_eval_opts none = KR_EVAL_OPTS_INIT;
    kr_error be = KR_ERROR_INIT;
    kr_result *res = *out;
    int e, i, j, rc = KR_OK;

    *out = NULL;
    if (res && res->rules != rules) {
        kr_result_free(res);
        res = NULL;
    }
    if (!opts) {
        opts = &none;
    }
    if (!rules->compiled) {
        kr_result_free(res);
        return kr__err(err, KR_EINVALID, "rules are not compiled");
    }
    for (e = 0; e < KR_NENT; e++) {
        if (app->ninputs[e] != rules->ninputs[e]) {
            kr_result_free(res);
            return kr__err(err, KR_EINVALID, "the application was read "
                           "with another rule set");
        }
    }
    if (res) {
        /* keep the pool's memory and rationals and the scratch stack;
         * everything else starts afresh */
        kr_pool saved_pool = res->pool;
        mpq_ptr *tmp = res->tmp;
        int tmp_n = res->tmp_n, tmp_cap = res->tmp_cap;
        kr_slot *slots[KR_NENT];
        size_t slotcap[KR_NENT];
        unsigned gen = res->gen;
        const kr_val **pview = res->pview;
        kr_date pdate = res->pdate;
        char datestr[sizeof(res->datestr)];
        int dy = res->date_y, dm = res->date_m, dd = res->date_d;
        memcpy(datestr, res->datestr, sizeof(datestr));
        memcpy(slots, res->slots, sizeof(slots));
        memcpy(slotcap, res->slotcap, sizeof(slotcap));
        kr_pool__reset(&saved_pool);
        memset(res, 0, sizeof(*res));
        res->pool = saved_pool;
        res->tmp = tmp;
        res->tmp_n = tmp_n;
        res->tmp_cap = tmp_cap;
        memcpy(res->slots, slots, sizeof(slots));
        memcpy(res->slotcap, slotcap, sizeof(slotcap));
        res->gen = gen;
        res->pview = pview;
        res->pdate = pdate;
        memcpy(res->datestr, datestr, sizeof(datestr));
        res->date_y = dy;
        res->date_m = dm;
        res->date_d = dd;
    } else if (!(res = calloc(1, sizeof(*res)))) {
        return oom(err);
    } else {
        kr_pool__init(&res->pool);
    }
    res->rules = rules;
    res->app = app;
    res->trace = (opts->flags & KR_EVAL_TRACE) != 0;
    res->walk = (opts->flags & KR_EVAL_WALK) != 0;
    res->date = app->date;
    if (opts->date && kr_date_parse(&res->date, opts->date,
                                    strlen(opts->date)) < 0) {
        rc = kr__err(err, KR_EINVALID, "evaluation date '%.40s' is not a "
                     "date YYYY-MM-DD", opts->date);
        goto fail;
    }
    if (!res->pview || res->pdate != res->date) {
        kr_date_format(res->datestr, res->date);
        kr_date_to_ymd(res->date, &res->date_y, &res->date_m,
                       &res->date_d);
    }
    if (!res->pview) {
        res->pview = calloc((size_t)rules->nparams + 1, sizeof(*res->pview));
        if (!res->pview) {
            rc = oom(err);
            goto fail;
        }
    } else if (res->pdate != res->date) {
        memset(res->pview, 0, sizeof(*res->pview) * (size_t)rules->nparams);
    }
    res->pdate = res->date;
    res->ninst[KR_ENT_HOUSEHOLD] = 1;
    res->ninst[KR_ENT_PERSON] = app->npersons;
    res->ninst[KR_ENT_INCOME] = app->nincomes;
    if (++res->gen == 0) {
        /* after 2^32 reuses: start the stamps again from clean slots */
        for (e = 0; e < KR_NENT; e++) {
            for (i = 0; i < (int)res->slotcap[e]; i++) {
                res->slots[e][i].gen = 0;
            }
        }
        res->gen = 1;
    }
    for (e = 0; e < KR_NENT; e++) {
        size_t n = (size_t)res->ninst[e] * (size_t)rules->nvalues[e];
        if (n > res->slotcap[e]) {
            size_t cap = n > 2 * res->slotcap[e] ? n : 2 * res->slotcap[e];
            kr_slot *ns = realloc(res->slots[e], sizeof(kr_slot) * cap);
            if (!ns) {
                rc = oom(err);
                goto fail;
            }
            memset(ns + res->slotcap[e], 0,
                   sizeof(kr_slot) * (cap - res->slotcap[e]));
            res->slots[e] = ns;
            res->slotcap[e] = cap;
        }
    }
    res->ov_sym = kr_pool__alloc(&res->pool, sizeof(kr_sym *) *
                                 (opts->nset + 1));
    res->ov_inst = kr_pool__alloc(&res->pool, sizeof(int) * (opts->nset + 1));
    res->ov_val = kr_pool__alloc(&res->pool, sizeof(kr_val) *
                                 (opts->nset + 1));
    res->bidx = kr_pool__alloc(&res->pool, sizeof(int) *
                               (size_t)(rules->nbenefits + 1));
    if (!res->ov_sym || !res->ov_inst || !res->ov_val || !res->bidx) {
        rc = oom(err);
        goto fail;
    }
    for (i = 0; i < (int)opts->nset; i++) {
        if ((rc = add_override(res, opts->set[i], err)) < 0) {
            goto fail;
        }
    }
    /* which benefits: asked by the caller, else by the application, else
     * all of them, in rule order */
    for (i = 0; i < rules->nbenefits; i++) {
        int want = 0;
        const char *id = rules->benefits[i].id;
        if (opts->nbenefits) {
            for (j = 0; j < (int)opts->nbenefits; j++) {
                want |= strcmp(opts->benefits[j], id) == 0;
            }
        } else if (app->nrequested) {
            for (j = 0; j < app->nrequested; j++) {
                /* the application holds the rules' own id (household.c) */
                want |= app->requested[j] == id ||
                        strcmp(app->requested[j], id) == 0;
            }
        } else {
            want = 1;
        }
        if (want) {
            res->bidx[res->nb++] = i;
        }
    }
    for (j = 0; j < (int)opts->nbenefits; j++) {
        for (i = 0; i < rules->nbenefits; i++) {
            if (strcmp(opts->benefits[j], rules->benefits[i].id) == 0) {
                break;
            }
        }
        if (i == rules->nbenefits) {
            rc = kr__err(err, KR_ENOTFOUND, "no benefit '%.80s' in the "
                         "loaded rules", opts->benefits[j]);
            goto fail;
        }
    }
    if (!(res->bres = kr_pool__alloc(&res->pool, sizeof(kr_bres) *
                                     (size_t)(res->nb + 1)))) {
        rc = oom(err);
        goto fail;
    }
    for (i = 0; i < res->nb; i++) {
        kr_bres *br = &res->bres[i];
        if (be.code) {
            kr_error_clear(&be); /* clearing 800 bytes only when used */
        }
        res->fail_kind = FAIL_NONE;
        rc = eval_benefit(res, res->bidx[i], br, &be);
        if (rc == KR_EEVAL || rc == KR_EDIVZERO || rc == KR_ELIMIT) {
            /* this benefit cannot be decided on this application (a
             * missing input, no parameter in force); the others can */
            char msg[KR_ERROR_MSG_SIZE + 300];
            if (be.file[0] && be.line) {
                snprintf(msg, sizeof(msg), "%s:%lu: %s", be.file, be.line,
                         be.msg);
            } else if (be.file[0]) {
                snprintf(msg, sizeof(msg), "%s: %s", be.file, be.msg);
            } else {
                snprintf(msg, sizeof(msg), "%s", be.msg);
            }
            memset(br, 0, sizeof(*br));
            br->note[0] = br->note[1] = "";
            if (!(br->error = kr_pool__strdup(&res->pool, msg))) {
                rc = oom(err);
                goto fail;
            }
            br->error_text[KR_LANG_PL] = fail_text(res, KR_LANG_PL);
            br->error_text[KR_LANG_EN] = fail_text(res, KR_LANG_EN);
            res->nerrors++;
            if (!res->first_error.code) {
                res->first_error = be;
            }
            rc = KR_OK;
            continue;
        }
        if (rc < 0) {
            if (err && !err->code) {
                *err = be;
            }
            goto fail;
        }
    }
    *out = res;
    return KR_OK;
fail:
    kr_result_free(res);
    return rc;
}
