/* SPDX-License-Identifier: MIT */
/* pickle_plugin.c: the sklearn pickle/joblib reader plugin: safe load, then lift into the IR. */
#include <stdio.h>
#include <string.h>
#include "pk_load.h"
#include "sk_lift.h"

static const skc_option pickle_read_options[] = {
    { .name = "object", .type = SKC_OPT_STRING,
      .help = "which member of a pickled dict/list/tuple to convert: a key or index, "
              "dotted or bracketed for nesting (svc, 0, models[1], ['a.b']); "
              "default: the only final estimator it holds" },
    { 0 }
};

static int pickle_probe(const skc_probe_data *p)
{
    return pk_probe(p->buf, p->size);
}

/* Provenance; source.sha256 comes from the core (skc_session_hash_input). */
static void pickle_provenance(skc_session *s, const pk_graph *g, skc_model *m)
{
    char num[32];
    pk_graph_info info;
    const char *fn = skc_session_filename(s);

    if (fn)
        skc_model_set_meta(m, "source.file", strrchr(fn, '/') ? strrchr(fn, '/') + 1 : fn);
    skc_model_set_meta(m, "source.format", "pickle");
    pk_graph_info_get(g, &info);
    snprintf(num, sizeof(num), "%d", info.protocol);
    skc_model_set_meta(m, "source.pickle_protocol", num);
    if (info.container)
        skc_model_set_meta(m, "source.container", info.container);
    if (info.compression)
        skc_model_set_meta(m, "source.compression", info.compression);
    if (info.numpy_era)
        skc_model_set_meta(m, "producer.numpy_era", info.numpy_era);
    skc_model_set_meta(m, "producer.converter", "skconv " SKC_VERSION_STRING);
}

static int pickle_read(skc_session *s, skc_stream *in, skc_model **out)
{
    pk_graph *g = NULL;
    skc_model *m = NULL;
    sk_priv *priv = skc_session_priv(s);
    int rc;

    priv->src = in;
    /* The bytes as they are on disk, hashed beside the read. */
    if ((rc = skc_session_hash_input(s, in)) == SKC_OK)
        rc = pk_load(s, in, &g);
    if (rc == SKC_OK)
        rc = sk_lift_model(s, pk_graph_root(g), &m);
    if (rc == SKC_OK) {
        pickle_provenance(s, g, m);
        *out = m;
    }
    sk_drop_flush(priv);
    pk_graph_free(g);
    priv->src = NULL;
    return rc;
}

static int pickle_scan(skc_session *s, skc_stream *in, int *verdict)
{
    return pk_scan(s, in, verdict);
}

static int pickle_inspect(skc_session *s, skc_stream *in)
{
    return pk_inspect(s, in);
}

static const skc_format pickle_format = {
    SKC_FORMAT_INIT,
    .caps = SKC_CAP_READ | SKC_CAP_UNTRUSTED_SAFE | SKC_CAP_SCAN,
    .name = "pickle",
    .long_name = "scikit-learn model in a pickle or joblib file (any protocol, any compression)",
    .extensions = "pkl,pickle,joblib,sav,p,pck,z,gz,bz2,xz,lzma,lz4",
    .read_options = pickle_read_options,
    .priv_size = sizeof(sk_priv),
    .probe = pickle_probe,
    .read = pickle_read,
    .scan = pickle_scan,
    .inspect = pickle_inspect,
};

static const skc_format *const pickle_formats[] = { &pickle_format, NULL };

SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi);

SKC_PLUGIN_EXPORT const skc_plugin *skconv_plugin_entry(uint32_t host_abi)
{
    static const skc_plugin plugin = {
        SKC_PLUGIN_INIT,
        .name = "pickle",
        .version = SKC_VERSION_STRING,
        .license = "MIT",
        .formats = pickle_formats,
    };

    return host_abi == SKC_ABI_VERSION ? &plugin : NULL;
}
