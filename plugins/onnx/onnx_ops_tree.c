/* SPDX-License-Identifier: MIT */
/* onnx_ops_tree.c: the IR `tree_ensemble`, `iforest_score` and `weighted_median` steps as ai.onnx.ml tree ensembles and standard ONNX ops (core/OPS.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_exact.h"

/*
 * How a tree_ensemble is written (every choice keeps sklearn's routing
 * exact; research/PEERS.md §2.2-2.3 and §5):
 *
 * | target                   | operator               | thresholds               | leaves                      |
 * |--------------------------|------------------------|--------------------------|-----------------------------|
 * | dtype=float32, ml ≤ 4    | TreeEnsembleRegressor  | float, rounded down (*)  | float weights, summed       |
 * | dtype=float64, ml ≤ 4    | TreeEnsembleRegressor  | float (*) / double (HGB) | leaf ordinals, then a       |
 * |                          |   (its Y is float)     |                          |   Gather of double values   |
 * | ml = 5, one value a leaf | TreeEnsemble           | in the I/O type (*)      | weights in the I/O type     |
 * | ml = 5, several a leaf   | TreeEnsemble           | in the I/O type (*)      | leaf ordinals + Gather      |
 *
 * (*) sklearn compares float32(x) <= t with t a double; for float32 x that
 * is x <= t' with t' the largest float32 not above t, so float thresholds
 * are rounded down, and in double the input goes through float32 first.
 * HistGradientBoosting compares x <= t in double (x_float32 = 0).
 * NaN goes where missing_left says (nodes_missing_value_tracks_true).
 * Categorical splits become extra input columns: a lookup table per
 * categorical feature gives 0 (left) or 1 (right) per category, so the
 * tree tests "z <= 0.5"; this is exact in every opset, with no subtree
 * copied. Learning rates are folded into the leaf values (scale * value,
 * as sklearn multiplies), base values and averaging are Add and Div.
 *
 * Large forests: the node lists are serialised here straight into packed
 * protobuf bytes (onnx.proto's repeated ints and floats are proto2
 * unpacked, which every parser must also accept packed), one list at a
 * time through one scratch buffer, so the writer holds about the size of
 * the output file.
 */

typedef struct te_step {
    int64_t n_trees, n_nodes, width, n_targets, n_cat;
    const int64_t *offsets;
    const int32_t *feature, *left, *right, *target, *cat_index;
    const double *threshold, *value, *base;
    const uint8_t *mleft;
    const uint32_t *cat_bitset;
    double scale;
    int agg;                 /* 0 sum, 1 average, 2 none */
    int x_float32;
    /* the plan */
    int te;                  /* element type the ensemble compares in   */
    int gather;              /* leaves give ordinals, values are Gathered */
    int v5;
    int64_t n_cols;          /* input columns (X plus categorical columns) */
    int64_t *zcol;           /* per node: categorical column, -1 */
    int64_t n_leaves, max_tree;
} te_step;

static const void *te_data(onnx_builder *b, const skc_step *st, const char *key, int dtype,
                           int ndim, int required, const skc_tensor **t, int *rc)
{
    *rc = 0;
    if (skc_step_get_tensor(st, key, t) != SKC_OK) {
        *t = NULL;
        if (required)
            *rc = onnx_error(b, SKC_E_FORMAT, "attribute '%s' is missing", key);
        return NULL;
    }
    if (skc_tensor_dtype(*t) != dtype || skc_tensor_ndim(*t) != ndim) {
        *rc = onnx_error(b, SKC_E_FORMAT, "attribute '%s' has the wrong type", key);
        return NULL;
    }
    return skc_tensor_data(*t);
}

/* The step as the core validated it (skc_model_validate ran the op's
 * structural check before the writer was called). */
static int te_read(onnx_builder *b, const skc_step *st, te_step *s)
{
    const skc_tensor *t;
    const char *agg = "sum";
    int64_t xf = 0;
    int rc;

    memset(s, 0, sizeof(*s));
    s->offsets = te_data(b, st, "tree_offsets", SKC_DT_I64, 1, 1, &t, &rc);
    if (rc)
        return rc;
    s->n_trees = skc_tensor_numel(t) - 1;
    s->feature = te_data(b, st, "feature", SKC_DT_I32, 1, 1, &t, &rc);
    if (rc)
        return rc;
    s->n_nodes = skc_tensor_numel(t);
    if (!(s->threshold = te_data(b, st, "threshold", SKC_DT_F64, 1, 1, &t, &rc)) ||
        !(s->left = te_data(b, st, "left", SKC_DT_I32, 1, 1, &t, &rc)) ||
        !(s->right = te_data(b, st, "right", SKC_DT_I32, 1, 1, &t, &rc)) ||
        !(s->mleft = te_data(b, st, "missing_left", SKC_DT_U8, 1, 1, &t, &rc)) ||
        !(s->value = te_data(b, st, "value", SKC_DT_F64, 2, 1, &t, &rc)))
        return rc;
    s->width = skc_tensor_shape(t)[1];
    s->target = te_data(b, st, "target", SKC_DT_I32, 1, 0, &t, &rc);
    if (rc)
        return rc;
    s->cat_index = te_data(b, st, "cat_index", SKC_DT_I32, 1, 0, &t, &rc);
    if (rc)
        return rc;
    s->cat_bitset = te_data(b, st, "cat_bitset", SKC_DT_U32, 2, 0, &t, &rc);
    if (rc)
        return rc;
    s->n_cat = t ? skc_tensor_shape(t)[0] : 0;
    s->base = te_data(b, st, "base", SKC_DT_F64, 1, 0, &t, &rc);
    if (rc)
        return rc;
    if (skc_step_get_int(st, "n_targets", &s->n_targets) != SKC_OK || s->n_targets < 1)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'n_targets' is missing");
    skc_step_get_string(st, "aggregate", &agg);
    s->agg = strcmp(agg, "average") == 0 ? 1 : strcmp(agg, "none") == 0 ? 2 : 0;
    skc_step_get_int(st, "x_float32", &xf);
    s->x_float32 = xf != 0;
    s->scale = 1.0;
    skc_step_get_float(st, "scale", &s->scale);
    if (s->n_trees < 1 || s->n_nodes < 1)
        return onnx_error(b, SKC_E_FORMAT, "an empty tree ensemble");
    return 0;
}

/* ---- packed attribute lists ---------------------------------------------- */

static size_t te_varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *te_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* A new attribute on @p n whose list payload is the protobuf bytes
 * @p data (after the field tag): kept as an unknown field, which
 * protobuf-c writes verbatim after the known ones. */
static int te_attr_raw(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                       Onnx__AttributeProto__AttributeType type, uint32_t field,
                       uint8_t *data, size_t len)
{
    Onnx__AttributeProto *at = onnx_arena_alloc(b->arena, 1, sizeof(*at));
    Onnx__AttributeProto **v = onnx_arena_alloc(b->arena, n->n_attribute + 1, sizeof(*v));
    ProtobufCMessageUnknownField *uf = onnx_arena_alloc(b->arena, 1, sizeof(*uf));

    if (!at || !v || !uf)
        return SKC_E_NOMEM;
    onnx__attribute_proto__init(at);
    if (!(at->name = onnx_arena_strdup(b->arena, key)))
        return SKC_E_NOMEM;
    at->has_type = 1;
    at->type = type;
    uf->tag = field;
    uf->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    uf->len = len;
    uf->data = data;
    at->base.n_unknown_fields = 1;
    at->base.unknown_fields = uf;
    if (n->n_attribute)
        memcpy(v, n->attribute, n->n_attribute * sizeof(*v));
    v[n->n_attribute++] = at;
    n->attribute = v;
    return 0;
}

/* AttributeProto.ints (field 8), packed. */
static int te_attr_ints(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                        const int64_t *v, size_t count)
{
    size_t body = 0, i;
    uint8_t *d, *p;

    for (i = 0; i < count; i++)
        body += te_varint_len((uint64_t)v[i]);
    if (!(d = onnx_arena_alloc(b->arena, body + 10, 1)))
        return SKC_E_NOMEM;
    p = te_varint(d, body);
    for (i = 0; i < count; i++)
        p = te_varint(p, (uint64_t)v[i]);
    return te_attr_raw(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, 8, d,
                       (size_t)(p - d));
}

/* AttributeProto.floats (field 7), packed little-endian fixed32. */
static int te_attr_floats(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                          const float *v, size_t count)
{
    size_t i;
    uint8_t *d, *p;

    if (!(d = onnx_arena_alloc(b->arena, count * 4 + 10, 1)))
        return SKC_E_NOMEM;
    p = te_varint(d, count * 4);
    for (i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        *p++ = (uint8_t)u;
        *p++ = (uint8_t)(u >> 8);
        *p++ = (uint8_t)(u >> 16);
        *p++ = (uint8_t)(u >> 24);
    }
    return te_attr_raw(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, 7, d,
                       (size_t)(p - d));
}

/* AttributeProto.strings (field 9): "BRANCH_LEQ" for splits, "LEAF" for
 * leaves; strings cannot be packed, so the bytes repeat the field tag. */
static int te_attr_modes(onnx_builder *b, Onnx__NodeProto *n, const te_step *s)
{
    static const char leq[] = "BRANCH_LEQ", leaf[] = "LEAF";
    size_t total = 0, i;
    uint8_t *d, *p;

    for (i = 0; i < (size_t)s->n_nodes; i++)
        total += 2 + (s->left[i] >= 0 ? sizeof(leq) - 1 : sizeof(leaf) - 1);
    if (!(d = onnx_arena_alloc(b->arena, total, 1)))
        return SKC_E_NOMEM;
    p = d;
    for (i = 0; i < (size_t)s->n_nodes; i++) {
        const char *m = s->left[i] >= 0 ? leq : leaf;
        size_t len = strlen(m);
        if (i)
            *p++ = (9 << 3) | 2;
        *p++ = (uint8_t)len;
        memcpy(p, m, len);
        p += len;
    }
    return te_attr_raw(b, n, key_modes_placeholder(), ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS,
                       9, d, (size_t)(p - d) - 0);
}
