/* SPDX-License-Identifier: MIT */
/* sk_lift.h: lifting sklearn estimators from the object graph into the IR (shared by sk_*.c). */
#ifndef SKCONV_SK_LIFT_H
#define SKCONV_SK_LIFT_H

#include <skconv/plugin.h>
#include "pk_graph.h"

typedef struct sk_ctx {
    skc_session *s;
    skc_model *m;
    int counter;             /* for unique tensor names            */
    char path[512];          /* object path for messages           */
    int64_t x_width;         /* columns of the model input X, -1 unknown */
    int x_dtype;             /* element type of X: 0 is float64; SKC_DT_STRING when an encoder reads string columns from X */
    int final;               /* the estimator being lifted makes the model outputs */
    int wrapped_role;        /* a SK_WRAPPER lifter sets the role it played */
    char last_label[64];     /* a classifier's label tensor                        */
    skc_tensor *x_columns;   /* names of X's columns when known (PMMLPipeline active_fields,
                              * feature_names_in_); owned, set on the model input at the end */
    int inner;               /* not final, yet a composition (Voting, Stacking, ...) reads its
                              * predictions: estimators that are also transformers (LDA)
                              * act as predictors */
} sk_ctx;

/* The pickle reader's session block: the input being read. */
typedef struct sk_priv {
    skc_stream *src;
    const uint8_t *drop;         /* a run of bytes sk_drop has not given back yet */
    size_t drop_n;
} sk_priv;

/* The lifter is done with bytes [p, p + n) of the input (sk_lift.c):
 * adjacent ranges are given back together (each call to the kernel
 * stops the other thread to flush its TLB), the rest by sk_drop_flush. */
void sk_drop(sk_ctx *c, const void *p, size_t n);
void sk_drop_flush(sk_priv *priv);

/* What a lifted estimator contributes. */
enum sk_role { SK_TRANSFORMER = 1, SK_REGRESSOR, SK_CLASSIFIER, SK_WRAPPER };

/* A transformer or predictor reads tensor @p in ([N, in_width]; -1 unknown).
 * Transformers write the name of their output tensor to @p out (64 bytes)
 * and its width to @p out_width. Predictors add the model outputs
 * (label/probabilities or variable) themselves. */
typedef int (*sk_lift_fn)(sk_ctx *c, const pk_obj *est, const char *in,
                          int64_t in_width, char *out, int64_t *out_width);

typedef struct sk_family {
    const char *canonical;   /* "sklearn.linear_model.LinearRegression" */
    int role;
    sk_lift_fn lift;
} sk_family;

/* Family tables, one per file (sk_linear.c, sk_preprocessing.c, sk_compose.c). */
extern const sk_family sk_linear_families[];
extern const sk_family sk_mlp_families[];
extern const sk_family sk_cluster_families[];
extern const sk_family sk_dummy_families[];
extern const sk_family sk_trees_families[];
extern const sk_family sk_preprocessing_families[];
extern const sk_family sk_compose_families[];
extern const sk_family sk_compose_pmml_families[];
extern const sk_family sk_compose_ensemble_families[];
extern const sk_family sk_compose_calib_families[];
extern const sk_family sk_svm_families[];
extern const sk_family sk_neighbors_families[];
extern const sk_family sk_bayes_families[];
extern const sk_family sk_prep_scale_families[];
extern const sk_family sk_prep_encode_families[];
extern const sk_family sk_prep_impute_families[];
extern const sk_family sk_prep_decomp_families[];
extern const sk_family sk_prep_select_families[];
extern const sk_family sk_text_families[];

/* Lift the root object of a file into a complete model: the root
 * estimator, the member the reader option `object` names, or the one final
 * estimator of a container (sk_select.c). */
int sk_lift_model(skc_session *s, const pk_obj *root, skc_model **out);
/* Lift @p est as the whole model; @p path (may be NULL) prefixes messages.
 * *role (may be NULL) receives what it turned out to be (enum sk_role). */
int sk_lift_root(skc_session *s, const pk_obj *est, const char *path, skc_model **out,
                 int *role);
/* The sklearn version that wrote @p est, or NULL. */
const char *sk_sklearn_version(const pk_obj *est);
/* Lift one estimator inside a composition (used by Pipeline). */
int sk_lift_estimator(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width, int *role);
/* Canonical class id of an instance, or NULL (then mod and name say what it is). */
const char *sk_canonical(const pk_obj *est, const char **mod, const char **name);

/* Helpers. */
/* Check an estimator's own width against what the step before gives, and
 * record it as the model's input width when it reads X directly. */
int  sk_check_width(sk_ctx *c, const char *in, int64_t in_width, int64_t want);
int  sk_fail(sk_ctx *c, int code, const char *fmt, ...) SKC_PRINTF(3, 4);
void sk_new_name(sk_ctx *c, const char *stem, char *out);  /* out: 64 bytes */
/* The name a predictor gives its output: @p final_name when it makes the
 * model's outputs, a fresh name otherwise. */
void sk_out_name(sk_ctx *c, const char *final_name, char *out);
/* Numeric attribute as a float64 tensor with the array's own shape
 * (a Python float or int gives a 1-element 1-D tensor). */
int  sk_attr_f64(sk_ctx *c, const pk_obj *est, const char *key, skc_tensor **out);
/* Optional variant: *out = NULL when the attribute is absent or None. */
int  sk_attr_f64_opt(sk_ctx *c, const pk_obj *est, const char *key, skc_tensor **out);
int  sk_attr_int(const pk_obj *est, const char *key, int64_t *v);
/* String attribute (NULL if absent or not a string). */
const char *sk_attr_str(const pk_obj *est, const char *key);
/* classes_ as an int64 or string tensor. */
int  sk_classes(sk_ctx *c, const pk_obj *est, skc_tensor **out);
/* Append a step with one input and one output; attributes added by caller. */
int  sk_step(sk_ctx *c, const char *op, const char *in, const char *out, skc_step **st);
/* Declare the classifier / regressor outputs. */
int  sk_output_classifier(sk_ctx *c, const char *label, const char *proba,
                          const skc_tensor *classes, int64_t k);
int  sk_output_regressor(sk_ctx *c, const char *tensor, int64_t t);

/* numpy's pairwise sum of a contiguous 1-D array (sk_lift.c). */
double sk_pairwise_sum(const double *a, int64_t n);

#endif
