/* SPDX-License-Identifier: MIT */
/* sk_select.c: which object of a file becomes the model: the root estimator, the member the reader option `object` names, or the one final estimator of a dict/list/tuple. */
#include <stdio.h>
#include <string.h>
#include "pk_load.h"
#include "sk_lift.h"

#define SK_SELECT_MAX 32   /* members tried; more are listed as ambiguous */

static const char *sk_select_class(const pk_obj *o)
{
    const char *mod, *name;

    sk_canonical(o, &mod, &name);
    return name;
}

/* "scaler (StandardScaler), 1 (PCA)": the members other than @p taken. */
static void sk_select_list(const pk_member *mem, size_t n, size_t total, const pk_obj *taken,
                           char *buf, size_t size)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; i < n && len < size; i++)
        if (mem[i].obj != taken)
            len += (size_t)snprintf(buf + len, size - len, "%s%s (%s)", len ? ", " : "",
                                    mem[i].path, sk_select_class(mem[i].obj));
    if (total > n && len < size)
        snprintf(buf + len, size - len, ", and %zu more", total - n);
}

/* Provenance: the member taken and the estimators left beside it. */
static void sk_select_meta(skc_model *m, const char *path, const char *others)
{
    skc_model_set_meta(m, "source.object", path);
    if (others[0])
        skc_model_set_meta(m, "source.object_others", others);
}

static int sk_select_option(skc_session *s, const pk_obj *root, const char *path,
                            const pk_member *mem, size_t n, size_t total, skc_model **out)
{
    const pk_obj *o = NULL;
    char err[512], others[512];
    int rc;

    rc = pk_member_get(root, path, &o, err, sizeof(err));
    if (rc)
        return skc_set_error(s, SKC_E_INVAL, "-I object=%s: %s", path, err);
    if (pk_kind_of(o) != PK_INSTANCE) {
        sk_select_list(mem, n, total, NULL, others, sizeof(others));
        const char *kn = pk_kind_name(pk_kind_of(o));
        return skc_set_error(s, SKC_E_INVAL, "-I object=%s: %s %s, not an estimator%s%s%s",
                             path, strchr("aeiou", kn[0]) ? "an" : "a", kn,
                             others[0] ? " (estimators: " : "", others, others[0] ? ")" : "");
    }
    if ((rc = sk_lift_root(s, o, path, out, NULL)))
        return rc;
    sk_select_list(mem, n, total, o, others, sizeof(others));
    sk_select_meta(*out, path, others);
    return SKC_OK;
}

int sk_lift_model(skc_session *s, const pk_obj *root, skc_model **out)
{
    const char *path = skc_session_option(s, "object");
    pk_member mem[SK_SELECT_MAX];
    size_t total, n, i, nfinal = 0, nfailed = 0, pick = 0, fail = 0;
    char others[512];
    skc_model *m;
    int kind = pk_kind_of(root), rc, role;

    total = pk_members(root, mem, SK_SELECT_MAX);
    n = total < SK_SELECT_MAX ? total : SK_SELECT_MAX;
    if (path && *path)
        return sk_select_option(s, root, path, mem, n, total, out);
    if (kind != PK_DICT && kind != PK_LIST && kind != PK_TUPLE)
        return sk_lift_root(s, root, NULL, out, NULL);
    if (total == 0)
        return skc_set_error(s, SKC_E_UNKNOWN_FORMAT,
                             "a %s holding no estimator, not a model",
                             pk_kind_name(kind));
    /* Try each member as the whole model: the final estimators (classifiers,
     * regressors, clusterers, pipelines ending in one) are the candidates. */
    for (i = 0; i < n && total <= SK_SELECT_MAX; i++) {
        m = NULL;
        rc = sk_lift_root(s, mem[i].obj, mem[i].path, &m, &role);
        skc_model_free(m);
        if (rc == SKC_OK && role != SK_TRANSFORMER) {
            nfinal++;
            pick = i;
        } else if (rc != SKC_OK) {
            nfailed++;
            fail = i;
        }
    }
    if (nfinal == 0 && total == 1)
        pick = 0;
    else if (nfinal == 0 && nfailed == 1)
        pick = fail;    /* the one that is not a transformer says why it fails */
    else if (nfinal != 1) {
        sk_select_list(mem, n, total, NULL, others, sizeof(others));
        return skc_set_error(s, SKC_E_UNSUPPORTED,
                             "the top-level %s holds %zu estimators%s: %s; choose one "
                             "with -I object=KEY", pk_kind_name(kind), total,
                             total > SK_SELECT_MAX ? ""
                             : nfinal ? " and more than one makes predictions"
                                      : " and none of them alone makes predictions",
                             others);
    }
    if ((rc = sk_lift_root(s, mem[pick].obj, mem[pick].path, out, NULL)))
        return rc;
    sk_select_list(mem, n, total, mem[pick].obj, others, sizeof(others));
    sk_select_meta(*out, mem[pick].path, others);
    if (others[0])
        skc_log(s, SKC_LOG_WARN, "converted '%s' (%s) of the top-level %s; it also holds "
                "%s, not part of the output (-I object=KEY chooses)", mem[pick].path,
                sk_select_class(mem[pick].obj), pk_kind_name(kind), others);
    else
        skc_log(s, SKC_LOG_WARN, "converted '%s' (%s), the only estimator of the top-level "
                "%s; its other entries are ignored", mem[pick].path,
                sk_select_class(mem[pick].obj), pk_kind_name(kind));
    return SKC_OK;
}
