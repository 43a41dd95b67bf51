/* SPDX-License-Identifier: MIT */
/*
 * test_core_ops_mlplin.c: the activation, modified_huber, constant and
 * kmeans IR operations (core/OPS.md) through the public API: their edge
 * semantics (NaN, overflow, all-zero rows, ties) and their checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include <skconv/ir.h>

/* A model X [N, f] → one step @p op → output "Y" (and "Y2" when @p two). */
static skc_model *one_step(const char *op, int64_t f, int two, skc_step **st)
{
    int64_t xs[2] = { -1, f }, ys[2] = { -1, -1 }, ls[1] = { -1 };
    skc_model *m = NULL;

    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_input(m, "X", SKC_DT_F64, 2, xs), SKC_OK);
    assert_int_equal(skc_model_add_step(m, op, st), SKC_OK);
    assert_int_equal(skc_step_add_input(*st, "X"), SKC_OK);
    assert_int_equal(skc_step_add_output(*st, "Y"), SKC_OK);
    if (two) {
        assert_int_equal(skc_step_add_output(*st, "Y2"), SKC_OK);
        assert_int_equal(skc_model_add_output(m, "Y", SKC_DT_I64, 1, ls), SKC_OK);
        assert_int_equal(skc_model_add_output(m, "Y2", SKC_DT_F64, 2, ys), SKC_OK);
    } else {
        assert_int_equal(skc_model_add_output(m, "Y", SKC_DT_F64, 2, ys), SKC_OK);
    }
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

static void run(skc_model *m, skc_tensor *x, skc_tensor **out, int n_out)
{
    char err[256] = "";
    const skc_tensor *in[1] = { x };

    assert_int_equal(skc_model_validate(m, err, sizeof(err)), SKC_OK);
    assert_int_equal(skc_model_eval(m, in, out, err, sizeof(err)), SKC_OK);
    (void)n_out;
}

static void test_activation(void **state)
{
    static const double xv[4] = { -1000.0, NAN, 2.0, -0.5 };
    skc_step *st;
    skc_model *m;
    skc_tensor *x = matrix(2, 2, xv), *y = NULL;
    const double *d;

    (void)state;
    m = one_step("activation", 2, 0, &st);
    assert_int_equal(skc_step_set_string(st, "function", "relu"), SKC_OK);
    run(m, x, &y, 1);
    d = skc_tensor_data(y);
    assert_true(d[0] == 0.0 && isnan(d[1]) && d[2] == 2.0 && d[3] == 0.0);
    skc_tensor_free(y);
    skc_model_free(m);

    /* expit never overflows: exp(1000) would be inf, inf/inf NaN. */
    m = one_step("activation", 2, 0, &st);
    assert_int_equal(skc_step_set_string(st, "function", "logistic"), SKC_OK);
    run(m, x, &y, 1);
    d = skc_tensor_data(y);
    assert_true(d[0] == 0.0 && isnan(d[1]));
    assert_true(fabs(d[2] - 1.0 / (1.0 + exp(-2.0))) < 1e-16);
    skc_tensor_free(y);
    skc_model_free(m);

    m = one_step("activation", 2, 0, &st);
    assert_int_equal(skc_step_set_string(st, "function", "exp"), SKC_OK);
    run(m, x, &y, 1);
    d = skc_tensor_data(y);
    assert_true(d[0] == 0.0 && d[2] == exp(2.0) && d[3] == exp(-0.5));
    skc_tensor_free(y);
    skc_model_free(m);
    skc_tensor_free(x);
}

static void test_activation_bad_function(void **state)
{
    char err[256] = "";
    skc_step *st;
    skc_model *m;

    (void)state;
    m = one_step("activation", 2, 0, &st);
    assert_int_equal(skc_step_set_string(st, "function", "softplus"), SKC_OK);
    assert_int_equal(skc_model_validate(m, err, sizeof(err)), SKC_E_FORMAT);
    assert_non_null(strstr(err, "activation"));
    skc_model_free(m);
}

static void test_modified_huber(void **state)
{
    /* Row 0: every score <= -1 (uniform); row 1: clipped and normalised. */
    static const double sv[6] = { -3.0, -1.0, -1.5, 0.5, 2.0, -1.0 };
    static const double bv[2] = { 0.25, -7.0 };
    skc_step *st;
    skc_model *m;
    skc_tensor *s = matrix(2, 3, sv), *b = matrix(2, 1, bv), *p = NULL;
    const double *d;

    (void)state;
    m = one_step("modified_huber", 3, 0, &st);
    assert_int_equal(skc_step_set_string(st, "mode", "multiclass"), SKC_OK);
    run(m, s, &p, 1);
    d = skc_tensor_data(p);
    assert_true(d[0] == 1.0 / 3 && d[1] == 1.0 / 3 && d[2] == 1.0 / 3);
    /* q = (0.75, 1, 0), sum 1.75 */
    assert_true(d[3] == 0.75 / 1.75 && d[4] == 1.0 / 1.75 && d[5] == 0.0);
    skc_tensor_free(p);
    skc_model_free(m);

    m = one_step("modified_huber", 1, 0, &st);
    assert_int_equal(skc_step_set_string(st, "mode", "binary"), SKC_OK);
    run(m, b, &p, 1);
    assert_int_equal(skc_tensor_shape(p)[1], 2);
    d = skc_tensor_data(p);
    assert_true(d[0] == 0.375 && d[1] == 0.625 && d[2] == 1.0 && d[3] == 0.0);
    skc_tensor_free(p);
    skc_model_free(m);
    skc_tensor_free(s);
    skc_tensor_free(b);
}

static void test_constant_ignores_nan(void **state)
{
    static const double xv[6] = { NAN, NAN, 1.0, 2.0, INFINITY, 0.0 };
    static const double vv[2] = { 0.5, -2.0 };
    skc_step *st;
    skc_model *m;
    skc_tensor *x = matrix(3, 2, xv), *v = NULL, *y = NULL;
    const double *d;
    int i;

    (void)state;
    assert_int_equal(skc_tensor_from_f64(vv, 2, &v), SKC_OK);
    m = one_step("constant", 2, 0, &st);
    assert_int_equal(skc_step_set_tensor(st, "value", v), SKC_OK);
    run(m, x, &y, 1);
    assert_int_equal(skc_tensor_shape(y)[0], 3);
    d = skc_tensor_data(y);
    for (i = 0; i < 3; i++)
        assert_true(d[2 * i] == 0.5 && d[2 * i + 1] == -2.0);
    skc_tensor_free(y);
    skc_tensor_free(v);
    skc_tensor_free(x);
    skc_model_free(m);
}

static void test_kmeans(void **state)
{
    /* Two identical centres: the first wins the tie, as in sklearn. */
    static const double cv[6] = { 0.0, 0.0, 3.0, 4.0, 3.0, 4.0 };
    static const double xv[4] = { 3.0, 4.0, 0.0, 1.0 };
    skc_step *st;
    skc_model *m;
    skc_tensor *c = matrix(3, 2, cv), *x = matrix(2, 2, xv), *out[2] = { NULL, NULL };
    const int64_t *lab;
    const double *d;

    (void)state;
    m = one_step("kmeans", 2, 1, &st);
    assert_int_equal(skc_step_set_tensor(st, "centers", c), SKC_OK);
    run(m, x, out, 2);
    lab = skc_tensor_data(out[0]);
    d = skc_tensor_data(out[1]);
    assert_int_equal(lab[0], 1);
    assert_int_equal(lab[1], 0);
    assert_true(d[0] == 5.0 && d[1] == 0.0 && d[2] == 0.0);
    assert_true(d[3] == 1.0 && fabs(d[4] - sqrt(18.0)) < 1e-15);
    skc_tensor_free(out[0]);
    skc_tensor_free(out[1]);
    skc_model_free(m);
    skc_tensor_free(x);
    skc_tensor_free(c);
}

static void test_kmeans_width_mismatch(void **state)
{
    static const double cv[3] = { 0.0, 0.0, 0.0 };
    static const double xv[2] = { 1.0, 2.0 };
    char err[256] = "";
    skc_step *st;
    skc_model *m;
    skc_tensor *c = matrix(1, 3, cv), *x = matrix(1, 2, xv), *out[2] = { NULL, NULL };
    const skc_tensor *in[1] = { x };

    (void)state;
    m = one_step("kmeans", 2, 1, &st);
    assert_int_equal(skc_step_set_tensor(st, "centers", c), SKC_OK);
    assert_int_equal(skc_model_validate(m, err, sizeof(err)), SKC_OK);
    assert_int_not_equal(skc_model_eval(m, in, out, err, sizeof(err)), SKC_OK);
    assert_null(out[0]);
    skc_model_free(m);
    skc_tensor_free(x);
    skc_tensor_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation),
        cmocka_unit_test(test_activation_bad_function),
        cmocka_unit_test(test_modified_huber),
        cmocka_unit_test(test_constant_ignores_nan),
        cmocka_unit_test(test_kmeans),
        cmocka_unit_test(test_kmeans_width_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
