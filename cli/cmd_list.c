/* SPDX-License-Identifier: MIT */
/* cmd_list.c: `skconv formats` and `skconv plugins`: capabilities listed as data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *list_opt_type(int t)
{
    switch (t) {
    case SKC_OPT_BOOL: return "bool";
    case SKC_OPT_INT: return "int";
    case SKC_OPT_FLOAT: return "float";
    case SKC_OPT_STRING: return "string";
    case SKC_OPT_ENUM: return "enum";
    default: return "?";
    }
}

static void list_options(const char *what, const skc_option *o)
{
    for (; o && o->name; o++) {
        printf("    %s %s=%s", what, o->name, list_opt_type(o->type));
        if (o->type == SKC_OPT_ENUM && o->choices)
            printf("(%s)", o->choices);
        if (o->type == SKC_OPT_INT && o->min < o->max)
            printf("(%lld..%lld)", (long long)o->min, (long long)o->max);
        if (o->default_value)
            printf(" [default %s]", o->default_value);
        if (o->help)
            printf("  %s", o->help);
        putchar('\n');
    }
}

static int list_simple_args(cli_globals *g, int argc, char **argv, const char *cmd)
{
    int i, r;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help_command(cmd);
            return -1;
        }
        r = cli_global_option(g, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0) {
            cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

int cmd_formats(cli_globals *g, int argc, char **argv)
{
    skc_context *ctx;
    int i, r;

    r = list_simple_args(g, argc, argv, "formats");
    if (r)
        return r < 0 ? CLI_EXIT_OK : r;
    ctx = cli_context(g);
    if (!ctx)
        return CLI_EXIT_USAGE;
    for (i = 0; i < skc_context_format_count(ctx); i++) {
        const skc_format *f = skc_context_format(ctx, i);
        char flags[8];
        int scan = SKC_HAS_MEMBER(f, skc_format, scan) && f->scan;
        snprintf(flags, sizeof(flags), "%c%c%c%c%c",
                 f->caps & SKC_CAP_READ ? 'R' : '-',
                 f->caps & SKC_CAP_WRITE ? 'W' : '-',
                 scan ? 'S' : '-',
                 f->caps & SKC_CAP_UNTRUSTED_SAFE ? 'U' : '-',
                 f->caps & SKC_CAP_EXPERIMENTAL ? 'E' : '-');
        printf("%-12s %s  %-22s %s\n", f->name, flags, f->extensions,
               f->long_name ? f->long_name : "");
        if (g->verbose) {
            list_options("read ", f->read_options);
            list_options("write", f->write_options);
        }
    }
    if (skc_context_format_count(ctx) == 0)
        fprintf(stderr, "%s: no formats: no plugins were found (install dir %s; "
                "SKCONV_PLUGIN_PATH %s)\n", cli_prog, skc_plugin_dir(),
                getenv("SKCONV_PLUGIN_PATH") ? getenv("SKCONV_PLUGIN_PATH") : "unset");
    skc_context_free(ctx);
    return CLI_EXIT_OK;
}

int cmd_plugins(cli_globals *g, int argc, char **argv)
{
    skc_context *ctx;
    int i, j, r;

    r = list_simple_args(g, argc, argv, "plugins");
    if (r)
        return r < 0 ? CLI_EXIT_OK : r;
    ctx = cli_context(g);
    if (!ctx)
        return CLI_EXIT_USAGE;
    for (i = 0; i < skc_context_plugin_count(ctx); i++) {
        const char *path;
        const skc_plugin *p = skc_context_plugin(ctx, i, &path);
        printf("%s  %s %s  abi %u  %s  formats:", path, p->name, p->version,
               p->abi_version, p->license);
        for (j = 0; p->formats[j]; j++)
            printf("%s%s", j ? "," : " ", p->formats[j]->name);
        putchar('\n');
    }
    skc_context_free(ctx);
    return CLI_EXIT_OK;
}
