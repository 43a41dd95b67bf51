/* SPDX-License-Identifier: MIT */
/* op_svm.c: reference semantics of the kernel SVM IR operations (core/OPS.md): svm, svm_vote, svm_decision, svm_proba, as libsvm inside sklearn computes them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "op_labels.h"

/* ---- shared: labels from class indices ---------------------------------- */

int skci_classes_check(const skc_step *s, int64_t want, char *err, size_t errlen)
{
    const skc_tensor *cl;
    int dt;

    if (skc_step_get_tensor(s, "classes", &cl) != SKC_OK) {
        skci_errf(err, errlen, "step '%s' lacks tensor attribute 'classes'", s->op);
        return SKC_E_FORMAT;
    }
    dt = skc_tensor_dtype(cl);
    if ((dt != SKC_DT_I64 && dt != SKC_DT_STRING) || skc_tensor_ndim(cl) != 1 ||
        skc_tensor_numel(cl) < 1) {
        skci_errf(err, errlen, "step '%s': classes must be a non-empty 1-D int64 or string tensor",
                  s->op);
        return SKC_E_FORMAT;
    }
    if (want >= 0 && skc_tensor_numel(cl) != want) {
        skci_errf(err, errlen, "step '%s': %lld classes, expected %lld", s->op,
                  (long long)skc_tensor_numel(cl), (long long)want);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

int skci_labels_from_index(const skc_tensor *classes, const int64_t *idx, int ndim,
                           const int64_t *shape, skc_tensor **out)
{
    int is_str = skc_tensor_dtype(classes) == SKC_DT_STRING;
    int64_t r, n = ndim == 2 ? shape[0] * shape[1] : shape[0];
    int rc;

    rc = skc_tensor_new(is_str ? SKC_DT_STRING : SKC_DT_I64, ndim, shape, out);
    if (rc)
        return rc;
    for (r = 0; r < n; r++) {
        if (is_str) {
            size_t len;
            const char *str = skc_tensor_string(classes, idx[r], &len);
            if (!str || (rc = skc_tensor_set_string(*out, r, str, len))) {
                skc_tensor_free(*out);
                *out = NULL;
                return rc ? rc : SKC_E_INTERNAL;
            }
        } else {
            ((int64_t *)skc_tensor_data_mut(*out))[r] =
                ((const int64_t *)skc_tensor_data(classes))[idx[r]];
        }
    }
    return SKC_OK;
}

/* ---- svm: libsvm's decision values ---------------------------------------- */

enum { SVM_LINEAR, SVM_POLY, SVM_RBF, SVM_SIGMOID };

static int svm_kernel_kind(const char *k)
{
    if (!k)
        return -1;
    if (strcmp(k, "linear") == 0) return SVM_LINEAR;
    if (strcmp(k, "poly") == 0) return SVM_POLY;
    if (strcmp(k, "rbf") == 0) return SVM_RBF;
    if (strcmp(k, "sigmoid") == 0) return SVM_SIGMOID;
    return -1;
}

static int svm_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *sv, *dc, *ic, *ns;
    const char *kernel;
    double g, c0;
    int64_t deg, m, k, p, r, i, total = 0;
    int rc;

    if (skc_step_get_string(s, "kernel", &kernel) || svm_kernel_kind(kernel) < 0) {
        skci_errf(err, errlen, "step 'svm' needs kernel linear, poly, rbf or sigmoid");
        return SKC_E_FORMAT;
    }
    if (skc_step_get_float(s, "gamma", &g) || skc_step_get_float(s, "coef0", &c0) ||
        skc_step_get_int(s, "degree", &deg) || deg < 0 || deg > 64) {
        skci_errf(err, errlen, "step 'svm' needs float gamma and coef0 and an int degree in 0..64");
        return SKC_E_FORMAT;
    }
    if ((rc = skci_need_f64(s, "support_vectors", 2, &sv, err, errlen)) ||
        (rc = skci_need_f64(s, "dual_coef", 2, &dc, err, errlen)) ||
        (rc = skci_need_f64(s, "intercept", 1, &ic, err, errlen)))
        return rc;
    m = skc_tensor_shape(sv)[0];
    r = skc_tensor_shape(dc)[0];
    p = skc_tensor_numel(ic);
    if (skc_tensor_shape(dc)[1] != m) {
        skci_errf(err, errlen, "step 'svm': dual_coef has %lld columns for %lld support vectors",
                  (long long)skc_tensor_shape(dc)[1], (long long)m);
        return SKC_E_FORMAT;
    }
    if (skc_step_get_tensor(s, "n_support", &ns) != SKC_OK) {
        if (r != 1 || p != 1) {
            skci_errf(err, errlen, "step 'svm' without n_support needs one row of dual_coef "
                      "and one intercept");
            return SKC_E_FORMAT;
        }
        return SKC_OK;
    }
    k = skc_tensor_numel(ns);
    if (skc_tensor_dtype(ns) != SKC_DT_I64 || skc_tensor_ndim(ns) != 1 || k < 2 ||
        k > 100000) {
        skci_errf(err, errlen, "step 'svm': n_support must be a 1-D int64 tensor of 2 or more classes");
        return SKC_E_FORMAT;
    }
    for (i = 0; i < k; i++) {
        int64_t v = ((const int64_t *)skc_tensor_data(ns))[i];
        if (v < 0 || v > m) {
            skci_errf(err, errlen, "step 'svm': n_support[%lld] = %lld", (long long)i, (long long)v);
            return SKC_E_FORMAT;
        }
        total += v;
    }
    if (total != m || r != k - 1 || p != k * (k - 1) / 2) {
        skci_errf(err, errlen, "step 'svm': %lld classes need %lld support vectors (sum of "
                  "n_support), %lld dual_coef rows and %lld intercepts; got %lld, %lld, %lld",
                  (long long)k, (long long)total, (long long)(k - 1), (long long)(k * (k - 1) / 2),
                  (long long)m, (long long)r, (long long)p);
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

/* libsvm's powi: exponentiation by squaring, the rounding sklearn gets. */
static double svm_powi(double base, int64_t times)
{
    double tmp = base, ret = 1.0;
    int64_t t;

    for (t = times; t > 0; t /= 2) {
        if (t % 2 == 1)
            ret *= tmp;
        tmp = tmp * tmp;
    }
    return ret;
}

/* Kernel::k_function of sklearn's dense libsvm (svm.cpp). */
static double svm_kernel(int kind, const double *x, const double *y, int64_t f,
                         double gamma, double coef0, int64_t degree)
{
    double sum = 0.0, d;
    int64_t i;

    if (kind == SVM_RBF) {
        for (i = 0; i < f; i++) {
            d = x[i] - y[i];
            sum += d * d;
        }
        return exp(-gamma * sum);
    }
    for (i = 0; i < f; i++)
        sum += x[i] * y[i];
    switch (kind) {
    case SVM_POLY:
        return svm_powi(gamma * sum + coef0, degree);
    case SVM_SIGMOID:
        return tanh(gamma * sum + coef0);
    default:
        return sum;
    }
}

/* svm_predict_values: D = sum of coef * K(x, sv) - rho, with intercept = -rho. */
static int svm_eval(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    const skc_tensor *svt, *dct, *ict, *nst = NULL;
    const char *kname;
    const double *x, *sv, *dc, *ic;
    double gamma, coef0, *kv = NULL, *d;
    int64_t degree, n, f, m, k, p, r, i, j, q, *start = NULL;
    int kind, rc;

    skc_step_get_string(s, "kernel", &kname);
    kind = svm_kernel_kind(kname);
    skc_step_get_float(s, "gamma", &gamma);
    skc_step_get_float(s, "coef0", &coef0);
    skc_step_get_int(s, "degree", &degree);
    skc_step_get_tensor(s, "support_vectors", &svt);
    skc_step_get_tensor(s, "dual_coef", &dct);
    skc_step_get_tensor(s, "intercept", &ict);
    skc_step_get_tensor(s, "n_support", &nst);
    n = skci_rows(in[0]);
    f = skci_cols(in[0]);
    m = skc_tensor_shape(svt)[0];
    if (f != skc_tensor_shape(svt)[1]) {
        skci_errf(err, errlen, "step 'svm': input has %lld columns but the support vectors %lld",
                  (long long)f, (long long)skc_tensor_shape(svt)[1]);
        return SKC_E_INVAL;
    }
    k = nst ? skc_tensor_numel(nst) : 0;
    p = skc_tensor_numel(ict);
    if ((rc = skci_new_matrix(n, p, out)))
        return rc;
    kv = malloc((size_t)(m ? m : 1) * sizeof(*kv));
    start = malloc((size_t)(k + 1) * sizeof(*start));
    if (!kv || !start) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    if (k) {
        start[0] = 0;
        for (i = 1; i <= k; i++)
            start[i] = start[i - 1] + ((const int64_t *)skc_tensor_data(nst))[i - 1];
    }
    x = skc_tensor_data(in[0]);
    sv = skc_tensor_data(svt);
    dc = skc_tensor_data(dct);
    ic = skc_tensor_data(ict);
    d = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        for (i = 0; i < m; i++)
            kv[i] = svm_kernel(kind, x + r * f, sv + i * f, f, gamma, coef0, degree);
        if (!k) {
            double sum = 0.0;
            for (i = 0; i < m; i++)
                sum += dc[i] * kv[i];
            d[r] = sum + ic[0];
            continue;
        }
        /* Pair (i, j): class i's vectors weigh with dual_coef row j-1,
         * class j's with row i (libsvm's sv_coef layout). */
        q = 0;
        for (i = 0; i < k; i++) {
            for (j = i + 1; j < k; j++) {
                double sum = 0.0;
                int64_t t;
                for (t = start[i]; t < start[i + 1]; t++)
                    sum += dc[(j - 1) * m + t] * kv[t];
                for (t = start[j]; t < start[j + 1]; t++)
                    sum += dc[i * m + t] * kv[t];
                d[r * p + q] = sum + ic[q];
                q++;
            }
        }
    }
    free(kv);
    free(start);
    return SKC_OK;
fail:
    free(kv);
    free(start);
    skc_tensor_free(*out);
    *out = NULL;
    return rc;
}

/* Values around each support vector's coordinates: the kernel changes
 * most near them. */
static void svm_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *sv;
    int64_t m, f, i, c, step;

    if (skc_step_get_tensor(s, "support_vectors", &sv) || skc_tensor_ndim(sv) != 2)
        return;
    m = skc_tensor_shape(sv)[0];
    f = skc_tensor_shape(sv)[1];
    step = m > 256 ? m / 256 : 1;
    for (i = 0; i < m; i += step)
        for (c = 0; c < f; c++)
            skci_hint_add(h, c, skc_tensor_get_f64(sv, i * f + c));
}

/* ---- pairwise decision values: shapes shared by the three readers ------- */

/* K from P = K(K-1)/2 and the step's n_classes. */
static int svm_pairs_classes(const skc_step *s, const skc_tensor *dv, int64_t *k,
                             char *err, size_t errlen)
{
    int64_t kk = 0, p = skci_cols(dv);

    if (skc_step_get_int(s, "n_classes", &kk) || kk < 2 || kk > 100000) {
        skci_errf(err, errlen, "step '%s' needs an int n_classes of 2 or more", s->op);
        return SKC_E_FORMAT;
    }
    if (p != kk * (kk - 1) / 2) {
        skci_errf(err, errlen, "step '%s': %lld decision values for %lld classes",
                  s->op, (long long)p, (long long)kk);
        return SKC_E_INVAL;
    }
    *k = kk;
    return SKC_OK;
}

/* sklearn's _ovr_decision_function(dec < 0, -dec, K) for one row. */
static void svm_ovr_row(const double *dec, int64_t k, double *votes, double *conf, double *out)
{
    int64_t i, j, q = 0;

    for (i = 0; i < k; i++)
        votes[i] = conf[i] = 0.0;
    for (i = 0; i < k; i++) {
        for (j = i + 1; j < k; j++) {
            conf[i] -= -dec[q];
            conf[j] += -dec[q];
            if (dec[q] < 0)
                votes[j] += 1.0;
            else
                votes[i] += 1.0;
            q++;
        }
    }
    for (i = 0; i < k; i++)
        out[i] = votes[i] + conf[i] / (3.0 * (fabs(conf[i]) + 1.0));
}

/* ---- svm_vote: libsvm's one-vs-one vote (or break_ties' argmax) ------------ */

static int svm_vote_check(const skc_step *s, char *err, size_t errlen)
{
    const char *mode;
    int64_t k;

    if (skc_step_get_string(s, "mode", &mode) ||
        (strcmp(mode, "vote") && strcmp(mode, "ovr_argmax"))) {
        skci_errf(err, errlen, "step 'svm_vote' needs mode vote or ovr_argmax");
        return SKC_E_FORMAT;
    }
    if (skc_step_get_int(s, "n_classes", &k) || k < 2) {
        skci_errf(err, errlen, "step 'svm_vote' needs an int n_classes of 2 or more");
        return SKC_E_FORMAT;
    }
    return skci_classes_check(s, k, err, errlen);
}

static int svm_vote_eval(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                         char *err, size_t errlen)
{
    const skc_tensor *cl;
    const char *mode;
    const double *d;
    double *votes = NULL, *conf = NULL, *score = NULL;
    int64_t k, p, n, r, i, j, q, *idx = NULL;
    int rc, ovr;

    if ((rc = svm_pairs_classes(s, in[0], &k, err, errlen)))
        return rc;
    skc_step_get_string(s, "mode", &mode);
    skc_step_get_tensor(s, "classes", &cl);
    ovr = strcmp(mode, "ovr_argmax") == 0;
    n = skci_rows(in[0]);
    p = skci_cols(in[0]);
    d = skc_tensor_data(in[0]);
    votes = malloc((size_t)k * sizeof(*votes));
    conf = malloc((size_t)k * sizeof(*conf));
    score = malloc((size_t)k * sizeof(*score));
    idx = malloc((size_t)(n ? n : 1) * sizeof(*idx));
    if (!votes || !conf || !score || !idx) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (r = 0; r < n; r++) {
        const double *dr = d + r * p;
        if (ovr) {
            svm_ovr_row(dr, k, votes, conf, score);
        } else {
            for (i = 0; i < k; i++)
                score[i] = 0.0;
            q = 0;
            for (i = 0; i < k; i++)
                for (j = i + 1; j < k; j++, q++)
                    score[dr[q] > 0 ? i : j] += 1.0;
        }
        idx[r] = 0;
        for (i = 1; i < k; i++)
            if (score[i] > score[idx[r]])
                idx[r] = i;
    }
    rc = skci_labels_from_index(cl, idx, 1, &n, &out[0]);
done:
    free(votes);
    free(conf);
    free(score);
    free(idx);
    return rc;
}

/* ---- svm_decision: sklearn's decision_function from libsvm's values -------- */

static int svm_decision_check(const skc_step *s, char *err, size_t errlen)
{
    const char *mode;

    if (skc_step_get_string(s, "mode", &mode) ||
        (strcmp(mode, "ovo") && strcmp(mode, "ovr") && strcmp(mode, "binary"))) {
        skci_errf(err, errlen, "step 'svm_decision' needs mode ovo, ovr or binary");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int svm_decision_eval(const skc_step *s, const skc_tensor *const *in,
                             skc_tensor **out, char *err, size_t errlen)
{
    const char *mode;
    const double *d;
    double *y, *votes = NULL, *conf = NULL;
    int64_t n, p, k, r;
    int rc;

    skc_step_get_string(s, "mode", &mode);
    n = skci_rows(in[0]);
    p = skci_cols(in[0]);
    d = skc_tensor_data(in[0]);
    if (strcmp(mode, "binary") == 0) {
        /* Two classes: sklearn flips libsvm's sign so that positive means classes_[1]. */
        if (p != 1) {
            skci_errf(err, errlen, "step 'svm_decision' binary needs one decision value, got %lld",
                      (long long)p);
            return SKC_E_INVAL;
        }
        if ((rc = skci_new_matrix(n, 1, out)))
            return rc;
        y = skc_tensor_data_mut(*out);
        for (r = 0; r < n; r++)
            y[r] = -d[r];
        return SKC_OK;
    }
    if (strcmp(mode, "ovo") == 0) {
        *out = skc_tensor_ref((skc_tensor *)(uintptr_t)in[0]);
        return SKC_OK;
    }
    if ((rc = svm_pairs_classes(s, in[0], &k, err, errlen)) ||
        (rc = skci_new_matrix(n, k, out)))
        return rc;
    votes = malloc((size_t)k * sizeof(*votes));
    conf = malloc((size_t)k * sizeof(*conf));
    if (!votes || !conf) {
        free(votes);
        free(conf);
        skc_tensor_free(*out);
        *out = NULL;
        return SKC_E_NOMEM;
    }
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        svm_ovr_row(d + r * p, k, votes, conf, y + r * k);
    free(votes);
    free(conf);
    return SKC_OK;
}

/* ---- svm_proba: Platt sigmoids and Wu-Lin-Weng pairwise coupling ---------- */

static int svm_proba_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *a, *b;
    int64_t k;
    int rc;

    if ((rc = skci_need_f64(s, "prob_a", 1, &a, err, errlen)) ||
        (rc = skci_need_f64(s, "prob_b", 1, &b, err, errlen)))
        return rc;
    if (skc_step_get_int(s, "n_classes", &k) || k < 2 || k > 100000 ||
        skc_tensor_numel(a) != k * (k - 1) / 2 || skc_tensor_numel(b) != skc_tensor_numel(a)) {
        skci_errf(err, errlen, "step 'svm_proba' needs n_classes K >= 2 and K(K-1)/2 values "
                  "in prob_a and prob_b");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

/* svm.cpp sigmoid_predict: written to avoid cancellation in 1 - p. */
static double svm_sigmoid_predict(double dv, double a, double b)
{
    double f = dv * a + b;

    if (f >= 0)
        return exp(-f) / (1.0 + exp(-f));
    return 1.0 / (1 + exp(f));
}

/* svm.cpp multiclass_probability (method 2 of Wu, Lin and Weng), step for
 * step: the stopping test is loose (0.005/K), so only the same iterations
 * give the same digits. q: K*K scratch, qp: K scratch. */
static void svm_coupling(int64_t k, const double *rr, double *p, double *q, double *qp)
{
    int64_t t, j, iter, max_iter = k > 100 ? k : 100;
    double pqp, eps = 0.005 / (double)k;

    for (t = 0; t < k; t++) {
        p[t] = 1.0 / (double)k;
        q[t * k + t] = 0;
        for (j = 0; j < t; j++) {
            q[t * k + t] += rr[j * k + t] * rr[j * k + t];
            q[t * k + j] = q[j * k + t];
        }
        for (j = t + 1; j < k; j++) {
            q[t * k + t] += rr[j * k + t] * rr[j * k + t];
            q[t * k + j] = -rr[j * k + t] * rr[t * k + j];
        }
    }
    for (iter = 0; iter < max_iter; iter++) {
        double max_error = 0;
        pqp = 0;
        for (t = 0; t < k; t++) {
            qp[t] = 0;
            for (j = 0; j < k; j++)
                qp[t] += q[t * k + j] * p[j];
            pqp += p[t] * qp[t];
        }
        for (t = 0; t < k; t++) {
            double error = fabs(qp[t] - pqp);
            if (error > max_error)
                max_error = error;
        }
        if (max_error < eps)
            break;
        for (t = 0; t < k; t++) {
            double diff = (-qp[t] + pqp) / q[t * k + t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t * k + t] + 2 * qp[t])) / (1 + diff) / (1 + diff);
            for (j = 0; j < k; j++) {
                qp[j] = (qp[j] + diff * q[t * k + j]) / (1 + diff);
                p[j] /= (1 + diff);
            }
        }
    }
}

static int svm_proba_eval(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                          char *err, size_t errlen)
{
    const skc_tensor *at, *bt;
    const double *d, *a, *b;
    double *rr = NULL, *q = NULL, *qp = NULL, *y;
    int64_t k, p, n, r, i, j, c;
    int rc;

    if ((rc = svm_pairs_classes(s, in[0], &k, err, errlen)))
        return rc;
    skc_step_get_tensor(s, "prob_a", &at);
    skc_step_get_tensor(s, "prob_b", &bt);
    n = skci_rows(in[0]);
    p = skci_cols(in[0]);
    d = skc_tensor_data(in[0]);
    a = skc_tensor_data(at);
    b = skc_tensor_data(bt);
    if ((rc = skci_new_matrix(n, k, out)))
        return rc;
    rr = calloc((size_t)(k * k), sizeof(*rr));
    q = calloc((size_t)(k * k), sizeof(*q));
    qp = calloc((size_t)k, sizeof(*qp));
    if (!rr || !q || !qp) {
        skc_tensor_free(*out);
        *out = NULL;
        rc = SKC_E_NOMEM;
        goto done;
    }
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        c = 0;
        for (i = 0; i < k; i++) {
            for (j = i + 1; j < k; j++, c++) {
                double v = svm_sigmoid_predict(d[r * p + c], a[c], b[c]);
                /* libsvm's min(max(v, 1e-7), 1 - 1e-7) with its (x>y)?x:y */
                v = v > 1e-7 ? v : 1e-7;
                v = v < 1 - 1e-7 ? v : 1 - 1e-7;
                rr[i * k + j] = v;
                rr[j * k + i] = 1 - v;
            }
        }
        svm_coupling(k, rr, y + r * k, q, qp);
    }
done:
    free(rr);
    free(q);
    free(qp);
    return rc;
}

const skci_op skci_ops_svm[] = {
    { .name = "svm", .n_inputs = 1, .n_outputs = 1, .check = svm_check,
      .eval = svm_eval, .hints = svm_hints },
    { .name = "svm_vote", .n_inputs = 1, .n_outputs = 1, .check = svm_vote_check,
      .eval = svm_vote_eval },
    { .name = "svm_decision", .n_inputs = 1, .n_outputs = 1, .check = svm_decision_check,
      .eval = svm_decision_eval },
    { .name = "svm_proba", .n_inputs = 1, .n_outputs = 1, .check = svm_proba_check,
      .eval = svm_proba_eval },
    { .name = NULL }
};
