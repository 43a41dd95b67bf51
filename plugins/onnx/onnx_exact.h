/* SPDX-License-Identifier: MIT */
/* onnx_exact.h: helpers for the emitters that compute in double whatever the graph's I/O type (onnx_ops_svm.c, onnx_ops_neighbors.c, onnx_ops_bayes.c). */
#ifndef SKCONV_ONNX_EXACT_H
#define SKCONV_ONNX_EXACT_H

#include "onnx_writer.h"

/* Kernel SVMs, neighbour searches and naive Bayes likelihoods lose far more
 * than 1e-5 in float32 (poly kernels of unscaled data, near-tied
 * distances, log-likelihoods in the hundreds, and an iterative coupling
 * whose stopping test flips), so these emitters run in double and round
 * only their outputs to the requested type. An emitter is wrapped as
 *     saved = onnx_exact_begin(b); rc = body(b, st, saved); onnx_exact_end(b, saved);
 * Inside, b->real_elem is DOUBLE: onnx_step_real_input and onnx_const_real
 * give doubles. */
int  onnx_exact_begin(onnx_builder *b);
void onnx_exact_end(onnx_builder *b, int saved);

/* Define step output @p i as type @p io_elem and fill it from the double
 * (or int64/string, passed through) value @p value: a Cast, or an Identity. */
int onnx_exact_output(onnx_builder *b, const skc_step *st, int i, const char *value,
                      int value_elem, int io_elem);

/* One node with fresh output names derived from @p hint. */
int onnx_x1(onnx_builder *b, const char *op, const char *a, const char *hint,
            const char **out);
int onnx_x2(onnx_builder *b, const char *op, const char *a, const char *c,
            const char *hint, const char **out);
int onnx_x3(onnx_builder *b, const char *op, const char *a, const char *c,
            const char *d, const char *hint, const char **out);

/* A scalar double constant (shape []) and int64 vector constants. */
int onnx_x_scalar(onnx_builder *b, const char *hint, double v, const char **name);
int onnx_x_ints(onnx_builder *b, const char *hint, const int64_t *v, int64_t n,
                const char **name);

/* ReduceSum/ReduceMax/ReduceMin/ReduceMean/ReduceLogSumExp over one axis,
 * with the axes as an attribute or an input as the target opset wants
 * (ReduceSum takes an input from 13, the others from 18). */
int onnx_x_reduce(onnx_builder *b, const char *op, const char *in, int64_t axis,
                  int keepdims, const char *hint, const char **out);

/* Slice [start, end) of @p axis. */
int onnx_x_slice(onnx_builder *b, const char *in, int64_t axis, int64_t start,
                 int64_t end, const char *hint, const char **out);

/* Cast to @p elem. */
int onnx_x_cast(onnx_builder *b, const char *in, int elem, const char *hint,
                const char **out);

/* An INTS attribute (onnx_graph.c has onnx_attr_int for a single int only). */
int onnx_x_attr_ints(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                     const int64_t *v, size_t count);

/* Labels: Gather of the step's `classes` attribute at int64 indices [N],
 * written to step output @p i. */
int onnx_x_labels(onnx_builder *b, const skc_step *st, int i, const char *idx);

#endif
