/* SPDX-License-Identifier: MIT */
/* sk_compose_calib.c: CalibratedClassifierCV (sigmoid and isotonic), IsotonicRegression, OneVsRestClassifier, MultiOutputRegressor and RegressorChain.
 *
 * State across sklearn versions (side by side):
 *
 * | attribute                        | 0.18 – 0.23                  | 0.24 – 1.1                   | 1.2 +                   |
 * |----------------------------------|------------------------------|------------------------------|-------------------------|
 * | calibrated_classifiers_[i]       | _CalibratedClassifier        | =                            | =                       |
 * | ... the fitted classifier        | base_estimator               | base_estimator               | estimator               |
 * | ... its calibrators              | calibrators_                 | calibrators                  | =                       |
 * | ... classes                      | classes_ (+ label_encoder_)  | classes                      | =                       |
 * | multiclass normalisation         | p / sum, NaN → 1/K           | p / sum, a zero sum → 1/K    | =                       |
 * | ensemble=False                   | (absent)                     | one calibrated classifier    | =                       |
 * | _SigmoidCalibration              | a_, b_: expit(-(a_ f + b_)) every version                                            |
 * | IsotonicRegression knots         | _necessary_X_, _necessary_y_ | X_thresholds_, y_thresholds_ | =                       |
 * | ... bounds                       | X_min_, X_max_, out_of_bounds ('nan', 'clip', 'raise') every version                  |
 * | OneVsRestClassifier              | estimators_, label_binarizer_ (y_type_ binary / multiclass / multilabel) every version |
 * | MultiOutputRegressor             | estimators_ every version                                                              |
 * | RegressorChain                   | estimators_, order_ (0.19 +)                                                          |
 *
 * The classifier score a calibrator reads: decision_function when the
 * classifier has one, else predict_proba (binary: its second column only).
 * Each calibrated classifier's probabilities are averaged (summed in order,
 * divided by their count); predict is classes_[argmax]. Probabilities in
 * (1, 1 + 1e-5] become 1.
 * IsotonicRegression.predict clips to [X_min_, X_max_] ('clip') or gives
 * NaN outside ('nan'), then interpolates linearly as scipy's interp1d.
 * OneVsRestClassifier.predict: multiclass, the LAST estimator with the
 * highest score (decision_function, else predict_proba[:, 1]); binary,
 * classes_[score > 0 (decision_function) or 0.5]. predict_proba: each
 * predict_proba[:, 1] (binary: [1 - p, p]) divided by the row sum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_compose.h"
#include "sk_prep.h"

/* ---- IsotonicRegression ----------------------------------------------------------- */

/* Knots and bounds of a fitted IsotonicRegression, appended to growing
 * x / y arrays (one column of an isotonic step). */
typedef struct cal_knots {
    double *x, *y, *lo, *hi;
    int64_t *off;
    int64_t n, cap, cols;
} cal_knots;

static void cal_knots_free(cal_knots *k)
{
    free(k->x);
    free(k->y);
    free(k->lo);
    free(k->hi);
    free(k->off);
}

static int cal_knots_add(sk_ctx *c, cal_knots *k, const pk_obj *iso, const char **bounds)
{
    const char *oob = sk_attr_str(iso, "out_of_bounds");
    double *xs = NULL, *ys = NULL, lo, hi;
    int64_t nx, ny, i;
    int rc;
    const pk_obj *xo = pk_attr(iso, "X_thresholds_"), *yo = pk_attr(iso, "y_thresholds_");
    pk_array_info ai;

    if (!xo || !yo) {
        xo = pk_attr(iso, "_necessary_X_");
        yo = pk_attr(iso, "_necessary_y_");
    }
    if (!xo || !yo)
        return sk_fail(c, SKC_E_UNSUPPORTED, "IsotonicRegression without X_thresholds_ "
                       "(0.24 +) or _necessary_X_ (older): a layout skconv does not know");
    if (pk_kind_of(xo) == PK_ARRAY && pk_array(xo, &ai) == SKC_OK && ai.kind == 'f' &&
        ai.itemsize == 4)
        return sk_fail(c, SKC_E_UNSUPPORTED, "an IsotonicRegression fitted on float32 data "
                       "(it predicts in float32)");
    if (oob && strcmp(oob, "clip") && strcmp(oob, "nan"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "out_of_bounds='%s' raises on values outside "
                       "the fit; only 'clip' and 'nan' are converted", oob);
    *bounds = oob && strcmp(oob, "clip") == 0 ? "clip" : "nan";
    if ((rc = skp_doubles(c, xo, "X_thresholds_", &xs, &nx)) ||
        (rc = skp_doubles(c, yo, "y_thresholds_", &ys, &ny)))
        goto done;
    if (nx != ny || nx < 1) {
        rc = sk_fail(c, SKC_E_FORMAT, "%lld knots but %lld values", (long long)nx, (long long)ny);
        goto done;
    }
    for (i = 1; i < nx; i++) {
        if (!(xs[i] >= xs[i - 1])) {
            rc = sk_fail(c, SKC_E_FORMAT, "the isotonic knots are not sorted");
            goto done;
        }
    }
    if (skp_float(iso, "X_min_", &lo) != SKC_OK)
        lo = xs[0];
    if (skp_float(iso, "X_max_", &hi) != SKC_OK)
        hi = xs[nx - 1];
    if (k->n + nx > k->cap) {
        int64_t cap = (k->n + nx) * 2;
        double *nxp = realloc(k->x, (size_t)cap * sizeof(double));
        if (nxp)
            k->x = nxp;
        double *nyp = nxp ? realloc(k->y, (size_t)cap * sizeof(double)) : NULL;
        if (!nxp || !nyp) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        k->y = nyp;
        k->cap = cap;
    }
    {
        double *nl = realloc(k->lo, (size_t)(k->cols + 1) * sizeof(double));
        if (nl)
            k->lo = nl;
        double *nh = nl ? realloc(k->hi, (size_t)(k->cols + 1) * sizeof(double)) : NULL;
        if (nh)
            k->hi = nh;
        int64_t *no = nh ? realloc(k->off, (size_t)(k->cols + 2) * sizeof(int64_t)) : NULL;
        if (!no) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        k->off = no;
    }
    memcpy(k->x + k->n, xs, (size_t)nx * sizeof(double));
    memcpy(k->y + k->n, ys, (size_t)nx * sizeof(double));
    k->off[k->cols] = k->n;
    k->lo[k->cols] = lo;
    k->hi[k->cols] = hi;
    k->n += nx;
    k->cols++;
    k->off[k->cols] = k->n;
done:
    free(xs);
    free(ys);
    return rc;
}

static int cal_isotonic_step(sk_ctx *c, const cal_knots *k, const char *bounds, const char *in,
                             const char *out)
{
    skc_tensor *x = NULL, *y = NULL, *o = NULL, *lo = NULL, *hi = NULL;
    skc_step *st;
    int64_t nf = k->cols + 1;
    int rc;

    if ((rc = skc_tensor_from_f64(k->x, k->n, &x)) ||
        (rc = skc_tensor_from_f64(k->y, k->n, &y)) ||
        (rc = skc_tensor_from_i64(k->off, nf, &o)) ||
        (rc = skc_tensor_from_f64(k->lo, k->cols, &lo)) ||
        (rc = skc_tensor_from_f64(k->hi, k->cols, &hi)) ||
        (rc = sk_step(c, "isotonic", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "x", x)) ||
        (rc = skc_step_set_tensor(st, "y", y)) ||
        (rc = skc_step_set_tensor(st, "offsets", o)) ||
        (rc = skc_step_set_string(st, "bounds", bounds)) ||
        (rc = skc_step_set_tensor(st, "x_min", lo)) ||
        (rc = skc_step_set_tensor(st, "x_max", hi)))
        goto done;
done:
    skc_tensor_free(x);
    skc_tensor_free(y);
    skc_tensor_free(o);
    skc_tensor_free(lo);
    skc_tensor_free(hi);
    return rc;
}

static int cal_isotonic_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                                  int64_t in_width, char *out, int64_t *out_width)
{
    cal_knots k;
    const char *bounds;
    int rc;

    memset(&k, 0, sizeof(k));
    if ((rc = sk_check_width(c, in, in_width, 1)) || (rc = cal_knots_add(c, &k, est, &bounds)))
        goto done;
    sk_out_name(c, "variable", out);
    if ((rc = cal_isotonic_step(c, &k, bounds, in, out)) ||
        (c->final && (rc = sk_output_regressor(c, out, 1))))
        goto done;
    *out_width = 1;
done:
    cal_knots_free(&k);
    return rc;
}

/* ---- CalibratedClassifierCV ----------------------------------------------------------- */

/* The score the calibrators read: decision_function, else predict_proba
 * (binary: its second column). */
static int cal_scores(sk_ctx *c, const pk_obj *base, const char *o, int64_t w, int64_t k,
                      char *s, int64_t *sw)
{
    int64_t one = 1;

    if (skm_has_decision(base))
        return skm_decision(c, base, o, s, sw);
    if (w != k)
        return sk_fail(c, SKC_E_FORMAT, "the classifier gives %lld probability columns for "
                       "%lld classes", (long long)w, (long long)k);
    if (k == 2) {
        *sw = 1;
        return skm_select_step(c, o, &one, 1, s);
    }
    snprintf(s, 64, "%s", o);
    *sw = w;
    return SKC_OK;
}

/* The base classifier's classes_ must be the calibrated classes, in order. */
static int cal_check_classes(sk_ctx *c, const pk_obj *base, const skc_tensor *classes)
{
    skc_tensor *bc = NULL;
    const pk_obj *fin = skm_final_estimator(base);
    int64_t i, n = skc_tensor_numel(classes);
    int rc, same;

    if (!pk_attr(fin, "classes_"))
        return SKC_OK;
    if ((rc = sk_classes(c, fin, &bc)))
        return rc;
    same = skc_tensor_numel(bc) == n && skc_tensor_dtype(bc) == skc_tensor_dtype(classes);
    for (i = 0; same && i < n; i++) {
        if (skc_tensor_dtype(bc) == SKC_DT_STRING)
            same = strcmp(skc_tensor_string(bc, i, NULL), skc_tensor_string(classes, i, NULL)) == 0;
        else
            same = ((const int64_t *)skc_tensor_data(bc))[i] ==
                   ((const int64_t *)skc_tensor_data(classes))[i];
    }
    skc_tensor_free(bc);
    if (!same)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a calibrated classifier fitted on fewer classes "
                       "than the calibration (a fold without some class)");
    return SKC_OK;
}

/* One _CalibratedClassifier: base scores, one calibrator per column, the
 * normalised probabilities into @p proba. */
static int cal_one(sk_ctx *c, const pk_obj *cc, const char *method_dflt, const skc_tensor *classes,
                   const char *in, int64_t in_width, int idx, char *proba)
{
    const pk_obj *base = pk_attr(cc, "estimator"), *cals, *cal;
    const char *method = sk_attr_str(cc, "method"), *bounds = "clip";
    char what[48], o[64], s[64], z[64], cal_out[64];
    int64_t k = skc_tensor_numel(classes), w, sw, ncal, j;
    double *sc = NULL, *bi = NULL;
    cal_knots kn;
    skc_step *st;
    int rc, role;

    memset(&kn, 0, sizeof(kn));
    if (!base || pk_kind_of(base) == PK_NONE)
        base = pk_attr(cc, "base_estimator");
    cals = pk_attr(cc, "calibrators");
    if (!cals || pk_kind_of(cals) == PK_NONE)
        cals = pk_attr(cc, "calibrators_");
    if (!method)
        method = method_dflt;
    if (!base || !cals || (pk_kind_of(cals) != PK_LIST && pk_kind_of(cals) != PK_TUPLE))
        return sk_fail(c, SKC_E_FORMAT, "calibrated_classifiers_[%d] lacks its estimator or "
                       "calibrators", idx);
    snprintf(what, sizeof(what), "calibrated_classifiers_[%d]", idx);
    if ((rc = skm_lift_inner(c, base, what, in, in_width, o, &w, &role)))
        return rc;
    if (role != SK_CLASSIFIER)
        return sk_fail(c, SKC_E_FORMAT, "%s holds no classifier", what);
    if ((rc = cal_check_classes(c, base, classes)) ||
        (rc = cal_scores(c, base, o, w, k, s, &sw)))
        return rc;
    ncal = (int64_t)pk_len(cals);
    if (ncal != (k == 2 ? 1 : k) || sw != ncal)
        return sk_fail(c, SKC_E_FORMAT, "%lld calibrators for %lld score columns and %lld "
                       "classes", (long long)ncal, (long long)sw, (long long)k);
    sk_new_name(c, "calibrated", cal_out);
    if (method && strcmp(method, "isotonic") == 0) {
        for (j = 0; j < ncal; j++)
            if ((rc = cal_knots_add(c, &kn, pk_item(cals, (size_t)j), &bounds)))
                goto done;
        if ((rc = cal_isotonic_step(c, &kn, bounds, s, cal_out)))
            goto done;
    } else if (!method || strcmp(method, "sigmoid") == 0) {
        /* expit(-(a f + b)) = logistic((f - 0) * (-a) + (-b)), exactly. */
        if (!(sc = malloc((size_t)ncal * sizeof(*sc))) || !(bi = malloc((size_t)ncal * sizeof(*bi)))) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        for (j = 0; j < ncal; j++) {
            cal = pk_item(cals, (size_t)j);
            if (skp_float(cal, "a_", &sc[j]) != SKC_OK || skp_float(cal, "b_", &bi[j]) != SKC_OK) {
                rc = sk_fail(c, SKC_E_FORMAT, "a sigmoid calibrator without a_ and b_");
                goto done;
            }
            sc[j] = -sc[j];
            bi[j] = -bi[j];
        }
        {
            skc_tensor *off = NULL, *st_sc = NULL, *st_b = NULL;
            sk_new_name(c, "sigmoid_arg", z);
            if ((rc = skc_tensor_new(SKC_DT_F64, 1, &ncal, &off)) ||
                (rc = skc_tensor_from_f64(sc, ncal, &st_sc)) ||
                (rc = skc_tensor_from_f64(bi, ncal, &st_b)) ||
                (rc = sk_step(c, "scaler", s, z, &st)) ||
                (rc = skc_step_set_tensor(st, "offset", off)) ||
                (rc = skc_step_set_tensor(st, "scale", st_sc)) ||
                (rc = skc_step_set_tensor(st, "bias", st_b)) ||
                (rc = sk_step(c, "activation", z, cal_out, &st)) ||
                (rc = skc_step_set_string(st, "function", "logistic"))) {
                skc_tensor_free(off);
                skc_tensor_free(st_sc);
                skc_tensor_free(st_b);
                goto done;
            }
            skc_tensor_free(off);
            skc_tensor_free(st_sc);
            skc_tensor_free(st_b);
        }
    } else {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "calibration method '%s'", method);
        goto done;
    }
    sk_new_name(c, "calibrated_proba", proba);
    if ((rc = sk_step(c, "proba_normalize", cal_out, proba, &st)) ||
        (rc = skc_step_set_string(st, "mode", k == 2 ? "complement" : "sum")) ||
        (rc = skc_step_set_int(st, "zero_uniform", 1)) ||
        (rc = skc_step_set_int(st, "snap_one", 1)))
        goto done;
done:
    free(sc);
    free(bi);
    cal_knots_free(&kn);
    return rc;
}

static int cal_calibrated(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *list = pk_attr(est, "calibrated_classifiers_");
    const char *method = sk_attr_str(est, "method");
    char (*parts)[64] = NULL, label[64];
    skc_tensor *classes = NULL;
    double *ones = NULL;
    int64_t n, k, i;
    skc_step *st;
    int rc;

    if (!list || (pk_kind_of(list) != PK_LIST && pk_kind_of(list) != PK_TUPLE) ||
        pk_len(list) == 0)
        return sk_fail(c, SKC_E_FORMAT, "calibrated_classifiers_ is missing or empty (not fitted?)");
    if ((rc = sk_classes(c, est, &classes)))
        return rc;
    k = skc_tensor_numel(classes);
    n = (int64_t)pk_len(list);
    if (k < 2) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a classifier fitted on one class");
        goto done;
    }
    if (!(parts = calloc((size_t)n, sizeof(*parts)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++)
        if ((rc = cal_one(c, pk_item(list, (size_t)i), method, classes, in, in_width, (int)i,
                          parts[i])))
            goto done;
    /* The mean over folds: summed in order, divided by their count. */
    sk_out_name(c, "probabilities", out);
    sk_out_name(c, "label", label);
    if (!(ones = malloc((size_t)n * sizeof(*ones)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++)
        ones[i] = 1.0;
    if ((rc = skm_weighted_sum(c, parts, (int)n, ones, (double)n, out)) ||
        (rc = sk_step(c, "label", out, label, &st)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)) ||
        (rc = skc_step_set_string(st, "mode", "argmax")) ||
        (c->final && (rc = sk_output_classifier(c, label, out, classes, k))))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    *out_width = k;
done:
    free(parts);
    free(ones);
    skc_tensor_free(classes);
    return rc;
}

/* ---- OneVsRestClassifier -------------------------------------------------------------- */

static int cal_ovr(sk_ctx *c, const pk_obj *est, const char *in,
                   int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *list = pk_attr(est, "estimators_"), *lb = pk_attr(est, "label_binarizer_");
    const char *yt = lb ? sk_attr_str(lb, "y_type_") : NULL;
    char (*scores)[64] = NULL, (*probs)[64] = NULL, what[48], o[64], label[64], sc[64], pr[64];
    skc_tensor *classes = NULL, *rev = NULL;
    int64_t n, k, i, w, sw, one = 1, *order = NULL;
    int rc, role, with_proba = 1, df;
    skc_step *st;

    if (!list || (pk_kind_of(list) != PK_LIST && pk_kind_of(list) != PK_TUPLE) ||
        pk_len(list) == 0 || !lb || pk_kind_of(lb) != PK_INSTANCE)
        return sk_fail(c, SKC_E_FORMAT, "estimators_ or label_binarizer_ is missing (not fitted?)");
    if (yt && strncmp(yt, "multilabel", 10) == 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a multi-label OneVsRestClassifier predicts "
                       "indicator rows, which the label output cannot hold");
    if ((rc = sk_classes(c, lb, &classes)))
        return rc;
    k = skc_tensor_numel(classes);
    n = (int64_t)pk_len(list);
    if (!(k == 2 && n == 1) && n != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "%lld estimators for %lld classes", (long long)n,
                     (long long)k);
        goto done;
    }
    if (!(scores = calloc((size_t)n, sizeof(*scores))) ||
        !(probs = calloc((size_t)n, sizeof(*probs))) ||
        !(order = malloc((size_t)n * sizeof(*order)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        const pk_obj *e = pk_item(list, (size_t)i);
        snprintf(what, sizeof(what), "estimators_[%lld]", (long long)i);
        if ((rc = skm_lift_inner(c, e, what, in, in_width, o, &w, &role)))
            goto done;
        if (role != SK_CLASSIFIER) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "%s is not a classifier (a constant "
                         "predictor or a regressor)", what);
            goto done;
        }
        /* _predict_binary: decision_function, else predict_proba[:, 1]. */
        df = skm_has_decision(e);
        if (df) {
            if ((rc = skm_decision(c, e, o, scores[i], &sw)))
                goto done;
            if (sw != 1) {
                rc = sk_fail(c, SKC_E_FORMAT, "%s is not a binary classifier", what);
                goto done;
            }
        }
        if (w == 2 && skm_is_proba(c, o)) {
            if ((rc = skm_select_step(c, o, &one, 1, probs[i])))
                goto done;
        } else {
            probs[i][0] = '\0';
            with_proba = 0;
        }
        if (!df) {
            if (!probs[i][0]) {
                rc = sk_fail(c, SKC_E_UNSUPPORTED, "%s has neither decision_function nor "
                             "predict_proba", what);
                goto done;
            }
            snprintf(scores[i], 64, "%s", probs[i]);
        }
        order[i] = n - 1 - i;
    }
    sk_out_name(c, "label", label);
    if (n == 1) {
        /* Binary: classes_[score > threshold]. */
        if ((rc = sk_step(c, "label", scores[0], label, &st)) ||
            (rc = skc_step_set_tensor(st, "classes", classes)) ||
            (rc = skc_step_set_string(st, "mode", "threshold")) ||
            (rc = skc_step_set_float(st, "threshold", skm_has_decision(pk_item(list, 0))
                                                      ? 0.0 : 0.5)))
            goto done;
    } else {
        /* The last estimator with the highest score wins: the first of
         * the columns reversed. */
        if ((rc = skm_concat(c, scores, (int)n, sc)) ||
            (rc = skm_select_step(c, sc, order, n, pr)) ||
            (rc = skc_tensor_new(skc_tensor_dtype(classes), 1, &k, &rev)))
            goto done;
        for (i = 0; i < k; i++) {
            if (skc_tensor_dtype(classes) == SKC_DT_STRING) {
                size_t len;
                const char *s = skc_tensor_string(classes, k - 1 - i, &len);
                if ((rc = skc_tensor_set_string(rev, i, s, len)))
                    goto done;
            } else {
                ((int64_t *)skc_tensor_data_mut(rev))[i] =
                    ((const int64_t *)skc_tensor_data(classes))[k - 1 - i];
            }
        }
        if ((rc = sk_step(c, "label", pr, label, &st)) ||
            (rc = skc_step_set_tensor(st, "classes", rev)) ||
            (rc = skc_step_set_string(st, "mode", "argmax")))
            goto done;
    }
    if (with_proba) {
        char stacked[64], pair[64];
        sk_out_name(c, "probabilities", out);
        if ((rc = skm_concat(c, probs, (int)n, stacked)))
            goto done;
        if (n == 1) {
            sk_new_name(c, "ovr_pair", pair);
            if ((rc = sk_step(c, "proba_normalize", stacked, pair, &st)) ||
                (rc = skc_step_set_string(st, "mode", "complement")))
                goto done;
            snprintf(stacked, sizeof(stacked), "%s", pair);
        }
        /* Y /= Y.sum(axis=1), the binary pair included. */
        if ((rc = sk_step(c, "proba_normalize", stacked, out, &st)) ||
            (rc = skc_step_set_string(st, "mode", "sum")))
            goto done;
        *out_width = k;
    } else {
        snprintf(out, 64, "%s", n == 1 ? scores[0] : sc);
        *out_width = n;
    }
    if (c->final && (rc = sk_output_classifier(c, label, with_proba ? out : NULL, classes, k)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
done:
    free(scores);
    free(probs);
    free(order);
    skc_tensor_free(classes);
    skc_tensor_free(rev);
    return rc;
}

/* ---- MultiOutputRegressor, RegressorChain ------------------------------------------------ */

static int cal_multi_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                               int64_t in_width, char *out, int64_t *out_width, int chain)
{
    const pk_obj *list = pk_attr(est, "estimators_"), *ord = pk_attr(est, "order_");
    char (*parts)[64] = NULL, what[48], xin[64], stacked[64];
    int64_t n, i, w, total = 0, *inv = NULL, width = in_width;
    double *ov = NULL;
    skc_step *st;
    int rc = SKC_OK, role;

    if (!list || (pk_kind_of(list) != PK_LIST && pk_kind_of(list) != PK_TUPLE) ||
        pk_len(list) == 0)
        return sk_fail(c, SKC_E_FORMAT, "estimators_ is missing or empty (not fitted?)");
    n = (int64_t)pk_len(list);
    if (!(parts = calloc((size_t)n + 1, sizeof(*parts))) ||
        !(inv = malloc((size_t)n * sizeof(*inv)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if (chain) {
        int64_t cnt, j;
        if ((rc = skp_doubles(c, ord, "order_", &ov, &cnt)))
            goto done;
        if (cnt != n) {
            rc = sk_fail(c, SKC_E_FORMAT, "order_ has %lld entries for %lld estimators",
                         (long long)cnt, (long long)n);
            goto done;
        }
        for (j = 0; j < n; j++)
            inv[j] = -1;
        for (j = 0; j < n; j++) {
            int64_t v = (int64_t)ov[j];
            if (v < 0 || v >= n || (double)v != ov[j] || inv[v] >= 0) {
                rc = sk_fail(c, SKC_E_FORMAT, "order_ is not a permutation");
                goto done;
            }
            inv[v] = j;
        }
    }
    for (i = 0; i < n; i++) {
        snprintf(what, sizeof(what), "estimators_[%lld]", (long long)i);
        snprintf(xin, sizeof(xin), "%s", in);
        if (chain && i > 0) {
            /* X with the predictions so far, in chain order. */
            char (*aug)[64] = calloc((size_t)i + 1, sizeof(*aug));
            if (!aug) {
                rc = SKC_E_NOMEM;
                goto done;
            }
            snprintf(aug[0], 64, "%s", in);
            memcpy(aug + 1, parts, (size_t)i * sizeof(*aug));
            rc = skm_concat(c, aug, (int)i + 1, xin);
            free(aug);
            if (rc)
                goto done;
            width = in_width < 0 ? -1 : in_width + i;
        }
        if ((rc = skm_lift_inner(c, pk_item(list, (size_t)i), what, xin, width, parts[i], &w,
                                 &role)))
            goto done;
        if (role != SK_REGRESSOR || w != 1) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "%s is not a single-target regressor", what);
            goto done;
        }
        total += w;
    }
    sk_out_name(c, "variable", out);
    if ((rc = skm_concat(c, parts, (int)n, stacked)))
        goto done;
    if (chain) {
        skc_tensor *t = NULL;
        if ((rc = skc_tensor_from_i64(inv, n, &t)))
            goto done;
        rc = sk_step(c, "select_columns", stacked, out, &st);
        if (rc == SKC_OK)
            rc = skc_step_set_tensor(st, "indices", t);
        skc_tensor_free(t);
        if (rc)
            goto done;
    } else if ((rc = sk_step(c, "identity", stacked, out, &st))) {
        goto done;
    }
    if (c->final && (rc = sk_output_regressor(c, out, total)))
        goto done;
    *out_width = total;
done:
    free(parts);
    free(inv);
    free(ov);
    return rc;
}

static int cal_multi_output(sk_ctx *c, const pk_obj *est, const char *in,
                            int64_t in_width, char *out, int64_t *out_width)
{
    return cal_multi_regressor(c, est, in, in_width, out, out_width, 0);
}

static int cal_chain(sk_ctx *c, const pk_obj *est, const char *in,
                     int64_t in_width, char *out, int64_t *out_width)
{
    return cal_multi_regressor(c, est, in, in_width, out, out_width, 1);
}

static int cal_multi_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                                int64_t in_width, char *out, int64_t *out_width)
{
    (void)est;
    (void)in;
    (void)in_width;
    (void)out;
    (void)out_width;
    return sk_fail(c, SKC_E_UNSUPPORTED, "multi-output classification predicts a label per "
                   "target (and predict_proba a list), which the label / probabilities "
                   "outputs cannot hold");
}

const sk_family sk_compose_calib_families[] = {
    { "sklearn.calibration.CalibratedClassifierCV", SK_CLASSIFIER, cal_calibrated },
    { "sklearn.isotonic.IsotonicRegression", SK_REGRESSOR, cal_isotonic_regressor },
    { "sklearn.multiclass.OneVsRestClassifier", SK_CLASSIFIER, cal_ovr },
    { "sklearn.multioutput.MultiOutputRegressor", SK_REGRESSOR, cal_multi_output },
    { "sklearn.multioutput.RegressorChain", SK_REGRESSOR, cal_chain },
    { "sklearn.multioutput.MultiOutputClassifier", SK_CLASSIFIER, cal_multi_classifier },
    { "sklearn.multioutput.ClassifierChain", SK_CLASSIFIER, cal_multi_classifier },
    { NULL, 0, NULL }
};
