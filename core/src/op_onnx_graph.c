/* SPDX-License-Identifier: MIT */
/* op_onnx_graph.c: work in progress. */
#include "op_onnx.h"
