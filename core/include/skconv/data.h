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

/**
 * Read rows for a model whose input is a string X (core/OPS.md "String
 * inputs": string columns beside numeric ones) from the CSV file @p path.
 * The first line is a header; when the model names its input columns,
 * they are matched by name (order and extra columns do not matter), else
 * by position. String columns keep their text; numeric columns must hold
 * numbers, stored as text the model reads back exactly. Empty, "NA",
 * "N/A", "nan", "NaN", "null" and "None" cells are missing: "" in a string
 * column, "nan" in a numeric one. Columns whose use the model does not
 * tell (an ONNX graph read back) are taken as written. @p rows receives a
 * string tensor [N, F].
 * @return 0, SKC_E_NOT_FOUND, SKC_E_IO, SKC_E_INVAL (a column the model
 * needs is absent, or the model does not take strings), SKC_E_FORMAT (a
 * cell that is not a number in a numeric column: @p err names the file,
 * line, row and column), SKC_E_NOMEM.
 */
SKC_API int skc_data_read_strings(const skc_model *m, const char *path, skc_tensor **rows,
                                  char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
