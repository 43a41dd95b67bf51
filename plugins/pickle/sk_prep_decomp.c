/* SPDX-License-Identifier: MIT */
/* sk_prep_decomp.c: linear decompositions (PCA, IncrementalPCA, TruncatedSVD) into scaler and linear steps.
 *
 * State across sklearn versions (side by side):
 *
 * | estimator      | attribute / behaviour | 0.14 – 0.17                          | 0.18 +                                        |
 * |----------------|-----------------------|--------------------------------------|-----------------------------------------------|
 * | PCA            | transform             | (X - mean_) components_^T; whitening | (X - mean_) components_^T, then divided by    |
 * |                |                       | already folded into components_      | sqrt(explained_variance_) when whiten         |
 * |                | mean_                 | [F]                                  | [F] (None only for estimators that skip it)   |
 * | IncrementalPCA | as PCA (0.16 +)       | =                                    | =                                             |
 * | TruncatedSVD   | transform             | X components_^T                      | =                                             |
 *
 * Pickles without _sklearn_version are taken as the 0.14 – 0.17 layout.
 * A whitening scale below machine epsilon is raised to it, as newer
 * sklearn does (older ones divided by ~0).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_prep.h"

static int decomp_components(sk_ctx *c, const pk_obj *est, skc_tensor **comp, int64_t *k,
                             int64_t *f)
{
    int rc = sk_attr_f64(c, est, "components_", comp);

    if (rc)
        return rc;
    if (skc_tensor_ndim(*comp) != 2) {
        skc_tensor_free(*comp);
        *comp = NULL;
        return sk_fail(c, SKC_E_FORMAT, "components_ is not a matrix");
    }
    *k = skc_tensor_shape(*comp)[0];
    *f = skc_tensor_shape(*comp)[1];
    return SKC_OK;
}

static int decomp_project(sk_ctx *c, const char *in, skc_tensor *comp, int64_t k, char *out)
{
    skc_tensor *zero = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_tensor_new(SKC_DT_F64, 1, &k, &zero)))
        return rc;
    sk_new_name(c, "projected", out);
    if ((rc = sk_step(c, "linear", in, out, &st)) == SKC_OK &&
        (rc = skc_step_set_tensor(st, "coef", comp)) == SKC_OK)
        rc = skc_step_set_tensor(st, "intercept", zero);
    skc_tensor_free(zero);
    return rc;
}

static int decomp_pca(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *comp = NULL;
    double *mean = NULL, *ev = NULL, *ones = NULL;
    int64_t k, f, nm = 0, ne = 0, i;
    const pk_obj *mo = pk_attr(est, "mean_");
    char cur[64], next[64];
    int rc;

    if ((rc = decomp_components(c, est, &comp, &k, &f)))
        return rc;
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    snprintf(cur, sizeof(cur), "%s", in);
    if (mo && pk_kind_of(mo) != PK_NONE) {
        if ((rc = skp_doubles(c, mo, "mean_", &mean, &nm)))
            goto done;
        if (nm != f) {
            rc = sk_fail(c, SKC_E_FORMAT, "mean_ has %lld entries for %lld features",
                         (long long)nm, (long long)f);
            goto done;
        }
        ones = malloc((size_t)(f > k ? f : k ? k : 1) * sizeof(*ones));
        if (!ones) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        for (i = 0; i < f; i++)
            ones[i] = 1.0;
        /* Centre first, as sklearn does: folding mean_ into an intercept
         * would cancel large offsets in float32. */
        if ((rc = skp_scaler(c, cur, mean, ones, 0, f, next)))
            goto done;
        snprintf(cur, sizeof(cur), "%s", next);
    }
    if ((rc = decomp_project(c, cur, comp, k, next)))
        goto done;
    snprintf(cur, sizeof(cur), "%s", next);
    if (skp_bool(est, "whiten", 0) && sk_attr_str(est, "_sklearn_version")) {
        if ((rc = skp_doubles(c, pk_attr(est, "explained_variance_"), "explained_variance_",
                              &ev, &ne)))
            goto done;
        if (ne != k) {
            rc = sk_fail(c, SKC_E_FORMAT, "explained_variance_ has %lld entries for %lld "
                         "components", (long long)ne, (long long)k);
            goto done;
        }
        /* sklearn divides by the square root, raised to eps. */
        for (i = 0; i < k; i++) {
            double s = sqrt(ev[i]);
            ev[i] = s < DBL_EPSILON ? DBL_EPSILON : s;
        }
        if ((rc = skp_scaler(c, cur, NULL, ev, 1, k, next)))
            goto done;
        snprintf(cur, sizeof(cur), "%s", next);
    }
    snprintf(out, 64, "%s", cur);
    *out_width = k;
done:
    skc_tensor_free(comp);
    free(mean);
    free(ev);
    free(ones);
    return rc;
}

static int decomp_svd(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *comp = NULL;
    int64_t k, f;
    int rc;

    if ((rc = decomp_components(c, est, &comp, &k, &f)))
        return rc;
    if ((rc = sk_check_width(c, in, in_width, f)) == SKC_OK &&
        (rc = decomp_project(c, in, comp, k, out)) == SKC_OK)
        *out_width = k;
    skc_tensor_free(comp);
    return rc;
}

const sk_family sk_prep_decomp_families[] = {
    { "sklearn.decomposition.PCA", SK_TRANSFORMER, decomp_pca },
    { "sklearn.decomposition.IncrementalPCA", SK_TRANSFORMER, decomp_pca },
    { "sklearn.decomposition.TruncatedSVD", SK_TRANSFORMER, decomp_svd },
    { NULL, 0, NULL }
};
