/* SPDX-License-Identifier: MIT */
/* onnx_ops_scaler.c: the IR `scaler` and `clip` steps as standard ONNX arithmetic (core/OPS.md). */
#include <math.h>

#include "onnx_writer.h"

static int onnx_all_equal(const double *v, int64_t n, double x)
{
    for (int64_t i = 0; i < n; i++)
        if (!(v[i] == x))
            return 0;
    return 1;
}

/* Sub, Mul (Div for a `divisor`) and Add rather than ai.onnx.ml.Scaler:
 * Scaler has no bias, only float attributes and always multiplies, while
 * these run in float and double alike and divide where sklearn divides. A
 * stage whose constant changes nothing (offset 0, factor 1, bias 0) is
 * left out; the arithmetic is unchanged by it, NaN included. */
int onnx_emit_scaler(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *dv;
    int divide = skc_step_get_tensor(st, "divisor", &dv) == SKC_OK;
    const char *const ops[3] = { "Sub", divide ? "Div" : "Mul", "Add" };
    const char *const keys[3] = { "offset", divide ? "divisor" : "scale", "bias" };
    static const char *const stages[3] = { "centred", "scaled", "shifted" };
    static const double neutral[3] = { 0.0, 1.0, 0.0 };
    double *v[3] = { NULL, NULL, NULL };
    int64_t dims[3][1] = { { 0 }, { 0 }, { 0 } };
    int used[3] = { 0, 0, 0 }, n_used = 0;
    const char *cur, *out;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    for (int k = 0; k < 3; k++) {
        rc = onnx_step_reals(b, st, keys[k], k < 2, 1, dims[k], &v[k]);
        if (rc == SKC_E_NOT_FOUND)
            continue;  /* only bias is optional */
        if (rc < 0)
            return rc;
        if (dims[k][0] != dims[0][0])
            return onnx_error(b, SKC_E_FORMAT, "'%s' has %lld values, 'offset' %lld",
                              keys[k], (long long)dims[k][0],
                              (long long)dims[0][0]);
        used[k] = !onnx_all_equal(v[k], dims[k][0], neutral[k]);
        n_used += used[k];
    }
    if ((rc = onnx_step_real_input(b, st, 0, &cur)) < 0)
        return rc;
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    if (n_used == 0)
        return onnx_node(b, "Identity", NULL, &cur, 1, &out, 1, NULL);

    for (int k = 0; k < 3; k++) {
        const char *c, *next = out;
        if (!used[k])
            continue;
        if ((rc = onnx_const_real(b, keys[k], v[k], 1, dims[k], &c)) < 0)
            return rc;
        if (--n_used > 0 && (rc = onnx_name_fresh(b, stages[k], &next)) < 0)
            return rc;
        const char *in[2] = { cur, c };
        if ((rc = onnx_node(b, ops[k], NULL, in, 2, &next, 1, NULL)) < 0)
            return rc;
        cur = next;
    }
    return 0;
}

/* Clip with scalar bounds; an absent bound is an absent optional input
 * (ONNX Clip-11 and later), which Clip treats as unbounded. */
int onnx_emit_clip(onnx_builder *b, const skc_step *st)
{
    static const char *const keys[2] = { "min", "max" };
    const char *in[3] = { NULL, "", "" };
    const char *out;
    size_t n_in = 1;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if ((rc = onnx_step_real_input(b, st, 0, &in[0])) < 0)
        return rc;
    for (int k = 0; k < 2; k++) {
        double bound;
        rc = skc_step_get_float(st, keys[k], &bound);
        if (rc == SKC_E_NOT_FOUND)
            continue;
        if (rc < 0)
            return onnx_error(b, SKC_E_FORMAT, "attribute '%s' is not a float",
                              keys[k]);
        if (isnan(bound))
            return onnx_error(b, SKC_E_FORMAT, "attribute '%s' is NaN", keys[k]);
        if ((rc = onnx_const_scalar(b, keys[k], bound, &in[k + 1])) < 0)
            return rc;
        n_in = (size_t)k + 2;
    }
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    if (n_in == 1)
        return onnx_node(b, "Identity", NULL, in, 1, &out, 1, NULL);
    return onnx_node(b, "Clip", NULL, in, n_in, &out, 1, NULL);
}
