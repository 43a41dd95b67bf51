/* SPDX-License-Identifier: MIT */
/* onnx_writer.h: the ONNX writer's internal interface between its files (hidden from the module's exports). */
#ifndef SKCONV_ONNX_WRITER_H
#define SKCONV_ONNX_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <skconv/plugin.h>

#include "onnx.pb-c.h"

/* ONNX element types we emit (onnx.proto TensorProto.DataType). */
#define ONNX_ELEM_UNKNOWN 0
#define ONNX_ELEM_FLOAT   ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define ONNX_ELEM_DOUBLE  ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
#define ONNX_ELEM_INT64   ONNX__TENSOR_PROTO__DATA_TYPE__INT64
#define ONNX_ELEM_STRING  ONNX__TENSOR_PROTO__DATA_TYPE__STRING
#define ONNX_ELEM_BOOL    ONNX__TENSOR_PROTO__DATA_TYPE__BOOL

#define ONNX_DOMAIN_ML "ai.onnx.ml"
#define ONNX_DOMAIN_MS "com.microsoft"  /* ONNX Runtime's contrib ops, version 1 */

/* Default and bounds of the options, shared by the table and the writer. */
#define ONNX_OPSET_DEFAULT    17
#define ONNX_OPSET_MIN        13
#define ONNX_OPSET_MAX        21
#define ONNX_ML_OPSET_DEFAULT  3
#define ONNX_ML_OPSET_MIN      1
#define ONNX_ML_OPSET_MAX      5

/* ------------------------------------------------------------------ */
/* Arena: every protobuf-c message, string and array of one write      */
/* lives here, so the model is freed in one call whatever failed.      */
/* ------------------------------------------------------------------ */

typedef struct onnx_arena onnx_arena;

int   onnx_arena_new(onnx_arena **out);
void  onnx_arena_free(onnx_arena *a);
/* Zeroed, aligned for any type; NULL when out of memory or n overflows. */
void *onnx_arena_alloc(onnx_arena *a, size_t n, size_t size);
/* A copy of @p n elements of @p size bytes at @p p. */
void *onnx_arena_memdup(onnx_arena *a, const void *p, size_t n, size_t size);
char *onnx_arena_strdup(onnx_arena *a, const char *s);

/* ------------------------------------------------------------------ */
/* Names: IR tensor names mapped to unique, sanitised ONNX names.      */
/* ------------------------------------------------------------------ */

typedef struct onnx_names onnx_names;

int  onnx_names_new(onnx_arena *a, onnx_names **out);
void onnx_names_free(onnx_names *n);

/* ------------------------------------------------------------------ */
/* Graph builder                                                       */
/* ------------------------------------------------------------------ */

/* A growable array of message pointers (malloc'd; the pointees are in the arena). */
typedef struct onnx_vec {
    void  **v;
    size_t  n, cap;
} onnx_vec;

typedef struct onnx_builder {
    skc_session *session;
    onnx_arena  *arena;
    onnx_names  *names;
    int          real_elem;   /* FLOAT or DOUBLE: the type arithmetic runs in */
    int          opset;       /* default domain                               */
    int          ml_opset;    /* ai.onnx.ml, stamped only when used_ml        */
    int          used_ml;
    int          used_ms;     /* com.microsoft, stamped only when used        */
    onnx_vec     nodes;       /* Onnx__NodeProto *                            */
    onnx_vec     initializers;/* Onnx__TensorProto *                          */
    onnx_vec     inputs;      /* Onnx__ValueInfoProto *                       */
    onnx_vec     outputs;     /* Onnx__ValueInfoProto *                       */
    int          step_index;  /* step being emitted, for messages; -1 if none */
    const char  *step_op;
    const char  *step_prefix; /* its first output: prefixes internal names   */
    const skc_model *model;   /* the IR being written (borrowed)              */
    int          external;    /* -O external_data=true                        */
    onnx_vec     fills;       /* onnx_fill *: bytes filled in the file        */
    onnx_vec     jobs;        /* jobs that fill them (onnx_fill.c)            */
} onnx_builder;

int  onnx_builder_init(onnx_builder *b, skc_session *s, int real_elem,
                       int opset, int ml_opset);
void onnx_builder_release(onnx_builder *b);

/* Record a failure on the session, prefixed with the step being written. */
int onnx_error(onnx_builder *b, int code, const char *fmt, ...) SKC_PRINTF(3, 4);

/* Declare a graph input or output. @p elem is an ONNX element type; @p dims
 * is the IR shape (-1: unknown); dimension 0 is always the symbolic "N". */
int onnx_graph_input(onnx_builder *b, const char *name, int elem, int ndim,
                     const int64_t *dims);
int onnx_graph_output(onnx_builder *b, const char *name, int elem, int ndim,
                      const int64_t *dims);

/* Reserve a model input or output name verbatim (it must not be renamed).
 * Inputs are produced from the start with type @p elem; outputs get their
 * type when a step produces them. */
int onnx_name_reserve_input(onnx_builder *b, const char *name, int elem);
int onnx_name_reserve_output(onnx_builder *b, const char *name);
/* Reserve an ONNX name that no IR tensor has (a graph input of
 * inputs=columns): later names avoid it, no IR name resolves to it. */
int onnx_name_reserve_onnx(onnx_builder *b, const char *name);

/* The ONNX name and element type of IR tensor @p ir_name, which some
 * earlier step (or the model input) must have produced. */
int onnx_name_lookup(onnx_builder *b, const char *ir_name, const char **name,
                     int *elem);
/* The ONNX name for a new IR tensor @p ir_name of type @p elem. */
int onnx_name_define(onnx_builder *b, const char *ir_name, int elem,
                     const char **name);
/* A fresh internal name derived from @p hint (after b->step_prefix). */
int onnx_name_fresh(onnx_builder *b, const char *hint, const char **name);
/* Element type of model output @p name, which a step must have produced. */
int onnx_name_output_elem(onnx_builder *b, const char *name, int *elem);

/* Append a node. @p domain is NULL for the default domain. *out is
 * borrowed (arena) and may be NULL when no attributes follow. */
int onnx_node(onnx_builder *b, const char *op_type, const char *domain,
              const char *const *inputs, size_t n_inputs,
              const char *const *outputs, size_t n_outputs,
              Onnx__NodeProto **out);
/* A new attribute of @p type appended to @p n (arena); the caller sets its value. */
int onnx_attr_new(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                  Onnx__AttributeProto__AttributeType type, Onnx__AttributeProto **out);
/* ------------------------------------------------------------------ */
/* Fills: bytes written straight into the output file (onnx_fill.c)    */
/* ------------------------------------------------------------------ */

/* A large list attribute (a forest's node lists) is never built in
 * memory: its size is counted while the graph is built, the message
 * carries an unknown field of that size whose data pointer only marks
 * it, and once onnx_model_pack() has laid the file out in a room of the
 * output (skc_stream_reserve) the jobs write the bytes in place, on two
 * threads. A job returns 0, or SKC_E_INTERNAL when its bytes did not come
 * out as counted. */
typedef struct onnx_fill onnx_fill;
typedef int (*onnx_fill_fn)(void *ctx);

/* Data for an unknown field of @p len bytes filled later: the returned
 * pointer marks the field and is never read; *@p dst is set to the bytes'
 * place in the file before any job runs. */
const uint8_t *onnx_fill_mark(onnx_builder *b, size_t len, uint8_t **dst);
/* A job to run once every mark is placed; @p ctx must live as long as
 * the builder (the arena). */
int onnx_fill_job(onnx_builder *b, onnx_fill_fn fn, void *ctx);
/* Pack @p mp into @p room (@p size bytes, its packed size) with the marked
 * fields left to the jobs, then run them. */
int onnx_fill_pack(onnx_builder *b, Onnx__ModelProto *mp, uint8_t *room, size_t size);

/* Append @p p to @p v (realloc'd; freed with the builder). */
int onnx_vec_push(onnx_vec *v, void *p);
int onnx_attr_int(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                  int64_t v);
/* A string attribute (AttributeProto.s) holding @p v. */
int onnx_attr_string(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                     const char *v);

/* Initializers. The real ones are stored in b->real_elem; @p v is in
 * double precision as the IR holds it. @p dims may be NULL for a scalar. */
int onnx_const_real(onnx_builder *b, const char *hint, const double *v,
                    int ndim, const int64_t *dims, const char **name);
int onnx_const_scalar(onnx_builder *b, const char *hint, double v,
                      const char **name);
int onnx_const_i64(onnx_builder *b, const char *hint, const int64_t *v,
                   int ndim, const int64_t *dims, const char **name);
/* A copy of IR tensor @p t with its own element type kept (labels):
 * integers become int64, strings stay strings, bools stay bools, float32 and
 * float64 keep their width. *elem receives the ONNX type. */
int onnx_const_exact(onnx_builder *b, const char *hint, const skc_tensor *t,
                     const char **name, int *elem);

/* @p name (of type @p from) as type @p to: itself, or a new Cast's output. */
int onnx_cast_to(onnx_builder *b, const char *name, int from, int to,
                 const char **out);

/* Probability helpers (onnx_ops_proba.c): P = [1 - p, p] from the
 * positive column p [N, 1]; P = q / sum(q) per row, uniform where the sum
 * is 0. */
int onnx_binary_pair(onnx_builder *b, const char *p, const char *out);
int onnx_normalise_rows(onnx_builder *b, const char *q, const char *out);

/* -O zipmap=true: after the steps, the `probabilities` output becomes a
 * ZipMap of it labelled with the classes of the `label` output, declared
 * as a sequence of maps (onnx_zipmap.c). */
int onnx_zipmap_add(onnx_builder *b, const skc_model *m);

/* The ModelProto for the graph built so far, every field set; arena-owned. */
int onnx_model_assemble(onnx_builder *b, const skc_model *m,
                        Onnx__ModelProto **out);
/* External data (onnx_external.c): with b->external, or when *size (the
 * packed size of @p mp) passes protobuf's 2 GiB, move the tensors of
 * 1 KiB or more to the side file `<output>.data` (skc_session_open_side),
 * and update *size; refuse a model still too large without them. */
int onnx_external_prepare(onnx_builder *b, Onnx__ModelProto *mp, size_t *size);
/* Serialise @p mp to @p out through a staging buffer, its large tensors
 * in external data when needed. */
int onnx_model_pack(onnx_builder *b, Onnx__ModelProto *mp, skc_stream *out);

/* ------------------------------------------------------------------ */
/* Reading IR steps with checks                                        */
/* ------------------------------------------------------------------ */

/* Real input @p i of the step, cast to b->real_elem when it is not. */
int onnx_step_real_input(onnx_builder *b, const skc_step *st, int i,
                         const char **name);
/* Any input @p i of the step, with its element type. */
int onnx_step_input(onnx_builder *b, const skc_step *st, int i,
                    const char **name, int *elem);
/* Define output @p i of the step with element type @p elem. */
int onnx_step_output(onnx_builder *b, const skc_step *st, int i, int elem,
                     const char **name);
/* Fail unless the step has @p n_in inputs and @p n_out outputs. */
int onnx_step_arity(onnx_builder *b, const skc_step *st, int n_in, int n_out);
/* Tensor attribute @p key as doubles, copied into the arena. The tensor must
 * be numeric with @p ndim dimensions (1 or 2); shape goes to @p dims.
 * SKC_E_NOT_FOUND (without a message) when absent and !required. */
int onnx_step_reals(onnx_builder *b, const skc_step *st, const char *key,
                    int required, int ndim, int64_t *dims, double **out);
/* String attribute @p key (required). */
int onnx_step_string(onnx_builder *b, const skc_step *st, const char *key,
                     const char **out);

/* ------------------------------------------------------------------ */
/* Operations: one emitter per IR op (core/OPS.md)                     */
/* ------------------------------------------------------------------ */

typedef int (*onnx_emit_fn)(onnx_builder *b, const skc_step *st);

int onnx_emit_scaler(onnx_builder *b, const skc_step *st);
int onnx_emit_clip(onnx_builder *b, const skc_step *st);
int onnx_emit_linear(onnx_builder *b, const skc_step *st);
int onnx_emit_proba(onnx_builder *b, const skc_step *st);
int onnx_emit_label(onnx_builder *b, const skc_step *st);
int onnx_emit_identity(onnx_builder *b, const skc_step *st);
int onnx_emit_tree_ensemble(onnx_builder *b, const skc_step *st);
int onnx_emit_iforest_score(onnx_builder *b, const skc_step *st);
int onnx_emit_weighted_median(onnx_builder *b, const skc_step *st);
int onnx_emit_multi_label(onnx_builder *b, const skc_step *st);
int onnx_emit_activation(onnx_builder *b, const skc_step *st);
int onnx_emit_modified_huber(onnx_builder *b, const skc_step *st);
int onnx_emit_constant(onnx_builder *b, const skc_step *st);
int onnx_emit_kmeans(onnx_builder *b, const skc_step *st);
int onnx_emit_svm(onnx_builder *b, const skc_step *st);
int onnx_emit_svm_vote(onnx_builder *b, const skc_step *st);
int onnx_emit_svm_decision(onnx_builder *b, const skc_step *st);
int onnx_emit_svm_proba(onnx_builder *b, const skc_step *st);
int onnx_emit_knn_classify(onnx_builder *b, const skc_step *st);
int onnx_emit_knn_regress(onnx_builder *b, const skc_step *st);
int onnx_emit_naive_bayes(onnx_builder *b, const skc_step *st);
/* onnx_ops_prep.c */
int onnx_emit_normalize(onnx_builder *b, const skc_step *st);
int onnx_emit_binarize(onnx_builder *b, const skc_step *st);
int onnx_emit_impute(onnx_builder *b, const skc_step *st);
int onnx_emit_missing_mask(onnx_builder *b, const skc_step *st);
int onnx_emit_select_columns(onnx_builder *b, const skc_step *st);
int onnx_emit_concat(onnx_builder *b, const skc_step *st);
int onnx_emit_bucketize(onnx_builder *b, const skc_step *st);
int onnx_emit_poly(onnx_builder *b, const skc_step *st);
int onnx_emit_power_transform(onnx_builder *b, const skc_step *st);
int onnx_emit_quantile(onnx_builder *b, const skc_step *st);
int onnx_emit_ufunc(onnx_builder *b, const skc_step *st);
int onnx_emit_category_map(onnx_builder *b, const skc_step *st);
int onnx_emit_onehot(onnx_builder *b, const skc_step *st);
/* onnx_ops_compose.c */
int onnx_emit_domain(onnx_builder *b, const skc_step *st);
int onnx_emit_weighted_sum(onnx_builder *b, const skc_step *st);
int onnx_emit_vote(onnx_builder *b, const skc_step *st);
int onnx_emit_isotonic(onnx_builder *b, const skc_step *st);
int onnx_emit_proba_normalize(onnx_builder *b, const skc_step *st);
int onnx_emit_as_real(onnx_builder *b, const skc_step *st);
int onnx_emit_aggregate(onnx_builder *b, const skc_step *st);
int onnx_emit_power(onnx_builder *b, const skc_step *st);
/* onnx_ops_text.c */
int onnx_emit_text_vectorize(onnx_builder *b, const skc_step *st);
int onnx_emit_tfidf(onnx_builder *b, const skc_step *st);

/* The emitter for IR op @p op, or NULL if the writer cannot write it. */
onnx_emit_fn onnx_op_emitter(const char *op);

/* The ONNX reader's mirror ops, written back as their ONNX nodes
 * (onnx_ops_mirror.c): 1 if @p op is one. */
int onnx_mirror_known(const char *op);
int onnx_emit_mirror(onnx_builder *b, const skc_step *st);

/* Write @p m as ONNX with the session's options (onnx_write.c). */
int onnx_write_model(skc_session *s, const skc_model *m, skc_stream *out);
/* Append one metadata_props entry to a model just written (onnx_model.c). */
int onnx_append_meta(skc_session *s, skc_stream *out, const char *key, const char *value);

#endif
