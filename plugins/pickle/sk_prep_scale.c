/* SPDX-License-Identifier: MIT */
/* sk_prep_scale.c: element-wise and row-wise preprocessing (MaxAbsScaler, RobustScaler, Normalizer, Binarizer, FunctionTransformer, PowerTransformer, QuantileTransformer, PolynomialFeatures) into IR steps.
 *
 * State across sklearn versions (side by side; "=" is "same as the column before"):
 *
 * | estimator           | attribute / behaviour   | 0.17 – 0.22                 | 0.23 – 0.24                  | 1.0 +                          |
 * |---------------------|-------------------------|-----------------------------|------------------------------|--------------------------------|
 * | MaxAbsScaler        | scale_ (zeros set to 1) | scale_                      | =                            | =                              |
 * | RobustScaler        | center_, scale_         | arrays (absent before 0.17 when disabled) | =              | None when with_* is False      |
 * | Normalizer          | norm 'max'              | row max (signed)            | max of |x| (PR #16633)       | =                              |
 * |                     | zero norm left as is    | norm == 0                   | =                            | norm < 10 eps (PR #19527)      |
 * | Binarizer           | threshold               | threshold                   | =                            | = (+ n_features_in_)           |
 * | FunctionTransformer | func                    | None or a global (numpy ufunc: numpy.core._multiarray_umath.log, numpy 2: numpy._core...) |
 * | PowerTransformer    | lambdas_, _scaler       | 0.20 +: lambdas_, method, standardize, _scaler (StandardScaler) |           |
 * |                     | Yeo-Johnson branches    | 0.20.0: λ < 1e-19, λ < 2-1e-19 (refused where it differs) | 0.20.1 +: |λ| < eps, |λ-2| > eps |  |
 * | QuantileTransformer | quantiles_ [Q, F], references_ [Q], output_distribution (0.19 +) | =            | =                              |
 * | PolynomialFeatures  | input width             | n_input_features_           | =                            | n_features_in_ (1.0 – 1.1 both) |
 * |                     | degree                  | int                         | =                            | int or (min, max); _min_degree, _max_degree |
 * |                     | column order            | powers_ order (combinations) | =                           | =                              |
 *
 * Box-Cox is scipy.special.boxcox (expm1(λ log x)/λ); with standardize the
 * fitted _scaler's mean_ and scale_ are folded into the power_transform
 * step (one double-precision computation).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_load.h"
#include "sk_prep.h"

/* ---- MaxAbsScaler and RobustScaler -------------------------------------- */

static int scale_maxabs(sk_ctx *c, const pk_obj *est, const char *in,
                        int64_t in_width, char *out, int64_t *out_width)
{
    double *s = NULL;
    int64_t f, i;
    int rc;

    if ((rc = skp_doubles(c, pk_attr(est, "scale_"), "scale_", &s, &f)))
        return rc;
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    /* sklearn divides by scale_ (fit already set zeros to 1). */
    for (i = 0; i < f; i++)
        s[i] = s[i] == 0.0 ? 1.0 : s[i];
    if ((rc = skp_scaler(c, in, NULL, s, 1, f, out)) == SKC_OK)
        *out_width = f;
done:
    free(s);
    return rc;
}

static int scale_robust(sk_ctx *c, const pk_obj *est, const char *in,
                        int64_t in_width, char *out, int64_t *out_width)
{
    double *ctr = NULL, *sc = NULL, *mul = NULL;
    int64_t f = -1, nc = -1, ns = -1, i;
    const pk_obj *o;
    int rc = SKC_OK;

    o = pk_attr(est, "center_");
    if (o && pk_kind_of(o) != PK_NONE && skp_bool(est, "with_centering", 1) &&
        (rc = skp_doubles(c, o, "center_", &ctr, &nc)))
        goto done;
    o = pk_attr(est, "scale_");
    if (o && pk_kind_of(o) != PK_NONE && skp_bool(est, "with_scaling", 1) &&
        (rc = skp_doubles(c, o, "scale_", &sc, &ns)))
        goto done;
    f = ctr ? nc : sc ? ns : skp_n_features(est, NULL);
    if (f < 0)
        f = in_width;
    if (f < 0) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a RobustScaler without center_ or scale_ "
                     "does not tell its width");
        goto done;
    }
    if ((ctr && nc != f) || (sc && ns != f)) {
        rc = sk_fail(c, SKC_E_FORMAT, "center_ and scale_ differ in length");
        goto done;
    }
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    mul = malloc((size_t)(f ? f : 1) * sizeof(*mul));
    if (!mul) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < f; i++)
        mul[i] = !sc || sc[i] == 0.0 ? 1.0 : sc[i];
    if ((rc = skp_scaler(c, in, ctr, mul, 1, f, out)) == SKC_OK)
        *out_width = f;
done:
    free(ctr);
    free(sc);
    free(mul);
    return rc;
}

/* ---- Normalizer and Binarizer --------------------------------------------- */

static int scale_normalizer(sk_ctx *c, const pk_obj *est, const char *in,
                            int64_t in_width, char *out, int64_t *out_width)
{
    const char *norm = sk_attr_str(est, "norm");
    int64_t f = skp_n_features(est, NULL);
    skc_step *st;
    int rc;

    if (!norm)
        norm = "l2";
    if (strcmp(norm, "l1") && strcmp(norm, "l2") && strcmp(norm, "max"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "Normalizer norm '%s'", norm);
    if (f < 0)
        f = in_width;
    if ((rc = sk_check_width(c, in, in_width, f)))
        return rc;
    sk_new_name(c, "normalized", out);
    if ((rc = sk_step(c, "normalize", in, out, &st)))
        return rc;
    if (strcmp(norm, "max") == 0 && !skp_version_at_least(est, 0, 23))
        rc = skc_step_set_string(st, "norm", "max_signed");
    else
        rc = skc_step_set_string(st, "norm", norm);
    if (rc == SKC_OK && skp_version_at_least(est, 1, 0))
        rc = skc_step_set_float(st, "min_norm", 10.0 * 2.220446049250313e-16);
    *out_width = f;
    return rc;
}

static int scale_binarizer(sk_ctx *c, const pk_obj *est, const char *in,
                           int64_t in_width, char *out, int64_t *out_width)
{
    int64_t f = skp_n_features(est, NULL);
    double t = 0.0;
    skc_step *st;
    int rc;

    rc = skp_float(est, "threshold", &t);
    if (rc == SKC_E_INVAL || isnan(t))
        return sk_fail(c, SKC_E_FORMAT, "Binarizer threshold is not a number");
    if (f < 0)
        f = in_width;
    if ((rc = sk_check_width(c, in, in_width, f)))
        return rc;
    sk_new_name(c, "binarized", out);
    if ((rc = sk_step(c, "binarize", in, out, &st)) ||
        (rc = skc_step_set_float(st, "threshold", t)))
        return rc;
    *out_width = f;
    return SKC_OK;
}

/* ---- FunctionTransformer ---------------------------------------------------- */

/* numpy ufuncs the IR `ufunc` step computes (core/OPS.md). */
static const char *const scale_ufuncs[] = {
    "log", "log1p", "log2", "log10", "exp", "expm1", "exp2", "sqrt", "cbrt",
    "abs", "absolute", "fabs", "negative", "reciprocal", "square", "sign",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "floor", "ceil", "rint", "trunc", NULL
};

static int scale_function(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *fn = pk_attr(est, "func"), *kw = pk_attr(est, "kw_args");
    const char *mod = "?", *name = "?", *canon;
    int64_t f = skp_n_features(est, NULL);
    skc_step *st;
    size_t i;
    int rc;

    if (f < 0)
        f = in_width;
    if ((rc = sk_check_width(c, in, in_width, f)))
        return rc;
    *out_width = f;
    if (!fn || pk_kind_of(fn) == PK_NONE) {
        sk_new_name(c, "passed", out);
        return sk_step(c, "identity", in, out, &st);
    }
    if (kw && pk_kind_of(kw) != PK_NONE && pk_dict_len(kw) > 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "FunctionTransformer kw_args are not supported");
    if (pk_kind_of(fn) != PK_GLOBAL || pk_global(fn, &mod, &name) != SKC_OK)
        return sk_fail(c, SKC_E_UNSUPPORTED, "FunctionTransformer func is a %s; only "
                       "None or a numpy ufunc (numpy.log, numpy.exp, ...) can be converted",
                       pk_kind_name(pk_kind_of(fn)));
    canon = pk_allow_canonical(mod, name);
    if (canon && strncmp(canon, "numpy.", 6) == 0)
        for (i = 0; scale_ufuncs[i]; i++)
            if (strcmp(canon + 6, scale_ufuncs[i]) == 0) {
                sk_new_name(c, "ufunc", out);
                if ((rc = sk_step(c, "ufunc", in, out, &st)))
                    return rc;
                return skc_step_set_string(st, "func", scale_ufuncs[i]);
            }
    return sk_fail(c, SKC_E_UNSUPPORTED, "FunctionTransformer func %s.%s is not a "
                   "supported numpy ufunc (log, log1p, exp, expm1, sqrt, abs, ...); "
                   "other callables are code and are never run", mod, name);
}

/* ---- PowerTransformer --------------------------------------------------------- */

static int scale_power(sk_ctx *c, const pk_obj *est, const char *in,
                       int64_t in_width, char *out, int64_t *out_width)
{
    const char *method = sk_attr_str(est, "method");
    const char *ver = sk_attr_str(est, "_sklearn_version");
    double *lam = NULL, *mean = NULL, *sd = NULL;
    skc_tensor *lt = NULL, *mt = NULL, *st2 = NULL;
    int64_t f, i, nm = 0, ns = 0;
    skc_step *st;
    int rc;

    if (!method)
        method = "yeo-johnson";
    if (strcmp(method, "yeo-johnson") && strcmp(method, "box-cox"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "PowerTransformer method '%s'", method);
    if ((rc = skp_doubles(c, pk_attr(est, "lambdas_"), "lambdas_", &lam, &f)))
        return rc;
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    if (ver && strcmp(ver, "0.20.0") == 0 && strcmp(method, "yeo-johnson") == 0)
        for (i = 0; i < f; i++)
            if (lam[i] < 0.0 || lam[i] > 2.0) {
                rc = sk_fail(c, SKC_E_UNSUPPORTED, "sklearn 0.20.0's Yeo-Johnson took "
                             "other branches for lambda %g (fixed in 0.20.1)", lam[i]);
                goto done;
            }
    if ((rc = skc_tensor_from_f64(lam, f, &lt)))
        goto done;
    sk_new_name(c, "powered", out);
    if ((rc = sk_step(c, "power_transform", in, out, &st)) ||
        (rc = skc_step_set_string(st, "method", method)) ||
        (rc = skc_step_set_tensor(st, "lambdas", lt)))
        goto done;
    *out_width = f;
    if (skp_bool(est, "standardize", 1)) {
        /* The fitted _scaler (a StandardScaler) folded into the step, so
         * the standardisation runs in the same precision as the transform:
         * transformed columns can be tightly bunched. */
        const pk_obj *sc = pk_attr(est, "_scaler");
        if (!sc || pk_kind_of(sc) != PK_INSTANCE) {
            rc = sk_fail(c, SKC_E_FORMAT, "standardize=True but _scaler is missing");
            goto done;
        }
        if ((rc = skp_doubles(c, pk_attr(sc, "mean_"), "_scaler.mean_", &mean, &nm)) ||
            (rc = skp_doubles(c, pk_attr(sc, "scale_"), "_scaler.scale_", &sd, &ns)))
            goto done;
        if (nm != f || ns != f) {
            rc = sk_fail(c, SKC_E_FORMAT, "_scaler does not have %lld columns", (long long)f);
            goto done;
        }
        for (i = 0; i < f; i++)
            sd[i] = sd[i] == 0.0 ? 1.0 : 1.0 / sd[i];
        if ((rc = skc_tensor_from_f64(mean, f, &mt)) ||
            (rc = skc_tensor_from_f64(sd, f, &st2)) ||
            (rc = skc_step_set_tensor(st, "offset", mt)) ||
            (rc = skc_step_set_tensor(st, "scale", st2)))
            goto done;
    }
done:
    free(lam);
    free(mean);
    free(sd);
    skc_tensor_free(lt);
    skc_tensor_free(mt);
    skc_tensor_free(st2);
    return rc;
}

/* ---- QuantileTransformer -------------------------------------------------------- */

static int scale_quantile(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    const char *dist = sk_attr_str(est, "output_distribution");
    skc_tensor *q = NULL, *ref = NULL;
    skc_step *st;
    int64_t f;
    int rc;

    if (!dist)
        dist = "uniform";
    if (strcmp(dist, "uniform") && strcmp(dist, "normal"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "QuantileTransformer output_distribution '%s'",
                       dist);
    if ((rc = sk_attr_f64(c, est, "quantiles_", &q)) ||
        (rc = sk_attr_f64(c, est, "references_", &ref)))
        goto done;
    if (skc_tensor_ndim(q) != 2 || skc_tensor_ndim(ref) != 1 ||
        skc_tensor_shape(q)[0] != skc_tensor_numel(ref) || skc_tensor_numel(ref) < 1) {
        rc = sk_fail(c, SKC_E_FORMAT, "quantiles_ is not [n_quantiles, F] for references_");
        goto done;
    }
    f = skc_tensor_shape(q)[1];
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    sk_new_name(c, "quantiled", out);
    if ((rc = sk_step(c, "quantile", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "quantiles", q)) ||
        (rc = skc_step_set_tensor(st, "references", ref)) ||
        (rc = skc_step_set_string(st, "output", dist)))
        goto done;
    *out_width = f;
done:
    skc_tensor_free(q);
    skc_tensor_free(ref);
    return rc;
}

/* ---- PolynomialFeatures ---------------------------------------------------------- */

/* Output terms bounded so a hostile degree cannot exhaust memory. */
#define SCALE_POLY_MAX_TERMS 1000000

/* Append every combination of @p d features (with repetition unless
 * interaction_only) in itertools' lexicographic order, as rows of powers. */
static int scale_poly_degree(int64_t f, int64_t d, int inter, int64_t *pw, int64_t *k,
                             int64_t cap)
{
    int64_t idx[64], j;

    if (d > 64)
        return SKC_E_LIMIT;
    if (inter && d > f)
        return SKC_OK;
    if (f == 0 && d > 0)
        return SKC_OK;
    for (j = 0; j < d; j++)
        idx[j] = inter ? j : 0;
    for (;;) {
        if (*k >= cap)
            return SKC_E_LIMIT;
        memset(pw + *k * f, 0, (size_t)f * sizeof(*pw));
        for (j = 0; j < d; j++)
            pw[*k * f + idx[j]]++;
        (*k)++;
        /* Next combination: the rightmost position that can still grow. */
        for (j = d - 1; j >= 0; j--)
            if (idx[j] < (inter ? f - d + j : f - 1))
                break;
        if (j < 0)
            return SKC_OK;
        idx[j]++;
        for (j = j + 1; j < d; j++)
            idx[j] = inter ? idx[j - 1] + 1 : idx[j - 1];
    }
}

static int scale_poly(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    static const char *const older[] = { "n_input_features_", NULL };
    int64_t f = skp_n_features(est, older), lo = 0, hi = -1, d, k = 0, want = -1, cap;
    int64_t shape[2];
    int inter = skp_bool(est, "interaction_only", 0), bias = skp_bool(est, "include_bias", 1);
    const pk_obj *deg = pk_attr(est, "degree");
    skc_tensor *pt = NULL;
    int64_t *pw = NULL;
    skc_step *st;
    int rc;

    if (f < 0)
        return sk_fail(c, SKC_E_FORMAT, "PolynomialFeatures does not record its input width");
    if (sk_attr_int(est, "_max_degree", &hi) == SKC_OK) {
        if (sk_attr_int(est, "_min_degree", &lo) != SKC_OK)
            lo = 0;
    } else if (deg && pk_int(deg, &hi) == SKC_OK) {
        lo = 0;
    } else if (deg && pk_len(deg) == 2 && pk_int(pk_item(deg, 0), &lo) == SKC_OK &&
               pk_int(pk_item(deg, 1), &hi) == SKC_OK) {
        /* (min_degree, max_degree), 1.0 + */
    } else {
        return sk_fail(c, SKC_E_FORMAT, "PolynomialFeatures degree is unreadable");
    }
    if (lo < 0 || hi < lo || hi > 64)
        return sk_fail(c, SKC_E_UNSUPPORTED, "PolynomialFeatures degree %lld..%lld",
                       (long long)lo, (long long)hi);
    if ((rc = sk_check_width(c, in, in_width, f)))
        return rc;
    sk_attr_int(est, "n_output_features_", &want);
    cap = want > 0 && want <= SCALE_POLY_MAX_TERMS ? want : SCALE_POLY_MAX_TERMS;
    if (f > 0 && cap > INT64_MAX / f / (int64_t)sizeof(int64_t))
        return sk_fail(c, SKC_E_LIMIT, "too many PolynomialFeatures terms");
    pw = malloc((size_t)(cap * (f ? f : 1)) * sizeof(*pw));
    if (!pw)
        return SKC_E_NOMEM;
    /* sklearn: the bias term, then degrees max(1, min_degree) .. max_degree. */
    rc = bias ? scale_poly_degree(f, 0, inter, pw, &k, cap) : SKC_OK;
    for (d = lo > 1 ? lo : 1; rc == SKC_OK && d <= hi; d++)
        rc = scale_poly_degree(f, d, inter, pw, &k, cap);
    if (rc == SKC_E_LIMIT) {
        rc = sk_fail(c, SKC_E_FORMAT, "PolynomialFeatures has more terms than "
                     "n_output_features_ (%lld) says", (long long)want);
        goto done;
    }
    if (rc)
        goto done;
    if (want >= 0 && want != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "PolynomialFeatures: %lld terms computed, "
                     "n_output_features_ is %lld", (long long)k, (long long)want);
        goto done;
    }
    shape[0] = k;
    shape[1] = f;
    if ((rc = skc_tensor_new(SKC_DT_I64, 2, shape, &pt)))
        goto done;
    if (k > 0 && f > 0)
        memcpy(skc_tensor_data_mut(pt), pw, (size_t)(k * f) * sizeof(*pw));
    sk_new_name(c, "poly", out);
    if ((rc = sk_step(c, "poly", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "powers", pt)))
        goto done;
    *out_width = k;
done:
    free(pw);
    skc_tensor_free(pt);
    return rc;
}

const sk_family sk_prep_scale_families[] = {
    { "sklearn.preprocessing.MaxAbsScaler", SK_TRANSFORMER, scale_maxabs },
    { "sklearn.preprocessing.RobustScaler", SK_TRANSFORMER, scale_robust },
    { "sklearn.preprocessing.Normalizer", SK_TRANSFORMER, scale_normalizer },
    { "sklearn.preprocessing.Binarizer", SK_TRANSFORMER, scale_binarizer },
    { "sklearn.preprocessing.FunctionTransformer", SK_TRANSFORMER, scale_function },
    { "sklearn.preprocessing.PowerTransformer", SK_TRANSFORMER, scale_power },
    { "sklearn.preprocessing.QuantileTransformer", SK_TRANSFORMER, scale_quantile },
    { "sklearn.preprocessing.PolynomialFeatures", SK_TRANSFORMER, scale_poly },
    { NULL, 0, NULL }
};
