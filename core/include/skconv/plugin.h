/* SPDX-License-Identifier: MIT */
/* plugin.h: the versioned ABI between libskconv and format plugins. */
#ifndef SKCONV_PLUGIN_H
#define SKCONV_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <skconv/skconv.h>
#include <skconv/io.h>
#include <skconv/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The one symbol every plugin module exports. */
#define SKC_PLUGIN_ENTRY_SYMBOL "skconv_plugin_entry"
#define SKC_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Probe scores: 0 = not mine ... 100 = certain. */
#define SKC_PROBE_MAX       100
#define SKC_PROBE_EXTENSION  50  /* a probe-less format whose extension matched */
#define SKC_PROBE_LOW        25  /* at or below: a guess, warned about          */
#define SKC_PROBE_PADDING    32  /* zero bytes guaranteed after buf[size]       */
#define SKC_PROBE_SIZE     4096  /* bytes given to a probe                      */

/* Capability flags. Never reuse a bit. */
#define SKC_CAP_READ           (UINT64_C(1) << 0)
#define SKC_CAP_WRITE          (UINT64_C(1) << 1)
#define SKC_CAP_UNTRUSTED_SAFE (UINT64_C(1) << 2)  /* reader hardened for hostile input */
#define SKC_CAP_LOSSY          (UINT64_C(1) << 3)  /* writer may drop information       */
#define SKC_CAP_EXPERIMENTAL   (UINT64_C(1) << 4)  /* never chosen unless named         */
#define SKC_CAP_SCAN           (UINT64_C(1) << 5)  /* implements scan (safety verdict)  */

/** What a probe sees: the first bytes of the input (decompressed when the core can). */
typedef struct skc_probe_data {
    const uint8_t *buf;       /* SKC_PROBE_PADDING zero bytes follow buf[size] */
    size_t         size;
    const char    *filename;  /* may be NULL */
} skc_probe_data;

typedef enum skc_opt_type {
    SKC_OPT_BOOL   = 1,  /* true/false/1/0/yes/no */
    SKC_OPT_INT    = 2,
    SKC_OPT_FLOAT  = 3,
    SKC_OPT_STRING = 4,
    SKC_OPT_ENUM   = 5   /* one of choices "a|b|c" */
} skc_opt_type;

/** One option a reader or writer accepts. Tables end with a zeroed entry. */
typedef struct skc_option {
    const char *name;          /* lowercase snake_case             */
    int         type;          /* skc_opt_type                     */
    const char *default_value; /* as text; NULL: unset             */
    const char *choices;       /* "a|b|c" for ENUM, else NULL      */
    const char *help;          /* one line                         */
    int64_t     min, max;      /* INT bounds when min < max        */
} skc_option;

/** Result of scanning a file for safety (SKC_CAP_SCAN readers). */
typedef enum skc_verdict {
    SKC_VERDICT_SAFE      = 0,  /* every global named is known and inert */
    SKC_VERDICT_UNTRUSTED = 1,  /* some globals are unknown              */
    SKC_VERDICT_MALICIOUS = 3   /* a global runs code or reaches the OS  */
} skc_verdict;

/**
 * A format: one reader and/or writer. Begins with struct_size and only
 * grows at the end; the host reads a member only when struct_size covers it.
 */
struct skc_format {
    uint32_t struct_size;     /* sizeof(skc_format) when the plugin was built     */
    uint32_t reserved0;
    uint64_t caps;            /* SKC_CAP_*                                         */
    const char *name;         /* unique, [a-z0-9-]+, stable: "pickle", "onnx"     */
    const char *long_name;    /* one line for `skconv formats`                    */
    const char *extensions;   /* comma-separated, no dots: "pkl,joblib"           */
    const skc_option *read_options;   /* may be NULL */
    const skc_option *write_options;  /* may be NULL */
    size_t priv_size;         /* bytes the core zero-allocates per session        */

    /** Pure: bytes in, score 0..SKC_PROBE_MAX out. No I/O, no allocation. */
    int  (*probe)(const skc_probe_data *p);
    /** Build a complete model from @p in; set *out only on success. */
    int  (*read)(skc_session *s, skc_stream *in, skc_model **out);
    /** 1 if the writer can write op @p op, 0 if not. */
    int  (*query_op)(const char *op);
    /** Write @p m to @p out (a temporary file the core renames on success). */
    int  (*write)(skc_session *s, const skc_model *m, skc_stream *out);
    /** If set, always called once at the end of a session, also after failure. */
    void (*close)(skc_session *s);
    /**
     * Safety scan without building a model: write a verdict and a report
     * (UTF-8 JSON object text, owned by the session via skc_session_set_report).
     */
    int  (*scan)(skc_session *s, skc_stream *in, int *verdict);
    /** Describe the file (object tree, versions); report as with scan. */
    int  (*inspect)(skc_session *s, skc_stream *in);
    /* ---- end of ABI 1 as first released. ---- */
    /**
     * Optional (ABI 1, skconv 0.2): add the metadata entry @p key = @p value
     * to the file this format has just written to @p out, by appending to
     * it, without writing the model again. The host calls it after
     * verification, on the same temporary file, positioned at its end, and
     * only for a key the written model did not hold. NULL, or a return of
     * SKC_E_UNSUPPORTED: the host writes the whole model again instead.
     */
    int  (*append_meta)(skc_session *s, skc_stream *out, const char *key,
                        const char *value);
    /* ---- Append new members here only; never reorder. ---- */
};

/** A plugin module. Begins with abi_version and struct_size. */
struct skc_plugin {
    uint32_t abi_version;     /* = SKC_ABI_VERSION at plugin build time  */
    uint32_t struct_size;     /* = sizeof(skc_plugin) at build time      */
    const char *name;         /* module file is skconv-<name>.so          */
    const char *version;      /* the plugin's own version                 */
    const char *license;      /* SPDX identifier                          */
    const skc_format *const *formats;  /* NULL-terminated                 */
    /* ---- end of ABI 1 ---- */
};

/** The exported entry: returns the descriptor, or NULL if @p host_abi is not served. */
typedef const skc_plugin *(*skc_plugin_entry_fn)(uint32_t host_abi);

#define SKC_HAS_MEMBER(ptr, type, member) \
    ((ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

#define SKC_FORMAT_INIT .struct_size = sizeof(skc_format)
#define SKC_PLUGIN_INIT .abi_version = SKC_ABI_VERSION, .struct_size = sizeof(skc_plugin)

/* ------------------------------------------------------------------ */
/* Registry                                                            */
/* ------------------------------------------------------------------ */

/**
 * Load one module (the `--plugin FILE` path). A module with another ABI
 * version, a short struct, no entry symbol, an invalid format or a format
 * name already registered is refused whole: SKC_E_ABI with the reason in
 * skc_context_error(); nothing of it is registered.
 */
SKC_API int skc_context_load_plugin(skc_context *ctx, const char *path);
/** Load every skconv-*.so in @p dir, sorted by name; refusals are logged. */
SKC_API int skc_context_load_dir(skc_context *ctx, const char *dir);
/** Load SKCONV_PLUGIN_PATH (unless "disable") and then the install directory. */
SKC_API int skc_context_autoload(skc_context *ctx);
/** The compiled-in plugin directory. */
SKC_API const char *skc_plugin_dir(void);

SKC_API int               skc_context_plugin_count(const skc_context *ctx);
SKC_API const skc_plugin *skc_context_plugin(const skc_context *ctx, int i,
                                             const char **path);
SKC_API int               skc_context_format_count(const skc_context *ctx);
SKC_API const skc_format *skc_context_format(const skc_context *ctx, int i);
/** Format by name, or NULL. */
SKC_API const skc_format *skc_context_find_format(const skc_context *ctx,
                                                  const char *name);
/** The writable format whose extension list holds @p path's extension, or NULL. */
SKC_API const skc_format *skc_context_format_for_extension(const skc_context *ctx,
                                                           const char *path,
                                                           uint64_t need_caps);

/**
 * Choose a reader for @p in by probing its content. The first bytes are
 * given to every readable, non-experimental format; the highest score
 * wins; a tie at the top is SKC_E_AMBIGUOUS, no score is
 * SKC_E_UNKNOWN_FORMAT. @p score (may be NULL) receives the winner's score.
 */
SKC_API int skc_context_probe(skc_context *ctx, skc_stream *in,
                              const skc_format **out, int *score);

/* ------------------------------------------------------------------ */
/* Sessions: one read, write, scan or inspect of one file              */
/* ------------------------------------------------------------------ */

/** A session for @p fmt. @p filename names the file in messages (may be NULL). */
SKC_API int  skc_session_new(skc_context *ctx, const skc_format *fmt,
                             const char *filename, skc_session **out);
SKC_API void skc_session_free(skc_session *s);

/**
 * Set option @p key for the session's reader or writer (@p for_write
 * chooses the table). Unknown keys and values that do not parse as the
 * option's type give SKC_E_INVAL with a message naming the choices.
 */
SKC_API int skc_session_set_option(skc_session *s, int for_write,
                                   const char *key, const char *value);

SKC_API int skc_session_read(skc_session *s, skc_stream *in, skc_model **out);
SKC_API int skc_session_write(skc_session *s, const skc_model *m, skc_stream *out);
SKC_API int skc_session_scan(skc_session *s, skc_stream *in, int *verdict);
SKC_API int skc_session_inspect(skc_session *s, skc_stream *in);
/**
 * Append metadata @p key = @p value to a file of this session's format
 * that @p out has just received (see skc_format.append_meta).
 * SKC_E_UNSUPPORTED when the format cannot; the file is then unchanged.
 */
SKC_API int skc_session_append_meta(skc_session *s, skc_stream *out, const char *key,
                                    const char *value);

/**
 * Source hashes (added within ABI 1, skconv 0.4). A reader that wants its
 * input's SHA-256 in the model's provenance asks for it with
 * skc_session_hash_input(); the core makes it (on a thread of its own
 * beside the read, for a large input) and sets "source.sha256" on the
 * model read() returns. A host that will add the digest to the output
 * itself (appended after the write, say) calls
 * skc_session_defer_source_hash() before skc_session_read(): the digest
 * of a regular file is then left to run on past the read, the model lacks
 * the entry, and skc_session_source_sha256() waits for it. The file is read
 * again for it (through a descriptor of its own), so the input stream may
 * be closed meanwhile. A digest of bytes that are not a regular file
 * (a pipe, memory) is never deferred.
 */
SKC_API void skc_session_defer_source_hash(skc_session *s);
/** The 64 hex digits of the input's SHA-256 a reader asked for, waiting for
 *  it if it still runs; NULL when none was asked for or the file could not
 *  be read whole. Borrowed from the session. */
SKC_API const char *skc_session_source_sha256(skc_session *s);

/** Detail of the last failure ("file: what: why"); "" if none. Borrowed. */
SKC_API const char *skc_session_error(const skc_session *s);
/** The report of scan/inspect (JSON text) or NULL. Borrowed. */
SKC_API const char *skc_session_report(const skc_session *s);
/** Number of warnings logged so far. */
SKC_API int skc_session_warning_count(const skc_session *s);

/* Services a plugin calls on its session. */

/** The zeroed private block of format->priv_size bytes. */
SKC_API void       *skc_session_priv(skc_session *s);
SKC_API skc_context *skc_session_context(skc_session *s);
SKC_API const char *skc_session_filename(const skc_session *s);
/** Validated option value as text (default if unset; NULL if neither). */
SKC_API const char *skc_session_option(const skc_session *s, const char *key);
SKC_API int64_t     skc_session_option_int(const skc_session *s, const char *key,
                                           int64_t fallback);
SKC_API int         skc_session_option_bool(const skc_session *s, const char *key,
                                            int fallback);
SKC_API const skc_limits *skc_session_limits(const skc_session *s);
/** Record the failure detail; returns @p code so `return skc_set_error(...)` reads well. */
SKC_API int skc_set_error(skc_session *s, int code, const char *fmt, ...) SKC_PRINTF(3, 4);
SKC_API void skc_log(skc_session *s, int level, const char *fmt, ...) SKC_PRINTF(3, 4);
/**
 * From read(), before reading @p in: have the core record the SHA-256 of
 * its bytes (as stored, before any decompression) as the model's
 * "source.sha256" (see skc_session_defer_source_hash). Once per read; a
 * second call is ignored.
 */
SKC_API int skc_session_hash_input(skc_session *s, skc_stream *in);
/** Store the scan/inspect report; the session takes @p json (malloc'd). */
SKC_API void skc_session_set_report(skc_session *s, char *json);

/**
 * Open a companion file next to the session's input (old joblib dumps keep
 * arrays in sibling files). @p name must be a plain file name: no '/', no
 * "..", not empty; anything else is SKC_E_UNSAFE.
 */
SKC_API int skc_session_open_companion(skc_session *s, const char *name,
                                       skc_stream **out);

/* ------------------------------------------------------------------ */
/* Atomic output                                                        */
/* ------------------------------------------------------------------ */

/**
 * Begin writing @p path: creates a temporary file beside it. Refuses with
 * SKC_E_EXISTS if @p path exists and @p overwrite is 0, and with SKC_E_IO
 * if the directory is missing or not writable. Finish with
 * skc_output_commit() (fsync and rename) or skc_output_abort() (unlink).
 */
typedef struct skc_output skc_output;
SKC_API int  skc_output_begin(const char *path, int overwrite, skc_output **out,
                              char *err, size_t errlen);
SKC_API skc_stream *skc_output_stream(skc_output *o);
SKC_API const char *skc_output_temp_path(const skc_output *o);
SKC_API int  skc_output_commit(skc_output *o, char *err, size_t errlen);
/** 0: commit renames without fsync (a batch then syncs once); default 1. */
SKC_API void skc_output_set_sync(skc_output *o, int sync);
/**
 * Start writing what the temporary file holds so far to disk, without
 * waiting: the commit's fsync then has less left to wait for. Call it
 * when other work (verification) comes before the commit. A hint: does
 * nothing where the system cannot.
 */
SKC_API void skc_output_start_flush(skc_output *o);
SKC_API void skc_output_abort(skc_output *o);

/*
 * Side files (added within ABI 1, skconv 0.2): files that belong to the
 * output and sit beside it (ONNX external data, `OUTPUT.data`). Each is
 * written to a temporary file of its own, refused like the output when it
 * exists and overwrite is 0, and placed by skc_output_commit() (side files
 * first, the output last) or removed by skc_output_abort() with it.
 */

/**
 * Open the side file `<path><suffix>` (@p suffix: ".name", at most 32
 * bytes, no '/'). @p stream (owned by the output) receives its bytes;
 * @p path (may be NULL) its final path, borrowed from the output.
 * SKC_E_EXISTS, SKC_E_IO, SKC_E_INVAL (a bad or repeated suffix).
 */
SKC_API int  skc_output_add_side(skc_output *o, const char *suffix, skc_stream **stream,
                                 const char **path, char *err, size_t errlen);
SKC_API int  skc_output_side_count(const skc_output *o);
/** Final path of side file @p i (NULL if none); its temporary path to @p temp_path. */
SKC_API const char *skc_output_side_path(const skc_output *o, int i,
                                         const char **temp_path);

/**
 * Host, before skc_session_write(): the output @p o (borrowed; it must
 * outlive the write) receives this write, so the writer may open side
 * files with skc_session_open_side().
 */
SKC_API void skc_session_set_output(skc_session *s, skc_output *o);
/**
 * Writer: open the side file `<output><suffix>` of this write (see
 * skc_output_add_side). @p name receives its plain file name (what the
 * main file should record, relative to its own directory), borrowed
 * until the output is committed or aborted. SKC_E_UNSUPPORTED when the
 * host gave no output (a memory stream): the writer must then do without.
 */
SKC_API int  skc_session_open_side(skc_session *s, const char *suffix, skc_stream **stream,
                                   const char **name);
/**
 * Host, before skc_session_read(): skc_session_open_companion(@p name)
 * opens @p path instead of the file of that name beside the input. This is
 * how an output is verified before it is committed: its side files are
 * still at their temporary paths (skc_output_side_path).
 */
SKC_API int  skc_session_set_companion(skc_session *s, const char *name, const char *path);

#ifdef __cplusplus
}
#endif
#endif
