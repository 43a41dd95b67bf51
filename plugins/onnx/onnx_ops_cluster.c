/* SPDX-License-Identifier: MIT */
/* onnx_ops_cluster.c: the IR `kmeans` step (nearest centre and distances) in standard ONNX ops (core/OPS.md). */
#include "onnx_writer.h"

/* The step in double whatever the target type, with sklearn's expansion
 * |x|^2 - 2 x.c + |c|^2 in sklearn's order: KMeans computes in float64,
 * and the nearest centre is a discrete decision that float32 arithmetic
 * gets wrong on rows far from the origin (squared distances overflow past
 * 1.8e19, and centres stop being told apart long before). Inputs and the
 * `scores` output keep the target type; `label` is int64. */
static int onnx_kmeans_double(onnx_builder *b, const skc_step *st, int out_elem)
{
    const char *x, *ct, *cc, *m2s, *zero, *axes, *dot, *m2, *v, *sq, *xx, *d2a, *d2,
               *d2p, *lab, *scores;
    int64_t dims[2], f32 = 0;
    double *c;
    Onnx__NodeProto *n;
    int elem, rc;

    if ((rc = onnx_step_arity(b, st, 1, 2)) < 0 ||
        (rc = onnx_step_reals(b, st, "centers", 1, 2, dims, &c)) < 0)
        return rc;
    rc = skc_step_get_int(st, "float32", &f32);
    if (rc < 0 && rc != SKC_E_NOT_FOUND)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'float32' is not an int");
    const int64_t k = dims[0], f = dims[1], tdims[2] = { f, k }, one_dim = 1, axis1 = 1;
    double *cT = onnx_arena_alloc(b->arena, (size_t)(k * f), sizeof(*cT));
    double *norms = onnx_arena_alloc(b->arena, (size_t)k, sizeof(*norms));
    if (!cT || !norms)
        return SKC_E_NOMEM;
    /* |c|^2 summed in f order, as the reference evaluator does. */
    for (int64_t j = 0; j < k; j++) {
        norms[j] = 0.0;
        for (int64_t i = 0; i < f; i++) {
            cT[i * k + j] = c[j * f + i];
            norms[j] += c[j * f + i] * c[j * f + i];
        }
    }
    if ((rc = onnx_step_input(b, st, 0, &x, &elem)) < 0)
        return rc;
    if (elem == ONNX_ELEM_STRING)
        return onnx_error(b, SKC_E_FORMAT, "input holds strings, not numbers");
    /* A model fitted on float32 takes float32 rows (OPS.md). */
    if (f32 && (rc = onnx_cast_to(b, x, elem, ONNX_ELEM_FLOAT, &x)) < 0)
        return rc;
    if ((rc = onnx_cast_to(b, x, f32 ? ONNX_ELEM_FLOAT : elem, ONNX_ELEM_DOUBLE, &x)) < 0 ||
        (rc = onnx_const_real(b, "centers_t", cT, 2, tdims, &ct)) < 0 ||
        (rc = onnx_const_real(b, "center_norms", norms, 1, &k, &cc)) < 0 ||
        (rc = onnx_const_scalar(b, "minus_two", -2.0, &m2s)) < 0 ||
        (rc = onnx_const_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_const_i64(b, "axes", &axis1, 1, &one_dim, &axes)) < 0 ||
        (rc = onnx_name_fresh(b, "dot", &dot)) < 0 ||
        (rc = onnx_name_fresh(b, "minus_2dot", &m2)) < 0 ||
        (rc = onnx_name_fresh(b, "label_key", &v)) < 0 ||
        (rc = onnx_name_fresh(b, "x_sq", &sq)) < 0 ||
        (rc = onnx_name_fresh(b, "x_norm", &xx)) < 0 ||
        (rc = onnx_name_fresh(b, "d2_partial", &d2a)) < 0 ||
        (rc = onnx_name_fresh(b, "d2", &d2)) < 0 ||
        (rc = onnx_name_fresh(b, "d2_pos", &d2p)) < 0 ||
        (rc = onnx_step_output(b, st, 0, ONNX_ELEM_INT64, &lab)) < 0 ||
        (rc = onnx_step_output(b, st, 1, out_elem, &scores)) < 0)
        return rc;
    const char *mm_in[2] = { x, ct }, *mul_in[2] = { dot, m2s }, *key_in[2] = { m2, cc };
    if ((rc = onnx_node(b, "MatMul", NULL, mm_in, 2, &dot, 1, NULL)) < 0 ||
        (rc = onnx_node(b, "Mul", NULL, mul_in, 2, &m2, 1, NULL)) < 0 ||
        (rc = onnx_node(b, "Add", NULL, key_in, 2, &v, 1, NULL)) < 0)
        return rc;
    /* predict(): the first argmin of |c|^2 - 2 x.c (ArgMin keeps the first). */
    if ((rc = onnx_node(b, "ArgMin", NULL, &v, 1, &lab, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 0)) < 0)
        return rc;
    /* transform(): (-2 x.c + |x|^2) + |c|^2, clipped at 0; ReduceSum-13
     * takes its axes as an input. */
    const char *sq_in[2] = { x, x }, *rs_in[2] = { sq, axes };
    const char *a1_in[2] = { m2, xx }, *a2_in[2] = { d2a, cc };
    if ((rc = onnx_node(b, "Mul", NULL, sq_in, 2, &sq, 1, NULL)) < 0 ||
        (rc = onnx_node(b, "ReduceSum", NULL, rs_in, 2, &xx, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 1)) < 0 ||
        (rc = onnx_node(b, "Add", NULL, a1_in, 2, &d2a, 1, NULL)) < 0 ||
        (rc = onnx_node(b, "Add", NULL, a2_in, 2, &d2, 1, NULL)) < 0)
        return rc;
    /* sklearn's float32 path stores d^2 as float32 before the clip and a
     * float32 sqrt. */
    const char *d2w = d2, *root;
    int work = ONNX_ELEM_DOUBLE;
    if (f32) {
        if ((rc = onnx_cast_to(b, d2, ONNX_ELEM_DOUBLE, ONNX_ELEM_FLOAT, &d2w)) < 0)
            return rc;
        work = ONNX_ELEM_FLOAT;
        if ((rc = onnx_cast_to(b, zero, ONNX_ELEM_DOUBLE, ONNX_ELEM_FLOAT, &zero)) < 0)
            return rc;
    }
    const char *max_in[2] = { d2w, zero };
    if ((rc = onnx_node(b, "Max", NULL, max_in, 2, &d2p, 1, NULL)) < 0)
        return rc;
    if (work == out_elem)
        return onnx_node(b, "Sqrt", NULL, &d2p, 1, &scores, 1, NULL);
    if ((rc = onnx_name_fresh(b, "dist", &root)) < 0 ||
        (rc = onnx_node(b, "Sqrt", NULL, &d2p, 1, &root, 1, NULL)) < 0 ||
        (rc = onnx_node(b, "Cast", NULL, &root, 1, &scores, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "to", out_elem);
}

int onnx_emit_kmeans(onnx_builder *b, const skc_step *st)
{
    int out_elem = b->real_elem, rc;

    /* Constants made here are double whatever the target type. */
    b->real_elem = ONNX_ELEM_DOUBLE;
    rc = onnx_kmeans_double(b, st, out_elem);
    b->real_elem = out_elem;
    return rc;
}
