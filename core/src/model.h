/* SPDX-License-Identifier: MIT */
/* model.h: the layout of IR models, shared by model.c, ops.c and eval.c (internal). */
#ifndef SKCONV_MODEL_H
#define SKCONV_MODEL_H

#include <stdatomic.h>
#include "core.h"

typedef struct skci_attr {
    char *key;
    int kind;
    int64_t i;
    double f;
    char *s;
    skc_tensor *t;
} skci_attr;

struct skc_step {
    skc_model *owner;    /* whose check a change of this step undoes */
    char *op;
    char **inputs;
    int n_inputs;
    char **outputs;
    int n_outputs;
    skci_attr *attrs;
    int n_attrs;
};

typedef struct skci_port {
    char *name;
    int dtype;
    int ndim;
    int64_t shape[SKC_MAX_DIMS];
    skc_tensor *columns;
} skci_port;

typedef struct skci_meta {
    char *key;
    char *value;
} skci_meta;

struct skc_model {
    skci_port *inputs;
    int n_inputs;
    skci_port *outputs;
    int n_outputs;
    skc_step **steps;
    int n_steps;
    skci_meta *meta;
    int n_meta;
    /* The level of skci_model_check() this model passed (enum
     * skci_check_level, 0 none) in its low 2 bits, above them the tensor
     * epoch (tensor.c) it was checked at, so that skc_model_eval() checks
     * a model once, not per call. Every model.c mutator resets it; a
     * write into an attribute tensor moves the epoch on. Atomic:
     * evaluation takes a const model and may run on several threads. */
    atomic_uint_fast64_t checked;
};

enum skci_check_level {
    /* What evaluation needs: every op's check, except that an op may
     * prove no more than its evaluation relies on for tensor data used in
     * place (a mapped file), which its evaluation walks defensively, so
     * that opening a large model costs no pass over its data. */
    SKCI_CHECK_EVAL = 1,
    /* skc_model_validate(): everything, as writers need. */
    SKCI_CHECK_FULL = 2
};

/* The shared checks behind skc_model_validate() (level FULL) and
 * skc_model_eval() and skc_session_read() (level EVAL); on success the
 * level is recorded in m->checked (eval.c). */
SKCI_HIDDEN int skci_model_check(const skc_model *m, int level, char *err, size_t errlen);

/* 1 if @p m passed skci_model_check() at @p level and nothing changed since. */
static inline int skci_model_checked(const skc_model *m, int level)
{
    uint64_t c = (uint64_t)atomic_load(&m->checked);

    return (int)(c & 3) >= level && c >> 2 == skci_tensor_epoch();
}

/* Model @p m changed: its recorded check no longer holds. */
static inline void skci_model_touch(skc_model *m)
{
    if (m)
        atomic_store(&m->checked, 0);
}

#endif
