/* SPDX-License-Identifier: MIT */
/* sk_compose.c: compositions (Pipeline and its subclasses, FeatureUnion, ColumnTransformer, TransformedTargetRegressor, the search CVs) chained step by step.
 *
 * State across sklearn versions (side by side):
 *
 * | estimator / attribute        | 0.20 – 0.21               | 0.22 – 0.24                    | 1.0 – 1.3                 | 1.4 +                         |
 * |------------------------------|---------------------------|--------------------------------|---------------------------|-------------------------------|
 * | Pipeline.steps               | [(name, est)]; None skips | + 'passthrough' (0.21 +)       | =                         | =                             |
 * | Pipeline memory, verbose     | memory                    | + verbose (0.21 +)             | =                         | = (no effect on predictions)  |
 * | FeatureUnion.transformer_list| [(name, est)]; None drops | + 'drop' (0.22 +)              | + 'passthrough' (1.1 +)   | =                             |
 * | FeatureUnion weights         | transformer_weights {name: w}, output * w every version                                              |
 * | ColumnTransformer fitted     | transformers_ [(name, est or 'drop'/'passthrough', columns)], remainder last when it has columns       |
 * | ... columns in transformers_ | as given (callables kept) | callables resolved (_columns)  | =                         | remainder: _RemainderColsList |
 * | ... input names              | (none)                    | _df_columns / _feature_names_in| feature_names_in_         | =                             |
 * | ... input width              | _n_features               | = (+ n_features_in_ 0.24)      | n_features_in_            | =                             |
 * | ... indices per transformer  | (none)                    | (none)                         | _transformer_to_input_indices (1.1 +)                      |
 * | TransformedTargetRegressor   | regressor_, transformer_ (FunctionTransformer when func/inverse_func or nothing given), _training_dim  |
 * | GridSearchCV / Randomized    | best_estimator_ when refit (the default); absent with refit=False                                   |
 *
 * Outputs stack in transformers_ order (ColumnTransformer) or list order
 * (FeatureUnion); 'drop' and empty selections give nothing, 'passthrough'
 * the selected columns unchanged; sparse_threshold only changes how the
 * same values are stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_compose.h"
#include "pk_load.h"

/* ---- Pipeline ----------------------------------------------------------------- */

/* PMMLPipeline.active_fields names X's columns (sklearn2pmml fits on a
 * DataFrame and records its columns). */
static int comp_active_fields(sk_ctx *c, const pk_obj *est, const char *in)
{
    skc_tensor *names = NULL;
    int rc;

    if (strcmp(in, "X") || c->x_columns)
        return SKC_OK;
    if ((rc = skm_names(c, pk_attr(est, "active_fields"), "active_fields", &names)) || !names)
        return rc;
    if (c->x_width >= 0 && c->x_width != skc_tensor_numel(names)) {
        skc_tensor_free(names);
        return sk_fail(c, SKC_E_FORMAT, "active_fields names %lld columns, the model reads %lld",
                       (long long)skc_tensor_numel(names), (long long)c->x_width);
    }
    c->x_columns = names;
    c->x_width = skc_tensor_numel(names);
    return SKC_OK;
}

static int comp_pipeline(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *steps = pk_attr(est, "steps"), *pair, *sub;
    char cur[64], next[64];
    const char *nm;
    int64_t width = in_width, w;
    size_t i, n, plen, namelen;
    int rc, role = SK_TRANSFORMER, final = c->final, inner = c->inner, last;

    if (!steps || (pk_kind_of(steps) != PK_LIST && pk_kind_of(steps) != PK_TUPLE))
        return sk_fail(c, SKC_E_FORMAT, "Pipeline.steps is missing or not a list");
    n = pk_len(steps);
    if (n == 0)
        return sk_fail(c, SKC_E_FORMAT, "Pipeline has no steps");
    if ((rc = comp_active_fields(c, est, in)))
        return rc;
    snprintf(cur, sizeof(cur), "%s", in);
    for (i = 0; i < n; i++) {
        pair = pk_item(steps, i);
        if (!pair || pk_len(pair) != 2 || pk_str(pk_item(pair, 0), &nm, &namelen) != SKC_OK)
            return sk_fail(c, SKC_E_FORMAT, "Pipeline.steps[%zu] is not a (name, estimator) pair", i);
        sub = pk_item(pair, 1);
        last = i + 1 == n;
        /* A passthrough last step makes the pipeline a transformer. */
        if (skm_is_passthrough(sub)) {
            if (last)
                role = SK_TRANSFORMER;
            continue;
        }
        plen = strlen(c->path);
        snprintf(c->path + plen, sizeof(c->path) - plen, "[%s]", nm);
        /* Steps before the last are transformers, whatever reads the pipeline. */
        c->final = last ? final : 0;
        c->inner = last ? inner : 0;
        rc = sk_lift_estimator(c, sub, cur, width, next, &w, &role);
        c->final = final;
        c->inner = inner;
        if (rc)
            return rc;
        c->path[plen] = '\0';
        if (!last && role != SK_TRANSFORMER)
            return sk_fail(c, SKC_E_FORMAT, "Pipeline step '%s' is not a transformer but is not last", nm);
        snprintf(cur, sizeof(cur), "%s", next);
        width = w;
    }
    snprintf(out, 64, "%s", cur);
    *out_width = width;
    /* The pipeline plays the role of its last step. */
    c->wrapped_role = role;
    return SKC_OK;
}

/* ---- FeatureUnion ------------------------------------------------------------------ */

/* transformer_weights[name], 1 when absent or None. */
static int comp_weight(sk_ctx *c, const pk_obj *est, const char *name, double *w, int *has)
{
    const pk_obj *tw = pk_attr(est, "transformer_weights"), *v;

    *has = 0;
    *w = 1.0;
    if (!tw || pk_kind_of(tw) == PK_NONE)
        return SKC_OK;
    if (pk_kind_of(tw) != PK_DICT)
        return sk_fail(c, SKC_E_FORMAT, "transformer_weights is a %s, not a dict",
                       pk_kind_name(pk_kind_of(tw)));
    v = pk_dict_get(tw, name);
    if (!v || pk_kind_of(v) == PK_NONE)
        return SKC_OK;
    if (pk_float(v, w) != SKC_OK)
        return sk_fail(c, SKC_E_FORMAT, "transformer_weights['%s'] is not a number", name);
    *has = 1;
    return SKC_OK;
}

/* Lift one transformer of a union on @p in and add its (weighted) output
 * to @p parts. */
static int comp_part(sk_ctx *c, const pk_obj *est, const pk_obj *trans, const char *name,
                     const char *in, int64_t in_width, char (*parts)[64], int *np,
                     int64_t *total)
{
    char o[64], wo[64];
    int64_t w = in_width;
    double weight;
    int role = SK_TRANSFORMER, has, rc;

    if (skm_is_passthrough(trans)) {
        snprintf(o, sizeof(o), "%s", in);
    } else if ((rc = skm_lift_transformer(c, trans, name, in, in_width, o, &w, &role))) {
        return rc;
    } else if (role != SK_TRANSFORMER) {
        return sk_fail(c, SKC_E_UNSUPPORTED, "'%s' is not a transformer", name);
    }
    if ((rc = comp_weight(c, est, name, &weight, &has)))
        return rc;
    if (has) {
        if ((rc = skm_scale(c, o, w, weight, wo)))
            return rc;
        snprintf(o, sizeof(o), "%s", wo);
    }
    snprintf(parts[*np], 64, "%s", o);
    (*np)++;
    *total = *total < 0 || w < 0 ? -1 : *total + w;
    return SKC_OK;
}

static int comp_feature_union(sk_ctx *c, const pk_obj *est, const char *in,
                              int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *tl = pk_attr(est, "transformer_list"), *pair, *trans;
    char (*parts)[64] = NULL;
    const char *nm;
    size_t i, n, len;
    int64_t total = 0;
    int np = 0, rc = SKC_OK;

    if (!tl || (pk_kind_of(tl) != PK_LIST && pk_kind_of(tl) != PK_TUPLE))
        return sk_fail(c, SKC_E_FORMAT, "FeatureUnion.transformer_list is missing or not a list");
    n = pk_len(tl);
    if (!(parts = calloc(n ? n : 1, sizeof(*parts))))
        return SKC_E_NOMEM;
    for (i = 0; i < n && rc == SKC_OK; i++) {
        pair = pk_item(tl, i);
        if (!pair || pk_len(pair) != 2 || pk_str(pk_item(pair, 0), &nm, &len) != SKC_OK) {
            rc = sk_fail(c, SKC_E_FORMAT, "transformer_list[%zu] is not a (name, transformer) pair", i);
            break;
        }
        trans = pk_item(pair, 1);
        /* None (before 0.22) and 'drop' leave the transformer out. */
        if (!trans || pk_kind_of(trans) == PK_NONE || skm_is_str(trans, "drop"))
            continue;
        rc = comp_part(c, est, trans, nm, in, in_width, parts, &np, &total);
    }
    if (rc == SKC_OK && np == 0)
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a FeatureUnion whose transformers are all dropped");
    if (rc == SKC_OK && (rc = skm_concat(c, parts, np, out)) == SKC_OK)
        *out_width = total;
    free(parts);
    return rc;
}

/* ---- ColumnTransformer ----------------------------------------------------------------- */

/* The names of the columns the ColumnTransformer was fitted on. */
static int comp_ct_names(sk_ctx *c, const pk_obj *est, skc_tensor **names)
{
    static const char *const keys[] = { "feature_names_in_", "_feature_names_in", "_df_columns" };
    size_t i;
    int rc;

    *names = NULL;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const pk_obj *o = pk_attr(est, keys[i]);
        if (!o || pk_kind_of(o) == PK_NONE)
            continue;
        if ((rc = skm_names(c, o, keys[i], names)) || *names)
            return rc;
    }
    return SKC_OK;
}

/* Map fit-time column indices of the ColumnTransformer's input to columns
 * of X by name (sklearn selects by name when fitted and used on DataFrames). */
static int comp_ct_to_x(sk_ctx *c, const skc_tensor *names, int64_t *idx, int64_t k)
{
    int64_t j, col;

    if (!names || !c->x_columns || names == c->x_columns)
        return SKC_OK;
    for (j = 0; j < k; j++) {
        const char *nm = skc_tensor_string(names, idx[j], NULL);
        if (!nm || (col = skm_name_index(c->x_columns, nm)) < 0)
            return sk_fail(c, SKC_E_FORMAT, "column '%s' is not among the model's input columns",
                           nm ? nm : "?");
        idx[j] = col;
    }
    return SKC_OK;
}

static int comp_ct_columns(sk_ctx *c, const pk_obj *est, const char *name, const pk_obj *cols,
                           const skc_tensor *names, int64_t width, int64_t **idx, int64_t *k)
{
    const pk_obj *map = pk_attr(est, "_transformer_to_input_indices");
    int scalar, kind = pk_kind_of(cols);

    /* A callable selector is code: the indices sklearn 1.1 + recorded for it. */
    if ((kind == PK_GLOBAL || (kind == PK_INSTANCE && !pk_instance_items(cols))) &&
        map && pk_kind_of(map) == PK_DICT && pk_dict_get(map, name))
        return skm_select(c, pk_dict_get(map, name), NULL, width, idx, k, &scalar);
    return skm_select(c, cols, names, width, idx, k, &scalar);
}

static int comp_column_transformer(sk_ctx *c, const pk_obj *est, const char *in,
                                   int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *tl = pk_attr(est, "transformers_"), *tr, *trans;
    skc_tensor *names = NULL;
    char (*parts)[64] = NULL, sel[64];
    const char *nm;
    int64_t width = -1, *idx = NULL, k, total = 0, j;
    size_t i, n, len;
    int np = 0, rc, from_x = strcmp(in, "X") == 0, all;

    if (!tl || pk_kind_of(tl) == PK_NONE)
        return sk_fail(c, SKC_E_UNSUPPORTED, "the ColumnTransformer is not fitted (no transformers_)");
    if (pk_kind_of(tl) != PK_LIST && pk_kind_of(tl) != PK_TUPLE)
        return sk_fail(c, SKC_E_FORMAT, "transformers_ is a %s, not a list",
                       pk_kind_name(pk_kind_of(tl)));
    if (sk_attr_int(est, "n_features_in_", &width) != SKC_OK &&
        sk_attr_int(est, "_n_features", &width) != SKC_OK)
        width = in_width;
    if ((rc = comp_ct_names(c, est, &names)))
        return rc;
    if (names && width >= 0 && skc_tensor_numel(names) != width) {
        rc = sk_fail(c, SKC_E_FORMAT, "feature_names_in_ has %lld names for %lld columns",
                     (long long)skc_tensor_numel(names), (long long)width);
        goto done;
    }
    if (from_x && !c->x_columns && names) {
        c->x_columns = skc_tensor_ref(names);
        if ((rc = sk_check_width(c, in, in_width, width)))
            goto done;
    } else if (from_x && c->x_columns) {
        /* Columns are taken by name from X, which may hold more. */
        if ((rc = sk_check_width(c, in, in_width, skc_tensor_numel(c->x_columns))))
            goto done;
    } else if ((rc = sk_check_width(c, in, in_width, width))) {
        goto done;
    }
    n = pk_len(tl);
    if (!(parts = calloc(n ? n : 1, sizeof(*parts)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++) {
        tr = pk_item(tl, i);
        if (!tr || pk_len(tr) != 3 || pk_str(pk_item(tr, 0), &nm, &len) != SKC_OK) {
            rc = sk_fail(c, SKC_E_FORMAT, "transformers_[%zu] is not a (name, transformer, "
                         "columns) triple", i);
            goto done;
        }
        trans = pk_item(tr, 1);
        if (skm_is_str(trans, "drop"))
            continue;
        if ((rc = comp_ct_columns(c, est, nm, pk_item(tr, 2), names, width, &idx, &k)))
            goto done;
        if (k == 0) {
            free(idx);
            idx = NULL;
            continue;
        }
        if (from_x && (rc = comp_ct_to_x(c, names, idx, k)))
            goto done;
        /* Every column in order needs no selection step. */
        all = (from_x ? c->x_width : in_width) == k;
        for (j = 0; all && j < k; j++)
            all = idx[j] == j;
        if (all)
            snprintf(sel, sizeof(sel), "%s", in);
        else if ((rc = skm_select_step(c, in, idx, k, sel)))
            goto done;
        free(idx);
        idx = NULL;
        if ((rc = comp_part(c, est, skm_is_str(trans, "passthrough") ? NULL : trans, nm, sel,
                            k, parts, &np, &total)))
            goto done;
    }
    if (np == 0) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a ColumnTransformer that outputs no columns");
        goto done;
    }
    if ((rc = skm_concat(c, parts, np, out)) == SKC_OK)
        *out_width = total;
done:
    free(idx);
    free(parts);
    skc_tensor_free(names);
    return rc;
}

/* ---- TransformedTargetRegressor ---------------------------------------------------------- */

/* numpy ufuncs the IR `ufunc` step computes (core/OPS.md), for inverse_func. */
static const char *const comp_ufuncs[] = {
    "log", "log1p", "log2", "log10", "exp", "expm1", "exp2", "sqrt", "cbrt",
    "abs", "absolute", "fabs", "negative", "reciprocal", "square", "sign",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "floor", "ceil", "rint", "trunc", NULL
};

/* transformer_.inverse_transform on the predictions @p pred, into @p res
 * (empty when it is the identity). */
static int comp_ttr_inverse(sk_ctx *c, const pk_obj *tf, const char *pred, int64_t t, char *res)
{
    const char *canon, *mod = "?", *name = "?";
    const pk_obj *fn;
    skc_step *st;
    size_t i;
    int rc;

    res[0] = '\0';
    if (!tf || pk_kind_of(tf) == PK_NONE)
        return SKC_OK;
    canon = sk_canonical(tf, &mod, &name);
    if (canon && strcmp(canon, "sklearn.preprocessing.FunctionTransformer") == 0) {
        const pk_obj *kw = pk_attr(tf, "inv_kw_args");
        fn = pk_attr(tf, "inverse_func");
        if (!fn || pk_kind_of(fn) == PK_NONE)
            return SKC_OK;
        if (kw && pk_kind_of(kw) != PK_NONE && pk_dict_len(kw) > 0)
            return sk_fail(c, SKC_E_UNSUPPORTED, "inverse_func with inv_kw_args");
        if (pk_kind_of(fn) != PK_GLOBAL || pk_global(fn, &mod, &name) != SKC_OK)
            return sk_fail(c, SKC_E_UNSUPPORTED, "inverse_func is a %s; only a numpy ufunc "
                           "(numpy.exp, numpy.expm1, ...) can be converted",
                           pk_kind_name(pk_kind_of(fn)));
        canon = pk_allow_canonical(mod, name);
        for (i = 0; canon && strncmp(canon, "numpy.", 6) == 0 && comp_ufuncs[i]; i++) {
            if (strcmp(canon + 6, comp_ufuncs[i]) == 0) {
                sk_new_name(c, "inverse", res);
                if ((rc = sk_step(c, "ufunc", pred, res, &st)))
                    return rc;
                return skc_step_set_string(st, "func", comp_ufuncs[i]);
            }
        }
        return sk_fail(c, SKC_E_UNSUPPORTED, "inverse_func %s.%s is not a supported numpy "
                       "ufunc; other callables are code and are never run", mod, name);
    }
    if (canon && strcmp(canon, "sklearn.preprocessing.StandardScaler") == 0) {
        skc_tensor *mean = NULL, *scale = NULL, *off = NULL, *sc = NULL, *b = NULL;
        double *sd, *bd;
        int64_t j;
        /* inverse_transform: X * scale_ + mean_ (each skipped when None). */
        if ((rc = sk_attr_f64_opt(c, tf, "mean_", &mean)) ||
            (rc = sk_attr_f64_opt(c, tf, "scale_", &scale)) ||
            (rc = skc_tensor_new(SKC_DT_F64, 1, &t, &off)) ||
            (rc = skc_tensor_new(SKC_DT_F64, 1, &t, &sc)) ||
            (rc = skc_tensor_new(SKC_DT_F64, 1, &t, &b)))
            goto sdone;
        if ((mean && skc_tensor_numel(mean) != t) || (scale && skc_tensor_numel(scale) != t)) {
            rc = sk_fail(c, SKC_E_FORMAT, "the target StandardScaler has another width than "
                         "the %lld predictions", (long long)t);
            goto sdone;
        }
        sd = skc_tensor_data_mut(sc);
        bd = skc_tensor_data_mut(b);
        for (j = 0; j < t; j++) {
            sd[j] = scale ? skc_tensor_get_f64(scale, j) : 1.0;
            bd[j] = mean ? skc_tensor_get_f64(mean, j) : 0.0;
        }
        sk_new_name(c, "inverse", res);
        if ((rc = sk_step(c, "scaler", pred, res, &st)) ||
            (rc = skc_step_set_tensor(st, "offset", off)) ||
            (rc = skc_step_set_tensor(st, "scale", sc)) ||
            (rc = skc_step_set_tensor(st, "bias", b)))
            goto sdone;
sdone:
        skc_tensor_free(mean);
        skc_tensor_free(scale);
        skc_tensor_free(off);
        skc_tensor_free(sc);
        skc_tensor_free(b);
        return rc;
    }
    return sk_fail(c, SKC_E_UNSUPPORTED, "the target transformer %s.%s: only "
                   "FunctionTransformer (numpy ufunc inverse) and StandardScaler are inverted",
                   mod, name);
}

static int comp_ttr(sk_ctx *c, const pk_obj *est, const char *in,
                    int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *reg = pk_attr(est, "regressor_");
    char pred[64], inv[64];
    int64_t t = -1;
    skc_step *st;
    int role, rc;

    if (!reg || pk_kind_of(reg) == PK_NONE)
        return sk_fail(c, SKC_E_UNSUPPORTED, "the TransformedTargetRegressor is not fitted "
                       "(no regressor_)");
    if ((rc = skm_lift_inner(c, reg, "regressor_", in, in_width, pred, &t, &role)))
        return rc;
    if (role != SK_REGRESSOR)
        return sk_fail(c, SKC_E_UNSUPPORTED, "regressor_ is not a regressor");
    if ((rc = comp_ttr_inverse(c, pk_attr(est, "transformer_"), pred, t, inv)))
        return rc;
    sk_out_name(c, "variable", out);
    if ((rc = sk_step(c, "identity", inv[0] ? inv : pred, out, &st)))
        return rc;
    if (c->final && (rc = sk_output_regressor(c, out, t)))
        return rc;
    *out_width = t;
    return SKC_OK;
}

/* ---- GridSearchCV, RandomizedSearchCV ----------------------------------------------------- */

static int comp_search(sk_ctx *c, const pk_obj *est, const char *in,
                       int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *best = pk_attr(est, "best_estimator_");
    int role, rc;

    if (!best || pk_kind_of(best) == PK_NONE)
        return sk_fail(c, SKC_E_UNSUPPORTED, "the search was run with refit=False, so it "
                       "holds no best_estimator_ to predict with");
    if ((rc = sk_lift_estimator(c, best, in, in_width, out, out_width, &role)))
        return rc;
    c->wrapped_role = role;
    return SKC_OK;
}

const sk_family sk_compose_families[] = {
    { "sklearn.pipeline.Pipeline", SK_WRAPPER, comp_pipeline },
    { "sklearn_pandas.pipeline.TransformerPipeline", SK_WRAPPER, comp_pipeline },
    { "sklearn2pmml.pipeline.PMMLPipeline", SK_WRAPPER, comp_pipeline },
    { "sklearn.pipeline.FeatureUnion", SK_TRANSFORMER, comp_feature_union },
    { "sklearn.compose.ColumnTransformer", SK_TRANSFORMER, comp_column_transformer },
    { "sklearn.compose.TransformedTargetRegressor", SK_REGRESSOR, comp_ttr },
    { "sklearn.model_selection.GridSearchCV", SK_WRAPPER, comp_search },
    { "sklearn.model_selection.RandomizedSearchCV", SK_WRAPPER, comp_search },
    { NULL, 0, NULL }
};
