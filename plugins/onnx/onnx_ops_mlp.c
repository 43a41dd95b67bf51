/* SPDX-License-Identifier: MIT */
/* onnx_ops_mlp.c: the IR `activation`, `modified_huber` and `constant` steps in standard ONNX ops (core/OPS.md). */
#include <string.h>

#include "onnx_writer.h"

/* One standard operator per function; all of them run in float and
 * double in ONNX Runtime. */
int onnx_emit_activation(onnx_builder *b, const skc_step *st)
{
    static const struct {
        const char *fn, *op;
    } map[] = {
        { "identity", "Identity" }, { "logistic", "Sigmoid" }, { "tanh", "Tanh" },
        { "relu", "Relu" }, { "exp", "Exp" },
    };
    const char *fn, *x, *out;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "function", &fn)) < 0)
        return rc;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].fn, fn) != 0)
            continue;
        if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
            (rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
            return rc;
        return onnx_node(b, map[i].op, NULL, &x, 1, &out, 1, NULL);
    }
    return onnx_error(b, SKC_E_UNSUPPORTED, "function '%s' is not one of identity, "
                      "logistic, tanh, relu, exp", fn);
}

/* q = (Clip(s, -1, 1) + 1) * 0.5 (halving is exact, as sklearn's / 2). */
static int onnx_huber_q(onnx_builder *b, const char *s, const char **q)
{
    const char *lo, *hi, *one, *half, *clipped, *shifted;
    int rc;

    if ((rc = onnx_const_scalar(b, "minus_one", -1.0, &lo)) < 0 ||
        (rc = onnx_const_scalar(b, "one", 1.0, &hi)) < 0 ||
        (rc = onnx_const_scalar(b, "one", 1.0, &one)) < 0 ||
        (rc = onnx_const_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_name_fresh(b, "clipped", &clipped)) < 0 ||
        (rc = onnx_name_fresh(b, "shifted", &shifted)) < 0 ||
        (rc = onnx_name_fresh(b, "q", q)) < 0)
        return rc;
    const char *clip_in[3] = { s, lo, hi };
    if ((rc = onnx_node(b, "Clip", NULL, clip_in, 3, &clipped, 1, NULL)) < 0)
        return rc;
    const char *add_in[2] = { clipped, one };
    if ((rc = onnx_node(b, "Add", NULL, add_in, 2, &shifted, 1, NULL)) < 0)
        return rc;
    const char *mul_in[2] = { shifted, half };
    return onnx_node(b, "Mul", NULL, mul_in, 2, q, 1, NULL);
}

int onnx_emit_modified_huber(onnx_builder *b, const skc_step *st)
{
    const char *mode, *s, *out, *q;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "mode", &mode)) < 0)
        return rc;
    int binary = strcmp(mode, "binary") == 0;
    if (!binary && strcmp(mode, "multiclass") != 0)
        return onnx_error(b, SKC_E_UNSUPPORTED, "mode '%s' is not one of binary, "
                          "multiclass", mode);
    if ((rc = onnx_step_real_input(b, st, 0, &s)) < 0 ||
        (rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0 ||
        (rc = onnx_huber_q(b, s, &q)) < 0)
        return rc;
    /* Multiclass rows are normalised by their sum, a row whose sum is 0
     * (every score <= -1) uniform, as sklearn's predict_proba does;
     * binary gives [1 - q, q]. */
    return binary ? onnx_binary_pair(b, q, out) : onnx_normalise_rows(b, q, out);
}

/* Expand(value, [N, C]) with N read from the input's shape: the rows are
 * the constant whatever X holds, NaN included (0 * X would not be). */
int onnx_emit_constant(onnx_builder *b, const skc_step *st)
{
    const char *x, *out, *val, *shape, *rows, *width, *start, *end;
    int64_t dims[1];
    double *v;
    int elem, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_reals(b, st, "value", 1, 1, dims, &v)) < 0 ||
        (rc = onnx_step_input(b, st, 0, &x, &elem)) < 0)
        return rc;
    const int64_t zero = 0, one = 1, one_dim = 1;
    if ((rc = onnx_const_real(b, "value", v, 1, dims, &val)) < 0 ||
        (rc = onnx_const_i64(b, "start", &zero, 1, &one_dim, &start)) < 0 ||
        (rc = onnx_const_i64(b, "end", &one, 1, &one_dim, &end)) < 0 ||
        (rc = onnx_const_i64(b, "width", dims, 1, &one_dim, &width)) < 0 ||
        (rc = onnx_name_fresh(b, "input_shape", &shape)) < 0 ||
        (rc = onnx_name_fresh(b, "rows", &rows)) < 0 ||
        (rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    if ((rc = onnx_node(b, "Shape", NULL, &x, 1, &shape, 1, NULL)) < 0)
        return rc;
    const char *sl_in[3] = { shape, start, end };
    if ((rc = onnx_node(b, "Slice", NULL, sl_in, 3, &rows, 1, NULL)) < 0)
        return rc;
    const char *target;
    Onnx__NodeProto *n;
    if ((rc = onnx_name_fresh(b, "out_shape", &target)) < 0)
        return rc;
    const char *cat_in[2] = { rows, width };
    if ((rc = onnx_node(b, "Concat", NULL, cat_in, 2, &target, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 0)) < 0)
        return rc;
    const char *ex_in[2] = { val, target };
    return onnx_node(b, "Expand", NULL, ex_in, 2, &out, 1, NULL);
}
