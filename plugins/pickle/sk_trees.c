/* SPDX-License-Identifier: MIT */
/* sk_trees.c: decision trees, forests, gradient boosting, HistGradientBoosting, IsolationForest, AdaBoost and Bagging into tree_ensemble steps.
 *
 * State across sklearn versions (side by side; research/FORMATS.md §4.2-4.4):
 *
 * | what                         | 0.14 – 0.21                  | 0.22 – 1.2                       | 1.3                  | 1.4 – 1.9                    | 1.10 (dev)        |
 * |------------------------------|------------------------------|----------------------------------|----------------------|------------------------------|-------------------|
 * | Tree node record             | left_child right_child       | same                             | + missing_go_to_left | same                         | split_value,      |
 * |                              | feature threshold impurity   |                                  |   (u1; 64 bytes)     |                              | split_kind:       |
 * |                              | n_node_samples weighted_n_.. |                                  |                      |                              | refused           |
 * | NaN at a Tree split          | right (x <= t is false)      | right                            | missing_go_to_left   | missing_go_to_left           |                   |
 * | classifier Tree.values       | weighted class counts        | counts                           | counts               | fractions                    |                   |
 * |   (each row is normalised here, which gives sklearn's predict_proba either way)                                                                 |
 * | GB init_                     | ≤0.20 *Estimator classes     | Dummy*, 'zero', an estimator     | same                 | same                         |                   |
 * | GB loss object               | loss_ (gradient_boosting.*)  | loss_ / _loss (_gb_losses.*)     | _loss                | _loss (sklearn._loss.*)      |                   |
 * | GB multiclass init raw       | ≤0.20: priors; 0.21+: log(p) | log(clip(p))                     | log(clip(p))         | log(p) - mean(log p)         |                   |
 * | HGB node record              | 0.21: threshold; 0.22: +     | 0.24: num_threshold,             | feature_idx intp     | same                         |                   |
 * |                              |   missing_go_to_left         |   is_categorical, bitset_idx     |                      |                              |                   |
 * | HGB _baseline_prediction     | float (K = 1) or (K, 1)      | float; (1, K) or (K, 1) from 1.1 | same                 | same                         |                   |
 * | HGB categories               | —                            | 0.24: raw_left_cat_bitsets and   | same                 | + _preprocessor for pandas   |                   |
 * |                              |                              |   _bin_mapper known categories   |                      |   dtypes: refused            |                   |
 * | AdaBoost                     | base_estimator_              | estimator_ (1.2)                 | same                 | SAMME.R gone (1.6)           |                   |
 *
 * Every tree becomes rows of one tree_ensemble step (core/OPS.md): node
 * arrays concatenated tree after tree, features mapped to the input
 * columns (Bagging, IsolationForest column subsets), and leaf values
 * computed here in double precision the way sklearn computes each tree's
 * contribution (normalised probabilities, SAMME votes, SAMME.R logits,
 * isolation path lengths).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_lift.h"

/* ---- structured array fields, read from the record bytes ------------------ */

typedef struct tr_field {
    const uint8_t *base;
    size_t stride;
    uint32_t off, size;
    char kind;
    int swap;
    int present;
} tr_field;

static int tr_host_little(void)
{
    const uint16_t one = 1;

    return *(const uint8_t *)&one == 1;
}

static int tr_field_open(sk_ctx *c, const pk_obj *arr, const pk_array_info *ai,
                         const char *name, int required, tr_field *f)
{
    char kind = 0, bo = '|';
    uint32_t size = 0, off = 0;

    memset(f, 0, sizeof(*f));
    if (pk_array_field(arr, name, &kind, &size, &off, &bo) != SKC_OK) {
        if (!required)
            return SKC_OK;
        return sk_fail(c, SKC_E_FORMAT, "tree node records lack the field '%s'", name);
    }
    if (!((kind == 'f' && (size == 4 || size == 8)) ||
          ((kind == 'i' || kind == 'u' || kind == 'b') &&
           (size == 1 || size == 2 || size == 4 || size == 8))) ||
        (size_t)off + size > ai->itemsize)
        return sk_fail(c, SKC_E_FORMAT, "tree node field '%s' has numpy kind '%c' size %u",
                       name, kind, size);
    f->base = ai->data;
    f->stride = ai->itemsize;
    f->off = off;
    f->size = size;
    f->kind = kind;
    f->swap = size > 1 && bo != '|' && bo != '=' && (bo == '<') != tr_host_little();
    f->present = 1;
    return SKC_OK;
}

/* The field's bytes of record @p i in host order. */
static const uint8_t *tr_field_bytes(const tr_field *f, int64_t i, uint8_t *b)
{
    const uint8_t *p = f->base + (size_t)i * f->stride + f->off;
    uint32_t k;

    if (!f->swap)
        return p;
    for (k = 0; k < f->size; k++)
        b[k] = p[f->size - 1 - k];
    return b;
}

/* The common case of tr_i64 and tr_f64: a native-order 8-byte field
 * (every sklearn tree on a little-endian host), read inline. */
static inline int tr_fast_field(const tr_field *f)
{
    return f->present && f->size == 8 && !f->swap;
}

static double tr_f64_any(const tr_field *f, int64_t i);

static inline double tr_f64(const tr_field *f, int64_t i)
{
    if (tr_fast_field(f)) {
        double d;
        memcpy(&d, f->base + (size_t)i * f->stride + f->off, 8);
        return d;
    }
    return tr_f64_any(f, i);
}

static double tr_f64_any(const tr_field *f, int64_t i)
{
    uint8_t b[8];
    const uint8_t *p = tr_field_bytes(f, i, b);

    if (f->size == 8) {
        double d;
        memcpy(&d, p, 8);
        return d;
    } else {
        float x;
        memcpy(&x, p, 4);
        return x;
    }
}

static int64_t tr_i64_any(const tr_field *f, int64_t i);

/* tr_fast_field inline, the rest through the general readers. */
static inline int64_t tr_i64(const tr_field *f, int64_t i)
{
    if (tr_fast_field(f)) {
        int64_t v;
        memcpy(&v, f->base + (size_t)i * f->stride + f->off, 8);
        return v;
    }
    return tr_i64_any(f, i);
}

static int64_t tr_i64_any(const tr_field *f, int64_t i)
{
    uint8_t b[8];
    const uint8_t *p;

    if (!f->present)
        return 0;
    p = tr_field_bytes(f, i, b);
    switch (f->size) {
    case 1: return f->kind == 'i' ? (int64_t)(int8_t)p[0] : (int64_t)p[0];
    case 2: { uint16_t v; memcpy(&v, p, 2); return f->kind == 'i' ? (int64_t)(int16_t)v : (int64_t)v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return f->kind == 'i' ? (int64_t)(int32_t)v : (int64_t)v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
    }
}

/* A 1-D structured array with readable record bytes. */
static int tr_records(sk_ctx *c, const pk_obj *arr, const char *what, pk_array_info *ai)
{
    if (!arr || pk_array(arr, ai) != SKC_OK || ai->kind != 'V' || ai->ndim != 1 ||
        !ai->data || ai->itemsize == 0 ||
        ai->nbytes / ai->itemsize < (uint64_t)ai->shape[0])
        return sk_fail(c, SKC_E_FORMAT, "%s is not a readable array of node records", what);
    return SKC_OK;
}

/* ---- sklearn.tree._tree.Tree ------------------------------------------- */

typedef struct tr_tree {
    int64_t n_nodes, n_outputs, n_cls;
    tr_field left, right, feature, threshold, missing, samples;
    const pk_obj *values;
    pk_array_info vai;
    const double *vfast;       /* values as native doubles, or NULL */
} tr_tree;

static int tr_tree_open(sk_ctx *c, const pk_obj *est, tr_tree *t)
{
    const pk_obj *tree = pk_attr(est, "tree_"), *nodes;
    pk_array_info ai;
    const char *cn;
    int64_t count;
    int rc;

    memset(t, 0, sizeof(*t));
    cn = sk_canonical(tree, NULL, NULL);
    if (!cn || strcmp(cn, "sklearn.tree.Tree") != 0)
        return sk_fail(c, SKC_E_FORMAT, "tree_ is not a sklearn.tree._tree.Tree");
    nodes = pk_attr(tree, "nodes");
    if ((rc = tr_records(c, nodes, "tree_.nodes", &ai)))
        return rc;
    /* sklearn 1.10 adds categorical splits to the record (split_value,
     * split_kind); a record we do not know is refused, not guessed. */
    if (pk_array_field(nodes, "split_kind", NULL, NULL, NULL, NULL) == SKC_OK ||
        pk_array_field(nodes, "split_value", NULL, NULL, NULL, NULL) == SKC_OK ||
        ai.itemsize > 64)
        return sk_fail(c, SKC_E_UNSUPPORTED, "this tree node layout (%u-byte records, "
                       "newer than sklearn 1.9) is not supported yet", ai.itemsize);
    t->n_nodes = ai.shape[0];
    if (sk_attr_int(tree, "node_count", &count) == SKC_OK && count != t->n_nodes)
        return sk_fail(c, SKC_E_FORMAT, "tree_ holds %lld nodes but node_count is %lld",
                       (long long)t->n_nodes, (long long)count);
    if (t->n_nodes < 1 || t->n_nodes > INT32_MAX)
        return sk_fail(c, SKC_E_FORMAT, "tree_ has %lld nodes", (long long)t->n_nodes);
    if ((rc = tr_field_open(c, nodes, &ai, "left_child", 1, &t->left)) ||
        (rc = tr_field_open(c, nodes, &ai, "right_child", 1, &t->right)) ||
        (rc = tr_field_open(c, nodes, &ai, "feature", 1, &t->feature)) ||
        (rc = tr_field_open(c, nodes, &ai, "threshold", 1, &t->threshold)) ||
        (rc = tr_field_open(c, nodes, &ai, "missing_go_to_left", 0, &t->missing)) ||
        (rc = tr_field_open(c, nodes, &ai, "n_node_samples", 0, &t->samples)))
        return rc;
    if (t->threshold.kind != 'f')
        return sk_fail(c, SKC_E_FORMAT, "tree_ thresholds are not floating point");
    t->values = pk_attr(tree, "values");
    if (!t->values || pk_array(t->values, &t->vai) != SKC_OK || t->vai.ndim != 3 ||
        t->vai.kind != 'f' || t->vai.shape[0] != t->n_nodes || t->vai.shape[1] < 1 ||
        t->vai.shape[2] < 1)
        return sk_fail(c, SKC_E_FORMAT, "tree_.values is not a [nodes, outputs, classes] "
                       "float array");
    t->n_outputs = t->vai.shape[1];
    t->n_cls = t->vai.shape[2];
    if (t->vai.itemsize == 8 && !t->vai.fortran && t->vai.data &&
        (t->vai.byteorder == '|' || t->vai.byteorder == '=' ||
         (t->vai.byteorder == '<') == tr_host_little()) &&
        t->vai.nbytes / 8 >= (uint64_t)(t->n_nodes * t->n_outputs * t->n_cls) &&
        ((uintptr_t)t->vai.data % sizeof(double)) == 0)
        t->vfast = (const double *)t->vai.data;
    return SKC_OK;
}

static double tr_tree_value(const tr_tree *t, int64_t node, int64_t out, int64_t cls)
{
    int64_t i = (node * t->n_outputs + out) * t->n_cls + cls;
    double v = 0.0;

    if (t->vfast)
        return t->vfast[i];
    pk_array_get_f64(t->values, (size_t)i, &v);
    return v;
}

/* ---- the ensemble being built ------------------------------------------ */

typedef struct tr_ens {
    int64_t n_trees, n_nodes, n_leaves, width, n_cat;   /* planned */
    int64_t t, m, leaf, cat;                            /* filled */
    skc_tensor *offsets, *feature, *threshold, *left, *right, *mleft, *value,
               *target, *cat_index, *cat_bitset;
    int64_t *off;
    int32_t *feat, *lt, *rt, *tgt, *ci;
    double *thr, *val;
    uint8_t *ml;
    uint32_t *cb;
} tr_ens;

static void tr_ens_free(tr_ens *e)
{
    skc_tensor_free(e->offsets);
    skc_tensor_free(e->feature);
    skc_tensor_free(e->threshold);
    skc_tensor_free(e->left);
    skc_tensor_free(e->right);
    skc_tensor_free(e->mleft);
    skc_tensor_free(e->value);
    skc_tensor_free(e->target);
    skc_tensor_free(e->cat_index);
    skc_tensor_free(e->cat_bitset);
    memset(e, 0, sizeof(*e));
}

/* Tensors sized for the whole ensemble up front (the trees are counted
 * first), so a large forest is written once, never reallocated. */
static int tr_ens_init(sk_ctx *c, tr_ens *e, int64_t n_trees, int64_t n_nodes,
                       int64_t n_leaves, int64_t width, int with_target, int64_t n_cat)
{
    int64_t one = n_trees + 1, vs[2] = { n_leaves, width }, cs[2] = { n_cat, 8 };
    int rc;

    memset(e, 0, sizeof(*e));
    if (n_trees < 1 || n_nodes < 1 || n_leaves < 1 || n_leaves > n_nodes || width < 1 ||
        n_leaves > INT64_MAX / 8 / width)
        return sk_fail(c, SKC_E_FORMAT, "an ensemble of %lld trees and %lld nodes",
                       (long long)n_trees, (long long)n_nodes);
    e->n_trees = n_trees;
    e->n_nodes = n_nodes;
    e->n_leaves = n_leaves;
    e->width = width;
    e->n_cat = n_cat;
    if ((rc = skc_tensor_new(SKC_DT_I64, 1, &one, &e->offsets)) ||
        (rc = skc_tensor_new(SKC_DT_I32, 1, &n_nodes, &e->feature)) ||
        (rc = skc_tensor_new(SKC_DT_F64, 1, &n_nodes, &e->threshold)) ||
        (rc = skc_tensor_new(SKC_DT_I32, 1, &n_nodes, &e->left)) ||
        (rc = skc_tensor_new(SKC_DT_I32, 1, &n_nodes, &e->right)) ||
        (rc = skc_tensor_new(SKC_DT_U8, 1, &n_nodes, &e->mleft)) ||
        (rc = skc_tensor_new(SKC_DT_F64, 2, vs, &e->value)) ||
        (with_target && (rc = skc_tensor_new(SKC_DT_I32, 1, &n_trees, &e->target))) ||
        (n_cat > 0 && (rc = skc_tensor_new(SKC_DT_I32, 1, &n_nodes, &e->cat_index))) ||
        (n_cat > 0 && (rc = skc_tensor_new(SKC_DT_U32, 2, cs, &e->cat_bitset)))) {
        tr_ens_free(e);
        return rc == SKC_E_NOMEM ? sk_fail(c, rc, "out of memory for %lld tree nodes",
                                           (long long)n_nodes) : rc;
    }
    e->off = skc_tensor_data_mut(e->offsets);
    e->feat = skc_tensor_data_mut(e->feature);
    e->thr = skc_tensor_data_mut(e->threshold);
    e->lt = skc_tensor_data_mut(e->left);
    e->rt = skc_tensor_data_mut(e->right);
    e->ml = skc_tensor_data_mut(e->mleft);
    e->val = skc_tensor_data_mut(e->value);
    e->tgt = e->target ? skc_tensor_data_mut(e->target) : NULL;
    e->ci = e->cat_index ? skc_tensor_data_mut(e->cat_index) : NULL;
    e->cb = e->cat_bitset ? skc_tensor_data_mut(e->cat_bitset) : NULL;
    return SKC_OK;
}

/* What a tree's leaves contribute. */
enum tr_leaf_kind {
    TR_RAW,       /* values[:, o, 0] for each output o (regressors)             */
    TR_PROBA,     /* the normalised class row (predict_proba)                    */
    TR_PROBA_W,   /* the normalised class row times weight (AdaBoost SAMME < 0.22) */
    TR_SAMME,     /* weight on the class predict() gives, `other` elsewhere      */
    TR_SAMME_R,   /* (K-1) (log p - mean log p), p clipped to eps (_samme_proba) */
    TR_PATH       /* isolation path length: depth + 1 + c(n_samples) - 1         */
};

typedef struct tr_leaf {
    int kind;
    int64_t k;               /* ensemble columns for PROBA / SAMME / SAMME_R  */
    const int64_t *col;      /* tree class j → column col[j]; NULL: identity  */
    int64_t n_col;
    double weight;           /* SAMME, PROBA_W                                */
    double other;            /* SAMME: the other classes' value               */
    const int64_t *feat;     /* tree feature → input column; NULL: identity   */
    int64_t n_feat;
    int32_t target;          /* column when the ensemble has a target tensor  */
    const int64_t *sizes;    /* PROBA of a multi-output tree: classes per output */
    int64_t n_out;
} tr_leaf;

/* sklearn.ensemble._iforest._average_path_length for one count. */
static double tr_avg_path(double n)
{
    if (n <= 1.0)
        return 0.0;
    if (n == 2.0)
        return 1.0;
    return 2.0 * (log(n - 1.0) + 0.5772156649015329) - 2.0 * (n - 1.0) / n;
}

static int tr_leaf_values(sk_ctx *c, const tr_tree *t, const tr_leaf *sp, int64_t node,
                          int32_t depth, double *row, int64_t width)
{
    int64_t j, o, nc = t->n_cls, best = 0;
    double sum = 0.0, v;

    switch (sp->kind) {
    case TR_RAW:
        for (o = 0; o < t->n_outputs; o++)
            row[o] = tr_tree_value(t, node, o, 0);
        return SKC_OK;
    case TR_PATH:
        v = t->samples.present ? (double)tr_i64(&t->samples, node) : 0.0;
        row[0] = ((double)(depth + 1) + tr_avg_path(v)) - 1.0;
        return SKC_OK;
    case TR_SAMME:
        for (j = 1; j < nc; j++)
            if (tr_tree_value(t, node, 0, j) > tr_tree_value(t, node, 0, best))
                best = j;
        o = sp->col ? sp->col[best] : best;
        if (o < 0 || o >= width)
            return sk_fail(c, SKC_E_FORMAT, "a tree class maps outside the ensemble's classes");
        for (j = 0; j < width; j++)
            row[j] = sp->other;
        row[o] = sp->weight;
        return SKC_OK;
    default:
        break;
    }
    /* TR_PROBA and TR_SAMME_R: DecisionTreeClassifier.predict_proba. */
    for (j = 0; j < nc; j++)
        sum += tr_tree_value(t, node, 0, j);
    if (sum == 0.0)
        sum = 1.0;
    if (sp->kind == TR_PROBA && sp->sizes) {
        /* Each output's row normalised on its own (predict_proba's list),
         * the blocks side by side. */
        int64_t off = 0;
        for (o = 0; o < sp->n_out; o++) {
            int64_t ko = sp->sizes[o];
            if (ko > nc || off + ko > width)
                return sk_fail(c, SKC_E_FORMAT, "output %lld has %lld classes",
                               (long long)o, (long long)ko);
            sum = 0.0;
            for (j = 0; j < ko; j++)
                sum += tr_tree_value(t, node, o, j);
            if (sum == 0.0)
                sum = 1.0;
            for (j = 0; j < ko; j++)
                row[off + j] = tr_tree_value(t, node, o, j) / sum;
            off += ko;
        }
        return SKC_OK;
    }
    if (sp->kind == TR_PROBA || sp->kind == TR_PROBA_W) {
        for (j = 0; j < nc; j++) {
            o = sp->col ? sp->col[j] : j;
            if (o < 0 || o >= width)
                return sk_fail(c, SKC_E_FORMAT, "a tree class maps outside the ensemble's classes");
            row[o] = tr_tree_value(t, node, 0, j) / sum;
            if (sp->kind == TR_PROBA_W)
                row[o] *= sp->weight;
        }
        return SKC_OK;
    }
    {
        double lsum = 0.0, k = (double)nc;
        if (nc != width)
            return sk_fail(c, SKC_E_FORMAT, "a SAMME.R tree has %lld classes, the ensemble %lld",
                           (long long)nc, (long long)width);
        for (j = 0; j < nc; j++) {
            double p = tr_tree_value(t, node, 0, j) / sum;
            row[j] = log(p < DBL_EPSILON ? DBL_EPSILON : p);
            lsum += row[j];
        }
        for (j = 0; j < nc; j++)
            row[j] = (k - 1.0) * (row[j] - (1.0 / k) * lsum);
    }
    return SKC_OK;
}

static int64_t tr_tree_leaves(const tr_tree *t);

static int tr_not_binary(sk_ctx *c, const tr_ens *e, const tr_tree *t)
{
    return sk_fail(c, SKC_E_FORMAT, "tree %lld has %lld nodes but not %lld leaves: it is "
                   "not a binary tree", (long long)e->t, (long long)t->n_nodes,
                   (long long)tr_tree_leaves(t));
}

/* Whether tr_ens_fast can take tree @p t: 8-byte node fields in host
 * order (tr_fast_field), a one-byte missing flag or none, values as
 * native doubles, and leaves that are a classifier's normalised class row
 * or a regressor's values, with no column maps. */
static int tr_ens_fast_ok(const tr_tree *t, const tr_leaf *sp)
{
    return tr_fast_field(&t->left) && tr_fast_field(&t->right) &&
           tr_fast_field(&t->feature) && tr_fast_field(&t->threshold) &&
           (!t->missing.present || t->missing.size == 1) && t->vfast &&
           ((sp->kind == TR_PROBA && !sp->sizes) || sp->kind == TR_RAW) && !sp->col &&
           !sp->feat;
}

/* tr_ens_add's loop over nodes 0, 1, ... of a tree tr_ens_fast_ok takes,
 * for as long as every node is well formed; the index of the first that
 * is not (n when none), from which the general loop takes over and says
 * what is wrong. The same values as the general loop, in one pass
 * without a call per node. */
static int64_t tr_ens_fast(tr_ens *e, const tr_tree *t, const tr_leaf *sp, int64_t base,
                           int64_t leaf_end)
{
    const uint8_t *lp = t->left.base + t->left.off, *rp = t->right.base + t->right.off;
    const uint8_t *fp = t->feature.base + t->feature.off;
    const uint8_t *tp = t->threshold.base + t->threshold.off;
    const uint8_t *mp = t->missing.present ? t->missing.base + t->missing.off : NULL;
    size_t ls = t->left.stride, rs = t->right.stride, fs = t->feature.stride;
    size_t ts = t->threshold.stride, ms = t->missing.stride;
    int32_t *lt = e->lt + base, *rt = e->rt + base, *feat = e->feat + base;
    double *thr = e->thr + base, *val = e->val;
    uint8_t *ml = e->ml + base;
    const double *v = t->vfast;
    int64_t n = t->n_nodes, nc = t->n_cls, no = t->n_outputs, w = e->width;
    int64_t leaf = e->leaf, i, j;
    int proba = sp->kind == TR_PROBA;

    for (i = 0; i < n; i++) {
        int64_t l, r, f;
        memcpy(&l, lp + (size_t)i * ls, 8);
        memcpy(&r, rp + (size_t)i * rs, 8);
        if (l < 0) {
            double *row = val + leaf * w;
            if (r >= 0 || leaf >= leaf_end || (proba && nc > w))
                break;
            lt[i] = (int32_t)(-1 - leaf);
            rt[i] = -1;
            feat[i] = -1;
            thr[i] = 0.0;
            ml[i] = 0;
            if (proba) {
                const double *cv = v + i * nc;
                double sum = 0.0;
                for (j = 0; j < nc; j++)
                    sum += cv[j];
                if (sum == 0.0)
                    sum = 1.0;
                for (j = 0; j < nc; j++)
                    row[j] = cv[j] / sum;
            } else {
                for (j = 0; j < no; j++)
                    row[j] = v[(i * no + j) * nc];
            }
            leaf++;
            continue;
        }
        memcpy(&f, fp + (size_t)i * fs, 8);
        if (l >= n || r >= n || l <= i || r <= i || f < 0 || f > INT32_MAX)
            break;
        lt[i] = (int32_t)l;
        rt[i] = (int32_t)r;
        feat[i] = (int32_t)f;
        memcpy(&thr[i], tp + (size_t)i * ts, 8);
        ml[i] = mp ? mp[(size_t)i * ms] != 0 : 0;
    }
    e->leaf = leaf;
    return i;
}

/* Append one sklearn tree. */
static int tr_ens_add(sk_ctx *c, tr_ens *e, const tr_tree *t, const tr_leaf *sp)
{
    int32_t *depth = NULL;
    int64_t i, base = e->m, leaf0 = e->leaf;
    int rc = SKC_OK;

    if (e->t >= e->n_trees || t->n_nodes > e->n_nodes - e->m)
        return sk_fail(c, SKC_E_INTERNAL, "more trees than counted");
    if (sp->kind == TR_RAW ? t->n_outputs != e->width
                           : (sp->kind != TR_PATH && t->n_outputs != (sp->sizes ? sp->n_out : 1)))
        return sk_fail(c, SKC_E_UNSUPPORTED, "a tree with %lld outputs in an ensemble of width %lld",
                       (long long)t->n_outputs, (long long)e->width);
    if (sp->kind == TR_PATH && !(depth = calloc((size_t)t->n_nodes, sizeof(*depth))))
        return SKC_E_NOMEM;
    e->off[e->t] = base;
    if (e->tgt)
        e->tgt[e->t] = sp->target;
    i = 0;
    if (tr_ens_fast_ok(t, sp)) {
        int64_t end = leaf0 + tr_tree_leaves(t);
        i = tr_ens_fast(e, t, sp, base, end < e->n_leaves ? end : e->n_leaves);
    }
    for (; i < t->n_nodes; i++) {
        int64_t l = tr_i64(&t->left, i), r = tr_i64(&t->right, i);
        int64_t m = base + i;
        if (l < 0) {
            /* TREE_LEAF is -1. The op keeps one value row per leaf, its
             * index in left (core/OPS.md); it checks the structure. */
            if (r >= 0) {
                rc = sk_fail(c, SKC_E_FORMAT, "tree node %lld has only a right child",
                             (long long)i);
                break;
            }
            if (e->leaf >= e->n_leaves || e->leaf - leaf0 >= tr_tree_leaves(t)) {
                rc = tr_not_binary(c, e, t);
                break;
            }
            e->lt[m] = (int32_t)(-1 - e->leaf);
            e->rt[m] = -1;
            e->feat[m] = -1;
            e->thr[m] = 0.0;
            e->ml[m] = 0;
            if ((rc = tr_leaf_values(c, t, sp, i, depth ? depth[i] : 0,
                                     e->val + e->leaf * e->width, e->width)))
                break;
            e->leaf++;
            continue;
        }
        if (l >= t->n_nodes || r >= t->n_nodes || l <= i || r <= i) {
            rc = sk_fail(c, SKC_E_FORMAT, "tree node %lld has children %lld and %lld",
                         (long long)i, (long long)l, (long long)r);
            break;
        }
        {
            int64_t f = tr_i64(&t->feature, i);
            if (f < 0 || (sp->feat && f >= sp->n_feat)) {
                rc = sk_fail(c, SKC_E_FORMAT, "tree node %lld splits on feature %lld",
                             (long long)i, (long long)f);
                break;
            }
            if (sp->feat)
                f = sp->feat[f];
            if (f < 0 || f > INT32_MAX) {
                rc = sk_fail(c, SKC_E_FORMAT, "a tree splits on column %lld", (long long)f);
                break;
            }
            e->feat[m] = (int32_t)f;
        }
        e->lt[m] = (int32_t)l;
        e->rt[m] = (int32_t)r;
        e->thr[m] = tr_f64(&t->threshold, i);
        e->ml[m] = (uint8_t)(tr_i64(&t->missing, i) != 0);
        if (depth)
            depth[l] = depth[r] = depth[i] + 1;
    }
    free(depth);
    if (rc)
        return rc;
    if (e->leaf - leaf0 != tr_tree_leaves(t))
        return tr_not_binary(c, e, t);
    sk_drop(c, t->left.base, (size_t)t->n_nodes * t->left.stride);
    sk_drop(c, t->vai.data, (size_t)t->vai.nbytes);
    e->m += t->n_nodes;
    e->t++;
    e->off[e->t] = e->m;
    return SKC_OK;
}

/* The tree_ensemble step over what was added. */
static int tr_ens_step(sk_ctx *c, tr_ens *e, const char *in, int64_t n_in, const char *out,
                       const char *aggregate, int64_t n_targets, int x_float32,
                       double scale, const double *base)
{
    skc_tensor *bt = NULL;
    skc_step *st;
    int64_t i;
    int rc;

    if (e->t != e->n_trees || e->m != e->n_nodes || e->leaf != e->n_leaves ||
        e->cat != e->n_cat)
        return sk_fail(c, SKC_E_INTERNAL, "%lld of %lld trees filled",
                       (long long)e->t, (long long)e->n_trees);
    /* A split on a column the estimator does not have is a damaged file. */
    for (i = 0; n_in >= 0 && i < e->n_nodes; i++)
        if (e->feat[i] >= n_in)
            return sk_fail(c, SKC_E_FORMAT, "a split reads column %lld of %lld",
                           (long long)e->feat[i], (long long)n_in);
    if (base && (rc = skc_tensor_from_f64(base, n_targets, &bt)))
        return rc;
    if ((rc = sk_step(c, "tree_ensemble", in, out, &st)) ||
        (rc = skc_step_set_int(st, "n_targets", n_targets)) ||
        (rc = skc_step_set_string(st, "aggregate", aggregate)) ||
        (rc = skc_step_set_int(st, "x_float32", x_float32)) ||
        (rc = skc_step_set_tensor(st, "tree_offsets", e->offsets)) ||
        (rc = skc_step_set_tensor(st, "feature", e->feature)) ||
        (rc = skc_step_set_tensor(st, "threshold", e->threshold)) ||
        (rc = skc_step_set_tensor(st, "left", e->left)) ||
        (rc = skc_step_set_tensor(st, "right", e->right)) ||
        (rc = skc_step_set_tensor(st, "missing_left", e->mleft)) ||
        (rc = skc_step_set_tensor(st, "value", e->value)) ||
        (e->target && (rc = skc_step_set_tensor(st, "target", e->target))) ||
        (e->cat_index && (rc = skc_step_set_tensor(st, "cat_index", e->cat_index))) ||
        (e->cat_bitset && (rc = skc_step_set_tensor(st, "cat_bitset", e->cat_bitset))) ||
        (scale != 1.0 && (rc = skc_step_set_float(st, "scale", scale))) ||
        (bt && (rc = skc_step_set_tensor(st, "base", bt))))
        goto done;
done:
    skc_tensor_free(bt);
    return rc;
}

/* ---- estimator helpers -------------------------------------------------- */

static int tr_is_tree(const pk_obj *est, int classifier)
{
    const char *cn = sk_canonical(est, NULL, NULL);

    if (!cn)
        return 0;
    if (classifier)
        return strcmp(cn, "sklearn.tree.DecisionTreeClassifier") == 0 ||
               strcmp(cn, "sklearn.tree.ExtraTreeClassifier") == 0;
    return strcmp(cn, "sklearn.tree.DecisionTreeRegressor") == 0 ||
           strcmp(cn, "sklearn.tree.ExtraTreeRegressor") == 0;
}

/* A list (or 1-D object array) of estimators; *n its length. */
static int tr_list(sk_ctx *c, const pk_obj *est, const char *key, const pk_obj **o, size_t *n)
{
    pk_array_info ai;

    *o = pk_attr(est, key);
    if (*o && (pk_kind_of(*o) == PK_LIST || pk_kind_of(*o) == PK_TUPLE)) {
        *n = pk_len(*o);
        return SKC_OK;
    }
    if (*o && pk_kind_of(*o) == PK_ARRAY && pk_array(*o, &ai) == SKC_OK && ai.kind == 'O') {
        *n = 1;
        for (int k = 0; k < ai.ndim; k++)
            *n *= (size_t)ai.shape[k];
        return SKC_OK;
    }
    return sk_fail(c, SKC_E_FORMAT, "%s is missing or not a list", key);
}

static const pk_obj *tr_item(const pk_obj *o, size_t i)
{
    return pk_kind_of(o) == PK_ARRAY ? pk_array_object(o, i) : pk_item(o, i);
}

/* The number of input columns: n_features_in_ (0.24+), n_features_
 * (older), else @p fallback. */
static int64_t tr_n_features(const pk_obj *est, int64_t fallback)
{
    int64_t v;

    if (sk_attr_int(est, "n_features_in_", &v) == SKC_OK && v > 0)
        return v;
    if (sk_attr_int(est, "n_features_", &v) == SKC_OK && v > 0)
        return v;
    if (sk_attr_int(est, "n_features", &v) == SKC_OK && v > 0)
        return v;
    return fallback;
}

/* Features a Tree was built on (Tree.__reduce__ args[0]). */
static int64_t tr_tree_n_features(const pk_obj *est)
{
    const pk_obj *args = pk_instance_args(pk_attr(est, "tree_"));
    int64_t v;

    if (args && pk_len(args) >= 1 && pk_int(pk_item(args, 0), &v) == SKC_OK)
        return v;
    return -1;
}

/* An integer array (estimators_features_ entries, sub-estimator classes_). */
static int tr_int_array(sk_ctx *c, const pk_obj *o, const char *what, int64_t **out, int64_t *n)
{
    pk_array_info ai;
    int64_t i, *v;

    if (!o || pk_array(o, &ai) != SKC_OK || ai.ndim != 1 ||
        !(ai.kind == 'i' || ai.kind == 'u' || ai.kind == 'f' || ai.kind == 'b'))
        return sk_fail(c, SKC_E_FORMAT, "%s is not a 1-D integer array", what);
    if (!(v = malloc((size_t)(ai.shape[0] ? ai.shape[0] : 1) * sizeof(*v))))
        return SKC_E_NOMEM;
    for (i = 0; i < ai.shape[0]; i++) {
        if (ai.kind == 'b') {
            /* A boolean mask of columns: the indices where it is set. */
            free(v);
            return sk_fail(c, SKC_E_UNSUPPORTED, "%s is a boolean mask", what);
        }
        if (pk_array_get_i64(o, (size_t)i, &v[i]) != SKC_OK) {
            double d;
            if (pk_array_get_f64(o, (size_t)i, &d) != SKC_OK || d != floor(d)) {
                free(v);
                return sk_fail(c, SKC_E_FORMAT, "%s[%lld] is not an integer", what, (long long)i);
            }
            v[i] = (int64_t)d;
        }
    }
    *out = v;
    *n = ai.shape[0];
    return SKC_OK;
}

/* Declare a classifier's outputs from its probabilities: the label is
 * the first class of highest probability, as every estimator here
 * predicts. */
static int tr_classifier_tail(sk_ctx *c, const char *scores, const char *proba,
                              skc_tensor *classes, int64_t k, char *out, int64_t *out_width)
{
    char label[64];
    skc_step *st;
    int rc;

    sk_out_name(c, "label", label);
    if ((rc = sk_step(c, "label", scores, label, &st)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)) ||
        (rc = skc_step_set_string(st, "mode", "argmax")))
        return rc;
    if (c->final && (rc = sk_output_classifier(c, label, proba, classes, k)))
        return rc;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = k;
    return SKC_OK;
}

/* Class count of a single-output classifier; multi-output ones (classes_
 * a list) are refused by name. */
static int tr_single_output_classes(sk_ctx *c, const pk_obj *est, skc_tensor **classes)
{
    const pk_obj *cl = pk_attr(est, "classes_");

    if (cl && (pk_kind_of(cl) == PK_LIST || pk_kind_of(cl) == PK_TUPLE))
        return sk_fail(c, SKC_E_UNSUPPORTED, "multi-output classifiers (classes_ is a list "
                       "of %zu arrays) are not supported here", pk_len(cl));
    return sk_classes(c, est, classes);
}

/* Class label @p i of array @p a as a string (kind 'U', 'S' or 'O' of
 * str) or an integer; *is_str says which. */
static int tr_class_at(const pk_obj *a, const pk_array_info *ai, size_t i, char *buf,
                       size_t buflen, int64_t *iv, int *is_str)
{
    double d;

    if (ai->kind == 'U' || ai->kind == 'S') {
        *is_str = 1;
        return pk_array_get_str(a, i, buf, buflen);
    }
    if (ai->kind == 'O') {
        const pk_obj *e = pk_array_object(a, i);
        const char *sv;
        size_t len;
        if (e && pk_str(e, &sv, &len) == SKC_OK && len < buflen) {
            memcpy(buf, sv, len + 1);
            *is_str = 1;
            return SKC_OK;
        }
        *is_str = 0;
        return e ? pk_int(e, iv) : SKC_E_FORMAT;
    }
    *is_str = 0;
    if (pk_array_get_i64(a, i, iv) == SKC_OK)
        return SKC_OK;
    if (pk_array_get_f64(a, i, &d) != SKC_OK || d != floor(d))
        return SKC_E_FORMAT;
    *iv = (int64_t)d;
    return SKC_OK;
}

/* classes_ of a multi-output classifier (a list of arrays): all labels,
 * output after output, and each output's count. Every output must hold
 * the same kind of labels (sklearn gives predict() the first output's
 * dtype). */
static int tr_multi_classes(sk_ctx *c, const pk_obj *est, skc_tensor **classes,
                            skc_tensor **sizes)
{
    const pk_obj *cl = pk_attr(est, "classes_");
    size_t no = pk_len(cl), o, j;
    int64_t total = 0, at = 0, *sz;
    int kind = -1, rc;

    if (no < 1)
        return sk_fail(c, SKC_E_FORMAT, "classes_ is an empty list");
    if ((rc = skc_tensor_new(SKC_DT_I64, 1, (const int64_t[]){ (int64_t)no }, sizes)))
        return rc;
    sz = skc_tensor_data_mut(*sizes);
    for (o = 0; o < no; o++) {
        pk_array_info ai;
        if (pk_array(pk_item(cl, o), &ai) != SKC_OK || ai.ndim != 1 || ai.shape[0] < 1)
            return sk_fail(c, SKC_E_FORMAT, "classes_[%zu] is not a 1-D array", o);
        sz[o] = ai.shape[0];
        total += ai.shape[0];
    }
    for (o = 0; o < no; o++) {
        const pk_obj *a = pk_item(cl, o);
        pk_array_info ai;
        pk_array(a, &ai);
        for (j = 0; j < (size_t)ai.shape[0]; j++) {
            char buf[1024];
            int64_t iv = 0;
            int is_str = 0;
            if (tr_class_at(a, &ai, j, buf, sizeof(buf), &iv, &is_str) != SKC_OK)
                return sk_fail(c, SKC_E_FORMAT, "classes_[%zu][%zu] is unreadable", o, j);
            if (kind < 0 && (rc = skc_tensor_new(is_str ? SKC_DT_STRING : SKC_DT_I64, 1,
                                                 &total, classes)))
                return rc;
            if (kind >= 0 && kind != is_str)
                return sk_fail(c, SKC_E_UNSUPPORTED, "the outputs of this classifier mix "
                               "string and integer classes");
            kind = is_str;
            if (is_str && (rc = skc_tensor_set_string(*classes, at, buf, strlen(buf))))
                return rc;
            if (!is_str)
                ((int64_t *)skc_tensor_data_mut(*classes))[at] = iv;
            at++;
        }
    }
    return SKC_OK;
}

/* ---- trees and forests -------------------------------------------------- */

/* The trees of a single tree, a forest or a Bagging ensemble: the
 * estimator itself, or its estimators_ (all must be sklearn trees). */
static int tr_members(sk_ctx *c, const pk_obj *est, int classifier, int single,
                      const pk_obj **list, size_t *n)
{
    size_t i;
    int rc;

    if (single) {
        *list = NULL;
        *n = 1;
        return SKC_OK;
    }
    if ((rc = tr_list(c, est, "estimators_", list, n)))
        return rc;
    if (*n == 0)
        return sk_fail(c, SKC_E_FORMAT, "estimators_ is empty");
    for (i = 0; i < *n; i++) {
        const pk_obj *m = tr_item(*list, i);
        if (!tr_is_tree(m, classifier)) {
            const char *mod, *name;
            sk_canonical(m, &mod, &name);
            return sk_fail(c, SKC_E_UNSUPPORTED, "estimators_[%zu] is %s.%s; only sklearn "
                           "decision trees are supported inside this ensemble", i, mod, name);
        }
    }
    return SKC_OK;
}

static const pk_obj *tr_member(const pk_obj *est, const pk_obj *list, size_t i)
{
    return list ? tr_item(list, i) : est;
}

/* Column subsets of Bagging / IsolationForest members (estimators_features_). */
typedef struct tr_feats {
    int64_t **v;
    int64_t *n;
    size_t count;
} tr_feats;

static void tr_feats_free(tr_feats *f)
{
    size_t i;

    for (i = 0; f->v && i < f->count; i++)
        free(f->v[i]);
    free(f->v);
    free(f->n);
    memset(f, 0, sizeof(*f));
}

static int tr_feats_read(sk_ctx *c, const pk_obj *est, size_t n_members, int64_t width,
                         tr_feats *f)
{
    const pk_obj *lst;
    size_t i, n;
    int64_t j;
    int rc;

    memset(f, 0, sizeof(*f));
    if (!pk_attr(est, "estimators_features_"))
        return SKC_OK;
    if ((rc = tr_list(c, est, "estimators_features_", &lst, &n)))
        return rc;
    if (n != n_members)
        return sk_fail(c, SKC_E_FORMAT, "estimators_features_ has %zu entries for %zu "
                       "estimators", n, n_members);
    f->v = calloc(n ? n : 1, sizeof(*f->v));
    f->n = calloc(n ? n : 1, sizeof(*f->n));
    if (!f->v || !f->n) {
        tr_feats_free(f);
        return SKC_E_NOMEM;
    }
    f->count = n;
    for (i = 0; i < n; i++) {
        if ((rc = tr_int_array(c, tr_item(lst, i), "estimators_features_[i]", &f->v[i],
                               &f->n[i]))) {
            tr_feats_free(f);
            return rc;
        }
        for (j = 0; j < f->n[i]; j++)
            if (f->v[i][j] < 0 || (width >= 0 && f->v[i][j] >= width)) {
                tr_feats_free(f);
                return sk_fail(c, SKC_E_FORMAT, "estimators_features_[%zu] names column %lld",
                               i, (long long)f->v[i][j]);
            }
    }
    return SKC_OK;
}

/* The leaves of a tree, without reading its nodes: every split of a
 * sklearn tree has two children, so n nodes hold (n + 1) / 2 leaves
 * (tr_ens_add checks each tree it adds against this). */
static int64_t tr_tree_leaves(const tr_tree *t)
{
    return (t->n_nodes + 1) / 2;
}

static int tr_count(sk_ctx *c, const pk_obj *est, const pk_obj *list, size_t n,
                    int64_t *nodes, int64_t *leaves)
{
    size_t i;
    tr_tree t;
    int rc;

    *nodes = *leaves = 0;
    for (i = 0; i < n; i++) {
        if ((rc = tr_tree_open(c, tr_member(est, list, i), &t)))
            return rc;
        *nodes += t.n_nodes;
        *leaves += tr_tree_leaves(&t);
    }
    return SKC_OK;
}

/* DecisionTree/ExtraTree classifiers (single), RandomForest/ExtraTrees
 * classifiers and BaggingClassifier of trees: the mean of each tree's
 * normalised class row. */
static int tr_lift_forest_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                                     int64_t in_width, char *out, int64_t *out_width,
                                     int single)
{
    skc_tensor *classes = NULL, *sizes = NULL;
    const pk_obj *list;
    tr_ens e;
    tr_feats fs;
    int64_t k, total, leaves, nf, *col = NULL, ncol = 0, n_out = 1;
    size_t n, i;
    char proba[64];
    int rc;

    memset(&e, 0, sizeof(e));
    memset(&fs, 0, sizeof(fs));
    if (pk_attr(est, "classes_") && (pk_kind_of(pk_attr(est, "classes_")) == PK_LIST ||
                                     pk_kind_of(pk_attr(est, "classes_")) == PK_TUPLE)) {
        if (!single && pk_attr(est, "estimators_features_"))
            return sk_fail(c, SKC_E_UNSUPPORTED, "a multi-output Bagging classifier");
        if ((rc = tr_multi_classes(c, est, &classes, &sizes)))
            goto done;
        n_out = skc_tensor_numel(sizes);
    } else if ((rc = tr_single_output_classes(c, est, &classes))) {
        return rc;
    }
    k = skc_tensor_numel(classes);
    if ((rc = tr_members(c, est, 1, single, &list, &n)))
        goto done;
    nf = tr_n_features(est, tr_tree_n_features(tr_member(est, list, 0)));
    if ((rc = sk_check_width(c, in, in_width, nf)) ||
        (rc = tr_feats_read(c, est, n, nf, &fs)))
        goto done;
    if ((rc = tr_count(c, est, list, n, &total, &leaves)) ||
        (rc = tr_ens_init(c, &e, (int64_t)n, total, leaves, k, 0, 0)))
        goto done;
    for (i = 0; i < n; i++) {
        const pk_obj *m = tr_member(est, list, i);
        tr_tree t;
        tr_leaf sp = { .kind = TR_PROBA, .k = k };
        if (sizes) {
            sp.sizes = skc_tensor_data(sizes);
            sp.n_out = n_out;
        }
        free(col);
        col = NULL;
        /* Bagging members are fit on encoded labels and may have seen
         * only some classes: their classes_ are the columns they add to. */
        if (!single && !sizes && pk_attr(m, "classes_") &&
            (rc = tr_int_array(c, pk_attr(m, "classes_"), "estimators_[i].classes_", &col,
                               &ncol)))
            goto done;
        if ((rc = tr_tree_open(c, m, &t)))
            goto done;
        if (col) {
            int64_t j;
            if (ncol != t.n_cls) {
                rc = sk_fail(c, SKC_E_FORMAT, "estimators_[%zu] has %lld classes_ and %lld "
                             "class columns", i, (long long)ncol, (long long)t.n_cls);
                goto done;
            }
            for (j = 0; j < ncol; j++)
                if (col[j] != j)
                    break;
            if (j == ncol && ncol == k) {
                free(col);
                col = NULL;
            }
        } else if (t.n_cls != k && !sizes) {
            rc = sk_fail(c, SKC_E_FORMAT, "a tree has %lld classes, the model %lld",
                         (long long)t.n_cls, (long long)k);
            goto done;
        }
        sp.col = col;
        sp.n_col = ncol;
        if (fs.count) {
            sp.feat = fs.v[i];
            sp.n_feat = fs.n[i];
        }
        if ((rc = tr_ens_add(c, &e, &t, &sp)))
            goto done;
    }
    sk_out_name(c, "probabilities", proba);
    if ((rc = tr_ens_step(c, &e, in, nf, proba, single ? "sum" : "average", k, 1, 1.0, NULL)))
        goto done;
    if (!sizes) {
        rc = tr_classifier_tail(c, proba, proba, classes, k, out, out_width);
        goto done;
    }
    {
        /* Multi-output: label [N, outputs] and the outputs' probability
         * blocks side by side in probabilities [N, sum of classes]. */
        char label[64];
        skc_step *st;
        int64_t lshape[2] = { -1, n_out }, pshape[2] = { -1, k };
        sk_out_name(c, "label", label);
        if ((rc = sk_step(c, "multi_label", proba, label, &st)) ||
            (rc = skc_step_set_tensor(st, "classes", classes)) ||
            (rc = skc_step_set_tensor(st, "sizes", sizes)))
            goto done;
        if (c->final &&
            ((rc = skc_model_add_output(c->m, label, skc_tensor_dtype(classes), 2, lshape)) ||
             (rc = skc_model_add_output(c->m, proba, SKC_DT_F64, 2, pshape))))
            goto done;
        snprintf(c->last_label, sizeof(c->last_label), "%s", label);
        snprintf(out, 64, "%s", proba);
        *out_width = k;
    }
done:
    skc_tensor_free(sizes);
    free(col);
    tr_feats_free(&fs);
    tr_ens_free(&e);
    skc_tensor_free(classes);
    return rc;
}

/* Regressor trees, forests and BaggingRegressor: the mean of the trees'
 * values, one column per output. */
static int tr_lift_forest_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                                    int64_t in_width, char *out, int64_t *out_width,
                                    int single)
{
    const pk_obj *list;
    tr_ens e;
    tr_feats fs;
    tr_tree t;
    int64_t total, leaves, nf, w;
    size_t n, i;
    int rc;

    memset(&e, 0, sizeof(e));
    if ((rc = tr_members(c, est, 0, single, &list, &n)))
        return rc;
    nf = tr_n_features(est, tr_tree_n_features(tr_member(est, list, 0)));
    if ((rc = sk_check_width(c, in, in_width, nf)) ||
        (rc = tr_feats_read(c, est, n, nf, &fs)))
        return rc;
    if ((rc = tr_tree_open(c, tr_member(est, list, 0), &t)))
        goto done;
    w = t.n_outputs;
    if ((rc = tr_count(c, est, list, n, &total, &leaves)) ||
        (rc = tr_ens_init(c, &e, (int64_t)n, total, leaves, w, 0, 0)))
        goto done;
    for (i = 0; i < n; i++) {
        tr_leaf sp = { .kind = TR_RAW };
        if (fs.count) {
            sp.feat = fs.v[i];
            sp.n_feat = fs.n[i];
        }
        if ((rc = tr_tree_open(c, tr_member(est, list, i), &t)) ||
            (rc = tr_ens_add(c, &e, &t, &sp)))
            goto done;
    }
    sk_out_name(c, "variable", out);
    if ((rc = tr_ens_step(c, &e, in, nf, out, single ? "sum" : "average", w, 1, 1.0, NULL)))
        goto done;
    if (c->final && (rc = sk_output_regressor(c, out, w)))
        goto done;
    *out_width = w;
done:
    tr_feats_free(&fs);
    tr_ens_free(&e);
    return rc;
}

static int tr_is_classifier(const pk_obj *est)
{
    const char *cn = sk_canonical(est, NULL, NULL);

    return cn && strstr(cn, "Classifier") != NULL;
}

/* Single trees (sklearn.tree.*), forests and Bagging ensembles. */
static int tr_forest(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                     char *out, int64_t *out_width)
{
    const char *cn = sk_canonical(est, NULL, NULL);
    int single = cn && strncmp(cn, "sklearn.tree.", 13) == 0;

    if (tr_is_classifier(est))
        return tr_lift_forest_classifier(c, est, in, in_width, out, out_width, single);
    return tr_lift_forest_regressor(c, est, in, in_width, out, out_width, single);
}

/* ---- small step helpers ------------------------------------------------- */

/* Y = (X - offset) * scale, one column. */
static int tr_affine1(sk_ctx *c, const char *in, const char *out, double offset, double scale)
{
    skc_tensor *o = NULL, *s = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_tensor_from_f64(&offset, 1, &o)) || (rc = skc_tensor_from_f64(&scale, 1, &s)))
        goto done;
    if ((rc = sk_step(c, "scaler", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "offset", o)) ||
        (rc = skc_step_set_tensor(st, "scale", s)))
        goto done;
done:
    skc_tensor_free(o);
    skc_tensor_free(s);
    return rc;
}

/* Y = X coef^T (no intercept): coef is [rows, cols] row-major. */
static int tr_linear(sk_ctx *c, const char *in, const char *out, const double *coef,
                     int64_t rows, int64_t cols)
{
    skc_tensor *w = NULL, *b = NULL;
    int64_t shape[2] = { rows, cols };
    skc_step *st;
    int rc;

    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &w)) ||
        (rc = skc_tensor_new(SKC_DT_F64, 1, &rows, &b)))
        goto done;
    memcpy(skc_tensor_data_mut(w), coef, (size_t)(rows * cols) * sizeof(double));
    if ((rc = sk_step(c, "linear", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "coef", w)) ||
        (rc = skc_step_set_tensor(st, "intercept", b)))
        goto done;
done:
    skc_tensor_free(w);
    skc_tensor_free(b);
    return rc;
}

static int tr_proba_step(sk_ctx *c, const char *in, const char *out, const char *mode)
{
    skc_step *st;
    int rc;

    if ((rc = sk_step(c, "proba", in, out, &st)) ||
        (rc = skc_step_set_string(st, "mode", mode)))
        return rc;
    return SKC_OK;
}

/* ---- gradient boosting --------------------------------------------------- */

/* What DummyClassifier.predict_proba returns for every row (the init_
 * of a classifier), for the strategies that do not draw random numbers. */
static int tr_dummy_proba(sk_ctx *c, const pk_obj *d, int64_t k, double *p)
{
    const char *strategy = sk_attr_str(d, "_strategy");
    skc_tensor *prior = NULL;
    int64_t j, best = 0;
    int rc;

    if (!strategy)
        strategy = sk_attr_str(d, "strategy");
    if (!strategy)
        strategy = "prior";
    if (strcmp(strategy, "uniform") == 0) {
        for (j = 0; j < k; j++)
            p[j] = 1.0 / (double)k;
        return SKC_OK;
    }
    if (strcmp(strategy, "constant") == 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a DummyClassifier(strategy='constant') init "
                       "is not supported yet");
    if (strcmp(strategy, "prior") && strcmp(strategy, "most_frequent"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "a DummyClassifier(strategy='%s') init draws "
                       "random numbers at predict time", strategy);
    if ((rc = sk_attr_f64(c, d, "class_prior_", &prior)))
        return rc;
    if (skc_tensor_numel(prior) != k) {
        skc_tensor_free(prior);
        return sk_fail(c, SKC_E_FORMAT, "init_ has %lld class priors for %lld classes",
                       (long long)skc_tensor_numel(prior), (long long)k);
    }
    for (j = 0; j < k; j++) {
        p[j] = skc_tensor_get_f64(prior, j);
        if (p[j] > p[best])
            best = j;
    }
    if (strcmp(strategy, "most_frequent") == 0)
        for (j = 0; j < k; j++)
            p[j] = j == best ? 1.0 : 0.0;
    skc_tensor_free(prior);
    return SKC_OK;
}

enum { GB_REGRESSION, GB_BINOMIAL, GB_MULTINOMIAL, GB_EXPONENTIAL };

/* The initial raw prediction (one value per tree column) from init_, as
 * each era computes it (see the table at the top). */
static int tr_gb_init(sk_ctx *c, const pk_obj *est, int kind, int new_loss, int64_t k,
                      double *base)
{
    const pk_obj *init = pk_attr(est, "init_");
    const char *cn, *s;
    const float eps32 = FLT_EPSILON;
    double v;
    int64_t j;
    int rc;

    for (j = 0; j < k; j++)
        base[j] = 0.0;
    if (!init || pk_kind_of(init) == PK_NONE)
        return sk_fail(c, SKC_E_FORMAT, "init_ is missing");
    if (pk_str(init, &s, NULL) == SKC_OK) {
        if (strcmp(s, "zero") == 0)
            return SKC_OK;
        return sk_fail(c, SKC_E_UNSUPPORTED, "init_ is the string '%s'", s);
    }
    cn = sk_canonical(init, NULL, NULL);
    if (!cn)
        cn = "?";
    /* sklearn ≤ 0.20: the init estimators' predict() is the raw score. */
    if (strcmp(cn, "sklearn.ensemble.ZeroEstimator") == 0)
        return SKC_OK;
    if (strcmp(cn, "sklearn.ensemble.LogOddsEstimator") == 0 ||
        strcmp(cn, "sklearn.ensemble.ScaledLogOddsEstimator") == 0 ||
        strcmp(cn, "sklearn.ensemble.MeanEstimator") == 0 ||
        strcmp(cn, "sklearn.ensemble.QuantileEstimator") == 0) {
        const char *key = strstr(cn, "LogOdds") ? "prior" :
                          strstr(cn, "Mean") ? "mean" : "quantile";
        if (pk_float(pk_attr(init, key), &v) != SKC_OK) {
            skc_tensor *t = NULL;
            if ((rc = sk_attr_f64(c, init, key, &t)))
                return rc;
            v = skc_tensor_get_f64(t, 0);
            skc_tensor_free(t);
        }
        base[0] = v;
        return SKC_OK;
    }
    if (strcmp(cn, "sklearn.ensemble.PriorProbabilityEstimator") == 0) {
        skc_tensor *t = NULL;
        if ((rc = sk_attr_f64(c, init, "priors", &t)))
            return rc;
        if (skc_tensor_numel(t) != k) {
            skc_tensor_free(t);
            return sk_fail(c, SKC_E_FORMAT, "init_.priors does not have %lld entries",
                           (long long)k);
        }
        for (j = 0; j < k; j++)
            base[j] = skc_tensor_get_f64(t, j);
        skc_tensor_free(t);
        return SKC_OK;
    }
    if (strcmp(cn, "sklearn.dummy.DummyRegressor") == 0 && kind == GB_REGRESSION) {
        skc_tensor *t = NULL;
        if ((rc = sk_attr_f64(c, init, "constant_", &t)))
            return rc;
        if (skc_tensor_numel(t) != 1) {
            skc_tensor_free(t);
            return sk_fail(c, SKC_E_UNSUPPORTED, "a multi-output DummyRegressor init");
        }
        base[0] = skc_tensor_get_f64(t, 0);
        skc_tensor_free(t);
        return SKC_OK;
    }
    if (strcmp(cn, "sklearn.dummy.DummyClassifier") == 0 && kind != GB_REGRESSION) {
        int64_t kc = kind == GB_MULTINOMIAL ? k : 2;
        double p[4096];
        if (kc > 4096)
            return sk_fail(c, SKC_E_LIMIT, "%lld classes", (long long)kc);
        if ((rc = tr_dummy_proba(c, init, kc, p)))
            return rc;
        for (j = 0; j < kc; j++)   /* np.clip(p, eps32, 1 - eps32) */
            p[j] = p[j] < (double)eps32 ? (double)eps32
                 : p[j] > 1.0 - (double)eps32 ? 1.0 - (double)eps32 : p[j];
        if (kind == GB_MULTINOMIAL) {
            double mean = 0.0;
            for (j = 0; j < k; j++)
                base[j] = log(p[j]);
            if (new_loss) {
                /* sklearn ≥ 1.4: the symmetric multinomial logit. */
                for (j = 0; j < k; j++)
                    mean += base[j];
                mean /= (double)k;
                for (j = 0; j < k; j++)
                    base[j] -= mean;
            }
        } else {
            base[0] = log(p[1] / (1.0 - p[1]));
            if (kind == GB_EXPONENTIAL)
                base[0] = 0.5 * log(p[1] / (1.0 - p[1]));
        }
        return SKC_OK;
    }
    return sk_fail(c, SKC_E_UNSUPPORTED, "gradient boosting with init_ of class %s is not "
                   "supported yet (DummyClassifier/DummyRegressor, 'zero' and the sklearn "
                   "≤ 0.20 init estimators are)", cn);
}

static int tr_lift_gb(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                      char *out, int64_t *out_width, int classifier)
{
    skc_tensor *classes = NULL, *rev = NULL;
    const pk_obj *arr, *lossobj;
    pk_array_info ai;
    const char *loss = sk_attr_str(est, "loss"), *lcn = NULL;
    double lr = 0.1, base[4096];
    tr_ens e;
    int64_t k = 1, stages, cols, nf, total = 0, leaves = 0, i, ncls = 1;
    int kind = GB_REGRESSION, new_loss, rc;
    char raw[64], proba[64];

    memset(&e, 0, sizeof(e));
    lossobj = pk_attr(est, "_loss");
    if (!lossobj)
        lossobj = pk_attr(est, "loss_");
    if (lossobj)
        lcn = sk_canonical(lossobj, NULL, NULL);
    new_loss = lcn && strncmp(lcn, "sklearn._loss.", 14) == 0;
    if (classifier) {
        if ((rc = sk_classes(c, est, &classes)))
            return rc;
        ncls = skc_tensor_numel(classes);
        if (loss && strcmp(loss, "exponential") == 0)
            kind = GB_EXPONENTIAL;
        else
            kind = ncls == 2 ? GB_BINOMIAL : GB_MULTINOMIAL;
        if (ncls < 2) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "a classifier fitted on one class");
            goto done;
        }
        k = kind == GB_MULTINOMIAL ? ncls : 1;
    }
    if (k > 4096) {
        rc = sk_fail(c, SKC_E_LIMIT, "%lld classes", (long long)k);
        goto done;
    }
    if (pk_float(pk_attr(est, "learning_rate"), &lr) != SKC_OK) {
        rc = sk_fail(c, SKC_E_FORMAT, "learning_rate is missing");
        goto done;
    }
    arr = pk_attr(est, "estimators_");
    if (!arr || pk_array(arr, &ai) != SKC_OK || ai.kind != 'O' || ai.ndim != 2) {
        rc = sk_fail(c, SKC_E_FORMAT, "estimators_ is not a 2-D object array");
        goto done;
    }
    stages = ai.shape[0];
    cols = ai.shape[1];
    if (cols != k || stages < 1) {
        rc = sk_fail(c, SKC_E_FORMAT, "estimators_ is [%lld, %lld] for %lld tree columns",
                     (long long)stages, (long long)cols, (long long)k);
        goto done;
    }
    for (i = 0; i < stages * cols; i++) {
        const pk_obj *m = pk_array_object(arr, (size_t)i);
        tr_tree t;
        if (!tr_is_tree(m, 0)) {
            rc = sk_fail(c, SKC_E_FORMAT, "estimators_ holds something other than "
                         "regression trees");
            goto done;
        }
        if ((rc = tr_tree_open(c, m, &t)))
            goto done;
        total += t.n_nodes;
        leaves += tr_tree_leaves(&t);
    }
    nf = tr_n_features(est, tr_tree_n_features(pk_array_object(arr, 0)));
    if ((rc = sk_check_width(c, in, in_width, nf)) ||
        (rc = tr_gb_init(c, est, kind, new_loss, k, base)) ||
        (rc = tr_ens_init(c, &e, stages * cols, total, leaves, 1, 1, 0)))
        goto done;
    /* Stage by stage, column by column: predict_stages adds
     * learning_rate * value in this order. */
    for (i = 0; i < stages * cols; i++) {
        tr_tree t;
        tr_leaf sp = { .kind = TR_RAW, .target = (int32_t)(i % cols) };
        if ((rc = tr_tree_open(c, pk_array_object(arr, (size_t)i), &t)) ||
            (rc = tr_ens_add(c, &e, &t, &sp)))
            goto done;
    }
    if (!classifier) {
        sk_out_name(c, "variable", out);
        if ((rc = tr_ens_step(c, &e, in, nf, out, "sum", 1, 1, lr, base)))
            goto done;
        if (c->final && (rc = sk_output_regressor(c, out, 1)))
            goto done;
        *out_width = 1;
        goto done;
    }
    sk_new_name(c, "raw", raw);
    sk_out_name(c, "probabilities", proba);
    if ((rc = tr_ens_step(c, &e, in, nf, raw, "sum", k, 1, lr, base)))
        goto done;
    if (kind == GB_MULTINOMIAL) {
        if ((rc = tr_proba_step(c, raw, proba, "softmax")))
            goto done;
        /* 1.2: argmax of the probabilities; ≥ 1.4: of the raw scores. */
        rc = tr_classifier_tail(c, new_loss ? raw : proba, proba, classes, k, out, out_width);
        goto done;
    }
    if (kind == GB_BINOMIAL && !new_loss) {
        if ((rc = tr_proba_step(c, raw, proba, "logistic_binary")))
            goto done;
        rc = tr_classifier_tail(c, proba, proba, classes, 2, out, out_width);
        goto done;
    }
    {
        /* raw >= 0 gives classes_[1] (ExponentialLoss in every era,
         * binomial from 1.4): the label step's "s > 0" on -raw with the
         * classes swapped. Probabilities: expit(raw), or expit(2 raw). */
        char neg[64], scaled[64], label[64];
        skc_step *st;
        int64_t two = 2;
        sk_new_name(c, "neg_raw", neg);
        sk_new_name(c, "scaled_raw", scaled);
        sk_out_name(c, "label", label);
        if ((rc = skc_tensor_new(skc_tensor_dtype(classes), 1, &two, &rev)))
            goto done;
        for (i = 0; i < 2; i++) {
            if (skc_tensor_dtype(classes) == SKC_DT_STRING) {
                size_t len;
                const char *sv = skc_tensor_string(classes, 1 - i, &len);
                if ((rc = skc_tensor_set_string(rev, i, sv, len)))
                    goto done;
            } else {
                ((int64_t *)skc_tensor_data_mut(rev))[i] =
                    ((const int64_t *)skc_tensor_data(classes))[1 - i];
            }
        }
        if ((rc = tr_affine1(c, raw, neg, 0.0, -1.0)) ||
            (rc = sk_step(c, "label", neg, label, &st)) ||
            (rc = skc_step_set_tensor(st, "classes", rev)) ||
            (rc = skc_step_set_string(st, "mode", "threshold")) ||
            (rc = skc_step_set_float(st, "threshold", 0.0)))
            goto done;
        if (kind == GB_EXPONENTIAL) {
            if ((rc = tr_affine1(c, raw, scaled, 0.0, 2.0)) ||
                (rc = tr_proba_step(c, scaled, proba, "logistic_binary")))
                goto done;
        } else if ((rc = tr_proba_step(c, raw, proba, "logistic_binary"))) {
            goto done;
        }
        if (c->final && (rc = sk_output_classifier(c, label, proba, classes, 2)))
            goto done;
        snprintf(c->last_label, sizeof(c->last_label), "%s", label);
        snprintf(out, 64, "%s", proba);
        *out_width = 2;
    }
done:
    tr_ens_free(&e);
    skc_tensor_free(classes);
    skc_tensor_free(rev);
    return rc;
}

static int tr_gb(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                 char *out, int64_t *out_width)
{
    return tr_lift_gb(c, est, in, in_width, out, out_width, tr_is_classifier(est));
}

/* ---- HistGradientBoosting ----------------------------------------------- */

typedef struct tr_hgb_pred {
    pk_array_info ai;
    tr_field value, feature, threshold, missing, left, right, is_leaf, is_cat, bitset_idx;
    const pk_obj *raw_bitsets;
    int64_t n_nodes, n_leaves, n_cat_nodes, n_bitsets;
} tr_hgb_pred;

static int tr_hgb_open(sk_ctx *c, const pk_obj *p, tr_hgb_pred *h)
{
    const pk_obj *nodes = pk_attr(p, "nodes");
    const char *cn = sk_canonical(p, NULL, NULL);
    pk_array_info bi;
    int64_t i;
    int rc;

    memset(h, 0, sizeof(*h));
    if (!cn || strcmp(cn, "sklearn.ensemble.TreePredictor") != 0)
        return sk_fail(c, SKC_E_FORMAT, "_predictors holds something other than TreePredictor");
    if ((rc = tr_records(c, nodes, "TreePredictor.nodes", &h->ai)))
        return rc;
    h->n_nodes = h->ai.shape[0];
    if (h->n_nodes < 1 || h->n_nodes > INT32_MAX)
        return sk_fail(c, SKC_E_FORMAT, "a TreePredictor has %lld nodes", (long long)h->n_nodes);
    /* 0.21-0.23 call the threshold 'threshold', 0.24+ 'num_threshold'. */
    if ((rc = tr_field_open(c, nodes, &h->ai, "value", 1, &h->value)) ||
        (rc = tr_field_open(c, nodes, &h->ai, "feature_idx", 1, &h->feature)) ||
        (rc = tr_field_open(c, nodes, &h->ai, "num_threshold", 0, &h->threshold)) ||
        (!h->threshold.present &&
         (rc = tr_field_open(c, nodes, &h->ai, "threshold", 1, &h->threshold))) ||
        (rc = tr_field_open(c, nodes, &h->ai, "missing_go_to_left", 0, &h->missing)) ||
        (rc = tr_field_open(c, nodes, &h->ai, "left", 1, &h->left)) ||
        (rc = tr_field_open(c, nodes, &h->ai, "right", 1, &h->right)) ||
        (rc = tr_field_open(c, nodes, &h->ai, "is_leaf", 1, &h->is_leaf)) ||
        (rc = tr_field_open(c, nodes, &h->ai, "is_categorical", 0, &h->is_cat)) ||
        (rc = tr_field_open(c, nodes, &h->ai, "bitset_idx", 0, &h->bitset_idx)))
        return rc;
    if (h->value.kind != 'f' || h->threshold.kind != 'f')
        return sk_fail(c, SKC_E_FORMAT, "TreePredictor value/threshold are not floating point");
    for (i = 0; i < h->n_nodes; i++) {
        if (tr_i64(&h->is_leaf, i))
            h->n_leaves++;
        else if (tr_i64(&h->is_cat, i))
            h->n_cat_nodes++;
    }
    if (h->n_cat_nodes) {
        h->raw_bitsets = pk_attr(p, "raw_left_cat_bitsets");
        if (!h->raw_bitsets || pk_array(h->raw_bitsets, &bi) != SKC_OK || bi.ndim != 2 ||
            bi.shape[1] != 8 || bi.kind != 'u')
            return sk_fail(c, SKC_E_FORMAT, "raw_left_cat_bitsets is not a [n, 8] uint32 array");
        h->n_bitsets = bi.shape[0];
    }
    return SKC_OK;
}

/* Known categories of each categorical feature (_BinMapper: is_categorical_
 * and, for those features, bin_thresholds_ = the categories seen in fit). */
typedef struct tr_known {
    uint32_t (*bits)[8];   /* per input column */
    int64_t n;
} tr_known;

static int tr_known_read(sk_ctx *c, const pk_obj *est, int64_t nf, tr_known *k)
{
    const pk_obj *bm = pk_attr(est, "_bin_mapper"), *isc, *thr;
    size_t i, n = 0;
    int rc;

    memset(k, 0, sizeof(*k));
    if (nf < 1)
        return sk_fail(c, SKC_E_FORMAT, "the number of features is unknown");
    if (!(k->bits = calloc((size_t)nf, sizeof(*k->bits))))
        return SKC_E_NOMEM;
    k->n = nf;
    isc = pk_attr(bm, "is_categorical_");
    if (!isc || pk_kind_of(isc) == PK_NONE)
        return SKC_OK;
    if ((rc = tr_list(c, bm, "bin_thresholds_", &thr, &n)))
        return rc;
    for (i = 0; i < (size_t)nf; i++) {
        double flag = 0.0;
        const pk_obj *cats;
        pk_array_info ai;
        int64_t j;
        if (pk_array_get_f64(isc, i, &flag) != SKC_OK || flag == 0.0)
            continue;
        cats = i < n ? tr_item(thr, i) : NULL;
        if (!cats || pk_array(cats, &ai) != SKC_OK || ai.ndim != 1)
            return sk_fail(c, SKC_E_FORMAT, "_bin_mapper lacks the categories of feature %zu", i);
        for (j = 0; j < ai.shape[0]; j++) {
            double v;
            if (pk_array_get_f64(cats, (size_t)j, &v) != SKC_OK)
                return sk_fail(c, SKC_E_FORMAT, "unreadable category of feature %zu", i);
            if (v >= 0.0 && v < 256.0)
                k->bits[i][(unsigned)v / 32] |= 1u << ((unsigned)v % 32);
        }
    }
    return SKC_OK;
}

/* Append one TreePredictor writing to column @p target. */
static int tr_hgb_add(sk_ctx *c, tr_ens *e, const tr_hgb_pred *h, const tr_known *kn,
                      int32_t target)
{
    int64_t i, base = e->m;

    if (e->t >= e->n_trees || h->n_nodes > e->n_nodes - e->m)
        return sk_fail(c, SKC_E_INTERNAL, "more predictors than counted");
    e->off[e->t] = base;
    e->tgt[e->t] = target;
    for (i = 0; i < h->n_nodes; i++) {
        int64_t m = base + i;
        if (e->ci)
            e->ci[m] = -1;
        if (tr_i64(&h->is_leaf, i)) {
            if (e->leaf >= e->n_leaves)
                return sk_fail(c, SKC_E_INTERNAL, "more leaves than counted");
            e->lt[m] = (int32_t)(-1 - e->leaf);
            e->rt[m] = e->feat[m] = -1;
            e->thr[m] = 0.0;
            e->ml[m] = 0;
            e->val[e->leaf++] = tr_f64(&h->value, i);
            continue;
        }
        {
            int64_t l = tr_i64(&h->left, i), r = tr_i64(&h->right, i);
            int64_t f = tr_i64(&h->feature, i);
            if (l <= i || r <= i || l >= h->n_nodes || r >= h->n_nodes)
                return sk_fail(c, SKC_E_FORMAT, "predictor node %lld has children %lld, %lld",
                               (long long)i, (long long)l, (long long)r);
            if (f < 0 || f >= kn->n)
                return sk_fail(c, SKC_E_FORMAT, "predictor node %lld splits on feature %lld",
                               (long long)i, (long long)f);
            e->lt[m] = (int32_t)l;
            e->rt[m] = (int32_t)r;
            e->feat[m] = (int32_t)f;
            e->thr[m] = tr_f64(&h->threshold, i);
            e->ml[m] = (uint8_t)(tr_i64(&h->missing, i) != 0);
            if (tr_i64(&h->is_cat, i)) {
                /* Left: the categories of the raw bitset, plus (when missing
                 * values go left) every category fit never saw; values
                 * that are no category 0..255 follow missing_go_to_left. */
                int64_t b = tr_i64(&h->bitset_idx, i), w;
                uint32_t *row;
                if (b < 0 || b >= h->n_bitsets || e->cat >= e->n_cat)
                    return sk_fail(c, SKC_E_FORMAT, "predictor node %lld has bitset %lld",
                                   (long long)i, (long long)b);
                row = e->cb + e->cat * 8;
                for (w = 0; w < 8; w++) {
                    double v = 0.0;
                    pk_array_get_f64(h->raw_bitsets, (size_t)(b * 8 + w), &v);
                    row[w] = (uint32_t)v;
                    if (e->ml[m])
                        row[w] |= ~kn->bits[f][w];
                }
                e->ci[m] = (int32_t)e->cat++;
            }
        }
    }
    e->m += h->n_nodes;
    e->t++;
    e->off[e->t] = e->m;
    return SKC_OK;
}

static int tr_lift_hgb(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                       char *out, int64_t *out_width, int classifier)
{
    skc_tensor *classes = NULL, *bp = NULL;
    const pk_obj *preds, *lossobj;
    const char *lcn = NULL;
    tr_ens e;
    tr_known kn;
    size_t n_iter, i, j;
    int64_t k = 1, ncls = 1, nf, total = 0, leaves = 0, ncat = 0, kk;
    double base[4096];
    char raw[64], proba[64];
    int rc, link_exp = 0;

    memset(&e, 0, sizeof(e));
    memset(&kn, 0, sizeof(kn));
    if (pk_attr(est, "_preprocessor") && pk_kind_of(pk_attr(est, "_preprocessor")) != PK_NONE)
        return sk_fail(c, SKC_E_UNSUPPORTED, "HistGradientBoosting with categorical_features="
                       "'from_dtype' (a fitted _preprocessor) is not supported yet");
    if (sk_attr_int(est, "n_trees_per_iteration_", &k) != SKC_OK || k < 1 || k > 4096)
        return sk_fail(c, SKC_E_FORMAT, "n_trees_per_iteration_ is missing or out of range");
    lossobj = pk_attr(est, "_loss");
    if (!lossobj)
        lossobj = pk_attr(est, "loss_");
    if (lossobj)
        lcn = sk_canonical(lossobj, NULL, NULL);
    if (classifier) {
        if ((rc = sk_classes(c, est, &classes)))
            return rc;
        ncls = skc_tensor_numel(classes);
        if (!((ncls == 2 && k == 1) || (ncls > 2 && k == ncls))) {
            rc = sk_fail(c, SKC_E_FORMAT, "%lld trees per iteration for %lld classes",
                         (long long)k, (long long)ncls);
            goto done;
        }
    } else if (k != 1) {
        return sk_fail(c, SKC_E_FORMAT, "a regressor with %lld trees per iteration", (long long)k);
    } else if (lcn && (strstr(lcn, "Poisson") || strstr(lcn, "Gamma") ||
                       (strstr(lcn, "Tweedie") && !strstr(lcn, "Identity")))) {
        /* Log link: predict is exp(raw). */
        link_exp = 1;
    }
    if ((rc = sk_attr_f64(c, est, "_baseline_prediction", &bp)))
        goto done;
    if (skc_tensor_numel(bp) != k) {
        rc = sk_fail(c, SKC_E_FORMAT, "_baseline_prediction has %lld values for %lld trees "
                     "per iteration", (long long)skc_tensor_numel(bp), (long long)k);
        goto done;
    }
    for (kk = 0; kk < k; kk++)
        base[kk] = skc_tensor_get_f64(bp, kk);
    if ((rc = tr_list(c, est, "_predictors", &preds, &n_iter)))
        goto done;
    if (n_iter == 0) {
        rc = sk_fail(c, SKC_E_FORMAT, "_predictors is empty");
        goto done;
    }
    for (i = 0; i < n_iter; i++) {
        const pk_obj *it = tr_item(preds, i);
        if (pk_len(it) != (size_t)k) {
            rc = sk_fail(c, SKC_E_FORMAT, "_predictors[%zu] has %zu trees", i, pk_len(it));
            goto done;
        }
        for (j = 0; j < (size_t)k; j++) {
            tr_hgb_pred h;
            if ((rc = tr_hgb_open(c, pk_item(it, j), &h)))
                goto done;
            total += h.n_nodes;
            leaves += h.n_leaves;
            ncat += h.n_cat_nodes;
        }
    }
    nf = tr_n_features(est, -1);
    if (nf < 0 && sk_attr_int(est, "_n_features", &nf) != SKC_OK)
        nf = -1;
    if ((rc = sk_check_width(c, in, in_width, nf)) ||
        (rc = tr_known_read(c, est, nf, &kn)) ||
        (rc = tr_ens_init(c, &e, (int64_t)n_iter * k, total, leaves, 1, 1, ncat)))
        goto done;
    for (i = 0; i < n_iter; i++)
        for (j = 0; j < (size_t)k; j++) {
            tr_hgb_pred h;
            if ((rc = tr_hgb_open(c, pk_item(tr_item(preds, i), j), &h)) ||
                (rc = tr_hgb_add(c, &e, &h, &kn, (int32_t)j)))
                goto done;
        }
    if (!classifier) {
        char r2[64];
        skc_step *st;
        sk_out_name(c, "variable", out);
        if (link_exp)
            sk_new_name(c, "raw", r2);
        else
            snprintf(r2, sizeof(r2), "%s", out);
        if ((rc = tr_ens_step(c, &e, in, nf, r2, "sum", 1, 0, 1.0, base)))
            goto done;
        if (link_exp && ((rc = sk_step(c, "activation", r2, out, &st)) ||
                         (rc = skc_step_set_string(st, "function", "exp"))))
            goto done;
        if (c->final && (rc = sk_output_regressor(c, out, 1)))
            goto done;
        *out_width = 1;
        goto done;
    }
    sk_new_name(c, "raw", raw);
    sk_out_name(c, "probabilities", proba);
    if ((rc = tr_ens_step(c, &e, in, nf, raw, "sum", k, 0, 1.0, base)) ||
        (rc = tr_proba_step(c, raw, proba, k == 1 ? "logistic_binary" : "softmax")) ||
        (rc = tr_classifier_tail(c, proba, proba, classes, ncls, out, out_width)))
        goto done;
done:
    free(kn.bits);
    tr_ens_free(&e);
    skc_tensor_free(classes);
    skc_tensor_free(bp);
    return rc;
}

static int tr_hgb(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                  char *out, int64_t *out_width)
{
    return tr_lift_hgb(c, est, in, in_width, out, out_width, tr_is_classifier(est));
}

/* ---- IsolationForest --------------------------------------------------- */

static int tr_iforest(sk_ctx *c, const pk_obj *est, const char *in, int64_t in_width,
                      char *out, int64_t *out_width)
{
    const pk_obj *list;
    skc_tensor *classes = NULL;
    tr_ens e;
    tr_feats fs;
    size_t n, i;
    int64_t nf, total, leaves, max_samples, two = 2;
    double offset, denom;
    char depths[64], ss[64], scores[64], neg[64], label[64];
    skc_step *st;
    int rc;

    memset(&e, 0, sizeof(e));
    memset(&fs, 0, sizeof(fs));
    if ((rc = tr_members(c, est, 0, 0, &list, &n)))
        return rc;
    if (pk_float(pk_attr(est, "offset_"), &offset) != SKC_OK ||
        sk_attr_int(est, "max_samples_", &max_samples) != SKC_OK)
        return sk_fail(c, SKC_E_FORMAT, "offset_ or max_samples_ is missing");
    nf = tr_n_features(est, tr_tree_n_features(tr_item(list, 0)));
    if ((rc = sk_check_width(c, in, in_width, nf)) ||
        (rc = tr_feats_read(c, est, n, nf, &fs)))
        return rc;
    if ((rc = tr_count(c, est, list, n, &total, &leaves)) ||
        (rc = tr_ens_init(c, &e, (int64_t)n, total, leaves, 1, 0, 0)))
        goto done;
    for (i = 0; i < n; i++) {
        tr_tree t;
        tr_leaf sp = { .kind = TR_PATH };
        if (fs.count) {
            sp.feat = fs.v[i];
            sp.n_feat = fs.n[i];
        }
        if ((rc = tr_tree_open(c, tr_item(list, i), &t)))
            goto done;
        if (!t.samples.present) {
            rc = sk_fail(c, SKC_E_FORMAT, "tree nodes lack n_node_samples");
            goto done;
        }
        if ((rc = tr_ens_add(c, &e, &t, &sp)))
            goto done;
    }
    /* _compute_score_samples: len(estimators_) * c(max_samples_). */
    denom = (double)n * tr_avg_path((double)max_samples);
    sk_new_name(c, "path_length", depths);
    sk_out_name(c, "score_samples", ss);
    sk_out_name(c, "scores", scores);
    sk_out_name(c, "label", label);
    sk_new_name(c, "neg_scores", neg);
    if ((rc = tr_ens_step(c, &e, in, nf, depths, "sum", 1, 1, 1.0, NULL)) ||
        (rc = sk_step(c, "iforest_score", depths, ss, &st)) ||
        (rc = skc_step_set_float(st, "denominator", denom)) ||
        (rc = tr_affine1(c, ss, scores, offset, 1.0)) ||
        (rc = tr_affine1(c, ss, neg, offset, -1.0)))
        goto done;
    /* predict: -1 where decision_function < 0, else 1: "-d > 0" picks
     * classes[1] = -1. */
    if ((rc = skc_tensor_new(SKC_DT_I64, 1, &two, &classes)))
        goto done;
    ((int64_t *)skc_tensor_data_mut(classes))[0] = 1;
    ((int64_t *)skc_tensor_data_mut(classes))[1] = -1;
    if ((rc = sk_step(c, "label", neg, label, &st)) ||
        (rc = skc_step_set_tensor(st, "classes", classes)) ||
        (rc = skc_step_set_string(st, "mode", "threshold")) ||
        (rc = skc_step_set_float(st, "threshold", 0.0)))
        goto done;
    if (c->final && ((rc = sk_output_classifier(c, label, NULL, classes, 2)) ||
                     (rc = sk_output_regressor(c, scores, 1)) ||
                     (rc = sk_output_regressor(c, ss, 1))))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", scores);
    *out_width = 1;
done:
    tr_feats_free(&fs);
    tr_ens_free(&e);
    skc_tensor_free(classes);
    return rc;
}

/* ---- AdaBoost ------------------------------------------------------------ */

/* The sklearn version that wrote @p est as major * 100 + minor (1.3 is
 * 103), or -1 when the pickle does not say (before 0.18). Only used where
 * a behaviour changed with no trace in the state (see the table). */
static int tr_version(const pk_obj *est)
{
    const char *v = sk_attr_str(est, "_sklearn_version");
    int major, minor;

    if (!v || sscanf(v, "%d.%d", &major, &minor) != 2 || major < 0 || minor < 0 || minor > 99)
        return -1;
    return major * 100 + minor;
}

/* One tree_ensemble over an AdaBoost's trees with leaves of @p kind,
 * summed and divided by the weights' total (decision_function). */
static int tr_ada_ensemble(sk_ctx *c, const pk_obj *est, const pk_obj *list, size_t n,
                           const double *w, double wsum, int kind, int symmetric,
                           const char *in, int64_t nf, const char *out, int64_t k)
{
    tr_ens e;
    int64_t total, leaves;
    size_t i;
    int rc;

    memset(&e, 0, sizeof(e));
    if ((rc = tr_count(c, est, list, n, &total, &leaves)) ||
        (rc = tr_ens_init(c, &e, (int64_t)n, total, leaves, k, 0, 0)))
        goto done;
    for (i = 0; i < n; i++) {
        tr_tree t;
        tr_leaf sp = { .kind = kind, .k = k, .weight = w[i] };
        /* sklearn ≥ 1.3: -w / (K - 1) for the classes not predicted. */
        if (symmetric)
            sp.other = -1.0 / (double)(k - 1) * w[i];
        if ((rc = tr_tree_open(c, tr_item(list, i), &t)))
            goto done;
        if (t.n_cls != k) {
            rc = sk_fail(c, SKC_E_FORMAT, "estimators_[%zu] has %lld classes, the model %lld",
                         i, (long long)t.n_cls, (long long)k);
            goto done;
        }
        if ((rc = tr_ens_add(c, &e, &t, &sp)))
            goto done;
    }
    rc = tr_ens_step(c, &e, in, nf, out, "sum", k, 1, 1.0 / wsum, NULL);
done:
    tr_ens_free(&e);
    return rc;
}

/* estimator_weights_: the first @p n (one per fitted estimator) in *w,
 * and the sum of all of them, which sklearn divides by (weights of
 * estimators an early stop never fitted are 0). */
static int tr_weights(sk_ctx *c, const pk_obj *est, size_t n, double **w, double *sum)
{
    skc_tensor *t = NULL;
    int64_t i, m;
    int rc;

    if ((rc = sk_attr_f64(c, est, "estimator_weights_", &t)))
        return rc;
    m = skc_tensor_numel(t);
    if ((size_t)m < n) {
        skc_tensor_free(t);
        return sk_fail(c, SKC_E_FORMAT, "estimator_weights_ is shorter than estimators_");
    }
    if (!(*w = malloc((size_t)(m ? m : 1) * sizeof(double)))) {
        skc_tensor_free(t);
        return SKC_E_NOMEM;
    }
    *sum = 0.0;
    for (i = 0; i < m; i++) {
        (*w)[i] = skc_tensor_get_f64(t, i);
        *sum += (*w)[i];
    }
    skc_tensor_free(t);
    return SKC_OK;
}

/* Probabilities softmax(decision / (K - 1)); binary: softmax([-d, d] / 2).
 * sklearn < 0.22 with SAMME: softmax of the weighted mean of the trees'
 * predict_proba, divided by K - 1. Labels: classes_[d > 0] (binary) or
 * the argmax of the decision. */
static int tr_adaboost_classifier(sk_ctx *c, const pk_obj *est, const char *in,
                                  int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *classes = NULL, *off = NULL, *scl = NULL;
    const pk_obj *list;
    const char *algo = sk_attr_str(est, "algorithm");
    double *w = NULL, wsum;
    size_t n;
    int64_t k, nf, j;
    int samme_r, ver = tr_version(est), old_proba, rc;
    char pred[64], pw[64], dec[64], sc[64], proba[64], label[64];
    skc_step *st;

    if ((rc = tr_single_output_classes(c, est, &classes)))
        return rc;
    k = skc_tensor_numel(classes);
    if (k < 2) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "a classifier fitted on one class");
        goto done;
    }
    samme_r = algo && strcmp(algo, "SAMME.R") == 0;
    old_proba = !samme_r && ver < 22;
    if ((rc = tr_members(c, est, 1, 0, &list, &n)) ||
        (rc = tr_weights(c, est, n, &w, &wsum)))
        goto done;
    if (wsum == 0.0) {
        rc = sk_fail(c, SKC_E_FORMAT, "estimator_weights_ sum to 0");
        goto done;
    }
    nf = tr_n_features(est, tr_tree_n_features(tr_item(list, 0)));
    if ((rc = sk_check_width(c, in, in_width, nf)))
        goto done;
    sk_new_name(c, "votes", pred);
    sk_new_name(c, "decision", dec);
    sk_new_name(c, "scaled_decision", sc);
    sk_out_name(c, "probabilities", proba);
    sk_out_name(c, "label", label);
    if ((rc = tr_ada_ensemble(c, est, list, n, w, wsum, samme_r ? TR_SAMME_R : TR_SAMME,
                              !samme_r && ver >= 103, in, nf, pred, k)))
        goto done;
    if (k == 2) {
        static const double diff[2] = { -1.0, 1.0 }, half[2] = { -0.5, 0.5 };
        if ((rc = tr_linear(c, pred, dec, diff, 1, 2)) ||
            (rc = sk_step(c, "label", dec, label, &st)) ||
            (rc = skc_step_set_tensor(st, "classes", classes)) ||
            (rc = skc_step_set_string(st, "mode", "threshold")) ||
            (rc = skc_step_set_float(st, "threshold", 0.0)))
            goto done;
        if (!old_proba && ((rc = tr_linear(c, dec, sc, half, 2, 1)) ||
                           (rc = tr_proba_step(c, sc, proba, "softmax"))))
            goto done;
    } else if ((rc = sk_step(c, "label", pred, label, &st)) ||
               (rc = skc_step_set_tensor(st, "classes", classes)) ||
               (rc = skc_step_set_string(st, "mode", "argmax"))) {
        goto done;
    }
    if (old_proba || k > 2) {
        const char *src = pred;
        if (old_proba) {
            sk_new_name(c, "weighted_proba", pw);
            if ((rc = tr_ada_ensemble(c, est, list, n, w, wsum, TR_PROBA_W, 0, in, nf, pw, k)))
                goto done;
            src = pw;
        }
        if ((rc = skc_tensor_new(SKC_DT_F64, 1, &k, &off)) ||
            (rc = skc_tensor_new(SKC_DT_F64, 1, &k, &scl)))
            goto done;
        for (j = 0; j < k; j++)
            ((double *)skc_tensor_data_mut(scl))[j] = 1.0 / (double)(k - 1);
        if ((rc = sk_step(c, "scaler", src, sc, &st)) ||
            (rc = skc_step_set_tensor(st, "offset", off)) ||
            (rc = skc_step_set_tensor(st, "scale", scl)) ||
            (rc = tr_proba_step(c, sc, proba, "softmax")))
            goto done;
    }
    if (c->final && (rc = sk_output_classifier(c, label, proba, classes, k)))
        goto done;
    snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    snprintf(out, 64, "%s", proba);
    *out_width = k;
done:
    free(w);
    skc_tensor_free(off);
    skc_tensor_free(scl);
    skc_tensor_free(classes);
    return rc;
}

static int tr_adaboost_regressor(sk_ctx *c, const pk_obj *est, const char *in,
                                 int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *list;
    skc_tensor *wt = NULL;
    double *w = NULL, wsum;
    tr_ens e;
    size_t n, i;
    int64_t nf, total, leaves;
    char preds[64];
    skc_step *st;
    int rc;

    memset(&e, 0, sizeof(e));
    if ((rc = tr_members(c, est, 0, 0, &list, &n)) ||
        (rc = tr_weights(c, est, n, &w, &wsum)))
        goto done;
    nf = tr_n_features(est, tr_tree_n_features(tr_item(list, 0)));
    if ((rc = sk_check_width(c, in, in_width, nf)))
        goto done;
    if ((rc = tr_count(c, est, list, n, &total, &leaves)) ||
        (rc = tr_ens_init(c, &e, (int64_t)n, total, leaves, 1, 0, 0)))
        goto done;
    for (i = 0; i < n; i++) {
        tr_tree t;
        tr_leaf sp = { .kind = TR_RAW };
        if ((rc = tr_tree_open(c, tr_item(list, i), &t)))
            goto done;
        if (t.n_outputs != 1) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "AdaBoostRegressor of multi-output trees");
            goto done;
        }
        if ((rc = tr_ens_add(c, &e, &t, &sp)))
            goto done;
    }
    /* Weights of the fitted estimators only (_get_median_predict). */
    if ((rc = skc_tensor_from_f64(w, (int64_t)n, &wt)))
        goto done;
    sk_new_name(c, "predictions", preds);
    sk_out_name(c, "variable", out);
    if ((rc = tr_ens_step(c, &e, in, nf, preds, "none", (int64_t)n, 1, 1.0, NULL)) ||
        (rc = sk_step(c, "weighted_median", preds, out, &st)) ||
        (rc = skc_step_set_tensor(st, "weights", wt)))
        goto done;
    if (c->final && (rc = sk_output_regressor(c, out, 1)))
        goto done;
    *out_width = 1;
done:
    free(w);
    skc_tensor_free(wt);
    tr_ens_free(&e);
    return rc;
}

const sk_family sk_trees_families[] = {
    { "sklearn.tree.DecisionTreeClassifier", SK_CLASSIFIER, tr_forest },
    { "sklearn.tree.ExtraTreeClassifier", SK_CLASSIFIER, tr_forest },
    { "sklearn.tree.DecisionTreeRegressor", SK_REGRESSOR, tr_forest },
    { "sklearn.tree.ExtraTreeRegressor", SK_REGRESSOR, tr_forest },
    { "sklearn.ensemble.RandomForestClassifier", SK_CLASSIFIER, tr_forest },
    { "sklearn.ensemble.ExtraTreesClassifier", SK_CLASSIFIER, tr_forest },
    { "sklearn.ensemble.BaggingClassifier", SK_CLASSIFIER, tr_forest },
    { "sklearn.ensemble.RandomForestRegressor", SK_REGRESSOR, tr_forest },
    { "sklearn.ensemble.ExtraTreesRegressor", SK_REGRESSOR, tr_forest },
    { "sklearn.ensemble.BaggingRegressor", SK_REGRESSOR, tr_forest },
    { "sklearn.ensemble.GradientBoostingClassifier", SK_CLASSIFIER, tr_gb },
    { "sklearn.ensemble.GradientBoostingRegressor", SK_REGRESSOR, tr_gb },
    { "sklearn.ensemble.HistGradientBoostingClassifier", SK_CLASSIFIER, tr_hgb },
    { "sklearn.ensemble.HistGradientBoostingRegressor", SK_REGRESSOR, tr_hgb },
    { "sklearn.ensemble.IsolationForest", SK_CLASSIFIER, tr_iforest },
    { "sklearn.ensemble.AdaBoostClassifier", SK_CLASSIFIER, tr_adaboost_classifier },
    { "sklearn.ensemble.AdaBoostRegressor", SK_REGRESSOR, tr_adaboost_regressor },
    { NULL, 0, NULL }
};
