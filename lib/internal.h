/*
 * internal.h - the compiled form of a rule set, applications and the
 * evaluation state (internal to libkryterium).
 *
 * A kr_rules is built by rules_load.c (XML -> symbols and benefits),
 * checked and compiled by rules_check.c (names resolved to pointers,
 * types inferred, cycles refused, memo slots numbered) and is read-only
 * afterwards.  An evaluation (eval.c) owns all mutable state in its
 * kr_result, so one kr_rules can serve many threads.
 */
#ifndef KR_INTERNAL_H
#define KR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>
#include <libxml/tree.h>

#include "kryterium.h"
#include "date.h"
#include "decimal.h"
#include "error.h"
#include "sha256.h"

/* ------------------------------------------------------------------ */
/* Pool: many small allocations freed together (rules, one result).    */

typedef struct kr_pool_chunk kr_pool_chunk;
typedef struct kr_pool_fin kr_pool_fin;
typedef struct {
    kr_pool_chunk *chunks;
    kr_pool_fin *fins;      /* mpq_t to clear on free, LIFO */
    kr_pool_chunk *spare_chunks; /* kept by a reset, reused first */
    kr_pool_fin *spare_fins;
} kr_pool;

void kr_pool__init(kr_pool *p);
void kr_pool__free(kr_pool *p);
/* Forget every allocation but keep the memory for the next ones. */
void kr_pool__reset(kr_pool *p);
void *kr_pool__alloc(kr_pool *p, size_t n);           /* zeroed */
void *kr_pool__alloc_raw(kr_pool *p, size_t n);       /* not zeroed */
char *kr_pool__strdup(kr_pool *p, const char *s);
char *kr_pool__strndup(kr_pool *p, const char *s, size_t n);
/* An mpq_init'ed rational cleared when the pool is freed. */
mpq_ptr kr_pool__mpq(kr_pool *p);
/* The rational (neg ? -num : num) / den, given in lowest terms, read-only
 * (made with mpz_roinit_n over limbs in the pool): nothing to initialise
 * or clear, but it must never be written to.  For values that are only
 * read, such as an application's inputs. */
mpq_ptr kr_pool__mpq_word(kr_pool *p, int neg, unsigned long long num,
                          unsigned long long den);

/* ------------------------------------------------------------------ */
/* Values                                                              */

typedef enum { KR_ENT_HOUSEHOLD = 0, KR_ENT_PERSON, KR_ENT_INCOME,
               KR_NENT } kr_entity;

/* Declared types. */
typedef enum {
    KR_TY_MONEY = 0, KR_TY_DECIMAL, KR_TY_INTEGER, KR_TY_BOOLEAN,
    KR_TY_DATE, KR_TY_ENUM, KR_TY_TEXT
} kr_type;

/* Static types of formulas: money and plain numbers are kept apart to
 * catch unit errors; a plain literal mixes with both. */
typedef enum {
    ST_NUM = 0, ST_MONEY, ST_LIT, ST_BOOL, ST_DATE, ST_STR
} kr_stype;

/* Runtime kinds. */
typedef enum { V_NONE = 0, V_NUM, V_BOOL, V_DATE, V_STR } kr_vkind;

typedef struct {
    int kind;          /* kr_vkind */
    int b;             /* V_BOOL */
    kr_date d;         /* V_DATE */
    const char *s;     /* V_STR: owned by the rules, app or result pool */
    mpq_ptr q;         /* V_NUM: points at storage owned by the holder */
} kr_val;

/* ------------------------------------------------------------------ */
/* Formulas                                                            */

typedef enum {
    E_NUM, E_STR, E_BOOL, E_DATE,     /* literals */
    E_REF,                            /* name (input, parameter, value) */
    E_ROLE,                           /* applicant.name */
    E_NEG, E_NOT,
    E_ADD, E_SUB, E_MUL, E_DIV,
    E_EQ, E_NE, E_LT, E_LE, E_GT, E_GE,
    E_AND, E_OR, E_IN, E_IF,
    E_CALL,                           /* built-in function */
    E_SCALE,                          /* scale(x) */
    E_AT,                             /* at(parameter, date) */
    E_AGG,                            /* sum/count/any/all/min/max */
    E_TODAY, E_APPDATE, E_PROLE       /* built-ins; person role */
} kr_ekind;

typedef enum {
    F_MIN, F_MAX, F_ABS, F_ROUND, F_AGE, F_ADD_MONTHS, F_MONTHS_BETWEEN,
    F_YEAR, F_MONTH, F_DAY, F_DAYS_BETWEEN, F_DAYS_IN_MONTH, F_MAKE_DATE
} kr_func;

typedef enum { A_SUM, A_COUNT, A_ANY, A_ALL, A_MIN, A_MAX } kr_agg;

typedef enum { R_APPLICANT = 0, R_SPOUSE, R_CHILD, R_RELATIVE, R_OTHER,
               KR_NROLE } kr_role;

typedef struct kr_sym kr_sym;
typedef struct kr_expr kr_expr;
typedef struct kr_prog kr_prog;

struct kr_expr {
    int kind;              /* kr_ekind */
    int op;                /* kr_func, kr_agg, kr_role */
    int stype;             /* kr_stype, set by the checker */
    unsigned pos;          /* byte offset in the formula, for messages */
    kr_expr **args;
    int nargs;
    kr_expr *where;        /* E_AGG filter, or NULL */
    int ent;               /* E_AGG: entity iterated */
    const char *name;      /* E_REF/E_ROLE/E_SCALE/E_AT before resolution */
    kr_sym *sym;           /* resolved */
    kr_val lit;            /* literals */
    kr_round_mode mode;    /* F_ROUND, resolved at compile time */
    kr_prog *prog;         /* a formula's root: its compiled form, or NULL
                              (a single name or literal; too deep) */
};

/* Where a formula came from, for every message about it. */
typedef struct {
    const char *file;
    unsigned long line;
    const char *text;      /* formula source, for column reports */
} kr_src;

/* ------------------------------------------------------------------ */
/* Symbols                                                             */

typedef enum { SYM_INPUT, SYM_PARAM, SYM_SCALE, SYM_VALUE } kr_symkind;

typedef struct {
    kr_date from, until;   /* inclusive; until = INT32_MAX when open */
    const char *source;
    unsigned long line;
    kr_val v;
} kr_period;

typedef struct {
    int has_above, has_upto;
    mpq_ptr above, upto;
    kr_val v;
} kr_bracket;

typedef struct {
    kr_date from, until;
    const char *source;
    unsigned long line;
    kr_bracket *br;
    int nbr;
} kr_scale_period;

typedef struct {
    kr_expr *when;         /* NULL for <otherwise> */
    kr_expr *expr;
    const char *ref;
    kr_src src;
    kr_src when_src;
} kr_case;

typedef struct {
    const char *value;
    const char *label[2];
} kr_option;

struct kr_sym {
    int kind;              /* kr_symkind */
    const char *id;
    int entity;            /* kr_entity */
    int type;              /* kr_type */
    int stype;             /* kr_stype */
    const char *file;
    unsigned long line;
    const char *ref;
    const char *label[2];  /* pl, en */
    const char *help[2];
    const char *unit;
    const char *default_text; /* input: default= as written */
    const char *options_text; /* input enum: options, space-separated */
    int index;             /* input: index among inputs of its entity;
                              value: memo slot among values of entity;
                              parameter: its number in the rule set */
    /* input */
    int has_default, has_min, has_max;
    kr_val defval, minval, maxval;
    kr_option *opts;
    int nopts;
    /* parameter */
    kr_period *periods;
    int nperiods;
    int overridable;
    const char *override_file;
    unsigned long override_line;
    /* scale */
    kr_scale_period *speriods;
    int nsperiods;
    /* value */
    kr_expr *formula;
    kr_src src;
    kr_case *cases;
    int ncases;
    int unique;            /* cases match="unique" */
    kr_prog *prog;         /* formula or cases compiled; NULL: walked */
    int check_state;       /* 0 new, 1 in progress, 2 done (checker) */
};

/* ------------------------------------------------------------------ */
/* Benefits                                                            */

enum { KR_LANG_PL = 0, KR_LANG_EN = 1 };

/* A reason template compiled: literal text and {formula} holes. */
typedef struct {
    const char *text;        /* the template as written */
    int nholes;
    kr_expr **holes;
    unsigned *hole_start, *hole_end; /* byte offsets of '{' and '}'+1 */
} kr_template;

typedef struct {
    const char *id;
    const char *ref;
    const char *label[2];
    kr_template met[2], unmet[2];
    kr_expr *formula;
    kr_src src;
} kr_cond;

typedef struct {
    const char *id;
    const char *ref;
    const char *label[2];
    kr_expr *formula;
    kr_src src;
} kr_component;

typedef struct {
    const char *id;
    const char *ref;
    const char *name[2];
    const char *file;
    unsigned long line;
    kr_cond *conds;
    int nconds;
    int has_amount;
    const char *amount_ref;
    kr_component *comps;
    int ncomps;
    kr_expr *amount;         /* when a single <formula> */
    kr_src amount_src;
    mpq_ptr round_step;      /* NULL: no rounding */
    unsigned round_decimals; /* digits after the dot of round_step */
    kr_round_mode rounding;
    kr_expr *minimum, *maximum, *range_lo, *range_hi;
    kr_src minimum_src, maximum_src, range_lo_src, range_hi_src;
    int raise_to_minimum;
} kr_benefit;

/* ------------------------------------------------------------------ */
/* Rule set                                                            */

typedef struct {
    const char *id, *version, *file;
    const char *title[2];
} kr_pack;

struct kr_rules {
    kr_pool pool;
    kr_pack *packs;
    int npacks, cappacks;
    kr_sym **syms;           /* in definition order */
    int nsyms, capsyms;
    kr_sym **inputs;         /* the input symbols, in order (compiled) */
    int ninputs_all;
    kr_sym **hash;           /* open addressing over syms by id */
    int hashcap;
    kr_benefit *benefits;
    int nbenefits, capbenefits;
    int ninputs[KR_NENT];    /* inputs per entity */
    int nvalues[KR_NENT];    /* memo slots per entity */
    int nparams;             /* parameters, numbered by kr_sym.index */
    kr_sha256 sha;
    char digest[65];
    int compiled;
    int broken;              /* a file was refused half-way: no compile */
};

kr_sym *kr_rules__find(const kr_rules *r, const char *id);
int kr_rules__add_sym(kr_rules *r, kr_sym *s, kr_error *err);
int kr_rules__load_doc(kr_rules *r, xmlDocPtr doc, const char *file,
                       kr_error *err);
int kr_rules__check(kr_rules *r, kr_error *err);

/* Parse a value of a declared type from text (application, defaults,
 * parameter values, --set).  Strings are copied into pool. */
int kr_value__parse(kr_val *out, kr_pool *pool, int type, const kr_sym *s,
                    const char *text, kr_error *err);

/* ------------------------------------------------------------------ */
/* Formulas: parse (expr.c)                                            */

int kr_expr__parse(kr_expr **out, kr_pool *pool, const char *text,
                   const kr_src *src, kr_error *err);
/* Report a problem at byte `pos` of a formula: file:line plus the
 * column inside the formula. */
int kr_expr__err(kr_error *err, kr_code code, const kr_src *src,
                 unsigned pos, const char *fmt, ...) KR_PRINTF(5, 6);

/* ------------------------------------------------------------------ */
/* Formulas: compiled (code.c)                                         */

/* A formula as a flat list of instructions over a stack of operands
 * (eval.c runs it), so that evaluating a node costs a jump instead of a
 * call.  The tree stays: traces, messages and the rare node kinds that
 * are not compiled (OP_TREE) use it.  Any instruction may first push an
 * immediate operand (km): a literal or a name, read where it is stored;
 * `a + 1` is then two instructions, not three. */
typedef enum {
    OP_END = 0,
    OP_NOP,                  /* only its immediate operand */
    OP_ROLE,                 /* push applicant.name etc. (p: the node) */
    OP_TODAY, OP_APPDATE, OP_PROLE,
    OP_TREE,                 /* push the node p evaluated by the tree */
    OP_AGG_INIT,             /* push the aggregate's start and enter its
                                first item; none: finish, go to arg */
    OP_AGG_ACC,              /* pop an item's value into the aggregate */
    OP_AGG_NEXT,             /* next item: go to arg; none: finish */
    OP_NEG, OP_ABS, OP_NOT, OP_ROUND, /* on the top */
    OP_FN,                   /* date function p of its one or two
                                operands (pop them, push the result) */
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, /* pop b, a; push a op b */
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_MIN, OP_MAX,          /* pop b, a; push the smaller/larger */
    OP_IN,                   /* pop b; if it equals the top, the top
                                becomes true and go to arg */
    OP_FALSE,                /* the top becomes false */
    OP_NOCASE,               /* value p: no case applies (an error) */
    OP_ANDJ, OP_ORJ,         /* top false (true): go to arg keeping it,
                                else pop */
    OP_JF,                   /* pop; false: go to arg */
    OP_JMP
} kr_opcode;

enum { KM_NONE = 0, KM_LIT, KM_VAL, KM_INPUT, KM_PARAM };

typedef struct {
    unsigned char op;        /* kr_opcode */
    unsigned char km;        /* immediate operand: KM_* */
    unsigned char ent;       /* its entity, which picks the instance */
    int arg;                 /* jump target */
    const void *p;           /* the node: messages, aggregates, trees */
    const void *k;           /* immediate: a kr_val or a kr_sym */
} kr_ins;

#define KR_PROG_DEPTH 32     /* deeper formulas are walked as trees */
#define KR_PROG_LOOPS 8      /* aggregates inside aggregates */

struct kr_prog {
    kr_ins *ins;
    int n;
    int depth;               /* operand stack needed */
    int nq;                  /* levels 1..nq-1 need a rational */
    int loops;               /* aggregates nested */
    const kr_src *src;       /* where the formula is, for messages */
    const kr_src **case_src; /* a value's cases: instructions from
                                case_at[i] on come from case_src[i] */
    int *case_at;
    int ncase_src;
};

/* Where the formula of instruction `in` of p was written. */
const kr_src *kr_prog__src(const kr_prog *p, const kr_ins *in);

/* Compile every formula root of a checked rule set. */
int kr_prog__compile_rules(kr_rules *r, kr_error *err);

/* ------------------------------------------------------------------ */
/* Applications                                                        */

typedef struct {
    const char *id;
    int role;                /* kr_role */
    unsigned long line;
    int first_income, nincome;
} kr_person;

typedef struct {
    int person;
    unsigned long line;
} kr_income;

struct kr_app {
    kr_pool pool;
    const char *file;
    const char *id;
    const char *datestr;
    kr_date date;
    const char **requested;
    int nrequested;
    kr_person *persons;
    int npersons;
    kr_income *incomes;
    int nincomes;
    /* inputs per entity: vals[e][inst * ninputs[e] + index] */
    kr_val *vals[KR_NENT];
    unsigned char *set[KR_NENT];
    int ninputs[KR_NENT];
    int role_person[KR_NROLE]; /* index, -1 none, -2 several */
};

int kr_app__from_node(kr_app **out, const kr_rules *rules, xmlNode *root,
                      const char *file, kr_error *err);
extern const char *const kr_role_names[KR_NROLE];

/* Field-by-field construction for batch readers: begin with the counts,
 * add persons in order (each with its number of income items), set
 * inputs (s may be NULL: unknown name), then finish (checks roles).
 * `reuse`: NULL or an application done with, whose memory is taken (and
 * freed on failure). */
int kr_app__begin(kr_app **out, kr_app *reuse, const kr_rules *rules,
                  const char *file,
                  const char *id, const char *date, unsigned long line,
                  int npersons, int nincomes, kr_error *err);
int kr_app__add_person(kr_app *a, const char *id, const char *role,
                       int nincome, unsigned long line, kr_error *err);
int kr_app__set(kr_app *a, const kr_rules *rules, const kr_sym *s, int ent,
                int inst, const char *text, unsigned long line,
                int decimal_comma, kr_error *err);
int kr_app__request(kr_app *a, const kr_rules *rules, const char *id,
                    size_t len, unsigned long line, kr_error *err);
int kr_app__finish(kr_app *a, unsigned long line, kr_error *err);

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

typedef struct {
    const kr_sym *sym;
    int inst;                /* instance, or period index for params */
} kr_dep;

typedef struct {
    unsigned gen;            /* valid only when equal to the result's gen */
    unsigned char state;     /* 0 not computed, 1 computing, 2 done */
    kr_val v;                /* v.q is owned by the slot, kept on reuse */
    kr_dep *deps;
    int ndeps;
} kr_slot;

typedef struct {
    const char *amount, *range_lo, *range_hi;
    const char *error;       /* could not be evaluated: why, else NULL */
    const char *error_text[2]; /* the same for a person, pl and en */
    int granted;
    const char *note[2];
    int *met;
    const char **reason[2];
    kr_dep *deps;            /* trace: what the amount used */
    int ndeps;
    kr_dep **cdeps;          /* per condition */
    int *ncdeps;
} kr_bres;

typedef struct kr_frame kr_frame;

struct kr_result {
    kr_pool pool;
    const kr_rules *rules;
    const kr_app *app;
    kr_date date;
    int date_y, date_m, date_d; /* date as a calendar day, for ages */
    char datestr[11];
    int trace;
    int walk;                 /* KR_EVAL_WALK: no compiled code */
    kr_slot *slots[KR_NENT];  /* values: [inst * nvalues[e] + index] */
    size_t slotcap[KR_NENT];  /* slots kept across kr_eval_reuse: a new
                                 evaluation bumps gen instead of zeroing */
    unsigned gen;
    /* parameter values in force on pdate, by kr_sym.index (NULL: not
     * looked up yet); kept across kr_eval_reuse while the date is the
     * same, since a monthly file mostly has one date */
    const kr_val **pview;
    kr_date pdate;
    int ninst[KR_NENT];
    /* what-if overrides */
    const kr_sym **ov_sym;
    int *ov_inst;             /* -1: parameter / all */
    kr_val *ov_val;
    int nov;
    int *bidx;                /* rules benefit index per result benefit */
    kr_bres *bres;
    int nb;
    kr_frame *frame;          /* innermost trace frame */
    mpq_ptr *tmp;             /* scratch stack (eval.c) */
    int tmp_n, tmp_cap, tmp_top;
    /* why the last evaluation failed, for a clerk's message: the first
     * failure is kept (FAIL_NONE, FAIL_INPUT, FAIL_PERIOD) */
    int fail_kind;
    const kr_sym *fail_sym;
    int fail_inst;
    kr_date fail_date;
    int nerrors;              /* benefits that could not be evaluated */
    kr_error first_error;
};

int kr_eval__sym(kr_result *res, const kr_sym *s, int inst, kr_val *out,
                 kr_error *err);
/* A formula in household scope (reason templates). */
int kr_eval__expr(kr_result *res, const kr_expr *e, const kr_src *src,
                  kr_val *out, kr_error *err);
/* The memo slot of a value, valid for the current evaluation. */
kr_slot *kr_eval__slot(const kr_result *res, const kr_sym *s, int inst);
/* Format a value for a person: money "1 010,00 zł", dates, tak/nie. */
char *kr_eval__human(const kr_val *v, int stype, int lang);

/* An empty value whose number, if any, goes into storage. */
static inline void kr_val__init(kr_val *v, mpq_ptr storage)
{
    v->kind = V_NONE;
    v->b = 0;
    v->d = 0;
    v->s = NULL;
    v->q = storage;
}

#endif
