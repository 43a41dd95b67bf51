/* SPDX-License-Identifier: MIT */
/* op_bayes.c: reference semantics of the naive Bayes IR operation (core/OPS.md): naive_bayes (joint log-likelihood, label, probabilities). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "op_labels.h"

enum { NB_GAUSSIAN, NB_LINEAR, NB_CATEGORICAL };

/* 2.0 * np.pi, the factor sklearn forms first. */
#define NB_TWO_PI 6.283185307179586

static int nb_kind(const char *k)
{
    if (!k)
        return -1;
    if (strcmp(k, "gaussian") == 0) return NB_GAUSSIAN;
    if (strcmp(k, "linear") == 0) return NB_LINEAR;
    if (strcmp(k, "categorical") == 0) return NB_CATEGORICAL;
    return -1;
}

static int nb_shape_err(const skc_step *s, const char *what, char *err, size_t errlen)
{
    skci_errf(err, errlen, "step '%s': %s", s->op, what);
    return SKC_E_FORMAT;
}

static int nb_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *cl, *a, *b, *c;
    const char *kind;
    int64_t k, f, i, total = 0;
    double thr;
    int rc;

    if ((rc = skci_classes_check(s, -1, err, errlen)))
        return rc;
    skc_step_get_tensor(s, "classes", &cl);
    k = skc_tensor_numel(cl);
    if (skc_step_get_string(s, "kind", &kind) || nb_kind(kind) < 0)
        return nb_shape_err(s, "kind must be gaussian, linear or categorical", err, errlen);
    switch (nb_kind(kind)) {
    case NB_GAUSSIAN:
        if ((rc = skci_need_f64(s, "theta", 2, &a, err, errlen)) ||
            (rc = skci_need_f64(s, "var", 2, &b, err, errlen)) ||
            (rc = skci_need_f64(s, "class_prior", 1, &c, err, errlen)))
            return rc;
        if (skc_tensor_shape(a)[0] != k || skc_tensor_shape(b)[0] != k ||
            skc_tensor_shape(a)[1] != skc_tensor_shape(b)[1] || skc_tensor_numel(c) != k)
            return nb_shape_err(s, "theta and var must be [K, F] and class_prior [K]", err, errlen);
        return SKC_OK;
    case NB_LINEAR:
        if ((rc = skci_need_f64(s, "coef", 2, &a, err, errlen)) ||
            (rc = skci_need_f64(s, "intercept", 1, &b, err, errlen)))
            return rc;
        if (skc_tensor_shape(a)[0] != k || skc_tensor_numel(b) != k)
            return nb_shape_err(s, "coef must be [K, F] and intercept [K]", err, errlen);
        if (skc_step_get_float(s, "binarize", &thr) == SKC_OK && isnan(thr))
            return nb_shape_err(s, "binarize is NaN", err, errlen);
        return SKC_OK;
    default:
        if ((rc = skci_need_f64(s, "log_prob", 2, &a, err, errlen)) ||
            (rc = skci_need_f64(s, "n_categories", 1, &b, err, errlen)) ||
            (rc = skci_need_f64(s, "intercept", 1, &c, err, errlen)))
            return rc;
        f = skc_tensor_numel(b);
        for (i = 0; i < f; i++) {
            double n = ((const double *)skc_tensor_data(b))[i];
            if (!(n >= 1 && n <= 1e9) || n != floor(n))
                return nb_shape_err(s, "n_categories must be positive integers", err, errlen);
            total += (int64_t)n;
        }
        if (skc_tensor_shape(a)[0] != k || skc_tensor_shape(a)[1] != total ||
            skc_tensor_numel(c) != k)
            return nb_shape_err(s, "log_prob must be [K, sum of n_categories] and intercept [K]",
                                err, errlen);
        return SKC_OK;
    }
}

/* The joint log-likelihood of one row, in sklearn's order of operations. */
static void nb_jll(const skc_step *s, int kind, const double *x, int64_t f, int64_t k,
                  double *jll)
{
    const skc_tensor *a, *b, *c;
    int64_t i, j;

    if (kind == NB_GAUSSIAN) {
        const double *th, *var, *pr;
        skc_step_get_tensor(s, "theta", &a);
        skc_step_get_tensor(s, "var", &b);
        skc_step_get_tensor(s, "class_prior", &c);
        th = skc_tensor_data(a);
        var = skc_tensor_data(b);
        pr = skc_tensor_data(c);
        /* jointi = log(prior); n_ij = -0.5 sum log(2 pi var) - 0.5 sum (x-theta)^2/var */
        for (i = 0; i < k; i++) {
            double c0 = 0.0, q = 0.0, d;
            for (j = 0; j < f; j++)
                c0 += log(NB_TWO_PI * var[i * f + j]);
            for (j = 0; j < f; j++) {
                d = x[j] - th[i * f + j];
                q += (d * d) / var[i * f + j];
            }
            jll[i] = log(pr[i]) + (-0.5 * c0 - 0.5 * q);
        }
        return;
    }
    if (kind == NB_LINEAR) {
        const double *w, *ic;
        double thr = 0.0;
        int bin = skc_step_get_float(s, "binarize", &thr) == SKC_OK;
        skc_step_get_tensor(s, "coef", &a);
        skc_step_get_tensor(s, "intercept", &b);
        w = skc_tensor_data(a);
        ic = skc_tensor_data(b);
        for (i = 0; i < k; i++) {
            double acc = 0.0;
            /* A zero feature adds nothing, as in sklearn's sparse product:
             * a coefficient is -inf for a feature a class never showed
             * (alpha 0), and 0 * -inf would be NaN. */
            for (j = 0; j < f; j++) {
                double v = bin ? (x[j] > thr ? 1.0 : 0.0) : x[j];
                if (v != 0.0)
                    acc += v * w[i * f + j];
            }
            jll[i] = acc + ic[i];
        }
        return;
    }
    {
        const double *lp, *nc, *ic;
        int64_t total, off = 0;
        skc_step_get_tensor(s, "log_prob", &a);
        skc_step_get_tensor(s, "n_categories", &b);
        skc_step_get_tensor(s, "intercept", &c);
        lp = skc_tensor_data(a);
        nc = skc_tensor_data(b);
        ic = skc_tensor_data(c);
        total = skc_tensor_shape(a)[1];
        for (i = 0; i < k; i++)
            jll[i] = 0.0;
        for (j = 0; j < f; j++) {
            /* check_array(dtype=int) truncates; check_non_negative and the
             * category tables' bounds reject the rest, where sklearn
             * raises: such a row gets NaN likelihoods instead (so NaN
             * probabilities and the first class). */
            double t = trunc(x[j]);
            if (!(t >= 0 && t < nc[j])) {
                for (i = 0; i < k; i++)
                    jll[i] = NAN;
                return;
            }
            for (i = 0; i < k; i++)
                jll[i] += lp[i * total + off + (int64_t)t];
            off += (int64_t)nc[j];
        }
        for (i = 0; i < k; i++)
            jll[i] = jll[i] + ic[i];
    }
}

/* Width the kind expects. */
static int64_t nb_width(const skc_step *s, int kind)
{
    const skc_tensor *t;

    if (kind == NB_GAUSSIAN) {
        skc_step_get_tensor(s, "theta", &t);
        return skc_tensor_shape(t)[1];
    }
    if (kind == NB_LINEAR) {
        skc_step_get_tensor(s, "coef", &t);
        return skc_tensor_shape(t)[1];
    }
    skc_step_get_tensor(s, "n_categories", &t);
    return skc_tensor_numel(t);
}

static int nb_eval(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    const skc_tensor *cl;
    const char *kname;
    const double *x;
    double *pr;
    int64_t n, f, k, r, i, *lab = NULL;
    int kind, rc;

    skc_step_get_string(s, "kind", &kname);
    skc_step_get_tensor(s, "classes", &cl);
    kind = nb_kind(kname);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    k = skc_tensor_numel(cl);
    if (f != nb_width(s, kind)) {
        skci_errf(err, errlen, "step 'naive_bayes': input has %lld columns, the model %lld",
                  (long long)f, (long long)nb_width(s, kind));
        return SKC_E_INVAL;
    }
    out[0] = out[1] = NULL;
    lab = malloc((size_t)(n ? n : 1) * sizeof(*lab));
    if (!lab)
        return SKC_E_NOMEM;
    if ((rc = skci_new_matrix(n, k, &out[1])))
        goto done;
    x = skc_tensor_data(in[0]);
    pr = skc_tensor_data_mut(out[1]);
    for (r = 0; r < n; r++) {
        double *row = pr + r * k, amax, sum = 0.0, lse;
        nb_jll(s, kind, x + r * f, f, k, row);
        /* predict: argmax of the jll, the first on ties. */
        lab[r] = 0;
        for (i = 1; i < k; i++)
            if (row[i] > row[lab[r]])
                lab[r] = i;
        /* predict_proba: exp(jll - logsumexp(jll)), as scipy computes it. */
        amax = row[0];
        for (i = 1; i < k; i++)
            if (row[i] > amax)
                amax = row[i];
        if (!isfinite(amax))
            amax = 0.0;
        for (i = 0; i < k; i++)
            sum += exp(row[i] - amax);
        lse = log(sum) + amax;
        for (i = 0; i < k; i++)
            row[i] = exp(row[i] - lse);
    }
    rc = skci_labels_from_index(cl, lab, 1, &n, &out[0]);
done:
    if (rc) {
        skc_tensor_free(out[1]);
        out[1] = NULL;
    }
    free(lab);
    return rc;
}

/* Gaussian: each class mean and +-2 standard deviations; linear: around
 * the binarize threshold; categorical: every category index. */
static void nb_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *a, *b;
    const char *kname;
    double thr;
    int64_t k, f, i, j;

    if (skc_step_get_string(s, "kind", &kname))
        return;
    switch (nb_kind(kname)) {
    case NB_GAUSSIAN:
        if (skc_step_get_tensor(s, "theta", &a) || skc_step_get_tensor(s, "var", &b))
            return;
        k = skc_tensor_shape(a)[0];
        f = skc_tensor_shape(a)[1];
        for (i = 0; i < k; i++)
            for (j = 0; j < f; j++) {
                double m = skc_tensor_get_f64(a, i * f + j);
                double sd = sqrt(skc_tensor_get_f64(b, i * f + j));
                skci_hint_add(h, j, m - 2 * sd);
                skci_hint_add(h, j, m);
                skci_hint_add(h, j, m + 2 * sd);
            }
        break;
    case NB_LINEAR:
        if (skc_step_get_tensor(s, "coef", &a))
            return;
        f = skc_tensor_shape(a)[1];
        thr = 0.0;
        skc_step_get_float(s, "binarize", &thr);
        for (j = 0; j < f; j++) {
            skci_hint_add(h, j, 0.0);
            skci_hint_add(h, j, thr < 1.0 ? 1.0 : thr + 1.0);
            skci_hint_add(h, j, thr > 0.0 ? 2.0 * thr : 3.0);
        }
        break;
    case NB_CATEGORICAL:
        if (skc_step_get_tensor(s, "n_categories", &a))
            return;
        f = skc_tensor_numel(a);
        for (j = 0; j < f; j++)
            for (i = 0; i < (int64_t)skc_tensor_get_f64(a, j) && i < 256; i++)
                skci_hint_add(h, j, (double)i);
        break;
    default:
        break;
    }
}

const skci_op skci_ops_bayes[] = {
    { .name = "naive_bayes", .n_inputs = 1, .n_outputs = 2, .check = nb_check,
      .eval = nb_eval, .hints = nb_hints },
    { .name = NULL }
};
