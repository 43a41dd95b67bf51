/* SPDX-License-Identifier: MIT */
/* sk_compose_pmml.c: what the jpmml corpus wraps sklearn in: sklearn2pmml's Domain decorators (ContinuousDomain, CategoricalDomain, MultiDomain, Alias), SelectorProxy and simple transformers (AggregateTransformer, PowerFunctionTransformer, DataFrameConstructor), and sklearn_pandas' DataFrameMapper.
 *
 * State across versions (side by side):
 *
 * | class / attribute            | sklearn2pmml ≤ 0.40         | 0.41 – 0.99                     | 0.100 +                          |
 * |------------------------------|-----------------------------|---------------------------------|----------------------------------|
 * | Domain missing_values        | absent (NaN is missing)     | value or list of values         | =                                |
 * | missing_value_replacement    | absent unless set           | None or a value                 | =                                |
 * | invalid_value_treatment      | return_invalid, as_is, as_missing | =                         | + as_value, invalid_value_replacement |
 * | ContinuousDomain valid range | data_min_, data_max_        | =                               | = (data_min / data_max given)    |
 * | ... outlier_treatment        | as_is, as_missing_values, as_extreme_values with low_value / high_value, every version            |
 * | CategoricalDomain values     | data_                       | data_ / data_values_            | data_values_ (list per column when 2-D) |
 * | Alias                        | transformer_ (fitted), or transformer when prefit                                                |
 * | MultiDomain                  | domains: one Domain per column                                                                  |
 * | SelectorProxy                | selector (fitted), support_mask_ (0.60 +)                                                       |
 * | AggregateTransformer         | function: avg / mean, sum, min, max, prod / product (numpy nan* over each row)                  |
 * | PowerFunctionTransformer     | power (an int): numpy.power(X, power)                                                          |
 * | DataFrameConstructor         | columns, dtype: the values unchanged                                                           |
 *
 * Domain.transform, as sklearn2pmml defines it (these are its Python
 * semantics, which the expected outputs follow): missing entries (NaN, or
 * missing_values) become missing_value_replacement when one is set;
 * valid entries pass, except outliers (as_missing_values: to missing;
 * as_extreme_values: clipped to low/high); invalid entries pass
 * (as_is), become missing (as_missing) or invalid_value_replacement
 * (as_value). 'return_invalid' raises in Python; the IR passes such
 * values through unchanged.
 *
 * | sklearn_pandas DataFrameMapper | 1.x – 2.x                                                                                    |
 * |--------------------------------|----------------------------------------------------------------------------------------------|
 * | features                       | [(columns, transformer or list or None[, options])]; columns a str (1-D) or a list (2-D)     |
 * | built_features                 | the fitted copy of features (lists become TransformerPipeline)                               |
 * | default / built_default        | False: other columns dropped; None: passed through; a transformer: applied to them           |
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_compose.h"
#include "sk_prep.h"

/* ---- Domains ------------------------------------------------------------------- */

/* A float attribute or None; SKC_E_UNSUPPORTED when it holds text. */
static int pmml_number(sk_ctx *c, const pk_obj *est, const char *key, double *v, int *has)
{
    const pk_obj *o = pk_attr(est, key);

    *has = 0;
    if (!o || pk_kind_of(o) == PK_NONE)
        return SKC_OK;
    if (pk_float(o, v) != SKC_OK)
        return sk_fail(c, SKC_E_UNSUPPORTED, "%s is a %s; only numeric replacements are "
                       "converted", key, pk_kind_name(pk_kind_of(o)));
    *has = 1;
    return SKC_OK;
}

/* The domain's dtype must leave the values as they are. */
static int pmml_check_dtype(sk_ctx *c, const pk_obj *est)
{
    const pk_obj *d = pk_attr(est, "dtype");
    const char *mod, *name;

    if (!d || pk_kind_of(d) == PK_NONE)
        return SKC_OK;
    if (pk_kind_of(d) == PK_GLOBAL && pk_global(d, &mod, &name) == SKC_OK &&
        strcmp(mod, "builtins") == 0 && (strcmp(name, "float") == 0 || strcmp(name, "int") == 0))
        return SKC_OK;
    if (skm_is_str(d, "float") || skm_is_str(d, "float64") || skm_is_str(d, "int") ||
        skm_is_str(d, "int64") || skm_is_str(d, "Int64"))
        return SKC_OK;
    return sk_fail(c, SKC_E_UNSUPPORTED, "a Domain with dtype %s (a cast skconv does not "
                   "model)", pk_kind_of(d) == PK_STR ? sk_attr_str(est, "dtype")
                                                     : pk_kind_name(pk_kind_of(d)));
}

/* Categorical valid values: data_values_ (a 1-D array, or a list of arrays
 * per column) or data_ (older). *is_str when they are text. */
static int pmml_values(sk_ctx *c, const pk_obj *est, int64_t width, skc_tensor **vals,
                       skc_tensor **offs, int *is_str)
{
    const pk_obj *o = pk_attr(est, "data_values_"), *col;
    pk_array_info ai;
    int64_t cols, i, j, n = 0, *od;
    double *vd;
    int list, rc;

    *vals = *offs = NULL;
    *is_str = 0;
    if (!o || pk_kind_of(o) == PK_NONE)
        o = pk_attr(est, "data_");
    if (!o || pk_kind_of(o) == PK_NONE)
        return SKC_OK;
    list = pk_kind_of(o) == PK_LIST || pk_kind_of(o) == PK_TUPLE;
    cols = list ? (int64_t)pk_len(o) : 1;
    if (width >= 0 && cols != width && !(cols == 1 && width == 1))
        return sk_fail(c, SKC_E_FORMAT, "%lld value sets for %lld columns", (long long)cols,
                       (long long)width);
    for (i = 0; i < cols; i++) {
        col = list ? pk_item(o, (size_t)i) : o;
        if (pk_kind_of(col) != PK_ARRAY || pk_array(col, &ai) != SKC_OK || ai.ndim != 1)
            return sk_fail(c, SKC_E_FORMAT, "the valid values are not a 1-D array");
        if (ai.kind == 'U' || ai.kind == 'S' || ai.kind == 'O') {
            *is_str = 1;
            return SKC_OK;
        }
        n += ai.shape[0];
    }
    int64_t nf = cols + 1;
    if ((rc = skc_tensor_new(SKC_DT_F64, 1, &n, vals)) ||
        (rc = skc_tensor_new(SKC_DT_I64, 1, &nf, offs)))
        goto fail;
    vd = skc_tensor_data_mut(*vals);
    od = skc_tensor_data_mut(*offs);
    n = 0;
    for (i = 0; i < cols; i++) {
        col = list ? pk_item(o, (size_t)i) : o;
        pk_array(col, &ai);
        od[i] = n;
        for (j = 0; j < ai.shape[0]; j++)
            if ((rc = pk_array_get_f64(col, (size_t)j, &vd[n++]))) {
                rc = sk_fail(c, SKC_E_FORMAT, "valid value %lld unreadable", (long long)j);
                goto fail;
            }
    }
    od[cols] = n;
    return SKC_OK;
fail:
    skc_tensor_free(*vals);
    skc_tensor_free(*offs);
    *vals = *offs = NULL;
    return rc;
}

static int pmml_domain(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                       char *out, int64_t *out_width, int continuous)
{
    const char *mvt = sk_attr_str(est, "missing_value_treatment");
    const char *ivt = sk_attr_str(est, "invalid_value_treatment");
    const char *ot = sk_attr_str(est, "outlier_treatment");
    const pk_obj *mv = pk_attr(est, "missing_values");
    skc_tensor *mvals = NULL, *lo = NULL, *hi = NULL, *vals = NULL, *offs = NULL;
    double repl = 0, inv_repl = 0, low = 0, high = 0, fill = NAN;
    int has_repl, has_inv, has_low, has_high, is_str = 0, rc, invalid = 0, outlier = 0;
    int64_t f = skp_n_features(est, NULL), i, nmv;
    skc_step *st;

    if (f < 0)
        f = in_width;
    if ((rc = sk_check_width(c, in, in_width, f)) || (rc = pmml_check_dtype(c, est)))
        return rc;
    *out_width = f;
    if (!ivt || strcmp(ivt, "return_invalid") == 0 || strcmp(ivt, "as_is") == 0)
        invalid = 0;
    else if (strcmp(ivt, "as_missing") == 0)
        invalid = 1;
    else if (strcmp(ivt, "as_value") == 0)
        invalid = 2;
    else
        return sk_fail(c, SKC_E_UNSUPPORTED, "invalid_value_treatment '%s'", ivt);
    if (mvt && strcmp(mvt, "as_is") && strcmp(mvt, "as_mean") && strcmp(mvt, "as_mode") &&
        strcmp(mvt, "as_median") && strcmp(mvt, "as_value") && strcmp(mvt, "return_invalid"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "missing_value_treatment '%s'", mvt);
    if (continuous && ot && strcmp(ot, "as_is")) {
        if (strcmp(ot, "as_missing_values") == 0)
            outlier = 1;
        else if (strcmp(ot, "as_extreme_values") == 0)
            outlier = 2;
        else
            return sk_fail(c, SKC_E_UNSUPPORTED, "outlier_treatment '%s'", ot);
    }
    if ((rc = pmml_number(c, est, "missing_value_replacement", &repl, &has_repl)) ||
        (rc = pmml_number(c, est, "invalid_value_replacement", &inv_repl, &has_inv)))
        return rc;
    if (invalid == 2 && !has_inv)
        invalid = 0;   /* as_value without a replacement leaves the values */
    if (outlier && ((rc = pmml_number(c, est, "low_value", &low, &has_low)) ||
                    (rc = pmml_number(c, est, "high_value", &high, &has_high))))
        return rc;
    if (outlier && (!has_low || !has_high))
        return sk_fail(c, SKC_E_FORMAT, "outlier_treatment '%s' without low_value and "
                       "high_value", ot);
    /* Nothing rewritten: the decorator only validates, so no step at all. */
    if (!has_repl && !invalid && !outlier) {
        snprintf(out, 64, "%s", in);
        return SKC_OK;
    }
    if (!continuous && (rc = pmml_values(c, est, f, &vals, &offs, &is_str)))
        return rc;
    if (is_str) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a CategoricalDomain that rewrites text values "
                     "(missing or invalid replacements on string columns)");
        goto done;
    }
    if (mv && pk_kind_of(mv) != PK_NONE) {
        const pk_obj *list = pk_kind_of(mv) == PK_LIST ? mv : NULL;
        nmv = list ? (int64_t)pk_len(mv) : 1;
        if (nmv < 1) {
            rc = sk_fail(c, SKC_E_FORMAT, "missing_values is an empty list");
            goto done;
        }
        if ((rc = skc_tensor_new(SKC_DT_F64, 1, &nmv, &mvals)))
            goto done;
        for (i = 0; i < nmv; i++) {
            const pk_obj *e = list ? pk_item(mv, (size_t)i) : mv;
            double *d = (double *)skc_tensor_data_mut(mvals) + i;
            if (pk_kind_of(e) == PK_NONE) {
                *d = NAN;
            } else if (pk_float(e, d) != SKC_OK) {
                rc = sk_fail(c, SKC_E_UNSUPPORTED, "missing_values holds a %s",
                             pk_kind_name(pk_kind_of(e)));
                goto done;
            }
        }
        /* _to_missing writes the first missing value. */
        fill = ((const double *)skc_tensor_data(mvals))[0];
    }
    if (continuous) {
        if ((rc = sk_attr_f64_opt(c, est, "data_min_", &lo)) ||
            (rc = sk_attr_f64_opt(c, est, "data_max_", &hi)))
            goto done;
        if (!lo || !hi) {
            skc_tensor_free(lo);
            skc_tensor_free(hi);
            lo = hi = NULL;
        } else if (skc_tensor_numel(lo) != f || skc_tensor_numel(hi) != f) {
            rc = sk_fail(c, SKC_E_FORMAT, "data_min_ / data_max_ do not have %lld entries",
                         (long long)f);
            goto done;
        }
    }
    sk_new_name(c, "domain", out);
    if ((rc = sk_step(c, "domain", in, out, &st)))
        goto done;
    if ((mvals && (rc = skc_step_set_tensor(st, "missing_values", mvals))) ||
        (has_repl && (rc = skc_step_set_float(st, "missing_replacement", repl))) ||
        (!isnan(fill) && (rc = skc_step_set_float(st, "missing_fill", fill))) ||
        (lo && ((rc = skc_step_set_tensor(st, "valid_min", lo)) ||
                (rc = skc_step_set_tensor(st, "valid_max", hi)))) ||
        (vals && ((rc = skc_step_set_tensor(st, "valid_values", vals)) ||
                  (rc = skc_step_set_tensor(st, "valid_offsets", offs)))) ||
        (rc = skc_step_set_string(st, "invalid", invalid == 1 ? "as_missing"
                                                  : invalid == 2 ? "as_value" : "as_is")) ||
        (invalid == 2 && (rc = skc_step_set_float(st, "invalid_replacement", inv_repl))) ||
        (rc = skc_step_set_string(st, "outlier", outlier == 1 ? "as_missing"
                                                 : outlier == 2 ? "as_extreme" : "as_is")) ||
        (outlier && ((rc = skc_step_set_float(st, "low", low)) ||
                     (rc = skc_step_set_float(st, "high", high)))))
        goto done;
done:
    skc_tensor_free(mvals);
    skc_tensor_free(lo);
    skc_tensor_free(hi);
    skc_tensor_free(vals);
    skc_tensor_free(offs);
    return rc;
}

static int pmml_continuous(sk_ctx *c, const pk_obj *est, const char *in,
                           int64_t in_width, char *out, int64_t *out_width)
{
    return pmml_domain(c, est, in, in_width, out, out_width, 1);
}

static int pmml_categorical(sk_ctx *c, const pk_obj *est, const char *in,
                            int64_t in_width, char *out, int64_t *out_width)
{
    return pmml_domain(c, est, in, in_width, out, out_width, 0);
}

/* MultiDomain: domain i on column i. */
static int pmml_multi_domain(sk_ctx *c, const pk_obj *est, const char *in,
                             int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *doms = pk_attr(est, "domains");
    char (*parts)[64] = NULL, sel[64], what[32];
    int64_t n, i, w;
    int rc = SKC_OK, role, changed = 0;

    if (!doms || (pk_kind_of(doms) != PK_LIST && pk_kind_of(doms) != PK_TUPLE))
        return sk_fail(c, SKC_E_FORMAT, "MultiDomain.domains is missing or not a list");
    n = (int64_t)pk_len(doms);
    if (n < 1 || (rc = sk_check_width(c, in, in_width, n)))
        return rc ? rc : sk_fail(c, SKC_E_FORMAT, "MultiDomain without domains");
    if (!(parts = calloc((size_t)n, sizeof(*parts))))
        return SKC_E_NOMEM;
    for (i = 0; i < n && rc == SKC_OK; i++) {
        const pk_obj *d = pk_item(doms, (size_t)i);
        if (!d || pk_kind_of(d) == PK_NONE) {
            parts[i][0] = '\0';
            continue;
        }
        snprintf(what, sizeof(what), "domains[%lld]", (long long)i);
        if ((rc = skm_select_step(c, in, &i, 1, sel)) ||
            (rc = skm_lift_transformer(c, d, what, sel, 1, parts[i], &w, &role)))
            break;
        if (role != SK_TRANSFORMER || w != 1)
            rc = sk_fail(c, SKC_E_FORMAT, "%s is not a one-column transformer", what);
        changed |= strcmp(parts[i], sel) != 0;
    }
    if (rc == SKC_OK && !changed) {
        /* Every domain only validates: the selections above are unused. */
        snprintf(out, 64, "%s", in);
    } else if (rc == SKC_OK) {
        for (i = 0; i < n && rc == SKC_OK; i++)
            if (!parts[i][0])
                rc = skm_select_step(c, in, &i, 1, parts[i]);
        if (rc == SKC_OK)
            rc = skm_concat(c, parts, (int)n, out);
    }
    if (rc == SKC_OK)
        *out_width = n;
    free(parts);
    return rc;
}

/* Alias / MultiAlias: a name for the features of the transformer it wraps. */
static int pmml_alias(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *t = pk_attr(est, "transformer_");
    int role, rc;

    if (!t || pk_kind_of(t) == PK_NONE)
        t = pk_attr(est, "transformer");
    if ((rc = sk_lift_estimator(c, t, in, in_width, out, out_width, &role)))
        return rc;
    c->wrapped_role = role;
    return SKC_OK;
}

/* ---- sklearn2pmml helpers around plain transformers ------------------------------------ */

/* SelectorProxy: the columns its support_mask_ keeps (the selector it
 * wraps computed the mask at fit). */
static int pmml_selector_proxy(sk_ctx *c, const pk_obj *est, const char *in,
                               int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *sel = pk_attr(est, "selector");
    int64_t *idx = NULL, k, n;
    int rc, role;

    if (!pk_attr(est, "support_mask_")) {
        if (!sel || pk_kind_of(sel) == PK_NONE)
            return sk_fail(c, SKC_E_FORMAT, "SelectorProxy without selector or support_mask_");
        if ((rc = sk_lift_estimator(c, sel, in, in_width, out, out_width, &role)))
            return rc;
        c->wrapped_role = role;
        return SKC_OK;
    }
    if ((rc = skp_mask_indices(c, est, "support_mask_", &idx, &k, &n)))
        return rc;
    c->wrapped_role = SK_TRANSFORMER;
    rc = skp_apply_selection(c, in, in_width, idx, k, n, out, out_width);
    free(idx);
    return rc;
}

/* AggregateTransformer: numpy's nanmean / nansum / nanmin / nanmax /
 * nanprod over each row, one column out. */
static int pmml_aggregate(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    static const struct {
        const char *name, *fn;
    } fns[] = { { "avg", "mean" }, { "mean", "mean" }, { "sum", "sum" }, { "min", "min" },
                { "max", "max" }, { "prod", "prod" }, { "product", "prod" } };
    const char *f = sk_attr_str(est, "function");
    skc_step *st;
    size_t i;
    int rc;

    if ((rc = sk_check_width(c, in, in_width, in_width)))
        return rc;
    for (i = 0; f && i < sizeof(fns) / sizeof(fns[0]); i++) {
        if (strcmp(f, fns[i].name) == 0) {
            sk_new_name(c, "aggregated", out);
            if ((rc = sk_step(c, "aggregate", in, out, &st)) ||
                (rc = skc_step_set_string(st, "function", fns[i].fn)))
                return rc;
            *out_width = 1;
            return SKC_OK;
        }
    }
    return sk_fail(c, SKC_E_UNSUPPORTED, "AggregateTransformer function '%s'", f ? f : "?");
}

/* PowerFunctionTransformer: numpy.power(X, power), power an integer. */
static int pmml_power(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    skc_step *st;
    int64_t p;
    int rc;

    if (sk_attr_int(est, "power", &p) != SKC_OK)
        return sk_fail(c, SKC_E_FORMAT, "PowerFunctionTransformer.power is not an integer");
    if (p < 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a negative power (numpy refuses integer "
                       "arrays, and gives inf at 0)");
    sk_new_name(c, "powered", out);
    if ((rc = sk_step(c, "power", in, out, &st)) ||
        (rc = skc_step_set_float(st, "exponent", (double)p)))
        return rc;
    *out_width = in_width;
    return SKC_OK;
}

/* DataFrameConstructor: the same values under column names. */
static int pmml_dataframe(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *d = pk_attr(est, "dtype");
    const char *mod, *name;

    if (d && pk_kind_of(d) != PK_NONE &&
        !(pk_kind_of(d) == PK_GLOBAL && pk_global(d, &mod, &name) == SKC_OK &&
          (strcmp(name, "float") == 0 || strcmp(name, "float64") == 0 ||
           strcmp(name, "double") == 0)) &&
        !skm_is_str(d, "float") && !skm_is_str(d, "float64"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "a DataFrameConstructor that casts its input");
    snprintf(out, 64, "%s", in);
    *out_width = in_width;
    return SKC_OK;
}

/* ---- DataFrameMapper ---------------------------------------------------------------- */

/* X's column names: known (PMMLPipeline active_fields), or those the
 * mapper names, in order of first use. */
/* Column names of one feature's selector (a str, a list, an array). */
static int pmml_feature_names(sk_ctx *c, const pk_obj *cols, skc_tensor **names)
{
    const char *s;
    size_t len;
    int64_t one = 1;
    int rc;

    if (pk_str(cols, &s, &len) == SKC_OK) {
        if ((rc = skc_tensor_new(SKC_DT_STRING, 1, &one, names)))
            return rc;
        return skc_tensor_set_string(*names, 0, s, len);
    }
    if ((rc = skm_names(c, cols, "DataFrameMapper columns", names)))
        return rc;
    return *names ? SKC_OK
                  : sk_fail(c, SKC_E_UNSUPPORTED, "DataFrameMapper columns that are not names");
}

static int pmml_mapper_names(sk_ctx *c, const pk_obj *feats, const char *in)
{
    skc_tensor **per = NULL, *t = NULL;
    size_t i, nf = pk_len(feats);
    int64_t j, k, total = 0, n = 0;
    int rc = SKC_OK;

    if (c->x_columns)
        return SKC_OK;
    if (strcmp(in, "X"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "a DataFrameMapper after another step (its input "
                       "has no column names)");
    if (!(per = calloc(nf ? nf : 1, sizeof(*per))))
        return SKC_E_NOMEM;
    for (i = 0; i < nf; i++) {
        if ((rc = pmml_feature_names(c, pk_item(pk_item(feats, i), 0), &per[i])))
            goto done;
        total += skc_tensor_numel(per[i]);
    }
    /* First use decides the order; repeats are the same column. */
    if ((rc = skc_tensor_new(SKC_DT_STRING, 1, &total, &t)))
        goto done;
    for (i = 0; i < nf; i++) {
        for (j = 0; j < skc_tensor_numel(per[i]); j++) {
            const char *s = skc_tensor_string(per[i], j, NULL);
            for (k = 0; k < n; k++)
                if (strcmp(skc_tensor_string(t, k, NULL), s) == 0)
                    break;
            if (k == n && (rc = skc_tensor_set_string(t, n++, s, strlen(s))))
                goto done;
        }
    }
    if ((rc = skc_tensor_new(SKC_DT_STRING, 1, &n, &c->x_columns)))
        goto done;
    for (k = 0; k < n && rc == SKC_OK; k++) {
        const char *s = skc_tensor_string(t, k, NULL);
        rc = skc_tensor_set_string(c->x_columns, k, s, strlen(s));
    }
    if (rc == SKC_OK)
        rc = sk_check_width(c, in, -1, n);
done:
    for (i = 0; i < nf; i++)
        skc_tensor_free(per[i]);
    free(per);
    skc_tensor_free(t);
    return rc;
}

/* One feature's transformer: None, a transformer, or a list applied in turn. */
static int pmml_feature(sk_ctx *c, const pk_obj *trans, const char *what, const char *in,
                        int64_t width, char *out, int64_t *out_width)
{
    char cur[64], next[64], name[48];
    int64_t w = width;
    size_t i, n;
    int role, rc;

    snprintf(cur, sizeof(cur), "%s", in);
    if (!trans || pk_kind_of(trans) == PK_NONE) {
        n = 0;
    } else if (pk_kind_of(trans) == PK_LIST || pk_kind_of(trans) == PK_TUPLE) {
        n = pk_len(trans);
    } else {
        n = 1;
    }
    for (i = 0; i < n; i++) {
        const pk_obj *t = n == 1 && pk_kind_of(trans) != PK_LIST &&
                          pk_kind_of(trans) != PK_TUPLE ? trans : pk_item(trans, i);
        snprintf(name, sizeof(name), "%s.%zu", what, i);
        if ((rc = skm_lift_transformer(c, t, name, cur, w, next, &w, &role)))
            return rc;
        if (role != SK_TRANSFORMER)
            return sk_fail(c, SKC_E_UNSUPPORTED, "feature %s is not transformed by a "
                           "transformer", what);
        snprintf(cur, sizeof(cur), "%s", next);
    }
    snprintf(out, 64, "%s", cur);
    *out_width = w;
    return SKC_OK;
}

static int pmml_mapper(sk_ctx *c, const pk_obj *est, const char *in,
                       int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *feats = pk_attr(est, "built_features"), *dflt, *fe;
    char (*parts)[64] = NULL, sel[64], what[32];
    unsigned char *used = NULL;
    int64_t *idx = NULL, k, w, total = 0, nx, j;
    size_t i, n;
    int rc, scalar, np = 0, has_default;

    if (!feats || pk_kind_of(feats) == PK_NONE)
        feats = pk_attr(est, "features");
    if (!feats || (pk_kind_of(feats) != PK_LIST && pk_kind_of(feats) != PK_TUPLE))
        return sk_fail(c, SKC_E_FORMAT, "DataFrameMapper.features is missing or not a list");
    dflt = pk_attr(est, "built_default");
    if (!dflt)
        dflt = pk_attr(est, "default");
    /* default=False drops the other columns; None passes them. */
    has_default = !(dflt && pk_kind_of(dflt) == PK_BOOL);
    if ((rc = pmml_mapper_names(c, feats, in)))
        return rc;
    nx = skc_tensor_numel(c->x_columns);
    if ((rc = sk_check_width(c, in, in_width, nx)))
        return rc;
    n = pk_len(feats);
    if (!(parts = calloc(n + 1, sizeof(*parts))) || !(used = calloc((size_t)nx + 1, 1))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        fe = pk_item(feats, i);
        if (!fe || pk_len(fe) < 2 || pk_len(fe) > 3) {
            rc = sk_fail(c, SKC_E_FORMAT, "features[%zu] is not a (columns, transformer"
                         "[, options]) tuple", i);
            goto done;
        }
        if ((rc = skm_select(c, pk_item(fe, 0), c->x_columns, nx, &idx, &k, &scalar)))
            goto done;
        for (j = 0; j < k; j++)
            used[idx[j]] = 1;
        snprintf(what, sizeof(what), "features[%zu]", i);
        if ((rc = skm_select_step(c, in, idx, k, sel)) ||
            (rc = pmml_feature(c, pk_item(fe, 1), what, sel, k, parts[np], &w)))
            goto done;
        free(idx);
        idx = NULL;
        np++;
        total = total < 0 || w < 0 ? -1 : total + w;
    }
    if (has_default) {
        /* The unselected columns in X's order. */
        if (!(idx = malloc((size_t)(nx ? nx : 1) * sizeof(*idx)))) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        for (k = 0, j = 0; j < nx; j++)
            if (!used[j])
                idx[k++] = j;
        if (k > 0) {
            if ((rc = skm_select_step(c, in, idx, k, sel)) ||
                (rc = pmml_feature(c, dflt, "default", sel, k, parts[np], &w)))
                goto done;
            np++;
            total = total < 0 || w < 0 ? -1 : total + w;
        }
    }
    if (np == 0) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a DataFrameMapper that outputs no columns");
        goto done;
    }
    if ((rc = skm_concat(c, parts, np, out)) == SKC_OK)
        *out_width = total;
done:
    free(idx);
    free(used);
    free(parts);
    return rc;
}

const sk_family sk_compose_pmml_families[] = {
    { "sklearn2pmml.decoration.ContinuousDomain", SK_TRANSFORMER, pmml_continuous },
    { "sklearn2pmml.decoration.CategoricalDomain", SK_TRANSFORMER, pmml_categorical },
    { "sklearn2pmml.decoration.MultiDomain", SK_TRANSFORMER, pmml_multi_domain },
    { "sklearn2pmml.decoration.Alias", SK_WRAPPER, pmml_alias },
    { "sklearn2pmml.decoration.MultiAlias", SK_WRAPPER, pmml_alias },
    { "sklearn2pmml.SelectorProxy", SK_WRAPPER, pmml_selector_proxy },
    { "sklearn2pmml.preprocessing.AggregateTransformer", SK_TRANSFORMER, pmml_aggregate },
    { "sklearn2pmml.preprocessing.PowerFunctionTransformer", SK_TRANSFORMER, pmml_power },
    { "sklearn2pmml.preprocessing.DataFrameConstructor", SK_TRANSFORMER, pmml_dataframe },
    { "sklearn_pandas.DataFrameMapper", SK_TRANSFORMER, pmml_mapper },
    { "sklearn_pandas.dataframe_mapper.DataFrameMapper", SK_TRANSFORMER, pmml_mapper },
    { NULL, 0, NULL }
};
