/*
 * decimal.h - exact decimal arithmetic over GMP rationals (internal).
 *
 * Why rationals and not scaled integers: the law divides (family income by
 * the number of persons, yearly income by 12) and then compares the
 * quotient with a criterion.  A scaled integer would force a rounding at
 * every division, and the act says nothing about rounding there.  With
 * mpq_t every intermediate value is exact, comparisons are exact, and the
 * only roundings are the ones a rule file writes down.
 *
 * Every function that can fail takes a kr_error and returns KR_OK or a
 * negative kr_code; none of them prints, exits or traps (division by zero
 * is checked before GMP sees it).
 */
#ifndef KR_DECIMAL_H
#define KR_DECIMAL_H

#include <stddef.h>
#include <gmp.h>
#include "kryterium.h"

/* Longest decimal literal accepted (digits), to bound GMP allocations. */
#define KR_DEC_MAX_DIGITS 200
/* Bound on numerator+denominator size after an operation (bits). */
#define KR_DEC_MAX_BITS 4096

typedef enum {
    KR_ROUND_HALF_UP = 0,  /* ties away from zero: 0.125 -> 0.13, -0.125 -> -0.13 */
    KR_ROUND_HALF_EVEN,    /* ties to even digit:  0.125 -> 0.12, 0.135 -> 0.14 */
    KR_ROUND_DOWN,         /* toward zero */
    KR_ROUND_UP,           /* away from zero */
    KR_ROUND_FLOOR,        /* toward -infinity */
    KR_ROUND_CEILING       /* toward +infinity */
} kr_round_mode;

/*
 * Parse strict decimal text into q: -?[0-9]+(\.[0-9]+)?%?  (a trailing '%'
 * divides by 100: "130%" is 13/10).  No white space, no exponent, no '+',
 * no hex.  len is the length of s (s need not be NUL-terminated).
 * Returns KR_OK, KR_EPARSE for malformed text, KR_ELIMIT past
 * KR_DEC_MAX_DIGITS digits.  err may be NULL; the message names the text.
 */
int kr_dec_parse(mpq_ptr q, const char *s, size_t len, kr_error *err);

/* The same grammar, for the common amounts: s as a sign and a numerator
 * and denominator in lowest terms, each below 2^64 (at most 18 digits).
 * Returns 1, or 0 when s is longer or not a number (kr_dec_parse then
 * says why).  Zero is never negative. */
int kr_dec__parse_word(const char *s, size_t len, int *neg,
                       unsigned long long *num, unsigned long long *den);

/* Parse a rounding mode name: "half-up", "half-even", "down", "up",
 * "floor", "ceiling" (underscore accepted for '-').  Returns 0 or -1. */
int kr_dec_round_mode_parse(kr_round_mode *out, const char *s, size_t len);
const char *kr_dec_round_mode_name(kr_round_mode m);

/*
 * out = step * R(x / step), R the rounding mode.  step > 0 (e.g. 1/100 for
 * the grosz, 1 for whole zloty, 1/10 for 10 groszy).  out may alias x.
 * Returns KR_OK or KR_EDIVZERO/KR_EINVALID when step <= 0.
 */
int kr_dec_round(mpq_ptr out, mpq_srcptr x, mpq_srcptr step,
                 kr_round_mode mode, kr_error *err);

/* Digits after the dot of a rounding step: 0.01 -> 2, 1 -> 0, 0.05 -> 2. */
unsigned kr_dec_step_decimals(mpq_srcptr step);

/* out = a / b; KR_EDIVZERO when b == 0.  out may alias a or b. */
int kr_dec_div(mpq_ptr out, mpq_srcptr a, mpq_srcptr b, kr_error *err);

/* out = a + b, a - b, a * b; compare.  Exact, canonical, the same as
 * mpq_add/sub/mul/cmp, with a machine-word fast path for small values.
 * out may alias a or b. */
void kr_dec_add_q(mpq_ptr out, mpq_srcptr a, mpq_srcptr b);
#if GMP_LIMB_BITS == 64 && GMP_NAIL_BITS == 0 && __SIZEOF_LONG__ == 8
/* q as a long when it is an integer of magnitude below 2^62 (so that a
 * sum of two cannot overflow); reads only what the sizes say is there. */
static inline int kr_dec__small_int(mpq_srcptr q, long *v)
{
    mpz_srcptr n = mpq_numref(q), d = mpq_denref(q);
    if (d->_mp_size != 1 || d->_mp_d[0] != 1) {
        return 0;
    }
    if (n->_mp_size == 0) {
        *v = 0;
        return 1;
    }
    if ((n->_mp_size != 1 && n->_mp_size != -1) ||
        n->_mp_d[0] >= (mp_limb_t)1 << 62) {
        return 0;
    }
    *v = n->_mp_size > 0 ? (long)n->_mp_d[0] : -(long)n->_mp_d[0];
    return 1;
}

/* out = a + b.  Integers (counts, whole amounts, and the zeros a sum over
 * persons adds) without a call; anything else by kr_dec_add_q. */
static inline void kr_dec_add(mpq_ptr out, mpq_srcptr a, mpq_srcptr b)
{
    mpz_ptr on = mpq_numref(out), od = mpq_denref(out);
    long x, y, r;
    if (kr_dec__small_int(a, &x) && kr_dec__small_int(b, &y) &&
        on->_mp_alloc >= 1 && od->_mp_alloc >= 1) {
        r = x + y;
        on->_mp_d[0] = (mp_limb_t)(r < 0 ? -r : r);
        on->_mp_size = r < 0 ? -1 : r > 0;
        od->_mp_d[0] = 1;
        od->_mp_size = 1;
        return;
    }
    kr_dec_add_q(out, a, b);
}
#else
#define kr_dec_add kr_dec_add_q
#endif
void kr_dec_sub(mpq_ptr out, mpq_srcptr a, mpq_srcptr b);
void kr_dec_mul(mpq_ptr out, mpq_srcptr a, mpq_srcptr b);
int kr_dec_cmp_q(mpq_srcptr a, mpq_srcptr b);
/* Compare; integers of one limb (ages, counts, whole amounts) without a
 * call.  A limb is read only when the size says it holds the value. */
static inline int kr_dec_cmp(mpq_srcptr a, mpq_srcptr b)
{
    mpz_srcptr an = mpq_numref(a), bn = mpq_numref(b);
    mpz_srcptr ad = mpq_denref(a), bd = mpq_denref(b);
    if (ad->_mp_size == 1 && ad->_mp_d[0] == 1 && bd->_mp_size == 1 &&
        bd->_mp_d[0] == 1 && an->_mp_size >= -1 && an->_mp_size <= 1 &&
        bn->_mp_size >= -1 && bn->_mp_size <= 1) {
        int sa = an->_mp_size, sb = bn->_mp_size;
        mp_limb_t la, lb;
        if (sa != sb) {
            return sa < sb ? -1 : 1;
        }
        if (sa == 0) {
            return 0;
        }
        la = an->_mp_d[0];
        lb = bn->_mp_d[0];
        if (la == lb) {
            return 0;
        }
        return (la < lb) == (sa > 0) ? -1 : 1;
    }
    return kr_dec_cmp_q(a, b);
}
/* out = q; out = v.  The same as mpq_set and mpq_set_si(out, v, 1). */
void kr_dec_set(mpq_ptr out, mpq_srcptr q);
void kr_dec_set_si(mpq_ptr out, long v);

/* KR_ELIMIT when q is bigger than KR_DEC_MAX_BITS (checked after ops). */
int kr_dec_check_size_bits(mpq_srcptr q, kr_error *err);
static inline int kr_dec_check_size(mpq_srcptr q, kr_error *err)
{
    int ns = mpq_numref(q)->_mp_size, ds = mpq_denref(q)->_mp_size;
    /* limbs bound the bits from above: most values need no count */
    if (((size_t)(ns < 0 ? -ns : ns) + (size_t)ds) * GMP_NUMB_BITS <=
        KR_DEC_MAX_BITS) {
        return KR_OK;
    }
    return kr_dec_check_size_bits(q, err);
}

/* 1 when q has a finite decimal expansion (denominator 2^a 5^b). */
int kr_dec_is_terminating(mpq_srcptr q);

/*
 * Exact text of q into a malloc'd string (free with free()).
 * - finite expansion: plain decimal with a dot, at least min_decimals
 *   digits after the dot ("713.00" for 713 with min_decimals 2, "0.125"),
 *   "-" for negatives, never "-0";
 * - otherwise the reduced fraction "n/d" ("2000/3").
 * Returns NULL only on allocation failure.
 */
char *kr_dec_to_string(mpq_srcptr q, unsigned min_decimals);

/*
 * Text of q rounded to exactly `decimals` digits with mode, into a malloc'd
 * string: kr_dec_to_fixed(2000/3, 2, HALF_UP) = "666.67".
 */
char *kr_dec_to_fixed(mpq_srcptr q, unsigned decimals, kr_round_mode mode);

/*
 * Human format of an already-fixed decimal string ("1010.00", "-5.5"):
 * lang "pl": group thousands with a space, decimal comma -> "1 010,00";
 * lang "en": group with ',' and a dot -> "1,010.00".
 * Returns malloc'd string or NULL on allocation failure / bad input.
 */
char *kr_dec_group(const char *fixed, const char *lang);

#endif
