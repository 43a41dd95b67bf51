/* SPDX-License-Identifier: MIT */
/* eval.c: model validation and the reference evaluator's driver (ops.c holds each op). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

typedef struct eval_env {
    const char **names;
    skc_tensor **vals;
    int n;
} eval_env;

static int eval_defined(const char *const *names, int n, const char *name)
{
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int skc_model_validate(const skc_model *m, char *err, size_t errlen)
{
    if (m && skci_model_checked(m, SKCI_CHECK_FULL))
        return SKC_OK;   /* checked once (model.h: checked) */
    return skci_model_check(m, SKCI_CHECK_FULL, err, errlen);
}

/* Whether a tensor of step @p s is used in place (a mapped file). */
static int eval_borrows(const skc_step *s)
{
    for (int k = 0; k < s->n_attrs; k++)
        if (s->attrs[k].t && skci_tensor_borrowed(s->attrs[k].t))
            return 1;
    return 0;
}

int skci_model_check(const skc_model *m, int level, char *err, size_t errlen)
{
    const char **names = NULL;
    uint64_t epoch = skci_tensor_epoch();
    int n = 0, cap, i, j, rc = SKC_OK, relaxed = 0;

    if (!m)
        return SKC_E_INVAL;
    if (m->n_inputs < 1 || m->n_outputs < 1) {
        skci_errf(err, errlen, "model has no %s", m->n_inputs < 1 ? "inputs" : "outputs");
        return SKC_E_FORMAT;
    }
    cap = m->n_inputs;
    for (i = 0; i < m->n_steps; i++)
        cap += m->steps[i]->n_outputs;
    names = malloc((size_t)cap * sizeof(*names));
    if (!names)
        return SKC_E_NOMEM;
    for (i = 0; i < m->n_inputs; i++)
        names[n++] = m->inputs[i].name;
    for (i = 0; i < m->n_steps; i++) {
        const skc_step *s = m->steps[i];
        const skci_op *op = skci_op_find(s->op);
        if (!op) {
            skci_errf(err, errlen, "step %d: unknown IR operation '%s'", i, s->op);
            rc = SKC_E_UNSUPPORTED;
            goto done;
        }
        /* -1: one or more (the ONNX mirror ops with variadic arity). */
        if ((op->n_inputs >= 0 ? s->n_inputs != op->n_inputs : s->n_inputs < 1) ||
            (op->n_outputs >= 0 ? s->n_outputs != op->n_outputs : s->n_outputs < 1)) {
            skci_errf(err, errlen, "step %d ('%s'): %d inputs and %d outputs, expected %d and %d",
                      i, s->op, s->n_inputs, s->n_outputs, op->n_inputs, op->n_outputs);
            rc = SKC_E_FORMAT;
            goto done;
        }
        for (j = 0; j < s->n_inputs; j++) {
            if (eval_defined(names, n, s->inputs[j]) < 0) {
                skci_errf(err, errlen, "step %d ('%s'): input '%s' is not defined before it",
                          i, s->op, s->inputs[j]);
                rc = SKC_E_FORMAT;
                goto done;
            }
        }
        /* An op's lighter check for evaluation matters only for data used
         * in place; otherwise the full check costs the same, and passing
         * it spares writers a second pass (the model records FULL). */
        if (level < SKCI_CHECK_FULL && op->check_eval && eval_borrows(s)) {
            rc = op->check_eval(s, err, errlen);
            relaxed = 1;
        } else if (op->check)
            rc = op->check(s, err, errlen);
        if (rc)
            goto done;
        for (j = 0; j < s->n_outputs; j++) {
            if (eval_defined(names, n, s->outputs[j]) >= 0) {
                skci_errf(err, errlen, "step %d ('%s'): output '%s' is defined twice",
                          i, s->op, s->outputs[j]);
                rc = SKC_E_FORMAT;
                goto done;
            }
            names[n++] = s->outputs[j];
        }
    }
    for (i = 0; i < m->n_outputs; i++) {
        if (eval_defined(names, n, m->outputs[i].name) < 0) {
            skci_errf(err, errlen, "model output '%s' is produced by no step",
                      m->outputs[i].name);
            rc = SKC_E_FORMAT;
            goto done;
        }
    }
done:
    free(names);
    /* The epoch as it was before the checks: a write during them makes
     * the record stale. The cast is for this cache, which mutators
     * (model.c) reset. */
    if (!relaxed)
        level = SKCI_CHECK_FULL;
    if (rc == SKC_OK && !skci_model_checked(m, level))
        atomic_store(&((skc_model *)(uintptr_t)m)->checked,
                     epoch << 2 | (uint64_t)level);
    return rc;
}

int skci_parse_f64(const char *s, size_t len, double *out)
{
    char buf[128], *end;
    double v;

    while (len > 0 && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (len == 0 || len >= sizeof(buf))
        return SKC_E_INVAL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    v = strtod(buf, &end);
    if (end != buf + len)
        return SKC_E_INVAL;
    *out = v;
    return SKC_OK;
}

int skci_strings_to_f64(const skc_tensor *t, const char *what, skc_tensor **out,
                        char *err, size_t errlen)
{
    int64_t rows = skci_rows(t), cols = skci_cols(t), i;
    double *d;
    int rc;

    if ((rc = skci_new_matrix(rows, cols, out)))
        return rc;
    d = skc_tensor_data_mut(*out);
    for (i = 0; i < rows * cols; i++) {
        size_t len = 0;
        const char *v = skc_tensor_string(t, i, &len);
        if (!v || skci_parse_f64(v, len, &d[i])) {
            skci_errf(err, errlen, "%s: row %lld, column %lld: '%.40s' is not a number",
                      what, (long long)(cols ? i / cols : 0), (long long)(cols ? i % cols : 0),
                      v ? v : "");
            skc_tensor_free(*out);
            *out = NULL;
            return SKC_E_INVAL;
        }
    }
    return SKC_OK;
}

/* Numeric inputs are evaluated as float64 [N, C]; an input the model
 * declares float32 is first rounded to float32, as a float32 runtime
 * would receive it. */
static int eval_as_f64(const skc_tensor *t, int want_dtype, skc_tensor **out)
{
    const int64_t *sh = skc_tensor_shape(t);
    int64_t rows = skc_tensor_ndim(t) >= 1 ? sh[0] : 1;
    int64_t cols, i, n;
    double *d;
    int rc;

    if (skc_tensor_dtype(t) == SKC_DT_STRING) {
        /* String columns (categories) reach the ops that read them as they are. */
        if (want_dtype != SKC_DT_STRING)
            return SKC_E_UNSUPPORTED;
        *out = skc_tensor_ref((skc_tensor *)(uintptr_t)t);
        return SKC_OK;
    }
    if (skc_tensor_dtype(t) == SKC_DT_F64 && skc_tensor_ndim(t) == 2 &&
        want_dtype != SKC_DT_F32) {
        *out = skc_tensor_ref((skc_tensor *)(uintptr_t)t);
        return SKC_OK;
    }
    n = skc_tensor_numel(t);
    cols = rows ? n / rows : 0;
    rc = skci_new_matrix(rows, cols, out);
    if (rc)
        return rc;
    d = skc_tensor_data_mut(*out);
    for (i = 0; i < n; i++)
        d[i] = skc_tensor_get_f64(t, i);
    if (want_dtype == SKC_DT_F32)
        for (i = 0; i < n; i++)
            d[i] = (double)(float)d[i];
    return SKC_OK;
}

/* A model input as the model declares it: float32 inputs become float32
 * tensors (rounded, as a float32 runtime receives them), float64 and
 * other numerics float64 [N, C], strings as they are. */
static int eval_input(const skc_tensor *t, int want, skc_tensor **out)
{
    int64_t i, n;
    float *d;
    int rc;

    if (skc_tensor_dtype(t) == SKC_DT_STRING || want == SKC_DT_STRING) {
        if (skc_tensor_dtype(t) != want)
            return SKC_E_INVAL;
        *out = skc_tensor_ref((skc_tensor *)(uintptr_t)t);
        return SKC_OK;
    }
    /* Integer and bool inputs (ONNX graphs declare them) keep their type
     * and shape; the values are converted to it. */
    if (want == SKC_DT_I64 || want == SKC_DT_I32 || want == SKC_DT_BOOL || want == SKC_DT_U8) {
        void *p;
        if (skc_tensor_dtype(t) == want) {
            *out = skc_tensor_ref((skc_tensor *)(uintptr_t)t);
            return SKC_OK;
        }
        if ((rc = skc_tensor_new(want, skc_tensor_ndim(t), skc_tensor_shape(t), out)))
            return rc;
        p = skc_tensor_data_mut(*out);
        n = skc_tensor_numel(t);
        for (i = 0; i < n; i++) {
            double v = skc_tensor_get_f64(t, i);
            if (want == SKC_DT_I64)
                ((int64_t *)p)[i] = v == v && fabs(v) < 9.2e18 ? (int64_t)v : 0;
            else if (want == SKC_DT_I32)
                ((int32_t *)p)[i] = v == v && fabs(v) < 2.1e9 ? (int32_t)v : 0;
            else if (want == SKC_DT_U8)
                ((uint8_t *)p)[i] = v >= 0 && v < 256 ? (uint8_t)v : 0;
            else
                ((uint8_t *)p)[i] = v != 0;
        }
        return SKC_OK;
    }
    if (want != SKC_DT_F32)
        return eval_as_f64(t, SKC_DT_F64, out);
    if (skc_tensor_dtype(t) == SKC_DT_F32) {
        *out = skc_tensor_ref((skc_tensor *)(uintptr_t)t);
        return SKC_OK;
    }
    rc = skc_tensor_new(SKC_DT_F32, skc_tensor_ndim(t), skc_tensor_shape(t), out);
    if (rc)
        return rc;
    d = skc_tensor_data_mut(*out);
    n = skc_tensor_numel(t);
    for (i = 0; i < n; i++)
        d[i] = (float)skc_tensor_get_f64(t, i);
    return SKC_OK;
}

int skc_model_eval(const skc_model *m, const skc_tensor *const *inputs,
                   skc_tensor **outputs, char *err, size_t errlen)
{
    eval_env env = { 0 };
    int cap, i, j, rc = SKC_OK;

    if (!m || !inputs || !outputs)
        return SKC_E_INVAL;
    /* Checked once, not per call (model.h: checked). */
    if (!skci_model_checked(m, SKCI_CHECK_EVAL) &&
        (rc = skci_model_check(m, SKCI_CHECK_EVAL, err, errlen)))
        return rc;
    cap = m->n_inputs;
    for (i = 0; i < m->n_steps; i++)
        cap += m->steps[i]->n_outputs;
    env.names = calloc((size_t)cap, sizeof(*env.names));
    env.vals = calloc((size_t)cap, sizeof(*env.vals));
    if (!env.names || !env.vals) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < m->n_inputs; i++) {
        if (!inputs[i]) {
            skci_errf(err, errlen, "input '%s' not given", m->inputs[i].name);
            rc = SKC_E_INVAL;
            goto done;
        }
        rc = eval_input(inputs[i], m->inputs[i].dtype, &env.vals[env.n]);
        if (rc) {
            skci_errf(err, errlen, "input '%s': %s", m->inputs[i].name, skc_strerror(rc));
            goto done;
        }
        if (m->inputs[i].ndim == 2 && m->inputs[i].shape[1] >= 0 &&
            skci_cols(env.vals[env.n]) != m->inputs[i].shape[1]) {
            skci_errf(err, errlen, "input '%s' has %lld columns; the model expects %lld",
                      m->inputs[i].name, (long long)skci_cols(env.vals[env.n]),
                      (long long)m->inputs[i].shape[1]);
            skc_tensor_free(env.vals[env.n]);
            rc = SKC_E_INVAL;
            goto done;
        }
        env.names[env.n++] = m->inputs[i].name;
    }
    for (i = 0; i < m->n_steps; i++) {
        const skc_step *s = m->steps[i];
        const skci_op *op = skci_op_find(s->op);
        /* Per-step arrays: ONNX Concat and Loop steps can have many. */
        const skc_tensor **in = calloc((size_t)s->n_inputs + 1, sizeof(*in));
        skc_tensor **out = calloc((size_t)s->n_outputs + 1, sizeof(*out));
        skc_tensor **conv = calloc((size_t)s->n_inputs + 1, sizeof(*conv));
        if (!in || !out || !conv) {
            free(in);
            free(out);
            free(conv);
            rc = SKC_E_NOMEM;
            goto done;
        }
        for (j = 0; j < s->n_inputs; j++) {
            in[j] = env.vals[eval_defined(env.names, env.n, s->inputs[j])];
            /* core/OPS.md "String inputs": a numeric op reads the numeric
             * columns of a string X as numbers. */
            if (!op->any_dtype && !op->strings_ok &&
                skc_tensor_dtype(in[j]) == SKC_DT_STRING) {
                char what[160];
                snprintf(what, sizeof(what), "step %d ('%s'): input '%s'", i, s->op,
                         s->inputs[j]);
                rc = skci_strings_to_f64(in[j], what, &conv[j], err, errlen);
                if (rc)
                    break;
                in[j] = conv[j];
            }
            /* Classic ops compute on float64 [N, C]: convert other numerics. */
            if (!op->any_dtype && skc_tensor_dtype(in[j]) != SKC_DT_STRING &&
                (skc_tensor_dtype(in[j]) != SKC_DT_F64 || skc_tensor_ndim(in[j]) != 2) &&
                !(skc_tensor_dtype(in[j]) == SKC_DT_I64 && skc_tensor_ndim(in[j]) == 1)) {
                rc = eval_as_f64(in[j], SKC_DT_F64, &conv[j]);
                if (rc)
                    break;
                in[j] = conv[j];
            }
        }
        if (rc == SKC_OK)
            rc = op->eval(s, in, out, err, errlen);
        for (j = 0; j < s->n_inputs; j++)
            skc_tensor_free(conv[j]);
        free(conv);
        free(in);
        if (rc) {
            free(out);
            goto done;
        }
        for (j = 0; j < s->n_outputs; j++) {
            env.names[env.n] = s->outputs[j];
            env.vals[env.n++] = out[j];
        }
        free(out);
    }
    for (i = 0; i < m->n_outputs; i++)
        outputs[i] = skc_tensor_ref(env.vals[eval_defined(env.names, env.n,
                                                          m->outputs[i].name)]);
done:
    for (i = 0; i < env.n; i++)
        skc_tensor_free(env.vals[i]);
    free(env.names);
    free(env.vals);
    return rc;
}
