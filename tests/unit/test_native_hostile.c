/* SPDX-License-Identifier: MIT */
/* test_native_hostile.c: crafted .skm files (valid CRCs, hostile fields) are refused precisely; newer minor files are read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "skm_models.h"

/* A written model and its bytes; the bytes are the test's to damage. */
typedef struct fixture {
    skc_model *m;
    uint8_t *buf;
    size_t size;
} fixture;

static void fx_open(fixture *f, int model)
{
    assert_int_equal(skmt_model(model, NULL, &f->m), SKC_OK);
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, f->m, &f->buf, &f->size), SKC_OK);
}

static void fx_close(fixture *f)
{
    free(f->buf);
    skc_model_free(f->m);
}

static uint64_t sec_off(const fixture *f, const char *kind)
{
    uint64_t off, len;

    assert_true(skmt_find(f->buf, f->size, kind, &off, &len) >= 0);
    return off;
}

static uint8_t *table_entry(const fixture *f, const char *kind)
{
    uint64_t off, len;
    int i = skmt_find(f->buf, f->size, kind, &off, &len);

    assert_true(i >= 0);
    return f->buf + skmt_le64(f->buf + 24) + (uint64_t)i * skmt_le32(f->buf + 40);
}

/* Reseal, read, and expect @p rc with every @p needle in the message. */
static void expect(const uint8_t *buf, size_t size, int want, const char *n1, const char *n2)
{
    skc_model *m = NULL;
    char err[1024];
    uint8_t *copy = malloc(size);
    int rc;

    assert_non_null(copy);
    memcpy(copy, buf, size);
    skmt_reseal(copy, size);
    rc = skmt_read(skmt_ctx, skmt_fmt, copy, size, &m, err, sizeof(err));
    free(copy);
    if (rc != want)
        fail_msg("rc %d, want %d: %s", rc, want, err);
    if ((n1 && !strstr(err, n1)) || (n2 && !strstr(err, n2)))
        fail_msg("'%s' lacks '%s' / '%s'", err, n1 ? n1 : "", n2 ? n2 : "");
    skc_model_free(m);
}

/* Offset of step @p si's attribute @p ai inside GRPH (SPEC.md §8). */
static uint64_t grph_attr(const fixture *f, uint32_t si, uint32_t ai)
{
    const uint8_t *g = f->buf + sec_off(f, "GRPH");
    uint32_t ports = skmt_le32(g) + skmt_le32(g + 4), steps = skmt_le32(g + 8), i;
    uint64_t p = 16, names;

    for (i = 0; i < ports; i++)
        p += 16 + 8 * (uint64_t)skmt_le32(g + p + 8);
    for (i = 0; i < steps; i++) {
        names = (uint64_t)skmt_le32(g + p + 4) + skmt_le32(g + p + 8);
        if (i == si)
            return sec_off(f, "GRPH") + p + 16 + 4 * names + 4 * (names % 2) + 16 * (uint64_t)ai;
        p += 16 + 4 * names + 4 * (names % 2) + 16 * (uint64_t)skmt_le32(g + p + 12);
    }
    fail_msg("no step %u", si);
    return 0;
}

/* The TDIR entry of the first tensor of @p dtype. */
static uint8_t *tdir_of(const fixture *f, uint32_t dtype)
{
    uint8_t *t = f->buf + sec_off(f, "TDIR");
    uint32_t n = skmt_le32(t), es = skmt_le32(t + 4), i;

    for (i = 0; i < n; i++)
        if (skmt_le32(t + 8 + (uint64_t)i * es) == dtype)
            return t + 8 + (uint64_t)i * es;
    fail_msg("no tensor of dtype %u", dtype);
    return NULL;
}

/* ---- a relayout: the same sections in a file shaped as a newer minor
 * version may shape it (SPEC.md §11) ------------------------------------ */

typedef struct layout {
    uint32_t header_size, entry_size, tdir_entry, flags;
    uint16_t major, minor;
    int reverse;
    const char *extra_kind;          /* an added section, or NULL */
    uint32_t extra_flags;
    const char *replace_kind;        /* a section whose bytes are replaced */
    const uint8_t *replace;
    size_t replace_len;
} layout;

typedef struct piece {
    char kind[4];
    uint32_t flags;
    uint8_t *d;
    size_t len;
} piece;

static uint8_t *relayout(const fixture *f, const layout *l, size_t *out_size)
{
    static const char *const kinds[5] = { "STRS", "TDIR", "DATA", "GRPH", "META" };
    piece p[6];
    int n = 0, i, j;
    uint64_t off, len, pos, t;
    uint8_t *buf, *e;

    for (i = 0; i < 5; i++) {
        assert_true(skmt_find(f->buf, f->size, kinds[i], &off, &len) >= 0);
        memcpy(p[n].kind, kinds[i], 4);
        p[n].flags = 1;
        if (l->replace_kind && strcmp(kinds[i], l->replace_kind) == 0) {
            off = 0;
            len = l->replace_len;
        }
        p[n].len = (size_t)len;
        p[n].d = malloc(len + 1);
        memcpy(p[n].d, l->replace_kind && strcmp(kinds[i], l->replace_kind) == 0 ? l->replace
                                                                                : f->buf + off,
               (size_t)len);
        if (i == 1 && l->tdir_entry > 88) {
            uint32_t cnt = skmt_le32(p[n].d);
            uint8_t *nd = malloc(8 + (size_t)cnt * l->tdir_entry);
            memcpy(nd, p[n].d, 8);
            skmt_put32(nd + 4, l->tdir_entry);
            for (j = 0; j < (int)cnt; j++) {
                memcpy(nd + 8 + (size_t)j * l->tdir_entry, p[n].d + 8 + (size_t)j * 88, 88);
                memset(nd + 8 + (size_t)j * l->tdir_entry + 88, 0xEE, l->tdir_entry - 88);
            }
            free(p[n].d);
            p[n].d = nd;
            p[n].len = 8 + (size_t)cnt * l->tdir_entry;
        }
        n++;
    }
    if (l->extra_kind) {
        memcpy(p[n].kind, l->extra_kind, 4);
        p[n].flags = l->extra_flags;
        p[n].len = 100;
        p[n].d = malloc(100);
        memset(p[n].d, 0x5A, 100);
        n++;
    }
    if (l->reverse) {
        for (i = 0; i < n / 2; i++) {
            piece x = p[i];
            p[i] = p[n - 1 - i];
            p[n - 1 - i] = x;
        }
    }
    t = (l->header_size + 63) / 64 * 64;
    pos = (t + (uint64_t)n * l->entry_size + 63) / 64 * 64;
    for (i = 0; i < n; i++)
        pos = (pos + p[i].len + 63) / 64 * 64;
    buf = calloc(1, (size_t)pos);
    memcpy(buf, "\x89SKM\r\n\x1a\n", 8);
    buf[8] = (uint8_t)l->major;
    buf[10] = (uint8_t)l->minor;
    skmt_put32(buf + 12, l->flags);
    skmt_put32(buf + 16, l->header_size);
    skmt_put32(buf + 20, (uint32_t)n);
    skmt_put64(buf + 24, t);
    skmt_put32(buf + 40, l->entry_size);
    skmt_put32(buf + 48, 1);
    memset(buf + 64, 0xAB, l->header_size - 64);
    pos = (t + (uint64_t)n * l->entry_size + 63) / 64 * 64;
    for (i = 0; i < n; i++) {
        e = buf + t + (uint64_t)i * l->entry_size;
        memcpy(e, p[i].kind, 4);
        skmt_put32(e + 4, p[i].flags);
        skmt_put64(e + 8, pos);
        skmt_put64(e + 16, p[i].len);
        memset(e + 32, 0xCD, l->entry_size - 32);
        memcpy(buf + pos, p[i].d, p[i].len);
        pos += p[i].len;
        if (i + 1 < n)
            pos = (pos + 63) / 64 * 64;
        free(p[i].d);
    }
    skmt_put64(buf + 32, pos);
    skmt_reseal(buf, (size_t)pos);
    *out_size = (size_t)pos;
    return buf;
}

static const layout plain = { 64, 32, 88, 0, 1, 0, 0, NULL, 0, NULL, NULL, 0 };

/* A longer header, longer table and TDIR entries, an informational flag,
 * an unknown optional section and another order: all read, same model. */
static void test_newer_minor_is_read(void **state)
{
    fixture f;
    layout l = plain;
    skc_model *r = NULL;
    uint8_t *b;
    size_t n;
    char err[1024], why[256];

    (void)state;
    fx_open(&f, 1);
    l.header_size = 128;
    l.entry_size = 48;
    l.tdir_entry = 104;
    l.minor = 7;
    l.flags = 1u << 16;
    l.reverse = 1;
    l.extra_kind = "XTRA";
    b = relayout(&f, &l, &n);
    if (skmt_read(skmt_ctx, skmt_fmt, b, n, &r, err, sizeof(err)) != SKC_OK)
        fail_msg("%s", err);
    if (skmt_diff(f.m, r, why, sizeof(why)) || skmt_eval_diff(f.m, r, why, sizeof(why)))
        fail_msg("%s", why);
    skc_model_free(r);
    free(b);
    fx_close(&f);
}

static void test_newer_writer_refused(void **state)
{
    fixture f;
    layout l = plain;
    uint8_t *b;
    size_t n;

    (void)state;
    fx_open(&f, 0);
    l.extra_kind = "XTRA";
    l.extra_flags = 1;
    b = relayout(&f, &l, &n);
    expect(b, n, SKC_E_UNSUPPORTED, "section XTRA", "required");
    free(b);
    l.extra_kind = NULL;
    l.major = 2;
    b = relayout(&f, &l, &n);
    expect(b, n, SKC_E_UNSUPPORTED, "header", "version 2.0");
    free(b);
    l.major = 1;
    l.flags = 1;
    b = relayout(&f, &l, &n);
    expect(b, n, SKC_E_UNSUPPORTED, "header", "must-understand");
    free(b);
    fx_close(&f);
}

static void test_bad_regions(void **state)
{
    fixture f;
    uint8_t *e, *big;
    uint64_t keep;

    (void)state;
    fx_open(&f, 0);
    e = table_entry(&f, "GRPH");
    keep = skmt_le64(e + 8);
    skmt_put64(e + 8, sec_off(&f, "STRS"));
    expect(f.buf, f.size, SKC_E_FORMAT, "overlap", NULL);
    skmt_put64(e + 8, keep + 8);
    expect(f.buf, f.size, SKC_E_FORMAT, "section GRPH", "64-aligned");
    skmt_put64(e + 8, keep);
    skmt_put64(e + 16, UINT64_MAX - 10);
    expect(f.buf, f.size, SKC_E_FORMAT, "section GRPH", "inside the file");
    fx_close(&f);

    fx_open(&f, 0);
    memcpy(table_entry(&f, "META"), "GRPH", 4);
    expect(f.buf, f.size, SKC_E_FORMAT, "a second GRPH", NULL);
    fx_close(&f);

    fx_open(&f, 0);
    e = table_entry(&f, "GRPH");
    memcpy(e, "grph", 4);
    skmt_put32(e + 4, 0);
    expect(f.buf, f.size, SKC_E_FORMAT, "no GRPH section", NULL);
    fx_close(&f);

    fx_open(&f, 0);
    f.buf[sec_off(&f, "STRS") - 1] = 1;
    expect(f.buf, f.size, SKC_E_FORMAT, "padding", "section STRS");
    big = calloc(1, f.size + 64);
    memcpy(big, f.buf, f.size);
    big[sec_off(&f, "STRS") - 1] = 0;
    expect(big, f.size + 64, SKC_E_FORMAT, "header", "trailing bytes");
    free(big);
    fx_close(&f);
}

static void test_bad_strings(void **state)
{
    fixture f;
    uint8_t *s;
    uint32_t count;

    (void)state;
    fx_open(&f, 0);
    s = f.buf + sec_off(&f, "STRS");
    count = skmt_le32(s);
    s[16 + 8 * count + 2] = 0;
    expect(f.buf, f.size, SKC_E_FORMAT, "section STRS", "zero byte");
    fx_close(&f);

    fx_open(&f, 0);
    s = f.buf + sec_off(&f, "STRS");
    skmt_put64(s + 16, UINT64_MAX);
    expect(f.buf, f.size, SKC_E_FORMAT, "section STRS", "string 0 spans");
    skmt_put32(s, 0x7FFFFFFF);
    expect(f.buf, f.size, SKC_E_FORMAT, "section STRS", "count");
    fx_close(&f);

    fx_open(&f, 0);
    skmt_put32(f.buf + sec_off(&f, "GRPH") + 16, 0xFFFFFFF0u);
    expect(f.buf, f.size, SKC_E_FORMAT, "section GRPH", "input 0 name: string index");
    fx_close(&f);
}

static void test_bad_tensors(void **state)
{
    fixture f;
    uint8_t *e, *t;

    (void)state;
    fx_open(&f, 1);
    e = tdir_of(&f, SKC_DT_F64);
    skmt_put64(e + 16, skmt_le64(e + 16) + 8);
    expect(f.buf, f.size, SKC_E_FORMAT, "section TDIR", "data_length");
    fx_close(&f);

    fx_open(&f, 1);
    e = tdir_of(&f, SKC_DT_F64);
    skmt_put32(e, 99);
    expect(f.buf, f.size, SKC_E_UNSUPPORTED, "section TDIR", "unknown dtype 99");
    skmt_put32(e, SKC_DT_F64);
    skmt_put32(e + 4, 9);
    expect(f.buf, f.size, SKC_E_FORMAT, "section TDIR", "ndim 9");
    skmt_put32(e + 4, 2);
    skmt_put64(e + 24, (uint64_t)-3);
    expect(f.buf, f.size, SKC_E_FORMAT, "section TDIR", "negative");
    fx_close(&f);

    fx_open(&f, 1);
    t = f.buf + sec_off(&f, "TDIR");
    skmt_put64(t + 8 + 88 + 8, skmt_le64(t + 8 + 8));
    expect(f.buf, f.size, SKC_E_FORMAT, "section TDIR", "overlaps");
    fx_close(&f);

    fx_open(&f, 1);
    e = tdir_of(&f, SKC_DT_BOOL);
    f.buf[sec_off(&f, "DATA") + skmt_le64(e + 8) + 1] = 2;
    expect(f.buf, f.size, SKC_E_FORMAT, "section DATA", "bool");
    fx_close(&f);

    fx_open(&f, 1);
    e = tdir_of(&f, SKC_DT_STRING);
    skmt_put32(f.buf + sec_off(&f, "DATA") + skmt_le64(e + 8) + 4, 0xFFFFFFFEu);
    expect(f.buf, f.size, SKC_E_FORMAT, "section DATA", "element 1: string index");
    fx_close(&f);
}

static void test_bad_graph(void **state)
{
    fixture f;
    uint8_t *g;
    uint64_t a0, a1;

    (void)state;
    fx_open(&f, 0);
    a0 = grph_attr(&f, 0, 0);
    a1 = grph_attr(&f, 0, 1);
    memcpy(f.buf + a1, f.buf + a0, 4);
    expect(f.buf, f.size, SKC_E_FORMAT, "section GRPH", "given twice");
    fx_close(&f);

    fx_open(&f, 0);
    skmt_put32(f.buf + grph_attr(&f, 0, 1) + 4, 9);
    expect(f.buf, f.size, SKC_E_UNSUPPORTED, "section GRPH", "unknown kind 9");
    skmt_put32(f.buf + grph_attr(&f, 0, 1) + 4, SKC_ATTR_TENSOR);
    skmt_put64(f.buf + grph_attr(&f, 0, 1) + 8, 1000);
    expect(f.buf, f.size, SKC_E_FORMAT, "section GRPH", "tensor 1000 out of range");
    fx_close(&f);

    fx_open(&f, 0);
    g = f.buf + sec_off(&f, "GRPH");
    skmt_put32(g + 8, skmt_le32(g + 8) + 1);
    expect(f.buf, f.size, SKC_E_FORMAT, "section GRPH", "step 4 needs");
    skmt_put32(g + 8, 20000);
    expect(f.buf, f.size, SKC_E_LIMIT, "section GRPH", "limits");
    skmt_put32(g + 8, skmt_le32(g + 8) - 20000 + 3);
    expect(f.buf, f.size, SKC_E_FORMAT, "section GRPH", "bytes after the last step");
    fx_close(&f);

    fx_open(&f, 0);
    g = f.buf + sec_off(&f, "META");
    memcpy(g + 16, g + 8, 4);
    expect(f.buf, f.size, SKC_E_FORMAT, "section META", "given twice");
    fx_close(&f);
}

/* A million-fold expansion: many elements naming one long string. */
static void test_string_bomb(void **state)
{
    static const int64_t xs[2] = { -1, 1 }, n[1] = { 100000 };
    fixture f;
    layout l = plain;
    skc_tensor *t;
    skc_step *st;
    uint8_t *strs, *b;
    size_t len, blen;
    int64_t i;

    (void)state;
    assert_int_equal(skc_model_new(&f.m), SKC_OK);
    assert_int_equal(skc_model_add_input(f.m, "X", SKC_DT_F64, 2, xs), SKC_OK);
    assert_int_equal(skc_model_add_step(f.m, "identity", &st), SKC_OK);
    assert_int_equal(skc_step_add_input(st, "X"), SKC_OK);
    assert_int_equal(skc_step_add_output(st, "Y"), SKC_OK);
    assert_int_equal(skc_tensor_new(SKC_DT_STRING, 1, n, &t), SKC_OK);
    for (i = 0; i < n[0]; i++)
        assert_int_equal(skc_tensor_set_string(t, i, "zzzzzzzz", 8), SKC_OK);
    assert_int_equal(skc_step_set_tensor(st, "x_labels", t), SKC_OK);
    skc_tensor_free(t);
    assert_int_equal(skc_model_add_output(f.m, "Y", SKC_DT_F64, 2, xs), SKC_OK);
    assert_int_equal(skmt_write(skmt_ctx, skmt_fmt, f.m, &f.buf, &f.size), SKC_OK);

    /* The same STRS with "zzzzzzzz" grown to 1 MiB. */
    {
        const uint8_t *s = f.buf + sec_off(&f, "STRS");
        uint32_t cnt = skmt_le32(s), k, hit = 0xFFFFFFFF;
        const uint8_t *bytes = s + 16 + 8 * (uint64_t)cnt;
        uint64_t grow = 1 << 20, end = 0, a, z;

        for (k = 0; k < cnt; k++) {
            a = skmt_le64(s + 8 + 8 * (uint64_t)k);
            z = skmt_le64(s + 16 + 8 * (uint64_t)k);
            if (z - a == 8 && memcmp(bytes + a, "zzzzzzzz", 8) == 0)
                hit = k;
        }
        assert_true(hit != 0xFFFFFFFF);
        blen = skmt_le64(s + 8 + 8 * (uint64_t)cnt) + grow - 8;
        len = 16 + 8 * (size_t)cnt + blen;
        strs = calloc(1, len);
        skmt_put32(strs, cnt);
        for (k = 0; k < cnt; k++) {
            a = skmt_le64(s + 8 + 8 * (uint64_t)k);
            z = skmt_le64(s + 16 + 8 * (uint64_t)k);
            skmt_put64(strs + 8 + 8 * (uint64_t)k, end);
            if (k == hit) {
                memset(strs + 16 + 8 * (size_t)cnt + end, 'z', grow);
                end += grow;
            } else {
                memcpy(strs + 16 + 8 * (size_t)cnt + end, bytes + a, z - a);
                end += z - a;
            }
        }
        skmt_put64(strs + 8 + 8 * (uint64_t)cnt, end);
    }
    l.replace_kind = "STRS";
    l.replace = strs;
    l.replace_len = len;
    b = relayout(&f, &l, &len);
    expect(b, len, SKC_E_LIMIT, "section DATA", "expand");
    free(b);
    free(strs);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newer_minor_is_read),
        cmocka_unit_test(test_newer_writer_refused),
        cmocka_unit_test(test_bad_regions),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_bad_tensors),
        cmocka_unit_test(test_bad_graph),
        cmocka_unit_test(test_string_bomb),
    };

    return cmocka_run_group_tests(tests, skmt_setup, skmt_teardown);
}
