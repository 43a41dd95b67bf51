/* SPDX-License-Identifier: MIT */
/* skm_file.c: checks a .skm file's header, section table, regions, padding and CRCs (SPEC.md §3, §4, §10). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "skm_format.h"

const char skm_kind_names[SKM_NKINDS][5] = { "STRS", "TDIR", "DATA", "GRPH", "META" };

int skm_error(skc_session *s, const skm_file *f, int sec, int code,
              const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (sec == SKM_AT_HEADER)
        return skc_set_error(s, code, "header: %s", msg);
    if (sec == SKM_AT_TABLE || !f || !f->sec || sec < 0 || (uint32_t)sec >= f->n_sections)
        return skc_set_error(s, code, "section table: %s", msg);
    return skc_set_error(s, code, "section %s (table entry %d): %s",
                         f->sec[sec].kind, sec, msg);
}

/* A region of the file for the overlap and padding checks. */
typedef struct skm_region {
    uint64_t start, end;
    int who;             /* section index or SKM_AT_* */
} skm_region;

static int skm_region_cmp(const void *a, const void *b)
{
    const skm_region *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static const char *skm_region_name(const skm_file *f, int who, char *buf, size_t n)
{
    if (who == SKM_AT_HEADER)
        return "the header";
    if (who == SKM_AT_TABLE)
        return "the section table";
    snprintf(buf, n, "section %s (table entry %d)", f->sec[who].kind, who);
    return buf;
}

/* SPEC.md §2: regions do not overlap and every other byte is zero. */
static int skm_check_regions(skc_session *s, skm_file *f)
{
    skm_region *r;
    uint64_t prev_end = 0, i, n = 0;
    const uint8_t *p;
    int prev = SKM_AT_HEADER, rc = SKC_OK;
    char b1[64], b2[64];

    r = malloc(((size_t)f->n_sections + 2) * sizeof(*r));
    if (!r)
        return SKC_E_NOMEM;
    r[n++] = (skm_region){ 0, f->header_size, SKM_AT_HEADER };
    r[n++] = (skm_region){ f->table_offset, f->table_offset +
                           (uint64_t)f->n_sections * f->entry_size, SKM_AT_TABLE };
    for (i = 0; i < f->n_sections; i++)
        if (f->sec[i].length)
            r[n++] = (skm_region){ f->sec[i].offset, f->sec[i].offset + f->sec[i].length,
                                   (int)i };
    qsort(r, (size_t)n, sizeof(*r), skm_region_cmp);
    for (i = 0; i < n; i++) {
        if (r[i].start < prev_end) {
            rc = skm_error(s, f, r[i].who, SKC_E_FORMAT,
                "bytes [%llu, %llu) overlap %s, which ends at %llu",
                (unsigned long long)r[i].start, (unsigned long long)r[i].end,
                skm_region_name(f, prev, b1, sizeof(b1)), (unsigned long long)prev_end);
            goto done;
        }
        for (p = f->base + prev_end; p < f->base + r[i].start; p++) {
            if (*p) {
                rc = skm_error(s, f, r[i].who, SKC_E_FORMAT,
                    "padding byte at offset %llu before it is 0x%02x, not zero",
                    (unsigned long long)(p - f->base), *p);
                goto done;
            }
        }
        prev_end = r[i].end;
        prev = r[i].who;
    }
    for (p = f->base + prev_end; p < f->base + f->size; p++) {
        if (*p) {
            rc = skm_error(s, f, SKM_AT_TABLE, SKC_E_FORMAT,
                "padding byte at offset %llu after %s is 0x%02x, not zero",
                (unsigned long long)(p - f->base), skm_region_name(f, prev, b2, sizeof(b2)),
                *p);
            goto done;
        }
    }
done:
    free(r);
    return rc;
}

static void skm_kind_text(const uint8_t *p, char *out)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e) {
            snprintf(out, 12, "0x%08x", (unsigned)skm_le32(p));
            return;
        }
        out[i] = (char)p[i];
    }
    out[4] = '\0';
}

/* SPEC.md §3: everything up to and including the header CRC. */
static int skm_check_header(skc_session *s, skm_file *f, const skm_read_opts *o)
{
    const uint8_t *h = f->base;
    uint8_t zero[4] = { 0, 0, 0, 0 };
    uint32_t stored, crc;
    uint64_t fsize;

    if (f->size < SKM_HEADER_SIZE)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_FORMAT,
            "file is %llu bytes, shorter than the %d-byte header (truncated)",
            (unsigned long long)f->size, SKM_HEADER_SIZE);
    if (memcmp(h, SKM_MAGIC, SKM_MAGIC_LEN) != 0)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_FORMAT, "bad magic: not a .skm file");
    f->header_size = skm_le32(h + 16);
    if (f->header_size < SKM_HEADER_SIZE || f->header_size > SKM_HEADER_SIZE_MAX ||
        f->header_size % 8)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_FORMAT,
            "header_size %u is not a multiple of 8 from %d to %d",
            (unsigned)f->header_size, SKM_HEADER_SIZE, SKM_HEADER_SIZE_MAX);
    if (f->header_size > f->size)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_FORMAT,
            "header_size %u exceeds the file's %llu bytes (truncated)",
            (unsigned)f->header_size, (unsigned long long)f->size);
    f->major = skm_le16(h + 8);
    f->minor = skm_le16(h + 10);
    stored = skm_le32(h + SKM_HEADER_CRC_AT);
    crc = skm_crc32(0, h, SKM_HEADER_CRC_AT);
    crc = skm_crc32(crc, zero, 4);
    crc = skm_crc32(crc, h + SKM_HEADER_SIZE, f->header_size - SKM_HEADER_SIZE);
    f->header_crc_ok = stored == crc;
    if (!f->header_crc_ok && !o->crc_report_only)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_FORMAT,
            "CRC-32 mismatch (stored 0x%08x, computed 0x%08x)%s", (unsigned)stored,
            (unsigned)crc, f->major != SKM_MAJOR ? "; or a format version this "
            "reader does not know" : "");
    /* A checked header with another major is a newer writer, not damage. */
    if (f->major != SKM_MAJOR)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_UNSUPPORTED,
            "format version %u.%u; this reader reads %d.x", (unsigned)f->major,
            (unsigned)f->minor, SKM_MAJOR);
    f->flags = skm_le32(h + 12);
    if (f->flags & SKM_FLAGS_MUST_MASK)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_UNSUPPORTED,
            "must-understand flags 0x%04x unknown to this reader (format %u.%u)",
            (unsigned)(f->flags & SKM_FLAGS_MUST_MASK), (unsigned)f->major,
            (unsigned)f->minor);
    fsize = skm_le64(h + 32);
    if (fsize != f->size)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_FORMAT,
            "file_size says %llu bytes but the file has %llu (%s)",
            (unsigned long long)fsize, (unsigned long long)f->size,
            fsize > f->size ? "truncated" : "trailing bytes");
    f->ir_version = skm_le32(h + 48);
    return SKC_OK;
}

/* SPEC.md §4: the table's place and CRC, then each entry. */
static int skm_check_table(skc_session *s, skm_file *f, const skm_read_opts *o)
{
    const uint8_t *h = f->base, *e;
    uint64_t tlen;
    uint32_t i, stored, crc;
    int k;

    f->n_sections = skm_le32(h + 20);
    f->table_offset = skm_le64(h + 24);
    f->entry_size = skm_le32(h + 40);
    if (f->n_sections < 1 || f->n_sections > SKM_MAX_SECTIONS)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_FORMAT,
            "section_count %u is not from 1 to %u", (unsigned)f->n_sections,
            SKM_MAX_SECTIONS);
    if (f->entry_size < SKM_ENTRY_SIZE || f->entry_size > 4096 || f->entry_size % 8)
        return skm_error(s, f, SKM_AT_HEADER, SKC_E_FORMAT,
            "table_entry_size %u is not a multiple of 8 from %d to 4096",
            (unsigned)f->entry_size, SKM_ENTRY_SIZE);
    tlen = (uint64_t)f->n_sections * f->entry_size;
    if (f->table_offset % SKM_ALIGN || f->table_offset < f->header_size ||
        f->table_offset > f->size || tlen > f->size - f->table_offset)
        return skm_error(s, f, SKM_AT_TABLE, SKC_E_FORMAT,
            "table at offset %llu, %llu bytes long, is not a 64-aligned range after "
            "the header inside the file's %llu bytes", (unsigned long long)f->table_offset,
            (unsigned long long)tlen, (unsigned long long)f->size);
    stored = skm_le32(h + 44);
    crc = skm_crc32(0, h + f->table_offset, tlen);
    f->table_crc_ok = stored == crc;
    if (!f->table_crc_ok && !o->crc_report_only)
        return skm_error(s, f, SKM_AT_TABLE, SKC_E_FORMAT,
            "CRC-32 mismatch (stored 0x%08x, computed 0x%08x)", (unsigned)stored,
            (unsigned)crc);
    f->sec = calloc(f->n_sections, sizeof(*f->sec));
    if (!f->sec)
        return SKC_E_NOMEM;
    for (k = 0; k < SKM_NKINDS; k++)
        f->kind_at[k] = -1;
    for (i = 0; i < f->n_sections; i++) {
        skm_section *sec = &f->sec[i];
        e = h + f->table_offset + (uint64_t)i * f->entry_size;
        skm_kind_text(e, sec->kind);
        sec->flags = skm_le32(e + 4);
        sec->offset = skm_le64(e + 8);
        sec->length = skm_le64(e + 16);
        sec->crc = skm_le32(e + 24);
        sec->crc_ok = -1;
        sec->known = -1;
        if (sec->offset % SKM_ALIGN || sec->offset > f->size ||
            sec->length > f->size - sec->offset)
            return skm_error(s, f, (int)i, SKC_E_FORMAT,
                "bytes [%llu, +%llu) are not a 64-aligned range inside the file's %llu "
                "bytes", (unsigned long long)sec->offset, (unsigned long long)sec->length,
                (unsigned long long)f->size);
        for (k = 0; k < SKM_NKINDS; k++)
            if (memcmp(e, skm_kind_names[k], 4) == 0)
                sec->known = k;
        if (sec->known >= 0) {
            if (f->kind_at[sec->known] >= 0)
                return skm_error(s, f, (int)i, SKC_E_FORMAT,
                    "a second %s section (the first is table entry %d)", sec->kind,
                    f->kind_at[sec->known]);
            f->kind_at[sec->known] = (int)i;
        } else if (sec->flags & SKM_SEC_REQUIRED) {
            return skm_error(s, f, (int)i, SKC_E_UNSUPPORTED,
                "unknown section kind marked required (written by format %u.%u; "
                "this reader knows %d.%d)", (unsigned)f->major, (unsigned)f->minor,
                SKM_MAJOR, SKM_MINOR);
        }
    }
    return SKC_OK;
}

/* SPEC.md §10 step 3: every section's CRC; DATA's only when asked. */
static int skm_check_crcs(skc_session *s, skm_file *f, const skm_read_opts *o)
{
    uint32_t i, crc;

    for (i = 0; i < f->n_sections; i++) {
        skm_section *sec = &f->sec[i];
        if (sec->known == SKM_DATA && !o->check_data_crc)
            continue;
        crc = skm_crc32(0, f->base + sec->offset, sec->length);
        sec->crc_ok = crc == sec->crc;
        if (!sec->crc_ok && !o->crc_report_only)
            return skm_error(s, f, (int)i, SKC_E_FORMAT,
                "CRC-32 mismatch (stored 0x%08x, computed 0x%08x)", (unsigned)sec->crc,
                (unsigned)crc);
    }
    return SKC_OK;
}

int skm_file_open(skc_session *s, const uint8_t *base, uint64_t size,
                  const skm_read_opts *o, skm_file *out)
{
    skm_file f;
    int rc, k;

    memset(&f, 0, sizeof(f));
    f.base = base;
    f.size = size;
    if ((rc = skm_check_header(s, &f, o)) ||
        (rc = skm_check_table(s, &f, o)) ||
        (rc = skm_check_regions(s, &f)) ||
        (rc = skm_check_crcs(s, &f, o)))
        goto fail;
    for (k = 0; k < SKM_NKINDS; k++) {
        if (f.kind_at[k] < 0 && k != SKM_META) {
            rc = skm_error(s, &f, SKM_AT_TABLE, SKC_E_FORMAT, "no %s section",
                           skm_kind_names[k]);
            goto fail;
        }
    }
    *out = f;
    return SKC_OK;
fail:
    free(f.sec);
    return rc;
}

void skm_file_close(skm_file *f)
{
    if (!f)
        return;
    free(f->sec);
    f->sec = NULL;
}
