/* SPDX-License-Identifier: MIT */
/* sk_compose_ensemble.c: Voting and Stacking classifiers and regressors, their inner estimators lifted on the same input and combined.
 *
 * State across sklearn versions (side by side):
 *
 * | attribute                 | 0.17 – 0.21                     | 0.22 – 1.1                        | 1.2 +                      |
 * |---------------------------|---------------------------------|-----------------------------------|----------------------------|
 * | Voting estimators_        | fitted, None ones left out      | fitted, 'drop' ones left out      | =                          |
 * | Voting weights            | aligned with estimators (None skipped: _weights_not_none)   | ('drop' skipped)          |
 * | VotingClassifier le_      | LabelEncoder; inner estimators see le_.transform(y)          | =                         |
 * | flatten_transform         | 0.19 +; only shapes transform(), never predict               | =                         |
 * | VotingRegressor           | (0.21 +)                        | =                                 | =                          |
 * | Stacking (0.22 +)         |                                 | estimators_, stack_method_ (aligned), final_estimator_, passthrough |  |
 * | Stacking label encoder    |                                 | _le                               | _label_encoder             |
 *
 * VotingClassifier: soft = np.average of predict_proba over estimators_
 * (products summed in order, divided by the pairwise sum of the weights,
 * or by their count without weights), label = le_.classes_[argmax];
 * hard = argmax of np.bincount(labels, weights), first on ties, label only.
 * VotingRegressor: the same average of predictions.
 * Stacking: each estimator's stack_method_ output side by side (1-D as a
 * column; binary predict_proba without its first column), then X when
 * passthrough, into final_estimator_; the classifier's label is
 * classes_[final_estimator_.predict], its probabilities the final
 * estimator's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_compose.h"

/* The fitted estimators_ list. */
static int ens_estimators(sk_ctx *c, const pk_obj *est, const pk_obj **list, size_t *n)
{
    const pk_obj *l = pk_attr(est, "estimators_");

    if (!l || (pk_kind_of(l) != PK_LIST && pk_kind_of(l) != PK_TUPLE) || pk_len(l) == 0)
        return sk_fail(c, SKC_E_FORMAT, "estimators_ is missing or empty (not fitted?)");
    *list = l;
    *n = pk_len(l);
    return SKC_OK;
}

/* _weights_not_none: weights of the estimators that were not dropped, or
 * all 1 (*weighted = 0) without weights. */
static int ens_weights(sk_ctx *c, const pk_obj *est, size_t n, double **w, int *weighted)
{
    const pk_obj *wo = pk_attr(est, "weights"), *ests = pk_attr(est, "estimators"), *e;
    double *v, x;
    size_t i, k = 0, m;
    int arr;

    *weighted = wo && pk_kind_of(wo) != PK_NONE;
    if (!(v = malloc(n * sizeof(*v))))
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++)
        v[i] = 1.0;
    if (*weighted) {
        pk_array_info ai;
        arr = pk_kind_of(wo) == PK_ARRAY;
        if (arr && (pk_array(wo, &ai) != SKC_OK || ai.ndim != 1)) {
            free(v);
            return sk_fail(c, SKC_E_FORMAT, "weights is not a 1-D array");
        }
        m = arr ? (size_t)ai.shape[0] : pk_len(wo);
        for (i = 0; i < m; i++) {
            e = ests && pk_len(ests) == m ? pk_item(pk_item(ests, i), 1) : NULL;
            if (e && (pk_kind_of(e) == PK_NONE || skm_is_str(e, "drop")))
                continue;
            if (k >= n || (arr ? pk_array_get_f64(wo, i, &x)
                               : pk_float(pk_item(wo, i), &x)) != SKC_OK) {
                free(v);
                return sk_fail(c, SKC_E_FORMAT, "weights do not fit the %zu fitted estimators", n);
            }
            v[k++] = x;
        }
        if (k != n) {
            free(v);
            return sk_fail(c, SKC_E_FORMAT, "%zu weights for %zu fitted estimators", k, n);
        }
    }
    *w = v;
    return SKC_OK;
}

/* One-hot rows of class indices (a single-input vote), then the label
 * step over @p classes: classes[index]. */
static int ens_relabel(sk_ctx *c, char (*idx)[64], size_t n, const double *w,
                       const skc_tensor *classes, const char *counts, const char *label)
{
    skc_tensor *wt = NULL;
    skc_step *st;
    size_t i;
    int rc;

    if ((rc = skc_tensor_from_f64(w, (int64_t)n, &wt)) ||
        (rc = skc_model_add_step(c->m, "vote", &st)))
        goto done;
    for (i = 0; i < n; i++)
        if ((rc = skc_step_add_input(st, idx[i])))
            goto done;
    if ((rc = skc_step_add_output(st, counts)) ||
        (rc = skc_step_set_tensor(st, "weights", wt)) ||
        (rc = skc_step_set_int(st, "n_classes", skc_tensor_numel(classes))) ||
        (rc = sk_step(c, "label", counts, label, &st)) ||
        (rc = skc_step_set_tensor(st, "classes", (skc_tensor *)classes)) ||
        (rc = skc_step_set_string(st, "mode", "argmax")))
        goto done;
done:
    skc_tensor_free(wt);
    return rc;
}

/* classes_ of the ensemble, else of its label encoder. */
static int ens_classes(sk_ctx *c, const pk_obj *est, const char *enc1, const char *enc2,
                       skc_tensor **classes)
{
    const pk_obj *le;

    if (pk_attr(est, "classes_"))
        return sk_classes(c, est, classes);
    le = pk_attr(est, enc1);
    if ((!le || pk_kind_of(le) == PK_NONE) && enc2)
        le = pk_attr(est, enc2);
    if (!le || pk_kind_of(le) != PK_INSTANCE)
        return sk_fail(c, SKC_E_FORMAT, "neither classes_ nor %s is present", enc1);
    return sk_classes(c, le, classes);
}

/* ---- Voting ------------------------------------------------------------------------- */

static int ens_voting(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                      char *out, int64_t *out_width, int classifier)
{
    const pk_obj *list;
    const char *voting = sk_attr_str(est, "voting");
    char (*parts)[64] = NULL, (*labels)[64] = NULL, what[48], label[64], avg[64];
    skc_tensor *classes = NULL;
    double *w = NULL;
    size_t n, i;
    int64_t k = 1, wd;
    int rc, role, weighted, hard = classifier && voting && strcmp(voting, "hard") == 0;

    if ((rc = ens_estimators(c, est, &list, &n)) ||
        (rc = ens_weights(c, est, n, &w, &weighted)))
        return rc;
    if (classifier && (rc = ens_classes(c, est, "le_", NULL, &classes)))
        goto done;
    if (classifier)
        k = skc_tensor_numel(classes);
    if (!(parts = calloc(n, sizeof(*parts))) || !(labels = calloc(n, sizeof(*labels)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        snprintf(what, sizeof(what), "estimators_[%zu]", i);
        if ((rc = skm_lift_inner(c, pk_item(list, i), what, in, in_width, parts[i], &wd, &role)))
            goto done;
        if (role != (classifier ? SK_CLASSIFIER : SK_REGRESSOR)) {
            rc = sk_fail(c, SKC_E_FORMAT, "%s is not a %s", what,
                         classifier ? "classifier" : "regressor");
            goto done;
        }
        if (classifier && !hard && (!skm_is_proba(c, parts[i]) || wd != k)) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "soft voting needs predict_proba over %lld "
                         "classes, which %s does not give", (long long)k, what);
            goto done;
        }
        if (!classifier && wd != 1) {
            rc = sk_fail(c, SKC_E_FORMAT, "%s predicts %lld targets", what, (long long)wd);
            goto done;
        }
        snprintf(labels[i], 64, "%s", c->last_label);
    }
    if (!classifier) {
        sk_out_name(c, "variable", out);
        /* np.average divides by np.sum(weights) (pairwise), np.mean by the count. */
        if ((rc = skm_weighted_sum(c, parts, (int)n, w, weighted ? sk_pairwise_sum(w, (int64_t)n)
                                                                   : (double)n, out)) ||
            (c->final && (rc = sk_output_regressor(c, out, 1))))
            goto done;
        *out_width = 1;
        goto done;
    }
    sk_out_name(c, "label", label);
    if (hard) {
        /* Inner estimators predict le_-encoded indices. */
        sk_new_name(c, "votes", avg);
        if ((rc = ens_relabel(c, labels, n, w, classes, avg, label)) ||
            (c->final && (rc = sk_output_classifier(c, label, NULL, classes, k))))
            goto done;
    } else {
        skc_step *st;
        sk_out_name(c, "probabilities", avg);
        if ((rc = skm_weighted_sum(c, parts, (int)n, w, weighted ? sk_pairwise_sum(w, (int64_t)n)
                                                                   : (double)n, avg)) ||
            (rc = sk_step(c, "label", avg, label, &st)) ||
            (rc = skc_step_set_tensor(st, "classes", classes)) ||
            (rc = skc_step_set_string(st, "mode", "argmax")) ||
            (c->final && (rc = sk_output_classifier(c, label, avg, classes, k))))
            goto done;
    }
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", avg);
    *out_width = k;
done:
    free(w);
    free(parts);
    free(labels);
    skc_tensor_free(classes);
    return rc;
}

static int ens_voting_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                                 int64_t in_width, char *out, int64_t *out_width)
{
    return ens_voting(c, est, in, in_width, out, out_width, 1);
}

static int ens_voting_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                                int64_t in_width, char *out, int64_t *out_width)
{
    return ens_voting(c, est, in, in_width, out, out_width, 0);
}

/* ---- Stacking ------------------------------------------------------------------------- */

/* One estimator's stack_method_ output as columns of the meta features. */
static int ens_stack_part(sk_ctx *c, const pk_obj *est, const char *meth, const char *o,
                          int64_t w, int64_t n_classes, char *part, int64_t *pw)
{
    skc_step *st;
    int64_t one = 1;
    int rc;

    if (strcmp(meth, "predict_proba") == 0) {
        if (!skm_is_proba(c, o))
            return sk_fail(c, SKC_E_FORMAT, "stack_method_ is predict_proba, but the "
                           "estimator gives no probabilities");
        if (n_classes == 2 && w == 2) {
            /* Binary: the first column is dropped (collinear). */
            *pw = 1;
            return skm_select_step(c, o, &one, 1, part);
        }
        snprintf(part, 64, "%s", o);
        *pw = w;
        return SKC_OK;
    }
    if (strcmp(meth, "decision_function") == 0) {
        if (skm_is_proba(c, o))
            return skm_decision(c, est, o, part, pw);
        snprintf(part, 64, "%s", o);
        *pw = w;
        return SKC_OK;
    }
    if (strcmp(meth, "predict") == 0) {
        /* Classifiers: their encoded label, as a number. */
        sk_new_name(c, "stacked", part);
        if ((rc = sk_step(c, "as_real", c->last_label, part, &st)))
            return rc;
        *pw = 1;
        return SKC_OK;
    }
    return sk_fail(c, SKC_E_UNSUPPORTED, "stack_method_ '%s'", meth);
}

static int ens_stacking(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                        char *out, int64_t *out_width, int classifier)
{
    const pk_obj *list, *meths = pk_attr(est, "stack_method_"), *fin;
    char (*parts)[64] = NULL, what[48], meta[64], fout[64], label[64], onehot[64];
    skc_tensor *classes = NULL;
    const char *meth;
    size_t n, i, len;
    int64_t k = 0, wd, pw, total = 0;
    int rc, role, final = c->final, np = 0, passthrough = 0;
    double one = 1.0;

    if ((rc = ens_estimators(c, est, &list, &n)))
        return rc;
    if (!meths || pk_len(meths) != n)
        return sk_fail(c, SKC_E_FORMAT, "stack_method_ does not list the %zu estimators", n);
    fin = pk_attr(est, "final_estimator_");
    if (!fin || pk_kind_of(fin) == PK_NONE)
        return sk_fail(c, SKC_E_FORMAT, "final_estimator_ is missing");
    if (classifier) {
        if ((rc = ens_classes(c, est, "_label_encoder", "_le", &classes)))
            return rc;
        k = skc_tensor_numel(classes);
    }
    {
        const pk_obj *p = pk_attr(est, "passthrough");
        int b = 0;
        if (p && pk_bool(p, &b) == SKC_OK)
            passthrough = b;
    }
    if (!(parts = calloc(n + 1, sizeof(*parts)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        const pk_obj *e = pk_item(list, i);
        if (skm_is_str(e, "drop"))
            continue;
        if (pk_str(pk_item(meths, i), &meth, &len) != SKC_OK) {
            rc = sk_fail(c, SKC_E_FORMAT, "stack_method_[%zu] is not a string", i);
            goto done;
        }
        snprintf(what, sizeof(what), "estimators_[%zu]", i);
        if ((rc = skm_lift_inner(c, e, what, in, in_width, parts[np], &wd, &role)))
            goto done;
        if (role != SK_CLASSIFIER && role != SK_REGRESSOR) {
            rc = sk_fail(c, SKC_E_FORMAT, "%s is not a classifier or regressor", what);
            goto done;
        }
        if (role == SK_REGRESSOR) {
            if (strcmp(meth, "predict")) {
                rc = sk_fail(c, SKC_E_FORMAT, "a regressor stacked by %s", meth);
                goto done;
            }
            pw = wd;
        } else {
            char part[64];
            if ((rc = ens_stack_part(c, e, meth, parts[np], wd, k, part, &pw)))
                goto done;
            snprintf(parts[np], 64, "%s", part);
        }
        total += pw;
        np++;
    }
    if (passthrough) {
        snprintf(parts[np++], 64, "%s", in);
        total = in_width < 0 ? -1 : total + in_width;
    }
    if (np == 0) {
        rc = sk_fail(c, SKC_E_FORMAT, "no estimator to stack");
        goto done;
    }
    if ((rc = skm_concat(c, parts, np, meta)))
        goto done;
    if (!classifier) {
        /* The final regressor makes the outputs. */
        if ((rc = sk_lift_estimator(c, fin, meta, total, out, out_width, &role)))
            goto done;
        if (role != SK_REGRESSOR)
            rc = sk_fail(c, SKC_E_FORMAT, "final_estimator_ is not a regressor");
        goto done;
    }
    if ((rc = skm_lift_inner(c, fin, "final_estimator_", meta, total, fout, &wd, &role)))
        goto done;
    if (role != SK_CLASSIFIER) {
        rc = sk_fail(c, SKC_E_FORMAT, "final_estimator_ is not a classifier");
        goto done;
    }
    /* final_estimator_ predicts encoded indices: classes_[index]. */
    sk_out_name(c, "label", label);
    sk_new_name(c, "final_class", onehot);
    snprintf(parts[0], 64, "%s", c->last_label);
    if ((rc = ens_relabel(c, parts, 1, &one, classes, onehot, label)))
        goto done;
    if (skm_is_proba(c, fout) && wd == k) {
        skc_step *st;
        sk_out_name(c, "probabilities", out);
        if ((rc = sk_step(c, "identity", fout, out, &st)))
            goto done;
        *out_width = k;
    } else {
        snprintf(out, 64, "%s", fout);
        *out_width = wd;
    }
    if (final && (rc = sk_output_classifier(c, label, skm_is_proba(c, fout) && wd == k
                                                        ? out : NULL, classes, k)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
done:
    free(parts);
    skc_tensor_free(classes);
    return rc;
}

static int ens_stacking_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                                   int64_t in_width, char *out, int64_t *out_width)
{
    return ens_stacking(c, est, in, in_width, out, out_width, 1);
}

static int ens_stacking_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                                  int64_t in_width, char *out, int64_t *out_width)
{
    return ens_stacking(c, est, in, in_width, out, out_width, 0);
}

const sk_family sk_compose_ensemble_families[] = {
    { "sklearn.ensemble.VotingClassifier", SK_CLASSIFIER, ens_voting_classifier },
    { "sklearn.ensemble.VotingRegressor", SK_REGRESSOR, ens_voting_regressor },
    { "sklearn.ensemble.StackingClassifier", SK_CLASSIFIER, ens_stacking_classifier },
    { "sklearn.ensemble.StackingRegressor", SK_REGRESSOR, ens_stacking_regressor },
    { NULL, 0, NULL }
};
