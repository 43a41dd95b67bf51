/* SPDX-License-Identifier: MIT */
/* skm_write.c: writes an IR model as a .skm file: interns strings and tensors, lays out sections (SPEC.md §2..§9). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "skm_format.h"

/* A growable byte buffer; a failed allocation sticks until checked. */
typedef struct skm_buf {
    uint8_t *d;
    size_t len, cap;
    int oom;
} skm_buf;

static void skm_buf_put(skm_buf *b, const void *p, size_t n)
{
    uint8_t *nd;
    size_t ncap;

    if (b->oom)
        return;
    if (n > b->cap - b->len) {
        ncap = b->cap ? b->cap : 256;
        while (ncap - b->len < n) {
            if (ncap > SIZE_MAX / 2) {
                b->oom = 1;
                return;
            }
            ncap *= 2;
        }
        nd = realloc(b->d, ncap);
        if (!nd) {
            b->oom = 1;
            return;
        }
        b->d = nd;
        b->cap = ncap;
    }
    if (n)
        memcpy(b->d + b->len, p, n);
    b->len += n;
}

static void skm_buf_u32(skm_buf *b, uint32_t v)
{
    uint8_t x[4];

    skm_put32(x, v);
    skm_buf_put(b, x, 4);
}

static void skm_buf_u64(skm_buf *b, uint64_t v)
{
    uint8_t x[8];

    skm_put64(x, v);
    skm_buf_put(b, x, 8);
}

/* One tensor of the directory: where its bytes go in DATA. */
typedef struct skm_wtensor {
    const skc_tensor *t;
    uint8_t *idx;          /* string tensors: the u32 LE string indices */
    uint64_t offset, length;
} skm_wtensor;

typedef struct skm_writer {
    skc_session *s;
    /* strings: borrowed from the model for the write's duration */
    const char **str;
    size_t *str_len;
    uint32_t n_str, cap_str;
    uint32_t *str_slot;    /* open addressing: string index + 1, 0 = empty */
    uint32_t n_str_slot;
    /* tensors, deduplicated by identity */
    skm_wtensor *ten;
    uint32_t n_ten, cap_ten;
    uint32_t *ten_slot;
    uint32_t n_ten_slot;
    uint64_t data_len;
    skm_buf grph, meta;
} skm_writer;

static uint64_t skm_hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* Grow an open-addressing table to keep it at most half full. */
static int skm_rehash(uint32_t **slots, uint32_t *n_slots, uint32_t n_items,
                      uint64_t (*hash_of)(const skm_writer *, uint32_t),
                      const skm_writer *w)
{
    uint32_t *ns, nn, i, h;

    if ((uint64_t)(n_items + 1) * 2 <= *n_slots)
        return SKC_OK;
    nn = *n_slots ? *n_slots * 2 : 1024;
    if (nn < *n_slots)
        return SKC_E_LIMIT;
    ns = calloc(nn, sizeof(*ns));
    if (!ns)
        return SKC_E_NOMEM;
    for (i = 0; i < n_items; i++) {
        h = (uint32_t)(hash_of(w, i) & (nn - 1));
        while (ns[h])
            h = (h + 1) & (nn - 1);
        ns[h] = i + 1;
    }
    free(*slots);
    *slots = ns;
    *n_slots = nn;
    return SKC_OK;
}

static uint64_t skm_str_hash_at(const skm_writer *w, uint32_t i)
{
    return skm_hash(w->str[i], w->str_len[i]);
}

static uint64_t skm_ten_hash_at(const skm_writer *w, uint32_t i)
{
    const skc_tensor *t = w->ten[i].t;

    return skm_hash(&t, sizeof(t));
}

/* SPEC.md §5: each distinct string stored once. */
static int skm_intern(skm_writer *w, const char *s, uint32_t *out)
{
    size_t len = strlen(s);
    uint64_t h = skm_hash(s, len);
    uint32_t slot, i;
    int rc;

    if ((rc = skm_rehash(&w->str_slot, &w->n_str_slot, w->n_str, skm_str_hash_at, w)))
        return rc;
    for (slot = (uint32_t)(h & (w->n_str_slot - 1)); w->str_slot[slot];
         slot = (slot + 1) & (w->n_str_slot - 1)) {
        i = w->str_slot[slot] - 1;
        if (w->str_len[i] == len && memcmp(w->str[i], s, len) == 0) {
            *out = i;
            return SKC_OK;
        }
    }
    if (w->n_str >= SKM_NONE - 1)
        return skc_set_error(w->s, SKC_E_LIMIT, "more than %u distinct strings", SKM_NONE - 1);
    if (w->n_str == w->cap_str) {
        uint32_t nc = w->cap_str ? w->cap_str * 2 : 256;
        const char **ns = realloc(w->str, (size_t)nc * sizeof(*ns));
        size_t *nl;
        if (!ns)
            return SKC_E_NOMEM;
        w->str = ns;
        nl = realloc(w->str_len, (size_t)nc * sizeof(*nl));
        if (!nl)
            return SKC_E_NOMEM;
        w->str_len = nl;
        w->cap_str = nc;
    }
    w->str[w->n_str] = s;
    w->str_len[w->n_str] = len;
    w->str_slot[slot] = w->n_str + 1;
    *out = w->n_str++;
    return SKC_OK;
}

static uint64_t skm_align(uint64_t v)
{
    return (v + SKM_ALIGN - 1) & ~(uint64_t)(SKM_ALIGN - 1);
}

/* SPEC.md §6: a string tensor's elements become string indices. */
static int skm_string_indices(skm_writer *w, const skc_tensor *t, uint8_t **out)
{
    int64_t n = skc_tensor_numel(t), i;
    uint8_t *idx = malloc(n ? (size_t)n * 4 : 1);
    uint32_t si;
    int rc;

    if (!idx)
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++) {
        if ((rc = skm_intern(w, skc_tensor_string(t, i, NULL), &si))) {
            free(idx);
            return rc;
        }
        skm_put32(idx + 4 * i, si);
    }
    *out = idx;
    return SKC_OK;
}

/* SPEC.md §6: each distinct tensor (by identity) stored once. */
static int skm_tensor(skm_writer *w, const skc_tensor *t, uint32_t *out)
{
    uint64_t h = skm_hash(&t, sizeof(t));
    uint32_t slot;
    skm_wtensor *e;
    size_t es;
    int rc;

    if ((rc = skm_rehash(&w->ten_slot, &w->n_ten_slot, w->n_ten, skm_ten_hash_at, w)))
        return rc;
    for (slot = (uint32_t)(h & (w->n_ten_slot - 1)); w->ten_slot[slot];
         slot = (slot + 1) & (w->n_ten_slot - 1)) {
        if (w->ten[w->ten_slot[slot] - 1].t == t) {
            *out = w->ten_slot[slot] - 1;
            return SKC_OK;
        }
    }
    es = skm_elem_size((uint32_t)skc_tensor_dtype(t));
    if (!es)
        return skc_set_error(w->s, SKC_E_UNSUPPORTED, "tensor of dtype %d has no .skm encoding",
                             skc_tensor_dtype(t));
    if (w->n_ten >= SKM_NONE - 1)
        return skc_set_error(w->s, SKC_E_LIMIT, "more than %u tensors", SKM_NONE - 1);
    if (w->n_ten == w->cap_ten) {
        uint32_t nc = w->cap_ten ? w->cap_ten * 2 : 64;
        skm_wtensor *nt = realloc(w->ten, (size_t)nc * sizeof(*nt));
        if (!nt)
            return SKC_E_NOMEM;
        w->ten = nt;
        w->cap_ten = nc;
    }
    e = &w->ten[w->n_ten];
    memset(e, 0, sizeof(*e));
    e->t = t;
    e->length = (uint64_t)skc_tensor_numel(t) * es;
    e->offset = skm_align(w->data_len);
    if (skc_tensor_dtype(t) == SKC_DT_STRING && (rc = skm_string_indices(w, t, &e->idx)))
        return rc;
    w->data_len = e->offset + e->length;
    w->ten_slot[slot] = w->n_ten + 1;
    *out = w->n_ten++;
    return SKC_OK;
}

/* Fail with SKC_E_LIMIT when the model has more of something than a
 * reader accepts (SPEC.md §10): never write a file we would refuse. */
static int skm_check_count(skm_writer *w, const char *what, int64_t n, uint32_t max)
{
    if (n < 0 || (uint64_t)n > max)
        return skc_set_error(w->s, SKC_E_LIMIT,
            "%lld %s; .skm readers accept at most %u", (long long)n, what, (unsigned)max);
    return SKC_OK;
}

/* SPEC.md §8 port record. */
static int skm_write_port(skm_writer *w, const char *name, int dtype, int ndim,
                          const int64_t *shape, const skc_tensor *cols)
{
    uint32_t ni, ci = SKM_NONE;
    int d, rc;

    if ((rc = skm_intern(w, name, &ni)) || (cols && (rc = skm_tensor(w, cols, &ci))))
        return rc;
    skm_buf_u32(&w->grph, ni);
    skm_buf_u32(&w->grph, (uint32_t)dtype);
    skm_buf_u32(&w->grph, (uint32_t)ndim);
    skm_buf_u32(&w->grph, ci);
    for (d = 0; d < ndim; d++)
        skm_buf_u64(&w->grph, (uint64_t)shape[d]);
    return SKC_OK;
}

/* SPEC.md §8 attribute record. */
static int skm_write_attr(skm_writer *w, const skc_step *st, int i)
{
    const char *key, *sv;
    const skc_tensor *t;
    uint32_t ki, vi;
    int64_t iv;
    uint64_t bits;
    double fv;
    int kind, rc;

    if ((rc = skc_step_attr_at(st, i, &key, &kind)) || (rc = skm_intern(w, key, &ki)))
        return rc;
    switch (kind) {
    case SKC_ATTR_INT:
        if ((rc = skc_step_get_int(st, key, &iv)))
            return rc;
        bits = (uint64_t)iv;
        break;
    case SKC_ATTR_FLOAT:
        if ((rc = skc_step_get_float(st, key, &fv)))
            return rc;
        memcpy(&bits, &fv, sizeof(bits));
        break;
    case SKC_ATTR_STRING:
        if ((rc = skc_step_get_string(st, key, &sv)) || (rc = skm_intern(w, sv, &vi)))
            return rc;
        bits = vi;
        break;
    case SKC_ATTR_TENSOR:
        if ((rc = skc_step_get_tensor(st, key, &t)) || (rc = skm_tensor(w, t, &vi)))
            return rc;
        bits = vi;
        break;
    default:
        return skc_set_error(w->s, SKC_E_UNSUPPORTED,
            "step '%s' attribute '%s' has kind %d, which .skm cannot store",
            skc_step_op(st), key, kind);
    }
    skm_buf_u32(&w->grph, ki);
    skm_buf_u32(&w->grph, (uint32_t)kind);
    skm_buf_u64(&w->grph, bits);
    return SKC_OK;
}

/* SPEC.md §8 step record. */
static int skm_write_step(skm_writer *w, const skc_step *st)
{
    int n_in = skc_step_input_count(st), n_out = skc_step_output_count(st);
    int n_attrs = skc_step_attr_count(st), j, rc;
    uint32_t idx;

    if ((rc = skm_check_count(w, "inputs of a step", n_in, SKM_MAX_NAMES)) ||
        (rc = skm_check_count(w, "outputs of a step", n_out, SKM_MAX_NAMES)) ||
        (rc = skm_check_count(w, "attributes of a step", n_attrs, SKM_MAX_ATTRS)) ||
        (rc = skm_intern(w, skc_step_op(st), &idx)))
        return rc;
    skm_buf_u32(&w->grph, idx);
    skm_buf_u32(&w->grph, (uint32_t)n_in);
    skm_buf_u32(&w->grph, (uint32_t)n_out);
    skm_buf_u32(&w->grph, (uint32_t)n_attrs);
    for (j = 0; j < n_in + n_out; j++) {
        if ((rc = skm_intern(w, j < n_in ? skc_step_input(st, j)
                                         : skc_step_output(st, j - n_in), &idx)))
            return rc;
        skm_buf_u32(&w->grph, idx);
    }
    if ((n_in + n_out) % 2)
        skm_buf_u32(&w->grph, 0);
    for (j = 0; j < n_attrs; j++)
        if ((rc = skm_write_attr(w, st, j)))
            return rc;
    return SKC_OK;
}

static int skm_write_graph(skm_writer *w, const skc_model *m)
{
    int n_in = skc_model_input_count(m), n_out = skc_model_output_count(m);
    int n_steps = skc_model_step_count(m), i, nd, rc;
    const int64_t *shape;

    if ((rc = skm_check_count(w, "inputs", n_in, SKM_MAX_PORTS)) ||
        (rc = skm_check_count(w, "outputs", n_out, SKM_MAX_PORTS)) ||
        (rc = skm_check_count(w, "steps", n_steps, SKM_MAX_STEPS)))
        return rc;
    skm_buf_u32(&w->grph, (uint32_t)n_in);
    skm_buf_u32(&w->grph, (uint32_t)n_out);
    skm_buf_u32(&w->grph, (uint32_t)n_steps);
    skm_buf_u32(&w->grph, 0);
    for (i = 0; i < n_in; i++) {
        shape = skc_model_input_shape(m, i, &nd);
        if ((rc = skm_write_port(w, skc_model_input_name(m, i), skc_model_input_dtype(m, i),
                                 nd, shape, skc_model_input_columns(m, i))))
            return rc;
    }
    for (i = 0; i < n_out; i++) {
        shape = skc_model_output_shape(m, i, &nd);
        if ((rc = skm_write_port(w, skc_model_output_name(m, i),
                                 skc_model_output_dtype(m, i), nd, shape, NULL)))
            return rc;
    }
    for (i = 0; i < n_steps; i++)
        if ((rc = skm_write_step(w, skc_model_step(m, i))))
            return rc;
    return SKC_OK;
}

/* SPEC.md §9: when this file was written; SOURCE_DATE_EPOCH makes builds
 * reproducible, as in reproducible-builds.org's convention. */
static void skm_timestamp(char *buf, size_t n)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    time_t t = time(NULL);
    struct tm tm;
    char *end;
    long long v;

    if (sde && *sde) {
        errno = 0;
        v = strtoll(sde, &end, 10);
        if (!errno && !*end && v >= 0)
            t = (time_t)v;
    }
    if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "1970-01-01T00:00:00Z");
}

/* SPEC.md §9: the model's pairs in order, with skconv.version and
 * skconv.converted_at describing this write (replaced or appended). */
static int skm_write_meta(skm_writer *w, const skc_model *m, const char *stamp)
{
    static const char *const own[2] = { "skconv.version", "skconv.converted_at" };
    const char *own_val[2] = { skc_version_string(), stamp };
    int n = skc_model_meta_count(m), i, k, seen[2] = { 0, 0 }, extra, rc;
    const char *key, *val;
    uint32_t ki, vi;

    extra = 2;
    for (i = 0; i < n; i++) {
        skc_model_meta_at(m, i, &key, NULL);
        for (k = 0; k < 2; k++)
            if (strcmp(key, own[k]) == 0)
                extra--;
    }
    if ((rc = skm_check_count(w, "metadata pairs", (int64_t)n + extra, SKM_MAX_META)))
        return rc;
    skm_buf_u32(&w->meta, (uint32_t)(n + extra));
    skm_buf_u32(&w->meta, 0);
    for (i = 0; i < n + 2; i++) {
        if (i < n) {
            skc_model_meta_at(m, i, &key, &val);
            for (k = 0; k < 2; k++) {
                if (strcmp(key, own[k]) == 0) {
                    val = own_val[k];
                    seen[k] = 1;
                }
            }
        } else if (!seen[i - n]) {
            key = own[i - n];
            val = own_val[i - n];
        } else {
            continue;
        }
        if ((rc = skm_intern(w, key, &ki)) || (rc = skm_intern(w, val, &vi)))
            return rc;
        skm_buf_u32(&w->meta, ki);
        skm_buf_u32(&w->meta, vi);
    }
    return SKC_OK;
}

static void skm_build_strs(const skm_writer *w, skm_buf *b)
{
    uint64_t end = 0;
    uint32_t i;

    skm_buf_u32(b, w->n_str);
    skm_buf_u32(b, 0);
    skm_buf_u64(b, 0);
    for (i = 0; i < w->n_str; i++) {
        end += w->str_len[i];
        skm_buf_u64(b, end);
    }
    for (i = 0; i < w->n_str; i++)
        skm_buf_put(b, w->str[i], w->str_len[i]);
}

static void skm_build_tdir(const skm_writer *w, skm_buf *b)
{
    const int64_t *shape;
    uint32_t i;
    int d, nd;

    skm_buf_u32(b, w->n_ten);
    skm_buf_u32(b, SKM_TDIR_ENTRY_SIZE);
    for (i = 0; i < w->n_ten; i++) {
        nd = skc_tensor_ndim(w->ten[i].t);
        shape = skc_tensor_shape(w->ten[i].t);
        skm_buf_u32(b, (uint32_t)skc_tensor_dtype(w->ten[i].t));
        skm_buf_u32(b, (uint32_t)nd);
        skm_buf_u64(b, w->ten[i].offset);
        skm_buf_u64(b, w->ten[i].length);
        for (d = 0; d < SKC_MAX_DIMS; d++)
            skm_buf_u64(b, d < nd ? (uint64_t)shape[d] : 0);
    }
}

/* Where DATA's bytes go: a CRC or the output stream. */
typedef struct skm_sink {
    skc_stream *out;       /* NULL: only the CRC */
    uint32_t crc;
} skm_sink;

static int skm_sink_put(skm_sink *k, const void *p, size_t n)
{
    if (k->out)
        return skc_stream_write(k->out, p, n);
    k->crc = skm_crc32(k->crc, p, n);
    return SKC_OK;
}

static int skm_sink_zeros(skm_sink *k, uint64_t n)
{
    static const uint8_t zero[SKM_ALIGN];
    int rc;

    while (n) {
        size_t c = n < sizeof(zero) ? (size_t)n : sizeof(zero);
        if ((rc = skm_sink_put(k, zero, c)))
            return rc;
        n -= c;
    }
    return SKC_OK;
}

/* SPEC.md §7: the tensors little-endian, 64-aligned, gaps zero. A
 * big-endian host swaps through a small buffer, element by element. */
static int skm_feed_data(const skm_writer *w, skm_sink *k)
{
    uint8_t tmp[4096];
    const uint8_t *src;
    uint64_t pos = 0, done, c;
    size_t es, j, b;
    uint32_t i;
    int rc;

    for (i = 0; i < w->n_ten; i++) {
        const skm_wtensor *e = &w->ten[i];
        if ((rc = skm_sink_zeros(k, e->offset - pos)))
            return rc;
        src = e->idx ? e->idx : skc_tensor_data(e->t);
        es = skm_elem_size((uint32_t)skc_tensor_dtype(e->t));
        if (e->idx || skm_host_le() || es == 1) {
            if (e->length && (rc = skm_sink_put(k, src, (size_t)e->length)))
                return rc;
        } else {
            for (done = 0; done < e->length; done += c) {
                c = e->length - done < sizeof(tmp) ? e->length - done : sizeof(tmp);
                for (j = 0; j < c; j += es)
                    for (b = 0; b < es; b++)
                        tmp[j + b] = src[done + j + es - 1 - b];
                if ((rc = skm_sink_put(k, tmp, (size_t)c)))
                    return rc;
            }
        }
        pos = e->offset + e->length;
    }
    return SKC_OK;
}

/* SPEC.md §2, §3, §4: header, table, sections in the writer's order. */
static int skm_emit(skm_writer *w, skc_stream *out)
{
    enum { N = 5 };
    static const int order[N] = { SKM_STRS, SKM_TDIR, SKM_GRPH, SKM_META, SKM_DATA };
    skm_buf strs = { 0 }, tdir = { 0 };
    const skm_buf *bufs[SKM_NKINDS] = { &strs, &tdir, NULL, &w->grph, &w->meta };
    uint8_t head[SKM_HEADER_SIZE], table[N * SKM_ENTRY_SIZE];
    uint64_t off[N], len[N], pos;
    uint32_t crc[N];
    skm_sink crc_sink = { NULL, 0 }, out_sink = { out, 0 };
    int i, rc = SKC_E_NOMEM;

    skm_build_strs(w, &strs);
    skm_build_tdir(w, &tdir);
    if (strs.oom || tdir.oom || w->grph.oom || w->meta.oom)
        goto done;
    pos = skm_align(SKM_HEADER_SIZE + sizeof(table));
    for (i = 0; i < N; i++) {
        const skm_buf *b = bufs[order[i]];
        off[i] = pos;
        if (b) {
            len[i] = b->len;
            crc[i] = skm_crc32(0, b->d, b->len);
        } else {
            len[i] = w->data_len;
            if ((rc = skm_feed_data(w, &crc_sink)))
                goto done;
            crc[i] = crc_sink.crc;
        }
        pos = i + 1 < N ? skm_align(off[i] + len[i]) : off[i] + len[i];
    }
    memset(table, 0, sizeof(table));
    for (i = 0; i < N; i++) {
        uint8_t *e = table + i * SKM_ENTRY_SIZE;
        memcpy(e, skm_kind_names[order[i]], 4);
        skm_put32(e + 4, SKM_SEC_REQUIRED);
        skm_put64(e + 8, off[i]);
        skm_put64(e + 16, len[i]);
        skm_put32(e + 24, crc[i]);
    }
    memset(head, 0, sizeof(head));
    memcpy(head, SKM_MAGIC, SKM_MAGIC_LEN);
    skm_put16(head + 8, SKM_MAJOR);
    skm_put16(head + 10, SKM_MINOR);
    skm_put32(head + 16, SKM_HEADER_SIZE);
    skm_put32(head + 20, N);
    skm_put64(head + 24, SKM_HEADER_SIZE);
    skm_put64(head + 32, pos);
    skm_put32(head + 40, SKM_ENTRY_SIZE);
    skm_put32(head + 44, skm_crc32(0, table, sizeof(table)));
    skm_put32(head + 48, SKC_IR_VERSION);
    skm_put32(head + SKM_HEADER_CRC_AT, skm_crc32(0, head, sizeof(head)));

    if ((rc = skc_stream_write(out, head, sizeof(head))) ||
        (rc = skc_stream_write(out, table, sizeof(table))))
        goto done;
    pos = SKM_HEADER_SIZE + sizeof(table);
    for (i = 0; i < N; i++) {
        const skm_buf *b = bufs[order[i]];
        if ((rc = skm_sink_zeros(&out_sink, off[i] - pos)))
            goto done;
        rc = b ? skc_stream_write(out, b->d, b->len) : skm_feed_data(w, &out_sink);
        if (rc)
            goto done;
        pos = off[i] + len[i];
    }
done:
    free(strs.d);
    free(tdir.d);
    if (rc == SKC_E_IO)
        skc_set_error(w->s, rc, "cannot write the output");
    return rc;
}

int skm_write(skc_session *s, const skc_model *m, skc_stream *out)
{
    skm_writer w;
    char stamp[32];
    uint32_t i;
    int rc;

    memset(&w, 0, sizeof(w));
    w.s = s;
    skm_timestamp(stamp, sizeof(stamp));
    if ((rc = skm_write_graph(&w, m)) ||
        (rc = skm_write_meta(&w, m, stamp)))
        goto done;
    rc = skm_emit(&w, out);
done:
    for (i = 0; i < w.n_ten; i++)
        free(w.ten[i].idx);
    free(w.ten);
    free(w.ten_slot);
    free(w.str);
    free(w.str_len);
    free(w.str_slot);
    free(w.grph.d);
    free(w.meta.d);
    return rc;
}
