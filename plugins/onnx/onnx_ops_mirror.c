/* SPDX-License-Identifier: MIT */
/* onnx_ops_mirror.c: writes the "onnx.*"/"onnxml.*" mirror ops back as the ONNX nodes they came from (ONNX -> IR -> ONNX). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_writer.h"

/*
 * A mirror step holds one ONNX node: its op, inputs, outputs and
 * attributes (core/OPS.md "ONNX mirror operations"). Writing it back
 * copies the node, with three adjustments: constants become initializers,
 * forms that moved from attributes to inputs across opsets follow the
 * target opset, and ZipMap (lifted as its probability tensor) is written
 * as Identity so the output keeps the tensor type the IR gives it.
 */

#define MIRROR_ML "onnxml."
#define MIRROR_ONNX "onnx."
#define MIRROR_MS "onnxms."  /* com.microsoft */

int onnx_mirror_known(const char *op)
{
    return op && (strncmp(op, MIRROR_ONNX, 5) == 0 || strncmp(op, MIRROR_ML, 7) == 0 ||
                  strncmp(op, MIRROR_MS, 7) == 0) &&
           skc_op_known(op);
}

static int mirror_elem_of(int dtype)
{
    switch (dtype) {
    case SKC_DT_F32:    return ONNX_ELEM_FLOAT;
    case SKC_DT_F64:    return ONNX_ELEM_DOUBLE;
    case SKC_DT_I64:    return ONNX_ELEM_INT64;
    case SKC_DT_I32:    return ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    case SKC_DT_U8:     return ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
    case SKC_DT_U32:    return ONNX__TENSOR_PROTO__DATA_TYPE__UINT32;
    case SKC_DT_BOOL:   return ONNX_ELEM_BOOL;
    case SKC_DT_STRING: return ONNX_ELEM_STRING;
    default:            return ONNX_ELEM_UNKNOWN;
    }
}

/* ---- tensors and attributes ---------------------------------------------- */

/* @p t as a TensorProto in its own element type (arena-owned). */
static int mirror_tensor(onnx_builder *b, const skc_tensor *t, const char *name,
                         Onnx__TensorProto **out)
{
    onnx_arena *a = b->arena;
    Onnx__TensorProto *tp = onnx_arena_alloc(a, 1, sizeof(*tp));
    int nd = skc_tensor_ndim(t), dt = skc_tensor_dtype(t), i;
    size_t n = (size_t)skc_tensor_numel(t), k;
    int64_t *dims = onnx_arena_alloc(a, (size_t)nd, sizeof(*dims));

    if (!tp || !dims)
        return SKC_E_NOMEM;
    onnx__tensor_proto__init(tp);
    for (i = 0; i < nd; i++)
        dims[i] = skc_tensor_shape(t)[i];
    tp->n_dims = (size_t)nd;
    tp->dims = dims;
    tp->has_data_type = 1;
    tp->data_type = mirror_elem_of(dt);
    if (name && !(tp->name = onnx_arena_strdup(a, name)))
        return SKC_E_NOMEM;
    switch (dt) {
    case SKC_DT_F32:
        if (!(tp->float_data = onnx_arena_memdup(a, skc_tensor_data(t), n, sizeof(float))) && n)
            return SKC_E_NOMEM;
        tp->n_float_data = n;
        break;
    case SKC_DT_F64:
        if (!(tp->double_data = onnx_arena_memdup(a, skc_tensor_data(t), n, sizeof(double))) && n)
            return SKC_E_NOMEM;
        tp->n_double_data = n;
        break;
    case SKC_DT_I64:
        if (!(tp->int64_data = onnx_arena_memdup(a, skc_tensor_data(t), n, sizeof(int64_t))) && n)
            return SKC_E_NOMEM;
        tp->n_int64_data = n;
        break;
    case SKC_DT_U32: {
        uint64_t *d = onnx_arena_alloc(a, n, sizeof(*d));
        if (!d && n)
            return SKC_E_NOMEM;
        for (k = 0; k < n; k++)
            d[k] = ((const uint32_t *)skc_tensor_data(t))[k];
        tp->uint64_data = d;
        tp->n_uint64_data = n;
        break;
    }
    case SKC_DT_I32: case SKC_DT_U8: case SKC_DT_BOOL: {
        /* onnx.proto: int32, uint8 and bool travel in int32_data. */
        int32_t *d = onnx_arena_alloc(a, n, sizeof(*d));
        if (!d && n)
            return SKC_E_NOMEM;
        for (k = 0; k < n; k++)
            d[k] = (int32_t)skc_tensor_get_f64(t, (int64_t)k);
        tp->int32_data = d;
        tp->n_int32_data = n;
        break;
    }
    case SKC_DT_STRING: {
        ProtobufCBinaryData *sv = onnx_arena_alloc(a, n, sizeof(*sv));
        if (!sv && n)
            return SKC_E_NOMEM;
        for (k = 0; k < n; k++) {
            size_t len = 0;
            const char *s = skc_tensor_string(t, (int64_t)k, &len);
            if (!(sv[k].data = onnx_arena_memdup(a, s, len + 1, 1)))
                return SKC_E_NOMEM;
            sv[k].len = len;
        }
        tp->string_data = sv;
        tp->n_string_data = n;
        break;
    }
    default:
        return onnx_error(b, SKC_E_UNSUPPORTED, "tensor of type %s", skc_dtype_name(dt));
    }
    *out = tp;
    return 0;
}

/* Attributes ONNX types as TENSOR (the others: FLOATS, INTS, STRINGS by
 * the IR tensor's element type). */
static int mirror_is_tensor_attr(const char *op, const char *key, int dtype)
{
    size_t n = strlen(key);

    if (strcmp(key, "value") == 0 || (n > 7 && strcmp(key + n - 7, "_tensor") == 0))
        return 1;
    if (strcmp(op, "onnxml.TreeEnsemble") == 0)
        return strcmp(key, "nodes_splits") == 0 || strcmp(key, "nodes_hitrates") == 0 ||
               strcmp(key, "leaf_weights") == 0 || strcmp(key, "membership_values") == 0 ||
               strcmp(key, "nodes_modes") == 0;
    return dtype != SKC_DT_F64 && dtype != SKC_DT_I64 && dtype != SKC_DT_STRING;
}

static int mirror_list_attr(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                            const skc_tensor *t)
{
    Onnx__AttributeProto *at;
    size_t i, cnt = (size_t)skc_tensor_numel(t);
    int dt = skc_tensor_dtype(t), rc;

    if (dt == SKC_DT_F64) {
        float *v = onnx_arena_alloc(b->arena, cnt, sizeof(*v));
        if ((!v && cnt) ||
            (rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, &at)) < 0)
            return v || !cnt ? rc : SKC_E_NOMEM;
        for (i = 0; i < cnt; i++)
            v[i] = (float)skc_tensor_get_f64(t, (int64_t)i);
        at->floats = v;
        at->n_floats = cnt;
    } else if (dt == SKC_DT_I64) {
        int64_t *v = onnx_arena_memdup(b->arena, skc_tensor_data(t), cnt, sizeof(*v));
        if ((!v && cnt) ||
            (rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, &at)) < 0)
            return v || !cnt ? rc : SKC_E_NOMEM;
        at->ints = v;
        at->n_ints = cnt;
    } else {
        ProtobufCBinaryData *v = onnx_arena_alloc(b->arena, cnt, sizeof(*v));
        if ((!v && cnt) ||
            (rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS, &at)) < 0)
            return v || !cnt ? rc : SKC_E_NOMEM;
        for (i = 0; i < cnt; i++) {
            size_t len = 0;
            const char *s = skc_tensor_string(t, (int64_t)i, &len);
            if (!(v[i].data = onnx_arena_memdup(b->arena, s, len + 1, 1)))
                return SKC_E_NOMEM;
            v[i].len = len;
        }
        at->strings = v;
        at->n_strings = cnt;
    }
    return 0;
}

/* Copy the step's attributes except the reader's bookkeeping (keys with a
 * '.', "opset") and the @p nskip in @p skip (NULL entries ignored). */
static int mirror_attrs(onnx_builder *b, const skc_step *st, Onnx__NodeProto *n,
                        const char *const *skip, int nskip)
{
    const char *op = skc_step_op(st);
    int i, kind, rc = 0;

    for (i = 0; i < skc_step_attr_count(st) && rc == 0; i++) {
        const char *key;
        Onnx__AttributeProto *at;
        int skipped = 0, j;
        if (skc_step_attr_at(st, i, &key, &kind) < 0)
            return SKC_E_INTERNAL;
        for (j = 0; j < nskip && !skipped; j++)
            skipped = skip[j] && strcmp(skip[j], key) == 0;
        if (skipped || strchr(key, '.') || strcmp(key, "opset") == 0)
            continue;
        if (kind == SKC_ATTR_INT) {
            int64_t v = 0;
            skc_step_get_int(st, key, &v);
            rc = onnx_attr_int(b, n, key, v);
        } else if (kind == SKC_ATTR_FLOAT) {
            double v = 0;
            skc_step_get_float(st, key, &v);
            if ((rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, &at)) == 0) {
                at->has_f = 1;
                at->f = (float)v;
            }
        } else if (kind == SKC_ATTR_STRING) {
            const char *v = "";
            skc_step_get_string(st, key, &v);
            if ((rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, &at)) == 0) {
                at->has_s = 1;
                at->s.len = strlen(v);
                if (!(at->s.data = onnx_arena_memdup(b->arena, v, at->s.len + 1, 1)))
                    rc = SKC_E_NOMEM;
            }
        } else {
            const skc_tensor *t = NULL;
            skc_step_get_tensor(st, key, &t);
            if (!t)
                return SKC_E_INTERNAL;
            if (mirror_is_tensor_attr(op, key, skc_tensor_dtype(t)) || skc_tensor_ndim(t) != 1) {
                Onnx__TensorProto *tp;
                if ((rc = mirror_tensor(b, t, NULL, &tp)) == 0 &&
                    (rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, &at)) == 0)
                    at->t = tp;
            } else {
                rc = mirror_list_attr(b, n, key, t);
            }
        }
    }
    return rc;
}

/* ---- element types of a mirror step's outputs ------------------------------- */

static int mirror_labels_elem(const skc_step *st, const char *strings_key)
{
    const skc_tensor *t;

    return skc_step_get_tensor(st, strings_key, &t) == SKC_OK && skc_tensor_numel(t) > 0 ?
           ONNX_ELEM_STRING : ONNX_ELEM_INT64;
}

/* ONNX's type rules for output @p k of the node, from its input types. */
static int mirror_out_elem(const skc_step *st, const char *type, int ml, const int *in, int n_in,
                           int k)
{
    const skc_tensor *t;
    int64_t to;
    int in0 = n_in > 0 ? in[0] : ONNX_ELEM_UNKNOWN;

    if (!ml) {
        if (!strcmp(type, "Cast"))
            return skc_step_get_int(st, "to", &to) == SKC_OK ? (int)to : ONNX_ELEM_UNKNOWN;
        if (!strcmp(type, "CastLike"))
            return n_in > 1 ? in[1] : ONNX_ELEM_UNKNOWN;
        if (!strcmp(type, "Shape") || !strcmp(type, "Size") || !strcmp(type, "ArgMax") ||
            !strcmp(type, "ArgMin") || (!strcmp(type, "TopK") && k == 1))
            return ONNX_ELEM_INT64;
        if (!strcmp(type, "Equal") || !strcmp(type, "Greater") || !strcmp(type, "Less") ||
            !strcmp(type, "GreaterOrEqual") || !strcmp(type, "LessOrEqual") || !strcmp(type, "And") ||
            !strcmp(type, "Or") || !strcmp(type, "Xor") || !strcmp(type, "Not") ||
            !strcmp(type, "IsNaN") || !strcmp(type, "IsInf"))
            return ONNX_ELEM_BOOL;
        if (!strcmp(type, "Where"))
            return n_in > 1 ? in[1] : ONNX_ELEM_UNKNOWN;
        if (!strcmp(type, "TfIdfVectorizer"))
            return ONNX_ELEM_FLOAT;
        if (!strcmp(type, "OneHot"))
            return n_in > 2 ? in[2] : ONNX_ELEM_UNKNOWN;
        if (!strcmp(type, "ConstantOfShape"))
            return skc_step_get_tensor(st, "value", &t) == SKC_OK ?
                   mirror_elem_of(skc_tensor_dtype(t)) : ONNX_ELEM_FLOAT;
        return in0;
    }
    if (!strcmp(type, "LinearClassifier") || !strcmp(type, "SVMClassifier"))
        return k == 0 ? mirror_labels_elem(st, "classlabels_strings") : ONNX_ELEM_FLOAT;
    if (!strcmp(type, "TreeEnsembleClassifier"))
        return k == 0 ? mirror_labels_elem(st, "classlabels_strings") : ONNX_ELEM_FLOAT;
    if (!strcmp(type, "TreeEnsemble") || !strcmp(type, "Binarizer") || !strcmp(type, "Imputer") ||
        !strcmp(type, "ArrayFeatureExtractor"))
        return in0;
    if (!strcmp(type, "LabelEncoder")) {
        if (skc_step_get_tensor(st, "classes_strings", &t) == SKC_OK)
            return in0 == ONNX_ELEM_STRING ? ONNX_ELEM_INT64 : ONNX_ELEM_STRING;
        if (skc_step_get_tensor(st, "values_tensor", &t) == SKC_OK)
            return mirror_elem_of(skc_tensor_dtype(t));
        if (skc_step_get_tensor(st, "values_strings", &t) == SKC_OK)
            return ONNX_ELEM_STRING;
        if (skc_step_get_tensor(st, "values_int64s", &t) == SKC_OK)
            return ONNX_ELEM_INT64;
        return ONNX_ELEM_FLOAT;
    }
    if (!strcmp(type, "CategoryMapper"))
        return in0 == ONNX_ELEM_STRING ? ONNX_ELEM_INT64 : ONNX_ELEM_STRING;
    return ONNX_ELEM_FLOAT;
}

/* ---- opset forms ------------------------------------------------------------ */

/* The value of the onnx.Constant step that produces @p ir_name, if any. */
static const skc_tensor *mirror_constant(onnx_builder *b, const char *ir_name)
{
    const skc_tensor *t;
    int i;

    for (i = 0; b->model && i < skc_model_step_count(b->model); i++) {
        const skc_step *s = skc_model_step(b->model, i);
        if (strcmp(skc_step_op(s), "onnx.Constant") == 0 && skc_step_output_count(s) == 1 &&
            strcmp(skc_step_output(s, 0), ir_name) == 0)
            return skc_step_get_tensor(s, "value", &t) == SKC_OK ? t : NULL;
    }
    return NULL;
}

/* An int64 list attribute as a new initializer input. */
static int mirror_ints_input(onnx_builder *b, const skc_step *st, const char *key, const char **name)
{
    const skc_tensor *t;
    int64_t n;

    if (skc_step_get_tensor(st, key, &t) != SKC_OK || skc_tensor_dtype(t) != SKC_DT_I64)
        return onnx_error(b, SKC_E_FORMAT, "attribute '%s' is not an int list", key);
    n = skc_tensor_numel(t);
    return onnx_const_i64(b, key, skc_tensor_data(t), 1, &n, name);
}

/* A scalar of ONNX type @p elem (float or double) for Clip's bounds. */
static int mirror_scalar(onnx_builder *b, const char *hint, double v, int elem, const char **name)
{
    skc_tensor *t;
    Onnx__TensorProto *tp;
    int rc = skc_tensor_new(elem == ONNX_ELEM_DOUBLE ? SKC_DT_F64 : SKC_DT_F32, 0, NULL, &t);

    if (rc)
        return rc;
    if (elem == ONNX_ELEM_DOUBLE)
        *(double *)skc_tensor_data_mut(t) = v;
    else
        *(float *)skc_tensor_data_mut(t) = (float)v;
    if ((rc = onnx_name_fresh(b, hint, name)) == 0 &&
        (rc = mirror_tensor(b, t, *name, &tp)) == 0)
        rc = onnx_vec_push(&b->initializers, tp);
    skc_tensor_free(t);
    return rc;
}

/* ---- subgraphs ---------------------------------------------------------------- */

static int mirror_emit_step(onnx_builder *b, const skc_step *st, int depth);

/* Subgraph @p key of @p st (the reader's encoding, core/OPS.md
 * "Subgraphs") as a GraphProto; @p formal_elem gives its inputs' types;
 * the types of its outputs come back in @p out_elem. */
static int mirror_subgraph(onnx_builder *b, const skc_step *st, const char *key,
                           const int *formal_elem, int n_formal, int *out_elem, int n_out,
                           int depth, Onnx__GraphProto **out)
{
    onnx_vec saved_nodes = b->nodes, saved_in = b->inputs, saved_out = b->outputs;
    const skc_tensor *formal, *outputs;
    skc_model *tmp = NULL;
    char k[512], pre[512];
    int64_t n = -1, i, j;
    int rc = 0, a, kind;
    Onnx__GraphProto *g;

    memset(&b->nodes, 0, sizeof(b->nodes));
    memset(&b->inputs, 0, sizeof(b->inputs));
    memset(&b->outputs, 0, sizeof(b->outputs));
    snprintf(k, sizeof(k), "%s.n", key);
    skc_step_get_int(st, k, &n);
    snprintf(k, sizeof(k), "%s.outputs", key);
    if (depth > 16 || n < 0 || skc_step_get_tensor(st, key, &formal) != SKC_OK ||
        skc_step_get_tensor(st, k, &outputs) != SKC_OK ||
        skc_tensor_numel(formal) != n_formal || skc_tensor_numel(outputs) != n_out) {
        rc = onnx_error(b, SKC_E_FORMAT, "subgraph '%s' is incomplete", key);
        goto done;
    }
    for (i = 0; i < n_formal && rc == 0; i++) {
        const char *name;
        /* Loop's iteration count and condition are scalars, and ONNX
         * Runtime wants that said; other shapes are left open. */
        int nd = strcmp(skc_step_op(st), "onnx.Loop") == 0 && i < 2 ? 0 : -1;
        if ((rc = onnx_name_define(b, skc_tensor_string(formal, i, NULL), formal_elem[i], &name)) == 0)
            rc = onnx_graph_input(b, name, formal_elem[i], nd, NULL);
    }
    if (rc == 0)
        rc = skc_model_new(&tmp);
    for (i = 0; i < n && rc == 0; i++) {
        const char *op;
        const skc_tensor *tin, *tout;
        skc_step *s2;
        size_t plen;
        snprintf(k, sizeof(k), "%s.%lld.op", key, (long long)i);
        if (skc_step_get_string(st, k, &op) != SKC_OK) {
            rc = onnx_error(b, SKC_E_FORMAT, "subgraph '%s' node %lld is incomplete", key, (long long)i);
            break;
        }
        snprintf(k, sizeof(k), "%s.%lld.in", key, (long long)i);
        if (skc_step_get_tensor(st, k, &tin) != SKC_OK) {
            rc = onnx_error(b, SKC_E_FORMAT, "subgraph '%s' node %lld is incomplete", key, (long long)i);
            break;
        }
        snprintf(k, sizeof(k), "%s.%lld.out", key, (long long)i);
        if (skc_step_get_tensor(st, k, &tout) != SKC_OK ||
            (rc = skc_model_add_step(tmp, op, &s2)) != SKC_OK) {
            rc = rc ? rc : onnx_error(b, SKC_E_FORMAT, "subgraph '%s' node %lld is incomplete", key,
                                      (long long)i);
            break;
        }
        for (j = 0; j < skc_tensor_numel(tin) && rc == 0; j++)
            rc = skc_step_add_input(s2, skc_tensor_string(tin, j, NULL));
        for (j = 0; j < skc_tensor_numel(tout) && rc == 0; j++)
            rc = skc_step_add_output(s2, skc_tensor_string(tout, j, NULL));
        plen = (size_t)snprintf(pre, sizeof(pre), "%s.%lld.a.", key, (long long)i);
        for (a = 0; a < skc_step_attr_count(st) && rc == 0; a++) {
            const char *ak, *sub;
            if (skc_step_attr_at(st, a, &ak, &kind) < 0 || strncmp(ak, pre, plen) != 0 || !ak[plen])
                continue;
            sub = ak + plen;
            if (kind == SKC_ATTR_INT) {
                int64_t v;
                skc_step_get_int(st, ak, &v);
                rc = skc_step_set_int(s2, sub, v);
            } else if (kind == SKC_ATTR_FLOAT) {
                double v;
                skc_step_get_float(st, ak, &v);
                rc = skc_step_set_float(s2, sub, v);
            } else if (kind == SKC_ATTR_STRING) {
                const char *v;
                skc_step_get_string(st, ak, &v);
                rc = skc_step_set_string(s2, sub, v);
            } else {
                const skc_tensor *v;
                skc_step_get_tensor(st, ak, &v);
                rc = skc_step_set_tensor(s2, sub, (skc_tensor *)(uintptr_t)v);
            }
        }
        if (rc == 0)
            rc = mirror_emit_step(b, s2, depth + 1);
    }
    for (i = 0; i < n_out && rc == 0; i++) {
        const char *name;
        if ((rc = onnx_name_lookup(b, skc_tensor_string(outputs, i, NULL), &name, &out_elem[i])) == 0) {
            /* A graph output is a value the subgraph itself defines. */
            const char *own;
            if ((rc = onnx_name_fresh(b, "out", &own)) == 0 &&
                (rc = onnx_node(b, "Identity", NULL, &name, 1, &own, 1, NULL)) == 0)
                rc = onnx_graph_output(b, own, out_elem[i], -1, NULL);
        }
    }
    if (rc == 0) {
        g = onnx_arena_alloc(b->arena, 1, sizeof(*g));
        Onnx__NodeProto **nv = onnx_arena_alloc(b->arena, b->nodes.n, sizeof(*nv));
        Onnx__ValueInfoProto **iv = onnx_arena_alloc(b->arena, b->inputs.n, sizeof(*iv));
        Onnx__ValueInfoProto **ov = onnx_arena_alloc(b->arena, b->outputs.n, sizeof(*ov));
        if (!g || (!nv && b->nodes.n) || (!iv && b->inputs.n) || (!ov && b->outputs.n)) {
            rc = SKC_E_NOMEM;
        } else {
            onnx__graph_proto__init(g);
            for (i = 0; i < (int64_t)b->nodes.n; i++)
                nv[i] = b->nodes.v[i];
            for (i = 0; i < (int64_t)b->inputs.n; i++)
                iv[i] = b->inputs.v[i];
            for (i = 0; i < (int64_t)b->outputs.n; i++)
                ov[i] = b->outputs.v[i];
            g->name = onnx_arena_strdup(b->arena, key);
            g->node = nv;
            g->n_node = b->nodes.n;
            g->input = iv;
            g->n_input = b->inputs.n;
            g->output = ov;
            g->n_output = b->outputs.n;
            *out = g;
        }
    }
done:
    skc_model_free(tmp);
    free(b->nodes.v);
    free(b->inputs.v);
    free(b->outputs.v);
    b->nodes = saved_nodes;
    b->inputs = saved_in;
    b->outputs = saved_out;
    return rc;
}

static int mirror_graph_attr(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                             Onnx__GraphProto *g)
{
    Onnx__AttributeProto *at;
    int rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH, &at);

    if (rc == 0)
        at->g = g;
    return rc;
}

/* ---- one step ------------------------------------------------------------------ */

#define MIRROR_MAX_IO 4096

static int mirror_emit_step(onnx_builder *b, const skc_step *st, int depth)
{
    const char *op = skc_step_op(st), *type, *domain = NULL;
    const char *in[MIRROR_MAX_IO], *outs[64], *extra[4] = { NULL, NULL, NULL, NULL };
    int in_elem[MIRROR_MAX_IO], out_elem[64], ml, n_in, n_out, i, rc, n_extra = 0;
    const char *skip[8] = { NULL };
    const skc_tensor *caps = NULL, *t, *axes_attr = NULL;
    Onnx__GraphProto *graphs[2] = { NULL, NULL };
    const char *graph_keys[2] = { NULL, NULL };
    Onnx__NodeProto *node;
    int64_t opset = 13;

    ml = strncmp(op, MIRROR_ML, 7) == 0;
    type = op + (ml || strncmp(op, MIRROR_MS, 7) == 0 ? 7 : 5);
    if (ml)
        domain = ONNX_DOMAIN_ML;
    else if (type == op + 7)
        domain = ONNX_DOMAIN_MS;
    n_out = skc_step_output_count(st);
    if (n_out > 64 || skc_step_input_count(st) > MIRROR_MAX_IO)
        return onnx_error(b, SKC_E_LIMIT, "too many inputs or outputs");
    /* Constants become initializers named as the value they define. */
    if (!ml && strcmp(type, "Constant") == 0) {
        Onnx__TensorProto *tp;
        const char *name;
        if (skc_step_get_tensor(st, "value", &t) != SKC_OK)
            return onnx_error(b, SKC_E_FORMAT, "constant without a value");
        if ((rc = onnx_name_define(b, skc_step_output(st, 0), mirror_elem_of(skc_tensor_dtype(t)), &name)) ||
            (rc = mirror_tensor(b, t, name, &tp)))
            return rc;
        return onnx_vec_push(&b->initializers, tp);
    }
    if (!ml && strcmp(type, "Absent") == 0) {
        const char *name;
        /* An absent input: consumers see elem UNKNOWN and write "". */
        return onnx_name_define(b, skc_step_output(st, 0), ONNX_ELEM_UNKNOWN, &name);
    }
    if (skc_step_get_tensor(st, ".captures", &caps) != SKC_OK)
        caps = NULL;
    n_in = skc_step_input_count(st) - (caps ? (int)skc_tensor_numel(caps) : 0);
    for (i = 0; i < n_in; i++) {
        const char *ir = skc_step_input(st, i);
        int j;
        if ((rc = onnx_name_lookup(b, ir, &in[i], &in_elem[i])))
            return rc;
        if (in_elem[i] == ONNX_ELEM_UNKNOWN) {
            in[i] = "";
            continue;
        }
        /* A model input declared with the writer's real type goes back to
         * the type the lifted graph computes in. */
        for (j = 0; b->model && j < skc_model_input_count(b->model); j++)
            if (strcmp(skc_model_input_name(b->model, j), ir) == 0) {
                int want = mirror_elem_of(skc_model_input_dtype(b->model, j));
                if (want != in_elem[i] && (rc = onnx_cast_to(b, in[i], in_elem[i], want, &in[i])))
                    return rc;
                in_elem[i] = want;
            }
    }
    skc_step_get_int(st, "opset", &opset);
    /* Forms that moved from attributes to inputs, written for b->opset. */
    if (!ml && strncmp(type, "Reduce", 6) == 0) {
        int as_input = strcmp(type, "ReduceSum") == 0 ? b->opset >= 13 : b->opset >= 18;
        if (skc_step_get_tensor(st, "axes", &t) == SKC_OK && as_input && n_in == 1) {
            if ((rc = mirror_ints_input(b, st, "axes", &extra[n_extra++])))
                return rc;
            skip[0] = "axes";
        } else if (n_in == 2 && !as_input) {
            const skc_tensor *ax = mirror_constant(b, skc_step_input(st, 1));
            if (!ax)
                return onnx_error(b, SKC_E_UNSUPPORTED, "%s with computed axes needs opset 18 "
                                  "(-O opset=18)", type);
            n_in = 1;
            axes_attr = ax;
        }
    } else if (!ml && (!strcmp(type, "Squeeze") || !strcmp(type, "Unsqueeze")) && n_in == 1 &&
               skc_step_get_tensor(st, "axes", &t) == SKC_OK) {
        if ((rc = mirror_ints_input(b, st, "axes", &extra[n_extra++])))
            return rc;
        skip[0] = "axes";
    } else if (!ml && !strcmp(type, "Slice") && n_in == 1) {
        if ((rc = mirror_ints_input(b, st, "starts", &extra[0])) ||
            (rc = mirror_ints_input(b, st, "ends", &extra[1])))
            return rc;
        n_extra = 2;
        if (skc_step_get_tensor(st, "axes", &t) == SKC_OK &&
            (rc = mirror_ints_input(b, st, "axes", &extra[n_extra++])))
            return rc;
        skip[0] = "starts";
        skip[1] = "ends";
        skip[2] = "axes";
    } else if (!ml && !strcmp(type, "Clip") && n_in == 1) {
        double lo, hi;
        int has_lo = skc_step_get_float(st, "min", &lo) == SKC_OK;
        int has_hi = skc_step_get_float(st, "max", &hi) == SKC_OK;
        if (has_lo && (rc = mirror_scalar(b, "min", lo, in_elem[0], &extra[n_extra++])))
            return rc;
        if (has_hi && !has_lo)
            extra[n_extra++] = "";
        if (has_hi && (rc = mirror_scalar(b, "max", hi, in_elem[0], &extra[n_extra++])))
            return rc;
        skip[0] = "min";
        skip[1] = "max";
    } else if (!ml && !strcmp(type, "TopK") && n_in == 1) {
        int64_t k = 0, one = 1;
        skc_step_get_int(st, "k", &k);
        if ((rc = onnx_const_i64(b, "k", &k, 1, &one, &extra[n_extra++])))
            return rc;
        skip[0] = "k";
    } else if (ml && !strcmp(type, "ZipMap")) {
        const char *o;
        if ((rc = onnx_step_output(b, st, 0, ONNX_ELEM_FLOAT, &o)))
            return rc;
        return onnx_node(b, "Identity", NULL, &in[0], 1, &o, 1, NULL);
    } else if (!ml && opset < 13 && (!strcmp(type, "Softmax") || !strcmp(type, "LogSoftmax") ||
                                     !strcmp(type, "Hardmax"))) {
        /* Before opset 13 these worked on the input flattened to 2-D at
         * axis: write exactly that. */
        const char *shape, *flat, *res, *outn;
        int64_t axis = 1;
        skc_step_get_int(st, "axis", &axis);
        if ((rc = onnx_name_fresh(b, "shape", &shape)) ||
            (rc = onnx_node(b, "Shape", NULL, &in[0], 1, &shape, 1, NULL)) ||
            (rc = onnx_name_fresh(b, "flat", &flat)) ||
            (rc = onnx_node(b, "Flatten", NULL, &in[0], 1, &flat, 1, &node)) ||
            (rc = onnx_attr_int(b, node, "axis", axis)) ||
            (rc = onnx_name_fresh(b, "res", &res)) ||
            (rc = onnx_node(b, type, NULL, &flat, 1, &res, 1, &node)) ||
            (rc = onnx_attr_int(b, node, "axis", 1)) ||
            (rc = onnx_step_output(b, st, 0, in_elem[0], &outn)))
            return rc;
        {
            const char *rin[2] = { res, shape };
            return onnx_node(b, "Reshape", NULL, rin, 2, &outn, 1, NULL);
        }
    }
    for (i = 0; i < n_extra; i++) {
        in[n_in] = extra[i];
        in_elem[n_in++] = ONNX_ELEM_INT64;
    }
    /* Control flow: subgraphs first, their output types give the node's. */
    if (!ml && (!strcmp(type, "Loop") || !strcmp(type, "If") || !strcmp(type, "Scan"))) {
        int fe[MIRROR_MAX_IO + 2], nf = 0, nsub;
        if (!strcmp(type, "If")) {
            graph_keys[0] = "then_branch";
            graph_keys[1] = "else_branch";
            nsub = 2;
        } else {
            graph_keys[0] = "body";
            nsub = 1;
        }
        if (!strcmp(type, "Loop")) {
            fe[nf++] = ONNX_ELEM_INT64;
            fe[nf++] = ONNX_ELEM_BOOL;
            for (i = 2; i < n_in; i++)
                fe[nf++] = in_elem[i];
        } else if (!strcmp(type, "Scan")) {
            for (i = 0; i < n_in; i++)
                fe[nf++] = in_elem[i];
        }
        for (i = 0; i < nsub; i++) {
            int sub_out[66], n_sub_out = !strcmp(type, "Loop") ? n_out + 1 : n_out;
            if (n_sub_out > 66)
                return onnx_error(b, SKC_E_LIMIT, "too many outputs");
            if ((rc = mirror_subgraph(b, st, graph_keys[i], fe, nf, sub_out, n_sub_out, depth,
                                      &graphs[i])))
                return rc;
            if (i == 0) {
                int j;
                for (j = 0; j < n_out; j++)
                    out_elem[j] = !strcmp(type, "Loop") ? sub_out[j + 1] : sub_out[j];
            }
        }
    } else {
        for (i = 0; i < n_out; i++)
            out_elem[i] = mirror_out_elem(st, type, ml, in_elem, n_in, i);
    }
    for (i = 0; i < n_out; i++) {
        if (out_elem[i] == ONNX_ELEM_UNKNOWN)
            return onnx_error(b, SKC_E_FORMAT, "cannot tell the type of output %d", i);
        if ((rc = onnx_step_output(b, st, i, out_elem[i], &outs[i])))
            return rc;
    }
    if ((rc = onnx_node(b, type, domain, in, (size_t)n_in, outs, (size_t)n_out, &node)))
        return rc;
    if (axes_attr) {
        /* Axes given as a constant input, written as the attribute. */
        const skc_tensor *ax = axes_attr;
        int64_t *v = onnx_arena_alloc(b->arena, (size_t)skc_tensor_numel(ax), sizeof(*v));
        Onnx__AttributeProto *at;
        if (!v && skc_tensor_numel(ax))
            return SKC_E_NOMEM;
        for (i = 0; i < skc_tensor_numel(ax); i++)
            v[i] = (int64_t)skc_tensor_get_f64(ax, i);
        if ((rc = onnx_attr_new(b, node, "axes", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, &at)))
            return rc;
        at->ints = v;
        at->n_ints = (size_t)skc_tensor_numel(ax);
    }
    for (i = 0; i < 2; i++) {
        if (graph_keys[i] && !skip[3 + i])
            skip[3 + i] = graph_keys[i];
        if (graphs[i] && (rc = mirror_graph_attr(b, node, graph_keys[i], graphs[i])))
            return rc;
    }
    /* Ops whose ml opset is newer than the writer's default. */
    if (ml && !strcmp(type, "TreeEnsemble") && b->ml_opset < 5)
        b->ml_opset = 5;
    return mirror_attrs(b, st, node, skip, (int)(sizeof(skip) / sizeof(skip[0])));
}

int onnx_emit_mirror(onnx_builder *b, const skc_step *st)
{
    return mirror_emit_step(b, st, 0);
}
