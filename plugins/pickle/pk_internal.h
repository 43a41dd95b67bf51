/* SPDX-License-Identifier: MIT */
/* pk_internal.h: node layout, graph arena and VM entry points shared by the pk_*.c files of the safe pickle reader. */
#ifndef SKCONV_PK_INTERNAL_H
#define SKCONV_PK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <skconv/skconv.h>
#include "pk_graph.h"

/* pk_obj.flags */
#define PK_F_PY2STR    0x01u  /* BYTES from STRING/BINSTRING: py2 str, may stand for text */
#define PK_F_FROZEN    0x02u  /* SET that is a frozenset                                   */
#define PK_F_BUILT     0x04u  /* BUILD already applied: a second one is refused            */
#define PK_F_VIEW      0x08u  /* BYTES borrowed from the input: no NUL terminator           */
#define PK_F_WRAPPER   0x10u  /* a joblib array wrapper: never reachable through GET        */
#define PK_F_BYTEARRAY 0x20u  /* BYTES that is a bytearray                                  */
#define PK_F_UNHASH    0x40u  /* TUPLE holding an unhashable item: not a dict key or set item */

#define PK_MAX_NDIM 32

/* How a stream may use a known global (formats/pickle/allowlist.def ROLE). */
typedef enum pk_role {
    PK_ROLE_NONE = 0,
    PK_ROLE_CLASS, PK_ROLE_VALUE, PK_ROLE_DICT, PK_ROLE_FUNC,
    PK_ROLE_NDARRAY, PK_ROLE_DTYPE, PK_ROLE_RECONSTRUCT, PK_ROLE_SCALAR,
    PK_ROLE_FROMBUFFER, PK_ROLE_CODECS, PK_ROLE_RECONSTRUCTOR, PK_ROLE_OBJECT,
    PK_ROLE_SET, PK_ROLE_FROZENSET, PK_ROLE_BYTEARRAY, PK_ROLE_BYTES,
    PK_ROLE_COMPLEX, PK_ROLE_SLICE, PK_ROLE_NEWOBJ_FN, PK_ROLE_RNG_CTOR,
    PK_ROLE_PARTIAL, PK_ROLE_WRAPPER, PK_ROLE_NDWRAPPER, PK_ROLE_ZNDWRAPPER,
    PK_ROLE_PYX_UNPICKLE
} pk_role;

typedef enum pk_category {
    PK_CAT_UNKNOWN = 0,
    PK_CAT_SAFE = 1,
    PK_CAT_MALICIOUS = 2
} pk_category;

/* Result of classifying one (module, name) after Python 2 mapping. */
typedef struct pk_class_info {
    int         category;   /* pk_category */
    int         role;       /* pk_role; NONE unless SAFE */
    const char *module;     /* normalised spelling (static or NULL if unchanged) */
    const char *name;
    const char *canonical;  /* canonical id when SAFE */
    const char *reason;     /* why, when MALICIOUS */
} pk_class_info;

/* (module, name) → classification. @p py2 applies CPython's fix_imports. */
void pk_allow_classify(const char *module, const char *name, int py2,
                       pk_class_info *out);
/* Role of a global node (PK_ROLE_NONE when not allowlisted). */
int pk_global_role(const pk_obj *o);

typedef struct pk_field {
    const char *name;
    pk_obj     *dtype;     /* PK_DTYPE node */
    uint32_t    offset;
} pk_field;

typedef struct pk_dtype {
    char      kind;        /* numpy kind; 'V' for structured/void          */
    char      byteorder;   /* '<', '>', '|'                               */
    uint32_t  itemsize;
    uint32_t  alignment;
    int       built;
    size_t    nfields;
    pk_field *fields;      /* in names order                               */
    pk_obj   *sub_base;    /* subarray base dtype or NULL                 */
    int       sub_ndim;
    int64_t   sub_shape[PK_MAX_NDIM];
    char      unit[16];    /* datetime unit, if any                        */
} pk_dtype;

typedef struct pk_arr {
    pk_obj  *dtype;        /* PK_DTYPE node                                */
    pk_obj  *subtype;      /* GLOBAL: numpy.ndarray/matrix/memmap          */
    int      ndim;
    int64_t  shape[PK_MAX_NDIM];
    int      fortran;
    size_t   count;        /* product of shape                             */
    const uint8_t *data;   /* raw element bytes (NULL for object arrays)  */
    size_t   nbytes;
    uint8_t *owned;        /* malloc'd copy backing data, if any           */
    pk_obj **objs;         /* object arrays: count elements, C order       */
    int      built;
} pk_arr;

struct pk_obj {
    uint8_t  kind;         /* pk_kind */
    uint8_t  flags;        /* PK_F_* */
    uint16_t role;         /* PK_GLOBAL: pk_role */
    uint32_t depth;        /* container nesting below this node (bounded)   */
    uint64_t offset;       /* byte offset of the opcode that made it        */
    union {
        int64_t i;         /* INT, BOOL */
        double  f;
        struct { const uint8_t *p; size_t n; } s;   /* STR, BYTES, BIGINT */
        struct { pk_obj **items; size_t n, cap; } seq;  /* TUPLE LIST SET; DICT: 2n */
        struct { const char *module, *name, *canonical; int category; } g;
        /* REDUCE, INSTANCE; items: what APPEND(S)/SETITEM(S) added to a list or
         * dict subclass instance (a LIST or DICT node), or NULL */
        struct { pk_obj *callable, *args, *state, *items; } red;
        pk_arr   *arr;
        pk_dtype *dt;
        struct { pk_obj *dtype; const uint8_t *p; size_t n; pk_obj *obj; } sc;
    } u;
};

/* ---------------------------------------------------------------- */
/* Graph arena (pk_graph.c)                                          */
/* ---------------------------------------------------------------- */

typedef struct pk_block pk_block;

struct pk_graph {
    pk_block  *blocks;        /* bump arena: nodes, strings, small arrays   */
    pk_obj    *root;
    skc_limits limits;
    uint64_t   n_objects;
    uint64_t   alloc_bytes;   /* bytes materialised (copies, containers)    */
    /* buffers and streams the graph owns (decompressed input, companions) */
    void     **owned;
    size_t     n_owned, cap_owned;
    void     **streams;       /* skc_stream *                               */
    size_t     n_streams, cap_streams;
    /* every container node, so their item arrays can be freed */
    pk_obj   **growables;
    size_t     n_grow, cap_grow;
    /* graph-wide facts */
    int         protocol;
    const char *compression;
    const char *container;
    int         numpy_era;    /* bit 1: numpy.core seen, bit 2: numpy._core */
    int         numpy_pre1;   /* numpy.core._internal._reconstruct seen     */
    uint64_t    input_bytes;
    unsigned    joblib_bits;  /* PK_JL_*: which joblib layouts were seen      */
    int         nested_protocol; /* highest PROTO of joblib object-array sub-pickles */
};

#define PK_JL_INLINE  1u   /* NumpyArrayWrapper (joblib >= 0.10)  */
#define PK_JL_NDARRAY 2u   /* NDArrayWrapper + .npy companions    */
#define PK_JL_ZND     4u   /* ZNDArrayWrapper + .npy.z companions */
#define PK_JL_ALIGNED 8u   /* alignment padding: joblib >= 1.2.0  */

int   pk_graph_new(const skc_limits *lim, pk_graph **out);
void *pk_graph_alloc(pk_graph *g, size_t n);          /* zeroed, 16-aligned */
pk_obj *pk_graph_node(pk_graph *g, int kind, uint64_t offset);
int   pk_graph_own(pk_graph *g, void *p);             /* frees p on failure */
int   pk_graph_own_stream(pk_graph *g, void *stream);
int   pk_graph_track(pk_graph *g, pk_obj *container);
/* Append to TUPLE/LIST/SET items (DICT: call twice, key then value). */
int   pk_seq_push(pk_graph *g, pk_obj *seq, pk_obj *item);
/* Copy n bytes plus a NUL into the arena. */
const uint8_t *pk_graph_strdup(pk_graph *g, const void *p, size_t n);
int   pk_graph_charge(pk_graph *g, uint64_t bytes);

/* ---------------------------------------------------------------- */
/* VM (pk_vm.c)                                                      */
/* ---------------------------------------------------------------- */

/* One global a stream names (for scan reports). */
typedef struct pk_seen_global {
    char    *module;
    char    *name;
    uint64_t offset;
    int      category;
    int      nested;          /* 1 inside a joblib object-array sub-pickle */
} pk_seen_global;

typedef struct pk_seen_log {
    pk_seen_global *items;
    size_t n, cap;
    int    truncated;
} pk_seen_log;

void pk_seen_log_clear(pk_seen_log *log);

typedef int (*pk_companion_fn)(void *user, const char *name,
                               const uint8_t **data, size_t *size);

typedef struct pk_vm_opts {
    const skc_limits *limits;   /* NULL: defaults                                 */
    int permissive;             /* scan/inspect: unknown/malicious globals stay names */
    pk_seen_log *log;           /* may be NULL                                    */
    pk_companion_fn companion;  /* old joblib companions; NULL: refused           */
    void *companion_user;
    const char *main_basename;  /* for the NDArrayWrapper file-name rule          */
} pk_vm_opts;

/* Status codes carry the reason in err as "offset N: why". */
int pk_vm_run(const uint8_t *buf, size_t size, const skc_limits *lim,
              pk_graph **out, char *err, size_t errlen);
int pk_vm_run_ex(const uint8_t *buf, size_t size, const pk_vm_opts *opts,
                 pk_graph *g, char *err, size_t errlen);

/* ---------------------------------------------------------------- */
/* numpy (pk_numpy.c)                                                */
/* ---------------------------------------------------------------- */

typedef struct pk_vm pk_vm;

/* Errors report through the VM: these return a status with err filled. */
int pk_np_dtype_new(pk_vm *vm, pk_obj *args, uint64_t off, pk_obj **out);
int pk_np_dtype_build(pk_vm *vm, pk_obj *dt, pk_obj *state);
int pk_np_reconstruct(pk_vm *vm, pk_obj *args, uint64_t off, pk_obj **out);
int pk_np_array_build(pk_vm *vm, pk_obj *arr, pk_obj *state);
int pk_np_scalar(pk_vm *vm, pk_obj *args, uint64_t off, pk_obj **out);
int pk_np_frombuffer(pk_vm *vm, pk_obj *args, uint64_t off, pk_obj **out);
/* Finish an array whose dtype, shape and order are set: attach raw bytes
 * (zero-copy when aligned and native, else a checked copy). */
int pk_np_attach(pk_vm *vm, pk_obj *arr, const uint8_t *data, size_t n,
                 int borrowed);
int pk_np_shape_from(pk_vm *vm, const pk_obj *tuple, pk_arr *a);
int pk_np_array_count(pk_vm *vm, pk_arr *a, size_t *nbytes);

/* ---------------------------------------------------------------- */
/* joblib (pk_joblib.c)                                              */
/* ---------------------------------------------------------------- */

/* NumpyArrayWrapper BUILD: read pad + inline data (or nested pickle) at
 * the VM's position and replace the wrapper by an array. */
int pk_jl_wrapper_build(pk_vm *vm, pk_obj *wrapper, pk_obj **array);
int pk_jl_ndwrapper_build(pk_vm *vm, pk_obj *wrapper, pk_obj **array);
int pk_jl_zndwrapper_build(pk_vm *vm, pk_obj *wrapper, pk_obj **array);
/* Parse a .npy file (companion) into an array node. */
int pk_jl_parse_npy(pk_vm *vm, const uint8_t *p, size_t n, uint64_t off,
                    pk_obj **out);
/* ZF container: header + zlib payload → malloc'd buffer. */
int pk_jl_zfile_inflate(const uint8_t *p, size_t n, const skc_limits *lim,
                        uint8_t **out, size_t *outn, char *err, size_t errlen);

/* ---------------------------------------------------------------- */
/* VM services for pk_numpy.c / pk_joblib.c                          */
/* ---------------------------------------------------------------- */

int          pk_vm_fail(pk_vm *vm, int code, uint64_t off, const char *fmt, ...)
                 SKC_PRINTF(4, 5);
pk_graph    *pk_vm_graph(pk_vm *vm);
const skc_limits *pk_vm_limits(pk_vm *vm);
/* Input window for joblib inline data: the buffer, current position and
 * whether a frame is still open. */
int          pk_vm_take_raw(pk_vm *vm, size_t n, const uint8_t **p, uint64_t *off);
int          pk_vm_peek_raw(pk_vm *vm, const uint8_t **p, size_t *left, uint64_t *off);
int          pk_vm_frame_open(pk_vm *vm);
/* Run a nested pickle (joblib object arrays) from the VM's position. */
int          pk_vm_nested(pk_vm *vm, pk_obj **out);
int          pk_vm_companion(pk_vm *vm, const char *name, uint64_t off,
                             const uint8_t **data, size_t *size);
const char  *pk_vm_main_basename(pk_vm *vm);

/* Text helpers: a STR, or a py2 BYTES standing for ASCII/latin-1 text. */
int pk_text(const pk_obj *o, const char **s, size_t *n);
int pk_text_eq(const pk_obj *o, const char *lit);

/* ---------------------------------------------------------------- */
/* Decompression (pk_decomp.c)                                       */
/* ---------------------------------------------------------------- */

/* "none", "zlib", "gzip", "bz2", "xz", "lzma", "lz4", "zf" or NULL if the
 * bytes are not a compressed container we know. */
const char *pk_decomp_detect(const uint8_t *p, size_t n);
int pk_decomp_run(const char *kind, const uint8_t *p, size_t n,
                  const skc_limits *lim, uint8_t **out, size_t *outn,
                  char *err, size_t errlen);

void pk_limits_fill(const skc_limits *in, skc_limits *out);

/* ---------------------------------------------------------------- */
/* Whole-input loading without a session (pk_load.c)                 */
/* ---------------------------------------------------------------- */

/* Decompress if needed, then run the VM. @p opts->limits bounds both.
 * On failure *out is untouched; opts->log (if any) keeps what was seen. */
int pk_load_bytes(const uint8_t *data, size_t size, const pk_vm_opts *opts,
                  pk_graph **out, char *err, size_t errlen);

/* SKC_VERDICT_* from what a permissive parse logged (pk_report.c). */
int pk_scan_verdict(const pk_seen_log *log, int parse_rc, int *nmal, int *nunk);

#endif
