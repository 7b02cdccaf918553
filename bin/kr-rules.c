/*
 * kr-rules - work on rule files: run their tests, or check that they
 * load.
 *
 *   kr-rules test [-r PATH]... [-v] [FILE|DIR]...
 *   kr-rules check [PATH]...
 *   kr-rules columns [-r PATH]... [--lang pl|en]
 *
 * Finding test files needs no XML here: every *.xml under a directory is
 * handed to kr_tests_run_file(), which answers KR_ENOTFOUND when the root
 * is not <tests> (a rule file, an application); that file is skipped.
 */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* lstat */
#endif

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define RULES_CONTINUE (-1) /* option parsing: go on */

/* State of one `kr-rules test` run. */
typedef struct {
    const kr_rules *rules; /* -r: use these instead of the files' own */
    int verbose;
    unsigned long passed;
    unsigned long failed;
    unsigned long files;   /* test files run */
    int rc;                /* first hard error's exit code, 0 if none */
} test_run;

static const char optstring_main[] = "+:hV";
static const char optstring_test[] = ":r:vh";
static const char optstring_check[] = ":h";
static const char optstring_columns[] = ":r:h";

static const struct option long_main[] = {
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
};

static const struct option long_test[] = {
    { "rules", required_argument, NULL, 'r' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static const struct option long_check[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static const struct option long_columns[] = {
    { "rules", required_argument, NULL, 'r' },
    { "lang", required_argument, NULL, 'L' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static void print_help(void)
{
    printf("Usage: kr-rules COMMAND [OPTIONS] [ARGS]\n"
           "Run the tests of rule files, or check that rule files load.\n"
           "\n"
           "Commands:\n"
           "  test [FILE|DIR]...   run every rule test file (root <tests>)"
           "\n"
           "                       found in the FILEs and, recursively, "
           "DIRs;\n"
           "                       default: the default rule paths\n"
           "  check [PATH]...      load and compile rule files or "
           "directories;\n"
           "                       print each pack and the SHA-256 digest;"
           "\n"
           "                       default: the default rule paths\n"
           "  columns              print a Markdown table of the CSV "
           "columns\n"
           "                       kr-batch accepts with the rules\n"
           "\n"
           "Options of test:\n"
           "  -r, --rules PATH     run against these rules (repeatable) "
           "instead\n"
           "                       of those each test file names\n"
           "  -v, --verbose        show the source of passed tests too\n"
           "\n"
           "Options of columns:\n"
           "  -r, --rules PATH     these rules (repeatable) instead of the "
           "default\n"
           "      --lang pl|en     language of the labels (default pl)\n"
           "\n"
           "Options:\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "Default rule paths: $KR_RULES_PATH (colon-separated), else the"
           " installed\n"
           "rules/pl.\n"
           "\n"
           "%s", CLI_HELP_EXIT_STATUS);
}

/* Restart getopt for a command's own options.  glibc needs optind = 0
 * for a full reset; elsewhere 1 is the POSIX way. */
static void getopt_reset(void)
{
#ifdef __GLIBC__
    optind = 0;
#else
    optind = 1;
#endif
}

/* ------------------------------------------------------------------ */
/* Finding test files                                                  */

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s);
    size_t lx = strlen(suffix);

    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* dir + "/" + name, malloc'd; without doubling a trailing slash. */
static char *path_join(const char *dir, const char *name)
{
    size_t ld = strlen(dir);
    size_t ln = strlen(name);
    char *p;

    while (ld > 1 && dir[ld - 1] == '/') {
        ld--;
    }
    p = malloc(ld + ln + 2);
    if (p != NULL) {
        memcpy(p, dir, ld);
        p[ld] = '/';
        memcpy(p + ld + 1, name, ln + 1);
    }
    return p;
}

/*
 * Collect every *.xml under dir.  Skipped: hidden entries (.git, editor
 * droppings), directories named `schema` (XSDs are XML but not tests)
 * and symbolic links to directories (no loops).  Returns 0 or an exit
 * code (the walk goes on after an unreadable subdirectory).
 */
static int walk(cli_strv *files, const char *dir)
{
    cli_strv subdirs = CLI_STRV_INIT;
    struct dirent *e;
    DIR *d = opendir(dir);
    size_t i;
    int rc = 0;

    if (d == NULL) {
        cli_errorf("%s: %s", dir, strerror(errno));
        return CLI_EXIT_IO;
    }
    while ((e = readdir(d)) != NULL && rc != CLI_EXIT_INTERNAL) {
        struct stat st;
        char *path;

        if (e->d_name[0] == '.') {
            continue;
        }
        if ((path = path_join(dir, e->d_name)) == NULL) {
            rc = CLI_EXIT_INTERNAL;
            break;
        }
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (strcmp(e->d_name, "schema") != 0 &&
                cli_strv_push(&subdirs, path) < 0) {
                rc = CLI_EXIT_INTERNAL;
            }
        } else if (ends_with(e->d_name, ".xml") && stat(path, &st) == 0 &&
                   S_ISREG(st.st_mode) && cli_strv_push(files, path) < 0) {
            rc = CLI_EXIT_INTERNAL;
        }
        free(path);
    }
    closedir(d);
    for (i = 0; i < subdirs.n && rc != CLI_EXIT_INTERNAL; i++) {
        int r = walk(files, subdirs.v[i]);

        if (rc == 0) {
            rc = r;
        }
    }
    cli_strv_free(&subdirs);
    if (rc == CLI_EXIT_INTERNAL) {
        cli_errorf("out of memory");
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Running tests                                                       */

static void report_print(test_run *run, const char *path,
                         const kr_test_report *rep)
{
    cli_buf out = CLI_BUF_INIT;
    size_t i;
    size_t n = kr_test_report_count(rep);

    cli_buf_printf(&out, "# %s\n", path);
    for (i = 0; i < n; i++) {
        const char *id = kr_test_report_id(rep, i);
        const char *src = kr_test_report_source(rep, i);
        int has_src = src != NULL && src[0] != '\0';

        if (kr_test_report_passed(rep, i)) {
            run->passed++;
            cli_buf_printf(&out, "ok %s", id);
            if (run->verbose && has_src) {
                cli_buf_printf(&out, " (%s)", src);
            }
            cli_buf_putc(&out, '\n');
            continue;
        }
        run->failed++;
        cli_buf_printf(&out, "FAIL %s", id);
        if (has_src) {
            cli_buf_printf(&out, " (%s)", src);
        }
        cli_buf_putc(&out, '\n');
        cli_buf_indent(&out, kr_test_report_detail(rep, i), "  ");
    }
    if (cli_buf_failed(&out)) {
        cli_errorf("out of memory");
        run->rc = run->rc != 0 ? run->rc : CLI_EXIT_INTERNAL;
    }
    cli_buf_write(&out, stdout);
    cli_buf_free(&out);
}

/* Run one file.  `named`: the user named it (or it came from a walk). */
static void run_file(test_run *run, const char *path, int named)
{
    kr_error err = KR_ERROR_INIT;
    kr_test_report *rep = NULL;
    int rc = kr_tests_run_file(&rep, path, run->rules, &err);

    if (rc == KR_ENOTFOUND && !named) {
        return; /* not a test file: a rule pack, an application */
    }
    if (rc < 0) {
        cli_error_set_file(&err, path);
        rc = cli_fail(CLI_PHASE_TESTS, &err);
        run->rc = run->rc != 0 ? run->rc : rc;
        return;
    }
    run->files++;
    report_print(run, path, rep);
    kr_test_report_free(rep);
}

/* A FILE or DIR argument; `named`: given on the command line. */
static void run_path(test_run *run, const char *path, int named)
{
    cli_strv files = CLI_STRV_INIT;
    struct stat st;
    size_t i;
    int rc;

    if (stat(path, &st) != 0) {
        cli_errorf("%s: %s", path, strerror(errno));
        run->rc = run->rc != 0 ? run->rc : CLI_EXIT_IO;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(run, path, named);
        return;
    }
    rc = walk(&files, path);
    if (rc != 0 && run->rc == 0) {
        run->rc = rc;
    }
    /* Bytewise order: the same output on every machine and locale. */
    cli_strv_sort(&files);
    for (i = 0; i < files.n && run->rc != CLI_EXIT_INTERNAL; i++) {
        run_file(run, files.v[i], 0);
    }
    cli_strv_free(&files);
}

static int test_paths(test_run *run, int argc, char *argv[])
{
    cli_strv defaults = CLI_STRV_INIT;
    int i;

    if (optind < argc) {
        for (i = optind; i < argc && run->rc != CLI_EXIT_INTERNAL; i++) {
            run_path(run, argv[i], 1);
        }
        return 0;
    }
    if (cli_default_rules(&defaults) < 0) {
        cli_errorf("out of memory");
        return CLI_EXIT_INTERNAL;
    }
    /* Default paths are rule paths: a rule file there is not an error. */
    for (i = 0; (size_t)i < defaults.n; i++) {
        run_path(run, defaults.v[i], 0);
    }
    cli_strv_free(&defaults);
    return 0;
}

static int cmd_test(int argc, char *argv[])
{
    test_run run = { NULL, 0, 0, 0, 0, 0 };
    cli_strv paths = CLI_STRV_INIT;
    kr_error err = KR_ERROR_INIT;
    kr_rules *rules = NULL;
    int c;
    int rc = RULES_CONTINUE;

    getopt_reset();
    while (rc == RULES_CONTINUE &&
           (c = getopt_long(argc, argv, optstring_test, long_test,
                            NULL)) != -1) {
        if (c == 'h') {
            print_help();
            rc = CLI_EXIT_OK;
        } else if (c == 'v') {
            run.verbose = 1;
        } else if (c == 'r') {
            if (cli_strv_push(&paths, optarg) < 0) {
                cli_errorf("out of memory");
                rc = CLI_EXIT_INTERNAL;
            }
        } else {
            rc = cli_getopt_error(c, argv, optstring_test);
        }
    }
    if (rc == RULES_CONTINUE && paths.n > 0) {
        /* Loaded once, shared by every test file. */
        if (cli_load_rules(&rules, &paths, &err) < 0) {
            rc = cli_fail(CLI_PHASE_RULES, &err);
        }
        run.rules = rules;
    }
    if (rc == RULES_CONTINUE && (rc = test_paths(&run, argc, argv)) == 0) {
        if (run.files == 0 && run.rc == 0) {
            cli_errorf("warning: no rule test files found");
        }
        printf("%lu passed, %lu failed\n", run.passed, run.failed);
        rc = run.rc != 0 ? run.rc
                         : (run.failed > 0 ? CLI_EXIT_TESTS_FAILED : 0);
    }
    kr_rules_free(rules);
    cli_strv_free(&paths);
    return rc;
}

/* ------------------------------------------------------------------ */
/* check                                                               */

static int cmd_check(int argc, char *argv[])
{
    cli_strv paths = CLI_STRV_INIT;
    kr_error err = KR_ERROR_INIT;
    kr_rules *rules = NULL;
    size_t i;
    int c;
    int rc = RULES_CONTINUE;

    getopt_reset();
    while (rc == RULES_CONTINUE &&
           (c = getopt_long(argc, argv, optstring_check, long_check,
                            NULL)) != -1) {
        if (c == 'h') {
            print_help();
            rc = CLI_EXIT_OK;
        } else {
            rc = cli_getopt_error(c, argv, optstring_check);
        }
    }
    for (; rc == RULES_CONTINUE && optind < argc; optind++) {
        if (cli_strv_push(&paths, argv[optind]) < 0) {
            cli_errorf("out of memory");
            rc = CLI_EXIT_INTERNAL;
        }
    }
    if (rc == RULES_CONTINUE) {
        if (cli_load_rules(&rules, &paths, &err) < 0) {
            rc = cli_fail(CLI_PHASE_RULES, &err);
        } else {
            for (i = 0; i < kr_rules_pack_count(rules); i++) {
                printf("%s %s %s\n", kr_rules_pack_id(rules, i),
                       kr_rules_pack_version(rules, i),
                       kr_rules_pack_file(rules, i));
            }
            printf("sha256 %s\n", kr_rules_digest(rules));
            rc = CLI_EXIT_OK;
        }
    }
    kr_rules_free(rules);
    cli_strv_free(&paths);
    return rc;
}

/* ------------------------------------------------------------------ */
/* columns                                                             */

/* A Markdown table cell: '|' escaped, line breaks as spaces. */
static void md_cell(cli_buf *b, const char *s)
{
    cli_buf_puts(b, " ");
    for (; s != NULL && *s != '\0'; s++) {
        if (*s == '|') {
            cli_buf_puts(b, "\\|");
        } else if (*s == '\n' || *s == '\r' || *s == '\t') {
            cli_buf_putc(b, ' ');
        } else {
            cli_buf_putc(b, *s);
        }
    }
    cli_buf_puts(b, " |");
}

/* Space-separated words as code spans: `a`, `b`. */
static void md_code_list(cli_buf *b, const char *words)
{
    const char *p = words;
    int first = 1;

    if (p == NULL || p[strspn(p, " ")] == '\0') {
        cli_buf_puts(b, " |");
        return;
    }
    cli_buf_puts(b, " ");
    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, " ");

        if (n > 0) {
            cli_buf_puts(b, first ? "`" : ", `");
            cli_buf_putn(b, p, n);
            cli_buf_putc(b, '`');
            first = 0;
        }
        p += n;
        p += strspn(p, " ");
    }
    cli_buf_puts(b, " |");
}

static void md_row(cli_buf *b, const char *column, const char *entity,
                   const char *type, const char *def, const char *options,
                   const char *label)
{
    cli_buf_puts(b, "| `");
    cli_buf_puts(b, column);
    cli_buf_puts(b, "` |");
    md_cell(b, entity);
    md_cell(b, type);
    md_cell(b, def != NULL ? def : "\xE2\x80\x94"); /* em dash: required */
    md_code_list(b, options);
    md_cell(b, label);
    cli_buf_putc(b, '\n');
}

/* The columns every CSV may have, whatever the rules: the application's
 * and the person's own fields (see kr_reader_new in kryterium.h). */
static void columns_fixed(cli_buf *b, int en)
{
    md_row(b, "application_id", "application", "text", NULL, NULL,
           en ? "Application reference; the same on every row of one "
                "application"
              : "Znak sprawy wniosku; ten sam we wszystkich wierszach "
                "jednego wniosku");
    md_row(b, "date", "application", "date", NULL, NULL,
           en ? "Application date (YYYY-MM-DD); the same on every row"
              : "Data wniosku (RRRR-MM-DD); ta sama we wszystkich "
                "wierszach");
    md_row(b, "person_id", "person", "text", "p1, p2, \xE2\x80\xA6", NULL,
           en ? "Person's id within the application (default: row number)"
              : "Identyfikator osoby we wniosku (domy\xC5\x9Blnie: numer "
                "wiersza)");
    md_row(b, "role", "person", "enum", NULL,
           "applicant spouse child relative other",
           en ? "Role in the household; exactly one applicant"
              : "Rola w gospodarstwie domowym; dok\xC5\x82" "adnie jeden "
                "wnioskodawca");
    md_row(b, "benefits", "application", "text",
           en ? "(all)" : "(wszystkie)", NULL,
           en ? "Benefits applied for: ids separated by spaces, on the "
                "first row that has them"
              : "Wnioskowane \xC5\x9Bwiadczenia: identyfikatory "
                "rozdzielone spacjami, z pierwszego wiersza, kt\xC3\xB3ry "
                "je podaje");
}

static int cmd_columns(int argc, char *argv[])
{
    static const char *const entities[] = { "household", "person",
                                            "income" };
    cli_strv paths = CLI_STRV_INIT;
    kr_error err = KR_ERROR_INIT;
    kr_rules *rules = NULL;
    cli_buf out = CLI_BUF_INIT;
    const char *lang = "pl";
    size_t i, n;
    int c, e;
    int rc = RULES_CONTINUE;

    getopt_reset();
    while (rc == RULES_CONTINUE &&
           (c = getopt_long(argc, argv, optstring_columns, long_columns,
                            NULL)) != -1) {
        if (c == 'h') {
            print_help();
            rc = CLI_EXIT_OK;
        } else if (c == 'r') {
            if (cli_strv_push(&paths, optarg) < 0) {
                cli_errorf("out of memory");
                rc = CLI_EXIT_INTERNAL;
            }
        } else if (c == 'L') {
            if (strcmp(optarg, "pl") != 0 && strcmp(optarg, "en") != 0) {
                rc = cli_usage_error("unknown language '%s' (pl, en)",
                                     optarg);
            }
            lang = optarg;
        } else {
            rc = cli_getopt_error(c, argv, optstring_columns);
        }
    }
    if (rc == RULES_CONTINUE && optind < argc) {
        rc = cli_usage_error("columns takes no arguments (give the rules "
                             "with -r)");
    }
    if (rc == RULES_CONTINUE &&
        cli_load_rules(&rules, &paths, &err) < 0) {
        rc = cli_fail(CLI_PHASE_RULES, &err);
    }
    if (rc == RULES_CONTINUE) {
        cli_buf_puts(&out, "<!-- generated by `kr-rules columns`; do not "
                     "edit -->\n\n# CSV columns for kr-batch:");
        for (i = 0; i < kr_rules_pack_count(rules); i++) {
            cli_buf_printf(&out, "%s %s %s", i ? "," : "",
                           kr_rules_pack_id(rules, i),
                           kr_rules_pack_version(rules, i));
        }
        cli_buf_puts(&out, "\n\n"
                     "One row per person; the rows of one application are "
                     "consecutive and share\n"
                     "`application_id`. Only `application_id`, `date` and "
                     "`role` must be in the\n"
                     "header; a missing column or an empty cell takes the "
                     "default, and an input\n"
                     "marked \xE2\x80\x94 is required when a benefit needs "
                     "it. Household inputs may be\n"
                     "repeated on every row of the application but must "
                     "agree. Each income item\n"
                     "of a person is a group of columns `income.N.<input>` "
                     "(N from 1 to 99).\n"
                     "Amounts (`money`, `decimal`) are written with a dot "
                     "(`1010.00`), or with a\n"
                     "decimal comma under `kr-batch --decimal-comma`; "
                     "booleans `true`/`false`;\n"
                     "dates `YYYY-MM-DD`. See doc/batch.md.\n\n"
                     "| column | entity | type | default | options | "
                     "label |\n"
                     "|---|---|---|---|---|---|\n");
        columns_fixed(&out, strcmp(lang, "en") == 0);
        n = kr_rules_input_count(rules);
        for (e = 0; e < 3; e++) {
            for (i = 0; i < n; i++) {
                const char *id = kr_rules_input_id(rules, i);
                cli_buf col = CLI_BUF_INIT;

                if (strcmp(kr_rules_input_entity(rules, i),
                           entities[e]) != 0) {
                    continue;
                }
                cli_buf_printf(&col, e == 2 ? "income.N.%s" : "%s", id);
                cli_buf_putc(&col, '\0');
                md_row(&out, col.failed ? id : col.p, entities[e],
                       kr_rules_input_type(rules, i),
                       kr_rules_input_default(rules, i),
                       kr_rules_input_options(rules, i),
                       kr_rules_input_label(rules, i, lang));
                if (col.failed) {
                    out.failed = col.failed;
                }
                cli_buf_free(&col);
            }
        }
        rc = cli_buf_emit(&out, stdout);
    }
    cli_buf_free(&out);
    kr_rules_free(rules);
    cli_strv_free(&paths);
    return rc;
}

int main(int argc, char *argv[])
{
    const char *cmd;
    int c;
    int rc;

    cli_init("kr-rules");
    opterr = 0;
    /* '+': stop at the command; its options are parsed by the command. */
    while ((c = getopt_long(argc, argv, optstring_main, long_main,
                            NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help();
            return cli_finish(CLI_EXIT_OK);
        case 'V':
            printf("kr-rules (kryterium) %s\n", kr_version());
            return cli_finish(CLI_EXIT_OK);
        default:
            return cli_finish(cli_getopt_error(c, argv, optstring_main));
        }
    }
    if (optind >= argc) {
        return cli_finish(cli_usage_error("missing command (test, check, "
                                          "columns)"));
    }
    cmd = argv[optind];
    argc -= optind;
    argv += optind;
    if (strcmp(cmd, "test") == 0) {
        rc = cmd_test(argc, argv);
    } else if (strcmp(cmd, "check") == 0) {
        rc = cmd_check(argc, argv);
    } else if (strcmp(cmd, "columns") == 0) {
        rc = cmd_columns(argc, argv);
    } else {
        rc = cli_usage_error("unknown command '%s' (test, check, columns)",
                             cmd);
    }
    return cli_finish(rc);
}
