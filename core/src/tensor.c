/* SPDX-License-Identifier: MIT */
/* tensor.c: reference-counted typed n-d arrays, owned or wrapping borrowed memory. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

struct skc_tensor {
    int refs;
    int dtype;
    int ndim;
    int64_t shape[SKC_MAX_DIMS];
    int64_t numel;
    void *data;                  /* numeric data or char *[numel] for strings */
    int borrowed;                /* data belongs to someone else */
    int attached;                /* a model's attribute (skci_tensor_attach) */
    void (*release)(void *);
    void *release_user;
};

/* Counts writes into tensors that models hold, so that a model's recorded
 * check (model.h) is redone after one: a caller keeps its own reference
 * to an attribute and may write into it later. */
static atomic_uint_fast64_t tensor_epoch;

size_t skc_dtype_size(int dtype)
{
    switch (dtype) {
    case SKC_DT_F32: case SKC_DT_I32: case SKC_DT_U32: return 4;
    case SKC_DT_F64: case SKC_DT_I64: return 8;
    case SKC_DT_U8: case SKC_DT_BOOL: return 1;
    default: return 0;
    }
}

const char *skc_dtype_name(int dtype)
{
    switch (dtype) {
    case SKC_DT_F32: return "float32";
    case SKC_DT_F64: return "float64";
    case SKC_DT_I64: return "int64";
    case SKC_DT_STRING: return "string";
    case SKC_DT_I32: return "int32";
    case SKC_DT_U8: return "uint8";
    case SKC_DT_BOOL: return "bool";
    case SKC_DT_U32: return "uint32";
    default: return "none";
    }
}

static int tensor_shape_ok(int dtype, int ndim, const int64_t *shape, int64_t *numel)
{
    int64_t n = 1;
    int i;
    size_t es = dtype == SKC_DT_STRING ? sizeof(char *) : skc_dtype_size(dtype);

    if (es == 0 || ndim < 0 || ndim > SKC_MAX_DIMS || (ndim && !shape))
        return SKC_E_INVAL;
    for (i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return SKC_E_INVAL;
        if (shape[i] && n > INT64_MAX / shape[i])
            return SKC_E_LIMIT;
        n *= shape[i];
    }
    if ((uint64_t)n > SIZE_MAX / es)
        return SKC_E_LIMIT;
    *numel = n;
    return SKC_OK;
}

static skc_tensor *tensor_head(int dtype, int ndim, const int64_t *shape, int64_t numel)
{
    skc_tensor *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->refs = 1;
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim)
        memcpy(t->shape, shape, (size_t)ndim * sizeof(int64_t));
    t->numel = numel;
    return t;
}

int skc_tensor_new(int dtype, int ndim, const int64_t *shape, skc_tensor **out)
{
    int64_t numel;
    skc_tensor *t;
    size_t es;
    int rc;

    if (!out)
        return SKC_E_INVAL;
    rc = tensor_shape_ok(dtype, ndim, shape, &numel);
    if (rc)
        return rc;
    t = tensor_head(dtype, ndim, shape, numel);
    if (!t)
        return SKC_E_NOMEM;
    es = dtype == SKC_DT_STRING ? sizeof(char *) : skc_dtype_size(dtype);
    t->data = calloc(numel ? (size_t)numel : 1, es);
    if (!t->data) {
        free(t);
        return SKC_E_NOMEM;
    }
    *out = t;
    return SKC_OK;
}

int skc_tensor_wrap(int dtype, int ndim, const int64_t *shape, const void *data,
                    void (*release)(void *), void *release_user, skc_tensor **out)
{
    int64_t numel;
    skc_tensor *t;
    int rc;

    if (!out || dtype == SKC_DT_STRING || (!data && ndim))
        return SKC_E_INVAL;
    rc = tensor_shape_ok(dtype, ndim, shape, &numel);
    if (rc)
        return rc;
    t = tensor_head(dtype, ndim, shape, numel);
    if (!t)
        return SKC_E_NOMEM;
    t->data = (void *)(uintptr_t)data;
    t->borrowed = 1;
    t->release = release;
    t->release_user = release_user;
    *out = t;
    return SKC_OK;
}

int skci_tensor_borrowed(const skc_tensor *t)
{
    return t && t->borrowed;
}

void skci_tensor_attach(skc_tensor *t)
{
    if (t)
        t->attached = 1;
}

uint64_t skci_tensor_epoch(void)
{
    return (uint64_t)atomic_load(&tensor_epoch);
}

static void tensor_written(const skc_tensor *t)
{
    if (t->attached)
        atomic_fetch_add(&tensor_epoch, 1);
}

int skc_tensor_from_f64(const double *v, int64_t n, skc_tensor **out)
{
    int rc = skc_tensor_new(SKC_DT_F64, 1, &n, out);

    if (rc == SKC_OK && n)
        memcpy((*out)->data, v, (size_t)n * sizeof(double));
    return rc;
}

int skc_tensor_from_i64(const int64_t *v, int64_t n, skc_tensor **out)
{
    int rc = skc_tensor_new(SKC_DT_I64, 1, &n, out);

    if (rc == SKC_OK && n)
        memcpy((*out)->data, v, (size_t)n * sizeof(int64_t));
    return rc;
}

skc_tensor *skc_tensor_ref(skc_tensor *t)
{
    if (t)
        t->refs++;
    return t;
}

static void tensor_drop_data(skc_tensor *t)
{
    int64_t i;

    if (t->borrowed) {
        if (t->release)
            t->release(t->release_user);
    } else if (t->dtype == SKC_DT_STRING) {
        for (i = 0; i < t->numel; i++)
            free(((char **)t->data)[i]);
        free(t->data);
    } else {
        free(t->data);
    }
}

void skc_tensor_free(skc_tensor *t)
{
    if (!t || --t->refs > 0)
        return;
    tensor_drop_data(t);
    free(t);
}

int skc_tensor_dtype(const skc_tensor *t) { return t ? t->dtype : SKC_DT_NONE; }
int skc_tensor_ndim(const skc_tensor *t) { return t ? t->ndim : 0; }
const int64_t *skc_tensor_shape(const skc_tensor *t) { return t ? t->shape : NULL; }
int64_t skc_tensor_numel(const skc_tensor *t) { return t ? t->numel : 0; }

size_t skc_tensor_nbytes(const skc_tensor *t)
{
    return t ? (size_t)t->numel * skc_dtype_size(t->dtype) : 0;
}

const void *skc_tensor_data(const skc_tensor *t)
{
    return t && t->dtype != SKC_DT_STRING ? t->data : NULL;
}

void *skc_tensor_data_mut(skc_tensor *t)
{
    void *copy;
    size_t n;

    if (!t || t->dtype == SKC_DT_STRING)
        return NULL;
    tensor_written(t);
    if (t->borrowed) {
        n = skc_tensor_nbytes(t);
        copy = malloc(n ? n : 1);
        if (!copy)
            return NULL;
        if (n)
            memcpy(copy, t->data, n);
        if (t->release)
            t->release(t->release_user);
        t->data = copy;
        t->borrowed = 0;
        t->release = NULL;
    }
    return t->data;
}

int skc_tensor_set_string(skc_tensor *t, int64_t i, const char *s, size_t len)
{
    char *c, **slots;

    if (!t || t->dtype != SKC_DT_STRING || i < 0 || i >= t->numel || (!s && len))
        return SKC_E_INVAL;
    tensor_written(t);
    c = malloc(len + 1);
    if (!c)
        return SKC_E_NOMEM;
    if (len)
        memcpy(c, s, len);
    c[len] = '\0';
    slots = t->data;
    free(slots[i]);
    slots[i] = c;
    return SKC_OK;
}

const char *skc_tensor_string(const skc_tensor *t, int64_t i, size_t *len)
{
    const char *s;

    if (!t || t->dtype != SKC_DT_STRING || i < 0 || i >= t->numel)
        return NULL;
    s = ((char *const *)t->data)[i];
    if (!s)
        s = "";
    if (len)
        *len = strlen(s);
    return s;
}

double skc_tensor_get_f64(const skc_tensor *t, int64_t i)
{
    if (!t || i < 0 || i >= t->numel)
        return NAN;
    switch (t->dtype) {
    case SKC_DT_F32: return ((const float *)t->data)[i];
    case SKC_DT_F64: return ((const double *)t->data)[i];
    case SKC_DT_I64: return (double)((const int64_t *)t->data)[i];
    case SKC_DT_I32: return ((const int32_t *)t->data)[i];
    case SKC_DT_U32: return ((const uint32_t *)t->data)[i];
    case SKC_DT_U8: case SKC_DT_BOOL: return ((const uint8_t *)t->data)[i];
    default: return NAN;
    }
}
