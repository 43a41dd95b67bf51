/* SPDX-License-Identifier: MIT */
/* onnx_arena.c: a bump allocator that owns every message of one ONNX write. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "onnx_writer.h"

/* Large enough that small models fit in one block, small enough not to
 * matter for a CLI; big requests get a block of their own. */
#define ONNX_ARENA_BLOCK (64u * 1024u)

/* Requests from this size on are mapped on their own: the kernel gives
 * zeroed pages when first touched, so room a caller reserves and does
 * not use (the packed tree lists) costs no memory. */
#define ONNX_ARENA_MAPPED ((size_t)1 << 20)

typedef struct onnx_block {
    struct onnx_block *next;
    size_t used, size;
    int mapped;
    max_align_t data[];
} onnx_block;

static void onnx_block_free(onnx_block *b)
{
    if (b->mapped)
        munmap(b, sizeof(onnx_block) + b->size);
    else
        free(b);
}

struct onnx_arena {
    onnx_block *head;
};

int onnx_arena_new(onnx_arena **out)
{
    onnx_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return SKC_E_NOMEM;
    *out = a;
    return 0;
}

void onnx_arena_free(onnx_arena *a)
{
    if (!a)
        return;
    onnx_block *b = a->head;
    while (b) {
        onnx_block *next = b->next;
        onnx_block_free(b);
        b = next;
    }
    free(a);
}

void *onnx_arena_alloc(onnx_arena *a, size_t n, size_t size)
{
    const size_t align = sizeof(max_align_t);
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    size_t want = n * size;
    if (want == 0)
        want = 1;
    if (want > SIZE_MAX - align)
        return NULL;
    want = (want + align - 1) / align * align;

    onnx_block *b = a->head;
    if (!b || b->size - b->used < want) {
        size_t size_new = want > ONNX_ARENA_BLOCK ? want : ONNX_ARENA_BLOCK;
        if (size_new > SIZE_MAX - sizeof(onnx_block))
            return NULL;
        if (want >= ONNX_ARENA_MAPPED) {
            void *m = mmap(NULL, sizeof(onnx_block) + size_new, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m == MAP_FAILED)
                return NULL;
            b = m;
            b->mapped = 1;
        } else {
            if (!(b = malloc(sizeof(onnx_block) + size_new)))
                return NULL;
            b->mapped = 0;
        }
        b->size = size_new;
        b->used = 0;
        /* A dedicated block for a big request goes behind the head so the
         * head's free space stays usable for the small ones that follow. */
        if (a->head && want > ONNX_ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = (unsigned char *)b->data + b->used;
    b->used += want;
    if (!b->mapped)
        memset(p, 0, want);
    return p;
}

void *onnx_arena_memdup(onnx_arena *a, const void *p, size_t n, size_t size)
{
    void *d = onnx_arena_alloc(a, n, size);
    if (d && n)
        memcpy(d, p, n * size);
    return d;
}

char *onnx_arena_strdup(onnx_arena *a, const char *s)
{
    size_t len = strlen(s);
    char *d = onnx_arena_alloc(a, len + 1, 1);
    if (d)
        memcpy(d, s, len + 1);
    return d;
}
