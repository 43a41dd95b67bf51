/* SPDX-License-Identifier: MIT */
/* sk_bayes.c: naive Bayes classifiers (Gaussian, Multinomial, Complement, Bernoulli, Categorical) into naive_bayes steps.
 *
 * State across sklearn versions (side by side):
 *
 * | estimator     | attribute          | 0.18 – 0.24            | 1.0 +                      |
 * |---------------|--------------------|------------------------|----------------------------|
 * | GaussianNB    | per-class variance | sigma_ (epsilon_ added | var_ (sigma_ a deprecated  |
 * |               |                    | at fit)                | property, gone in 1.2)     |
 * |               | means, prior       | theta_, class_prior_   | same                       |
 * | Multinomial,  | feature_log_prob_, | [K, F], [K]            | same                       |
 * | Complement,   | class_log_prior_   |                        |                            |
 * | Bernoulli     |                    |                        |                            |
 * | ComplementNB  | (0.20+)            | feature_log_prob_ has  | same                       |
 * |               |                    | norm applied at fit    |                            |
 * | BernoulliNB   | binarize           | None or a threshold    | same                       |
 * | CategoricalNB | (0.22+)            | feature_log_prob_: a   | same (n_categories_ from   |
 * |               |                    | list of [K, n_f]       | 0.24, not needed)          |
 *
 * Joint log-likelihoods, as sklearn's _joint_log_likelihood:
 *   Multinomial  X W^T + class_log_prior_           (W = feature_log_prob_)
 *   Complement   X W^T (+ class_log_prior_ with one class)
 *   Bernoulli    b(X) (W - N)^T + class_log_prior_ + sum N, N = log(1 - exp(W)),
 *                b = binarize (x > threshold) unless binarize is None
 * so all three are the step's "linear" kind. CategoricalNB rows with a
 * category sklearn refuses (it raises) get NaN probabilities instead, as
 * the encoders do for unknown categories (sk_prep_encode.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sk_lift.h"

enum { NB_MULTINOMIAL, NB_COMPLEMENT, NB_BERNOULLI };

static int nb_fitted(sk_ctx *c, const pk_obj *est)
{
    if (!pk_attr(est, "classes_"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "the model is not fitted (no classes_)");
    return SKC_OK;
}

/* The naive_bayes step and the classifier outputs. @p st receives the step
 * so the caller adds the kind's attributes. */
static int nb_emit(sk_ctx *c, const char *in, skc_tensor *classes, const char *kind,
                   char *out, int64_t *out_width, skc_step **st)
{
    char label[64], proba[64];
    int64_t k = skc_tensor_numel(classes);
    int rc;

    sk_out_name(c, "label", label);
    sk_out_name(c, "probabilities", proba);
    if ((rc = skc_model_add_step(c->m, "naive_bayes", st)) ||
        (rc = skc_step_add_input(*st, in)) ||
        (rc = skc_step_add_output(*st, label)) ||
        (rc = skc_step_add_output(*st, proba)) ||
        (rc = skc_step_set_string(*st, "kind", kind)) ||
        (rc = skc_step_set_tensor(*st, "classes", classes)))
        return rc;
    if (c->final && (rc = sk_output_classifier(c, label, proba, classes, k)))
        return rc;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = k;
    return SKC_OK;
}

static int nb_gaussian(sk_ctx *c, const pk_obj *est, const char *in,
                       int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *classes = NULL, *theta = NULL, *var = NULL, *prior = NULL;
    const char *var_key = pk_attr(est, "var_") ? "var_" : "sigma_";
    int64_t k;
    skc_step *st;
    int rc;

    if ((rc = nb_fitted(c, est)) || (rc = sk_classes(c, est, &classes)) ||
        (rc = sk_attr_f64(c, est, "theta_", &theta)) ||
        (rc = sk_attr_f64(c, est, var_key, &var)) ||
        (rc = sk_attr_f64(c, est, "class_prior_", &prior)))
        goto done;
    k = skc_tensor_numel(classes);
    if (skc_tensor_ndim(theta) != 2 || skc_tensor_ndim(var) != 2 ||
        skc_tensor_shape(theta)[0] != k || skc_tensor_shape(var)[0] != k ||
        skc_tensor_shape(theta)[1] != skc_tensor_shape(var)[1] || skc_tensor_numel(prior) != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "theta_, %s and class_prior_ do not agree with %lld classes",
                     var_key, (long long)k);
        goto done;
    }
    if ((rc = sk_check_width(c, in, in_width, skc_tensor_shape(theta)[1])) ||
        (rc = nb_emit(c, in, classes, "gaussian", out, out_width, &st)) ||
        (rc = skc_step_set_tensor(st, "theta", theta)) ||
        (rc = skc_step_set_tensor(st, "var", var)) ||
        (rc = skc_step_set_tensor(st, "class_prior", prior)))
        goto done;
done:
    skc_tensor_free(classes);
    skc_tensor_free(theta);
    skc_tensor_free(var);
    skc_tensor_free(prior);
    return rc;
}

/* feature_log_prob_ [K, F] and class_log_prior_ [K] of a discrete model. */
static int nb_discrete(sk_ctx *c, const pk_obj *est, skc_tensor **classes, skc_tensor **flp,
                       skc_tensor **clp)
{
    int64_t k;
    int rc;

    *classes = *flp = *clp = NULL;
    if ((rc = nb_fitted(c, est)) || (rc = sk_classes(c, est, classes)) ||
        (rc = sk_attr_f64(c, est, "feature_log_prob_", flp)) ||
        (rc = sk_attr_f64(c, est, "class_log_prior_", clp)))
        return rc;
    k = skc_tensor_numel(*classes);
    if (skc_tensor_ndim(*flp) != 2 || skc_tensor_shape(*flp)[0] != k ||
        skc_tensor_numel(*clp) != k)
        return sk_fail(c, SKC_E_FORMAT, "feature_log_prob_ and class_log_prior_ do not agree "
                       "with %lld classes", (long long)k);
    return SKC_OK;
}

/* MultinomialNB, ComplementNB and BernoulliNB: jll = b(X) coef^T + intercept. */
static int nb_linear(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                     char *out, int64_t *out_width, int which)
{
    skc_tensor *classes = NULL, *flp = NULL, *clp = NULL, *coef = NULL, *icpt = NULL;
    const pk_obj *bin = pk_attr(est, "binarize");
    double thr = 0.0, *w, *b;
    int64_t k, f, i, j;
    skc_step *st;
    int rc, use_bin = 0;

    if ((rc = nb_discrete(c, est, &classes, &flp, &clp)))
        goto done;
    k = skc_tensor_shape(flp)[0];
    f = skc_tensor_shape(flp)[1];
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, skc_tensor_shape(flp), &coef)) ||
        (rc = skc_tensor_new(SKC_DT_F64, 1, &k, &icpt)))
        goto done;
    w = skc_tensor_data_mut(coef);
    b = skc_tensor_data_mut(icpt);
    memcpy(w, skc_tensor_data(flp), (size_t)(k * f) * sizeof(double));
    for (i = 0; i < k; i++)
        b[i] = which == NB_COMPLEMENT && k > 1 ? 0.0 : skc_tensor_get_f64(clp, i);
    if (which == NB_BERNOULLI) {
        if (bin && pk_kind_of(bin) != PK_NONE) {
            if (pk_float(bin, &thr) != SKC_OK || isnan(thr)) {
                rc = sk_fail(c, SKC_E_FORMAT, "binarize is neither None nor a number");
                goto done;
            }
            use_bin = 1;
        }
        /* neg_prob = log(1 - exp(W)); coef = W - neg_prob;
         * intercept = class_log_prior_ + sum(neg_prob). */
        for (i = 0; i < k; i++) {
            double sum = 0.0;
            for (j = 0; j < f; j++) {
                double neg = log(1 - exp(w[i * f + j]));
                w[i * f + j] -= neg;
                sum += neg;
            }
            b[i] = b[i] + sum;
        }
    }
    if ((rc = sk_check_width(c, in, in_width, f)) ||
        (rc = nb_emit(c, in, classes, "linear", out, out_width, &st)) ||
        (rc = skc_step_set_tensor(st, "coef", coef)) ||
        (rc = skc_step_set_tensor(st, "intercept", icpt)))
        goto done;
    if (use_bin && (rc = skc_step_set_float(st, "binarize", thr)))
        goto done;
done:
    skc_tensor_free(classes);
    skc_tensor_free(flp);
    skc_tensor_free(clp);
    skc_tensor_free(coef);
    skc_tensor_free(icpt);
    return rc;
}

static int nb_multinomial(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    return nb_linear(c, est, in, in_width, out, out_width, NB_MULTINOMIAL);
}

static int nb_complement(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    return nb_linear(c, est, in, in_width, out, out_width, NB_COMPLEMENT);
}

static int nb_bernoulli(sk_ctx *c, const pk_obj *est, const char *in,
                        int64_t in_width, char *out, int64_t *out_width)
{
    return nb_linear(c, est, in, in_width, out, out_width, NB_BERNOULLI);
}

/* CategoricalNB: feature_log_prob_ is a list of [K, n_f] tables, put side
 * by side as [K, sum n_f] with n_categories [F]. */
static int nb_categorical(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *classes = NULL, *clp = NULL, *lp = NULL, *ncat = NULL;
    const pk_obj *list = pk_attr(est, "feature_log_prob_");
    int64_t k, f, total = 0, off = 0, i, j, t, shape[2];
    double *d;
    skc_step *st;
    int rc;

    if ((rc = nb_fitted(c, est)) || (rc = sk_classes(c, est, &classes)) ||
        (rc = sk_attr_f64(c, est, "class_log_prior_", &clp)))
        goto done;
    k = skc_tensor_numel(classes);
    if (!list || (pk_kind_of(list) != PK_LIST && pk_kind_of(list) != PK_TUPLE) ||
        pk_len(list) < 1 || skc_tensor_numel(clp) != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "feature_log_prob_ is not a list of per-feature tables");
        goto done;
    }
    f = (int64_t)pk_len(list);
    if ((rc = skc_tensor_new(SKC_DT_F64, 1, &f, &ncat)))
        goto done;
    for (j = 0; j < f; j++) {
        pk_array_info ai;
        const pk_obj *a = pk_item(list, (size_t)j);
        if (!a || pk_kind_of(a) != PK_ARRAY || pk_array(a, &ai) != SKC_OK || ai.ndim != 2 ||
            ai.shape[0] != k || ai.shape[1] < 1 || ai.shape[1] > 1000000000) {
            rc = sk_fail(c, SKC_E_FORMAT, "feature_log_prob_[%lld] is not a [%lld, n] array",
                         (long long)j, (long long)k);
            goto done;
        }
        ((double *)skc_tensor_data_mut(ncat))[j] = (double)ai.shape[1];
        total += ai.shape[1];
    }
    shape[0] = k;
    shape[1] = total;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &lp)))
        goto done;
    d = skc_tensor_data_mut(lp);
    for (j = 0; j < f; j++) {
        const pk_obj *a = pk_item(list, (size_t)j);
        int64_t n = (int64_t)skc_tensor_get_f64(ncat, j);
        for (i = 0; i < k; i++)
            for (t = 0; t < n; t++)
                if (pk_array_get_f64(a, (size_t)(i * n + t), &d[i * total + off + t]) != SKC_OK) {
                    rc = sk_fail(c, SKC_E_FORMAT, "feature_log_prob_[%lld] is unreadable",
                                 (long long)j);
                    goto done;
                }
        off += n;
    }
    if ((rc = sk_check_width(c, in, in_width, f)) ||
        (rc = nb_emit(c, in, classes, "categorical", out, out_width, &st)) ||
        (rc = skc_step_set_tensor(st, "log_prob", lp)) ||
        (rc = skc_step_set_tensor(st, "n_categories", ncat)) ||
        (rc = skc_step_set_tensor(st, "intercept", clp)))
        goto done;
done:
    skc_tensor_free(classes);
    skc_tensor_free(clp);
    skc_tensor_free(lp);
    skc_tensor_free(ncat);
    return rc;
}

const sk_family sk_bayes_families[] = {
    { "sklearn.naive_bayes.GaussianNB", SK_CLASSIFIER, nb_gaussian },
    { "sklearn.naive_bayes.MultinomialNB", SK_CLASSIFIER, nb_multinomial },
    { "sklearn.naive_bayes.ComplementNB", SK_CLASSIFIER, nb_complement },
    { "sklearn.naive_bayes.BernoulliNB", SK_CLASSIFIER, nb_bernoulli },
    { "sklearn.naive_bayes.CategoricalNB", SK_CLASSIFIER, nb_categorical },
    { NULL, 0, NULL }
};
