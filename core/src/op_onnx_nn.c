/* SPDX-License-Identifier: MIT */
/* op_onnx_nn.c: ONNX MatMul, Gemm, Softmax family, reductions, ArgMax/ArgMin, TopK and CumSum. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

static const char *nn_name(const skc_step *s)
{
    const char *dot = strchr(s->op, '.');

    return dot ? dot + 1 : s->op;
}

static int nn_nomem(skc_tensor **out, void *p1, void *p2)
{
    skc_tensor_free(*out);
    *out = NULL;
    free(p1);
    free(p2);
    return SKC_E_NOMEM;
}

/* ---- MatMul: numpy matmul, batch axes broadcast ------------------------ */

int skco_eval_matmul(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    const skc_tensor *a = in[0], *b = in[1];
    int dt = skc_tensor_dtype(a), na = skc_tensor_ndim(a), nb = skc_tensor_ndim(b), rc, d;
    int64_t ash[SKC_MAX_DIMS + 1], bsh[SKC_MAX_DIMS + 1], osh[SKC_MAX_DIMS + 1];
    int64_t m, k, n, batch = 1, bi, i, j, q;
    int ra, rb, ro, nbatch;
    int64_t ast[SKC_MAX_DIMS + 1], bst[SKC_MAX_DIMS + 1];
    double *x = NULL, *w = NULL;
    void *y;

    if (s->n_inputs != 2 || dt != skc_tensor_dtype(b) || !skco_is_num(dt) || dt == SKC_DT_BOOL)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects two numeric inputs of one type");
    if (na < 1 || nb < 1)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "inputs must have at least one dimension");
    /* 1-D operands become [1, K] and [K, 1]; the added axis is dropped. */
    ra = na == 1 ? 2 : na;
    rb = nb == 1 ? 2 : nb;
    if (na == 1) {
        ash[0] = 1;
        ash[1] = skc_tensor_shape(a)[0];
    } else {
        memcpy(ash, skc_tensor_shape(a), (size_t)na * sizeof(int64_t));
    }
    if (nb == 1) {
        bsh[0] = skc_tensor_shape(b)[0];
        bsh[1] = 1;
    } else {
        memcpy(bsh, skc_tensor_shape(b), (size_t)nb * sizeof(int64_t));
    }
    m = ash[ra - 2];
    k = ash[ra - 1];
    n = bsh[rb - 1];
    if (bsh[rb - 2] != k)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "inner dimensions differ (%lld vs %lld)",
                         (long long)k, (long long)bsh[rb - 2]);
    nbatch = (ra > rb ? ra : rb) - 2;
    for (d = 0; d < nbatch; d++) {
        int da = d - (nbatch - (ra - 2)), db = d - (nbatch - (rb - 2));
        int64_t sa = da >= 0 ? ash[da] : 1, sb = db >= 0 ? bsh[db] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "batch dimensions cannot be broadcast");
        osh[d] = sa == 1 ? sb : sa;
        batch *= osh[d];
    }
    ro = 0;
    {
        int64_t full[SKC_MAX_DIMS + 2];
        memcpy(full, osh, (size_t)nbatch * sizeof(int64_t));
        ro = nbatch;
        if (na != 1)
            full[ro++] = m;
        if (nb != 1)
            full[ro++] = n;
        if (ro > SKC_MAX_DIMS)
            return skco_fail(err, errlen, s, SKC_E_LIMIT, "result has too many dimensions");
        if ((rc = skco_new(dt, ro, full, out, &y)))
            return rc;
    }
    x = skco_load(a);
    w = skco_load(b);
    if (!x || !w)
        return nn_nomem(out, x, w);
    skco_strides(ra - 2, ash, ast);
    skco_strides(rb - 2, bsh, bst);
    for (bi = 0; bi < batch; bi++) {
        int64_t rem = bi, oa = 0, ob = 0;
        for (d = nbatch - 1; d >= 0; d--) {
            int64_t idx = rem % osh[d];
            int da = d - (nbatch - (ra - 2)), db = d - (nbatch - (rb - 2));
            rem /= osh[d];
            if (da >= 0 && ash[da] != 1)
                oa += idx * ast[da];
            if (db >= 0 && bsh[db] != 1)
                ob += idx * bst[db];
        }
        oa *= m * k;
        ob *= k * n;
        /* Double accumulation, one rounding to the output type (OPS.md). */
        for (i = 0; i < m; i++)
            for (j = 0; j < n; j++) {
                double acc = 0.0;
                for (q = 0; q < k; q++)
                    acc += x[oa + i * k + q] * w[ob + q * n + j];
                skco_put(dt, y, bi * m * n + i * n + j, acc);
            }
    }
    free(x);
    free(w);
    return SKC_OK;
}

/* ---- Gemm: Y = alpha A' B' + beta C ------------------------------------ */

int skco_eval_gemm(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    const skc_tensor *a = in[0], *b = in[1], *c = skco_in(s, in, 2);
    int ta = (int)skco_attr_i(s, "transA", 0), tb = (int)skco_attr_i(s, "transB", 0);
    double alpha = skco_attr_f(s, "alpha", 1.0), beta = skco_attr_f(s, "beta", 1.0);
    int dt = skc_tensor_dtype(a), rc;
    int64_t m, k, n, kb, i, j, q, shape[2];
    int64_t cst[2] = { 0, 0 };
    double *x = NULL, *w = NULL;
    void *y;

    if (s->n_inputs < 2 || skc_tensor_ndim(a) != 2 || skc_tensor_ndim(b) != 2 ||
        dt != skc_tensor_dtype(b) || !skco_is_num(dt) || dt == SKC_DT_BOOL ||
        (c && skc_tensor_dtype(c) != dt))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects 2-D numeric A and B of one type");
    m = skc_tensor_shape(a)[ta ? 1 : 0];
    k = skc_tensor_shape(a)[ta ? 0 : 1];
    kb = skc_tensor_shape(b)[tb ? 1 : 0];
    n = skc_tensor_shape(b)[tb ? 0 : 1];
    if (k != kb)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "inner dimensions differ (%lld vs %lld)",
                         (long long)k, (long long)kb);
    if (c) {
        /* C broadcasts one way to [M, N]. */
        int nc = skc_tensor_ndim(c);
        const int64_t *cs = skc_tensor_shape(c);
        int64_t c0 = nc == 2 ? cs[0] : 1, c1 = nc >= 1 ? cs[nc - 1] : 1;
        if (nc > 2 || (c0 != 1 && c0 != m) || (c1 != 1 && c1 != n))
            return skco_fail(err, errlen, s, SKC_E_INVAL, "C cannot be broadcast to [%lld, %lld]",
                             (long long)m, (long long)n);
        cst[0] = c0 == 1 ? 0 : c1;
        cst[1] = c1 == 1 ? 0 : 1;
    }
    shape[0] = m;
    shape[1] = n;
    if ((rc = skco_new(dt, 2, shape, out, &y)))
        return rc;
    x = skco_load(a);
    w = skco_load(b);
    if (!x || !w)
        return nn_nomem(out, x, w);
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++) {
            double acc = 0.0;
            for (q = 0; q < k; q++)
                acc += x[ta ? q * m + i : i * k + q] * w[tb ? j * k + q : q * n + j];
            acc *= alpha;
            if (c)
                acc += beta * skco_get(c, i * cst[0] + j * cst[1]);
            skco_put(dt, y, i * n + j, acc);
        }
    free(x);
    free(w);
    return SKC_OK;
}

/* ---- Softmax, LogSoftmax, Hardmax -------------------------------------- */

/* Opset 13 normalises along one axis (default -1); earlier opsets flatten
 * to [prod(shape[:axis]), prod(shape[axis:])] with axis defaulting to 1. */
int skco_eval_softmax(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                      char *err, size_t errlen)
{
    const char *name = nn_name(s);
    int mode = !strcmp(name, "Softmax") ? 0 : !strcmp(name, "LogSoftmax") ? 1 : 2;
    int64_t opset = skco_attr_i(s, "opset", 13);
    int nd = skc_tensor_ndim(in[0]), dt = skc_tensor_dtype(in[0]), ax, rc, d;
    const int64_t *sh = skc_tensor_shape(in[0]);
    int64_t outer = 1, len = 1, inner = 1, o, i, t;
    double *x, *tmp;
    void *y;

    if (!skco_is_real(dt))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects a float input");
    if (nd == 0)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects at least one dimension");
    if ((rc = skco_axis(s, skco_attr_i(s, "axis", opset >= 13 ? -1 : 1), nd, &ax, err, errlen)))
        return rc;
    for (d = 0; d < nd; d++) {
        if (d < ax)
            outer *= sh[d];
        else if (d == ax || opset < 13)
            len *= sh[d];
        else
            inner *= sh[d];
    }
    if ((rc = skco_new(dt, nd, sh, out, &y)))
        return rc;
    x = skco_load(in[0]);
    tmp = malloc((size_t)(len ? len : 1) * sizeof(double));
    if (!x || !tmp)
        return nn_nomem(out, x, tmp);
    for (o = 0; o < outer; o++)
        for (i = 0; i < inner; i++) {
            double mx = -INFINITY, sum = 0.0;
            int64_t base = o * len * inner + i, best = 0;
            for (t = 0; t < len; t++) {
                double v = x[base + t * inner];
                if (v > mx || (t == 0 && isnan(v))) {
                    mx = v;
                    best = t;
                }
            }
            for (t = 0; t < len; t++) {
                tmp[t] = exp(x[base + t * inner] - mx);
                sum += tmp[t];
            }
            for (t = 0; t < len; t++) {
                double v = mode == 0 ? tmp[t] / sum :
                           mode == 1 ? (x[base + t * inner] - mx) - log(sum) :
                           (t == best ? 1.0 : 0.0);
                skco_put(dt, y, base + t * inner, v);
            }
        }
    free(x);
    free(tmp);
    return SKC_OK;
}

/* ---- reductions -------------------------------------------------------- */

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_LSE, R_SSQ, R_L1, R_L2, R_LOGSUM };

static int nn_reduce_code(const char *name)
{
    static const char *const names[] = {
        "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
        "ReduceLogSumExp", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum"
    };
    int i;

    for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Which axes a reduction covers: the "axes" attribute (older opsets) or
 * input 1; none given reduces every axis unless noop_with_empty_axes. */
static int nn_reduce_axes(const skc_step *s, const skc_tensor *const *in, int nd, int *mask,
                          int *noop, char *err, size_t errlen)
{
    const skc_tensor *at = skco_in(s, in, 1);
    const skc_tensor *aa = skco_attr_t(s, "axes");
    int64_t *v = NULL, n = 0, i;
    int rc, ax, d;

    *noop = 0;
    if (at && (rc = skco_ints(at, &v, &n)))
        return rc;
    if (!at && aa && (rc = skco_ints(aa, &v, &n)))
        return rc;
    for (d = 0; d < nd; d++)
        mask[d] = n == 0;
    if (n == 0 && skco_attr_i(s, "noop_with_empty_axes", 0)) {
        *noop = 1;
        free(v);
        return SKC_OK;
    }
    for (i = 0; i < n; i++) {
        if ((rc = skco_axis(s, v[i], nd, &ax, err, errlen))) {
            free(v);
            return rc;
        }
        mask[ax] = 1;
    }
    free(v);
    return SKC_OK;
}

int skco_eval_reduce(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    int code = nn_reduce_code(nn_name(s)), keep = (int)skco_attr_i(s, "keepdims", 1);
    int nd = skc_tensor_ndim(in[0]), dt = skc_tensor_dtype(in[0]), mask[SKC_MAX_DIMS];
    const int64_t *sh = skc_tensor_shape(in[0]);
    int64_t osh[SKC_MAX_DIMS], kept[SKC_MAX_DIMS], kst[SKC_MAX_DIMS], st[SKC_MAX_DIMS];
    int64_t on, i, count = 1;
    int ond = 0, rc, noop, d;
    double *acc = NULL, *x = NULL;
    int64_t *iacc = NULL;
    uint8_t *seen = NULL;
    void *y;
    int ints = skco_is_int(dt) && (code == R_SUM || code == R_MAX || code == R_MIN ||
                                   code == R_PROD || code == R_MEAN || code == R_SSQ ||
                                   code == R_L1);

    if (code < 0 || !skco_is_num(dt) || dt == SKC_DT_BOOL || (skco_is_int(dt) && !ints))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "input of type %s is not supported",
                         skc_dtype_name(dt));
    if ((rc = nn_reduce_axes(s, in, nd, mask, &noop, err, errlen)))
        return rc;
    if (noop) {
        *out = skc_tensor_ref((skc_tensor *)(uintptr_t)in[0]);
        return SKC_OK;
    }
    for (d = 0; d < nd; d++) {
        kept[d] = mask[d] ? 1 : sh[d];
        if (mask[d])
            count *= sh[d];
        if (!mask[d] || keep)
            osh[ond++] = kept[d];
    }
    if ((rc = skco_new(dt, ond, osh, out, &y)))
        return rc;
    on = skc_tensor_numel(*out);
    acc = calloc((size_t)(on ? on : 1), sizeof(double));
    iacc = calloc((size_t)(on ? on : 1), sizeof(int64_t));
    seen = calloc((size_t)(on ? on : 1), 1);
    x = skco_load(in[0]);
    if (!acc || !iacc || !seen || !x) {
        free(iacc);
        free(seen);
        return nn_nomem(out, acc, x);
    }
    for (i = 0; i < on; i++) {
        acc[i] = code == R_MAX ? -INFINITY : code == R_MIN ? INFINITY : code == R_PROD ? 1.0 : 0.0;
        iacc[i] = code == R_MAX ? INT64_MIN : code == R_MIN ? INT64_MAX : code == R_PROD ? 1 : 0;
    }
    skco_strides(nd, kept, kst);
    skco_strides(nd, sh, st);
    /* LogSumExp subtracts the maximum first, as ORT does. */
    if (code == R_LSE) {
        double *mx = malloc((size_t)(on ? on : 1) * sizeof(double));
        int64_t n = skc_tensor_numel(in[0]);
        if (!mx) {
            free(iacc);
            free(seen);
            return nn_nomem(out, acc, x);
        }
        for (i = 0; i < on; i++)
            mx[i] = -INFINITY;
        for (i = 0; i < n; i++) {
            int64_t o = 0, rem = i;
            for (d = 0; d < nd; d++) {
                int64_t idx = rem / st[d];
                rem %= st[d];
                if (!mask[d])
                    o += idx * kst[d];
            }
            if (x[i] > mx[o])
                mx[o] = x[i];
        }
        for (i = 0; i < n; i++) {
            int64_t o = 0, rem = i;
            for (d = 0; d < nd; d++) {
                int64_t idx = rem / st[d];
                rem %= st[d];
                if (!mask[d])
                    o += idx * kst[d];
            }
            acc[o] += exp(x[i] - (isinf(mx[o]) ? 0.0 : mx[o]));
        }
        for (i = 0; i < on; i++)
            skco_put(dt, y, i, log(acc[i]) + (isinf(mx[i]) ? 0.0 : mx[i]));
        free(mx);
        goto done;
    }
    {
        int64_t n = skc_tensor_numel(in[0]);
        for (i = 0; i < n; i++) {
            int64_t o = 0, rem = i;
            double v = x[i];
            for (d = 0; d < nd; d++) {
                int64_t idx = rem / st[d];
                rem %= st[d];
                if (!mask[d])
                    o += idx * kst[d];
            }
            if (ints) {
                int64_t iv = skco_geti(in[0], i);
                switch (code) {
                case R_SUM: case R_MEAN: iacc[o] = (int64_t)((uint64_t)iacc[o] + (uint64_t)iv); break;
                case R_MAX: if (iv > iacc[o]) iacc[o] = iv; break;
                case R_MIN: if (iv < iacc[o]) iacc[o] = iv; break;
                case R_PROD: iacc[o] = (int64_t)((uint64_t)iacc[o] * (uint64_t)iv); break;
                case R_SSQ: iacc[o] = (int64_t)((uint64_t)iacc[o] + (uint64_t)iv * (uint64_t)iv); break;
                case R_L1: iacc[o] = (int64_t)((uint64_t)iacc[o] + (uint64_t)(iv < 0 ? -iv : iv)); break;
                default: break;
                }
                continue;
            }
            switch (code) {
            case R_SUM: case R_MEAN: acc[o] += v; break;
            /* ORT starts from the first value and keeps the larger one:
             * a NaN after the first is passed over, a first NaN stays. */
            case R_MAX: if (!seen[o] || v > acc[o]) acc[o] = v; break;
            case R_MIN: if (!seen[o] || v < acc[o]) acc[o] = v; break;
            case R_PROD: acc[o] *= v; break;
            case R_SSQ: case R_L2: acc[o] += v * v; break;
            case R_L1: acc[o] += fabs(v); break;
            case R_LOGSUM: acc[o] += v; break;
            default: break;
            }
            seen[o] = 1;
        }
        for (i = 0; i < on; i++) {
            if (ints) {
                int64_t v = iacc[i];
                if (code == R_MEAN)
                    v = count ? v / count : 0;
                skco_puti(dt, y, i, v);
                continue;
            }
            switch (code) {
            case R_MEAN:   acc[i] /= (double)count; break;
            case R_L2:     acc[i] = sqrt(acc[i]); break;
            case R_LOGSUM: acc[i] = log(acc[i]); break;
            default: break;
            }
            skco_put(dt, y, i, acc[i]);
        }
    }
done:
    free(acc);
    free(iacc);
    free(seen);
    free(x);
    return SKC_OK;
}

/* ---- ArgMax / ArgMin --------------------------------------------------- */

int skco_eval_argmax(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    int is_max = strcmp(nn_name(s), "ArgMax") == 0;
    int nd = skc_tensor_ndim(in[0]), dt = skc_tensor_dtype(in[0]), ax, rc, d, ond = 0;
    int keep = (int)skco_attr_i(s, "keepdims", 1), last = (int)skco_attr_i(s, "select_last_index", 0);
    const int64_t *sh = skc_tensor_shape(in[0]);
    int64_t osh[SKC_MAX_DIMS], outer = 1, len, inner = 1, o, i, t;
    int64_t *y;

    if (!skco_is_num(dt) || dt == SKC_DT_BOOL)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "input of type %s is not supported",
                         skc_dtype_name(dt));
    if (nd == 0)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects at least one dimension");
    if ((rc = skco_axis(s, skco_attr_i(s, "axis", 0), nd, &ax, err, errlen)))
        return rc;
    len = sh[ax];
    if (len == 0)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "reduced axis is empty");
    for (d = 0; d < nd; d++) {
        if (d < ax)
            outer *= sh[d];
        else if (d > ax)
            inner *= sh[d];
        if (d != ax)
            osh[ond++] = sh[d];
        else if (keep)
            osh[ond++] = 1;
    }
    if ((rc = skco_new(SKC_DT_I64, ond, osh, out, (void **)&y)))
        return rc;
    for (o = 0; o < outer; o++)
        for (i = 0; i < inner; i++) {
            int64_t base = o * len * inner + i, best = 0;
            double bv = skco_get(in[0], base);
            for (t = 1; t < len; t++) {
                double v = skco_get(in[0], base + t * inner);
                int better = is_max ? (v > bv || (last && v == bv)) : (v < bv || (last && v == bv));
                if (better) {
                    bv = v;
                    best = t;
                }
            }
            y[o * inner + i] = best;
        }
    return SKC_OK;
}

/* ---- TopK -------------------------------------------------------------- */

typedef struct nn_kv {
    double v;
    int64_t i;
} nn_kv;

static int nn_kv_desc(const void *pa, const void *pb)
{
    const nn_kv *a = pa, *b = pb;

    /* NaN sorts first when largest, as ORT's comparator leaves it. */
    if (a->v > b->v || (isnan(a->v) && !isnan(b->v)))
        return -1;
    if (a->v < b->v || (isnan(b->v) && !isnan(a->v)))
        return 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int nn_kv_asc(const void *pa, const void *pb)
{
    const nn_kv *a = pa, *b = pb;

    if (a->v < b->v || (isnan(b->v) && !isnan(a->v)))
        return -1;
    if (a->v > b->v || (isnan(a->v) && !isnan(b->v)))
        return 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

int skco_eval_topk(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    const skc_tensor *kt = skco_in(s, in, 1);
    int nd = skc_tensor_ndim(in[0]), dt = skc_tensor_dtype(in[0]), ax, rc;
    int largest = (int)skco_attr_i(s, "largest", 1);
    const int64_t *sh = skc_tensor_shape(in[0]);
    int64_t osh[SKC_MAX_DIMS], k, outer = 1, len, inner = 1, o, i, t;
    nn_kv *kv;
    void *yv;
    int64_t *yi;
    int d;

    if (!skco_is_num(dt) || dt == SKC_DT_BOOL || nd == 0)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects a numeric input with dimensions");
    if ((rc = skco_axis(s, skco_attr_i(s, "axis", -1), nd, &ax, err, errlen)))
        return rc;
    if (kt) {
        if (skc_tensor_numel(kt) != 1 || !skco_is_int(skc_tensor_dtype(kt)))
            return skco_fail(err, errlen, s, SKC_E_INVAL, "K must be one int64");
        k = skco_geti(kt, 0);
    } else {
        k = skco_attr_i(s, "k", -1);
    }
    len = sh[ax];
    if (k < 0 || k > len)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "K=%lld is outside 0..%lld",
                         (long long)k, (long long)len);
    for (d = 0; d < nd; d++) {
        osh[d] = d == ax ? k : sh[d];
        if (d < ax)
            outer *= sh[d];
        else if (d > ax)
            inner *= sh[d];
    }
    if ((rc = skco_new(dt, nd, osh, &out[0], &yv)))
        return rc;
    if ((rc = skco_new(SKC_DT_I64, nd, osh, &out[1], (void **)&yi))) {
        skc_tensor_free(out[0]);
        out[0] = NULL;
        return rc;
    }
    kv = malloc((size_t)(len ? len : 1) * sizeof(*kv));
    if (!kv) {
        skc_tensor_free(out[1]);
        out[1] = NULL;
        return nn_nomem(&out[0], NULL, NULL);
    }
    for (o = 0; o < outer; o++)
        for (i = 0; i < inner; i++) {
            int64_t base = o * len * inner + i, obase = o * k * inner + i;
            for (t = 0; t < len; t++) {
                kv[t].v = skco_get(in[0], base + t * inner);
                kv[t].i = t;
            }
            qsort(kv, (size_t)len, sizeof(*kv), largest ? nn_kv_desc : nn_kv_asc);
            for (t = 0; t < k; t++) {
                skco_copy(out[0], yv, obase + t * inner, in[0], base + kv[t].i * inner);
                yi[obase + t * inner] = kv[t].i;
            }
        }
    free(kv);
    return SKC_OK;
}

/* ---- CumSum: sequential sums in the input's type, as ORT adds ---------- */

int skco_eval_cumsum(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    int nd = skc_tensor_ndim(in[0]), dt = skc_tensor_dtype(in[0]), ax, rc, d;
    int excl = (int)skco_attr_i(s, "exclusive", 0), rev = (int)skco_attr_i(s, "reverse", 0);
    const int64_t *sh = skc_tensor_shape(in[0]);
    int64_t outer = 1, len, inner = 1, o, i, t;
    void *y;

    if (s->n_inputs != 2 || !skco_is_num(dt) || dt == SKC_DT_BOOL || nd == 0 ||
        skc_tensor_numel(in[1]) != 1 || !skco_is_int(skc_tensor_dtype(in[1])))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects numeric X and a scalar integer axis");
    if ((rc = skco_axis(s, skco_geti(in[1], 0), nd, &ax, err, errlen)))
        return rc;
    len = sh[ax];
    for (d = 0; d < nd; d++) {
        if (d < ax)
            outer *= sh[d];
        else if (d > ax)
            inner *= sh[d];
    }
    if ((rc = skco_new(dt, nd, sh, out, &y)))
        return rc;
    for (o = 0; o < outer; o++)
        for (i = 0; i < inner; i++) {
            double acc = 0.0;
            int64_t iacc = 0;
            for (t = 0; t < len; t++) {
                int64_t tt = rev ? len - 1 - t : t, pos = o * len * inner + tt * inner + i;
                if (excl) {
                    if (skco_is_int(dt))
                        skco_puti(dt, y, pos, iacc);
                    else
                        skco_put(dt, y, pos, acc);
                }
                if (skco_is_int(dt))
                    iacc = (int64_t)((uint64_t)iacc + (uint64_t)skco_geti(in[0], pos));
                else
                    acc = skco_as(dt, acc + skco_get(in[0], pos));
                if (!excl) {
                    if (skco_is_int(dt))
                        skco_puti(dt, y, pos, iacc);
                    else
                        skco_put(dt, y, pos, acc);
                }
            }
        }
    return SKC_OK;
}
