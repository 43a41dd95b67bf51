/* SPDX-License-Identifier: MIT */
/*
 * test_core_status.c: status codes are ABI (skconv.h: "never renumbered,
 * only appended"), every one has its own text, unknown codes still get one,
 * and the version queries agree with the headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>
#include <skconv/skconv.h>

static const int ts_codes[] = {
    SKC_OK, SKC_E_NOMEM, SKC_E_INVAL, SKC_E_IO, SKC_E_FORMAT,
    SKC_E_UNKNOWN_FORMAT, SKC_E_AMBIGUOUS, SKC_E_UNSUPPORTED, SKC_E_UNSAFE,
    SKC_E_LIMIT, SKC_E_ABI, SKC_E_EXISTS, SKC_E_NOT_FOUND, SKC_E_MALICIOUS,
    SKC_E_MISMATCH, SKC_E_INTERNAL,
};
#define TS_N_CODES (sizeof(ts_codes) / sizeof(ts_codes[0]))

/* The numbers themselves are pinned: plugins built long ago return them. */
static void test_values_are_pinned(void **state)
{
    (void)state;
    assert_int_equal(SKC_OK, 0);
    assert_int_equal(SKC_E_NOMEM, -1);
    assert_int_equal(SKC_E_INVAL, -2);
    assert_int_equal(SKC_E_IO, -3);
    assert_int_equal(SKC_E_FORMAT, -4);
    assert_int_equal(SKC_E_UNKNOWN_FORMAT, -5);
    assert_int_equal(SKC_E_AMBIGUOUS, -6);
    assert_int_equal(SKC_E_UNSUPPORTED, -7);
    assert_int_equal(SKC_E_UNSAFE, -8);
    assert_int_equal(SKC_E_LIMIT, -9);
    assert_int_equal(SKC_E_ABI, -10);
    assert_int_equal(SKC_E_EXISTS, -11);
    assert_int_equal(SKC_E_NOT_FOUND, -12);
    assert_int_equal(SKC_E_MALICIOUS, -13);
    assert_int_equal(SKC_E_MISMATCH, -14);
    assert_int_equal(SKC_E_INTERNAL, -99);
}

static void test_every_code_has_its_own_text(void **state)
{
    const char *unknown = skc_strerror(-12345);
    size_t i, j;

    (void)state;
    for (i = 0; i < TS_N_CODES; i++) {
        const char *t = skc_strerror(ts_codes[i]);
        assert_non_null(t);
        assert_true(strlen(t) > 0);
        assert_string_not_equal(t, unknown);
        /* One line, no trailing punctuation to fight with "file: what: why". */
        assert_null(strchr(t, '\n'));
        for (j = 0; j < i; j++)
            assert_string_not_equal(t, skc_strerror(ts_codes[j]));
    }
}

static void test_unknown_codes(void **state)
{
    static const int unknown[] = { 1, 42, -15, -50, -98, -100, INT_MIN, INT_MAX };
    const char *first = skc_strerror(unknown[0]);
    size_t i;

    (void)state;
    assert_non_null(first);
    assert_true(strlen(first) > 0);
    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_non_null(skc_strerror(unknown[i]));
        assert_string_equal(skc_strerror(unknown[i]), first);
    }
}

static void test_versions(void **state)
{
    (void)state;
    assert_string_equal(skc_version_string(), SKC_VERSION_STRING);
    assert_int_equal(skc_abi_version(), SKC_ABI_VERSION);
    assert_true(SKC_VERSION_NUMBER ==
                SKC_VERSION_MAJOR * 10000 + SKC_VERSION_MINOR * 100 + SKC_VERSION_PATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_are_pinned),
        cmocka_unit_test(test_every_code_has_its_own_text),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
