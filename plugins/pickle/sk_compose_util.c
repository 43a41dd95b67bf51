/* SPDX-License-Identifier: MIT */
/* sk_compose_util.c: helpers shared by the composition lifters: column selectors and names, inner estimators, decision functions, common steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sk_compose.h"

int skm_is_str(const pk_obj *o, const char *s)
{
    const char *v;
    size_t len;

    return o && pk_kind_of(o) == PK_STR && pk_str(o, &v, &len) == SKC_OK && strcmp(v, s) == 0;
}

int skm_is_passthrough(const pk_obj *o)
{
    return !o || pk_kind_of(o) == PK_NONE || skm_is_str(o, "passthrough");
}

/* Column counts beyond this are refused before anything is allocated for them. */
#define SKM_MAX_COLUMNS ((int64_t)1 << 28)

/* ---- names ------------------------------------------------------------------ */

static const pk_obj *skm_index_data(const pk_obj *o)
{
    const pk_obj *args, *d;
    size_t i;

    /* pandas pickles an Index as _new_Index(cls, {'data': ndarray, 'name': ...}). */
    if (pk_kind_of(o) != PK_REDUCE || !(args = pk_reduce_args(o)))
        return NULL;
    for (i = 0; i < pk_len(args); i++) {
        d = pk_item(args, i);
        if (pk_kind_of(d) == PK_DICT && (d = pk_dict_get(d, "data")) != NULL)
            return d;
    }
    return NULL;
}

/* A pyarrow string array as pickled by _restore_array((type, length,
 * null_count, offset, [validity, offsets, data], children, dictionary)):
 * offsets are int32 ('string') or int64 ('large_string'). */
static int skm_arrow_strings(sk_ctx *c, const pk_obj *arr, skc_tensor **names)
{
    const pk_obj *args = pk_reduce_args(arr), *spec, *ty, *bufs, *ob, *db;
    const char *tname, *offs, *data;
    size_t olen, dlen, len;
    int64_t n, nulls, start, i, a, b;
    int wide, rc;

    spec = args ? pk_item(args, 0) : NULL;
    if (!spec || pk_len(spec) < 5 || !(ty = pk_item(spec, 0)) ||
        !pk_reduce_args(ty) || pk_str(pk_item(pk_reduce_args(ty), 0), &tname, &len) != SKC_OK ||
        pk_int(pk_item(spec, 1), &n) != SKC_OK || pk_int(pk_item(spec, 2), &nulls) != SKC_OK ||
        pk_int(pk_item(spec, 3), &start) != SKC_OK || !(bufs = pk_item(spec, 4)) ||
        pk_len(bufs) != 3)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a pyarrow array layout skconv does not know");
    if (strcmp(tname, "string") && strcmp(tname, "large_string") && strcmp(tname, "utf8") &&
        strcmp(tname, "large_utf8"))
        return sk_fail(c, SKC_E_UNSUPPORTED, "a pyarrow array of type %s", tname);
    wide = strncmp(tname, "large", 5) == 0;
    if (nulls != 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "column names with nulls");
    ob = pk_reduce_args(pk_item(bufs, 1));
    db = pk_reduce_args(pk_item(bufs, 2));
    if (!ob || !db || pk_str(pk_item(ob, 0), &offs, &olen) != SKC_OK ||
        pk_str(pk_item(db, 0), &data, &dlen) != SKC_OK || n < 0 || start < 0 ||
        (uint64_t)(start + n + 1) > olen / (wide ? 8 : 4))
        return sk_fail(c, SKC_E_FORMAT, "a pyarrow string array with short buffers");
    if ((rc = skc_tensor_new(SKC_DT_STRING, 1, &n, names)))
        return rc;
    for (i = 0; i < n; i++) {
        if (wide) {
            int64_t x, y;
            memcpy(&x, offs + (start + i) * 8, 8);
            memcpy(&y, offs + (start + i + 1) * 8, 8);
            a = x;
            b = y;
        } else {
            int32_t x, y;
            memcpy(&x, offs + (start + i) * 4, 4);
            memcpy(&y, offs + (start + i + 1) * 4, 4);
            a = x;
            b = y;
        }
        if (a < 0 || b < a || (uint64_t)b > dlen) {
            skc_tensor_free(*names);
            *names = NULL;
            return sk_fail(c, SKC_E_FORMAT, "a pyarrow string array with bad offsets");
        }
        if ((rc = skc_tensor_set_string(*names, i, data + a, (size_t)(b - a)))) {
            skc_tensor_free(*names);
            *names = NULL;
            return rc;
        }
    }
    return SKC_OK;
}

int skm_names(sk_ctx *c, const pk_obj *o, const char *what, skc_tensor **names)
{
    pk_array_info ai;
    skc_tensor *t = NULL;
    char buf[1024];
    const char *s;
    size_t len;
    int64_t n, i;
    int rc = SKC_OK, arr;

    *names = NULL;
    if (!o || pk_kind_of(o) == PK_NONE)
        return SKC_OK;
    if (pk_kind_of(o) == PK_REDUCE && !(o = skm_index_data(o)))
        return SKC_OK;
    if (pk_kind_of(o) == PK_INSTANCE) {
        /* pandas extension arrays: ArrowStringArray (pyarrow buffers) and
         * StringArray (an object ndarray). */
        const pk_obj *pa = pk_attr(o, "_pa_array"), *nd = pk_attr(o, "_ndarray");
        if (pa && pk_kind_of(pa) == PK_REDUCE)
            return skm_arrow_strings(c, pa, names);
        if (nd && pk_kind_of(nd) == PK_ARRAY)
            return skm_names(c, nd, what, names);
        return SKC_OK;
    }
    arr = pk_kind_of(o) == PK_ARRAY;
    if (arr) {
        /* A 0-d array holds one name (sklearn2pmml with a single column). */
        if (pk_array(o, &ai) != SKC_OK || ai.ndim > 1)
            return sk_fail(c, SKC_E_FORMAT, "%s is not a 1-D array", what);
        if (ai.kind != 'U' && ai.kind != 'S' && ai.kind != 'O')
            return SKC_OK;   /* integer column labels: no names */
        n = ai.ndim ? ai.shape[0] : 1;
    } else if (pk_kind_of(o) == PK_LIST || pk_kind_of(o) == PK_TUPLE) {
        n = (int64_t)pk_len(o);
    } else {
        return sk_fail(c, SKC_E_FORMAT, "%s is a %s, not a list of column names", what,
                       pk_kind_name(pk_kind_of(o)));
    }
    if ((rc = skc_tensor_new(SKC_DT_STRING, 1, &n, &t)))
        return rc;
    for (i = 0; i < n && rc == SKC_OK; i++) {
        const pk_obj *e = NULL;
        if (arr && ai.kind != 'O') {
            if ((rc = pk_array_get_str(o, (size_t)i, buf, sizeof(buf))) == SKC_OK)
                rc = skc_tensor_set_string(t, i, buf, strlen(buf));
            continue;
        }
        e = arr ? pk_array_object(o, (size_t)i) : pk_item(o, (size_t)i);
        if (!e || pk_str(e, &s, &len) != SKC_OK) {
            /* Mixed or integer labels: sklearn records no names then. */
            skc_tensor_free(t);
            return SKC_OK;
        }
        rc = skc_tensor_set_string(t, i, s, len);
    }
    if (rc) {
        skc_tensor_free(t);
        return rc;
    }
    *names = t;
    return SKC_OK;
}

int64_t skm_name_index(const skc_tensor *names, const char *name)
{
    int64_t i;

    for (i = 0; names && i < skc_tensor_numel(names); i++)
        if (strcmp(skc_tensor_string(names, i, NULL), name) == 0)
            return i;
    return -1;
}

/* ---- column selectors ------------------------------------------------------- */

static int skm_name_to_col(sk_ctx *c, const skc_tensor *names, const char *name, int64_t *col)
{
    if (!names)
        return sk_fail(c, SKC_E_UNSUPPORTED, "column '%s' is selected by name, but the "
                       "names of the input columns are not recorded (fit on a DataFrame "
                       "with sklearn 1.0 +, or a PMMLPipeline, records them)", name);
    *col = skm_name_index(names, name);
    if (*col < 0)
        return sk_fail(c, SKC_E_FORMAT, "column '%s' is not among the input columns", name);
    return SKC_OK;
}

static int skm_int_to_col(sk_ctx *c, int64_t v, int64_t width, int64_t *col)
{
    if (v < 0 && width >= 0)
        v += width;
    if (v < 0 || (width >= 0 && v >= width))
        return sk_fail(c, SKC_E_FORMAT, "column index %lld of %lld columns", (long long)v,
                       (long long)width);
    *col = v;
    return SKC_OK;
}

/* One element of a list selector: an int, a str or a bool. */
static int skm_elem(sk_ctx *c, const pk_obj *e, const skc_tensor *names, int64_t width,
                    int64_t pos, int64_t *col, int *take, int *is_bool)
{
    const char *s;
    size_t len;
    int64_t v;
    int b;

    *take = 1;
    if (pk_kind_of(e) == PK_BOOL && pk_bool(e, &b) == SKC_OK) {
        *is_bool = 1;
        *take = b;
        *col = pos;
        return SKC_OK;
    }
    if (pk_str(e, &s, &len) == SKC_OK)
        return skm_name_to_col(c, names, s, col);
    if (pk_int(e, &v) == SKC_OK)
        return skm_int_to_col(c, v, width, col);
    return sk_fail(c, SKC_E_UNSUPPORTED, "a column selector holds a %s",
                   pk_kind_name(pk_kind_of(e)));
}

/* A slice: of ints, Python semantics; of strs, both ends included (pandas .loc). */
static int skm_slice(sk_ctx *c, const pk_obj *args, const skc_tensor *names, int64_t width,
                     int64_t **idx, int64_t *k)
{
    const pk_obj *a = pk_item(args, 0), *b = pk_item(args, 1), *st = pk_item(args, 2);
    const char *s;
    size_t len;
    int64_t start = 0, stop = width, step = 1, n = 0, i, *v;
    int by_name = 0, rc;

    if (width < 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a slice selector over an input of unknown width");
    if (width > SKM_MAX_COLUMNS)
        return sk_fail(c, SKC_E_LIMIT, "an input of %lld columns", (long long)width);
    if (st && pk_kind_of(st) != PK_NONE &&
        (pk_int(st, &step) != SKC_OK || step == 0 || step < -SKM_MAX_COLUMNS ||
         step > SKM_MAX_COLUMNS))
        return sk_fail(c, SKC_E_UNSUPPORTED, "a slice selector with step that is not a "
                       "non-zero integer");
    if (a && pk_kind_of(a) != PK_NONE) {
        if (pk_str(a, &s, &len) == SKC_OK) {
            by_name = 1;
            if ((rc = skm_name_to_col(c, names, s, &start)))
                return rc;
        } else if (pk_int(a, &start) == SKC_OK) {
            start = start < 0 ? start + width : start;
        } else {
            return sk_fail(c, SKC_E_UNSUPPORTED, "a slice selector starts at a %s",
                           pk_kind_name(pk_kind_of(a)));
        }
    } else if (step < 0) {
        start = width - 1;
    }
    if (b && pk_kind_of(b) != PK_NONE) {
        if (pk_str(b, &s, &len) == SKC_OK) {
            by_name = 1;
            if ((rc = skm_name_to_col(c, names, s, &stop)))
                return rc;
            stop++;
        } else if (pk_int(b, &stop) == SKC_OK) {
            stop = stop < 0 ? stop + width : stop;
        } else {
            return sk_fail(c, SKC_E_UNSUPPORTED, "a slice selector stops at a %s",
                           pk_kind_name(pk_kind_of(b)));
        }
    } else if (step < 0) {
        stop = -1;
    }
    if (by_name && step != 1)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a slice of column names with a step");
    if (step > 0) {
        start = start < 0 ? 0 : start > width ? width : start;
        stop = stop < 0 ? 0 : stop > width ? width : stop;
    } else {
        start = start < -1 ? -1 : start > width - 1 ? width - 1 : start;
        stop = stop < -1 ? -1 : stop > width - 1 ? width - 1 : stop;
    }
    /* Count first: the width comes from the file. */
    if (step > 0 && stop > start)
        n = (stop - start + step - 1) / step;
    else if (step < 0 && start > stop)
        n = (start - stop + (-step) - 1) / (-step);
    if (!(v = malloc((size_t)(n ? n : 1) * sizeof(*v))))
        return SKC_E_NOMEM;
    n = 0;
    for (i = start; step > 0 ? i < stop : i > stop; i += step)
        v[n++] = i;
    *idx = v;
    *k = n;
    return SKC_OK;
}

int skm_select(sk_ctx *c, const pk_obj *sel, const skc_tensor *names, int64_t width,
               int64_t **idx, int64_t *k, int *scalar)
{
    const char *mod, *name;
    const pk_obj *items = sel;
    pk_array_info ai;
    int64_t *v = NULL, n, i, m = 0, col;
    int rc = SKC_OK, take, is_bool = 0, arr = 0;
    char buf[1024];

    *scalar = 0;
    if (!sel)
        return sk_fail(c, SKC_E_FORMAT, "a column selector is missing");
    switch (pk_kind_of(sel)) {
    case PK_STR:
    case PK_INT:
    case PK_SCALAR:
        if (!(v = malloc(sizeof(*v))))
            return SKC_E_NOMEM;
        if ((rc = skm_elem(c, sel, names, width, 0, &v[0], &take, &is_bool)) || is_bool) {
            free(v);
            return rc ? rc : sk_fail(c, SKC_E_UNSUPPORTED, "a boolean column selector");
        }
        *idx = v;
        *k = 1;
        *scalar = 1;
        return SKC_OK;
    case PK_REDUCE:
        if (pk_class_name(sel, &mod, &name) == SKC_OK && strcmp(mod, "builtins") == 0 &&
            strcmp(name, "slice") == 0)
            return skm_slice(c, pk_reduce_args(sel), names, width, idx, k);
        break;
    case PK_INSTANCE: {
        skc_tensor *sn = NULL;
        /* _RemainderColsList (sklearn 1.4 +) is a list subclass. */
        if ((items = pk_instance_items(sel)) != NULL)
            return skm_select(c, items, names, width, idx, k, scalar);
        /* A pandas string array of column names. */
        if ((rc = skm_names(c, sel, "a column selector", &sn)))
            return rc;
        if (sn) {
            n = skc_tensor_numel(sn);
            if (!(v = malloc((size_t)(n ? n : 1) * sizeof(*v)))) {
                skc_tensor_free(sn);
                return SKC_E_NOMEM;
            }
            for (i = 0; i < n && rc == SKC_OK; i++)
                rc = skm_name_to_col(c, names, skc_tensor_string(sn, i, NULL), &v[i]);
            skc_tensor_free(sn);
            if (rc) {
                free(v);
                return rc;
            }
            *idx = v;
            *k = n;
            return SKC_OK;
        }
        break;
    }
    case PK_ARRAY:
        arr = 1;
        if (pk_array(sel, &ai) != SKC_OK || ai.ndim != 1)
            return sk_fail(c, SKC_E_UNSUPPORTED, "a column selector array that is not 1-D");
        break;
    case PK_LIST:
    case PK_TUPLE:
        break;
    default:
        break;
    }
    if (!arr && pk_kind_of(sel) != PK_LIST && pk_kind_of(sel) != PK_TUPLE) {
        if (pk_kind_of(sel) == PK_GLOBAL || pk_kind_of(sel) == PK_INSTANCE ||
            pk_kind_of(sel) == PK_REDUCE)
            return sk_fail(c, SKC_E_UNSUPPORTED, "a callable column selector (%s) is code; "
                           "sklearn 0.22 + stores the columns it chose in transformers_, "
                           "older files cannot be converted",
                           pk_kind_name(pk_kind_of(sel)));
        return sk_fail(c, SKC_E_UNSUPPORTED, "a column selector that is a %s",
                       pk_kind_name(pk_kind_of(sel)));
    }
    n = arr ? ai.shape[0] : (int64_t)pk_len(sel);
    if (!(v = malloc((size_t)(n ? n : 1) * sizeof(*v))))
        return SKC_E_NOMEM;
    for (i = 0; i < n; i++) {
        take = 1;
        if (arr && (ai.kind == 'U' || ai.kind == 'S')) {
            if ((rc = pk_array_get_str(sel, (size_t)i, buf, sizeof(buf))) ||
                (rc = skm_name_to_col(c, names, buf, &col)))
                break;
        } else if (arr && ai.kind == 'b') {
            double b;
            if ((rc = pk_array_get_f64(sel, (size_t)i, &b)))
                break;
            is_bool = 1;
            take = b != 0.0;
            col = i;
        } else if (arr && (ai.kind == 'i' || ai.kind == 'u')) {
            int64_t iv;
            if ((rc = pk_array_get_i64(sel, (size_t)i, &iv)) ||
                (rc = skm_int_to_col(c, iv, width, &col)))
                break;
        } else if (arr && ai.kind != 'O') {
            rc = sk_fail(c, SKC_E_UNSUPPORTED, "a column selector array of numpy kind '%c'",
                         ai.kind);
            break;
        } else if ((rc = skm_elem(c, arr ? pk_array_object(sel, (size_t)i) : pk_item(sel, (size_t)i),
                                  names, width, i, &col, &take, &is_bool))) {
            break;
        }
        if (take)
            v[m++] = col;
    }
    if (rc == SKC_OK && is_bool && width >= 0 && n != width)
        rc = sk_fail(c, SKC_E_FORMAT, "a boolean column mask of %lld entries for %lld columns",
                     (long long)n, (long long)width);
    if (rc) {
        free(v);
        return rc;
    }
    *idx = v;
    *k = m;
    return SKC_OK;
}

/* ---- inner estimators ----------------------------------------------------------- */

static int skm_lift_nonfinal(sk_ctx *c, const pk_obj *est, const char *what, const char *in,
                             int64_t in_width, char *out, int64_t *out_width, int *role,
                             int inner)
{
    size_t plen = strlen(c->path);
    int final = c->final, was = c->inner, rc;

    snprintf(c->path + plen, sizeof(c->path) - plen, "[%s]", what);
    c->final = 0;
    c->inner = inner;
    rc = sk_lift_estimator(c, est, in, in_width, out, out_width, role);
    c->final = final;
    c->inner = was;
    if (rc == SKC_OK)
        c->path[plen] = '\0';
    return rc;
}

int skm_lift_inner(sk_ctx *c, const pk_obj *est, const char *what, const char *in,
                   int64_t in_width, char *out, int64_t *out_width, int *role)
{
    return skm_lift_nonfinal(c, est, what, in, in_width, out, out_width, role, 1);
}

int skm_lift_transformer(sk_ctx *c, const pk_obj *est, const char *what, const char *in,
                         int64_t in_width, char *out, int64_t *out_width, int *role)
{
    return skm_lift_nonfinal(c, est, what, in, in_width, out, out_width, role, 0);
}

const pk_obj *skm_final_estimator(const pk_obj *est)
{
    const char *canon;
    const pk_obj *steps, *last, *o;
    int depth;

    for (depth = 0; est && depth < 32; depth++) {
        canon = sk_canonical(est, NULL, NULL);
        if (!canon)
            return est;
        if (strcmp(canon, "sklearn.pipeline.Pipeline") == 0 ||
            strcmp(canon, "sklearn2pmml.pipeline.PMMLPipeline") == 0 ||
            strcmp(canon, "sklearn_pandas.pipeline.TransformerPipeline") == 0) {
            steps = pk_attr(est, "steps");
            if (!steps || pk_len(steps) == 0 || !(last = pk_item(steps, pk_len(steps) - 1)))
                return est;
            est = pk_item(last, 1);
        } else if (strcmp(canon, "sklearn.model_selection.GridSearchCV") == 0 ||
                   strcmp(canon, "sklearn.model_selection.RandomizedSearchCV") == 0) {
            est = pk_attr(est, "best_estimator_");
        } else if (strcmp(canon, "sklearn.frozen.FrozenEstimator") == 0) {
            est = pk_attr(est, "estimator");
        } else if (strcmp(canon, "sklearn.ensemble.BaggingClassifier") == 0) {
            o = pk_attr(est, "estimator_");
            if (!o || pk_kind_of(o) == PK_NONE)
                o = pk_attr(est, "base_estimator_");
            return o && skm_has_decision(o) ? est : o;
        } else {
            return est;
        }
    }
    return est;
}

int skm_has_decision(const pk_obj *est)
{
    static const char *const with_df[] = {
        "sklearn.linear_model.LogisticRegression", "sklearn.linear_model.LogisticRegressionCV",
        "sklearn.linear_model.RidgeClassifier", "sklearn.linear_model.RidgeClassifierCV",
        "sklearn.linear_model.SGDClassifier", "sklearn.linear_model.Perceptron",
        "sklearn.linear_model.PassiveAggressiveClassifier", "sklearn.svm.LinearSVC",
        "sklearn.discriminant_analysis.LinearDiscriminantAnalysis", "sklearn.lda.LDA",
        "sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis",
        "sklearn.svm.SVC", "sklearn.svm.NuSVC",
        "sklearn.ensemble.GradientBoostingClassifier",
        "sklearn.ensemble.HistGradientBoostingClassifier",
        "sklearn.ensemble.AdaBoostClassifier", "sklearn.ensemble.BaggingClassifier",
        "sklearn.multiclass.OneVsRestClassifier", "sklearn.multiclass.OneVsOneClassifier",
        "sklearn.ensemble.StackingClassifier", NULL
    };
    const char *canon = sk_canonical(skm_final_estimator(est), NULL, NULL);
    int i;

    for (i = 0; canon && with_df[i]; i++)
        if (strcmp(canon, with_df[i]) == 0)
            return 1;
    return 0;
}

static const skc_step *skm_producer(const skc_model *m, const char *tensor)
{
    int i, j;
    const skc_step *s;

    for (i = skc_model_step_count(m) - 1; i >= 0; i--) {
        s = skc_model_step(m, i);
        for (j = 0; j < skc_step_output_count(s); j++)
            if (strcmp(skc_step_output(s, j), tensor) == 0)
                return s;
    }
    return NULL;
}

/* Columns of a tensor some step made: from its producer's attributes where
 * they say it (linear: coef rows; select_columns: indices). */
static int64_t skm_width_of(const skc_model *m, const char *tensor)
{
    const skc_step *s = skm_producer(m, tensor);
    const skc_tensor *t;

    if (!s)
        return -1;
    if (strcmp(skc_step_op(s), "linear") == 0 && skc_step_get_tensor(s, "coef", &t) == SKC_OK)
        return skc_tensor_shape(t)[0];
    if (strcmp(skc_step_op(s), "select_columns") == 0 &&
        skc_step_get_tensor(s, "indices", &t) == SKC_OK)
        return skc_tensor_numel(t);
    if (strcmp(skc_step_op(s), "tree_ensemble") == 0) {
        int64_t v;
        if (skc_step_get_int(s, "n_targets", &v) == SKC_OK)
            return v;
    }
    return -1;
}

int skm_decision(sk_ctx *c, const pk_obj *est, const char *out, char *dec, int64_t *dec_width)
{
    /* Their lifters make probabilities another way than from the decision
     * function sklearn gives them. */
    static const char *const other[] = {
        "sklearn.ensemble.AdaBoostClassifier", "sklearn.ensemble.BaggingClassifier",
        "sklearn.multiclass.OneVsRestClassifier", "sklearn.multiclass.OneVsOneClassifier",
        "sklearn.ensemble.StackingClassifier",
        "sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis", NULL
    };
    const skc_step *s = skm_producer(c->m, out), *src;
    const char *op, *mode = NULL, *srcop, *canon = sk_canonical(skm_final_estimator(est), NULL, NULL);
    int64_t w, k = 0;
    int i;

    for (i = 0; canon && other[i]; i++)
        if (strcmp(canon, other[i]) == 0)
            return sk_fail(c, SKC_E_UNSUPPORTED, "the decision_function of %s is not lifted",
                           strrchr(canon, '.') + 1);
    if (!s)
        return sk_fail(c, SKC_E_FORMAT, "no step makes tensor '%s'", out);
    op = skc_step_op(s);
    /* Label-only classifiers hand over their scores. */
    if (strcmp(op, "linear") == 0 || strcmp(op, "svm_decision") == 0) {
        snprintf(dec, 64, "%s", out);
        *dec_width = skm_width_of(c->m, out);
        if (*dec_width < 0 && strcmp(op, "svm_decision") == 0) {
            skc_step_get_string(s, "mode", &mode);
            skc_step_get_int(s, "n_classes", &k);
            *dec_width = mode && strcmp(mode, "binary") == 0 ? 1
                         : mode && strcmp(mode, "ovr") == 0 ? k : k * (k - 1) / 2;
        }
        return SKC_OK;
    }
    if (strcmp(op, "svm_proba") == 0) {
        /* The decision_function step reads the same pairwise values. */
        for (i = skc_model_step_count(c->m) - 1; i >= 0; i--) {
            src = skc_model_step(c->m, i);
            if (strcmp(skc_step_op(src), "svm_decision") == 0 &&
                strcmp(skc_step_input(src, 0), skc_step_input(s, 0)) == 0)
                return skm_decision(c, est, skc_step_output(src, 0), dec, dec_width);
        }
    }
    if (strcmp(op, "proba") == 0 || strcmp(op, "modified_huber") == 0) {
        skc_step_get_string(s, "mode", &mode);
        src = skm_producer(c->m, skc_step_input(s, 0));
        srcop = src ? skc_step_op(src) : "";
        /* Only scores a model computes directly are its decision function;
         * a rescaled score (GradientBoosting's exponential loss) is not. */
        if (strcmp(srcop, "linear") && strcmp(srcop, "tree_ensemble")) {
            return sk_fail(c, SKC_E_UNSUPPORTED, "the decision function behind these "
                           "probabilities (made by a '%s' step) is not known", srcop);
        }
        w = skm_width_of(c->m, skc_step_input(s, 0));
        if (mode && strcmp(mode, "softmax") == 0 && w == 2) {
            /* Binary multinomial LogisticRegression: scores [-z, z],
             * decision_function z. */
            int64_t one = 1;
            *dec_width = 1;
            return skm_select_step(c, skc_step_input(s, 0), &one, 1, dec);
        }
        snprintf(dec, 64, "%s", skc_step_input(s, 0));
        *dec_width = w;
        return SKC_OK;
    }
    return sk_fail(c, SKC_E_UNSUPPORTED, "the decision function of this classifier (its "
                   "output comes from a '%s' step) is not known", op);
}

int skm_is_proba(sk_ctx *c, const char *t)
{
    const skc_step *s = skm_producer(c->m, t);
    const char *op;

    if (!s)
        return 0;
    op = skc_step_op(s);
    return strcmp(op, "linear") && strcmp(op, "svm_decision") && strcmp(op, "vote");
}

/* ---- steps ------------------------------------------------------------------------ */

int skm_concat(sk_ctx *c, char (*parts)[64], int n, char *out)
{
    skc_step *st;
    int i, rc;

    if (n == 1) {
        snprintf(out, 64, "%s", parts[0]);
        return SKC_OK;
    }
    sk_new_name(c, "concat", out);
    if ((rc = skc_model_add_step(c->m, "concat", &st)))
        return rc;
    for (i = 0; i < n; i++)
        if ((rc = skc_step_add_input(st, parts[i])))
            return rc;
    return skc_step_add_output(st, out);
}

int skm_weighted_sum(sk_ctx *c, char (*parts)[64], int n, const double *w, double divisor,
                     const char *out)
{
    skc_tensor *wt = NULL;
    skc_step *st;
    int i, rc;

    if ((rc = skc_tensor_from_f64(w, n, &wt)) ||
        (rc = skc_model_add_step(c->m, "weighted_sum", &st)))
        goto done;
    for (i = 0; i < n; i++)
        if ((rc = skc_step_add_input(st, parts[i])))
            goto done;
    if ((rc = skc_step_add_output(st, out)) ||
        (rc = skc_step_set_tensor(st, "weights", wt)) ||
        (rc = skc_step_set_float(st, "divisor", divisor)))
        goto done;
done:
    skc_tensor_free(wt);
    return rc;
}

int skm_select_step(sk_ctx *c, const char *in, const int64_t *idx, int64_t k, char *out)
{
    skc_tensor *t = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_tensor_from_i64(idx, k, &t)))
        return rc;
    sk_new_name(c, "columns", out);
    if ((rc = sk_step(c, "select_columns", in, out, &st)) == SKC_OK)
        rc = skc_step_set_tensor(st, "indices", t);
    skc_tensor_free(t);
    return rc;
}

int skm_scale(sk_ctx *c, const char *in, int64_t width, double w, char *out)
{
    skc_tensor *off = NULL, *sc = NULL;
    skc_step *st;
    double *d;
    int64_t i;
    int rc;

    if (width < 0)
        return sk_fail(c, SKC_E_UNSUPPORTED, "a weighted output of unknown width");
    if ((rc = skc_tensor_new(SKC_DT_F64, 1, &width, &off)) ||
        (rc = skc_tensor_new(SKC_DT_F64, 1, &width, &sc)))
        goto done;
    d = skc_tensor_data_mut(sc);
    for (i = 0; i < width; i++)
        d[i] = w;
    sk_new_name(c, "weighted", out);
    if ((rc = sk_step(c, "scaler", in, out, &st)) ||
        (rc = skc_step_set_tensor(st, "offset", off)) ||
        (rc = skc_step_set_tensor(st, "scale", sc)))
        goto done;
done:
    skc_tensor_free(off);
    skc_tensor_free(sc);
    return rc;
}
