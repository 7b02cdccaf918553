/*
 * check_xml.c - the loaders' errors and safe XML (lib/xml.c,
 * lib/rules_load.c, lib/rules_check.c, lib/household.c).
 *
 * Each case asserts the code, the file and the line in kr_error and a
 * key phrase of the message.  Lines are found from a unique marker in the
 * fixture (tu_line_of), so that editing a fixture cannot make a test
 * pass by accident.  Hostile documents live in tests/data/xml/hostile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "internal.h"
#include "xml.h"
#include "testutil.h"

/* ---------------------------------------------------------------- */
/* Helpers                                                          */

/* One rule file from memory, compiled. */
static int load1(const char *xml, kr_error *err)
{
    kr_rules *r = NULL;
    int rc = tu_rules(&r, "r.xml", xml, err);

    kr_rules_free(r);
    return rc;
}

/*
 * xml fails with code in file r.xml at the line of `marker` (0: line 0),
 * and the message holds phrase.
 */
static void expect_load_err(const char *xml, kr_code code,
                            const char *marker, const char *phrase)
{
    kr_error err;
    int rc = load1(xml, &err);
    unsigned long line = marker ? tu_line_of(xml, marker) : 0;

    ck_assert_msg(!marker || line > 0, "marker %s not in fixture", marker);
    TU_ASSERT_ERR(rc, err, code, phrase);
    ck_assert_str_eq(err.file, "r.xml");
    ck_assert_msg(err.line == line, "line %lu, want %lu (%s)", err.line,
                  line, err.msg);
}

/* Rule file text around a body: the header is line 1. */
#define RULES(body) TU_RULES_OPEN("t") body TU_RULES_CLOSE

/* A rule file from a path, not compiled: the code, err filled. */
static int add_path(const char *path, kr_error *err)
{
    kr_rules *r = NULL;
    int rc;

    kr_error_clear(err);
    rc = kr_rules_new(&r, err);
    ck_assert_int_eq(rc, KR_OK);
    rc = kr_rules_add_path(r, path, err);
    kr_rules_free(r);
    return rc;
}

/* No byte of /etc/passwd may leak into an error. */
static void assert_no_passwd(const kr_error *err)
{
    ck_assert_msg(strstr(err->msg, "root:") == NULL, "leak: %s", err->msg);
    ck_assert_msg(strstr(err->file, "root:") == NULL, "leak: %s",
                  err->file);
    ck_assert_msg(strstr(err->msg, "/bin/") == NULL, "leak: %s", err->msg);
}

/* Rules for the application tests. */
static const char APP_RULES[] =
    RULES("<input id=\"data_urodzenia\" entity=\"person\" type=\"date\" "
          "min=\"1900-01-01\"/>\n"
          "<input id=\"dochod\" entity=\"person\" type=\"money\" "
          "min=\"0\" default=\"0\"/>\n"
          "<input id=\"kwota\" entity=\"income\" type=\"money\" "
          "min=\"0\"/>\n"
          "<input id=\"hektary\" entity=\"household\" type=\"decimal\" "
          "default=\"0\" max=\"1000\"/>\n"
          "<input id=\"liczba\" entity=\"household\" type=\"integer\" "
          "default=\"0\"/>\n"
          "<input id=\"zrodlo\" entity=\"income\" type=\"enum\">\n"
          "  <option value=\"praca\"/>\n"
          "</input>\n");

static kr_rules *app_rules(void)
{
    kr_rules *r = NULL;
    kr_error err;
    int rc = tu_rules(&r, "app-rules.xml", APP_RULES, &err);

    TU_ASSERT_OK(rc, err);
    return r;
}

/* An application fails with code at the marker's line in a.xml. */
static void expect_app_err(const char *xml, kr_code code,
                           const char *marker, const char *phrase)
{
    kr_rules *r = app_rules();
    kr_app *a = (kr_app *)r; /* must be reset to NULL */
    kr_error err;
    unsigned long line = marker ? tu_line_of(xml, marker) : 0;
    int rc = tu_app(&a, r, "a.xml", xml, &err);

    kr_rules_free(r);
    ck_assert_msg(!marker || line > 0, "marker %s not in fixture", marker);
    ck_assert_ptr_null(a);
    TU_ASSERT_ERR(rc, err, code, phrase);
    ck_assert_str_eq(err.file, "a.xml");
    ck_assert_msg(err.line == line, "line %lu, want %lu (%s)", err.line,
                  line, err.msg);
}

#define APP_OPEN \
    "<application xmlns=\"" TU_ANS "\" id=\"A/1\" date=\"2025-03-10\">\n"
#define APP_CLOSE "</application>\n"

/* ---------------------------------------------------------------- */
/* Hostile XML                                                      */

START_TEST(test_billion_laughs)
{
    char path[1024];
    kr_rules *r = app_rules();
    kr_app *a = NULL;
    kr_error err;
    int rc;

    /* a rule file: refused before libxml2 sees a single entity */
    tu_data(path, sizeof(path), "xml/hostile/billion-laughs.xml");
    rc = add_path(path, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "DOCTYPE is not allowed");
    ck_assert_str_eq(err.file, path);
    ck_assert_uint_eq(err.line, 0);

    /* an application */
    tu_data(path, sizeof(path), "app/billion-laughs.xml");
    kr_error_clear(&err);
    rc = kr_app_parse_file(&a, r, path, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "DOCTYPE is not allowed");
    ck_assert_ptr_null(a);
    ck_assert_str_eq(err.file, path);
    ck_assert_uint_eq(err.line, 0);
    kr_rules_free(r);
}
END_TEST

START_TEST(test_xxe)
{
    char path[1024];
    kr_rules *r = app_rules();
    kr_app *a = NULL;
    kr_error err;
    int rc;

    tu_data(path, sizeof(path), "xml/hostile/xxe.xml");
    rc = add_path(path, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "DOCTYPE is not allowed");
    ck_assert_str_eq(err.file, path);
    ck_assert_uint_eq(err.line, 0);
    assert_no_passwd(&err);

    tu_data(path, sizeof(path), "xml/hostile/xxe-app.xml");
    kr_error_clear(&err);
    rc = kr_app_parse_file(&a, r, path, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "DOCTYPE is not allowed");
    ck_assert_str_eq(err.file, path);
    assert_no_passwd(&err);
    ck_assert_ptr_null(a);
    kr_rules_free(r);
}
END_TEST

START_TEST(test_parameter_entity)
{
    char path[1024];
    kr_error err;
    int rc;

    tu_data(path, sizeof(path), "xml/hostile/parameter-entity.xml");
    rc = add_path(path, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "DOCTYPE is not allowed");
    ck_assert_str_eq(err.file, path);
    ck_assert_uint_eq(err.line, 0);
    assert_no_passwd(&err);
}
END_TEST

START_TEST(test_harmless_doctype)
{
    char path[1024];
    kr_error err;
    int rc;

    tu_data(path, sizeof(path), "xml/hostile/doctype.xml");
    rc = add_path(path, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "DOCTYPE is not allowed");
    ck_assert_str_eq(err.file, path);
    ck_assert_uint_eq(err.line, 0);
    /* the same from memory */
    expect_load_err("<!DOCTYPE rules>\n" RULES(""), KR_EINVALID, NULL,
                    "no DTDs or entity declarations");
}
END_TEST

/* ASCII text as UTF-16LE with a byte order mark (malloc'd, *len set). */
static char *utf16le(const char *s, size_t *len)
{
    size_t n = strlen(s), i;
    char *b = malloc(2 * n + 2);

    ck_assert_ptr_nonnull(b);
    b[0] = (char)0xFF;
    b[1] = (char)0xFE;
    for (i = 0; i < n; i++) {
        b[2 + 2 * i] = s[i];
        b[3 + 2 * i] = '\0';
    }
    *len = 2 * n + 2;
    return b;
}

START_TEST(test_doctype_utf16)
{
    /* "<!DOCTYPE" in UTF-16 is not the ASCII bytes the pre-scan looks
     * for: the document must still be refused, and not expanded */
    static const char doc[] =
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n"
        "<!DOCTYPE rules [\n"
        "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
        "  <!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
        "  <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
        "  <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
        "  <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
        "  <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
        "  <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
        "  <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
        "]>\n"
        "<rules xmlns=\"urn:kryterium:rules:1\" id=\"u\" version=\"1\">\n"
        "  <parameter id=\"p\" type=\"text\">\n"
        "    <value from=\"2025-01-01\" source=\"&xxe;\">&g;</value>\n"
        "  </parameter>\n"
        "</rules>\n";
    size_t len;
    char *b = utf16le(doc, &len);
    kr_rules *r = NULL;
    kr_error err = KR_ERROR_INIT;
    int rc;

    ck_assert_int_eq(kr_rules_new(&r, &err), KR_OK);
    rc = kr_rules_add_memory(r, "u16.xml", b, len, &err);
    free(b);
    kr_rules_free(r);
    ck_assert_msg(rc == KR_EINVALID || rc == KR_EPARSE, "rc %d: %s", rc,
                  err.msg);
    ck_assert_str_eq(err.file, "u16.xml");
    assert_no_passwd(&err);
}
END_TEST

/* n nested <a> elements inside <rules>, one per line. */
static char *deep_doc(int n)
{
    size_t cap = (size_t)n * 10 + 256, l = 0;
    char *s = malloc(cap);
    int i;

    ck_assert_ptr_nonnull(s);
    l += (size_t)snprintf(s + l, cap - l, "%s", TU_RULES_OPEN("deep"));
    for (i = 0; i < n; i++) {
        l += (size_t)snprintf(s + l, cap - l, "<a>\n");
    }
    for (i = 0; i < n; i++) {
        l += (size_t)snprintf(s + l, cap - l, "</a>");
    }
    snprintf(s + l, cap - l, "\n%s", TU_RULES_CLOSE);
    return s;
}

START_TEST(test_deep_nesting)
{
    kr_error err;
    char *s;
    int rc;

    /* 300 deep: libxml2's own cap (256) stops it during the parse; the
     * line is that of the element that went too deep */
    s = deep_doc(300);
    rc = load1(s, &err);
    TU_ASSERT_ERR(rc, err, KR_ELIMIT, "nested deeper than 64 levels");
    ck_assert_str_eq(err.file, "r.xml");
    ck_assert_msg(err.line >= 250 && err.line <= 260, "line %lu",
                  err.line);
    free(s);

    /* 100 deep: within libxml2's cap, beyond ours (checked after) */
    s = deep_doc(100);
    rc = load1(s, &err);
    TU_ASSERT_ERR(rc, err, KR_ELIMIT, "nested deeper than 64 levels");
    ck_assert_str_eq(err.file, "r.xml");
    free(s);

    /* 62 <a> inside <rules>: 63 levels, parses; then <a> is unknown */
    s = deep_doc(62);
    rc = load1(s, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "<a> is not allowed inside "
                  "<rules>");
    ck_assert_uint_eq(err.line, 2);
    free(s);
}
END_TEST

START_TEST(test_xml_depth_edge)
{
    /* exactly KR_XML_MAX_DEPTH levels parse, one more does not */
    char buf[1024];
    size_t l = 0;
    xmlDocPtr doc = NULL;
    kr_error err = KR_ERROR_INIT;
    int i;

    for (i = 0; i < KR_XML_MAX_DEPTH; i++) {
        l += (size_t)snprintf(buf + l, sizeof(buf) - l, "<a>");
    }
    for (i = 0; i < KR_XML_MAX_DEPTH; i++) {
        l += (size_t)snprintf(buf + l, sizeof(buf) - l, "</a>");
    }
    ck_assert_int_eq(kr_xml__parse(&doc, "d.xml", buf, l, &err), KR_OK);
    xmlFreeDoc(doc);
    l = 0;
    for (i = 0; i <= KR_XML_MAX_DEPTH; i++) {
        l += (size_t)snprintf(buf + l, sizeof(buf) - l, "<a>");
    }
    for (i = 0; i <= KR_XML_MAX_DEPTH; i++) {
        l += (size_t)snprintf(buf + l, sizeof(buf) - l, "</a>");
    }
    doc = NULL;
    ck_assert_int_eq(kr_xml__parse(&doc, "d.xml", buf, l, &err), KR_ELIMIT);
    ck_assert_ptr_null(doc);
}
END_TEST

START_TEST(test_not_wellformed)
{
    static const char bad_tag[] =
        RULES("<parameter id=\"p\" type=\"money\">\n"
              "  <value from=\"2025-01-01\" source=\"s\">1.00</value>\n"
              "</parametr>\n");
    static const char bad_amp[] =
        RULES("<parameter id=\"p\" type=\"money\">\n"
              "  <value from=\"2025-01-01\" source=\"a & b\">1</value>\n"
              "</parameter>\n");
    static const char bad_lt[] =
        RULES("<value id=\"v\" type=\"boolean\">\n"
              "  <formula>1 < 2</formula>\n"
              "</value>\n");
    static const char no_end[] = TU_RULES_OPEN("t") "<value>\n";

    expect_load_err(bad_tag, KR_EPARSE, "</parametr>", "malformed XML");
    expect_load_err(bad_amp, KR_EPARSE, "a & b", "malformed XML");
    expect_load_err(bad_lt, KR_EPARSE, "1 < 2", "malformed XML");
    {
        kr_error err;
        int rc = load1("", &err);
        TU_ASSERT_ERR(rc, err, KR_EPARSE, "malformed XML: Document is "
                      "empty");
        ck_assert_str_eq(err.file, "r.xml");
    }
    {
        kr_error err;
        int rc = load1(no_end, &err);
        TU_ASSERT_ERR(rc, err, KR_EPARSE, "malformed XML");
        ck_assert_str_eq(err.file, "r.xml");
        ck_assert_uint_ge(err.line, 2);
    }
}
END_TEST

START_TEST(test_big_line_numbers)
{
    /* past line 65535 (libxml2 keeps 16 bits unless told otherwise) */
    size_t cap = 80000 + 512, l = 0;
    char *s = malloc(cap);
    int i;

    ck_assert_ptr_nonnull(s);
    l += (size_t)snprintf(s + l, cap - l, "%s", TU_RULES_OPEN("big"));
    for (i = 0; i < 69999; i++) {
        s[l++] = '\n';
    }
    snprintf(s + l, cap - l, "<value id=\"v\" type=\"money\">"
             "<formula>nic</formula></value>\n%s",
             TU_RULES_CLOSE);
    expect_load_err(s, KR_EINVALID, "<value", "unknown name 'nic'");
    ck_assert_uint_eq(tu_line_of(s, "<value"), 70001);
    /* an empty element: libxml2 takes the line from the text after it,
     * which may be the next line (known imprecision past 65535) */
    s[l] = '\0';
    snprintf(s + l, cap - l, "\n<zle/>\n%s", TU_RULES_CLOSE);
    {
        kr_error err;
        int rc = load1(s, &err);
        TU_ASSERT_ERR(rc, err, KR_EINVALID, "<zle> is not allowed");
        ck_assert_msg(err.line == 70002 || err.line == 70003, "line %lu",
                      err.line);
    }
    free(s);
}
END_TEST

START_TEST(test_not_a_rule_file)
{
    expect_load_err("<rules id=\"t\" version=\"1\"/>\n", KR_EINVALID,
                    "<rules", "not a rule file");
    expect_load_err(APP_OPEN APP_CLOSE, KR_EINVALID, "<application",
                    "not a rule file");
    expect_load_err("<rules xmlns=\"" TU_RNS "\" version=\"1\"/>\n",
                    KR_EINVALID, "<rules", "<rules> needs a non-empty "
                    "id=\"...\"");
    expect_load_err("<rules xmlns=\"" TU_RNS "\" id=\"t\" version=\"1\" "
                    "lang=\"pl\"/>\n", KR_EINVALID, "<rules",
                    "<rules> has no attribute 'lang'");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Rule file structure                                              */

START_TEST(test_unknown_element)
{
    expect_load_err(RULES("<input id=\"a\" type=\"money\"/>\n"
                          "<paramter id=\"p\" type=\"money\"/>\n"),
                    KR_EINVALID, "<paramter",
                    "<paramter> is not allowed inside <rules>");
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <valeu from=\"2025-01-01\" source=\"s\">1"
                          "</valeu>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "<valeu",
                    "<valeu> is not allowed inside <parameter>");
    expect_load_err(RULES("<foo xmlns=\"urn:other\"/>\n"), KR_EINVALID,
                    "<foo", "<foo> is not in the rules namespace");
}
END_TEST

START_TEST(test_misspelt_attribute)
{
    expect_load_err(RULES("<input id=\"a\" type=\"money\"/>\n"
                          "<parameter id=\"x\" typ=\"money\">\n"
                          "  <value from=\"2025-01-01\" source=\"s\">1"
                          "</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "typ=", "<parameter> has no attribute "
                    "'typ'");
    expect_load_err(RULES("<parameter id=\"x\" type=\"money\">\n"
                          "  <value form=\"2025-01-01\" source=\"s\">1"
                          "</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "form=", "<value> has no attribute "
                    "'form'");
    expect_load_err(RULES("<input id=\"a\" entity=\"person\" type=\"date\" "
                          "defualt=\"2000-01-01\"/>\n"),
                    KR_EINVALID, "defualt", "<input> has no attribute "
                    "'defualt'");
    expect_load_err(RULES("<input id=\"a\" type=\"money\"/>\n"
                          "<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <amount rouding=\"half-up\">\n"
                          "    <formula>a</formula>\n"
                          "  </amount>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "rouding", "<amount> has no attribute "
                    "'rouding'");
    /* a missing type names what to write */
    expect_load_err(RULES("<parameter id=\"x\">\n"
                          "  <value from=\"2025-01-01\" source=\"s\">1"
                          "</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "<parameter", "<parameter> needs "
                    "type=\"...\"");
    expect_load_err(RULES("<input id=\"a\" type=\"monay\"/>\n"),
                    KR_EINVALID, "monay", "unknown type \"monay\"");
    expect_load_err(RULES("<input id=\"a\" type=\"money\" "
                          "entity=\"family\"/>\n"),
                    KR_EINVALID, "family", "entity=\"family\"");
}
END_TEST

START_TEST(test_value_without_source)
{
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value from=\"2024-01-01\" until=\"2024-12-31\""
                          " source=\"s\">1</value>\n"
                          "  <value from=\"2025-01-01\">2</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "<value from=\"2025",
                    "a value of parameter 'p' has no source=\"...\"");
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value from=\"2025-01-01\" source=\"\">2"
                          "</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "<value", "has no source=");
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <label lang=\"pl\">P</label>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "<parameter", "parameter 'p' has no "
                    "<value>");
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value until=\"2025-01-01\" source=\"s\">2"
                          "</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "<value", "<value> needs "
                    "from=\"YYYY-MM-DD\"");
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value from=\"2025-02-30\" source=\"s\">2"
                          "</value>\n"
                          "</parameter>\n"),
                    KR_EPARSE, "<value", "from=\"2025-02-30\" is not a "
                    "date");
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value from=\"2025-01-01\" source=\"s\">"
                          "1,50</value>\n"
                          "</parameter>\n"),
                    KR_EPARSE, "<value", "p: '1,50' is not an amount of "
                    "money");
}
END_TEST

START_TEST(test_periods)
{
    /* overlapping */
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value from=\"2024-01-01\" until=\"2024-12-31\""
                          " source=\"a\">1</value>\n"
                          "  <value from=\"2024-12-31\" source=\"b\">2"
                          "</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "source=\"b\"", "period from 2024-12-31 "
                    "starts before the previous one ends (2024-12-31)");
    /* unordered */
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value from=\"2025-01-01\" until=\"2025-12-31\""
                          " source=\"a\">1</value>\n"
                          "  <value from=\"2024-01-01\" until=\"2024-12-31\""
                          " source=\"b\">2</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "source=\"b\"", "must be in date order "
                    "and must not overlap");
    /* until before from */
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value from=\"2025-01-01\" until=\"2024-12-31\""
                          " source=\"a\">1</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "source=\"a\"", "period ends (2024-12-31) "
                    "before it starts (2025-01-01)");
    /* open-ended followed by another */
    expect_load_err(RULES("<parameter id=\"p\" type=\"money\">\n"
                          "  <value from=\"2024-01-01\" source=\"a\">1"
                          "</value>\n"
                          "  <value from=\"2025-01-01\" source=\"b\">2"
                          "</value>\n"
                          "</parameter>\n"),
                    KR_EINVALID, "source=\"b\"", "overlaps the previous "
                    "one, which has no end date (add until= to it)");
    /* the same rules for scales */
    expect_load_err(RULES("<scale id=\"s\" type=\"decimal\">\n"
                          "  <period from=\"2024-01-01\" source=\"a\">\n"
                          "    <bracket>1</bracket>\n"
                          "  </period>\n"
                          "  <period from=\"2025-01-01\" source=\"b\">\n"
                          "    <bracket>1</bracket>\n"
                          "  </period>\n"
                          "</scale>\n"),
                    KR_EINVALID, "source=\"b\"", "overlaps the previous "
                    "one");
    /* a gap is fine, a single day is fine */
    {
        kr_error err;
        int rc = load1(RULES("<parameter id=\"p\" type=\"money\">\n"
                             "  <value from=\"2024-01-01\" "
                             "until=\"2024-01-01\" source=\"a\">1</value>\n"
                             "  <value from=\"2024-03-01\" source=\"b\">2"
                             "</value>\n"
                             "</parameter>\n"), &err);
        TU_ASSERT_OK(rc, err);
    }
}
END_TEST

START_TEST(test_scale_brackets)
{
    expect_load_err(RULES("<scale id=\"s\" type=\"decimal\">\n"
                          "  <period from=\"2024-01-01\" source=\"a\">\n"
                          "    <bracket upto=\"100\">1</bracket>\n"
                          "    <bracket above=\"150\">2</bracket>\n"
                          "  </period>\n"
                          "</scale>\n"),
                    KR_EINVALID, "above=\"150\"", "brackets must follow "
                    "each other");
    expect_load_err(RULES("<scale id=\"s\" type=\"decimal\">\n"
                          "  <period from=\"2024-01-01\" source=\"a\">\n"
                          "    <bracket above=\"5\" upto=\"5\">1</bracket>\n"
                          "  </period>\n"
                          "</scale>\n"),
                    KR_EINVALID, "<bracket", "above= must be lower than "
                    "upto=");
    expect_load_err(RULES("<scale id=\"s\" type=\"date\">\n"
                          "  <period from=\"2024-01-01\" source=\"a\">\n"
                          "    <bracket>2024-01-01</bracket>\n"
                          "  </period>\n"
                          "</scale>\n"),
                    KR_EINVALID, "<scale", "a scale's values must be "
                    "numbers");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Names, references, cycles                                        */

START_TEST(test_unknown_reference)
{
    static const char one_line[] =
        RULES("<input id=\"m\" type=\"money\" default=\"0\"/>\n"
              "<value id=\"v\" type=\"money\">\n"
              "  <formula>m + dochod_rodzny</formula>\n"
              "</value>\n");
    static const char multi_line[] =
        RULES("<input id=\"m\" type=\"money\" default=\"0\"/>\n"
              "<value id=\"v\" type=\"money\">\n"
              "  <formula>\n"
              "    m +\n"
              "      kryterium\n"
              "  </formula>\n"
              "</value>\n");
    static const char in_case[] =
        RULES("<input id=\"m\" type=\"money\" default=\"0\"/>\n"
              "<value id=\"v\" type=\"money\">\n"
              "  <cases>\n"
              "    <case when=\"m &gt; 0\">\n"
              "      m *\n"
              "      procent</case>\n"
              "    <otherwise>0</otherwise>\n"
              "  </cases>\n"
              "</value>\n");
    static const char in_when[] =
        RULES("<input id=\"m\" type=\"money\" default=\"0\"/>\n"
              "<value id=\"v\" type=\"money\">\n"
              "  <cases>\n"
              "    <case when=\"mm &gt; 0\">m</case>\n"
              "    <otherwise>0</otherwise>\n"
              "  </cases>\n"
              "</value>\n");
    kr_error err;
    int rc;

    expect_load_err(one_line, KR_EINVALID, "dochod_rodzny",
                    "unknown name 'dochod_rodzny' (not an input, "
                    "parameter, scale or value of the loaded rule files)");
    rc = load1(one_line, &err);
    ck_assert_int_eq(rc, KR_EINVALID);
    ck_assert_uint_eq(err.column, 5);
    /* a formula over several lines: the line of the name itself */
    expect_load_err(multi_line, KR_EINVALID, "      kryterium",
                    "unknown name 'kryterium'");
    rc = load1(multi_line, &err);
    ck_assert_int_eq(rc, KR_EINVALID);
    ck_assert_uint_eq(err.column, 7);
    expect_load_err(in_case, KR_EINVALID, "procent",
                    "unknown name 'procent'");
    expect_load_err(in_when, KR_EINVALID, "mm &gt;", "unknown name 'mm'");
    /* a scale that does not exist */
    expect_load_err(RULES("<value id=\"v\" type=\"money\">\n"
                          "  <formula>tabela(1)</formula>\n"
                          "</value>\n"),
                    KR_EINVALID, "tabela", "unknown function or scale "
                    "'tabela'");
    /* a syntax error is a parse error at its line */
    expect_load_err(RULES("<value id=\"v\" type=\"money\">\n"
                          "  <formula>1 +\n"
                          "    2 2</formula>\n"
                          "</value>\n"),
                    KR_EPARSE, "2 2", "unexpected '2' after a complete "
                    "formula");
    /* in a benefit's attributes */
    expect_load_err(RULES("<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <amount maximum=\"maks\">\n"
                          "    <formula>1</formula>\n"
                          "  </amount>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "maximum=", "unknown name 'maks'");
    /* in a reason template */
    expect_load_err(RULES("<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <condition id=\"c\">\n"
                          "    <formula>true</formula>\n"
                          "    <reason lang=\"pl\" met=\"{nic}\"/>\n"
                          "  </condition>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "<formula>true", "unknown name 'nic'");
}
END_TEST

START_TEST(test_cycle)
{
    static const char cyc[] =
        RULES("<value id=\"a\" type=\"money\">\n"
              "  <formula>b + 1</formula>\n"
              "</value>\n"
              "<value id=\"b\" type=\"money\">\n"
              "  <formula>2 * a</formula>\n"
              "</value>\n");
    static const char self[] =
        RULES("<value id=\"a\" type=\"integer\">\n"
              "  <cases>\n"
              "    <case when=\"a &gt; 1\">1</case>\n"
              "    <otherwise>2</otherwise>\n"
              "  </cases>\n"
              "</value>\n");

    expect_load_err(cyc, KR_EINVALID, "<value id=\"a\"",
                    "cycle: 'a' depends on itself (a -> b -> a)");
    expect_load_err(self, KR_EINVALID, "<value id=\"a\"",
                    "cycle: 'a' depends on itself (a -> a)");
}
END_TEST

START_TEST(test_duplicates)
{
    static const char a[] =
        RULES("<input id=\"wiek\" entity=\"person\" type=\"integer\"/>\n"
              "<parameter id=\"kryt\" type=\"money\">\n"
              "  <value from=\"2025-01-01\" source=\"s\">1</value>\n"
              "</parameter>\n");
    static const char b_param[] =
        TU_RULES_OPEN("b")
        "\n"
        "<value id=\"kryt\" type=\"money\">\n"
        "  <formula>1</formula>\n"
        "</value>\n"
        TU_RULES_CLOSE;
    static const char b_input[] =
        TU_RULES_OPEN("b")
        "<input id=\"wiek\" entity=\"person\" type=\"decimal\"/>\n"
        TU_RULES_CLOSE;
    static const char b_same_input[] =
        TU_RULES_OPEN("b")
        "<input id=\"wiek\" entity=\"person\" type=\"integer\"/>\n"
        TU_RULES_CLOSE;
    kr_rules *r = NULL;
    kr_error err;
    int rc;

    rc = tu_rules2(&r, "a.xml", a, "b.xml", b_param, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "'kryt' is already defined as a "
                  "parameter in a.xml:3");
    ck_assert_str_eq(err.file, "b.xml");
    ck_assert_uint_eq(err.line, 3);
    ck_assert_ptr_null(r);

    rc = tu_rules2(&r, "a.xml", a, "b.xml", b_input, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "input 'wiek' is declared "
                  "differently in a.xml:2");
    ck_assert_str_eq(err.file, "b.xml");
    ck_assert_uint_eq(err.line, 2);

    /* the same declaration twice is one input */
    rc = tu_rules2(&r, "a.xml", a, "b.xml", b_same_input, &err);
    TU_ASSERT_OK(rc, err);
    kr_rules_free(r);

    /* within one file */
    expect_load_err(RULES("<input id=\"x\" type=\"money\"/>\n"
                          "<value id=\"x\" type=\"money\">\n"
                          "  <formula>1</formula>\n"
                          "</value>\n"),
                    KR_EINVALID, "<value id=\"x\"", "'x' is already "
                    "defined as an input in r.xml:2");
    expect_load_err(RULES("<benefit id=\"b\"><name>B</name></benefit>\n"
                          "<benefit id=\"b\"><name>C</name></benefit>\n"),
                    KR_EINVALID, "<name>C", "benefit 'b' is already "
                    "defined in r.xml:2");
}
END_TEST

START_TEST(test_reserved_and_bad_ids)
{
    expect_load_err(RULES("<value id=\"sum\" type=\"money\">\n"
                          "  <formula>1</formula>\n"
                          "</value>\n"),
                    KR_EINVALID, "id=\"sum\"", "id \"sum\" is a reserved "
                    "word of the formula language");
    expect_load_err(RULES("<input id=\"applicant\" type=\"money\"/>\n"),
                    KR_EINVALID, "applicant", "reserved word");
    expect_load_err(RULES("<input id=\"today\" type=\"date\"/>\n"),
                    KR_EINVALID, "today", "reserved word");
    expect_load_err(RULES("<input id=\"Dochod\" type=\"money\"/>\n"),
                    KR_EINVALID, "Dochod", "id \"Dochod\" must start with "
                    "a-z and use only a-z, 0-9 and _");
    expect_load_err(RULES("<input id=\"dochód\" type=\"money\"/>\n"),
                    KR_EINVALID, "dochód", "must start with a-z");
    expect_load_err(RULES("<input id=\"a-b\" type=\"money\"/>\n"),
                    KR_EINVALID, "a-b", "must start with a-z");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Types and units                                                  */

#define TYPES_DECLS                                                        \
    "<input id=\"m\" type=\"money\" default=\"0\"/>\n"                     \
    "<input id=\"d\" type=\"date\" default=\"2000-01-01\"/>\n"             \
    "<input id=\"k\" type=\"decimal\" default=\"0\"/>\n"                   \
    "<input id=\"zrodlo\" entity=\"income\" type=\"enum\">\n"              \
    "  <option value=\"praca\"/><option value=\"alimenty\"/>\n"            \
    "</input>\n"                                                           \
    "<input id=\"status\" type=\"enum\">\n"                                \
    "  <option value=\"a\"/><option value=\"b\"/>\n"                       \
    "</input>\n"                                                           \
    "<input id=\"dochod\" entity=\"person\" type=\"money\" "               \
    "default=\"0\"/>\n"

/* A value of type `type` with one formula: refused with phrase at the
 * formula's line. */
static void expect_type_err(const char *type, const char *formula,
                            const char *phrase)
{
    char xml[4096];

    snprintf(xml, sizeof(xml), "%s%s<value id=\"v\" type=\"%s\">\n"
             "  <formula>%s</formula>\n</value>\n%s", TU_RULES_OPEN("t"),
             TYPES_DECLS, type, formula, TU_RULES_CLOSE);
    expect_load_err(xml, KR_EINVALID, "<formula>", phrase);
}

START_TEST(test_type_errors)
{
    expect_type_err("money", "m + d", "cannot add or subtract with a date "
                    "(money + a date)");
    expect_type_err("money", "m * m", "money times money has no meaning");
    expect_type_err("money", "m + k", "cannot add money and a number");
    expect_type_err("decimal", "k / m", "dividing a number by money has no "
                    "meaning");
    expect_type_err("money", "if m then 1 else 2", "the condition after "
                    "'if' must be true/false, not money");
    expect_type_err("money", "if m > 0 then m else d", "'then' gives money "
                    "but 'else' gives a date");
    expect_type_err("boolean", "m and true", "each side of and/or must be "
                    "true/false, not money");
    expect_type_err("boolean", "not k", "the operand of 'not' must be "
                    "true/false");
    expect_type_err("boolean", "d &lt; 5", "cannot compare a date with a "
                    "number");
    expect_type_err("boolean", "status = \"c\"", "\"c\" is not an option "
                    "of 'status' (r.xml:");
    expect_type_err("boolean", "'z' != status", "\"z\" is not an option "
                    "of 'status'");
    expect_type_err("integer", "count(income where zrodlo = "
                    "\"alimenty \")", "\"alimenty \" is not an option of "
                    "'zrodlo'");
    expect_type_err("boolean", "status in (\"a\", \"x\")", "\"x\" is not "
                    "an option of 'status'");
    expect_type_err("integer", "count(person where role = \"dziecko\")",
                    "\"dziecko\" is not a role");
    expect_type_err("money", "sum(person: dochod where dochod)", "the "
                    "filter after 'where' must be true/false, not money");
    expect_type_err("money", "dochod", "'dochod' is given per person; here "
                    "(per household) use an aggregation");
}
END_TEST

START_TEST(test_type_declared)
{
    char xml[4096];

    /* the formula fits its declared type */
    snprintf(xml, sizeof(xml), "%s%s<value id=\"v\" type=\"money\">\n"
             "  <formula>d</formula>\n</value>\n%s", TU_RULES_OPEN("t"),
             TYPES_DECLS, TU_RULES_CLOSE);
    expect_load_err(xml, KR_EINVALID, "<formula>d", "value 'v' is "
                    "declared money but its formula gives a date");
}
END_TEST

START_TEST(test_condition_not_boolean)
{
    expect_load_err(RULES(TYPES_DECLS
                          "<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <condition id=\"c\">\n"
                          "    <formula>m - 1</formula>\n"
                          "  </condition>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "m - 1", "condition 'c' must be "
                    "true/false, not money");
    expect_load_err(RULES(TYPES_DECLS
                          "<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <amount><formula>k</formula></amount>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "<amount>", "an amount must be money, "
                    "not a number");
    expect_load_err(RULES(TYPES_DECLS
                          "<value id=\"v\" type=\"money\">\n"
                          "  <cases>\n"
                          "    <case when=\"m\">1</case>\n"
                          "  </cases>\n"
                          "</value>\n"),
                    KR_EINVALID, "when=", "a case's when= must be "
                    "true/false");
}
END_TEST

START_TEST(test_rounding)
{
    expect_load_err(RULES("<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <amount round=\"0.01\" rounding=\"nearest\">\n"
                          "    <formula>1</formula>\n"
                          "  </amount>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "nearest", "rounding=\"nearest\": use "
                    "half-up, half-even, down, up, floor or ceiling");
    expect_load_err(RULES("<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <amount round=\"0.01\">\n"
                          "    <formula>1</formula>\n"
                          "  </amount>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "round=", "round= needs rounding=");
    expect_load_err(RULES("<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <amount round=\"0\" rounding=\"up\">\n"
                          "    <formula>1</formula>\n"
                          "  </amount>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "round=", "round=\"0\": give the step as "
                    "a positive number");
    expect_load_err(RULES("<benefit id=\"b\">\n"
                          "  <name lang=\"pl\">B</name>\n"
                          "  <amount minimum=\"1\" below-minimum=\"zero\">\n"
                          "    <formula>1</formula>\n"
                          "  </amount>\n"
                          "</benefit>\n"),
                    KR_EINVALID, "below-minimum", "below-minimum=\"zero\": "
                    "use raise or nothing");
    expect_type_err("money", "round(m, 0.01, \"half_down\")",
                    "round()'s mode must be \"half-up\"");
    expect_type_err("money", "round(m, k, \"up\")",
                    "round()'s step must be a positive number written out");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Applications                                                     */

START_TEST(test_app_ok)
{
    static const char xml[] =
        APP_OPEN
        " <benefits/>\n"
        " <household hektary=\"1.5\"><liczba>2</liczba></household>\n"
        " <person id=\"p1\" role=\"applicant\">\n"
        "  <data_urodzenia>1980-01-01</data_urodzenia>\n"
        "  <income zrodlo=\"praca\" kwota=\"12.50\"/>\n"
        " </person>\n"
        " <person role=\"child\"/>\n"
        APP_CLOSE;
    kr_rules *r = app_rules();
    kr_app *a = NULL;
    kr_error err;
    int rc = tu_app(&a, r, "a.xml", xml, &err);

    TU_ASSERT_OK(rc, err);
    ck_assert_str_eq(kr_app_id(a), "A/1");
    ck_assert_str_eq(kr_app_date(a), "2025-03-10");
    ck_assert_uint_eq(kr_app_requested_count(a), 0);
    kr_app_free(a);
    kr_rules_free(r);
}
END_TEST

START_TEST(test_app_undeclared_field)
{
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <data_urodzenia>1980-01-01</data_urodzenia>\n"
                   "  <pesel>80010112345</pesel>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EINVALID, "<pesel>",
                   "person p1: field 'pesel' is not an input declared by "
                   "the rules");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\" plec=\"K\"/>\n"
                   APP_CLOSE, KR_EINVALID, "plec",
                   "field 'plec' is not an input");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <income kwota=\"1\" podatek=\"0\"/>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EINVALID, "podatek",
                   "person p1, income 1: field 'podatek' is not an input");
    expect_app_err(APP_OPEN
                   " <household><hektary>1</hektary></household>\n"
                   " <household><hektary>1</hektary></household>\n"
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   APP_CLOSE, KR_EINVALID, " <household><hektary>1</hektary>"
                   "</household>\n <person",
                   "household: field 'hektary' is given twice");
    expect_app_err(APP_OPEN
                   " <wnioskodawca/>\n"
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   APP_CLOSE, KR_EINVALID, "<wnioskodawca",
                   "<wnioskodawca> is not allowed in <application>");
}
END_TEST

START_TEST(test_app_wrong_type)
{
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <income kwota=\"12,50\"/>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EPARSE, "12,50",
                   "person p1, income 1: field 'kwota': '12,50' is not an "
                   "amount of money");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <data_urodzenia>1980-02-30</data_urodzenia>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EPARSE, "1980-02-30",
                   "field 'data_urodzenia': '1980-02-30' is not a date");
    expect_app_err(APP_OPEN
                   " <household liczba=\"2.5\"/>\n"
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   APP_CLOSE, KR_EINVALID, "2.5",
                   "'2.5' is not a whole number");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <income zrodlo=\"emerytura\"/>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EINVALID, "emerytura",
                   "'emerytura' is not one of: praca");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <dochod><x>1</x></dochod>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EINVALID, "<dochod>",
                   "<dochod> must hold a plain value");
    expect_app_err("<application xmlns=\"" TU_ANS "\" date=\"10.03.2025\">\n"
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   APP_CLOSE, KR_EINVALID, "<application",
                   "field 'date': '10.03.2025' is not a date");
}
END_TEST

START_TEST(test_app_bounds)
{
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <income kwota=\"-1\"/>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EINVALID, "kwota=\"-1\"",
                   "field 'kwota': -1 is outside the allowed range [0, ]");
    expect_app_err(APP_OPEN
                   " <household hektary=\"1000.01\"/>\n"
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   APP_CLOSE, KR_EINVALID, "hektary",
                   "1000.01 is outside the allowed range [, 1000]");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <data_urodzenia>1899-12-31</data_urodzenia>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EINVALID, "1899",
                   "1899-12-31 is outside the allowed dates");
}
END_TEST

START_TEST(test_app_roles)
{
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   " <person id=\"p2\" role=\"applicant\"/>\n"
                   APP_CLOSE, KR_EINVALID, "<application",
                   "more than one person has role=\"applicant\"");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"spouse\"/>\n"
                   APP_CLOSE, KR_EINVALID, "<application",
                   "no person has role=\"applicant\"");
    expect_app_err(APP_OPEN
                   " <household/>\n"
                   APP_CLOSE, KR_EINVALID, "<application",
                   "application lists no <person>");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   " <person id=\"p2\" role=\"boss\"/>\n"
                   APP_CLOSE, KR_EINVALID, "boss",
                   "person p2: field 'role': 'boss' is not one of "
                   "applicant, spouse, child, relative, other");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   " <person id=\"p2\"/>\n"
                   APP_CLOSE, KR_EINVALID, "\"p2\"",
                   "person p2: field 'role': missing");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   " <person id=\"p1\" role=\"child\"/>\n"
                   APP_CLOSE, KR_EINVALID, "role=\"child\"",
                   "person id 'p1' is used twice");
}
END_TEST

START_TEST(test_app_wrong_level)
{
    expect_app_err(APP_OPEN
                   " <household>\n"
                   "  <dochod>100.00</dochod>\n"
                   " </household>\n"
                   " <person id=\"p1\" role=\"applicant\"/>\n"
                   APP_CLOSE, KR_EINVALID, "<dochod>",
                   "household: field 'dochod' belongs to the person, not "
                   "here");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\" kwota=\"5\"/>\n"
                   APP_CLOSE, KR_EINVALID, "kwota",
                   "person p1: field 'kwota' belongs to the income, not "
                   "here");
    expect_app_err(APP_OPEN
                   " <person id=\"p1\" role=\"applicant\">\n"
                   "  <income hektary=\"5\"/>\n"
                   " </person>\n"
                   APP_CLOSE, KR_EINVALID, "<income",
                   "field 'hektary' belongs to the household, not here");
}
END_TEST

START_TEST(test_app_benefits)
{
    static const char rules[] =
        RULES("<benefit id=\"zasilek\"><name>Z</name></benefit>\n");
    static const char ok[] =
        APP_OPEN
        " <benefits><benefit id=\"zasilek\"/></benefits>\n"
        " <person id=\"p1\" role=\"applicant\"/>\n"
        APP_CLOSE;
    static const char bad[] =
        APP_OPEN
        " <benefits>\n"
        "  <benefit id=\"zasilek_staly\"/>\n"
        " </benefits>\n"
        " <person id=\"p1\" role=\"applicant\"/>\n"
        APP_CLOSE;
    kr_rules *r = NULL;
    kr_app *a = NULL;
    kr_error err;
    int rc;

    rc = tu_rules(&r, "r.xml", rules, &err);
    TU_ASSERT_OK(rc, err);
    rc = tu_app(&a, r, "a.xml", ok, &err);
    TU_ASSERT_OK(rc, err);
    ck_assert_uint_eq(kr_app_requested_count(a), 1);
    ck_assert_str_eq(kr_app_requested(a, 0), "zasilek");
    kr_app_free(a);
    a = NULL;
    rc = tu_app(&a, r, "a.xml", bad, &err);
    TU_ASSERT_ERR(rc, err, KR_EINVALID, "benefit 'zasilek_staly' is not "
                  "defined by the loaded rules");
    ck_assert_uint_eq(err.line, tu_line_of(bad, "zasilek_staly"));
    ck_assert_ptr_null(a);
    kr_rules_free(r);
}
END_TEST

START_TEST(test_app_files)
{
    char path[1024];
    kr_rules *r = app_rules();
    kr_app *a = NULL;
    kr_error err = KR_ERROR_INIT;
    int rc;

    rc = kr_app_parse_file(&a, r, "/nonexistent/dir/app.xml", &err);
    TU_ASSERT_ERR(rc, err, KR_EIO, "cannot open");
    ck_assert_str_eq(err.file, "/nonexistent/dir/app.xml");
    ck_assert_int_ne(err.sys_errno, 0);
    ck_assert_ptr_null(a);
    /* the not-well-formed fixture of the CLI tests */
    tu_data(path, sizeof(path), "app/not-wellformed.xml");
    kr_error_clear(&err);
    rc = kr_app_parse_file(&a, r, path, &err);
    TU_ASSERT_ERR(rc, err, KR_EPARSE, "malformed XML");
    ck_assert_str_eq(err.file, path);
    ck_assert_uint_eq(err.line, 7); /* where </person> is met */
    ck_assert_ptr_null(a);
    kr_rules_free(r);
}
END_TEST

/* ---------------------------------------------------------------- */

static Suite *xml_suite(void)
{
    Suite *s = suite_create("xml");
    TCase *tc;

    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_billion_laughs);
    tcase_add_test(tc, test_xxe);
    tcase_add_test(tc, test_parameter_entity);
    tcase_add_test(tc, test_harmless_doctype);
    tcase_add_test(tc, test_doctype_utf16);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_xml_depth_edge);
    tcase_add_test(tc, test_not_wellformed);
    tcase_add_test(tc, test_not_a_rule_file);
    tcase_add_test(tc, test_big_line_numbers);
    suite_add_tcase(s, tc);

    tc = tcase_create("rules");
    tcase_add_test(tc, test_unknown_element);
    tcase_add_test(tc, test_misspelt_attribute);
    tcase_add_test(tc, test_value_without_source);
    tcase_add_test(tc, test_periods);
    tcase_add_test(tc, test_scale_brackets);
    tcase_add_test(tc, test_unknown_reference);
    tcase_add_test(tc, test_cycle);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_reserved_and_bad_ids);
    suite_add_tcase(s, tc);

    tc = tcase_create("types");
    tcase_add_test(tc, test_type_errors);
    tcase_add_test(tc, test_type_declared);
    tcase_add_test(tc, test_condition_not_boolean);
    tcase_add_test(tc, test_rounding);
    suite_add_tcase(s, tc);

    tc = tcase_create("application");
    tcase_add_test(tc, test_app_ok);
    tcase_add_test(tc, test_app_undeclared_field);
    tcase_add_test(tc, test_app_wrong_type);
    tcase_add_test(tc, test_app_bounds);
    tcase_add_test(tc, test_app_roles);
    tcase_add_test(tc, test_app_wrong_level);
    tcase_add_test(tc, test_app_benefits);
    tcase_add_test(tc, test_app_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xml_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
