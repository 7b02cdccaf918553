/*
 * result.c - what a result tells: verdicts, amounts, reasons with the
 * figures filled in, named values, and the trace as a tree.
 *
 * Reasons are interpolated lazily (a batch that prints only amounts never
 * pays for them); the cache lives in the result, which belongs to one
 * thread, so the const accessors may fill it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A growable string for explain output. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) KR_PRINTF(2, 3);

static void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (b->failed) {
        return;
    }
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        {
            size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
            char *ns = realloc(b->s, cap);
            if (!ns) {
                b->failed = 1;
                return;
            }
            b->s = ns;
            b->cap = cap;
        }
    }
}

static int lang_of(const char *lang)
{
    return lang && strcmp(lang, "en") == 0 ? KR_LANG_EN : KR_LANG_PL;
}

static const char *txt(const char *const *slots, int l, const char *dflt)
{
    if (slots[l]) {
        return slots[l];
    }
    return slots[KR_LANG_PL] ? slots[KR_LANG_PL] : dflt;
}

/* ------------------------------------------------------------------ */
/* Human formatting                                                    */

char *kr_eval__human(const kr_val *v, int stype, int lang)
{
    char buf[64];
    char *fixed, *g, *out;
    int y, m, d;

    switch (v->kind) {
    case V_BOOL:
        return strdup(lang == KR_LANG_EN ? (v->b ? "yes" : "no")
                                         : (v->b ? "tak" : "nie"));
    case V_DATE:
        kr_date_to_ymd(v->d, &y, &m, &d);
        if (lang == KR_LANG_EN) {
            snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
        } else {
            snprintf(buf, sizeof(buf), "%02d.%02d.%04d r.", d, m, y);
        }
        return strdup(buf);
    case V_STR:
        return strdup(v->s ? v->s : "");
    case V_NUM:
        break;
    default:
        return strdup("?");
    }
    if (stype == ST_MONEY) {
        /* shown to the grosz; the exact value stays in machine output */
        fixed = kr_dec_to_fixed(v->q, 2, KR_ROUND_HALF_UP);
    } else if (kr_dec_is_terminating(v->q)) {
        fixed = kr_dec_to_string(v->q, 0);
        if (fixed && strlen(fixed) > 24) {
            free(fixed);
            fixed = kr_dec_to_fixed(v->q, 6, KR_ROUND_HALF_UP);
        }
    } else {
        fixed = kr_dec_to_fixed(v->q, 4, KR_ROUND_HALF_UP);
    }
    if (!fixed) {
        return NULL;
    }
    if (stype == ST_MONEY) {
        g = kr_dec_group(fixed, lang == KR_LANG_EN ? "en" : "pl");
        free(fixed);
    } else {
        /* plain numbers (a year, a count, a share) are not grouped:
         * "2024", not "2 024"; Polish still takes a decimal comma */
        char *dot = strchr(fixed, '.');
        if (dot && lang != KR_LANG_EN) {
            *dot = ',';
        }
        g = fixed;
    }
    if (!g) {
        return NULL;
    }
    if (stype != ST_MONEY && kr_dec_is_terminating(v->q)) {
        return g;
    }
    out = malloc(strlen(g) + 8);
    if (out) {
        if (stype == ST_MONEY) {
            sprintf(out, lang == KR_LANG_EN ? "PLN %s" : "%s zł", g);
        } else {
            sprintf(out, "≈ %s", g);
        }
    }
    free(g);
    return out;
}

int kr_format_money(char **out, const char *decimal, const char *lang,
                    kr_error *err)
{
    mpq_t q;
    kr_val v;
    *out = NULL;
    mpq_init(q);
    kr_val__init(&v, q);
    if (kr_dec_parse(q, decimal, strlen(decimal), NULL) < 0) {
        /* fractions from machine output: n/d */
        const char *sl = strchr(decimal, '/');
        mpq_t d;
        int ok = 0;
        if (sl) {
            mpq_init(d);
            ok = kr_dec_parse(q, decimal, (size_t)(sl - decimal), NULL) == 0
                 && kr_dec_parse(d, sl + 1, strlen(sl + 1), NULL) == 0 &&
                 mpq_sgn(d) != 0;
            if (ok) {
                mpq_div(q, q, d);
            }
            mpq_clear(d);
        }
        if (!ok) {
            mpq_clear(q);
            return kr__err(err, KR_EPARSE, "'%.60s' is not an amount",
                           decimal);
        }
    }
    v.kind = V_NUM;
    *out = kr_eval__human(&v, ST_MONEY, lang_of(lang));
    mpq_clear(q);
    return *out ? KR_OK : kr__err(err, KR_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */

#define BEN(res, i) (&(res)->rules->benefits[(res)->bidx[i]])

const char *kr_result_date(const kr_result *res)
{
    return res->datestr;
}

size_t kr_result_benefit_count(const kr_result *res)
{
    return (size_t)res->nb;
}

const char *kr_result_benefit_id(const kr_result *res, size_t i)
{
    return i < (size_t)res->nb ? BEN(res, i)->id : NULL;
}

const char *kr_result_benefit_name(const kr_result *res, size_t i,
                                   const char *lang)
{
    if (i >= (size_t)res->nb) {
        return NULL;
    }
    return txt(BEN(res, i)->name, lang_of(lang), BEN(res, i)->id);
}

const char *kr_result_benefit_ref(const kr_result *res, size_t i)
{
    if (i >= (size_t)res->nb) {
        return NULL;
    }
    return BEN(res, i)->ref ? BEN(res, i)->ref : "";
}

int kr_result_benefit_granted(const kr_result *res, size_t i)
{
    return i < (size_t)res->nb && res->bres[i].granted;
}

const char *kr_result_benefit_amount(const kr_result *res, size_t i)
{
    return i < (size_t)res->nb ? res->bres[i].amount : NULL;
}

const char *kr_result_benefit_range_min(const kr_result *res, size_t i)
{
    if (i >= (size_t)res->nb || !BEN(res, i)->range_lo) {
        return NULL;
    }
    return res->bres[i].range_lo;
}

const char *kr_result_benefit_range_max(const kr_result *res, size_t i)
{
    if (i >= (size_t)res->nb || !BEN(res, i)->range_lo) {
        return NULL;
    }
    return res->bres[i].range_hi;
}

const char *kr_result_benefit_note(const kr_result *res, size_t i,
                                   const char *lang)
{
    if (i >= (size_t)res->nb) {
        return NULL;
    }
    return res->bres[i].note[lang_of(lang)];
}

const char *kr_result_benefit_error(const kr_result *res, size_t i)
{
    return i < (size_t)res->nb ? res->bres[i].error : NULL;
}

const char *kr_result_benefit_error_text(const kr_result *res, size_t i,
                                         const char *lang)
{
    const char *t;
    if (i >= (size_t)res->nb || !res->bres[i].error) {
        return NULL;
    }
    t = res->bres[i].error_text[lang_of(lang)];
    return t ? t : res->bres[i].error;
}

size_t kr_result_error_count(const kr_result *res, kr_error *first)
{
    if (first && res->nerrors) {
        *first = res->first_error;
    }
    return (size_t)res->nerrors;
}

size_t kr_result_condition_count(const kr_result *res, size_t i)
{
    if (i >= (size_t)res->nb || res->bres[i].error) {
        return 0;
    }
    return (size_t)BEN(res, i)->nconds;
}

const char *kr_result_condition_id(const kr_result *res, size_t i, size_t j)
{
    if (j >= kr_result_condition_count(res, i)) {
        return NULL;
    }
    return BEN(res, i)->conds[j].id;
}

const char *kr_result_condition_label(const kr_result *res, size_t i,
                                      size_t j, const char *lang)
{
    if (j >= kr_result_condition_count(res, i)) {
        return NULL;
    }
    return txt(BEN(res, i)->conds[j].label, lang_of(lang),
               BEN(res, i)->conds[j].id);
}

const char *kr_result_condition_ref(const kr_result *res, size_t i,
                                    size_t j)
{
    if (j >= kr_result_condition_count(res, i)) {
        return NULL;
    }
    return BEN(res, i)->conds[j].ref ? BEN(res, i)->conds[j].ref : "";
}

int kr_result_condition_met(const kr_result *res, size_t i, size_t j)
{
    if (j >= kr_result_condition_count(res, i)) {
        return 0;
    }
    return res->bres[i].met[j];
}

/* Fill a template's {holes}.  Evaluation errors here cannot happen for a
 * name the condition itself used; for others the hole shows "?" rather
 * than losing the verdict. */
static char *interpolate(kr_result *res, const kr_template *t, int lang)
{
    sbuf b = { NULL, 0, 0, 0 };
    unsigned pos = 0;
    int h;
    mpq_t q;
    kr_val v;
    kr_frame *saved = res->frame;

    if (!t->text) {
        return NULL;
    }
    res->frame = NULL; /* reasons are not part of the trace */
    mpq_init(q);
    kr_val__init(&v, q);
    for (h = 0; h < t->nholes; h++) {
        kr_error e = KR_ERROR_INIT;
        char *s;
        static const kr_src none = { NULL, 0, NULL };
        sb_add(&b, "%.*s", (int)(t->hole_start[h] - pos), t->text + pos);
        pos = t->hole_end[h];
        if (kr_eval__expr(res, t->holes[h], &none, &v, &e) < 0) {
            sb_add(&b, "?");
            continue;
        }
        s = kr_eval__human(&v, t->holes[h]->stype, lang);
        if (s && *s && s[strlen(s) - 1] == '.' && t->text[pos] == '.') {
            /* "... 10.03.2025 r." ending a sentence: one full stop */
            s[strlen(s) - 1] = '\0';
        }
        sb_add(&b, "%s", s ? s : "?");
        free(s);
    }
    sb_add(&b, "%s", t->text + pos);
    mpq_clear(q);
    res->frame = saved;
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    {
        char *r = kr_pool__strdup(&res->pool, b.s ? b.s : "");
        free(b.s);
        return r;
    }
}

const char *kr_result_condition_reason(const kr_result *cres, size_t i,
                                       size_t j, const char *lang)
{
    kr_result *res = (kr_result *)cres; /* fills its own cache */
    int l = lang_of(lang);
    const kr_cond *c;
    const kr_template *t;
    const char **slot;

    if (j >= kr_result_condition_count(res, i)) {
        return NULL;
    }
    slot = &res->bres[i].reason[l][j];
    if (*slot) {
        return *slot;
    }
    c = &BEN(res, i)->conds[j];
    t = res->bres[i].met[j] ? &c->met[l] : &c->unmet[l];
    if (!t->text) {
        t = res->bres[i].met[j] ? &c->met[KR_LANG_PL] : &c->unmet[KR_LANG_PL];
    }
    *slot = t->text ? interpolate(res, t, l) : NULL;
    if (!*slot) {
        *slot = "";
    }
    return *slot;
}

/* ------------------------------------------------------------------ */
/* Named values                                                        */

static char *machine_text(kr_result *res, const kr_val *v, int stype)
{
    char buf[16], *s, *r;
    switch (v->kind) {
    case V_BOOL:
        return v->b ? "true" : "false";
    case V_DATE:
        kr_date_format(buf, v->d);
        return kr_pool__strdup(&res->pool, buf);
    case V_STR:
        return (char *)v->s;
    case V_NUM:
        s = kr_dec_to_string(v->q, stype == ST_MONEY ? 2 : 0);
        r = s ? kr_pool__strdup(&res->pool, s) : NULL;
        free(s);
        return r;
    default:
        return "";
    }
}

int kr_result_value(const char **out, kr_result *res, const char *name,
                    kr_error *err)
{
    const char *dot = strchr(name, '.');
    const kr_sym *s;
    int inst = 0, i, rc;
    mpq_ptr q;
    kr_val v;
    kr_frame *saved = res->frame;

    *out = NULL;
    if (dot) {
        for (i = 0; i < res->app->npersons; i++) {
            const char *id = res->app->persons[i].id;
            if (strlen(id) == (size_t)(dot - name) &&
                strncmp(id, name, (size_t)(dot - name)) == 0) {
                break;
            }
        }
        if (i == res->app->npersons) {
            return kr__err(err, KR_ENOTFOUND, "'%.80s': no person with that "
                           "id in the application", name);
        }
        inst = i;
        name = dot + 1;
    }
    s = kr_rules__find(res->rules, name);
    if (!s || s->kind == SYM_SCALE) {
        return kr__err(err, KR_ENOTFOUND, "'%.80s' is not an input, "
                       "parameter or value of the loaded rules", name);
    }
    if (s->entity == KR_ENT_INCOME) {
        return kr__err(err, KR_EINVALID, "'%s' is per income item; ask for "
                       "a person or household value", name);
    }
    if (s->entity == KR_ENT_PERSON && !dot) {
        return kr__err(err, KR_EINVALID, "'%s' is per person; ask for "
                       "PERSON_ID.%s", name, name);
    }
    if (s->entity == KR_ENT_HOUSEHOLD) {
        inst = 0;
    }
    if (!(q = kr_pool__mpq(&res->pool))) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    kr_val__init(&v, q);
    res->frame = NULL;
    rc = kr_eval__sym(res, s, inst, &v, err);
    res->frame = saved;
    if (rc < 0) {
        return rc;
    }
    if (!(*out = machine_text(res, &v, s->stype))) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    return KR_OK;
}

/* ------------------------------------------------------------------ */
/* Explain                                                             */

typedef struct {
    sbuf b;
    const kr_result *res;
    int lang;
    /* what has been shown in full already: (sym, inst) pairs */
    kr_dep *shown;
    int nshown, capshown;
} xp;

static int seen(xp *x, const kr_sym *s, int inst)
{
    int i;
    for (i = 0; i < x->nshown; i++) {
        if (x->shown[i].sym == s && x->shown[i].inst == inst) {
            return 1;
        }
    }
    if (x->nshown == x->capshown) {
        int cap = x->capshown ? x->capshown * 2 : 32;
        kr_dep *n = realloc(x->shown, sizeof(*n) * (size_t)cap);
        if (!n) {
            x->b.failed = 1;
            return 1;
        }
        x->shown = n;
        x->capshown = cap;
    }
    x->shown[x->nshown].sym = s;
    x->shown[x->nshown].inst = inst;
    x->nshown++;
    return 0;
}

static void indent(xp *x, int depth)
{
    sb_add(&x->b, "%*s", depth * 2, "");
}

static void explain_deps(xp *x, const kr_dep *deps, int n, int depth);

static void explain_dep(xp *x, const kr_dep *d, int depth)
{
    const kr_result *res = x->res;
    const kr_sym *s = d->sym;
    const kr_val *v = NULL;
    const kr_slot *slot = NULL;
    char *h, who[96] = "";
    const char *label = txt(s->label, x->lang, NULL);
    int repeated;

    if (s->entity == KR_ENT_PERSON && s->kind != SYM_PARAM) {
        snprintf(who, sizeof(who), "[%s]", res->app->persons[d->inst].id);
    } else if (s->entity == KR_ENT_INCOME) {
        const kr_income *in = &res->app->incomes[d->inst];
        snprintf(who, sizeof(who), "[%s, %s %d]",
                 res->app->persons[in->person].id,
                 x->lang == KR_LANG_EN ? "income" : "dochód",
                 d->inst - res->app->persons[in->person].first_income + 1);
    }
    switch (s->kind) {
    case SYM_INPUT: {
        const kr_app *a = res->app;
        size_t k = (size_t)d->inst * (size_t)a->ninputs[s->entity] +
                   (size_t)s->index;
        int i;
        const char *from = x->lang == KR_LANG_EN ? "application"
                                                 : "wniosek";
        for (i = 0; i < res->nov; i++) {
            if (res->ov_sym[i] == s && (res->ov_inst[i] == -1 ||
                                        res->ov_inst[i] == d->inst)) {
                v = &res->ov_val[i];
                from = "--set";
                break;
            }
        }
        if (!v) {
            if (a->set[s->entity][k]) {
                v = &a->vals[s->entity][k];
            } else {
                v = &s->defval;
                from = x->lang == KR_LANG_EN ? "default" : "domyślnie";
            }
        }
        h = kr_eval__human(v, s->stype, x->lang);
        indent(x, depth);
        sb_add(&x->b, "%s%s = %s (%s)", s->id, who, h ? h : "?", from);
        free(h);
        break;
    }
    case SYM_PARAM:
        indent(x, depth);
        if (d->inst < 0) {
            int i;
            for (i = 0; i < res->nov; i++) {
                if (res->ov_sym[i] == s) {
                    v = &res->ov_val[i];
                }
            }
            h = v ? kr_eval__human(v, s->stype, x->lang) : NULL;
            sb_add(&x->b, "%s = %s (--set)", s->id, h ? h : "?");
            free(h);
        } else {
            const kr_period *p = &s->periods[d->inst];
            char a[16], b[16];
            kr_val pv = p->v;
            h = kr_eval__human(&pv, s->stype, x->lang);
            if (x->lang == KR_LANG_EN) {
                kr_date_format(a, p->from);
            } else {
                kr_date_format_pl(a, p->from);
            }
            sb_add(&x->b, "%s = %s [", s->id, h ? h : "?");
            free(h);
            if (p->until == INT32_MAX) {
                sb_add(&x->b, "%s %s", x->lang == KR_LANG_EN ? "from" : "od",
                       a);
            } else {
                if (x->lang == KR_LANG_EN) {
                    kr_date_format(b, p->until);
                } else {
                    kr_date_format_pl(b, p->until);
                }
                sb_add(&x->b, "%s %s %s %s",
                       x->lang == KR_LANG_EN ? "from" : "od", a,
                       x->lang == KR_LANG_EN ? "to" : "do", b);
            }
            sb_add(&x->b, "; %s]", p->source);
            if (s->override_file) {
                sb_add(&x->b, " (%s %s)", x->lang == KR_LANG_EN
                       ? "local override in" : "zmiana lokalna:",
                       s->override_file);
            }
        }
        break;
    case SYM_SCALE: {
        const kr_scale_period *p = &s->speriods[d->inst];
        indent(x, depth);
        sb_add(&x->b, "%s [%s; %s]", s->id,
               x->lang == KR_LANG_EN ? "scale" : "tabela", p->source);
        break;
    }
    default:
        slot = kr_eval__slot(res, s, d->inst);
        h = slot && slot->state == 2
            ? kr_eval__human(&slot->v, s->stype, x->lang) : NULL;
        indent(x, depth);
        sb_add(&x->b, "%s%s = %s", s->id, who, h ? h : "?");
        free(h);
        break;
    }
    if (label) {
        sb_add(&x->b, " — %s", label);
    }
    if (s->ref) {
        sb_add(&x->b, " (%s)", s->ref);
    }
    repeated = slot && slot->ndeps && seen(x, s, d->inst);
    if (repeated) {
        sb_add(&x->b, " %s", x->lang == KR_LANG_EN ? "(see above)"
                                                   : "(jak wyżej)");
    }
    sb_add(&x->b, "\n");
    if (slot && !repeated && depth < 40) {
        explain_deps(x, slot->deps, slot->ndeps, depth + 1);
    }
}

static void explain_deps(xp *x, const kr_dep *deps, int n, int depth)
{
    int i;
    for (i = 0; i < n; i++) {
        explain_dep(x, &deps[i], depth);
    }
}

int kr_result_explain(char **out, const kr_result *res, size_t i,
                      const char *lang, kr_error *err)
{
    xp x;
    const kr_benefit *b;
    const kr_bres *br;
    int j;

    *out = NULL;
    if (i >= (size_t)res->nb) {
        return kr__err(err, KR_ENOTFOUND, "no benefit %zu in the result", i);
    }
    if (!res->trace) {
        return kr__err(err, KR_EINVALID, "the evaluation was run without "
                       "KR_EVAL_TRACE");
    }
    memset(&x, 0, sizeof(x));
    x.res = res;
    x.lang = lang_of(lang);
    b = BEN(res, i);
    br = &res->bres[i];
    if (br->error) {
        sb_add(&x.b, "%s: %s\n", x.lang == KR_LANG_EN
               ? "cannot be decided" : "nie można rozstrzygnąć", br->error);
        *out = x.b.s;
        return x.b.failed ? kr__err(err, KR_ENOMEM, "out of memory")
                          : KR_OK;
    }
    for (j = 0; j < b->nconds; j++) {
        const kr_cond *c = &b->conds[j];
        sb_add(&x.b, "%s %s: %s", x.lang == KR_LANG_EN ? "condition"
                                                        : "warunek", c->id,
               br->met[j] ? (x.lang == KR_LANG_EN ? "met" : "spełniony")
                          : (x.lang == KR_LANG_EN ? "not met"
                                                  : "niespełniony"));
        if (c->ref) {
            sb_add(&x.b, " (%s)", c->ref);
        }
        sb_add(&x.b, "\n  %s\n", c->src.text);
        explain_deps(&x, br->cdeps[j], br->ncdeps[j], 2);
    }
    if (b->has_amount) {
        char *h = NULL;
        if (br->amount) {
            kr_format_money(&h, br->amount, lang, NULL);
        }
        sb_add(&x.b, "%s = %s", x.lang == KR_LANG_EN ? "amount" : "kwota",
               h ? h : "?");
        free(h);
        if (b->amount_ref) {
            sb_add(&x.b, " (%s)", b->amount_ref);
        }
        sb_add(&x.b, "\n");
        if (br->ndeps) {
            if (b->amount) {
                sb_add(&x.b, "  %s\n", b->amount_src.text);
            }
            if (b->round_step) {
                char *st = kr_dec_to_string(b->round_step, 0);
                sb_add(&x.b, "  %s %s, %s\n", x.lang == KR_LANG_EN
                       ? "rounded to" : "zaokrąglenie do", st ? st : "?",
                       kr_dec_round_mode_name(b->rounding));
                free(st);
            }
            if (b->maximum) {
                sb_add(&x.b, "  %s: %s\n", x.lang == KR_LANG_EN ? "maximum"
                       : "kwota maksymalna", b->maximum_src.text);
            }
            if (b->minimum) {
                sb_add(&x.b, "  %s: %s\n", x.lang == KR_LANG_EN ? "minimum"
                       : "kwota minimalna", b->minimum_src.text);
            }
            explain_deps(&x, br->deps, br->ndeps, 2);
        } else if (!br->granted) {
            sb_add(&x.b, "  %s\n", x.lang == KR_LANG_EN
                   ? "(not computed: a condition is not met)"
                   : "(nie obliczono: warunek nie jest spełniony)");
        }
    }
    free(x.shown);
    if (x.b.failed) {
        free(x.b.s);
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    *out = x.b.s ? x.b.s : strdup("");
    return *out ? KR_OK : kr__err(err, KR_ENOMEM, "out of memory");
}
