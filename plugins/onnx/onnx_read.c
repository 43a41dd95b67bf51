/* SPDX-License-Identifier: MIT */
/* onnx_read.c: the ONNX reader's probe, the hardened protobuf unpacking and the model-level fields (opsets, metadata). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_read.h"

int onnx_rfail(onnx_reader *r, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return skc_set_error(r->s, code, "ONNX: %s", msg);
}

/* ------------------------------------------------------------------ */
/* Protobuf wire format                                                */
/* ------------------------------------------------------------------ */

int onnx_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    int shift;

    for (shift = 0; shift < 70 && *pos < n; shift += 7) {
        uint8_t b = p[(*pos)++];
        if (shift == 63 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

int onnx_field(const uint8_t *p, size_t n, size_t *pos, uint64_t *key, const uint8_t **sub,
               size_t *sublen)
{
    if (onnx_varint(p, n, pos, key))
        return -1;
    return onnx_skip(p, n, pos, (int)(*key & 7), sub, sublen);
}

int onnx_skip(const uint8_t *p, size_t n, size_t *pos, int wt, const uint8_t **sub,
                     size_t *sublen)
{
    uint64_t v;

    switch (wt) {
    case 0:
        return onnx_varint(p, n, pos, &v);
    case 1:
        if (n - *pos < 8)
            return -1;
        *pos += 8;
        return 0;
    case 5:
        if (n - *pos < 4)
            return -1;
        *pos += 4;
        return 0;
    case 2:
        if (onnx_varint(p, n, pos, &v) || v > n - *pos)
            return -1;
        if (sub) {
            *sub = p + *pos;
            *sublen = (size_t)v;
        }
        *pos += (size_t)v;
        return 0;
    default:
        return -1;
    }
}

/* ModelProto fields (onnx.proto) and the wire type each uses. */
static int onnx_model_field_ok(uint64_t field, int wt)
{
    switch (field) {
    case 1: case 5:                             return wt == 0;
    case 2: case 3: case 4: case 6: case 7:
    case 8: case 14: case 20: case 25:          return wt == 2;
    default:                                    return 0;
    }
}

/* The first bytes of a GraphProto: its first field must be one of the
 * graph's (node, name, initializer, doc, inputs, outputs, value_info...). */
static int onnx_graph_head_ok(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    uint64_t key;

    if (n == 0)
        return 1;
    if (onnx_varint(p, n, &pos, &key))
        return 0;
    switch (key >> 3) {
    case 1: case 2: case 5: case 10: case 11: case 12: case 13: case 14: case 15:
        return (key & 7) == 2;
    default:
        return 0;
    }
}

/* Score: the fields of a ModelProto in a plausible order, ir_version a
 * small number, and a graph whose first field is a graph's. Pickles,
 * zlib streams and .skm files fail at the first key. */
int onnx_read_probe(const skc_probe_data *p)
{
    size_t pos = 0, n = p->size;
    int seen_ir = 0, fields = 0;
    uint64_t key, v;

    while (pos < n && fields < 64) {
        uint64_t field;
        int wt;
        const uint8_t *sub = NULL;
        size_t sublen = 0, at;
        if (onnx_varint(p->buf, n, &pos, &key))
            break;
        field = key >> 3;
        wt = (int)(key & 7);
        if (!onnx_model_field_ok(field, wt))
            return 0;
        at = pos;
        if (field == 1) {
            if (onnx_varint(p->buf, n, &pos, &v) || v < 1 || v > 64)
                return 0;
            seen_ir = fields == 0;
            fields++;
            continue;
        }
        if (wt == 2) {
            if (onnx_varint(p->buf, n, &at, &v))
                break;
            if (field == 7) {
                size_t avail = n - at;
                if (!onnx_graph_head_ok(p->buf + at, v < avail ? (size_t)v : avail))
                    return 0;
                return seen_ir ? 80 : 60;
            }
        }
        /* A field cut by the end of the probe buffer is not an error. */
        if (onnx_skip(p->buf, n, &pos, wt, &sub, &sublen))
            break;
        fields++;
    }
    return seen_ir && fields >= 2 ? 40 : 0;
}

/* Nesting depth before protobuf-c's recursive unpacking sees the bytes: a
 * hostile file nests graphs in attributes in graphs until the stack ends.
 * The descriptors say which fields are messages. */
static int onnx_prescan(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n,
                        uint32_t depth, uint32_t max_depth)
{
    size_t pos = 0;
    uint64_t key;

    if (depth > max_depth)
        return SKC_E_LIMIT;
    while (pos < n) {
        const ProtobufCFieldDescriptor *f;
        const uint8_t *sub = NULL;
        size_t sublen = 0;
        int wt, rc;
        if (onnx_varint(p, n, &pos, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
            return SKC_E_FORMAT;
        wt = (int)(key & 7);
        if (onnx_skip(p, n, &pos, wt, &sub, &sublen))
            return SKC_E_FORMAT;
        f = protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && wt == 2 &&
            (rc = onnx_prescan(f->descriptor, sub, sublen, depth + 1, max_depth)))
            return rc;
    }
    return SKC_OK;
}

/* protobuf-c allocates every message, array and string it unpacks; an
 * empty repeated message costs two bytes in the file and a struct in
 * memory, so the total is capped.
 *
 * Small blocks (messages, and the millions of short strings of a large
 * tree ensemble's nodes_modes) come from chunks freed together when the
 * read ends; freeing one is a no-op. Larger blocks (the packed arrays)
 * are malloc'd one by one with a size header, so that an int64 array can
 * outlive the message inside a tensor (onnx_read_release). */
#define ONNX_SMALL 256u                   /* at most this size from a chunk */
#define ONNX_CHUNK ((size_t)1 << 20)

typedef struct onnx_budget {
    size_t used, cap;
    int over;
    char **chunks;                        /* sorted by address */
    size_t n_chunks, cap_chunks;
    char *cur;                            /* free space of the last chunk */
    size_t left;
} onnx_budget;

typedef struct onnx_block {
    size_t size;
    max_align_t align;
} onnx_block;

static void *onnx_chunk_alloc(onnx_budget *b, size_t size)
{
    const size_t a = sizeof(max_align_t);
    void *p;

    size = (size + a - 1) / a * a;
    if (size > b->left) {
        char *c;
        if (ONNX_CHUNK > b->cap - b->used) {
            b->over = 1;
            return NULL;
        }
        if (b->n_chunks == b->cap_chunks) {
            size_t nc = b->cap_chunks ? 2 * b->cap_chunks : 16;
            char **v = realloc(b->chunks, nc * sizeof(*v));
            if (!v)
                return NULL;
            b->chunks = v;
            b->cap_chunks = nc;
        }
        /* Aligned to their size, so a block's chunk is its address with
         * the low bits cleared. */
        if (!(c = aligned_alloc(ONNX_CHUNK, ONNX_CHUNK)))
            return NULL;
        size_t at = b->n_chunks;
        while (at > 0 && (uintptr_t)b->chunks[at - 1] > (uintptr_t)c) {
            b->chunks[at] = b->chunks[at - 1];
            at--;
        }
        b->chunks[at] = c;
        b->n_chunks++;
        b->used += ONNX_CHUNK;
        b->cur = c;
        b->left = ONNX_CHUNK;
    }
    p = b->cur;
    b->cur += size;
    b->left -= size;
    return p;
}

/* Whether @p ptr lies in one of the chunks: a binary search for its
 * chunk-aligned base. */
static int onnx_in_chunk(const onnx_budget *b, const void *ptr)
{
    uintptr_t base = (uintptr_t)ptr & ~(uintptr_t)(ONNX_CHUNK - 1);
    size_t lo = 0, hi = b->n_chunks;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)b->chunks[mid] == base)
            return 1;
        if ((uintptr_t)b->chunks[mid] < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static void *onnx_budget_alloc(void *data, size_t size)
{
    onnx_budget *b = data;
    onnx_block *blk;

    if (size <= ONNX_SMALL)
        return onnx_chunk_alloc(b, size ? size : 1);
    if (size > b->cap - b->used || size > SIZE_MAX - sizeof(onnx_block)) {
        b->over = 1;
        return NULL;
    }
    blk = malloc(sizeof(onnx_block) + size);
    if (!blk)
        return NULL;
    blk->size = size;
    b->used += size;
    return &blk->align;
}

static void onnx_budget_free(void *data, void *ptr)
{
    onnx_budget *b = data;
    onnx_block *blk;

    if (!ptr || onnx_in_chunk(b, ptr))
        return;
    blk = (onnx_block *)(void *)((char *)ptr - offsetof(onnx_block, align));
    b->used -= blk->size;
    free(blk);
}

static void onnx_budget_release(onnx_budget *b)
{
    size_t i;

    for (i = 0; i < b->n_chunks; i++)
        free(b->chunks[i]);
    free(b->chunks);
    memset(b, 0, sizeof(*b));
}

int onnx_read_owned(size_t size)
{
    return size > ONNX_SMALL;
}

void onnx_read_release(void *array)
{
    if (array)
        free((char *)array - offsetof(onnx_block, align));
}

/* ------------------------------------------------------------------ */
/* The model                                                           */
/* ------------------------------------------------------------------ */

static int onnx_read_opsets(onnx_reader *r, const Onnx__ModelProto *mp)
{
    size_t i;

    for (i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        const char *d = o->domain ? o->domain : "";
        if (!o->has_version || o->version < 1)
            return onnx_rfail(r, SKC_E_FORMAT, "opset_import for domain '%s' has no version", d);
        if (!*d || strcmp(d, "ai.onnx") == 0)
            r->opset = o->version;
        else if (strcmp(d, "ai.onnx.ml") == 0)
            r->ml_opset = o->version;
    }
    /* IR version 3 files may lack opset_import for the default domain;
     * ONNX then means opset 1, which nothing reads differently here
     * from the earliest opsets we handle. */
    if (r->opset == 0)
        r->opset = 1;
    return SKC_OK;
}

static int onnx_read_meta(onnx_reader *r, const Onnx__ModelProto *mp)
{
    char buf[32];
    size_t i;
    int rc;

    for (i = 0; i < mp->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
        if (!e->key || !*e->key)
            continue;
        if ((rc = skc_model_set_meta(r->m, e->key, e->value ? e->value : "")))
            return rc;
    }
    if (!skc_model_get_meta(r->m, "source.format") &&
        (rc = skc_model_set_meta(r->m, "source.format", "onnx")))
        return rc;
    if (mp->producer_name && *mp->producer_name &&
        (rc = skc_model_set_meta(r->m, "onnx.producer_name", mp->producer_name)))
        return rc;
    if (mp->producer_version && *mp->producer_version &&
        (rc = skc_model_set_meta(r->m, "onnx.producer_version", mp->producer_version)))
        return rc;
    snprintf(buf, sizeof(buf), "%lld", (long long)mp->ir_version);
    if ((rc = skc_model_set_meta(r->m, "onnx.ir_version", buf)))
        return rc;
    snprintf(buf, sizeof(buf), "%lld", (long long)r->opset);
    if ((rc = skc_model_set_meta(r->m, "onnx.opset", buf)))
        return rc;
    if (r->ml_opset) {
        snprintf(buf, sizeof(buf), "%lld", (long long)r->ml_opset);
        if ((rc = skc_model_set_meta(r->m, "onnx.ml_opset", buf)))
            return rc;
    }
    return SKC_OK;
}

int onnx_read_model(skc_session *s, skc_stream *in, skc_model **out)
{
    onnx_reader r;
    onnx_budget budget;
    ProtobufCAllocator alloc = { onnx_budget_alloc, onnx_budget_free, &budget };
    Onnx__ModelProto *mp = NULL;
    const uint8_t *data;
    uint8_t *copy = NULL;
    size_t size, copy_len = 0;
    char err[512];
    int rc;

    memset(&r, 0, sizeof(r));
    memset(&budget, 0, sizeof(budget));
    r.s = s;
    r.in = in;
    r.lim = skc_session_limits(s);
    if ((rc = skc_stream_map(in, &data, &size)))
        return skc_set_error(s, rc, "ONNX: cannot read the input");
    if (r.lim && size > r.lim->max_bytes)
        return onnx_rfail(&r, SKC_E_LIMIT, "the file has %zu bytes, over the limit of %llu "
                          "(max_bytes)", size, (unsigned long long)r.lim->max_bytes);
    /* protobuf caps a message at 2 GiB; ONNX models beyond need external data. */
    if (size > (size_t)INT32_MAX)
        return onnx_rfail(&r, SKC_E_LIMIT, "the file has %zu bytes, over protobuf's 2 GiB", size);
    /* Unpacked messages take a few times the file's bytes; this cap leaves
     * room for any real model and stops amplification. */
    budget.cap = size > (SIZE_MAX - (64u << 20)) / 16 ? SIZE_MAX : 16 * size + (64u << 20);
    r.cap_bytes = budget.cap;
    /* A large tree ensemble's lists stay in the file's bytes (decoded
     * straight into compact arrays when the node is lifted, each list's
     * framing checked there); protobuf-c unpacks the rest, so that is
     * what the prescan checks. */
    if ((rc = onnx_split_lists(&r, data, size, &copy, &copy_len)))
        goto done;
    rc = onnx_prescan(&onnx__model_proto__descriptor, copy ? copy : data,
                      copy ? copy_len : size, 0,
                      r.lim && r.lim->max_depth ? r.lim->max_depth : 64);
    if (rc == SKC_E_LIMIT)
        rc = onnx_rfail(&r, rc, "messages nest deeper than %u levels (max_depth)",
                        r.lim && r.lim->max_depth ? r.lim->max_depth : 64);
    else if (rc)
        rc = onnx_rfail(&r, rc, "not a valid protobuf message (truncated or damaged)");
    if (rc)
        goto done;
    mp = copy ? onnx__model_proto__unpack(&alloc, copy_len, copy)
              : onnx__model_proto__unpack(&alloc, size, data);
    free(copy);
    copy = NULL;
    if (!mp) {
        rc = budget.over ? onnx_rfail(&r, SKC_E_LIMIT, "unpacking needs more than %zu bytes "
                                      "of memory", budget.cap)
                         : onnx_rfail(&r, SKC_E_FORMAT, "not a valid ONNX ModelProto "
                                      "(damaged protobuf)");
        onnx_budget_release(&budget);
        free(r.spans);
        return rc;
    }
    if (!mp->graph) {
        rc = onnx_rfail(&r, SKC_E_FORMAT, "the model has no graph");
        goto done;
    }
    if (mp->n_training_info || mp->n_functions) {
        rc = onnx_rfail(&r, SKC_E_UNSUPPORTED, "model-local functions and training info are not "
                        "supported");
        goto done;
    }
    r.alloc = &alloc;
    r.top = mp->graph;
    if ((rc = onnx_read_opsets(&r, mp)) || (rc = skc_model_new(&r.m)))
        goto done;
    if ((rc = onnx_read_graph(&r, mp->graph)) || (rc = onnx_read_meta(&r, mp)))
        goto done;
    if ((rc = skc_model_validate(r.m, err, sizeof(err)))) {
        rc = onnx_rfail(&r, rc == SKC_E_UNSUPPORTED ? rc : SKC_E_FORMAT, "%s", err);
        goto done;
    }
    *out = r.m;
    r.m = NULL;
done:
    if (rc == SKC_E_NOMEM && !*skc_session_error(s))
        skc_set_error(s, rc, "ONNX: out of memory");
    skc_model_free(r.m);
    onnx_rmap_free(&r.names);
    free(r.spans);
    free(copy);
    onnx_read_external_end(&r);
    if (mp)
        onnx__model_proto__free_unpacked(mp, &alloc);
    onnx_budget_release(&budget);
    /* Everything is copied out of the file: its pages need not stay. */
    skc_stream_drop(in, data, size);
    return rc;
}
