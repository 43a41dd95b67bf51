/* SPDX-License-Identifier: MIT */
/* ops.h: the table of IR operations: arity, attribute checks and reference evaluation. */
#ifndef SKCONV_OPS_H
#define SKCONV_OPS_H

#include "model.h"

/* Evaluation sees every numeric tensor as float64 [N, C] and every label
 * tensor as int64 or string [N]. */
/* Values worth probing for each column of a model input (verify.c):
 * an op that reads the model input directly adds what it knows (scaler
 * ranges, tree thresholds and their float32 neighbours, categories). */
typedef struct skci_hints {
    int64_t cols;
    double **vals;      /* per column */
    int64_t *n, *cap;
    int nan_ok;         /* the model accepts NaN inputs */
    /* String inputs: per column, the strings worth probing, borrowed as
     * elements [str_lo, str_hi) of a step's string tensor; NULL arrays
     * when the input holds numbers. */
    const skc_tensor **str_src;
    int64_t *str_lo, *str_hi;
    uint8_t *str_missing_ok; /* per column: "" (a missing string) is accepted */
    uint8_t *str_unknown_ok; /* per column: a string no category has is accepted */
    uint8_t *as_number;      /* per column: some IR op computes with it as numbers */
    /* During one hints() call, `cols` is the width of the step's input
     * and its column c is model input column colmap[c] (-1: none), reached
     * through select_columns and element-wise steps; NULL colmap: the
     * identity. The per-column arrays have x_cols entries. Set by
     * verify.c; skci_hint_add() and skci_hint_col() apply it. */
    const int64_t *colmap;
    int64_t x_cols;
    double *lo, *hi;         /* per column: the hinted range (verify.c) */
} skci_hints;

SKCI_HIDDEN int skci_hint_add(skci_hints *h, int64_t col, double v);
/* Model input column of the step's column @p col, or -1. */
SKCI_HIDDEN int64_t skci_hint_col(const skci_hints *h, int64_t col);
/* Whether every model input column has all the hints it keeps, so an op
 * with millions of candidates (tree thresholds) can stop early. */
SKCI_HIDDEN int skci_hints_full(const skci_hints *h);

/* For a model whose input 0 is a string X [N, f]: is_string[c] = 1 for the
 * columns some step reads as strings (encoders, string imputers), 0 for
 * those an IR op reads as numbers, 2 where the model does not tell (ONNX
 * mirror ops) (verify.c). */
SKCI_HIDDEN int skci_string_columns(const skc_model *m, uint8_t *is_string, int64_t f);

/* A string element read as a number (core/OPS.md "String inputs"): the
 * whole text, ASCII blanks aside, must be one strtod number ("nan" and
 * "inf" included). 0, or SKC_E_INVAL. */
SKCI_HIDDEN int skci_parse_f64(const char *s, size_t len, double *out);
/* A string tensor [N, C] (or [N]) as float64 [N, C], each element as
 * skci_parse_f64 reads it; the first element that is not a number is
 * named in @p err. */
SKCI_HIDDEN int skci_strings_to_f64(const skc_tensor *t, const char *what, skc_tensor **out,
                                    char *err, size_t errlen);

typedef struct skci_op {
    const char *name;
    int n_inputs;   /* -1: one or more */
    int n_outputs;
    int  (*check)(const skc_step *s, char *err, size_t errlen);
    int  (*eval)(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                 char *err, size_t errlen);
    /* Optional: candidate input values when the step reads a model input. */
    void (*hints)(const skc_step *s, skci_hints *h);
    /* 1: eval takes tensors of any dtype and shape as they are (the ONNX
     * mirror ops); 0: numeric inputs arrive as float64 [N, C]. */
    int any_dtype;
    /* 1: eval also takes string tensors (category_map, select_columns);
     * other classic ops are refused one rather than read it as numbers. */
    int strings_ok;
    /* Optional: the check at SKCI_CHECK_EVAL when it can be cheaper than
     * check (model.h); NULL: check. */
    int  (*check_eval)(const skc_step *s, char *err, size_t errlen);
} skci_op;

SKCI_HIDDEN const skci_op *skci_op_find(const char *name);

/* Family tables, each ending with a zeroed entry (op_<family>.c). */
SKCI_HIDDEN extern const skci_op skci_ops_basic[];
SKCI_HIDDEN extern const skci_op skci_ops_tree[];
SKCI_HIDDEN extern const skci_op skci_ops_mlp[];
SKCI_HIDDEN extern const skci_op skci_ops_cluster[];
SKCI_HIDDEN extern const skci_op skci_ops_prep[];
SKCI_HIDDEN extern const skci_op skci_ops_encode[];
SKCI_HIDDEN extern const skci_op skci_ops_svm[];
SKCI_HIDDEN extern const skci_op skci_ops_neighbors[];
SKCI_HIDDEN extern const skci_op skci_ops_bayes[];
SKCI_HIDDEN extern const skci_op skci_ops_compose[];
SKCI_HIDDEN extern const skci_op skci_ops_text[];     /* op_text.c: text_vectorize, tfidf */
/* op_text.c's strict UTF-8 decoding (code point count, or -1), encoding
 * (bytes written, at most 4) and one-to-one lowercase of a code point. */
SKCI_HIDDEN int64_t skci_utf8_decode(const char *s, size_t len, uint32_t *out);
SKCI_HIDDEN size_t skci_utf8_encode(uint32_t c, char *o);
SKCI_HIDDEN uint32_t skci_text_lower_cp(uint32_t c);
SKCI_HIDDEN extern const skci_op skci_ops_onnx[];    /* op_onnx.c: ONNX mirror ops   */
SKCI_HIDDEN extern const skci_op skci_ops_onnxml[];  /* op_onnxml.c               */
SKCI_HIDDEN extern const skci_op skci_ops_onnx_text[]; /* op_onnx_text.c: string ops */

/* Helpers shared by op files. */
SKCI_HIDDEN int skci_need_f64(const skc_step *s, const char *key, int ndim,
                              const skc_tensor **t, char *err, size_t errlen);
SKCI_HIDDEN int skci_new_matrix(int64_t rows, int64_t cols, skc_tensor **out);
SKCI_HIDDEN int64_t skci_rows(const skc_tensor *t);
/* scipy.special.expit, 1 / (1 + e^-z), without overflow (op_basic.c). */
SKCI_HIDDEN double skci_expit(double z);
SKCI_HIDDEN int64_t skci_cols(const skc_tensor *t);

#endif
