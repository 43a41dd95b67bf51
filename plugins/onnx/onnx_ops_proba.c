/* SPDX-License-Identifier: MIT */
/* onnx_ops_proba.c: the IR `proba` step (decision scores to probabilities) in standard ONNX ops (core/OPS.md). */
#include <string.h>

#include "onnx_writer.h"

/* P = [1 - p, p] from the positive-class column p [N, 1]. */
int onnx_binary_pair(onnx_builder *b, const char *p, const char *out)
{
    const char *q, *one;
    Onnx__NodeProto *n;
    int rc;
    if ((rc = onnx_name_fresh(b, "p0", &q)) < 0 ||
        (rc = onnx_const_scalar(b, "one", 1.0, &one)) < 0)
        return rc;
    const char *sub_in[2] = { one, p };
    if ((rc = onnx_node(b, "Sub", NULL, sub_in, 2, &q, 1, NULL)) < 0)
        return rc;
    const char *cat_in[2] = { q, p };
    if ((rc = onnx_node(b, "Concat", NULL, cat_in, 2, &out, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "axis", 1);
}

/* p = Sigmoid(s); P = [1 - p, p]. */
static int onnx_proba_binary(onnx_builder *b, const char *s, const char *out)
{
    const char *p;
    int rc;
    if ((rc = onnx_name_fresh(b, "p1", &p)) < 0 ||
        (rc = onnx_node(b, "Sigmoid", NULL, &s, 1, &p, 1, NULL)) < 0)
        return rc;
    return onnx_binary_pair(b, p, out);
}

/* Softmax-13 normalises along one axis (earlier versions flattened from
 * it), which is the per-row softmax OPS.md asks for. */
static int onnx_proba_softmax(onnx_builder *b, const char *s, const char *out)
{
    Onnx__NodeProto *n;
    int rc = onnx_node(b, "Softmax", NULL, &s, 1, &out, 1, &n);
    if (rc < 0)
        return rc;
    return onnx_attr_int(b, n, "axis", 1);
}

/* P = q / sum(q) per row, or 1/K where the sum is 0, as the reference
 * evaluator defines it. K is not known here, so rows whose sum is 0 have
 * q replaced by ones before the division: that gives exactly 1/K and
 * leaves every other row alone. */
int onnx_normalise_rows(onnx_builder *b, const char *q, const char *out)
{
    const char *sum, *zero, *one, *is_zero, *q2, *sum2, *axes;
    Onnx__NodeProto *n;
    int rc;
    const int64_t axis1 = 1, one_dim = 1;
    if ((rc = onnx_name_fresh(b, "q_sum", &sum)) < 0 ||
        (rc = onnx_name_fresh(b, "q_sum_is_zero", &is_zero)) < 0 ||
        (rc = onnx_name_fresh(b, "q_safe", &q2)) < 0 ||
        (rc = onnx_name_fresh(b, "q_safe_sum", &sum2)) < 0 ||
        (rc = onnx_const_i64(b, "axes", &axis1, 1, &one_dim, &axes)) < 0 ||
        (rc = onnx_const_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_const_scalar(b, "one", 1.0, &one)) < 0)
        return rc;
    /* ReduceSum-13 takes the axes as an input, not an attribute. */
    const char *rs_in[2] = { q, axes };
    if ((rc = onnx_node(b, "ReduceSum", NULL, rs_in, 2, &sum, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 1)) < 0)
        return rc;
    const char *eq_in[2] = { sum, zero };
    if ((rc = onnx_node(b, "Equal", NULL, eq_in, 2, &is_zero, 1, NULL)) < 0)
        return rc;
    const char *where_in[3] = { is_zero, one, q };
    if ((rc = onnx_node(b, "Where", NULL, where_in, 3, &q2, 1, NULL)) < 0)
        return rc;
    const char *rs2_in[2] = { q2, axes };
    if ((rc = onnx_node(b, "ReduceSum", NULL, rs2_in, 2, &sum2, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 1)) < 0)
        return rc;
    const char *div_in[2] = { q2, sum2 };
    return onnx_node(b, "Div", NULL, div_in, 2, &out, 1, NULL);
}

/* q = Sigmoid(s); P = q / sum(q) (onnx_normalise_rows). */
static int onnx_proba_ovr(onnx_builder *b, const char *s, const char *out)
{
    const char *q;
    int rc;
    if ((rc = onnx_name_fresh(b, "q", &q)) < 0 ||
        (rc = onnx_node(b, "Sigmoid", NULL, &s, 1, &q, 1, NULL)) < 0)
        return rc;
    return onnx_normalise_rows(b, q, out);
}

int onnx_emit_proba(onnx_builder *b, const skc_step *st)
{
    const char *mode, *s, *out;
    int rc;
    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "mode", &mode)) < 0)
        return rc;
    int binary = strcmp(mode, "logistic_binary") == 0;
    int softmax = strcmp(mode, "softmax") == 0;
    int ovr = strcmp(mode, "logistic_ovr") == 0;
    if (!binary && !softmax && !ovr)
        return onnx_error(b, SKC_E_UNSUPPORTED, "mode '%s' is not one of "
                          "logistic_binary, softmax, logistic_ovr", mode);

    if ((rc = onnx_step_real_input(b, st, 0, &s)) < 0 ||
        (rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    if (binary)
        return onnx_proba_binary(b, s, out);
    if (softmax)
        return onnx_proba_softmax(b, s, out);
    return onnx_proba_ovr(b, s, out);
}
