/* SPDX-License-Identifier: MIT */
/* onnx_wire.h: protobuf varints, for the bytes the ONNX plugin writes itself (packed tree lists, appended metadata). */
#ifndef SKCONV_ONNX_WIRE_H
#define SKCONV_ONNX_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of @p v as a varint (1 to 10). */
static inline size_t onnx_varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Write @p v as a varint at @p q; returns the byte after it. */
static inline uint8_t *onnx_put_varint(uint8_t *q, uint64_t v)
{
    while (v >= 0x80) {
        *q++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *q++ = (uint8_t)v;
    return q;
}

#endif
