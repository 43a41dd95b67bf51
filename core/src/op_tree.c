/* SPDX-License-Identifier: MIT */
/* op_tree.c: reference semantics of the tree IR operations (core/OPS.md): tree_ensemble, iforest_score, weighted_median, multi_label. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

enum { TREE_SUM = 0, TREE_AVERAGE, TREE_NONE };

/* Every attribute of a tree_ensemble step, borrowed from the step. */
typedef struct tree_view {
    int64_t n_trees, n_nodes, n_leaves, width, n_targets, n_cat;
    const int64_t *offsets;
    const int32_t *feature, *left, *right, *target, *cat_index;
    const double *threshold, *value, *base;
    const uint8_t *missing_left;
    const uint32_t *cat_bitset;
    double scale;
    int agg;
    int x_float32;
    int sum_float32;
} tree_view;

/* Tensor attribute @p key of type @p dtype and rank @p ndim; absent is an
 * error only when @p required. */
static int tree_tensor(const skc_step *s, const char *key, int dtype, int ndim,
                       int required, const skc_tensor **t, char *err, size_t errlen)
{
    *t = NULL;
    if (skc_step_get_tensor(s, key, t) != SKC_OK) {
        *t = NULL;
        if (!required)
            return SKC_OK;
        skci_errf(err, errlen, "step '%s' lacks tensor attribute '%s'", s->op, key);
        return SKC_E_FORMAT;
    }
    if (skc_tensor_dtype(*t) != dtype || skc_tensor_ndim(*t) != ndim) {
        skci_errf(err, errlen, "step '%s': attribute '%s' must be a %d-D %s tensor",
                  s->op, key, ndim, skc_dtype_name(dtype));
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int tree_bad(const skc_step *s, char *err, size_t errlen, const char *what,
                    long long a, long long b)
{
    skci_errf(err, errlen, "step '%s': %s (%lld, %lld)", s->op, what, a, b);
    return SKC_E_FORMAT;
}

/* How much tree_load proves. */
enum {
    TREE_ATTRS = 0,  /* read the attributes (evaluation walks defensively) */
    TREE_SHAPES,     /* and check what costs O(trees): lengths, offsets, targets */
    TREE_NODES       /* and every node: what writers rely on (tree_ensemble_check) */
};

/* Read the attributes; from TREE_SHAPES on, check the arrays' lengths and
 * the tree ranges; with TREE_NODES, also prove that every tree is a
 * proper binary tree whose walk ends (children always come after their
 * parent, inside the tree) and whose leaves number value's rows in node
 * order, so a writer can rely on the structure. */
static int tree_prove(const skc_step *s, const tree_view *v, char *err, size_t errlen);

static int tree_load(const skc_step *s, tree_view *v, int level, char *err, size_t errlen)
{
    const skc_tensor *off, *feat, *thr, *lt, *rt, *ml, *val, *tgt, *ci, *cb, *base;
    const char *agg = "sum";
    int64_t nt = 0, xf = 0, t;
    int rc;

    memset(v, 0, sizeof(*v));
    if ((rc = tree_tensor(s, "tree_offsets", SKC_DT_I64, 1, 1, &off, err, errlen)) ||
        (rc = tree_tensor(s, "feature", SKC_DT_I32, 1, 1, &feat, err, errlen)) ||
        (rc = tree_tensor(s, "threshold", SKC_DT_F64, 1, 1, &thr, err, errlen)) ||
        (rc = tree_tensor(s, "left", SKC_DT_I32, 1, 1, &lt, err, errlen)) ||
        (rc = tree_tensor(s, "right", SKC_DT_I32, 1, 1, &rt, err, errlen)) ||
        (rc = tree_tensor(s, "missing_left", SKC_DT_U8, 1, 1, &ml, err, errlen)) ||
        (rc = tree_tensor(s, "value", SKC_DT_F64, 2, 1, &val, err, errlen)) ||
        (rc = tree_tensor(s, "target", SKC_DT_I32, 1, 0, &tgt, err, errlen)) ||
        (rc = tree_tensor(s, "cat_index", SKC_DT_I32, 1, 0, &ci, err, errlen)) ||
        (rc = tree_tensor(s, "cat_bitset", SKC_DT_U32, 2, 0, &cb, err, errlen)) ||
        (rc = tree_tensor(s, "base", SKC_DT_F64, 1, 0, &base, err, errlen)))
        return rc;
    if (skc_step_get_int(s, "n_targets", &nt) != SKC_OK || nt < 1) {
        skci_errf(err, errlen, "step '%s' needs int attribute 'n_targets' >= 1", s->op);
        return SKC_E_FORMAT;
    }
    skc_step_get_string(s, "aggregate", &agg);
    if (strcmp(agg, "sum") == 0)
        v->agg = TREE_SUM;
    else if (strcmp(agg, "average") == 0)
        v->agg = TREE_AVERAGE;
    else if (strcmp(agg, "none") == 0)
        v->agg = TREE_NONE;
    else {
        skci_errf(err, errlen, "step '%s': aggregate must be sum, average or none", s->op);
        return SKC_E_FORMAT;
    }
    skc_step_get_int(s, "x_float32", &xf);
    v->x_float32 = xf != 0;
    xf = 0;
    skc_step_get_int(s, "sum_float32", &xf);
    v->sum_float32 = xf != 0;
    v->scale = 1.0;
    skc_step_get_float(s, "scale", &v->scale);
    v->n_targets = nt;
    v->n_trees = skc_tensor_numel(off) - 1;
    v->n_nodes = skc_tensor_numel(feat);
    v->n_leaves = skc_tensor_shape(val)[0];
    v->width = skc_tensor_shape(val)[1];
    v->offsets = skc_tensor_data(off);
    v->feature = skc_tensor_data(feat);
    v->threshold = skc_tensor_data(thr);
    v->left = skc_tensor_data(lt);
    v->right = skc_tensor_data(rt);
    v->missing_left = skc_tensor_data(ml);
    v->value = skc_tensor_data(val);
    v->target = tgt ? skc_tensor_data(tgt) : NULL;
    v->cat_index = ci ? skc_tensor_data(ci) : NULL;
    v->cat_bitset = cb ? skc_tensor_data(cb) : NULL;
    v->n_cat = cb ? skc_tensor_shape(cb)[0] : 0;
    v->base = base ? skc_tensor_data(base) : NULL;
    if (level == TREE_ATTRS)
        return SKC_OK;

    if (v->n_trees < 1 || v->offsets[0] != 0 || v->offsets[v->n_trees] != v->n_nodes)
        return tree_bad(s, err, errlen, "tree_offsets must run from 0 to the node count",
                        (long long)v->n_trees, (long long)v->n_nodes);
    if (skc_tensor_numel(thr) != v->n_nodes || skc_tensor_numel(lt) != v->n_nodes ||
        skc_tensor_numel(rt) != v->n_nodes || skc_tensor_numel(ml) != v->n_nodes ||
        (ci && skc_tensor_numel(ci) != v->n_nodes))
        return tree_bad(s, err, errlen, "node arrays differ in length",
                        (long long)v->n_nodes, (long long)skc_tensor_numel(thr));
    if (v->width < 1)
        return tree_bad(s, err, errlen, "value needs at least one column", 0, 0);
    if (v->agg == TREE_NONE) {
        if (v->width != 1 || nt != v->n_trees || tgt || base)
            return tree_bad(s, err, errlen, "aggregate none needs one value column, "
                            "n_targets = trees, no target and no base",
                            (long long)v->width, (long long)nt);
    } else if (tgt) {
        if (v->width != 1 || skc_tensor_numel(tgt) != v->n_trees)
            return tree_bad(s, err, errlen, "target needs one value column and one entry per tree",
                            (long long)v->width, (long long)skc_tensor_numel(tgt));
        for (t = 0; t < v->n_trees; t++)
            if (v->target[t] < 0 || v->target[t] >= nt)
                return tree_bad(s, err, errlen, "target out of range", (long long)t,
                                (long long)v->target[t]);
    } else if (v->width != nt) {
        return tree_bad(s, err, errlen, "value columns differ from n_targets",
                        (long long)v->width, (long long)nt);
    }
    if (base && skc_tensor_numel(base) != nt)
        return tree_bad(s, err, errlen, "base needs n_targets entries",
                        (long long)skc_tensor_numel(base), (long long)nt);
    if ((ci == NULL) != (cb == NULL) || (cb && skc_tensor_shape(cb)[1] != 8))
        return tree_bad(s, err, errlen, "cat_index and cat_bitset [n, 8] go together", 0, 0);
    if (!isfinite(v->scale))
        return tree_bad(s, err, errlen, "scale is not finite", 0, 0);
    for (t = 0; t < v->n_trees; t++) {
        int64_t lo = v->offsets[t], hi = v->offsets[t + 1];
        if (hi <= lo || hi > v->n_nodes || hi - lo > INT32_MAX)
            return tree_bad(s, err, errlen, "tree has a bad node range", (long long)lo,
                            (long long)hi);
    }
    if (level < TREE_NODES)
        return SKC_OK;
    return tree_prove(s, v, err, errlen);
}

/* One part of tree_prove: trees [lo, hi), leaves numbered on from
 * @p from, or (from < 0) from whatever the part's first leaf says. */
typedef struct tree_part {
    const tree_view *v;
    int64_t lo, hi, from, leaves;
    long long bad_i, bad_l;
    const char *bad;
} tree_part;

static const char tree_leaf_rule[] =
    "a leaf needs left = -1 - its value row (rows in node order) and right = -1";

/* The first fault a part found: what, at node @p i, with value @p l. */
static void tree_part_bad(tree_part *p, const char *what, int64_t i, int64_t l)
{
    p->bad = what;
    p->bad_i = (long long)i;
    p->bad_l = (long long)l;
}

/* Whether tree @p t keeps every rule tree_prove_part checks (leaves
 * numbered on from *leaves, which it advances), without a branch per
 * node: the rules of each node folded into one flag. Categorical splits
 * are left to tree_prove_part. */
static int tree_scan_ok(const tree_view *v, int64_t t, int64_t *leaves)
{
    const int32_t *left = v->left, *right = v->right, *feature = v->feature;
    int64_t lo = v->offsets[t], n = v->offsets[t + 1] - lo, j, lv = *leaves;
    int bad = 0;

    for (j = 0; j < n; j++) {
        int64_t l = left[lo + j], r = right[lo + j];
        int leaf = l < 0, split = l >= 0;
        bad |= leaf & ((r != -1) | (-1 - l != lv));
        bad |= split & ((l <= j) | (r <= j) | (l >= n) | (r >= n) | (feature[lo + j] < 0));
        lv += leaf;
    }
    *leaves = lv;
    return !bad;
}

/* The first leaf among nodes [lo, hi), or hi when there is none. */
static int64_t tree_first_leaf(const tree_view *v, int64_t lo, int64_t hi)
{
    while (lo < hi && v->left[lo] >= 0)
        lo++;
    return lo;
}

static void *tree_prove_part(void *arg)
{
    tree_part *p = arg;
    const tree_view *v = p->v;
    int64_t t, i, leaves = p->from;

    p->bad = NULL;
    for (t = p->lo; t < p->hi && !p->bad; t++) {
        int64_t lo = v->offsets[t], hi = v->offsets[t + 1];
        if (leaves < 0 && (i = tree_first_leaf(v, lo, hi)) < hi)
            leaves = -1 - (int64_t)v->left[i];   /* the part's numbering starts here */
        if (!v->cat_index && leaves >= 0) {
            int64_t at = leaves;
            if (tree_scan_ok(v, t, &at)) {
                leaves = at;
                continue;
            }
        }
        /* Node by node: the first fault, named. */
        for (i = lo; i < hi; i++) {
            int64_t j = i - lo, l = v->left[i], r = v->right[i];
            if (l < 0) {
                /* A leaf: left = -1 - its row in value, rows in node order. */
                if (r != -1 || -1 - l != leaves) {
                    tree_part_bad(p, tree_leaf_rule, i, l);
                    break;
                }
                leaves++;
                continue;
            }
            if (l <= j || r <= j || l >= hi - lo || r >= hi - lo || v->feature[i] < 0) {
                tree_part_bad(p, "a split's children must follow it in its tree", i, l);
                break;
            }
            if (v->cat_index && (v->cat_index[i] < -1 || v->cat_index[i] >= v->n_cat)) {
                tree_part_bad(p, "cat_index out of range", i, v->cat_index[i]);
                break;
            }
        }
    }
    p->leaves = leaves;
    return NULL;
}

/* Below this many nodes one thread proves the trees quicker. */
#define TREE_PROVE_THREAD_MIN 100000

/* Every tree a proper binary tree whose walk ends and whose leaves number
 * value's rows in node order; a large ensemble in two halves on two
 * threads, the second half's numbering checked against the first's
 * count afterwards. */
static int tree_prove(const skc_step *s, const tree_view *v, char *err, size_t errlen)
{
    tree_part a = { v, 0, v->n_trees, 0, 0, 0, 0, NULL };
    tree_part b = a;
    pthread_t th;
    int threaded = 0;

    if (v->n_nodes >= TREE_PROVE_THREAD_MIN && v->n_trees >= 2 && skc_threads() > 1) {
        a.hi = b.lo = v->n_trees / 2;
        b.from = -1;
        threaded = pthread_create(&th, NULL, tree_prove_part, &b) == 0;
        if (!threaded) {
            a.hi = v->n_trees;
            b.lo = b.hi;
        }
    }
    tree_prove_part(&a);
    if (threaded)
        pthread_join(th, NULL);
    if (!a.bad && threaded) {
        /* The second half's first leaf must continue the first half's. */
        int64_t i = tree_first_leaf(v, v->offsets[b.lo], v->n_nodes);
        if (i < v->n_nodes && -1 - (int64_t)v->left[i] != a.leaves &&
            (!b.bad || b.bad_i > (long long)i))
            tree_part_bad(&b, tree_leaf_rule, i, v->left[i]);
        a.bad = b.bad;
        a.bad_i = b.bad_i;
        a.bad_l = b.bad_l;
        a.leaves = b.leaves;
    }
    if (a.bad)
        return tree_bad(s, err, errlen, a.bad, a.bad_i, a.bad_l);
    if (a.leaves != v->n_leaves)
        return tree_bad(s, err, errlen, "value needs one row per leaf", (long long)a.leaves,
                        (long long)v->n_leaves);
    return SKC_OK;
}

static int tree_ensemble_check(const skc_step *s, char *err, size_t errlen)
{
    tree_view v;

    return tree_load(s, &v, TREE_NODES, err, errlen);
}

/* Before evaluation: the node proof only when the structure is in
 * memory anyway, since its cost is then small next to building it; for
 * arrays used in place from a mapped file (a .skm) it would be a pass over
 * the whole file at open, and tree_step checks each step it takes. */
static int tree_ensemble_check_eval(const skc_step *s, char *err, size_t errlen)
{
    static const char *const nodes[] = { "tree_offsets", "feature", "left", "right" };
    const skc_tensor *t;
    tree_view v;
    size_t k;
    int level = TREE_SHAPES;

    for (k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++)
        if (skc_step_get_tensor(s, nodes[k], &t) == SKC_OK && !skci_tensor_borrowed(t))
            level = TREE_NODES;
    return tree_load(s, &v, level, err, errlen);
}

/* sklearn's routing: a NaN follows missing_left; a categorical split
 * sends a value to the left when its category (the value truncated) is in
 * the bitset, and values that are not a category 0..255 follow
 * missing_left like NaN; otherwise x <= threshold goes left. Trees of
 * sklearn.tree compare float32(x) (x_float32), HistGradientBoosting
 * compares x itself. */
/* One level of the walk from tree-local node @p j of the tree at @p off
 * (@p size nodes): 1 with the next node in *next, 0 at a leaf with its
 * row in value in *next, -1 when the walk meets a node the structural
 * check would refuse or a column the input lacks. The walk tests what it
 * reads (a few compares per level, next to the loads it makes anyway), so
 * evaluation is safe without tree_load's proof and needs no pass over all
 * nodes (such as for the largest column) before the first row. */
static int tree_step(const tree_view *v, int64_t off, int64_t size, int64_t j,
                     const double *x, int64_t cols, int64_t *next)
{
    int64_t i = off + j, l = v->left[i], r, f;
    double xv;
    int left;

    if (l < 0) {
        *next = -1 - l;
        return -1 - l < v->n_leaves ? 0 : -1;
    }
    r = v->right[i];
    f = v->feature[i];
    if (l <= j || r <= j || l >= size || r >= size || f < 0 || f >= cols)
        return -1;
    xv = x[f];
    if (v->x_float32)
        xv = (double)(float)xv;
    if (isnan(xv)) {
        left = v->missing_left[i];
    } else if (v->cat_index && v->cat_index[i] >= 0) {
        if (v->cat_index[i] >= v->n_cat)
            return -1;
        if (xv < 0.0 || xv >= 256.0) {
            left = v->missing_left[i];
        } else {
            unsigned c = (unsigned)xv;
            left = (v->cat_bitset[v->cat_index[i] * 8 + c / 32] >> (c % 32)) & 1u;
        }
    } else {
        left = xv <= v->threshold[i];
    }
    *next = left ? l : r;
    return 1;
}

/* The leaf rows of tree @p t for rows @p x[0 .. nb-1] (stride @p cols)
 * into @p leaf, all rows walked a level at a time: their loads do not
 * depend on each other, so the memory system fetches them together
 * instead of one cache miss after another. -1 when a walk fails. */
static int tree_leaves(const tree_view *v, int64_t t, const double *x, int64_t nb,
                       int64_t cols, int64_t *cur, int64_t *leaf)
{
    int64_t off = v->offsets[t], size = v->offsets[t + 1] - off, r, live = nb;

    for (r = 0; r < nb; r++)
        cur[r] = 0;
    while (live > 0) {
        live = 0;
        for (r = 0; r < nb; r++) {
            int st;
            if (cur[r] < 0)
                continue;
            st = tree_step(v, off, size, cur[r], x + r * cols, cols, &cur[r]);
            if (st < 0)
                return -1;
            if (st == 0) {
                leaf[r] = cur[r];
                cur[r] = -1;
            } else {
                /* The next node's fields are fetched while the other
                 * rows of the block take their step. */
                int64_t i = off + cur[r];
                __builtin_prefetch(&v->left[i]);
                __builtin_prefetch(&v->right[i]);
                __builtin_prefetch(&v->feature[i]);
                __builtin_prefetch(&v->threshold[i]);
                live++;
            }
        }
    }
    return 0;
}

/* Rows evaluated together: each tree is walked for all of them before
 * the next tree, so its nodes are fetched from memory once per block,
 * not once per row (a forest of hundreds of trees does not fit in cache).
 * Each row still adds the trees in order 0..n-1, so sums are the same
 * bit for bit as row by row. */
#define TREE_BLOCK 64

/* a + b, in float32 when the step sums as ONNX Runtime does for floats. */
static double tree_add(const tree_view *v, double a, double b)
{
    return v->sum_float32 ? (double)((float)a + (float)b) : a + b;
}

/* Rows [lo, hi) of y = the ensemble on x (@p f columns), a block of rows
 * at a time; on failure the tree that failed, else -1. */
typedef struct tree_rows {
    const tree_view *v;
    const double *x;
    double *y;
    int64_t f, lo, hi, bad;
} tree_rows;

static void *tree_eval_rows(void *arg)
{
    tree_rows *p = arg;
    const tree_view *v = p->v;
    double *y = p->y;
    int64_t r0, r, t, k, nb, cur[TREE_BLOCK], lrow[TREE_BLOCK];

    p->bad = -1;
    for (r0 = p->lo; r0 < p->hi; r0 += TREE_BLOCK) {
        nb = p->hi - r0 < TREE_BLOCK ? p->hi - r0 : TREE_BLOCK;
        if (v->base)
            for (r = r0; r < r0 + nb; r++)
                for (k = 0; k < v->n_targets; k++)
                    y[r * v->n_targets + k] = tree_add(v, 0.0, v->base[k]);
        /* Trees are visited in order and each adds scale * value, as
         * sklearn's forests and predict_stages accumulate. */
        for (t = 0; t < v->n_trees; t++) {
            if (tree_leaves(v, t, p->x + r0 * p->f, nb, p->f, cur, lrow) < 0) {
                p->bad = t;
                return NULL;
            }
            for (r = r0; r < r0 + nb; r++) {
                double *yr = y + r * v->n_targets;
                const double *leaf = v->value + lrow[r - r0] * v->width;
                if (v->agg == TREE_NONE)
                    yr[t] = leaf[0];
                else if (v->target)
                    yr[v->target[t]] = tree_add(v, yr[v->target[t]], v->scale * leaf[0]);
                else
                    for (k = 0; k < v->width; k++)
                        yr[k] = tree_add(v, yr[k], v->scale * leaf[k]);
            }
        }
        if (v->agg == TREE_AVERAGE)
            for (r = r0; r < r0 + nb; r++)
                for (k = 0; k < v->n_targets; k++)
                    y[r * v->n_targets + k] /= (double)v->n_trees;
    }
    return NULL;
}

/* Rows times trees from which the rows are split between two threads. */
#define TREE_EVAL_THREAD_MIN 65536

static int tree_ensemble_eval(const skc_step *s, const skc_tensor *const *in,
                              skc_tensor **out, char *err, size_t errlen)
{
    tree_view v;
    tree_rows a, b;
    pthread_t th;
    int64_t n;
    int rc, threaded = 0;

    if ((rc = tree_load(s, &v, TREE_ATTRS, err, errlen)))
        return rc;
    n = skci_rows(in[0]);
    if ((rc = skci_new_matrix(n, v.n_targets, out)))
        return rc;
    a.v = &v;
    a.x = skc_tensor_data(in[0]);
    a.y = skc_tensor_data_mut(*out);
    a.f = skci_cols(in[0]);
    a.lo = 0;
    a.hi = n;
    b = a;
    /* Rows are independent: a large batch of a large ensemble is split
     * at a block boundary between this thread and a second one. */
    if (n >= 2 * TREE_BLOCK && n * v.n_trees >= TREE_EVAL_THREAD_MIN && skc_threads() > 1) {
        a.hi = b.lo = (n / 2 + TREE_BLOCK - 1) / TREE_BLOCK * TREE_BLOCK;
        threaded = pthread_create(&th, NULL, tree_eval_rows, &b) == 0;
        if (!threaded)
            a.hi = n;
    }
    tree_eval_rows(&a);
    if (threaded)
        pthread_join(th, NULL);
    if (a.bad < 0 && threaded)
        a.bad = b.bad;
    if (a.bad >= 0) {
        skc_tensor_free(*out);
        *out = NULL;
        skci_errf(err, errlen, "step 'tree_ensemble': tree %lld reaches a node "
                  "that splits on a column the input (%lld columns) lacks, or "
                  "is damaged", (long long)a.bad, (long long)a.f);
        return SKC_E_INVAL;
    }
    return SKC_OK;
}

/* Probe values: each threshold and the float32 values on both sides of it
 * (where float32 rounding decides the branch), the categories a
 * categorical split names and one it does not; NaN is always worth a try
 * since every split says where it goes. */
static void tree_ensemble_hints(const skc_step *s, skci_hints *h)
{
    tree_view v;
    char err[8];
    int64_t i;
    unsigned c;

    if (tree_load(s, &v, TREE_ATTRS, err, sizeof(err)))
        return;
    h->nan_ok = 1;
    for (i = 0; i < v.n_nodes; i++) {
        int64_t col = v.feature[i];
        if ((i & 4095) == 4095 && skci_hints_full(h))
            break;
        double t = v.threshold[i];
        if (v.left[i] < 0)
            continue;
        if (v.cat_index && v.cat_index[i] >= 0) {
            const uint32_t *bs = v.cat_bitset + v.cat_index[i] * 8;
            int added = 0;
            for (c = 0; c < 256 && added < 8; c++)
                if ((bs[c / 32] >> (c % 32)) & 1u) {
                    skci_hint_add(h, col, (double)c);
                    added++;
                    if (c + 1 < 256 && !((bs[(c + 1) / 32] >> ((c + 1) % 32)) & 1u))
                        skci_hint_add(h, col, (double)(c + 1));
                }
            skci_hint_add(h, col, -1.0);
            continue;
        }
        if (isfinite(t)) {
            float lo = (float)t, hi;
            if ((double)lo > t)
                lo = nextafterf(lo, -INFINITY);
            hi = nextafterf(lo, INFINITY);
            skci_hint_add(h, col, t);
            skci_hint_add(h, col, (double)lo);
            skci_hint_add(h, col, (double)hi);
        }
    }
}

/* ---- iforest_score: sum of path lengths to score_samples ---------------- */

static int iforest_score_check(const skc_step *s, char *err, size_t errlen)
{
    double d;

    if (skc_step_get_float(s, "denominator", &d) != SKC_OK || !isfinite(d)) {
        skci_errf(err, errlen, "step '%s' needs a finite float attribute 'denominator'", s->op);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int iforest_score_eval(const skc_step *s, const skc_tensor *const *in,
                              skc_tensor **out, char *err, size_t errlen)
{
    const double *x;
    double *y, d = 0.0;
    int64_t n, i;
    int rc;

    skc_step_get_float(s, "denominator", &d);
    if (skci_cols(in[0]) != 1) {
        skci_errf(err, errlen, "step 'iforest_score' needs one column, got %lld",
                  (long long)skci_cols(in[0]));
        return SKC_E_INVAL;
    }
    n = skci_rows(in[0]);
    if ((rc = skci_new_matrix(n, 1, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    /* sklearn: 2 ** -(depths / denominator), 2 ** -1 when the denominator
     * is 0; score_samples is its negation. */
    for (i = 0; i < n; i++)
        y[i] = -pow(2.0, -(d != 0.0 ? x[i] / d : 1.0));
    return SKC_OK;
}

/* ---- weighted_median: AdaBoostRegressor's vote -------------------------- */

static int weighted_median_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *w;
    int rc;

    if ((rc = skci_need_f64(s, "weights", 1, &w, err, errlen)))
        return rc;
    if (skc_tensor_numel(w) < 1) {
        skci_errf(err, errlen, "step '%s': weights is empty", s->op);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

typedef struct wm_item {
    double v, w;
    int64_t i;
} wm_item;

static int wm_cmp(const void *a, const void *b)
{
    const wm_item *p = a, *q = b;

    /* NaN sorts last, as numpy's argsort puts it. */
    if (isnan(p->v) != isnan(q->v))
        return isnan(p->v) ? 1 : -1;
    if (p->v < q->v)
        return -1;
    if (p->v > q->v)
        return 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

static int weighted_median_eval(const skc_step *s, const skc_tensor *const *in,
                                skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *wt;
    const double *x, *w;
    double *y;
    wm_item *it;
    int64_t n, m, r, j;
    int rc;

    skc_step_get_tensor(s, "weights", &wt);
    m = skc_tensor_numel(wt);
    if (skci_cols(in[0]) != m) {
        skci_errf(err, errlen, "step 'weighted_median': %lld columns for %lld weights",
                  (long long)skci_cols(in[0]), (long long)m);
        return SKC_E_INVAL;
    }
    n = skci_rows(in[0]);
    if (!(it = malloc((size_t)m * sizeof(*it))))
        return SKC_E_NOMEM;
    if ((rc = skci_new_matrix(n, 1, out))) {
        free(it);
        return rc;
    }
    x = skc_tensor_data(in[0]);
    w = skc_tensor_data(wt);
    y = skc_tensor_data_mut(*out);
    /* sklearn: sort the predictions, accumulate their weights in that
     * order, take the first whose cumulative weight reaches half the
     * total. Ties hold equal values, so their order cannot change the
     * result. */
    for (r = 0; r < n; r++) {
        double cdf = 0.0, half;
        for (j = 0; j < m; j++) {
            it[j].v = x[r * m + j];
            it[j].w = w[j];
            it[j].i = j;
        }
        qsort(it, (size_t)m, sizeof(*it), wm_cmp);
        for (j = 0; j < m; j++)
            cdf += it[j].w;
        half = 0.5 * cdf;
        cdf = 0.0;
        y[r] = it[m - 1].v;
        for (j = 0; j < m; j++) {
            cdf += it[j].w;
            if (cdf >= half) {
                y[r] = it[j].v;
                break;
            }
        }
    }
    free(it);
    return SKC_OK;
}

/* ---- multi_label: multi-output classifiers' labels ----------------------- */

static int multi_label_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *cl, *sz;
    int64_t i, total = 0;
    int dt;

    if (skc_step_get_tensor(s, "classes", &cl) != SKC_OK ||
        skc_step_get_tensor(s, "sizes", &sz) != SKC_OK) {
        skci_errf(err, errlen, "step '%s' needs tensors 'classes' and 'sizes'", s->op);
        return SKC_E_FORMAT;
    }
    dt = skc_tensor_dtype(cl);
    if ((dt != SKC_DT_I64 && dt != SKC_DT_STRING) || skc_tensor_ndim(cl) != 1 ||
        skc_tensor_dtype(sz) != SKC_DT_I64 || skc_tensor_ndim(sz) != 1 ||
        skc_tensor_numel(sz) < 1) {
        skci_errf(err, errlen, "step '%s': classes must be 1-D int64 or string, sizes 1-D "
                  "int64", s->op);
        return SKC_E_FORMAT;
    }
    for (i = 0; i < skc_tensor_numel(sz); i++) {
        int64_t k = ((const int64_t *)skc_tensor_data(sz))[i];
        if (k < 1 || k > skc_tensor_numel(cl) - total) {
            skci_errf(err, errlen, "step '%s': sizes do not add up to the classes", s->op);
            return SKC_E_FORMAT;
        }
        total += k;
    }
    if (total != skc_tensor_numel(cl)) {
        skci_errf(err, errlen, "step '%s': sizes do not add up to the classes", s->op);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int multi_label_eval(const skc_step *s, const skc_tensor *const *in,
                            skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *cl, *szt;
    const int64_t *sz;
    const double *p;
    int64_t n, w, o, no, r, shape[2];
    int rc, is_str;

    skc_step_get_tensor(s, "classes", &cl);
    skc_step_get_tensor(s, "sizes", &szt);
    sz = skc_tensor_data(szt);
    no = skc_tensor_numel(szt);
    n = skci_rows(in[0]);
    w = skci_cols(in[0]);
    if (w != skc_tensor_numel(cl)) {
        skci_errf(err, errlen, "step 'multi_label': %lld columns for %lld classes",
                  (long long)w, (long long)skc_tensor_numel(cl));
        return SKC_E_INVAL;
    }
    is_str = skc_tensor_dtype(cl) == SKC_DT_STRING;
    shape[0] = n;
    shape[1] = no;
    if ((rc = skc_tensor_new(is_str ? SKC_DT_STRING : SKC_DT_I64, 2, shape, out)))
        return rc;
    p = skc_tensor_data(in[0]);
    for (r = 0; r < n; r++) {
        int64_t off = 0;
        for (o = 0; o < no; o++) {
            int64_t k, best = 0;
            for (k = 1; k < sz[o]; k++)
                if (p[r * w + off + k] > p[r * w + off + best])
                    best = k;
            if (is_str) {
                size_t len;
                const char *str = skc_tensor_string(cl, off + best, &len);
                if ((rc = skc_tensor_set_string(*out, r * no + o, str, len))) {
                    skc_tensor_free(*out);
                    *out = NULL;
                    return rc;
                }
            } else {
                ((int64_t *)skc_tensor_data_mut(*out))[r * no + o] =
                    ((const int64_t *)skc_tensor_data(cl))[off + best];
            }
            off += sz[o];
        }
    }
    return SKC_OK;
}

const skci_op skci_ops_tree[] = {
    { .name = "tree_ensemble", .n_inputs = 1, .n_outputs = 1, .check = tree_ensemble_check,
      .check_eval = tree_ensemble_check_eval, .eval = tree_ensemble_eval,
      .hints = tree_ensemble_hints },
    { .name = "iforest_score", .n_inputs = 1, .n_outputs = 1, .check = iforest_score_check,
      .eval = iforest_score_eval },
    { .name = "weighted_median", .n_inputs = 1, .n_outputs = 1, .check = weighted_median_check,
      .eval = weighted_median_eval },
    { .name = "multi_label", .n_inputs = 1, .n_outputs = 1, .check = multi_label_check,
      .eval = multi_label_eval },
    { .name = NULL }
};
