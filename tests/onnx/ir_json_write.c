/* SPDX-License-Identifier: MIT */
/* ir_json_write.c: test tool that builds an IR model from a JSON description with the ir.h API and writes it through a format plugin. */
/*
 * ir_json_write [--plugin FILE] [--format NAME] SPEC.json OUT [key=value ...]
 *
 * SPEC.json:
 *   {"inputs":  [{"name": "X", "dtype": "float64", "shape": [-1, 4]}],
 *    "outputs": [{"name": "label", "dtype": "int64", "shape": [-1]}, ...],
 *    "steps":   [{"op": "scaler", "inputs": ["X"], "outputs": ["Xs"],
 *                 "attrs": {"offset": TENSOR, "mode": "softmax",
 *                           "threshold": 0.0, "n": 3}}],
 *    "meta":    {"source.class": "Pipeline"}}
 * An attribute is a tensor when it is an object {"dtype", "shape", "data"},
 * a string when a string, an int when an integer literal (3) and a float
 * when a real literal (3.0). Float tensor data may hold "NaN", "Infinity"
 * and "-Infinity". key=value pairs are write options of the format
 * (default "onnx"). Plugins come from SKCONV_PLUGIN_PATH unless --plugin
 * is given.
 *
 * Exit status: 0 written; 1 the write failed (stderr: "status N: detail",
 * N the skc_status); 2 usage, spec or setup error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <skconv/plugin.h>

static int spec_dtype(const char *s)
{
    static const struct { const char *name; int dt; } map[] = {
        { "float32", SKC_DT_F32 }, { "float64", SKC_DT_F64 },
        { "int64", SKC_DT_I64 },   { "int32", SKC_DT_I32 },
        { "uint8", SKC_DT_U8 },    { "uint32", SKC_DT_U32 },
        { "bool", SKC_DT_BOOL },   { "string", SKC_DT_STRING },
    };
    for (size_t i = 0; s && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, s) == 0)
            return map[i].dt;
    return SKC_DT_NONE;
}

static json_object *spec_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int spec_shape(json_object *a, int *ndim, int64_t *shape)
{
    if (!a || !json_object_is_type(a, json_type_array))
        return -1;
    size_t n = json_object_array_length(a);
    if (n > SKC_MAX_DIMS)
        return -1;
    for (size_t i = 0; i < n; i++)
        shape[i] = json_object_get_int64(json_object_array_get_idx(a, i));
    *ndim = (int)n;
    return 0;
}

static double spec_real(json_object *v)
{
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        if (strcmp(s, "Infinity") == 0)
            return INFINITY;
        if (strcmp(s, "-Infinity") == 0)
            return -INFINITY;
        return NAN;
    }
    if (json_object_is_type(v, json_type_null))
        return NAN;
    return json_object_get_double(v);
}

static int spec_tensor(json_object *o, skc_tensor **out)
{
    int64_t shape[SKC_MAX_DIMS];
    int ndim, dt = spec_dtype(json_object_get_string(spec_get(o, "dtype")));
    json_object *data = spec_get(o, "data");
    skc_tensor *t = NULL;
    if (dt == SKC_DT_NONE || spec_shape(spec_get(o, "shape"), &ndim, shape) < 0 ||
        !data || !json_object_is_type(data, json_type_array))
        return -1;
    if (skc_tensor_new(dt, ndim, shape, &t) < 0)
        return -1;
    int64_t n = skc_tensor_numel(t);
    if ((int64_t)json_object_array_length(data) != n)
        goto fail;
    void *p = skc_tensor_data_mut(t);
    for (int64_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(data, (size_t)i);
        switch (dt) {
        case SKC_DT_F32: ((float *)p)[i] = (float)spec_real(v); break;
        case SKC_DT_F64: ((double *)p)[i] = spec_real(v); break;
        case SKC_DT_I64: ((int64_t *)p)[i] = json_object_get_int64(v); break;
        case SKC_DT_I32: ((int32_t *)p)[i] = (int32_t)json_object_get_int64(v); break;
        case SKC_DT_U32: ((uint32_t *)p)[i] = (uint32_t)json_object_get_int64(v); break;
        case SKC_DT_U8:  ((uint8_t *)p)[i] = (uint8_t)json_object_get_int64(v); break;
        case SKC_DT_BOOL: ((uint8_t *)p)[i] = json_object_get_boolean(v) ? 1 : 0; break;
        case SKC_DT_STRING: {
            const char *s = json_object_get_string(v);
            if (!s || skc_tensor_set_string(t, i, s, strlen(s)) < 0)
                goto fail;
            break;
        }
        default: goto fail;
        }
    }
    *out = t;
    return 0;
fail:
    skc_tensor_free(t);
    return -1;
}

static int spec_attr(skc_step *st, const char *key, json_object *v)
{
    if (json_object_is_type(v, json_type_string))
        return skc_step_set_string(st, key, json_object_get_string(v));
    if (json_object_is_type(v, json_type_int))
        return skc_step_set_int(st, key, json_object_get_int64(v));
    if (json_object_is_type(v, json_type_double))
        return skc_step_set_float(st, key, json_object_get_double(v));
    if (json_object_is_type(v, json_type_object)) {
        skc_tensor *t;
        if (spec_tensor(v, &t) < 0)
            return -1;
        int rc = skc_step_set_tensor(st, key, t);
        skc_tensor_free(t);
        return rc;
    }
    return -1;
}

static int spec_ports(skc_model *m, json_object *a, int outputs)
{
    if (!a || !json_object_is_type(a, json_type_array))
        return -1;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *p = json_object_array_get_idx(a, i);
        int64_t shape[SKC_MAX_DIMS];
        int ndim;
        const char *name = json_object_get_string(spec_get(p, "name"));
        int dt = spec_dtype(json_object_get_string(spec_get(p, "dtype")));
        if (!name || spec_shape(spec_get(p, "shape"), &ndim, shape) < 0)
            return -1;
        int rc = outputs ? skc_model_add_output(m, name, dt, ndim, shape)
                         : skc_model_add_input(m, name, dt, ndim, shape);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int spec_names(json_object *a, skc_step *st, int outputs)
{
    if (!a || !json_object_is_type(a, json_type_array))
        return -1;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        const char *n = json_object_get_string(json_object_array_get_idx(a, i));
        int rc = outputs ? skc_step_add_output(st, n) : skc_step_add_input(st, n);
        if (!n || rc < 0)
            return -1;
    }
    return 0;
}

static int spec_model(json_object *root, skc_model **out, char *err, size_t errlen)
{
    skc_model *m = NULL;
    json_object *steps = spec_get(root, "steps"), *meta = spec_get(root, "meta");
    if (skc_model_new(&m) < 0)
        return -1;
    if (spec_ports(m, spec_get(root, "inputs"), 0) < 0 ||
        spec_ports(m, spec_get(root, "outputs"), 1) < 0) {
        snprintf(err, errlen, "bad inputs or outputs");
        goto fail;
    }
    for (size_t i = 0; steps && i < json_object_array_length(steps); i++) {
        json_object *js = json_object_array_get_idx(steps, i), *attrs;
        skc_step *st;
        if (skc_model_add_step(m, json_object_get_string(spec_get(js, "op")), &st) < 0 ||
            spec_names(spec_get(js, "inputs"), st, 0) < 0 ||
            spec_names(spec_get(js, "outputs"), st, 1) < 0) {
            snprintf(err, errlen, "step %zu: bad op, inputs or outputs", i);
            goto fail;
        }
        if ((attrs = spec_get(js, "attrs")) != NULL) {
            struct json_object_iterator it = json_object_iter_begin(attrs);
            struct json_object_iterator end = json_object_iter_end(attrs);
            for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
                const char *key = json_object_iter_peek_name(&it);
                if (spec_attr(st, key, json_object_iter_peek_value(&it)) < 0) {
                    snprintf(err, errlen, "step %zu: bad attribute '%s'", i, key);
                    goto fail;
                }
            }
        }
    }
    if (meta) {
        struct json_object_iterator it = json_object_iter_begin(meta);
        struct json_object_iterator end = json_object_iter_end(meta);
        for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
            if (skc_model_set_meta(m, json_object_iter_peek_name(&it),
                    json_object_get_string(json_object_iter_peek_value(&it))) < 0)
                goto fail;
    }
    *out = m;
    return 0;
fail:
    skc_model_free(m);
    return -1;
}

int main(int argc, char **argv)
{
    const char *plugin = NULL, *format = "onnx";
    skc_context *ctx = NULL;
    skc_session *s = NULL;
    skc_model *m = NULL;
    skc_output *o = NULL;
    json_object *root = NULL;
    char err[512] = "";
    int status = 2, rc, i = 1;

    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--plugin") == 0)
            plugin = argv[i + 1];
        else if (strcmp(argv[i], "--format") == 0)
            format = argv[i + 1];
        else
            break;
    }
    if (argc - i < 2) {
        fprintf(stderr, "usage: ir_json_write [--plugin FILE] [--format NAME] "
                        "SPEC.json OUT [key=value ...]\n");
        return 2;
    }
    const char *spec = argv[i], *path = argv[i + 1];
    if (!(root = json_object_from_file(spec))) {
        fprintf(stderr, "%s: not readable JSON\n", spec);
        goto done;
    }
    if (spec_model(root, &m, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", spec, err);
        goto done;
    }
    if (skc_context_new(plugin ? SKC_CONTEXT_NO_AUTOLOAD : 0, &ctx) < 0 ||
        (plugin && skc_context_load_plugin(ctx, plugin) < 0)) {
        fprintf(stderr, "cannot load plugins: %s\n",
                ctx ? skc_context_error(ctx) : "out of memory");
        goto done;
    }
    const skc_format *fmt = skc_context_find_format(ctx, format);
    if (!fmt || skc_session_new(ctx, fmt, path, &s) < 0) {
        fprintf(stderr, "no format '%s' (SKCONV_PLUGIN_PATH=%s)\n", format,
                getenv("SKCONV_PLUGIN_PATH") ? getenv("SKCONV_PLUGIN_PATH") : "");
        goto done;
    }
    status = 1;
    for (int k = i + 2; k < argc; k++) {
        char *eq = strchr(argv[k], '=');
        if (!eq) {
            fprintf(stderr, "option '%s' is not key=value\n", argv[k]);
            status = 2;
            goto done;
        }
        *eq = '\0';
        if ((rc = skc_session_set_option(s, 1, argv[k], eq + 1)) < 0) {
            fprintf(stderr, "status %d: %s\n", rc, skc_session_error(s));
            goto done;
        }
    }
    if ((rc = skc_output_begin(path, 1, &o, err, sizeof(err))) < 0) {
        fprintf(stderr, "status %d: %s\n", rc, err);
        goto done;
    }
    if ((rc = skc_session_write(s, m, skc_output_stream(o))) < 0) {
        fprintf(stderr, "status %d: %s\n", rc, skc_session_error(s));
        skc_output_abort(o);
        goto done;
    }
    if ((rc = skc_output_commit(o, err, sizeof(err))) < 0) {
        fprintf(stderr, "status %d: %s\n", rc, err);
        goto done;
    }
    status = 0;
done:
    skc_session_free(s);
    skc_context_free(ctx);
    skc_model_free(m);
    json_object_put(root);
    return status;
}
