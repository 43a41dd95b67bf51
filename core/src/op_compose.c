/* SPDX-License-Identifier: MIT */
/* op_compose.c: reference semantics of the composition IR operations (core/OPS.md): domain, weighted_sum, vote, isotonic, proba_normalize, as_real, aggregate, power. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

static int comp_need_i64(const skc_step *s, const char *key, const skc_tensor **t,
                         char *err, size_t errlen)
{
    if (skc_step_get_tensor(s, key, t) != SKC_OK || skc_tensor_dtype(*t) != SKC_DT_I64 ||
        skc_tensor_ndim(*t) != 1) {
        skci_errf(err, errlen, "step '%s' needs a 1-D int64 tensor attribute '%s'",
                  skc_step_op(s), key);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int comp_numeric(const skc_step *s, const skc_tensor *t, char *err, size_t errlen)
{
    if (skc_tensor_dtype(t) != SKC_DT_F64) {
        skci_errf(err, errlen, "step '%s': input holds %s, not numbers", skc_step_op(s),
                  skc_dtype_name(skc_tensor_dtype(t)));
        return SKC_E_INVAL;
    }
    return SKC_OK;
}

/* An optional string attribute that must be one of @p allowed (NULL-ended);
 * *idx is its position, 0 when absent. */
static int comp_choice(const skc_step *s, const char *key, const char *const *allowed,
                       int *idx, char *err, size_t errlen)
{
    const char *v;
    int i;

    *idx = 0;
    if (skc_step_get_string(s, key, &v) != SKC_OK)
        return SKC_OK;
    for (i = 0; allowed[i]; i++) {
        if (strcmp(v, allowed[i]) == 0) {
            *idx = i;
            return SKC_OK;
        }
    }
    skci_errf(err, errlen, "step '%s': %s '%s' is not known", skc_step_op(s), key, v);
    return SKC_E_FORMAT;
}

/* numpy's pairwise summation (np.sum along a contiguous axis): under 8
 * terms a plain loop, up to 128 eight accumulators, beyond that halves. */
static double comp_pairwise_sum(const double *a, int64_t n)
{
    double r[8], res;
    int64_t i, n2;
    int j;

    if (n < 8) {
        res = 0.0;
        for (i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        for (j = 0; j < 8; j++)
            r[j] = a[j];
        for (i = 8; i < n - (n % 8); i += 8)
            for (j = 0; j < 8; j++)
                r[j] += a[i + j];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    n2 = n / 2;
    n2 -= n2 % 8;
    return comp_pairwise_sum(a, n2) + comp_pairwise_sum(a + n2, n - n2);
}

/* ---- domain: sklearn2pmml's ContinuousDomain / CategoricalDomain --------- */

static const char *const comp_invalid_modes[] = { "as_is", "as_missing", "as_value", NULL };
static const char *const comp_outlier_modes[] = { "as_is", "as_missing", "as_extreme", NULL };

static int comp_domain_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *t, *lo, *hi, *vals, *offs;
    double v;
    int rc, mode;

    if (skc_step_get_tensor(s, "missing_values", &t) == SKC_OK &&
        (rc = skci_need_f64(s, "missing_values", 1, &t, err, errlen)))
        return rc;
    if ((rc = comp_choice(s, "invalid", comp_invalid_modes, &mode, err, errlen)))
        return rc;
    if (mode == 2 && skc_step_get_float(s, "invalid_replacement", &v) != SKC_OK) {
        skci_errf(err, errlen, "step 'domain': invalid 'as_value' needs 'invalid_replacement'");
        return SKC_E_FORMAT;
    }
    if ((rc = comp_choice(s, "outlier", comp_outlier_modes, &mode, err, errlen)))
        return rc;
    if (mode != 0 && (skc_step_get_float(s, "low", &v) != SKC_OK ||
                      skc_step_get_float(s, "high", &v) != SKC_OK)) {
        skci_errf(err, errlen, "step 'domain': an outlier treatment needs 'low' and 'high'");
        return SKC_E_FORMAT;
    }
    if (skc_step_get_tensor(s, "valid_min", &lo) == SKC_OK ||
        skc_step_get_tensor(s, "valid_max", &hi) == SKC_OK) {
        if ((rc = skci_need_f64(s, "valid_min", 1, &lo, err, errlen)) ||
            (rc = skci_need_f64(s, "valid_max", 1, &hi, err, errlen)))
            return rc;
        if (skc_tensor_numel(lo) != skc_tensor_numel(hi)) {
            skci_errf(err, errlen, "step 'domain': valid_min and valid_max differ in length");
            return SKC_E_FORMAT;
        }
    }
    if (skc_step_get_tensor(s, "valid_values", &vals) == SKC_OK) {
        const int64_t *o;
        int64_t i, f;
        if ((rc = skci_need_f64(s, "valid_values", 1, &vals, err, errlen)) ||
            (rc = comp_need_i64(s, "valid_offsets", &offs, err, errlen)))
            return rc;
        o = skc_tensor_data(offs);
        f = skc_tensor_numel(offs) - 1;
        if (f < 0 || o[0] != 0 || o[f] != skc_tensor_numel(vals)) {
            skci_errf(err, errlen, "step 'domain': valid_offsets do not fit valid_values");
            return SKC_E_FORMAT;
        }
        for (i = 0; i < f; i++) {
            if (o[i + 1] < o[i]) {
                skci_errf(err, errlen, "step 'domain': valid_offsets decrease");
                return SKC_E_FORMAT;
            }
        }
    }
    return SKC_OK;
}

typedef struct comp_domain {
    const double *miss;        /* values that mark a missing entry; NULL: NaN */
    int64_t n_miss;
    int has_repl;
    double repl, fill;         /* missing_value_replacement; what "to missing" writes */
    const double *lo, *hi;     /* continuous valid interval per column, or NULL */
    const double *vals;        /* categorical valid values per column, or NULL */
    const int64_t *voff;
    int invalid, outlier;
    double inv_repl, low, high;
} comp_domain;

static int comp_domain_missing(const comp_domain *d, double x)
{
    int64_t i;

    if (!d->miss)
        return isnan(x);
    for (i = 0; i < d->n_miss; i++)
        if (isnan(d->miss[i]) ? isnan(x) : x == d->miss[i])
            return 1;
    return 0;
}

static int comp_domain_valid(const comp_domain *d, int64_t col, double x)
{
    int64_t i;

    if (d->lo)
        return x >= d->lo[col] && x <= d->hi[col];
    if (d->vals) {
        for (i = d->voff[col]; i < d->voff[col + 1]; i++)
            if (x == d->vals[i])
                return 1;
        return 0;
    }
    return 1;
}

static double comp_domain_apply(const comp_domain *d, int64_t col, double x)
{
    double missing = d->has_repl ? d->repl : d->fill;

    if (comp_domain_missing(d, x))
        return d->has_repl ? d->repl : x;
    if (comp_domain_valid(d, col, x)) {
        if (d->outlier == 1 && (x < d->low || x > d->high))
            return missing;
        if (d->outlier == 2)
            return x < d->low ? d->low : x > d->high ? d->high : x;
        return x;
    }
    if (d->invalid == 1)
        return missing;
    if (d->invalid == 2)
        return d->inv_repl;
    return x;
}

static int comp_domain_eval(const skc_step *s, const skc_tensor *const *in,
                            skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *t;
    comp_domain d;
    const double *x;
    double *y;
    int64_t n, f, r, c;
    int rc;

    if ((rc = comp_numeric(s, in[0], err, errlen)))
        return rc;
    memset(&d, 0, sizeof(d));
    d.fill = NAN;
    if (skc_step_get_tensor(s, "missing_values", &t) == SKC_OK) {
        d.miss = skc_tensor_data(t);
        d.n_miss = skc_tensor_numel(t);
    }
    d.has_repl = skc_step_get_float(s, "missing_replacement", &d.repl) == SKC_OK;
    skc_step_get_float(s, "missing_fill", &d.fill);
    comp_choice(s, "invalid", comp_invalid_modes, &d.invalid, err, errlen);
    comp_choice(s, "outlier", comp_outlier_modes, &d.outlier, err, errlen);
    skc_step_get_float(s, "invalid_replacement", &d.inv_repl);
    skc_step_get_float(s, "low", &d.low);
    skc_step_get_float(s, "high", &d.high);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if (skc_step_get_tensor(s, "valid_min", &t) == SKC_OK) {
        if (skc_tensor_numel(t) != f) {
            skci_errf(err, errlen, "step 'domain': %lld valid ranges for %lld columns",
                      (long long)skc_tensor_numel(t), (long long)f);
            return SKC_E_INVAL;
        }
        d.lo = skc_tensor_data(t);
        skc_step_get_tensor(s, "valid_max", &t);
        d.hi = skc_tensor_data(t);
    } else if (skc_step_get_tensor(s, "valid_values", &t) == SKC_OK) {
        d.vals = skc_tensor_data(t);
        skc_step_get_tensor(s, "valid_offsets", &t);
        if (skc_tensor_numel(t) != f + 1) {
            skci_errf(err, errlen, "step 'domain': %lld value sets for %lld columns",
                      (long long)skc_tensor_numel(t) - 1, (long long)f);
            return SKC_E_INVAL;
        }
        d.voff = skc_tensor_data(t);
    }
    if ((rc = skci_new_matrix(n, f, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        for (c = 0; c < f; c++)
            y[r * f + c] = comp_domain_apply(&d, c, x[r * f + c]);
    return SKC_OK;
}

static void comp_domain_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *t, *t2;
    const int64_t *o;
    double v;
    int64_t c, i;

    if (skc_step_get_tensor(s, "missing_values", &t) != SKC_OK)
        h->nan_ok = 1;
    if (skc_step_get_tensor(s, "valid_min", &t) == SKC_OK &&
        skc_step_get_tensor(s, "valid_max", &t2) == SKC_OK) {
        for (c = 0; c < h->cols && c < skc_tensor_numel(t); c++) {
            skci_hint_add(h, c, skc_tensor_get_f64(t, c));
            skci_hint_add(h, c, skc_tensor_get_f64(t2, c));
        }
    }
    if (skc_step_get_tensor(s, "valid_values", &t) == SKC_OK &&
        skc_step_get_tensor(s, "valid_offsets", &t2) == SKC_OK) {
        o = skc_tensor_data(t2);
        for (c = 0; c < h->cols && c + 1 < skc_tensor_numel(t2); c++)
            for (i = o[c]; i < o[c + 1]; i++)
                skci_hint_add(h, c, skc_tensor_get_f64(t, i));
    }
    if (skc_step_get_float(s, "low", &v) == SKC_OK)
        for (c = 0; c < h->cols; c++)
            skci_hint_add(h, c, v);
    if (skc_step_get_float(s, "high", &v) == SKC_OK)
        for (c = 0; c < h->cols; c++)
            skci_hint_add(h, c, v);
}

/* ---- weighted_sum: Y = (sum_i weights[i] X_i) / divisor ------------------- */

static int comp_wsum_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *w;
    int rc;

    if ((rc = skci_need_f64(s, "weights", 1, &w, err, errlen)))
        return rc;
    if (skc_tensor_numel(w) != skc_step_input_count(s)) {
        skci_errf(err, errlen, "step 'weighted_sum': %lld weights for %d inputs",
                  (long long)skc_tensor_numel(w), skc_step_input_count(s));
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int comp_wsum_eval(const skc_step *s, const skc_tensor *const *in,
                          skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *wt;
    const double *w;
    double div = 1.0, *y;
    int64_t n, f, i, total;
    int k = skc_step_input_count(s), j, rc;

    skc_step_get_tensor(s, "weights", &wt);
    w = skc_tensor_data(wt);
    skc_step_get_float(s, "divisor", &div);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    for (j = 0; j < k; j++) {
        if ((rc = comp_numeric(s, in[j], err, errlen)))
            return rc;
        if (skci_rows(in[j]) != n || skci_cols(in[j]) != f) {
            skci_errf(err, errlen, "step 'weighted_sum': input %d is [%lld, %lld], input 0 "
                      "[%lld, %lld]", j, (long long)skci_rows(in[j]),
                      (long long)skci_cols(in[j]), (long long)n, (long long)f);
            return SKC_E_INVAL;
        }
    }
    if ((rc = skci_new_matrix(n, f, out)))
        return rc;
    y = skc_tensor_data_mut(*out);
    total = n * f;
    /* np.average over the estimator axis: products summed in estimator
     * order, then one division by the weight total. */
    for (i = 0; i < total; i++) {
        double acc = w[0] * ((const double *)skc_tensor_data(in[0]))[i];
        for (j = 1; j < k; j++)
            acc += w[j] * ((const double *)skc_tensor_data(in[j]))[i];
        y[i] = acc / div;
    }
    return SKC_OK;
}

/* ---- vote: weighted counts of class indices ------------------------------- */

static int comp_vote_check(const skc_step *s, char *err, size_t errlen)
{
    int64_t k;
    int rc;

    if ((rc = comp_wsum_check(s, err, errlen)))
        return rc;
    if (skc_step_get_int(s, "n_classes", &k) != SKC_OK || k < 1) {
        skci_errf(err, errlen, "step 'vote' needs a positive int attribute 'n_classes'");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int comp_vote_eval(const skc_step *s, const skc_tensor *const *in,
                          skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *wt;
    const double *w;
    double *y;
    int64_t n, kc, r, v;
    int k = skc_step_input_count(s), j, rc;

    skc_step_get_tensor(s, "weights", &wt);
    skc_step_get_int(s, "n_classes", &kc);
    w = skc_tensor_data(wt);
    n = skc_tensor_shape(in[0])[0];
    for (j = 0; j < k; j++) {
        if (skc_tensor_dtype(in[j]) != SKC_DT_I64 || skc_tensor_ndim(in[j]) != 1 ||
            skc_tensor_shape(in[j])[0] != n) {
            skci_errf(err, errlen, "step 'vote': input %d is not an int64 [%lld] label "
                      "tensor", j, (long long)n);
            return SKC_E_INVAL;
        }
    }
    if ((rc = skci_new_matrix(n, kc, out)))
        return rc;
    y = skc_tensor_data_mut(*out);
    /* np.bincount(labels, weights): each estimator adds its weight to the
     * class it predicts, in estimator order. */
    for (r = 0; r < n; r++) {
        for (j = 0; j < k; j++) {
            v = ((const int64_t *)skc_tensor_data(in[j]))[r];
            if (v < 0 || v >= kc) {
                skc_tensor_free(*out);
                *out = NULL;
                skci_errf(err, errlen, "step 'vote': class index %lld of %lld classes",
                          (long long)v, (long long)kc);
                return SKC_E_INVAL;
            }
            y[r * kc + v] += w[j];
        }
    }
    return SKC_OK;
}

/* ---- isotonic: piecewise-linear interpolation per column ------------------ */

static int comp_iso_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *x, *y, *off, *lo, *hi;
    const int64_t *o;
    const double *xd;
    int64_t i, j, c;
    int rc, mode;
    static const char *const bounds[] = { "clip", "nan", NULL };

    if ((rc = skci_need_f64(s, "x", 1, &x, err, errlen)) ||
        (rc = skci_need_f64(s, "y", 1, &y, err, errlen)) ||
        (rc = comp_need_i64(s, "offsets", &off, err, errlen)) ||
        (rc = comp_choice(s, "bounds", bounds, &mode, err, errlen)))
        return rc;
    c = skc_tensor_numel(off) - 1;
    o = skc_tensor_data(off);
    if (skc_tensor_numel(x) != skc_tensor_numel(y) || c < 1 || o[0] != 0 ||
        o[c] != skc_tensor_numel(x)) {
        skci_errf(err, errlen, "step 'isotonic': x, y and offsets do not fit");
        return SKC_E_FORMAT;
    }
    xd = skc_tensor_data(x);
    for (i = 0; i < c; i++) {
        if (o[i + 1] <= o[i]) {
            skci_errf(err, errlen, "step 'isotonic': column %lld has no knots", (long long)i);
            return SKC_E_FORMAT;
        }
        for (j = o[i] + 1; j < o[i + 1]; j++) {
            if (!(xd[j] >= xd[j - 1])) {
                skci_errf(err, errlen, "step 'isotonic': knots of column %lld are not sorted",
                          (long long)i);
                return SKC_E_FORMAT;
            }
        }
    }
    if (skc_step_get_tensor(s, "x_min", &lo) == SKC_OK ||
        skc_step_get_tensor(s, "x_max", &hi) == SKC_OK) {
        if ((rc = skci_need_f64(s, "x_min", 1, &lo, err, errlen)) ||
            (rc = skci_need_f64(s, "x_max", 1, &hi, err, errlen)))
            return rc;
        if (skc_tensor_numel(lo) != c || skc_tensor_numel(hi) != c) {
            skci_errf(err, errlen, "step 'isotonic': x_min / x_max need %lld entries",
                      (long long)c);
            return SKC_E_FORMAT;
        }
    }
    return SKC_OK;
}

/* scipy's interp1d(kind='linear') after IsotonicRegression's clip: the
 * knot pair is found by searchsorted (left side) clamped to [1, m-1]. */
static double comp_iso_one(const double *xs, const double *ys, int64_t m, double t,
                           int clip, double lo, double hi)
{
    int64_t a, b, mid, idx;
    double slope;

    if (m == 1)
        return ys[0];   /* sklearn: a constant fit repeats y whatever the input */
    if (clip)
        t = t < lo ? lo : t > hi ? hi : t;   /* np.clip keeps NaN */
    else if (t < xs[0] || t > xs[m - 1])
        return NAN;
    a = 0;
    b = m;
    if (isnan(t)) {
        a = m;          /* NaN sorts last */
    } else {
        while (a < b) {
            mid = a + (b - a) / 2;
            if (xs[mid] < t)
                a = mid + 1;
            else
                b = mid;
        }
    }
    idx = a < 1 ? 1 : a > m - 1 ? m - 1 : a;
    slope = (ys[idx] - ys[idx - 1]) / (xs[idx] - xs[idx - 1]);
    return slope * (t - xs[idx - 1]) + ys[idx - 1];
}

static int comp_iso_eval(const skc_step *s, const skc_tensor *const *in,
                         skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *x, *y, *off, *lo = NULL, *hi = NULL;
    const int64_t *o;
    const double *xd, *yd, *in_d;
    const char *bounds = "clip";
    double *out_d;
    int64_t n, c, r, j;
    int rc, clip;

    if ((rc = comp_numeric(s, in[0], err, errlen)))
        return rc;
    skc_step_get_tensor(s, "x", &x);
    skc_step_get_tensor(s, "y", &y);
    skc_step_get_tensor(s, "offsets", &off);
    skc_step_get_string(s, "bounds", &bounds);
    clip = strcmp(bounds, "clip") == 0;
    if (skc_step_get_tensor(s, "x_min", &lo) != SKC_OK ||
        skc_step_get_tensor(s, "x_max", &hi) != SKC_OK)
        lo = hi = NULL;
    o = skc_tensor_data(off);
    c = skc_tensor_numel(off) - 1;
    n = skci_rows(in[0]);
    if (skci_cols(in[0]) != c) {
        skci_errf(err, errlen, "step 'isotonic': input has %lld columns, the step %lld",
                  (long long)skci_cols(in[0]), (long long)c);
        return SKC_E_INVAL;
    }
    if ((rc = skci_new_matrix(n, c, out)))
        return rc;
    xd = skc_tensor_data(x);
    yd = skc_tensor_data(y);
    in_d = skc_tensor_data(in[0]);
    out_d = skc_tensor_data_mut(*out);
    for (j = 0; j < c; j++) {
        const double *xs = xd + o[j], *ys = yd + o[j];
        int64_t m = o[j + 1] - o[j];
        double a = lo ? skc_tensor_get_f64(lo, j) : xs[0];
        double b = hi ? skc_tensor_get_f64(hi, j) : xs[m - 1];
        for (r = 0; r < n; r++)
            out_d[r * c + j] = comp_iso_one(xs, ys, m, in_d[r * c + j], clip, a, b);
    }
    return SKC_OK;
}

static void comp_iso_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *x, *off;
    const int64_t *o;
    int64_t c, j;

    if (skc_step_get_tensor(s, "x", &x) || skc_step_get_tensor(s, "offsets", &off))
        return;
    o = skc_tensor_data(off);
    for (c = 0; c < h->cols && c + 1 < skc_tensor_numel(off); c++)
        for (j = o[c]; j < o[c + 1]; j++)
            skci_hint_add(h, c, skc_tensor_get_f64(x, j));
}

/* ---- proba_normalize: calibrated and one-vs-rest probabilities ------------ */

static const char *const comp_norm_modes[] = { "complement", "sum", NULL };

static int comp_norm_check(const skc_step *s, char *err, size_t errlen)
{
    const char *v;
    int mode;

    if (skc_step_get_string(s, "mode", &v) != SKC_OK) {
        skci_errf(err, errlen, "step 'proba_normalize' needs a string attribute 'mode'");
        return SKC_E_FORMAT;
    }
    return comp_choice(s, "mode", comp_norm_modes, &mode, err, errlen);
}

static int comp_norm_eval(const skc_step *s, const skc_tensor *const *in,
                          skc_tensor **out, char *err, size_t errlen)
{
    const double *p;
    double *y, sum;
    int64_t n, c, k, r, j, zero_uniform = 0, snap = 0;
    int rc, mode;

    if ((rc = comp_numeric(s, in[0], err, errlen)))
        return rc;
    comp_choice(s, "mode", comp_norm_modes, &mode, err, errlen);
    skc_step_get_int(s, "zero_uniform", &zero_uniform);
    skc_step_get_int(s, "snap_one", &snap);
    n = skci_rows(in[0]);
    c = skci_cols(in[0]);
    if (mode == 0 && c != 1) {
        skci_errf(err, errlen, "step 'proba_normalize': complement needs 1 column, not %lld",
                  (long long)c);
        return SKC_E_INVAL;
    }
    k = mode == 0 ? 2 : c;
    if ((rc = skci_new_matrix(n, k, out)))
        return rc;
    p = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        if (mode == 0) {
            y[r * 2 + 1] = p[r];
            y[r * 2] = 1.0 - p[r];
        } else {
            sum = comp_pairwise_sum(p + r * c, c);
            for (j = 0; j < c; j++)
                y[r * c + j] = zero_uniform && sum == 0.0 ? 1.0 / (double)c : p[r * c + j] / sum;
        }
        /* CalibratedClassifierCV: probabilities a hair above 1 become 1. */
        if (snap)
            for (j = 0; j < k; j++)
                if (y[r * k + j] > 1.0 && y[r * k + j] <= 1.0 + 1e-5)
                    y[r * k + j] = 1.0;
    }
    return SKC_OK;
}

/* ---- as_real: class indices or any numbers as float64 [N, C] ------------- */

static int comp_real_eval(const skc_step *s, const skc_tensor *const *in,
                          skc_tensor **out, char *err, size_t errlen)
{
    const int64_t *sh = skc_tensor_shape(in[0]);
    int64_t n, c, i;
    double *y;
    int rc, nd = skc_tensor_ndim(in[0]);

    if (skc_tensor_dtype(in[0]) == SKC_DT_STRING || nd < 1 || nd > 2) {
        skci_errf(err, errlen, "step '%s': input is not a 1-D or 2-D numeric tensor",
                  skc_step_op(s));
        return SKC_E_INVAL;
    }
    n = sh[0];
    c = nd == 2 ? sh[1] : 1;
    if ((rc = skci_new_matrix(n, c, out)))
        return rc;
    y = skc_tensor_data_mut(*out);
    for (i = 0; i < n * c; i++)
        y[i] = skc_tensor_get_f64(in[0], i);
    return SKC_OK;
}

/* ---- aggregate: one value per row, NaN ignored (numpy's nan* functions) ---- */

static const char *const comp_agg_fns[] = { "mean", "sum", "min", "max", "prod", NULL };

static int comp_agg_check(const skc_step *s, char *err, size_t errlen)
{
    const char *v;
    int fn;

    if (skc_step_get_string(s, "function", &v) != SKC_OK) {
        skci_errf(err, errlen, "step 'aggregate' needs a string attribute 'function'");
        return SKC_E_FORMAT;
    }
    return comp_choice(s, "function", comp_agg_fns, &fn, err, errlen);
}

static int comp_agg_eval(const skc_step *s, const skc_tensor *const *in,
                         skc_tensor **out, char *err, size_t errlen)
{
    const double *x;
    double *y, *tmp = NULL, acc;
    int64_t n, f, r, c, cnt;
    int rc, fn;

    if ((rc = comp_numeric(s, in[0], err, errlen)))
        return rc;
    comp_choice(s, "function", comp_agg_fns, &fn, err, errlen);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if ((rc = skci_new_matrix(n, 1, out)))
        return rc;
    if (!(tmp = malloc((size_t)(f ? f : 1) * sizeof(*tmp)))) {
        skc_tensor_free(*out);
        *out = NULL;
        return SKC_E_NOMEM;
    }
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        const double *xr = x + r * f;
        cnt = 0;
        for (c = 0; c < f; c++)
            cnt += !isnan(xr[c]);
        if (fn <= 1) {
            /* nansum / nanmean: NaN as 0 in numpy's pairwise row sum. */
            for (c = 0; c < f; c++)
                tmp[c] = isnan(xr[c]) ? 0.0 : xr[c];
            acc = comp_pairwise_sum(tmp, f);
            y[r] = fn == 1 ? acc : cnt ? acc / (double)cnt : NAN;
        } else if (fn == 4) {
            acc = 1.0;
            for (c = 0; c < f; c++)
                if (!isnan(xr[c]))
                    acc *= xr[c];
            y[r] = acc;
        } else {
            acc = NAN;
            for (c = 0; c < f; c++)
                if (!isnan(xr[c]) && (isnan(acc) || (fn == 2 ? xr[c] < acc : xr[c] > acc)))
                    acc = xr[c];
            y[r] = acc;
        }
    }
    free(tmp);
    return SKC_OK;
}

/* ---- power: Y = X ** exponent ------------------------------------------------ */

static int comp_power_check(const skc_step *s, char *err, size_t errlen)
{
    double e;

    if (skc_step_get_float(s, "exponent", &e) != SKC_OK) {
        skci_errf(err, errlen, "step 'power' needs a float attribute 'exponent'");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int comp_power_eval(const skc_step *s, const skc_tensor *const *in,
                           skc_tensor **out, char *err, size_t errlen)
{
    const double *x;
    double *y, e = 1.0;
    int64_t i, n;
    int rc;

    if ((rc = comp_numeric(s, in[0], err, errlen)))
        return rc;
    skc_step_get_float(s, "exponent", &e);
    if ((rc = skci_new_matrix(skci_rows(in[0]), skci_cols(in[0]), out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    n = skc_tensor_numel(in[0]);
    /* numpy.power's float loop is C pow(). */
    for (i = 0; i < n; i++)
        y[i] = pow(x[i], e);
    return SKC_OK;
}

const skci_op skci_ops_compose[] = {
    { .name = "domain", .n_inputs = 1, .n_outputs = 1, .check = comp_domain_check,
      .eval = comp_domain_eval, .hints = comp_domain_hints },
    { .name = "weighted_sum", .n_inputs = -1, .n_outputs = 1, .check = comp_wsum_check,
      .eval = comp_wsum_eval },
    { .name = "vote", .n_inputs = -1, .n_outputs = 1, .check = comp_vote_check,
      .eval = comp_vote_eval },
    { .name = "isotonic", .n_inputs = 1, .n_outputs = 1, .check = comp_iso_check,
      .eval = comp_iso_eval, .hints = comp_iso_hints },
    { .name = "proba_normalize", .n_inputs = 1, .n_outputs = 1, .check = comp_norm_check,
      .eval = comp_norm_eval },
    { .name = "as_real", .n_inputs = 1, .n_outputs = 1, .eval = comp_real_eval,
      .any_dtype = 1 },
    { .name = "aggregate", .n_inputs = 1, .n_outputs = 1, .check = comp_agg_check,
      .eval = comp_agg_eval },
    { .name = "power", .n_inputs = 1, .n_outputs = 1, .check = comp_power_check,
      .eval = comp_power_eval },
    { 0 }
};
