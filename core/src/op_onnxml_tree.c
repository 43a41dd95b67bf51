/* SPDX-License-Identifier: MIT */
/* op_onnxml_tree.c: TreeEnsembleClassifier/Regressor (ml v1, v3) and TreeEnsemble (ml v5), as ONNX Runtime evaluates them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

/*
 * The attributes are compiled into one node array per evaluation:
 * interior nodes point at their children by index, leaves hold a range of
 * (target, weight) pairs. Semantics follow ORT's tree_ensemble_common.h
 * and tree_ensemble_aggregator.h, quirks included (they define what the
 * ONNX file computes in practice): roots are the first node of each run
 * of equal tree ids, a single target ignores LOGISTIC/SOFTMAX, a target
 * no leaf reached reads 0 even with a base value, the binary classifier's
 * label rules. Thresholds and sums are in the input's precision class:
 * float32 unless X is float64 (ORT's ThresholdType).
 */

enum { T_LEQ, T_LT, T_GTE, T_GT, T_EQ, T_NEQ, T_MEMBER, T_LEAF };
enum { AGG_AVERAGE, AGG_SUM, AGG_MIN, AGG_MAX };

typedef struct tree_node {
    double value;        /* threshold in the threshold type; at a leaf its
                          * nodes_values entry (ORT's value_or_unique_weight) */
    int64_t t, f;        /* children (node indices); at a leaf the weights
                          * w[t .. t+f) */
    int32_t feature;
    uint8_t mode;
    uint8_t track;       /* NaN goes to the true branch */
} tree_node;

typedef struct tree_weight {
    int64_t target;
    double value;
} tree_weight;

typedef struct tree_model {
    tree_node *nodes;
    int64_t n_nodes;
    tree_weight *w;
    int64_t n_w;
    double *members;
    int64_t *mset;       /* v5 BRANCH_MEMBER: node i's set is members[mset[2i] ..
                          * + mset[2i+1]); NULL without member nodes */
    int64_t *roots;
    int64_t n_roots;
    int64_t n_targets;
    int64_t max_feature;
    double *base;
    int64_t n_base;
    float *scratch;      /* n_targets floats for the post-transforms */
    int agg, post, dbl;  /* dbl: thresholds and sums in double */
    /* classifier */
    int classifier, binary_case, all_positive;
    const skc_tensor *labels_i, *labels_s;
} tree_model;

static void tree_free(tree_model *m)
{
    free(m->nodes);
    free(m->w);
    free(m->members);
    free(m->mset);
    free(m->roots);
    free(m->base);
    free(m->scratch);
    memset(m, 0, sizeof(*m));
}

static double tree_th(const tree_model *m, double v)
{
    return m->dbl ? v : (double)(float)v;
}

/* A list attribute (INTS, FLOATS or a TENSOR) read as int64 or double. */
static const skc_tensor *tree_attr(const skc_step *s, const char *k, int64_t *n)
{
    const skc_tensor *t = skco_attr_t(s, k);

    *n = t ? skc_tensor_numel(t) : 0;
    if (t && (skc_tensor_dtype(t) == SKC_DT_STRING || skc_tensor_ndim(t) > 1))
        return NULL;
    return t;
}

/* List @p k (or @p alt when @p k is absent) with exactly @p n entries, else NULL. */
static const skc_tensor *tree_list(const skc_step *s, const char *k, const char *alt, int64_t n)
{
    int64_t got;
    const skc_tensor *t = tree_attr(s, k, &got);

    if (!t && alt)
        t = tree_attr(s, alt, &got);
    return t && got == n ? t : NULL;
}

/* A node or weight attribute read as int64 or double: straight from the
 * array when the tensor already holds that type (INTS, FLOATS), else
 * element by element. */
typedef struct tree_col {
    const skc_tensor *t;
    const int64_t *i;
    const double *d;
} tree_col;

static tree_col tree_col_of(const skc_tensor *t)
{
    tree_col c = { t, NULL, NULL };

    if (t && skc_tensor_dtype(t) == SKC_DT_I64)
        c.i = skc_tensor_data(t);
    else if (t && skc_tensor_dtype(t) == SKC_DT_F64)
        c.d = skc_tensor_data(t);
    return c;
}

static int64_t tree_ci(const tree_col *c, int64_t k)
{
    return c->i ? c->i[k] : skco_geti(c->t, k);
}

static double tree_cd(const tree_col *c, int64_t k)
{
    return c->d ? c->d[k] : skco_get(c->t, k);
}

typedef struct tree_key {
    int64_t tree, node, idx;
} tree_key;

static int tree_key_cmp(const void *pa, const void *pb)
{
    const tree_key *a = pa, *b = pb;

    if (a->tree != b->tree)
        return a->tree < b->tree ? -1 : 1;
    if (a->node != b->node)
        return a->node < b->node ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* (tree id, node id) -> node index. Writers (ours, skl2onnx) list the
 * nodes tree by tree in increasing tree id, each tree's ids consecutive:
 * then a node is its run's start plus its offset from the run's first id,
 * found with no extra memory. Any other order is sorted into keys. */
typedef struct tree_index {
    const tree_model *m;
    tree_col tid, nid;
    tree_key *keys;      /* NULL: the runs are in order */
    int64_t run;         /* the run the last lookup found */
} tree_index;

/* Node id @p node in the run of @p len nodes at @p start whose ids start
 * at @p first; -1 outside it. Unsigned: ids anywhere in int64 cannot
 * overflow the difference. */
static int64_t tree_in_run(int64_t node, int64_t start, int64_t len, int64_t first)
{
    if (node < first || (uint64_t)node - (uint64_t)first >= (uint64_t)len)
        return -1;
    return start + (int64_t)((uint64_t)node - (uint64_t)first);
}

static int64_t tree_locate(tree_index *x, int64_t tree, int64_t node)
{
    const int64_t *roots = x->m->roots;
    int64_t nr = x->m->n_roots, start, len, first;

    if (x->keys) {
        int64_t lo = 0, hi = x->m->n_nodes;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            const tree_key *k = &x->keys[mid];
            if (k->tree < tree || (k->tree == tree && k->node < node))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < x->m->n_nodes && x->keys[lo].tree == tree && x->keys[lo].node == node ?
               x->keys[lo].idx : -1;
    }
    if (tree_ci(&x->tid, roots[x->run]) != tree) {
        int64_t lo = 0, hi = nr;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (tree_ci(&x->tid, roots[mid]) < tree)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == nr || tree_ci(&x->tid, roots[lo]) != tree)
            return -1;
        x->run = lo;
    }
    start = roots[x->run];
    len = (x->run + 1 < nr ? roots[x->run + 1] : x->m->n_nodes) - start;
    first = tree_ci(&x->nid, start);
    return tree_in_run(node, start, len, first);
}

/* Roots (ORT: the first node of each run of equal tree ids) and, when
 * the runs are not in order, the sorted keys with duplicates refused. */
static int tree_index_init(const skc_step *s, tree_model *m, tree_index *x, char *err,
                           size_t errlen)
{
    int64_t i, n = m->n_nodes, runs = 0;
    int ordered = 1;

    for (i = 0; i < n; i++) {
        int64_t t = tree_ci(&x->tid, i);
        if (i == 0 || t != tree_ci(&x->tid, i - 1)) {
            runs++;
            if (i && t < tree_ci(&x->tid, i - 1))
                ordered = 0;
        } else {
            int64_t prev = tree_ci(&x->nid, i - 1);
            if (prev == INT64_MAX || tree_ci(&x->nid, i) != prev + 1)
                ordered = 0;
        }
    }
    m->roots = malloc((size_t)runs * sizeof(*m->roots));
    if (!m->roots)
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++)
        if (i == 0 || tree_ci(&x->tid, i) != tree_ci(&x->tid, i - 1))
            m->roots[m->n_roots++] = i;
    x->m = m;
    x->run = 0;
    x->keys = NULL;
    if (ordered)
        return SKC_OK;
    x->keys = malloc((size_t)n * sizeof(*x->keys));
    if (!x->keys)
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++) {
        x->keys[i].tree = tree_ci(&x->tid, i);
        x->keys[i].node = tree_ci(&x->nid, i);
        x->keys[i].idx = i;
    }
    qsort(x->keys, (size_t)n, sizeof(*x->keys), tree_key_cmp);
    for (i = 1; i < n; i++)
        if (x->keys[i].tree == x->keys[i - 1].tree && x->keys[i].node == x->keys[i - 1].node)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "node %lld of tree %lld is defined twice",
                             (long long)x->keys[i].node, (long long)x->keys[i].tree);
    return SKC_OK;
}

/* nodes_modes entry: one of ours, or -1. Read for every node at every
 * check, so by its letters rather than a table of strcmp. */
static int tree_mode_of(const char *v)
{
    if (!v)
        return -1;
    if (v[0] == 'L')
        return strcmp(v, "LEAF") == 0 ? T_LEAF : -1;
    if (strncmp(v, "BRANCH_", 7) != 0)
        return -1;
    v += 7;
    if (!strcmp(v, "LEQ")) return T_LEQ;
    if (!strcmp(v, "LT"))  return T_LT;
    if (!strcmp(v, "GTE")) return T_GTE;
    if (!strcmp(v, "GT"))  return T_GT;
    if (!strcmp(v, "EQ"))  return T_EQ;
    if (!strcmp(v, "NEQ")) return T_NEQ;
    return -1;
}

static int tree_mode_at(const skc_tensor *modes, int64_t i)
{
    return tree_mode_of(skc_tensor_string(modes, i, NULL));
}

/* ---- ml v1 / v3 ---------------------------------------------------------- */

/* The weights, grouped per leaf in (tree, node, position) order as ORT
 * sorts them: counted per leaf, then placed, in O(weights) lookups.
 * Weights on interior nodes are ignored as ORT ignores them. Without
 * m->nodes (a check), only checked. */
static int tree_weights_v3(const skc_step *s, tree_model *m, tree_index *x,
                           const skc_tensor *modes, const skc_tensor *c_id,
                           const skc_tensor *c_node, const skc_tensor *c_tree,
                           const skc_tensor *c_w, int64_t nt, char *err, size_t errlen)
{
    tree_col cid = tree_col_of(c_id), cnode = tree_col_of(c_node), ctree = tree_col_of(c_tree);
    tree_col cw = tree_col_of(c_w);
    int64_t i, k, at, first = tree_ci(&cid, 0);

    /* ORT's binary test: two classes and a single distinct class id;
     * weights_are_all_positive looks at every weight. */
    m->all_positive = 1;
    m->binary_case = m->classifier && m->n_targets == 2;
    for (k = 0; k < nt; k++) {
        int64_t target = tree_ci(&cid, k);
        if (tree_cd(&cw, k) < 0)
            m->all_positive = 0;
        if (target != first)
            m->binary_case = 0;
        at = tree_locate(x, tree_ci(&ctree, k), tree_ci(&cnode, k));
        if (at < 0)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "a weight names node %lld of tree %lld, "
                             "which does not exist", (long long)tree_ci(&cnode, k),
                             (long long)tree_ci(&ctree, k));
        if ((m->nodes ? m->nodes[at].mode : tree_mode_at(modes, at)) != T_LEAF)
            continue;
        if (target < 0 || target >= m->n_targets)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "target id %lld is outside 0..%lld",
                             (long long)target, (long long)m->n_targets - 1);
        if (m->nodes)
            m->nodes[at].f++;
    }
    if (!m->nodes)
        return SKC_OK;
    for (i = 0; i < m->n_nodes; i++)
        if (m->nodes[i].mode == T_LEAF) {
            m->nodes[i].t = m->n_w;
            m->n_w += m->nodes[i].f;
        }
    /* Place each weight at its leaf's cursor (t), then rewind the cursors. */
    for (k = 0; k < nt; k++) {
        tree_node *leaf;
        at = tree_locate(x, tree_ci(&ctree, k), tree_ci(&cnode, k));
        leaf = &m->nodes[at];
        if (leaf->mode != T_LEAF)
            continue;
        m->w[leaf->t].target = tree_ci(&cid, k);
        m->w[leaf->t].value = tree_th(m, tree_cd(&cw, k));
        leaf->t++;
    }
    for (i = 0; i < m->n_nodes; i++)
        if (m->nodes[i].mode == T_LEAF)
            m->nodes[i].t -= m->nodes[i].f;
    return SKC_OK;
}

/* With @p check, everything is checked and nothing the size of the
 * nodes is allocated (m->nodes stays NULL). */
static int tree_build_v3(const skc_step *s, int classifier, int dbl, int check, tree_model *m,
                         char *err, size_t errlen)
{
    const char *p = classifier ? "class_" : "target_";
    char kids[32], knodes[32], ktrees[32], kw[40], kwt[48];
    const skc_tensor *tid, *nid, *fid, *modes, *val, *tru, *fal, *miss;
    const skc_tensor *c_id, *c_node, *c_tree, *c_w, *base;
    tree_col cf, ct, cfa, cv, cm;
    int64_t n, nt, i, nmiss, run = -1, start = 0, len = 0, first = 0;
    tree_index x;
    int rc = SKC_E_FORMAT;

    memset(&x, 0, sizeof(x));
    snprintf(kids, sizeof(kids), "%sids", p);
    snprintf(knodes, sizeof(knodes), "%snodeids", p);
    snprintf(ktrees, sizeof(ktrees), "%streeids", p);
    snprintf(kw, sizeof(kw), "%sweights", p);
    snprintf(kwt, sizeof(kwt), "%sweights_as_tensor", p);
    tid = tree_attr(s, "nodes_treeids", &n);
    nid = tree_list(s, "nodes_nodeids", NULL, n);
    if (!tid || !nid || n < 1)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "nodes_treeids and nodes_nodeids are missing or differ");
    fid = tree_list(s, "nodes_featureids", NULL, n);
    tru = tree_list(s, "nodes_truenodeids", NULL, n);
    fal = tree_list(s, "nodes_falsenodeids", NULL, n);
    val = tree_list(s, "nodes_values", "nodes_values_as_tensor", n);
    modes = skco_attr_t(s, "nodes_modes");
    miss = tree_attr(s, "nodes_missing_value_tracks_true", &nmiss);
    c_id = tree_attr(s, kids, &nt);
    c_node = tree_list(s, knodes, NULL, nt);
    c_tree = tree_list(s, ktrees, NULL, nt);
    c_w = tree_list(s, kw, kwt, nt);
    if (!fid || !tru || !fal || !val || !modes || skc_tensor_dtype(modes) != SKC_DT_STRING ||
        skc_tensor_numel(modes) != n || nt < 1 || !c_id || !c_node || !c_tree || !c_w)
        goto bad;
    m->dbl = dbl;
    m->classifier = classifier;
    if (classifier) {
        const skc_tensor *ls = skco_attr_t(s, "classlabels_strings");
        const skc_tensor *li = skco_attr_t(s, "classlabels_int64s");
        m->labels_s = ls && skc_tensor_dtype(ls) == SKC_DT_STRING && skc_tensor_numel(ls) ? ls : NULL;
        m->labels_i = li && skc_tensor_dtype(li) == SKC_DT_I64 ? li : NULL;
        m->n_targets = m->labels_s ? skc_tensor_numel(m->labels_s) :
                       m->labels_i ? skc_tensor_numel(m->labels_i) : 0;
        if (m->n_targets < 2)
            return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "a classifier needs at least two class labels");
    } else {
        m->n_targets = skco_attr_i(s, "n_targets", 0);
        if (m->n_targets < 1 || m->n_targets > (int64_t)1 << 24)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "n_targets must be positive");
    }
    {
        const char *agg = skco_attr_s(s, "aggregate_function", "SUM");
        m->agg = !strcmp(agg, "AVERAGE") ? AGG_AVERAGE : !strcmp(agg, "SUM") ? AGG_SUM :
                 !strcmp(agg, "MIN") ? AGG_MIN : !strcmp(agg, "MAX") ? AGG_MAX : -1;
        if (m->agg < 0)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "unknown aggregate_function '%.20s'", agg);
    }
    if ((rc = skco_ml_post(s, &m->post, err, errlen)))
        return rc;
    base = tree_attr(s, "base_values", &m->n_base);
    if (!base)
        base = tree_attr(s, "base_values_as_tensor", &m->n_base);
    if (classifier && m->n_base > m->n_targets)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "more base_values than classes");
    if (!check) {
        m->nodes = malloc((size_t)n * sizeof(*m->nodes));
        m->w = malloc((size_t)nt * sizeof(*m->w));
    }
    m->base = calloc((size_t)(m->n_base ? m->n_base : 1), sizeof(double));
    if ((!check && (!m->nodes || !m->w)) || !m->base) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    m->n_nodes = n;
    for (i = 0; i < m->n_base; i++)
        m->base[i] = tree_th(m, skco_get(base, i));
    x.tid = tree_col_of(tid);
    x.nid = tree_col_of(nid);
    if ((rc = tree_index_init(s, m, &x, err, errlen)))
        goto fail;
    cf = tree_col_of(fid);
    ct = tree_col_of(tru);
    cfa = tree_col_of(fal);
    cv = tree_col_of(val);
    cm = tree_col_of(miss);
    for (i = 0; i < n; i++) {
        int mode = tree_mode_at(modes, i);
        int64_t feature, t, f;
        if (mode < 0) {
            rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "node %lld has an unknown mode", (long long)i);
            goto fail;
        }
        if (!x.keys && run + 1 < m->n_roots && i == m->roots[run + 1]) {
            run++;
            start = i;
            len = (run + 1 < m->n_roots ? m->roots[run + 1] : n) - start;
            first = tree_ci(&x.nid, start);
        }
        if (mode != T_LEAF) {
            feature = tree_ci(&cf, i);
            if (feature < 0 || feature > INT32_MAX) {
                rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "node %lld has a feature id out of range",
                               (long long)i);
                goto fail;
            }
            if (feature > m->max_feature)
                m->max_feature = feature;
            if (x.keys) {
                int64_t tr = tree_ci(&x.tid, i);
                t = tree_locate(&x, tr, tree_ci(&ct, i));
                f = tree_locate(&x, tr, tree_ci(&cfa, i));
            } else {
                t = tree_in_run(tree_ci(&ct, i), start, len, first);
                f = tree_in_run(tree_ci(&cfa, i), start, len, first);
            }
            if (t < 0 || f < 0 || t == i || f == i) {
                rc = skco_fail(err, errlen, s, SKC_E_FORMAT,
                               "node %lld of tree %lld points to a missing node or to itself",
                               (long long)tree_ci(&x.nid, i), (long long)tree_ci(&x.tid, i));
                goto fail;
            }
        } else {
            feature = t = f = 0;
        }
        if (m->nodes) {
            tree_node *nd = &m->nodes[i];
            nd->mode = (uint8_t)mode;
            nd->value = tree_th(m, tree_cd(&cv, i));
            nd->track = miss && i < nmiss && tree_ci(&cm, i) == 1;
            nd->feature = (int32_t)feature;
            nd->t = t;
            nd->f = f;
        }
    }
    /* A leaf without weights is allowed, as in ONNX Runtime (writers leave
     * out zero weights to keep large forests small). */
    if ((rc = tree_weights_v3(s, m, &x, modes, c_id, c_node, c_tree, c_w, nt, err, errlen)))
        goto fail;
    free(x.keys);
    return SKC_OK;
bad:
    rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "node or weight attributes are missing or differ in length");
fail:
    free(x.keys);
    tree_free(m);
    return rc;
}

/* ---- ml v5 TreeEnsemble --------------------------------------------------- */

static int tree_build_v5(const skc_step *s, int dbl, tree_model *m, char *err, size_t errlen)
{
    const skc_tensor *fid, *spl, *modes, *tru, *fal, *tl, *fl, *miss, *roots, *lt, *lw, *mem;
    int64_t n, nl, nr, nmiss, nmem, i, k, mpos = 0;
    int rc = SKC_E_FORMAT;

    fid = tree_attr(s, "nodes_featureids", &n);
    spl = tree_list(s, "nodes_splits", NULL, n);
    modes = tree_list(s, "nodes_modes", NULL, n);
    tru = tree_list(s, "nodes_truenodeids", NULL, n);
    fal = tree_list(s, "nodes_falsenodeids", NULL, n);
    tl = tree_list(s, "nodes_trueleafs", NULL, n);
    fl = tree_list(s, "nodes_falseleafs", NULL, n);
    lt = tree_attr(s, "leaf_targetids", &nl);
    lw = tree_list(s, "leaf_weights", NULL, nl);
    roots = tree_attr(s, "tree_roots", &nr);
    if (!fid || !spl || !modes || !tru || !fal || !tl || !fl || !lt || !lw || nl < 1 || !roots || nr < 1)
        goto bad;
    miss = tree_attr(s, "nodes_missing_value_tracks_true", &nmiss);
    mem = tree_attr(s, "membership_values", &nmem);
    m->dbl = dbl;
    m->n_targets = skco_attr_i(s, "n_targets", 0);
    if (m->n_targets < 1 || m->n_targets > (int64_t)1 << 24)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "n_targets must be positive");
    {
        /* v5 enums: aggregate 0 AVERAGE 1 SUM 2 MIN 3 MAX; post 0 NONE
         * 1 SOFTMAX 2 LOGISTIC 3 SOFTMAX_ZERO 4 PROBIT. */
        static const int posts[5] = { SKCO_PT_NONE, SKCO_PT_SOFTMAX, SKCO_PT_LOGISTIC,
                                      SKCO_PT_SOFTMAX_ZERO, SKCO_PT_PROBIT };
        int64_t a = skco_attr_i(s, "aggregate_function", 1), p = skco_attr_i(s, "post_transform", 0);
        if (a < 0 || a > 3 || p < 0 || p > 4)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "aggregate_function or post_transform is out of range");
        m->agg = (int)a;
        m->post = posts[p];
    }
    m->nodes = calloc((size_t)(n + nl), sizeof(*m->nodes));
    m->w = calloc((size_t)nl, sizeof(*m->w));
    m->roots = calloc((size_t)nr, sizeof(*m->roots));
    m->members = calloc((size_t)(nmem ? nmem : 1), sizeof(double));
    m->base = calloc(1, sizeof(double));
    if (nmem)
        m->mset = calloc((size_t)n * 2, sizeof(*m->mset));
    if (!m->nodes || !m->w || !m->roots || !m->members || !m->base || (nmem && !m->mset)) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    m->n_nodes = n + nl;
    for (i = 0; i < nmem; i++)
        m->members[i] = tree_th(m, skco_get(mem, i));
    for (i = 0; i < n; i++) {
        tree_node *nd = &m->nodes[i];
        int64_t md = skco_geti(modes, i), t = skco_geti(tru, i), f = skco_geti(fal, i), feature;
        int tleaf = skco_geti(tl, i) != 0, fleaf = skco_geti(fl, i) != 0;
        if (md < 0 || md > 6) {
            rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "node %lld has mode %lld", (long long)i, (long long)md);
            goto fail;
        }
        nd->mode = (uint8_t)md;
        feature = skco_geti(fid, i);
        nd->value = tree_th(m, skco_get(spl, i));
        nd->track = miss && i < nmiss && skco_geti(miss, i) == 1;
        if (feature < 0 || feature > INT32_MAX || t < 0 || f < 0 || t >= (tleaf ? nl : n) ||
            f >= (fleaf ? nl : n)) {
            rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "node %lld has an out-of-range feature or child",
                           (long long)i);
            goto fail;
        }
        nd->feature = (int32_t)feature;
        if (feature > m->max_feature)
            m->max_feature = feature;
        nd->t = tleaf ? n + t : t;
        nd->f = fleaf ? n + f : f;
        if (nd->mode == T_MEMBER && m->mset) {
            /* This node's set runs to the next NaN in membership_values. */
            m->mset[2 * i] = mpos;
            while (mpos < nmem && !isnan(skco_get(mem, mpos)))
                mpos++;
            m->mset[2 * i + 1] = mpos - m->mset[2 * i];
            mpos++;
        }
    }
    for (i = 0; i < nl; i++) {
        tree_node *leaf = &m->nodes[n + i];
        int64_t target = skco_geti(lt, i);
        if (target < 0 || target >= m->n_targets) {
            rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "leaf %lld targets %lld of %lld",
                           (long long)i, (long long)target, (long long)m->n_targets);
            goto fail;
        }
        leaf->mode = T_LEAF;
        leaf->t = i;
        leaf->f = 1;
        m->w[i].target = target;
        m->w[i].value = tree_th(m, skco_get(lw, i));
    }
    m->n_w = nl;
    for (k = 0; k < nr; k++) {
        int64_t r = skco_geti(roots, k);
        if (r < 0 || r >= n) {
            rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "tree root %lld is out of range", (long long)r);
            goto fail;
        }
        /* A single-leaf tree is a root whose two children are that leaf
         * (onnx Operators-ml.md); it walks like any other root. */
        m->roots[k] = r;
    }
    m->n_roots = nr;
    return SKC_OK;
bad:
    rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "node or leaf attributes are missing or differ in length");
fail:
    tree_free(m);
    return rc;
}

static int tree_build(const skc_step *s, int dbl, int check, tree_model *m, char *err,
                      size_t errlen)
{
    const char *op = strchr(s->op, '.') ? strchr(s->op, '.') + 1 : s->op;

    memset(m, 0, sizeof(*m));
    if (strcmp(op, "TreeEnsemble") == 0)
        return tree_build_v5(s, dbl, m, err, errlen);
    return tree_build_v3(s, strcmp(op, "TreeEnsembleClassifier") == 0, dbl, check, m, err, errlen);
}

/* Probe values (verify.c): each split threshold and its float32
 * neighbours, so synthesised rows take both branches of every node;
 * NaN when some node routes missing values. */
void skco_hints_tree(const skc_step *s, skci_hints *h)
{
    tree_model m;
    int64_t i;
    char err[8];

    if (tree_build(s, 0, 0, &m, err, sizeof(err)))
        return;
    for (i = 0; i < m.n_nodes; i++) {
        const tree_node *nd = &m.nodes[i];
        if (nd->mode == T_LEAF)
            continue;
        skci_hint_add(h, nd->feature, nd->value);
        skci_hint_add(h, nd->feature, nextafterf((float)nd->value, INFINITY));
        skci_hint_add(h, nd->feature, nextafterf((float)nd->value, -INFINITY));
        if (nd->track)
            h->nan_ok = 1;
    }
    tree_free(&m);
}

int skco_check_tree(const skc_step *s, char *err, size_t errlen)
{
    tree_model m;
    /* Run at every validation: the v3 check allocates nothing per node. */
    int rc = tree_build(s, 0, 1, &m, err, errlen);

    if (rc == SKC_OK)
        tree_free(&m);
    return rc;
}

/* ---- evaluation ------------------------------------------------------------ */

/* The leaf a row reaches; -1 when a hostile file makes the walk cycle. */
static int64_t tree_leaf(const tree_model *m, int64_t node, const double *x)
{
    int64_t steps = 0;

    while (m->nodes[node].mode != T_LEAF) {
        const tree_node *nd = &m->nodes[node];
        double v = x[nd->feature], th = nd->value;
        int go;
        switch (nd->mode) {
        case T_LEQ: go = v <= th; break;
        case T_LT:  go = v < th; break;
        case T_GTE: go = v >= th; break;
        case T_GT:  go = v > th; break;
        case T_EQ:  go = v == th; break;
        case T_NEQ: go = v != th; break;
        default: {
            int64_t j, m0 = m->mset ? m->mset[2 * node] : 0, nm = m->mset ? m->mset[2 * node + 1] : 0;
            go = 0;
            for (j = 0; j < nm && !go; j++)
                go = v == m->members[m0 + j];
            break;
        }
        }
        if (!go && nd->track && isnan(v))
            go = 1;
        node = go ? nd->t : nd->f;
        if (++steps > m->n_nodes)
            return -1;
    }
    return node;
}

typedef struct tree_score {
    double score;
    int has;
} tree_score;

/* One addition in the threshold type (float sums round at every step). */
static double tree_add(const tree_model *m, double a, double b)
{
    return m->dbl ? a + b : (double)(float)(a + b);
}

static void tree_accumulate(const tree_model *m, tree_score *p, int64_t leaf)
{
    const tree_node *l = &m->nodes[leaf];
    int64_t j;

    if (m->n_targets == 1 && !m->classifier) {
        /* One target: ORT keeps only the leaf's first weight; a leaf
         * without weights (writers leave out zero weights) adds its own
         * nodes_values entry, which ORT's value_or_unique_weight starts as. */
        double w = l->f ? m->w[l->t].value : l->value;
        if (m->agg == AGG_SUM || m->agg == AGG_AVERAGE) {
            p->score = tree_add(m, p->score, w);
        } else if (!p->has || (m->agg == AGG_MIN ? w < p->score : w > p->score)) {
            p->score = w;
            p->has = 1;
        } else {
            p->has = 1;
        }
        return;
    }
    for (j = 0; j < l->f; j++) {
        const tree_weight *w = &m->w[l->t + j];
        tree_score *t = &p[w->target];
        if (m->classifier || m->agg == AGG_SUM || m->agg == AGG_AVERAGE)
            t->score = tree_add(m, t->score, w->value);
        else if (!t->has || (m->agg == AGG_MIN ? w->value < t->score : w->value > t->score))
            t->score = w->value;
        t->has = 1;
    }
}

/* Regressor finalisation (TreeAggregator*::FinalizeScores[1]); z gets
 * n_targets values in float, or in double through zd. */
static void tree_finish_reg(const tree_model *m, tree_score *p, float *zf, double *zd)
{
    int64_t k, n = m->n_targets;
    float *sc;

    if (n == 1) {
        double origin = m->n_base == 1 ? m->base[0] : 0.0, v = p->score;
        if (m->agg == AGG_AVERAGE)
            v = tree_add(m, m->dbl ? v / (double)m->n_roots : (double)(float)(v / (double)m->n_roots),
                         origin);
        else if (m->agg == AGG_SUM)
            v = tree_add(m, v, origin);
        else
            v = p->has ? tree_add(m, v, origin) : origin;
        if (m->post == SKCO_PT_PROBIT)
            v = skco_probit_f((float)v);
        if (zd)
            zd[0] = v;
        else
            zf[0] = (float)v;
        return;
    }
    for (k = 0; k < n; k++) {
        double b = m->n_base == n ? m->base[k] : 0.0, v = p[k].score;
        if (m->agg == AGG_AVERAGE)
            v = m->dbl ? v / (double)m->n_roots : (double)(float)(v / (double)m->n_roots);
        v = m->n_base == n ? tree_add(m, v, b) : v;
        p[k].score = p[k].has ? v : 0.0;
    }
    if (m->post == SKCO_PT_NONE) {
        for (k = 0; k < n; k++) {
            if (zd)
                zd[k] = p[k].score;
            else
                zf[k] = (float)p[k].score;
        }
        return;
    }
    /* ORT applies the transforms in float whatever the output type. */
    sc = m->scratch;
    for (k = 0; k < n; k++)
        sc[k] = (float)p[k].score;
    if (zd) {
        /* The transforms write Z in place over the scores they read one
         * pass earlier, so the scratch serves as both. */
        skco_ml_scores(sc, n, m->post, -1, sc, n);
        for (k = 0; k < n; k++)
            zd[k] = sc[k];
    } else {
        skco_ml_scores(sc, n, m->post, -1, zf, n);
    }
}

/* Classifier finalisation (TreeAggregatorClassifier::FinalizeScores):
 * returns the label index into classlabels (strings) or the label value
 * (ints) through *label; 0 or -1 when no class has a score. */
static int tree_finish_cls(const tree_model *m, tree_score *p, float *z, int64_t *label)
{
    int64_t k, n = m->n_targets, size = n;
    int add = -1;
    float sc[2];

    if (n > 2) {
        int64_t best = -1;
        double bw = 0.0;
        float *v = m->scratch;
        for (k = 0; k < m->n_base; k++) {
            if (!p[k].has) {
                p[k].has = 1;
                p[k].score = m->base[k];
            } else {
                p[k].score = tree_add(m, p[k].score, m->base[k]);
            }
        }
        for (k = 0; k < n; k++)
            if (p[k].has && (best < 0 || p[k].score > bw)) {
                best = k;
                bw = p[k].score;
            }
        if (best < 0)
            return -1;
        *label = m->labels_s ? best : skco_geti(m->labels_i, best);
        for (k = 0; k < n; k++)
            v[k] = p[k].has ? (float)p[k].score : 0.0f;
        skco_ml_scores(v, n, m->post, -1, z, n);
        return 0;
    }
    if (m->n_base == 2) {
        if (p[1].has) {
            /* As ORT: base_values[1] plus class 0's sum. */
            p[1].score = tree_add(m, m->base[1], p[0].score);
            p[0].score = -p[1].score;
            p[1].has = 1;
        } else {
            p[1].score = tree_add(m, p[1].score, m->base[1]);
            p[0].score = tree_add(m, p[0].score, m->base[0]);
        }
    } else if (m->n_base == 1) {
        p[0].score = tree_add(m, p[0].score, m->base[0]);
        if (!p[1].has)
            size = 1;
    } else {
        add = 3;
        if (!p[1].has)
            size = 1;
    }
    {
        double pos = size == 2 && p[1].has ? p[1].score : (p[0].has ? p[0].score : 0.0);
        int64_t idx;
        if (m->binary_case) {
            if (m->all_positive) {
                idx = pos > 0.5;
                add = pos > 0.5 ? 0 : 1;
            } else {
                idx = pos > 0;
                add = pos > 0 ? 2 : 3;
            }
            *label = m->labels_s ? idx : skco_geti(m->labels_i, idx);
        } else {
            /* Not the binary case: ORT answers the literal labels 1 and 0
             * (indices 1 and 0 for string labels). */
            *label = pos > 0;
        }
    }
    sc[0] = p[0].has ? (float)p[0].score : 0.0f;
    sc[1] = size == 2 && p[1].has ? (float)p[1].score : 0.0f;
    skco_ml_scores(sc, size, m->post, add, z, 2);
    return 0;
}

static int tree_run(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    const skc_tensor *x = in[0];
    int dt = skc_tensor_dtype(x), rc, v5 = strcmp(s->op, "onnxml.TreeEnsemble") == 0;
    int64_t rows, cols, r, t, shape[2];
    tree_model m;
    tree_score *p = NULL;
    double *row = NULL;
    void *z = NULL;

    if ((rc = skco_ml_rows(s, x, &rows, &cols, err, errlen)))
        return rc;
    if (v5 && !skco_is_real(dt))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be float or double");
    if ((rc = tree_build(s, dt == SKC_DT_F64, 0, &m, err, errlen)))
        return rc;
    if (m.max_feature >= cols) {
        rc = skco_fail(err, errlen, s, SKC_E_INVAL, "a node reads feature %lld of %lld",
                       (long long)m.max_feature, (long long)cols);
        goto done;
    }
    shape[0] = rows;
    shape[1] = m.n_targets;
    if (m.classifier) {
        if ((rc = skco_new(m.labels_s ? SKC_DT_STRING : SKC_DT_I64, 1, &rows, &out[0], NULL)) ||
            (rc = skco_new(SKC_DT_F32, 2, shape, &out[1], &z)))
            goto done;
    } else if ((rc = skco_new(v5 && dt == SKC_DT_F64 ? SKC_DT_F64 : SKC_DT_F32, 2, shape, &out[0], &z))) {
        goto done;
    }
    p = malloc((size_t)m.n_targets * sizeof(*p));
    row = malloc((size_t)(cols ? cols : 1) * sizeof(double));
    m.scratch = malloc((size_t)m.n_targets * sizeof(float));
    if (!p || !row || !m.scratch) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (r = 0; r < rows && rc == SKC_OK; r++) {
        int64_t c, label = 0;
        /* ORT compares in the threshold type: non-double inputs as float. */
        for (c = 0; c < cols; c++)
            row[c] = tree_th(&m, skco_get(x, r * cols + c));
        memset(p, 0, (size_t)m.n_targets * sizeof(*p));
        for (t = 0; t < m.n_roots; t++) {
            int64_t leaf = tree_leaf(&m, m.roots[t], row);
            if (leaf < 0) {
                rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "tree %lld has a cycle", (long long)t);
                break;
            }
            tree_accumulate(&m, p, leaf);
        }
        if (rc)
            break;
        if (!m.classifier) {
            int f64 = skc_tensor_dtype(out[0]) == SKC_DT_F64;
            tree_finish_reg(&m, p, f64 ? NULL : (float *)z + r * m.n_targets,
                            f64 ? (double *)z + r * m.n_targets : NULL);
            continue;
        }
        if (tree_finish_cls(&m, p, (float *)z + r * m.n_targets, &label)) {
            rc = skco_fail(err, errlen, s, SKC_E_INVAL, "row %lld: no tree gave any class a score",
                           (long long)r);
            break;
        }
        if (m.labels_s) {
            const char *l = label >= 0 && label < skc_tensor_numel(m.labels_s) ?
                            skc_tensor_string(m.labels_s, label, NULL) : "";
            rc = skc_tensor_set_string(out[0], r, l, strlen(l));
        } else {
            ((int64_t *)skc_tensor_data_mut(out[0]))[r] = label;
        }
    }
done:
    if (rc) {
        skc_tensor_free(out[0]);
        out[0] = NULL;
        if (m.classifier) {
            skc_tensor_free(out[1]);
            out[1] = NULL;
        }
    }
    free(p);
    free(row);
    tree_free(&m);
    return rc;
}

int skco_eval_tree_classifier(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                              char *err, size_t errlen)
{
    return tree_run(s, in, out, err, errlen);
}

int skco_eval_tree_regressor(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                             char *err, size_t errlen)
{
    return tree_run(s, in, out, err, errlen);
}

int skco_eval_tree_ensemble(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                            char *err, size_t errlen)
{
    return tree_run(s, in, out, err, errlen);
}
