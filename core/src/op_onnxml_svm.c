/* SPDX-License-Identifier: MIT */
/* op_onnxml_svm.c: work in progress. */
#include "op_onnx.h"
