/* SPDX-License-Identifier: MIT */
/* registry.c: plugin discovery, validation at load, format lookup and probing. */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core.h"

#ifndef SKC_PLUGINDIR
#define SKC_PLUGINDIR "/usr/local/lib/skconv/plugins-1"
#endif

/* The smallest descriptors an ABI-1 plugin may hand us. */
#define REG_FORMAT_ABI1_SIZE offsetof(skc_format, scan)
#define REG_PLUGIN_ABI1_SIZE (offsetof(skc_plugin, formats) + sizeof(void *))

const char *skc_plugin_dir(void) { return SKC_PLUGINDIR; }

static int reg_name_ok(const char *name)
{
    const char *p;

    if (!name || !*name || strlen(name) > 64)
        return 0;
    for (p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return 0;
    return 1;
}

static const char *reg_basename(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static int reg_has_format(const skc_context *ctx, const char *name)
{
    int i;

    for (i = 0; i < ctx->n_formats; i++)
        if (strcmp(ctx->formats[i].fmt->name, name) == 0)
            return i;
    return -1;
}

/* Check one format descriptor; the reason goes to ctx->error. */
static int reg_check_format(skc_context *ctx, const char *path,
                            const skc_format *f, int idx)
{
    if (!f)
        return skci_ctx_error(ctx, SKC_E_ABI, "%s: format %d is NULL", path, idx);
    if (f->struct_size < REG_FORMAT_ABI1_SIZE)
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: format %d descriptor is %u bytes, ABI %d needs at least %zu",
            path, idx, f->struct_size, SKC_ABI_VERSION, (size_t)REG_FORMAT_ABI1_SIZE);
    if (!reg_name_ok(f->name))
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: format %d has an invalid name (want [a-z0-9-]+)", path, idx);
    if (!f->extensions)
        return skci_ctx_error(ctx, SKC_E_ABI, "%s: format '%s' lists no extensions",
                              path, f->name);
    if ((f->caps & SKC_CAP_READ) && (!f->read || !f->probe))
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: format '%s' claims reading but has no read or probe function",
            path, f->name);
    if ((f->caps & SKC_CAP_WRITE) && (!f->write || !f->query_op))
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: format '%s' claims writing but has no write or query_op function",
            path, f->name);
    if ((f->caps & SKC_CAP_SCAN) &&
        (!SKC_HAS_MEMBER(f, skc_format, scan) || !f->scan))
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: format '%s' claims scanning but has no scan function",
            path, f->name);
    if (!(f->caps & (SKC_CAP_READ | SKC_CAP_WRITE)))
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: format '%s' neither reads nor writes", path, f->name);
    return SKC_OK;
}

static int reg_grow(void **arr, int *cap, int need, size_t elem)
{
    void *p;
    int ncap;

    if (need <= *cap)
        return SKC_OK;
    ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    p = realloc(*arr, (size_t)ncap * elem);
    if (!p)
        return SKC_E_NOMEM;
    *arr = p;
    *cap = ncap;
    return SKC_OK;
}

/* Validate the whole module first, then register all of it or nothing. */
static int reg_add_module(skc_context *ctx, const char *path, void *handle,
                          const skc_plugin *pl)
{
    const char *base = reg_basename(path);
    int n = 0, i, j, rc;
    size_t stem_len;

    if (pl->abi_version != SKC_ABI_VERSION)
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: plugin was built for ABI %u; this skconv speaks ABI %d",
            path, pl->abi_version, SKC_ABI_VERSION);
    if (pl->struct_size < REG_PLUGIN_ABI1_SIZE)
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: plugin descriptor is %u bytes, ABI %d needs at least %zu",
            path, pl->struct_size, SKC_ABI_VERSION, (size_t)REG_PLUGIN_ABI1_SIZE);
    if (!reg_name_ok(pl->name) || !pl->version || !pl->license || !pl->formats)
        return skci_ctx_error(ctx, SKC_E_ABI,
            "%s: plugin descriptor lacks a valid name, version, license or format list",
            path);
    /* A module file named skconv-<x>.so must declare the name <x>. */
    if (strncmp(base, "skconv-", 7) == 0) {
        stem_len = strcspn(base + 7, ".");
        if (stem_len != strlen(pl->name) || strncmp(base + 7, pl->name, stem_len) != 0)
            return skci_ctx_error(ctx, SKC_E_ABI,
                "%s: plugin calls itself '%s' but the file is named for '%.*s'",
                path, pl->name, (int)stem_len, base + 7);
    }
    for (i = 0; pl->formats[i]; i++) {
        if (i >= 256)
            return skci_ctx_error(ctx, SKC_E_ABI, "%s: format list is not terminated", path);
        rc = reg_check_format(ctx, path, pl->formats[i], i);
        if (rc)
            return rc;
        if (reg_has_format(ctx, pl->formats[i]->name) >= 0)
            return skci_ctx_error(ctx, SKC_E_ABI,
                "%s: format '%s' is already provided by %s",
                path, pl->formats[i]->name,
                ctx->modules[ctx->formats[reg_has_format(ctx, pl->formats[i]->name)].module].path);
        for (j = 0; j < i; j++)
            if (strcmp(pl->formats[j]->name, pl->formats[i]->name) == 0)
                return skci_ctx_error(ctx, SKC_E_ABI,
                    "%s: format '%s' is declared twice", path, pl->formats[i]->name);
        n++;
    }
    if (n == 0)
        return skci_ctx_error(ctx, SKC_E_ABI, "%s: plugin declares no formats", path);
    if (reg_grow((void **)&ctx->modules, &ctx->cap_modules, ctx->n_modules + 1,
                 sizeof(*ctx->modules)) ||
        reg_grow((void **)&ctx->formats, &ctx->cap_formats, ctx->n_formats + n,
                 sizeof(*ctx->formats)))
        return skci_ctx_error(ctx, SKC_E_NOMEM, "%s: out of memory", path);
    ctx->modules[ctx->n_modules].path = skci_strdup(path);
    if (!ctx->modules[ctx->n_modules].path)
        return skci_ctx_error(ctx, SKC_E_NOMEM, "%s: out of memory", path);
    ctx->modules[ctx->n_modules].handle = handle;
    ctx->modules[ctx->n_modules].plugin = pl;
    for (i = 0; i < n; i++) {
        ctx->formats[ctx->n_formats].fmt = pl->formats[i];
        ctx->formats[ctx->n_formats].module = ctx->n_modules;
        ctx->n_formats++;
    }
    ctx->n_modules++;
    return SKC_OK;
}

static int reg_already_loaded(const skc_context *ctx, const char *path)
{
    char a[PATH_MAX], b[PATH_MAX];
    int i;

    if (!realpath(path, a))
        return 0;
    for (i = 0; i < ctx->n_modules; i++)
        if (realpath(ctx->modules[i].path, b) && strcmp(a, b) == 0)
            return 1;
    return 0;
}

int skc_context_load_plugin(skc_context *ctx, const char *path)
{
    void *handle;
    void *sym;
    skc_plugin_entry_fn entry;
    const skc_plugin *pl;
    int rc;

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || !path)
        return SKC_E_INVAL;
    if (reg_already_loaded(ctx, path))
        return SKC_OK;
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return skci_ctx_error(ctx, SKC_E_ABI, "%s: cannot load: %s", path, dlerror());
    sym = dlsym(handle, SKC_PLUGIN_ENTRY_SYMBOL);
    if (!sym) {
        dlclose(handle);
        return skci_ctx_error(ctx, SKC_E_ABI, "%s: no entry symbol '%s'",
                              path, SKC_PLUGIN_ENTRY_SYMBOL);
    }
    /* POSIX guarantees object/function pointer round trips through dlsym. */
    memcpy(&entry, &sym, sizeof(entry));
    pl = entry(SKC_ABI_VERSION);
    if (!pl) {
        dlclose(handle);
        return skci_ctx_error(ctx, SKC_E_ABI, "%s: plugin does not serve ABI %d",
                              path, SKC_ABI_VERSION);
    }
    rc = reg_add_module(ctx, path, handle, pl);
    if (rc) {
        dlclose(handle);
        return rc;
    }
    skci_ctx_log(ctx, SKC_LOG_DEBUG, "core", "loaded plugin %s (%s %s)",
                 path, pl->name, pl->version);
    return SKC_OK;
}

static int reg_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int reg_is_module_name(const char *n)
{
    size_t len = strlen(n);

    return strncmp(n, "skconv-", 7) == 0 && len > 10 &&
           strcmp(n + len - 3, ".so") == 0;
}

/* quiet_dups: a lower-priority directory's duplicates are shadowed, not errors. */
static int reg_load_dir(skc_context *ctx, const char *dir, int quiet_dups)
{
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    int n = 0, cap = 0, i, loaded = 0;
    char path[PATH_MAX];

    d = opendir(dir);
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (!reg_is_module_name(e->d_name))
            continue;
        if (reg_grow((void **)&names, &cap, n + 1, sizeof(*names)))
            break;
        names[n] = skci_strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(*names), reg_cmp_str);
    for (i = 0; i < n; i++) {
        int rc;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
            continue;
        rc = skc_context_load_plugin(ctx, path);
        if (rc == 0)
            loaded++;
        else
            skci_ctx_log(ctx, quiet_dups && strstr(ctx->error, "already provided")
                              ? SKC_LOG_DEBUG : SKC_LOG_WARN,
                         "core", "%s", ctx->error);
        free(names[i]);
    }
    free(names);
    return loaded;
}

int skc_context_load_dir(skc_context *ctx, const char *dir)
{
    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || !dir)
        return SKC_E_INVAL;
    return reg_load_dir(ctx, dir, 0);
}

int skc_context_autoload(skc_context *ctx)
{
    const char *env;
    char *copy, *tok, *save = NULL;

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT)
        return SKC_E_INVAL;
    env = getenv("SKCONV_PLUGIN_PATH");
    if (env && strcmp(env, "disable") == 0)
        return SKC_OK;
    if (env && *env) {
        copy = skci_strdup(env);
        if (!copy)
            return SKC_E_NOMEM;
        for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
            if (*tok)
                reg_load_dir(ctx, tok, 0);
        free(copy);
    }
    reg_load_dir(ctx, SKC_PLUGINDIR, 1);
    return SKC_OK;
}

int skc_context_plugin_count(const skc_context *ctx)
{
    return ctx && ctx->magic == SKCI_MAGIC_CONTEXT ? ctx->n_modules : 0;
}

const skc_plugin *skc_context_plugin(const skc_context *ctx, int i, const char **path)
{
    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || i < 0 || i >= ctx->n_modules)
        return NULL;
    if (path)
        *path = ctx->modules[i].path;
    return ctx->modules[i].plugin;
}

int skc_context_format_count(const skc_context *ctx)
{
    return ctx && ctx->magic == SKCI_MAGIC_CONTEXT ? ctx->n_formats : 0;
}

const skc_format *skc_context_format(const skc_context *ctx, int i)
{
    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || i < 0 || i >= ctx->n_formats)
        return NULL;
    return ctx->formats[i].fmt;
}

const skc_format *skc_context_find_format(const skc_context *ctx, const char *name)
{
    int i;

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || !name)
        return NULL;
    i = reg_has_format(ctx, name);
    return i >= 0 ? ctx->formats[i].fmt : NULL;
}

/* 1 if @p ext (no dot) is in the comma-separated list @p exts. */
static int reg_ext_in(const char *exts, const char *ext)
{
    size_t n = strlen(ext);
    const char *p = exts;

    if (!exts || !n)
        return 0;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len == n && strncasecmp(p, ext, n) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static const char *reg_extension(const char *path)
{
    const char *base = reg_basename(path);
    const char *dot = strrchr(base, '.');

    return dot && dot != base ? dot + 1 : NULL;
}

const skc_format *skc_context_format_for_extension(const skc_context *ctx,
                                                   const char *path,
                                                   uint64_t need_caps)
{
    const char *ext;
    int i;

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || !path)
        return NULL;
    ext = reg_extension(path);
    if (!ext)
        return NULL;
    for (i = 0; i < ctx->n_formats; i++) {
        const skc_format *f = ctx->formats[i].fmt;
        if ((f->caps & need_caps) == need_caps && !(f->caps & SKC_CAP_EXPERIMENTAL) &&
            reg_ext_in(f->extensions, ext))
            return f;
    }
    return NULL;
}

int skc_context_probe(skc_context *ctx, skc_stream *in, const skc_format **out,
                      int *score)
{
    const uint8_t *data;
    size_t size;
    uint8_t *buf;
    skc_probe_data pd;
    const skc_format *best = NULL;
    int best_score = 0, tie = 0, i, rc;
    const char *path, *ext;
    char tied[256] = "";

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || !in || !out)
        return SKC_E_INVAL;
    rc = skc_stream_map(in, &data, &size);
    if (rc)
        return skci_ctx_error(ctx, rc, "%s: cannot read: %s",
                              skc_stream_path(in) ? skc_stream_path(in) : "input",
                              skc_strerror(rc));
    path = skc_stream_path(in);
    if (size == 0)
        return skci_ctx_error(ctx, SKC_E_FORMAT, "%s: file is empty",
                              path ? path : "input");
    if (size > SKC_PROBE_SIZE)
        size = SKC_PROBE_SIZE;
    /* Probes may read SKC_PROBE_PADDING bytes past the end without checks. */
    buf = calloc(1, size + SKC_PROBE_PADDING);
    if (!buf)
        return SKC_E_NOMEM;
    memcpy(buf, data, size);
    pd.buf = buf;
    pd.size = size;
    pd.filename = path;
    ext = path ? reg_extension(path) : NULL;
    for (i = 0; i < ctx->n_formats; i++) {
        const skc_format *f = ctx->formats[i].fmt;
        int s;
        if (!(f->caps & SKC_CAP_READ) || (f->caps & SKC_CAP_EXPERIMENTAL))
            continue;
        s = f->probe(&pd);
        if (s < 0)
            s = 0;
        if (s > SKC_PROBE_MAX)
            s = SKC_PROBE_MAX;
        /* An extension match only breaks ties between content scores. */
        if (s > 0 && ext && reg_ext_in(f->extensions, ext))
            s += 1;
        skci_ctx_log(ctx, SKC_LOG_DEBUG, "core", "probe %s=%d", f->name, s);
        if (s > best_score) {
            best = f;
            best_score = s;
            tie = 0;
            snprintf(tied, sizeof(tied), "%s", f->name);
        } else if (s == best_score && s > 0) {
            size_t l = strlen(tied);
            tie = 1;
            snprintf(tied + l, sizeof(tied) - l, ", %s", f->name);
        }
    }
    free(buf);
    if (!best)
        return skci_ctx_error(ctx, SKC_E_UNKNOWN_FORMAT,
            "%s: not a model file any loaded reader recognises", path ? path : "input");
    if (tie)
        return skci_ctx_error(ctx, SKC_E_AMBIGUOUS,
            "%s: several readers claim this file equally (%s); choose one with -f",
            path ? path : "input", tied);
    if (best_score <= SKC_PROBE_LOW)
        skci_ctx_log(ctx, SKC_LOG_WARN, "core",
                     "%s: guessing format '%s' from a weak probe score %d",
                     path ? path : "input", best->name, best_score);
    *out = best;
    if (score)
        *score = best_score;
    return SKC_OK;
}
