/* SPDX-License-Identifier: MIT */
/* sk_mlp.c: MLPClassifier and MLPRegressor (coefs_, intercepts_) into linear/activation/proba/label steps.
 *
 * State across sklearn versions (side by side):
 *
 * | attribute        | 0.18 – 0.24                         | 1.0 +                       |
 * |------------------|-------------------------------------|-----------------------------|
 * | coefs_           | list of [in, out] float64 arrays    | same, or float32 arrays     |
 * |                  |                                     | when fitted on float32 data |
 * | intercepts_      | list of [out] arrays                | same                        |
 * | activation       | 'identity' 'logistic' 'tanh' 'relu' | same                        |
 * | out_activation_  | 'identity' (regressor), 'logistic'  | same                        |
 * |                  | (binary, multi-label), 'softmax'    |                             |
 * | n_outputs_       | int                                 | same                        |
 * | classes_         | = _label_binarizer.classes_         | same                        |
 * | _label_binarizer | LabelBinarizer (y_type_ binary,     | same                        |
 * |                  | multiclass, multilabel-indicator)   |                             |
 *
 * predict: every layer is X W + b; hidden layers apply `activation`, the
 * last one `out_activation_`. MLPClassifier.predict decodes with
 * LabelBinarizer.inverse_transform: binary classes_[p > 0.5] on the
 * logistic output, multiclass the first argmax of the softmax output.
 * predict_proba: binary [1 - p, p], multiclass the softmax output.
 * Multi-label fits predict indicator rows and are refused.
 */
#include <stdio.h>
#include <string.h>
#include "sk_lift.h"

static int mlp_is_list(const pk_obj *o)
{
    return o && (pk_kind_of(o) == PK_LIST || pk_kind_of(o) == PK_TUPLE);
}

/* Layer i as a `linear` step: coef = coefs_[i]^T ([out, in]). */
static int mlp_layer(sk_ctx *c, const pk_obj *est, size_t i, const char *in,
                     int64_t *width, const char *out)
{
    const pk_obj *wo = pk_item(pk_attr(est, "coefs_"), i);
    const pk_obj *bo = pk_item(pk_attr(est, "intercepts_"), i);
    pk_array_info wi, bi;
    skc_tensor *w = NULL, *b = NULL;
    int64_t fi, fo, shape[2], r, k;
    double *wd, *bd;
    skc_step *st;
    int rc;

    if (!wo || !bo || pk_kind_of(wo) != PK_ARRAY || pk_kind_of(bo) != PK_ARRAY ||
        pk_array(wo, &wi) != SKC_OK || pk_array(bo, &bi) != SKC_OK ||
        wi.ndim != 2 || bi.ndim != 1)
        return sk_fail(c, SKC_E_FORMAT, "coefs_[%zu] / intercepts_[%zu] are not a "
                       "matrix and a vector", i, i);
    fi = wi.shape[0];
    fo = wi.shape[1];
    if (bi.shape[0] != fo)
        return sk_fail(c, SKC_E_FORMAT, "layer %zu: %lld weights columns but %lld "
                       "intercepts", i, (long long)fo, (long long)bi.shape[0]);
    if (i == 0) {
        if ((rc = sk_check_width(c, in, *width, fi)))
            return rc;
    } else if (fi != *width) {
        return sk_fail(c, SKC_E_FORMAT, "layer %zu takes %lld inputs but the layer "
                       "before gives %lld", i, (long long)fi, (long long)*width);
    }
    shape[0] = fo;
    shape[1] = fi;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &w)) ||
        (rc = skc_tensor_new(SKC_DT_F64, 1, &fo, &b)))
        goto done;
    wd = skc_tensor_data_mut(w);
    bd = skc_tensor_data_mut(b);
    for (r = 0; r < fi; r++) {
        for (k = 0; k < fo; k++) {
            if (pk_array_get_f64(wo, (size_t)(r * fo + k), &wd[k * fi + r]) != SKC_OK) {
                rc = sk_fail(c, SKC_E_FORMAT, "coefs_[%zu] is unreadable", i);
                goto done;
            }
        }
    }
    for (k = 0; k < fo; k++) {
        if (pk_array_get_f64(bo, (size_t)k, &bd[k]) != SKC_OK) {
            rc = sk_fail(c, SKC_E_FORMAT, "intercepts_[%zu] is unreadable", i);
            goto done;
        }
    }
    if ((rc = sk_step(c, "linear", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "coef", w)) ||
        (rc = skc_step_set_tensor(st, "intercept", b)))
        goto done;
    *width = fo;
done:
    skc_tensor_free(w);
    skc_tensor_free(b);
    return rc;
}

/* Every layer up to the last one's pre-activation scores, which go to
 * @p scores; returns their width in @p width. */
static int mlp_forward(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                       char *scores, int64_t *width)
{
    static const char *const known[] = { "identity", "logistic", "tanh", "relu" };
    const pk_obj *coefs = pk_attr(est, "coefs_"), *icpts = pk_attr(est, "intercepts_");
    const char *act = sk_attr_str(est, "activation");
    char cur[64], z[64];
    size_t i, n, j;
    int rc, ok = 0;

    if (!mlp_is_list(coefs) || !mlp_is_list(icpts) || pk_len(coefs) != pk_len(icpts) ||
        pk_len(coefs) < 1)
        return sk_fail(c, SKC_E_FORMAT, "coefs_ and intercepts_ are missing or differ "
                       "in length");
    for (j = 0; act && j < sizeof(known) / sizeof(known[0]); j++)
        ok |= strcmp(act, known[j]) == 0;
    if (!ok)
        return sk_fail(c, SKC_E_UNSUPPORTED, "hidden activation '%s' is not one of "
                       "identity, logistic, tanh, relu", act ? act : "(missing)");
    n = pk_len(coefs);
    snprintf(cur, sizeof(cur), "%s", in);
    *width = in_width;
    for (i = 0; i < n; i++) {
        if (i + 1 == n)
            snprintf(z, sizeof(z), "%s", scores);
        else
            sk_new_name(c, "layer", z);
        if ((rc = mlp_layer(c, est, i, cur, width, z)))
            return rc;
        if (i + 1 < n && strcmp(act, "identity") != 0) {
            skc_step *st;
            sk_new_name(c, "hidden", cur);
            if ((rc = sk_step(c, "activation", z, cur, &st)) ||
                (rc = skc_step_set_string(st, "function", act)))
                return rc;
        } else {
            snprintf(cur, sizeof(cur), "%s", z);
        }
    }
    return SKC_OK;
}

static int mlp_out_activation(sk_ctx *c, const pk_obj *est, const char *want)
{
    const char *oa = sk_attr_str(est, "out_activation_");

    if (!oa || strcmp(oa, want) != 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "out_activation_ '%s' where '%s' is expected",
                       oa ? oa : "(missing)", want);
    return SKC_OK;
}

static int mlp_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    int64_t t;
    int rc;

    if ((rc = mlp_out_activation(c, est, "identity")))
        return rc;
    sk_out_name(c, "variable", out);
    if ((rc = mlp_forward(c, est, in, in_width, out, &t)))
        return rc;
    if (c->final && (rc = sk_output_regressor(c, out, t)))
        return rc;
    *out_width = t;
    return SKC_OK;
}

static int mlp_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *lb = pk_attr(est, "_label_binarizer");
    skc_tensor *classes = NULL;
    char scores[64], p1[64], label[64], proba[64];
    const char *yt = lb ? sk_attr_str(lb, "y_type_") : NULL;
    skc_step *st;
    int64_t k, t;
    int rc, binary;

    if (yt && strncmp(yt, "multilabel", 10) == 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a multi-label fit (y_type_ '%s') predicts "
                       "indicator rows, which the label output cannot hold", yt);
    if ((rc = sk_classes(c, pk_attr(est, "classes_") ? est : lb, &classes)))
        return rc;
    k = skc_tensor_numel(classes);
    binary = k == 2;
    if (k < 2) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a classifier fitted on one class");
        goto done;
    }
    if ((rc = mlp_out_activation(c, est, binary ? "logistic" : "softmax")))
        goto done;
    sk_new_name(c, "scores", scores);
    if ((rc = mlp_forward(c, est, in, in_width, scores, &t)))
        goto done;
    if (t != (binary ? 1 : k)) {
        rc = sk_fail(c, SKC_E_FORMAT, "the output layer has %lld units for %lld classes",
                     (long long)t, (long long)k);
        goto done;
    }
    sk_out_name(c, "label", label);
    sk_out_name(c, "probabilities", proba);
    if ((rc = sk_step(c, "proba", scores, proba, &st)) ||
        (rc = skc_step_set_string(st, "mode", binary ? "logistic_binary" : "softmax")))
        goto done;
    if (binary) {
        /* The label thresholds the logistic output itself, as
         * LabelBinarizer does: p > 0.5, not z > 0. */
        sk_new_name(c, "p1", p1);
        if ((rc = sk_step(c, "activation", scores, p1, &st)) ||
            (rc = skc_step_set_string(st, "function", "logistic")) ||
            (rc = sk_step(c, "label", p1, label, &st)) ||
            (rc = skc_step_set_string(st, "mode", "threshold")) ||
            (rc = skc_step_set_float(st, "threshold", 0.5)))
            goto done;
    } else if ((rc = sk_step(c, "label", proba, label, &st)) ||
               (rc = skc_step_set_string(st, "mode", "argmax"))) {
        goto done;
    }
    if ((rc = skc_step_set_tensor(st, "classes", classes)))
        goto done;
    if (c->final && (rc = sk_output_classifier(c, label, proba, classes, k)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = k;
done:
    skc_tensor_free(classes);
    return rc;
}

const sk_family sk_mlp_families[] = {
    { "sklearn.neural_network.MLPClassifier", SK_CLASSIFIER, mlp_classifier },
    { "sklearn.neural_network.MLPRegressor", SK_REGRESSOR, mlp_regressor },
    { NULL, 0, NULL }
};
