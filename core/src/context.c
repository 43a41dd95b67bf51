/* SPDX-License-Identifier: MIT */
/* context.c: the context handle: limits, logging and its error text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include "core.h"

void skc_limits_default(skc_limits *out)
{
    /* Generous enough for a multi-GB forest: a 500-tree forest of depth
     * 40 pickles to a few thousand objects and arrays of ~10^8 elements. */
    memset(out, 0, sizeof(*out));
    out->struct_size  = sizeof(*out);
    out->max_depth    = 200;
    out->max_memo     = UINT64_C(50000000);
    out->max_objects  = UINT64_C(100000000);
    out->max_bytes    = UINT64_C(64) << 30;
    out->max_ratio    = 2000;
    out->max_elements = UINT64_C(1) << 34;
}

int skc_context_new(unsigned flags, skc_context **out)
{
    skc_context *ctx;

    if (!out)
        return SKC_E_INVAL;
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return SKC_E_NOMEM;
    ctx->magic = SKCI_MAGIC_CONTEXT;
    ctx->flags = flags;
    ctx->log_level = SKC_LOG_WARN;
    skc_limits_default(&ctx->limits);
    if (!(flags & SKC_CONTEXT_NO_AUTOLOAD))
        skc_context_autoload(ctx);
    ctx->error[0] = '\0';
    *out = ctx;
    return SKC_OK;
}

void skc_context_free(skc_context *ctx)
{
    int i;

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT)
        return;
    /* Descriptors are borrowed from the modules: unload only now. */
    for (i = 0; i < ctx->n_modules; i++) {
        if (ctx->modules[i].handle)
            dlclose(ctx->modules[i].handle);
        free(ctx->modules[i].path);
    }
    free(ctx->modules);
    free(ctx->formats);
    ctx->magic = 0;
    free(ctx);
}

const char *skc_context_error(const skc_context *ctx)
{
    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT)
        return "invalid context";
    return ctx->error;
}

int skci_ctx_error(skc_context *ctx, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
    va_end(ap);
    return code;
}

void skc_context_set_log(skc_context *ctx, skc_log_fn fn, void *user,
                         int max_level)
{
    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT)
        return;
    ctx->log_fn = fn;
    ctx->log_user = user;
    ctx->log_level = max_level;
}

void skci_ctx_vlog(skc_context *ctx, int level, const char *origin,
                   const char *fmt, va_list ap)
{
    char msg[SKCI_ERRLEN];
    static const char *const names[] = { "error", "warning", "info", "debug" };

    if (!ctx || level > ctx->log_level)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (ctx->log_fn) {
        ctx->log_fn(ctx->log_user, level, origin, msg);
        return;
    }
    fprintf(stderr, "skconv: %s: [%s] %s\n",
            names[level < 0 ? 0 : level > 3 ? 3 : level], origin, msg);
}

void skci_ctx_log(skc_context *ctx, int level, const char *origin,
                  const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    skci_ctx_vlog(ctx, level, origin, fmt, ap);
    va_end(ap);
}

int skc_context_get_limits(const skc_context *ctx, skc_limits *out)
{
    size_t n;

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || !out ||
        out->struct_size < sizeof(uint32_t))
        return SKC_E_INVAL;
    n = out->struct_size < sizeof(ctx->limits) ? out->struct_size
                                               : sizeof(ctx->limits);
    memcpy((char *)out + sizeof(uint32_t),
           (const char *)&ctx->limits + sizeof(uint32_t), n - sizeof(uint32_t));
    return SKC_OK;
}

int skc_context_set_limits(skc_context *ctx, const skc_limits *in)
{
    size_t n;

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || !in ||
        in->struct_size < sizeof(uint32_t))
        return SKC_E_INVAL;
    n = in->struct_size < sizeof(ctx->limits) ? in->struct_size
                                              : sizeof(ctx->limits);
    memcpy((char *)&ctx->limits + sizeof(uint32_t),
           (const char *)in + sizeof(uint32_t), n - sizeof(uint32_t));
    return SKC_OK;
}
