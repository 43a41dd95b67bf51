/* SPDX-License-Identifier: MIT */
/* op_onnxml_svm.c: SVMClassifier and SVMRegressor (ai.onnx.ml), as ONNX Runtime computes them in float. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

/*
 * ORT (svmclassifier.cc, svmregressor.cc, ml_common.h) casts X to float,
 * computes kernels in float, sums each one-vs-one decision in double over
 * float products, votes, and for probabilities runs libsvm's pairwise
 * coupling in float. Kernel dot products here accumulate in double and
 * round once (a float GEMM's result within an ulp or two).
 */

enum { K_LINEAR, K_POLY, K_RBF, K_SIGMOID };

typedef struct svm_model {
    int kernel;
    float gamma, coef0, degree;
    const skc_tensor *sv, *coef, *rho, *pa, *pb, *vpc;
    int64_t n_sv, n_feat, n_cls, n_coef, n_rho, n_prob;
    int64_t *start;          /* first support vector of each class */
    int svc;                 /* support vectors given (else liblinear mode) */
    float *svf, *coeff;      /* attributes as float */
} svm_model;

static void svm_free(svm_model *m)
{
    free(m->start);
    free(m->svf);
    free(m->coeff);
    memset(m, 0, sizeof(*m));
}

static const skc_tensor *svm_floats(const skc_step *s, const char *k, int64_t *n)
{
    const skc_tensor *t = skco_attr_t(s, k);

    *n = t && skco_is_real(skc_tensor_dtype(t)) ? skc_tensor_numel(t) : 0;
    return *n ? t : NULL;
}

static float *svm_as_float(const skc_tensor *t, int64_t n)
{
    float *v = malloc((size_t)(n ? n : 1) * sizeof(float));
    int64_t i;

    if (v)
        for (i = 0; i < n; i++)
            v[i] = (float)skco_get(t, i);
    return v;
}

/* @p regressor: SVMRegressor (n_supports gives the vector count). */
static int svm_build(const skc_step *s, int regressor, svm_model *m, char *err, size_t errlen)
{
    const char *kt = skco_attr_s(s, "kernel_type", "LINEAR");
    const skc_tensor *kp;
    int64_t nkp, nsvf, i;

    memset(m, 0, sizeof(*m));
    m->kernel = !strcmp(kt, "LINEAR") ? K_LINEAR : !strcmp(kt, "POLY") ? K_POLY :
                !strcmp(kt, "RBF") ? K_RBF : !strcmp(kt, "SIGMOID") ? K_SIGMOID : -1;
    if (m->kernel < 0)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "unknown kernel_type '%.20s'", kt);
    if ((kp = svm_floats(s, "kernel_params", &nkp))) {
        if (nkp < 3)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "kernel_params needs gamma, coef0 and degree");
        m->gamma = (float)skco_get(kp, 0);
        m->coef0 = (float)skco_get(kp, 1);
        m->degree = (float)skco_get(kp, 2);
    }
    m->coef = svm_floats(s, "coefficients", &m->n_coef);
    m->rho = svm_floats(s, "rho", &m->n_rho);
    m->sv = svm_floats(s, "support_vectors", &nsvf);
    m->pa = svm_floats(s, "prob_a", &m->n_prob);
    m->pb = svm_floats(s, "prob_b", &i);
    if (!m->coef || !m->rho || i != m->n_prob)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "coefficients, rho or prob_a/prob_b are missing or uneven");
    if (regressor) {
        m->n_sv = skco_attr_i(s, "n_supports", 0);
        m->n_cls = 1;
        if (m->n_sv < 0)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "n_supports is negative");
    } else {
        const skc_tensor *ls = skco_attr_t(s, "classlabels_strings"), *li = skco_attr_t(s, "classlabels_ints");
        m->n_cls = ls && skc_tensor_numel(ls) ? skc_tensor_numel(ls) : li ? skc_tensor_numel(li) : 0;
        if (m->n_cls < 1)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "needs class labels");
        m->vpc = skco_attr_t(s, "vectors_per_class");
        if (m->vpc) {
            if (skc_tensor_numel(m->vpc) < m->n_cls || !skco_is_int(skc_tensor_dtype(m->vpc)))
                return skco_fail(err, errlen, s, SKC_E_FORMAT, "vectors_per_class is shorter than the classes");
            m->start = malloc((size_t)m->n_cls * sizeof(int64_t));
            if (!m->start)
                return SKC_E_NOMEM;
            for (i = 0; i < m->n_cls; i++) {
                int64_t c = skco_geti(m->vpc, i);
                if (c < 0 || m->n_sv > INT64_MAX / 4 - c) {
                    svm_free(m);
                    return skco_fail(err, errlen, s, SKC_E_FORMAT, "bad vectors_per_class");
                }
                m->start[i] = m->n_sv;
                m->n_sv += c;
            }
        }
    }
    m->svc = m->n_sv > 0;
    if (m->svc) {
        if (!m->sv || nsvf % m->n_sv) {
            svm_free(m);
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "support_vectors do not split into %lld vectors",
                             (long long)m->n_sv);
        }
        m->n_feat = nsvf / m->n_sv;
        if (m->n_coef != (regressor ? m->n_sv : (m->n_cls - 1) * m->n_sv) ||
            m->n_rho < (regressor ? 1 : m->n_cls * (m->n_cls - 1) / 2) ||
            (!regressor && m->n_cls < 2) ||
            (m->n_prob && m->n_prob < m->n_cls * (m->n_cls - 1) / 2)) {
            svm_free(m);
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "coefficients, rho or prob_a do not fit "
                             "%lld classes and %lld vectors", (long long)m->n_cls, (long long)m->n_sv);
        }
    } else {
        /* liblinear mode: one coefficient row per class, linear kernel. */
        m->kernel = K_LINEAR;
        if (m->n_coef % m->n_cls) {
            svm_free(m);
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "coefficients do not split into %lld rows",
                             (long long)m->n_cls);
        }
        m->n_feat = m->n_coef / m->n_cls;
    }
    m->svf = svm_as_float(m->sv, m->svc ? nsvf : 0);
    m->coeff = svm_as_float(m->coef, m->n_coef);
    if (!m->svf || !m->coeff) {
        svm_free(m);
        return SKC_E_NOMEM;
    }
    return SKC_OK;
}

int skco_check_svm(const skc_step *s, char *err, size_t errlen)
{
    svm_model m;
    int rc = svm_build(s, strcmp(s->op, "onnxml.SVMRegressor") == 0, &m, err, errlen);

    if (rc == SKC_OK)
        svm_free(&m);
    return rc;
}

/* SVMCommon::batched_kernel_dot for one row against @p n vectors of @p b. */
static void svm_kernels(const svm_model *m, const float *x, const float *b, int64_t n,
                        float scalar_c, float *out)
{
    int64_t j, f, k = m->n_feat;

    for (j = 0; j < n; j++) {
        const float *v = b + j * k;
        if (m->kernel == K_RBF) {
            float sum = 0.0f;
            for (f = 0; f < k; f++) {
                float d = x[f] - v[f];
                sum += d * d;
            }
            out[j] = expf(-m->gamma * sum);
        } else {
            double dot = 0.0;
            for (f = 0; f < k; f++)
                dot += (double)x[f] * v[f];
            if (m->kernel == K_LINEAR) {
                out[j] = (float)(dot + scalar_c);
            } else {
                float g = (float)(m->gamma * dot + m->coef0);
                if (m->kernel == K_SIGMOID)
                    out[j] = tanhf(g);
                else if (m->degree == 2.0f)
                    out[j] = g * g;
                else if (m->degree == 3.0f)
                    out[j] = g * g * g;
                else
                    out[j] = powf(g, m->degree);
            }
        }
    }
}

/* ml_common.h multiclass_probability (libsvm's coupling), in float. */
static void svm_coupling(int64_t k, const float *r, float *p, float *q, float *qp)
{
    float eps = 0.005f / (float)k;
    int64_t i, j, loop;

    for (i = 0; i < k * k; i++)
        q[i] = 0.0f;
    for (i = 0; i < k; i++) {
        p[i] = 1.0f / (float)k;
        for (j = 0; j < i; j++) {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = q[j * k + i];
        }
        for (j = i + 1; j < k; j++) {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = -r[j * k + i] * r[i * k + j];
        }
    }
    for (loop = 0; loop < 100; loop++) {
        float pqp = 0.0f, max_error = 0.0f;
        for (i = 0; i < k; i++) {
            qp[i] = 0.0f;
            for (j = 0; j < k; j++)
                qp[i] += q[i * k + j] * p[j];
            pqp += p[i] * qp[i];
        }
        for (i = 0; i < k; i++) {
            float e = fabsf(qp[i] - pqp);
            if (e > max_error)
                max_error = e;
        }
        if (max_error < eps)
            break;
        for (i = 0; i < k; i++) {
            float diff = (-qp[i] + pqp) / q[i * k + i];
            p[i] += diff;
            pqp = (pqp + diff * (diff * q[i * k + i] + 2.0f * qp[i])) / (1.0f + diff) / (1.0f + diff);
            for (j = 0; j < k; j++) {
                qp[j] = (qp[j] + diff * q[i * k + j]) / (1.0f + diff);
                p[j] /= (1.0f + diff);
            }
        }
    }
}

static float *svm_row_f(const skc_tensor *x, int64_t r, int64_t cols, float *buf)
{
    int64_t c;

    for (c = 0; c < cols; c++)
        buf[c] = (float)skco_get(x, r * cols + c);
    return buf;
}

int skco_eval_svm_classifier(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                             char *err, size_t errlen)
{
    const skc_tensor *ls = skco_attr_t(s, "classlabels_strings"), *li = skco_attr_t(s, "classlabels_ints");
    int strings = ls && skc_tensor_numel(ls) > 0, pt, rc, all_pos = 1, have_proba;
    int64_t rows, cols, r, i, j, ncl, zc, shape[2];
    float *x = NULL, *ker = NULL, *sc = NULL, *r2 = NULL, *q = NULL, *qp = NULL, *z;
    int64_t *votes = NULL;
    svm_model m;

    if ((rc = skco_ml_post(s, &pt, err, errlen)) ||
        (rc = skco_ml_rows(s, in[0], &rows, &cols, err, errlen)) ||
        (rc = svm_build(s, 0, &m, err, errlen)))
        return rc;
    if (cols != m.n_feat) {
        svm_free(&m);
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X has %lld features, the model %lld",
                         (long long)cols, (long long)m.n_feat);
    }
    for (i = 0; i < m.n_coef; i++)
        if (m.coeff[i] < 0.0f)
            all_pos = 0;
    have_proba = m.n_prob > 0;
    ncl = m.n_cls * (m.n_cls - 1) / 2;
    zc = m.svc && !have_proba ? (m.n_cls > 2 ? ncl : 2) : m.n_cls;
    shape[0] = rows;
    shape[1] = zc;
    if ((rc = skco_new(strings ? SKC_DT_STRING : SKC_DT_I64, 1, &rows, &out[0], NULL)) ||
        (rc = skco_new(SKC_DT_F32, 2, shape, &out[1], (void **)&z)))
        goto fail;
    x = malloc((size_t)(cols ? cols : 1) * sizeof(float));
    ker = malloc((size_t)(m.n_sv > m.n_cls ? m.n_sv : m.n_cls) * sizeof(float) + sizeof(float));
    sc = malloc((size_t)(ncl + m.n_cls + 2) * sizeof(float));
    votes = malloc((size_t)m.n_cls * sizeof(int64_t));
    r2 = malloc((size_t)(m.n_cls * m.n_cls) * sizeof(float));
    q = malloc((size_t)(m.n_cls * m.n_cls) * sizeof(float));
    qp = malloc((size_t)m.n_cls * sizeof(float));
    if (!x || !ker || !sc || !votes || !r2 || !q || !qp) {
        rc = SKC_E_NOMEM;
        goto fail;
    }
    for (r = 0; r < rows; r++) {
        int64_t maxclass = 0, idx = 0;
        float max_weight = 0.0f, *zr = z + r * zc;
        const char *lab_s = NULL;
        int64_t lab_i = 0;
        svm_row_f(in[0], r, cols, x);
        if (!m.svc) {
            svm_kernels(&m, x, m.coeff, m.n_cls, (float)skco_get(m.rho, 0), sc);
            for (j = 1; j < m.n_cls; j++)
                if (sc[j] > sc[maxclass])
                    maxclass = j;
            max_weight = sc[maxclass];
        } else {
            svm_kernels(&m, x, m.svf, m.n_sv, 0.0f, ker);
            memset(votes, 0, (size_t)m.n_cls * sizeof(int64_t));
            for (i = 0; i < m.n_cls - 1; i++)
                for (j = i + 1; j < m.n_cls; j++) {
                    double sum = 0.0;
                    int64_t t, si = m.start[i], sj = m.start[j];
                    for (t = 0; t < skco_geti(m.vpc, i); t++)
                        sum += (double)(m.coeff[(j - 1) * m.n_sv + si + t] * ker[si + t]);
                    for (t = 0; t < skco_geti(m.vpc, j); t++)
                        sum += (double)(m.coeff[i * m.n_sv + sj + t] * ker[sj + t]);
                    sum += (float)skco_get(m.rho, idx);
                    sc[idx++] = (float)sum;
                    votes[sum > 0 ? i : j]++;
                }
            for (j = 1; j < m.n_cls; j++)
                if (votes[j] > votes[maxclass])
                    maxclass = j;
            if (have_proba) {
                float *pr = sc + ncl;
                int64_t k = 0;
                for (i = 0; i < m.n_cls * m.n_cls; i++)
                    r2[i] = 0.0f;
                for (i = 0; i < m.n_cls - 1; i++)
                    for (j = i + 1; j < m.n_cls; j++, k++) {
                        float v = sc[k] * (float)skco_get(m.pa, k) + (float)skco_get(m.pb, k);
                        float p1 = 1.0f - skco_logistic_f(v);
                        p1 = p1 > 1.0e-7f ? p1 : 1.0e-7f;
                        p1 = p1 < 1.0f - 1.0e-7f ? p1 : 1.0f - 1.0e-7f;
                        r2[i * m.n_cls + j] = p1;
                        r2[j * m.n_cls + i] = 1.0f - p1;
                    }
                svm_coupling(m.n_cls, r2, pr, q, qp);
                memmove(sc, pr, (size_t)m.n_cls * sizeof(float));
            }
        }
        /* svmclassifier.cc ChooseClass. */
        if (m.n_cls == 2 && (strings || li)) {
            int64_t pick = maxclass;
            if (!have_proba && ((all_pos && max_weight >= 0.5f) || (max_weight > 0 && !all_pos)))
                pick = 1;
            if (strings)
                lab_s = skc_tensor_string(ls, pick, NULL);
            else
                lab_i = skco_geti(li, pick);
        } else if (m.n_cls == 2 || (!strings && !li)) {
            lab_s = max_weight > 0 ? "1" : "0";
            lab_i = max_weight > 0;
        } else if (strings) {
            lab_s = skc_tensor_string(ls, maxclass, NULL);
        } else {
            lab_i = skco_geti(li, maxclass);
        }
        if (strings) {
            if ((rc = skc_tensor_set_string(out[0], r, lab_s, strlen(lab_s))))
                goto fail;
        } else {
            ((int64_t *)skc_tensor_data_mut(out[0]))[r] = lab_i;
        }
        if (m.svc && !have_proba && m.n_cls <= 2 && pt == SKCO_PT_LOGISTIC) {
            /* One decision widened to [1-p, p] after the logistic (ORT 1.30). */
            sc[0] = skco_logistic_f(sc[0]);
            skco_ml_scores(sc, ncl, SKCO_PT_NONE, 0, zr, zc);
        } else if (m.svc && !have_proba)
            skco_ml_scores(sc, ncl, pt, m.n_cls <= 2 ? (pt == SKCO_PT_NONE ? 2 : 0) : -1, zr, zc);
        else
            skco_ml_scores(sc, m.n_cls, pt, -1, zr, zc);
    }
    rc = SKC_OK;
    goto done;
fail:
    skc_tensor_free(out[0]);
    skc_tensor_free(out[1]);
    out[0] = out[1] = NULL;
done:
    free(x);
    free(ker);
    free(sc);
    free(votes);
    free(r2);
    free(q);
    free(qp);
    svm_free(&m);
    return rc;
}

int skco_eval_svm_regressor(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                            char *err, size_t errlen)
{
    int64_t rows, cols, r, j, shape[2];
    int rc, one_class = skco_attr_i(s, "one_class", 0) != 0;
    float *x = NULL, *ker = NULL, *y;
    svm_model m;

    if ((rc = skco_ml_rows(s, in[0], &rows, &cols, err, errlen)))
        return rc;
    /* ORT registers this kernel for float input only. */
    if (skc_tensor_dtype(in[0]) != SKC_DT_F32)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X must be float32 (ONNX Runtime's kernel)");
    if ((rc = svm_build(s, 1, &m, err, errlen)))
        return rc;
    if (!m.svc)
        m.n_feat = m.n_coef;
    if (cols != m.n_feat) {
        svm_free(&m);
        return skco_fail(err, errlen, s, SKC_E_INVAL, "X has %lld features, the model %lld",
                         (long long)cols, (long long)m.n_feat);
    }
    shape[0] = rows;
    shape[1] = 1;
    if ((rc = skco_new(SKC_DT_F32, 2, shape, out, (void **)&y)))
        goto done;
    x = malloc((size_t)(cols ? cols : 1) * sizeof(float));
    ker = malloc((size_t)(m.n_sv ? m.n_sv : 1) * sizeof(float));
    if (!x || !ker) {
        skc_tensor_free(*out);
        *out = NULL;
        rc = SKC_E_NOMEM;
        goto done;
    }
    for (r = 0; r < rows; r++) {
        svm_row_f(in[0], r, cols, x);
        if (m.svc) {
            double acc = 0.0;
            svm_kernels(&m, x, m.svf, m.n_sv, 0.0f, ker);
            for (j = 0; j < m.n_sv; j++)
                acc += (double)ker[j] * m.coeff[j];
            y[r] = (float)(acc + (float)skco_get(m.rho, 0));
        } else {
            svm_kernels(&m, x, m.coeff, 1, (float)skco_get(m.rho, 0), &y[r]);
        }
        if (one_class)
            y[r] = y[r] > 0.0f ? 1.0f : -1.0f;
    }
done:
    free(x);
    free(ker);
    svm_free(&m);
    return rc;
}
