/*
 * batch.c - many applications from one stream (CSV or XML), one at a
 * time, in constant memory; and exact sums for summaries.
 *
 * A bad record never stops the stream: it is reported with its line and
 * application id and skipped, so that a batch yields one result or one
 * error per application.  Only what makes the rest unreadable (a bad CSV
 * header, malformed XML structure, an I/O error) is fatal.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlreader.h>
#if defined(__SSE2__) && !defined(KR_CSV_SWAR)
#include <emmintrin.h>  /* KR_CSV_SWAR: the portable CSV scan, for tests */
#endif

#include "internal.h"
#include "xml.h"

#define ANS "urn:kryterium:application:1"
#define MAX_ROWS 256          /* persons in one application */
#define MAX_FIELD (1u << 20)  /* bytes in one CSV field */
#define MAX_INCOME 99
#define ID_SIZE 128           /* application ids kept, with the NUL */

enum { C_APPID, C_DATE, C_PID, C_ROLE, C_BEN, C_HOUSEHOLD, C_PERSON,
       C_INCOME };

typedef struct {
    int kind;
    int income;            /* C_INCOME: 1..99 */
    int slot;              /* C_INCOME: rank of income among the header's */
    const kr_sym *sym;
    char *name;
} col;

typedef struct {
    char *buf;             /* fields, each NUL-terminated */
    size_t len, cap;
    size_t *off;           /* start of each field in buf */
    int nf;
    unsigned long line;
} row;

static xmlTextReaderPtr xml_reader_open(kr_reader *rd);

struct kr_reader {
    const kr_rules *rules;
    int fd;
    char *name;
    int format;
    int decimal_comma;
    int fatal;
    /* input buffer */
    char *in;
    size_t inlen, inpos;
    int eof;
    unsigned long line;
    /* CSV */
    col *cols;
    int ncols;
    int ci[C_BEN + 1];       /* column of each fixed field, -1 if absent */
    int *inc_cols;           /* the income columns, so rows skip the rest,
                              * grouped by slot (slot j ends before
                              * inc_cols[slot_end[j]]) */
    int ninc_cols;
    int slot_end[MAX_INCOME];
    int *val_cols;           /* household, person and income columns, in
                              * order (in inc_cols' block) */
    int nval_cols;
    int ninc;                /* distinct income numbers N in the header */
    row *rows;             /* MAX_ROWS + 1 (the last is the lookahead) */
    int have_next;         /* rows[MAX_ROWS] holds the next row */
    int header_done;
    /* XML */
    xmlTextReaderPtr xr;
    int xml_positioned;    /* xr already on the next node */
    char xml_err[300];
    unsigned long xml_err_line;
    int xml_err_set;
    /* the record last returned */
    char id[ID_SIZE];
    unsigned long rec_line;
    /* a fatal error found while reading ahead, reported by the next call
     * so that the complete record before it is not lost */
    int pending;
    char pending_msg[KR_ERROR_MSG_SIZE];
    unsigned long pending_line;
};

static int fatal(kr_reader *rd, kr_error *err, int code, unsigned long line,
                 const char *fmt, ...) KR_PRINTF(5, 6);

/* Keep a fatal error for the next call (the record in hand is good). */
static void defer_fatal(kr_reader *rd, const kr_error *e)
{
    rd->fatal = 1;
    rd->pending = e->code ? e->code : KR_EPARSE;
    snprintf(rd->pending_msg, sizeof(rd->pending_msg), "%s", e->msg);
    rd->pending_line = e->line;
}

static int fatal(kr_reader *rd, kr_error *err, int code, unsigned long line,
                 const char *fmt, ...)
{
    char msg[KR_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rd->fatal = 1;
    return kr__err_at(err, (kr_code)code, rd->name, line, "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Buffered bytes                                                      */

#define INBUF 65536

static int fill(kr_reader *rd, kr_error *err)
{
    ssize_t n;
    if (rd->eof) {
        return 0;
    }
    if (rd->inpos < rd->inlen) {
        memmove(rd->in, rd->in + rd->inpos, rd->inlen - rd->inpos);
    }
    rd->inlen -= rd->inpos;
    rd->inpos = 0;
    do {
        n = read(rd->fd, rd->in + rd->inlen, INBUF - rd->inlen);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        fatal(rd, err, KR_EIO, rd->line, "read failed: %s", strerror(e));
        if (err) {
            err->sys_errno = e;
        }
        return -1;
    }
    if (n == 0) {
        rd->eof = 1;
    }
    rd->inlen += (size_t)n;
    return 0;
}

/* Next byte or -1 at the end (-2 on an error). */
static int next_byte_slow(kr_reader *rd, kr_error *err)
{
    if (rd->inpos == rd->inlen) {
        if (fill(rd, err) < 0) {
            return -2;
        }
        if (rd->inpos == rd->inlen) {
            return -1;
        }
    }
    return (unsigned char)rd->in[rd->inpos++];
}

/* the CSV loop calls this for every byte: the buffered case inline */
static inline int next_byte(kr_reader *rd, kr_error *err)
{
    if (rd->inpos < rd->inlen) {
        return (unsigned char)rd->in[rd->inpos++];
    }
    return next_byte_slow(rd, err);
}

static int peek_byte(kr_reader *rd, kr_error *err)
{
    int c = next_byte(rd, err);
    if (c >= 0) {
        rd->inpos--;
    }
    return c;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

/* Room for k more bytes and a terminator. */
static int row_reserve(row *r, size_t k)
{
    if (r->len + k + 1 >= r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        char *nb;
        while (r->len + k + 1 >= cap) {
            cap *= 2;
        }
        if (!(nb = realloc(r->buf, cap))) {
            return -1;
        }
        r->buf = nb;
        r->cap = cap;
    }
    return 0;
}

static inline int row_put(row *r, int c)
{
    if (r->len + 1 >= r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        char *nb = realloc(r->buf, cap);
        if (!nb) {
            return -1;
        }
        r->buf = nb;
        r->cap = cap;
    }
    r->buf[r->len++] = (char)c;
    return 0;
}

static int row_field(row *r, int maxf)
{
    if (r->nf >= maxf) {
        return -1;
    }
    r->off[r->nf++] = r->len;
    return 0;
}

#define MAX_COLS 4096
#define CSV_RUN 1024          /* bytes copied per reservation */

/* Bytes that stop a run of unquoted field bytes (',' is handled inside
 * the run: it only starts the next field). */
static const unsigned char csv_special[256] = {
    ['\n'] = 1, ['\r'] = 1, ['"'] = 1
};

/* A block of unquoted bytes is copied whole and then the commas in it
 * are visited from a bit mask: a field costs a few instructions instead
 * of a test and a store per byte.  csv_block copies CSV_BLOCK bytes from
 * p to o and returns the mask of the commas, *stop the mask of the bytes
 * that end the run ('"', '\r', '\n').  csv_first is the index of the
 * lowest byte in a non-zero mask; m & (m - 1) drops it. */
#if defined(__SSE2__) && !defined(KR_CSV_SWAR)
#define CSV_BLOCK 16
typedef unsigned csv_mask;

static inline csv_mask csv_block(const char *p, char *o, csv_mask *stop)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i s = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                             _mm_or_si128(
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
    _mm_storeu_si128((__m128i *)(void *)o, v);
    *stop = (csv_mask)_mm_movemask_epi8(s);
    return (csv_mask)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
                                                      _mm_set1_epi8(',')));
}

#define csv_first(m) ((size_t)__builtin_ctz(m))
#else
/* eight bytes in a word; a mask has the high bit of each byte found */
#define CSV_BLOCK 8
typedef uint64_t csv_mask;

#define CSV_ONES UINT64_C(0x0101010101010101)
#define CSV_LOW7 UINT64_C(0x7F7F7F7F7F7F7F7F)

/* the high bit of each byte of w that is not c (exact: no carry crosses
 * a byte, unlike the shorter has-a-zero-byte tests) */
static inline uint64_t csv_not(uint64_t w, unsigned char c)
{
    uint64_t x = w ^ (CSV_ONES * c);
    return ((x & CSV_LOW7) + CSV_LOW7) | x;
}

static inline csv_mask csv_block(const char *p, char *o, csv_mask *stop)
{
    uint64_t w;
    memcpy(&w, p, 8);
    memcpy(o, &w, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);   /* the first byte in the lowest bits */
#endif
    *stop = ~(csv_not(w, '"') & csv_not(w, '\r') & csv_not(w, '\n'))
            & ~CSV_LOW7;
    return ~csv_not(w, ',') & ~CSV_LOW7;
}

#define csv_first(m) ((size_t)__builtin_ctzll(m) >> 3)
#endif

/* One CSV record (RFC 4180: quotes, doubled quotes, CRLF or LF, newlines
 * inside quotes).  Blank lines are skipped (they may separate
 * applications).  Returns 1, 0 at the end, <0 fatal. */
static int csv_row(kr_reader *rd, row *r, kr_error *err)
{
    int c, quoted = 0, at_start = 1;
    size_t flen = 0;

    for (;;) {
        c = peek_byte(rd, err);
        if (c == -2) {
            return -1;
        }
        if (c == '\r' || c == '\n') {
            next_byte(rd, err);
            if (c == '\n') {
                rd->line++;
            }
            continue;
        }
        break;
    }
    if (c == -1) {
        return 0;
    }
    r->len = 0;
    r->nf = 0;
    r->line = rd->line;
    if (!r->off && !(r->off = malloc(sizeof(size_t) * MAX_COLS))) {
        return fatal(rd, err, KR_ENOMEM, rd->line, "out of memory");
    }
    row_field(r, MAX_COLS);
    for (;;) {
        if (!quoted && rd->inpos < rd->inlen) {
            /* unquoted fields straight from the buffer, commas included:
             * most of a file.  What a run writes is never longer than
             * what it reads, so one reservation covers it, whole blocks
             * included; runs are bounded so that rows do not all grow to
             * the input buffer.  Output byte o0 + k is input byte
             * p0 + k: a comma becomes the NUL ending its field */
            const char *p0 = rd->in + rd->inpos, *p = p0;
            const char *end = rd->in + rd->inlen;
            size_t o0;
            char *o;
            if (end - p > CSV_RUN) {
                end = p + CSV_RUN;
            }
            if (row_reserve(r, (size_t)(end - p)) < 0) {
                return fatal(rd, err, KR_ENOMEM, r->line, "out of memory");
            }
            o0 = r->len;
            o = r->buf + o0;
            if (end - p >= CSV_BLOCK && r->nf <= MAX_COLS - CSV_RUN &&
                o0 - r->off[r->nf - 1] + (size_t)(end - p0) <= MAX_FIELD) {
                /* no field of this run can reach the limits (the run is
                 * short), so whole blocks go unchecked; the byte loop
                 * below finds the exact place of an error */
                char *buf = r->buf;
                size_t *off = r->off;
                int nf = r->nf;
                do {
                    csv_mask stop, m = csv_block(p, o, &stop);
                    size_t at = o0 + (size_t)(p - p0);
                    /* the commas before the first byte that ends the run
                     * (stop & -stop is that byte's bit alone) */
                    m &= (stop & (0 - stop)) - 1;
                    for (; m; m &= m - 1) {
                        size_t i = at + csv_first(m);
                        buf[i] = '\0';
                        off[nf++] = i + 1;
                    }
                    if (stop) {
                        r->nf = nf;
                        p += csv_first(stop);
                        goto run_end;
                    }
                    p += CSV_BLOCK;
                    o += CSV_BLOCK;
                } while (end - p >= CSV_BLOCK);
                r->nf = nf;
            }
            /* byte by byte: the last bytes of the run, fewer than a
             * block, or a run near a limit */
            o = r->buf + o0 + (size_t)(p - p0);
            while (p < end && !csv_special[(unsigned char)*p]) {
                if (*p != ',') {
                    *o++ = *p++;
                    continue;
                }
                p++;
                *o++ = '\0';
                if ((flen = (size_t)(o - r->buf) - 1 - r->off[r->nf - 1])
                    > MAX_FIELD) {
                    return fatal(rd, err, KR_ELIMIT, r->line, "a field is "
                                 "longer than %u bytes", MAX_FIELD);
                }
                r->len = (size_t)(o - r->buf);
                if (row_field(r, MAX_COLS) < 0) {
                    return fatal(rd, err, KR_ELIMIT, r->line, "more than "
                                 "%d columns", MAX_COLS);
                }
            }
        run_end:
            r->len = o0 + (size_t)(p - p0);
            rd->inpos = (size_t)(p - rd->in);
            flen = r->len - r->off[r->nf - 1];
            if (flen > MAX_FIELD) {
                return fatal(rd, err, KR_ELIMIT, r->line, "a field is "
                             "longer than %u bytes", MAX_FIELD);
            }
            if (p > p0) {
                at_start = p[-1] == ',';
            }
            if (p == end) {
                continue;
            }
            if (*p == '\n') {
                /* the common end of a row, without the byte loop below */
                r->buf[r->len++] = '\0';
                rd->inpos++;
                rd->line++;
                return 1;
            }
        }
        c = next_byte(rd, err);
        if (c == -2) {
            return -1;
        }
        if (quoted) {
            if (c == -1) {
                return fatal(rd, err, KR_EPARSE, r->line, "a quoted field "
                             "is not closed before the end of the input");
            }
            if (c == '"') {
                if (peek_byte(rd, err) == '"') {
                    next_byte(rd, err);
                } else {
                    quoted = 0;
                    continue;
                }
            } else if (c == '\n') {
                rd->line++;
            }
        } else if (c == '"' && at_start) {
            quoted = 1;
            at_start = 0;
            continue;
        } else if (c == ',' || c == '\n' || c == '\r' || c == -1) {
            if (row_put(r, '\0') < 0) {
                return fatal(rd, err, KR_ENOMEM, r->line, "out of memory");
            }
            if (c == ',') {
                if (row_field(r, MAX_COLS) < 0) {
                    return fatal(rd, err, KR_ELIMIT, r->line, "more than "
                                 "%d columns", MAX_COLS);
                }
                at_start = 1;
                flen = 0;
                continue;
            }
            if (c == '\r' && peek_byte(rd, err) == '\n') {
                next_byte(rd, err);
            }
            if (c != -1) {
                rd->line++;
            }
            return 1;
        }
        at_start = 0;
        if (++flen > MAX_FIELD) {
            return fatal(rd, err, KR_ELIMIT, r->line, "a field is longer "
                         "than %u bytes", MAX_FIELD);
        }
        if (row_put(r, c) < 0) {
            return fatal(rd, err, KR_ENOMEM, r->line, "out of memory");
        }
    }
}

static const char *fld(const row *r, int i)
{
    return i < r->nf ? r->buf + r->off[i] : "";
}

static int col_of(const kr_reader *rd, int kind)
{
    int i;
    for (i = 0; i < rd->ncols; i++) {
        if (rd->cols[i].kind == kind) {
            return i;
        }
    }
    return -1;
}

/* Rank the header's income numbers N (income.3 and income.7 are the
 * slots 0 and 1) and list the income columns: a row's income items are
 * its slots with a non-empty cell, in the order of N.  Also list the
 * columns that hold inputs, so that building skips the fixed ones. */
static int income_slots(kr_reader *rd)
{
    int slot_of[MAX_INCOME + 1], i, n, j;

    for (n = 0; n <= MAX_INCOME; n++) {
        slot_of[n] = -1;
    }
    if (!(rd->inc_cols = malloc(sizeof(int) * 2 * (size_t)rd->ncols))) {
        return -1;
    }
    rd->val_cols = rd->inc_cols + rd->ncols;
    for (i = 0; i < rd->ncols; i++) {
        if (rd->cols[i].kind == C_INCOME) {
            slot_of[rd->cols[i].income] = 0;
        }
        if (rd->cols[i].kind >= C_HOUSEHOLD) {
            rd->val_cols[rd->nval_cols++] = i;
        }
    }
    for (n = 1; n <= MAX_INCOME; n++) {
        if (slot_of[n] == 0) {
            slot_of[n] = rd->ninc++;
        }
    }
    for (i = 0; i < rd->ncols; i++) {
        col *c = &rd->cols[i];
        if (c->kind == C_INCOME) {
            c->slot = slot_of[c->income];
        }
    }
    for (j = 0; j < rd->ninc; j++) {
        for (i = 0; i < rd->ncols; i++) {
            if (rd->cols[i].kind == C_INCOME && rd->cols[i].slot == j) {
                rd->inc_cols[rd->ninc_cols++] = i;
            }
        }
        rd->slot_end[j] = rd->ninc_cols;
    }
    return 0;
}

static int csv_header(kr_reader *rd, kr_error *err)
{
    row *h = &rd->rows[MAX_ROWS];
    int rc = csv_row(rd, h, err), i, seen[3] = { 0, 0, 0 };

    if (rc < 0) {
        return rc;
    }
    if (rc == 0) {
        return fatal(rd, err, KR_EINVALID, 1, "empty input: no CSV header");
    }
    rd->cols = calloc((size_t)h->nf, sizeof(col));
    if (!rd->cols) {
        return fatal(rd, err, KR_ENOMEM, 1, "out of memory");
    }
    rd->ncols = h->nf;
    for (i = 0; i < h->nf; i++) {
        const char *n = fld(h, i);
        col *c = &rd->cols[i];
        const kr_sym *s;
        if (i == 0 && (unsigned char)n[0] == 0xEF &&
            (unsigned char)n[1] == 0xBB && (unsigned char)n[2] == 0xBF) {
            n += 3; /* UTF-8 byte order mark from spreadsheets */
        }
        if (!(c->name = strdup(n))) {
            return fatal(rd, err, KR_ENOMEM, 1, "out of memory");
        }
        if (strcmp(n, "application_id") == 0) {
            c->kind = C_APPID;
            seen[0] = 1;
        } else if (strcmp(n, "date") == 0) {
            c->kind = C_DATE;
            seen[1] = 1;
        } else if (strcmp(n, "role") == 0) {
            c->kind = C_ROLE;
            seen[2] = 1;
        } else if (strcmp(n, "person_id") == 0) {
            c->kind = C_PID;
        } else if (strcmp(n, "benefits") == 0) {
            c->kind = C_BEN;
        } else if (strncmp(n, "income.", 7) == 0) {
            char *end;
            long k = strtol(n + 7, &end, 10);
            if (end == n + 7 || *end != '.' || k < 1 || k > MAX_INCOME) {
                return fatal(rd, err, KR_EINVALID, h->line, "column '%s': "
                             "income columns are income.N.name with N from "
                             "1 to %d", n, MAX_INCOME);
            }
            s = kr_rules__find(rd->rules, end + 1);
            if (!s || s->kind != SYM_INPUT || s->entity != KR_ENT_INCOME) {
                return fatal(rd, err, KR_EINVALID, h->line, "column '%s': "
                             "'%s' is not an income input of the loaded "
                             "rules", n, end + 1);
            }
            c->kind = C_INCOME;
            c->income = (int)k;
            c->sym = s;
        } else {
            s = kr_rules__find(rd->rules, n);
            if (!s || s->kind != SYM_INPUT || s->entity == KR_ENT_INCOME) {
                return fatal(rd, err, KR_EINVALID, h->line, "column '%s' is "
                             "not a household or person input of the loaded "
                             "rules (nor application_id, date, person_id, "
                             "role, benefits, income.N.name)", n);
            }
            c->kind = s->entity == KR_ENT_HOUSEHOLD ? C_HOUSEHOLD : C_PERSON;
            c->sym = s;
        }
    }
    if (!seen[0] || !seen[1] || !seen[2]) {
        return fatal(rd, err, KR_EINVALID, h->line, "the CSV header needs "
                     "the columns application_id, date and role");
    }
    for (i = 0; i <= C_BEN; i++) {
        rd->ci[i] = col_of(rd, i);  /* once, not per application */
    }
    if (income_slots(rd) < 0) {
        return fatal(rd, err, KR_ENOMEM, 1, "out of memory");
    }
    rd->header_done = 1;
    return 0;
}


static void swap_rows(row *a, row *b)
{
    row t = *a;
    *a = *b;
    *b = t;
}

/* Incomes of one row: how many distinct N have a non-empty cell; with
 * idx, also the income item of each slot (base + its rank, -1 if none).
 * A slot's columns are together: its first non-empty cell decides. */
static int row_incomes(const kr_reader *rd, const row *r, int base,
                       int *idx)
{
    int j, c = 0, n = 0;

    for (j = 0; j < rd->ninc; j++) {
        int end = rd->slot_end[j], has = 0;
        for (; c < end; c++) {
            int k = rd->inc_cols[c];
            if (k < r->nf && r->buf[r->off[k]]) {
                has = 1;
                c = end;
                break;
            }
        }
        if (idx) {
            idx[j] = has ? base + n : -1;
        }
        n += has;
    }
    return n;
}

static int csv_build(const kr_reader *rd, const row *rows, int nrows,
                     const char *id, kr_app **reuse, kr_app **out,
                     kr_error *err)
{
    const kr_rules *r = rd->rules;
    int ci_date = rd->ci[C_DATE], ci_pid = rd->ci[C_PID];
    int ci_role = rd->ci[C_ROLE], ci_ben = rd->ci[C_BEN];
    int i, k, x, nin = 0, rc;
    int ninc[MAX_ROWS];            /* income items of each row */
    int inc_index[MAX_INCOME];     /* of each income slot, in a row */
    kr_app *a = NULL;
    const char *date = fld(&rows[0], ci_date);

    for (i = 0; i < nrows; i++) {
        const char *d = fld(&rows[i], ci_date);
        if (*d && i > 0 && strcmp(d, date) != 0) {
            return kr__err_at(err, KR_EINVALID, rd->name, rows[i].line,
                              "application %s: field 'date': '%s' differs "
                              "from '%s' in the application's first row "
                              "(inconsistent household)", id, d, date);
        }
        nin += ninc[i] = row_incomes(rd, &rows[i], 0, NULL);
    }
    a = *reuse;
    *reuse = NULL;  /* kr_app__begin's now, even when it fails */
    if ((rc = kr_app__begin(&a, a, r, rd->name, id, date, rows[0].line,
                            nrows, nin, err)) < 0) {
        return rc;
    }
    for (i = 0; i < nrows; i++) {
        const row *w = &rows[i];
        if ((rc = kr_app__add_person(a, ci_pid >= 0 ? fld(w, ci_pid) : NULL,
                                     fld(w, ci_role),
                                     ninc[i], w->line,
                                     err)) < 0) {
            goto fail;
        }
    }
    for (i = 0; i < nrows; i++) {
        /* in locals: the calls below could change them, for all the
         * compiler knows, so it would reload them for every field */
        const row *w = &rows[i];
        const char *wbuf = w->buf;
        const size_t *woff = w->off;
        int wnf = w->nf, nval = rd->nval_cols;
        const int *vcols = rd->val_cols;
        if (ninc[i]) {
            row_incomes(rd, w, a->persons[i].first_income, inc_index);
        }
        for (x = 0; x < nval && (k = vcols[x]) < wnf; x++) {
            const col *c = &rd->cols[k];
            const char *v = wbuf + woff[k];
            int j;
            if (!*v) {
                continue;
            }
            switch (c->kind) {
            case C_PERSON:
                rc = kr_app__set(a, r, c->sym, KR_ENT_PERSON, i, v, w->line,
                                 rd->decimal_comma, err);
                break;
            case C_INCOME:
                rc = kr_app__set(a, r, c->sym, KR_ENT_INCOME,
                                 inc_index[c->slot], v, w->line,
                                 rd->decimal_comma, err);
                break;
            case C_HOUSEHOLD:
                /* the household's facts may be repeated on every row;
                 * they must agree */
                for (j = 0; j < i; j++) {
                    const char *pv = fld(&rows[j], k);
                    if (*pv && strcmp(pv, v) != 0) {
                        rc = kr__err_at(err, KR_EINVALID, rd->name, w->line,
                                        "application %s: field '%s': '%s' "
                                        "differs from '%s' in an earlier "
                                        "row of the application "
                                        "(inconsistent household)", id,
                                        c->name, v, pv);
                        goto fail;
                    }
                    if (*pv) {
                        break;
                    }
                }
                if (j == i) {
                    rc = kr_app__set(a, r, c->sym, KR_ENT_HOUSEHOLD, 0, v,
                                     w->line, rd->decimal_comma, err);
                }
                break;
            default:
                break;
            }
            if (rc < 0) {
                goto fail;
            }
        }
    }
    if (ci_ben >= 0) {
        /* benefits: from the first row that names them; ids separated
         * by spaces or ';' */
        for (i = 0; i < nrows; i++) {
            const char *p = fld(&rows[i], ci_ben);
            if (!*p) {
                continue;
            }
            for (;;) {
                size_t n = 0;
                while (*p == ' ' || *p == ';') {
                    p++;
                }
                if (!*p) {
                    break;
                }
                while (p[n] && p[n] != ' ' && p[n] != ';') {
                    n++;
                }
                if ((rc = kr_app__request(a, r, p, n, rows[i].line,
                                          err)) < 0) {
                    goto fail;
                }
                p += n;
            }
            break;
        }
    }
    if ((rc = kr_app__finish(a, rows[0].line, err)) < 0) {
        goto fail;
    }
    *out = a;
    return KR_OK;
fail:
    kr_app_free(a);
    return rc;
}

/* snprintf(id, ID_SIZE, "%s", s), the hot case without printf. */
static void copy_id(char *id, const char *s)
{
    size_t n = strlen(s);
    if (n > ID_SIZE - 1) {
        n = ID_SIZE - 1;
    }
    memcpy(id, s, n);
    id[n] = '\0';
}

/* The rows of the next application into rd->rows[0..*n). */
static int csv_group(kr_reader *rd, int *nout, kr_error *err)
{
    int ci_id, n = 0, rc, overflow = 0;
    kr_error ahead;

    if (!rd->header_done && csv_header(rd, err) < 0) {
        return err && err->code ? err->code : KR_EINVALID;
    }
    ci_id = rd->ci[C_APPID];
    if (!rd->have_next) {
        rc = csv_row(rd, &rd->rows[MAX_ROWS], err);
        if (rc < 0) {
            return err && err->code ? err->code : KR_EPARSE;
        }
        if (rc == 0) {
            return KR_DONE;
        }
    }
    rd->have_next = 0;
    copy_id(rd->id, fld(&rd->rows[MAX_ROWS], ci_id));
    rd->rec_line = rd->rows[MAX_ROWS].line;
    swap_rows(&rd->rows[0], &rd->rows[MAX_ROWS]);
    n = 1;
    /* set once, not per row: only a failing csv_row writes to it (and
     * the loop ends there), and clearing all of a kr_error costs more
     * than reading a short row */
    ahead.code = KR_OK;
    ahead.line = 0;
    ahead.msg[0] = '\0';
    for (;;) {
        rc = csv_row(rd, &rd->rows[MAX_ROWS], &ahead);
        if (rc < 0) {
            /* the error comes with the next call.  The application in
             * hand is complete only if the broken row is visibly another
             * one's; else its last row may be the broken one */
            const row *br = &rd->rows[MAX_ROWS];
            defer_fatal(rd, &ahead);
            if (br->nf <= ci_id + 1 || strcmp(fld(br, ci_id), rd->id) == 0) {
                return kr__err_at(err, KR_EPARSE, rd->name, br->line,
                                  "application %s: a row of it cannot be "
                                  "read (%s), so the application may be "
                                  "incomplete", rd->id, ahead.msg);
            }
            break;
        }
        if (rc == 0) {
            break;
        }
        if (strcmp(fld(&rd->rows[MAX_ROWS], ci_id), rd->id) != 0) {
            rd->have_next = 1;
            break;
        }
        if (n == MAX_ROWS) {
            /* skip the rest of this application, then refuse it */
            overflow = 1;
            continue;
        }
        swap_rows(&rd->rows[n++], &rd->rows[MAX_ROWS]);
    }
    if (!rd->id[0]) {
        return kr__err_at(err, KR_EINVALID, rd->name, rd->rec_line,
                          "field 'application_id' is empty");
    }
    if (overflow) {
        return kr__err_at(err, KR_ELIMIT, rd->name, rd->rec_line,
                          "application %s has more than %d persons",
                          rd->id, MAX_ROWS);
    }
    *nout = n;
    return KR_OK;
}

static int csv_next(kr_reader *rd, kr_app **out, kr_error *err)
{
    kr_app *none = NULL;
    int n = 0, rc = csv_group(rd, &n, err);
    if (rc != KR_OK) {
        return rc;
    }
    return csv_build(rd, rd->rows, n, rd->id, &none, out, err);
}

/* ------------------------------------------------------------------ */
/* XML, streaming                                                      */

static void xml_errcb(void *arg, xmlErrorPtr e)
{
    kr_reader *rd = arg;
    if (rd->xml_err_set || !e || e->level < XML_ERR_ERROR) {
        return;
    }
    rd->xml_err_set = 1;
    rd->xml_err_line = e->line > 0 ? (unsigned long)e->line : 0;
    snprintf(rd->xml_err, sizeof(rd->xml_err), "%s",
             e->message ? e->message : "malformed XML");
    {
        size_t n = strlen(rd->xml_err);
        while (n && (rd->xml_err[n - 1] == '\n' || rd->xml_err[n - 1] == ' ')) {
            rd->xml_err[--n] = '\0';
        }
    }
}

/* The next application: built into *out, or (copy != NULL) copied into a
 * document of its own for building later, elsewhere. */
static int xml_next(kr_reader *rd, kr_app **out, xmlDocPtr *copy,
                    kr_error *err)
{
    int r;
    for (;;) {
        int type, depth;
        if (rd->xml_positioned) {
            rd->xml_positioned = 0;
            r = 1;
        } else {
            r = xmlTextReaderRead(rd->xr);
        }
        if (r == 0) {
            return KR_DONE;
        }
        if (r < 0) {
            if (rd->xml_err_set && strstr(rd->xml_err, "Excessive depth")) {
                return fatal(rd, err, KR_ELIMIT, rd->xml_err_line, "elements "
                             "are nested deeper than %d levels",
                             KR_XML_MAX_DEPTH);
            }
            return fatal(rd, err, KR_EPARSE, rd->xml_err_line, "malformed "
                         "XML: %s", rd->xml_err_set ? rd->xml_err
                                                    : "cannot read");
        }
        type = xmlTextReaderNodeType(rd->xr);
        depth = xmlTextReaderDepth(rd->xr);
        if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
            return fatal(rd, err, KR_EINVALID, 0, "DOCTYPE is not allowed (no "
                         "DTDs or entity declarations are accepted, for "
                         "safety)");
        }
        if (type == XML_READER_TYPE_ENTITY_REFERENCE) {
            return fatal(rd, err, KR_EINVALID, 0, "entity references are not "
                         "allowed");
        }
        if (depth > KR_XML_MAX_DEPTH) {
            return fatal(rd, err, KR_ELIMIT, 0, "elements are nested deeper "
                         "than %d levels", KR_XML_MAX_DEPTH);
        }
        if (type != XML_READER_TYPE_ELEMENT || depth != 1) {
            continue;
        }
        {
            xmlNode *n = xmlTextReaderExpand(rd->xr);
            const char *id;
            int rc;
            if (!n) {
                return fatal(rd, err, KR_EPARSE, rd->xml_err_line,
                             "malformed XML: %s", rd->xml_err_set
                             ? rd->xml_err : "cannot read an application");
            }
            rd->rec_line = kr_xml__line(n);
            id = kr_xml__attr(n, "id");
            snprintf(rd->id, sizeof(rd->id), "%s", id ? id : "");
            if (copy) {
                xmlDocPtr d = xmlNewDoc((const xmlChar *)"1.0");
                xmlNodePtr cn = d ? xmlDocCopyNode(n, d, 1) : NULL;
                if (!cn) {
                    xmlFreeDoc(d);
                    return fatal(rd, err, KR_ENOMEM, rd->rec_line,
                                 "out of memory");
                }
                xmlDocSetRootElement(d, cn);
                *copy = d;
                rc = KR_OK;
            } else {
                rc = kr_app__from_node(out, rd->rules, n, rd->name, err);
            }
            r = xmlTextReaderNext(rd->xr);
            if (r < 0) {
                /* this application is complete; what follows is not:
                 * the error comes with the next call */
                kr_error ahead = KR_ERROR_INIT;
                kr__err_at(&ahead, KR_EPARSE, rd->name, rd->xml_err_line,
                           "malformed XML: %s", rd->xml_err_set
                           ? rd->xml_err : "cannot read");
                defer_fatal(rd, &ahead);
                return rc;
            }
            rd->xml_positioned = r == 1;
            if (r == 0) {
                rd->xml_positioned = 0;
            }
            return rc;
        }
    }
}

/* ------------------------------------------------------------------ */

int kr_reader_new(kr_reader **out, const kr_rules *rules, int fd,
                  const char *name, const kr_reader_opts *opts,
                  kr_error *err)
{
    kr_reader_opts dflt = KR_READER_OPTS_INIT;
    kr_reader *rd;
    int c;

    *out = NULL;
    if (!opts) {
        opts = &dflt;
    }
    if (!rules->compiled) {
        return kr__err(err, KR_EINVALID, "rules are not compiled");
    }
    kr_xml__init();
    if (!(rd = calloc(1, sizeof(*rd)))) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    rd->rules = rules;
    rd->fd = fd;
    rd->line = 1;
    rd->decimal_comma = opts->decimal_comma;
    rd->name = strdup(name ? name : "(stdin)");
    rd->in = malloc(INBUF);
    rd->rows = calloc(MAX_ROWS + 1, sizeof(row));
    if (!rd->name || !rd->in || !rd->rows) {
        kr_reader_free(rd);
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    rd->format = opts->format;
    /* look at the start without consuming it: a BOM, white space, then
     * '<' means XML; and an XML prolog must not declare a DTD */
    while (!rd->eof && rd->inlen < 4096) {
        if (fill(rd, err) < 0) {
            kr_reader_free(rd);
            return err ? err->code : KR_EIO;
        }
    }
    {
        size_t i = 0;
        if (rd->inlen >= 3 && (unsigned char)rd->in[0] == 0xEF &&
            (unsigned char)rd->in[1] == 0xBB &&
            (unsigned char)rd->in[2] == 0xBF) {
            i = 3;
        }
        while (i < rd->inlen && (rd->in[i] == ' ' || rd->in[i] == '\t' ||
                                 rd->in[i] == '\r' || rd->in[i] == '\n')) {
            i++;
        }
        c = i < rd->inlen ? (unsigned char)rd->in[i] : -1;
    }
    if (rd->format == KR_INPUT_AUTO) {
        rd->format = c == '<' ? KR_INPUT_XML : KR_INPUT_CSV;
    }
    if (rd->format == KR_INPUT_XML && kr_xml__has_doctype(rd->in, rd->inlen)) {
        /* refused before libxml2 parses the internal subset, as for
         * single documents (xml.c) */
        rd->fatal = 1;
        rd->pending = KR_EINVALID;
        snprintf(rd->pending_msg, sizeof(rd->pending_msg), "DOCTYPE is not "
                 "allowed (no DTDs or entity declarations are accepted, for "
                 "safety)");
        rd->pending_line = 0;
    }
    if (rd->format == KR_INPUT_XML) {
        /* bytes already buffered by the detection above reach libxml2
         * through the same buffer */
        rd->xr = xml_reader_open(rd);
        if (!rd->xr) {
            kr_reader_free(rd);
            return kr__err(err, KR_ENOMEM, "out of memory");
        }
        xmlTextReaderSetStructuredErrorHandler(rd->xr, xml_errcb, rd);
    }
    *out = rd;
    return KR_OK;
}

static int xml_read_cb(void *ctx, char *buf, int len)
{
    kr_reader *rd = ctx;
    size_t n;
    if (rd->inpos == rd->inlen) {
        if (fill(rd, NULL) < 0) {
            return -1;
        }
    }
    n = rd->inlen - rd->inpos;
    if (n > (size_t)len) {
        n = (size_t)len;
    }
    memcpy(buf, rd->in + rd->inpos, n);
    rd->inpos += n;
    return (int)n;
}

static int xml_close_cb(void *ctx)
{
    (void)ctx;
    return 0;
}

static xmlTextReaderPtr xml_reader_open(kr_reader *rd)
{
    /* XML_PARSE_NONET only: see xml.c for why every other option is
     * refused; DOCTYPE nodes are refused in xml_next */
    return xmlReaderForIO(xml_read_cb, xml_close_cb, rd, rd->name, NULL,
                          XML_PARSE_NONET | XML_PARSE_BIG_LINES);
}

/* What every read starts with: forget the last record's id, and report
 * an error found while reading ahead, or that the reader has stopped. */
static int next_start(kr_reader *rd, kr_error *err)
{
    rd->id[0] = '\0';
    rd->rec_line = 0;
    if (rd->pending) {
        int code = rd->pending;
        rd->pending = 0;
        return kr__err_at(err, (kr_code)code, rd->name, rd->pending_line,
                          "%s", rd->pending_msg);
    }
    if (rd->fatal) {
        return kr__err(err, KR_EINVALID, "the reader stopped at a fatal "
                       "error");
    }
    return KR_OK;
}

int kr_reader_next(kr_reader *rd, kr_app **app, kr_error *err)
{
    int rc;
    *app = NULL;
    if ((rc = next_start(rd, err)) < 0) {
        return rc;
    }
    return rd->format == KR_INPUT_XML ? xml_next(rd, app, NULL, err)
                                      : csv_next(rd, app, err);
}

/* ------------------------------------------------------------------ */
/* Records: split by one thread, built by many                         */

struct kr_record {
    char id[ID_SIZE];
    size_t cap;              /* bytes allocated, this header included */
    unsigned long line;
    int nrows;
    row *rows;               /* CSV: copies of the application's rows */
    xmlDocPtr doc;           /* XML: the application, copied */
};

void kr_record_free(kr_record *rec)
{
    if (!rec) {
        return;
    }
    xmlFreeDoc(rec->doc);
    free(rec);
}

/* A record and copies of its n rows in one block (one malloc per
 * application, none when `old`, a record done with, is large enough: a
 * batch recycles its records): the record, the row headers, the field
 * offsets, then the field bytes. */
static kr_record *new_record(const row *rows, int n, kr_record *old)
{
    size_t size = sizeof(kr_record) + sizeof(row) * (size_t)n;
    kr_record *rec;
    size_t *off;
    char *buf;
    int i;

    for (i = 0; i < n; i++) {
        size += sizeof(size_t) * (size_t)rows[i].nf + rows[i].len;
    }
    if (old && old->cap >= size) {
        rec = old;
        xmlFreeDoc(rec->doc);
    } else {
        /* room to spare, so that the next households mostly fit */
        size_t cap = size < 2048 ? 2048 : size + size / 4;
        kr_record_free(old);
        if (!(rec = malloc(cap))) {
            return NULL;
        }
        rec->cap = cap;
    }
    rec->nrows = n;
    rec->rows = (row *)(rec + 1);
    rec->doc = NULL;
    off = (size_t *)(rec->rows + n);
    for (i = 0; i < n; i++) {
        off += rows[i].nf;
    }
    buf = (char *)off;
    off = (size_t *)(rec->rows + n);
    for (i = 0; i < n; i++) {
        row *d = &rec->rows[i];
        d->buf = buf;
        d->off = off;
        memcpy(buf, rows[i].buf, rows[i].len);
        memcpy(off, rows[i].off, sizeof(size_t) * (size_t)rows[i].nf);
        d->len = d->cap = rows[i].len;
        d->nf = rows[i].nf;
        d->line = rows[i].line;
        buf += rows[i].len;
        off += rows[i].nf;
    }
    return rec;
}

int kr_reader_next_record(kr_reader *rd, kr_record **out, kr_error *err)
{
    kr_record *rec, *old = *out;
    int rc, n = 0;
    xmlDocPtr doc = NULL;

    *out = NULL;
    if ((rc = next_start(rd, err)) < 0) {
        kr_record_free(old);
        return rc;
    }
    rc = rd->format == KR_INPUT_XML ? xml_next(rd, NULL, &doc, err)
                                    : csv_group(rd, &n, err);
    if (rc != KR_OK) {
        kr_record_free(old);
        return rc;
    }
    if (!(rec = new_record(rd->rows, doc ? 0 : n, old))) {
        xmlFreeDoc(doc);
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    memcpy(rec->id, rd->id, strlen(rd->id) + 1);
    rec->line = rd->rec_line;
    rec->doc = doc;
    *out = rec;
    return KR_OK;
}

int kr_record_build(kr_app **out, const kr_reader *rd, const kr_record *rec,
                    kr_error *err)
{
    kr_app *old = *out;
    int rc;

    *out = NULL;
    if (rec->doc) {
        kr_app_free(old);
        return kr_app__from_node(out, rd->rules,
                                 xmlDocGetRootElement(rec->doc), rd->name,
                                 err);
    }
    rc = csv_build(rd, rec->rows, rec->nrows, rec->id, &old, out, err);
    kr_app_free(old);  /* not taken: refused before it was needed */
    return rc;
}

const char *kr_record_id(const kr_record *rec)
{
    return rec->id;
}

unsigned long kr_record_line(const kr_record *rec)
{
    return rec->line;
}

const char *kr_reader_record_id(const kr_reader *rd)
{
    return rd->id;
}

unsigned long kr_reader_record_line(const kr_reader *rd)
{
    return rd->rec_line;
}

int kr_reader_fatal(const kr_reader *rd)
{
    /* while a read-ahead error waits, the record just returned is an
     * ordinary one */
    return rd->fatal && !rd->pending;
}

int kr_reader_format(const kr_reader *rd)
{
    return rd->format;
}

void kr_reader_free(kr_reader *rd)
{
    int i;
    if (!rd) {
        return;
    }
    if (rd->xr) {
        xmlFreeTextReader(rd->xr);
    }
    for (i = 0; i < rd->ncols; i++) {
        free(rd->cols[i].name);
    }
    free(rd->cols);
    free(rd->inc_cols);
    if (rd->rows) {
        for (i = 0; i <= MAX_ROWS; i++) {
            free(rd->rows[i].buf);
            free(rd->rows[i].off);
        }
    }
    free(rd->rows);
    free(rd->in);
    free(rd->name);
    free(rd);
}

/* ------------------------------------------------------------------ */
/* Exact sums                                                          */

/* Amounts with at most two decimals (nearly all) are added as whole
 * grosze in a machine integer; anything else, and the integer when it
 * grows large, goes into the rational.  The value is q + cents / 100,
 * exactly: the same total as adding every amount to q. */
#define SUM_CENTS_MAX (LONG_MAX / 4)   /* one amount in the integer */

struct kr_sum {
    mpq_t q;
    long cents;                        /* |cents| <= LONG_MAX / 2 */
};

int kr_sum_new(kr_sum **out, kr_error *err)
{
    kr_sum *s = malloc(sizeof(*s));
    *out = NULL;
    if (!s) {
        return kr__err(err, KR_ENOMEM, "out of memory");
    }
    mpq_init(s->q);
    s->cents = 0;
    *out = s;
    return KR_OK;
}

void kr_sum_free(kr_sum *s)
{
    if (s) {
        mpq_clear(s->q);
        free(s);
    }
}

/* out = q + cents / 100 (out may be q) */
static void sum_value(mpq_ptr out, const kr_sum *s)
{
    mpq_t c;
    mpq_init(c);
    mpq_set_si(c, s->cents, 100);
    mpq_canonicalize(c);
    mpq_add(out, s->q, c);
    mpq_clear(c);
}

static void sum_flush(kr_sum *s)
{
    sum_value(s->q, s);
    s->cents = 0;
}

/* dec as whole grosze when it is -?[0-9]+(\.[0-9]{1,2})? and small
 * enough; 0 otherwise (the rational path decides what it is). */
static int parse_cents(const char *dec, long *out)
{
    const char *p = dec + (*dec == '-');
    long v = 0;
    int nfrac = -1;

    if (!*p) {
        return 0;
    }
    for (; *p; p++) {
        if (*p == '.' && nfrac < 0 && p > dec + (*dec == '-')) {
            nfrac = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || nfrac >= 2 ||
            v > (SUM_CENTS_MAX - 9) / 10) {
            return 0;
        }
        v = v * 10 + (*p - '0');
        nfrac += nfrac >= 0;
    }
    if (nfrac == 0) {
        return 0;               /* "1." is not a number */
    }
    for (nfrac = nfrac < 0 ? 0 : nfrac; nfrac < 2; nfrac++) {
        if (v > SUM_CENTS_MAX / 10) {
            return 0;
        }
        v *= 10;
    }
    *out = *dec == '-' ? -v : v;
    return 1;
}

int kr_sum_add(kr_sum *s, const char *dec, kr_error *err)
{
    mpq_t x, d;
    const char *sl;
    int rc = KR_OK;
    long v;

    if (parse_cents(dec, &v)) {
        if (s->cents > SUM_CENTS_MAX || s->cents < -SUM_CENTS_MAX) {
            sum_flush(s);
        }
        s->cents += v;
        return KR_OK;
    }
    sl = strchr(dec, '/');
    mpq_init(x);
    if (!sl) {
        rc = kr_dec_parse(x, dec, strlen(dec), err);
    } else {
        mpq_init(d);
        if (kr_dec_parse(x, dec, (size_t)(sl - dec), err) < 0 ||
            kr_dec_parse(d, sl + 1, strlen(sl + 1), err) < 0 ||
            kr_dec_div(x, x, d, err) < 0) {
            rc = err && err->code ? err->code : KR_EPARSE;
        }
        mpq_clear(d);
    }
    if (rc == KR_OK) {
        mpq_add(s->q, s->q, x);
    }
    mpq_clear(x);
    return rc;
}

void kr_sum_merge(kr_sum *s, const kr_sum *o)
{
    mpq_add(s->q, s->q, o->q);
    s->cents += o->cents;       /* both within LONG_MAX / 2 */
    if (s->cents > LONG_MAX / 2 || s->cents < -(LONG_MAX / 2)) {
        sum_flush(s);
    }
}

int kr_sum_total(char **out, const kr_sum *s, kr_error *err)
{
    mpq_t t;
    mpq_init(t);
    sum_value(t, s);
    *out = kr_dec_to_string(t, 2);
    mpq_clear(t);
    return *out ? KR_OK : kr__err(err, KR_ENOMEM, "out of memory");
}

int kr_sum_mean(char **out, const kr_sum *s, unsigned long n,
                unsigned decimals, kr_error *err)
{
    mpq_t m, t;
    *out = NULL;
    mpq_init(t);
    sum_value(t, s);
    if (n == 0) {
        *out = kr_dec_to_fixed(t, decimals, KR_ROUND_HALF_UP);
        mpq_clear(t);
        if (*out) {
            /* the mean of nothing is shown as zero */
            free(*out);
            mpq_init(m);
            *out = kr_dec_to_fixed(m, decimals, KR_ROUND_HALF_UP);
            mpq_clear(m);
        }
        return *out ? KR_OK : kr__err(err, KR_ENOMEM, "out of memory");
    }
    mpq_init(m);
    mpq_set_ui(m, n, 1);
    mpq_div(m, t, m);
    *out = kr_dec_to_fixed(m, decimals, KR_ROUND_HALF_UP);
    mpq_clear(m);
    mpq_clear(t);
    return *out ? KR_OK : kr__err(err, KR_ENOMEM, "out of memory");
}
