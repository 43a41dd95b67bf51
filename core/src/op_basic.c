/* SPDX-License-Identifier: MIT */
/* op_basic.c: reference semantics of the basic IR operations (core/OPS.md): scaler, clip, linear, proba, label, identity. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

static int ops_width_mismatch(const skc_step *s, const char *what, int64_t want,
                              int64_t got, char *err, size_t errlen)
{
    skci_errf(err, errlen, "step '%s': input has %lld columns but %s has %lld",
              s->op, (long long)got, what, (long long)want);
    return SKC_E_INVAL;
}

/* ---- scaler: Y = (X - offset) * scale + bias, or (X - offset) / divisor + bias */

/* The per-column factor: `scale` multiplies, `divisor` divides (exactly one
 * is given); *divide says which. */
static int ops_scaler_factor(const skc_step *s, const skc_tensor **k, int *divide)
{
    *divide = skc_step_get_tensor(s, "divisor", k) == SKC_OK;
    return *divide ? SKC_OK : skc_step_get_tensor(s, "scale", k);
}

static int ops_scaler_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *off, *sc, *b;
    int rc, divide;

    if ((rc = skci_need_f64(s, "offset", 1, &off, err, errlen)))
        return rc;
    ops_scaler_factor(s, &sc, &divide);
    if (divide && skc_step_get_tensor(s, "scale", &b) == SKC_OK) {
        skci_errf(err, errlen, "step 'scaler' has both 'scale' and 'divisor'");
        return SKC_E_FORMAT;
    }
    if ((rc = skci_need_f64(s, divide ? "divisor" : "scale", 1, &sc, err, errlen)))
        return rc;
    if (skc_tensor_numel(off) != skc_tensor_numel(sc)) {
        skci_errf(err, errlen, "step 'scaler': offset and %s differ in length",
                  divide ? "divisor" : "scale");
        return SKC_E_FORMAT;
    }
    if (skc_step_get_tensor(s, "bias", &b) == SKC_OK) {
        if ((rc = skci_need_f64(s, "bias", 1, &b, err, errlen)))
            return rc;
        if (skc_tensor_numel(b) != skc_tensor_numel(sc)) {
            skci_errf(err, errlen, "step 'scaler': bias and scale differ in length");
            return SKC_E_FORMAT;
        }
    }
    return SKC_OK;
}

static int ops_scaler_eval(const skc_step *s, const skc_tensor *const *in,
                           skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *off, *sc, *b = NULL;
    const double *x, *o, *k, *bb = NULL;
    double *y;
    int64_t n, f, r, c;
    int rc, divide;

    skc_step_get_tensor(s, "offset", &off);
    ops_scaler_factor(s, &sc, &divide);
    if (skc_step_get_tensor(s, "bias", &b) == SKC_OK)
        bb = skc_tensor_data(b);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if (f != skc_tensor_numel(sc))
        return ops_width_mismatch(s, divide ? "divisor" : "scale", skc_tensor_numel(sc), f,
                                  err, errlen);
    if ((rc = skci_new_matrix(n, f, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    o = skc_tensor_data(off);
    k = skc_tensor_data(sc);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        for (c = 0; c < f; c++) {
            double d = x[r * f + c] - o[c];
            y[r * f + c] = (divide ? d / k[c] : d * k[c]) + (bb ? bb[c] : 0.0);
        }
    return SKC_OK;
}

/* ---- clip: Y = min(max(X, min), max), NaN kept ------------------------- */

static int ops_clip_check(const skc_step *s, char *err, size_t errlen)
{
    double lo, hi;

    if (skc_step_get_float(s, "min", &lo) || skc_step_get_float(s, "max", &hi)) {
        skci_errf(err, errlen, "step 'clip' needs float attributes 'min' and 'max'");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int ops_clip_eval(const skc_step *s, const skc_tensor *const *in,
                         skc_tensor **out, char *err, size_t errlen)
{
    double lo = -INFINITY, hi = INFINITY, v;
    const double *x;
    double *y;
    int64_t i, n;
    int rc;

    (void)err;
    (void)errlen;
    skc_step_get_float(s, "min", &lo);
    skc_step_get_float(s, "max", &hi);
    if ((rc = skci_new_matrix(skci_rows(in[0]), skci_cols(in[0]), out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    n = skc_tensor_numel(in[0]);
    for (i = 0; i < n; i++) {
        v = x[i];
        y[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return SKC_OK;
}

/* ---- linear: S = X coef^T + intercept ---------------------------------- */

static int ops_linear_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *w, *b;
    int rc;

    if ((rc = skci_need_f64(s, "coef", 2, &w, err, errlen)) ||
        (rc = skci_need_f64(s, "intercept", 1, &b, err, errlen)))
        return rc;
    if (skc_tensor_shape(w)[0] != skc_tensor_numel(b)) {
        skci_errf(err, errlen, "step 'linear': coef has %lld rows but intercept %lld entries",
                  (long long)skc_tensor_shape(w)[0], (long long)skc_tensor_numel(b));
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int ops_linear_eval(const skc_step *s, const skc_tensor *const *in,
                           skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *wt, *bt;
    const double *x, *w, *b;
    double *y, acc;
    int64_t n, f, t, r, k, c;
    int rc;

    skc_step_get_tensor(s, "coef", &wt);
    skc_step_get_tensor(s, "intercept", &bt);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    t = skc_tensor_shape(wt)[0];
    if (f != skc_tensor_shape(wt)[1])
        return ops_width_mismatch(s, "coef", skc_tensor_shape(wt)[1], f, err, errlen);
    if ((rc = skci_new_matrix(n, t, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    w = skc_tensor_data(wt);
    b = skc_tensor_data(bt);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        for (k = 0; k < t; k++) {
            acc = 0.0;
            for (c = 0; c < f; c++)
                acc += x[r * f + c] * w[k * f + c];
            y[r * t + k] = acc + b[k];
        }
    }
    return SKC_OK;
}

/* ---- proba: scores to class probabilities ------------------------------ */

static int ops_proba_check(const skc_step *s, char *err, size_t errlen)
{
    const char *mode;

    if (skc_step_get_string(s, "mode", &mode) ||
        (strcmp(mode, "logistic_binary") && strcmp(mode, "softmax") &&
         strcmp(mode, "logistic_ovr"))) {
        skci_errf(err, errlen,
                  "step 'proba' needs mode logistic_binary, softmax or logistic_ovr");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

double skci_expit(double z)
{
    /* Written to avoid overflow in exp for large |z|, as scipy's expit. */
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    return exp(z) / (1.0 + exp(z));
}

static int ops_proba_eval(const skc_step *s, const skc_tensor *const *in,
                          skc_tensor **out, char *err, size_t errlen)
{
    const char *mode;
    const double *z;
    double *p, mx, sum;
    int64_t n, t, k, r, j;
    int rc;

    skc_step_get_string(s, "mode", &mode);
    n = skci_rows(in[0]);
    t = skci_cols(in[0]);
    z = skc_tensor_data(in[0]);
    if (strcmp(mode, "logistic_binary") == 0) {
        if (t != 1) {
            skci_errf(err, errlen, "proba logistic_binary needs one score column, got %lld",
                      (long long)t);
            return SKC_E_INVAL;
        }
        if ((rc = skci_new_matrix(n, 2, out)))
            return rc;
        p = skc_tensor_data_mut(*out);
        for (r = 0; r < n; r++) {
            double q = skci_expit(z[r]);
            p[2 * r] = 1.0 - q;
            p[2 * r + 1] = q;
        }
        return SKC_OK;
    }
    k = t;
    if ((rc = skci_new_matrix(n, k, out)))
        return rc;
    p = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        const double *zr = z + r * k;
        double *pr = p + r * k;
        sum = 0.0;
        if (strcmp(mode, "softmax") == 0) {
            mx = zr[0];
            for (j = 1; j < k; j++)
                if (zr[j] > mx)
                    mx = zr[j];
            for (j = 0; j < k; j++)
                sum += (pr[j] = exp(zr[j] - mx));
        } else {
            for (j = 0; j < k; j++)
                sum += (pr[j] = skci_expit(zr[j]));
        }
        /* Only an exact zero sum falls back to 1/K (OPS.md); NaN scores
         * give NaN, as sklearn and ONNX Runtime do. */
        for (j = 0; j < k; j++)
            pr[j] = sum == 0.0 ? 1.0 / (double)k : pr[j] / sum;
    }
    return SKC_OK;
}

/* ---- label: scores to class labels ------------------------------------- */

static int ops_label_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *cl;
    const char *mode;
    int dt;

    if (skc_step_get_tensor(s, "classes", &cl) != SKC_OK) {
        skci_errf(err, errlen, "step 'label' lacks tensor attribute 'classes'");
        return SKC_E_FORMAT;
    }
    dt = skc_tensor_dtype(cl);
    if ((dt != SKC_DT_I64 && dt != SKC_DT_STRING) || skc_tensor_ndim(cl) != 1 ||
        skc_tensor_numel(cl) < 1) {
        skci_errf(err, errlen, "step 'label': classes must be a non-empty 1-D int64 or string tensor");
        return SKC_E_FORMAT;
    }
    if (skc_step_get_string(s, "mode", &mode) ||
        (strcmp(mode, "argmax") && strcmp(mode, "threshold"))) {
        skci_errf(err, errlen, "step 'label' needs mode argmax or threshold");
        return SKC_E_FORMAT;
    }
    if (strcmp(mode, "threshold") == 0 && skc_tensor_numel(cl) != 2) {
        skci_errf(err, errlen, "step 'label' mode threshold needs exactly two classes");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int ops_label_eval(const skc_step *s, const skc_tensor *const *in,
                          skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *cl;
    const char *mode;
    const double *z;
    double thr = 0.0;
    int64_t n, t, r, j, best, k;
    int rc, is_str;

    skc_step_get_tensor(s, "classes", &cl);
    skc_step_get_string(s, "mode", &mode);
    skc_step_get_float(s, "threshold", &thr);
    n = skci_rows(in[0]);
    t = skci_cols(in[0]);
    k = skc_tensor_numel(cl);
    z = skc_tensor_data(in[0]);
    is_str = skc_tensor_dtype(cl) == SKC_DT_STRING;
    if (strcmp(mode, "threshold") == 0 ? t != 1 : t != k) {
        skci_errf(err, errlen, "step 'label': %lld score columns for %lld classes (%s)",
                  (long long)t, (long long)k, mode);
        return SKC_E_INVAL;
    }
    rc = skc_tensor_new(is_str ? SKC_DT_STRING : SKC_DT_I64, 1, &n, out);
    if (rc)
        return rc;
    for (r = 0; r < n; r++) {
        if (strcmp(mode, "threshold") == 0) {
            best = z[r] > thr ? 1 : 0;
        } else {
            best = 0;
            for (j = 1; j < t; j++)
                if (z[r * t + j] > z[r * t + best])
                    best = j;
        }
        if (is_str) {
            size_t len;
            const char *str = skc_tensor_string(cl, best, &len);
            if ((rc = skc_tensor_set_string(*out, r, str, len))) {
                skc_tensor_free(*out);
                *out = NULL;
                return rc;
            }
        } else {
            ((int64_t *)skc_tensor_data_mut(*out))[r] =
                ((const int64_t *)skc_tensor_data(cl))[best];
        }
    }
    return SKC_OK;
}

/* ---- identity ------------------------------------------------------------ */

static int ops_identity_eval(const skc_step *s, const skc_tensor *const *in,
                             skc_tensor **out, char *err, size_t errlen)
{
    (void)s;
    (void)err;
    (void)errlen;
    *out = skc_tensor_ref((skc_tensor *)(uintptr_t)in[0]);
    return SKC_OK;
}

/* Scaler: the range the scaler saw, in input units: y in {-3..3} standard
 * units (or the fitted range for min-max) mapped back through the step. */
static void ops_scaler_hints(const skc_step *s, skci_hints *h)
{
    static const double ys[] = { -3.0, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 1.1, 3.0 };
    const skc_tensor *off, *sc, *b = NULL;
    int64_t c, n;
    size_t k;
    int divide;

    if (skc_step_get_tensor(s, "offset", &off) || ops_scaler_factor(s, &sc, &divide))
        return;
    skc_step_get_tensor(s, "bias", &b);
    n = skc_tensor_numel(sc);
    for (c = 0; c < n; c++) {
        double k0 = skc_tensor_get_f64(sc, c), o = skc_tensor_get_f64(off, c);
        if (divide)
            k0 = k0 != 0.0 ? 1.0 / k0 : 0.0;
        double bb = b ? skc_tensor_get_f64(b, c) : 0.0;
        for (k = 0; k < sizeof(ys) / sizeof(ys[0]); k++)
            skci_hint_add(h, c, k0 != 0.0 ? (ys[k] - bb) / k0 + o : o + ys[k]);
    }
}

/* Linear: values around 0 scaled to each weight, so scores vary sensibly. */
static void ops_linear_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *w;
    int64_t t, f, c, k;

    if (skc_step_get_tensor(s, "coef", &w))
        return;
    t = skc_tensor_shape(w)[0];
    f = skc_tensor_shape(w)[1];
    for (c = 0; c < f; c++) {
        double mx = 0.0;
        for (k = 0; k < t; k++) {
            double v = fabs(skc_tensor_get_f64(w, k * f + c));
            if (v > mx)
                mx = v;
        }
        if (mx > 0.0 && h->n[c] == 0) {
            skci_hint_add(h, c, -1.0 / mx);
            skci_hint_add(h, c, 0.0);
            skci_hint_add(h, c, 1.0 / mx);
        }
    }
}

const skci_op skci_ops_basic[] = {
    { .name = "scaler", .n_inputs = 1, .n_outputs = 1, .check = ops_scaler_check,
      .eval = ops_scaler_eval, .hints = ops_scaler_hints },
    { .name = "clip", .n_inputs = 1, .n_outputs = 1, .check = ops_clip_check,
      .eval = ops_clip_eval },
    { .name = "linear", .n_inputs = 1, .n_outputs = 1, .check = ops_linear_check,
      .eval = ops_linear_eval, .hints = ops_linear_hints },
    { .name = "proba", .n_inputs = 1, .n_outputs = 1, .check = ops_proba_check,
      .eval = ops_proba_eval },
    { .name = "label", .n_inputs = 1, .n_outputs = 1, .check = ops_label_check,
      .eval = ops_label_eval },
    { .name = "identity", .n_inputs = 1, .n_outputs = 1, .eval = ops_identity_eval },
    { .name = NULL }
};
