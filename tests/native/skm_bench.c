/* SPDX-License-Identifier: MIT */
/* skm_bench.c: on-demand benchmark (tests/bench/bench_skm.sh): write a large forest as .skm; time opening one up to the first prediction, and the evaluator's rows per second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "skm_models.h"

#define BENCH_FEATURES 32

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident memory split: anonymous (copies) vs file-backed (mapped,
 * shared with the page cache and reclaimable). */
static void bench_rss(long *anon_kib, long *file_kib)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];

    *anon_kib = *file_kib = -1;
    while (f && fgets(line, sizeof(line), f)) {
        sscanf(line, "RssAnon: %ld", anon_kib);
        sscanf(line, "RssFile: %ld", file_kib);
    }
    if (f)
        fclose(f);
}

static int bench_tensor(skc_step *st, const char *key, int dtype, int ndim,
                        const int64_t *shape, skc_tensor **out)
{
    int rc = skc_tensor_new(dtype, ndim, shape, out);

    if (rc == SKC_OK)
        rc = skc_step_set_tensor(st, key, *out);
    if (rc == SKC_OK)
        skc_tensor_free(*out);
    return rc;
}

/* A random forest regressor: @p trees complete trees of @p depth levels
 * (children of node j at 2j+1 and 2j+2; a leaf's left is -1 - its row in
 * value, rows in node order, as core/OPS.md's tree_ensemble requires). */
static int bench_forest(int64_t trees, int depth, skc_model **out)
{
    static const int64_t xs[2] = { -1, BENCH_FEATURES }, ys[2] = { -1, 1 };
    int64_t per = (INT64_C(1) << (depth + 1)) - 1, n = trees * per, t, j, i, leaves = 0;
    int64_t shp[2] = { trees << depth, 1 }, ofs = trees + 1;
    skc_tensor *off, *feat, *thr, *lt, *rt, *ml, *val;
    skc_model *m = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_model_new(&m)) ||
        (rc = skc_model_add_input(m, "X", SKC_DT_F64, 2, xs)) ||
        (rc = skc_model_add_step(m, "tree_ensemble", &st)) ||
        (rc = skc_step_add_input(st, "X")) ||
        (rc = skc_step_add_output(st, "variable")) ||
        (rc = bench_tensor(st, "tree_offsets", SKC_DT_I64, 1, &ofs, &off)) ||
        (rc = bench_tensor(st, "feature", SKC_DT_I32, 1, &n, &feat)) ||
        (rc = bench_tensor(st, "threshold", SKC_DT_F64, 1, &n, &thr)) ||
        (rc = bench_tensor(st, "left", SKC_DT_I32, 1, &n, &lt)) ||
        (rc = bench_tensor(st, "right", SKC_DT_I32, 1, &n, &rt)) ||
        (rc = bench_tensor(st, "missing_left", SKC_DT_U8, 1, &n, &ml)) ||
        (rc = bench_tensor(st, "value", SKC_DT_F64, 2, shp, &val)) ||
        (rc = skc_step_set_int(st, "n_targets", 1)) ||
        (rc = skc_step_set_string(st, "aggregate", "average")) ||
        (rc = skc_step_set_int(st, "x_float32", 1)) ||
        (rc = skc_model_add_output(m, "variable", SKC_DT_F64, 2, ys)))
        goto fail;
    srand(42);
    for (t = 0; t <= trees; t++)
        ((int64_t *)skc_tensor_data_mut(off))[t] = t * per;
    for (t = 0; t < trees; t++) {
        for (j = 0; j < per; j++) {
            int leaf = 2 * j + 1 >= per;
            i = t * per + j;
            ((int32_t *)skc_tensor_data_mut(feat))[i] = leaf ? 0 : (int32_t)(rand() % BENCH_FEATURES);
            ((double *)skc_tensor_data_mut(thr))[i] = (double)rand() / RAND_MAX;
            ((int32_t *)skc_tensor_data_mut(lt))[i] = leaf ? (int32_t)(-1 - leaves) : (int32_t)(2 * j + 1);
            ((int32_t *)skc_tensor_data_mut(rt))[i] = leaf ? -1 : (int32_t)(2 * j + 2);
            if (leaf)
                ((double *)skc_tensor_data_mut(val))[leaves++] = (double)rand() / RAND_MAX;
        }
    }
    *out = m;
    return SKC_OK;
fail:
    skc_model_free(m);
    return rc;
}

static int bench_write(const char *path, int64_t trees, int depth)
{
    skc_context *ctx;
    const skc_format *fmt;
    skc_session *s = NULL;
    skc_stream *out = NULL;
    skc_model *m = NULL;
    double t0;
    int rc;

    if ((rc = skmt_open(&ctx, &fmt)) || (rc = bench_forest(trees, depth, &m)))
        return rc;
    t0 = bench_now();
    if ((rc = skc_stream_open_write(path, &out, NULL, 0)) ||
        (rc = skc_session_new(ctx, fmt, path, &s)) ||
        (rc = skc_session_write(s, m, out)))
        fprintf(stderr, "write: %s\n", s ? skc_session_error(s) : skc_strerror(rc));
    else
        printf("wrote %s in %.3f s\n", path, bench_now() - t0);
    skc_session_free(s);
    skc_stream_free(out);
    skc_model_free(m);
    skc_context_free(ctx);
    return rc;
}

/* Rows for the model's input: @p n rows of @p cols float32 from @p path
 * (raw little-endian, as tests/bench/bench_skm.sh writes them, the same
 * rows the ONNX Runtime side reads), or uniform [0, 1) when NULL. */
static int bench_rows(const char *path, int64_t n, int64_t cols, skc_tensor **out)
{
    int64_t shape[2] = { n, cols }, i;
    float *d;
    FILE *f;
    int rc;

    if ((rc = skc_tensor_new(SKC_DT_F32, 2, shape, out)))
        return rc;
    d = skc_tensor_data_mut(*out);
    if (!path) {
        for (i = 0; i < n * cols; i++)
            d[i] = (float)rand() / (float)RAND_MAX;
        return SKC_OK;
    }
    f = fopen(path, "rb");
    if (!f || fread(d, sizeof(float), (size_t)(n * cols), f) != (size_t)(n * cols)) {
        fprintf(stderr, "%s: cannot read %lld rows of %lld float32\n", path, (long long)n,
                (long long)cols);
        if (f)
            fclose(f);
        skc_tensor_free(*out);
        *out = NULL;
        return SKC_E_IO;
    }
    fclose(f);
    return SKC_OK;
}

/* One evaluation of @p x; outputs dropped. */
static int bench_eval(const skc_model *m, const skc_tensor *x, char *err, size_t errlen)
{
    skc_tensor *y[16] = { 0 };
    int i, rc;

    if (skc_model_output_count(m) > 16)
        return SKC_E_UNSUPPORTED;
    rc = skc_model_eval(m, &x, y, err, errlen);
    for (i = 0; i < 16; i++)
        skc_tensor_free(y[i]);
    return rc;
}

/* Open, read (all checks an open makes), predict one row: time and RSS;
 * then single-thread throughput on @p rows rows in one call. */
static int bench_open(const char *path, const char *verify_data, const char *use_mmap,
                      int64_t rows, const char *rows_path)
{
    skc_context *ctx;
    const skc_format *fmt;
    skc_session *s = NULL;
    skc_stream *in = NULL;
    skc_model *m = NULL;
    skc_tensor *x = NULL;
    const int64_t *shp;
    int64_t cols;
    struct rusage ru;
    long anon, file, read_kib;
    char err[512];
    double t0, t1, t2;
    int rc, ndim = 0;

    if ((rc = skmt_open(&ctx, &fmt)))
        return rc;
    t0 = bench_now();
    if ((rc = skc_stream_open_read(path, &in, NULL, 0)) ||
        (rc = skc_session_new(ctx, fmt, path, &s)) ||
        (rc = skc_session_set_option(s, 0, "verify_data", verify_data)) ||
        (rc = skc_session_set_option(s, 0, "mmap", use_mmap)) ||
        (rc = skc_session_read(s, in, &m))) {
        fprintf(stderr, "read: %s\n", s ? skc_session_error(s) : skc_strerror(rc));
        goto done;
    }
    skc_stream_free(in);
    in = NULL;
    t1 = bench_now();
    bench_rss(&anon, &file);
    read_kib = anon + file;
    shp = skc_model_input_shape(m, 0, &ndim);
    cols = ndim == 2 && shp[1] > 0 ? shp[1] : BENCH_FEATURES;
    if ((rc = bench_rows(NULL, 1, cols, &x)) ||
        (rc = bench_eval(m, x, err, sizeof(err)))) {
        fprintf(stderr, "eval: %s\n", err);
        goto done;
    }
    t2 = bench_now();
    getrusage(RUSAGE_SELF, &ru);
    bench_rss(&anon, &file);
    printf("verify_data=%s mmap=%s: read %.1f ms (RSS %ld MiB), first prediction at %.1f ms, "
           "max RSS %ld MiB (now %ld MiB anonymous, %ld MiB file-backed)\n", verify_data,
           use_mmap, (t1 - t0) * 1e3, read_kib / 1024, (t2 - t0) * 1e3, ru.ru_maxrss / 1024,
           anon / 1024, file / 1024);
    skc_tensor_free(x);
    x = NULL;
    if (rows <= 0)
        goto done;
    if ((rc = bench_rows(rows_path, rows, cols, &x)))
        goto done;
    /* Once to fault the trees in, then timed. */
    if ((rc = bench_eval(m, x, err, sizeof(err))))
        goto done;
    t0 = bench_now();
    if ((rc = bench_eval(m, x, err, sizeof(err)))) {
        fprintf(stderr, "eval: %s\n", err);
        goto done;
    }
    t1 = bench_now();
    printf("evaluator: %.0f rows/s (%d thread%s, %lld rows)\n", (double)rows / (t1 - t0),
           skc_threads(), skc_threads() > 1 ? "s" : "",
           (long long)rows);
done:
    skc_tensor_free(x);
    skc_model_free(m);
    skc_session_free(s);
    skc_stream_free(in);
    skc_context_free(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "write") == 0)
        return bench_write(argv[2], argc > 3 ? atoll(argv[3]) : 320,
                           argc > 4 ? atoi(argv[4]) : 14) ? 1 : 0;
    if (argc >= 3 && strcmp(argv[1], "open") == 0)
        return bench_open(argv[2], argc > 3 ? argv[3] : "auto", argc > 4 ? argv[4] : "true",
                          argc > 5 ? atoll(argv[5]) : 10000, argc > 6 ? argv[6] : NULL) ? 1 : 0;
    fprintf(stderr, "usage: skm_bench write FILE [TREES DEPTH]\n"
                    "       skm_bench open FILE [VERIFY_DATA MMAP [ROWS [ROWS.f32]]]\n");
    return 2;
}
