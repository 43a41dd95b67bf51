/* SPDX-License-Identifier: MIT */
/* op_onnx_text.c: the text mirror ops (core/OPS.md): onnx.StringNormalizer, onnx.TfIdfVectorizer and onnxms.Tokenizer (com.microsoft), as ONNX Runtime's CPU kernels compute them. */
#include <stdlib.h>
#include <string.h>
#include "op_onnx.h"

#define TX_MAX_NGRAM 64
#define TX_MAX_PATTERN 200000

/* ---- StringNormalizer ------------------------------------------------- */

/* ORT lowercases with the named locale's towlower: one code point to one.
 * The locales accepted are the glibc UTF-8 ones, whose tables are the
 * simple Unicode mappings (Unicode 14 in glibc 2.36), with U+0130 to 'i'. */
static int tx_locale_ok(const char *loc)
{
    return !*loc || strcmp(loc, "C.UTF-8") == 0 || strcmp(loc, "C.utf8") == 0 ||
           strcmp(loc, "en_US.UTF-8") == 0 || strcmp(loc, "en_US.utf8") == 0;
}

static int tx_lower_utf8(const char *s, size_t len, char **out, size_t *olen)
{
    uint32_t *cp = malloc((len ? len : 1) * sizeof(*cp));
    char *o = malloc(len * 4 + 1);
    int64_t n, i;
    size_t m = 0;

    if (!cp || !o) {
        free(cp);
        free(o);
        return SKC_E_NOMEM;
    }
    if ((n = skci_utf8_decode(s, len, cp)) < 0) {
        free(cp);
        free(o);
        return SKC_E_INVAL;
    }
    for (i = 0; i < n; i++)
        m += skci_utf8_encode(cp[i] == 0x130 ? 0x69 : skci_text_lower_cp(cp[i]), o + m);
    o[m] = '\0';
    free(cp);
    *out = o;
    *olen = m;
    return SKC_OK;
}

static int tx_normalizer(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                         char *err, size_t errlen)
{
    const skc_tensor *x = in[0], *stop = NULL;
    const char *act = skco_attr_s(s, "case_change_action", "NONE");
    const char *loc = skco_attr_s(s, "locale", "");
    int nd = skc_tensor_ndim(x), lower, rc;
    int64_t n, i;

    if ((rc = skco_attr_list(s, "stopwords", SKC_DT_STRING, &stop, err, errlen)))
        return rc;
    if (stop && skc_tensor_numel(stop) > 0)
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "stopwords are not supported");
    if (strcmp(act, "LOWER") != 0 && strcmp(act, "NONE") != 0)
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "case_change_action '%.20s' is "
                         "not supported (NONE and LOWER are)", act);
    lower = strcmp(act, "LOWER") == 0;
    if (lower && !tx_locale_ok(loc))
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "locale '%.40s' is not supported "
                         "(C.UTF-8 and en_US.UTF-8 are)", loc);
    if (skc_tensor_dtype(x) != SKC_DT_STRING || nd < 1 || nd > 2 ||
        (nd == 2 && skc_tensor_shape(x)[0] != 1))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "input must be a string tensor [C] or [1, C]");
    n = skc_tensor_numel(x);
    if ((rc = skco_new(SKC_DT_STRING, nd, skc_tensor_shape(x), out, NULL)))
        return rc;
    for (i = 0; i < n; i++) {
        size_t len, olen;
        const char *v = skc_tensor_string(x, i, &len);
        char *o = NULL;
        if (!lower) {
            rc = skc_tensor_set_string(*out, i, v, len);
        } else if (!(rc = tx_lower_utf8(v, len, &o, &olen))) {
            rc = skc_tensor_set_string(*out, i, o, olen);
            free(o);
        }
        if (rc) {
            skc_tensor_free(*out);
            *out = NULL;
            if (rc == SKC_E_INVAL)
                return skco_fail(err, errlen, s, rc, "element %lld is not valid UTF-8",
                                 (long long)i);
            return rc;
        }
    }
    return SKC_OK;
}

/* ---- Tokenizer's tokenexp: a small RE2 subset ----------------------------- */

/* Literals, \x{H} escapes, classes [...] of those and ranges, (?:...) and
 * (...) groups, | and the greedy quantifiers * + ? {m} {m,} {m,n}, matched
 * leftmost-first over code points, which is RE2's (Perl's) semantics for
 * them. Anything else is refused rather than guessed. */
enum { RX_CLASS, RX_GROUP };

typedef struct rx_node {
    int kind;
    int64_t min, max;      /* max -1: unbounded */
    int64_t lo, n;         /* CLASS: ranges [lo, lo+n); GROUP: alternatives */
} rx_node;

typedef struct rx_seq {
    int64_t *item;         /* node indices */
    int64_t n;
} rx_seq;

typedef struct rx {
    rx_node *node;
    int64_t n_node, cap_node;
    uint32_t (*range)[2];
    int64_t n_range, cap_range;
    rx_seq *alt;           /* every alternative of every group */
    int64_t n_alt, cap_alt;
    int64_t top;           /* the top-level group node */
    const uint32_t *p;     /* pattern being parsed */
    int64_t pn, pi;
    const char *why;
    const uint32_t *text;  /* text being matched */
    int64_t tn;
    int64_t steps;
    int64_t depth;         /* recursion, bounded: repeated groups nest */
} rx;

#define RX_GROW(arr, n, cap)                                                   \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            int64_t c2_ = (cap) ? (cap) * 2 : 16;                             \
            void *p_ = realloc((arr), (size_t)c2_ * sizeof(*(arr)));           \
            if (!p_)                                                           \
                return SKC_E_NOMEM;                                            \
            (arr) = p_;                                                        \
            (cap) = c2_;                                                       \
        }                                                                      \
    } while (0)

static int rx_peek(const rx *r, uint32_t c) { return r->pi < r->pn && r->p[r->pi] == c; }

static int rx_hex(rx *r, uint32_t *out)
{
    uint32_t v = 0;
    int k = 0;

    if (!rx_peek(r, '{'))
        return (r->why = "\\x without {...}"), SKC_E_UNSUPPORTED;
    r->pi++;
    while (r->pi < r->pn && r->p[r->pi] != '}') {
        uint32_t c = r->p[r->pi++], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return (r->why = "bad \\x{...} digit"), SKC_E_FORMAT;
        v = v * 16 + d;
        if (++k > 6 || v > 0x10FFFF)
            return (r->why = "\\x{...} beyond U+10FFFF"), SKC_E_FORMAT;
    }
    if (!rx_peek(r, '}') || k == 0)
        return (r->why = "unterminated \\x{"), SKC_E_FORMAT;
    r->pi++;
    *out = v;
    return SKC_OK;
}

/* One literal code point (after a backslash or plain). */
static int rx_char(rx *r, uint32_t *out)
{
    uint32_t c;

    if (r->pi >= r->pn)
        return (r->why = "pattern ends early"), SKC_E_FORMAT;
    c = r->p[r->pi++];
    if (c != '\\') {
        *out = c;
        return SKC_OK;
    }
    if (r->pi >= r->pn)
        return (r->why = "trailing backslash"), SKC_E_FORMAT;
    c = r->p[r->pi++];
    if (c == 'x')
        return rx_hex(r, out);
    /* Escaped punctuation stands for itself; letter escapes (\w \d \b \p
     * ...) are classes or assertions this subset does not have. */
    if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        *out = c;
        return SKC_OK;
    }
    r->why = "an escape other than \\x{...} and escaped punctuation";
    return SKC_E_UNSUPPORTED;
}

static int rx_range_cmp(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int rx_add_node(rx *r, int kind, int64_t lo, int64_t n, int64_t *id)
{
    RX_GROW(r->node, r->n_node, r->cap_node);
    r->node[r->n_node] = (rx_node){ .kind = kind, .min = 1, .max = 1, .lo = lo, .n = n };
    *id = r->n_node++;
    return SKC_OK;
}

static int rx_class(rx *r, int64_t *id)
{
    int64_t lo = r->n_range, i, m = 0;
    int rc;

    if (rx_peek(r, '^'))
        return (r->why = "negated classes"), SKC_E_UNSUPPORTED;
    while (r->pi < r->pn && r->p[r->pi] != ']') {
        uint32_t a, b;
        if ((rc = rx_char(r, &a)))
            return rc;
        b = a;
        if (rx_peek(r, '-') && r->pi + 1 < r->pn && r->p[r->pi + 1] != ']') {
            r->pi++;
            if ((rc = rx_char(r, &b)))
                return rc;
            if (b < a)
                return (r->why = "class range out of order"), SKC_E_FORMAT;
        }
        RX_GROW(r->range, r->n_range, r->cap_range);
        r->range[r->n_range][0] = a;
        r->range[r->n_range++][1] = b;
    }
    if (!rx_peek(r, ']'))
        return (r->why = "unterminated class"), SKC_E_FORMAT;
    r->pi++;
    /* sorted and merged, for a binary search */
    qsort(r->range + lo, (size_t)(r->n_range - lo), sizeof(*r->range), rx_range_cmp);
    for (i = lo; i < r->n_range; i++) {
        if (m > 0 && r->range[i][0] <= r->range[lo + m - 1][1] + 1) {
            if (r->range[i][1] > r->range[lo + m - 1][1])
                r->range[lo + m - 1][1] = r->range[i][1];
        } else {
            r->range[lo + m][0] = r->range[i][0];
            r->range[lo + m][1] = r->range[i][1];
            m++;
        }
    }
    r->n_range = lo + m;
    return rx_add_node(r, RX_CLASS, lo, m, id);
}

static int rx_alt(rx *r, int64_t *id);

static int rx_number(rx *r, int64_t *v)
{
    int k = 0;

    *v = 0;
    while (r->pi < r->pn && r->p[r->pi] >= '0' && r->p[r->pi] <= '9' && k < 6) {
        *v = *v * 10 + (r->p[r->pi++] - '0');
        k++;
    }
    return k ? SKC_OK : ((r->why = "bad {m,n} count"), SKC_E_FORMAT);
}

static int rx_quant(rx *r, rx_node *nd)
{
    int rc;

    if (r->pi >= r->pn)
        return SKC_OK;
    switch (r->p[r->pi]) {
    case '*': nd->min = 0; nd->max = -1; r->pi++; break;
    case '+': nd->min = 1; nd->max = -1; r->pi++; break;
    case '?': nd->min = 0; nd->max = 1; r->pi++; break;
    case '{':
        r->pi++;
        if ((rc = rx_number(r, &nd->min)))
            return rc;
        nd->max = nd->min;
        if (rx_peek(r, ',')) {
            r->pi++;
            nd->max = -1;
            if (!rx_peek(r, '}') && (rc = rx_number(r, &nd->max)))
                return rc;
        }
        if (!rx_peek(r, '}') || (nd->max >= 0 && nd->max < nd->min))
            return (r->why = "bad {m,n}"), SKC_E_FORMAT;
        r->pi++;
        break;
    default:
        return SKC_OK;
    }
    if (rx_peek(r, '?') || rx_peek(r, '+') || rx_peek(r, '*') || rx_peek(r, '{'))
        return (r->why = "lazy, possessive or repeated quantifiers"), SKC_E_UNSUPPORTED;
    return SKC_OK;
}

static int rx_seq_parse(rx *r, rx_seq *out)
{
    int64_t *items = NULL, n = 0, cap = 0, id;
    int rc = SKC_OK;

    while (r->pi < r->pn && r->p[r->pi] != '|' && r->p[r->pi] != ')') {
        uint32_t c = r->p[r->pi];
        if (c == '(') {
            r->pi++;
            if (rx_peek(r, '?')) {
                if (r->pi + 1 >= r->pn || r->p[r->pi + 1] != ':') {
                    r->why = "group flags and named groups";
                    rc = SKC_E_UNSUPPORTED;
                    break;
                }
                r->pi += 2;
            }
            if ((rc = rx_alt(r, &id)))
                break;
            if (!rx_peek(r, ')')) {
                r->why = "unbalanced (";
                rc = SKC_E_FORMAT;
                break;
            }
            r->pi++;
        } else if (c == '[') {
            r->pi++;
            if ((rc = rx_class(r, &id)))
                break;
        } else if (c == '.' || c == '^' || c == '$' || c == '*' || c == '+' || c == '?' ||
                   c == '{') {
            r->why = "'.', anchors and stray quantifiers";
            rc = SKC_E_UNSUPPORTED;
            break;
        } else {
            uint32_t v;
            if ((rc = rx_char(r, &v)))
                break;
            if (r->n_range == r->cap_range) {
                int64_t c2 = r->cap_range ? r->cap_range * 2 : 16;
                void *p = realloc(r->range, (size_t)c2 * sizeof(*r->range));
                if (!p) {
                    rc = SKC_E_NOMEM;
                    break;
                }
                r->range = p;
                r->cap_range = c2;
            }
            r->range[r->n_range][0] = r->range[r->n_range][1] = v;
            r->n_range++;
            if ((rc = rx_add_node(r, RX_CLASS, r->n_range - 1, 1, &id)))
                break;
        }
        if ((rc = rx_quant(r, &r->node[id])))
            break;
        if (n == cap) {
            int64_t c2 = cap ? cap * 2 : 8;
            void *p = realloc(items, (size_t)c2 * sizeof(*items));
            if (!p) {
                rc = SKC_E_NOMEM;
                break;
            }
            items = p;
            cap = c2;
        }
        items[n++] = id;
    }
    if (rc) {
        free(items);
        return rc;
    }
    out->item = items;
    out->n = n;
    return SKC_OK;
}

/* alt := seq ('|' seq)*; the alternatives are stored contiguously. */
static int rx_alt(rx *r, int64_t *id)
{
    rx_seq tmp[64];
    int64_t n = 0, lo, i;
    int rc;

    for (;;) {
        if (n == 64) {
            r->why = "more than 64 alternatives";
            rc = SKC_E_UNSUPPORTED;
            goto fail;
        }
        if ((rc = rx_seq_parse(r, &tmp[n])))
            goto fail;
        n++;
        if (!rx_peek(r, '|'))
            break;
        r->pi++;
    }
    lo = r->n_alt;
    for (i = 0; i < n; i++) {
        if (r->n_alt == r->cap_alt) {
            int64_t c2 = r->cap_alt ? r->cap_alt * 2 : 16;
            void *p = realloc(r->alt, (size_t)c2 * sizeof(*r->alt));
            if (!p) {
                rc = SKC_E_NOMEM;
                goto fail;
            }
            r->alt = p;
            r->cap_alt = c2;
        }
        r->alt[r->n_alt++] = tmp[i];
        tmp[i].item = NULL;
    }
    return rx_add_node(r, RX_GROUP, lo, n, id);
fail:
    for (i = 0; i < n; i++)
        free(tmp[i].item);
    return rc;
}

static void rx_free(rx *r)
{
    int64_t i;

    for (i = 0; i < r->n_alt; i++)
        free(r->alt[i].item);
    free(r->alt);
    free(r->node);
    free(r->range);
}

static int rx_compile(rx *r, const uint32_t *p, int64_t n)
{
    int rc;

    memset(r, 0, sizeof(*r));
    r->p = p;
    r->pn = n;
    if ((rc = rx_alt(r, &r->top)))
        return rc;
    if (r->pi != r->pn) {
        r->why = "unbalanced )";
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int rx_in_class(const rx *r, const rx_node *nd, uint32_t c)
{
    int64_t lo = 0, hi = nd->n;

    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        const uint32_t *g = r->range[nd->lo + mid];
        if (c < g[0])
            hi = mid;
        else if (c > g[1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* Continuations: what remains to match after the current node. A sequence
 * continuation resumes seq at idx; a repeat continuation tries another
 * repetition of group node `node` (count `cnt` so far, the last one having
 * started at `from`). */
typedef struct rx_k {
    const rx_seq *seq;
    int64_t idx;
    int64_t node, cnt, from;
    const struct rx_k *next;
} rx_k;

#define RX_MAX_STEPS ((int64_t)1 << 26)
#define RX_MAX_DEPTH 20000

static int rx_node_at(rx *r, int64_t id, int64_t cnt, int64_t pos, const rx_k *rest,
                      int64_t *end);

static int rx_cont_in(rx *r, const rx_k *k, int64_t pos, int64_t *end);

/* -1 (too much work) once the steps or the nesting pass their bounds. */
static int rx_cont(rx *r, const rx_k *k, int64_t pos, int64_t *end)
{
    int m;

    if (++r->steps > RX_MAX_STEPS || r->depth >= RX_MAX_DEPTH)
        return -1;
    r->depth++;
    m = rx_cont_in(r, k, pos, end);
    r->depth--;
    return m;
}

static int rx_cont_in(rx *r, const rx_k *k, int64_t pos, int64_t *end)
{
    if (!k) {
        *end = pos;
        return 1;
    }
    if (!k->seq) {
        /* another repetition of a group, unless the last one was empty */
        if (pos == k->from && k->cnt >= r->node[k->node].min)
            return rx_cont(r, k->next, pos, end);
        return rx_node_at(r, k->node, k->cnt, pos, k->next, end);
    }
    if (k->idx == k->seq->n)
        return rx_cont(r, k->next, pos, end);
    {
        rx_k more = { .seq = k->seq, .idx = k->idx + 1, .next = k->next };
        return rx_node_at(r, k->seq->item[k->idx], 0, pos, &more, end);
    }
}

static int rx_node_at(rx *r, int64_t id, int64_t cnt, int64_t pos, const rx_k *rest,
                      int64_t *end)
{
    const rx_node *nd = &r->node[id];
    int64_t a, k;
    int m;

    if (nd->kind == RX_CLASS) {
        for (k = 0; (nd->max < 0 || k < nd->max) && pos + k < r->tn &&
                    rx_in_class(r, nd, r->text[pos + k]); k++)
            ;
        for (; k >= nd->min; k--)
            if ((m = rx_cont(r, rest, pos + k, end)) != 0)
                return m;
        return 0;
    }
    /* a group: one more repetition (greedy) before stopping */
    if (nd->max < 0 || cnt < nd->max) {
        rx_k again = { .seq = NULL, .node = id, .cnt = cnt + 1, .from = pos, .next = rest };
        for (a = 0; a < nd->n; a++) {
            rx_k body = { .seq = &r->alt[nd->lo + a], .idx = 0, .next = &again };
            if ((m = rx_cont(r, &body, pos, end)) != 0)
                return m;
        }
    }
    return cnt >= nd->min ? rx_cont(r, rest, pos, end) : 0;
}

/* Leftmost-first match starting at or after @p from: 1 and [*s, *e), 0
 * none, -1 too much backtracking. */
static int rx_search(rx *r, int64_t from, int64_t *s, int64_t *e)
{
    int64_t p;
    int m;

    for (p = from; p <= r->tn; p++) {
        if ((m = rx_node_at(r, r->top, 0, p, NULL, e)) != 0) {
            *s = p;
            return m;
        }
    }
    return 0;
}

/* ---- Tokenizer (com.microsoft) --------------------------------------------- */

static int tx_tokenizer(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                        char *err, size_t errlen)
{
    const skc_tensor *x = in[0], *seps = NULL;
    const char *exp = skco_attr_s(s, "tokenexp", NULL);
    const char *pad = skco_attr_s(s, "pad_value", NULL);
    int64_t mark = skco_attr_i(s, "mark", 0), minc = skco_attr_i(s, "mincharnum", 1);
    int64_t n, i, j, maxt = 0, *cnt = NULL, *off = NULL, ntok = 0, captok = 0, plen;
    int64_t shape[SKC_MAX_DIMS];
    int nd = skc_tensor_ndim(x), rc, d;
    uint32_t *pcp = NULL, *cp = NULL;
    char *tmp = NULL;
    int64_t (*tok)[2] = NULL;   /* [start, end) in code points of row i */
    rx r;

    memset(&r, 0, sizeof(r));
    if ((rc = skco_attr_list(s, "separators", SKC_DT_STRING, &seps, err, errlen)))
        return rc;
    if (!exp || (seps && skc_tensor_numel(seps) > 0))
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "only 'tokenexp' tokenizing is "
                         "supported (not 'separators')");
    if (mark != 0)
        return skco_fail(err, errlen, s, SKC_E_UNSUPPORTED, "mark=%lld is not supported",
                         (long long)mark);
    if (!pad)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "attribute 'pad_value' is required");
    if (skc_tensor_dtype(x) != SKC_DT_STRING || nd < 1 || nd > 2)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "input must be a string tensor [N] or [N, C]");
    plen = (int64_t)strlen(exp);
    if (plen == 0 || plen > TX_MAX_PATTERN)
        return skco_fail(err, errlen, s, SKC_E_LIMIT, "tokenexp is empty or too long");
    if (!(pcp = malloc((size_t)plen * sizeof(*pcp))))
        return SKC_E_NOMEM;
    if ((plen = skci_utf8_decode(exp, (size_t)plen, pcp)) < 0) {
        rc = skco_fail(err, errlen, s, SKC_E_FORMAT, "tokenexp is not valid UTF-8");
        goto done;
    }
    if ((rc = rx_compile(&r, pcp, plen))) {
        if (rc != SKC_E_NOMEM)
            rc = skco_fail(err, errlen, s, rc, "tokenexp: %s %s at offset %lld", r.why,
                           rc == SKC_E_UNSUPPORTED ? "are not supported" : "",
                           (long long)r.pi);
        goto done;
    }
    n = skc_tensor_numel(x);
    cnt = calloc((size_t)(n ? n : 1), sizeof(*cnt));
    off = calloc((size_t)(n ? n : 1) + 1, sizeof(*off));
    if (!cnt || !off) {
        rc = SKC_E_NOMEM;
        goto done;
    }
    /* First pass: the tokens of every string, as code point spans. */
    for (i = 0; i < n; i++) {
        size_t len;
        const char *v = skc_tensor_string(x, i, &len);
        int64_t pos = 0, st, en, ncp;
        void *p = realloc(cp, (len ? len : 1) * sizeof(*cp));
        if (!p) {
            rc = SKC_E_NOMEM;
            goto done;
        }
        cp = p;
        if ((ncp = skci_utf8_decode(v, len, cp)) < 0) {
            rc = skco_fail(err, errlen, s, SKC_E_INVAL, "element %lld is not valid UTF-8",
                           (long long)i);
            goto done;
        }
        r.text = cp;
        r.tn = ncp;
        r.steps = 0;
        off[i] = ntok;
        while (pos <= ncp) {
            int m = rx_search(&r, pos, &st, &en);
            if (m < 0) {
                rc = skco_fail(err, errlen, s, SKC_E_LIMIT, "tokenexp backtracks too much "
                               "on element %lld", (long long)i);
                goto done;
            }
            if (m == 0)
                break;
            if (en - st >= minc && en > st) {
                if (ntok == captok) {
                    int64_t c2 = captok ? captok * 2 : 64;
                    void *q = realloc(tok, (size_t)c2 * sizeof(*tok));
                    if (!q) {
                        rc = SKC_E_NOMEM;
                        goto done;
                    }
                    tok = q;
                    captok = c2;
                }
                /* spans are re-found in the second pass: store the
                 * code point offsets */
                tok[ntok][0] = st;
                tok[ntok++][1] = en;
                cnt[i]++;
            }
            pos = en > st ? en : st + 1;
        }
        if (cnt[i] > maxt)
            maxt = cnt[i];
    }
    off[n] = ntok;
    for (d = 0; d < nd; d++)
        shape[d] = skc_tensor_shape(x)[d];
    shape[nd] = maxt;
    if ((rc = skco_new(SKC_DT_STRING, nd + 1, shape, out, NULL)))
        goto done;
    for (i = 0; i < n && !rc; i++) {
        size_t len;
        const char *v = skc_tensor_string(x, i, &len);
        void *p = realloc(cp, (len ? len : 1) * sizeof(*cp)), *q = realloc(tmp, len * 4 + 1);
        if (p)
            cp = p;
        if (q)
            tmp = q;
        if (!p || !q) {
            rc = SKC_E_NOMEM;
            break;
        }
        skci_utf8_decode(v, len, cp);
        for (j = 0; j < maxt && !rc; j++) {
            if (j < cnt[i]) {
                int64_t k;
                size_t o = 0;
                for (k = tok[off[i] + j][0]; k < tok[off[i] + j][1]; k++)
                    o += skci_utf8_encode(cp[k], tmp + o);
                rc = skc_tensor_set_string(*out, i * maxt + j, tmp, o);
            } else {
                rc = skc_tensor_set_string(*out, i * maxt + j, pad, strlen(pad));
            }
        }
    }
    if (rc) {
        skc_tensor_free(*out);
        *out = NULL;
    }
done:
    rx_free(&r);
    free(pcp);
    free(cp);
    free(tmp);
    free(tok);
    free(cnt);
    free(off);
    return rc;
}

/* ---- TfIdfVectorizer ------------------------------------------------------- */

static int tx_tfidf(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                    char *err, size_t errlen)
{
    const skc_tensor *x = in[0], *counts, *idx, *pstr = NULL, *pint = NULL, *wts = NULL;
    const char *mode = skco_attr_s(s, "mode", "");
    int64_t lo = skco_attr_i(s, "min_gram_length", 0), hi = skco_attr_i(s, "max_gram_length", 0);
    int64_t skip = skco_attr_i(s, "max_skip_count", 0), np, ng, v = 0, i, rows, cols, r;
    int64_t shape[2];
    int nd = skc_tensor_ndim(x), dt = skc_tensor_dtype(x), md, rc, isstr;
    uint32_t *freq;
    float *y;

    if ((rc = skco_attr_list(s, "ngram_counts", SKC_DT_I64, &counts, err, errlen)) ||
        (rc = skco_attr_list(s, "ngram_indexes", SKC_DT_I64, &idx, err, errlen)) ||
        (rc = skco_attr_list(s, "pool_strings", SKC_DT_STRING, &pstr, err, errlen)) ||
        (rc = skco_attr_list(s, "pool_int64s", SKC_DT_I64, &pint, err, errlen)))
        return rc;
    if ((wts = skco_attr_t(s, "weights")) &&
        (!skco_is_real(skc_tensor_dtype(wts)) || skc_tensor_ndim(wts) != 1))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "attribute 'weights' must be a list of floats");
    md = strcmp(mode, "TF") == 0 ? 0 : strcmp(mode, "IDF") == 0 ? 1 : strcmp(mode, "TFIDF") == 0 ? 2 : -1;
    if (md < 0)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "mode '%.20s' is not TF, IDF or TFIDF", mode);
    if (!counts || !idx || (!pstr == !pint))
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "needs ngram_counts, ngram_indexes and "
                         "one of pool_strings, pool_int64s");
    if (lo < 1 || hi < lo || hi > TX_MAX_NGRAM || skip < 0 || skip > TX_MAX_NGRAM ||
        skc_tensor_numel(counts) < hi)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "gram lengths %lld..%lld, skip %lld or "
                         "ngram_counts do not fit", (long long)lo, (long long)hi, (long long)skip);
    isstr = pstr != NULL;
    if (isstr ? dt != SKC_DT_STRING : (dt != SKC_DT_I64 && dt != SKC_DT_I32))
        return skco_fail(err, errlen, s, SKC_E_INVAL, "input type does not match the pool");
    if (nd < 1 || nd > 2)
        return skco_fail(err, errlen, s, SKC_E_INVAL, "input must be [C] or [N, C]");
    np = skc_tensor_numel(isstr ? pstr : pint);
    ng = skc_tensor_numel(idx);
    if (wts && skc_tensor_numel(wts) != ng)
        return skco_fail(err, errlen, s, SKC_E_FORMAT, "weights and ngram_indexes differ in length");
    for (i = 0; i < ng; i++) {
        int64_t c = skco_geti(idx, i);
        if (c < 0 || c >= SKCO_MAX_NUMEL)
            return skco_fail(err, errlen, s, SKC_E_FORMAT, "ngram_indexes[%lld] out of range",
                             (long long)i);
        if (c + 1 > v)
            v = c + 1;
    }
    rows = nd == 1 ? 1 : skc_tensor_shape(x)[0];
    cols = skc_tensor_shape(x)[nd - 1];
    shape[0] = rows;
    shape[1] = v;
    if (nd == 1)
        shape[0] = v;
    if (!(freq = malloc((size_t)(ng ? ng : 1) * sizeof(*freq))))
        return SKC_E_NOMEM;
    if ((rc = skco_new(SKC_DT_F32, nd, shape, out, (void **)&y))) {
        free(freq);
        return rc;
    }
    memset(y, 0, (size_t)(rows * v) * sizeof(*y));
    for (r = 0; r < rows; r++) {
        float *yr = y + r * v;
        int64_t n, g = 0;
        memset(freq, 0, (size_t)(ng ? ng : 1) * sizeof(*freq));
        /* the pool's n-grams of length n are items [counts[n-1], counts[n])
         * (np at the end), n elements each; g numbers them across lengths */
        for (n = 1; n <= hi; n++) {
            int64_t a = skco_geti(counts, n - 1), b = n < skc_tensor_numel(counts) ? skco_geti(counts, n) : np;
            int64_t k, sk, st, e;
            if (a < 0 || b < a || b > np || (b - a) % n) {
                free(freq);
                skc_tensor_free(*out);
                *out = NULL;
                return skco_fail(err, errlen, s, SKC_E_FORMAT, "ngram_counts do not split the pool");
            }
            if (n < lo) {
                g += (b - a) / n;
                continue;
            }
            for (k = a; k < b && g < ng; k += n, g++) {
                /* one-grams once; longer ones with every skip 0..max_skip_count */
                for (sk = 0; sk <= (n == 1 ? 0 : skip); sk++) {
                    for (st = 0; st + (n - 1) * (sk + 1) < cols; st++) {
                        int hit = 1;
                        for (e = 0; e < n && hit; e++) {
                            int64_t xi = r * cols + st + e * (sk + 1);
                            if (isstr) {
                                size_t l1, l2;
                                const char *p1 = skc_tensor_string(x, xi, &l1);
                                const char *p2 = skc_tensor_string(pstr, k + e, &l2);
                                hit = l1 == l2 && memcmp(p1, p2, l1) == 0;
                            } else {
                                hit = skco_geti(x, xi) == skco_geti(pint, k + e);
                            }
                        }
                        freq[g] += (uint32_t)hit;
                    }
                }
            }
        }
        /* ORT: counts (TF) and count * weight (TFIDF) add up in a column
         * several n-grams share; IDF gives the weight of the last one seen */
        for (g = 0; g < ng; g++) {
            int64_t c = skco_geti(idx, g);
            float w = wts ? (float)skco_get(wts, g) : 1.0f;
            if (!freq[g])
                continue;
            if (md == 0)
                yr[c] += (float)freq[g];
            else if (md == 1)
                yr[c] = w;
            else
                yr[c] += (float)freq[g] * w;
        }
    }
    free(freq);
    return SKC_OK;
}

const skci_op skci_ops_onnx_text[] = {
    { .name = "onnx.StringNormalizer", .n_inputs = 1, .n_outputs = 1, .eval = tx_normalizer,
      .any_dtype = 1 },
    { .name = "onnx.TfIdfVectorizer", .n_inputs = 1, .n_outputs = 1, .eval = tx_tfidf,
      .any_dtype = 1 },
    { .name = "onnxms.Tokenizer", .n_inputs = 1, .n_outputs = 1, .eval = tx_tokenizer,
      .any_dtype = 1 },
    { 0 }
};
