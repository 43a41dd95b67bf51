/* SPDX-License-Identifier: MIT */
/* ir.h: the intermediate representation: typed tensors, steps and models. */
#ifndef SKCONV_IR_H
#define SKCONV_IR_H

#include <skconv/skconv.h>

#ifdef __cplusplus
extern "C" {
#endif

/** IR version written into native files and checked by readers. */
#define SKC_IR_VERSION 1

/** Element types. Values are ABI. Numeric data is host-endian, row-major. */
typedef enum skc_dtype {
    SKC_DT_NONE   = 0,
    SKC_DT_F32    = 1,
    SKC_DT_F64    = 2,
    SKC_DT_I64    = 3,
    SKC_DT_STRING = 4,   /* UTF-8 strings, one per element */
    SKC_DT_I32    = 5,
    SKC_DT_U8     = 6,
    SKC_DT_BOOL   = 7,   /* one byte, 0 or 1 */
    SKC_DT_U32    = 8
} skc_dtype;

#define SKC_MAX_DIMS 8

/** Size in bytes of one element (0 for strings and NONE). */
SKC_API size_t      skc_dtype_size(int dtype);
/** "float32", "float64", "int64", "string", ...; never NULL. */
SKC_API const char *skc_dtype_name(int dtype);

/* ------------------------------------------------------------------ */
/* Tensors: reference counted, so one array can appear in many steps.  */
/* ------------------------------------------------------------------ */

/**
 * A new zero-filled tensor (strings: all empty).
 * @p ndim ≤ SKC_MAX_DIMS; every shape entry ≥ 0.
 * @return 0, SKC_E_INVAL, SKC_E_LIMIT (size overflows), SKC_E_NOMEM.
 * Caller owns one reference; release it with skc_tensor_free().
 */
SKC_API int skc_tensor_new(int dtype, int ndim, const int64_t *shape,
                           skc_tensor **out);

/**
 * A numeric tensor over existing memory (zero copy). @p release, if not
 * NULL, is called with @p release_user when the last reference goes.
 * The data must stay valid and unchanged until then.
 */
SKC_API int skc_tensor_wrap(int dtype, int ndim, const int64_t *shape,
                            const void *data,
                            void (*release)(void *release_user),
                            void *release_user, skc_tensor **out);

/** Shorthand: a 1-D tensor copied from @p n doubles / int64s. */
SKC_API int skc_tensor_from_f64(const double *v, int64_t n, skc_tensor **out);
SKC_API int skc_tensor_from_i64(const int64_t *v, int64_t n, skc_tensor **out);

/** Add a reference; returns @p t. */
SKC_API skc_tensor *skc_tensor_ref(skc_tensor *t);
/** Drop a reference; the last one frees. NULL is a no-op. */
SKC_API void skc_tensor_free(skc_tensor *t);

SKC_API int            skc_tensor_dtype(const skc_tensor *t);
SKC_API int            skc_tensor_ndim(const skc_tensor *t);
SKC_API const int64_t *skc_tensor_shape(const skc_tensor *t);
SKC_API int64_t        skc_tensor_numel(const skc_tensor *t);
SKC_API size_t         skc_tensor_nbytes(const skc_tensor *t);

/** Numeric data (NULL for strings). Borrowed. */
SKC_API const void *skc_tensor_data(const skc_tensor *t);
/**
 * Writable numeric data. A wrapped (borrowed) tensor is copied first so
 * the caller never writes into someone else's memory.
 */
SKC_API void *skc_tensor_data_mut(skc_tensor *t);

/** Set element @p i of a string tensor to @p len bytes (copied). */
SKC_API int skc_tensor_set_string(skc_tensor *t, int64_t i, const char *s,
                                  size_t len);
/** Element @p i of a string tensor, NUL-terminated; NULL if out of range. */
SKC_API const char *skc_tensor_string(const skc_tensor *t, int64_t i,
                                      size_t *len);

/** Element @p i of a numeric tensor converted to double (NaN if out of range). */
SKC_API double skc_tensor_get_f64(const skc_tensor *t, int64_t i);

/* ------------------------------------------------------------------ */
/* Attributes of a step                                                */
/* ------------------------------------------------------------------ */

typedef enum skc_attr_kind {
    SKC_ATTR_INT    = 1,
    SKC_ATTR_FLOAT  = 2,   /* double */
    SKC_ATTR_STRING = 3,
    SKC_ATTR_TENSOR = 4
} skc_attr_kind;

/* ------------------------------------------------------------------ */
/* Models                                                              */
/* ------------------------------------------------------------------ */

typedef struct skc_step skc_step;  /* owned by its model */

/** A new, empty model. Caller frees with skc_model_free(). */
SKC_API int  skc_model_new(skc_model **out);
SKC_API void skc_model_free(skc_model *m);

/**
 * Declare a model input: a tensor name, an element type and a shape where
 * -1 is "any" (rows are always dimension 0). Column names, if known, come
 * with skc_model_set_input_columns().
 */
SKC_API int skc_model_add_input(skc_model *m, const char *name, int dtype,
                                int ndim, const int64_t *shape);
/** Column names of input @p index (a 1-D string tensor; a reference is taken). */
SKC_API int skc_model_set_input_columns(skc_model *m, int index,
                                        skc_tensor *names);
/** Declare a model output: the name of a tensor some step produces. */
SKC_API int skc_model_add_output(skc_model *m, const char *name, int dtype,
                                 int ndim, const int64_t *shape);

SKC_API int            skc_model_input_count(const skc_model *m);
SKC_API const char    *skc_model_input_name(const skc_model *m, int i);
SKC_API int            skc_model_input_dtype(const skc_model *m, int i);
SKC_API const int64_t *skc_model_input_shape(const skc_model *m, int i, int *ndim);
/** Column names or NULL. Borrowed. */
SKC_API const skc_tensor *skc_model_input_columns(const skc_model *m, int i);
SKC_API int            skc_model_output_count(const skc_model *m);
SKC_API const char    *skc_model_output_name(const skc_model *m, int i);
SKC_API int            skc_model_output_dtype(const skc_model *m, int i);
SKC_API const int64_t *skc_model_output_shape(const skc_model *m, int i, int *ndim);

/**
 * Append a step running operation @p op (see the table in core/OPS.md).
 * The step is owned by the model; *out is borrowed.
 */
SKC_API int skc_model_add_step(skc_model *m, const char *op, skc_step **out);
SKC_API int skc_step_add_input(skc_step *s, const char *tensor_name);
SKC_API int skc_step_add_output(skc_step *s, const char *tensor_name);
SKC_API int skc_step_set_int(skc_step *s, const char *key, int64_t v);
SKC_API int skc_step_set_float(skc_step *s, const char *key, double v);
SKC_API int skc_step_set_string(skc_step *s, const char *key, const char *v);
/** Attach a tensor attribute; a reference is taken (the caller keeps its own). */
SKC_API int skc_step_set_tensor(skc_step *s, const char *key, skc_tensor *t);

SKC_API int             skc_model_step_count(const skc_model *m);
SKC_API const skc_step *skc_model_step(const skc_model *m, int i);
SKC_API const char     *skc_step_op(const skc_step *s);
SKC_API int             skc_step_input_count(const skc_step *s);
SKC_API const char     *skc_step_input(const skc_step *s, int i);
SKC_API int             skc_step_output_count(const skc_step *s);
SKC_API const char     *skc_step_output(const skc_step *s, int i);

/** Attribute lookup: 0 and the value, or SKC_E_NOT_FOUND / SKC_E_INVAL (wrong kind). */
SKC_API int skc_step_get_int(const skc_step *s, const char *key, int64_t *v);
SKC_API int skc_step_get_float(const skc_step *s, const char *key, double *v);
SKC_API int skc_step_get_string(const skc_step *s, const char *key, const char **v);
SKC_API int skc_step_get_tensor(const skc_step *s, const char *key,
                                const skc_tensor **v);
/** Iterate attributes in insertion order: kind, key (borrowed). */
SKC_API int skc_step_attr_count(const skc_step *s);
SKC_API int skc_step_attr_at(const skc_step *s, int i, const char **key,
                             int *kind);

/**
 * Free-form metadata (provenance): producer versions, source hash,
 * original class names. Keys are dotted ("source.sha256"). Setting an
 * existing key replaces its value; a NULL @p value removes the key.
 */
SKC_API int         skc_model_set_meta(skc_model *m, const char *key, const char *value);
SKC_API const char *skc_model_get_meta(const skc_model *m, const char *key);
SKC_API int         skc_model_meta_count(const skc_model *m);
SKC_API int         skc_model_meta_at(const skc_model *m, int i,
                                      const char **key, const char **value);

/**
 * Check the model: every op is known and has its required attributes with
 * consistent shapes, every step input is a model input or an earlier
 * step's output, every output is produced. Detail in @p err.
 * @return 0, SKC_E_FORMAT, SKC_E_UNSUPPORTED (unknown op).
 */
SKC_API int skc_model_validate(const skc_model *m, char *err, size_t errlen);

/** 1 if @p op is in this library's closed operation set. */
SKC_API int skc_op_known(const char *op);

/**
 * Evaluate the model on @p inputs (one tensor per model input, rows in
 * dimension 0) in double precision. @p outputs receives one new tensor per
 * model output (caller frees each). The reference semantics are in
 * core/OPS.md.
 * @return 0, SKC_E_INVAL (inputs do not match), SKC_E_NOMEM, SKC_E_UNSUPPORTED.
 */
SKC_API int skc_model_eval(const skc_model *m, const skc_tensor *const *inputs,
                           skc_tensor **outputs, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
