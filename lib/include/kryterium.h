/*
 * kryterium.h - the one public header of libkryterium.
 *
 * libkryterium loads benefit rules from XML rule files, checks them, and
 * evaluates them on a household with exact decimal arithmetic, producing
 * eligibility, amounts and a trace of why.
 *
 * Ownership
 *  1. A `T **out` parameter: on success the caller owns *out and frees it
 *     with kr_T_free(); on failure *out is set to NULL.
 *  2. A function that returns a pointer lends it: it stays valid until the
 *     object named in its comment (the parent) is freed.
 *  3. Strings handed over as `char **out` are freed with kr_free().
 *  4. kr_*_free(NULL) does nothing.
 *  5. Inputs are never consumed: what the library keeps, it copies.
 *
 * Errors
 *  Every function that can fail returns KR_OK (0) or a negative kr_code and
 *  fills the caller's kr_error (which may be NULL).  The first error wins:
 *  a cleanup path never overwrites the root cause.  The library never
 *  prints and never exits.
 *
 * Threads
 *  A kr_rules is immutable once kr_rules_compile() succeeded and may be
 *  shared by any number of threads evaluating at once.  kr_app and
 *  kr_result belong to one thread at a time.  The first kr_rules_new()
 *  initialises libxml2 once (pthread_once); libkryterium never calls
 *  xmlCleanupParser().
 *
 * Numbers
 *  Amounts cross this interface as exact decimal strings with a dot
 *  ("1010.00"), never as floating point; a value with no finite decimal
 *  expansion is written as a reduced fraction ("2000/3").
 */
#ifndef KRYTERIUM_H
#define KRYTERIUM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KR_VERSION "0.1.0"

typedef enum {
    KR_OK = 0,
    KR_ERROR = -1,     /* internal error */
    KR_ENOMEM = -2,    /* out of memory */
    KR_EIO = -3,       /* a file could not be opened or read */
    KR_EPARSE = -4,    /* malformed XML, number, date or formula */
    KR_EINVALID = -5,  /* well-formed but wrong: unknown name, bad type,
                          overlapping periods, value out of bounds ... */
    KR_ELIMIT = -6,    /* a size, depth or precision cap was hit */
    KR_EDIVZERO = -7,  /* a formula divided by zero */
    KR_ENOTFOUND = -8, /* no such benefit, value or parameter */
    KR_EEVAL = -9      /* evaluation failed: no parameter value in force,
                          a required input missing, overlapping cases */
} kr_code;

#define KR_ERROR_MSG_SIZE 512

/* Transparent on purpose: it lives on the caller's stack. */
typedef struct {
    kr_code code;
    int sys_errno;             /* errno for KR_EIO, else 0 */
    char file[256];            /* file being read, "" when none */
    unsigned long line;        /* 0 = unknown */
    unsigned long column;      /* 0 = unknown */
    char msg[KR_ERROR_MSG_SIZE];
} kr_error;

#define KR_ERROR_INIT { KR_OK, 0, "", 0, 0, "" }

/** Reset an error to KR_ERROR_INIT. */
void kr_error_clear(kr_error *err);

/** Short English name of a code ("invalid", "parse error", ...). */
const char *kr_code_name(int code);

/** Free a string the library handed over through `char **out`. */
void kr_free(void *p);

/** Version string of the library, KR_VERSION at build time. */
const char *kr_version(void);

/* ------------------------------------------------------------------ */
/* Rule sets                                                           */

typedef struct kr_rules kr_rules;

/** Create an empty rule set. */
int kr_rules_new(kr_rules **out, kr_error *err);

/**
 * Add a rule file, or every `*.xml` rule file directly inside a directory
 * (sorted by name; subdirectories are not entered).  Files whose root is
 * not <rules> (test files) are skipped in a directory and refused when
 * named directly.  Later files may override earlier parameters only
 * through an explicit <override>.
 * @return KR_OK, KR_EIO, KR_EPARSE, KR_EINVALID or KR_ELIMIT with the file
 *         and line in err.
 */
int kr_rules_add_path(kr_rules *rules, const char *path, kr_error *err);

/** Add a rule file held in memory; `name` is used in messages. */
int kr_rules_add_memory(kr_rules *rules, const char *name,
                        const char *buf, size_t len, kr_error *err);

/**
 * Resolve references, check types and units, find cycles and compile the
 * formulas.  After success the rule set is immutable and thread-safe; no
 * more files can be added.
 */
int kr_rules_compile(kr_rules *rules, kr_error *err);

void kr_rules_free(kr_rules *rules);

/** SHA-256 (hex) over the loaded files' bytes in load order. */
const char *kr_rules_digest(const kr_rules *rules);

/** Loaded packs (one per file): id, version and file name, borrowed. */
size_t kr_rules_pack_count(const kr_rules *rules);
const char *kr_rules_pack_id(const kr_rules *rules, size_t i);
const char *kr_rules_pack_version(const kr_rules *rules, size_t i);
const char *kr_rules_pack_file(const kr_rules *rules, size_t i);

/** Benefits the rule set defines, in load order. */
size_t kr_rules_benefit_count(const kr_rules *rules);
const char *kr_rules_benefit_id(const kr_rules *rules, size_t i);
/** Name in `lang` ("pl", "en"), falling back to Polish, then the id. */
const char *kr_rules_benefit_name(const kr_rules *rules, size_t i,
                                  const char *lang);

/** Inputs an application may give, in definition order (compiled rules):
 *  id, entity ("household", "person" or "income"), type ("money",
 *  "decimal", "integer", "boolean", "date", "enum", "text"), label in lang,
 *  default value as text or NULL when the input is required where used,
 *  and for an enum its options separated by spaces.  All borrowed. */
size_t kr_rules_input_count(const kr_rules *rules);
const char *kr_rules_input_id(const kr_rules *rules, size_t i);
const char *kr_rules_input_entity(const kr_rules *rules, size_t i);
const char *kr_rules_input_type(const kr_rules *rules, size_t i);
const char *kr_rules_input_label(const kr_rules *rules, size_t i,
                                 const char *lang);
const char *kr_rules_input_default(const kr_rules *rules, size_t i);
const char *kr_rules_input_options(const kr_rules *rules, size_t i);

/* ------------------------------------------------------------------ */
/* Applications                                                        */

typedef struct kr_app kr_app;

/**
 * Read an application file.  The rule set (compiled) says which inputs
 * exist and their types; anything else is an error naming the file, line
 * and field.
 */
int kr_app_parse_file(kr_app **out, const kr_rules *rules, const char *path,
                      kr_error *err);

/** Same from memory; `name` is used in messages. */
int kr_app_parse_memory(kr_app **out, const kr_rules *rules,
                        const char *name, const char *buf, size_t len,
                        kr_error *err);

void kr_app_free(kr_app *app);

/** Application id ("" if none), borrowed from app. */
const char *kr_app_id(const kr_app *app);
/** Application date as "YYYY-MM-DD", borrowed from app. */
const char *kr_app_date(const kr_app *app);
/** Benefits the application asks for (may be none = all). */
size_t kr_app_requested_count(const kr_app *app);
const char *kr_app_requested(const kr_app *app, size_t i);

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

typedef struct kr_result kr_result;

#define KR_EVAL_TRACE 1u /* record what each value was computed from */
/* Walk the formula trees instead of running their compiled code: the
 * same results, slower; the reference the compiled code is checked
 * against (rule tests run both). */
#define KR_EVAL_WALK 2u

typedef struct {
    unsigned version;          /* KR_EVAL_OPTS_VERSION */
    const char *date;          /* "YYYY-MM-DD"; NULL = application date */
    const char *const *benefits; /* ids to evaluate; NULL/0 = those the
                                    application asks for, else all */
    size_t nbenefits;
    const char *const *set;    /* what-if overrides "name=value":
                                  a parameter, a household input, or
                                  "PERSON_ID.input" */
    size_t nset;
    unsigned flags;            /* KR_EVAL_* */
} kr_eval_opts;

#define KR_EVAL_OPTS_VERSION 1
#define KR_EVAL_OPTS_INIT { KR_EVAL_OPTS_VERSION, NULL, NULL, 0, NULL, 0, 0 }

/**
 * Evaluate the benefits on an application.  The result borrows rules and
 * app: both must outlive it.  Evaluation is lazy and
 * memoized; the result keeps the evaluation state so that further named
 * values can be asked for with kr_result_value().
 * A benefit that cannot be decided (a needed input missing, no parameter
 * value in force on the date) does not fail the evaluation: see
 * kr_result_benefit_error().
 * @return KR_OK; KR_ENOTFOUND for an unknown benefit or --set name,
 *         KR_EINVALID for a --set value of the wrong type, KR_ENOMEM.
 */
int kr_eval(kr_result **out, const kr_rules *rules, const kr_app *app,
            const kr_eval_opts *opts, kr_error *err);

/**
 * Like kr_eval(), but recycles *res, a result of an earlier evaluation
 * over the same rules that the caller no longer needs (or NULL): its
 * memory and numbers are reused, which is what a batch wants.  Whatever
 * was borrowed from the old result becomes invalid.  On failure *res is
 * freed and set to NULL.
 */
int kr_eval_reuse(kr_result **res, const kr_rules *rules, const kr_app *app,
                  const kr_eval_opts *opts, kr_error *err);

void kr_result_free(kr_result *res);

/** Evaluation date "YYYY-MM-DD", borrowed from res. */
const char *kr_result_date(const kr_result *res);

size_t kr_result_benefit_count(const kr_result *res);
const char *kr_result_benefit_id(const kr_result *res, size_t i);
const char *kr_result_benefit_name(const kr_result *res, size_t i,
                                   const char *lang);
/** Legal basis of the benefit ("" if none), borrowed. */
const char *kr_result_benefit_ref(const kr_result *res, size_t i);
/** 1 granted, 0 not. */
int kr_result_benefit_granted(const kr_result *res, size_t i);
/** Amount as an exact decimal string ("713.00"); "0.00"-style zero when
 *  not granted; NULL when the benefit defines no amount. */
const char *kr_result_benefit_amount(const kr_result *res, size_t i);
/** Lower and upper bound of the range the office may grant within, or
 *  NULL when the benefit defines no range or is not granted. */
const char *kr_result_benefit_range_min(const kr_result *res, size_t i);
const char *kr_result_benefit_range_max(const kr_result *res, size_t i);
/** Why an eligible benefit pays nothing or was capped/raised, in lang;
 *  "" when there is nothing to say.  Borrowed from res. */
const char *kr_result_benefit_note(const kr_result *res, size_t i,
                                   const char *lang);

/**
 * Why benefit i could not be decided on this application ("file:line:
 * message": a needed input is missing, no parameter value is in force on
 * the date, a division by zero), or NULL when it was.  Such a benefit is
 * not granted and has no amount and no conditions; the other benefits of
 * the result are unaffected.
 */
const char *kr_result_benefit_error(const kr_result *res, size_t i);

/** The same for a clerk, in lang: what is missing, by its label ("Wniosek
 *  nie zawiera danej „Płeć” (plec) osoby p1 …"); the technical message
 *  when there is nothing better to say; NULL when benefit i was decided.
 *  Borrowed from res. */
const char *kr_result_benefit_error_text(const kr_result *res, size_t i,
                                         const char *lang);

/** How many benefits could not be decided; the first one's error is
 *  copied into *first when first is not NULL. */
size_t kr_result_error_count(const kr_result *res, kr_error *first);

size_t kr_result_condition_count(const kr_result *res, size_t i);
const char *kr_result_condition_id(const kr_result *res, size_t i,
                                   size_t j);
/** Label of the condition in lang, borrowed. */
const char *kr_result_condition_label(const kr_result *res, size_t i,
                                      size_t j, const char *lang);
const char *kr_result_condition_ref(const kr_result *res, size_t i,
                                    size_t j);
int kr_result_condition_met(const kr_result *res, size_t i, size_t j);
/** The reason with the figures filled in, in lang, borrowed from res. */
const char *kr_result_condition_reason(const kr_result *res, size_t i,
                                       size_t j, const char *lang);

/**
 * Value of any named input, parameter or value, evaluated now if it was
 * not yet.  `name` is "id" for a household-level name, "PERSON_ID.id" for
 * a per-person one.  *out is an exact decimal, "true"/"false", a date
 * "YYYY-MM-DD" or text; borrowed from res.
 */
int kr_result_value(const char **out, kr_result *res, const char *name,
                    kr_error *err);

/**
 * The trace of benefit i as an indented tree, one figure a line, with
 * values, parameter validity periods, sources and legal references, in
 * lang.  Needs KR_EVAL_TRACE.  Free *out with kr_free().
 */
int kr_result_explain(char **out, const kr_result *res, size_t i,
                      const char *lang, kr_error *err);

/**
 * Format an exact decimal string for a person to read:
 * "pl": "1 010,00 zł"; "en": "PLN 1,010.00".  Fractions ("2000/3") are
 * shown rounded half-up to the grosz.  Free *out with kr_free().
 */
int kr_format_money(char **out, const char *decimal, const char *lang,
                    kr_error *err);

/* ------------------------------------------------------------------ */
/* Reading many applications (batch files)                             */

typedef struct kr_reader kr_reader;

typedef enum {
    KR_INPUT_AUTO = 0, /* from the content: '<' starts XML, else CSV */
    KR_INPUT_CSV,
    KR_INPUT_XML
} kr_input_format;

typedef struct {
    unsigned version;       /* KR_READER_OPTS_VERSION */
    int format;             /* kr_input_format */
    int decimal_comma;      /* CSV: accept 1010,00 for money and decimals */
} kr_reader_opts;

#define KR_READER_OPTS_VERSION 1
#define KR_READER_OPTS_INIT { KR_READER_OPTS_VERSION, KR_INPUT_AUTO, 0 }

/** Returned by kr_reader_next() at the end of the input. */
#define KR_DONE 1

/**
 * Read applications one at a time from a file descriptor (a file or a
 * pipe: the reader never seeks), in constant memory.
 *
 * CSV (RFC 4180, UTF-8, header row): one row per person; the rows of an
 * application are consecutive and share `application_id`.  Columns:
 * application_id, date, role (required), person_id, benefits (ids
 * separated by spaces), every household and person input of the rules by
 * its name, and income items as income.N.input (N = 1..99).  A household
 * input may be repeated on every row of the application but must agree.
 *
 * XML: a root element (any name) whose children are <application>
 * elements in the format of single applications, read with libxml2's
 * streaming reader, never as a whole tree.
 *
 * `name` is used in messages.  The reader does not close fd.
 */
int kr_reader_new(kr_reader **out, const kr_rules *rules, int fd,
                  const char *name, const kr_reader_opts *opts,
                  kr_error *err);

/**
 * The next application.
 * @return KR_OK with *app set (the caller frees it with kr_app_free);
 *         KR_DONE at the end of the input;
 *         a negative code for a bad record: err names the line and field,
 *         kr_reader_record_id() its application id, and the record has
 *         been skipped, so the caller may call again, unless
 *         kr_reader_fatal() is true (malformed XML structure, a bad CSV
 *         header, an I/O error), after which nothing more can be read.
 */
int kr_reader_next(kr_reader *rd, kr_app **app, kr_error *err);

/**
 * The same stream split into records without checking them, so that
 * several threads can build (kr_record_build) and evaluate them while one
 * thread reads: the parallel batch path.  Return values as for
 * kr_reader_next (a record refused while splitting, e.g. too many
 * persons, is a negative code with kr_reader_fatal() false).  *rec is
 * NULL or a record the caller is done with: its memory is reused for the
 * next one, or freed.
 */
typedef struct kr_record kr_record;
int kr_reader_next_record(kr_reader *rd, kr_record **rec, kr_error *err);
/** Build the application of a record: thread-safe for any number of
 *  threads over one reader; the same checks and messages as
 *  kr_reader_next.  The reader must outlive the call.  *out is NULL or
 *  an application the caller is done with (no result still borrows it):
 *  its memory is reused for the new one, or freed. */
int kr_record_build(kr_app **out, const kr_reader *rd, const kr_record *rec,
                    kr_error *err);
const char *kr_record_id(const kr_record *rec);
unsigned long kr_record_line(const kr_record *rec);
void kr_record_free(kr_record *rec);

/** Application id of the record last returned or refused ("" if none). */
const char *kr_reader_record_id(const kr_reader *rd);
/** First input line of that record. */
unsigned long kr_reader_record_line(const kr_reader *rd);
int kr_reader_fatal(const kr_reader *rd);
/** The format detected or given (KR_INPUT_CSV or KR_INPUT_XML). */
int kr_reader_format(const kr_reader *rd);
void kr_reader_free(kr_reader *rd);

/* ------------------------------------------------------------------ */
/* Exact sums of amounts (summaries)                                   */

typedef struct kr_sum kr_sum;

int kr_sum_new(kr_sum **out, kr_error *err);
void kr_sum_free(kr_sum *sum);
/** Add an exact decimal string ("713.00", or a fraction "2000/3"). */
int kr_sum_add(kr_sum *sum, const char *decimal, kr_error *err);
/** Add another sum into this one. */
void kr_sum_merge(kr_sum *sum, const kr_sum *other);
/** The total as an exact decimal with at least 2 decimals; free with
 *  kr_free(). */
int kr_sum_total(char **out, const kr_sum *sum, kr_error *err);
/** The total divided by n, rounded half-up to `decimals` digits. */
int kr_sum_mean(char **out, const kr_sum *sum, unsigned long n,
                unsigned decimals, kr_error *err);

/* ------------------------------------------------------------------ */
/* Rule tests                                                          */

typedef struct kr_test_report kr_test_report;

/**
 * Run the rule tests in one test file (root element <tests>).  The rule
 * files the test file names (attribute rules=, relative to the test
 * file) are loaded unless `rules` is given, which is then used instead.
 */
int kr_tests_run_file(kr_test_report **out, const char *path,
                      const kr_rules *rules, kr_error *err);

void kr_test_report_free(kr_test_report *rep);

size_t kr_test_report_count(const kr_test_report *rep);
const char *kr_test_report_id(const kr_test_report *rep, size_t i);
/** Where the expected figures come from (the test's source=). */
const char *kr_test_report_source(const kr_test_report *rep, size_t i);
int kr_test_report_passed(const kr_test_report *rep, size_t i);
/** For a failed test: expected versus got, one per line, then the trace
 *  of the benefits concerned; "" for a passed test.  Borrowed. */
const char *kr_test_report_detail(const kr_test_report *rep, size_t i);

#ifdef __cplusplus
}
#endif
#endif
