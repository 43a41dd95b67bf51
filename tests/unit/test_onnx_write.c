/* SPDX-License-Identifier: MIT */
/* test_onnx_write.c: the ONNX writer plugin: what it writes for each IR op, its versions, names and options. */
/*
 * Each test builds an IR model with the ir.h builder API, writes it through
 * the "onnx" format found via SKCONV_PLUGIN_PATH into a memory stream, and
 * reads the bytes back with protobuf-c to check the graph. Numerical checks
 * against sklearn and ONNX Runtime are in tests/onnx/check_onnx.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skconv/plugin.h>

#include "onnx.pb-c.h"

#define F 3

static skc_context *ctx;
static const skc_format *fmt;

static const double mean[F]  = { 1.0, -2.0, 0.5 };
static const double iscale[F] = { 0.5, 2.0, 0.1 };

static int last_warnings;  /* of the last write_opts() */

static void quiet_log(void *user, int level, const char *origin, const char *msg)
{
    (void)user, (void)level, (void)origin, (void)msg;
}

static int setup(void **state)
{
    (void)state;
    if (skc_context_new(0, &ctx) < 0)
        return -1;
    skc_context_set_log(ctx, quiet_log, NULL, SKC_LOG_DEBUG);
    fmt = skc_context_find_format(ctx, "onnx");
    return fmt ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    skc_context_free(ctx);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Building IR                                                          */
/* ------------------------------------------------------------------ */

static skc_tensor *vec(const double *v, int64_t n)
{
    skc_tensor *t;
    assert_int_equal(skc_tensor_from_f64(v, n, &t), 0);
    return t;
}

static skc_tensor *mat(const double *v, int64_t rows, int64_t cols)
{
    const int64_t shape[2] = { rows, cols };
    skc_tensor *t;
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, shape, &t), 0);
    memcpy(skc_tensor_data_mut(t), v, (size_t)(rows * cols) * sizeof(double));
    return t;
}

static void set_tensor(skc_step *s, const char *key, skc_tensor *t)
{
    assert_int_equal(skc_step_set_tensor(s, key, t), 0);
    skc_tensor_free(t);
}

static skc_step *add_step(skc_model *m, const char *op, const char *in,
                          const char *out)
{
    skc_step *s;
    assert_int_equal(skc_model_add_step(m, op, &s), 0);
    assert_int_equal(skc_step_add_input(s, in), 0);
    assert_int_equal(skc_step_add_output(s, out), 0);
    return s;
}

static skc_model *new_model(void)
{
    const int64_t shape[2] = { -1, F };
    skc_model *m;
    assert_int_equal(skc_model_new(&m), 0);
    assert_int_equal(skc_model_add_input(m, "X", SKC_DT_F64, 2, shape), 0);
    assert_int_equal(skc_model_set_meta(m, "source.class", "Pipeline"), 0);
    assert_int_equal(skc_model_set_meta(m, "source.sha256", "00ff"), 0);
    return m;
}

static void add_standard_scaler(skc_model *m, const char *out)
{
    skc_step *s = add_step(m, "scaler", "X", out);
    set_tensor(s, "offset", vec(mean, F));
    set_tensor(s, "scale", vec(iscale, F));
}

/* StandardScaler -> LogisticRegression with @p k classes (k == 2: binary). */
static skc_model *logreg(int k, int strings, const char *mode)
{
    static const double coef[3 * F] = { 0.3, -0.7, 1.1, 0.2, 0.1, -0.4,
                                        -1.0, 0.5, 0.05 };
    static const double icpt[3] = { 0.25, -0.5, 0.1 };
    static const int64_t int_classes[3] = { -1, 3, 7 };
    static const char *const str_classes[3] = { "cat", "dog", "eel" };
    const int64_t t = k == 2 ? 1 : k, kk = k;
    const int64_t out_shape[2] = { -1, k };
    skc_model *m = new_model();
    skc_tensor *cl;
    skc_step *s;

    add_standard_scaler(m, "scale.out");
    s = add_step(m, "linear", "scale.out", "scores");
    set_tensor(s, "coef", mat(coef, t, F));
    set_tensor(s, "intercept", vec(icpt, t));
    s = add_step(m, "proba", "scores", "probabilities");
    assert_int_equal(skc_step_set_string(s, "mode", mode), 0);
    s = add_step(m, "label", "scores", "label");
    if (strings) {
        assert_int_equal(skc_tensor_new(SKC_DT_STRING, 1, &kk, &cl), 0);
        for (int i = 0; i < k; i++)
            assert_int_equal(skc_tensor_set_string(cl, i, str_classes[i],
                                                   strlen(str_classes[i])), 0);
    } else {
        assert_int_equal(skc_tensor_from_i64(int_classes, k, &cl), 0);
    }
    set_tensor(s, "classes", cl);
    assert_int_equal(skc_step_set_string(s, "mode", k == 2 ? "threshold" : "argmax"), 0);
    if (k == 2)
        assert_int_equal(skc_step_set_float(s, "threshold", 0.0), 0);
    assert_int_equal(skc_model_add_output(m, "label",
                                          strings ? SKC_DT_STRING : SKC_DT_I64,
                                          1, out_shape), 0);
    assert_int_equal(skc_model_add_output(m, "probabilities", SKC_DT_F64, 2,
                                          out_shape), 0);
    return m;
}

static skc_model *linreg(int targets, int with_intercept)
{
    static const double coef[3 * F] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    const double icpt[3] = { with_intercept ? 0.5 : 0.0, 0.0, -1.5 };
    const int64_t out_shape[2] = { -1, targets };
    skc_model *m = new_model();
    skc_step *s = add_step(m, "linear", "X", "variable");
    set_tensor(s, "coef", mat(coef, targets, F));
    set_tensor(s, "intercept", vec(icpt, targets));
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, out_shape), 0);
    return m;
}

/* ------------------------------------------------------------------ */
/* Writing and reading back                                            */
/* ------------------------------------------------------------------ */

/* Write @p m with NULL-terminated key, value pairs; returns the status and,
 * on success, the unpacked model. */
static int write_opts(const skc_model *m, const char *const *opts,
                      Onnx__ModelProto **out, char *err, size_t errlen)
{
    skc_session *s;
    skc_stream *buf;
    const uint8_t *data;
    size_t size;
    int rc;

    assert_int_equal(skc_session_new(ctx, fmt, "test.onnx", &s), 0);
    assert_int_equal(skc_stream_open_buffer(&buf), 0);
    for (rc = 0; opts && *opts && rc == 0; opts += 2)
        rc = skc_session_set_option(s, 1, opts[0], opts[1]);
    if (rc == 0)
        rc = skc_session_write(s, m, buf);
    if (err)
        snprintf(err, errlen, "%s", skc_session_error(s));
    last_warnings = skc_session_warning_count(s);
    if (rc == 0 && out) {
        assert_int_equal(skc_stream_map(buf, &data, &size), 0);
        *out = onnx__model_proto__unpack(NULL, size, data);
        assert_non_null(*out);
    }
    skc_stream_free(buf);
    skc_session_free(s);
    return rc;
}

static Onnx__ModelProto *write_ok(const skc_model *m, const char *const *opts)
{
    Onnx__ModelProto *mp = NULL;
    char err[512];
    int rc = write_opts(m, opts, &mp, err, sizeof(err));
    if (rc != 0)
        fail_msg("write failed (%d): %s", rc, err);
    return mp;
}

static const Onnx__TensorProto *init_named(const Onnx__ModelProto *mp,
                                           const char *name)
{
    for (size_t i = 0; i < mp->graph->n_initializer; i++)
        if (strcmp(mp->graph->initializer[i]->name, name) == 0)
            return mp->graph->initializer[i];
    fail_msg("no initializer %s", name);
    return NULL;
}

static const Onnx__NodeProto *node_op(const Onnx__ModelProto *mp,
                                      const char *op, int nth)
{
    for (size_t i = 0; i < mp->graph->n_node; i++)
        if (strcmp(mp->graph->node[i]->op_type, op) == 0 && nth-- == 0)
            return mp->graph->node[i];
    return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *n, const char *key)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (strcmp(n->attribute[i]->name, key) == 0) {
            assert_int_equal(n->attribute[i]->type,
                             ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
            return n->attribute[i]->i;
        }
    fail_msg("node %s has no attribute %s", n->op_type, key);
    return 0;
}

/* "Sub,Mul,MatMul" against the node sequence. */
static void assert_ops(const Onnx__ModelProto *mp, const char *want)
{
    char got[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < mp->graph->n_node; i++)
        len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s",
                                i ? "," : "", mp->graph->node[i]->op_type);
    assert_string_equal(got, want);
}

static void assert_value(const Onnx__ValueInfoProto *vi, const char *name,
                         int elem, int ndim, int64_t dim1)
{
    assert_string_equal(vi->name, name);
    assert_int_equal(vi->type->value_case, ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE);
    const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
    assert_int_equal(tt->elem_type, elem);
    assert_non_null(tt->shape);
    assert_int_equal(tt->shape->n_dim, ndim);
    assert_int_equal(tt->shape->dim[0]->value_case,
                     ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM);
    assert_string_equal(tt->shape->dim[0]->dim_param, "N");
    if (ndim > 1) {
        assert_int_equal(tt->shape->dim[1]->value_case,
                         ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE);
        assert_int_equal(tt->shape->dim[1]->dim_value, dim1);
    }
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_descriptor(void **state)
{
    (void)state;
    assert_true(fmt->caps & SKC_CAP_WRITE);
    /* The ONNX reader (verification, predict) lives in the same format. */
    assert_true(fmt->caps & SKC_CAP_READ);
    assert_string_equal(fmt->extensions, "onnx");
    assert_non_null(fmt->write_options);
    for (const char *const *op = (const char *const[]){ "scaler", "clip", "linear",
             "proba", "label", "identity", NULL }; *op; op++)
        assert_int_equal(fmt->query_op(*op), 1);
    assert_int_equal(fmt->query_op("no_such_op"), 0);
    assert_int_equal(fmt->query_op(""), 0);
}

static void test_header_and_binary_logreg(void **state)
{
    (void)state;
    skc_model *m = logreg(2, 0, "logistic_binary");
    Onnx__ModelProto *mp = write_ok(m, NULL);

    assert_int_equal(mp->ir_version, 8);
    assert_int_equal(mp->n_opset_import, 1);
    assert_string_equal(mp->opset_import[0]->domain, "");
    assert_int_equal(mp->opset_import[0]->version, 17);
    assert_string_equal(mp->producer_name, "skconv");
    assert_string_equal(mp->producer_version, SKC_VERSION_STRING);
    assert_int_equal(mp->n_metadata_props, 2);
    assert_string_equal(mp->metadata_props[0]->key, "source.class");
    assert_string_equal(mp->metadata_props[0]->value, "Pipeline");
    assert_string_equal(mp->metadata_props[1]->key, "source.sha256");

    assert_int_equal(mp->graph->n_input, 1);
    assert_value(mp->graph->input[0], "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, F);
    assert_int_equal(mp->graph->n_output, 2);
    assert_value(mp->graph->output[0], "label", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, 0);
    assert_value(mp->graph->output[1], "probabilities",
                 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, 2);
    assert_ops(mp, "Sub,Mul,MatMul,Add,Sigmoid,Sub,Concat,Greater,Cast,Reshape,Gather");

    /* float32 by default: IR doubles are rounded once, when written. */
    const Onnx__TensorProto *off = init_named(mp, "scale_out_offset");
    assert_int_equal(off->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    assert_int_equal(off->n_float_data, F);
    for (int i = 0; i < F; i++)
        assert_true(off->float_data[i] == (float)mean[i]);
    const Onnx__TensorProto *cl = init_named(mp, "label_classes");
    assert_int_equal(cl->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    assert_int_equal(cl->n_int64_data, 2);
    assert_int_equal(cl->int64_data[0], -1);
    assert_int_equal(cl->int64_data[1], 3);
    const Onnx__TensorProto *w = init_named(mp, "scores_coef");
    assert_int_equal(w->n_dims, 2);
    assert_int_equal(w->dims[0], F);
    assert_int_equal(w->dims[1], 1);

    /* The graph ends in the model's output names. */
    assert_string_equal(node_op(mp, "Concat", 0)->output[0], "probabilities");
    assert_int_equal(attr_int(node_op(mp, "Concat", 0), "axis"), 1);
    assert_string_equal(node_op(mp, "Gather", 0)->output[0], "label");
    assert_int_equal(attr_int(node_op(mp, "Cast", 0), "to"),
                     ONNX__TENSOR_PROTO__DATA_TYPE__INT64);

    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

static void test_float64(void **state)
{
    (void)state;
    static const char *const opts[] = { "dtype", "float64", NULL };
    skc_model *m = logreg(2, 1, "logistic_binary");
    Onnx__ModelProto *mp = write_ok(m, opts);

    assert_value(mp->graph->input[0], "X", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 2, F);
    assert_value(mp->graph->output[0], "label", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, 1, 0);
    assert_value(mp->graph->output[1], "probabilities",
                 ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 2, 2);
    const Onnx__TensorProto *sc = init_named(mp, "scale_out_scale");
    assert_int_equal(sc->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE);
    assert_int_equal(sc->n_double_data, F);
    assert_memory_equal(sc->double_data, iscale, sizeof(iscale));
    const Onnx__TensorProto *one = init_named(mp, "probabilities_one");
    assert_int_equal(one->n_dims, 0);
    assert_true(one->double_data[0] == 1.0);
    const Onnx__TensorProto *cl = init_named(mp, "label_classes");
    assert_int_equal(cl->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__STRING);
    assert_int_equal(cl->n_string_data, 2);
    assert_int_equal(cl->string_data[1].len, 3);
    assert_memory_equal(cl->string_data[1].data, "dog", 3);

    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

static void test_softmax_strings(void **state)
{
    (void)state;
    skc_model *m = logreg(3, 1, "softmax");
    Onnx__ModelProto *mp = write_ok(m, NULL);

    assert_ops(mp, "Sub,Mul,MatMul,Add,Softmax,ArgMax,Gather");
    assert_int_equal(attr_int(node_op(mp, "Softmax", 0), "axis"), 1);
    const Onnx__NodeProto *am = node_op(mp, "ArgMax", 0);
    assert_int_equal(attr_int(am, "axis"), 1);
    assert_int_equal(attr_int(am, "keepdims"), 0);
    assert_value(mp->graph->output[0], "label", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, 1, 0);
    assert_value(mp->graph->output[1], "probabilities",
                 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, 3);
    /* The scores feed both the softmax and the argmax. */
    assert_string_equal(node_op(mp, "Softmax", 0)->input[0], "scores");
    assert_string_equal(am->input[0], "scores");

    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

static void test_ovr_reduce_sum_axes_input(void **state)
{
    (void)state;
    static const char *const opts[] = { "opset", "13", NULL };
    skc_model *m = logreg(3, 0, "logistic_ovr");
    Onnx__ModelProto *mp = write_ok(m, opts);

    assert_int_equal(mp->ir_version, 7);
    assert_ops(mp, "Sub,Mul,MatMul,Add,Sigmoid,ReduceSum,Equal,Where,ReduceSum,"
                   "Div,ArgMax,Gather");
    /* ReduceSum-13: axes moved from an attribute to the second input. */
    const Onnx__NodeProto *rs = node_op(mp, "ReduceSum", 0);
    assert_int_equal(rs->n_input, 2);
    const Onnx__TensorProto *axes = init_named(mp, rs->input[1]);
    assert_int_equal(axes->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    assert_int_equal(axes->int64_data[0], 1);
    assert_int_equal(attr_int(rs, "keepdims"), 1);
    assert_string_equal(node_op(mp, "Div", 0)->output[0], "probabilities");

    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

static void test_linear_regression(void **state)
{
    (void)state;
    skc_model *m1 = linreg(1, 0);
    Onnx__ModelProto *mp = write_ok(m1, NULL);
    /* No intercept: MatMul alone writes the output. */
    assert_ops(mp, "MatMul");
    assert_value(mp->graph->output[0], "variable",
                 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, 1);
    assert_string_equal(mp->graph->node[0]->output[0], "variable");
    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m1);

    static const char *const opts[] = { "dtype", "float64", NULL };
    skc_model *m3 = linreg(3, 1);
    mp = write_ok(m3, opts);
    assert_ops(mp, "MatMul,Add");
    assert_value(mp->graph->output[0], "variable",
                 ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 2, 3);
    /* coef [T, F] is stored transposed as [F, T] for MatMul. */
    const Onnx__TensorProto *w = init_named(mp, "variable_coef");
    assert_int_equal(w->dims[0], F);
    assert_int_equal(w->dims[1], 3);
    static const double wt[9] = { 1, 4, 7, 2, 5, 8, 3, 6, 9 };
    assert_memory_equal(w->double_data, wt, sizeof(wt));
    const Onnx__TensorProto *b = init_named(mp, "variable_intercept");
    assert_true(b->double_data[0] == 0.5 && b->double_data[2] == -1.5);
    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m3);
}

static void test_minmax_clip(void **state)
{
    (void)state;
    static const double zero[F] = { 0, 0, 0 }, sc[F] = { 0.5, 0.25, 2 },
                        mn[F] = { -0.5, 0.75, 0 };
    const int64_t shape[2] = { -1, F };
    skc_model *m = new_model();
    skc_step *s = add_step(m, "scaler", "X", "mm");
    set_tensor(s, "offset", vec(zero, F));
    set_tensor(s, "scale", vec(sc, F));
    set_tensor(s, "bias", vec(mn, F));
    s = add_step(m, "clip", "mm", "variable");
    assert_int_equal(skc_step_set_float(s, "min", 0.0), 0);
    assert_int_equal(skc_step_set_float(s, "max", 1.0), 0);
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, shape), 0);

    Onnx__ModelProto *mp = write_ok(m, NULL);
    /* offset 0 changes nothing, so there is no Sub. */
    assert_ops(mp, "Mul,Add,Clip");
    const Onnx__NodeProto *clip = node_op(mp, "Clip", 0);
    assert_int_equal(clip->n_input, 3);
    const Onnx__TensorProto *lo = init_named(mp, clip->input[1]);
    const Onnx__TensorProto *hi = init_named(mp, clip->input[2]);
    assert_int_equal(lo->n_dims, 0);
    assert_true(lo->float_data[0] == 0.0f && hi->float_data[0] == 1.0f);
    assert_string_equal(clip->output[0], "variable");

    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

static void test_opset_sets_ir_version(void **state)
{
    (void)state;
    static const struct { const char *opset; int64_t ir; } cases[] = {
        { "13", 7 }, { "14", 7 }, { "15", 8 }, { "18", 8 }, { "19", 9 },
        { "20", 9 }, { "21", 10 },
    };
    skc_model *m = linreg(1, 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *opts[] = { "opset", cases[i].opset, NULL };
        Onnx__ModelProto *mp = write_ok(m, opts);
        assert_int_equal(mp->ir_version, cases[i].ir);
        assert_int_equal(mp->opset_import[0]->version, atoi(cases[i].opset));
        /* No ML operator is used, so ai.onnx.ml is not imported. */
        assert_int_equal(mp->n_opset_import, 1);
        onnx__model_proto__free_unpacked(mp, NULL);
    }
    skc_model_free(m);
}

static void test_refused_options(void **state)
{
    (void)state;
    static const char *const ext[] = { "external_data", "true", NULL };
    static const char *const low[] = { "opset", "12", NULL };
    static const char *const dt[] = { "dtype", "float16", NULL };
    static const char *const ml[] = { "ml_opset", "0", NULL };
    static const char *const ok[] = { "zipmap", "false", "external_data", "no",
                                      "ml_opset", "5", NULL };
    skc_model *m = logreg(2, 0, "logistic_binary");
    Onnx__ModelProto *mp;
    char err[512];

    /* No tensor of 1 KiB: nothing goes outside, so a memory stream will do
     * (tests/cli/test_external_data.py writes real side files). */
    assert_int_equal(write_opts(m, ext, NULL, err, sizeof(err)), 0);
    assert_int_equal(write_opts(m, low, NULL, err, sizeof(err)), SKC_E_INVAL);
    assert_int_equal(write_opts(m, dt, NULL, err, sizeof(err)), SKC_E_INVAL);
    assert_int_equal(write_opts(m, ml, NULL, err, sizeof(err)), SKC_E_INVAL);
    assert_int_equal(write_opts(m, ok, &mp, err, sizeof(err)), 0);
    assert_int_equal(mp->n_opset_import, 1);
    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

/* zipmap=true: probabilities become ZipMap's sequence of maps keyed by
 * the label step's classes; refused for a model without class labels and
 * with dtype=float64 (ZipMap's values are float32). */
static void test_zipmap(void **state)
{
    (void)state;
    static const char *const zip[] = { "zipmap", "true", NULL };
    static const char *const zip64[] = { "zipmap", "true", "dtype", "float64", NULL };
    char err[512];

    for (int strings = 0; strings < 2; strings++) {
        skc_model *m = logreg(3, strings, "softmax");
        assert_int_equal(write_opts(m, zip64, NULL, err, sizeof(err)), SKC_E_UNSUPPORTED);
        assert_non_null(strstr(err, "dtype=float64"));
        {
            Onnx__ModelProto *mp = write_ok(m, zip);
            const Onnx__NodeProto *z = node_op(mp, "ZipMap", 0);
            assert_non_null(z);
            assert_string_equal(z->output[0], "probabilities");
            assert_int_equal(z->n_attribute, 1);
            assert_string_equal(z->attribute[0]->name,
                                strings ? "classlabels_strings" : "classlabels_int64s");
            if (strings) {
                assert_int_equal(z->attribute[0]->n_strings, 3);
                assert_memory_equal(z->attribute[0]->strings[1].data, "dog", 3);
            } else {
                assert_int_equal(z->attribute[0]->n_ints, 3);
                assert_int_equal(z->attribute[0]->ints[0], -1);
                assert_int_equal(z->attribute[0]->ints[2], 7);
            }
            const Onnx__ValueInfoProto *po = NULL;
            for (size_t i = 0; i < mp->graph->n_output; i++)
                if (strcmp(mp->graph->output[i]->name, "probabilities") == 0)
                    po = mp->graph->output[i];
            assert_non_null(po);
            assert_int_equal(po->type->value_case, ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE);
            const Onnx__TypeProto__Map *mt = po->type->sequence_type->elem_type->map_type;
            assert_int_equal(mt->key_type, strings ? ONNX__TENSOR_PROTO__DATA_TYPE__STRING
                                                   : ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
            assert_int_equal(mt->value_type->tensor_type->elem_type,
                             ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
            onnx__model_proto__free_unpacked(mp, NULL);
        }
        skc_model_free(m);
    }
    skc_model *r = linreg(1, 1);
    assert_int_equal(write_opts(r, zip, NULL, err, sizeof(err)), SKC_E_UNSUPPORTED);
    assert_non_null(strstr(err, "zipmap"));
    skc_model_free(r);
}

static void test_names_sanitised_and_unique(void **state)
{
    (void)state;
    const int64_t shape[2] = { -1, F };
    skc_model *m = new_model();
    add_step(m, "identity", "X", "a.b/c");
    add_step(m, "identity", "a.b/c", "a_b_c");
    add_step(m, "identity", "a_b_c", "9lives");
    add_standard_scaler(m, "offset");  /* an IR name equal to a constant's hint */
    add_step(m, "identity", "9lives", "variable");
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, shape), 0);
    assert_int_equal(skc_model_add_output(m, "offset", SKC_DT_F64, 2, shape), 0);

    Onnx__ModelProto *mp = write_ok(m, NULL);
    assert_ops(mp, "Identity,Identity,Identity,Sub,Mul,Identity");
    Onnx__NodeProto **n = mp->graph->node;
    assert_string_equal(n[0]->input[0], "X");
    assert_string_equal(n[0]->output[0], "a_b_c");
    assert_string_equal(n[1]->input[0], "a_b_c");
    assert_string_equal(n[1]->output[0], "a_b_c_1");
    assert_string_equal(n[2]->output[0], "_9lives");
    /* Model outputs keep their names; the constant steps aside. */
    assert_string_equal(n[4]->output[0], "offset");
    assert_string_not_equal(n[3]->input[1], "offset");
    assert_string_equal(n[5]->output[0], "variable");
    /* Every value name is produced once. */
    for (size_t i = 0; i < mp->graph->n_node; i++)
        for (size_t j = 0; j < mp->graph->n_initializer; j++)
            assert_string_not_equal(n[i]->output[0], mp->graph->initializer[j]->name);

    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

static void test_integer_input_is_cast(void **state)
{
    (void)state;
    const int64_t shape[2] = { -1, F };
    skc_model *m;
    assert_int_equal(skc_model_new(&m), 0);
    assert_int_equal(skc_model_add_input(m, "X", SKC_DT_I64, 2, shape), 0);
    skc_step *s = add_step(m, "scaler", "X", "variable");
    set_tensor(s, "offset", vec(mean, F));
    set_tensor(s, "scale", vec(iscale, F));
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, shape), 0);

    Onnx__ModelProto *mp = write_ok(m, NULL);
    assert_value(mp->graph->input[0], "X", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 2, F);
    assert_ops(mp, "Cast,Sub,Mul");
    assert_int_equal(attr_int(mp->graph->node[0], "to"),
                     ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    assert_int_equal(mp->n_metadata_props, 0);
    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

static void test_bad_step_is_refused(void **state)
{
    (void)state;
    static const double coef[2 * F] = { 0 };
    static const double icpt[3] = { 0 };
    const int64_t shape[2] = { -1, 2 };
    skc_model *m = new_model();
    skc_step *s = add_step(m, "linear", "X", "variable");
    set_tensor(s, "coef", mat(coef, 2, F));
    set_tensor(s, "intercept", vec(icpt, 3));  /* 3 values for 2 rows */
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, shape), 0);
    char err[512];
    assert_int_equal(write_opts(m, NULL, NULL, err, sizeof(err)), SKC_E_FORMAT);
    assert_non_null(strstr(err, "intercept"));
    skc_model_free(m);
}

static void test_float32_overflow_warns(void **state)
{
    (void)state;
    static const double coef[F] = { 1e300, -1e300, 1.0 };
    static const double icpt[1] = { 0.0 };
    static const char *const f64[] = { "dtype", "float64", NULL };
    const int64_t shape[2] = { -1, 1 };
    skc_model *m = new_model();
    skc_step *s = add_step(m, "linear", "X", "variable");
    set_tensor(s, "coef", mat(coef, 1, F));
    set_tensor(s, "intercept", vec(icpt, 1));
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, shape), 0);

    Onnx__ModelProto *mp = write_ok(m, NULL);
    assert_int_equal(last_warnings, 1);
    const Onnx__TensorProto *w = init_named(mp, "variable_coef");
    assert_true(isinf(w->float_data[0]) && w->float_data[0] > 0);
    assert_true(isinf(w->float_data[1]) && w->float_data[1] < 0);
    onnx__model_proto__free_unpacked(mp, NULL);

    mp = write_ok(m, f64);
    assert_int_equal(last_warnings, 0);
    onnx__model_proto__free_unpacked(mp, NULL);
    skc_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_header_and_binary_logreg),
        cmocka_unit_test(test_float64),
        cmocka_unit_test(test_softmax_strings),
        cmocka_unit_test(test_ovr_reduce_sum_axes_input),
        cmocka_unit_test(test_linear_regression),
        cmocka_unit_test(test_minmax_clip),
        cmocka_unit_test(test_opset_sets_ir_version),
        cmocka_unit_test(test_zipmap),
        cmocka_unit_test(test_refused_options),
        cmocka_unit_test(test_names_sanitised_and_unique),
        cmocka_unit_test(test_integer_input_is_cast),
        cmocka_unit_test(test_bad_step_is_refused),
        cmocka_unit_test(test_float32_overflow_warns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
