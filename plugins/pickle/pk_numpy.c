/* SPDX-License-Identifier: MIT */
/* pk_numpy.c: recognises numpy dtypes, ndarrays and scalars in the inert graph (research/FORMATS.md §2) and reads their elements. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pk_internal.h"

#define PK_MAX_ITEMSIZE (1u << 20)   /* FORMATS §6.5 */

static pk_obj *pk_np_item(const pk_obj *t, size_t i)
{
    return t && (t->kind == PK_TUPLE || t->kind == PK_LIST) && i < t->u.seq.n
           ? t->u.seq.items[i] : NULL;
}

static int pk_np_int(const pk_obj *o, int64_t *v)
{
    if (!o || (o->kind != PK_INT && o->kind != PK_BOOL))
        return -1;
    *v = o->u.i;
    return 0;
}

static int pk_np_host_le(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static char pk_np_native(void)
{
    return pk_np_host_le() ? '<' : '>';
}

/* ---------------------------------------------------------------- */
/* dtype                                                             */
/* ---------------------------------------------------------------- */

static int pk_np_kind_ok(char k)
{
    return k && strchr("biufcmMOSUVa", k) != NULL;
}

int pk_np_dtype_new(pk_vm *vm, pk_obj *args, uint64_t off, pk_obj **out)
{
    pk_obj *spec = pk_np_item(args, 0);
    pk_graph *g = pk_vm_graph(vm);
    pk_obj *o = pk_graph_node(g, PK_DTYPE, off);
    pk_dtype *dt = pk_graph_alloc(g, sizeof *dt);
    if (!o || !dt)
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    o->u.dt = dt;
    if (spec && spec->kind == PK_GLOBAL) {
        /* np.record structured dtypes: the type object stands for 'V'. */
        dt->kind = 'V';
        dt->byteorder = '|';
        *out = o;
        return 0;
    }
    const char *s;
    size_t n;
    if (pk_text(spec, &s, &n) < 0 || n == 0 || n > 24)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype spec is not a short string");
    size_t i = 0;
    char bo = 0;
    if (strchr("<>|=", s[0])) {
        bo = s[0] == '=' ? pk_np_native() : s[0];
        i++;
    }
    if (i >= n || !pk_np_kind_ok(s[i]))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "unknown dtype kind in '%.*s'",
                          (int)n, s);
    dt->kind = s[i] == 'a' ? 'S' : s[i];
    i++;
    uint64_t size = 0;
    int digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        size = size * 10 + (uint64_t)(s[i] - '0');
        if (size > PK_MAX_ITEMSIZE)
            return pk_vm_fail(vm, SKC_E_LIMIT, off,
                              "dtype itemsize unreasonably large ('%.*s')", (int)n, s);
    }
    if (i < n && s[i] != '[')
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "bad dtype spec '%.*s'", (int)n, s);
    if (dt->kind == 'U')
        size *= 4;
    if (size > PK_MAX_ITEMSIZE)
        return pk_vm_fail(vm, SKC_E_LIMIT, off,
                          "dtype itemsize unreasonably large ('%.*s')", (int)n, s);
    if (!digits && strchr("biufc", dt->kind))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype '%.*s' without a size", (int)n, s);
    if ((dt->kind == 'M' || dt->kind == 'm') && !digits)
        size = 8;
    dt->itemsize = (uint32_t)size;
    if (strchr("biufcmM", dt->kind) && size != 1 && size != 2 && size != 4 &&
        size != 8 && size != 16 && size != 32 && !(dt->kind == 'f' && size == 12))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "bad numeric dtype size in '%.*s'",
                          (int)n, s);
    if (bo)
        dt->byteorder = bo;
    else if (size <= 1 || strchr("OSV", dt->kind))
        dt->byteorder = '|';
    else
        dt->byteorder = pk_np_native();
    dt->alignment = size >= 8 ? 8 : size ? (uint32_t)size : 1;
    *out = o;
    return 0;
}

static int pk_np_dtype_is_obj(const pk_dtype *dt)
{
    if (dt->kind == 'O')
        return 1;
    for (size_t i = 0; i < dt->nfields; i++)
        if (pk_np_dtype_is_obj(dt->fields[i].dtype->u.dt))
            return 1;
    if (dt->sub_base && pk_np_dtype_is_obj(dt->sub_base->u.dt))
        return 1;
    return 0;
}

static int pk_np_fields(pk_vm *vm, pk_obj *dto, const pk_obj *names,
                        const pk_obj *fields, uint64_t off)
{
    pk_dtype *dt = dto->u.dt;
    if (!names || names->kind != PK_TUPLE || !fields || fields->kind != PK_DICT)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype names/fields malformed");
    size_t nf = names->u.seq.n;
    if (nf > 65536)
        return pk_vm_fail(vm, SKC_E_LIMIT, off, "dtype with %zu fields", nf);
    if (pk_graph_charge(pk_vm_graph(vm), nf * sizeof(pk_field)) < 0)
        return pk_vm_fail(vm, SKC_E_LIMIT, off, "dtype fields exceed limits");
    pk_field *fl = calloc(nf ? nf : 1, sizeof *fl);
    if (!fl || pk_graph_track(pk_vm_graph(vm), dto) < 0) {
        free(fl);
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    }
    dt->fields = fl;
    for (size_t i = 0; i < nf; i++) {
        const char *nm;
        size_t nl;
        if (pk_text(names->u.seq.items[i], &nm, &nl) < 0)
            return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype field name is not text");
        const pk_obj *ent = pk_dict_get(fields, nm);
        const pk_obj *fdt = pk_np_item(ent, 0);
        int64_t foff;
        if (!ent || ent->kind != PK_TUPLE || ent->u.seq.n < 2 || !fdt ||
            fdt->kind != PK_DTYPE || pk_np_int(pk_np_item(ent, 1), &foff) < 0)
            return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype field '%s' malformed", nm);
        if (foff < 0 || (uint64_t)foff + fdt->u.dt->itemsize > dt->itemsize)
            return pk_vm_fail(vm, SKC_E_FORMAT, off,
                              "dtype field '%s' at %lld overruns itemsize %u", nm,
                              (long long)foff, dt->itemsize);
        fl[i].name = nm;
        fl[i].dtype = (pk_obj *)fdt;
        fl[i].offset = (uint32_t)foff;
        dt->nfields = i + 1;
    }
    return 0;
}

/* numpy's arraydescr_setstate: tuples of 9, 8, 7, 6 or 5 items (§2.2). */
int pk_np_dtype_build(pk_vm *vm, pk_obj *dto, pk_obj *st)
{
    pk_dtype *dt = dto->u.dt;
    uint64_t off = dto->offset;
    if (!st || st->kind != PK_TUPLE || st->u.seq.n < 5 || st->u.seq.n > 9)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype state is not a 5..9-tuple");
    size_t n = st->u.seq.n, i = 0;
    int64_t version = 0, elsize, align;
    if (n >= 6 && pk_np_int(pk_np_item(st, i++), &version) < 0)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype state version is not an int");
    const pk_obj *endian = pk_np_item(st, i++);
    const pk_obj *sub = pk_np_item(st, i++);
    const pk_obj *names = n >= 7 ? pk_np_item(st, i++) : NULL;
    const pk_obj *fields = pk_np_item(st, i++);
    if (pk_np_int(pk_np_item(st, i++), &elsize) < 0 ||
        pk_np_int(pk_np_item(st, i++), &align) < 0)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype elsize/alignment not ints");
    const char *e;
    size_t en;
    if (pk_text(endian, &e, &en) < 0 || en != 1 || !strchr("<>|=", e[0]))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype byte order malformed");
    dt->byteorder = e[0] == '=' ? pk_np_native() : e[0];
    if (elsize >= 0 && (dt->kind == 'V' || dt->kind == 'S' || dt->kind == 'U' ||
                        dt->itemsize == 0)) {
        if (elsize > PK_MAX_ITEMSIZE)
            return pk_vm_fail(vm, SKC_E_LIMIT, off, "dtype itemsize unreasonably large");
        dt->itemsize = (uint32_t)elsize;
    }
    if (align > 0 && align <= 64)
        dt->alignment = (uint32_t)align;
    if (names && names->kind == PK_NONE)
        names = NULL;
    if (fields && fields->kind == PK_NONE)
        fields = NULL;
    if (!names && fields && fields->kind == PK_DICT && n <= 6) {
        /* Versions 0/1 kept the names under the key -1 of fields. */
        for (size_t k = 0; k + 1 < fields->u.seq.n; k += 2) {
            const pk_obj *key = fields->u.seq.items[k];
            if (key->kind == PK_INT && key->u.i == -1)
                names = fields->u.seq.items[k + 1];
        }
    }
    if (names || fields) {
        int rc = pk_np_fields(vm, dto, names, fields, off);
        if (rc < 0)
            return rc;
    }
    if (sub && sub->kind != PK_NONE) {
        const pk_obj *base = pk_np_item(sub, 0), *shp = pk_np_item(sub, 1);
        if (!base || base->kind != PK_DTYPE || !shp)
            return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype subarray malformed");
        uint64_t cnt = 1;
        int nd = 0;
        if (shp->kind == PK_INT) {
            if (shp->u.i < 0)
                return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype subarray shape negative");
            dt->sub_shape[nd++] = shp->u.i;
            cnt = (uint64_t)shp->u.i;
        } else if (shp->kind == PK_TUPLE && shp->u.seq.n <= PK_MAX_NDIM) {
            for (size_t k = 0; k < shp->u.seq.n; k++) {
                int64_t d;
                if (pk_np_int(shp->u.seq.items[k], &d) < 0 || d < 0 || d > PK_MAX_ITEMSIZE)
                    return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype subarray shape malformed");
                dt->sub_shape[nd++] = d;
                cnt *= (uint64_t)d;
                if (cnt > PK_MAX_ITEMSIZE)
                    return pk_vm_fail(vm, SKC_E_LIMIT, off, "dtype subarray too large");
            }
        } else {
            return pk_vm_fail(vm, SKC_E_FORMAT, off, "dtype subarray shape malformed");
        }
        if (cnt * base->u.dt->itemsize != dt->itemsize)
            return pk_vm_fail(vm, SKC_E_FORMAT, off,
                              "dtype subarray size does not match itemsize");
        dt->sub_base = (pk_obj *)base;
        dt->sub_ndim = nd;
    }
    if (n == 9 && (dt->kind == 'M' || dt->kind == 'm')) {
        const pk_obj *md = pk_np_item(pk_np_item(st, 8), 1);
        const char *u;
        size_t un;
        if (pk_text(pk_np_item(md, 0), &u, &un) == 0 && un < sizeof dt->unit) {
            memcpy(dt->unit, u, un);
            dt->unit[un] = 0;
        }
    }
    (void)version;
    dt->built = 1;
    return 0;
}

/* ---------------------------------------------------------------- */
/* ndarray                                                           */
/* ---------------------------------------------------------------- */

int pk_np_reconstruct(pk_vm *vm, pk_obj *args, uint64_t off, pk_obj **out)
{
    pk_obj *sub = pk_np_item(args, 0);
    if (!sub || sub->kind != PK_GLOBAL || sub->role != PK_ROLE_NDARRAY)
        return pk_vm_fail(vm, SKC_E_UNSAFE, off,
                          "numpy _reconstruct of something other than ndarray/matrix");
    pk_graph *g = pk_vm_graph(vm);
    pk_obj *o = pk_graph_node(g, PK_ARRAY, off);
    pk_arr *a = pk_graph_alloc(g, sizeof *a);
    if (!o || !a)
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    a->subtype = sub;
    o->u.arr = a;
    *out = o;
    return 0;
}

int pk_np_shape_from(pk_vm *vm, const pk_obj *t, pk_arr *a)
{
    uint64_t off = t ? t->offset : 0;
    if (t && t->kind == PK_INT) {
        if (t->u.i < 0)
            return pk_vm_fail(vm, SKC_E_FORMAT, off, "negative array dimension");
        a->ndim = 1;
        a->shape[0] = t->u.i;
    } else {
        if (!t || t->kind != PK_TUPLE)
            return pk_vm_fail(vm, SKC_E_FORMAT, off, "array shape is not a tuple");
        if (t->u.seq.n > PK_MAX_NDIM)
            return pk_vm_fail(vm, SKC_E_LIMIT, off, "array with %zu dimensions",
                              t->u.seq.n);
        a->ndim = (int)t->u.seq.n;
        for (size_t i = 0; i < t->u.seq.n; i++) {
            int64_t d;
            if (pk_np_int(t->u.seq.items[i], &d) < 0)
                return pk_vm_fail(vm, SKC_E_FORMAT, off, "array dimension is not an int");
            if (d < 0)
                return pk_vm_fail(vm, SKC_E_FORMAT, off, "negative array dimension");
            a->shape[i] = d;
        }
    }
    return 0;
}

int pk_np_array_count(pk_vm *vm, pk_arr *a, size_t *nbytes)
{
    uint64_t cnt = 1;
    const skc_limits *lim = pk_vm_limits(vm);
    for (int i = 0; i < a->ndim; i++) {
        uint64_t d = (uint64_t)a->shape[i];
        if (d && cnt > UINT64_MAX / d)
            return pk_vm_fail(vm, SKC_E_LIMIT, a->dtype ? a->dtype->offset : 0,
                              "array shape product overflows");
        cnt *= d;
    }
    if (cnt > lim->max_elements)
        return pk_vm_fail(vm, SKC_E_LIMIT, a->dtype ? a->dtype->offset : 0,
                          "array of %llu elements exceeds the limit %llu",
                          (unsigned long long)cnt,
                          (unsigned long long)lim->max_elements);
    uint32_t isz = a->dtype->u.dt->itemsize;
    if (isz && cnt > SIZE_MAX / isz)
        return pk_vm_fail(vm, SKC_E_LIMIT, 0, "array byte size overflows");
    a->count = (size_t)cnt;
    *nbytes = (size_t)cnt * isz;
    return 0;
}

static int pk_np_simple(const pk_dtype *dt)
{
    return dt->nfields == 0 && !dt->sub_base && strchr("biufcmMU", dt->kind);
}

static void pk_np_swap(uint8_t *p, size_t n, uint32_t w)
{
    for (size_t i = 0; i + w <= n; i += w)
        for (uint32_t k = 0; k < w / 2; k++) {
            uint8_t t = p[i + k];
            p[i + k] = p[i + w - 1 - k];
            p[i + w - 1 - k] = t;
        }
}

int pk_np_attach(pk_vm *vm, pk_obj *ao, const uint8_t *data, size_t n,
                 int borrowed)
{
    pk_arr *a = ao->u.arr;
    pk_dtype *dt = a->dtype->u.dt;
    uint32_t al = dt->alignment ? dt->alignment : 1;
    if (al > 8)
        al = 8;
    int swap = pk_np_simple(dt) && dt->byteorder != '|' &&
               dt->byteorder != pk_np_native() && dt->itemsize > 1;
    uint32_t unit = dt->kind == 'U' ? 4 : dt->kind == 'c' ? dt->itemsize / 2
                                                            : dt->itemsize;
    if (!swap && (((uintptr_t)data % al) == 0 || n == 0)) {
        a->data = data;
        a->nbytes = n;
        (void)borrowed;
        return 0;
    }
    /* Misaligned or foreign byte order: one checked copy, normalised to
     * native order so lifters may read the elements directly. */
    if (pk_graph_charge(pk_vm_graph(vm), n) < 0)
        return pk_vm_fail(vm, SKC_E_LIMIT, ao->offset, "array copies exceed byte limit");
    uint8_t *cp = malloc(n ? n : 1);
    if (!cp)
        return pk_vm_fail(vm, SKC_E_NOMEM, ao->offset, "out of memory");
    if (!a->owned && !a->objs && pk_graph_track(pk_vm_graph(vm), ao) < 0) {
        free(cp);
        return pk_vm_fail(vm, SKC_E_NOMEM, ao->offset, "out of memory");
    }
    memcpy(cp, data, n);
    if (swap) {
        pk_np_swap(cp, n, unit);
        dt->byteorder = pk_np_native();
    }
    a->owned = cp;
    a->data = cp;
    a->nbytes = n;
    return 0;
}

static int pk_np_set_objects(pk_vm *vm, pk_obj *ao, const pk_obj *list)
{
    pk_arr *a = ao->u.arr;
    if (!list || (list->kind != PK_LIST && list->kind != PK_TUPLE))
        return pk_vm_fail(vm, SKC_E_FORMAT, ao->offset,
                          "object array data is not a list");
    if (list->u.seq.n != a->count)
        return pk_vm_fail(vm, SKC_E_FORMAT, ao->offset,
                          "object array holds %zu items, shape says %zu",
                          list->u.seq.n, a->count);
    a->objs = list->u.seq.items;   /* shared with the list node */
    if (list->depth + 1 > ao->depth)
        ao->depth = list->depth + 1;
    return 0;
}

/* numpy's array_setstate: (1, shape, dtype, is_fortran, rawdata) or the
 * version-0 4-tuple (§2.1). */
int pk_np_array_build(pk_vm *vm, pk_obj *ao, pk_obj *st)
{
    pk_arr *a = ao->u.arr;
    uint64_t off = ao->offset;
    if (!st || st->kind != PK_TUPLE || (st->u.seq.n != 5 && st->u.seq.n != 4))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "ndarray state is not a 4/5-tuple");
    size_t i = 0;
    if (st->u.seq.n == 5) {
        int64_t ver;
        if (pk_np_int(pk_np_item(st, 0), &ver) < 0 || ver != 1)
            return pk_vm_fail(vm, SKC_E_FORMAT, off, "ndarray state version is not 1");
        i = 1;
    }
    const pk_obj *shape = pk_np_item(st, i), *dto = pk_np_item(st, i + 1);
    const pk_obj *fort = pk_np_item(st, i + 2), *raw = pk_np_item(st, i + 3);
    if (!dto || dto->kind != PK_DTYPE)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "ndarray dtype is a %s",
                          pk_kind_name(pk_kind_of(dto)));
    a->dtype = (pk_obj *)dto;
    int rc = pk_np_shape_from(vm, shape, a);
    if (rc < 0)
        return rc;
    int64_t f;
    if (pk_np_int(fort, &f) < 0)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "ndarray is_fortran is not a bool");
    a->fortran = f != 0;
    size_t nbytes;
    if ((rc = pk_np_array_count(vm, a, &nbytes)) < 0)
        return rc;
    a->built = 1;
    if (pk_np_dtype_is_obj(dto->u.dt))
        return pk_np_set_objects(vm, ao, raw);
    if (raw && raw->kind == PK_STR) {
        /* Python 2 numpy pickles read as text: re-encode to latin-1,
         * as numpy's array_setstate does. */
        const uint8_t *p = raw->u.s.p;
        size_t n = raw->u.s.n, o = 0;
        uint8_t *d = malloc(n ? n : 1);
        if (!d || pk_graph_own(pk_vm_graph(vm), d) < 0)
            return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
        for (size_t k = 0; k < n;) {
            if (p[k] < 0x80)
                d[o++] = p[k++];
            else if (k + 1 < n && p[k] >= 0xc2 && p[k] <= 0xc3) {
                d[o++] = (uint8_t)(((p[k] & 0x1f) << 6) | (p[k + 1] & 0x3f));
                k += 2;
            } else
                return pk_vm_fail(vm, SKC_E_FORMAT, off, "ndarray text data is not latin-1");
        }
        if (o != nbytes)
            return pk_vm_fail(vm, SKC_E_FORMAT, off,
                              "raw data length %zu != prod(shape) * itemsize = %zu",
                              o, nbytes);
        return pk_np_attach(vm, ao, d, o, 1);
    }
    if (!raw || raw->kind != PK_BYTES)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "ndarray data is a %s, not bytes",
                          pk_kind_name(pk_kind_of(raw)));
    if (raw->u.s.n != nbytes)
        return pk_vm_fail(vm, SKC_E_FORMAT, off,
                          "raw data length %zu != prod(shape) * itemsize = %zu",
                          raw->u.s.n, nbytes);
    return pk_np_attach(vm, ao, raw->u.s.p, nbytes, 1);
}

int pk_np_scalar(pk_vm *vm, pk_obj *args, uint64_t off, pk_obj **out)
{
    pk_obj *dto = pk_np_item(args, 0), *pl = pk_np_item(args, 1);
    if (!dto || dto->kind != PK_DTYPE || args->u.seq.n > 2)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "numpy scalar without a dtype");
    pk_obj *o = pk_graph_node(pk_vm_graph(vm), PK_SCALAR, off);
    if (!o)
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    o->u.sc.dtype = dto;
    if (dto->u.dt->kind == 'O') {
        o->u.sc.obj = pl;
        *out = o;
        return 0;
    }
    if (pl && pl->kind == PK_STR) {
        /* Python 3 writing proto <= 2 without _codecs: latin-1 text. */
        const uint8_t *p = pl->u.s.p;
        size_t n = pl->u.s.n, k = 0, w = 0;
        uint8_t *d = pk_graph_alloc(pk_vm_graph(vm), n + 1);
        if (!d)
            return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
        while (k < n) {
            if (p[k] < 0x80)
                d[w++] = p[k++];
            else if (k + 1 < n && p[k] >= 0xc2 && p[k] <= 0xc3) {
                d[w++] = (uint8_t)(((p[k] & 0x1f) << 6) | (p[k + 1] & 0x3f));
                k += 2;
            } else
                return pk_vm_fail(vm, SKC_E_FORMAT, off, "scalar text is not latin-1");
        }
        o->u.sc.p = d;
        o->u.sc.n = w;
    } else if (pl && pl->kind == PK_BYTES) {
        o->u.sc.p = pl->u.s.p;
        o->u.sc.n = pl->u.s.n;
    } else {
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "numpy scalar payload is a %s",
                          pk_kind_name(pk_kind_of(pl)));
    }
    if (o->u.sc.n != dto->u.dt->itemsize)
        return pk_vm_fail(vm, SKC_E_FORMAT, off,
                          "numpy scalar of %zu bytes for itemsize %u",
                          o->u.sc.n, dto->u.dt->itemsize);
    *out = o;
    return 0;
}

/* Protocol 5: _frombuffer(buf, dtype, shape, order[, axis_order]) (§2.5). */
int pk_np_frombuffer(pk_vm *vm, pk_obj *args, uint64_t off, pk_obj **out)
{
    pk_obj *buf = pk_np_item(args, 0), *dto = pk_np_item(args, 1);
    pk_obj *shape = pk_np_item(args, 2), *order = pk_np_item(args, 3);
    pk_obj *axes = pk_np_item(args, 4);
    if (!buf || buf->kind != PK_BYTES || !dto || dto->kind != PK_DTYPE ||
        args->u.seq.n < 4 || args->u.seq.n > 5)
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "_frombuffer arguments malformed");
    if (pk_np_dtype_is_obj(dto->u.dt))
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "_frombuffer with an object dtype");
    pk_graph *g = pk_vm_graph(vm);
    pk_obj *o = pk_graph_node(g, PK_ARRAY, off);
    pk_arr *a = pk_graph_alloc(g, sizeof *a);
    if (!o || !a)
        return pk_vm_fail(vm, SKC_E_NOMEM, off, "out of memory");
    o->u.arr = a;
    a->dtype = dto;
    int rc = pk_np_shape_from(vm, shape, a);
    if (rc < 0)
        return rc;
    if (pk_text_eq(order, "F")) {
        a->fortran = 1;
    } else if (pk_text_eq(order, "K") && axes && axes->kind == PK_TUPLE &&
               axes->u.seq.n == (size_t)a->ndim) {
        /* numpy >= 2.3: reshape(shape, 'C').transpose(axis_order). The
         * identity is C order and the reversal is Fortran order of the
         * transposed shape; other permutations do not occur for 2-D. */
        int ident = 1, rev = 1;
        for (int k = 0; k < a->ndim; k++) {
            int64_t v;
            if (pk_np_int(axes->u.seq.items[k], &v) < 0)
                return pk_vm_fail(vm, SKC_E_FORMAT, off, "_frombuffer axis_order malformed");
            ident &= v == k;
            rev &= v == a->ndim - 1 - k;
        }
        if (!ident && rev) {
            int64_t t[PK_MAX_NDIM];
            for (int k = 0; k < a->ndim; k++)
                t[k] = a->shape[a->ndim - 1 - k];
            memcpy(a->shape, t, sizeof(int64_t) * (size_t)a->ndim);
            a->fortran = 1;
        } else if (!ident) {
            return pk_vm_fail(vm, SKC_E_UNSUPPORTED, off,
                              "_frombuffer with axis order other than C or F");
        }
    } else if (!pk_text_eq(order, "C")) {
        return pk_vm_fail(vm, SKC_E_FORMAT, off, "_frombuffer order is not 'C' or 'F'");
    }
    size_t nbytes;
    if ((rc = pk_np_array_count(vm, a, &nbytes)) < 0)
        return rc;
    if (buf->u.s.n != nbytes)
        return pk_vm_fail(vm, SKC_E_FORMAT, off,
                          "buffer length %zu != prod(shape) * itemsize = %zu",
                          buf->u.s.n, nbytes);
    a->built = 1;
    o->flags |= PK_F_BUILT;
    if ((rc = pk_np_attach(vm, o, buf->u.s.p, nbytes, 1)) < 0)
        return rc;
    *out = o;
    return 0;
}

/* ---------------------------------------------------------------- */
/* Accessors (pk_graph.h)                                            */
/* ---------------------------------------------------------------- */

int pk_array(const pk_obj *o, pk_array_info *info)
{
    if (!o || o->kind != PK_ARRAY || !o->u.arr || !o->u.arr->built)
        return SKC_E_INVAL;
    const pk_arr *a = o->u.arr;
    const pk_dtype *dt = a->dtype->u.dt;
    memset(info, 0, sizeof *info);
    info->kind = dt->nfields ? 'V' : dt->kind;
    info->byteorder = dt->byteorder;
    info->itemsize = dt->itemsize;
    info->ndim = a->ndim;
    memcpy(info->shape, a->shape, sizeof(int64_t) * (size_t)a->ndim);
    info->fortran = a->fortran;
    info->data = a->objs ? NULL : a->data;
    info->nbytes = a->objs ? 0 : a->nbytes;
    return 0;
}

/* Storage index of logical (C order) element i. */
static size_t pk_np_storage(const pk_arr *a, size_t i)
{
    if (!a->fortran || a->ndim < 2)
        return i;
    size_t idx[PK_MAX_NDIM];
    for (int k = a->ndim - 1; k >= 0; k--) {
        size_t d = (size_t)a->shape[k];
        idx[k] = d ? i % d : 0;
        i = d ? i / d : 0;
    }
    size_t s = 0;
    for (int k = a->ndim - 1; k >= 0; k--)
        s = s * (size_t)a->shape[k] + idx[k];
    return s;
}

const pk_obj *pk_array_object(const pk_obj *o, size_t i)
{
    if (!o || o->kind != PK_ARRAY || !o->u.arr || !o->u.arr->objs ||
        i >= o->u.arr->count)
        return NULL;
    return o->u.arr->objs[pk_np_storage(o->u.arr, i)];
}

static void pk_np_load(const uint8_t *p, uint32_t w, char bo, uint8_t *out)
{
    int swap = bo != '|' && bo != pk_np_native() && w > 1;
    for (uint32_t k = 0; k < w; k++)
        out[k] = swap ? p[w - 1 - k] : p[k];
}

static int pk_np_read_num(const uint8_t *p, char kind, uint32_t w, char bo,
                          double *d, int64_t *iv, int *is_int)
{
    uint8_t b[16];
    if (w > 16)
        return SKC_E_INVAL;
    pk_np_load(p, w, bo, b);
    *is_int = 0;
    switch (kind) {
    case 'b':
        *iv = b[0] != 0;
        *d = (double)*iv;
        *is_int = 1;
        return 0;
    case 'i': case 'u': case 'm': case 'M': {
        if (w != 1 && w != 2 && w != 4 && w != 8)
            return SKC_E_INVAL;
        int64_t v;
        if (kind == 'u') {
            uint64_t u = 0;
            if (w == 1) { uint8_t x; memcpy(&x, b, 1); u = x; }
            else if (w == 2) { uint16_t x; memcpy(&x, b, 2); u = x; }
            else if (w == 4) { uint32_t x; memcpy(&x, b, 4); u = x; }
            else memcpy(&u, b, 8);
            *d = (double)u;
            if (u > INT64_MAX)
                return SKC_E_INVAL;
            v = (int64_t)u;
        } else {
            if (w == 1) { int8_t x; memcpy(&x, b, 1); v = x; }
            else if (w == 2) { int16_t x; memcpy(&x, b, 2); v = x; }
            else if (w == 4) { int32_t x; memcpy(&x, b, 4); v = x; }
            else memcpy(&v, b, 8);
            *d = (double)v;
        }
        *iv = v;
        *is_int = 1;
        return 0;
    }
    case 'f':
        if (w == 8) { double x; memcpy(&x, b, 8); *d = x; }
        else if (w == 4) { float x; memcpy(&x, b, 4); *d = x; }
        else if (w == 2) {
            /* IEEE half precision */
            uint16_t h = (uint16_t)(b[0] | (b[1] << 8));
            int e = (h >> 10) & 0x1f;
            unsigned m = h & 0x3ffu;
            double v;
            if (e == 0) v = m / 16777216.0;
            else if (e == 31) v = m ? NAN : INFINITY;
            else {
                v = 1.0 + m / 1024.0;
                for (int k = 15; k < e; k++) v *= 2;
                for (int k = e; k < 15; k++) v /= 2;
            }
            *d = (h & 0x8000) ? -v : v;
        } else return SKC_E_UNSUPPORTED;
        return 0;
    default:
        return SKC_E_INVAL;
    }
}

static int pk_np_elem(const pk_obj *o, size_t i, const uint8_t **p,
                      const pk_dtype **dt)
{
    if (!o)
        return SKC_E_INVAL;
    if (o->kind == PK_SCALAR) {
        if (i != 0 || !o->u.sc.p)
            return SKC_E_INVAL;
        *p = o->u.sc.p;
        *dt = o->u.sc.dtype->u.dt;
        return 0;
    }
    if (o->kind != PK_ARRAY || !o->u.arr || !o->u.arr->built || !o->u.arr->data)
        return SKC_E_INVAL;
    const pk_arr *a = o->u.arr;
    if (i >= a->count)
        return SKC_E_INVAL;
    *dt = a->dtype->u.dt;
    *p = a->data + pk_np_storage(a, i) * (*dt)->itemsize;
    return 0;
}

int pk_array_get_f64(const pk_obj *o, size_t i, double *v)
{
    const uint8_t *p;
    const pk_dtype *dt;
    int64_t iv;
    int isint;
    if (pk_np_elem(o, i, &p, &dt) < 0 || dt->nfields)
        return SKC_E_INVAL;
    return pk_np_read_num(p, dt->kind, dt->itemsize, dt->byteorder, v, &iv, &isint);
}

int pk_array_get_i64(const pk_obj *o, size_t i, int64_t *v)
{
    const uint8_t *p;
    const pk_dtype *dt;
    double d;
    int isint;
    if (pk_np_elem(o, i, &p, &dt) < 0 || dt->nfields)
        return SKC_E_INVAL;
    int rc = pk_np_read_num(p, dt->kind, dt->itemsize, dt->byteorder, &d, v, &isint);
    if (rc < 0)
        return rc;
    if (!isint) {
        if (!(d == d) || d != (double)(int64_t)d)
            return SKC_E_INVAL;
        *v = (int64_t)d;
    }
    return 0;
}

int pk_array_get_str(const pk_obj *o, size_t i, char *buf, size_t buflen)
{
    const uint8_t *p;
    const pk_dtype *dt;
    if (!buflen || pk_np_elem(o, i, &p, &dt) < 0)
        return SKC_E_INVAL;
    size_t w = 0;
    if (dt->kind == 'S') {
        size_t n = dt->itemsize;
        while (n && p[n - 1] == 0)
            n--;
        for (size_t k = 0; k < n; k++) {
            uint8_t tmp[4];
            size_t m;
            if (p[k] < 0x80) { tmp[0] = p[k]; m = 1; }
            else { tmp[0] = (uint8_t)(0xc0 | (p[k] >> 6)); tmp[1] = (uint8_t)(0x80 | (p[k] & 0x3f)); m = 2; }
            if (w + m >= buflen)
                return SKC_E_LIMIT;
            memcpy(buf + w, tmp, m);
            w += m;
        }
    } else if (dt->kind == 'U') {
        size_t n = dt->itemsize / 4;
        for (size_t k = 0; k < n; k++) {
            uint8_t cb[4];
            pk_np_load(p + 4 * k, 4, dt->byteorder, cb);
            uint32_t c;
            memcpy(&c, cb, 4);
            if (c == 0)
                break;
            if (c > 0x10ffff)
                return SKC_E_INVAL;
            uint8_t tmp[4];
            size_t m;
            if (c < 0x80) { tmp[0] = (uint8_t)c; m = 1; }
            else if (c < 0x800) { tmp[0] = (uint8_t)(0xc0 | (c >> 6)); tmp[1] = (uint8_t)(0x80 | (c & 0x3f)); m = 2; }
            else if (c < 0x10000) { tmp[0] = (uint8_t)(0xe0 | (c >> 12)); tmp[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f)); tmp[2] = (uint8_t)(0x80 | (c & 0x3f)); m = 3; }
            else { tmp[0] = (uint8_t)(0xf0 | (c >> 18)); tmp[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f)); tmp[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f)); tmp[3] = (uint8_t)(0x80 | (c & 0x3f)); m = 4; }
            if (w + m >= buflen)
                return SKC_E_LIMIT;
            memcpy(buf + w, tmp, m);
            w += m;
        }
    } else {
        return SKC_E_INVAL;
    }
    buf[w] = 0;
    return 0;
}

static const pk_field *pk_np_field(const pk_obj *o, const char *name)
{
    if (!o || o->kind != PK_ARRAY || !o->u.arr || !o->u.arr->dtype)
        return NULL;
    const pk_dtype *dt = o->u.arr->dtype->u.dt;
    for (size_t i = 0; i < dt->nfields; i++)
        if (strcmp(dt->fields[i].name, name) == 0)
            return &dt->fields[i];
    return NULL;
}

int pk_array_field(const pk_obj *o, const char *name, char *kind,
                   uint32_t *itemsize, uint32_t *offset, char *byteorder)
{
    const pk_field *f = pk_np_field(o, name);
    if (!f)
        return SKC_E_NOT_FOUND;
    const pk_dtype *fd = f->dtype->u.dt;
    if (kind) *kind = fd->nfields ? 'V' : fd->kind;
    if (itemsize) *itemsize = fd->itemsize;
    if (offset) *offset = f->offset;
    if (byteorder) *byteorder = fd->byteorder;
    return 0;
}

static int pk_np_field_read(const pk_obj *o, size_t i, const char *field,
                            double *d, int64_t *iv, int *isint)
{
    const pk_field *f = pk_np_field(o, field);
    const uint8_t *p;
    const pk_dtype *dt;
    if (!f)
        return SKC_E_NOT_FOUND;
    if (pk_np_elem(o, i, &p, &dt) < 0)
        return SKC_E_INVAL;
    const pk_dtype *fd = f->dtype->u.dt;
    if (fd->nfields || fd->sub_base)
        return SKC_E_INVAL;
    return pk_np_read_num(p + f->offset, fd->kind, fd->itemsize, fd->byteorder,
                          d, iv, isint);
}

int pk_array_field_f64(const pk_obj *o, size_t i, const char *field, double *v)
{
    int64_t iv;
    int isint;
    return pk_np_field_read(o, i, field, v, &iv, &isint);
}

int pk_array_field_i64(const pk_obj *o, size_t i, const char *field, int64_t *v)
{
    double d;
    int isint;
    int rc = pk_np_field_read(o, i, field, &d, v, &isint);
    if (rc < 0)
        return rc;
    if (!isint) {
        if (!(d == d) || d != (double)(int64_t)d)
            return SKC_E_INVAL;
        *v = (int64_t)d;
    }
    return 0;
}

/* Scalars through the generic accessors (pk_graph.h). */
int pk_int(const pk_obj *o, int64_t *v)
{
    if (!o)
        return SKC_E_INVAL;
    if (o->kind == PK_INT || o->kind == PK_BOOL) {
        *v = o->u.i;
        return 0;
    }
    if (o->kind == PK_SCALAR)
        return pk_array_get_i64(o, 0, v);
    return SKC_E_INVAL;
}

int pk_float(const pk_obj *o, double *v)
{
    if (!o)
        return SKC_E_INVAL;
    if (o->kind == PK_FLOAT) {
        *v = o->u.f;
        return 0;
    }
    if (o->kind == PK_INT || o->kind == PK_BOOL) {
        *v = (double)o->u.i;
        return 0;
    }
    if (o->kind == PK_SCALAR)
        return pk_array_get_f64(o, 0, v);
    return SKC_E_INVAL;
}

const pk_obj *pk_instance_raw_state(const pk_obj *o)
{
    if (!o || (o->kind != PK_INSTANCE && o->kind != PK_REDUCE))
        return NULL;
    return o->u.red.state;
}
