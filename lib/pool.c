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
