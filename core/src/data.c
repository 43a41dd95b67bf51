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
#include "ops.h"

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

/* The line at *p (without its "\r\n" or "\n"), or NULL at @p end. */
static const char *data_next_line(const char **p, const char *end, size_t *len)
{
    const char *line = *p, *nl;

    if (line >= end)
        return NULL;
    nl = memchr(line, '\n', (size_t)(end - line));
    *len = nl ? (size_t)(nl - line) : (size_t)(end - line);
    *p = nl ? nl + 1 : end;
    if (*len && line[*len - 1] == '\r')
        (*len)--;
    return line;
}

static int data_read_csv(const uint8_t *d, size_t size, const char *path,
                         skc_tensor **rows, skc_tensor **columns, char *err, size_t errlen)
{
    const char *p = (const char *)d, *end = p + size, *line;
    const char **cells = NULL;
    size_t *lens = NULL, ncol = 0, nrow = 0, cap = 0, k, lineno = 0, len, nc;
    double *vals = NULL, *nv, v;
    skc_tensor *hdr = NULL;
    int64_t shape[2];
    int rc = SKC_OK, first = 1;
    char sep = ',';

    while ((line = data_next_line(&p, end, &len))) {
        lineno++;
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

/* ---- CSV of a string X ---------------------------------------------------- */

/* One cell without its blanks and surrounding quotes; "" inside quotes is
 * one quote. The result is malloc'd. */
static char *data_cell_text(const char *c, size_t l)
{
    char *t;
    size_t i, k = 0;
    int quoted;

    while (l && isspace((unsigned char)*c)) { c++; l--; }
    while (l && isspace((unsigned char)c[l - 1])) l--;
    quoted = l >= 2 && c[0] == '"' && c[l - 1] == '"';
    if (quoted) { c++; l -= 2; }
    if (!(t = malloc(l + 1)))
        return NULL;
    for (i = 0; i < l; i++) {
        t[k++] = c[i];
        if (quoted && c[i] == '"' && i + 1 < l && c[i + 1] == '"')
            i++;
    }
    t[k] = '\0';
    return t;
}

typedef struct data_text {
    const char *path;
    const skc_model *m;
    int64_t f;                  /* model columns */
    int64_t *map;               /* model column -> CSV column */
    uint8_t *is_str;            /* 1: strings, 0: numbers, 2: as written */
    char **hdr;                 /* CSV header cells */
    size_t ncol;
} data_text;

static int data_text_header(data_text *t, const char **cells, const size_t *lens,
                            char *err, size_t errlen)
{
    const skc_tensor *mc = skc_model_input_columns(t->m, 0);
    int64_t j;
    size_t k;

    for (k = 0; k < t->ncol; k++)
        if (!(t->hdr[k] = data_cell_text(cells[k], lens[k])))
            return SKC_E_NOMEM;
    for (j = 0; j < t->f; j++) {
        const char *want = mc ? skc_tensor_string(mc, j, NULL) : NULL;
        t->map[j] = -1;
        if (!mc) {
            if ((size_t)j < t->ncol)
                t->map[j] = j;
        } else {
            for (k = 0; k < t->ncol && t->map[j] < 0; k++)
                if (strcmp(t->hdr[k], want ? want : "") == 0)
                    t->map[j] = (int64_t)k;
        }
        if (t->map[j] < 0) {
            if (mc)
                skci_errf(err, errlen, "%s: the data has no column '%s' that the model needs",
                          t->path, want ? want : "");
            else
                skci_errf(err, errlen, "%s: %zu columns, but the model takes %lld", t->path,
                          t->ncol, (long long)t->f);
            return SKC_E_INVAL;
        }
    }
    return SKC_OK;
}

/* Row @p row (0-based, at line @p lineno) into elements row*f.. of @p x. */
static int data_text_row(const data_text *t, const char **cells, const size_t *lens,
                         size_t lineno, int64_t row, skc_tensor *x, char *err, size_t errlen)
{
    int64_t j;
    int rc = SKC_OK;

    for (j = 0; j < t->f && rc == SKC_OK; j++) {
        size_t k = (size_t)t->map[j];
        char *cell = data_cell_text(cells[k], lens[k]), buf[40];
        size_t n;
        double v;
        if (!cell)
            return SKC_E_NOMEM;
        n = strlen(cell);
        if (t->is_str[j] == 2) {
            /* The model does not say (an ONNX graph): as written. */
            rc = skc_tensor_set_string(x, row * t->f + j, cell, n);
        } else if (t->is_str[j]) {
            rc = data_is_na(cell, n) ? skc_tensor_set_string(x, row * t->f + j, "", 0)
                                     : skc_tensor_set_string(x, row * t->f + j, cell, n);
        } else if (data_is_na(cell, n)) {
            rc = skc_tensor_set_string(x, row * t->f + j, "nan", 3);
        } else if (skci_parse_f64(cell, n, &v)) {
            skci_errf(err, errlen, "%s: line %zu (row %lld), column '%s': '%.40s' is not a "
                      "number, and the model reads this column as numbers", t->path, lineno,
                      (long long)row + 1, t->hdr[k], cell);
            rc = SKC_E_FORMAT;
        } else {
            n = (size_t)snprintf(buf, sizeof(buf), "%.17g", v);
            rc = skc_tensor_set_string(x, row * t->f + j, buf, n);
        }
        free(cell);
    }
    return rc;
}

typedef struct data_line {
    const char *s;
    size_t len, lineno;
} data_line;

/* Lines of a CSV text: the first is the header, empty ones are skipped. */
static int data_text_read(data_text *t, const uint8_t *d, size_t size, skc_tensor **rows,
                          char *err, size_t errlen)
{
    const char *p = (const char *)d, *end = p + size, *line;
    const char **cells = NULL;
    size_t *lens = NULL, lineno = 0, len, nrow = 0, cap = 0, r, nc;
    data_line *lines = NULL;
    skc_tensor *x = NULL;
    int64_t shape[2];
    int rc = SKC_OK;
    char sep = ',';

    while ((line = data_next_line(&p, end, &len))) {
        lineno++;
        if (len == 0)
            continue;
        if (nrow == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            data_line *nv = realloc(lines, ncap * sizeof(*nv));
            if (!nv) {
                rc = SKC_E_NOMEM;
                goto done;
            }
            lines = nv;
            cap = ncap;
        }
        lines[nrow].s = line;
        lines[nrow].len = len;
        lines[nrow++].lineno = lineno;
    }
    if (nrow == 0) {
        skci_errf(err, errlen, "%s: no rows", t->path);
        rc = SKC_E_FORMAT;
        goto done;
    }
    sep = data_sep(lines[0].s, lines[0].len);
    t->ncol = data_split(lines[0].s, lines[0].len, sep, NULL, NULL, 0);
    cells = calloc(t->ncol, sizeof(*cells));
    lens = calloc(t->ncol, sizeof(*lens));
    t->hdr = calloc(t->ncol, sizeof(*t->hdr));
    if (!cells || !lens || !t->hdr) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    data_split(lines[0].s, lines[0].len, sep, cells, lens, t->ncol);
    if ((rc = data_text_header(t, cells, lens, err, errlen)))
        goto done;
    shape[0] = (int64_t)nrow - 1;
    shape[1] = t->f;
    if ((rc = skc_tensor_new(SKC_DT_STRING, 2, shape, &x)))
        goto done;
    for (r = 1; r < nrow; r++) {
        nc = data_split(lines[r].s, lines[r].len, sep, cells, lens, t->ncol);
        if (nc != t->ncol) {
            skci_errf(err, errlen, "%s: line %zu has %zu cells, the header %zu", t->path,
                      lines[r].lineno, nc, t->ncol);
            rc = SKC_E_FORMAT;
            goto done;
        }
        if ((rc = data_text_row(t, cells, lens, lines[r].lineno, (int64_t)r - 1, x, err,
                                errlen)))
            goto done;
    }
    *rows = x;
    x = NULL;
done:
    skc_tensor_free(x);
    free(cells);
    free(lens);
    free(lines);
    return rc;
}

int skc_data_read_strings(const skc_model *m, const char *path, skc_tensor **rows,
                          char *err, size_t errlen)
{
    data_text t;
    skc_stream *s = NULL;
    const uint8_t *d;
    const int64_t *sh;
    size_t size, k;
    int nd = 0, rc;

    if (!m || !path || !rows)
        return SKC_E_INVAL;
    memset(&t, 0, sizeof(t));
    sh = skc_model_input_shape(m, 0, &nd);
    if (skc_model_input_count(m) != 1 || skc_model_input_dtype(m, 0) != SKC_DT_STRING ||
        nd != 2 || sh[1] < 0) {
        skci_errf(err, errlen, "%s: the model does not take a string matrix", path);
        return SKC_E_INVAL;
    }
    t.path = path;
    t.m = m;
    t.f = sh[1];
    t.map = calloc((size_t)(t.f ? t.f : 1), sizeof(*t.map));
    t.is_str = calloc((size_t)(t.f ? t.f : 1), 1);
    if (!t.map || !t.is_str) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    if ((rc = skci_string_columns(m, t.is_str, t.f)))
        goto done;
    if ((rc = skc_stream_open_read(path, &s, err, errlen)))
        goto done;
    if ((rc = skc_stream_map(s, &d, &size)))
        goto done;
    if (size >= 6 && memcmp(d, "\x93NUMPY", 6) == 0) {
        skci_errf(err, errlen, "%s: a model with string columns reads CSV rows, not .npy",
                  path);
        rc = SKC_E_FORMAT;
        goto done;
    }
    rc = data_text_read(&t, d, size, rows, err, errlen);
done:
    skc_stream_free(s);
    for (k = 0; t.hdr && k < t.ncol; k++)
        free(t.hdr[k]);
    free(t.hdr);
    free(t.map);
    free(t.is_str);
    return rc;
}
