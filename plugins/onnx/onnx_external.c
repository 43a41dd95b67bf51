/* SPDX-License-Identifier: MIT */
/* onnx_external.c: ONNX external data (onnx docs/ExternalData.md): large tensors moved to one side file beside the model, and the refusal of a model whose list attributes alone pass protobuf's 2 GiB. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_writer.h"

/* docs/ExternalData.md: offsets need not be aligned, but a page-aligned
 * tensor can be mapped in place (ONNX Runtime does). */
#define ONNX_EXT_ALIGN 4096u
/* Smaller tensors stay in the model, as onnx's
 * convert_model_to_external_data(size_threshold=1024) leaves them. */
#define ONNX_EXT_MIN 1024u
#define ONNX_EXT_CHUNK (64u * 1024u)
/* Attribute lists named in a refusal. */
#define ONNX_EXT_SHOW 4

/* Where a tensor's values are before they move: one field of TensorProto. */
enum { ONNX_EXT_RAW, ONNX_EXT_F32, ONNX_EXT_F64, ONNX_EXT_I64, ONNX_EXT_I32, ONNX_EXT_U64 };

typedef struct onnx_ext_item {
    Onnx__TensorProto *t;
    int kind;
    const void *data;
    size_t count;        /* values in the field (bytes for RAW) */
    size_t es;           /* bytes per value in the file         */
    uint64_t offset;
} onnx_ext_item;

typedef struct onnx_ext_plan {
    onnx_ext_item *v;
    size_t n, cap;
    uint64_t end;        /* the side file's size */
} onnx_ext_plan;

/* The limit protobuf puts on one message. SKCONV_ONNX_PROTO_LIMIT (bytes)
 * lowers it so the switch to external data can be tested with a small
 * model (README "Environment variables"). */
static size_t onnx_proto_limit(void)
{
    const char *e = getenv("SKCONV_ONNX_PROTO_LIMIT");
    char *end;
    unsigned long long v;

    if (e && *e) {
        v = strtoull(e, &end, 10);
        if (!*end && v > 0 && v < (unsigned long long)INT32_MAX)
            return (size_t)v;
    }
    return (size_t)INT32_MAX;
}

/* Bytes per value in raw_data for the element types whose values live in
 * a numeric field (onnx.proto TensorProto), 0 for the others. */
static size_t onnx_ext_elem_size(int elem)
{
    switch (elem) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:     return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:   return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:   return 8;
    default:                                      return 0;
    }
}

/* A tensor of at least ONNX_EXT_MIN bytes joins the plan; strings (which
 * raw_data cannot hold) and tensors already outside stay. */
static int onnx_ext_consider(onnx_ext_plan *p, Onnx__TensorProto *t)
{
    onnx_ext_item it;
    size_t es = onnx_ext_elem_size(t->data_type);

    if (!es || (t->has_data_location &&
                t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
        return 0;
    if (t->has_raw_data)
        it = (onnx_ext_item){ t, ONNX_EXT_RAW, t->raw_data.data, t->raw_data.len, 1, 0 };
    else if (t->n_float_data)
        it = (onnx_ext_item){ t, ONNX_EXT_F32, t->float_data, t->n_float_data, es, 0 };
    else if (t->n_double_data)
        it = (onnx_ext_item){ t, ONNX_EXT_F64, t->double_data, t->n_double_data, es, 0 };
    else if (t->n_int64_data)
        it = (onnx_ext_item){ t, ONNX_EXT_I64, t->int64_data, t->n_int64_data, es, 0 };
    else if (t->n_int32_data)
        it = (onnx_ext_item){ t, ONNX_EXT_I32, t->int32_data, t->n_int32_data, es, 0 };
    else if (t->n_uint64_data)
        it = (onnx_ext_item){ t, ONNX_EXT_U64, t->uint64_data, t->n_uint64_data, es, 0 };
    else
        return 0;
    if (it.count > (SIZE_MAX - ONNX_EXT_ALIGN) / it.es || it.count * it.es < ONNX_EXT_MIN)
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        onnx_ext_item *v = realloc(p->v, cap * sizeof(*v));
        if (!v)
            return SKC_E_NOMEM;
        p->v = v;
        p->cap = cap;
    }
    it.offset = (p->end + ONNX_EXT_ALIGN - 1) / ONNX_EXT_ALIGN * ONNX_EXT_ALIGN;
    p->end = it.offset + (uint64_t)it.count * it.es;
    p->v[p->n++] = it;
    return 0;
}

/* Initializers and tensor-valued attributes, subgraphs included. */
static int onnx_ext_walk(onnx_ext_plan *p, Onnx__GraphProto *g, int depth)
{
    size_t i, j, k;
    int rc;

    if (!g || depth > 64)
        return 0;
    for (i = 0; i < g->n_initializer; i++)
        if ((rc = onnx_ext_consider(p, g->initializer[i])) < 0)
            return rc;
    for (i = 0; i < g->n_node; i++)
        for (j = 0; j < g->node[i]->n_attribute; j++) {
            Onnx__AttributeProto *a = g->node[i]->attribute[j];
            if (a->t && (rc = onnx_ext_consider(p, a->t)) < 0)
                return rc;
            for (k = 0; k < a->n_tensors; k++)
                if ((rc = onnx_ext_consider(p, a->tensors[k])) < 0)
                    return rc;
            if ((rc = onnx_ext_walk(p, a->g, depth + 1)) < 0)
                return rc;
            for (k = 0; k < a->n_graphs; k++)
                if ((rc = onnx_ext_walk(p, a->graphs[k], depth + 1)) < 0)
                    return rc;
        }
    return 0;
}

static Onnx__StringStringEntryProto *onnx_ext_entry(onnx_arena *a, const char *key,
                                                    const char *value)
{
    Onnx__StringStringEntryProto *e = onnx_arena_alloc(a, 1, sizeof(*e));

    if (!e)
        return NULL;
    onnx__string_string_entry_proto__init(e);
    if (!(e->key = onnx_arena_strdup(a, key)) || !(e->value = onnx_arena_strdup(a, value)))
        return NULL;
    return e;
}

/* The tensor's values leave the message; location, offset and length say
 * where they are (their bytes are written by onnx_ext_write). */
static int onnx_ext_point(onnx_arena *a, const onnx_ext_item *it, const char *location)
{
    Onnx__TensorProto *t = it->t;
    Onnx__StringStringEntryProto **e = onnx_arena_alloc(a, 3, sizeof(*e));
    char off[24], len[24];

    if (!e)
        return SKC_E_NOMEM;
    snprintf(off, sizeof(off), "%" PRIu64, it->offset);
    snprintf(len, sizeof(len), "%" PRIu64, (uint64_t)it->count * it->es);
    if (!(e[0] = onnx_ext_entry(a, "location", location)) ||
        !(e[1] = onnx_ext_entry(a, "offset", off)) ||
        !(e[2] = onnx_ext_entry(a, "length", len)))
        return SKC_E_NOMEM;
    t->has_raw_data = 0;
    t->raw_data.data = NULL;
    t->raw_data.len = 0;
    t->n_float_data = t->n_double_data = t->n_int64_data = 0;
    t->n_int32_data = t->n_uint64_data = 0;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->n_external_data = 3;
    t->external_data = e;
    return 0;
}

typedef struct onnx_ext_sink {
    skc_stream *out;
    uint8_t *buf;
    size_t used;
    int status;
} onnx_ext_sink;

static void onnx_ext_flush(onnx_ext_sink *k)
{
    if (k->status == 0 && k->used)
        k->status = skc_stream_write(k->out, k->buf, k->used);
    k->used = 0;
}

/* One value, little-endian whatever the host (docs/IR.md: raw_data). */
static void onnx_ext_put(onnx_ext_sink *k, uint64_t v, size_t es)
{
    if (k->used + es > ONNX_EXT_CHUNK)
        onnx_ext_flush(k);
    for (size_t i = 0; i < es; i++)
        k->buf[k->used++] = (uint8_t)(v >> (8 * i));
}

static void onnx_ext_values(onnx_ext_sink *k, const onnx_ext_item *it)
{
    size_t i;

    switch (it->kind) {
    case ONNX_EXT_RAW:
        onnx_ext_flush(k);
        if (k->status == 0 && it->count)
            k->status = skc_stream_write(k->out, it->data, it->count);
        return;
    case ONNX_EXT_F32:
        for (i = 0; i < it->count; i++) {
            uint32_t u;
            memcpy(&u, (const float *)it->data + i, 4);
            onnx_ext_put(k, u, 4);
        }
        return;
    case ONNX_EXT_F64:
        for (i = 0; i < it->count; i++) {
            uint64_t u;
            memcpy(&u, (const double *)it->data + i, 8);
            onnx_ext_put(k, u, 8);
        }
        return;
    case ONNX_EXT_I64:
        for (i = 0; i < it->count; i++)
            onnx_ext_put(k, (uint64_t)((const int64_t *)it->data)[i], 8);
        return;
    case ONNX_EXT_I32:
        for (i = 0; i < it->count; i++)
            onnx_ext_put(k, (uint64_t)(uint32_t)((const int32_t *)it->data)[i], it->es);
        return;
    default:
        for (i = 0; i < it->count; i++)
            onnx_ext_put(k, ((const uint64_t *)it->data)[i], it->es);
        return;
    }
}

/* The side file: each tensor at its offset, zeros between. Streamed
 * through one small buffer: nothing the size of the model is copied. */
static int onnx_ext_write(onnx_builder *b, skc_stream *side, const char *name,
                          const onnx_ext_plan *p)
{
    onnx_ext_sink k = { .out = side };
    uint64_t pos = 0;

    if (!(k.buf = calloc(1, ONNX_EXT_CHUNK)))
        return SKC_E_NOMEM;
    for (size_t i = 0; i < p->n && k.status == 0; i++) {
        for (; pos < p->v[i].offset; pos++)
            onnx_ext_put(&k, 0, 1);
        onnx_ext_values(&k, &p->v[i]);
        pos = p->v[i].offset + (uint64_t)p->v[i].count * p->v[i].es;
    }
    onnx_ext_flush(&k);
    free(k.buf);
    if (k.status < 0)
        return onnx_error(b, k.status, "writing the external data file %s failed", name);
    return 0;
}

/* A list attribute (ints, floats, strings) must stay in the message. */
typedef struct onnx_ext_list {
    const Onnx__NodeProto *node;
    const char *attr;
    size_t bytes;
} onnx_ext_list;

static void onnx_ext_lists(const Onnx__GraphProto *g, onnx_ext_list *top, size_t *total,
                           int depth)
{
    size_t i, j, k, bytes;

    if (!g || depth > 64)
        return;
    for (i = 0; i < g->n_node; i++)
        for (j = 0; j < g->node[i]->n_attribute; j++) {
            const Onnx__AttributeProto *a = g->node[i]->attribute[j];
            onnx_ext_lists(a->g, top, total, depth + 1);
            for (k = 0; k < a->n_graphs; k++)
                onnx_ext_lists(a->graphs[k], top, total, depth + 1);
            /* The tree writer packs its lists itself (unknown fields):
             * the type says what the attribute is. */
            if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS &&
                a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS &&
                a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS &&
                !a->n_ints && !a->n_floats && !a->n_strings)
                continue;
            bytes = onnx__attribute_proto__get_packed_size(a);
            *total += bytes;
            for (k = 0; k < ONNX_EXT_SHOW; k++)
                if (!top[k].node || bytes > top[k].bytes) {
                    memmove(top + k + 1, top + k, (ONNX_EXT_SHOW - 1 - k) * sizeof(*top));
                    top[k] = (onnx_ext_list){ g->node[i], a->name ? a->name : "", bytes };
                    break;
                }
        }
}

static int onnx_ext_refuse(onnx_builder *b, const Onnx__ModelProto *mp, size_t size,
                           size_t limit)
{
    onnx_ext_list top[ONNX_EXT_SHOW + 1];
    size_t total = 0, k;
    char names[600] = "";
    size_t l = 0;

    memset(top, 0, sizeof(top));
    onnx_ext_lists(mp->graph, top, &total, 0);
    for (k = 0; k < ONNX_EXT_SHOW && top[k].node && l < sizeof(names) - 1; k++) {
        char size[32];
        if (top[k].bytes >= (1u << 20))
            snprintf(size, sizeof(size), "%.1f MiB", (double)top[k].bytes / (1u << 20));
        else
            snprintf(size, sizeof(size), "%zu bytes", top[k].bytes);
        l += (size_t)snprintf(names + l, sizeof(names) - l, "%s%.40s.%.40s %s", k ? ", " : "",
                              top[k].node->op_type ? top[k].node->op_type : "", top[k].attr,
                              size);
    }
    return skc_set_error(b->session, SKC_E_LIMIT,
        "the model needs %zu bytes in the .onnx file even with its tensors in external "
        "data, over the protobuf limit of %zu bytes (2 GiB): its list attributes take %zu "
        "bytes (largest: %s), and ONNX cannot store list attributes externally, only "
        "tensors; write .skm instead, which has no such limit", size, limit, total,
        names[0] ? names : "none");
}

int onnx_external_prepare(onnx_builder *b, Onnx__ModelProto *mp, size_t *size)
{
    size_t limit = onnx_proto_limit();
    onnx_ext_plan p = { 0 };
    skc_stream *side = NULL;
    const char *name = NULL;
    int rc = 0, forced = *size > limit;

    if (!b->external && !forced)
        return 0;
    if ((rc = onnx_ext_walk(&p, mp->graph, 0)) < 0)
        goto done;
    if (!p.n) {
        if (forced)
            rc = onnx_ext_refuse(b, mp, *size, limit);
        else
            skc_log(b->session, SKC_LOG_INFO, "external_data: no tensor of %u bytes or "
                    "more, nothing is stored outside the model", ONNX_EXT_MIN);
        goto done;
    }
    /* Nothing is written to the side file before the model is known to
     * fit; the host removes it with the output when the write fails. */
    if ((rc = skc_session_open_side(b->session, ".data", &side, &name)) < 0)
        goto done;
    for (size_t i = 0; i < p.n; i++)
        if ((rc = onnx_ext_point(b->arena, &p.v[i], name)) < 0)
            goto done;
    if ((*size = onnx__model_proto__get_packed_size(mp)) > limit) {
        rc = onnx_ext_refuse(b, mp, *size, limit);
        goto done;
    }
    if ((rc = onnx_ext_write(b, side, name, &p)) < 0)
        goto done;
    if (forced)
        skc_log(b->session, SKC_LOG_WARN, "the model passes protobuf's limit of %zu bytes "
                "(2 GiB): its %zu tensors of %u bytes or more (%" PRIu64 " bytes) are in %s "
                "(ONNX external data), which must stay beside it", limit, p.n, ONNX_EXT_MIN,
                p.end, name);
done:
    free(p.v);
    return rc;
}
