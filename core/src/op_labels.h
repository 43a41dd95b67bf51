/* SPDX-License-Identifier: MIT */
/* op_labels.h: class labels from class indices, shared by the ops that decide a class themselves (op_svm.c, op_neighbors.c, op_bayes.c). */
#ifndef SKCONV_OP_LABELS_H
#define SKCONV_OP_LABELS_H

#include "ops.h"

/* The step's `classes` attribute: a non-empty 1-D int64 or string tensor. */
SKCI_HIDDEN int skci_classes_check(const skc_step *s, int64_t want, char *err, size_t errlen);

/* A new tensor of shape @p shape (1-D [N] or 2-D [N, O]) holding
 * classes[idx[i]], int64 or string like @p classes. Every idx must be
 * inside classes (the caller decided them). */
SKCI_HIDDEN int skci_labels_from_index(const skc_tensor *classes, const int64_t *idx,
                                       int ndim, const int64_t *shape, skc_tensor **out);

#endif
