/* SPDX-License-Identifier: MIT */
/* main.c: the skconv command: global options, command dispatch and help. */
#include <stdio.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include "cli.h"

static const struct cli_cmd {
    const char *name;
    int (*run)(cli_globals *g, int argc, char **argv);
    const char *summary;
    const char *help;
} cli_cmds[] = {
    { "convert", cmd_convert, "convert one model (the default command)",
      "Usage: skconv [convert] INPUT -o OUTPUT [options]\n"
      "\n"
      "Read INPUT with the reader whose probe recognises its content, and write\n"
      "OUTPUT with the writer chosen by OUTPUT's extension (.onnx).\n"
      "The output is written to a temporary file beside OUTPUT and renamed only\n"
      "when complete; an existing OUTPUT is kept unless --force is given.\n"
      "\n"
      "Options:\n"
      "  -o, --output FILE    where to write (required)\n"
      "  -f, --from FORMAT    force the reader (see 'skconv formats')\n"
      "  -t, --to FORMAT      force the writer instead of guessing from the extension\n"
      "  -O KEY=VALUE         writer option (repeatable; see 'skconv formats -v')\n"
      "  -I KEY=VALUE         reader option (repeatable)\n"
      "      --force          overwrite OUTPUT if it exists\n"
      "      --no-verify      skip verification (see below)\n"
      "      --verify-data FILE  rows (CSV or .npy) to verify on instead of probe rows\n"
      "      --keep-failed    keep OUTPUT even when verification fails (exit 1)\n"
      "  -v, --verbose        more detail on stderr (-vv: probe scores, debug)\n"
      "  -q, --quiet          errors only\n"
      "      --plugin FILE    load a plugin module first (repeatable)\n"
      "      --max-depth N, --max-memo N, --max-objects N, --max-bytes N,\n"
      "      --max-ratio N, --max-elements N\n"
      "                       limits for untrusted input (k/M/G suffixes)\n"
      "\n"
      "Exit status: 0 converted; 1 conversion failed (unsupported estimator,\n"
      "untrusted globals, writer error); 2 usage error or unreadable input;\n"
      "3 the input names globals that run code.\n"
      "\n"
      "Verification: unless --no-verify, OUTPUT is read back with its format's\n"
      "reader and both models are evaluated on the same rows; the largest\n"
      "difference per output must be within |a-b| <= 1e-5 + 1e-5*|a| for\n"
      "float32 targets and 1e-9 + 1e-9*|a| for float64 targets, labels\n"
      "identical. Otherwise OUTPUT is not kept and the exit status is 1.\n" },
    { "formats", cmd_formats, "list the formats skconv reads and writes",
      "Usage: skconv formats [-v]\n"
      "\n"
      "One line per format: name, flags, extensions, description.\n"
      "Flags: R reads, W writes, S has a safety scan, U reader hardened for\n"
      "untrusted input, E experimental. With -v, each format's options.\n" },
    { "plugins", cmd_plugins, "list the loaded plugin modules",
      "Usage: skconv plugins\n"
      "\n"
      "One line per loaded module: path, plugin version, ABI, licence, formats.\n"
      "Modules come from --plugin FILE, then SKCONV_PLUGIN_PATH (':'-separated\n"
      "directories; 'disable' turns it off), then the install directory.\n" },
    { "migrate", cmd_migrate, "convert a directory or archive of models",
      "Usage: skconv migrate SRC -o DST [--to FORMAT] [-j N] [options]\n"
      "       skconv migrate --merge-reports -o MERGED.json REPORT.json...\n"
      "\n"
      "SRC is a directory (walked recursively) or a tar, tar.gz, tar.xz or zip\n"
      "archive. Model files are found by their content, not their names; each is\n"
      "converted with verification to the same relative path under DST with the\n"
      "new extension, with a JSON sidecar beside it (source SHA-256, sklearn\n"
      "version, verdict, verification). DST ending in .tar, .tar.gz, .tar.xz or\n"
      ".zip is written as that archive. Nothing under SRC is modified; symbolic\n"
      "links are not followed out of SRC; DST inside SRC is refused. A re-run\n"
      "skips sources already converted (same SHA-256) and rewrites nothing.\n"
      "\n"
      "Options:\n"
      "  -o, --output DST     destination directory or archive (required)\n"
      "  -t, --to FORMAT      output format (default onnx; see 'skconv formats')\n"
      "  -j, --jobs N         convert N files at once (separate processes)\n"
      "  -O KEY=VALUE         writer option (repeatable)\n"
      "      --report PATH    also write the JSON report here (default DST/report.json;\n"
      "                       a CSV report.csv is written beside it)\n"
      "      --csv PATH       where to write the CSV report\n"
      "      --shard K/N      take only the files whose relative path hashes to\n"
      "                       shard K of N (0 <= K < N): N machines split one run\n"
      "      --merge-reports  join shard reports into one (-o MERGED.json)\n"
      "      --dry-run        say what would happen, with verdicts; write nothing\n"
      "      --no-verify      skip verification\n"
      "      --force          convert again even when done, overwrite outputs\n"
      "  -q, --quiet          no progress or summary\n"
      "\n"
      "Statuses: converted, converted-with-warnings, skipped, not-a-model,\n"
      "unsupported, untrusted, malicious, corrupt, verify-failed, write-failed,\n"
      "collision, exists, symlink-outside, unreadable, crashed, would-convert.\n"
      "\n"
      "Exit status: 0 every model converted or skipped, 1 some were not,\n"
      "2 a fatal error.\n" },
    { "predict", cmd_predict, "run a model on rows of data",
      "Usage: skconv predict MODEL --input X.csv|X.npy [--output out.json|out.csv] [options]\n"
      "\n"
      "Evaluate any readable model (pickle, joblib, ONNX, native .skm) with the\n"
      "reference evaluator, in double precision. A CSV whose first row is not\n"
      "numeric has a header; its columns are matched by name when the model\n"
      "knows its column names, otherwise by position.\n"
      "Output: one JSON object whose keys are the output names (label,\n"
      "probabilities, variable, scores), each an array with one entry per row;\n"
      "or CSV when the output file ends in .csv. Without --output, JSON on stdout.\n"
      "\n"
      "Options:\n"
      "  -i, --input FILE     the rows (required)\n"
      "  -o, --output FILE    where to write (refuses to overwrite without --force)\n"
      "  -f, --from FORMAT    force the reader\n"
      "  -I KEY=VALUE         reader option, repeatable (pickle: object=PATH;\n"
      "                       skm: mmap, verify_data; see 'skconv formats -v')\n" },
    { "verify", cmd_verify, "compare two models on the same rows",
      "Usage: skconv verify A B [--data X.csv|X.npy] [--rtol R] [--atol A]\n"
      "\n"
      "Evaluate both models (any readable formats) on the rows (or on probe rows\n"
      "synthesised from A: scaler ranges, tree thresholds and their float32\n"
      "neighbours, categories) and report the largest absolute and relative\n"
      "difference per output. A value passes when |a-b| <= atol + rtol*|a|;\n"
      "defaults 1e-5 when either model takes float32 input, else 1e-9.\n"
      "Labels must be identical.\n"
      "\n"
      "Exit status: 0 the models agree, 1 they differ, 2 unreadable input.\n" },
    { "scan", cmd_scan, "tell whether model files are safe to convert",
      "Usage: skconv scan [--json] FILE...\n"
      "\n"
      "One line per file: the verdict and its reasons.\n"
      "  safe       every global the file names is known and inert\n"
      "  untrusted  some globals are unknown (listed with their byte offsets)\n"
      "  malicious  a global runs code or reaches the system\n"
      "  unreadable the file is not a model file, or is damaged\n"
      "\n"
      "Exit status: 0 all safe, 1 some untrusted, 2 some unreadable,\n"
      "3 some malicious (the worst wins).\n" },
    { "inspect", cmd_inspect, "show what is inside a model file",
      "Usage: skconv inspect [--json] FILE\n"
      "\n"
      "The object tree (classes, nesting, hyperparameters, array shapes and\n"
      "dtypes), versions, pickle protocol and compression. Nothing in the file\n"
      "is executed, so inspect also shows files that scan calls malicious.\n" },
};

#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

void help_main(void)
{
    size_t i;

    printf("Usage: skconv [options] INPUT -o OUTPUT\n"
           "       skconv COMMAND [options] [args]\n"
           "\n"
           "Convert scikit-learn models (pickle, joblib) to ONNX without Python,\n"
           "without executing anything the files name.\n"
           "\n"
           "Commands:\n");
    for (i = 0; i < CLI_NCMDS; i++)
        printf("  %-9s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
    printf("  %-9s %s\n", "help", "help on a command");
    printf("\n"
           "Global options: -v/--verbose, -q/--quiet, --plugin FILE, --version, --help\n"
           "'skconv COMMAND --help' describes a command.\n"
           "\n"
           "Exit status: 0 success, 1 conversion failed, 2 usage error or unreadable\n"
           "input, 3 malicious input.\n");
}

int help_command(const char *cmd)
{
    size_t i, n = strlen(cmd);

    /* Callers pass "scan " etc. (the form used in usage messages). */
    while (n && cmd[n - 1] == ' ')
        n--;
    for (i = 0; i < CLI_NCMDS; i++) {
        if (strlen(cli_cmds[i].name) == n && strncmp(cli_cmds[i].name, cmd, n) == 0) {
            fputs(cli_cmds[i].help, stdout);
            return CLI_EXIT_OK;
        }
    }
    cli_usage_error(NULL, "no command '%s'", cmd);
    return CLI_EXIT_USAGE;
}

/* Large blocks from the heap, and freed memory kept for the next: a
 * conversion frees the source model before it reads its output back
 * (convert.c, cv_can_append), and the read-back then reuses those pages
 * instead of faulting in fresh ones (0.1 s of kernel time for a 300 MB
 * forest). Blocks above glibc's largest threshold (32 MB) are still
 * mapped on their own. */
static void cli_malloc_policy(void)
{
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
    (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

int main(int argc, char **argv)
{
    cli_globals g;
    size_t i;

    cli_malloc_policy();
    memset(&g, 0, sizeof(g));
    skc_limits_default(&g.limits);
    if (argc < 2) {
        help_main();
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("skconv %s (library %s, plugin ABI %u)\nplugin directory: %s\n",
               SKC_VERSION_STRING, skc_version_string(), skc_abi_version(),
               skc_plugin_dir());
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        help_main();
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            help_main();
            return CLI_EXIT_OK;
        }
        return help_command(argv[2]);
    }
    for (i = 0; i < CLI_NCMDS; i++)
        if (strcmp(argv[1], cli_cmds[i].name) == 0)
            return cli_cmds[i].run(&g, argc - 1, argv + 1);
    /* No command word: the arguments are a conversion. */
    return cmd_convert(&g, argc, argv);
}
