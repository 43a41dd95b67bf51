/* SPDX-License-Identifier: MIT */
/* onnx_step.c: reads an IR step's inputs, outputs and attributes for the op emitters, checking each one. */
#include <string.h>

#include "onnx_writer.h"

int onnx_step_arity(onnx_builder *b, const skc_step *st, int n_in, int n_out)
{
    int ni = skc_step_input_count(st), no = skc_step_output_count(st);
    if (ni != n_in || no != n_out)
        return onnx_error(b, SKC_E_FORMAT,
                          "expected %d input(s) and %d output(s), got %d and %d",
                          n_in, n_out, ni, no);
    return 0;
}

int onnx_step_input(onnx_builder *b, const skc_step *st, int i,
                    const char **name, int *elem)
{
    const char *ir = skc_step_input(st, i);
    if (!ir)
        return onnx_error(b, SKC_E_FORMAT, "input %d is missing", i);
    return onnx_name_lookup(b, ir, name, elem);
}

int onnx_step_real_input(onnx_builder *b, const skc_step *st, int i,
                         const char **name)
{
    const char *n;
    int elem, rc;
    if ((rc = onnx_step_input(b, st, i, &n, &elem)) < 0)
        return rc;
    /* Integer and bool columns are cast like sklearn's check_array does;
     * the numeric columns of a string X are read as numbers by Cast
     * (core/OPS.md "String inputs"). */
    return onnx_cast_to(b, n, elem, b->real_elem, name);
}

int onnx_step_output(onnx_builder *b, const skc_step *st, int i, int elem,
                     const char **name)
{
    const char *ir = skc_step_output(st, i);
    if (!ir)
        return onnx_error(b, SKC_E_FORMAT, "output %d is missing", i);
    return onnx_name_define(b, ir, elem, name);
}

int onnx_step_string(onnx_builder *b, const skc_step *st, const char *key,
                     const char **out)
{
    int rc = skc_step_get_string(st, key, out);
    if (rc == SKC_E_NOT_FOUND)
        return onnx_error(b, SKC_E_FORMAT, "attribute '%s' is missing", key);
    if (rc < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute '%s' is not a string", key);
    return 0;
}

int onnx_step_reals(onnx_builder *b, const skc_step *st, const char *key,
                    int required, int ndim, int64_t *dims, double **out)
{
    const skc_tensor *t;
    int rc = skc_step_get_tensor(st, key, &t);
    if (rc == SKC_E_NOT_FOUND && !required)
        return rc;
    if (rc == SKC_E_NOT_FOUND)
        return onnx_error(b, SKC_E_FORMAT, "attribute '%s' is missing", key);
    if (rc < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute '%s' is not a tensor", key);
    int dt = skc_tensor_dtype(t);
    if (dt == SKC_DT_STRING || dt == SKC_DT_NONE)
        return onnx_error(b, SKC_E_FORMAT, "attribute '%s' is %s, not numeric",
                          key, skc_dtype_name(dt));
    if (skc_tensor_ndim(t) != ndim)
        return onnx_error(b, SKC_E_FORMAT, "attribute '%s' has %d dimension(s), "
                          "expected %d", key, skc_tensor_ndim(t), ndim);
    const int64_t *shape = skc_tensor_shape(t);
    for (int d = 0; d < ndim; d++)
        dims[d] = shape[d];
    int64_t n = skc_tensor_numel(t);
    if (n < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute '%s' has a bad size", key);
    double *v = onnx_arena_alloc(b->arena, (size_t)n, sizeof(*v));
    if (!v)
        return SKC_E_NOMEM;
    for (int64_t i = 0; i < n; i++)
        v[i] = skc_tensor_get_f64(t, i);
    *out = v;
    return 0;
}
