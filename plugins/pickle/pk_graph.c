/* SPDX-License-Identifier: MIT */
/* pk_graph.c: the arena that owns every node of an inert pickle object graph, and the read accessors lifters use. */
#include <stdlib.h>
#include <string.h>
#include <skconv/io.h>
#include "pk_internal.h"

/* Nodes and short strings come from 64 KiB blocks; one free per block
 * keeps a graph of millions of nodes cheap to build and to drop. */
#define PK_BLOCK_SIZE (64u * 1024u)

struct pk_block {
    pk_block *next;
    size_t    used, size;
    /* payload follows, 16-aligned */
};

#define PK_BLOCK_HDR ((sizeof(pk_block) + 15u) & ~(size_t)15u)

void pk_limits_fill(const skc_limits *in, skc_limits *out)
{
    skc_limits d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.max_depth = 1000;
    d.max_memo = UINT64_C(1) << 24;
    d.max_objects = UINT64_C(1) << 25;
    d.max_bytes = UINT64_C(8) << 30;
    d.max_ratio = 1000;
    d.max_elements = UINT64_C(1) << 32;
    if (in) {
        /* Members beyond the caller's struct_size keep our defaults. */
        size_t have = in->struct_size < sizeof d ? in->struct_size : sizeof d;
#define PK_TAKE(m) \
        if (have >= offsetof(skc_limits, m) + sizeof d.m && in->m) d.m = in->m;
        PK_TAKE(max_depth)
        PK_TAKE(max_memo)
        PK_TAKE(max_objects)
        PK_TAKE(max_bytes)
        PK_TAKE(max_ratio)
        PK_TAKE(max_elements)
#undef PK_TAKE
    }
    *out = d;
}

int pk_graph_new(const skc_limits *lim, pk_graph **out)
{
    pk_graph *g = calloc(1, sizeof *g);
    if (!g)
        return SKC_E_NOMEM;
    pk_limits_fill(lim, &g->limits);
    g->compression = "none";
    g->container = "pickle";
    *out = g;
    return 0;
}

int pk_graph_charge(pk_graph *g, uint64_t bytes)
{
    if (bytes > g->limits.max_bytes ||
        g->alloc_bytes > g->limits.max_bytes - bytes)
        return SKC_E_LIMIT;
    g->alloc_bytes += bytes;
    return 0;
}

void *pk_graph_alloc(pk_graph *g, size_t n)
{
    n = (n + 15u) & ~(size_t)15u;
    if (n == 0)
        n = 16;
    pk_block *b = g->blocks;
    if (!b || b->size - b->used < n) {
        size_t cap = n > PK_BLOCK_SIZE / 4 ? n : PK_BLOCK_SIZE;
        if (pk_graph_charge(g, cap) < 0)
            return NULL;
        pk_block *nb = malloc(PK_BLOCK_HDR + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->size = cap;
        if (cap == n && b) {
            /* A dedicated block goes behind the current one so the
             * current block's free tail stays usable. */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            g->blocks = nb;
        }
        b = nb;
    }
    void *p = (uint8_t *)b + PK_BLOCK_HDR + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

pk_obj *pk_graph_node(pk_graph *g, int kind, uint64_t offset)
{
    if (g->n_objects >= g->limits.max_objects)
        return NULL;
    pk_obj *o = pk_graph_alloc(g, sizeof *o);
    if (!o)
        return NULL;
    o->kind = (uint8_t)kind;
    o->offset = offset;
    g->n_objects++;
    return o;
}

const uint8_t *pk_graph_strdup(pk_graph *g, const void *p, size_t n)
{
    if (n >= SIZE_MAX - 16)
        return NULL;
    uint8_t *d = pk_graph_alloc(g, n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    return d;
}

static int pk_graph_grow(void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        void **na = realloc(*arr, nc * sizeof *na);
        if (!na)
            return SKC_E_NOMEM;
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

int pk_graph_own(pk_graph *g, void *p)
{
    if (pk_graph_grow(&g->owned, &g->n_owned, &g->cap_owned, p) < 0) {
        free(p);
        return SKC_E_NOMEM;
    }
    return 0;
}

int pk_graph_own_stream(pk_graph *g, void *stream)
{
    return pk_graph_grow(&g->streams, &g->n_streams, &g->cap_streams, stream);
}

int pk_graph_track(pk_graph *g, pk_obj *container)
{
    return pk_graph_grow((void ***)&g->growables, &g->n_grow, &g->cap_grow,
                         container);
}

int pk_seq_push(pk_graph *g, pk_obj *seq, pk_obj *item)
{
    if (seq->u.seq.n == seq->u.seq.cap) {
        size_t nc = seq->u.seq.cap ? seq->u.seq.cap * 2 : 4;
        if (nc > SIZE_MAX / sizeof(pk_obj *))
            return SKC_E_LIMIT;
        if (pk_graph_charge(g, (nc - seq->u.seq.cap) * sizeof(pk_obj *)) < 0)
            return SKC_E_LIMIT;
        pk_obj **na = realloc(seq->u.seq.items, nc * sizeof *na);
        if (!na)
            return SKC_E_NOMEM;
        if (!seq->u.seq.items && pk_graph_track(g, seq) < 0) {
            free(na);
            return SKC_E_NOMEM;
        }
        seq->u.seq.items = na;
        seq->u.seq.cap = nc;
    }
    seq->u.seq.items[seq->u.seq.n++] = item;
    if (item && item->depth + 1 > seq->depth)
        seq->depth = item->depth + 1;
    return 0;
}

void pk_graph_free(pk_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_grow; i++) {
        pk_obj *o = g->growables[i];
        if (o->kind == PK_ARRAY && o->u.arr) {
            free(o->u.arr->owned);   /* objs are the list node's items */
        } else if (o->kind == PK_DTYPE && o->u.dt) {
            free(o->u.dt->fields);
        } else {
            free(o->u.seq.items);
        }
    }
    free(g->growables);
    for (size_t i = 0; i < g->n_owned; i++)
        free(g->owned[i]);
    free(g->owned);
    for (size_t i = 0; i < g->n_streams; i++)
        skc_stream_free(g->streams[i]);
    free(g->streams);
    pk_block *b = g->blocks;
    while (b) {
        pk_block *n = b->next;
        free(b);
        b = n;
    }
    free(g);
}

/* ---------------------------------------------------------------- */
/* Accessors                                                         */
/* ---------------------------------------------------------------- */

int pk_kind_of(const pk_obj *o)
{
    return o ? o->kind : 0;
}

const char *pk_kind_name(int kind)
{
    static const char *const names[] = {
        "?", "none", "bool", "int", "bigint", "float", "str", "bytes",
        "tuple", "list", "dict", "set", "global", "reduce", "instance",
        "array", "dtype", "scalar"
    };
    if (kind < 0 || (size_t)kind >= sizeof names / sizeof names[0])
        return "?";
    return names[kind];
}

int pk_bool(const pk_obj *o, int *v)
{
    if (!o)
        return SKC_E_INVAL;
    if (o->kind == PK_BOOL || o->kind == PK_INT) {
        *v = o->u.i != 0;
        return 0;
    }
    if (o->kind == PK_SCALAR) {
        int64_t i;
        if (pk_int(o, &i) == 0) {
            *v = i != 0;
            return 0;
        }
    }
    return SKC_E_INVAL;
}

int pk_text(const pk_obj *o, const char **s, size_t *n)
{
    if (!o || (o->kind != PK_STR && o->kind != PK_BYTES))
        return SKC_E_INVAL;
    if (o->kind == PK_BYTES && (o->flags & PK_F_VIEW))
        return SKC_E_INVAL;
    *s = (const char *)o->u.s.p;
    *n = o->u.s.n;
    return 0;
}

int pk_text_eq(const pk_obj *o, const char *lit)
{
    const char *s;
    size_t n;
    if (pk_text(o, &s, &n) < 0)
        return 0;
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

int pk_str(const pk_obj *o, const char **s, size_t *len)
{
    const char *p;
    size_t n;
    if (pk_text(o, &p, &n) < 0)
        return SKC_E_INVAL;
    *s = p;
    if (len)
        *len = n;
    return 0;
}

size_t pk_len(const pk_obj *o)
{
    if (!o)
        return 0;
    switch (o->kind) {
    case PK_TUPLE: case PK_LIST: case PK_SET:
        return o->u.seq.n;
    case PK_DICT:
        return o->u.seq.n / 2;
    case PK_ARRAY:
        return o->u.arr ? o->u.arr->count : 0;
    default:
        return 0;
    }
}

const pk_obj *pk_item(const pk_obj *o, size_t i)
{
    if (!o || (o->kind != PK_TUPLE && o->kind != PK_LIST && o->kind != PK_SET))
        return NULL;
    return i < o->u.seq.n ? o->u.seq.items[i] : NULL;
}

size_t pk_dict_len(const pk_obj *o)
{
    return o && o->kind == PK_DICT ? o->u.seq.n / 2 : 0;
}

const pk_obj *pk_dict_key(const pk_obj *o, size_t i)
{
    if (!o || o->kind != PK_DICT || i >= o->u.seq.n / 2)
        return NULL;
    return o->u.seq.items[2 * i];
}

const pk_obj *pk_dict_value(const pk_obj *o, size_t i)
{
    if (!o || o->kind != PK_DICT || i >= o->u.seq.n / 2)
        return NULL;
    return o->u.seq.items[2 * i + 1];
}

const pk_obj *pk_dict_get(const pk_obj *o, const char *key)
{
    if (!o || o->kind != PK_DICT)
        return NULL;
    /* Later SETITEMs of an equal key win, as in Python; the VM does not
     * deduplicate (that would cost a hash per insert), so scan backwards. */
    for (size_t i = o->u.seq.n / 2; i-- > 0;) {
        if (pk_text_eq(o->u.seq.items[2 * i], key))
            return o->u.seq.items[2 * i + 1];
    }
    return NULL;
}

int pk_global(const pk_obj *o, const char **module, const char **name)
{
    if (!o || o->kind != PK_GLOBAL)
        return SKC_E_INVAL;
    if (module)
        *module = o->u.g.module;
    if (name)
        *name = o->u.g.name;
    return 0;
}

const pk_obj *pk_instance_class(const pk_obj *o)
{
    if (!o || (o->kind != PK_INSTANCE && o->kind != PK_REDUCE))
        return NULL;
    return o->u.red.callable;
}

const pk_obj *pk_instance_state(const pk_obj *o)
{
    if (!o || (o->kind != PK_INSTANCE && o->kind != PK_REDUCE))
        return NULL;
    const pk_obj *st = o->u.red.state;
    if (st && st->kind == PK_TUPLE && st->u.seq.n == 2) {
        const pk_obj *d = st->u.seq.items[0];
        if (d && d->kind == PK_DICT)
            return d;
        if (d && d->kind == PK_NONE && st->u.seq.items[1] &&
            st->u.seq.items[1]->kind == PK_DICT)
            return st->u.seq.items[1];   /* (None, slotstate) */
    }
    return st;
}

const pk_obj *pk_instance_args(const pk_obj *o)
{
    if (!o || (o->kind != PK_INSTANCE && o->kind != PK_REDUCE))
        return NULL;
    return o->u.red.args;
}

const pk_obj *pk_attr(const pk_obj *o, const char *key)
{
    return pk_dict_get(pk_instance_state(o), key);
}

int pk_class_name(const pk_obj *o, const char **module, const char **name)
{
    return pk_global(pk_instance_class(o), module, name);
}

const pk_obj *pk_instance_items(const pk_obj *o)
{
    if (!o || (o->kind != PK_INSTANCE && o->kind != PK_REDUCE))
        return NULL;
    return o->u.red.items;
}

const char *pk_global_canonical(const pk_obj *o)
{
    return o && o->kind == PK_GLOBAL && o->u.g.category == PK_CAT_SAFE
           ? o->u.g.canonical : NULL;
}

const pk_obj *pk_reduce_callable(const pk_obj *o)
{
    return pk_instance_class(o);
}

const pk_obj *pk_reduce_args(const pk_obj *o)
{
    return pk_instance_args(o);
}

const pk_obj *pk_reduce_state(const pk_obj *o)
{
    if (!o || (o->kind != PK_INSTANCE && o->kind != PK_REDUCE))
        return NULL;
    return o->u.red.state;
}

const pk_obj *pk_graph_root(const pk_graph *g)
{
    return g ? g->root : NULL;
}

void pk_graph_info_get(const pk_graph *g, pk_graph_info *out)
{
    memset(out, 0, sizeof *out);
    if (!g)
        return;
    out->protocol = g->protocol;
    out->compression = g->compression;
    out->container = g->container;
    if (g->numpy_era & 2)
        out->numpy_era = "numpy2";
    else if (g->numpy_era & 1)
        out->numpy_era = "numpy1";
    else if (g->numpy_pre1)
        out->numpy_era = "numpy<1.x";
    else
        out->numpy_era = "unknown";
    out->n_objects = g->n_objects;
    out->input_bytes = g->input_bytes;
}
