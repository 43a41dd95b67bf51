/* SPDX-License-Identifier: MIT */
/* pk_decomp.c: detects joblib's whole-file compressors by magic and undoes them with caps on decompressed size and ratio (research/FORMATS.md §3.1, §3.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <archive.h>
#include "pk_internal.h"

const char *pk_decomp_detect(const uint8_t *p, size_t n)
{
    if (n >= 2 && p[0] == 'Z' && p[1] == 'F')
        return "zf";
    /* zlib: CM 8 and the header checksum; a lone 'x' is not enough. */
    if (n >= 2 && p[0] == 0x78 && (p[0] & 0x0f) == 8 &&
        ((unsigned)p[0] * 256u + p[1]) % 31u == 0)
        return "zlib";
    if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08)
        return "gzip";
    if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9')
        return "bz2";
    if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
        return "xz";
    if (n >= 13 && p[0] == 0x5d && p[1] == 0x00 && p[2] == 0x00)
        return "lzma";
    if (n >= 4 && p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4d && p[3] == 0x18)
        return "lz4";
    return NULL;
}

static uint64_t pk_decomp_cap(const skc_limits *l, size_t in)
{
    uint64_t cap = l->max_bytes;
    if (in && l->max_ratio && (uint64_t)in <= UINT64_MAX / l->max_ratio) {
        uint64_t r = (uint64_t)in * l->max_ratio;
        if (r < cap)
            cap = r;
    }
    /* A tiny file may legitimately expand a lot (a few zero arrays). */
    if (cap < (UINT64_C(1) << 20) && l->max_bytes >= (UINT64_C(1) << 20))
        cap = UINT64_C(1) << 20;
    if (cap > SIZE_MAX / 2)
        cap = SIZE_MAX / 2;
    return cap;
}

static int pk_decomp_grow(uint8_t **buf, size_t *cap, size_t need, uint64_t limit)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 1u << 16;
    while (nc < need)
        nc *= 2;
    if (nc > limit)
        nc = (size_t)limit;
    if (nc < need)
        return SKC_E_LIMIT;
    uint8_t *nb = realloc(*buf, nc);
    if (!nb)
        return SKC_E_NOMEM;
    *buf = nb;
    *cap = nc;
    return 0;
}

static int pk_decomp_zlib(const uint8_t *p, size_t n, uint64_t limit,
                          uint8_t **out, size_t *outn, char *err, size_t errlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15) != Z_OK) {
        snprintf(err, errlen, "zlib init failed");
        return SKC_E_INTERNAL;
    }
    uint8_t *buf = NULL;
    size_t cap = 0, got = 0, inpos = 0;
    int zr = Z_OK, rc = 0;
    size_t guess = n * 4 < limit ? n * 4 : (size_t)limit;
    if ((rc = pk_decomp_grow(&buf, &cap, guess ? guess : 1, limit + 1)) < 0)
        goto fail;
    while (zr != Z_STREAM_END) {
        if (got == cap) {
            if (cap > limit) {
                rc = SKC_E_LIMIT;
                goto fail;
            }
            rc = pk_decomp_grow(&buf, &cap, cap + 1, limit + 1);
            if (rc < 0)
                goto fail;
        }
        size_t in_chunk = n - inpos > (1u << 30) ? (1u << 30) : n - inpos;
        size_t out_chunk = cap - got > (1u << 30) ? (1u << 30) : cap - got;
        zs.next_in = (Bytef *)(p + inpos);
        zs.avail_in = (uInt)in_chunk;
        zs.next_out = buf + got;
        zs.avail_out = (uInt)out_chunk;
        zr = inflate(&zs, Z_NO_FLUSH);
        inpos += in_chunk - zs.avail_in;
        got += out_chunk - zs.avail_out;
        if (got > limit) {
            rc = SKC_E_LIMIT;
            goto fail;
        }
        if (zr == Z_STREAM_END)
            break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            snprintf(err, errlen, "zlib data corrupt at compressed byte %zu", inpos);
            rc = SKC_E_FORMAT;
            goto fail;
        }
        if (inpos == n && zs.avail_out != 0) {
            snprintf(err, errlen, "zlib stream truncated after %zu bytes", got);
            rc = SKC_E_FORMAT;
            goto fail;
        }
    }
    inflateEnd(&zs);
    *out = buf;
    *outn = got;
    return 0;
fail:
    inflateEnd(&zs);
    free(buf);
    if (rc == SKC_E_LIMIT)
        snprintf(err, errlen, "decompressed size exceeds %llu bytes "
                 "(limit: max_bytes, or max_ratio x compressed size)",
                 (unsigned long long)limit);
    else if (rc == SKC_E_NOMEM)
        snprintf(err, errlen, "out of memory");
    return rc;
}

static int pk_decomp_archive(const uint8_t *p, size_t n, uint64_t limit,
                             uint8_t **out, size_t *outn, char *err, size_t errlen)
{
    struct archive *a = archive_read_new();
    struct archive_entry *ent;
    uint8_t *buf = NULL;
    size_t cap = 0, got = 0;
    int rc = 0;
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return SKC_E_NOMEM;
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_memory(a, p, n) != ARCHIVE_OK ||
        archive_read_next_header(a, &ent) != ARCHIVE_OK) {
        snprintf(err, errlen, "%s", archive_error_string(a) ? archive_error_string(a)
                                                             : "not a compressed stream");
        rc = SKC_E_FORMAT;
        goto fail;
    }
    for (;;) {
        if (got == cap) {
            if (cap > limit) {
                rc = SKC_E_LIMIT;
                snprintf(err, errlen, "decompressed size exceeds %llu bytes "
                         "(limit: max_bytes, or max_ratio x compressed size)",
                         (unsigned long long)limit);
                goto fail;
            }
            rc = pk_decomp_grow(&buf, &cap, cap + 1, limit + 1);
            if (rc < 0) {
                snprintf(err, errlen, rc == SKC_E_LIMIT ? "decompressed size over the limit"
                                                         : "out of memory");
                goto fail;
            }
        }
        la_ssize_t r = archive_read_data(a, buf + got, cap - got);
        if (r < 0) {
            snprintf(err, errlen, "%s after %zu bytes",
                     archive_error_string(a) ? archive_error_string(a) : "corrupt data", got);
            rc = SKC_E_FORMAT;
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (got > limit) {
        rc = SKC_E_LIMIT;
        snprintf(err, errlen, "decompressed size exceeds %llu bytes", (unsigned long long)limit);
        goto fail;
    }
    archive_read_free(a);
    *out = buf;
    *outn = got;
    return 0;
fail:
    archive_read_free(a);
    free(buf);
    return rc;
}

int pk_decomp_run(const char *kind, const uint8_t *p, size_t n,
                  const skc_limits *lim, uint8_t **out, size_t *outn,
                  char *err, size_t errlen)
{
    skc_limits l;
    pk_limits_fill(lim, &l);
    uint64_t limit = pk_decomp_cap(&l, n);
    if (strcmp(kind, "zf") == 0)
        return pk_jl_zfile_inflate(p, n, &l, out, outn, err, errlen);
    if (strcmp(kind, "zlib") == 0)
        return pk_decomp_zlib(p, n, limit, out, outn, err, errlen);
    return pk_decomp_archive(p, n, limit, out, outn, err, errlen);
}
