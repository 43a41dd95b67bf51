/* SPDX-License-Identifier: MIT */
/* sk_prep_encode.c: categorical encoders (OneHotEncoder, OrdinalEncoder, KBinsDiscretizer, LabelEncoder, LabelBinarizer) into category_map/onehot/bucketize steps.
 *
 * State across sklearn versions (side by side):
 *
 * | estimator        | attribute                | 0.14 – 0.19                         | 0.20 – 0.21                         | 0.22 – 1.0          | 1.1 – 1.2                     | 1.3 +                          |
 * |------------------|--------------------------|-------------------------------------|-------------------------------------|---------------------|-------------------------------|--------------------------------|
 * | OneHotEncoder    | categories               | n_values_, feature_indices_,        | categories_ (list of arrays); the   | categories_         | =                             | =                              |
 * |                  |                          | active_features_ (int input, cast)  | legacy layout when _legacy_mode     |                     |                               |                                |
 * |                  | drop                     | (absent)                            | 0.21: drop_idx_ (None or per feature) | =                 | drop_idx_ in grouped space    | drop_idx_ raw, _drop_idx_after_grouping grouped |
 * |                  | infrequent               | (absent)                            | (absent)                            | (absent)            | _infrequent_enabled, _infrequent_indices, _default_to_infrequent_mappings | = |
 * |                  | NaN as a category        | no                                  | no                                  | 0.24 +: NaN last    | =                             | =                              |
 * |                  | widths                   | active features per block           | len(categories_[i]) (- drop)        | =                   | _n_features_outs              | =                              |
 * | OrdinalEncoder   | unknown / missing        | (absent)                            | categories_; unknown is an error    | 0.24: use_encoded_value, unknown_value | encoded_missing_value, _missing_indices | + infrequent mappings |
 * | KBinsDiscretizer | bin_edges_, n_bins_      | (absent)                            | object array of edge arrays; digitize(x + 1e-8 + 1e-5|x|) | =  | 1.1 +: searchsorted(edges[1:-1], x, 'right') | = |
 * | LabelEncoder     | classes_                 | classes_                            | =                                   | =                   | =                             | =                              |
 * | LabelBinarizer   | classes_, y_type_        | neg_label, pos_label                | =                                   | =                   | =                             | =                              |
 *
 * A transform that sklearn would refuse (an unknown category with
 * handle_unknown='error') gives an all-zero block (one-hot) or NaN
 * (ordinal) instead, and such a category_map says unknown_ok=0 so that
 * verification does not probe it. String categories make X a string
 * tensor (its numeric columns are read as numbers: core/OPS.md "String
 * inputs"); a NaN or None category inside a string column is the
 * category "", which is how a string X holds a missing entry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_prep.h"

/* Bytes of one string category; longer ones are refused. */
#define ENC_STR_MAX 4096
/* Categories of the legacy layout, which are counted, not stored. */
#define ENC_MAX_CATEGORIES 10000000
/* Entries of the padded bin-edge matrix. */
#define ENC_MAX_EDGES 50000000

typedef struct enc_cats {
    int64_t f;       /* features                                              */
    int64_t *off;    /* [f + 1] offsets of each feature's categories          */
    int is_str;      /* the categories are strings                            */
    double *num;     /* numeric categories (NaN allowed)                      */
    char **str;      /* string categories; NULL where a NaN/None category sits */
    int unknown_err; /* sklearn refuses unknown values (handle_unknown='error') */
} enc_cats;

static void enc_cats_free(enc_cats *k)
{
    int64_t i;

    if (k->str && k->off)
        for (i = 0; i < k->off[k->f]; i++)
            free(k->str[i]);
    free(k->str);
    free(k->num);
    free(k->off);
    memset(k, 0, sizeof(*k));
}

/* 1: string, 0: number (into *v, NaN for None), -1: neither. */
static int enc_object_item(const pk_obj *e, const char **s, size_t *len, double *v)
{
    if (e && pk_str(e, s, len) == SKC_OK)
        return 1;
    if (!e || pk_kind_of(e) == PK_NONE) {
        *v = NAN;
        return 0;
    }
    return pk_float(e, v) == SKC_OK ? 0 : -1;
}

/* categories_ (a list of 1-D arrays) read side by side. Every feature must
 * be numeric or every one textual: one X tensor has one element type. */
static int enc_read_categories(sk_ctx *c, const pk_obj *list, enc_cats *k)
{
    int64_t f, i, total = 0, at = 0;
    int str_feats = 0, rc = SKC_OK;
    pk_array_info ai;
    size_t j;

    memset(k, 0, sizeof(*k));
    if (!list || (pk_kind_of(list) != PK_LIST && pk_kind_of(list) != PK_TUPLE &&
                  pk_kind_of(list) != PK_ARRAY))
        return sk_fail(c, SKC_E_FORMAT, "categories_ is missing or not a list");
    f = pk_kind_of(list) == PK_ARRAY ? (pk_array(list, &ai) == SKC_OK ? ai.shape[0] : -1)
                                     : (int64_t)pk_len(list);
    if (f < 0)
        return sk_fail(c, SKC_E_FORMAT, "categories_ is unreadable");
    k->f = f;
    k->off = calloc((size_t)f + 1, sizeof(*k->off));
    if (!k->off)
        return SKC_E_NOMEM;
    for (i = 0; i < f; i++) {
        const pk_obj *a = pk_kind_of(list) == PK_ARRAY ? pk_array_object(list, (size_t)i)
                                                       : pk_item(list, (size_t)i);
        int is_str = 0;
        if (!a || pk_kind_of(a) != PK_ARRAY || pk_array(a, &ai) != SKC_OK || ai.ndim != 1) {
            rc = sk_fail(c, SKC_E_FORMAT, "categories_[%lld] is not a 1-D array", (long long)i);
            goto fail;
        }
        if (ai.kind == 'U' || ai.kind == 'S') {
            is_str = 1;
        } else if (ai.kind == 'O') {
            for (j = 0; j < (size_t)ai.shape[0]; j++) {
                const char *s;
                size_t len;
                double v;
                int t = enc_object_item(pk_array_object(a, j), &s, &len, &v);
                if (t < 0) {
                    rc = sk_fail(c, SKC_E_UNSUPPORTED, "categories_[%lld][%zu] is neither a "
                                 "string nor a number", (long long)i, j);
                    goto fail;
                }
                is_str |= t;
            }
        } else if (!(ai.kind == 'f' || ai.kind == 'i' || ai.kind == 'u' || ai.kind == 'b')) {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "categories_[%lld] has numpy kind '%c'",
                         (long long)i, ai.kind);
            goto fail;
        }
        str_feats += is_str;
        total += ai.shape[0];
        k->off[i + 1] = total;
    }
    if (str_feats && str_feats != f) {
        rc = sk_fail(c, SKC_E_UNSUPPORTED, "%d of %lld columns hold strings and the others "
                     "numbers; one X tensor cannot hold both (convert the encoder inside a "
                     "ColumnTransformer with one input per column)", str_feats, (long long)f);
        goto fail;
    }
    k->is_str = str_feats > 0;
    if (k->is_str)
        k->str = calloc((size_t)(total ? total : 1), sizeof(*k->str));
    else
        k->num = calloc((size_t)(total ? total : 1), sizeof(*k->num));
    if (!k->str && !k->num) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    for (i = 0; i < f; i++) {
        const pk_obj *a = pk_kind_of(list) == PK_ARRAY ? pk_array_object(list, (size_t)i)
                                                       : pk_item(list, (size_t)i);
        pk_array(a, &ai);
        for (j = 0; j < (size_t)ai.shape[0]; j++, at++) {
            const char *s = NULL;
            size_t len = 0;
            double v = NAN;
            char buf[ENC_STR_MAX];
            int t = 0;
            if (ai.kind == 'O') {
                t = enc_object_item(pk_array_object(a, j), &s, &len, &v);
            } else if (ai.kind == 'U' || ai.kind == 'S') {
                if (pk_array_get_str(a, j, buf, sizeof(buf)) != SKC_OK) {
                    rc = sk_fail(c, SKC_E_UNSUPPORTED, "categories_[%lld][%zu] is unreadable "
                                 "or longer than %d bytes", (long long)i, j, ENC_STR_MAX);
                    goto fail;
                }
                s = buf;
                len = strlen(buf);
                t = 1;
            } else if (pk_array_get_f64(a, j, &v) != SKC_OK) {
                rc = sk_fail(c, SKC_E_FORMAT, "categories_[%lld][%zu] unreadable",
                             (long long)i, j);
                goto fail;
            }
            if (k->is_str) {
                if (t == 1) {
                    if (!(k->str[at] = malloc(len + 1))) {
                        rc = SKC_E_NOMEM;
                        goto fail;
                    }
                    memcpy(k->str[at], s, len);
                    k->str[at][len] = '\0';
                } else if (!isnan(v)) {
                    rc = sk_fail(c, SKC_E_UNSUPPORTED, "categories_[%lld] mixes strings and "
                                 "numbers", (long long)i);
                    goto fail;
                }
            } else {
                k->num[at] = v;
            }
        }
    }
    return SKC_OK;
fail:
    enc_cats_free(k);
    return rc;
}

/* category_map step: raw category j of feature i gives vals[j]; nothing
 * matched gives unknown[i]. String X is declared when the categories are
 * strings; its other columns hold numbers as text. */
static int enc_emit_map(sk_ctx *c, const char *in, const enc_cats *k, const double *vals,
                        const double *unknown, int truncate, char *out)
{
    skc_tensor *cat = NULL, *off = NULL, *val = NULL, *unk = NULL;
    int64_t n = 0, i, j, nf = k->f + 1;
    skc_step *st;
    int rc;

    n = k->off[k->f];
    if ((rc = skc_tensor_new(k->is_str ? SKC_DT_STRING : SKC_DT_F64, 1, &n, &cat)) ||
        (rc = skc_tensor_new(SKC_DT_I64, 1, &nf, &off)) ||
        (rc = skc_tensor_new(SKC_DT_F64, 1, &n, &val)) ||
        (rc = skc_tensor_from_f64(unknown, k->f, &unk)))
        goto done;
    n = 0;
    for (i = 0; i < k->f; i++) {
        ((int64_t *)skc_tensor_data_mut(off))[i] = n;
        for (j = k->off[i]; j < k->off[i + 1]; j++) {
            if (k->is_str) {
                const char *v = k->str[j] ? k->str[j] : "";
                if ((rc = skc_tensor_set_string(cat, n, v, strlen(v))))
                    goto done;
            } else {
                ((double *)skc_tensor_data_mut(cat))[n] = k->num[j];
            }
            ((double *)skc_tensor_data_mut(val))[n++] = vals[j];
        }
    }
    ((int64_t *)skc_tensor_data_mut(off))[k->f] = n;
    sk_new_name(c, "coded", out);
    if ((rc = sk_step(c, "category_map", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "categories", cat)) ||
        (rc = skc_step_set_tensor(st, "offsets", off)) ||
        (rc = skc_step_set_tensor(st, "values", val)) ||
        (rc = skc_step_set_tensor(st, "unknown", unk)))
        goto done;
    if (truncate && (rc = skc_step_set_int(st, "truncate", 1)))
        goto done;
    if (k->unknown_err && (rc = skc_step_set_int(st, "unknown_ok", 0)))
        goto done;
    if (k->is_str)
        c->x_dtype = SKC_DT_STRING;
done:
    skc_tensor_free(cat);
    skc_tensor_free(off);
    skc_tensor_free(val);
    skc_tensor_free(unk);
    return rc;
}

static int enc_emit_onehot(sk_ctx *c, const char *in, const int64_t *widths, int64_t f,
                           char *out)
{
    skc_tensor *w = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_tensor_from_i64(widths, f, &w)))
        return rc;
    sk_new_name(c, "onehot", out);
    if ((rc = sk_step(c, "onehot", in, out, &st)) == SKC_OK)
        rc = skc_step_set_tensor(st, "widths", w);
    skc_tensor_free(w);
    return rc;
}

/* An optional per-feature list (None, or a list/array whose items are None
 * or arrays): item i, or NULL. */
static const pk_obj *enc_list_item(const pk_obj *o, int64_t i)
{
    const pk_obj *e;

    if (!o || pk_kind_of(o) == PK_NONE)
        return NULL;
    e = pk_kind_of(o) == PK_ARRAY ? pk_array_object(o, (size_t)i) : pk_item(o, (size_t)i);
    return e && pk_kind_of(e) != PK_NONE ? e : NULL;
}

/* drop_idx_[i] (None, an object array of int/None, or an int array): the
 * dropped index or -1. */
static int enc_drop_at(const pk_obj *d, int64_t i, int64_t *v)
{
    pk_array_info ai;
    const pk_obj *e;

    *v = -1;
    if (!d || pk_kind_of(d) == PK_NONE)
        return SKC_OK;
    if (pk_kind_of(d) == PK_ARRAY && pk_array(d, &ai) == SKC_OK && ai.kind != 'O')
        return pk_array_get_i64(d, (size_t)i, v);
    e = enc_list_item(d, i);
    if (!e)
        return SKC_OK;
    return pk_int(e, v);
}

/* ---- OneHotEncoder --------------------------------------------------------- */

/* The pre-0.20 layout: integer input cast to int, one block per feature of
 * the values seen (active_features_) below n_values_. */
static int enc_onehot_legacy(sk_ctx *c, const pk_obj *est, const char *in,
                             int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *cf = pk_attr(est, "categorical_features");
    double *nv = NULL, *fi = NULL, *act = NULL, *vals = NULL, *unk = NULL;
    int64_t f, nfi, na = 0, i, v, total = 0, *widths = NULL;
    const char *cfs;
    size_t cfl;
    enc_cats k;
    char coded[64];
    int rc;

    memset(&k, 0, sizeof(k));
    if (cf && pk_kind_of(cf) != PK_NONE && !(pk_str(cf, &cfs, &cfl) == SKC_OK &&
                                             strcmp(cfs, "all") == 0))
        return sk_fail(c, SKC_E_UNSUPPORTED, "legacy OneHotEncoder with categorical_features "
                       "other than 'all'");
    if ((rc = skp_doubles(c, pk_attr(est, "n_values_"), "n_values_", &nv, &f)) ||
        (rc = skp_doubles(c, pk_attr(est, "feature_indices_"), "feature_indices_", &fi, &nfi)))
        goto done;
    if (pk_attr(est, "active_features_") &&
        (rc = skp_doubles(c, pk_attr(est, "active_features_"), "active_features_", &act, &na)))
        goto done;
    if (nfi != f + 1) {
        rc = sk_fail(c, SKC_E_FORMAT, "feature_indices_ does not fit n_values_");
        goto done;
    }
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    k.f = f;
    k.off = calloc((size_t)f + 1, sizeof(*k.off));
    widths = calloc((size_t)(f ? f : 1), sizeof(*widths));
    unk = malloc((size_t)(f ? f : 1) * sizeof(*unk));
    if (!k.off || !widths || !unk) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < f; i++) {
        if (nv[i] < 0 || nv[i] > ENC_MAX_CATEGORIES || fi[i + 1] - fi[i] != nv[i] ||
            (double)k.off[i] + nv[i] > ENC_MAX_CATEGORIES) {
            rc = sk_fail(c, SKC_E_FORMAT, "n_values_[%lld] does not fit feature_indices_",
                         (long long)i);
            goto done;
        }
        k.off[i + 1] = k.off[i] + (int64_t)nv[i];
        unk[i] = -1.0;
    }
    k.num = malloc((size_t)(k.off[f] ? k.off[f] : 1) * sizeof(double));
    vals = malloc((size_t)(k.off[f] ? k.off[f] : 1) * sizeof(double));
    if (!k.num || !vals) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    {
        int64_t a = 0;
        for (i = 0; i < f; i++) {
            for (v = 0; v < (int64_t)nv[i]; v++) {
                double full = fi[i] + (double)v;
                int64_t at = k.off[i] + v;
                k.num[at] = (double)v;
                vals[at] = -1.0;
                if (!act) {
                    vals[at] = (double)widths[i]++;
                } else {
                    while (a < na && act[a] < full)
                        a++;
                    if (a < na && act[a] == full)
                        vals[at] = (double)widths[i]++;
                }
            }
            total += widths[i];
        }
    }
    if ((rc = enc_emit_map(c, in, &k, vals, unk, 1, coded)) ||
        (rc = enc_emit_onehot(c, coded, widths, f, out)))
        goto done;
    *out_width = total;
done:
    enc_cats_free(&k);
    free(nv);
    free(fi);
    free(act);
    free(vals);
    free(unk);
    free(widths);
    return rc;
}

static int enc_onehot(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *drop, *infreq, *maps, *nouts;
    const char *hu = sk_attr_str(est, "handle_unknown");
    double *vals = NULL, *unk = NULL;
    int64_t *widths = NULL, i, j, total = 0;
    int infreq_unknown, infreq_on, rc;
    enc_cats k;
    char coded[64];

    if (skp_bool(est, "_legacy_mode", 0) ||
        (!pk_attr(est, "categories_") && pk_attr(est, "feature_indices_")))
        return enc_onehot_legacy(c, est, in, in_width, out, out_width);
    if ((rc = enc_read_categories(c, pk_attr(est, "categories_"), &k)))
        return rc;
    k.unknown_err = !hu || strcmp(hu, "error") == 0;
    if ((rc = sk_check_width(c, in, in_width, k.f)))
        goto done;
    infreq_unknown = hu && strcmp(hu, "infrequent_if_exist") == 0;
    infreq_on = skp_bool(est, "_infrequent_enabled", 0);
    infreq = infreq_on ? pk_attr(est, "_infrequent_indices") : NULL;
    maps = infreq_on ? pk_attr(est, "_default_to_infrequent_mappings") : NULL;
    /* 1.3 + keeps drop_idx_ in categories_ space and the grouped one apart. */
    drop = pk_attr(est, "_drop_idx_after_grouping");
    if (!drop)
        drop = pk_attr(est, "drop_idx_");
    nouts = pk_attr(est, "_n_features_outs");
    vals = malloc((size_t)(k.off[k.f] ? k.off[k.f] : 1) * sizeof(*vals));
    unk = malloc((size_t)(k.f ? k.f : 1) * sizeof(*unk));
    widths = calloc((size_t)(k.f ? k.f : 1), sizeof(*widths));
    if (!vals || !unk || !widths) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < k.f; i++) {
        const pk_obj *map = enc_list_item(maps, i), *inf = enc_list_item(infreq, i);
        int64_t n = k.off[i + 1] - k.off[i], d, g, w = n, inf0 = -1, mx = -1;
        pk_array_info ai;
        if ((rc = enc_drop_at(drop, i, &d)) != SKC_OK) {
            rc = sk_fail(c, SKC_E_FORMAT, "drop_idx_[%lld] is unreadable", (long long)i);
            goto done;
        }
        if (map && (pk_kind_of(map) != PK_ARRAY || pk_array(map, &ai) != SKC_OK ||
                    ai.ndim != 1 || ai.shape[0] != n)) {
            rc = sk_fail(c, SKC_E_FORMAT, "_default_to_infrequent_mappings[%lld] does not "
                         "fit categories_", (long long)i);
            goto done;
        }
        if (inf && pk_array_get_i64(inf, 0, &inf0) != SKC_OK) {
            rc = sk_fail(c, SKC_E_FORMAT, "_infrequent_indices[%lld] is unreadable",
                         (long long)i);
            goto done;
        }
        for (j = 0; j < n; j++) {
            g = j;
            if (map && (pk_array_get_i64(map, (size_t)j, &g) != SKC_OK || g < 0 || g >= n)) {
                rc = sk_fail(c, SKC_E_FORMAT, "_default_to_infrequent_mappings[%lld] is "
                             "unreadable or out of range", (long long)i);
                goto done;
            }
            if (g > mx)
                mx = g;
        }
        /* Grouped width: the frequent categories plus one infrequent column. */
        if (map)
            w = mx + 1;
        if (d >= w) {
            rc = sk_fail(c, SKC_E_FORMAT, "drop_idx_[%lld] = %lld is outside the %lld columns",
                         (long long)i, (long long)d, (long long)w);
            goto done;
        }
        for (j = 0; j < n; j++) {
            g = j;
            if (map)
                pk_array_get_i64(map, (size_t)j, &g);
            if (d >= 0 && g == d)
                g = -1;
            else if (d >= 0 && g > d)
                g--;
            vals[k.off[i] + j] = (double)g;
        }
        if (d >= 0)
            w--;
        unk[i] = -1.0;
        if (inf && map && infreq_unknown && inf0 >= 0 && inf0 < n) {
            g = (int64_t)vals[k.off[i] + inf0];
            unk[i] = (double)g;
        }
        if (nouts && pk_kind_of(nouts) != PK_NONE) {
            int64_t want;
            const pk_obj *e = pk_kind_of(nouts) == PK_ARRAY ? NULL : pk_item(nouts, (size_t)i);
            if ((e ? pk_int(e, &want) : pk_array_get_i64(nouts, (size_t)i, &want)) != SKC_OK ||
                want != w) {
                rc = sk_fail(c, SKC_E_FORMAT, "feature %lld: %lld output columns computed, "
                             "_n_features_outs disagrees", (long long)i, (long long)w);
                goto done;
            }
        }
        widths[i] = w;
        total += w;
    }
    if ((rc = enc_emit_map(c, in, &k, vals, unk, 0, coded)) ||
        (rc = enc_emit_onehot(c, coded, widths, k.f, out)))
        goto done;
    *out_width = total;
done:
    enc_cats_free(&k);
    free(vals);
    free(unk);
    free(widths);
    return rc;
}

/* ---- OrdinalEncoder ------------------------------------------------------------ */

static int enc_ordinal(sk_ctx *c, const pk_obj *est, const char *in,
                       int64_t in_width, char *out, int64_t *out_width)
{
    const char *hu = sk_attr_str(est, "handle_unknown");
    const pk_obj *miss = pk_attr(est, "_missing_indices");
    const pk_obj *maps = skp_bool(est, "_infrequent_enabled", 0)
                         ? pk_attr(est, "_default_to_infrequent_mappings") : NULL;
    double *vals = NULL, *unk = NULL, unknown_value = NAN, missing_value = NAN;
    int64_t i, j;
    enc_cats k;
    int rc;

    if ((rc = enc_read_categories(c, pk_attr(est, "categories_"), &k)))
        return rc;
    k.unknown_err = !hu || strcmp(hu, "error") == 0;
    if ((rc = sk_check_width(c, in, in_width, k.f)))
        goto done;
    if (hu && strcmp(hu, "use_encoded_value") == 0 &&
        skp_float(est, "unknown_value", &unknown_value) != SKC_OK) {
        rc = sk_fail(c, SKC_E_FORMAT, "handle_unknown='use_encoded_value' without a "
                     "numeric unknown_value");
        goto done;
    }
    if (skp_float(est, "encoded_missing_value", &missing_value) == SKC_E_INVAL) {
        rc = sk_fail(c, SKC_E_FORMAT, "encoded_missing_value is not a number");
        goto done;
    }
    vals = malloc((size_t)(k.off[k.f] ? k.off[k.f] : 1) * sizeof(*vals));
    unk = malloc((size_t)(k.f ? k.f : 1) * sizeof(*unk));
    if (!vals || !unk) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < k.f; i++) {
        const pk_obj *map = enc_list_item(maps, i);
        for (j = k.off[i]; j < k.off[i + 1]; j++) {
            int64_t g = j - k.off[i];
            if (map && pk_array_get_i64(map, (size_t)g, &g) != SKC_OK) {
                rc = sk_fail(c, SKC_E_FORMAT, "_default_to_infrequent_mappings unreadable");
                goto done;
            }
            vals[j] = (double)g;
        }
        unk[i] = unknown_value;
    }
    /* _missing_indices {feature: index of NaN in categories_} (1.1 +): those
     * codes become encoded_missing_value. */
    if (miss && pk_kind_of(miss) == PK_DICT) {
        for (size_t e = 0; e < pk_dict_len(miss); e++) {
            int64_t fi, ci;
            if (pk_int(pk_dict_key(miss, e), &fi) != SKC_OK ||
                pk_int(pk_dict_value(miss, e), &ci) != SKC_OK ||
                fi < 0 || fi >= k.f || ci < 0 || ci >= k.off[fi + 1] - k.off[fi]) {
                rc = sk_fail(c, SKC_E_FORMAT, "_missing_indices is malformed");
                goto done;
            }
            vals[k.off[fi] + ci] = missing_value;
        }
    }
    if ((rc = enc_emit_map(c, in, &k, vals, unk, 0, out)))
        goto done;
    *out_width = k.f;
done:
    enc_cats_free(&k);
    free(vals);
    free(unk);
    return rc;
}

/* ---- KBinsDiscretizer -------------------------------------------------------------- */

static int enc_kbins(sk_ctx *c, const pk_obj *est, const char *in,
                     int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *edges = pk_attr(est, "bin_edges_");
    const char *enc = sk_attr_str(est, "encode");
    double *nb = NULL, *e = NULL;
    int64_t f, i, j, ne, b = 1, *nbins = NULL, shape[2], total = 0;
    skc_tensor *et = NULL, *nt = NULL;
    pk_array_info ai;
    char binned[64];
    skc_step *st;
    int rc, old = !skp_version_at_least(est, 1, 1);

    if (!enc)
        enc = "onehot";
    if (strcmp(enc, "onehot") && strcmp(enc, "onehot-dense") && strcmp(enc, "ordinal"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "KBinsDiscretizer encode '%s'", enc);
    if ((rc = skp_doubles(c, pk_attr(est, "n_bins_"), "n_bins_", &nb, &f)))
        return rc;
    if (!edges || pk_kind_of(edges) != PK_ARRAY || pk_array(edges, &ai) != SKC_OK ||
        ai.ndim != 1 || ai.shape[0] != f) {
        rc = sk_fail(c, SKC_E_FORMAT, "bin_edges_ is not an array of %lld edge arrays",
                     (long long)f);
        goto done;
    }
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    nbins = malloc((size_t)(f ? f : 1) * sizeof(*nbins));
    if (!nbins) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < f; i++) {
        if (nb[i] < 1 || nb[i] > 1e6) {
            rc = sk_fail(c, SKC_E_FORMAT, "n_bins_[%lld] = %g", (long long)i, nb[i]);
            goto done;
        }
        nbins[i] = (int64_t)nb[i];
        if (nbins[i] - 1 > b)
            b = nbins[i] - 1;
        total += nbins[i];
    }
    /* The inner edges, one row per feature, padded with +inf (never <= a
     * finite value; the clip to n_bins - 1 covers +inf itself). */
    if (f > 0 && b > ENC_MAX_EDGES / f) {
        rc = sk_fail(c, SKC_E_LIMIT, "%lld features of up to %lld bins are too many to pad",
                     (long long)f, (long long)b + 1);
        goto done;
    }
    shape[0] = f;
    shape[1] = b;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, &et)) ||
        (rc = skc_tensor_from_i64(nbins, f, &nt)))
        goto done;
    for (i = 0; i < f; i++) {
        double *row = (double *)skc_tensor_data_mut(et) + i * b;
        free(e);
        e = NULL;
        if ((rc = skp_doubles(c, pk_array_object(edges, (size_t)i), "bin_edges_[i]", &e, &ne)))
            goto done;
        if (ne != nbins[i] + 1) {
            rc = sk_fail(c, SKC_E_FORMAT, "bin_edges_[%lld] has %lld edges for %lld bins",
                         (long long)i, (long long)ne, (long long)nbins[i]);
            goto done;
        }
        for (j = 0; j < b; j++)
            row[j] = j + 1 < ne - 1 ? e[j + 1] : INFINITY;
    }
    sk_new_name(c, "binned", binned);
    if ((rc = sk_step(c, "bucketize", in, binned, &st)) ||
        (rc = skc_step_set_tensor(st, "edges", et)) ||
        (rc = skc_step_set_tensor(st, "n_bins", nt)))
        goto done;
    /* sklearn < 1.1: np.digitize(x + atol + rtol |x|, edges[1:]), clipped. */
    if (old && ((rc = skc_step_set_float(st, "rtol", 1e-5)) ||
                (rc = skc_step_set_float(st, "atol", 1e-8))))
        goto done;
    if (strcmp(enc, "ordinal") == 0) {
        snprintf(out, 64, "%s", binned);
        *out_width = f;
    } else {
        if ((rc = enc_emit_onehot(c, binned, nbins, f, out)))
            goto done;
        *out_width = total;
    }
done:
    free(nb);
    free(e);
    free(nbins);
    skc_tensor_free(et);
    skc_tensor_free(nt);
    return rc;
}

/* ---- LabelEncoder and LabelBinarizer ------------------------------------------------- */

/* classes_ as the categories of one feature. */
static int enc_label_cats(sk_ctx *c, const pk_obj *est, enc_cats *k)
{
    const pk_obj *cl = pk_attr(est, "classes_");
    pk_array_info ai;
    int rc;

    if (!cl || pk_kind_of(cl) != PK_ARRAY || pk_array(cl, &ai) != SKC_OK || ai.ndim != 1)
        return sk_fail(c, SKC_E_FORMAT, "classes_ is missing or not a 1-D array");
    memset(k, 0, sizeof(*k));
    {
        int64_t n = ai.shape[0], j;
        k->f = 1;
        k->off = calloc(2, sizeof(*k->off));
        if (!k->off)
            return SKC_E_NOMEM;
        k->off[1] = n;
        k->is_str = ai.kind == 'U' || ai.kind == 'S' || ai.kind == 'O';
        if (k->is_str)
            k->str = calloc((size_t)(n ? n : 1), sizeof(*k->str));
        else
            k->num = calloc((size_t)(n ? n : 1), sizeof(*k->num));
        if (!k->str && !k->num) {
            enc_cats_free(k);
            return SKC_E_NOMEM;
        }
        for (j = 0; j < n; j++) {
            if (!k->is_str) {
                if (pk_array_get_f64(cl, (size_t)j, &k->num[j]) != SKC_OK) {
                    enc_cats_free(k);
                    return sk_fail(c, SKC_E_FORMAT, "classes_[%lld] unreadable", (long long)j);
                }
                continue;
            }
            {
                char buf[ENC_STR_MAX];
                const char *s = buf;
                size_t len;
                if (ai.kind == 'O') {
                    const pk_obj *e = pk_array_object(cl, (size_t)j);
                    int64_t iv;
                    if (e && pk_str(e, &s, &len) == SKC_OK) {
                        /* s is the string */
                    } else if (e && pk_int(e, &iv) == SKC_OK) {
                        snprintf(buf, sizeof(buf), "%lld", (long long)iv);
                        s = buf;
                    } else {
                        enc_cats_free(k);
                        return sk_fail(c, SKC_E_UNSUPPORTED, "classes_[%lld] is neither a "
                                       "string nor an integer", (long long)j);
                    }
                } else if ((rc = pk_array_get_str(cl, (size_t)j, buf, sizeof(buf)))) {
                    enc_cats_free(k);
                    return sk_fail(c, SKC_E_FORMAT, "classes_[%lld] unreadable", (long long)j);
                }
                if (!(k->str[j] = malloc(strlen(s) + 1))) {
                    enc_cats_free(k);
                    return SKC_E_NOMEM;
                }
                strcpy(k->str[j], s);
            }
        }
    }
    return SKC_OK;
}

static int enc_label_encoder(sk_ctx *c, const pk_obj *est, const char *in,
                             int64_t in_width, char *out, int64_t *out_width)
{
    double *vals = NULL, unk = NAN;
    int64_t j;
    enc_cats k;
    int rc;

    if ((rc = enc_label_cats(c, est, &k)))
        return rc;
    k.unknown_err = 1;      /* LabelEncoder.transform refuses unseen labels */
    if ((rc = sk_check_width(c, in, in_width, 1)))
        goto done;
    vals = malloc((size_t)(k.off[1] ? k.off[1] : 1) * sizeof(*vals));
    if (!vals) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (j = 0; j < k.off[1]; j++)
        vals[j] = (double)j;
    if ((rc = enc_emit_map(c, in, &k, vals, &unk, 0, out)) == SKC_OK)
        *out_width = 1;
done:
    enc_cats_free(&k);
    free(vals);
    return rc;
}

static int enc_label_binarizer(sk_ctx *c, const pk_obj *est, const char *in,
                               int64_t in_width, char *out, int64_t *out_width)
{
    const char *yt = sk_attr_str(est, "y_type_");
    double *vals = NULL, unk = -1.0, neg = 0.0, pos = 1.0;
    int64_t j, n;
    enc_cats k;
    char coded[64];
    int rc;

    if (yt && strcmp(yt, "binary") && strcmp(yt, "multiclass"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "LabelBinarizer of %s targets", yt);
    skp_float(est, "neg_label", &neg);
    skp_float(est, "pos_label", &pos);
    if (neg != 0.0 || pos != 1.0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "LabelBinarizer with neg_label=%g, pos_label=%g "
                       "(only 0 and 1)", neg, pos);
    if ((rc = enc_label_cats(c, est, &k)))
        return rc;
    if ((rc = sk_check_width(c, in, in_width, 1)))
        goto done;
    n = k.off[1];
    vals = malloc((size_t)(n ? n : 1) * sizeof(*vals));
    if (!vals) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if (n <= 2) {
        /* Two classes give one column: 1 for classes_[1]; unknown gives 0. */
        for (j = 0; j < n; j++)
            vals[j] = (double)j;
        unk = 0.0;
        if ((rc = enc_emit_map(c, in, &k, vals, &unk, 0, out)) == SKC_OK)
            *out_width = 1;
    } else {
        for (j = 0; j < n; j++)
            vals[j] = (double)j;
        if ((rc = enc_emit_map(c, in, &k, vals, &unk, 0, coded)) ||
            (rc = enc_emit_onehot(c, coded, &n, 1, out)))
            goto done;
        *out_width = n;
    }
done:
    enc_cats_free(&k);
    free(vals);
    return rc;
}

const sk_family sk_prep_encode_families[] = {
    { "sklearn.preprocessing.OneHotEncoder", SK_TRANSFORMER, enc_onehot },
    { "sklearn.preprocessing.OrdinalEncoder", SK_TRANSFORMER, enc_ordinal },
    { "sklearn.preprocessing.KBinsDiscretizer", SK_TRANSFORMER, enc_kbins },
    { "sklearn.preprocessing.LabelEncoder", SK_TRANSFORMER, enc_label_encoder },
    { "sklearn.preprocessing.LabelBinarizer", SK_TRANSFORMER, enc_label_binarizer },
    { NULL, 0, NULL }
};
