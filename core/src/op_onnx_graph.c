/* SPDX-License-Identifier: MIT */
/* op_onnx_graph.c: ONNX control flow (Loop, If, Scan): subgraphs kept in step attributes, run by a small driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

/*
 * The reader keeps a subgraph under an attribute key K of its step
 * (core/OPS.md "Subgraphs"): K (strings) its formal inputs, K.outputs,
 * K.n its node count, and per node k: K.k.op, K.k.in, K.k.out and its
 * attributes as K.k.a.<name>. The outer names a step's subgraphs read are
 * its last inputs, listed in ".captures".
 */

/* Iterations a Loop may run: beyond this a file is hostile, not a model
 * (the loops ONNX converters write run tens to hundreds of times). */
#define GRAPH_MAX_ITERS 1000000

typedef struct graph_prog {
    skc_model *m;          /* the nodes as steps of a scratch model */
    const skc_tensor *formal, *outputs;
} graph_prog;

static void graph_prog_free(graph_prog *g)
{
    skc_model_free(g->m);
    memset(g, 0, sizeof(*g));
}

static int graph_strings(const skc_step *s, const char *key, const skc_tensor **t)
{
    return skco_attr_list(s, key, SKC_DT_STRING, t, NULL, 0) == SKC_OK && *t ? SKC_OK : SKC_E_FORMAT;
}

/* Build the scratch model for subgraph @p key of @p s. */
static int graph_build(const skc_step *s, const char *key, graph_prog *g, char *err, size_t errlen)
{
    char k[512], pre[512];
    int64_t n, i, j;
    size_t plen;
    int rc, a;

    memset(g, 0, sizeof(*g));
    snprintf(k, sizeof(k), "%s.n", key);
    n = skco_attr_i(s, k, -1);
    if (graph_strings(s, key, &g->formal))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "subgraph '%s' is missing", key);
    snprintf(k, sizeof(k), "%s.outputs", key);
    if (n < 0 || n > (int64_t)1 << 20 || graph_strings(s, k, &g->outputs))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "subgraph '%s' is incomplete", key);
    if ((rc = skc_model_new(&g->m)))
        return rc;
    for (i = 0; i < n; i++) {
        const char *op;
        const skc_tensor *tin, *tout;
        skc_step *st;
        snprintf(k, sizeof(k), "%s.%lld.op", key, (long long)i);
        if (skc_step_get_string(s, k, &op))
            goto bad;
        snprintf(k, sizeof(k), "%s.%lld.in", key, (long long)i);
        if (graph_strings(s, k, &tin))
            goto bad;
        snprintf(k, sizeof(k), "%s.%lld.out", key, (long long)i);
        if (graph_strings(s, k, &tout))
            goto bad;
        if ((rc = skc_model_add_step(g->m, op, &st)))
            goto fail;
        for (j = 0; j < skc_tensor_numel(tin) && rc == SKC_OK; j++)
            rc = skc_step_add_input(st, skc_tensor_string(tin, j, NULL));
        for (j = 0; j < skc_tensor_numel(tout) && rc == SKC_OK; j++)
            rc = skc_step_add_output(st, skc_tensor_string(tout, j, NULL));
        if (rc)
            goto fail;
        /* The node's attributes are the host's under "K.k.a.", prefix cut. */
        plen = (size_t)snprintf(pre, sizeof(pre), "%s.%lld.a.", key, (long long)i);
        for (a = 0; a < s->n_attrs && rc == SKC_OK; a++) {
            const skci_attr *at = &s->attrs[a];
            const char *sub = at->key + plen;
            if (strncmp(at->key, pre, plen) != 0 || !*sub)
                continue;
            switch (at->kind) {
            case SKC_ATTR_INT:    rc = skc_step_set_int(st, sub, at->i); break;
            case SKC_ATTR_FLOAT:  rc = skc_step_set_float(st, sub, at->f); break;
            case SKC_ATTR_STRING: rc = skc_step_set_string(st, sub, at->s); break;
            default:              rc = skc_step_set_tensor(st, sub, at->t); break;
            }
        }
        if (rc)
            goto fail;
    }
    return SKC_OK;
bad:
    rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "node %lld of subgraph '%s' is incomplete",
                   (long long)i, key);
fail:
    graph_prog_free(g);
    return rc;
}

/* The static checks skc_model_validate does for a graph, for a subgraph:
 * known mirror ops, arity, each op's own check, names defined before use
 * (formal inputs, the host's captures, earlier outputs; "" is absent). */
static int graph_check_prog(const skc_step *s, const graph_prog *g, const skc_tensor *caps,
                            char *err, size_t errlen)
{
    const char **names;
    int64_t cap = skc_tensor_numel(g->formal) + (caps ? skc_tensor_numel(caps) : 0), n = 0, i;
    int j, k, rc = SKC_OK;

    for (i = 0; i < g->m->n_steps; i++)
        cap += g->m->steps[i]->n_outputs;
    names = malloc((size_t)(cap + 1) * sizeof(*names));
    if (!names)
        return SKC_E_NOMEM;
    for (i = 0; i < skc_tensor_numel(g->formal); i++)
        names[n++] = skc_tensor_string(g->formal, i, NULL);
    for (i = 0; caps && i < skc_tensor_numel(caps); i++)
        names[n++] = skc_tensor_string(caps, i, NULL);
    for (i = 0; i < g->m->n_steps && rc == SKC_OK; i++) {
        const skc_step *st = g->m->steps[i];
        const skci_op *op = skci_op_find(st->op);
        if (!op || !op->any_dtype) {
            rc = skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "subgraph node '%s' is not an ONNX operation",
                           st->op);
            break;
        }
        if ((op->n_inputs >= 0 ? st->n_inputs != op->n_inputs : st->n_inputs < 1) ||
            (op->n_outputs >= 0 ? st->n_outputs != op->n_outputs : st->n_outputs < 1)) {
            rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "subgraph node '%s' has %d inputs and %d outputs",
                           st->op, st->n_inputs, st->n_outputs);
            break;
        }
        for (j = 0; j < st->n_inputs && rc == SKC_OK; j++) {
            int found = !*st->inputs[j];
            for (k = 0; k < n && !found; k++)
                found = strcmp(names[k], st->inputs[j]) == 0;
            if (!found)
                rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "subgraph node '%s' reads '%s' before it "
                               "is defined", st->op, st->inputs[j]);
        }
        if (rc == SKC_OK && op->check)
            rc = op->check(st, err, errlen);
        for (j = 0; j < st->n_outputs && rc == SKC_OK; j++)
            names[n++] = st->outputs[j];
    }
    for (i = 0; i < skc_tensor_numel(g->outputs) && rc == SKC_OK; i++) {
        const char *o = skc_tensor_string(g->outputs, i, NULL);
        int found = 0;
        for (k = 0; k < n && !found; k++)
            found = strcmp(names[k], o) == 0;
        if (!found)
            rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "subgraph output '%s' is not defined", o);
    }
    free(names);
    return rc;
}

/* Graph attributes of each control-flow op. */
static const char *const *graph_keys(const skc_step *s)
{
    static const char *const body[] = { "body", NULL };
    static const char *const branches[] = { "then_branch", "else_branch", NULL };

    return strcmp(s->op, "onnx.If") == 0 ? branches : body;
}

int skco_check_graph(const skc_step *s, char *err, size_t errlen)
{
    const char *const *key;
    const skc_tensor *caps = skco_attr_t(s, ".captures");
    int rc;

    if (caps && (skc_tensor_dtype(caps) != SKC_DT_STRING || skc_tensor_numel(caps) > s->n_inputs))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "bad .captures list");
    for (key = graph_keys(s); *key; key++) {
        graph_prog g;
        if ((rc = graph_build(s, *key, &g, err, errlen)))
            return rc;
        rc = graph_check_prog(s, &g, caps, err, errlen);
        graph_prog_free(&g);
        if (rc)
            return rc;
    }
    return SKC_OK;
}

/* ---- running a subgraph ------------------------------------------------- */

typedef struct graph_env {
    const char **names;
    skc_tensor **vals;
    int64_t n, cap;
} graph_env;

static int graph_env_put(graph_env *e, const char *name, skc_tensor *v)
{
    if (e->n == e->cap) {
        int64_t cap = e->cap ? e->cap * 2 : 32;
        const char **nn = realloc(e->names, (size_t)cap * sizeof(*nn));
        skc_tensor **nv;
        if (!nn) {
            skc_tensor_free(v);
            return SKC_E_NOMEM;
        }
        e->names = nn;
        nv = realloc(e->vals, (size_t)cap * sizeof(*nv));
        if (!nv) {
            skc_tensor_free(v);
            return SKC_E_NOMEM;
        }
        e->vals = nv;
        e->cap = cap;
    }
    e->names[e->n] = name;
    e->vals[e->n++] = v;
    return SKC_OK;
}

/* Latest binding wins (a body may shadow an outer name). */
static skc_tensor *graph_env_get(const graph_env *e, const char *name)
{
    int64_t i;

    for (i = e->n - 1; i >= 0; i--)
        if (strcmp(e->names[i], name) == 0)
            return e->vals[i];
    return NULL;
}

static void graph_env_free(graph_env *e)
{
    int64_t i;

    for (i = 0; i < e->n; i++)
        skc_tensor_free(e->vals[i]);
    free(e->names);
    free(e->vals);
    memset(e, 0, sizeof(*e));
}

/* One run: bind @p names to @p vals, run every node, return the outputs. */
static int graph_exec(const skc_step *s, const graph_prog *g, int n_bind, const char *const *names,
                      const skc_tensor *const *vals, int n_out, skc_tensor **outs,
                      char *err, size_t errlen)
{
    graph_env env;
    skc_tensor *absent = NULL;
    int64_t zero = 0, i;
    int rc = SKC_OK, j;

    memset(&env, 0, sizeof(env));
    if (skc_tensor_numel(g->outputs) != n_out)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "subgraph has %lld outputs, %d expected",
                         (long long)skc_tensor_numel(g->outputs), n_out);
    if ((rc = skc_tensor_new(SKCO_ABSENT_DTYPE, 1, &zero, &absent)))
        return rc;
    for (j = 0; j < n_bind && rc == SKC_OK; j++)
        rc = graph_env_put(&env, names[j], skc_tensor_ref((skc_tensor *)(uintptr_t)vals[j]));
    for (i = 0; i < g->m->n_steps && rc == SKC_OK; i++) {
        const skc_step *st = g->m->steps[i];
        const skci_op *op = skci_op_find(st->op);
        const skc_tensor **in = calloc((size_t)st->n_inputs + 1, sizeof(*in));
        skc_tensor **out = calloc((size_t)st->n_outputs + 1, sizeof(*out));
        if (!in || !out) {
            rc = SKC_E_NOMEM;
        } else if (!op) {
            rc = skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "unknown subgraph op '%s'", st->op);
        } else {
            for (j = 0; j < st->n_inputs && rc == SKC_OK; j++) {
                in[j] = *st->inputs[j] ? graph_env_get(&env, st->inputs[j]) : absent;
                if (!in[j])
                    rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "subgraph value '%s' is not defined",
                                   st->inputs[j]);
            }
            if (rc == SKC_OK)
                rc = op->eval(st, in, out, err, errlen);
            for (j = 0; j < st->n_outputs && rc == SKC_OK; j++)
                rc = graph_env_put(&env, st->outputs[j], out[j]);
        }
        free(in);
        free(out);
    }
    for (j = 0; j < n_out && rc == SKC_OK; j++) {
        skc_tensor *v = graph_env_get(&env, skc_tensor_string(g->outputs, j, NULL));
        if (!v)
            rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "subgraph output '%s' is not defined",
                           skc_tensor_string(g->outputs, j, NULL));
        else
            outs[j] = skc_tensor_ref(v);
    }
    if (rc)
        for (j = 0; j < n_out; j++) {
            skc_tensor_free(outs[j]);
            outs[j] = NULL;
        }
    graph_env_free(&env);
    skc_tensor_free(absent);
    return rc;
}

int skco_graph_run(const skc_step *s, const char *prefix, int n_bind, const char *const *names,
                   const skc_tensor *const *vals, int n_out, skc_tensor **outs,
                   char *err, size_t errlen)
{
    graph_prog g;
    int rc = graph_build(s, prefix, &g, err, errlen);

    if (rc)
        return rc;
    rc = graph_exec(s, &g, n_bind, names, vals, n_out, outs, err, errlen);
    graph_prog_free(&g);
    return rc;
}

/* The host's captured outer values: its last inputs. */
static int graph_captures(const skc_step *s, const skc_tensor *const *in, int64_t *ncap,
                          int *n_onnx, char *err, size_t errlen)
{
    const skc_tensor *caps = skco_attr_t(s, ".captures");

    *ncap = caps ? skc_tensor_numel(caps) : 0;
    if (*ncap > s->n_inputs || (caps && skc_tensor_dtype(caps) != SKC_DT_STRING))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "bad .captures list");
    *n_onnx = s->n_inputs - (int)*ncap;
    (void)in;
    return SKC_OK;
}

/* Names and values bound for one run: @p nf formal values first, then the
 * captures. Arrays are malloc'd by the caller with room for both. */
static void graph_bind_caps(const skc_step *s, const skc_tensor *const *in, int n_onnx, int64_t ncap,
                            const char **names, const skc_tensor **vals, int at)
{
    const skc_tensor *caps = skco_attr_t(s, ".captures");
    int64_t i;

    for (i = 0; i < ncap; i++) {
        names[at + i] = skc_tensor_string(caps, i, NULL);
        vals[at + i] = in[n_onnx + i];
    }
}

/* Stack per-iteration values (same shape) along a new axis @p axis. */
static int graph_stack(const skc_step *s, skc_tensor *const *parts, int64_t n, int axis,
                       skc_tensor **out, char *err, size_t errlen)
{
    int nd, d, rc;
    int64_t sh[SKC_MAX_DIMS], outer = 1, inner = 1, i, o, t;
    const skc_tensor *p0;
    void *y;

    if (n == 0)
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "a scan output of zero iterations has no "
                         "known shape");
    p0 = parts[0];
    nd = skc_tensor_ndim(p0);
    if (nd + 1 > SKC_MAX_DIMS || axis < 0 || axis > nd)
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "scan output has too many dimensions");
    for (i = 1; i < n; i++)
        if (skc_tensor_ndim(parts[i]) != nd || skc_tensor_dtype(parts[i]) != skc_tensor_dtype(p0) ||
            memcmp(skc_tensor_shape(parts[i]), skc_tensor_shape(p0), (size_t)nd * sizeof(int64_t)))
            return skco_fail(err, errlen, s, SKC_E_INVAL, "scan outputs differ in shape across iterations");
    for (d = 0, t = 0; d <= nd; d++)
        sh[d] = d == axis ? n : skc_tensor_shape(p0)[t++];
    for (d = 0; d < nd; d++) {
        if (d < axis)
            outer *= skc_tensor_shape(p0)[d];
        else
            inner *= skc_tensor_shape(p0)[d];
    }
    if ((rc = skco_new(skc_tensor_dtype(p0), nd + 1, sh, out, &y)))
        return rc;
    for (o = 0; o < outer; o++)
        for (i = 0; i < n; i++)
            for (t = 0; t < inner; t++)
                if ((rc = skco_copy(*out, y, (o * n + i) * inner + t, parts[i], o * inner + t))) {
                    skc_tensor_free(*out);
                    *out = NULL;
                    return rc;
                }
    return SKC_OK;
}

/* ---- Loop ---------------------------------------------------------------- */

int skco_eval_loop(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    const skc_tensor *mt, *ct;
    graph_prog g;
    int64_t ncap, trip = -1, it, k, nscan, ncarry;
    int n_onnx, rc, cond = 1, j, nbody_out;
    const char **names = NULL;
    const skc_tensor **vals = NULL;
    skc_tensor **carry = NULL, **res = NULL, **scan = NULL, *itv = NULL, *cv = NULL;
    int64_t scan_cap = 0, nit = 0;

    if ((rc = graph_captures(s, in, &ncap, &n_onnx, err, errlen)))
        return rc;
    if (n_onnx < 2)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "needs the trip count and condition inputs");
    mt = skco_in(s, in, 0);
    ct = skco_in(s, in, 1);
    ncarry = n_onnx - 2;
    nscan = s->n_outputs - ncarry;
    if (nscan < 0)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "fewer outputs than loop-carried values");
    if (mt) {
        if (skc_tensor_numel(mt) != 1 || !skco_is_int(skc_tensor_dtype(mt)))
            return skco_fail(err, errlen, s, SKC_E_INVAL, "the trip count must be one integer");
        trip = skco_geti(mt, 0);
    }
    if (ct) {
        if (skc_tensor_numel(ct) != 1 || skc_tensor_dtype(ct) != SKC_DT_BOOL)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "the condition must be one bool");
        cond = skco_geti(ct, 0) != 0;
    }
    if ((rc = graph_build(s, "body", &g, err, errlen)))
        return rc;
    nbody_out = (int)(1 + ncarry + nscan);
    names = calloc((size_t)(2 + ncarry + ncap), sizeof(*names));
    vals = calloc((size_t)(2 + ncarry + ncap), sizeof(*vals));
    carry = calloc((size_t)(ncarry + 1), sizeof(*carry));
    res = calloc((size_t)nbody_out, sizeof(*res));
    if (!names || !vals || !carry || !res) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if (skc_tensor_numel(g.formal) != 2 + ncarry) {
        rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "the body takes %lld inputs, %lld expected",
                       (long long)skc_tensor_numel(g.formal), (long long)(2 + ncarry));
        goto done;
    }
    for (k = 0; k < 2 + ncarry; k++)
        names[k] = skc_tensor_string(g.formal, k, NULL);
    graph_bind_caps(s, in, n_onnx, ncap, names, vals, (int)(2 + ncarry));
    for (k = 0; k < ncarry; k++)
        carry[k] = skc_tensor_ref((skc_tensor *)(uintptr_t)in[2 + k]);
    for (it = 0; (trip < 0 || it < trip) && cond; it++) {
        if (it >= GRAPH_MAX_ITERS) {
            rc = skco_fail(err, errlen, s, SKC_E_LIMIT, "more than %d iterations", GRAPH_MAX_ITERS);
            goto done;
        }
        if ((rc = skco_new(SKC_DT_I64, 0, NULL, &itv, NULL)) ||
            (rc = skco_new(SKC_DT_BOOL, 0, NULL, &cv, NULL)))
            goto done;
        *(int64_t *)skc_tensor_data_mut(itv) = it;
        *(uint8_t *)skc_tensor_data_mut(cv) = (uint8_t)cond;
        vals[0] = itv;
        vals[1] = cv;
        for (k = 0; k < ncarry; k++)
            vals[2 + k] = carry[k];
        rc = graph_exec(s, &g, (int)(2 + ncarry + ncap), names, vals, nbody_out, res, err, errlen);
        skc_tensor_free(itv);
        skc_tensor_free(cv);
        itv = cv = NULL;
        if (rc)
            goto done;
        if (skc_tensor_numel(res[0]) != 1 || skc_tensor_dtype(res[0]) != SKC_DT_BOOL) {
            rc = skco_fail(err, errlen, s, SKC_E_INVAL, "the body's condition is not one bool");
            goto done;
        }
        cond = skco_geti(res[0], 0) != 0;
        skc_tensor_free(res[0]);
        for (k = 0; k < ncarry; k++) {
            skc_tensor_free(carry[k]);
            carry[k] = res[1 + k];
        }
        if (nscan) {
            if (nit == scan_cap) {
                int64_t ncap2 = scan_cap ? scan_cap * 2 : 16;
                skc_tensor **ns = realloc(scan, (size_t)(ncap2 * nscan) * sizeof(*ns));
                if (!ns) {
                    for (k = 0; k < nscan; k++)
                        skc_tensor_free(res[1 + ncarry + k]);
                    rc = SKC_E_NOMEM;
                    goto done;
                }
                scan = ns;
                scan_cap = ncap2;
            }
            for (k = 0; k < nscan; k++)
                scan[nit * nscan + k] = res[1 + ncarry + k];
            nit++;
        }
        memset(res, 0, (size_t)nbody_out * sizeof(*res));
    }
    for (k = 0; k < ncarry; k++) {
        out[k] = carry[k];
        carry[k] = NULL;
    }
    for (k = 0; k < nscan && rc == SKC_OK; k++) {
        skc_tensor **parts = malloc((size_t)(nit ? nit : 1) * sizeof(*parts));
        if (!parts) {
            rc = SKC_E_NOMEM;
            break;
        }
        for (it = 0; it < nit; it++)
            parts[it] = scan[it * nscan + k];
        rc = graph_stack(s, parts, nit, 0, &out[ncarry + k], err, errlen);
        free(parts);
    }
    if (rc)
        for (j = 0; j < s->n_outputs; j++) {
            skc_tensor_free(out[j]);
            out[j] = NULL;
        }
done:
    for (k = 0; carry && k < ncarry; k++)
        skc_tensor_free(carry[k]);
    for (k = 0; k < nit * nscan; k++)
        skc_tensor_free(scan[k]);
    free(scan);
    free(names);
    free(vals);
    free(carry);
    free(res);
    graph_prog_free(&g);
    return rc;
}

/* ---- If -------------------------------------------------------------------- */

int skco_eval_if(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                 char *err, size_t errlen)
{
    int64_t ncap;
    int n_onnx, rc;
    const char **names;
    const skc_tensor **vals;

    if ((rc = graph_captures(s, in, &ncap, &n_onnx, err, errlen)))
        return rc;
    if (n_onnx != 1 || skc_tensor_numel(in[0]) != 1 || skc_tensor_dtype(in[0]) != SKC_DT_BOOL)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "the condition must be one bool");
    names = calloc((size_t)ncap + 1, sizeof(*names));
    vals = calloc((size_t)ncap + 1, sizeof(*vals));
    if (!names || !vals) {
        free(names);
        free(vals);
        return SKC_E_NOMEM;
    }
    graph_bind_caps(s, in, n_onnx, ncap, names, vals, 0);
    rc = skco_graph_run(s, skco_geti(in[0], 0) ? "then_branch" : "else_branch", (int)ncap, names,
                        vals, s->n_outputs, out, err, errlen);
    free(names);
    free(vals);
    return rc;
}

/* ---- Scan (opset 9+) --------------------------------------------------------- */

/* Slice @p i of @p x along @p axis (that axis removed). */
static int graph_slice(const skc_step *s, const skc_tensor *x, int axis, int64_t i, skc_tensor **out)
{
    int nd = skc_tensor_ndim(x), d, rc;
    const int64_t *sh = skc_tensor_shape(x);
    int64_t osh[SKC_MAX_DIMS], outer = 1, inner = 1, o, t;
    void *y;

    (void)s;
    for (d = 0, t = 0; d < nd; d++) {
        if (d != axis)
            osh[t++] = sh[d];
        if (d < axis)
            outer *= sh[d];
        else if (d > axis)
            inner *= sh[d];
    }
    if ((rc = skco_new(skc_tensor_dtype(x), nd - 1, osh, out, &y)))
        return rc;
    for (o = 0; o < outer; o++)
        for (t = 0; t < inner; t++)
            if ((rc = skco_copy(*out, y, o * inner + t, x, (o * sh[axis] + i) * inner + t))) {
                skc_tensor_free(*out);
                *out = NULL;
                return rc;
            }
    return SKC_OK;
}

int skco_eval_scan(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    int64_t ncap, m = skco_attr_i(s, "num_scan_inputs", 0), nstate, nscan_out, len = -1, it, k;
    const skc_tensor *in_axes = skco_attr_t(s, "scan_input_axes"), *in_dirs = skco_attr_t(s, "scan_input_directions");
    const skc_tensor *out_axes = skco_attr_t(s, "scan_output_axes"), *out_dirs = skco_attr_t(s, "scan_output_directions");
    int n_onnx, rc, nbody_out;
    graph_prog g;
    const char **names = NULL;
    const skc_tensor **vals = NULL;
    skc_tensor **state = NULL, **res = NULL, **parts = NULL, **slices = NULL;

    if ((rc = graph_captures(s, in, &ncap, &n_onnx, err, errlen)))
        return rc;
    nstate = n_onnx - m;
    nscan_out = s->n_outputs - nstate;
    if (m < 1 || nstate < 0 || nscan_out < 0)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "num_scan_inputs does not fit the inputs");
    for (k = 0; k < m; k++) {
        const skc_tensor *x = in[nstate + k];
        int64_t ax = in_axes && k < skc_tensor_numel(in_axes) ? skco_geti(in_axes, k) : 0;
        int nd = skc_tensor_ndim(x);
        if (ax < 0)
            ax += nd;
        if (ax < 0 || ax >= nd)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "scan input %lld has no axis %lld",
                             (long long)k, (long long)ax);
        if (len >= 0 && skc_tensor_shape(x)[ax] != len)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "scan inputs differ in length");
        len = skc_tensor_shape(x)[ax];
    }
    if ((rc = graph_build(s, "body", &g, err, errlen)))
        return rc;
    nbody_out = (int)(nstate + nscan_out);
    names = calloc((size_t)(nstate + m + ncap + 1), sizeof(*names));
    vals = calloc((size_t)(nstate + m + ncap + 1), sizeof(*vals));
    state = calloc((size_t)(nstate + 1), sizeof(*state));
    slices = calloc((size_t)(m + 1), sizeof(*slices));
    res = calloc((size_t)(nbody_out + 1), sizeof(*res));
    parts = calloc((size_t)((len ? len : 1) * (nscan_out ? nscan_out : 1)), sizeof(*parts));
    if (!names || !vals || !state || !slices || !res || !parts) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if (skc_tensor_numel(g.formal) != nstate + m) {
        rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "the body takes %lld inputs, %lld expected",
                       (long long)skc_tensor_numel(g.formal), (long long)(nstate + m));
        goto done;
    }
    for (k = 0; k < nstate + m; k++)
        names[k] = skc_tensor_string(g.formal, k, NULL);
    graph_bind_caps(s, in, n_onnx, ncap, names, vals, (int)(nstate + m));
    for (k = 0; k < nstate; k++)
        state[k] = skc_tensor_ref((skc_tensor *)(uintptr_t)in[k]);
    for (it = 0; it < len; it++) {
        for (k = 0; k < m; k++) {
            const skc_tensor *x = in[nstate + k];
            int64_t ax = in_axes && k < skc_tensor_numel(in_axes) ? skco_geti(in_axes, k) : 0;
            int64_t rev = in_dirs && k < skc_tensor_numel(in_dirs) ? skco_geti(in_dirs, k) : 0;
            if (ax < 0)
                ax += skc_tensor_ndim(x);
            if ((rc = graph_slice(s, x, (int)ax, rev ? len - 1 - it : it, &slices[k])))
                goto done;
            vals[nstate + k] = slices[k];
        }
        for (k = 0; k < nstate; k++)
            vals[k] = state[k];
        rc = graph_exec(s, &g, (int)(nstate + m + ncap), names, vals, nbody_out, res, err, errlen);
        for (k = 0; k < m; k++) {
            skc_tensor_free(slices[k]);
            slices[k] = NULL;
        }
        if (rc)
            goto done;
        for (k = 0; k < nstate; k++) {
            skc_tensor_free(state[k]);
            state[k] = res[k];
        }
        for (k = 0; k < nscan_out; k++)
            parts[it * nscan_out + k] = res[nstate + k];
    }
    for (k = 0; k < nstate; k++) {
        out[k] = state[k];
        state[k] = NULL;
    }
    for (k = 0; k < nscan_out && rc == SKC_OK; k++) {
        int64_t ax = out_axes && k < skc_tensor_numel(out_axes) ? skco_geti(out_axes, k) : 0;
        int64_t rev = out_dirs && k < skc_tensor_numel(out_dirs) ? skco_geti(out_dirs, k) : 0;
        skc_tensor **col = malloc((size_t)(len ? len : 1) * sizeof(*col));
        int nd1 = len > 0 ? skc_tensor_ndim(parts[k]) + 1 : 1;
        if (!col) {
            rc = SKC_E_NOMEM;
            break;
        }
        for (it = 0; it < len; it++)
            col[rev ? len - 1 - it : it] = parts[it * nscan_out + k];
        if (ax < 0)
            ax += nd1;
        rc = graph_stack(s, col, len, (int)ax, &out[nstate + k], err, errlen);
        free(col);
    }
    if (rc)
        for (k = 0; k < s->n_outputs; k++) {
            skc_tensor_free(out[k]);
            out[k] = NULL;
        }
done:
    for (k = 0; state && k < nstate; k++)
        skc_tensor_free(state[k]);
    for (k = 0; parts && len > 0 && k < len * nscan_out; k++)
        skc_tensor_free(parts[k]);
    for (k = 0; slices && k < m; k++)
        skc_tensor_free(slices[k]);
    free(names);
    free(vals);
    free(state);
    free(slices);
    free(res);
    free(parts);
    graph_prog_free(&g);
    return rc;
}
