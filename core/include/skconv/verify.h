/* SPDX-License-Identifier: MIT */
/* verify.h: compare two models on the same rows: probe-row synthesis and tolerances. */
#ifndef SKCONV_VERIFY_H
#define SKCONV_VERIFY_H

#include <skconv/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Tolerances: a value passes when |a - b| <= atol + rtol * |a|, with a
 * the reference (first model). Labels must be identical.
 * Defaults: float32 targets rtol = atol = 1e-5; float64 targets 1e-9.
 */
typedef struct skc_verify_opts {
    uint32_t struct_size;
    uint32_t reserved0;
    double   rtol;
    double   atol;
    int64_t  n_rows;     /* synthesised probe rows when no data is given */
    uint64_t seed;       /* for the synthesised rows                      */
    /* ---- end of ABI 1 ---- */
} skc_verify_opts;

/** Defaults for a float32 (@p float64_target 0) or float64 target. */
SKC_API void skc_verify_opts_default(skc_verify_opts *o, int float64_target);

/**
 * 1 when @p m computes in float32, so that comparisons with it take the
 * float32 tolerances: it declares a float32 input, or it takes a string X
 * (core/OPS.md "String inputs") and gives float32 outputs.
 */
SKC_API int skc_verify_float32(const skc_model *m);

/**
 * Probe rows [n_rows, F] (float64 holding float32-representable values)
 * synthesised from the model: ranges each scaler saw, both float32
 * neighbours of every tree threshold, categories, NaN where the model
 * accepts missing values, and seeded random rows. For a model that takes
 * a string X, a string tensor: every category an encoder knows, a string
 * none has where unknown values are accepted, "" where an imputer fills
 * it, and the numeric columns as text. Caller frees.
 */
SKC_API int skc_model_probe_rows(const skc_model *m, int64_t n_rows, uint64_t seed,
                                 skc_tensor **out, char *err, size_t errlen);

typedef struct skc_verify_report skc_verify_report;

/**
 * Evaluate @p ref and @p cand on @p X (rows; NULL: synthesised from @p ref)
 * and compare every output of @p ref with the output of the same name in
 * @p cand. When either model takes float32 input, X is rounded to float32
 * for both. Returns 0 with a report (passed or not), or an error when the
 * models cannot be compared (different inputs, missing outputs).
 */
SKC_API int skc_verify_models(const skc_model *ref, const skc_model *cand,
                              const skc_tensor *X, const skc_verify_opts *o,
                              skc_verify_report **out, char *err, size_t errlen);

/**
 * skc_verify_models() in two halves, so that the reference can run while
 * the caller does something else (reads the converted model back, say).
 * skc_verify_start() makes the probe rows (when @p X is NULL; @p o gives
 * n_rows and seed, NULL the defaults) and evaluates @p ref on them on a
 * thread of its own; @p ref and @p X must stay alive and unchanged until
 * the job is finished or freed. skc_verify_finish() evaluates @p cand on
 * the same rows and compares, as skc_verify_models() does (@p o: the
 * tolerances, NULL: @p cand's defaults); it frees @p job whatever it
 * returns. When the candidate takes float32 input and the reference does
 * not, the reference is evaluated again on the rounded rows unless that
 * cannot change its outputs (its input goes only to trees that round it
 * themselves). Added within ABI 1 (skconv 0.3).
 */
typedef struct skc_verify_job skc_verify_job;
SKC_API int skc_verify_start(const skc_model *ref, const skc_tensor *X,
                             const skc_verify_opts *o, skc_verify_job **job,
                             char *err, size_t errlen);
SKC_API int skc_verify_finish(skc_verify_job *job, const skc_model *cand,
                              const skc_verify_opts *o, skc_verify_report **out,
                              char *err, size_t errlen);
/**
 * Let go of a started job's reference model before finishing it: waits for
 * its evaluation (and makes its outputs on the rounded rows as well, when
 * a float32 candidate could want them), after which @p ref may be freed.
 * Returns the reference's evaluation error, if it had one. Added within
 * ABI 1 (skconv 0.4).
 */
SKC_API int skc_verify_release(skc_verify_job *job, char *err, size_t errlen);
/** Drop a started job without finishing it (waits for its thread); NULL is fine. */
SKC_API void skc_verify_job_free(skc_verify_job *job);

SKC_API int         skc_verify_passed(const skc_verify_report *r);
SKC_API int64_t     skc_verify_rows(const skc_verify_report *r);
/** One line: "12 rows; label identical; probabilities max abs 1e-8 rel 3e-7 (tol ...)". */
SKC_API const char *skc_verify_summary(const skc_verify_report *r);
SKC_API int         skc_verify_output_count(const skc_verify_report *r);
/** Per output: name, largest absolute and relative difference, rows whose
 *  labels differ (labels only), first differing row (-1 none). */
SKC_API int skc_verify_output(const skc_verify_report *r, int i, const char **name,
                              double *max_abs, double *max_rel, int64_t *mismatches,
                              int64_t *first_bad_row);
SKC_API void skc_verify_report_free(skc_verify_report *r);

#ifdef __cplusplus
}
#endif
#endif
