/* SPDX-License-Identifier: MIT */
/* model.c: building and reading IR models: inputs, outputs, steps, attributes, metadata. */
#include <stdlib.h>
#include <string.h>
#include "model.h"

int skc_model_new(skc_model **out)
{
    if (!out)
        return SKC_E_INVAL;
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return SKC_E_NOMEM;
    atomic_init(&(*out)->checked, 0);
    return SKC_OK;
}

static void model_free_step(skc_step *s)
{
    int i;

    if (!s)
        return;
    free(s->op);
    for (i = 0; i < s->n_inputs; i++)
        free(s->inputs[i]);
    for (i = 0; i < s->n_outputs; i++)
        free(s->outputs[i]);
    free(s->inputs);
    free(s->outputs);
    for (i = 0; i < s->n_attrs; i++) {
        free(s->attrs[i].key);
        free(s->attrs[i].s);
        skc_tensor_free(s->attrs[i].t);
    }
    free(s->attrs);
    free(s);
}

static void model_free_ports(skci_port *p, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        free(p[i].name);
        skc_tensor_free(p[i].columns);
    }
    free(p);
}

void skc_model_free(skc_model *m)
{
    int i;

    if (!m)
        return;
    model_free_ports(m->inputs, m->n_inputs);
    model_free_ports(m->outputs, m->n_outputs);
    for (i = 0; i < m->n_steps; i++)
        model_free_step(m->steps[i]);
    free(m->steps);
    for (i = 0; i < m->n_meta; i++) {
        free(m->meta[i].key);
        free(m->meta[i].value);
    }
    free(m->meta);
    free(m);
}

static int model_add_port(skci_port **ports, int *n, const char *name, int dtype,
                          int ndim, const int64_t *shape)
{
    skci_port *np;
    int i;

    if (!name || !*name || ndim < 0 || ndim > SKC_MAX_DIMS || (ndim && !shape))
        return SKC_E_INVAL;
    for (i = 0; i < *n; i++)
        if (strcmp((*ports)[i].name, name) == 0)
            return SKC_E_INVAL;
    np = realloc(*ports, (size_t)(*n + 1) * sizeof(*np));
    if (!np)
        return SKC_E_NOMEM;
    *ports = np;
    memset(&np[*n], 0, sizeof(np[*n]));
    np[*n].name = skci_strdup(name);
    if (!np[*n].name)
        return SKC_E_NOMEM;
    np[*n].dtype = dtype;
    np[*n].ndim = ndim;
    if (ndim)
        memcpy(np[*n].shape, shape, (size_t)ndim * sizeof(int64_t));
    (*n)++;
    return SKC_OK;
}

int skc_model_add_input(skc_model *m, const char *name, int dtype, int ndim,
                        const int64_t *shape)
{
    if (!m)
        return SKC_E_INVAL;
    skci_model_touch(m);
    return model_add_port(&m->inputs, &m->n_inputs, name, dtype, ndim, shape);
}

int skc_model_set_input_columns(skc_model *m, int index, skc_tensor *names)
{
    if (!m || index < 0 || index >= m->n_inputs || !names ||
        skc_tensor_dtype(names) != SKC_DT_STRING || skc_tensor_ndim(names) != 1)
        return SKC_E_INVAL;
    skci_model_touch(m);
    skc_tensor_free(m->inputs[index].columns);
    m->inputs[index].columns = skc_tensor_ref(names);
    skci_tensor_attach(names);
    return SKC_OK;
}

int skc_model_add_output(skc_model *m, const char *name, int dtype, int ndim,
                         const int64_t *shape)
{
    if (!m)
        return SKC_E_INVAL;
    skci_model_touch(m);
    return model_add_port(&m->outputs, &m->n_outputs, name, dtype, ndim, shape);
}

#define MODEL_PORT_GETTERS(kind, arr, cnt)                                     \
    int skc_model_##kind##_count(const skc_model *m)                           \
    {                                                                          \
        return m ? m->cnt : 0;                                                 \
    }                                                                          \
    const char *skc_model_##kind##_name(const skc_model *m, int i)             \
    {                                                                          \
        return m && i >= 0 && i < m->cnt ? m->arr[i].name : NULL;              \
    }                                                                          \
    int skc_model_##kind##_dtype(const skc_model *m, int i)                    \
    {                                                                          \
        return m && i >= 0 && i < m->cnt ? m->arr[i].dtype : SKC_DT_NONE;      \
    }                                                                          \
    const int64_t *skc_model_##kind##_shape(const skc_model *m, int i,         \
                                            int *ndim)                         \
    {                                                                          \
        if (!m || i < 0 || i >= m->cnt)                                        \
            return NULL;                                                       \
        if (ndim)                                                              \
            *ndim = m->arr[i].ndim;                                            \
        return m->arr[i].shape;                                                \
    }

MODEL_PORT_GETTERS(input, inputs, n_inputs)
MODEL_PORT_GETTERS(output, outputs, n_outputs)

const skc_tensor *skc_model_input_columns(const skc_model *m, int i)
{
    return m && i >= 0 && i < m->n_inputs ? m->inputs[i].columns : NULL;
}

int skc_model_add_step(skc_model *m, const char *op, skc_step **out)
{
    skc_step **ns, *s;

    if (!m || !op || !*op || !out)
        return SKC_E_INVAL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return SKC_E_NOMEM;
    s->owner = m;
    s->op = skci_strdup(op);
    skci_model_touch(m);
    ns = realloc(m->steps, (size_t)(m->n_steps + 1) * sizeof(*ns));
    if (!s->op || !ns) {
        if (ns)
            m->steps = ns;
        model_free_step(s);
        return SKC_E_NOMEM;
    }
    m->steps = ns;
    m->steps[m->n_steps++] = s;
    *out = s;
    return SKC_OK;
}

static int model_push_name(char ***arr, int *n, const char *name)
{
    char **na;
    char *c;

    if (!name || !*name)
        return SKC_E_INVAL;
    c = skci_strdup(name);
    if (!c)
        return SKC_E_NOMEM;
    na = realloc(*arr, (size_t)(*n + 1) * sizeof(*na));
    if (!na) {
        free(c);
        return SKC_E_NOMEM;
    }
    *arr = na;
    na[(*n)++] = c;
    return SKC_OK;
}

int skc_step_add_input(skc_step *s, const char *name)
{
    if (!s)
        return SKC_E_INVAL;
    skci_model_touch(s->owner);
    return model_push_name(&s->inputs, &s->n_inputs, name);
}

int skc_step_add_output(skc_step *s, const char *name)
{
    if (!s)
        return SKC_E_INVAL;
    skci_model_touch(s->owner);
    return model_push_name(&s->outputs, &s->n_outputs, name);
}

/* Find or append the attribute @p key, cleared for a new value. */
static skci_attr *model_attr_slot(skc_step *s, const char *key)
{
    skci_attr *na;
    int i;

    if (!s || !key || !*key)
        return NULL;
    skci_model_touch(s->owner);
    for (i = 0; i < s->n_attrs; i++) {
        if (strcmp(s->attrs[i].key, key) == 0) {
            free(s->attrs[i].s);
            skc_tensor_free(s->attrs[i].t);
            s->attrs[i].s = NULL;
            s->attrs[i].t = NULL;
            return &s->attrs[i];
        }
    }
    na = realloc(s->attrs, (size_t)(s->n_attrs + 1) * sizeof(*na));
    if (!na)
        return NULL;
    s->attrs = na;
    memset(&na[s->n_attrs], 0, sizeof(na[0]));
    na[s->n_attrs].key = skci_strdup(key);
    if (!na[s->n_attrs].key)
        return NULL;
    return &na[s->n_attrs++];
}

int skc_step_set_int(skc_step *s, const char *key, int64_t v)
{
    skci_attr *a = model_attr_slot(s, key);

    if (!a)
        return s && key ? SKC_E_NOMEM : SKC_E_INVAL;
    a->kind = SKC_ATTR_INT;
    a->i = v;
    return SKC_OK;
}

int skc_step_set_float(skc_step *s, const char *key, double v)
{
    skci_attr *a = model_attr_slot(s, key);

    if (!a)
        return s && key ? SKC_E_NOMEM : SKC_E_INVAL;
    a->kind = SKC_ATTR_FLOAT;
    a->f = v;
    return SKC_OK;
}

int skc_step_set_string(skc_step *s, const char *key, const char *v)
{
    skci_attr *a;

    if (!v)
        return SKC_E_INVAL;
    a = model_attr_slot(s, key);
    if (!a)
        return s && key ? SKC_E_NOMEM : SKC_E_INVAL;
    a->kind = SKC_ATTR_STRING;
    a->s = skci_strdup(v);
    return a->s ? SKC_OK : SKC_E_NOMEM;
}

int skc_step_set_tensor(skc_step *s, const char *key, skc_tensor *t)
{
    skci_attr *a;

    if (!t)
        return SKC_E_INVAL;
    a = model_attr_slot(s, key);
    if (!a)
        return s && key ? SKC_E_NOMEM : SKC_E_INVAL;
    a->kind = SKC_ATTR_TENSOR;
    a->t = skc_tensor_ref(t);
    skci_tensor_attach(t);
    return SKC_OK;
}

int skc_model_step_count(const skc_model *m) { return m ? m->n_steps : 0; }

const skc_step *skc_model_step(const skc_model *m, int i)
{
    return m && i >= 0 && i < m->n_steps ? m->steps[i] : NULL;
}

const char *skc_step_op(const skc_step *s) { return s ? s->op : NULL; }
int skc_step_input_count(const skc_step *s) { return s ? s->n_inputs : 0; }
int skc_step_output_count(const skc_step *s) { return s ? s->n_outputs : 0; }

const char *skc_step_input(const skc_step *s, int i)
{
    return s && i >= 0 && i < s->n_inputs ? s->inputs[i] : NULL;
}

const char *skc_step_output(const skc_step *s, int i)
{
    return s && i >= 0 && i < s->n_outputs ? s->outputs[i] : NULL;
}

static const skci_attr *model_attr_find(const skc_step *s, const char *key)
{
    int i;

    if (!s || !key)
        return NULL;
    for (i = 0; i < s->n_attrs; i++)
        if (strcmp(s->attrs[i].key, key) == 0)
            return &s->attrs[i];
    return NULL;
}

int skc_step_get_int(const skc_step *s, const char *key, int64_t *v)
{
    const skci_attr *a = model_attr_find(s, key);

    if (!a)
        return SKC_E_NOT_FOUND;
    if (a->kind != SKC_ATTR_INT || !v)
        return SKC_E_INVAL;
    *v = a->i;
    return SKC_OK;
}

int skc_step_get_float(const skc_step *s, const char *key, double *v)
{
    const skci_attr *a = model_attr_find(s, key);

    if (!a)
        return SKC_E_NOT_FOUND;
    if (!v || (a->kind != SKC_ATTR_FLOAT && a->kind != SKC_ATTR_INT))
        return SKC_E_INVAL;
    *v = a->kind == SKC_ATTR_FLOAT ? a->f : (double)a->i;
    return SKC_OK;
}

int skc_step_get_string(const skc_step *s, const char *key, const char **v)
{
    const skci_attr *a = model_attr_find(s, key);

    if (!a)
        return SKC_E_NOT_FOUND;
    if (a->kind != SKC_ATTR_STRING || !v)
        return SKC_E_INVAL;
    *v = a->s;
    return SKC_OK;
}

int skc_step_get_tensor(const skc_step *s, const char *key, const skc_tensor **v)
{
    const skci_attr *a = model_attr_find(s, key);

    if (!a)
        return SKC_E_NOT_FOUND;
    if (a->kind != SKC_ATTR_TENSOR || !v)
        return SKC_E_INVAL;
    *v = a->t;
    return SKC_OK;
}

int skc_step_attr_count(const skc_step *s) { return s ? s->n_attrs : 0; }

int skc_step_attr_at(const skc_step *s, int i, const char **key, int *kind)
{
    if (!s || i < 0 || i >= s->n_attrs)
        return SKC_E_INVAL;
    if (key)
        *key = s->attrs[i].key;
    if (kind)
        *kind = s->attrs[i].kind;
    return SKC_OK;
}

int skc_model_set_meta(skc_model *m, const char *key, const char *value)
{
    skci_meta *nm;
    char *v;
    int i;

    if (!m || !key || !*key)
        return SKC_E_INVAL;
    if (!value) {
        for (i = 0; i < m->n_meta; i++)
            if (strcmp(m->meta[i].key, key) == 0) {
                free(m->meta[i].key);
                free(m->meta[i].value);
                memmove(&m->meta[i], &m->meta[i + 1],
                        (size_t)(m->n_meta - i - 1) * sizeof(*m->meta));
                m->n_meta--;
                break;
            }
        return SKC_OK;
    }
    v = skci_strdup(value);
    if (!v)
        return SKC_E_NOMEM;
    for (i = 0; i < m->n_meta; i++) {
        if (strcmp(m->meta[i].key, key) == 0) {
            free(m->meta[i].value);
            m->meta[i].value = v;
            return SKC_OK;
        }
    }
    nm = realloc(m->meta, (size_t)(m->n_meta + 1) * sizeof(*nm));
    if (!nm) {
        free(v);
        return SKC_E_NOMEM;
    }
    m->meta = nm;
    nm[m->n_meta].key = skci_strdup(key);
    if (!nm[m->n_meta].key) {
        free(v);
        return SKC_E_NOMEM;
    }
    nm[m->n_meta].value = v;
    m->n_meta++;
    return SKC_OK;
}

const char *skc_model_get_meta(const skc_model *m, const char *key)
{
    int i;

    if (!m || !key)
        return NULL;
    for (i = 0; i < m->n_meta; i++)
        if (strcmp(m->meta[i].key, key) == 0)
            return m->meta[i].value;
    return NULL;
}

int skc_model_meta_count(const skc_model *m) { return m ? m->n_meta : 0; }

int skc_model_meta_at(const skc_model *m, int i, const char **key, const char **value)
{
    if (!m || i < 0 || i >= m->n_meta)
        return SKC_E_INVAL;
    if (key)
        *key = m->meta[i].key;
    if (value)
        *value = m->meta[i].value;
    return SKC_OK;
}
