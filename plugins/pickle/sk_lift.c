/* SPDX-License-Identifier: MIT */
/* sk_lift.c: dispatch from a pickled estimator's class to its family's lifter, and shared helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_load.h"
#include "sk_lift.h"

static const sk_family *const sk_tables[] = {
    sk_linear_families,
    sk_mlp_families,
    sk_cluster_families,
    sk_dummy_families,
    sk_trees_families,
    sk_preprocessing_families,
    sk_compose_families,
    sk_compose_pmml_families,
    sk_compose_ensemble_families,
    sk_compose_calib_families,
    sk_svm_families,
    sk_neighbors_families,
    sk_bayes_families,
    sk_prep_scale_families,
    sk_prep_encode_families,
    sk_prep_impute_families,
    sk_prep_decomp_families,
    sk_prep_select_families,
    sk_text_families,
};

const char *sk_canonical(const pk_obj *est, const char **mod, const char **name)
{
    const char *m = "?", *n = "?";

    if (!est || pk_class_name(est, &m, &n) != SKC_OK) {
        if (mod)
            *mod = est ? pk_kind_name(pk_kind_of(est)) : "nothing";
        if (name)
            *name = "";
        return NULL;
    }
    if (mod)
        *mod = m;
    if (name)
        *name = n;
    return pk_allow_canonical(m, n);
}

static const sk_family *sk_find_family(const char *canonical)
{
    size_t t;
    const sk_family *f;

    if (!canonical)
        return NULL;
    for (t = 0; t < sizeof(sk_tables) / sizeof(sk_tables[0]); t++)
        for (f = sk_tables[t]; f->canonical; f++)
            if (strcmp(f->canonical, canonical) == 0)
                return f;
    return NULL;
}

int sk_check_width(sk_ctx *c, const char *in, int64_t in_width, int64_t want)
{
    if (in_width >= 0 && want >= 0 && in_width != want)
        return sk_fail(c, SKC_E_FORMAT,
                       "expects %lld input columns but the step before gives %lld",
                       (long long)want, (long long)in_width);
    if (strcmp(in, "X") == 0 && c->x_width < 0)
        c->x_width = want;
    return SKC_OK;
}

int sk_fail(sk_ctx *c, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->path[0])
        return skc_set_error(c->s, code, "%s: %s", c->path, msg);
    return skc_set_error(c->s, code, "%s", msg);
}

void sk_new_name(sk_ctx *c, const char *stem, char *out)
{
    snprintf(out, 64, "%s_%d", stem, ++c->counter);
}

void sk_out_name(sk_ctx *c, const char *final_name, char *out)
{
    if (c->final)
        snprintf(out, 64, "%s", final_name);
    else
        sk_new_name(c, final_name, out);
}

/* sklearn's check_is_fitted: a fitted estimator has attributes ending in
 * '_'. Before 0.20 __init__ set some of them to None (tree_, classes_,
 * n_features_) or [] (an ensemble's estimators_), so an estimator pickled
 * before fit() holds only those; a Pipeline is fitted when its last step is.
 * 1 and the reason in @p why when @p est is such an unfitted estimator. */
static int sk_unfitted(const pk_obj *est, char *why, size_t n, int depth)
{
    const pk_obj *st = pk_instance_state(est), *steps, *last;
    const char *canon = sk_canonical(est, NULL, NULL), *name;
    size_t i, len = 0, empty = 0;

    if (!st || pk_kind_of(st) != PK_DICT || depth > 8)
        return 0;
    steps = pk_dict_get(st, "steps");
    if (canon && strcmp(canon, "sklearn.pipeline.Pipeline") == 0 && pk_len(steps) > 0) {
        last = pk_item(steps, pk_len(steps) - 1);
        if (pk_len(last) != 2 || pk_str(pk_item(last, 0), &name, NULL) != SKC_OK ||
            pk_kind_of(pk_item(last, 1)) != PK_INSTANCE)
            return 0;
        len = (size_t)snprintf(why, n, "its last step '%s': ", name);
        return len < n && sk_unfitted(pk_item(last, 1), why + len, n - len, depth + 1);
    }
    for (i = 0; i < pk_dict_len(st); i++) {
        const pk_obj *v = pk_dict_value(st, i);
        const char *k;
        size_t kl;
        int kind = pk_kind_of(v);
        if (pk_str(pk_dict_key(st, i), &k, &kl) != SKC_OK || kl < 2 || k[kl - 1] != '_' ||
            strncmp(k, "__", 2) == 0)
            continue;
        if (!(kind == PK_NONE || ((kind == PK_LIST || kind == PK_TUPLE) && pk_len(v) == 0) ||
              (kind == PK_DICT && pk_dict_len(v) == 0)))
            return 0;
        if (empty++ < 3 && len < n)
            len += (size_t)snprintf(why + len, n - len, "%s%s", len ? ", " : "", k);
    }
    if (empty > 3 && len < n)
        len += (size_t)snprintf(why + len, n - len, " and %zu more", empty - 3);
    if (empty && len < n)
        snprintf(why + len, n - len, " unset");
    return empty > 0;
}

int sk_lift_estimator(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width, int *role)
{
    const char *mod, *name, *canon;
    const sk_family *f;
    size_t plen = strlen(c->path);
    char why[256];
    int rc;

    canon = sk_canonical(est, &mod, &name);
    f = sk_find_family(canon);
    if (!f) {
        if (!canon && (!est || pk_kind_of(est) != PK_INSTANCE))
            return sk_fail(c, SKC_E_UNSUPPORTED, "expected an estimator, found %s",
                           est ? pk_kind_name(pk_kind_of(est)) : "nothing");
        return sk_fail(c, SKC_E_UNSUPPORTED, "unsupported estimator %s.%s",
                       mod, name);
    }
    snprintf(c->path + plen, sizeof(c->path) - plen, "%s%s",
             plen ? " > " : "", strrchr(f->canonical, '.') + 1);
    if (sk_unfitted(est, why, sizeof(why), 0))
        return sk_fail(c, SKC_E_UNSUPPORTED,
                       "not fitted: pickled before fit() (%s), so there is no model "
                       "to convert", why);
    rc = f->lift(c, est, in, in_width, out, out_width);
    if (rc == SKC_OK) {
        c->path[plen] = '\0';
        *role = f->role == SK_WRAPPER ? c->wrapped_role : f->role;
    }
    return rc;
}

/* The _sklearn_version an estimator records; wrappers that record none
 * (sklearn2pmml's PMMLPipeline) take it from their first step that does. */
const char *sk_sklearn_version(const pk_obj *est)
{
    const pk_obj *steps = pk_attr(est, "steps");
    const char *ver = sk_attr_str(est, "_sklearn_version");
    size_t i;

    if (ver || !steps || (pk_kind_of(steps) != PK_LIST && pk_kind_of(steps) != PK_TUPLE))
        return ver;
    for (i = 0; i < pk_len(steps) && !ver; i++) {
        const pk_obj *st = pk_item(steps, i);
        const pk_obj *step = pk_len(st) == 2 ? pk_item(st, 1) : NULL;
        if (step && pk_kind_of(step) == PK_INSTANCE)
            ver = sk_attr_str(step, "_sklearn_version");
    }
    return ver;
}

/* Large arrays are used in place in the mapped input; once lifted, their
 * pages can go (skc_stream_drop), so a big forest is not held twice. */
/* Ranges given back at once: a tree's arrays are a fraction of this. */
#define SK_DROP_BATCH ((size_t)16 << 20)
#define SK_DROP_GAP ((size_t)1 << 20)

void sk_drop_flush(sk_priv *priv)
{
    if (priv && priv->src && priv->drop_n)
        skc_stream_drop(priv->src, priv->drop, priv->drop_n);
    if (priv)
        priv->drop_n = 0;
}

void sk_drop(sk_ctx *c, const void *p, size_t n)
{
    sk_priv *priv = skc_session_priv(c->s);
    const uint8_t *b = p;

    if (!priv || !priv->src || !p || n == 0)
        return;
    /* The pickle bytes between two arrays were read long ago (and a page
     * given back is read in again if touched), so a small gap joins. */
    if (priv->drop_n && b >= priv->drop + priv->drop_n &&
        (size_t)(b - (priv->drop + priv->drop_n)) <= SK_DROP_GAP) {
        priv->drop_n = (size_t)(b - priv->drop) + n;
    } else {
        sk_drop_flush(priv);
        priv->drop = b;
        priv->drop_n = n;
    }
    if (priv->drop_n >= SK_DROP_BATCH)
        sk_drop_flush(priv);
}

int sk_lift_root(skc_session *s, const pk_obj *root, const char *path, skc_model **out,
                 int *role_out)
{
    sk_ctx c;
    char tail[64] = "";
    int64_t width = -1, shape[2];
    int role = 0, rc;
    skc_step *st;
    const char *ver;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.x_width = -1;
    c.final = 1;
    snprintf(c.path, sizeof(c.path), "%s", path ? path : "");
    rc = skc_model_new(&c.m);
    if (rc)
        return rc;
    /* Input width is -1 until an estimator tells it; the first one with
     * fitted arrays fixes it, and the model input is declared last. */
    rc = sk_lift_estimator(&c, root, "X", -1, tail, &width, &role);
    if (rc)
        goto fail;
    if (role == SK_TRANSFORMER) {
        if ((rc = sk_step(&c, "identity", tail, "variable", &st)) ||
            (rc = sk_output_regressor(&c, "variable", width)))
            goto fail;
    }
    shape[0] = -1;
    shape[1] = c.x_width;
    if ((rc = skc_model_add_input(c.m, "X", c.x_dtype ? c.x_dtype : SKC_DT_F64, 2, shape)))
        goto fail;
    if (c.x_columns && (rc = skc_model_set_input_columns(c.m, 0, c.x_columns)))
        goto fail;
    ver = sk_sklearn_version(root);
    skc_model_set_meta(c.m, "producer.sklearn_version", ver ? ver : "unknown (before 0.18)");
    {
        const char *mod, *name, *canon;
        char cls[256];
        /* The canonical id merges module renames across versions. */
        canon = sk_canonical(root, &mod, &name);
        snprintf(cls, sizeof(cls), "%s.%s", mod, name);
        skc_model_set_meta(c.m, "source.class", canon ? canon : cls);
    }
    skc_tensor_free(c.x_columns);
    *out = c.m;
    if (role_out)
        *role_out = role;
    return SKC_OK;
fail:
    skc_tensor_free(c.x_columns);
    skc_model_free(c.m);
    return rc;
}

/* ---- attribute helpers --------------------------------------------------- */

int sk_attr_f64_opt(sk_ctx *c, const pk_obj *est, const char *key, skc_tensor **out)
{
    const pk_obj *o = pk_attr(est, key);
    pk_array_info ai;
    int64_t shape[SKC_MAX_DIMS], one = 1;
    double *d, v;
    size_t i, n = 1;
    int k, rc;

    *out = NULL;
    if (!o || pk_kind_of(o) == PK_NONE)
        return SKC_OK;
    if (pk_kind_of(o) == PK_TUPLE || pk_kind_of(o) == PK_LIST) {
        /* A tuple or list of numbers, e.g. feature_range = (0, 1). */
        int64_t len = (int64_t)pk_len(o);
        rc = skc_tensor_new(SKC_DT_F64, 1, &len, out);
        if (rc)
            return rc;
        d = skc_tensor_data_mut(*out);
        for (i = 0; i < (size_t)len; i++) {
            if (pk_float(pk_item(o, i), &d[i]) != SKC_OK) {
                skc_tensor_free(*out);
                *out = NULL;
                return sk_fail(c, SKC_E_FORMAT, "attribute %s[%zu] is not a number", key, i);
            }
        }
        return SKC_OK;
    }
    if (pk_kind_of(o) != PK_ARRAY) {
        if (pk_float(o, &v) != SKC_OK)
            return sk_fail(c, SKC_E_FORMAT, "attribute %s is a %s, not a number or array",
                           key, pk_kind_name(pk_kind_of(o)));
        rc = skc_tensor_new(SKC_DT_F64, 1, &one, out);
        if (rc)
            return rc;
        *(double *)skc_tensor_data_mut(*out) = v;
        return SKC_OK;
    }
    if (pk_array(o, &ai) != SKC_OK || ai.ndim > SKC_MAX_DIMS ||
        !(ai.kind == 'f' || ai.kind == 'i' || ai.kind == 'u' || ai.kind == 'b'))
        return sk_fail(c, SKC_E_FORMAT, "attribute %s is not a numeric array", key);
    for (k = 0; k < ai.ndim; k++) {
        shape[k] = ai.shape[k];
        n *= (size_t)ai.shape[k];
    }
    rc = skc_tensor_new(SKC_DT_F64, ai.ndim ? ai.ndim : 1, ai.ndim ? shape : &one, out);
    if (rc)
        return rc;
    d = skc_tensor_data_mut(*out);
    for (i = 0; i < n; i++) {
        if (pk_array_get_f64(o, i, &d[i]) != SKC_OK) {
            skc_tensor_free(*out);
            *out = NULL;
            return sk_fail(c, SKC_E_FORMAT, "attribute %s: element %zu unreadable", key, i);
        }
    }
    return SKC_OK;
}

int sk_attr_f64(sk_ctx *c, const pk_obj *est, const char *key, skc_tensor **out)
{
    int rc = sk_attr_f64_opt(c, est, key, out);

    if (rc == SKC_OK && !*out)
        return sk_fail(c, SKC_E_FORMAT, "fitted attribute %s is missing", key);
    return rc;
}

int sk_attr_int(const pk_obj *est, const char *key, int64_t *v)
{
    const pk_obj *o = pk_attr(est, key);

    return o ? pk_int(o, v) : SKC_E_NOT_FOUND;
}

const char *sk_attr_str(const pk_obj *est, const char *key)
{
    const pk_obj *o = pk_attr(est, key);
    const char *s;
    size_t len;

    if (!o || pk_str(o, &s, &len) != SKC_OK)
        return NULL;
    return s;
}

int sk_classes(sk_ctx *c, const pk_obj *est, skc_tensor **out)
{
    const pk_obj *o = pk_attr(est, "classes_");
    pk_array_info ai;
    int64_t n, i;
    int rc;

    if (!o || pk_kind_of(o) != PK_ARRAY || pk_array(o, &ai) != SKC_OK || ai.ndim != 1)
        return sk_fail(c, SKC_E_FORMAT, "classes_ is missing or not a 1-D array");
    n = ai.shape[0];
    if (ai.kind == 'U' || ai.kind == 'S' || ai.kind == 'O') {
        rc = skc_tensor_new(SKC_DT_STRING, 1, &n, out);
        if (rc)
            return rc;
        for (i = 0; i < n; i++) {
            char buf[1024];
            const char *sv;
            size_t len;
            if (ai.kind == 'O') {
                const pk_obj *e = pk_array_object(o, (size_t)i);
                int64_t iv;
                if (e && pk_str(e, &sv, &len) == SKC_OK) {
                    rc = skc_tensor_set_string(*out, i, sv, len);
                } else if (e && pk_int(e, &iv) == SKC_OK) {
                    /* Mixed object arrays of ints: keep the text form. */
                    snprintf(buf, sizeof(buf), "%lld", (long long)iv);
                    rc = skc_tensor_set_string(*out, i, buf, strlen(buf));
                } else {
                    rc = sk_fail(c, SKC_E_UNSUPPORTED,
                                 "classes_[%lld] is neither a string nor an integer", (long long)i);
                }
            } else {
                rc = pk_array_get_str(o, (size_t)i, buf, sizeof(buf));
                if (rc == SKC_OK)
                    rc = skc_tensor_set_string(*out, i, buf, strlen(buf));
            }
            if (rc) {
                skc_tensor_free(*out);
                *out = NULL;
                return rc;
            }
        }
        return SKC_OK;
    }
    if (ai.kind == 'i' || ai.kind == 'u' || ai.kind == 'b' || ai.kind == 'f') {
        int64_t *d;
        rc = skc_tensor_new(SKC_DT_I64, 1, &n, out);
        if (rc)
            return rc;
        d = skc_tensor_data_mut(*out);
        for (i = 0; i < n; i++) {
            double v;
            if (ai.kind == 'f') {
                if (pk_array_get_f64(o, (size_t)i, &v) != SKC_OK || v != (double)(int64_t)v) {
                    skc_tensor_free(*out);
                    *out = NULL;
                    return sk_fail(c, SKC_E_UNSUPPORTED,
                                   "classes_ holds a non-integral float label");
                }
                d[i] = (int64_t)v;
            } else if (pk_array_get_i64(o, (size_t)i, &d[i]) != SKC_OK) {
                skc_tensor_free(*out);
                *out = NULL;
                return sk_fail(c, SKC_E_FORMAT, "classes_[%lld] unreadable", (long long)i);
            }
        }
        return SKC_OK;
    }
    return sk_fail(c, SKC_E_UNSUPPORTED, "classes_ has numpy kind '%c'", ai.kind);
}

int sk_step(sk_ctx *c, const char *op, const char *in, const char *out, skc_step **st)
{
    int rc;

    if ((rc = skc_model_add_step(c->m, op, st)) ||
        (rc = skc_step_add_input(*st, in)) ||
        (rc = skc_step_add_output(*st, out)))
        return rc;
    return SKC_OK;
}

int sk_output_classifier(sk_ctx *c, const char *label, const char *proba,
                         const skc_tensor *classes, int64_t k)
{
    int64_t lshape[1] = { -1 }, pshape[2] = { -1, k };
    int rc;

    rc = skc_model_add_output(c->m, label,
                              skc_tensor_dtype(classes) == SKC_DT_STRING ? SKC_DT_STRING
                                                                         : SKC_DT_I64,
                              1, lshape);
    if (rc == SKC_OK && proba)
        rc = skc_model_add_output(c->m, proba, SKC_DT_F64, 2, pshape);
    return rc;
}

int sk_output_regressor(sk_ctx *c, const char *tensor, int64_t t)
{
    int64_t shape[2] = { -1, t };

    return skc_model_add_output(c->m, tensor, SKC_DT_F64, 2, shape);
}

/* numpy's pairwise summation (np.sum / add.reduce over a contiguous 1-D
 * array): under 8 terms a plain loop, up to 128 eight accumulators, beyond
 * that halves; means and weight sums then match sklearn's to the bit. */
double sk_pairwise_sum(const double *a, int64_t n)
{
    double r[8], res;
    int64_t i, n2;
    int j;

    if (n < 8) {
        res = 0.0;
        for (i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        for (j = 0; j < 8; j++)
            r[j] = a[j];
        for (i = 8; i < n - (n % 8); i += 8)
            for (j = 0; j < 8; j++)
                r[j] += a[i + j];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    n2 = n / 2;
    n2 -= n2 % 8;
    return sk_pairwise_sum(a, n2) + sk_pairwise_sum(a + n2, n - n2);
}
