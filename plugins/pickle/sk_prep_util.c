/* SPDX-License-Identifier: MIT */
/* sk_prep_util.c: helpers shared by the sk_prep_*.c lifters (attributes, versions, masks and the common steps). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_prep.h"

int skp_bool(const pk_obj *est, const char *key, int dflt)
{
    const pk_obj *o = pk_attr(est, key);
    int b;

    if (!o || pk_kind_of(o) == PK_NONE || pk_bool(o, &b) != SKC_OK)
        return dflt;
    return b;
}

int skp_float(const pk_obj *est, const char *key, double *v)
{
    const pk_obj *o = pk_attr(est, key);

    if (!o || pk_kind_of(o) == PK_NONE)
        return SKC_E_NOT_FOUND;
    return pk_float(o, v) == SKC_OK ? SKC_OK : SKC_E_INVAL;
}

int skp_version_at_least(const pk_obj *est, int major, int minor)
{
    const char *v = sk_attr_str(est, "_sklearn_version");
    int ma = 0, mi = 0;

    if (!v || sscanf(v, "%d.%d", &ma, &mi) < 1)
        return 0;
    return ma > major || (ma == major && mi >= minor);
}

int64_t skp_n_features(const pk_obj *est, const char *const *older)
{
    int64_t f;

    if (sk_attr_int(est, "n_features_in_", &f) == SKC_OK && f >= 0)
        return f;
    for (; older && *older; older++)
        if (sk_attr_int(est, *older, &f) == SKC_OK && f >= 0)
            return f;
    return -1;
}

int skp_doubles(sk_ctx *c, const pk_obj *o, const char *what, double **v, int64_t *n)
{
    pk_array_info ai;
    double *d = NULL;
    size_t i, cnt;

    if (!o)
        return sk_fail(c, SKC_E_FORMAT, "%s is missing", what);
    if (pk_kind_of(o) == PK_LIST || pk_kind_of(o) == PK_TUPLE) {
        cnt = pk_len(o);
        d = malloc((cnt ? cnt : 1) * sizeof(*d));
        if (!d)
            return SKC_E_NOMEM;
        for (i = 0; i < cnt; i++) {
            if (pk_float(pk_item(o, i), &d[i]) != SKC_OK) {
                free(d);
                return sk_fail(c, SKC_E_FORMAT, "%s[%zu] is not a number", what, i);
            }
        }
    } else if (pk_kind_of(o) == PK_ARRAY && pk_array(o, &ai) == SKC_OK &&
               (ai.kind == 'f' || ai.kind == 'i' || ai.kind == 'u' || ai.kind == 'b')) {
        cnt = 1;
        for (int k = 0; k < ai.ndim; k++)
            cnt *= (size_t)ai.shape[k];
        if (ai.ndim > 1 && cnt != (size_t)ai.shape[0])
            return sk_fail(c, SKC_E_FORMAT, "%s is not one-dimensional", what);
        d = malloc((cnt ? cnt : 1) * sizeof(*d));
        if (!d)
            return SKC_E_NOMEM;
        for (i = 0; i < cnt; i++) {
            if (pk_array_get_f64(o, i, &d[i]) != SKC_OK) {
                free(d);
                return sk_fail(c, SKC_E_FORMAT, "%s[%zu] unreadable", what, i);
            }
        }
    } else {
        return sk_fail(c, SKC_E_FORMAT, "%s is a %s, not a numeric array", what,
                       pk_kind_name(pk_kind_of(o)));
    }
    *v = d;
    *n = (int64_t)cnt;
    return SKC_OK;
}

int skp_mask_to_indices(const unsigned char *mask, int64_t n, int64_t **idx, int64_t *k)
{
    int64_t i, m = 0;
    int64_t *d = malloc((size_t)(n ? n : 1) * sizeof(*d));

    if (!d)
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++)
        if (mask[i])
            d[m++] = i;
    *idx = d;
    *k = m;
    return SKC_OK;
}

int skp_mask_indices(sk_ctx *c, const pk_obj *est, const char *key, int64_t **idx,
                     int64_t *k, int64_t *n)
{
    double *v = NULL;
    unsigned char *mask = NULL;
    int64_t cnt, i;
    int rc;

    if ((rc = skp_doubles(c, pk_attr(est, key), key, &v, &cnt)))
        return rc;
    mask = malloc((size_t)(cnt ? cnt : 1));
    if (!mask) {
        free(v);
        return SKC_E_NOMEM;
    }
    for (i = 0; i < cnt; i++)
        mask[i] = v[i] != 0.0;
    rc = skp_mask_to_indices(mask, cnt, idx, k);
    if (rc == SKC_OK)
        *n = cnt;
    free(v);
    free(mask);
    return rc;
}

int skp_select(sk_ctx *c, const char *in, const int64_t *idx, int64_t k, char *out)
{
    skc_tensor *t = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_tensor_new(SKC_DT_I64, 1, &k, &t)))
        return rc;
    if (k)
        memcpy(skc_tensor_data_mut(t), idx, (size_t)k * sizeof(*idx));
    sk_new_name(c, "selected", out);
    if ((rc = sk_step(c, "select_columns", in, out, &st)) == SKC_OK)
        rc = skc_step_set_tensor(st, "indices", t);
    skc_tensor_free(t);
    return rc;
}

int skp_scaler(sk_ctx *c, const char *in, const double *offset, const double *factor,
               int divide, int64_t f, char *out)
{
    skc_tensor *o = NULL, *s = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_tensor_new(SKC_DT_F64, 1, &f, &o)) ||
        (rc = skc_tensor_from_f64(factor, f, &s)))
        goto done;
    if (offset && f)
        memcpy(skc_tensor_data_mut(o), offset, (size_t)f * sizeof(double));
    sk_new_name(c, "scaled", out);
    if ((rc = sk_step(c, "scaler", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "offset", o)) ||
        (rc = skc_step_set_tensor(st, divide ? "divisor" : "scale", s)))
        goto done;
done:
    skc_tensor_free(o);
    skc_tensor_free(s);
    return rc;
}

int skp_apply_selection(sk_ctx *c, const char *in, int64_t in_width, const int64_t *idx,
                        int64_t k, int64_t n, char *out, int64_t *out_width)
{
    int rc;

    if ((rc = sk_check_width(c, in, in_width, n)))
        return rc;
    if (k == 0)
        return sk_fail(c, SKC_E_UNSUPPORTED,
                       "the selector keeps no feature (sklearn returns an empty array)");
    *out_width = k;
    if (k == n) {
        snprintf(out, 64, "%s", in);
        return SKC_OK;
    }
    return skp_select(c, in, idx, k, out);
}
