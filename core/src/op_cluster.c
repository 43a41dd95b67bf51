/* SPDX-License-Identifier: MIT */
/* op_cluster.c: reference semantics of the clustering IR operation (core/OPS.md): kmeans. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

/* ---- kmeans: nearest centre and distances to every centre --------------- */

static int clu_kmeans_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *c;
    int rc;

    if ((rc = skci_need_f64(s, "centers", 2, &c, err, errlen)))
        return rc;
    if (skc_tensor_shape(c)[0] < 1) {
        skci_errf(err, errlen, "step 'kmeans': no centres");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

/* sklearn computes both outputs from the expansion
 * |x - c|^2 = |x|^2 - 2 x.c + |c|^2 rather than from differences, and
 * the result differs from the direct sum by rounding; the same expansion
 * (in the same order) keeps us within a few ulps of it. */
static int clu_kmeans_eval(const skc_step *s, const skc_tensor *const *in,
                           skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *ct;
    const double *x, *c;
    double *cc = NULL, *xr = NULL, *d, xx, dot, best, v;
    int64_t n, f, k, r, j, i, *lab, f32 = 0;
    int rc;

    skc_step_get_tensor(s, "centers", &ct);
    skc_step_get_int(s, "float32", &f32);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    k = skc_tensor_shape(ct)[0];
    if (f != skc_tensor_shape(ct)[1]) {
        skci_errf(err, errlen, "step 'kmeans': input has %lld columns but the centres %lld",
                  (long long)f, (long long)skc_tensor_shape(ct)[1]);
        return SKC_E_INVAL;
    }
    out[0] = out[1] = NULL;
    cc = malloc((size_t)k * sizeof(*cc));
    xr = malloc((size_t)(f ? f : 1) * sizeof(*xr));
    if (!cc || !xr) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    if ((rc = skc_tensor_new(SKC_DT_I64, 1, &n, &out[0])) ||
        (rc = skci_new_matrix(n, k, &out[1])))
        goto fail;
    x = skc_tensor_data(in[0]);
    c = skc_tensor_data(ct);
    lab = skc_tensor_data_mut(out[0]);
    d = skc_tensor_data_mut(out[1]);
    for (j = 0; j < k; j++) {
        cc[j] = 0.0;
        for (i = 0; i < f; i++)
            cc[j] += c[j * f + i] * c[j * f + i];
    }
    for (r = 0; r < n; r++) {
        for (i = 0; i < f; i++)
            xr[i] = f32 ? (double)(float)x[r * f + i] : x[r * f + i];
        xx = 0.0;
        for (i = 0; i < f; i++)
            xx += xr[i] * xr[i];
        lab[r] = 0;
        best = 0.0;
        for (j = 0; j < k; j++) {
            dot = 0.0;
            for (i = 0; i < f; i++)
                dot += xr[i] * c[j * f + i];
            /* predict(): argmin of |c|^2 - 2 x.c, the first on ties
             * (KMeans' Lloyd kernel keeps a strictly smaller value). */
            v = cc[j] + -2.0 * dot;
            if (j == 0 || v < best) {
                best = v;
                lab[r] = j;
            }
            /* transform(): euclidean_distances adds |x|^2 then |c|^2. */
            v = -2.0 * dot + xx + cc[j];
            /* Fitted on float32, sklearn stores d^2 as float32 and takes a
             * float32 sqrt (a double sqrt of it rounds the same). */
            if (f32)
                v = (double)(float)v;
            v = sqrt(v > 0.0 ? v : 0.0);
            d[r * k + j] = f32 ? (double)(float)v : v;
        }
    }
    free(cc);
    free(xr);
    return SKC_OK;
fail:
    free(cc);
    free(xr);
    skc_tensor_free(out[0]);
    skc_tensor_free(out[1]);
    out[0] = out[1] = NULL;
    return rc;
}

/* Each centre's coordinates and the midpoints between centres, where
 * the nearest centre changes. */
static void clu_kmeans_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *ct;
    int64_t k, f, j, j2, i;

    if (skc_step_get_tensor(s, "centers", &ct))
        return;
    k = skc_tensor_shape(ct)[0];
    f = skc_tensor_shape(ct)[1];
    for (j = 0; j < k; j++) {
        for (i = 0; i < f; i++) {
            double a = skc_tensor_get_f64(ct, j * f + i);
            skci_hint_add(h, i, a);
            for (j2 = j + 1; j2 < k && j2 < j + 8; j2++)
                skci_hint_add(h, i, 0.5 * (a + skc_tensor_get_f64(ct, j2 * f + i)));
        }
    }
}

const skci_op skci_ops_cluster[] = {
    { .name = "kmeans", .n_inputs = 1, .n_outputs = 2, .check = clu_kmeans_check,
      .eval = clu_kmeans_eval, .hints = clu_kmeans_hints },
    { .name = NULL }
};
