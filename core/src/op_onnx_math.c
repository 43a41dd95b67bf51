/* SPDX-License-Identifier: MIT */
/* op_onnx_math.c: ONNX elementwise operators (unary, binary with broadcasting, comparisons, logic, Where, Clip, Cast). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

/* The ONNX operator name of a mirror step ("onnx.Add" -> "Add"). */
static const char *math_name(const skc_step *s)
{
    const char *dot = strchr(s->op, '.');

    return dot ? dot + 1 : s->op;
}

/* ---- unary ------------------------------------------------------------ */

enum {
    U_NEG, U_ABS, U_SQRT, U_EXP, U_LOG, U_RECIP, U_RELU, U_SIGMOID, U_TANH,
    U_SOFTPLUS, U_SOFTSIGN, U_ERF, U_SIGN, U_FLOOR, U_CEIL, U_ROUND, U_SIN,
    U_COS, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH, U_ACOSH,
    U_ATANH, U_LEAKY, U_ELU, U_SELU, U_HSIG, U_TRELU, U_CELU, U_HSWISH
};

static const struct { const char *name; int code; int ints; } math_unary[] = {
    { "Neg", U_NEG, 1 }, { "Abs", U_ABS, 1 }, { "Sqrt", U_SQRT, 0 },
    { "Exp", U_EXP, 0 }, { "Log", U_LOG, 0 }, { "Reciprocal", U_RECIP, 0 },
    { "Relu", U_RELU, 1 }, { "Sigmoid", U_SIGMOID, 0 }, { "Tanh", U_TANH, 0 },
    { "Softplus", U_SOFTPLUS, 0 }, { "Softsign", U_SOFTSIGN, 0 }, { "Erf", U_ERF, 0 },
    { "Sign", U_SIGN, 1 }, { "Floor", U_FLOOR, 0 }, { "Ceil", U_CEIL, 0 },
    { "Round", U_ROUND, 0 }, { "Sin", U_SIN, 0 }, { "Cos", U_COS, 0 },
    { "Tan", U_TAN, 0 }, { "Asin", U_ASIN, 0 }, { "Acos", U_ACOS, 0 },
    { "Atan", U_ATAN, 0 }, { "Sinh", U_SINH, 0 }, { "Cosh", U_COSH, 0 },
    { "Asinh", U_ASINH, 0 }, { "Acosh", U_ACOSH, 0 }, { "Atanh", U_ATANH, 0 },
    { "LeakyRelu", U_LEAKY, 0 }, { "Elu", U_ELU, 0 }, { "Selu", U_SELU, 0 },
    { "HardSigmoid", U_HSIG, 0 }, { "ThresholdedRelu", U_TRELU, 0 },
    { "Celu", U_CELU, 0 }, { "HardSwish", U_HSWISH, 0 },
};

typedef struct math_params {
    double alpha, beta, gamma;
} math_params;

static double math_unary_f(int code, double x, const math_params *p)
{
    switch (code) {
    case U_NEG:      return -x;
    case U_ABS:      return fabs(x);
    case U_SQRT:     return sqrt(x);
    case U_EXP:      return exp(x);
    case U_LOG:      return log(x);
    case U_RECIP:    return 1.0 / x;
    case U_RELU:     return x > 0 ? x : (x == x ? 0.0 : x);
    case U_SIGMOID:  return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
    case U_TANH:     return tanh(x);
    case U_SOFTPLUS: return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
    case U_SOFTSIGN: return x / (1.0 + fabs(x));
    case U_ERF:      return erf(x);
    case U_SIGN:     return x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x;
    case U_FLOOR:    return floor(x);
    case U_CEIL:     return ceil(x);
    case U_ROUND:    return nearbyint(x);   /* half to even in the default mode */
    case U_SIN:      return sin(x);
    case U_COS:      return cos(x);
    case U_TAN:      return tan(x);
    case U_ASIN:     return asin(x);
    case U_ACOS:     return acos(x);
    case U_ATAN:     return atan(x);
    case U_SINH:     return sinh(x);
    case U_COSH:     return cosh(x);
    case U_ASINH:    return asinh(x);
    case U_ACOSH:    return acosh(x);
    case U_ATANH:    return atanh(x);
    case U_LEAKY:    return x < 0 ? p->alpha * x : x;
    case U_ELU:      return x < 0 ? p->alpha * (exp(x) - 1.0) : x;
    case U_SELU:     return x <= 0 ? p->gamma * (p->alpha * exp(x) - p->alpha) : p->gamma * x;
    case U_HSIG:     { double v = p->alpha * x + p->beta; return v < 0 ? 0 : v > 1 ? 1 : v; }
    case U_TRELU:    return x > p->alpha ? x : 0.0;
    case U_CELU:     return (x > 0 ? x : 0.0) +
                            (p->alpha * (exp(x / p->alpha) - 1.0) < 0 ?
                             p->alpha * (exp(x / p->alpha) - 1.0) : 0.0);
    case U_HSWISH:   { double v = x / 6.0 + 0.5; return x * (v < 0 ? 0 : v > 1 ? 1 : v); }
    default:         return NAN;
    }
}

static int64_t math_unary_i(int code, int64_t x)
{
    switch (code) {
    case U_NEG:  return (int64_t)(0u - (uint64_t)x);
    case U_ABS:  return x < 0 ? (int64_t)(0u - (uint64_t)x) : x;
    case U_RELU: return x > 0 ? x : 0;
    case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    default:     return 0;
    }
}

int skco_eval_unary(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    const char *name = math_name(s);
    int dt = skc_tensor_dtype(in[0]), code = -1, ints = 0, rc;
    math_params p;
    size_t u;
    int64_t i, n = skc_tensor_numel(in[0]);
    void *y;

    for (u = 0; u < sizeof(math_unary) / sizeof(math_unary[0]); u++)
        if (strcmp(math_unary[u].name, name) == 0) {
            code = math_unary[u].code;
            ints = math_unary[u].ints;
        }
    if (code < 0)
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "no such unary operator");
    if (!skco_is_num(dt) || dt == SKC_DT_BOOL || (skco_is_int(dt) && !ints))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "input of type %s is not supported",
                         skc_dtype_name(dt));
    p.alpha = skco_attr_f(s, "alpha", code == U_LEAKY ? 0.01 : code == U_HSIG ? 0.2 :
                          code == U_SELU ? 1.67326319217681884765625 : 1.0);
    p.beta = skco_attr_f(s, "beta", 0.5);
    p.gamma = skco_attr_f(s, "gamma", 1.05070102214813232421875);
    if ((rc = skco_new(dt, skc_tensor_ndim(in[0]), skc_tensor_shape(in[0]), out, &y)))
        return rc;
    if (skco_is_int(dt)) {
        for (i = 0; i < n; i++)
            skco_puti(dt, y, i, math_unary_i(code, skco_geti(in[0], i)));
    } else {
        for (i = 0; i < n; i++)
            skco_put(dt, y, i, math_unary_f(code, skco_get(in[0], i), &p));
    }
    return SKC_OK;
}

/* ---- binary arithmetic with broadcasting ------------------------------ */

enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MOD, B_MAX, B_MIN, B_PRELU, B_BITAND };

static int math_binary_code(const char *name)
{
    static const struct { const char *n; int c; } t[] = {
        { "Add", B_ADD }, { "Sub", B_SUB }, { "Mul", B_MUL }, { "Div", B_DIV },
        { "Pow", B_POW }, { "Mod", B_MOD }, { "Max", B_MAX }, { "Min", B_MIN },
        { "Sum", B_ADD }, { "Mean", B_ADD }, { "PRelu", B_PRELU },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(t[i].n, name) == 0)
            return t[i].c;
    return -1;
}

static double math_bin_f(int code, double a, double b, int fmod_mode)
{
    switch (code) {
    case B_ADD:   return a + b;
    case B_SUB:   return a - b;
    case B_MUL:   return a * b;
    case B_DIV:   return a / b;
    case B_POW:   return pow(a, b);
    case B_MOD:   {
        double r = fmod(a, b);
        /* fmod=0 follows the divisor's sign (Python), fmod=1 C's fmod. */
        if (!fmod_mode && r != 0 && ((r < 0) != (b < 0)))
            r += b;
        return r;
    }
    /* ORT's Max and Min propagate NaN. */
    case B_MAX:   return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
    case B_MIN:   return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
    case B_PRELU: return a < 0 ? b * a : a;
    default:      return NAN;
    }
}

/* Integer arithmetic wraps like the two's-complement hardware ORT runs on;
 * the two cases C leaves undefined and ORT crashes on are refused. */
static int math_bin_i(int code, int64_t a, int64_t b, int fmod_mode, int64_t *r)
{
    switch (code) {
    case B_ADD: *r = (int64_t)((uint64_t)a + (uint64_t)b); return 0;
    case B_SUB: *r = (int64_t)((uint64_t)a - (uint64_t)b); return 0;
    case B_MUL: *r = (int64_t)((uint64_t)a * (uint64_t)b); return 0;
    case B_DIV:
    case B_MOD:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return -1;
        if (code == B_DIV) {
            *r = a / b;
        } else {
            *r = a % b;
            if (!fmod_mode && *r != 0 && ((*r < 0) != (b < 0)))
                *r += b;
        }
        return 0;
    case B_MAX: *r = a > b ? a : b; return 0;
    case B_MIN: *r = a < b ? a : b; return 0;
    case B_POW: *r = skco_f2i(pow((double)a, (double)b)); return 0;
    case B_PRELU: *r = a < 0 ? b * a : a; return 0;
    default: return -1;
    }
}

/* One broadcast binary step: out = a (op) b, in a's element type. */
static int math_binary(const skc_step *s, int code, const skc_tensor *a, const skc_tensor *b,
                       skc_tensor **out, char *err, size_t errlen)
{
    const skc_tensor *ab[2] = { a, b };
    int dt = skc_tensor_dtype(a), dtb = skc_tensor_dtype(b), rc;
    int fmod_mode = (int)skco_attr_i(s, "fmod", 0);
    skco_bcast bc;
    skco_iter it;
    int64_t i;
    void *y;

    if (!skco_is_num(dt) || dt == SKC_DT_BOOL || !skco_is_num(dtb) ||
        (code != B_POW && dt != dtb))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "inputs of types %s and %s are not supported",
                         skc_dtype_name(dt), skc_dtype_name(dtb));
    if ((rc = skco_bcast_init(&bc, 2, ab, s, err, errlen)) ||
        (rc = skco_new(dt, bc.ndim, bc.shape, out, &y)))
        return rc;
    skco_iter_init(&it, &bc);
    if (skco_is_int(dt) && skco_is_int(dtb)) {
        for (i = 0; i < bc.numel; i++, skco_iter_next(&it)) {
            int64_t r;
            if (math_bin_i(code, skco_geti(a, it.off[0]), skco_geti(b, it.off[1]), fmod_mode, &r)) {
                skc_tensor_free(*out);
                *out = NULL;
                return skco_fail(err, errlen, s, SKC_E_INVAL, "integer division by zero or overflow");
            }
            skco_puti(dt, y, i, r);
        }
    } else {
        for (i = 0; i < bc.numel; i++, skco_iter_next(&it))
            skco_put(dt, y, i, math_bin_f(code, skco_get(a, it.off[0]), skco_get(b, it.off[1]),
                                          fmod_mode));
    }
    return SKC_OK;
}

int skco_eval_binary(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                     char *err, size_t errlen)
{
    int code = math_binary_code(math_name(s));

    if (code < 0 || s->n_inputs != 2)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects two inputs");
    return math_binary(s, code, in[0], in[1], out, err, errlen);
}

/* Max, Min, Sum, Mean: a left fold of the binary op (ORT's order), Mean
 * divides once at the end. */
int skco_eval_variadic(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                       char *err, size_t errlen)
{
    const char *name = math_name(s);
    int code = math_binary_code(name), k, rc;
    skc_tensor *acc, *next;

    if (code < 0)
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "no such operator");
    if (s->n_inputs == 1) {
        const skc_tensor *one = in[0];
        int dt = skc_tensor_dtype(one);
        if (!skco_is_num(dt) || dt == SKC_DT_BOOL)
            return skco_fail(err, errlen, s, SKC_E_INVAL, "input of type %s is not supported",
                             skc_dtype_name(dt));
        *out = skc_tensor_ref((skc_tensor *)(uintptr_t)one);
        return SKC_OK;
    }
    if ((rc = math_binary(s, code, in[0], in[1], &acc, err, errlen)))
        return rc;
    for (k = 2; k < s->n_inputs; k++) {
        rc = math_binary(s, code, acc, in[k], &next, err, errlen);
        skc_tensor_free(acc);
        if (rc)
            return rc;
        acc = next;
    }
    if (strcmp(name, "Mean") == 0) {
        int dt = skc_tensor_dtype(acc);
        void *d = skc_tensor_data_mut(acc);
        int64_t i, n = skc_tensor_numel(acc);
        for (i = 0; i < n; i++)
            skco_put(dt, d, i, skco_get(acc, i) / (double)s->n_inputs);
    }
    *out = acc;
    return SKC_OK;
}

/* ---- comparisons and logic (bool results) ----------------------------- */

static int math_strcmp(const skc_tensor *a, int64_t i, const skc_tensor *b, int64_t j)
{
    const char *x = skc_tensor_string(a, i, NULL), *y = skc_tensor_string(b, j, NULL);

    return strcmp(x ? x : "", y ? y : "");
}

int skco_eval_compare(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                      char *err, size_t errlen)
{
    const char *name = math_name(s);
    int dt = skc_tensor_dtype(in[0]), rc, op;
    skco_bcast bc;
    skco_iter it;
    uint8_t *y;
    int64_t i;

    if (s->n_inputs != 2)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects two inputs");
    op = !strcmp(name, "Equal") ? 0 : !strcmp(name, "Greater") ? 1 : !strcmp(name, "Less") ? 2 :
         !strcmp(name, "GreaterOrEqual") ? 3 : !strcmp(name, "LessOrEqual") ? 4 : -1;
    if (op < 0)
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "no such comparison");
    if (dt != skc_tensor_dtype(in[1]) || (dt == SKC_DT_STRING && op != 0) ||
        (!skco_is_num(dt) && dt != SKC_DT_STRING))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "inputs of types %s and %s are not supported",
                         skc_dtype_name(dt), skc_dtype_name(skc_tensor_dtype(in[1])));
    if ((rc = skco_bcast_init(&bc, 2, in, s, err, errlen)) ||
        (rc = skco_new(SKC_DT_BOOL, bc.ndim, bc.shape, out, (void **)&y)))
        return rc;
    skco_iter_init(&it, &bc);
    for (i = 0; i < bc.numel; i++, skco_iter_next(&it)) {
        int r;
        if (dt == SKC_DT_STRING) {
            r = math_strcmp(in[0], it.off[0], in[1], it.off[1]) == 0;
        } else if (skco_is_int(dt)) {
            int64_t a = skco_geti(in[0], it.off[0]), b = skco_geti(in[1], it.off[1]);
            r = op == 0 ? a == b : op == 1 ? a > b : op == 2 ? a < b : op == 3 ? a >= b : a <= b;
        } else {
            double a = skco_get(in[0], it.off[0]), b = skco_get(in[1], it.off[1]);
            r = op == 0 ? a == b : op == 1 ? a > b : op == 2 ? a < b : op == 3 ? a >= b : a <= b;
        }
        y[i] = (uint8_t)r;
    }
    return SKC_OK;
}

int skco_eval_logic(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    const char *name = math_name(s);
    int op = !strcmp(name, "And") ? 0 : !strcmp(name, "Or") ? 1 : !strcmp(name, "Xor") ? 2 : -1;
    skco_bcast bc;
    skco_iter it;
    uint8_t *y;
    int64_t i;
    int rc;

    if (op < 0 || s->n_inputs != 2 || skc_tensor_dtype(in[0]) != SKC_DT_BOOL ||
        skc_tensor_dtype(in[1]) != SKC_DT_BOOL)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects two bool inputs");
    if ((rc = skco_bcast_init(&bc, 2, in, s, err, errlen)) ||
        (rc = skco_new(SKC_DT_BOOL, bc.ndim, bc.shape, out, (void **)&y)))
        return rc;
    skco_iter_init(&it, &bc);
    for (i = 0; i < bc.numel; i++, skco_iter_next(&it)) {
        int a = skco_geti(in[0], it.off[0]) != 0, b = skco_geti(in[1], it.off[1]) != 0;
        y[i] = (uint8_t)(op == 0 ? (a && b) : op == 1 ? (a || b) : (a != b));
    }
    return SKC_OK;
}

int skco_eval_not(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                  char *err, size_t errlen)
{
    int64_t i, n = skc_tensor_numel(in[0]);
    uint8_t *y;
    int rc;

    if (skc_tensor_dtype(in[0]) != SKC_DT_BOOL)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects a bool input");
    if ((rc = skco_new(SKC_DT_BOOL, skc_tensor_ndim(in[0]), skc_tensor_shape(in[0]), out,
                       (void **)&y)))
        return rc;
    for (i = 0; i < n; i++)
        y[i] = skco_geti(in[0], i) == 0;
    return SKC_OK;
}

int skco_eval_isnan(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    int64_t i, n = skc_tensor_numel(in[0]);
    uint8_t *y;
    int rc;

    if (!skco_is_real(skc_tensor_dtype(in[0])))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects a float input");
    if ((rc = skco_new(SKC_DT_BOOL, skc_tensor_ndim(in[0]), skc_tensor_shape(in[0]), out,
                       (void **)&y)))
        return rc;
    for (i = 0; i < n; i++)
        y[i] = (uint8_t)(isnan(skco_get(in[0], i)) != 0);
    return SKC_OK;
}

int skco_eval_isinf(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    int64_t i, n = skc_tensor_numel(in[0]);
    int pos = (int)skco_attr_i(s, "detect_positive", 1), neg = (int)skco_attr_i(s, "detect_negative", 1);
    uint8_t *y;
    int rc;

    if (!skco_is_real(skc_tensor_dtype(in[0])))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects a float input");
    if ((rc = skco_new(SKC_DT_BOOL, skc_tensor_ndim(in[0]), skc_tensor_shape(in[0]), out,
                       (void **)&y)))
        return rc;
    for (i = 0; i < n; i++) {
        double v = skco_get(in[0], i);
        y[i] = (uint8_t)(isinf(v) && ((v > 0 && pos) || (v < 0 && neg)));
    }
    return SKC_OK;
}

int skco_eval_where(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    int dt = skc_tensor_dtype(in[1]), rc = SKC_OK;
    skco_bcast bc;
    skco_iter it;
    int64_t i;
    void *y;

    if (s->n_inputs != 3 || skc_tensor_dtype(in[0]) != SKC_DT_BOOL || dt != skc_tensor_dtype(in[2]))
        return skco_fail(err, errlen, s, SKC_E_INVAL,
                         "expects a bool condition and two inputs of one type");
    if ((rc = skco_bcast_init(&bc, 3, in, s, err, errlen)) ||
        (rc = skco_new(dt, bc.ndim, bc.shape, out, &y)))
        return rc;
    skco_iter_init(&it, &bc);
    for (i = 0; i < bc.numel && rc == SKC_OK; i++, skco_iter_next(&it)) {
        int c = skco_geti(in[0], it.off[0]) != 0;
        rc = skco_copy(*out, y, i, in[c ? 1 : 2], it.off[c ? 1 : 2]);
    }
    if (rc) {
        skc_tensor_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Clip: bounds from inputs 1 and 2 (opset 11+) or attributes min/max
 * (opset 6); NaN passes through. */
int skco_eval_clip(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    const skc_tensor *lo_t = skco_in(s, in, 1), *hi_t = skco_in(s, in, 2);
    int dt = skc_tensor_dtype(in[0]), rc;
    double lo = skco_attr_f(s, "min", -INFINITY), hi = skco_attr_f(s, "max", INFINITY);
    int64_t i, n = skc_tensor_numel(in[0]);
    int64_t ilo = INT64_MIN, ihi = INT64_MAX;
    void *y;

    if (!skco_is_num(dt) || dt == SKC_DT_BOOL)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "input of type %s is not supported",
                         skc_dtype_name(dt));
    if ((lo_t && (skc_tensor_numel(lo_t) != 1 || skc_tensor_dtype(lo_t) != dt)) ||
        (hi_t && (skc_tensor_numel(hi_t) != 1 || skc_tensor_dtype(hi_t) != dt)))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "min and max must be scalars of the input's type");
    if (lo_t) {
        lo = skco_get(lo_t, 0);
        ilo = skco_geti(lo_t, 0);
    }
    if (hi_t) {
        hi = skco_get(hi_t, 0);
        ihi = skco_geti(hi_t, 0);
    }
    if ((rc = skco_new(dt, skc_tensor_ndim(in[0]), skc_tensor_shape(in[0]), out, &y)))
        return rc;
    for (i = 0; i < n; i++) {
        if (skco_is_int(dt)) {
            int64_t v = skco_geti(in[0], i);
            v = v < ilo ? ilo : v;
            skco_puti(dt, y, i, v > ihi ? ihi : v);
        } else {
            double v = skco_get(in[0], i);
            if (!isnan(v)) {
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
            }
            skco_put(dt, y, i, v);
        }
    }
    return SKC_OK;
}

/* ---- Cast ------------------------------------------------------------- */

/* onnx.proto TensorProto.DataType values the evaluator holds. */
static int math_dtype_of_onnx(int64_t e)
{
    switch (e) {
    case 1:  return SKC_DT_F32;
    case 2:  return SKC_DT_U8;
    case 6:  return SKC_DT_I32;
    case 7:  return SKC_DT_I64;
    case 8:  return SKC_DT_STRING;
    case 9:  return SKC_DT_BOOL;
    case 11: return SKC_DT_F64;
    case 12: return SKC_DT_U32;
    default: return SKC_DT_NONE;
    }
}

/* ORT's Cast to string: %.8g for float, %.17g for double, NaN/INF/-INF. */
static int math_to_string(const skc_tensor *x, int64_t i, char *buf, size_t n)
{
    int dt = skc_tensor_dtype(x);

    if (skco_is_real(dt)) {
        double v = skco_get(x, i);
        if (isnan(v))
            return snprintf(buf, n, "NaN");
        if (isinf(v))
            return snprintf(buf, n, v < 0 ? "-INF" : "INF");
        return snprintf(buf, n, dt == SKC_DT_F32 ? "%.8g" : "%.17g", v);
    }
    return snprintf(buf, n, "%lld", (long long)skco_geti(x, i));
}

static int math_from_string(const char *str, int to, double *dv, int64_t *iv)
{
    char *end;

    errno = 0;
    if (skco_is_real(to)) {
        /* strtod reads "NaN", "INF", "-inf" too, as ORT's std::stod does. */
        *dv = to == SKC_DT_F32 ? (double)strtof(str, &end) : strtod(str, &end);
    } else {
        *iv = strtoll(str, &end, 10);
        *dv = (double)*iv;
    }
    return end == str ? -1 : 0;
}

static int math_cast(const skc_step *s, const skc_tensor *x, int to, skc_tensor **out,
                     char *err, size_t errlen)
{
    int from = skc_tensor_dtype(x), rc = SKC_OK;
    int64_t i, n = skc_tensor_numel(x);
    void *y;

    if (from == to) {
        *out = skc_tensor_ref((skc_tensor *)(uintptr_t)x);
        return SKC_OK;
    }
    if ((rc = skco_new(to, skc_tensor_ndim(x), skc_tensor_shape(x), out, &y)))
        return rc;
    for (i = 0; i < n && rc == SKC_OK; i++) {
        if (to == SKC_DT_STRING) {
            char buf[64];
            int len = math_to_string(x, i, buf, sizeof(buf));
            rc = skc_tensor_set_string(*out, i, buf, (size_t)len);
        } else if (from == SKC_DT_STRING) {
            const char *str = skc_tensor_string(x, i, NULL);
            double dv;
            int64_t iv = 0;
            if (math_from_string(str ? str : "", to, &dv, &iv)) {
                rc = skco_fail(err, errlen, s, SKC_E_INVAL, "cannot cast '%.40s' to %s",
                               str ? str : "", skc_dtype_name(to));
            } else if (skco_is_real(to)) {
                skco_put(to, y, i, dv);
            } else {
                skco_puti(to, y, i, iv);
            }
        } else if (skco_is_real(from)) {
            skco_put(to, y, i, skco_get(x, i));
        } else {
            skco_puti(to, y, i, skco_geti(x, i));
        }
    }
    if (rc) {
        skc_tensor_free(*out);
        *out = NULL;
    }
    return rc;
}

int skco_eval_cast(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                   char *err, size_t errlen)
{
    int64_t to = skco_attr_i(s, "to", 0);
    int dt = math_dtype_of_onnx(to);

    if (dt == SKC_DT_NONE)
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "cast to ONNX type %lld is not supported",
                         (long long)to);
    return math_cast(s, in[0], dt, out, err, errlen);
}

int skco_eval_castlike(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                       char *err, size_t errlen)
{
    if (s->n_inputs != 2)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "expects two inputs");
    return math_cast(s, in[0], skc_tensor_dtype(in[1]), out, err, errlen);
}
