/* SPDX-License-Identifier: MIT */
/* onnx_read_graph.c: lifts an ONNX graph into IR steps that mirror its nodes; subgraphs become step attributes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_read.h"

/* ------------------------------------------------------------------ */
/* Name maps                                                           */
/* ------------------------------------------------------------------ */

static uint64_t onnx_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

static int onnx_rmap_grow(onnx_rmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64, i;
    const char **keys = calloc(cap, sizeof(*keys));
    int64_t *vals = calloc(cap, sizeof(*vals));

    if (!keys || !vals) {
        free(keys);
        free(vals);
        return SKC_E_NOMEM;
    }
    for (i = 0; i < m->cap; i++) {
        size_t h;
        if (!m->keys[i])
            continue;
        for (h = onnx_hash(m->keys[i]) & (cap - 1); keys[h]; h = (h + 1) & (cap - 1))
            ;
        keys[h] = m->keys[i];
        vals[h] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return SKC_OK;
}

int onnx_rmap_put(onnx_rmap *m, const char *key, int64_t val)
{
    size_t h;
    int rc;

    if (2 * (m->n + 1) > m->cap && (rc = onnx_rmap_grow(m)))
        return rc;
    for (h = onnx_hash(key) & (m->cap - 1); m->keys[h]; h = (h + 1) & (m->cap - 1))
        if (strcmp(m->keys[h], key) == 0)
            return 1;
    m->keys[h] = key;
    m->vals[h] = val;
    m->n++;
    return 0;
}

int64_t onnx_rmap_get(const onnx_rmap *m, const char *key)
{
    size_t h;

    if (!m->cap)
        return -1;
    for (h = onnx_hash(key) & (m->cap - 1); m->keys[h]; h = (h + 1) & (m->cap - 1))
        if (strcmp(m->keys[h], key) == 0)
            return m->vals[h];
    return -1;
}

void onnx_rmap_free(onnx_rmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

int onnx_namelist_add(onnx_namelist *l, const char *name)
{
    int rc = onnx_rmap_put(&l->set, name, (int64_t)l->n);

    if (rc)
        return rc < 0 ? rc : SKC_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return SKC_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = name;
    return SKC_OK;
}

void onnx_namelist_free(onnx_namelist *l)
{
    onnx_rmap_free(&l->set);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Every name of the model, subgraphs included, so the names the reader
 * makes up never collide with one defined later. */
static int onnx_collect_names(onnx_reader *r, const Onnx__GraphProto *g, int depth)
{
    size_t i, j, k;
    int rc;

    if (depth > 64)
        return onnx_rfail(r, SKC_E_LIMIT, "subgraphs nest deeper than 64 levels");
    for (i = 0; i < g->n_input; i++)
        if (g->input[i]->name && (rc = onnx_rmap_put(&r->names, g->input[i]->name, 0)) < 0)
            return rc;
    for (i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && (rc = onnx_rmap_put(&r->names, g->initializer[i]->name, 0)) < 0)
            return rc;
    for (i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        for (j = 0; j < n->n_output; j++)
            if (n->output[j] && (rc = onnx_rmap_put(&r->names, n->output[j], 0)) < 0)
                return rc;
        for (j = 0; j < n->n_attribute; j++) {
            const Onnx__AttributeProto *a = n->attribute[j];
            if (a->g && (rc = onnx_collect_names(r, a->g, depth + 1)))
                return rc;
            for (k = 0; k < a->n_graphs; k++)
                if ((rc = onnx_collect_names(r, a->graphs[k], depth + 1)))
                    return rc;
        }
    }
    return SKC_OK;
}

void onnx_fresh(onnx_reader *r, const char *hint, char *buf, size_t n)
{
    do {
        snprintf(buf, n, "skconv.%s.%lld", hint, (long long)r->fresh++);
    } while (onnx_rmap_get(&r->names, buf) >= 0);
}

/* ------------------------------------------------------------------ */
/* Where lifted nodes go                                               */
/* ------------------------------------------------------------------ */

/* Top level: steps of r->m. In a subgraph: attributes of the host step
 * under "<key>.<k>." (core/OPS.md "Subgraphs"). */
typedef struct onnx_target {
    skc_step *host;
    const char *key;
    int64_t k;
    onnx_rmap defined;      /* subgraph: names defined inside */
    onnx_namelist *outer;   /* subgraph: names read from outside */
} onnx_target;

static int onnx_set_strings(skc_step *st, const char *key, const char *const *v, size_t n)
{
    skc_tensor *t;
    int64_t len = (int64_t)n;
    size_t i;
    int rc = skc_tensor_new(SKC_DT_STRING, 1, &len, &t);

    for (i = 0; rc == SKC_OK && i < n; i++)
        rc = skc_tensor_set_string(t, (int64_t)i, v[i], strlen(v[i]));
    if (rc == SKC_OK)
        rc = skc_step_set_tensor(st, key, t);
    skc_tensor_free(t);
    return rc;
}

/* A name a subgraph node reads: defined inside, or an outer name. */
static int onnx_use(onnx_target *tg, const char *name)
{
    if (!tg->host || !*name || onnx_rmap_get(&tg->defined, name) >= 0)
        return SKC_OK;
    return onnx_namelist_add(tg->outer, name);
}

/* Emit one step: @p op with inputs and outputs, @p attrs (or NULL), and
 * for constants the tensor @p value. */
typedef struct onnx_lifted {
    const char *op;
    const char **in;
    size_t n_in;
    const char **out;
    size_t n_out;
    skc_tensor *value;              /* onnx.Constant */
    const Onnx__NodeProto *attrs;   /* copy this node's attributes */
    const onnx_span *spans;         /* and these lists kept out of it */
    size_t n_spans;
    int64_t opset;                  /* > 0: record it */
} onnx_lifted;

static int onnx_emit(onnx_reader *r, onnx_target *tg, const onnx_lifted *l, int depth)
{
    char prefix[320], key[352];
    onnx_namelist caps;
    skc_step *st;
    size_t i;
    int rc;

    memset(&caps, 0, sizeof(caps));
    if (!tg->host) {
        if ((rc = skc_model_add_step(r->m, l->op, &st)))
            return rc;
        prefix[0] = '\0';
    } else {
        st = tg->host;
        if ((size_t)snprintf(prefix, sizeof(prefix), "%s.%lld.a.", tg->key, (long long)tg->k) >=
            sizeof(prefix))
            return onnx_rfail(r, SKC_E_LIMIT, "subgraphs nest too deeply");
        snprintf(key, sizeof(key), "%s.%lld.op", tg->key, (long long)tg->k);
        if ((rc = skc_step_set_string(st, key, l->op)))
            return rc;
    }
    if (l->value) {
        snprintf(key, sizeof(key), "%svalue", prefix);
        if ((rc = skc_step_set_tensor(st, key, l->value)))
            return rc;
    }
    if (l->opset > 0) {
        snprintf(key, sizeof(key), "%sopset", prefix);
        if ((rc = skc_step_set_int(st, key, l->opset)))
            return rc;
    }
    if (l->attrs && (rc = onnx_read_attrs(r, l->attrs, st, prefix, depth, &caps)))
        goto done;
    if (l->n_spans && (rc = onnx_read_span_attrs(r, l->attrs, l->spans, l->n_spans, st)))
        goto done;
    if (caps.n) {
        snprintf(key, sizeof(key), "%s.captures", prefix);
        if ((rc = onnx_set_strings(st, key, caps.v, caps.n)))
            goto done;
    }
    if (!tg->host) {
        for (i = 0; i < l->n_in && rc == SKC_OK; i++)
            rc = skc_step_add_input(st, *l->in[i] ? l->in[i] : r->absent);
        for (i = 0; i < caps.n && rc == SKC_OK; i++)
            rc = skc_step_add_input(st, caps.v[i]);
        for (i = 0; i < l->n_out && rc == SKC_OK; i++)
            rc = skc_step_add_output(st, l->out[i]);
        goto done;
    }
    /* In a subgraph the captures follow the node's own inputs, as at the
     * top level; "" marks an absent input. */
    {
        const char **all = malloc((l->n_in + caps.n + 1) * sizeof(*all));
        if (!all) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        for (i = 0; i < l->n_in; i++)
            all[i] = l->in[i];
        for (i = 0; i < caps.n; i++)
            all[l->n_in + i] = caps.v[i];
        snprintf(key, sizeof(key), "%s.%lld.in", tg->key, (long long)tg->k);
        rc = onnx_set_strings(st, key, all, l->n_in + caps.n);
        for (i = 0; i < l->n_in + caps.n && rc == SKC_OK; i++)
            rc = onnx_use(tg, all[i]);
        free(all);
        if (rc)
            goto done;
        snprintf(key, sizeof(key), "%s.%lld.out", tg->key, (long long)tg->k);
        if ((rc = onnx_set_strings(st, key, l->out, l->n_out)))
            goto done;
        for (i = 0; i < l->n_out && rc == SKC_OK; i++)
            rc = onnx_rmap_put(&tg->defined, l->out[i], 0) < 0 ? SKC_E_NOMEM : SKC_OK;
        tg->k++;
    }
done:
    onnx_namelist_free(&caps);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Nodes                                                               */
/* ------------------------------------------------------------------ */

/* A Constant node's value, from whichever value_* attribute it has. */
static int onnx_constant_value(onnx_reader *r, const Onnx__NodeProto *n, skc_tensor **out)
{
    const Onnx__AttributeProto *a;
    int64_t len;
    size_t i;
    int rc;

    if (n->n_attribute != 1 || !n->attribute[0]->name)
        return onnx_rfail(r, SKC_E_FORMAT, "Constant node '%.60s' needs exactly one value attribute",
                          n->name ? n->name : "");
    a = n->attribute[0];
    if (strcmp(a->name, "value") == 0 && a->t)
        return onnx_read_tensor(r, a->t, "Constant value", out);
    if (strcmp(a->name, "value_float") == 0) {
        if ((rc = skc_tensor_new(SKC_DT_F32, 0, NULL, out)))
            return rc;
        *(float *)skc_tensor_data_mut(*out) = a->f;
        return SKC_OK;
    }
    if (strcmp(a->name, "value_int") == 0) {
        if ((rc = skc_tensor_new(SKC_DT_I64, 0, NULL, out)))
            return rc;
        *(int64_t *)skc_tensor_data_mut(*out) = a->i;
        return SKC_OK;
    }
    if (strcmp(a->name, "value_floats") == 0) {
        len = (int64_t)a->n_floats;
        if ((rc = skc_tensor_new(SKC_DT_F32, 1, &len, out)))
            return rc;
        if (len)
            memcpy(skc_tensor_data_mut(*out), a->floats, a->n_floats * sizeof(float));
        return SKC_OK;
    }
    if (strcmp(a->name, "value_ints") == 0)
        return skc_tensor_from_i64(a->ints, (int64_t)a->n_ints, out);
    if (strcmp(a->name, "value_string") == 0 || strcmp(a->name, "value_strings") == 0) {
        int one = strcmp(a->name, "value_string") == 0;
        len = one ? 1 : (int64_t)a->n_strings;
        if ((rc = skc_tensor_new(SKC_DT_STRING, one ? 0 : 1, &len, out)))
            return rc;
        for (i = 0; i < (size_t)len; i++) {
            const ProtobufCBinaryData *b = one ? &a->s : &a->strings[i];
            if (b->len && memchr(b->data, 0, b->len))
                rc = onnx_rfail(r, SKC_E_UNSUPPORTED, "Constant string holds a NUL byte");
            else
                rc = skc_tensor_set_string(*out, (int64_t)i, (const char *)b->data, b->len);
            if (rc) {
                skc_tensor_free(*out);
                *out = NULL;
                return rc;
            }
        }
        return SKC_OK;
    }
    return onnx_rfail(r, SKC_E_UNSUPPORTED, "Constant node '%.60s': attribute '%.40s' is not supported",
                      n->name ? n->name : "", a->name);
}

/* Outputs the evaluator always produces for ops whose ONNX outputs are
 * optional in practice; a node naming fewer gets made-up names. */
static size_t onnx_min_outputs(const char *op)
{
    static const char *const two[] = {
        "onnx.TopK", "onnxml.LinearClassifier", "onnxml.TreeEnsembleClassifier",
        "onnxml.SVMClassifier"
    };
    size_t i;

    for (i = 0; i < sizeof(two) / sizeof(two[0]); i++)
        if (strcmp(op, two[i]) == 0)
            return 2;
    return 1;
}

/* ORT changed the meaning of these at opset 13 (a 2-D coercion before). */
static int onnx_opset_matters(const char *op)
{
    return strcmp(op, "onnx.Softmax") == 0 || strcmp(op, "onnx.LogSoftmax") == 0 ||
           strcmp(op, "onnx.Hardmax") == 0;
}

/* @p sp: the node's lists kept out of the unpacked message (top level). */
static int onnx_lift_node(onnx_reader *r, onnx_target *tg, const Onnx__NodeProto *n, int depth,
                          const onnx_span *sp, size_t ns)
{
    const char *domain = n->domain ? n->domain : "", *type = n->op_type ? n->op_type : "";
    char op[160], (*made)[96] = NULL;
    const char **in = NULL, **out = NULL;
    size_t n_in = n->n_input, n_out = n->n_output, i, want;
    onnx_lifted l;
    int rc = SKC_OK;

    memset(&l, 0, sizeof(l));
    if (!*type || strlen(type) > 100)
        return onnx_rfail(r, SKC_E_FORMAT, "node '%.60s' has no usable op_type", n->name ? n->name : "");
    if (!*domain || strcmp(domain, "ai.onnx") == 0)
        snprintf(op, sizeof(op), "onnx.%s", type);
    else if (strcmp(domain, "ai.onnx.ml") == 0)
        snprintf(op, sizeof(op), "onnxml.%s", type);
    else if (strcmp(domain, "com.microsoft") == 0)
        snprintf(op, sizeof(op), "onnxms.%s", type);
    else
        return onnx_rfail(r, SKC_E_UNSUPPORTED, "ONNX operator %s (domain %s) is not supported",
                          type, domain);
    if (strcmp(op, "onnx.Dropout") == 0) {
        /* Inference-mode Dropout passes its input through; its mask is
         * something nothing here produces. */
        if (n_out > 1 && n->output[1] && *n->output[1])
            return onnx_rfail(r, SKC_E_UNSUPPORTED, "ONNX operator Dropout with a mask output is not "
                              "supported");
        snprintf(op, sizeof(op), "onnx.Identity");
        n_in = n_in > 1 ? 1 : n_in;
        n_out = n_out > 1 ? 1 : n_out;
    } else if (strcmp(op, "onnx.Constant") == 0) {
        if ((rc = onnx_constant_value(r, n, &l.value)))
            return rc;
    } else if (strcmp(op, "onnx.Absent") == 0 || !skc_op_known(op)) {
        return onnx_rfail(r, SKC_E_UNSUPPORTED, "ONNX operator %s (domain %s) is not supported",
                          type, *domain ? domain : "ai.onnx");
    } else {
        l.attrs = n;
        l.opset = onnx_opset_matters(op) ? r->opset : 0;
    }
    if (strcmp(op, "onnx.Constant") == 0)
        n_in = 0;
    /* Trailing empty inputs are simply not given. */
    while (n_in > 0 && (!n->input[n_in - 1] || !*n->input[n_in - 1]))
        n_in--;
    want = onnx_min_outputs(op);
    while (n_out > want && (!n->output[n_out - 1] || !*n->output[n_out - 1]))
        n_out--;
    if (n_out < want)
        n_out = want;
    in = calloc(n_in + 1, sizeof(*in));
    out = calloc(n_out + 1, sizeof(*out));
    made = calloc(n_out + 1, sizeof(*made));
    if (!in || !out || !made) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n_in; i++) {
        in[i] = n->input[i] ? n->input[i] : "";
        if (!*in[i] && !tg->host && !r->absent) {
            /* One "onnx.Absent" step stands for every empty input. */
            onnx_lifted a;
            onnx_fresh(r, "absent", r->absent_buf, sizeof(r->absent_buf));
            r->absent = r->absent_buf;
            memset(&a, 0, sizeof(a));
            a.op = "onnx.Absent";
            a.out = &r->absent;
            a.n_out = 1;
            if ((rc = onnx_emit(r, tg, &a, depth)))
                goto done;
        }
    }
    for (i = 0; i < n_out; i++) {
        out[i] = i < n->n_output && n->output[i] ? n->output[i] : "";
        if (!*out[i]) {
            /* The counter keeps made-up names distinct from each other. */
            onnx_fresh(r, "unused", made[i], sizeof(made[i]));
            out[i] = made[i];
        }
    }
    if (ns) {
        if ((rc = onnx_tree_lift(r, n, sp, ns, out[0])) != 0) {
            rc = rc > 0 ? SKC_OK : rc;
            goto done;
        }
        l.spans = sp;
        l.n_spans = ns;
    }
    l.op = op;
    l.in = in;
    l.n_in = n_in;
    l.out = out;
    l.n_out = n_out;
    rc = onnx_emit(r, tg, &l, depth);
done:
    skc_tensor_free(l.value);
    free(in);
    free(out);
    free(made);
    return rc;
}

/* ONNX asks for nodes in topological order, and ONNX Runtime sorts them
 * when they are not: do the same (stable, Kahn's algorithm). */
static int onnx_order(onnx_reader *r, const Onnx__GraphProto *g, size_t **order)
{
    onnx_rmap prod;
    size_t *o = NULL, *q = NULL, *indeg = NULL, n = g->n_node, i, j, head = 0, tail = 0, done = 0;
    size_t **succ = NULL, *nsucc = NULL;
    int sorted = 1, rc = SKC_OK;

    memset(&prod, 0, sizeof(prod));
    o = malloc((n + 1) * sizeof(*o));
    if (!o)
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++) {
        o[i] = i;
        for (j = 0; j < g->node[i]->n_output; j++) {
            const char *nm = g->node[i]->output[j];
            if (nm && *nm && onnx_rmap_put(&prod, nm, (int64_t)i) < 0) {
                rc = SKC_E_NOMEM;
                goto done;
            }
        }
    }
    for (i = 0; i < n && sorted; i++)
        for (j = 0; j < g->node[i]->n_input; j++) {
            const char *nm = g->node[i]->input[j];
            int64_t p = nm && *nm ? onnx_rmap_get(&prod, nm) : -1;
            if (p >= (int64_t)i)
                sorted = 0;
        }
    if (sorted)
        goto done;
    q = malloc((n + 1) * sizeof(*q));
    indeg = calloc(n + 1, sizeof(*indeg));
    nsucc = calloc(n + 1, sizeof(*nsucc));
    succ = calloc(n + 1, sizeof(*succ));
    if (!q || !indeg || !nsucc || !succ) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < g->node[i]->n_input; j++) {
            const char *nm = g->node[i]->input[j];
            int64_t p = nm && *nm ? onnx_rmap_get(&prod, nm) : -1;
            size_t *ns;
            if (p < 0 || (size_t)p == i)
                continue;
            ns = realloc(succ[p], (nsucc[p] + 1) * sizeof(*ns));
            if (!ns) {
                rc = SKC_E_NOMEM;
                goto done;
            }
            succ[p] = ns;
            succ[p][nsucc[p]++] = i;
            indeg[i]++;
        }
    for (i = 0; i < n; i++)
        if (indeg[i] == 0)
            q[tail++] = i;
    while (head < tail) {
        size_t v = q[head++];
        o[done++] = v;
        for (j = 0; j < nsucc[v]; j++)
            if (--indeg[succ[v][j]] == 0)
                q[tail++] = succ[v][j];
    }
    if (done != n)
        rc = onnx_rfail(r, SKC_E_FORMAT, "the graph has a cycle");
done:
    if (succ)
        for (i = 0; i < n; i++)
            free(succ[i]);
    free(succ);
    free(nsucc);
    free(indeg);
    free(q);
    onnx_rmap_free(&prod);
    if (rc) {
        free(o);
        return rc;
    }
    *order = o;
    return SKC_OK;
}

static int onnx_lift_nodes(onnx_reader *r, onnx_target *tg, const Onnx__GraphProto *g, int depth)
{
    size_t *order = NULL, i;
    int rc;

    for (i = 0; i < g->n_initializer; i++) {
        onnx_lifted l;
        const char *name = g->initializer[i]->name ? g->initializer[i]->name : "";
        char what[128];
        memset(&l, 0, sizeof(l));
        snprintf(what, sizeof(what), "initializer '%.80s'", name);
        if (!*name)
            return onnx_rfail(r, SKC_E_FORMAT, "an initializer has no name");
        if ((rc = onnx_read_tensor(r, g->initializer[i], what, &l.value)))
            return rc;
        l.op = "onnx.Constant";
        l.out = &name;
        l.n_out = 1;
        rc = onnx_emit(r, tg, &l, depth);
        skc_tensor_free(l.value);
        if (rc)
            return rc;
    }
    if (g->n_sparse_initializer)
        return onnx_rfail(r, SKC_E_UNSUPPORTED, "sparse initializers are not supported");
    if ((rc = onnx_order(r, g, &order)))
        return rc;
    for (i = 0; i < g->n_node && rc == SKC_OK; i++) {
        const onnx_span *sp = NULL;
        size_t ns = 0;
        if (g == r->top && !tg->host)
            sp = onnx_spans_of(r, order[i], &ns);
        rc = onnx_lift_node(r, tg, g->node[order[i]], depth, sp, ns);
    }
    free(order);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Graph inputs and outputs                                            */
/* ------------------------------------------------------------------ */

static int onnx_value_type(onnx_reader *r, const Onnx__ValueInfoProto *vi, int output, int *dtype,
                           int *ndim, int64_t *shape)
{
    const Onnx__TypeProto *tp = vi->type;
    const Onnx__TensorShapeProto *sh;
    size_t i;

    if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE && output &&
        tp->sequence_type->elem_type &&
        tp->sequence_type->elem_type->value_case == ONNX__TYPE_PROTO__VALUE_MAP_TYPE) {
        /* ZipMap's sequence of maps: lifted as its probability tensor. */
        *dtype = SKC_DT_F32;
        *ndim = 2;
        shape[0] = shape[1] = -1;
        return SKC_OK;
    }
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type->has_elem_type)
        return onnx_rfail(r, SKC_E_UNSUPPORTED, "graph %s '%.80s' is not a typed tensor",
                          output ? "output" : "input", vi->name);
    *dtype = onnx_read_dtype(tp->tensor_type->elem_type);
    if (*dtype == SKC_DT_NONE || *dtype == SKC_DT_U8 || *dtype == SKC_DT_I32)
        return onnx_rfail(r, SKC_E_UNSUPPORTED, "graph %s '%.80s' has element type %s, which is "
                          "not supported", output ? "output" : "input", vi->name,
                          onnx_read_elem_name(tp->tensor_type->elem_type));
    sh = tp->tensor_type->shape;
    *ndim = -1;
    if (!sh)
        return SKC_OK;
    if (sh->n_dim > SKC_MAX_DIMS)
        return onnx_rfail(r, SKC_E_LIMIT, "graph %s '%.80s' has %zu dimensions",
                          output ? "output" : "input", vi->name, sh->n_dim);
    *ndim = (int)sh->n_dim;
    for (i = 0; i < sh->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
        /* Symbolic and unknown sizes are "any" (-1). */
        shape[i] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                   d->dim_value >= 0 ? d->dim_value : -1;
    }
    return SKC_OK;
}

/* A model with one input per column (skl2onnx's DataFrame models, skconv's
 * -O inputs=columns): every real input [N, 1] of one element type, none of
 * them also an output. Such a graph is lifted with one input X [N, F]
 * whose columns are the input names, and a Gather of column i giving each
 * input back, so that predict, verify and verification see the model as
 * the sklearn side has it: one X, with column names to match a CSV
 * header. Mirror ops keep the element type (a float32 column stays
 * float32). Any other set of inputs is kept as it is. */
static int onnx_merge_column_inputs(onnx_reader *r, const Onnx__GraphProto *g,
                                    const onnx_rmap *inits)
{
    const char **cols = NULL;
    size_t i, k = 0;
    int dtype = -1, rc = SKC_OK;
    char xname[96];

    cols = calloc(g->n_input + 1, sizeof(*cols));
    if (!cols)
        return SKC_E_NOMEM;
    for (i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *vi = g->input[i];
        int64_t shape[SKC_MAX_DIMS];
        int dt, ndim;
        size_t j;
        if (onnx_rmap_get(inits, vi->name) >= 0)
            continue;
        if (onnx_value_type(r, vi, 0, &dt, &ndim, shape) || ndim != 2 || shape[1] != 1 ||
            (dtype >= 0 && dt != dtype))
            goto keep;
        for (j = 0; j < g->n_output; j++)
            if (g->output[j]->name && strcmp(g->output[j]->name, vi->name) == 0)
                goto keep;
        dtype = dt;
        cols[k++] = vi->name;
    }
    if (k < 2)
        goto keep;
    if (onnx_rmap_get(&r->names, "X") >= 0)
        onnx_fresh(r, "X", xname, sizeof(xname));
    else
        snprintf(xname, sizeof(xname), "X");
    {
        const int64_t shape[2] = { -1, (int64_t)k }, one = 1;
        skc_tensor *names = NULL;
        Onnx__AttributeProto axis = ONNX__ATTRIBUTE_PROTO__INIT, *ap = &axis;
        Onnx__NodeProto gather = ONNX__NODE_PROTO__INIT;
        onnx_target tg;

        if ((rc = skc_model_add_input(r->m, xname, dtype, 2, shape)) ||
            (rc = skc_tensor_new(SKC_DT_STRING, 1, shape + 1, &names)))
            goto done;
        for (i = 0; i < k && rc == SKC_OK; i++)
            rc = skc_tensor_set_string(names, (int64_t)i, cols[i], strlen(cols[i]));
        if (rc == SKC_OK)
            rc = skc_model_set_input_columns(r->m, 0, names);
        skc_tensor_free(names);
        if (rc)
            goto done;
        axis.name = "axis";
        axis.has_type = 1;
        axis.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        axis.has_i = 1;
        axis.i = 1;
        gather.op_type = "Gather";
        gather.n_attribute = 1;
        gather.attribute = &ap;
        memset(&tg, 0, sizeof(tg));
        for (i = 0; i < k && rc == SKC_OK; i++) {
            char cname[96];
            const char *cn = cname, *in[2] = { xname, cname };
            onnx_lifted c, gl;
            int64_t idx = (int64_t)i;
            onnx_fresh(r, "column", cname, sizeof(cname));
            memset(&c, 0, sizeof(c));
            memset(&gl, 0, sizeof(gl));
            if ((rc = skc_tensor_new(SKC_DT_I64, 1, &one, &c.value)))
                goto done;
            memcpy(skc_tensor_data_mut(c.value), &idx, sizeof(idx));
            c.op = "onnx.Constant";
            c.out = &cn;
            c.n_out = 1;
            rc = onnx_emit(r, &tg, &c, 0);
            skc_tensor_free(c.value);
            gl.op = "onnx.Gather";
            gl.in = in;
            gl.n_in = 2;
            gl.out = &cols[i];
            gl.n_out = 1;
            gl.attrs = &gather;
            if (rc == SKC_OK)
                rc = onnx_emit(r, &tg, &gl, 0);
        }
    }
done:
    free(cols);
    return rc ? rc : 1;
keep:
    free(cols);
    return 0;
}

int onnx_read_graph(onnx_reader *r, const Onnx__GraphProto *g)
{
    onnx_rmap inits;
    onnx_target tg;
    size_t i;
    int rc;

    memset(&inits, 0, sizeof(inits));
    memset(&tg, 0, sizeof(tg));
    if ((rc = onnx_collect_names(r, g, 0)))
        return rc;
    for (i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && onnx_rmap_put(&inits, g->initializer[i]->name, 0) < 0) {
            rc = SKC_E_NOMEM;
            goto done;
        }
    for (i = 0; i < g->n_input; i++)
        if (!g->input[i]->name || !*g->input[i]->name) {
            rc = onnx_rfail(r, SKC_E_FORMAT, "graph input %zu has no name", i);
            goto done;
        }
    if ((rc = onnx_merge_column_inputs(r, g, &inits)) < 0)
        goto done;
    for (i = 0; i < g->n_input && rc == 0; i++) {
        const Onnx__ValueInfoProto *vi = g->input[i];
        int64_t shape[SKC_MAX_DIMS];
        int dtype, ndim;
        if (!vi->name || !*vi->name) {
            rc = onnx_rfail(r, SKC_E_FORMAT, "graph input %zu has no name", i);
            goto done;
        }
        /* Before IR version 4, initializers were listed as inputs too. */
        if (onnx_rmap_get(&inits, vi->name) >= 0)
            continue;
        if ((rc = onnx_value_type(r, vi, 0, &dtype, &ndim, shape)))
            goto done;
        if ((rc = skc_model_add_input(r->m, vi->name, dtype, ndim < 0 ? 0 : ndim, shape))) {
            rc = rc == SKC_E_NOMEM ? rc : onnx_rfail(r, SKC_E_FORMAT, "graph input '%.80s' is "
                                                     "declared twice or badly", vi->name);
            goto done;
        }
    }
    if ((rc = onnx_lift_nodes(r, &tg, g, 0)))
        goto done;
    for (i = 0; i < g->n_output; i++) {
        const Onnx__ValueInfoProto *vi = g->output[i];
        int64_t shape[SKC_MAX_DIMS];
        int dtype, ndim;
        if (!vi->name || !*vi->name) {
            rc = onnx_rfail(r, SKC_E_FORMAT, "graph output %zu has no name", i);
            goto done;
        }
        if ((rc = onnx_value_type(r, vi, 1, &dtype, &ndim, shape)))
            goto done;
        if ((rc = skc_model_add_output(r->m, vi->name, dtype, ndim < 0 ? 0 : ndim, shape))) {
            rc = rc == SKC_E_NOMEM ? rc : onnx_rfail(r, SKC_E_FORMAT, "graph output '%.80s' is "
                                                     "declared twice or badly", vi->name);
            goto done;
        }
    }
done:
    onnx_rmap_free(&inits);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Subgraphs                                                           */
/* ------------------------------------------------------------------ */

int onnx_read_subgraph(onnx_reader *r, const Onnx__GraphProto *g, skc_step *st, const char *key,
                       int depth, onnx_namelist *caps)
{
    onnx_target tg;
    onnx_namelist outer;
    const char **names = NULL;
    char k[352];
    size_t i;
    int rc;

    if (depth > 16)
        return onnx_rfail(r, SKC_E_LIMIT, "subgraphs nest deeper than 16 levels");
    memset(&tg, 0, sizeof(tg));
    memset(&outer, 0, sizeof(outer));
    tg.host = st;
    tg.key = key;
    tg.outer = &outer;
    names = calloc(g->n_input + g->n_output + 1, sizeof(*names));
    if (!names)
        return SKC_E_NOMEM;
    for (i = 0; i < g->n_input; i++) {
        names[i] = g->input[i]->name ? g->input[i]->name : "";
        if (!*names[i] || onnx_rmap_put(&tg.defined, names[i], 0)) {
            rc = onnx_rfail(r, SKC_E_FORMAT, "subgraph '%.60s' has an unnamed or repeated input", key);
            goto done;
        }
    }
    if ((rc = onnx_set_strings(st, key, names, g->n_input)))
        goto done;
    for (i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && onnx_rmap_put(&tg.defined, g->initializer[i]->name, 0) < 0) {
            rc = SKC_E_NOMEM;
            goto done;
        }
    if ((rc = onnx_lift_nodes(r, &tg, g, depth)))
        goto done;
    for (i = 0; i < g->n_output; i++) {
        names[i] = g->output[i]->name ? g->output[i]->name : "";
        if (!*names[i]) {
            rc = onnx_rfail(r, SKC_E_FORMAT, "subgraph '%.60s' has an unnamed output", key);
            goto done;
        }
        if ((rc = onnx_use(&tg, names[i])))
            goto done;
    }
    snprintf(k, sizeof(k), "%s.outputs", key);
    if ((rc = onnx_set_strings(st, k, names, g->n_output)))
        goto done;
    snprintf(k, sizeof(k), "%s.n", key);
    if ((rc = skc_step_set_int(st, k, tg.k)))
        goto done;
    for (i = 0; i < outer.n && rc == SKC_OK; i++)
        rc = onnx_namelist_add(caps, outer.v[i]);
done:
    free(names);
    onnx_rmap_free(&tg.defined);
    onnx_namelist_free(&outer);
    return rc;
}
