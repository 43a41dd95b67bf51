/* SPDX-License-Identifier: MIT */
/* fuzz_onnx.c: libFuzzer target for the ONNX reader and the mirror-op evaluator (built with -Dfuzz=true). */
#include <stddef.h>
#include <stdint.h>
#include <skconv/plugin.h>

const skc_plugin *skconv_plugin_entry(uint32_t host_abi);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static skc_context *fz_ctx;
static const skc_format *fz_fmt;

/* The reader is compiled in, so the fuzzer's coverage instrumentation
 * sees it; the format descriptor comes from the plugin's entry point. */
static int fz_init(void)
{
    skc_limits lim;

    if (fz_fmt)
        return 0;
    if (skc_context_new(SKC_CONTEXT_NO_AUTOLOAD, &fz_ctx))
        return -1;
    /* Small limits keep each run fast; the checks are the same. */
    lim.struct_size = sizeof(lim);
    skc_context_get_limits(fz_ctx, &lim);
    lim.max_elements = 1 << 16;
    lim.max_depth = 32;
    skc_context_set_limits(fz_ctx, &lim);
    fz_fmt = skconv_plugin_entry(SKC_ABI_VERSION)->formats[0];
    return 0;
}

/* A model that reads is also evaluated on two rows of small values, so
 * the ops see whatever attributes a mutated file gives them. */
static void fz_eval(const skc_model *m)
{
    const skc_tensor *in[1];
    skc_tensor *x = NULL, *out[16] = { 0 };
    int64_t shape[2] = { 2, 1 };
    const int64_t *sh;
    char err[256];
    int nd = 0, i;

    if (skc_model_input_count(m) != 1 || skc_model_output_count(m) > 16)
        return;
    sh = skc_model_input_shape(m, 0, &nd);
    if (nd == 2 && sh[1] >= 0 && sh[1] <= 64)
        shape[1] = sh[1];
    if (skc_model_input_dtype(m, 0) == SKC_DT_STRING ||
        skc_tensor_new(SKC_DT_F64, 2, shape, &x) != SKC_OK)
        return;
    for (i = 0; i < shape[0] * shape[1]; i++)
        ((double *)skc_tensor_data_mut(x))[i] = (double)(i % 5) - 1.5;
    in[0] = x;
    if (skc_model_eval(m, in, out, err, sizeof(err)) == SKC_OK)
        for (i = 0; i < 16; i++)
            skc_tensor_free(out[i]);
    skc_tensor_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    skc_session *s = NULL;
    skc_stream *in = NULL;
    skc_model *m = NULL;
    skc_probe_data pd = { data, size, NULL };

    if (fz_init())
        return 0;
    /* The probe never reads past size, so it needs no padding here. */
    (void)fz_fmt->probe(&pd);
    if (skc_stream_open_memory(data, size, &in) == SKC_OK &&
        skc_session_new(fz_ctx, fz_fmt, "fuzz.onnx", &s) == SKC_OK &&
        skc_session_read(s, in, &m) == SKC_OK) {
        fz_eval(m);
        skc_model_free(m);
    }
    skc_session_free(s);
    skc_stream_free(in);
    return 0;
}
