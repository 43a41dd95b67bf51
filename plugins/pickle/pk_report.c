/* SPDX-License-Identifier: MIT */
/* pk_report.c: the `scan` verdict and the `inspect` object-tree report of a pickle, as bounded JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <skconv/io.h>
#include <skconv/plugin.h>
#include "pk_internal.h"
#include "pk_load.h"

/* Bounds for adversarial graphs (billion laughs, 10^6 item lists). */
#define PK_REP_MAX_DEPTH  24
#define PK_REP_MAX_NODES  20000
#define PK_REP_MAX_ITEMS  64
#define PK_REP_MAX_STR    256
#define PK_REP_MAX_FIND   1000

static const char *pk_rep_category(int c)
{
    return c == PK_CAT_SAFE ? "safe" : c == PK_CAT_MALICIOUS ? "malicious" : "unknown";
}

static int pk_rep_set(skc_session *s, json_object *root)
{
    const char *txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE);
    char *copy = txt ? strdup(txt) : NULL;
    json_object_put(root);
    if (!copy)
        return skc_set_error(s, SKC_E_NOMEM, "out of memory");
    skc_session_set_report(s, copy);
    return 0;
}

static void pk_rep_add_str(json_object *o, const char *k, const char *v)
{
    if (v)
        json_object_object_add(o, k, json_object_new_string(v));
}

static int pk_rep_run(skc_session *s, skc_stream *in, pk_seen_log *log,
                      pk_graph **g, char *err, size_t errlen)
{
    const uint8_t *data;
    size_t size;
    int rc = skc_stream_map(in, &data, &size);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read input");
        return rc;
    }
    pk_vm_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.limits = skc_session_limits(s);
    opts.permissive = 1;
    opts.log = log;
    /* scan/inspect never open companions: the verdict is about this file. */
    return pk_load_bytes(data, size, &opts, g, err, errlen);
}

int pk_scan_verdict(const pk_seen_log *log, int parse_rc, int *nmal, int *nunk)
{
    *nmal = *nunk = 0;
    for (size_t i = 0; i < log->n; i++) {
        if (log->items[i].category == PK_CAT_MALICIOUS)
            (*nmal)++;
        else if (log->items[i].category != PK_CAT_SAFE)
            (*nunk)++;
    }
    /* A stream that stops parsing may hide anything after that point. */
    return *nmal ? SKC_VERDICT_MALICIOUS
         : (*nunk || parse_rc < 0 || log->truncated) ? SKC_VERDICT_UNTRUSTED
         : SKC_VERDICT_SAFE;
}

int pk_scan(skc_session *s, skc_stream *in, int *verdict)
{
    pk_seen_log log;
    pk_graph *g = NULL;
    char err[512];
    memset(&log, 0, sizeof log);
    int rc = pk_rep_run(s, in, &log, &g, err, sizeof err);
    if (rc < 0 && log.n == 0 && (rc == SKC_E_UNSUPPORTED || rc == SKC_E_IO)) {
        pk_seen_log_clear(&log);
        return skc_set_error(s, rc, "%s", err);
    }
    int nmal, nunk;
    int v = pk_scan_verdict(&log, rc, &nmal, &nunk);
    json_object *root = json_object_new_object();
    json_object *finds = json_object_new_array();
    json_object *known = json_object_new_array();
    for (size_t i = 0; i < log.n; i++) {
        const pk_seen_global *e = &log.items[i];
        char full[2100];
        snprintf(full, sizeof full, "%s.%s", e->module, e->name);
        if (e->category == PK_CAT_SAFE) {
            json_object_array_add(known, json_object_new_string(full));
            continue;
        }
        if (json_object_array_length(finds) >= PK_REP_MAX_FIND)
            continue;
        json_object *f = json_object_new_object();
        pk_rep_add_str(f, "module", e->module);
        pk_rep_add_str(f, "name", e->name);
        json_object_object_add(f, "offset", json_object_new_int64((int64_t)e->offset));
        pk_rep_add_str(f, "category", pk_rep_category(e->category));
        if (e->nested)
            json_object_object_add(f, "nested_pickle", json_object_new_boolean(1));
        json_object_array_add(finds, f);
    }
    pk_rep_add_str(root, "format", "pickle");
    pk_rep_add_str(root, "verdict", v == SKC_VERDICT_SAFE ? "safe"
                   : v == SKC_VERDICT_MALICIOUS ? "malicious" : "untrusted");
    json_object_object_add(root, "malicious", json_object_new_int(nmal));
    json_object_object_add(root, "unknown", json_object_new_int(nunk));
    json_object_object_add(root, "findings", finds);
    json_object_object_add(root, "known_globals", known);
    if (log.truncated)
        json_object_object_add(root, "truncated", json_object_new_boolean(1));
    if (rc < 0) {
        /* Parsing stops at the first malformed byte; what follows was not seen. */
        pk_rep_add_str(root, "error", err);
        pk_rep_add_str(root, "error_kind", skc_strerror(rc));
    }
    if (g) {
        pk_graph_info gi;
        pk_graph_info_get(g, &gi);
        json_object_object_add(root, "protocol", json_object_new_int(gi.protocol));
        pk_rep_add_str(root, "compression", gi.compression);
        pk_rep_add_str(root, "container", gi.container);
        pk_graph_free(g);
    }
    pk_seen_log_clear(&log);
    rc = pk_rep_set(s, root);
    if (rc < 0)
        return rc;
    *verdict = v;
    return 0;
}

/* ---------------------------------------------------------------- */
/* inspect                                                           */
/* ---------------------------------------------------------------- */

typedef struct pk_rep_walk {
    const pk_obj **seen;   /* open-addressing set of visited nodes */
    uint32_t *ids;
    size_t cap;
    uint32_t next_id;
    size_t budget;
    int truncated;
} pk_rep_walk;

static size_t pk_rep_hash(const pk_obj *o, size_t cap)
{
    uintptr_t x = (uintptr_t)o;
    x ^= x >> 17;
    x *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 7) & (cap - 1);
}

/* 0: first visit (id assigned); >0: id of an earlier visit. */
static uint32_t pk_rep_visit(pk_rep_walk *w, const pk_obj *o, uint32_t *id)
{
    size_t h = pk_rep_hash(o, w->cap);
    while (w->seen[h]) {
        if (w->seen[h] == o)
            return w->ids[h];
        h = (h + 1) & (w->cap - 1);
    }
    w->seen[h] = o;
    w->ids[h] = ++w->next_id;
    *id = w->next_id;
    return 0;
}

static json_object *pk_rep_text(const uint8_t *p, size_t n, int bytes)
{
    char buf[PK_REP_MAX_STR * 4 + 16];
    size_t o = 0;
    size_t lim = n < PK_REP_MAX_STR ? n : PK_REP_MAX_STR;
    for (size_t i = 0; i < lim; i++) {
        if (bytes && (p[i] < 0x20 || p[i] >= 0x7f))
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", p[i]);
        else
            buf[o++] = (char)p[i];
    }
    if (lim < n)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "...(%zu bytes)", n);
    return json_object_new_string_len(buf, (int)o);
}

static void pk_rep_dtype(char *buf, size_t n, const pk_dtype *dt)
{
    if (dt->nfields)
        snprintf(buf, n, "struct%u", dt->itemsize);
    else if (dt->kind == 'U')
        snprintf(buf, n, "%cU%u", dt->byteorder, dt->itemsize / 4);
    else
        snprintf(buf, n, "%c%c%u", dt->byteorder, dt->kind, dt->itemsize);
}

static const char *pk_rep_global_name(const pk_obj *c, char *buf, size_t n)
{
    if (c && c->kind == PK_GLOBAL)
        snprintf(buf, n, "%s.%s", c->u.g.module, c->u.g.name);
    else
        snprintf(buf, n, "<%s>", pk_kind_name(pk_kind_of(c)));
    return buf;
}

static json_object *pk_rep_node(pk_rep_walk *w, const pk_obj *o, int depth);

static json_object *pk_rep_seq(pk_rep_walk *w, pk_obj *const *items, size_t n,
                               int depth)
{
    json_object *a = json_object_new_array();
    size_t lim = n < PK_REP_MAX_ITEMS ? n : PK_REP_MAX_ITEMS;
    for (size_t i = 0; i < lim; i++)
        json_object_array_add(a, pk_rep_node(w, items[i], depth + 1));
    if (lim < n) {
        char more[64];
        snprintf(more, sizeof more, "... %zu more", n - lim);
        json_object_array_add(a, json_object_new_string(more));
    }
    return a;
}

static json_object *pk_rep_dict(pk_rep_walk *w, const pk_obj *d, int depth)
{
    json_object *o = json_object_new_object();
    size_t n = d->u.seq.n / 2;
    size_t lim = n < PK_REP_MAX_ITEMS * 4 ? n : PK_REP_MAX_ITEMS * 4;
    for (size_t i = 0; i < lim; i++) {
        const pk_obj *k = d->u.seq.items[2 * i];
        char kb[PK_REP_MAX_STR + 32];
        const char *ks;
        size_t kl;
        if (pk_text(k, &ks, &kl) == 0)
            snprintf(kb, sizeof kb, "%.*s", (int)(kl < PK_REP_MAX_STR ? kl : PK_REP_MAX_STR), ks);
        else if (k->kind == PK_INT)
            snprintf(kb, sizeof kb, "%lld", (long long)k->u.i);
        else
            snprintf(kb, sizeof kb, "<%s key %zu>", pk_kind_name(k->kind), i);
        json_object_object_add(o, kb, pk_rep_node(w, d->u.seq.items[2 * i + 1], depth + 1));
    }
    if (lim < n)
        json_object_object_add(o, "...", json_object_new_int64((int64_t)(n - lim)));
    return o;
}

static json_object *pk_rep_node(pk_rep_walk *w, const pk_obj *o, int depth)
{
    char buf[2200];
    if (!o)
        return NULL;
    switch (o->kind) {
    case PK_NONE: return NULL;
    case PK_BOOL: return json_object_new_boolean(o->u.i != 0);
    case PK_INT: return json_object_new_int64(o->u.i);
    case PK_FLOAT: return json_object_new_double(o->u.f);
    case PK_BIGINT: return json_object_new_string("<big int>");
    case PK_STR: return pk_rep_text(o->u.s.p, o->u.s.n, 0);
    case PK_BYTES: return pk_rep_text(o->u.s.p, o->u.s.n, 1);
    case PK_GLOBAL: {
        json_object *g = json_object_new_object();
        pk_rep_add_str(g, "global", pk_rep_global_name(o, buf, sizeof buf));
        return g;
    }
    default:
        break;
    }
    if (depth > PK_REP_MAX_DEPTH || w->budget == 0) {
        w->truncated = 1;
        return json_object_new_string("...");
    }
    w->budget--;
    uint32_t id = 0, prev = pk_rep_visit(w, o, &id);
    if (prev) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "ref", json_object_new_int64(prev));
        return r;
    }
    json_object *j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_int64(id));
    switch (o->kind) {
    case PK_TUPLE: case PK_LIST: case PK_SET:
        pk_rep_add_str(j, "type", pk_kind_name(o->kind));
        json_object_object_add(j, "items", pk_rep_seq(w, o->u.seq.items, o->u.seq.n, depth));
        if (o->u.seq.n > PK_REP_MAX_ITEMS)
            json_object_object_add(j, "len", json_object_new_int64((int64_t)o->u.seq.n));
        break;
    case PK_DICT:
        pk_rep_add_str(j, "type", "dict");
        json_object_object_add(j, "items", pk_rep_dict(w, o, depth));
        break;
    case PK_INSTANCE: case PK_REDUCE: {
        const pk_obj *c = o->u.red.callable;
        pk_rep_add_str(j, o->kind == PK_INSTANCE ? "class" : "call",
                       pk_rep_global_name(c, buf, sizeof buf));
        if (c && c->kind == PK_GLOBAL && c->u.g.canonical)
            pk_rep_add_str(j, "canonical", c->u.g.canonical);
        if (o->u.red.args && o->u.red.args->u.seq.n)
            json_object_object_add(j, "args", pk_rep_node(w, o->u.red.args, depth + 1));
        const pk_obj *st = o->u.red.state;
        if (st && st->kind == PK_DICT)
            json_object_object_add(j, "state", pk_rep_dict(w, st, depth));
        else if (st)
            json_object_object_add(j, "state", pk_rep_node(w, st, depth + 1));
        if (o->u.red.items)
            json_object_object_add(j, "items", pk_rep_node(w, o->u.red.items, depth + 1));
        break;
    }
    case PK_ARRAY: {
        const pk_arr *a = o->u.arr;
        pk_rep_add_str(j, "type", "ndarray");
        if (!a->dtype) {
            pk_rep_add_str(j, "state", "unbuilt");
            break;
        }
        pk_rep_dtype(buf, sizeof buf, a->dtype->u.dt);
        pk_rep_add_str(j, "dtype", buf);
        json_object *sh = json_object_new_array();
        for (int k = 0; k < a->ndim; k++)
            json_object_array_add(sh, json_object_new_int64(a->shape[k]));
        json_object_object_add(j, "shape", sh);
        if (a->fortran)
            pk_rep_add_str(j, "order", "F");
        const pk_dtype *dt = a->dtype->u.dt;
        if (dt->nfields) {
            json_object *fl = json_object_new_array();
            for (size_t k = 0; k < dt->nfields; k++) {
                char fb[64];
                pk_rep_dtype(fb, sizeof fb, dt->fields[k].dtype->u.dt);
                snprintf(buf, sizeof buf, "%s:%s@%u", dt->fields[k].name, fb,
                         dt->fields[k].offset);
                json_object_array_add(fl, json_object_new_string(buf));
            }
            json_object_object_add(j, "fields", fl);
        }
        if (a->objs) {
            json_object_object_add(j, "items", pk_rep_seq(w, a->objs, a->count, depth));
        } else {
            json_object_object_add(j, "nbytes", json_object_new_int64((int64_t)a->nbytes));
            if (a->count && a->count <= 8 && !dt->nfields) {
                json_object *v = json_object_new_array();
                for (size_t k = 0; k < a->count; k++) {
                    double d;
                    if (pk_array_get_f64(o, k, &d) == 0)
                        json_object_array_add(v, json_object_new_double(d));
                    else if (pk_array_get_str(o, k, buf, sizeof buf) == 0)
                        json_object_array_add(v, json_object_new_string(buf));
                }
                json_object_object_add(j, "values", v);
            }
        }
        break;
    }
    case PK_DTYPE:
        pk_rep_dtype(buf, sizeof buf, o->u.dt);
        pk_rep_add_str(j, "dtype", buf);
        break;
    case PK_SCALAR: {
        double d;
        pk_rep_dtype(buf, sizeof buf, o->u.sc.dtype->u.dt);
        pk_rep_add_str(j, "scalar", buf);
        if (pk_float(o, &d) == 0)
            json_object_object_add(j, "value", json_object_new_double(d));
        break;
    }
    default:
        break;
    }
    return j;
}

/* _sklearn_version of the first instance that records one (breadth-first
 * over a bounded number of nodes). */
static const char *pk_rep_sklearn_version(const pk_obj *root)
{
    const pk_obj *queue[256];
    size_t head = 0, tail = 0;
    if (root)
        queue[tail++] = root;
    while (head < tail) {
        const pk_obj *o = queue[head++];
        const pk_obj *v = pk_attr(o, "_sklearn_version");
        const char *s;
        size_t n;
        if (v && pk_text(v, &s, &n) == 0)
            return s;
        const pk_obj *st = pk_instance_state(o);
        if (o->kind == PK_LIST || o->kind == PK_TUPLE || o->kind == PK_DICT)
            st = o;
        for (size_t i = 0; st && i < st->u.seq.n && tail < 256; i++) {
            const pk_obj *c = st->u.seq.items[i];
            if (c && (c->kind == PK_INSTANCE || c->kind == PK_LIST || c->kind == PK_TUPLE))
                queue[tail++] = c;
        }
    }
    return NULL;
}

/* The estimators a container root holds, by the path `-I object=` takes. */
static void pk_rep_members(json_object *root, const pk_obj *g_root)
{
    pk_member mem[64];
    size_t n = pk_members(g_root, mem, 64), i;
    const char *mod, *name;
    char cls[256];

    if (!n)
        return;
    json_object *arr = json_object_new_array();
    for (i = 0; i < n && i < 64; i++) {
        json_object *e = json_object_new_object();
        pk_rep_add_str(e, "object", mem[i].path);
        if (pk_class_name(mem[i].obj, &mod, &name) == 0) {
            snprintf(cls, sizeof cls, "%s.%s", mod, name);
            pk_rep_add_str(e, "class", cls);
        }
        json_object_array_add(arr, e);
    }
    json_object_object_add(root, "estimators", arr);
    if (n > 64)
        json_object_object_add(root, "estimators_total", json_object_new_int64((int64_t)n));
}

int pk_inspect(skc_session *s, skc_stream *in)
{
    pk_seen_log log;
    pk_graph *g = NULL;
    char err[512];
    memset(&log, 0, sizeof log);
    int rc = pk_rep_run(s, in, &log, &g, err, sizeof err);
    pk_seen_log_clear(&log);
    if (rc < 0)
        return skc_set_error(s, rc, "%s", err);
    pk_rep_walk w;
    memset(&w, 0, sizeof w);
    w.cap = 1;
    while (w.cap < 2 * PK_REP_MAX_NODES)
        w.cap <<= 1;
    w.seen = calloc(w.cap, sizeof *w.seen);
    w.ids = calloc(w.cap, sizeof *w.ids);
    w.budget = PK_REP_MAX_NODES;
    if (!w.seen || !w.ids) {
        free(w.seen);
        free(w.ids);
        pk_graph_free(g);
        return skc_set_error(s, SKC_E_NOMEM, "out of memory");
    }
    pk_graph_info gi;
    pk_graph_info_get(g, &gi);
    json_object *root = json_object_new_object();
    pk_rep_add_str(root, "format", "pickle");
    json_object_object_add(root, "protocol", json_object_new_int(gi.protocol));
    pk_rep_add_str(root, "compression", gi.compression);
    pk_rep_add_str(root, "container", gi.container);
    pk_rep_add_str(root, "numpy_era", gi.numpy_era);
    const char *jv = NULL;
    if (g->joblib_bits & (PK_JL_NDARRAY | PK_JL_ZND) || strcmp(gi.container, "joblib-zf") == 0)
        jv = "<0.10";
    else if (g->joblib_bits & PK_JL_INLINE)
        jv = g->joblib_bits & PK_JL_ALIGNED
             ? (g->nested_protocol >= 5 ? ">=1.5" : ">=1.2")
             : "0.10-1.1";
    pk_rep_add_str(root, "joblib", jv);
    if (g->nested_protocol)
        json_object_object_add(root, "nested_protocol", json_object_new_int(g->nested_protocol));
    pk_rep_add_str(root, "sklearn_version", pk_rep_sklearn_version(g->root));
    json_object_object_add(root, "objects", json_object_new_int64((int64_t)gi.n_objects));
    json_object_object_add(root, "bytes", json_object_new_int64((int64_t)gi.input_bytes));
    pk_rep_members(root, g->root);
    json_object_object_add(root, "root", pk_rep_node(&w, g->root, 0));
    if (w.truncated)
        json_object_object_add(root, "truncated", json_object_new_boolean(1));
    free(w.seen);
    free(w.ids);
    pk_graph_free(g);
    return pk_rep_set(s, root);
}
