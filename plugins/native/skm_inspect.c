/* SPDX-License-Identifier: MIT */
/* skm_inspect.c: `skconv inspect` for .skm: header, sections with CRC status, the graph and provenance as JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "skm_format.h"

/* How much of a tensor or a column list a report shows. */
#define SKM_SHOW_VALUES   8
#define SKM_SHOW_COLUMNS 32

static json_object *skm_j_u64(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX ? json_object_new_int64((int64_t)v)
                                    : json_object_new_double((double)v);
}

/* JSON has no NaN or infinities: those become strings. */
static json_object *skm_j_f64(double v)
{
    if (isnan(v))
        return json_object_new_string("nan");
    if (isinf(v))
        return json_object_new_string(v > 0 ? "inf" : "-inf");
    return json_object_new_double(v);
}

static json_object *skm_j_shape(int ndim, const int64_t *shape)
{
    json_object *a = json_object_new_array();
    int d;

    for (d = 0; d < ndim; d++)
        json_object_array_add(a, json_object_new_int64(shape[d]));
    return a;
}

static json_object *skm_j_tensor(const skc_tensor *t)
{
    json_object *o = json_object_new_object(), *v = json_object_new_array();
    int64_t n = skc_tensor_numel(t), i;
    int dt = skc_tensor_dtype(t);

    json_object_object_add(o, "dtype", json_object_new_string(skc_dtype_name(dt)));
    json_object_object_add(o, "shape", skm_j_shape(skc_tensor_ndim(t), skc_tensor_shape(t)));
    for (i = 0; i < n && i < SKM_SHOW_VALUES; i++) {
        if (dt == SKC_DT_STRING)
            json_object_array_add(v, json_object_new_string(skc_tensor_string(t, i, NULL)));
        else if (dt == SKC_DT_I64)
            json_object_array_add(v, json_object_new_int64(((const int64_t *)
                                                            skc_tensor_data(t))[i]));
        else
            json_object_array_add(v, skm_j_f64(skc_tensor_get_f64(t, i)));
    }
    json_object_object_add(o, "values", v);
    if (n > SKM_SHOW_VALUES)
        json_object_object_add(o, "values_shown", json_object_new_int(SKM_SHOW_VALUES));
    return o;
}

static json_object *skm_j_ports(const skc_model *m, int inputs)
{
    json_object *a = json_object_new_array(), *o, *c;
    int n = inputs ? skc_model_input_count(m) : skc_model_output_count(m), i, nd;
    const int64_t *shape;
    const skc_tensor *cols;
    int64_t k;

    for (i = 0; i < n; i++) {
        o = json_object_new_object();
        shape = inputs ? skc_model_input_shape(m, i, &nd) : skc_model_output_shape(m, i, &nd);
        json_object_object_add(o, "name", json_object_new_string(
            inputs ? skc_model_input_name(m, i) : skc_model_output_name(m, i)));
        json_object_object_add(o, "dtype", json_object_new_string(skc_dtype_name(
            inputs ? skc_model_input_dtype(m, i) : skc_model_output_dtype(m, i))));
        json_object_object_add(o, "shape", skm_j_shape(nd, shape));
        cols = inputs ? skc_model_input_columns(m, i) : NULL;
        if (cols) {
            c = json_object_new_array();
            for (k = 0; k < skc_tensor_numel(cols) && k < SKM_SHOW_COLUMNS; k++)
                json_object_array_add(c, json_object_new_string(skc_tensor_string(cols, k, NULL)));
            json_object_object_add(o, "n_columns", json_object_new_int64(skc_tensor_numel(cols)));
            json_object_object_add(o, "columns", c);
        }
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *skm_j_attrs(const skc_step *st)
{
    json_object *o = json_object_new_object();
    const skc_tensor *t;
    const char *key, *sv;
    int64_t iv;
    double fv;
    int i, kind;

    for (i = 0; i < skc_step_attr_count(st); i++) {
        skc_step_attr_at(st, i, &key, &kind);
        if (kind == SKC_ATTR_INT && skc_step_get_int(st, key, &iv) == SKC_OK)
            json_object_object_add(o, key, json_object_new_int64(iv));
        else if (kind == SKC_ATTR_FLOAT && skc_step_get_float(st, key, &fv) == SKC_OK)
            json_object_object_add(o, key, skm_j_f64(fv));
        else if (kind == SKC_ATTR_STRING && skc_step_get_string(st, key, &sv) == SKC_OK)
            json_object_object_add(o, key, json_object_new_string(sv));
        else if (kind == SKC_ATTR_TENSOR && skc_step_get_tensor(st, key, &t) == SKC_OK)
            json_object_object_add(o, key, skm_j_tensor(t));
    }
    return o;
}

static json_object *skm_j_names(const skc_step *st, int inputs)
{
    json_object *a = json_object_new_array();
    int n = inputs ? skc_step_input_count(st) : skc_step_output_count(st), i;

    for (i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(
            inputs ? skc_step_input(st, i) : skc_step_output(st, i)));
    return a;
}

static void skm_j_model(json_object *r, const skc_model *m)
{
    json_object *steps = json_object_new_array(), *meta = json_object_new_object(), *o;
    const skc_step *st;
    const char *k, *v;
    int i;

    json_object_object_add(r, "inputs", skm_j_ports(m, 1));
    json_object_object_add(r, "outputs", skm_j_ports(m, 0));
    for (i = 0; i < skc_model_step_count(m); i++) {
        st = skc_model_step(m, i);
        o = json_object_new_object();
        json_object_object_add(o, "op", json_object_new_string(skc_step_op(st)));
        json_object_object_add(o, "inputs", skm_j_names(st, 1));
        json_object_object_add(o, "outputs", skm_j_names(st, 0));
        json_object_object_add(o, "attrs", skm_j_attrs(st));
        json_object_array_add(steps, o);
    }
    json_object_object_add(r, "steps", steps);
    for (i = 0; i < skc_model_meta_count(m); i++) {
        skc_model_meta_at(m, i, &k, &v);
        json_object_object_add(meta, k, json_object_new_string(v));
    }
    json_object_object_add(r, "meta", meta);
}

static json_object *skm_j_sections(const skm_file *f)
{
    json_object *a = json_object_new_array(), *o;
    uint32_t i;
    char crc[16];

    for (i = 0; i < f->n_sections; i++) {
        const skm_section *sec = &f->sec[i];
        o = json_object_new_object();
        snprintf(crc, sizeof(crc), "0x%08x", (unsigned)sec->crc);
        json_object_object_add(o, "kind", json_object_new_string(sec->kind));
        json_object_object_add(o, "known", json_object_new_boolean(sec->known >= 0));
        json_object_object_add(o, "required",
                               json_object_new_boolean(sec->flags & SKM_SEC_REQUIRED));
        json_object_object_add(o, "offset", skm_j_u64(sec->offset));
        json_object_object_add(o, "length", skm_j_u64(sec->length));
        json_object_object_add(o, "crc", json_object_new_string(crc));
        json_object_object_add(o, "crc_status", json_object_new_string(
            sec->crc_ok < 0 ? "not checked" : sec->crc_ok ? "ok" : "mismatch"));
        json_object_array_add(a, o);
    }
    return a;
}

/* The first place whose CRC does not match, as the reader would name it. */
static int skm_crc_damage(const skm_file *f, char *out, size_t n)
{
    uint32_t i;

    if (!f->header_crc_ok || !f->table_crc_ok) {
        snprintf(out, n, "%s: CRC-32 mismatch", f->header_crc_ok ? "section table" : "header");
        return 1;
    }
    for (i = 0; i < f->n_sections; i++) {
        if (f->sec[i].crc_ok == 0) {
            snprintf(out, n, "section %s (table entry %u): CRC-32 mismatch", f->sec[i].kind,
                     (unsigned)i);
            return 1;
        }
    }
    return 0;
}

int skm_inspect(skc_session *s, skc_stream *in)
{
    /* Every CRC is computed and reported rather than fatal, so a damaged
     * file still shows where it is damaged. */
    const skm_read_opts o = { .check_data_crc = 1, .use_mmap = 0, .crc_report_only = 1 };
    json_object *r = NULL, *h;
    skc_model *m = NULL;
    const uint8_t *data;
    char err[1024], ver[16];
    skm_file f;
    size_t size;
    const char *js;
    char *copy;
    int rc, valid;

    memset(&f, 0, sizeof(f));
    if ((rc = skc_stream_map(in, &data, &size)))
        return skc_set_error(s, rc, "cannot read the input: %s", skc_strerror(rc));
    if ((rc = skm_file_open(s, data, size, &o, &f)))
        return rc;
    r = json_object_new_object();
    snprintf(ver, sizeof(ver), "%u.%u", (unsigned)f.major, (unsigned)f.minor);
    json_object_object_add(r, "format", json_object_new_string("skm"));
    json_object_object_add(r, "version", json_object_new_string(ver));
    json_object_object_add(r, "ir_version", json_object_new_int64(f.ir_version));
    json_object_object_add(r, "flags", json_object_new_int64(f.flags));
    json_object_object_add(r, "file_size", skm_j_u64(f.size));
    h = json_object_new_object();
    json_object_object_add(h, "size", json_object_new_int64(f.header_size));
    json_object_object_add(h, "crc_status",
                           json_object_new_string(f.header_crc_ok ? "ok" : "mismatch"));
    json_object_object_add(r, "header", h);
    h = json_object_new_object();
    json_object_object_add(h, "offset", skm_j_u64(f.table_offset));
    json_object_object_add(h, "entries", json_object_new_int64(f.n_sections));
    json_object_object_add(h, "entry_size", json_object_new_int64(f.entry_size));
    json_object_object_add(h, "crc_status",
                           json_object_new_string(f.table_crc_ok ? "ok" : "mismatch"));
    json_object_object_add(r, "table", h);
    json_object_object_add(r, "sections", skm_j_sections(&f));

    err[0] = '\0';
    rc = skm_file_model(s, &f, NULL, 1, &m);
    if (rc == SKC_OK && (rc = skc_model_validate(m, err, sizeof(err))) == SKC_OK)
        err[0] = '\0';
    else if (!err[0])
        snprintf(err, sizeof(err), "%s", skc_session_error(s));
    /* Damage explains a failure better than what it made the parse say. */
    if (skm_crc_damage(&f, err, sizeof(err)))
        rc = SKC_E_FORMAT;
    valid = rc == SKC_OK;
    json_object_object_add(r, "valid", json_object_new_boolean(valid));
    if (!valid)
        json_object_object_add(r, "error", json_object_new_string(err));
    if (m)
        skm_j_model(r, m);
    js = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    copy = js ? strdup(js) : NULL;
    json_object_put(r);
    skc_model_free(m);
    skm_file_close(&f);
    if (!copy)
        return SKC_E_NOMEM;
    skc_session_set_report(s, copy);
    return SKC_OK;
}
