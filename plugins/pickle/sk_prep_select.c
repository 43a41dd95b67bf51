/* SPDX-License-Identifier: MIT */
/* sk_prep_select.c: feature selectors (VarianceThreshold, SelectKBest, SelectPercentile, SelectFpr/Fdr/Fwe, GenericUnivariateSelect, SelectFromModel, RFE, RFECV, SequentialFeatureSelector) as a select_columns step, the mask computed as get_support() would.
 *
 * State across sklearn versions (side by side):
 *
 * | estimator          | what decides the mask          | 0.14 – 0.23                      | 0.24 – 1.0                 | 1.1 +                          |
 * |--------------------|--------------------------------|----------------------------------|----------------------------|--------------------------------|
 * | VarianceThreshold  | variances_ > threshold         | =                                | =                          | =                              |
 * | SelectKBest        | scores_, k                     | stable argsort, last k (NaN is the lowest score) | =          | =                              |
 * | SelectPercentile   | scores_, percentile            | np.percentile threshold, ties kept in index order | =         | =                              |
 * | SelectFpr/Fdr/Fwe  | pvalues_, alpha                | =                                | =                          | =                              |
 * | SelectFromModel    | estimator_ (estimator if prefit), threshold, norm_order | threshold_ a property (recomputed here) | + importance_getter (0.24) | + max_features_ |
 * | RFE, RFECV         | support_; estimator_ fitted on the kept columns | =               | =                          | =                              |
 * | SequentialFeatureSelector | support_ (0.24 +)       |                                  | =                          | =                              |
 *
 * Importances come from coef_ (|coef_| or its norm over the classes) or a
 * stored feature_importances_ array; tree ensembles (whose importances are
 * computed properties) are refused. RFE/RFECV predict with estimator_ when
 * they make the model's outputs, and transform otherwise.
 */
#include <math.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_prep.h"

/* ---- numpy arithmetic the masks depend on ------------------------------------- */

static int sel_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

static double *sel_sorted(const double *v, int64_t n)
{
    double *s = malloc((size_t)(n ? n : 1) * sizeof(*s));

    if (s) {
        if (n)
            memcpy(s, v, (size_t)n * sizeof(*s));
        qsort(s, (size_t)n, sizeof(*s), sel_cmp_double);
    }
    return s;
}

/* numpy >= 1.22 linear-method percentile of @p v at q in [0, 1]. */
static int sel_percentile(const double *v, int64_t n, double q, double *out)
{
    double *s = sel_sorted(v, n), vi, g, a, b, d;
    int64_t lo, hi;

    if (!s)
        return SKC_E_NOMEM;
    vi = q * (double)(n - 1);
    lo = (int64_t)floor(vi);
    g = vi - (double)lo;
    if (vi >= (double)(n - 1))
        lo = hi = n - 1;
    else if (vi < 0)
        lo = hi = 0;
    else
        hi = lo + 1;
    a = s[lo];
    b = s[hi];
    d = b - a;
    /* numpy's _lerp: from the nearer end, so the result stays monotonic. */
    *out = g >= 0.5 ? b - d * (1.0 - g) : a + d * g;
    free(s);
    return SKC_OK;
}

static int sel_median(const double *v, int64_t n, double *out)
{
    double *s = sel_sorted(v, n);

    if (!s)
        return SKC_E_NOMEM;
    *out = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    free(s);
    return SKC_OK;
}

/* Indices sorted by value, stable (np.argsort(kind="mergesort")). */
typedef struct sel_key {
    double v;
    int64_t i;
} sel_key;

static int sel_cmp_key(const void *a, const void *b)
{
    const sel_key *x = a, *y = b;

    if (x->v < y->v)
        return -1;
    if (x->v > y->v)
        return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int sel_argsort(const double *v, int64_t n, int64_t *order)
{
    sel_key *k = malloc((size_t)(n ? n : 1) * sizeof(*k));
    int64_t i;

    if (!k)
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++) {
        k[i].v = v[i];
        k[i].i = i;
    }
    qsort(k, (size_t)n, sizeof(*k), sel_cmp_key);
    for (i = 0; i < n; i++)
        order[i] = k[i].i;
    free(k);
    return SKC_OK;
}

/* ---- building the selection ----------------------------------------------------- */

static int sel_finish(sk_ctx *c, const char *in, int64_t in_width, const unsigned char *mask,
                      int64_t n, char *out, int64_t *out_width)
{
    int64_t *idx = NULL, k;
    int rc;

    if ((rc = skp_mask_to_indices(mask, n, &idx, &k)))
        return rc;
    rc = skp_apply_selection(c, in, in_width, idx, k, n, out, out_width);
    free(idx);
    return rc;
}

/* scores_ with NaN as the lowest float (sklearn's _clean_nans). */
static int sel_scores(sk_ctx *c, const pk_obj *est, const char *key, double **v, int64_t *n)
{
    int64_t i;
    int rc = skp_doubles(c, pk_attr(est, key), key, v, n);

    if (rc)
        return rc;
    for (i = 0; i < *n; i++)
        if (isnan((*v)[i]))
            (*v)[i] = -DBL_MAX;
    return SKC_OK;
}

static int sel_kbest_mask(sk_ctx *c, const double *s, int64_t n, const pk_obj *kobj,
                          unsigned char *mask)
{
    const char *ks;
    size_t kl;
    int64_t k, i, *order;

    if (kobj && pk_str(kobj, &ks, &kl) == SKC_OK && strcmp(ks, "all") == 0) {
        memset(mask, 1, (size_t)n);
        return SKC_OK;
    }
    if (!kobj || pk_int(kobj, &k) != SKC_OK || k < 0)
        return sk_fail(c, SKC_E_FORMAT, "k is neither 'all' nor a non-negative integer");
    memset(mask, 0, (size_t)n);
    if (k == 0)
        return SKC_OK;
    order = malloc((size_t)(n ? n : 1) * sizeof(*order));
    if (!order)
        return SKC_E_NOMEM;
    if (sel_argsort(s, n, order)) {
        free(order);
        return SKC_E_NOMEM;
    }
    /* argsort(...)[-k:]: the k last, i.e. the highest, later indices first on ties. */
    for (i = n - k < 0 ? 0 : n - k; i < n; i++)
        mask[order[i]] = 1;
    free(order);
    return SKC_OK;
}

static int sel_percentile_mask(sk_ctx *c, const double *s, int64_t n, double pct,
                               unsigned char *mask)
{
    double thr;
    int64_t i, above = 0, max_feats, end, nt = 0, *ties;
    int rc;

    (void)c;
    if (pct == 100.0) {
        memset(mask, 1, (size_t)n);
        return SKC_OK;
    }
    memset(mask, 0, (size_t)n);
    if (pct == 0.0 || n == 0)
        return SKC_OK;
    if ((rc = sel_percentile(s, n, (100.0 - pct) / 100.0, &thr)))
        return rc;
    ties = malloc((size_t)n * sizeof(*ties));
    if (!ties)
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++) {
        if (s[i] > thr) {
            mask[i] = 1;
            above++;
        } else if (s[i] == thr) {
            ties[nt++] = i;
        }
    }
    /* kept_ties = ties[:max_feats - mask.sum()], with Python's slicing. */
    max_feats = (int64_t)((double)n * pct / 100.0);
    end = max_feats - above;
    if (end < 0)
        end += nt;
    if (end < 0)
        end = 0;
    for (i = 0; i < end && i < nt; i++)
        mask[ties[i]] = 1;
    free(ties);
    return SKC_OK;
}

static int sel_alpha_mask(sk_ctx *c, const pk_obj *est, const char *mode, double alpha,
                          unsigned char *mask, int64_t *n)
{
    double *p = NULL, *sorted = NULL, best = -INFINITY;
    int64_t i;
    int rc, any = 0;

    if ((rc = skp_doubles(c, pk_attr(est, "pvalues_"), "pvalues_", &p, n)))
        return rc;
    if (strcmp(mode, "fpr") == 0) {
        for (i = 0; i < *n; i++)
            mask[i] = p[i] < alpha;
    } else if (strcmp(mode, "fwe") == 0) {
        for (i = 0; i < *n; i++)
            mask[i] = p[i] < alpha / (double)*n;
    } else {
        /* Benjamini-Hochberg: the largest sorted p-value under its line. */
        if (!(sorted = sel_sorted(p, *n))) {
            free(p);
            return SKC_E_NOMEM;
        }
        for (i = 0; i < *n; i++)
            if (sorted[i] <= alpha / (double)*n * (double)(i + 1) && sorted[i] >= best) {
                best = sorted[i];
                any = 1;
            }
        for (i = 0; i < *n; i++)
            mask[i] = any && p[i] <= best;
    }
    free(p);
    free(sorted);
    return SKC_OK;
}

/* ---- univariate selectors ---------------------------------------------------------- */

static int sel_univariate(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                          const char *mode, const pk_obj *param, char *out, int64_t *out_width)
{
    unsigned char *mask = NULL;
    double *s = NULL, v;
    int64_t n;
    int rc;

    if (strcmp(mode, "fpr") == 0 || strcmp(mode, "fdr") == 0 || strcmp(mode, "fwe") == 0) {
        const pk_obj *pv = pk_attr(est, "pvalues_");
        int64_t cnt = pk_kind_of(pv) == PK_ARRAY ? 0 : -1;
        pk_array_info ai;
        if (!param || pk_float(param, &v) != SKC_OK)
            return sk_fail(c, SKC_E_FORMAT, "alpha is not a number");
        if (cnt == 0 && pk_array(pv, &ai) == SKC_OK)
            cnt = ai.shape[0];
        if (cnt < 0)
            return sk_fail(c, SKC_E_FORMAT, "pvalues_ is missing");
        mask = malloc((size_t)(cnt ? cnt : 1));
        if (!mask)
            return SKC_E_NOMEM;
        if ((rc = sel_alpha_mask(c, est, mode, v, mask, &n)) == SKC_OK)
            rc = sel_finish(c, in, in_width, mask, n, out, out_width);
        free(mask);
        return rc;
    }
    if ((rc = sel_scores(c, est, "scores_", &s, &n)))
        return rc;
    mask = malloc((size_t)(n ? n : 1));
    if (!mask) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if (strcmp(mode, "k_best") == 0) {
        rc = sel_kbest_mask(c, s, n, param, mask);
    } else if (strcmp(mode, "percentile") == 0) {
        if (!param || pk_float(param, &v) != SKC_OK)
            rc = sk_fail(c, SKC_E_FORMAT, "percentile is not a number");
        else
            rc = sel_percentile_mask(c, s, n, v, mask);
    } else {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "selection mode '%s'", mode);
    }
    if (rc == SKC_OK)
        rc = sel_finish(c, in, in_width, mask, n, out, out_width);
done:
    free(s);
    free(mask);
    return rc;
}

static int sel_kbest(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                     char *out, int64_t *out_width)
{
    return sel_univariate(c, est, in, in_width, "k_best", pk_attr(est, "k"), out, out_width);
}

static int sel_percentile_est(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                              char *out, int64_t *out_width)
{
    return sel_univariate(c, est, in, in_width, "percentile", pk_attr(est, "percentile"),
                          out, out_width);
}

static int sel_fpr(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                   char *out, int64_t *out_width)
{
    return sel_univariate(c, est, in, in_width, "fpr", pk_attr(est, "alpha"), out, out_width);
}

static int sel_fdr(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                   char *out, int64_t *out_width)
{
    return sel_univariate(c, est, in, in_width, "fdr", pk_attr(est, "alpha"), out, out_width);
}

static int sel_fwe(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                   char *out, int64_t *out_width)
{
    return sel_univariate(c, est, in, in_width, "fwe", pk_attr(est, "alpha"), out, out_width);
}

static int sel_generic(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                       char *out, int64_t *out_width)
{
    const char *mode = sk_attr_str(est, "mode");

    return sel_univariate(c, est, in, in_width, mode ? mode : "percentile",
                          pk_attr(est, "param"), out, out_width);
}

/* ---- mask-carrying selectors --------------------------------------------------------- */

static int sel_variance(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                        char *out, int64_t *out_width)
{
    double *v = NULL, t = 0.0;
    unsigned char *mask = NULL;
    int64_t n, i;
    int rc;

    if (skp_float(est, "threshold", &t) == SKC_E_INVAL)
        return sk_fail(c, SKC_E_FORMAT, "threshold is not a number");
    if ((rc = skp_doubles(c, pk_attr(est, "variances_"), "variances_", &v, &n)))
        return rc;
    mask = malloc((size_t)(n ? n : 1));
    if (!mask) {
        free(v);
        return SKC_E_NOMEM;
    }
    for (i = 0; i < n; i++)
        mask[i] = v[i] > t;
    rc = sel_finish(c, in, in_width, mask, n, out, out_width);
    free(v);
    free(mask);
    return rc;
}

static int sel_support(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                       char *out, int64_t *out_width)
{
    int64_t *idx = NULL, k, n;
    int rc;

    if ((rc = skp_mask_indices(c, est, "support_", &idx, &k, &n)))
        return rc;
    rc = skp_apply_selection(c, in, in_width, idx, k, n, out, out_width);
    free(idx);
    return rc;
}

/* RFE and RFECV: the kept columns, then estimator_ when the selector makes
 * the model's outputs (predict), the columns alone otherwise (transform). */
static int sel_rfe(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                   char *out, int64_t *out_width)
{
    const pk_obj *inner = pk_attr(est, "estimator_");
    char sel[64];
    int64_t w;
    int rc, role;

    c->wrapped_role = SK_TRANSFORMER;
    if ((rc = sel_support(c, est, in, in_width, c->final ? sel : out, &w)))
        return rc;
    if (!c->final) {
        *out_width = w;
        return SKC_OK;
    }
    if (!inner || pk_kind_of(inner) == PK_NONE)
        return sk_fail(c, SKC_E_FORMAT, "estimator_ is missing");
    if ((rc = sk_lift_estimator(c, inner, sel, w, out, out_width, &role)))
        return rc;
    c->wrapped_role = role;
    return SKC_OK;
}

/* ---- SelectFromModel ------------------------------------------------------------------ */

/* np.linalg.norm(coef, ord, axis=0) for the orders sklearn passes. */
static double sel_norm(const double *w, int64_t t, int64_t f, int64_t col, double ord)
{
    double acc = 0.0, a;
    int64_t r;

    if (isinf(ord)) {
        acc = fabs(w[col]);
        for (r = 1; r < t; r++) {
            a = fabs(w[r * f + col]);
            acc = ord > 0 ? (a > acc ? a : acc) : (a < acc ? a : acc);
        }
        return acc;
    }
    for (r = 0; r < t; r++) {
        a = fabs(w[r * f + col]);
        if (ord == 0.0)
            acc += a != 0.0;
        else if (ord == 1.0)
            acc += a;
        else if (ord == 2.0)
            acc += a * a;
        else
            acc += pow(a, ord);
    }
    if (ord == 2.0)
        return sqrt(acc);
    if (ord == 0.0 || ord == 1.0)
        return acc;
    return pow(acc, 1.0 / ord);
}

static int sel_importances(sk_ctx *c, const pk_obj *model, const pk_obj *sfm, double **imp,
                           int64_t *n)
{
    const pk_obj *getter = pk_attr(sfm, "importance_getter");
    const char *g = "auto", *key = NULL;
    skc_tensor *w = NULL;
    double ord = 1.0;
    int64_t t, f, i;
    size_t gl;
    int rc;

    if (getter && pk_kind_of(getter) != PK_NONE && pk_str(getter, &g, &gl) != SKC_OK)
        return sk_fail(c, SKC_E_UNSUPPORTED, "importance_getter is a callable");
    if (strcmp(g, "auto") == 0) {
        if (pk_attr(model, "coef_"))
            key = "coef_";
        else if (pk_attr(model, "feature_importances_"))
            key = "feature_importances_";
        else
            return sk_fail(c, SKC_E_UNSUPPORTED, "the estimator's importances are not stored "
                           "(no coef_; tree ensembles compute feature_importances_ on demand)");
    } else if (strchr(g, '.')) {
        return sk_fail(c, SKC_E_UNSUPPORTED, "importance_getter '%s'", g);
    } else {
        key = g;
    }
    if ((rc = sk_attr_f64(c, model, key, &w)))
        return rc;
    skp_float(sfm, "norm_order", &ord);
    if (skc_tensor_ndim(w) == 1) {
        t = 1;
        f = skc_tensor_shape(w)[0];
    } else if (skc_tensor_ndim(w) == 2) {
        t = skc_tensor_shape(w)[0];
        f = skc_tensor_shape(w)[1];
    } else {
        skc_tensor_free(w);
        return sk_fail(c, SKC_E_FORMAT, "%s has %d dimensions", key, skc_tensor_ndim(w));
    }
    *imp = malloc((size_t)(f ? f : 1) * sizeof(double));
    if (!*imp) {
        skc_tensor_free(w);
        return SKC_E_NOMEM;
    }
    for (i = 0; i < f; i++)
        (*imp)[i] = skc_tensor_ndim(w) == 1
                    ? fabs(skc_tensor_get_f64(w, i))
                    : sel_norm(skc_tensor_data(w), t, f, i, ord);
    *n = f;
    skc_tensor_free(w);
    return SKC_OK;
}

/* _calculate_threshold: None picks 1e-5 for L1 models and 'mean' otherwise. */
static int sel_threshold(sk_ctx *c, const pk_obj *model, const pk_obj *sfm, const double *imp,
                         int64_t n, double *thr)
{
    const pk_obj *t = pk_attr(sfm, "threshold");
    const char *s, *mod, *name, *pen = sk_attr_str(model, "penalty");
    char buf[128], *star, *ref;
    double scale = 1.0, l1 = 0.0;
    size_t len;
    int rc;

    if (!t || pk_kind_of(t) == PK_NONE) {
        sk_canonical(model, &mod, &name);
        if ((pen && strcmp(pen, "l1") == 0) || strstr(name, "Lasso") ||
            (strstr(name, "ElasticNet") &&
             ((skp_float(model, "l1_ratio_", &l1) == SKC_OK && fabs(l1 - 1.0) <= 1e-8 + 1e-5) ||
              (skp_float(model, "l1_ratio", &l1) == SKC_OK && fabs(l1 - 1.0) <= 1e-8 + 1e-5)))) {
            *thr = 1e-5;
            return SKC_OK;
        }
        s = "mean";
    } else if (pk_str(t, &s, &len) != SKC_OK) {
        if (pk_float(t, thr) != SKC_OK)
            return sk_fail(c, SKC_E_FORMAT, "threshold is neither a string nor a number");
        return SKC_OK;
    }
    /* "mean", "median" or "<scale>*mean|median", blanks around each part ignored. */
    snprintf(buf, sizeof(buf), "%s", s);
    ref = buf;
    if ((star = strchr(buf, '*'))) {
        char *end;
        *star = '\0';
        scale = strtod(buf, &end);
        while (*end == ' ')
            end++;
        if (end == buf || *end)
            return sk_fail(c, SKC_E_FORMAT, "threshold '%s*...' has no number before '*'", buf);
        ref = star + 1;
    }
    while (*ref == ' ')
        ref++;
    len = strlen(ref);
    while (len && ref[len - 1] == ' ')
        ref[--len] = '\0';
    s = ref;
    if (strcmp(s, "mean") == 0) {
        *thr = scale * (sk_pairwise_sum(imp, n) / (double)n);
    } else if (strcmp(s, "median") == 0) {
        double m;
        if ((rc = sel_median(imp, n, &m)))
            return rc;
        *thr = scale * m;
    } else {
        return sk_fail(c, SKC_E_FORMAT, "threshold reference '%s'", s);
    }
    return SKC_OK;
}

static int sel_from_model(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                          char *out, int64_t *out_width)
{
    const pk_obj *model = pk_attr(est, "estimator_"), *mf;
    unsigned char *mask = NULL;
    double *imp = NULL, thr, *neg = NULL;
    int64_t n = 0, i, maxf, *order = NULL;
    int rc;

    if (skp_bool(est, "prefit", 0) || !model || pk_kind_of(model) == PK_NONE)
        model = pk_attr(est, "estimator");
    if (!model || pk_kind_of(model) != PK_INSTANCE)
        return sk_fail(c, SKC_E_FORMAT, "SelectFromModel has no fitted estimator");
    if ((rc = sel_importances(c, model, est, &imp, &n)) ||
        (rc = sel_threshold(c, model, est, imp, n, &thr)))
        goto done;
    if (n <= 0) {
        rc = sk_fail(c, SKC_E_FORMAT, "the estimator has no feature importances");
        goto done;
    }
    mask = malloc((size_t)n);
    if (!mask) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    mf = pk_attr(est, "max_features_");
    if (!mf || pk_kind_of(mf) == PK_NONE)
        mf = pk_attr(est, "max_features");
    if (mf && pk_kind_of(mf) != PK_NONE) {
        if (pk_int(mf, &maxf) != SKC_OK || maxf < 0) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "max_features is not an integer");
            goto done;
        }
        /* argsort(-scores, mergesort)[:max_features]: highest first, ties by index. */
        neg = malloc((size_t)(n ? n : 1) * sizeof(*neg));
        order = malloc((size_t)(n ? n : 1) * sizeof(*order));
        if (!neg || !order) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        for (i = 0; i < n; i++)
            neg[i] = -imp[i];
        if ((rc = sel_argsort(neg, n, order)))
            goto done;
        memset(mask, 0, (size_t)n);
        for (i = 0; i < n && i < maxf; i++)
            mask[order[i]] = 1;
    } else {
        memset(mask, 1, (size_t)n);
    }
    for (i = 0; i < n; i++)
        if (imp[i] < thr)
            mask[i] = 0;
    rc = sel_finish(c, in, in_width, mask, n, out, out_width);
done:
    free(imp);
    free(mask);
    free(neg);
    free(order);
    return rc;
}

const sk_family sk_prep_select_families[] = {
    { "sklearn.feature_selection.VarianceThreshold", SK_TRANSFORMER, sel_variance },
    { "sklearn.feature_selection.SelectKBest", SK_TRANSFORMER, sel_kbest },
    { "sklearn.feature_selection.SelectPercentile", SK_TRANSFORMER, sel_percentile_est },
    { "sklearn.feature_selection.SelectFpr", SK_TRANSFORMER, sel_fpr },
    { "sklearn.feature_selection.SelectFdr", SK_TRANSFORMER, sel_fdr },
    { "sklearn.feature_selection.SelectFwe", SK_TRANSFORMER, sel_fwe },
    { "sklearn.feature_selection.GenericUnivariateSelect", SK_TRANSFORMER, sel_generic },
    { "sklearn.feature_selection.SelectFromModel", SK_TRANSFORMER, sel_from_model },
    { "sklearn.feature_selection.SequentialFeatureSelector", SK_TRANSFORMER, sel_support },
    { "sklearn.feature_selection.RFE", SK_WRAPPER, sel_rfe },
    { "sklearn.feature_selection.RFECV", SK_WRAPPER, sel_rfe },
    { NULL, 0, NULL }
};
