/* SPDX-License-Identifier: MIT */
/* skconv.h: context, status codes, limits and logging of libskconv. */
#ifndef SKCONV_SKCONV_H
#define SKCONV_SKCONV_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <skconv/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SKC_BUILDING_LIB) || defined(SKC_STATIC)
#  define SKC_API __attribute__((visibility("default")))
#else
#  define SKC_API
#endif

#if defined(__GNUC__)
#  define SKC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define SKC_PRINTF(a, b)
#endif

/** Opaque handles. Every one of them is created and freed by libskconv. */
typedef struct skc_context skc_context;   /* registry, limits, logging       */
typedef struct skc_session skc_session;   /* one read or one write of a file */
typedef struct skc_stream  skc_stream;    /* bytes in or out                 */
typedef struct skc_model   skc_model;     /* the IR, see skconv/ir.h         */
typedef struct skc_tensor  skc_tensor;    /* typed n-d array, see ir.h       */
typedef struct skc_format  skc_format;    /* a format descriptor, plugin.h   */
typedef struct skc_plugin  skc_plugin;    /* a module descriptor, plugin.h   */

/**
 * Status codes. Values are ABI: never renumbered, only appended.
 * Every function that can fail returns 0 or one of these; the detail text
 * is on the handle (skc_context_error(), skc_session_error()).
 */
typedef enum skc_status {
    SKC_OK               =   0,
    SKC_E_NOMEM          =  -1,  /* allocation failed                         */
    SKC_E_INVAL          =  -2,  /* API misuse or bad argument                 */
    SKC_E_IO             =  -3,  /* a system call failed (errno in the detail) */
    SKC_E_FORMAT         =  -4,  /* malformed, truncated or corrupt input      */
    SKC_E_UNKNOWN_FORMAT =  -5,  /* no reader recognised the content           */
    SKC_E_AMBIGUOUS      =  -6,  /* two readers tied at the top score          */
    SKC_E_UNSUPPORTED    =  -7,  /* valid input, but not supported (yet)       */
    SKC_E_UNSAFE         =  -8,  /* input names a global not on the allowlist  */
    SKC_E_LIMIT          =  -9,  /* a resource limit was hit                   */
    SKC_E_ABI            = -10,  /* plugin refused at load                     */
    SKC_E_EXISTS         = -11,  /* output exists and overwrite not asked      */
    SKC_E_NOT_FOUND      = -12,  /* no such file, format, option or attribute  */
    SKC_E_MALICIOUS      = -13,  /* input names a global that runs code        */
    SKC_E_MISMATCH       = -14,  /* verification found a difference            */
    SKC_E_INTERNAL       = -99   /* a bug in skconv                            */
} skc_status;

/** Static English text for a status; never NULL, also for unknown codes. */
SKC_API const char *skc_strerror(int status);

/** Version of the linked library (the macros give the compiled headers'). */
SKC_API const char *skc_version_string(void);
SKC_API uint32_t    skc_abi_version(void);

/**
 * How many threads one conversion may keep busy at once: the
 * SKCONV_THREADS environment variable (1 or 2), 2 when it is unset or
 * not a number. At 1 everything runs on the calling thread. Readers and
 * writers that start threads of their own ask this first. Added within
 * ABI 1 (skconv 0.3).
 */
SKC_API int skc_threads(void);

/** Log levels, most severe first. */
typedef enum skc_log_level {
    SKC_LOG_ERROR = 0,
    SKC_LOG_WARN  = 1,
    SKC_LOG_INFO  = 2,
    SKC_LOG_DEBUG = 3
} skc_log_level;

/** Log sink: @p origin is a format or plugin name or "core". */
typedef void (*skc_log_fn)(void *user, int level, const char *origin,
                           const char *message);

/**
 * Resource limits for untrusted input. Every reader checks lengths, counts
 * and depths read from a file against these before allocating.
 * Begins with struct_size so it can grow at the end.
 */
typedef struct skc_limits {
    uint32_t struct_size;        /* sizeof(skc_limits) of the caller          */
    uint32_t max_depth;          /* nesting depth of containers               */
    uint64_t max_memo;           /* pickle memo entries                       */
    uint64_t max_objects;        /* objects in one object graph               */
    uint64_t max_bytes;          /* bytes of input after decompression        */
    uint64_t max_ratio;          /* decompressed / compressed size            */
    uint64_t max_elements;       /* elements of one array                     */
    /* ---- end of ABI 1 ---- */
} skc_limits;

/** Context flags for skc_context_new(). */
#define SKC_CONTEXT_NO_AUTOLOAD  (1u << 0)  /* do not load SKCONV_PLUGIN_PATH or the install dir */

/**
 * Create a context: the plugin registry, limits and log sink.
 * Unless SKC_CONTEXT_NO_AUTOLOAD is given, plugins are loaded from
 * SKCONV_PLUGIN_PATH (':'-separated; "disable" turns it off) and then from
 * the install directory. A plugin that is refused is logged and skipped.
 * @return 0, SKC_E_NOMEM. Caller frees with skc_context_free().
 * Thread-safety: a context may be shared by threads once loading is done;
 * sessions are per thread.
 */
SKC_API int  skc_context_new(unsigned flags, skc_context **out);
SKC_API void skc_context_free(skc_context *ctx);

/** Detail text of the last failure on @p ctx; "" if none. Borrowed. */
SKC_API const char *skc_context_error(const skc_context *ctx);

/** Route log messages up to @p max_level to @p fn (NULL: stderr). */
SKC_API void skc_context_set_log(skc_context *ctx, skc_log_fn fn, void *user,
                                 int max_level);

/** Copy the context's limits into @p out (set out->struct_size first). */
SKC_API int skc_context_get_limits(const skc_context *ctx, skc_limits *out);
/** Replace the limits; members beyond in->struct_size keep their values. */
SKC_API int skc_context_set_limits(skc_context *ctx, const skc_limits *in);

/** The default limits (generous enough for multi-GB forests). */
SKC_API void skc_limits_default(skc_limits *out);

#ifdef __cplusplus
}
#endif
#endif
