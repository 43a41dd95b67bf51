/* SPDX-License-Identifier: MIT */
/* test_onnx_read.c: the ONNX reader: probing, lifting each op family into mirror ops, and hostile files refused cleanly. */
/*
 * Models are built with protobuf-c's generated structs, packed to bytes
 * and read through the "onnx" format found via SKCONV_PLUGIN_PATH. Values
 * are checked against hand-computed results; tests/onnx/check_reader.py
 * compares the same families with ONNX Runtime. The damage tests truncate
 * and flip every byte of a model: every outcome must be a clean status
 * (and, when a damaged file still reads, evaluation must not crash).
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

static skc_context *ctx;
static const skc_format *fmt;

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
    return fmt && (fmt->caps & SKC_CAP_READ) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    skc_context_free(ctx);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Building models (everything static or leaked into a pool freed at   */
/* the end of each test: simple and enough for small graphs).          */
/* ------------------------------------------------------------------ */

#define POOL_MAX 4096
static void *pool[POOL_MAX];
static int pool_n;

static void *zalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    assert_non_null(p);
    assert_true(pool_n < POOL_MAX);
    pool[pool_n++] = p;
    return p;
}

static void pool_free(void)
{
    while (pool_n > 0)
        free(pool[--pool_n]);
}

static char *dup(const char *s)
{
    char *d = zalloc(strlen(s) + 1);
    memcpy(d, s, strlen(s));
    return d;
}

typedef struct gb {
    Onnx__GraphProto g;
    Onnx__NodeProto *nodes[64];
    Onnx__TensorProto *inits[64];
    Onnx__ValueInfoProto *ins[8], *outs[16];
} gb;

static void gb_init(gb *b)
{
    memset(b, 0, sizeof(*b));
    onnx__graph_proto__init(&b->g);
    b->g.name = "g";
    b->g.node = b->nodes;
    b->g.initializer = b->inits;
    b->g.input = b->ins;
    b->g.output = b->outs;
}

static Onnx__ValueInfoProto *value(const char *name, int elem, int ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = zalloc(sizeof(*v));
    Onnx__TypeProto *tp = zalloc(sizeof(*tp));
    Onnx__TypeProto__Tensor *tt = zalloc(sizeof(*tt));
    int i;

    onnx__value_info_proto__init(v);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    v->name = dup(name);
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    if (ndim >= 0) {
        Onnx__TensorShapeProto *sh = zalloc(sizeof(*sh));
        onnx__tensor_shape_proto__init(sh);
        sh->n_dim = (size_t)ndim;
        sh->dim = zalloc((size_t)(ndim + 1) * sizeof(*sh->dim));
        for (i = 0; i < ndim; i++) {
            Onnx__TensorShapeProto__Dimension *d = zalloc(sizeof(*d));
            onnx__tensor_shape_proto__dimension__init(d);
            if (dims[i] >= 0) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                d->dim_value = dims[i];
            } else {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                d->dim_param = "N";
            }
            sh->dim[i] = d;
        }
        tt->shape = sh;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->type = tp;
    return v;
}

static void gb_input(gb *b, const char *name, int elem, int64_t cols)
{
    int64_t d[2] = { -1, cols };
    b->ins[b->g.n_input++] = value(name, elem, 2, d);
}

static void gb_output(gb *b, const char *name, int elem)
{
    b->outs[b->g.n_output++] = value(name, elem, -1, NULL);
}

/* A TensorProto of float (@p is_int 0) or int64 values in the typed field. */
static Onnx__TensorProto *tensor_of(const char *name, int is_int, int ndim, const int64_t *dims,
                                    const void *v, size_t n)
{
    Onnx__TensorProto *t = zalloc(sizeof(*t));
    size_t es = is_int ? sizeof(int64_t) : sizeof(float);
    void *d = zalloc(n * es);

    onnx__tensor_proto__init(t);
    t->name = name ? dup(name) : NULL;
    t->has_data_type = 1;
    t->data_type = is_int ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64 : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_dims = (size_t)ndim;
    t->dims = zalloc((size_t)(ndim + 1) * sizeof(int64_t));
    memcpy(t->dims, dims, (size_t)ndim * sizeof(int64_t));
    memcpy(d, v, n * es);
    if (is_int) {
        t->n_int64_data = n;
        t->int64_data = d;
    } else {
        t->n_float_data = n;
        t->float_data = d;
    }
    return t;
}

static Onnx__TensorProto *tensor_f(const char *name, int ndim, const int64_t *dims,
                                   const float *v, size_t n)
{
    return tensor_of(name, 0, ndim, dims, v, n);
}

static void gb_init_f(gb *b, const char *name, int ndim, const int64_t *dims, const float *v,
                      size_t n)
{
    b->inits[b->g.n_initializer++] = tensor_f(name, ndim, dims, v, n);
}

static void gb_init_i(gb *b, const char *name, const int64_t *v, size_t n)
{
    int64_t d = (int64_t)n;
    b->inits[b->g.n_initializer++] = tensor_of(name, 1, 1, &d, v, n);
}

/* A node "op(in...) -> out..." with in/out given as comma lists. */
static Onnx__NodeProto *gb_node(gb *b, const char *op, const char *domain, const char *ins,
                                const char *outs)
{
    Onnx__NodeProto *n = zalloc(sizeof(*n));
    const char *lists[2] = { ins, outs };
    int k;

    onnx__node_proto__init(n);
    n->op_type = dup(op);
    n->domain = domain ? dup(domain) : NULL;
    n->attribute = zalloc(32 * sizeof(*n->attribute));
    for (k = 0; k < 2; k++) {
        char **v = zalloc(16 * sizeof(char *));
        size_t cnt = 0;
        const char *p = lists[k];
        while (p && *p) {
            const char *c = strchr(p, ',');
            size_t len = c ? (size_t)(c - p) : strlen(p);
            char *s = zalloc(len + 1);
            memcpy(s, p, len);
            v[cnt++] = s;
            p = c ? c + 1 : NULL;
            if (c && !*p)
                v[cnt++] = dup("");
        }
        if (k == 0) {
            n->input = v;
            n->n_input = cnt;
        } else {
            n->output = v;
            n->n_output = cnt;
        }
    }
    b->nodes[b->g.n_node++] = n;
    return n;
}

static Onnx__AttributeProto *attr(Onnx__NodeProto *n, const char *name, int type)
{
    Onnx__AttributeProto *a = zalloc(sizeof(*a));
    onnx__attribute_proto__init(a);
    a->name = dup(name);
    a->has_type = 1;
    a->type = type;
    n->attribute[n->n_attribute++] = a;
    return a;
}

static void attr_i(Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void attr_f(Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

static void attr_s(Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.data = (uint8_t *)dup(v);
    a->s.len = strlen(v);
}

static void attr_fs(Onnx__NodeProto *n, const char *name, const float *v, size_t cnt)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->floats = zalloc(cnt * sizeof(float));
    memcpy(a->floats, v, cnt * sizeof(float));
    a->n_floats = cnt;
}

static void attr_is(Onnx__NodeProto *n, const char *name, const int64_t *v, size_t cnt)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->ints = zalloc(cnt * sizeof(int64_t));
    memcpy(a->ints, v, cnt * sizeof(int64_t));
    a->n_ints = cnt;
}

static void attr_ss(Onnx__NodeProto *n, const char *name, const char *const *v, size_t cnt)
{
    Onnx__AttributeProto *a = attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    size_t i;
    a->strings = zalloc(cnt * sizeof(*a->strings));
    for (i = 0; i < cnt; i++) {
        a->strings[i].data = (uint8_t *)dup(v[i]);
        a->strings[i].len = strlen(v[i]);
    }
    a->n_strings = cnt;
}

/* The packed ModelProto (malloc'd, caller frees). */
static uint8_t *pack(gb *b, int64_t opset, int64_t ml_opset, size_t *size)
{
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__OperatorSetIdProto o1 = ONNX__OPERATOR_SET_ID_PROTO__INIT, o2 = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *ops[2] = { &o1, &o2 };
    uint8_t *buf;

    m.has_ir_version = 1;
    m.ir_version = 8;
    o1.domain = "";
    o1.has_version = 1;
    o1.version = opset;
    o2.domain = "ai.onnx.ml";
    o2.has_version = 1;
    o2.version = ml_opset;
    m.opset_import = ops;
    m.n_opset_import = ml_opset ? 2 : 1;
    m.producer_name = "test_onnx_read";
    m.graph = &b->g;
    *size = onnx__model_proto__get_packed_size(&m);
    buf = malloc(*size);
    assert_non_null(buf);
    assert_int_equal(onnx__model_proto__pack(&m, buf), *size);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Reading and evaluating                                              */
/* ------------------------------------------------------------------ */

static char last_error[1024];

static int read_bytes_lim(const uint8_t *buf, size_t size, const skc_limits *lim, skc_model **out)
{
    skc_session *s;
    skc_stream *in;
    int rc;

    if (lim)
        assert_int_equal(skc_context_set_limits(ctx, lim), 0);
    assert_int_equal(skc_session_new(ctx, fmt, "test.onnx", &s), 0);
    assert_int_equal(skc_stream_open_memory(buf, size, &in), 0);
    *out = NULL;
    rc = skc_session_read(s, in, out);
    snprintf(last_error, sizeof(last_error), "%s", skc_session_error(s));
    skc_session_free(s);
    skc_stream_free(in);
    if (lim) {
        skc_limits d;
        skc_limits_default(&d);
        assert_int_equal(skc_context_set_limits(ctx, &d), 0);
    }
    return rc;
}

static int read_bytes(const uint8_t *buf, size_t size, skc_model **out)
{
    return read_bytes_lim(buf, size, NULL, out);
}

static skc_model *read_ok(gb *b, int64_t opset, int64_t ml)
{
    size_t size;
    uint8_t *buf = pack(b, opset, ml, &size);
    skc_model *m = NULL;
    int rc = read_bytes(buf, size, &m);

    if (rc)
        print_error("read failed (%d): %s\n", rc, last_error);
    assert_int_equal(rc, 0);
    free(buf);
    return m;
}

static skc_tensor *rows(const double *v, int64_t n, int64_t f)
{
    const int64_t shape[2] = { n, f };
    skc_tensor *t;
    assert_int_equal(skc_tensor_new(SKC_DT_F64, 2, shape, &t), 0);
    memcpy(skc_tensor_data_mut(t), v, (size_t)(n * f) * sizeof(double));
    return t;
}

/* Evaluate the one-input model on @p x; outputs in out[]. */
static void eval(skc_model *m, skc_tensor *x, skc_tensor **out)
{
    const skc_tensor *in[1] = { x };
    char err[512] = "";
    int rc = skc_model_eval(m, in, out, err, sizeof(err));

    if (rc)
        print_error("eval failed (%d): %s\n", rc, err);
    assert_int_equal(rc, 0);
}

static void free_outs(skc_tensor **out, int n)
{
    int i;
    for (i = 0; i < n; i++)
        skc_tensor_free(out[i]);
}

#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* ------------------------------------------------------------------ */
/* Probe                                                               */
/* ------------------------------------------------------------------ */

static int probe(const uint8_t *buf, size_t size)
{
    uint8_t pad[4096 + 32];
    skc_probe_data p;

    memset(pad, 0, sizeof(pad));
    memcpy(pad, buf, size < 4096 ? size : 4096);
    p.buf = pad;
    p.size = size < 4096 ? size : 4096;
    p.filename = NULL;
    return fmt->probe(&p);
}

static void test_probe(void **state)
{
    static const uint8_t pickle[] = { 0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x8c };
    static const uint8_t zlib[] = { 0x78, 0x9c, 0x01, 0x02, 0x03 };
    static const uint8_t skm[] = "\x89SKM\r\n\x1a\n\x01\x00";
    static const uint8_t text[] = "hello, world\n";
    gb b;
    size_t size;
    uint8_t *buf;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "Y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_node(&b, "Identity", NULL, "X", "Y");
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(probe(buf, size), 80);
    free(buf);
    assert_int_equal(probe(pickle, sizeof(pickle)), 0);
    assert_int_equal(probe(zlib, sizeof(zlib)), 0);
    assert_int_equal(probe(skm, sizeof(skm) - 1), 0);
    assert_int_equal(probe(text, sizeof(text) - 1), 0);
    pool_free();
}

/* ------------------------------------------------------------------ */
/* Op families                                                         */
/* ------------------------------------------------------------------ */

/* MatMul + Add + Softmax + ArgMax, and metadata_props. */
static void test_linear_softmax(void **state)
{
    static const float w[6] = { 1, 0, 0, 1, 1, -1 };
    static const float bias[2] = { 0.5f, -0.5f };
    static const double x[6] = { 1, 2, 3, 0, 0, 0 };
    const int64_t wd[2] = { 3, 2 }, bd[1] = { 2 };
    gb b;
    skc_model *m;
    skc_tensor *xt, *out[2] = { 0 };
    Onnx__NodeProto *n;
    const float *p;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3);
    gb_output(&b, "probabilities", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_output(&b, "label", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    gb_init_f(&b, "W", 2, wd, w, 6);
    gb_init_f(&b, "B", 1, bd, bias, 2);
    gb_node(&b, "MatMul", NULL, "X,W", "xw");
    gb_node(&b, "Add", NULL, "xw,B", "s");
    n = gb_node(&b, "Softmax", NULL, "s", "probabilities");
    attr_i(n, "axis", 1);
    n = gb_node(&b, "ArgMax", NULL, "s", "label");
    attr_i(n, "axis", 1);
    attr_i(n, "keepdims", 0);
    m = read_ok(&b, 17, 0);
    assert_string_equal(skc_step_op(skc_model_step(m, 0)), "onnx.Constant");
    assert_string_equal(skc_model_get_meta(m, "source.format"), "onnx");
    assert_int_equal(skc_model_input_dtype(m, 0), SKC_DT_F32);
    xt = rows(x, 2, 3);
    eval(m, xt, out);
    /* row 0: s = [1+3+0.5, 2-3-0.5] = [4.5, -1.5] */
    assert_int_equal(skc_tensor_dtype(out[0]), SKC_DT_F32);
    p = skc_tensor_data(out[0]);
    assert_near(p[0], 1.0 / (1.0 + exp(-6.0)), 1e-6);
    /* row 1: s = [0.5, -0.5] */
    assert_near(p[2], 1.0 / (1.0 + exp(-1.0)), 1e-6);
    assert_int_equal(((const int64_t *)skc_tensor_data(out[1]))[0], 0);
    assert_int_equal(((const int64_t *)skc_tensor_data(out[1]))[1], 0);
    free_outs(out, 2);
    skc_tensor_free(xt);
    skc_model_free(m);
    pool_free();
}

/* Shape ops: Reshape, Transpose, Gather, Slice, Concat, Squeeze. */
static void test_shape_ops(void **state)
{
    static const int64_t shp[3] = { -1, 2, 2 }, perm[3] = { 0, 2, 1 }, gi[2] = { 3, 0 };
    static const int64_t st[1] = { 1 }, en[1] = { 3 }, ax[1] = { 1 };
    static const double x[4] = { 1, 2, 3, 4 };
    gb b;
    skc_model *m;
    skc_tensor *xt, *out[4] = { 0 };
    Onnx__NodeProto *n;
    const float *p;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4);
    gb_output(&b, "t", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_output(&b, "g", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_output(&b, "sl", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_output(&b, "cat", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_init_i(&b, "shp", shp, 3);
    gb_init_i(&b, "gi", gi, 2);
    gb_init_i(&b, "st", st, 1);
    gb_init_i(&b, "en", en, 1);
    gb_init_i(&b, "ax", ax, 1);
    gb_node(&b, "Reshape", NULL, "X,shp", "r");
    n = gb_node(&b, "Transpose", NULL, "r", "t");
    attr_is(n, "perm", perm, 3);
    n = gb_node(&b, "Gather", NULL, "X,gi", "g");
    attr_i(n, "axis", 1);
    gb_node(&b, "Slice", NULL, "X,st,en,ax", "sl");
    n = gb_node(&b, "Concat", NULL, "g,sl", "cat");
    attr_i(n, "axis", 1);
    m = read_ok(&b, 17, 0);
    xt = rows(x, 1, 4);
    eval(m, xt, out);
    /* r = [[1,2],[3,4]] -> t = [[1,3],[2,4]] */
    assert_int_equal(skc_tensor_ndim(out[0]), 3);
    p = skc_tensor_data(out[0]);
    assert_near(p[1], 3, 0);
    assert_near(p[2], 2, 0);
    p = skc_tensor_data(out[1]);
    assert_near(p[0], 4, 0);
    assert_near(p[1], 1, 0);
    p = skc_tensor_data(out[3]);
    assert_int_equal(skc_tensor_shape(out[3])[1], 4);
    assert_near(p[2], 2, 0);
    assert_near(p[3], 3, 0);
    free_outs(out, 4);
    skc_tensor_free(xt);
    skc_model_free(m);
    pool_free();
}

/* Reductions, comparisons, Where and Cast (int and string). */
static void test_reduce_compare_cast(void **state)
{
    static const int64_t ax[1] = { 1 };
    static const float zero[1] = { 0 };
    static const double x[6] = { 1, -2, 3, -4, 5, -6 };
    const int64_t scalar[1] = { 1 };
    gb b;
    skc_model *m;
    skc_tensor *xt, *out[5] = { 0 };
    Onnx__NodeProto *n;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3);
    gb_output(&b, "leaky", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_output(&b, "sum", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_output(&b, "pos", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_output(&b, "str", ONNX__TENSOR_PROTO__DATA_TYPE__STRING);
    gb_output(&b, "back", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    gb_init_i(&b, "ax", ax, 1);
    gb_init_f(&b, "zero", 1, scalar, zero, 1);
    n = gb_node(&b, "LeakyRelu", NULL, "X", "leaky");
    attr_f(n, "alpha", 0.25f);
    n = gb_node(&b, "ReduceSum", NULL, "X,ax", "sum");
    attr_i(n, "keepdims", 0);
    gb_node(&b, "Greater", NULL, "X,zero", "gt");
    gb_node(&b, "Where", NULL, "gt,X,zero", "pos");
    n = gb_node(&b, "Cast", NULL, "X", "i");
    attr_i(n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    n = gb_node(&b, "Cast", NULL, "i", "str");
    attr_i(n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__STRING);
    n = gb_node(&b, "Cast", NULL, "str", "back");
    attr_i(n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    m = read_ok(&b, 17, 0);
    xt = rows(x, 2, 3);
    eval(m, xt, out);
    assert_near(((const float *)skc_tensor_data(out[0]))[1], -0.5, 0);
    assert_int_equal(skc_tensor_ndim(out[1]), 1);
    assert_near(((const float *)skc_tensor_data(out[1]))[0], 2, 0);
    assert_near(((const float *)skc_tensor_data(out[1]))[1], -5, 0);
    assert_near(((const float *)skc_tensor_data(out[2]))[1], 0, 0);
    assert_near(((const float *)skc_tensor_data(out[2]))[4], 5, 0);
    assert_string_equal(skc_tensor_string(out[3], 3, NULL), "-4");
    assert_int_equal(((const int64_t *)skc_tensor_data(out[4]))[5], -6);
    free_outs(out, 5);
    skc_tensor_free(xt);
    skc_model_free(m);
    pool_free();
}

/* skl2onnx's binary LogisticRegression: LinearClassifier + Normalizer + ZipMap. */
static void test_ml_linear_zipmap(void **state)
{
    static const float coef[4] = { -1, -2, 1, 2 }, icpt[2] = { -0.5f, 0.5f };
    static const int64_t labels[2] = { 0, 1 };
    static const double x[4] = { 1, 1, -1, -1 };
    gb b;
    skc_model *m;
    skc_tensor *xt, *out[2] = { 0 };
    Onnx__NodeProto *n;
    const float *p;
    double s;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "label", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    gb_output(&b, "output_probability", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    n = gb_node(&b, "LinearClassifier", "ai.onnx.ml", "X", "label,raw");
    attr_fs(n, "coefficients", coef, 4);
    attr_fs(n, "intercepts", icpt, 2);
    attr_is(n, "classlabels_ints", labels, 2);
    attr_s(n, "post_transform", "LOGISTIC");
    n = gb_node(&b, "Normalizer", "ai.onnx.ml", "raw", "probabilities");
    attr_s(n, "norm", "L1");
    n = gb_node(&b, "ZipMap", "ai.onnx.ml", "probabilities", "output_probability");
    attr_is(n, "classlabels_int64s", labels, 2);
    m = read_ok(&b, 17, 1);
    xt = rows(x, 2, 2);
    eval(m, xt, out);
    assert_int_equal(((const int64_t *)skc_tensor_data(out[0]))[0], 1);
    assert_int_equal(((const int64_t *)skc_tensor_data(out[0]))[1], 0);
    p = skc_tensor_data(out[1]);
    s = 1.0 / (1.0 + exp(-3.5));
    assert_near(p[1], s, 1e-6);
    assert_near(p[0] + p[1], 1.0, 1e-6);
    free_outs(out, 2);
    skc_tensor_free(xt);
    skc_model_free(m);
    pool_free();
}

/* A two-tree TreeEnsembleRegressor (SUM) with NaN routed by
 * nodes_missing_value_tracks_true. */
static void test_ml_tree_regressor(void **state)
{
    static const int64_t tid[6] = { 0, 0, 0, 1, 1, 1 }, nid[6] = { 0, 1, 2, 0, 1, 2 };
    static const int64_t fid[6] = { 0, 0, 0, 1, 0, 0 }, tru[6] = { 1, 0, 0, 1, 0, 0 };
    static const int64_t fal[6] = { 2, 0, 0, 2, 0, 0 }, miss[6] = { 1, 0, 0, 0, 0, 0 };
    static const float vals[6] = { 0.5f, 0, 0, -1.0f, 0, 0 };
    static const char *const modes[6] = { "BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF" };
    static const int64_t wt[4] = { 0, 0, 1, 1 }, wn[4] = { 1, 2, 1, 2 }, wid[4] = { 0, 0, 0, 0 };
    static const float w[4] = { 1, 2, 10, 20 };
    double x[6] = { 0.5, 0, 0.6, -2, NAN, 5 };
    gb b;
    skc_model *m;
    skc_tensor *xt, *out[1] = { 0 };
    Onnx__NodeProto *n;
    const float *p;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "variable", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    n = gb_node(&b, "TreeEnsembleRegressor", "ai.onnx.ml", "X", "variable");
    attr_is(n, "nodes_treeids", tid, 6);
    attr_is(n, "nodes_nodeids", nid, 6);
    attr_is(n, "nodes_featureids", fid, 6);
    attr_is(n, "nodes_truenodeids", tru, 6);
    attr_is(n, "nodes_falsenodeids", fal, 6);
    attr_is(n, "nodes_missing_value_tracks_true", miss, 6);
    attr_fs(n, "nodes_values", vals, 6);
    attr_ss(n, "nodes_modes", modes, 6);
    attr_is(n, "target_treeids", wt, 4);
    attr_is(n, "target_nodeids", wn, 4);
    attr_is(n, "target_ids", wid, 4);
    attr_fs(n, "target_weights", w, 4);
    attr_i(n, "n_targets", 1);
    attr_fs(n, "base_values", vals, 1);
    m = read_ok(&b, 17, 1);
    xt = rows(x, 3, 2);
    eval(m, xt, out);
    p = skc_tensor_data(out[0]);
    /* row 0: x0 0.5 <= 0.5 -> 1; x1 0 < -1? no -> 20; + base 0.5 */
    assert_near(p[0], 21.5, 1e-6);
    /* row 1: 0.6 -> 2; -2 < -1 -> 10 */
    assert_near(p[1], 12.5, 1e-6);
    /* row 2: NaN tracks true -> 1; 5 -> 20 */
    assert_near(p[2], 21.5, 1e-6);
    free_outs(out, 1);
    skc_tensor_free(xt);
    skc_model_free(m);
    pool_free();
}

/* The input type of tree_regressor's graphs: float stays a mirror op;
 * double (ORT sums in double) is lifted into tree_ensemble. */
static int tree_elem = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;

/* A graph of one one-target TreeEnsembleRegressor from node and weight lists. */
static void tree_regressor(gb *b, const int64_t *tid, const int64_t *nid, const int64_t *tru,
                           const int64_t *fal, const int64_t *fid, const float *vals,
                           const char *const *modes, size_t n, const int64_t *wt,
                           const int64_t *wn, const float *w, size_t nw)
{
    static const int64_t zeros[8] = { 0 };
    Onnx__NodeProto *nd;

    gb_init(b);
    gb_input(b, "X", tree_elem, 2);
    gb_output(b, "variable", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    nd = gb_node(b, "TreeEnsembleRegressor", "ai.onnx.ml", "X", "variable");
    attr_is(nd, "nodes_treeids", tid, n);
    attr_is(nd, "nodes_nodeids", nid, n);
    attr_is(nd, "nodes_featureids", fid, n);
    attr_is(nd, "nodes_truenodeids", tru, n);
    attr_is(nd, "nodes_falsenodeids", fal, n);
    attr_fs(nd, "nodes_values", vals, n);
    attr_ss(nd, "nodes_modes", modes, n);
    attr_is(nd, "target_treeids", wt, nw);
    attr_is(nd, "target_nodeids", wn, nw);
    attr_is(nd, "target_ids", zeros, nw);
    attr_fs(nd, "target_weights", w, nw);
    attr_i(nd, "n_targets", 1);
}

/* Two trees of three nodes (a split, two leaves) and four weights, used
 * in node order and shuffled (tree 1 first, roots first, the weights of
 * leaf (0, 1) in their relative order): the tables of the sparse-weight
 * and lifting tests, which differ in their nodes_modes. */
static const int64_t tt_tid[6] = { 0, 0, 0, 1, 1, 1 }, tt_nid[6] = { 0, 1, 2, 0, 1, 2 };
static const int64_t tt_fid[6] = { 0, 0, 0, 1, 0, 0 }, tt_tru[6] = { 1, 0, 0, 1, 0, 0 };
static const int64_t tt_fal[6] = { 2, 0, 0, 2, 0, 0 };
static const float tt_vals[6] = { 0.5f, 0, 0.25f, -1.0f, 0, 0 };
static const int64_t tt_wt[4] = { 0, 0, 1, 1 }, tt_wn[4] = { 1, 1, 1, 2 };
static const float tt_w[4] = { 1, 7, 10, 20 };
static const int64_t tt_stid[6] = { 1, 1, 1, 0, 0, 0 }, tt_snid[6] = { 0, 2, 1, 0, 2, 1 };
static const int64_t tt_sfid[6] = { 1, 0, 0, 0, 0, 0 }, tt_stru[6] = { 1, 0, 0, 1, 0, 0 };
static const int64_t tt_sfal[6] = { 2, 0, 0, 2, 0, 0 };
static const float tt_svals[6] = { -1.0f, 0, 0, 0.5f, 0.25f, 0 };
static const int64_t tt_swt[4] = { 1, 0, 1, 0 }, tt_swn[4] = { 2, 1, 1, 1 };
static const float tt_sw[4] = { 20, 1, 10, 7 };

/* Writers leave out zero weights: with one target, a leaf without weights
 * adds its own nodes_values entry (ONNX Runtime 1.30: value_or_unique_weight
 * starts as it), never another leaf's weight; a leaf with several weights
 * adds the first listed. The same two trees in node order (the one-pass
 * build) and shuffled, tree 1 first (the sorted fallback). */
static void test_ml_tree_sparse_weights(void **state)
{
    static const char *const mo[6] = { "BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF" };
    /* Shuffled: tree 1 then tree 0, roots first, weights reordered with
     * leaf (0, 1)'s weights keeping their relative order. */
    static const char *const smo[6] = { "BRANCH_LT", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF" };
    double x[4] = { 0.5, 0, 0.6, -2 };
    int shuffled;

    (void)state;
    for (shuffled = 0; shuffled < 2; shuffled++) {
        gb b;
        skc_model *m;
        skc_tensor *xt = rows(x, 2, 2), *out[1] = { 0 };
        const float *p;
        if (shuffled)
            tree_regressor(&b, tt_stid, tt_snid, tt_stru, tt_sfal, tt_sfid, tt_svals, smo, 6,
                           tt_swt, tt_swn, tt_sw, 4);
        else
            tree_regressor(&b, tt_tid, tt_nid, tt_tru, tt_fal, tt_fid, tt_vals, mo, 6,
                           tt_wt, tt_wn, tt_w, 4);
        m = read_ok(&b, 17, 1);
        eval(m, xt, out);
        p = skc_tensor_data(out[0]);
        /* row 0: 0.5 <= 0.5 -> leaf (0, 1), first weight 1; 0 < -1? no -> 20 */
        assert_near(p[0], 21.0, 1e-6);
        /* row 1: 0.6 -> leaf (0, 2), no weight: its value 0.25; -2 < -1 -> 10 */
        assert_near(p[1], 10.25, 1e-6);
        free_outs(out, 1);
        skc_tensor_free(xt);
        skc_model_free(m);
        pool_free();
    }
}

/* Broken node tables are refused, in node order and in the fallback. */
static void test_ml_tree_bad_nodes(void **state)
{
    static const char *const mo[3] = { "BRANCH_LEQ", "LEAF", "LEAF" };
    static const int64_t fid[3] = { 0, 0, 0 }, fal[3] = { 2, 0, 0 };
    static const float vals[3] = { 0.5f, 0, 0 };
    static const int64_t wt[2] = { 0, 0 }, wn[2] = { 1, 2 }, bad_wn[2] = { 1, 3 };
    static const float w[2] = { 1, 2 };
    static const int64_t tid[3] = { 0, 0, 0 }, nid[3] = { 0, 1, 2 }, dup[3] = { 0, 2, 2 };
    static const int64_t tru_ok[3] = { 1, 0, 0 }, tru_missing[3] = { 3, 0, 0 }, tru_self[3] = { 0, 0, 0 };
    static const int64_t unordered[3] = { 0, 2, 1 };
    struct {
        const int64_t *nid, *tru, *wn;
    } cases[] = {
        { nid, tru_missing, wn },        /* child 3 does not exist */
        { nid, tru_self, wn },           /* the root points to itself */
        { nid, tru_ok, bad_wn },         /* a weight on node 3 */
        { dup, tru_ok, wn },             /* node 2 twice (fallback) */
        { unordered, tru_missing, wn },  /* fallback: child 3 */
    };
    size_t i;

    (void)state;
    for (i = 0; i < 2 * sizeof(cases) / sizeof(cases[0]); i++) {
        gb b;
        skc_model *m = NULL;
        size_t size, c = i % (sizeof(cases) / sizeof(cases[0]));
        uint8_t *buf;

        tree_elem = i < sizeof(cases) / sizeof(cases[0]) ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
                                                         : ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
        tree_regressor(&b, tid, cases[c].nid, cases[c].tru, fal, fid, vals, mo, 3, wt, cases[c].wn,
                       w, 2);
        buf = pack(&b, 17, 1, &size);
        assert_int_not_equal(read_bytes(buf, size, &m), 0);
        assert_null(m);
        free(buf);
        pool_free();
    }
    tree_elem = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
}


/* The step ops of @p m, joined by spaces. */
static void step_ops(const skc_model *m, char *buf, size_t len)
{
    int i;

    buf[0] = '\0';
    for (i = 0; i < skc_model_step_count(m); i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s ", skc_step_op(skc_model_step(m, i)));
}

/* With a double X, BRANCH_LEQ trees are lifted into tree_ensemble whatever
 * the order of their node ids: in node order, shuffled (tree 1 listed
 * first, ids out of order) and with the root's id not the smallest. The
 * values are ORT's: the first weight of a leaf, a leaf without weights
 * its nodes_values entry. A node using BRANCH_LT stays a mirror op. */
static void test_ml_tree_lifted(void **state)
{
    static const char *const mo[6] = { "BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF" };
    static const char *const smo[6] = { "BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF" };
    /* Root id 2, children 0 and 1: preorder renumbering. */
    static const int64_t rnid[6] = { 2, 0, 1, 2, 0, 1 }, rtru[6] = { 0, 0, 0, 0, 0, 0 };
    static const int64_t rfal[6] = { 1, 0, 0, 1, 0, 0 }, rwn[4] = { 0, 0, 0, 1 };
    static const char *const lt[6] = { "BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF" };
    double x[4] = { 0.5, 0, 0.6, -2 };
    int k;

    (void)state;
    tree_elem = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    for (k = 0; k < 4; k++) {
        gb b;
        skc_model *m;
        skc_tensor *xt = rows(x, 2, 2), *out[1] = { 0 };
        char ops[256];
        const float *p;
        if (k == 1)
            tree_regressor(&b, tt_stid, tt_snid, tt_stru, tt_sfal, tt_sfid, tt_svals, smo, 6,
                           tt_swt, tt_swn, tt_sw, 4);
        else if (k == 2)
            tree_regressor(&b, tt_tid, rnid, rtru, rfal, tt_fid, tt_vals, mo, 6, tt_wt, rwn, tt_w, 4);
        else
            tree_regressor(&b, tt_tid, tt_nid, tt_tru, tt_fal, tt_fid, tt_vals, k == 3 ? lt : mo,
                           6, tt_wt, tt_wn, tt_w, 4);
        m = read_ok(&b, 17, 1);
        step_ops(m, ops, sizeof(ops));
        assert_string_equal(ops, k == 3 ? "onnxml.TreeEnsembleRegressor " : "tree_ensemble onnx.Cast ");
        eval(m, xt, out);
        assert_int_equal(skc_tensor_dtype(out[0]), SKC_DT_F32);
        p = skc_tensor_data(out[0]);
        /* row 0: 0.5 <= 0.5 -> leaf (0, 1), first weight 1; 0 <= -1? no -> 20;
         * row 1: 0.6 -> leaf (0, 2), no weight: its value 0.25; -2 -> 10 */
        assert_near(p[0], 21.0, 1e-6);
        assert_near(p[1], 10.25, 1e-6);
        free_outs(out, 1);
        skc_tensor_free(xt);
        skc_model_free(m);
        pool_free();
    }
    tree_elem = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
}

/* Replace the first @p n bytes equal to @p from after @p name with @p to. */
static void patch_after(uint8_t *buf, size_t size, const char *name, const uint8_t *from,
                        const uint8_t *to, size_t n)
{
    size_t at, k = strlen(name);

    for (at = 0; at + k <= size && memcmp(buf + at, name, k) != 0; at++)
        ;
    assert_true(at + k <= size);
    for (at += k; at + n <= size && memcmp(buf + at, from, n) != 0; at++)
        ;
    assert_true(at + n <= size);
    memcpy(buf + at, to, n);
}

/* Lists read from the file's bytes: packed and unpacked values mixed read
 * as one list; a packed list cut inside a varint, lists of different
 * lengths, a child outside its tree and a cycle are refused cleanly, for
 * the mirror op (float X) and the lifted one (double X). */
static void test_ml_tree_lists_damaged(void **state)
{
    static const char *const mo[3] = { "BRANCH_LEQ", "LEAF", "LEAF" };
    static const char *const cyc_mo[3] = { "BRANCH_LEQ", "BRANCH_LEQ", "LEAF" };
    static const int64_t tid[3] = { 0, 0, 0 }, nid[3] = { 0, 1, 2 }, fid[3] = { 0, 0, 0 };
    static const int64_t tru[3] = { 1, 0, 0 }, fal[3] = { 2, 0, 0 };
    static const int64_t cyc_tru[3] = { 1, 0, 0 }, cyc_fal[3] = { 2, 2, 0 };
    static const float vals[3] = { 0.5f, 0, 0 };
    static const int64_t wt[2] = { 0, 0 }, wn[2] = { 1, 2 };
    static const float w[2] = { 1, 2 };
    static const uint8_t unpacked[6] = { 0x40, 0, 0x40, 0, 0x40, 0 };
    static const uint8_t mixed[6] = { 0x42, 2, 0, 0, 0x40, 0 };     /* 2 packed + 1 */
    static const uint8_t cut[6] = { 0x42, 4, 0, 0, 0, 0x80 };       /* ends in a varint */
    double x[2] = { 0.4, 0 }, cyc_x[2] = { -1, 0 };
    int elem;

    (void)state;
    for (elem = 0; elem < 2; elem++) {
        gb b;
        skc_model *m = NULL;
        skc_tensor *xt = rows(x, 1, 2), *out[1] = { 0 };
        const skc_tensor *in[1] = { xt };
        char err[256];
        size_t size;
        uint8_t *buf;

        tree_elem = elem ? ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
        tree_regressor(&b, tid, nid, tru, fal, fid, vals, mo, 3, wt, wn, w, 2);
        buf = pack(&b, 17, 1, &size);
        patch_after(buf, size, "nodes_featureids", unpacked, mixed, 6);
        assert_int_equal(read_bytes(buf, size, &m), 0);
        eval(m, xt, out);
        assert_near(((const float *)skc_tensor_data(out[0]))[0], 1.0, 1e-6);
        free_outs(out, 1);
        skc_model_free(m);
        patch_after(buf, size, "nodes_featureids", mixed, cut, 6);
        assert_int_not_equal(read_bytes(buf, size, &m), 0);
        assert_null(m);
        assert_non_null(strstr(last_error, "nodes_featureids"));
        assert_non_null(strstr(last_error, "damaged"));
        free(buf);
        pool_free();

        /* Three nodes, two features. */
        tree_regressor(&b, tid, nid, tru, fal, fid, vals, mo, 3, wt, wn, w, 2);
        b.nodes[0]->attribute[2]->n_ints = 2;
        buf = pack(&b, 17, 1, &size);
        assert_int_not_equal(read_bytes(buf, size, &m), 0);
        assert_null(m);
        free(buf);
        pool_free();

        /* Node 1 goes back to node 0's child 2 and node 0 reaches 1: fine;
         * node 1's true branch back to the root makes a cycle. */
        tree_regressor(&b, tid, nid, cyc_tru, cyc_fal, fid, vals, cyc_mo, 3, wt, wn, w, 2);
        buf = pack(&b, 17, 1, &size);
        if (read_bytes(buf, size, &m) == 0) {
            /* -1 <= 0.5 -> node 1; -1 <= 0 -> the root again */
            skc_tensor *xc = rows(cyc_x, 1, 2);
            in[0] = xc;
            out[0] = NULL;
            assert_int_not_equal(skc_model_eval(m, in, out, err, sizeof(err)), 0);
            assert_null(out[0]);
            skc_tensor_free(xc);
            skc_model_free(m);
        }
        free(buf);
        skc_tensor_free(xt);
        pool_free();
    }
    tree_elem = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
}

/* ---- large ensembles: written by the writer, read back ---------------- */

/* A tree_ensemble IR model of @p trees chains of @p splits splits on two
 * columns (node 2k splits, its left child 2k + 1 is a leaf, its right the
 * next split; the last node a leaf), one target, double X; with @p zero
 * every leaf value is 0. */
static skc_model *chain_forest(int64_t trees, int64_t splits, int zero)
{
    int64_t per = 2 * splits + 1, n = trees * per, leaves = trees * (splits + 1), t, j;
    int64_t *off = malloc((size_t)(trees + 1) * sizeof(*off)), vs[2] = { leaves, 1 };
    int32_t *feat = malloc((size_t)n * 4), *left = malloc((size_t)n * 4),
            *right = malloc((size_t)n * 4);
    double *thr = malloc((size_t)n * 8), *val = malloc((size_t)leaves * 8);
    uint8_t *ml = calloc((size_t)n, 1);
    const int64_t xs[2] = { -1, 2 }, ys[2] = { -1, 1 };
    skc_model *m = NULL;
    skc_step *st;
    skc_tensor *tt;
    int64_t leaf = 0;

    assert_true(off && feat && left && right && thr && val && ml);
    for (t = 0; t < trees; t++) {
        off[t] = t * per;
        for (j = 0; j < per; j++) {
            int64_t i = t * per + j;
            if (j % 2 == 1 || j == per - 1) {
                feat[i] = -1;
                left[i] = (int32_t)(-1 - leaf);
                right[i] = -1;
                thr[i] = 0;
                val[leaf++] = zero ? 0.0 : (double)(t % 5) + 0.01 * (double)j;
            } else {
                feat[i] = (int32_t)((t + j / 2) % 2);
                left[i] = (int32_t)(j + 1);
                right[i] = (int32_t)(j + 2);
                thr[i] = (double)((t * 7 + j) % 13 - 6) * 0.25;
            }
        }
    }
    off[trees] = n;
    assert_int_equal(skc_model_new(&m), 0);
    assert_int_equal(skc_model_add_input(m, "X", SKC_DT_F64, 2, xs), 0);
    assert_int_equal(skc_model_add_step(m, "tree_ensemble", &st), 0);
    assert_int_equal(skc_step_add_input(st, "X"), 0);
    assert_int_equal(skc_step_add_output(st, "variable"), 0);
    assert_int_equal(skc_step_set_int(st, "n_targets", 1), 0);
    assert_int_equal(skc_step_set_int(st, "x_float32", 1), 0);
    {
        const int64_t nt = trees + 1;
        struct { const char *key; int dt, nd; const int64_t *shape; void *data; } a[] = {
            { "tree_offsets", SKC_DT_I64, 1, &nt, off }, { "feature", SKC_DT_I32, 1, &n, feat },
            { "left", SKC_DT_I32, 1, &n, left }, { "right", SKC_DT_I32, 1, &n, right },
            { "threshold", SKC_DT_F64, 1, &n, thr }, { "missing_left", SKC_DT_U8, 1, &n, ml },
            { "value", SKC_DT_F64, 2, vs, val },
        };
        for (size_t k = 0; k < sizeof(a) / sizeof(a[0]); k++) {
            assert_int_equal(skc_tensor_new(a[k].dt, a[k].nd, a[k].shape, &tt), 0);
            memcpy(skc_tensor_data_mut(tt), a[k].data,
                   (size_t)skc_tensor_numel(tt) * skc_dtype_size(a[k].dt));
            assert_int_equal(skc_step_set_tensor(st, a[k].key, tt), 0);
            skc_tensor_free(tt);
            free(a[k].data);
        }
    }
    assert_int_equal(skc_model_add_output(m, "variable", SKC_DT_F64, 2, ys), 0);
    return m;
}

/* The ONNX bytes of @p m (malloc'd), written with -O dtype=@p dtype. */
static uint8_t *write_bytes(const skc_model *m, const char *dtype, size_t *size)
{
    skc_session *s;
    skc_stream *buf;
    const uint8_t *data;
    uint8_t *copy;
    int rc;

    assert_int_equal(skc_session_new(ctx, fmt, "test.onnx", &s), 0);
    assert_int_equal(skc_session_set_option(s, 1, "dtype", dtype), 0);
    assert_int_equal(skc_stream_open_buffer(&buf), 0);
    rc = skc_session_write(s, m, buf);
    if (rc)
        print_error("write failed (%d): %s\n", rc, skc_session_error(s));
    assert_int_equal(rc, 0);
    assert_int_equal(skc_stream_map(buf, &data, size), 0);
    copy = malloc(*size);
    assert_non_null(copy);
    memcpy(copy, data, *size);
    skc_stream_free(buf);
    skc_session_free(s);
    return copy;
}

/* The packed body of list attribute @p name (field @p field) in @p buf. */
static uint8_t *list_body(uint8_t *buf, size_t size, const char *name, int field, size_t *len)
{
    size_t at, k = strlen(name), shift = 0;
    uint64_t v = 0;

    for (at = 0; at + k <= size && memcmp(buf + at, name, k) != 0; at++)
        ;
    assert_true(at + k <= size);
    for (at += k; at < size && buf[at] != (uint8_t)(field << 3 | 2); at++)
        ;
    for (at++; at < size; at++, shift += 7) {
        v |= (uint64_t)(buf[at] & 0x7f) << shift;
        if (!(buf[at] & 0x80))
            break;
    }
    *len = (size_t)v;
    assert_true(at + 1 + *len <= size);
    return buf + at + 1;
}

/* Write @p m, read it back (float32: lifted into tree_ensemble) and
 * compare predictions on four rows; the bytes (malloc'd) in *@p out when
 * asked for. */
static void tree_roundtrip(skc_model *m, const char *dtype, uint8_t **out, size_t *out_size)
{
    static const double x[8] = { 0.1, -0.3, 1.5, 0.75, -1.25, 2.0, 0.0, -0.5 };
    skc_tensor *xt = rows(x, 4, 2), *ra[1] = { 0 }, *rb[1] = { 0 };
    skc_model *back = NULL;
    size_t size;
    uint8_t *buf = write_bytes(m, dtype, &size);
    char ops[256];
    int64_t i;

    assert_int_equal(read_bytes(buf, size, &back), 0);
    step_ops(back, ops, sizeof(ops));
    /* float64 writes leaf ordinals and a Gather: read back as written. */
    if (strcmp(dtype, "float32") == 0)
        assert_non_null(strstr(ops, "tree_ensemble"));
    eval(m, xt, ra);
    eval(back, xt, rb);
    for (i = 0; i < 4; i++)
        assert_near(skc_tensor_get_f64(rb[0], i), skc_tensor_get_f64(ra[0], i),
                    1e-5 * fabs(skc_tensor_get_f64(ra[0], i)) + 1e-6);
    free_outs(ra, 1);
    free_outs(rb, 1);
    skc_model_free(back);
    skc_tensor_free(xt);
    if (out) {
        *out = buf;
        *out_size = size;
    } else {
        free(buf);
    }
}

/* A forest past the size at which the writer counts and fills its lists
 * on two threads and the reader decodes the node lists in two halves
 * (the second half starting inside a tree): the same bytes every time,
 * lifted back into tree_ensemble, the same predictions; a bad child in
 * the second half keeps the node from being lifted. The writer's counts
 * hold for node ids of three bytes (trees of 40001 nodes), leaf ordinals
 * (dtype=float64) and a forest whose weights are all zero. */
static void test_ml_tree_large_roundtrip(void **state)
{
    static const double x[2] = { 0.1, -0.3 };
    skc_model *m = chain_forest(2001, 50, 0), *back = NULL;
    skc_tensor *xt = rows(x, 1, 2), *rb[1] = { 0 };
    size_t size, size2, len;
    uint8_t *buf, *buf2 = write_bytes(m, "float32", &size2), *body;
    char ops[256];

    (void)state;
    tree_roundtrip(m, "float32", &buf, &size);
    assert_int_equal(size, size2);
    assert_memory_equal(buf, buf2, size);
    tree_roundtrip(m, "float64", NULL, NULL);
    skc_model_free(m);

    /* Two leaves of tree 1000, which the middle of the list cuts, swap
     * their ids (one byte each): the same trees, listed out of order, so
     * the halves' runs join unsorted and the general order is taken. */
    body = list_body(buf, size, "nodes_nodeids", 8, &len);
    assert_int_equal(body[101049], 49);
    body[101049] = 51;
    body[101051] = 49;
    {
        static const double xs[8] = { 0.1, -0.3, 1.5, 0.75, -1.25, 2.0, 0.0, -0.5 };
        skc_tensor *x4 = rows(xs, 4, 2), *ra[1] = { 0 }, *rs[1] = { 0 };
        skc_model *orig = NULL;
        int64_t i;
        body[101049] = 49;
        body[101051] = 51;
        assert_int_equal(read_bytes(buf, size, &orig), 0);
        body[101049] = 51;
        body[101051] = 49;
        assert_int_equal(read_bytes(buf, size, &back), 0);
        step_ops(back, ops, sizeof(ops));
        assert_non_null(strstr(ops, "tree_ensemble"));
        eval(orig, x4, ra);
        eval(back, x4, rs);
        for (i = 0; i < 4; i++)
            assert_true(skc_tensor_get_f64(ra[0], i) == skc_tensor_get_f64(rs[0], i));
        free_outs(ra, 1);
        free_outs(rs, 1);
        skc_model_free(orig);
        skc_model_free(back);
        back = NULL;
        skc_tensor_free(x4);
        body[101049] = 49;
        body[101051] = 51;
    }

    /* The root of tree 1500 (ids below 128: one byte each) sends its true
     * branch to id 127, outside its 101 nodes. */
    body = list_body(buf, size, "nodes_truenodeids", 8, &len);
    assert_int_equal(len, (size_t)(2001 * 101));
    body[1500 * 101] = 0x7f;
    if (read_bytes(buf, size, &back) == 0) {
        const skc_tensor *in[1] = { xt };
        char err[256];
        step_ops(back, ops, sizeof(ops));
        assert_null(strstr(ops, "tree_ensemble"));
        assert_int_not_equal(skc_model_eval(back, in, rb, err, sizeof(err)), 0);
        skc_model_free(back);
    }
    free(buf);
    free(buf2);
    skc_tensor_free(xt);

    m = chain_forest(3, 20000, 0);
    tree_roundtrip(m, "float32", NULL, NULL);
    tree_roundtrip(m, "float64", NULL, NULL);
    skc_model_free(m);
    m = chain_forest(1500, 50, 1);
    tree_roundtrip(m, "float32", NULL, NULL);
    skc_model_free(m);
}

/* Strings inside the graph: int -> LabelEncoder -> string -> int. */
static void test_ml_label_encoder(void **state)
{
    static const int64_t keys[3] = { 0, 1, 2 }, codes[2] = { 100, 200 };
    static const char *const names[3] = { "zero", "one", "two" };
    static const char *const back[2] = { "one", "two" };
    static const double x[3] = { 0, 2, 7 };
    gb b;
    skc_model *m;
    skc_tensor *xt, *out[2] = { 0 };
    Onnx__NodeProto *n;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1);
    gb_output(&b, "names", ONNX__TENSOR_PROTO__DATA_TYPE__STRING);
    gb_output(&b, "codes", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    n = gb_node(&b, "Cast", NULL, "X", "xi");
    attr_i(n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    n = gb_node(&b, "LabelEncoder", "ai.onnx.ml", "xi", "names");
    attr_is(n, "keys_int64s", keys, 3);
    attr_ss(n, "values_strings", names, 3);
    attr_s(n, "default_string", "many");
    n = gb_node(&b, "LabelEncoder", "ai.onnx.ml", "names", "codes");
    attr_ss(n, "keys_strings", back, 2);
    attr_is(n, "values_int64s", codes, 2);
    m = read_ok(&b, 17, 2);
    xt = rows(x, 3, 1);
    eval(m, xt, out);
    assert_string_equal(skc_tensor_string(out[0], 0, NULL), "zero");
    assert_string_equal(skc_tensor_string(out[0], 1, NULL), "two");
    assert_string_equal(skc_tensor_string(out[0], 2, NULL), "many");
    assert_int_equal(((const int64_t *)skc_tensor_data(out[1]))[0], -1);
    assert_int_equal(((const int64_t *)skc_tensor_data(out[1]))[1], 200);
    free_outs(out, 2);
    skc_tensor_free(xt);
    skc_model_free(m);
    pool_free();
}

/* An SVMRegressor with an RBF kernel: sum_j c_j exp(-g |x - sv_j|^2) + rho. */
static void test_ml_svm_regressor(void **state)
{
    static const float sv[4] = { 0, 0, 1, 1 }, coef[2] = { 1, -2 }, rho[1] = { 0.25f };
    static const float kp[3] = { 0.5f, 0, 3 };
    static const double x[2] = { 1, 0 };
    gb b;
    skc_model *m;
    skc_tensor *xt, *out[1] = { 0 };
    Onnx__NodeProto *n;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "variable", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    n = gb_node(&b, "SVMRegressor", "ai.onnx.ml", "X", "variable");
    attr_s(n, "kernel_type", "RBF");
    attr_fs(n, "kernel_params", kp, 3);
    attr_fs(n, "support_vectors", sv, 4);
    attr_fs(n, "coefficients", coef, 2);
    attr_fs(n, "rho", rho, 1);
    attr_i(n, "n_supports", 2);
    m = read_ok(&b, 17, 1);
    xt = rows(x, 1, 2);
    eval(m, xt, out);
    assert_near(((const float *)skc_tensor_data(out[0]))[0],
                exp(-0.5) - 2.0 * exp(-0.5) + 0.25, 1e-6);
    free_outs(out, 1);
    skc_tensor_free(xt);
    skc_model_free(m);
    pool_free();
}

/* ------------------------------------------------------------------ */
/* Refusals                                                            */
/* ------------------------------------------------------------------ */

static void test_unsupported_op(void **state)
{
    gb b;
    size_t size;
    uint8_t *buf;
    skc_model *m;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "Y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_node(&b, "NonMaxSuppression", NULL, "X", "Y");
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_UNSUPPORTED);
    assert_non_null(strstr(last_error, "ONNX operator NonMaxSuppression (domain ai.onnx) is not supported"));
    free(buf);
    b.nodes[0]->op_type = "FusedConv";
    b.nodes[0]->domain = "com.microsoft";
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_UNSUPPORTED);
    assert_non_null(strstr(last_error, "ONNX operator FusedConv (domain com.microsoft) is not supported"));
    free(buf);
    b.nodes[0]->op_type = "DictVectorizer";
    b.nodes[0]->domain = "ai.onnx.ml";
    buf = pack(&b, 17, 1, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_UNSUPPORTED);
    assert_non_null(strstr(last_error, "DictVectorizer"));
    free(buf);
    pool_free();
}

static void test_bad_tensors(void **state)
{
    static const float v[4] = { 1, 2, 3, 4 };
    const int64_t d2[2] = { 2, 2 }, dneg[2] = { -1, 4 }, dbig[2] = { INT64_C(1) << 40, 1 << 20 };
    gb b;
    size_t size;
    uint8_t *buf;
    skc_model *m;

    (void)state;
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "Y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_init_f(&b, "W", 2, d2, v, 3);   /* 3 values for 4 */
    gb_node(&b, "MatMul", NULL, "X,W", "Y");
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_FORMAT);
    free(buf);
    b.inits[0] = tensor_f("W", 2, dneg, v, 4);
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_FORMAT);
    free(buf);
    b.inits[0] = tensor_f("W", 2, dbig, v, 4);
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_LIMIT);
    free(buf);
    /* raw_data of the wrong length */
    b.inits[0] = tensor_f("W", 2, d2, v, 0);
    b.inits[0]->has_raw_data = 1;
    b.inits[0]->raw_data.data = (uint8_t *)dup("abcdefg");
    b.inits[0]->raw_data.len = 7;
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_FORMAT);
    free(buf);
    /* external data: without its entries; a location outside the model's
     * directory; a side file that is not there (tests/cli/test_external_data.py
     * reads real ones) */
    b.inits[0] = tensor_f("W", 2, d2, v, 0);
    b.inits[0]->has_data_location = 1;
    b.inits[0]->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_FORMAT);
    assert_non_null(strstr(last_error, "external"));
    free(buf);
    {
        static const char *const where[][2] = {
            { "../w.data", "not a plain file name" }, { "/etc/passwd", "not a plain file name" },
            { "..", "not a plain file name" }, { "no-such-side.data", "is missing" } };
        Onnx__StringStringEntryProto *e = zalloc(sizeof(*e));
        Onnx__StringStringEntryProto **ev = zalloc(sizeof(*ev));
        for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
            onnx__string_string_entry_proto__init(e);
            e->key = dup("location");
            e->value = dup(where[i][0]);
            ev[0] = e;
            b.inits[0]->n_external_data = 1;
            b.inits[0]->external_data = ev;
            buf = pack(&b, 17, 0, &size);
            assert_int_equal(read_bytes(buf, size, &m), i < 3 ? SKC_E_UNSAFE : SKC_E_NOT_FOUND);
            assert_non_null(strstr(last_error, where[i][1]));
            free(buf);
        }
        b.inits[0]->n_external_data = 0;
        b.inits[0]->external_data = NULL;
    }
    pool_free();
}

static void test_graph_errors(void **state)
{
    gb b;
    size_t size;
    uint8_t *buf;
    skc_model *m;
    skc_limits lim;

    (void)state;
    /* a cycle between two nodes */
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "Y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_node(&b, "Add", NULL, "X,b", "a");
    gb_node(&b, "Add", NULL, "X,a", "b");
    gb_node(&b, "Identity", NULL, "a", "Y");
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_FORMAT);
    free(buf);
    /* an output nothing produces, a name produced twice */
    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "Z", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_node(&b, "Identity", NULL, "X", "Y");
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_FORMAT);
    free(buf);
    gb_node(&b, "Neg", NULL, "X", "Y");
    gb_node(&b, "Identity", NULL, "Y", "Z");
    buf = pack(&b, 17, 0, &size);
    assert_int_equal(read_bytes(buf, size, &m), SKC_E_FORMAT);
    /* the size limit */
    skc_limits_default(&lim);
    lim.max_bytes = size - 1;
    assert_int_equal(read_bytes_lim(buf, size, &lim, &m), SKC_E_LIMIT);
    free(buf);
    pool_free();
}

/* Graphs nested in attributes deeper than max_depth: refused before
 * protobuf-c's recursive unpacking can exhaust the stack. */
/* Prepend tag @p key and a varint length to buf[0..*len). */
static void wrap(uint8_t *buf, size_t *len, uint8_t key)
{
    uint8_t head[12];
    size_t h = 0, v = *len;

    head[h++] = key;
    do {
        head[h++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    memmove(buf + h, buf, *len);
    memcpy(buf, head, h);
    *len += h;
}

static void test_deep_nesting(void **state)
{
    enum { LEVELS = 3000 };
    uint8_t *buf = calloc(LEVELS, 32);
    size_t len = 0, i;
    skc_model *m;

    (void)state;
    assert_non_null(buf);
    /* GraphProto{ node: NodeProto{ attribute: AttributeProto{ g: GraphProto{ ... } } } } */
    for (i = 0; i < LEVELS; i++) {
        wrap(buf, &len, 0x32);          /* AttributeProto.g      */
        wrap(buf, &len, 0x2a);          /* NodeProto.attribute   */
        wrap(buf, &len, 0x0a);          /* GraphProto.node       */
    }
    wrap(buf, &len, 0x3a);              /* ModelProto.graph      */
    memmove(buf + 2, buf, len);
    buf[0] = 0x08;                      /* ir_version 8 */
    buf[1] = 0x08;
    len += 2;
    assert_int_equal(read_bytes(buf, len, &m), SKC_E_LIMIT);
    assert_non_null(strstr(last_error, "max_depth"));
    free(buf);
}

/* ------------------------------------------------------------------ */
/* Damage: truncation and byte flips, under ASan in CI                 */
/* ------------------------------------------------------------------ */

static uint8_t *damage_model(size_t *size)
{
    static const float coef[6] = { 1, -1, 0.5f, 2, 0, -3 }, icpt[3] = { 0.1f, 0.2f, 0.3f };
    static const char *const labels[3] = { "a", "b", "c" };
    static const int64_t ax[1] = { 1 };
    gb b;
    Onnx__NodeProto *n;

    gb_init(&b);
    gb_input(&b, "X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2);
    gb_output(&b, "label", ONNX__TENSOR_PROTO__DATA_TYPE__STRING);
    gb_output(&b, "probabilities", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_output(&b, "s", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    gb_init_i(&b, "ax", ax, 1);
    n = gb_node(&b, "LinearClassifier", "ai.onnx.ml", "X", "label,probabilities");
    attr_fs(n, "coefficients", coef, 6);
    attr_fs(n, "intercepts", icpt, 3);
    attr_ss(n, "classlabels_strings", labels, 3);
    attr_s(n, "post_transform", "SOFTMAX");
    gb_node(&b, "ReduceSum", NULL, "probabilities,ax", "s");
    return pack(&b, 17, 1, size);
}

/* Read @p buf; if it still reads, evaluate it on two rows. */
static void damage_one(const uint8_t *buf, size_t size)
{
    static const double x[4] = { 1, 2, -1, 0.5 };
    skc_model *m = NULL;
    int rc = read_bytes(buf, size, &m);

    assert_true(rc == 0 || rc == SKC_E_FORMAT || rc == SKC_E_UNSUPPORTED || rc == SKC_E_LIMIT);
    if (rc == 0) {
        skc_tensor *xt = rows(x, 2, 2), *out[8] = { 0 };
        const skc_tensor *in[1] = { xt };
        char err[256];
        int n = skc_model_output_count(m);
        if (n <= 8)
            skc_model_eval(m, in, out, err, sizeof(err));
        free_outs(out, 8);
        skc_tensor_free(xt);
        skc_model_free(m);
    } else {
        assert_true(last_error[0] != '\0');
    }
}

/* A small forest as the writer packs it: its lists are split out of the
 * bytes before the prescan runs (onnx_split_lists). */
static uint8_t *damage_tree_model(size_t *size)
{
    skc_model *m = chain_forest(3, 2, 0);
    uint8_t *buf = write_bytes(m, "float32", size);

    skc_model_free(m);
    return buf;
}

static void test_truncated(void **state)
{
    size_t size, cut;
    uint8_t *buf;
    int which;

    (void)state;
    for (which = 0; which < 2; which++) {
        buf = which ? damage_tree_model(&size) : damage_model(&size);
        for (cut = 0; cut < size; cut++) {
            uint8_t *copy = malloc(cut ? cut : 1);
            assert_non_null(copy);
            memcpy(copy, buf, cut);
            damage_one(copy, cut);
            free(copy);
        }
        free(buf);
        pool_free();
    }
}

static void test_flipped(void **state)
{
    static const uint8_t masks[4] = { 0x01, 0x80, 0xff, 0x40 };
    size_t size, at;
    uint8_t *buf;
    int k, which;

    (void)state;
    for (which = 0; which < 2; which++) {
        buf = which ? damage_tree_model(&size) : damage_model(&size);
        for (at = 0; at < size; at++)
            for (k = 0; k < 4; k++) {
                buf[at] ^= masks[k];
                damage_one(buf, size);
                buf[at] ^= masks[k];
            }
        free(buf);
        pool_free();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_linear_softmax),
        cmocka_unit_test(test_shape_ops),
        cmocka_unit_test(test_reduce_compare_cast),
        cmocka_unit_test(test_ml_linear_zipmap),
        cmocka_unit_test(test_ml_tree_regressor),
        cmocka_unit_test(test_ml_tree_sparse_weights),
        cmocka_unit_test(test_ml_tree_bad_nodes),
        cmocka_unit_test(test_ml_tree_large_roundtrip),
        cmocka_unit_test(test_ml_tree_lifted),
        cmocka_unit_test(test_ml_tree_lists_damaged),
        cmocka_unit_test(test_ml_label_encoder),
        cmocka_unit_test(test_ml_svm_regressor),
        cmocka_unit_test(test_unsupported_op),
        cmocka_unit_test(test_bad_tensors),
        cmocka_unit_test(test_graph_errors),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_flipped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
