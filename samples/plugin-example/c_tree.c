/* SPDX-License-Identifier: MIT */
/* c_tree.c: tree_ensemble as static node tables walked by one loop, so that forests of any size compile quickly. */
#include <string.h>
#include "c_writer.h"

/* core/OPS.md tree_ensemble: aggregate values as the generated code numbers them. */
enum { CW_AGG_SUM = 0, CW_AGG_AVERAGE = 1, CW_AGG_NONE = 2 };

typedef struct cw_trees {
    const skc_tensor *offsets, *feature, *threshold, *left, *right, *missing_left;
    const skc_tensor *value, *target, *base, *cat_index;
    int64_t n_targets, x_float32;
    double scale;
    int aggregate;
} cw_trees;

static int cw_tree_load(cw_writer *w, const skc_step *st, int index, cw_trees *t)
{
    const char *agg = "sum";
    int rc;

    memset(t, 0, sizeof(*t));
    if ((rc = cw_attr_tensor(w, st, index, "tree_offsets", SKC_DT_I64, 1, 1, &t->offsets)) ||
        (rc = cw_attr_tensor(w, st, index, "feature", SKC_DT_I32, 1, 1, &t->feature)) ||
        (rc = cw_attr_tensor(w, st, index, "threshold", SKC_DT_F64, 1, 1, &t->threshold)) ||
        (rc = cw_attr_tensor(w, st, index, "left", SKC_DT_I32, 1, 1, &t->left)) ||
        (rc = cw_attr_tensor(w, st, index, "right", SKC_DT_I32, 1, 1, &t->right)) ||
        (rc = cw_attr_tensor(w, st, index, "missing_left", SKC_DT_U8, 1, 1,
                             &t->missing_left)) ||
        (rc = cw_attr_tensor(w, st, index, "value", SKC_DT_F64, 2, 1, &t->value)) ||
        (rc = cw_attr_tensor(w, st, index, "target", SKC_DT_I32, 1, 0, &t->target)) ||
        (rc = cw_attr_tensor(w, st, index, "base", SKC_DT_F64, 1, 0, &t->base)) ||
        (rc = cw_attr_tensor(w, st, index, "cat_index", SKC_DT_I32, 1, 0, &t->cat_index)))
        return rc;
    t->scale = 1.0;
    skc_step_get_float(st, "scale", &t->scale);
    skc_step_get_int(st, "n_targets", &t->n_targets);
    skc_step_get_int(st, "x_float32", &t->x_float32);
    skc_step_get_string(st, "aggregate", &agg);
    if (strcmp(agg, "sum") == 0)
        t->aggregate = CW_AGG_SUM;
    else if (strcmp(agg, "average") == 0)
        t->aggregate = CW_AGG_AVERAGE;
    else if (strcmp(agg, "none") == 0)
        t->aggregate = CW_AGG_NONE;
    else
        return cw_fail(w, SKC_E_UNSUPPORTED, "step %d (tree_ensemble): aggregate '%s' is "
                       "not supported", index, agg);
    return SKC_OK;
}

/* The host's skc_model_validate() (run by the writer before planning)
 * proved the trees well formed: children follow their parent inside
 * their tree, leaves number the value rows in order. What is left to
 * check is what the generated code assumes beyond that. */
static int cw_tree_plan(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                        cw_tensor *out)
{
    const int32_t *feat, *left, *ci;
    cw_trees t;
    int64_t i, m;
    int rc;

    if ((rc = cw_tree_load(w, st, index, &t)))
        return rc;
    m = skc_tensor_numel(t.feature);
    feat = skc_tensor_data(t.feature);
    left = skc_tensor_data(t.left);
    ci = t.cat_index ? skc_tensor_data(t.cat_index) : NULL;
    for (i = 0; i < m; i++) {
        if (left[i] < 0)
            continue;
        /* Bitset splits would need their own tables and routing; this
         * example keeps to numeric splits and says so. */
        if (ci && ci[i] >= 0)
            return cw_fail(w, SKC_E_UNSUPPORTED, "step %d (tree_ensemble): node %lld is a "
                           "categorical split, which format 'c' does not support", index,
                           (long long)i);
        if (feat[i] < 0 || feat[i] >= in->width)
            return cw_fail(w, SKC_E_FORMAT, "step %d (tree_ensemble): node %lld splits on "
                           "column %d of %d", index, (long long)i, (int)feat[i], in->width);
    }
    if (t.n_targets < 1 || t.n_targets > INT32_MAX / 2)
        return cw_fail(w, SKC_E_FORMAT, "step %d (tree_ensemble): n_targets %lld", index,
                       (long long)t.n_targets);
    out->width = (int)t.n_targets;
    w->helpers |= CW_H_TREE | CW_H_F32;
    return SKC_OK;
}

/* Children become indices into the one node array of the step, so the
 * walk needs no per-tree offset; leaves keep left = -1 - their value row,
 * which is already global. */
static void cw_tree_nodes(cw_writer *w, int index, const cw_trees *t)
{
    const int64_t *off = skc_tensor_data(t->offsets);
    const int32_t *feat = skc_tensor_data(t->feature);
    const int32_t *left = skc_tensor_data(t->left);
    const int32_t *right = skc_tensor_data(t->right);
    const uint8_t *ml = skc_tensor_data(t->missing_left);
    const double *thr = skc_tensor_data(t->threshold);
    int64_t n_trees = skc_tensor_numel(t->offsets) - 1, tr, i, k = 0;

    cw_printf(w, "static const %s_node %s_s%d_nodes[%lld] = {", w->prefix, w->prefix, index,
              (long long)skc_tensor_numel(t->feature));
    for (tr = 0; tr < n_trees && !w->status; tr++) {
        for (i = off[tr]; i < off[tr + 1]; i++, k++) {
            cw_puts(w, k % 2 ? " " : "\n    ");
            if (left[i] < 0) {
                cw_printf(w, "{0.0, -1, %d, -1, 0},", (int)left[i]);
                continue;
            }
            cw_puts(w, "{");
            cw_double(w, thr[i]);
            cw_printf(w, ", %d, %lld, %lld, %d},", (int)feat[i], (long long)(off[tr] + left[i]),
                      (long long)(off[tr] + right[i]), ml[i] ? 1 : 0);
        }
    }
    cw_puts(w, "\n};\n");
}

static void cw_tree_ints(cw_writer *w, int index, const char *key, const skc_tensor *t,
                         int64_t n)
{
    int64_t i;

    cw_printf(w, "static const int %s_s%d_%s[%lld] = {", w->prefix, index, key, (long long)n);
    for (i = 0; i < n && !w->status; i++)
        cw_printf(w, "%s%lld,", i % 12 ? " " : "\n    ", (long long)skc_tensor_get_f64(t, i));
    cw_puts(w, "\n};\n");
}

static void cw_tree_tables(cw_writer *w, const skc_step *st, int index)
{
    const char *p = w->prefix;
    cw_trees t;
    int64_t n_trees;

    if (cw_tree_load(w, st, index, &t))
        return;
    n_trees = skc_tensor_numel(t.offsets) - 1;
    cw_printf(w, "/* step %d: %lld trees, %lld nodes, %lld leaves */\n", index,
              (long long)n_trees, (long long)skc_tensor_numel(t.feature),
              (long long)skc_tensor_shape(t.value)[0]);
    cw_tree_nodes(w, index, &t);
    cw_tree_ints(w, index, "roots", t.offsets, n_trees);
    cw_printf(w, "static const double %s_s%d_value[%lld] = ", p, index,
              (long long)skc_tensor_numel(t.value));
    cw_f64_list(w, t.value);
    cw_puts(w, ";\n");
    if (t.target)
        cw_tree_ints(w, index, "target", t.target, skc_tensor_numel(t.target));
    if (t.base) {
        cw_printf(w, "static const double %s_s%d_base[%lld] = ", p, index,
                  (long long)skc_tensor_numel(t.base));
        cw_f64_list(w, t.base);
        cw_puts(w, ";\n");
    }
    cw_printf(w, "static const %s_forest %s_s%d = {\n"
                 "    /* n_trees, n_targets, width, aggregate, x_float32, scale */\n"
                 "    %lld, %lld, %lld, %d, %d, ", p, p,
              index, (long long)n_trees, (long long)t.n_targets,
              (long long)skc_tensor_shape(t.value)[1], t.aggregate, t.x_float32 ? 1 : 0);
    cw_double(w, t.scale);
    cw_printf(w, ",\n    %s_s%d_nodes, %s_s%d_roots, %s_s%d_value, ", p, index, p, index, p,
              index);
    if (t.target)
        cw_printf(w, "%s_s%d_target, ", p, index);
    else
        cw_puts(w, "0, ");
    if (t.base)
        cw_printf(w, "%s_s%d_base\n};\n", p, index);
    else
        cw_puts(w, "0\n};\n");
}

static void cw_tree_call(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                         const cw_tensor *out)
{
    (void)st;
    cw_printf(w, "    %s_tree_ensemble(&%s_s%d, %s, %s);\n", w->prefix, w->prefix, index,
              in->var, out->var);
}

const cw_op cw_op_tree_ensemble = {
    "tree_ensemble", cw_tree_plan, cw_tree_tables, cw_tree_call
};

/* Routing and accumulation as core/OPS.md and skconv's evaluator do it:
 * float32(x) when x_float32, NaN by missing_left, else x <= threshold;
 * the sums start at base, add scale * value tree by tree, in order. */
void cw_emit_tree_helpers(cw_writer *w)
{
    cw_template(w,
        "/* A tree node. At a split, x[feature] <= threshold goes to node left,\n"
        "   anything else to node right, and NaN to left when missing_left is 1.\n"
        "   At a leaf, left is -1 minus the leaf's row in the value table. */\n"
        "typedef struct $_node {\n"
        "    double threshold;\n"
        "    int feature;\n"
        "    int left, right;\n"
        "    int missing_left;\n"
        "} $_node;\n"
        "\n"
        "typedef struct $_forest {\n"
        "    int n_trees, n_targets, width;\n"
        "    int aggregate;        /* 0: sum, 1: average, 2: each tree's own value */\n"
        "    int x_float32;        /* 1: compare float32(x), as sklearn's trees do */\n"
        "    double scale;         /* each leaf value is multiplied by it */\n"
        "    const $_node *nodes;  /* every tree, one after the other */\n"
        "    const int *roots;     /* each tree's root in nodes */\n"
        "    const double *value;  /* width values per leaf */\n"
        "    const int *target;    /* 0, or the output each tree adds to */\n"
        "    const double *base;   /* 0, or where the sums start */\n"
        "} $_forest;\n"
        "\n"
        "static int $_leaf(const $_node *nodes, int i, const double *x, int x_float32)\n"
        "{\n"
        "    double v;\n"
        "    int left;\n"
        "\n"
        "    while (nodes[i].left >= 0) {\n"
        "        v = x[nodes[i].feature];\n"
        "        if (x_float32)\n"
        "            v = $_f32(v);\n"
        "        if (isnan(v))\n"
        "            left = nodes[i].missing_left;\n"
        "        else\n"
        "            left = v <= nodes[i].threshold;\n"
        "        i = left ? nodes[i].left : nodes[i].right;\n"
        "    }\n"
        "    return -1 - nodes[i].left;\n"
        "}\n"
        "\n"
        "static void $_tree_ensemble(const $_forest *f, const double *x, double *y)\n"
        "{\n"
        "    const double *leaf;\n"
        "    int t, k;\n"
        "\n"
        "    for (k = 0; k < f->n_targets; k++)\n"
        "        y[k] = f->base ? f->base[k] : 0.0;\n"
        "    for (t = 0; t < f->n_trees; t++) {\n"
        "        leaf = f->value + $_leaf(f->nodes, f->roots[t], x, f->x_float32) * f->width;\n"
        "        if (f->aggregate == 2)\n"
        "            y[t] = leaf[0];\n"
        "        else if (f->target)\n"
        "            y[f->target[t]] += f->scale * leaf[0];\n"
        "        else\n"
        "            for (k = 0; k < f->width; k++)\n"
        "                y[k] += f->scale * leaf[k];\n"
        "    }\n"
        "    if (f->aggregate == 1)\n"
        "        for (k = 0; k < f->n_targets; k++)\n"
        "            y[k] /= (double)f->n_trees;\n"
        "}\n\n");
}
