/* SPDX-License-Identifier: MIT */
/* op_onnx_util.c: element access, broadcasting and attribute helpers of the ONNX mirror ops. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

int skco_fail(char *err, size_t errlen, const skc_step *s, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    skci_errf(err, errlen, "%s: %s", s ? s->op : "onnx", msg);
    return code;
}

int skco_is_real(int dt) { return dt == SKC_DT_F32 || dt == SKC_DT_F64; }

int skco_is_int(int dt)
{
    return dt == SKC_DT_I64 || dt == SKC_DT_I32 || dt == SKC_DT_U8 || dt == SKC_DT_U32;
}

int skco_is_num(int dt) { return skco_is_real(dt) || skco_is_int(dt) || dt == SKC_DT_BOOL; }

double skco_get(const skc_tensor *t, int64_t i)
{
    return skc_tensor_get_f64(t, i);
}

/* C leaves out-of-range float-to-int conversion undefined; x86's cvttsd2si
 * (what ORT's static_cast compiles to) gives INT64_MIN, so do the same. */
int64_t skco_f2i(double v)
{
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)v;
}

int64_t skco_geti(const skc_tensor *t, int64_t i)
{
    const void *p = skc_tensor_data(t);

    if (!p || i < 0 || i >= skc_tensor_numel(t))
        return 0;
    switch (skc_tensor_dtype(t)) {
    case SKC_DT_I64:  return ((const int64_t *)p)[i];
    case SKC_DT_I32:  return ((const int32_t *)p)[i];
    case SKC_DT_U32:  return ((const uint32_t *)p)[i];
    case SKC_DT_U8:   return ((const uint8_t *)p)[i];
    case SKC_DT_BOOL: return ((const uint8_t *)p)[i] != 0;
    case SKC_DT_F32:  return skco_f2i(((const float *)p)[i]);
    case SKC_DT_F64:  return skco_f2i(((const double *)p)[i]);
    default:          return 0;
    }
}

double skco_as(int dt, double v)
{
    switch (dt) {
    case SKC_DT_F32:  return (double)(float)v;
    case SKC_DT_F64:  return v;
    case SKC_DT_BOOL: return v != 0.0;
    case SKC_DT_I64:  return (double)skco_f2i(v);
    case SKC_DT_I32:  return (double)(int32_t)skco_f2i(v);
    case SKC_DT_U32:  return (double)(uint32_t)skco_f2i(v);
    case SKC_DT_U8:   return (double)(uint8_t)skco_f2i(v);
    default:          return v;
    }
}

void skco_put(int dt, void *data, int64_t i, double v)
{
    switch (dt) {
    case SKC_DT_F32:  ((float *)data)[i] = (float)v; break;
    case SKC_DT_F64:  ((double *)data)[i] = v; break;
    case SKC_DT_I64:  ((int64_t *)data)[i] = skco_f2i(v); break;
    case SKC_DT_I32:  ((int32_t *)data)[i] = (int32_t)skco_f2i(v); break;
    case SKC_DT_U32:  ((uint32_t *)data)[i] = (uint32_t)skco_f2i(v); break;
    case SKC_DT_U8:   ((uint8_t *)data)[i] = (uint8_t)skco_f2i(v); break;
    case SKC_DT_BOOL: ((uint8_t *)data)[i] = v != 0.0; break;
    default: break;
    }
}

void skco_puti(int dt, void *data, int64_t i, int64_t v)
{
    switch (dt) {
    case SKC_DT_F32:  ((float *)data)[i] = (float)v; break;
    case SKC_DT_F64:  ((double *)data)[i] = (double)v; break;
    case SKC_DT_I64:  ((int64_t *)data)[i] = v; break;
    case SKC_DT_I32:  ((int32_t *)data)[i] = (int32_t)v; break;
    case SKC_DT_U32:  ((uint32_t *)data)[i] = (uint32_t)v; break;
    case SKC_DT_U8:   ((uint8_t *)data)[i] = (uint8_t)v; break;
    case SKC_DT_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    default: break;
    }
}

int skco_new(int dtype, int ndim, const int64_t *shape, skc_tensor **out, void **data)
{
    int64_t n = 1;
    int d, rc;

    /* A hostile graph can ask for any shape (Expand, Tile, Range,
     * ConstantOfShape): refuse what no model's batch needs. */
    for (d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return SKC_E_INVAL;
        if (shape[d] && n > SKCO_MAX_NUMEL / shape[d])
            return SKC_E_LIMIT;
        n *= shape[d];
    }
    rc = skc_tensor_new(dtype, ndim, shape, out);

    if (rc)
        return rc;
    if (data) {
        *data = dtype == SKC_DT_STRING ? NULL : skc_tensor_data_mut(*out);
        if (dtype != SKC_DT_STRING && !*data) {
            skc_tensor_free(*out);
            *out = NULL;
            return SKC_E_NOMEM;
        }
    }
    return SKC_OK;
}

int skco_copy(skc_tensor *dst, void *ddata, int64_t di, const skc_tensor *src, int64_t si)
{
    int dt = skc_tensor_dtype(src);
    size_t es;

    if (dt == SKC_DT_STRING) {
        size_t len = 0;
        const char *str = skc_tensor_string(src, si, &len);
        return skc_tensor_set_string(dst, di, str ? str : "", str ? len : 0);
    }
    es = skc_dtype_size(dt);
    memcpy((char *)ddata + (size_t)di * es, (const char *)skc_tensor_data(src) + (size_t)si * es,
           es);
    return SKC_OK;
}

const skc_tensor *skco_in(const skc_step *s, const skc_tensor *const *in, int i)
{
    const skc_tensor *t;

    if (i < 0 || i >= s->n_inputs)
        return NULL;
    t = in[i];
    if (skc_tensor_dtype(t) == SKCO_ABSENT_DTYPE && skc_tensor_numel(t) == 0 &&
        skc_tensor_ndim(t) == 1)
        return NULL;
    return t;
}

int64_t skco_attr_i(const skc_step *s, const char *k, int64_t def)
{
    int64_t v;

    return skc_step_get_int(s, k, &v) == SKC_OK ? v : def;
}

double skco_attr_f(const skc_step *s, const char *k, double def)
{
    double v;

    return skc_step_get_float(s, k, &v) == SKC_OK ? v : def;
}

const char *skco_attr_s(const skc_step *s, const char *k, const char *def)
{
    const char *v;

    return skc_step_get_string(s, k, &v) == SKC_OK ? v : def;
}

const skc_tensor *skco_attr_t(const skc_step *s, const char *k)
{
    const skc_tensor *t;

    return skc_step_get_tensor(s, k, &t) == SKC_OK ? t : NULL;
}

int skco_attr_list(const skc_step *s, const char *k, int dtype, const skc_tensor **t,
                   char *err, size_t errlen)
{
    int rc = skc_step_get_tensor(s, k, t);

    if (rc == SKC_E_NOT_FOUND) {
        *t = NULL;
        return SKC_OK;
    }
    if (rc || skc_tensor_ndim(*t) != 1 || skc_tensor_dtype(*t) != dtype)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "attribute '%s' must be a list of %s",
                         k, skc_dtype_name(dtype));
    return SKC_OK;
}

int skco_ints(const skc_tensor *t, int64_t **v, int64_t *n)
{
    int64_t i, m = skc_tensor_numel(t);

    *v = malloc((size_t)(m ? m : 1) * sizeof(int64_t));
    if (!*v)
        return SKC_E_NOMEM;
    for (i = 0; i < m; i++)
        (*v)[i] = skco_geti(t, i);
    *n = m;
    return SKC_OK;
}

int skco_axis(const skc_step *s, int64_t a, int rank, int *out, char *err, size_t errlen)
{
    if (a < -(int64_t)rank || a >= rank)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "axis %lld is out of range for rank %d",
                         (long long)a, rank);
    *out = (int)(a < 0 ? a + rank : a);
    return SKC_OK;
}

void skco_strides(int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t acc = 1;
    int d;

    for (d = ndim - 1; d >= 0; d--) {
        stride[d] = acc;
        acc *= shape[d];
    }
}

int64_t skco_numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    int d;

    for (d = 0; d < ndim; d++)
        n *= shape[d];
    return n;
}

int skco_bcast_init(skco_bcast *b, int n, const skc_tensor *const *t, const skc_step *s,
                    char *err, size_t errlen)
{
    int k, d;

    memset(b, 0, sizeof(*b));
    b->n = n;
    for (k = 0; k < n; k++)
        if (skc_tensor_ndim(t[k]) > b->ndim)
            b->ndim = skc_tensor_ndim(t[k]);
    for (d = 0; d < b->ndim; d++)
        b->shape[d] = 1;
    /* numpy: align trailing axes; a size-1 axis stretches, any other size
     * must agree (0 included). */
    for (k = 0; k < n; k++) {
        int nd = skc_tensor_ndim(t[k]), off = b->ndim - nd;
        const int64_t *sh = skc_tensor_shape(t[k]);
        for (d = 0; d < nd; d++) {
            int64_t *o = &b->shape[off + d];
            if (sh[d] == *o || sh[d] == 1)
                continue;
            if (*o != 1)
                return skco_fail(err, errlen, s, SKC_E_INVAL,
                                 "shapes cannot be broadcast (axis %d: %lld vs %lld)",
                                 off + d, (long long)*o, (long long)sh[d]);
            *o = sh[d];
        }
    }
    b->numel = skco_numel(b->ndim, b->shape);
    for (k = 0; k < n; k++) {
        int nd = skc_tensor_ndim(t[k]), off = b->ndim - nd;
        const int64_t *sh = skc_tensor_shape(t[k]);
        int64_t st[SKC_MAX_DIMS];
        skco_strides(nd, sh, st);
        for (d = 0; d < nd; d++)
            b->stride[k][off + d] = sh[d] == 1 ? 0 : st[d];
    }
    return SKC_OK;
}

void skco_iter_init(skco_iter *it, const skco_bcast *b)
{
    memset(it, 0, sizeof(*it));
    it->b = b;
}

void skco_iter_next(skco_iter *it)
{
    const skco_bcast *b = it->b;
    int d, k;

    for (d = b->ndim - 1; d >= 0; d--) {
        it->idx[d]++;
        for (k = 0; k < b->n; k++)
            it->off[k] += b->stride[k][d];
        if (it->idx[d] < b->shape[d])
            return;
        for (k = 0; k < b->n; k++)
            it->off[k] -= b->stride[k][d] * b->shape[d];
        it->idx[d] = 0;
    }
}

double *skco_load(const skc_tensor *t)
{
    int64_t i, n = skc_tensor_numel(t);
    double *v = malloc((size_t)(n ? n : 1) * sizeof(double));
    const void *p = skc_tensor_data(t);

    if (!v)
        return NULL;
    switch (skc_tensor_dtype(t)) {
    case SKC_DT_F64:
        if (n)
            memcpy(v, p, (size_t)n * sizeof(double));
        break;
    case SKC_DT_F32:
        for (i = 0; i < n; i++)
            v[i] = ((const float *)p)[i];
        break;
    default:
        for (i = 0; i < n; i++)
            v[i] = skc_tensor_get_f64(t, i);
        break;
    }
    return v;
}

float skco_logistic_f(float v)
{
    float e = 1.0f / (1.0f + expf(-fabsf(v)));

    return v < 0 ? 1.0f - e : e;
}

/* ORT's ErfInv approximation (Winitzki), kept step for step in float. */
float skco_probit_f(float v)
{
    float x = 2.0f * v - 1.0f;
    float sgn = x < 0 ? -1.0f : 1.0f, lg, a, b, c;

    x = (1.0f - x) * (1.0f + x);
    lg = logf(x);
    a = 2.0f / (3.14159265358979323846f * 0.147f) + 0.5f * lg;
    b = 1.0f / 0.147f * lg;
    c = -a + sqrtf(a * a - b);
    return 1.41421356237309504880f * (sgn * sqrtf(c));
}
