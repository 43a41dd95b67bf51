/* SPDX-License-Identifier: MIT */
/* data.c: CSV and .npy row readers for predict and verification. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <skconv/data.h>
#include "core.h"

/* ---- .npy (format 1.0/2.0/3.0: magic, version, header length, dict) ---- */

static const char *data_dict_value(const char *hdr, const char *key)
{
    const char *p = strstr(hdr, key);

    if (!p)
        return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == '\'' || *p == '"' || *p == ':')
        p++;
    return p;
}

static int data_read_npy(const uint8_t *d, size_t size, const char *path,
                         skc_tensor **rows, char *err, size_t errlen)
{
    size_t hlen, off, es, i, n;
    char hdr[4096];
    const char *descr, *fo, *shp;
    char kind, order;
    int fortran, ndim = 0, rc;
    int64_t shape[2] = { 0, 1 };
    double *out;

    if (size < 10 || d[6] < 1 || d[6] > 3)
        goto bad;
    if (d[6] == 1) {
        hlen = (size_t)d[8] | ((size_t)d[9] << 8);
        off = 10;
    } else {
        if (size < 12)
            goto bad;
        hlen = (size_t)d[8] | ((size_t)d[9] << 8) | ((size_t)d[10] << 16) | ((size_t)d[11] << 24);
        off = 12;
    }
    if (hlen >= sizeof(hdr) || hlen > size - off)
        goto bad;
    memcpy(hdr, d + off, hlen);
    hdr[hlen] = '\0';
    off += hlen;
    descr = data_dict_value(hdr, "descr");
    fo = data_dict_value(hdr, "fortran_order");
    shp = data_dict_value(hdr, "shape");
    if (!descr || !fo || !shp || strlen(descr) < 3)
        goto bad;
    order = descr[0];
    kind = descr[1];
    es = (size_t)strtoul(descr + 2, NULL, 10);
    fortran = strncmp(fo, "True", 4) == 0;
    if (*shp != '(')
        goto bad;
    shp++;
    while (*shp && *shp != ')' && ndim < 3) {
        char *end;
        long long v;
        while (*shp == ' ' || *shp == ',')
            shp++;
        if (*shp == ')')
            break;
        errno = 0;
        v = strtoll(shp, &end, 10);
        if (end == shp || v < 0 || errno)
            goto bad;
        if (ndim < 2)
            shape[ndim] = v;
        ndim++;
        shp = end;
    }
    if (ndim < 1 || ndim > 2) {
        skci_errf(err, errlen, "%s: .npy array has %d dimensions; rows need 1 or 2", path, ndim);
        return SKC_E_FORMAT;
    }
    if (ndim == 1) {
        /* A 1-D array is read as one column (sklearn rejects 1-D X). */
        shape[1] = 1;
    }
    if (!((kind == 'f' && (es == 4 || es == 8)) || ((kind == 'i' || kind == 'u') &&
          (es == 1 || es == 2 || es == 4 || es == 8)) || (kind == 'b' && es == 1))) {
        skci_errf(err, errlen, "%s: .npy dtype '%s' is not a numeric type skconv reads",
                  path, descr);
        return SKC_E_FORMAT;
    }
    if (shape[1] && (uint64_t)shape[0] > SIZE_MAX / (uint64_t)shape[1] / es)
        goto bad;
    n = (size_t)shape[0] * (size_t)shape[1];
    if (n * es > size - off) {
        skci_errf(err, errlen, "%s: .npy data is truncated (%zu of %zu bytes)", path,
                  size - off, n * es);
        return SKC_E_FORMAT;
    }
    rc = skc_tensor_new(SKC_DT_F64, 2, shape, rows);
    if (rc)
        return rc;
    out = skc_tensor_data_mut(*rows);
    for (i = 0; i < n; i++) {
        uint8_t b[8];
        size_t k, src = i;
        double v = 0.0;
        if (fortran && shape[0] && shape[1]) {
            size_t r = i / (size_t)shape[1], c = i % (size_t)shape[1];
            src = c * (size_t)shape[0] + r;
        }
        for (k = 0; k < es; k++)
            b[k] = d[off + src * es + (order == '>' ? es - 1 - k : k)];
        if (kind == 'f' && es == 8) { double x; memcpy(&x, b, 8); v = x; }
        else if (kind == 'f') { float x; memcpy(&x, b, 4); v = x; }
        else if (kind == 'b' || kind == 'u') {
            uint64_t x = 0;
            for (k = 0; k < es; k++) x |= (uint64_t)b[k] << (8 * k);
            v = (double)x;
        } else {
            uint64_t x = 0;
            for (k = 0; k < es; k++) x |= (uint64_t)b[k] << (8 * k);
            if (es < 8 && (x >> (8 * es - 1)))
                x |= ~UINT64_C(0) << (8 * es);
            v = (double)(int64_t)x;
        }
        out[i] = v;
    }
    return SKC_OK;
bad:
    skci_errf(err, errlen, "%s: not a valid .npy file", path);
    return SKC_E_FORMAT;
}

/* ---- CSV ---------------------------------------------------------------- */

static int data_is_na(const char *s, size_t n)
{
    static const char *const na[] = { "", "NA", "N/A", "nan", "NaN", "NAN", "null", "None" };
    size_t i;

    for (i = 0; i < sizeof(na) / sizeof(na[0]); i++)
        if (strlen(na[i]) == n && strncmp(s, na[i], n) == 0)
            return 1;
    return 0;
}

/* Parse one cell as a number; 1 on success (NaN for NA cells). */
static int data_cell_num(const char *s, size_t n, double *v)
{
    char buf[128], *end;

    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') { s++; n -= 2; }
    if (data_is_na(s, n)) {
        *v = NAN;
        return 1;
    }
    if (n >= sizeof(buf))
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    *v = strtod(buf, &end);
    return end != buf && *end == '\0';
}

static char data_sep(const char *line, size_t n)
{
    size_t i, c = 0, sc = 0, t = 0;

    for (i = 0; i < n; i++) {
        if (line[i] == ',') c++;
        else if (line[i] == ';') sc++;
        else if (line[i] == '\t') t++;
    }
    return t > c && t > sc ? '\t' : sc > c ? ';' : ',';
}

/* Split a line into cells (quotes may hold separators); returns the count. */
static size_t data_split(const char *line, size_t n, char sep, const char **cells,
                         size_t *lens, size_t max)
{
    size_t i = 0, k = 0, start = 0;
    int q = 0;

    for (i = 0; i <= n; i++) {
        if (i < n && line[i] == '"')
            q = !q;
        if (i == n || (line[i] == sep && !q)) {
            if (k < max) {
                cells[k] = line + start;
                lens[k] = i - start;
            }
            k++;
            start = i + 1;
        }
    }
    return k;
}

static int data_read_csv(const uint8_t *d, size_t size, const char *path,
                         skc_tensor **rows, skc_tensor **columns, char *err, size_t errlen)
{
    const char *p = (const char *)d, *end = p + size, *line, *nl;
    const char **cells = NULL;
    size_t *lens = NULL, ncol = 0, nrow = 0, cap = 0, k, lineno = 0, len, nc;
    double *vals = NULL, *nv, v;
    skc_tensor *hdr = NULL;
    int64_t shape[2];
    int rc = SKC_OK, first = 1;
    char sep = ',';

    while (p < end) {
        line = p;
        nl = memchr(p, '\n', (size_t)(end - p));
        len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        p = nl ? nl + 1 : end;
        lineno++;
        if (len && line[len - 1] == '\r')
            len--;
        if (len == 0)
            continue;
        if (first) {
            sep = data_sep(line, len);
            ncol = data_split(line, len, sep, NULL, NULL, 0);
            cells = calloc(ncol, sizeof(*cells));
            lens = calloc(ncol, sizeof(*lens));
            if (!cells || !lens) {
                rc = SKC_E_NOMEM;
                goto done;
            }
        }
        nc = data_split(line, len, sep, cells, lens, ncol);
        if (nc != ncol) {
            skci_errf(err, errlen, "%s: line %zu has %zu cells, the first line %zu",
                      path, lineno, nc, ncol);
            rc = SKC_E_FORMAT;
            goto done;
        }
        if (first) {
            int numeric = 1;
            first = 0;
            for (k = 0; k < ncol && numeric; k++)
                if (!data_cell_num(cells[k], lens[k], &v) || data_is_na(cells[k], lens[k]))
                    numeric = 0;
            if (!numeric) {
                int64_t n = (int64_t)ncol;
                if ((rc = skc_tensor_new(SKC_DT_STRING, 1, &n, &hdr)))
                    goto done;
                for (k = 0; k < ncol; k++) {
                    const char *c = cells[k];
                    size_t l = lens[k];
                    while (l && isspace((unsigned char)*c)) { c++; l--; }
                    while (l && isspace((unsigned char)c[l - 1])) l--;
                    if (l >= 2 && c[0] == '"' && c[l - 1] == '"') { c++; l -= 2; }
                    if ((rc = skc_tensor_set_string(hdr, (int64_t)k, c, l)))
                        goto done;
                }
                continue;
            }
        }
        if ((nrow + 1) * ncol > cap) {
            size_t ncap = cap ? cap * 2 : ncol * 64;
            nv = realloc(vals, ncap * sizeof(double));
            if (!nv) {
                rc = SKC_E_NOMEM;
                goto done;
            }
            vals = nv;
            cap = ncap;
        }
        for (k = 0; k < ncol; k++) {
            if (!data_cell_num(cells[k], lens[k], &vals[nrow * ncol + k])) {
                skci_errf(err, errlen, "%s: line %zu, column %zu: '%.*s' is not a number",
                          path, lineno, k + 1, (int)(lens[k] > 40 ? 40 : lens[k]), cells[k]);
                rc = SKC_E_FORMAT;
                goto done;
            }
        }
        nrow++;
    }
    if (ncol == 0) {
        skci_errf(err, errlen, "%s: no rows", path);
        rc = SKC_E_FORMAT;
        goto done;
    }
    shape[0] = (int64_t)nrow;
    shape[1] = (int64_t)ncol;
    if ((rc = skc_tensor_new(SKC_DT_F64, 2, shape, rows)))
        goto done;
    if (nrow)
        memcpy(skc_tensor_data_mut(*rows), vals, nrow * ncol * sizeof(double));
    *columns = hdr;
    hdr = NULL;
done:
    skc_tensor_free(hdr);
    free(vals);
    free(cells);
    free(lens);
    return rc;
}

int skc_data_read(const char *path, skc_tensor **rows, skc_tensor **columns,
                  char *err, size_t errlen)
{
    skc_stream *s;
    const uint8_t *d;
    size_t size;
    int rc;

    if (!path || !rows || !columns)
        return SKC_E_INVAL;
    *columns = NULL;
    rc = skc_stream_open_read(path, &s, err, errlen);
    if (rc)
        return rc;
    rc = skc_stream_map(s, &d, &size);
    if (rc == SKC_OK) {
        if (size >= 6 && memcmp(d, "\x93NUMPY", 6) == 0)
            rc = data_read_npy(d, size, path, rows, err, errlen);
        else
            rc = data_read_csv(d, size, path, rows, columns, err, errlen);
    }
    skc_stream_free(s);
    return rc;
}

int skc_data_select_columns(const skc_tensor *rows, const skc_tensor *columns,
                            const skc_tensor *model_columns, skc_tensor **out,
                            char *err, size_t errlen)
{
    int64_t n, f, m, r, j, k, *map, shape[2];
    const double *src;
    double *dst;
    int rc;

    if (!rows || !columns || !model_columns || !out)
        return SKC_E_INVAL;
    n = skc_tensor_shape(rows)[0];
    f = skc_tensor_shape(rows)[1];
    m = skc_tensor_numel(model_columns);
    map = malloc((size_t)(m ? m : 1) * sizeof(*map));
    if (!map)
        return SKC_E_NOMEM;
    for (j = 0; j < m; j++) {
        const char *want = skc_tensor_string(model_columns, j, NULL);
        map[j] = -1;
        for (k = 0; k < f && k < skc_tensor_numel(columns); k++)
            if (strcmp(skc_tensor_string(columns, k, NULL), want) == 0)
                map[j] = k;
        if (map[j] < 0) {
            skci_errf(err, errlen, "the data has no column '%s' that the model needs", want);
            free(map);
            return SKC_E_INVAL;
        }
    }
    shape[0] = n;
    shape[1] = m;
    rc = skc_tensor_new(SKC_DT_F64, 2, shape, out);
    if (rc) {
        free(map);
        return rc;
    }
    src = skc_tensor_data(rows);
    dst = skc_tensor_data_mut(*out);
    for (r = 0; r < n; r++)
        for (j = 0; j < m; j++)
            dst[r * m + j] = src[r * f + map[j]];
    free(map);
    return SKC_OK;
}
