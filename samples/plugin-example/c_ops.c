/* SPDX-License-Identifier: MIT */
/* c_ops.c: the IR operations the "c" writer supports and the C each becomes: scaler, clip, linear, proba, label, identity. */
#include <limits.h>
#include <string.h>
#include "c_writer.h"

int cw_attr_tensor(cw_writer *w, const skc_step *st, int index, const char *key,
                   int dtype, int ndim, int required, const skc_tensor **out)
{
    *out = NULL;
    if (skc_step_get_tensor(st, key, out) != SKC_OK) {
        *out = NULL;
        return required ? cw_fail(w, SKC_E_FORMAT, "step %d (%s) lacks tensor '%s'",
                                  index, skc_step_op(st), key)
                        : SKC_OK;
    }
    if (skc_tensor_dtype(*out) != dtype || skc_tensor_ndim(*out) != ndim)
        return cw_fail(w, SKC_E_FORMAT, "step %d (%s): '%s' must be a %d-D %s tensor",
                       index, skc_step_op(st), key, ndim, skc_dtype_name(dtype));
    /* The generated code indexes with int. */
    if (skc_tensor_numel(*out) > INT_MAX / 2)
        return cw_fail(w, SKC_E_LIMIT, "step %d (%s): '%s' has too many elements for C "
                       "arrays indexed by int", index, skc_step_op(st), key);
    return SKC_OK;
}

/* A tensor attribute of one row per input column. */
static int cw_ops_column_attr(cw_writer *w, const skc_step *st, int index, const char *key,
                              int required, int width, const skc_tensor **out)
{
    int rc = cw_attr_tensor(w, st, index, key, SKC_DT_F64, 1, required, out);

    if (rc == SKC_OK && *out && skc_tensor_numel(*out) != width)
        return cw_fail(w, SKC_E_FORMAT, "step %d (%s): '%s' has %lld entries for %d columns",
                       index, skc_step_op(st), key, (long long)skc_tensor_numel(*out), width);
    return rc;
}

static void cw_ops_table(cw_writer *w, int index, const char *key, const skc_tensor *t)
{
    cw_printf(w, "static const double %s_s%d_%s[%lld] = ", w->prefix, index, key,
              (long long)skc_tensor_numel(t));
    cw_f64_list(w, t);
    cw_puts(w, ";\n");
}

/* ---- scaler ------------------------------------------------------------- */

/* The per-column factor: "scale" multiplies, "divisor" divides. */
static const char *cw_scaler_factor(const skc_step *st)
{
    const skc_tensor *t;

    return skc_step_get_tensor(st, "divisor", &t) == SKC_OK ? "divisor" : "scale";
}

static int cw_scaler_plan(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                          cw_tensor *out)
{
    const skc_tensor *t;
    int rc;

    if ((rc = cw_ops_column_attr(w, st, index, "offset", 1, in->width, &t)) ||
        (rc = cw_ops_column_attr(w, st, index, cw_scaler_factor(st), 1, in->width, &t)) ||
        (rc = cw_ops_column_attr(w, st, index, "bias", 0, in->width, &t)))
        return rc;
    out->width = in->width;
    w->helpers |= CW_H_SCALER;
    return SKC_OK;
}

static void cw_scaler_tables(cw_writer *w, const skc_step *st, int index)
{
    const skc_tensor *t;

    skc_step_get_tensor(st, "offset", &t);
    cw_ops_table(w, index, "offset", t);
    skc_step_get_tensor(st, cw_scaler_factor(st), &t);
    cw_ops_table(w, index, cw_scaler_factor(st), t);
    if (skc_step_get_tensor(st, "bias", &t) == SKC_OK)
        cw_ops_table(w, index, "bias", t);
}

static void cw_scaler_call(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                           const cw_tensor *out)
{
    const skc_tensor *t;
    const char *p = w->prefix, *factor = cw_scaler_factor(st);

    cw_printf(w, "    %s_scaler(%d, %s, %s_s%d_offset, %s_s%d_%s, %d, ", p, in->width, in->var,
              p, index, p, index, factor, strcmp(factor, "divisor") == 0);
    if (skc_step_get_tensor(st, "bias", &t) == SKC_OK)
        cw_printf(w, "%s_s%d_bias, %s);\n", p, index, out->var);
    else
        cw_printf(w, "0, %s);\n", out->var);
}

/* ---- clip --------------------------------------------------------------- */

static int cw_clip_plan(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                        cw_tensor *out)
{
    double v;

    if (skc_step_get_float(st, "min", &v) || skc_step_get_float(st, "max", &v))
        return cw_fail(w, SKC_E_FORMAT, "step %d (clip) needs float 'min' and 'max'", index);
    out->width = in->width;
    w->helpers |= CW_H_CLIP;
    return SKC_OK;
}

static void cw_clip_call(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                         const cw_tensor *out)
{
    double lo = 0.0, hi = 0.0;

    (void)index;
    skc_step_get_float(st, "min", &lo);
    skc_step_get_float(st, "max", &hi);
    cw_printf(w, "    %s_clip(%d, %s, ", w->prefix, in->width, in->var);
    cw_double(w, lo);
    cw_puts(w, ", ");
    cw_double(w, hi);
    cw_printf(w, ", %s);\n", out->var);
}

/* ---- linear ------------------------------------------------------------- */

static int cw_linear_plan(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                          cw_tensor *out)
{
    const skc_tensor *coef, *icpt;
    int rc;

    if ((rc = cw_attr_tensor(w, st, index, "coef", SKC_DT_F64, 2, 1, &coef)) ||
        (rc = cw_attr_tensor(w, st, index, "intercept", SKC_DT_F64, 1, 1, &icpt)))
        return rc;
    if (skc_tensor_shape(coef)[1] != in->width ||
        skc_tensor_shape(coef)[0] != skc_tensor_numel(icpt) || skc_tensor_numel(icpt) < 1)
        return cw_fail(w, SKC_E_FORMAT, "step %d (linear): coef [%lld, %lld] and %lld "
                       "intercepts do not fit an input of %d columns", index,
                       (long long)skc_tensor_shape(coef)[0], (long long)skc_tensor_shape(coef)[1],
                       (long long)skc_tensor_numel(icpt), in->width);
    out->width = (int)skc_tensor_numel(icpt);
    w->helpers |= CW_H_LINEAR;
    return SKC_OK;
}

static void cw_linear_tables(cw_writer *w, const skc_step *st, int index)
{
    const skc_tensor *t;

    skc_step_get_tensor(st, "coef", &t);
    cw_printf(w, "/* coef[%lld][%lld], row-major */\n", (long long)skc_tensor_shape(t)[0],
              (long long)skc_tensor_shape(t)[1]);
    cw_ops_table(w, index, "coef", t);
    skc_step_get_tensor(st, "intercept", &t);
    cw_ops_table(w, index, "intercept", t);
}

static void cw_linear_call(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                           const cw_tensor *out)
{
    const char *p = w->prefix;

    (void)st;
    cw_printf(w, "    %s_linear(%d, %d, %s, %s_s%d_coef, %s_s%d_intercept, %s);\n", p,
              in->width, out->width, in->var, p, index, p, index, out->var);
}

/* ---- proba -------------------------------------------------------------- */

static int cw_proba_plan(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                         cw_tensor *out)
{
    const char *mode = "";

    skc_step_get_string(st, "mode", &mode);
    if (strcmp(mode, "logistic_binary") == 0) {
        if (in->width != 1)
            return cw_fail(w, SKC_E_FORMAT, "step %d (proba logistic_binary) needs one "
                           "score column, not %d", index, in->width);
        out->width = 2;
        w->helpers |= CW_H_LOGISTIC2 | CW_H_SIGMOID;
    } else if (strcmp(mode, "softmax") == 0) {
        out->width = in->width;
        w->helpers |= CW_H_SOFTMAX;
    } else if (strcmp(mode, "logistic_ovr") == 0) {
        out->width = in->width;
        w->helpers |= CW_H_LOGISTIC_OVR | CW_H_SIGMOID;
    } else {
        return cw_fail(w, SKC_E_UNSUPPORTED, "step %d (proba): mode '%s' is not supported",
                       index, mode);
    }
    return SKC_OK;
}

static void cw_proba_call(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                          const cw_tensor *out)
{
    const char *mode = "";

    (void)index;
    skc_step_get_string(st, "mode", &mode);
    if (strcmp(mode, "logistic_binary") == 0)
        cw_printf(w, "    %s_logistic_binary(%s, %s);\n", w->prefix, in->var, out->var);
    else
        cw_printf(w, "    %s_%s(%d, %s, %s);\n", w->prefix, mode, in->width, in->var,
                  out->var);
}

/* ---- label -------------------------------------------------------------- */

static int cw_label_plan(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                         cw_tensor *out)
{
    const skc_tensor *cl = NULL;
    const char *mode = "";
    int64_t k;

    if (skc_step_get_tensor(st, "classes", &cl) != SKC_OK || skc_tensor_ndim(cl) != 1 ||
        (skc_tensor_dtype(cl) != SKC_DT_I64 && skc_tensor_dtype(cl) != SKC_DT_STRING))
        return cw_fail(w, SKC_E_FORMAT, "step %d (label) needs 1-D int64 or string classes",
                       index);
    k = skc_tensor_numel(cl);
    skc_step_get_string(st, "mode", &mode);
    if (strcmp(mode, "argmax") == 0) {
        if (k != in->width || k < 1)
            return cw_fail(w, SKC_E_FORMAT, "step %d (label argmax): %d scores for %lld "
                           "classes", index, in->width, (long long)k);
        w->helpers |= CW_H_ARGMAX;
    } else if (strcmp(mode, "threshold") == 0) {
        if (k != 2 || in->width != 1)
            return cw_fail(w, SKC_E_FORMAT, "step %d (label threshold): %d scores for %lld "
                           "classes", index, in->width, (long long)k);
    } else {
        return cw_fail(w, SKC_E_UNSUPPORTED, "step %d (label): mode '%s' is not supported",
                       index, mode);
    }
    out->width = 1;
    out->is_label = 1;
    out->classes = cl;
    return SKC_OK;
}

static void cw_label_call(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                          const cw_tensor *out)
{
    const char *mode = "";
    double thr = 0.0;

    (void)index;
    skc_step_get_string(st, "mode", &mode);
    if (strcmp(mode, "argmax") == 0) {
        cw_printf(w, "    %s = %s_argmax(%d, %s);\n", out->var, w->prefix, in->width, in->var);
        return;
    }
    skc_step_get_float(st, "threshold", &thr);
    cw_printf(w, "    %s = %s[0] > ", out->var, in->var);
    cw_double(w, thr);
    cw_puts(w, " ? 1 : 0;\n");
}

/* ---- identity: the output is another name for the input ---------------- */

static int cw_identity_plan(cw_writer *w, const skc_step *st, int index, const cw_tensor *in,
                            cw_tensor *out)
{
    (void)w;
    (void)st;
    (void)index;
    out->width = in->width;
    out->is_label = in->is_label;
    out->classes = in->classes;
    out->alias = 1;
    memcpy(out->var, in->var, sizeof(out->var));
    return SKC_OK;
}

static const cw_op cw_ops[] = {
    { "scaler", cw_scaler_plan, cw_scaler_tables, cw_scaler_call },
    { "clip", cw_clip_plan, NULL, cw_clip_call },
    { "linear", cw_linear_plan, cw_linear_tables, cw_linear_call },
    { "proba", cw_proba_plan, NULL, cw_proba_call },
    { "label", cw_label_plan, NULL, cw_label_call },
    { "identity", cw_identity_plan, NULL, NULL },
};

const cw_op *cw_op_find(const char *name)
{
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < sizeof(cw_ops) / sizeof(cw_ops[0]); i++)
        if (strcmp(cw_ops[i].name, name) == 0)
            return &cw_ops[i];
    if (strcmp(name, cw_op_tree_ensemble.name) == 0)
        return &cw_op_tree_ensemble;
    return NULL;
}

/* The helpers follow core/OPS.md and the order of operations of skconv's
 * reference evaluator, so that a generated predict() gives the very
 * doubles skconv computes (and sklearn, within its own rounding). */
static const struct {
    unsigned bit;
    const char *text;
} cw_helpers[] = {
    { CW_H_COPY,
      "static void $_copy(int n, const double *a, double *b)\n"
      "{\n"
      "    int i;\n"
      "\n"
      "    for (i = 0; i < n; i++)\n"
      "        b[i] = a[i];\n"
      "}\n\n" },
    { CW_H_SCALER,
      "/* (x - offset) * factor + bias, or (x - offset) / factor + bias when\n"
      " * divide: the operation sklearn uses. NaN stays NaN. */\n"
      "static void $_scaler(int n, const double *x, const double *offset,\n"
      "        const double *factor, int divide, const double *bias, double *y)\n"
      "{\n"
      "    int i;\n"
      "\n"
      "    for (i = 0; i < n; i++)\n"
      "        y[i] = (divide ? (x[i] - offset[i]) / factor[i]\n"
      "                       : (x[i] - offset[i]) * factor[i]) + (bias ? bias[i] : 0.0);\n"
      "}\n\n" },
    { CW_H_CLIP,
      "/* min(max(x, lo), hi); NaN fails both tests and stays NaN. */\n"
      "static void $_clip(int n, const double *x, double lo, double hi, double *y)\n"
      "{\n"
      "    int i;\n"
      "\n"
      "    for (i = 0; i < n; i++)\n"
      "        y[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];\n"
      "}\n\n" },
    { CW_H_LINEAR,
      "/* s[t] = sum over f, in f order, of x[f] * coef[t][f], plus intercept[t]. */\n"
      "static void $_linear(int nf, int nt, const double *x, const double *coef,\n"
      "        const double *intercept, double *s)\n"
      "{\n"
      "    double acc;\n"
      "    int t, f;\n"
      "\n"
      "    for (t = 0; t < nt; t++) {\n"
      "        acc = 0.0;\n"
      "        for (f = 0; f < nf; f++)\n"
      "            acc += x[f] * coef[t * nf + f];\n"
      "        s[t] = acc + intercept[t];\n"
      "    }\n"
      "}\n\n" },
    { CW_H_SIGMOID,
      "/* 1 / (1 + exp(-z)) without overflow for large |z| (scipy's expit). */\n"
      "static double $_sigmoid(double z)\n"
      "{\n"
      "    if (z >= 0)\n"
      "        return 1.0 / (1.0 + exp(-z));\n"
      "    return exp(z) / (1.0 + exp(z));\n"
      "}\n\n" },
    { CW_H_LOGISTIC2,
      "static void $_logistic_binary(const double *s, double *p)\n"
      "{\n"
      "    double q = $_sigmoid(s[0]);\n"
      "\n"
      "    p[0] = 1.0 - q;\n"
      "    p[1] = q;\n"
      "}\n\n" },
    { CW_H_SOFTMAX,
      "static void $_softmax(int k, const double *s, double *p)\n"
      "{\n"
      "    double mx = s[0], sum = 0.0;\n"
      "    int j;\n"
      "\n"
      "    for (j = 1; j < k; j++)\n"
      "        if (s[j] > mx)\n"
      "            mx = s[j];\n"
      "    for (j = 0; j < k; j++)\n"
      "        sum += (p[j] = exp(s[j] - mx));\n"
      "    for (j = 0; j < k; j++)\n"
      "        p[j] = sum == 0.0 ? 1.0 / (double)k : p[j] / sum;\n"
      "}\n\n" },
    { CW_H_LOGISTIC_OVR,
      "/* One-vs-rest: each class's logistic, normalised to sum to 1. */\n"
      "static void $_logistic_ovr(int k, const double *s, double *p)\n"
      "{\n"
      "    double sum = 0.0;\n"
      "    int j;\n"
      "\n"
      "    for (j = 0; j < k; j++)\n"
      "        sum += (p[j] = $_sigmoid(s[j]));\n"
      "    for (j = 0; j < k; j++)\n"
      "        p[j] = sum == 0.0 ? 1.0 / (double)k : p[j] / sum;\n"
      "}\n\n" },
    { CW_H_ARGMAX,
      "/* The first index of the largest score. */\n"
      "static int $_argmax(int k, const double *s)\n"
      "{\n"
      "    int j, best = 0;\n"
      "\n"
      "    for (j = 1; j < k; j++)\n"
      "        if (s[j] > s[best])\n"
      "            best = j;\n"
      "    return best;\n"
      "}\n\n" },
    { CW_H_F32,
      "/* v rounded to float32, as IEEE 754 rounds it: past the float range\n"
      "   (where ISO C leaves the conversion undefined) that is an infinity. */\n"
      "static double $_f32(double v)\n"
      "{\n"
      "    if (v >= 0x1.ffffffp127)\n"
      "        return (double)INFINITY;\n"
      "    if (v <= -0x1.ffffffp127)\n"
      "        return -(double)INFINITY;\n"
      "    return (double)(float)v;\n"
      "}\n\n" },
};

void cw_emit_helpers(cw_writer *w)
{
    size_t i;

    for (i = 0; i < sizeof(cw_helpers) / sizeof(cw_helpers[0]); i++)
        if (w->helpers & cw_helpers[i].bit)
            cw_template(w, cw_helpers[i].text);
    if (w->helpers & CW_H_TREE)
        cw_emit_tree_helpers(w);
}
