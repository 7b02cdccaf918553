/*
 * rules.c - the kr_rules object: adding files, the name table, the
 * identity of the loaded set, and typed value parsing shared by rule
 * files, applications and --set.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "xml.h"

int kr_rules_new(kr_rules **out, kr_error *err)
{
    kr_rules *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (!r) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    kr_pool__init(&r->pool);
    kr_sha256_init(&r->sha);
    kr_xml__init();
    *out = r;
    return KR_OK;
}

void kr_rules_free(kr_rules *r)
{
    if (!r) {
        return;
    }
    kr_pool__free(&r->pool);
    free(r->syms);
    free(r->hash);
    free(r);
}

static unsigned long hash_str(const char *s)
{
    unsigned long h = 5381;
    while (*s) {
        h = h * 33 + (unsigned char)*s++;
    }
    return h;
}

kr_sym *kr_rules__find(const kr_rules *r, const char *id)
{
    unsigned long i;
    if (!r->hashcap) {
        return NULL;
    }
    for (i = hash_str(id) & (unsigned long)(r->hashcap - 1);;
         i = (i + 1) & (unsigned long)(r->hashcap - 1)) {
        kr_sym *s = r->hash[i];
        if (!s) {
            return NULL;
        }
        if (strcmp(s->id, id) == 0) {
            return s;
        }
    }
}

static int rehash(kr_rules *r, int cap)
{
    kr_sym **h = calloc((size_t)cap, sizeof(*h));
    int i;
    if (!h) {
        return -1;
    }
    for (i = 0; i < r->nsyms; i++) {
        unsigned long j = hash_str(r->syms[i]->id) & (unsigned long)(cap - 1);
        while (h[j]) {
            j = (j + 1) & (unsigned long)(cap - 1);
        }
        h[j] = r->syms[i];
    }
    free(r->hash);
    r->hash = h;
    r->hashcap = cap;
    return 0;
}

static int same_val(const kr_val *a, const kr_val *b)
{
    if (a->kind != b->kind) {
        return 0;
    }
    switch (a->kind) {
    case V_NUM: return mpq_equal(a->q, b->q);
    case V_BOOL: return a->b == b->b;
    case V_DATE: return a->d == b->d;
    case V_STR: return strcmp(a->s, b->s) == 0;
    default: return 1;
    }
}

static int same_input(const kr_sym *a, const kr_sym *b)
{
    int i;
    if (a->entity != b->entity || a->type != b->type ||
        a->nopts != b->nopts || a->has_default != b->has_default ||
        a->has_min != b->has_min || a->has_max != b->has_max ||
        (a->has_default && !same_val(&a->defval, &b->defval)) ||
        (a->has_min && !same_val(&a->minval, &b->minval)) ||
        (a->has_max && !same_val(&a->maxval, &b->maxval))) {
        return 0;
    }
    for (i = 0; i < a->nopts; i++) {
        if (strcmp(a->opts[i].value, b->opts[i].value) != 0) {
            return 0;
        }
    }
    return 1;
}

int kr_rules__add_sym(kr_rules *r, kr_sym *s, kr_error *err)
{
    kr_sym *old = kr_rules__find(r, s->id);
    static const char *const kinds[] = { "an input", "a parameter",
                                         "a scale", "a value" };
    if (old && old->kind == SYM_INPUT && s->kind == SYM_INPUT &&
        same_input(old, s)) {
        /* Several packs may read the same fact about a person (a birth
         * date): the same declaration twice is one input, not a clash. */
        return KR_OK;
    }
    if (old && old->kind == SYM_INPUT && s->kind == SYM_INPUT) {
        return kr__err_at(err, KR_EINVALID, s->file, s->line,
                          "input '%s' is declared differently in %s:%lu "
                          "(entity, type, options or bounds differ); packs "
                          "that share an input must declare it alike",
                          s->id, old->file, old->line);
    }
    if (old) {
        return kr__err_at(err, KR_EINVALID, s->file, s->line,
                          "'%s' is already defined as %s in %s:%lu; a "
                          "second definition is refused (a local file "
                          "changes a parameter only with <override>)",
                          s->id, kinds[old->kind], old->file, old->line);
    }
    if (r->nsyms == r->capsyms) {
        int cap = r->capsyms ? r->capsyms * 2 : 64;
        kr_sym **ns = realloc(r->syms, sizeof(*ns) * (size_t)cap);
        if (!ns) {
            return kr__err(err, KR_ENOMEM, "out of memory");
        }
        r->syms = ns;
        r->capsyms = cap;
    }
    r->syms[r->nsyms++] = s;
    if (r->nsyms * 2 > r->hashcap) {
        if (rehash(r, r->hashcap ? r->hashcap * 2 : 128) < 0) {
            r->nsyms--;
            return kr__err(err, KR_ENOMEM, "out of memory");
        }
    } else {
        unsigned long j = hash_str(s->id) &
                          (unsigned long)(r->hashcap - 1);
        while (r->hash[j]) {
            j = (j + 1) & (unsigned long)(r->hashcap - 1);
        }
        r->hash[j] = s;
    }
    return KR_OK;
}

static int add_doc(kr_rules *r, const char *name, const char *buf,
                   size_t len, int from_dir, kr_error *err)
{
    xmlDocPtr doc = NULL;
    xmlNode *root;
    int rc;
    uint32_t nlen;

    if (r->compiled) {
        return kr__err(err, KR_EINVALID, "rule set is already compiled; "
                       "add files before kr_rules_compile()");
    }
    if ((rc = kr_xml__parse(&doc, name, buf, len, err)) < 0) {
        return rc;
    }
    root = xmlDocGetRootElement(doc);
    if (from_dir && root &&
        !kr_xml__is(root, "urn:kryterium:rules:1", "rules")) {
        /* test files and other XML beside the packs */
        xmlFreeDoc(doc);
        return KR_OK;
    }
    rc = kr_rules__load_doc(r, doc, name, err);
    xmlFreeDoc(doc);
    if (rc < 0) {
        /* what the file defined before the error is in the set: the set
         * can no longer be compiled into something trustworthy */
        r->broken = 1;
        return rc;
    }
    /* identity: length-prefixed bytes of each file, in load order */
    nlen = (uint32_t)len;
    kr_sha256_update(&r->sha, &nlen, sizeof(nlen));
    kr_sha256_update(&r->sha, buf, len);
    return KR_OK;
}

int kr_rules_add_memory(kr_rules *r, const char *name, const char *buf,
                        size_t len, kr_error *err)
{
    return add_doc(r, name ? name : "(memory)", buf, len, 0, err);
}

static int add_file(kr_rules *r, const char *path, int from_dir,
                    kr_error *err)
{
    char *buf;
    size_t len;
    int rc;
    if ((rc = kr_xml__slurp(&buf, &len, path, KR_XML_MAX_BYTES, err)) < 0) {
        return rc;
    }
    rc = add_doc(r, path, buf, len, from_dir, err);
    free(buf);
    return rc;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int kr_rules_add_path(kr_rules *r, const char *path, kr_error *err)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = KR_OK;

    if (stat(path, &st) < 0) {
        int e = errno;
        kr__err_at(err, KR_EIO, path, 0, "cannot open: %s", strerror(e));
        if (err) {
            err->sys_errno = e;
        }
        return KR_EIO;
    }
    if (!S_ISDIR(st.st_mode)) {
        return add_file(r, path, 0, err);
    }
    if (!(d = opendir(path))) {
        return kr__err_at(err, KR_EIO, path, 0, "cannot open directory: %s",
                          strerror(errno));
    }
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        char *full;
        if (l < 5 || strcmp(de->d_name + l - 4, ".xml") != 0 ||
            de->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            char **nn;
            cap = cap ? cap * 2 : 16;
            if (!(nn = realloc(names, cap * sizeof(*nn)))) {
                rc = kr__err(err, KR_ENOMEM, "out of memory");
                goto done;
            }
            names = nn;
        }
        if (!(full = malloc(strlen(path) + l + 2))) {
            rc = kr__err(err, KR_ENOMEM, "out of memory");
            goto done;
        }
        sprintf(full, "%s/%s", path, de->d_name);
        names[n++] = full;
    }
    qsort(names, n, sizeof(*names), cmpstr);
    for (i = 0; i < n && rc == KR_OK; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            rc = add_file(r, names[i], 1, err);
        }
    }
done:
    closedir(d);
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return rc;
}

int kr_rules_compile(kr_rules *r, kr_error *err)
{
    unsigned char dg[32];
    kr_sha256 c;
    int rc;
    if (r->compiled) {
        return KR_OK;
    }
    if (r->broken) {
        return kr__err(err, KR_EINVALID, "a rule file was refused; the rule "
                       "set cannot be compiled");
    }
    if (r->npacks == 0) {
        return kr__err(err, KR_EINVALID, "no rule file was loaded");
    }
    if ((rc = kr_rules__check(r, err)) < 0 ||
        (rc = kr_prog__compile_rules(r, err)) < 0) {
        return rc;
    }
    c = r->sha;
    kr_sha256_final(&c, dg);
    kr_sha256_hex(dg, r->digest);
    r->compiled = 1;
    return KR_OK;
}

const char *kr_rules_digest(const kr_rules *r)
{
    return r->digest;
}

size_t kr_rules_pack_count(const kr_rules *r)
{
    return (size_t)r->npacks;
}

const char *kr_rules_pack_id(const kr_rules *r, size_t i)
{
    return i < (size_t)r->npacks ? r->packs[i].id : NULL;
}

const char *kr_rules_pack_version(const kr_rules *r, size_t i)
{
    return i < (size_t)r->npacks ? r->packs[i].version : NULL;
}

const char *kr_rules_pack_file(const kr_rules *r, size_t i)
{
    return i < (size_t)r->npacks ? r->packs[i].file : NULL;
}

size_t kr_rules_benefit_count(const kr_rules *r)
{
    return (size_t)r->nbenefits;
}

const char *kr_rules_benefit_id(const kr_rules *r, size_t i)
{
    return i < (size_t)r->nbenefits ? r->benefits[i].id : NULL;
}

const char *kr_rules_benefit_name(const kr_rules *r, size_t i,
                                  const char *lang)
{
    const kr_benefit *b;
    if (i >= (size_t)r->nbenefits) {
        return NULL;
    }
    b = &r->benefits[i];
    if (lang && strcmp(lang, "en") == 0 && b->name[KR_LANG_EN]) {
        return b->name[KR_LANG_EN];
    }
    return b->name[KR_LANG_PL] ? b->name[KR_LANG_PL] : b->id;
}

/* ------------------------------------------------------------------ */

static const char *const type_names[] = { "an amount of money",
                                          "a decimal number",
                                          "a whole number" };

int kr_value__parse(kr_val *out, kr_pool *pool, int type, const kr_sym *s,
                    const char *text, kr_error *err)
{
    size_t len = strlen(text);
    int i;

    switch (type) {
    case KR_TY_MONEY:
    case KR_TY_DECIMAL:
    case KR_TY_INTEGER:
        if (!out->q && !(out->q = kr_pool__mpq(pool))) {
            return kr__err(err, KR_ENOMEM, "out of memory");
        }
        if (kr_dec_parse(out->q, text, len, NULL) < 0) {
            return kr__err(err, KR_EPARSE, "'%.60s' is not %s (write "
                           "digits with a dot for decimals, e.g. "
                           "1010.00)", text, type_names[type]);
        }
        if (type == KR_TY_INTEGER &&
            mpz_cmp_ui(mpq_denref(out->q), 1) != 0) {
            return kr__err(err, KR_EINVALID, "'%.60s' is not a whole "
                           "number", text);
        }
        out->kind = V_NUM;
        break;
    case KR_TY_BOOLEAN:
        if (strcmp(text, "true") == 0) {
            out->b = 1;
        } else if (strcmp(text, "false") == 0) {
            out->b = 0;
        } else {
            return kr__err(err, KR_EPARSE, "'%.60s' is not true or false",
                           text);
        }
        out->kind = V_BOOL;
        break;
    case KR_TY_DATE:
        if (kr_date_parse(&out->d, text, len) < 0) {
            return kr__err(err, KR_EPARSE, "'%.60s' is not a date "
                           "YYYY-MM-DD (a real calendar day)", text);
        }
        out->kind = V_DATE;
        break;
    case KR_TY_ENUM:
        for (i = 0; s && i < s->nopts; i++) {
            /* the first byte first: options mostly differ there */
            if (s->opts[i].value[0] == text[0] &&
                strcmp(s->opts[i].value, text) == 0) {
                out->s = s->opts[i].value;
                out->kind = V_STR;
                return KR_OK;
            }
        }
        {
            char list[200] = "";
            size_t l = 0;
            for (i = 0; s && i < s->nopts && l < sizeof(list) - 40; i++) {
                l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%s",
                                      i ? ", " : "", s->opts[i].value);
            }
            return kr__err(err, KR_EINVALID, "'%.60s' is not one of: %s%s",
                           text, list, s && i < s->nopts ? ", ..." : "");
        }
    case KR_TY_TEXT:
        if (!(out->s = kr_pool__strdup(pool, text))) {
            return kr__err(err, KR_ENOMEM, "out of memory");
        }
        out->kind = V_STR;
        break;
    default:
        return kr__err(err, KR_ERROR, "bad type");
    }
    return KR_OK;
}

/* ------------------------------------------------------------------ */
/* Inputs, for tools that document or build applications               */

static const char *const ent_names[] = { "household", "person", "income" };
static const char *const ty_names[] = { "money", "decimal", "integer",
                                        "boolean", "date", "enum", "text" };

size_t kr_rules_input_count(const kr_rules *r)
{
    return r->compiled ? (size_t)r->ninputs_all : 0;
}

#define INPUT(r, i) ((i) < kr_rules_input_count(r) ? (r)->inputs[i] : NULL)

const char *kr_rules_input_id(const kr_rules *r, size_t i)
{
    const kr_sym *s = INPUT(r, i);
    return s ? s->id : NULL;
}

const char *kr_rules_input_entity(const kr_rules *r, size_t i)
{
    const kr_sym *s = INPUT(r, i);
    return s ? ent_names[s->entity] : NULL;
}

const char *kr_rules_input_type(const kr_rules *r, size_t i)
{
    const kr_sym *s = INPUT(r, i);
    return s ? ty_names[s->type] : NULL;
}

const char *kr_rules_input_label(const kr_rules *r, size_t i,
                                 const char *lang)
{
    const kr_sym *s = INPUT(r, i);
    if (!s) {
        return NULL;
    }
    if (lang && strcmp(lang, "en") == 0 && s->label[KR_LANG_EN]) {
        return s->label[KR_LANG_EN];
    }
    return s->label[KR_LANG_PL] ? s->label[KR_LANG_PL] : s->id;
}

const char *kr_rules_input_default(const kr_rules *r, size_t i)
{
    const kr_sym *s = INPUT(r, i);
    return s ? s->default_text : NULL;
}

const char *kr_rules_input_options(const kr_rules *r, size_t i)
{
    const kr_sym *s = INPUT(r, i);
    return s && s->options_text ? s->options_text : NULL;
}
