/* SPDX-License-Identifier: MIT */
/*
 * test_core_ops_prep.c: the preprocessing and categorical IR operations
 * (core/OPS.md: normalize, quantile, bucketize, poly, category_map, onehot,
 * select_columns) through the public API, on the edge cases sklearn's own
 * code decides: signed max norms, repeated quantiles and the normal clip,
 * +inf edge padding, multiplication order, NaN and string categories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include <skconv/ir.h>

/* A model X [N, f] (float64, or strings) → one step @p op → "Y". */
static skc_model *one_step(const char *op, int64_t f, int dtype, skc_step **st)
{
    int64_t xs[2] = { -1, f }, ys[2] = { -1, -1 };
    skc_model *m = NULL;

    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_input(m, "X", dtype, 2, xs), SKC_OK);
    assert_int_equal(skc_model_add_step(m, op, st), SKC_OK);
    assert_int_equal(skc_step_add_input(*st, "X"), SKC_OK);
    assert_int_equal(skc_step_add_output(*st, "Y"), SKC_OK);
    assert_int_equal(skc_model_add_output(m, "Y", SKC_DT_F64, 2, ys), SKC_OK);
    return m;
}

static skc_tensor *matrix(int64_t rows, int64_t cols, const double *v)
{
    int64_t shape[2] = { rows, cols };
    skc_tensor *t = NULL;

    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, shape, &t), SKC_OK);
    memcpy(skc_tensor_data_mut(t), v, (size_t)(rows * cols) * sizeof(double));
    return t;
}

static void set_f64(skc_step *st, const char *key, int ndim, const int64_t *shape,
                    const double *v)
{
    skc_tensor *t = NULL;
    int64_t n = 1;

    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    assert_int_equal(skc_tensor_new(SKC_DT_F64, ndim, shape, &t), SKC_OK);
    memcpy(skc_tensor_data_mut(t), v, (size_t)n * sizeof(double));
    assert_int_equal(skc_step_set_tensor(st, key, t), SKC_OK);
    skc_tensor_free(t);
}

static void set_i64(skc_step *st, const char *key, int ndim, const int64_t *shape,
                    const int64_t *v)
{
    skc_tensor *t = NULL;
    int64_t n = 1;

    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    assert_int_equal(skc_tensor_new(SKC_DT_I64, ndim, shape, &t), SKC_OK);
    memcpy(skc_tensor_data_mut(t), v, (size_t)n * sizeof(int64_t));
    assert_int_equal(skc_step_set_tensor(st, key, t), SKC_OK);
    skc_tensor_free(t);
}

static const double *run(skc_model *m, skc_tensor *x, skc_tensor **y)
{
    char err[256] = "";
    const skc_tensor *in[1] = { x };

    assert_int_equal(skc_model_validate(m, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_model_eval(m, in, y, err, sizeof(err)), SKC_OK);
    return skc_tensor_data(*y);
}

/* sklearn < 0.23 divided by the signed row maximum; a zero row stays. */
static void test_normalize_max_signed(void **state)
{
    static const double xv[4] = { -2.0, -4.0, 0.0, 0.0 };
    skc_tensor *x = matrix(2, 2, xv), *y = NULL;
    skc_step *st;
    skc_model *m = one_step("normalize", 2, SKC_DT_F64, &st);
    const double *d;

    (void)state;
    assert_int_equal(skc_step_set_string(st, "norm", "max_signed"), SKC_OK);
    d = run(m, x, &y);
    assert_true(d[0] == 1.0 && d[1] == 2.0 && d[2] == 0.0 && d[3] == 0.0);
    skc_tensor_free(y);
    skc_tensor_free(x);
    skc_model_free(m);
}

/* Repeated quantiles give the middle of their references; the bounds and
 * NaN follow QuantileTransformer. */
static void test_quantile_ties(void **state)
{
    static const double q[4] = { 0.0, 1.0, 1.0, 3.0 }, ref[4] = { 0.0, 1.0 / 3, 2.0 / 3, 1.0 };
    static const double xv[5] = { 1.0, 2.0, 0.0, 5.0, NAN };
    int64_t qs[2] = { 4, 1 }, rs[1] = { 4 };
    skc_tensor *x = matrix(5, 1, xv), *y = NULL;
    skc_step *st;
    skc_model *m = one_step("quantile", 1, SKC_DT_F64, &st);
    const double *d;

    (void)state;
    set_f64(st, "quantiles", 2, qs, q);
    set_f64(st, "references", 1, rs, ref);
    assert_int_equal(skc_step_set_string(st, "output", "uniform"), SKC_OK);
    d = run(m, x, &y);
    assert_true(fabs(d[0] - 0.5) < 1e-15);           /* (2/3 + 1/3) / 2 */
    assert_true(fabs(d[1] - (2.0 / 3 + 1.0 / 6)) < 1e-15);
    assert_true(d[2] == 0.0 && d[3] == 1.0 && isnan(d[4]));
    skc_tensor_free(y);
    skc_model_free(m);

    /* Normal output: the bounds clip to ppf(1e-7 - eps) and
     * ppf(1 - (1e-7 - eps)) (scipy's values; not symmetric in doubles). */
    m = one_step("quantile", 1, SKC_DT_F64, &st);
    set_f64(st, "quantiles", 2, qs, q);
    set_f64(st, "references", 1, rs, ref);
    assert_int_equal(skc_step_set_string(st, "output", "normal"), SKC_OK);
    d = run(m, x, &y);
    assert_true(fabs(d[0]) < 1e-15);
    assert_true(fabs(d[2] + 5.199337582605575) < 1e-12 && fabs(d[3] - 5.19933758270342) < 1e-12);
    skc_tensor_free(y);
    skc_tensor_free(x);
    skc_model_free(m);
}

/* +inf padding never counts for finite values; the clip handles +inf. */
static void test_bucketize(void **state)
{
    static const double e[4] = { 1.0, 2.0, 5.0, INFINITY };
    static const double xv[6] = { 1.0, 5.0, 0.999, 4.999, INFINITY, INFINITY };
    int64_t es[2] = { 2, 2 }, ns[1] = { 2 }, nb[2] = { 3, 2 };
    skc_tensor *x = matrix(3, 2, xv), *y = NULL;
    skc_step *st;
    skc_model *m = one_step("bucketize", 2, SKC_DT_F64, &st);
    const double *d;

    (void)state;
    set_f64(st, "edges", 2, es, e);
    set_i64(st, "n_bins", 1, ns, nb);
    d = run(m, x, &y);
    assert_true(d[0] == 1.0 && d[1] == 1.0 && d[2] == 0.0 && d[3] == 0.0);
    assert_true(d[4] == 2.0 && d[5] == 1.0);
    skc_tensor_free(y);
    skc_tensor_free(x);
    skc_model_free(m);
}

/* Terms multiply from the highest feature down; NaN stays in its terms. */
static void test_poly(void **state)
{
    static const int64_t p[6] = { 0, 0, 2, 1, 0, 1 };
    static const double xv[2] = { NAN, 3.0 };
    int64_t ps[2] = { 3, 2 };
    skc_tensor *x = matrix(1, 2, xv), *y = NULL;
    skc_step *st;
    skc_model *m = one_step("poly", 2, SKC_DT_F64, &st);
    const double *d;

    (void)state;
    set_i64(st, "powers", 2, ps, p);
    d = run(m, x, &y);
    assert_true(d[0] == 1.0 && isnan(d[1]) && d[2] == 3.0);
    skc_tensor_free(y);
    skc_tensor_free(x);
    skc_model_free(m);
}

/* NaN categories match NaN; unknown values get the unknown code; onehot
 * leaves -1 blocks empty. */
static void test_category_map_onehot(void **state)
{
    static const double cats[3] = { 2.0, NAN, 7.5 }, vals[3] = { 0.0, 1.0, -1.0 };
    static const double unk[1] = { -1.0 };
    static const double xv[4] = { NAN, 2.0, 7.5, 3.0 };
    static const int64_t off[2] = { 0, 3 }, w[1] = { 2 };
    int64_t cs[1] = { 3 }, os[1] = { 2 }, us[1] = { 1 }, ws[1] = { 1 };
    skc_tensor *x = matrix(4, 1, xv), *y = NULL;
    skc_step *st, *st2;
    skc_model *m = one_step("category_map", 1, SKC_DT_F64, &st);
    const double *d;

    (void)state;
    set_f64(st, "categories", 1, cs, cats);
    set_i64(st, "offsets", 1, os, off);
    set_f64(st, "values", 1, cs, vals);
    set_f64(st, "unknown", 1, us, unk);
    assert_int_equal(skc_model_add_step(m, "onehot", &st2), SKC_OK);
    assert_int_equal(skc_step_add_input(st2, "Y"), SKC_OK);
    assert_int_equal(skc_step_add_output(st2, "Z"), SKC_OK);
    set_i64(st2, "widths", 1, ws, w);
    assert_int_equal(skc_model_add_output(m, "Z", SKC_DT_F64, 2, (int64_t[2]){ -1, 2 }), SKC_OK);
    {
        char err[256] = "";
        const skc_tensor *in[1] = { x };
        skc_tensor *outs[2] = { NULL, NULL };
        assert_int_equal(skc_model_eval(m, in, outs, err, sizeof(err)), SKC_OK);
        d = skc_tensor_data(outs[0]);
        assert_true(d[0] == 1.0 && d[1] == 0.0 && d[2] == -1.0 && d[3] == -1.0);
        d = skc_tensor_data(outs[1]);
        assert_true(d[0] == 0.0 && d[1] == 1.0 && d[2] == 1.0 && d[3] == 0.0);
        assert_true(d[4] == 0.0 && d[5] == 0.0 && d[6] == 0.0 && d[7] == 0.0);
        skc_tensor_free(outs[0]);
        skc_tensor_free(outs[1]);
    }
    (void)y;
    skc_tensor_free(x);
    skc_model_free(m);
}

/* String inputs reach category_map and select_columns as strings. */
static void test_strings(void **state)
{
    static const char *const xs[4] = { "b", "zz", "a", "b" };
    static const int64_t off[3] = { 0, 2, 3 }, idx[2] = { 1, 0 };
    static const double vals[3] = { 0.0, 1.0, 0.0 }, unk[2] = { -1.0, 9.0 };
    int64_t shape[2] = { 2, 2 }, cs[1] = { 3 }, os[1] = { 3 }, us[1] = { 2 }, is[1] = { 2 };
    skc_tensor *x = NULL, *cat = NULL, *y = NULL;
    skc_step *st, *sel;
    skc_model *m = NULL;
    const double *d;
    char err[256] = "";

    (void)state;
    assert_int_equal(skc_tensor_new(SKC_DT_STRING, 2, shape, &x), SKC_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(skc_tensor_set_string(x, i, xs[i], strlen(xs[i])), SKC_OK);
    assert_int_equal(skc_tensor_new(SKC_DT_STRING, 1, cs, &cat), SKC_OK);
    assert_int_equal(skc_tensor_set_string(cat, 0, "a", 1), SKC_OK);
    assert_int_equal(skc_tensor_set_string(cat, 1, "b", 1), SKC_OK);
    assert_int_equal(skc_tensor_set_string(cat, 2, "zz", 2), SKC_OK);
    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_input(m, "X", SKC_DT_STRING, 2, (int64_t[2]){ -1, 2 }),
                     SKC_OK);
    /* Swap the columns first: [zz, b] and [b, a]. */
    assert_int_equal(skc_model_add_step(m, "select_columns", &sel), SKC_OK);
    assert_int_equal(skc_step_add_input(sel, "X"), SKC_OK);
    assert_int_equal(skc_step_add_output(sel, "S"), SKC_OK);
    set_i64(sel, "indices", 1, is, idx);
    assert_int_equal(skc_model_add_step(m, "category_map", &st), SKC_OK);
    assert_int_equal(skc_step_add_input(st, "S"), SKC_OK);
    assert_int_equal(skc_step_add_output(st, "Y"), SKC_OK);
    assert_int_equal(skc_step_set_tensor(st, "categories", cat), SKC_OK);
    set_i64(st, "offsets", 1, os, off);
    set_f64(st, "values", 1, cs, vals);
    set_f64(st, "unknown", 1, us, unk);
    assert_int_equal(skc_model_add_output(m, "Y", SKC_DT_F64, 2, (int64_t[2]){ -1, 2 }),
                     SKC_OK);
    {
        const skc_tensor *in[1] = { x };
        assert_int_equal(skc_model_eval(m, in, &y, err, sizeof(err)), SKC_OK);
    }
    d = skc_tensor_data(y);
    /* Feature 0 knows a, b; feature 1 knows zz. */
    assert_true(d[0] == -1.0 && d[1] == 9.0 && d[2] == 1.0 && d[3] == 9.0);
    skc_tensor_free(y);
    skc_tensor_free(x);
    skc_tensor_free(cat);
    skc_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_max_signed),
        cmocka_unit_test(test_quantile_ties),
        cmocka_unit_test(test_bucketize),
        cmocka_unit_test(test_poly),
        cmocka_unit_test(test_category_map_onehot),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
