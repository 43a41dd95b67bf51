/* SPDX-License-Identifier: MIT */
/* onnx_read.h: the ONNX reader's internal interface between its files (hidden from the module's exports). */
#ifndef SKCONV_ONNX_READ_H
#define SKCONV_ONNX_READ_H

#include <stddef.h>
#include <stdint.h>

#include <skconv/plugin.h>

#include "onnx.pb-c.h"

/*
 * The reader lifts every ONNX node into one IR step that mirrors it:
 * "onnx.<OpType>" for the default domain, "onnxml.<OpType>" for
 * ai.onnx.ml, attributes copied (core/OPS.md "ONNX mirror operations").
 * Initializers and Constant nodes become "onnx.Constant" steps.
 */

/* A string -> index map (open addressing) for tensor names. */
typedef struct onnx_rmap {
    const char **keys;
    int64_t *vals;
    size_t cap, n;
} onnx_rmap;

int  onnx_rmap_put(onnx_rmap *m, const char *key, int64_t val);  /* 1 if it existed */
int64_t onnx_rmap_get(const onnx_rmap *m, const char *key);      /* -1 if absent   */
void onnx_rmap_free(onnx_rmap *m);

typedef struct onnx_reader {
    skc_session *s;
    const skc_limits *lim;
    skc_model *m;
    int64_t opset;        /* default domain, 0 if not imported  */
    int64_t ml_opset;     /* ai.onnx.ml, 0 if not imported      */
    onnx_rmap names;      /* every tensor name in the model     */
    int64_t fresh;        /* counter for names the reader makes */
    const char *absent;   /* name of the onnx.Absent output, or NULL */
    char absent_buf[96];
    ProtobufCAllocator *alloc;  /* the unpacked message's allocator */
} onnx_reader;

/* Release one array the unpacked message allocated, after it was moved
 * out of the message (a tensor's release callback). */
void onnx_read_release(void *array);
/* Whether the unpacked message allocates a block of @p size bytes on its
 * own (so it may be moved out with onnx_read_release), rather than from
 * the chunks freed when the read ends. */
int onnx_read_owned(size_t size);

/* Record a failure: "ONNX <where>: <message>". */
int onnx_rfail(onnx_reader *r, int code, const char *fmt, ...) SKC_PRINTF(3, 4);

/* onnx_read_tensor.c: a TensorProto as an IR tensor (checked against the
 * limits); the TypeProto element type as an IR dtype (SKC_DT_NONE when
 * the evaluator does not hold it). */
int onnx_read_tensor(onnx_reader *r, const Onnx__TensorProto *tp, const char *what,
                     skc_tensor **out);
int onnx_read_dtype(int32_t elem);
const char *onnx_read_elem_name(int32_t elem);
/* A growing list of distinct names (the outer names a subgraph reads). */
typedef struct onnx_namelist {
    onnx_rmap set;
    const char **v;     /* borrowed from the unpacked protobuf */
    size_t n, cap;
} onnx_namelist;

int  onnx_namelist_add(onnx_namelist *l, const char *name);
void onnx_namelist_free(onnx_namelist *l);

/* Copy a node's attributes onto @p st under @p prefix ("" at top level);
 * the outer names its subgraphs read are added to @p caps. */
int onnx_read_attrs(onnx_reader *r, const Onnx__NodeProto *n, skc_step *st,
                    const char *prefix, int depth, onnx_namelist *caps);
/* A protobuf bytes field as a malloc'd C string; SKC_E_UNSUPPORTED (with
 * a message) if it holds a NUL byte, which IR strings cannot carry. */
int onnx_read_cstr(onnx_reader *r, const ProtobufCBinaryData *b, const char *what, char **out);

/* onnx_read_graph.c: the top-level graph into r->m. */
int onnx_read_graph(onnx_reader *r, const Onnx__GraphProto *g);
/* A subgraph (Loop/If/Scan) encoded as attributes of @p st under @p key
 * (core/OPS.md "Subgraphs"); the outer names it reads go to @p caps. */
int onnx_read_subgraph(onnx_reader *r, const Onnx__GraphProto *g, skc_step *st,
                       const char *key, int depth, onnx_namelist *caps);

/* onnx_read.c: probe and read entry points for the format descriptor. */
int onnx_read_probe(const skc_probe_data *p);
int onnx_read_model(skc_session *s, skc_stream *in, skc_model **out);

#endif
