/* SPDX-License-Identifier: MIT */
/* onnx_exact.c: helpers for the emitters that compute in double whatever the graph's I/O type (see onnx_exact.h). */
#include <string.h>

#include "onnx_exact.h"

int onnx_exact_begin(onnx_builder *b)
{
    int saved = b->real_elem;

    b->real_elem = ONNX_ELEM_DOUBLE;
    return saved;
}

void onnx_exact_end(onnx_builder *b, int saved)
{
    b->real_elem = saved;
}

int onnx_exact_output(onnx_builder *b, const skc_step *st, int i, const char *value,
                      int value_elem, int io_elem)
{
    const char *out;
    Onnx__NodeProto *n;
    int real = value_elem == ONNX_ELEM_DOUBLE || value_elem == ONNX_ELEM_FLOAT;
    int elem = real ? io_elem : value_elem;
    int rc;

    if ((rc = onnx_step_output(b, st, i, elem, &out)) < 0)
        return rc;
    if (elem == value_elem)
        return onnx_node(b, "Identity", NULL, &value, 1, &out, 1, NULL);
    if ((rc = onnx_node(b, "Cast", NULL, &value, 1, &out, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "to", elem);
}

int onnx_x1(onnx_builder *b, const char *op, const char *a, const char *hint,
            const char **out)
{
    int rc = onnx_name_fresh(b, hint, out);

    if (rc < 0)
        return rc;
    return onnx_node(b, op, NULL, &a, 1, out, 1, NULL);
}

int onnx_x2(onnx_builder *b, const char *op, const char *a, const char *c,
            const char *hint, const char **out)
{
    const char *in[2] = { a, c };
    int rc = onnx_name_fresh(b, hint, out);

    if (rc < 0)
        return rc;
    return onnx_node(b, op, NULL, in, 2, out, 1, NULL);
}

int onnx_x3(onnx_builder *b, const char *op, const char *a, const char *c,
            const char *d, const char *hint, const char **out)
{
    const char *in[3] = { a, c, d };
    int rc = onnx_name_fresh(b, hint, out);

    if (rc < 0)
        return rc;
    return onnx_node(b, op, NULL, in, 3, out, 1, NULL);
}

int onnx_x_scalar(onnx_builder *b, const char *hint, double v, const char **name)
{
    return onnx_const_real(b, hint, &v, 0, NULL, name);
}

int onnx_x_ints(onnx_builder *b, const char *hint, const int64_t *v, int64_t n,
                const char **name)
{
    return onnx_const_i64(b, hint, v, 1, &n, name);
}

int onnx_x_attr_ints(onnx_builder *b, Onnx__NodeProto *n, const char *key,
                     const int64_t *v, size_t count)
{
    Onnx__AttributeProto *at = onnx_arena_alloc(b->arena, 1, sizeof(*at));
    Onnx__AttributeProto **av = onnx_arena_alloc(b->arena, n->n_attribute + 1, sizeof(*av));
    int64_t *d = onnx_arena_memdup(b->arena, v, count, sizeof(*d));

    if (!at || !av || !d)
        return SKC_E_NOMEM;
    onnx__attribute_proto__init(at);
    if (!(at->name = onnx_arena_strdup(b->arena, key)))
        return SKC_E_NOMEM;
    at->has_type = 1;
    at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    at->n_ints = count;
    at->ints = d;
    if (n->n_attribute)
        memcpy(av, n->attribute, n->n_attribute * sizeof(*av));
    av[n->n_attribute++] = at;
    n->attribute = av;
    return 0;
}

int onnx_x_reduce(onnx_builder *b, const char *op, const char *in, int64_t axis,
                  int keepdims, const char *hint, const char **out)
{
    Onnx__NodeProto *n;
    const char *axes, *ins[2] = { in, NULL };
    int rc, as_input = strcmp(op, "ReduceSum") == 0 || b->opset >= 18;

    if ((rc = onnx_name_fresh(b, hint, out)) < 0)
        return rc;
    if (as_input) {
        if ((rc = onnx_x_ints(b, "axes", &axis, 1, &axes)) < 0)
            return rc;
        ins[1] = axes;
    }
    if ((rc = onnx_node(b, op, NULL, ins, as_input ? 2 : 1, out, 1, &n)) < 0 ||
        (rc = onnx_attr_int(b, n, "keepdims", keepdims)) < 0)
        return rc;
    return as_input ? 0 : onnx_x_attr_ints(b, n, "axes", &axis, 1);
}

int onnx_x_slice(onnx_builder *b, const char *in, int64_t axis, int64_t start,
                 int64_t end, const char *hint, const char **out)
{
    const char *s, *e, *a, *ins[4];
    int rc;

    if ((rc = onnx_x_ints(b, "starts", &start, 1, &s)) < 0 ||
        (rc = onnx_x_ints(b, "ends", &end, 1, &e)) < 0 ||
        (rc = onnx_x_ints(b, "axes", &axis, 1, &a)) < 0 ||
        (rc = onnx_name_fresh(b, hint, out)) < 0)
        return rc;
    ins[0] = in;
    ins[1] = s;
    ins[2] = e;
    ins[3] = a;
    return onnx_node(b, "Slice", NULL, ins, 4, out, 1, NULL);
}

int onnx_x_cast(onnx_builder *b, const char *in, int elem, const char *hint,
                const char **out)
{
    Onnx__NodeProto *n;
    int rc;

    if ((rc = onnx_name_fresh(b, hint, out)) < 0 ||
        (rc = onnx_node(b, "Cast", NULL, &in, 1, out, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "to", elem);
}

int onnx_x_labels(onnx_builder *b, const skc_step *st, int i, const char *idx)
{
    const skc_tensor *classes;
    const char *cls, *out;
    Onnx__NodeProto *n;
    int elem, rc;

    if (skc_step_get_tensor(st, "classes", &classes) < 0)
        return onnx_error(b, SKC_E_FORMAT, "attribute 'classes' is missing");
    /* Gather works on strings in ONNX Runtime (see onnx_ops_label.c). */
    if ((rc = onnx_const_exact(b, "classes", classes, &cls, &elem)) < 0 ||
        (rc = onnx_step_output(b, st, i, elem, &out)) < 0)
        return rc;
    const char *g_in[2] = { cls, idx };
    if ((rc = onnx_node(b, "Gather", NULL, g_in, 2, &out, 1, &n)) < 0)
        return rc;
    return onnx_attr_int(b, n, "axis", 0);
}
