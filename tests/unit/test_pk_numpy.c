/* SPDX-License-Identifier: MIT */
/* test_pk_numpy.c: numpy arrays, dtypes and scalars and joblib wrappers read from real numpy/joblib pickles, plus the payload lies of research/FORMATS.md §5.6 (29-30 and additions). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include "pk_internal.h"
#include "pk_load.h"
#include "test_pk_vectors.h"

#define V(lit) (const uint8_t *)(lit), sizeof(lit) - 1
#define A(arr) arr, sizeof(arr)

static char err[512];

static int load(const uint8_t *p, size_t n, pk_graph **g)
{
    pk_vm_opts o;
    memset(&o, 0, sizeof o);
    return pk_load_bytes(p, n, &o, g, err, sizeof err);
}

static pk_graph *ok(const uint8_t *p, size_t n)
{
    pk_graph *g = NULL;
    int rc = load(p, n, &g);
    if (rc)
        fail_msg("expected success, got %d: %s", rc, err);
    return g;
}

static void refused(const uint8_t *p, size_t n, int code, const char *why)
{
    pk_graph *g = NULL;
    int rc = load(p, n, &g);
    if (rc != code)
        fail_msg("expected %d, got %d: %s", code, rc, err);
    if (why && !strstr(err, why))
        fail_msg("message '%s' lacks '%s'", err, why);
}

/* arange(6).reshape(2,3) whatever the storage order */
static void check_a23(const pk_obj *a)
{
    pk_array_info ai;
    assert_int_equal(pk_array(a, &ai), 0);
    assert_int_equal(ai.kind, 'f');
    assert_int_equal(ai.itemsize, 8);
    assert_int_equal(ai.ndim, 2);
    assert_int_equal(ai.shape[0], 2);
    assert_int_equal(ai.shape[1], 3);
    for (size_t i = 0; i < 6; i++) {
        double d;
        assert_int_equal(pk_array_get_f64(a, i, &d), 0);
        assert_true(d == (double)i);
    }
}

static void t_c_and_f_order(void **st)
{
    (void)st;
    static const struct { const uint8_t *p; size_t n; int fortran; } v[] = {
        { A(pkv_c_f8_p2), 0 }, { A(pkv_c_f8_p4), 0 }, { A(pkv_c_f8_p5), 0 },
        { A(pkv_f_f8_p4), 1 }, { A(pkv_f_f8_p5), 1 },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        pk_graph *g = ok(v[i].p, v[i].n);
        pk_array_info ai;
        check_a23(pk_graph_root(g));
        assert_int_equal(pk_array(pk_graph_root(g), &ai), 0);
        assert_int_equal(ai.fortran, v[i].fortran);
        pk_graph_free(g);
    }
}

static void t_kinds(void **st)
{
    (void)st;
    pk_graph *g = ok(A(pkv_be_i4_p2));
    const pk_obj *r = pk_graph_root(g);
    pk_array_info ai;
    assert_int_equal(pk_array(r, &ai), 0);
    assert_int_equal(ai.kind, 'i');
    /* foreign byte order is normalised to native in a copy */
    int32_t x;
    memcpy(&x, ai.data + 12, 4);
    assert_int_equal(x, 3);
    pk_graph_free(g);

    char buf[32];
    g = ok(A(pkv_u_p4));
    assert_int_equal(pk_array_get_str(pk_graph_root(g), 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "ab");
    assert_int_equal(pk_array_get_str(pk_graph_root(g), 1, buf, sizeof buf), 0);
    assert_string_equal(buf, "c");
    pk_graph_free(g);
    g = ok(A(pkv_s_p4));
    assert_int_equal(pk_array_get_str(pk_graph_root(g), 1, buf, sizeof buf), 0);
    assert_string_equal(buf, "z");
    pk_graph_free(g);
    g = ok(A(pkv_bool_p4));
    int64_t b;
    assert_int_equal(pk_array_get_i64(pk_graph_root(g), 2, &b), 0);
    assert_int_equal(b, 1);
    pk_graph_free(g);
    g = ok(A(pkv_c16_p4));
    assert_int_equal(pk_array(pk_graph_root(g), &ai), 0);
    assert_int_equal(ai.kind, 'c');
    assert_int_equal(ai.itemsize, 16);
    pk_graph_free(g);
    g = ok(A(pkv_obj_p4));
    r = pk_graph_root(g);
    assert_int_equal(pk_array(r, &ai), 0);
    assert_int_equal(ai.kind, 'O');
    assert_null(ai.data);
    const char *s;
    assert_int_equal(pk_str(pk_array_object(r, 0), &s, NULL), 0);
    assert_string_equal(s, "x");
    int64_t seven;
    assert_int_equal(pk_int(pk_array_object(r, 1), &seven), 0);
    assert_int_equal(seven, 7);
    pk_graph_free(g);
}

static void t_structured(void **st)
{
    (void)st;
    const uint8_t *vs[] = { pkv_struct_p4, pkv_struct_p2 };
    size_t ns[] = { sizeof pkv_struct_p4, sizeof pkv_struct_p2 };
    for (int k = 0; k < 2; k++) {
        pk_graph *g = ok(vs[k], ns[k]);
        const pk_obj *r = pk_graph_root(g);
        char kind, bo;
        uint32_t isz, off;
        assert_int_equal(pk_array_field(r, "threshold", &kind, &isz, &off, &bo), 0);
        assert_int_equal(kind, 'f');
        assert_int_equal(off, 24);
        assert_int_equal(pk_array_field(r, "missing_go_to_left", NULL, NULL, NULL, NULL),
                         SKC_E_NOT_FOUND);
        int64_t lc;
        double th;
        assert_int_equal(pk_array_field_i64(r, 0, "left_child", &lc), 0);
        assert_int_equal(lc, 1);
        assert_int_equal(pk_array_field_i64(r, 2, "left_child", &lc), 0);
        assert_int_equal(lc, -1);
        assert_int_equal(pk_array_field_f64(r, 0, "threshold", &th), 0);
        assert_true(th == 0.5);
        pk_graph_free(g);
    }
}

static void t_scalars(void **st)
{
    (void)st;
    double d;
    int64_t i;
    pk_graph *g = ok(A(pkv_scalar_p4));
    assert_int_equal(pk_kind_of(pk_graph_root(g)), PK_SCALAR);
    assert_int_equal(pk_float(pk_graph_root(g), &d), 0);
    assert_true(d == 1.5);
    pk_graph_free(g);
    g = ok(A(pkv_scalar_p2));
    assert_int_equal(pk_int(pk_graph_root(g), &i), 0);
    assert_int_equal(i, -3);
    pk_graph_free(g);
    g = ok(A(pkv_dict_p0));
    const pk_obj *a = pk_dict_get(pk_graph_root(g), "a");
    assert_int_equal(pk_array_get_f64(a, 2, &d), 0);
    assert_true(d == 2.0);
    pk_graph_free(g);
}

static void t_joblib(void **st)
{
    (void)st;
    double d;
    pk_graph_info gi;
    pk_graph *g = ok(A(pkv_jl_aligned));
    const pk_obj *a = pk_dict_get(pk_graph_root(g), "a");
    pk_array_info ai;
    assert_int_equal(pk_array(a, &ai), 0);
    /* zero-copy into the input, 16-aligned by joblib's padding */
    assert_true(ai.data >= pkv_jl_aligned && ai.data < pkv_jl_aligned + sizeof pkv_jl_aligned);
    assert_int_equal((ai.data - pkv_jl_aligned) % 16, 0);
    assert_int_equal(pk_array_get_f64(a, 4, &d), 0);
    assert_true(d == 4.0);
    check_a23(pk_dict_get(pk_graph_root(g), "f"));
    pk_graph_info_get(g, &gi);
    assert_string_equal(gi.container, "joblib");
    pk_graph_free(g);

    g = ok(A(pkv_jl_stream));
    assert_int_equal(pk_array_get_f64(pk_dict_get(pk_graph_root(g), "a"), 3, &d), 0);
    assert_true(d == 3.0);
    pk_graph_free(g);

    g = ok(A(pkv_jl_obj));
    const pk_obj *o = pk_dict_get(pk_graph_root(g), "o");
    const char *s;
    assert_int_equal(pk_str(pk_array_object(o, 1), &s, NULL), 0);
    assert_string_equal(s, "q");
    pk_graph_free(g);

    g = ok(A(pkv_jl_zlib));
    pk_graph_info_get(g, &gi);
    assert_string_equal(gi.compression, "zlib");
    assert_int_equal(pk_array_get_f64(pk_dict_get(pk_graph_root(g), "a"), 4, &d), 0);
    assert_true(d == 4.0);
    pk_graph_free(g);
}

/* ---------------- hand-built payload lies ---------------- */

typedef struct pbuf { uint8_t b[4096]; size_t n; } pbuf;

static void put(pbuf *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof p->b);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}
#define PUT(p, lit) put(p, lit, sizeof(lit) - 1)

static void ustr(pbuf *p, const char *s)
{
    uint8_t h[2] = { 0x8c, (uint8_t)strlen(s) };
    put(p, h, 2);
    put(p, s, strlen(s));
}

/* numpy.dtype('<f8') with its BUILD, protocol 4 */
static void dtype_f8(pbuf *p)
{
    ustr(p, "numpy"); ustr(p, "dtype"); PUT(p, "\x93");
    ustr(p, "f8"); PUT(p, "\x89\x88\x87R");
    PUT(p, "(K\x03"); ustr(p, "<");
    PUT(p, "NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb");
}

/* A joblib wrapper for shape (n,) f8; data and padding appended by caller. */
static void wrapper(pbuf *p, const char *subm, const char *subn, int n, int align)
{
    ustr(p, "joblib.numpy_pickle"); ustr(p, "NumpyArrayWrapper"); PUT(p, "\x93)\x81}(");
    ustr(p, "subclass"); ustr(p, subm); ustr(p, subn); PUT(p, "\x93");
    ustr(p, "shape"); PUT(p, "J"); put(p, &n, 4); PUT(p, "\x85");
    ustr(p, "order"); ustr(p, "C");
    ustr(p, "dtype"); dtype_f8(p);
    ustr(p, "allow_mmap"); PUT(p, "\x88");
    if (align) {
        ustr(p, "numpy_array_alignment_bytes");
        PUT(p, "K\x10");
    }
    PUT(p, "ub");
}

static void pad_to16(pbuf *p)
{
    uint8_t pad = (uint8_t)(16 - ((p->n + 1) % 16));
    put(p, &pad, 1);
    for (int i = 0; i < pad; i++)
        PUT(p, "\xff");
}

static void t_joblib_lies(void **st)
{
    (void)st;
    pbuf p;
    double zeros[4] = { 0 };
    /* good baseline */
    p.n = 0;
    PUT(&p, "\x80\x04");
    wrapper(&p, "numpy", "ndarray", 4, 1);
    pad_to16(&p);
    put(&p, zeros, sizeof zeros);
    PUT(&p, ".");
    pk_graph *g = ok(p.b, p.n);
    pk_graph_free(g);
    /* claims 2 GiB with 64 bytes present */
    p.n = 0;
    PUT(&p, "\x80\x04");
    wrapper(&p, "numpy", "ndarray", 0x10000000, 1);
    pad_to16(&p);
    put(&p, zeros, sizeof zeros);
    PUT(&p, ".");
    refused(p.b, p.n, SKC_E_FORMAT, "left in the file");
    /* pad length 0x40 */
    p.n = 0;
    PUT(&p, "\x80\x04");
    wrapper(&p, "numpy", "ndarray", 4, 1);
    PUT(&p, "\x40");
    put(&p, zeros, sizeof zeros);
    PUT(&p, ".");
    refused(p.b, p.n, SKC_E_FORMAT, "bad pad length");
    /* subclass = os.system */
    p.n = 0;
    PUT(&p, "\x80\x04");
    wrapper(&p, "os", "system", 4, 1);
    refused(p.b, p.n, SKC_E_MALICIOUS, "os.system");
    /* subclass = a known but wrong class */
    p.n = 0;
    PUT(&p, "\x80\x04");
    wrapper(&p, "numpy", "dtype", 4, 1);
    pad_to16(&p);
    put(&p, zeros, sizeof zeros);
    PUT(&p, ".");
    refused(p.b, p.n, SKC_E_UNSAFE, "subclass");
    /* a GET of the wrapper after its data */
    p.n = 0;
    PUT(&p, "\x80\x04");
    ustr(&p, "joblib.numpy_pickle"); ustr(&p, "NumpyArrayWrapper"); PUT(&p, "\x93)\x81\x94");
    size_t cut = p.n;
    (void)cut;
    p.n = 0;
    PUT(&p, "\x80\x04");
    wrapper(&p, "numpy", "ndarray", 4, 0);
    put(&p, zeros, sizeof zeros);
    PUT(&p, "0h\x00.");          /* memo 0 is never set here: a missing key */
    refused(p.b, p.n, SKC_E_FORMAT, "memo");
    p.n = 0;
    PUT(&p, "\x80\x04");
    ustr(&p, "joblib.numpy_pickle"); ustr(&p, "NumpyArrayWrapper"); PUT(&p, "\x93)\x81q\x00}(");
    ustr(&p, "subclass"); ustr(&p, "numpy"); ustr(&p, "ndarray"); PUT(&p, "\x93");
    ustr(&p, "shape"); PUT(&p, "K\x04\x85");
    ustr(&p, "order"); ustr(&p, "C");
    ustr(&p, "dtype"); dtype_f8(&p);
    PUT(&p, "ub");
    put(&p, zeros, sizeof zeros);
    PUT(&p, "0h\x00.");
    refused(p.b, p.n, SKC_E_FORMAT, "wrapper");
    /* object dtype: the nested pickle is malicious */
    p.n = 0;
    PUT(&p, "\x80\x04");
    ustr(&p, "joblib.numpy_pickle"); ustr(&p, "NumpyArrayWrapper"); PUT(&p, "\x93)\x81}(");
    ustr(&p, "subclass"); ustr(&p, "numpy"); ustr(&p, "ndarray"); PUT(&p, "\x93");
    ustr(&p, "shape"); PUT(&p, "K\x01\x85");
    ustr(&p, "order"); ustr(&p, "C");
    ustr(&p, "dtype"); ustr(&p, "numpy"); ustr(&p, "dtype"); PUT(&p, "\x93");
    ustr(&p, "O8"); PUT(&p, "\x89\x88\x87R(K\x03"); ustr(&p, "|");
    PUT(&p, "NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb");
    PUT(&p, "ub");
    PUT(&p, "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00id\x85R.");
    PUT(&p, ".");
    refused(p.b, p.n, SKC_E_MALICIOUS, "os.system");
}

static void t_ndarray_lies(void **st)
{
    (void)st;
#define RECON "\x80\x02" "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01" "b\x87R"
#define DT "cnumpy\ndtype\nU\x02" "f8K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    pk_graph *g = ok(V(RECON "(K\x01K\x01\x85" DT "\x89U\x08\x00\x00\x00\x00\x00\x00\xf0?tb."));
    double d;
    assert_int_equal(pk_array_get_f64(pk_graph_root(g), 0, &d), 0);
    assert_true(d == 1.0);
    pk_graph_free(g);
    refused(V(RECON "(K\x01K\x04\x85" DT "\x89U\x08\x00\x00\x00\x00\x00\x00\xf0?tb."),
            SKC_E_FORMAT, "raw data length");
    refused(V(RECON "(K\x01J\xff\xff\xff\xff\x85" DT "\x89U\x00tb."), SKC_E_FORMAT, "negative");
    refused(V(RECON "(K\x01\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x40\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x40\x86" DT "\x89U\x00tb."),
            SKC_E_LIMIT, "overflows");
    refused(V("\x80\x02" "cnumpy\ndtype\nX\x0b\x00\x00\x00V4294967296\x89\x88\x87R."),
            SKC_E_LIMIT, "unreasonably large");
    refused(V("\x80\x02" "cnumpy\ndtype\nU\x02" "f8K\x00K\x01\x87R(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb(K\x03U\x01>NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb."),
            SKC_E_FORMAT, "second BUILD");
    /* _reconstruct of something that is not ndarray */
    refused(V("\x80\x02" "cnumpy.core.multiarray\n_reconstruct\ncnumpy\ndtype\nK\x00\x85U\x01" "b\x87R."),
            SKC_E_UNSAFE, "_reconstruct");
    /* a structured field running past the item */
    refused(V("\x80\x02" "cnumpy\ndtype\nU\x02V8K\x00K\x01\x87R(K\x03U\x01|N(U\x01xt}U\x01x" DT "K\x04\x86sK\x08K\x01K\x00tb."),
            SKC_E_FORMAT, "overruns");
#undef RECON
#undef DT
}

typedef struct cfile { const char *name; const uint8_t *data; size_t size; } cfile;

static int companion(void *user, const char *name, const uint8_t **d, size_t *n)
{
    const cfile *files = user;
    for (size_t i = 0; files[i].name; i++) {
        if (strcmp(files[i].name, name) == 0) {
            *d = files[i].data;
            *n = files[i].size;
            return 0;
        }
    }
    return SKC_E_NOT_FOUND;
}

static int load_with(const uint8_t *p, size_t n, const cfile *files)
{
    pk_vm_opts o;
    memset(&o, 0, sizeof o);
    o.companion = companion;
    o.companion_user = (void *)files;
    o.main_basename = "model.pkl";
    pk_graph *g = NULL;
    int rc = pk_load_bytes(p, n, &o, &g, err, sizeof err);
    pk_graph_free(g);
    return rc;
}

/* An .npy v1.0 file: header padded to 64 bytes, then data. */
static size_t make_npy(uint8_t *out, const char *header, const void *data, size_t dn)
{
    size_t hl = strlen(header);
    size_t total = 10 + hl + 1;
    size_t padded = (total + 63) / 64 * 64;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (uint8_t)((padded - 10) & 0xff);
    out[9] = (uint8_t)((padded - 10) >> 8);
    memcpy(out + 10, header, hl);
    memset(out + 10 + hl, ' ', padded - total);
    out[padded - 1] = '\n';
    memcpy(out + padded, data, dn);
    return padded + dn;
}

static void t_old_joblib(void **st)
{
    (void)st;
#define NDW(fn) "\x80\x02" "cjoblib.numpy_pickle\nNDArrayWrapper\n)\x81}(U\x08" "filenameU" fn "U\x08subclasscnumpy\nndarray\nub."
    uint8_t npy[256], npy_s[512], nodict[128], huge[64];
    int32_t two[2] = { 1, 2 };
    size_t nn = make_npy(npy, "{'descr': '<i4', 'fortran_order': False, 'shape': (2L,), }", two, sizeof two);
    uint8_t rec[16] = { 0 };
    rec[0] = 7;
    size_t ns = make_npy(npy_s, "{'descr': [('left_child', '<i8'), ('', '|V4'), ('x', '<f4')], "
                                "'fortran_order': False, 'shape': (1,), }", rec, sizeof rec);
    size_t nd = make_npy(nodict, "__import__('os').system('id')", "", 0);
    memcpy(huge, "\x93NUMPY\x02\x00\xff\xff\xff\x00{", 13);
    cfile files[] = { { "model.pkl_01.npy", npy, nn }, { NULL, NULL, 0 } };
    cfile sfiles[] = { { "model.pkl_01.npy", npy_s, ns }, { NULL, NULL, 0 } };
    cfile bad[] = { { "model.pkl_01.npy", nodict, nd }, { NULL, NULL, 0 } };
    cfile bad2[] = { { "model.pkl_01.npy", huge, 13 }, { NULL, NULL, 0 } };
    if (load_with(V(NDW("\x10model.pkl_01.npy")), files) != 0)
        fail_msg("%s", err);
    if (load_with(V(NDW("\x10model.pkl_01.npy")), sfiles) != 0)
        fail_msg("%s", err);
    assert_int_equal(load_with(V(NDW("\x0f../../etc/x.npy")), files), SKC_E_UNSAFE);
    assert_int_equal(load_with(V(NDW("\x10other.pkl_01.npy")), files), SKC_E_UNSAFE);
    assert_int_equal(load_with(V(NDW("\x10model.pkl_02.npy")), files), SKC_E_NOT_FOUND);
    assert_int_equal(load_with(V(NDW("\x10model.pkl_01.npy")), bad), SKC_E_FORMAT);
    assert_true(strstr(err, "literal dict") != NULL);
    assert_int_equal(load_with(V(NDW("\x10model.pkl_01.npy")), bad2), SKC_E_FORMAT);
    assert_true(strstr(err, "exceeds") != NULL);
    /* without a directory, companions are refused */
    refused(V(NDW("\x10model.pkl_01.npy")), SKC_E_UNSUPPORTED, "companion");
#undef NDW
}

static void t_compression(void **st)
{
    (void)st;
    /* a 64 MiB zlib bomb against a 1 MiB limit */
    size_t big = 64u << 20;
    uint8_t *zeros = calloc(1, big);
    uLongf zn = compressBound((uLong)big);
    uint8_t *z = malloc(zn);
    assert_non_null(zeros);
    assert_non_null(z);
    assert_int_equal(compress2(z, &zn, zeros, (uLong)big, 9), Z_OK);
    free(zeros);
    skc_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.struct_size = sizeof lim;
    lim.max_bytes = 1u << 20;
    pk_vm_opts o;
    memset(&o, 0, sizeof o);
    o.limits = &lim;
    pk_graph *g = NULL;
    assert_int_equal(pk_load_bytes(z, zn, &o, &g, err, sizeof err), SKC_E_LIMIT);
    /* and against the ratio limit alone */
    lim.max_bytes = 0;
    lim.max_ratio = 100;
    assert_int_equal(pk_load_bytes(z, zn, &o, &g, err, sizeof err), SKC_E_LIMIT);
    free(z);
    /* truncated zlib */
    assert_int_equal(pk_load_bytes(pkv_jl_zlib, sizeof pkv_jl_zlib / 2, &o, &g, err, sizeof err),
                     SKC_E_FORMAT);
    /* zip and npy are named, not parsed */
    assert_int_equal(pk_load_bytes(V("PK\x03\x04zzzz"), &o, &g, err, sizeof err), SKC_E_UNSUPPORTED);
    assert_int_equal(pk_load_bytes(V("\x93NUMPY\x01\x00"), &o, &g, err, sizeof err), SKC_E_UNSUPPORTED);
}

static void t_nested_depth(void **st)
{
    (void)st;
    /* object array -> object array -> ...: nested pickles are bounded */
    pbuf p;
    p.n = 0;
    for (int lvl = 0; lvl < 6; lvl++) {
        PUT(&p, "\x80\x04");
        ustr(&p, "joblib.numpy_pickle"); ustr(&p, "NumpyArrayWrapper"); PUT(&p, "\x93)\x81}(");
        ustr(&p, "subclass"); ustr(&p, "numpy"); ustr(&p, "ndarray"); PUT(&p, "\x93");
        ustr(&p, "shape"); PUT(&p, "K\x01\x85");
        ustr(&p, "order"); ustr(&p, "C");
        ustr(&p, "dtype"); ustr(&p, "numpy"); ustr(&p, "dtype"); PUT(&p, "\x93");
        ustr(&p, "O8"); PUT(&p, "\x89\x88\x87R(K\x03"); ustr(&p, "|");
        PUT(&p, "NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb");
        PUT(&p, "ub");
    }
    refused(p.b, p.n, SKC_E_LIMIT, "nested pickles");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_c_and_f_order),
        cmocka_unit_test(t_kinds),
        cmocka_unit_test(t_structured),
        cmocka_unit_test(t_scalars),
        cmocka_unit_test(t_joblib),
        cmocka_unit_test(t_joblib_lies),
        cmocka_unit_test(t_ndarray_lies),
        cmocka_unit_test(t_old_joblib),
        cmocka_unit_test(t_compression),
        cmocka_unit_test(t_nested_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
