/* SPDX-License-Identifier: MIT */
/* session.c: one read, write, scan or inspect of one file, and the services plugins call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core.h"
#include "model.h"

static int sess_ok(const skc_session *s)
{
    return s && s->magic == SKCI_MAGIC_SESSION;
}

int skc_session_new(skc_context *ctx, const skc_format *fmt,
                    const char *filename, skc_session **out)
{
    skc_session *s;

    if (!ctx || ctx->magic != SKCI_MAGIC_CONTEXT || !fmt || !out)
        return SKC_E_INVAL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return SKC_E_NOMEM;
    s->magic = SKCI_MAGIC_SESSION;
    s->ctx = ctx;
    s->fmt = fmt;
    if (filename && !(s->filename = skci_strdup(filename)))
        goto fail;
    if (fmt->priv_size && !(s->priv = calloc(1, fmt->priv_size)))
        goto fail;
    *out = s;
    return SKC_OK;
fail:
    free(s->filename);
    free(s);
    return SKC_E_NOMEM;
}

static void sess_close(skc_session *s)
{
    if (!s->closed && s->fmt->close)
        s->fmt->close(s);
    s->closed = 1;
}

void skc_session_free(skc_session *s)
{
    int i;

    if (!sess_ok(s))
        return;
    sess_close(s);
    skci_hash_free(s->hash);
    for (i = 0; i < s->n_opts; i++) {
        free(s->opts[i].key);
        free(s->opts[i].value);
    }
    free(s->opts);
    for (i = 0; i < s->n_comps; i++) {
        free(s->comp_names[i]);
        free(s->comp_paths[i]);
    }
    free(s->comp_names);
    free(s->comp_paths);
    free(s->priv);
    free(s->filename);
    free(s->report);
    s->magic = 0;
    free(s);
}

const skc_option *skci_option_find(const skc_option *table, const char *key)
{
    if (!table || !key)
        return NULL;
    for (; table->name; table++)
        if (strcmp(table->name, key) == 0)
            return table;
    return NULL;
}

static int sess_parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    size_t i;

    for (i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) { *out = 1; return 1; }
        if (strcasecmp(v, no[i]) == 0) { *out = 0; return 1; }
    }
    return 0;
}

static int sess_parse_int(const char *v, int64_t *out)
{
    char *end;
    long long x;

    errno = 0;
    x = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return 0;
    *out = (int64_t)x;
    return 1;
}

static int sess_choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    const char *p = choices;

    while (p && *p) {
        size_t len = strcspn(p, "|");
        if (len == n && strncmp(p, v, n) == 0)
            return 1;
        p += len;
        if (*p == '|')
            p++;
    }
    return 0;
}

int skci_option_check(const skc_option *o, const char *value, char *err, size_t errlen)
{
    int b;
    int64_t i;
    char *end;

    switch (o->type) {
    case SKC_OPT_BOOL:
        if (!sess_parse_bool(value, &b)) {
            skci_errf(err, errlen, "option '%s' takes true or false, not '%s'", o->name, value);
            return SKC_E_INVAL;
        }
        return SKC_OK;
    case SKC_OPT_INT:
        if (!sess_parse_int(value, &i)) {
            skci_errf(err, errlen, "option '%s' takes an integer, not '%s'", o->name, value);
            return SKC_E_INVAL;
        }
        if (o->min < o->max && (i < o->min || i > o->max)) {
            skci_errf(err, errlen, "option '%s' must be between %lld and %lld, not %lld",
                      o->name, (long long)o->min, (long long)o->max, (long long)i);
            return SKC_E_INVAL;
        }
        return SKC_OK;
    case SKC_OPT_FLOAT:
        (void)strtod(value, &end);
        if (end == value || *end) {
            skci_errf(err, errlen, "option '%s' takes a number, not '%s'", o->name, value);
            return SKC_E_INVAL;
        }
        return SKC_OK;
    case SKC_OPT_ENUM:
        if (!sess_choice_ok(o->choices, value)) {
            skci_errf(err, errlen, "option '%s' takes one of %s, not '%s'",
                      o->name, o->choices ? o->choices : "(none)", value);
            return SKC_E_INVAL;
        }
        return SKC_OK;
    case SKC_OPT_STRING:
        return SKC_OK;
    default:
        skci_errf(err, errlen, "option '%s' has an unknown type", o->name);
        return SKC_E_INVAL;
    }
}

static const skc_option *sess_table(const skc_session *s, int for_write)
{
    return for_write ? s->fmt->write_options : s->fmt->read_options;
}

int skc_session_set_option(skc_session *s, int for_write, const char *key,
                           const char *value)
{
    const skc_option *o;
    skci_optval *nv;
    char *k, *v;
    int i, rc;

    if (!sess_ok(s) || !key || !value)
        return SKC_E_INVAL;
    o = skci_option_find(sess_table(s, for_write), key);
    if (!o) {
        const skc_option *t = sess_table(s, for_write);
        char known[512] = "";
        size_t l = 0;
        for (; t && t->name && l < sizeof(known) - 1; t++)
            l += (size_t)snprintf(known + l, sizeof(known) - l, "%s%s",
                                  l ? ", " : "", t->name);
        return skc_set_error(s, SKC_E_INVAL,
            "format '%s' has no %s option '%s' (known: %s)", s->fmt->name,
            for_write ? "write" : "read", key, known[0] ? known : "none");
    }
    rc = skci_option_check(o, value, s->error, sizeof(s->error));
    if (rc)
        return rc;
    s->for_write = for_write;
    for (i = 0; i < s->n_opts; i++) {
        if (strcmp(s->opts[i].key, key) == 0) {
            v = skci_strdup(value);
            if (!v)
                return SKC_E_NOMEM;
            free(s->opts[i].value);
            s->opts[i].value = v;
            return SKC_OK;
        }
    }
    nv = realloc(s->opts, (size_t)(s->n_opts + 1) * sizeof(*nv));
    if (!nv)
        return SKC_E_NOMEM;
    s->opts = nv;
    k = skci_strdup(key);
    v = skci_strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return SKC_E_NOMEM;
    }
    s->opts[s->n_opts].key = k;
    s->opts[s->n_opts].value = v;
    s->n_opts++;
    return SKC_OK;
}

const char *skc_session_option(const skc_session *s, const char *key)
{
    const skc_option *o;
    int i;

    if (!sess_ok(s) || !key)
        return NULL;
    for (i = 0; i < s->n_opts; i++)
        if (strcmp(s->opts[i].key, key) == 0)
            return s->opts[i].value;
    o = skci_option_find(sess_table(s, s->for_write), key);
    if (!o)
        o = skci_option_find(sess_table(s, !s->for_write), key);
    return o ? o->default_value : NULL;
}

int64_t skc_session_option_int(const skc_session *s, const char *key, int64_t fallback)
{
    const char *v = skc_session_option(s, key);
    int64_t x;

    return v && sess_parse_int(v, &x) ? x : fallback;
}

int skc_session_option_bool(const skc_session *s, const char *key, int fallback)
{
    const char *v = skc_session_option(s, key);
    int b;

    return v && sess_parse_bool(v, &b) ? b : fallback;
}

/* Prefix every detail with the file name so the first line says which file. */
static int sess_fail(skc_session *s, int rc)
{
    size_t fl, el;

    if (rc == SKC_OK)
        return rc;
    if (!s->error[0])
        snprintf(s->error, sizeof(s->error), "%s", skc_strerror(rc));
    if (s->filename && strncmp(s->error, s->filename, strlen(s->filename)) != 0) {
        fl = strlen(s->filename);
        if (fl > sizeof(s->error) / 2)
            fl = sizeof(s->error) / 2;
        el = strlen(s->error);
        if (fl + 2 + el >= sizeof(s->error))
            el = sizeof(s->error) - fl - 3;
        memmove(s->error + fl + 2, s->error, el);
        memcpy(s->error, s->filename, fl);
        s->error[fl] = ':';
        s->error[fl + 1] = ' ';
        s->error[fl + 2 + el] = '\0';
    }
    return rc;
}

int skc_session_read(skc_session *s, skc_stream *in, skc_model **out)
{
    skc_model *m = NULL;
    int rc;

    if (!sess_ok(s) || !in || !out)
        return SKC_E_INVAL;
    if (!(s->fmt->caps & SKC_CAP_READ))
        return sess_fail(s, skc_set_error(s, SKC_E_UNSUPPORTED,
                         "format '%s' cannot be read", s->fmt->name));
    s->for_write = 0;
    s->error[0] = '\0';
    skci_hash_free(s->hash);
    s->hash = NULL;
    rc = s->fmt->read(s, in, &m);
    if (rc == SKC_OK && !m)
        rc = skc_set_error(s, SKC_E_INTERNAL, "reader '%s' returned no model", s->fmt->name);
    if (rc == SKC_OK && s->hash && !(s->hash_defer && skci_hash_deferrable(s->hash))) {
        const char *hex = skci_hash_finish(s->hash);
        if (hex && (rc = skc_model_set_meta(m, "source.sha256", hex)))
            skc_set_error(s, rc, "cannot record the source hash");
    }
    if (rc) {
        skci_hash_free(s->hash);
        s->hash = NULL;
    }
    if (rc == SKC_OK) {
        /* What evaluation needs; writers run skc_model_validate(). */
        rc = skci_model_check(m, SKCI_CHECK_EVAL, s->error, sizeof(s->error));
        if (rc) {
            skc_model_free(m);
            m = NULL;
        }
    }
    sess_close(s);
    if (rc)
        return sess_fail(s, rc);
    *out = m;
    return SKC_OK;
}

int skc_session_hash_input(skc_session *s, skc_stream *in)
{
    if (!sess_ok(s) || !in)
        return SKC_E_INVAL;
    if (s->hash)
        return SKC_OK;
    return skci_hash_start(in, &s->hash);
}

void skc_session_defer_source_hash(skc_session *s)
{
    if (sess_ok(s))
        s->hash_defer = 1;
}

const char *skc_session_source_sha256(skc_session *s)
{
    return sess_ok(s) ? skci_hash_finish(s->hash) : NULL;
}

int skc_session_write(skc_session *s, const skc_model *m, skc_stream *out)
{
    int i, rc;

    if (!sess_ok(s) || !m || !out)
        return SKC_E_INVAL;
    if (!(s->fmt->caps & SKC_CAP_WRITE))
        return sess_fail(s, skc_set_error(s, SKC_E_UNSUPPORTED,
                         "format '%s' cannot be written", s->fmt->name));
    s->for_write = 1;
    s->error[0] = '\0';
    /* Ask the writer about every op before any byte is written. */
    for (i = 0; i < skc_model_step_count(m); i++) {
        const char *op = skc_step_op(skc_model_step(m, i));
        if (!s->fmt->query_op(op))
            return sess_fail(s, skc_set_error(s, SKC_E_UNSUPPORTED,
                "format '%s' cannot write IR operation '%s'", s->fmt->name, op));
    }
    rc = s->fmt->write(s, m, out);
    sess_close(s);
    return sess_fail(s, rc);
}

int skc_session_scan(skc_session *s, skc_stream *in, int *verdict)
{
    int rc, v = SKC_VERDICT_SAFE;

    if (!sess_ok(s) || !in || !verdict)
        return SKC_E_INVAL;
    if (!SKC_HAS_MEMBER(s->fmt, skc_format, scan) || !s->fmt->scan)
        return sess_fail(s, skc_set_error(s, SKC_E_UNSUPPORTED,
                         "format '%s' has no safety scan", s->fmt->name));
    s->error[0] = '\0';
    rc = s->fmt->scan(s, in, &v);
    sess_close(s);
    if (rc)
        return sess_fail(s, rc);
    *verdict = v;
    return SKC_OK;
}

int skc_session_inspect(skc_session *s, skc_stream *in)
{
    int rc;

    if (!sess_ok(s) || !in)
        return SKC_E_INVAL;
    if (!SKC_HAS_MEMBER(s->fmt, skc_format, inspect) || !s->fmt->inspect)
        return sess_fail(s, skc_set_error(s, SKC_E_UNSUPPORTED,
                         "format '%s' cannot be inspected", s->fmt->name));
    s->error[0] = '\0';
    rc = s->fmt->inspect(s, in);
    sess_close(s);
    return sess_fail(s, rc);
}

int skc_session_append_meta(skc_session *s, skc_stream *out, const char *key,
                            const char *value)
{
    int rc;

    if (!sess_ok(s) || !out || !key || !*key || !value)
        return SKC_E_INVAL;
    if (!(s->fmt->caps & SKC_CAP_WRITE) || !SKC_HAS_MEMBER(s->fmt, skc_format, append_meta) ||
        !s->fmt->append_meta)
        return SKC_E_UNSUPPORTED;
    s->for_write = 1;
    s->error[0] = '\0';
    rc = s->fmt->append_meta(s, out, key, value);
    sess_close(s);
    return sess_fail(s, rc);
}

const char *skc_session_error(const skc_session *s)
{
    return sess_ok(s) ? s->error : "invalid session";
}

const char *skc_session_report(const skc_session *s)
{
    return sess_ok(s) ? s->report : NULL;
}

int skc_session_warning_count(const skc_session *s)
{
    return sess_ok(s) ? s->warnings : 0;
}

void *skc_session_priv(skc_session *s)
{
    return sess_ok(s) ? s->priv : NULL;
}

skc_context *skc_session_context(skc_session *s)
{
    return sess_ok(s) ? s->ctx : NULL;
}

const char *skc_session_filename(const skc_session *s)
{
    return sess_ok(s) ? s->filename : NULL;
}

const skc_limits *skc_session_limits(const skc_session *s)
{
    return sess_ok(s) ? &s->ctx->limits : NULL;
}

int skc_set_error(skc_session *s, int code, const char *fmt, ...)
{
    va_list ap;

    if (!sess_ok(s))
        return code;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof(s->error), fmt, ap);
    va_end(ap);
    return code;
}

void skc_log(skc_session *s, int level, const char *fmt, ...)
{
    va_list ap;
    char msg[SKCI_ERRLEN];

    if (!sess_ok(s))
        return;
    if (level == SKC_LOG_WARN)
        s->warnings++;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->filename)
        skci_ctx_log(s->ctx, level, s->fmt->name, "%s: %s", s->filename, msg);
    else
        skci_ctx_log(s->ctx, level, s->fmt->name, "%s", msg);
}

void skc_session_set_report(skc_session *s, char *json)
{
    if (!sess_ok(s)) {
        free(json);
        return;
    }
    free(s->report);
    s->report = json;
}

int skc_session_open_companion(skc_session *s, const char *name, skc_stream **out)
{
    char path[4096];
    const char *slash;
    size_t dirlen;
    int i, rc;

    if (!sess_ok(s) || !name || !out)
        return SKC_E_INVAL;
    /* A companion may only be a plain file beside the input: a file must
     * not make us read /etc/passwd or ../../secret. */
    if (!*name || strchr(name, '/') || strchr(name, '\\') ||
        strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return skc_set_error(s, SKC_E_UNSAFE,
            "companion file name '%.200s' is not a plain file name", name);
    if (!s->filename && !s->n_comps)
        return skc_set_error(s, SKC_E_NOT_FOUND,
            "companion file '%.200s' needed, but the input has no directory", name);
    for (i = 0; i < s->n_comps; i++)
        if (strcmp(s->comp_names[i], name) == 0) {
            rc = skc_stream_open_read(s->comp_paths[i], out, NULL, 0);
            if (rc)
                return skc_set_error(s, rc, "companion file '%s' (as %s) %s", name,
                                     s->comp_paths[i], rc == SKC_E_NOT_FOUND ? "is missing"
                                     : "cannot be read");
            return SKC_OK;
        }
    slash = strrchr(s->filename, '/');
    dirlen = slash ? (size_t)(slash - s->filename) + 1 : 0;
    if (dirlen + strlen(name) + 1 > sizeof(path))
        return skc_set_error(s, SKC_E_INVAL, "companion path too long");
    memcpy(path, s->filename, dirlen);
    strcpy(path + dirlen, name);
    rc = skc_stream_open_read(path, out, NULL, 0);
    if (rc)
        return skc_set_error(s, rc, "companion file '%s' %s", path,
                             rc == SKC_E_NOT_FOUND ? "is missing" : "cannot be read");
    return SKC_OK;
}

void skc_session_set_output(skc_session *s, skc_output *o)
{
    if (sess_ok(s))
        s->output = o;
}

int skc_session_open_side(skc_session *s, const char *suffix, skc_stream **stream,
                          const char **name)
{
    const char *path = NULL, *slash;
    int rc;

    if (!sess_ok(s) || !suffix || !stream || !name)
        return SKC_E_INVAL;
    if (!s->output)
        return skc_set_error(s, SKC_E_UNSUPPORTED,
                             "a side file '%.40s' is needed, but the output is not a file",
                             suffix);
    rc = skc_output_add_side(s->output, suffix, stream, &path, s->error, sizeof(s->error));
    if (rc)
        return rc;
    slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    return SKC_OK;
}

int skc_session_set_companion(skc_session *s, const char *name, const char *path)
{
    char **nn, **np, *a, *b;

    if (!sess_ok(s) || !name || !*name || !path || !*path)
        return SKC_E_INVAL;
    nn = realloc(s->comp_names, (size_t)(s->n_comps + 1) * sizeof(*nn));
    if (!nn)
        return SKC_E_NOMEM;
    s->comp_names = nn;
    np = realloc(s->comp_paths, (size_t)(s->n_comps + 1) * sizeof(*np));
    if (!np)
        return SKC_E_NOMEM;
    s->comp_paths = np;
    a = skci_strdup(name);
    b = skci_strdup(path);
    if (!a || !b) {
        free(a);
        free(b);
        return SKC_E_NOMEM;
    }
    s->comp_names[s->n_comps] = a;
    s->comp_paths[s->n_comps] = b;
    s->n_comps++;
    return SKC_OK;
}
