/* SPDX-License-Identifier: MIT */
/* onnx_ops_tree.c: the IR `tree_ensemble`, `iforest_score`, `weighted_median` and `multi_label` steps as ai.onnx.ml tree ensembles and standard ONNX ops (core/OPS.md). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_exact.h"
#include "onnx_wire.h"

/*
 * How a tree_ensemble is written (every choice keeps sklearn's routing
 * exact; research/PEERS.md §2.2-2.3 and §5):
 *
 * | target                   | operator               | thresholds               | leaves                      |
 * |--------------------------|------------------------|--------------------------|-----------------------------|
 * | dtype=float32, ml ≤ 4    | TreeEnsembleRegressor  | float, rounded down (*)  | float weights, summed       |
 * | dtype=float64, ml ≤ 4    | TreeEnsembleRegressor  | float (*) / double (HGB) | leaf ordinals, then a       |
 * |                          |   (its Y is float)     |                          |   Gather of double values   |
 * | ml = 5, one value a leaf | TreeEnsemble           | in the I/O type (*)      | weights in the I/O type     |
 * | ml = 5, several a leaf   | TreeEnsemble           | in the I/O type (*)      | leaf ordinals + Gather      |
 *
 * (*) sklearn compares float32(x) <= t with t a double; for float32 x that
 * is x <= t' with t' the largest float32 not above t, so float thresholds
 * are rounded down, and in double the input goes through float32 first.
 * HistGradientBoosting compares x <= t in double (x_float32 = 0).
 * NaN goes where missing_left says (nodes_missing_value_tracks_true, left
 * out when no split sends NaN left: its default is all false).
 * Categorical splits become extra input columns: a lookup table per
 * categorical feature gives 0 (left) or 1 (right) per category, so the
 * tree tests "z <= 0.5"; this is exact in every opset, with no subtree
 * copied. Learning rates are folded into the leaf values (scale * value,
 * as sklearn multiplies), base values and averaging are Add and Div.
 *
 * Large forests: the node lists are written as packed protobuf bytes
 * (onnx.proto's repeated ints and floats are proto2 unpacked, which every
 * parser must also accept packed), counted while the graph is built and
 * filled straight into the output file once it is laid out (onnx_fill.c),
 * so they are never held in memory.
 */

typedef struct te_step {
    int64_t n_trees, n_nodes, width, n_targets, n_cat;
    const int64_t *offsets;
    const int32_t *feature, *left, *right, *target, *cat_index;
    const double *threshold, *value, *base;
    const uint8_t *mleft;
    const uint32_t *cat_bitset;
    double scale;
    int agg;                 /* 0 sum, 1 average, 2 none */
    int x_float32;
    /* the plan */
    int io;                  /* the graph's real type (dtype option)    */
    int thr_float;           /* thresholds as float32 rounded down      */
    int gather;              /* leaves give ordinals, values are Gathered */
    int v5;
    int64_t n_cols;          /* input columns (X plus categorical columns) */
    int64_t *zcol;           /* per node: categorical column, -1 */
    int64_t n_leaves, max_tree, n_value_rows;
    int miss;                /* some split sends NaN left: the list is written */
} te_step;

static const void *te_data(onnx_builder *b, const skc_step *st, const char *key, int dtype,
                           int ndim, int required, const skc_tensor **t, int *rc)
{
    *rc = 0;
    if (skc_step_get_tensor(st, key, t) != SKC_OK) {
        *t = NULL;
        if (required)
            *rc = onnx_error(b, SKC_E_FORMAT, "attribute '%s' is missing", key);
        return NULL;
    }
    if (skc_tensor_dtype(*t) != dtype || skc_tensor_ndim(*t) != ndim) {
        *rc = onnx_error(b, SKC_E_FORMAT, "attribute '%s' has the wrong type", key);
        return NULL;
    }
    return skc_tensor_data(*t);
}

/* The step as the core validated it (skc_model_validate ran the op's
 * structural check before the writer was called). */
static int te_read(onnx_builder *b, const skc_step *st, te_step *s)
{
    const skc_tensor *t;
    const char *agg = "sum";
    int64_t xf = 0;
    int rc;

    memset(s, 0, sizeof(*s));
    s->offsets = te_data(b, st, "tree_offsets", SKC_DT_I64, 1, 1, &t, &rc);
    if (rc)
        return rc;
    s->n_trees = skc_tensor_numel(t) - 1;
    s->feature = te_data(b, st, "feature", SKC_DT_I32, 1, 1, &t, &rc);
    if (rc)
        return rc;
    s->n_nodes = skc_tensor_numel(t);
    if (!(s->threshold = te_data(b, st, "threshold", SKC_DT_F64, 1, 1, &t, &rc)) ||
        !(s->left = te_data(b, st, "left", SKC_DT_I32, 1, 1, &t, &rc)) ||
        !(s->right = te_data(b, st, "right", SKC_DT_I32, 1, 1, &t, &rc)) ||
        !(s->mleft = te_data(b, st, "missing_left", SKC_DT_U8, 1, 1, &t, &rc)) ||
        !(s->value = te_data(b, st, "value", SKC_DT_F64, 2, 1, &t, &rc)))
        return rc;
    s->width = skc_tensor_shape(t)[1];
    s->n_value_rows = skc_tensor_shape(t)[0];
    s->target = te_data(b, st, "target", SKC_DT_I32, 1, 0, &t, &rc);
    if (rc)
        return rc;
    s->cat_index = te_data(b, st, "cat_index", SKC_DT_I32, 1, 0, &t, &rc);
    if (rc)
        return rc;
    s->cat_bitset = te_data(b, st, "cat_bitset", SKC_DT_U32, 2, 0, &t, &rc);
    if (rc)
        return rc;
    s->n_cat = t ? skc_tensor_shape(t)[0] : 0;
    s->base = te_data(b, st, "base", SKC_DT_F64, 1, 0, &t, &rc);
    if (rc)
        return rc;
    if (skc_step_get_int(st, "n_targets", &s->n_targets) != SKC_OK || s->n_targets < 1)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'n_targets' is missing");
    skc_step_get_string(st, "aggregate", &agg);
    s->agg = strcmp(agg, "average") == 0 ? 1 : strcmp(agg, "none") == 0 ? 2 : 0;
    skc_step_get_int(st, "x_float32", &xf);
    s->x_float32 = xf != 0;
    s->scale = 1.0;
    skc_step_get_float(st, "scale", &s->scale);
    if (s->n_trees < 1 || s->n_nodes < 1)
        return onnx_error(b, SKC_E_FORMAT, "an empty tree ensemble");
    return 0;
}

/* ---- packed attribute lists ---------------------------------------------- */

/* A list attribute whose payload is the protobuf bytes @p data (after
 * the field tag): kept as an unknown field, which protobuf-c writes
 * verbatim after the known ones. */
static int te_attr_raw(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                       Onnx__AttributeProto__AttributeType type, uint32_t field,
                       const uint8_t *data, size_t len)
{
    ProtobufCMessageUnknownField *uf = onnx_arena_alloc(b->arena, 1, sizeof(*uf));
    Onnx__AttributeProto *at;
    int rc;

    if (!uf)
        return SKC_E_NOMEM;
    if ((rc = onnx_attr_new(b, n, key, type, &at)) < 0)
        return rc;
    uf->tag = field;
    uf->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    uf->len = len;
    uf->data = (uint8_t *)(uintptr_t)data;
    at->base.n_unknown_fields = 1;
    at->base.unknown_fields = uf;
    return 0;
}

/* AttributeProto.ints (field 8), packed. */
static int te_attr_ints(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                        const int64_t *v, size_t count)
{
    size_t body = 0, i;
    uint8_t *d, *p;

    for (i = 0; i < count; i++)
        body += onnx_varint_len((uint64_t)v[i]);
    if (!(d = onnx_arena_alloc(b->arena, body + 10, 1)))
        return SKC_E_NOMEM;
    p = onnx_put_varint(d, body);
    for (i = 0; i < count; i++)
        p = onnx_put_varint(p, (uint64_t)v[i]);
    return te_attr_raw(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, 8, d,
                       (size_t)(p - d));
}

/* A list of fixed-size entries per node, filled later: the modes and the
 * float thresholds. */
typedef struct te_fixed {
    const te_step *s;
    uint8_t *dst;        /* place in the file          */
    size_t body;         /* the list's bytes (the thresholds: after their
                          * length prefix; the modes have none) */
} te_fixed;

/* The two modes; only their lengths are used (te_mode_field spells them). */
#define TE_LEQ "BRANCH_LEQ"
#define TE_LEAF "LEAF"

/* A mode's field: key (field 9, length-delimited), length, bytes; a
 * leaf's 6 bytes padded to a split's 12 so that every field is one copy
 * of the same size (the padding is overwritten by the next field). */
static const uint8_t te_mode_field[2][12] = {
    { (9 << 3) | 2, 10, 'B', 'R', 'A', 'N', 'C', 'H', '_', 'L', 'E', 'Q' },
    { (9 << 3) | 2, 4, 'L', 'E', 'A', 'F', 0, 0, 0, 0, 0, 0 },
};

static int te_modes_fill(void *ctx)
{
    const te_fixed *f = ctx;
    const int32_t *left = f->s->left;
    uint8_t *p = f->dst;
    size_t i, n = (size_t)f->s->n_nodes, leaf;

    /* The first field's key is the unknown field's own (written by the
     * pack), the last is copied at its size: nothing past the list. The
     * arrays are in locals: a byte store could change *s as far as the
     * compiler knows. */
    for (i = 0; i < n; i++) {
        leaf = left[i] < 0;
        if (i == 0 || i + 1 == n) {
            size_t skip = i == 0, len = leaf ? 6 : 12;
            memcpy(p, te_mode_field[leaf] + skip, len - skip);
            p += len - skip;
        } else {
            memcpy(p, te_mode_field[leaf], 12);
            p += 12 - 6 * leaf;
        }
    }
    return (size_t)(p - f->dst) == f->body ? 0 : SKC_E_INTERNAL;
}

/* AttributeProto.strings (field 9): "BRANCH_LEQ" for splits, "LEAF" for
 * leaves; strings cannot be packed, so the bytes repeat the field tag
 * (the first one is the unknown field's own). */
static int te_attr_modes(onnx_builder *b, Onnx__NodeProto *n, const te_step *s)
{
    size_t leaves = (size_t)s->n_leaves, nodes = (size_t)s->n_nodes;
    te_fixed *f = onnx_arena_alloc(b->arena, 1, sizeof(*f));
    const uint8_t *mark;
    int rc;

    if (!f)
        return SKC_E_NOMEM;
    f->s = s;
    f->body = 2 * nodes - 1 + leaves * (sizeof(TE_LEAF) - 1) +
              (nodes - leaves) * (sizeof(TE_LEQ) - 1);
    if (!(mark = onnx_fill_mark(b, f->body, &f->dst)))
        return SKC_E_NOMEM;
    if ((rc = te_attr_raw(b, n, "nodes_modes", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS,
                          9, mark, f->body)) < 0)
        return rc;
    return onnx_fill_job(b, te_modes_fill, f);
}

/* An attribute holding a tensor (ml v3 *_as_tensor, v5 splits and weights). */
static int te_attr_tensor(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                          int elem, const void *data, size_t count)
{
    Onnx__AttributeProto *at;
    Onnx__TensorProto *tp = onnx_arena_alloc(b->arena, 1, sizeof(*tp));
    int64_t *dims = onnx_arena_alloc(b->arena, 1, sizeof(*dims));
    int rc;

    if (!tp || !dims)
        return SKC_E_NOMEM;
    if ((rc = onnx_attr_new(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, &at)) < 0)
        return rc;
    onnx__tensor_proto__init(tp);
    dims[0] = (int64_t)count;
    tp->n_dims = 1;
    tp->dims = dims;
    tp->has_data_type = 1;
    tp->data_type = elem;
    if (elem == ONNX_ELEM_DOUBLE) {
        tp->n_double_data = count;
        tp->double_data = (double *)(uintptr_t)data;
    } else {
        /* uint8 (v5 nodes_modes): raw bytes, the same on any host. */
        tp->has_raw_data = 1;
        tp->raw_data.len = count;
        tp->raw_data.data = (uint8_t *)(uintptr_t)data;
    }
    at->t = tp;
    return 0;
}

/* ---- thresholds ---------------------------------------------------------- */

/* The largest float32 not above @p t: for every float32 x,
 * x <= result exactly when (double)x <= t. */
static float te_floor_f32(double t)
{
    float f = (float)t;
    uint32_t u;

    if (!((double)f > t))      /* NaN too */
        return f;
    /* The next float32 down (nextafterf toward -inf), on the bits. */
    memcpy(&u, &f, 4);
    if (f == 0.0f)
        u = 0x80000001u;      /* -0 or +0: the negative smallest */
    else if (u >> 31)
        u += 1;               /* negative: away from zero */
    else
        u -= 1;               /* positive: toward zero */
    memcpy(&f, &u, 4);
    return f;
}

/* ---- the plan ------------------------------------------------------------ */

/* The ensemble always reads doubles and (ONNX Runtime's kernels, for
 * double inputs) compares and sums in double; the output is rounded to
 * the graph's type once, at the end, so sums that tie in sklearn still
 * tie. Its input is float32-representable whenever the graph is float32
 * or sklearn casts to float32 first, and then float thresholds rounded
 * down are exact. */
static int te_plan(onnx_builder *b, te_step *s, int io)
{
    int64_t t, i, n_z = 0;

    s->io = io;
    s->v5 = b->ml_opset >= 5;
    s->thr_float = !s->v5 && (io == ONNX_ELEM_FLOAT || s->x_float32);
    if (!s->v5 && !s->thr_float && b->ml_opset < 3)
        return onnx_error(b, SKC_E_UNSUPPORTED, "double thresholds (HistGradientBoosting "
                          "with dtype=float64) need ml_opset=3 or later");
    s->gather = s->v5 ? (s->width > 1 && s->agg != 2) : io == ONNX_ELEM_DOUBLE;
    for (t = 0; t < s->n_trees; t++) {
        int64_t size = s->offsets[t + 1] - s->offsets[t];
        if (size > s->max_tree)
            s->max_tree = size;
    }
    /* value has one row per leaf (the IR's proof). Whether a split sends
     * NaN left: one branch-free pass (categorical splits track nothing). */
    s->n_leaves = s->n_value_rows;
    {
        int64_t any = 0;
        if (s->cat_index) {
            for (i = 0; i < s->n_nodes; i++)
                any |= (s->left[i] >= 0) & (s->mleft[i] != 0) & (s->cat_index[i] < 0);
        } else {
            for (i = 0; i < s->n_nodes; i++)
                any |= (s->left[i] >= 0) & (s->mleft[i] != 0);
        }
        s->miss = any != 0;
    }
    /* Ordinals travel as float (ml ≤ 4 outputs are float). */
    if (s->gather && s->max_tree > (1 << 24))
        return onnx_error(b, SKC_E_LIMIT, "a tree of %lld nodes is too large for leaf "
                          "ordinals in float", (long long)s->max_tree);
    if (s->cat_index) {
        /* In the arena: the lists are filled after this step returns. */
        if (!(s->zcol = onnx_arena_alloc(b->arena, (size_t)s->n_nodes, sizeof(*s->zcol))))
            return SKC_E_NOMEM;
        for (i = 0; i < s->n_nodes; i++)
            s->zcol[i] = -1;
        /* Columns grouped by feature, in order of first use. */
        for (i = 0; i < s->n_nodes; i++) {
            int64_t j;
            if (s->left[i] < 0 || s->cat_index[i] < 0 || s->zcol[i] >= 0)
                continue;
            for (j = i; j < s->n_nodes; j++)
                if (s->left[j] >= 0 && s->cat_index[j] >= 0 && s->zcol[j] < 0 &&
                    s->feature[j] == s->feature[i])
                    s->zcol[j] = n_z++;
        }
    }
    s->n_cols = n_z;
    return 0;
}

/* Column of node @p i in the ensemble's input: categorical columns come
 * first (their count is known here, X's width is not), then X. */
static int64_t te_col(const te_step *s, int64_t i)
{
    if (s->zcol && s->zcol[i] >= 0)
        return s->zcol[i];
    return s->feature[i] + s->n_cols;
}

/* Row in value of leaf @p i (core/OPS.md: left = -1 - row). */
static int64_t te_row(const te_step *s, int64_t i)
{
    return -1 - (int64_t)s->left[i];
}

static int te_is_cat(const te_step *s, int64_t i)
{
    return s->zcol && s->zcol[i] >= 0;
}

/* The categorical columns: per categorical feature, idx = floor(x) + 1 for
 * 0 <= x < 256, else 0 (NaN, negative, too large), then a row of a
 * [258, n] table of 0 (go left) / 1 (go right) per categorical split. */
static int te_categorical(onnx_builder *b, const te_step *s, const char *x, const char **z)
{
    const char **parts = NULL, *zero, *top, *m1, *one;
    int64_t i, n_parts = 0, done = 0;
    int rc;

    if (!(parts = calloc((size_t)s->n_cols, sizeof(*parts))))
        return SKC_E_NOMEM;
    if ((rc = onnx_const_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_const_scalar(b, "c256", 256.0, &top)) < 0 ||
        (rc = onnx_const_scalar(b, "minus_one", -1.0, &m1)) < 0 ||
        (rc = onnx_const_scalar(b, "one", 1.0, &one)) < 0)
        goto done;
    while (done < s->n_cols) {
        int64_t f = -1, first = -1, cnt = 0, dims[2];
        double *tab;
        const char *fi, *xf, *ge, *lt, *ok, *xs, *fl, *fl1, *idx, *tb;
        Onnx__NodeProto *n;
        for (i = 0; i < s->n_nodes; i++)
            if (te_is_cat(s, i) && s->zcol[i] == done) {
                f = s->feature[i];
                first = s->zcol[i];
                break;
            }
        for (i = 0; i < s->n_nodes; i++)
            if (te_is_cat(s, i) && s->feature[i] == f)
                cnt++;
        if (f < 0 || cnt < 1) {
            rc = onnx_error(b, SKC_E_INTERNAL, "categorical columns out of order");
            goto done;
        }
        dims[0] = 258;
        dims[1] = cnt;
        if (!(tab = onnx_arena_alloc(b->arena, (size_t)(258 * cnt), sizeof(*tab)))) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        for (i = 0; i < s->n_nodes; i++) {
            const uint32_t *bs;
            int64_t col, c;
            if (!te_is_cat(s, i) || s->feature[i] != f)
                continue;
            col = s->zcol[i] - first;
            bs = s->cat_bitset + (int64_t)s->cat_index[i] * 8;
            tab[col] = s->mleft[i] ? 0.0 : 1.0;
            for (c = 0; c < 256; c++)
                tab[(c + 1) * cnt + col] = (bs[c / 32] >> (c % 32)) & 1u ? 0.0 : 1.0;
        }
        if ((rc = onnx_const_i64(b, "cat_feature", &f, 0, NULL, &fi)) < 0 ||
            (rc = onnx_const_real(b, "cat_table", tab, 2, dims, &tb)) < 0 ||
            (rc = onnx_name_fresh(b, "cat_x", &xf)) < 0)
            goto done;
        {
            const char *g_in[2] = { x, fi };
            if ((rc = onnx_node(b, "Gather", NULL, g_in, 2, &xf, 1, &n)) < 0 ||
                (rc = onnx_attr_int(b, n, "axis", 1)) < 0)
                goto done;
        }
        if ((rc = onnx_x2(b, "GreaterOrEqual", xf, zero, "cat_ge", &ge)) < 0 ||
            (rc = onnx_x2(b, "Less", xf, top, "cat_lt", &lt)) < 0 ||
            (rc = onnx_x2(b, "And", ge, lt, "cat_ok", &ok)) < 0 ||
            (rc = onnx_x3(b, "Where", ok, xf, m1, "cat_xs", &xs)) < 0 ||
            (rc = onnx_x1(b, "Floor", xs, "cat_floor", &fl)) < 0 ||
            (rc = onnx_x2(b, "Add", fl, one, "cat_row", &fl1)) < 0 ||
            (rc = onnx_x_cast(b, fl1, ONNX_ELEM_INT64, "cat_idx", &idx)) < 0 ||
            (rc = onnx_name_fresh(b, "cat_z", &parts[n_parts])) < 0)
            goto done;
        {
            const char *g_in[2] = { tb, idx };
            if ((rc = onnx_node(b, "Gather", NULL, g_in, 2, &parts[n_parts], 1, &n)) < 0 ||
                (rc = onnx_attr_int(b, n, "axis", 0)) < 0)
                goto done;
        }
        n_parts++;
        done += cnt;
    }
    if (n_parts == 1) {
        *z = parts[0];
    } else {
        Onnx__NodeProto *n;
        if ((rc = onnx_name_fresh(b, "cat_columns", z)) < 0 ||
            (rc = onnx_node(b, "Concat", NULL, parts, (size_t)n_parts, z, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 1)) < 0)
            goto done;
    }
    rc = 0;
done:
    free(parts);
    return rc;
}

/* The ensemble's input, in double (b->real_elem is DOUBLE here): X,
 * through float32 first when sklearn casts and the graph is double, after
 * the categorical columns. */
static int te_input(onnx_builder *b, const skc_step *st, const te_step *s, const char **xin)
{
    const char *x, *xt, *z;
    int rc;

    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    xt = x;
    if (s->x_float32 && s->io == ONNX_ELEM_DOUBLE) {
        const char *xf;
        if ((rc = onnx_x_cast(b, x, ONNX_ELEM_FLOAT, "x_float32", &xf)) < 0 ||
            (rc = onnx_x_cast(b, xf, ONNX_ELEM_DOUBLE, "x_rounded", &xt)) < 0)
            return rc;
    }
    if (!s->n_cols) {
        *xin = xt;
        return 0;
    }
    if ((rc = te_categorical(b, s, x, &z)) < 0 ||
        (rc = onnx_name_fresh(b, "tree_input", xin)) < 0)
        return rc;
    {
        const char *c_in[2] = { z, xt };
        Onnx__NodeProto *n;
        if ((rc = onnx_node(b, "Concat", NULL, c_in, 2, xin, 1, &n)) < 0)
            return rc;
        return onnx_attr_int(b, n, "axis", 1);
    }
}

/* Threshold of split node @p i as the comparison type sees it. */
static double te_split(const te_step *s, int64_t i)
{
    if (te_is_cat(s, i))
        return 0.5;
    return s->thr_float ? (double)te_floor_f32(s->threshold[i]) : s->threshold[i];
}

/* Column a leaf value lands in (direct mode). */
static int64_t te_target_col(const te_step *s, int64_t t, int64_t k)
{
    if (s->agg == 2)
        return t;
    if (s->target)
        return s->target[t];
    return k;
}

/* ---- ai.onnx.ml TreeEnsembleRegressor (ml opset 1-4) --------------------- */

enum { TE_TREE, TE_NODE, TE_FEAT, TE_TRUE, TE_FALSE, TE_MISS, TE_NODE_LISTS };

/* The node and vote lists are counted while the graph is built
 * (te_v3_nodes_count, te_v3_votes_count, without walking the nodes where
 * they can) and written in place later (onnx_fill.c). */

/* Bytes of varint @p v, 0 <= v < 2^35, without a branch (counting loops
 * vectorise). */
static inline size_t te_vlen(uint64_t v)
{
    return 1 + (size_t)(v >= (1u << 7)) + (size_t)(v >= (1u << 14)) +
           (size_t)(v >= (1u << 21)) + (size_t)(v >= (1u << 28));
}

/* Bytes of the varints 0 .. n - 1. */
static size_t te_vlen_upto(int64_t n)
{
    size_t sum = (size_t)n;

    for (int64_t b = 1 << 7; b < n; b <<= 7)
        sum += (size_t)(n - b);
    return sum;
}

/* The feature, true, false and missing lists' bytes where categorical
 * splits read columns of their own (te_col): node by node. */
static void te_v3_nodes_count_cat(const te_step *s, size_t *len)
{
    int64_t i;

    for (i = 0; i < s->n_nodes; i++) {
        int leaf = s->left[i] < 0;
        len[TE_FEAT] += leaf ? 1 : te_vlen((uint64_t)te_col(s, i));
        len[TE_TRUE] += leaf ? 1 : te_vlen((uint64_t)(uint32_t)s->left[i]);
        len[TE_FALSE] += leaf ? 1 : te_vlen((uint64_t)(uint32_t)s->right[i]);
        if (s->miss)
            len[TE_MISS] += leaf || te_is_cat(s, i) ? 1 : te_vlen(s->mleft[i]);
    }
}

/* Four int32 lanes (GCC and clang vector extensions; plain SSE2 on
 * x86-64): the counts below are sums over millions of nodes, and the
 * compiler's -O2 does not vectorise them by itself. */
typedef int32_t te_i32x4 __attribute__((vector_size(16)));

/* Per lane, minus the bytes varint v takes beyond its first (v >= 0). */
static inline te_i32x4 te_extra4(te_i32x4 v)
{
    return (v > 127) + (v > 16383) + (v > 2097151) + (v > 268435455);
}

static int64_t te_sum4(te_i32x4 v)
{
    return (int64_t)v[0] + v[1] + v[2] + v[3];
}

/* The feature, true and false lists' bytes (te_v3_nodes_write's) of
 * nodes [0, n) with X's columns only: one byte per leaf, each split's
 * varints; four nodes at a time, in blocks whose lane sums fit. */
static void te_v3_nodes_count_x(const te_step *s, size_t *len)
{
    const int32_t *left = s->left, *right = s->right, *feature = s->feature;
    int64_t n = s->n_nodes, i = 0, ef = 0, ea = 0, eb = 0;

    while (i + 4 <= n) {
        te_i32x4 af = { 0, 0, 0, 0 }, aa = af, ab = af;
        int64_t end = i + ((n - i) / 4 < (1 << 24) ? (n - i) / 4 * 4 : (int64_t)1 << 26);
        for (; i < end; i += 4) {
            te_i32x4 l, r, f, split;
            memcpy(&l, left + i, sizeof(l));
            memcpy(&r, right + i, sizeof(r));
            memcpy(&f, feature + i, sizeof(f));
            split = l >= 0;
            af += split & te_extra4(f);
            aa += split & te_extra4(l);
            ab += split & te_extra4(r);
        }
        ef -= te_sum4(af);
        ea -= te_sum4(aa);
        eb -= te_sum4(ab);
    }
    for (; i < n; i++)
        if (left[i] >= 0) {
            ef += (int64_t)te_vlen((uint64_t)feature[i]) - 1;
            ea += (int64_t)te_vlen((uint64_t)(uint32_t)left[i]) - 1;
            eb += (int64_t)te_vlen((uint64_t)(uint32_t)right[i]) - 1;
        }
    len[TE_FEAT] += (size_t)(n + ef);
    len[TE_TRUE] += (size_t)(n + ea);
    len[TE_FALSE] += (size_t)(n + eb);
}

/* What te_v3_nodes_write writes, list by list: ids by tree in closed form,
 * the rest four nodes at a time (categorical columns node by node). */
static void te_v3_nodes_count(const te_step *s, size_t *len)
{
    size_t m = 0;
    int64_t t, i;

    for (t = 0; t < s->n_trees; t++) {
        int64_t size = s->offsets[t + 1] - s->offsets[t];
        len[TE_TREE] += (size_t)size * te_vlen((uint64_t)t);
        len[TE_NODE] += te_vlen_upto(size);
    }
    if (s->zcol || s->n_cols) {
        te_v3_nodes_count_cat(s, len);
        return;
    }
    te_v3_nodes_count_x(s, len);
    if (!s->miss)
        return;
    for (i = 0; i < s->n_nodes; i++)
        m += s->left[i] < 0 ? 1 : te_vlen(s->mleft[i]);
    len[TE_MISS] += m;
}

/* The node lists of the v1/v3 operator (one entry per node, leaves
 * included) as packed varints, all in one walk; each list's end and the
 * step's arrays in locals (a store through a byte pointer may change
 * anything as far as the compiler knows: len[] and *s would be read
 * again at every byte). */
static void te_v3_nodes_write(const te_step *s, uint8_t **out, size_t *len)
{
    const int64_t *off = s->offsets, *zcol = s->zcol, n_cols = s->n_cols, n_trees = s->n_trees;
    const int32_t *left = s->left, *right = s->right, *feature = s->feature;
    const uint8_t *mleft = s->mleft;
    uint8_t *pt = out[TE_TREE] + len[TE_TREE], *pn = out[TE_NODE] + len[TE_NODE];
    uint8_t *pf = out[TE_FEAT] + len[TE_FEAT], *pa = out[TE_TRUE] + len[TE_TRUE];
    uint8_t *pb = out[TE_FALSE] + len[TE_FALSE];
    uint8_t *pm = s->miss ? out[TE_MISS] + len[TE_MISS] : NULL;
    int64_t t, i;

    for (t = 0; t < n_trees; t++) {
        int64_t base = off[t], end = off[t + 1];
        for (i = base; i < end; i++) {
            int leaf = left[i] < 0, cat = zcol && zcol[i] >= 0;
            int64_t col = cat ? zcol[i] : feature[i] + n_cols;
            pt = onnx_put_varint(pt, (uint64_t)t);
            pn = onnx_put_varint(pn, (uint64_t)(i - base));
            pf = onnx_put_varint(pf, leaf ? 0 : (uint64_t)col);
            pa = onnx_put_varint(pa, leaf ? 0 : (uint64_t)(uint32_t)left[i]);
            pb = onnx_put_varint(pb, leaf ? 0 : (uint64_t)(uint32_t)right[i]);
            if (pm)
                pm = onnx_put_varint(pm, leaf || cat ? 0 : mleft[i]);
        }
    }
    len[TE_TREE] = (size_t)(pt - out[TE_TREE]);
    len[TE_NODE] = (size_t)(pn - out[TE_NODE]);
    len[TE_FEAT] = (size_t)(pf - out[TE_FEAT]);
    len[TE_TRUE] = (size_t)(pa - out[TE_TRUE]);
    len[TE_FALSE] = (size_t)(pb - out[TE_FALSE]);
    if (pm)
        len[TE_MISS] = (size_t)(pm - out[TE_MISS]);
}

static void te_v3_nodes(const te_step *s, uint8_t **out, size_t *len, int count)
{
    if (count)
        te_v3_nodes_count(s, len);
    else
        te_v3_nodes_write(s, out, len);
}

enum { TE_VOTE_TREE, TE_VOTE_NODE, TE_VOTE_COL, TE_VOTE_WEIGHT, TE_VOTE_LISTS };

/* Leaf votes (tree, node, target, weight) the same way. Direct mode skips
 * zero weights (adding 0 changes nothing) but keeps one vote so the lists
 * are never empty; gather mode votes each leaf's ordinal in its tree
 * into the tree's own column. Weights are packed fixed32 floats. */
static void te_v3_votes_at(const te_step *s, uint8_t **out, size_t *len)
{
    const int64_t *off = s->offsets, n_trees = s->n_trees, width = s->gather ? 1 : s->width;
    const int32_t *left = s->left;
    const double *value = s->value, scale = s->scale;
    const int gather = s->gather;
    uint8_t *pt = out[TE_VOTE_TREE] + len[TE_VOTE_TREE];
    uint8_t *pn = out[TE_VOTE_NODE] + len[TE_VOTE_NODE];
    uint8_t *pc = out[TE_VOTE_COL] + len[TE_VOTE_COL];
    uint8_t *pw = out[TE_VOTE_WEIGHT] + len[TE_VOTE_WEIGHT];
    int64_t t, i, k, n = 0, last = s->n_nodes - 1;

    while (last > 0 && left[last] >= 0)
        last--;
    for (t = 0; t < n_trees; t++) {
        int64_t ord = 0, base = off[t], end = off[t + 1];
        for (i = base; i < end; i++) {
            if (left[i] >= 0)
                continue;
            for (k = 0; k < width; k++) {
                double w = gather ? (double)ord : scale * value[(-1 - (int64_t)left[i]) * width + k];
                float f = (float)w;
                uint32_t u;
                if (!gather && w == 0.0 && !(n == 0 && i == last && k == 0))
                    continue;
                n++;
                pt = onnx_put_varint(pt, (uint64_t)t);
                pn = onnx_put_varint(pn, (uint64_t)(i - base));
                pc = onnx_put_varint(pc, (uint64_t)(gather ? t : te_target_col(s, t, k)));
                memcpy(&u, &f, 4);
                pw[0] = (uint8_t)u;
                pw[1] = (uint8_t)(u >> 8);
                pw[2] = (uint8_t)(u >> 16);
                pw[3] = (uint8_t)(u >> 24);
                pw += 4;
            }
            ord++;
        }
    }
    len[TE_VOTE_TREE] = (size_t)(pt - out[TE_VOTE_TREE]);
    len[TE_VOTE_NODE] = (size_t)(pn - out[TE_VOTE_NODE]);
    len[TE_VOTE_COL] = (size_t)(pc - out[TE_VOTE_COL]);
    len[TE_VOTE_WEIGHT] = (size_t)(pw - out[TE_VOTE_WEIGHT]);
}

/* Leaves among nodes [lo, hi). */
static int64_t te_leaves_in(const int32_t *left, int64_t lo, int64_t hi)
{
    int64_t c = 0;

    while (lo + 4 <= hi) {
        te_i32x4 acc = { 0, 0, 0, 0 };
        int64_t end = lo + ((hi - lo) / 4 < (1 << 24) ? (hi - lo) / 4 * 4 : (int64_t)1 << 26);
        for (; lo < end; lo += 4) {
            te_i32x4 v;
            memcpy(&v, left + lo, sizeof(v));
            acc += v < 0;
        }
        c -= te_sum4(acc);
    }
    for (; lo < hi; lo++)
        c += left[lo] < 0;
    return c;
}

typedef double te_f64x2 __attribute__((vector_size(16)));
typedef int64_t te_i64x2 __attribute__((vector_size(16)));

/* Per column k0 + k of value (k < kn <= TE_VOTE_COLS), the rows [r0, r1)
 * where it votes (scale * value is not zero) into c[k]; the two columns
 * of a binary classifier's value two lanes at a time. */
#define TE_VOTE_COLS 16
static void te_voting(const te_step *s, int64_t r0, int64_t r1, int64_t k0, int64_t kn,
                      int64_t *c)
{
    const double *value = s->value, scale = s->scale;
    int64_t w = s->width, k;

    for (k = 0; k < kn; k++)
        c[k] = 0;
    if (w == 2 && kn == 2) {
        te_i64x2 acc = { 0, 0 };
        te_f64x2 sc = { scale, scale }, zero = { 0.0, 0.0 };
        for (; r0 < r1; r0++) {
            te_f64x2 v;
            memcpy(&v, value + 2 * r0, sizeof(v));
            acc += (te_i64x2)(v * sc != zero);
        }
        c[0] = -acc[0];
        c[1] = -acc[1];
        return;
    }
    for (; r0 < r1; r0++)
        for (k = 0; k < kn; k++)
            c[k] += scale * value[r0 * w + k0 + k] != 0.0;
}

/* What te_v3_votes_at counts, without its walk: leaves number the value
 * rows in node order (the structure skc_model_validate proved), so a
 * tree's votes are counted on its rows (te_voting, a block of columns at
 * a time), and the node ids of 2, 3, ... bytes belong to the leaves after
 * the first 2^7, 2^14, ... nodes. */
static void te_v3_votes_count(const te_step *s, size_t *len)
{
    int64_t t, k, votes = 0, last = s->n_nodes - 1, base = 0;

    for (t = 0; t < s->n_trees; t++) {
        int64_t lo = s->offsets[t], hi = s->offsets[t + 1], pre[4], np = 0, at = lo, acc = 0;
        int64_t leaves, cnt = 0, b, q, k0, kn, on[TE_VOTE_COLS], pon[4][TE_VOTE_COLS];
        int64_t cols = s->gather ? 1 : s->width;
        size_t node = 0, col = 0;
        for (b = 1 << 7; b < hi - lo && np < 4; b <<= 7) {
            acc += te_leaves_in(s->left, at, lo + b);
            at = lo + b;
            pre[np++] = acc;
        }
        leaves = acc + te_leaves_in(s->left, at, hi);
        for (k0 = 0; k0 < cols; k0 += TE_VOTE_COLS) {
            kn = cols - k0 < TE_VOTE_COLS ? cols - k0 : TE_VOTE_COLS;
            if (!s->gather) {
                te_voting(s, base, base + leaves, k0, kn, on);
                for (q = 0; q < np; q++)
                    te_voting(s, base, base + pre[q], k0, kn, pon[q]);
            }
            for (k = 0; k < kn; k++) {
                int64_t ok = s->gather ? leaves : on[k];
                node += (size_t)ok;
                for (q = 0; q < np; q++)
                    node += (size_t)(ok - (s->gather ? pre[q] : pon[q][k]));
                cnt += ok;
                col += (size_t)ok * te_vlen((uint64_t)(s->gather ? t : te_target_col(s, t, k0 + k)));
            }
        }
        len[TE_VOTE_TREE] += (size_t)cnt * te_vlen((uint64_t)t);
        len[TE_VOTE_NODE] += node;
        len[TE_VOTE_COL] += col;
        len[TE_VOTE_WEIGHT] += 4 * (size_t)cnt;
        votes += cnt;
        base += leaves;
    }
    if (votes > 0)
        return;
    /* All weights zero: the walk keeps the last leaf's first vote. */
    while (last > 0 && s->left[last] >= 0)
        last--;
    for (t = 0; t + 1 < s->n_trees && s->offsets[t + 1] <= last; t++)
        ;
    len[TE_VOTE_TREE] += te_vlen((uint64_t)t);
    len[TE_VOTE_NODE] += te_vlen((uint64_t)(last - s->offsets[t]));
    len[TE_VOTE_COL] += te_vlen((uint64_t)te_target_col(s, t, 0));
    len[TE_VOTE_WEIGHT] += 4;
}

static void te_v3_votes(const te_step *s, uint8_t **out, size_t *len, int count)
{
    if (count)
        te_v3_votes_count(s, len);
    else
        te_v3_votes_at(s, out, len);
}

/* The lists one walk (te_v3_nodes or te_v3_votes) makes: counted while
 * the graph is built, filled in the output file by a job (onnx_fill.c). */
typedef struct te_lists {
    void (*walk)(const te_step *, uint8_t **, size_t *, int);
    const te_step *s;
    uint8_t *dst[8];     /* each list's place in the file (prefix first) */
    size_t len[8];       /* each list's packed bytes, counted            */
    int count;
    int threaded;        /* counting on thread counter                   */
    pthread_t counter;
} te_lists;

static int te_lists_fill(void *ctx)
{
    te_lists *l = ctx;
    uint8_t *out[8];
    size_t len[8];
    int k;

    for (k = 0; k < l->count; k++) {
        out[k] = onnx_put_varint(l->dst[k], l->len[k]);
        len[k] = 0;
    }
    l->walk(l->s, out, len, 0);
    for (k = 0; k < l->count; k++)
        if (len[k] != l->len[k])
            return SKC_E_INTERNAL;
    return 0;
}

/* The lists of walk @p walk, counted (on a second thread for a large
 * forest: te_lists_attach waits for it). */
static void *te_lists_count(void *arg)
{
    te_lists *l = arg;

    l->walk(l->s, NULL, l->len, 1);
    return NULL;
}

#define TE_THREAD_MIN 100000       /* nodes; below, one thread is quicker */

static te_lists *te_lists_new(onnx_builder *b, const te_step *s,
                              void (*walk)(const te_step *, uint8_t **, size_t *, int),
                              int count, int threaded)
{
    te_lists *l = onnx_arena_alloc(b->arena, 1, sizeof(*l));

    if (!l)
        return NULL;
    l->walk = walk;
    l->s = s;
    l->count = count;
    l->threaded = threaded && s->n_nodes >= TE_THREAD_MIN && skc_threads() > 1 &&
                  pthread_create(&l->counter, NULL, te_lists_count, l) == 0;
    if (!l->threaded)
        te_lists_count(l);
    return l;
}

/* Lists @p names (@p floats: the index of the list of floats, -1 if
 * none), counted by te_lists_new, as attributes filled later. */
static int te_lists_attach(onnx_builder *b, Onnx__NodeProto *n, te_lists *l,
                           const char *const *names, int floats)
{
    int k, rc;

    if (l->threaded) {
        pthread_join(l->counter, NULL);
        l->threaded = 0;
    }
    if (!n)
        return 0;
    for (k = 0; k < l->count; k++) {
        size_t all = onnx_varint_len(l->len[k]) + l->len[k];
        const uint8_t *mark = onnx_fill_mark(b, all, &l->dst[k]);
        if (!mark)
            return SKC_E_NOMEM;
        if ((rc = te_attr_raw(b, n, names[k], k == floats
                              ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
                              : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS,
                              k == floats ? 7 : 8, mark, all)) < 0)
            return rc;
    }
    return onnx_fill_job(b, te_lists_fill, l);
}

static int te_thresholds(onnx_builder *b, Onnx__NodeProto *n, const te_step *s);

static int te_emit_v3(onnx_builder *b, const te_step *s, const char *xin, const char *y,
                      int64_t n_out)
{
    static const char *const names[] = {
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_truenodeids",
        "nodes_falsenodeids", "nodes_missing_value_tracks_true"
    };
    static const char *const votes[] = {
        "target_treeids", "target_nodeids", "target_ids", "target_weights"
    };
    Onnx__NodeProto *n;
    te_lists *nl, *vl;
    int rc;

    /* The lists are filled after this step returns: they read a copy of
     * the plan that lives with the arena. */
    if (!(s = onnx_arena_memdup(b->arena, s, 1, sizeof(*s))))
        return SKC_E_NOMEM;
    /* The votes are counted on a second thread while this one counts the
     * node lists and builds the node. */
    if (!(vl = te_lists_new(b, s, te_v3_votes, TE_VOTE_LISTS, 1)))
        return SKC_E_NOMEM;
    /* nodes_missing_value_tracks_true (the last list) is optional, all
     * false when left out: written only when a split uses it. */
    if (!(nl = te_lists_new(b, s, te_v3_nodes, s->miss ? TE_NODE_LISTS : TE_NODE_LISTS - 1, 0)))
        rc = SKC_E_NOMEM;
    else if ((rc = onnx_node(b, "TreeEnsembleRegressor", ONNX_DOMAIN_ML, &xin, 1, &y, 1, &n)) == 0 &&
             (rc = onnx_attr_int(b, n, "n_targets", n_out)) == 0 &&
             (rc = onnx_attr_string(b, n, "aggregate_function", "SUM")) == 0 &&
             (rc = onnx_attr_string(b, n, "post_transform", "NONE")) == 0 &&
             (rc = te_lists_attach(b, n, nl, names, -1)) == 0 &&
             (rc = te_attr_modes(b, n, s)) == 0)
        rc = te_thresholds(b, n, s);
    if (rc < 0) {
        te_lists_attach(b, NULL, vl, votes, -1);   /* joins the counter */
        return rc;
    }
    return te_lists_attach(b, n, vl, votes, TE_VOTE_WEIGHT);
}

static int te_thresholds_fill(void *ctx)
{
    const te_fixed *f = ctx;
    const te_step s = *f->s;     /* a copy: byte stores cannot change it */
    uint8_t *p = onnx_put_varint(f->dst, f->body);
    int64_t i;

    for (i = 0; i < s.n_nodes; i++) {
        float v = s.left[i] < 0 ? 0.0f : (float)te_split(&s, i);
        uint32_t u;
        memcpy(&u, &v, 4);
        *p++ = (uint8_t)u;
        *p++ = (uint8_t)(u >> 8);
        *p++ = (uint8_t)(u >> 16);
        *p++ = (uint8_t)(u >> 24);
    }
    return 0;
}

/* nodes_values: float32 thresholds (rounded down, te_floor_f32) or, in
 * float64 mode, nodes_values_as_tensor. */
static int te_thresholds(onnx_builder *b, Onnx__NodeProto *n, const te_step *s)
{
    int64_t i;
    int rc;

    if (s->thr_float) {
        size_t body = (size_t)s->n_nodes * 4, all = onnx_varint_len(body) + body;
        te_fixed *f = onnx_arena_alloc(b->arena, 1, sizeof(*f));
        const uint8_t *mark;
        if (!f || !(mark = onnx_fill_mark(b, all, &f->dst)))
            return SKC_E_NOMEM;
        f->s = s;
        f->body = body;
        if ((rc = te_attr_raw(b, n, "nodes_values", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS,
                              7, mark, all)) < 0 ||
            (rc = onnx_fill_job(b, te_thresholds_fill, f)) < 0)
            return rc;
    } else {
        double *dv = onnx_arena_alloc(b->arena, (size_t)s->n_nodes, sizeof(*dv));
        if (!dv)
            return SKC_E_NOMEM;
        for (i = 0; i < s->n_nodes; i++)
            dv[i] = s->left[i] < 0 ? 0.0 : te_split(s, i);
        if ((rc = te_attr_tensor(b, n, "nodes_values_as_tensor", ONNX_ELEM_DOUBLE, dv,
                                 (size_t)s->n_nodes)) < 0)
            return rc;
    }
    return 0;
}

/* ---- ai.onnx.ml TreeEnsemble (ml opset 5) --------------------------------- */

/* Ids of tree @p t's nodes in the interior and leaf lists (map[j] >= 0
 * interior, else -(leaf id) - 1), from *next_int and *next_leaf. A tree
 * that is a single leaf gets one interior node whose branches both lead
 * to it (the TreeEnsemble spec's encoding). */
static void te_v5_map(const te_step *s, int64_t t, int64_t *map, int64_t *next_int,
                      int64_t *next_leaf)
{
    int64_t i, lo = s->offsets[t], hi = s->offsets[t + 1];

    if (hi - lo == 1) {
        map[0] = -(*next_leaf)++ - 1;
        (*next_int)++;
        return;
    }
    for (i = lo; i < hi; i++)
        map[i - lo] = s->left[i] >= 0 ? (*next_int)++ : -(*next_leaf)++ - 1;
}

enum { V5_FEAT, V5_TRUE, V5_TRUELEAF, V5_FALSE, V5_FALSELEAF, V5_MISS, V5_TARGET };

/* One interior-node list (or leaf_targetids) into @p out; returns its length. */
static int64_t te_v5_fill(const te_step *s, int which, int64_t *map, int64_t *out)
{
    int64_t t, i, ni = 0, nl = 0, n = 0;

    for (t = 0; t < s->n_trees; t++) {
        int64_t lo = s->offsets[t], hi = s->offsets[t + 1], ord = 0;
        te_v5_map(s, t, map, &ni, &nl);
        if (which == V5_TARGET) {
            for (i = lo; i < hi; i++)
                if (s->left[i] < 0)
                    out[n++] = s->gather ? t : te_target_col(s, t, 0);
            (void)ord;
            continue;
        }
        if (hi - lo == 1) {
            int64_t leaf = -map[0] - 1;
            switch (which) {
            case V5_TRUE: case V5_FALSE: out[n++] = leaf; break;
            case V5_TRUELEAF: case V5_FALSELEAF: out[n++] = 1; break;
            default: out[n++] = 0; break;
            }
            continue;
        }
        for (i = lo; i < hi; i++) {
            int64_t l, r;
            if (s->left[i] < 0)
                continue;
            l = map[s->left[i]];
            r = map[s->right[i]];
            switch (which) {
            case V5_FEAT: out[n++] = te_col(s, i); break;
            case V5_TRUE: out[n++] = l >= 0 ? l : -l - 1; break;
            case V5_TRUELEAF: out[n++] = l < 0; break;
            case V5_FALSE: out[n++] = r >= 0 ? r : -r - 1; break;
            case V5_FALSELEAF: out[n++] = r < 0; break;
            default: out[n++] = te_is_cat(s, i) ? 0 : s->mleft[i]; break;
            }
        }
    }
    return n;
}

static int te_emit_v5(onnx_builder *b, const te_step *s, const char *xin, const char *y,
                      int64_t n_out)
{
    static const char *const names[] = {
        "nodes_featureids", "nodes_truenodeids", "nodes_trueleafs", "nodes_falsenodeids",
        "nodes_falseleafs", "nodes_missing_value_tracks_true", "leaf_targetids"
    };
    Onnx__NodeProto *n;
    int64_t *map = NULL, *tmp = NULL, *roots = NULL, n_int = 0, t, i, w, len, ni = 0, nl = 0;
    uint8_t *modes;
    double *splits, *weights;
    int rc;

    for (t = 0; t < s->n_trees; t++)
        n_int += s->offsets[t + 1] - s->offsets[t] == 1 ? 1 : 0;
    n_int += s->n_nodes - s->n_leaves;
    if ((rc = onnx_node(b, "TreeEnsemble", ONNX_DOMAIN_ML, &xin, 1, &y, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "n_targets", n_out)) < 0 ||
        (rc = onnx_attr_int(b, n, "aggregate_function", 1)) < 0 ||
        (rc = onnx_attr_int(b, n, "post_transform", 0)) < 0)
        return rc;
    if (!(map = malloc((size_t)s->max_tree * sizeof(*map))) ||
        !(tmp = malloc((size_t)(n_int > s->n_leaves ? n_int : s->n_leaves) * sizeof(*tmp))) ||
        !(roots = malloc((size_t)s->n_trees * sizeof(*roots)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (w = 0; w < 7; w++) {
        len = te_v5_fill(s, (int)w, map, tmp);
        if ((rc = te_attr_ints(b, n, names[w], tmp, (size_t)len)) < 0)
            goto done;
    }
    modes = onnx_arena_alloc(b->arena, (size_t)n_int, 1);
    splits = onnx_arena_alloc(b->arena, (size_t)n_int, sizeof(*splits));
    weights = onnx_arena_alloc(b->arena, (size_t)s->n_leaves, sizeof(*weights));
    if (!modes || !splits || !weights) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    /* modes stay 0 (BRANCH_LEQ); splits, leaf weights and roots. */
    for (t = 0; t < s->n_trees; t++) {
        int64_t lo = s->offsets[t], hi = s->offsets[t + 1], ord = 0, root_int = ni;
        te_v5_map(s, t, map, &ni, &nl);
        roots[t] = root_int;
        for (i = lo; i < hi; i++) {
            int64_t id = map[i - lo];
            if (id >= 0)
                splits[id] = te_split(s, i);
            else
                weights[-id - 1] = s->gather ? (double)ord++
                                             : s->scale * s->value[te_row(s, i) * s->width];
        }
    }
    if ((rc = te_attr_ints(b, n, "tree_roots", roots, (size_t)s->n_trees)) < 0 ||
        (rc = te_attr_tensor(b, n, "nodes_modes", ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, modes,
                             (size_t)n_int)) < 0 ||
        (rc = te_attr_tensor(b, n, "nodes_splits", ONNX_ELEM_DOUBLE, splits, (size_t)n_int)) < 0 ||
        (rc = te_attr_tensor(b, n, "leaf_weights", ONNX_ELEM_DOUBLE, weights,
                             (size_t)s->n_leaves)) < 0)
        goto done;
    rc = 0;
done:
    free(map);
    free(tmp);
    free(roots);
    return rc;
}

/* Gather mode: leaf ordinals [N, trees] to the sum (or the columns) of
 * their double values. */
static int te_gather(onnx_builder *b, const te_step *s, const char *ords, const char **out)
{
    double *tab;
    int64_t *offs, t, i, k, dims[2], n_leaf_seen = 0, tw = s->agg == 2 ? 1 : s->n_targets;
    const char *ids, *offc, *ids2, *tb, *vals;
    Onnx__NodeProto *n;
    int rc;

    if (!(tab = onnx_arena_alloc(b->arena, (size_t)(s->n_leaves * tw), sizeof(*tab))) ||
        !(offs = onnx_arena_alloc(b->arena, (size_t)s->n_trees, sizeof(*offs))))
        return SKC_E_NOMEM;
    for (t = 0; t < s->n_trees; t++) {
        offs[t] = n_leaf_seen;
        for (i = s->offsets[t]; i < s->offsets[t + 1]; i++) {
            double *row;
            if (s->left[i] >= 0)
                continue;
            row = tab + n_leaf_seen++ * tw;
            if (s->agg == 2) {
                row[0] = s->value[te_row(s, i) * s->width];
                continue;
            }
            for (k = 0; k < s->width; k++)
                row[te_target_col(s, t, k)] = s->scale * s->value[te_row(s, i) * s->width + k];
        }
    }
    dims[0] = s->n_leaves;
    dims[1] = tw;
    if ((rc = onnx_x_cast(b, ords, ONNX_ELEM_INT64, "leaf_ordinal", &ids)) < 0 ||
        (rc = onnx_x_ints(b, "leaf_offsets", offs, s->n_trees, &offc)) < 0 ||
        (rc = onnx_x2(b, "Add", ids, offc, "leaf_index", &ids2)) < 0 ||
        (rc = onnx_const_real(b, "leaf_values", tab, s->agg == 2 ? 1 : 2, dims, &tb)) < 0 ||
        (rc = onnx_name_fresh(b, "leaf_value", &vals)) < 0)
        return rc;
    {
        const char *g_in[2] = { tb, ids2 };
        if ((rc = onnx_node(b, "Gather", NULL, g_in, 2, &vals, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 0)) < 0)
            return rc;
    }
    if (s->agg == 2) {
        *out = vals;
        return 0;
    }
    return onnx_x_reduce(b, "ReduceSum", vals, 1, 0, "tree_sum", out);
}

static int te_emit(onnx_builder *b, const skc_step *st, te_step *s, int io)
{
    const char *xin, *y, *cur;
    int64_t n_out;
    int rc, elem;

    if ((rc = te_plan(b, s, io)) < 0 ||
        (rc = te_input(b, st, s, &xin)) < 0 ||
        (rc = onnx_name_fresh(b, s->gather ? "leaf_ordinals" : "tree_sum", &y)) < 0)
        return rc;
    n_out = s->gather || s->agg == 2 ? s->n_trees : s->n_targets;
    rc = s->v5 ? te_emit_v5(b, s, xin, y, n_out) : te_emit_v3(b, s, xin, y, n_out);
    if (rc < 0)
        return rc;
    cur = y;
    /* TreeEnsembleRegressor's Y is float whatever it summed in (ml ≤ 4). */
    elem = s->v5 ? ONNX_ELEM_DOUBLE : ONNX_ELEM_FLOAT;
    if (s->gather) {
        if ((rc = te_gather(b, s, y, &cur)) < 0)
            return rc;
        elem = ONNX_ELEM_DOUBLE;
    }
    if ((s->base || s->agg == 1) && (rc = onnx_cast_to(b, cur, elem, ONNX_ELEM_DOUBLE, &cur)) < 0)
        return rc;
    if (s->base) {
        const char *bc;
        elem = ONNX_ELEM_DOUBLE;
        if ((rc = onnx_const_real(b, "base_values", s->base, 1, &s->n_targets, &bc)) < 0 ||
            (rc = onnx_x2(b, "Add", cur, bc, "with_base", &cur)) < 0)
            return rc;
    }
    if (s->agg == 1) {
        const char *nc;
        elem = ONNX_ELEM_DOUBLE;
        if ((rc = onnx_const_scalar(b, "n_trees", (double)s->n_trees, &nc)) < 0 ||
            (rc = onnx_x2(b, "Div", cur, nc, "tree_mean", &cur)) < 0)
            return rc;
    }
    return onnx_exact_output(b, st, 0, cur, elem, io);
}

int onnx_emit_tree_ensemble(onnx_builder *b, const skc_step *st)
{
    te_step s;
    int saved, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 || (rc = te_read(b, st, &s)) < 0)
        return rc;
    saved = onnx_exact_begin(b);
    rc = te_emit(b, st, &s, saved);
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- iforest_score: -(2 ** -(S / denominator)) --------------------------- */

int onnx_emit_iforest_score(onnx_builder *b, const skc_step *st)
{
    const char *x, *out, *q, *nq, *two, *p, *dc;
    double d;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_float(st, "denominator", &d) != SKC_OK || !isfinite(d))
        return onnx_error(b, SKC_E_FORMAT, "attribute 'denominator' is missing");
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0 ||
        (rc = onnx_const_scalar(b, "two", 2.0, &two)) < 0)
        return rc;
    if (d != 0.0) {
        if ((rc = onnx_const_scalar(b, "denominator", d, &dc)) < 0 ||
            (rc = onnx_x2(b, "Div", x, dc, "mean_path", &q)) < 0)
            return rc;
    } else {
        /* sklearn uses 1 where the denominator is 0: 0 * S + 1. */
        const char *zero, *one, *z;
        if ((rc = onnx_const_scalar(b, "zero", 0.0, &zero)) < 0 ||
            (rc = onnx_const_scalar(b, "one", 1.0, &one)) < 0 ||
            (rc = onnx_x2(b, "Mul", x, zero, "zeros", &z)) < 0 ||
            (rc = onnx_x2(b, "Add", z, one, "mean_path", &q)) < 0)
            return rc;
    }
    if ((rc = onnx_x1(b, "Neg", q, "neg_mean_path", &nq)) < 0 ||
        (rc = onnx_x2(b, "Pow", two, nq, "anomaly", &p)) < 0)
        return rc;
    return onnx_node(b, "Neg", NULL, &p, 1, &out, 1, NULL);
}

/* ---- weighted_median ----------------------------------------------------- */

/* TopK sorts each row; the weights follow their estimators; the first
 * position whose cumulative weight reaches half the row's total is the
 * median. The cumulative sums run in double, as sklearn's stable_cumsum,
 * so the chosen estimator never depends on float rounding. */
static int te_median_body(onnx_builder *b, const skc_step *st, int io_elem)
{
    const skc_tensor *wt;
    const char *x, *kc, *sv, *si, *wc, *ws, *ax, *cdf, *tot, *half, *hv, *ge, *gi, *idx, *med;
    const char *topk_out[2];
    Onnx__NodeProto *n;
    int64_t m, one = 1;
    double *w;
    int rc;

    if (skc_step_get_tensor(st, "weights", &wt) != SKC_OK || skc_tensor_ndim(wt) != 1)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'weights' is missing");
    m = skc_tensor_numel(wt);
    if (!(w = onnx_arena_alloc(b->arena, (size_t)m, sizeof(*w))))
        return SKC_E_NOMEM;
    for (int64_t i = 0; i < m; i++)
        w[i] = skc_tensor_get_f64(wt, i);
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = onnx_x_ints(b, "k", &m, 1, &kc)) < 0 ||
        (rc = onnx_name_fresh(b, "sorted", &sv)) < 0 ||
        (rc = onnx_name_fresh(b, "order", &si)) < 0)
        return rc;
    topk_out[0] = sv;
    topk_out[1] = si;
    {
        const char *in2[2] = { x, kc };
        if ((rc = onnx_node(b, "TopK", NULL, in2, 2, topk_out, 2, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
            (rc = onnx_attr_int(b, n, "largest", 0)) < 0 ||
            (rc = onnx_attr_int(b, n, "sorted", 1)) < 0)
            return rc;
    }
    if ((rc = onnx_const_real(b, "estimator_weights", w, 1, &m, &wc)) < 0 ||
        (rc = onnx_name_fresh(b, "sorted_weights", &ws)) < 0)
        return rc;
    {
        const char *in2[2] = { wc, si };
        if ((rc = onnx_node(b, "Gather", NULL, in2, 2, &ws, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 0)) < 0)
            return rc;
    }
    if ((rc = onnx_const_i64(b, "axis", &one, 0, NULL, &ax)) < 0 ||
        (rc = onnx_x2(b, "CumSum", ws, ax, "weight_cdf", &cdf)) < 0 ||
        (rc = onnx_x_slice(b, cdf, 1, m - 1, m, "weight_total", &tot)) < 0 ||
        (rc = onnx_x_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_x2(b, "Mul", tot, half, "half_total", &hv)) < 0 ||
        (rc = onnx_x2(b, "GreaterOrEqual", cdf, hv, "median_or_above", &ge)) < 0 ||
        (rc = onnx_x_cast(b, ge, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, "median_or_above_i",
                          &gi)) < 0 ||
        (rc = onnx_name_fresh(b, "median_pos", &idx)) < 0)
        return rc;
    if ((rc = onnx_node(b, "ArgMax", NULL, &gi, 1, &idx, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 1)) < 0 ||
        (rc = onnx_name_fresh(b, "median", &med)) < 0)
        return rc;
    {
        const char *in2[2] = { sv, idx };
        if ((rc = onnx_node(b, "GatherElements", NULL, in2, 2, &med, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 1)) < 0)
            return rc;
    }
    return onnx_exact_output(b, st, 0, med, ONNX_ELEM_DOUBLE, io_elem);
}

int onnx_emit_weighted_median(onnx_builder *b, const skc_step *st)
{
    int saved, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    saved = onnx_exact_begin(b);
    rc = te_median_body(b, st, saved);
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- multi_label ------------------------------------------------------------ */

/* Per output: ArgMax over its block of columns, plus the block's offset;
 * the [N, O] indices Gather the concatenated classes. */
int onnx_emit_multi_label(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *szt;
    const char *p, **idx, *all;
    int64_t no, o, off = 0;
    Onnx__NodeProto *n;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "sizes", &szt) != SKC_OK || skc_tensor_dtype(szt) != SKC_DT_I64)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'sizes' is missing");
    no = skc_tensor_numel(szt);
    if (no < 1 || !(idx = onnx_arena_alloc(b->arena, (size_t)no, sizeof(*idx))))
        return no < 1 ? onnx_error(b, SKC_E_FORMAT, "attribute 'sizes' is empty") : SKC_E_NOMEM;
    if ((rc = onnx_step_real_input(b, st, 0, &p)) < 0)
        return rc;
    for (o = 0; o < no; o++) {
        int64_t k = ((const int64_t *)skc_tensor_data(szt))[o];
        const char *blk, *am, *oc;
        if ((rc = onnx_x_slice(b, p, 1, off, off + k, "output_block", &blk)) < 0 ||
            (rc = onnx_name_fresh(b, "output_argmax", &am)) < 0 ||
            (rc = onnx_node(b, "ArgMax", NULL, &blk, 1, &am, 1, &n)) < 0 ||
            (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
            (rc = onnx_attr_int(b, n, "keepdims", 1)) < 0 ||
            (rc = onnx_const_i64(b, "block_offset", &off, 0, NULL, &oc)) < 0 ||
            (rc = onnx_x2(b, "Add", am, oc, "class_index", &idx[o])) < 0)
            return rc;
        off += k;
    }
    if (no == 1) {
        all = idx[0];
    } else if ((rc = onnx_name_fresh(b, "class_indices", &all)) < 0 ||
               (rc = onnx_node(b, "Concat", NULL, idx, (size_t)no, &all, 1, &n)) < 0 ||
               (rc = onnx_attr_int(b, n, "axis", 1)) < 0) {
        return rc;
    }
    return onnx_x_labels(b, st, 0, all);
}
