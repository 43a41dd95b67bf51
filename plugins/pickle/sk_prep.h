/* SPDX-License-Identifier: MIT */
/* sk_prep.h: helpers shared by the preprocessing, encoding, imputation, decomposition and selection lifters (sk_prep_*.c). */
#ifndef SKCONV_SK_PREP_H
#define SKCONV_SK_PREP_H

#include "sk_lift.h"

/* The family tables of the sk_prep_*.c files are declared in sk_lift.h. */

/* A Python bool (or int) attribute; @p dflt when absent or None. */
int skp_bool(const pk_obj *est, const char *key, int dflt);
/* A Python float attribute (int and numpy scalars too); SKC_E_NOT_FOUND when
 * absent or None, SKC_E_INVAL when not a number. */
int skp_float(const pk_obj *est, const char *key, double *v);
/* 1 when _sklearn_version is at least major.minor; 0 when older or absent
 * (absent means before 0.18, which did not record it). */
int skp_version_at_least(const pk_obj *est, int major, int minor);
/* The estimator's input width from n_features_in_ (1.0 +) or the older
 * names given (NULL-terminated), else -1. */
int64_t skp_n_features(const pk_obj *est, const char *const *older);

/* A 1-D numeric array (or list/tuple of numbers) as malloc'd doubles. */
int skp_doubles(sk_ctx *c, const pk_obj *o, const char *what, double **v, int64_t *n);
/* Indices of the true entries of a 1-D boolean (or 0/1) array attribute;
 * @p n receives its length. Caller frees *idx. */
int skp_mask_indices(sk_ctx *c, const pk_obj *est, const char *key, int64_t **idx,
                     int64_t *k, int64_t *n);
/* Convert a boolean mask to indices (the mask has @p n entries). */
int skp_mask_to_indices(const unsigned char *mask, int64_t n, int64_t **idx, int64_t *k);

/* Steps. Each writes the new tensor's name into @p out (64 bytes). */
int skp_select(sk_ctx *c, const char *in, const int64_t *idx, int64_t k, char *out);
/* scaler step Y = (X - offset) * factor, or (X - offset) / factor when
 * @p divide (the operation sklearn uses: core/OPS.md); NULL offset is 0. */
int skp_scaler(sk_ctx *c, const char *in, const double *offset, const double *factor,
               int divide, int64_t f, char *out);
/* A selector (mask over @p n input columns) in front of the rest of a model:
 * the select_columns step, or nothing when every column is kept. */
int skp_apply_selection(sk_ctx *c, const char *in, int64_t in_width, const int64_t *idx,
                        int64_t k, int64_t n, char *out, int64_t *out_width);

#endif
