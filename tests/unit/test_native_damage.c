/* SPDX-License-Identifier: MIT */
/* test_native_damage.c: every truncation and every flipped byte of written .skm files is refused cleanly, naming where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "skm_models.h"

/* What a message must name for a byte at @p at: "header", "section
 * table", "section KIND", or NULL for padding (any of them will do). */
static const char *region_of(const uint8_t *buf, size_t size, size_t at, char *out, size_t n)
{
    static const char *const kinds[5] = { "STRS", "TDIR", "DATA", "GRPH", "META" };
    uint64_t t = skmt_le64(buf + 24), off, len;
    int k;

    if (at < skmt_le32(buf + 16))
        return "header";
    if (at >= t && at < t + (uint64_t)skmt_le32(buf + 20) * skmt_le32(buf + 40))
        return "section table";
    for (k = 0; k < 5; k++) {
        if (skmt_find(buf, size, kinds[k], &off, &len) >= 0 && at >= off && at < off + len) {
            snprintf(out, n, "section %s", kinds[k]);
            return out;
        }
    }
    return NULL;
}

/* The refusal is SKC_E_FORMAT with a message naming @p where. */
static void expect_refused(const uint8_t *buf, size_t size, const char *where,
                           const char *what, size_t at)
{
    skc_model *m = NULL;
    char err[1024];
    int rc = skmt_read(skmt_ctx, skmt_fmt, buf, size, &m, err, sizeof(err));

    if (rc != SKC_E_FORMAT)
        fail_msg("%s at %zu: rc %d (%s), not SKC_E_FORMAT", what, at, rc, err);
    if (!strstr(err, where ? where : "") || (!strstr(err, "header") && !strstr(err, "section")))
        fail_msg("%s at %zu: '%s' does not name %s", what, at, err, where ? where : "a place");
    assert_null(m);
}

/* Every length short of the whole file. */
static void test_truncate_everywhere(void **state)
{
    skc_model *m;
    uint8_t *buf;
    size_t size, len, cases = 0;
    int i;

    (void)state;
    for (i = 0; skmt_model(i, NULL, &m) == SKC_OK; i++) {
        assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
        for (len = 0; len < size; len++, cases++)
            expect_refused(buf, len, len < 64 ? "header" : NULL, "truncated", len);
        free(buf);
        skc_model_free(m);
    }
    print_message("# %zu truncations refused\n", cases);
}

/* Truncated and then "repaired" (file_size and every CRC made to match),
 * so the section range checks, not the size check, must catch it. */
static void test_truncate_resealed(void **state)
{
    skc_model *m;
    uint8_t *buf, *cut;
    size_t size, len, cases = 0;
    int i;

    (void)state;
    for (i = 0; skmt_model(i, NULL, &m) == SKC_OK; i++) {
        assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
        for (len = 64; len < size; len++, cases++) {
            cut = malloc(len);
            assert_non_null(cut);
            memcpy(cut, buf, len);
            skmt_put64(cut + 32, len);
            skmt_reseal(cut, len);
            expect_refused(cut, len, NULL, "truncated+resealed", len);
            free(cut);
        }
        free(buf);
        skc_model_free(m);
    }
    print_message("# %zu resealed truncations refused\n", cases);
}

/* Every byte of every file, flipped: the message names its region. */
static void test_flip_every_byte(void **state)
{
    static const uint8_t masks[3] = { 0x01, 0x80, 0xff };
    skc_model *m;
    uint8_t *buf;
    size_t size, at, cases = 0;
    char where[32];
    int i, k;

    (void)state;
    for (i = 0; skmt_model(i, NULL, &m) == SKC_OK; i++) {
        assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
        for (at = 0; at < size; at++) {
            const char *want = region_of(buf, size, at, where, sizeof(where));
            for (k = 0; k < 3; k++, cases++) {
                buf[at] ^= masks[k];
                expect_refused(buf, size, want, "flipped", at);
                buf[at] ^= masks[k];
            }
        }
        free(buf);
        skc_model_free(m);
    }
    print_message("# %zu flipped bytes refused\n", cases);
}

/* A model that was read evaluates, or refuses the rows cleanly. */
static void expect_evaluates(const skc_model *m, size_t at)
{
    skc_tensor *in[4] = { 0 }, *out[8] = { 0 };
    char err[512] = "";
    int i, rc;

    assert_true(skc_model_input_count(m) <= 4 && skc_model_output_count(m) <= 8);
    assert_int_equal(skmt_rows(m, in), SKC_OK);
    rc = skc_model_eval(m, (const skc_tensor *const *)in, out, err, sizeof(err));
    if (rc != SKC_OK && rc != SKC_E_FORMAT && rc != SKC_E_INVAL)
        fail_msg("resealed flip at %zu: eval rc %d (%s)", at, rc, err);
    for (i = 0; i < 8; i++)
        skc_tensor_free(out[i]);
    for (i = 0; i < 4; i++)
        skc_tensor_free(in[i]);
}

/* Flipped and resealed, so every CRC matches and the structural checks
 * of each section face the damage. The result may be another valid
 * model (a changed number), which then evaluates or refuses its rows, or
 * a clean refusal; never a crash, a leak or a read out of bounds (run
 * under ASan). */
static void test_flip_resealed(void **state)
{
    static const uint8_t masks[4] = { 0x01, 0x10, 0x80, 0xff };
    skc_model *m, *r;
    uint8_t *buf;
    size_t size, at, ok = 0, refused = 0;
    char err[1024];
    int i, k, rc;

    (void)state;
    for (i = 0; skmt_model(i, NULL, &m) == SKC_OK; i++) {
        assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
        for (at = 0; at < size; at++) {
            for (k = 0; k < 4; k++) {
                buf[at] ^= masks[k];
                skmt_reseal(buf, size);
                r = NULL;
                rc = skmt_read(skmt_ctx, skmt_fmt, buf, size, &r, err, sizeof(err));
                if (rc == SKC_OK) {
                    ok++;
                    assert_non_null(r);
                    expect_evaluates(r, at);
                } else {
                    refused++;
                    if (rc != SKC_E_FORMAT && rc != SKC_E_UNSUPPORTED && rc != SKC_E_LIMIT)
                        fail_msg("resealed flip at %zu: rc %d (%s)", at, rc, err);
                    assert_true(err[0] != '\0');
                    assert_null(r);
                }
                skc_model_free(r);
                buf[at] ^= masks[k];
            }
        }
        skmt_reseal(buf, size);
        free(buf);
        skc_model_free(m);
    }
    print_message("# resealed flips: %zu still valid, %zu refused cleanly\n", ok, refused);
}

/* Read @p path through the mapped-file path (the reader's own mapping),
 * with verify_data @p verify (NULL: the default). */
static int read_file(const char *path, const char *verify, skc_model **out, char *err,
                     size_t errlen)
{
    skc_session *s;
    skc_stream *in;
    int rc;

    assert_int_equal(skc_stream_open_read(path, &in, NULL, 0), SKC_OK);
    assert_int_equal(skc_session_new(skmt_ctx, skmt_fmt, path, &s), SKC_OK);
    if (verify)
        assert_int_equal(skc_session_set_option(s, 0, "verify_data", verify), SKC_OK);
    *out = NULL;
    rc = skc_session_read(s, in, out);
    snprintf(err, errlen, "%s", rc ? skc_session_error(s) : "");
    skc_session_free(s);
    skc_stream_free(in);
    return rc;
}

/* The mapped-file path refuses damage too, naming where. By default
 * (verify_data=auto) it does not check DATA's CRC, as opening a mapped
 * file makes no pass over the tensors (SPEC.md §12): a flip there gives a
 * model that evaluates or refuses its rows cleanly, and verify_data=true
 * refuses it naming DATA. */
static void test_flip_in_files(void **state)
{
    char path[] = "/tmp/skm-damage-XXXXXX", where[32], err[1024];
    skc_model *m, *r;
    uint8_t *buf;
    size_t size, at, cases = 0, in_data = 0;
    const char *want;
    int fd, rc;

    (void)state;
    assert_int_equal(skmt_model(1, NULL, &m), SKC_OK);
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
    for (at = 0; at < size; at += 13, cases++) {
        want = region_of(buf, size, at, where, sizeof(where));
        buf[at] ^= 0x20;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, size), (ssize_t)size);
        close(fd);
        rc = read_file(path, NULL, &r, err, sizeof(err));
        if (rc == SKC_OK && want && strcmp(want, "section DATA") == 0) {
            in_data++;
            expect_evaluates(r, at);
            skc_model_free(r);
            rc = read_file(path, "true", &r, err, sizeof(err));
        }
        if (rc != SKC_E_FORMAT || (want && !strstr(err, want)))
            fail_msg("file flip at %zu: rc %d: %s", at, rc, err);
        assert_null(r);
        unlink(path);
        memcpy(path + strlen(path) - 6, "XXXXXX", 6);
        buf[at] ^= 0x20;
    }
    print_message("# %zu flipped files refused (%zu in DATA only with verify_data=true)\n",
                  cases, in_data);
    assert_true(in_data > 0);
    free(buf);
    skc_model_free(m);
}

/* A forest used in place from its mapped file is not proven node by node
 * at open (SPEC.md §12): every resealed flip of its tensor data gives a
 * clean refusal, or a model that evaluates or refuses its rows cleanly,
 * and that skc_model_validate() (what writers run) proves or refuses,
 * never a read out of bounds (run under ASan). */
static void test_flip_resealed_mapped_forest(void **state)
{
    char path[] = "/tmp/skm-damage-XXXXXX", err[1024];
    skc_model *m, *r;
    uint8_t *buf;
    uint64_t off, len, at;
    size_t size, ok = 0, proven = 0;
    int fd, rc;

    (void)state;
    assert_int_equal(skmt_model(3, NULL, &m), SKC_OK);
    assert_string_equal(skc_step_op(skc_model_step(m, 0)), "tree_ensemble");
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, m, &buf, &size), SKC_OK);
    assert_true(skmt_find(buf, size, "DATA", &off, &len) >= 0);
    for (at = off; at < off + len; at++) {
        buf[at] ^= 0x80;
        skmt_reseal(buf, size);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, size), (ssize_t)size);
        close(fd);
        rc = read_file(path, NULL, &r, err, sizeof(err));
        if (rc == SKC_OK) {
            ok++;
            expect_evaluates(r, (size_t)at);
            rc = skc_model_validate(r, err, sizeof(err));
            if (rc != SKC_OK && rc != SKC_E_FORMAT)
                fail_msg("mapped flip at %llu: validate rc %d (%s)", (unsigned long long)at,
                         rc, err);
            proven += rc == SKC_OK;
            expect_evaluates(r, (size_t)at);
            skc_model_free(r);
        } else if (rc != SKC_E_FORMAT && rc != SKC_E_UNSUPPORTED && rc != SKC_E_LIMIT) {
            fail_msg("mapped flip at %llu: rc %d (%s)", (unsigned long long)at, rc, err);
        }
        unlink(path);
        memcpy(path + strlen(path) - 6, "XXXXXX", 6);
        buf[at] ^= 0x80;
    }
    print_message("# mapped forest: %zu resealed data flips opened, %zu of them proven\n",
                  ok, proven);
    assert_true(ok > proven);
    free(buf);
    skc_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncate_everywhere),
        cmocka_unit_test(test_truncate_resealed),
        cmocka_unit_test(test_flip_every_byte),
        cmocka_unit_test(test_flip_resealed),
        cmocka_unit_test(test_flip_in_files),
        cmocka_unit_test(test_flip_resealed_mapped_forest),
    };

    return cmocka_run_group_tests(tests, skmt_setup, skmt_teardown);
}
