/* SPDX-License-Identifier: MIT */
/* convert.h: one conversion, start to end (read, write, verify, commit), shared by convert and migrate. */
#ifndef SKCONV_CLI_CONVERT_H
#define SKCONV_CLI_CONVERT_H

#include "cli.h"

struct cv_result;

typedef struct cv_job {
    const char *input;
    const char *output;
    const char *from;            /* reader name or NULL: probe          */
    const skc_format *writer;
    const char *const *wopts;    /* KEY=VALUE                           */
    int n_wopts;
    const char *const *ropts;
    int n_ropts;
    int force;
    int verify;
    int keep_failed;
    const char *verify_data;
    int dry_run;                 /* read and check only; write nothing  */
    int no_sync;                 /* rename without fsync (batch: one syncfs at the end) */
    /* Called after verification passed, before the output is renamed into
     * place; nonzero fails the conversion (migrate writes its sidecar here,
     * so a run killed in between never leaves an output without one). */
    int (*before_commit)(void *user, const struct cv_result *r);
    void *user;
} cv_job;

/* What happened; one line of text in message (the first line the user sees). */
typedef enum cv_outcome {
    CV_CONVERTED = 0,
    CV_NOT_MODEL,       /* no reader recognised the file      */
    CV_UNSUPPORTED,     /* a class or op skconv cannot convert */
    CV_UNTRUSTED,       /* unknown globals                      */
    CV_MALICIOUS,       /* globals that run code                */
    CV_CORRUPT,         /* malformed, truncated, limits         */
    CV_VERIFY_FAILED,
    CV_WRITE_FAILED,
    CV_USAGE            /* bad options, output exists, ...      */
} cv_outcome;

/* The phases of a conversion, timed for -v. */
enum cv_phase { CV_READ, CV_WRITE, CV_VERIFY, CV_COMMIT, CV_PHASES };
extern const char *const cv_phase_names[CV_PHASES];

typedef struct cv_result {
    int status;                  /* SKC_OK or the failing SKC_E_*        */
    int outcome;                 /* cv_outcome                           */
    char message[1024];
    char reader[32];
    char sklearn_version[64];
    char source_class[256];      /* top-level class                      */
    char source_sha256[65];
    char verification[768];      /* summary, "" if not verified          */
    int verified;
    int warnings;
    char temp_path[4096];        /* the output's temporary file, while before_commit runs */
    char side_temp_path[4096];   /* and its side file's (ONNX external data), or "" */
    char side_name[256];         /* the side file's final name, without directory */
    double seconds[CV_PHASES];   /* wall time of each phase (cv_phase)   */
} cv_result;

const char *cv_outcome_name(int outcome);
/* Run @p job; never prints. Returns job->status for convenience. */
int cv_convert(skc_context *ctx, const cv_job *job, cv_result *res);
/* Exit code of a single conversion. */
int cv_exit_code(const cv_result *res);

#endif
