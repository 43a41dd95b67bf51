/* SPDX-License-Identifier: MIT */
/* op_onnx_shape.c: ONNX constants and data movement: Reshape, Squeeze, Concat, Gather, Slice, Transpose, Expand, Tile, ... */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

/* A copy of @p x with another shape of the same size (element order kept). */
static int shape_view(const skc_step *s, const skc_tensor *x, int nd, const int64_t *sh,
                      skc_tensor **out, char *err, size_t errlen)
{
    int64_t i, n = skc_tensor_numel(x);
    void *y;
    int rc;

    if (nd > SKC_MAX_DIMS)
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "result has %d dimensions", nd);
    if (skco_numel(nd, sh) != n)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "new shape holds %lld values, input %lld",
                         (long long)skco_numel(nd, sh), (long long)n);
    if ((rc = skco_new(skc_tensor_dtype(x), nd, sh, out, &y)))
        return rc;
    if (skc_tensor_dtype(x) != SKC_DT_STRING) {
        if (n)
            memcpy(y, skc_tensor_data(x), skc_tensor_nbytes(x));
        return SKC_OK;
    }
    for (i = 0; i < n && rc == SKC_OK; i++)
        rc = skco_copy(*out, y, i, x, i);
    if (rc) {
        skc_tensor_free(*out);
        *out = NULL;
    }
    return rc;
}

static int shape_undo(skc_tensor **out, int rc)
{
    skc_tensor_free(*out);
    *out = NULL;
    return rc;
}

int skco_check_constant(const skc_step *s, char *err, size_t errlen)
{
    if (!skco_attr_t(s, "value"))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "needs a tensor attribute 'value'");
    return SKC_OK;
}

int skco_eval_constant(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                       char *err, size_t errlen)
{
    const skc_tensor *v = skco_attr_t(s, "value");

    (void)in;
    if (!v)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "needs a tensor attribute 'value'");
    *out = skc_tensor_ref((skc_tensor *)(uintptr_t)v);
    return SKC_OK;
}

int skco_eval_absent(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    int64_t zero = 0;

    (void)s;
    (void)in;
    (void)err;
    (void)errlen;
    return skc_tensor_new(SKCO_ABSENT_DTYPE, 1, &zero, out);
}

int skco_eval_identity(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                       char *err, size_t errlen)
{
    (void)s;
    (void)err;
    (void)errlen;
    *out = skc_tensor_ref((skc_tensor *)(uintptr_t)in[0]);
    return SKC_OK;
}

/* A 1-D integer tensor input (a shape, axes, repeats) read in full. */
static int shape_int_input(const skc_step *s, const skc_tensor *t, const char *what,
                           int64_t **v, int64_t *n, char *err, size_t errlen)
{
    if (!skco_is_int(skc_tensor_dtype(t)) || skc_tensor_ndim(t) > 1)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "%s must be a 1-D integer tensor", what);
    if (skc_tensor_numel(t) > SKC_MAX_DIMS * 64)
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "%s has too many values", what);
    return skco_ints(t, v, n);
}

int skco_eval_reshape(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                      char *err, size_t errlen)
{
    int64_t *v = NULL, n, i, known = 1, infer = -1, sh[SKC_MAX_DIMS];
    int allowzero = (int)skco_attr_i(s, "allowzero", 0), rc;
    const skc_tensor *st = skco_in(s, in, 1);
    const skc_tensor *sa = skco_attr_t(s, "shape");

    if (!st && !sa)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "no shape given");
    if ((rc = shape_int_input(s, st ? st : sa, "shape", &v, &n, err, errlen)))
        return rc;
    if (n > SKC_MAX_DIMS) {
        free(v);
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "shape has %lld dimensions", (long long)n);
    }
    for (i = 0; i < n; i++) {
        if (v[i] == 0 && !allowzero) {
            if (i >= skc_tensor_ndim(in[0])) {
                free(v);
                return skco_fail(err, errlen, s, SKC_E_INVAL, "0 copies a dimension the input lacks");
            }
            sh[i] = skc_tensor_shape(in[0])[i];
        } else if (v[i] == -1) {
            if (infer >= 0) {
                free(v);
                return skco_fail(err, errlen, s, SKC_E_INVAL, "more than one -1 in shape");
            }
            infer = i;
            sh[i] = 1;
            continue;
        } else if (v[i] < 0) {
            free(v);
            return skco_fail(err, errlen, s, SKC_E_INVAL, "negative dimension in shape");
        } else {
            sh[i] = v[i];
        }
        if (sh[i] && known > INT64_MAX / sh[i]) {
            free(v);
            return skco_fail(err, errlen, s, SKC_E_LIMIT, "shape overflows");
        }
        known *= sh[i];
    }
    free(v);
    if (infer >= 0) {
        if (known == 0 || skc_tensor_numel(in[0]) % known)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "cannot infer the -1 dimension");
        sh[infer] = skc_tensor_numel(in[0]) / known;
    }
    return shape_view(s, in[0], (int)n, sh, out, err, errlen);
}

int skco_eval_flatten(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                      char *err, size_t errlen)
{
    int nd = skc_tensor_ndim(in[0]), d;
    int64_t a = skco_attr_i(s, "axis", 1), sh[2] = { 1, 1 };

    if (a < -(int64_t)nd || a > nd)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "axis %lld is out of range", (long long)a);
    if (a < 0)
        a += nd;
    for (d = 0; d < nd; d++)
        sh[d < a ? 0 : 1] *= skc_tensor_shape(in[0])[d];
    return shape_view(s, in[0], 2, sh, out, err, errlen);
}

/* Axes for Squeeze/Unsqueeze: input 1 (opset 13) or the attribute. */
static int shape_axes(const skc_step *s, const skc_tensor *const *in, int64_t **v, int64_t *n,
                      char *err, size_t errlen)
{
    const skc_tensor *t = skco_in(s, in, 1);

    if (!t)
        t = skco_attr_t(s, "axes");
    if (!t) {
        *v = NULL;
        *n = 0;
        return SKC_OK;
    }
    return shape_int_input(s, t, "axes", v, n, err, errlen);
}

int skco_eval_squeeze(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                      char *err, size_t errlen)
{
    int nd = skc_tensor_ndim(in[0]), drop[SKC_MAX_DIMS] = { 0 }, d, ax, rc, ond = 0;
    const int64_t *sh = skc_tensor_shape(in[0]);
    int64_t *v, n, i, osh[SKC_MAX_DIMS];

    if ((rc = shape_axes(s, in, &v, &n, err, errlen)))
        return rc;
    for (i = 0; i < n; i++) {
        if ((rc = skco_axis(s, v[i], nd, &ax, err, errlen))) {
            free(v);
            return rc;
        }
        if (sh[ax] != 1) {
            free(v);
            return skco_fail(err, errlen, s, SKC_E_INVAL, "axis %d has size %lld, not 1", ax,
                             (long long)sh[ax]);
        }
        drop[ax] = 1;
    }
    free(v);
    for (d = 0; d < nd; d++)
        if (!(n ? drop[d] : sh[d] == 1))
            osh[ond++] = sh[d];
    return shape_view(s, in[0], ond, osh, out, err, errlen);
}

int skco_eval_unsqueeze(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                        char *err, size_t errlen)
{
    int nd = skc_tensor_ndim(in[0]), add[SKC_MAX_DIMS] = { 0 }, d, ax, rc, ond, k = 0;
    const int64_t *sh = skc_tensor_shape(in[0]);
    int64_t *v, n, i, osh[SKC_MAX_DIMS];

    if ((rc = shape_axes(s, in, &v, &n, err, errlen)))
        return rc;
    if (nd + n > SKC_MAX_DIMS) {
        free(v);
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "result has too many dimensions");
    }
    ond = nd + (int)n;
    for (i = 0; i < n; i++) {
        if ((rc = skco_axis(s, v[i], ond, &ax, err, errlen)) || add[ax]) {
            free(v);
            return rc ? rc : skco_fail(err, errlen, s, SKC_E_INVAL, "axis %d given twice", ax);
        }
        add[ax] = 1;
    }
    free(v);
    for (d = 0; d < ond; d++)
        osh[d] = add[d] ? 1 : sh[k++];
    return shape_view(s, in[0], ond, osh, out, err, errlen);
}

int skco_eval_concat(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    int nd = skc_tensor_ndim(in[0]), dt = skc_tensor_dtype(in[0]), ax, rc, k, d;
    int64_t osh[SKC_MAX_DIMS], outer = 1, inner = 1, total = 0, o, pos = 0, t;
    void *y;

    if (nd == 0)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "cannot concatenate scalars");
    if ((rc = skco_axis(s, skco_attr_i(s, "axis", 0), nd, &ax, err, errlen)))
        return rc;
    for (k = 0; k < s->n_inputs; k++) {
        const int64_t *sh = skc_tensor_shape(in[k]);
        if (skc_tensor_ndim(in[k]) != nd || skc_tensor_dtype(in[k]) != dt)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "input %d differs in rank or type", k);
        for (d = 0; d < nd; d++)
            if (d != ax && sh[d] != skc_tensor_shape(in[0])[d])
                return skco_fail(err, errlen, s, SKC_E_INVAL, "input %d differs on axis %d", k, d);
        total += sh[ax];
    }
    memcpy(osh, skc_tensor_shape(in[0]), (size_t)nd * sizeof(int64_t));
    osh[ax] = total;
    for (d = 0; d < nd; d++) {
        if (d < ax)
            outer *= osh[d];
        else if (d > ax)
            inner *= osh[d];
    }
    if ((rc = skco_new(dt, nd, osh, out, &y)))
        return rc;
    for (o = 0; o < outer; o++)
        for (k = 0; k < s->n_inputs; k++) {
            int64_t chunk = skc_tensor_shape(in[k])[ax] * inner, base = o * chunk;
            if (dt != SKC_DT_STRING) {
                size_t es = skc_dtype_size(dt);
                if (chunk)
                    memcpy((char *)y + (size_t)pos * es,
                           (const char *)skc_tensor_data(in[k]) + (size_t)base * es,
                           (size_t)chunk * es);
            } else {
                for (t = 0; t < chunk; t++)
                    if ((rc = skco_copy(*out, y, pos + t, in[k], base + t)))
                        return shape_undo(out, rc);
            }
            pos += chunk;
        }
    return SKC_OK;
}

int skco_eval_gather(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    const skc_tensor *x = in[0], *idx = in[1];
    int nd = skc_tensor_ndim(x), ni = skc_tensor_ndim(idx), ax, rc, d, ond = 0;
    const int64_t *sh = skc_tensor_shape(x);
    int64_t osh[SKC_MAX_DIMS], outer = 1, inner = 1, len, nidx = skc_tensor_numel(idx), o, j, t;
    void *y;

    if (s->n_inputs != 2 || !skco_is_int(skc_tensor_dtype(idx)) || nd == 0)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects data with dimensions and integer indices");
    if ((rc = skco_axis(s, skco_attr_i(s, "axis", 0), nd, &ax, err, errlen)))
        return rc;
    if (nd - 1 + ni > SKC_MAX_DIMS)
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "result has too many dimensions");
    len = sh[ax];
    for (d = 0; d < ax; d++) {
        osh[ond++] = sh[d];
        outer *= sh[d];
    }
    for (d = 0; d < ni; d++)
        osh[ond++] = skc_tensor_shape(idx)[d];
    for (d = ax + 1; d < nd; d++) {
        osh[ond++] = sh[d];
        inner *= sh[d];
    }
    for (j = 0; j < nidx; j++) {
        int64_t v = skco_geti(idx, j);
        if (v < -len || v >= len)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "index %lld is out of range 0..%lld",
                             (long long)v, (long long)len - 1);
    }
    if ((rc = skco_new(skc_tensor_dtype(x), ond, osh, out, &y)))
        return rc;
    for (o = 0; o < outer; o++)
        for (j = 0; j < nidx; j++) {
            int64_t v = skco_geti(idx, j);
            if (v < 0)
                v += len;
            for (t = 0; t < inner; t++)
                if ((rc = skco_copy(*out, y, (o * nidx + j) * inner + t, x, (o * len + v) * inner + t)))
                    return shape_undo(out, rc);
        }
    return SKC_OK;
}

int skco_eval_gather_elements(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                              char *err, size_t errlen)
{
    const skc_tensor *x = in[0], *idx = in[1];
    int nd = skc_tensor_ndim(x), ax, rc, d;
    const int64_t *sh = skc_tensor_shape(x), *ish = skc_tensor_shape(idx);
    int64_t xst[SKC_MAX_DIMS], ist[SKC_MAX_DIMS], i, n = skc_tensor_numel(idx);
    void *y;

    if (s->n_inputs != 2 || !skco_is_int(skc_tensor_dtype(idx)) || nd == 0 ||
        skc_tensor_ndim(idx) != nd)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects data and integer indices of one rank");
    if ((rc = skco_axis(s, skco_attr_i(s, "axis", 0), nd, &ax, err, errlen)))
        return rc;
    for (d = 0; d < nd; d++)
        if (d != ax && ish[d] > sh[d])
            return skco_fail(err, errlen, s, SKC_E_INVAL, "indices exceed the data on axis %d", d);
    skco_strides(nd, sh, xst);
    skco_strides(nd, ish, ist);
    if ((rc = skco_new(skc_tensor_dtype(x), nd, ish, out, &y)))
        return rc;
    for (i = 0; i < n; i++) {
        int64_t rem = i, src = 0, v = skco_geti(idx, i);
        if (v < -sh[ax] || v >= sh[ax])
            return shape_undo(out, skco_fail(err, errlen, s, SKC_E_INVAL,
                                             "index %lld is out of range", (long long)v));
        if (v < 0)
            v += sh[ax];
        for (d = 0; d < nd; d++) {
            int64_t c = rem / ist[d];
            rem %= ist[d];
            src += (d == ax ? v : c) * xst[d];
        }
        if ((rc = skco_copy(*out, y, i, x, src)))
            return shape_undo(out, rc);
    }
    return SKC_OK;
}

/* Slice: starts/ends/axes/steps from inputs (opset 10+) or attributes;
 * bounds clamp as the ONNX spec describes. */
int skco_eval_slice(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    const skc_tensor *x = in[0];
    const skc_tensor *ts[4];
    const char *names[4] = { "starts", "ends", "axes", "steps" };
    int64_t *v[4] = { NULL, NULL, NULL, NULL }, n[4] = { 0, 0, 0, 0 };
    int nd = skc_tensor_ndim(x), rc = SKC_OK, d, k, used[SKC_MAX_DIMS] = { 0 };
    const int64_t *sh = skc_tensor_shape(x);
    int64_t start[SKC_MAX_DIMS], step[SKC_MAX_DIMS], osh[SKC_MAX_DIMS], xst[SKC_MAX_DIMS];
    int64_t i, total;
    void *y;

    for (k = 0; k < 4; k++) {
        ts[k] = s->n_inputs > 1 ? skco_in(s, in, k + 1) : skco_attr_t(s, names[k]);
        if (ts[k] && (rc = shape_int_input(s, ts[k], names[k], &v[k], &n[k], err, errlen)))
            goto done;
    }
    if (!ts[0] || !ts[1] || n[0] != n[1] || (ts[2] && n[2] != n[0]) || (ts[3] && n[3] != n[0])) {
        rc = skco_fail(err, errlen, s, SKC_E_INVAL, "starts, ends, axes and steps differ in length");
        goto done;
    }
    for (d = 0; d < nd; d++) {
        start[d] = 0;
        step[d] = 1;
        osh[d] = sh[d];
    }
    for (i = 0; i < n[0]; i++) {
        int ax;
        int64_t dim, st, en, sp = ts[3] ? v[3][i] : 1;
        if ((rc = skco_axis(s, ts[2] ? v[2][i] : i, nd, &ax, err, errlen)))
            goto done;
        if (used[ax] || sp == 0) {
            rc = skco_fail(err, errlen, s, SKC_E_INVAL, "axis repeated or step 0");
            goto done;
        }
        used[ax] = 1;
        dim = sh[ax];
        st = v[0][i];
        en = v[1][i];
        if (st < 0)
            st = st < -dim ? 0 : st + dim;
        if (en < 0)
            en = en < -dim ? -1 : en + dim;
        if (sp > 0) {
            st = st > dim ? dim : st;
            en = en > dim ? dim : en < 0 ? 0 : en;
            osh[ax] = en > st ? (en - st + sp - 1) / sp : 0;
        } else {
            st = st > dim - 1 ? dim - 1 : st;
            en = en > dim - 1 ? dim - 1 : en;
            if (v[1][i] < -dim)
                en = -1;
            osh[ax] = st > en ? (st - en + (-sp) - 1) / (-sp) : 0;
        }
        start[ax] = st;
        step[ax] = sp;
    }
    if ((rc = skco_new(skc_tensor_dtype(x), nd, osh, out, &y)))
        goto done;
    skco_strides(nd, sh, xst);
    total = skco_numel(nd, osh);
    {
        int64_t idx[SKC_MAX_DIMS] = { 0 };
        for (i = 0; i < total; i++) {
            int64_t src = 0;
            for (d = 0; d < nd; d++)
                src += (start[d] + idx[d] * step[d]) * xst[d];
            if ((rc = skco_copy(*out, y, i, x, src))) {
                shape_undo(out, rc);
                goto done;
            }
            for (d = nd - 1; d >= 0; d--) {
                if (++idx[d] < osh[d])
                    break;
                idx[d] = 0;
            }
        }
    }
done:
    for (k = 0; k < 4; k++)
        free(v[k]);
    return rc;
}

int skco_eval_transpose(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                        char *err, size_t errlen)
{
    const skc_tensor *x = in[0], *pt = skco_attr_t(s, "perm");
    int nd = skc_tensor_ndim(x), perm[SKC_MAX_DIMS], seen[SKC_MAX_DIMS] = { 0 }, d, rc;
    const int64_t *sh = skc_tensor_shape(x);
    int64_t osh[SKC_MAX_DIMS], xst[SKC_MAX_DIMS], i, total = skc_tensor_numel(x);
    int64_t idx[SKC_MAX_DIMS] = { 0 };
    void *y;

    if (pt && skc_tensor_numel(pt) != nd)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "perm has %lld entries for rank %d",
                         (long long)skc_tensor_numel(pt), nd);
    for (d = 0; d < nd; d++) {
        int64_t p = pt ? skco_geti(pt, d) : nd - 1 - d;
        if (p < 0 || p >= nd || seen[p])
            return skco_fail(err, errlen, s, SKC_E_INVAL, "perm is not a permutation");
        seen[p] = 1;
        perm[d] = (int)p;
        osh[d] = sh[p];
    }
    skco_strides(nd, sh, xst);
    if ((rc = skco_new(skc_tensor_dtype(x), nd, osh, out, &y)))
        return rc;
    for (i = 0; i < total; i++) {
        int64_t src = 0;
        for (d = 0; d < nd; d++)
            src += idx[d] * xst[perm[d]];
        if ((rc = skco_copy(*out, y, i, x, src)))
            return shape_undo(out, rc);
        for (d = nd - 1; d >= 0; d--) {
            if (++idx[d] < osh[d])
                break;
            idx[d] = 0;
        }
    }
    return SKC_OK;
}

int skco_eval_shape(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    int nd = skc_tensor_ndim(in[0]);
    int64_t st = skco_attr_i(s, "start", 0), en = skco_attr_i(s, "end", nd), n, i;
    int64_t *y;
    int rc;

    (void)err;
    (void)errlen;
    if (st < 0)
        st += nd;
    if (en < 0)
        en += nd;
    st = st < 0 ? 0 : st > nd ? nd : st;
    en = en < 0 ? 0 : en > nd ? nd : en;
    n = en > st ? en - st : 0;
    if ((rc = skco_new(SKC_DT_I64, 1, &n, out, (void **)&y)))
        return rc;
    for (i = 0; i < n; i++)
        y[i] = skc_tensor_shape(in[0])[st + i];
    return SKC_OK;
}

int skco_eval_size(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    int64_t *y;
    int rc;

    (void)s;
    (void)err;
    (void)errlen;
    if ((rc = skco_new(SKC_DT_I64, 0, NULL, out, (void **)&y)))
        return rc;
    *y = skc_tensor_numel(in[0]);
    return SKC_OK;
}

/* Broadcast @p x to @p nd/@p sh (Expand, Tile's helper is separate). */
static int shape_broadcast_to(const skc_step *s, const skc_tensor *x, int nd, const int64_t *sh,
                              skc_tensor **out, char *err, size_t errlen)
{
    skc_tensor *probe;
    const skc_tensor *two[2];
    skco_bcast bc;
    skco_iter it;
    int64_t i;
    void *y;
    int rc;

    /* A zero-filled tensor of the target shape lets skco_bcast do the
     * bidirectional rule. */
    if ((rc = skco_new(SKC_DT_U8, nd, sh, &probe, NULL)))
        return rc == SKC_E_NOMEM ? rc : skco_fail(err, errlen, s, rc, "cannot expand to that shape");
    two[0] = x;
    two[1] = probe;
    rc = skco_bcast_init(&bc, 2, two, s, err, errlen);
    skc_tensor_free(probe);
    if (rc)
        return rc;
    if ((rc = skco_new(skc_tensor_dtype(x), bc.ndim, bc.shape, out, &y)))
        return rc;
    skco_iter_init(&it, &bc);
    for (i = 0; i < bc.numel; i++, skco_iter_next(&it))
        if ((rc = skco_copy(*out, y, i, x, it.off[0])))
            return shape_undo(out, rc);
    return SKC_OK;
}

int skco_eval_expand(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    int64_t *v, n;
    int rc;

    if (s->n_inputs != 2)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects an input and a shape");
    if ((rc = shape_int_input(s, in[1], "shape", &v, &n, err, errlen)))
        return rc;
    if (n > SKC_MAX_DIMS) {
        free(v);
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "shape has too many dimensions");
    }
    rc = shape_broadcast_to(s, in[0], (int)n, v, out, err, errlen);
    free(v);
    return rc;
}

int skco_eval_tile(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    const skc_tensor *x = in[0];
    int nd = skc_tensor_ndim(x), d, rc;
    const int64_t *sh = skc_tensor_shape(x);
    int64_t *rep, n, osh[SKC_MAX_DIMS], xst[SKC_MAX_DIMS], idx[SKC_MAX_DIMS] = { 0 }, i, total;
    void *y;

    if (s->n_inputs != 2)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects an input and repeats");
    if ((rc = shape_int_input(s, in[1], "repeats", &rep, &n, err, errlen)))
        return rc;
    if (n != nd) {
        free(rep);
        return skco_fail(err, errlen, s, SKC_E_INVAL, "repeats has %lld entries for rank %d",
                         (long long)n, nd);
    }
    for (d = 0; d < nd; d++) {
        if (rep[d] < 0 || (rep[d] && sh[d] > INT64_MAX / rep[d])) {
            free(rep);
            return skco_fail(err, errlen, s, SKC_E_INVAL, "bad repeat count");
        }
        osh[d] = sh[d] * rep[d];
    }
    free(rep);
    if ((rc = skco_new(skc_tensor_dtype(x), nd, osh, out, &y)))
        return rc;
    skco_strides(nd, sh, xst);
    total = skco_numel(nd, osh);
    for (i = 0; i < total; i++) {
        int64_t src = 0;
        for (d = 0; d < nd; d++)
            src += (idx[d] % sh[d]) * xst[d];
        if ((rc = skco_copy(*out, y, i, x, src)))
            return shape_undo(out, rc);
        for (d = nd - 1; d >= 0; d--) {
            if (++idx[d] < osh[d])
                break;
            idx[d] = 0;
        }
    }
    return SKC_OK;
}

int skco_eval_constant_of_shape(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                                char *err, size_t errlen)
{
    const skc_tensor *val = skco_attr_t(s, "value");
    int64_t *v, n, i, total;
    int rc, dt = val ? skc_tensor_dtype(val) : SKC_DT_F32;
    void *y;

    if (val && skc_tensor_numel(val) != 1)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "value must hold one element");
    if ((rc = shape_int_input(s, in[0], "shape", &v, &n, err, errlen)))
        return rc;
    if (n > SKC_MAX_DIMS) {
        free(v);
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "shape has too many dimensions");
    }
    for (i = 0; i < n; i++)
        if (v[i] < 0) {
            free(v);
            return skco_fail(err, errlen, s, SKC_E_INVAL, "negative dimension");
        }
    rc = skco_new(dt, (int)n, v, out, &y);
    free(v);
    if (rc)
        return rc;
    total = skc_tensor_numel(*out);
    if (val)
        for (i = 0; i < total; i++)
            if ((rc = skco_copy(*out, y, i, val, 0)))
                return shape_undo(out, rc);
    return SKC_OK;
}

int skco_eval_range(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    int dt = skc_tensor_dtype(in[0]), rc, k;
    int64_t n, i;
    void *y;

    for (k = 0; k < 3; k++)
        if (k >= s->n_inputs || skc_tensor_numel(in[k]) != 1 || skc_tensor_dtype(in[k]) != dt ||
            !skco_is_num(dt) || dt == SKC_DT_BOOL)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "expects three numeric scalars of one type");
    if (skco_is_int(dt)) {
        int64_t a = skco_geti(in[0], 0), b = skco_geti(in[1], 0), c = skco_geti(in[2], 0);
        double cnt;
        if (c == 0)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "delta is 0");
        cnt = ceil(((double)b - (double)a) / (double)c);
        if (cnt > (double)SKCO_MAX_NUMEL)
            return skco_fail(err, errlen, s, SKC_E_LIMIT, "range is too long");
        n = cnt > 0 ? (int64_t)cnt : 0;
        if ((rc = skco_new(dt, 1, &n, out, &y)))
            return rc;
        for (i = 0; i < n; i++)
            skco_puti(dt, y, i, a + i * c);
    } else {
        double a = skco_get(in[0], 0), b = skco_get(in[1], 0), c = skco_get(in[2], 0), cnt;
        if (c == 0 || !isfinite(a) || !isfinite(b) || !isfinite(c))
            return skco_fail(err, errlen, s, SKC_E_INVAL, "bad range");
        cnt = ceil((b - a) / c);
        if (cnt > (double)SKCO_MAX_NUMEL)
            return skco_fail(err, errlen, s, SKC_E_LIMIT, "range is too long");
        n = cnt > 0 ? (int64_t)cnt : 0;
        if ((rc = skco_new(dt, 1, &n, out, &y)))
            return rc;
        for (i = 0; i < n; i++)
            skco_put(dt, y, i, a + (double)i * c);
    }
    return SKC_OK;
}

/* OneHot(indices, depth, values): values[1] where index matches, else
 * values[0]; negative indices count from depth. */
int skco_eval_onehot(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    const skc_tensor *idx = in[0];
    int nd = skc_tensor_ndim(idx), ond = nd + 1, ax, rc, d;
    int64_t depth, osh[SKC_MAX_DIMS], outer = 1, inner = 1, o, i, t;
    void *y;

    if (s->n_inputs != 3 || skc_tensor_numel(in[1]) != 1 || skc_tensor_numel(in[2]) != 2 ||
        !skco_is_num(skc_tensor_dtype(idx)))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects indices, a scalar depth and two values");
    if (ond > SKC_MAX_DIMS)
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "result has too many dimensions");
    depth = skco_f2i(skco_get(in[1], 0));
    if (depth <= 0 || depth > (int64_t)1 << 24)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "depth %lld is not usable", (long long)depth);
    if ((rc = skco_axis(s, skco_attr_i(s, "axis", -1), ond, &ax, err, errlen)))
        return rc;
    for (d = 0, t = 0; d < ond; d++)
        osh[d] = d == ax ? depth : skc_tensor_shape(idx)[t++];
    for (d = 0; d < nd; d++) {
        if (d < ax)
            outer *= skc_tensor_shape(idx)[d];
        else
            inner *= skc_tensor_shape(idx)[d];
    }
    if ((rc = skco_new(skc_tensor_dtype(in[2]), ond, osh, out, &y)))
        return rc;
    for (o = 0; o < outer; o++)
        for (t = 0; t < depth; t++)
            for (i = 0; i < inner; i++) {
                int64_t v = skco_f2i(skco_get(idx, o * inner + i));
                if (v < 0)
                    v += depth;
                if ((rc = skco_copy(*out, y, (o * depth + t) * inner + i, in[2], v == t)))
                    return shape_undo(out, rc);
            }
    return SKC_OK;
}
