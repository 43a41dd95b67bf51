/* SPDX-License-Identifier: MIT */
/* cmd_predict.c: `skconv predict` (run any readable model on rows) and `skconv verify` (compare two). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <skconv/verify.h>
#include "cli.h"

typedef struct predict_args {
    const char *model;
    const char *model2;
    const char *input;
    const char *output;
    const char *from;
    const char *ropts[16];     /* -I KEY=VALUE for MODEL's reader (predict) */
    int n_ropts;
    int force;
    double rtol, atol;
} predict_args;

static int predict_parse(cli_globals *g, predict_args *a, int argc, char **argv,
                         const char *cmd, int two_models)
{
    int i, r;

    a->rtol = a->atol = -1.0;
    for (i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            help_command(cmd);
            return -1;
        }
        r = cli_global_option(g, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (strcmp(s, "--force") == 0) {
            a->force = 1;
        } else if (!strcmp(s, "--input") || !strcmp(s, "-i") || !strcmp(s, "--data") ||
                   !strcmp(s, "--output") || !strcmp(s, "-o") || !strcmp(s, "-f") ||
                   !strcmp(s, "--from") || !strcmp(s, "--rtol") || !strcmp(s, "--atol") ||
                   (!two_models && !strcmp(s, "-I"))) {
            const char *v;
            if (i + 1 >= argc) {
                cli_usage_error(cmd, "%s needs a value", s);
                return CLI_EXIT_USAGE;
            }
            v = argv[++i];
            if (!strcmp(s, "--input") || !strcmp(s, "-i") || !strcmp(s, "--data"))
                a->input = v;
            else if (!strcmp(s, "--output") || !strcmp(s, "-o"))
                a->output = v;
            else if (!strcmp(s, "-f") || !strcmp(s, "--from"))
                a->from = v;
            else if (!strcmp(s, "-I")) {
                if (a->n_ropts == (int)(sizeof(a->ropts) / sizeof(a->ropts[0]))) {
                    cli_usage_error(cmd, "too many -I options");
                    return CLI_EXIT_USAGE;
                }
                a->ropts[a->n_ropts++] = v;
            }
            else {
                char *end;
                double d = strtod(v, &end);
                if (end == v || *end || !(d >= 0.0)) {
                    cli_usage_error(cmd, "%s needs a non-negative number", s);
                    return CLI_EXIT_USAGE;
                }
                if (!strcmp(s, "--rtol"))
                    a->rtol = d;
                else
                    a->atol = d;
            }
        } else if (s[0] == '-' && s[1]) {
            cli_usage_error(cmd, "unknown option '%s'", s);
            return CLI_EXIT_USAGE;
        } else if (!a->model) {
            a->model = s;
        } else if (two_models && !a->model2) {
            a->model2 = s;
        } else {
            cli_usage_error(cmd, "unexpected argument '%s'", s);
            return CLI_EXIT_USAGE;
        }
    }
    if (!a->model || (two_models && !a->model2)) {
        cli_usage_error(cmd, two_models ? "two models are needed" : "no MODEL given");
        return CLI_EXIT_USAGE;
    }
    if (!two_models && !a->input) {
        cli_usage_error(cmd, "no rows given (--input X.csv or X.npy)");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static json_object *predict_value(const skc_tensor *t, int64_t i)
{
    double v;

    if (skc_tensor_dtype(t) == SKC_DT_STRING)
        return json_object_new_string(skc_tensor_string(t, i, NULL));
    v = skc_tensor_get_f64(t, i);
    if (skc_tensor_dtype(t) == SKC_DT_I64)
        return json_object_new_int64((int64_t)v);
    if (!isfinite(v))
        return NULL;       /* JSON has no NaN: null */
    return json_object_new_double(v);
}

/* Dimension @p d of @p t from element *off on, as nested arrays. */
static json_object *predict_nested(const skc_tensor *t, int d, int64_t *off)
{
    json_object *arr = json_object_new_array();
    int64_t i, n = skc_tensor_shape(t)[d];

    for (i = 0; i < n; i++) {
        if (d + 1 < skc_tensor_ndim(t))
            json_object_array_add(arr, predict_nested(t, d + 1, off));
        else
            json_object_array_add(arr, predict_value(t, (*off)++));
    }
    return arr;
}

/* {"label": [...], "probabilities": [[...], ...]}: one entry per row
 * (rows of n-d outputs, as ONNX graphs can give, are nested arrays). */
static char *predict_json(const skc_model *m, skc_tensor *const *outs)
{
    json_object *root = json_object_new_object();
    int i;
    char *text;

    for (i = 0; i < skc_model_output_count(m); i++) {
        const skc_tensor *t = outs[i];
        int64_t off = 0;
        json_object *arr;
        if (skc_tensor_ndim(t) == 0) {
            arr = json_object_new_array();
            json_object_array_add(arr, predict_value(t, 0));
        } else {
            arr = predict_nested(t, 0, &off);
        }
        json_object_object_add(root, skc_model_output_name(m, i), arr);
    }
    text = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return text;
}

static void predict_csv_cell(FILE *f, const skc_tensor *t, int64_t i)
{
    if (skc_tensor_dtype(t) == SKC_DT_STRING) {
        const char *s = skc_tensor_string(t, i, NULL);
        if (strpbrk(s, ",\"\n")) {
            fputc('"', f);
            for (; *s; s++) {
                if (*s == '"')
                    fputc('"', f);
                fputc(*s, f);
            }
            fputc('"', f);
        } else {
            fputs(s, f);
        }
    } else if (skc_tensor_dtype(t) == SKC_DT_I64) {
        fprintf(f, "%lld", (long long)skc_tensor_get_f64(t, i));
    } else {
        fprintf(f, "%.17g", skc_tensor_get_f64(t, i));
    }
}

/* One column per output value: "label", "probabilities[0]", ... */
static char *predict_csv(const skc_model *m, skc_tensor *const *outs, int64_t rows)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int i, first = 1;
    int64_t r, c;

    if (!f)
        return NULL;
    for (i = 0; i < skc_model_output_count(m); i++) {
        int64_t cols = skc_tensor_ndim(outs[i]) >= 2 ? skc_tensor_shape(outs[i])[1] : 0;
        if (cols == 0) {
            fprintf(f, "%s%s", first ? "" : ",", skc_model_output_name(m, i));
            first = 0;
        }
        for (c = 0; c < cols; c++, first = 0)
            fprintf(f, "%s%s[%lld]", first ? "" : ",", skc_model_output_name(m, i), (long long)c);
    }
    fputc('\n', f);
    for (r = 0; r < rows; r++) {
        first = 1;
        for (i = 0; i < skc_model_output_count(m); i++) {
            int64_t cols = skc_tensor_ndim(outs[i]) >= 2 ? skc_tensor_shape(outs[i])[1] : 0;
            if (cols == 0) {
                if (!first)
                    fputc(',', f);
                predict_csv_cell(f, outs[i], r);
                first = 0;
            }
            for (c = 0; c < cols; c++, first = 0) {
                if (!first)
                    fputc(',', f);
                predict_csv_cell(f, outs[i], r * cols + c);
            }
        }
        fputc('\n', f);
    }
    fclose(f);
    return buf;
}

static int predict_emit(const predict_args *a, const char *text)
{
    skc_output *out;
    char err[1024];
    int rc;

    if (!a->output || strcmp(a->output, "-") == 0) {
        fputs(text, stdout);
        if (*text && text[strlen(text) - 1] != '\n')
            fputc('\n', stdout);
        return SKC_OK;
    }
    rc = skc_output_begin(a->output, a->force, &out, err, sizeof(err));
    if (rc) {
        cli_error("%s", err);
        return rc;
    }
    rc = skc_stream_write(skc_output_stream(out), text, strlen(text));
    if (rc) {
        cli_error("%s: cannot write", a->output);
        skc_output_abort(out);
        return rc;
    }
    rc = skc_output_commit(out, err, sizeof(err));
    if (rc)
        cli_error("%s", err);
    return rc;
}

int cmd_predict(cli_globals *g, int argc, char **argv)
{
    predict_args a;
    skc_context *ctx = NULL;
    skc_model *m = NULL;
    skc_stream *in = NULL;
    skc_tensor *x = NULL, *outs[16] = { 0 };
    const skc_tensor *ins[1];
    const char *ext;
    char err[1024], *text = NULL;
    int rc, code, i;

    memset(&a, 0, sizeof(a));
    code = predict_parse(g, &a, argc, argv, "predict ", 0);
    if (code)
        return code < 0 ? CLI_EXIT_OK : code;
    if (!(ctx = cli_context(g)))
        return CLI_EXIT_USAGE;
    if (!a.force && a.output && strcmp(a.output, "-") && access(a.output, F_OK) == 0) {
        cli_error("%s: exists; use --force to overwrite it", a.output);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if ((rc = cli_read_model_opts(ctx, a.model, a.from, a.ropts, a.n_ropts, &m, &in)) ||
        (rc = cli_read_rows(m, a.input, &x))) {
        code = cli_exit_for(rc);
        goto done;
    }
    if (skc_model_input_count(m) != 1 || skc_model_output_count(m) > 16) {
        cli_error("%s: predict runs models with one input and at most 16 outputs", a.model);
        code = CLI_EXIT_FAILED;
        goto done;
    }
    ins[0] = x;
    rc = skc_model_eval(m, ins, outs, err, sizeof(err));
    if (rc) {
        cli_error("%s: %s", a.model, err);
        code = cli_exit_for(rc);
        goto done;
    }
    ext = a.output ? strrchr(a.output, '.') : NULL;
    text = ext && strcmp(ext, ".csv") == 0 ? predict_csv(m, outs, skc_tensor_shape(x)[0])
                                           : predict_json(m, outs);
    if (!text) {
        code = CLI_EXIT_FAILED;
        goto done;
    }
    rc = predict_emit(&a, text);
    code = rc ? cli_exit_for(rc) : CLI_EXIT_OK;
done:
    free(text);
    for (i = 0; i < 16; i++)
        skc_tensor_free(outs[i]);
    skc_tensor_free(x);
    skc_model_free(m);
    skc_stream_free(in);
    skc_context_free(ctx);
    return code;
}

int cmd_verify(cli_globals *g, int argc, char **argv)
{
    predict_args a;
    skc_context *ctx = NULL;
    skc_model *m1 = NULL, *m2 = NULL;
    skc_stream *s1 = NULL, *s2 = NULL;
    skc_tensor *x = NULL;
    skc_verify_report *rep = NULL;
    skc_verify_opts o;
    char err[1024];
    int rc, code, nd = 0, f32;

    memset(&a, 0, sizeof(a));
    code = predict_parse(g, &a, argc, argv, "verify ", 1);
    if (code)
        return code < 0 ? CLI_EXIT_OK : code;
    if (!(ctx = cli_context(g)))
        return CLI_EXIT_USAGE;
    if ((rc = cli_read_model(ctx, a.model, a.from, &m1, &s1)) ||
        (rc = cli_read_model(ctx, a.model2, NULL, &m2, &s2)) ||
        (a.input && (rc = cli_read_rows(m1, a.input, &x)))) {
        code = cli_exit_for(rc);
        goto done;
    }
    skc_model_input_shape(m2, 0, &nd);
    f32 = skc_verify_float32(m1) || skc_verify_float32(m2);
    skc_verify_opts_default(&o, !f32);
    if (a.rtol >= 0)
        o.rtol = a.rtol;
    if (a.atol >= 0)
        o.atol = a.atol;
    rc = skc_verify_models(m1, m2, x, &o, &rep, err, sizeof(err));
    if (rc) {
        cli_error("cannot compare %s and %s: %s", a.model, a.model2, err);
        code = CLI_EXIT_FAILED;
        goto done;
    }
    printf("%s vs %s: %s\n", a.model, a.model2, skc_verify_summary(rep));
    code = skc_verify_passed(rep) ? CLI_EXIT_OK : CLI_EXIT_FAILED;
done:
    skc_verify_report_free(rep);
    skc_tensor_free(x);
    skc_model_free(m1);
    skc_model_free(m2);
    skc_stream_free(s1);
    skc_stream_free(s2);
    skc_context_free(ctx);
    return code;
}
