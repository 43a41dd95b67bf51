/* SPDX-License-Identifier: MIT */
/* onnx_ops_bayes.c: the naive_bayes IR step (joint log-likelihood, then label and logsumexp-normalised probabilities) in standard ONNX ops, in double (core/OPS.md). */
#include <math.h>
#include <string.h>

#include "onnx_exact.h"

/* jll = log(prior) + (-0.5 sum log(2 pi var) - 0.5 sum (x - theta)^2 / var),
 * in GaussianNB's order; the constant parts are folded here. */
static int nb_x_gaussian(onnx_builder *b, const skc_step *st, const char *x, const char **jll)
{
    const char *th, *vr, *lp, *n0, *one, *xu, *d, *q, *s, *half, *hs, *nij;
    double *theta, *var, *prior, *lpv, *n0v;
    int64_t td[2], vd[2], pd[1], k, f, i, j, one64 = 1;
    int rc;

    if ((rc = onnx_step_reals(b, st, "theta", 1, 2, td, &theta)) < 0 ||
        (rc = onnx_step_reals(b, st, "var", 1, 2, vd, &var)) < 0 ||
        (rc = onnx_step_reals(b, st, "class_prior", 1, 1, pd, &prior)) < 0)
        return rc;
    k = td[0];
    f = td[1];
    if (vd[0] != k || vd[1] != f || pd[0] != k)
        return onnx_error(b, SKC_E_FORMAT, "theta, var and class_prior disagree");
    lpv = onnx_arena_alloc(b->arena, (size_t)k, sizeof(*lpv));
    n0v = onnx_arena_alloc(b->arena, (size_t)k, sizeof(*n0v));
    if (!lpv || !n0v)
        return SKC_E_NOMEM;
    for (i = 0; i < k; i++) {
        double c0 = 0.0;
        for (j = 0; j < f; j++)
            c0 += log(6.283185307179586 * var[i * f + j]);
        lpv[i] = log(prior[i]);
        n0v[i] = -0.5 * c0;
    }
    if ((rc = onnx_const_real(b, "theta", theta, 2, td, &th)) < 0 ||
        (rc = onnx_const_real(b, "var", var, 2, vd, &vr)) < 0 ||
        (rc = onnx_const_real(b, "log_prior", lpv, 1, pd, &lp)) < 0 ||
        (rc = onnx_const_real(b, "log_norm", n0v, 1, pd, &n0)) < 0 ||
        (rc = onnx_x_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_x_ints(b, "axis1", &one64, 1, &one)) < 0 ||
        (rc = onnx_x2(b, "Unsqueeze", x, one, "x_rows", &xu)) < 0 ||
        (rc = onnx_x2(b, "Sub", xu, th, "diff", &d)) < 0 ||
        (rc = onnx_x2(b, "Mul", d, d, "diff_sq", &q)) < 0 ||
        (rc = onnx_x2(b, "Div", q, vr, "diff_scaled", &q)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceSum", q, 2, 0, "maha", &s)) < 0 ||
        (rc = onnx_x2(b, "Mul", s, half, "maha_half", &hs)) < 0 ||
        (rc = onnx_x2(b, "Sub", n0, hs, "n_ij", &nij)) < 0)
        return rc;
    return onnx_x2(b, "Add", lp, nij, "jll", jll);
}

/* jll = b(X) coef^T + intercept, b = (x > binarize) when the step has one. */
static int nb_x_linear(onnx_builder *b, const skc_step *st, const char *x, const char **jll)
{
    const char *w, *ic, *thr, *gt, *mm;
    double *coef, *icpt, *tr, t;
    int64_t cd[2], id[1], k, f, i, j;
    int rc;

    if ((rc = onnx_step_reals(b, st, "coef", 1, 2, cd, &coef)) < 0 ||
        (rc = onnx_step_reals(b, st, "intercept", 1, 1, id, &icpt)) < 0)
        return rc;
    k = cd[0];
    f = cd[1];
    if (id[0] != k)
        return onnx_error(b, SKC_E_FORMAT, "coef and intercept disagree");
    tr = onnx_arena_alloc(b->arena, (size_t)(k * f > 0 ? k * f : 1), sizeof(*tr));
    if (!tr)
        return SKC_E_NOMEM;
    for (i = 0; i < k; i++)
        for (j = 0; j < f; j++) {
            if (!isfinite(coef[i * f + j]))
                return onnx_error(b, SKC_E_UNSUPPORTED, "coefficient [%lld, %lld] is %g (a "
                                  "feature class %lld never showed, fitted with alpha 0): "
                                  "MatMul gives NaN for a zero input there, where sklearn's "
                                  "sparse product skips it", (long long)i, (long long)j,
                                  coef[i * f + j], (long long)i);
            tr[j * k + i] = coef[i * f + j];
        }
    const int64_t td[2] = { f, k };
    if (skc_step_get_float(st, "binarize", &t) == SKC_OK) {
        if ((rc = onnx_x_scalar(b, "binarize", t, &thr)) < 0 ||
            (rc = onnx_x2(b, "Greater", x, thr, "above", &gt)) < 0 ||
            (rc = onnx_x_cast(b, gt, ONNX_ELEM_DOUBLE, "binary", &x)) < 0)
            return rc;
    }
    if ((rc = onnx_const_real(b, "coef", tr, 2, td, &w)) < 0 ||
        (rc = onnx_const_real(b, "intercept", icpt, 1, id, &ic)) < 0 ||
        (rc = onnx_x2(b, "MatMul", x, w, "xw", &mm)) < 0)
        return rc;
    return onnx_x2(b, "Add", mm, ic, "jll", jll);
}

/* jll = sum over features of table_f[x_f] + intercept, in feature order.
 * Inputs are truncated to integers like check_array(dtype=int). A row
 * with a category sklearn refuses (trunc(x) < 0 or >= n_f, NaN) gets NaN
 * likelihoods, as the reference evaluator gives, and *invalid ([N] bool)
 * marks it so that its label is the first class. */
static int nb_x_categorical(onnx_builder *b, const skc_step *st, const char *x, const char **jll,
                            const char **invalid)
{
    const char *lo, *hi, *ok, *zero, *xs, *xi, *bad, *badd, *badr, *half, *nan, *ic, *acc = NULL;
    const char *sq, *one, *rowbad;
    double *lp, *nc, *icpt, *nv;
    int64_t ld[2], nd[1], id[1], k, f, total, off = 0, i, j, t, one64 = 1;
    Onnx__NodeProto *n;
    int rc;

    if ((rc = onnx_step_reals(b, st, "log_prob", 1, 2, ld, &lp)) < 0 ||
        (rc = onnx_step_reals(b, st, "n_categories", 1, 1, nd, &nc)) < 0 ||
        (rc = onnx_step_reals(b, st, "intercept", 1, 1, id, &icpt)) < 0)
        return rc;
    k = ld[0];
    total = ld[1];
    f = nd[0];
    if (id[0] != k || f < 1)
        return onnx_error(b, SKC_E_FORMAT, "log_prob, n_categories and intercept disagree");
    nv = onnx_arena_alloc(b->arena, (size_t)f, sizeof(*nv));
    if (!nv)
        return SKC_E_NOMEM;
    memcpy(nv, nc, (size_t)f * sizeof(*nv));
    /* trunc(x) in 0..n_f-1  <=>  -1 < x < n_f (NaN fails both). */
    if ((rc = onnx_x_scalar(b, "minus_one", -1.0, &lo)) < 0 ||
        (rc = onnx_const_real(b, "n_categories", nv, 1, nd, &hi)) < 0 ||
        (rc = onnx_x_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_x2(b, "Greater", x, lo, "above_min", &ok)) < 0 ||
        (rc = onnx_x2(b, "Less", x, hi, "below_max", &bad)) < 0 ||
        (rc = onnx_x2(b, "And", ok, bad, "category_ok", &ok)) < 0 ||
        (rc = onnx_x3(b, "Where", ok, x, zero, "category_safe", &xs)) < 0 ||
        (rc = onnx_x_cast(b, xs, ONNX_ELEM_INT64, "category", &xi)) < 0 ||
        (rc = onnx_x1(b, "Not", ok, "category_bad", &bad)) < 0 ||
        (rc = onnx_x_cast(b, bad, ONNX_ELEM_DOUBLE, "category_bad_d", &badd)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceMax", badd, 1, 0, "row_bad_d", &badr)) < 0 ||
        (rc = onnx_x_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_x2(b, "Greater", badr, half, "row_bad", invalid)) < 0)
        return rc;
    for (j = 0; j < f; j++) {
        int64_t nf = (int64_t)nc[j], tdims[2] = { nf, k };
        const char *tab, *col, *g;
        double *tv;
        if (nf < 1 || off + nf > total)
            return onnx_error(b, SKC_E_FORMAT, "n_categories does not match log_prob");
        tv = onnx_arena_alloc(b->arena, (size_t)(nf * k), sizeof(*tv));
        if (!tv)
            return SKC_E_NOMEM;
        for (t = 0; t < nf; t++)
            for (i = 0; i < k; i++)
                tv[t * k + i] = lp[i * total + off + t];
        off += nf;
        if ((rc = onnx_const_real(b, "table", tv, 2, tdims, &tab)) < 0 ||
            (rc = onnx_x_slice(b, xi, 1, j, j + 1, "category_col", &col)) < 0 ||
            (rc = onnx_name_fresh(b, "feature_ll", &g)) < 0)
            return rc;
        const char *g_in[2] = { tab, col };
        if ((rc = onnx_node(b, "Gather", NULL, g_in, 2, &g, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 0)) < 0)
            return rc;
        if (!acc)
            acc = g;
        else if ((rc = onnx_x2(b, "Add", acc, g, "jll_part", &acc)) < 0)
            return rc;
    }
    if ((rc = onnx_x_ints(b, "axis1", &one64, 1, &one)) < 0 ||
        (rc = onnx_x2(b, "Squeeze", acc, one, "jll_sum", &sq)) < 0 ||
        (rc = onnx_const_real(b, "intercept", icpt, 1, id, &ic)) < 0 ||
        (rc = onnx_x2(b, "Add", sq, ic, "jll_valid", &sq)) < 0 ||
        (rc = onnx_x_scalar(b, "nan", NAN, &nan)) < 0 ||
        (rc = onnx_x2(b, "Unsqueeze", *invalid, one, "row_bad_col", &rowbad)) < 0)
        return rc;
    return onnx_x3(b, "Where", rowbad, nan, sq, "jll", jll);
}

static int nb_emit(onnx_builder *b, const skc_step *st, int io)
{
    const char *kind, *x, *jll, *idx, *amax, *inf, *nan, *bad, *zero, *sh, *t, *s, *lse, *lp, *p;
    const char *invalid = NULL;
    Onnx__NodeProto *n;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 2)) < 0 ||
        (rc = onnx_step_string(b, st, "kind", &kind)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    if (strcmp(kind, "gaussian") == 0)
        rc = nb_x_gaussian(b, st, x, &jll);
    else if (strcmp(kind, "linear") == 0)
        rc = nb_x_linear(b, st, x, &jll);
    else if (strcmp(kind, "categorical") == 0)
        rc = nb_x_categorical(b, st, x, &jll, &invalid);
    else
        return onnx_error(b, SKC_E_UNSUPPORTED, "kind '%s' is not gaussian, linear or "
                          "categorical", kind);
    if (rc < 0)
        return rc;
    /* predict: ArgMax keeps the first maximum, as np.argmax. */
    if ((rc = onnx_name_fresh(b, "class_index", &idx)) < 0 ||
        (rc = onnx_node(b, "ArgMax", NULL, &jll, 1, &idx, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 0)) < 0)
        return rc;
    if (invalid) {
        /* Rows of NaN likelihoods: the first class, as the reference's
         * strict comparison gives (ArgMax leaves NaN unspecified). */
        const char *z;
        const int64_t zero64 = 0;
        if ((rc = onnx_const_i64(b, "first_class", &zero64, 0, NULL, &z)) < 0 ||
            (rc = onnx_x3(b, "Where", invalid, z, idx, "class_index_valid", &idx)) < 0)
            return rc;
    }
    if ((rc = onnx_x_labels(b, st, 0, idx)) < 0)
        return rc;
    /* predict_proba = exp(jll - logsumexp(jll)), scipy's logsumexp: the
     * row maximum (0 when not finite) is taken out before exp. */
    if ((rc = onnx_x_reduce(b, "ReduceMax", jll, 1, 1, "jll_max", &amax)) < 0 ||
        (rc = onnx_x1(b, "IsInf", amax, "max_inf", &inf)) < 0 ||
        (rc = onnx_x1(b, "IsNaN", amax, "max_nan", &nan)) < 0 ||
        (rc = onnx_x2(b, "Or", inf, nan, "max_bad", &bad)) < 0 ||
        (rc = onnx_x_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_x3(b, "Where", bad, zero, amax, "jll_shift", &sh)) < 0 ||
        (rc = onnx_x2(b, "Sub", jll, sh, "jll_shifted", &t)) < 0 ||
        (rc = onnx_x1(b, "Exp", t, "jll_exp", &t)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceSum", t, 1, 1, "jll_exp_sum", &s)) < 0 ||
        (rc = onnx_x1(b, "Log", s, "lse_part", &lse)) < 0 ||
        (rc = onnx_x2(b, "Add", lse, sh, "lse", &lse)) < 0 ||
        (rc = onnx_x2(b, "Sub", jll, lse, "log_proba", &lp)) < 0 ||
        (rc = onnx_x1(b, "Exp", lp, "proba", &p)) < 0)
        return rc;
    return onnx_exact_output(b, st, 1, p, ONNX_ELEM_DOUBLE, io);
}

int onnx_emit_naive_bayes(onnx_builder *b, const skc_step *st)
{
    int saved = onnx_exact_begin(b);
    int rc = nb_emit(b, st, saved);

    onnx_exact_end(b, saved);
    return rc;
}
