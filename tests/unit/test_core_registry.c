/* SPDX-License-Identifier: MIT */
/*
 * test_core_registry.c: loading plugin modules, refusing broken ones whole
 * (plugin.h: "refused whole: SKC_E_ABI ... nothing of it is registered"),
 * directory loading and SKCONV_PLUGIN_PATH discovery. The modules come from
 * tests/plugins/ (SKCONV_TEST_PLUGINS is their build directory).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <skconv/plugin.h>

static char tr_path_buf[4096];

/* Path of the test module skconv-<name>.so. */
static const char *tr_module(const char *name)
{
    const char *dir = getenv("SKCONV_TEST_PLUGINS");

    assert_non_null(dir);
    snprintf(tr_path_buf, sizeof(tr_path_buf), "%s/skconv-%s.so", dir, name);
    return tr_path_buf;
}

static skc_context *tr_context(void)
{
    skc_context *ctx = NULL;

    assert_int_equal(skc_context_new(SKC_CONTEXT_NO_AUTOLOAD, &ctx), SKC_OK);
    assert_non_null(ctx);
    skc_context_set_log(ctx, NULL, NULL, -1);  /* quiet: refusals are expected */
    return ctx;
}

static void test_new_context_is_empty(void **state)
{
    skc_context *ctx = tr_context();

    (void)state;
    assert_int_equal(skc_context_plugin_count(ctx), 0);
    assert_int_equal(skc_context_format_count(ctx), 0);
    assert_null(skc_context_find_format(ctx, "tgood"));
    assert_string_equal(skc_context_error(ctx), "");
    skc_context_free(ctx);
    skc_context_free(NULL);
}

static void test_load_good(void **state)
{
    skc_context *ctx = tr_context();
    const skc_plugin *pl;
    const skc_format *f;
    const char *path = NULL;
    char want[4096];

    (void)state;
    snprintf(want, sizeof(want), "%s", tr_module("tgood"));
    assert_int_equal(skc_context_load_plugin(ctx, want), SKC_OK);
    assert_int_equal(skc_context_plugin_count(ctx), 1);
    assert_int_equal(skc_context_format_count(ctx), 3);
    pl = skc_context_plugin(ctx, 0, &path);
    assert_non_null(pl);
    assert_string_equal(pl->name, "tgood");
    assert_int_equal(pl->abi_version, SKC_ABI_VERSION);
    assert_string_equal(pl->license, "MIT");
    assert_non_null(path);
    assert_non_null(strstr(path, "skconv-tgood.so"));
    f = skc_context_find_format(ctx, "tgood");
    assert_non_null(f);
    assert_true(f->caps & SKC_CAP_READ);
    assert_true(f->caps & SKC_CAP_WRITE);
    assert_non_null(skc_context_find_format(ctx, "ttie-a"));
    assert_non_null(skc_context_find_format(ctx, "ttie-b"));
    assert_null(skc_context_plugin(ctx, 1, NULL));
    assert_null(skc_context_format(ctx, 3));
    assert_null(skc_context_format(ctx, -1));

    /* Loading the same file again registers nothing twice. */
    assert_int_equal(skc_context_load_plugin(ctx, want), SKC_OK);
    assert_int_equal(skc_context_plugin_count(ctx), 1);
    assert_int_equal(skc_context_format_count(ctx), 3);
    skc_context_free(ctx);
}

/* Load @p name into a context that already holds tgood; it must be refused
 * with SKC_E_ABI, named in the error, and leave the registry unchanged. */
static void tr_expect_refused(const char *name, const char *why)
{
    skc_context *ctx = tr_context();
    char path[4096];
    const char *err;
    int rc;

    snprintf(path, sizeof(path), "%s", tr_module("tgood"));
    assert_int_equal(skc_context_load_plugin(ctx, path), SKC_OK);
    snprintf(path, sizeof(path), "%s", tr_module(name));
    rc = skc_context_load_plugin(ctx, path);
    err = skc_context_error(ctx);
    print_message("# %s: %s\n", name, err);
    assert_int_equal(rc, SKC_E_ABI);
    assert_non_null(strstr(err, path));
    if (why)
        assert_non_null(strstr(err, why));
    assert_int_equal(skc_context_plugin_count(ctx), 1);
    assert_int_equal(skc_context_format_count(ctx), 3);
    assert_null(skc_context_find_format(ctx, name));
    skc_context_free(ctx);
}

static void test_refuse_wrong_abi(void **state)
{
    (void)state;
    tr_expect_refused("tbadabi", "ABI");
}

static void test_refuse_short_struct(void **state)
{
    (void)state;
    tr_expect_refused("tshort", NULL);
}

static void test_refuse_short_format_struct(void **state)
{
    (void)state;
    tr_expect_refused("tshortfmt", NULL);
}

static void test_refuse_missing_symbol(void **state)
{
    (void)state;
    tr_expect_refused("tnosym", SKC_PLUGIN_ENTRY_SYMBOL);
}

static void test_refuse_null_entry(void **state)
{
    (void)state;
    tr_expect_refused("tnull", NULL);
}

static void test_missing_file(void **state)
{
    skc_context *ctx = tr_context();
    const char *path = tr_module("does-not-exist");

    (void)state;
    assert_int_not_equal(skc_context_load_plugin(ctx, path), SKC_OK);
    assert_non_null(strstr(skc_context_error(ctx), path));
    assert_int_equal(skc_context_plugin_count(ctx), 0);
    assert_int_equal(skc_context_format_count(ctx), 0);
    skc_context_free(ctx);
}

static void test_refuse_duplicate_name(void **state)
{
    skc_context *ctx = tr_context();
    char a[4096], b[4096];
    const char *path = NULL;

    (void)state;
    snprintf(a, sizeof(a), "%s", tr_module("tdupa"));
    snprintf(b, sizeof(b), "%s", tr_module("tdupb"));
    assert_int_equal(skc_context_load_plugin(ctx, a), SKC_OK);
    assert_int_equal(skc_context_format_count(ctx), 1);
    assert_int_equal(skc_context_load_plugin(ctx, b), SKC_E_ABI);
    assert_non_null(strstr(skc_context_error(ctx), b));
    assert_non_null(strstr(skc_context_error(ctx), "dup"));
    assert_int_equal(skc_context_plugin_count(ctx), 1);
    assert_int_equal(skc_context_format_count(ctx), 1);
    /* The first one keeps the name. */
    assert_non_null(skc_context_find_format(ctx, "dup"));
    skc_context_plugin(ctx, 0, &path);
    assert_non_null(strstr(path, "skconv-tdupa.so"));
    skc_context_free(ctx);
}

/* A module whose first format is fine and whose second clashes must not
 * leave the first one behind. */
static void test_no_half_registration(void **state)
{
    skc_context *ctx = tr_context();
    char a[4096], h[4096];

    (void)state;
    snprintf(a, sizeof(a), "%s", tr_module("tdupa"));
    snprintf(h, sizeof(h), "%s", tr_module("thalf"));
    assert_int_equal(skc_context_load_plugin(ctx, a), SKC_OK);
    assert_int_equal(skc_context_load_plugin(ctx, h), SKC_E_ABI);
    assert_non_null(strstr(skc_context_error(ctx), h));
    assert_int_equal(skc_context_plugin_count(ctx), 1);
    assert_int_equal(skc_context_format_count(ctx), 1);
    assert_null(skc_context_find_format(ctx, "half-ok"));
    skc_context_free(ctx);

    /* Alone, the same module is valid, and then tdupa is the one refused. */
    ctx = tr_context();
    assert_int_equal(skc_context_load_plugin(ctx, h), SKC_OK);
    assert_int_equal(skc_context_format_count(ctx), 2);
    assert_int_equal(skc_context_load_plugin(ctx, a), SKC_E_ABI);
    assert_int_equal(skc_context_format_count(ctx), 2);
    assert_int_equal(skc_context_plugin_count(ctx), 1);
    skc_context_free(ctx);
}

typedef struct tr_log {
    int warnings;
    int mentions_tbadabi;
} tr_log;

static void tr_log_fn(void *user, int level, const char *origin, const char *msg)
{
    tr_log *l = user;

    (void)origin;
    if (level <= SKC_LOG_WARN)
        l->warnings++;
    if (strstr(msg, "skconv-tbadabi.so"))
        l->mentions_tbadabi++;
}

/* The directory holds 9 modules; in name order tdupa and tgood load, every
 * other one is refused (tdupb and thalf clash with tdupa) and logged. */
static void test_load_dir(void **state)
{
    skc_context *ctx = tr_context();
    tr_log log = { 0, 0 };

    (void)state;
    skc_context_set_log(ctx, tr_log_fn, &log, SKC_LOG_DEBUG);
    assert_int_equal(skc_context_load_dir(ctx, getenv("SKCONV_TEST_PLUGINS")), 2);
    assert_int_equal(skc_context_plugin_count(ctx), 2);
    assert_int_equal(skc_context_format_count(ctx), 4);
    assert_non_null(skc_context_find_format(ctx, "tgood"));
    assert_non_null(skc_context_find_format(ctx, "dup"));
    assert_null(skc_context_find_format(ctx, "half-ok"));
    assert_true(log.warnings >= 7);
    assert_true(log.mentions_tbadabi >= 1);
    /* A missing directory loads nothing and is not an error. */
    assert_int_equal(skc_context_load_dir(ctx, "/nonexistent/skconv-plugins"), 0);
    assert_int_equal(skc_context_format_count(ctx), 4);
    skc_context_free(ctx);
}

static void test_env_path(void **state)
{
    skc_context *ctx = NULL;

    (void)state;
    assert_int_equal(setenv("SKCONV_PLUGIN_PATH", getenv("SKCONV_TEST_PLUGINS"), 1), 0);
    assert_int_equal(skc_context_new(0, &ctx), SKC_OK);
    assert_non_null(skc_context_find_format(ctx, "tgood"));
    assert_null(skc_context_find_format(ctx, "half-ok"));
    skc_context_free(ctx);

    assert_int_equal(setenv("SKCONV_PLUGIN_PATH", "disable", 1), 0);
    ctx = NULL;
    assert_int_equal(skc_context_new(0, &ctx), SKC_OK);
    assert_null(skc_context_find_format(ctx, "tgood"));
    skc_context_free(ctx);

    /* NO_AUTOLOAD ignores the variable. */
    assert_int_equal(setenv("SKCONV_PLUGIN_PATH", getenv("SKCONV_TEST_PLUGINS"), 1), 0);
    ctx = tr_context();
    assert_int_equal(skc_context_format_count(ctx), 0);
    skc_context_free(ctx);
}

static void test_bad_arguments(void **state)
{
    skc_context *ctx = tr_context();

    (void)state;
    assert_int_equal(skc_context_load_plugin(ctx, NULL), SKC_E_INVAL);
    assert_int_equal(skc_context_load_plugin(NULL, tr_module("tgood")), SKC_E_INVAL);
    assert_int_equal(skc_context_new(0, NULL), SKC_E_INVAL);
    assert_null(skc_context_find_format(ctx, NULL));
    assert_non_null(skc_plugin_dir());
    skc_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_context_is_empty),
        cmocka_unit_test(test_load_good),
        cmocka_unit_test(test_refuse_wrong_abi),
        cmocka_unit_test(test_refuse_short_struct),
        cmocka_unit_test(test_refuse_short_format_struct),
        cmocka_unit_test(test_refuse_missing_symbol),
        cmocka_unit_test(test_refuse_null_entry),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_refuse_duplicate_name),
        cmocka_unit_test(test_no_half_registration),
        cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_env_path),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
