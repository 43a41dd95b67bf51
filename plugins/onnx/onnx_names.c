/* SPDX-License-Identifier: MIT */
/* onnx_names.c: maps IR tensor names to unique, sanitised ONNX value names and tracks their element types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_writer.h"

enum onnx_name_state {
    ONNX_NAME_INTERNAL = 0,  /* made up by the writer (constants, temporaries) */
    ONNX_NAME_PRODUCED = 1,  /* an IR tensor with a known producer             */
    ONNX_NAME_RESERVED = 2   /* a model output no step has produced yet        */
};

typedef struct onnx_name_entry {
    const char *onnx;
    const char *ir;          /* NULL for internal names */
    int elem;
    int state;
} onnx_name_entry;

/* Open addressing over entry indices + 1 (0 = empty slot). */
typedef struct onnx_name_map {
    size_t *slots;
    size_t cap;              /* a power of two */
} onnx_name_map;

struct onnx_names {
    onnx_arena      *arena;
    onnx_name_entry *entries;
    size_t           n, cap;
    onnx_name_map    by_onnx;
    onnx_name_map    by_ir;
};

/* ONNX IR.md: names SHOULD be C90 identifiers, so internal names are kept
 * to that alphabet; the cap keeps generated suffixes well inside limits. */
#define ONNX_NAME_MAX 200

static size_t onnx_hash(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return (size_t)h;
}

static int onnx_map_find(const onnx_names *n, const onnx_name_map *m,
                         const char *key, int by_ir, size_t *idx)
{
    if (m->cap == 0)
        return 0;
    size_t i = onnx_hash(key) & (m->cap - 1);
    while (m->slots[i]) {
        const onnx_name_entry *e = &n->entries[m->slots[i] - 1];
        const char *k = by_ir ? e->ir : e->onnx;
        if (k && strcmp(k, key) == 0) {
            *idx = m->slots[i] - 1;
            return 1;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}

/* The caller has made room: the load stays under one half. */
static void onnx_map_put(onnx_name_map *m, const char *key, size_t idx)
{
    size_t i = onnx_hash(key) & (m->cap - 1);
    while (m->slots[i])
        i = (i + 1) & (m->cap - 1);
    m->slots[i] = idx + 1;
}

static int onnx_map_grow(onnx_names *n, onnx_name_map *m, int by_ir)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    size_t *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = calloc(cap, sizeof(*m->slots));
    if (!m->slots) {
        m->slots = old;
        return SKC_E_NOMEM;
    }
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i])
            continue;
        const onnx_name_entry *e = &n->entries[old[i] - 1];
        onnx_map_put(m, by_ir ? e->ir : e->onnx, old[i] - 1);
    }
    free(old);
    return 0;
}

static int onnx_names_add(onnx_names *n, const char *onnx, const char *ir,
                          int elem, int state, size_t *idx)
{
    int rc;
    if (n->n == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 64;
        onnx_name_entry *e = realloc(n->entries, cap * sizeof(*e));
        if (!e)
            return SKC_E_NOMEM;
        n->entries = e;
        n->cap = cap;
    }
    if ((n->n + 1) * 2 > n->by_onnx.cap &&
        (rc = onnx_map_grow(n, &n->by_onnx, 0)) < 0)
        return rc;
    if (ir && (n->n + 1) * 2 > n->by_ir.cap &&
        (rc = onnx_map_grow(n, &n->by_ir, 1)) < 0)
        return rc;
    n->entries[n->n] = (onnx_name_entry){ onnx, ir, elem, state };
    onnx_map_put(&n->by_onnx, onnx, n->n);
    if (ir)
        onnx_map_put(&n->by_ir, ir, n->n);
    *idx = n->n++;
    return 0;
}

int onnx_names_new(onnx_arena *a, onnx_names **out)
{
    onnx_names *n = calloc(1, sizeof(*n));
    if (!n)
        return SKC_E_NOMEM;
    n->arena = a;
    *out = n;
    return 0;
}

void onnx_names_free(onnx_names *n)
{
    if (!n)
        return;
    free(n->entries);
    free(n->by_onnx.slots);
    free(n->by_ir.slots);
    free(n);
}

/* An identifier from any text: other bytes become '_', a leading digit
 * gets a '_' in front, and nothing is left empty. */
static void onnx_sanitise(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    if (*in >= '0' && *in <= '9')
        out[o++] = '_';
    for (; *in && o + 1 < outlen; in++) {
        char c = *in;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_';
        out[o++] = ok ? c : '_';
    }
    if (o == 0)
        out[o++] = 't';
    out[o] = '\0';
}

/* A name no entry holds yet: @p base, else base_1, base_2, ... */
static int onnx_unique(onnx_names *n, const char *hint, const char **out)
{
    char base[ONNX_NAME_MAX + 1];
    char cand[ONNX_NAME_MAX + 24];
    size_t idx;
    onnx_sanitise(hint, base, sizeof(base));
    snprintf(cand, sizeof(cand), "%s", base);
    for (unsigned long k = 1; onnx_map_find(n, &n->by_onnx, cand, 0, &idx); k++)
        snprintf(cand, sizeof(cand), "%s_%lu", base, k);
    char *d = onnx_arena_strdup(n->arena, cand);
    if (!d)
        return SKC_E_NOMEM;
    *out = d;
    return 0;
}

int onnx_name_reserve_input(onnx_builder *b, const char *name, int elem)
{
    onnx_names *n = b->names;
    size_t idx;
    if (onnx_map_find(n, &n->by_ir, name, 1, &idx))
        return onnx_error(b, SKC_E_FORMAT, "model input '%s' is declared twice",
                          name);
    char *d = onnx_arena_strdup(n->arena, name);
    if (!d)
        return SKC_E_NOMEM;
    return onnx_names_add(n, d, d, elem, ONNX_NAME_PRODUCED, &idx);
}

int onnx_name_reserve_onnx(onnx_builder *b, const char *name)
{
    onnx_names *n = b->names;
    size_t idx;
    if (onnx_map_find(n, &n->by_onnx, name, 0, &idx))
        return onnx_error(b, SKC_E_FORMAT, "the ONNX name '%s' is taken twice", name);
    char *d = onnx_arena_strdup(n->arena, name);
    if (!d)
        return SKC_E_NOMEM;
    return onnx_names_add(n, d, NULL, ONNX_ELEM_UNKNOWN, ONNX_NAME_RESERVED, &idx);
}

int onnx_name_reserve_output(onnx_builder *b, const char *name)
{
    onnx_names *n = b->names;
    size_t idx;
    if (onnx_map_find(n, &n->by_ir, name, 1, &idx)) {
        /* An output that is also an input passes straight through. */
        if (n->entries[idx].state == ONNX_NAME_PRODUCED)
            return 0;
        return onnx_error(b, SKC_E_FORMAT, "model output '%s' is declared twice",
                          name);
    }
    char *d = onnx_arena_strdup(n->arena, name);
    if (!d)
        return SKC_E_NOMEM;
    return onnx_names_add(n, d, d, ONNX_ELEM_UNKNOWN, ONNX_NAME_RESERVED, &idx);
}

int onnx_name_lookup(onnx_builder *b, const char *ir_name, const char **name,
                     int *elem)
{
    onnx_names *n = b->names;
    size_t idx;
    if (!onnx_map_find(n, &n->by_ir, ir_name, 1, &idx) ||
        n->entries[idx].state != ONNX_NAME_PRODUCED)
        return onnx_error(b, SKC_E_FORMAT,
                          "tensor '%s' is used before any step produces it",
                          ir_name);
    *name = n->entries[idx].onnx;
    if (elem)
        *elem = n->entries[idx].elem;
    return 0;
}

int onnx_name_define(onnx_builder *b, const char *ir_name, int elem,
                     const char **name)
{
    onnx_names *n = b->names;
    size_t idx;
    int rc;
    if (onnx_map_find(n, &n->by_ir, ir_name, 1, &idx)) {
        onnx_name_entry *e = &n->entries[idx];
        if (e->state != ONNX_NAME_RESERVED)
            return onnx_error(b, SKC_E_FORMAT,
                              "tensor '%s' is produced twice", ir_name);
        e->state = ONNX_NAME_PRODUCED;
        e->elem = elem;
        *name = e->onnx;
        return 0;
    }
    const char *onnx;
    char *ir = onnx_arena_strdup(n->arena, ir_name);
    if (!ir)
        return SKC_E_NOMEM;
    if ((rc = onnx_unique(n, ir_name, &onnx)) < 0)
        return rc;
    if ((rc = onnx_names_add(n, onnx, ir, elem, ONNX_NAME_PRODUCED, &idx)) < 0)
        return rc;
    *name = onnx;
    return 0;
}

int onnx_name_fresh(onnx_builder *b, const char *hint, const char **name)
{
    onnx_names *n = b->names;
    char full[ONNX_NAME_MAX + 1];
    const char *onnx;
    size_t idx;
    int rc;
    /* Internal names start with the step's output ("scores_coef",
     * "scores_MatMul"), so a graph viewer shows where each came from. */
    if (b->step_prefix) {
        snprintf(full, sizeof(full), "%s_%s", b->step_prefix, hint);
        hint = full;
    }
    if ((rc = onnx_unique(n, hint, &onnx)) < 0)
        return rc;
    if ((rc = onnx_names_add(n, onnx, NULL, ONNX_ELEM_UNKNOWN,
                             ONNX_NAME_INTERNAL, &idx)) < 0)
        return rc;
    *name = onnx;
    return 0;
}

int onnx_name_output_elem(onnx_builder *b, const char *name, int *elem)
{
    onnx_names *n = b->names;
    size_t idx;
    if (!onnx_map_find(n, &n->by_ir, name, 1, &idx) ||
        n->entries[idx].state != ONNX_NAME_PRODUCED)
        return onnx_error(b, SKC_E_FORMAT,
                          "model output '%s' is not produced by any step", name);
    *elem = n->entries[idx].elem;
    return 0;
}
