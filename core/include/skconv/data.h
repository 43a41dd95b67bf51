/* SPDX-License-Identifier: MIT */
/* data.h: reading input rows (CSV, .npy) for predict and verification. */
#ifndef SKCONV_DATA_H
#define SKCONV_DATA_H

#include <skconv/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Read rows from @p path: a NumPy .npy file (recognised by its magic;
 * 1-D or 2-D, C or Fortran order, float/int/bool of either byte order) or
 * a CSV file (comma, semicolon or tab separated; a first row that is not
 * numeric is a header; empty, "NA", "N/A", "nan" and "NaN" cells are NaN).
 * @p rows receives a float64 [N, F] tensor; @p columns the header names
 * as a string tensor [F], or NULL when there is no header.
 * @return 0, SKC_E_NOT_FOUND, SKC_E_IO, SKC_E_FORMAT (with the line and
 * column in @p err), SKC_E_NOMEM.
 */
SKC_API int skc_data_read(const char *path, skc_tensor **rows, skc_tensor **columns,
                          char *err, size_t errlen);

/**
 * Reorder @p rows so its columns follow the model input's column names:
 * each of @p model_columns is looked up in @p columns. Unknown names are
 * SKC_E_INVAL naming the first missing column. Caller frees *out.
 */
SKC_API int skc_data_select_columns(const skc_tensor *rows, const skc_tensor *columns,
                                    const skc_tensor *model_columns, skc_tensor **out,
                                    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
