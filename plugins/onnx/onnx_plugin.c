/* SPDX-License-Identifier: MIT */
/* onnx_plugin.c: the skconv-onnx module: its write options, capabilities and format descriptor. */
#include <skconv/plugin.h>

#include "onnx_read.h"
#include "onnx_writer.h"

#define ONNX_STR_(x) #x
#define ONNX_STR(x) ONNX_STR_(x)

static const skc_option onnx_write_options[] = {
    { .name = "opset", .type = SKC_OPT_INT,
      .default_value = ONNX_STR(ONNX_OPSET_DEFAULT),
      .help = "ai.onnx opset to target (the IR version follows from it)",
      .min = ONNX_OPSET_MIN, .max = ONNX_OPSET_MAX },
    { .name = "ml_opset", .type = SKC_OPT_INT,
      .default_value = ONNX_STR(ONNX_ML_OPSET_DEFAULT),
      .help = "ai.onnx.ml opset, imported only when an ML operator is used",
      .min = ONNX_ML_OPSET_MIN, .max = ONNX_ML_OPSET_MAX },
    { .name = "dtype", .type = SKC_OPT_ENUM, .default_value = "float32",
      .choices = "float32|float64",
      .help = "input and arithmetic type; float64 follows sklearn's precision" },
    { .name = "zipmap", .type = SKC_OPT_BOOL, .default_value = "false",
      .help = "probabilities as ZipMap's sequence of {class: probability} maps" },
    { .name = "inputs", .type = SKC_OPT_ENUM, .default_value = "tensor",
      .choices = "tensor|columns",
      .help = "one input X [N, F], or one input [N, 1] per named column" },
    { .name = "external_data", .type = SKC_OPT_BOOL, .default_value = "false",
      .help = "tensors of 1 KiB or more in OUTPUT.data beside the model (automatic past 2 GiB)" },
    { 0 }
};

static int onnx_query_op(const char *op)
{
    return onnx_op_emitter(op) != NULL;
}

static int onnx_write(skc_session *s, const skc_model *m, skc_stream *out)
{
    return onnx_write_model(s, m, out);
}

static const skc_format onnx_format = {
    SKC_FORMAT_INIT,
    .caps = SKC_CAP_WRITE | SKC_CAP_READ | SKC_CAP_UNTRUSTED_SAFE,
    .name = "onnx",
    .long_name = "ONNX model (ai.onnx and ai.onnx.ml operators)",
    .extensions = "onnx",
    .write_options = onnx_write_options,
    .query_op = onnx_query_op,
    .write = onnx_write,
    .probe = onnx_read_probe,
    .read = onnx_read_model,
    .append_meta = onnx_append_meta,
};

static const skc_format *const onnx_formats[] = { &onnx_format, NULL };

static const skc_plugin onnx_plugin = {
    SKC_PLUGIN_INIT,
    .name = "onnx",
    .version = SKC_VERSION_STRING,
    .license = "MIT",
    .formats = onnx_formats,
};

SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi)
{
    return host_abi == SKC_ABI_VERSION ? &onnx_plugin : NULL;
}
