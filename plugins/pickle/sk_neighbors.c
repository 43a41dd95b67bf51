/* SPDX-License-Identifier: MIT */
/* sk_neighbors.c: KNeighborsClassifier, KNeighborsRegressor and NearestCentroid into knn_classify/knn_regress steps.
 *
 * State across sklearn versions (side by side):
 *
 * | what              | 0.18 – 0.23                      | 0.24 – 1.x                            |
 * |-------------------|----------------------------------|---------------------------------------|
 * | fitted rows       | _fit_X (any algorithm)           | same; kd_tree/ball_tree also keep     |
 * |                   |                                  | them as item 0 of _tree's state tuple |
 * | targets           | _y: class indices (classifier),  | same                                  |
 * |                   | values [M] or [M, T] (regressor) |                                       |
 * | metric            | effective_metric_ and            | same (DistanceMetric objects moved to |
 * |                   | effective_metric_params_ ('p')   | sklearn.metrics._dist_metrics in 1.0) |
 * | modules           | sklearn.neighbors.classification | sklearn.neighbors._classification     |
 *
 * NearestCentroid: centroids_ [K, F], classes_ and metric in every
 * version; 1.5 adds priors/class_prior_, and a non-uniform class_prior_
 * switches predict to a discriminant rule, which is refused here.
 *
 * sklearn's effective metric: minkowski with p = 1, 2, inf is renamed
 * manhattan, euclidean, chebyshev at fit; any other p stays minkowski
 * with effective_metric_params_['p'].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_lift.h"

/* A metric name and p as the knn_* steps take them (see core/OPS.md). */
static int nbr_metric(sk_ctx *c, const char *name, double p, const char **metric,
                      double *p_out)
{
    *p_out = p;
    if (!strcmp(name, "euclidean") || !strcmp(name, "l2"))
        *metric = "euclidean";
    else if (!strcmp(name, "manhattan") || !strcmp(name, "cityblock") || !strcmp(name, "l1"))
        *metric = "manhattan";
    else if (!strcmp(name, "chebyshev") || !strcmp(name, "infinity"))
        *metric = "chebyshev";
    else if (!strcmp(name, "minkowski") || !strcmp(name, "p"))
        *metric = isinf(p) ? "chebyshev" : p == 1.0 ? "manhattan" : p == 2.0 ? "euclidean"
                                                                             : "minkowski";
    else
        return sk_fail(c, SKC_E_UNSUPPORTED, "metric '%s' is not supported (euclidean, "
                       "manhattan, chebyshev and minkowski are)", name);
    if (strcmp(*metric, "minkowski") == 0 && !(p > 0))
        return sk_fail(c, SKC_E_UNSUPPORTED, "minkowski p=%g", p);
    return SKC_OK;
}

/* effective_metric_ (+ its params' p) when fitted, else metric and p. */
static int nbr_knn_metric(sk_ctx *c, const pk_obj *est, const char **metric, double *p)
{
    const char *name = sk_attr_str(est, "effective_metric_");
    const pk_obj *params = pk_attr(est, "effective_metric_params_"), *po;
    double pv = 2.0;

    if (!name) {
        const pk_obj *mp = pk_attr(est, "metric_params");
        name = sk_attr_str(est, "metric");
        if (mp && pk_kind_of(mp) == PK_DICT)
            params = mp;
        if ((po = pk_attr(est, "p")) && pk_float(po, &pv) != SKC_OK)
            return sk_fail(c, SKC_E_FORMAT, "p is not a number");
    }
    if (!name)
        return sk_fail(c, SKC_E_UNSUPPORTED, "the metric is not a name (a callable or a "
                       "DistanceMetric object cannot be converted)");
    if (params && pk_kind_of(params) == PK_DICT) {
        size_t i;
        for (i = 0; i < pk_dict_len(params); i++) {
            const char *key;
            size_t len;
            const pk_obj *v = pk_dict_value(params, i);
            if (pk_str(pk_dict_key(params, i), &key, &len) != SKC_OK)
                return sk_fail(c, SKC_E_FORMAT, "a metric parameter name is not a string");
            /* sklearn 1.x stores w=None next to p for minkowski. */
            if (strcmp(key, "w") == 0 && v && pk_kind_of(v) == PK_NONE)
                continue;
            if (strcmp(key, "p"))
                return sk_fail(c, SKC_E_UNSUPPORTED, "metric parameter '%s' is not supported "
                               "(only p is)", key);
            if (pk_float(v, &pv) != SKC_OK)
                return sk_fail(c, SKC_E_FORMAT, "metric parameter p is not a number");
        }
    }
    return nbr_metric(c, name, pv, metric, p);
}

/* The fitted rows: _fit_X, or the data a KDTree/BallTree keeps first in
 * its state tuple. */
static int nbr_points(sk_ctx *c, const pk_obj *est, skc_tensor **out)
{
    const pk_obj *tree, *st, *data;
    int rc;

    *out = NULL;
    if (!pk_attr(est, "_fit_X") && !pk_attr(est, "_tree"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "the model is not fitted (no _fit_X)");
    if (pk_attr(est, "_fit_X") && pk_kind_of(pk_attr(est, "_fit_X")) != PK_ARRAY &&
        pk_kind_of(pk_attr(est, "_fit_X")) != PK_NONE)
        return sk_fail(c, SKC_E_UNSUPPORTED, "the model was fitted on a sparse matrix; "
                       "only dense fits are supported");
    if ((rc = sk_attr_f64_opt(c, est, "_fit_X", out)))
        return rc;
    if (!*out && (tree = pk_attr(est, "_tree")) && (st = pk_reduce_state(tree)) &&
        pk_kind_of(st) == PK_TUPLE && (data = pk_item(st, 0)) && pk_kind_of(data) == PK_ARRAY) {
        pk_array_info ai;
        int64_t i, n = 1;
        double *d;
        if (pk_array(data, &ai) != SKC_OK || ai.ndim != 2)
            return sk_fail(c, SKC_E_FORMAT, "the tree's data is not a 2-D array");
        for (i = 0; i < 2; i++)
            n *= ai.shape[i];
        if ((rc = skc_tensor_new(SKC_DT_F64, 2, ai.shape, out)))
            return rc;
        d = skc_tensor_data_mut(*out);
        for (i = 0; i < n; i++)
            if (pk_array_get_f64(data, (size_t)i, &d[i]) != SKC_OK) {
                skc_tensor_free(*out);
                *out = NULL;
                return sk_fail(c, SKC_E_FORMAT, "the tree's data is unreadable");
            }
    }
    if (!*out)
        return sk_fail(c, SKC_E_FORMAT, "neither _fit_X nor a tree's data holds the fitted rows");
    if (skc_tensor_ndim(*out) != 2 || skc_tensor_shape(*out)[0] < 1) {
        skc_tensor_free(*out);
        *out = NULL;
        return sk_fail(c, SKC_E_FORMAT, "the fitted rows are not a non-empty 2-D array");
    }
    return SKC_OK;
}

/* The search attributes shared by both knn steps. */
static int nbr_search(skc_step *st, skc_tensor *pts, int64_t k, const char *weights,
                      const char *metric, double p)
{
    int rc;

    if ((rc = skc_step_set_tensor(st, "points", pts)) ||
        (rc = skc_step_set_string(st, "metric", metric)) ||
        (rc = skc_step_set_float(st, "p", p)) ||
        (rc = skc_step_set_int(st, "n_neighbors", k)) ||
        (rc = skc_step_set_string(st, "weights", weights)))
        return rc;
    return SKC_OK;
}

/* n_neighbors, weights and metric of a fitted KNeighbors* model. */
static int nbr_params(sk_ctx *c, const pk_obj *est, int64_t m, int64_t *k, const char **weights,
                      const char **metric, double *p)
{
    int rc;

    if (sk_attr_int(est, "n_neighbors", k) != SKC_OK || *k < 1)
        return sk_fail(c, SKC_E_FORMAT, "n_neighbors is missing or not a positive int");
    if (*k > m)
        return sk_fail(c, SKC_E_FORMAT, "n_neighbors=%lld but only %lld fitted rows",
                       (long long)*k, (long long)m);
    *weights = pk_attr(est, "weights") ? sk_attr_str(est, "weights") : "uniform";
    if (!*weights || (strcmp(*weights, "uniform") && strcmp(*weights, "distance")))
        return sk_fail(c, SKC_E_UNSUPPORTED, "weights must be 'uniform' or 'distance' "
                       "(a callable cannot be converted)");
    if ((rc = nbr_knn_metric(c, est, metric, p)))
        return rc;
    return SKC_OK;
}

/* One output's class labels (an item of a multi-output classes_) as an
 * int64 or string tensor, read as sk_classes reads an estimator's
 * classes_ (which takes the estimator, not the array). */
static int nbr_class_array(sk_ctx *c, const pk_obj *a, skc_tensor **out)
{
    pk_array_info ai;
    int64_t n, i;
    int rc, str;

    if (!a || pk_kind_of(a) != PK_ARRAY || pk_array(a, &ai) != SKC_OK || ai.ndim != 1 ||
        ai.shape[0] < 1)
        return sk_fail(c, SKC_E_FORMAT, "an item of classes_ is not a non-empty 1-D array");
    n = ai.shape[0];
    str = ai.kind == 'U' || ai.kind == 'S' ||
          (ai.kind == 'O' && pk_kind_of(pk_array_object(a, 0)) == PK_STR);
    if ((rc = skc_tensor_new(str ? SKC_DT_STRING : SKC_DT_I64, 1, &n, out)))
        return rc;
    for (i = 0; i < n && rc == SKC_OK; i++) {
        char buf[1024];
        const char *sv;
        size_t len;
        double d;
        int64_t *iv = str ? NULL : (int64_t *)skc_tensor_data_mut(*out) + i;
        if (ai.kind == 'O') {
            const pk_obj *e = pk_array_object(a, (size_t)i);
            if (str)
                rc = pk_str(e, &sv, &len) ? SKC_E_FORMAT : skc_tensor_set_string(*out, i, sv, len);
            else
                rc = pk_int(e, iv);
        } else if (str) {
            rc = pk_array_get_str(a, (size_t)i, buf, sizeof(buf));
            if (rc == SKC_OK)
                rc = skc_tensor_set_string(*out, i, buf, strlen(buf));
        } else if (ai.kind == 'f') {
            rc = pk_array_get_f64(a, (size_t)i, &d);
            if (rc == SKC_OK && (d != floor(d) || fabs(d) > 9e18))
                rc = SKC_E_FORMAT;
            if (rc == SKC_OK)
                *iv = (int64_t)d;
        } else {
            rc = pk_array_get_i64(a, (size_t)i, iv);
        }
    }
    if (rc) {
        skc_tensor_free(*out);
        *out = NULL;
        return sk_fail(c, SKC_E_FORMAT, "a class label of a multi-output classes_ is "
                       "neither an integer nor a string");
    }
    return SKC_OK;
}

/* classes_ of a multi-output fit (a list of arrays, outputs_2d_): every
 * output's labels one after the other, and each output's count. */
static int nbr_multi_classes(sk_ctx *c, const pk_obj *est, skc_tensor **classes,
                             skc_tensor **sizes)
{
    const pk_obj *cl = pk_attr(est, "classes_");
    skc_tensor **parts = NULL;
    int64_t no, o, total = 0, at = 0, j;
    int rc = SKC_OK, is_str = -1;

    *classes = *sizes = NULL;
    if (!cl || (pk_kind_of(cl) != PK_LIST && pk_kind_of(cl) != PK_TUPLE) || pk_len(cl) < 1)
        return sk_fail(c, SKC_E_FORMAT, "classes_ of a multi-output fit is not a list of arrays");
    no = (int64_t)pk_len(cl);
    parts = calloc((size_t)no, sizeof(*parts));
    if (!parts)
        return SKC_E_NOMEM;
    if ((rc = skc_tensor_new(SKC_DT_I64, 1, &no, sizes)))
        goto done;
    for (o = 0; o < no; o++) {
        if ((rc = nbr_class_array(c, pk_item(cl, (size_t)o), &parts[o])))
            goto done;
        if (is_str >= 0 && is_str != (skc_tensor_dtype(parts[o]) == SKC_DT_STRING)) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "the outputs mix string and integer classes");
            goto done;
        }
        is_str = skc_tensor_dtype(parts[o]) == SKC_DT_STRING;
        ((int64_t *)skc_tensor_data_mut(*sizes))[o] = skc_tensor_numel(parts[o]);
        total += skc_tensor_numel(parts[o]);
    }
    if ((rc = skc_tensor_new(is_str ? SKC_DT_STRING : SKC_DT_I64, 1, &total, classes)))
        goto done;
    for (o = 0; o < no; o++)
        for (j = 0; j < skc_tensor_numel(parts[o]); j++, at++) {
            if (is_str) {
                size_t len;
                const char *sv = skc_tensor_string(parts[o], j, &len);
                if ((rc = skc_tensor_set_string(*classes, at, sv, len)))
                    goto done;
            } else {
                ((int64_t *)skc_tensor_data_mut(*classes))[at] =
                    ((const int64_t *)skc_tensor_data(parts[o]))[j];
            }
        }
done:
    for (o = 0; parts && o < no; o++)
        skc_tensor_free(parts[o]);
    free(parts);
    if (rc) {
        skc_tensor_free(*classes);
        skc_tensor_free(*sizes);
        *classes = *sizes = NULL;
    }
    return rc;
}

static int nbr_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *pts = NULL, *y = NULL, *classes = NULL, *sizes = NULL;
    const char *weights, *metric;
    const pk_obj *o2d = pk_attr(est, "outputs_2d_");
    char label[64], proba[64];
    int64_t m, k, nc, no = 1, i;
    double p;
    int rc, two_d = 0;
    skc_step *st;

    if (o2d && pk_bool(o2d, &two_d) != SKC_OK)
        two_d = 0;
    if ((rc = nbr_points(c, est, &pts)) ||
        (rc = two_d ? nbr_multi_classes(c, est, &classes, &sizes) : sk_classes(c, est, &classes)) ||
        (rc = sk_attr_f64(c, est, "_y", &y)))
        goto done;
    m = skc_tensor_shape(pts)[0];
    nc = skc_tensor_numel(classes);
    if (sizes)
        no = skc_tensor_numel(sizes);
    if (two_d ? skc_tensor_ndim(y) != 2 || skc_tensor_shape(y)[0] != m || skc_tensor_shape(y)[1] != no
              : skc_tensor_numel(y) != m) {
        rc = sk_fail(c, SKC_E_FORMAT, "_y does not hold %lld output(s) for %lld fitted rows",
                     (long long)no, (long long)m);
        goto done;
    }
    for (i = 0; i < m * no; i++) {
        double v = skc_tensor_get_f64(y, i);
        int64_t kk = sizes ? ((const int64_t *)skc_tensor_data(sizes))[i % no] : nc;
        if (!(v >= 0 && v < (double)kk) || v != floor(v)) {
            rc = sk_fail(c, SKC_E_FORMAT, "_y holds %g, not a class index", v);
            goto done;
        }
    }
    if (!two_d && skc_tensor_ndim(y) != 1) {
        /* A [M, 1] _y without outputs_2d_ (never written by sklearn). */
        rc = sk_fail(c, SKC_E_FORMAT, "_y is not 1-D");
        goto done;
    }
    if ((rc = nbr_params(c, est, m, &k, &weights, &metric, &p)) ||
        (rc = sk_check_width(c, in, in_width, skc_tensor_shape(pts)[1])))
        goto done;
    sk_out_name(c, "label", label);
    sk_out_name(c, "probabilities", proba);
    if ((rc = skc_model_add_step(c->m, "knn_classify", &st)) ||
        (rc = skc_step_add_input(st, in)) ||
        (rc = skc_step_add_output(st, label)) ||
        (rc = skc_step_add_output(st, proba)) ||
        (rc = nbr_search(st, pts, k, weights, metric, p)) ||
        (rc = skc_step_set_tensor(st, "targets", y)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)))
        goto done;
    if (sizes && (rc = skc_step_set_tensor(st, "sizes", sizes)))
        goto done;
    if (c->final && sizes) {
        /* As multi-output trees: label [N, O], the outputs' probability
         * blocks side by side in probabilities [N, sum of classes]. */
        int64_t lshape[2] = { -1, no }, pshape[2] = { -1, nc };
        if ((rc = skc_model_add_output(c->m, label, skc_tensor_dtype(classes), 2, lshape)) ||
            (rc = skc_model_add_output(c->m, proba, SKC_DT_F64, 2, pshape)))
            goto done;
    } else if (c->final && (rc = sk_output_classifier(c, label, proba, classes, nc))) {
        goto done;
    }
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = nc;
done:
    skc_tensor_free(pts);
    skc_tensor_free(y);
    skc_tensor_free(classes);
    skc_tensor_free(sizes);
    return rc;
}

static int nbr_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *pts = NULL, *y = NULL, *y2 = NULL;
    const char *weights, *metric;
    int64_t m, k, t, shape[2];
    double p;
    int rc;
    skc_step *st;

    if ((rc = nbr_points(c, est, &pts)) || (rc = sk_attr_f64(c, est, "_y", &y)))
        goto done;
    m = skc_tensor_shape(pts)[0];
    if (skc_tensor_ndim(y) > 2 || skc_tensor_shape(y)[0] != m) {
        rc = sk_fail(c, SKC_E_FORMAT, "_y is not [%lld] or [%lld, T]", (long long)m, (long long)m);
        goto done;
    }
    t = skc_tensor_ndim(y) == 2 ? skc_tensor_shape(y)[1] : 1;
    shape[0] = m;
    shape[1] = t;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &y2)))
        goto done;
    memcpy(skc_tensor_data_mut(y2), skc_tensor_data(y), (size_t)(m * t) * sizeof(double));
    if ((rc = nbr_params(c, est, m, &k, &weights, &metric, &p)) ||
        (rc = sk_check_width(c, in, in_width, skc_tensor_shape(pts)[1])))
        goto done;
    sk_out_name(c, "variable", out);
    if ((rc = sk_step(c, "knn_regress", in, out, &st)) ||
        (rc = nbr_search(st, pts, k, weights, metric, p)) ||
        (rc = skc_step_set_tensor(st, "targets", y2)))
        goto done;
    if (c->final && (rc = sk_output_regressor(c, out, t)))
        goto done;
    *out_width = t;
done:
    skc_tensor_free(pts);
    skc_tensor_free(y);
    skc_tensor_free(y2);
    return rc;
}

/* NearestCentroid: the class of the nearest centroid, the first on ties
 * (pairwise_distances(...).argmin), i.e. a 1-neighbour search among the
 * centroids. sklearn has no predict_proba for it, so only the label is
 * an output. */
static int nbr_centroid(sk_ctx *c, const pk_obj *est, const char *in,
                        int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *cen = NULL, *classes = NULL, *prior = NULL, *idx = NULL;
    const char *name = sk_attr_str(est, "metric"), *metric;
    char label[64], proba[64];
    int64_t nc, i;
    double p;
    int rc;
    skc_step *st;

    if (!pk_attr(est, "metric"))
        name = "euclidean";
    if (!name) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "the metric is not a name (a callable cannot be converted)");
        goto done;
    }
    if (!pk_attr(est, "centroids_")) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "the model is not fitted (no centroids_)");
        goto done;
    }
    if ((rc = nbr_metric(c, name, 2.0, &metric, &p)) ||
        (rc = sk_attr_f64(c, est, "centroids_", &cen)) ||
        (rc = sk_classes(c, est, &classes)) ||
        (rc = sk_attr_f64_opt(c, est, "class_prior_", &prior)))
        goto done;
    nc = skc_tensor_numel(classes);
    if (skc_tensor_ndim(cen) != 2 || skc_tensor_shape(cen)[0] != nc) {
        rc = sk_fail(c, SKC_E_FORMAT, "centroids_ is not [%lld, F]", (long long)nc);
        goto done;
    }
    /* sklearn >= 1.5: predict is the nearest centroid only when the class
     * prior is uniform (np.isclose(class_prior_, 1/K)). */
    for (i = 0; prior && i < skc_tensor_numel(prior); i++) {
        double v = skc_tensor_get_f64(prior, i), u = 1.0 / (double)nc;
        if (!(fabs(v - u) <= 1e-8 + 1e-5 * fabs(u))) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "a non-uniform class_prior_ makes predict a "
                         "discriminant rule, which is not supported yet");
            goto done;
        }
    }
    if ((rc = skc_tensor_new(SKC_DT_F64, 1, &nc, &idx)))
        goto done;
    for (i = 0; i < nc; i++)
        ((double *)skc_tensor_data_mut(idx))[i] = (double)i;
    if ((rc = sk_check_width(c, in, in_width, skc_tensor_shape(cen)[1])))
        goto done;
    sk_out_name(c, "label", label);
    sk_new_name(c, "centroid_onehot", proba);
    if ((rc = skc_model_add_step(c->m, "knn_classify", &st)) ||
        (rc = skc_step_add_input(st, in)) ||
        (rc = skc_step_add_output(st, label)) ||
        (rc = skc_step_add_output(st, proba)) ||
        (rc = nbr_search(st, cen, 1, "uniform", metric, p)) ||
        (rc = skc_step_set_tensor(st, "targets", idx)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)))
        goto done;
    if (c->final && (rc = sk_output_classifier(c, label, NULL, classes, nc)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = nc;
done:
    skc_tensor_free(cen);
    skc_tensor_free(classes);
    skc_tensor_free(prior);
    skc_tensor_free(idx);
    return rc;
}

const sk_family sk_neighbors_families[] = {
    { "sklearn.neighbors.KNeighborsClassifier", SK_CLASSIFIER, nbr_classifier },
    { "sklearn.neighbors.KNeighborsRegressor", SK_REGRESSOR, nbr_regressor },
    { "sklearn.neighbors.NearestCentroid", SK_CLASSIFIER, nbr_centroid },
    { NULL, 0, NULL }
};
