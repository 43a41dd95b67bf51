/* SPDX-License-Identifier: MIT */
/* skm_read.c: builds the IR model from a checked .skm file: strings, tensors, graph, metadata (SPEC.md §5..§9). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "skm_format.h"

typedef struct skm_parse {
    skc_session *s;
    const skm_file *f;
    skm_map *map;              /* wrap tensors holding a reference to it */
    int borrow;                /* wrap tensors without a reference */
    const skc_limits *lim;
    const uint8_t *ends;       /* STRS ends table, in the file */
    char *strbuf;              /* every string NUL-terminated: string i at ends[i] + i */
    uint32_t n_str;
    skc_tensor **tensors;      /* one reference each, dropped at the end */
    uint32_t n_tensors;
    uint64_t budget;           /* string bytes the file may still expand to */
} skm_parse;

static const uint8_t *skm_sec_bytes(const skm_parse *p, int kind, uint64_t *len)
{
    const skm_section *sec = &p->f->sec[p->f->kind_at[kind]];

    *len = sec->length;
    return p->f->base + sec->offset;
}

static int skm_sec_at(const skm_parse *p, int kind)
{
    return p->f->kind_at[kind];
}

/* Two's complement without relying on implementation-defined conversion. */
static int64_t skm_i64(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}

/* String @p idx for a use in section @p kind; the context of a failure is
 * formatted only when there is one, since tensors of labels call this
 * once per element. */
static int skm_str(skm_parse *p, int kind, uint32_t idx, int nonempty,
                   const char **out, size_t *len, const char *fmt, ...)
{
    char where[256];
    uint64_t a = 0, b = 0, cost;
    va_list ap;

    if (idx < p->n_str) {
        a = skm_le64(p->ends + 8 * (uint64_t)idx);
        b = skm_le64(p->ends + 8 * (uint64_t)idx + 8);
        cost = b - a + SKM_STRING_COST;
        if ((a < b || !nonempty) && cost <= p->budget) {
            p->budget -= cost;
            *out = p->strbuf + a + idx;
            if (len)
                *len = (size_t)(b - a);
            return SKC_OK;
        }
    }
    va_start(ap, fmt);
    vsnprintf(where, sizeof(where), fmt, ap);
    va_end(ap);
    if (idx >= p->n_str)
        return skm_error(p->s, p->f, skm_sec_at(p, kind), SKC_E_FORMAT,
            "%s: string index %u out of range (STRS holds %u strings)", where,
            (unsigned)idx, (unsigned)p->n_str);
    if (a == b)
        return skm_error(p->s, p->f, skm_sec_at(p, kind), SKC_E_FORMAT,
            "%s: string %u is empty", where, (unsigned)idx);
    return skm_error(p->s, p->f, skm_sec_at(p, kind), SKC_E_LIMIT,
        "%s: the file's strings expand to more than %llu bytes", where,
        (unsigned long long)(p->f->size * SKM_EXPAND_FACTOR + SKM_EXPAND_BASE));
}

/* SPEC.md §5 */
static int skm_parse_strs(skm_parse *p)
{
    int sec = skm_sec_at(p, SKM_STRS);
    uint64_t len, blen, i, a, b;
    const uint8_t *d = skm_sec_bytes(p, SKM_STRS, &len), *bytes, *z;
    uint32_t count;

    if (len < 16)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "%llu bytes, shorter than its 16-byte minimum", (unsigned long long)len);
    count = skm_le32(d);
    if (count > (len - 16) / 8)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "count %u needs %llu bytes of ends table; the section has %llu",
            (unsigned)count, 16 + 8 * (unsigned long long)count, (unsigned long long)len);
    if (count > p->lim->max_objects || count == SKM_NONE)
        return skm_error(p->s, p->f, sec, SKC_E_LIMIT, "%u strings exceed the limit of %llu",
                         (unsigned)count, (unsigned long long)p->lim->max_objects);
    p->ends = d + 8;
    bytes = d + 16 + 8 * (uint64_t)count;
    blen = len - 16 - 8 * (uint64_t)count;
    if (skm_le64(p->ends) != 0)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT, "ends[0] is %llu, not 0",
                         (unsigned long long)skm_le64(p->ends));
    for (i = 0; i < count; i++) {
        a = skm_le64(p->ends + 8 * i);
        b = skm_le64(p->ends + 8 * i + 8);
        if (b < a || b > blen)
            return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
                "string %llu spans [%llu, %llu), not inside the %llu string bytes",
                (unsigned long long)i, (unsigned long long)a, (unsigned long long)b,
                (unsigned long long)blen);
    }
    if (skm_le64(p->ends + 8 * (uint64_t)count) != blen)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "strings end at %llu but the section holds %llu string bytes",
            (unsigned long long)skm_le64(p->ends + 8 * (uint64_t)count),
            (unsigned long long)blen);
    z = blen ? memchr(bytes, 0, (size_t)blen) : NULL;
    if (z) {
        for (i = 0; skm_le64(p->ends + 8 * i + 8) <= (uint64_t)(z - bytes); i++)
            ;
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT, "string %llu contains a zero byte",
                         (unsigned long long)i);
    }
    p->strbuf = malloc((size_t)(blen + count + 1));
    if (!p->strbuf)
        return SKC_E_NOMEM;
    for (i = 0; i < count; i++) {
        a = skm_le64(p->ends + 8 * i);
        b = skm_le64(p->ends + 8 * i + 8);
        memcpy(p->strbuf + a + i, bytes + a, (size_t)(b - a));
        p->strbuf[b + i] = '\0';
    }
    p->n_str = count;
    return SKC_OK;
}

static void skm_swap(uint8_t *d, size_t es, uint64_t n)
{
    uint64_t i;
    size_t k;
    uint8_t t;

    for (i = 0; i < n && es > 1; i++, d += es) {
        for (k = 0; k < es / 2; k++) {
            t = d[k];
            d[k] = d[es - 1 - k];
            d[es - 1 - k] = t;
        }
    }
}

/* One tensor from its checked entry: strings are looked up, numbers are
 * wrapped in place when the file is mapped on a little-endian host. */
static int skm_make_tensor(skm_parse *p, uint32_t ti, uint32_t dtype, int ndim,
                           const int64_t *shape, const uint8_t *d, uint64_t n,
                           skc_tensor **out)
{
    skc_tensor *t = NULL;
    const char *str;
    size_t len;
    uint64_t j;
    int rc;

    if (dtype == SKC_DT_STRING) {
        if ((rc = skc_tensor_new((int)dtype, ndim, shape, &t)))
            return rc;
        for (j = 0; j < n; j++) {
            if ((rc = skm_str(p, SKM_DATA, skm_le32(d + 4 * j), 0, &str, &len,
                              "tensor %u element %llu", (unsigned)ti,
                              (unsigned long long)j)) ||
                (rc = skc_tensor_set_string(t, (int64_t)j, str, len))) {
                skc_tensor_free(t);
                return rc;
            }
        }
        *out = t;
        return SKC_OK;
    }
    if (dtype == SKC_DT_BOOL) {
        for (j = 0; j < n; j++)
            if (d[j] > 1)
                return skm_error(p->s, p->f, skm_sec_at(p, SKM_DATA), SKC_E_FORMAT,
                    "tensor %u element %llu: bool byte is %u, not 0 or 1", (unsigned)ti,
                    (unsigned long long)j, d[j]);
    }
    if ((p->map || p->borrow) && skm_host_le()) {
        rc = skc_tensor_wrap((int)dtype, ndim, shape, d, p->map ? skm_map_unref : NULL,
                             skm_map_ref(p->map), &t);
        if (rc) {
            skm_map_unref(p->map);
            return rc;
        }
        *out = t;
        return SKC_OK;
    }
    if ((rc = skc_tensor_new((int)dtype, ndim, shape, &t)))
        return rc;
    if (n) {
        uint8_t *w = skc_tensor_data_mut(t);
        memcpy(w, d, (size_t)(n * skm_elem_size(dtype)));
        if (!skm_host_le())
            skm_swap(w, skm_elem_size(dtype), n);
    }
    *out = t;
    return SKC_OK;
}

/* SPEC.md §6, §7 */
static int skm_parse_tdir(skm_parse *p)
{
    int sec = skm_sec_at(p, SKM_TDIR), ndim, d;
    uint64_t len, dlen, prev_end = 0, off, nbytes, numel;
    const uint8_t *t = skm_sec_bytes(p, SKM_TDIR, &len), *e;
    const uint8_t *data = skm_sec_bytes(p, SKM_DATA, &dlen);
    uint32_t count, esz, i, dtype;
    int64_t shape[SKC_MAX_DIMS];
    size_t es;
    int rc;

    if (len < 8)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "%llu bytes, shorter than its 8-byte minimum", (unsigned long long)len);
    count = skm_le32(t);
    esz = skm_le32(t + 4);
    if (esz < SKM_TDIR_ENTRY_SIZE || esz > 4096 || esz % 8)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "entry_size %u is not a multiple of 8 from %d to 4096", (unsigned)esz,
            SKM_TDIR_ENTRY_SIZE);
    if (count > (len - 8) / esz || 8 + (uint64_t)count * esz != len)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "%u entries of %u bytes do not fill its %llu bytes", (unsigned)count,
            (unsigned)esz, (unsigned long long)len);
    if (count > p->lim->max_objects)
        return skm_error(p->s, p->f, sec, SKC_E_LIMIT, "%u tensors exceed the limit of %llu",
                         (unsigned)count, (unsigned long long)p->lim->max_objects);
    p->tensors = calloc(count ? count : 1, sizeof(*p->tensors));
    if (!p->tensors)
        return SKC_E_NOMEM;
    for (i = 0; i < count; i++) {
        e = t + 8 + (uint64_t)i * esz;
        dtype = skm_le32(e);
        es = skm_elem_size(dtype);
        if (!es)
            return skm_error(p->s, p->f, sec, SKC_E_UNSUPPORTED,
                "tensor %u: unknown dtype %u (a newer format version, or damage)",
                (unsigned)i, (unsigned)dtype);
        if (skm_le32(e + 4) > SKC_MAX_DIMS)
            return skm_error(p->s, p->f, sec, SKC_E_FORMAT, "tensor %u: ndim %u exceeds %d",
                             (unsigned)i, (unsigned)skm_le32(e + 4), SKC_MAX_DIMS);
        ndim = (int)skm_le32(e + 4);
        numel = 1;
        for (d = 0; d < SKC_MAX_DIMS; d++) {
            shape[d] = skm_i64(skm_le64(e + 24 + 8 * d));
            if (d >= ndim && shape[d] != 0)
                return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
                    "tensor %u: shape[%d] = %lld beyond ndim %d, not 0", (unsigned)i, d,
                    (long long)shape[d], ndim);
            if (d >= ndim)
                continue;
            if (shape[d] < 0)
                return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
                    "tensor %u: shape[%d] = %lld is negative", (unsigned)i, d,
                    (long long)shape[d]);
            if (shape[d] && numel > p->lim->max_elements / (uint64_t)shape[d])
                return skm_error(p->s, p->f, sec, SKC_E_LIMIT,
                    "tensor %u: more than %llu elements", (unsigned)i,
                    (unsigned long long)p->lim->max_elements);
            numel *= (uint64_t)shape[d];
        }
        off = skm_le64(e + 8);
        nbytes = skm_le64(e + 16);
        if (numel > UINT64_MAX / es || nbytes != numel * es)
            return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
                "tensor %u: data_length %llu, but %llu %s elements need %llu", (unsigned)i,
                (unsigned long long)nbytes, (unsigned long long)numel,
                skc_dtype_name((int)dtype), (unsigned long long)(numel * es));
        if (off % SKM_ALIGN || off > dlen || nbytes > dlen - off)
            return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
                "tensor %u: data [%llu, +%llu) is not a 64-aligned range inside DATA's "
                "%llu bytes", (unsigned)i, (unsigned long long)off,
                (unsigned long long)nbytes, (unsigned long long)dlen);
        if (off < prev_end)
            return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
                "tensor %u: data at %llu overlaps the previous tensor's, which ends at %llu",
                (unsigned)i, (unsigned long long)off, (unsigned long long)prev_end);
        prev_end = off + nbytes;
        rc = skm_make_tensor(p, i, dtype, ndim, shape, data + off, numel, &p->tensors[i]);
        if (rc)
            return rc;
        p->n_tensors = i + 1;
    }
    p->n_tensors = count;
    return SKC_OK;
}

/* A bounds-checked reader over one section. */
typedef struct skm_cur {
    const uint8_t *d;
    uint64_t len, pos;
} skm_cur;

static int skm_need(skm_parse *p, skm_cur *c, uint64_t n, const char *what, uint32_t idx)
{
    if (n <= c->len - c->pos)
        return SKC_OK;
    return skm_error(p->s, p->f, skm_sec_at(p, SKM_GRPH), SKC_E_FORMAT,
        "%s %u needs %llu bytes at offset %llu, but the section ends %llu bytes later",
        what, (unsigned)idx, (unsigned long long)n, (unsigned long long)c->pos,
        (unsigned long long)(c->len - c->pos));
}

static int skm_dtype_ok(uint32_t dtype)
{
    return dtype == SKC_DT_NONE || skm_elem_size(dtype) > 0;
}

/* SPEC.md §8 port record; @p is_input chooses the table and the columns rule. */
static int skm_parse_port(skm_parse *p, skm_cur *c, skc_model *m, int is_input,
                          uint32_t i)
{
    const char *what = is_input ? "input" : "output";
    int sec = skm_sec_at(p, SKM_GRPH), d, rc, before;
    uint32_t name, dtype, ndim, cols;
    int64_t shape[SKC_MAX_DIMS];
    const char *nm;
    const uint8_t *r;

    if ((rc = skm_need(p, c, SKM_PORT_SIZE, what, i)))
        return rc;
    r = c->d + c->pos;
    name = skm_le32(r);
    dtype = skm_le32(r + 4);
    ndim = skm_le32(r + 8);
    cols = skm_le32(r + 12);
    if (ndim > SKC_MAX_DIMS)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT, "%s %u: ndim %u exceeds %d", what,
                         (unsigned)i, (unsigned)ndim, SKC_MAX_DIMS);
    if ((rc = skm_need(p, c, SKM_PORT_SIZE + 8 * (uint64_t)ndim, what, i)))
        return rc;
    if (!skm_dtype_ok(dtype))
        return skm_error(p->s, p->f, sec, SKC_E_UNSUPPORTED, "%s %u: unknown dtype %u",
                         what, (unsigned)i, (unsigned)dtype);
    for (d = 0; d < (int)ndim; d++) {
        shape[d] = skm_i64(skm_le64(r + SKM_PORT_SIZE + 8 * d));
        if (shape[d] < -1)
            return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
                "%s %u: shape[%d] = %lld (only sizes and -1 = any)", what, (unsigned)i, d,
                (long long)shape[d]);
    }
    c->pos += SKM_PORT_SIZE + 8 * (uint64_t)ndim;
    if ((rc = skm_str(p, SKM_GRPH, name, 1, &nm, NULL, "%s %u name", what, (unsigned)i)))
        return rc;
    before = is_input ? skc_model_input_count(m) : skc_model_output_count(m);
    rc = is_input ? skc_model_add_input(m, nm, (int)dtype, (int)ndim, shape)
                  : skc_model_add_output(m, nm, (int)dtype, (int)ndim, shape);
    if (rc == SKC_E_INVAL)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT, "%s %u: name '%.200s' used twice",
                         what, (unsigned)i, nm);
    if (rc)
        return rc;
    if (cols == SKM_NONE)
        return SKC_OK;
    if (!is_input)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "output %u: columns is %u, but outputs have no column names", (unsigned)i,
            (unsigned)cols);
    if (cols >= p->n_tensors)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "input %u: columns tensor %u out of range (TDIR holds %u)", (unsigned)i,
            (unsigned)cols, (unsigned)p->n_tensors);
    rc = skc_model_set_input_columns(m, before, p->tensors[cols]);
    if (rc == SKC_E_INVAL)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "input %u: columns tensor %u is not a 1-D string tensor", (unsigned)i,
            (unsigned)cols);
    return rc;
}

/* SPEC.md §8 attribute record. */
static int skm_parse_attr(skm_parse *p, skc_step *st, const uint8_t *r, uint32_t si,
                          uint32_t ai)
{
    int sec = skm_sec_at(p, SKM_GRPH), rc, before = skc_step_attr_count(st);
    uint32_t kind = skm_le32(r + 4);
    uint64_t v = skm_le64(r + 8);
    const char *key, *sv;
    double f;

    if ((rc = skm_str(p, SKM_GRPH, skm_le32(r), 1, &key, NULL, "step %u attribute %u key",
                      (unsigned)si, (unsigned)ai)))
        return rc;
    switch (kind) {
    case SKC_ATTR_INT:
        rc = skc_step_set_int(st, key, skm_i64(v));
        break;
    case SKC_ATTR_FLOAT:
        /* v already holds the bit pattern as a host integer. */
        memcpy(&f, &v, sizeof(f));
        rc = skc_step_set_float(st, key, f);
        break;
    case SKC_ATTR_STRING:
        if ((rc = skm_str(p, SKM_GRPH, v > SKM_NONE ? SKM_NONE : (uint32_t)v, 0, &sv, NULL,
                          "step %u attribute '%.100s'", (unsigned)si, key)))
            return rc;
        rc = skc_step_set_string(st, key, sv);
        break;
    case SKC_ATTR_TENSOR:
        if (v >= p->n_tensors)
            return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
                "step %u attribute '%.100s': tensor %llu out of range (TDIR holds %u)",
                (unsigned)si, key, (unsigned long long)v, (unsigned)p->n_tensors);
        rc = skc_step_set_tensor(st, key, p->tensors[v]);
        break;
    default:
        return skm_error(p->s, p->f, sec, SKC_E_UNSUPPORTED,
            "step %u attribute '%.100s': unknown kind %u (a newer format version, or damage)",
            (unsigned)si, key, (unsigned)kind);
    }
    if (rc)
        return rc;
    if (skc_step_attr_count(st) == before)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "step %u: attribute '%.100s' given twice", (unsigned)si, key);
    return SKC_OK;
}

/* SPEC.md §8 step record. */
static int skm_parse_step(skm_parse *p, skm_cur *c, skc_model *m, uint32_t si)
{
    int sec = skm_sec_at(p, SKM_GRPH), rc;
    uint32_t op, n_in, n_out, n_attrs, j;
    uint64_t names, body;
    const uint8_t *r;
    const char *str;
    skc_step *st;

    if ((rc = skm_need(p, c, SKM_STEP_SIZE, "step", si)))
        return rc;
    r = c->d + c->pos;
    op = skm_le32(r);
    n_in = skm_le32(r + 4);
    n_out = skm_le32(r + 8);
    n_attrs = skm_le32(r + 12);
    if (n_in > SKM_MAX_NAMES || n_out > SKM_MAX_NAMES || n_attrs > SKM_MAX_ATTRS)
        return skm_error(p->s, p->f, sec, SKC_E_LIMIT,
            "step %u: %u inputs, %u outputs, %u attributes (limits %u, %u, %u)", (unsigned)si,
            (unsigned)n_in, (unsigned)n_out, (unsigned)n_attrs, SKM_MAX_NAMES, SKM_MAX_NAMES,
            SKM_MAX_ATTRS);
    names = (uint64_t)n_in + n_out;
    body = SKM_STEP_SIZE + 4 * names + 4 * (names % 2) + SKM_ATTR_SIZE * (uint64_t)n_attrs;
    if ((rc = skm_need(p, c, body, "step", si)))
        return rc;
    if ((rc = skm_str(p, SKM_GRPH, op, 1, &str, NULL, "step %u op", (unsigned)si)) ||
        (rc = skc_model_add_step(m, str, &st)))
        return rc;
    r += SKM_STEP_SIZE;
    for (j = 0; j < names; j++, r += 4) {
        if ((rc = skm_str(p, SKM_GRPH, skm_le32(r), 1, &str, NULL, "step %u %s %u",
                          (unsigned)si, j < n_in ? "input" : "output",
                          (unsigned)(j < n_in ? j : j - n_in))))
            return rc;
        rc = j < n_in ? skc_step_add_input(st, str) : skc_step_add_output(st, str);
        if (rc)
            return rc;
    }
    r += 4 * (names % 2);
    for (j = 0; j < n_attrs; j++, r += SKM_ATTR_SIZE)
        if ((rc = skm_parse_attr(p, st, r, si, j)))
            return rc;
    c->pos += body;
    return SKC_OK;
}

/* SPEC.md §8 */
static int skm_parse_grph(skm_parse *p, skc_model *m)
{
    int sec = skm_sec_at(p, SKM_GRPH), rc;
    uint32_t n_in, n_out, n_steps, i;
    skm_cur c;

    c.d = skm_sec_bytes(p, SKM_GRPH, &c.len);
    c.pos = 16;
    if (c.len < 16)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "%llu bytes, shorter than its 16-byte header", (unsigned long long)c.len);
    n_in = skm_le32(c.d);
    n_out = skm_le32(c.d + 4);
    n_steps = skm_le32(c.d + 8);
    if (n_in > SKM_MAX_PORTS || n_out > SKM_MAX_PORTS || n_steps > SKM_MAX_STEPS)
        return skm_error(p->s, p->f, sec, SKC_E_LIMIT,
            "%u inputs, %u outputs, %u steps (limits %u, %u, %u)", (unsigned)n_in,
            (unsigned)n_out, (unsigned)n_steps, SKM_MAX_PORTS, SKM_MAX_PORTS, SKM_MAX_STEPS);
    for (i = 0; i < n_in; i++)
        if ((rc = skm_parse_port(p, &c, m, 1, i)))
            return rc;
    for (i = 0; i < n_out; i++)
        if ((rc = skm_parse_port(p, &c, m, 0, i)))
            return rc;
    for (i = 0; i < n_steps; i++)
        if ((rc = skm_parse_step(p, &c, m, i)))
            return rc;
    if (c.pos != c.len)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT, "%llu bytes after the last step",
                         (unsigned long long)(c.len - c.pos));
    return SKC_OK;
}

/* SPEC.md §9 */
static int skm_parse_meta(skm_parse *p, skc_model *m)
{
    int sec = skm_sec_at(p, SKM_META), rc;
    uint64_t len;
    const uint8_t *d;
    const char *k, *v;
    uint32_t count, i;

    if (sec < 0)
        return SKC_OK;
    d = skm_sec_bytes(p, SKM_META, &len);
    if (len < 8)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "%llu bytes, shorter than its 8-byte header", (unsigned long long)len);
    count = skm_le32(d);
    if (count > (len - 8) / 8 || 8 + 8 * (uint64_t)count != len)
        return skm_error(p->s, p->f, sec, SKC_E_FORMAT,
            "%u pairs do not fill its %llu bytes", (unsigned)count, (unsigned long long)len);
    if (count > SKM_MAX_META)
        return skm_error(p->s, p->f, sec, SKC_E_LIMIT, "%u pairs exceed the limit of %u",
                         (unsigned)count, SKM_MAX_META);
    for (i = 0; i < count; i++) {
        if ((rc = skm_str(p, SKM_META, skm_le32(d + 8 + 8 * (uint64_t)i), 1, &k, NULL,
                          "pair %u key", (unsigned)i)) ||
            (rc = skm_str(p, SKM_META, skm_le32(d + 12 + 8 * (uint64_t)i), 0, &v, NULL,
                          "pair %u value", (unsigned)i)) ||
            (rc = skc_model_set_meta(m, k, v)))
            return rc;
        if ((uint32_t)skc_model_meta_count(m) != i + 1)
            return skm_error(p->s, p->f, sec, SKC_E_FORMAT, "pair %u: key '%.200s' given twice",
                             (unsigned)i, k);
    }
    return SKC_OK;
}

int skm_file_model(skc_session *s, const skm_file *f, skm_map *map, int borrow,
                   skc_model **out)
{
    skm_parse p;
    skc_model *m = NULL;
    uint32_t i;
    int rc;

    memset(&p, 0, sizeof(p));
    p.s = s;
    p.f = f;
    p.map = map;
    p.borrow = borrow;
    p.lim = skc_session_limits(s);
    p.budget = f->size > (UINT64_MAX - SKM_EXPAND_BASE) / SKM_EXPAND_FACTOR ? UINT64_MAX
             : f->size * SKM_EXPAND_FACTOR + SKM_EXPAND_BASE;
    if (!p.lim)
        return SKC_E_INVAL;
    if ((rc = skm_parse_strs(&p)) ||
        (rc = skm_parse_tdir(&p)) ||
        (rc = skc_model_new(&m)) ||
        (rc = skm_parse_grph(&p, m)) ||
        (rc = skm_parse_meta(&p, m)))
        goto fail;
    *out = m;
    m = NULL;
fail:
    skc_model_free(m);
    for (i = 0; i < p.n_tensors; i++)
        skc_tensor_free(p.tensors[i]);
    free(p.tensors);
    free(p.strbuf);
    return rc;
}

int skm_read(skc_session *s, skc_stream *in, const skm_read_opts *o, skc_model **out)
{
    const skc_limits *lim = skc_session_limits(s);
    const uint8_t *data;
    const char *path = skc_stream_path(in);
    skm_map *map = NULL;
    skc_model *m = NULL;
    skm_read_opts ro;
    skm_file f;
    size_t size;
    int rc;

    memset(&f, 0, sizeof(f));
    rc = skc_stream_map(in, &data, &size);
    if (rc)
        return skc_set_error(s, rc, "cannot read the input: %s", skc_strerror(rc));
    if (lim && size > lim->max_bytes)
        return skc_set_error(s, SKC_E_LIMIT, "%zu bytes exceed the limit of %llu", size,
                             (unsigned long long)lim->max_bytes);
    /* Parse the reader's own mapping when there is one, so the bytes that
     * are checked are the bytes the tensors keep using. */
    if (o->use_mmap && path && skm_host_le() && size >= SKM_HEADER_SIZE &&
        skm_map_open(path, data, size, SKM_HEADER_SIZE, &map) == SKC_OK)
        data = skm_map_bytes(map);
    ro = *o;
    if (ro.check_data_crc < 0)
        ro.check_data_crc = map == NULL;
    if ((rc = skm_file_open(s, data, size, &ro, &f)) ||
        (rc = skm_file_model(s, &f, map, 0, &m)))
        goto fail;
    *out = m;
fail:
    skm_file_close(&f);
    skm_map_unref(map);
    return rc;
}
