/* SPDX-License-Identifier: MIT */
/* pk_load.c: turns a pickle or joblib file into an inert object graph (detect, decompress, run the VM) and scores content for the probe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <skconv/io.h>
#include <skconv/plugin.h>
#include "pk_internal.h"
#include "pk_load.h"

static const char *pk_load_compression_name(const char *kind)
{
    return strcmp(kind, "zf") == 0 ? "zlib" : kind;
}

int pk_load_bytes(const uint8_t *data, size_t size, const pk_vm_opts *opts,
                  pk_graph **out, char *err, size_t errlen)
{
    pk_graph *g = NULL;
    uint8_t *buf = NULL;
    size_t n = 0;
    char derr[256];
    int rc;
    if (err && errlen)
        err[0] = 0;
    if (size >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) {
        snprintf(err, errlen, "a zip archive (skops file or .npz?), not a pickle");
        return SKC_E_UNSUPPORTED;
    }
    if (size >= 6 && memcmp(data, "\x93NUMPY", 6) == 0) {
        snprintf(err, errlen, "a bare .npy array file, not a pickled model");
        return SKC_E_UNSUPPORTED;
    }
    if ((rc = pk_graph_new(opts->limits, &g)) < 0) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    const char *kind = pk_decomp_detect(data, size);
    if (kind) {
        rc = pk_decomp_run(kind, data, size, &g->limits, &buf, &n, derr, sizeof derr);
        if (rc < 0) {
            snprintf(err, errlen, "%s data: %s", pk_load_compression_name(kind), derr);
            goto fail;
        }
        if ((rc = pk_graph_own(g, buf)) < 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        g->compression = pk_load_compression_name(kind);
        if (strcmp(kind, "zf") == 0)
            g->container = "joblib-zf";
        data = buf;
        size = n;
    }
    if (size > g->limits.max_bytes) {
        snprintf(err, errlen, "input of %zu bytes exceeds the limit %llu", size,
                 (unsigned long long)g->limits.max_bytes);
        rc = SKC_E_LIMIT;
        goto fail;
    }
    g->input_bytes = size;
    rc = pk_vm_run_ex(data, size, opts, g, derr, sizeof derr);
    if (rc < 0) {
        snprintf(err, errlen, "%s%s", kind ? "decompressed stream, " : "", derr);
        goto fail;
    }
    if (g->joblib_bits & (PK_JL_NDARRAY | PK_JL_ZND))
        g->container = g->joblib_bits & PK_JL_ZND ? "joblib-zf" : "joblib-ndarray-wrapper";
    else if (g->joblib_bits & PK_JL_INLINE)
        g->container = "joblib";
    *out = g;
    return 0;
fail:
    pk_graph_free(g);
    return rc;
}

/* ---------------------------------------------------------------- */
/* Session glue                                                      */
/* ---------------------------------------------------------------- */

typedef struct pk_load_ctx {
    skc_session *s;
    pk_seen_log *log;
    void **streams;       /* companions opened during this load */
    size_t n, cap;
} pk_load_ctx;

static int pk_load_companion(void *user, const char *name,
                             const uint8_t **data, size_t *size)
{
    pk_load_ctx *c = user;
    skc_stream *st = NULL;
    int rc = skc_session_open_companion(c->s, name, &st);
    if (rc < 0)
        return rc;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        void **ns = realloc(c->streams, nc * sizeof *ns);
        if (!ns) {
            skc_stream_free(st);
            return SKC_E_NOMEM;
        }
        c->streams = ns;
        c->cap = nc;
    }
    c->streams[c->n++] = st;
    return skc_stream_map(st, data, size);
}

static const char *pk_load_basename(const char *path)
{
    if (!path)
        return NULL;
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

int pk_load_session(skc_session *s, skc_stream *in, int permissive,
                    pk_seen_log *log, pk_graph **out);

int pk_load_session(skc_session *s, skc_stream *in, int permissive,
                    pk_seen_log *log, pk_graph **out)
{
    const uint8_t *data;
    size_t size;
    char err[400];
    pk_load_ctx ctx;
    pk_graph *g = NULL;
    memset(&ctx, 0, sizeof ctx);
    ctx.s = s;
    int rc = skc_stream_map(in, &data, &size);
    if (rc < 0)
        return skc_set_error(s, rc, "cannot read input");
    pk_vm_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.limits = skc_session_limits(s);
    opts.permissive = permissive;
    opts.log = log;
    opts.companion = pk_load_companion;
    opts.companion_user = &ctx;
    const char *fn = skc_session_filename(s);
    if (!fn)
        fn = skc_stream_path(in);
    opts.main_basename = pk_load_basename(fn);
    rc = pk_load_bytes(data, size, &opts, &g, err, sizeof err);
    if (rc == 0) {
        for (size_t i = 0; i < ctx.n && rc == 0; i++) {
            rc = pk_graph_own_stream(g, ctx.streams[i]);
            if (rc < 0)
                for (size_t k = i; k < ctx.n; k++)
                    skc_stream_free(ctx.streams[k]);
        }
        free(ctx.streams);
        if (rc < 0) {
            pk_graph_free(g);
            return skc_set_error(s, rc, "out of memory");
        }
        *out = g;
        return 0;
    }
    for (size_t i = 0; i < ctx.n; i++)
        skc_stream_free(ctx.streams[i]);
    free(ctx.streams);
    return skc_set_error(s, rc, "%s", err);
}

int pk_load(skc_session *s, skc_stream *in, pk_graph **out)
{
    return pk_load_session(s, in, 0, NULL, out);
}

int pk_load_permissive(skc_session *s, skc_stream *in, pk_graph **out)
{
    return pk_load_session(s, in, 1, NULL, out);
}

/* ---------------------------------------------------------------- */
/* Probe                                                             */
/* ---------------------------------------------------------------- */

static int pk_probe_has(const uint8_t *b, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (b[i] == (uint8_t)needle[0] && memcmp(b + i, needle, k) == 0)
            return 1;
    return 0;
}

int pk_probe(const uint8_t *buf, size_t size)
{
    if (!buf || size < 2)
        return 0;
    const char *kind = pk_decomp_detect(buf, size);
    if (kind) {
        if (strcmp(kind, "zf") == 0)
            return size >= 4 && buf[2] == '0' && buf[3] == 'x' ? 80 : 10;
        /* joblib writes zlib at level 3 (78 5e) by default. */
        if (strcmp(kind, "zlib") == 0)
            return buf[1] == 0x5e ? 60 : 45;
        return 55;
    }
    int model = pk_probe_has(buf, size, "sklearn") || pk_probe_has(buf, size, "numpy") ||
                pk_probe_has(buf, size, "joblib");
    if (buf[0] == 0x80) {
        if (buf[1] < 2)
            return 0;
        /* a newer protocol: still ours, to say so precisely */
        if (buf[1] > 5)
            return 15;
        /* proto 4+ begins with a FRAME or a short opcode */
        return model ? 95 : 50;
    }
    /* Protocol 0/1 streams start with a container, MARK or GLOBAL opcode. */
    if (buf[0] == 'c' && (model || pk_probe_has(buf, size, "copy_reg\n")))
        return 70;
    if (strchr("(]}c", buf[0]) && buf[0] != 0)
        return model ? 60 : 20;
    return 0;
}
