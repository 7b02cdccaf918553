/*
 * pool.c - chunked allocator freed in one call (libgit2's git_pool idea).
 *
 * A rule set and an evaluation each own one pool, so that their many
 * small strings, nodes and rationals go away together and no error path
 * can leak one.  Rationals register a finalizer (mpq_clear).  With
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
    p->chunks = NULL;
    p->fins = NULL;
}

void kr_pool__free(kr_pool *p)
{
    kr_pool_chunk *c = p->chunks;
    kr_pool_fin *f = p->fins;
    while (f) {
        kr_pool_fin *n = f->next;
        mpq_clear(f->q);
#ifdef KR_POOL_DEBUG
        free(f);
#endif
        f = n;
    }
    while (c) {
        kr_pool_chunk *n = c->next;
        free(c);
        c = n;
    }
    p->chunks = NULL;
    p->fins = NULL;
}

void *kr_pool__alloc(kr_pool *p, size_t n)
{
    kr_pool_chunk *c = p->chunks;
    size_t a = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    void *r;

    if (a == 0) {
        a = sizeof(max_align_t);
    }
    if (!c || c->cap - c->used < a) {
        size_t cap = a > CHUNK ? a : CHUNK;
        c = malloc(sizeof(*c) + cap);
        if (!c) {
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
    memset(r, 0, n);
    return r;
}

char *kr_pool__strndup(kr_pool *p, const char *s, size_t n)
{
    char *r = kr_pool__alloc(p, n + 1);
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

mpq_ptr kr_pool__mpq(kr_pool *p)
{
    /* the finalizer node lives in the pool too: one allocation fewer per
     * number, which matters on the batch path */
#ifdef KR_POOL_DEBUG
    kr_pool_fin *f = malloc(sizeof(*f));
#else
    kr_pool_fin *f = kr_pool__alloc(p, sizeof(*f));
#endif
    if (!f) {
        return NULL;
    }
    mpq_init(f->q);
    f->next = p->fins;
    p->fins = f;
    return f->q;
}

void kr_val__init(kr_val *v, mpq_ptr storage)
{
    v->kind = V_NONE;
    v->b = 0;
    v->d = 0;
    v->s = NULL;
    v->q = storage;
}
