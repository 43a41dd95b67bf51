/* SPDX-License-Identifier: MIT */
/* pk_load.h: entry points of the safe pickle/joblib reader used by the pickle plugin. */
#ifndef SKCONV_PK_LOAD_H
#define SKCONV_PK_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <skconv/skconv.h>
#include <skconv/io.h>
#include <skconv/plugin.h>
#include "pk_graph.h"

/**
 * Read @p in into an inert object graph: detect and undo compression
 * (zlib, gzip, bz2, xz, lzma, lz4, joblib ZF) within the session limits,
 * run the non-executing pickle VM, recognise numpy arrays/dtypes/scalars,
 * joblib wrappers (inline, ZF and .npy companions) and instances.
 * A global that is not on the allowlist fails with SKC_E_UNSAFE, one that
 * runs code with SKC_E_MALICIOUS; malformed input with SKC_E_FORMAT,
 * exceeded limits with SKC_E_LIMIT. The message (skc_set_error) names the
 * byte offset and the reason.
 * The graph may borrow the bytes of @p in (zero-copy arrays): free the
 * graph with pk_graph_free() before freeing @p in.
 */
int pk_load(skc_session *s, skc_stream *in, pk_graph **out);

/** Like pk_load but unknown globals become inert names instead of an error
 *  (malicious ones still fail). For `inspect`-like uses. */
int pk_load_permissive(skc_session *s, skc_stream *in, pk_graph **out);

/** Content score 0..100 for the plugin's probe; pure, no allocation. */
int pk_probe(const uint8_t *buf, size_t size);

/**
 * Safety scan: *verdict is SKC_VERDICT_SAFE, _UNTRUSTED or _MALICIOUS and
 * the session report is a JSON object listing every unknown and malicious
 * global with module, name and byte offset. Parsing never depends on the
 * verdict. Returns an error only when the input is not a pickle at all.
 */
int pk_scan(skc_session *s, skc_stream *in, int *verdict);

/** JSON report of the object tree and versions, bounded in depth and size. */
int pk_inspect(skc_session *s, skc_stream *in);

/** Canonical class id for a known global ("sklearn.linear_model.LinearRegression"),
 *  across module renames; NULL if unknown. Static storage. */
const char *pk_allow_canonical(const char *module, const char *name);

/** The node that memo/shared references point at is the same pointer:
 *  a stable identity for DAG-aware walks (visited sets). */
static inline uintptr_t pk_obj_id(const pk_obj *o) { return (uintptr_t)o; }

/** An estimator kept in a plain container root (dict, list, tuple, nested
 *  up to three levels; never one inside an estimator). */
#define PK_MEMBER_PATH 128
typedef struct pk_member {
    char path[PK_MEMBER_PATH];  /* as `-I object=PATH` takes it: "svc", "0", "models[1]" */
    const pk_obj *obj;          /* borrowed from the graph */
} pk_member;

/** The estimators of a container @p root in file order: the first @p cap
 *  go to @p out; returns how many there are (0 if @p root is no container). */
size_t pk_members(const pk_obj *root, pk_member *out, size_t cap);

/** The object @p path names below @p root: dict keys, list/tuple indices
 *  (negative from the end) and estimator attributes, joined by '.' or in
 *  brackets ("svc", "0", "models[1]", "['a.b'].clf", "grid.best_estimator_").
 *  A dict key equal to the whole path is taken as is. SKC_E_NOT_FOUND or
 *  SKC_E_INVAL with the reason in @p err. */
int pk_member_get(const pk_obj *root, const char *path, const pk_obj **out,
                  char *err, size_t errlen);

#endif
