/* SPDX-License-Identifier: MIT */
/* hash.c: the SHA-256 of a model's input for its provenance, made on a thread of its own beside the read (or past it, when the host defers it). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nettle/sha2.h>
#include "core.h"

/* Below this a file is hashed on the spot (a thread costs more). */
#define HASH_THREAD_MIN ((size_t)8 << 20)
#define HASH_CHUNK ((size_t)1 << 20)

struct skci_hash {
    int fd;                 /* a file: its own descriptor (read with pread) */
    const uint8_t *data;    /* else: the stream's bytes                     */
    size_t size;
    int threaded;           /* a thread runs or ran hash_main               */
    int ran;                /* hash_main has run (joined or inline)         */
    atomic_int stop;        /* not wanted any more: stop at the next chunk  */
    pthread_t thread;
    char hex[2 * SHA256_DIGEST_SIZE + 1];   /* "" until made */
};

/* The file is read through the page cache into a small buffer, not
 * through a mapping: nothing is faulted in or dropped, so the digest can
 * be made at any time without touching the reader's pages. */
static void *hash_main(void *arg)
{
    skci_hash *h = arg;
    struct sha256_ctx c;
    uint8_t digest[SHA256_DIGEST_SIZE], *buf = NULL;
    size_t at = 0, i;

    sha256_init(&c);
    if (h->fd >= 0 && !(buf = malloc(HASH_CHUNK)))
        return NULL;
    while (at < h->size && !atomic_load(&h->stop)) {
        size_t n = h->size - at < HASH_CHUNK ? h->size - at : HASH_CHUNK;
        if (buf) {
            ssize_t got = pread(h->fd, buf, n, (off_t)at);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                break;          /* an error, or the file shrank: no digest */
            n = (size_t)got;
            sha256_update(&c, n, buf);
        } else {
            sha256_update(&c, n, h->data + at);
        }
        at += n;
    }
    free(buf);
    if (at != h->size)
        return NULL;
    sha256_digest(&c, sizeof(digest), digest);
    for (i = 0; i < sizeof(digest); i++)
        snprintf(h->hex + 2 * i, 3, "%02x", digest[i]);
    return NULL;
}

int skci_hash_start(skc_stream *in, skci_hash **out)
{
    skci_hash *h = calloc(1, sizeof(*h));
    int fd = skci_stream_fd(in), rc;

    if (!h)
        return SKC_E_NOMEM;
    atomic_init(&h->stop, 0);
    /* A mapped file's size without touching its pages; other streams'
     * bytes (slurped if need be). */
    if ((rc = skc_stream_map(in, &h->data, &h->size)) != SKC_OK) {
        free(h);
        return rc;
    }
    h->fd = fd >= 0 ? dup(fd) : -1;
    h->threaded = h->size >= HASH_THREAD_MIN && skc_threads() > 1 &&
                  pthread_create(&h->thread, NULL, hash_main, h) == 0;
    *out = h;
    return SKC_OK;
}

int skci_hash_deferrable(const skci_hash *h)
{
    return h && h->fd >= 0;
}

const char *skci_hash_finish(skci_hash *h)
{
    if (!h)
        return NULL;
    if (!h->ran) {
        if (h->threaded)
            pthread_join(h->thread, NULL);
        else
            hash_main(h);
        h->ran = 1;
    }
    return h->hex[0] ? h->hex : NULL;
}

void skci_hash_free(skci_hash *h)
{
    if (!h)
        return;
    if (h->threaded && !h->ran) {
        atomic_store(&h->stop, 1);
        pthread_join(h->thread, NULL);
    }
    if (h->fd >= 0)
        close(h->fd);
    free(h);
}
