/* SPDX-License-Identifier: MIT */
/* onnx_read_tensor.c: ONNX TensorProtos and node attributes as IR tensors and step attributes, every size checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_read.h"

/* Element types the evaluator holds (onnx.proto TensorProto.DataType). */
int onnx_read_dtype(int32_t elem)
{
    switch (elem) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:  return SKC_DT_F32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return SKC_DT_F64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:  return SKC_DT_I64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:  return SKC_DT_I32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:  return SKC_DT_U8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:   return SKC_DT_BOOL;
    case ONNX__TENSOR_PROTO__DATA_TYPE__STRING: return SKC_DT_STRING;
    default:                                    return SKC_DT_NONE;
    }
}

const char *onnx_read_elem_name(int32_t elem)
{
    static const char *const names[] = {
        "undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
        "string", "bool", "float16", "double", "uint32", "uint64", "complex64",
        "complex128", "bfloat16"
    };

    return elem >= 0 && elem < (int32_t)(sizeof(names) / sizeof(names[0])) ? names[elem]
                                                                           : "unknown";
}

int onnx_read_cstr(onnx_reader *r, const ProtobufCBinaryData *b, const char *what, char **out)
{
    char *c;

    if (b->len && memchr(b->data, 0, b->len))
        return onnx_rfail(r, SKC_E_UNSUPPORTED, "%s holds a NUL byte", what);
    c = malloc(b->len + 1);
    if (!c)
        return SKC_E_NOMEM;
    if (b->len)
        memcpy(c, b->data, b->len);
    c[b->len] = '\0';
    *out = c;
    return SKC_OK;
}

static int onnx_host_le(void)
{
    const uint16_t one = 1;

    return *(const uint8_t *)&one == 1;
}

/* raw_data is little-endian whatever the host. */
static void onnx_copy_le(void *dst, const uint8_t *src, size_t n, size_t es)
{
    size_t i, j;

    if (onnx_host_le() || es == 1) {
        memcpy(dst, src, n * es);
        return;
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < es; j++)
            ((uint8_t *)dst)[i * es + j] = src[i * es + es - 1 - j];
}

int onnx_read_tensor(onnx_reader *r, const Onnx__TensorProto *tp, const char *what,
                     skc_tensor **out)
{
    int64_t shape[SKC_MAX_DIMS], numel = 1;
    int dt, rc;
    size_t i, n, es;
    skc_tensor *t = NULL;
    void *d;

    const uint8_t *ext = NULL;
    int external = (tp->has_data_location &&
                    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
                   tp->n_external_data;

    if (tp->segment)
        return onnx_rfail(r, SKC_E_UNSUPPORTED, "%s: segmented tensors are not supported", what);
    dt = onnx_read_dtype(tp->data_type);
    if (dt == SKC_DT_NONE)
        return onnx_rfail(r, SKC_E_UNSUPPORTED, "%s: element type %s is not supported", what,
                          onnx_read_elem_name(tp->data_type));
    if (tp->n_dims > SKC_MAX_DIMS)
        return onnx_rfail(r, SKC_E_LIMIT, "%s: %zu dimensions, at most %d are supported", what,
                          tp->n_dims, SKC_MAX_DIMS);
    for (i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0)
            return onnx_rfail(r, SKC_E_FORMAT, "%s: dimension %zu is negative", what, i);
        if (tp->dims[i] && numel > INT64_MAX / tp->dims[i])
            return onnx_rfail(r, SKC_E_LIMIT, "%s: the shape overflows", what);
        numel *= tp->dims[i];
        shape[i] = tp->dims[i];
    }
    if (r->lim && (uint64_t)numel > r->lim->max_elements)
        return onnx_rfail(r, SKC_E_LIMIT, "%s: %lld elements, over the limit of %llu "
                          "(max_elements)", what, (long long)numel,
                          (unsigned long long)r->lim->max_elements);
    n = (size_t)numel;
    es = dt == SKC_DT_STRING ? 0 : skc_dtype_size(dt);
    /* The data must be exactly as large as the shape says, from one source:
     * raw_data, or the typed field onnx.proto assigns to the type. */
    if (external) {
        if (dt == SKC_DT_STRING)
            return onnx_rfail(r, SKC_E_FORMAT, "%s: string tensors cannot be in external "
                              "data", what);
        if ((rc = onnx_read_external(r, tp, what, (uint64_t)n * es, &ext)))
            return rc;
    } else if (tp->has_raw_data) {
        if (dt == SKC_DT_STRING || tp->raw_data.len / es != n || tp->raw_data.len % es)
            return onnx_rfail(r, SKC_E_FORMAT, "%s: raw_data holds %zu bytes for %zu %s values",
                              what, tp->raw_data.len, n, skc_dtype_name(dt));
    } else {
        size_t have;
        switch (dt) {
        case SKC_DT_F32:    have = tp->n_float_data; break;
        case SKC_DT_F64:    have = tp->n_double_data; break;
        case SKC_DT_I64:    have = tp->n_int64_data; break;
        case SKC_DT_STRING: have = tp->n_string_data; break;
        default:            have = tp->n_int32_data; break;  /* int32, uint8, bool */
        }
        if (have != n)
            return onnx_rfail(r, SKC_E_FORMAT, "%s: %zu values for a shape of %zu", what, have, n);
    }
    if ((rc = skc_tensor_new(dt, (int)tp->n_dims, shape, &t)))
        return rc == SKC_E_NOMEM ? rc : onnx_rfail(r, rc, "%s: the tensor is too large", what);
    if (dt == SKC_DT_STRING) {
        for (i = 0; i < n; i++) {
            const ProtobufCBinaryData *b = &tp->string_data[i];
            if (b->len && memchr(b->data, 0, b->len)) {
                skc_tensor_free(t);
                return onnx_rfail(r, SKC_E_UNSUPPORTED, "%s: string %zu holds a NUL byte", what, i);
            }
            if ((rc = skc_tensor_set_string(t, (int64_t)i, (const char *)b->data, b->len))) {
                skc_tensor_free(t);
                return rc;
            }
        }
        *out = t;
        return SKC_OK;
    }
    d = skc_tensor_data_mut(t);
    if (!d && n) {
        skc_tensor_free(t);
        return SKC_E_NOMEM;
    }
    if (ext || tp->has_raw_data) {
        if (n)
            onnx_copy_le(d, ext ? ext : tp->raw_data.data, n, es);
        if (ext)
            onnx_read_external_drop(r, ext, n * es);
        if (dt == SKC_DT_BOOL)
            for (i = 0; i < n; i++)
                ((uint8_t *)d)[i] = ((uint8_t *)d)[i] != 0;
    } else {
        for (i = 0; i < n; i++) {
            switch (dt) {
            case SKC_DT_F32:  ((float *)d)[i] = tp->float_data[i]; break;
            case SKC_DT_F64:  ((double *)d)[i] = tp->double_data[i]; break;
            case SKC_DT_I64:  ((int64_t *)d)[i] = tp->int64_data[i]; break;
            case SKC_DT_I32:  ((int32_t *)d)[i] = tp->int32_data[i]; break;
            case SKC_DT_U8:   ((uint8_t *)d)[i] = (uint8_t)tp->int32_data[i]; break;
            default:          ((uint8_t *)d)[i] = tp->int32_data[i] != 0; break;
            }
        }
    }
    *out = t;
    return SKC_OK;
}

/* ------------------------------------------------------------------ */
/* Attributes                                                          */
/* ------------------------------------------------------------------ */

/* Attributes written before IR version 3 may lack their type: infer it
 * from the one field that is set. */
static int onnx_attr_type(const Onnx__AttributeProto *a)
{
    if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
        return a->type;
    if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

/* The unpacked message is the reader's and each node is lifted once, so
 * a list leaves the message as it becomes a tensor: int64 arrays are
 * wrapped as they are, floats and strings are freed once converted. A
 * large tree ensemble is then held once, not twice. */
static int onnx_attr_list(onnx_reader *r, Onnx__AttributeProto *a, int type,
                          const char *what, skc_tensor **out)
{
    int64_t n;
    size_t i;
    int rc;

    n = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ? (int64_t)a->n_floats :
        type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS ? (int64_t)a->n_ints :
        (int64_t)a->n_strings;
    if (r->lim && (uint64_t)n > r->lim->max_elements)
        return onnx_rfail(r, SKC_E_LIMIT, "%s: %lld values (max_elements)", what, (long long)n);
    if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS) {
        double *v;
        if ((rc = skc_tensor_new(SKC_DT_F64, 1, &n, out)))
            return rc;
        v = skc_tensor_data_mut(*out);
        if (!v && n) {
            skc_tensor_free(*out);
            *out = NULL;
            return SKC_E_NOMEM;
        }
        for (i = 0; i < (size_t)n; i++)
            v[i] = a->floats[i];
        if (r->alloc && n) {
            r->alloc->free(r->alloc->allocator_data, a->floats);
            a->floats = NULL;
            a->n_floats = 0;
        }
        return SKC_OK;
    }
    if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS) {
        if (!r->alloc || !n || !onnx_read_owned((size_t)n * sizeof(*a->ints)))
            return skc_tensor_from_i64(a->ints, n, out);
        if ((rc = skc_tensor_wrap(SKC_DT_I64, 1, &n, a->ints, onnx_read_release, a->ints, out)))
            return rc;
        a->ints = NULL;
        a->n_ints = 0;
        return SKC_OK;
    }
    if ((rc = skc_tensor_new(SKC_DT_STRING, 1, &n, out)))
        return rc;
    for (i = 0; i < (size_t)n; i++) {
        const ProtobufCBinaryData *b = &a->strings[i];
        if (b->len && memchr(b->data, 0, b->len))
            rc = onnx_rfail(r, SKC_E_UNSUPPORTED, "%s: string %zu holds a NUL byte", what, i);
        else
            rc = skc_tensor_set_string(*out, (int64_t)i, (const char *)b->data, b->len);
        if (rc) {
            skc_tensor_free(*out);
            *out = NULL;
            return rc;
        }
    }
    if (r->alloc && n) {
        for (i = 0; i < (size_t)n; i++)
            r->alloc->free(r->alloc->allocator_data, a->strings[i].data);
        r->alloc->free(r->alloc->allocator_data, a->strings);
        a->strings = NULL;
        a->n_strings = 0;
    }
    return SKC_OK;
}

int onnx_read_attrs(onnx_reader *r, const Onnx__NodeProto *n, skc_step *st, const char *prefix,
                    int depth, onnx_namelist *caps)
{
    char what[256], key[512];
    size_t i, j;
    int rc;

    for (i = 0; i < n->n_attribute; i++) {
        Onnx__AttributeProto *a = n->attribute[i];
        const char *name = a->name ? a->name : "";
        int type = onnx_attr_type(a);
        skc_tensor *t = NULL;
        snprintf(what, sizeof(what), "node '%.60s' (%.40s) attribute '%.60s'",
                 n->name ? n->name : "", n->op_type ? n->op_type : "", name);
        if (!*name || strchr(name, '.') || strcmp(name, "opset") == 0)
            return onnx_rfail(r, SKC_E_FORMAT, "%s: the name is empty or reserved", what);
        if (a->ref_attr_name && *a->ref_attr_name)
            return onnx_rfail(r, SKC_E_UNSUPPORTED, "%s refers to a function attribute", what);
        for (j = 0; j < i; j++)
            if (n->attribute[j]->name && strcmp(n->attribute[j]->name, name) == 0)
                return onnx_rfail(r, SKC_E_FORMAT, "%s is given twice", what);
        snprintf(key, sizeof(key), "%s%s", prefix, name);
        switch (type) {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
            rc = skc_step_set_int(st, key, a->i);
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
            rc = skc_step_set_float(st, key, a->f);
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
            char *c;
            if ((rc = onnx_read_cstr(r, &a->s, what, &c)))
                return rc;
            rc = skc_step_set_string(st, key, c);
            free(c);
            break;
        }
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
            if ((rc = onnx_attr_list(r, a, type, what, &t)))
                return rc;
            rc = skc_step_set_tensor(st, key, t);
            skc_tensor_free(t);
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            if (!a->t)
                return onnx_rfail(r, SKC_E_FORMAT, "%s has no tensor", what);
            if ((rc = onnx_read_tensor(r, a->t, what, &t)))
                return rc;
            /* As for lists: the bytes leave the message once copied. */
            if (r->alloc && a->t->has_raw_data && a->t->raw_data.data) {
                r->alloc->free(r->alloc->allocator_data, a->t->raw_data.data);
                a->t->raw_data.data = NULL;
                a->t->raw_data.len = 0;
                a->t->has_raw_data = 0;
            }
            rc = skc_step_set_tensor(st, key, t);
            skc_tensor_free(t);
            break;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
            if (!a->g)
                return onnx_rfail(r, SKC_E_FORMAT, "%s has no graph", what);
            rc = onnx_read_subgraph(r, a->g, st, key, depth + 1, caps);
            break;
        default:
            return onnx_rfail(r, SKC_E_UNSUPPORTED, "%s has a type (%d) that is not supported",
                              what, type);
        }
        if (rc)
            return rc;
    }
    return SKC_OK;
}
