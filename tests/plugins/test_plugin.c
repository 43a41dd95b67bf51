/* SPDX-License-Identifier: MIT */
/*
 * test_plugin.c: one source, many modules. tests/plugins/meson.build builds
 * it once per TP_CASE; every case but TP_GOOD carries exactly one defect the
 * registry must refuse (plugin.h: "refused whole: SKC_E_ABI ... nothing of
 * it is registered"). TP_NAME is the module stem (skconv-TP_NAME.so).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <skconv/plugin.h>

#define TP_GOOD       1  /* formats tgood (read+write), ttie-a, ttie-b      */
#define TP_BAD_ABI    2  /* abi_version is SKC_ABI_VERSION + 1              */
#define TP_SHORT      3  /* plugin struct_size stops before .formats        */
#define TP_NO_SYMBOL  4  /* exports no skconv_plugin_entry                  */
#define TP_DUP        5  /* declares format "dup" (built twice: tdupa, tdupb) */
#define TP_HALF       6  /* "half-ok" (fine) then "dup": all or nothing     */
#define TP_SHORT_FMT  7  /* format struct_size far too small                */
#define TP_NULL_ENTRY 8  /* entry returns NULL: does not serve this ABI     */

#ifndef TP_CASE
#error "build with -DTP_CASE=<n> -DTP_NAME=\"name\""
#endif

/* Not every case uses every callback below. */
#define TP_UNUSED __attribute__((unused))

/* "TGOOD" scores 100 for tgood; "TTIE" scores 60 for both tie formats. */
TP_UNUSED static int tp_probe_good(const skc_probe_data *p)
{
    return memcmp(p->buf, "TGOOD", 5) == 0 ? SKC_PROBE_MAX : 0;
}

TP_UNUSED static int tp_probe_tie(const skc_probe_data *p)
{
    return memcmp(p->buf, "TTIE", 4) == 0 ? 60 : 0;
}

/* Reading gives a model with one input X [N, 2] and an identity step,
 * with the input's hash as its source.sha256. */
static int tp_read(skc_session *s, skc_stream *in, skc_model **out)
{
    static const int64_t shape[2] = { -1, 2 };
    skc_model *m = NULL;
    skc_step *st;
    int rc;

    if ((rc = skc_session_hash_input(s, in)) ||
        (rc = skc_model_new(&m)) ||
        (rc = skc_model_add_input(m, "X", SKC_DT_F32, 2, shape)) ||
        (rc = skc_model_add_step(m, "identity", &st)) ||
        (rc = skc_step_add_input(st, "X")) ||
        (rc = skc_step_add_output(st, "variable")) ||
        (rc = skc_model_add_output(m, "variable", SKC_DT_F64, 2, shape)) ||
        (rc = skc_model_set_meta(m, "test.reader", TP_NAME)))
        goto fail;
    *out = m;
    return SKC_OK;
fail:
    skc_model_free(m);
    return skc_set_error(s, rc, "tp_read failed");
}

TP_UNUSED static int tp_query_op(const char *op)
{
    return strcmp(op, "identity") == 0;
}

/* Writing gives "TGOOD" and the step count: readable by tp_probe_good;
 * then the source hash and the verification summary, when the model
 * holds them. */
TP_UNUSED static int tp_write(skc_session *s, const skc_model *m, skc_stream *out)
{
    char line[600];
    const char *v = skc_model_get_meta(m, "skconv.verification");
    const char *h = skc_model_get_meta(m, "source.sha256");
    int n = snprintf(line, sizeof(line), "TGOOD steps=%d\n", skc_model_step_count(m));

    (void)s;
    if (h)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "source.sha256=%.64s\n", h);
    if (v)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "verification=%.400s\n", v);
    return skc_stream_write(out, line, (size_t)n);
}

/* Appending is offered but refused: the host writes the model again. */
TP_UNUSED static int tp_append_meta(skc_session *s, skc_stream *out, const char *key,
                                    const char *value)
{
    (void)s;
    (void)out;
    (void)key;
    (void)value;
    return SKC_E_UNSUPPORTED;
}

TP_UNUSED static const skc_option tp_write_options[] = {
    { .name = "level", .type = SKC_OPT_INT, .default_value = "1",
      .help = "a bounded integer", .min = 0, .max = 9 },
    { .name = "mode", .type = SKC_OPT_ENUM, .default_value = "fast",
      .choices = "fast|slow", .help = "a choice" },
    { 0 }
};

#if TP_CASE == TP_GOOD
static const skc_format tp_fmt_good = {
    SKC_FORMAT_INIT,
    .caps = SKC_CAP_READ | SKC_CAP_WRITE,
    .name = "tgood",
    .long_name = "test format (reads and writes)",
    .extensions = "tgood",
    .write_options = tp_write_options,
    .probe = tp_probe_good,
    .read = tp_read,
    .query_op = tp_query_op,
    .write = tp_write,
    .append_meta = tp_append_meta,
};
static const skc_format tp_fmt_tie_a = {
    SKC_FORMAT_INIT, .caps = SKC_CAP_READ, .name = "ttie-a",
    .long_name = "test tie A", .extensions = "ttie",
    .probe = tp_probe_tie, .read = tp_read,
};
static const skc_format tp_fmt_tie_b = {
    SKC_FORMAT_INIT, .caps = SKC_CAP_READ, .name = "ttie-b",
    .long_name = "test tie B", .extensions = "ttie",
    .probe = tp_probe_tie, .read = tp_read,
};
static const skc_format *const tp_formats[] = {
    &tp_fmt_good, &tp_fmt_tie_a, &tp_fmt_tie_b, NULL
};
#elif TP_CASE == TP_HALF
static const skc_format tp_fmt_ok = {
    SKC_FORMAT_INIT, .caps = SKC_CAP_READ, .name = "half-ok",
    .long_name = "valid on its own", .extensions = "half",
    .probe = tp_probe_good, .read = tp_read,
};
static const skc_format tp_fmt_dup = {
    SKC_FORMAT_INIT, .caps = SKC_CAP_READ, .name = "dup",
    .long_name = "clashes with tdupa", .extensions = "dup",
    .probe = tp_probe_tie, .read = tp_read,
};
static const skc_format *const tp_formats[] = { &tp_fmt_ok, &tp_fmt_dup, NULL };
#else
static const skc_format tp_fmt_one = {
#if TP_CASE == TP_SHORT_FMT
    .struct_size = 8,
#else
    SKC_FORMAT_INIT,
#endif
    .caps = SKC_CAP_READ,
#if TP_CASE == TP_DUP
    .name = "dup",
#else
    .name = TP_NAME,
#endif
    .long_name = "test format " TP_NAME, .extensions = TP_NAME,
    .probe = tp_probe_tie, .read = tp_read,
};
static const skc_format *const tp_formats[] = { &tp_fmt_one, NULL };
#endif

TP_UNUSED static const skc_plugin tp_plugin = {
#if TP_CASE == TP_BAD_ABI
    .abi_version = SKC_ABI_VERSION + 1, .struct_size = sizeof(skc_plugin),
#elif TP_CASE == TP_SHORT
    .abi_version = SKC_ABI_VERSION,
    .struct_size = (uint32_t)offsetof(skc_plugin, formats),
#else
    SKC_PLUGIN_INIT,
#endif
    .name = TP_NAME,
    .version = "0.0.1",
    .license = "MIT",
    .formats = tp_formats,
};

#if TP_CASE == TP_NO_SYMBOL
/* Exported, but under the wrong name. */
SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry_v0(uint32_t host_abi);
SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry_v0(uint32_t host_abi)
#else
SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi);
SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi)
#endif
{
#if TP_CASE == TP_NULL_ENTRY
    (void)host_abi;
    return NULL;
#else
    (void)host_abi;
    return &tp_plugin;
#endif
}
