/*
 * cli.c - helpers shared by the kr-* command-line tools.
 *
 * Never calls setlocale(): the tools run in the "C" locale whatever the
 * environment says, so numbers, sorting and messages are the same on
 * every machine (Polish text comes from the rule files, in UTF-8).
 */
#if !defined(_GNU_SOURCE) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* readlink, realpath */
#endif

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef KR_ABS_TOP_BUILDDIR
#define KR_ABS_TOP_BUILDDIR "" /* unknown: never treat a run as uninstalled */
#endif
#ifndef KR_ABS_TOP_SRCDIR
#define KR_ABS_TOP_SRCDIR "."
#endif
#ifndef KR_PKGDATADIR
#define KR_PKGDATADIR "/usr/local/share/kryterium"
#endif

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static const char *prog_name = "kr";

void cli_init(const char *name)
{
    prog_name = name;
}

const char *cli_prog(void)
{
    return prog_name;
}

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */

/* Messages may quote hostile input (a field name, a file name): keep
 * escape sequences away from the terminal, but keep UTF-8 and layout. */
static void put_sanitized(const char *s, FILE *f)
{
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
            fputc('?', f);
        } else {
            fputc(*p, f);
        }
    }
}

void cli_error(const kr_error *err)
{
    fprintf(stderr, "%s: ", prog_name);
    if (err == NULL) {
        fputs("unknown error\n", stderr);
        return;
    }
    if (err->file[0] != '\0') {
        put_sanitized(err->file, stderr);
        if (err->line > 0) {
            fprintf(stderr, ":%lu", err->line);
            if (err->column > 0) {
                fprintf(stderr, ":%lu", err->column);
            }
        }
        fputs(": ", stderr);
    }
    if (err->msg[0] != '\0') {
        put_sanitized(err->msg, stderr);
    } else {
        /* The library always sets a message; this is a safety net. */
        fputs(kr_code_name(err->code), stderr);
        if (err->sys_errno != 0) {
            fprintf(stderr, ": %s", strerror(err->sys_errno));
        }
    }
    fputc('\n', stderr);
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_code(cli_phase phase, int code)
{
    switch (code) {
    case KR_OK:
        return CLI_EXIT_OK;
    case KR_EIO:
        return CLI_EXIT_IO;
    case KR_ENOMEM:
    case KR_ERROR:
        return CLI_EXIT_INTERNAL;
    default:
        break;
    }
    switch (phase) {
    case CLI_PHASE_RULES:
    case CLI_PHASE_TESTS:
        return CLI_EXIT_RULES;
    case CLI_PHASE_APP:
        return CLI_EXIT_APP;
    case CLI_PHASE_EVAL:
        /* kr_eval refuses a --set or --benefit it cannot apply with
         * KR_ENOTFOUND / KR_EINVALID: the command line is wrong */
        if (code == KR_ENOTFOUND || code == KR_EINVALID) {
            return CLI_EXIT_USAGE;
        }
        return CLI_EXIT_EVAL;
    case CLI_PHASE_OUTPUT:
        /* Formatting what the library computed cannot fail on user
         * input; if it does, it is our bug. */
        return CLI_EXIT_INTERNAL;
    }
    return CLI_EXIT_INTERNAL;
}

int cli_fail(cli_phase phase, const kr_error *err)
{
    cli_error(err);
    return cli_exit_code(phase, err != NULL ? (int)err->code : KR_ERROR);
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n",
            prog_name);
    return CLI_EXIT_USAGE;
}

int cli_getopt_error(int c, char *const argv[], const char *optstring)
{
    /* After an error on a long option (and after a missing argument,
     * which can only happen at the end of an element), glibc has
     * consumed the element, so argv[optind - 1] is what the user typed.
     * A bad short option inside a cluster may not have been consumed, so
     * it is named by optopt instead. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    int is_short;
    int len;

    if (arg == NULL) {
        arg = "";
    }
    len = (int)strcspn(arg, "=");
    is_short = optopt > 0 && optopt < 256 &&
               strchr(":+-", optopt) == NULL &&
               strchr(optstring, optopt) != NULL;
    if (c == ':') {
        if (strncmp(arg, "--", 2) == 0) {
            return cli_usage_error("option '%.*s' requires an argument",
                                   len, arg);
        }
        return cli_usage_error("option '-%c' requires an argument",
                               optopt);
    }
    if (optopt == 0) {
        return cli_usage_error("unrecognized option '%.*s'", len, arg);
    }
    if (!is_short && optopt > 0 && optopt < 256) {
        return cli_usage_error("invalid option -- '%c'", optopt);
    }
    return cli_usage_error("option '%.*s' doesn't allow an argument",
                           len, arg);
}

void cli_error_set_file(kr_error *err, const char *path)
{
    if (err != NULL && err->file[0] == '\0' && path != NULL) {
        snprintf(err->file, sizeof err->file, "%s", path);
    }
}

/* Fill err the way the library does: the first error wins. */
static int set_err(kr_error *err, kr_code code, const char *msg)
{
    if (err != NULL && err->code == KR_OK) {
        err->code = code;
        snprintf(err->msg, sizeof err->msg, "%s", msg);
    }
    return code;
}

int cli_finish(int rc)
{
    int failed = 0;
    int e = 0;

    errno = 0;
    if (fflush(stdout) != 0) {
        failed = 1;
        e = errno;
    } else if (ferror(stdout)) {
        failed = 1;
    }
    /* fclose too: some file systems only report at close. */
    errno = 0;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        if (e != 0) {
            cli_errorf("write error on standard output: %s", strerror(e));
        } else {
            cli_errorf("write error on standard output");
        }
        if (rc == CLI_EXIT_OK || rc == CLI_EXIT_TESTS_FAILED) {
            rc = CLI_EXIT_IO;
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* String vectors                                                      */

int cli_strv_pushn(cli_strv *sv, const char *s, size_t len)
{
    char *copy;

    if (sv->n == sv->cap) {
        size_t ncap = sv->cap != 0 ? sv->cap * 2 : 8;
        char **nv;

        if (ncap > (size_t)-1 / sizeof *nv) {
            return -1;
        }
        nv = realloc(sv->v, ncap * sizeof *nv);
        if (nv == NULL) {
            return -1;
        }
        sv->v = nv;
        sv->cap = ncap;
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        return -1;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    sv->v[sv->n++] = copy;
    return 0;
}

int cli_strv_push(cli_strv *sv, const char *s)
{
    return cli_strv_pushn(sv, s, strlen(s));
}

void cli_strv_free(cli_strv *sv)
{
    size_t i;

    for (i = 0; i < sv->n; i++) {
        free(sv->v[i]);
    }
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
    sv->cap = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cli_strv_sort(cli_strv *sv)
{
    if (sv->n > 1) {
        qsort(sv->v, sv->n, sizeof *sv->v, cmp_str);
    }
}

/* ------------------------------------------------------------------ */
/* Default rules                                                       */

/* 1 when path is dir or inside it (both absolute, canonical). */
static int path_under(const char *path, const char *dir)
{
    size_t len = strlen(dir);

    while (len > 1 && dir[len - 1] == '/') {
        len--;
    }
    if (len == 1 && dir[0] == '/') {
        return path[0] == '/';
    }
    return strncmp(path, dir, len) == 0 &&
           (path[len] == '/' || path[len] == '\0');
}

/* An uninstalled tool (make check, or run from the build tree) must use
 * the rules next to its sources, not whatever an older `make install`
 * left in pkgdatadir.  libtool runs the real binary from bin/.libs/,
 * which is still under the build directory. */
static int in_build_tree(void)
{
    char exe[PATH_MAX];
    char *top;
    ssize_t n;
    int in;

    if (KR_ABS_TOP_BUILDDIR[0] != '/') {
        return 0;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe);
    if (n <= 0 || (size_t)n >= sizeof exe) {
        return 0; /* no /proc, or truncated: assume installed */
    }
    exe[n] = '\0';
    /* /proc/self/exe is canonical; the configured path may not be. */
    top = realpath(KR_ABS_TOP_BUILDDIR, NULL);
    in = path_under(exe, top != NULL ? top : KR_ABS_TOP_BUILDDIR);
    free(top);
    return in;
}

int cli_default_rules(cli_strv *out)
{
    const char *env = getenv("KR_RULES_PATH");

    if (env != NULL) {
        const char *p = env;

        while (*p != '\0') {
            size_t len = strcspn(p, ":");

            if (len > 0 && cli_strv_pushn(out, p, len) < 0) {
                return -1;
            }
            p += len;
            if (*p == ':') {
                p++;
            }
        }
        if (out->n > 0) {
            return 0;
        }
    }
    if (in_build_tree()) {
        return cli_strv_push(out, KR_ABS_TOP_SRCDIR "/rules/pl");
    }
    return cli_strv_push(out, KR_PKGDATADIR "/rules/pl");
}

int cli_load_rules(kr_rules **out, const cli_strv *paths, kr_error *err)
{
    cli_strv defaults = CLI_STRV_INIT;
    const cli_strv *use = paths;
    kr_rules *rules = NULL;
    size_t i;
    int rc;

    *out = NULL;
    if (paths == NULL || paths->n == 0) {
        if (cli_default_rules(&defaults) < 0) {
            rc = set_err(err, KR_ENOMEM, "out of memory");
            goto done;
        }
        use = &defaults;
    }
    if ((rc = kr_rules_new(&rules, err)) < 0) {
        goto done;
    }
    for (i = 0; i < use->n; i++) {
        if ((rc = kr_rules_add_path(rules, use->v[i], err)) < 0) {
            cli_error_set_file(err, use->v[i]);
            goto done;
        }
    }
    if ((rc = kr_rules_compile(rules, err)) < 0) {
        goto done;
    }
    *out = rules;
    rules = NULL;
    rc = KR_OK;
done:
    kr_rules_free(rules);
    cli_strv_free(&defaults);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Output buffer                                                       */

static int buf_reserve(cli_buf *b, size_t more)
{
    size_t need;
    size_t ncap;
    char *np;

    if (b->failed) {
        return -1;
    }
    if (more > CLI_BUF_MAX - b->len - 1 || b->len > CLI_BUF_MAX) {
        b->failed = CLI_EXIT_INTERNAL;
        return -1;
    }
    need = b->len + more + 1;
    if (need <= b->cap) {
        return 0;
    }
    ncap = b->cap != 0 ? b->cap : 1024;
    while (ncap < need) {
        ncap *= 2;
    }
    if (ncap > CLI_BUF_MAX) {
        ncap = CLI_BUF_MAX;
    }
    np = realloc(b->p, ncap);
    if (np == NULL) {
        b->failed = CLI_EXIT_INTERNAL;
        return -1;
    }
    b->p = np;
    b->cap = ncap;
    return 0;
}

void cli_buf_free(cli_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

int cli_buf_failed(const cli_buf *b)
{
    return b->failed;
}

void cli_buf_putn(cli_buf *b, const char *s, size_t n)
{
    if (n == 0 || buf_reserve(b, n) < 0) {
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void cli_buf_puts(cli_buf *b, const char *s)
{
    if (s != NULL) {
        cli_buf_putn(b, s, strlen(s));
    }
}

char *cli_buf_room(cli_buf *b, size_t n)
{
    return buf_reserve(b, n) < 0 ? NULL : b->p + b->len;
}

void cli_buf_putc(cli_buf *b, char c)
{
    cli_buf_putn(b, &c, 1);
}

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->failed) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = CLI_EXIT_INTERNAL;
        return;
    }
    if (buf_reserve(b, (size_t)n) < 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void cli_buf_indent(cli_buf *b, const char *text, const char *indent)
{
    const char *p = text;

    while (p != NULL && *p != '\0') {
        size_t len = strcspn(p, "\n");

        /* No indent on an empty line: no trailing blanks in output. */
        if (len > 0) {
            cli_buf_puts(b, indent);
            cli_buf_putn(b, p, len);
        }
        cli_buf_putc(b, '\n');
        p += len;
        if (*p == '\n') {
            p++;
        }
    }
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), 0 if there is none.  s is
 * NUL-terminated and a NUL is never a continuation byte, so reading
 * stops at the end by itself.  *cp receives the code point.
 */
static size_t utf8_seq(const unsigned char *s, unsigned long *cp)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    size_t n;
    size_t i;
    unsigned long v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0fu;
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f;
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07u;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f;
        }
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        unsigned char d = s[i];

        if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xbf)) {
            return 0;
        }
        v = (v << 6) | (d & 0x3fu);
    }
    *cp = v;
    return n;
}

#define UTF8_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

void cli_buf_json_str(cli_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p;

    if (s == NULL) {
        cli_buf_puts(b, "null");
        return;
    }
    cli_buf_putc(b, '"');
    for (p = (const unsigned char *)s; *p != '\0';) {
        unsigned long cp;
        size_t n = utf8_seq(p, &cp);

        if (n == 0) {
            cli_buf_puts(b, UTF8_REPLACEMENT);
            p++;
            continue;
        }
        if (n > 1) {
            cli_buf_putn(b, (const char *)p, n);
        } else if (*p == '"' || *p == '\\') {
            cli_buf_putc(b, '\\');
            cli_buf_putc(b, (char)*p);
        } else if (*p == '\n') {
            cli_buf_puts(b, "\\n");
        } else if (*p == '\t') {
            cli_buf_puts(b, "\\t");
        } else if (*p == '\r') {
            cli_buf_puts(b, "\\r");
        } else if (*p < 0x20 || *p == 0x7f) {
            cli_buf_puts(b, "\\u00");
            cli_buf_putc(b, hex[*p >> 4]);
            cli_buf_putc(b, hex[*p & 0xf]);
        } else {
            cli_buf_putc(b, (char)*p);
        }
        p += n;
    }
    cli_buf_putc(b, '"');
}

void cli_buf_xml_str(cli_buf *b, const char *s, int attr)
{
    const unsigned char *p;

    if (s == NULL) {
        return;
    }
    for (p = (const unsigned char *)s; *p != '\0';) {
        unsigned long cp;
        size_t n = utf8_seq(p, &cp);

        if (n == 0) {
            cli_buf_puts(b, UTF8_REPLACEMENT);
            p++;
            continue;
        }
        switch (cp) {
        case '&':
            cli_buf_puts(b, "&amp;");
            break;
        case '<':
            cli_buf_puts(b, "&lt;");
            break;
        case '>':
            cli_buf_puts(b, "&gt;");
            break;
        case '"':
            cli_buf_puts(b, "&quot;");
            break;
        case '\'':
            cli_buf_puts(b, "&apos;");
            break;
        case '\r':
            /* A raw CR would be turned into LF by any XML parser. */
            cli_buf_puts(b, "&#13;");
            break;
        case '\n':
        case '\t':
            /* Attribute values are normalised to spaces unless escaped. */
            if (attr) {
                cli_buf_puts(b, cp == '\n' ? "&#10;" : "&#9;");
            } else {
                cli_buf_putc(b, (char)cp);
            }
            break;
        default:
            /* XML 1.0 cannot carry other C0 controls, even as
             * references, nor U+FFFE/U+FFFF. */
            if (cp < 0x20 || cp == 0xfffe || cp == 0xffff) {
                cli_buf_puts(b, UTF8_REPLACEMENT);
            } else {
                cli_buf_putn(b, (const char *)p, n);
            }
            break;
        }
        p += n;
    }
}

int cli_buf_money(cli_buf *b, const char *decimal, const char *lang,
                  kr_error *err)
{
    char *s = NULL;
    int rc = kr_format_money(&s, decimal, lang, err);

    if (rc == KR_OK) {
        cli_buf_puts(b, s);
    }
    kr_free(s);
    return rc;
}

/* 1 when s has the shape DDDD-DD-DD. */
static int date_shape(const char *s)
{
    static const char pat[] = "dddd-dd-dd";
    size_t i;

    for (i = 0; pat[i] != '\0'; i++) {
        if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-') {
            return 0;
        }
    }
    return s[i] == '\0';
}

void cli_buf_date(cli_buf *b, const char *iso, const char *lang)
{
    if (iso == NULL) {
        return;
    }
    if (strcmp(lang, "pl") == 0 && date_shape(iso)) {
        cli_buf_printf(b, "%.2s.%.2s.%.4s r.", iso + 8, iso + 5, iso);
    } else {
        cli_buf_puts(b, iso);
    }
}

void cli_buf_write(const cli_buf *b, FILE *f)
{
    if (b->len > 0) {
        fwrite(b->p, 1, b->len, f);
    }
}

int cli_buf_emit(const cli_buf *b, FILE *f)
{
    if (cli_buf_failed(b)) {
        cli_errorf("out of memory");
        return CLI_EXIT_INTERNAL;
    }
    cli_buf_write(b, f);
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Small checks                                                        */

int cli_valid_date(const char *s)
{
    static const int mdays[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    int y;
    int m;
    int d;
    int dim;

    if (s == NULL || !date_shape(s)) {
        return 0;
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
        (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1) {
        return 0;
    }
    dim = mdays[m - 1];
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        dim = 29;
    }
    return d <= dim;
}
