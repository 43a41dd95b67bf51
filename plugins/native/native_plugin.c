/* SPDX-License-Identifier: MIT */
/* native_plugin.c: the skconv-native module: the .skm format's probe, options and descriptor. */
#include "skm_format.h"

static const skc_option native_read_options[] = {
    { .name = "verify_data", .type = SKC_OPT_ENUM, .default_value = "auto",
      .choices = "auto|true|false",
      .help = "check the CRC-32 of the tensor data too; auto: when the tensors are "
              "copied (mmap=false, or a stream that is no file), not when they are used "
              "in place from the mapped file, so that opening costs no pass over the "
              "data (structure, indices and the other CRCs are always checked)" },
    { .name = "mmap", .type = SKC_OPT_BOOL, .default_value = "true",
      .help = "use tensors in place from a read-only mapping of the file (false: copy them)" },
    { 0 }
};

/* SPEC.md §3: the magic alone says "ours, maybe damaged" so that the
 * reader, not "unknown format", explains the damage; a known major
 * version and a matching header CRC make it certain. */
static int native_probe(const skc_probe_data *p)
{
    const uint8_t zero[4] = { 0, 0, 0, 0 };
    uint32_t hs, crc;

    if (p->size < SKM_MAGIC_LEN || memcmp(p->buf, SKM_MAGIC, SKM_MAGIC_LEN) != 0)
        return 0;
    if (p->size < SKM_HEADER_SIZE || skm_le16(p->buf + 8) != SKM_MAJOR)
        return 75;
    hs = skm_le32(p->buf + 16);
    if (hs < SKM_HEADER_SIZE || hs > SKM_HEADER_SIZE_MAX || hs % 8 || hs > p->size)
        return 75;
    crc = skm_crc32(0, p->buf, SKM_HEADER_CRC_AT);
    crc = skm_crc32(crc, zero, 4);
    crc = skm_crc32(crc, p->buf + SKM_HEADER_SIZE, hs - SKM_HEADER_SIZE);
    return crc == skm_le32(p->buf + SKM_HEADER_CRC_AT) ? SKC_PROBE_MAX : 75;
}

static int native_read(skc_session *s, skc_stream *in, skc_model **out)
{
    skm_read_opts o = { 0 };

    const char *v = skc_session_option(s, "verify_data");

    /* SPEC.md §10: -1 is auto, which skm_read resolves once it knows
     * whether the tensors are mapped. */
    o.check_data_crc = v && strcmp(v, "auto") != 0 ? skc_session_option_bool(s, "verify_data", 1)
                                                   : -1;
    o.use_mmap = skc_session_option_bool(s, "mmap", 1);
    return skm_read(s, in, &o, out);
}

/* The format stores any operation: it is generic over the IR. */
static int native_query_op(const char *op)
{
    return op && *op;
}

static int native_write(skc_session *s, const skc_model *m, skc_stream *out)
{
    return skm_write(s, m, out);
}

static int native_inspect(skc_session *s, skc_stream *in)
{
    return skm_inspect(s, in);
}

static const skc_format native_format = {
    SKC_FORMAT_INIT,
    .caps = SKC_CAP_READ | SKC_CAP_WRITE | SKC_CAP_UNTRUSTED_SAFE,
    .name = "skm",
    .long_name = "skconv native flat model",
    .extensions = "skm",
    .read_options = native_read_options,
    .probe = native_probe,
    .read = native_read,
    .query_op = native_query_op,
    .write = native_write,
    .inspect = native_inspect,
};

static const skc_format *const native_formats[] = { &native_format, NULL };

static const skc_plugin native_plugin = {
    SKC_PLUGIN_INIT,
    .name = "native",
    .version = SKC_VERSION_STRING,
    .license = "MIT",
    .formats = native_formats,
};

SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi);

SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi)
{
    return host_abi == SKC_ABI_VERSION ? &native_plugin : NULL;
}
