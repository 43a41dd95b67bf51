/* SPDX-License-Identifier: MIT */
/*
 * test_core_probe.c: choosing a reader by content (plugin.h: "the highest
 * score wins; a tie at the top is SKC_E_AMBIGUOUS, no score is
 * SKC_E_UNKNOWN_FORMAT"), a writer by extension, and sessions with option
 * tables, over the test module skconv-tgood (tests/plugins/test_plugin.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <skconv/plugin.h>

static int tp_setup(void **state)
{
    skc_context *ctx = NULL;
    char path[4096];
    const char *dir = getenv("SKCONV_TEST_PLUGINS");

    if (!dir || skc_context_new(SKC_CONTEXT_NO_AUTOLOAD, &ctx) != SKC_OK)
        return -1;
    skc_context_set_log(ctx, NULL, NULL, SKC_LOG_ERROR);
    snprintf(path, sizeof(path), "%s/skconv-tgood.so", dir);
    if (skc_context_load_plugin(ctx, path) != SKC_OK) {
        fprintf(stderr, "%s\n", skc_context_error(ctx));
        skc_context_free(ctx);
        return -1;
    }
    *state = ctx;
    return 0;
}

static int tp_teardown(void **state)
{
    skc_context_free(*state);
    return 0;
}

/* Probe @p text as a memory stream; return the status and the winner. */
static int tp_probe(skc_context *ctx, const char *text, const skc_format **f, int *score)
{
    skc_stream *s = NULL;
    int rc;

    assert_int_equal(skc_stream_open_memory(text, strlen(text), &s), SKC_OK);
    *f = NULL;
    rc = skc_context_probe(ctx, s, f, score);
    skc_stream_free(s);
    return rc;
}

static void test_probe_winner(void **state)
{
    const skc_format *f;
    int score = -1;

    assert_int_equal(tp_probe(*state, "TGOOD steps=1\n", &f, &score), SKC_OK);
    assert_non_null(f);
    assert_string_equal(f->name, "tgood");
    assert_int_equal(score, SKC_PROBE_MAX);
}

static void test_probe_tie_is_ambiguous(void **state)
{
    const skc_format *f;
    int score = -1;

    assert_int_equal(tp_probe(*state, "TTIE and more", &f, &score), SKC_E_AMBIGUOUS);
    assert_null(f);
    assert_non_null(strstr(skc_context_error(*state), "ttie-a"));
    assert_non_null(strstr(skc_context_error(*state), "ttie-b"));
}

static void test_probe_unknown(void **state)
{
    const skc_format *f;
    int score = -1;

    assert_int_equal(tp_probe(*state, "nothing anyone knows", &f, &score),
                     SKC_E_UNKNOWN_FORMAT);
    assert_null(f);
    assert_int_not_equal(tp_probe(*state, "", &f, &score), SKC_OK);
    assert_null(f);
}

/* Probes only see the first SKC_PROBE_SIZE bytes: magic further on is not seen. */
static void test_probe_window(void **state)
{
    size_t n = SKC_PROBE_SIZE + 64;
    char *buf = malloc(n + 1);
    const skc_format *f;
    int score;

    assert_non_null(buf);
    memset(buf, 'z', n);
    memcpy(buf + SKC_PROBE_SIZE + 8, "TGOOD", 5);
    buf[n] = '\0';
    assert_int_equal(tp_probe(*state, buf, &f, &score), SKC_E_UNKNOWN_FORMAT);
    free(buf);
}

static void test_format_for_extension(void **state)
{
    const skc_format *f;

    f = skc_context_format_for_extension(*state, "dir.x/out.tgood", SKC_CAP_WRITE);
    assert_non_null(f);
    assert_string_equal(f->name, "tgood");
    f = skc_context_format_for_extension(*state, "OUT.TGOOD", SKC_CAP_WRITE);
    assert_non_null(f);
    /* ttie-* only read. */
    assert_null(skc_context_format_for_extension(*state, "a.ttie", SKC_CAP_WRITE));
    assert_non_null(skc_context_format_for_extension(*state, "a.ttie", SKC_CAP_READ));
    assert_null(skc_context_format_for_extension(*state, "noextension", SKC_CAP_WRITE));
    assert_null(skc_context_format_for_extension(*state, "dir.tgood/noext", SKC_CAP_WRITE));
}

static void test_session_options(void **state)
{
    const skc_format *f = skc_context_find_format(*state, "tgood");
    skc_session *s = NULL;

    assert_int_equal(skc_session_new(*state, f, "out.tgood", &s), SKC_OK);
    assert_string_equal(skc_session_filename(s), "out.tgood");
    assert_ptr_equal(skc_session_context(s), *state);
    /* Defaults come from the table. */
    assert_string_equal(skc_session_option(s, "mode"), "fast");
    assert_int_equal(skc_session_option_int(s, "level", -1), 1);
    assert_int_equal(skc_session_set_option(s, 1, "level", "5"), SKC_OK);
    assert_int_equal(skc_session_option_int(s, "level", -1), 5);
    assert_int_equal(skc_session_set_option(s, 1, "mode", "slow"), SKC_OK);
    assert_string_equal(skc_session_option(s, "mode"), "slow");
    /* Refusals name what is wrong; values stay as they were. */
    assert_int_equal(skc_session_set_option(s, 1, "level", "99"), SKC_E_INVAL);
    assert_int_equal(skc_session_set_option(s, 1, "level", "five"), SKC_E_INVAL);
    assert_int_equal(skc_session_set_option(s, 1, "mode", "medium"), SKC_E_INVAL);
    assert_non_null(strstr(skc_session_error(s), "fast"));
    assert_int_equal(skc_session_set_option(s, 1, "nope", "1"), SKC_E_INVAL);
    assert_non_null(strstr(skc_session_error(s), "nope"));
    assert_int_equal(skc_session_option_int(s, "level", -1), 5);
    /* tgood has no read options. */
    assert_int_equal(skc_session_set_option(s, 0, "level", "5"), SKC_E_INVAL);
    skc_session_free(s);
    skc_session_free(NULL);
}

/* SHA-256 of "TGOOD", and of "TGOOD" followed by 9 MiB of 'a'. */
#define TP_HASH_SMALL "cc3387f739205d23330acf623bd527d868e4cc2a2a1d33421178c299dcca3be5"
#define TP_HASH_LARGE "f721739e0f2c2bdcda9f2510a7470526b92a8eb893cc6e184159227d310507b6"
/* What tgood writes for the model read from "TGOOD": the core gave it the
 * input's hash (the reader asked with skc_session_hash_input). */
#define TP_WRITTEN "TGOOD steps=1\nsource.sha256=" TP_HASH_SMALL "\n"

/* Read through the chosen reader, write through the writer, read back. */
static void test_session_round_trip(void **state)
{
    const skc_format *f = NULL;
    skc_session *s = NULL;
    skc_stream *in = NULL, *out = NULL;
    skc_model *m = NULL, *m2 = NULL;
    const uint8_t *data;
    size_t size;
    int score;

    assert_int_equal(skc_stream_open_memory("TGOOD", 5, &in), SKC_OK);
    assert_int_equal(skc_context_probe(*state, in, &f, &score), SKC_OK);
    assert_int_equal(skc_session_new(*state, f, NULL, &s), SKC_OK);
    assert_int_equal(skc_session_read(s, in, &m), SKC_OK);
    assert_string_equal(skc_model_get_meta(m, "test.reader"), "tgood");
    skc_session_free(s);
    skc_stream_free(in);

    assert_int_equal(skc_session_new(*state, f, NULL, &s), SKC_OK);
    assert_int_equal(skc_stream_open_buffer(&out), SKC_OK);
    assert_int_equal(skc_session_write(s, m, out), SKC_OK);
    assert_int_equal(skc_stream_map(out, &data, &size), SKC_OK);
    assert_int_equal(size, strlen(TP_WRITTEN));
    assert_memory_equal(data, TP_WRITTEN, size);
    skc_session_free(s);

    /* What the writer wrote is recognised by the reader again. */
    f = NULL;
    assert_int_equal(skc_stream_open_memory(data, size, &in), SKC_OK);
    assert_int_equal(skc_context_probe(*state, in, &f, &score), SKC_OK);
    assert_string_equal(f->name, "tgood");
    assert_int_equal(skc_session_new(*state, f, NULL, &s), SKC_OK);
    assert_int_equal(skc_session_read(s, in, &m2), SKC_OK);
    assert_int_equal(skc_model_step_count(m2), 1);
    skc_session_free(s);
    skc_stream_free(in);
    skc_stream_free(out);
    skc_model_free(m2);
    skc_model_free(m);
}

/* A file of "TGOOD" and @p extra bytes of 'a'; its path in @p path. */
static void tp_file(char *path, size_t len, size_t extra)
{
    FILE *f;
    size_t i;

    snprintf(path, len, "%s/skconv-hash-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_true(mkstemp(path) >= 0);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("TGOOD", f);
    for (i = 0; i < extra; i++)
        fputc('a', f);
    assert_int_equal(fclose(f), 0);
}

static skc_model *tp_read_path(skc_context *ctx, const char *path, int defer, skc_session **s)
{
    skc_stream *in = NULL;
    skc_model *m = NULL;

    assert_int_equal(skc_stream_open_read(path, &in, NULL, 0), SKC_OK);
    assert_int_equal(skc_session_new(ctx, skc_context_find_format(ctx, "tgood"), path, s),
                     SKC_OK);
    if (defer)
        skc_session_defer_source_hash(*s);
    assert_int_equal(skc_session_read(*s, in, &m), SKC_OK);
    skc_stream_free(in);         /* a deferred hash reads the file itself */
    return m;
}

/* The source hash a reader asks for: set on the model at the end of the
 * read (a small file hashed there, a large one on a thread beside it);
 * deferred by the host, absent from the model and given by
 * skc_session_source_sha256 after the input stream is closed; none when
 * the file shrank before it could be read whole. */
static void test_source_hash(void **state)
{
    char small[4096], large[4096];
    skc_session *s = NULL;
    skc_model *m;

    tp_file(small, sizeof(small), 0);
    tp_file(large, sizeof(large), (size_t)9 << 20);
    m = tp_read_path(*state, small, 0, &s);
    assert_string_equal(skc_model_get_meta(m, "source.sha256"), TP_HASH_SMALL);
    assert_string_equal(skc_session_source_sha256(s), TP_HASH_SMALL);
    skc_model_free(m);
    skc_session_free(s);
    m = tp_read_path(*state, large, 0, &s);
    assert_string_equal(skc_model_get_meta(m, "source.sha256"), TP_HASH_LARGE);
    skc_model_free(m);
    skc_session_free(s);
    m = tp_read_path(*state, large, 1, &s);
    assert_null(skc_model_get_meta(m, "source.sha256"));
    assert_string_equal(skc_session_source_sha256(s), TP_HASH_LARGE);
    assert_string_equal(skc_session_source_sha256(s), TP_HASH_LARGE);   /* kept */
    skc_model_free(m);
    skc_session_free(s);
    /* Deferred but dropped unread: the session stops it. */
    m = tp_read_path(*state, large, 1, &s);
    skc_session_free(s);
    skc_model_free(m);
    /* The file cut short after it was opened: no digest (deferred or
     * not), and the read itself is not affected. */
    for (int defer = 0; defer < 2; defer++) {
        skc_stream *in = NULL;
        unlink(large);
        tp_file(large, sizeof(large), (size_t)9 << 20);
        assert_int_equal(skc_stream_open_read(large, &in, NULL, 0), SKC_OK);
        assert_int_equal(truncate(large, 100), 0);
        assert_int_equal(skc_session_new(*state, skc_context_find_format(*state, "tgood"),
                                         large, &s), SKC_OK);
        if (defer)
            skc_session_defer_source_hash(s);
        assert_int_equal(skc_session_read(s, in, &m), SKC_OK);
        skc_stream_free(in);
        assert_null(skc_model_get_meta(m, "source.sha256"));
        assert_null(skc_session_source_sha256(s));
        skc_model_free(m);
        skc_session_free(s);
    }
    assert_int_equal(skc_session_hash_input(NULL, NULL), SKC_E_INVAL);
    assert_null(skc_session_source_sha256(NULL));
    unlink(small);
    unlink(large);
}

/* The core asks query_op before writing: an op the writer lacks fails
 * with SKC_E_UNSUPPORTED, naming it, and nothing is written. */
static void test_session_write_unsupported_op(void **state)
{
    static const int64_t shape[2] = { -1, 2 };
    const skc_format *f = skc_context_find_format(*state, "tgood");
    skc_session *s = NULL;
    skc_stream *out = NULL;
    skc_model *m = NULL;
    skc_step *st;
    const uint8_t *data;
    size_t size = 99;

    assert_int_equal(skc_model_new(&m), SKC_OK);
    skc_model_add_input(m, "X", SKC_DT_F32, 2, shape);
    skc_model_add_step(m, "clip", &st);
    skc_step_add_input(st, "X");
    skc_step_add_output(st, "variable");
    skc_step_set_float(st, "min", 0);
    skc_step_set_float(st, "max", 1);
    skc_model_add_output(m, "variable", SKC_DT_F32, 2, shape);
    assert_int_equal(skc_session_new(*state, f, "x.tgood", &s), SKC_OK);
    assert_int_equal(skc_stream_open_buffer(&out), SKC_OK);
    assert_int_equal(skc_session_write(s, m, out), SKC_E_UNSUPPORTED);
    assert_non_null(strstr(skc_session_error(s), "clip"));
    assert_int_equal(skc_stream_map(out, &data, &size), SKC_OK);
    assert_int_equal(size, 0);
    skc_session_free(s);
    skc_stream_free(out);
    skc_model_free(m);
}

static void test_read_only_format_cannot_write(void **state)
{
    const skc_format *f = skc_context_find_format(*state, "ttie-a");
    skc_session *s = NULL;
    skc_stream *out = NULL;
    skc_model *m = NULL;

    assert_int_equal(skc_model_new(&m), SKC_OK);
    assert_int_equal(skc_session_new(*state, f, NULL, &s), SKC_OK);
    assert_int_equal(skc_stream_open_buffer(&out), SKC_OK);
    assert_int_equal(skc_session_write(s, m, out), SKC_E_UNSUPPORTED);
    skc_session_free(s);
    skc_stream_free(out);
    skc_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_winner),
        cmocka_unit_test(test_probe_tie_is_ambiguous),
        cmocka_unit_test(test_probe_unknown),
        cmocka_unit_test(test_probe_window),
        cmocka_unit_test(test_format_for_extension),
        cmocka_unit_test(test_session_options),
        cmocka_unit_test(test_session_round_trip),
        cmocka_unit_test(test_source_hash),
        cmocka_unit_test(test_session_write_unsupported_op),
        cmocka_unit_test(test_read_only_format_cannot_write),
    };
    return cmocka_run_group_tests(tests, tp_setup, tp_teardown);
}
