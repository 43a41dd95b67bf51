/* SPDX-License-Identifier: MIT */
/* ops.c: the registry of IR operations (one table per family file) and helpers they share. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

int skci_need_f64(const skc_step *s, const char *key, int ndim,
                  const skc_tensor **t, char *err, size_t errlen)
{
    if (skc_step_get_tensor(s, key, t) != SKC_OK) {
        skci_errf(err, errlen, "step '%s' lacks tensor attribute '%s'", s->op, key);
        return SKC_E_FORMAT;
    }
    if (skc_tensor_dtype(*t) != SKC_DT_F64 || skc_tensor_ndim(*t) != ndim) {
        skci_errf(err, errlen, "step '%s': attribute '%s' must be a %d-D float64 tensor",
                  s->op, key, ndim);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

int skci_new_matrix(int64_t rows, int64_t cols, skc_tensor **out)
{
    int64_t shape[2] = { rows, cols };

    return skc_tensor_new(SKC_DT_F64, 2, shape, out);
}

int64_t skci_rows(const skc_tensor *t) { return skc_tensor_shape(t)[0]; }

int64_t skci_cols(const skc_tensor *t)
{
    return skc_tensor_ndim(t) >= 2 ? skc_tensor_shape(t)[1] : 1;
}

/* One table per family; a new family adds its file and one line here. */
static const skci_op *const ops_tables[] = {
    skci_ops_basic,
    skci_ops_tree,
    skci_ops_mlp,
    skci_ops_cluster,
    skci_ops_prep,
    skci_ops_encode,
    skci_ops_svm,
    skci_ops_neighbors,
    skci_ops_bayes,
    skci_ops_compose,
    skci_ops_text,
    skci_ops_onnx,
    skci_ops_onnxml,
    skci_ops_onnx_text,
};

const skci_op *skci_op_find(const char *name)
{
    size_t t;
    const skci_op *op;

    if (!name)
        return NULL;
    for (t = 0; t < sizeof(ops_tables) / sizeof(ops_tables[0]); t++)
        for (op = ops_tables[t]; op->name; op++)
            if (strcmp(op->name, name) == 0)
                return op;
    return NULL;
}

int skc_op_known(const char *op)
{
    return skci_op_find(op) != NULL;
}
