/* SPDX-License-Identifier: MIT */
/* util.c: context set-up, global options, messages and the status → exit code map. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <skconv/data.h>
#include "cli.h"

const char *cli_prog = "skconv";

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s %s--help'.\n", cli_prog, cmd ? cmd : "");
    if (cmd && *cmd)
        fprintf(stderr, "%s", "");
}

int cli_exit_for(int status)
{
    switch (status) {
    case SKC_OK:
        return CLI_EXIT_OK;
    case SKC_E_INVAL:
    case SKC_E_IO:
    case SKC_E_NOT_FOUND:
    case SKC_E_FORMAT:
    case SKC_E_UNKNOWN_FORMAT:
    case SKC_E_AMBIGUOUS:
    case SKC_E_LIMIT:
    case SKC_E_EXISTS:
        return CLI_EXIT_USAGE;
    case SKC_E_MALICIOUS:
        return CLI_EXIT_MALICIOUS;
    default:
        return CLI_EXIT_FAILED;
    }
}

static int cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || *s == '-' || !*s)
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return 0;
    /* Accept k/M/G suffixes for byte limits. */
    if (*end == 'k' || *end == 'K') { v <<= 10; end++; }
    else if (*end == 'M') { v <<= 20; end++; }
    else if (*end == 'G') { v <<= 30; end++; }
    if (*end)
        return 0;
    *out = v;
    return 1;
}

static void cli_log(void *user, int level, const char *origin, const char *msg)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };

    (void)user;
    (void)origin;
    fprintf(stderr, "%s: %s: %s\n", cli_prog,
            names[level < 0 ? 0 : level > 3 ? 3 : level], msg);
}

int cli_global_option(cli_globals *g, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    static const struct { const char *name; size_t off; } lims[] = {
        { "--max-memo", offsetof(skc_limits, max_memo) },
        { "--max-objects", offsetof(skc_limits, max_objects) },
        { "--max-bytes", offsetof(skc_limits, max_bytes) },
        { "--max-ratio", offsetof(skc_limits, max_ratio) },
        { "--max-elements", offsetof(skc_limits, max_elements) },
    };
    uint64_t v;
    size_t k;

    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
        g->verbose++;
        return 1;
    }
    if (strcmp(a, "-vv") == 0) {
        g->verbose += 2;
        return 1;
    }
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
        g->quiet = 1;
        return 1;
    }
    if (strcmp(a, "--plugin") == 0) {
        if (*i + 1 >= argc) {
            cli_usage_error(NULL, "--plugin needs a FILE");
            return -1;
        }
        if (g->n_plugins >= 32) {
            cli_usage_error(NULL, "too many --plugin options");
            return -1;
        }
        g->plugins[g->n_plugins++] = argv[++*i];
        return 1;
    }
    if (strcmp(a, "--max-depth") == 0) {
        if (*i + 1 >= argc || !cli_parse_u64(argv[*i + 1], &v) || v == 0 || v > 100000) {
            cli_usage_error(NULL, "--max-depth needs a number between 1 and 100000");
            return -1;
        }
        g->limits.max_depth = (uint32_t)v;
        g->limits_set = 1;
        ++*i;
        return 1;
    }
    for (k = 0; k < sizeof(lims) / sizeof(lims[0]); k++) {
        if (strcmp(a, lims[k].name) == 0) {
            if (*i + 1 >= argc || !cli_parse_u64(argv[*i + 1], &v) || v == 0) {
                cli_usage_error(NULL, "%s needs a positive number (k, M, G suffixes allowed)", a);
                return -1;
            }
            memcpy((char *)&g->limits + lims[k].off, &v, sizeof(v));
            g->limits_set = 1;
            ++*i;
            return 1;
        }
    }
    return 0;
}

skc_context *cli_context(const cli_globals *g)
{
    skc_context *ctx;
    int i, rc;

    rc = skc_context_new(SKC_CONTEXT_NO_AUTOLOAD, &ctx);
    if (rc) {
        cli_error("cannot start: %s", skc_strerror(rc));
        return NULL;
    }
    skc_context_set_log(ctx, cli_log, NULL,
                        g->quiet ? SKC_LOG_ERROR
                                 : g->verbose >= 2 ? SKC_LOG_DEBUG
                                 : g->verbose ? SKC_LOG_INFO : SKC_LOG_WARN);
    for (i = 0; i < g->n_plugins; i++) {
        rc = skc_context_load_plugin(ctx, g->plugins[i]);
        if (rc) {
            cli_error("%s", skc_context_error(ctx));
            skc_context_free(ctx);
            return NULL;
        }
    }
    skc_context_autoload(ctx);
    if (g->limits_set)
        skc_context_set_limits(ctx, &g->limits);
    return ctx;
}

int cli_session_options(skc_session *s, int for_write, const char *const *opts, int n,
                        char *err, size_t errlen)
{
    char key[128];
    const char *eq;
    int i, rc;

    for (i = 0; i < n; i++) {
        eq = strchr(opts[i], '=');
        if (!eq || eq == opts[i] || (size_t)(eq - opts[i]) >= sizeof(key)) {
            snprintf(err, errlen, "option '%s' is not KEY=VALUE", opts[i]);
            return SKC_E_INVAL;
        }
        memcpy(key, opts[i], (size_t)(eq - opts[i]));
        key[eq - opts[i]] = '\0';
        if ((rc = skc_session_set_option(s, for_write, key, eq + 1))) {
            snprintf(err, errlen, "%s", skc_session_error(s));
            return rc;
        }
    }
    return SKC_OK;
}

int cli_read_model(skc_context *ctx, const char *path, const char *from,
                   skc_model **model, skc_stream **stream)
{
    return cli_read_model_opts(ctx, path, from, NULL, 0, model, stream);
}

int cli_read_model_opts(skc_context *ctx, const char *path, const char *from,
                        const char *const *opts, int n, skc_model **model,
                        skc_stream **stream)
{
    const skc_format *f;
    skc_session *s = NULL;
    skc_stream *in = NULL;
    char err[1024];
    int rc;

    rc = skc_stream_open_read(path, &in, err, sizeof(err));
    if (rc) {
        cli_error("%s", err);
        return rc;
    }
    if (from) {
        f = skc_context_find_format(ctx, from);
        if (!f || !(f->caps & SKC_CAP_READ)) {
            cli_error("no readable format '%s' (see 'skconv formats')", from);
            rc = SKC_E_INVAL;
            goto fail;
        }
    } else if ((rc = skc_context_probe(ctx, in, &f, NULL))) {
        cli_error("%s", skc_context_error(ctx));
        goto fail;
    }
    if ((rc = skc_session_new(ctx, f, path, &s)))
        goto fail;
    if ((rc = cli_session_options(s, 0, opts, n, err, sizeof(err)))) {
        cli_error("%s: %s", path, err);
        goto fail;
    }
    rc = skc_session_read(s, in, model);
    if (rc) {
        cli_error("%s", skc_session_error(s));
        goto fail;
    }
    skc_session_free(s);
    *stream = in;
    return SKC_OK;
fail:
    skc_session_free(s);
    skc_stream_free(in);
    return rc;
}

int cli_read_rows(const skc_model *m, const char *path, skc_tensor **rows)
{
    skc_tensor *x = NULL, *cols = NULL, *sel = NULL;
    const skc_tensor *mcols = skc_model_input_columns(m, 0);
    char err[1024];
    int nd = 0, rc;
    const int64_t *sh = skc_model_input_shape(m, 0, &nd);

    if (skc_model_input_dtype(m, 0) == SKC_DT_STRING) {
        if ((rc = skc_data_read_strings(m, path, rows, err, sizeof(err))))
            cli_error("%s", err);
        return rc;
    }
    rc = skc_data_read(path, &x, &cols, err, sizeof(err));
    if (rc) {
        cli_error("%s", err);
        return rc;
    }
    if (cols && mcols) {
        rc = skc_data_select_columns(x, cols, mcols, &sel, err, sizeof(err));
        if (rc) {
            cli_error("%s: %s", path, err);
            goto done;
        }
        skc_tensor_free(x);
        x = sel;
    } else if (nd == 2 && sh[1] >= 0 && skc_tensor_shape(x)[1] != sh[1]) {
        cli_error("%s: %lld columns, but the model takes %lld", path,
                  (long long)skc_tensor_shape(x)[1], (long long)sh[1]);
        rc = SKC_E_INVAL;
        goto done;
    }
    *rows = x;
    x = NULL;
done:
    skc_tensor_free(x);
    skc_tensor_free(cols);
    return rc;
}
