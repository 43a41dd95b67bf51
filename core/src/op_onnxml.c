/* SPDX-License-Identifier: MIT */
/* op_onnxml.c: ai.onnx.ml mirror ops (linear models, scalers, encoders, ZipMap) and the "onnxml.*" table. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

/* ---- shared by the classifiers ---------------------------------------- */

int skco_ml_post(const skc_step *s, int *pt, char *err, size_t errlen)
{
    static const char *const names[] = { "NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT" };
    const char *v = skco_attr_s(s, "post_transform", "NONE");
    int i;

    for (i = 0; i < 5; i++)
        if (strcmp(v, names[i]) == 0) {
            *pt = i;
            return SKC_OK;
        }
    return skco_fail(err, errlen, s, SKC_E_FORMAT, "unknown post_transform '%.40s'", v);
}

int skco_ml_rows(const skc_step *s, const skc_tensor *x, int64_t *rows, int64_t *cols,
                 char *err, size_t errlen)
{
    int nd = skc_tensor_ndim(x);

    if (nd < 1 || nd > 2 || !skco_is_num(skc_tensor_dtype(x)) || skc_tensor_dtype(x) == SKC_DT_BOOL)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be a 1-D or 2-D numeric tensor");
    *rows = nd == 1 ? 1 : skc_tensor_shape(x)[0];
    *cols = skc_tensor_shape(x)[nd - 1];
    return SKC_OK;
}

/* ml_common.h ComputeSoftmax / ComputeSoftmaxZero, in float. */
static void ml_softmax(float *v, int64_t n, int zero)
{
    float mx = -FLT_MAX, sum = 0.0f, emx;
    int64_t i;

    for (i = 0; i < n; i++)
        if (v[i] > mx)
            mx = v[i];
    emx = expf(-mx);
    for (i = 0; i < n; i++) {
        if (!zero || v[i] > 0.0000001f || v[i] < -0.0000001f) {
            v[i] = expf(v[i] - mx);
            sum += v[i];
        } else {
            v[i] *= emx;
        }
    }
    for (i = 0; i < n; i++)
        v[i] /= sum;
}

void skco_ml_scores(float *sc, int64_t n, int pt, int add2, float *z, int64_t zcols)
{
    int64_t i, wrote = 0;
    float s0;

    if (n >= 2) {
        switch (pt) {
        case SKCO_PT_PROBIT:
            for (i = 0; i < n; i++)
                sc[i] = skco_probit_f(sc[i]);
            break;
        case SKCO_PT_LOGISTIC:
            for (i = 0; i < n; i++)
                sc[i] = skco_logistic_f(sc[i]);
            break;
        case SKCO_PT_SOFTMAX:
        case SKCO_PT_SOFTMAX_ZERO:
            ml_softmax(sc, n, pt == SKCO_PT_SOFTMAX_ZERO);
            break;
        default:
            break;
        }
        for (i = 0; i < n && i < zcols; i++)
            z[i] = sc[i];
        wrote = i;
    } else if (n == 1 && zcols >= 1) {
        /* One score: ORT widens it to two columns unless asked not to.
         * (sc and z may be the same buffer.) */
        s0 = sc[0];
        wrote = 1;
        if (pt == SKCO_PT_PROBIT) {
            z[0] = skco_probit_f(s0);
        } else if ((add2 == 0 || add2 == 1) && zcols >= 2) {
            z[0] = 1.0f - s0;
            z[1] = s0;
            wrote = 2;
        } else if ((add2 == 2 || add2 == 3) && zcols >= 2) {
            z[0] = pt == SKCO_PT_LOGISTIC ? skco_logistic_f(-s0) : -s0;
            z[1] = pt == SKCO_PT_LOGISTIC ? skco_logistic_f(s0) : s0;
            wrote = 2;
        } else {
            z[0] = s0;
        }
    }
    for (i = wrote; i < zcols; i++)
        z[i] = 0.0f;
}

/* X as float, the way the ML kernels cast their input before a GEMM. */
static float *ml_load_f(const skc_tensor *x)
{
    int64_t i, n = skc_tensor_numel(x);
    float *v = malloc((size_t)(n ? n : 1) * sizeof(float));

    if (!v)
        return NULL;
    for (i = 0; i < n; i++)
        v[i] = (float)skco_get(x, i);
    return v;
}

/* A FLOATS attribute as float values (NULL if absent), with its length. */
static const skc_tensor *ml_floats(const skc_step *s, const char *k, int64_t *n)
{
    const skc_tensor *t = skco_attr_t(s, k);

    if (!t || !skco_is_real(skc_tensor_dtype(t)) || skc_tensor_ndim(t) != 1) {
        *n = 0;
        return NULL;
    }
    *n = skc_tensor_numel(t);
    return t;
}

static const skc_tensor *ml_list(const skc_step *s, const char *k, int dtype, int64_t *n)
{
    const skc_tensor *t = skco_attr_t(s, k);

    if (!t || skc_tensor_dtype(t) != dtype || skc_tensor_ndim(t) != 1) {
        *n = 0;
        return NULL;
    }
    *n = skc_tensor_numel(t);
    return t;
}

static int ml_undo(skc_tensor **out, int n, int rc)
{
    int i;

    for (i = 0; i < n; i++) {
        skc_tensor_free(out[i]);
        out[i] = NULL;
    }
    return rc;
}

/* ---- LinearClassifier (ORT linearclassifier.cc) ------------------------ */

int skco_eval_linear_classifier(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                                char *err, size_t errlen)
{
    const skc_tensor *coef, *icpt, *lstr, *lint;
    int64_t nc, k, nstr, nint, rows, cols, r, j, f, zc, shape[2];
    int pt, rc, strings, add2;
    float *x = NULL, *sc = NULL, *z;

    if ((rc = skco_ml_post(s, &pt, err, errlen)) ||
        (rc = skco_ml_rows(s, in[0], &rows, &cols, err, errlen)))
        return rc;
    coef = ml_floats(s, "coefficients", &nc);
    icpt = ml_floats(s, "intercepts", &k);
    lstr = ml_list(s, "classlabels_strings", SKC_DT_STRING, &nstr);
    lint = ml_list(s, "classlabels_ints", SKC_DT_I64, &nint);
    strings = nstr > 0;
    if (!coef || k < 1 || nc != k * cols)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "%lld coefficients for %lld classes of %lld features",
                         (long long)nc, (long long)k, (long long)cols);
    if (k > 1 && (strings ? nstr : nint) < k)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "fewer class labels than classes");
    add2 = k == 1 && (strings ? nstr : nint) == 2;
    zc = add2 ? 2 : k;
    if ((rc = skco_new(strings ? SKC_DT_STRING : SKC_DT_I64, 1, &rows, &out[0], NULL)))
        return rc;
    shape[0] = rows;
    shape[1] = zc;
    if ((rc = skco_new(SKC_DT_F32, 2, shape, &out[1], (void **)&z)))
        return ml_undo(out, 1, rc);
    x = ml_load_f(in[0]);
    sc = malloc((size_t)k * sizeof(float));
    if (!x || !sc) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    for (r = 0; r < rows; r++) {
        int64_t best = 0;
        for (j = 0; j < k; j++) {
            double acc = 0.0;
            for (f = 0; f < cols; f++)
                acc += (double)x[r * cols + f] * (float)skco_get(coef, j * cols + f);
            sc[j] = (float)(acc + (float)skco_get(icpt, j));
            if (sc[j] > sc[best])
                best = j;
        }
        if (k == 1) {
            /* One score: the sign picks the second or first label ("1"/"0"
             * or 1/0 without two labels). */
            int pos = sc[0] > 0;
            if (strings) {
                const char *l = nstr == 2 ? skc_tensor_string(lstr, pos, NULL) : (pos ? "1" : "0");
                rc = skc_tensor_set_string(out[0], r, l, strlen(l));
            } else {
                ((int64_t *)skc_tensor_data_mut(out[0]))[r] =
                    nint == 2 ? skco_geti(lint, pos) : pos;
            }
        } else if (strings) {
            const char *l = skc_tensor_string(lstr, best, NULL);
            rc = skc_tensor_set_string(out[0], r, l, strlen(l));
        } else {
            ((int64_t *)skc_tensor_data_mut(out[0]))[r] = skco_geti(lint, best);
        }
        if (rc)
            goto fail;
        if (add2 && pt == SKCO_PT_PROBIT) {
            /* ORT 1.30 packs the probits of a one-score model at the start
             * of Z (row r's value lands in slot r) and leaves the rest 0. */
            z[r] = skco_probit_f(sc[0]);
            continue;
        }
        /* Widened to [1-p, p] after the logistic (ORT 1.30's batched path). */
        if (add2 && pt == SKCO_PT_LOGISTIC)
            sc[0] = skco_logistic_f(sc[0]);
        skco_ml_scores(sc, k, add2 && pt == SKCO_PT_LOGISTIC ? SKCO_PT_NONE : pt, add2 ? 1 : -1,
                       z + r * zc, zc);
    }
    free(x);
    free(sc);
    return SKC_OK;
fail:
    free(x);
    free(sc);
    return ml_undo(out, 2, rc);
}

/* ---- LinearRegressor ---------------------------------------------------- */

int skco_eval_linear_regressor(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                               char *err, size_t errlen)
{
    const skc_tensor *coef, *icpt;
    int64_t nc, ni, t = skco_attr_i(s, "targets", 1), rows, cols, r, j, f, shape[2];
    int pt, rc;
    float *x, *sc, *z;

    if ((rc = skco_ml_post(s, &pt, err, errlen)) ||
        (rc = skco_ml_rows(s, in[0], &rows, &cols, err, errlen)))
        return rc;
    /* ORT registers this kernel for float input only. */
    if (skc_tensor_dtype(in[0]) != SKC_DT_F32)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be float32 (ONNX Runtime's kernel)");
    coef = ml_floats(s, "coefficients", &nc);
    icpt = ml_floats(s, "intercepts", &ni);
    if (t < 1 || !coef || nc != t * cols)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "%lld coefficients for %lld targets of %lld features",
                         (long long)nc, (long long)t, (long long)cols);
    shape[0] = rows;
    shape[1] = t;
    if ((rc = skco_new(SKC_DT_F32, 2, shape, out, (void **)&z)))
        return rc;
    x = ml_load_f(in[0]);
    sc = malloc((size_t)t * sizeof(float));
    if (!x || !sc) {
        free(x);
        free(sc);
        return ml_undo(out, 1, SKC_E_NOMEM);
    }
    for (r = 0; r < rows; r++) {
        for (j = 0; j < t; j++) {
            double acc = 0.0;
            for (f = 0; f < cols; f++)
                acc += (double)x[r * cols + f] * (float)skco_get(coef, j * cols + f);
            if (ni == t)
                acc += (float)skco_get(icpt, j);
            sc[j] = (float)acc;
        }
        skco_ml_scores(sc, t, pt, -1, z + r * t, t);
    }
    free(x);
    free(sc);
    return SKC_OK;
}

/* ---- Scaler: float output; int inputs mix with float attributes in float */

int skco_eval_ml_scaler(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                        char *err, size_t errlen)
{
    const skc_tensor *sc, *off;
    int64_t ns, no, i, n = skc_tensor_numel(in[0]), stride;
    int dt = skc_tensor_dtype(in[0]), nd = skc_tensor_ndim(in[0]), rc;
    float *y;

    if (nd < 1 || !skco_is_num(dt) || dt == SKC_DT_BOOL || dt == SKC_DT_U8 || dt == SKC_DT_U32)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be a float, double or integer tensor");
    sc = ml_floats(s, "scale", &ns);
    off = ml_floats(s, "offset", &no);
    stride = nd == 1 ? skc_tensor_shape(in[0])[0] : skc_tensor_shape(in[0])[1];
    if (!sc || ns != no || (ns != 1 && ns != stride))
        return skco_fail(err, errlen, s, SKC_E_INVAL,
                         "scale and offset must both hold 1 or %lld values", (long long)stride);
    if ((rc = skco_new(SKC_DT_F32, nd, skc_tensor_shape(in[0]), out, (void **)&y)))
        return rc;
    for (i = 0; i < n; i++) {
        int64_t c = ns == 1 ? 0 : i % stride;
        float o = (float)skco_get(off, c), k = (float)skco_get(sc, c);
        if (dt == SKC_DT_F64)
            y[i] = (float)((skco_get(in[0], i) - o) * k);
        else
            y[i] = ((float)skco_get(in[0], i) - o) * k;
    }
    return SKC_OK;
}

/* ---- Normalizer: along axis 1, in float -------------------------------- */

int skco_eval_normalizer(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                         char *err, size_t errlen)
{
    const char *norm = skco_attr_s(s, "norm", "MAX");
    int mode = !strcmp(norm, "MAX") ? 0 : !strcmp(norm, "L1") ? 1 : !strcmp(norm, "L2") ? 2 : -1;
    int dt = skc_tensor_dtype(in[0]), nd = skc_tensor_ndim(in[0]), rc;
    int64_t n = skc_tensor_numel(in[0]), stride, incr = 1, loops, l, t;
    float *y;

    if (mode < 0)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "unknown norm '%.20s'", norm);
    if (nd < 1 || !skco_is_num(dt) || dt == SKC_DT_BOOL)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be numeric");
    stride = nd == 1 ? skc_tensor_shape(in[0])[0] : skc_tensor_shape(in[0])[1];
    for (t = 2; t < nd; t++)
        incr *= skc_tensor_shape(in[0])[t];
    if ((rc = skco_new(SKC_DT_F32, nd, skc_tensor_shape(in[0]), out, (void **)&y)))
        return rc;
    if (stride == 0)
        return SKC_OK;
    loops = n / stride;
    for (l = 0; l < loops; l++) {
        int64_t off = (l % incr) + (l / incr) * (stride * incr);
        float acc = mode == 0 ? -FLT_MAX : 0.0f;
        for (t = 0; t < stride; t++) {
            double v = skco_get(in[0], off + t * incr);
            if (mode == 0)
                acc = (float)v > acc ? (float)v : acc;
            else if (mode == 1)
                acc += (float)skco_as(dt, fabs(v));
            else
                acc += (float)skco_as(dt, v * v);
        }
        for (t = 0; t < stride; t++) {
            int64_t p = off + t * incr;
            double v = skco_get(in[0], p);
            if (acc == 0.0f)
                y[p] = (float)v;
            else if (mode == 2)
                y[p] = sqrtf((float)skco_as(dt, v * v) / acc) * (v < 0 ? -1.0f : 1.0f);
            else
                y[p] = (float)v / acc;
        }
    }
    return SKC_OK;
}

/* ---- Binarizer (ORT: float only, NaN refused) -------------------------- */

int skco_eval_binarizer(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                        char *err, size_t errlen)
{
    int dt = skc_tensor_dtype(in[0]), rc;
    float th = (float)skco_attr_f(s, "threshold", 0.0);
    int64_t i, n = skc_tensor_numel(in[0]);
    void *y;

    if (!skco_is_real(dt))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be float");
    for (i = 0; i < n; i++)
        if (isnan(skco_get(in[0], i)))
            return skco_fail(err, errlen, s, SKC_E_INVAL, "input %lld is NaN", (long long)i);
    if ((rc = skco_new(dt, skc_tensor_ndim(in[0]), skc_tensor_shape(in[0]), out, &y)))
        return rc;
    for (i = 0; i < n; i++)
        skco_put(dt, y, i, skco_get(in[0], i) > (double)th ? 1.0 : 0.0);
    return SKC_OK;
}

/* ---- Imputer ------------------------------------------------------------ */

int skco_eval_imputer(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                      char *err, size_t errlen)
{
    int dt = skc_tensor_dtype(in[0]), nd = skc_tensor_ndim(in[0]), rc;
    int64_t nf, ni, i, n = skc_tensor_numel(in[0]), stride, nv;
    const skc_tensor *vf = ml_floats(s, "imputed_value_floats", &nf);
    const skc_tensor *vi = ml_list(s, "imputed_value_int64s", SKC_DT_I64, &ni);
    const skc_tensor *vals;
    void *y;

    if (nd < 1 || (dt != SKC_DT_F32 && dt != SKC_DT_I64))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be float32 or int64 (ONNX Runtime's kernel)");
    vals = dt == SKC_DT_F32 ? vf : vi;
    nv = dt == SKC_DT_F32 ? nf : ni;
    if (!vals || nv < 1)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "no imputed values for %s input",
                         skc_dtype_name(dt));
    stride = nd == 1 ? skc_tensor_shape(in[0])[0] : skc_tensor_shape(in[0])[1];
    if ((rc = skco_new(dt, nd, skc_tensor_shape(in[0]), out, &y)))
        return rc;
    for (i = 0; i < n; i++) {
        int64_t c = nv == stride && stride ? i % stride : 0;
        if (dt == SKC_DT_F32) {
            float x = (float)skco_get(in[0], i);
            float rep = (float)skco_attr_f(s, "replaced_value_float", 0.0);
            int hit = (isnan(x) && isnan(rep)) || x == rep;
            ((float *)y)[i] = hit ? (float)skco_get(vals, c) : x;
        } else {
            int64_t x = skco_geti(in[0], i), rep = skco_attr_i(s, "replaced_value_int64", 0);
            ((int64_t *)y)[i] = x == rep ? skco_geti(vals, c) : x;
        }
    }
    return SKC_OK;
}

/* ---- OneHotEncoder ------------------------------------------------------ */

int skco_eval_ml_onehot(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                        char *err, size_t errlen)
{
    int64_t ncs, nci, ncat, i, j, n = skc_tensor_numel(in[0]), osh[SKC_MAX_DIMS];
    const skc_tensor *cs = ml_list(s, "cats_strings", SKC_DT_STRING, &ncs);
    const skc_tensor *ci = ml_list(s, "cats_int64s", SKC_DT_I64, &nci);
    int zeros = (int)skco_attr_i(s, "zeros", 1), nd = skc_tensor_ndim(in[0]), rc;
    int dt = skc_tensor_dtype(in[0]);
    float *y;

    ncat = nci ? nci : ncs;
    if (ncat < 1 || (nci && ncs))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "needs cats_int64s or cats_strings");
    if (nd + 1 > SKC_MAX_DIMS || (dt != SKC_DT_STRING && (!skco_is_num(dt) || dt == SKC_DT_BOOL)))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X of type %s is not supported",
                         skc_dtype_name(dt));
    memcpy(osh, skc_tensor_shape(in[0]), (size_t)nd * sizeof(int64_t));
    osh[nd] = ncat;
    if ((rc = skco_new(SKC_DT_F32, nd + 1, osh, out, (void **)&y)))
        return rc;
    for (i = 0; i < n; i++) {
        int64_t hit = -1;
        /* The first category wins: ORT fills a map, later duplicates
         * overwrite, so search from the end. */
        if (dt == SKC_DT_STRING) {
            const char *v = skc_tensor_string(in[0], i, NULL);
            for (j = ncs - 1; j >= 0 && hit < 0; j--)
                if (strcmp(v, skc_tensor_string(cs, j, NULL)) == 0)
                    hit = j;
        } else {
            int64_t v = skco_geti(in[0], i);
            for (j = nci - 1; j >= 0 && hit < 0; j--)
                if (skco_geti(ci, j) == v)
                    hit = j;
        }
        if (hit >= 0)
            y[i * ncat + hit] = 1.0f;
        else if (!zeros)
            return ml_undo(out, 1, skco_fail(err, errlen, s, SKC_E_INVAL,
                                             "unknown category and zeros = 0"));
    }
    return SKC_OK;
}

/* ---- LabelEncoder (v1 classes_strings; v2 lists; v4 tensors) ----------- */

typedef struct ml_le {
    const skc_tensor *keys, *vals, *def;
    int kt, vt;           /* element types of keys and values */
    double def_f;
    int64_t def_i;
    const char *def_s;
} ml_le;

static int ml_le_setup(const skc_step *s, ml_le *le, char *err, size_t errlen)
{
    static const struct { const char *k; int dt; } keys[] = {
        { "keys_strings", SKC_DT_STRING }, { "keys_int64s", SKC_DT_I64 }, { "keys_floats", SKC_DT_F64 },
    }, vals[] = {
        { "values_strings", SKC_DT_STRING }, { "values_int64s", SKC_DT_I64 },
        { "values_floats", SKC_DT_F64 },
    };
    size_t i;

    memset(le, 0, sizeof(*le));
    le->def_s = skco_attr_s(s, "default_string", "_Unused");
    le->def_i = skco_attr_i(s, "default_int64", -1);
    le->def_f = skco_attr_f(s, "default_float", -0.0);
    for (i = 0; i < 3 && !le->keys; i++)
        if ((le->keys = skco_attr_t(s, keys[i].k)))
            le->kt = keys[i].dt;
    for (i = 0; i < 3 && !le->vals; i++)
        if ((le->vals = skco_attr_t(s, vals[i].k)))
            le->vt = vals[i].dt;
    if (!le->keys && (le->keys = skco_attr_t(s, "keys_tensor")))
        le->kt = skc_tensor_dtype(le->keys);
    if (!le->vals && (le->vals = skco_attr_t(s, "values_tensor")))
        le->vt = skc_tensor_dtype(le->vals);
    if ((le->def = skco_attr_t(s, "default_tensor")) && skc_tensor_numel(le->def) != 1)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "default_tensor must hold one value");
    if (!le->keys || !le->vals || skc_tensor_numel(le->keys) != skc_tensor_numel(le->vals))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "keys and values are missing or differ in length");
    return SKC_OK;
}

/* Key @p j equals element @p i of @p x (NaN keys match NaN, as ORT 1.16+). */
static int ml_le_match(const ml_le *le, const skc_tensor *x, int64_t i, int64_t j)
{
    if (le->kt == SKC_DT_STRING)
        return strcmp(skc_tensor_string(x, i, NULL), skc_tensor_string(le->keys, j, NULL)) == 0;
    if (skco_is_int(le->kt))
        return skco_geti(x, i) == skco_geti(le->keys, j);
    {
        double a = skco_get(x, i), b = skco_get(le->keys, j);
        if (le->kt == SKC_DT_F64 && skc_tensor_dtype(x) == SKC_DT_F32)
            b = (double)(float)b;
        return a == b || (isnan(a) && isnan(b));
    }
}

int skco_eval_label_encoder(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                            char *err, size_t errlen)
{
    const skc_tensor *x = in[0], *classes = skco_attr_t(s, "classes_strings");
    int xdt = skc_tensor_dtype(x), odt, rc;
    int64_t i, j, n = skc_tensor_numel(x);
    ml_le le;
    void *y;

    if (classes) {
        /* v1: strings -> their index, int64 -> the string at that index. */
        int64_t nc = skc_tensor_numel(classes);
        int to_int = xdt == SKC_DT_STRING;
        if (!to_int && !skco_is_int(xdt))
            return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be strings or int64");
        if ((rc = skco_new(to_int ? SKC_DT_I64 : SKC_DT_STRING, skc_tensor_ndim(x),
                           skc_tensor_shape(x), out, &y)))
            return rc;
        for (i = 0; i < n; i++) {
            if (to_int) {
                int64_t hit = skco_attr_i(s, "default_int64", -1);
                const char *v = skc_tensor_string(x, i, NULL);
                for (j = nc - 1; j >= 0; j--)
                    if (strcmp(v, skc_tensor_string(classes, j, NULL)) == 0)
                        hit = j;
                ((int64_t *)y)[i] = hit;
            } else {
                int64_t v = skco_geti(x, i);
                const char *str = v >= 0 && v < nc ? skc_tensor_string(classes, v, NULL)
                                                   : skco_attr_s(s, "default_string", "_Unused");
                if ((rc = skc_tensor_set_string(*out, i, str, strlen(str))))
                    return ml_undo(out, 1, rc);
            }
        }
        return SKC_OK;
    }
    if ((rc = ml_le_setup(s, &le, err, errlen)))
        return rc;
    if ((le.kt == SKC_DT_STRING) != (xdt == SKC_DT_STRING) ||
        (skco_is_int(le.kt) && !skco_is_int(xdt)) || (skco_is_real(le.kt) && !skco_is_real(xdt)))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X of type %s does not match the keys",
                         skc_dtype_name(xdt));
    /* Float values come out float32 unless a tensor attribute says double. */
    odt = le.vt == SKC_DT_F64 && !skco_attr_t(s, "values_tensor") ? SKC_DT_F32 : le.vt;
    if ((rc = skco_new(odt, skc_tensor_ndim(x), skc_tensor_shape(x), out, &y)))
        return rc;
    for (i = 0; i < n; i++) {
        int64_t hit = -1, nk = skc_tensor_numel(le.keys);
        for (j = nk - 1; j >= 0; j--)
            if (ml_le_match(&le, x, i, j))
                hit = j;
        if (hit >= 0) {
            if (odt == le.vt)
                rc = skco_copy(*out, y, i, le.vals, hit);
            else
                skco_put(odt, y, i, skco_get(le.vals, hit));
        } else if (le.def) {
            if (skc_tensor_dtype(le.def) == odt)
                rc = skco_copy(*out, y, i, le.def, 0);
            else if (odt != SKC_DT_STRING && skc_tensor_dtype(le.def) != SKC_DT_STRING)
                skco_put(odt, y, i, skco_get(le.def, 0));
        } else if (odt == SKC_DT_STRING) {
            rc = skc_tensor_set_string(*out, i, le.def_s, strlen(le.def_s));
        } else if (skco_is_int(odt)) {
            skco_puti(odt, y, i, le.def_i);
        } else {
            skco_put(odt, y, i, le.def_f);
        }
        if (rc)
            return ml_undo(out, 1, rc);
    }
    return SKC_OK;
}

/* ---- ArrayFeatureExtractor ---------------------------------------------- */

int skco_eval_afe(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                  char *err, size_t errlen)
{
    const skc_tensor *x = in[0], *idx = in[1];
    int nd = skc_tensor_ndim(x), rc;
    int64_t stride, k = skc_tensor_numel(idx), outer, i, j, osh[SKC_MAX_DIMS];
    void *y;

    if (nd < 1 || !skco_is_int(skc_tensor_dtype(idx)))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects X with dimensions and int64 indices");
    stride = skc_tensor_shape(x)[nd - 1];
    if (k == 0)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "no indices");
    for (j = 0; j < k; j++)
        if (skco_geti(idx, j) < 0 || skco_geti(idx, j) >= stride)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "index %lld is out of range 0..%lld",
                             (long long)skco_geti(idx, j), (long long)stride - 1);
    if (nd == 1) {
        osh[0] = 1;
        osh[1] = k;
        nd = 2;
    } else {
        memcpy(osh, skc_tensor_shape(x), (size_t)nd * sizeof(int64_t));
        osh[nd - 1] = k;
    }
    outer = stride ? skc_tensor_numel(x) / stride : 0;
    if ((rc = skco_new(skc_tensor_dtype(x), nd, osh, out, &y)))
        return rc;
    for (i = 0; i < outer; i++)
        for (j = 0; j < k; j++)
            if ((rc = skco_copy(*out, y, i * k + j, x, i * stride + skco_geti(idx, j))))
                return ml_undo(out, 1, rc);
    return SKC_OK;
}

/* ---- ZipMap: the reader lifts its sequence of maps as the probability
 * tensor itself (core/OPS.md), so only the class count is checked. ------ */

int skco_eval_zipmap(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    int64_t ns, ni, nd = skc_tensor_ndim(in[0]);

    ml_list(s, "classlabels_strings", SKC_DT_STRING, &ns);
    ml_list(s, "classlabels_int64s", SKC_DT_I64, &ni);
    if (skc_tensor_dtype(in[0]) != SKC_DT_F32 || nd < 1 || nd > 2)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be a 1-D or 2-D float tensor");
    if ((ns ? ns : ni) != skc_tensor_shape(in[0])[nd - 1])
        return skco_fail(err, errlen, s, SKC_E_INVAL, "%lld columns for %lld class labels",
                         (long long)skc_tensor_shape(in[0])[nd - 1], (long long)(ns ? ns : ni));
    *out = skc_tensor_ref((skc_tensor *)(uintptr_t)in[0]);
    return SKC_OK;
}

/* ---- CategoryMapper ----------------------------------------------------- */

int skco_eval_category_mapper(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                              char *err, size_t errlen)
{
    int64_t ns, ni, i, j, n = skc_tensor_numel(in[0]);
    const skc_tensor *cs = ml_list(s, "cats_strings", SKC_DT_STRING, &ns);
    const skc_tensor *ci = ml_list(s, "cats_int64s", SKC_DT_I64, &ni);
    int to_int = skc_tensor_dtype(in[0]) == SKC_DT_STRING, rc;
    void *y;

    if (ns != ni || (!to_int && skc_tensor_dtype(in[0]) != SKC_DT_I64))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "needs equal category lists and string or int64 X");
    if ((rc = skco_new(to_int ? SKC_DT_I64 : SKC_DT_STRING, skc_tensor_ndim(in[0]),
                       skc_tensor_shape(in[0]), out, &y)))
        return rc;
    for (i = 0; i < n; i++) {
        int64_t hit = -1;
        if (to_int) {
            const char *v = skc_tensor_string(in[0], i, NULL);
            for (j = ns - 1; j >= 0; j--)
                if (strcmp(v, skc_tensor_string(cs, j, NULL)) == 0)
                    hit = j;
            ((int64_t *)y)[i] = hit >= 0 ? skco_geti(ci, hit) : skco_attr_i(s, "default_int64", -1);
        } else {
            int64_t v = skco_geti(in[0], i);
            const char *str;
            for (j = ni - 1; j >= 0; j--)
                if (skco_geti(ci, j) == v)
                    hit = j;
            str = hit >= 0 ? skc_tensor_string(cs, hit, NULL)
                           : skco_attr_s(s, "default_string", "_Unused");
            if ((rc = skc_tensor_set_string(*out, i, str, strlen(str))))
                return ml_undo(out, 1, rc);
        }
    }
    return SKC_OK;
}

/* ---- FeatureVectorizer -------------------------------------------------- */

int skco_eval_feature_vectorizer(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                                 char *err, size_t errlen)
{
    int64_t nd_attr, total = 0, rows, shape[2], off = 0, r, c;
    const skc_tensor *dims = ml_list(s, "inputdimensions", SKC_DT_I64, &nd_attr);
    int k, rc;
    float *y;

    if (!dims || nd_attr != s->n_inputs)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "inputdimensions must give one size per input");
    for (k = 0; k < s->n_inputs; k++) {
        int64_t d = skco_geti(dims, k);
        int dt = skc_tensor_dtype(in[k]);
        if (d < 0 || total > INT64_MAX / 2 - d || skc_tensor_ndim(in[k]) < 1 ||
            (dt != SKC_DT_F32 && dt != SKC_DT_F64 && dt != SKC_DT_I64 && dt != SKC_DT_I32))
            return skco_fail(err, errlen, s, SKC_E_INVAL, "input %d is not usable", k);
        total += d;
    }
    rows = skc_tensor_ndim(in[0]) == 1 ? 1 : skc_tensor_shape(in[0])[0];
    for (k = 1; k < s->n_inputs; k++)
        if ((skc_tensor_ndim(in[k]) == 1 ? 1 : skc_tensor_shape(in[k])[0]) != rows)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "inputs differ in row count");
    shape[0] = rows;
    shape[1] = total;
    if ((rc = skco_new(SKC_DT_F32, 2, shape, out, (void **)&y)))
        return rc;
    for (k = 0; k < s->n_inputs; k++) {
        int64_t fs = skco_geti(dims, k);
        int64_t isz = skc_tensor_ndim(in[k]) == 1 ? skc_tensor_shape(in[k])[0] :
                      (rows ? skc_tensor_numel(in[k]) / rows : 0);
        int64_t take = isz > fs ? fs : isz;
        for (r = 0; r < rows; r++)
            for (c = 0; c < take; c++)
                y[r * total + off + c] = (float)skco_get(in[k], r * isz + c);
        off += fs;
    }
    return SKC_OK;
}

/* ---- the table ------------------------------------------------------------ */

#define ML_OPH(n, ni, no, ck, ev, hi) \
    { .name = "onnxml." n, .n_inputs = ni, .n_outputs = no, .check = ck, .eval = ev, \
      .hints = hi, .any_dtype = 1 }
#define ML_OP(n, ni, no, ck, ev) ML_OPH(n, ni, no, ck, ev, NULL)

const skci_op skci_ops_onnxml[] = {
    ML_OP("LinearClassifier", 1, 2, NULL, skco_eval_linear_classifier),
    ML_OP("LinearRegressor", 1, 1, NULL, skco_eval_linear_regressor),
    ML_OP("Scaler", 1, 1, NULL, skco_eval_ml_scaler),
    ML_OP("Normalizer", 1, 1, NULL, skco_eval_normalizer),
    ML_OP("Binarizer", 1, 1, NULL, skco_eval_binarizer),
    ML_OP("Imputer", 1, 1, NULL, skco_eval_imputer),
    ML_OP("OneHotEncoder", 1, 1, NULL, skco_eval_ml_onehot),
    ML_OP("LabelEncoder", 1, 1, NULL, skco_eval_label_encoder),
    ML_OP("ArrayFeatureExtractor", 2, 1, NULL, skco_eval_afe),
    ML_OP("ZipMap", 1, 1, NULL, skco_eval_zipmap),
    ML_OP("CategoryMapper", 1, 1, NULL, skco_eval_category_mapper),
    ML_OP("FeatureVectorizer", -1, 1, NULL, skco_eval_feature_vectorizer),
    ML_OPH("TreeEnsembleClassifier", 1, 2, skco_check_tree, skco_eval_tree_classifier,
           skco_hints_tree),
    ML_OPH("TreeEnsembleRegressor", 1, 1, skco_check_tree, skco_eval_tree_regressor,
           skco_hints_tree),
    ML_OPH("TreeEnsemble", 1, 1, skco_check_tree, skco_eval_tree_ensemble, skco_hints_tree),
    ML_OP("SVMClassifier", 1, 2, skco_check_svm, skco_eval_svm_classifier),
    ML_OP("SVMRegressor", 1, 1, skco_check_svm, skco_eval_svm_regressor),
    { 0 }
};
