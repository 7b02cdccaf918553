/*
 * decimal.c - exact decimal arithmetic over GMP rationals.
 *
 * No floating point anywhere: text is parsed by hand into integers, and
 * every rounding is an integer division with an explicit remainder test.
 * GMP never sees user text directly (mpq_set_str accepts far more than the
 * rule language allows: white space, "0x", "n/d") and never sees a zero
 * divisor (it would trap).
 */
#include <stdint.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "error.h"

/* The machine-word fast path (see "Arithmetic" below) needs 128-bit
 * integers and 64-bit limbs. */
#if defined(__SIZEOF_INT128__) && GMP_LIMB_BITS == 64 && GMP_NAIL_BITS == 0
#define KR_DEC_FAST 1
#endif

/* How much of a bad literal a message quotes; enough to recognise it. */
#define QUOTE_MAX 40

/*
 * kr_dec_to_fixed builds 10^decimals with GMP, which aborts rather than
 * fail when memory runs out; no amount of money needs more than this.
 */
#define FIXED_MAX_DECIMALS 10000u

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Copy text for a message: bounded, so that a megabyte of garbage does not
 * become a megabyte of message, and with control bytes replaced, so that
 * the message stays one printable line.
 */
static void quote_text(char *dst, size_t dstsz, const char *s, size_t len)
{
    size_t n = len;
    size_t i;
    int cut = 0;

    if (!s) {
        n = 0;
    }
    if (n > QUOTE_MAX) {
        n = QUOTE_MAX;
        /* Do not split a UTF-8 sequence: back up to its lead byte. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
        cut = 1;
    }
    if (n + 4 > dstsz) {
        n = dstsz > 4 ? dstsz - 4 : 0;
        cut = 1;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (cut) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

/* Lowest terms of v / 10^scale by plain integer steps: 10^scale has no
 * prime factors but 2 and 5, so removing the common ones is the gcd. */
static void reduce_pow10(unsigned long long *v, unsigned long long *d,
                         unsigned scale)
{
    unsigned twos = scale, fives = scale;

    while (twos > 0 && (*v & 1u) == 0) {
        *v >>= 1;
        twos--;
    }
    while (fives > 0 && *v % 5u == 0) {
        *v /= 5u;
        fives--;
    }
    *d = 1;
    while (twos--) {
        *d *= 2u;
    }
    while (fives--) {
        *d *= 5u;
    }
}

/* The grammar of kr_dec_parse: sign, digits, an optional fraction and
 * '%'; v is the digits' value while there are at most 18 (< 10^18). */
typedef struct {
    unsigned long long v;
    size_t nint, nfrac;
    int neg, percent;
} dec_scan;

/* inlined into both parsers; the state stays in registers until the
 * end (an amount is parsed for most fields of a batch) */
static inline int scan_dec(dec_scan *d, const char *s, size_t len)
{
    size_t i = 0, nint, nfrac = 0;
    unsigned long long v = 0;
    int neg = 0, percent = 0;

    if (!s) {
        len = 0;
    }
    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    while (i < len && is_digit(s[i])) {
        v = v * 10u + (unsigned long long)(s[i] - '0');
        i++;
    }
    if ((nint = i - (size_t)neg) == 0) {
        return -1;
    }
    if (i < len && s[i] == '.') {
        size_t f = ++i;
        while (i < len && is_digit(s[i])) {
            v = v * 10u + (unsigned long long)(s[i] - '0');
            i++;
        }
        if ((nfrac = i - f) == 0) {
            return -1;
        }
    }
    if (i < len && s[i] == '%') {
        percent = 1;
        i++;
    }
    d->v = v;
    d->nint = nint;
    d->nfrac = nfrac;
    d->neg = neg;
    d->percent = percent;
    return i == len ? 0 : -1;
}

int kr_dec__parse_word(const char *s, size_t len, int *neg,
                       unsigned long long *num, unsigned long long *den)
{
    dec_scan d;
    unsigned scale;

    if (scan_dec(&d, s, len) < 0 || d.nint + d.nfrac > 18) {
        return 0;
    }
    scale = (unsigned)d.nfrac + (d.percent ? 2u : 0u);
    if (scale > 19) {
        return 0;
    }
    *neg = d.neg && d.v != 0;
    if (d.v == 0) {
        *den = 1;
    } else {
        reduce_pow10(&d.v, den, scale);
    }
    *num = d.v;
    return 1;
}

int kr_dec_parse(mpq_ptr q, const char *s, size_t len, kr_error *err)
{
    /* Integer and fraction digits concatenated: the numerator's text. */
    char digits[KR_DEC_MAX_DIGITS + 1];
    char quoted[QUOTE_MAX + 8];
    size_t i;
    size_t ndig = 0;
    size_t nint, nfrac;
    int neg, percent;
    unsigned long scale;
    unsigned long long v;
    dec_scan sc;

    if (!s) {
        len = 0;
    }
    if (scan_dec(&sc, s, len) < 0) {
        goto bad;
    }
    v = sc.v;
    nint = sc.nint;
    nfrac = sc.nfrac;
    neg = sc.neg;
    percent = sc.percent;
    if (nint + nfrac > KR_DEC_MAX_DIGITS) {
        quote_text(quoted, sizeof(quoted), s, len);
        return kr__err(err, KR_ELIMIT,
                       "number \"%s\" has more than %d digits", quoted,
                       KR_DEC_MAX_DIGITS);
    }
    scale = (unsigned long)nfrac + (percent ? 2u : 0u);

#if ULONG_MAX >= 0xFFFFFFFFFFFFFFFFu
    if (nint + nfrac <= 18 && scale <= 19) {
        /* the common case (amounts): v and 10^scale < 2^64 fit an
         * unsigned long, so the canonical fraction is set directly,
         * with no temporary big integers and no GMP gcd */
        unsigned long long d = 1;
        if (v == 0) {
            mpq_set_ui(q, 0, 1);
            return KR_OK;
        }
        reduce_pow10(&v, &d, (unsigned)scale);
        mpz_set_ui(mpq_numref(q), (unsigned long)v);
        if (neg) {
            mpz_neg(mpq_numref(q), mpq_numref(q));
        }
        mpz_set_ui(mpq_denref(q), (unsigned long)d);
        return KR_OK;
    }
#endif
    for (i = 0; i < len; i++) {
        if (is_digit(s[i])) {
            digits[ndig++] = s[i];
        }
    }
    digits[ndig] = '\0';

    if (ndig <= 18) {
        /* no temporary big integers; v holds the digits' value */
        mpz_set_ui(mpq_numref(q), 0);
        if (v > 0) {
            mpz_import(mpq_numref(q), 1, 1, sizeof(v), 0, 0, &v);
        }
    } else {
        /* Cannot fail: the grammar above guarantees a digit run. */
        mpz_set_str(mpq_numref(q), digits, 10);
    }
    if (neg) {
        mpz_neg(mpq_numref(q), mpq_numref(q));
    }
    mpz_ui_pow_ui(mpq_denref(q), 10, scale);
    mpq_canonicalize(q);
    return KR_OK;

bad:
    quote_text(quoted, sizeof(quoted), s, len);
    return kr__err(err, KR_EPARSE,
                   "invalid number \"%s\" (expected digits with an optional "
                   "decimal dot and %%, e.g. 701.00 or 130%%)", quoted);
}

static const char *const mode_names[] = {
    "half-up", "half-even", "down", "up", "floor", "ceiling"
};

#define NMODES (sizeof(mode_names) / sizeof(mode_names[0]))

static int mode_valid(kr_round_mode m)
{
    return (unsigned)m < NMODES;
}

int kr_dec_round_mode_parse(kr_round_mode *out, const char *s, size_t len)
{
    size_t k;

    if (!s) {
        return -1;
    }
    for (k = 0; k < NMODES; k++) {
        const char *name = mode_names[k];
        size_t i;

        if (strlen(name) != len) {
            continue;
        }
        for (i = 0; i < len; i++) {
            char c = s[i] == '_' ? '-' : s[i];
            if (c != name[i]) {
                break;
            }
        }
        if (i == len) {
            *out = (kr_round_mode)k;
            return 0;
        }
    }
    return -1;
}

const char *kr_dec_round_mode_name(kr_round_mode m)
{
    return mode_valid(m) ? mode_names[m] : "unknown";
}

/*
 * Whether R(n / d) is one above the floor, given the remainder r of the
 * floor division (0 <= r < d) as half = sign of 2r - d.  Floor division
 * reduces every mode to this one decision.
 */
static int step_up(kr_round_mode mode, int sign, int half, int odd)
{
    switch (mode) {
    case KR_ROUND_FLOOR:
        return 0;
    case KR_ROUND_CEILING:
        return 1;
    case KR_ROUND_DOWN:
        return sign < 0;
    case KR_ROUND_UP:
        return sign > 0;
    case KR_ROUND_HALF_EVEN:
        return half != 0 ? half > 0 : odd;
    case KR_ROUND_HALF_UP:
    default:
        return half != 0 ? half > 0 : sign > 0;
    }
}

/* q = R(n / d) for d > 0. */
static void div_round(mpz_ptr q, mpz_srcptr n, mpz_srcptr d,
                      kr_round_mode mode)
{
    int sign = mpz_sgn(n);
    mpz_t r;

    mpz_init(r);
    mpz_fdiv_qr(q, r, n, d);
    if (mpz_sgn(r) != 0) {
        int half;
        mpz_mul_2exp(r, r, 1);
        half = mpz_cmp(r, d);
        if (step_up(mode, sign, half < 0 ? -1 : half > 0,
                    mpz_odd_p(q) != 0)) {
            mpz_add_ui(q, q, 1);
        }
    }
    mpz_clear(r);
}

#ifdef KR_DEC_FAST
static int round_small(mpq_ptr out, mpq_srcptr x, mpq_srcptr step,
                       kr_round_mode mode);
#endif

int kr_dec_round(mpq_ptr out, mpq_srcptr x, mpq_srcptr step,
                 kr_round_mode mode, kr_error *err)
{
    mpz_t n, d, k;
    mpq_t kq;

    if (mpq_sgn(step) == 0) {
        return kr__err(err, KR_EDIVZERO, "rounding step is zero");
    }
    if (mpq_sgn(step) < 0) {
        return kr__err(err, KR_EINVALID, "rounding step is negative");
    }
    if (!mode_valid(mode)) {
        return kr__err(err, KR_EINVALID, "unknown rounding mode %d",
                       (int)mode);
    }
#ifdef KR_DEC_FAST
    if (round_small(out, x, step, mode)) {
        return KR_OK;
    }
#endif

    /* x / step = (xn * sd) / (xd * sn), with xd * sn > 0. */
    mpz_init(n);
    mpz_init(d);
    mpz_init(k);
    mpq_init(kq);
    mpz_mul(n, mpq_numref(x), mpq_denref(step));
    mpz_mul(d, mpq_denref(x), mpq_numref(step));
    div_round(k, n, d, mode);
    mpq_set_z(kq, k);
    mpq_mul(out, kq, step);
    mpq_clear(kq);
    mpz_clear(k);
    mpz_clear(d);
    mpz_clear(n);
    return KR_OK;
}

unsigned kr_dec_step_decimals(mpq_srcptr step)
{
    /* digits after the dot of a round step: 0.01 -> 2, 1 -> 0 */
    unsigned n = 0;
    mpz_t d;
    mpz_init_set(d, mpq_denref(step));
    while (mpz_cmp_ui(d, 1) > 0 && n < 30) {
        if (mpz_divisible_ui_p(d, 10)) {
            mpz_divexact_ui(d, d, 10);
        } else if (mpz_divisible_ui_p(d, 2)) {
            mpz_divexact_ui(d, d, 2);
        } else {
            mpz_divexact_ui(d, d, 5);
        }
        n++;
    }
    mpz_clear(d);
    return n;
}

int kr_dec_check_size_bits(mpq_srcptr q, kr_error *err)
{
    size_t bits;

    bits = mpz_sizeinbase(mpq_numref(q), 2)
           + mpz_sizeinbase(mpq_denref(q), 2);
    if (bits > KR_DEC_MAX_BITS) {
        return kr__err(err, KR_ELIMIT,
                       "number too large (%zu bits, limit %d): "
                       "round it in the formula", bits, KR_DEC_MAX_BITS);
    }
    return KR_OK;
}


/*
 * For a canonical q whose denominator is 2^a 5^b, sets *scale to max(a, b),
 * the number of decimals its expansion needs, and returns 1; else 0.
 */
static int terminating_scale(mpq_srcptr q, size_t *scale)
{
    mpz_t rest, five;
    size_t twos;
    size_t fives;
    int ok;

    mpz_init(rest);
    mpz_init_set_ui(five, 5);
    twos = (size_t)mpz_scan1(mpq_denref(q), 0);
    mpz_tdiv_q_2exp(rest, mpq_denref(q), (mp_bitcnt_t)twos);
    fives = (size_t)mpz_remove(rest, rest, five);
    ok = mpz_cmp_ui(rest, 1) == 0;
    if (ok) {
        *scale = twos > fives ? twos : fives;
    }
    mpz_clear(five);
    mpz_clear(rest);
    return ok;
}

int kr_dec_is_terminating(mpq_srcptr q)
{
    size_t scale;

    return terminating_scale(q, &scale);
}

/*
 * Text of n / 10^scale with max(scale, min_decimals) digits after the dot
 * (none and no dot when that is 0).  The sign comes from n itself, so a
 * value that rounded to zero prints as "0.00", never "-0.00".  The zero
 * padding is done here rather than by scaling n, so that a large
 * min_decimals costs memory only for the text.
 */
static char *format_scaled(mpz_srcptr n, size_t scale, size_t min_decimals)
{
    int neg = mpz_sgn(n) < 0;
    size_t nfrac = scale > min_decimals ? scale : min_decimals;
    size_t len, nint, lead, total, pos;
    char *digits;
    const char *dg;
    char *out;

    digits = malloc(mpz_sizeinbase(n, 10) + 2);
    if (!digits) {
        return NULL;
    }
    mpz_get_str(digits, 10, n);
    dg = digits + neg;
    len = strlen(dg);
    if (len > scale) {
        nint = len - scale;
        lead = 0;
    } else {
        nint = 0;
        lead = scale - len;
    }
    if (nfrac > SIZE_MAX - len - 8) {
        free(digits);
        return NULL;
    }
    total = (size_t)neg + (nint ? nint : 1) + (nfrac ? 1 + nfrac : 0) + 1;
    out = malloc(total);
    if (!out) {
        free(digits);
        return NULL;
    }
    pos = 0;
    if (neg) {
        out[pos++] = '-';
    }
    if (nint) {
        memcpy(out + pos, dg, nint);
        pos += nint;
    } else {
        out[pos++] = '0';
    }
    if (nfrac) {
        out[pos++] = '.';
        memset(out + pos, '0', lead);
        pos += lead;
        memcpy(out + pos, dg + nint, len - nint);
        pos += len - nint;
        memset(out + pos, '0', nfrac - scale);
        pos += nfrac - scale;
    }
    out[pos] = '\0';
    free(digits);
    return out;
}

char *kr_dec_to_string(mpq_srcptr q, unsigned min_decimals)
{
    size_t scale;
    size_t nlen;
    char *out;

    if (terminating_scale(q, &scale)) {
        mpz_t n;

        mpz_init(n);
        mpz_ui_pow_ui(n, 10, (unsigned long)scale);
        mpz_mul(n, n, mpq_numref(q));
        mpz_divexact(n, n, mpq_denref(q));
        out = format_scaled(n, scale, min_decimals);
        mpz_clear(n);
        return out;
    }

    /* mpq_get_str would allocate with GMP's allocator; ours is free(). */
    out = malloc(mpz_sizeinbase(mpq_numref(q), 10)
                 + mpz_sizeinbase(mpq_denref(q), 10) + 3);
    if (!out) {
        return NULL;
    }
    mpz_get_str(out, 10, mpq_numref(q));
    nlen = strlen(out);
    out[nlen] = '/';
    mpz_get_str(out + nlen + 1, 10, mpq_denref(q));
    return out;
}

char *kr_dec_to_fixed(mpq_srcptr q, unsigned decimals, kr_round_mode mode)
{
    mpz_t n, k;
    char *out;

    if (!mode_valid(mode) || decimals > FIXED_MAX_DECIMALS) {
        return NULL;
    }
    mpz_init(n);
    mpz_init(k);
    mpz_ui_pow_ui(n, 10, decimals);
    mpz_mul(n, n, mpq_numref(q));
    div_round(k, n, mpq_denref(q), mode);
    out = format_scaled(k, decimals, decimals);
    mpz_clear(k);
    mpz_clear(n);
    return out;
}

char *kr_dec_group(const char *fixed, const char *lang)
{
    static const char digit_set[] = "0123456789";
    const char *p;
    const char *frac = NULL;
    size_t nint, nfrac = 0;
    size_t i, pos, total;
    char sep, dot;
    int neg = 0;
    char *out;

    if (!fixed || !lang) {
        return NULL;
    }
    if (strcmp(lang, "pl") == 0) {
        sep = ' ';
        dot = ',';
    } else if (strcmp(lang, "en") == 0) {
        sep = ',';
        dot = '.';
    } else {
        return NULL;
    }

    p = fixed;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    nint = strspn(p, digit_set);
    if (nint == 0) {
        return NULL;
    }
    if (p[nint] == '.') {
        frac = p + nint + 1;
        nfrac = strspn(frac, digit_set);
        if (nfrac == 0 || frac[nfrac] != '\0') {
            return NULL;
        }
    } else if (p[nint] != '\0') {
        return NULL;
    }
    /* "-0.00" is zero; a minus sign in front of it only confuses. */
    if (neg && strspn(p, "0") == nint
        && (!frac || strspn(frac, "0") == nfrac)) {
        neg = 0;
    }

    total = (size_t)neg + nint + (nint - 1) / 3 + (frac ? 1 + nfrac : 0) + 1;
    out = malloc(total);
    if (!out) {
        return NULL;
    }
    pos = 0;
    if (neg) {
        out[pos++] = '-';
    }
    for (i = 0; i < nint; i++) {
        if (i > 0 && (nint - i) % 3 == 0) {
            out[pos++] = sep;
        }
        out[pos++] = p[i];
    }
    if (frac) {
        out[pos++] = dot;
        memcpy(out + pos, frac, nfrac);
        pos += nfrac;
    }
    out[pos] = '\0';
    return out;
}

/* ------------------------------------------------------------------ */
/* Arithmetic with a machine-word fast path                            */

/*
 * Amounts are small rationals (grosze over a small denominator), and GMP's
 * general mpq code (allocation checks, gcds on limbs, a function call per
 * field) costs far more than the arithmetic.  When both operands fit in
 * 63 bits and the exact result, once reduced, fits too, it is computed in
 * machine integers (128-bit intermediates); otherwise GMP does it.  Either
 * way the result is the same canonical rational (denominator positive,
 * gcd 1), so nothing downstream can tell; tests/unit/check_decimal.c
 * compares both paths over many operands.
 *
 * The fast path reads and writes one-limb integers through the fields
 * gmp.h declares (_mp_size, _mp_alloc, _mp_d), as GMP's own mpz_sgn and
 * mpz_size macros do; it is compiled only where a limb is 64 bits.
 */
#ifdef KR_DEC_FAST
typedef __int128 kr_i128;
typedef unsigned __int128 kr_u128;

static inline int z_get(mpz_srcptr z, int64_t *v)
{
    int s = z->_mp_size;
    mp_limb_t l;
    if (s == 0) {
        *v = 0;
        return 1;
    }
    if (s != 1 && s != -1) {
        return 0;
    }
    l = z->_mp_d[0];
    if (l > (mp_limb_t)INT64_MAX) {
        return 0;
    }
    *v = s > 0 ? (int64_t)l : -(int64_t)l;
    return 1;
}

/* v in (-2^63, 2^63) */
static inline void z_set(mpz_ptr z, int64_t v)
{
    if (v == 0) {
        z->_mp_size = 0;
    } else if (z->_mp_alloc < 1) {
        mpz_set_si(z, (long)v); /* a fresh mpz owns no limb yet */
    } else {
        z->_mp_d[0] = v < 0 ? (mp_limb_t)-v : (mp_limb_t)v;
        z->_mp_size = v < 0 ? -1 : 1;
    }
}

static inline int q_get(mpq_srcptr q, int64_t *n, int64_t *d)
{
    return z_get(mpq_numref(q), n) && z_get(mpq_denref(q), d);
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    int sh;
    if (a == 0) {
        return b;
    }
    if (b == 0) {
        return a;
    }
    sh = __builtin_ctzll(a | b);
    a >>= __builtin_ctzll(a);
    do {
        b >>= __builtin_ctzll(b);
        if (a > b) {
            uint64_t t = a;
            a = b;
            b = t;
        }
        b -= a;
    } while (b);
    return a << sh;
}

static kr_u128 gcd128(kr_u128 x, kr_u128 y)
{
    while (y) {
        kr_u128 t;
        if ((x >> 64) == 0 && (y >> 64) == 0) {
            return gcd64((uint64_t)x, (uint64_t)y);
        }
        t = x % y;
        x = y;
        y = t;
    }
    return x;
}

static inline kr_u128 abs128(kr_i128 v)
{
    return v < 0 ? -(kr_u128)v : (kr_u128)v;
}

static inline int fits63(kr_i128 v)
{
    return v <= INT64_MAX && v >= -INT64_MAX;
}

/* out = n/d, d > 0, n/d already reduced; 0 when it does not fit. */
static inline int set_reduced(mpq_ptr out, kr_i128 n, kr_i128 d)
{
    if (!fits63(n) || d > INT64_MAX) {
        return 0;
    }
    z_set(mpq_numref(out), (int64_t)n);
    z_set(mpq_denref(out), n == 0 ? 1 : (int64_t)d);
    return 1;
}

/* out = n/d reduced, d > 0; 0 when it does not fit. */
static int set_ratio(mpq_ptr out, kr_i128 n, kr_i128 d)
{
    kr_u128 g;
    if (n == 0) {
        return set_reduced(out, 0, 1);
    }
    if (fits63(n) && d <= INT64_MAX) {
        /* the usual case, without 128-bit divisions */
        int64_t n6 = (int64_t)n, d6 = (int64_t)d;
        uint64_t g6 = gcd64(n6 < 0 ? -(uint64_t)n6 : (uint64_t)n6,
                            (uint64_t)d6);
        return set_reduced(out, n6 / (int64_t)g6, d6 / (int64_t)g6);
    }
    g = gcd128(abs128(n), (kr_u128)d);
    if (g != 1) {
        n /= (kr_i128)g;
        d /= (kr_i128)g;
    }
    return set_reduced(out, n, d);
}

/* a/b + c/d, canonical operands (Knuth 4.5.1, as GMP does it: the
 * common case of equal or coprime denominators needs no gcd of the
 * result). */
static int add_small(mpq_ptr out, int64_t a, int64_t b, int64_t c,
                     int64_t d)
{
    uint64_t g;
    kr_i128 t;
    /* sums over persons add many zeros */
    if (c == 0) {
        return set_reduced(out, a, b);
    }
    if (a == 0) {
        return set_reduced(out, c, d);
    }
    if (b == d) {
        t = (kr_i128)a + c;
        return b == 1 ? set_reduced(out, t, 1) : set_ratio(out, t, b);
    }
    g = gcd64((uint64_t)b, (uint64_t)d);
    if (g == 1) {
        return set_reduced(out, (kr_i128)a * d + (kr_i128)c * b,
                           (kr_i128)b * d);
    }
    t = (kr_i128)a * (int64_t)((uint64_t)d / g) +
        (kr_i128)c * (int64_t)((uint64_t)b / g);
    {
        kr_u128 at = abs128(t);
        uint64_t g2 = gcd64((at >> 64) == 0 ? (uint64_t)at % g
                                             : (uint64_t)(at % g), g);
        if (g2 != 1) {
            t /= (kr_i128)g2;
        }
        return set_reduced(out, t, (kr_i128)(int64_t)((uint64_t)b / g) *
                                   (int64_t)((uint64_t)d / g2));
    }
}

/* a/b * c/d, canonical operands: cross-reduce first, then the product
 * is canonical. */
static int mul_small(mpq_ptr out, int64_t a, int64_t b, int64_t c,
                     int64_t d)
{
    uint64_t g1 = d == 1 ? 1 : gcd64(a < 0 ? -(uint64_t)a : (uint64_t)a,
                                     (uint64_t)d);
    uint64_t g2 = b == 1 ? 1 : gcd64(c < 0 ? -(uint64_t)c : (uint64_t)c,
                                     (uint64_t)b);
    if (a == 0 || c == 0) {
        return set_reduced(out, 0, 1);
    }
    a /= (int64_t)g1;
    d /= (int64_t)g1;
    c /= (int64_t)g2;
    b /= (int64_t)g2;
    return set_reduced(out, (kr_i128)a * c, (kr_i128)b * d);
}

/* kr_dec_round for small x and step: k = R(x / step), out = k * step.
 * |k * sn| <= |xn| sd / xd + sn < 2^127, so nothing overflows. */
static int round_small(mpq_ptr out, mpq_srcptr x, mpq_srcptr step,
                       kr_round_mode mode)
{
    int64_t xn, xd, sn, sd;
    kr_i128 n, d, k, r;
    int half;
    if (!q_get(x, &xn, &xd) || !q_get(step, &sn, &sd)) {
        return 0;
    }
    n = (kr_i128)xn * sd;
    d = (kr_i128)xd * sn;
    if (fits63(n) && d <= INT64_MAX) {
        int64_t n6 = (int64_t)n, d6 = (int64_t)d;
        k = n6 / d6;
        r = n6 % d6;
    } else {
        k = n / d;
        r = n % d;
    }
    if (r < 0) {   /* C truncates; floor wanted */
        k -= 1;
        r += d;
    }
    if (r != 0) {
        half = 2 * r < d ? -1 : 2 * r > d;
        if (step_up(mode, n < 0 ? -1 : 1, half, (int)(k & 1))) {
            k += 1;
        }
    }
    return set_ratio(out, k * sn, sd);
}
#endif

void kr_dec_add_q(mpq_ptr out, mpq_srcptr a, mpq_srcptr b)
{
#ifdef KR_DEC_FAST
    int64_t v[4];
    if (q_get(a, &v[0], &v[1]) && q_get(b, &v[2], &v[3]) &&
        add_small(out, v[0], v[1], v[2], v[3])) {
        return;
    }
#endif
    mpq_add(out, a, b);
}

void kr_dec_sub(mpq_ptr out, mpq_srcptr a, mpq_srcptr b)
{
#ifdef KR_DEC_FAST
    int64_t v[4];
    if (q_get(a, &v[0], &v[1]) && q_get(b, &v[2], &v[3]) &&
        add_small(out, v[0], v[1], -v[2], v[3])) {
        return;
    }
#endif
    mpq_sub(out, a, b);
}

void kr_dec_mul(mpq_ptr out, mpq_srcptr a, mpq_srcptr b)
{
#ifdef KR_DEC_FAST
    int64_t v[4];
    if (q_get(a, &v[0], &v[1]) && q_get(b, &v[2], &v[3]) &&
        mul_small(out, v[0], v[1], v[2], v[3])) {
        return;
    }
#endif
    mpq_mul(out, a, b);
}

int kr_dec_div(mpq_ptr out, mpq_srcptr a, mpq_srcptr b, kr_error *err)
{
#ifdef KR_DEC_FAST
    int64_t v[4];
#endif
    if (mpq_sgn(b) == 0) {
        return kr__err(err, KR_EDIVZERO, "division by zero");
    }
#ifdef KR_DEC_FAST
    /* a/b / (c/d) = a/b * (d/c), the sign moved to the numerator */
    if (q_get(a, &v[0], &v[1]) && q_get(b, &v[2], &v[3]) &&
        mul_small(out, v[0], v[1], v[2] < 0 ? -v[3] : v[3],
                  v[2] < 0 ? -v[2] : v[2])) {
        return KR_OK;
    }
#endif
    mpq_div(out, a, b);
    return KR_OK;
}

int kr_dec_cmp_q(mpq_srcptr a, mpq_srcptr b)
{
#ifdef KR_DEC_FAST
    int64_t v[4];
    if (q_get(a, &v[0], &v[1]) && q_get(b, &v[2], &v[3])) {
        kr_i128 l, r;
        if (v[1] == v[3]) {
            return v[0] < v[2] ? -1 : v[0] > v[2];
        }
        l = (kr_i128)v[0] * v[3];
        r = (kr_i128)v[2] * v[1];
        return l < r ? -1 : l > r;
    }
#endif
    return mpq_cmp(a, b);
}

void kr_dec_set(mpq_ptr out, mpq_srcptr q)
{
#ifdef KR_DEC_FAST
    mpz_srcptr n = mpq_numref(q), d = mpq_denref(q);
    mpz_ptr on = mpq_numref(out), od = mpq_denref(out);
    /* one limb each way (any limb: this copies, it does not compute) */
    if (n->_mp_size >= -1 && n->_mp_size <= 1 && d->_mp_size == 1 &&
        on->_mp_alloc >= 1 && od->_mp_alloc >= 1) {
        on->_mp_d[0] = n->_mp_d[0];
        on->_mp_size = n->_mp_size;
        od->_mp_d[0] = d->_mp_d[0];
        od->_mp_size = 1;
        return;
    }
#endif
    if (out != q) {
        mpq_set(out, q);
    }
}

void kr_dec_set_si(mpq_ptr out, long v)
{
#ifdef KR_DEC_FAST
    if (v > LONG_MIN) {
        z_set(mpq_numref(out), v);
        z_set(mpq_denref(out), 1);
        return;
    }
#endif
    mpq_set_si(out, v, 1);
}
