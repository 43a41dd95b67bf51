/* SPDX-License-Identifier: MIT */
/* op_prep.c: reference semantics of the preprocessing IR operations (core/OPS.md): normalize, binarize, impute, missing_mask, select_columns, concat, bucketize, poly, power_transform, quantile, ufunc. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

/* ---- shared checks -------------------------------------------------------- */

static int prep_need_i64(const skc_step *s, const char *key, int ndim,
                         const skc_tensor **t, char *err, size_t errlen)
{
    if (skc_step_get_tensor(s, key, t) != SKC_OK) {
        skci_errf(err, errlen, "step '%s' lacks tensor attribute '%s'", skc_step_op(s), key);
        return SKC_E_FORMAT;
    }
    if (skc_tensor_dtype(*t) != SKC_DT_I64 || skc_tensor_ndim(*t) != ndim) {
        skci_errf(err, errlen, "step '%s': attribute '%s' must be a %d-D int64 tensor",
                  skc_step_op(s), key, ndim);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

/* Every numeric op reads float64 [N, C]; a string tensor reaching one is a
 * broken model, refused here rather than read as numbers. */
static int prep_numeric_input(const skc_step *s, const skc_tensor *t, char *err,
                              size_t errlen)
{
    if (skc_tensor_dtype(t) != SKC_DT_F64) {
        skci_errf(err, errlen, "step '%s': input holds %s, not numbers", skc_step_op(s),
                  skc_dtype_name(skc_tensor_dtype(t)));
        return SKC_E_INVAL;
    }
    return SKC_OK;
}

static int prep_width(const skc_step *s, int64_t got, int64_t want, char *err,
                      size_t errlen)
{
    if (got != want) {
        skci_errf(err, errlen, "step '%s': input has %lld columns, the step expects %lld",
                  skc_step_op(s), (long long)got, (long long)want);
        return SKC_E_INVAL;
    }
    return SKC_OK;
}

static int prep_is_missing(double x, double missing)
{
    return isnan(missing) ? isnan(x) : x == missing;
}

/* The element-wise ops: a new [N, C] matrix with y = fn(x, arg). */
static int prep_elementwise(const skc_step *s, const skc_tensor *in, skc_tensor **out,
                            double (*fn)(double, double), double arg, char *err,
                            size_t errlen)
{
    const double *x;
    double *y;
    int64_t i, n;
    int rc;

    if ((rc = prep_numeric_input(s, in, err, errlen)) ||
        (rc = skci_new_matrix(skci_rows(in), skci_cols(in), out)))
        return rc;
    x = skc_tensor_data(in);
    y = skc_tensor_data_mut(*out);
    n = skc_tensor_numel(in);
    for (i = 0; i < n; i++)
        y[i] = fn(x[i], arg);
    return SKC_OK;
}

/* ---- normalize: each row divided by its l1, l2 or max norm --------------- */

enum { PREP_L1, PREP_L2, PREP_MAX, PREP_MAX_SIGNED };

static int prep_norm_kind(const skc_step *s)
{
    const char *n;

    if (skc_step_get_string(s, "norm", &n))
        return -1;
    return strcmp(n, "l1") == 0 ? PREP_L1 : strcmp(n, "l2") == 0 ? PREP_L2
         : strcmp(n, "max") == 0 ? PREP_MAX
         : strcmp(n, "max_signed") == 0 ? PREP_MAX_SIGNED : -1;
}

static int prep_normalize_check(const skc_step *s, char *err, size_t errlen)
{
    if (prep_norm_kind(s) < 0) {
        skci_errf(err, errlen, "step 'normalize' needs norm l1, l2, max or max_signed");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int prep_normalize_eval(const skc_step *s, const skc_tensor *const *in,
                               skc_tensor **out, char *err, size_t errlen)
{
    int kind = prep_norm_kind(s), rc;
    double tiny = 0.0, norm;
    int64_t n, f, r, c;
    const double *x;
    double *y;

    if ((rc = prep_numeric_input(s, in[0], err, errlen)))
        return rc;
    skc_step_get_float(s, "min_norm", &tiny);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if ((rc = skci_new_matrix(n, f, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        const double *xr = x + r * f;
        norm = 0.0;
        for (c = 0; c < f; c++) {
            /* sklearn < 0.23 took the row's plain maximum for 'max'. */
            double a = kind == PREP_MAX_SIGNED ? xr[c] : fabs(xr[c]);
            if (kind == PREP_L1)
                norm += a;
            else if (kind == PREP_L2)
                norm += xr[c] * xr[c];
            else if (c == 0 || a > norm)
                norm = a;
        }
        if (kind == PREP_L2)
            norm = sqrt(norm);
        /* sklearn's _handle_zeros_in_scale: a (near) zero norm leaves the row as is. */
        if (norm == 0.0 || (tiny > 0.0 && norm < tiny))
            norm = 1.0;
        for (c = 0; c < f; c++)
            y[r * f + c] = xr[c] / norm;
    }
    return SKC_OK;
}

/* ---- binarize: 1 where X > threshold ------------------------------------- */

static int prep_binarize_check(const skc_step *s, char *err, size_t errlen)
{
    double t;

    if (skc_step_get_float(s, "threshold", &t) || isnan(t)) {
        skci_errf(err, errlen, "step 'binarize' needs a float attribute 'threshold'");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static double prep_above(double x, double t)
{
    return x > t ? 1.0 : 0.0;
}

static int prep_binarize_eval(const skc_step *s, const skc_tensor *const *in,
                              skc_tensor **out, char *err, size_t errlen)
{
    double t = 0.0;

    skc_step_get_float(s, "threshold", &t);
    return prep_elementwise(s, in[0], out, prep_above, t, err, errlen);
}

static void prep_binarize_hints(const skc_step *s, skci_hints *h)
{
    double t = 0.0;
    int64_t c;

    skc_step_get_float(s, "threshold", &t);
    for (c = 0; c < h->cols; c++) {
        skci_hint_add(h, c, t);
        skci_hint_add(h, c, (double)nextafterf((float)t, INFINITY));
        skci_hint_add(h, c, (double)nextafterf((float)t, -INFINITY));
    }
}

/* ---- impute: missing entries replaced by a per-column value --------------- */

static int prep_impute_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *fill;
    const char *ms;
    double m;

    if (skc_step_get_float(s, "missing", &m)) {
        skci_errf(err, errlen, "step 'impute' needs a float attribute 'missing'");
        return SKC_E_FORMAT;
    }
    if (skc_step_get_tensor(s, "fill", &fill) == SKC_OK &&
        skc_tensor_dtype(fill) == SKC_DT_STRING && skc_tensor_ndim(fill) == 1)
        return SKC_OK;
    if (skc_step_get_string(s, "missing_string", &ms) == SKC_OK) {
        skci_errf(err, errlen, "step 'impute': 'missing_string' needs a string 'fill'");
        return SKC_E_FORMAT;
    }
    return skci_need_f64(s, "fill", 1, &fill, err, errlen);
}

/* String columns: an entry equal to missing_string ("" by default: how a
 * string X holds NaN and None) becomes fill[f] (core/OPS.md `impute`). */
static int prep_impute_strings(const skc_step *s, const skc_tensor *x, const skc_tensor *ft,
                               skc_tensor **out, char *err, size_t errlen)
{
    const char *ms = "";
    int64_t n = skci_rows(x), f = skci_cols(x), i, shape[2];
    int rc;

    if (skc_tensor_dtype(x) != SKC_DT_STRING) {
        skci_errf(err, errlen, "step 'impute': string fill values for a %s input",
                  skc_dtype_name(skc_tensor_dtype(x)));
        return SKC_E_INVAL;
    }
    if ((rc = prep_width(s, f, skc_tensor_numel(ft), err, errlen)))
        return rc;
    skc_step_get_string(s, "missing_string", &ms);
    shape[0] = n;
    shape[1] = f;
    if ((rc = skc_tensor_new(SKC_DT_STRING, 2, shape, out)))
        return rc;
    for (i = 0; i < n * f && rc == SKC_OK; i++) {
        size_t len = 0;
        const char *v = skc_tensor_string(x, i, &len);
        if (!v || (len == strlen(ms) && memcmp(v, ms, len) == 0))
            v = skc_tensor_string(ft, f ? i % f : 0, &len);
        rc = skc_tensor_set_string(*out, i, v ? v : "", v ? len : 0);
    }
    if (rc) {
        skc_tensor_free(*out);
        *out = NULL;
    }
    return rc;
}

static int prep_impute_eval(const skc_step *s, const skc_tensor *const *in,
                            skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *ft;
    skc_tensor *parsed = NULL;
    const double *x, *fill;
    double miss = NAN, *y;
    int64_t n, f, r, c;
    int rc;

    skc_step_get_tensor(s, "fill", &ft);
    if (skc_tensor_dtype(ft) == SKC_DT_STRING)
        return prep_impute_strings(s, in[0], ft, out, err, errlen);
    /* A numeric imputer on a string X's numeric columns (core/OPS.md
     * "String inputs"). */
    if (skc_tensor_dtype(in[0]) == SKC_DT_STRING) {
        if ((rc = skci_strings_to_f64(in[0], "step 'impute'", &parsed, err, errlen)))
            return rc;
        rc = prep_impute_eval(s, (const skc_tensor *const *)&parsed, out, err, errlen);
        skc_tensor_free(parsed);
        return rc;
    }
    if ((rc = prep_numeric_input(s, in[0], err, errlen)))
        return rc;
    skc_step_get_float(s, "missing", &miss);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if ((rc = prep_width(s, f, skc_tensor_numel(ft), err, errlen)) ||
        (rc = skci_new_matrix(n, f, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    fill = skc_tensor_data(ft);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        for (c = 0; c < f; c++) {
            double v = x[r * f + c];
            y[r * f + c] = prep_is_missing(v, miss) ? fill[c] : v;
        }
    return SKC_OK;
}

static void prep_impute_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *ft;
    double miss = NAN;
    int64_t c;

    skc_step_get_float(s, "missing", &miss);
    if (skc_step_get_tensor(s, "fill", &ft))
        return;
    if (skc_tensor_dtype(ft) == SKC_DT_STRING) {
        for (c = 0; h->str_missing_ok && c < h->cols; c++) {
            int64_t x = skci_hint_col(h, c);
            if (x < 0)
                continue;
            h->str_missing_ok[x] = 1;
            /* The fill value is a string worth probing until an encoder
             * further on tells its categories. */
            if (!h->str_src[x] && c < skc_tensor_numel(ft)) {
                h->str_src[x] = ft;
                h->str_lo[x] = c;
                h->str_hi[x] = c + 1;
            }
        }
        return;
    }
    if (isnan(miss))
        h->nan_ok = 1;
    for (c = 0; c < h->cols && c < skc_tensor_numel(ft); c++) {
        int64_t x = skci_hint_col(h, c);
        if (h->as_number && x >= 0)
            h->as_number[x] = 1;
        skci_hint_add(h, c, skc_tensor_get_f64(ft, c));
        skci_hint_add(h, c, miss);
    }
}

/* ---- missing_mask: 1 where an entry is missing ---------------------------- */

static int prep_missing_mask_check(const skc_step *s, char *err, size_t errlen)
{
    double m;

    if (skc_step_get_float(s, "missing", &m)) {
        skci_errf(err, errlen, "step 'missing_mask' needs a float attribute 'missing'");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static double prep_missing_flag(double x, double missing)
{
    return prep_is_missing(x, missing) ? 1.0 : 0.0;
}

static int prep_missing_mask_eval(const skc_step *s, const skc_tensor *const *in,
                                  skc_tensor **out, char *err, size_t errlen)
{
    double miss = NAN;

    skc_step_get_float(s, "missing", &miss);
    return prep_elementwise(s, in[0], out, prep_missing_flag, miss, err, errlen);
}

static void prep_missing_mask_hints(const skc_step *s, skci_hints *h)
{
    double miss = NAN;
    int64_t c;

    skc_step_get_float(s, "missing", &miss);
    if (isnan(miss))
        h->nan_ok = 1;
    for (c = 0; c < h->cols; c++)
        skci_hint_add(h, c, miss);
}

/* ---- select_columns: Y = X[:, indices] (numbers or strings) -------------- */

static int prep_select_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *idx;
    int64_t i;
    int rc;

    if ((rc = prep_need_i64(s, "indices", 1, &idx, err, errlen)))
        return rc;
    for (i = 0; i < skc_tensor_numel(idx); i++) {
        if (((const int64_t *)skc_tensor_data(idx))[i] < 0) {
            skci_errf(err, errlen, "step 'select_columns': negative column index");
            return SKC_E_FORMAT;
        }
    }
    return SKC_OK;
}

static int prep_select_eval(const skc_step *s, const skc_tensor *const *in,
                            skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *it;
    const int64_t *idx;
    int64_t n, f, k, r, j, shape[2];
    int rc, dt = skc_tensor_dtype(in[0]);

    skc_step_get_tensor(s, "indices", &it);
    idx = skc_tensor_data(it);
    k = skc_tensor_numel(it);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    for (j = 0; j < k; j++) {
        if (idx[j] >= f) {
            skci_errf(err, errlen, "step 'select_columns': column %lld of an input with %lld",
                      (long long)idx[j], (long long)f);
            return SKC_E_INVAL;
        }
    }
    shape[0] = n;
    shape[1] = k;
    if (dt == SKC_DT_STRING) {
        if ((rc = skc_tensor_new(SKC_DT_STRING, 2, shape, out)))
            return rc;
        for (r = 0; r < n; r++)
            for (j = 0; j < k; j++) {
                size_t len;
                const char *v = skc_tensor_string(in[0], r * f + idx[j], &len);
                if ((rc = skc_tensor_set_string(*out, r * k + j, v, len))) {
                    skc_tensor_free(*out);
                    *out = NULL;
                    return rc;
                }
            }
        return SKC_OK;
    }
    if ((rc = prep_numeric_input(s, in[0], err, errlen)) ||
        (rc = skci_new_matrix(n, k, out)))
        return rc;
    {
        const double *x = skc_tensor_data(in[0]);
        double *y = skc_tensor_data_mut(*out);
        for (r = 0; r < n; r++)
            for (j = 0; j < k; j++)
                y[r * k + j] = x[r * f + idx[j]];
    }
    return SKC_OK;
}

/* ---- concat: inputs side by side along the columns ------------------------ */

static int prep_concat_eval(const skc_step *s, const skc_tensor *const *in,
                            skc_tensor **out, char *err, size_t errlen)
{
    int64_t n, total = 0, at = 0, r, c, w;
    int i, rc, k = skc_step_input_count(s);
    double *y;

    n = skci_rows(in[0]);
    for (i = 0; i < k; i++) {
        if ((rc = prep_numeric_input(s, in[i], err, errlen)))
            return rc;
        if (skci_rows(in[i]) != n) {
            skci_errf(err, errlen, "step 'concat': inputs have %lld and %lld rows",
                      (long long)n, (long long)skci_rows(in[i]));
            return SKC_E_INVAL;
        }
        total += skci_cols(in[i]);
    }
    if ((rc = skci_new_matrix(n, total, out)))
        return rc;
    y = skc_tensor_data_mut(*out);
    for (i = 0; i < k; i++) {
        const double *x = skc_tensor_data(in[i]);
        w = skci_cols(in[i]);
        for (r = 0; r < n; r++)
            for (c = 0; c < w; c++)
                y[r * total + at + c] = x[r * w + c];
        at += w;
    }
    return SKC_OK;
}

/* ---- bucketize: bin index of each value ----------------------------------- */

static int prep_bucketize_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *e, *nb;
    int rc;

    if ((rc = skci_need_f64(s, "edges", 2, &e, err, errlen)) ||
        (rc = prep_need_i64(s, "n_bins", 1, &nb, err, errlen)))
        return rc;
    if (skc_tensor_shape(e)[0] != skc_tensor_numel(nb)) {
        skci_errf(err, errlen, "step 'bucketize': edges has %lld rows for %lld features",
                  (long long)skc_tensor_shape(e)[0], (long long)skc_tensor_numel(nb));
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int prep_bucketize_eval(const skc_step *s, const skc_tensor *const *in,
                               skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *et, *nt;
    const double *x, *e;
    const int64_t *nb;
    double rtol = 0.0, atol = 0.0, *y;
    int64_t n, f, b, r, c, k;
    int rc;

    if ((rc = prep_numeric_input(s, in[0], err, errlen)))
        return rc;
    skc_step_get_tensor(s, "edges", &et);
    skc_step_get_tensor(s, "n_bins", &nt);
    skc_step_get_float(s, "rtol", &rtol);
    skc_step_get_float(s, "atol", &atol);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    b = skc_tensor_shape(et)[1];
    if ((rc = prep_width(s, f, skc_tensor_numel(nt), err, errlen)) ||
        (rc = skci_new_matrix(n, f, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    e = skc_tensor_data(et);
    nb = skc_tensor_data(nt);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        for (c = 0; c < f; c++) {
            double v = x[r * f + c], cnt = 0.0;
            if (isnan(v)) {
                y[r * f + c] = NAN;
                continue;
            }
            /* sklearn < 1.1 nudged values up before np.digitize (rtol/atol). */
            if (rtol != 0.0 || atol != 0.0)
                v += atol + rtol * fabs(v);
            for (k = 0; k < b; k++)
                if (e[c * b + k] <= v)
                    cnt += 1.0;
            if (cnt > (double)(nb[c] - 1))
                cnt = (double)(nb[c] - 1);
            y[r * f + c] = cnt < 0.0 ? 0.0 : cnt;
        }
    return SKC_OK;
}

static void prep_bucketize_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *et;
    int64_t f, b, c, k;

    if (skc_step_get_tensor(s, "edges", &et))
        return;
    f = skc_tensor_shape(et)[0];
    b = skc_tensor_shape(et)[1];
    for (c = 0; c < f && c < h->cols; c++)
        for (k = 0; k < b; k++) {
            double v = skc_tensor_get_f64(et, c * b + k);
            float vf = (float)v;
            if (!isfinite(v))
                continue;   /* the +inf padding is no edge */
            skci_hint_add(h, c, vf);
            skci_hint_add(h, c, (double)nextafterf(vf, INFINITY));
            skci_hint_add(h, c, (double)nextafterf(vf, -INFINITY));
        }
}

/* ---- poly: products of powers of the columns ------------------------------ */

static int prep_poly_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *p;
    int64_t i;
    int rc;

    if ((rc = prep_need_i64(s, "powers", 2, &p, err, errlen)))
        return rc;
    for (i = 0; i < skc_tensor_numel(p); i++) {
        int64_t v = ((const int64_t *)skc_tensor_data(p))[i];
        if (v < 0 || v > 64) {
            skci_errf(err, errlen, "step 'poly': power %lld outside 0..64", (long long)v);
            return SKC_E_FORMAT;
        }
    }
    return SKC_OK;
}

static int prep_poly_eval(const skc_step *s, const skc_tensor *const *in,
                          skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *pt;
    const int64_t *p;
    const double *x;
    double *y;
    int64_t n, f, k, r, t, c, e;
    int rc;

    if ((rc = prep_numeric_input(s, in[0], err, errlen)))
        return rc;
    skc_step_get_tensor(s, "powers", &pt);
    k = skc_tensor_shape(pt)[0];
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if ((rc = prep_width(s, f, skc_tensor_shape(pt)[1], err, errlen)) ||
        (rc = skci_new_matrix(n, k, out)))
        return rc;
    p = skc_tensor_data(pt);
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        for (t = 0; t < k; t++) {
            /* sklearn (dense, 0.24+) builds a term by multiplying a term of
             * one degree less by its lowest feature, so the factors meet
             * from the highest feature down; the same order here keeps the
             * rounding identical. */
            double acc = 1.0;
            int first = 1;
            for (c = f - 1; c >= 0; c--)
                for (e = 0; e < p[t * f + c]; e++) {
                    acc = first ? x[r * f + c] : acc * x[r * f + c];
                    first = 0;
                }
            y[r * k + t] = acc;
        }
    return SKC_OK;
}

/* ---- power_transform: Yeo-Johnson or Box-Cox with one lambda per column ---- */

static int prep_power_method(const skc_step *s)
{
    const char *m;

    if (skc_step_get_string(s, "method", &m))
        return -1;
    return strcmp(m, "yeo-johnson") == 0 ? 0 : strcmp(m, "box-cox") == 0 ? 1 : -1;
}

static int prep_power_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *l, *o, *k;
    int rc;

    if (prep_power_method(s) < 0) {
        skci_errf(err, errlen, "step 'power_transform' needs method yeo-johnson or box-cox");
        return SKC_E_FORMAT;
    }
    if ((rc = skci_need_f64(s, "lambdas", 1, &l, err, errlen)))
        return rc;
    /* Optional standardisation: both or neither. */
    if (skc_step_get_tensor(s, "offset", &o) == SKC_OK ||
        skc_step_get_tensor(s, "scale", &k) == SKC_OK) {
        if ((rc = skci_need_f64(s, "offset", 1, &o, err, errlen)) ||
            (rc = skci_need_f64(s, "scale", 1, &k, err, errlen)))
            return rc;
        if (skc_tensor_numel(o) != skc_tensor_numel(l) ||
            skc_tensor_numel(k) != skc_tensor_numel(l)) {
            skci_errf(err, errlen, "step 'power_transform': offset and scale do not fit lambdas");
            return SKC_E_FORMAT;
        }
    }
    return SKC_OK;
}

/* sklearn's _yeo_johnson_transform, branch for branch; DBL_EPSILON is
 * np.spacing(1.0). */
static double prep_yeo_johnson(double x, double l)
{
    if (x >= 0.0) {
        if (fabs(l) < DBL_EPSILON)
            return log1p(x);
        return (pow(x + 1.0, l) - 1.0) / l;
    }
    if (fabs(l - 2.0) > DBL_EPSILON)
        return -(pow(-x + 1.0, 2.0 - l) - 1.0) / (2.0 - l);
    return -log1p(-x);
}

/* scipy.special.boxcox: log(x) for lambda 0, else expm1(lambda log x) / lambda. */
static double prep_box_cox(double x, double l)
{
    if (fabs(l) < 1e-19)
        return log(x);
    return expm1(l * log(x)) / l;
}

static int prep_power_eval(const skc_step *s, const skc_tensor *const *in,
                           skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *lt, *ot = NULL, *kt = NULL;
    const double *x, *l, *o = NULL, *k = NULL;
    double *y;
    int64_t n, f, r, c;
    int rc, box = prep_power_method(s) == 1;

    if ((rc = prep_numeric_input(s, in[0], err, errlen)))
        return rc;
    skc_step_get_tensor(s, "lambdas", &lt);
    if (skc_step_get_tensor(s, "offset", &ot) == SKC_OK &&
        skc_step_get_tensor(s, "scale", &kt) == SKC_OK) {
        o = skc_tensor_data(ot);
        k = skc_tensor_data(kt);
    }
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if ((rc = prep_width(s, f, skc_tensor_numel(lt), err, errlen)) ||
        (rc = skci_new_matrix(n, f, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    l = skc_tensor_data(lt);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        for (c = 0; c < f; c++) {
            double v = x[r * f + c];
            v = isnan(v) ? v : box ? prep_box_cox(v, l[c]) : prep_yeo_johnson(v, l[c]);
            y[r * f + c] = o ? (v - o[c]) * k[c] : v;
        }
    return SKC_OK;
}

static void prep_power_hints(const skc_step *s, skci_hints *h)
{
    static const double yj[] = { -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 10.0 };
    static const double bc[] = { 0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0 };
    int box = prep_power_method(s) == 1;
    int64_t c;
    size_t k;

    h->nan_ok = 1;
    for (c = 0; c < h->cols; c++)
        for (k = 0; k < sizeof(yj) / sizeof(yj[0]); k++)
            skci_hint_add(h, c, box ? bc[k] : yj[k]);
}

/* ---- quantile: QuantileTransformer.transform ------------------------------ */

/* numpy's np.interp at one point: the last knot at or below x, its value
 * when x sits on it, else the straight line to the next knot. */
static double prep_interp(double x, const double *xp, const double *fp, int64_t q,
                          int64_t stride_x, int64_t stride_f)
{
    int64_t lo = 0, hi = q, j;
    double slope, v;

    if (x > xp[(q - 1) * stride_x])
        return fp[(q - 1) * stride_f];
    if (x < xp[0])
        return fp[0];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (x >= xp[mid * stride_x])
            lo = mid + 1;
        else
            hi = mid;
    }
    j = lo - 1;
    if (j >= q - 1)
        return fp[(q - 1) * stride_f];
    if (xp[j * stride_x] == x)
        return fp[j * stride_f];
    slope = (fp[(j + 1) * stride_f] - fp[j * stride_f]) /
            (xp[(j + 1) * stride_x] - xp[j * stride_x]);
    v = slope * (x - xp[j * stride_x]) + fp[j * stride_f];
    if (isnan(v)) {
        v = slope * (x - xp[(j + 1) * stride_x]) + fp[(j + 1) * stride_f];
        if (isnan(v) && fp[j * stride_f] == fp[(j + 1) * stride_f])
            v = fp[j * stride_f];
    }
    return v;
}

/* Inverse of the standard normal CDF: Wichura's algorithm AS 241 (PPND16),
 * accurate to about 1e-16, which is what scipy.stats.norm.ppf gives. */
static double prep_poly8(const double *c, double x)
{
    return ((((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x +
            c[1]) * x + c[0];
}

static const double prep_as241[6][8] = {
    { 3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3,
      1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
      3.3430575583588128105e+4, 2.5090809287301226727e+3 },
    { 1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2,
      5.3941960214247511077e+3, 2.1213794301586595867e+4, 3.9307895800092710610e+4,
      2.8729085735721942674e+4, 5.2264952788528545610e+3 },
    { 1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
      3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
      2.27238449892691845833e-2, 7.74545014278341407640e-4 },
    { 1.0, 2.05319162663775882187e0, 1.67638483018380384940e0,
      6.89767334985100004550e-1, 1.48103976427480074590e-1, 1.51986665636164571966e-2,
      5.47593808499534494600e-4, 1.05075007164441684324e-9 },
    { 6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
      2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
      2.71155556874348757815e-5, 2.01033439929228813265e-7 },
    { 1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1,
      1.48753612908506148525e-2, 7.86869131145613259100e-4, 1.84631831751005468180e-5,
      1.42151175831644588870e-7, 2.04426310338993978564e-15 },
};

static double prep_ndtri(double p)
{
    double q = p - 0.5, r, v;

    if (isnan(p))
        return p;
    if (p <= 0.0)
        return p == 0.0 ? -INFINITY : NAN;
    if (p >= 1.0)
        return p == 1.0 ? INFINITY : NAN;
    if (fabs(q) <= 0.425) {
        r = 0.180625 - q * q;
        return q * prep_poly8(prep_as241[0], r) / prep_poly8(prep_as241[1], r);
    }
    r = sqrt(-log(q < 0.0 ? p : 1.0 - p));
    if (r <= 5.0) {
        r -= 1.6;
        v = prep_poly8(prep_as241[2], r) / prep_poly8(prep_as241[3], r);
    } else {
        r -= 5.0;
        v = prep_poly8(prep_as241[4], r) / prep_poly8(prep_as241[5], r);
    }
    return q < 0.0 ? -v : v;
}

/* sklearn's BOUNDS_THRESHOLD and the clip it derives from it. */
#define PREP_BOUNDS 1e-7

static int prep_quantile_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *q, *ref;
    const char *o;
    int rc;

    if ((rc = skci_need_f64(s, "quantiles", 2, &q, err, errlen)) ||
        (rc = skci_need_f64(s, "references", 1, &ref, err, errlen)))
        return rc;
    if (skc_tensor_shape(q)[0] != skc_tensor_numel(ref) || skc_tensor_numel(ref) < 1) {
        skci_errf(err, errlen, "step 'quantile': %lld quantile rows for %lld references",
                  (long long)skc_tensor_shape(q)[0], (long long)skc_tensor_numel(ref));
        return SKC_E_FORMAT;
    }
    if (skc_step_get_string(s, "output", &o) ||
        (strcmp(o, "uniform") && strcmp(o, "normal"))) {
        skci_errf(err, errlen, "step 'quantile' needs output uniform or normal");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int prep_quantile_eval(const skc_step *s, const skc_tensor *const *in,
                              skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *qt, *rt;
    const double *x, *qv, *ref;
    double *y, *nq = NULL, *nref = NULL, lo_clip, hi_clip;
    const char *o;
    int64_t n, f, q, r, c, k;
    int rc, normal;

    if ((rc = prep_numeric_input(s, in[0], err, errlen)))
        return rc;
    skc_step_get_tensor(s, "quantiles", &qt);
    skc_step_get_tensor(s, "references", &rt);
    skc_step_get_string(s, "output", &o);
    normal = strcmp(o, "normal") == 0;
    q = skc_tensor_numel(rt);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if ((rc = prep_width(s, f, skc_tensor_shape(qt)[1], err, errlen)))
        return rc;
    nq = malloc((size_t)q * sizeof(double));
    nref = malloc((size_t)q * sizeof(double));
    if (!nq || !nref) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if ((rc = skci_new_matrix(n, f, out)))
        goto done;
    x = skc_tensor_data(in[0]);
    qv = skc_tensor_data(qt);
    ref = skc_tensor_data(rt);
    y = skc_tensor_data_mut(*out);
    for (k = 0; k < q; k++)
        nref[k] = -ref[q - 1 - k];
    lo_clip = prep_ndtri(PREP_BOUNDS - DBL_EPSILON);
    hi_clip = prep_ndtri(1.0 - (PREP_BOUNDS - DBL_EPSILON));
    for (c = 0; c < f; c++) {
        double qlo = qv[c], qhi = qv[(q - 1) * f + c];
        for (k = 0; k < q; k++)
            nq[k] = -qv[(q - 1 - k) * f + c];
        for (r = 0; r < n; r++) {
            double v = x[r * f + c], t;
            if (isnan(v)) {
                y[r * f + c] = v;
                continue;
            }
            /* Interpolating upwards and downwards and averaging gives the
             * middle of a run of repeated quantiles (sklearn's comment). */
            t = 0.5 * (prep_interp(v, qv + c, ref, q, f, 1) -
                       prep_interp(-v, nq, nref, q, 1, 1));
            if (normal ? v + PREP_BOUNDS > qhi : v == qhi)
                t = 1.0;
            if (normal ? v - PREP_BOUNDS < qlo : v == qlo)
                t = 0.0;
            if (normal) {
                t = prep_ndtri(t);
                t = t < lo_clip ? lo_clip : t > hi_clip ? hi_clip : t;
            }
            y[r * f + c] = t;
        }
    }
done:
    free(nq);
    free(nref);
    return rc;
}

static void prep_quantile_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *qt;
    int64_t q, f, c, k, step;

    h->nan_ok = 1;
    if (skc_step_get_tensor(s, "quantiles", &qt))
        return;
    q = skc_tensor_shape(qt)[0];
    f = skc_tensor_shape(qt)[1];
    step = q > 64 ? q / 64 : 1;
    for (c = 0; c < f && c < h->cols; c++)
        for (k = 0; k < q; k += step)
            skci_hint_add(h, c, (double)(float)skc_tensor_get_f64(qt, k * f + c));
}

/* ---- ufunc: a numpy element-wise function --------------------------------- */

/* The numpy ufuncs FunctionTransformer may name, each with the C function
 * that computes it the way numpy does in double precision. */
static double prep_u_sign(double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : v; }
static double prep_u_square(double v) { return v * v; }
static double prep_u_negative(double v) { return -v; }
static double prep_u_reciprocal(double v) { return 1.0 / v; }
static double prep_u_exp2(double v) { return exp2(v); }

static const struct {
    const char *name;
    double (*fn)(double);
} prep_ufuncs[] = {
    { "log", log }, { "log1p", log1p }, { "log2", log2 }, { "log10", log10 },
    { "exp", exp }, { "expm1", expm1 }, { "exp2", prep_u_exp2 }, { "sqrt", sqrt },
    { "cbrt", cbrt }, { "abs", fabs }, { "absolute", fabs }, { "fabs", fabs },
    { "negative", prep_u_negative }, { "reciprocal", prep_u_reciprocal },
    { "square", prep_u_square }, { "sign", prep_u_sign },
    { "sin", sin }, { "cos", cos }, { "tan", tan }, { "arcsin", asin },
    { "arccos", acos }, { "arctan", atan }, { "sinh", sinh }, { "cosh", cosh },
    { "tanh", tanh }, { "arcsinh", asinh }, { "arccosh", acosh }, { "arctanh", atanh },
    { "floor", floor }, { "ceil", ceil }, { "rint", nearbyint }, { "trunc", trunc },
};

static double (*prep_ufunc_fn(const skc_step *s))(double)
{
    const char *name;
    size_t i;

    if (skc_step_get_string(s, "func", &name))
        return NULL;
    for (i = 0; i < sizeof(prep_ufuncs) / sizeof(prep_ufuncs[0]); i++)
        if (strcmp(prep_ufuncs[i].name, name) == 0)
            return prep_ufuncs[i].fn;
    return NULL;
}

static int prep_ufunc_check(const skc_step *s, char *err, size_t errlen)
{
    if (!prep_ufunc_fn(s)) {
        skci_errf(err, errlen, "step 'ufunc' needs a known numpy function in 'func'");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int prep_ufunc_eval(const skc_step *s, const skc_tensor *const *in,
                           skc_tensor **out, char *err, size_t errlen)
{
    double (*fn)(double) = prep_ufunc_fn(s);
    const double *x;
    double *y;
    int64_t i, n;
    int rc;

    if ((rc = prep_numeric_input(s, in[0], err, errlen)) ||
        (rc = skci_new_matrix(skci_rows(in[0]), skci_cols(in[0]), out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    n = skc_tensor_numel(in[0]);
    for (i = 0; i < n; i++)
        y[i] = fn(x[i]);
    return SKC_OK;
}

/* Values inside the function's domain and far from float32 overflow, so
 * probe rows compare numbers rather than NaN or inf. */
static void prep_ufunc_hints(const skc_step *s, skci_hints *h)
{
    static const double pos[] = { 0.001, 0.1, 0.5, 0.9, 1.0, 2.0, 10.0, 100.0 };
    static const double small[] = { -5.0, -2.0, -0.5, -0.1, 0.0, 0.1, 0.5, 2.0, 5.0 };
    static const double unit[] = { -0.9, -0.5, -0.1, 0.0, 0.1, 0.5, 0.9 };
    static const double big[] = { 1.0, 1.5, 2.0, 5.0, 10.0 };
    const char *f = "";
    const double *v = small;
    size_t n = sizeof(small) / sizeof(small[0]), k;
    int64_t c;

    skc_step_get_string(s, "func", &f);
    if (strncmp(f, "log", 3) == 0 || strcmp(f, "sqrt") == 0 || strcmp(f, "reciprocal") == 0) {
        v = pos;
        n = sizeof(pos) / sizeof(pos[0]);
    } else if (strcmp(f, "arcsin") == 0 || strcmp(f, "arccos") == 0 ||
               strcmp(f, "arctanh") == 0) {
        v = unit;
        n = sizeof(unit) / sizeof(unit[0]);
    } else if (strcmp(f, "arccosh") == 0) {
        v = big;
        n = sizeof(big) / sizeof(big[0]);
    }
    for (c = 0; c < h->cols; c++)
        for (k = 0; k < n; k++)
            skci_hint_add(h, c, v[k]);
}

const skci_op skci_ops_prep[] = {
    { .name = "normalize", .n_inputs = 1, .n_outputs = 1, .check = prep_normalize_check,
      .eval = prep_normalize_eval },
    { .name = "binarize", .n_inputs = 1, .n_outputs = 1, .check = prep_binarize_check,
      .eval = prep_binarize_eval, .hints = prep_binarize_hints },
    { .name = "impute", .n_inputs = 1, .n_outputs = 1, .check = prep_impute_check,
      .eval = prep_impute_eval, .hints = prep_impute_hints, .strings_ok = 1 },
    { .name = "missing_mask", .n_inputs = 1, .n_outputs = 1,
      .check = prep_missing_mask_check, .eval = prep_missing_mask_eval,
      .hints = prep_missing_mask_hints },
    { .name = "select_columns", .n_inputs = 1, .n_outputs = 1, .check = prep_select_check,
      .eval = prep_select_eval, .strings_ok = 1 },
    { .name = "concat", .n_inputs = -1, .n_outputs = 1, .eval = prep_concat_eval },
    { .name = "bucketize", .n_inputs = 1, .n_outputs = 1, .check = prep_bucketize_check,
      .eval = prep_bucketize_eval, .hints = prep_bucketize_hints },
    { .name = "poly", .n_inputs = 1, .n_outputs = 1, .check = prep_poly_check,
      .eval = prep_poly_eval },
    { .name = "power_transform", .n_inputs = 1, .n_outputs = 1, .check = prep_power_check,
      .eval = prep_power_eval, .hints = prep_power_hints },
    { .name = "quantile", .n_inputs = 1, .n_outputs = 1, .check = prep_quantile_check,
      .eval = prep_quantile_eval, .hints = prep_quantile_hints },
    { .name = "ufunc", .n_inputs = 1, .n_outputs = 1, .check = prep_ufunc_check,
      .eval = prep_ufunc_eval, .hints = prep_ufunc_hints },
    { .name = NULL }
};
