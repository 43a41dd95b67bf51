/* SPDX-License-Identifier: MIT */
/* onnx_model.c: assembles the ModelProto (versions, opsets, provenance) and serialises it to the output stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skconv/version.h>

#include "onnx_wire.h"
#include "onnx_writer.h"

/* The IR version each release of onnx paired with its opsets
 * (research/PEERS.md §5, onnx docs/Versioning.md): stamping the lowest one
 * that covers the opsets keeps the file loadable by older runtimes. */
static int64_t onnx_ir_for_opset(int opset)
{
    if (opset <= 14) return 7;   /* onnx 1.8-1.9   */
    if (opset <= 18) return 8;   /* onnx 1.10-1.13 */
    if (opset <= 20) return 9;   /* onnx 1.14-1.15 */
    return 10;                   /* onnx 1.16-1.17 */
}

static int64_t onnx_ir_for_ml_opset(int ml_opset)
{
    if (ml_opset <= 2) return 7;
    if (ml_opset == 3) return 8;  /* onnx 1.11 */
    if (ml_opset == 4) return 9;  /* onnx 1.15 */
    return 10;                    /* onnx 1.16 */
}

static Onnx__OperatorSetIdProto *onnx_opset_id(onnx_arena *a,
                                               const char *domain,
                                               int64_t version)
{
    Onnx__OperatorSetIdProto *o = onnx_arena_alloc(a, 1, sizeof(*o));
    if (!o)
        return NULL;
    onnx__operator_set_id_proto__init(o);
    /* The default domain is the empty string, written out explicitly. */
    if (!(o->domain = onnx_arena_strdup(a, domain)))
        return NULL;
    o->has_version = 1;
    o->version = version;
    return o;
}

static int onnx_metadata(onnx_builder *b, const skc_model *m,
                         Onnx__ModelProto *mp)
{
    int count = skc_model_meta_count(m);
    if (count <= 0)
        return 0;
    Onnx__StringStringEntryProto **v =
        onnx_arena_alloc(b->arena, (size_t)count, sizeof(*v));
    if (!v)
        return SKC_E_NOMEM;
    size_t n = 0;
    for (int i = 0; i < count; i++) {
        const char *key, *value;
        if (skc_model_meta_at(m, i, &key, &value) < 0 || !key)
            continue;
        Onnx__StringStringEntryProto *e = onnx_arena_alloc(b->arena, 1, sizeof(*e));
        if (!e)
            return SKC_E_NOMEM;
        onnx__string_string_entry_proto__init(e);
        if (!(e->key = onnx_arena_strdup(b->arena, key)) ||
            !(e->value = onnx_arena_strdup(b->arena, value ? value : "")))
            return SKC_E_NOMEM;
        v[n++] = e;
    }
    mp->n_metadata_props = n;
    mp->metadata_props = v;
    return 0;
}

/* Typed copies of the builder's pointer arrays: protobuf-c reads them as
 * arrays of message pointers, which an array of void * is not in C. */
#define ONNX_TYPED_COPY(a, vec, type, dst)                              \
    do {                                                                \
        type **d_ = onnx_arena_alloc((a), (vec).n, sizeof(*d_));       \
        if (!d_)                                                        \
            return SKC_E_NOMEM;                                         \
        for (size_t i_ = 0; i_ < (vec).n; i_++)                         \
            d_[i_] = (vec).v[i_];                                       \
        (dst) = d_;                                                     \
    } while (0)

int onnx_model_assemble(onnx_builder *b, const skc_model *m,
                        Onnx__ModelProto **out)
{
    onnx_arena *a = b->arena;
    int rc;
    Onnx__ModelProto *mp = onnx_arena_alloc(a, 1, sizeof(*mp));
    Onnx__GraphProto *g = onnx_arena_alloc(a, 1, sizeof(*g));
    Onnx__OperatorSetIdProto **ops = onnx_arena_alloc(a, 3, sizeof(*ops));
    if (!mp || !g || !ops)
        return SKC_E_NOMEM;
    onnx__model_proto__init(mp);
    onnx__graph_proto__init(g);

    int64_t ir = onnx_ir_for_opset(b->opset);
    if (!(ops[0] = onnx_opset_id(a, "", b->opset)))
        return SKC_E_NOMEM;
    mp->n_opset_import = 1;
    /* ai.onnx.ml is imported only when a node uses it, as skl2onnx does:
     * a runtime without the ML ops can then still load the file. */
    if (b->used_ml) {
        if (!(ops[1] = onnx_opset_id(a, ONNX_DOMAIN_ML, b->ml_opset)))
            return SKC_E_NOMEM;
        mp->n_opset_import = 2;
        if (onnx_ir_for_ml_opset(b->ml_opset) > ir)
            ir = onnx_ir_for_ml_opset(b->ml_opset);
    }
    /* ONNX Runtime's contrib domain (text Tokenizer), likewise only when used. */
    if (b->used_ms) {
        if (!(ops[mp->n_opset_import] = onnx_opset_id(a, ONNX_DOMAIN_MS, 1)))
            return SKC_E_NOMEM;
        mp->n_opset_import++;
    }
    mp->opset_import = ops;
    mp->has_ir_version = 1;
    mp->ir_version = ir;
    mp->producer_name = "skconv";
    mp->producer_version = SKC_VERSION_STRING;
    if ((rc = onnx_metadata(b, m, mp)) < 0)
        return rc;

    g->name = "skconv";  /* onnx.checker wants a non-empty graph name */
    ONNX_TYPED_COPY(a, b->nodes, Onnx__NodeProto, g->node);
    ONNX_TYPED_COPY(a, b->initializers, Onnx__TensorProto, g->initializer);
    ONNX_TYPED_COPY(a, b->inputs, Onnx__ValueInfoProto, g->input);
    ONNX_TYPED_COPY(a, b->outputs, Onnx__ValueInfoProto, g->output);
    g->n_node = b->nodes.n;
    g->n_initializer = b->initializers.n;
    g->n_input = b->inputs.n;
    g->n_output = b->outputs.n;
    mp->graph = g;
    *out = mp;
    return 0;
}

/* A protobuf message over 2 GiB cannot be parsed by any reader; such
 * models keep their large tensors in external data (onnx_external.c). */
int onnx_model_pack(onnx_builder *b, Onnx__ModelProto *mp, skc_stream *out)
{
    size_t size = onnx__model_proto__get_packed_size(mp);
    void *room;
    int rc;

    if ((rc = onnx_external_prepare(b, mp, &size)) < 0)
        return rc;
    /* The file's own pages (skc_stream_reserve): the model is packed into
     * them, and the large lists are filled there, never copied. */
    if ((rc = skc_stream_reserve(out, size, &room)) < 0)
        return onnx_error(b, rc, "cannot make room for the %zu-byte model%s", size,
                          rc == SKC_E_IO ? " (is the disk full?)" : "");
    rc = onnx_fill_pack(b, mp, room, size);
    if (skc_stream_commit_room(out) < 0 && rc == 0)
        rc = onnx_error(b, SKC_E_IO, "writing the model failed");
    return rc;
}

/* ModelProto.metadata_props is field 14 of the top-level message, and a
 * protobuf parser adds the entries of a repeated field in the order they
 * come, wherever they come: one more entry appended to the file is the
 * same model with that entry last. */
int onnx_append_meta(skc_session *s, skc_stream *out, const char *key, const char *value)
{
    Onnx__StringStringEntryProto e = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    uint8_t head[11], *body, *q = head;
    size_t len;
    int rc;

    e.key = (char *)(uintptr_t)key;
    e.value = (char *)(uintptr_t)value;
    len = onnx__string_string_entry_proto__get_packed_size(&e);
    if (!(body = malloc(len ? len : 1)))
        return SKC_E_NOMEM;
    onnx__string_string_entry_proto__pack(&e, body);
    *q++ = (14 << 3) | 2;
    q = onnx_put_varint(q, len);
    rc = skc_stream_write(out, head, (size_t)(q - head));
    if (rc == SKC_OK)
        rc = skc_stream_write(out, body, len);
    free(body);
    if (rc)
        return skc_set_error(s, rc, "ONNX: cannot append metadata '%s'", key);
    return SKC_OK;
}
