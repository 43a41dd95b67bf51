/* SPDX-License-Identifier: MIT */
/* onnx_read_external.c: tensors in ONNX external data (onnx docs/ExternalData.md): a side file beside the model, mapped, every location, offset and length checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_read.h"

/* "location" names a file in the model's own directory: a plain name, so
 * a model cannot make us read /etc/passwd or ../../secret. */
static int onnx_ext_plain(const char *v)
{
    size_t n = strlen(v);

    return n > 0 && n <= 255 && !strchr(v, '/') && !strchr(v, '\\') &&
           strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
}

/* A decimal number, nothing else (no sign, no spaces, no overflow). */
static int onnx_ext_number(const char *v, uint64_t *out)
{
    uint64_t x = 0;

    if (!*v)
        return 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || x > (UINT64_MAX - 9) / 10)
            return 0;
        x = x * 10 + (uint64_t)(*v - '0');
    }
    *out = x;
    return 1;
}

/* Open (or keep) the side file @p location, mapped. */
static int onnx_ext_open(onnx_reader *r, const char *location, const char *what)
{
    char why[512];
    int rc;

    if (r->ext && strcmp(r->ext_name, location) == 0)
        return SKC_OK;
    onnx_read_external_end(r);
    if (!(r->ext_name = malloc(strlen(location) + 1)))
        return SKC_E_NOMEM;
    strcpy(r->ext_name, location);
    if ((rc = skc_session_open_companion(r->s, location, &r->ext))) {
        snprintf(why, sizeof(why), "%s", skc_session_error(r->s));
        r->ext = NULL;
        return onnx_rfail(r, rc == SKC_E_UNSAFE ? rc : SKC_E_NOT_FOUND,
                          "%s: its external data file '%s' cannot be opened: %s", what,
                          location, why);
    }
    if ((rc = skc_stream_map(r->ext, &r->ext_data, &r->ext_size))) {
        skc_stream_free(r->ext);
        r->ext = NULL;
        return onnx_rfail(r, rc, "%s: its external data file '%s' cannot be read", what,
                          location);
    }
    return SKC_OK;
}

int onnx_read_external(onnx_reader *r, const Onnx__TensorProto *tp, const char *what,
                       uint64_t want, const uint8_t **bytes)
{
    const char *location = NULL;
    uint64_t offset = 0, length = 0;
    int has_offset = 0, has_length = 0, rc;
    size_t i;

    if (!tp->has_data_location ||
        tp->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL || !tp->n_external_data)
        return onnx_rfail(r, SKC_E_FORMAT, "%s: external_data and data_location disagree",
                          what);
    if (tp->has_raw_data || tp->n_float_data || tp->n_double_data || tp->n_int64_data ||
        tp->n_int32_data || tp->n_uint64_data || tp->n_string_data)
        return onnx_rfail(r, SKC_E_FORMAT, "%s: the tensor is in external data and holds "
                          "values as well", what);
    for (i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        const char *k = e->key ? e->key : "", *v = e->value ? e->value : "";
        int dup = 0;
        if (strcmp(k, "location") == 0) {
            dup = location != NULL;
            location = v;
        } else if (strcmp(k, "offset") == 0) {
            dup = has_offset;
            has_offset = onnx_ext_number(v, &offset);
            if (!has_offset)
                return onnx_rfail(r, SKC_E_FORMAT, "%s: external data offset '%.40s' is not "
                                  "a number (or too large)", what, v);
        } else if (strcmp(k, "length") == 0) {
            dup = has_length;
            has_length = onnx_ext_number(v, &length);
            if (!has_length)
                return onnx_rfail(r, SKC_E_FORMAT, "%s: external data length '%.40s' is not "
                                  "a number (or too large)", what, v);
        } else if (strcmp(k, "checksum") != 0) {
            /* checksum (a SHA-1, optional) is not checked: offset and
             * length bound every read already. */
            return onnx_rfail(r, SKC_E_UNSUPPORTED, "%s: external data key '%.40s' is not "
                              "supported", what, k);
        }
        if (dup)
            return onnx_rfail(r, SKC_E_FORMAT, "%s: external data key '%s' is given twice",
                              what, k);
    }
    if (!location)
        return onnx_rfail(r, SKC_E_FORMAT, "%s: external data without a location", what);
    if (!onnx_ext_plain(location))
        return onnx_rfail(r, SKC_E_UNSAFE, "%s: external data location '%.200s' is not a "
                          "plain file name beside the model", what, location);
    if ((rc = onnx_ext_open(r, location, what)))
        return rc;
    if (offset > r->ext_size)
        return onnx_rfail(r, SKC_E_FORMAT, "%s: external data offset %llu is past the end of "
                          "'%s' (%zu bytes)", what, (unsigned long long)offset, location,
                          r->ext_size);
    if (!has_length)
        length = r->ext_size - offset;
    if (length > r->ext_size - offset)
        return onnx_rfail(r, SKC_E_FORMAT, "%s: external data [%llu, +%llu) runs past the "
                          "end of '%s' (%zu bytes; truncated?)", what,
                          (unsigned long long)offset, (unsigned long long)length, location,
                          r->ext_size);
    if (length != want)
        return onnx_rfail(r, SKC_E_FORMAT, "%s: external data holds %llu bytes, the shape "
                          "needs %llu", what, (unsigned long long)length,
                          (unsigned long long)want);
    *bytes = r->ext_data + offset;
    return SKC_OK;
}

void onnx_read_external_drop(onnx_reader *r, const uint8_t *bytes, size_t n)
{
    if (r->ext)
        skc_stream_drop(r->ext, bytes, n);
}

void onnx_read_external_end(onnx_reader *r)
{
    skc_stream_free(r->ext);
    r->ext = NULL;
    free(r->ext_name);
    r->ext_name = NULL;
    r->ext_data = NULL;
    r->ext_size = 0;
}
