/* SPDX-License-Identifier: MIT */
/* sk_linear.c: linear regressors and classifiers (coef_, intercept_) into linear/proba/label steps.
 *
 * State across sklearn versions (side by side):
 *
 * | attribute      | 0.14 – 0.21            | 0.22 – 1.4              | 1.5 +                      |
 * |----------------|------------------------|-------------------------|----------------------------|
 * | coef_          | [F] or [T, F] (regr.)  | same                    | same                       |
 * |                | [1, F] or [K, F] (cls) |                         |                            |
 * | intercept_     | float or [T] / [K]     | same                    | same                       |
 * | multi_class    | 'ovr' (0.20: 'warn')   | 'auto'                  | 'deprecated' (= 'auto')    |
 * | classes_       | int / str / object arr | same                    | same                       |
 *
 * LogisticRegression(CV).predict_proba: one-vs-rest when multi_class is 'ovr'
 * or 'warn', or 'auto'/'deprecated'/absent with two classes or the
 * liblinear solver; otherwise multinomial softmax. A binary multinomial
 * model applies softmax to [-z, z].
 *
 * The other estimators, where they differ from the above:
 *
 * | estimator                  | 0.14 – 0.20        | 0.21 – 0.22        | 0.23 – 1.0                | 1.1 +                      |
 * |----------------------------|--------------------|--------------------|---------------------------|----------------------------|
 * | RidgeClassifier(CV)        | classes_ is a property of _label_binarizer (LabelBinarizer), every version   |                            |
 * | SGDClassifier loss → proba | 'log', 'modified_huber'                 | same                      | 'log' or 'log_loss', 'modified_huber' |
 * | LinearDiscriminantAnalysis | proba: binary logistic, multiclass      | binary logistic,          | same                       |
 * |                            | one-vs-rest normalised logistic         | multiclass softmax (#11796)|                           |
 * |                            | transform width: n_components (None = all) | _max_components (0.21 +) |                           |
 * | Poisson/Gamma/Tweedie      | (absent)           | (absent)           | _link_instance: glm link  | _base_loss: a Half*Loss    |
 * |                            |                    |                    | IdentityLink / LogLink    | (…Identity / HalfSquaredError: identity, else log) |
 *
 * Everything else here (the CV, Lars, OMP, Bayesian, robust, SGD and SVM
 * linear models) predicts X coef_^T + intercept_ in every version.
 * Label-only classifiers (no predict_proba) give the `label` output alone;
 * their lifted tensor (`out`) is the decision function.
 */
#include <stdio.h>
#include <string.h>
#include "sk_lift.h"

/* coef_ as [T, F] and intercept_ as [T]; a fit_intercept=False model has intercept_ 0.0. */
static int lin_weights(sk_ctx *c, const pk_obj *est, skc_tensor **w, skc_tensor **b)
{
    skc_tensor *coef = NULL, *icpt = NULL, *w2 = NULL, *b2 = NULL;
    int64_t t, f, shape[2];
    int rc;

    if ((rc = sk_attr_f64(c, est, "coef_", &coef)))
        return rc;
    if ((rc = sk_attr_f64_opt(c, est, "intercept_", &icpt)))
        goto fail;
    if (skc_tensor_ndim(coef) == 1) {
        t = 1;
        f = skc_tensor_shape(coef)[0];
    } else if (skc_tensor_ndim(coef) == 2) {
        t = skc_tensor_shape(coef)[0];
        f = skc_tensor_shape(coef)[1];
    } else {
        rc = sk_fail(c, SKC_E_FORMAT, "coef_ has %d dimensions", skc_tensor_ndim(coef));
        goto fail;
    }
    shape[0] = t;
    shape[1] = f;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &w2)))
        goto fail;
    memcpy(skc_tensor_data_mut(w2), skc_tensor_data(coef), (size_t)(t * f) * sizeof(double));
    if ((rc = skc_tensor_new(SKC_DT_F64, 1, &t, &b2)))
        goto fail;
    if (icpt) {
        int64_t n = skc_tensor_numel(icpt), i;
        double *bd = skc_tensor_data_mut(b2);
        if (n != t && n != 1) {
            rc = sk_fail(c, SKC_E_FORMAT, "intercept_ has %lld entries for %lld targets",
                         (long long)n, (long long)t);
            goto fail;
        }
        for (i = 0; i < t; i++)
            bd[i] = skc_tensor_get_f64(icpt, n == 1 ? 0 : i);
    }
    skc_tensor_free(coef);
    skc_tensor_free(icpt);
    *w = w2;
    *b = b2;
    return SKC_OK;
fail:
    skc_tensor_free(coef);
    skc_tensor_free(icpt);
    skc_tensor_free(w2);
    skc_tensor_free(b2);
    return rc;
}

static int lin_add_linear(sk_ctx *c, const char *in, const char *out,
                          skc_tensor *w, skc_tensor *b)
{
    skc_step *st;
    int rc;

    if ((rc = sk_step(c, "linear", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "coef", w)) ||
        (rc = skc_step_set_tensor(st, "intercept", b)))
        return rc;
    return SKC_OK;
}

static int lin_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *w = NULL, *b = NULL;
    int64_t t;
    int rc;

    if ((rc = lin_weights(c, est, &w, &b)))
        return rc;
    t = skc_tensor_shape(w)[0];
    if ((rc = sk_check_width(c, in, in_width, skc_tensor_shape(w)[1])))
        goto done;
    sk_out_name(c, "variable", out);
    if ((rc = lin_add_linear(c, in, out, w, b)))
        goto done;
    if (c->final && (rc = sk_output_regressor(c, out, t)))
        goto done;
    *out_width = t;
done:
    skc_tensor_free(w);
    skc_tensor_free(b);
    return rc;
}

/* Which probability rule this LogisticRegression used (see the table above). */
static int lin_logreg_is_ovr(const pk_obj *est, int64_t k)
{
    const char *mc = sk_attr_str(est, "multi_class");
    const char *solver = sk_attr_str(est, "solver");

    if (mc && (strcmp(mc, "ovr") == 0 || strcmp(mc, "warn") == 0))
        return 1;
    if (mc && strcmp(mc, "multinomial") == 0)
        return 0;
    return k <= 2 || (solver && strcmp(solver, "liblinear") == 0);
}

static int lin_logreg(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *w = NULL, *b = NULL, *classes = NULL, *w2 = NULL, *b2 = NULL;
    char scores[64], label[64], proba[64];
    skc_step *st;
    int64_t k, t, f;
    int rc, ovr;

    if ((rc = lin_weights(c, est, &w, &b)) || (rc = sk_classes(c, est, &classes)))
        goto done;
    t = skc_tensor_shape(w)[0];
    f = skc_tensor_shape(w)[1];
    k = skc_tensor_numel(classes);
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    if (!(k == 2 && t == 1) && t != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "coef_ has %lld rows for %lld classes",
                     (long long)t, (long long)k);
        goto done;
    }
    if (k < 2) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a classifier fitted on one class");
        goto done;
    }
    ovr = lin_logreg_is_ovr(est, k);
    sk_new_name(c, "scores", scores);
    sk_out_name(c, "label", label);
    sk_out_name(c, "probabilities", proba);
    if (k == 2 && !ovr) {
        /* Binary multinomial: softmax over [-z, z]. */
        int64_t shape[2] = { 2, f }, two = 2, j;
        const double *wd = skc_tensor_data(w), *bd = skc_tensor_data(b);
        double *w2d, *b2d;
        if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &w2)) ||
            (rc = skc_tensor_new(SKC_DT_F64, 1, &two, &b2)))
            goto done;
        w2d = skc_tensor_data_mut(w2);
        b2d = skc_tensor_data_mut(b2);
        for (j = 0; j < f; j++) {
            w2d[j] = -wd[j];
            w2d[f + j] = wd[j];
        }
        b2d[0] = -bd[0];
        b2d[1] = bd[0];
        if ((rc = lin_add_linear(c, in, scores, w2, b2)))
            goto done;
    } else if ((rc = lin_add_linear(c, in, scores, w, b))) {
        goto done;
    }
    if ((rc = sk_step(c, "label", scores, label, &st)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)) ||
        (rc = skc_step_set_string(st, "mode", t == 1 && k == 2 && ovr ? "threshold" : "argmax")) ||
        (rc = skc_step_set_float(st, "threshold", 0.0)))
        goto done;
    if ((rc = sk_step(c, "proba", scores, proba, &st)) ||
        (rc = skc_step_set_string(st, "mode", k == 2 && ovr ? "logistic_binary"
                                               : ovr ? "logistic_ovr" : "softmax")))
        goto done;
    if (c->final && (rc = sk_output_classifier(c, label, proba, classes, k)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = k;
done:
    skc_tensor_free(w);
    skc_tensor_free(b);
    skc_tensor_free(w2);
    skc_tensor_free(b2);
    skc_tensor_free(classes);
    return rc;
}

const sk_family sk_linear_families[] = {
    { "sklearn.linear_model.LinearRegression", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.Ridge", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.Lasso", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.ElasticNet", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.LogisticRegression", SK_CLASSIFIER, lin_logreg },
    { NULL, 0, NULL }
};
