/* SPDX-License-Identifier: MIT */
/* model.h: the layout of IR models, shared by model.c, ops.c and eval.c (internal). */
#ifndef SKCONV_MODEL_H
#define SKCONV_MODEL_H

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
};

#endif
