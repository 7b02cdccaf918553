/*
 * xml.c - safe XML reading.
 *
 * libxml2 2.9.14 (Debian 12) is the floor.  What we do and why:
 * - Only XML_PARSE_NONET (and XML_PARSE_BIG_LINES, so that an element
 *   past line 65535 is not reported at line 65535; it changes nothing
 *   else).  Never XML_PARSE_NOENT (it substitutes entities
 *   and loads external ones), never DTDLOAD/DTDATTR/DTDVALID, never
 *   XML_PARSE_HUGE (in 2.9.14 it switches off xmlParserEntityCheck, the
 *   billion-laughs guard), never RECOVER.
 * - Our formats have no use for a DTD, so a document containing
 *   "<!DOCTYPE" is refused before libxml2 parses it: no entity is ever
 *   declared, so none can be expanded or fetched.  (A "<!DOCTYPE" inside a
 *   comment is refused too; that costs nobody anything.)
 * - The bytes come from our own read(), so libxml2's URL loader and its
 *   transparent gzip/lzma decompression are never involved.
 * - Depth is checked after the parse (libxml2 itself stops at 256).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "error.h"
#include "xml.h"

#define KR_XML_OPTS (XML_PARSE_NONET | XML_PARSE_BIG_LINES)

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* libxml2 would print parse errors to stderr by default: the library
 * never prints, so the generic handler swallows them; we read the
 * structured error from the parser context instead. */
static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* Keep libxml2's first error: the last one is often a consequence
 * ("Premature end of data") far from the real mistake. */
typedef struct {
    int set;
    int code;
    unsigned long line, col;
    char msg[300];
} first_error;

static void keep_first(void *user, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = user;
    first_error *f = ctxt ? ctxt->_private : NULL;
    if (!f || f->set || !e || e->level < XML_ERR_ERROR) {
        return;
    }
    f->set = 1;
    f->code = e->code;
    f->line = e->line > 0 ? (unsigned long)e->line : 0;
    f->col = e->int2 > 0 ? (unsigned long)e->int2 : 0;
    snprintf(f->msg, sizeof(f->msg), "%s",
             e->message ? e->message : "not well-formed XML");
}

static void init_once(void)
{
    xmlInitParser();
}

void kr_xml__init(void)
{
    pthread_once(&xml_once, init_once);
}

int kr_xml__slurp(char **out, size_t *outlen, const char *path, size_t max,
                  kr_error *err)
{
    int fd;
    struct stat st;
    char *buf = NULL;
    size_t cap = 0, len = 0;

    *out = NULL;
    *outlen = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        kr__err_at(err, KR_EIO, path, 0, "cannot open: %s", strerror(e));
        if (err) {
            err->sys_errno = e;
        }
        return KR_EIO;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return kr__err_at(err, KR_EIO, path, 0, "is a directory");
    }
    for (;;) {
        ssize_t n;
        if (len + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb;
            if (cap > max) {
                free(buf);
                close(fd);
                return kr__err_at(err, KR_ELIMIT, path, 0,
                                  "file is larger than %zu bytes", max);
            }
            nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                close(fd);
                return kr__err(err, KR_ENOMEM, "out of memory");
            }
            buf = nb;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            int e = errno;
            if (e == EINTR) {
                continue;
            }
            free(buf);
            close(fd);
            kr__err_at(err, KR_EIO, path, 0, "read failed: %s", strerror(e));
            if (err) {
                err->sys_errno = e;
            }
            return KR_EIO;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        if (len > max) {
            free(buf);
            close(fd);
            return kr__err_at(err, KR_ELIMIT, path, 0,
                              "file is larger than %zu bytes", max);
        }
    }
    close(fd);
    if (!buf) {
        buf = malloc(1);
        if (!buf) {
            return kr__err(err, KR_ENOMEM, "out of memory");
        }
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return KR_OK;
}

static int depth_ok(const xmlNode *n, int depth)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (depth > KR_XML_MAX_DEPTH || !depth_ok(n->children, depth + 1)) {
            return 0;
        }
    }
    return 1;
}

int kr_xml__has_doctype(const char *buf, size_t len)
{
    static const char pat[] = "<!DOCTYPE";
    size_t i, m = sizeof(pat) - 1;
    for (i = 0; i + m <= len; i++) {
        if (buf[i] == '<' && memcmp(buf + i, pat, m) == 0) {
            return 1;
        }
    }
    return 0;
}

int kr_xml__parse(xmlDocPtr *out, const char *name, const char *buf,
                  size_t len, kr_error *err)
{
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc;
    first_error first;

    *out = NULL;
    memset(&first, 0, sizeof(first));
    kr_xml__init();
    if (len > KR_XML_MAX_BYTES || len > (size_t)INT32_MAX) {
        return kr__err_at(err, KR_ELIMIT, name, 0,
                          "document is larger than %u bytes",
                          KR_XML_MAX_BYTES);
    }
    if (kr_xml__has_doctype(buf, len)) {
        return kr__err_at(err, KR_EINVALID, name, 0,
                          "DOCTYPE is not allowed (no DTDs or entity "
                          "declarations are accepted, for safety)");
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    xmlSetGenericErrorFunc(NULL, silent);
    ctxt->vctxt.error = silent;
    ctxt->vctxt.warning = silent;
    ctxt->sax->error = silent;
    ctxt->sax->warning = silent;
    ctxt->sax->serror = keep_first;
    ctxt->_private = &first;
    doc = xmlCtxtReadMemory(ctxt, buf, (int)len, name, NULL, KR_XML_OPTS);
    if (!doc || !ctxt->wellFormed) {
        size_t n;
        kr_code code = KR_EPARSE;
        if (!first.set) {
            snprintf(first.msg, sizeof(first.msg), "not well-formed XML");
        }
        n = strlen(first.msg);
        while (n > 0 && (first.msg[n - 1] == '\n' || first.msg[n - 1] == ' ')) {
            first.msg[--n] = '\0';
        }
        if (strstr(first.msg, "Excessive depth")) {
            /* libxml2's own cap (256) came first; its message suggests
             * XML_PARSE_HUGE, which we never use */
            code = KR_ELIMIT;
            snprintf(first.msg, sizeof(first.msg), "elements are nested "
                     "deeper than %d levels", KR_XML_MAX_DEPTH);
            kr__err_at(err, code, name, first.line, "%s", first.msg);
        } else {
            kr__err_at(err, code, name, first.line, "malformed XML: %s",
                       first.msg);
        }
        if (err && first.col > 0 && err->code == code && err->column == 0) {
            err->column = first.col;
        }
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        return code;
    }
    xmlFreeParserCtxt(ctxt);
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        return kr__err_at(err, KR_EINVALID, name, 0,
                          "DOCTYPE is not allowed");
    }
    if (!depth_ok(xmlDocGetRootElement(doc), 1)) {
        xmlFreeDoc(doc);
        return kr__err_at(err, KR_ELIMIT, name, 0,
                          "elements are nested deeper than %d levels",
                          KR_XML_MAX_DEPTH);
    }
    *out = doc;
    return KR_OK;
}

int kr_xml__is(const xmlNode *n, const char *ns, const char *name)
{
    if (!n || n->type != XML_ELEMENT_NODE) {
        return 0;
    }
    if (strcmp((const char *)n->name, name) != 0) {
        return 0;
    }
    if (ns) {
        return n->ns && n->ns->href &&
               strcmp((const char *)n->ns->href, ns) == 0;
    }
    return 1;
}

const char *kr_xml__attr(const xmlNode *n, const char *name)
{
    const xmlAttr *a;
    for (a = n->properties; a; a = a->next) {
        if (a->ns == NULL && strcmp((const char *)a->name, name) == 0) {
            if (a->children && a->children->type == XML_TEXT_NODE &&
                a->children->next == NULL) {
                return (const char *)a->children->content;
            }
            return a->children ? (const char *)a->children->content : "";
        }
    }
    return NULL;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *kr_xml__text(const xmlNode *n)
{
    const xmlNode *c;
    size_t len = 0, s, e;
    char *out;

    for (c = n->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            c->content) {
            len += strlen((const char *)c->content);
        }
    }
    out = malloc(len + 1);
    if (!out) {
        return NULL;
    }
    len = 0;
    for (c = n->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            c->content) {
            size_t l = strlen((const char *)c->content);
            memcpy(out + len, c->content, l);
            len += l;
        }
    }
    out[len] = '\0';
    s = 0;
    while (s < len && is_space(out[s])) {
        s++;
    }
    e = len;
    while (e > s && is_space(out[e - 1])) {
        e--;
    }
    memmove(out, out + s, e - s);
    out[e - s] = '\0';
    return out;
}

xmlNode *kr_xml__first_el(const xmlNode *parent)
{
    xmlNode *c = parent ? parent->children : NULL;
    while (c && c->type != XML_ELEMENT_NODE) {
        c = c->next;
    }
    return c;
}

xmlNode *kr_xml__next_el(const xmlNode *n)
{
    xmlNode *c = n ? n->next : NULL;
    while (c && c->type != XML_ELEMENT_NODE) {
        c = c->next;
    }
    return c;
}

unsigned long kr_xml__line(const xmlNode *n)
{
    long l = xmlGetLineNo(n);
    return l > 0 ? (unsigned long)l : 0;
}
