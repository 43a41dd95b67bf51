/* SPDX-License-Identifier: MIT */
/* onnx_ops_label.c: the IR `label` step (scores to class labels) as ArgMax or Greater, then Gather (core/OPS.md). */
#include <math.h>
#include <string.h>

#include "onnx_writer.h"

/* Row indices [N] into the classes: ArgMax-13 with keepdims=0 picks the
 * first maximum (select_last_index=0), which is sklearn's tie rule. */
static int onnx_label_argmax(onnx_builder *b, const char *s, const char *idx)
{
    Onnx__NodeProto *n;
    int rc = onnx_node(b, "ArgMax", NULL, &s, 1, &idx, 1, &n);
    if (rc < 0 || (rc = onnx_attr_int(b, n, "axis", 1)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", 0)) < 0)
        return rc;
    return 0;
}

/* Index 1 where s > threshold, else 0; NaN compares false and gets 0, as
 * in the reference evaluator. */
static int onnx_label_threshold(onnx_builder *b, const skc_step *st,
                                const char *s, const char *idx)
{
    const char *thr, *gt, *gt_i, *flat;
    Onnx__NodeProto *n;
    double threshold;
    int rc = skc_step_get_float(st, "threshold", &threshold);
    /* OPS.md: linear models use 0, so a lifter may leave it out. */
    if (rc == SKC_E_NOT_FOUND)
        threshold = 0.0;
    else if (rc < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'threshold' is not a float");
    if (isnan(threshold))
        return onnx_error(b, SKC_E_FORMAT, "attribute 'threshold' is NaN");
    const int64_t flat_shape = -1, one_dim = 1;
    if ((rc = onnx_const_scalar(b, "threshold", threshold, &thr)) < 0 ||
        (rc = onnx_const_i64(b, "flat_shape", &flat_shape, 1, &one_dim, &flat)) < 0 ||
        (rc = onnx_name_fresh(b, "above", &gt)) < 0 ||
        (rc = onnx_name_fresh(b, "above_index", &gt_i)) < 0)
        return rc;
    const char *gt_in[2] = { s, thr };
    if ((rc = onnx_node(b, "Greater", NULL, gt_in, 2, &gt, 1, NULL)) < 0)
        return rc;
    if ((rc = onnx_node(b, "Cast", NULL, &gt, 1, &gt_i, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "to", ONNX_ELEM_INT64)) < 0)
        return rc;
    const char *rs_in[2] = { gt_i, flat };
    return onnx_node(b, "Reshape", NULL, rs_in, 2, &idx, 1, NULL);
}

int onnx_emit_label(onnx_builder *b, const skc_step *st)
{
    const skc_tensor *classes;
    const char *mode, *s, *cls, *idx, *out;
    int elem, rc;

    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_string(b, st, "mode", &mode)) < 0)
        return rc;
    int argmax = strcmp(mode, "argmax") == 0;
    if (!argmax && strcmp(mode, "threshold") != 0)
        return onnx_error(b, SKC_E_UNSUPPORTED,
                          "mode '%s' is not one of argmax, threshold", mode);
    rc = skc_step_get_tensor(st, "classes", &classes);
    if (rc < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'classes' is %s",
                          rc == SKC_E_NOT_FOUND ? "missing" : "not a tensor");
    if (skc_tensor_ndim(classes) != 1 || skc_tensor_numel(classes) < 1)
        return onnx_error(b, SKC_E_FORMAT, "'classes' must be 1-D and not empty");
    if (!argmax && skc_tensor_numel(classes) != 2)
        return onnx_error(b, SKC_E_FORMAT, "mode threshold needs 2 classes, "
                          "not %lld", (long long)skc_tensor_numel(classes));

    /* Labels keep the classes' own type: int64 or string as sklearn's
     * classes_ held them, whatever the arithmetic runs in. */
    if ((rc = onnx_const_exact(b, "classes", classes, &cls, &elem)) < 0 ||
        (rc = onnx_step_real_input(b, st, 0, &s)) < 0 ||
        (rc = onnx_step_output(b, st, 0, elem, &out)) < 0 ||
        (rc = onnx_name_fresh(b, "class_index", &idx)) < 0)
        return rc;
    rc = argmax ? onnx_label_argmax(b, s, idx)
                : onnx_label_threshold(b, st, s, idx);
    if (rc < 0)
        return rc;
    /* Gather works on strings in ONNX Runtime, where ArrayFeatureExtractor
     * would pull in ai.onnx.ml for no gain. */
    Onnx__NodeProto *n;
    const char *g_in[2] = { cls, idx };
    if ((rc = onnx_node(b, "Gather", NULL, g_in, 2, &out, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "axis", 0);
}
