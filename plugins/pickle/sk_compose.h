/* SPDX-License-Identifier: MIT */
/* sk_compose.h: helpers shared by the composition lifters (sk_compose*.c): column selectors, inner estimators, decision functions. */
#ifndef SKCONV_SK_COMPOSE_H
#define SKCONV_SK_COMPOSE_H

#include "sk_lift.h"

/* The family tables of the sk_compose_*.c files are declared in sk_lift.h. */

/* 1 for None and the string 'passthrough' (Pipeline and FeatureUnion steps). */
int skm_is_passthrough(const pk_obj *o);
/* 1 for the string @p s. */
int skm_is_str(const pk_obj *o, const char *s);

/* Column names from a 1-D str/object array, a list/tuple of str, or a
 * pickled pandas Index; *names = NULL (and 0) when @p o holds none. */
int skm_names(sk_ctx *c, const pk_obj *o, const char *what, skc_tensor **names);
/* Index of @p name in @p names, or -1. */
int64_t skm_name_index(const skc_tensor *names, const char *name);

/* A ColumnTransformer / DataFrameMapper column selector resolved to input
 * column indices: an int or str, a list/tuple/array of ints, strs or bools,
 * or a slice. @p names are the input's column names (may be NULL when
 * selecting by position) and @p width its column count (-1 unknown).
 * *scalar is 1 when sklearn hands the transformer a 1-D column. */
int skm_select(sk_ctx *c, const pk_obj *sel, const skc_tensor *names, int64_t width,
               int64_t **idx, int64_t *k, int *scalar);

/* Lift an estimator whose predictions a composition consumes (Voting,
 * Stacking, ...): not final, but a predictor (c->inner); its path segment
 * added as "[what]". */
int skm_lift_inner(sk_ctx *c, const pk_obj *est, const char *what, const char *in,
                   int64_t in_width, char *out, int64_t *out_width, int *role);
/* The same for a transformer step (FeatureUnion, ColumnTransformer, ...). */
int skm_lift_transformer(sk_ctx *c, const pk_obj *est, const char *what, const char *in,
                         int64_t in_width, char *out, int64_t *out_width, int *role);

/* The estimator at the end of Pipeline / search-CV / FrozenEstimator
 * wrappers; for a BaggingClassifier, its base estimator unless that has a
 * decision_function (then the Bagging itself, which has one too). */
const pk_obj *skm_final_estimator(const pk_obj *est);
/* 1 when sklearn gives the estimator a decision_function (by class, for the
 * estimators skconv lifts). */
int skm_has_decision(const pk_obj *est);
/* The decision_function tensor of a classifier just lifted into @p out
 * (its probabilities or its scores), found from the step that made it;
 * binary classifiers give one column. Refused when the lifter's graph does
 * not show it plainly. */
int skm_decision(sk_ctx *c, const pk_obj *est, const char *out, char *dec,
                 int64_t *dec_width);

/* 1 when tensor @p t, which a classifier lifted into, is its probabilities
 * (not decision scores nor vote counts). */
int skm_is_proba(sk_ctx *c, const char *t);


/* Steps. Each writes the new tensor's name into @p out (64 bytes). */
int skm_concat(sk_ctx *c, char (*parts)[64], int n, char *out);
int skm_select_step(sk_ctx *c, const char *in, const int64_t *idx, int64_t k, char *out);
/* The weighted_sum step (sum of w[i] parts[i], divided) into tensor @p out. */
int skm_weighted_sum(sk_ctx *c, char (*parts)[64], int n, const double *w, double divisor,
                     const char *out);
/* Y = X * w (a scaler step with scale w on every column). */
int skm_scale(sk_ctx *c, const char *in, int64_t width, double w, char *out);

#endif
