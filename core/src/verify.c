/* SPDX-License-Identifier: MIT */
/* verify.c: probe-row synthesis from a model and the comparison of two models' outputs. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <skconv/verify.h>
#include "ops.h"

#define VERIFY_MAX_OUTPUTS 16

typedef struct verify_out {
    char name[64];
    int is_label;
    double max_abs, max_rel;
    int64_t mismatches, first_bad;
    int passed;
} verify_out;

struct skc_verify_report {
    int passed;
    int64_t rows;
    int n;
    verify_out outs[VERIFY_MAX_OUTPUTS];
    double rtol, atol;
    char summary[1024];
};

void skc_verify_opts_default(skc_verify_opts *o, int float64_target)
{
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->rtol = float64_target ? 1e-9 : 1e-5;
    o->atol = float64_target ? 1e-9 : 1e-5;
    o->n_rows = 256;
    o->seed = 0x5eedULL;
}

int64_t skci_hint_col(const skci_hints *h, int64_t col)
{
    int64_t x;

    if (col < 0 || col >= h->cols)
        return -1;
    x = h->colmap ? h->colmap[col] : col;
    return x >= 0 && x < h->x_cols ? x : -1;
}

/* Hints kept per column: enough to cover it; keeps probe rows bounded. */
#define VERIFY_HINTS 4096

int skci_hints_full(const skci_hints *h)
{
    int64_t c;

    for (c = 0; c < h->x_cols; c++)
        if (h->n[c] < VERIFY_HINTS)
            return 0;
    return 1;
}

int skci_hint_add(skci_hints *h, int64_t col, double v)
{
    double *nv;

    col = skci_hint_col(h, col);
    if (col < 0 || !isfinite(v))
        return SKC_OK;
    if (h->n[col] >= VERIFY_HINTS)
        return SKC_OK;
    if (h->n[col] == h->cap[col]) {
        int64_t ncap = h->cap[col] ? h->cap[col] * 2 : 16;
        nv = realloc(h->vals[col], (size_t)ncap * sizeof(double));
        if (!nv)
            return SKC_E_NOMEM;
        h->vals[col] = nv;
        h->cap[col] = ncap;
    }
    h->vals[col][h->n[col]++] = v;
    return SKC_OK;
}

/* Tensors whose columns are model input columns: X itself, then what
 * select_columns picks from them and what element-wise steps make of
 * them (impute, identity), so that hints of steps deep in a
 * ColumnTransformer still reach the input columns they read. */
#define VERIFY_MAX_MAPPED 256

typedef struct verify_mapped {
    const char *name;           /* borrowed from the model */
    int64_t *map, width;
} verify_mapped;

static int verify_find_mapped(const verify_mapped *v, int n, const char *name)
{
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return i;
    return -1;
}

/* The output of @p s when it keeps its input's columns or picks some. */
static int verify_map_step(const skc_step *s, const verify_mapped *from, verify_mapped *to)
{
    const char *op = skc_step_op(s);
    const skc_tensor *idx;
    int64_t k, n;

    if (skc_step_output_count(s) != 1)
        return 0;
    if (strcmp(op, "select_columns") == 0) {
        if (skc_step_get_tensor(s, "indices", &idx) || skc_tensor_dtype(idx) != SKC_DT_I64)
            return 0;
        n = skc_tensor_numel(idx);
        if (!(to->map = malloc((size_t)(n ? n : 1) * sizeof(*to->map))))
            return SKC_E_NOMEM;
        for (k = 0; k < n; k++) {
            int64_t j = ((const int64_t *)skc_tensor_data(idx))[k];
            to->map[k] = j >= 0 && j < from->width ? from->map[j] : -1;
        }
    } else if (strcmp(op, "impute") == 0 || strcmp(op, "identity") == 0) {
        n = from->width;
        if (!(to->map = malloc((size_t)(n ? n : 1) * sizeof(*to->map))))
            return SKC_E_NOMEM;
        memcpy(to->map, from->map, (size_t)n * sizeof(*to->map));
    } else {
        return 0;
    }
    to->name = skc_step_output(s, 0);
    to->width = n;
    return 1;
}

/* Every op's hints for the columns it reads of model input 0. */
static int verify_collect_hints(const skc_model *m, skci_hints *h)
{
    verify_mapped mapped[VERIFY_MAX_MAPPED];
    int n = 0, i, j, rc = SKC_OK;
    int64_t c;

    mapped[0].name = skc_model_input_name(m, 0);
    mapped[0].width = h->x_cols;
    if (!(mapped[0].map = malloc((size_t)(h->x_cols ? h->x_cols : 1) * sizeof(int64_t))))
        return SKC_E_NOMEM;
    for (c = 0; c < h->x_cols; c++)
        mapped[0].map[c] = c;
    n = 1;
    for (i = 0; i < skc_model_step_count(m) && rc == SKC_OK; i++) {
        const skc_step *s = skc_model_step(m, i);
        const skci_op *op = skci_op_find(skc_step_op(s));
        if (skc_step_input_count(s) < 1 ||
            (j = verify_find_mapped(mapped, n, skc_step_input(s, 0))) < 0)
            continue;
        if (op && op->hints) {
            h->colmap = mapped[j].map;
            h->cols = mapped[j].width;
            op->hints(s, h);
        }
        /* Ops that take strings tell through their hints (or pass the
         * columns on to steps that do). */
        if (op && !op->any_dtype && !op->strings_ok && h->as_number)
            for (c = 0; c < mapped[j].width; c++)
                if (mapped[j].map[c] >= 0)
                    h->as_number[mapped[j].map[c]] = 1;
        if (n < VERIFY_MAX_MAPPED && (rc = verify_map_step(s, &mapped[j], &mapped[n])) == 1) {
            n++;
            rc = SKC_OK;
        }
    }
    h->colmap = NULL;
    h->cols = h->x_cols;
    for (i = 0; i < n; i++)
        free(mapped[i].map);
    return rc;
}

/* Each column's hinted range, once (probe values are drawn around it). */
static void verify_hint_ranges(skci_hints *h)
{
    int64_t c, k;

    for (c = 0; c < h->x_cols; c++) {
        double lo = -3.0, hi = 3.0;
        if (h->n[c] > 0) {
            lo = hi = h->vals[c][0];
            for (k = 1; k < h->n[c]; k++) {
                if (h->vals[c][k] < lo)
                    lo = h->vals[c][k];
                if (h->vals[c][k] > hi)
                    hi = h->vals[c][k];
            }
        }
        h->lo[c] = lo;
        h->hi[c] = hi;
    }
}

static int verify_hints_new(const skc_model *m, int64_t f, skci_hints *h)
{
    size_t k = (size_t)(f ? f : 1);
    int rc;

    memset(h, 0, sizeof(*h));
    h->cols = h->x_cols = f;
    h->vals = calloc(k, sizeof(*h->vals));
    h->n = calloc(k, sizeof(*h->n));
    h->cap = calloc(k, sizeof(*h->cap));
    if (!h->vals || !h->n || !h->cap)
        return SKC_E_NOMEM;
    if (skc_model_input_dtype(m, 0) == SKC_DT_STRING) {
        h->str_src = calloc(k, sizeof(*h->str_src));
        h->str_lo = calloc(k, sizeof(*h->str_lo));
        h->str_hi = calloc(k, sizeof(*h->str_hi));
        h->str_missing_ok = calloc(k, 1);
        h->str_unknown_ok = calloc(k, 1);
        h->as_number = calloc(k, 1);
        if (!h->str_src || !h->str_lo || !h->str_hi || !h->str_missing_ok ||
            !h->str_unknown_ok || !h->as_number)
            return SKC_E_NOMEM;
    }
    if (!(h->lo = calloc(k, sizeof(*h->lo))) || !(h->hi = calloc(k, sizeof(*h->hi))))
        return SKC_E_NOMEM;
    if ((rc = verify_collect_hints(m, h)) == SKC_OK)
        verify_hint_ranges(h);
    return rc;
}

static void verify_hints_free(skci_hints *h)
{
    int64_t c;

    for (c = 0; h->vals && c < h->x_cols; c++)
        free(h->vals[c]);
    free(h->vals);
    free(h->n);
    free(h->cap);
    free(h->lo);
    free(h->hi);
    free(h->str_src);
    free(h->str_lo);
    free(h->str_hi);
    free(h->str_missing_ok);
    free(h->str_unknown_ok);
    free(h->as_number);
}

/* Model input width, -1 when the model records none. */
static int64_t verify_input_width(const skc_model *m)
{
    int nd = 0;
    const int64_t *sh = skc_model_input_shape(m, 0, &nd);

    return nd == 2 ? sh[1] : -1;
}

int skci_string_columns(const skc_model *m, uint8_t *is_string, int64_t f)
{
    skci_hints h;
    int64_t c;
    int rc;

    if (!m || skc_model_input_count(m) != 1 || verify_input_width(m) != f)
        return SKC_E_INVAL;
    memset(is_string, 0, (size_t)f);
    if (skc_model_input_dtype(m, 0) != SKC_DT_STRING)
        return SKC_OK;
    rc = verify_hints_new(m, f, &h);
    for (c = 0; rc == SKC_OK && c < f; c++)
        is_string[c] = h.str_src[c] != NULL || h.str_missing_ok[c] ? 1 : h.as_number[c] ? 0 : 2;
    verify_hints_free(&h);
    return rc;
}

/* splitmix64: small, seedable, the same on every platform. */
static uint64_t verify_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double verify_uniform(uint64_t *s)
{
    return (double)(verify_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double verify_normal(uint64_t *s)
{
    double u = verify_uniform(s), v = verify_uniform(s);

    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* One numeric probe value of column @p c at row @p r. */
static double verify_probe_value(const skci_hints *h, int64_t r, int64_t c, uint64_t *rng)
{
    double v, lo = h->lo[c], hi = h->hi[c];

    /* Even rows walk the hinted values (each column at its own stride so
     * combinations vary); odd rows are random across the hinted range
     * widened by half its span on each side. */
    if (h->n[c] > 0 && (r % 2 == 0))
        v = h->vals[c][(r / 2 + c * 7) % h->n[c]];
    else
        v = 0.5 * (lo + hi) + 0.5 * (hi - lo + 2.0) * verify_normal(rng);
    if (h->nan_ok && r % 17 == 5 && (c + r) % 3 == 0)
        v = NAN;
    return (double)(float)v;
}

/* A string X (core/OPS.md "String inputs"): string columns walk the
 * strings their steps know (every category of an encoder), with a
 * string no category has on every fifth row where the encoder accepts
 * unknown values and "" (missing) on every seventh where an imputer
 * fills it; numeric columns hold numbers as text ("%.17g", "nan"). */
static int verify_probe_strings(const skci_hints *h, int64_t n_rows, uint64_t *rng,
                                skc_tensor *x)
{
    static const char unknown[] = "skconv-unknown-category";
    int64_t r, c, f = h->x_cols;
    int rc = SKC_OK;

    for (r = 0; r < n_rows && rc == SKC_OK; r++) {
        for (c = 0; c < f && rc == SKC_OK; c++) {
            char buf[40];
            const char *v;
            size_t len;
            if (h->str_src[c] || h->str_missing_ok[c]) {
                int64_t nk = h->str_src[c] ? h->str_hi[c] - h->str_lo[c] : 0;
                v = "";
                len = 0;
                if (h->str_missing_ok[c] && r % 7 == 3) {
                    /* missing */
                } else if (nk <= 0 || (r % 5 == 4 && h->str_unknown_ok[c])) {
                    v = unknown;
                    len = sizeof(unknown) - 1;
                } else {
                    v = skc_tensor_string(h->str_src[c], h->str_lo[c] + (r + c * 7) % nk, &len);
                }
            } else {
                double d = verify_probe_value(h, r, c, rng);
                len = isnan(d) ? (size_t)snprintf(buf, sizeof(buf), "nan")
                               : (size_t)snprintf(buf, sizeof(buf), "%.17g", d);
                v = buf;
            }
            rc = skc_tensor_set_string(x, r * f + c, v ? v : "", v ? len : 0);
        }
    }
    return rc;
}

int skc_model_probe_rows(const skc_model *m, int64_t n_rows, uint64_t seed,
                         skc_tensor **out, char *err, size_t errlen)
{
    skci_hints h;
    int64_t f, r, c, shape[2];
    double *x;
    uint64_t rng = seed;
    int rc = SKC_OK, str;

    if (!m || !out || n_rows <= 0)
        return SKC_E_INVAL;
    if (skc_model_input_count(m) != 1) {
        skci_errf(err, errlen, "probe rows are synthesised for one-input models only");
        return SKC_E_UNSUPPORTED;
    }
    f = verify_input_width(m);
    /* A model that never looks at its input (DummyClassifier and
     * DummyRegressor record no width) is probed with one column. */
    if (f < 0)
        f = 1;
    str = skc_model_input_dtype(m, 0) == SKC_DT_STRING;
    if ((rc = verify_hints_new(m, f, &h)))
        goto done;
    shape[0] = n_rows;
    shape[1] = f;
    if ((rc = skc_tensor_new(str ? SKC_DT_STRING : SKC_DT_F64, 2, shape, out)))
        goto done;
    if (str) {
        if ((rc = verify_probe_strings(&h, n_rows, &rng, *out))) {
            skc_tensor_free(*out);
            *out = NULL;
        }
        goto done;
    }
    x = skc_tensor_data_mut(*out);
    for (r = 0; r < n_rows; r++)
        for (c = 0; c < f; c++)
            x[r * f + c] = verify_probe_value(&h, r, c, &rng);
done:
    verify_hints_free(&h);
    return rc;
}

static int verify_find_output(const skc_model *m, const char *name)
{
    int i;

    for (i = 0; i < skc_model_output_count(m); i++)
        if (strcmp(skc_model_output_name(m, i), name) == 0)
            return i;
    return -1;
}

static void verify_compare_labels(verify_out *o, const skc_tensor *a, const skc_tensor *b)
{
    int64_t i, n = skc_tensor_numel(a);
    int sa = skc_tensor_dtype(a) == SKC_DT_STRING, sb = skc_tensor_dtype(b) == SKC_DT_STRING;

    o->is_label = 1;
    for (i = 0; i < n; i++) {
        int same;
        if (sa && sb)
            same = strcmp(skc_tensor_string(a, i, NULL), skc_tensor_string(b, i, NULL)) == 0;
        else if (!sa && !sb)
            same = skc_tensor_get_f64(a, i) == skc_tensor_get_f64(b, i);
        else
            same = 0;
        if (!same) {
            if (o->first_bad < 0)
                o->first_bad = i;
            o->mismatches++;
        }
    }
    o->passed = o->mismatches == 0;
}

static void verify_compare_values(verify_out *o, const skc_tensor *a, const skc_tensor *b,
                                  int64_t cols, double rtol, double atol)
{
    int64_t i, n = skc_tensor_numel(a);

    o->passed = 1;
    for (i = 0; i < n; i++) {
        double x = skc_tensor_get_f64(a, i), y = skc_tensor_get_f64(b, i), d, rel;
        if (isnan(x) && isnan(y))
            continue;
        d = fabs(x - y);
        if (isnan(d))
            d = INFINITY;
        rel = x != 0.0 ? d / fabs(x) : (d == 0.0 ? 0.0 : INFINITY);
        if (d > o->max_abs)
            o->max_abs = d;
        if (rel > o->max_rel && d > 0.0)
            o->max_rel = rel;
        if (!(d <= atol + rtol * fabs(x))) {
            o->passed = 0;
            o->mismatches++;
            if (o->first_bad < 0)
                o->first_bad = cols > 0 ? i / cols : i;
        }
    }
}

static int verify_wants_f32(const skc_model *m)
{
    int i;

    for (i = 0; i < skc_model_input_count(m); i++)
        if (skc_model_input_dtype(m, i) == SKC_DT_F32)
            return 1;
    return 0;
}

/* A model whose input holds strings computes in float32 when it gives
 * float32 outputs (an ONNX graph written with dtype=float32 casts its
 * numeric columns to float): the tolerance follows them. */
int skc_verify_float32(const skc_model *m)
{
    int i;

    if (!m)
        return 0;
    if (verify_wants_f32(m))
        return 1;
    if (skc_model_input_count(m) < 1 || skc_model_input_dtype(m, 0) != SKC_DT_STRING)
        return 0;
    for (i = 0; i < skc_model_output_count(m); i++)
        if (skc_model_output_dtype(m, i) == SKC_DT_F32)
            return 1;
    return 0;
}

/* 1 when every step that reads @p m's input is a tree_ensemble that
 * casts it to float32 itself (x_float32): the outputs are then the same
 * for X and for X rounded to float32, so a reference evaluated on one
 * serves a candidate that needs the other. */
static int verify_rounds_itself(const skc_model *m)
{
    const char *x = skc_model_input_name(m, 0);
    int i, j, reads = 0;

    for (i = 0; i < skc_model_output_count(m); i++)
        if (strcmp(skc_model_output_name(m, i), x) == 0)
            return 0;
    for (i = 0; i < skc_model_step_count(m); i++) {
        const skc_step *st = skc_model_step(m, i);
        for (j = 0; j < skc_step_input_count(st); j++) {
            int64_t xf = 0;
            if (strcmp(skc_step_input(st, j), x) != 0)
                continue;
            if (strcmp(skc_step_op(st), "tree_ensemble") != 0 ||
                skc_step_get_int(st, "x_float32", &xf) != SKC_OK || !xf)
                return 0;
            reads++;
        }
    }
    return reads > 0;
}

/* X rounded to float32, so both sides see the very same inputs. */
static int verify_round(const skc_tensor *X, skc_tensor **out)
{
    int64_t k, n = skc_tensor_numel(X);
    double *xd;
    int rc;

    if ((rc = skc_tensor_new(SKC_DT_F64, skc_tensor_ndim(X), skc_tensor_shape(X), out)))
        return rc;
    xd = skc_tensor_data_mut(*out);
    for (k = 0; k < n; k++)
        xd[k] = (double)(float)skc_tensor_get_f64(X, k);
    return SKC_OK;
}

/* What a comparison can take: one input, at most VERIFY_MAX_OUTPUTS outputs. */
static int verify_comparable(const skc_model *m, char *err, size_t errlen)
{
    if (skc_model_output_count(m) > VERIFY_MAX_OUTPUTS || skc_model_input_count(m) != 1) {
        skci_errf(err, errlen, "verification compares one-input models with at most %d outputs",
                  VERIFY_MAX_OUTPUTS);
        return SKC_E_UNSUPPORTED;
    }
    return SKC_OK;
}

struct skc_verify_job {
    const skc_model *ref;         /* NULL once released                    */
    const skc_tensor *X;          /* the caller's rows or probe            */
    skc_tensor *probe, *xr;       /* owned: synthesised rows, rounded rows */
    int rounded;                  /* ra was computed on xr                 */
    skc_tensor *ra[VERIFY_MAX_OUTPUTS];
    /* Released (skc_verify_release): what finish would have asked ref. */
    int n_ref;
    char *names[VERIFY_MAX_OUTPUTS];
    skc_tensor *rb[VERIFY_MAX_OUTPUTS];   /* ref on xr, when it may be wanted */
    int has_rb;
    char err[512];
    int rc;
    pthread_t thread;
    int threaded;
};

static void *verify_ref_main(void *arg)
{
    skc_verify_job *j = arg;
    const skc_tensor *in[1] = { j->rounded ? j->xr : j->X };

    j->rc = skc_model_eval(j->ref, in, j->ra, j->err, sizeof(j->err));
    return NULL;
}

static void verify_job_join(skc_verify_job *j)
{
    if (j->threaded) {
        pthread_join(j->thread, NULL);
        j->threaded = 0;
    }
}

void skc_verify_job_free(skc_verify_job *j)
{
    int i;

    if (!j)
        return;
    verify_job_join(j);
    for (i = 0; i < VERIFY_MAX_OUTPUTS; i++) {
        skc_tensor_free(j->ra[i]);
        skc_tensor_free(j->rb[i]);
        free(j->names[i]);
    }
    skc_tensor_free(j->probe);
    skc_tensor_free(j->xr);
    free(j);
}

int skc_verify_start(const skc_model *ref, const skc_tensor *X, const skc_verify_opts *o,
                     skc_verify_job **out, char *err, size_t errlen)
{
    skc_verify_opts d;
    skc_verify_job *j;
    int rc;

    if (!ref || !out)
        return SKC_E_INVAL;
    *out = NULL;
    if (!o) {
        skc_verify_opts_default(&d, 0);
        o = &d;
    }
    if ((rc = verify_comparable(ref, err, errlen)))
        return rc;
    if (!(j = calloc(1, sizeof(*j))))
        return SKC_E_NOMEM;
    j->ref = ref;
    if (!X) {
        if ((rc = skc_model_probe_rows(ref, o->n_rows, o->seed, &j->probe, err, errlen))) {
            skc_verify_job_free(j);
            return rc;
        }
        X = j->probe;
    }
    j->X = X;
    if (verify_wants_f32(ref) && skc_tensor_dtype(X) != SKC_DT_STRING) {
        if ((rc = verify_round(X, &j->xr))) {
            skc_verify_job_free(j);
            return rc;
        }
        j->rounded = 1;
    }
    /* Evaluation takes a const model and keeps no state, so the reference
     * runs beside whatever the caller does next. */
    j->threaded = skc_threads() > 1 &&
                  pthread_create(&j->thread, NULL, verify_ref_main, j) == 0;
    if (!j->threaded)
        verify_ref_main(j);
    *out = j;
    return SKC_OK;
}

int skc_verify_release(skc_verify_job *j, char *err, size_t errlen)
{
    const skc_tensor *in[1];
    int i;

    if (!j)
        return SKC_E_INVAL;
    if (!j->ref)
        return SKC_OK;
    verify_job_join(j);
    if (j->rc) {
        skci_errf(err, errlen, "%s", j->err);
        return j->rc;
    }
    j->n_ref = skc_model_output_count(j->ref);
    for (i = 0; i < j->n_ref; i++)
        if (!(j->names[i] = strdup(skc_model_output_name(j->ref, i))))
            return SKC_E_NOMEM;
    /* The one case finish would evaluate the reference again (a float32
     * candidate, a reference that does not round X itself): done now, as
     * the candidate is not known yet. */
    if (!j->rounded && skc_tensor_dtype(j->X) != SKC_DT_STRING && !verify_rounds_itself(j->ref)) {
        int rc;
        if ((!j->xr && (rc = verify_round(j->X, &j->xr))))
            return rc;
        in[0] = j->xr;
        if ((rc = skc_model_eval(j->ref, in, j->rb, err, errlen)))
            return rc;
        j->has_rb = 1;
    }
    j->ref = NULL;
    return SKC_OK;
}

int skc_verify_finish(skc_verify_job *j, const skc_model *cand, const skc_verify_opts *o,
                      skc_verify_report **out, char *err, size_t errlen)
{
    skc_verify_opts d;
    skc_verify_report *r = NULL;
    skc_tensor *ca[VERIFY_MAX_OUTPUTS] = { 0 };
    const skc_model *ref;
    const skc_tensor *in[1];
    int i, nref, rc, want;
    size_t len;

    if (!j || !cand || !out) {
        skc_verify_job_free(j);
        return SKC_E_INVAL;
    }
    ref = j->ref;
    if (!o) {
        skc_verify_opts_default(&d, !skc_verify_float32(cand));
        o = &d;
    }
    nref = ref ? skc_model_output_count(ref) : j->n_ref;
    if ((rc = verify_comparable(cand, err, errlen)))
        goto done;
    /* When either model takes float32 input, both see X rounded (the
     * reference's side is j->rounded, known also once it is released). */
    want = (j->rounded || verify_wants_f32(cand)) && skc_tensor_dtype(j->X) != SKC_DT_STRING;
    if (want && !j->rounded && !j->xr && (rc = verify_round(j->X, &j->xr)))
        goto done;
    in[0] = want ? j->xr : j->X;
    rc = skc_model_eval(cand, in, ca, err, errlen);
    verify_job_join(j);
    if (j->rc) {
        /* The reference's failure first, as if it had run first. */
        skci_errf(err, errlen, "%s", j->err);
        rc = j->rc;
        goto done;
    }
    if (rc)
        goto done;
    if (want != j->rounded && (ref ? !verify_rounds_itself(ref) : j->has_rb)) {
        /* The reference ran on the other rows: again, on these (or, once
         * released, its outputs on them from then). */
        for (i = 0; i < VERIFY_MAX_OUTPUTS; i++) {
            skc_tensor_free(j->ra[i]);
            j->ra[i] = j->rb[i];
            j->rb[i] = NULL;
        }
        if (ref && (rc = skc_model_eval(ref, in, j->ra, err, errlen)))
            goto done;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    r->rows = skc_tensor_ndim(in[0]) ? skc_tensor_shape(in[0])[0] : 0;
    r->rtol = o->rtol;
    r->atol = o->atol;
    r->passed = 1;
    for (i = 0; i < nref; i++) {
        const char *name = ref ? skc_model_output_name(ref, i) : j->names[i];
        int k = verify_find_output(cand, name);
        verify_out *vo = &r->outs[r->n++];
        snprintf(vo->name, sizeof(vo->name), "%s", name);
        vo->first_bad = -1;
        if (k < 0) {
            skci_errf(err, errlen, "output '%s' is missing from the converted model", name);
            rc = SKC_E_MISMATCH;
            goto done;
        }
        if (skc_tensor_numel(j->ra[i]) != skc_tensor_numel(ca[k])) {
            skci_errf(err, errlen, "output '%s' has %lld values, the converted model %lld",
                      name, (long long)skc_tensor_numel(j->ra[i]),
                      (long long)skc_tensor_numel(ca[k]));
            rc = SKC_E_MISMATCH;
            goto done;
        }
        if (skc_tensor_dtype(j->ra[i]) == SKC_DT_STRING || skc_tensor_dtype(j->ra[i]) == SKC_DT_I64 ||
            skc_tensor_dtype(ca[k]) == SKC_DT_STRING)
            verify_compare_labels(vo, j->ra[i], ca[k]);
        else
            verify_compare_values(vo, j->ra[i], ca[k],
                                  skc_tensor_ndim(j->ra[i]) >= 2 ? skc_tensor_shape(j->ra[i])[1] : 1,
                                  o->rtol, o->atol);
        if (!vo->passed)
            r->passed = 0;
    }
    len = (size_t)snprintf(r->summary, sizeof(r->summary), "%s on %lld rows",
                           r->passed ? "passed" : "FAILED", (long long)r->rows);
    for (i = 0; i < r->n && len < sizeof(r->summary); i++) {
        verify_out *vo = &r->outs[i];
        if (vo->is_label)
            len += (size_t)snprintf(r->summary + len, sizeof(r->summary) - len,
                                    "; %s %s", vo->name,
                                    vo->mismatches ? "differs" : "identical");
        else
            len += (size_t)snprintf(r->summary + len, sizeof(r->summary) - len,
                                    "; %s max abs %.3g rel %.3g", vo->name,
                                    vo->max_abs, vo->max_rel);
        if (vo->mismatches && len < sizeof(r->summary))
            len += (size_t)snprintf(r->summary + len, sizeof(r->summary) - len,
                                    " (%lld values, first at row %lld)",
                                    (long long)vo->mismatches, (long long)vo->first_bad);
    }
    if (len < sizeof(r->summary))
        snprintf(r->summary + len, sizeof(r->summary) - len,
                 " (tolerance |a-b| <= %.0e + %.0e*|a|)", r->atol, r->rtol);
    *out = r;
    r = NULL;
    rc = SKC_OK;
done:
    for (i = 0; i < VERIFY_MAX_OUTPUTS; i++)
        skc_tensor_free(ca[i]);
    free(r);
    skc_verify_job_free(j);
    return rc;
}

int skc_verify_models(const skc_model *ref, const skc_model *cand, const skc_tensor *X,
                      const skc_verify_opts *o, skc_verify_report **out,
                      char *err, size_t errlen)
{
    skc_verify_opts d;
    skc_verify_job *j = NULL;
    int rc;

    if (!ref || !cand || !out)
        return SKC_E_INVAL;
    if (!o) {
        skc_verify_opts_default(&d, !skc_verify_float32(cand));
        o = &d;
    }
    /* The reference on a second thread while the candidate runs here. */
    if ((rc = skc_verify_start(ref, X, o, &j, err, errlen)))
        return rc;
    return skc_verify_finish(j, cand, o, out, err, errlen);
}

int skc_verify_passed(const skc_verify_report *r) { return r ? r->passed : 0; }
int64_t skc_verify_rows(const skc_verify_report *r) { return r ? r->rows : 0; }
const char *skc_verify_summary(const skc_verify_report *r) { return r ? r->summary : ""; }
int skc_verify_output_count(const skc_verify_report *r) { return r ? r->n : 0; }

int skc_verify_output(const skc_verify_report *r, int i, const char **name,
                      double *max_abs, double *max_rel, int64_t *mismatches,
                      int64_t *first_bad_row)
{
    if (!r || i < 0 || i >= r->n)
        return SKC_E_INVAL;
    if (name) *name = r->outs[i].name;
    if (max_abs) *max_abs = r->outs[i].max_abs;
    if (max_rel) *max_rel = r->outs[i].max_rel;
    if (mismatches) *mismatches = r->outs[i].mismatches;
    if (first_bad_row) *first_bad_row = r->outs[i].first_bad;
    return SKC_OK;
}

void skc_verify_report_free(skc_verify_report *r)
{
    free(r);
}
