/* error.c - the kr_error contract: first error wins, never printed here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void kr_error_clear(kr_error *err)
{
    if (err) {
        memset(err, 0, sizeof(*err));
    }
}

int kr__err_isset(const kr_error *err)
{
    return err && err->code != KR_OK;
}

static void vset(kr_error *err, kr_code code, const char *file,
                 unsigned long line, const char *fmt, va_list ap)
{
    if (!err || err->code != KR_OK) {
        return;
    }
    err->code = code;
    if (file) {
        snprintf(err->file, sizeof(err->file), "%s", file);
    }
    err->line = line;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int kr__err(kr_error *err, kr_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, NULL, 0, fmt, ap);
    va_end(ap);
    return code;
}

int kr__err_at(kr_error *err, kr_code code, const char *file,
               unsigned long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, file, line, fmt, ap);
    va_end(ap);
    return code;
}

const char *kr_code_name(int code)
{
    switch (code) {
    case KR_OK: return "ok";
    case KR_ERROR: return "internal error";
    case KR_ENOMEM: return "out of memory";
    case KR_EIO: return "I/O error";
    case KR_EPARSE: return "parse error";
    case KR_EINVALID: return "invalid";
    case KR_ELIMIT: return "limit exceeded";
    case KR_EDIVZERO: return "division by zero";
    case KR_ENOTFOUND: return "not found";
    case KR_EEVAL: return "evaluation error";
    default: return "unknown error";
    }
}

void kr_free(void *p)
{
    free(p);
}

const char *kr_version(void)
{
    return KR_VERSION;
}
