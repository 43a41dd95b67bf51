/* SPDX-License-Identifier: MIT */
/* sk_svm.c: kernel SVMs (SVC, NuSVC, SVR, NuSVR, OneClassSVM) into svm/svm_vote/svm_decision/svm_proba steps.
 *
 * State across sklearn versions (side by side):
 *
 * | what                 | 0.19 – 0.22                    | 0.23 – 1.x                       |
 * |----------------------|--------------------------------|----------------------------------|
 * | libsvm coefficients  | _dual_coef_ [K-1, M]           | same                             |
 * | libsvm intercepts    | _intercept_ (= -rho)           | same                             |
 * | public dual_coef_,   | negated for binary c_svc/nu_svc| same (never read here)           |
 * |   intercept_         |                                |                                  |
 * | SVs per class        | n_support_                     | _n_support (n_support_ property) |
 * | Platt sigmoids       | probA_, probB_                 | _probA, _probB                   |
 * | kernel width         | _gamma (gamma may be 'auto')   | _gamma (gamma may be 'scale')    |
 * | implementation       | _impl in the state             | class attribute, not pickled     |
 * | decision_function_   | 'ovr' default (None = 'ovo'    | 'ovr' default                    |
 * |   shape              |   before 0.19)                 |                                  |
 * | break_ties           | absent (False)                 | from 0.22                        |
 *
 * The libsvm-side arrays (_dual_coef_, _intercept_) are what predict and
 * predict_proba use, whatever sign sklearn shows publicly, so they are the
 * only ones read. A model without them is refused rather than guessed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sk_lift.h"

/* The arrays and kernel every libsvm model has. */
typedef struct svm_state {
    skc_tensor *sv;        /* [M, F] */
    skc_tensor *dual;      /* [R, M] */
    skc_tensor *icpt;      /* [P]    */
    const char *kernel;
    double gamma, coef0;
    int64_t degree;
    int64_t f;
} svm_state;

static void svm_state_free(svm_state *st)
{
    skc_tensor_free(st->sv);
    skc_tensor_free(st->dual);
    skc_tensor_free(st->icpt);
    st->sv = st->dual = st->icpt = NULL;
}

/* A Python bool/int/float attribute as double; absent gives @p dflt. */
static int svm_number(const pk_obj *est, const char *key, double dflt, double *v)
{
    const pk_obj *o = pk_attr(est, key);

    if (!o || pk_kind_of(o) == PK_NONE) {
        *v = dflt;
        return SKC_OK;
    }
    return pk_float(o, v);
}

/* gamma as libsvm received it: _gamma when fitted by 0.17+, otherwise the
 * gamma parameter itself, with 'auto' (or 0.0, its old spelling) = 1/F. */
static int svm_gamma(sk_ctx *c, const pk_obj *est, int64_t f, double *gamma)
{
    const pk_obj *o = pk_attr(est, "_gamma");
    const char *g;

    if (o && pk_float(o, gamma) == SKC_OK)
        return SKC_OK;
    g = sk_attr_str(est, "gamma");
    if (g && strcmp(g, "auto") != 0)
        return sk_fail(c, SKC_E_FORMAT, "gamma='%s' but the fitted _gamma is missing", g);
    if (!g && svm_number(est, "gamma", 0.0, gamma) != SKC_OK)
        return sk_fail(c, SKC_E_FORMAT, "gamma is neither a number nor 'auto'");
    if (g || *gamma == 0.0)
        *gamma = f > 0 ? 1.0 / (double)f : 0.0;
    return SKC_OK;
}

static int svm_read_state(sk_ctx *c, const pk_obj *est, svm_state *st)
{
    const pk_obj *kobj, *sparse = pk_attr(est, "_sparse");
    double deg;
    int b = 0, rc;

    memset(st, 0, sizeof(*st));
    if (sparse && pk_bool(sparse, &b) == SKC_OK && b)
        return sk_fail(c, SKC_E_UNSUPPORTED, "the SVM was fitted on a sparse matrix "
                       "(support_vectors_ is a scipy.sparse matrix); only dense fits are supported");
    kobj = pk_attr(est, "kernel");
    st->kernel = sk_attr_str(est, "kernel");
    if (!kobj)
        st->kernel = "rbf";
    if (!st->kernel)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a callable kernel cannot be converted "
                       "(it is code, not data)");
    if (strcmp(st->kernel, "precomputed") == 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "kernel='precomputed' needs the Gram matrix "
                       "against the training rows, which the model does not keep");
    if (strcmp(st->kernel, "linear") && strcmp(st->kernel, "poly") &&
        strcmp(st->kernel, "rbf") && strcmp(st->kernel, "sigmoid"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "unknown kernel '%s'", st->kernel);
    if (!pk_attr(est, "support_vectors_") && !pk_attr(est, "_dual_coef_"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "the model is not fitted (no support_vectors_)");
    if (!pk_attr(est, "_dual_coef_") || !pk_attr(est, "_intercept_"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "the model lacks libsvm's _dual_coef_ and "
                       "_intercept_ (an sklearn layout before 0.19 or a newer unknown one); "
                       "the public dual_coef_ has a version-dependent sign, so it is not guessed");
    if ((rc = sk_attr_f64(c, est, "support_vectors_", &st->sv)) ||
        (rc = sk_attr_f64(c, est, "_dual_coef_", &st->dual)) ||
        (rc = sk_attr_f64(c, est, "_intercept_", &st->icpt)))
        goto fail;
    if (skc_tensor_ndim(st->sv) != 2 || skc_tensor_ndim(st->dual) != 2 ||
        skc_tensor_shape(st->dual)[1] != skc_tensor_shape(st->sv)[0]) {
        rc = sk_fail(c, SKC_E_FORMAT, "support_vectors_ and _dual_coef_ do not agree in shape");
        goto fail;
    }
    st->f = skc_tensor_shape(st->sv)[1];
    if ((rc = svm_gamma(c, est, st->f, &st->gamma)))
        goto fail;
    if (svm_number(est, "coef0", 0.0, &st->coef0) != SKC_OK ||
        svm_number(est, "degree", 3.0, &deg) != SKC_OK || deg != floor(deg) ||
        deg < 0 || deg > 64) {
        rc = sk_fail(c, SKC_E_FORMAT, "coef0 or degree is not a usable number");
        goto fail;
    }
    st->degree = (int64_t)deg;
    return SKC_OK;
fail:
    svm_state_free(st);
    return rc;
}

/* The `svm` step: libsvm's raw decision values [N, P]. */
static int svm_add_values(sk_ctx *c, const svm_state *st, skc_tensor *n_support,
                          const char *in, const char *out)
{
    skc_step *s;
    int rc;

    if ((rc = sk_step(c, "svm", in, out, &s)) ||
        (rc = skc_step_set_string(s, "kernel", st->kernel)) ||
        (rc = skc_step_set_float(s, "gamma", st->gamma)) ||
        (rc = skc_step_set_float(s, "coef0", st->coef0)) ||
        (rc = skc_step_set_int(s, "degree", st->degree)) ||
        (rc = skc_step_set_tensor(s, "support_vectors", st->sv)) ||
        (rc = skc_step_set_tensor(s, "dual_coef", st->dual)) ||
        (rc = skc_step_set_tensor(s, "intercept", st->icpt)))
        return rc;
    if (n_support && (rc = skc_step_set_tensor(s, "n_support", n_support)))
        return rc;
    return SKC_OK;
}

/* _n_support (0.23+) or n_support_ as int64 [K]. */
static int svm_n_support(sk_ctx *c, const pk_obj *est, int64_t k, skc_tensor **out)
{
    skc_tensor *t = NULL;
    int64_t i;
    int rc;

    *out = NULL;
    if ((rc = sk_attr_f64_opt(c, est, "_n_support", &t)))
        return rc;
    if (!t && (rc = sk_attr_f64(c, est, "n_support_", &t)))
        return rc;
    if (skc_tensor_numel(t) != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "n_support has %lld entries for %lld classes",
                     (long long)skc_tensor_numel(t), (long long)k);
        skc_tensor_free(t);
        return rc;
    }
    if ((rc = skc_tensor_new(SKC_DT_I64, 1, &k, out)) == SKC_OK)
        for (i = 0; i < k; i++)
            ((int64_t *)skc_tensor_data_mut(*out))[i] = (int64_t)skc_tensor_get_f64(t, i);
    skc_tensor_free(t);
    return rc;
}

/* _probA/_probB (0.23+) or probA_/probB_; both empty when fitted without
 * probability=True. */
static int svm_platt(sk_ctx *c, const pk_obj *est, skc_tensor **a, skc_tensor **b)
{
    int rc;

    *a = *b = NULL;
    if ((rc = sk_attr_f64_opt(c, est, "_probA", a)) ||
        (rc = sk_attr_f64_opt(c, est, "_probB", b)))
        goto fail;
    if (!*a && (rc = sk_attr_f64_opt(c, est, "probA_", a)))
        goto fail;
    if (!*b && (rc = sk_attr_f64_opt(c, est, "probB_", b)))
        goto fail;
    return SKC_OK;
fail:
    skc_tensor_free(*a);
    skc_tensor_free(*b);
    *a = *b = NULL;
    return rc;
}

/* SVC and NuSVC: label by libsvm's vote (or argmax of the ovr function
 * with break_ties), probabilities by pairwise coupling when fitted with
 * probability=True, and decision_function as sklearn shapes it. */
static int svm_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    svm_state st;
    skc_tensor *classes = NULL, *nsup = NULL, *pa = NULL, *pb = NULL;
    char dv[64], label[64], proba[64] = "", scores[64];
    const char *shape = sk_attr_str(est, "decision_function_shape");
    int64_t k, p, t, sshape[2];
    double prob = 0.0, ties = 0.0;
    skc_step *s;
    int rc, with_proba;

    if ((rc = svm_read_state(c, est, &st)))
        return rc;
    if ((rc = sk_classes(c, est, &classes)))
        goto done;
    k = skc_tensor_numel(classes);
    p = k * (k - 1) / 2;
    if (k < 2) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a classifier fitted on one class");
        goto done;
    }
    if ((rc = svm_n_support(c, est, k, &nsup)) || (rc = svm_platt(c, est, &pa, &pb)))
        goto done;
    if (skc_tensor_shape(st.dual)[0] != k - 1 || skc_tensor_numel(st.icpt) != p) {
        rc = sk_fail(c, SKC_E_FORMAT, "_dual_coef_ has %lld rows and _intercept_ %lld "
                     "values for %lld classes", (long long)skc_tensor_shape(st.dual)[0],
                     (long long)skc_tensor_numel(st.icpt), (long long)k);
        goto done;
    }
    if ((rc = sk_check_width(c, in, in_width, st.f)))
        goto done;
    svm_number(est, "probability", 0.0, &prob);
    svm_number(est, "break_ties", 0.0, &ties);
    with_proba = prob != 0.0 && pa && pb && skc_tensor_numel(pa) > 0;
    if (with_proba && (skc_tensor_numel(pa) != p || skc_tensor_numel(pb) != p)) {
        rc = sk_fail(c, SKC_E_FORMAT, "the Platt parameters have %lld values for %lld pairs",
                     (long long)skc_tensor_numel(pa), (long long)p);
        goto done;
    }
    if (!shape)
        shape = "ovo";
    sk_new_name(c, "svm_values", dv);
    sk_out_name(c, "label", label);
    sk_out_name(c, "scores", scores);
    if ((rc = svm_add_values(c, &st, nsup, in, dv)))
        goto done;
    /* sklearn: break_ties applies only to 'ovr' with more than two classes. */
    if ((rc = sk_step(c, "svm_vote", dv, label, &s)) ||
        (rc = skc_step_set_tensor(s, "classes", classes)) ||
        (rc = skc_step_set_int(s, "n_classes", k)) ||
        (rc = skc_step_set_string(s, "mode", ties != 0.0 && k > 2 && strcmp(shape, "ovr") == 0
                                              ? "ovr_argmax" : "vote")))
        goto done;
    if (with_proba) {
        sk_out_name(c, "probabilities", proba);
        if ((rc = sk_step(c, "svm_proba", dv, proba, &s)) ||
            (rc = skc_step_set_tensor(s, "prob_a", pa)) ||
            (rc = skc_step_set_tensor(s, "prob_b", pb)) ||
            (rc = skc_step_set_int(s, "n_classes", k)))
            goto done;
    }
    t = k == 2 ? 1 : strcmp(shape, "ovr") == 0 ? k : p;
    if ((rc = sk_step(c, "svm_decision", dv, scores, &s)) ||
        (rc = skc_step_set_string(s, "mode", k == 2 ? "binary"
                                             : strcmp(shape, "ovr") == 0 ? "ovr" : "ovo")) ||
        (rc = skc_step_set_int(s, "n_classes", k)))
        goto done;
    if (c->final) {
        sshape[0] = -1;
        sshape[1] = t;
        if ((rc = sk_output_classifier(c, label, with_proba ? proba : NULL, classes, k)) ||
            (rc = skc_model_add_output(c->m, scores, SKC_DT_F64, 2, sshape)))
            goto done;
    }
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    /* What a composition reads next: probabilities when sklearn has
     * predict_proba, else the decision function. */
    snprintf(out, 64, "%s", with_proba ? proba : scores);
    *out_width = with_proba ? k : t;
done:
    svm_state_free(&st);
    skc_tensor_free(classes);
    skc_tensor_free(nsup);
    skc_tensor_free(pa);
    skc_tensor_free(pb);
    return rc;
}

/* One decision value per row: SVR/NuSVR predict it, OneClassSVM thresholds it. */
static int svm_single(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                      svm_state *st, const char *dv)
{
    int rc;

    if ((rc = svm_read_state(c, est, st)))
        return rc;
    if (skc_tensor_shape(st->dual)[0] != 1 || skc_tensor_numel(st->icpt) != 1)
        return sk_fail(c, SKC_E_FORMAT, "_dual_coef_ has %lld rows and _intercept_ %lld "
                       "values; a regressor or one-class model has one",
                       (long long)skc_tensor_shape(st->dual)[0],
                       (long long)skc_tensor_numel(st->icpt));
    if ((rc = sk_check_width(c, in, in_width, st->f)))
        return rc;
    return svm_add_values(c, st, NULL, in, dv);
}

static int svm_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    svm_state st;
    int rc;

    sk_out_name(c, "variable", out);
    rc = svm_single(c, est, in, in_width, &st, out);
    if (rc == SKC_OK && c->final)
        rc = sk_output_regressor(c, out, 1);
    if (rc == SKC_OK)
        *out_width = 1;
    svm_state_free(&st);
    return rc;
}

/* OneClassSVM: label = 1 where the decision value is > 0, else -1
 * (libsvm's (sum>0)?1:-1); scores = decision_function. */
static int svm_one_class(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    static const int64_t pm[2] = { -1, 1 };
    svm_state st;
    skc_tensor *classes = NULL;
    char label[64], scores[64];
    int64_t sshape[2] = { -1, 1 };
    skc_step *s;
    int rc;

    sk_out_name(c, "scores", scores);
    sk_out_name(c, "label", label);
    if ((rc = svm_single(c, est, in, in_width, &st, scores)) ||
        (rc = skc_tensor_from_i64(pm, 2, &classes)))
        goto done;
    if ((rc = sk_step(c, "label", scores, label, &s)) ||
        (rc = skc_step_set_tensor(s, "classes", classes)) ||
        (rc = skc_step_set_string(s, "mode", "threshold")) ||
        (rc = skc_step_set_float(s, "threshold", 0.0)))
        goto done;
    if (c->final && ((rc = sk_output_classifier(c, label, NULL, classes, 2)) ||
                     (rc = skc_model_add_output(c->m, scores, SKC_DT_F64, 2, sshape))))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", scores);
    *out_width = 1;
done:
    svm_state_free(&st);
    skc_tensor_free(classes);
    return rc;
}

const sk_family sk_svm_families[] = {
    { "sklearn.svm.SVC", SK_CLASSIFIER, svm_classifier },
    { "sklearn.svm.NuSVC", SK_CLASSIFIER, svm_classifier },
    { "sklearn.svm.SVR", SK_REGRESSOR, svm_regressor },
    { "sklearn.svm.NuSVR", SK_REGRESSOR, svm_regressor },
    { "sklearn.svm.OneClassSVM", SK_CLASSIFIER, svm_one_class },
    { NULL, 0, NULL }
};
