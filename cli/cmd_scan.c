/* SPDX-License-Identifier: MIT */
/* cmd_scan.c: `skconv scan` (safety verdicts) and `skconv inspect` (what is inside). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "cli.h"

typedef struct scan_args {
    int json;
    const char *files[4096];
    int n_files;
} scan_args;

static int scan_parse(cli_globals *g, scan_args *a, int argc, char **argv,
                      const char *cmd)
{
    int i, r;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help_command(cmd);
            return -1;
        }
        if (strcmp(argv[i], "--json") == 0) {
            a->json = 1;
            continue;
        }
        r = cli_global_option(g, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1]) {
            cli_usage_error(cmd, "unknown option '%s'", argv[i]);
            return CLI_EXIT_USAGE;
        }
        if (a->n_files >= (int)(sizeof(a->files) / sizeof(a->files[0]))) {
            cli_usage_error(cmd, "too many files");
            return CLI_EXIT_USAGE;
        }
        a->files[a->n_files++] = argv[i];
    }
    if (a->n_files == 0) {
        cli_usage_error(cmd, "no FILE given");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Open @p path and find a reader that can scan/inspect it. */
static int scan_open(skc_context *ctx, const char *path, skc_stream **in,
                     skc_session **s, char *err, size_t errlen)
{
    const skc_format *f;
    int rc;

    *in = NULL;
    *s = NULL;
    rc = skc_stream_open_read(path, in, err, errlen);
    if (rc)
        return rc;
    rc = skc_context_probe(ctx, *in, &f, NULL);
    if (rc) {
        snprintf(err, errlen, "%s", skc_context_error(ctx));
        return rc;
    }
    rc = skc_session_new(ctx, f, path, s);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, skc_strerror(rc));
    return rc;
}

static const char *scan_verdict_name(int v)
{
    switch (v) {
    case SKC_VERDICT_SAFE: return "safe";
    case SKC_VERDICT_UNTRUSTED: return "untrusted";
    case SKC_VERDICT_MALICIOUS: return "malicious";
    default: return "unreadable";
    }
}

/* The reasons of a scan report, joined on one line. The report is the
 * reader's JSON: {"findings": [{"module", "name", "offset", "verdict"}...]}. */
static void scan_print_reasons(json_object *rep)
{
    json_object *fs, *f, *v;
    size_t i, n;
    int shown = 0;

    if (!rep || !json_object_object_get_ex(rep, "findings", &fs) ||
        !json_object_is_type(fs, json_type_array))
        return;
    n = json_object_array_length(fs);
    for (i = 0; i < n && shown < 20; i++) {
        f = json_object_array_get_idx(fs, i);
        printf("%s", shown ? ", " : ": ");
        if (json_object_object_get_ex(f, "module", &v))
            printf("%s.", json_object_get_string(v));
        if (json_object_object_get_ex(f, "name", &v))
            printf("%s", json_object_get_string(v));
        if (json_object_object_get_ex(f, "verdict", &v))
            printf(" (%s)", json_object_get_string(v));
        if (json_object_object_get_ex(f, "offset", &v))
            printf(" at byte %lld", (long long)json_object_get_int64(v));
        shown++;
    }
    if (n > (size_t)shown)
        printf(", and %zu more", n - (size_t)shown);
}

static int scan_worse(int a, int b)
{
    static const int rank[4] = { 0, 1, 2, 3 }; /* ok < untrusted < unreadable < malicious */

    return rank[b] > rank[a] ? b : a;
}

int cmd_scan(cli_globals *g, int argc, char **argv)
{
    scan_args a;
    skc_context *ctx;
    json_object *all = NULL;
    int i, r, worst = CLI_EXIT_OK;

    memset(&a, 0, sizeof(a));
    r = scan_parse(g, &a, argc, argv, "scan ");
    if (r)
        return r < 0 ? CLI_EXIT_OK : r;
    ctx = cli_context(g);
    if (!ctx)
        return CLI_EXIT_USAGE;
    if (a.json)
        all = json_object_new_array();
    for (i = 0; i < a.n_files; i++) {
        skc_stream *in;
        skc_session *s;
        char err[1024] = "";
        int verdict = -1, rc, code;
        json_object *rep = NULL;

        rc = scan_open(ctx, a.files[i], &in, &s, err, sizeof(err));
        if (rc == SKC_OK) {
            rc = skc_session_scan(s, in, &verdict);
            if (rc)
                snprintf(err, sizeof(err), "%s", skc_session_error(s));
            else if (skc_session_report(s))
                rep = json_tokener_parse(skc_session_report(s));
        }
        code = rc ? CLI_EXIT_USAGE
             : verdict == SKC_VERDICT_SAFE ? CLI_EXIT_OK
             : verdict == SKC_VERDICT_UNTRUSTED ? CLI_EXIT_FAILED : CLI_EXIT_MALICIOUS;
        worst = scan_worse(worst, code);
        if (a.json) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "file", json_object_new_string(a.files[i]));
            json_object_object_add(o, "verdict",
                                   json_object_new_string(scan_verdict_name(rc ? -1 : verdict)));
            if (rc)
                json_object_object_add(o, "error", json_object_new_string(err));
            if (rep)
                json_object_object_add(o, "report", json_object_get(rep));
            json_object_array_add(all, o);
        } else {
            printf("%s: %s", a.files[i], scan_verdict_name(rc ? -1 : verdict));
            if (rc)
                printf(": %s", err);
            else
                scan_print_reasons(rep);
            putchar('\n');
        }
        json_object_put(rep);
        skc_session_free(s);
        skc_stream_free(in);
    }
    if (all) {
        puts(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(all);
    }
    skc_context_free(ctx);
    return worst;
}

/* Terminal rendering of an inspect report: nested objects as an indented
 * tree, arrays of scalars inline, long arrays cut. */
static int inspect_is_scalar(json_object *o)
{
    json_type t = json_object_get_type(o);

    return t != json_type_object && t != json_type_array;
}

static int inspect_scalar_array(json_object *o)
{
    size_t i, n = json_object_array_length(o);

    for (i = 0; i < n; i++)
        if (!inspect_is_scalar(json_object_array_get_idx(o, i)))
            return 0;
    return 1;
}

static void inspect_print(json_object *o, int depth, const char *key)
{
    json_object_iter it;
    size_t i, n;

    printf("%*s", depth * 2, "");
    if (key)
        printf("%s:", key);
    switch (json_object_get_type(o)) {
    case json_type_object:
        putchar('\n');
        json_object_object_foreachC(o, it)
            inspect_print(it.val, depth + 1, it.key);
        break;
    case json_type_array:
        n = json_object_array_length(o);
        if (inspect_scalar_array(o)) {
            printf(" [");
            for (i = 0; i < n && i < 16; i++)
                printf("%s%s", i ? ", " : "",
                       json_object_get_string(json_object_array_get_idx(o, i)));
            printf("%s]\n", n > 16 ? ", ..." : "");
            break;
        }
        putchar('\n');
        for (i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(o, i);
            if (inspect_is_scalar(e)) {
                printf("%*s- %s\n", depth * 2 + 2, "", json_object_get_string(e));
            } else {
                printf("%*s- [%zu]\n", depth * 2 + 2, "", i);
                if (json_object_get_type(e) == json_type_object) {
                    json_object_object_foreachC(e, it)
                        inspect_print(it.val, depth + 2, it.key);
                } else {
                    inspect_print(e, depth + 2, NULL);
                }
            }
        }
        break;
    default:
        printf(" %s\n", json_object_get_string(o));
        break;
    }
}

/* Any IR model as JSON: inputs, outputs, steps with their attributes
 * (tensors by dtype and shape), and the provenance metadata. */
static json_object *inspect_model_json(const skc_model *m)
{
    json_object *o = json_object_new_object(), *arr, *meta;
    int i, j, k, nd;

    arr = json_object_new_array();
    for (i = 0; i < skc_model_input_count(m); i++) {
        json_object *p = json_object_new_object(), *sh = json_object_new_array();
        const int64_t *shape = skc_model_input_shape(m, i, &nd);
        json_object_object_add(p, "name", json_object_new_string(skc_model_input_name(m, i)));
        json_object_object_add(p, "dtype",
                               json_object_new_string(skc_dtype_name(skc_model_input_dtype(m, i))));
        for (k = 0; k < nd; k++)
            json_object_array_add(sh, json_object_new_int64(shape[k]));
        json_object_object_add(p, "shape", sh);
        json_object_array_add(arr, p);
    }
    json_object_object_add(o, "inputs", arr);
    arr = json_object_new_array();
    for (i = 0; i < skc_model_output_count(m); i++) {
        json_object *p = json_object_new_object(), *sh = json_object_new_array();
        const int64_t *shape = skc_model_output_shape(m, i, &nd);
        json_object_object_add(p, "name", json_object_new_string(skc_model_output_name(m, i)));
        json_object_object_add(p, "dtype",
                               json_object_new_string(skc_dtype_name(skc_model_output_dtype(m, i))));
        for (k = 0; k < nd; k++)
            json_object_array_add(sh, json_object_new_int64(shape[k]));
        json_object_object_add(p, "shape", sh);
        json_object_array_add(arr, p);
    }
    json_object_object_add(o, "outputs", arr);
    arr = json_object_new_array();
    for (i = 0; i < skc_model_step_count(m) && i < 10000; i++) {
        const skc_step *st = skc_model_step(m, i);
        json_object *p = json_object_new_object(), *io, *attrs = json_object_new_object();
        json_object_object_add(p, "op", json_object_new_string(skc_step_op(st)));
        io = json_object_new_array();
        for (j = 0; j < skc_step_input_count(st); j++)
            json_object_array_add(io, json_object_new_string(skc_step_input(st, j)));
        json_object_object_add(p, "inputs", io);
        io = json_object_new_array();
        for (j = 0; j < skc_step_output_count(st); j++)
            json_object_array_add(io, json_object_new_string(skc_step_output(st, j)));
        json_object_object_add(p, "outputs", io);
        for (j = 0; j < skc_step_attr_count(st); j++) {
            const char *key, *sv;
            int kind;
            int64_t iv;
            double fv;
            const skc_tensor *t;
            char desc[160];
            skc_step_attr_at(st, j, &key, &kind);
            if (kind == SKC_ATTR_INT && skc_step_get_int(st, key, &iv) == SKC_OK) {
                json_object_object_add(attrs, key, json_object_new_int64(iv));
            } else if (kind == SKC_ATTR_FLOAT && skc_step_get_float(st, key, &fv) == SKC_OK) {
                json_object_object_add(attrs, key, json_object_new_double(fv));
            } else if (kind == SKC_ATTR_STRING && skc_step_get_string(st, key, &sv) == SKC_OK) {
                json_object_object_add(attrs, key, json_object_new_string(sv));
            } else if (kind == SKC_ATTR_TENSOR && skc_step_get_tensor(st, key, &t) == SKC_OK) {
                size_t len = (size_t)snprintf(desc, sizeof(desc), "%s[",
                                              skc_dtype_name(skc_tensor_dtype(t)));
                for (k = 0; k < skc_tensor_ndim(t) && len < sizeof(desc) - 24; k++)
                    len += (size_t)snprintf(desc + len, sizeof(desc) - len, "%s%lld",
                                            k ? ", " : "", (long long)skc_tensor_shape(t)[k]);
                snprintf(desc + len, sizeof(desc) - len, "]");
                json_object_object_add(attrs, key, json_object_new_string(desc));
            }
        }
        json_object_object_add(p, "attributes", attrs);
        json_object_array_add(arr, p);
    }
    json_object_object_add(o, "steps", arr);
    meta = json_object_new_object();
    for (i = 0; i < skc_model_meta_count(m); i++) {
        const char *k2, *v;
        skc_model_meta_at(m, i, &k2, &v);
        json_object_object_add(meta, k2, json_object_new_string(v));
    }
    json_object_object_add(o, "metadata", meta);
    return o;
}

static int inspect_by_reading(skc_context *ctx, const char *path, skc_stream *in,
                              char **text, char *err, size_t errlen)
{
    const skc_format *f;
    skc_session *s = NULL;
    skc_model *m = NULL;
    json_object *o;
    int rc;

    if ((rc = skc_context_probe(ctx, in, &f, NULL)) ||
        (rc = skc_session_new(ctx, f, path, &s))) {
        snprintf(err, errlen, "%s: %s", path, skc_strerror(rc));
        return rc;
    }
    rc = skc_session_read(s, in, &m);
    if (rc) {
        snprintf(err, errlen, "%s", skc_session_error(s));
        skc_session_free(s);
        return rc;
    }
    o = json_object_new_object();
    json_object_object_add(o, "format", json_object_new_string(f->name));
    json_object_object_add(o, "model", inspect_model_json(m));
    *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    skc_model_free(m);
    skc_session_free(s);
    return *text ? SKC_OK : SKC_E_NOMEM;
}

int cmd_inspect(cli_globals *g, int argc, char **argv)
{
    scan_args a;
    skc_context *ctx;
    int i, r, worst = CLI_EXIT_OK;

    memset(&a, 0, sizeof(a));
    r = scan_parse(g, &a, argc, argv, "inspect ");
    if (r)
        return r < 0 ? CLI_EXIT_OK : r;
    ctx = cli_context(g);
    if (!ctx)
        return CLI_EXIT_USAGE;
    for (i = 0; i < a.n_files; i++) {
        skc_stream *in;
        skc_session *s;
        char err[1024] = "";
        int rc;
        json_object *rep = NULL;

        char *fallback = NULL;

        rc = scan_open(ctx, a.files[i], &in, &s, err, sizeof(err));
        if (rc == SKC_OK) {
            rc = skc_session_inspect(s, in);
            if (rc == SKC_E_UNSUPPORTED) {
                /* A reader without its own inspect: describe the model it reads. */
                rc = inspect_by_reading(ctx, a.files[i], in, &fallback, err, sizeof(err));
            } else if (rc) {
                snprintf(err, sizeof(err), "%s", skc_session_error(s));
            }
        }
        if (rc) {
            cli_error("%s", err);
            worst = scan_worse(worst, cli_exit_for(rc));
        } else if (a.json) {
            puts(fallback ? fallback : skc_session_report(s) ? skc_session_report(s) : "{}");
        } else {
            const char *text = fallback ? fallback : skc_session_report(s);
            rep = text ? json_tokener_parse(text) : NULL;
            printf("%s:\n", a.files[i]);
            if (rep)
                inspect_print(rep, 0, NULL);
            json_object_put(rep);
        }
        free(fallback);
        skc_session_free(s);
        skc_stream_free(in);
    }
    skc_context_free(ctx);
    return worst;
}
