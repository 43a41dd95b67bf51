/* SPDX-License-Identifier: MIT */
/* sk_dummy.c: DummyClassifier and DummyRegressor into constant/label steps.
 *
 * State across sklearn versions (side by side):
 *
 * | attribute      | 0.14 – 0.21              | 0.22 – 0.23             | 0.24 +                  |
 * |----------------|--------------------------|-------------------------|-------------------------|
 * | strategy       | default 'stratified'     | default 'warn'          | default 'prior'         |
 * | _strategy      | (absent: use strategy)   | strategy, 'warn' →      | = strategy              |
 * |                |                          | 'stratified'            |                         |
 * | classes_       | [K] (list per output when n_outputs_ > 1), every version                     |
 * | class_prior_   | [K] float64, every version                                                    |
 * | constant       | the label given for strategy 'constant', every version                       |
 * | constant_ (R.) | scalar or [T]            | [1, T]                  | [1, T]                  |
 * | n_features_in_ | (absent: width unknown)  | (absent)                | int (0.24 +)            |
 *
 * DummyClassifier.predict: most_frequent and prior give classes_[first
 * argmax of class_prior_], constant gives `constant`; predict_proba is the
 * one-hot row of that class (most_frequent, constant) or class_prior_
 * (prior). stratified and uniform predict random labels and are refused.
 * DummyRegressor.predict: constant_ on every row, whatever the strategy
 * that computed it (mean, median, quantile, constant). X is never read,
 * so NaN rows predict the same constant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_lift.h"

/* Width from n_features_in_ when the fit recorded it; otherwise the
 * model does not constrain its input. */
static int dum_width(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width)
{
    int64_t f;

    if (sk_attr_int(est, "n_features_in_", &f) != SKC_OK || f < 0)
        f = in_width;
    return sk_check_width(c, in, in_width, f);
}

static int dum_constant_step(sk_ctx *c, const char *in, const char *out,
                             const double *v, int64_t n)
{
    skc_tensor *t = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_tensor_from_f64(v, n, &t)))
        return rc;
    if ((rc = sk_step(c, "constant", in, out, &st)) == SKC_OK)
        rc = skc_step_set_tensor(st, "value", t);
    skc_tensor_free(t);
    return rc;
}

/* Index of the `constant` label in classes_, compared as sklearn's
 * classes_ == constant does (strings as text, numbers by value). */
static int dum_constant_index(sk_ctx *c, const pk_obj *est, const skc_tensor *classes,
                              int64_t *idx)
{
    const pk_obj *k = pk_attr(est, "constant");
    int64_t i, n = skc_tensor_numel(classes), iv;
    const char *sv;
    size_t len, clen;
    double dv;

    if (k && pk_kind_of(k) == PK_ARRAY) {
        pk_array_info ai;
        /* A one-element array (sklearn accepts array-likes). */
        if (pk_array(k, &ai) == SKC_OK && ai.ndim <= 1 && (ai.ndim == 0 || ai.shape[0] == 1))
            k = pk_array_object(k, 0) ? pk_array_object(k, 0) : k;
    }
    for (i = 0; k && i < n; i++) {
        if (skc_tensor_dtype(classes) == SKC_DT_STRING) {
            const char *cs = skc_tensor_string(classes, i, &clen);
            if (pk_str(k, &sv, &len) == SKC_OK && cs && len == clen &&
                memcmp(sv, cs, len) == 0)
                break;
        } else if (pk_int(k, &iv) == SKC_OK) {
            if (iv == ((const int64_t *)skc_tensor_data(classes))[i])
                break;
        } else if (pk_float(k, &dv) == SKC_OK &&
                   dv == (double)((const int64_t *)skc_tensor_data(classes))[i]) {
            break;
        }
    }
    if (!k || i == n)
        return sk_fail(c, SKC_E_FORMAT, "strategy 'constant': the constant is not one of "
                       "classes_");
    *idx = i;
    return SKC_OK;
}

static int dum_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    const char *strat = sk_attr_str(est, "_strategy");
    skc_tensor *classes = NULL, *prior = NULL;
    double *onehot = NULL;
    char label[64], proba[64], pick[64];
    skc_step *st;
    int64_t n_out = 1, k, i, best = 0;
    int rc, so = 0;
    const pk_obj *spo = pk_attr(est, "sparse_output_");

    if (!strat)
        strat = sk_attr_str(est, "strategy");
    if (!strat)
        return sk_fail(c, SKC_E_FORMAT, "strategy is missing");
    if (strcmp(strat, "stratified") == 0 || strcmp(strat, "warn") == 0 ||
        strcmp(strat, "uniform") == 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "strategy '%s' predicts random labels, "
                       "which no deterministic model reproduces",
                       strcmp(strat, "warn") == 0 ? "stratified" : strat);
    if (strcmp(strat, "most_frequent") && strcmp(strat, "prior") && strcmp(strat, "constant"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "strategy '%s' is not known", strat);
    if (sk_attr_int(est, "n_outputs_", &n_out) == SKC_OK && n_out != 1)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a multi-output DummyClassifier (%lld outputs)",
                       (long long)n_out);
    if (spo && pk_bool(spo, &so) == SKC_OK && so)
        return sk_fail(c, SKC_E_UNSUPPORTED, "sparse_output_ is set (fitted on a sparse y)");
    if ((rc = dum_width(c, est, in, in_width)) || (rc = sk_classes(c, est, &classes)) ||
        (rc = sk_attr_f64(c, est, "class_prior_", &prior)))
        goto done;
    k = skc_tensor_numel(classes);
    if (k < 1 || skc_tensor_numel(prior) != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "class_prior_ has %lld entries for %lld classes",
                     (long long)skc_tensor_numel(prior), (long long)k);
        goto done;
    }
    if (strcmp(strat, "constant") == 0) {
        if ((rc = dum_constant_index(c, est, classes, &best)))
            goto done;
    } else {
        for (i = 1; i < k; i++)
            if (skc_tensor_get_f64(prior, i) > skc_tensor_get_f64(prior, best))
                best = i;
    }
    onehot = calloc((size_t)k, sizeof(*onehot));
    if (!onehot) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    onehot[best] = 1.0;
    sk_out_name(c, "label", label);
    sk_out_name(c, "probabilities", proba);
    if ((rc = dum_constant_step(c, in, proba, strcmp(strat, "prior") == 0 ?
                                skc_tensor_data(prior) : onehot, k)))
        goto done;
    /* The label comes from the one-hot row, never from the priors: a
     * float32 engine could round two close priors to a tie. */
    snprintf(pick, sizeof(pick), "%s", proba);
    if (strcmp(strat, "prior") == 0) {
        sk_new_name(c, "pick", pick);
        if ((rc = dum_constant_step(c, in, pick, onehot, k)))
            goto done;
    }
    if ((rc = sk_step(c, "label", pick, label, &st)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)) ||
        (rc = skc_step_set_string(st, "mode", "argmax")))
        goto done;
    if (c->final && (rc = sk_output_classifier(c, label, proba, classes, k)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = k;
done:
    free(onehot);
    skc_tensor_free(classes);
    skc_tensor_free(prior);
    return rc;
}

static int dum_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *k = NULL;
    int64_t t, n_out = -1;
    int rc;

    if ((rc = sk_attr_f64(c, est, "constant_", &k)))
        return rc;
    t = skc_tensor_numel(k);
    if (t < 1 || (sk_attr_int(est, "n_outputs_", &n_out) == SKC_OK && n_out != t)) {
        rc = sk_fail(c, SKC_E_FORMAT, "constant_ has %lld values for n_outputs_ %lld",
                     (long long)t, (long long)n_out);
        goto done;
    }
    if ((rc = dum_width(c, est, in, in_width)))
        goto done;
    sk_out_name(c, "variable", out);
    if ((rc = dum_constant_step(c, in, out, skc_tensor_data(k), t)))
        goto done;
    if (c->final && (rc = sk_output_regressor(c, out, t)))
        goto done;
    *out_width = t;
done:
    skc_tensor_free(k);
    return rc;
}

const sk_family sk_dummy_families[] = {
    { "sklearn.dummy.DummyClassifier", SK_CLASSIFIER, dum_classifier },
    { "sklearn.dummy.DummyRegressor", SK_REGRESSOR, dum_regressor },
    { NULL, 0, NULL }
};
