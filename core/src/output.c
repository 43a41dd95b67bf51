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

struct skc_output {
    char *path;
    char *tmp;
    int overwrite;
    int no_sync;
    skc_stream *stream;
};

int skc_output_begin(const char *path, int overwrite, skc_output **out,
                     char *err, size_t errlen)
{
    struct stat st;
    skc_output *o;
    int rc, attempt;
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
    /* A hidden-ish name in the same directory so rename() stays atomic. */
    for (attempt = 0; attempt < 100; attempt++) {
        snprintf(o->tmp, n + 32, "%s.tmp-%ld-%d", path, (long)getpid(), attempt);
        rc = skc_stream_open_write(o->tmp, &o->stream, err, errlen);
        if (rc != SKC_E_EXISTS)
            break;
    }
    if (rc) {
        skci_errf(err, errlen, "%s: cannot write here: %s", path,
                  rc == SKC_E_IO ? strerror(errno) : skc_strerror(rc));
        goto fail;
    }
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
    if (o && !o->no_sync)
        skci_stream_start_flush(o->stream);
}

skc_stream *skc_output_stream(skc_output *o)
{
    return o ? o->stream : NULL;
}

const char *skc_output_temp_path(const skc_output *o)
{
    return o ? o->tmp : NULL;
}

int skc_output_commit(skc_output *o, char *err, size_t errlen)
{
    int rc;

    if (!o)
        return SKC_E_INVAL;
    rc = o->no_sync ? SKC_OK : skc_stream_sync(o->stream);
    skc_stream_free(o->stream);
    o->stream = NULL;
    if (rc) {
        skci_errf(err, errlen, "%s: cannot flush: %s", o->path, strerror(errno));
        goto fail;
    }
    if (!o->overwrite) {
        /* link() fails if the target appeared meanwhile: never clobber. */
        if (link(o->tmp, o->path) != 0) {
            int e = errno;
            skci_errf(err, errlen, "%s: %s", o->path,
                      e == EEXIST ? "exists; use --force to overwrite it" : strerror(e));
            rc = e == EEXIST ? SKC_E_EXISTS : SKC_E_IO;
            if (e != EEXIST && e != EPERM && e != ENOSYS && e != EXDEV)
                goto fail;
            if (e == EEXIST)
                goto fail;
            /* Filesystems without hard links: fall back to rename. */
            if (rename(o->tmp, o->path) != 0) {
                skci_errf(err, errlen, "%s: cannot rename: %s", o->path, strerror(errno));
                rc = SKC_E_IO;
                goto fail;
            }
        } else {
            unlink(o->tmp);
        }
    } else if (rename(o->tmp, o->path) != 0) {
        skci_errf(err, errlen, "%s: cannot rename: %s", o->path, strerror(errno));
        rc = SKC_E_IO;
        goto fail;
    }
    free(o->path);
    free(o->tmp);
    free(o);
    return SKC_OK;
fail:
    skc_output_abort(o);
    return rc;
}

void skc_output_abort(skc_output *o)
{
    if (!o)
        return;
    skc_stream_free(o->stream);
    if (o->tmp)
        unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    free(o);
}
