/* SPDX-License-Identifier: MIT */
/* op_mlp.c: reference semantics of the element-wise IR operations (core/OPS.md): activation, modified_huber, constant. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

/* ---- activation: Y = f(X) element by element ----------------------------- */

enum { MLP_IDENTITY, MLP_LOGISTIC, MLP_TANH, MLP_RELU, MLP_EXP };

static const char *const mlp_functions[] = { "identity", "logistic", "tanh", "relu", "exp" };

static int mlp_function(const skc_step *s)
{
    const char *f;
    size_t i;

    if (skc_step_get_string(s, "function", &f))
        return -1;
    for (i = 0; i < sizeof(mlp_functions) / sizeof(mlp_functions[0]); i++)
        if (strcmp(f, mlp_functions[i]) == 0)
            return (int)i;
    return -1;
}

static int mlp_activation_check(const skc_step *s, char *err, size_t errlen)
{
    if (mlp_function(s) < 0) {
        skci_errf(err, errlen, "step 'activation' needs function identity, logistic, "
                  "tanh, relu or exp");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int mlp_activation_eval(const skc_step *s, const skc_tensor *const *in,
                               skc_tensor **out, char *err, size_t errlen)
{
    const double *x;
    double *y, v;
    int64_t i, n;
    int rc, fn = mlp_function(s);

    (void)err;
    (void)errlen;
    if ((rc = skci_new_matrix(skci_rows(in[0]), skci_cols(in[0]), out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    n = skc_tensor_numel(in[0]);
    for (i = 0; i < n; i++) {
        v = x[i];
        switch (fn) {
        case MLP_LOGISTIC: v = skci_expit(v); break;
        case MLP_TANH:     v = tanh(v); break;
        /* sklearn's relu is np.clip(X, 0, finfo.max): NaN stays NaN. */
        case MLP_RELU:     v = v < 0.0 ? 0.0 : v > DBL_MAX ? DBL_MAX : v; break;
        case MLP_EXP:      v = exp(v); break;
        default:           break;
        }
        y[i] = v;
    }
    return SKC_OK;
}

/* ---- modified_huber: SGDClassifier(loss='modified_huber').predict_proba -- */

static int mlp_huber_check(const skc_step *s, char *err, size_t errlen)
{
    const char *mode;

    if (skc_step_get_string(s, "mode", &mode) ||
        (strcmp(mode, "binary") && strcmp(mode, "multiclass"))) {
        skci_errf(err, errlen, "step 'modified_huber' needs mode binary or multiclass");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int mlp_huber_eval(const skc_step *s, const skc_tensor *const *in,
                          skc_tensor **out, char *err, size_t errlen)
{
    const char *mode;
    const double *z;
    double *p, q, sum;
    int64_t n, t, r, j;
    int rc;

    skc_step_get_string(s, "mode", &mode);
    n = skci_rows(in[0]);
    t = skci_cols(in[0]);
    z = skc_tensor_data(in[0]);
    if (strcmp(mode, "binary") == 0 ? t != 1 : t < 2) {
        skci_errf(err, errlen, "step 'modified_huber' (%s): %lld score columns", mode,
                  (long long)t);
        return SKC_E_INVAL;
    }
    if ((rc = skci_new_matrix(n, t == 1 ? 2 : t, out)))
        return rc;
    p = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++) {
        if (t == 1) {
            q = z[r] < -1.0 ? -1.0 : z[r] > 1.0 ? 1.0 : z[r];
            q = (q + 1.0) / 2.0;
            p[2 * r] = 1.0 - q;
            p[2 * r + 1] = q;
            continue;
        }
        sum = 0.0;
        for (j = 0; j < t; j++) {
            q = z[r * t + j] < -1.0 ? -1.0 : z[r * t + j] > 1.0 ? 1.0 : z[r * t + j];
            sum += (p[r * t + j] = (q + 1.0) / 2.0);
        }
        /* Every score at or below -1: sklearn gives the uniform row. */
        for (j = 0; j < t; j++)
            p[r * t + j] = sum == 0.0 ? 1.0 / (double)t : p[r * t + j] / sum;
    }
    return SKC_OK;
}

/* ---- constant: every row is `value`, whatever X holds (NaN included) ----- */

static int mlp_constant_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *v;

    return skci_need_f64(s, "value", 1, &v, err, errlen);
}

static int mlp_constant_eval(const skc_step *s, const skc_tensor *const *in,
                             skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *vt;
    const double *v;
    double *y;
    int64_t n, c, r;
    int rc;

    (void)err;
    (void)errlen;
    skc_step_get_tensor(s, "value", &vt);
    n = skc_tensor_ndim(in[0]) >= 1 ? skc_tensor_shape(in[0])[0] : 1;
    c = skc_tensor_numel(vt);
    if ((rc = skci_new_matrix(n, c, out)))
        return rc;
    v = skc_tensor_data(vt);
    y = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        memcpy(y + r * c, v, (size_t)c * sizeof(double));
    return SKC_OK;
}

const skci_op skci_ops_mlp[] = {
    { .name = "activation", .n_inputs = 1, .n_outputs = 1, .check = mlp_activation_check,
      .eval = mlp_activation_eval },
    { .name = "modified_huber", .n_inputs = 1, .n_outputs = 1, .check = mlp_huber_check,
      .eval = mlp_huber_eval },
    { .name = "constant", .n_inputs = 1, .n_outputs = 1, .check = mlp_constant_check,
      .eval = mlp_constant_eval },
    { .name = NULL }
};
