/* SPDX-License-Identifier: MIT */
/* cmd_convert.c: `skconv INPUT -o OUTPUT`: probe, read, write atomically. No format knowledge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <skconv/verify.h>
#include "cli.h"

typedef struct convert_args {
    const char *input;
    const char *output;
    const char *from;
    const char *to;
    const char *wopts[64];
    int n_wopts;
    const char *ropts[64];
    int n_ropts;
    int force;
    int no_verify;
    int keep_failed;
    const char *verify_data;
} convert_args;

static int convert_parse(cli_globals *g, convert_args *a, int argc, char **argv)
{
    int i, r;

    for (i = 1; i < argc; i++) {
        const char *s = argv[i];
        r = cli_global_option(g, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            help_command("convert");
            return -1;
        }
        if (strcmp(s, "--force") == 0 || strcmp(s, "-y") == 0) {
            a->force = 1;
        } else if (strcmp(s, "--no-verify") == 0) {
            a->no_verify = 1;
        } else if (strcmp(s, "--keep-failed") == 0) {
            a->keep_failed = 1;
        } else if (strcmp(s, "--verify-data") == 0) {
            if (i + 1 >= argc) {
                cli_usage_error("convert ", "--verify-data needs a FILE");
                return CLI_EXIT_USAGE;
            }
            a->verify_data = argv[++i];
        } else if (!strcmp(s, "-o") || !strcmp(s, "--output") || !strcmp(s, "-f") ||
                   !strcmp(s, "--from") || !strcmp(s, "-t") || !strcmp(s, "--to") ||
                   !strcmp(s, "-O") || !strcmp(s, "-I")) {
            if (i + 1 >= argc) {
                cli_usage_error("convert ", "%s needs a value", s);
                return CLI_EXIT_USAGE;
            }
            if (s[1] == 'o' || s[2] == 'o')
                a->output = argv[++i];
            else if (s[1] == 'f' || s[2] == 'f')
                a->from = argv[++i];
            else if (s[1] == 't' || s[2] == 't')
                a->to = argv[++i];
            else if (s[1] == 'O') {
                if (a->n_wopts >= 64) {
                    cli_usage_error("convert ", "too many -O options");
                    return CLI_EXIT_USAGE;
                }
                a->wopts[a->n_wopts++] = argv[++i];
            } else {
                if (a->n_ropts >= 64) {
                    cli_usage_error("convert ", "too many -I options");
                    return CLI_EXIT_USAGE;
                }
                a->ropts[a->n_ropts++] = argv[++i];
            }
        } else if (s[0] == '-' && s[1] != '\0') {
            cli_usage_error("convert ", "unknown option '%s'", s);
            return CLI_EXIT_USAGE;
        } else if (!a->input) {
            a->input = s;
        } else {
            cli_usage_error("convert ", "unexpected argument '%s' (one INPUT per conversion; "
                            "'skconv migrate' converts many)", s);
            return CLI_EXIT_USAGE;
        }
    }
    if (!a->input) {
        cli_usage_error("convert ", "no INPUT given");
        return CLI_EXIT_USAGE;
    }
    if (!a->output) {
        cli_usage_error("convert ", "no OUTPUT given (-o FILE)");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Apply KEY=VALUE options; the session validates them against the table. */
static int convert_options(skc_session *s, int for_write, const char *const *opts, int n)
{
    char key[128];
    const char *eq;
    int i, rc;

    for (i = 0; i < n; i++) {
        eq = strchr(opts[i], '=');
        if (!eq || eq == opts[i] || (size_t)(eq - opts[i]) >= sizeof(key)) {
            cli_usage_error("convert ", "option '%s' is not KEY=VALUE", opts[i]);
            return SKC_E_INVAL;
        }
        memcpy(key, opts[i], (size_t)(eq - opts[i]));
        key[eq - opts[i]] = '\0';
        rc = skc_session_set_option(s, for_write, key, eq + 1);
        if (rc) {
            cli_error("%s", skc_session_error(s));
            return rc;
        }
    }
    return SKC_OK;
}

static void convert_summary(const skc_model *m, const char *input, const char *rfmt)
{
    int i;

    fprintf(stderr, "%s: read %s as %s: %d input(s), %d step(s), %d output(s)\n",
            cli_prog, input, rfmt, skc_model_input_count(m), skc_model_step_count(m),
            skc_model_output_count(m));
    for (i = 0; i < skc_model_step_count(m); i++)
        fprintf(stderr, "  step %d: %s\n", i, skc_step_op(skc_model_step(m, i)));
    for (i = 0; i < skc_model_meta_count(m); i++) {
        const char *k, *v;
        skc_model_meta_at(m, i, &k, &v);
        fprintf(stderr, "  %s = %s\n", k, v);
    }
}

/* Set while --keep-failed keeps an output whose verification failed. */
static int verify_failed;

/* Write @p m with writer @p wf to a new temporary output. */
static int convert_write(skc_context *ctx, const skc_format *wf, const convert_args *a,
                         const skc_model *m, skc_output **out)
{
    skc_session *ws = NULL;
    char err[1024];
    int rc;

    if ((rc = skc_session_new(ctx, wf, a->output, &ws)) ||
        (rc = convert_options(ws, 1, a->wopts, a->n_wopts)))
        goto done;
    rc = skc_output_begin(a->output, a->force, out, err, sizeof(err));
    if (rc) {
        cli_error("%s", err);
        goto done;
    }
    rc = skc_session_write(ws, m, skc_output_stream(*out));
    if (rc) {
        cli_error("%s", skc_session_error(ws));
        skc_output_abort(*out);
        *out = NULL;
        if (cli_exit_for(rc) == CLI_EXIT_USAGE)
            rc = SKC_E_UNSUPPORTED;
    }
done:
    skc_session_free(ws);
    return rc;
}

/* ARCHITECTURE.md "Verification": read the written file back with its own
 * format's reader, evaluate both models on the same rows, compare. The
 * summary is recorded in the model's provenance, so a passing output is
 * written again with it. */
static int convert_verify(cli_globals *g, skc_context *ctx, const skc_format *wf,
                          const convert_args *a, skc_model *m, skc_output **out)
{
    skc_stream *back = NULL;
    skc_session *rs = NULL;
    skc_model *m2 = NULL;
    skc_tensor *rows = NULL;
    skc_verify_report *rep = NULL;
    char err[1024] = "";
    int rc;

    if (!(wf->caps & SKC_CAP_READ)) {
        if (!g->quiet)
            fprintf(stderr, "%s: warning: %s: not verified: format '%s' cannot be read back\n",
                    cli_prog, a->output, wf->name);
        return SKC_OK;
    }
    if (a->verify_data && (rc = cli_read_rows(m, a->verify_data, &rows)))
        return rc;
    rc = skc_stream_open_read(skc_output_temp_path(*out), &back, err, sizeof(err));
    if (rc == SKC_OK)
        rc = skc_session_new(ctx, wf, a->output, &rs);
    if (rc == SKC_OK) {
        rc = skc_session_read(rs, back, &m2);
        if (rc)
            snprintf(err, sizeof(err), "%s", skc_session_error(rs));
    }
    if (rc) {
        cli_error("%s: verification could not read the output back: %s", a->output, err);
        rc = SKC_E_MISMATCH;
        goto done;
    }
    rc = skc_verify_models(m, m2, rows, NULL, &rep, err, sizeof(err));
    if (rc) {
        cli_error("%s: verification failed: %s", a->output, err);
        rc = SKC_E_MISMATCH;
        goto done;
    }
    if (!skc_verify_passed(rep)) {
        cli_error("%s: verification failed: %s%s", a->output, skc_verify_summary(rep),
                  a->keep_failed ? " (kept: --keep-failed)" : "");
        if (a->keep_failed) {
            verify_failed = 1;
            rc = SKC_OK;
        } else {
            rc = SKC_E_MISMATCH;
        }
        goto done;
    }
    if (g->verbose && !g->quiet)
        fprintf(stderr, "%s: %s: verification %s\n", cli_prog, a->output,
                skc_verify_summary(rep));
    skc_model_set_meta(m, "skconv.verification", skc_verify_summary(rep));
    skc_model_free(m2);
    m2 = NULL;
    skc_session_free(rs);
    rs = NULL;
    skc_stream_free(back);
    back = NULL;
    skc_output_abort(*out);
    *out = NULL;
    rc = convert_write(ctx, wf, a, m, out);
done:
    if (rc && *out) {
        skc_output_abort(*out);
        *out = NULL;
    }
    skc_verify_report_free(rep);
    skc_model_free(m2);
    skc_session_free(rs);
    skc_stream_free(back);
    skc_tensor_free(rows);
    return rc;
}

int cmd_convert(cli_globals *g, int argc, char **argv)
{
    convert_args a;
    skc_context *ctx = NULL;
    skc_stream *in = NULL;
    skc_session *rs = NULL;
    skc_model *m = NULL;
    skc_output *out = NULL;
    const skc_format *rf, *wf;
    struct stat st;
    char err[1024];
    int rc, code, score = 0;

    memset(&a, 0, sizeof(a));
    verify_failed = 0;
    code = convert_parse(g, &a, argc, argv);
    if (code)
        return code < 0 ? CLI_EXIT_OK : code;
    ctx = cli_context(g);
    if (!ctx)
        return CLI_EXIT_USAGE;

    /* Choose the writer and check the output before any reading. */
    if (a.to) {
        wf = skc_context_find_format(ctx, a.to);
        if (!wf || !(wf->caps & SKC_CAP_WRITE)) {
            cli_usage_error("convert ", "no writable format '%s' (see 'skconv formats')", a.to);
            code = CLI_EXIT_USAGE;
            goto done;
        }
    } else {
        wf = skc_context_format_for_extension(ctx, a.output, SKC_CAP_WRITE);
        if (!wf) {
            cli_usage_error("convert ", "%s: cannot tell the output format from the file "
                            "name; use -t FORMAT (see 'skconv formats')", a.output);
            code = CLI_EXIT_USAGE;
            goto done;
        }
    }
    if (!a.force && stat(a.output, &st) == 0) {
        cli_error("%s: exists; use --force to overwrite it", a.output);
        code = CLI_EXIT_USAGE;
        goto done;
    }

    rc = skc_stream_open_read(a.input, &in, err, sizeof(err));
    if (rc) {
        cli_error("%s", err);
        code = CLI_EXIT_USAGE;
        goto done;
    }
    if (a.from) {
        rf = skc_context_find_format(ctx, a.from);
        if (!rf || !(rf->caps & SKC_CAP_READ)) {
            cli_usage_error("convert ", "no readable format '%s' (see 'skconv formats')", a.from);
            code = CLI_EXIT_USAGE;
            goto done;
        }
    } else {
        rc = skc_context_probe(ctx, in, &rf, &score);
        if (rc) {
            cli_error("%s", skc_context_error(ctx));
            code = cli_exit_for(rc);
            goto done;
        }
    }
    if ((rc = skc_session_new(ctx, rf, a.input, &rs)) ||
        (rc = convert_options(rs, 0, a.ropts, a.n_ropts))) {
        code = cli_exit_for(rc);
        goto done;
    }
    rc = skc_session_read(rs, in, &m);
    if (rc) {
        cli_error("%s", skc_session_error(rs));
        code = cli_exit_for(rc);
        goto done;
    }
    if (g->verbose)
        convert_summary(m, a.input, rf->name);

    rc = convert_write(ctx, wf, &a, m, &out);
    if (rc) {
        code = cli_exit_for(rc);
        goto done;
    }
    if (!a.no_verify) {
        rc = convert_verify(g, ctx, wf, &a, m, &out);
        if (rc) {
            code = cli_exit_for(rc);
            goto done;
        }
    }
    rc = skc_output_commit(out, err, sizeof(err));
    out = NULL;
    if (rc) {
        cli_error("%s", err);
        code = rc == SKC_E_EXISTS ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
        goto done;
    }
    if (verify_failed) {
        code = CLI_EXIT_FAILED;
        goto done;
    }
    if (!g->quiet && g->verbose)
        fprintf(stderr, "%s: wrote %s (%s)\n", cli_prog, a.output, wf->name);
    code = CLI_EXIT_OK;
done:
    skc_output_abort(out);
    skc_session_free(rs);
    skc_model_free(m);
    skc_stream_free(in);
    skc_context_free(ctx);
    return code;
}
