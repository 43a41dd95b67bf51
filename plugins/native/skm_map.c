/* SPDX-License-Identifier: MIT */
/* skm_map.c: the reader's own mapping of a .skm file, shared by the tensors it wraps in place. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "skm_format.h"

/* The input stream is freed when the read ends, but the model (and the
 * tensors wrapped over the file) may live on, so the reader maps the file
 * again and each wrapped tensor holds a reference to that mapping. */
struct skm_map {
    atomic_int refs;      /* tensors of one model may be freed on any thread */
    void *addr;
    size_t size;
};

uint32_t skm_crc32(uint32_t crc, const uint8_t *p, uint64_t n)
{
    const uint64_t chunk = 1u << 30;

    while (n > 0) {
        uInt k = (uInt)(n < chunk ? n : chunk);
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

int skm_map_open(const char *path, const uint8_t *expect, uint64_t size,
                 uint64_t compare, skm_map **out)
{
    struct stat st;
    skm_map *m = NULL;
    void *addr = MAP_FAILED;
    int fd = -1, rc = SKC_E_IO;

    if (!path || size == 0 || size > SIZE_MAX || compare > size)
        return SKC_E_INVAL;
    /* O_NONBLOCK: the path may name a FIFO, which must not block us. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        goto fail;
    /* The path may now name another file than the stream was opened on:
     * only the same size and the same header and table (which hold every
     * section's CRC) make the mapping a stand-in for the stream's bytes. */
    if ((uint64_t)st.st_size != size) {
        rc = SKC_E_INVAL;
        goto fail;
    }
    addr = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED)
        goto fail;
    if (memcmp(addr, expect, (size_t)compare) != 0) {
        rc = SKC_E_INVAL;
        goto fail;
    }
    m = malloc(sizeof(*m));
    if (!m) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    atomic_init(&m->refs, 1);
    m->addr = addr;
    m->size = (size_t)size;
    close(fd);
    *out = m;
    return SKC_OK;
fail:
    if (addr != MAP_FAILED)
        munmap(addr, (size_t)size);
    if (fd >= 0)
        close(fd);
    return rc;
}

const uint8_t *skm_map_bytes(const skm_map *m)
{
    return m ? m->addr : NULL;
}

skm_map *skm_map_ref(skm_map *m)
{
    if (m)
        atomic_fetch_add(&m->refs, 1);
    return m;
}

/* Also the release callback of skc_tensor_wrap(), hence the void *. */
void skm_map_unref(void *p)
{
    skm_map *m = p;

    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    munmap(m->addr, m->size);
    free(m);
}
