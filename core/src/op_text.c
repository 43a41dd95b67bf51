/* SPDX-License-Identifier: MIT */
/* op_text.c: reference semantics of the text IR operations (core/OPS.md): text_vectorize (sklearn's CountVectorizer analyzer='word') and tfidf. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "op_text_unicode.h"

#define TEXT_MAX_NGRAM 32

/* sklearn's default token_pattern, the only one text_vectorize runs. */
static const char text_default_pattern[] = "(?u)\\b\\w\\w+\\b";

static int text_in_ranges(const uint32_t (*r)[2], size_t n, uint32_t c)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < r[mid][0])
            hi = mid;
        else if (c > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

#define TEXT_IN(table, c) text_in_ranges(table, sizeof(table) / sizeof(table[0]), c)

static uint32_t text_lower_cp(uint32_t c)
{
    size_t lo = 0, hi = sizeof(text_lower) / sizeof(text_lower[0]);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const int32_t *r = text_lower[mid];
        if ((int64_t)c < r[0])
            hi = mid;
        else if ((int64_t)c > r[1])
            lo = mid + 1;
        else
            return (r[3] <= 1 || ((int64_t)c - r[0]) % r[3] == 0) ? (uint32_t)((int64_t)c + r[2])
                                                                  : c;
    }
    return c;
}

/* Strict UTF-8 (as Python decodes it): no overlongs, no surrogates, at
 * most U+10FFFF. Returns the code point count, or -1. */
static int64_t text_decode(const char *s, size_t len, uint32_t *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int64_t n = 0;

    while (i < len) {
        uint32_t c = p[i], min;
        int k, j;
        if (c < 0x80) {
            k = 0;
            min = 0;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1;
            c &= 0x1F;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2;
            c &= 0x0F;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3;
            c &= 0x07;
            min = 0x10000;
        } else {
            return -1;
        }
        if ((size_t)k > len - i - 1)
            return -1;
        for (j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return -1;
            c = (c << 6) | (p[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return -1;
        out[n++] = c;
        i += (size_t)k + 1;
    }
    return n;
}

static size_t text_encode(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Python's str.lower() of cp[0..n) into out (room for 2n): the one-to-one
 * mappings, U+0130 to "i\u0307", and U+03A3 to final sigma in Python's
 * Final_Sigma context (unicodeobject.c handle_capital_sigma). */
static int64_t text_lower_str(const uint32_t *cp, int64_t n, uint32_t *out)
{
    int64_t i, j, m = 0;

    for (i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c == 0x130) {
            out[m++] = 0x69;
            out[m++] = 0x307;
            continue;
        }
        if (c == 0x3A3) {
            int before = 0, after = 0;
            for (j = i - 1; j >= 0 && TEXT_IN(text_ignorable, cp[j]); j--)
                ;
            before = j >= 0 && TEXT_IN(text_cased, cp[j]);
            for (j = i + 1; j < n && TEXT_IN(text_ignorable, cp[j]); j++)
                ;
            after = j < n && TEXT_IN(text_cased, cp[j]);
            out[m++] = before && !after ? 0x3C2 : 0x3C3;
            continue;
        }
        out[m++] = text_lower_cp(c);
    }
    return m;
}

/* ---- string sets (vocabulary, stop words) --------------------------------- */

typedef struct text_set {
    const skc_tensor *t;
    int64_t *slot;   /* index into t, -1 empty */
    uint64_t mask;
} text_set;

static uint64_t text_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int text_set_init(text_set *set, const skc_tensor *t)
{
    int64_t n = t ? skc_tensor_numel(t) : 0, i;
    uint64_t cap = 16;

    while (cap < (uint64_t)n * 2)
        cap <<= 1;
    set->t = t;
    set->mask = cap - 1;
    if (!(set->slot = malloc(cap * sizeof(*set->slot))))
        return SKC_E_NOMEM;
    memset(set->slot, 0xFF, cap * sizeof(*set->slot));
    for (i = 0; i < n; i++) {
        size_t len;
        const char *s = skc_tensor_string(t, i, &len);
        uint64_t h = text_hash(s, len) & set->mask;
        while (set->slot[h] >= 0)
            h = (h + 1) & set->mask;
        set->slot[h] = i;
    }
    return SKC_OK;
}

/* Lowest index holding @p s, or -1. */
static int64_t text_set_find(const text_set *set, const char *s, size_t len)
{
    uint64_t h = text_hash(s, len) & set->mask;
    int64_t best = -1;

    for (; set->slot[h] >= 0; h = (h + 1) & set->mask) {
        size_t l;
        const char *v = skc_tensor_string(set->t, set->slot[h], &l);
        if (l == len && memcmp(v, s, len) == 0 && (best < 0 || set->slot[h] < best))
            best = set->slot[h];
    }
    return best;
}

/* ---- text_vectorize ---------------------------------------------------------- */

static int text_need_strings(const skc_step *s, const char *key, int required,
                             const skc_tensor **t, char *err, size_t errlen)
{
    *t = NULL;
    if (skc_step_get_tensor(s, key, t) != SKC_OK) {
        *t = NULL;
        if (!required)
            return SKC_OK;
    } else if (skc_tensor_dtype(*t) == SKC_DT_STRING && skc_tensor_ndim(*t) == 1) {
        return SKC_OK;
    }
    skci_errf(err, errlen, "step 'text_vectorize' needs a 1-D string tensor attribute '%s'",
              key);
    return SKC_E_FORMAT;
}

static int text_vec_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *voc, *stop;
    const char *pat = NULL;
    int64_t lo = 1, hi = 1;
    int rc;

    if ((rc = text_need_strings(s, "vocabulary", 1, &voc, err, errlen)) ||
        (rc = text_need_strings(s, "stop_words", 0, &stop, err, errlen)))
        return rc;
    skc_step_get_int(s, "ngram_min", &lo);
    skc_step_get_int(s, "ngram_max", &hi);
    if (lo < 1 || hi < lo || hi > TEXT_MAX_NGRAM) {
        skci_errf(err, errlen, "step 'text_vectorize': ngram range (%lld, %lld) outside "
                  "1 <= min <= max <= %d", (long long)lo, (long long)hi, TEXT_MAX_NGRAM);
        return SKC_E_FORMAT;
    }
    if (skc_step_get_string(s, "token_pattern", &pat) == SKC_OK &&
        strcmp(pat, text_default_pattern) != 0) {
        skci_errf(err, errlen, "step 'text_vectorize': token_pattern '%s' is not "
                  "supported (only sklearn's default %s)", pat, text_default_pattern);
        return SKC_E_UNSUPPORTED;
    }
    return SKC_OK;
}

/* Tokens of one row as UTF-8, each ending in '\0', into buf; the start
 * of each token into starts. Returns the token count. */
static int64_t text_tokens(const uint32_t *cp, int64_t n, char *buf, size_t *starts)
{
    int64_t i = 0, nt = 0;
    size_t o = 0;

    while (i < n) {
        int64_t j = i;
        while (j < n && TEXT_IN(text_word, cp[j]))
            j++;
        if (j - i >= 2) {
            starts[nt++] = o;
            for (; i < j; i++)
                o += text_encode(cp[i], buf + o);
            buf[o++] = '\0';
        }
        i = j > i ? j : i + 1;
    }
    return nt;
}

static int text_vec_eval(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                         char *err, size_t errlen)
{
    const skc_tensor *voc, *stop = NULL;
    text_set vset = { 0 }, sset = { 0 };
    int64_t n, v, r, lo = 1, hi = 1, lower = 1, binary = 0, cap = 0;
    uint32_t *cp = NULL, *lc = NULL;
    char *buf = NULL, *gram = NULL;
    size_t *starts = NULL;
    double *y;
    int rc;

    skc_step_get_tensor(s, "vocabulary", &voc);
    if (skc_step_get_tensor(s, "stop_words", &stop) != SKC_OK)
        stop = NULL;
    skc_step_get_int(s, "ngram_min", &lo);
    skc_step_get_int(s, "ngram_max", &hi);
    skc_step_get_int(s, "lowercase", &lower);
    skc_step_get_int(s, "binary", &binary);
    if (skc_tensor_dtype(in[0]) != SKC_DT_STRING || skci_cols(in[0]) != 1 ||
        skc_tensor_ndim(in[0]) > 2) {
        skci_errf(err, errlen, "step 'text_vectorize' reads one string column ([N] or "
                  "[N, 1]), not %s with %lld columns",
                  skc_dtype_name(skc_tensor_dtype(in[0])), (long long)skci_cols(in[0]));
        return SKC_E_INVAL;
    }
    n = skci_rows(in[0]);
    v = skc_tensor_numel(voc);
    if ((rc = skci_new_matrix(n, v, out)))
        return rc;
    y = skc_tensor_data_mut(*out);
    if ((rc = text_set_init(&vset, voc)) || (stop && (rc = text_set_init(&sset, stop))))
        goto fail;
    for (r = 0; r < n; r++) {
        size_t len, k;
        const char *x = skc_tensor_string(in[0], r, &len);
        int64_t ncp, nt, nk, g, i, j;
        if (!x)
            x = "", len = 0;
        if ((int64_t)len >= cap) {
            void *a, *b, *c, *d, *e;
            cap = (int64_t)len + 1;
            /* Lowercasing at most doubles the code points (U+0130); each
             * becomes at most 4 bytes, and an n-gram is at most every
             * token joined by spaces. */
            a = realloc(cp, (size_t)cap * sizeof(*cp));
            if (a)
                cp = a;
            b = realloc(lc, (size_t)cap * 2 * sizeof(*lc));
            if (b)
                lc = b;
            c = realloc(buf, (size_t)cap * 8 + 1);
            if (c)
                buf = c;
            d = realloc(gram, (size_t)cap * 16 + 1);
            if (d)
                gram = d;
            e = realloc(starts, (size_t)cap * 2 * sizeof(*starts));
            if (e)
                starts = e;
            if (!a || !b || !c || !d || !e) {
                rc = SKC_E_NOMEM;
                goto fail;
            }
        }
        if ((ncp = text_decode(x, len, cp)) < 0) {
            skci_errf(err, errlen, "step 'text_vectorize': row %lld is not valid UTF-8",
                      (long long)r);
            rc = SKC_E_INVAL;
            goto fail;
        }
        if (lower)
            ncp = text_lower_str(cp, ncp, lc);
        nt = text_tokens(lower ? lc : cp, ncp, buf, starts);
        /* stop words leave before n-grams are made (sklearn _word_ngrams) */
        for (i = 0, nk = 0; i < nt; i++) {
            const char *t = buf + starts[i];
            if (stop && text_set_find(&sset, t, strlen(t)) >= 0)
                continue;
            starts[nk++] = starts[i];
        }
        for (g = lo; g <= hi && g <= nk; g++) {
            for (i = 0; i + g <= nk; i++) {
                int64_t col;
                size_t o = 0;
                for (j = 0; j < g; j++) {
                    const char *t = buf + starts[i + j];
                    k = strlen(t);
                    if (j)
                        gram[o++] = ' ';
                    memcpy(gram + o, t, k);
                    o += k;
                }
                if ((col = text_set_find(&vset, gram, o)) >= 0)
                    y[r * v + col] = binary ? 1.0 : y[r * v + col] + 1.0;
            }
        }
    }
    rc = SKC_OK;
fail:
    free(vset.slot);
    free(sset.slot);
    free(cp);
    free(lc);
    free(buf);
    free(gram);
    free(starts);
    if (rc) {
        skc_tensor_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Probe rows: each vocabulary entry as a text of its own (the tokens of
 * an n-gram term make that n-gram again), one unknown text, and "". */
static void text_vec_hints(const skc_step *s, skci_hints *h)
{
    const skc_tensor *voc;
    int64_t x = skci_hint_col(h, 0);

    if (!h->str_src || x < 0 || skc_step_get_tensor(s, "vocabulary", &voc) != SKC_OK)
        return;
    h->str_src[x] = voc;
    h->str_lo[x] = 0;
    h->str_hi[x] = skc_tensor_numel(voc);
    h->str_unknown_ok[x] = 1;
    h->str_missing_ok[x] = 1;
}

/* ---- tfidf ----------------------------------------------------------------- */

static int text_tfidf_check(const skc_step *s, char *err, size_t errlen)
{
    const skc_tensor *idf;

    if (skc_step_get_tensor(s, "idf", &idf) == SKC_OK &&
        (skc_tensor_dtype(idf) != SKC_DT_F64 || skc_tensor_ndim(idf) != 1)) {
        skci_errf(err, errlen, "step 'tfidf': attribute 'idf' must be a 1-D float64 tensor");
        return SKC_E_FORMAT;
    }
    return SKC_OK;
}

static int text_tfidf_eval(const skc_step *s, const skc_tensor *const *in, skc_tensor **out,
                           char *err, size_t errlen)
{
    const skc_tensor *idf = NULL;
    const double *x, *w = NULL;
    int64_t n = skci_rows(in[0]), f = skci_cols(in[0]), i, sub = 0;
    double *y;
    int rc;

    if (skc_step_get_tensor(s, "idf", &idf) == SKC_OK) {
        if (skc_tensor_numel(idf) != f) {
            skci_errf(err, errlen, "step 'tfidf': input has %lld columns, idf %lld",
                      (long long)f, (long long)skc_tensor_numel(idf));
            return SKC_E_INVAL;
        }
        w = skc_tensor_data(idf);
    }
    skc_step_get_int(s, "sublinear_tf", &sub);
    if ((rc = skci_new_matrix(n, f, out)))
        return rc;
    x = skc_tensor_data(in[0]);
    y = skc_tensor_data_mut(*out);
    for (i = 0; i < n * f; i++) {
        double t = x[i];
        /* sklearn takes the log of the stored (non-zero) entries only */
        if (sub && t != 0.0)
            t = log(t) + 1.0;
        y[i] = w ? t * w[i % f] : t;
    }
    return SKC_OK;
}

const skci_op skci_ops_text[] = {
    { .name = "text_vectorize", .n_inputs = 1, .n_outputs = 1, .check = text_vec_check,
      .eval = text_vec_eval, .hints = text_vec_hints, .strings_ok = 1 },
    { .name = "tfidf", .n_inputs = 1, .n_outputs = 1, .check = text_tfidf_check,
      .eval = text_tfidf_eval },
    { .name = NULL }
};

/* For the text mirror ops (op_onnx_text.c): the same UTF-8 and case tables. */
int64_t skci_utf8_decode(const char *s, size_t len, uint32_t *out)
{
    return text_decode(s, len, out);
}

size_t skci_utf8_encode(uint32_t c, char *o)
{
    return text_encode(c, o);
}

uint32_t skci_text_lower_cp(uint32_t c)
{
    return text_lower_cp(c);
}
