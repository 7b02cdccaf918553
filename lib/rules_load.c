/*
 * rules_load.c - rule files (XML) into symbols and benefits.
 *
 * The loader is as strict as the schema and stricter: an unknown element
 * or attribute, a value that does not parse, a parameter value without a
 * source, unordered or overlapping periods, a second definition of a name
 * are all refused here, each with the file and line, because a misspelt
 * attribute silently ignored is how a rule ends up wrong in production.
 * Names are resolved and types checked afterwards (rules_check.c), when
 * every file is in.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xml.h"

#define NS "urn:kryterium:rules:1"

typedef struct {
    kr_rules *r;
    const char *file;       /* pooled copy */
    kr_error *err;
} ld;

static int oom(ld *l)
{
    return kr__err(l->err, KR_ENOMEM, "out of memory");
}

static int at(ld *l, const xmlNode *n, kr_code code, const char *fmt, ...)
    KR_PRINTF(4, 5);

static int at(ld *l, const xmlNode *n, kr_code code, const char *fmt, ...)
{
    char msg[KR_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return kr__err_at(l->err, code, l->file, n ? kr_xml__line(n) : 0, "%s",
                      msg);
}

/* Refuse attributes not in the list: a typo must not pass silently. */
static int check_attrs(ld *l, const xmlNode *n, const char *const *ok)
{
    const xmlAttr *a;
    for (a = n->properties; a; a = a->next) {
        const char *const *k;
        int found = 0;
        if (a->ns && a->ns->prefix &&
            strcmp((const char *)a->ns->prefix, "xml") == 0) {
            continue;
        }
        for (k = ok; *k; k++) {
            if (!a->ns && strcmp(*k, (const char *)a->name) == 0) {
                found = 1;
                break;
            }
        }
        if (!found) {
            return at(l, n, KR_EINVALID,
                      "<%s> has no attribute '%s'", (const char *)n->name,
                      (const char *)a->name);
        }
    }
    return 0;
}

static int bad_child(ld *l, const xmlNode *c, const xmlNode *parent)
{
    if (!c->ns || strcmp((const char *)c->ns->href, NS) != 0) {
        return at(l, c, KR_EINVALID,
                  "<%s> is not in the rules namespace " NS,
                  (const char *)c->name);
    }
    return at(l, c, KR_EINVALID, "<%s> is not allowed inside <%s>",
              (const char *)c->name, (const char *)parent->name);
}

static const char *pattr(ld *l, const xmlNode *n, const char *name)
{
    const char *v = kr_xml__attr(n, name);
    return v ? kr_pool__strdup(&l->r->pool, v) : NULL;
}

static int need(ld *l, const xmlNode *n, const char *name, const char **out)
{
    const char *v = kr_xml__attr(n, name);
    if (!v || !*v) {
        return at(l, n, KR_EINVALID, "<%s> needs a non-empty %s=\"...\"",
                  (const char *)n->name, name);
    }
    if (!(*out = kr_pool__strdup(&l->r->pool, v))) {
        return oom(l);
    }
    return 0;
}

static int ptext(ld *l, const xmlNode *n, const char **out)
{
    char *t = kr_xml__text(n);
    if (!t) {
        return oom(l);
    }
    *out = kr_pool__strdup(&l->r->pool, t);
    free(t);
    return *out ? 0 : oom(l);
}

/* NULL, empty or only white space: a source= that cites nothing */
static int blank(const char *s)
{
    if (!s) {
        return 1;
    }
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            return 0;
        }
    }
    return 1;
}

static int valid_id(const char *s)
{
    if (!s || !(*s >= 'a' && *s <= 'z')) {
        return 0;
    }
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_')) {
            return 0;
        }
    }
    return 1;
}

static const char *const reserved[] = {
    "if", "then", "else", "and", "or", "not", "in", "where", "true",
    "false", "person", "income", "household", "today", "application_date",
    "role", "date", "at", "min", "max", "abs", "round", "age",
    "add_months", "months_between", "year", "month", "day", "sum",
    "count", "any", "all", "applicant", "spouse", "child", "relative",
    "other", "id", NULL
};

static int get_id(ld *l, const xmlNode *n, const char **out)
{
    const char *const *k;
    if (need(l, n, "id", out) < 0) {
        return -1;
    }
    if (!valid_id(*out)) {
        return at(l, n, KR_EINVALID, "id \"%s\" must start with a-z and "
                  "use only a-z, 0-9 and _", *out);
    }
    for (k = reserved; *k; k++) {
        if (strcmp(*k, *out) == 0) {
            return at(l, n, KR_EINVALID, "id \"%s\" is a reserved word of "
                      "the formula language", *out);
        }
    }
    return 0;
}

static int lang_index(ld *l, const xmlNode *n, int *out)
{
    const char *lang = kr_xml__attr(n, "lang");
    if (!lang) {
        *out = KR_LANG_PL;
        return 0;
    }
    if (strcmp(lang, "pl") == 0) {
        *out = KR_LANG_PL;
    } else if (strcmp(lang, "en") == 0) {
        *out = KR_LANG_EN;
    } else {
        return at(l, n, KR_EINVALID, "lang=\"%s\": use \"pl\" or \"en\"",
                  lang);
    }
    return 0;
}

/* <label lang=..>, <name lang=..>, <title>, <help> */
static int ltext(ld *l, const xmlNode *n, const char **slots)
{
    static const char *const ok[] = { "lang", NULL };
    int li;
    if (check_attrs(l, n, ok) < 0 || lang_index(l, n, &li) < 0) {
        return -1;
    }
    if (slots[li]) {
        return at(l, n, KR_EINVALID, "second <%s> in the same language",
                  (const char *)n->name);
    }
    return ptext(l, n, &slots[li]);
}

static int parse_type(ld *l, const xmlNode *n, int *out, int allow_enum)
{
    static const char *const names[] = { "money", "decimal", "integer",
                                         "boolean", "date", "enum", "text" };
    const char *t = kr_xml__attr(n, "type");
    int i;
    if (!t) {
        return at(l, n, KR_EINVALID, "<%s> needs type=\"...\" (money, "
                  "decimal, integer, boolean, date%s, text)",
                  (const char *)n->name, allow_enum ? ", enum" : "");
    }
    for (i = 0; i < 7; i++) {
        if (strcmp(t, names[i]) == 0 && (allow_enum || i != KR_TY_ENUM)) {
            *out = i;
            return 0;
        }
    }
    return at(l, n, KR_EINVALID, "unknown type \"%s\" (money, decimal, "
              "integer, boolean, date%s, text)", t,
              allow_enum ? ", enum" : "");
}

static int parse_entity(ld *l, const xmlNode *n, int *out)
{
    const char *e = kr_xml__attr(n, "entity");
    if (!e || strcmp(e, "household") == 0) {
        *out = KR_ENT_HOUSEHOLD;
    } else if (strcmp(e, "person") == 0) {
        *out = KR_ENT_PERSON;
    } else if (strcmp(e, "income") == 0) {
        *out = KR_ENT_INCOME;
    } else {
        return at(l, n, KR_EINVALID, "entity=\"%s\": use household, person "
                  "or income", e);
    }
    return 0;
}

static int value_at(ld *l, const xmlNode *n, kr_val *v, int type,
                    const kr_sym *s, const char *text, const char *what)
{
    kr_error e = KR_ERROR_INIT;
    if (kr_value__parse(v, &l->r->pool, type, s, text, &e) < 0) {
        return at(l, n, e.code, "%s: %s", what, e.msg);
    }
    return 0;
}

static int parse_date_attr(ld *l, const xmlNode *n, const char *name,
                           kr_date *out, int required)
{
    const char *v = kr_xml__attr(n, name);
    if (!v) {
        if (required) {
            return at(l, n, KR_EINVALID, "<%s> needs %s=\"YYYY-MM-DD\"",
                      (const char *)n->name, name);
        }
        *out = INT32_MAX;
        return 0;
    }
    if (kr_date_parse(out, v, strlen(v)) < 0) {
        return at(l, n, KR_EPARSE, "%s=\"%s\" is not a date YYYY-MM-DD",
                  name, v);
    }
    return 0;
}

/* Periods must be ordered and not overlap; gaps are allowed (no value in
 * force is an error at evaluation, never a zero). */
static int check_period(ld *l, const xmlNode *n, kr_date from,
                        kr_date until, int has_prev, kr_date prev_until)
{
    char a[11], b[11];
    if (until < from) {
        kr_date_format(a, from);
        kr_date_format(b, until);
        return at(l, n, KR_EINVALID, "period ends (%s) before it starts "
                  "(%s)", b, a);
    }
    if (has_prev && from <= prev_until) {
        kr_date_format(a, from);
        if (prev_until == INT32_MAX) {
            return at(l, n, KR_EINVALID, "period from %s overlaps the "
                      "previous one, which has no end date (add until= "
                      "to it)", a);
        }
        kr_date_format(b, prev_until);
        return at(l, n, KR_EINVALID, "period from %s starts before the "
                  "previous one ends (%s): periods must be in date order "
                  "and must not overlap", a, b);
    }
    return 0;
}

/* from=, until=, source= of a parameter value or a scale period, in
 * order after the previous one (prev_until NULL for the first). */
static int read_period(ld *l, const xmlNode *c, kr_date *from,
                       kr_date *until, const char **source,
                       unsigned long *line, const kr_date *prev_until,
                       const char *what, const char *id)
{
    *line = kr_xml__line(c);
    if (parse_date_attr(l, c, "from", from, 1) < 0 ||
        parse_date_attr(l, c, "until", until, 0) < 0) {
        return -1;
    }
    if (blank(kr_xml__attr(c, "source"))) {
        return at(l, c, KR_EINVALID, "%s '%s' has no source=\"...\": every "
                  "figure must cite the act it comes from", what, id);
    }
    if (!(*source = pattr(l, c, "source"))) {
        return oom(l);
    }
    return check_period(l, c, *from, *until, prev_until != NULL,
                        prev_until ? *prev_until : 0);
}

static void *grow(ld *l, void *arr, int n, size_t sz)
{
    /* pooled arrays grow by copying; rule files are small */
    void *na = kr_pool__alloc(&l->r->pool, sz * (size_t)(n + 1));
    if (na && n) {
        memcpy(na, arr, sz * (size_t)n);
    }
    return na;
}

static kr_sym *new_sym(ld *l, const xmlNode *n, int kind)
{
    kr_sym *s = kr_pool__alloc(&l->r->pool, sizeof(*s));
    if (!s) {
        oom(l);
        return NULL;
    }
    s->kind = kind;
    s->file = l->file;
    s->line = kr_xml__line(n);
    return s;
}

static int read_values(ld *l, const xmlNode *n, kr_sym *s)
{
    static const char *const vok[] = { "from", "until", "source", NULL };
    xmlNode *c;
    for (c = kr_xml__first_el(n); c; c = kr_xml__next_el(c)) {
        kr_period *p;
        const char *text;
        if (kr_xml__is(c, NS, "label")) {
            if (ltext(l, c, s->label) < 0) {
                return -1;
            }
            continue;
        }
        if (!kr_xml__is(c, NS, "value")) {
            return bad_child(l, c, n);
        }
        if (check_attrs(l, c, vok) < 0) {
            return -1;
        }
        if (!(s->periods = grow(l, s->periods, s->nperiods,
                                sizeof(*s->periods)))) {
            return oom(l);
        }
        p = &s->periods[s->nperiods];
        if (read_period(l, c, &p->from, &p->until, &p->source, &p->line,
                        s->nperiods ? &s->periods[s->nperiods - 1].until
                                    : NULL, "a value of parameter",
                        s->id) < 0) {
            return -1;
        }
        if (ptext(l, c, &text) < 0 ||
            value_at(l, c, &p->v, s->type, s, text, s->id) < 0) {
            return -1;
        }
        s->nperiods++;
    }
    if (s->nperiods == 0) {
        return at(l, n, KR_EINVALID, "parameter '%s' has no <value>",
                  s->id);
    }
    return 0;
}

static int load_parameter(ld *l, const xmlNode *n)
{
    static const char *const ok[] = { "id", "type", "unit", "ref",
                                      "overridable", NULL };
    kr_sym *s = new_sym(l, n, SYM_PARAM);
    const char *ov;
    if (!s || check_attrs(l, n, ok) < 0 || get_id(l, n, &s->id) < 0 ||
        parse_type(l, n, &s->type, 0) < 0) {
        return -1;
    }
    s->unit = pattr(l, n, "unit");
    s->ref = pattr(l, n, "ref");
    ov = kr_xml__attr(n, "overridable");
    if (ov && strcmp(ov, "true") != 0 && strcmp(ov, "false") != 0) {
        return at(l, n, KR_EINVALID, "overridable=\"%s\": use true or false",
                  ov);
    }
    s->overridable = ov && strcmp(ov, "true") == 0;
    if (read_values(l, n, s) < 0) {
        return -1;
    }
    return kr_rules__add_sym(l->r, s, l->err);
}

static int load_override(ld *l, const xmlNode *n)
{
    static const char *const ok[] = { "parameter", "ref", NULL };
    const char *pid;
    kr_sym *s, tmp;
    if (check_attrs(l, n, ok) < 0 || need(l, n, "parameter", &pid) < 0) {
        return -1;
    }
    s = kr_rules__find(l->r, pid);
    if (!s || s->kind != SYM_PARAM) {
        return at(l, n, KR_EINVALID, "<override parameter=\"%s\">: no such "
                  "parameter in the files loaded before this one (load the "
                  "national pack first)", pid);
    }
    if (!s->overridable) {
        return at(l, n, KR_EINVALID, "parameter '%s' (%s:%lu) is not "
                  "marked overridable=\"true\"; a local file may not "
                  "change it", pid, s->file, s->line);
    }
    if (s->override_file) {
        return at(l, n, KR_EINVALID, "parameter '%s' is already overridden "
                  "in %s:%lu", pid, s->override_file, s->override_line);
    }
    /* read into a copy so that a refused override leaves the original */
    tmp = *s;
    tmp.periods = NULL;
    tmp.nperiods = 0;
    if (read_values(l, n, &tmp) < 0) {
        return -1;
    }
    s->periods = tmp.periods;
    s->nperiods = tmp.nperiods;
    s->override_file = l->file;
    s->override_line = kr_xml__line(n);
    if (kr_xml__attr(n, "ref")) {
        s->ref = pattr(l, n, "ref");
    }
    return 0;
}

static int load_input(ld *l, const xmlNode *n)
{
    static const char *const ok[] = { "id", "entity", "type", "default",
                                      "min", "max", "unit", "ref", NULL };
    static const char *const ook[] = { "value", NULL };
    kr_sym *s = new_sym(l, n, SYM_INPUT);
    xmlNode *c;
    const char *v;

    if (!s || check_attrs(l, n, ok) < 0 || get_id(l, n, &s->id) < 0 ||
        parse_type(l, n, &s->type, 1) < 0 ||
        parse_entity(l, n, &s->entity) < 0) {
        return -1;
    }
    s->unit = pattr(l, n, "unit");
    s->ref = pattr(l, n, "ref");
    for (c = kr_xml__first_el(n); c; c = kr_xml__next_el(c)) {
        if (kr_xml__is(c, NS, "label")) {
            if (ltext(l, c, s->label) < 0) {
                return -1;
            }
        } else if (kr_xml__is(c, NS, "help")) {
            if (ltext(l, c, s->help) < 0) {
                return -1;
            }
        } else if (kr_xml__is(c, NS, "option")) {
            kr_option *o;
            xmlNode *lc;
            if (s->type != KR_TY_ENUM) {
                return at(l, c, KR_EINVALID, "<option> is only for "
                          "type=\"enum\"");
            }
            if (check_attrs(l, c, ook) < 0) {
                return -1;
            }
            if (!(s->opts = grow(l, s->opts, s->nopts, sizeof(*s->opts)))) {
                return oom(l);
            }
            o = &s->opts[s->nopts++];
            if (need(l, c, "value", &o->value) < 0) {
                return -1;
            }
            for (lc = kr_xml__first_el(c); lc; lc = kr_xml__next_el(lc)) {
                if (!kr_xml__is(lc, NS, "label")) {
                    return bad_child(l, lc, c);
                }
                if (ltext(l, lc, o->label) < 0) {
                    return -1;
                }
            }
        } else {
            return bad_child(l, c, n);
        }
    }
    if (s->type == KR_TY_ENUM && s->nopts == 0) {
        return at(l, n, KR_EINVALID, "enum input '%s' lists no <option>",
                  s->id);
    }
    if ((v = kr_xml__attr(n, "min"))) {
        if (s->type != KR_TY_MONEY && s->type != KR_TY_DECIMAL &&
            s->type != KR_TY_INTEGER && s->type != KR_TY_DATE) {
            return at(l, n, KR_EINVALID, "min= only for numbers and dates");
        }
        if (value_at(l, n, &s->minval, s->type, NULL, v, "min") < 0) {
            return -1;
        }
        s->has_min = 1;
    }
    if ((v = kr_xml__attr(n, "max"))) {
        if (s->type != KR_TY_MONEY && s->type != KR_TY_DECIMAL &&
            s->type != KR_TY_INTEGER && s->type != KR_TY_DATE) {
            return at(l, n, KR_EINVALID, "max= only for numbers and dates");
        }
        if (value_at(l, n, &s->maxval, s->type, NULL, v, "max") < 0) {
            return -1;
        }
        s->has_max = 1;
    }
    if ((v = kr_xml__attr(n, "default"))) {
        if (value_at(l, n, &s->defval, s->type, s, v, "default") < 0) {
            return -1;
        }
        s->has_default = 1;
        s->default_text = pattr(l, n, "default");
    }
    if (s->nopts) {
        size_t len = 0;
        int i;
        char *o;
        for (i = 0; i < s->nopts; i++) {
            len += strlen(s->opts[i].value) + 1;
        }
        if (!(o = kr_pool__alloc(&l->r->pool, len + 1))) {
            return oom(l);
        }
        for (i = 0; i < s->nopts; i++) {
            strcat(o, s->opts[i].value);
            if (i + 1 < s->nopts) {
                strcat(o, " ");
            }
        }
        s->options_text = o;
    }
    return kr_rules__add_sym(l->r, s, l->err);
}

static int load_scale(ld *l, const xmlNode *n)
{
    static const char *const ok[] = { "id", "type", "unit", "ref", NULL };
    static const char *const pok[] = { "from", "until", "source", NULL };
    static const char *const bok[] = { "above", "upto", NULL };
    kr_sym *s = new_sym(l, n, SYM_SCALE);
    xmlNode *c, *b;

    if (!s || check_attrs(l, n, ok) < 0 || get_id(l, n, &s->id) < 0 ||
        parse_type(l, n, &s->type, 0) < 0) {
        return -1;
    }
    if (s->type != KR_TY_MONEY && s->type != KR_TY_DECIMAL &&
        s->type != KR_TY_INTEGER) {
        return at(l, n, KR_EINVALID, "a scale's values must be numbers");
    }
    s->unit = pattr(l, n, "unit");
    s->ref = pattr(l, n, "ref");
    for (c = kr_xml__first_el(n); c; c = kr_xml__next_el(c)) {
        kr_scale_period *p;
        if (kr_xml__is(c, NS, "label")) {
            if (ltext(l, c, s->label) < 0) {
                return -1;
            }
            continue;
        }
        if (!kr_xml__is(c, NS, "period")) {
            return bad_child(l, c, n);
        }
        if (check_attrs(l, c, pok) < 0) {
            return -1;
        }
        if (!(s->speriods = grow(l, s->speriods, s->nsperiods,
                                 sizeof(*s->speriods)))) {
            return oom(l);
        }
        p = &s->speriods[s->nsperiods];
        if (read_period(l, c, &p->from, &p->until, &p->source, &p->line,
                        s->nsperiods ? &s->speriods[s->nsperiods - 1].until
                                     : NULL, "a period of scale",
                        s->id) < 0) {
            return -1;
        }
        for (b = kr_xml__first_el(c); b; b = kr_xml__next_el(b)) {
            kr_bracket *br;
            const char *v, *text;
            if (!kr_xml__is(b, NS, "bracket")) {
                return bad_child(l, b, c);
            }
            if (check_attrs(l, b, bok) < 0) {
                return -1;
            }
            if (!(p->br = grow(l, p->br, p->nbr, sizeof(*p->br)))) {
                return oom(l);
            }
            br = &p->br[p->nbr];
            if ((v = kr_xml__attr(b, "above"))) {
                br->has_above = 1;
                if (!(br->above = kr_pool__mpq(&l->r->pool))) {
                    return oom(l);
                }
                if (kr_dec_parse(br->above, v, strlen(v), NULL) < 0) {
                    return at(l, b, KR_EPARSE, "above=\"%s\" is not a "
                              "number", v);
                }
            }
            if ((v = kr_xml__attr(b, "upto"))) {
                br->has_upto = 1;
                if (!(br->upto = kr_pool__mpq(&l->r->pool))) {
                    return oom(l);
                }
                if (kr_dec_parse(br->upto, v, strlen(v), NULL) < 0) {
                    return at(l, b, KR_EPARSE, "upto=\"%s\" is not a "
                              "number", v);
                }
            }
            if (br->has_above && br->has_upto &&
                mpq_cmp(br->above, br->upto) >= 0) {
                return at(l, b, KR_EINVALID, "bracket above= must be lower "
                          "than upto=");
            }
            if (p->nbr > 0) {
                kr_bracket *pb = &p->br[p->nbr - 1];
                /* brackets must tile: each starts where the last ends */
                if (!pb->has_upto || !br->has_above ||
                    mpq_cmp(pb->upto, br->above) != 0) {
                    return at(l, b, KR_EINVALID, "brackets must follow "
                              "each other: above= of this bracket must "
                              "equal upto= of the previous one");
                }
            }
            if (ptext(l, b, &text) < 0 ||
                value_at(l, b, &br->v, s->type, s, text, s->id) < 0) {
                return -1;
            }
            p->nbr++;
        }
        if (p->nbr == 0) {
            return at(l, c, KR_EINVALID, "period without <bracket>");
        }
        s->nsperiods++;
    }
    if (s->nsperiods == 0) {
        return at(l, n, KR_EINVALID, "scale '%s' has no <period>", s->id);
    }
    return kr_rules__add_sym(l->r, s, l->err);
}

static int formula(ld *l, const xmlNode *n, const char *text,
                   kr_expr **out, kr_src *src)
{
    src->file = l->file;
    src->line = kr_xml__line(n);
    src->text = text;
    return kr_expr__parse(out, &l->r->pool, text, src, l->err);
}

/* Newlines in the white space that kr_xml__text() trims off the front of
 * an element's text. */
static unsigned long lead_lines(const xmlNode *n)
{
    const xmlNode *c;
    unsigned long k = 0;
    for (c = n->children; c; c = c->next) {
        const char *t;
        if ((c->type != XML_TEXT_NODE &&
             c->type != XML_CDATA_SECTION_NODE) || !c->content) {
            continue;
        }
        for (t = (const char *)c->content; *t; t++) {
            if (*t == '\n') {
                k++;
            } else if (*t != ' ' && *t != '\t' && *t != '\r') {
                return k;
            }
        }
    }
    return k;
}

/* A formula written as an element's (trimmed) text: its first line is
 * the element's line plus the lines trimmed before it, so that an error
 * in a formula spanning lines names the line it is on. */
static int formula_text(ld *l, const xmlNode *n, const char *text,
                        kr_expr **out, kr_src *src)
{
    src->file = l->file;
    src->line = kr_xml__line(n) + lead_lines(n);
    src->text = text;
    return kr_expr__parse(out, &l->r->pool, text, src, l->err);
}

static int formula_el(ld *l, const xmlNode *n, kr_expr **out, kr_src *src)
{
    static const char *const ok[] = { NULL };
    const char *text;
    if (check_attrs(l, n, ok) < 0 || ptext(l, n, &text) < 0) {
        return -1;
    }
    return formula_text(l, n, text, out, src);
}

static int formula_attr(ld *l, const xmlNode *n, const char *name,
                        kr_expr **out, kr_src *src)
{
    const char *v = kr_xml__attr(n, name);
    if (!v) {
        return 0;
    }
    if (!(v = kr_pool__strdup(&l->r->pool, v))) {
        return oom(l);
    }
    return formula(l, n, v, out, src);
}

static int load_cases(ld *l, const xmlNode *n, kr_sym *s)
{
    static const char *const ok[] = { "match", NULL };
    static const char *const cok[] = { "when", "ref", NULL };
    static const char *const ook[] = { "ref", NULL };
    const char *m = kr_xml__attr(n, "match");
    xmlNode *c;
    int seen_otherwise = 0;

    if (check_attrs(l, n, ok) < 0) {
        return -1;
    }
    if (!m || strcmp(m, "first") == 0) {
        s->unique = 0;
    } else if (strcmp(m, "unique") == 0) {
        s->unique = 1;
    } else {
        return at(l, n, KR_EINVALID, "match=\"%s\": use first or unique", m);
    }
    for (c = kr_xml__first_el(n); c; c = kr_xml__next_el(c)) {
        kr_case *k;
        const char *text;
        int is_case = kr_xml__is(c, NS, "case");
        if (!is_case && !kr_xml__is(c, NS, "otherwise")) {
            return bad_child(l, c, n);
        }
        if (seen_otherwise) {
            return at(l, c, KR_EINVALID, "<otherwise> must be the last "
                      "case");
        }
        if (check_attrs(l, c, is_case ? cok : ook) < 0) {
            return -1;
        }
        if (!(s->cases = grow(l, s->cases, s->ncases, sizeof(*s->cases)))) {
            return oom(l);
        }
        k = &s->cases[s->ncases];
        k->ref = pattr(l, c, "ref");
        if (is_case) {
            if (!kr_xml__attr(c, "when")) {
                return at(l, c, KR_EINVALID, "<case> needs when=\"...\"");
            }
            if (formula_attr(l, c, "when", &k->when, &k->when_src) < 0) {
                return -1;
            }
        } else {
            seen_otherwise = 1;
        }
        if (ptext(l, c, &text) < 0 ||
            formula_text(l, c, text, &k->expr, &k->src) < 0) {
            return -1;
        }
        s->ncases++;
    }
    if (s->ncases == 0 || (s->ncases == 1 && seen_otherwise)) {
        return at(l, n, KR_EINVALID, "<cases> needs at least one <case>");
    }
    return 0;
}

static int load_value(ld *l, const xmlNode *n)
{
    static const char *const ok[] = { "id", "entity", "type", "unit", "ref",
                                      NULL };
    kr_sym *s = new_sym(l, n, SYM_VALUE);
    xmlNode *c;

    if (!s || check_attrs(l, n, ok) < 0 || get_id(l, n, &s->id) < 0 ||
        parse_type(l, n, &s->type, 0) < 0 ||
        parse_entity(l, n, &s->entity) < 0) {
        return -1;
    }
    s->unit = pattr(l, n, "unit");
    s->ref = pattr(l, n, "ref");
    for (c = kr_xml__first_el(n); c; c = kr_xml__next_el(c)) {
        if (kr_xml__is(c, NS, "label")) {
            if (ltext(l, c, s->label) < 0) {
                return -1;
            }
        } else if (kr_xml__is(c, NS, "formula") ||
                   kr_xml__is(c, NS, "cases")) {
            if (s->formula || s->cases) {
                return at(l, c, KR_EINVALID, "value '%s' has more than one "
                          "<formula>/<cases>", s->id);
            }
            if (kr_xml__is(c, NS, "formula")) {
                if (formula_el(l, c, &s->formula, &s->src) < 0) {
                    return -1;
                }
            } else if (load_cases(l, c, s) < 0) {
                return -1;
            }
        } else {
            return bad_child(l, c, n);
        }
    }
    if (!s->formula && !s->cases) {
        return at(l, n, KR_EINVALID, "value '%s' has no <formula> or "
                  "<cases>", s->id);
    }
    return kr_rules__add_sym(l->r, s, l->err);
}

static int load_template(ld *l, const xmlNode *n, const char *attr,
                         kr_template *t)
{
    const char *v = kr_xml__attr(n, attr);
    if (!v) {
        return 0;
    }
    if (!(t->text = kr_pool__strdup(&l->r->pool, v))) {
        return oom(l);
    }
    /* holes are parsed by the checker, which knows the names */
    return 0;
}

static int load_condition(ld *l, const xmlNode *n, kr_benefit *b)
{
    static const char *const ok[] = { "id", "ref", NULL };
    static const char *const rok[] = { "lang", "met", "unmet", NULL };
    kr_cond *c;
    xmlNode *x;
    int i;

    if (check_attrs(l, n, ok) < 0) {
        return -1;
    }
    if (!(b->conds = grow(l, b->conds, b->nconds, sizeof(*b->conds)))) {
        return oom(l);
    }
    c = &b->conds[b->nconds];
    if (get_id(l, n, &c->id) < 0) {
        return -1;
    }
    for (i = 0; i < b->nconds; i++) {
        if (strcmp(b->conds[i].id, c->id) == 0) {
            return at(l, n, KR_EINVALID, "benefit '%s' has two conditions "
                      "with id '%s'", b->id, c->id);
        }
    }
    c->ref = pattr(l, n, "ref");
    for (x = kr_xml__first_el(n); x; x = kr_xml__next_el(x)) {
        if (kr_xml__is(x, NS, "label")) {
            if (ltext(l, x, c->label) < 0) {
                return -1;
            }
        } else if (kr_xml__is(x, NS, "formula")) {
            if (c->formula) {
                return at(l, x, KR_EINVALID, "second <formula>");
            }
            if (formula_el(l, x, &c->formula, &c->src) < 0) {
                return -1;
            }
        } else if (kr_xml__is(x, NS, "reason")) {
            int li;
            if (check_attrs(l, x, rok) < 0 || lang_index(l, x, &li) < 0) {
                return -1;
            }
            if (c->met[li].text || c->unmet[li].text) {
                return at(l, x, KR_EINVALID, "second <reason> in the same "
                          "language");
            }
            if (load_template(l, x, "met", &c->met[li]) < 0 ||
                load_template(l, x, "unmet", &c->unmet[li]) < 0) {
                return -1;
            }
        } else {
            return bad_child(l, x, n);
        }
    }
    if (!c->formula) {
        return at(l, n, KR_EINVALID, "condition '%s' has no <formula>",
                  c->id);
    }
    b->nconds++;
    return 0;
}

static int load_amount(ld *l, const xmlNode *n, kr_benefit *b)
{
    static const char *const ok[] = { "ref", "round", "rounding", "minimum",
                                      "maximum", "below-minimum", NULL };
    static const char *const cok[] = { "id", "ref", NULL };
    const char *v;
    xmlNode *x;

    if (check_attrs(l, n, ok) < 0) {
        return -1;
    }
    if (b->has_amount) {
        return at(l, n, KR_EINVALID, "second <amount>");
    }
    b->has_amount = 1;
    b->amount_ref = pattr(l, n, "ref");
    if ((v = kr_xml__attr(n, "round"))) {
        if (!(b->round_step = kr_pool__mpq(&l->r->pool))) {
            return oom(l);
        }
        if (kr_dec_parse(b->round_step, v, strlen(v), NULL) < 0 ||
            mpq_sgn(b->round_step) <= 0) {
            return at(l, n, KR_EINVALID, "round=\"%s\": give the step as a "
                      "positive number, e.g. 0.01 for the grosz", v);
        }
        b->round_decimals = kr_dec_step_decimals(b->round_step);
        v = kr_xml__attr(n, "rounding");
        if (!v) {
            return at(l, n, KR_EINVALID, "round= needs rounding=\"...\" "
                      "(half-up, half-even, down, up, floor, ceiling): the "
                      "mode is the law's, not the engine's");
        }
        if (kr_dec_round_mode_parse(&b->rounding, v, strlen(v)) < 0) {
            return at(l, n, KR_EINVALID, "rounding=\"%s\": use half-up, "
                      "half-even, down, up, floor or ceiling", v);
        }
    } else if (kr_xml__attr(n, "rounding")) {
        return at(l, n, KR_EINVALID, "rounding= without round=\"step\"");
    }
    if ((v = kr_xml__attr(n, "below-minimum"))) {
        if (strcmp(v, "raise") == 0) {
            b->raise_to_minimum = 1;
        } else if (strcmp(v, "nothing") != 0) {
            return at(l, n, KR_EINVALID, "below-minimum=\"%s\": use raise "
                      "or nothing", v);
        }
        if (!kr_xml__attr(n, "minimum")) {
            return at(l, n, KR_EINVALID, "below-minimum= without minimum=");
        }
    }
    if (formula_attr(l, n, "minimum", &b->minimum, &b->minimum_src) < 0 ||
        formula_attr(l, n, "maximum", &b->maximum, &b->maximum_src) < 0) {
        return -1;
    }
    for (x = kr_xml__first_el(n); x; x = kr_xml__next_el(x)) {
        if (kr_xml__is(x, NS, "formula")) {
            if (b->amount || b->ncomps) {
                return at(l, x, KR_EINVALID, "<amount> takes one <formula> "
                          "or several <component>s");
            }
            if (formula_el(l, x, &b->amount, &b->amount_src) < 0) {
                return -1;
            }
        } else if (kr_xml__is(x, NS, "component")) {
            kr_component *k;
            xmlNode *y;
            if (b->amount) {
                return at(l, x, KR_EINVALID, "<amount> takes one <formula> "
                          "or several <component>s");
            }
            if (check_attrs(l, x, cok) < 0) {
                return -1;
            }
            if (!(b->comps = grow(l, b->comps, b->ncomps,
                                  sizeof(*b->comps)))) {
                return oom(l);
            }
            k = &b->comps[b->ncomps];
            if (get_id(l, x, &k->id) < 0) {
                return -1;
            }
            k->ref = pattr(l, x, "ref");
            for (y = kr_xml__first_el(x); y; y = kr_xml__next_el(y)) {
                if (kr_xml__is(y, NS, "label")) {
                    if (ltext(l, y, k->label) < 0) {
                        return -1;
                    }
                } else if (kr_xml__is(y, NS, "formula")) {
                    if (formula_el(l, y, &k->formula, &k->src) < 0) {
                        return -1;
                    }
                } else {
                    return bad_child(l, y, x);
                }
            }
            if (!k->formula) {
                return at(l, x, KR_EINVALID, "component '%s' has no "
                          "<formula>", k->id);
            }
            b->ncomps++;
        } else {
            return bad_child(l, x, n);
        }
    }
    if (!b->amount && !b->ncomps) {
        return at(l, n, KR_EINVALID, "<amount> has no <formula>");
    }
    return 0;
}

static int load_benefit(ld *l, const xmlNode *n)
{
    static const char *const ok[] = { "id", "ref", NULL };
    static const char *const rok[] = { "lower", "upper", NULL };
    kr_rules *r = l->r;
    kr_benefit *b;
    xmlNode *x;
    int i;

    if (check_attrs(l, n, ok) < 0) {
        return -1;
    }
    if (r->nbenefits == r->capbenefits) {
        int cap = r->capbenefits ? r->capbenefits * 2 : 8;
        kr_benefit *nb = kr_pool__alloc(&r->pool, sizeof(*nb) * (size_t)cap);
        if (!nb) {
            return oom(l);
        }
        if (r->nbenefits) {
            memcpy(nb, r->benefits, sizeof(*nb) * (size_t)r->nbenefits);
        }
        r->benefits = nb;
        r->capbenefits = cap;
    }
    b = &r->benefits[r->nbenefits];
    memset(b, 0, sizeof(*b));
    b->file = l->file;
    b->line = kr_xml__line(n);
    if (get_id(l, n, &b->id) < 0) {
        return -1;
    }
    for (i = 0; i < r->nbenefits; i++) {
        if (strcmp(r->benefits[i].id, b->id) == 0) {
            return at(l, n, KR_EINVALID, "benefit '%s' is already defined "
                      "in %s:%lu", b->id, r->benefits[i].file,
                      r->benefits[i].line);
        }
    }
    b->ref = pattr(l, n, "ref");
    for (x = kr_xml__first_el(n); x; x = kr_xml__next_el(x)) {
        if (kr_xml__is(x, NS, "name")) {
            if (ltext(l, x, b->name) < 0) {
                return -1;
            }
        } else if (kr_xml__is(x, NS, "condition")) {
            if (load_condition(l, x, b) < 0) {
                return -1;
            }
        } else if (kr_xml__is(x, NS, "amount")) {
            if (load_amount(l, x, b) < 0) {
                return -1;
            }
        } else if (kr_xml__is(x, NS, "range")) {
            if (check_attrs(l, x, rok) < 0) {
                return -1;
            }
            if (!kr_xml__attr(x, "lower") || !kr_xml__attr(x, "upper")) {
                return at(l, x, KR_EINVALID, "<range> needs lower= and "
                          "upper=");
            }
            if (formula_attr(l, x, "lower", &b->range_lo,
                             &b->range_lo_src) < 0 ||
                formula_attr(l, x, "upper", &b->range_hi,
                             &b->range_hi_src) < 0) {
                return -1;
            }
        } else {
            return bad_child(l, x, n);
        }
    }
    if (!b->name[KR_LANG_PL]) {
        return at(l, n, KR_EINVALID, "benefit '%s' has no Polish <name>",
                  b->id);
    }
    r->nbenefits++;
    return 0;
}

int kr_rules__load_doc(kr_rules *r, xmlDocPtr doc, const char *file,
                       kr_error *err)
{
    static const char *const ok[] = { "id", "version", NULL };
    ld l;
    xmlNode *root = xmlDocGetRootElement(doc), *c;
    kr_pack *p;
    int i;

    l.r = r;
    l.err = err;
    if (!(l.file = kr_pool__strdup(&r->pool, file))) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    if (!kr_xml__is(root, NS, "rules")) {
        return kr__err_at(err, KR_EINVALID, file, root ? kr_xml__line(root)
                                                        : 0,
                          "not a rule file: the root element must be "
                          "<rules xmlns=\"" NS "\">");
    }
    if (check_attrs(&l, root, ok) < 0) {
        return err ? err->code : KR_EINVALID;
    }
    if (r->npacks == r->cappacks) {
        int cap = r->cappacks ? r->cappacks * 2 : 4;
        kr_pack *np = kr_pool__alloc(&r->pool, sizeof(*np) * (size_t)cap);
        if (!np) {
            return kr__err(err, KR_ENOMEM, "out of memory");
        }
        if (r->npacks) {
            memcpy(np, r->packs, sizeof(*np) * (size_t)r->npacks);
        }
        r->packs = np;
        r->cappacks = cap;
    }
    p = &r->packs[r->npacks];
    memset(p, 0, sizeof(*p));
    p->file = l.file;
    if (need(&l, root, "id", &p->id) < 0 ||
        need(&l, root, "version", &p->version) < 0) {
        return err ? err->code : KR_EINVALID;
    }
    {
        const char *q = p->id;
        int good = *q >= 'a' && *q <= 'z';
        for (; good && *q; q++) {
            good = (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
                   *q == '.' || *q == '_' || *q == '-';
        }
        if (!good) {
            return at(&l, root, KR_EINVALID, "pack id \"%s\" must start "
                      "with a-z and use only a-z, 0-9, '.', '_' and '-'",
                      p->id);
        }
    }
    for (i = 0; i < r->npacks; i++) {
        if (strcmp(r->packs[i].id, p->id) == 0) {
            return at(&l, root, KR_EINVALID, "rule pack '%s' is already "
                      "loaded from %s", p->id, r->packs[i].file);
        }
    }
    r->npacks++;
    for (c = kr_xml__first_el(root); c; c = kr_xml__next_el(c)) {
        int rc = 0;
        if (kr_xml__is(c, NS, "title")) {
            rc = ltext(&l, c, p->title);
        } else if (kr_xml__is(c, NS, "act")) {
            static const char *const aok[] = { "id", NULL };
            rc = check_attrs(&l, c, aok);
        } else if (kr_xml__is(c, NS, "input")) {
            rc = load_input(&l, c);
        } else if (kr_xml__is(c, NS, "parameter")) {
            rc = load_parameter(&l, c);
        } else if (kr_xml__is(c, NS, "scale")) {
            rc = load_scale(&l, c);
        } else if (kr_xml__is(c, NS, "value")) {
            rc = load_value(&l, c);
        } else if (kr_xml__is(c, NS, "benefit")) {
            rc = load_benefit(&l, c);
        } else if (kr_xml__is(c, NS, "override")) {
            rc = load_override(&l, c);
        } else {
            rc = bad_child(&l, c, root);
        }
        if (rc < 0) {
            return err && err->code ? err->code : KR_EINVALID;
        }
    }
    return KR_OK;
}
