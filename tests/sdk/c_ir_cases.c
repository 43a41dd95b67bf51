/* SPDX-License-Identifier: MIT */
/* c_ir_cases.c: hand-built IR models for the example plugin's format "c", with the reference evaluator's outputs, and its refusals. */
/* Built by test_plugin_example.py against the installed SDK only, as a
 * plugin author's own test would be (docs/PLUGINS.md "Testing a plugin").
 * Usage: c_ir_cases PLUGIN.so OUTDIR. For every model it writes
 * OUTDIR/NAME/model.c through the plugin, OUTDIR/NAME/rows.csv and
 * OUTDIR/NAME/expected.tsv (skc_model_eval()'s outputs: the label as
 * text, then the numeric outputs' values) and prints "model NAME"; the
 * script compiles and runs them. Checks of the writer's refusals and
 * options print "ok - ..." or "not ok - ...". The models reach the
 * corners of core/OPS.md that sklearn fixtures do not: NaN routing both
 * ways, float32 rounding at thresholds and past the float range, base,
 * target, scale, every aggregate, logistic_ovr, threshold labels, int64
 * label extremes, string labels that need escaping, a float32 input,
 * aliases, several numeric outputs and a step nothing uses. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <skconv/plugin.h>

#define CASE_MAX_ROWS 512
#define CASE_MAX_COLS 4

typedef struct case_rows {
    int n, f;
    double x[CASE_MAX_ROWS][CASE_MAX_COLS];
} case_rows;

static int case_failures;

static void case_check(int ok, const char *what, const char *detail)
{
    printf("%sok - %s%s%s\n", ok ? "" : "not ", what, detail && *detail ? ": " : "",
           detail ? detail : "");
    if (!ok)
        case_failures++;
}

/* ---- building models ------------------------------------------------------ */

static skc_tensor *case_f64(int ndim, int64_t d0, int64_t d1, const double *v)
{
    int64_t shape[2] = { d0, d1 };
    skc_tensor *t = NULL;

    if (skc_tensor_new(SKC_DT_F64, ndim, shape, &t) == SKC_OK)
        memcpy(skc_tensor_data_mut(t), v, skc_tensor_nbytes(t));
    return t;
}

static skc_tensor *case_ints(int dtype, int64_t n, const int64_t *v)
{
    skc_tensor *t = NULL;
    int64_t i;

    if (skc_tensor_new(dtype, 1, &n, &t) != SKC_OK)
        return NULL;
    for (i = 0; i < n; i++) {
        void *d = skc_tensor_data_mut(t);
        if (dtype == SKC_DT_I64)
            ((int64_t *)d)[i] = v[i];
        else if (dtype == SKC_DT_I32)
            ((int32_t *)d)[i] = (int32_t)v[i];
        else
            ((uint8_t *)d)[i] = (uint8_t)v[i];
    }
    return t;
}

static skc_tensor *case_strings(int64_t n, const char *const *v)
{
    skc_tensor *t = NULL;
    int64_t i;

    if (skc_tensor_new(SKC_DT_STRING, 1, &n, &t) != SKC_OK)
        return NULL;
    for (i = 0; i < n; i++)
        skc_tensor_set_string(t, i, v[i], strlen(v[i]));
    return t;
}

/* Attach @p t (which may be NULL after a failed allocation: the model
 * then fails validation and the case reports it) and drop our reference. */
static void case_attr(skc_step *st, const char *key, skc_tensor *t)
{
    if (t)
        skc_step_set_tensor(st, key, t);
    skc_tensor_free(t);
}

static skc_step *case_step(skc_model *m, const char *op, const char *in, const char *out)
{
    skc_step *st = NULL;

    if (skc_model_add_step(m, op, &st) || skc_step_add_input(st, in) ||
        skc_step_add_output(st, out))
        return NULL;
    return st;
}

static skc_model *case_model(int dtype, int f)
{
    int64_t shape[2] = { -1, f };
    skc_model *m = NULL;

    if (skc_model_new(&m) || skc_model_add_input(m, "X", dtype, 2, shape)) {
        skc_model_free(m);
        return NULL;
    }
    return m;
}

static void case_out_values(skc_model *m, const char *name, int64_t width)
{
    int64_t shape[2] = { -1, width };

    skc_model_add_output(m, name, SKC_DT_F64, 2, shape);
}

static void case_out_label(skc_model *m, const char *name, int dtype)
{
    int64_t shape[1] = { -1 };

    skc_model_add_output(m, name, dtype, 1, shape);
}

/* One tree_ensemble: trees given as tree-local node arrays. */
typedef struct case_forest {
    int n_trees, n_nodes, n_leaves, width;
    int64_t offsets[8], feature[32], left[32], right[32], missing_left[32];
    double threshold[32], value[64];
} case_forest;

static skc_step *case_trees(skc_model *m, const char *in, const char *out,
                            const case_forest *cf, const char *aggregate, int64_t n_targets,
                            int x_float32)
{
    skc_step *st = case_step(m, "tree_ensemble", in, out);

    if (!st)
        return NULL;
    skc_step_set_int(st, "n_targets", n_targets);
    skc_step_set_string(st, "aggregate", aggregate);
    skc_step_set_int(st, "x_float32", x_float32);
    case_attr(st, "tree_offsets", case_ints(SKC_DT_I64, cf->n_trees + 1, cf->offsets));
    case_attr(st, "feature", case_ints(SKC_DT_I32, cf->n_nodes, cf->feature));
    case_attr(st, "left", case_ints(SKC_DT_I32, cf->n_nodes, cf->left));
    case_attr(st, "right", case_ints(SKC_DT_I32, cf->n_nodes, cf->right));
    case_attr(st, "missing_left", case_ints(SKC_DT_U8, cf->n_nodes, cf->missing_left));
    case_attr(st, "threshold", case_f64(1, cf->n_nodes, 0, cf->threshold));
    case_attr(st, "value", case_f64(2, cf->n_leaves, cf->width, cf->value));
    return st;
}

/* ---- the models ----------------------------------------------------------- */

/* Linear scores, one-vs-rest probabilities, an argmax label over string
 * classes that need every kind of escaping in a C literal. */
static skc_model *case_ovr(void)
{
    static const double coef[9] = { 1.5, -2.0, 0.25, -0.5, 1.0, 3.0, 0.0, 0.75, -1.25 };
    static const double icpt[3] = { 0.1, -0.2, 0.3 };
    static const char *const classes[3] = { "quote\" back\\slash", "tri?" "?/graph\ttab",
                                            "\xc3\xbc" "nicode\n" };
    skc_model *m = case_model(SKC_DT_F64, 3);
    skc_step *st;

    if (!m)
        return NULL;
    if ((st = case_step(m, "linear", "X", "scores"))) {
        case_attr(st, "coef", case_f64(2, 3, 3, coef));
        case_attr(st, "intercept", case_f64(1, 3, 0, icpt));
    }
    if ((st = case_step(m, "label", "scores", "label"))) {
        case_attr(st, "classes", case_strings(3, classes));
        skc_step_set_string(st, "mode", "argmax");
    }
    if ((st = case_step(m, "proba", "scores", "probabilities")))
        skc_step_set_string(st, "mode", "logistic_ovr");
    case_out_label(m, "label", SKC_DT_STRING);
    case_out_values(m, "probabilities", 3);
    return m;
}

/* scaler with bias, clip, a single score with a threshold label over the
 * int64 extremes, logistic_binary, a label reached through identity, two
 * numeric outputs, and a step whose output nothing uses. */
static skc_model *case_threshold(void)
{
    static const double off[3] = { 1.0, -2.0, 0.5 }, sc[3] = { 0.5, 2.0, -1.0 };
    static const double bias[3] = { 0.0, 0.125, -0.25 };
    static const double coef[3] = { 1.0, -0.5, 2.0 }, icpt[1] = { -0.125 };
    static const double dead_coef[6] = { 1, 2, 3, 4, 5, 6 }, dead_icpt[2] = { 0, 0 };
    static const int64_t classes[2] = { INT64_MIN, INT64_MAX };
    skc_model *m = case_model(SKC_DT_F64, 3);
    skc_step *st;

    if (!m)
        return NULL;
    if ((st = case_step(m, "scaler", "X", "scaled"))) {
        case_attr(st, "offset", case_f64(1, 3, 0, off));
        case_attr(st, "scale", case_f64(1, 3, 0, sc));
        case_attr(st, "bias", case_f64(1, 3, 0, bias));
    }
    if ((st = case_step(m, "clip", "scaled", "clipped"))) {
        skc_step_set_float(st, "min", -1.0);
        skc_step_set_float(st, "max", 2.0);
    }
    if ((st = case_step(m, "linear", "clipped", "unused"))) {
        case_attr(st, "coef", case_f64(2, 2, 3, dead_coef));
        case_attr(st, "intercept", case_f64(1, 2, 0, dead_icpt));
    }
    if ((st = case_step(m, "linear", "clipped", "score"))) {
        case_attr(st, "coef", case_f64(2, 1, 3, coef));
        case_attr(st, "intercept", case_f64(1, 1, 0, icpt));
    }
    if ((st = case_step(m, "label", "score", "raw_label"))) {
        case_attr(st, "classes", case_ints(SKC_DT_I64, 2, classes));
        skc_step_set_string(st, "mode", "threshold");
        skc_step_set_float(st, "threshold", 0.25);
    }
    case_step(m, "identity", "raw_label", "label");
    if ((st = case_step(m, "proba", "score", "probabilities")))
        skc_step_set_string(st, "mode", "logistic_binary");
    case_out_label(m, "label", SKC_DT_I64);
    case_out_values(m, "probabilities", 2);
    case_out_values(m, "clipped", 3);
    return m;
}

/* sklearn trees: float32(x) at the split, NaN both ways, thresholds that
 * float32 rounding straddles, FLT_MAX, one target per tree, base, scale.
 * With @p categorical, the first split tests a category bitset instead,
 * which the writer must refuse. */
static skc_model *case_trees_f32(int categorical)
{
    static const case_forest cf = {
        .n_trees = 3, .n_nodes = 11, .n_leaves = 7, .width = 1,
        .offsets = { 0, 5, 8, 11 },
        .feature = { 0, -1, 1, -1, -1, 2, -1, -1, 0, -1, -1 },
        .threshold = { 0.1, 0, 1e-40, 0, 0, FLT_MAX, 0, 0, -0.5, 0, 0 },
        .left = { 1, -1, 3, -2, -3, 1, -4, -5, 1, -6, -7 },
        .right = { 2, -1, 4, -1, -1, 2, -1, -1, 2, -1, -1 },
        .missing_left = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
        .value = { 1, 2, 3, 10, 20, -1, 1 },
    };
    static const int64_t target[3] = { 0, 1, 0 }, classes[2] = { 7, -3 };
    static const int64_t cat_index[11] = { 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
    static const double base[2] = { 0.5, -0.25 };
    int64_t bits_shape[2] = { 1, 8 };
    skc_model *m = case_model(SKC_DT_F64, 3);
    skc_tensor *bits = NULL;
    skc_step *st;

    if (!m)
        return NULL;
    if ((st = case_trees(m, "X", "variable", &cf, "sum", 2, 1))) {
        case_attr(st, "target", case_ints(SKC_DT_I32, 3, target));
        case_attr(st, "base", case_f64(1, 2, 0, base));
        skc_step_set_float(st, "scale", 0.1);
        if (categorical) {
            case_attr(st, "cat_index", case_ints(SKC_DT_I32, 11, cat_index));
            if (skc_tensor_new(SKC_DT_U32, 2, bits_shape, &bits) == SKC_OK)
                ((uint32_t *)skc_tensor_data_mut(bits))[0] = 5;
            case_attr(st, "cat_bitset", bits);
        }
    }
    if ((st = case_step(m, "label", "variable", "label"))) {
        case_attr(st, "classes", case_ints(SKC_DT_I64, 2, classes));
        skc_step_set_string(st, "mode", "argmax");
    }
    case_out_label(m, "label", SKC_DT_I64);
    case_out_values(m, "variable", 2);
    return m;
}

/* HistGradientBoosting-style trees: x compared as it is, averaged rows of
 * two values, then softmax; a second step with aggregate none. */
static skc_model *case_trees_f64(void)
{
    static const case_forest avg = {
        .n_trees = 2, .n_nodes = 6, .n_leaves = 4, .width = 2,
        .offsets = { 0, 3, 6 },
        .feature = { 0, -1, -1, 1, -1, -1 },
        .threshold = { 0.1, 0, 0, -1.0, 0, 0 },
        .left = { 1, -1, -2, 1, -3, -4 },
        .right = { 2, -1, -1, 2, -1, -1 },
        .missing_left = { 0, 0, 0, 1, 0, 0 },
        .value = { 1, 0, 0, 1, 0.25, 0.75, 0.5, 0.5 },
    };
    static const case_forest none = {
        .n_trees = 2, .n_nodes = 6, .n_leaves = 4, .width = 1,
        .offsets = { 0, 3, 6 },
        .feature = { 2, -1, -1, 0, -1, -1 },
        .threshold = { 0.0, 0, 0, 0.1, 0, 0 },
        .left = { 1, -1, -2, 1, -3, -4 },
        .right = { 2, -1, -1, 2, -1, -1 },
        .missing_left = { 1, 0, 0, 0, 0, 0 },
        .value = { -4, 4, 8, -8 },
    };
    static const char *const classes[2] = { "left", "right" };
    skc_model *m = case_model(SKC_DT_F64, 3);
    skc_step *st;

    if (!m)
        return NULL;
    case_trees(m, "X", "avg", &avg, "average", 2, 0);
    if ((st = case_step(m, "proba", "avg", "probabilities")))
        skc_step_set_string(st, "mode", "softmax");
    if ((st = case_step(m, "label", "avg", "label"))) {
        case_attr(st, "classes", case_strings(2, classes));
        skc_step_set_string(st, "mode", "argmax");
    }
    case_trees(m, "X", "each", &none, "none", 2, 0);
    case_out_label(m, "label", SKC_DT_STRING);
    case_out_values(m, "probabilities", 2);
    case_out_values(m, "each", 2);
    return m;
}

/* A classifier without a numeric output: predict() fills only the label. */
static skc_model *case_label_only(void)
{
    static const double coef[3] = { 0.5, 0.25, -1.0 }, icpt[1] = { 0.0 };
    static const char *const classes[2] = { "neg", "pos" };
    skc_model *m = case_model(SKC_DT_F64, 3);
    skc_step *st;

    if (!m)
        return NULL;
    if ((st = case_step(m, "linear", "X", "score"))) {
        case_attr(st, "coef", case_f64(2, 1, 3, coef));
        case_attr(st, "intercept", case_f64(1, 1, 0, icpt));
    }
    if ((st = case_step(m, "label", "score", "label"))) {
        case_attr(st, "classes", case_strings(2, classes));
        skc_step_set_string(st, "mode", "threshold");
    }
    case_out_label(m, "label", SKC_DT_STRING);
    return m;
}

/* A float32 input is rounded before anything reads it. */
static skc_model *case_f32_input(void)
{
    static const double off[3] = { 0.1, 0.2, 0.0 }, sc[3] = { 3.0, 7.0, 1.0 };
    skc_model *m = case_model(SKC_DT_F32, 3);
    skc_step *st;

    if (!m)
        return NULL;
    if ((st = case_step(m, "scaler", "X", "variable"))) {
        case_attr(st, "offset", case_f64(1, 3, 0, off));
        case_attr(st, "scale", case_f64(1, 3, 0, sc));
    }
    case_out_values(m, "variable", 3);
    return m;
}

/* The output is the input itself: no steps but an identity. */
static skc_model *case_passthrough(void)
{
    skc_model *m = case_model(SKC_DT_F64, 3);

    if (!m)
        return NULL;
    case_step(m, "identity", "X", "variable");
    case_out_values(m, "variable", 3);
    return m;
}

/* Values worth routing: thresholds, their double and float32 neighbours,
 * NaN, infinities, zeros of both signs, a value past the float range. */
static void case_fill_rows(case_rows *r)
{
    const double fp01 = (double)(float)0.1;
    const double pool[] = {
        0.1, nextafter(0.1, 1.0), fp01, nextafter(fp01, 1.0), nextafter(fp01, 0.0),
        (double)nextafterf((float)0.1, 0.0f), 1e-40, 1.0000001e-40, 0.0, -0.0, -0.5,
        nextafter(-0.5, 0.0), -1.0, 1.0 / 3.0, FLT_MAX, nextafter((double)FLT_MAX, INFINITY),
        3.4028235677973366e38, 1e39, -1e39, INFINITY, -INFINITY, NAN, 2.5, -7.75
    };
    const int np = (int)(sizeof(pool) / sizeof(pool[0]));
    int i;

    r->f = 3;
    r->n = 0;
    /* Every value in every column, the others cycling through the pool
     * at different strides, so that columns meet in many combinations. */
    for (i = 0; i < np * np && r->n < CASE_MAX_ROWS; i++) {
        r->x[r->n][0] = pool[i % np];
        r->x[r->n][1] = pool[(i / np + i) % np];
        r->x[r->n][2] = pool[(i * 7 + 3) % np];
        r->n++;
    }
}

/* ---- writing a case ------------------------------------------------------- */

static void case_put_label(FILE *f, const skc_tensor *t, int64_t r)
{
    size_t len, i;
    const char *s;

    if (skc_tensor_dtype(t) != SKC_DT_STRING) {
        fprintf(f, "%lld", (long long)((const int64_t *)skc_tensor_data(t))[r]);
        return;
    }
    /* The harness prints class names the same way. */
    s = skc_tensor_string(t, r, &len);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > 0x20 && c < 0x7f && c != '\\')
            fputc(c, f);
        else
            fprintf(f, "\\%03o", c);
    }
}

static int case_write_c(skc_context *ctx, const skc_model *m, const char *path,
                        const char *prefix, char *err, size_t errlen)
{
    const skc_format *fmt = skc_context_find_format(ctx, "c");
    skc_session *s = NULL;
    skc_stream *out = NULL;
    int rc;

    if (!fmt) {
        snprintf(err, errlen, "format 'c' is not registered");
        return SKC_E_NOT_FOUND;
    }
    remove(path);
    if ((rc = skc_session_new(ctx, fmt, path, &s)))
        goto done;
    if (prefix && (rc = skc_session_set_option(s, 1, "prefix", prefix)))
        goto done;
    if ((rc = skc_stream_open_write(path, &out, err, errlen)))
        goto done;
    rc = skc_session_write(s, m, out);
    if (rc == SKC_OK)
        rc = skc_stream_sync(out);
done:
    if (rc && s && *skc_session_error(s))
        snprintf(err, errlen, "%s", skc_session_error(s));
    skc_stream_free(out);
    skc_session_free(s);
    return rc;
}

static int case_emit(skc_context *ctx, const char *dir, const char *name, skc_model *m)
{
    char path[4096], err[1024] = "";
    skc_tensor *x = NULL, *outs[4] = { 0 };
    const skc_tensor *in[1];
    int64_t shape[2], r, k;
    int n_out, i, rc;
    case_rows rows;
    FILE *f;

    if (!m) {
        case_check(0, name, "could not build the model");
        return 1;
    }
    n_out = skc_model_output_count(m);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    mkdir(path, 0777);
    snprintf(path, sizeof(path), "%s/%s/model.c", dir, name);
    rc = case_write_c(ctx, m, path, NULL, err, sizeof(err));
    if (rc) {
        case_check(0, name, err);
        skc_model_free(m);
        return 1;
    }
    case_fill_rows(&rows);
    shape[0] = rows.n;
    shape[1] = rows.f;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &x)) == SKC_OK) {
        double *d = skc_tensor_data_mut(x);
        for (r = 0; r < rows.n; r++)
            for (k = 0; k < rows.f; k++)
                d[r * rows.f + k] = rows.x[r][k];
        in[0] = x;
        rc = skc_model_eval(m, in, outs, err, sizeof(err));
    }
    if (rc) {
        case_check(0, name, err);
        goto done;
    }
    snprintf(path, sizeof(path), "%s/%s/rows.csv", dir, name);
    if ((f = fopen(path, "w"))) {
        for (r = 0; r < rows.n; r++)
            for (k = 0; k < rows.f; k++)
                fprintf(f, "%.17g%c", rows.x[r][k], k + 1 < rows.f ? ',' : '\n');
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/%s/expected.tsv", dir, name);
    if ((f = fopen(path, "w"))) {
        for (r = 0; r < rows.n; r++) {
            int have_label = 0;
            for (i = 0; i < n_out; i++)
                if (skc_tensor_ndim(outs[i]) == 1) {
                    case_put_label(f, outs[i], r);
                    have_label = 1;
                }
            if (!have_label)
                fputc('-', f);
            for (i = 0; i < n_out; i++) {
                int64_t w;
                if (skc_tensor_ndim(outs[i]) != 2)
                    continue;
                w = skc_tensor_shape(outs[i])[1];
                for (k = 0; k < w; k++)
                    fprintf(f, "\t%.17g", skc_tensor_get_f64(outs[i], r * w + k));
            }
            fputc('\n', f);
        }
        fclose(f);
    }
    printf("model %s\n", name);
done:
    for (i = 0; i < 4; i++)
        skc_tensor_free(outs[i]);
    skc_tensor_free(x);
    skc_model_free(m);
    return rc != SKC_OK;
}

/* ---- refusals and options --------------------------------------------------- */

static void case_refusals(skc_context *ctx, const char *dir)
{
    static const char *const known[] = { "scaler", "clip", "linear", "proba", "label",
                                         "identity", "tree_ensemble" };
    static const char *const unknown[] = { "kmeans", "svm", "activation", "iforest_score",
                                           "constant", "" };
    const skc_format *fmt = skc_context_find_format(ctx, "c");
    static const double centers[6] = { 0, 0, 0, 1, 1, 1 };
    char path[4096], err[1024] = "", msg[1200];
    skc_model *m;
    skc_step *st;
    size_t i;
    int all = 1, rc;

    if (!fmt) {
        case_check(0, "format 'c' is registered", NULL);
        return;
    }
    case_check(fmt->caps == SKC_CAP_WRITE && strcmp(fmt->extensions, "c") == 0 &&
               strcmp(fmt->long_name, "dependency-free C source") == 0,
               "format 'c' is a writer of .c files", fmt->long_name);
    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        all &= fmt->query_op(known[i]) == 1;
    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        all &= fmt->query_op(unknown[i]) == 0;
    case_check(all, "query_op answers for the supported ops and only those", NULL);

    snprintf(path, sizeof(path), "%s/refused.c", dir);
    if ((m = case_model(SKC_DT_F64, 3)) && (st = case_step(m, "kmeans", "X", "label"))) {
        case_attr(st, "centers", case_f64(2, 2, 3, centers));
        case_out_label(m, "label", SKC_DT_I64);
    }
    rc = m ? case_write_c(ctx, m, path, NULL, err, sizeof(err)) : SKC_E_NOMEM;
    snprintf(msg, sizeof(msg), "status %d, \"%s\"", rc, err);
    case_check(rc == SKC_E_UNSUPPORTED && strstr(err, "'kmeans'"),
               "an op it cannot write is refused, naming the op", msg);
    skc_model_free(m);

    m = case_trees_f32(1);
    err[0] = '\0';
    rc = m ? case_write_c(ctx, m, path, NULL, err, sizeof(err)) : SKC_E_NOMEM;
    snprintf(msg, sizeof(msg), "status %d, \"%s\"", rc, err);
    case_check(rc == SKC_E_UNSUPPORTED && strstr(err, "categorical"),
               "a categorical split is refused", msg);
    skc_model_free(m);

    m = case_passthrough();
    err[0] = '\0';
    rc = m ? case_write_c(ctx, m, path, "9lives", err, sizeof(err)) : SKC_E_NOMEM;
    snprintf(msg, sizeof(msg), "status %d, \"%s\"", rc, err);
    case_check(rc == SKC_E_INVAL && strstr(err, "prefix"), "prefix=9lives is refused", msg);
    skc_model_free(m);
}

int main(int argc, char **argv)
{
    skc_context *ctx = NULL;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: %s PLUGIN.so OUTDIR\n", argv[0]);
        return 2;
    }
    /* Only the module under test: nothing from the environment. */
    if (skc_context_new(SKC_CONTEXT_NO_AUTOLOAD, &ctx)) {
        fprintf(stderr, "no context\n");
        return 2;
    }
    rc = skc_context_load_plugin(ctx, argv[1]);
    case_check(rc == SKC_OK, "the module loads into a context of its own",
               skc_context_error(ctx));
    if (rc == SKC_OK) {
        case_emit(ctx, argv[2], "ovr", case_ovr());
        case_emit(ctx, argv[2], "threshold", case_threshold());
        case_emit(ctx, argv[2], "trees-f32", case_trees_f32(0));
        case_emit(ctx, argv[2], "trees-f64", case_trees_f64());
        case_emit(ctx, argv[2], "label-only", case_label_only());
        case_emit(ctx, argv[2], "f32-input", case_f32_input());
        case_emit(ctx, argv[2], "passthrough", case_passthrough());
        case_refusals(ctx, argv[2]);
    }
    skc_context_free(ctx);
    return case_failures ? 1 : 0;
}
