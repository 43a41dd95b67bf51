/* SPDX-License-Identifier: MIT */
/* cli.h: what the skconv command's files share: exit codes, context set-up, messages. */
#ifndef SKCONV_CLI_H
#define SKCONV_CLI_H

#include <skconv/skconv.h>
#include <skconv/plugin.h>

/* Exit codes: stable, listed in README.md. */
enum {
    CLI_EXIT_OK = 0,          /* success                                      */
    CLI_EXIT_FAILED = 1,      /* conversion failed / some files untrusted     */
    CLI_EXIT_USAGE = 2,       /* usage error or unreadable input              */
    CLI_EXIT_MALICIOUS = 3    /* input names globals that run code            */
};

typedef struct cli_globals {
    const char *plugins[32];  /* --plugin FILE, loaded first */
    int n_plugins;
    int verbose;              /* -v count */
    int quiet;
    skc_limits limits;
    int limits_set;
} cli_globals;

extern const char *cli_prog;

/* Consume a global option at argv[*i] (and its value); 1 if it was one,
 * 0 if not, -1 on a bad value (message printed). */
int cli_global_option(cli_globals *g, int argc, char **argv, int *i);
/* Create the context: --plugin files, then SKCONV_PLUGIN_PATH, then the
 * install directory. Prints and returns NULL on failure. */
skc_context *cli_context(const cli_globals *g);
/* Exit code for a status from reading, converting or writing. */
int cli_exit_for(int status);
void cli_error(const char *fmt, ...) SKC_PRINTF(1, 2);
void cli_usage_error(const char *cmd, const char *fmt, ...) SKC_PRINTF(2, 3);

/* Open @p path and read it as a model: with format @p from if given, else
 * by probing. The model may borrow from *stream: free the model first.
 * Prints the error and returns a status. */
int cli_read_model(skc_context *ctx, const char *path, const char *from,
                   skc_model **model, skc_stream **stream);
/* Apply "KEY=VALUE" options @p opts (@p n of them) to a session's reader
 * (@p for_write 0) or writer options; 0, or a status with @p err set. */
int cli_session_options(skc_session *s, int for_write, const char *const *opts, int n,
                        char *err, size_t errlen);
/* The same with reader options (@p n "KEY=VALUE" strings, checked against
 * the reader's option table). */
int cli_read_model_opts(skc_context *ctx, const char *path, const char *from,
                        const char *const *opts, int n, skc_model **model,
                        skc_stream **stream);
/* Rows from a CSV or .npy file, columns matched to the model's names when
 * both have them. Prints the error and returns a status. */
int cli_read_rows(const skc_model *m, const char *path, skc_tensor **rows);

int cmd_convert(cli_globals *g, int argc, char **argv);
int cmd_predict(cli_globals *g, int argc, char **argv);
int cmd_migrate(cli_globals *g, int argc, char **argv);
int cmd_verify(cli_globals *g, int argc, char **argv);
int cmd_formats(cli_globals *g, int argc, char **argv);
int cmd_plugins(cli_globals *g, int argc, char **argv);
int cmd_scan(cli_globals *g, int argc, char **argv);
int cmd_inspect(cli_globals *g, int argc, char **argv);

void help_main(void);
int  help_command(const char *cmd);

#endif
