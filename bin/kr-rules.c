/*
 * kr-rules - work on rule files: run their tests, or check that they
 * load.
 *
 *   kr-rules test [-r PATH]... [-v] [FILE|DIR]...
 *   kr-rules check [PATH]...
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
           "\n"
           "Options of test:\n"
           "  -r, --rules PATH     run against these rules (repeatable) "
           "instead\n"
           "                       of those each test file names\n"
           "  -v, --verbose        show the source of passed tests too\n"
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
        return cli_finish(cli_usage_error("missing command (test, check)"));
    }
    cmd = argv[optind];
    argc -= optind;
    argv += optind;
    if (strcmp(cmd, "test") == 0) {
        rc = cmd_test(argc, argv);
    } else if (strcmp(cmd, "check") == 0) {
        rc = cmd_check(argc, argv);
    } else {
        rc = cli_usage_error("unknown command '%s' (test, check)", cmd);
    }
    return cli_finish(rc);
}
