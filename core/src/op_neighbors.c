/* SPDX-License-Identifier: MIT */
/* op_neighbors.c: reference semantics of the nearest-neighbour IR operations (core/OPS.md): knn_classify, knn_regress. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "op_labels.h"

enum { KNN_EUCLIDEAN, KNN_MANHATTAN, KNN_CHEBYSHEV, KNN_MINKOWSKI };

static int knn_metric_kind(const char *m)
{
    if (!m)
        return -1;
    if (strcmp(m, "euclidean") == 0) return KNN_EUCLIDEAN;
    if (strcmp(m, "manhattan") == 0) return KNN_MANHATTAN;
    if (strcmp(m, "chebyshev") == 0) return KNN_CHEBYSHEV;
    if (strcmp(m, "minkowski") == 0) return KNN_MINKOWSKI;
    return -1;
}

/* What every knn step shares: the search. */
typedef struct knn_search {
    const double *pts;
    int64_t m, f, k;
    int metric, distance_weights;
    double p;
} knn_search;

static int knn_check_common(const skc_step *s, int64_t *m, char *err, size_t errlen)
{
    const skc_tensor *pts;
    const char *metric, *weights;
    double p = 2.0;
    int64_t k;
    int rc;

    if ((rc = skci_need_f64(s, "points", 2, &pts, err, errlen)))
        return rc;
    *m = skc_tensor_shape(pts)[0];
    if (skc_step_get_string(s, "metric", &metric) || knn_metric_kind(metric) < 0) {
        skci_errf(err, errlen, "step '%s' needs metric euclidean, manhattan, chebyshev or minkowski",
                  s->op);
        return SKC_E_FORMAT;
    }
    if (knn_metric_kind(metric) == KNN_MINKOWSKI &&
        (skc_step_get_float(s, "p", &p) || !(p > 0) || !isfinite(p))) {
        skci_errf(err, errlen, "step '%s': metric minkowski needs a finite float p > 0", s->op);
        return SKC_E_FORMAT;
    }
    if (skc_step_get_string(s, "weights", &weights) ||
        (strcmp(weights, "uniform") && strcmp(weights, "distance"))) {
        skci_errf(err, errlen, "step '%s' needs weights uniform or distance", s->op);
        return SKC_E_FORMAT;
    }
    if (skc_step_get_int(s, "n_neighbors", &k) || k < 1 || k > *m) {
        skci_errf(err, errlen, "step '%s': n_neighbors must be in 1..%lld (the fitted points)",
                  s->op, (long long)*m);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static void knn_search_get(const skc_step *s, knn_search *ks)
{
    const skc_tensor *pts;
    const char *metric, *weights;

    skc_step_get_tensor(s, "points", &pts);
    skc_step_get_string(s, "metric", &metric);
    skc_step_get_string(s, "weights", &weights);
    ks->pts = skc_tensor_data(pts);
    ks->m = skc_tensor_shape(pts)[0];
    ks->f = skc_tensor_shape(pts)[1];
    ks->metric = knn_metric_kind(metric);
    ks->distance_weights = strcmp(weights, "distance") == 0;
    ks->p = 2.0;
    skc_step_get_float(s, "p", &ks->p);
    skc_step_get_int(s, "n_neighbors", &ks->k);
}

/* The distance sklearn ranks by (its "reduced distance": squared for
 * euclidean, the p-th power for minkowski) and the distance itself. */
static double knn_rdist(const knn_search *ks, const double *x, const double *y)
{
    double acc = 0.0, d;
    int64_t i;

    for (i = 0; i < ks->f; i++) {
        d = fabs(x[i] - y[i]);
        switch (ks->metric) {
        case KNN_EUCLIDEAN: acc += d * d; break;
        case KNN_MANHATTAN: acc += d; break;
        case KNN_CHEBYSHEV: if (d > acc) acc = d; break;
        default:            acc += pow(d, ks->p); break;
        }
    }
    return acc;
}

static double knn_dist(const knn_search *ks, double rd)
{
    if (ks->metric == KNN_EUCLIDEAN)
        return sqrt(rd);
    if (ks->metric == KNN_MINKOWSKI)
        return pow(rd, 1.0 / ks->p);
    return rd;
}

/* The k nearest points of row x, nearest first; equal distances keep the
 * lower (earlier fitted) index, as ONNX TopK and sklearn's brute search
 * do. rd: m scratch; idx, dist, w: k each. Weights are 1 (uniform) or
 * 1/d, where a row at distance 0 from some neighbours gives those weight
 * 1 and the others 0 (sklearn's _get_weights). */
static void knn_neighbors(const knn_search *ks, const double *x, double *rd, int64_t *idx,
                          double *dist, double *w)
{
    int64_t i, j, t;
    int any_zero = 0;

    for (i = 0; i < ks->m; i++)
        rd[i] = knn_rdist(ks, x, ks->pts + i * ks->f);
    for (t = 0; t < ks->k; t++) {
        int64_t best = -1;
        for (i = 0; i < ks->m; i++) {
            int taken = 0;
            for (j = 0; j < t && !taken; j++)
                taken = idx[j] == i;
            if (taken)
                continue;
            /* NaN sorts last, like numpy's argsort. */
            if (best < 0 || rd[i] < rd[best] || (isnan(rd[best]) && !isnan(rd[i])))
                best = i;
        }
        idx[t] = best;
        dist[t] = knn_dist(ks, rd[best]);
        any_zero |= dist[t] == 0.0;
    }
    for (t = 0; t < ks->k; t++) {
        if (!ks->distance_weights)
            w[t] = 1.0;
        else if (any_zero)
            w[t] = dist[t] == 0.0 ? 1.0 : 0.0;
        else
            w[t] = 1.0 / dist[t];
    }
}

/* ---- knn_classify ------------------------------------------------------------ */

/* Outputs of a knn_classify step: one (no `sizes`, targets [M]) or O
 * (`sizes` [O], targets [M, O]), output o owning sizes[o] classes. */
static int64_t knn_outputs(const skc_step *s, const int64_t **sizes, int64_t *nc)
{
    const skc_tensor *sz, *cl;

    skc_step_get_tensor(s, "classes", &cl);
    *nc = skc_tensor_numel(cl);
    if (skc_step_get_tensor(s, "sizes", &sz) != SKC_OK) {
        *sizes = NULL;
        return 1;
    }
    *sizes = skc_tensor_data(sz);
    return skc_tensor_numel(sz);
}

static int knn_classify_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *tg, *sz;
    const int64_t *sizes;
    int64_t m, nc, no, o, i, total = 0;
    int rc;

    if ((rc = knn_check_common(s, &m, err, errlen)) ||
        (rc = skci_classes_check(s, -1, err, errlen)))
        return rc;
    if (skc_step_get_tensor(s, "targets", &tg) != SKC_OK ||
        skc_tensor_dtype(tg) != SKC_DT_F64) {
        skci_errf(err, errlen, "step 'knn_classify' lacks a float64 tensor 'targets'");
        return SKC_E_FORMAT;
    }
    if (skc_step_get_tensor(s, "sizes", &sz) == SKC_OK &&
        (skc_tensor_dtype(sz) != SKC_DT_I64 || skc_tensor_ndim(sz) != 1)) {
        skci_errf(err, errlen, "step 'knn_classify': sizes must be a 1-D int64 tensor");
        return SKC_E_FORMAT;
    }
    no = knn_outputs(s, &sizes, &nc);
    for (o = 0; sizes && o < no; o++) {
        if (sizes[o] < 1 || sizes[o] > nc) {
            skci_errf(err, errlen, "step 'knn_classify': sizes[%lld] = %lld", (long long)o,
                      (long long)sizes[o]);
            return SKC_E_FORMAT;
        }
        total += sizes[o];
    }
    if ((sizes ? skc_tensor_ndim(tg) != 2 || skc_tensor_shape(tg)[1] != no || total != nc
               : skc_tensor_ndim(tg) != 1) ||
        no < 1 || skc_tensor_shape(tg)[0] != m) {
        skci_errf(err, errlen, "step 'knn_classify': targets must be [%lld] (or [%lld, O] "
                  "with sizes summing to the classes)", (long long)m, (long long)m);
        return SKC_E_FORMAT;
    }
    for (i = 0; i < m * no; i++) {
        double v = ((const double *)skc_tensor_data(tg))[i];
        int64_t k = sizes ? sizes[i % no] : nc;
        if (!(v >= 0 && v < (double)k) || v != floor(v)) {
            skci_errf(err, errlen, "step 'knn_classify': target %lld is not a class index",
                      (long long)i);
            return SKC_E_FORMAT;
        }
    }
    return SKC_OK;
}

static int knn_classify_eval(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                             char *err, size_t errlen)
{
    const skc_tensor *tgt, *cl;
    const int64_t *sizes;
    const double *x, *tg;
    double *rd = NULL, *dist = NULL, *w = NULL, *pr;
    int64_t n, nc, no, o, r, t, c, *idx = NULL, *lab = NULL, lshape[2];
    knn_search ks;
    int rc;

    knn_search_get(s, &ks);
    skc_step_get_tensor(s, "targets", &tgt);
    skc_step_get_tensor(s, "classes", &cl);
    no = knn_outputs(s, &sizes, &nc);
    n = skci_rows(in[0]);
    if (skci_cols(in[0]) != ks.f) {
        skci_errf(err, errlen, "step 'knn_classify': input has %lld columns but the points %lld",
                  (long long)skci_cols(in[0]), (long long)ks.f);
        return SKC_E_INVAL;
    }
    out[0] = out[1] = NULL;
    rd = malloc((size_t)ks.m * sizeof(*rd));
    dist = malloc((size_t)ks.k * sizeof(*dist));
    w = malloc((size_t)ks.k * sizeof(*w));
    idx = malloc((size_t)ks.k * sizeof(*idx));
    lab = malloc((size_t)(n * no > 0 ? n * no : 1) * sizeof(*lab));
    if (!rd || !dist || !w || !idx || !lab) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if ((rc = skci_new_matrix(n, nc, &out[1])))
        goto done;
    x = skc_tensor_data(in[0]);
    tg = skc_tensor_data(tgt);
    pr = skc_tensor_data_mut(out[1]);
    for (r = 0; r < n; r++) {
        int64_t off = 0;
        knn_neighbors(&ks, x + r * ks.f, rd, idx, dist, w);
        for (o = 0; o < no; o++) {
            int64_t k = sizes ? sizes[o] : nc, best = 0;
            double *row = pr + r * nc + off, sum = 0.0;
            for (c = 0; c < k; c++)
                row[c] = 0.0;
            for (t = 0; t < ks.k; t++)
                row[(int64_t)tg[idx[t] * no + o]] += w[t];
            /* predict: the class of largest weight, the smallest index on
             * ties (scipy's mode / sklearn's weighted_mode). */
            for (c = 0; c < k; c++) {
                if (row[c] > row[best])
                    best = c;
                sum += row[c];
            }
            lab[r * no + o] = off + best;
            if (sum == 0.0)
                sum = 1.0;
            for (c = 0; c < k; c++)
                row[c] /= sum;
            off += k;
        }
    }
    lshape[0] = n;
    lshape[1] = no;
    rc = skci_labels_from_index(cl, lab, sizes ? 2 : 1, lshape, &out[0]);
done:
    if (rc) {
        skc_tensor_free(out[1]);
        out[1] = NULL;
    }
    free(rd);
    free(dist);
    free(w);
    free(idx);
    free(lab);
    return rc;
}

/* ---- knn_regress ---------------------------------------------------------------- */

static int knn_regress_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *tg;
    int64_t m;
    int rc;

    if ((rc = knn_check_common(s, &m, err, errlen)) ||
        (rc = skci_need_f64(s, "targets", 2, &tg, err, errlen)))
        return rc;
    if (skc_tensor_shape(tg)[0] != m || skc_tensor_shape(tg)[1] < 1) {
        skci_errf(err, errlen, "step 'knn_regress': targets must be [%lld, T]", (long long)m);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int knn_regress_eval(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                            char *err, size_t errlen)
{
    const skc_tensor *tgt;
    const double *x, *tg;
    double *rd = NULL, *dist = NULL, *w = NULL, *y, den;
    int64_t n, nt, r, t, j, *idx = NULL;
    knn_search ks;
    int rc;

    knn_search_get(s, &ks);
    skc_step_get_tensor(s, "targets", &tgt);
    n = skci_rows(in[0]);
    nt = skc_tensor_shape(tgt)[1];
    if (skci_cols(in[0]) != ks.f) {
        skci_errf(err, errlen, "step 'knn_regress': input has %lld columns but the points %lld",
                  (long long)skci_cols(in[0]), (long long)ks.f);
        return SKC_E_INVAL;
    }
    rd = malloc((size_t)ks.m * sizeof(*rd));
    dist = malloc((size_t)ks.k * sizeof(*dist));
    w = malloc((size_t)ks.k * sizeof(*w));
    idx = malloc((size_t)ks.k * sizeof(*idx));
    if (!rd || !dist || !w || !idx) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if ((rc = skci_new_matrix(n, nt, out)))
        goto done;
    x = skc_tensor_data(in[0]);
    tg = skc_tensor_data(tgt);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        knn_neighbors(&ks, x + r * ks.f, rd, idx, dist, w);
        /* uniform: np.mean over the neighbours; distance: sum(y w) / sum(w). */
        den = 0.0;
        for (t = 0; t < ks.k; t++)
            den += w[t];
        for (j = 0; j < nt; j++) {
            double num = 0.0;
            for (t = 0; t < ks.k; t++)
                num += tg[idx[t] * nt + j] * w[t];
            y[r * nt + j] = ks.distance_weights ? num / den : num / (double)ks.k;
        }
    }
done:
    free(rd);
    free(dist);
    free(w);
    free(idx);
    return rc;
}

/* Every fitted coordinate (sampled when there are many): neighbourhoods
 * change between them. */
static void knn_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *pts;
    int64_t m, f, i, c, step;

    if (skc_step_get_tensor(s, "points", &pts) || skc_tensor_ndim(pts) != 2)
        return;
    m = skc_tensor_shape(pts)[0];
    f = skc_tensor_shape(pts)[1];
    step = m > 512 ? m / 512 : 1;
    for (i = 0; i < m; i += step)
        for (c = 0; c < f; c++)
            skci_hint_add(h, c, skc_tensor_get_f64(pts, i * f + c));
}

const skci_op skci_ops_neighbors[] = {
    { .name = "knn_classify", .n_inputs = 1, .n_outputs = 2, .check = knn_classify_check,
      .eval = knn_classify_eval, .hints = knn_hints },
    { .name = "knn_regress", .n_inputs = 1, .n_outputs = 1, .check = knn_regress_check,
      .eval = knn_regress_eval, .hints = knn_hints },
    { .name = NULL }
};
