/* SPDX-License-Identifier: MIT */
/* onnx_read_tree.c: large TreeEnsemble nodes read from the protobuf bytes: their lists kept out of protobuf-c, decoded into compact arrays and lifted into the core's tree_ensemble. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_read.h"
#include "onnx_wire.h"

/*
 * protobuf-c unpacks a repeated int64 into an int64 array and every
 * nodes_modes entry into its own string: a forest of millions of nodes
 * then costs several times its file. The lists of TreeEnsembleRegressor
 * and TreeEnsembleClassifier nodes of the top-level graph are therefore
 * found in the ModelProto bytes first (onnx.proto: ModelProto.graph = 7,
 * GraphProto.node = 1, NodeProto.attribute = 5), left out of the copy
 * protobuf-c unpacks, and decoded here one value at a time.
 *
 * A TreeEnsembleRegressor with BRANCH_LEQ splits only (what skconv
 * writes) is computed by the core's tree_ensemble exactly as ONNX Runtime
 * computes it: x <= (double)float threshold, leaf weights added in tree
 * order, in double for double inputs and in float for float inputs
 * (sum_float32; a float X first goes through an exact Cast to double),
 * the float Y a Cast. It is lifted into that op, whose node arrays are
 * the compact form (core/OPS.md "tree_ensemble"). Every other node, and any node whose
 * lists do not make proper trees, stays a mirror op whose attributes are
 * the lists as onnx_read_attrs would have copied them, so the mirror
 * evaluator reports what is wrong.
 */

/* ------------------------------------------------------------------ */
/* Finding the lists                                                   */
/* ------------------------------------------------------------------ */

static const char *const tl_list_names[] = {
    "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
    "nodes_hitrates", "nodes_truenodeids", "nodes_falsenodeids",
    "nodes_missing_value_tracks_true", "target_ids", "target_nodeids", "target_treeids",
    "target_weights", "class_ids", "class_nodeids", "class_treeids", "class_weights"
};

enum { TL_FLOATS = 7, TL_INTS = 8, TL_STRINGS = 9 };  /* AttributeProto field numbers */

static int tl_eq(const uint8_t *p, size_t n, const char *s)
{
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Whether AttributeProto @p p is one of the lists, with nothing but its
 * name, type, doc string and values of the one kind its type names. */
static int tl_attr_head(const uint8_t *p, size_t n, onnx_span *sp)
{
    size_t pos = 0, i;
    uint64_t key, type = 0;
    int kinds = 0, have_type = 0, known = 0;

    sp->name = NULL;
    sp->name_len = 0;
    while (pos < n) {
        const uint8_t *sub = NULL;
        size_t sublen = 0, at;
        int wt;
        /* A run of short strings (nodes_modes: millions of them) in a
         * tight loop: key byte, one-byte length, bytes. */
        if (p[pos] == ((TL_STRINGS << 3) | 2)) {
            while (pos + 2 <= n && p[pos] == ((TL_STRINGS << 3) | 2) && p[pos + 1] < 0x80 &&
                   p[pos + 1] <= n - pos - 2)
                pos += 2 + (size_t)p[pos + 1];
            kinds |= 1 << TL_STRINGS;
            if (pos >= n)
                break;
        }
        if (onnx_varint(p, n, &pos, &key))
            return 0;
        wt = (int)(key & 7);
        at = pos;
        if (onnx_skip(p, n, &pos, wt, &sub, &sublen))
            return 0;
        switch (key >> 3) {
        case 1:
            if (wt != 2)
                return 0;
            sp->name = sub;
            sp->name_len = sublen;
            break;
        case 20:
            if (wt != 0 || onnx_varint(p, n, &at, &type))
                return 0;
            have_type = 1;
            break;
        case 13:
            break;
        case TL_FLOATS: case TL_INTS: case TL_STRINGS:
            kinds |= 1 << (key >> 3);
            break;
        default:
            return 0;
        }
    }
    if (!sp->name)
        return 0;
    for (i = 0; i < sizeof(tl_list_names) / sizeof(tl_list_names[0]); i++)
        known |= tl_eq(sp->name, sp->name_len, tl_list_names[i]);
    if (!known)
        return 0;
    if (!have_type) {
        /* Before IR version 3 the values say the type (onnx_attr_type). */
        if (kinds == 1 << TL_FLOATS)
            type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
        else if (kinds == 1 << TL_INTS)
            type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        else if (kinds == 1 << TL_STRINGS)
            type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
        else
            return 0;
    }
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:  known = TL_FLOATS; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:    known = TL_INTS; break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: known = TL_STRINGS; break;
    default:                                             return 0;
    }
    if (kinds & ~(1 << known))
        return 0;
    sp->type = (int)type;
    sp->p = p;
    sp->n = n;
    return 1;
}

/* The node's op_type and domain (the last of each, as protobuf reads). */
static int tl_is_tree_node(const uint8_t *p, size_t n)
{
    const uint8_t *op = NULL, *dom = NULL;
    size_t pos = 0, op_len = 0, dom_len = 0;
    uint64_t key;

    while (pos < n) {
        const uint8_t *sub = NULL;
        size_t sublen = 0;
        int wt;
        if (onnx_field(p, n, &pos, &key, &sub, &sublen))
            return 0;
        wt = (int)(key & 7);
        if ((key >> 3) == 4 && wt == 2) {
            op = sub;
            op_len = sublen;
        } else if ((key >> 3) == 7 && wt == 2) {
            dom = sub;
            dom_len = sublen;
        }
    }
    return op && dom && tl_eq(dom, dom_len, "ai.onnx.ml") &&
           (tl_eq(op, op_len, "TreeEnsembleRegressor") || tl_eq(op, op_len, "TreeEnsembleClassifier"));
}

static int tl_add_span(onnx_reader *r, size_t *cap, const onnx_span *sp)
{
    if (r->n_spans == *cap) {
        size_t nc = *cap ? 2 * *cap : 32;
        onnx_span *v = realloc(r->spans, nc * sizeof(*v));
        if (!v)
            return SKC_E_NOMEM;
        r->spans = v;
        *cap = nc;
    }
    r->spans[r->n_spans++] = *sp;
    return SKC_OK;
}

/* The graph's fields, each node without its spans: the bytes when @p q
 * is not NULL, else only their count. */
static size_t tl_write_graph(const onnx_reader *r, const uint8_t *g, size_t gn, uint8_t *q)
{
    size_t pos = 0, out = 0, node = 0, k = 0;
    uint64_t key;

    while (pos < gn) {
        const uint8_t *sub = NULL, *start = g + pos;
        size_t sublen = 0, removed = 0, j, from;
        int wt;
        /* Checked by onnx_split_lists's walk. */
        onnx_field(g, gn, &pos, &key, &sub, &sublen);
        wt = (int)(key & 7);
        if ((key >> 3) != 1 || wt != 2 || k >= r->n_spans || r->spans[k].node != node) {
            if (q)
                memcpy(q + out, start, (size_t)(g + pos - start));
            out += (size_t)(g + pos - start);
            node += (key >> 3) == 1 && wt == 2;
            continue;
        }
        for (j = k; j < r->n_spans && r->spans[j].node == node; j++)
            removed += r->spans[j].field_len;
        if (q) {
            q[out] = 0x0a;                            /* field 1, wire type 2 */
            onnx_put_varint(q + out + 1, sublen - removed);
        }
        out += 1 + onnx_varint_len(sublen - removed);
        from = 0;
        for (; k < j; k++) {
            size_t at = (size_t)(r->spans[k].field - sub);
            if (q)
                memcpy(q + out, sub + from, at - from);
            out += at - from;
            from = at + r->spans[k].field_len;
        }
        if (q)
            memcpy(q + out, sub + from, sublen - from);
        out += sublen - from;
        node++;
    }
    return out;
}

int onnx_split_lists(onnx_reader *r, const uint8_t *data, size_t size, uint8_t **copy,
                     size_t *copy_len)
{
    const uint8_t *g = NULL, *gfield = NULL;
    size_t pos = 0, gn = 0, gfield_len = 0, cap = 0, node = 0, glen, total;
    uint64_t key;
    int graphs = 0, rc;
    uint8_t *q;

    *copy = NULL;
    *copy_len = 0;
    /* This walk runs before the prescan, so it checks the framing of what
     * it reads (the model, the graph, tree nodes, their attributes) and
     * splits nothing out of bytes that are damaged; the prescan then
     * checks the copy, which is what protobuf-c unpacks. */
    while (pos < size) {
        const uint8_t *sub = NULL, *start = data + pos;
        size_t sublen = 0;
        int wt;
        if (onnx_field(data, size, &pos, &key, &sub, &sublen))
            return SKC_OK;
        wt = (int)(key & 7);
        if ((key >> 3) == 7 && wt == 2) {
            graphs++;
            g = sub;
            gn = sublen;
            gfield = start;
            gfield_len = (size_t)(data + pos - start);
        }
    }
    /* Several graph fields merge into one message: leave that to protobuf-c. */
    if (graphs != 1)
        return SKC_OK;
    for (pos = 0; pos < gn;) {
        const uint8_t *sub = NULL;
        size_t sublen = 0, npos = 0;
        if (onnx_field(g, gn, &pos, &key, &sub, &sublen))
            return SKC_OK;
        if ((key >> 3) != 1 || (key & 7) != 2)
            continue;
        if (tl_is_tree_node(sub, sublen)) {
            while (npos < sublen) {
                const uint8_t *a = NULL, *fstart = sub + npos;
                size_t alen = 0;
                onnx_span sp;
                int awt;
                if (onnx_field(sub, sublen, &npos, &key, &a, &alen)) {
                    r->n_spans = 0;   /* damaged: the prescan says where */
                    return SKC_OK;
                }
                awt = (int)(key & 7);
                if ((key >> 3) != 5 || awt != 2 || !tl_attr_head(a, alen, &sp))
                    continue;
                sp.node = node;
                sp.field = fstart;
                sp.field_len = (size_t)(sub + npos - fstart);
                if ((rc = tl_add_span(r, &cap, &sp)))
                    return rc;
            }
        }
        node++;
    }
    if (!r->n_spans)
        return SKC_OK;
    glen = tl_write_graph(r, g, gn, NULL);
    total = (size_t)(gfield - data) + 1 + onnx_varint_len(glen) + glen +
            (size - (size_t)(gfield - data) - gfield_len);
    if (!(q = malloc(total ? total : 1)))
        return SKC_E_NOMEM;
    memcpy(q, data, (size_t)(gfield - data));
    pos = (size_t)(gfield - data);
    q[pos++] = 0x3a;                                  /* field 7, wire type 2 */
    pos = (size_t)(onnx_put_varint(q + pos, glen) - q);
    tl_write_graph(r, g, gn, q + pos);
    pos += glen;
    memcpy(q + pos, gfield + gfield_len, size - (size_t)(gfield + gfield_len - data));
    *copy = q;
    *copy_len = total;
    return SKC_OK;
}

const onnx_span *onnx_spans_of(const onnx_reader *r, size_t node, size_t *n)
{
    size_t lo = 0, hi = r->n_spans, end;

    *n = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->spans[mid].node < node)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (end = lo; end < r->n_spans && r->spans[end].node == node; end++)
        ;
    *n = end - lo;
    return *n ? &r->spans[lo] : NULL;
}

/* ------------------------------------------------------------------ */
/* Reading the lists                                                   */
/* ------------------------------------------------------------------ */

/* The values of one list in order, packed or not (proto2 repeated fields
 * may come either way, and in several runs). */
typedef struct tl_cur {
    const onnx_span *sp;
    size_t pos;
    const uint8_t *q;        /* the packed run being read */
    size_t qn, qpos;
    int fld;
} tl_cur;

static int tl_field(const onnx_span *sp)
{
    return sp->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ? TL_FLOATS :
           sp->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS ? TL_INTS : TL_STRINGS;
}

static void tl_cur_init(tl_cur *c, const onnx_span *sp)
{
    memset(c, 0, sizeof(*c));
    c->sp = sp;
    c->fld = tl_field(sp);
}

static float tl_f32(const uint8_t *b)
{
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                 (uint32_t)b[3] << 24;
    float f;

    memcpy(&f, &u, sizeof(f));
    return f;
}

/* The next value (ints in *v, floats in *f, strings in *s, *len): 1, or 0
 * at the end, or -1 when the bytes are damaged. */
static int tl_next(tl_cur *c, uint64_t *v, float *f, const uint8_t **s, size_t *len)
{
    const uint8_t *p = c->sp->p;
    size_t n = c->sp->n;

    for (;;) {
        const uint8_t *sub = NULL;
        size_t sublen = 0;
        uint64_t key;
        int wt;
        if (c->qpos < c->qn) {
            if (c->fld == TL_INTS) {
                /* Most ids and flags fit one byte. */
                if (c->q[c->qpos] < 0x80) {
                    *v = c->q[c->qpos++];
                    return 1;
                }
                return onnx_varint(c->q, c->qn, &c->qpos, v) ? -1 : 1;
            }
            *f = tl_f32(c->q + c->qpos);      /* runs are whole floats */
            c->qpos += 4;
            return 1;
        }
        if (c->pos >= n)
            return 0;
        if (onnx_varint(p, n, &c->pos, &key))
            return -1;
        wt = (int)(key & 7);
        if ((key >> 3) != (uint64_t)c->fld) {
            if (onnx_skip(p, n, &c->pos, wt, NULL, NULL))
                return -1;
            continue;
        }
        if (c->fld == TL_INTS && wt == 0)
            return onnx_varint(p, n, &c->pos, v) ? -1 : 1;
        if (c->fld == TL_FLOATS && wt == 5) {
            if (n - c->pos < 4)
                return -1;
            *f = tl_f32(p + c->pos);
            c->pos += 4;
            return 1;
        }
        if (wt != 2 || onnx_skip(p, n, &c->pos, wt, &sub, &sublen))
            return -1;
        if (c->fld == TL_STRINGS) {
            *s = sub;
            *len = sublen;
            return 1;
        }
        if (c->fld == TL_FLOATS && sublen % 4)
            return -1;
        c->q = sub;
        c->qn = sublen;
        c->qpos = 0;
    }
}

/* The next string of a strings cursor: the common short field (key
 * byte, one-byte length, bytes, all inside the list) inline, anything
 * else through tl_next. 1, 0 at the end, -1 when damaged. */
static int tl_next_str(tl_cur *c, const uint8_t **s, size_t *len)
{
    const uint8_t *p = c->sp->p;
    size_t n = c->sp->n, pos = c->pos;
    uint64_t dummy;
    float f;

    if (pos + 2 <= n && p[pos] == ((TL_STRINGS << 3) | 2) && p[pos + 1] < 0x80 &&
        p[pos + 1] <= n - pos - 2) {
        *len = p[pos + 1];
        *s = p + pos + 2;
        c->pos = pos + 2 + *len;
        return 1;
    }
    return tl_next(c, &dummy, &f, s, len);
}

/* How many varints end among the 8 bytes at @p p: a varint ends at each
 * byte below 0x80 (one bit per such byte, summed by a multiply). */
static int64_t tl_ends8(const uint8_t *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
    w = ~w & UINT64_C(0x8080808080808080);
    return (int64_t)(((w >> 7) * UINT64_C(0x0101010101010101)) >> 56);
}

/* How many values the list holds; -1 when its framing is damaged (a
 * packed run that ends inside a varint or a float). */
static int64_t tl_count(const onnx_span *sp)
{
    const uint8_t *p = sp->p;
    size_t pos = 0, n = sp->n, i;
    int64_t count = 0;
    int fld = tl_field(sp);

    while (pos < n) {
        const uint8_t *sub = NULL;
        size_t sublen = 0;
        uint64_t key;
        int wt;
        if (onnx_field(p, n, &pos, &key, &sub, &sublen))
            return -1;
        wt = (int)(key & 7);
        if ((key >> 3) != (uint64_t)fld)
            continue;
        if ((fld == TL_INTS && wt == 0) || (fld == TL_FLOATS && wt == 5)) {
            count++;
        } else if (wt != 2) {
            return -1;
        } else if (fld == TL_STRINGS) {
            count++;
        } else if (fld == TL_FLOATS) {
            if (sublen % 4)
                return -1;
            count += (int64_t)(sublen / 4);
        } else {
            /* A varint ends at each byte below 0x80. */
            if (sublen && (sub[sublen - 1] & 0x80))
                return -1;
            for (i = 0; i + 8 <= sublen; i += 8)
                count += tl_ends8(sub + i);
            for (; i < sublen; i++)
                count += sub[i] < 0x80;
        }
    }
    return count;
}

static void tl_what(const Onnx__NodeProto *n, const onnx_span *sp, char *what, size_t len)
{
    snprintf(what, len, "node '%.60s' (%.40s) attribute '%.*s'", n->name ? n->name : "",
             n->op_type ? n->op_type : "", (int)(sp->name_len > 60 ? 60 : sp->name_len),
             (const char *)sp->name);
}

/* One span as the tensor onnx_attr_list makes of an unpacked list. */
static int tl_tensor(onnx_reader *r, const onnx_span *sp, const char *what, skc_tensor **out)
{
    int64_t count = tl_count(sp), k;
    skc_tensor *t = NULL;
    tl_cur c;
    void *d;
    int rc, dt;

    if (count < 0)
        return onnx_rfail(r, SKC_E_FORMAT, "%s: the list is damaged (a value is cut short)", what);
    if (r->lim && (uint64_t)count > r->lim->max_elements)
        return onnx_rfail(r, SKC_E_LIMIT, "%s: %lld values (max_elements)", what, (long long)count);
    dt = sp->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ? SKC_DT_F64 :
         sp->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS ? SKC_DT_I64 : SKC_DT_STRING;
    if ((rc = skc_tensor_new(dt, 1, &count, &t)))
        return rc;
    d = dt == SKC_DT_STRING ? NULL : skc_tensor_data_mut(t);
    if (dt != SKC_DT_STRING && !d && count) {
        skc_tensor_free(t);
        return SKC_E_NOMEM;
    }
    tl_cur_init(&c, sp);
    for (k = 0; k < count; k++) {
        const uint8_t *s = NULL;
        size_t len = 0;
        uint64_t v = 0;
        float f = 0;
        if (tl_next(&c, &v, &f, &s, &len) != 1) {
            rc = onnx_rfail(r, SKC_E_FORMAT, "%s: the list is damaged (a value is cut short)", what);
            break;
        }
        if (dt == SKC_DT_F64) {
            ((double *)d)[k] = f;
        } else if (dt == SKC_DT_I64) {
            ((int64_t *)d)[k] = (int64_t)v;
        } else if (len && memchr(s, 0, len)) {
            rc = onnx_rfail(r, SKC_E_UNSUPPORTED, "%s: string %lld holds a NUL byte", what,
                            (long long)k);
            break;
        } else if ((rc = skc_tensor_set_string(t, k, (const char *)s, len))) {
            break;
        }
    }
    if (rc) {
        skc_tensor_free(t);
        return rc;
    }
    *out = t;
    return SKC_OK;
}

int onnx_read_span_attrs(onnx_reader *r, const Onnx__NodeProto *n, const onnx_span *sp,
                         size_t ns, skc_step *st)
{
    char what[256], key[128];
    size_t i, j;
    int rc;

    for (i = 0; i < ns; i++) {
        skc_tensor *t = NULL;
        tl_what(n, &sp[i], what, sizeof(what));
        for (j = 0; j < n->n_attribute; j++)
            if (n->attribute[j]->name && tl_eq(sp[i].name, sp[i].name_len, n->attribute[j]->name))
                return onnx_rfail(r, SKC_E_FORMAT, "%s is given twice", what);
        for (j = 0; j < i; j++)
            if (sp[j].name_len == sp[i].name_len && !memcmp(sp[j].name, sp[i].name, sp[i].name_len))
                return onnx_rfail(r, SKC_E_FORMAT, "%s is given twice", what);
        /* The name is one of tl_list_names. */
        snprintf(key, sizeof(key), "%.*s", (int)sp[i].name_len, (const char *)sp[i].name);
        if ((rc = tl_tensor(r, &sp[i], what, &t)))
            return rc;
        /* Decoded: the file's pages of the list can go. */
        skc_stream_drop(r->in, sp[i].p, sp[i].n);
        rc = skc_step_set_tensor(st, key, t);
        skc_tensor_free(t);
        if (rc)
            return rc;
    }
    return SKC_OK;
}

/* ------------------------------------------------------------------ */
/* Lifting into tree_ensemble                                          */
/* ------------------------------------------------------------------ */

enum { L_TREE, L_NODE, L_FEAT, L_MODE, L_VAL, L_TRUE, L_FALSE, L_MISS, L_WTREE, L_WNODE,
       L_WID, L_W, L_N };

static const char *const tl_lift_names[L_N] = {
    "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
    "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
    "target_treeids", "target_nodeids", "target_ids", "target_weights"
};

/* A run of nodes with one tree id (ONNX Runtime: each run is a tree whose
 * root is its first node); its node ids must be first .. first + len - 1,
 * in any order. */
typedef struct tl_run {
    int64_t tree, first, last, start, len;
} tl_run;

typedef struct tl_tree_key {
    int64_t tree, run;
} tl_tree_key;

typedef struct tl_lift {
    int64_t n, nw, n_targets, n_runs, cap_runs, n_leaves, max_len;
    tl_run *runs;
    tl_tree_key *keys;       /* runs by tree id */
    int32_t *at;             /* run start + (node id - first) -> list index;
                              * NULL when each run lists its ids in order */
    int32_t *feat, *left, *right;    /* right < 0 marks a leaf */
    double *thr;
    uint8_t *ml;
    int32_t *pos;            /* list index -> IR index; NULL when they agree */
    uint8_t *mark;           /* tl_votes: the value cells given a weight */
    int64_t *offsets;
    double *value;
} tl_lift;

static void tl_lift_free(tl_lift *t)
{
    free(t->runs);
    free(t->keys);
    free(t->at);
    free(t->feat);
    free(t->left);
    free(t->right);
    free(t->thr);
    free(t->ml);
    free(t->pos);
    free(t->offsets);
    free(t->value);
    free(t->mark);
}

static int tl_key_cmp(const void *pa, const void *pb)
{
    const tl_tree_key *a = pa, *b = pb;

    return (a->tree > b->tree) - (a->tree < b->tree);
}

/* List index of node @p id of run @p r; -1 outside it. Unsigned: ids
 * anywhere in int64 cannot overflow the difference. */
static int64_t tl_node(const tl_lift *t, const tl_run *r, int64_t id)
{
    if (id < r->first || (uint64_t)id - (uint64_t)r->first >= (uint64_t)r->len)
        return -1;
    id = r->start + (int64_t)((uint64_t)id - (uint64_t)r->first);
    return t->at ? t->at[id] : id;
}

/* Up to @p want ints (floats with @p f) into @p buf: the packed runs in a
 * tight loop. The count read, or -1 when the bytes are damaged. */
static int64_t tl_take(tl_cur *c, uint64_t *buf, float *f, int64_t want)
{
    int64_t k = 0;

    while (k < want) {
        const uint8_t *s;
        size_t len, pos = c->qpos;
        int rc;
        if (pos < c->qn && c->fld == TL_INTS) {
            /* Ids below 2^14 (most of them) take one or two bytes, in
             * no order a branch predictor learns: both are decoded
             * without a branch, longer ones by the general reader. */
            for (; k < want && pos + 1 < c->qn; k++) {
                uint32_t b0 = c->q[pos], b1 = c->q[pos + 1], more = b0 >> 7;
                if (more & (b1 >> 7)) {
                    if (onnx_varint(c->q, c->qn, &pos, &buf[k]))
                        return -1;
                    continue;
                }
                buf[k] = (b0 & 0x7f) | (((b1 & 0x7f) << 7) & (0u - more));
                pos += 1 + more;
            }
            for (; k < want && pos < c->qn; k++)
                if (onnx_varint(c->q, c->qn, &pos, &buf[k]))
                    return -1;
            c->qpos = pos;
            continue;
        }
        if (pos < c->qn && c->fld == TL_FLOATS) {
            for (; k < want && pos < c->qn; k++, pos += 4)
                f[k] = tl_f32(c->q + pos);
            c->qpos = pos;
            continue;
        }
        if ((rc = tl_next(c, buf ? &buf[k] : NULL, f ? &f[k] : NULL, &s, &len)) != 1)
            return rc < 0 ? -1 : k;
        k++;
    }
    return k;
}

#define TL_CHUNK 2048

/* Below this many nodes one thread is quicker. */
#define TL_THREAD_MIN 100000

/* One half of a pass (nodes, runs or weights [lo, hi)), on a thread of
 * its own or not. */
typedef struct tl_half {
    int (*fn)(struct tl_half *);
    tl_lift *t;
    const onnx_span *const *sp;
    int64_t lo, hi;
    int64_t from;        /* tl_place_part: the first leaf number;
                          * tl_votes_part: nonzero when both halves run
                          * at once (they share value and mark) */
    int rc;
    /* tl_runs_part: this half's runs, whether each lists its ids in
     * order, and the last id it read */
    tl_run *runs;
    int64_t n_runs, cap_runs, prev, first_nid;
    int sorted;
} tl_half;

static void *tl_half_main(void *arg)
{
    tl_half *h = arg;

    h->rc = h->lo < h->hi ? h->fn(h) : 1;
    return NULL;
}

/* @p fn over [0, mid) and [mid, n): on two threads when @p threaded (the
 * second half's own thread), else one after the other. 1 when both
 * halves return 1, else the first half's failure or the second's. */
static int tl_halves_of(tl_half *a, tl_half *b, int threaded)
{
    pthread_t th;
    int on = threaded && skc_threads() > 1 && pthread_create(&th, NULL, tl_half_main, b) == 0;

    tl_half_main(a);
    if (on)
        pthread_join(th, NULL);
    else if (a->rc == 1)
        tl_half_main(b);
    return a->rc != 1 ? a->rc : b->rc;
}

static int tl_halves(int (*fn)(tl_half *), tl_lift *t, const onnx_span *const *sp,
                     int64_t mid, int64_t n, int64_t from, int threaded)
{
    tl_half a = { .fn = fn, .t = t, .sp = sp, .lo = 0, .hi = mid };
    tl_half b = { .fn = fn, .t = t, .sp = sp, .lo = mid, .hi = n, .from = from };

    return tl_halves_of(&a, &b, threaded);
}

static int tl_skip(tl_cur *c, int64_t k);

/* The runs of nodes [lo, hi): tree and node ids a chunk at a time. */
static int tl_runs_part(tl_half *h)
{
    tl_cur ct, cn;
    int64_t i0;
    uint64_t tv[TL_CHUNK], nv[TL_CHUNK];

    h->sorted = 1;
    tl_cur_init(&ct, h->sp[L_TREE]);
    tl_cur_init(&cn, h->sp[L_NODE]);
    if (h->lo > 0 && (tl_skip(&ct, h->lo) || tl_skip(&cn, h->lo)))
        return 0;
    for (i0 = h->lo; i0 < h->hi; i0 += TL_CHUNK) {
        int64_t m = h->hi - i0 < TL_CHUNK ? h->hi - i0 : TL_CHUNK, k;
        if (tl_take(&ct, tv, NULL, m) != m || tl_take(&cn, nv, NULL, m) != m)
            return 0;
        for (k = 0; k < m; k++) {
            int64_t tid = (int64_t)tv[k], nid = (int64_t)nv[k];
            tl_run *r;
            if (i0 + k == h->lo)
                h->first_nid = nid;
            if (i0 + k == h->lo || tid != h->runs[h->n_runs - 1].tree) {
                if (h->n_runs == h->cap_runs) {
                    int64_t nc = h->cap_runs ? 2 * h->cap_runs : 64;
                    tl_run *v = realloc(h->runs, (size_t)nc * sizeof(*v));
                    if (!v)
                        return SKC_E_NOMEM;
                    h->runs = v;
                    h->cap_runs = nc;
                }
                r = &h->runs[h->n_runs++];
                r->tree = tid;
                r->first = r->last = nid;
                r->start = i0 + k;
                r->len = 0;
            }
            r = &h->runs[h->n_runs - 1];
            if (r->len && (h->prev == INT64_MAX || nid != h->prev + 1))
                h->sorted = 0;
            h->prev = nid;
            r->len++;
            if (nid < r->first)
                r->first = nid;
            if (nid > r->last)
                r->last = nid;
        }
    }
    return 1;
}

/* The runs, each a dense range of node ids, tree ids all distinct; for
 * a large ensemble the list is read in two halves on two threads and a
 * run cut by the middle is joined. */
static int tl_runs(tl_lift *t, const onnx_span *const *sp)
{
    int threaded = t->n >= TL_THREAD_MIN;
    int64_t i, mid = threaded ? t->n / 2 : t->n;
    tl_half a = { .fn = tl_runs_part, .t = t, .sp = sp, .lo = 0, .hi = mid };
    tl_half b = { .fn = tl_runs_part, .t = t, .sp = sp, .lo = mid, .hi = t->n };
    int rc = tl_halves_of(&a, &b, threaded), sorted = a.sorted && b.sorted;
    tl_cur cn;

    if (rc == 1 && b.n_runs > 0) {
        tl_run *first = &b.runs[0], *last = &a.runs[a.n_runs - 1];
        int64_t skip = 0;
        if (first->tree == last->tree) {
            /* The run goes on across the middle. */
            if (a.prev == INT64_MAX || b.first_nid != a.prev + 1)
                sorted = 0;
            if (first->first < last->first)
                last->first = first->first;
            if (first->last > last->last)
                last->last = first->last;
            last->len += first->len;
            skip = 1;
        }
        if (a.n_runs + b.n_runs - skip > a.cap_runs) {
            tl_run *v = realloc(a.runs, (size_t)(a.n_runs + b.n_runs) * sizeof(*v));
            if (!v)
                rc = SKC_E_NOMEM;
            else
                a.runs = v;
        }
        if (rc == 1) {
            memcpy(a.runs + a.n_runs, b.runs + skip, (size_t)(b.n_runs - skip) * sizeof(*b.runs));
            a.n_runs += b.n_runs - skip;
        }
    }
    free(b.runs);
    t->runs = a.runs;
    t->n_runs = a.n_runs;
    if (rc != 1)
        return rc;
    if (!(t->keys = malloc((size_t)t->n_runs * sizeof(*t->keys))))
        return SKC_E_NOMEM;
    for (i = 0; i < t->n_runs; i++) {
        const tl_run *r = &t->runs[i];
        if ((uint64_t)r->last - (uint64_t)r->first != (uint64_t)r->len - 1)
            return 0;
        if (r->len > t->max_len)
            t->max_len = r->len;
        t->keys[i].tree = r->tree;
        t->keys[i].run = i;
    }
    qsort(t->keys, (size_t)t->n_runs, sizeof(*t->keys), tl_key_cmp);
    for (i = 1; i < t->n_runs; i++)
        if (t->keys[i].tree == t->keys[i - 1].tree)
            return 0;
    if (sorted)
        return 1;
    if (!(t->at = malloc((size_t)t->n * sizeof(*t->at))))
        return SKC_E_NOMEM;
    memset(t->at, 0xff, (size_t)t->n * sizeof(*t->at));
    tl_cur_init(&cn, sp[L_NODE]);
    for (i = 0; i < t->n_runs; i++) {
        const tl_run *r = &t->runs[i];
        int64_t k;
        for (k = r->start; k < r->start + r->len; k++) {
            uint64_t nv = 0;
            float f;
            const uint8_t *s;
            size_t len;
            int32_t *slot;
            if (tl_next(&cn, &nv, &f, &s, &len) != 1)
                return 0;
            slot = &t->at[r->start + (int64_t)(nv - (uint64_t)r->first)];
            if (*slot >= 0)
                return 0;                               /* a node id twice */
            *slot = (int32_t)k;
        }
    }
    return 1;
}


/* Skip @p k values of a list: whole words of a packed run of varints at a
 * time (a varint ends at each byte below 0x80), whole floats of a packed
 * run, anything else value by value. 0, or -1 when the list ends first
 * or is damaged. */
static int tl_skip(tl_cur *c, int64_t k)
{
    while (k > 0) {
        if (c->qpos < c->qn && c->fld == TL_INTS) {
            size_t pos = c->qpos;
            for (; k > 8 && pos + 8 <= c->qn; pos += 8)
                k -= tl_ends8(c->q + pos);
            for (; k > 0 && pos < c->qn; pos++)
                k -= c->q[pos] < 0x80;
            if (k < 0)
                return -1;   /* cannot happen: a word ends at most 8 values */
            c->qpos = pos;
            continue;
        }
        if (c->qpos < c->qn && c->fld == TL_FLOATS) {
            size_t have = (c->qn - c->qpos) / 4;
            size_t step = (uint64_t)k < have ? (size_t)k : have;
            c->qpos += 4 * step;
            k -= (int64_t)step;
            continue;
        }
        {
            uint64_t v;
            float f;
            const uint8_t *str;
            size_t len;
            if (tl_next(c, &v, &f, &str, &len) != 1)
                return -1;
        }
        k--;
    }
    return 0;
}

/* Modes, features, thresholds, children (as list indices) and missing
 * tracks of nodes [lo, hi) in list order, a chunk of each list at a time. */
static int tl_nodes_part(tl_half *h)
{
    tl_lift *t = h->t;
    const onnx_span *const *sp = h->sp;
    int64_t lo = h->lo, hi = h->hi;
    tl_cur cm, cf, cv, ct, cfa, cmi;
    int64_t i0, r = -1, a = 0, b = t->n_runs;
    uint64_t fv[TL_CHUNK], tv[TL_CHUNK], fav[TL_CHUNK], mv[TL_CHUNK];
    float val[TL_CHUNK];

    tl_cur_init(&cm, sp[L_MODE]);
    tl_cur_init(&cf, sp[L_FEAT]);
    tl_cur_init(&cv, sp[L_VAL]);
    tl_cur_init(&ct, sp[L_TRUE]);
    tl_cur_init(&cfa, sp[L_FALSE]);
    if (sp[L_MISS])
        tl_cur_init(&cmi, sp[L_MISS]);
    else
        memset(mv, 0, sizeof(mv));
    if (lo > 0) {
        /* The run before node lo's (the loop below steps into it), and
         * every list at value lo. */
        while (a < b) {
            int64_t mid = a + (b - a) / 2;
            if (t->runs[mid].start < lo)
                a = mid + 1;
            else
                b = mid;
        }
        r = a - 1;
        if (tl_skip(&cm, lo) || tl_skip(&cf, lo) || tl_skip(&cv, lo) || tl_skip(&ct, lo) ||
            tl_skip(&cfa, lo) || (sp[L_MISS] && tl_skip(&cmi, lo)))
            return 0;
    }
    for (i0 = lo; i0 < hi; i0 += TL_CHUNK) {
        int64_t m = hi - i0 < TL_CHUNK ? hi - i0 : TL_CHUNK, k;
        if (tl_take(&cf, fv, NULL, m) != m || tl_take(&cv, NULL, val, m) != m ||
            tl_take(&ct, tv, NULL, m) != m || tl_take(&cfa, fav, NULL, m) != m ||
            (sp[L_MISS] && tl_take(&cmi, mv, NULL, m) != m))
            return 0;
        for (k = 0; k < m; k++) {
            int64_t i = i0 + k, feature = (int64_t)fv[k], x, y;
            const uint8_t *s = NULL;
            size_t len = 0;
            if (r + 1 < t->n_runs && i == t->runs[r + 1].start)
                r++;
            if (tl_next_str(&cm, &s, &len) != 1)
                return 0;
            t->thr[i] = val[k];
            t->ml[i] = mv[k] == 1;
            if (len == 4 && memcmp(s, "LEAF", 4) == 0) {
                t->feat[i] = -1;
                t->left[i] = t->right[i] = -1;
                continue;
            }
            x = tl_node(t, &t->runs[r], (int64_t)tv[k]);
            y = tl_node(t, &t->runs[r], (int64_t)fav[k]);
            if (len != 10 || memcmp(s, "BRANCH_LEQ", 10) != 0 || feature < 0 ||
                feature > INT32_MAX || x < 0 || y < 0 || x == i || y == i)
                return 0;
            t->feat[i] = (int32_t)feature;
            t->left[i] = (int32_t)x;
            t->right[i] = (int32_t)y;
        }
    }
    if (hi == t->n) {
        const uint8_t *s;
        size_t len;
        uint64_t dummy;
        float f;
        if (tl_next(&cm, &dummy, &f, &s, &len) != 0)
            return 0;
    }
    return 1;
}

/* The node arrays from the lists, in two halves on two threads for a
 * large ensemble (the second half's thread first skips its lists to its
 * first node). */
static int tl_nodes(tl_lift *t, const onnx_span *const *sp)
{
    int64_t n = t->n;

    t->ml = calloc((size_t)n, 1);
    t->feat = malloc((size_t)n * sizeof(*t->feat));
    t->left = malloc((size_t)n * sizeof(*t->left));
    t->right = malloc((size_t)n * sizeof(*t->right));
    t->thr = malloc((size_t)n * sizeof(*t->thr));
    if (!t->ml || !t->feat || !t->left || !t->right || !t->thr)
        return SKC_E_NOMEM;
    return tl_halves(tl_nodes_part, t, sp, n / 2, n, 0, n >= TL_THREAD_MIN);
}

/* Whether runs [lo, hi) are each in preorder already (the list order is
 * the IR order: skconv's own files), without changing anything. */
static int tl_same_part(tl_half *h)
{
    tl_lift *t = h->t;
    int64_t cap = 2 * t->max_len + 2, r, sp;
    int32_t *stack = malloc((size_t)cap * sizeof(*stack));
    int rc = 1;

    if (!stack)
        return SKC_E_NOMEM;
    for (r = h->lo; r < h->hi && rc == 1; r++) {
        int64_t next = t->runs[r].start;
        stack[0] = (int32_t)next;
        for (sp = 1; sp > 0;) {
            int32_t i = stack[--sp];
            if (i != next++ || sp + 2 > cap) {
                rc = 0;
                break;
            }
            if (t->right[i] >= 0) {
                stack[sp++] = t->right[i];
                stack[sp++] = t->left[i];
            }
        }
        if (rc == 1 && next != t->runs[r].start + t->runs[r].len)
            rc = 0;
    }
    free(stack);
    return rc;
}

/* The runs [lo, hi) of a list in preorder, in tree_ensemble's form in
 * place: tree-local children, leaves numbered on from h->from. */
static int tl_place_part(tl_half *h)
{
    tl_lift *t = h->t;
    int64_t r, i, leaves = h->from;

    for (r = h->lo; r < h->hi; r++) {
        int64_t base = t->runs[r].start, end = base + t->runs[r].len;
        t->offsets[r] = base;
        for (i = base; i < end; i++) {
            if (t->right[i] < 0) {
                t->left[i] = (int32_t)(-1 - leaves++);
            } else {
                t->left[i] = (int32_t)(t->left[i] - base);
                t->right[i] = (int32_t)(t->right[i] - base);
            }
        }
    }
    return 1;
}

/* The common case, on two threads for a large ensemble: every run in
 * preorder, so the arrays are converted in place. 1 when done, 0 when
 * the general tl_order and tl_place must run (nothing was changed). */
static int tl_order_same(tl_lift *t)
{
    int64_t mid = t->n_runs / 2, i, from = 0, cut;
    int threaded = t->n >= TL_THREAD_MIN, rc;

    if (!(t->offsets = malloc((size_t)(t->n_runs + 1) * sizeof(*t->offsets))))
        return SKC_E_NOMEM;
    if ((rc = tl_halves(tl_same_part, t, NULL, mid, t->n_runs, 0, threaded)) != 1)
        return rc;
    cut = mid < t->n_runs ? t->runs[mid].start : t->n;
    for (i = 0; i < cut; i++)
        from += t->right[i] < 0;
    if ((rc = tl_halves(tl_place_part, t, NULL, mid, t->n_runs, from, threaded)) != 1)
        return rc;
    for (i = cut; i < t->n; i++)
        from += t->right[i] < 0;
    t->offsets[t->n_runs] = t->n;
    t->n_leaves = from;
    return 1;
}

/* Each run a tree in preorder from its root, true branch first: children
 * after parents, as tree_ensemble needs. When that order is the list
 * order (skconv's own files) tl_order_same has converted the arrays in
 * place; otherwise pos maps list to IR indices, and nodes no root
 * reaches are dropped. A node reached twice (a cycle, or shared) is
 * refused. */
static int tl_order(tl_lift *t)
{
    int32_t *stack = malloc((size_t)(2 * t->max_len + 2) * sizeof(*stack));
    int64_t cap = 2 * t->max_len + 2, r, next = 0, sp;
    int rc = 1;

    if (!t->offsets)
        t->offsets = malloc((size_t)(t->n_runs + 1) * sizeof(*t->offsets));
    if (!stack || !t->offsets) {
        free(stack);
        return SKC_E_NOMEM;
    }
    if (!(t->pos = malloc((size_t)t->n * sizeof(*t->pos)))) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    memset(t->pos, 0xff, (size_t)t->n * sizeof(*t->pos));
    next = 0;
    for (r = 0; r < t->n_runs; r++) {
        t->offsets[r] = next;
        stack[0] = (int32_t)t->runs[r].start;
        for (sp = 1; sp > 0;) {
            int32_t i = stack[--sp];
            if (t->pos[i] >= 0 || sp + 2 > cap) {
                rc = 0;
                goto done;
            }
            t->pos[i] = (int32_t)next++;
            if (t->right[i] >= 0) {
                stack[sp++] = t->right[i];
                stack[sp++] = t->left[i];
            }
        }
    }
    t->offsets[t->n_runs] = next;
done:
    free(stack);
    return rc;
}

/* After tl_order: the node arrays in tree_ensemble's form, in the IR
 * order pos gives, tree-local children, leaves numbered in node order
 * (left = -1 - row). */
static int tl_place(tl_lift *t)
{
    int64_t i, r = -1, m = t->offsets[t->n_runs], leaves = 0, n = m ? m : 1;
    int32_t *f = malloc((size_t)n * sizeof(*f)), *l = malloc((size_t)n * sizeof(*l)),
            *rt = malloc((size_t)n * sizeof(*rt));
    double *th = malloc((size_t)n * sizeof(*th));
    uint8_t *ml = malloc((size_t)n);

    if (!f || !l || !rt || !th || !ml) {
        free(f);
        free(l);
        free(rt);
        free(th);
        free(ml);
        return SKC_E_NOMEM;
    }
    for (i = 0; i < t->n; i++) {
        int64_t p = t->pos[i], base;
        if (r + 1 < t->n_runs && i == t->runs[r + 1].start)
            r++;
        if (p < 0)
            continue;
        /* Every node of run r sits in IR tree r. */
        base = t->offsets[r];
        f[p] = t->feat[i];
        th[p] = t->thr[i];
        ml[p] = t->ml[i];
        if (t->right[i] < 0) {
            l[p] = rt[p] = -1;
        } else {
            l[p] = (int32_t)(t->pos[t->left[i]] - base);
            rt[p] = (int32_t)(t->pos[t->right[i]] - base);
        }
    }
    for (i = 0; i < m; i++)
        if (rt[i] < 0)
            l[i] = (int32_t)(-1 - leaves++);
    free(t->feat);
    free(t->left);
    free(t->right);
    free(t->thr);
    free(t->ml);
    t->feat = f;
    t->left = l;
    t->right = rt;
    t->thr = th;
    t->ml = ml;
    t->n_leaves = leaves;
    return 1;
}

/* Weights [lo, hi) into value. Two halves of a list share value and
 * mark, so when both run at once (h->from: shared) a cell is claimed
 * with an atomic exchange: only its first claim writes it, a second is
 * the duplicate that keeps the node from being lifted. */
static int tl_votes_part(tl_half *h)
{
    tl_lift *t = h->t;
    const onnx_span *const *sp = h->sp;
    tl_cur ct, cn, ci, cw;
    uint64_t tv[TL_CHUNK], nv[TL_CHUNK], iv[TL_CHUNK];
    float w[TL_CHUNK];
    int64_t k, k0, run = 0;

    tl_cur_init(&ct, sp[L_WTREE]);
    tl_cur_init(&cn, sp[L_WNODE]);
    tl_cur_init(&ci, sp[L_WID]);
    tl_cur_init(&cw, sp[L_W]);
    if (h->lo > 0 && (tl_skip(&ct, h->lo) || tl_skip(&cn, h->lo) || tl_skip(&ci, h->lo) ||
                      tl_skip(&cw, h->lo)))
        return 0;
    for (k0 = h->lo; k0 < h->hi; k0 += TL_CHUNK) {
        int64_t m = h->hi - k0 < TL_CHUNK ? h->hi - k0 : TL_CHUNK;
        if (tl_take(&ct, tv, NULL, m) != m || tl_take(&cn, nv, NULL, m) != m ||
            tl_take(&ci, iv, NULL, m) != m || tl_take(&cw, NULL, w, m) != m)
            return 0;
        for (k = 0; k < m; k++) {
            int64_t node, p, row, target, tree = (int64_t)tv[k], cell;
            if (t->keys[run].tree != tree) {
                int64_t lo = 0, hi = t->n_runs;
                while (lo < hi) {
                    int64_t mid = lo + (hi - lo) / 2;
                    if (t->keys[mid].tree < tree)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                if (lo == t->n_runs || t->keys[lo].tree != tree)
                    return 0;
                run = lo;
            }
            node = tl_node(t, &t->runs[t->keys[run].run], (int64_t)nv[k]);
            if (node < 0)
                return 0;
            p = t->pos ? t->pos[node] : node;
            if (p < 0 || t->right[p] >= 0)
                continue;
            target = (int64_t)iv[k];
            if (target < 0 || target >= t->n_targets)
                return 0;
            row = -1 - (int64_t)t->left[p];
            if (t->n_targets == 1) {    /* one half only: the first weight counts */
                if (!t->mark[row])
                    t->value[row] = w[k];
                t->mark[row] = 1;
                continue;
            }
            cell = row * t->n_targets + target;
            if (h->from) {
                if (__atomic_exchange_n(&t->mark[cell], 1, __ATOMIC_RELAXED))
                    return 0;
            } else {
                if (t->mark[cell])
                    return 0;
                t->mark[cell] = 1;
            }
            t->value[cell] = w[k];
        }
    }
    return 1;
}

/* Leaf values [n_leaves, n_targets] from the weights. ONNX Runtime adds
 * each weight on its own, so a leaf may give a target at most one (else
 * the node stays a mirror op); weights on split nodes are ignored; with
 * one target a leaf gives its first weight, or its nodes_values entry
 * when it has none. */
static int tl_votes(onnx_reader *r, tl_lift *t, const onnx_span *const *sp)
{
    uint64_t cells = (uint64_t)t->n_leaves * (uint64_t)t->n_targets;
    int64_t i;
    int rc, threaded;

    if (cells > (r->lim ? r->lim->max_elements : UINT64_C(1) << 34) || cells > r->cap_bytes / 8)
        return 0;
    t->value = calloc((size_t)(cells ? cells : 1), sizeof(*t->value));
    t->mark = calloc((size_t)(cells ? cells : 1), 1);
    if (!t->value || !t->mark)
        return SKC_E_NOMEM;
    if (t->n_targets == 1)
        for (i = 0; i < t->offsets[t->n_runs]; i++)
            if (t->right[i] < 0)
                t->value[-1 - (int64_t)t->left[i]] = t->thr[i];
    /* With one target the first weight of a leaf wins, which only one
     * pass in list order decides. */
    threaded = t->n_targets > 1 && t->n >= TL_THREAD_MIN;
    rc = tl_halves(tl_votes_part, t, sp, threaded ? t->nw / 2 : t->nw, t->nw, threaded,
                   threaded);
    free(t->mark);
    t->mark = NULL;
    return rc;
}

/* The node's own attributes: n_targets, SUM, NONE, no base (or zeros). */
static int tl_plain(const Onnx__NodeProto *n, int64_t *n_targets)
{
    size_t i, k;

    *n_targets = 0;
    for (i = 0; i < n->n_attribute; i++) {
        const Onnx__AttributeProto *a = n->attribute[i];
        const char *name = a->name ? a->name : "";
        for (k = 0; k < i; k++)
            if (n->attribute[k]->name && strcmp(n->attribute[k]->name, name) == 0)
                return 0;
        if (!a->has_type)
            return 0;
        if (strcmp(name, "n_targets") == 0 && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) {
            *n_targets = a->i;
        } else if ((strcmp(name, "aggregate_function") == 0 || strcmp(name, "post_transform") == 0) &&
                   a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) {
            if (!tl_eq(a->s.data, a->s.len, name[0] == 'a' ? "SUM" : "NONE"))
                return 0;
        } else if (strcmp(name, "base_values") == 0 &&
                   a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS) {
            /* ORT adds base values after the trees; only +0 changes nothing. */
            for (k = 0; k < a->n_floats; k++) {
                uint32_t u;
                memcpy(&u, &a->floats[k], sizeof(u));
                if (u)
                    return 0;
            }
        } else {
            return 0;
        }
    }
    return *n_targets >= 1 && *n_targets <= (int64_t)1 << 24;
}

/* The element type of tensor @p name when it is a graph input or the
 * output of a Cast, else 0: tree_ensemble reproduces ONNX Runtime's
 * arithmetic for float (in float) and double (in double) inputs. */
static int tl_input_type(const onnx_reader *r, const char *name)
{
    const Onnx__GraphProto *g = r->top;
    size_t i, j;

    for (i = 0; i < g->n_input; i++) {
        const Onnx__TypeProto *tp = g->input[i]->type;
        if (g->input[i]->name && strcmp(g->input[i]->name, name) == 0)
            return tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
                   ? tp->tensor_type->elem_type : 0;
    }
    for (i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        if (nd->n_output < 1 || !nd->output[0] || strcmp(nd->output[0], name) != 0)
            continue;
        if (!nd->op_type || strcmp(nd->op_type, "Cast") != 0 ||
            (nd->domain && *nd->domain && strcmp(nd->domain, "ai.onnx") != 0))
            return 0;
        for (j = 0; j < nd->n_attribute; j++)
            if (nd->attribute[j]->name && strcmp(nd->attribute[j]->name, "to") == 0)
                return (int)nd->attribute[j]->i;
        return 0;
    }
    return 0;
}

/* Wrap @p *data as a tensor attribute (ownership moves on success). */
static int tl_set(skc_step *st, const char *key, int dtype, int ndim, const int64_t *shape,
                  void **data)
{
    skc_tensor *tt;
    int rc = skc_tensor_wrap(dtype, ndim, shape, *data, free, *data, &tt);

    if (rc)
        return rc;
    *data = NULL;
    rc = skc_step_set_tensor(st, key, tt);
    skc_tensor_free(tt);
    return rc;
}

/* @p dbl: X is double; else float, cast to double (exactly) for the op,
 * which then compares float32(x) and sums in float as ONNX Runtime does. */
static int tl_emit(onnx_reader *r, tl_lift *t, const char *x, int dbl, const char *out)
{
    char mid[96], xd[96];
    skc_step *st;
    int64_t m = t->offsets[t->n_runs], nr = t->n_runs + 1, vs[2] = { t->n_leaves, t->n_targets };
    int rc;

    if (!dbl) {
        onnx_fresh(r, "tree_x", xd, sizeof(xd));
        if ((rc = skc_model_add_step(r->m, "onnx.Cast", &st)) || (rc = skc_step_add_input(st, x)) ||
            (rc = skc_step_add_output(st, xd)) || (rc = skc_step_set_int(st, "to", 11)))
            return rc;
        x = xd;
    }
    onnx_fresh(r, "tree_sum", mid, sizeof(mid));
    if ((rc = skc_model_add_step(r->m, "tree_ensemble", &st)) ||
        (rc = skc_step_add_input(st, x)) || (rc = skc_step_add_output(st, mid)) ||
        (rc = skc_step_set_int(st, "n_targets", t->n_targets)) ||
        (rc = skc_step_set_string(st, "aggregate", "sum")) ||
        (rc = skc_step_set_int(st, "x_float32", !dbl)) ||
        (!dbl && (rc = skc_step_set_int(st, "sum_float32", 1))) ||
        (rc = tl_set(st, "tree_offsets", SKC_DT_I64, 1, &nr, (void **)&t->offsets)) ||
        (rc = tl_set(st, "feature", SKC_DT_I32, 1, &m, (void **)&t->feat)) ||
        (rc = tl_set(st, "left", SKC_DT_I32, 1, &m, (void **)&t->left)) ||
        (rc = tl_set(st, "right", SKC_DT_I32, 1, &m, (void **)&t->right)) ||
        (rc = tl_set(st, "threshold", SKC_DT_F64, 1, &m, (void **)&t->thr)) ||
        (rc = tl_set(st, "missing_left", SKC_DT_U8, 1, &m, (void **)&t->ml)) ||
        (rc = tl_set(st, "value", SKC_DT_F64, 2, vs, (void **)&t->value)))
        return rc;
    /* TreeEnsembleRegressor's Y is float whatever it summed in (ml ≤ 4). */
    if ((rc = skc_model_add_step(r->m, "onnx.Cast", &st)) || (rc = skc_step_add_input(st, mid)) ||
        (rc = skc_step_add_output(st, out)) || (rc = skc_step_set_int(st, "to", 1)))
        return rc;
    return 1;
}

int onnx_tree_lift(onnx_reader *r, const Onnx__NodeProto *n, const onnx_span *sp, size_t ns,
                   const char *out)
{
    const onnx_span *by[L_N];
    tl_lift t;
    size_t i;
    int k, rc, type = 0;

    memset(by, 0, sizeof(by));
    memset(&t, 0, sizeof(t));
    if (!n->op_type || strcmp(n->op_type, "TreeEnsembleRegressor") != 0 || n->n_input != 1 ||
        !n->input[0] || !*n->input[0] || !tl_plain(n, &t.n_targets) ||
        ((type = tl_input_type(r, n->input[0])) != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
         type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT))
        return 0;
    for (i = 0; i < ns; i++) {
        for (k = 0; k < L_N && !tl_eq(sp[i].name, sp[i].name_len, tl_lift_names[k]); k++)
            ;
        if (k == L_N) {
            if (tl_eq(sp[i].name, sp[i].name_len, "nodes_hitrates"))
                continue;
            return 0;
        }
        if (by[k] || sp[i].type != (k == L_MODE ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS :
                                    k == L_VAL || k == L_W ?
                                    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS :
                                    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS))
            return 0;
        by[k] = &sp[i];
    }
    for (k = 0; k < L_N; k++)
        if (!by[k] && k != L_MISS)
            return 0;
    t.n = tl_count(by[L_TREE]);
    t.nw = tl_count(by[L_WTREE]);
    if (t.n < 1 || t.n >= INT32_MAX || t.nw < 1 ||
        (r->lim && ((uint64_t)t.n > r->lim->max_elements || (uint64_t)t.nw > r->lim->max_elements)))
        return 0;
    /* nodes_modes (one field per value) is counted as it is read. */
    for (k = 0; k < L_N; k++) {
        int64_t c = k == L_MODE || k == L_TREE ? t.n : k == L_WTREE ? t.nw
                  : by[k] ? tl_count(by[k]) : 0;
        if (k == L_MISS && c == 0)
            by[k] = NULL;
        else if (c != (k >= L_WTREE ? t.nw : t.n))
            return 0;
    }
    if ((rc = tl_runs(&t, by)) == 1 && (rc = tl_nodes(&t, by)) == 1 &&
        ((rc = tl_order_same(&t)) == 1 ||
         (rc == 0 && (rc = tl_order(&t)) == 1 && (rc = tl_place(&t)) == 1)) &&
        (rc = tl_votes(r, &t, by)) == 1)
        rc = tl_emit(r, &t, n->input[0], type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, out);
    tl_lift_free(&t);
    if (rc == 1)
        for (i = 0; i < ns; i++)
            skc_stream_drop(r->in, sp[i].p, sp[i].n);
    return rc;
}
