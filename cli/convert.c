/* SPDX-License-Identifier: MIT */
/* convert.c: one conversion: probe, read, write to a temporary file, verify, rename. No format knowledge. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>
#include <skconv/verify.h>
#include <skconv/data.h>
#include "convert.h"

const char *cv_outcome_name(int outcome)
{
    static const char *const names[] = {
        "converted", "not-a-model", "unsupported", "untrusted", "malicious",
        "corrupt", "verify-failed", "write-failed", "usage"
    };

    return outcome >= 0 && outcome <= CV_USAGE ? names[outcome] : "unknown";
}

static int cv_fail(cv_result *r, int status, int outcome, const char *fmt, ...)
    SKC_PRINTF(4, 5);

static int cv_fail(cv_result *r, int status, int outcome, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    r->status = status;
    r->outcome = outcome;
    return status;
}

/* How a reader's failure is classified in reports. */
static int cv_outcome_of_read(int rc)
{
    switch (rc) {
    case SKC_E_UNKNOWN_FORMAT: return CV_NOT_MODEL;
    case SKC_E_UNSUPPORTED:    return CV_UNSUPPORTED;
    case SKC_E_UNSAFE:         return CV_UNTRUSTED;
    case SKC_E_MALICIOUS:      return CV_MALICIOUS;
    case SKC_E_INVAL:          return CV_USAGE;
    default:                   return CV_CORRUPT;
    }
}

static int cv_options(skc_session *s, int for_write, const char *const *opts, int n,
                      cv_result *r)
{
    char err[1024];
    int rc = cli_session_options(s, for_write, opts, n, err, sizeof(err));

    return rc ? cv_fail(r, rc, CV_USAGE, "%s", err) : SKC_OK;
}

static int cv_write(skc_context *ctx, const cv_job *j, const skc_model *m,
                    skc_output **out, cv_result *r)
{
    skc_session *ws = NULL;
    char err[1024];
    int rc;

    if ((rc = skc_session_new(ctx, j->writer, j->output, &ws))) {
        cv_fail(r, rc, CV_WRITE_FAILED, "%s: %s", j->output, skc_strerror(rc));
        goto done;
    }
    if ((rc = cv_options(ws, 1, j->wopts, j->n_wopts, r)))
        goto done;
    rc = skc_output_begin(j->output, j->force, out, err, sizeof(err));
    if (rc) {
        cv_fail(r, rc, rc == SKC_E_EXISTS ? CV_USAGE : CV_WRITE_FAILED, "%s", err);
        goto done;
    }
    /* Side files the writer opens (ONNX external data) belong to *out. */
    skc_session_set_output(ws, *out);
    rc = skc_session_write(ws, m, skc_output_stream(*out));
    if (rc) {
        cv_fail(r, rc, rc == SKC_E_IO ? CV_WRITE_FAILED : rc == SKC_E_EXISTS ? CV_USAGE
                : CV_UNSUPPORTED, "%s", skc_session_error(ws));
        skc_output_abort(*out);
        *out = NULL;
    }
done:
    skc_session_free(ws);
    return rc;
}

static int cv_rows(const skc_model *m, const char *path, skc_tensor **rows, cv_result *r)
{
    skc_tensor *x = NULL, *cols = NULL, *sel = NULL;
    const skc_tensor *mcols = skc_model_input_columns(m, 0);
    char err[1024];
    int rc;

    if (skc_model_input_dtype(m, 0) == SKC_DT_STRING) {
        /* Text columns beside numeric ones: matched by header name. */
        if ((rc = skc_data_read_strings(m, path, rows, err, sizeof(err))))
            return cv_fail(r, rc, CV_USAGE, "%s", err);
        return SKC_OK;
    }
    rc = skc_data_read(path, &x, &cols, err, sizeof(err));
    if (rc)
        return cv_fail(r, rc, CV_USAGE, "%s", err);
    if (cols && mcols) {
        rc = skc_data_select_columns(x, cols, mcols, &sel, err, sizeof(err));
        if (rc) {
            skc_tensor_free(x);
            skc_tensor_free(cols);
            return cv_fail(r, rc, CV_USAGE, "%s: %s", path, err);
        }
        skc_tensor_free(x);
        x = sel;
    }
    skc_tensor_free(cols);
    *rows = x;
    return SKC_OK;
}

/* After a failed verification: when the writer also offers double
 * arithmetic (an option "dtype" with a choice "float64") and the job did
 * not ask for it, say so; most float32 differences vanish there, since
 * sklearn computes in double. Read from the option table: no format
 * knowledge here. */
static const char *cv_double_hint(const cv_job *j)
{
    const skc_option *o;
    int i;

    for (i = 0; i < j->n_wopts; i++)
        if (strcmp(j->wopts[i], "dtype=float64") == 0)
            return "";
    for (o = j->writer->write_options; o && o->name; o++)
        if (strcmp(o->name, "dtype") == 0 && o->choices && strstr(o->choices, "float64"))
            return "; -O dtype=float64 computes in double, as sklearn does";
    return "";
}

/* The output's side files are not at their names yet: the reader finds
 * them at their temporary paths. */
static int cv_side_files(skc_session *rs, const skc_output *out)
{
    const char *path, *tmp, *slash;
    int i, rc;

    for (i = 0; i < skc_output_side_count(out); i++) {
        path = skc_output_side_path(out, i, &tmp);
        slash = strrchr(path, '/');
        if ((rc = skc_session_set_companion(rs, slash ? slash + 1 : path, tmp)))
            return rc;
    }
    return SKC_OK;
}

/* Models freed on a thread of their own: a large one takes a while to
 * give back, and nothing waits for it but the end of the conversion. */
typedef struct cv_freer {
    pthread_t thread;
    int on;
    skc_model *m[2];
} cv_freer;

static void *cv_free_main(void *arg)
{
    cv_freer *f = arg;

    skc_model_free(f->m[0]);
    skc_model_free(f->m[1]);
    return NULL;
}

/* Free @p a and @p b beside the caller (inline when no thread starts). */
static void cv_free_later(cv_freer *f, skc_model *a, skc_model *b)
{
    f->m[0] = a;
    f->m[1] = b;
    f->on = skc_threads() > 1 && pthread_create(&f->thread, NULL, cv_free_main, f) == 0;
    if (!f->on)
        cv_free_main(f);
}

/* Open the input and read it with @p *rf (NULL: the reader that probes
 * best, returned in *rf); *rsp is the reading session. The input is
 * closed again: the model holds its own copies, so the input's pages (a
 * mapped file as large as the model) need not stay in memory while it is
 * written and verified. */
static int cv_read(skc_context *ctx, const cv_job *j, const skc_format **rf, int defer_hash,
                   cv_result *r, skc_session **rsp, skc_model **mp)
{
    skc_stream *in = NULL;
    char err[1024];
    int rc;

    rc = skc_stream_open_read(j->input, &in, err, sizeof(err));
    if (rc)
        return cv_fail(r, rc, CV_USAGE, "%s", err);
    if (!*rf && (rc = skc_context_probe(ctx, in, rf, NULL))) {
        cv_fail(r, rc, rc == SKC_E_FORMAT ? CV_CORRUPT : CV_NOT_MODEL, "%s",
                skc_context_error(ctx));
        goto done;
    }
    if ((rc = skc_session_new(ctx, *rf, j->input, rsp)) ||
        (rc = cv_options(*rsp, 0, j->ropts, j->n_ropts, r)))
        goto done;
    if (defer_hash)
        skc_session_defer_source_hash(*rsp);
    rc = skc_session_read(*rsp, in, mp);
    if (rc)
        cv_fail(r, rc, cv_outcome_of_read(rc), "%s", skc_session_error(*rsp));
done:
    skc_stream_free(in);
    return rc;
}

/* Verification's first half, started before the output is written: the
 * rows (--verify-data, else probe rows made from the model) and the
 * source model evaluated on them, on a thread beside the writer. */
typedef struct cv_check {
    skc_verify_job *vj;
    skc_tensor *rows;
    int rc;                      /* skc_verify_start's failure, reported once written */
    int release;                 /* free the source model before the read-back */
    char err[1024];
} cv_check;

static int cv_check_start(const cv_job *j, const skc_model *m, cv_check *c, cv_result *r)
{
    int rc;

    if (!j->verify || !(j->writer->caps & SKC_CAP_READ))
        return SKC_OK;
    if (j->verify_data && (rc = cv_rows(m, j->verify_data, &c->rows, r)))
        return rc;
    c->rc = skc_verify_start(m, c->rows, NULL, &c->vj, c->err, sizeof(c->err));
    return SKC_OK;
}

static void cv_check_free(cv_check *c)
{
    skc_verify_job_free(c->vj);
    skc_tensor_free(c->rows);
    c->vj = NULL;
    c->rows = NULL;
}

/* Whether the writer can append provenance to the file it wrote: then
 * the source hash is left to run on past the read (appended at the end),
 * and the source model can be freed before the output is read back, so
 * that the read-back reuses its memory (else the model is written again
 * with the entries). The input must be a regular file, which can be read
 * again should the append be refused after all. */
static int cv_can_append(const cv_job *j)
{
    struct stat st;

    return SKC_HAS_MEMBER(j->writer, skc_format, append_meta) && j->writer->append_meta &&
           stat(j->input, &st) == 0 && S_ISREG(st.st_mode);
}

/* The source model again, for a writer that refused to append the
 * summary after the model was released: the same input read the same
 * way, refused if its bytes changed meanwhile. */
static int cv_reread(skc_context *ctx, const cv_job *j, cv_result *r, skc_model **mp)
{
    const skc_format *rf = skc_context_find_format(ctx, r->reader);
    skc_session *rs = NULL;
    const char *sha;
    int rc;

    if (!rf)
        return cv_fail(r, SKC_E_INTERNAL, CV_WRITE_FAILED, "%s: reader '%s' is gone", j->input,
                       r->reader);
    rc = cv_read(ctx, j, &rf, 0, r, &rs, mp);
    skc_session_free(rs);
    if (rc)
        return rc;
    sha = skc_model_get_meta(*mp, "source.sha256");
    if (strcmp(sha ? sha : "", r->source_sha256) != 0)
        return cv_fail(r, SKC_E_IO, CV_WRITE_FAILED, "%s: the input changed while it was "
                       "converted; nothing written", j->input);
    return SKC_OK;
}

/* ARCHITECTURE.md "Verification": read the written file back with its own
 * format's reader, evaluate both models on the same rows, compare (the
 * summary goes into the file's provenance afterwards: cv_add_meta). The
 * source model *mp may be freed here (set to NULL) once its outputs on
 * the rows are known (c->release: cv_can_append). */
static int cv_verify(skc_context *ctx, const cv_job *j, cv_check *c, skc_model **mp,
                     skc_output *out, cv_result *r, skc_model **back_model)
{
    skc_stream *back = NULL;
    skc_session *rs = NULL;
    skc_model *m2 = NULL;
    skc_verify_report *rep = NULL;
    skc_verify_job *vj = c->vj;
    char err[1024] = "";
    int rc;

    c->vj = NULL;                /* finishing frees it */
    if (!(j->writer->caps & SKC_CAP_READ)) {
        snprintf(r->verification, sizeof(r->verification),
                 "not verified: format '%s' cannot be read back", j->writer->name);
        r->warnings++;
        return SKC_OK;
    }
    if (c->rc) {
        rc = cv_fail(r, SKC_E_MISMATCH, CV_VERIFY_FAILED, "%s: verification failed: %s",
                     j->output, c->err);
        goto done;
    }
    if (c->release) {
        if ((rc = skc_verify_release(vj, err, sizeof(err)))) {
            rc = cv_fail(r, SKC_E_MISMATCH, CV_VERIFY_FAILED, "%s: verification failed: %s",
                         j->output, err);
            goto done;
        }
        skc_model_free(*mp);
        *mp = NULL;
    }
    rc = skc_stream_open_read(skc_output_temp_path(out), &back, err, sizeof(err));
    if (rc == SKC_OK)
        rc = skc_session_new(ctx, j->writer, j->output, &rs);
    if (rc == SKC_OK)
        rc = cv_side_files(rs, out);
    if (rc == SKC_OK) {
        rc = skc_session_read(rs, back, &m2);
        if (rc)
            snprintf(err, sizeof(err), "%s", skc_session_error(rs));
    }
    if (rc) {
        rc = cv_fail(r, SKC_E_MISMATCH, CV_VERIFY_FAILED,
                     "%s: verification could not read the output back: %s", j->output, err);
        goto done;
    }
    rc = skc_verify_finish(vj, m2, NULL, &rep, err, sizeof(err));
    vj = NULL;
    if (rc) {
        rc = cv_fail(r, SKC_E_MISMATCH, CV_VERIFY_FAILED, "%s: verification failed: %s",
                     j->output, err);
        goto done;
    }
    snprintf(r->verification, sizeof(r->verification), "%s", skc_verify_summary(rep));
    r->verified = 1;
    if (!skc_verify_passed(rep)) {
        rc = cv_fail(r, SKC_E_MISMATCH, CV_VERIFY_FAILED, "%s: verification failed: %s%s%s",
                     j->output, skc_verify_summary(rep), cv_double_hint(j),
                     j->keep_failed ? " (kept: --keep-failed)" : "");
        goto done;
    }
    /* The read-back model goes back to the caller, who frees it beside
     * the commit. */
    *back_model = m2;
    m2 = NULL;
done:
    skc_verify_job_free(vj);
    skc_verify_report_free(rep);
    skc_model_free(m2);
    skc_session_free(rs);
    skc_stream_free(back);
    return rc;
}

/* Provenance entries (@p n key, value pairs) for the written output:
 * appended to the file where the writer can, else the model (read again
 * if it was freed) is written again with them. */
static int cv_add_meta(skc_context *ctx, const cv_job *j, skc_model **mp, skc_output **out,
                       cv_result *r, const char *const *kv, int n)
{
    skc_session *ws = NULL;
    int i, rc = skc_session_new(ctx, j->writer, j->output, &ws);

    for (i = 0; rc == SKC_OK && i < n; i++)
        rc = skc_session_append_meta(ws, skc_output_stream(*out), kv[2 * i], kv[2 * i + 1]);
    if (rc && rc != SKC_E_UNSUPPORTED)
        rc = cv_fail(r, rc, CV_WRITE_FAILED, "%s: %s", j->output,
                     ws ? skc_session_error(ws) : skc_strerror(rc));
    skc_session_free(ws);
    if (rc != SKC_E_UNSUPPORTED)
        return rc;
    if (!*mp && (rc = cv_reread(ctx, j, r, mp)))
        return rc;
    for (i = 0; i < n; i++)
        skc_model_set_meta(*mp, kv[2 * i], kv[2 * i + 1]);
    skc_output_abort(*out);
    *out = NULL;
    return cv_write(ctx, j, *mp, out, r);
}

static void cv_meta(const skc_model *m, const char *key, char *dst, size_t n)
{
    const char *v = skc_model_get_meta(m, key);

    snprintf(dst, n, "%s", v ? v : "");
}

const char *const cv_phase_names[CV_PHASES] = { "read", "write", "verify", "commit" };

static double cv_clock(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Charge the time since *t0 to phase @p ph and restart the clock. */
static void cv_lap(cv_result *r, int ph, double *t0)
{
    double now = cv_clock();

    r->seconds[ph] += now - *t0;
    *t0 = now;
}

int cv_convert(skc_context *ctx, const cv_job *j, cv_result *r)
{
    double t0 = cv_clock();
    skc_session *rs = NULL;
    skc_model *m = NULL;
    skc_output *out = NULL;
    const skc_format *rf = NULL;
    struct stat st;
    char err[1024];
    skc_model *back = NULL;
    cv_freer freer = { .on = 0 };
    cv_check check;
    const char *hash;
    int rc, defer_hash;

    memset(r, 0, sizeof(*r));
    memset(&check, 0, sizeof(check));
    if (!j->dry_run && !j->force && stat(j->output, &st) == 0)
        return cv_fail(r, SKC_E_EXISTS, CV_USAGE, "%s: exists; use --force to overwrite it",
                       j->output);
    if (j->from) {
        rf = skc_context_find_format(ctx, j->from);
        if (!rf || !(rf->caps & SKC_CAP_READ)) {
            rc = cv_fail(r, SKC_E_INVAL, CV_USAGE,
                         "no readable format '%s' (see 'skconv formats')", j->from);
            goto done;
        }
    }
    /* Where the writer can append it, the source hash runs on while the
     * model is written and verified, and is appended at the end. */
    check.release = cv_can_append(j);
    defer_hash = !j->dry_run && check.release;
    rc = cv_read(ctx, j, &rf, defer_hash, r, &rs, &m);
    if (rf)
        snprintf(r->reader, sizeof(r->reader), "%s", rf->name);
    if (rc)
        goto done;
    r->warnings += skc_session_warning_count(rs);
    cv_meta(m, "producer.sklearn_version", r->sklearn_version, sizeof(r->sklearn_version));
    cv_meta(m, "source.class", r->source_class, sizeof(r->source_class));
    cv_meta(m, "source.sha256", r->source_sha256, sizeof(r->source_sha256));
    if (j->dry_run)
        goto done;
    /* A summary read from the input describes another conversion. */
    skc_model_set_meta(m, "skconv.verification", NULL);
    cv_lap(r, CV_READ, &t0);
    /* The source model's outputs on the verification rows are computed
     * while the output is written. */
    if ((rc = cv_check_start(j, m, &check, r)))
        goto done;
    rc = cv_write(ctx, j, m, &out, r);
    cv_lap(r, CV_WRITE, &t0);
    if (rc)
        goto done;
    /* The disk writes go on while the output is verified and the source
     * hash is waited for. */
    if (!j->no_sync)
        skc_output_start_flush(out);
    if (j->verify)
        rc = cv_verify(ctx, j, &check, &m, out, r, &back);
    if (rc == SKC_OK || (r->outcome == CV_VERIFY_FAILED && j->keep_failed)) {
        /* Provenance the written file lacks: the deferred source hash, and
         * a passing verification's summary. */
        const char *kv[4];
        int n = 0, arc;
        if (defer_hash && (hash = skc_session_source_sha256(rs))) {
            snprintf(r->source_sha256, sizeof(r->source_sha256), "%s", hash);
            kv[2 * n] = "source.sha256";
            kv[2 * n++ + 1] = r->source_sha256;
        }
        if (rc == SKC_OK && r->verified) {
            kv[2 * n] = "skconv.verification";
            kv[2 * n++ + 1] = r->verification;
        }
        if (n && (arc = cv_add_meta(ctx, j, &m, &out, r, kv, n)))
            rc = arc;
    }
    /* Both models are done with once verified (a second write, where the
     * format needs one, has happened): they are freed during the commit. */
    if (back) {
        cv_free_later(&freer, back, m);
        m = NULL;
    }
    cv_lap(r, CV_VERIFY, &t0);
    if (rc && !(r->outcome == CV_VERIFY_FAILED && j->keep_failed && out))
        goto done;
    if (rc == SKC_OK && out && j->no_sync)
        skc_output_set_sync(out, 0);
    if (rc == SKC_OK && out) {
        snprintf(r->temp_path, sizeof(r->temp_path), "%s", skc_output_temp_path(out));
        if (skc_output_side_count(out) > 0) {
            const char *tmp, *path = skc_output_side_path(out, 0, &tmp), *slash;
            slash = strrchr(path, '/');
            snprintf(r->side_temp_path, sizeof(r->side_temp_path), "%s", tmp);
            snprintf(r->side_name, sizeof(r->side_name), "%s", slash ? slash + 1 : path);
        }
    }
    if (rc == SKC_OK && j->before_commit && j->before_commit(j->user, r) != 0) {
        rc = cv_fail(r, SKC_E_IO, CV_WRITE_FAILED, "%s.json: cannot write the sidecar",
                     j->output);
        goto done;
    }
    {
        int vrc = rc;
        rc = skc_output_commit(out, err, sizeof(err));
        out = NULL;
        cv_lap(r, CV_COMMIT, &t0);
        if (rc) {
            cv_fail(r, rc, rc == SKC_E_EXISTS ? CV_USAGE : CV_WRITE_FAILED, "%s", err);
            goto done;
        }
        rc = vrc;
    }
done:
    cv_check_free(&check);
    skc_output_abort(out);
    skc_session_free(rs);
    skc_model_free(m);
    if (freer.on)
        pthread_join(freer.thread, NULL);
    if (rc == SKC_OK) {
        r->status = SKC_OK;
        r->outcome = CV_CONVERTED;
    }
    return r->status;
}

int cv_exit_code(const cv_result *r)
{
    switch (r->outcome) {
    case CV_CONVERTED:      return CLI_EXIT_OK;
    case CV_MALICIOUS:      return CLI_EXIT_MALICIOUS;
    case CV_NOT_MODEL:
    case CV_CORRUPT:
    case CV_USAGE:          return CLI_EXIT_USAGE;
    default:                return CLI_EXIT_FAILED;
    }
}
