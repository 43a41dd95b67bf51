/* SPDX-License-Identifier: MIT */
/* onnx_write.c: walks an IR model, emits each step as ONNX nodes and writes the result with the session's options. */
#include <string.h>

#include "onnx_writer.h"

static const struct {
    const char  *op;
    onnx_emit_fn emit;
} onnx_ops[] = {
    { "scaler",   onnx_emit_scaler   },
    { "clip",     onnx_emit_clip     },
    { "linear",   onnx_emit_linear   },
    { "proba",    onnx_emit_proba    },
    { "label",    onnx_emit_label    },
    { "identity", onnx_emit_identity },
    { "tree_ensemble", onnx_emit_tree_ensemble },
    { "iforest_score", onnx_emit_iforest_score },
    { "weighted_median", onnx_emit_weighted_median },
    { "multi_label", onnx_emit_multi_label },
    { "activation", onnx_emit_activation },
    { "modified_huber", onnx_emit_modified_huber },
    { "constant", onnx_emit_constant },
    { "kmeans",   onnx_emit_kmeans   },
    { "svm",      onnx_emit_svm      },
    { "svm_vote", onnx_emit_svm_vote },
    { "svm_decision", onnx_emit_svm_decision },
    { "svm_proba", onnx_emit_svm_proba },
    { "knn_classify", onnx_emit_knn_classify },
    { "knn_regress", onnx_emit_knn_regress },
    { "naive_bayes", onnx_emit_naive_bayes },
    { "normalize", onnx_emit_normalize },
    { "binarize", onnx_emit_binarize },
    { "impute", onnx_emit_impute },
    { "missing_mask", onnx_emit_missing_mask },
    { "select_columns", onnx_emit_select_columns },
    { "concat", onnx_emit_concat },
    { "bucketize", onnx_emit_bucketize },
    { "poly", onnx_emit_poly },
    { "power_transform", onnx_emit_power_transform },
    { "quantile", onnx_emit_quantile },
    { "ufunc", onnx_emit_ufunc },
    { "category_map", onnx_emit_category_map },
    { "onehot", onnx_emit_onehot },
    { "domain", onnx_emit_domain },
    { "weighted_sum", onnx_emit_weighted_sum },
    { "vote", onnx_emit_vote },
    { "isotonic", onnx_emit_isotonic },
    { "proba_normalize", onnx_emit_proba_normalize },
    { "as_real", onnx_emit_as_real },
    { "aggregate", onnx_emit_aggregate },
    { "power", onnx_emit_power },
    { "text_vectorize", onnx_emit_text_vectorize }, { "tfidf", onnx_emit_tfidf },
};

onnx_emit_fn onnx_op_emitter(const char *op)
{
    if (!op)
        return NULL;
    for (size_t i = 0; i < sizeof(onnx_ops) / sizeof(onnx_ops[0]); i++)
        if (strcmp(onnx_ops[i].op, op) == 0)
            return onnx_ops[i].emit;
    /* The ONNX reader's mirror ops ("onnx.*", "onnxml.*") copy back. */
    return onnx_mirror_known(op) ? onnx_emit_mirror : NULL;
}

typedef struct onnx_options {
    int opset;
    int ml_opset;
    int real_elem;
    int zipmap;
    int columns;   /* inputs=columns */
    int external;  /* external_data=true */
} onnx_options;

/* The core has validated the values against the option table; the bounds
 * are checked again because a host may call write() without that table. */
static int onnx_read_options(skc_session *s, onnx_options *o)
{
    int64_t opset = skc_session_option_int(s, "opset", ONNX_OPSET_DEFAULT);
    int64_t ml = skc_session_option_int(s, "ml_opset", ONNX_ML_OPSET_DEFAULT);
    const char *dtype = skc_session_option(s, "dtype");

    if (opset < ONNX_OPSET_MIN || opset > ONNX_OPSET_MAX)
        return skc_set_error(s, SKC_E_INVAL, "opset=%lld is outside %d..%d",
                             (long long)opset, ONNX_OPSET_MIN, ONNX_OPSET_MAX);
    if (ml < ONNX_ML_OPSET_MIN || ml > ONNX_ML_OPSET_MAX)
        return skc_set_error(s, SKC_E_INVAL, "ml_opset=%lld is outside %d..%d",
                             (long long)ml, ONNX_ML_OPSET_MIN, ONNX_ML_OPSET_MAX);
    if (!dtype || strcmp(dtype, "float32") == 0)
        o->real_elem = ONNX_ELEM_FLOAT;
    else if (strcmp(dtype, "float64") == 0)
        o->real_elem = ONNX_ELEM_DOUBLE;
    else
        return skc_set_error(s, SKC_E_INVAL, "dtype=%s is not float32 or float64",
                             dtype);
    o->zipmap = skc_session_option_bool(s, "zipmap", 0);
    const char *inputs = skc_session_option(s, "inputs");
    if (inputs && strcmp(inputs, "columns") != 0 && strcmp(inputs, "tensor") != 0)
        return skc_set_error(s, SKC_E_INVAL, "inputs=%s is not tensor or columns", inputs);
    o->columns = inputs && strcmp(inputs, "columns") == 0;
    o->external = skc_session_option_bool(s, "external_data", 0);
    o->opset = (int)opset;
    o->ml_opset = (int)ml;
    return 0;
}

/* Numeric columns take the chosen arithmetic type (so dtype=float64 gives a
 * double X); other columns keep their own type and are cast where used. */
static int onnx_elem_for_ir(int dtype, int real_elem)
{
    switch (dtype) {
    case SKC_DT_F32: case SKC_DT_F64: return real_elem;
    case SKC_DT_I64:    return ONNX_ELEM_INT64;
    case SKC_DT_I32:    return ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    case SKC_DT_U32:    return ONNX__TENSOR_PROTO__DATA_TYPE__UINT32;
    case SKC_DT_U8:     return ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
    case SKC_DT_BOOL:   return ONNX_ELEM_BOOL;
    case SKC_DT_STRING: return ONNX_ELEM_STRING;
    default:            return ONNX_ELEM_UNKNOWN;
    }
}

/* -O inputs=columns: one graph input [N, 1] per named column of the
 * model's input, each of X's element type (string for a model with text
 * columns, core/OPS.md "String inputs"), joined by a Concat into the X
 * the steps read. The ONNX reader lifts such a graph back into one X with
 * these column names. */
static int onnx_declare_columns(onnx_builder *b, const skc_model *m)
{
    const skc_tensor *cols = skc_model_input_columns(m, 0);
    const int64_t col_shape[2] = { -1, 1 };
    int dtype = skc_model_input_dtype(m, 0), ndim = 0, elem, rc;
    const int64_t *shape = skc_model_input_shape(m, 0, &ndim);
    const char *x, **in;
    Onnx__NodeProto *n;
    int64_t k, i;

    if (skc_model_input_count(m) != 1 || !cols || ndim != 2)
        return onnx_error(b, SKC_E_UNSUPPORTED, "inputs=columns needs the names of the "
                          "model's input columns, and this model does not record them (it "
                          "was fitted on an array, not a DataFrame); leave inputs at tensor");
    k = skc_tensor_numel(cols);
    if (shape[1] >= 0 && shape[1] != k)
        return onnx_error(b, SKC_E_FORMAT, "the model names %lld input columns for %lld",
                          (long long)k, (long long)shape[1]);
    elem = onnx_elem_for_ir(dtype, b->real_elem);
    if (elem == ONNX_ELEM_UNKNOWN)
        return onnx_error(b, SKC_E_UNSUPPORTED, "model input has element type %s",
                          skc_dtype_name(dtype));
    if (!(in = onnx_arena_alloc(b->arena, (size_t)(k ? k : 1), sizeof(*in))))
        return SKC_E_NOMEM;
    for (i = 0; i < k; i++) {
        size_t len = 0;
        const char *c = skc_tensor_string(cols, i, &len);
        for (int o = 0; o < skc_model_output_count(m); o++)
            if (strcmp(skc_model_output_name(m, o), c) == 0)
                return onnx_error(b, SKC_E_UNSUPPORTED, "inputs=columns: column '%s' has "
                                  "the name of an output; leave inputs at tensor", c);
        if (!c || !len || strlen(c) != len)
            return onnx_error(b, SKC_E_UNSUPPORTED, "inputs=columns: column %lld has an "
                              "empty or unusable name", (long long)i);
        if ((rc = onnx_name_reserve_onnx(b, c)) < 0)
            return rc;
        if ((rc = onnx_graph_input(b, c, elem, 2, col_shape)) < 0)
            return rc;
        in[i] = c;
    }
    if ((rc = onnx_name_define(b, skc_model_input_name(m, 0), elem, &x)) < 0 ||
        (rc = onnx_node(b, "Concat", NULL, in, (size_t)k, &x, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "axis", 1);
}

static int onnx_declare_inputs(onnx_builder *b, const skc_model *m, int columns)
{
    int rc;
    if (columns)
        return onnx_declare_columns(b, m);
    for (int i = 0; i < skc_model_input_count(m); i++) {
        const char *name = skc_model_input_name(m, i);
        int dtype = skc_model_input_dtype(m, i), ndim = 0;
        const int64_t *shape = skc_model_input_shape(m, i, &ndim);
        int elem = onnx_elem_for_ir(dtype, b->real_elem);
        if (!name || elem == ONNX_ELEM_UNKNOWN)
            return onnx_error(b, SKC_E_UNSUPPORTED, "model input %d has element "
                              "type %s", i, skc_dtype_name(dtype));
        if ((rc = onnx_name_reserve_input(b, name, elem)) < 0 ||
            (rc = onnx_graph_input(b, name, elem, shape ? ndim : -1, shape)) < 0)
            return rc;
    }
    return 0;
}

static int onnx_same_kind(int ir_elem, int elem)
{
    int ir_real = ir_elem == ONNX_ELEM_FLOAT || ir_elem == ONNX_ELEM_DOUBLE;
    int real = elem == ONNX_ELEM_FLOAT || elem == ONNX_ELEM_DOUBLE;
    return ir_real ? real : ir_elem == elem;
}

/* Output names are taken before any step runs, so no internal name can
 * claim one of them. */
static int onnx_reserve_outputs(onnx_builder *b, const skc_model *m)
{
    int rc;
    for (int i = 0; i < skc_model_output_count(m); i++) {
        const char *name = skc_model_output_name(m, i);
        if (!name)
            return onnx_error(b, SKC_E_FORMAT, "model output %d has no name", i);
        if ((rc = onnx_name_reserve_output(b, name)) < 0)
            return rc;
    }
    return 0;
}

/* Outputs are declared after the steps: their ONNX type is what the
 * producing step emitted (e.g. float for probabilities under dtype=float32
 * although the IR computes them in double). */
static int onnx_declare_outputs(onnx_builder *b, const skc_model *m, int zipmap)
{
    int rc;
    for (int i = 0; i < skc_model_output_count(m); i++) {
        const char *name = skc_model_output_name(m, i);
        if (zipmap && strcmp(name, "probabilities") == 0)
            continue;  /* declared by onnx_zipmap_add */
        int dtype = skc_model_output_dtype(m, i), ndim = 0, elem;
        const int64_t *shape = skc_model_output_shape(m, i, &ndim);
        if ((rc = onnx_name_output_elem(b, name, &elem)) < 0)
            return rc;
        if (!onnx_same_kind(onnx_elem_for_ir(dtype, b->real_elem), elem))
            return onnx_error(b, SKC_E_FORMAT, "model output '%s' is declared "
                              "%s but its step produces another type", name,
                              skc_dtype_name(dtype));
        /* IR outputs are never scalars; rank 0 is an ONNX output whose
         * shape its file did not give, so none is written. */
        if ((rc = onnx_graph_output(b, name, elem, shape && ndim > 0 ? ndim : -1, shape)) < 0)
            return rc;
    }
    return 0;
}

static int onnx_emit_steps(onnx_builder *b, const skc_model *m)
{
    int rc;
    for (int i = 0; i < skc_model_step_count(m); i++) {
        const skc_step *st = skc_model_step(m, i);
        b->step_index = i;
        b->step_op = skc_step_op(st);
        b->step_prefix = skc_step_output_count(st) > 0 ? skc_step_output(st, 0) : NULL;
        onnx_emit_fn emit = onnx_op_emitter(b->step_op);
        if (!emit)
            return onnx_error(b, SKC_E_UNSUPPORTED,
                              "the ONNX writer has no translation for this "
                              "operation yet");
        if ((rc = emit(b, st)) < 0)
            return rc;
    }
    b->step_index = -1;
    b->step_prefix = NULL;
    return 0;
}

int onnx_write_model(skc_session *s, const skc_model *m, skc_stream *out)
{
    onnx_builder b;
    onnx_options o = { 0, 0, 0, 0, 0, 0 };
    Onnx__ModelProto *mp;
    char err[512];
    int rc;

    memset(&b, 0, sizeof(b));
    if ((rc = onnx_read_options(s, &o)) < 0)
        return rc;
    /* A third-party reader may hand over any IR: check it before trusting
     * shapes and names. */
    if ((rc = skc_model_validate(m, err, sizeof(err))) < 0)
        return skc_set_error(s, rc, "the model is not valid IR: %s", err);
    if ((rc = onnx_builder_init(&b, s, o.real_elem, o.opset, o.ml_opset)) < 0)
        goto fail;
    b.model = m;
    b.external = o.external;
    if ((rc = onnx_declare_inputs(&b, m, o.columns)) < 0)
        goto fail;
    if ((rc = onnx_reserve_outputs(&b, m)) < 0 ||
        (rc = onnx_emit_steps(&b, m)) < 0 ||
        (rc = onnx_declare_outputs(&b, m, o.zipmap)) < 0 ||
        (o.zipmap && (rc = onnx_zipmap_add(&b, m)) < 0) ||
        (rc = onnx_model_assemble(&b, m, &mp)) < 0 ||
        (rc = onnx_model_pack(&b, mp, out)) < 0)
        goto fail;
    onnx_builder_release(&b);
    return 0;
fail:
    if (rc == SKC_E_NOMEM)
        skc_set_error(s, rc, "out of memory while building the ONNX graph");
    onnx_builder_release(&b);
    return rc;
}
