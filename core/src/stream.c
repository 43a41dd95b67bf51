/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE 1             /* sync_file_range */
/* stream.c: read streams (mapped file, plain file, memory) and write streams (file, buffer). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core.h"

enum stream_kind {
    STREAM_MAPPED = 1,  /* regular file mmap'd read-only          */
    STREAM_FD_READ,     /* pipe or device: read, slurped on map    */
    STREAM_MEMORY,      /* borrowed or owned bytes                 */
    STREAM_FD_WRITE,    /* file opened for writing                 */
    STREAM_BUFFER       /* growable memory for writing             */
};

struct skc_stream {
    int kind;
    int fd;
    char *path;
    uint8_t *data;      /* mapped, slurped, owned or buffer bytes */
    size_t size;        /* valid bytes                            */
    size_t cap;         /* buffer capacity                        */
    size_t pos;         /* read position                          */
    int owns_data;      /* free(data) on close                    */
    int slurped;        /* data came from reading an fd           */
    /* An open skc_stream_reserve() room. */
    int room;           /* ROOM_NONE, ROOM_MAPPED or ROOM_MEMORY  */
    uint8_t *room_base; /* the mapping or the memory              */
    size_t room_map;    /* bytes mapped (page rounding included)  */
    size_t room_len;    /* bytes of the room                      */
    off_t room_off;     /* file offset of the room                */
    pthread_t flusher;  /* skci_stream_start_flush's thread       */
    int flushing;
};

enum { ROOM_NONE, ROOM_MAPPED, ROOM_MEMORY };

static int stream_alloc(int kind, const char *path, skc_stream **out)
{
    skc_stream *s = calloc(1, sizeof(*s));

    if (!s)
        return SKC_E_NOMEM;
    s->kind = kind;
    s->fd = -1;
    if (path && !(s->path = skci_strdup(path))) {
        free(s);
        return SKC_E_NOMEM;
    }
    *out = s;
    return SKC_OK;
}

int skc_stream_open_read(const char *path, skc_stream **out, char *err, size_t errlen)
{
    struct stat st;
    skc_stream *s = NULL;
    int fd, rc;
    void *p;

    if (!path || !out)
        return SKC_E_INVAL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        skci_errf(err, errlen, "%s: cannot open: %s", path, strerror(e));
        return e == ENOENT || e == ENOTDIR ? SKC_E_NOT_FOUND : SKC_E_IO;
    }
    if (fstat(fd, &st) != 0) {
        skci_errf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return SKC_E_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        skci_errf(err, errlen, "%s: is a directory", path);
        close(fd);
        return SKC_E_IO;
    }
    if (S_ISREG(st.st_mode)) {
        rc = stream_alloc(STREAM_MAPPED, path, &s);
        if (rc) {
            close(fd);
            return rc;
        }
        s->size = (size_t)st.st_size;
        if (s->size > 0) {
            p = mmap(NULL, s->size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                skci_errf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
                close(fd);
                skc_stream_free(s);
                return SKC_E_IO;
            }
            s->data = p;
        }
        s->fd = fd;                 /* kept: skci_hash reads the file through it */
        *out = s;
        return SKC_OK;
    }
    rc = stream_alloc(STREAM_FD_READ, path, &s);
    if (rc) {
        close(fd);
        return rc;
    }
    s->fd = fd;
    *out = s;
    return SKC_OK;
}

int skc_stream_open_memory(const void *data, size_t size, skc_stream **out)
{
    int rc;

    if ((!data && size) || !out)
        return SKC_E_INVAL;
    rc = stream_alloc(STREAM_MEMORY, NULL, out);
    if (rc)
        return rc;
    (*out)->data = (uint8_t *)(uintptr_t)data;
    (*out)->size = size;
    return SKC_OK;
}

int skc_stream_open_memory_take(void *data, size_t size, skc_stream **out)
{
    int rc = skc_stream_open_memory(data, size, out);

    if (rc == SKC_OK)
        (*out)->owns_data = 1;
    return rc;
}

int skc_stream_open_write(const char *path, skc_stream **out, char *err, size_t errlen)
{
    skc_stream *s;
    int fd, rc;

    if (!path || !out)
        return SKC_E_INVAL;
    /* Read access too: skc_stream_reserve() maps the file shared. */
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        skci_errf(err, errlen, "%s: cannot create: %s", path, strerror(e));
        return e == EEXIST ? SKC_E_EXISTS : SKC_E_IO;
    }
    rc = stream_alloc(STREAM_FD_WRITE, path, &s);
    if (rc) {
        close(fd);
        unlink(path);
        return rc;
    }
    s->fd = fd;
    *out = s;
    return SKC_OK;
}

int skc_stream_open_buffer(skc_stream **out)
{
    if (!out)
        return SKC_E_INVAL;
    return stream_alloc(STREAM_BUFFER, NULL, out);
}

/* Read a non-seekable input to its end once, bounded by what memory allows. */
static int stream_slurp(skc_stream *s)
{
    size_t cap = 1 << 16;
    uint8_t *buf = malloc(cap), *nb;
    size_t n = 0;
    ssize_t r;

    if (!buf)
        return SKC_E_NOMEM;
    for (;;) {
        if (n == cap) {
            if (cap > SIZE_MAX / 2) {
                free(buf);
                return SKC_E_LIMIT;
            }
            nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return SKC_E_NOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        r = read(s->fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return SKC_E_IO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    s->data = buf;
    s->size = n;
    s->owns_data = 1;
    s->slurped = 1;
    return SKC_OK;
}

int skc_stream_read(skc_stream *s, void *buf, size_t n, size_t *got)
{
    size_t avail;
    ssize_t r;

    if (!s || !got || (!buf && n))
        return SKC_E_INVAL;
    if (s->kind == STREAM_FD_READ && !s->slurped) {
        for (;;) {
            r = read(s->fd, buf, n);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return SKC_E_IO;
            *got = (size_t)r;
            return SKC_OK;
        }
    }
    if (s->kind == STREAM_FD_WRITE)
        return SKC_E_INVAL;
    avail = s->pos < s->size ? s->size - s->pos : 0;
    if (n > avail)
        n = avail;
    if (n)
        memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    *got = n;
    return SKC_OK;
}

/* Capacity for @p n more bytes in a buffer stream. */
static int stream_buffer_grow(skc_stream *s, size_t n)
{
    size_t ncap = s->cap ? s->cap : 4096;
    uint8_t *nd;

    if (n > SIZE_MAX - s->size)
        return SKC_E_LIMIT;
    if (s->size + n <= s->cap)
        return SKC_OK;
    while (ncap < s->size + n)
        ncap = ncap > SIZE_MAX / 2 ? s->size + n : ncap * 2;
    if (!(nd = realloc(s->data, ncap)))
        return SKC_E_NOMEM;
    s->data = nd;
    s->cap = ncap;
    s->owns_data = 1;
    return SKC_OK;
}

static int stream_write_fd(int fd, const uint8_t *p, size_t n)
{
    ssize_t w;

    while (n) {
        w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return SKC_E_IO;
        p += w;
        n -= (size_t)w;
    }
    return SKC_OK;
}

int skc_stream_write(skc_stream *s, const void *buf, size_t n)
{
    const uint8_t *p = buf;

    if (!s || (!buf && n) || s->room != ROOM_NONE)
        return SKC_E_INVAL;
    if (s->kind == STREAM_BUFFER) {
        int rc = stream_buffer_grow(s, n);
        if (rc)
            return rc;
        memcpy(s->data + s->size, buf, n);
        s->size += n;
        return SKC_OK;
    }
    if (s->kind != STREAM_FD_WRITE)
        return SKC_E_INVAL;
    return stream_write_fd(s->fd, p, n);
}

/* The file's own pages for the room at its current offset, allocated on
 * disk first; 1 when the file system cannot allocate ahead or the map
 * fails (the caller falls back to memory). */
static int stream_room_map(skc_stream *s, size_t n)
{
    long ps = sysconf(_SC_PAGESIZE);
    off_t off = lseek(s->fd, 0, SEEK_CUR), lead;
    void *m;

    if (off < 0 || ps <= 0 || n > (size_t)INT64_MAX - (size_t)off - (size_t)ps)
        return 1;
    /* Tests only (README "Environment variables"): the memory room that
     * file systems without fallocate get. */
    {
        const char *e = getenv("SKCONV_ROOM");
        if (e && strcmp(e, "memory") == 0)
            return 1;
    }
    if (fallocate(s->fd, 0, off, (off_t)n) != 0) {
        if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG || errno == EIO)
            return SKC_E_IO;
        return 1;   /* EOPNOTSUPP and the like: write from memory */
    }
    lead = off % ps;
    m = mmap(NULL, n + (size_t)lead, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, off - lead);
    if (m == MAP_FAILED)
        return 1;
    s->room = ROOM_MAPPED;
    s->room_base = m;
    s->room_map = n + (size_t)lead;
    s->room_off = off;
    s->room_len = n;
    return 0;
}

int skc_stream_reserve(skc_stream *s, size_t n, void **room)
{
    int rc;

    if (!s || !room || s->room != ROOM_NONE ||
        (s->kind != STREAM_BUFFER && s->kind != STREAM_FD_WRITE))
        return SKC_E_INVAL;
    *room = NULL;
    if (s->kind == STREAM_BUFFER) {
        if ((rc = stream_buffer_grow(s, n ? n : 1)))
            return rc;
        memset(s->data + s->size, 0, n);
        *room = s->data + s->size;
        s->size += n;
        s->room = ROOM_MEMORY;  /* nothing to do at the commit */
        s->room_base = NULL;
        return SKC_OK;
    }
    if (n > 0 && (rc = stream_room_map(s, n)) <= 0) {
        if (rc == 0)
            *room = s->room_base + (s->room_map - n);
        return rc;
    }
    /* calloc: a large room is fresh zero pages, touched only when filled. */
    if (!(s->room_base = calloc(n ? n : 1, 1)))
        return SKC_E_NOMEM;
    s->room = ROOM_MEMORY;
    s->room_len = n;
    *room = s->room_base;
    return SKC_OK;
}

int skc_stream_commit_room(skc_stream *s)
{
    int rc = SKC_OK, room;

    if (!s || s->room == ROOM_NONE)
        return SKC_E_INVAL;
    room = s->room;
    s->room = ROOM_NONE;
    if (s->kind == STREAM_BUFFER)
        return SKC_OK;
    if (room == ROOM_MAPPED) {
        munmap(s->room_base, s->room_map);
        if (lseek(s->fd, s->room_off + (off_t)s->room_len, SEEK_SET) < 0)
            rc = SKC_E_IO;
    } else {
        rc = stream_write_fd(s->fd, s->room_base, s->room_len);
        free(s->room_base);
    }
    s->room_base = NULL;
    return rc;
}

#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
static void *stream_flush_main(void *arg)
{
    (void)sync_file_range(((skc_stream *)arg)->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    return NULL;
}
#endif

/* Starting the write-back of a large file takes the kernel a while
 * (allocating its blocks), so it runs on a thread of its own; the sync
 * and the close wait for it. */
void skci_stream_start_flush(skc_stream *s)
{
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
    if (!s || s->kind != STREAM_FD_WRITE || s->flushing)
        return;
    if (skc_threads() > 1 && pthread_create(&s->flusher, NULL, stream_flush_main, s) == 0)
        s->flushing = 1;
    else
        stream_flush_main(s);
#else
    (void)s;
#endif
}

static void stream_flush_join(skc_stream *s)
{
    if (s->flushing) {
        pthread_join(s->flusher, NULL);
        s->flushing = 0;
    }
}

int skc_stream_sync(skc_stream *s)
{
    if (!s)
        return SKC_E_INVAL;
    stream_flush_join(s);
    if (s->kind == STREAM_FD_WRITE && fsync(s->fd) != 0)
        return SKC_E_IO;
    return SKC_OK;
}

int skc_stream_map(skc_stream *s, const uint8_t **data, size_t *size)
{
    int rc;

    if (!s || !data || !size)
        return SKC_E_INVAL;
    if (s->kind == STREAM_FD_WRITE)
        return SKC_E_INVAL;
    if (s->kind == STREAM_FD_READ && !s->slurped) {
        rc = stream_slurp(s);
        if (rc)
            return rc;
    }
    *data = s->data ? s->data : (const uint8_t *)"";
    *size = s->size;
    return SKC_OK;
}

void skc_stream_drop(skc_stream *s, const void *p, size_t n)
{
    uintptr_t page, lo, hi, start, end;
    long ps;

    if (!s || s->kind != STREAM_MAPPED || !s->data || !p || n == 0)
        return;
    start = (uintptr_t)s->data;
    end = start + s->size;
    lo = (uintptr_t)p;
    if (lo < start || lo >= end || n > end - lo)
        return;
    hi = lo + n;
    /* Whole pages inside the range only: the neighbours may still be read. */
    if ((ps = sysconf(_SC_PAGESIZE)) <= 0)
        return;
    page = (uintptr_t)ps;
    lo = (lo + page - 1) / page * page;
    hi = hi / page * page;
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

int skci_stream_fd(const skc_stream *s)
{
    return s && s->kind == STREAM_MAPPED ? s->fd : -1;
}

const char *skc_stream_path(const skc_stream *s)
{
    return s ? s->path : NULL;
}

void skc_stream_free(skc_stream *s)
{
    if (!s)
        return;
    stream_flush_join(s);
    if (s->room == ROOM_MAPPED)
        munmap(s->room_base, s->room_map);
    else if (s->room == ROOM_MEMORY && s->kind != STREAM_BUFFER)
        free(s->room_base);
    if (s->kind == STREAM_MAPPED && s->data)
        munmap(s->data, s->size);
    else if (s->owns_data)
        free(s->data);
    if (s->fd >= 0)
        close(s->fd);
    free(s->path);
    free(s);
}
