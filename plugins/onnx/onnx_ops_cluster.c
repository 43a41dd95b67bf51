/* SPDX-License-Identifier: MIT */
/* onnx_ops_cluster.c: the IR `kmeans` step (nearest centre and distances) in standard ONNX ops (core/OPS.md). */
#include "onnx_writer.h"

/* Squared distances from differences, X[N,1,F] - C[1,K,F] summed over F,
 * rather than sklearn's expansion |x|^2 - 2 x.c + |c|^2: in float32 the
 * expansion loses most digits to cancellation when a row lies near a
 * centre far from the origin (skl2onnx's choice), while differences keep
 * the distance to a few ulps. In double both agree with sklearn far
 * inside the 1e-9 tolerance. ArgMin keeps the first index on ties, as
 * KMeans.predict does. */
int onnx_emit_kmeans(onnx_builder *b, const skc_step *st)
{
    const char *x, *cen, *ax1, *ax2, *xu, *diff, *sq, *d2, *lab, *scores;
    int64_t dims[2];
    double *c;
    Onnx__NodeProto *n;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 2)) < 0 ||
        (rc = onnx_step_reals(b, st, "centers", 1, 2, dims, &c)) < 0)
        return rc;
    const int64_t cdims[3] = { 1, dims[0], dims[1] }, one_dim = 1;
    const int64_t one = 1, two = 2;
    int64_t f32 = 0;
    rc = skc_step_get_int(st, "float32", &f32);
    if (rc < 0 && rc != SKC_E_NOT_FOUND)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'float32' is not an int");
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = onnx_const_real(b, "centers", c, 3, cdims, &cen)) < 0 ||
        (rc = onnx_const_i64(b, "axis1", &one, 1, &one_dim, &ax1)) < 0 ||
        (rc = onnx_const_i64(b, "axis2", &two, 1, &one_dim, &ax2)) < 0 ||
        (rc = onnx_name_fresh(b, "x_rows", &xu)) < 0 ||
        (rc = onnx_name_fresh(b, "diff", &diff)) < 0 ||
        (rc = onnx_name_fresh(b, "diff_sq", &sq)) < 0 ||
        (rc = onnx_name_fresh(b, "sq_dist", &d2)) < 0 ||
        (rc = onnx_step_output(b, st, 0, ONNX_ELEM_INT64, &lab)) < 0 ||
        (rc = onnx_step_output(b, st, 1, b->real_elem, &scores)) < 0)
        return rc;
    /* Rows for a float32 model are float32 numbers, as sklearn takes them. */
    if (f32 && b->real_elem != ONNX_ELEM_FLOAT) {
        const char *xf;
        if ((rc = onnx_cast_to(b, x, b->real_elem, ONNX_ELEM_FLOAT, &xf)) < 0 ||
            (rc = onnx_cast_to(b, xf, ONNX_ELEM_FLOAT, b->real_elem, &x)) < 0)
            return rc;
    }
    /* Unsqueeze-13 and ReduceSum-13 take their axes as inputs. */
    const char *un_in[2] = { x, ax1 };
    if ((rc = onnx_node(b, "Unsqueeze", NULL, un_in, 2, &xu, 1, NULL)) < 0)
        return rc;
    const char *sub_in[2] = { xu, cen };
    if ((rc = onnx_node(b, "Sub", NULL, sub_in, 2, &diff, 1, NULL)) < 0)
        return rc;
    const char *mul_in[2] = { diff, diff };
    if ((rc = onnx_node(b, "Mul", NULL, mul_in, 2, &sq, 1, NULL)) < 0)
        return rc;
    const char *rs_in[2] = { sq, ax2 };
    if ((rc = onnx_node(b, "ReduceSum", NULL, rs_in, 2, &d2, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 0)) < 0)
        return rc;
    if ((rc = onnx_node(b, "ArgMin", NULL, &d2, 1, &lab, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 0)) < 0)
        return rc;
    if (!f32 || b->real_elem == ONNX_ELEM_FLOAT)
        return onnx_node(b, "Sqrt", NULL, &d2, 1, &scores, 1, NULL);
    /* Fitted on float32 (OPS.md): a float32 square root of the float32
     * squared distance, widened again for the double output. */
    const char *d2f, *df;
    if ((rc = onnx_cast_to(b, d2, b->real_elem, ONNX_ELEM_FLOAT, &d2f)) < 0 ||
        (rc = onnx_name_fresh(b, "dist_f32", &df)) < 0 ||
        (rc = onnx_node(b, "Sqrt", NULL, &d2f, 1, &df, 1, NULL)) < 0)
        return rc;
    if ((rc = onnx_node(b, "Cast", NULL, &df, 1, &scores, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "to", b->real_elem);
}
