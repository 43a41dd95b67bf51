/* SPDX-License-Identifier: MIT */
/* output.c: atomic output: write a temporary file beside the target, then rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core.h"

/* A side file (ONNX external data): its own temporary file, placed with
 * the main file's rules and at the same time. */
typedef struct out_side {
    char *path;
    char *tmp;
    skc_stream *stream;
    int placed;                  /* committed, before the main file */
} out_side;

#define OUT_MAX_SIDES 8

struct skc_output {
    char *path;
    char *tmp;
    int overwrite;
    int no_sync;
    skc_stream *stream;
    out_side sides[OUT_MAX_SIDES];
    int n_sides;
};

/* A hidden-ish name in the same directory so rename() stays atomic. */
static int out_open_temp(const char *path, char *tmp, size_t tmplen, skc_stream **out,
                         char *err, size_t errlen)
{
    int rc = SKC_E_IO, attempt;

    for (attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, tmplen, "%s.tmp-%ld-%d", path, (long)getpid(), attempt);
        rc = skc_stream_open_write(tmp, out, err, errlen);
        if (rc != SKC_E_EXISTS)
            break;
    }
    if (rc)
        skci_errf(err, errlen, "%s: cannot write here: %s", path,
                  rc == SKC_E_IO ? strerror(errno) : skc_strerror(rc));
    return rc;
}

int skc_output_begin(const char *path, int overwrite, skc_output **out,
                     char *err, size_t errlen)
{
    struct stat st;
    skc_output *o;
    int rc;
    size_t n;
    char *slash, dir[4096];

    if (!path || !*path || !out)
        return SKC_E_INVAL;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            skci_errf(err, errlen, "%s: is a directory", path);
            return SKC_E_IO;
        }
        if (!overwrite) {
            skci_errf(err, errlen, "%s: exists; use --force to overwrite it", path);
            return SKC_E_EXISTS;
        }
    }
    n = strlen(path);
    if (n + 1 > sizeof(dir))
        return SKC_E_INVAL;
    memcpy(dir, path, n + 1);
    slash = strrchr(dir, '/');
    if (slash) {
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat(dir, &st) != 0) {
            skci_errf(err, errlen, "%s: output directory %s does not exist", path, dir);
            return SKC_E_IO;
        }
        if (!S_ISDIR(st.st_mode)) {
            skci_errf(err, errlen, "%s: %s is not a directory", path, dir);
            return SKC_E_IO;
        }
    }
    o = calloc(1, sizeof(*o));
    if (!o)
        return SKC_E_NOMEM;
    o->overwrite = overwrite;
    o->path = skci_strdup(path);
    o->tmp = malloc(n + 32);
    if (!o->path || !o->tmp) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    if ((rc = out_open_temp(path, o->tmp, n + 32, &o->stream, err, errlen)))
        goto fail;
    *out = o;
    return SKC_OK;
fail:
    free(o->path);
    free(o->tmp);
    free(o);
    return rc;
}

void skc_output_set_sync(skc_output *o, int sync)
{
    if (o)
        o->no_sync = !sync;
}

void skc_output_start_flush(skc_output *o)
{
    int i;

    if (!o || o->no_sync)
        return;
    skci_stream_start_flush(o->stream);
    for (i = 0; i < o->n_sides; i++)
        skci_stream_start_flush(o->sides[i].stream);
}

skc_stream *skc_output_stream(skc_output *o)
{
    return o ? o->stream : NULL;
}

const char *skc_output_temp_path(const skc_output *o)
{
    return o ? o->tmp : NULL;
}

int skc_output_add_side(skc_output *o, const char *suffix, skc_stream **stream,
                        const char **path, char *err, size_t errlen)
{
    out_side *sd;
    struct stat st;
    size_t n;
    int i, rc;

    if (!o || !suffix || !stream)
        return SKC_E_INVAL;
    /* A suffix, not a path: the side file lives beside the output. */
    if (suffix[0] != '.' || !suffix[1] || strlen(suffix) > 32 || strchr(suffix, '/') ||
        strstr(suffix, ".tmp-")) {
        skci_errf(err, errlen, "%s: side file suffix '%.40s' is not '.name'", o->path, suffix);
        return SKC_E_INVAL;
    }
    for (i = 0; i < o->n_sides; i++)
        if (strcmp(o->sides[i].path + strlen(o->path), suffix) == 0) {
            skci_errf(err, errlen, "%s%s: side file opened twice", o->path, suffix);
            return SKC_E_INVAL;
        }
    if (o->n_sides == OUT_MAX_SIDES) {
        skci_errf(err, errlen, "%s: more than %d side files", o->path, OUT_MAX_SIDES);
        return SKC_E_LIMIT;
    }
    sd = &o->sides[o->n_sides];
    n = strlen(o->path) + strlen(suffix);
    if (!(sd->path = malloc(n + 1)) || !(sd->tmp = malloc(n + 32))) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    snprintf(sd->path, n + 1, "%s%s", o->path, suffix);
    /* The same rules as the output: an existing file is replaced only
     * when the output may be. */
    if (stat(sd->path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            skci_errf(err, errlen, "%s: is a directory", sd->path);
            rc = SKC_E_IO;
            goto fail;
        }
        if (!o->overwrite) {
            skci_errf(err, errlen, "%s: exists; use --force to overwrite it", sd->path);
            rc = SKC_E_EXISTS;
            goto fail;
        }
    }
    if ((rc = out_open_temp(sd->path, sd->tmp, n + 32, &sd->stream, err, errlen)))
        goto fail;
    o->n_sides++;
    *stream = sd->stream;
    if (path)
        *path = sd->path;
    return SKC_OK;
fail:
    free(sd->path);
    free(sd->tmp);
    memset(sd, 0, sizeof(*sd));
    return rc;
}

int skc_output_side_count(const skc_output *o)
{
    return o ? o->n_sides : 0;
}

const char *skc_output_side_path(const skc_output *o, int i, const char **temp_path)
{
    if (!o || i < 0 || i >= o->n_sides)
        return NULL;
    if (temp_path)
        *temp_path = o->sides[i].tmp;
    return o->sides[i].path;
}

/* Put the finished temporary file @p tmp at @p path; the temporary name
 * is gone afterwards whatever happened. */
static int out_place(const char *tmp, const char *path, int overwrite, char *err,
                     size_t errlen)
{
    int e;

    if (overwrite) {
        if (rename(tmp, path) == 0)
            return SKC_OK;
        skci_errf(err, errlen, "%s: cannot rename: %s", path, strerror(errno));
        unlink(tmp);
        return SKC_E_IO;
    }
    /* link() fails if the target appeared meanwhile: never clobber. */
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return SKC_OK;
    }
    e = errno;
    skci_errf(err, errlen, "%s: %s", path,
              e == EEXIST ? "exists; use --force to overwrite it" : strerror(e));
    if (e == EPERM || e == ENOSYS || e == EXDEV) {
        /* Filesystems without hard links: fall back to rename. */
        if (rename(tmp, path) == 0)
            return SKC_OK;
        skci_errf(err, errlen, "%s: cannot rename: %s", path, strerror(errno));
        e = 0;
    }
    unlink(tmp);
    return e == EEXIST ? SKC_E_EXISTS : SKC_E_IO;
}

/* Side files are flushed and placed first, the main file last: a reader
 * that finds the main file finds what it refers to. When a later file
 * cannot be placed, the side files placed by this commit are removed
 * again if they were new (with overwrite, the file they replaced is
 * gone already). */
int skc_output_commit(skc_output *o, char *err, size_t errlen)
{
    int i, rc = SKC_OK;

    if (!o)
        return SKC_E_INVAL;
    for (i = 0; i < o->n_sides && rc == SKC_OK; i++)
        if (!o->no_sync && skc_stream_sync(o->sides[i].stream)) {
            skci_errf(err, errlen, "%s: cannot flush: %s", o->sides[i].path, strerror(errno));
            rc = SKC_E_IO;
        }
    if (rc == SKC_OK && !o->no_sync && skc_stream_sync(o->stream)) {
        skci_errf(err, errlen, "%s: cannot flush: %s", o->path, strerror(errno));
        rc = SKC_E_IO;
    }
    skc_stream_free(o->stream);
    o->stream = NULL;
    for (i = 0; i < o->n_sides; i++) {
        skc_stream_free(o->sides[i].stream);
        o->sides[i].stream = NULL;
    }
    for (i = 0; i < o->n_sides && rc == SKC_OK; i++) {
        rc = out_place(o->sides[i].tmp, o->sides[i].path, o->overwrite, err, errlen);
        o->sides[i].placed = rc == SKC_OK;
        free(o->sides[i].tmp);
        o->sides[i].tmp = NULL;
    }
    if (rc == SKC_OK) {
        rc = out_place(o->tmp, o->path, o->overwrite, err, errlen);
        free(o->tmp);
        o->tmp = NULL;
    }
    if (rc == SKC_OK)
        for (i = 0; i < o->n_sides; i++)
            o->sides[i].placed = 0;
    skc_output_abort(o);
    return rc;
}

void skc_output_abort(skc_output *o)
{
    int i;

    if (!o)
        return;
    skc_stream_free(o->stream);
    if (o->tmp)
        unlink(o->tmp);
    for (i = 0; i < o->n_sides; i++) {
        out_side *sd = &o->sides[i];
        skc_stream_free(sd->stream);
        if (sd->tmp)
            unlink(sd->tmp);
        if (sd->placed && !o->overwrite)
            unlink(sd->path);
        free(sd->path);
        free(sd->tmp);
    }
    free(o->path);
    free(o->tmp);
    free(o);
}
