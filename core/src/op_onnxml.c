/* SPDX-License-Identifier: MIT */
/* op_onnxml.c: the table of "onnxml.*" mirror ops (ai.onnx.ml operators the ONNX reader lifts). */
#include "op_onnx.h"

const skci_op skci_ops_onnxml[] = {
    { 0 }
};
