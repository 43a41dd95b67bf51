/* SPDX-License-Identifier: MIT */
/* cmd_convert.c: `skconv INPUT -o OUTPUT`: probe, read, write atomically. No format knowledge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <skconv/verify.h>
#include "convert.h"

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

int cmd_convert(cli_globals *g, int argc, char **argv)
{
    convert_args a;
    skc_context *ctx = NULL;
    cv_job j;
    cv_result r;
    int code;

    memset(&a, 0, sizeof(a));
    code = convert_parse(g, &a, argc, argv);
    if (code)
        return code < 0 ? CLI_EXIT_OK : code;
    ctx = cli_context(g);
    if (!ctx)
        return CLI_EXIT_USAGE;
    memset(&j, 0, sizeof(j));
    /* Choose the writer before any reading. */
    if (a.to) {
        j.writer = skc_context_find_format(ctx, a.to);
        if (!j.writer || !(j.writer->caps & SKC_CAP_WRITE)) {
            cli_usage_error("convert ", "no writable format '%s' (see 'skconv formats')", a.to);
            code = CLI_EXIT_USAGE;
            goto done;
        }
    } else {
        j.writer = skc_context_format_for_extension(ctx, a.output, SKC_CAP_WRITE);
        if (!j.writer) {
            cli_usage_error("convert ", "%s: cannot tell the output format from the file "
                            "name; use -t FORMAT (see 'skconv formats')", a.output);
            code = CLI_EXIT_USAGE;
            goto done;
        }
    }
    j.input = a.input;
    j.output = a.output;
    j.from = a.from;
    j.wopts = a.wopts;
    j.n_wopts = a.n_wopts;
    j.ropts = a.ropts;
    j.n_ropts = a.n_ropts;
    j.force = a.force;
    j.verify = !a.no_verify;
    j.keep_failed = a.keep_failed;
    j.verify_data = a.verify_data;
    cv_convert(ctx, &j, &r);
    code = cv_exit_code(&r);
    if (r.outcome != CV_CONVERTED)
        cli_error("%s", r.message);
    if (g->verbose && r.source_class[0])
        fprintf(stderr, "%s: %s: read as %s: %s (sklearn %s)\n", cli_prog, a.input, r.reader,
                r.source_class, r.sklearn_version[0] ? r.sklearn_version : "?");
    if (r.verification[0] && !g->quiet && (g->verbose || !r.verified))
        fprintf(stderr, "%s: %s%s: %s\n", cli_prog, r.verified ? "" : "warning: ", a.output,
                r.verification);
    if (code == CLI_EXIT_OK && g->verbose && !g->quiet) {
        int ph;
        fprintf(stderr, "%s: wrote %s (%s)\n", cli_prog, a.output, j.writer->name);
        fprintf(stderr, "%s: time:", cli_prog);
        for (ph = 0; ph < CV_PHASES; ph++)
            fprintf(stderr, " %s %.3f s%s", cv_phase_names[ph], r.seconds[ph],
                    ph + 1 < CV_PHASES ? "," : "\n");
    }
done:
    skc_context_free(ctx);
    return code;
}
