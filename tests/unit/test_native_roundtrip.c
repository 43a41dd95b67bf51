/* SPDX-License-Identifier: MIT */
/* test_native_roundtrip.c: IR models written as .skm and read back are equal field by field and evaluate identically. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "skm_models.h"

static int setup(void **state)
{
    /* A fixed clock makes written files byte-for-byte reproducible. */
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    return skmt_setup(state);
}

/* Every model: write, read back from memory (tensors copied), compare. */
static void test_roundtrip_memory(void **state)
{
    skc_model *m, *r;
    const char *name;
    uint8_t *buf;
    size_t size;
    char why[512], err[1024];
    int i;

    (void)state;
    for (i = 0; skmt_model(i, &name, &m) == SKC_OK; i++) {
        assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
        r = NULL;
        if (skmt_read(skmt_ctx, skmt_fmt, buf, size, &r, err, sizeof(err)) != SKC_OK)
            fail_msg("%s: %s", name, err);
        if (skmt_diff(m, r, why, sizeof(why)))
            fail_msg("%s: %s", name, why);
        if (skmt_eval_diff(m, r, why, sizeof(why)))
            fail_msg("%s: %s", name, why);
        print_message("# %s: %zu bytes\n", name, size);
        free(buf);
        skc_model_free(r);
        skc_model_free(m);
    }
    assert_int_equal(i, 4);
}

/* Writing what was read gives the same bytes: nothing drifts. */
static void test_rewrite_is_identical(void **state)
{
    skc_model *m, *r = NULL;
    uint8_t *a, *b;
    size_t na, nb;
    int i;

    (void)state;
    for (i = 0; skmt_model(i, NULL, &m) == SKC_OK; i++) {
        assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &a, &na), SKC_OK);
        assert_int_equal(skmt_read(skmt_ctx, skmt_fmt, a, na, &r, NULL, 0), SKC_OK);
        assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, r, &b, &nb), SKC_OK);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        free(a);
        free(b);
        skc_model_free(r);
        skc_model_free(m);
    }
}

/* SPEC.md §9: the writer states its version and the (fixed) time. */
static void test_meta_written(void **state)
{
    skc_model *m, *r = NULL;
    uint8_t *buf;
    size_t size;

    (void)state;
    assert_int_equal(skmt_model(0, NULL, &m), SKC_OK);
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
    assert_int_equal(skmt_read(skmt_ctx, skmt_fmt, buf, size, &r, NULL, 0), SKC_OK);
    assert_string_equal(skc_model_get_meta(r, "skconv.version"), skc_version_string());
    assert_string_equal(skc_model_get_meta(r, "skconv.converted_at"), "2023-11-14T22:13:20Z");
    assert_string_equal(skc_model_get_meta(r, "producer.sklearn_version"), "1.2.2");
    assert_string_equal(skc_model_get_meta(r, "verify.max_abs_diff"), "");
    free(buf);
    skc_model_free(r);
    skc_model_free(m);
}

/* One tensor referenced twice stays one tensor. */
static void test_shared_tensor(void **state)
{
    skc_model *m, *r = NULL;
    const skc_tensor *off, *bias;
    uint8_t *buf;
    size_t size;

    (void)state;
    assert_int_equal(skmt_model(2, NULL, &m), SKC_OK);
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
    assert_int_equal(skmt_read(skmt_ctx, skmt_fmt, buf, size, &r, NULL, 0), SKC_OK);
    assert_int_equal(skc_step_get_tensor(skc_model_step(r, 1), "offset", &off), SKC_OK);
    assert_int_equal(skc_step_get_tensor(skc_model_step(r, 1), "bias", &bias), SKC_OK);
    assert_ptr_equal(off, bias);
    free(buf);
    skc_model_free(r);
    skc_model_free(m);
}

/* 1 if @p p lies in a mapping of @p path (from /proc/self/maps). */
static int mapped_from(const void *p, const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096], file[4096];
    unsigned long lo, hi;
    int found = 0;

    if (!f)
        return -1;
    while (!found && fgets(line, sizeof(line), f)) {
        file[0] = '\0';
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %4095s", &lo, &hi, file) >= 2 &&
            strstr(file, path) && (unsigned long)(uintptr_t)p >= lo &&
            (unsigned long)(uintptr_t)p < hi)
            found = 1;
    }
    fclose(f);
    return found;
}

static skc_model *read_file(const char *path, const char *mmap_opt)
{
    skc_session *s = NULL;
    skc_stream *in = NULL;
    skc_model *m = NULL;

    assert_int_equal(skc_stream_open_read(path, &in, NULL, 0), SKC_OK);
    assert_int_equal(skc_session_new(skmt_ctx, skmt_fmt, path, &s), SKC_OK);
    if (mmap_opt)
        assert_int_equal(skc_session_set_option(s, 0, "mmap", mmap_opt), SKC_OK);
    if (skc_session_read(s, in, &m) != SKC_OK)
        fail_msg("%s", skc_session_error(s));
    skc_session_free(s);
    skc_stream_free(in);
    return m;
}

/* From a file, numeric tensors are used in place (64-aligned, inside a
 * mapping of the file) and outlive the stream and even the file's name;
 * with mmap=false they are copies. */
static void test_file_zero_copy(void **state)
{
    char path[] = "/tmp/skm-test-XXXXXX";
    skc_model *m, *r;
    const skc_tensor *coef;
    uint8_t *buf;
    size_t size;
    char why[512];
    int fd;

    (void)state;
    assert_int_equal(skmt_model(0, NULL, &m), SKC_OK);
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, size), (ssize_t)size);
    close(fd);

    r = read_file(path, NULL);
    assert_int_equal(skc_step_get_tensor(skc_model_step(r, 1), "coef", &coef), SKC_OK);
    assert_int_equal((uintptr_t)skc_tensor_data(coef) % 64, 0);
    if (mapped_from(skc_tensor_data(coef), path) == 0)
        fail_msg("coef is not inside a mapping of %s", path);
    unlink(path);
    if (skmt_diff(m, r, why, sizeof(why)) || skmt_eval_diff(m, r, why, sizeof(why)))
        fail_msg("%s", why);
    skc_model_free(r);

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, size), (ssize_t)size);
    close(fd);
    r = read_file(path, "false");
    assert_int_equal(skc_step_get_tensor(skc_model_step(r, 1), "coef", &coef), SKC_OK);
    assert_int_equal(mapped_from(skc_tensor_data(coef), path), 0);
    unlink(path);
    if (skmt_eval_diff(m, r, why, sizeof(why)))
        fail_msg("%s", why);
    skc_model_free(r);
    free(buf);
    skc_model_free(m);
}

/* Probing: certain for a sound header, 75 for the magic alone (so the
 * reader explains the damage), nothing for other bytes. */
static void test_probe(void **state)
{
    const skc_format *got;
    skc_stream *in;
    skc_model *m;
    uint8_t *buf;
    size_t size;
    int score;

    (void)state;
    assert_int_equal(skmt_model(1, NULL, &m), SKC_OK);
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
    assert_int_equal(skc_stream_open_memory(buf, size, &in), SKC_OK);
    assert_int_equal(skc_context_probe(skmt_ctx, in, &got, &score), SKC_OK);
    assert_ptr_equal(got, skmt_fmt);
    assert_int_equal(score, 100);
    skc_stream_free(in);
    buf[9] ^= 0x40;   /* major version: header CRC no longer matches */
    assert_int_equal(skc_stream_open_memory(buf, size, &in), SKC_OK);
    assert_int_equal(skc_context_probe(skmt_ctx, in, &got, &score), SKC_OK);
    assert_int_equal(score, 75);
    skc_stream_free(in);
    buf[0] = 'P';
    assert_int_equal(skc_stream_open_memory(buf, size, &in), SKC_OK);
    assert_int_equal(skc_context_probe(skmt_ctx, in, &got, &score), SKC_E_UNKNOWN_FORMAT);
    skc_stream_free(in);
    free(buf);
    skc_model_free(m);
}

static json_object *inspect(const uint8_t *buf, size_t size)
{
    skc_session *s;
    skc_stream *in;
    json_object *r;

    assert_int_equal(skc_stream_open_memory(buf, size, &in), SKC_OK);
    assert_int_equal(skc_session_new(skmt_ctx, skmt_fmt, "test.skm", &s), SKC_OK);
    if (skc_session_inspect(s, in) != SKC_OK)
        fail_msg("%s", skc_session_error(s));
    r = json_tokener_parse(skc_session_report(s));
    assert_non_null(r);
    skc_session_free(s);
    skc_stream_free(in);
    return r;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;

    assert_true(json_object_object_get_ex(o, key, &v));
    return json_object_get_string(v);
}

/* inspect describes the file, and a damaged one too, naming the section. */
static void test_inspect(void **state)
{
    json_object *r, *secs, *steps, *sec;
    skc_model *m;
    uint64_t off, len;
    uint8_t *buf;
    size_t size, i;
    int at;

    (void)state;
    assert_int_equal(skmt_model(0, NULL, &m), SKC_OK);
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
    r = inspect(buf, size);
    assert_string_equal(jstr(r, "format"), "skm");
    assert_string_equal(jstr(r, "version"), "1.0");
    assert_string_equal(jstr(r, "valid"), "true");
    assert_true(json_object_object_get_ex(r, "sections", &secs));
    assert_int_equal(json_object_array_length(secs), 5);
    for (i = 0; i < 5; i++)
        assert_string_equal(jstr(json_object_array_get_idx(secs, i), "crc_status"), "ok");
    assert_true(json_object_object_get_ex(r, "steps", &steps));
    assert_int_equal(json_object_array_length(steps), 4);
    assert_string_equal(jstr(json_object_array_get_idx(steps, 3), "op"), "label");
    json_object_put(r);

    at = skmt_find(buf, size, "DATA", &off, &len);
    assert_true(at >= 0 && len > 0);
    buf[off + len / 2] ^= 1;
    r = inspect(buf, size);
    assert_string_equal(jstr(r, "valid"), "false");
    assert_non_null(strstr(jstr(r, "error"), "DATA"));
    assert_true(json_object_object_get_ex(r, "sections", &secs));
    sec = json_object_array_get_idx(secs, (size_t)at);
    assert_string_equal(jstr(sec, "kind"), "DATA");
    assert_string_equal(jstr(sec, "crc_status"), "mismatch");
    json_object_put(r);
    free(buf);
    skc_model_free(m);
}

/* The writer never writes what a reader would refuse (SPEC.md §10). */
static void test_write_limit(void **state)
{
    static const int64_t xs[2] = { -1, 1 };
    skc_session *s;
    skc_stream *out;
    skc_model *m;
    skc_step *st;
    char a[32], b[32];
    int i;

    (void)state;
    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_model_add_input(m, "t0", SKC_DT_F64, 2, xs), SKC_OK);
    for (i = 0; i < 16385; i++) {
        snprintf(a, sizeof(a), "t%d", i);
        snprintf(b, sizeof(b), "t%d", i + 1);
        assert_int_equal(skc_model_add_step(m, "identity", &st), SKC_OK);
        assert_int_equal(skc_step_add_input(st, a), SKC_OK);
        assert_int_equal(skc_step_add_output(st, b), SKC_OK);
    }
    assert_int_equal(skc_model_add_output(m, b, SKC_DT_F64, 2, xs), SKC_OK);
    assert_int_equal(skc_stream_open_buffer(&out), SKC_OK);
    assert_int_equal(skc_session_new(skmt_ctx, skmt_fmt, "big.skm", &s), SKC_OK);
    assert_int_equal(skc_session_write(s, m, out), SKC_E_LIMIT);
    assert_non_null(strstr(skc_session_error(s), "steps"));
    skc_session_free(s);
    skc_stream_free(out);
    skc_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_memory),
        cmocka_unit_test(test_rewrite_is_identical),
        cmocka_unit_test(test_meta_written),
        cmocka_unit_test(test_shared_tensor),
        cmocka_unit_test(test_file_zero_copy),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_inspect),
        cmocka_unit_test(test_write_limit),
    };

    return cmocka_run_group_tests(tests, setup, skmt_teardown);
}
