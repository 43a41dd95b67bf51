/* SPDX-License-Identifier: MIT */
/* skm_format.h: constants of formats/native/SPEC.md and what the native plugin's files share. */
#ifndef SKCONV_SKM_FORMAT_H
#define SKCONV_SKM_FORMAT_H

#include <stdint.h>
#include <string.h>
#include <skconv/plugin.h>

/* SPEC.md §3 */
#define SKM_MAGIC            "\x89SKM\r\n\x1a\n"
#define SKM_MAGIC_LEN        8
#define SKM_MAJOR            1
#define SKM_MINOR            0
#define SKM_HEADER_SIZE      64
#define SKM_HEADER_SIZE_MAX  4096
#define SKM_HEADER_CRC_AT    60
#define SKM_FLAGS_MUST_MASK  0xFFFFu   /* must-understand flag bits */

/* SPEC.md §4 */
#define SKM_ENTRY_SIZE       32
#define SKM_SEC_REQUIRED     1u
#define SKM_MAX_SECTIONS     65535u
#define SKM_ALIGN            64

/* SPEC.md §5..§9 */
#define SKM_TDIR_ENTRY_SIZE  88
#define SKM_PORT_SIZE        16
#define SKM_STEP_SIZE        16
#define SKM_ATTR_SIZE        16
#define SKM_NONE             0xFFFFFFFFu

/* SPEC.md §10: reader limits that keep the core's linear lookups cheap,
 * and the budget for strings a file may expand to (names are copied at
 * each use, so a small file could otherwise claim gigabytes). */
#define SKM_MAX_PORTS        16384u
#define SKM_MAX_STEPS        16384u
#define SKM_MAX_ATTRS        16384u
#define SKM_MAX_META         16384u
#define SKM_MAX_NAMES        65536u
#define SKM_EXPAND_FACTOR    16u
#define SKM_EXPAND_BASE      (UINT64_C(64) << 20)
#define SKM_STRING_COST      16u   /* per string: the allocation's overhead */

enum skm_kind { SKM_STRS, SKM_TDIR, SKM_DATA, SKM_GRPH, SKM_META, SKM_NKINDS };

/* Kind names in enum order; each is also the 4 bytes on disk. */
extern const char skm_kind_names[SKM_NKINDS][5];

static inline uint16_t skm_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t skm_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t skm_le64(const uint8_t *p)
{
    return (uint64_t)skm_le32(p) | (uint64_t)skm_le32(p + 4) << 32;
}

static inline void skm_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void skm_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void skm_put64(uint8_t *p, uint64_t v)
{
    skm_put32(p, (uint32_t)v);
    skm_put32(p + 4, (uint32_t)(v >> 32));
}

static inline int skm_host_le(void)
{
    const uint16_t one = 1;
    uint8_t b;

    memcpy(&b, &one, 1);
    return b == 1;
}

/* Element size on disk (strings are u32 indices, SPEC.md §6), 0 if unknown. */
static inline size_t skm_elem_size(uint32_t dtype)
{
    if (dtype == SKC_DT_STRING)
        return 4;
    return dtype > 0 && dtype < 256 ? skc_dtype_size((int)dtype) : 0;
}

/* CRC-32 of any length (zlib's crc32() takes a uInt length). */
uint32_t skm_crc32(uint32_t crc, const uint8_t *p, uint64_t n);

/* The file as the reader sees it after the header and table checks. */
typedef struct skm_section {
    char kind[12];       /* the 4 bytes as text, or "0x%08x" when not printable */
    uint32_t flags;
    uint64_t offset, length;
    uint32_t crc;
    int crc_ok;          /* 1 ok, 0 bad, -1 not checked */
    int known;           /* enum skm_kind or -1 */
} skm_section;

typedef struct skm_file {
    const uint8_t *base;
    uint64_t size;
    uint16_t major, minor;
    uint32_t flags, header_size, ir_version;
    uint64_t table_offset;
    uint32_t n_sections, entry_size;
    int header_crc_ok, table_crc_ok;
    skm_section *sec;
    int kind_at[SKM_NKINDS];   /* section index per known kind, -1 if absent */
} skm_file;

/* Read options (skm_read.c) and how inspect relaxes them. */
typedef struct skm_read_opts {
    int check_data_crc;   /* CRC of DATA too (a pass over the tensors); -1: only
                             when they are copied, not mapped (SPEC.md §10) */
    int use_mmap;         /* wrap tensors over a private mapping of the path */
    int crc_report_only;  /* inspect: record CRC failures instead of failing */
} skm_read_opts;

int  skm_file_open(skc_session *s, const uint8_t *base, uint64_t size,
                   const skm_read_opts *o, skm_file *f);
void skm_file_close(skm_file *f);
/* Build the model from an opened file. Numeric tensors are wrapped in
 * place when @p map is given (each holds a reference to it) or when
 * @p borrow is set (no reference: only for a model freed before f->base
 * goes, as inspect does); otherwise they are copied. */
typedef struct skm_map skm_map;
int  skm_file_model(skc_session *s, const skm_file *f, skm_map *map, int borrow,
                    skc_model **out);

int  skm_read(skc_session *s, skc_stream *in, const skm_read_opts *o,
              skc_model **out);
int  skm_write(skc_session *s, const skc_model *m, skc_stream *out);
int  skm_inspect(skc_session *s, skc_stream *in);

/* skm_map.c: a refcounted read-only mapping of a file that tensors hold. */
int  skm_map_open(const char *path, const uint8_t *expect, uint64_t size,
                  uint64_t compare, skm_map **out);
const uint8_t *skm_map_bytes(const skm_map *m);
skm_map *skm_map_ref(skm_map *m);
void skm_map_unref(void *m);

/* Where an error happened when it is not a section index. */
#define SKM_AT_HEADER  (-1)
#define SKM_AT_TABLE   (-2)

/* Set error @p code (SKC_E_FORMAT for damage, SKC_E_UNSUPPORTED for what
 * a newer writer may produce) naming the section @p sec (an index into
 * f->sec, or SKM_AT_*) and the reason; returns @p code. */
int skm_error(skc_session *s, const skm_file *f, int sec, int code,
              const char *fmt, ...) SKC_PRINTF(5, 6);

#endif
