/* SPDX-License-Identifier: MIT */
/* onnx_read.h: the ONNX reader's internal interface between its files (hidden from the module's exports). */
#ifndef SKCONV_ONNX_READ_H
#define SKCONV_ONNX_READ_H

#include <stddef.h>
#include <stdint.h>

#include <skconv/plugin.h>

#include "onnx.pb-c.h"

/*
 * The reader lifts every ONNX node into one IR step that mirrors it
 * (onnx_read_tree.c lifts some tree ensembles into tree_ensemble):
 * "onnx.<OpType>" for the default domain, "onnxml.<OpType>" for
 * ai.onnx.ml, attributes copied (core/OPS.md "ONNX mirror operations").
 * Initializers and Constant nodes become "onnx.Constant" steps.
 */

/* Protobuf wire format (onnx_read.c). A varint at p[*pos] (at most 10
 * bytes); -1 if truncated or too long. */
int onnx_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v);
/* Skip one field's value of wire type @p wt (for wire type 2, its bytes
 * go to @p sub, @p sublen when not NULL); -1 if it runs past the end or
 * uses the group wire types ONNX never has. */
int onnx_skip(const uint8_t *p, size_t n, size_t *pos, int wt, const uint8_t **sub,
              size_t *sublen);
/* One whole field at p[*pos]: its key (field number << 3 | wire type) in
 * *@p key, its value skipped as onnx_skip does; -1 if either fails. */
int onnx_field(const uint8_t *p, size_t n, size_t *pos, uint64_t *key, const uint8_t **sub,
               size_t *sublen);

/* A list attribute of a top-level tree ensemble node that protobuf-c does
 * not unpack (onnx_read_tree.c): the AttributeProto's bytes in the mapped
 * file, decoded straight into compact arrays when the node is lifted. */
typedef struct onnx_span {
    size_t node;              /* index in the top-level graph's node list */
    const uint8_t *field;     /* the whole graph field (key, length, bytes) */
    size_t field_len;
    const uint8_t *p;         /* the AttributeProto message */
    size_t n;
    const uint8_t *name;      /* not NUL-terminated */
    size_t name_len;
    int type;                 /* ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__{INTS,FLOATS,STRINGS} */
} onnx_span;

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
    const Onnx__GraphProto *top;  /* the top-level graph */
    onnx_span *spans;     /* sorted by node; borrowed from the mapped file */
    size_t n_spans;
    size_t cap_bytes;     /* memory the read may take (the unpacking budget) */
    skc_stream *in;       /* the mapped file (pages given back once decoded) */
    skc_stream *ext;      /* the external data file in use, mapped, or NULL */
    char *ext_name;       /* its location                                    */
    const uint8_t *ext_data;
    size_t ext_size;
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

/* onnx_read_external.c: the @p want bytes of tensor @p tp in its external
 * data file (a plain name beside the model, or where the host mapped it
 * with skc_session_set_companion), borrowed from the mapping until the
 * next call; every entry, the offset and the length checked. */
int onnx_read_external(onnx_reader *r, const Onnx__TensorProto *tp, const char *what,
                       uint64_t want, const uint8_t **bytes);
/* Give back the pages of bytes copied out; close the file at the end. */
void onnx_read_external_drop(onnx_reader *r, const uint8_t *bytes, size_t n);
void onnx_read_external_end(onnx_reader *r);
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

/* onnx_read_graph.c: a tensor name no ONNX tensor of the model has, in @p buf. */
void onnx_fresh(onnx_reader *r, const char *hint, char *buf, size_t n);
/* The top-level graph into r->m. */
int onnx_read_graph(onnx_reader *r, const Onnx__GraphProto *g);
/* A subgraph (Loop/If/Scan) encoded as attributes of @p st under @p key
 * (core/OPS.md "Subgraphs"); the outer names it reads go to @p caps. */
int onnx_read_subgraph(onnx_reader *r, const Onnx__GraphProto *g, skc_step *st,
                       const char *key, int depth, onnx_namelist *caps);

/* onnx_read_tree.c: find the tree ensembles' list attributes in the
 * ModelProto bytes and make *copy (malloc'd, *copy_len bytes) the model
 * without them for protobuf-c; *copy stays NULL when there are none. */
int onnx_split_lists(onnx_reader *r, const uint8_t *data, size_t size, uint8_t **copy,
                     size_t *copy_len);
/* The spans of node @p node of the top-level graph (*n of them). */
const onnx_span *onnx_spans_of(const onnx_reader *r, size_t node, size_t *n);
/* Lift a TreeEnsembleRegressor whose lists are spans into a core
 * `tree_ensemble` step and an onnx.Cast to float writing @p out: 1 when
 * done, 0 when the node is not one that op computes exactly as ONNX
 * Runtime does (it then stays a mirror op), < 0 on failure. */
int onnx_tree_lift(onnx_reader *r, const Onnx__NodeProto *n, const onnx_span *sp, size_t ns,
                   const char *out);
/* The spans as attributes of a mirror step, as onnx_read_attrs copies
 * unpacked lists (every value checked). */
int onnx_read_span_attrs(onnx_reader *r, const Onnx__NodeProto *n, const onnx_span *sp,
                         size_t ns, skc_step *st);

/* onnx_read.c: probe and read entry points for the format descriptor. */
int onnx_read_probe(const skc_probe_data *p);
int onnx_read_model(skc_session *s, skc_stream *in, skc_model **out);

#endif
