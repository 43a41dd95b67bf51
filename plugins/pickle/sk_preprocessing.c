/* SPDX-License-Identifier: MIT */
/* sk_preprocessing.c: scalers into scaler/clip steps.
 *
 * | estimator      | attribute  | 0.14 – 0.16 | 0.17 +                         |
 * |----------------|------------|-------------|--------------------------------|
 * | StandardScaler | mean_      | mean_       | mean_ (None if with_mean=False) |
 * |                | scale      | std_        | scale_ (None if with_std=False) |
 * | MinMaxScaler   | min_,scale_| same        | same; clip from 0.24           |
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sk_lift.h"

static int pre_ones(int64_t n, double v, skc_tensor **out)
{
    int64_t i;
    double *d;
    int rc = skc_tensor_new(SKC_DT_F64, 1, &n, out);

    if (rc)
        return rc;
    d = skc_tensor_data_mut(*out);
    for (i = 0; i < n; i++)
        d[i] = v;
    return SKC_OK;
}

static int pre_emit_scaler(sk_ctx *c, const char *in, char *out, skc_tensor *offset,
                           const char *factor_key, skc_tensor *factor, skc_tensor *bias)
{
    skc_step *st;
    int rc;

    sk_new_name(c, "scaled", out);
    if ((rc = sk_step(c, "scaler", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "offset", offset)) ||
        (rc = skc_step_set_tensor(st, factor_key, factor)))
        return rc;
    if (bias && (rc = skc_step_set_tensor(st, "bias", bias)))
        return rc;
    return SKC_OK;
}

/* A boolean hyperparameter; @p fallback when absent. */
static int pre_flag(const pk_obj *est, const char *key, int fallback)
{
    const pk_obj *o = pk_attr(est, key);
    int v;

    return o && pk_bool(o, &v) == SKC_OK ? v : fallback;
}

static int pre_standard(sk_ctx *c, const pk_obj *est, const char *in,
                        int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *mean = NULL, *sd = NULL, *off = NULL, *mul = NULL;
    int64_t f = -1, i;
    double *m;
    int rc;

    /* with_mean=False and with_std=False still leave mean_/var_ fitted
     * (sklearn ≥ 0.24 computes them anyway): the flags decide. */
    if (pre_flag(est, "with_mean", 1) && (rc = sk_attr_f64_opt(c, est, "mean_", &mean)))
        goto done;
    if (pre_flag(est, "with_std", 1)) {
        if ((rc = sk_attr_f64_opt(c, est, "scale_", &sd)))
            goto done;
        if (!sd && !pk_attr(est, "scale_") && (rc = sk_attr_f64_opt(c, est, "std_", &sd)))
            goto done;
    }
    if (mean)
        f = skc_tensor_numel(mean);
    else if (sd)
        f = skc_tensor_numel(sd);
    else if (sk_attr_int(est, "n_features_in_", &f) != SKC_OK)
        f = in_width;
    if (f < 0) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED,
                     "a StandardScaler without mean_ or scale_ does not tell its width");
        goto done;
    }
    if ((mean && skc_tensor_numel(mean) != f) || (sd && skc_tensor_numel(sd) != f)) {
        rc = sk_fail(c, SKC_E_FORMAT, "mean_ and scale_ differ in length");
        goto done;
    }
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    if (mean)
        off = skc_tensor_ref(mean);
    else if ((rc = pre_ones(f, 0.0, &off)))
        goto done;
    if ((rc = pre_ones(f, 1.0, &mul)))
        goto done;
    if (sd) {
        m = skc_tensor_data_mut(mul);
        for (i = 0; i < f; i++) {
            double s = skc_tensor_get_f64(sd, i);
            /* sklearn replaces a zero scale by 1 when fitting; keep that. */
            m[i] = s == 0.0 ? 1.0 : s;
        }
    }
    /* sklearn divides by scale_: the step divides too (core/OPS.md). */
    rc = pre_emit_scaler(c, in, out, off, "divisor", mul, NULL);
    *out_width = f;
done:
    skc_tensor_free(mean);
    skc_tensor_free(sd);
    skc_tensor_free(off);
    skc_tensor_free(mul);
    return rc;
}

static int pre_minmax(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *mn = NULL, *sc = NULL, *zero = NULL, *fr = NULL;
    const pk_obj *clip;
    int64_t f;
    int rc, do_clip = 0;

    if ((rc = sk_attr_f64(c, est, "min_", &mn)) || (rc = sk_attr_f64(c, est, "scale_", &sc)))
        goto done;
    f = skc_tensor_numel(sc);
    if (skc_tensor_numel(mn) != f) {
        rc = sk_fail(c, SKC_E_FORMAT, "min_ and scale_ differ in length");
        goto done;
    }
    if ((rc = sk_check_width(c, in, in_width, f)) || (rc = pre_ones(f, 0.0, &zero)))
        goto done;
    /* sklearn computes X * scale_ + min_: offset 0, bias min_. */
    if ((rc = pre_emit_scaler(c, in, out, zero, "scale", sc, mn)))
        goto done;
    clip = pk_attr(est, "clip");
    if (clip && pk_bool(clip, &do_clip) == SKC_OK && do_clip) {
        skc_step *st;
        char clipped[64];
        if ((rc = sk_attr_f64(c, est, "feature_range", &fr)))
            goto done;
        if (skc_tensor_numel(fr) != 2) {
            rc = sk_fail(c, SKC_E_FORMAT, "feature_range is not a pair");
            goto done;
        }
        sk_new_name(c, "clipped", clipped);
        if ((rc = sk_step(c, "clip", out, clipped, &st)) ||
            (rc = skc_step_set_float(st, "min", skc_tensor_get_f64(fr, 0))) ||
            (rc = skc_step_set_float(st, "max", skc_tensor_get_f64(fr, 1))))
            goto done;
        snprintf(out, 64, "%s", clipped);
    }
    *out_width = f;
done:
    skc_tensor_free(mn);
    skc_tensor_free(sc);
    skc_tensor_free(zero);
    skc_tensor_free(fr);
    return rc;
}

const sk_family sk_preprocessing_families[] = {
    { "sklearn.preprocessing.StandardScaler", SK_TRANSFORMER, pre_standard },
    { "sklearn.preprocessing.MinMaxScaler", SK_TRANSFORMER, pre_minmax },
    { NULL, 0, NULL }
};
