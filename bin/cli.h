/*
 * cli.h - helpers shared by the kr-* command-line tools.
 *
 * The tools are thin: parse options, call kr_*, format, exit.  Everything
 * they have in common lives here: the program name and error printing,
 * the exit codes (one table for every tool, documented in the man
 * pages), where the default rules are, a growable output buffer with JSON
 * and XML escaping, and the final flush of stdout.
 *
 * Only kryterium.h and libc: no libxml2, no GMP (STYLE.md 6.1).
 *
 * The Makefile is expected to define, as C string literals:
 *   KR_ABS_TOP_BUILDDIR  abs_top_builddir, to recognise an uninstalled run
 *   KR_ABS_TOP_SRCDIR    abs_top_srcdir, whose rules/pl is used then
 *   KR_PKGDATADIR        pkgdatadir, whose rules/pl is used once installed
 * cli.c has fallbacks so that it compiles on its own.
 */
#ifndef KR_CLI_H
#define KR_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "kryterium.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* Exit codes: the same for every tool. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_APP = 1,          /* invalid application */
    CLI_EXIT_USAGE = 2,        /* bad command line */
    CLI_EXIT_IO = 3,           /* cannot read an input / write output */
    CLI_EXIT_RULES = 4,        /* rule (or rule test) file refused */
    CLI_EXIT_EVAL = 5,         /* evaluation failed */
    CLI_EXIT_TESTS_FAILED = 6, /* kr-rules test: a rule test failed */
    CLI_EXIT_INTERNAL = 70     /* internal error, out of memory (EX_SOFTWARE) */
};

/* What the tool was doing when a kr_* call failed: the same kr_code means
 * a different thing for the user in each phase (KR_EPARSE in a rule file
 * is the rule author's problem, in an application the clerk's). */
typedef enum {
    CLI_PHASE_RULES,  /* loading or compiling rules */
    CLI_PHASE_APP,    /* reading the application */
    CLI_PHASE_EVAL,   /* kr_eval */
    CLI_PHASE_TESTS,  /* reading and running a rule test file */
    CLI_PHASE_OUTPUT  /* formatting results (explain, money) */
} cli_phase;

/* The help text's common tail: the exit status table. */
#define CLI_HELP_EXIT_STATUS \
    "Exit status:\n" \
    "  0   success\n" \
    "  1   invalid application (malformed XML, undeclared field, " \
    "bad value)\n" \
    "  2   usage error\n" \
    "  3   I/O error (cannot read an input or write the output)\n" \
    "  4   invalid rules (a rule or test file was refused)\n" \
    "  5   evaluation error (no parameter value in force, " \
    "missing input)\n" \
    "  6   kr-rules test: one or more rule tests failed\n" \
    "  70  internal error or out of memory\n"

/* ------------------------------------------------------------------ */
/* Program name and diagnostics                                        */

/* Set the name used in messages.  A fixed name, not argv[0]: under
 * libtool the binary runs as bin/.libs/lt-kr-calc and messages (and the
 * golden files that check them) must not depend on that. */
void cli_init(const char *name);
const char *cli_prog(void);

/* "prog: file:line:col: message" on stderr, unknown parts left out. */
void cli_error(const kr_error *err);

/* "prog: message" on stderr. */
void cli_errorf(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Exit code for a kr_code returned in a phase. */
int cli_exit_code(cli_phase phase, int code);

/* cli_error() then the exit code for the phase: `return cli_fail(...)`. */
int cli_fail(cli_phase phase, const kr_error *err);

/* "prog: message" and the --help hint on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/*
 * Report a getopt_long() error ('?' or ':') in our own words and return
 * CLI_EXIT_USAGE.  Call with opterr = 0 and an optstring starting with
 * ':': getopt's own messages would print argv[0], which under libtool is
 * the hidden binary's path.
 */
int cli_getopt_error(int c, char *const argv[], const char *optstring);

/* Fill err->file with path when the library left it empty, so that every
 * message names the file it is about. */
void cli_error_set_file(kr_error *err, const char *path);

/*
 * The last thing main() does: flush stdout and turn a write error into
 * CLI_EXIT_IO (so `kr-calc ... > /dev/full` fails).  An earlier error
 * code is kept, except that a clean 0 or "tests failed" 6 does not hide
 * lost output.
 */
int cli_finish(int rc);

/* ------------------------------------------------------------------ */
/* String vectors (repeatable options, path lists)                     */

typedef struct {
    char **v;
    size_t n;
    size_t cap;
} cli_strv;

#define CLI_STRV_INIT { NULL, 0, 0 }

/* Append a copy of s (or of its first len bytes); -1 when out of memory. */
int cli_strv_push(cli_strv *sv, const char *s);
int cli_strv_pushn(cli_strv *sv, const char *s, size_t len);
void cli_strv_free(cli_strv *sv);
/* Sort bytewise (strcmp, never the locale). */
void cli_strv_sort(cli_strv *sv);

/* ------------------------------------------------------------------ */
/* Rules                                                               */

/*
 * The default rule paths: $KR_RULES_PATH (colon-separated, empty parts
 * skipped) if set and not empty; else KR_ABS_TOP_SRCDIR/rules/pl when
 * this executable lies in the build tree; else KR_PKGDATADIR/rules/pl.
 * Returns 0, or -1 when out of memory.
 */
int cli_default_rules(cli_strv *out);

/*
 * kr_rules_new, kr_rules_add_path for each path (the defaults when
 * paths->n is 0), kr_rules_compile.  Returns a kr_code; *out is NULL on
 * failure.
 */
int cli_load_rules(kr_rules **out, const cli_strv *paths, kr_error *err);

/* ------------------------------------------------------------------ */
/* Output buffer                                                       */

/*
 * Output is built in memory and written only once complete, so that a
 * failure half-way (an explain that hits a limit) leaves stdout empty
 * rather than holding half a JSON document.  Errors are sticky: append
 * functions do nothing after the first failure; check cli_buf_failed().
 */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
    int failed; /* 0, or CLI_EXIT_INTERNAL once an append failed */
} cli_buf;

#define CLI_BUF_INIT { NULL, 0, 0, 0 }
#define CLI_BUF_MAX ((size_t)256 * 1024 * 1024)

void cli_buf_free(cli_buf *b);
int cli_buf_failed(const cli_buf *b);
void cli_buf_putn(cli_buf *b, const char *s, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_putc(cli_buf *b, char c);
/* Room for n more bytes (and a NUL) at the end, NULL after a failure:
 * the caller writes them, adds n to b->len and terminates. */
char *cli_buf_room(cli_buf *b, size_t n);
void cli_buf_printf(cli_buf *b, const char *fmt, ...) CLI_PRINTF(2, 3);
/* Each line of text prefixed with `indent`; a final newline ensured. */
void cli_buf_indent(cli_buf *b, const char *text, const char *indent);
/* A JSON string literal with its quotes, or `null` for NULL.  Control
 * characters are escaped, UTF-8 passes through, invalid UTF-8 becomes
 * U+FFFD so the output is always valid JSON. */
void cli_buf_json_str(cli_buf *b, const char *s);
/* XML character data or (attr != 0) an attribute value without quotes:
 * & < > " ' escaped; characters XML 1.0 cannot carry become U+FFFD. */
void cli_buf_xml_str(cli_buf *b, const char *s, int attr);
/* An exact decimal formatted for people by kr_format_money. */
int cli_buf_money(cli_buf *b, const char *decimal, const char *lang,
                  kr_error *err);
/* A "YYYY-MM-DD" date for people: "10.03.2025 r." (pl), as is (en). */
void cli_buf_date(cli_buf *b, const char *iso, const char *lang);
/* Write the buffer to f (errors surface in cli_finish). */
void cli_buf_write(const cli_buf *b, FILE *f);
/* The whole buffer to f, or, when an append failed, nothing and "out of
 * memory" on standard error: CLI_EXIT_OK or CLI_EXIT_INTERNAL. */
int cli_buf_emit(const cli_buf *b, FILE *f);

/* ------------------------------------------------------------------ */
/* Small checks                                                        */

/* 1 when s is a valid calendar date "YYYY-MM-DD" (Gregorian), else 0. */
int cli_valid_date(const char *s);

#endif
