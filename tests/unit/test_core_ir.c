/* SPDX-License-Identifier: MIT */
/*
 * test_core_ir.c: the IR through its public API (skconv/ir.h): tensors and
 * their references, step attributes, metadata, validation errors, and the
 * reference evaluator on a small classifier (core/OPS.md semantics).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <skconv/ir.h>
#include <skconv/verify.h>

static void test_dtypes(void **state)
{
    (void)state;
    assert_int_equal(skc_dtype_size(SKC_DT_F32), 4);
    assert_int_equal(skc_dtype_size(SKC_DT_F64), 8);
    assert_int_equal(skc_dtype_size(SKC_DT_I64), 8);
    assert_int_equal(skc_dtype_size(SKC_DT_I32), 4);
    assert_int_equal(skc_dtype_size(SKC_DT_U8), 1);
    assert_int_equal(skc_dtype_size(SKC_DT_BOOL), 1);
    assert_int_equal(skc_dtype_size(SKC_DT_STRING), 0);
    assert_int_equal(skc_dtype_size(SKC_DT_NONE), 0);
    assert_string_equal(skc_dtype_name(SKC_DT_F32), "float32");
    assert_string_equal(skc_dtype_name(SKC_DT_F64), "float64");
    assert_string_equal(skc_dtype_name(SKC_DT_I64), "int64");
    assert_string_equal(skc_dtype_name(SKC_DT_STRING), "string");
    assert_non_null(skc_dtype_name(12345));
}

static void test_tensor_new(void **state)
{
    static const int64_t shape[2] = { 3, 4 };
    skc_tensor *t = NULL;
    double *d;

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, shape, &t), SKC_OK);
    assert_int_equal(skc_tensor_dtype(t), SKC_DT_F64);
    assert_int_equal(skc_tensor_ndim(t), 2);
    assert_int_equal(skc_tensor_shape(t)[0], 3);
    assert_int_equal(skc_tensor_shape(t)[1], 4);
    assert_int_equal(skc_tensor_numel(t), 12);
    assert_int_equal(skc_tensor_nbytes(t), 96);
    d = skc_tensor_data_mut(t);
    assert_non_null(d);
    assert_true(d[0] == 0.0 && d[11] == 0.0);   /* zero-filled */
    d[5] = 2.5;
    assert_true(skc_tensor_get_f64(t, 5) == 2.5);
    assert_true(isnan(skc_tensor_get_f64(t, 12)));
    assert_true(isnan(skc_tensor_get_f64(t, -1)));
    skc_tensor_free(t);
    skc_tensor_free(NULL);
}

static void test_tensor_bad_shapes(void **state)
{
    int64_t neg[2] = { 2, -1 };
    int64_t huge[3] = { INT64_MAX / 2, 4, 4 };
    int64_t many[SKC_MAX_DIMS + 1] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    skc_tensor *t = NULL;

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_F32, 2, neg, &t), SKC_E_INVAL);
    assert_int_equal(skc_tensor_new(SKC_DT_F32, SKC_MAX_DIMS + 1, many, &t), SKC_E_INVAL);
    assert_int_equal(skc_tensor_new(SKC_DT_NONE, 1, many, &t), SKC_E_INVAL);
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 3, huge, &t), SKC_E_LIMIT);
    assert_null(t);  /* out-parameters are written only on success */
}

static void test_tensor_from(void **state)
{
    static const double dv[3] = { 1.5, -2.0, 3.25 };
    static const int64_t iv[2] = { 7, -9 };
    skc_tensor *a = NULL, *b = NULL;

    (void)state;
    assert_int_equal(skc_tensor_from_f64(dv, 3, &a), SKC_OK);
    assert_int_equal(skc_tensor_ndim(a), 1);
    assert_memory_equal(skc_tensor_data(a), dv, sizeof(dv));
    assert_int_equal(skc_tensor_from_i64(iv, 2, &b), SKC_OK);
    assert_int_equal(skc_tensor_dtype(b), SKC_DT_I64);
    assert_true(skc_tensor_get_f64(b, 1) == -9.0);
    skc_tensor_free(a);
    skc_tensor_free(b);
}

static void test_tensor_strings(void **state)
{
    int64_t n = 3;
    skc_tensor *t = NULL;
    size_t len = 99;

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_STRING, 1, &n, &t), SKC_OK);
    assert_null(skc_tensor_data(t));
    assert_string_equal(skc_tensor_string(t, 0, &len), "");
    assert_int_equal(len, 0);
    assert_int_equal(skc_tensor_set_string(t, 1, "caf\xc3\xa9", 5), SKC_OK);
    assert_string_equal(skc_tensor_string(t, 1, &len), "caf\xc3\xa9");
    assert_int_equal(len, 5);
    /* Only len bytes are copied, and the copy is NUL-terminated. */
    assert_int_equal(skc_tensor_set_string(t, 2, "dogs", 3), SKC_OK);
    assert_string_equal(skc_tensor_string(t, 2, NULL), "dog");
    assert_int_equal(skc_tensor_set_string(t, 1, "x", 1), SKC_OK);
    assert_string_equal(skc_tensor_string(t, 1, NULL), "x");
    assert_null(skc_tensor_string(t, 3, NULL));
    assert_null(skc_tensor_string(t, -1, NULL));
    assert_int_not_equal(skc_tensor_set_string(t, 3, "y", 1), SKC_OK);
    skc_tensor_free(t);
}

static int ti_released;

static void ti_release(void *user)
{
    ti_released++;
    assert_ptr_equal(user, &ti_released);
}

/* References: the release callback runs once, with the last reference. */
static void test_tensor_refcount(void **state)
{
    static const double data[4] = { 1, 2, 3, 4 };
    int64_t shape[2] = { 2, 2 };
    skc_tensor *t = NULL;

    (void)state;
    ti_released = 0;
    assert_int_equal(skc_tensor_wrap(SKC_DT_F64, 2, shape, data, ti_release,
                                     &ti_released, &t), SKC_OK);
    assert_ptr_equal(skc_tensor_data(t), data);   /* zero copy */
    assert_ptr_equal(skc_tensor_ref(t), t);
    skc_tensor_free(t);
    assert_int_equal(ti_released, 0);
    skc_tensor_free(t);
    assert_int_equal(ti_released, 1);
}

/* Writing into a wrapped tensor copies first; the borrowed bytes stay. */
static void test_tensor_wrap_copy_on_write(void **state)
{
    double data[2] = { 1, 2 };
    int64_t n = 2;
    skc_tensor *t = NULL;
    double *w;

    (void)state;
    assert_int_equal(skc_tensor_wrap(SKC_DT_F64, 1, &n, data, NULL, NULL, &t), SKC_OK);
    w = skc_tensor_data_mut(t);
    assert_non_null(w);
    assert_ptr_not_equal(w, data);
    w[0] = 42;
    assert_true(data[0] == 1.0);
    assert_true(skc_tensor_get_f64(t, 0) == 42.0);
    skc_tensor_free(t);
}

static void test_step_attributes(void **state)
{
    skc_model *m = NULL;
    skc_step *s = NULL;
    skc_tensor *t = NULL;
    const skc_tensor *got = NULL;
    const char *str = NULL, *key = NULL;
    int64_t i = 0;
    double f = 0;
    int kind = 0;
    static const double v[2] = { 0.5, 1.5 };

    (void)state;
    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_step(m, "clip", &s), SKC_OK);
    assert_int_equal(skc_step_set_int(s, "n", -3), SKC_OK);
    assert_int_equal(skc_step_set_float(s, "min", -1.25), SKC_OK);
    assert_int_equal(skc_step_set_string(s, "mode", "softmax"), SKC_OK);
    assert_int_equal(skc_tensor_from_f64(v, 2, &t), SKC_OK);
    assert_int_equal(skc_step_set_tensor(s, "scale", t), SKC_OK);
    skc_tensor_free(t);   /* the step holds its own reference */

    assert_int_equal(skc_step_get_int(s, "n", &i), SKC_OK);
    assert_int_equal(i, -3);
    assert_int_equal(skc_step_get_float(s, "min", &f), SKC_OK);
    assert_true(f == -1.25);
    assert_int_equal(skc_step_get_string(s, "mode", &str), SKC_OK);
    assert_string_equal(str, "softmax");
    assert_int_equal(skc_step_get_tensor(s, "scale", &got), SKC_OK);
    assert_true(skc_tensor_get_f64(got, 1) == 1.5);

    /* Missing and wrong-kind lookups; the out-parameter is left alone. */
    i = 77;
    assert_int_equal(skc_step_get_int(s, "absent", &i), SKC_E_NOT_FOUND);
    assert_int_equal(skc_step_get_int(s, "mode", &i), SKC_E_INVAL);
    assert_int_equal(i, 77);
    assert_int_equal(skc_step_get_string(s, "n", &str), SKC_E_INVAL);
    assert_int_equal(skc_step_get_tensor(s, "min", &got), SKC_E_INVAL);

    /* Insertion order, kinds; setting a key again replaces it in place. */
    assert_int_equal(skc_step_attr_count(s), 4);
    assert_int_equal(skc_step_attr_at(s, 0, &key, &kind), SKC_OK);
    assert_string_equal(key, "n");
    assert_int_equal(kind, SKC_ATTR_INT);
    assert_int_equal(skc_step_attr_at(s, 3, &key, &kind), SKC_OK);
    assert_string_equal(key, "scale");
    assert_int_equal(kind, SKC_ATTR_TENSOR);
    assert_int_not_equal(skc_step_attr_at(s, 4, &key, &kind), SKC_OK);
    assert_int_equal(skc_step_set_string(s, "n", "now a string"), SKC_OK);
    assert_int_equal(skc_step_attr_count(s), 4);
    assert_int_equal(skc_step_get_string(s, "n", &str), SKC_OK);
    assert_string_equal(str, "now a string");

    assert_string_equal(skc_step_op(skc_model_step(m, 0)), "clip");
    assert_null(skc_model_step(m, 1));
    skc_model_free(m);
    skc_model_free(NULL);
}

/* A tensor attached to two steps lives until the model goes. */
static void test_shared_tensor(void **state)
{
    static const double data[2] = { 1, 2 };
    int64_t n = 2;
    skc_model *m = NULL;
    skc_step *a, *b;
    skc_tensor *t = NULL;

    (void)state;
    ti_released = 0;
    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_tensor_wrap(SKC_DT_F64, 1, &n, data, ti_release,
                                     &ti_released, &t), SKC_OK);
    assert_int_equal(skc_model_add_step(m, "scaler", &a), SKC_OK);
    assert_int_equal(skc_model_add_step(m, "scaler", &b), SKC_OK);
    assert_int_equal(skc_step_set_tensor(a, "scale", t), SKC_OK);
    assert_int_equal(skc_step_set_tensor(b, "scale", t), SKC_OK);
    skc_tensor_free(t);
    assert_int_equal(ti_released, 0);
    /* Replacing one attribute drops that step's reference only. */
    assert_int_equal(skc_step_set_float(a, "scale", 1.0), SKC_OK);
    assert_int_equal(ti_released, 0);
    skc_model_free(m);
    assert_int_equal(ti_released, 1);
}

static void test_meta(void **state)
{
    skc_model *m = NULL;
    const char *k, *v;

    (void)state;
    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_meta_count(m), 0);
    assert_null(skc_model_get_meta(m, "source.sha256"));
    assert_int_equal(skc_model_set_meta(m, "source.sha256", "abc"), SKC_OK);
    assert_int_equal(skc_model_set_meta(m, "producer.sklearn", "1.2.1"), SKC_OK);
    assert_int_equal(skc_model_set_meta(m, "source.sha256", "def"), SKC_OK);
    assert_int_equal(skc_model_meta_count(m), 2);
    assert_string_equal(skc_model_get_meta(m, "source.sha256"), "def");
    assert_int_equal(skc_model_meta_at(m, 1, &k, &v), SKC_OK);
    assert_string_equal(k, "producer.sklearn");
    assert_string_equal(v, "1.2.1");
    assert_int_not_equal(skc_model_meta_at(m, 2, &k, &v), SKC_OK);
    /* A NULL value removes the key; removing an absent key changes nothing. */
    assert_int_equal(skc_model_set_meta(m, "source.sha256", NULL), SKC_OK);
    assert_int_equal(skc_model_meta_count(m), 1);
    assert_null(skc_model_get_meta(m, "source.sha256"));
    assert_string_equal(skc_model_get_meta(m, "producer.sklearn"), "1.2.1");
    assert_int_equal(skc_model_set_meta(m, "source.sha256", NULL), SKC_OK);
    assert_int_equal(skc_model_meta_count(m), 1);
    skc_model_free(m);
}


/* ---- a 3-class classifier: scaler -> linear -> proba, label ----------- */

static const int64_t ti_in_shape[2] = { -1, 2 };

/* A tensor attribute of @p dtype and @p shape holding the bytes at @p v. */
static void ti_set(skc_step *s, const char *key, int dtype, int ndim, const int64_t *shape,
                   const void *v)
{
    skc_tensor *t = NULL;

    assert_int_equal(skc_tensor_new(dtype, ndim, shape, &t), SKC_OK);
    memcpy(skc_tensor_data_mut(t), v, skc_tensor_nbytes(t));
    assert_int_equal(skc_step_set_tensor(s, key, t), SKC_OK);
    skc_tensor_free(t);
}

static void ti_set_f64(skc_step *s, const char *key, const double *v, int ndim,
                       const int64_t *shape)
{
    ti_set(s, key, SKC_DT_F64, ndim, shape, v);
}

/* The classifier below with input type @p dtype and @p shift added to
 * class 2's intercept. */
static skc_model *ti_classifier_dt(int dtype, double shift)
{
    static const double offset[2] = { 1, 2 }, scale[2] = { 0.5, 2 };
    static const double coef[6] = { 1, 0, 0, 1, -1, -1 };
    const double icpt[3] = { 0, 0, 0.5 + shift };
    static const int64_t classes[3] = { 10, 20, 30 };
    const int64_t two = 2, c_shape[2] = { 3, 2 }, three = 3;
    int64_t l_shape[1] = { -1 }, p_shape[2] = { -1, 3 };
    skc_model *m = NULL;
    skc_step *s;
    skc_tensor *cl = NULL;

    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_input(m, "X", dtype, 2, ti_in_shape), SKC_OK);
    assert_int_equal(skc_model_add_step(m, "scaler", &s), SKC_OK);
    skc_step_add_input(s, "X");
    skc_step_add_output(s, "Xs");
    ti_set_f64(s, "offset", offset, 1, &two);
    ti_set_f64(s, "scale", scale, 1, &two);
    assert_int_equal(skc_model_add_step(m, "linear", &s), SKC_OK);
    skc_step_add_input(s, "Xs");
    skc_step_add_output(s, "S");
    ti_set_f64(s, "coef", coef, 2, c_shape);
    ti_set_f64(s, "intercept", icpt, 1, &three);
    assert_int_equal(skc_model_add_step(m, "proba", &s), SKC_OK);
    skc_step_add_input(s, "S");
    skc_step_add_output(s, "probabilities");
    assert_int_equal(skc_step_set_string(s, "mode", "softmax"), SKC_OK);
    assert_int_equal(skc_model_add_step(m, "label", &s), SKC_OK);
    skc_step_add_input(s, "S");
    skc_step_add_output(s, "label");
    assert_int_equal(skc_tensor_from_i64(classes, 3, &cl), SKC_OK);
    assert_int_equal(skc_step_set_tensor(s, "classes", cl), SKC_OK);
    skc_tensor_free(cl);
    assert_int_equal(skc_step_set_string(s, "mode", "argmax"), SKC_OK);
    assert_int_equal(skc_model_add_output(m, "label", SKC_DT_I64, 1, l_shape), SKC_OK);
    assert_int_equal(skc_model_add_output(m, "probabilities", SKC_DT_F32, 2, p_shape),
                     SKC_OK);
    return m;
}

static skc_model *ti_classifier(void)
{
    return ti_classifier_dt(SKC_DT_F32, 0.0);
}

/* A model X [shape] of @p dtype -> tree_ensemble (one target) ->
 * variable; its step. */
static skc_step *ti_tree_model(skc_model **m, int dtype, const int64_t *shape)
{
    skc_step *s = NULL;

    assert_int_equal(skc_model_new(m), SKC_OK);
    assert_int_equal(skc_model_add_input(*m, "X", dtype, 2, shape), SKC_OK);
    assert_int_equal(skc_model_add_step(*m, "tree_ensemble", &s), SKC_OK);
    assert_int_equal(skc_step_add_input(s, "X"), SKC_OK);
    assert_int_equal(skc_step_add_output(s, "variable"), SKC_OK);
    assert_int_equal(skc_step_set_int(s, "n_targets", 1), SKC_OK);
    return s;
}

/* A tree_ensemble step's node arrays (@p n nodes) and value [vs]. */
static void ti_tree_nodes(skc_step *s, int64_t n, const int32_t *feat, const int32_t *left,
                          const int32_t *right, const uint8_t *ml, const double *thr,
                          const double *val, const int64_t *vs)
{
    ti_set(s, "feature", SKC_DT_I32, 1, &n, feat);
    ti_set(s, "left", SKC_DT_I32, 1, &n, left);
    ti_set(s, "right", SKC_DT_I32, 1, &n, right);
    ti_set(s, "missing_left", SKC_DT_U8, 1, &n, ml);
    ti_set_f64(s, "threshold", thr, 1, &n);
    ti_set_f64(s, "value", val, 2, vs);
}

/* tree_ensemble sums in double, or with sum_float32 in float32 as ONNX
 * Runtime sums a float graph: three one-leaf trees 1 + 1e-8 + 1e-8. */
static double ti_tree_sum(int f32)
{
    static const double val[3] = { 1.0, 1e-8, 1e-8 }, thr[3] = { 0, 0, 0 }, x0 = 0.5;
    static const int64_t off[4] = { 0, 1, 2, 3 };
    static const int32_t feat[3] = { -1, -1, -1 }, left[3] = { -1, -2, -3 },
                         right[3] = { -1, -1, -1 };
    static const uint8_t ml[3] = { 0, 0, 0 };
    const int64_t three = 3, vs[2] = { 3, 1 }, xs[2] = { 1, 1 }, ys[2] = { -1, 1 };
    skc_model *m = NULL;
    skc_step *s;
    skc_tensor *t = NULL, *x = NULL, *y[1] = { NULL };
    const skc_tensor *in[1];
    char err[256] = "";
    double r;

    s = ti_tree_model(&m, SKC_DT_F64, ys);
    assert_int_equal(skc_step_set_int(s, "sum_float32", f32), SKC_OK);
    assert_int_equal(skc_tensor_from_i64(off, 4, &t), SKC_OK);
    assert_int_equal(skc_step_set_tensor(s, "tree_offsets", t), SKC_OK);
    skc_tensor_free(t);
    ti_tree_nodes(s, three, feat, left, right, ml, thr, val, vs);
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, ys), SKC_OK);
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, xs, &x), SKC_OK);
    memcpy(skc_tensor_data_mut(x), &x0, sizeof(x0));
    in[0] = x;
    assert_int_equal(skc_model_eval(m, in, y, err, sizeof(err)), SKC_OK);
    r = skc_tensor_get_f64(y[0], 0);
    skc_tensor_free(y[0]);
    skc_tensor_free(x);
    skc_model_free(m);
    return r;
}

static void test_tree_sum_float32(void **state)
{
    (void)state;
    assert_true(ti_tree_sum(0) == 1.0 + 1e-8 + 1e-8);
    assert_true(ti_tree_sum(1) == 1.0);
}

/* The structural proof of a large tree_ensemble runs in two halves on two
 * threads: a proper forest passes; a leaf numbered wrongly where the
 * second half starts, a bad child inside the second half, and damage in
 * both halves (the first half's is reported, as a single pass would) are
 * refused. Trees are chains: node 2k splits, 2k + 1 is a leaf. */
static skc_model *ti_big_forest_model(int damage)
{
    enum { TREES = 2001, PER = 101 };
    const int64_t n = (int64_t)TREES * PER, leaves = (int64_t)TREES * 51, nt = TREES + 1;
    const int64_t vs[2] = { leaves, 1 }, xs[2] = { -1, 1 };
    int64_t *off = malloc((size_t)nt * 8), t, j, leaf = 0, mid_leaf = -1;
    int32_t *feat = malloc((size_t)n * 4), *lt = malloc((size_t)n * 4), *rt = malloc((size_t)n * 4);
    double *thr = calloc((size_t)n, 8), *val = calloc((size_t)leaves, 8);
    uint8_t *ml = calloc((size_t)n, 1);
    skc_model *m = NULL;
    skc_step *st;

    assert_true(off && feat && lt && rt && thr && val && ml);
    for (t = 0; t < TREES; t++) {
        off[t] = t * PER;
        for (j = 0; j < PER; j++) {
            int64_t i = t * PER + j;
            if (j % 2 == 1 || j == PER - 1) {
                if (t == TREES / 2 && mid_leaf < 0)
                    mid_leaf = i;
                val[leaf] = (double)(t % 7) + 0.001 * (double)j;
                feat[i] = -1;
                lt[i] = (int32_t)(-1 - leaf++);
                rt[i] = -1;
            } else {
                feat[i] = 0;
                lt[i] = (int32_t)(j + 1);
                rt[i] = (int32_t)(j + 2);
                thr[i] = (double)((t * 7 + j) % 13 - 6) * 0.25;
            }
        }
    }
    off[TREES] = n;
    if (damage & 1)
        lt[mid_leaf] -= 1;                         /* numbering breaks at the half */
    if (damage & 2)
        rt[(TREES - 10) * PER] = 0;                /* a child before its parent */
    if (damage & 4)
        rt[10 * PER + 2] = PER + 5;                /* a child outside its tree */
    if (damage & 8)
        feat[(TREES - 5) * PER] = 3;               /* a column X lacks */
    st = ti_tree_model(&m, SKC_DT_F64, xs);
    ti_set(st, "tree_offsets", SKC_DT_I64, 1, &nt, off);
    ti_tree_nodes(st, n, feat, lt, rt, ml, thr, val, vs);
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, xs), SKC_OK);
    free(off);
    free(feat);
    free(lt);
    free(rt);
    free(thr);
    free(val);
    free(ml);
    return m;
}

static int ti_big_forest(int damage, char *err, size_t errlen)
{
    skc_model *m = ti_big_forest_model(damage);
    int rc = skc_model_validate(m, err, errlen);

    skc_model_free(m);
    return rc;
}

/* A large batch of a large ensemble is evaluated in two halves of rows on
 * two threads: the same values as each row alone; a column X lacks, met
 * in the second half's trees, is reported with its tree. */
static void test_tree_eval_halves(void **state)
{
    enum { ROWS = 300 };
    skc_model *m = ti_big_forest_model(0), *bad = ti_big_forest_model(8);
    const int64_t xs[2] = { ROWS, 1 }, one[2] = { 1, 1 };
    skc_tensor *x = NULL, *x1 = NULL, *y[1] = { NULL }, *y1[1] = { NULL };
    const skc_tensor *in[1];
    char err[256] = "";
    double *xd;
    int64_t r;

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, xs, &x), SKC_OK);
    xd = skc_tensor_data_mut(x);
    for (r = 0; r < ROWS; r++)
        xd[r] = -1.6 + 0.011 * (double)r;
    in[0] = x;
    assert_int_equal(skc_model_eval(m, in, y, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, one, &x1), SKC_OK);
    for (r = 0; r < ROWS; r += 7) {
        *(double *)skc_tensor_data_mut(x1) = xd[r];
        in[0] = x1;
        assert_int_equal(skc_model_eval(m, in, y1, err, sizeof(err)), SKC_OK);
        assert_true(skc_tensor_get_f64(y1[0], 0) == skc_tensor_get_f64(y[0], r));
        skc_tensor_free(y1[0]);
        y1[0] = NULL;
    }
    skc_tensor_free(y[0]);
    y[0] = NULL;
    in[0] = x;
    assert_int_equal(skc_model_eval(bad, in, y, err, sizeof(err)), SKC_E_INVAL);
    assert_null(y[0]);
    assert_non_null(strstr(err, "tree 1996"));
    skc_tensor_free(x);
    skc_tensor_free(x1);
    skc_model_free(m);
    skc_model_free(bad);
}

static void test_tree_proof_halves(void **state)
{
    char err[256];

    (void)state;
    assert_int_equal(ti_big_forest(0, err, sizeof(err)), SKC_OK);
    assert_int_equal(ti_big_forest(1, err, sizeof(err)), SKC_E_FORMAT);
    assert_non_null(strstr(err, "a leaf needs left"));
    assert_int_equal(ti_big_forest(2, err, sizeof(err)), SKC_E_FORMAT);
    assert_non_null(strstr(err, "children must follow"));
    assert_non_null(strstr(err, "(201091,"));        /* node (TREES - 10) * PER */
    assert_int_equal(ti_big_forest(2 | 4, err, sizeof(err)), SKC_E_FORMAT);
    assert_non_null(strstr(err, "(1012,"));          /* the first half's: node 10 * PER + 2 */
}

/* One split on column 0 at 0.1 (not a float32): leaves 1 and 2; input
 * type @p dtype; @p xf32: the tree rounds x to float32 itself. */
static skc_model *ti_stump(int dtype, int xf32)
{
    static const int64_t off[2] = { 0, 3 }, vs[2] = { 2, 1 }, xs[2] = { -1, 1 };
    static const int32_t feat[3] = { 0, -1, -1 }, left[3] = { 1, -1, -2 },
                         right[3] = { 2, -1, -1 };
    static const uint8_t ml[3] = { 0, 0, 0 };
    static const double thr[3] = { 0.1, 0, 0 }, val[2] = { 1, 2 };
    const int64_t two = 2;
    skc_model *m = NULL;
    skc_step *s = ti_tree_model(&m, dtype, xs);

    assert_int_equal(skc_step_set_int(s, "x_float32", xf32), SKC_OK);
    ti_set(s, "tree_offsets", SKC_DT_I64, 1, &two, off);
    ti_tree_nodes(s, 3, feat, left, right, ml, thr, val, vs);
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, xs), SKC_OK);
    return m;
}

/* Verification in two halves (skc_verify_start / skc_verify_finish) gives
 * skc_verify_models()'s verdicts: the same model passes, a changed one
 * fails; with zero tolerance, a float64 reference against its float32
 * twin passes because both see the rows rounded (the reference evaluated
 * again, or, for a tree that rounds x itself, reused); a job can be
 * dropped unfinished. */
static void test_verify_halves(void **state)
{
    skc_model *r64 = ti_classifier_dt(SKC_DT_F64, 0.0), *c32 = ti_classifier_dt(SKC_DT_F32, 0.0);
    skc_model *bad = ti_classifier_dt(SKC_DT_F64, 0.25);
    skc_model *t64 = ti_stump(SKC_DT_F64, 1), *t32 = ti_stump(SKC_DT_F32, 1);
    skc_model *u64 = ti_stump(SKC_DT_F64, 0), *u32 = ti_stump(SKC_DT_F32, 0);
    /* Rows float32 cannot hold (0.1, 0.3, ...): rounding them matters. */
    static const double x2[8] = { 0.1, 0.3, 1.7, -0.2, 2.9, 0.7, 0.33, 0.1 };
    static const double x1[4] = { 0.1, 0.3, 0.7, -0.1 };
    const int64_t s2[2] = { 4, 2 }, s1[2] = { 4, 1 };
    skc_tensor *xt2 = NULL, *xt1 = NULL;
    skc_verify_opts o;
    skc_verify_report *rep = NULL;
    skc_verify_job *j = NULL;
    char err[256];

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, s2, &xt2), SKC_OK);
    memcpy(skc_tensor_data_mut(xt2), x2, sizeof(x2));
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, s1, &xt1), SKC_OK);
    memcpy(skc_tensor_data_mut(xt1), x1, sizeof(x1));
    skc_verify_opts_default(&o, 1);
    o.rtol = o.atol = 0.0;
    assert_int_equal(skc_verify_models(r64, c32, NULL, &o, &rep, err, sizeof(err)), SKC_OK);
    assert_true(skc_verify_passed(rep));
    assert_int_equal(skc_verify_rows(rep), 256);
    skc_verify_report_free(rep);
    assert_int_equal(skc_verify_models(r64, c32, xt2, &o, &rep, err, sizeof(err)), SKC_OK);
    assert_true(skc_verify_passed(rep));
    assert_int_equal(skc_verify_rows(rep), 4);
    skc_verify_report_free(rep);
    assert_int_equal(skc_verify_start(r64, NULL, &o, &j, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_verify_finish(j, bad, &o, &rep, err, sizeof(err)), SKC_OK);
    assert_false(skc_verify_passed(rep));
    assert_non_null(strstr(skc_verify_summary(rep), "FAILED"));
    skc_verify_report_free(rep);
    assert_int_equal(skc_verify_models(t64, t32, xt1, &o, &rep, err, sizeof(err)), SKC_OK);
    assert_true(skc_verify_passed(rep));
    skc_verify_report_free(rep);
    /* Without the rounding x_float32 does, 0.1 and 0.1f fall on different
     * sides of 0.1: the float64 stump agrees with its float32 twin only
     * when it is evaluated again on the rounded rows. */
    assert_int_equal(skc_verify_models(u64, u32, xt1, &o, &rep, err, sizeof(err)), SKC_OK);
    assert_true(skc_verify_passed(rep));
    skc_verify_report_free(rep);
    assert_int_equal(skc_verify_models(u64, u64, xt1, &o, &rep, err, sizeof(err)), SKC_OK);
    assert_true(skc_verify_passed(rep));
    skc_verify_report_free(rep);
    assert_int_equal(skc_verify_start(u64, NULL, &o, &j, err, sizeof(err)), SKC_OK);
    skc_verify_job_free(j);
    skc_verify_job_free(NULL);
    assert_int_equal(skc_verify_finish(NULL, c32, &o, &rep, err, sizeof(err)), SKC_E_INVAL);
    skc_model_free(r64);
    skc_model_free(c32);
    skc_model_free(bad);
    skc_model_free(t64);
    skc_model_free(t32);
    skc_model_free(u64);
    skc_model_free(u32);
    skc_tensor_free(xt1);
    skc_tensor_free(xt2);
}

/* Verify @p cand against @p ref (taken: freed once released, before the
 * candidate is evaluated) on @p X (NULL: probe rows): 1 passed, 0 failed. */
static int tv_released(skc_model *ref, const skc_tensor *X, const skc_model *cand,
                       const skc_verify_opts *o)
{
    skc_verify_report *rep = NULL;
    skc_verify_job *j = NULL;
    char err[256] = "";
    int passed;

    assert_int_equal(skc_verify_start(ref, X, o, &j, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_verify_release(j, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_verify_release(j, err, sizeof(err)), SKC_OK);   /* once is enough */
    skc_model_free(ref);
    assert_int_equal(skc_verify_finish(j, cand, o, &rep, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_verify_output_count(rep), skc_model_output_count(cand));
    passed = skc_verify_passed(rep);
    skc_verify_report_free(rep);
    return passed;
}

/* A released job (skc_verify_release) no longer needs its reference: it
 * is freed before finishing, and the verdicts stay those of a job that
 * kept it. The float64 stump that does not round x itself passes against
 * its float32 twin only through the outputs on the rounded rows made at
 * release, and against itself through those on the rows as given; a
 * float32 reference's float64 candidate is still given the rounded rows; a
 * changed model still fails; the reference's own evaluation failure is
 * the release's. */
static void test_verify_release(void **state)
{
    static const double x1[4] = { 0.1, 0.3, 0.7, -0.1 };
    const int64_t s1[2] = { 4, 1 };
    skc_model *u32 = ti_stump(SKC_DT_F32, 0), *u64b = ti_stump(SKC_DT_F64, 0);
    skc_model *c32 = ti_classifier_dt(SKC_DT_F32, 0.0), *bad = ti_classifier_dt(SKC_DT_F64, 0.25);
    skc_model *ref;
    skc_tensor *xt1 = NULL;
    skc_verify_opts o;
    skc_verify_job *j = NULL;
    char err[256] = "";

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, s1, &xt1), SKC_OK);
    memcpy(skc_tensor_data_mut(xt1), x1, sizeof(x1));
    skc_verify_opts_default(&o, 1);
    o.rtol = o.atol = 0.0;
    assert_int_equal(skc_verify_release(NULL, err, sizeof(err)), SKC_E_INVAL);
    /* float64 reference, float32 candidate; then float64 both (the rows
     * as given) */
    assert_int_equal(tv_released(ti_stump(SKC_DT_F64, 0), xt1, u32, &o), 1);
    assert_int_equal(tv_released(ti_stump(SKC_DT_F64, 0), xt1, u64b, &o), 1);
    /* float32 reference, float64 candidate: the candidate still sees the
     * rounded rows the reference ran on */
    assert_int_equal(tv_released(ti_stump(SKC_DT_F32, 0), xt1, u64b, &o), 1);
    /* a changed model fails, released or not; probe rows */
    assert_int_equal(tv_released(ti_classifier_dt(SKC_DT_F64, 0.0), NULL, bad, &o), 0);
    assert_int_equal(tv_released(ti_classifier_dt(SKC_DT_F64, 0.0), NULL, c32, &o), 1);
    /* the reference cannot evaluate these rows (a column they lack) */
    ref = ti_big_forest_model(8);
    assert_int_equal(skc_verify_start(ref, xt1, &o, &j, err, sizeof(err)), SKC_OK);
    err[0] = '\0';
    assert_int_equal(skc_verify_release(j, err, sizeof(err)), SKC_E_INVAL);
    assert_non_null(strstr(err, "tree 1996"));
    skc_verify_job_free(j);
    skc_model_free(ref);
    skc_model_free(u32);
    skc_model_free(u64b);
    skc_model_free(c32);
    skc_model_free(bad);
    skc_tensor_free(xt1);
}

static void test_model_shape(void **state)
{
    skc_model *m = ti_classifier();
    const int64_t *shape;
    int ndim = 0;

    (void)state;
    assert_int_equal(skc_model_input_count(m), 1);
    assert_string_equal(skc_model_input_name(m, 0), "X");
    assert_int_equal(skc_model_input_dtype(m, 0), SKC_DT_F32);
    shape = skc_model_input_shape(m, 0, &ndim);
    assert_int_equal(ndim, 2);
    assert_int_equal(shape[0], -1);
    assert_int_equal(shape[1], 2);
    assert_null(skc_model_input_columns(m, 0));
    assert_int_equal(skc_model_output_count(m), 2);
    assert_string_equal(skc_model_output_name(m, 0), "label");
    assert_string_equal(skc_model_output_name(m, 1), "probabilities");
    assert_int_equal(skc_model_step_count(m), 4);
    assert_int_equal(skc_step_input_count(skc_model_step(m, 1)), 1);
    assert_string_equal(skc_step_input(skc_model_step(m, 1), 0), "Xs");
    assert_string_equal(skc_step_output(skc_model_step(m, 3), 0), "label");
    assert_int_equal(skc_model_validate(m, NULL, 0), SKC_OK);
    skc_model_free(m);
}

static void test_input_columns(void **state)
{
    skc_model *m = ti_classifier();
    int64_t n = 2;
    skc_tensor *names = NULL;

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_STRING, 1, &n, &names), SKC_OK);
    skc_tensor_set_string(names, 0, "height", 6);
    skc_tensor_set_string(names, 1, "width", 5);
    assert_int_equal(skc_model_set_input_columns(m, 0, names), SKC_OK);
    skc_tensor_free(names);
    assert_string_equal(skc_tensor_string(skc_model_input_columns(m, 0), 1, NULL), "width");
    assert_int_not_equal(skc_model_set_input_columns(m, 1, names), SKC_OK);
    skc_model_free(m);
}

static void test_eval(void **state)
{
    /* Rows chosen so each class wins once. */
    static const float x[6] = { 7, 2,   1, 3,   1, 2 };
    int64_t shape[2] = { 3, 2 };
    skc_model *m = ti_classifier();
    skc_tensor *in = NULL, *out[2] = { NULL, NULL };
    const skc_tensor *inputs[1];
    char err[256] = "";
    int r, k;

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_F32, 2, shape, &in), SKC_OK);
    memcpy(skc_tensor_data_mut(in), x, sizeof(x));
    inputs[0] = in;
    assert_int_equal(skc_model_eval(m, inputs, out, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_tensor_numel(out[0]), 3);
    assert_true(skc_tensor_get_f64(out[0], 0) == 10);
    assert_true(skc_tensor_get_f64(out[0], 1) == 20);
    assert_true(skc_tensor_get_f64(out[0], 2) == 30);
    assert_int_equal(skc_tensor_ndim(out[1]), 2);
    assert_int_equal(skc_tensor_shape(out[1])[1], 3);
    for (r = 0; r < 3; r++) {
        /* scores by hand: s = [(x0-1)/2, 2(x1-2), -(s0+s1)+0.5] */
        double s0 = (x[2 * r] - 1) * 0.5, s1 = (x[2 * r + 1] - 2) * 2;
        double s[3] = { s0, s1, -s0 - s1 + 0.5 }, mx = s[0], sum = 0;
        for (k = 1; k < 3; k++)
            mx = s[k] > mx ? s[k] : mx;
        for (k = 0; k < 3; k++)
            sum += exp(s[k] - mx);
        for (k = 0; k < 3; k++)
            assert_true(fabs(skc_tensor_get_f64(out[1], r * 3 + k) -
                             exp(s[k] - mx) / sum) < 1e-12);
    }
    skc_tensor_free(out[0]);
    skc_tensor_free(out[1]);

    /* Wrong width is refused, with a reason. */
    shape[1] = 3;
    skc_tensor_free(in);
    assert_int_equal(skc_tensor_new(SKC_DT_F32, 2, shape, &in), SKC_OK);
    inputs[0] = in;
    out[0] = out[1] = NULL;
    assert_int_equal(skc_model_eval(m, inputs, out, err, sizeof(err)), SKC_E_INVAL);
    assert_true(strlen(err) > 0);
    assert_null(out[0]);
    skc_tensor_free(in);
    skc_model_free(m);
}

/* ---- scaler: divisor divides as sklearn does -------------------------- */

/* A one-step model X[N,2] (float64) -> scaler -> Y with @p key = {7, 3}. */
static skc_model *ti_scaler(const char *key, int both)
{
    static const double offset[2] = { 0, 0 }, factor[2] = { 7, 3 };
    const int64_t two = 2, shape[2] = { -1, 2 };
    skc_model *m = NULL;
    skc_step *s;

    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_input(m, "X", SKC_DT_F64, 2, shape), SKC_OK);
    assert_int_equal(skc_model_add_step(m, "scaler", &s), SKC_OK);
    skc_step_add_input(s, "X");
    skc_step_add_output(s, "Y");
    ti_set_f64(s, "offset", offset, 1, &two);
    ti_set_f64(s, key, factor, 1, &two);
    if (both)
        ti_set_f64(s, "scale", factor, 1, &two);
    assert_int_equal(skc_model_add_output(m, "Y", SKC_DT_F64, 2, shape), SKC_OK);
    return m;
}

static void test_scaler_divisor(void **state)
{
    /* 0.1 / 7 and 0.3 / 3 differ in the last bit from 0.1 * (1/7) and
     * 0.3 * (1/3): the divide form must divide, not multiply. */
    static const double x[2] = { 0.1, 0.30000000000000004 };
    const int64_t shape[2] = { 1, 2 };
    skc_model *m = ti_scaler("divisor", 0);
    skc_tensor *in = NULL, *out[1] = { NULL };
    const skc_tensor *inputs[1];
    char err[256] = "";

    (void)state;
    assert_true(x[0] / 7 != x[0] * (1.0 / 7) && x[1] / 3 != x[1] * (1.0 / 3));
    assert_int_equal(skc_model_validate(m, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, shape, &in), SKC_OK);
    memcpy(skc_tensor_data_mut(in), x, sizeof(x));
    inputs[0] = in;
    assert_int_equal(skc_model_eval(m, inputs, out, err, sizeof(err)), SKC_OK);
    assert_true(skc_tensor_get_f64(out[0], 0) == x[0] / 7);
    assert_true(skc_tensor_get_f64(out[0], 1) == x[1] / 3);
    skc_tensor_free(out[0]);
    skc_tensor_free(in);
    skc_model_free(m);
    /* Both forms at once is ambiguous and refused. */
    m = ti_scaler("divisor", 1);
    assert_int_equal(skc_model_validate(m, err, sizeof(err)), SKC_E_FORMAT);
    assert_non_null(strstr(err, "both 'scale' and 'divisor'"));
    skc_model_free(m);
}

/* skc_model_eval() checks a model once, not per call; a change through
 * the API or a write into an attribute tensor the caller kept makes the
 * next evaluation check it again, so it refuses rather than reads out of
 * bounds. */
static void test_eval_rechecks_after_change(void **state)
{
    static const int64_t xs[2] = { -1, 3 }, ys[2] = { -1, 1 }, three = 3, one = 1;
    const int64_t rows[2] = { 2, 3 };
    skc_model *m;
    skc_step *st;
    skc_tensor *classes, *sizes, *x, *y = NULL;
    const skc_tensor *in[1];
    char err[256] = "";
    int k;

    (void)state;
    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_input(m, "X", SKC_DT_F64, 2, xs), SKC_OK);
    assert_int_equal(skc_model_add_step(m, "multi_label", &st), SKC_OK);
    assert_int_equal(skc_step_add_input(st, "X"), SKC_OK);
    assert_int_equal(skc_step_add_output(st, "label"), SKC_OK);
    assert_int_equal(skc_tensor_new(SKC_DT_I64, 1, &three, &classes), SKC_OK);
    assert_int_equal(skc_tensor_new(SKC_DT_I64, 1, &one, &sizes), SKC_OK);
    for (k = 0; k < 3; k++)
        ((int64_t *)skc_tensor_data_mut(classes))[k] = 10 + k;
    ((int64_t *)skc_tensor_data_mut(sizes))[0] = 3;
    assert_int_equal(skc_step_set_tensor(st, "classes", classes), SKC_OK);
    assert_int_equal(skc_step_set_tensor(st, "sizes", sizes), SKC_OK);
    assert_int_equal(skc_model_add_output(m, "label", SKC_DT_I64, 2, ys), SKC_OK);
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, rows, &x), SKC_OK);
    for (k = 0; k < 6; k++)
        ((double *)skc_tensor_data_mut(x))[k] = k % 4;
    in[0] = x;
    for (k = 0; k < 2; k++) {
        assert_int_equal(skc_model_eval(m, in, &y, err, sizeof(err)), SKC_OK);
        assert_int_equal(((const int64_t *)skc_tensor_data(y))[1], 10);
        skc_tensor_free(y);
        y = NULL;
    }
    /* A write into the kept reference: sizes no longer add up. */
    ((int64_t *)skc_tensor_data_mut(sizes))[0] = 1000;
    assert_int_equal(skc_model_eval(m, in, &y, err, sizeof(err)), SKC_E_FORMAT);
    assert_non_null(strstr(err, "sizes"));
    ((int64_t *)skc_tensor_data_mut(sizes))[0] = 3;
    assert_int_equal(skc_model_eval(m, in, &y, err, sizeof(err)), SKC_OK);
    skc_tensor_free(y);
    y = NULL;
    /* A change through the API. */
    assert_int_equal(skc_step_add_input(st, "X"), SKC_OK);
    assert_int_equal(skc_model_eval(m, in, &y, err, sizeof(err)), SKC_E_FORMAT);
    assert_null(y);
    skc_tensor_free(x);
    skc_tensor_free(classes);
    skc_tensor_free(sizes);
    skc_model_free(m);
}

/* ---- validation errors ------------------------------------------------ */

static void ti_expect_invalid(skc_model *m, int code, const char *needle)
{
    char err[512] = "";

    assert_int_equal(skc_model_validate(m, err, sizeof(err)), code);
    print_message("# %s\n", err);
    assert_non_null(strstr(err, needle));
    skc_model_free(m);
}

static void test_validate_errors(void **state)
{
    skc_model *m;
    skc_step *s;
    int64_t p_shape[2] = { -1, 3 };

    (void)state;
    assert_int_equal(skc_op_known("linear"), 1);
    assert_int_equal(skc_op_known("scaler"), 1);
    assert_int_equal(skc_op_known("frobnicate"), 0);

    /* No outputs at all. */
    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_input(m, "X", SKC_DT_F32, 2, ti_in_shape), SKC_OK);
    assert_int_not_equal(skc_model_validate(m, NULL, 0), SKC_OK);
    skc_model_free(m);

    /* Unknown operation. */
    m = ti_classifier();
    assert_int_equal(skc_model_add_step(m, "frobnicate", &s), SKC_OK);
    skc_step_add_input(s, "X");
    skc_step_add_output(s, "F");
    ti_expect_invalid(m, SKC_E_UNSUPPORTED, "frobnicate");

    /* A step reads a tensor nobody produced. */
    m = ti_classifier();
    assert_int_equal(skc_model_add_step(m, "identity", &s), SKC_OK);
    skc_step_add_input(s, "nowhere");
    skc_step_add_output(s, "Y");
    ti_expect_invalid(m, SKC_E_FORMAT, "nowhere");

    /* An output no step produces. */
    m = ti_classifier();
    assert_int_equal(skc_model_add_output(m, "ghost", SKC_DT_F32, 2, p_shape), SKC_OK);
    ti_expect_invalid(m, SKC_E_FORMAT, "ghost");

    /* A tensor produced twice. */
    m = ti_classifier();
    assert_int_equal(skc_model_add_step(m, "identity", &s), SKC_OK);
    skc_step_add_input(s, "X");
    skc_step_add_output(s, "S");
    ti_expect_invalid(m, SKC_E_FORMAT, "S");

    /* A required attribute is missing. */
    m = ti_classifier();
    assert_int_equal(skc_model_add_step(m, "linear", &s), SKC_OK);
    skc_step_add_input(s, "X");
    skc_step_add_output(s, "S2");
    ti_expect_invalid(m, SKC_E_FORMAT, "coef");

    /* An attribute value outside its choices. */
    m = ti_classifier();
    assert_int_equal(skc_model_add_step(m, "proba", &s), SKC_OK);
    skc_step_add_input(s, "S");
    skc_step_add_output(s, "P2");
    assert_int_equal(skc_step_set_string(s, "mode", "wobbly"), SKC_OK);
    ti_expect_invalid(m, SKC_E_FORMAT, "proba");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtypes),
        cmocka_unit_test(test_tensor_new),
        cmocka_unit_test(test_tensor_bad_shapes),
        cmocka_unit_test(test_tensor_from),
        cmocka_unit_test(test_tensor_strings),
        cmocka_unit_test(test_tensor_refcount),
        cmocka_unit_test(test_tensor_wrap_copy_on_write),
        cmocka_unit_test(test_step_attributes),
        cmocka_unit_test(test_shared_tensor),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_tree_sum_float32),
        cmocka_unit_test(test_tree_proof_halves),
        cmocka_unit_test(test_tree_eval_halves),
        cmocka_unit_test(test_verify_halves),
        cmocka_unit_test(test_verify_release),
        cmocka_unit_test(test_model_shape),
        cmocka_unit_test(test_input_columns),
        cmocka_unit_test(test_eval),
        cmocka_unit_test(test_scaler_divisor),
        cmocka_unit_test(test_eval_rechecks_after_change),
        cmocka_unit_test(test_validate_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
