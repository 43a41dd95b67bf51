/* SPDX-License-Identifier: MIT */
/* op_onnxml_tree.c: work in progress. */
#include "op_onnx.h"
