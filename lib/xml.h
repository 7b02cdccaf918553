/*
 * xml.h - the only way libkryterium reads XML (internal).
 *
 * Rule files, applications and test files are all read through here, so
 * the safety rules live in one place: the bytes are read by us (never a
 * file name handed to libxml2, so no transparent decompression and no
 * entity loader), a DOCTYPE is refused before libxml2 sees the document,
 * no entity substitution, no network, bounded size and depth.
 */
#ifndef KR_XML_H
#define KR_XML_H

#include <stddef.h>
#include <libxml/tree.h>
#include "kryterium.h"

#define KR_XML_MAX_BYTES (64u * 1024u * 1024u)
#define KR_XML_MAX_DEPTH 64

/* Read a whole file (at most max bytes) into a malloc'd buffer. */
int kr_xml__slurp(char **out, size_t *outlen, const char *path, size_t max,
                  kr_error *err);

/*
 * Parse a document from memory; name is used in messages.  Refuses a
 * DOCTYPE (and so every entity declaration), nesting deeper than
 * KR_XML_MAX_DEPTH and documents over KR_XML_MAX_BYTES.
 */
int kr_xml__parse(xmlDocPtr *out, const char *name, const char *buf,
                  size_t len, kr_error *err);

/* 1 when buf holds "<!DOCTYPE" anywhere: refused before libxml2 reads an
 * internal subset (kr_xml__parse and the batch reader both call it). */
int kr_xml__has_doctype(const char *buf, size_t len);

/* Element with local name `name` in namespace ns (NULL: any). */
int kr_xml__is(const xmlNode *n, const char *ns, const char *name);

/* Attribute value (no namespace) or NULL; borrowed from the node. */
const char *kr_xml__attr(const xmlNode *n, const char *name);

/* Concatenated text content of an element's direct text/CDATA children,
 * malloc'd, trimmed of leading/trailing white space. */
char *kr_xml__text(const xmlNode *n);

/* First / next element sibling (skipping text, comments, PIs). */
xmlNode *kr_xml__first_el(const xmlNode *parent);
xmlNode *kr_xml__next_el(const xmlNode *n);

unsigned long kr_xml__line(const xmlNode *n);

/* Call once per process before any parse (idempotent, thread-safe). */
void kr_xml__init(void);

#endif
