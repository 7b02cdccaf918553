/*
 * pool.c - chunked allocator freed in one call (libgit2's git_pool idea).
 *
 * A rule set and an evaluation each own one pool, so that their many
 * small strings, nodes and rationals go away together and no error path
 * can leak one.  Rationals register a finalizer (mpq_clear).  A reset
 * keeps chunks and rationals for reuse (the batch path).  With
 * KR_POOL_DEBUG every allocation is its own malloc, so ASan and valgrind
 * see overflows.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef KR_POOL_DEBUG
#define CHUNK 0
#else
/* one small application and its evaluation fit in a few chunks; a batch
 * makes millions of pools, so the first chunk stays small */
#define CHUNK 4032
#endif

struct kr_pool_chunk {
    kr_pool_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct kr_pool_fin {
    kr_pool_fin *next;
    mpq_t q;
};

void kr_pool__init(kr_pool *p)
{
    memset(p, 0, sizeof(*p));
}

static void free_chunks(kr_pool_chunk *c)
{
    while (c) {
        kr_pool_chunk *n = c->next;
        free(c);
        c = n;
    }
}

static void clear_fins(kr_pool_fin *f)
{
    while (f) {
        kr_pool_fin *n = f->next;
        mpq_clear(f->q);
        free(f);
        f = n;
    }
}

void kr_pool__free(kr_pool *p)
{
    clear_fins(p->fins);
    clear_fins(p->spare_fins);
    free_chunks(p->chunks);
    free_chunks(p->spare_chunks);
    memset(p, 0, sizeof(*p));
}

void kr_pool__reset(kr_pool *p)
{
    /* keep the memory and the initialised rationals for the next use:
     * a batch evaluates millions of applications with the same few
     * kilobytes */
    kr_pool_chunk *c = p->chunks;
    kr_pool_fin *f = p->fins;
    while (c) {
        kr_pool_chunk *n = c->next;
        if (c->cap == CHUNK) {
            c->used = 0;
            c->next = p->spare_chunks;
            p->spare_chunks = c;
        } else {
            free(c);
        }
        c = n;
    }
    while (f) {
        kr_pool_fin *n = f->next;
        f->next = p->spare_fins;
        p->spare_fins = f;
        f = n;
    }
    p->chunks = NULL;
    p->fins = NULL;
}

/* n bytes, not cleared; inlined into both allocators below */
static inline void *take(kr_pool *p, size_t n)
{
    kr_pool_chunk *c = p->chunks;
    size_t a = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    void *r;

    if (a == 0) {
        a = sizeof(max_align_t);
    }
    if (!c || c->cap - c->used < a) {
        size_t cap = a > CHUNK ? a : CHUNK;
        if (cap == CHUNK && p->spare_chunks) {
            c = p->spare_chunks;
            p->spare_chunks = c->next;
        } else if (!(c = malloc(sizeof(*c) + cap))) {
            return NULL;
        }
        c->used = 0;
        c->cap = cap;
        if (p->chunks && cap != CHUNK) {
            /* a big one-off goes behind the current chunk so that the
             * current chunk's free space stays usable */
            c->next = p->chunks->next;
            p->chunks->next = c;
        } else {
            c->next = p->chunks;
            p->chunks = c;
        }
    }
    r = (char *)c->data + c->used;
    c->used += a;
    return r;
}

void *kr_pool__alloc(kr_pool *p, size_t n)
{
    void *r = take(p, n);
    if (r) {
        memset(r, 0, n);
    }
    return r;
}

void *kr_pool__alloc_raw(kr_pool *p, size_t n)
{
    return take(p, n);
}

char *kr_pool__strndup(kr_pool *p, const char *s, size_t n)
{
    char *r = kr_pool__alloc_raw(p, n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

char *kr_pool__strdup(kr_pool *p, const char *s)
{
    return s ? kr_pool__strndup(p, s, strlen(s)) : NULL;
}

#if GMP_LIMB_BITS == 64 && GMP_NAIL_BITS == 0
/* a rational and its two limbs in one pool allocation */
typedef struct {
    __mpq_struct q;
    mp_limb_t limb[2];
} word_q;

mpq_ptr kr_pool__mpq_word(kr_pool *p, int neg, unsigned long long num,
                          unsigned long long den)
{
    word_q *w = take(p, sizeof(*w));
    if (!w) {
        return NULL;
    }
    w->limb[0] = (mp_limb_t)num;
    w->limb[1] = (mp_limb_t)den;
    {
        /* GMP's initialisers for read-only integers, as plain stores
         * (the function mpz_roinit_n also normalises, needless here) */
        mpz_t n = MPZ_ROINIT_N(&w->limb[0], num == 0 ? 0 : neg ? -1 : 1);
        mpz_t d = MPZ_ROINIT_N(&w->limb[1], 1);
        *mpq_numref(&w->q) = n[0];
        *mpq_denref(&w->q) = d[0];
    }
    return &w->q;
}
#else
mpq_ptr kr_pool__mpq_word(kr_pool *p, int neg, unsigned long long num,
                          unsigned long long den)
{
    mpq_ptr q = kr_pool__mpq(p);
    if (q) {
        mpz_import(mpq_numref(q), 1, 1, sizeof(num), 0, 0, &num);
        mpz_import(mpq_denref(q), 1, 1, sizeof(den), 0, 0, &den);
        if (neg) {
            mpz_neg(mpq_numref(q), mpq_numref(q));
        }
    }
    return q;
}
#endif

mpq_ptr kr_pool__mpq(kr_pool *p)
{
    kr_pool_fin *f = p->spare_fins;
    if (f) {
        /* recycled: initialised already; only the value is reset */
        p->spare_fins = f->next;
        mpq_set_ui(f->q, 0, 1);
    } else {
        if (!(f = malloc(sizeof(*f)))) {
            return NULL;
        }
        mpq_init(f->q);
    }
    f->next = p->fins;
    p->fins = f;
    return f->q;
}
