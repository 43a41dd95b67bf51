/* SPDX-License-Identifier: MIT */
/* pk_allow.c: classifies a pickle global as safe, unknown or malicious from the allowlist and compat tables in formats/pickle. */
#include <string.h>
#include "pk_internal.h"
#include "pk_load.h"

typedef struct pk_allow_row {
    const char *module, *name, *canonical;
    int role;
} pk_allow_row;

typedef struct pk_deny_row {
    const char *module, *name, *reason;   /* name NULL: whole module tree */
} pk_deny_row;

typedef struct pk_compat_row {
    const char *m2, *n2, *m3, *n3;        /* n2 NULL: module rename */
} pk_compat_row;

#define PK_ALLOW(m, n, c, r) { m, n, c, PK_ROLE_##r },
#define PK_DENY(m, n, why)
#define PK_DENY_MODULE(m, why)
static const pk_allow_row pk_allow_rows[] = {
#include "allowlist.def"
};
#undef PK_ALLOW
#undef PK_DENY
#undef PK_DENY_MODULE

#define PK_ALLOW(m, n, c, r)
#define PK_DENY(m, n, why) { m, n, why },
#define PK_DENY_MODULE(m, why) { m, NULL, why },
static const pk_deny_row pk_deny_rows[] = {
#include "allowlist.def"
};
#undef PK_ALLOW
#undef PK_DENY
#undef PK_DENY_MODULE

#define PK_COMPAT_NAME(a, b, c, d) { a, b, c, d },
#define PK_COMPAT_MODULE(a, c) { a, NULL, c, NULL },
static const pk_compat_row pk_compat_rows[] = {
#include "compat.def"
};
#undef PK_COMPAT_NAME
#undef PK_COMPAT_MODULE

#define PK_NROWS(a) (sizeof(a) / sizeof((a)[0]))

static int pk_allow_cmp(const char *m1, const char *n1, const pk_allow_row *r)
{
    int c = strcmp(m1, r->module);
    return c ? c : strcmp(n1, r->name);
}

static const pk_allow_row *pk_allow_find(const char *module, const char *name)
{
    size_t lo = 0, hi = PK_NROWS(pk_allow_rows);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = pk_allow_cmp(module, name, &pk_allow_rows[mid]);
        if (c == 0)
            return &pk_allow_rows[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* "os" denies "os" and "os.path", never "osx". */
static int pk_allow_module_under(const char *module, const char *root)
{
    size_t n = strlen(root);
    return strncmp(module, root, n) == 0 && (module[n] == 0 || module[n] == '.');
}

static const pk_deny_row *pk_allow_denied(const char *module, const char *name)
{
    for (size_t i = 0; i < PK_NROWS(pk_deny_rows); i++) {
        const pk_deny_row *d = &pk_deny_rows[i];
        if (d->name) {
            if (strcmp(module, d->module) == 0 && strcmp(name, d->name) == 0)
                return d;
        } else if (pk_allow_module_under(module, d->module)) {
            return d;
        }
    }
    return NULL;
}

static void pk_allow_compat(const char **module, const char **name)
{
    for (size_t i = 0; i < PK_NROWS(pk_compat_rows); i++) {
        const pk_compat_row *r = &pk_compat_rows[i];
        if (r->n2 && strcmp(*module, r->m2) == 0 && strcmp(*name, r->n2) == 0) {
            *module = r->m3;
            *name = r->n3;
            return;
        }
    }
    for (size_t i = 0; i < PK_NROWS(pk_compat_rows); i++) {
        const pk_compat_row *r = &pk_compat_rows[i];
        if (!r->n2 && strcmp(*module, r->m2) == 0) {
            *module = r->m3;
            return;
        }
    }
}

/* Cython classes pickle through "__pyx_unpickle_<Class>" in the class's
 * module; the function is as safe as the class it names. */
static const pk_allow_row *pk_allow_pyx(const char *module, const char *name)
{
    static const char pfx[] = "__pyx_unpickle_";
    if (strncmp(name, pfx, sizeof pfx - 1) != 0)
        return NULL;
    const pk_allow_row *r = pk_allow_find(module, name + sizeof pfx - 1);
    return r && r->role == PK_ROLE_CLASS ? r : NULL;
}

void pk_allow_classify(const char *module, const char *name, int py2,
                       pk_class_info *out)
{
    const char *m = module, *n = name;
    memset(out, 0, sizeof *out);
    if (py2)
        pk_allow_compat(&m, &n);
    out->module = m;
    out->name = n;
    const pk_deny_row *d = pk_allow_denied(m, n);
    if (!d && (m != module || n != name))
        d = pk_allow_denied(module, name);
    if (!d && !py2) {
        /* A py2 spelling in a protocol-3+ stream is not renamed by
         * CPython, but it must not slip past the deny list either. */
        const char *m2 = module, *n2 = name;
        pk_allow_compat(&m2, &n2);
        if (m2 != module || n2 != name)
            d = pk_allow_denied(m2, n2);
    }
    if (d) {
        out->category = PK_CAT_MALICIOUS;
        out->reason = d->reason;
        return;
    }
    /* A dotted name is an attribute walk in CPython (proto 4): only exact
     * rows match, so "ndarray.__reduce__" is never mistaken for "ndarray". */
    const pk_allow_row *r = pk_allow_find(m, n);
    if (r) {
        out->category = PK_CAT_SAFE;
        out->role = r->role;
        out->canonical = r->canonical;
        out->module = r->module;
        out->name = r->name;
        return;
    }
    r = pk_allow_pyx(m, n);
    if (r) {
        out->category = PK_CAT_SAFE;
        out->role = PK_ROLE_PYX_UNPICKLE;
        out->canonical = r->canonical;
        return;
    }
    out->category = PK_CAT_UNKNOWN;
}

int pk_global_role(const pk_obj *o)
{
    return o && o->kind == PK_GLOBAL ? o->role : PK_ROLE_NONE;
}

const char *pk_allow_canonical(const char *module, const char *name)
{
    pk_class_info ci;
    if (!module || !name)
        return NULL;
    pk_allow_classify(module, name, 1, &ci);
    return ci.category == PK_CAT_SAFE ? ci.canonical : NULL;
}
