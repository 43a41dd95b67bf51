/* SPDX-License-Identifier: MIT */
/* onnx_ops_compose.c: the composition IR steps (domain, weighted_sum, vote, isotonic, proba_normalize, as_real, aggregate, power) in standard ONNX operators (core/OPS.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_exact.h"

/* [N, 1]-shaped view of a 1-D tensor, or of a 2-D one as it is: Reshape
 * to [0, -1] (0 keeps the row count). */
static int comp_as_matrix(onnx_builder *b, const char *in, const char *hint, const char **out)
{
    const int64_t shape[2] = { 0, -1 };
    const char *s;
    int rc;

    if ((rc = onnx_x_ints(b, "matrix_shape", shape, 2, &s)) < 0)
        return rc;
    return onnx_x2(b, "Reshape", in, s, hint, out);
}

/* ---- weighted_sum ------------------------------------------------------------------ */

int onnx_emit_weighted_sum(onnx_builder *b, const skc_step *st)
{
    int k = skc_step_input_count(st), i, rc;
    int64_t nw;
    double *w, div = 1.0;
    const char *acc = NULL, *x, *term, *c, *out;

    if (k < 1 || skc_step_output_count(st) != 1)
        return onnx_error(b, SKC_E_FORMAT, "weighted_sum needs inputs and one output");
    if ((rc = onnx_step_reals(b, st, "weights", 1, 1, &nw, &w)) < 0)
        return rc;
    if (nw != k)
        return onnx_error(b, SKC_E_FORMAT, "%lld weights for %d inputs", (long long)nw, k);
    skc_step_get_float(st, "divisor", &div);
    /* Products added in input order, as the evaluator (and np.average). */
    for (i = 0; i < k; i++) {
        if ((rc = onnx_step_real_input(b, st, i, &x)) < 0)
            return rc;
        term = x;
        if (w[i] != 1.0 && ((rc = onnx_const_scalar(b, "weight", w[i], &c)) < 0 ||
                            (rc = onnx_x2(b, "Mul", x, c, "weighted", &term)) < 0))
            return rc;
        if (!acc)
            acc = term;
        else if ((rc = onnx_x2(b, "Add", acc, term, "partial_sum", &acc)) < 0)
            return rc;
    }
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0 ||
        (rc = onnx_const_scalar(b, "divisor", div, &c)) < 0)
        return rc;
    const char *in[2] = { acc, c };
    return onnx_node(b, "Div", NULL, in, 2, &out, 1, NULL);
}

/* ---- vote: weighted one-hot counts of class indices ------------------------------------ */

int onnx_emit_vote(onnx_builder *b, const skc_step *st)
{
    int k = skc_step_input_count(st), i, rc, elem;
    int64_t nw, kc, j, *range;
    double *w;
    const char *acc = NULL, *x, *col, *cls, *eq, *term, *c, *out;

    if (k < 1 || skc_step_output_count(st) != 1)
        return onnx_error(b, SKC_E_FORMAT, "vote needs inputs and one output");
    if ((rc = onnx_step_reals(b, st, "weights", 1, 1, &nw, &w)) < 0)
        return rc;
    if (skc_step_get_int(st, "n_classes", &kc) < 0 || kc < 1 || kc > (1 << 24))
        return onnx_error(b, SKC_E_FORMAT, "attribute 'n_classes' is missing or out of range");
    if (nw != k)
        return onnx_error(b, SKC_E_FORMAT, "%lld weights for %d inputs", (long long)nw, k);
    if (!(range = onnx_arena_alloc(b->arena, (size_t)kc, sizeof(*range))))
        return SKC_E_NOMEM;
    for (j = 0; j < kc; j++)
        range[j] = j;
    if ((rc = onnx_x_ints(b, "class_range", range, kc, &cls)) < 0)
        return rc;
    for (i = 0; i < k; i++) {
        if ((rc = onnx_step_input(b, st, i, &x, &elem)) < 0)
            return rc;
        if (elem != ONNX_ELEM_INT64)
            return onnx_error(b, SKC_E_FORMAT, "vote input %d is not int64 class indices", i);
        /* [N, 1] == [K] broadcasts to the one-hot rows. */
        if ((rc = comp_as_matrix(b, x, "vote_column", &col)) < 0 ||
            (rc = onnx_x2(b, "Equal", col, cls, "vote_hit", &eq)) < 0 ||
            (rc = onnx_x_cast(b, eq, b->real_elem, "vote_one_hot", &term)) < 0)
            return rc;
        if (w[i] != 1.0 && ((rc = onnx_const_scalar(b, "weight", w[i], &c)) < 0 ||
                            (rc = onnx_x2(b, "Mul", term, c, "vote_weighted", &term)) < 0))
            return rc;
        if (!acc)
            acc = term;
        else if ((rc = onnx_x2(b, "Add", acc, term, "vote_sum", &acc)) < 0)
            return rc;
    }
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    return onnx_node(b, "Identity", NULL, &acc, 1, &out, 1, NULL);
}

/* ---- as_real ---------------------------------------------------------------------------- */

int onnx_emit_as_real(onnx_builder *b, const skc_step *st)
{
    const char *x, *r, *m, *out;
    int elem, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_input(b, st, 0, &x, &elem)) < 0)
        return rc;
    if (elem == ONNX_ELEM_STRING)
        return onnx_error(b, SKC_E_FORMAT, "as_real of a string tensor");
    if ((rc = onnx_cast_to(b, x, elem, b->real_elem, &r)) < 0 ||
        (rc = comp_as_matrix(b, r, "as_real", &m)) < 0 ||
        (rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    return onnx_node(b, "Identity", NULL, &m, 1, &out, 1, NULL);
}

/* ---- proba_normalize ----------------------------------------------------------------------- */

int onnx_emit_proba_normalize(onnx_builder *b, const skc_step *st)
{
    const char *mode, *p, *one, *y, *sum, *out, *q, *zero, *isz, *uni, *t;
    int64_t zu = 0, snap = 0;
    Onnx__NodeProto *n;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "mode", &mode)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &p)) < 0 ||
        (rc = onnx_const_scalar(b, "one", 1.0, &one)) < 0)
        return rc;
    skc_step_get_int(st, "zero_uniform", &zu);
    skc_step_get_int(st, "snap_one", &snap);
    if (strcmp(mode, "complement") == 0) {
        const char *cat[2];
        if ((rc = onnx_x2(b, "Sub", one, p, "complement", &q)) < 0 ||
            (rc = onnx_name_fresh(b, "pair", &y)) < 0)
            return rc;
        cat[0] = q;
        cat[1] = p;
        if ((rc = onnx_node(b, "Concat", NULL, cat, 2, &y, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 1)) < 0)
            return rc;
    } else if (strcmp(mode, "sum") == 0) {
        if ((rc = onnx_x_reduce(b, "ReduceSum", p, 1, 1, "row_sum", &sum)) < 0 ||
            (rc = onnx_x2(b, "Div", p, sum, "normalised", &y)) < 0)
            return rc;
        if (zu) {
            /* 1/K where the sum is 0: K = the column count, from p itself. */
            const char *ones, *k;
            if ((rc = onnx_const_scalar(b, "zero", 0.0, &zero)) < 0 ||
                (rc = onnx_x2(b, "Equal", sum, zero, "sum_is_zero", &isz)) < 0 ||
                (rc = onnx_x1(b, "Shape", p, "proba_shape", &t)) < 0 ||
                (rc = onnx_x_cast(b, t, b->real_elem, "proba_shape_real", &t)) < 0 ||
                (rc = onnx_x_slice(b, t, 0, 1, 2, "n_columns", &k)) < 0 ||
                (rc = onnx_x2(b, "Div", one, k, "uniform", &uni)) < 0 ||
                (rc = onnx_x2(b, "Mul", p, zero, "zeros", &ones)) < 0 ||
                (rc = onnx_x2(b, "Add", ones, uni, "uniform_rows", &uni)) < 0 ||
                (rc = onnx_x3(b, "Where", isz, uni, y, "normalised_safe", &y)) < 0)
                return rc;
        }
    } else {
        return onnx_error(b, SKC_E_UNSUPPORTED, "mode '%s' is not complement or sum", mode);
    }
    if (snap) {
        const char *hi, *gt, *le, *both;
        if ((rc = onnx_const_scalar(b, "one_plus", 1.0 + 1e-5, &hi)) < 0 ||
            (rc = onnx_x2(b, "Greater", y, one, "above_one", &gt)) < 0 ||
            (rc = onnx_x2(b, "LessOrEqual", y, hi, "near_one", &le)) < 0 ||
            (rc = onnx_x2(b, "And", gt, le, "snap", &both)) < 0 ||
            (rc = onnx_x3(b, "Where", both, one, y, "snapped", &y)) < 0)
            return rc;
    }
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    return onnx_node(b, "Identity", NULL, &y, 1, &out, 1, NULL);
}

/* ---- domain (in double, as the evaluator compares) ----------------------------------------- */

/* x == any of @p vals (NaN entries: IsNaN). */
static int comp_any_equal(onnx_builder *b, const char *x, const double *vals, int64_t n,
                          const char **out)
{
    const char *acc = NULL, *t, *c;
    int64_t i;
    int rc;

    for (i = 0; i < n; i++) {
        if (isnan(vals[i])) {
            if ((rc = onnx_x1(b, "IsNaN", x, "is_nan", &t)) < 0)
                return rc;
        } else if ((rc = onnx_x_scalar(b, "missing_value", vals[i], &c)) < 0 ||
                   (rc = onnx_x2(b, "Equal", x, c, "is_missing_value", &t)) < 0) {
            return rc;
        }
        if (!acc)
            acc = t;
        else if ((rc = onnx_x2(b, "Or", acc, t, "any_missing", &acc)) < 0)
            return rc;
    }
    *out = acc;
    return 0;
}

static int comp_domain_body(onnx_builder *b, const skc_step *st, int saved)
{
    const char *x, *miss, *valid = NULL, *yv, *yi, *y, *c, *t, *u, *missing_v, *inv;
    double *mv = NULL, *lo, *hi, repl = 0, fill = NAN, low = 0, high = 0, irepl = 0;
    int64_t nmv = 0, nlo, nhi;
    const char *inval = "as_is", *outl = "as_is";
    int rc, has_repl;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    has_repl = skc_step_get_float(st, "missing_replacement", &repl) == 0;
    skc_step_get_float(st, "missing_fill", &fill);
    skc_step_get_string(st, "invalid", &inval);
    skc_step_get_string(st, "outlier", &outl);
    skc_step_get_float(st, "invalid_replacement", &irepl);
    skc_step_get_float(st, "low", &low);
    skc_step_get_float(st, "high", &high);
    rc = onnx_step_reals(b, st, "missing_values", 0, 1, &nmv, &mv);
    if (rc < 0 && rc != SKC_E_NOT_FOUND)
        return rc;
    if (rc == SKC_E_NOT_FOUND) {
        if ((rc = onnx_x1(b, "IsNaN", x, "is_missing", &miss)) < 0)
            return rc;
    } else if ((rc = comp_any_equal(b, x, mv, nmv, &miss)) < 0) {
        return rc;
    }
    rc = onnx_step_reals(b, st, "valid_min", 0, 1, &nlo, &lo);
    if (rc < 0 && rc != SKC_E_NOT_FOUND)
        return rc;
    if (rc == 0) {
        const char *clo, *chi, *ge, *le;
        if ((rc = onnx_step_reals(b, st, "valid_max", 1, 1, &nhi, &hi)) < 0 ||
            (rc = onnx_const_real(b, "valid_min", lo, 1, &nlo, &clo)) < 0 ||
            (rc = onnx_const_real(b, "valid_max", hi, 1, &nhi, &chi)) < 0 ||
            (rc = onnx_x2(b, "GreaterOrEqual", x, clo, "above_min", &ge)) < 0 ||
            (rc = onnx_x2(b, "LessOrEqual", x, chi, "below_max", &le)) < 0 ||
            (rc = onnx_x2(b, "And", ge, le, "valid", &valid)) < 0)
            return rc;
    } else {
        const skc_tensor *vt, *ot;
        if (skc_step_get_tensor(st, "valid_values", &vt) == 0 &&
            skc_step_get_tensor(st, "valid_offsets", &ot) == 0) {
            /* Per-column value sets padded with NaN (never equal) into
             * [V, F]; x [N, 1, F] == sets, any over V. */
            const int64_t *o = skc_tensor_data(ot);
            int64_t f = skc_tensor_numel(ot) - 1, vmax = 1, r, j, dims[2];
            const int64_t ax[1] = { 1 };
            double *tab;
            const char *ctab, *x3, *eq, *eqr, *axes;
            for (j = 0; j < f; j++)
                if (o[j + 1] - o[j] > vmax)
                    vmax = o[j + 1] - o[j];
            if (!(tab = onnx_arena_alloc(b->arena, (size_t)(vmax * f), sizeof(*tab))))
                return SKC_E_NOMEM;
            for (r = 0; r < vmax; r++)
                for (j = 0; j < f; j++)
                    tab[r * f + j] = o[j] + r < o[j + 1]
                                     ? skc_tensor_get_f64(vt, o[j] + r) : NAN;
            dims[0] = vmax;
            dims[1] = f;
            if ((rc = onnx_const_real(b, "valid_values", tab, 2, dims, &ctab)) < 0 ||
                (rc = onnx_x_ints(b, "axis1", ax, 1, &axes)) < 0 ||
                (rc = onnx_x2(b, "Unsqueeze", x, axes, "x_rows", &x3)) < 0 ||
                (rc = onnx_x2(b, "Equal", x3, ctab, "value_hit", &eq)) < 0 ||
                (rc = onnx_x_cast(b, eq, ONNX_ELEM_DOUBLE, "value_hit_real", &eqr)) < 0 ||
                (rc = onnx_x_reduce(b, "ReduceMax", eqr, 1, 0, "any_hit", &t)) < 0 ||
                (rc = onnx_x_cast(b, t, ONNX_ELEM_BOOL, "valid", &valid)) < 0)
                return rc;
        }
    }
    if ((rc = onnx_x_scalar(b, "missing_value", has_repl ? repl : fill, &missing_v)) < 0)
        return rc;
    /* Valid values: outliers to missing or to the bounds. */
    yv = x;
    if (strcmp(outl, "as_missing") == 0) {
        const char *cl, *ch, *a1, *a2;
        if ((rc = onnx_x_scalar(b, "low", low, &cl)) < 0 ||
            (rc = onnx_x_scalar(b, "high", high, &ch)) < 0 ||
            (rc = onnx_x2(b, "Less", x, cl, "below_low", &a1)) < 0 ||
            (rc = onnx_x2(b, "Greater", x, ch, "above_high", &a2)) < 0 ||
            (rc = onnx_x2(b, "Or", a1, a2, "outlier", &t)) < 0 ||
            (rc = onnx_x3(b, "Where", t, missing_v, x, "outlier_missing", &yv)) < 0)
            return rc;
    } else if (strcmp(outl, "as_extreme") == 0) {
        const char *cl, *ch, *a1, *a2;
        if ((rc = onnx_x_scalar(b, "low", low, &cl)) < 0 ||
            (rc = onnx_x_scalar(b, "high", high, &ch)) < 0 ||
            (rc = onnx_x2(b, "Less", x, cl, "below_low", &a1)) < 0 ||
            (rc = onnx_x2(b, "Greater", x, ch, "above_high", &a2)) < 0 ||
            (rc = onnx_x3(b, "Where", a1, cl, x, "raised", &u)) < 0 ||
            (rc = onnx_x3(b, "Where", a2, ch, u, "clipped", &yv)) < 0)
            return rc;
    } else if (strcmp(outl, "as_is")) {
        return onnx_error(b, SKC_E_UNSUPPORTED, "outlier treatment '%s'", outl);
    }
    if (strcmp(inval, "as_missing") == 0) {
        yi = missing_v;
    } else if (strcmp(inval, "as_value") == 0) {
        if ((rc = onnx_x_scalar(b, "invalid_replacement", irepl, &inv)) < 0)
            return rc;
        yi = inv;
    } else if (strcmp(inval, "as_is") == 0) {
        yi = x;
    } else {
        return onnx_error(b, SKC_E_UNSUPPORTED, "invalid treatment '%s'", inval);
    }
    y = yv;
    if (valid && (rc = onnx_x3(b, "Where", valid, yv, yi, "checked", &y)) < 0)
        return rc;
    if (has_repl) {
        if ((rc = onnx_x_scalar(b, "missing_replacement", repl, &c)) < 0 ||
            (rc = onnx_x3(b, "Where", miss, c, y, "replaced", &y)) < 0)
            return rc;
    } else if ((rc = onnx_x3(b, "Where", miss, x, y, "kept_missing", &y)) < 0) {
        return rc;
    }
    return onnx_exact_output(b, st, 0, y, ONNX_ELEM_DOUBLE, saved);
}

int onnx_emit_domain(onnx_builder *b, const skc_step *st)
{
    int saved = onnx_exact_begin(b), rc = comp_domain_body(b, st, saved);

    onnx_exact_end(b, saved);
    return rc;
}

/* ---- isotonic (in double) -------------------------------------------------------------------- */

/* One column: scipy interp1d after the clip (see core/OPS.md). */
static int comp_iso_column(onnx_builder *b, const char *col, const double *xs, const double *ys,
                           int64_t m, int clip, double lo, double hi, const char **out)
{
    const char *t = col, *cx, *cy, *c1, *c2, *lt, *cnt, *idx, *idx1, *xl, *xh, *yl, *yh,
               *dx, *dy, *s, *d, *r, *nan;
    int64_t dims[2] = { 1, m }, one = 1, mm1 = m - 1;
    Onnx__NodeProto *n;
    int rc;

    if (m == 1) {
        /* A constant fit: y for every row, NaN included. */
        if ((rc = onnx_x_scalar(b, "iso_zero", 0.0, &c1)) < 0 ||
            (rc = onnx_x_scalar(b, "iso_const", ys[0], &c2)) < 0 ||
            (rc = onnx_x1(b, "IsNaN", col, "iso_nan", &nan)) < 0 ||
            (rc = onnx_x3(b, "Where", nan, c1, col, "iso_finite", &t)) < 0 ||
            (rc = onnx_x2(b, "Mul", t, c1, "iso_zeros", &t)) < 0)
            return rc;
        return onnx_x2(b, "Add", t, c2, "iso_value", out);
    }
    if (clip) {
        const char *a, *bb, *ta, *tb;
        if ((rc = onnx_x_scalar(b, "iso_lo", lo, &c1)) < 0 ||
            (rc = onnx_x_scalar(b, "iso_hi", hi, &c2)) < 0 ||
            (rc = onnx_x2(b, "Less", t, c1, "iso_below", &a)) < 0 ||
            (rc = onnx_x3(b, "Where", a, c1, t, "iso_raised", &ta)) < 0 ||
            (rc = onnx_x2(b, "Greater", ta, c2, "iso_above", &bb)) < 0 ||
            (rc = onnx_x3(b, "Where", bb, c2, ta, "iso_clipped", &tb)) < 0)
            return rc;
        t = tb;
    }
    /* searchsorted(xs, t, 'left') = count of knots below t, then into [1, m-1]. */
    if ((rc = onnx_const_real(b, "iso_x", xs, 2, dims, &cx)) < 0 ||
        (rc = onnx_const_real(b, "iso_y", ys, 1, &m, &cy)) < 0 ||
        (rc = onnx_x2(b, "Less", cx, t, "iso_knots_below", &lt)) < 0 ||
        (rc = onnx_x_cast(b, lt, ONNX_ELEM_INT64, "iso_knots_below_n", &lt)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceSum", lt, 1, 0, "iso_count", &cnt)) < 0 ||
        (rc = onnx_x_ints(b, "iso_one", &one, 1, &c1)) < 0 ||
        (rc = onnx_x_ints(b, "iso_last", &mm1, 1, &c2)) < 0 ||
        (rc = onnx_x2(b, "Max", cnt, c1, "iso_idx_lo", &idx)) < 0 ||
        (rc = onnx_x2(b, "Min", idx, c2, "iso_idx", &idx)) < 0 ||
        (rc = onnx_x2(b, "Sub", idx, c1, "iso_idx_prev", &idx1)) < 0)
        return rc;
    /* The knots again as a vector, for Gather. */
    if ((rc = onnx_const_real(b, "iso_x_flat", xs, 1, &m, &cx)) < 0)
        return rc;
    const char *g[2];
    g[0] = cx;
    g[1] = idx1;
    if ((rc = onnx_name_fresh(b, "iso_x_lo", &xl)) < 0 ||
        (rc = onnx_node(b, "Gather", NULL, g, 2, &xl, 1, &n)) < 0)
        return rc;
    g[1] = idx;
    if ((rc = onnx_name_fresh(b, "iso_x_hi", &xh)) < 0 ||
        (rc = onnx_node(b, "Gather", NULL, g, 2, &xh, 1, &n)) < 0)
        return rc;
    g[0] = cy;
    g[1] = idx1;
    if ((rc = onnx_name_fresh(b, "iso_y_lo", &yl)) < 0 ||
        (rc = onnx_node(b, "Gather", NULL, g, 2, &yl, 1, &n)) < 0)
        return rc;
    g[1] = idx;
    if ((rc = onnx_name_fresh(b, "iso_y_hi", &yh)) < 0 ||
        (rc = onnx_node(b, "Gather", NULL, g, 2, &yh, 1, &n)) < 0)
        return rc;
    /* t is [N, 1]; the gathered knots [N]: bring them to [N, 1]. */
    if ((rc = comp_as_matrix(b, xl, "iso_x_lo_col", &xl)) < 0 ||
        (rc = comp_as_matrix(b, xh, "iso_x_hi_col", &xh)) < 0 ||
        (rc = comp_as_matrix(b, yl, "iso_y_lo_col", &yl)) < 0 ||
        (rc = comp_as_matrix(b, yh, "iso_y_hi_col", &yh)) < 0 ||
        (rc = onnx_x2(b, "Sub", yh, yl, "iso_dy", &dy)) < 0 ||
        (rc = onnx_x2(b, "Sub", xh, xl, "iso_dx", &dx)) < 0 ||
        (rc = onnx_x2(b, "Div", dy, dx, "iso_slope", &s)) < 0 ||
        (rc = onnx_x2(b, "Sub", t, xl, "iso_offset", &d)) < 0 ||
        (rc = onnx_x2(b, "Mul", s, d, "iso_rise", &r)) < 0 ||
        (rc = onnx_x2(b, "Add", r, yl, "iso_value", &r)) < 0)
        return rc;
    if (!clip) {
        const char *a, *bb, *out_of, *cn;
        double nanv = NAN;
        if ((rc = onnx_x_scalar(b, "iso_x0", xs[0], &c1)) < 0 ||
            (rc = onnx_x_scalar(b, "iso_xn", xs[m - 1], &c2)) < 0 ||
            (rc = onnx_x_scalar(b, "iso_nan_value", nanv, &cn)) < 0 ||
            (rc = onnx_x2(b, "Less", t, c1, "iso_below", &a)) < 0 ||
            (rc = onnx_x2(b, "Greater", t, c2, "iso_above", &bb)) < 0 ||
            (rc = onnx_x2(b, "Or", a, bb, "iso_outside", &out_of)) < 0 ||
            (rc = onnx_x3(b, "Where", out_of, cn, r, "iso_bounded", &r)) < 0)
            return rc;
    }
    /* NaN in gives NaN out (the knot search above sends it to the end). */
    if ((rc = onnx_x1(b, "IsNaN", col, "iso_nan", &nan)) < 0 ||
        (rc = onnx_x3(b, "Where", nan, col, r, "iso_result", out)) < 0)
        return rc;
    return 0;
}

static int comp_iso_body(onnx_builder *b, const skc_step *st, int saved)
{
    const skc_tensor *xt, *yt, *ot, *lo = NULL, *hi = NULL;
    const char *x, *bounds = "clip", **parts, *col, *y;
    const int64_t *o;
    double *xs, *ys;
    int64_t c, j, m, i;
    Onnx__NodeProto *n;
    int rc, clip;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "x", &xt) < 0 || skc_step_get_tensor(st, "y", &yt) < 0 ||
        skc_step_get_tensor(st, "offsets", &ot) < 0 || skc_tensor_dtype(ot) != SKC_DT_I64)
        return onnx_error(b, SKC_E_FORMAT, "isotonic needs x, y and offsets");
    skc_step_get_string(st, "bounds", &bounds);
    clip = strcmp(bounds, "clip") == 0;
    if (skc_step_get_tensor(st, "x_min", &lo) < 0 || skc_step_get_tensor(st, "x_max", &hi) < 0)
        lo = hi = NULL;
    o = skc_tensor_data(ot);
    c = skc_tensor_numel(ot) - 1;
    if (c < 1 || !(parts = onnx_arena_alloc(b->arena, (size_t)c, sizeof(*parts))))
        return c < 1 ? onnx_error(b, SKC_E_FORMAT, "isotonic without columns") : SKC_E_NOMEM;
    for (j = 0; j < c; j++) {
        m = o[j + 1] - o[j];
        if (m < 1)
            return onnx_error(b, SKC_E_FORMAT, "isotonic column %lld has no knots", (long long)j);
        if (!(xs = onnx_arena_alloc(b->arena, (size_t)m, sizeof(*xs))) ||
            !(ys = onnx_arena_alloc(b->arena, (size_t)m, sizeof(*ys))))
            return SKC_E_NOMEM;
        for (i = 0; i < m; i++) {
            xs[i] = skc_tensor_get_f64(xt, o[j] + i);
            ys[i] = skc_tensor_get_f64(yt, o[j] + i);
        }
        if ((rc = onnx_x_slice(b, x, 1, j, j + 1, "iso_column", &col)) < 0 ||
            (rc = comp_iso_column(b, col, xs, ys, m, clip,
                                  lo ? skc_tensor_get_f64(lo, j) : xs[0],
                                  hi ? skc_tensor_get_f64(hi, j) : xs[m - 1], &parts[j])) < 0)
            return rc;
    }
    y = parts[0];
    if (c > 1) {
        if ((rc = onnx_name_fresh(b, "iso_columns", &y)) < 0 ||
            (rc = onnx_node(b, "Concat", NULL, parts, (size_t)c, &y, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 1)) < 0)
            return rc;
    }
    return onnx_exact_output(b, st, 0, y, ONNX_ELEM_DOUBLE, saved);
}

int onnx_emit_isotonic(onnx_builder *b, const skc_step *st)
{
    int saved = onnx_exact_begin(b), rc = comp_iso_body(b, st, saved);

    onnx_exact_end(b, saved);
    return rc;
}

/* ---- aggregate: NaN-ignoring row reductions ---------------------------------------------------- */

int onnx_emit_aggregate(onnx_builder *b, const skc_step *st)
{
    const char *fn, *x, *nan, *keep, *cnt, *fill, *z, *r, *y, *out, *c0, *nanv, *none;
    double init;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "function", &fn)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    if (strcmp(fn, "mean") == 0 || strcmp(fn, "sum") == 0)
        init = 0.0;
    else if (strcmp(fn, "prod") == 0)
        init = 1.0;
    else if (strcmp(fn, "min") == 0)
        init = INFINITY;
    else if (strcmp(fn, "max") == 0)
        init = -INFINITY;
    else
        return onnx_error(b, SKC_E_UNSUPPORTED, "aggregate function '%s'", fn);
    /* NaN entries become the reduction's neutral value; a row of NaN only
     * gives NaN (mean, min, max), 0 (sum) or 1 (prod), as numpy's nan*. */
    if ((rc = onnx_x1(b, "IsNaN", x, "agg_nan", &nan)) < 0 ||
        (rc = onnx_const_scalar(b, "agg_neutral", init, &fill)) < 0 ||
        (rc = onnx_x3(b, "Where", nan, fill, x, "agg_filled", &z)) < 0 ||
        (rc = onnx_x1(b, "Not", nan, "agg_kept", &keep)) < 0 ||
        (rc = onnx_x_cast(b, keep, b->real_elem, "agg_kept_real", &keep)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceSum", keep, 1, 1, "agg_count", &cnt)) < 0)
        return rc;
    if (init == 0.0) {
        if ((rc = onnx_x_reduce(b, "ReduceSum", z, 1, 1, "agg_sum", &r)) < 0)
            return rc;
        y = r;
        if (strcmp(fn, "mean") == 0 && (rc = onnx_x2(b, "Div", r, cnt, "agg_mean", &y)) < 0)
            return rc;
    } else if (init == 1.0) {
        if ((rc = onnx_x_reduce(b, "ReduceProd", z, 1, 1, "agg_prod", &y)) < 0)
            return rc;
    } else {
        if ((rc = onnx_x_reduce(b, init > 0 ? "ReduceMin" : "ReduceMax", z, 1, 1, "agg_extreme",
                                &r)) < 0 ||
            (rc = onnx_const_scalar(b, "agg_zero", 0.0, &c0)) < 0 ||
            (rc = onnx_const_scalar(b, "agg_nan_value", NAN, &nanv)) < 0 ||
            (rc = onnx_x2(b, "Equal", cnt, c0, "agg_all_nan", &none)) < 0 ||
            (rc = onnx_x3(b, "Where", none, nanv, r, "agg_value", &y)) < 0)
            return rc;
    }
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    return onnx_node(b, "Identity", NULL, &y, 1, &out, 1, NULL);
}

/* ---- power ----------------------------------------------------------------------------------------- */

int onnx_emit_power(onnx_builder *b, const skc_step *st)
{
    const char *x, *e, *out;
    double ex;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    if (skc_step_get_float(st, "exponent", &ex) < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'exponent' is missing");
    if ((rc = onnx_const_scalar(b, "exponent", ex, &e)) < 0 ||
        (rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    const char *in[2] = { x, e };
    return onnx_node(b, "Pow", NULL, in, 2, &out, 1, NULL);
}
