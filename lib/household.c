/*
 * household.c - applications: the household, its persons and their
 * income items, checked against the inputs the rules declare.
 *
 * An application may set only declared inputs, each of the declared
 * entity, once, with a value of the declared type inside the declared
 * bounds; anything else is refused with the file, line and field, so a
 * clerk's typo never turns into a silently missing income.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xml.h"

#define ANS "urn:kryterium:application:1"

const char *const kr_role_names[KR_NROLE] = {
    "applicant", "spouse", "child", "relative", "other"
};

static const char *const ent_pl[] = { "household", "person", "income" };

typedef struct {
    const kr_rules *r;
    kr_app *a;
    const char *file;
    kr_error *err;
} ps;

static int oom(ps *p)
{
    return kr__err(p->err, KR_ENOMEM, "out of memory");
}

static const char *where(ps *p, int ent, int inst, char *buf, size_t n)
{
    if (ent == KR_ENT_HOUSEHOLD) {
        snprintf(buf, n, "household");
    } else if (ent == KR_ENT_PERSON) {
        snprintf(buf, n, "person %s", p->a->persons[inst].id);
    } else {
        const kr_income *in = &p->a->incomes[inst];
        snprintf(buf, n, "person %s, income %d",
                 p->a->persons[in->person].id,
                 inst - p->a->persons[in->person].first_income + 1);
    }
    return buf;
}

/* Most numbers in an application are amounts that fit a machine word:
 * they become read-only rationals in the application's pool, with no
 * GMP allocation to make and clear (the evaluation only reads inputs).
 * Returns 1 when v is set, 0 to leave text to kr_value__parse (which
 * also words the errors), -1 when memory ran out. */
static int set_word_num(kr_app *a, const kr_sym *s, const char *text,
                        kr_val *v)
{
    int neg;
    unsigned long long num, den;

    if ((s->type != KR_TY_MONEY && s->type != KR_TY_DECIMAL &&
         s->type != KR_TY_INTEGER) ||
        !kr_dec__parse_word(text, strlen(text), &neg, &num, &den) ||
        (s->type == KR_TY_INTEGER && den != 1)) {
        return 0;
    }
    if (!(v->q = kr_pool__mpq_word(&a->pool, neg, num, den))) {
        return -1;
    }
    v->kind = V_NUM;
    return 1;
}

static int set_input_sym(ps *p, const kr_sym *s, int ent, int inst,
                         const char *name, const char *text,
                         unsigned long line, int decimal_comma)
{
    kr_val *v;
    kr_error e;
    char w[160];
    char fixed[64];
    size_t k;
    int rc;

    /* only the code is read before an error sets the rest: a field
     * does not pay for clearing the whole message buffer */
    e.code = KR_OK;
    if (!s || s->kind != SYM_INPUT) {
        return kr__err_at(p->err, KR_EINVALID, p->file, line,
                          "%s: field '%s' is not an input declared by the "
                          "rules", where(p, ent, inst, w, sizeof(w)), name);
    }
    if (s->entity != ent) {
        return kr__err_at(p->err, KR_EINVALID, p->file, line,
                          "%s: field '%s' belongs to the %s, not here",
                          where(p, ent, inst, w, sizeof(w)), name,
                          ent_pl[s->entity]);
    }
    k = (size_t)inst * (size_t)p->a->ninputs[ent] + (size_t)s->index;
    if (p->a->set[ent][k]) {
        return kr__err_at(p->err, KR_EINVALID, p->file, line,
                          "%s: field '%s' is given twice",
                          where(p, ent, inst, w, sizeof(w)), name);
    }
    if (decimal_comma && (s->type == KR_TY_MONEY ||
                          s->type == KR_TY_DECIMAL)) {
        /* spreadsheets exported in Polish write 1010,00 */
        const char *c = strchr(text, ',');
        size_t l = strlen(text);
        if (c && !strchr(text, '.') && l < sizeof(fixed)) {
            memcpy(fixed, text, l + 1);
            fixed[c - text] = '.';
            text = fixed;
        }
    }
    v = &p->a->vals[ent][k];
    kr_val__init(v, NULL);
    if (!(rc = set_word_num(p->a, s, text, v)) &&
        kr_value__parse(v, &p->a->pool, s->type, s, text, &e) < 0) {
        return kr__err_at(p->err, e.code, p->file, line, "%s: field '%s': "
                          "%s", where(p, ent, inst, w, sizeof(w)), name,
                          e.msg);
    }
    if (rc < 0) {
        return kr__err_at(p->err, KR_ENOMEM, p->file, line, "%s: field "
                          "'%s': out of memory",
                          where(p, ent, inst, w, sizeof(w)), name);
    }
    if (v->kind == V_NUM && ((s->has_min && mpq_cmp(v->q, s->minval.q) < 0)
                             || (s->has_max &&
                                 mpq_cmp(v->q, s->maxval.q) > 0))) {
        char *lo = s->has_min ? kr_dec_to_string(s->minval.q, 0) : NULL;
        char *hi = s->has_max ? kr_dec_to_string(s->maxval.q, 0) : NULL;
        kr__err_at(p->err, KR_EINVALID, p->file, line, "%s: field '%s': %s "
                   "is outside the allowed range [%s, %s]",
                   where(p, ent, inst, w, sizeof(w)), name, text,
                   lo ? lo : "", hi ? hi : "");
        free(lo);
        free(hi);
        return KR_EINVALID;
    }
    if (v->kind == V_DATE && ((s->has_min && v->d < s->minval.d) ||
                              (s->has_max && v->d > s->maxval.d))) {
        return kr__err_at(p->err, KR_EINVALID, p->file, line, "%s: field "
                          "'%s': %s is outside the allowed dates",
                          where(p, ent, inst, w, sizeof(w)), name, text);
    }
    p->a->set[ent][k] = 1;
    return KR_OK;
}

static int set_input(ps *p, int ent, int inst, const char *name,
                     const char *text, unsigned long line)
{
    return set_input_sym(p, kr_rules__find(p->r, name), ent, inst, name,
                         text, line, 0);
}

/* Inputs of one entity element: attributes (minus structural ones) and
 * child elements (minus nested entities). */
static int read_inputs(ps *p, const xmlNode *n, int ent, int inst)
{
    const xmlAttr *at;
    const xmlNode *c;
    for (at = n->properties; at; at = at->next) {
        const char *name = (const char *)at->name;
        const char *v;
        if (ent == KR_ENT_PERSON &&
            (strcmp(name, "id") == 0 || strcmp(name, "role") == 0)) {
            continue;
        }
        v = at->children && at->children->content
            ? (const char *)at->children->content : "";
        if (set_input(p, ent, inst, name, v, kr_xml__line(n)) < 0) {
            return -1;
        }
    }
    for (c = kr_xml__first_el(n); c; c = kr_xml__next_el(c)) {
        char *text;
        int rc;
        if (ent == KR_ENT_PERSON && kr_xml__is(c, ANS, "income")) {
            continue;
        }
        if (kr_xml__first_el(c)) {
            char w[160];
            return kr__err_at(p->err, KR_EINVALID, p->file, kr_xml__line(c),
                              "%s: <%s> must hold a plain value",
                              where(p, ent, inst, w, sizeof(w)),
                              (const char *)c->name);
        }
        if (!(text = kr_xml__text(c))) {
            return oom(p);
        }
        rc = set_input(p, ent, inst, (const char *)c->name, text,
                       kr_xml__line(c));
        free(text);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

static int read_benefits(ps *p, const xmlNode *n)
{
    const xmlNode *c;
    int cnt = 0, i;
    for (c = kr_xml__first_el(n); c; c = kr_xml__next_el(c)) {
        cnt++;
    }
    p->a->requested = kr_pool__alloc(&p->a->pool,
                                     sizeof(char *) * (size_t)(cnt + 1));
    if (!p->a->requested) {
        return oom(p);
    }
    for (c = kr_xml__first_el(n); c; c = kr_xml__next_el(c)) {
        const char *id = kr_xml__attr(c, "id");
        if (!kr_xml__is(c, ANS, "benefit") || !id) {
            return kr__err_at(p->err, KR_EINVALID, p->file, kr_xml__line(c),
                              "<benefits> holds only <benefit id=\"...\"/>");
        }
        for (i = 0; i < p->r->nbenefits; i++) {
            if (strcmp(p->r->benefits[i].id, id) == 0) {
                break;
            }
        }
        if (i == p->r->nbenefits) {
            return kr__err_at(p->err, KR_EINVALID, p->file, kr_xml__line(c),
                              "benefit '%s' is not defined by the loaded "
                              "rules", id);
        }
        p->a->requested[p->a->nrequested++] = p->r->benefits[i].id;
    }
    return 0;
}

static int alloc_inputs(ps *p, int ent, int ninst)
{
    size_t n = (size_t)ninst * (size_t)p->r->ninputs[ent];
    p->a->ninputs[ent] = p->r->ninputs[ent];
    /* values are read only where set[] says so, and set_input_sym
     * initialises each one it sets: no need to clear them all */
    p->a->vals[ent] = kr_pool__alloc_raw(&p->a->pool,
                                         sizeof(kr_val) * (n ? n : 1));
    p->a->set[ent] = kr_pool__alloc(&p->a->pool, n ? n : 1);
    return p->a->vals[ent] && p->a->set[ent] ? 0 : oom(p);
}

static int parse_root(ps *p, xmlNode *root)
{
    kr_app *a = p->a;
    xmlNode *c, *ic;
    const char *v;
    int np = 0, ni = 0, i, j;
    const xmlAttr *at;

    if (!kr_xml__is(root, ANS, "application")) {
        return kr__err_at(p->err, KR_EINVALID, p->file,
                          root ? kr_xml__line(root) : 0,
                          "not an application: the root element must be "
                          "<application xmlns=\"" ANS "\">");
    }
    for (at = root->properties; at; at = at->next) {
        if (strcmp((const char *)at->name, "id") != 0 &&
            strcmp((const char *)at->name, "date") != 0) {
            return kr__err_at(p->err, KR_EINVALID, p->file,
                              kr_xml__line(root), "<application> has no "
                              "attribute '%s'", (const char *)at->name);
        }
    }
    v = kr_xml__attr(root, "date");
    if (!v || kr_date_parse(&a->date, v, strlen(v)) < 0) {
        return kr__err_at(p->err, KR_EINVALID, p->file, kr_xml__line(root),
                          "application: field 'date': %s%s%s",
                          v ? "'" : "", v ? v : "missing (the date of the "
                          "application, YYYY-MM-DD)",
                          v ? "' is not a date YYYY-MM-DD" : "");
    }
    a->datestr = kr_pool__strdup(&a->pool, v);
    a->id = kr_pool__strdup(&a->pool, kr_xml__attr(root, "id")
                                      ? kr_xml__attr(root, "id") : "");
    if (!a->datestr || !a->id) {
        return oom(p);
    }
    for (c = kr_xml__first_el(root); c; c = kr_xml__next_el(c)) {
        if (kr_xml__is(c, ANS, "person")) {
            np++;
            for (ic = kr_xml__first_el(c); ic; ic = kr_xml__next_el(ic)) {
                ni += kr_xml__is(ic, ANS, "income");
            }
        } else if (!kr_xml__is(c, ANS, "household") &&
                   !kr_xml__is(c, ANS, "benefits")) {
            return kr__err_at(p->err, KR_EINVALID, p->file, kr_xml__line(c),
                              "<%s> is not allowed in <application> "
                              "(household, person, benefits)",
                              (const char *)c->name);
        }
    }
    if (np == 0) {
        return kr__err_at(p->err, KR_EINVALID, p->file, kr_xml__line(root),
                          "application lists no <person>");
    }
    a->persons = kr_pool__alloc(&a->pool, sizeof(kr_person) * (size_t)np);
    a->incomes = kr_pool__alloc(&a->pool,
                                sizeof(kr_income) * (size_t)(ni ? ni : 1));
    if (!a->persons || !a->incomes || alloc_inputs(p, KR_ENT_HOUSEHOLD, 1)
        < 0 || alloc_inputs(p, KR_ENT_PERSON, np) < 0 ||
        alloc_inputs(p, KR_ENT_INCOME, ni) < 0) {
        return oom(p);
    }
    for (i = 0; i < KR_NROLE; i++) {
        a->role_person[i] = -1;
    }
    /* persons first, so that messages about incomes can name them */
    for (c = kr_xml__first_el(root); c; c = kr_xml__next_el(c)) {
        kr_person *pe;
        const char *role;
        if (!kr_xml__is(c, ANS, "person")) {
            continue;
        }
        pe = &a->persons[a->npersons];
        pe->line = kr_xml__line(c);
        v = kr_xml__attr(c, "id");
        if (v && *v) {
            pe->id = kr_pool__strdup(&a->pool, v);
        } else {
            char b[24];
            snprintf(b, sizeof(b), "p%d", a->npersons + 1);
            pe->id = kr_pool__strdup(&a->pool, b);
        }
        if (!pe->id) {
            return oom(p);
        }
        for (j = 0; j < a->npersons; j++) {
            if (strcmp(a->persons[j].id, pe->id) == 0) {
                return kr__err_at(p->err, KR_EINVALID, p->file, pe->line,
                                  "person id '%s' is used twice", pe->id);
            }
        }
        role = kr_xml__attr(c, "role");
        for (j = 0; role && j < KR_NROLE; j++) {
            if (strcmp(role, kr_role_names[j]) == 0) {
                break;
            }
        }
        if (!role || j == KR_NROLE) {
            return kr__err_at(p->err, KR_EINVALID, p->file, pe->line,
                              "person %s: field 'role': %s%s%s", pe->id,
                              role ? "'" : "", role ? role : "missing",
                              role ? "' is not one of applicant, spouse, "
                              "child, relative, other" : " (applicant, "
                              "spouse, child, relative, other)");
        }
        pe->role = j;
        a->role_person[j] = a->role_person[j] == -1 ? a->npersons : -2;
        pe->first_income = a->nincomes;
        for (ic = kr_xml__first_el(c); ic; ic = kr_xml__next_el(ic)) {
            if (kr_xml__is(ic, ANS, "income")) {
                a->incomes[a->nincomes].person = a->npersons;
                a->incomes[a->nincomes].line = kr_xml__line(ic);
                a->nincomes++;
                pe->nincome++;
            }
        }
        a->npersons++;
    }
    if (a->role_person[R_APPLICANT] == -1) {
        return kr__err_at(p->err, KR_EINVALID, p->file, kr_xml__line(root),
                          "no person has role=\"applicant\"");
    }
    if (a->role_person[R_APPLICANT] == -2) {
        return kr__err_at(p->err, KR_EINVALID, p->file, kr_xml__line(root),
                          "more than one person has role=\"applicant\"");
    }
    i = 0;
    for (c = kr_xml__first_el(root); c; c = kr_xml__next_el(c)) {
        if (kr_xml__is(c, ANS, "benefits")) {
            if (a->requested) {
                return kr__err_at(p->err, KR_EINVALID, p->file,
                                  kr_xml__line(c), "second <benefits>");
            }
            if (read_benefits(p, c) < 0) {
                return -1;
            }
        } else if (kr_xml__is(c, ANS, "household")) {
            if (read_inputs(p, c, KR_ENT_HOUSEHOLD, 0) < 0) {
                return -1;
            }
        } else if (kr_xml__is(c, ANS, "person")) {
            int inc = a->persons[i].first_income;
            if (read_inputs(p, c, KR_ENT_PERSON, i) < 0) {
                return -1;
            }
            for (ic = kr_xml__first_el(c); ic; ic = kr_xml__next_el(ic)) {
                if (kr_xml__is(ic, ANS, "income")) {
                    if (read_inputs(p, ic, KR_ENT_INCOME, inc++) < 0) {
                        return -1;
                    }
                }
            }
            i++;
        }
    }
    return 0;
}

int kr_app__from_node(kr_app **out, const kr_rules *rules, xmlNode *root,
                      const char *file, kr_error *err)
{
    ps p;
    kr_app *a;

    *out = NULL;
    if (!rules->compiled) {
        return kr__err(err, KR_EINVALID, "rules are not compiled");
    }
    if (!(a = calloc(1, sizeof(*a)))) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    kr_pool__init(&a->pool);
    p.r = rules;
    p.a = a;
    p.err = err;
    p.file = a->file = kr_pool__strdup(&a->pool, file);
    if (!a->file) {
        kr_app_free(a);
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    if (parse_root(&p, root) < 0) {
        kr_app_free(a);
        return err && err->code ? err->code : KR_EINVALID;
    }
    *out = a;
    return KR_OK;
}

int kr_app_parse_memory(kr_app **out, const kr_rules *rules,
                        const char *name, const char *buf, size_t len,
                        kr_error *err)
{
    xmlDocPtr doc;
    int rc;
    *out = NULL;
    if (!name) {
        name = "(memory)";
    }
    if ((rc = kr_xml__parse(&doc, name, buf, len, err)) < 0) {
        return rc;
    }
    rc = kr_app__from_node(out, rules, xmlDocGetRootElement(doc), name, err);
    xmlFreeDoc(doc);
    return rc;
}

int kr_app_parse_file(kr_app **out, const kr_rules *rules, const char *path,
                      kr_error *err)
{
    char *buf;
    size_t len;
    int rc;
    *out = NULL;
    if ((rc = kr_xml__slurp(&buf, &len, path, KR_XML_MAX_BYTES, err)) < 0) {
        return rc;
    }
    rc = kr_app_parse_memory(out, rules, path, buf, len, err);
    free(buf);
    return rc;
}

void kr_app_free(kr_app *a)
{
    if (!a) {
        return;
    }
    kr_pool__free(&a->pool);
    free(a);
}

const char *kr_app_id(const kr_app *a)
{
    return a->id;
}

const char *kr_app_date(const kr_app *a)
{
    return a->datestr;
}

size_t kr_app_requested_count(const kr_app *a)
{
    return (size_t)a->nrequested;
}

const char *kr_app_requested(const kr_app *a, size_t i)
{
    return i < (size_t)a->nrequested ? a->requested[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Building an application field by field (batch readers)             */

int kr_app__begin(kr_app **out, kr_app *reuse, const kr_rules *rules,
                  const char *file, const char *id, const char *date,
                  unsigned long line, int npersons, int nincomes,
                  kr_error *err)
{
    kr_app *a;
    ps p;
    int i;

    *out = NULL;
    if ((a = reuse)) {
        /* a batch worker's previous application: its pool's blocks are
         * kept, so that building one allocates nothing once warm */
        kr_pool pool = a->pool;
        kr_pool__reset(&pool);
        memset(a, 0, sizeof(*a));
        a->pool = pool;
    } else if (!(a = calloc(1, sizeof(*a)))) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    } else {
        kr_pool__init(&a->pool);
    }
    p.r = rules;
    p.a = a;
    p.err = err;
    p.file = file;
    a->file = kr_pool__strdup(&a->pool, file);
    a->id = kr_pool__strdup(&a->pool, id ? id : "");
    a->persons = kr_pool__alloc(&a->pool, sizeof(kr_person) *
                                (size_t)(npersons ? npersons : 1));
    a->incomes = kr_pool__alloc(&a->pool, sizeof(kr_income) *
                                (size_t)(nincomes ? nincomes : 1));
    if (!a->file || !a->id || !a->persons || !a->incomes ||
        alloc_inputs(&p, KR_ENT_HOUSEHOLD, 1) < 0 ||
        alloc_inputs(&p, KR_ENT_PERSON, npersons) < 0 ||
        alloc_inputs(&p, KR_ENT_INCOME, nincomes) < 0) {
        kr_app_free(a);
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    for (i = 0; i < KR_NROLE; i++) {
        a->role_person[i] = -1;
    }
    if (!date || kr_date_parse(&a->date, date, strlen(date)) < 0) {
        kr__err_at(err, KR_EINVALID, file, line, "application %s: field "
                   "'date': '%.40s' is not a date YYYY-MM-DD", a->id,
                   date ? date : "");
        kr_app_free(a);
        return KR_EINVALID;
    }
    if (!(a->datestr = kr_pool__strdup(&a->pool, date))) {
        kr_app_free(a);
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    *out = a;
    return KR_OK;
}

int kr_app__add_person(kr_app *a, const char *id, const char *role,
                       int nincome, unsigned long line, kr_error *err)
{
    kr_person *pe = &a->persons[a->npersons];
    char b[24];
    int j;

    if (!id || !*id) {
        snprintf(b, sizeof(b), "p%d", a->npersons + 1);
        id = b;
    }
    for (j = 0; j < a->npersons; j++) {
        /* ids are short ("p1"): a loop in place rather than strcmp */
        const char *x = a->persons[j].id, *y = id;
        while (*x && *x == *y) {
            x++;
            y++;
        }
        if (*x == *y) {
            return kr__err_at(err, KR_EINVALID, a->file, line, "application "
                              "%s: person id '%s' is used twice", a->id, id);
        }
    }
    for (j = 0; role && j < KR_NROLE; j++) {
        /* the first letter first: the roles' first letters differ */
        if (role[0] == kr_role_names[j][0] &&
            strcmp(role, kr_role_names[j]) == 0) {
            break;
        }
    }
    if (!role || j == KR_NROLE) {
        return kr__err_at(err, KR_EINVALID, a->file, line, "application %s, "
                          "person %s: field 'role': '%s' is not one of "
                          "applicant, spouse, child, relative, other",
                          a->id, id, role ? role : "");
    }
    if (!(pe->id = kr_pool__strdup(&a->pool, id))) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    pe->line = line;
    pe->role = j;
    a->role_person[j] = a->role_person[j] == -1 ? a->npersons : -2;
    pe->first_income = a->nincomes;
    pe->nincome = nincome;
    for (j = 0; j < nincome; j++) {
        a->incomes[a->nincomes].person = a->npersons;
        a->incomes[a->nincomes].line = line;
        a->nincomes++;
    }
    a->npersons++;
    return KR_OK;
}

int kr_app__set(kr_app *a, const kr_rules *rules, const kr_sym *s, int ent,
                int inst, const char *text, unsigned long line,
                int decimal_comma, kr_error *err)
{
    ps p;
    p.r = rules;
    p.a = a;
    p.err = err;
    p.file = a->file;
    return set_input_sym(&p, s, ent, inst, s ? s->id : "?", text, line,
                         decimal_comma);
}

/* id is the len bytes at id (a token inside a CSV field) */
int kr_app__request(kr_app *a, const kr_rules *rules, const char *id,
                    size_t len, unsigned long line, kr_error *err)
{
    int i;
    const char **nr;
    for (i = 0; i < rules->nbenefits; i++) {
        /* the first byte first; b's NUL ends strncmp at a shorter id */
        const char *b = rules->benefits[i].id;
        if (b[0] == id[0] && strncmp(b, id, len) == 0 && b[len] == '\0') {
            break;
        }
    }
    if (i == rules->nbenefits) {
        return kr__err_at(err, KR_EINVALID, a->file, line, "application %s: "
                          "benefit '%.*s' is not defined by the loaded rules",
                          a->id, (int)len, id);
    }
    nr = kr_pool__alloc_raw(&a->pool, sizeof(char *) *
                            (size_t)(a->nrequested + 1));
    if (!nr) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    if (a->nrequested) {
        memcpy(nr, a->requested, sizeof(char *) * (size_t)a->nrequested);
    }
    nr[a->nrequested++] = rules->benefits[i].id;
    a->requested = nr;
    return KR_OK;
}

int kr_app__finish(kr_app *a, unsigned long line, kr_error *err)
{
    if (a->role_person[R_APPLICANT] == -1) {
        return kr__err_at(err, KR_EINVALID, a->file, line, "application %s: "
                          "no person has role \"applicant\"", a->id);
    }
    if (a->role_person[R_APPLICANT] == -2) {
        return kr__err_at(err, KR_EINVALID, a->file, line, "application %s: "
                          "more than one person has role \"applicant\"",
                          a->id);
    }
    return KR_OK;
}
