/* SPDX-License-Identifier: MIT */
/* onnx_ops_linear.c: the IR `linear` step (S = X coef^T + intercept) as MatMul and Add (core/OPS.md). */
#include "onnx_writer.h"

/* MatMul + Add rather than ai.onnx.ml.LinearRegressor/LinearClassifier:
 * those have float attributes only, while MatMul runs in double too, and
 * skl2onnx makes the same choice for double inputs (research/PEERS.md §1.2). */
int onnx_emit_linear(onnx_builder *b, const skc_step *st)
{
    int64_t cdims[2], idims[1];
    double *coef, *icpt;
    const char *x, *w, *out;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if ((rc = onnx_step_reals(b, st, "coef", 1, 2, cdims, &coef)) < 0)
        return rc;
    if ((rc = onnx_step_reals(b, st, "intercept", 1, 1, idims, &icpt)) < 0)
        return rc;
    const int64_t t = cdims[0], f = cdims[1];
    if (idims[0] != t)
        return onnx_error(b, SKC_E_FORMAT, "'intercept' has %lld values for %lld "
                          "rows of 'coef'", (long long)idims[0], (long long)t);

    /* MatMul wants [F, T]; transposing here costs nothing at run time. */
    double *wt = onnx_arena_alloc(b->arena, (size_t)(t * f), sizeof(*wt));
    if (!wt)
        return SKC_E_NOMEM;
    for (int64_t i = 0; i < t; i++)
        for (int64_t j = 0; j < f; j++)
            wt[j * t + i] = coef[i * f + j];
    const int64_t wdims[2] = { f, t };

    int has_icpt = 0;
    for (int64_t i = 0; i < t; i++)
        has_icpt |= !(icpt[i] == 0.0);

    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    if ((rc = onnx_const_real(b, "coef", wt, 2, wdims, &w)) < 0)
        return rc;
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    const char *mm = out;
    if (has_icpt && (rc = onnx_name_fresh(b, "matmul", &mm)) < 0)
        return rc;
    const char *mm_in[2] = { x, w };
    if ((rc = onnx_node(b, "MatMul", NULL, mm_in, 2, &mm, 1, NULL)) < 0)
        return rc;
    if (!has_icpt)
        return 0;

    const char *c;
    if ((rc = onnx_const_real(b, "intercept", icpt, 1, idims, &c)) < 0)
        return rc;
    const char *add_in[2] = { mm, c };
    return onnx_node(b, "Add", NULL, add_in, 2, &out, 1, NULL);
}
