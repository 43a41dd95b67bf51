/* SPDX-License-Identifier: MIT */
/* c_plugin.c: the skconv-example module: format "c", which writes a model as a dependency-free C99 predict function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "c_writer.h"

#define CW_VERSION "0.1.0"

static const skc_option cw_write_options[] = {
    { .name = "prefix", .type = SKC_OPT_STRING, .default_value = "skc",
      .help = "C identifier every name in the file starts with (macros use it in upper "
              "case), so that several models can live in one program" },
    { 0 }
};

/* The writer is generic over the ops it knows, so the answer is the op table. */
static int cw_query_op(const char *op)
{
    return cw_op_find(op) != NULL;
}

/* ---- planning: what predict() computes, and in which variables ---------- */

static int cw_find(const cw_writer *w, const char *name)
{
    int i;

    for (i = 0; i < w->n_t; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return i;
    return -1;
}

/* The identifiers come from a user option: C wants [A-Za-z_][A-Za-z0-9_]*,
 * and names starting with "__" or "_" + capital letter are reserved. */
static int cw_set_prefix(cw_writer *w, const char *p)
{
    size_t i, n = p ? strlen(p) : 0;

    if (n == 0 || n > CW_PREFIX_MAX || (p[0] >= '0' && p[0] <= '9') ||
        (p[0] == '_' && (p[1] == '_' || (p[1] >= 'A' && p[1] <= 'Z'))))
        goto bad;
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            goto bad;
        w->prefix[i] = c;
        w->upper[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    w->prefix[n] = w->upper[n] = '\0';
    return SKC_OK;
bad:
    return cw_fail(w, SKC_E_INVAL, "option prefix='%s' is not a C identifier of 1 to %d "
                   "characters (letters, digits, '_'; not reserved)", p ? p : "",
                   CW_PREFIX_MAX);
}

/* One row of one numeric input: the API takes double. A float32 input is
 * rounded to float first, since that is what the model saw. */
static int cw_plan_input(cw_writer *w, const skc_model *m)
{
    const int64_t *shape;
    int ndim, dt;

    if (skc_model_input_count(m) != 1)
        return cw_fail(w, SKC_E_UNSUPPORTED, "format 'c' writes models of one input, this "
                       "one has %d", skc_model_input_count(m));
    dt = skc_model_input_dtype(m, 0);
    shape = skc_model_input_shape(m, 0, &ndim);
    if (dt != SKC_DT_F64 && dt != SKC_DT_F32)
        return cw_fail(w, SKC_E_UNSUPPORTED, "format 'c' needs a numeric input, not %s",
                       skc_dtype_name(dt));
    if (ndim != 2 || shape[1] < 1 || shape[1] > 1000000)
        return cw_fail(w, SKC_E_UNSUPPORTED, "format 'c' needs an input of a known number "
                       "of columns (1 to 1000000)");
    w->t[0].name = skc_model_input_name(m, 0);
    w->t[0].width = (int)shape[1];
    w->t[0].step = -1;
    snprintf(w->t[0].var, sizeof(w->t[0].var), "%s", dt == SKC_DT_F32 ? "xf" : "x");
    w->n_t = 1;
    return SKC_OK;
}

/* Every supported op has one input and one output, and the IR is in
 * single assignment form: each tensor has one producer. Mark what the
 * model's outputs depend on: other steps are not written at all, which
 * also keeps unused tables and helpers (warnings) out of the file. */
static int cw_plan_graph(cw_writer *w, const skc_model *m)
{
    int n = skc_model_step_count(m), i, j, rc;

    for (i = 0; i < n; i++) {
        const skc_step *st = skc_model_step(m, i);
        cw_tensor *o = &w->t[w->n_t];
        if (!cw_op_find(skc_step_op(st)))
            return cw_fail(w, SKC_E_UNSUPPORTED, "format 'c' cannot write IR operation '%s'",
                           skc_step_op(st));
        if (skc_step_input_count(st) != 1 || skc_step_output_count(st) != 1)
            return cw_fail(w, SKC_E_FORMAT, "step %d (%s) has %d inputs and %d outputs", i,
                           skc_step_op(st), skc_step_input_count(st),
                           skc_step_output_count(st));
        if (cw_find(w, skc_step_input(st, 0)) < 0)
            return cw_fail(w, SKC_E_FORMAT, "step %d (%s) reads '%s', which nothing before "
                           "it produces", i, skc_step_op(st), skc_step_input(st, 0));
        if (cw_find(w, skc_step_output(st, 0)) >= 0)
            return cw_fail(w, SKC_E_FORMAT, "step %d (%s) writes '%s' a second time", i,
                           skc_step_op(st), skc_step_output(st, 0));
        o->name = skc_step_output(st, 0);
        o->step = i;
        w->n_t++;
    }
    for (i = 0; i < skc_model_output_count(m); i++) {
        if ((j = cw_find(w, skc_model_output_name(m, i))) < 0)
            return cw_fail(w, SKC_E_FORMAT, "model output '%s' is not produced",
                           skc_model_output_name(m, i));
        w->t[j].needed = 1;
    }
    for (i = w->n_t - 1; i > 0; i--)
        if (w->t[i].needed)
            w->t[cw_find(w, skc_step_input(skc_model_step(m, w->t[i].step), 0))].needed = 1;
    for (i = 1; i < w->n_t; i++) {
        const skc_step *st = skc_model_step(m, w->t[i].step);
        const cw_tensor *in = &w->t[cw_find(w, skc_step_input(st, 0))];
        cw_tensor *o = &w->t[i];
        if (!o->needed)
            continue;
        if (in->is_label && strcmp(skc_step_op(st), "identity") != 0)
            return cw_fail(w, SKC_E_UNSUPPORTED, "step %d (%s) computes on class labels",
                           o->step, skc_step_op(st));
        if ((rc = cw_op_find(skc_step_op(st))->plan(w, st, o->step, in, o)))
            return rc;
        if (!o->alias)
            snprintf(o->var, sizeof(o->var), "%s%d", o->is_label ? "l" : "t", i);
    }
    return SKC_OK;
}

/* predict() fills `values` with the numeric outputs, one after the other
 * in the model's order, and `label_index` from the one label output. */
static int cw_plan_outputs(cw_writer *w, const skc_model *m, int *label, int *n_values)
{
    int i, j;

    *label = -1;
    *n_values = 0;
    for (i = 0; i < skc_model_output_count(m); i++) {
        j = cw_find(w, skc_model_output_name(m, i));
        if (!w->t[j].is_label) {
            *n_values += w->t[j].width;
            continue;
        }
        if (*label >= 0)
            return cw_fail(w, SKC_E_UNSUPPORTED, "format 'c' writes one label output, this "
                           "model has more");
        *label = j;
    }
    return SKC_OK;
}

/* ---- emission ------------------------------------------------------------ */

static void cw_meta_line(cw_writer *w, const skc_model *m, const char *what, const char *key)
{
    const char *v = skc_model_get_meta(m, key);

    if (!v || !*v)
        return;
    cw_printf(w, " *   %-16s ", what);
    cw_comment_text(w, v, 200);
    cw_puts(w, "\n");
}

static void cw_emit_header(cw_writer *w, const skc_model *m, int label, int n_values)
{
    const skc_tensor *cols = skc_model_input_columns(m, 0);
    const char *p = w->prefix, *u = w->upper;
    size_t stack = 0;
    int i, j, at = 0;

    cw_printf(w, "/* Generated by skconv-example %s (skconv format \"c\"). Do not edit.\n *\n",
              CW_VERSION);
    cw_meta_line(w, m, "estimator", "source.class");
    cw_meta_line(w, m, "from", "source.file");
    cw_meta_line(w, m, "sha256", "source.sha256");
    cw_meta_line(w, m, "sklearn", "producer.sklearn_version");
    cw_meta_line(w, m, "converted by", "producer.converter");
    cw_printf(w,
        " *\n"
        " * Self-contained C99: it includes only <math.h> (link with -lm). Compile\n"
        " * it on its own or #include it; every name in it starts with %s_ or %s_.\n"
        " *\n"
        " * int %s_predict(const double *x, double *values, int *label_index);\n"
        " *   x            one row: %s_N_FEATURES doubles; NaN is allowed (trees route it)\n"
        " *   values       %s_N_OUTPUTS doubles, or NULL:\n",
        p, u, p, u, u);
    for (i = 0; i < skc_model_output_count(m); i++) {
        const cw_tensor *t = &w->t[cw_find(w, skc_model_output_name(m, i))];
        if (t->is_label)
            continue;
        cw_printf(w, " *                  values[%d..%d] '", at, at + t->width - 1);
        cw_comment_text(w, t->name, 64);
        cw_puts(w, "'\n");
        at += t->width;
    }
    if (n_values == 0)
        cw_puts(w, " *                  (none: this model has no numeric output)\n");
    for (i = 0; i < w->n_t; i++)
        if (w->t[i].needed && !w->t[i].alias && (i > 0 || strcmp(w->t[0].var, "xf") == 0))
            stack += w->t[i].is_label ? sizeof(int) : sizeof(double) * (size_t)w->t[i].width;
    cw_printf(w,
        " *   label_index  the predicted class, an index into the class table, or NULL\n"
        " *   returns 0, or -1 when x is NULL; its intermediate results take\n"
        " *   about %zu bytes of stack\n", stack);
    cw_printf(w,
        " * const char *%s_class_name(int i);  class i's label as text (integer labels\n"
        " *                                   in decimal); NULL when i is out of range\n"
        " * long long %s_class_value(int i);   class i's integer label (string labels: i)\n"
        " *\n"
        " * The arithmetic is skconv's reference evaluator's, operation for operation,\n"
        " * in double precision. It gives the same bits when a*b+c is not fused into\n"
        " * one instruction: ISO modes (-std=c99) keep them apart; with GNU modes on\n"
        " * FMA hardware add -ffp-contract=off. Never use -ffast-math: NaN routing\n"
        " * needs isnan().\n"
        " */\n"
        "#include <math.h>\n\n", p, p);
    cw_printf(w, "#define %s_N_FEATURES %d\n", u, w->t[0].width);
    cw_printf(w, "#define %s_N_OUTPUTS %d\n", u, n_values);
    cw_printf(w, "#define %s_N_CLASSES %lld\n", u,
              label >= 0 ? (long long)skc_tensor_numel(w->t[label].classes) : 0LL);
    cw_printf(w, "#define %s_STRING_LABELS %d\n\n", u,
              label >= 0 && skc_tensor_dtype(w->t[label].classes) == SKC_DT_STRING);
    cw_printf(w, "int %s_predict(const double *x, double *values, int *label_index);\n"
                 "const char *%s_class_name(int i);\n"
                 "long long %s_class_value(int i);\n\n", p, p, p);
    if (cols && skc_tensor_dtype(cols) == SKC_DT_STRING && skc_tensor_numel(cols) <= 256) {
        cw_puts(w, "/* Input columns:");
        for (j = 0; j < skc_tensor_numel(cols); j++) {
            cw_printf(w, "\n   x[%d] ", j);
            cw_comment_text(w, skc_tensor_string(cols, j, NULL), 80);
        }
        cw_puts(w, " */\n\n");
    }
}

/* INT64_MIN has no literal of its own in C. */
static void cw_i64(cw_writer *w, long long v)
{
    if (v == INT64_MIN)
        cw_puts(w, "(-9223372036854775807LL - 1)");
    else
        cw_printf(w, "%lldLL", v);
}

static void cw_emit_classes(cw_writer *w, int label)
{
    const skc_tensor *cl = label >= 0 ? w->t[label].classes : NULL;
    const char *p = w->prefix;
    int64_t i, k = cl ? skc_tensor_numel(cl) : 0;
    int is_str = cl && skc_tensor_dtype(cl) == SKC_DT_STRING;

    if (k == 0) {
        cw_printf(w, "const char *%s_class_name(int i)\n{\n    (void)i;\n    return 0;\n}\n\n"
                     "long long %s_class_value(int i)\n{\n    (void)i;\n    return 0;\n}\n\n",
                  p, p);
        return;
    }
    cw_printf(w, "static const char *const %s_class_names[%lld] = {", p, (long long)k);
    for (i = 0; i < k && !w->status; i++) {
        cw_puts(w, "\n    \"");
        if (is_str) {
            size_t len;
            const char *s = skc_tensor_string(cl, i, &len);
            cw_string_body(w, s, len);
        } else {
            cw_printf(w, "%lld", (long long)((const int64_t *)skc_tensor_data(cl))[i]);
        }
        cw_puts(w, "\",");
    }
    cw_puts(w, "\n};\n\n");
    cw_printf(w, "const char *%s_class_name(int i)\n{\n"
                 "    return i >= 0 && i < %s_N_CLASSES ? %s_class_names[i] : 0;\n}\n\n",
              p, w->upper, p);
    if (is_str) {
        cw_printf(w, "long long %s_class_value(int i)\n{\n    return i;\n}\n\n", p);
        return;
    }
    cw_printf(w, "static const long long %s_class_values[%lld] = {", p, (long long)k);
    for (i = 0; i < k && !w->status; i++) {
        cw_puts(w, i % 8 ? " " : "\n    ");
        cw_i64(w, (long long)((const int64_t *)skc_tensor_data(cl))[i]);
        cw_puts(w, ",");
    }
    cw_puts(w, "\n};\n\n");
    cw_printf(w, "long long %s_class_value(int i)\n{\n"
                 "    return i >= 0 && i < %s_N_CLASSES ? %s_class_values[i] : 0;\n}\n\n",
              p, w->upper, p);
}

static void cw_emit_predict(cw_writer *w, const skc_model *m, int label, int n_values)
{
    int i, at = 0;

    cw_printf(w, "int %s_predict(const double *x, double *values, int *label_index)\n{\n",
              w->prefix);
    if (strcmp(w->t[0].var, "xf") == 0 && w->t[0].needed)
        cw_printf(w, "    double xf[%d];\n", w->t[0].width);
    for (i = 1; i < w->n_t; i++) {
        if (!w->t[i].needed || w->t[i].alias)
            continue;
        if (w->t[i].is_label)
            cw_printf(w, "    int %s;\n", w->t[i].var);
        else
            cw_printf(w, "    double %s[%d];\n", w->t[i].var, w->t[i].width);
    }
    cw_puts(w, "\n    if (!x)\n        return -1;\n");
    if (strcmp(w->t[0].var, "xf") == 0 && w->t[0].needed)
        cw_printf(w, "    {\n        int i;\n\n        for (i = 0; i < %d; i++)\n"
                     "            xf[i] = %s_f32(x[i]);\n    }\n", w->t[0].width, w->prefix);
    for (i = 1; i < w->n_t; i++) {
        const skc_step *st = skc_model_step(m, w->t[i].step);
        const cw_op *op = cw_op_find(skc_step_op(st));
        if (!w->t[i].needed || !op->call)
            continue;
        op->call(w, st, w->t[i].step, &w->t[cw_find(w, skc_step_input(st, 0))], &w->t[i]);
    }
    if (n_values) {
        cw_puts(w, "    if (values) {\n");
        for (i = 0; i < skc_model_output_count(m); i++) {
            const cw_tensor *t = &w->t[cw_find(w, skc_model_output_name(m, i))];
            if (t->is_label)
                continue;
            cw_printf(w, "        %s_copy(%d, %s, values + %d);\n", w->prefix, t->width,
                      t->var, at);
            at += t->width;
        }
        cw_puts(w, "    }\n");
    } else {
        cw_puts(w, "    (void)values;\n");
    }
    if (label >= 0)
        cw_printf(w, "    if (label_index)\n        *label_index = %s;\n", w->t[label].var);
    else
        cw_puts(w, "    (void)label_index;\n");
    cw_puts(w, "    return 0;\n}\n");
}

static int cw_write(skc_session *s, const skc_model *m, skc_stream *out)
{
    cw_writer *w = skc_session_priv(s);
    char err[512];
    int label, n_values, i, rc;

    w->s = s;
    w->out = out;
    if ((rc = cw_set_prefix(w, skc_session_option(s, "prefix"))))
        return rc;
    /* The host validates what readers return, not what it is asked to
     * write; the generated code relies on well-formed trees. */
    if ((rc = skc_model_validate(m, err, sizeof(err))))
        return cw_fail(w, rc, "the model is not valid: %s", err);
    w->t = calloc((size_t)skc_model_step_count(m) + 1, sizeof(*w->t));
    if (!w->t)
        return cw_fail(w, SKC_E_NOMEM, "out of memory");
    if ((rc = cw_plan_input(w, m)) || (rc = cw_plan_graph(w, m)) ||
        (rc = cw_plan_outputs(w, m, &label, &n_values)))
        return rc;
    if (n_values)
        w->helpers |= CW_H_COPY;
    if (w->t[0].needed && strcmp(w->t[0].var, "xf") == 0)
        w->helpers |= CW_H_F32;

    cw_emit_header(w, m, label, n_values);
    cw_emit_helpers(w);
    for (i = 1; i < w->n_t; i++) {
        const skc_step *st = skc_model_step(m, w->t[i].step);
        const cw_op *op = cw_op_find(skc_step_op(st));
        if (w->t[i].needed && op->tables)
            op->tables(w, st, w->t[i].step);
    }
    cw_puts(w, "\n");
    cw_emit_classes(w, label);
    cw_emit_predict(w, m, label, n_values);
    return cw_finish(w);
}

static void cw_close(skc_session *s)
{
    cw_writer *w = skc_session_priv(s);

    cw_text_free(w);
    free(w->t);
    w->t = NULL;
}

static const skc_format cw_format = {
    SKC_FORMAT_INIT,
    .caps = SKC_CAP_WRITE,
    .name = "c",
    .long_name = "dependency-free C source",
    .extensions = "c",
    .write_options = cw_write_options,
    .priv_size = sizeof(cw_writer),
    .query_op = cw_query_op,
    .write = cw_write,
    .close = cw_close,
};

static const skc_format *const cw_formats[] = { &cw_format, NULL };

static const skc_plugin cw_plugin = {
    SKC_PLUGIN_INIT,
    .name = "example",
    .version = CW_VERSION,
    .license = "MIT",
    .formats = cw_formats,
};

SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi);

SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi)
{
    return host_abi == SKC_ABI_VERSION ? &cw_plugin : NULL;
}
