/* SPDX-License-Identifier: MIT */
/* fuzz_native.c: libFuzzer target for the .skm reader and inspect (built with -Dfuzz=true). */
#include <stddef.h>
#include <stdint.h>
#include <skconv/plugin.h>

const skc_plugin *skconv_plugin_entry(uint32_t host_abi);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static skc_context *fz_ctx;
static const skc_format *fz_fmt;

/* The reader is linked in (skm_lib), not loaded, so the fuzzer's
 * coverage instrumentation sees it; the format descriptor comes from the
 * plugin's own entry point and needs no registration for a session. */
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
    lim.max_elements = 1 << 20;
    lim.max_objects = 1 << 16;
    skc_context_set_limits(fz_ctx, &lim);
    fz_fmt = skconv_plugin_entry(SKC_ABI_VERSION)->formats[0];
    return 0;
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
        skc_session_new(fz_ctx, fz_fmt, "fuzz.skm", &s) == SKC_OK &&
        skc_session_read(s, in, &m) == SKC_OK)
        skc_model_free(m);
    skc_session_free(s);
    s = NULL;
    if (skc_session_new(fz_ctx, fz_fmt, "fuzz.skm", &s) == SKC_OK)
        (void)skc_session_inspect(s, in);
    skc_session_free(s);
    skc_stream_free(in);
    return 0;
}
