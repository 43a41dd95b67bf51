/* SPDX-License-Identifier: MIT */
/*
 * test_core_context.c: a context's limits follow the struct_size rule
 * (skconv.h: "members beyond in->struct_size keep their values"), and its
 * error text lives on the handle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <skconv/plugin.h>

static skc_context *tc_context(void)
{
    skc_context *ctx = NULL;

    assert_int_equal(skc_context_new(SKC_CONTEXT_NO_AUTOLOAD, &ctx), SKC_OK);
    return ctx;
}

static void test_default_limits(void **state)
{
    skc_context *ctx = tc_context();
    skc_limits def, got;

    (void)state;
    skc_limits_default(&def);
    assert_int_equal(def.struct_size, sizeof(skc_limits));
    assert_true(def.max_depth > 0);
    assert_true(def.max_bytes > 0);
    assert_true(def.max_elements > 0);
    memset(&got, 0xff, sizeof(got));
    got.struct_size = sizeof(got);
    assert_int_equal(skc_context_get_limits(ctx, &got), SKC_OK);
    assert_memory_equal(&got, &def, sizeof(got));
    skc_context_free(ctx);
}

static void test_set_limits(void **state)
{
    skc_context *ctx = tc_context();
    skc_limits l, got;

    (void)state;
    skc_limits_default(&l);
    l.max_depth = 7;
    l.max_elements = 1000;
    assert_int_equal(skc_context_set_limits(ctx, &l), SKC_OK);
    got.struct_size = sizeof(got);
    assert_int_equal(skc_context_get_limits(ctx, &got), SKC_OK);
    assert_int_equal(got.max_depth, 7);
    assert_int_equal(got.max_elements, 1000);
    skc_context_free(ctx);
}

/* An older caller knows fewer members: the rest is neither read nor written. */
static void test_short_struct(void **state)
{
    skc_context *ctx = tc_context();
    skc_limits def, l, got;

    (void)state;
    skc_limits_default(&def);
    memset(&l, 0, sizeof(l));
    l.struct_size = (uint32_t)offsetof(skc_limits, max_objects);
    l.max_depth = 3;
    l.max_memo = 4;
    l.max_objects = 5;      /* beyond struct_size: must be ignored */
    assert_int_equal(skc_context_set_limits(ctx, &l), SKC_OK);

    got.struct_size = sizeof(got);
    assert_int_equal(skc_context_get_limits(ctx, &got), SKC_OK);
    assert_int_equal(got.max_depth, 3);
    assert_int_equal(got.max_memo, 4);
    assert_true(got.max_objects == def.max_objects);

    memset(&got, 0xab, sizeof(got));
    got.struct_size = (uint32_t)offsetof(skc_limits, max_memo);
    assert_int_equal(skc_context_get_limits(ctx, &got), SKC_OK);
    assert_int_equal(got.max_depth, 3);
    assert_true(got.max_memo == UINT64_C(0xabababababababab));

    got.struct_size = 0;
    assert_int_equal(skc_context_get_limits(ctx, &got), SKC_E_INVAL);
    assert_int_equal(skc_context_set_limits(ctx, NULL), SKC_E_INVAL);
    skc_context_free(ctx);
}

static void test_error_on_handle(void **state)
{
    skc_context *a = tc_context(), *b = tc_context();

    (void)state;
    assert_string_equal(skc_context_error(a), "");
    skc_context_set_log(a, NULL, NULL, -1);
    assert_int_not_equal(skc_context_load_plugin(a, "/nonexistent/skconv-x.so"), SKC_OK);
    assert_non_null(strstr(skc_context_error(a), "/nonexistent/skconv-x.so"));
    /* Never a global: the other context is untouched. */
    assert_string_equal(skc_context_error(b), "");
    assert_non_null(skc_context_error(NULL));
    skc_context_free(a);
    skc_context_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_limits),
        cmocka_unit_test(test_set_limits),
        cmocka_unit_test(test_short_struct),
        cmocka_unit_test(test_error_on_handle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
