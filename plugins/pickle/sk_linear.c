/* SPDX-License-Identifier: MIT */
/* sk_linear.c: linear regressors and classifiers (coef_, intercept_) into linear/proba/label steps.
 *
 * State across sklearn versions (side by side):
 *
 * | attribute      | 0.14 – 0.21             | 0.22 – 1.4              | 1.5 +                   |
 * |----------------|-------------------------|-------------------------|-------------------------|
 * | coef_          | [F] or [T, F] (regr.)   | same                    | same                    |
 * |                | [1, F] or [K, F] (cls)  |                         |                         |
 * | intercept_     | float or [T] / [K]      | same                    | same                    |
 * | multi_class    | absent (0.14 – 0.15),   | 'auto'                  | 'deprecated' (= 'auto') |
 * |                | 'ovr' (0.20: 'warn')    |                         |                         |
 * | solver         | absent (0.14 – 0.15:    | present                 | present                 |
 * |                | liblinear only)         |                         |                         |
 * | classes_       | int / str / object arr; | same                    | same                    |
 * |                | 0.14 – 0.15 liblinear:  |                         |                         |
 * |                | _enc.classes_ (property)|                         |                         |
 *
 * LogisticRegression(CV).predict_proba: one-vs-rest when multi_class is 'ovr'
 * or 'warn', or 'auto'/'deprecated'/absent with two classes or the
 * liblinear solver (or no solver); otherwise multinomial softmax. A binary
 * multinomial model applies softmax to [-z, z].
 *
 * The other estimators, where they differ from the above:
 *
 * | estimator            | 0.14 – 0.20                   | 0.21 – 0.22         | 0.23 – 1.0               | 1.1 +                       |
 * |----------------------|-------------------------------|---------------------|--------------------------|-----------------------------|
 * | RidgeClassifier(CV)  | classes_ = _label_binarizer.classes_ (a property), every version                                        |
 * | SGDClassifier proba  | loss 'log' (logistic, ovr), 'modified_huber'        | same                     | 'log' or 'log_loss', 'modified_huber' |
 * | LinearDiscriminant-  | binary logistic; multiclass   | multiclass softmax  | same                     | same                        |
 * | Analysis proba       | one-vs-rest logistic          | (PR #11796)         |                          |                             |
 * | LDA transform width  | n_components (None: all)      | _max_components     | same                     | same                        |
 * | sklearn.lda.LDA      | 0.14 – 0.15: no solver; scores ((X - xbar_) scalings_) coef_^T + intercept_ over all K, softmax; |
 * |                      | 0.16 +: solver present, as LinearDiscriminantAnalysis                                                   |
 * | Poisson/Gamma/       | (absent)                      | (absent)            | _link_instance:          | _base_loss: Half*Loss;      |
 * | TweedieRegressor     |                               |                     | IdentityLink / LogLink   | …Identity, HalfSquaredError: identity; others log |
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

/* The linear predictor, then the inverse link when it is not the identity
 * (@p link_fn: an `activation` function, or NULL). */
static int lin_regress(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                       const char *link_fn, char *out, int64_t *out_width)
{
    skc_tensor *w = NULL, *b = NULL;
    char eta[64];
    skc_step *st;
    int64_t t;
    int rc;

    if ((rc = lin_weights(c, est, &w, &b)))
        return rc;
    t = skc_tensor_shape(w)[0];
    if ((rc = sk_check_width(c, in, in_width, skc_tensor_shape(w)[1])))
        goto done;
    sk_out_name(c, "variable", out);
    if (link_fn)
        sk_new_name(c, "eta", eta);
    if ((rc = lin_add_linear(c, in, link_fn ? eta : out, w, b)))
        goto done;
    if (link_fn && ((rc = sk_step(c, "activation", eta, out, &st)) ||
                    (rc = skc_step_set_string(st, "function", link_fn))))
        goto done;
    if (c->final && (rc = sk_output_regressor(c, out, t)))
        goto done;
    *out_width = t;
done:
    skc_tensor_free(w);
    skc_tensor_free(b);
    return rc;
}

static int lin_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    return lin_regress(c, est, in, in_width, NULL, out, out_width);
}

/* The inverse link of a Poisson/Gamma/Tweedie regressor, read from the
 * link object predict() calls (see the table above). */
static int lin_glm_link(sk_ctx *c, const pk_obj *est, const char **fn)
{
    static const struct {
        const char *canonical, *fn;
    } links[] = {
        { "sklearn._loss.HalfPoissonLoss", "exp" },
        { "sklearn._loss.HalfGammaLoss", "exp" },
        { "sklearn._loss.HalfTweedieLoss", "exp" },
        { "sklearn._loss.HalfTweedieLossIdentity", "identity" },
        { "sklearn._loss.HalfSquaredError", "identity" },
        { "sklearn.linear_model.glm.LogLink", "exp" },
        { "sklearn.linear_model.glm.IdentityLink", "identity" },
    };
    const pk_obj *o = pk_attr(est, "_base_loss");
    const char *what = "_base_loss", *canon, *mod, *name;
    size_t i;

    if (!o || pk_kind_of(o) == PK_NONE) {
        o = pk_attr(est, "_link_instance");
        what = "_link_instance";
    }
    if (!o || pk_kind_of(o) == PK_NONE)
        return sk_fail(c, SKC_E_UNSUPPORTED, "neither _base_loss (sklearn 1.1 +) nor "
                       "_link_instance (0.23 – 1.0) is present: a GLM layout this "
                       "version does not know");
    canon = sk_canonical(o, &mod, &name);
    for (i = 0; canon && i < sizeof(links) / sizeof(links[0]); i++) {
        if (strcmp(canon, links[i].canonical) == 0) {
            *fn = links[i].fn;
            return SKC_OK;
        }
    }
    return sk_fail(c, SKC_E_UNSUPPORTED, "%s is a %s.%s, whose inverse link is not known",
                   what, mod, name);
}

static int lin_glm(sk_ctx *c, const pk_obj *est, const char *in,
                   int64_t in_width, char *out, int64_t *out_width)
{
    const char *fn = NULL;
    int rc;

    if ((rc = lin_glm_link(c, est, &fn)))
        return rc;
    return lin_regress(c, est, in, in_width, strcmp(fn, "identity") ? fn : NULL,
                       out, out_width);
}

/* How a classifier turns its decision function into predict_proba. */
enum lin_proba {
    LIN_P_NONE,        /* no predict_proba: the label output alone               */
    LIN_P_LOGREG,      /* LogisticRegression(CV): ovr or multinomial, see above  */
    LIN_P_OVR,         /* _predict_proba_lr: logistic, one-vs-rest normalised    */
    LIN_P_HUBER,       /* SGDClassifier(loss='modified_huber')                   */
    LIN_P_LDA          /* binary logistic; multiclass softmax (0.21 +) or ovr    */
};

/* Which probability rule this LogisticRegression used (see the table above). */
static int lin_logreg_is_ovr(const pk_obj *est, int64_t k)
{
    const char *mc = sk_attr_str(est, "multi_class");
    const char *solver = sk_attr_str(est, "solver");

    if (mc && (strcmp(mc, "ovr") == 0 || strcmp(mc, "warn") == 0))
        return 1;
    if (mc && strcmp(mc, "multinomial") == 0)
        return 0;
    /* No solver attribute: 0.14 – 0.15, where liblinear was the only one. */
    return k <= 2 || !solver || strcmp(solver, "liblinear") == 0;
}

/* _sklearn_version as major * 100 + minor; 0 when absent (before 0.18). */
static int lin_version(const pk_obj *est)
{
    const char *v = sk_attr_str(est, "_sklearn_version");
    int major = 0, minor = 0;

    if (!v || sscanf(v, "%d.%d", &major, &minor) != 2)
        return 0;
    return major * 100 + minor;
}

/* classes_, or where it is a property: the _label_binarizer's
 * (RidgeClassifier(CV), every version) or the _enc LabelEncoder's
 * (liblinear models of 0.14 – 0.15). Multi-label fits predict indicator
 * rows. */
static int lin_classes(sk_ctx *c, const pk_obj *est, skc_tensor **classes)
{
    const pk_obj *lb = pk_attr(est, "_label_binarizer"), *enc = pk_attr(est, "_enc");
    const char *yt;

    if (lb && pk_kind_of(lb) == PK_INSTANCE) {
        yt = sk_attr_str(lb, "y_type_");
        if (yt && strncmp(yt, "multilabel", 10) == 0)
            return sk_fail(c, SKC_E_UNSUPPORTED, "a multi-label fit (y_type_ '%s') "
                           "predicts indicator rows, which the label output cannot hold", yt);
        if (!pk_attr(est, "classes_"))
            return sk_classes(c, lb, classes);
    }
    if (!pk_attr(est, "classes_") && enc && pk_kind_of(enc) == PK_INSTANCE)
        return sk_classes(c, enc, classes);
    return sk_classes(c, est, classes);
}

/* Decision scores S = X coef^T + intercept, label from S, and the
 * probabilities @p pk asks for. Classifiers with probabilities lift to
 * their probability tensor, the others to their decision scores. */
static int lin_classify(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                        int pk, char *out, int64_t *out_width)
{
    skc_tensor *w = NULL, *b = NULL, *classes = NULL, *w2 = NULL, *b2 = NULL;
    char scores[64], label[64], proba[64];
    const char *mode = NULL;
    skc_step *st;
    int64_t k, t, f;
    int rc, ovr = 1, softmax2 = 0;

    if ((rc = lin_weights(c, est, &w, &b)) || (rc = lin_classes(c, est, &classes)))
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
    switch (pk) {
    case LIN_P_LOGREG:
        ovr = lin_logreg_is_ovr(est, k);
        softmax2 = k == 2 && !ovr;
        mode = k == 2 && ovr ? "logistic_binary" : ovr ? "logistic_ovr" : "softmax";
        break;
    case LIN_P_OVR:
        mode = t == 1 ? "logistic_binary" : "logistic_ovr";
        break;
    case LIN_P_HUBER:
        mode = t == 1 ? "binary" : "multiclass";
        break;
    case LIN_P_LDA:
        mode = t == 1 ? "logistic_binary" : lin_version(est) >= 21 ? "softmax" : "logistic_ovr";
        break;
    default:
        break;
    }
    sk_new_name(c, "scores", scores);
    sk_out_name(c, "label", label);
    if (mode)
        sk_out_name(c, "probabilities", proba);
    if (softmax2) {
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
    /* LinearClassifierMixin.predict: classes_[S > 0] for one score
     * column, else the first argmax; predict_proba never decides it. */
    if ((rc = sk_step(c, "label", scores, label, &st)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)) ||
        (rc = skc_step_set_string(st, "mode", t == 1 && !softmax2 ? "threshold" : "argmax")) ||
        (rc = skc_step_set_float(st, "threshold", 0.0)))
        goto done;
    if (mode && ((rc = sk_step(c, pk == LIN_P_HUBER ? "modified_huber" : "proba", scores,
                               proba, &st)) ||
                 (rc = skc_step_set_string(st, "mode", mode))))
        goto done;
    if (c->final && (rc = sk_output_classifier(c, label, mode ? proba : NULL, classes, k)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", mode ? proba : scores);
    *out_width = mode ? k : softmax2 ? 2 : t;
done:
    skc_tensor_free(w);
    skc_tensor_free(b);
    skc_tensor_free(w2);
    skc_tensor_free(b2);
    skc_tensor_free(classes);
    return rc;
}

static int lin_logreg(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    return lin_classify(c, est, in, in_width, LIN_P_LOGREG, out, out_width);
}

static int lin_label_only(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    return lin_classify(c, est, in, in_width, LIN_P_NONE, out, out_width);
}

static int lin_sgd_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                              int64_t in_width, char *out, int64_t *out_width)
{
    const char *loss = sk_attr_str(est, "loss");
    int pk = LIN_P_NONE;

    if (loss && (strcmp(loss, "log") == 0 || strcmp(loss, "log_loss") == 0))
        pk = LIN_P_OVR;
    else if (loss && strcmp(loss, "modified_huber") == 0)
        pk = LIN_P_HUBER;
    return lin_classify(c, est, in, in_width, pk, out, out_width);
}

/* (X - xbar_) M (or X M when !centre) for the first @p m columns of the
 * [F, *] matrix attribute @p key, as `scaler` then `linear` steps. */
static int lin_project(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                       int centre, const char *key, int64_t m, char *out, int64_t *out_width)
{
    skc_tensor *sc = NULL, *xbar = NULL, *w = NULL, *b = NULL, *one = NULL;
    const char *x = in;
    char centred[64];
    int64_t f, cols, i, j, shape[2];
    double *wd;
    int rc;

    if ((rc = sk_attr_f64(c, est, key, &sc)))
        return rc;
    if (skc_tensor_ndim(sc) != 2) {
        rc = sk_fail(c, SKC_E_FORMAT, "%s is not a matrix", key);
        goto done;
    }
    f = skc_tensor_shape(sc)[0];
    cols = skc_tensor_shape(sc)[1];
    if (m < 0 || m > cols)
        m = cols;
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    if (centre) {
        skc_step *st;
        if ((rc = sk_attr_f64(c, est, "xbar_", &xbar)))
            goto done;
        if (skc_tensor_numel(xbar) != f) {
            rc = sk_fail(c, SKC_E_FORMAT, "xbar_ has %lld entries for %lld features",
                         (long long)skc_tensor_numel(xbar), (long long)f);
            goto done;
        }
        if ((rc = skc_tensor_new(SKC_DT_F64, 1, &f, &one)))
            goto done;
        for (i = 0; i < f; i++)
            ((double *)skc_tensor_data_mut(one))[i] = 1.0;
        /* Centre first, as sklearn does, rather than folding xbar_ into
         * an intercept that would round differently. */
        sk_new_name(c, "centred", centred);
        if ((rc = sk_step(c, "scaler", in, centred, &st)) ||
            (rc = skc_step_set_tensor(st, "offset", xbar)) ||
            (rc = skc_step_set_tensor(st, "scale", one)))
            goto done;
        x = centred;
    }
    shape[0] = m;
    shape[1] = f;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &w)) ||
        (rc = skc_tensor_new(SKC_DT_F64, 1, &m, &b)))
        goto done;
    wd = skc_tensor_data_mut(w);
    for (j = 0; j < m; j++)
        for (i = 0; i < f; i++)
            wd[j * f + i] = skc_tensor_get_f64(sc, i * cols + j);
    sk_new_name(c, "projected", out);
    if ((rc = lin_add_linear(c, x, out, w, b)))
        goto done;
    *out_width = m;
done:
    skc_tensor_free(sc);
    skc_tensor_free(xbar);
    skc_tensor_free(w);
    skc_tensor_free(b);
    skc_tensor_free(one);
    return rc;
}

/* LinearDiscriminantAnalysis.transform: (X - xbar_) scalings_ (svd),
 * X scalings_ (eigen), first _max_components (0.21 +) or n_components
 * (None: all) columns; lsqr has no transform. */
static int lin_lda_transform(sk_ctx *c, const pk_obj *est, const char *in,
                             int64_t in_width, char *out, int64_t *out_width)
{
    const char *solver = sk_attr_str(est, "solver");
    int64_t m = -1;

    if (solver && strcmp(solver, "svd") && strcmp(solver, "eigen"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "LinearDiscriminantAnalysis(solver='%s') "
                       "has no transform", solver);
    if (sk_attr_int(est, "_max_components", &m) != SKC_OK &&
        sk_attr_int(est, "n_components", &m) != SKC_OK)
        m = -1;
    return lin_project(c, est, in, in_width, !solver || strcmp(solver, "svd") == 0,
                       "scalings_", m, out, out_width);
}

/* sklearn.lda.LDA before the solvers (0.14 – 0.15, no solver attribute):
 * S = ((X - xbar_) scalings_) coef_^T + intercept_ with one column per
 * class even for two; predict is its first argmax, predict_proba its
 * softmax, transform ((X - xbar_) scalings_) coef_[:n_components]^T. */
static int lin_lda_legacy(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *w = NULL, *b = NULL, *classes = NULL;
    char proj[64], scores[64], label[64], proba[64];
    int64_t r, k, ncomp = -1;
    skc_step *st;
    int rc;

    if ((rc = lin_project(c, est, in, in_width, 1, "scalings_", -1, proj, &r)) ||
        (rc = lin_weights(c, est, &w, &b)))
        goto done;
    k = skc_tensor_shape(w)[0];
    if (skc_tensor_shape(w)[1] != r) {
        rc = sk_fail(c, SKC_E_FORMAT, "coef_ has %lld columns for %lld scalings",
                     (long long)skc_tensor_shape(w)[1], (long long)r);
        goto done;
    }
    if (!c->final && !c->inner) {
        c->wrapped_role = SK_TRANSFORMER;
        if (sk_attr_int(est, "n_components", &ncomp) == SKC_OK && ncomp >= 0 && ncomp < k) {
            int64_t shape[2] = { ncomp, r };
            skc_tensor *w2 = NULL;
            if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &w2)))
                goto done;
            memcpy(skc_tensor_data_mut(w2), skc_tensor_data(w),
                   (size_t)(ncomp * r) * sizeof(double));
            skc_tensor_free(w);
            w = w2;
            k = ncomp;
        }
        skc_tensor_free(b);
        b = NULL;
        if ((rc = skc_tensor_new(SKC_DT_F64, 1, &k, &b)))
            goto done;
        sk_new_name(c, "lda", out);
        if ((rc = lin_add_linear(c, proj, out, w, b)))
            goto done;
        *out_width = k;
        goto done;
    }
    c->wrapped_role = SK_CLASSIFIER;
    if ((rc = lin_classes(c, est, &classes)))
        goto done;
    if (skc_tensor_numel(classes) != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "coef_ has %lld rows for %lld classes", (long long)k,
                     (long long)skc_tensor_numel(classes));
        goto done;
    }
    sk_new_name(c, "scores", scores);
    sk_out_name(c, "label", label);
    sk_out_name(c, "probabilities", proba);
    if ((rc = lin_add_linear(c, proj, scores, w, b)) ||
        (rc = sk_step(c, "label", scores, label, &st)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)) ||
        (rc = skc_step_set_string(st, "mode", "argmax")) ||
        (rc = sk_step(c, "proba", scores, proba, &st)) ||
        (rc = skc_step_set_string(st, "mode", "softmax")))
        goto done;
    if (c->final && (rc = sk_output_classifier(c, label, proba, classes, k)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = k;
done:
    skc_tensor_free(w);
    skc_tensor_free(b);
    skc_tensor_free(classes);
    return rc;
}

/* A classifier when it makes the model's outputs or a composition reads
 * its predictions (c->inner); inside a Pipeline before the last step, the
 * transformer it is there. */
static int lin_lda(sk_ctx *c, const pk_obj *est, const char *in,
                   int64_t in_width, char *out, int64_t *out_width)
{
    if (!pk_attr(est, "solver"))
        return lin_lda_legacy(c, est, in, in_width, out, out_width);
    if (!c->final && !c->inner) {
        c->wrapped_role = SK_TRANSFORMER;
        return lin_lda_transform(c, est, in, in_width, out, out_width);
    }
    c->wrapped_role = SK_CLASSIFIER;
    return lin_classify(c, est, in, in_width, LIN_P_LDA, out, out_width);
}

const sk_family sk_linear_families[] = {
    { "sklearn.linear_model.LinearRegression", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.Ridge", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.Lasso", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.ElasticNet", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.RidgeCV", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.LassoCV", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.ElasticNetCV", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.MultiTaskLasso", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.MultiTaskLassoCV", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.MultiTaskElasticNet", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.MultiTaskElasticNetCV", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.Lars", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.LarsCV", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.LassoLars", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.LassoLarsCV", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.LassoLarsIC", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.OrthogonalMatchingPursuit", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.OrthogonalMatchingPursuitCV", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.BayesianRidge", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.ARDRegression", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.HuberRegressor", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.TheilSenRegressor", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.QuantileRegressor", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.SGDRegressor", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.PassiveAggressiveRegressor", SK_REGRESSOR, lin_regressor },
    { "sklearn.svm.LinearSVR", SK_REGRESSOR, lin_regressor },
    { "sklearn.linear_model.PoissonRegressor", SK_REGRESSOR, lin_glm },
    { "sklearn.linear_model.GammaRegressor", SK_REGRESSOR, lin_glm },
    { "sklearn.linear_model.TweedieRegressor", SK_REGRESSOR, lin_glm },
    { "sklearn.linear_model.LogisticRegression", SK_CLASSIFIER, lin_logreg },
    { "sklearn.linear_model.LogisticRegressionCV", SK_CLASSIFIER, lin_logreg },
    { "sklearn.linear_model.RidgeClassifier", SK_CLASSIFIER, lin_label_only },
    { "sklearn.linear_model.RidgeClassifierCV", SK_CLASSIFIER, lin_label_only },
    { "sklearn.linear_model.Perceptron", SK_CLASSIFIER, lin_label_only },
    { "sklearn.linear_model.PassiveAggressiveClassifier", SK_CLASSIFIER, lin_label_only },
    { "sklearn.svm.LinearSVC", SK_CLASSIFIER, lin_label_only },
    { "sklearn.linear_model.SGDClassifier", SK_CLASSIFIER, lin_sgd_classifier },
    { "sklearn.discriminant_analysis.LinearDiscriminantAnalysis", SK_WRAPPER, lin_lda },
    { "sklearn.lda.LDA", SK_WRAPPER, lin_lda },
    { NULL, 0, NULL }
};
