/* SPDX-License-Identifier: MIT */
/* onnx_ops_neighbors.c: the nearest-neighbour IR steps (knn_classify, knn_regress) as distances, TopK, Gather and weighted votes, in double (core/OPS.md). */
#include <math.h>
#include <string.h>

#include "onnx_exact.h"

/* The search of a knn step: the k nearest fitted rows of each input row,
 * nearest first. TopK (largest=0) breaks ties by the lower index, which is
 * the reference evaluator's rule and sklearn's brute search's. */
typedef struct knn_x {
    const char *idx;    /* int64 [N, k] */
    const char *w;      /* double [N, k], NULL for uniform weights */
    int64_t k, m, f;
} knn_x;

/* Reduced distances [N, M]. Euclidean uses |x|^2 - 2 x.p + |p|^2 as
 * sklearn's brute search does, with no [N, M, F] temporary; the other
 * metrics need the coordinate differences. */
static int knn_x_rdist(onnx_builder *b, const char *x, const double *pts, int64_t m, int64_t f,
                       const char *metric, double p, const char **out)
{
    const char *pc, *xu, *diff, *ab, *one;
    int64_t i, j, one64 = 1;
    int rc;

    if (strcmp(metric, "euclidean") == 0) {
        const char *pt, *xsq, *xx, *dot, *dot2, *d, *pp, *zero;
        double *tr = onnx_arena_alloc(b->arena, (size_t)(m * f > 0 ? m * f : 1), sizeof(*tr));
        double *nn = onnx_arena_alloc(b->arena, (size_t)m, sizeof(*nn));
        int64_t tdims[2] = { f, m }, ndims[2] = { 1, m };
        if (!tr || !nn)
            return SKC_E_NOMEM;
        for (i = 0; i < m; i++) {
            nn[i] = 0.0;
            for (j = 0; j < f; j++) {
                tr[j * m + i] = pts[i * f + j];
                nn[i] += pts[i * f + j] * pts[i * f + j];
            }
        }
        if ((rc = onnx_const_real(b, "points_t", tr, 2, tdims, &pt)) < 0 ||
            (rc = onnx_const_real(b, "points_sq", nn, 2, ndims, &pp)) < 0 ||
            (rc = onnx_x_scalar(b, "zero", 0.0, &zero)) < 0 ||
            (rc = onnx_x2(b, "Mul", x, x, "x_sq", &xsq)) < 0 ||
            (rc = onnx_x_reduce(b, "ReduceSum", xsq, 1, 1, "x_norm", &xx)) < 0 ||
            (rc = onnx_x2(b, "MatMul", x, pt, "dot", &dot)) < 0 ||
            (rc = onnx_x2(b, "Add", dot, dot, "dot2", &dot2)) < 0 ||
            (rc = onnx_x2(b, "Sub", xx, dot2, "d_part", &d)) < 0 ||
            (rc = onnx_x2(b, "Add", d, pp, "d_sq", &d)) < 0)
            return rc;
        return onnx_x2(b, "Max", d, zero, "rdist", out);
    }
    const int64_t pdims[2] = { m, f };
    if ((rc = onnx_const_real(b, "points", pts, 2, pdims, &pc)) < 0 ||
        (rc = onnx_x_ints(b, "axis1", &one64, 1, &one)) < 0 ||
        (rc = onnx_x2(b, "Unsqueeze", x, one, "x_rows", &xu)) < 0 ||
        (rc = onnx_x2(b, "Sub", xu, pc, "diff", &diff)) < 0 ||
        (rc = onnx_x1(b, "Abs", diff, "diff_abs", &ab)) < 0)
        return rc;
    if (strcmp(metric, "manhattan") == 0)
        return onnx_x_reduce(b, "ReduceSum", ab, 2, 0, "rdist", out);
    if (strcmp(metric, "chebyshev") == 0)
        return onnx_x_reduce(b, "ReduceMax", ab, 2, 0, "rdist", out);
    if (strcmp(metric, "minkowski") == 0) {
        const char *pw, *pe;
        if ((rc = onnx_x_scalar(b, "p", p, &pe)) < 0 ||
            (rc = onnx_x2(b, "Pow", ab, pe, "diff_pow", &pw)) < 0)
            return rc;
        return onnx_x_reduce(b, "ReduceSum", pw, 2, 0, "rdist", out);
    }
    return onnx_error(b, SKC_E_UNSUPPORTED, "metric '%s' is not euclidean, manhattan, "
                      "chebyshev or minkowski", metric);
}

/* Neighbour indices and weights: 1/d, except that a row at distance 0
 * from some neighbours gives those weight 1 and the rest 0. */
static int knn_x_search(onnx_builder *b, const skc_step *st, const char *x, knn_x *ks)
{
    const char *metric, *weights, *rd, *kc, *vals, *dist, *zero, *half, *one;
    const char *z, *zd, *anyz, *anyb, *inv;
    double *pts, p = 2.0;
    int64_t pd[2];
    Onnx__NodeProto *n;
    int rc;

    if ((rc = onnx_step_string(b, st, "metric", &metric)) < 0 ||
        (rc = onnx_step_string(b, st, "weights", &weights)) < 0 ||
        (rc = onnx_step_reals(b, st, "points", 1, 2, pd, &pts)) < 0)
        return rc;
    skc_step_get_float(st, "p", &p);
    if (skc_step_get_int(st, "n_neighbors", &ks->k) < 0 || ks->k < 1 || ks->k > pd[0])
        return onnx_error(b, SKC_E_FORMAT, "n_neighbors is missing or outside 1..%lld",
                          (long long)pd[0]);
    ks->m = pd[0];
    ks->f = pd[1];
    ks->w = NULL;
    if ((rc = knn_x_rdist(b, x, pts, ks->m, ks->f, metric, p, &rd)) < 0 ||
        (rc = onnx_x_ints(b, "k", &ks->k, 1, &kc)) < 0 ||
        (rc = onnx_name_fresh(b, "nearest_rdist", &vals)) < 0 ||
        (rc = onnx_name_fresh(b, "nearest", &ks->idx)) < 0)
        return rc;
    const char *tk_in[2] = { rd, kc }, *tk_out[2] = { vals, ks->idx };
    if ((rc = onnx_node(b, "TopK", NULL, tk_in, 2, tk_out, 2, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
        (rc = onnx_attr_int(b, n, "largest", 0)) < 0 ||
        (rc = onnx_attr_int(b, n, "sorted", 1)) < 0)
        return rc;
    if (strcmp(weights, "distance") != 0)
        return 0;
    if (strcmp(metric, "euclidean") == 0) {
        if ((rc = onnx_x1(b, "Sqrt", vals, "dist", &dist)) < 0)
            return rc;
    } else if (strcmp(metric, "minkowski") == 0) {
        const char *ip;
        if ((rc = onnx_x_scalar(b, "inv_p", 1.0 / p, &ip)) < 0 ||
            (rc = onnx_x2(b, "Pow", vals, ip, "dist", &dist)) < 0)
            return rc;
    } else {
        dist = vals;
    }
    if ((rc = onnx_x_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_x_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_x_scalar(b, "one", 1.0, &one)) < 0 ||
        (rc = onnx_x2(b, "Equal", dist, zero, "at_zero", &z)) < 0 ||
        (rc = onnx_x_cast(b, z, ONNX_ELEM_DOUBLE, "at_zero_d", &zd)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceMax", zd, 1, 1, "any_zero", &anyz)) < 0 ||
        (rc = onnx_x2(b, "Greater", anyz, half, "any_zero_b", &anyb)) < 0 ||
        (rc = onnx_x2(b, "Div", one, dist, "inv_dist", &inv)) < 0)
        return rc;
    return onnx_x3(b, "Where", anyb, zd, inv, "weights", &ks->w);
}

static int knn_x_weighted(onnx_builder *b, const char *v, const char *w, const char **out)
{
    const char *ax, *wu;
    int64_t two = 2;
    int rc;

    if ((rc = onnx_x_ints(b, "axis2", &two, 1, &ax)) < 0 ||
        (rc = onnx_x2(b, "Unsqueeze", w, ax, "weights_col", &wu)) < 0)
        return rc;
    return onnx_x2(b, "Mul", v, wu, "weighted", out);
}

/* Weighted votes [N, K_o] of one output, its class index (ArgMax: the
 * first maximum, the smallest class on ties) and its probabilities. */
static int knn_x_output(onnx_builder *b, const knn_x *ks, const int64_t *targets, int64_t k,
                        int keepdims, const char **idx, const char **proba)
{
    const char *tg, *yk, *ax, *yu, *range, *eq, *oh, *votes, *s, *zero, *one, *isz;
    int64_t i, two = 2, *rv = onnx_arena_alloc(b->arena, (size_t)k, sizeof(*rv));
    Onnx__NodeProto *n;
    int rc;

    if (!rv)
        return SKC_E_NOMEM;
    for (i = 0; i < k; i++)
        rv[i] = i;
    if ((rc = onnx_x_ints(b, "targets", targets, ks->m, &tg)) < 0 ||
        (rc = onnx_x_ints(b, "class_range", rv, k, &range)) < 0 ||
        (rc = onnx_x_ints(b, "axis2", &two, 1, &ax)) < 0 ||
        (rc = onnx_name_fresh(b, "neighbour_class", &yk)) < 0)
        return rc;
    const char *g_in[2] = { tg, ks->idx };
    if ((rc = onnx_node(b, "Gather", NULL, g_in, 2, &yk, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 0)) < 0 ||
        (rc = onnx_x2(b, "Unsqueeze", yk, ax, "neighbour_class_col", &yu)) < 0 ||
        (rc = onnx_x2(b, "Equal", yu, range, "is_class", &eq)) < 0 ||
        (rc = onnx_x_cast(b, eq, ONNX_ELEM_DOUBLE, "onehot", &oh)) < 0)
        return rc;
    if (ks->w && (rc = knn_x_weighted(b, oh, ks->w, &oh)) < 0)
        return rc;
    if ((rc = onnx_x_reduce(b, "ReduceSum", oh, 1, 0, "votes", &votes)) < 0 ||
        (rc = onnx_name_fresh(b, "class_index", idx)) < 0 ||
        (rc = onnx_node(b, "ArgMax", NULL, &votes, 1, idx, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", keepdims)) < 0)
        return rc;
    /* proba = votes / sum(votes), a zero sum left as 1 (sklearn). */
    if ((rc = onnx_x_reduce(b, "ReduceSum", votes, 1, 1, "votes_sum", &s)) < 0 ||
        (rc = onnx_x_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_x_scalar(b, "one", 1.0, &one)) < 0 ||
        (rc = onnx_x2(b, "Equal", s, zero, "sum_is_zero", &isz)) < 0 ||
        (rc = onnx_x3(b, "Where", isz, one, s, "normalizer", &s)) < 0)
        return rc;
    return onnx_x2(b, "Div", votes, s, "proba", proba);
}

/* One output (targets [M]): label [N]. Several (sizes [O], targets
 * [M, O]): label [N, O] and the outputs' probabilities side by side. */
static int knn_classify_emit(onnx_builder *b, const skc_step *st, int io)
{
    const skc_tensor *cl, *szt = NULL;
    const char *x, **idx, **pr, *label_idx, *proba;
    double *tgv;
    int64_t td[2], i, nc, no, o, off = 0, *ti, *sizes = NULL;
    Onnx__NodeProto *n;
    knn_x ks;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 2)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "classes", &cl) < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'classes' is missing");
    nc = skc_tensor_numel(cl);
    no = 1;
    if (skc_step_get_tensor(st, "sizes", &szt) == SKC_OK) {
        no = skc_tensor_numel(szt);
        sizes = onnx_arena_alloc(b->arena, (size_t)(no > 0 ? no : 1), sizeof(*sizes));
        if (!sizes)
            return SKC_E_NOMEM;
        for (o = 0; o < no; o++)
            sizes[o] = (int64_t)skc_tensor_get_f64(szt, o);
    }
    if ((rc = onnx_step_reals(b, st, "targets", 1, sizes ? 2 : 1, td, &tgv)) < 0)
        return rc;
    if (no < 1 || (sizes && td[1] != no))
        return onnx_error(b, SKC_E_FORMAT, "targets and sizes disagree");
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = knn_x_search(b, st, x, &ks)) < 0)
        return rc;
    if (td[0] != ks.m)
        return onnx_error(b, SKC_E_FORMAT, "%lld targets for %lld points", (long long)td[0],
                          (long long)ks.m);
    ti = onnx_arena_alloc(b->arena, (size_t)ks.m, sizeof(*ti));
    idx = onnx_arena_alloc(b->arena, (size_t)no, sizeof(*idx));
    pr = onnx_arena_alloc(b->arena, (size_t)no, sizeof(*pr));
    if (!ti || !idx || !pr)
        return SKC_E_NOMEM;
    for (o = 0; o < no; o++) {
        int64_t k = sizes ? sizes[o] : nc;
        if (k < 1 || off + k > nc)
            return onnx_error(b, SKC_E_FORMAT, "sizes do not add up to the classes");
        for (i = 0; i < ks.m; i++) {
            double v = tgv[i * no + o];
            if (!(v >= 0 && v < (double)k))
                return onnx_error(b, SKC_E_FORMAT, "target %lld is not a class index",
                                  (long long)i);
            ti[i] = (int64_t)v;
        }
        if ((rc = knn_x_output(b, &ks, ti, k, sizes ? 1 : 0, &idx[o], &pr[o])) < 0)
            return rc;
        if (sizes && off > 0) {
            const char *oc;
            if ((rc = onnx_const_i64(b, "class_offset", &off, 0, NULL, &oc)) < 0 ||
                (rc = onnx_x2(b, "Add", idx[o], oc, "class_index_all", &idx[o])) < 0)
                return rc;
        }
        off += k;
    }
    if (off != nc)
        return onnx_error(b, SKC_E_FORMAT, "sizes do not add up to the classes");
    label_idx = idx[0];
    proba = pr[0];
    if (no > 1) {
        if ((rc = onnx_name_fresh(b, "class_indices", &label_idx)) < 0 ||
            (rc = onnx_node(b, "Concat", NULL, idx, (size_t)no, &label_idx, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
            (rc = onnx_name_fresh(b, "probas", &proba)) < 0 ||
            (rc = onnx_node(b, "Concat", NULL, pr, (size_t)no, &proba, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 1)) < 0)
            return rc;
    }
    if ((rc = onnx_x_labels(b, st, 0, label_idx)) < 0)
        return rc;
    return onnx_exact_output(b, st, 1, proba, ONNX_ELEM_DOUBLE, io);
}

int onnx_emit_knn_classify(onnx_builder *b, const skc_step *st)
{
    int saved = onnx_exact_begin(b);
    int rc = knn_classify_emit(b, st, saved);

    onnx_exact_end(b, saved);
    return rc;
}

static int knn_regress_emit(onnx_builder *b, const skc_step *st, int io)
{
    const char *x, *tg, *yv, *num, *den, *y, *kk;
    double *tgv;
    int64_t td[2];
    Onnx__NodeProto *n;
    knn_x ks;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_reals(b, st, "targets", 1, 2, td, &tgv)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = knn_x_search(b, st, x, &ks)) < 0)
        return rc;
    if (td[0] != ks.m)
        return onnx_error(b, SKC_E_FORMAT, "%lld targets for %lld points", (long long)td[0],
                          (long long)ks.m);
    if ((rc = onnx_const_real(b, "targets", tgv, 2, td, &tg)) < 0 ||
        (rc = onnx_name_fresh(b, "neighbour_y", &yv)) < 0)
        return rc;
    const char *g_in[2] = { tg, ks.idx };
    if ((rc = onnx_node(b, "Gather", NULL, g_in, 2, &yv, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 0)) < 0)
        return rc;
    /* uniform: np.mean (sum / k); distance: sum(y w) / sum(w). */
    if (ks.w) {
        if ((rc = knn_x_weighted(b, yv, ks.w, &yv)) < 0 ||
            (rc = onnx_x_reduce(b, "ReduceSum", yv, 1, 0, "num", &num)) < 0 ||
            (rc = onnx_x_reduce(b, "ReduceSum", ks.w, 1, 1, "den", &den)) < 0 ||
            (rc = onnx_x2(b, "Div", num, den, "y", &y)) < 0)
            return rc;
    } else if ((rc = onnx_x_reduce(b, "ReduceSum", yv, 1, 0, "num", &num)) < 0 ||
               (rc = onnx_x_scalar(b, "k", (double)ks.k, &kk)) < 0 ||
               (rc = onnx_x2(b, "Div", num, kk, "y", &y)) < 0) {
        return rc;
    }
    return onnx_exact_output(b, st, 0, y, ONNX_ELEM_DOUBLE, io);
}

int onnx_emit_knn_regress(onnx_builder *b, const skc_step *st)
{
    int saved = onnx_exact_begin(b);
    int rc = knn_regress_emit(b, st, saved);

    onnx_exact_end(b, saved);
    return rc;
}
