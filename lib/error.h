/* error.h - filling a caller's kr_error (internal). */
#ifndef KR_ERROR_H
#define KR_ERROR_H

#include "kryterium.h"

#if defined(__GNUC__)
#define KR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define KR_PRINTF(a, b)
#endif

/*
 * Set err (if not NULL and not already set: the first error wins) and
 * return code, so that callers can write `return kr__err(err, ...)`.
 */
int kr__err(kr_error *err, kr_code code, const char *fmt, ...) KR_PRINTF(3, 4);

/* Same, with the file and line the problem is at (file may be NULL). */
int kr__err_at(kr_error *err, kr_code code, const char *file,
               unsigned long line, const char *fmt, ...) KR_PRINTF(5, 6);

/* 1 when err already carries an error. */
int kr__err_isset(const kr_error *err);

#endif
