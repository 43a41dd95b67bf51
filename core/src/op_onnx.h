/* SPDX-License-Identifier: MIT */
/* op_onnx.h: helpers shared by the ONNX mirror ops ("onnx.*", "onnxml.*"): dtypes, broadcasting, attributes. */
#ifndef SKCONV_OP_ONNX_H
#define SKCONV_OP_ONNX_H

#include "ops.h"

/*
 * The mirror ops evaluate what an ONNX node computes, as ONNX Runtime does
 * on the CPU, for tensors of any rank and of the element types float32,
 * float64, int64, int32, uint8, bool and string. core/OPS.md "ONNX mirror
 * operations" states the precision policy: float32 arithmetic is done in
 * double and rounded to float32 once per operation (exact for + - * / and
 * sqrt; within an ulp or two elsewhere); matrix products and reductions
 * accumulate in double and round once.
 */

/* An input the reader marks as absent (an empty optional input in the
 * middle of an ONNX node's list) is produced by "onnx.Absent": a 0-element
 * uint32 tensor no real ONNX value can be. */
#define SKCO_ABSENT_DTYPE SKC_DT_U32

/* The largest tensor a mirror op makes (2^28 elements: 2 GiB of double). */
#define SKCO_MAX_NUMEL ((int64_t)1 << 28)

/* Broadcasting of up to three inputs (Where has three; variadic ops fold). */
#define SKCO_BCAST_MAX 3

typedef struct skco_bcast {
    int n;
    int ndim;
    int64_t shape[SKC_MAX_DIMS];
    int64_t numel;
    int64_t stride[SKCO_BCAST_MAX][SKC_MAX_DIMS]; /* 0 along broadcast axes */
} skco_bcast;

typedef struct skco_iter {
    const skco_bcast *b;
    int64_t idx[SKC_MAX_DIMS];
    int64_t off[SKCO_BCAST_MAX];
} skco_iter;

/* Failure detail prefixed with the op name; returns @p code. */
SKCI_HIDDEN int skco_fail(char *err, size_t errlen, const skc_step *s, int code,
                          const char *fmt, ...) SKC_PRINTF(5, 6);

SKCI_HIDDEN int skco_is_real(int dt);       /* float32, float64           */
SKCI_HIDDEN int skco_is_int(int dt);        /* int64, int32, uint8, uint32 */
SKCI_HIDDEN int skco_is_num(int dt);        /* real, int or bool          */

/* Element @p i as double / as int64 (reals truncated toward zero, NaN and
 * out-of-range values saturate as x86 conversions do: INT64_MIN). */
SKCI_HIDDEN double  skco_get(const skc_tensor *t, int64_t i);
SKCI_HIDDEN int64_t skco_geti(const skc_tensor *t, int64_t i);
SKCI_HIDDEN int64_t skco_f2i(double v);
/* Store @p v into element @p i of @p data (of type @p dt), rounded as the
 * type holds it. */
SKCI_HIDDEN void skco_put(int dt, void *data, int64_t i, double v);
SKCI_HIDDEN void skco_puti(int dt, void *data, int64_t i, int64_t v);
/* @p v as @p dt would hold it (float32 rounding, integer truncation). */
SKCI_HIDDEN double skco_as(int dt, double v);

/* A new tensor and its writable data (NULL for strings). */
SKCI_HIDDEN int skco_new(int dtype, int ndim, const int64_t *shape,
                         skc_tensor **out, void **data);
/* Copy element @p si of @p src to element @p di of @p dst (same dtype). */
SKCI_HIDDEN int skco_copy(skc_tensor *dst, void *ddata, int64_t di,
                          const skc_tensor *src, int64_t si);

/* Input @p i, or NULL when the node did not give it (absent or beyond the
 * inputs the step has). */
SKCI_HIDDEN const skc_tensor *skco_in(const skc_step *s, const skc_tensor *const *in,
                                      int i);

/* Attributes with defaults; a present attribute of the wrong kind counts
 * as absent here (check functions report it). */
SKCI_HIDDEN int64_t     skco_attr_i(const skc_step *s, const char *k, int64_t def);
SKCI_HIDDEN double      skco_attr_f(const skc_step *s, const char *k, double def);
SKCI_HIDDEN const char *skco_attr_s(const skc_step *s, const char *k, const char *def);
SKCI_HIDDEN const skc_tensor *skco_attr_t(const skc_step *s, const char *k);
/* An INTS/FLOATS/STRINGS attribute: the tensor if it is 1-D of @p dtype,
 * NULL if absent; SKC_E_FORMAT (with a message) if it has another type. */
SKCI_HIDDEN int skco_attr_list(const skc_step *s, const char *k, int dtype,
                               const skc_tensor **t, char *err, size_t errlen);

/* The values of an integer tensor (input or attribute), copied (malloc). */
SKCI_HIDDEN int skco_ints(const skc_tensor *t, int64_t **v, int64_t *n);

/* Normalise axis @p a of a rank-@p rank tensor (negative counts from the
 * end); SKC_E_INVAL when out of range. */
SKCI_HIDDEN int skco_axis(const skc_step *s, int64_t a, int rank, int *out,
                          char *err, size_t errlen);

/* numpy-style broadcasting of @p n (≤ SKCO_BCAST_MAX) tensors. */
SKCI_HIDDEN int  skco_bcast_init(skco_bcast *b, int n, const skc_tensor *const *t,
                                 const skc_step *s, char *err, size_t errlen);
SKCI_HIDDEN void skco_iter_init(skco_iter *it, const skco_bcast *b);
SKCI_HIDDEN void skco_iter_next(skco_iter *it);

/* Numeric values of @p t as a malloc'd double array (NULL on NOMEM; a
 * 1-element buffer for empty tensors). */
SKCI_HIDDEN double *skco_load(const skc_tensor *t);

/* Row-major strides of a shape (in elements). */
SKCI_HIDDEN void skco_strides(int ndim, const int64_t *shape, int64_t *stride);
SKCI_HIDDEN int64_t skco_numel(int ndim, const int64_t *shape);

/* float32 helpers: ORT's ML kernels compute in float; these reproduce
 * their steps (C float arithmetic with FLT_EVAL_METHOD 0 is IEEE single). */
SKCI_HIDDEN float skco_logistic_f(float v);
SKCI_HIDDEN float skco_probit_f(float v);

/* Post-transforms of the ai.onnx.ml classifiers and regressors. */
enum { SKCO_PT_NONE, SKCO_PT_LOGISTIC, SKCO_PT_SOFTMAX, SKCO_PT_SOFTMAX_ZERO, SKCO_PT_PROBIT };
/* The "post_transform" attribute (a string; the v5 TreeEnsemble's int is
 * mapped by its own op); -1 and a message if it names no transform. */
SKCI_HIDDEN int skco_ml_post(const skc_step *s, int *pt, char *err, size_t errlen);
/* ORT's write_scores: @p n raw scores of one row become the row of Z
 * (@p zcols values, the ones not written stay 0). @p add2 is ORT's
 * add_second_class for one score: -1 none, 0/1 [1-s, s], 2/3 [-s, s] or
 * [logistic(-s), logistic(s)]. */
SKCI_HIDDEN void skco_ml_scores(float *sc, int64_t n, int pt, int add2, float *z, int64_t zcols);
/* Rows and columns of an ML op's input X ([F] is one row). */
SKCI_HIDDEN int skco_ml_rows(const skc_step *s, const skc_tensor *x, int64_t *rows,
                             int64_t *cols, char *err, size_t errlen);

/* Evaluate a subgraph encoded in step attributes under @p prefix (the
 * reader's encoding, op_onnx_graph.c): @p n_bind names bound to values
 * (formal inputs and captured outer values), @p n_out results. */
SKCI_HIDDEN int skco_graph_run(const skc_step *s, const char *prefix,
                               int n_bind, const char *const *names,
                               const skc_tensor *const *vals,
                               int n_out, skc_tensor **outs,
                               char *err, size_t errlen);

/* Family tables (op_onnx.c holds the ai.onnx one, op_onnxml.c ai.onnx.ml). */
#define SKCO_EVAL(name) \
    SKCI_HIDDEN int name(const skc_step *s, const skc_tensor *const *in, \
                         skc_tensor **out, char *err, size_t errlen)
#define SKCO_CHECK(name) \
    SKCI_HIDDEN int name(const skc_step *s, char *err, size_t errlen)

/* op_onnx_math.c */
SKCO_EVAL(skco_eval_unary);
SKCO_EVAL(skco_eval_binary);
SKCO_EVAL(skco_eval_variadic);
SKCO_EVAL(skco_eval_compare);
SKCO_EVAL(skco_eval_logic);
SKCO_EVAL(skco_eval_not);
SKCO_EVAL(skco_eval_where);
SKCO_EVAL(skco_eval_clip);
SKCO_EVAL(skco_eval_isnan);
SKCO_EVAL(skco_eval_isinf);
SKCO_EVAL(skco_eval_cast);
SKCO_EVAL(skco_eval_castlike);
/* op_onnx_nn.c */
SKCO_EVAL(skco_eval_matmul);
SKCO_EVAL(skco_eval_gemm);
SKCO_EVAL(skco_eval_softmax);
SKCO_EVAL(skco_eval_reduce);
SKCO_EVAL(skco_eval_argmax);
SKCO_EVAL(skco_eval_topk);
SKCO_EVAL(skco_eval_cumsum);
/* op_onnx_shape.c */
SKCO_EVAL(skco_eval_constant);
SKCO_EVAL(skco_eval_absent);
SKCO_EVAL(skco_eval_identity);
SKCO_EVAL(skco_eval_reshape);
SKCO_EVAL(skco_eval_flatten);
SKCO_EVAL(skco_eval_squeeze);
SKCO_EVAL(skco_eval_unsqueeze);
SKCO_EVAL(skco_eval_concat);
SKCO_EVAL(skco_eval_gather);
SKCO_EVAL(skco_eval_gather_elements);
SKCO_EVAL(skco_eval_slice);
SKCO_EVAL(skco_eval_transpose);
SKCO_EVAL(skco_eval_shape);
SKCO_EVAL(skco_eval_size);
SKCO_EVAL(skco_eval_expand);
SKCO_EVAL(skco_eval_tile);
SKCO_EVAL(skco_eval_constant_of_shape);
SKCO_EVAL(skco_eval_range);
SKCO_EVAL(skco_eval_onehot);
SKCO_CHECK(skco_check_constant);
/* op_onnx_graph.c */
SKCO_EVAL(skco_eval_loop);
SKCO_EVAL(skco_eval_if);
SKCO_EVAL(skco_eval_scan);
SKCO_CHECK(skco_check_graph);

/* op_onnxml_*.c */
SKCO_EVAL(skco_eval_linear_classifier);
SKCO_EVAL(skco_eval_linear_regressor);
SKCO_EVAL(skco_eval_ml_scaler);
SKCO_EVAL(skco_eval_normalizer);
SKCO_EVAL(skco_eval_binarizer);
SKCO_EVAL(skco_eval_imputer);
SKCO_EVAL(skco_eval_ml_onehot);
SKCO_EVAL(skco_eval_label_encoder);
SKCO_EVAL(skco_eval_afe);
SKCO_EVAL(skco_eval_zipmap);
SKCO_EVAL(skco_eval_category_mapper);
SKCO_EVAL(skco_eval_feature_vectorizer);
SKCO_EVAL(skco_eval_tree_classifier);
SKCO_EVAL(skco_eval_tree_regressor);
SKCO_EVAL(skco_eval_tree_ensemble);
SKCO_CHECK(skco_check_tree);
SKCI_HIDDEN void skco_hints_tree(const skc_step *s, skci_hints *h);
SKCO_EVAL(skco_eval_svm_classifier);
SKCO_EVAL(skco_eval_svm_regressor);
SKCO_CHECK(skco_check_svm);

#endif
