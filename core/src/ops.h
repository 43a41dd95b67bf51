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
} skci_hints;

SKCI_HIDDEN int skci_hint_add(skci_hints *h, int64_t col, double v);

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
SKCI_HIDDEN extern const skci_op skci_ops_onnx[];    /* op_onnx.c: ONNX mirror ops   */
SKCI_HIDDEN extern const skci_op skci_ops_onnxml[];  /* op_onnxml.c               */

/* Helpers shared by op files. */
SKCI_HIDDEN int skci_need_f64(const skc_step *s, const char *key, int ndim,
                              const skc_tensor **t, char *err, size_t errlen);
SKCI_HIDDEN int skci_new_matrix(int64_t rows, int64_t cols, skc_tensor **out);
SKCI_HIDDEN int64_t skci_rows(const skc_tensor *t);
/* scipy.special.expit, 1 / (1 + e^-z), without overflow (op_basic.c). */
SKCI_HIDDEN double skci_expit(double z);
SKCI_HIDDEN int64_t skci_cols(const skc_tensor *t);

#endif
