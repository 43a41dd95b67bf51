/* SPDX-License-Identifier: MIT */
/* onnx_ops_prep.c: the preprocessing IR steps (normalize, binarize, impute, missing_mask, select_columns, concat, bucketize, poly, power_transform, quantile, ufunc, category_map, onehot) in standard ONNX operators (core/OPS.md). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "onnx_exact.h"

/* ---- small helpers ----------------------------------------------------------- */

static int prep_const_bool(onnx_builder *b, const char *hint, const unsigned char *v,
                           int64_t n, const char **name)
{
    skc_tensor *t = NULL;
    int elem, rc = skc_tensor_new(SKC_DT_BOOL, 1, &n, &t);

    if (rc < 0)
        return rc;
    if (n)
        memcpy(skc_tensor_data_mut(t), v, (size_t)n);
    rc = onnx_const_exact(b, hint, t, name, &elem);
    skc_tensor_free(t);
    return rc;
}

/* Column @p col of a 2-D tensor as [N, 1]. */
static int prep_column(onnx_builder *b, const char *x, int64_t col, const char **out)
{
    const char *idx;
    Onnx__NodeProto *n;
    int64_t one = 1;
    int rc;

    if ((rc = onnx_const_i64(b, "col", &col, 1, &one, &idx)) < 0 ||
        (rc = onnx_name_fresh(b, "column", out)) < 0)
        return rc;
    const char *in[2] = { x, idx };
    if ((rc = onnx_node(b, "Gather", NULL, in, 2, out, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "axis", 1);
}

/* A list-of-strings attribute (ai.onnx.ml LabelEncoder keys), taken from
 * elements [lo, hi) of a string tensor. */
static int prep_attr_strings(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                             const skc_tensor *t, int64_t lo, int64_t hi)
{
    Onnx__AttributeProto *at = onnx_arena_alloc(b->arena, 1, sizeof(*at));
    Onnx__AttributeProto **av = onnx_arena_alloc(b->arena, n->n_attribute + 1, sizeof(*av));
    size_t count = (size_t)(hi - lo);
    ProtobufCBinaryData *sv = onnx_arena_alloc(b->arena, count ? count : 1, sizeof(*sv));

    if (!at || !av || !sv)
        return SKC_E_NOMEM;
    for (size_t i = 0; i < count; i++) {
        size_t len = 0;
        const char *s = skc_tensor_string(t, lo + (int64_t)i, &len);
        uint8_t *d = onnx_arena_alloc(b->arena, len + 1, 1);
        if (!s || !d)
            return s ? SKC_E_NOMEM : SKC_E_INTERNAL;
        memcpy(d, s, len);
        sv[i].data = d;
        sv[i].len = len;
    }
    onnx__attribute_proto__init(at);
    if (!(at->name = onnx_arena_strdup(b->arena, key)))
        return SKC_E_NOMEM;
    at->has_type = 1;
    at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    at->n_strings = count;
    at->strings = sv;
    if (n->n_attribute)
        memcpy(av, n->attribute, n->n_attribute * sizeof(*av));
    av[n->n_attribute++] = at;
    n->attribute = av;
    return 0;
}

/* Concatenate @p n tensors along axis 1 into @p out (Identity for one). */
static int prep_concat(onnx_builder *b, const char *const *parts, size_t n, const char *out)
{
    Onnx__NodeProto *node;
    int rc;

    if (n == 1)
        return onnx_node(b, "Identity", NULL, parts, 1, &out, 1, NULL);
    if ((rc = onnx_node(b, "Concat", NULL, parts, n, &out, 1, &node)) < 0)
        return rc;
    return onnx_attr_int(b, node, "axis", 1);
}

/* Horner's rule with the coefficients c[0] + c[1] x + ... + c[7] x^7, in
 * the order the reference evaluator uses, so doubles agree bit for bit. */
static int prep_horner(onnx_builder *b, const double *c, int n, const char *x,
                       const char **out)
{
    const char *acc, *k;
    int rc;

    if ((rc = onnx_x_scalar(b, "coef", c[n - 1], &acc)) < 0)
        return rc;
    for (int i = n - 2; i >= 0; i--) {
        if ((rc = onnx_x2(b, "Mul", acc, x, "horner", &acc)) < 0 ||
            (rc = onnx_x_scalar(b, "coef", c[i], &k)) < 0 ||
            (rc = onnx_x2(b, "Add", acc, k, "horner", &acc)) < 0)
            return rc;
    }
    *out = acc;
    return 0;
}

/* ---- normalize ------------------------------------------------------------------ */

/* In double: row sums of float32 values lose digits a downstream model
 * can magnify. */
static int prep_normalize_body(onnx_builder *b, const skc_step *st, int io_elem)
{
    const char *norm, *x, *a, *n, *zero, *one, *cond, *v, *c2, *tinyc;
    double tiny = 0.0;
    int rc;

    if ((rc = onnx_step_string(b, st, "norm", &norm)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return rc;
    skc_step_get_float(st, "min_norm", &tiny);
    if (strcmp(norm, "l2") == 0) {
        if ((rc = onnx_x2(b, "Mul", x, x, "sq", &a)) < 0 ||
            (rc = onnx_x_reduce(b, "ReduceSum", a, 1, 1, "sumsq", &n)) < 0 ||
            (rc = onnx_x1(b, "Sqrt", n, "norm", &n)) < 0)
            return rc;
    } else if (strcmp(norm, "l1") == 0) {
        if ((rc = onnx_x1(b, "Abs", x, "abs", &a)) < 0 ||
            (rc = onnx_x_reduce(b, "ReduceSum", a, 1, 1, "norm", &n)) < 0)
            return rc;
    } else if (strcmp(norm, "max") == 0) {
        if ((rc = onnx_x1(b, "Abs", x, "abs", &a)) < 0 ||
            (rc = onnx_x_reduce(b, "ReduceMax", a, 1, 1, "norm", &n)) < 0)
            return rc;
    } else if (strcmp(norm, "max_signed") == 0) {
        if ((rc = onnx_x_reduce(b, "ReduceMax", x, 1, 1, "norm", &n)) < 0)
            return rc;
    } else {
        return onnx_error(b, SKC_E_UNSUPPORTED, "norm '%s'", norm);
    }
    /* A zero (or, from sklearn 1.0, tiny) norm leaves the row as it is. */
    if ((rc = onnx_x_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_x_scalar(b, "one", 1.0, &one)) < 0 ||
        (rc = onnx_x2(b, "Equal", n, zero, "is_zero", &cond)) < 0)
        return rc;
    if (tiny > 0.0) {
        if ((rc = onnx_x_scalar(b, "tiny", tiny, &tinyc)) < 0 ||
            (rc = onnx_x2(b, "Less", n, tinyc, "is_tiny", &c2)) < 0 ||
            (rc = onnx_x2(b, "Or", cond, c2, "no_norm", &cond)) < 0)
            return rc;
    }
    if ((rc = onnx_x3(b, "Where", cond, one, n, "safe_norm", &n)) < 0 ||
        (rc = onnx_x2(b, "Div", x, n, "normalized", &v)) < 0)
        return rc;
    return onnx_exact_output(b, st, 0, v, ONNX_ELEM_DOUBLE, io_elem);
}

int onnx_emit_normalize(onnx_builder *b, const skc_step *st)
{
    int saved, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    saved = onnx_exact_begin(b);
    rc = prep_normalize_body(b, st, saved);
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- binarize --------------------------------------------------------------------- */

/* Compared in double: a threshold between two float32 values must split
 * them as sklearn's double comparison does. */
int onnx_emit_binarize(onnx_builder *b, const skc_step *st)
{
    const char *x, *t, *gt, *v;
    double thr = 0.0;
    int saved, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_float(st, "threshold", &thr) < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'threshold' is missing");
    saved = onnx_exact_begin(b);
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = onnx_x_scalar(b, "threshold", thr, &t)) < 0 ||
        (rc = onnx_x2(b, "Greater", x, t, "above", &gt)) < 0 ||
        (rc = onnx_x_cast(b, gt, ONNX_ELEM_DOUBLE, "binary", &v)) < 0)
        goto done;
    rc = onnx_exact_output(b, st, 0, v, ONNX_ELEM_DOUBLE, saved);
done:
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- impute and missing_mask --------------------------------------------------------- */

/* Missing entries of @p x (double): IsNaN, or equality with the marker. */
static int prep_missing(onnx_builder *b, const skc_step *st, const char *x, const char **cond)
{
    double m = NAN;
    const char *mc;
    int rc;

    if (skc_step_get_float(st, "missing", &m) < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'missing' is missing");
    if (isnan(m))
        return onnx_x1(b, "IsNaN", x, "is_missing", cond);
    if ((rc = onnx_x_scalar(b, "missing", m, &mc)) < 0)
        return rc;
    return onnx_x2(b, "Equal", x, mc, "is_missing", cond);
}

/* String columns: ai.onnx.ml LabelEncoder gives 0 for the missing marker
 * ("" unless missing_string says otherwise) and -1 for anything else
 * (Equal takes strings only from opset 19), then Where picks the fill. */
static int prep_impute_strings(onnx_builder *b, const skc_step *st, const skc_tensor *ft)
{
    const char *x, *code, *zero, *cond, *fill, *out, *ms = "";
    skc_tensor *key = NULL;
    Onnx__NodeProto *node;
    int64_t one = 1, z = 0;
    int elem, fe, rc;

    skc_step_get_string(st, "missing_string", &ms);
    if ((rc = onnx_step_input(b, st, 0, &x, &elem)) < 0)
        return rc;
    if (elem != ONNX_ELEM_STRING)
        return onnx_error(b, SKC_E_FORMAT, "string fill values for a numeric input");
    if ((rc = skc_tensor_new(SKC_DT_STRING, 1, &one, &key)) ||
        (rc = skc_tensor_set_string(key, 0, ms, strlen(ms))))
        goto done;
    if ((rc = onnx_name_fresh(b, "missing_code", &code)) < 0 ||
        (rc = onnx_node(b, "LabelEncoder", ONNX_DOMAIN_ML, &x, 1, &code, 1, &node)) < 0 ||
        (rc = prep_attr_strings(b, node, b->ml_opset >= 2 ? "keys_strings" : "classes_strings",
                                key, 0, 1)) < 0 ||
        (rc = onnx_attr_int(b, node, "default_int64", -1)) < 0)
        goto done;
    if (b->ml_opset >= 2 && (rc = onnx_x_attr_ints(b, node, "values_int64s", &z, 1)) < 0)
        goto done;
    if ((rc = onnx_x_ints(b, "zero", &z, 1, &zero)) < 0 ||
        (rc = onnx_x2(b, "Equal", code, zero, "is_missing", &cond)) < 0 ||
        (rc = onnx_const_exact(b, "fill", ft, &fill, &fe)) < 0 ||
        (rc = onnx_step_output(b, st, 0, ONNX_ELEM_STRING, &out)) < 0)
        goto done;
    {
        const char *in[3] = { cond, fill, x };
        rc = onnx_node(b, "Where", NULL, in, 3, &out, 1, &node);
    }
done:
    skc_tensor_free(key);
    return rc < 0 ? rc : 0;
}

int onnx_emit_impute(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *ft;
    const char *x, *cond, *fill, *v;
    double *fv;
    int64_t dims[1];
    int saved, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "fill", &ft) == SKC_OK && skc_tensor_dtype(ft) == SKC_DT_STRING)
        return prep_impute_strings(b, st, ft);
    if ((rc = onnx_step_reals(b, st, "fill", 1, 1, dims, &fv)) < 0)
        return rc;
    saved = onnx_exact_begin(b);
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = prep_missing(b, st, x, &cond)) < 0 ||
        (rc = onnx_const_real(b, "fill", fv, 1, dims, &fill)) < 0 ||
        (rc = onnx_x3(b, "Where", cond, fill, x, "imputed", &v)) < 0)
        goto done;
    rc = onnx_exact_output(b, st, 0, v, ONNX_ELEM_DOUBLE, saved);
done:
    onnx_exact_end(b, saved);
    return rc;
}

int onnx_emit_missing_mask(onnx_builder *b, const skc_step *st)
{
    const char *x, *cond, *v;
    int saved, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    saved = onnx_exact_begin(b);
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = prep_missing(b, st, x, &cond)) < 0 ||
        (rc = onnx_x_cast(b, cond, ONNX_ELEM_DOUBLE, "mask", &v)) < 0)
        goto done;
    rc = onnx_exact_output(b, st, 0, v, ONNX_ELEM_DOUBLE, saved);
done:
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- select_columns and concat ------------------------------------------------------------ */

int onnx_emit_select_columns(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *t;
    const char *x, *idx, *out;
    Onnx__NodeProto *n;
    int elem, ie, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "indices", &t) < 0 || skc_tensor_ndim(t) != 1 ||
        skc_tensor_dtype(t) != SKC_DT_I64)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'indices' is not a 1-D int64 tensor");
    /* Strings stay strings: the same Gather serves string columns. */
    if ((rc = onnx_step_input(b, st, 0, &x, &elem)) < 0 ||
        (rc = onnx_const_exact(b, "indices", t, &idx, &ie)) < 0 ||
        (rc = onnx_step_output(b, st, 0, elem, &out)) < 0)
        return rc;
    const char *in[2] = { x, idx };
    if ((rc = onnx_node(b, "Gather", NULL, in, 2, &out, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "axis", 1);
}

int onnx_emit_concat(onnx_builder *b, const skc_step *st)
{
    int k = skc_step_input_count(st), rc;
    const char **parts, *out;

    if (k < 1 || skc_step_output_count(st) != 1)
        return onnx_error(b, SKC_E_FORMAT, "concat needs inputs and one output");
    parts = onnx_arena_alloc(b->arena, (size_t)k, sizeof(*parts));
    if (!parts)
        return SKC_E_NOMEM;
    for (int i = 0; i < k; i++)
        if ((rc = onnx_step_real_input(b, st, i, &parts[i])) < 0)
            return rc;
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    return prep_concat(b, parts, (size_t)k, out);
}

/* ---- bucketize ----------------------------------------------------------------------------- */

/* count(edges[f, :] <= x) over a [N, F, B] comparison, in double so edges
 * between float32 values split them as sklearn does. */
int onnx_emit_bucketize(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *nb;
    const char *x, *xv, *e, *x3, *le, *cnt, *cap, *v, *isn, *ax;
    double *edges, rtol = 0.0, atol = 0.0, *capv;
    int64_t dims[2], one = 2;
    int saved, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_reals(b, st, "edges", 1, 2, dims, &edges)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "n_bins", &nb) < 0 || skc_tensor_numel(nb) != dims[0])
        return onnx_error(b, SKC_E_FORMAT, "attribute 'n_bins' does not fit 'edges'");
    skc_step_get_float(st, "rtol", &rtol);
    skc_step_get_float(st, "atol", &atol);
    capv = onnx_arena_alloc(b->arena, (size_t)(dims[0] ? dims[0] : 1), sizeof(*capv));
    if (!capv)
        return SKC_E_NOMEM;
    for (int64_t i = 0; i < dims[0]; i++)
        capv[i] = skc_tensor_get_f64(nb, i) - 1.0;
    saved = onnx_exact_begin(b);
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        goto done;
    xv = x;
    if (rtol != 0.0 || atol != 0.0) {
        const char *a, *r, *t;
        /* sklearn < 1.1: x + (atol + rtol |x|), summed in that order. */
        if ((rc = onnx_x_scalar(b, "rtol", rtol, &r)) < 0 ||
            (rc = onnx_x_scalar(b, "atol", atol, &a)) < 0 ||
            (rc = onnx_x1(b, "Abs", x, "absx", &t)) < 0 ||
            (rc = onnx_x2(b, "Mul", r, t, "eps", &t)) < 0 ||
            (rc = onnx_x2(b, "Add", a, t, "eps", &t)) < 0 ||
            (rc = onnx_x2(b, "Add", x, t, "nudged", &xv)) < 0)
            goto done;
    }
    if ((rc = onnx_x_ints(b, "axes", &one, 1, &ax)) < 0 ||
        (rc = onnx_x2(b, "Unsqueeze", xv, ax, "x3", &x3)) < 0 ||
        (rc = onnx_const_real(b, "edges", edges, 2, dims, &e)) < 0 ||
        (rc = onnx_x2(b, "LessOrEqual", e, x3, "below", &le)) < 0 ||
        (rc = onnx_x_cast(b, le, ONNX_ELEM_DOUBLE, "below_d", &le)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceSum", le, 2, 0, "bin", &cnt)) < 0 ||
        (rc = onnx_const_real(b, "last_bin", capv, 1, dims, &cap)) < 0 ||
        (rc = onnx_x2(b, "Min", cnt, cap, "bin", &cnt)) < 0 ||
        (rc = onnx_x1(b, "IsNaN", x, "is_nan", &isn)) < 0 ||
        (rc = onnx_x3(b, "Where", isn, x, cnt, "bin", &v)) < 0)
        goto done;
    rc = onnx_exact_output(b, st, 0, v, ONNX_ELEM_DOUBLE, saved);
done:
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- poly ------------------------------------------------------------------------------------ */

/* Terms grouped by degree: one Gather per factor position and a chain of
 * Mul from the highest feature down (sklearn's order); a final Gather puts
 * the columns back in the step's order when grouping moved them. */
int onnx_emit_poly(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *pt;
    const char *x, *out, **parts;
    int64_t k, f, maxdeg = 0, *deg, *perm, at = 0, nparts = 0;
    int rc, moved = 0;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "powers", &pt) < 0 || skc_tensor_ndim(pt) != 2 ||
        skc_tensor_dtype(pt) != SKC_DT_I64)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'powers' is not a 2-D int64 tensor");
    k = skc_tensor_shape(pt)[0];
    f = skc_tensor_shape(pt)[1];
    const int64_t *p = skc_tensor_data(pt);
    deg = onnx_arena_alloc(b->arena, (size_t)(k ? k : 1), sizeof(*deg));
    perm = onnx_arena_alloc(b->arena, (size_t)(k ? k : 1), sizeof(*perm));
    if (!deg || !perm)
        return SKC_E_NOMEM;
    for (int64_t t = 0; t < k; t++) {
        deg[t] = 0;
        for (int64_t c = 0; c < f; c++) {
            if (p[t * f + c] < 0 || p[t * f + c] > 64)
                return onnx_error(b, SKC_E_FORMAT, "power outside 0..64");
            deg[t] += p[t * f + c];
        }
        if (deg[t] > maxdeg)
            maxdeg = deg[t];
    }
    parts = onnx_arena_alloc(b->arena, (size_t)maxdeg + 1, sizeof(*parts));
    if (!parts || (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return parts ? rc : SKC_E_NOMEM;
    for (int64_t d = 0; d <= maxdeg; d++) {
        int64_t kd = 0, *idx, j = 0;
        const char *acc = NULL;
        for (int64_t t = 0; t < k; t++)
            kd += deg[t] == d;
        if (!kd)
            continue;
        for (int64_t t = 0; t < k; t++)
            if (deg[t] == d) {
                perm[t] = at++;
                moved |= perm[t] != t;
            }
        if (d == 0) {
            /* Constant columns: ones shaped like [N, kd] from x's rows. */
            const char *shp, *rows, *kdc, *sz, *onec, *zero;
            Onnx__NodeProto *cn;
            int64_t z = 0;
            if ((rc = onnx_x1(b, "Shape", x, "shape", &shp)) < 0 ||
                (rc = onnx_x_ints(b, "zero", &z, 1, &zero)) < 0 ||
                (rc = onnx_x2(b, "Gather", shp, zero, "rows", &rows)) < 0 ||
                (rc = onnx_x_ints(b, "width", &kd, 1, &kdc)) < 0 ||
                (rc = onnx_name_fresh(b, "ones_shape", &sz)) < 0)
                return rc;
            const char *cin[2] = { rows, kdc };
            if ((rc = onnx_node(b, "Concat", NULL, cin, 2, &sz, 1, &cn)) < 0 ||
                (rc = onnx_attr_int(b, cn, "axis", 0)) < 0 ||
                (rc = onnx_x_scalar(b, "one", 1.0, &onec)) < 0 ||
                (rc = onnx_x2(b, "Expand", onec, sz, "ones", &acc)) < 0)
                return rc;
            parts[nparts++] = acc;
            continue;
        }
        idx = onnx_arena_alloc(b->arena, (size_t)(kd * d), sizeof(*idx));
        if (!idx)
            return SKC_E_NOMEM;
        for (int64_t t = 0; t < k; t++) {
            if (deg[t] != d)
                continue;
            int64_t m = 0;
            for (int64_t c = 0; c < f; c++)
                for (int64_t e = 0; e < p[t * f + c]; e++)
                    idx[j * d + m++] = c;
            j++;
        }
        for (int64_t pos = d - 1; pos >= 0; pos--) {
            int64_t *col = onnx_arena_alloc(b->arena, (size_t)kd, sizeof(*col));
            const char *ic, *g;
            Onnx__NodeProto *n;
            if (!col)
                return SKC_E_NOMEM;
            for (int64_t r = 0; r < kd; r++)
                col[r] = idx[r * d + pos];
            if ((rc = onnx_x_ints(b, "factor", col, kd, &ic)) < 0 ||
                (rc = onnx_name_fresh(b, "factor", &g)) < 0)
                return rc;
            const char *gin[2] = { x, ic };
            if ((rc = onnx_node(b, "Gather", NULL, gin, 2, &g, 1, &n)) < 0 ||
                (rc = onnx_attr_int(b, n, "axis", 1)) < 0)
                return rc;
            if (!acc)
                acc = g;
            else if ((rc = onnx_x2(b, "Mul", acc, g, "term", &acc)) < 0)
                return rc;
        }
        parts[nparts++] = acc;
    }
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    if (!moved)
        return prep_concat(b, parts, (size_t)nparts, out);
    {
        const char *cat, *pc;
        int64_t *inv = onnx_arena_alloc(b->arena, (size_t)(k ? k : 1), sizeof(*inv));
        Onnx__NodeProto *n;
        if (!inv || (rc = onnx_name_fresh(b, "grouped", &cat)) < 0 ||
            (rc = prep_concat(b, parts, (size_t)nparts, cat)) < 0)
            return inv ? rc : SKC_E_NOMEM;
        for (int64_t t = 0; t < k; t++)
            inv[t] = perm[t];
        if ((rc = onnx_x_ints(b, "order", inv, k, &pc)) < 0)
            return rc;
        const char *gin[2] = { cat, pc };
        if ((rc = onnx_node(b, "Gather", NULL, gin, 2, &out, 1, &n)) < 0)
            return rc;
        return onnx_attr_int(b, n, "axis", 1);
    }
}

/* ---- power_transform ----------------------------------------------------------------------- */

/* Every column takes its branch from its own lambda, which is known here,
 * so each formula is computed for all columns and a constant per-column
 * mask picks one (the unused formula may be NaN; Where drops it). */
int onnx_emit_power_transform(onnx_builder *b, const skc_step *st)
{
    const char *method, *x, *v, *one, *lam, *lam2, *t1, *t2, *m;
    double *l, *l2;
    int64_t dims[1];
    unsigned char *mask, *mask2;
    int saved, rc, box;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "method", &method)) < 0 ||
        (rc = onnx_step_reals(b, st, "lambdas", 1, 1, dims, &l)) < 0)
        return rc;
    box = strcmp(method, "box-cox") == 0;
    if (!box && strcmp(method, "yeo-johnson") != 0)
        return onnx_error(b, SKC_E_UNSUPPORTED, "method '%s'", method);
    l2 = onnx_arena_alloc(b->arena, (size_t)(dims[0] ? dims[0] : 1), sizeof(*l2));
    mask = onnx_arena_alloc(b->arena, (size_t)(dims[0] ? dims[0] : 1), 1);
    mask2 = onnx_arena_alloc(b->arena, (size_t)(dims[0] ? dims[0] : 1), 1);
    if (!l2 || !mask || !mask2)
        return SKC_E_NOMEM;
    for (int64_t i = 0; i < dims[0]; i++) {
        /* mask: the log branch of x >= 0 (Box-Cox: of every x); mask2: of x < 0. */
        mask[i] = box ? fabs(l[i]) < 1e-19 : fabs(l[i]) < DBL_EPSILON;
        mask2[i] = !(fabs(l[i] - 2.0) > DBL_EPSILON);
        l2[i] = 2.0 - l[i];
    }
    saved = onnx_exact_begin(b);
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = onnx_x_scalar(b, "one", 1.0, &one)) < 0 ||
        (rc = onnx_const_real(b, "lambdas", l, 1, dims, &lam)) < 0 ||
        (rc = prep_const_bool(b, "log_branch", mask, dims[0], &m)) < 0)
        goto done;
    if (box) {
        /* log x, or expm1(lambda log x) / lambda (scipy.special.boxcox). */
        const char *lg, *e;
        if ((rc = onnx_x1(b, "Log", x, "logx", &lg)) < 0 ||
            (rc = onnx_x2(b, "Mul", lam, lg, "ll", &e)) < 0 ||
            (rc = onnx_x1(b, "Exp", e, "ell", &e)) < 0 ||
            (rc = onnx_x2(b, "Sub", e, one, "expm1", &e)) < 0 ||
            (rc = onnx_x2(b, "Div", e, lam, "boxcox", &e)) < 0 ||
            (rc = onnx_x3(b, "Where", m, lg, e, "boxcox", &v)) < 0)
            goto done;
    } else {
        const char *zero, *pos, *xp1, *lg, *pw, *nx, *m2, *neg, *xn;
        if ((rc = onnx_x_scalar(b, "zero", 0.0, &zero)) < 0 ||
            (rc = onnx_const_real(b, "two_minus_lambdas", l2, 1, dims, &lam2)) < 0 ||
            (rc = prep_const_bool(b, "log_branch_neg", mask2, dims[0], &m2)) < 0 ||
            (rc = onnx_x2(b, "GreaterOrEqual", x, zero, "nonneg", &pos)) < 0 ||
            /* x >= 0: log1p(x) or ((x + 1)^l - 1) / l */
            (rc = onnx_x2(b, "Add", x, one, "xp1", &xp1)) < 0 ||
            (rc = onnx_x1(b, "Log", xp1, "log1p", &lg)) < 0 ||
            (rc = onnx_x2(b, "Pow", xp1, lam, "pow", &pw)) < 0 ||
            (rc = onnx_x2(b, "Sub", pw, one, "pow1", &pw)) < 0 ||
            (rc = onnx_x2(b, "Div", pw, lam, "yj_pos", &pw)) < 0 ||
            (rc = onnx_x3(b, "Where", m, lg, pw, "yj_pos", &t1)) < 0 ||
            /* x < 0: -log1p(-x) or -((1 - x)^(2-l) - 1) / (2 - l) */
            (rc = onnx_x1(b, "Neg", x, "negx", &nx)) < 0 ||
            (rc = onnx_x2(b, "Add", nx, one, "nxp1", &xn)) < 0 ||
            (rc = onnx_x1(b, "Log", xn, "log1p_neg", &lg)) < 0 ||
            (rc = onnx_x1(b, "Neg", lg, "yj_neg_log", &lg)) < 0 ||
            (rc = onnx_x2(b, "Pow", xn, lam2, "pow_neg", &neg)) < 0 ||
            (rc = onnx_x2(b, "Sub", neg, one, "pow_neg1", &neg)) < 0 ||
            (rc = onnx_x2(b, "Div", neg, lam2, "yj_neg", &neg)) < 0 ||
            (rc = onnx_x1(b, "Neg", neg, "yj_neg", &neg)) < 0 ||
            (rc = onnx_x3(b, "Where", m2, lg, neg, "yj_neg", &t2)) < 0 ||
            (rc = onnx_x3(b, "Where", pos, t1, t2, "yeojohnson", &v)) < 0)
            goto done;
    }
    {
        /* Standardisation in the same double island (PowerTransformer's _scaler). */
        double *ov, *kv;
        const char *oc, *kc;
        int64_t od[1], kd[1];
        int r1 = onnx_step_reals(b, st, "offset", 0, 1, od, &ov);
        int r2 = onnx_step_reals(b, st, "scale", 0, 1, kd, &kv);
        if (r1 == 0 && r2 == 0) {
            if ((rc = onnx_const_real(b, "offset", ov, 1, od, &oc)) < 0 ||
                (rc = onnx_const_real(b, "scale", kv, 1, kd, &kc)) < 0 ||
                (rc = onnx_x2(b, "Sub", v, oc, "centred", &v)) < 0 ||
                (rc = onnx_x2(b, "Mul", v, kc, "standardized", &v)) < 0)
                goto done;
        } else if ((r1 < 0 && r1 != SKC_E_NOT_FOUND) || (r2 < 0 && r2 != SKC_E_NOT_FOUND)) {
            rc = r1 < 0 && r1 != SKC_E_NOT_FOUND ? r1 : r2;
            goto done;
        }
    }
    rc = onnx_exact_output(b, st, 0, v, ONNX_ELEM_DOUBLE, saved);
done:
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- quantile -------------------------------------------------------------------------------- */

/* np.interp(x, xp[:, f], fp) for every column f, as the reference
 * evaluator computes it: j is the last knot at or below x. @p xp is a
 * [Q, F] constant, @p fp [Q]. */
static int prep_interp(onnx_builder *b, const char *x, const double *xp, const double *fp,
                       int64_t q, int64_t f, const char **out)
{
    const char *xpc, *fpc, *ax, *x3, *le, *cnt, *j, *j1, *lo, *hi, *xj, *xj1, *fj, *fj1;
    const char *slope, *v, *c0, *cq, *f0, *fq, *eq, *zi, *qi;
    int64_t dims[2] = { q, f }, one = 1, zero = 0, qm2 = q - 2, qn = q;
    Onnx__NodeProto *n;
    int rc;

    if ((rc = onnx_const_real(b, "knots", xp, 2, dims, &xpc)) < 0 ||
        (rc = onnx_const_real(b, "knot_values", fp, 1, dims, &fpc)) < 0 ||
        (rc = onnx_x_ints(b, "axes", &one, 1, &ax)) < 0 ||
        (rc = onnx_x2(b, "Unsqueeze", x, ax, "x3", &x3)) < 0 ||
        (rc = onnx_x2(b, "LessOrEqual", xpc, x3, "at_or_below", &le)) < 0 ||
        (rc = onnx_x_cast(b, le, ONNX_ELEM_INT64, "at_or_below_i", &le)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceSum", le, 1, 0, "count", &cnt)) < 0 ||
        (rc = onnx_x_ints(b, "one", &one, 1, &qi)) < 0 ||
        (rc = onnx_x2(b, "Sub", cnt, qi, "j", &j)) < 0 ||
        (rc = onnx_x_ints(b, "zero", &zero, 1, &zi)) < 0 ||
        (rc = onnx_x2(b, "Max", j, zi, "j", &j)) < 0 ||
        (rc = onnx_x_ints(b, "last_segment", &qm2, 1, &lo)) < 0 ||
        (rc = onnx_x2(b, "Min", j, lo, "j", &j)) < 0 ||
        (rc = onnx_x2(b, "Add", j, qi, "j1", &j1)) < 0)
        return rc;
    if ((rc = onnx_name_fresh(b, "xp_j", &xj)) < 0)
        return rc;
    const char *g1[2] = { xpc, j };
    if ((rc = onnx_node(b, "GatherElements", NULL, g1, 2, &xj, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 0)) < 0 ||
        (rc = onnx_name_fresh(b, "xp_j1", &xj1)) < 0)
        return rc;
    const char *g2[2] = { xpc, j1 };
    if ((rc = onnx_node(b, "GatherElements", NULL, g2, 2, &xj1, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "axis", 0)) < 0 ||
        (rc = onnx_x2(b, "Gather", fpc, j, "fp_j", &fj)) < 0 ||
        (rc = onnx_x2(b, "Gather", fpc, j1, "fp_j1", &fj1)) < 0 ||
        /* slope * (x - xp[j]) + fp[j] */
        (rc = onnx_x2(b, "Sub", fj1, fj, "dy", &slope)) < 0 ||
        (rc = onnx_x2(b, "Sub", xj1, xj, "dx", &hi)) < 0 ||
        (rc = onnx_x2(b, "Div", slope, hi, "slope", &slope)) < 0 ||
        (rc = onnx_x2(b, "Sub", x, xj, "offset", &v)) < 0 ||
        (rc = onnx_x2(b, "Mul", slope, v, "rise", &v)) < 0 ||
        (rc = onnx_x2(b, "Add", v, fj, "interp", &v)) < 0 ||
        (rc = onnx_x2(b, "Equal", xj, x, "on_knot", &eq)) < 0 ||
        (rc = onnx_x3(b, "Where", eq, fj, v, "interp", &v)) < 0 ||
        /* Left of the first knot: fp[0]; at or right of the last: fp[Q-1]. */
        (rc = onnx_x2(b, "Equal", cnt, zi, "left", &c0)) < 0 ||
        (rc = onnx_x_ints(b, "q", &qn, 1, &lo)) < 0 ||
        (rc = onnx_x2(b, "GreaterOrEqual", cnt, lo, "right", &cq)) < 0 ||
        (rc = onnx_x_scalar(b, "fp_first", fp[0], &f0)) < 0 ||
        (rc = onnx_x_scalar(b, "fp_last", fp[q - 1], &fq)) < 0 ||
        (rc = onnx_x3(b, "Where", cq, fq, v, "interp", &v)) < 0 ||
        (rc = onnx_x3(b, "Where", c0, f0, v, "interp", out)) < 0)
        return rc;
    return 0;
}

/* AS 241 (PPND16) for p in [1e-7, 1 - 1e-7]: the central rational form and
 * the first tail form (r = sqrt(-log min(p, 1-p)) stays below 5 there). */
static const double prep_ppnd[4][8] = {
    { 3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3,
      1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
      3.3430575583588128105e+4, 2.5090809287301226727e+3 },
    { 1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2,
      5.3941960214247511077e+3, 2.1213794301586595867e+4, 3.9307895800092710610e+4,
      2.8729085735721942674e+4, 5.2264952788528545610e+3 },
    { 1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
      3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
      2.27238449892691845833e-2, 7.74545014278341407640e-4 },
    { 1.0, 2.05319162663775882187e0, 1.67638483018380384940e0,
      6.89767334985100004550e-1, 1.48103976427480074590e-1, 1.51986665636164571966e-2,
      5.47593808499534494600e-4, 1.05075007164441684324e-9 },
};

static int prep_ndtri(onnx_builder *b, const char *p, const char **out)
{
    const char *half, *q, *r, *num, *den, *vc, *one, *omp, *mn, *lg, *rt, *vt, *neg, *sgn;
    const char *c1, *c2, *k1, *k2, *aq, *central;
    int rc;

    if ((rc = onnx_x_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_x2(b, "Sub", p, half, "q", &q)) < 0 ||
        (rc = onnx_x_scalar(b, "c_split", 0.180625, &c1)) < 0 ||
        (rc = onnx_x2(b, "Mul", q, q, "qq", &r)) < 0 ||
        (rc = onnx_x2(b, "Sub", c1, r, "r", &r)) < 0 ||
        (rc = prep_horner(b, prep_ppnd[0], 8, r, &num)) < 0 ||
        (rc = prep_horner(b, prep_ppnd[1], 8, r, &den)) < 0 ||
        (rc = onnx_x2(b, "Mul", q, num, "qnum", &vc)) < 0 ||
        (rc = onnx_x2(b, "Div", vc, den, "central", &vc)) < 0 ||
        (rc = onnx_x_scalar(b, "one", 1.0, &one)) < 0 ||
        (rc = onnx_x2(b, "Sub", one, p, "one_minus_p", &omp)) < 0 ||
        (rc = onnx_x2(b, "Min", p, omp, "tail_p", &mn)) < 0 ||
        (rc = onnx_x1(b, "Log", mn, "log_p", &lg)) < 0 ||
        (rc = onnx_x1(b, "Neg", lg, "neg_log_p", &lg)) < 0 ||
        (rc = onnx_x1(b, "Sqrt", lg, "rt", &rt)) < 0 ||
        (rc = onnx_x_scalar(b, "c_shift", 1.6, &c2)) < 0 ||
        (rc = onnx_x2(b, "Sub", rt, c2, "rt", &rt)) < 0 ||
        (rc = prep_horner(b, prep_ppnd[2], 8, rt, &num)) < 0 ||
        (rc = prep_horner(b, prep_ppnd[3], 8, rt, &den)) < 0 ||
        (rc = onnx_x2(b, "Div", num, den, "tail", &vt)) < 0 ||
        (rc = onnx_x1(b, "Neg", vt, "tail_neg", &neg)) < 0 ||
        (rc = onnx_x_scalar(b, "zero", 0.0, &k1)) < 0 ||
        (rc = onnx_x2(b, "Less", q, k1, "lower", &sgn)) < 0 ||
        (rc = onnx_x3(b, "Where", sgn, neg, vt, "tail", &vt)) < 0 ||
        (rc = onnx_x1(b, "Abs", q, "abs_q", &aq)) < 0 ||
        (rc = onnx_x_scalar(b, "split", 0.425, &k2)) < 0 ||
        (rc = onnx_x2(b, "LessOrEqual", aq, k2, "is_central", &central)) < 0)
        return rc;
    return onnx_x3(b, "Where", central, vc, vt, "ppf", out);
}

int onnx_emit_quantile(onnx_builder *b, const skc_step *st)
{
    const char *dist, *x, *nx, *v1, *v2, *t, *half, *lo, *hi, *c, *k, *zero, *one, *isn;
    double *qv, *ref, *nq, *nref, *qlo, *qhi;
    int64_t qd[2], rd[1], fd[1];
    int saved, rc, normal;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "output", &dist)) < 0 ||
        (rc = onnx_step_reals(b, st, "quantiles", 1, 2, qd, &qv)) < 0 ||
        (rc = onnx_step_reals(b, st, "references", 1, 1, rd, &ref)) < 0)
        return rc;
    normal = strcmp(dist, "normal") == 0;
    if (!normal && strcmp(dist, "uniform") != 0)
        return onnx_error(b, SKC_E_UNSUPPORTED, "output '%s'", dist);
    const int64_t q = qd[0], f = qd[1];
    if (rd[0] != q || q < 1)
        return onnx_error(b, SKC_E_FORMAT, "'references' does not fit 'quantiles'");
    nq = onnx_arena_alloc(b->arena, (size_t)(q > 0 && f > 0 ? q * f : 1), sizeof(*nq));
    nref = onnx_arena_alloc(b->arena, (size_t)q, sizeof(*nref));
    qlo = onnx_arena_alloc(b->arena, (size_t)(f ? f : 1), sizeof(*qlo));
    qhi = onnx_arena_alloc(b->arena, (size_t)(f ? f : 1), sizeof(*qhi));
    if (!nq || !nref || !qlo || !qhi)
        return SKC_E_NOMEM;
    /* The downward pass: np.interp(-x, -quantiles[::-1], -references[::-1]). */
    for (int64_t i = 0; i < q; i++) {
        nref[i] = -ref[q - 1 - i];
        for (int64_t c2 = 0; c2 < f; c2++)
            nq[i * f + c2] = -qv[(q - 1 - i) * f + c2];
    }
    for (int64_t c2 = 0; c2 < f; c2++) {
        qlo[c2] = qv[c2];
        qhi[c2] = qv[(q - 1) * f + c2];
    }
    fd[0] = f;
    saved = onnx_exact_begin(b);
    if (q == 1) {
        rc = onnx_error(b, SKC_E_UNSUPPORTED, "a single quantile");
        goto done;
    }
    if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = onnx_x1(b, "Neg", x, "negx", &nx)) < 0 ||
        (rc = prep_interp(b, x, qv, ref, q, f, &v1)) < 0 ||
        (rc = prep_interp(b, nx, nq, nref, q, f, &v2)) < 0 ||
        (rc = onnx_x2(b, "Sub", v1, v2, "both", &t)) < 0 ||
        (rc = onnx_x_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_x2(b, "Mul", half, t, "p", &t)) < 0 ||
        (rc = onnx_const_real(b, "q_first", qlo, 1, fd, &lo)) < 0 ||
        (rc = onnx_const_real(b, "q_last", qhi, 1, fd, &hi)) < 0 ||
        (rc = onnx_x_scalar(b, "zero", 0.0, &zero)) < 0 ||
        (rc = onnx_x_scalar(b, "one", 1.0, &one)) < 0)
        goto done;
    /* The bounds, upper then lower, as sklearn assigns them. */
    if (normal) {
        const char *xa, *xs;
        if ((rc = onnx_x_scalar(b, "bounds", 1e-7, &k)) < 0 ||
            (rc = onnx_x2(b, "Add", x, k, "x_up", &xa)) < 0 ||
            (rc = onnx_x2(b, "Greater", xa, hi, "at_top", &c)) < 0 ||
            (rc = onnx_x3(b, "Where", c, one, t, "p", &t)) < 0 ||
            (rc = onnx_x2(b, "Sub", x, k, "x_down", &xs)) < 0 ||
            (rc = onnx_x2(b, "Less", xs, lo, "at_bottom", &c)) < 0 ||
            (rc = onnx_x3(b, "Where", c, zero, t, "p", &t)) < 0)
            goto done;
        /* ppf(clip(p)) is clip(ppf(p)) with sklearn's clip bounds. */
        const char *a, *a1;
        if ((rc = onnx_x_scalar(b, "p_min", 1e-7 - DBL_EPSILON, &a)) < 0 ||
            (rc = onnx_x_scalar(b, "p_max", 1.0 - (1e-7 - DBL_EPSILON), &a1)) < 0 ||
            (rc = onnx_x3(b, "Clip", t, a, a1, "p", &t)) < 0 ||
            (rc = prep_ndtri(b, t, &t)) < 0)
            goto done;
    } else {
        if ((rc = onnx_x2(b, "Equal", x, hi, "at_top", &c)) < 0 ||
            (rc = onnx_x3(b, "Where", c, one, t, "p", &t)) < 0 ||
            (rc = onnx_x2(b, "Equal", x, lo, "at_bottom", &c)) < 0 ||
            (rc = onnx_x3(b, "Where", c, zero, t, "p", &t)) < 0)
            goto done;
    }
    if ((rc = onnx_x1(b, "IsNaN", x, "is_nan", &isn)) < 0 ||
        (rc = onnx_x3(b, "Where", isn, x, t, "quantiled", &t)) < 0)
        goto done;
    rc = onnx_exact_output(b, st, 0, t, ONNX_ELEM_DOUBLE, saved);
done:
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- ufunc ------------------------------------------------------------------------------------- */

/* numpy ufuncs with a single ONNX operator of the same meaning. */
static const struct {
    const char *ufunc, *op;
} prep_unary[] = {
    { "log", "Log" }, { "exp", "Exp" }, { "sqrt", "Sqrt" }, { "abs", "Abs" },
    { "absolute", "Abs" }, { "fabs", "Abs" }, { "negative", "Neg" },
    { "reciprocal", "Reciprocal" }, { "floor", "Floor" }, { "ceil", "Ceil" },
    { "rint", "Round" }, { "sign", "Sign" }, { "sin", "Sin" },
    { "cos", "Cos" }, { "tan", "Tan" }, { "arcsin", "Asin" }, { "arccos", "Acos" },
    { "arctan", "Atan" }, { "sinh", "Sinh" }, { "cosh", "Cosh" }, { "arcsinh", "Asinh" },
    { "arccosh", "Acosh" }, { "arctanh", "Atanh" },
};

/* ONNX Runtime implements Tan, Sinh, Cosh, Asinh, Acosh, Atanh, Asin,
 * Acos and Atan for float only. In double the first six are written with
 * the identities below (Exp, Log, Sqrt, Sin, Cos have double kernels);
 * the inverse trigonometric ones have none and are refused.
 * Returns 1 when @p fn is none of these. */
static int prep_ufunc_double(onnx_builder *b, const char *fn, const char *x, const char *out)
{
    const char *a, *c, *e1, *e2, *half, *one;
    int rc;

    if (strcmp(fn, "arcsin") == 0 || strcmp(fn, "arccos") == 0 || strcmp(fn, "arctan") == 0)
        return onnx_error(b, SKC_E_UNSUPPORTED, "numpy.%s in double: ONNX Runtime has no "
                          "double kernel for it; use -O dtype=float32", fn);
    if (strcmp(fn, "tan") && strcmp(fn, "sinh") && strcmp(fn, "cosh") &&
        strcmp(fn, "arcsinh") && strcmp(fn, "arccosh") && strcmp(fn, "arctanh"))
        return 1;
    if ((rc = onnx_x_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_x_scalar(b, "one", 1.0, &one)) < 0)
        return rc;
    if (strcmp(fn, "tan") == 0) {
        if ((rc = onnx_x1(b, "Sin", x, "sin", &a)) < 0 ||
            (rc = onnx_x1(b, "Cos", x, "cos", &c)) < 0)
            return rc;
        const char *in[2] = { a, c };
        return onnx_node(b, "Div", NULL, in, 2, &out, 1, NULL);
    }
    if (strcmp(fn, "sinh") == 0 || strcmp(fn, "cosh") == 0) {
        /* (exp(x) -+ exp(-x)) / 2 */
        if ((rc = onnx_x1(b, "Exp", x, "exp", &e1)) < 0 ||
            (rc = onnx_x1(b, "Neg", x, "negx", &a)) < 0 ||
            (rc = onnx_x1(b, "Exp", a, "exp_neg", &e2)) < 0 ||
            (rc = onnx_x2(b, fn[0] == 's' ? "Sub" : "Add", e1, e2, "sum", &a)) < 0)
            return rc;
        const char *in[2] = { a, half };
        return onnx_node(b, "Mul", NULL, in, 2, &out, 1, NULL);
    }
    if (strcmp(fn, "arcsinh") == 0) {
        /* sign(x) log(|x| + sqrt(x^2 + 1)) */
        const char *ax, *sg;
        if ((rc = onnx_x1(b, "Abs", x, "abs", &ax)) < 0 ||
            (rc = onnx_x1(b, "Sign", x, "sign", &sg)) < 0 ||
            (rc = onnx_x2(b, "Mul", ax, ax, "sq", &a)) < 0 ||
            (rc = onnx_x2(b, "Add", a, one, "sq1", &a)) < 0 ||
            (rc = onnx_x1(b, "Sqrt", a, "root", &a)) < 0 ||
            (rc = onnx_x2(b, "Add", ax, a, "arg", &a)) < 0 ||
            (rc = onnx_x1(b, "Log", a, "log", &a)) < 0)
            return rc;
        const char *in[2] = { sg, a };
        return onnx_node(b, "Mul", NULL, in, 2, &out, 1, NULL);
    }
    if (strcmp(fn, "arccosh") == 0) {
        /* log(x + sqrt(x^2 - 1)) */
        if ((rc = onnx_x2(b, "Mul", x, x, "sq", &a)) < 0 ||
            (rc = onnx_x2(b, "Sub", a, one, "sq1", &a)) < 0 ||
            (rc = onnx_x1(b, "Sqrt", a, "root", &a)) < 0 ||
            (rc = onnx_x2(b, "Add", x, a, "arg", &a)) < 0)
            return rc;
        return onnx_node(b, "Log", NULL, &a, 1, &out, 1, NULL);
    }
    if (strcmp(fn, "arctanh") == 0) {
        /* log((1 + x) / (1 - x)) / 2 */
        if ((rc = onnx_x2(b, "Add", one, x, "num", &a)) < 0 ||
            (rc = onnx_x2(b, "Sub", one, x, "den", &c)) < 0 ||
            (rc = onnx_x2(b, "Div", a, c, "ratio", &a)) < 0 ||
            (rc = onnx_x1(b, "Log", a, "log", &a)) < 0)
            return rc;
        const char *in[2] = { a, half };
        return onnx_node(b, "Mul", NULL, in, 2, &out, 1, NULL);
    }
    /* tan, sinh and cosh use half/one only in part: both are tiny initializers. */
    return onnx_error(b, SKC_E_INTERNAL, "numpy.%s fell through", fn);
}

int onnx_emit_ufunc(onnx_builder *b, const skc_step *st)
{
    const char *fn, *x, *out, *t, *k;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "func", &fn)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &x)) < 0 ||
        (rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    if (b->real_elem == ONNX_ELEM_DOUBLE && (rc = prep_ufunc_double(b, fn, x, out)) != 1)
        return rc;
    for (size_t i = 0; i < sizeof(prep_unary) / sizeof(prep_unary[0]); i++)
        if (strcmp(fn, prep_unary[i].ufunc) == 0)
            return onnx_node(b, prep_unary[i].op, NULL, &x, 1, &out, 1, NULL);
    if (strcmp(fn, "log1p") == 0 || strcmp(fn, "expm1") == 0) {
        int lp = fn[1] == 'o';
        if ((rc = onnx_x_scalar(b, "one", 1.0, &k)) < 0)
            return rc;
        if (lp) {
            if ((rc = onnx_x2(b, "Add", x, k, "xp1", &t)) < 0)
                return rc;
            return onnx_node(b, "Log", NULL, &t, 1, &out, 1, NULL);
        }
        if ((rc = onnx_x1(b, "Exp", x, "exp", &t)) < 0)
            return rc;
        const char *in[2] = { t, k };
        return onnx_node(b, "Sub", NULL, in, 2, &out, 1, NULL);
    }
    if (strcmp(fn, "log2") == 0 || strcmp(fn, "log10") == 0) {
        if ((rc = onnx_x1(b, "Log", x, "ln", &t)) < 0 ||
            (rc = onnx_x_scalar(b, "ln_base", fn[3] == '2' ? 0.69314718055994530942 : 2.30258509299404568402, &k)) < 0)
            return rc;
        const char *in[2] = { t, k };
        return onnx_node(b, "Div", NULL, in, 2, &out, 1, NULL);
    }
    if (strcmp(fn, "tanh") == 0) {
        /* 1 - 2 / (exp(2x) + 1): ONNX Runtime's Tanh is a float-accurate
         * approximation even for doubles; this form is exact to rounding
         * and saturates to +-1 without overflow trouble. */
        const char *two, *e, *one;
        if ((rc = onnx_x_scalar(b, "two", 2.0, &two)) < 0 ||
            (rc = onnx_x_scalar(b, "one", 1.0, &one)) < 0 ||
            (rc = onnx_x2(b, "Mul", x, two, "twox", &e)) < 0 ||
            (rc = onnx_x1(b, "Exp", e, "exp2x", &e)) < 0 ||
            (rc = onnx_x2(b, "Add", e, one, "exp2x1", &e)) < 0 ||
            (rc = onnx_x2(b, "Div", two, e, "ratio", &e)) < 0)
            return rc;
        const char *in[2] = { one, e };
        return onnx_node(b, "Sub", NULL, in, 2, &out, 1, NULL);
    }
    if (strcmp(fn, "exp2") == 0 || strcmp(fn, "square") == 0) {
        const char *in[2] = { x, x };
        if (fn[1] == 'x') {
            if ((rc = onnx_x_scalar(b, "two", 2.0, &k)) < 0)
                return rc;
            in[0] = k;
            return onnx_node(b, "Pow", NULL, in, 2, &out, 1, NULL);
        }
        return onnx_node(b, "Mul", NULL, in, 2, &out, 1, NULL);
    }
    if (strcmp(fn, "trunc") == 0 || strcmp(fn, "cbrt") == 0) {
        const char *s, *a, *z, *fl, *ce;
        if (fn[0] == 't') {
            if ((rc = onnx_x_scalar(b, "zero", 0.0, &z)) < 0 ||
                (rc = onnx_x2(b, "Less", x, z, "negative", &s)) < 0 ||
                (rc = onnx_x1(b, "Floor", x, "floor", &fl)) < 0 ||
                (rc = onnx_x1(b, "Ceil", x, "ceil", &ce)) < 0)
                return rc;
            const char *in[3] = { s, ce, fl };
            return onnx_node(b, "Where", NULL, in, 3, &out, 1, NULL);
        }
        /* sign(x) |x|^(1/3) */
        if ((rc = onnx_x1(b, "Sign", x, "sign", &s)) < 0 ||
            (rc = onnx_x1(b, "Abs", x, "abs", &a)) < 0 ||
            (rc = onnx_x_scalar(b, "third", 1.0 / 3.0, &k)) < 0 ||
            (rc = onnx_x2(b, "Pow", a, k, "root", &a)) < 0)
            return rc;
        const char *in[2] = { s, a };
        return onnx_node(b, "Mul", NULL, in, 2, &out, 1, NULL);
    }
    return onnx_error(b, SKC_E_UNSUPPORTED, "numpy function '%s'", fn);
}

/* ---- category_map ------------------------------------------------------------------------------- */

/* One feature of numbers: Equal against its categories in double (a NaN
 * category matches NaN), ArgMax for the index, the unknown value where
 * nothing matched. */
static int prep_map_numeric(onnx_builder *b, const char *col, const double *cats,
                            const double *vals, int64_t n, double unknown, const char **out)
{
    const char *cc, *vc, *eq, *eqd, *idx, *hit, *v, *uc, *half;
    int64_t dims[1] = { n };
    unsigned char *nanm;
    Onnx__NodeProto *node;
    int rc, any_nan = 0;
    double dummy = 0.0;

    if (n == 0) {
        /* No category: every value is unknown; one never-chosen slot. */
        cats = &dummy;
        vals = &unknown;
        dims[0] = n = 1;
    }
    nanm = onnx_arena_alloc(b->arena, (size_t)n, 1);
    if (!nanm)
        return SKC_E_NOMEM;
    for (int64_t i = 0; i < n; i++)
        any_nan |= nanm[i] = isnan(cats[i]) != 0;
    if ((rc = onnx_const_real(b, "categories", cats, 1, dims, &cc)) < 0 ||
        (rc = onnx_const_real(b, "category_values", vals, 1, dims, &vc)) < 0 ||
        (rc = onnx_x2(b, "Equal", col, cc, "match", &eq)) < 0)
        return rc;
    if (any_nan) {
        const char *isn, *nm, *both;
        if ((rc = onnx_x1(b, "IsNaN", col, "is_nan", &isn)) < 0 ||
            (rc = prep_const_bool(b, "nan_category", nanm, n, &nm)) < 0 ||
            (rc = onnx_x2(b, "And", isn, nm, "nan_match", &both)) < 0 ||
            (rc = onnx_x2(b, "Or", eq, both, "match", &eq)) < 0)
            return rc;
    }
    if ((rc = onnx_x_cast(b, eq, ONNX_ELEM_DOUBLE, "match_d", &eqd)) < 0 ||
        (rc = onnx_name_fresh(b, "category", &idx)) < 0 ||
        (rc = onnx_node(b, "ArgMax", NULL, &eqd, 1, &idx, 1, &node)) < 0 ||
        (rc = onnx_attr_int(b, node, "axis", 1)) < 0 ||
        (rc = onnx_attr_int(b, node, "keepdims", 1)) < 0 ||
        (rc = onnx_x_reduce(b, "ReduceMax", eqd, 1, 1, "hit", &hit)) < 0 ||
        (rc = onnx_x_scalar(b, "half", 0.5, &half)) < 0 ||
        (rc = onnx_x2(b, "Greater", hit, half, "hit", &hit)) < 0 ||
        (rc = onnx_x2(b, "Gather", vc, idx, "value", &v)) < 0 ||
        (rc = onnx_x_scalar(b, "unknown", unknown, &uc)) < 0)
        return rc;
    return onnx_x3(b, "Where", hit, v, uc, "mapped", out);
}

/* One feature of strings: ai.onnx.ml LabelEncoder to the category index
 * (-1 unknown), then a Gather in [unknown, values...]. */
static int prep_map_strings(onnx_builder *b, const char *col, const skc_tensor *cats,
                            int64_t lo, int64_t hi, const double *vals, double unknown,
                            const char **out)
{
    int64_t n = hi - lo, *codes, one = 1, dims[1];
    const char *idx, *vc, *k;
    double *ext;
    Onnx__NodeProto *node;
    int rc;

    /* A feature without categories still needs one key: "" is given code
     * -1 (ml opset 2) or slot 1, whose value is the unknown one as well. */
    int64_t nk = n ? n : 1;
    ext = onnx_arena_alloc(b->arena, (size_t)nk + 1, sizeof(*ext));
    codes = onnx_arena_alloc(b->arena, (size_t)nk, sizeof(*codes));
    if (!ext || !codes)
        return SKC_E_NOMEM;
    ext[0] = ext[1] = unknown;
    codes[0] = n ? 0 : -1;
    for (int64_t i = 0; i < n; i++) {
        ext[i + 1] = vals[lo + i];
        codes[i] = i;
    }
    dims[0] = nk + 1;
    if ((rc = onnx_name_fresh(b, "category", &idx)) < 0 ||
        (rc = onnx_node(b, "LabelEncoder", ONNX_DOMAIN_ML, &col, 1, &idx, 1, &node)) < 0)
        return rc;
    if ((rc = prep_attr_strings(b, node, b->ml_opset >= 2 ? "keys_strings"
                                                          : "classes_strings",
                                cats, lo, hi)) < 0 ||
        (rc = onnx_attr_int(b, node, "default_int64", -1)) < 0)
        return rc;
    if (b->ml_opset >= 2 &&
        (rc = onnx_x_attr_ints(b, node, "values_int64s", codes, (size_t)nk)) < 0)
        return rc;
    if ((rc = onnx_x_ints(b, "one", &one, 1, &k)) < 0 ||
        (rc = onnx_x2(b, "Add", idx, k, "slot", &idx)) < 0 ||
        (rc = onnx_const_real(b, "category_values", ext, 1, dims, &vc)) < 0)
        return rc;
    return onnx_x2(b, "Gather", vc, idx, "mapped", out);
}

int onnx_emit_category_map(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *cats, *off, *val, *unk;
    const char *x, **parts, *v;
    int64_t trunc_int = 0;
    int elem, saved, rc, str;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "categories", &cats) < 0 ||
        skc_step_get_tensor(st, "offsets", &off) < 0 ||
        skc_step_get_tensor(st, "values", &val) < 0 ||
        skc_step_get_tensor(st, "unknown", &unk) < 0 ||
        skc_tensor_dtype(off) != SKC_DT_I64 || skc_tensor_numel(off) < 1 ||
        skc_tensor_numel(val) != skc_tensor_numel(cats))
        return onnx_error(b, SKC_E_FORMAT, "attributes categories, offsets, values and "
                          "unknown are missing or inconsistent");
    const int64_t f = skc_tensor_numel(off) - 1, *o = skc_tensor_data(off);
    const int64_t nc = skc_tensor_numel(cats);
    if (skc_tensor_numel(unk) != f || o[0] != 0 || o[f] != nc)
        return onnx_error(b, SKC_E_FORMAT, "offsets do not fit the categories");
    for (int64_t i = 0; i < f; i++)
        if (o[i + 1] < o[i])
            return onnx_error(b, SKC_E_FORMAT, "offsets decrease");
    str = skc_tensor_dtype(cats) == SKC_DT_STRING;
    double *vals = onnx_arena_alloc(b->arena, (size_t)(nc ? nc : 1), sizeof(*vals));
    double *cv = onnx_arena_alloc(b->arena, (size_t)(nc ? nc : 1), sizeof(*cv));
    parts = onnx_arena_alloc(b->arena, (size_t)(f ? f : 1), sizeof(*parts));
    if (!vals || !cv || !parts)
        return SKC_E_NOMEM;
    for (int64_t i = 0; i < nc; i++) {
        vals[i] = skc_tensor_get_f64(val, i);
        cv[i] = str ? 0.0 : skc_tensor_get_f64(cats, i);
    }
    skc_step_get_int(st, "truncate", &trunc_int);
    saved = onnx_exact_begin(b);
    if (str) {
        if ((rc = onnx_step_input(b, st, 0, &x, &elem)) < 0)
            goto done;
        if (elem != ONNX_ELEM_STRING) {
            rc = onnx_error(b, SKC_E_FORMAT, "string categories for a numeric input");
            goto done;
        }
    } else if ((rc = onnx_step_real_input(b, st, 0, &x)) < 0) {
        goto done;
    } else if (trunc_int) {
        /* The legacy OneHotEncoder's int cast: toward zero. */
        const char *z, *neg, *fl, *ce;
        if ((rc = onnx_x_scalar(b, "zero", 0.0, &z)) < 0 ||
            (rc = onnx_x2(b, "Less", x, z, "negative", &neg)) < 0 ||
            (rc = onnx_x1(b, "Floor", x, "floor", &fl)) < 0 ||
            (rc = onnx_x1(b, "Ceil", x, "ceil", &ce)) < 0 ||
            (rc = onnx_x3(b, "Where", neg, ce, fl, "truncated", &x)) < 0)
            goto done;
    }
    for (int64_t i = 0; i < f; i++) {
        const char *col;
        if ((rc = prep_column(b, x, i, &col)) < 0)
            goto done;
        rc = str ? prep_map_strings(b, col, cats, o[i], o[i + 1], vals,
                                    skc_tensor_get_f64(unk, i), &parts[i])
                 : prep_map_numeric(b, col, cv + o[i], vals + o[i], o[i + 1] - o[i],
                                    skc_tensor_get_f64(unk, i), &parts[i]);
        if (rc < 0)
            goto done;
    }
    if ((rc = onnx_name_fresh(b, "mapped", &v)) < 0 ||
        (rc = prep_concat(b, parts, (size_t)f, v)) < 0)
        goto done;
    rc = onnx_exact_output(b, st, 0, v, ONNX_ELEM_DOUBLE, saved);
done:
    onnx_exact_end(b, saved);
    return rc;
}

/* ---- onehot ----------------------------------------------------------------------------------------- */

/* Each block: Equal(code, 0 .. w-1), so -1, NaN or any non-integer code
 * leaves the block zero. */
int onnx_emit_onehot(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *wt;
    const char *x, **parts, *out;
    size_t np = 0;
    int rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0)
        return rc;
    if (skc_step_get_tensor(st, "widths", &wt) < 0 || skc_tensor_dtype(wt) != SKC_DT_I64)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'widths' is not an int64 tensor");
    const int64_t f = skc_tensor_numel(wt), *w = skc_tensor_data(wt);
    parts = onnx_arena_alloc(b->arena, (size_t)(f ? f : 1), sizeof(*parts));
    if (!parts || (rc = onnx_step_real_input(b, st, 0, &x)) < 0)
        return parts ? rc : SKC_E_NOMEM;
    for (int64_t i = 0; i < f; i++) {
        const char *col, *grid, *eq;
        double *g;
        if (w[i] < 0)
            return onnx_error(b, SKC_E_FORMAT, "negative width");
        if (w[i] == 0)
            continue;
        g = onnx_arena_alloc(b->arena, (size_t)w[i], sizeof(*g));
        if (!g)
            return SKC_E_NOMEM;
        for (int64_t j = 0; j < w[i]; j++)
            g[j] = (double)j;
        if ((rc = prep_column(b, x, i, &col)) < 0 ||
            (rc = onnx_const_real(b, "codes", g, 1, &w[i], &grid)) < 0 ||
            (rc = onnx_x2(b, "Equal", col, grid, "is_code", &eq)) < 0 ||
            (rc = onnx_x_cast(b, eq, b->real_elem, "onehot", &parts[np++])) < 0)
            return rc;
    }
    if (np == 0)
        return onnx_error(b, SKC_E_UNSUPPORTED, "a one-hot encoding with no columns");
    if ((rc = onnx_step_output(b, st, 0, b->real_elem, &out)) < 0)
        return rc;
    return prep_concat(b, parts, np, out);
}
