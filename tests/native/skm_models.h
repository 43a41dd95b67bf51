/* SPDX-License-Identifier: MIT */
/* skm_models.h: IR models, comparisons and file surgery shared by the .skm tests. */
#ifndef SKCONV_TEST_SKM_MODELS_H
#define SKCONV_TEST_SKM_MODELS_H

#include <stdint.h>
#include <stdio.h>
#include <skconv/plugin.h>

/* Models built with the ir.h API, every attribute kind and dtype among
 * them. Index 0.. until it returns SKC_E_NOT_FOUND. */
int skmt_model(int index, const char **name, skc_model **out);
/* Rows to evaluate model @p index on: one tensor per model input. */
int skmt_rows(const skc_model *m, skc_tensor **inputs);

/* 0 if @p b is @p a read back: every field equal, tensors bit for bit,
 * meta equal except the skconv.* pairs a write adds. Else the first
 * difference in @p why. */
int skmt_diff(const skc_model *a, const skc_model *b, char *why, size_t n);
/* 0 if evaluating both on the same rows gives identical outputs. */
int skmt_eval_diff(const skc_model *a, const skc_model *b, char *why, size_t n);

/* The whole model as JSON, exactly (floats as their bit patterns), for
 * comparison with formats/native/skm_read.py. */
int skmt_dump_json(const skc_model *m, FILE *f);

/* A context with only the native plugin, and its format. */
int skmt_open(skc_context **ctx, const skc_format **fmt);
/* cmocka group setup and teardown: skmt_open() into these two. */
extern skc_context *skmt_ctx;
extern const skc_format *skmt_fmt;
int skmt_setup(void **state);
int skmt_teardown(void **state);
/* Write @p m to a malloc'd buffer. */
int skmt_write(skc_context *ctx, const skc_format *fmt, const skc_model *m,
               uint8_t **buf, size_t *size);
/* Read @p size bytes (copied to an exact-size block, so ASan sees any
 * read past the end); @p err gets the session's message. */
int skmt_read(skc_context *ctx, const skc_format *fmt, const uint8_t *buf, size_t size,
              skc_model **out, char *err, size_t errlen);

/* File surgery: section table entry @p kind ("GRPH"...) or -1. */
int  skmt_find(const uint8_t *buf, size_t size, const char *kind,
               uint64_t *off, uint64_t *len);
/* Recompute every section CRC, the table CRC and the header CRC. */
void skmt_reseal(uint8_t *buf, size_t size);

uint32_t skmt_le32(const uint8_t *p);
uint64_t skmt_le64(const uint8_t *p);
void     skmt_put32(uint8_t *p, uint32_t v);
void     skmt_put64(uint8_t *p, uint64_t v);

#endif
