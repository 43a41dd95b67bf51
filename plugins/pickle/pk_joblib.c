/* SPDX-License-Identifier: MIT */
/* pk_joblib.c: joblib array wrappers (inline NumpyArrayWrapper data, old NDArrayWrapper/ZNDArrayWrapper companions), .npy headers and ZF files (research/FORMATS.md §3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pk_internal.h"

#define PK_NPY_MAX_HEADER 10000   /* numpy's _MAX_HEADER_SIZE */

static const pk_obj *pk_jl_state(const pk_obj *w)
{
    const pk_obj *st = w->u.red.state;
    return st && st->kind == PK_DICT ? st : NULL;
}

static int pk_jl_new_array(pk_vm *vm, uint64_t off, pk_obj *dtype,
                           pk_obj *subtype, pk_obj **out)
{
    pk_graph *g = pk_vm_graph(vm);
    pk_obj *o = pk_graph_node(g, PK_ARRAY, off);
    pk_arr *a = pk_graph_alloc(g, sizeof *a);
    if (!o || !a)
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    a->dtype = dtype;
    a->subtype = subtype;
    o->u.arr = a;
    o->flags |= PK_F_BUILT;
    *out = o;
    return 0;
}

static int pk_jl_has_object(const pk_dtype *dt)
{
    if (dt->kind == 'O')
        return 1;
    for (size_t i = 0; i < dt->nfields; i++)
        if (pk_jl_has_object(dt->fields[i].dtype->u.dt))
            return 1;
    return dt->sub_base ? pk_jl_has_object(dt->sub_base->u.dt) : 0;
}

/* §3.2: the wrapper's BUILD ends a frame; then [pad][data] or a whole
 * nested pickle for object dtypes, outside any frame. */
int pk_jl_wrapper_build(pk_vm *vm, pk_obj *w, pk_obj **array)
{
    const pk_obj *st = pk_jl_state(w);
    uint64_t off = w->offset;
    if (!st)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "NumpyArrayWrapper state is not a dict");
    pk_obj *dtype = (pk_obj *)pk_dict_get(st, "dtype");
    pk_obj *sub = (pk_obj *)pk_dict_get(st, "subclass");
    const pk_obj *shape = pk_dict_get(st, "shape");
    const pk_obj *order = pk_dict_get(st, "order");
    const pk_obj *alignb = pk_dict_get(st, "numpy_array_alignment_bytes");
    if (!dtype || dtype->kind != PK_DTYPE)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "NumpyArrayWrapper without a dtype");
    if (!sub || sub->kind != PK_GLOBAL || sub->role != PK_ROLE_NDARRAY)
        return pk_vm_fail(vm, SKC_E_UNSAFE, off,
                          "NumpyArrayWrapper subclass is not numpy.ndarray/matrix/memmap");
    if (pk_vm_frame_open(vm))
        return pk_vm_fail(vm, SKC_E_FORMAT, off,
                          "joblib array data would start inside a frame");
    pk_vm_graph(vm)->joblib_bits |= PK_JL_INLINE;
    if (pk_jl_has_object(dtype->u.dt)) {
        pk_obj *inner;
        int rc = pk_vm_nested(vm, &inner);
        if (rc < 0)
            return rc;
        if (inner->kind != PK_ARRAY)
            return pk_vm_fail(vm, SKC_E_FORMAT, off,
                              "object-array sub-pickle gave a %s", pk_kind_name(inner->kind));
        *array = inner;
        return 0;
    }
    pk_obj *ao;
    int rc = pk_jl_new_array(vm, off, dtype, sub, &ao);
    if (rc < 0)
        return rc;
    pk_arr *a = ao->u.arr;
    if ((rc = pk_np_shape_from(vm, shape, a)) < 0)
        return rc;
    if (pk_text_eq(order, "F"))
        a->fortran = 1;
    else if (!pk_text_eq(order, "C"))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "NumpyArrayWrapper order is not 'C' or 'F'");
    size_t nbytes;
    if ((rc = pk_np_array_count(vm, a, &nbytes)) < 0)
        return rc;
    const uint8_t *p;
    uint64_t doff;
    if (alignb && alignb->kind != PK_NONE) {
        int64_t al;
        pk_vm_graph(vm)->joblib_bits |= PK_JL_ALIGNED;
        if (pk_int(alignb, &al) < 0 || al != 16)
            return pk_vm_fail(vm, SKC_E_FORMAT, off,
                              "numpy_array_alignment_bytes is not 16");
        if ((rc = pk_vm_take_raw(vm, 1, &p, &doff)) < 0)
            return rc;
        unsigned pad = p[0];
        if (pad < 1 || pad > 16)
            return pk_vm_fail(vm, SKC_E_FORMAT, doff, "bad pad length %u (1..16)", pad);
        if ((rc = pk_vm_take_raw(vm, pad, &p, &doff)) < 0)
            return rc;
        for (unsigned k = 0; k < pad; k++)
            if (p[k] != 0xff)
                return pk_vm_fail(vm, SKC_E_FORMAT, doff + k, "bad pad byte 0x%02x", p[k]);
        if ((doff + pad) % 16)
            return pk_vm_fail(vm, SKC_E_FORMAT, doff + pad, "array data not aligned");
    }
    const uint8_t *left;
    size_t avail;
    pk_vm_peek_raw(vm, &left, &avail, &doff);
    if (nbytes > avail)
        return pk_vm_fail(vm, SKC_E_FORMAT, doff,
                          "array claims %zu bytes, %zu left in the file", nbytes, avail);
    if ((rc = pk_vm_take_raw(vm, nbytes, &p, &doff)) < 0)
        return rc;
    a->built = 1;
    if ((rc = pk_np_attach(vm, ao, p, nbytes, 1)) < 0)
        return rc;
    *array = ao;
    return 0;
}

/* §3.4: companion names come from the file; only "<main>_NN.npy[.z]". */
static int pk_jl_name_ok(pk_vm *vm, const char *name, size_t n, int z)
{
    if (n == 0 || n > 255 || memchr(name, '/', n) || memchr(name, '\\', n) ||
        memchr(name, 0, n) || name[0] == '.')
        return 0;
    const char *suffix = z ? ".npy.z" : ".npy";
    size_t sl = strlen(suffix);
    if (n <= sl || memcmp(name + n - sl, suffix, sl) != 0)
        return 0;
    const char *base = pk_vm_main_basename(vm);
    if (base) {
        size_t bl = strlen(base);
        if (n < bl + 1 + sl || memcmp(name, base, bl) != 0 || name[bl] != '_')
            return 0;
        for (size_t k = bl + 1; k < n - sl; k++)
            if (name[k] < '0' || name[k] > '9')
                return 0;
    }
    return 1;
}

static int pk_jl_companion_name(pk_vm *vm, const pk_obj *st, uint64_t off,
                                int z, char *out, size_t outlen)
{
    const char *fn;
    size_t n;
    if (pk_text(pk_dict_get(st, "filename"), &fn, &n) < 0)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "array wrapper without a file name");
    if (!pk_jl_name_ok(vm, fn, n, z) || n >= outlen)
        return pk_vm_fail(vm, SKC_E_UNSAFE, off,
                          "companion file name '%.*s' is not <model>_NN%s",
                          (int)(n > 200 ? 200 : n), fn, z ? ".npy.z" : ".npy");
    memcpy(out, fn, n);
    out[n] = 0;
    return 0;
}

int pk_jl_ndwrapper_build(pk_vm *vm, pk_obj *w, pk_obj **array)
{
    const pk_obj *st = pk_jl_state(w);
    uint64_t off = w->offset;
    char name[256];
    if (!st)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "NDArrayWrapper state is not a dict");
    const pk_obj *sub = pk_dict_get(st, "subclass");
    if (sub && (sub->kind != PK_GLOBAL || sub->role != PK_ROLE_NDARRAY))
        return pk_vm_fail(vm, SKC_E_UNSAFE, off,
                          "NDArrayWrapper subclass is not numpy.ndarray/matrix");
    pk_vm_graph(vm)->joblib_bits |= PK_JL_NDARRAY;
    int rc = pk_jl_companion_name(vm, st, off, 0, name, sizeof name);
    if (rc < 0)
        return rc;
    const uint8_t *data;
    size_t size;
    if ((rc = pk_vm_companion(vm, name, off, &data, &size)) < 0)
        return rc;
    return pk_jl_parse_npy(vm, data, size, off, array);
}

int pk_jl_zndwrapper_build(pk_vm *vm, pk_obj *w, pk_obj **array)
{
    const pk_obj *st = pk_jl_state(w);
    uint64_t off = w->offset;
    char name[256], err[200];
    if (!st)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "ZNDArrayWrapper state is not a dict");
    const pk_obj *init = pk_dict_get(st, "init_args");
    const pk_obj *ast = pk_dict_get(st, "state");
    const pk_obj *sub = pk_item(init, 0);
    if (!sub || sub->kind != PK_GLOBAL || sub->role != PK_ROLE_NDARRAY)
        return pk_vm_fail(vm, SKC_E_UNSAFE, off,
                          "ZNDArrayWrapper init_args do not name numpy.ndarray");
    if (!ast || ast->kind != PK_TUPLE || ast->u.seq.n != 4)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "ZNDArrayWrapper state malformed");
    pk_vm_graph(vm)->joblib_bits |= PK_JL_ZND;
    int rc = pk_jl_companion_name(vm, st, off, 1, name, sizeof name);
    if (rc < 0)
        return rc;
    const uint8_t *zdata;
    size_t zsize;
    if ((rc = pk_vm_companion(vm, name, off, &zdata, &zsize)) < 0)
        return rc;
    uint8_t *raw = NULL;
    size_t rawn = 0;
    rc = pk_jl_zfile_inflate(zdata, zsize, pk_vm_limits(vm), &raw, &rawn, err, sizeof err);
    if (rc < 0)
        return pk_vm_fail(vm, rc, off, "companion '%s': %s", name, err);
    if ((rc = pk_graph_own(pk_vm_graph(vm), raw)) < 0)
        return pk_vm_fail(vm, rc, off, "out of memory");
    /* state (1, shape, dtype, is_fortran) + data: the _reconstruct layout */
    pk_obj *dt = (pk_obj *)pk_item(ast, 2);
    if (!dt || dt->kind != PK_DTYPE)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "ZNDArrayWrapper dtype malformed");
    pk_obj *ao;
    if ((rc = pk_jl_new_array(vm, off, (pk_obj *)dt, (pk_obj *)sub, &ao)) < 0)
        return rc;
    pk_arr *a = ao->u.arr;
    if ((rc = pk_np_shape_from(vm, pk_item(ast, 1), a)) < 0)
        return rc;
    int fort = 0;
    if (pk_bool(pk_item(ast, 3), &fort) < 0)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "ZNDArrayWrapper is_fortran malformed");
    a->fortran = fort;
    size_t nbytes;
    if ((rc = pk_np_array_count(vm, a, &nbytes)) < 0)
        return rc;
    if (pk_jl_has_object(dt->u.dt))
        return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off, "object array in a .npy.z companion");
    if (rawn != nbytes)
        return pk_vm_fail(vm, SKC_E_FORMAT, off,
                          "companion '%s' holds %zu bytes, shape says %zu", name, rawn, nbytes);
    a->built = 1;
    if ((rc = pk_np_attach(vm, ao, raw, nbytes, 1)) < 0)
        return rc;
    *array = ao;
    return 0;
}

/* ---------------------------------------------------------------- */
/* .npy (§2.7): a Python-literal dict header, never evaluated        */
/* ---------------------------------------------------------------- */

typedef struct pk_npy_lex {
    const char *p, *end;
} pk_npy_lex;

static void pk_npy_ws(pk_npy_lex *lx)
{
    while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n'))
        lx->p++;
}

static int pk_npy_char(pk_npy_lex *lx, char c)
{
    pk_npy_ws(lx);
    if (lx->p < lx->end && *lx->p == c) {
        lx->p++;
        return 1;
    }
    return 0;
}

static int pk_npy_string(pk_npy_lex *lx, char *out, size_t outlen)
{
    pk_npy_ws(lx);
    if (lx->p >= lx->end || (*lx->p != '\'' && *lx->p != '"'))
        return -1;
    char q = *lx->p++;
    size_t n = 0;
    while (lx->p < lx->end && *lx->p != q) {
        if (*lx->p == '\\' || n + 1 >= outlen)
            return -1;
        out[n++] = *lx->p++;
    }
    if (lx->p >= lx->end)
        return -1;
    lx->p++;
    out[n] = 0;
    return 0;
}

/* A dtype from a descr string, through the same checks as a pickled one. */
static int pk_jl_dtype_spec(pk_vm *vm, const char *descr, uint64_t off, pk_obj **out)
{
    pk_graph *g = pk_vm_graph(vm);
    pk_obj *spec = pk_graph_node(g, PK_STR, off);
    pk_obj *args = pk_graph_node(g, PK_TUPLE, off);
    if (!spec || !args)
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    spec->u.s.p = pk_graph_strdup(g, descr, strlen(descr));
    spec->u.s.n = strlen(descr);
    if (!spec->u.s.p || pk_seq_push(g, args, spec) < 0)
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    int rc = pk_np_dtype_new(vm, args, off, out);
    if (rc == 0)
        (*out)->u.dt->built = 1;
    return rc;
}

/* [('name', '<i8'), ('', '|V4'), ('v', '<f8', (2,)), ...]: fields packed in
 * order; unnamed entries are numpy's padding. Nested lists are refused. */
static int pk_jl_struct_descr(pk_vm *vm, pk_npy_lex *lx, uint64_t off, pk_obj **out)
{
    pk_graph *g = pk_vm_graph(vm);
    pk_obj *dto = pk_graph_node(g, PK_DTYPE, off);
    pk_dtype *dt = pk_graph_alloc(g, sizeof *dt);
    pk_field fl[256];
    size_t nf = 0;
    uint64_t pos = 0;
    if (!dto || !dt)
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    dto->u.dt = dt;
    dt->kind = 'V';
    dt->byteorder = '|';
    dt->alignment = 1;
    if (!pk_npy_char(lx, '['))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy descr malformed");
    while (!pk_npy_char(lx, ']')) {
        char name[128], spec[64];
        if (!pk_npy_char(lx, '(') || pk_npy_string(lx, name, sizeof name) < 0 ||
            !pk_npy_char(lx, ',') || pk_npy_string(lx, spec, sizeof spec) < 0)
            return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off,
                              ".npy descr field is not (name, 'dtype')");
        pk_obj *fd;
        int rc = pk_jl_dtype_spec(vm, spec, off, &fd);
        if (rc < 0)
            return rc;
        uint64_t size = fd->u.dt->itemsize;
        if (pk_npy_char(lx, ',')) {
            if (!pk_npy_char(lx, '('))
                return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off, ".npy descr field shape malformed");
            while (!pk_npy_char(lx, ')')) {
                pk_npy_ws(lx);
                uint64_t v = 0;
                int dg = 0;
                while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9' && dg < 9) {
                    v = v * 10 + (uint64_t)(*lx->p++ - '0');
                    dg++;
                }
                if (!dg)
                    return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy descr field shape malformed");
                size *= v;
                if (size > (1u << 20))
                    return pk_vm_fail(vm, SKC_E_LIMIT, off, ".npy field too large");
                pk_npy_char(lx, ',');
            }
            if (size != fd->u.dt->itemsize)
                return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off,
                                  ".npy subarray fields are not supported");
        }
        if (!pk_npy_char(lx, ')'))
            return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy descr malformed");
        if (name[0]) {
            if (nf == sizeof fl / sizeof fl[0])
                return pk_vm_fail(vm, SKC_E_LIMIT, off, ".npy descr with too many fields");
            fl[nf].name = (const char *)pk_graph_strdup(g, name, strlen(name));
            if (!fl[nf].name)
                return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
            fl[nf].dtype = fd;
            fl[nf].offset = (uint32_t)pos;
            nf++;
        }
        pos += size;
        if (pos > (1u << 20))
            return pk_vm_fail(vm, SKC_E_LIMIT, off, "dtype itemsize unreasonably large");
        if (!pk_npy_char(lx, ',')) {
            if (!pk_npy_char(lx, ']'))
                return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy descr malformed");
            break;
        }
    }
    dt->itemsize = (uint32_t)pos;
    if (nf) {
        dt->fields = calloc(nf, sizeof *dt->fields);
        if (!dt->fields || pk_graph_track(g, dto) < 0) {
            free(dt->fields);
            dt->fields = NULL;
            return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
        }
        memcpy(dt->fields, fl, nf * sizeof *fl);
        dt->nfields = nf;
    }
    dt->built = 1;
    *out = dto;
    return 0;
}

int pk_jl_parse_npy(pk_vm *vm, const uint8_t *p, size_t n, uint64_t off,
                    pk_obj **out)
{
    if (n < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy companion without the \\x93NUMPY magic");
    unsigned major = p[6];
    size_t hl, hs;
    if (major == 1) {
        hl = (size_t)p[8] | ((size_t)p[9] << 8);
        hs = 10;
    } else if (major == 2 || major == 3) {
        if (n < 12)
            return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy header truncated");
        hl = (size_t)p[8] | ((size_t)p[9] << 8) | ((size_t)p[10] << 16) | ((size_t)p[11] << 24);
        hs = 12;
    } else {
        return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off, ".npy version %u", major);
    }
    if (hl > PK_NPY_MAX_HEADER)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy header length %zu exceeds %d",
                          hl, PK_NPY_MAX_HEADER);
    if (hl > n - hs)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy header truncated");
    pk_npy_lex lx = { (const char *)p + hs, (const char *)p + hs + hl };
    char descr[64] = "", key[32];
    pk_obj *sdt = NULL;
    int fortran = -1, have_shape = 0;
    pk_arr tmp;
    memset(&tmp, 0, sizeof tmp);
    if (!pk_npy_char(&lx, '{'))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy header is not a literal dict");
    while (!pk_npy_char(&lx, '}')) {
        if (pk_npy_string(&lx, key, sizeof key) < 0 || !pk_npy_char(&lx, ':'))
            return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy header is not a literal dict");
        pk_npy_ws(&lx);
        if (strcmp(key, "descr") == 0) {
            if (lx.p < lx.end && *lx.p == '[') {
                int rc2 = pk_jl_struct_descr(vm, &lx, off, &sdt);
                if (rc2 < 0)
                    return rc2;
            } else if (pk_npy_string(&lx, descr, sizeof descr) < 0) {
                return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off,
                                  ".npy descr is not a dtype string or field list");
            }
        } else if (strcmp(key, "fortran_order") == 0) {
            if ((size_t)(lx.end - lx.p) >= 4 && memcmp(lx.p, "True", 4) == 0) {
                fortran = 1;
                lx.p += 4;
            } else if ((size_t)(lx.end - lx.p) >= 5 && memcmp(lx.p, "False", 5) == 0) {
                fortran = 0;
                lx.p += 5;
            } else {
                return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy fortran_order malformed");
            }
        } else if (strcmp(key, "shape") == 0) {
            if (!pk_npy_char(&lx, '('))
                return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy shape malformed");
            while (!pk_npy_char(&lx, ')')) {
                pk_npy_ws(&lx);
                int64_t v = 0;
                int dg = 0;
                while (lx.p < lx.end && *lx.p >= '0' && *lx.p <= '9' && dg < 18) {
                    v = v * 10 + (*lx.p++ - '0');
                    dg++;
                }
                if (!dg || tmp.ndim >= PK_MAX_NDIM)
                    return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy shape malformed");
                if (lx.p < lx.end && *lx.p == 'L')
                    lx.p++;          /* Python 2 long */
                tmp.shape[tmp.ndim++] = v;
                if (!pk_npy_char(&lx, ',')) {
                    if (!pk_npy_char(&lx, ')'))
                        return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy shape malformed");
                    break;
                }
            }
            have_shape = 1;
        } else {
            return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy header key '%s'", key);
        }
        if (!pk_npy_char(&lx, ',')) {
            if (!pk_npy_char(&lx, '}'))
                return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy header is not a literal dict");
            break;
        }
    }
    if ((!descr[0] && !sdt) || fortran < 0 || !have_shape)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, ".npy header misses descr/fortran_order/shape");
    pk_obj *dt = sdt;
    int rc;
    if (!dt && (rc = pk_jl_dtype_spec(vm, descr, off, &dt)) < 0)
        return rc;
    if (pk_jl_has_object(dt->u.dt))
        return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off,
                          "object array in a .npy companion (would need unpickling)");
    pk_obj *ao;
    if ((rc = pk_jl_new_array(vm, off, dt, NULL, &ao)) < 0)
        return rc;
    pk_arr *a = ao->u.arr;
    a->ndim = tmp.ndim;
    memcpy(a->shape, tmp.shape, sizeof tmp.shape);
    a->fortran = fortran;
    size_t nbytes;
    if ((rc = pk_np_array_count(vm, a, &nbytes)) < 0)
        return rc;
    size_t data_off = hs + hl;
    if (nbytes != n - data_off)
        return pk_vm_fail(vm, SKC_E_FORMAT, off,
                          ".npy companion holds %zu data bytes, header says %zu",
                          n - data_off, nbytes);
    a->built = 1;
    if ((rc = pk_np_attach(vm, ao, p + data_off, nbytes, 1)) < 0)
        return rc;
    *out = ao;
    return 0;
}

/* ---------------------------------------------------------------- */
/* ZF files (§3.4): "ZF" + hex(len).ljust(19) + zlib                */
/* ---------------------------------------------------------------- */

int pk_jl_zfile_inflate(const uint8_t *p, size_t n, const skc_limits *lim,
                        uint8_t **out, size_t *outn, char *err, size_t errlen)
{
    skc_limits l;
    pk_limits_fill(lim, &l);
    if (n < 2 + 19 || p[0] != 'Z' || p[1] != 'F') {
        snprintf(err, errlen, "not a joblib ZF file");
        return SKC_E_FORMAT;
    }
    const uint8_t *h = p + 2;
    size_t i = 0;
    uint64_t len = 0;
    if (h[0] != '0' || (h[1] != 'x' && h[1] != 'X')) {
        snprintf(err, errlen, "ZF header length is not hexadecimal");
        return SKC_E_FORMAT;
    }
    for (i = 2; i < 19 && h[i] != ' ' && h[i] != 'L'; i++) {
        int c = h[i], v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else {
            snprintf(err, errlen, "ZF header length is not hexadecimal");
            return SKC_E_FORMAT;
        }
        if (len >> 60) {
            snprintf(err, errlen, "ZF length overflows");
            return SKC_E_FORMAT;
        }
        len = len * 16 + (uint64_t)v;
    }
    size_t start = 2 + 19;
    /* joblib <= 0.8.4 on Python 2 padded one byte wider; zlib never starts with ' '. */
    if (start < n && p[start] == ' ')
        start++;
    uint64_t cap = l.max_bytes;
    uint64_t rcap = (uint64_t)(n - start) * l.max_ratio;
    if ((n - start) && rcap / (n - start) == l.max_ratio && rcap < cap)
        cap = rcap;
    if (len > cap || len > SIZE_MAX - 1) {
        snprintf(err, errlen, "ZF file claims %llu bytes, over the limit %llu",
                 (unsigned long long)len, (unsigned long long)cap);
        return SKC_E_LIMIT;
    }
    uint8_t *buf = malloc(len ? (size_t)len : 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return SKC_E_NOMEM;
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK) {
        free(buf);
        snprintf(err, errlen, "zlib init failed");
        return SKC_E_INTERNAL;
    }
    size_t inpos = start, got = 0;
    uint8_t extra; /* lives as long as zs may point at it */
    int zr = Z_OK;
    while (zr != Z_STREAM_END) {
        uInt chunk_in = (uInt)((n - inpos) > (1u << 30) ? (1u << 30) : (n - inpos));
        uInt chunk_out = (uInt)(((size_t)len - got) > (1u << 30) ? (1u << 30) : ((size_t)len - got));
        zs.next_in = (Bytef *)(p + inpos);
        zs.avail_in = chunk_in;
        zs.next_out = buf + got;
        zs.avail_out = chunk_out;
        if (!chunk_out) {
            /* room only to detect data beyond the declared length */
            zs.next_out = &extra;
            zs.avail_out = 1;
        }
        zr = inflate(&zs, Z_NO_FLUSH);
        size_t used_in = chunk_in - zs.avail_in;
        size_t made = (chunk_out ? chunk_out : 1) - zs.avail_out;
        inpos += used_in;
        if (!chunk_out && made) {
            zr = Z_DATA_ERROR;
            break;
        }
        got += chunk_out ? made : 0;
        if (zr != Z_OK && zr != Z_STREAM_END)
            break;
        if (zr == Z_OK && used_in == 0 && made == 0) {
            zr = Z_BUF_ERROR;
            break;
        }
    }
    inflateEnd(&zs);
    if (zr != Z_STREAM_END || got != len) {
        free(buf);
        snprintf(err, errlen, "ZF zlib data corrupt or length mismatch (%zu of %llu bytes)",
                 got, (unsigned long long)len);
        return SKC_E_FORMAT;
    }
    *out = buf;
    *outn = (size_t)len;
    return 0;
}
