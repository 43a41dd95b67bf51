/* SPDX-License-Identifier: MIT */
/* sk_prep_impute.c: imputers (SimpleImputer, the old Imputer) and MissingIndicator into impute/missing_mask/select_columns/concat steps.
 *
 * State across sklearn versions (side by side):
 *
 * | estimator        | attribute          | 0.14 – 0.19 (Imputer)          | 0.20                     | 0.21 – 1.1                     | 1.2 +                          |
 * |------------------|--------------------|--------------------------------|--------------------------|--------------------------------|--------------------------------|
 * | class            |                    | preprocessing.imputation.Imputer | impute.SimpleImputer   | impute._base.SimpleImputer     | =                              |
 * | missing marker   | missing_values     | 'NaN' (string) or a number     | np.nan or a number       | =                              | =                              |
 * | fill values      | statistics_ [F]    | NaN where a column was all missing (axis=0 only) | =      | =                              | =                              |
 * | dropped columns  |                    | NaN statistics, every strategy | NaN statistics unless strategy='constant' | = | = unless keep_empty_features |
 * | indicator        | add_indicator      | (absent)                       | (absent)                 | indicator_ (MissingIndicator), columns appended | = |
 * | MissingIndicator | features_, _n_features | (absent)                   | features_ ('missing-only' or 'all'), _n_features | = | = |
 *
 * String columns (object statistics_, strategy most_frequent or constant)
 * impute strings: a string X holds NaN and None as "" (core/OPS.md
 * `impute`), so missing_values np.nan / None is the marker "" and a string
 * marker is itself. MissingIndicator's error_on_new is a fit-time check
 * and is not repeated.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_prep.h"

/* missing_values: np.nan, a number, or the old 'NaN' / 'nan' string. */
static int imp_missing(sk_ctx *c, const pk_obj *est, double *m)
{
    const pk_obj *o = pk_attr(est, "missing_values");
    const char *s;
    size_t len;

    if (!o) {
        *m = NAN;
        return SKC_OK;
    }
    if (pk_str(o, &s, &len) == SKC_OK && (strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0)) {
        *m = NAN;
        return SKC_OK;
    }
    if (pk_kind_of(o) != PK_STR && pk_kind_of(o) != PK_NONE && pk_float(o, m) == SKC_OK)
        return SKC_OK;
    return sk_fail(c, SKC_E_UNSUPPORTED, "missing_values must be NaN or a number "
                   "(string and None markers are for string columns)");
}

static int imp_missing_mask(sk_ctx *c, const char *in, double missing, char *out)
{
    skc_step *st;
    int rc;

    sk_new_name(c, "missing", out);
    if ((rc = sk_step(c, "missing_mask", in, out, &st)))
        return rc;
    return skc_step_set_float(st, "missing", missing);
}

/* MissingIndicator on @p in (width @p f): the mask of the features_ it kept. */
static int imp_indicator(sk_ctx *c, const pk_obj *est, const char *in, int64_t f,
                         char *out, int64_t *out_width)
{
    double miss, *feat = NULL;
    int64_t k, n = -1, i, *idx = NULL;
    char mask[64];
    int rc;

    if ((rc = imp_missing(c, est, &miss)) ||
        (rc = skp_doubles(c, pk_attr(est, "features_"), "features_", &feat, &k)))
        return rc;
    if (sk_attr_int(est, "_n_features", &n) != SKC_OK)
        n = f;
    if (n != f) {
        rc = sk_fail(c, SKC_E_FORMAT, "MissingIndicator saw %lld features, not %lld",
                     (long long)n, (long long)f);
        goto done;
    }
    idx = malloc((size_t)(k ? k : 1) * sizeof(*idx));
    if (!idx) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < k; i++) {
        if (feat[i] < 0 || feat[i] >= (double)f) {
            rc = sk_fail(c, SKC_E_FORMAT, "features_[%lld] is out of range", (long long)i);
            goto done;
        }
        idx[i] = (int64_t)feat[i];
    }
    if ((rc = imp_missing_mask(c, in, miss, mask)))
        goto done;
    /* sklearn only subsets when fewer features were kept than seen. */
    if (k < f)
        rc = skp_select(c, mask, idx, k, out);
    else
        snprintf(out, 64, "%s", mask);
    *out_width = k < f ? k : f;
done:
    free(feat);
    free(idx);
    return rc;
}

static int imp_missing_indicator(sk_ctx *c, const pk_obj *est, const char *in,
                                 int64_t in_width, char *out, int64_t *out_width)
{
    static const char *const older[] = { "_n_features", NULL };
    int64_t f = skp_n_features(est, older);
    int rc;

    if (f < 0)
        return sk_fail(c, SKC_E_FORMAT, "MissingIndicator does not record its input width");
    if (skp_bool(est, "_precomputed", 0))
        return sk_fail(c, SKC_E_UNSUPPORTED, "MissingIndicator on a precomputed mask");
    if ((rc = sk_check_width(c, in, in_width, f)))
        return rc;
    return imp_indicator(c, est, in, f, out, out_width);
}

/* SimpleImputer fitted on object columns: statistics_ holds one string per
 * column; the model input becomes a string X. */
static int imp_simple_strings(sk_ctx *c, const pk_obj *est, const pk_obj *stats,
                              const char *in, int64_t in_width, char *out,
                              int64_t *out_width)
{
    const pk_obj *mo = pk_attr(est, "missing_values");
    const char *marker = "", *v;
    skc_tensor *fill = NULL;
    pk_array_info ai;
    skc_step *st;
    size_t len;
    int64_t f, i;
    double num;
    int rc;

    if (mo && pk_kind_of(mo) != PK_NONE && pk_str(mo, &marker, &len) != SKC_OK &&
        !(pk_float(mo, &num) == SKC_OK && isnan(num)))
        return sk_fail(c, SKC_E_UNSUPPORTED, "missing_values must be NaN, None or a string "
                       "for string columns");
    if (skp_bool(est, "add_indicator", 0))
        return sk_fail(c, SKC_E_UNSUPPORTED, "add_indicator on string columns");
    if (pk_array(stats, &ai) != SKC_OK || ai.ndim != 1)
        return sk_fail(c, SKC_E_FORMAT, "statistics_ is not a 1-D array");
    f = ai.shape[0];
    if ((rc = sk_check_width(c, in, in_width, f)) ||
        (rc = skc_tensor_new(SKC_DT_STRING, 1, &f, &fill)))
        return rc;
    for (i = 0; i < f; i++) {
        const pk_obj *e = pk_array_object(stats, (size_t)i);
        if (!e || pk_str(e, &v, &len) != SKC_OK) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "statistics_[%lld] is not a string (a column "
                         "with no statistic, or a number filling a string column)",
                         (long long)i);
            goto done;
        }
        if ((rc = skc_tensor_set_string(fill, i, v, len)))
            goto done;
    }
    sk_new_name(c, "imputed", out);
    if ((rc = sk_step(c, "impute", in, out, &st)) ||
        (rc = skc_step_set_float(st, "missing", NAN)) ||
        (rc = skc_step_set_tensor(st, "fill", fill)))
        goto done;
    if (*marker && (rc = skc_step_set_string(st, "missing_string", marker)))
        goto done;
    c->x_dtype = SKC_DT_STRING;
    *out_width = f;
done:
    skc_tensor_free(fill);
    return rc;
}

static int imp_simple(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    const char *strategy = sk_attr_str(est, "strategy");
    const pk_obj *stats = pk_attr(est, "statistics_");
    double *sv = NULL, miss;
    int64_t f, i, k = 0, *keep = NULL, axis = 0, wi = 0;
    skc_tensor *fill = NULL;
    char imputed[64], kept[64], ind[64];
    skc_step *st;
    pk_array_info ai;
    int rc, keep_all;

    if (sk_attr_int(est, "axis", &axis) == SKC_OK && axis != 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "Imputer with axis=1 computes its statistics "
                       "from each row at transform time");
    if (stats && pk_kind_of(stats) == PK_ARRAY && pk_array(stats, &ai) == SKC_OK &&
        ai.kind == 'O')
        return imp_simple_strings(c, est, stats, in, in_width, out, out_width);
    if ((rc = imp_missing(c, est, &miss)) ||
        (rc = skp_doubles(c, stats, "statistics_", &sv, &f)))
        return rc;
    if ((rc = sk_check_width(c, in, in_width, f)) ||
        (rc = skc_tensor_from_f64(sv, f, &fill)))
        goto done;
    sk_new_name(c, "imputed", imputed);
    if ((rc = sk_step(c, "impute", in, imputed, &st)) ||
        (rc = skc_step_set_float(st, "missing", miss)) ||
        (rc = skc_step_set_tensor(st, "fill", fill)))
        goto done;
    /* Columns with no statistic (all missing at fit) are dropped, except
     * for strategy='constant' (SimpleImputer) or keep_empty_features. */
    keep_all = skp_bool(est, "keep_empty_features", 0) ||
               (strategy && strcmp(strategy, "constant") == 0);
    keep = malloc((size_t)(f ? f : 1) * sizeof(*keep));
    if (!keep) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < f; i++)
        if (keep_all || !isnan(sv[i]))
            keep[k++] = i;
    if (k == 0 && f > 0) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "every column was empty at fit: nothing is kept");
        goto done;
    }
    if (k < f) {
        if ((rc = skp_select(c, imputed, keep, k, kept)))
            goto done;
    } else {
        snprintf(kept, sizeof(kept), "%s", imputed);
    }
    if (skp_bool(est, "add_indicator", 0)) {
        const pk_obj *ind_est = pk_attr(est, "indicator_");
        if (!ind_est || pk_kind_of(ind_est) != PK_INSTANCE) {
            rc = sk_fail(c, SKC_E_FORMAT, "add_indicator=True but indicator_ is missing");
            goto done;
        }
        if ((rc = imp_indicator(c, ind_est, in, f, ind, &wi)))
            goto done;
        sk_new_name(c, "with_indicator", out);
        if ((rc = sk_step(c, "concat", kept, out, &st)) ||
            (rc = skc_step_add_input(st, ind)))
            goto done;
    } else {
        snprintf(out, 64, "%s", kept);
    }
    *out_width = k + wi;
done:
    free(sv);
    free(keep);
    skc_tensor_free(fill);
    return rc;
}

const sk_family sk_prep_impute_families[] = {
    { "sklearn.impute.SimpleImputer", SK_TRANSFORMER, imp_simple },
    { "sklearn.preprocessing.Imputer", SK_TRANSFORMER, imp_simple },
    { "sklearn.impute.MissingIndicator", SK_TRANSFORMER, imp_missing_indicator },
    { NULL, 0, NULL }
};
