/* SPDX-License-Identifier: MIT */
/* sk_compose.c: compositions (Pipeline and its subclasses) chained step by step.
 *
 * Pipeline.steps is a list of (name, estimator) tuples in every version;
 * an estimator may be None or 'passthrough' (0.21 +), which skip.
 */
#include <stdio.h>
#include <string.h>
#include "sk_lift.h"

static int comp_is_passthrough(const pk_obj *o)
{
    const char *s;
    size_t len;

    if (!o || pk_kind_of(o) == PK_NONE)
        return 1;
    return pk_str(o, &s, &len) == SKC_OK && strcmp(s, "passthrough") == 0;
}

static int comp_pipeline(sk_ctx *c, const pk_obj *est, const char *in,
                         int64_t in_width, char *out, int64_t *out_width)
{
    const pk_obj *steps = pk_attr(est, "steps"), *pair, *sub;
    char cur[64], next[64];
    const char *nm;
    int64_t width = in_width, w;
    size_t i, n, plen, namelen;
    int rc, role = 0, final = c->final, last;

    if (!steps || (pk_kind_of(steps) != PK_LIST && pk_kind_of(steps) != PK_TUPLE))
        return sk_fail(c, SKC_E_FORMAT, "Pipeline.steps is missing or not a list");
    n = pk_len(steps);
    if (n == 0)
        return sk_fail(c, SKC_E_FORMAT, "Pipeline has no steps");
    snprintf(cur, sizeof(cur), "%s", in);
    for (i = 0; i < n; i++) {
        pair = pk_item(steps, i);
        if (!pair || pk_len(pair) != 2 || pk_str(pk_item(pair, 0), &nm, &namelen) != SKC_OK)
            return sk_fail(c, SKC_E_FORMAT, "Pipeline.steps[%zu] is not a (name, estimator) pair", i);
        sub = pk_item(pair, 1);
        last = i + 1 == n;
        if (comp_is_passthrough(sub)) {
            if (last && final)
                return sk_fail(c, SKC_E_UNSUPPORTED, "a Pipeline ending in passthrough");
            continue;
        }
        plen = strlen(c->path);
        snprintf(c->path + plen, sizeof(c->path) - plen, "[%s]", nm);
        c->final = last ? final : 0;
        rc = sk_lift_estimator(c, sub, cur, width, next, &w, &role);
        c->final = final;
        if (rc)
            return rc;
        c->path[plen] = '\0';
        if (!last && role != SK_TRANSFORMER)
            return sk_fail(c, SKC_E_FORMAT, "Pipeline step '%s' is not a transformer but is not last", nm);
        snprintf(cur, sizeof(cur), "%s", next);
        width = w;
    }
    snprintf(out, 64, "%s", cur);
    *out_width = width;
    /* The pipeline plays the role of its last step. */
    c->wrapped_role = role;
    return SKC_OK;
}

const sk_family sk_compose_families[] = {
    { "sklearn.pipeline.Pipeline", SK_WRAPPER, comp_pipeline },
    { NULL, 0, NULL }
};
