/* SPDX-License-Identifier: MIT */
/* verify.c: probe-row synthesis from a model and the comparison of two models' outputs. */
#include <math.h>
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

int skci_hint_add(skci_hints *h, int64_t col, double v)
{
    double *nv;

    if (col < 0 || col >= h->cols || !isfinite(v))
        return SKC_OK;
    if (h->n[col] >= 4096)      /* enough to cover a column; keep rows bounded */
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

int skc_model_probe_rows(const skc_model *m, int64_t n_rows, uint64_t seed,
                         skc_tensor **out, char *err, size_t errlen)
{
    skci_hints h;
    int64_t f, r, c, shape[2];
    const char *xname;
    double *x;
    uint64_t rng = seed;
    int i, rc = SKC_OK, nd = 0;
    const int64_t *sh;

    if (!m || !out || n_rows <= 0)
        return SKC_E_INVAL;
    if (skc_model_input_count(m) != 1) {
        skci_errf(err, errlen, "probe rows are synthesised for one-input models only");
        return SKC_E_UNSUPPORTED;
    }
    sh = skc_model_input_shape(m, 0, &nd);
    f = nd == 2 ? sh[1] : -1;
    /* A model that never looks at its input (DummyClassifier and
     * DummyRegressor record no width) is probed with one column. */
    if (f < 0)
        f = 1;
    xname = skc_model_input_name(m, 0);
    memset(&h, 0, sizeof(h));
    h.cols = f;
    h.vals = calloc((size_t)(f ? f : 1), sizeof(*h.vals));
    h.n = calloc((size_t)(f ? f : 1), sizeof(*h.n));
    h.cap = calloc((size_t)(f ? f : 1), sizeof(*h.cap));
    if (!h.vals || !h.n || !h.cap) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (i = 0; i < skc_model_step_count(m); i++) {
        const skc_step *s = skc_model_step(m, i);
        const skci_op *op = skci_op_find(skc_step_op(s));
        if (op && op->hints && skc_step_input_count(s) > 0 &&
            strcmp(skc_step_input(s, 0), xname) == 0)
            op->hints(s, &h);
    }
    shape[0] = n_rows;
    shape[1] = f;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, out)))
        goto done;
    x = skc_tensor_data_mut(*out);
    for (r = 0; r < n_rows; r++) {
        for (c = 0; c < f; c++) {
            double v, lo = -3.0, hi = 3.0;
            int64_t k;
            if (h.n[c] > 0) {
                lo = hi = h.vals[c][0];
                for (k = 1; k < h.n[c]; k++) {
                    if (h.vals[c][k] < lo) lo = h.vals[c][k];
                    if (h.vals[c][k] > hi) hi = h.vals[c][k];
                }
            }
            /* Even rows walk the hinted values (each column at its own
             * stride so combinations vary); odd rows are random across the
             * hinted range widened by half its span on each side. */
            if (h.n[c] > 0 && (r % 2 == 0))
                v = h.vals[c][(r / 2 + c * 7) % h.n[c]];
            else
                v = 0.5 * (lo + hi) + 0.5 * (hi - lo + 2.0) * verify_normal(&rng);
            if (h.nan_ok && r % 17 == 5 && (c + r) % 3 == 0)
                v = NAN;
            x[r * f + c] = (double)(float)v;
        }
    }
done:
    for (c = 0; h.vals && c < f; c++)
        free(h.vals[c]);
    free(h.vals);
    free(h.n);
    free(h.cap);
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

int skc_verify_models(const skc_model *ref, const skc_model *cand, const skc_tensor *X,
                      const skc_verify_opts *o, skc_verify_report **out,
                      char *err, size_t errlen)
{
    skc_verify_opts d;
    skc_verify_report *r = NULL;
    skc_tensor *probe = NULL, *xr = NULL;
    skc_tensor *ra[VERIFY_MAX_OUTPUTS] = { 0 }, *ca[VERIFY_MAX_OUTPUTS] = { 0 };
    const skc_tensor *in[1];
    int i, nref, ncand, rc;
    size_t len;

    if (!ref || !cand || !out)
        return SKC_E_INVAL;
    if (!o) {
        skc_verify_opts_default(&d, !verify_wants_f32(cand));
        o = &d;
    }
    nref = skc_model_output_count(ref);
    ncand = skc_model_output_count(cand);
    if (nref > VERIFY_MAX_OUTPUTS || ncand > VERIFY_MAX_OUTPUTS ||
        skc_model_input_count(ref) != 1 || skc_model_input_count(cand) != 1) {
        skci_errf(err, errlen, "verification compares one-input models with at most %d outputs",
                  VERIFY_MAX_OUTPUTS);
        return SKC_E_UNSUPPORTED;
    }
    if (!X) {
        rc = skc_model_probe_rows(ref, o->n_rows, o->seed, &probe, err, errlen);
        if (rc)
            return rc;
        X = probe;
    }
    if (verify_wants_f32(ref) || verify_wants_f32(cand)) {
        /* Round once so both sides see the very same float32 inputs. */
        int64_t k, n = skc_tensor_numel(X);
        double *xd;
        if ((rc = skc_tensor_new(SKC_DT_F64, skc_tensor_ndim(X), skc_tensor_shape(X), &xr)))
            goto done;
        xd = skc_tensor_data_mut(xr);
        for (k = 0; k < n; k++)
            xd[k] = (double)(float)skc_tensor_get_f64(X, k);
        X = xr;
    }
    in[0] = X;
    if ((rc = skc_model_eval(ref, in, ra, err, errlen)))
        goto done;
    if ((rc = skc_model_eval(cand, in, ca, err, errlen)))
        goto done;
    r = calloc(1, sizeof(*r));
    if (!r) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    r->rows = skc_tensor_ndim(X) ? skc_tensor_shape(X)[0] : 0;
    r->rtol = o->rtol;
    r->atol = o->atol;
    r->passed = 1;
    for (i = 0; i < nref; i++) {
        const char *name = skc_model_output_name(ref, i);
        int j = verify_find_output(cand, name);
        verify_out *vo = &r->outs[r->n++];
        snprintf(vo->name, sizeof(vo->name), "%s", name);
        vo->first_bad = -1;
        if (j < 0) {
            skci_errf(err, errlen, "output '%s' is missing from the converted model", name);
            rc = SKC_E_MISMATCH;
            goto done;
        }
        if (skc_tensor_numel(ra[i]) != skc_tensor_numel(ca[j])) {
            skci_errf(err, errlen, "output '%s' has %lld values, the converted model %lld",
                      name, (long long)skc_tensor_numel(ra[i]),
                      (long long)skc_tensor_numel(ca[j]));
            rc = SKC_E_MISMATCH;
            goto done;
        }
        if (skc_tensor_dtype(ra[i]) == SKC_DT_STRING || skc_tensor_dtype(ra[i]) == SKC_DT_I64 ||
            skc_tensor_dtype(ca[j]) == SKC_DT_STRING)
            verify_compare_labels(vo, ra[i], ca[j]);
        else
            verify_compare_values(vo, ra[i], ca[j],
                                  skc_tensor_ndim(ra[i]) >= 2 ? skc_tensor_shape(ra[i])[1] : 1,
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
    for (i = 0; i < VERIFY_MAX_OUTPUTS; i++) {
        skc_tensor_free(ra[i]);
        skc_tensor_free(ca[i]);
    }
    skc_tensor_free(probe);
    skc_tensor_free(xr);
    free(r);
    return rc;
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
