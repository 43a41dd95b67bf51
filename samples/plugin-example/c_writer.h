/* SPDX-License-Identifier: MIT */
/* c_writer.h: what the files of the "c" writer share: the session state, the text sink and the op table. */
#ifndef SKCONV_EXAMPLE_C_WRITER_H
#define SKCONV_EXAMPLE_C_WRITER_H

#include <stddef.h>
#include <skconv/plugin.h>

/* The plugin is written against ABI 1: its descriptors and the meaning of
 * their members. Headers of another ABI would compile into a module that
 * no host of either ABI loads correctly, so refuse them here. */
#if SKC_ABI_VERSION != 1
#error "skconv-example is written for plugin ABI 1"
#endif

/* Static helper functions of the generated file, emitted only when a step
 * that is computed needs them (an unused static function is a warning). */
enum {
    CW_H_COPY         = 1u << 0,
    CW_H_SCALER       = 1u << 1,
    CW_H_CLIP         = 1u << 2,
    CW_H_LINEAR       = 1u << 3,
    CW_H_SIGMOID      = 1u << 4,
    CW_H_LOGISTIC2    = 1u << 5,
    CW_H_SOFTMAX      = 1u << 6,
    CW_H_LOGISTIC_OVR = 1u << 7,
    CW_H_ARGMAX       = 1u << 8,
    CW_H_F32          = 1u << 9,
    CW_H_TREE         = 1u << 10
};

/* Identifiers in the generated file are <prefix>_<name>; macros use the
 * upper-case prefix. 32 characters keep every identifier well inside the
 * 63 significant characters C99 guarantees. */
#define CW_PREFIX_MAX 32

/* One tensor of the model as predict() holds it: a double array of
 * `width` columns, or, for the output of a `label` step, an int index
 * into that step's classes. */
typedef struct cw_tensor {
    const char *name;            /* borrowed from the model                   */
    int width;                   /* columns (1 for a label index)             */
    int is_label;
    const skc_tensor *classes;   /* label tensors: the classes, borrowed      */
    int step;                    /* producing step; -1 for the model input    */
    int needed;                  /* some model output depends on it           */
    int alias;                   /* shares the variable of another tensor     */
    char var[24];                /* its C expression inside predict()         */
} cw_tensor;

/* The private state of one write session (the host allocates it zeroed,
 * c_plugin.c's close hook frees what it points to). */
typedef struct cw_writer {
    skc_session *s;
    skc_stream *out;
    char *buf;                   /* text not yet written to `out`             */
    size_t len, cap;
    int status;                  /* first failure; later output is dropped    */
    char prefix[CW_PREFIX_MAX + 1];
    char upper[CW_PREFIX_MAX + 1];
    cw_tensor *t;
    int n_t, cap_t;
    unsigned helpers;            /* CW_H_* bits                               */
} cw_writer;

/* How one IR operation (core/OPS.md) becomes C. */
typedef struct cw_op {
    const char *name;
    /* Check the step against its input and describe its output (width,
     * label); note the helpers it needs. 0 or a negative SKC_E_*. */
    int  (*plan)(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                 cw_tensor *out);
    /* File-scope tables of the step (may be NULL). */
    void (*tables)(cw_writer *w, const skc_step *st, int index);
    /* Its statements inside predict() (may be NULL: an alias). */
    void (*call)(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                 const cw_tensor *out);
} cw_op;

/* c_ops.c */
const cw_op *cw_op_find(const char *name);
/* Tensor attribute @p key of @p dtype and rank @p ndim, small enough for
 * int indices; absent is a failure only when @p required. */
int  cw_attr_tensor(cw_writer *w, const skc_step *st, int index, const char *key,
                    int dtype, int ndim, int required, const skc_tensor **out);
void cw_emit_helpers(cw_writer *w);

/* c_tree.c */
extern const cw_op cw_op_tree_ensemble;
void cw_emit_tree_helpers(cw_writer *w);

/* c_text.c: every emitter appends here; after a failure nothing more is
 * appended and cw_finish() returns the failure. */
void cw_puts(cw_writer *w, const char *text);
void cw_printf(cw_writer *w, const char *fmt, ...) SKC_PRINTF(2, 3);
/* A double as a C literal that reads back to the same value. */
void cw_double(cw_writer *w, double v);
/* Bytes as the body of a C string literal (no quotes). */
void cw_string_body(cw_writer *w, const char *s, size_t len);
/* Text that came from the model, made safe inside a comment. */
void cw_comment_text(cw_writer *w, const char *s, size_t max);
/* C text with every '$' replaced by the prefix. */
void cw_template(cw_writer *w, const char *text);
/* A numeric tensor as a brace-enclosed initializer list. */
void cw_f64_list(cw_writer *w, const skc_tensor *t);
int  cw_fail(cw_writer *w, int code, const char *fmt, ...) SKC_PRINTF(3, 4);
int  cw_finish(cw_writer *w);
void cw_text_free(cw_writer *w);

#endif
