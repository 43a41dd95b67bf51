/* SPDX-License-Identifier: MIT */
/* skm_models.c: IR models, comparisons and file surgery shared by the .skm tests. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "skm_models.h"

#ifndef SKM_PLUGIN
#error "build with -DSKM_PLUGIN=\"path/to/skconv-native.so\""
#endif

uint32_t skmt_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t skmt_le64(const uint8_t *p)
{
    return skmt_le32(p) | (uint64_t)skmt_le32(p + 4) << 32;
}

void skmt_put32(uint8_t *p, uint32_t v)
{
    int i;

    for (i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void skmt_put64(uint8_t *p, uint64_t v)
{
    skmt_put32(p, (uint32_t)v);
    skmt_put32(p + 4, (uint32_t)(v >> 32));
}

/* ---- building -------------------------------------------------------- */

static int skmt_f64(skc_tensor **out, int ndim, const int64_t *shape, const double *v)
{
    int rc = skc_tensor_new(SKC_DT_F64, ndim, shape, out);

    if (rc == SKC_OK && skc_tensor_numel(*out))
        memcpy(skc_tensor_data_mut(*out), v, skc_tensor_nbytes(*out));
    return rc;
}

static int skmt_strings(skc_tensor **out, int ndim, const int64_t *shape,
                        const char *const *v)
{
    int64_t i;
    int rc = skc_tensor_new(SKC_DT_STRING, ndim, shape, out);

    for (i = 0; rc == SKC_OK && i < skc_tensor_numel(*out); i++)
        rc = skc_tensor_set_string(*out, i, v[i], strlen(v[i]));
    return rc;
}

/* Attach @p t to @p st and drop the builder's reference. */
static int skmt_attach(skc_step *st, const char *key, skc_tensor *t, int rc)
{
    if (rc == SKC_OK)
        rc = skc_step_set_tensor(st, key, t);
    skc_tensor_free(t);
    return rc;
}

static int skmt_set_strings(skc_step *st, const char *key, int ndim, const int64_t *shape,
                            const char *const *v)
{
    skc_tensor *t = NULL;
    int rc = skmt_strings(&t, ndim, shape, v);

    return skmt_attach(st, key, t, rc);
}

static int skmt_raw(skc_step *st, const char *key, int dtype, int ndim,
                    const int64_t *shape, const void *v)
{
    skc_tensor *t = NULL;
    int rc = skc_tensor_new(dtype, ndim, shape, &t);

    if (rc == SKC_OK && skc_tensor_nbytes(t))
        memcpy(skc_tensor_data_mut(t), v, skc_tensor_nbytes(t));
    return skmt_attach(st, key, t, rc);
}

static int skmt_step(skc_model *m, const char *op, const char *in, const char *out,
                     skc_step **st)
{
    int rc;

    if ((rc = skc_model_add_step(m, op, st)) ||
        (rc = skc_step_add_input(*st, in)) ||
        (rc = skc_step_add_output(*st, out)))
        return rc;
    return SKC_OK;
}

/* Scaler, linear, softmax, argmax over string labels; UTF-8 column names. */
static int skmt_classifier(skc_model *m)
{
    static const int64_t xs[2] = { -1, 3 }, ls[1] = { -1 }, ps[2] = { -1, 3 };
    static const int64_t three[1] = { 3 }, w33[2] = { 3, 3 };
    /* "sépal wïdth": the hex escapes end before the next letter. */
    static const char col1[] = { 's', '\xc3', '\xa9', 'p', 'a', 'l', ' ', 'w', '\xc3', '\xaf',
                                 'd', 't', 'h', '\0' };
    static const char *const cols[3] = { "sepal length", col1, "c" };
    static const char *const classes[3] = { "setosa", "versicolor", "virginica" };
    static const double off[3] = { 5.8, 3.05, 3.76 }, sc[3] = { 1.2, 2.3, 0.56 };
    static const double coef[9] = { -0.42, 0.97, -2.4, 0.53, -0.32, -0.21, -0.11, -0.65, 2.6 };
    static const double icpt[3] = { 9.8, 2.2, -12.0 };
    skc_tensor *t = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_model_add_input(m, "X", SKC_DT_F64, 2, xs)) ||
        (rc = skmt_strings(&t, 1, three, cols)) ||
        (rc = skc_model_set_input_columns(m, 0, t)))
        goto done;
    if ((rc = skmt_step(m, "scaler", "X", "Xs", &st)) ||
        (rc = skmt_raw(st, "offset", SKC_DT_F64, 1, three, off)) ||
        (rc = skmt_raw(st, "scale", SKC_DT_F64, 1, three, sc)))
        goto done;
    if ((rc = skmt_step(m, "linear", "Xs", "S", &st)) ||
        (rc = skmt_raw(st, "coef", SKC_DT_F64, 2, w33, coef)) ||
        (rc = skmt_raw(st, "intercept", SKC_DT_F64, 1, three, icpt)))
        goto done;
    if ((rc = skmt_step(m, "proba", "S", "probabilities", &st)) ||
        (rc = skc_step_set_string(st, "mode", "softmax")))
        goto done;
    if ((rc = skmt_step(m, "label", "S", "label", &st)) ||
        (rc = skmt_set_strings(st, "classes", 1, three, classes)) ||
        (rc = skc_step_set_string(st, "mode", "argmax")))
        goto done;
    if ((rc = skc_model_add_output(m, "label", SKC_DT_STRING, 1, ls)) ||
        (rc = skc_model_add_output(m, "probabilities", SKC_DT_F64, 2, ps)) ||
        (rc = skc_model_set_meta(m, "source.file", "iris.pkl")) ||
        (rc = skc_model_set_meta(m, "source.sha256",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")) ||
        (rc = skc_model_set_meta(m, "source.format", "pickle")) ||
        (rc = skc_model_set_meta(m, "skconv.version", "0.0.0-an-older-writer")) ||
        (rc = skc_model_set_meta(m, "producer.sklearn_version", "1.2.2")) ||
        (rc = skc_model_set_meta(m, "verify.max_abs_diff", "")))
        goto done;
done:
    skc_tensor_free(t);
    return rc;
}

/* float32 input, clip, threshold over int64 labels, and on the linear
 * step extra attributes of every kind and dtype (ops ignore them). */
static int skmt_binary(skc_model *m)
{
    static const int64_t xs[2] = { -1, 2 }, ls[1] = { -1 }, ps[2] = { -1, 2 };
    static const int64_t one[1] = { 1 }, two[1] = { 2 }, w12[2] = { 1, 2 }, s22[2] = { 2, 2 };
    static const int64_t five[1] = { 5 }, three[1] = { 3 }, zero[1] = { 0 }, s212[3] = { 2, 1, 2 };
    static const double coef[2] = { 1.5, -0.25 }, icpt[1] = { 0.125 };
    static const double d3[4] = { 1.0, -0.0, 1e-310, 6.02e23 };
    static const int64_t classes[2] = { 0, 7 };
    static const int32_t i32[4] = { INT32_MIN, -1, 0, INT32_MAX };
    static const uint8_t u8[5] = { 0, 1, 127, 128, 255 }, b3[3] = { 1, 0, 1 };
    static const uint32_t u32[2] = { 0, UINT32_MAX };
    static const char *const s4[4] = { "", "a", "b c", "\xe2\x82\xac" };
    double scalar = -3.5;
    skc_step *st;
    int rc;

    if ((rc = skc_model_add_input(m, "input", SKC_DT_F32, 2, xs)) ||
        (rc = skmt_step(m, "clip", "input", "Xc", &st)) ||
        (rc = skc_step_set_float(st, "min", -5.0)) ||
        (rc = skc_step_set_float(st, "max", 5.0)) ||
        (rc = skmt_step(m, "linear", "Xc", "S", &st)) ||
        (rc = skmt_raw(st, "coef", SKC_DT_F64, 2, w12, coef)) ||
        (rc = skmt_raw(st, "intercept", SKC_DT_F64, 1, one, icpt)) ||
        (rc = skc_step_set_int(st, "x_int", -42)) ||
        (rc = skc_step_set_int(st, "x_min", INT64_MIN)) ||
        (rc = skc_step_set_int(st, "x_max", INT64_MAX)) ||
        (rc = skc_step_set_float(st, "x_nan", NAN)) ||
        (rc = skc_step_set_float(st, "x_neginf", -INFINITY)) ||
        (rc = skc_step_set_float(st, "x_negzero", -0.0)) ||
        (rc = skc_step_set_string(st, "x_empty", "")) ||
        (rc = skmt_raw(st, "x_i32", SKC_DT_I32, 2, s22, i32)) ||
        (rc = skmt_raw(st, "x_u8", SKC_DT_U8, 1, five, u8)) ||
        (rc = skmt_raw(st, "x_bool", SKC_DT_BOOL, 1, three, b3)) ||
        (rc = skmt_raw(st, "x_u32", SKC_DT_U32, 1, two, u32)) ||
        (rc = skmt_raw(st, "x_f32_empty", SKC_DT_F32, 1, zero, NULL)) ||
        (rc = skmt_raw(st, "x_scalar", SKC_DT_F64, 0, NULL, &scalar)) ||
        (rc = skmt_raw(st, "x_3d", SKC_DT_F64, 3, s212, d3)) ||
        (rc = skmt_set_strings(st, "x_str2d", 2, s22, s4)) ||
        (rc = skmt_set_strings(st, "x_str_empty", 1, zero, s4)))
        return rc;
    if ((rc = skmt_step(m, "proba", "S", "probabilities", &st)) ||
        (rc = skc_step_set_string(st, "mode", "logistic_binary")) ||
        (rc = skmt_step(m, "label", "S", "label", &st)) ||
        (rc = skmt_raw(st, "classes", SKC_DT_I64, 1, two, classes)) ||
        (rc = skc_step_set_string(st, "mode", "threshold")) ||
        (rc = skc_step_set_float(st, "threshold", 0.0)) ||
        (rc = skc_model_add_output(m, "label", SKC_DT_I64, 1, ls)) ||
        (rc = skc_model_add_output(m, "probabilities", SKC_DT_F64, 2, ps)) ||
        (rc = skc_model_set_meta(m, "source.format", "onnx")))
        return rc;
    return SKC_OK;
}

/* One tensor referenced twice (it must stay one tensor), no metadata. */
static int skmt_regressor(skc_model *m)
{
    static const int64_t xs[2] = { -1, 2 }, two[1] = { 2 }, w22[2] = { 2, 2 };
    static const double off[2] = { 0.5, -1.0 }, sc[2] = { 2.0, 0.25 };
    static const double coef[4] = { 1.0, 2.0, -3.0, 0.5 }, icpt[2] = { 0.0, 100.0 };
    skc_tensor *shared = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_model_add_input(m, "X", SKC_DT_F64, 2, xs)) ||
        (rc = skmt_step(m, "identity", "X", "X1", &st)) ||
        (rc = skmt_f64(&shared, 1, two, off)) ||
        (rc = skmt_step(m, "scaler", "X1", "X2", &st)) ||
        (rc = skc_step_set_tensor(st, "offset", shared)) ||
        (rc = skmt_raw(st, "scale", SKC_DT_F64, 1, two, sc)) ||
        (rc = skc_step_set_tensor(st, "bias", shared)) ||
        (rc = skmt_step(m, "linear", "X2", "variable", &st)) ||
        (rc = skmt_raw(st, "coef", SKC_DT_F64, 2, w22, coef)) ||
        (rc = skmt_raw(st, "intercept", SKC_DT_F64, 1, two, icpt)) ||
        (rc = skc_model_add_output(m, "variable", SKC_DT_F64, 2, w22)))
        goto done;
done:
    skc_tensor_free(shared);
    return rc;
}

/* A two-tree forest (core/OPS.md tree_ensemble): NaN routing, a
 * categorical split with its bitset, leaves in node order; the node
 * arrays are what the damage tests flip under the structural check and
 * the evaluator's own bounds. */
static int skmt_forest(skc_model *m)
{
    static const int64_t xs[2] = { -1, 2 }, ys[2] = { -1, 1 }, three[1] = { 3 };
    static const int64_t eight[1] = { 8 }, v51[2] = { 5, 1 }, c18[2] = { 1, 8 };
    static const int64_t offsets[3] = { 0, 5, 8 };
    static const int32_t feature[8] = { 0, -1, 1, -1, -1, 1, -1, -1 };
    static const int32_t left[8] = { 1, -1, 3, -2, -3, 1, -4, -5 };
    static const int32_t right[8] = { 2, -1, 4, -1, -1, 2, -1, -1 };
    static const int32_t cat_index[8] = { -1, -1, -1, -1, -1, 0, -1, -1 };
    static const uint32_t bitset[8] = { (1u << 3) | (1u << 5), 0, 0, 0, 0, 0, 0, 0 };
    static const uint8_t missing_left[8] = { 1, 0, 0, 0, 0, 1, 0, 0 };
    static const double threshold[8] = { 0.5, 0, 2.0, 0, 0, 0, 0, 0 };
    static const double value[5] = { 1.5, -2.0, 4.25, 10.0, 20.0 };
    skc_step *st;
    int rc;

    if ((rc = skc_model_add_input(m, "X", SKC_DT_F64, 2, xs)) ||
        (rc = skmt_step(m, "tree_ensemble", "X", "variable", &st)) ||
        (rc = skmt_raw(st, "tree_offsets", SKC_DT_I64, 1, three, offsets)) ||
        (rc = skmt_raw(st, "feature", SKC_DT_I32, 1, eight, feature)) ||
        (rc = skmt_raw(st, "threshold", SKC_DT_F64, 1, eight, threshold)) ||
        (rc = skmt_raw(st, "left", SKC_DT_I32, 1, eight, left)) ||
        (rc = skmt_raw(st, "right", SKC_DT_I32, 1, eight, right)) ||
        (rc = skmt_raw(st, "missing_left", SKC_DT_U8, 1, eight, missing_left)) ||
        (rc = skmt_raw(st, "cat_index", SKC_DT_I32, 1, eight, cat_index)) ||
        (rc = skmt_raw(st, "cat_bitset", SKC_DT_U32, 2, c18, bitset)) ||
        (rc = skmt_raw(st, "value", SKC_DT_F64, 2, v51, value)) ||
        (rc = skc_step_set_int(st, "n_targets", 1)) ||
        (rc = skc_step_set_string(st, "aggregate", "average")) ||
        (rc = skc_step_set_int(st, "x_float32", 1)) ||
        (rc = skc_model_add_output(m, "variable", SKC_DT_F64, 2, ys)))
        return rc;
    return SKC_OK;
}

int skmt_model(int index, const char **name, skc_model **out)
{
    static const struct {
        const char *name;
        int (*build)(skc_model *);
    } all[] = {
        { "classifier", skmt_classifier },
        { "binary", skmt_binary },
        { "regressor", skmt_regressor },
        { "forest", skmt_forest },
    };
    skc_model *m = NULL;
    int rc;

    if (index < 0 || index >= (int)(sizeof(all) / sizeof(all[0])))
        return SKC_E_NOT_FOUND;
    if ((rc = skc_model_new(&m)) || (rc = all[index].build(m))) {
        skc_model_free(m);
        return rc;
    }
    if (name)
        *name = all[index].name;
    *out = m;
    return SKC_OK;
}

/* Seven rows with NaN, signed zero, large and tiny values. */
int skmt_rows(const skc_model *m, skc_tensor **inputs)
{
    static const double v[] = { 5.1, 3.5, 1.4, -0.0, 2.0, NAN, 6.7, 3.0, 5.2, 1e300,
                                -1e300, 4.9, 5.9, 3.0, 5.1, 1e-308, 0.0, 7.7, -2.5,
                                0.3, 0.7 };
    int i, nd, dt, rc;
    int64_t shape[2], r, c;
    const int64_t *ms;

    for (i = 0; i < skc_model_input_count(m); i++) {
        ms = skc_model_input_shape(m, i, &nd);
        dt = skc_model_input_dtype(m, i);
        shape[0] = 7;
        shape[1] = nd == 2 && ms[1] > 0 ? ms[1] : 1;
        if ((rc = skc_tensor_new(dt, 2, shape, &inputs[i])))
            return rc;
        for (r = 0; r < 7; r++) {
            for (c = 0; c < shape[1]; c++) {
                double x = v[(r * shape[1] + c) % (sizeof(v) / sizeof(v[0]))];
                if (dt == SKC_DT_F32)
                    ((float *)skc_tensor_data_mut(inputs[i]))[r * shape[1] + c] = (float)x;
                else
                    ((double *)skc_tensor_data_mut(inputs[i]))[r * shape[1] + c] = x;
            }
        }
    }
    return SKC_OK;
}

/* ---- comparing ------------------------------------------------------- */

static int skmt_why(char *why, size_t n, const char *fmt, ...) SKC_PRINTF(3, 4);

static int skmt_why(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int skmt_tensor_diff(const skc_tensor *a, const skc_tensor *b, const char *what,
                            char *why, size_t n)
{
    int64_t i;

    if (!a || !b)
        return a == b ? 0 : skmt_why(why, n, "%s: one side has no tensor", what);
    if (skc_tensor_dtype(a) != skc_tensor_dtype(b) || skc_tensor_ndim(a) != skc_tensor_ndim(b) ||
        memcmp(skc_tensor_shape(a), skc_tensor_shape(b),
               (size_t)skc_tensor_ndim(a) * sizeof(int64_t)) != 0)
        return skmt_why(why, n, "%s: dtype or shape differ", what);
    if (skc_tensor_dtype(a) != SKC_DT_STRING)
        return memcmp(skc_tensor_data(a), skc_tensor_data(b), skc_tensor_nbytes(a)) == 0
             ? 0 : skmt_why(why, n, "%s: data differ", what);
    for (i = 0; i < skc_tensor_numel(a); i++)
        if (strcmp(skc_tensor_string(a, i, NULL), skc_tensor_string(b, i, NULL)) != 0)
            return skmt_why(why, n, "%s: string %lld differs", what, (long long)i);
    return 0;
}

static int skmt_ports_diff(const skc_model *a, const skc_model *b, int inputs,
                           char *why, size_t n)
{
    int cnt = inputs ? skc_model_input_count(a) : skc_model_output_count(a), i, na, nb;
    const int64_t *sa, *sb;

    if (cnt != (inputs ? skc_model_input_count(b) : skc_model_output_count(b)))
        return skmt_why(why, n, "%s counts differ", inputs ? "input" : "output");
    for (i = 0; i < cnt; i++) {
        sa = inputs ? skc_model_input_shape(a, i, &na) : skc_model_output_shape(a, i, &na);
        sb = inputs ? skc_model_input_shape(b, i, &nb) : skc_model_output_shape(b, i, &nb);
        if (strcmp(inputs ? skc_model_input_name(a, i) : skc_model_output_name(a, i),
                   inputs ? skc_model_input_name(b, i) : skc_model_output_name(b, i)) ||
            (inputs ? skc_model_input_dtype(a, i) != skc_model_input_dtype(b, i)
                    : skc_model_output_dtype(a, i) != skc_model_output_dtype(b, i)) ||
            na != nb || memcmp(sa, sb, (size_t)na * sizeof(int64_t)))
            return skmt_why(why, n, "%s %d differs", inputs ? "input" : "output", i);
        if (inputs && skmt_tensor_diff(skc_model_input_columns(a, i),
                                       skc_model_input_columns(b, i), "columns", why, n))
            return -1;
    }
    return 0;
}

static int skmt_attr_diff(const skc_step *a, const skc_step *b, int i, char *why, size_t n)
{
    const char *ka, *kb, *sa, *sb;
    const skc_tensor *ta, *tb;
    int kind_a, kind_b;
    int64_t ia, ib;
    double fa, fb;

    skc_step_attr_at(a, i, &ka, &kind_a);
    skc_step_attr_at(b, i, &kb, &kind_b);
    if (strcmp(ka, kb) || kind_a != kind_b)
        return skmt_why(why, n, "step '%s' attribute %d: key or kind differ", skc_step_op(a), i);
    switch (kind_a) {
    case SKC_ATTR_INT:
        skc_step_get_int(a, ka, &ia);
        skc_step_get_int(b, kb, &ib);
        return ia == ib ? 0 : skmt_why(why, n, "attribute '%s' differs", ka);
    case SKC_ATTR_FLOAT:
        skc_step_get_float(a, ka, &fa);
        skc_step_get_float(b, kb, &fb);
        return memcmp(&fa, &fb, sizeof(fa)) == 0 ? 0
             : skmt_why(why, n, "attribute '%s' differs", ka);
    case SKC_ATTR_STRING:
        skc_step_get_string(a, ka, &sa);
        skc_step_get_string(b, kb, &sb);
        return strcmp(sa, sb) == 0 ? 0 : skmt_why(why, n, "attribute '%s' differs", ka);
    default:
        skc_step_get_tensor(a, ka, &ta);
        skc_step_get_tensor(b, kb, &tb);
        return skmt_tensor_diff(ta, tb, ka, why, n);
    }
}

int skmt_diff(const skc_model *a, const skc_model *b, char *why, size_t n)
{
    const skc_step *sa, *sb;
    const char *ka, *va, *kb, *vb;
    int i, j, ia, ib;

    if (skmt_ports_diff(a, b, 1, why, n) || skmt_ports_diff(a, b, 0, why, n))
        return -1;
    if (skc_model_step_count(a) != skc_model_step_count(b))
        return skmt_why(why, n, "step counts differ");
    for (i = 0; i < skc_model_step_count(a); i++) {
        sa = skc_model_step(a, i);
        sb = skc_model_step(b, i);
        if (strcmp(skc_step_op(sa), skc_step_op(sb)) ||
            skc_step_input_count(sa) != skc_step_input_count(sb) ||
            skc_step_output_count(sa) != skc_step_output_count(sb) ||
            skc_step_attr_count(sa) != skc_step_attr_count(sb))
            return skmt_why(why, n, "step %d: op or counts differ", i);
        for (j = 0; j < skc_step_input_count(sa); j++)
            if (strcmp(skc_step_input(sa, j), skc_step_input(sb, j)))
                return skmt_why(why, n, "step %d input %d differs", i, j);
        for (j = 0; j < skc_step_output_count(sa); j++)
            if (strcmp(skc_step_output(sa, j), skc_step_output(sb, j)))
                return skmt_why(why, n, "step %d output %d differs", i, j);
        for (j = 0; j < skc_step_attr_count(sa); j++)
            if (skmt_attr_diff(sa, sb, j, why, n))
                return -1;
    }
    /* Pairs in order; skconv.version/converted_at describe the write. */
    for (ia = 0, ib = 0; ia < skc_model_meta_count(a); ia++, ib++) {
        skc_model_meta_at(a, ia, &ka, &va);
        if (skc_model_meta_at(b, ib, &kb, &vb))
            return skmt_why(why, n, "meta '%s' missing", ka);
        if (strcmp(ka, kb))
            return skmt_why(why, n, "meta %d: key '%s' vs '%s'", ia, ka, kb);
        if (strncmp(ka, "skconv.", 7) && strcmp(va, vb))
            return skmt_why(why, n, "meta '%s' differs", ka);
    }
    for (; ib < skc_model_meta_count(b); ib++) {
        skc_model_meta_at(b, ib, &kb, &vb);
        if (strncmp(kb, "skconv.", 7))
            return skmt_why(why, n, "meta '%s' added", kb);
    }
    if (!skc_model_get_meta(b, "skconv.version") || !skc_model_get_meta(b, "skconv.converted_at"))
        return skmt_why(why, n, "skconv.version or skconv.converted_at missing");
    return 0;
}

int skmt_eval_diff(const skc_model *a, const skc_model *b, char *why, size_t n)
{
    skc_tensor *in[8] = { 0 }, *oa[8] = { 0 }, *ob[8] = { 0 };
    char err[512];
    int i, rc = -1;

    if (skc_model_input_count(a) > 8 || skc_model_output_count(a) > 8)
        return skmt_why(why, n, "too many ports for the test");
    if (skmt_rows(a, in)) {
        skmt_why(why, n, "cannot make rows");
        goto done;
    }
    if (skc_model_eval(a, (const skc_tensor *const *)in, oa, err, sizeof(err)) ||
        skc_model_eval(b, (const skc_tensor *const *)in, ob, err, sizeof(err))) {
        skmt_why(why, n, "eval failed: %s", err);
        goto done;
    }
    rc = 0;
    for (i = 0; i < skc_model_output_count(a) && !rc; i++)
        rc = skmt_tensor_diff(oa[i], ob[i], skc_model_output_name(a, i), why, n);
done:
    for (i = 0; i < 8; i++) {
        skc_tensor_free(in[i]);
        skc_tensor_free(oa[i]);
        skc_tensor_free(ob[i]);
    }
    return rc;
}

/* ---- JSON dump --------------------------------------------------------- */

static void skmt_json_str(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', f);
    for (; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void skmt_json_shape(FILE *f, int nd, const int64_t *shape)
{
    int d;

    fputc('[', f);
    for (d = 0; d < nd; d++)
        fprintf(f, "%s%lld", d ? "," : "", (long long)shape[d]);
    fputc(']', f);
}

/* Numeric data as little-endian hex (the test host is little-endian). */
static void skmt_json_tensor(FILE *f, const skc_tensor *t)
{
    const uint8_t *d = skc_tensor_data(t);
    int64_t i;
    size_t k;

    fprintf(f, "{\"dtype\":\"%s\",\"shape\":", skc_dtype_name(skc_tensor_dtype(t)));
    skmt_json_shape(f, skc_tensor_ndim(t), skc_tensor_shape(t));
    if (skc_tensor_dtype(t) == SKC_DT_STRING) {
        fputs(",\"strings\":[", f);
        for (i = 0; i < skc_tensor_numel(t); i++) {
            if (i)
                fputc(',', f);
            skmt_json_str(f, skc_tensor_string(t, i, NULL));
        }
        fputs("]}", f);
        return;
    }
    fputs(",\"hex\":\"", f);
    for (k = 0; k < skc_tensor_nbytes(t); k++)
        fprintf(f, "%02x", d[k]);
    fputs("\"}", f);
}

static void skmt_json_ports(FILE *f, const skc_model *m, int inputs)
{
    int n = inputs ? skc_model_input_count(m) : skc_model_output_count(m), i, nd;
    const int64_t *shape;

    fputc('[', f);
    for (i = 0; i < n; i++) {
        shape = inputs ? skc_model_input_shape(m, i, &nd) : skc_model_output_shape(m, i, &nd);
        fprintf(f, "%s{\"name\":", i ? "," : "");
        skmt_json_str(f, inputs ? skc_model_input_name(m, i) : skc_model_output_name(m, i));
        fprintf(f, ",\"dtype\":\"%s\",\"shape\":", skc_dtype_name(
            inputs ? skc_model_input_dtype(m, i) : skc_model_output_dtype(m, i)));
        skmt_json_shape(f, nd, shape);
        fputs(",\"columns\":", f);
        if (inputs && skc_model_input_columns(m, i))
            skmt_json_tensor(f, skc_model_input_columns(m, i));
        else
            fputs("null", f);
        fputc('}', f);
    }
    fputc(']', f);
}

static void skmt_json_step(FILE *f, const skc_step *st)
{
    const char *key, *sv;
    const skc_tensor *t;
    int i, kind;
    int64_t iv;
    double fv;
    uint64_t bits;

    fputs("{\"op\":", f);
    skmt_json_str(f, skc_step_op(st));
    fputs(",\"inputs\":[", f);
    for (i = 0; i < skc_step_input_count(st); i++) {
        if (i)
            fputc(',', f);
        skmt_json_str(f, skc_step_input(st, i));
    }
    fputs("],\"outputs\":[", f);
    for (i = 0; i < skc_step_output_count(st); i++) {
        if (i)
            fputc(',', f);
        skmt_json_str(f, skc_step_output(st, i));
    }
    fputs("],\"attrs\":[", f);
    for (i = 0; i < skc_step_attr_count(st); i++) {
        skc_step_attr_at(st, i, &key, &kind);
        fprintf(f, "%s{\"key\":", i ? "," : "");
        skmt_json_str(f, key);
        switch (kind) {
        case SKC_ATTR_INT:
            skc_step_get_int(st, key, &iv);
            fprintf(f, ",\"kind\":\"int\",\"value\":%lld}", (long long)iv);
            break;
        case SKC_ATTR_FLOAT:
            skc_step_get_float(st, key, &fv);
            memcpy(&bits, &fv, sizeof(bits));
            fprintf(f, ",\"kind\":\"float\",\"value\":\"%016llx\"}", (unsigned long long)bits);
            break;
        case SKC_ATTR_STRING:
            skc_step_get_string(st, key, &sv);
            fputs(",\"kind\":\"string\",\"value\":", f);
            skmt_json_str(f, sv);
            fputc('}', f);
            break;
        default:
            skc_step_get_tensor(st, key, &t);
            fputs(",\"kind\":\"tensor\",\"value\":", f);
            skmt_json_tensor(f, t);
            fputc('}', f);
            break;
        }
    }
    fputs("]}", f);
}

int skmt_dump_json(const skc_model *m, FILE *f)
{
    const char *k, *v;
    int i;

    fputs("{\"inputs\":", f);
    skmt_json_ports(f, m, 1);
    fputs(",\"outputs\":", f);
    skmt_json_ports(f, m, 0);
    fputs(",\"steps\":[", f);
    for (i = 0; i < skc_model_step_count(m); i++) {
        if (i)
            fputc(',', f);
        skmt_json_step(f, skc_model_step(m, i));
    }
    fputs("],\"meta\":[", f);
    for (i = 0; i < skc_model_meta_count(m); i++) {
        skc_model_meta_at(m, i, &k, &v);
        fputs(i ? ",[" : "[", f);
        skmt_json_str(f, k);
        fputc(',', f);
        skmt_json_str(f, v);
        fputc(']', f);
    }
    fputs("]}\n", f);
    return ferror(f) ? SKC_E_IO : SKC_OK;
}

/* ---- sessions -------------------------------------------------------- */

int skmt_open(skc_context **ctx, const skc_format **fmt)
{
    int rc = skc_context_new(SKC_CONTEXT_NO_AUTOLOAD, ctx);

    if (rc)
        return rc;
    if ((rc = skc_context_load_plugin(*ctx, SKM_PLUGIN))) {
        fprintf(stderr, "%s\n", skc_context_error(*ctx));
        skc_context_free(*ctx);
        return rc;
    }
    *fmt = skc_context_find_format(*ctx, "skm");
    return *fmt ? SKC_OK : SKC_E_NOT_FOUND;
}

skc_context *skmt_ctx;
const skc_format *skmt_fmt;

int skmt_setup(void **state)
{
    (void)state;
    return skmt_open(&skmt_ctx, &skmt_fmt);
}

int skmt_teardown(void **state)
{
    (void)state;
    skc_context_free(skmt_ctx);
    skmt_ctx = NULL;
    return 0;
}

int skmt_write(skc_context *ctx, const skc_format *fmt, const skc_model *m,
               uint8_t **buf, size_t *size)
{
    skc_session *s = NULL;
    skc_stream *out = NULL;
    const uint8_t *d;
    int rc;

    if ((rc = skc_session_new(ctx, fmt, "test.skm", &s)) ||
        (rc = skc_stream_open_buffer(&out)))
        goto done;
    if ((rc = skc_session_write(s, m, out))) {
        fprintf(stderr, "write: %s\n", skc_session_error(s));
        goto done;
    }
    if ((rc = skc_stream_map(out, &d, size)))
        goto done;
    *buf = malloc(*size ? *size : 1);
    if (!*buf) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    memcpy(*buf, d, *size);
done:
    skc_stream_free(out);
    skc_session_free(s);
    return rc;
}

int skmt_read(skc_context *ctx, const skc_format *fmt, const uint8_t *buf, size_t size,
              skc_model **out, char *err, size_t errlen)
{
    skc_session *s = NULL;
    skc_stream *in = NULL;
    uint8_t *copy = malloc(size ? size : 1);
    int rc;

    if (!copy)
        return SKC_E_NOMEM;
    if (size)
        memcpy(copy, buf, size);
    if ((rc = skc_stream_open_memory_take(copy, size, &in))) {
        free(copy);
        return rc;
    }
    if ((rc = skc_session_new(ctx, fmt, "test.skm", &s)) == SKC_OK) {
        rc = skc_session_read(s, in, out);
        if (err)
            snprintf(err, errlen, "%s", skc_session_error(s));
    }
    skc_session_free(s);
    skc_stream_free(in);
    return rc;
}

/* ---- surgery ----------------------------------------------------------- */

int skmt_find(const uint8_t *buf, size_t size, const char *kind, uint64_t *off, uint64_t *len)
{
    uint32_t n = skmt_le32(buf + 20), i;
    uint64_t t = skmt_le64(buf + 24);
    uint32_t es = skmt_le32(buf + 40);

    for (i = 0; i < n && t + (uint64_t)(i + 1) * es <= size; i++) {
        const uint8_t *e = buf + t + (uint64_t)i * es;
        if (memcmp(e, kind, 4) == 0) {
            *off = skmt_le64(e + 8);
            *len = skmt_le64(e + 16);
            return (int)i;
        }
    }
    return -1;
}

void skmt_reseal(uint8_t *buf, size_t size)
{
    uint32_t n = skmt_le32(buf + 20), i, hs = skmt_le32(buf + 16);
    uint64_t t = skmt_le64(buf + 24), off, len;
    uint32_t es = skmt_le32(buf + 40);

    for (i = 0; i < n && t + (uint64_t)(i + 1) * es <= size; i++) {
        uint8_t *e = buf + t + (uint64_t)i * es;
        off = skmt_le64(e + 8);
        len = skmt_le64(e + 16);
        if (off <= size && len <= size - off)
            skmt_put32(e + 24, (uint32_t)crc32(0, buf + off, (uInt)len));
    }
    if (t + (uint64_t)n * es <= size)
        skmt_put32(buf + 44, (uint32_t)crc32(0, buf + t, (uInt)((uint64_t)n * es)));
    skmt_put32(buf + 60, 0);
    if (hs <= size)
        skmt_put32(buf + 60, (uint32_t)crc32(0, buf, hs));
}
