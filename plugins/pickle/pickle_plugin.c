/* SPDX-License-Identifier: MIT */
/* pickle_plugin.c: the sklearn pickle/joblib reader plugin: safe load, then lift into the IR. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <nettle/sha2.h>
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

/* The SHA-256 of the bytes as they are on disk, for provenance. A large
 * file is hashed on a second thread while the pickle is read and lifted
 * (both only read the mapped bytes); a small one, or when no thread can
 * be started, inline. */
typedef struct pickle_hash {
    skc_stream *in;
    const uint8_t *data;
    size_t size;
    int ok;                      /* the input could be mapped */
    int threaded;
    atomic_int stop;             /* the read failed: the digest is not wanted */
    pthread_t thread;
    char hex[2 * SHA256_DIGEST_SIZE + 1];
} pickle_hash;

#define PICKLE_HASH_THREAD_MIN ((size_t)8 << 20)

static void *pickle_hash_run(void *arg)
{
    pickle_hash *h = arg;
    const size_t chunk = (size_t)4 << 20;
    struct sha256_ctx c;
    uint8_t digest[SHA256_DIGEST_SIZE];
    size_t i, at, n;

    /* Pages hashed are given back (the reader maps them in again when it
     * gets there), so hashing ahead of the reader costs no memory. */
    sha256_init(&c);
    for (at = 0; at < h->size && !atomic_load(&h->stop); at += n) {
        n = h->size - at < chunk ? h->size - at : chunk;
        sha256_update(&c, n, h->data + at);
        if (h->threaded)
            skc_stream_drop(h->in, h->data + at, n);
    }
    sha256_digest(&c, sizeof(digest), digest);
    for (i = 0; i < sizeof(digest); i++)
        snprintf(h->hex + 2 * i, 3, "%02x", digest[i]);
    return NULL;
}

static void pickle_hash_start(pickle_hash *h, skc_stream *in)
{
    memset(h, 0, sizeof(*h));
    atomic_init(&h->stop, 0);
    if (skc_stream_map(in, &h->data, &h->size) != SKC_OK)
        return;
    h->ok = 1;
    h->in = in;
    h->threaded = h->size >= PICKLE_HASH_THREAD_MIN && skc_threads() > 1;
    if (h->threaded && pthread_create(&h->thread, NULL, pickle_hash_run, h) != 0)
        h->threaded = 0;
}

/* Without the digest (the read failed): a running hash stops at its next
 * chunk. */
static void pickle_hash_cancel(pickle_hash *h)
{
    if (!h->threaded)
        return;
    atomic_store(&h->stop, 1);
    pthread_join(h->thread, NULL);
    h->threaded = 0;
}

/* The hex digest, or NULL when the input could not be mapped. */
static const char *pickle_hash_finish(pickle_hash *h)
{
    if (!h->ok)
        return NULL;
    if (h->threaded) {
        pthread_join(h->thread, NULL);
        h->threaded = 0;
    } else if (!h->hex[0]) {
        pickle_hash_run(h);
    }
    return h->hex;
}

static void pickle_provenance(skc_session *s, pickle_hash *hash, const pk_graph *g,
                              skc_model *m)
{
    char num[32];
    pk_graph_info info;
    const char *fn = skc_session_filename(s), *hex = pickle_hash_finish(hash);

    if (hex)
        skc_model_set_meta(m, "source.sha256", hex);
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
    pickle_hash hash;
    sk_priv *priv = skc_session_priv(s);
    int rc;

    priv->src = in;
    pickle_hash_start(&hash, in);
    rc = pk_load(s, in, &g);
    if (rc == SKC_OK)
        rc = sk_lift_model(s, pk_graph_root(g), &m);
    if (rc == SKC_OK) {
        pickle_provenance(s, &hash, g, m);
        *out = m;
    }
    pickle_hash_cancel(&hash);
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
