/* SPDX-License-Identifier: MIT */
/* onnx_ops_identity.c: the IR `identity` step, which only gives a tensor a new name (core/OPS.md). */
#include "onnx_writer.h"

int onnx_emit_identity(onnx_builder *b, const skc_step *st)
{
    const char *x, *out;
    int elem, rc;
    if ((rc = onnx_step_arity(b, st, 1, 1)) < 0 ||
        (rc = onnx_step_input(b, st, 0, &x, &elem)) < 0 ||
        (rc = onnx_step_output(b, st, 0, elem, &out)) < 0)
        return rc;
    return onnx_node(b, "Identity", NULL, &x, 1, &out, 1, NULL);
}
