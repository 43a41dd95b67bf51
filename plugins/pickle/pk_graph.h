/* SPDX-License-Identifier: MIT */
/* pk_graph.h: the inert object graph the pickle VM builds, and how lifters read it.
 *
 * Nothing here is ever imported, called or executed. A global is a
 * (module, name) pair; REDUCE/NEWOBJ/BUILD are recorded as data and then
 * recognised (numpy arrays, joblib wrappers, estimator instances) by
 * pk_numpy.c and pk_joblib.c. All nodes belong to one pk_graph and are freed with it.
 */
#ifndef SKCONV_PK_GRAPH_H
#define SKCONV_PK_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <skconv/skconv.h>

typedef struct pk_graph pk_graph;
typedef struct pk_obj   pk_obj;

typedef enum pk_kind {
    PK_NONE = 1,
    PK_BOOL,
    PK_INT,        /* fits int64: pk_int()                                  */
    PK_BIGINT,     /* LONG1/LONG4 beyond int64: little-endian two's complement bytes */
    PK_FLOAT,      /* double                                                */
    PK_STR,        /* unicode text as UTF-8                                 */
    PK_BYTES,      /* bytes, bytearray, and Python 2 STRING/BINSTRING       */
    PK_TUPLE,
    PK_LIST,
    PK_DICT,
    PK_SET,        /* set and frozenset                                     */
    PK_GLOBAL,     /* a class or function reference: module + name          */
    PK_REDUCE,     /* callable(args) not recognised as anything else        */
    PK_INSTANCE,   /* an object of a class: NEWOBJ/copyreg._reconstructor + BUILD state */
    PK_ARRAY,      /* a numpy ndarray (also from joblib wrappers)           */
    PK_DTYPE,      /* a numpy dtype object                                  */
    PK_SCALAR      /* a numpy scalar: dtype + bytes; pk_float()/pk_int() read it */
} pk_kind;

int         pk_kind_of(const pk_obj *o);
const char *pk_kind_name(int kind);

/* Scalars. Each returns 0 and the value, or SKC_E_INVAL on the wrong kind.
 * pk_float accepts FLOAT, INT, BOOL and numeric SCALAR; pk_int accepts INT,
 * BOOL and integer SCALAR (and an integral float SCALAR). */
int pk_bool(const pk_obj *o, int *v);
int pk_int(const pk_obj *o, int64_t *v);
int pk_float(const pk_obj *o, double *v);
/* STR (and BYTES, which Python 2 wrote for text): pointer and length, borrowed.
 * The bytes are NUL-terminated for convenience. */
int pk_str(const pk_obj *o, const char **s, size_t *len);

/* Sequences: TUPLE, LIST, SET. */
size_t        pk_len(const pk_obj *o);           /* 0 for non-containers */
const pk_obj *pk_item(const pk_obj *o, size_t i); /* NULL when out of range */

/* DICT: entries in insertion order; lookup by a string key. */
size_t        pk_dict_len(const pk_obj *o);
const pk_obj *pk_dict_key(const pk_obj *o, size_t i);
const pk_obj *pk_dict_value(const pk_obj *o, size_t i);
const pk_obj *pk_dict_get(const pk_obj *o, const char *key);

/* GLOBAL: the names exactly as the file spells them, after Python 2 → 3
 * mapping of builtins (the same mapping CPython's unpickler applies). */
int pk_global(const pk_obj *o, const char **module, const char **name);

/* INSTANCE: the class global, and the state dict (BUILD's argument, or the
 * dict half of a (dict, slotstate) tuple); NULL if none.
 * pk_attr(o, "coef_") looks up a key of that state dict. */
const pk_obj *pk_instance_class(const pk_obj *o);
const pk_obj *pk_instance_state(const pk_obj *o);
const pk_obj *pk_instance_args(const pk_obj *o);   /* NEWOBJ/REDUCE args tuple or NULL */
const pk_obj *pk_attr(const pk_obj *o, const char *key);
/* Shorthand: class module and name of an INSTANCE (or of a REDUCE's callable). */
int pk_class_name(const pk_obj *o, const char **module, const char **name);

/* REDUCE: the callable and its args tuple; the BUILD state if any. */
const pk_obj *pk_reduce_callable(const pk_obj *o);
const pk_obj *pk_reduce_args(const pk_obj *o);
const pk_obj *pk_reduce_state(const pk_obj *o);

/* ARRAY. Element kinds follow numpy's dtype.kind: 'b' bool, 'i' int,
 * 'u' uint, 'f' float, 'c' complex, 'U' unicode (UCS-4), 'S' bytes,
 * 'O' object, 'V' structured. */
typedef struct pk_array_info {
    char     kind;         /* as above                                    */
    char     byteorder;    /* '<', '>' or '|' (not applicable)            */
    uint32_t itemsize;     /* bytes per element                           */
    int      ndim;
    int64_t  shape[32];
    int      fortran;      /* 1: column-major data                        */
    const uint8_t *data;   /* raw element bytes (NULL for object arrays)  */
    size_t   nbytes;
} pk_array_info;

int pk_array(const pk_obj *o, pk_array_info *info);
/* Object arrays: element i (C order) as a graph node. */
const pk_obj *pk_array_object(const pk_obj *o, size_t i);
/* Numeric element i (C order index over the logical shape, whatever the
 * storage order and byte order) converted to double / int64. */
int pk_array_get_f64(const pk_obj *o, size_t i, double *v);
int pk_array_get_i64(const pk_obj *o, size_t i, int64_t *v);
/* Unicode ('U') or bytes ('S') element i as UTF-8, written to buf. */
int pk_array_get_str(const pk_obj *o, size_t i, char *buf, size_t buflen);
/* Structured arrays: field by name → its kind, itemsize and byte offset
 * inside one record; SKC_E_NOT_FOUND if absent. */
int pk_array_field(const pk_obj *o, const char *name, char *kind,
                   uint32_t *itemsize, uint32_t *offset, char *byteorder);
/* Record i's field as double / int64 (widening any int or float width). */
int pk_array_field_f64(const pk_obj *o, size_t i, const char *field, double *v);
int pk_array_field_i64(const pk_obj *o, size_t i, const char *field, int64_t *v);

/* Graph-wide facts for provenance and `inspect`. */
typedef struct pk_graph_info {
    int protocol;               /* highest PROTO seen, 0 if none          */
    const char *compression;    /* "none", "zlib", "gzip", "bz2", "xz", "lzma", "lz4" */
    const char *container;      /* "pickle", "joblib", "joblib-zf", "joblib-ndarray-wrapper" */
    const char *numpy_era;      /* "numpy<1.x", "numpy1", "numpy2" from module names */
    uint64_t n_objects;
    uint64_t input_bytes;       /* decompressed size                       */
} pk_graph_info;

const pk_obj *pk_graph_root(const pk_graph *g);
void          pk_graph_info_get(const pk_graph *g, pk_graph_info *out);
void          pk_graph_free(pk_graph *g);

/* ---- added by the reader (pk_*.c); lifters may use them ---- */

/* The raw BUILD state of an INSTANCE/REDUCE whatever its shape (a tuple
 * for Cython classes, KDTree, RandomState); pk_instance_state() unwraps
 * (dict, slots) tuples. NULL if none. */
const pk_obj *pk_instance_raw_state(const pk_obj *o);
/* Items APPENDed/SETITEMed onto an instance of a list or dict subclass
 * (sklearn's Bunch, _RemainderColsList): a LIST or DICT node, or NULL. */
const pk_obj *pk_instance_items(const pk_obj *o);
/* Canonical class id of a GLOBAL ("sklearn.linear_model.LinearRegression")
 * across module renames, or NULL when it is not on the allowlist. */
const char *pk_global_canonical(const pk_obj *o);

#endif
