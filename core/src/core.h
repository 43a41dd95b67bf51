/* SPDX-License-Identifier: MIT */
/* core.h: internal structures shared by the files of libskconv (never installed). */
#ifndef SKCONV_CORE_H
#define SKCONV_CORE_H

#include <skconv/skconv.h>
#include <skconv/io.h>
#include <skconv/ir.h>
#include <skconv/plugin.h>

#define SKCI_HIDDEN __attribute__((visibility("hidden")))

#define SKCI_ERRLEN 1024

/* Handles start with a magic so public entry points can refuse misuse. */
#define SKCI_MAGIC_CONTEXT 0x534b4358u  /* "SKCX" */
#define SKCI_MAGIC_SESSION 0x534b5353u  /* "SKSS" */

typedef struct skci_module {
    char *path;
    void *handle;                /* dlopen handle, NULL for none */
    const skc_plugin *plugin;
} skci_module;

typedef struct skci_format_entry {
    const skc_format *fmt;
    int module;                  /* index into modules */
} skci_format_entry;

struct skc_context {
    uint32_t magic;
    unsigned flags;
    skci_module *modules;
    int n_modules, cap_modules;
    skci_format_entry *formats;
    int n_formats, cap_formats;
    skc_limits limits;
    skc_log_fn log_fn;
    void *log_user;
    int log_level;
    char error[SKCI_ERRLEN];
};

typedef struct skci_optval {
    char *key;
    char *value;
} skci_optval;

struct skc_session {
    uint32_t magic;
    skc_context *ctx;
    const skc_format *fmt;
    char *filename;
    void *priv;
    skci_optval *opts;
    int n_opts;
    int for_write;               /* which option table defaults come from */
    int warnings;
    int closed;
    char *report;
    char error[SKCI_ERRLEN];
    skc_output *output;          /* the write's output (borrowed), or NULL */
    char **comp_names;           /* companions mapped to other paths       */
    char **comp_paths;
    int n_comps;
    struct skci_hash *hash;      /* the input's SHA-256 a reader asked for  */
    int hash_defer;              /* skc_session_defer_source_hash()         */
};

SKCI_HIDDEN int  skci_ctx_error(skc_context *ctx, int code, const char *fmt, ...)
    SKC_PRINTF(3, 4);
SKCI_HIDDEN void skci_ctx_log(skc_context *ctx, int level, const char *origin,
                              const char *fmt, ...) SKC_PRINTF(4, 5);
SKCI_HIDDEN void skci_ctx_vlog(skc_context *ctx, int level, const char *origin,
                               const char *fmt, va_list ap);
SKCI_HIDDEN char *skci_strdup(const char *s);
/* 1 if @p t wraps memory it does not own (skc_tensor_wrap: a mapped file). */
SKCI_HIDDEN int skci_tensor_borrowed(const skc_tensor *t);
/* @p t is now a model's attribute: writes into it count in the epoch. */
SKCI_HIDDEN void skci_tensor_attach(skc_tensor *t);
/* Number of writes into attached tensors so far (tensor.c). */
SKCI_HIDDEN uint64_t skci_tensor_epoch(void);
SKCI_HIDDEN void skci_errf(char *err, size_t errlen, const char *fmt, ...)
    SKC_PRINTF(3, 4);

/* Start the disk writes of a file stream without waiting (stream.c). */
SKCI_HIDDEN void skci_stream_start_flush(skc_stream *s);
/* A stream's file descriptor when it reads a regular file, else -1. */
SKCI_HIDDEN int skci_stream_fd(const skc_stream *s);

/* The SHA-256 of a stream's bytes (hash.c): started on a thread of its
 * own for a large input; _finish waits and gives 64 hex digits, or NULL
 * when the bytes could not all be read; _free stops and drops it. A
 * file's hash reads the file itself (a descriptor of its own), so it
 * outlives the stream (deferrable); other bytes must stay until it ends. */
typedef struct skci_hash skci_hash;
SKCI_HIDDEN int skci_hash_start(skc_stream *in, skci_hash **out);
SKCI_HIDDEN int skci_hash_deferrable(const skci_hash *h);
SKCI_HIDDEN const char *skci_hash_finish(skci_hash *h);
SKCI_HIDDEN void skci_hash_free(skci_hash *h);

/* Option tables (session.c): find and type-check a value. */
SKCI_HIDDEN const skc_option *skci_option_find(const skc_option *table,
                                               const char *key);
SKCI_HIDDEN int skci_option_check(const skc_option *o, const char *value,
                                  char *err, size_t errlen);

#endif
