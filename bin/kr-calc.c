/*
 * kr-calc - evaluate the benefits an application asks for and print the
 * result for a clerk (text, Polish or English) or for a program (JSON,
 * XML).
 *
 * The output is built in memory and written only when complete, so a
 * failure leaves stdout empty and the message on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CALC_CONTINUE (-1) /* parse_args: go on and evaluate */

typedef enum { FMT_TEXT, FMT_JSON, FMT_XML } calc_format;

typedef struct {
    cli_strv rules;
    cli_strv benefits;
    cli_strv set;
    const char *date;
    const char *app;
    const char *lang;
    calc_format format;
    int explain;
} calc_opts;

/* Everything the formatters read. */
typedef struct {
    const calc_opts *o;
    const kr_rules *rules;
    const kr_app *app;
    const kr_result *res;
    cli_buf *out;
    kr_error *err;
} calc_ctx;

/* The words of the text report, so that --lang changes them all. */
typedef struct {
    const char *application;
    const char *of;
    const char *eval_date;
    const char *rules;
    const char *legal_basis;
    const char *result;
    const char *granted;
    const char *not_granted;
    const char *amount;
    const char *range;
    const char *from;
    const char *to;
    const char *note;
    const char *conditions;
    const char *met;
    const char *unmet;
    const char *explain;
    const char *none;
    const char *undecided;
    const char *why_undecided;
} calc_words;

static const calc_words words_pl = {
    "Wniosek", "z dnia", "Data oceny", "Przepisy", "Podstawa prawna",
    "Wynik", "PRZYSŁUGUJE", "NIE PRZYSŁUGUJE", "Kwota", "Zakres", "od",
    "do", "Uwaga", "Warunki", "[spełniony]", "[niespełniony]",
    "Wyjaśnienie", "Brak świadczeń do oceny.",
    "NIE MOŻNA ROZSTRZYGNĄĆ", "Przyczyna"
};

static const calc_words words_en = {
    "Application", "of", "Evaluation date", "Rules", "Legal basis",
    "Result", "GRANTED", "NOT GRANTED", "Amount", "Range", "from", "to",
    "Note", "Conditions", "[met]", "[not met]", "Explanation",
    "No benefits to evaluate.", "CANNOT BE DECIDED", "Reason"
};

enum { OPT_LANG = 256 };

/* Leading ':' so that getopt reports a missing argument as ':' and
 * prints nothing itself (see cli_getopt_error). */
static const char optstring[] = ":r:d:b:f:es:hV";

static const struct option long_opts[] = {
    { "rules", required_argument, NULL, 'r' },
    { "date", required_argument, NULL, 'd' },
    { "benefit", required_argument, NULL, 'b' },
    { "format", required_argument, NULL, 'f' },
    { "explain", no_argument, NULL, 'e' },
    { "set", required_argument, NULL, 's' },
    { "lang", required_argument, NULL, OPT_LANG },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 }
};

static void print_help(void)
{
    printf("Usage: kr-calc [OPTIONS] APPLICATION.xml\n"
           "Evaluate the benefits an application asks for, exactly, and "
           "say why.\n"
           "\n"
           "Options:\n"
           "  -r, --rules PATH     rule file or directory (repeatable);\n"
           "                       default: $KR_RULES_PATH or the "
           "installed rules/pl\n"
           "  -d, --date DATE      evaluate on DATE (YYYY-MM-DD); "
           "default: the\n"
           "                       application's date\n"
           "  -b, --benefit ID     evaluate benefit ID only (repeatable)\n"
           "  -f, --format FMT     text (default), json or xml\n"
           "  -e, --explain        add how every figure was computed\n"
           "  -s, --set NAME=VALUE what-if: replace a parameter or input\n"
           "                       (NAME, or PERSON_ID.NAME; repeatable)\n"
           "      --lang LANG      pl (default) or en\n"
           "  -h, --help           show this help and exit\n"
           "  -V, --version        show the version and exit\n"
           "\n"
           "%s", CLI_HELP_EXIT_STATUS);
}

/* Option values that need checking; returns CALC_CONTINUE or an exit
 * code. */
static int take_option(calc_opts *o, int c, const char *arg)
{
    cli_strv *sv = NULL;

    switch (c) {
    case 'r':
        sv = &o->rules;
        break;
    case 'b':
        sv = &o->benefits;
        break;
    case 's':
        if (arg[0] == '=' || strchr(arg, '=') == NULL) {
            return cli_usage_error("--set needs NAME=VALUE, not '%s'", arg);
        }
        sv = &o->set;
        break;
    case 'd':
        if (!cli_valid_date(arg)) {
            return cli_usage_error("invalid date '%s' (want YYYY-MM-DD)",
                                   arg);
        }
        o->date = arg;
        return CALC_CONTINUE;
    case 'f':
        if (strcmp(arg, "text") == 0) {
            o->format = FMT_TEXT;
        } else if (strcmp(arg, "json") == 0) {
            o->format = FMT_JSON;
        } else if (strcmp(arg, "xml") == 0) {
            o->format = FMT_XML;
        } else {
            return cli_usage_error("unknown format '%s' (text, json, xml)",
                                   arg);
        }
        return CALC_CONTINUE;
    case OPT_LANG:
        if (strcmp(arg, "pl") != 0 && strcmp(arg, "en") != 0) {
            return cli_usage_error("unknown language '%s' (pl, en)", arg);
        }
        o->lang = arg;
        return CALC_CONTINUE;
    default:
        return CALC_CONTINUE;
    }
    if (cli_strv_push(sv, arg) < 0) {
        cli_errorf("out of memory");
        return CLI_EXIT_INTERNAL;
    }
    return CALC_CONTINUE;
}

static int parse_args(calc_opts *o, int argc, char *argv[])
{
    int c;
    int rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help();
            return CLI_EXIT_OK;
        case 'V':
            printf("kr-calc (kryterium) %s\n", kr_version());
            return CLI_EXIT_OK;
        case 'e':
            o->explain = 1;
            break;
        case '?':
        case ':':
            return cli_getopt_error(c, argv, optstring);
        default:
            if ((rc = take_option(o, c, optarg)) != CALC_CONTINUE) {
                return rc;
            }
            break;
        }
    }
    if (optind >= argc) {
        return cli_usage_error("missing APPLICATION.xml");
    }
    if (optind + 1 < argc) {
        return cli_usage_error("one application at a time ('%s')",
                               argv[optind + 1]);
    }
    o->app = argv[optind];
    return CALC_CONTINUE;
}

/* A misspelt --benefit is a command-line mistake: say so (exit 2) rather
 * than letting it look like an evaluation failure. */
static int check_benefits(const kr_rules *rules, const cli_strv *ids)
{
    size_t i;
    size_t j;
    size_t n = kr_rules_benefit_count(rules);

    for (i = 0; i < ids->n; i++) {
        for (j = 0; j < n; j++) {
            if (strcmp(ids->v[i], kr_rules_benefit_id(rules, j)) == 0) {
                break;
            }
        }
        if (j == n) {
            return cli_usage_error("unknown benefit '%s'", ids->v[i]);
        }
    }
    return CLI_EXIT_OK;
}

static int evaluate(kr_result **out, const kr_rules *rules,
                    const kr_app *app, const calc_opts *o, kr_error *err)
{
    kr_eval_opts eo = KR_EVAL_OPTS_INIT;

    eo.date = o->date;
    eo.benefits = (const char *const *)o->benefits.v;
    eo.nbenefits = o->benefits.n;
    eo.set = (const char *const *)o->set.v;
    eo.nset = o->set.n;
    /* The trace costs memory and time; only --explain reads it. */
    eo.flags = o->explain ? KR_EVAL_TRACE : 0u;
    return kr_eval(out, rules, app, &eo, err);
}

/* ------------------------------------------------------------------ */
/* Text                                                                */

static void text_header(const calc_ctx *c, const calc_words *w)
{
    const char *lang = c->o->lang;
    const char *id = kr_app_id(c->app);
    size_t i;
    size_t n = kr_rules_pack_count(c->rules);

    cli_buf_puts(c->out, w->application);
    if (id[0] != '\0') {
        cli_buf_printf(c->out, ": %s ", id);
    } else {
        cli_buf_putc(c->out, ' ');
    }
    cli_buf_printf(c->out, "%s ", w->of);
    cli_buf_date(c->out, kr_app_date(c->app), lang);
    cli_buf_printf(c->out, "\n%s: ", w->eval_date);
    cli_buf_date(c->out, kr_result_date(c->res), lang);
    cli_buf_printf(c->out, "\n%s:", w->rules);
    for (i = 0; i < n; i++) {
        cli_buf_printf(c->out, "%s %s %s", i > 0 ? "," : "",
                       kr_rules_pack_id(c->rules, i),
                       kr_rules_pack_version(c->rules, i));
    }
    cli_buf_putc(c->out, '\n');
}

static void text_conditions(const calc_ctx *c, const calc_words *w,
                            size_t i)
{
    const char *lang = c->o->lang;
    size_t j;
    size_t n = kr_result_condition_count(c->res, i);

    if (n == 0) {
        return;
    }
    cli_buf_printf(c->out, "  %s:\n", w->conditions);
    for (j = 0; j < n; j++) {
        const char *label = kr_result_condition_label(c->res, i, j, lang);
        const char *ref = kr_result_condition_ref(c->res, i, j);
        const char *why = kr_result_condition_reason(c->res, i, j, lang);

        if (label == NULL || label[0] == '\0') {
            label = kr_result_condition_id(c->res, i, j);
        }
        cli_buf_printf(c->out, "    %s %s",
                       kr_result_condition_met(c->res, i, j) ? w->met
                                                              : w->unmet,
                       label);
        if (ref != NULL && ref[0] != '\0') {
            cli_buf_printf(c->out, " (%s)", ref);
        }
        cli_buf_putc(c->out, '\n');
        if (why != NULL) {
            cli_buf_indent(c->out, why, "      ");
        }
    }
}

/* Amount and range lines: money for people, via kr_format_money. */
static int text_money(const calc_ctx *c, const calc_words *w, size_t i)
{
    const char *lang = c->o->lang;
    const char *amount = kr_result_benefit_amount(c->res, i);
    const char *lo = kr_result_benefit_range_min(c->res, i);
    const char *hi = kr_result_benefit_range_max(c->res, i);
    int rc = KR_OK;

    if (amount != NULL) {
        cli_buf_printf(c->out, "  %s: ", w->amount);
        rc = cli_buf_money(c->out, amount, lang, c->err);
        cli_buf_putc(c->out, '\n');
    }
    if (rc == KR_OK && lo != NULL && hi != NULL) {
        cli_buf_printf(c->out, "  %s: %s ", w->range, w->from);
        rc = cli_buf_money(c->out, lo, lang, c->err);
        cli_buf_printf(c->out, " %s ", w->to);
        if (rc == KR_OK) {
            rc = cli_buf_money(c->out, hi, lang, c->err);
        }
        cli_buf_putc(c->out, '\n');
    }
    return rc;
}

static int text_explain(const calc_ctx *c, const calc_words *w, size_t i)
{
    char *s = NULL;
    int rc = kr_result_explain(&s, c->res, i, c->o->lang, c->err);

    if (rc == KR_OK) {
        cli_buf_printf(c->out, "  %s:\n", w->explain);
        cli_buf_indent(c->out, s, "    ");
    }
    kr_free(s);
    return rc;
}

static int format_text(const calc_ctx *c)
{
    const char *lang = c->o->lang;
    const calc_words *w = strcmp(lang, "en") == 0 ? &words_en : &words_pl;
    size_t i;
    size_t n = kr_result_benefit_count(c->res);
    int rc = KR_OK;

    text_header(c, w);
    if (n == 0) {
        cli_buf_printf(c->out, "\n%s\n", w->none);
    }
    for (i = 0; i < n && rc == KR_OK; i++) {
        const char *ref = kr_result_benefit_ref(c->res, i);
        const char *note = kr_result_benefit_note(c->res, i, lang);

        cli_buf_printf(c->out, "\n%s\n",
                       kr_result_benefit_name(c->res, i, lang));
        if (ref != NULL && ref[0] != '\0') {
            cli_buf_printf(c->out, "  %s: %s\n", w->legal_basis, ref);
        }
        if (kr_result_benefit_error(c->res, i) != NULL) {
            /* a missing input or no parameter in force: say so, never
             * "not granted" */
            cli_buf_printf(c->out, "  %s: %s\n  %s: %s\n", w->result,
                           w->undecided, w->why_undecided,
                           kr_result_benefit_error_text(c->res, i, lang));
            continue;
        }
        cli_buf_printf(c->out, "  %s: %s\n", w->result,
                       kr_result_benefit_granted(c->res, i)
                           ? w->granted : w->not_granted);
        /* A refused benefit's 0,00 zł (or 0,00-0,00 range) says nothing
         * the verdict has not said. */
        if (kr_result_benefit_granted(c->res, i)) {
            rc = text_money(c, w, i);
        }
        if (note != NULL && note[0] != '\0') {
            cli_buf_printf(c->out, "  %s: %s\n", w->note, note);
        }
        text_conditions(c, w, i);
        if (rc == KR_OK && c->o->explain) {
            rc = text_explain(c, w, i);
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

/* `"key": "value"` with the separator that precedes it. */
static void json_field(cli_buf *b, const char *indent, const char *key,
                       const char *value, int last)
{
    cli_buf_printf(b, "%s\"%s\": ", indent, key);
    cli_buf_json_str(b, value);
    cli_buf_puts(b, last ? "\n" : ",\n");
}

static void json_head(const calc_ctx *c)
{
    cli_buf *b = c->out;
    size_t i;
    size_t n = kr_rules_pack_count(c->rules);

    cli_buf_puts(b, "{\n  \"application\": {\n");
    json_field(b, "    ", "id", kr_app_id(c->app), 0);
    json_field(b, "    ", "date", kr_app_date(c->app), 1);
    cli_buf_puts(b, "  },\n");
    json_field(b, "  ", "evaluation_date", kr_result_date(c->res), 0);
    cli_buf_puts(b, "  \"rules\": {\n    \"packs\": [");
    for (i = 0; i < n; i++) {
        cli_buf_puts(b, i > 0 ? ",\n      {\n" : "\n      {\n");
        json_field(b, "        ", "id", kr_rules_pack_id(c->rules, i), 0);
        json_field(b, "        ", "version",
                   kr_rules_pack_version(c->rules, i), 0);
        json_field(b, "        ", "file", kr_rules_pack_file(c->rules, i),
                   1);
        cli_buf_puts(b, "      }");
    }
    cli_buf_puts(b, n > 0 ? "\n    ],\n" : "],\n");
    json_field(b, "    ", "sha256", kr_rules_digest(c->rules), 1);
    cli_buf_puts(b, "  },\n");
}

static void json_conditions(const calc_ctx *c, size_t i)
{
    const char *lang = c->o->lang;
    cli_buf *b = c->out;
    size_t j;
    size_t n = kr_result_condition_count(c->res, i);

    cli_buf_puts(b, "      \"conditions\": [");
    for (j = 0; j < n; j++) {
        const char *ind = "          ";

        cli_buf_puts(b, j > 0 ? ",\n        {\n" : "\n        {\n");
        json_field(b, ind, "id", kr_result_condition_id(c->res, i, j), 0);
        json_field(b, ind, "label",
                   kr_result_condition_label(c->res, i, j, lang), 0);
        cli_buf_printf(b, "%s\"met\": %s,\n", ind,
                       kr_result_condition_met(c->res, i, j) ? "true"
                                                              : "false");
        json_field(b, ind, "reason",
                   kr_result_condition_reason(c->res, i, j, lang), 0);
        json_field(b, ind, "legal_basis",
                   kr_result_condition_ref(c->res, i, j), 1);
        cli_buf_puts(b, "        }");
    }
    cli_buf_puts(b, n > 0 ? "\n      ]" : "]");
}

static int json_benefit(const calc_ctx *c, size_t i)
{
    const char *lang = c->o->lang;
    const char *ind = "      ";
    const char *lo = kr_result_benefit_range_min(c->res, i);
    const char *hi = kr_result_benefit_range_max(c->res, i);
    cli_buf *b = c->out;
    char *why = NULL;
    int rc = KR_OK;

    json_field(b, ind, "id", kr_result_benefit_id(c->res, i), 0);
    json_field(b, ind, "name", kr_result_benefit_name(c->res, i, lang), 0);
    json_field(b, ind, "legal_basis", kr_result_benefit_ref(c->res, i), 0);
    cli_buf_printf(b, "%s\"granted\": %s,\n", ind,
                   kr_result_benefit_granted(c->res, i) ? "true" : "false");
    json_field(b, ind, "error", kr_result_benefit_error(c->res, i), 0);
    json_field(b, ind, "error_text",
               kr_result_benefit_error_text(c->res, i, lang), 0);
    json_field(b, ind, "amount", kr_result_benefit_amount(c->res, i), 0);
    if (lo != NULL && hi != NULL) {
        cli_buf_printf(b, "%s\"range\": {\"min\": ", ind);
        cli_buf_json_str(b, lo);
        cli_buf_puts(b, ", \"max\": ");
        cli_buf_json_str(b, hi);
        cli_buf_puts(b, "},\n");
    } else {
        cli_buf_printf(b, "%s\"range\": null,\n", ind);
    }
    json_field(b, ind, "note", kr_result_benefit_note(c->res, i, lang), 0);
    json_conditions(c, i);
    if (c->o->explain) {
        rc = kr_result_explain(&why, c->res, i, lang, c->err);
        cli_buf_printf(b, ",\n%s\"explain\": ", ind);
        cli_buf_json_str(b, why != NULL ? why : "");
        kr_free(why);
    }
    cli_buf_putc(b, '\n');
    return rc;
}

static int format_json(const calc_ctx *c)
{
    size_t i;
    size_t n = kr_result_benefit_count(c->res);
    int rc = KR_OK;

    json_head(c);
    cli_buf_puts(c->out, "  \"benefits\": [");
    for (i = 0; i < n && rc == KR_OK; i++) {
        cli_buf_puts(c->out, i > 0 ? ",\n    {\n" : "\n    {\n");
        rc = json_benefit(c, i);
        cli_buf_puts(c->out, "    }");
    }
    cli_buf_puts(c->out, n > 0 ? "\n  ]\n}\n" : "]\n}\n");
    return rc;
}

/* ------------------------------------------------------------------ */
/* XML                                                                 */

static void xml_attr(cli_buf *b, const char *name, const char *value)
{
    cli_buf_printf(b, " %s=\"", name);
    cli_buf_xml_str(b, value, 1);
    cli_buf_putc(b, '"');
}

/* <name>text</name> on its own line; nothing when text is NULL/empty. */
static void xml_elem(cli_buf *b, const char *indent, const char *name,
                     const char *text)
{
    if (text == NULL || text[0] == '\0') {
        return;
    }
    cli_buf_printf(b, "%s<%s>", indent, name);
    cli_buf_xml_str(b, text, 0);
    cli_buf_printf(b, "</%s>\n", name);
}

static void xml_head(const calc_ctx *c)
{
    cli_buf *b = c->out;
    size_t i;
    size_t n = kr_rules_pack_count(c->rules);

    cli_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<result xmlns=\"urn:kryterium:result:1\"");
    xml_attr(b, "lang", c->o->lang);
    xml_attr(b, "evaluation_date", kr_result_date(c->res));
    cli_buf_puts(b, ">\n  <application");
    xml_attr(b, "id", kr_app_id(c->app));
    xml_attr(b, "date", kr_app_date(c->app));
    cli_buf_puts(b, "/>\n  <rules");
    xml_attr(b, "sha256", kr_rules_digest(c->rules));
    cli_buf_puts(b, ">\n");
    for (i = 0; i < n; i++) {
        cli_buf_puts(b, "    <pack");
        xml_attr(b, "id", kr_rules_pack_id(c->rules, i));
        xml_attr(b, "version", kr_rules_pack_version(c->rules, i));
        xml_attr(b, "file", kr_rules_pack_file(c->rules, i));
        cli_buf_puts(b, "/>\n");
    }
    cli_buf_puts(b, "  </rules>\n");
}

static void xml_conditions(const calc_ctx *c, size_t i)
{
    const char *lang = c->o->lang;
    cli_buf *b = c->out;
    size_t j;
    size_t n = kr_result_condition_count(c->res, i);

    for (j = 0; j < n; j++) {
        cli_buf_puts(b, "    <condition");
        xml_attr(b, "id", kr_result_condition_id(c->res, i, j));
        xml_attr(b, "met",
                 kr_result_condition_met(c->res, i, j) ? "true" : "false");
        xml_attr(b, "legal_basis", kr_result_condition_ref(c->res, i, j));
        cli_buf_puts(b, ">\n");
        xml_elem(b, "      ", "label",
                 kr_result_condition_label(c->res, i, j, lang));
        xml_elem(b, "      ", "reason",
                 kr_result_condition_reason(c->res, i, j, lang));
        cli_buf_puts(b, "    </condition>\n");
    }
}

static int xml_benefit(const calc_ctx *c, size_t i)
{
    const char *lang = c->o->lang;
    const char *lo = kr_result_benefit_range_min(c->res, i);
    const char *hi = kr_result_benefit_range_max(c->res, i);
    cli_buf *b = c->out;
    char *why = NULL;
    int rc = KR_OK;

    cli_buf_puts(b, "  <benefit");
    xml_attr(b, "id", kr_result_benefit_id(c->res, i));
    xml_attr(b, "granted",
             kr_result_benefit_granted(c->res, i) ? "true" : "false");
    xml_attr(b, "legal_basis", kr_result_benefit_ref(c->res, i));
    cli_buf_puts(b, ">\n");
    xml_elem(b, "    ", "name", kr_result_benefit_name(c->res, i, lang));
    xml_elem(b, "    ", "amount", kr_result_benefit_amount(c->res, i));
    if (lo != NULL && hi != NULL) {
        cli_buf_puts(b, "    <range");
        xml_attr(b, "min", lo);
        xml_attr(b, "max", hi);
        cli_buf_puts(b, "/>\n");
    }
    xml_elem(b, "    ", "note", kr_result_benefit_note(c->res, i, lang));
    xml_elem(b, "    ", "error", kr_result_benefit_error(c->res, i));
    xml_elem(b, "    ", "error_text",
             kr_result_benefit_error_text(c->res, i, lang));
    xml_conditions(c, i);
    if (c->o->explain) {
        rc = kr_result_explain(&why, c->res, i, lang, c->err);
        xml_elem(b, "    ", "explain", why);
        kr_free(why);
    }
    cli_buf_puts(b, "  </benefit>\n");
    return rc;
}

static int format_xml(const calc_ctx *c)
{
    size_t i;
    size_t n = kr_result_benefit_count(c->res);
    int rc = KR_OK;

    xml_head(c);
    for (i = 0; i < n && rc == KR_OK; i++) {
        rc = xml_benefit(c, i);
    }
    cli_buf_puts(c->out, "</result>\n");
    return rc;
}

/* Format the result and write it; returns an exit code. */
static int print_result(const calc_opts *o, const kr_rules *rules,
                        const kr_app *app, const kr_result *res)
{
    kr_error err = KR_ERROR_INIT;
    cli_buf out = CLI_BUF_INIT;
    calc_ctx c;
    int rc;

    c.o = o;
    c.rules = rules;
    c.app = app;
    c.res = res;
    c.out = &out;
    c.err = &err;
    switch (o->format) {
    case FMT_JSON:
        rc = format_json(&c);
        break;
    case FMT_XML:
        rc = format_xml(&c);
        break;
    default:
        rc = format_text(&c);
        break;
    }
    rc = rc < 0 ? cli_fail(CLI_PHASE_OUTPUT, &err)
                : cli_buf_emit(&out, stdout);
    cli_buf_free(&out);
    return rc;
}

int main(int argc, char *argv[])
{
    calc_opts o = {
        CLI_STRV_INIT, CLI_STRV_INIT, CLI_STRV_INIT, NULL, NULL, "pl",
        FMT_TEXT, 0
    };
    kr_error err = KR_ERROR_INIT;
    kr_rules *rules = NULL;
    kr_app *app = NULL;
    kr_result *res = NULL;
    int rc;

    cli_init("kr-calc");
    if ((rc = parse_args(&o, argc, argv)) != CALC_CONTINUE) {
        goto done;
    }
    if (cli_load_rules(&rules, &o.rules, &err) < 0) {
        rc = cli_fail(CLI_PHASE_RULES, &err);
        goto done;
    }
    if ((rc = check_benefits(rules, &o.benefits)) != CLI_EXIT_OK) {
        goto done;
    }
    if (kr_app_parse_file(&app, rules, o.app, &err) < 0) {
        cli_error_set_file(&err, o.app);
        rc = cli_fail(CLI_PHASE_APP, &err);
        goto done;
    }
    if (evaluate(&res, rules, app, &o, &err) < 0) {
        rc = cli_fail(CLI_PHASE_EVAL, &err);
        goto done;
    }
    rc = print_result(&o, rules, app, res);
    if (rc == CLI_EXIT_OK && kr_result_error_count(res, &err) > 0) {
        /* the result is printed, every benefit that could be decided
         * with it; the exit status says that one could not */
        cli_error(&err);
        rc = CLI_EXIT_EVAL;
    }
done:
    kr_result_free(res);
    kr_app_free(app);
    kr_rules_free(rules);
    cli_strv_free(&o.rules);
    cli_strv_free(&o.benefits);
    cli_strv_free(&o.set);
    return cli_finish(rc);
}
