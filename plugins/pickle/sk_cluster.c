/* SPDX-License-Identifier: MIT */
/* sk_cluster.c: KMeans and MiniBatchKMeans (cluster_centers_) into a kmeans step.
 *
 * State across sklearn versions (side by side):
 *
 * | attribute        | 0.14 – 0.21 (sklearn.cluster.k_means_) | 0.22 + (sklearn.cluster._kmeans) |
 * |------------------|-----------------------------------------|----------------------------------|
 * | cluster_centers_ | [K, F] float64                          | same; float32 when fitted on     |
 * |                  |                                         | float32 data (seen in 1.2)       |
 *
 * predict() is the nearest centre (first on ties), transform() the
 * euclidean distance to every centre; both from cluster_centers_ alone in
 * every version. A model fitted on float32 data takes float32 rows only
 * and returns float32 distances: the step's `float32` flag rounds X and
 * the distances as sklearn does (its float32 label kernel is followed in
 * double, which can differ only on a near-tie).
 */
#include <stdio.h>
#include <string.h>
#include "sk_lift.h"

/* The model's outputs label [N] and scores [N, K] when it makes them (a
 * predictor with label and scores when a composition reads its
 * predictions); inside a Pipeline before the last step, the transformer
 * it is there (transform(): the distances). */
static int clu_kmeans(sk_ctx *c, const pk_obj *est, const char *in,
                      int64_t in_width, char *out, int64_t *out_width)
{
    skc_tensor *centers = NULL;
    pk_array_info ai;
    char label[64];
    skc_step *st;
    int64_t k, f, lshape[1] = { -1 }, sshape[2];
    int rc;

    if ((rc = sk_attr_f64(c, est, "cluster_centers_", &centers)))
        return rc;
    if (skc_tensor_ndim(centers) != 2 || skc_tensor_shape(centers)[0] < 1) {
        rc = sk_fail(c, SKC_E_FORMAT, "cluster_centers_ is not a non-empty matrix");
        goto done;
    }
    k = skc_tensor_shape(centers)[0];
    f = skc_tensor_shape(centers)[1];
    if ((rc = sk_check_width(c, in, in_width, f)))
        goto done;
    sk_out_name(c, "label", label);
    sk_out_name(c, "scores", out);
    if ((rc = sk_step(c, "kmeans", in, label, &st)) ||
        (rc = skc_step_add_output(st, out)) ||
        (rc = skc_step_set_tensor(st, "centers", centers)))
        goto done;
    if (pk_array(pk_attr(est, "cluster_centers_"), &ai) == SKC_OK && ai.kind == 'f' &&
        ai.itemsize == 4 && (rc = skc_step_set_int(st, "float32", 1)))
        goto done;
    c->wrapped_role = c->final || c->inner ? SK_CLASSIFIER : SK_TRANSFORMER;
    if (c->final) {
        sshape[0] = -1;
        sshape[1] = k;
        if ((rc = skc_model_add_output(c->m, label, SKC_DT_I64, 1, lshape)) ||
            (rc = skc_model_add_output(c->m, out, SKC_DT_F64, 2, sshape)))
            goto done;
    }
    if (c->final || c->inner)
        snprintf(c->last_label, sizeof(c->last_label), "%s", label);
    *out_width = k;
done:
    skc_tensor_free(centers);
    return rc;
}

const sk_family sk_cluster_families[] = {
    { "sklearn.cluster.KMeans", SK_WRAPPER, clu_kmeans },
    { "sklearn.cluster.MiniBatchKMeans", SK_WRAPPER, clu_kmeans },
    { NULL, 0, NULL }
};
