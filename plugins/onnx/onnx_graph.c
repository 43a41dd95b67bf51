/* SPDX-License-Identifier: MIT */
/* onnx_graph.c: protobuf-c helpers that build the graph: nodes, attributes, initializers and value infos. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_writer.h"

int onnx_builder_init(onnx_builder *b, skc_session *s, int real_elem,
                      int opset, int ml_opset)
{
    int rc;
    memset(b, 0, sizeof(*b));
    b->session = s;
    b->real_elem = real_elem;
    b->opset = opset;
    b->ml_opset = ml_opset;
    b->step_index = -1;
    if ((rc = onnx_arena_new(&b->arena)) < 0)
        goto fail;
    if ((rc = onnx_names_new(b->arena, &b->names)) < 0)
        goto fail;
    return 0;
fail:
    onnx_builder_release(b);
    return rc;
}

void onnx_builder_release(onnx_builder *b)
{
    free(b->nodes.v);
    free(b->initializers.v);
    free(b->inputs.v);
    free(b->outputs.v);
    free(b->fills.v);
    free(b->jobs.v);
    onnx_names_free(b->names);
    onnx_arena_free(b->arena);
    memset(b, 0, sizeof(*b));
}

int onnx_error(onnx_builder *b, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (b->step_index >= 0)
        return skc_set_error(b->session, code, "step %d (%s): %s",
                             b->step_index, b->step_op, msg);
    return skc_set_error(b->session, code, "%s", msg);
}

int onnx_vec_push(onnx_vec *v, void *p)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void **nv = realloc(v->v, cap * sizeof(*nv));
        if (!nv)
            return SKC_E_NOMEM;
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = p;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Value infos                                                         */
/* ------------------------------------------------------------------ */

/* The shape of a value info; rows (dimension 0) are always the batch, and
 * one symbolic name shared by every input and output tells runtimes that
 * they agree. Unknown sizes (-1) are dimensions without a value. */
static int onnx_shape(onnx_builder *b, int ndim, const int64_t *dims,
                      Onnx__TensorShapeProto **out)
{
    onnx_arena *a = b->arena;
    Onnx__TensorShapeProto *sh = onnx_arena_alloc(a, 1, sizeof(*sh));
    Onnx__TensorShapeProto__Dimension **dv =
        onnx_arena_alloc(a, (size_t)ndim, sizeof(*dv));
    if (!sh || !dv)
        return SKC_E_NOMEM;
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < ndim; i++) {
        Onnx__TensorShapeProto__Dimension *d = onnx_arena_alloc(a, 1, sizeof(*d));
        if (!d)
            return SKC_E_NOMEM;
        onnx__tensor_shape_proto__dimension__init(d);
        if (i == 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = "N";
        } else if (dims[i] >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        dv[i] = d;
    }
    sh->n_dim = (size_t)ndim;
    sh->dim = dv;
    *out = sh;
    return 0;
}

/* A tensor value info; @p ndim < 0 leaves the rank unknown (no shape). */
static int onnx_value_info(onnx_builder *b, const char *name, int elem,
                           int ndim, const int64_t *dims,
                           Onnx__ValueInfoProto **out)
{
    onnx_arena *a = b->arena;
    int rc;
    Onnx__ValueInfoProto *vi = onnx_arena_alloc(a, 1, sizeof(*vi));
    Onnx__TypeProto *tp = onnx_arena_alloc(a, 1, sizeof(*tp));
    Onnx__TypeProto__Tensor *tt = onnx_arena_alloc(a, 1, sizeof(*tt));
    if (!vi || !tp || !tt)
        return SKC_E_NOMEM;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    if (!(vi->name = onnx_arena_strdup(a, name)))
        return SKC_E_NOMEM;
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    if (ndim >= 0 && (ndim == 0 || dims) &&
        (rc = onnx_shape(b, ndim, dims, &tt->shape)) < 0)
        return rc;
    *out = vi;
    return 0;
}

static int onnx_graph_add(onnx_builder *b, onnx_vec *list, const char *name,
                          int elem, int ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *vi;
    int rc = onnx_value_info(b, name, elem, ndim, dims, &vi);
    if (rc < 0)
        return rc;
    return onnx_vec_push(list, vi);
}

int onnx_graph_input(onnx_builder *b, const char *name, int elem, int ndim,
                     const int64_t *dims)
{
    return onnx_graph_add(b, &b->inputs, name, elem, ndim, dims);
}

int onnx_graph_output(onnx_builder *b, const char *name, int elem, int ndim,
                      const int64_t *dims)
{
    return onnx_graph_add(b, &b->outputs, name, elem, ndim, dims);
}

/* ------------------------------------------------------------------ */
/* Nodes and attributes                                                */
/* ------------------------------------------------------------------ */

static char **onnx_strv(onnx_arena *a, const char *const *v, size_t n)
{
    char **d = onnx_arena_alloc(a, n, sizeof(*d));
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(d[i] = onnx_arena_strdup(a, v[i])))
            return NULL;
    return d;
}

int onnx_node(onnx_builder *b, const char *op_type, const char *domain,
              const char *const *inputs, size_t n_inputs,
              const char *const *outputs, size_t n_outputs,
              Onnx__NodeProto **out)
{
    onnx_arena *a = b->arena;
    const char *node_name;
    int rc;
    Onnx__NodeProto *n = onnx_arena_alloc(a, 1, sizeof(*n));
    if (!n)
        return SKC_E_NOMEM;
    onnx__node_proto__init(n);
    if ((rc = onnx_name_fresh(b, op_type, &node_name)) < 0)
        return rc;
    n->name = (char *)node_name;
    if (!(n->op_type = onnx_arena_strdup(a, op_type)))
        return SKC_E_NOMEM;
    if (domain) {
        if (!(n->domain = onnx_arena_strdup(a, domain)))
            return SKC_E_NOMEM;
        if (strcmp(domain, ONNX_DOMAIN_ML) == 0)
            b->used_ml = 1;
        if (strcmp(domain, ONNX_DOMAIN_MS) == 0)
            b->used_ms = 1;
    }
    if (!(n->input = onnx_strv(a, inputs, n_inputs)) ||
        !(n->output = onnx_strv(a, outputs, n_outputs)))
        return SKC_E_NOMEM;
    n->n_input = n_inputs;
    n->n_output = n_outputs;
    if ((rc = onnx_vec_push(&b->nodes, n)) < 0)
        return rc;
    if (out)
        *out = n;
    return 0;
}

/* A new attribute appended to @p n; nodes have a handful, so the pointer
 * array is simply reallocated in the arena. */
int onnx_attr_new(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                  Onnx__AttributeProto__AttributeType type,
                  Onnx__AttributeProto **out)
{
    onnx_arena *a = b->arena;
    Onnx__AttributeProto *at = onnx_arena_alloc(a, 1, sizeof(*at));
    Onnx__AttributeProto **v = onnx_arena_alloc(a, n->n_attribute + 1,
                                                sizeof(*v));
    if (!at || !v)
        return SKC_E_NOMEM;
    onnx__attribute_proto__init(at);
    if (!(at->name = onnx_arena_strdup(a, key)))
        return SKC_E_NOMEM;
    at->has_type = 1;
    at->type = type;
    if (n->n_attribute)
        memcpy(v, n->attribute, n->n_attribute * sizeof(*v));
    v[n->n_attribute++] = at;
    n->attribute = v;
    *out = at;
    return 0;
}

int onnx_attr_int(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                  int64_t v)
{
    Onnx__AttributeProto *at;
    int rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT,
                           &at);
    if (rc < 0)
        return rc;
    at->has_i = 1;
    at->i = v;
    return 0;
}

int onnx_attr_string(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                     const char *v)
{
    Onnx__AttributeProto *at;
    char *d = onnx_arena_strdup(b->arena, v);
    int rc;
    if (!d)
        return SKC_E_NOMEM;
    if ((rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, &at)) < 0)
        return rc;
    at->has_s = 1;
    at->s.data = (uint8_t *)d;
    at->s.len = strlen(d);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Initializers                                                        */
/* ------------------------------------------------------------------ */

/* A named initializer with its shape; the caller fills in exactly
 * *numel values, the count the shape implies. */
static int onnx_tensor_new(onnx_builder *b, const char *hint, int elem,
                           int ndim, const int64_t *dims, size_t *numel,
                           Onnx__TensorProto **out)
{
    const char *name;
    int rc;
    if (ndim < 0 || ndim > SKC_MAX_DIMS || (ndim > 0 && !dims))
        return onnx_error(b, SKC_E_INTERNAL, "constant '%s' has rank %d",
                          hint, ndim);
    Onnx__TensorProto *t = onnx_arena_alloc(b->arena, 1, sizeof(*t));
    int64_t *d = onnx_arena_alloc(b->arena, (size_t)ndim, sizeof(*d));
    if (!t || !d)
        return SKC_E_NOMEM;
    onnx__tensor_proto__init(t);
    if ((rc = onnx_name_fresh(b, hint, &name)) < 0)
        return rc;
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0 || (dims[i] > 0 && count > SIZE_MAX / (size_t)dims[i]))
            return onnx_error(b, SKC_E_LIMIT, "constant '%s' has a bad shape",
                              hint);
        count *= (size_t)dims[i];
        d[i] = dims[i];
    }
    t->name = (char *)name;
    t->n_dims = (size_t)ndim;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = elem;
    if ((rc = onnx_vec_push(&b->initializers, t)) < 0)
        return rc;
    *numel = count;
    *out = t;
    return 0;
}

/* Typed repeated fields rather than raw_data: protobuf-c writes them
 * little-endian on any host, which raw_data would leave to us. */
static int onnx_fill_real(onnx_builder *b, Onnx__TensorProto *t, int elem,
                          const double *v, size_t count)
{
    if (elem == ONNX_ELEM_DOUBLE) {
        double *d = onnx_arena_memdup(b->arena, v, count, sizeof(*d));
        if (!d)
            return SKC_E_NOMEM;
        t->n_double_data = count;
        t->double_data = d;
    } else {
        float *f = onnx_arena_alloc(b->arena, count, sizeof(*f));
        size_t overflow = 0;
        if (!f)
            return SKC_E_NOMEM;
        for (size_t i = 0; i < count; i++) {
            /* IEEE rounding (C11 Annex F) turns values beyond float's
             * range into infinities: a change of meaning worth a warning. */
            f[i] = (float)v[i];
            overflow += isinf(f[i]) && isfinite(v[i]);
        }
        if (overflow)
            skc_log(b->session, SKC_LOG_WARN, "constant '%s': %zu value(s) do not "
                    "fit float32 and became infinite; use dtype=float64",
                    t->name, overflow);
        t->n_float_data = count;
        t->float_data = f;
    }
    return 0;
}

int onnx_const_real(onnx_builder *b, const char *hint, const double *v,
                    int ndim, const int64_t *dims, const char **name)
{
    Onnx__TensorProto *t;
    size_t count;
    int rc = onnx_tensor_new(b, hint, b->real_elem, ndim, dims, &count, &t);
    if (rc < 0)
        return rc;
    if ((rc = onnx_fill_real(b, t, b->real_elem, v, count)) < 0)
        return rc;
    *name = t->name;
    return 0;
}

int onnx_const_scalar(onnx_builder *b, const char *hint, double v,
                      const char **name)
{
    return onnx_const_real(b, hint, &v, 0, NULL, name);
}

int onnx_const_i64(onnx_builder *b, const char *hint, const int64_t *v,
                   int ndim, const int64_t *dims, const char **name)
{
    Onnx__TensorProto *t;
    size_t count;
    int rc = onnx_tensor_new(b, hint, ONNX_ELEM_INT64, ndim, dims, &count, &t);
    if (rc < 0)
        return rc;
    int64_t *d = onnx_arena_memdup(b->arena, v, count, sizeof(*d));
    if (!d)
        return SKC_E_NOMEM;
    t->n_int64_data = count;
    t->int64_data = d;
    *name = t->name;
    return 0;
}

/* IR integers of any width as int64, read through their own type so
 * large int64 labels keep every bit. */
static int64_t onnx_ir_int_at(const skc_tensor *t, int64_t i)
{
    const void *p = skc_tensor_data(t);
    switch (skc_tensor_dtype(t)) {
    case SKC_DT_I64:  return ((const int64_t *)p)[i];
    case SKC_DT_I32:  return ((const int32_t *)p)[i];
    case SKC_DT_U32:  return ((const uint32_t *)p)[i];
    case SKC_DT_U8:   return ((const uint8_t *)p)[i];
    case SKC_DT_BOOL: return ((const uint8_t *)p)[i] != 0;
    default:          return 0;
    }
}

int onnx_const_exact(onnx_builder *b, const char *hint, const skc_tensor *t,
                     const char **name, int *elem)
{
    int dt = skc_tensor_dtype(t);
    int e;
    switch (dt) {
    case SKC_DT_F32:    e = ONNX_ELEM_FLOAT;  break;
    case SKC_DT_F64:    e = ONNX_ELEM_DOUBLE; break;
    case SKC_DT_STRING: e = ONNX_ELEM_STRING; break;
    case SKC_DT_BOOL:   e = ONNX_ELEM_BOOL;   break;
    case SKC_DT_I64: case SKC_DT_I32: case SKC_DT_U32: case SKC_DT_U8:
        e = ONNX_ELEM_INT64;
        break;
    default:
        return onnx_error(b, SKC_E_UNSUPPORTED,
                          "constant '%s' has element type %s", hint,
                          skc_dtype_name(dt));
    }
    Onnx__TensorProto *tp;
    size_t count;
    int rc = onnx_tensor_new(b, hint, e, skc_tensor_ndim(t),
                             skc_tensor_shape(t), &count, &tp);
    if (rc < 0)
        return rc;
    if ((int64_t)count != skc_tensor_numel(t))
        return onnx_error(b, SKC_E_INTERNAL, "constant '%s': shape and size disagree",
                          hint);
    if (e == ONNX_ELEM_STRING) {
        ProtobufCBinaryData *sv = onnx_arena_alloc(b->arena, count, sizeof(*sv));
        if (!sv)
            return SKC_E_NOMEM;
        for (size_t i = 0; i < count; i++) {
            size_t len = 0;
            const char *s = skc_tensor_string(t, (int64_t)i, &len);
            uint8_t *d = onnx_arena_alloc(b->arena, len + 1, 1);
            if (!s || !d)
                return s ? SKC_E_NOMEM : SKC_E_INTERNAL;
            memcpy(d, s, len);
            sv[i].data = d;
            sv[i].len = len;
        }
        tp->n_string_data = count;
        tp->string_data = sv;
    } else if (e == ONNX_ELEM_FLOAT || e == ONNX_ELEM_DOUBLE) {
        double *v = onnx_arena_alloc(b->arena, count, sizeof(*v));
        if (!v)
            return SKC_E_NOMEM;
        for (size_t i = 0; i < count; i++)
            v[i] = skc_tensor_get_f64(t, (int64_t)i);
        if ((rc = onnx_fill_real(b, tp, e, v, count)) < 0)
            return rc;
    } else if (e == ONNX_ELEM_BOOL) {
        /* onnx.proto: bool values travel in int32_data. */
        int32_t *d = onnx_arena_alloc(b->arena, count, sizeof(*d));
        if (!d)
            return SKC_E_NOMEM;
        for (size_t i = 0; i < count; i++)
            d[i] = (int32_t)onnx_ir_int_at(t, (int64_t)i);
        tp->n_int32_data = count;
        tp->int32_data = d;
    } else {
        int64_t *d = onnx_arena_alloc(b->arena, count, sizeof(*d));
        if (!d)
            return SKC_E_NOMEM;
        for (size_t i = 0; i < count; i++)
            d[i] = onnx_ir_int_at(t, (int64_t)i);
        tp->n_int64_data = count;
        tp->int64_data = d;
    }
    *name = tp->name;
    *elem = e;
    return 0;
}

int onnx_cast_to(onnx_builder *b, const char *name, int from, int to,
                 const char **out)
{
    Onnx__NodeProto *n;
    const char *cast;
    int rc;
    if (from == to) {
        *out = name;
        return 0;
    }
    if ((rc = onnx_name_fresh(b, "cast", &cast)) < 0)
        return rc;
    if ((rc = onnx_node(b, "Cast", NULL, &name, 1, &cast, 1, &n)) < 0)
        return rc;
    if ((rc = onnx_attr_int(b, n, "to", to)) < 0)
        return rc;
    *out = cast;
    return 0;
}
