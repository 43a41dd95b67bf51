/* SPDX-License-Identifier: MIT */
/* op_encode.c: reference semantics of the categorical IR operations (core/OPS.md): category_map (numbers or strings to a value per category) and onehot. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

static int enc_need_i64(const skc_step *s, const char *key, const skc_tensor **t,
                        char *err, size_t errlen)
{
    if (skc_step_get_tensor(s, key, t) != SKC_OK || skc_tensor_dtype(*t) != SKC_DT_I64 ||
        skc_tensor_ndim(*t) != 1) {
        skci_errf(err, errlen, "step '%s' needs a 1-D int64 tensor attribute '%s'",
                  skc_step_op(s), key);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

/* ---- category_map --------------------------------------------------------- */

static int enc_map_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *cat, *off, *val, *unk;
    const int64_t *o;
    int64_t f, i, nc;
    int rc, dt;

    if (skc_step_get_tensor(s, "categories", &cat) != SKC_OK ||
        skc_tensor_ndim(cat) != 1 ||
        ((dt = skc_tensor_dtype(cat)) != SKC_DT_F64 && dt != SKC_DT_STRING)) {
        skci_errf(err, errlen, "step 'category_map' needs a 1-D float64 or string "
                  "tensor attribute 'categories'");
        return SKC_E_FORMAT;
    }
    if ((rc = enc_need_i64(s, "offsets", &off, err, errlen)) ||
        (rc = skci_need_f64(s, "values", 1, &val, err, errlen)) ||
        (rc = skci_need_f64(s, "unknown", 1, &unk, err, errlen)))
        return rc;
    nc = skc_tensor_numel(cat);
    f = skc_tensor_numel(off) - 1;
    o = skc_tensor_data(off);
    if (f < 0 || skc_tensor_numel(unk) != f || skc_tensor_numel(val) != nc ||
        o[0] != 0 || o[f] != nc) {
        skci_errf(err, errlen, "step 'category_map': offsets, values and unknown do not "
                  "fit %lld categories", (long long)nc);
        return SKC_E_FORMAT;
    }
    for (i = 0; i < f; i++) {
        if (o[i + 1] < o[i]) {
            skci_errf(err, errlen, "step 'category_map': offsets decrease at %lld",
                      (long long)i);
            return SKC_E_FORMAT;
        }
    }
    return SKC_OK;
}

/* Index of @p x among categories [lo, hi): numbers compare with ==, and a
 * NaN category matches NaN (sklearn >= 1.0 keeps NaN as a category). */
static int64_t enc_find_num(const double *cat, int64_t lo, int64_t hi, double x)
{
    int64_t k;

    for (k = lo; k < hi; k++)
        if (cat[k] == x || (isnan(x) && isnan(cat[k])))
            return k;
    return -1;
}

static int64_t enc_find_str(const skc_tensor *cat, int64_t lo, int64_t hi,
                            const char *x, size_t xlen)
{
    int64_t k;

    for (k = lo; k < hi; k++) {
        size_t len;
        const char *c = skc_tensor_string(cat, k, &len);
        if (c && len == xlen && memcmp(c, x, len) == 0)
            return k;
    }
    return -1;
}

static int enc_map_eval(const skc_step *s, const skc_tensor *const *in,
                        skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *cat, *off, *val, *unk;
    skc_tensor *parsed = NULL;
    const int64_t *o;
    const double *v, *u;
    double *y;
    int64_t n, f, r, c, k, do_trunc = 0;
    int rc, str_cat, str_in;

    skc_step_get_tensor(s, "categories", &cat);
    skc_step_get_tensor(s, "offsets", &off);
    skc_step_get_tensor(s, "values", &val);
    skc_step_get_tensor(s, "unknown", &unk);
    skc_step_get_int(s, "truncate", &do_trunc);
    str_cat = skc_tensor_dtype(cat) == SKC_DT_STRING;
    str_in = skc_tensor_dtype(in[0]) == SKC_DT_STRING;
    /* Numeric categories read a string X's numeric columns as numbers
     * (core/OPS.md "String inputs"). */
    if (str_in && !str_cat) {
        if ((rc = skci_strings_to_f64(in[0], "step 'category_map'", &parsed, err, errlen)))
            return rc;
        rc = enc_map_eval(s, (const skc_tensor *const *)&parsed, out, err, errlen);
        skc_tensor_free(parsed);
        return rc;
    }
    if (str_cat != str_in || (!str_in && skc_tensor_dtype(in[0]) != SKC_DT_F64)) {
        skci_errf(err, errlen, "step 'category_map': %s input for %s categories",
                  skc_dtype_name(skc_tensor_dtype(in[0])), str_cat ? "string" : "numeric");
        return SKC_E_INVAL;
    }
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if (f != skc_tensor_numel(unk)) {
        skci_errf(err, errlen, "step 'category_map': input has %lld columns, the step "
                  "expects %lld", (long long)f, (long long)skc_tensor_numel(unk));
        return SKC_E_INVAL;
    }
    if ((rc = skci_new_matrix(n, f, out)))
        return rc;
    o = skc_tensor_data(off);
    v = skc_tensor_data(val);
    u = skc_tensor_data(unk);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        for (c = 0; c < f; c++) {
            if (str_in) {
                size_t len = 0;
                const char *x = skc_tensor_string(in[0], r * f + c, &len);
                k = x ? enc_find_str(cat, o[c], o[c + 1], x, len) : -1;
            } else {
                double x = ((const double *)skc_tensor_data(in[0]))[r * f + c];
                /* The legacy (< 0.20) OneHotEncoder cast its input to int. */
                if (do_trunc && isfinite(x))
                    x = trunc(x);
                k = enc_find_num(skc_tensor_data(cat), o[c], o[c + 1], x);
            }
            y[r * f + c] = k >= 0 ? v[k] : u[c];
        }
    }
    return SKC_OK;
}

static void enc_map_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *cat, *off;
    const int64_t *o;
    int64_t f, c, k, unknown_ok = 1;

    if (skc_step_get_tensor(s, "categories", &cat) || skc_step_get_tensor(s, "offsets", &off))
        return;
    skc_step_get_int(s, "unknown_ok", &unknown_ok);
    f = skc_tensor_numel(off) - 1;
    o = skc_tensor_data(off);
    if (skc_tensor_dtype(cat) == SKC_DT_STRING) {
        for (c = 0; h->str_src && c < f && c < h->cols; c++) {
            int64_t x = skci_hint_col(h, c);
            if (x < 0)
                continue;
            h->str_src[x] = cat;
            h->str_lo[x] = o[c];
            h->str_hi[x] = o[c + 1];
            h->str_unknown_ok[x] = unknown_ok != 0;
        }
        return;
    }
    for (c = 0; c < f && c < h->cols; c++) {
        int64_t x = skci_hint_col(h, c);
        if (h->as_number && x >= 0)
            h->as_number[x] = 1;
        for (k = o[c]; k < o[c + 1]; k++) {
            double v = skc_tensor_get_f64(cat, k);
            if (isnan(v))
                h->nan_ok = 1;
            skci_hint_add(h, c, v);
        }
        /* One value no category has, so unknown handling is exercised. */
        if (o[c + 1] > o[c] && unknown_ok)
            skci_hint_add(h, c, skc_tensor_get_f64(cat, o[c + 1] - 1) + 1.0);
    }
}

/* ---- onehot ----------------------------------------------------------------- */

static int enc_onehot_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *w;
    int64_t i;
    int rc;

    if ((rc = enc_need_i64(s, "widths", &w, err, errlen)))
        return rc;
    for (i = 0; i < skc_tensor_numel(w); i++) {
        if (((const int64_t *)skc_tensor_data(w))[i] < 0) {
            skci_errf(err, errlen, "step 'onehot': negative width");
            return SKC_E_FORMAT;
        }
    }
    return SKC_OK;
}

static int enc_onehot_eval(const skc_step *s, const skc_tensor *const *in,
                           skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *wt;
    const int64_t *w;
    const double *x;
    double *y;
    int64_t n, f, total = 0, r, c, at;
    int rc;

    skc_step_get_tensor(s, "widths", &wt);
    w = skc_tensor_data(wt);
    if (skc_tensor_dtype(in[0]) != SKC_DT_F64) {
        skci_errf(err, errlen, "step 'onehot': input holds %s, not codes",
                  skc_dtype_name(skc_tensor_dtype(in[0])));
        return SKC_E_INVAL;
    }
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    if (f != skc_tensor_numel(wt)) {
        skci_errf(err, errlen, "step 'onehot': input has %lld columns for %lld widths",
                  (long long)f, (long long)skc_tensor_numel(wt));
        return SKC_E_INVAL;
    }
    for (c = 0; c < f; c++)
        total += w[c];
    if ((rc = skci_new_matrix(n, total, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        at = 0;
        for (c = 0; c < f; c++) {
            double code = x[r * f + c];
            /* A code outside the block (-1: unknown or dropped) or not an
             * integer sets nothing: an all-zero block. */
            if (code >= 0.0 && code < (double)w[c] && code == floor(code))
                y[r * total + at + (int64_t)code] = 1.0;
            at += w[c];
        }
    }
    return SKC_OK;
}

const skci_op skci_ops_encode[] = {
    { .name = "category_map", .n_inputs = 1, .n_outputs = 1, .check = enc_map_check,
      .eval = enc_map_eval, .hints = enc_map_hints, .strings_ok = 1 },
    { .name = "onehot", .n_inputs = 1, .n_outputs = 1, .check = enc_onehot_check,
      .eval = enc_onehot_eval },
    { .name = NULL }
};
