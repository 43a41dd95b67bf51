/* SPDX-License-Identifier: MIT */
/* pk_members.c: estimators kept inside a plain dict/list/tuple, and the paths (`-I object=PATH`) that name them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_internal.h"
#include "pk_load.h"

#define PK_MEMBER_DEPTH  3       /* containers within the root container      */
#define PK_MEMBER_VISIT  100000  /* nodes looked at, whatever the file holds  */

static int pk_member_is_container(const pk_obj *o)
{
    return o && (o->kind == PK_DICT || o->kind == PK_LIST || o->kind == PK_TUPLE);
}

/* An instance of a class the allowlist knows, or of any sklearn module:
 * what a user would call "a model". */
static int pk_member_is_estimator(const pk_obj *o)
{
    const char *mod, *name;

    if (!o || o->kind != PK_INSTANCE || pk_class_name(o, &mod, &name) != SKC_OK)
        return 0;
    return pk_allow_canonical(mod, name) != NULL || strncmp(mod, "sklearn", 7) == 0;
}

/* A key that needs no quoting: non-empty, no '.', '[', ']' or quotes. */
static int pk_member_plain_key(const char *k, size_t n)
{
    return n > 0 && strlen(k) == n && !strpbrk(k, ".[]'\"");
}

/* Append one path step to @p path (size PK_MEMBER_PATH); 0 when it fits. */
static int pk_member_append(char *path, size_t size, const pk_obj *key, size_t index,
                            int is_seq)
{
    size_t len = strlen(path);
    const char *s;
    size_t n;
    int64_t iv;
    int w;

    if (is_seq)
        w = snprintf(path + len, size - len, len ? "[%zu]" : "%zu", index);
    else if (pk_text(key, &s, &n) == 0 && pk_member_plain_key(s, n))
        w = snprintf(path + len, size - len, len ? ".%s" : "%s", s);
    else if (pk_text(key, &s, &n) == 0 && strlen(s) == n && !strchr(s, '\''))
        w = snprintf(path + len, size - len, "['%s']", s);
    else if (pk_int(key, &iv) == 0)
        w = snprintf(path + len, size - len, "[%lld]", (long long)iv);
    else
        return -1;
    return w < 0 || (size_t)w >= size - len ? -1 : 0;
}

typedef struct pk_member_walk {
    pk_member *out;
    size_t cap, n, visits;
} pk_member_walk;

static void pk_member_walk_in(pk_member_walk *w, const pk_obj *c, char *path, int depth)
{
    size_t i, count, plen = strlen(path);
    int is_seq = c->kind != PK_DICT;

    count = is_seq ? c->u.seq.n : c->u.seq.n / 2;
    for (i = 0; i < count && w->visits < PK_MEMBER_VISIT; i++) {
        const pk_obj *v = is_seq ? c->u.seq.items[i] : c->u.seq.items[2 * i + 1];
        const pk_obj *k = is_seq ? NULL : c->u.seq.items[2 * i];

        w->visits++;
        if (!pk_member_is_estimator(v) && !(pk_member_is_container(v) && depth < PK_MEMBER_DEPTH))
            continue;
        if (pk_member_append(path, PK_MEMBER_PATH, k, i, is_seq) == 0) {
            if (pk_member_is_estimator(v)) {
                if (w->n < w->cap) {
                    memcpy(w->out[w->n].path, path, PK_MEMBER_PATH);
                    w->out[w->n].obj = v;
                }
                w->n++;
            } else {
                pk_member_walk_in(w, v, path, depth + 1);
            }
        }
        path[plen] = '\0';
    }
}

size_t pk_members(const pk_obj *root, pk_member *out, size_t cap)
{
    pk_member_walk w = { out, cap, 0, 0 };
    char path[PK_MEMBER_PATH] = "";

    if (!pk_member_is_container(root))
        return 0;
    pk_member_walk_in(&w, root, path, 1);
    return w.n;
}

/* ---- PATH ----------------------------------------------------------------- */

/* "a, b, c, ..." of a dict's keys, for "no such key" messages. */
static void pk_member_keys(const pk_obj *d, char *buf, size_t size)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; i < d->u.seq.n / 2 && len + 8 < size; i++) {
        char one[PK_MEMBER_PATH] = "";
        if (pk_member_append(one, sizeof(one), d->u.seq.items[2 * i], 0, 0) != 0)
            snprintf(one, sizeof(one), "(a %s key)", pk_kind_name(d->u.seq.items[2 * i]->kind));
        if (i == 8) {
            snprintf(buf + len, size - len, ", ...");
            return;
        }
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", one);
        if (len >= size)
            return;
    }
}

static int pk_member_step(const pk_obj *cur, const char *tok, int quoted,
                          const pk_obj **next, char *err, size_t errlen)
{
    char *end;
    long long iv = 0;
    int is_int = !quoted && *tok && (iv = strtoll(tok, &end, 10), *end == '\0');
    size_t i;

    if (cur->kind == PK_INSTANCE) {
        const pk_obj *v = pk_attr(cur, tok);
        const char *mod, *name;
        if (!v) {
            snprintf(err, errlen, "the %s has no attribute '%s'",
                     pk_class_name(cur, &mod, &name) == 0 ? name : "object", tok);
            return SKC_E_NOT_FOUND;
        }
        *next = v;
        return 0;
    }
    if (cur->kind == PK_LIST || cur->kind == PK_TUPLE) {
        long long n = (long long)cur->u.seq.n;
        if (!is_int) {
            snprintf(err, errlen, "'%s' is not an index into the %s of %lld items", tok,
                     pk_kind_name(cur->kind), n);
            return SKC_E_NOT_FOUND;
        }
        if (iv < 0)
            iv += n;
        if (iv < 0 || iv >= n) {
            snprintf(err, errlen, "index %s is out of range: the %s has %lld items", tok,
                     pk_kind_name(cur->kind), n);
            return SKC_E_NOT_FOUND;
        }
        *next = cur->u.seq.items[iv];
        return 0;
    }
    if (cur->kind == PK_DICT) {
        char keys[256];
        for (i = 0; i < cur->u.seq.n / 2; i++)
            if (pk_text_eq(cur->u.seq.items[2 * i], tok) == 1) {
                *next = cur->u.seq.items[2 * i + 1];
                return 0;
            }
        for (i = 0; is_int && i < cur->u.seq.n / 2; i++) {
            int64_t k;
            if (pk_int(cur->u.seq.items[2 * i], &k) == 0 && k == iv) {
                *next = cur->u.seq.items[2 * i + 1];
                return 0;
            }
        }
        pk_member_keys(cur, keys, sizeof(keys));
        snprintf(err, errlen, "no key '%s' in the dict (keys: %s)", tok, keys);
        return SKC_E_NOT_FOUND;
    }
    snprintf(err, errlen, "'%s' is below a %s, which has no members", tok,
             pk_kind_name(cur->kind));
    return SKC_E_NOT_FOUND;
}

int pk_member_get(const pk_obj *root, const char *path, const pk_obj **out,
                  char *err, size_t errlen)
{
    const pk_obj *cur = root;
    char tok[PK_MEMBER_PATH];
    const char *p = path;
    size_t n;
    int rc, first = 1;

    /* A key that is the whole path wins, dots and brackets included. */
    if (root && root->kind == PK_DICT)
        for (n = 0; n < root->u.seq.n / 2; n++)
            if (pk_text_eq(root->u.seq.items[2 * n], path) == 1) {
                *out = root->u.seq.items[2 * n + 1];
                return 0;
            }
    while (*p) {
        const char *start;
        int quoted = 0;
        if (*p == '[') {
            const char *close;
            p++;
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                close = strchr(p, q);
                if (!close || close[1] != ']') {
                    snprintf(err, errlen, "unterminated [%c...%c] in '%s'", q, q, path);
                    return SKC_E_INVAL;
                }
                quoted = 1;
            } else if (!(close = strchr(p, ']'))) {
                snprintf(err, errlen, "unterminated [ in '%s'", path);
                return SKC_E_INVAL;
            }
            start = p;
            n = (size_t)(close - p);
            p = close + 1 + quoted;
        } else {
            if (!first) {
                if (*p != '.') {
                    snprintf(err, errlen, "expected '.' or '[' at '%s' in '%s'", p, path);
                    return SKC_E_INVAL;
                }
                p++;
            }
            start = p;
            n = strcspn(p, ".[");
            if (n == 0) {
                snprintf(err, errlen, "empty name in '%s'", path);
                return SKC_E_INVAL;
            }
            p += n;
        }
        if (n >= sizeof(tok)) {
            snprintf(err, errlen, "a name in '%s' is too long", path);
            return SKC_E_INVAL;
        }
        memcpy(tok, start, n);
        tok[n] = '\0';
        if ((rc = pk_member_step(cur, tok, quoted, &cur, err, errlen)) != 0)
            return rc;
        first = 0;
    }
    *out = cur;
    return 0;
}
