/* SPDX-License-Identifier: MIT */
/* onnx_zipmap.c: -O zipmap=true: the probabilities output as ZipMap's sequence of {class: probability} maps, as skl2onnx writes it by default. */
#include <math.h>
#include <string.h>

#include "onnx_writer.h"

#define ZM_OUTPUT "probabilities"
#define ZM_LABEL "label"

/* The class labels of the step that produces the model's `label` output. */
static int zm_classes(onnx_builder *b, const skc_model *m, const skc_tensor **classes)
{
    for (int i = 0; i < skc_model_step_count(m); i++) {
        const skc_step *st = skc_model_step(m, i);
        const skc_tensor *sizes;
        for (int k = 0; k < skc_step_output_count(st); k++) {
            if (strcmp(skc_step_output(st, k), ZM_LABEL) != 0)
                continue;
            if (skc_step_get_tensor(st, "sizes", &sizes) == SKC_OK)
                return onnx_error(b, SKC_E_UNSUPPORTED, "zipmap=true: a multi-output "
                                  "classifier has one probability table per output, "
                                  "which ZipMap cannot label; leave zipmap at false");
            if (skc_step_get_tensor(st, "classes", classes) != SKC_OK)
                break;
            return 0;
        }
    }
    return onnx_error(b, SKC_E_UNSUPPORTED, "zipmap=true needs a classifier: the model "
                      "has no '" ZM_OUTPUT "' output labelled by a '" ZM_LABEL "' output "
                      "with class labels; leave zipmap at false");
}

/* classlabels_int64s or classlabels_strings on @p n from the IR labels;
 * *key_elem receives the map's key type. Integral float labels (sklearn
 * keeps y's dtype) become int64, as skl2onnx does; others are refused. */
static int zm_labels(onnx_builder *b, Onnx__NodeProto *n, const skc_tensor *classes,
                     int *key_elem)
{
    onnx_arena *a = b->arena;
    Onnx__AttributeProto *at;
    int64_t k = skc_tensor_numel(classes);
    int dt = skc_tensor_dtype(classes), rc;

    if (dt == SKC_DT_STRING) {
        ProtobufCBinaryData *s = onnx_arena_alloc(a, (size_t)k, sizeof(*s));
        if (!s)
            return SKC_E_NOMEM;
        for (int64_t i = 0; i < k; i++) {
            size_t len = 0;
            const char *v = skc_tensor_string(classes, i, &len);
            s[i].len = len;
            s[i].data = (uint8_t *)(uintptr_t)v;
        }
        if ((rc = onnx_attr_new(b, n, "classlabels_strings",
                                ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS, &at)) < 0)
            return rc;
        at->n_strings = (size_t)k;
        at->strings = s;
        *key_elem = ONNX_ELEM_STRING;
        return 0;
    }
    if (dt == SKC_DT_BOOL)
        return onnx_error(b, SKC_E_UNSUPPORTED, "zipmap=true: boolean class labels "
                          "are neither int64 nor string map keys; leave zipmap at false");
    int64_t *v = onnx_arena_alloc(a, (size_t)k, sizeof(*v));
    if (!v)
        return SKC_E_NOMEM;
    for (int64_t i = 0; i < k; i++) {
        double d = skc_tensor_get_f64(classes, i);
        if (!(d == floor(d)) || fabs(d) > 9007199254740992.0)
            return onnx_error(b, SKC_E_UNSUPPORTED, "zipmap=true: class label %g is "
                              "not an integer, and ZipMap keys are int64 or string; "
                              "leave zipmap at false", d);
        v[i] = dt == SKC_DT_I64 ? ((const int64_t *)skc_tensor_data(classes))[i]
                                : (int64_t)d;
    }
    if ((rc = onnx_attr_new(b, n, "classlabels_int64s",
                            ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, &at)) < 0)
        return rc;
    at->n_ints = (size_t)k;
    at->ints = v;
    *key_elem = ONNX_ELEM_INT64;
    return 0;
}

/* Every reference to ONNX tensor @p from in the nodes so far now says @p to. */
static void zm_rename(onnx_builder *b, const char *from, const char *to)
{
    for (size_t i = 0; i < b->nodes.n; i++) {
        Onnx__NodeProto *n = b->nodes.v[i];
        for (size_t k = 0; k < n->n_input; k++)
            if (strcmp(n->input[k], from) == 0)
                n->input[k] = (char *)to;
        for (size_t k = 0; k < n->n_output; k++)
            if (strcmp(n->output[k], from) == 0)
                n->output[k] = (char *)to;
    }
}

/* The output's type: seq(map(key_elem, tensor(float))). */
static int zm_output(onnx_builder *b, int key_elem)
{
    onnx_arena *a = b->arena;
    Onnx__ValueInfoProto *vi = onnx_arena_alloc(a, 1, sizeof(*vi));
    Onnx__TypeProto *seq = onnx_arena_alloc(a, 1, sizeof(*seq));
    Onnx__TypeProto__Sequence *sq = onnx_arena_alloc(a, 1, sizeof(*sq));
    Onnx__TypeProto *map = onnx_arena_alloc(a, 1, sizeof(*map));
    Onnx__TypeProto__Map *mp = onnx_arena_alloc(a, 1, sizeof(*mp));
    Onnx__TypeProto *val = onnx_arena_alloc(a, 1, sizeof(*val));
    Onnx__TypeProto__Tensor *tt = onnx_arena_alloc(a, 1, sizeof(*tt));

    if (!vi || !seq || !sq || !map || !mp || !val || !tt)
        return SKC_E_NOMEM;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(seq);
    onnx__type_proto__sequence__init(sq);
    onnx__type_proto__init(map);
    onnx__type_proto__map__init(mp);
    onnx__type_proto__init(val);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = ONNX_ELEM_FLOAT;
    val->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    val->tensor_type = tt;
    mp->has_key_type = 1;
    mp->key_type = key_elem;
    mp->value_type = val;
    map->value_case = ONNX__TYPE_PROTO__VALUE_MAP_TYPE;
    map->map_type = mp;
    sq->elem_type = map;
    seq->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
    seq->sequence_type = sq;
    if (!(vi->name = onnx_arena_strdup(a, ZM_OUTPUT)))
        return SKC_E_NOMEM;
    vi->type = seq;
    return onnx_vec_push(&b->outputs, vi);
}

int onnx_zipmap_add(onnx_builder *b, const skc_model *m)
{
    const skc_tensor *classes = NULL;
    const char *tensor, *in;
    Onnx__NodeProto *n;
    int elem, key_elem = 0, ndim = 0, rc;
    const int64_t *shape = NULL;

    b->step_index = -1;
    b->step_prefix = NULL;
    if (b->real_elem != ONNX_ELEM_FLOAT)
        return onnx_error(b, SKC_E_UNSUPPORTED, "zipmap=true with dtype=float64: "
                          "ZipMap's values are float32, so the double probabilities "
                          "would be rounded; choose one of the two");
    if ((rc = zm_classes(b, m, &classes)) < 0)
        return rc;
    for (int i = 0; i < skc_model_output_count(m); i++)
        if (strcmp(skc_model_output_name(m, i), ZM_OUTPUT) == 0)
            shape = skc_model_output_shape(m, i, &ndim);
    if (!shape || ndim != 2)
        return onnx_error(b, SKC_E_UNSUPPORTED, "zipmap=true needs a '" ZM_OUTPUT
                          "' output of shape [N, K]; leave zipmap at false");
    if (shape[1] >= 0 && shape[1] != skc_tensor_numel(classes))
        return onnx_error(b, SKC_E_UNSUPPORTED, "zipmap=true: %lld probability "
                          "columns for %lld class labels", (long long)shape[1],
                          (long long)skc_tensor_numel(classes));
    if ((rc = onnx_name_output_elem(b, ZM_OUTPUT, &elem)) < 0 ||
        (rc = onnx_name_fresh(b, "probability_tensor", &tensor)) < 0)
        return rc;
    zm_rename(b, ZM_OUTPUT, tensor);
    /* ZipMap takes float only. */
    if ((rc = onnx_cast_to(b, tensor, elem, ONNX_ELEM_FLOAT, &in)) < 0)
        return rc;
    const char *out = ZM_OUTPUT;
    if ((rc = onnx_node(b, "ZipMap", ONNX_DOMAIN_ML, &in, 1, &out, 1, &n)) < 0 ||
        (rc = zm_labels(b, n, classes, &key_elem)) < 0)
        return rc;
    return zm_output(b, key_elem);
}
